// One contact: language, topics, opt-out, last channel, fields, reports and
// the latest messages; forget (admin), confirmed by naming the number.
import { api } from '../api.js';
import { loads } from '../loads.js';
import { t } from '../i18n.js';
import {
  banner, button, can, errorText, fmtTime, h, mount, showErrors, summary, table, tag,
} from '../ui.js';

export async function render(main, { me, id, data, flash }) {
  const errors = h('div');
  const notice = h('div');
  if (flash) mount(notice, flash);
  let c;
  try {
    c = await (data || loads.contact({ id }));
  } catch (e) {
    mount(main, h('h1', null, t('title.contact')), errors);
    showErrors(errors, [{ id: null, text: errorText(e) }]);
    return;
  }
  document.title = `${c.phone} – ${t('app.name')}`;
  const fields = Object.entries(c.fields || {});
  const msgs = (c.messages && c.messages.items) || [];
  mount(main,
    h('p', null, h('a', { href: '/console/contacts' }, t('contact.back'))),
    h('h1', null, c.phone),
    errors, notice,
    summary([
      [t('contact.language'), c.language || '—'],
      [t('contact.opted_out'), c.opted_out ? tag('opted', t('yes')) : t('no')],
      [t('contact.last_channel'), c.last_channel || '—'],
      [t('contact.topics'), c.topics && c.topics.length ? c.topics.join(', ') : t('contact.no_topics')],
      [t('contact.created'), fmtTime(c.created)],
      [t('reports.updated'), fmtTime(c.updated)],
    ]),
    fields.length ? table({
      caption: t('contact.fields'),
      cols: [{ label: t('contact.field'), th: true, cell: ([k]) => k }, { label: t('contact.value'), cls: 'text', cell: ([, v]) => String(v) }],
      rows: fields,
    }) : null,
    table({
      caption: t('title.reports'),
      empty: t('contact.no_reports'),
      cols: [
        { label: t('reports.number'), th: true, cell: (r) => h('a', { href: `/console/reports/${r.id}` }, t('reports.report_n', { id: r.id })) },
        { label: t('reports.status'), cell: (r) => tag(r.status, t('status.' + r.status)) },
        { label: t('reports.category'), cell: (r) => r.category || '—' },
        { label: t('reports.opened'), cell: (r) => fmtTime(r.created) },
      ],
      rows: c.reports || [],
    }),
    h('h2', null, t('contact.messages')),
    msgs.length ? table({
      caption: t('contact.latest'),
      captionHidden: true,
      cols: [
        { label: t('messages.time'), th: true, cell: (m) => fmtTime(m.created) },
        { label: t('messages.direction'), cell: (m) => t('direction.' + m.direction) },
        { label: t('messages.state'), cell: (m) => tag(m.state, t('state.' + m.state)) },
        { label: t('messages.text'), cls: 'text', cell: (m) => m.text },
      ],
      rows: msgs.slice(0, 5),
    }) : h('p', null, t('messages.none')),
    h('p', null, h('a', { href: `/console/messages/contact/${c.id}` }, t('contact.conversation'))),
    can(me, 'admin')
      ? forget(c, errors, (done) => render(main, { me, id: c.id, flash: done }))
      : null);
}

// What a forget erased, in words: the answer's counts that are not zero.
const ERASED = [
  ['messages', (n) => t('contact.erased_messages', { n })],
  ['cancelled', (n) => t('contact.erased_cancelled', { n })],
  ['in_flight', (n) => t('contact.erased_in_flight', { n })],
  ['sessions', (n) => t('contact.erased_sessions', { n })],
  ['subscriptions', (n) => t('contact.erased_subscriptions', { n })],
  ['reports', (n) => t('contact.erased_reports', { n })],
  ['fields', (n) => t('contact.erased_fields', { n })],
];
function erased(r) {
  const parts = ERASED.filter(([k]) => typeof r[k] === 'number' && r[k] > 0)
    .map(([k, say]) => say(r[k]));
  if (r.language === true) parts.push(t('contact.erased_language'));
  return parts.length ? parts.join(', ') : t('contact.erased_nothing');
}

// Forgetting erases the contact for good: a second step names the number.
// Once done, the page is drawn again from the gateway (what is left of the
// contact), with the banner saying what was erased.
function forget(c, errors, redraw) {
  const box = h('section', { class: 'panel', 'aria-labelledby': 'forget-title' });
  const start = button(t('contact.forget'), { class: 'button button--warning' });
  const ask = () => {
    const yes = button(t('contact.forget_yes', { phone: c.phone }), { class: 'button button--warning' });
    const no = button(t('contact.cancel'), { class: 'button button--secondary' });
    const q = h('div', { role: 'alertdialog', 'aria-labelledby': 'forget-q', tabindex: '-1' },
      h('p', { class: 'warning', id: 'forget-q' }, t('contact.forget_confirm', { phone: c.phone })),
      h('div', { class: 'actions' }, yes, no));
    no.addEventListener('click', () => { q.replaceWith(start); start.focus(); });
    yes.addEventListener('click', async () => {
      yes.disabled = true;
      try {
        const r = await api('POST', `contacts/${c.id}/forget`, { json: {} });
        await redraw(banner(t('contact.forgotten_title'),
          t('contact.forgotten', { phone: c.phone, what: erased(r || {}) }), 'success'));
      } catch (e) {
        yes.disabled = false;
        showErrors(errors, [{ id: null, text: errorText(e) }]);
      }
    });
    start.replaceWith(q);
    q.focus();
  };
  start.addEventListener('click', ask);
  return mount(box, h('h2', { id: 'forget-title' }, t('contact.forget_title')), h('p', null, t('contact.forget_hint')), start);
}
