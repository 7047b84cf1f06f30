// Notifications: a CSV of recipients and a template; see the first rows
// rendered, the opted-out count and any bad line; then send now or at a
// time and watch it go out (?id=N).
import { api, uuid } from '../api.js';
import { t } from '../i18n.js';
import { progress } from '../progress.js';
import {
  badLine, can, choices, errorText, field, fmtNum, h, input, mount, nowWall, showErrors, table, textarea, wallToIso,
} from '../ui.js';

export async function render(main, { me, query }) {
  const id = query.get('id');
  const errors = h('div');
  mount(main, h('h1', null, t('title.notifications')), errors);
  if (id && /^\d+$/.test(id)) {
    const box = h('section');
    main.append(box, h('p', null, h('a', { href: '/console/notifications' }, t('notify.another'))));
    await progress(box, id, 'notify');
    return;
  }
  if (!can(me, 'staff')) {
    main.append(h('p', null, t('notify.viewer', { role: t('role.' + me.role) })));
    return;
  }
  main.append(h('p', null, t('notify.intro')));
  const file = h('input', { type: 'file', id: 'csv', name: 'csv', accept: '.csv,text/csv', class: 'input' });
  const tmpl = textarea('template', { rows: 4 });
  const at = input('at', { type: 'datetime-local', class: 'input input--short', min: nowWall() });
  const atGroup = h('div', { class: 'conditional', hidden: true },
    field({ id: 'at', label: t('broadcasts.at'), hint: t('broadcasts.at_hint'), control: at }));
  const when = choices({
    name: 'when', legend: t('broadcasts.when'), options: [['now', t('broadcasts.now')], ['at', t('broadcasts.later')]],
    checked: 'now', onchange: (ev) => { atGroup.hidden = ev.target.value !== 'at'; },
  });
  when.append(atGroup);
  const result = h('section', { id: 'notify-preview', tabindex: '-1' });
  /*
   * What is sent is what was previewed (the file, the text and the time):
   * a change of any of them takes the preview and its button away.
   */
  const stale = () => mount(result);
  for (const c of [file, tmpl, at]) {
    c.addEventListener('input', stale);
    c.addEventListener('change', stale);
  }
  when.addEventListener('change', stale);
  const form = h('form', {
    novalidate: true,
    onsubmit: async (ev) => {
      ev.preventDefault();
      mount(result);
      const errs = [];
      const f = file.files && file.files[0];
      if (!f) errs.push({ id: 'csv', text: t('notify.need_file') });
      if (!tmpl.value.trim()) errs.push({ id: 'template', text: t('notify.need_template') });
      let atIso = null;
      if (form.querySelector('input[name="when"]:checked')?.value === 'at') {
        atIso = wallToIso(at.value);
        if (!atIso) errs.push({ id: 'at', text: t('broadcasts.need_at') });
        else if (Date.parse(atIso) <= Date.now()) errs.push({ id: 'at', text: t('broadcasts.future_at') });
      }
      showErrors(errors, errs);
      if (errs.length) return;
      const csv = await f.text();
      let p;
      try {
        p = await api('POST', 'notify', { query: { text: tmpl.value, preview: 1 }, body: csv, type: 'text/csv' });
      } catch (e) {
        p = e.body && e.body.line ? { error: e.body } : null;
        if (!p) {
          showErrors(errors, [{ id: null, text: errorText(e) }]);
          return;
        }
      }
      showPreview(result, p, errors, { csv, text: tmpl.value, at: atIso });
    },
  },
  field({ id: 'csv', label: t('notify.file'), hint: t('notify.file_hint'), control: file }),
  field({ id: 'template', label: t('notify.template'), hint: t('notify.template_hint'), control: tmpl }),
  when,
  h('button', { class: 'button button--secondary', type: 'submit' }, t('notify.preview')));
  main.append(form, result);
}

function showPreview(box, p, errors, req) {
  const bad = p.error;
  if (bad) {
    showErrors(errors, [{ id: 'csv', text: badLine(bad) }]);
  } else showErrors(errors, []);
  const key = uuid();
  const send = h('button', { class: 'button', type: 'button' }, t('notify.send', { n: p.rows }));
  send.addEventListener('click', async () => {
    send.disabled = true;
    try {
      const r = await api('POST', 'notify', {
        query: { text: req.text, ...(req.at ? { at: req.at } : {}) }, body: req.csv, type: 'text/csv', idem: key,
      });
      location.assign(`/console/notifications?id=${r.id}`);
    } catch (e) {
      send.disabled = false;
      showErrors(errors, [{ id: null, text: errorText(e) }]);
    }
  });
  mount(box,
    h('h2', null, t('notify.preview_title')),
    bad ? h('p', { class: 'warning', id: 'bad-line' }, badLine(bad)) : null,
    p.rows !== undefined ? h('dl', { class: 'cards' },
      h('div', { class: 'card' }, h('dt', null, t('notify.rows')), h('dd', null, fmtNum(p.rows))),
      h('div', { class: 'card' }, h('dt', null, t('notify.opted_out')), h('dd', null, fmtNum(p.opted_out || 0)))) : null,
    p.first && p.first.length ? table({
      caption: t('notify.first', { n: p.first.length }),
      cols: [
        { label: t('messages.phone'), th: true, cell: (r) => r.phone },
        { label: t('messages.text'), cls: 'text', cell: (r) => r.text },
        { label: t('broadcasts.encoding'), cell: (r) => r.encoding },
        { label: t('messages.segments'), num: true, cell: (r) => fmtNum(r.segments) },
      ],
      rows: p.first,
    }) : null,
    bad ? h('p', null, t('notify.fix'))
      : !p.rows ? h('p', { class: 'warning' }, t('notify.nobody'))
        : h('div', { class: 'actions' }, send));
  if (!bad) box.focus();
}
