// ui.js: small DOM helpers and the GOV.UK-style pieces every page uses
// (fields with labels above, the error summary, banners, tables, paging),
// and the formats: numbers with thousands separators, times in the
// gateway's time zone with the date.
import { locale, t } from './i18n.js';

// Elements: h('p', {class: 'hint', onclick: f}, 'text', child, [more]).
export function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, kids);
  return el;
}

const SVGNS = 'http://www.w3.org/2000/svg';
export function svg(tag, attrs, ...kids) {
  const el = document.createElementNS(SVGNS, tag);
  setAttrs(el, attrs);
  append(el, kids);
  return el;
}

function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.setAttribute('class', v);
    else if (k === 'text') el.textContent = v;
    else if (k === 'value' || k === 'checked' || k === 'selected') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

function append(el, kids) {
  for (const k of kids.flat(Infinity)) {
    if (k === null || k === undefined || k === false) continue;
    el.append(k instanceof Node ? k : String(k));
  }
}

// Empties el and fills it with kids.
export function mount(el, ...kids) {
  el.replaceChildren();
  append(el, kids);
  return el;
}

// Numbers, money and percentages in the user's language.
export function fmtNum(n) {
  if (n === null || n === undefined || Number.isNaN(Number(n))) return '—';
  return new Intl.NumberFormat(locale()).format(n);
}

export function fmtMoney(amount, currency) {
  const n = new Intl.NumberFormat(locale(), { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return `${currency || ''} ${n.format(amount)}`.trim();
}

export function fmtPercent(x) {
  if (x === null || x === undefined) return '—';
  return new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 1 }).format(x);
}

// The gateway's time zone (GET /api/v1/me: tz, tz_offset_minutes): by its
// name when this browser knows it, else by the offset.
let zone = null;
let zoneOffset = 0;
export function setZone(tz, offsetMinutes) {
  zoneOffset = Number(offsetMinutes) || 0;
  zone = null;
  if (tz) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      zone = tz;
    } catch (e) { zone = null; }
  }
}

// Minutes east of UTC in the gateway's zone at the instant ms.
function offsetAt(ms) {
  if (!zone) return zoneOffset;
  const p = {};
  for (const x of new Intl.DateTimeFormat('en-US', {
    timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
    hour: 'numeric', minute: 'numeric', second: 'numeric',
  }).formatToParts(new Date(ms))) p[x.type] = Number(x.value);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour % 24, p.minute, p.second);
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60000);
}

function offsetText(min) {
  const s = min < 0 ? '-' : '+';
  const a = Math.abs(min);
  return `UTC${s}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

export function zoneLabel() {
  const off = offsetText(offsetAt(Date.now()));
  return zone ? `${zone} (${off})` : off;
}

// An ISO time as the date and time in the gateway's zone.
export function fmtTime(iso, withSeconds) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const opts = {
    day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit',
    hourCycle: 'h23', timeZone: zone || 'UTC',
  };
  if (withSeconds) opts.second = '2-digit';
  const shown = zone ? d : new Date(d.getTime() + zoneOffset * 60000);
  return new Intl.DateTimeFormat(locale(), opts).format(shown);
}

// A day "2026-12-01" (already the gateway's) as "Tue 1 Dec" ("Tue 1"
// when short).
export function fmtDay(day, short) {
  const [y, m, d] = String(day).split('-').map(Number);
  if (!y || !m || !d) return String(day);
  return new Intl.DateTimeFormat(locale(), {
    weekday: 'short', day: 'numeric', month: short ? undefined : 'short', timeZone: 'UTC',
  }).format(new Date(Date.UTC(y, m - 1, d)));
}

// A wall time "YYYY-MM-DDTHH:MM" (or a day "YYYY-MM-DD") in the gateway's
// zone as an ISO UTC time; null when it is not one, or names a day or time
// that does not exist (2026-02-30, 24:00).
export function wallToIso(wall) {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?$/.exec(wall || '');
  if (!m) return null;
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] || 0), +(m[5] || 0));
  const back = new Date(ms);
  if (back.getUTCFullYear() !== +m[1] || back.getUTCMonth() !== +m[2] - 1 || back.getUTCDate() !== +m[3]
    || back.getUTCHours() !== +(m[4] || 0) || back.getUTCMinutes() !== +(m[5] || 0)) return null;
  let utc = ms - offsetAt(ms) * 60000;
  utc = ms - offsetAt(utc) * 60000;
  return new Date(utc).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// Now in the gateway's zone as "YYYY-MM-DDTHH:MM".
export function nowWall() {
  const now = Date.now();
  return new Date(now + offsetAt(now) * 60000).toISOString().slice(0, 16);
}

// Announces text to screen readers, politely.
export function announce(text) {
  const live = document.getElementById('live');
  if (!live) return;
  live.textContent = '';
  setTimeout(() => { live.textContent = text; }, 50);
}

// The words for an API error.
export function errorText(e) {
  if (!e) return t('error.unknown');
  if (e.status === 0) return t('error.network');
  // The server's own words for its limits ("413 Payload Too Large") say
  // nothing of what to do.
  if (e.status === 413) return t('error.too_large');
  return e.message || t('error.unknown');
}

// Form fields, GOV.UK style: label, hint and error above the control.
export function field({ id, label, hint, error, control, cls }) {
  const described = [];
  if (hint) described.push(id + '-hint');
  if (error) described.push(id + '-error');
  if (described.length) control.setAttribute('aria-describedby', described.join(' '));
  if (error) {
    control.setAttribute('aria-invalid', 'true');
    control.classList.add(control.tagName === 'TEXTAREA' ? 'textarea--error' : 'input--error');
  }
  return h('div', { class: 'form-group' + (error ? ' form-group--error' : '') + (cls ? ' ' + cls : ''), id: id + '-group' },
    h('label', { class: 'label', for: id }, label),
    hint ? h('div', { class: 'hint', id: id + '-hint' }, hint) : null,
    error ? h('p', { class: 'error-message', id: id + '-error' },
      h('span', { class: 'visually-hidden' }, t('error.prefix') + ' '), error) : null,
    control);
}

export function input(id, attrs) {
  return h('input', { class: 'input', id, name: id, type: 'text', ...attrs });
}

export function textarea(id, attrs) {
  return h('textarea', { class: 'textarea', id, name: id, rows: 4, ...attrs });
}

// options: [[value, label], ...]
export function select(id, options, selected, attrs) {
  return h('select', { class: 'select', id, name: id, ...attrs },
    options.map(([v, l]) => h('option', { value: v, selected: String(v) === String(selected ?? '') }, l)));
}

// Radios or check boxes in a fieldset with a legend.
export function choices({ name, legend, type = 'radio', options, checked, hint, onchange }) {
  const sel = new Set([].concat(checked ?? []).map(String));
  return h('fieldset', { class: 'form-group' },
    h('legend', null, legend),
    hint ? h('div', { class: 'hint' }, hint) : null,
    h('div', { class: 'choices' },
      options.map(([v, l], i) => {
        const id = `${name}-${i}`;
        return h('div', { class: 'choice' },
          h('input', { type, id, name, value: v, checked: sel.has(String(v)), onchange }),
          h('label', { for: id }, l));
      })));
}

export function button(text, attrs) {
  return h('button', { class: 'button', type: 'button', ...attrs }, text);
}

// The error summary at the top of a form: errors [{id, text}] (id: the
// field it links to, or null). Shown in box and focused.
export function showErrors(box, errors) {
  if (!errors.length) {
    box.replaceChildren();
    return;
  }
  const summary = h('div', { class: 'error-summary', role: 'alert', tabindex: '-1' },
    h('h2', null, t('error.title')),
    h('ul', null, errors.map((e) => h('li', null, e.id
      ? h('a', {
        href: '#' + e.id,
        onclick: (ev) => {
          const f = document.getElementById(e.id);
          if (f) {
            ev.preventDefault();
            f.focus();
            f.scrollIntoView({ block: 'center' });
          }
        },
      }, e.text)
      : e.text))));
  box.replaceChildren(summary);
  summary.focus();
}

// A notification banner: kind 'success' or 'info'.
export function banner(title, body, kind = 'info') {
  return h('div', { class: 'banner banner--' + kind, role: kind === 'success' ? 'alert' : 'region', 'aria-label': kind === 'success' ? null : title, tabindex: '-1' },
    h('h2', { class: 'banner__title' }, title),
    h('div', { class: 'banner__body' }, [].concat(body).map((b) => (typeof b === 'string' ? h('p', null, b) : b))));
}

// A state or status as a small tag.
export function tag(kind, text) {
  return h('span', { class: 'tag tag--' + String(kind).replace(/[^a-z_]/g, '') }, text);
}

// A table: cols [{label, num, cell(row) -> text or node}], rows.
export function table({ caption, cols, rows, empty, captionHidden }) {
  if (!rows.length && empty) return h('p', { class: 'empty' }, empty);
  const wrap = h('div', { class: 'table-wrap', role: 'region', 'aria-label': caption },
    h('table', null,
      h('caption', { class: captionHidden ? 'visually-hidden' : null }, caption),
      h('thead', null, h('tr', null, cols.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null }, c.label)))),
      h('tbody', null, rows.map((r) => h('tr', null, cols.map((c, i) => {
        const v = c.cell(r);
        return i === 0 && c.th
          ? h('th', { scope: 'row', class: c.num ? 'num' : c.cls }, v)
          : h('td', { class: c.num ? 'num' : c.cls }, v);
      }))))));
  // A table wider than the screen scrolls, and can then be reached by keyboard.
  const fit = () => {
    if (wrap.scrollWidth > wrap.clientWidth + 1) wrap.tabIndex = 0;
    else wrap.removeAttribute('tabindex');
  };
  requestAnimationFrame(fit);
  window.addEventListener('resize', fit, { passive: true });
  return wrap;
}

// Paging links: next is the API's cursor for the next page, or null.
export function pager(next) {
  const q = new URLSearchParams(location.search);
  const here = q.get('cursor');
  const links = [];
  if (here) {
    q.delete('cursor');
    const s = q.toString();
    links.push(h('a', { href: location.pathname + (s ? '?' + s : '') }, t('pager.first')));
  }
  if (next) {
    q.set('cursor', next);
    links.push(h('a', { href: location.pathname + '?' + q.toString(), rel: 'next' }, t('pager.next')));
  }
  return links.length ? h('nav', { class: 'pager', 'aria-label': t('pager.label') }, links) : null;
}

// A summary list: pairs [[term, value], ...].
export function summary(pairs) {
  return h('dl', { class: 'summary' }, pairs.filter(Boolean).map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
}

// Reads a GET form into the page's URL (empty fields left out): the search
// becomes a place that reload, back and forward keep.
export function searchForm(attrs, ...kids) {
  return h('form', {
    method: 'get', action: location.pathname, ...attrs,
    onsubmit: (ev) => {
      ev.preventDefault();
      const q = new URLSearchParams();
      for (const [k, v] of new FormData(ev.target)) {
        if (v === '') continue;
        if (q.has(k)) q.set(k, q.get(k) + ',' + v);
        else q.set(k, v);
      }
      const s = q.toString();
      location.assign(location.pathname + (s ? '?' + s : ''));
    },
  }, ...kids);
}

// The role's rank: viewer < staff < admin.
const RANK = { viewer: 1, staff: 2, admin: 3 };
export function can(me, role) {
  return (RANK[me && me.role] || 0) >= RANK[role];
}

// "Line 3: bad phone number ..." (the API's message may name the line too).
export function badLine(bad) {
  const message = String(bad.message || bad.error || '').replace(/^line \d+: /i, '');
  return bad.line ? t('notify.bad_line', { line: bad.line, message }) : message;
}
