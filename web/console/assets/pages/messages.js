// Messages: search by number, text, channel, state, direction and dates
// (the search is the page's URL); retry a failed message; send one (staff);
// each outbound message's provider log, opened on demand.
import { api } from '../api.js';
import { t } from '../i18n.js';
import { composer } from '../compose.js';
import {
  announce, banner, button, can, errorText, field, fmtNum, fmtTime, h, input, mount, pager,
  searchForm, select, showErrors, table, tag, wallToIso,
} from '../ui.js';

const STATES = ['queued', 'sending', 'sent', 'delivered', 'failed', 'received', 'handled', 'ignored'];

// The API's query for the page's (the dates need the gateway's time zone),
// and the page's dates that are not dates: an address typed or kept by hand
// can hold one, and a search without it would show every day's messages.
function queryOf(query) {
  const get = (k) => query.get(k) || '';
  const q = {
    phone: get('phone'), text: get('text'), channel: get('channel'), state: get('state'),
    direction: get('direction'), cursor: get('cursor'), limit: 50,
  };
  const errs = [];
  const day = (k) => {
    if (!get(k)) return null;
    const iso = wallToIso(get(k));
    if (!iso) errs.push({ id: k, text: t('messages.bad_date', { field: t('messages.' + k), value: get(k) }) });
    return iso;
  };
  // A date is a whole day in the gateway's time zone.
  if (day('since')) q.since = wallToIso(get('since'));
  if (day('until')) {
    const d = new Date(get('until') + 'T00:00:00Z');
    d.setUTCDate(d.getUTCDate() + 1);
    q.until = wallToIso(d.toISOString().slice(0, 10));
  }
  return { q, errs };
}

export async function render(main, { me, query, data }) {
  const errors = h('div');
  const notice = h('div');
  const results = h('div');
  const get = (k) => query.get(k) || '';
  mount(main,
    h('h1', null, t('title.messages')),
    errors, notice,
    can(me, 'staff') ? sendForm(errors, notice) : null,
    h('h2', null, t('messages.search')),
    searchForm({ class: 'filters', 'aria-label': t('messages.search') },
      field({ id: 'phone', label: t('messages.phone'), control: input('phone', { value: get('phone'), inputmode: 'tel', autocomplete: 'off' }) }),
      field({ id: 'text', label: t('messages.text'), control: input('text', { value: get('text') }) }),
      field({ id: 'channel', label: t('messages.channel'), control: input('channel', { value: get('channel') }) }),
      field({
        id: 'state', label: t('messages.state'),
        control: select('state', [['', t('messages.any')], ...STATES.map((s) => [s, t('state.' + s)])], get('state')),
      }),
      field({
        id: 'direction', label: t('messages.direction'),
        control: select('direction', [['', t('messages.any')], ['in', t('direction.in')], ['out', t('direction.out')]], get('direction')),
      }),
      field({ id: 'since', label: t('messages.since'), control: input('since', { type: 'date', value: get('since') }) }),
      field({ id: 'until', label: t('messages.until'), control: input('until', { type: 'date', value: get('until') }) }),
      h('div', { class: 'actions' }, h('button', { class: 'button', type: 'submit' }, t('messages.search_button')),
        h('a', { href: '/console/messages' }, t('messages.clear')))),
    results);
  const { q, errs } = queryOf(query);
  if (errs.length) {
    showErrors(errors, errs);
    return;
  }
  try {
    const page = await (data || api('GET', 'messages', { query: q }));
    mount(results, list(page.items, me, errors), pager(page.next));
  } catch (e) {
    showErrors(errors, [{ id: null, text: errorText(e) }]);
  }
}

// The table of messages, with a retry button on failed outbound ones.
export function list(items, me, errors) {
  return table({
    caption: t('messages.found', { n: items.length }),
    empty: t('messages.none'),
    cols: [
      { label: t('messages.time'), th: true, cell: (m) => fmtTime(m.created) },
      { label: t('messages.direction'), cell: (m) => t('direction.' + m.direction) },
      {
        label: t('messages.phone'),
        cell: (m) => (m.contact_id ? h('a', { href: `/console/messages/contact/${m.contact_id}` }, m.phone) : m.phone),
      },
      { label: t('messages.channel'), cell: (m) => m.channel },
      { label: t('messages.state'), cell: (m) => stateCell(m, me, errors) },
      { label: t('messages.text'), cls: 'text', cell: (m) => m.text },
      { label: t('messages.segments'), num: true, cell: (m) => fmtNum(m.segments) },
    ],
    rows: items,
  });
}

export function stateCell(m, me, errors) {
  const cell = h('div', null, tag(m.state, t('state.' + m.state)),
    m.error ? h('div', { class: 'hint' }, t('messages.error', { error: m.error })) : null,
    m.direction === 'out' && m.kind !== 'ussd' ? providerLog(m) : null);
  if (m.direction === 'out' && m.state === 'failed' && can(me, 'staff')) {
    const b = button(t('messages.retry'), {
      class: 'button button--secondary button--small',
      'aria-label': t('messages.retry_label', { id: m.id }),
      onclick: async () => {
        b.disabled = true;
        try {
          const u = await api('POST', `messages/${m.id}/retry`, { json: {} });
          cell.replaceWith(stateCell(u, me, errors));
          announce(t('messages.retried', { id: m.id }));
        } catch (e) {
          b.disabled = false;
          showErrors(errors, [{ id: null, text: errorText(e) }]);
        }
      },
    });
    cell.append(b);
  }
  return cell;
}

// The provider log of an outbound message: each request to the provider
// and its answer (GET /api/v1/messages/ID/log), read when first opened.
export function providerLog(m) {
  const body = h('div', { class: 'provider-log__body', 'aria-live': 'polite' });
  const box = h('details', { class: 'provider-log' }, h('summary', null, t('messages.provider_log')), body);
  let loaded = false;
  box.addEventListener('toggle', async () => {
    if (!box.open || loaded) return;
    loaded = true;
    mount(body, h('p', { class: 'hint' }, t('messages.log_loading')));
    try {
      const r = await api('GET', `messages/${m.id}/log`);
      mount(body, r.items.length
        ? h('ol', { class: 'provider-log__list', 'aria-label': t('messages.log_caption', { id: m.id }) }, r.items.map(logItem))
        : h('p', { class: 'hint' }, t('messages.log_none')));
    } catch (e) {
      loaded = false;
      mount(body, h('p', { class: 'error-message' }, errorText(e)));
    }
  });
  return box;
}

function logItem(x) {
  return h('li', null,
    h('dl', { class: 'provider-log__entry' },
      h('dt', null, t('messages.time')), h('dd', null, fmtTime(x.time)),
      h('dt', null, t('messages.log_status')), h('dd', null, x.status === null ? t('messages.log_no_answer') : String(x.status)),
      h('dt', null, t('messages.log_ms')), h('dd', null, t('messages.log_took', { n: x.ms })),
      h('dt', null, t('messages.log_request')), h('dd', null, h('code', null, x.request || '—')),
      x.error ? h('dt', null, t('messages.state')) : null,
      x.error ? h('dd', null, t('messages.error', { error: x.error })) : null,
      h('dt', null, t('messages.log_answer')), h('dd', null, x.answer ? h('pre', { class: 'provider-log__answer' }, x.answer) : '—')));
}

// Send one message (staff): number, text with its live count, channel.
function sendForm(errors, notice) {
  const to = input('to', { inputmode: 'tel', autocomplete: 'off' });
  const c = composer('send-text', t('messages.send_text'));
  const channel = input('send-channel', { name: 'channel' });
  const form = h('form', {
    novalidate: true,
    onsubmit: async (ev) => {
      ev.preventDefault();
      const errs = [];
      if (!to.value.trim()) errs.push({ id: 'to', text: t('messages.need_to') });
      if (!c.textarea.value.trim()) errs.push({ id: 'send-text', text: t('messages.need_text') });
      showErrors(errors, errs);
      if (errs.length) return;
      try {
        const r = await api('POST', 'messages', {
          json: { to: to.value.trim(), text: c.textarea.value, ...(channel.value.trim() ? { channel: channel.value.trim() } : {}) },
        });
        mount(notice, banner(t('messages.sent_title'), t('messages.sent', { id: r.id }), 'success'));
        c.textarea.value = '';
        c.update();
      } catch (e) {
        showErrors(errors, [{ id: null, text: errorText(e) }]);
      }
    },
  },
  field({ id: 'to', label: t('messages.to'), hint: t('messages.to_hint'), control: to }),
  c.group,
  field({ id: 'send-channel', label: t('messages.channel_optional'), control: channel }),
  h('button', { class: 'button', type: 'submit' }, t('messages.send_button')));
  return h('details', { class: 'panel' }, h('summary', null, t('messages.send_title')), form);
}
