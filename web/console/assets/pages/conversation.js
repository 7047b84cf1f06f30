// A contact's conversation: inbound and outbound messages in order, with
// states and errors; retry a failed one; reply (staff).
import { api } from '../api.js';
import { contactMessages, loads } from '../loads.js';
import { composer } from '../compose.js';
import { t } from '../i18n.js';
import { announce, banner, can, errorText, fmtTime, h, mount, showErrors } from '../ui.js';
import { stateCell } from './messages.js';

export async function render(main, { me, id, query, data }) {
  const pre = data || loads.conversation({ id, query });
  const errors = h('div');
  const notice = h('div');
  const thread = h('div');
  let contact;
  try {
    contact = await pre.contact;
  } catch (e) {
    mount(main, h('h1', null, t('title.conversation')), errors);
    showErrors(errors, [{ id: null, text: errorText(e) }]);
    return;
  }
  document.title = `${t('conversation.with', { phone: contact.phone })} – ${t('app.name')}`;
  mount(main,
    h('p', null, h('a', { href: '/console/messages' }, t('conversation.back'))),
    h('h1', null, t('conversation.with', { phone: contact.phone })),
    h('p', null, h('a', { href: `/console/contacts/${id}` }, t('conversation.contact'))),
    errors, notice, thread,
    can(me, 'staff') && !contact.opted_out ? reply(contact, errors, notice, () => show(thread, me, id, query, errors)) : null,
    contact.opted_out ? h('p', { class: 'warning' }, t('contact.opted_out_note')) : null);
  await show(thread, me, id, query, errors, pre.messages);
}

async function show(thread, me, id, query, errors, first) {
  try {
    const page = await (first || contactMessages(id, query));
    // The API gives the newest first; a conversation reads oldest first.
    const items = [...page.items].reverse();
    const q = new URLSearchParams(location.search);
    const links = [];
    if (page.next) {
      q.set('cursor', page.next);
      links.push(h('a', { href: `${location.pathname}?${q}` }, t('conversation.earlier')));
    }
    if (query.get('cursor')) links.push(h('a', { href: location.pathname }, t('conversation.latest')));
    mount(thread,
      links.length ? h('nav', { class: 'pager', 'aria-label': t('pager.label') }, links) : null,
      items.length
        ? h('ol', { class: 'thread', 'aria-label': t('conversation.messages') }, items.map((m) => h('li', { class: m.direction === 'in' ? 'in' : 'out' },
          h('span', { class: 'meta' }, `${t('direction.' + m.direction)} · ${fmtTime(m.created)} · ${m.channel}${m.kind === 'ussd' ? ' · USSD' : ''}`),
          h('span', { class: 'body' }, dialled(m) ? h('em', null, t('conversation.dialled')) : m.text),
          m.direction === 'out' ? stateCell(m, me, errors) : null)))
        : h('p', null, t('messages.none')));
  } catch (e) {
    showErrors(errors, [{ id: null, text: errorText(e) }]);
  }
}

// A USSD session's first step: the resident dialled the code, no text.
function dialled(m) {
  return m.kind === 'ussd' && m.direction === 'in' && !m.text;
}

function reply(contact, errors, notice, reload) {
  const c = composer('reply', t('conversation.reply'));
  return h('form', {
    novalidate: true,
    onsubmit: async (ev) => {
      ev.preventDefault();
      if (!c.textarea.value.trim()) {
        showErrors(errors, [{ id: 'reply', text: t('messages.need_text') }]);
        return;
      }
      showErrors(errors, []);
      try {
        const r = await api('POST', 'messages', { json: { to: contact.phone, text: c.textarea.value } });
        c.textarea.value = '';
        c.update();
        mount(notice, banner(t('messages.sent_title'), t('messages.sent', { id: r.id }), 'success'));
        announce(t('messages.sent', { id: r.id }));
        await reload();
      } catch (e) {
        showErrors(errors, [{ id: null, text: errorText(e) }]);
      }
    },
  }, c.group, h('button', { class: 'button', type: 'submit' }, t('messages.send_button')));
}
