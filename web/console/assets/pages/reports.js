// Reports: filters (status, category, age, words), CSV export, and (staff)
// the status of several at once, each reporter's SMS shown before it goes.
import { api, qs } from '../api.js';
import { loads, reportFilters } from '../loads.js';
import { t } from '../i18n.js';
import {
  announce, banner, button, can, choices, errorText, field, fmtTime, h, input, mount, pager,
  searchForm, select, showErrors, table, tag, textarea,
} from '../ui.js';

export const STATUSES = ['open', 'acknowledged', 'in_progress', 'resolved', 'closed'];

export async function render(main, { me, query, data }) {
  const errors = h('div');
  const notice = h('div');
  const results = h('div');
  const get = (k) => query.get(k) || '';
  const filters = reportFilters(query);
  mount(main, h('h1', null, t('title.reports')), errors, notice,
    searchForm({ class: 'filters', 'aria-label': t('reports.filter') },
      choices({
        name: 'status', legend: t('reports.status'), type: 'checkbox',
        options: STATUSES.map((s) => [s, t('status.' + s)]), checked: get('status').split(',').filter(Boolean),
      }),
      field({ id: 'category', label: t('reports.category'), control: input('category', { value: get('category') }) }),
      field({ id: 'q', label: t('reports.words'), hint: t('reports.words_hint'), cls: 'form-group--wide', control: input('q', { value: get('q') }) }),
      field({
        id: 'older_than_days', label: t('reports.age'),
        control: select('older_than_days', [['', t('reports.any_age')], ['1', t('reports.older', { n: 1 })],
          ['7', t('reports.older', { n: 7 })], ['30', t('reports.older', { n: 30 })]], get('older_than_days')),
      }),
      h('div', { class: 'actions' }, h('button', { class: 'button', type: 'submit' }, t('reports.apply')),
        h('a', { href: '/console/reports' }, t('messages.clear')))),
    h('p', null, h('a', { href: '/api/v1/reports.csv' + qs(filters), download: 'reports.csv' }, t('reports.csv'))),
    results);
  let page;
  try {
    page = await (data || loads.reports({ query }));
  } catch (e) {
    showErrors(errors, [{ id: null, text: errorText(e) }]);
    return;
  }
  const items = page.items || page.reports || [];
  const staff = can(me, 'staff');
  const picked = new Set();
  /* Set by bulk(): a change of the picks makes its preview stale. */
  const stale = { clear: () => {} };
  const cols = [
    { label: t('reports.number'), th: true, cell: (r) => h('a', { href: `/console/reports/${r.id}` }, t('reports.report_n', { id: r.id })) },
    { label: t('reports.status'), cell: (r) => tag(r.status, t('status.' + r.status)) },
    { label: t('reports.category'), cell: (r) => r.category || '—' },
    { label: t('reports.location'), cls: 'text', cell: (r) => r.location || '—' },
    { label: t('reports.details'), cls: 'text', cell: (r) => r.details || '—' },
    { label: t('reports.opened'), cell: (r) => fmtTime(r.created) },
    { label: t('reports.updated'), cell: (r) => fmtTime(r.updated) },
  ];
  if (staff) {
    cols.unshift({
      label: h('span', { class: 'visually-hidden' }, t('reports.select')),
      cell: (r) => h('input', {
        type: 'checkbox', class: 'pick', 'aria-label': t('reports.select_n', { id: r.id }), value: r.id,
        onchange: (ev) => {
          if (ev.target.checked) picked.add(r.id); else picked.delete(r.id);
          stale.clear();
        },
      }),
    });
  }
  mount(results,
    table({ caption: t('reports.found', { n: items.length }), empty: t('reports.none'), cols, rows: items }),
    pager(page.next),
    staff && items.length ? bulk(picked, errors, notice, stale) : null);
}

// Changes the status of the picked reports: preview first, then confirm.
function bulk(picked, errors, notice, stale) {
  const status = select('bulk-status', [['', t('reports.choose_status')], ...STATUSES.map((s) => [s, t('status.' + s)])], '');
  const note = textarea('bulk-note', { rows: 3 });
  const preview = h('div', { id: 'bulk-preview' });
  /* What is sent is what was previewed: a change asks for a new preview. */
  stale.clear = () => mount(preview);
  for (const c of [status, note]) c.addEventListener('input', stale.clear);
  const form = h('form', {
    novalidate: true,
    onsubmit: async (ev) => {
      ev.preventDefault();
      const ids = [...picked];
      const errs = [];
      if (!ids.length) errs.push({ id: null, text: t('reports.need_pick') });
      if (!status.value) errs.push({ id: 'bulk-status', text: t('reports.need_status') });
      showErrors(errors, errs);
      if (errs.length) return;
      const st = status.value, nt = note.value;
      await showPreview(preview, ids, st, nt, errors, async () => {
        try {
          await api('PATCH', 'reports', { json: { ids, status: st, ...(nt ? { note: nt } : {}) } });
          const msg = t('reports.changed', { n: ids.length, status: t('status.' + st) });
          sessionStorage.setItem('baraza-notice', msg);
          location.reload();
        } catch (e) {
          showErrors(errors, [{ id: null, text: errorText(e) }]);
        }
      });
    },
  },
  h('h2', null, t('reports.bulk')),
  h('p', { class: 'hint' }, t('reports.bulk_hint')),
  field({ id: 'bulk-status', label: t('reports.new_status'), control: status }),
  field({ id: 'bulk-note', label: t('reports.note'), hint: t('reports.note_hint'), control: note }),
  h('button', { class: 'button button--secondary', type: 'submit' }, t('reports.preview')),
  preview);
  const saved = sessionStorage.getItem('baraza-notice');
  if (saved) {
    sessionStorage.removeItem('baraza-notice');
    mount(notice, banner(t('reports.done'), saved, 'success'));
    announce(saved);
  }
  return h('div', { class: 'panel' }, form);
}

// Shows the SMS each reporter would get, then a button that does it.
export async function showPreview(box, ids, status, note, errors, confirm) {
  mount(box, h('p', { class: 'hint' }, t('reports.previewing')));
  const shown = ids.slice(0, 10);
  let previews;
  try {
    previews = await Promise.all(shown.map((id) => api('GET', `reports/${id}/preview`, { query: { status, note } })));
  } catch (e) {
    mount(box);
    showErrors(errors, [{ id: null, text: errorText(e) }]);
    return;
  }
  const go = button(t('reports.confirm', { n: ids.length, status: t('status.' + status) }), {
    onclick: async () => { go.disabled = true; await confirm(); go.disabled = false; },
  });
  mount(box,
    h('h3', null, t('reports.sms_title')),
    shown.map((id, i) => {
      const p = previews[i];
      return h('div', null,
        h('p', { class: 'label' }, t('reports.report_n', { id }) + (p.to ? ' → ' + p.to : '') + (p.language ? ` (${p.language})` : '')),
        p.text ? h('p', { class: 'sms' }, p.text) : h('p', { class: 'warning' }, t('reports.no_sms', { reason: p.reason || '' })),
        /* Resolving also asks whether it was fixed: that SMS follows. */
        p.text && p.feedback ? [h('p', { class: 'label' }, t('reports.then_feedback')), h('p', { class: 'sms' }, p.feedback)] : null);
    }),
    ids.length > shown.length ? h('p', null, t('reports.more', { n: ids.length - shown.length })) : null,
    h('div', { class: 'actions' }, go));
  announce(t('reports.sms_title'));
  go.focus();
}
