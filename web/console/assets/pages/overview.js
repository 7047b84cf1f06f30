// Overview: today's and the week's messages, delivery, the queue, each
// channel's health and spend today, and the open reports. Refreshes by itself every 30 s
// while the page is visible; a change is announced politely.
import { api } from '../api.js';
import { barChart } from '../chart.js';
import { t } from '../i18n.js';
import { announce, errorText, fmtDay, fmtMoney, fmtNum, fmtPercent, fmtTime, h, mount, table, tag } from '../ui.js';

const EVERY_MS = 30000;

export async function render(main, ctx) {
  const status = h('p', { class: 'hint', id: 'updated' });
  const body = h('div');
  mount(main, h('h1', null, t('title.overview')), status, body);
  let last = '';
  let timer = null;
  const refresh = async (first) => {
    try {
      const o = await (first && ctx.data ? ctx.data : api('GET', 'overview', { background: !first }));
      const sig = JSON.stringify({ ...o, generated: null });
      if (first || sig !== last) {
        mount(body, ...figures(o));
        if (!first) announce(t('overview.updated', { time: fmtTime(o.generated || new Date().toISOString(), true) }));
      }
      last = sig;
      status.textContent = t('overview.updated', { time: fmtTime(o.generated || new Date().toISOString(), true) });
    } catch (e) {
      if (first) mount(body, h('div', { class: 'error-summary', role: 'alert' }, h('h2', null, t('error.title')), h('p', null, errorText(e))));
      else status.textContent = t('overview.stale', { error: errorText(e) });
    }
  };
  await refresh(true);
  const start = () => { if (!timer) timer = setInterval(() => refresh(false), EVERY_MS); };
  const stop = () => { clearInterval(timer); timer = null; };
  document.addEventListener('visibilitychange', () => {
    if (document.hidden) stop();
    else { refresh(false); start(); }
  });
  start();
}

function figures(o) {
  const today = o.today || {};
  const days = o.days || [];
  const rep = o.reports || {};
  const age = rep.by_age || {};
  const series = [
    { key: 'in', label: t('overview.in'), color: '#1a65a6' },
    { key: 'out', label: t('overview.out'), color: '#00703c' },
  ];
  const rows = days.map((d) => ({ label: fmtDay(d.day), short: fmtDay(d.day, true), values: d }));
  const totalIn = days.reduce((a, d) => a + (d.in || 0), 0);
  const totalOut = days.reduce((a, d) => a + (d.out || 0), 0);
  return [
    h('h2', { class: 'visually-hidden' }, t('overview.today')),
    h('dl', { class: 'cards' },
      card(t('overview.in_today'), fmtNum(today.in)),
      card(t('overview.out_today'), fmtNum(today.out)),
      card(t('overview.failed_today'), fmtNum(today.failed)),
      card(t('overview.delivery'), fmtPercent(o.delivery_rate)),
      card(t('overview.queue'), fmtNum(o.queue_depth))),
    h('h2', null, t('overview.week')),
    h('ul', { class: 'legend' }, series.map((s) => h('li', null, h('span', { class: 'key key--' + s.key }), s.label))),
    barChart({
      title: t('overview.chart', { in: totalIn, out: totalOut }),
      series,
      rows,
    }),
    h('details', null, h('summary', null, t('overview.as_table')),
      table({
        caption: t('overview.week'),
        cols: [
          { label: t('overview.day'), th: true, cell: (d) => fmtDay(d.day) },
          { label: t('overview.in'), num: true, cell: (d) => fmtNum(d.in) },
          { label: t('overview.out'), num: true, cell: (d) => fmtNum(d.out) },
        ],
        rows: days,
      })),
    h('h2', null, t('overview.channels')),
    table({
      caption: t('overview.channels'),
      captionHidden: true,
      empty: t('overview.no_channels'),
      cols: [
        { label: t('overview.channel'), th: true, cell: (c) => c.name },
        { label: t('overview.type'), cell: (c) => c.type },
        // up: true or false by its newest outcome or heartbeat; null before any.
        { label: t('overview.state'), cell: (c) => (c.up === true ? tag('up', t('overview.up'))
          : c.up === false ? tag('down', t('overview.down')) : t('overview.state_unknown')) },
        { label: t('overview.queued'), num: true, cell: (c) => fmtNum(c.queued) },
        { label: t('overview.spent_today'), cls: 'spend', cell: (c) => spend(c, o.currency) },
        { label: t('overview.signal'), cell: (c) => (c.signal === null || c.signal === undefined ? '—' : `${fmtNum(c.signal)}%`) },
        { label: t('overview.airtime'), cell: (c) => (c.balance === null || c.balance === undefined ? '—' : `${c.balance}${c.balance_at ? ` (${fmtTime(c.balance_at)})` : ''}`) },
        { label: t('overview.last_error'), cls: 'text', cell: (c) => c.last_error || '—' },
      ],
      rows: o.channels || [],
    }),
    h('h2', null, t('overview.reports')),
    h('dl', { class: 'cards' },
      card(t('overview.age_1d'), fmtNum(age['<1d'])),
      card(t('overview.age_7d'), fmtNum(age['1-7d'])),
      card(t('overview.age_old'), fmtNum(age['>7d'])),
      card(t('overview.median'), rep.median_resolution_hours === null || rep.median_resolution_hours === undefined
        ? t('overview.unknown') : duration(rep.median_resolution_hours)),
      card(t('overview.satisfaction'), rep.satisfaction === null || rep.satisfaction === undefined
        ? t('overview.not_measured') : fmtPercent(rep.satisfaction), answers(rep.feedback))),
    table({
      caption: t('overview.by_category'),
      empty: t('overview.no_open'),
      cols: [
        { label: t('reports.category'), th: true, cell: (c) => h('a', { href: '/console/reports?status=open,acknowledged,in_progress&category=' + encodeURIComponent(c.category) }, c.category) },
        { label: t('overview.open'), num: true, cell: (c) => fmtNum(c.open) },
        { label: t('overview.oldest'), num: true, cell: (c) => t('overview.days', { n: c.oldest_days || 0 }) },
      ],
      rows: rep.open_by_category || [],
    }),
  ];
}

// A channel's spend today, against its daily budget when it has one.
function spend(c, currency) {
  if (c.spent_today === null || c.spent_today === undefined) return '—';
  const spent = fmtMoney(c.spent_today, currency);
  if (c.daily_budget === null || c.daily_budget === undefined) return spent;
  const text = t('overview.spend_of', { spent, budget: fmtMoney(c.daily_budget, currency) });
  return c.spent_today > c.daily_budget ? tag('down', text) : text;
}

function card(label, value, note) {
  const words = !/^[\d.,\s%]+$/.test(value);
  return h('div', { class: 'card' }, h('dt', null, label), h('dd', { class: words ? 'card__words' : null }, value),
    note ? h('dd', { class: 'card__note' }, note) : null);
}

// The reporters' answers to "was it fixed?" behind the satisfaction.
function answers(fb) {
  const yes = (fb && fb.yes) || 0;
  const no = (fb && fb.no) || 0;
  return yes + no > 0 ? t('overview.answers', { n: yes + no, yes, no }) : null;
}

// Hours as a person reads them: minutes under an hour ("0 hours" said
// nothing of a report fixed in 20 minutes), else hours to a tenth.
function duration(hours) {
  if (hours < 1) return t('overview.minutes', { n: Math.max(1, Math.round(hours * 60)) });
  return t('overview.hours', { n: Math.round(hours * 10) / 10 });
}
