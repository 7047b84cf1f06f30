// progress.js: a broadcast's (or a notification's) messages by state, live:
// GET /api/v1/broadcasts/ID every 2 s until nothing is queued or sending.
// Changes are announced politely.
import { api } from './api.js';
import { t } from './i18n.js';
import { announce, errorText, fmtNum, fmtTime, h, mount, summary } from './ui.js';

const STATES = ['queued', 'sending', 'sent', 'delivered', 'failed'];

export async function progress(box, id, kind) {
  const figures = h('div');
  const status = h('p', { class: 'hint' });
  mount(box, h('h2', null, t(kind === 'notify' ? 'progress.notify' : 'progress.title', { id: String(Number(id)) })), figures, status);
  let last = '';
  for (;;) {
    let b;
    try {
      b = await api('GET', `broadcasts/${id}`, { background: last !== '' });
    } catch (e) {
      status.textContent = errorText(e);
      return;
    }
    const done = (b.sent || 0) + (b.delivered || 0) + (b.failed || 0);
    const total = b.recipients || 0;
    const pending = (b.queued || 0) + (b.sending || 0);
    const line = t('progress.line', { done, total });
    mount(figures,
      summary([
        b.topic ? [t('broadcasts.topic'), b.topic] : null,
        [t('broadcasts.text'), h('p', { class: 'sms' }, b.text)],
        [t('progress.send_at'), fmtTime(b.send_at)],
        [t('progress.recipients'), fmtNum(total)],
      ]),
      h('label', { class: 'label', for: 'progress-bar' }, line),
      h('progress', { id: 'progress-bar', max: Math.max(1, total), value: done }),
      h('ul', { class: 'legend', 'aria-label': t('progress.by_state') }, STATES.map((s) => h('li', { 'data-state': s },
        h('span', { class: 'key key--' + s }), `${t('state.' + s)}: `, h('strong', null, fmtNum(b[s] || 0))))));
    const sig = STATES.map((s) => b[s] || 0).join(',');
    if (last && sig !== last) announce(line);
    last = sig;
    const future = b.send_at && Date.parse(b.send_at) > Date.now();
    if (!pending && !future) {
      status.textContent = t('progress.finished');
      if (last) announce(t('progress.finished') + ' ' + line);
      return;
    }
    status.textContent = future ? t('progress.waiting', { time: fmtTime(b.send_at) }) : t('progress.live');
    await new Promise((r) => setTimeout(r, future ? 10000 : 2000));
  }
}
