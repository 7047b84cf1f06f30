// One report: what was reported, its history, and (staff) a status change
// with a note; the SMS the reporter will get is shown before it goes.
import { api } from '../api.js';
import { loads } from '../loads.js';
import { t } from '../i18n.js';
import {
  announce, banner, can, errorText, field, fmtTime, h, mount, select, showErrors, summary, table, tag, textarea,
} from '../ui.js';
import { STATUSES, showPreview } from './reports.js';

export async function render(main, { me, id, data }) {
  const errors = h('div');
  const notice = h('div');
  let r;
  try {
    r = await (data || loads.report({ id }));
  } catch (e) {
    mount(main, h('h1', null, t('reports.report_n', { id })), errors);
    showErrors(errors, [{ id: null, text: errorText(e) }]);
    return;
  }
  document.title = `${t('reports.report_n', { id })} – ${t('app.name')}`;
  mount(main,
    h('p', null, h('a', { href: '/console/reports' }, t('report.back'))),
    h('h1', null, t('reports.report_n', { id })),
    errors, notice,
    summary([
      [t('reports.status'), tag(r.status, t('status.' + r.status))],
      [t('reports.category'), r.category || '—'],
      [t('reports.location'), r.location || '—'],
      [t('reports.details'), r.details || '—'],
      [t('reports.opened'), fmtTime(r.created)],
      [t('reports.updated'), fmtTime(r.updated)],
      [t('report.flow'), r.flow || '—'],
      r.contact_id ? [t('report.reporter'), h('a', { href: `/console/contacts/${r.contact_id}` }, t('report.contact'))] : null,
      feedback(r.feedback),
    ]),
    table({
      caption: t('report.history'),
      cols: [
        { label: t('messages.time'), th: true, cell: (e) => fmtTime(e.time) },
        { label: t('reports.status'), cell: (e) => (e.status ? tag(e.status, t('status.' + e.status)) : '—') },
        { label: t('reports.note'), cls: 'text', cell: (e) => e.note || '—' },
      ],
      rows: r.events || [],
      empty: t('report.no_history'),
    }),
    can(me, 'staff') ? change(r, errors, notice) : null);
  const saved = sessionStorage.getItem('baraza-notice');
  if (saved) {
    sessionStorage.removeItem('baraza-notice');
    mount(notice, banner(t('reports.done'), saved, 'success'));
    announce(saved);
  }
}

// The reporter's answer to "was it fixed?", once they were asked.
function feedback(fb) {
  if (!fb || !fb.asked) return null;
  if (fb.answer === 'yes' || fb.answer === 'no') {
    const when = { time: fmtTime(fb.answered) };
    return [t('report.feedback'), fb.answer === 'yes'
      ? tag('ok', t('report.feedback_yes', when)) : tag('failed', t('report.feedback_no', when))];
  }
  return [t('report.feedback'), t('report.feedback_waiting', { time: fmtTime(fb.asked) })];
}

function change(r, errors) {
  const status = select('status', [['', t('reports.choose_status')], ...STATUSES.map((s) => [s, t('status.' + s)])], '');
  const note = textarea('note', { rows: 3 });
  const preview = h('div', { id: 'preview' });
  /* What is sent is what was previewed: a change asks for a new preview. */
  for (const c of [status, note]) c.addEventListener('input', () => mount(preview));
  return h('form', {
    class: 'panel',
    novalidate: true,
    onsubmit: async (ev) => {
      ev.preventDefault();
      if (!status.value) {
        showErrors(errors, [{ id: 'status', text: t('reports.need_status') }]);
        return;
      }
      showErrors(errors, []);
      const st = status.value, nt = note.value;
      await showPreview(preview, [r.id], st, nt, errors, async () => {
        try {
          const u = await api('PATCH', `reports/${r.id}`, { json: { status: st, ...(nt ? { note: nt } : {}) } });
          sessionStorage.setItem('baraza-notice', u.sms_id
            ? t('report.changed_sms', { status: t('status.' + u.status), id: u.sms_id })
            : t('report.changed', { status: t('status.' + u.status) }));
          location.reload();
        } catch (e) {
          showErrors(errors, [{ id: null, text: errorText(e) }]);
        }
      });
    },
  },
  h('h2', null, t('report.change')),
  field({ id: 'status', label: t('reports.new_status'), control: status }),
  field({ id: 'note', label: t('reports.note'), hint: t('reports.note_hint'), control: note }),
  h('button', { class: 'button button--secondary', type: 'submit' }, t('reports.preview')),
  preview);
}
