// chart.js: a small grouped bar chart in SVG (no library): one group per
// day, a bar per series. The numbers are also in a table next to it, so the
// picture is only decoration for screen readers (role img with a title).
import { svg } from './ui.js';

// series: [{key, label, cls}], rows: [{label, values: {key: n}}].
export function barChart({ title, series, rows }) {
  // As wide as the screen allows (the page's margins aside), at most 640:
  // the SVG scales to its box, so a 640-wide drawing on a 360 px phone
  // would shrink its 15 px labels to 8.
  const screenW = typeof window !== 'undefined' && window.innerWidth ? window.innerWidth - 40 : 640;
  const W = Math.round(Math.min(640, Math.max(300, screenW)));
  const left = 48;
  const groupW = (W - left) / Math.max(1, rows.length);
  // A label wider than its group ("Tue 1" at 15 px is about 40) goes on
  // two lines, the day under the week day.
  const twoLines = groupW < 48;
  const bottom = twoLines ? 46 : 30;
  const H = 190 + bottom;
  const top = 12;
  const max = Math.max(1, ...rows.flatMap((r) => series.map((s) => Number(r.values[s.key]) || 0)));
  const step = niceStep(max);
  const ymax = Math.ceil(max / step) * step;
  const plotH = H - top - bottom;
  const barW = Math.max(4, (groupW * 0.7) / series.length);
  const y = (v) => top + plotH - (v / ymax) * plotH;
  const kids = [svg('title', null, title)];
  for (let v = 0; v <= ymax; v += step) {
    kids.push(svg('line', { x1: left, x2: W, y1: y(v), y2: y(v), stroke: '#b1b4b6', 'stroke-width': 1 }));
    kids.push(svg('text', { x: left - 6, y: y(v) + 4, 'text-anchor': 'end' }, formatTick(v)));
  }
  rows.forEach((r, i) => {
    const x0 = left + i * groupW + (groupW - barW * series.length) / 2;
    series.forEach((s, j) => {
      const v = Number(r.values[s.key]) || 0;
      const hgt = Math.max(v > 0 ? 1 : 0, top + plotH - y(v));
      kids.push(svg('rect', { x: x0 + j * barW, y: top + plotH - hgt, width: barW - 2, height: hgt, fill: s.color }));
    });
    const cx = left + i * groupW + groupW / 2;
    const label = String(r.short || r.label);
    const cut = label.lastIndexOf(' ');
    if (twoLines && cut > 0) {
      kids.push(svg('text', { x: cx, y: H - 26, 'text-anchor': 'middle' }, label.slice(0, cut)));
      kids.push(svg('text', { x: cx, y: H - 8, 'text-anchor': 'middle' }, label.slice(cut + 1)));
    } else kids.push(svg('text', { x: cx, y: H - 8, 'text-anchor': 'middle' }, label));
  });
  return svg('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': title, focusable: 'false' }, kids);
}

function niceStep(max) {
  const raw = max / 4;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return Math.max(1, m * p);
  return Math.max(1, 10 * p);
}

function formatTick(v) {
  if (v >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (v >= 1e4) return `${+(v / 1e3).toFixed(0)}k`;
  return String(v);
}
