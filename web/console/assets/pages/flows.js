// Flows: every flow with its triggers, the checker's findings, and a phone
// in the page that runs the real flows in a sandbox (POST /api/v1/simulate:
// nothing is sent, stored as a report, or subscribed).
import { api } from '../api.js';
import { loads } from '../loads.js';
import { LANGS, t } from '../i18n.js';
import { choices, errorText, field, h, input, mount, select, showErrors, table, tag } from '../ui.js';

export async function render(main, { me, data: pre }) {
  const errors = h('div');
  mount(main, h('h1', null, t('title.flows')), errors);
  let data = { flows: [], findings: [] };
  try {
    data = await (pre || loads.flows());
  } catch (e) {
    showErrors(errors, [{ id: null, text: errorText(e) }]);
  }
  main.append(
    table({
      caption: t('flows.list'),
      empty: t('flows.none'),
      cols: [
        { label: t('flows.flow'), th: true, cell: (f) => h('span', null, h('strong', null, f.title || f.name), f.title ? ` (${f.name})` : '') },
        { label: t('flows.triggers'), cell: (f) => triggers(f.triggers || []) },
        { label: t('flows.file'), cell: (f) => `${f.file}:${f.line}` },
      ],
      rows: data.flows || [],
    }),
    table({
      caption: t('flows.findings'),
      empty: t('flows.no_findings'),
      cols: [
        { label: t('flows.severity'), th: true, cell: (x) => tag(x.severity === 'error' ? 'failed' : 'queued', t('severity.' + x.severity)) },
        { label: t('flows.where'), cell: (x) => `${x.file}:${x.line}:${x.col}` },
        { label: t('flows.message'), cls: 'text', cell: (x) => x.message },
      ],
      rows: data.findings || [],
    }),
    phone(me));
}

// The triggers by kind: "keyword: BAL, BILL".
function triggers(list) {
  const kinds = new Map();
  for (const x of list) {
    if (!kinds.has(x.kind)) kinds.set(x.kind, []);
    if (x.value) kinds.get(x.kind).push(x.value);
  }
  return [...kinds].map(([k, v]) => h('div', null, t('trigger.' + k), v.length ? ': ' : '',
    v.map((x, i) => [i ? ', ' : '', h('code', null, x)])));
}

// The phone: SMS as a chat, USSD as a screen with a reply box.
function phone(me) {
  const errors = h('div');
  const log = h('div', { class: 'phone__log', role: 'log', tabindex: '0', 'aria-live': 'polite', 'aria-label': t('sim.log') });
  const screen = h('div', { class: 'phone__screen', id: 'sim-screen', role: 'status', 'aria-live': 'polite', 'aria-label': t('sim.screen') }, t('sim.idle'));
  const num = input('sim-phone', { value: '+254700000999', inputmode: 'tel', autocomplete: 'off', class: 'input input--short' });
  const text = input('sim-text', { autocomplete: 'off' });
  const langs = (me.languages || ['en']).filter((l) => l in LANGS);
  const lang = select('sim-lang', [['', t('sim.lang_contact')], ...langs.map((l) => [l, LANGS[l]])], '');
  const go = h('button', { class: 'button', type: 'submit', id: 'sim-send' }, t('sim.send'));
  let kind = 'sms';
  let session = null;
  const label = () => {
    document.querySelector('label[for="sim-text"]').textContent = kind === 'sms' ? t('sim.text')
      : (session ? t('sim.reply') : t('sim.dial'));
    go.textContent = kind === 'sms' ? t('sim.send') : (session ? t('sim.reply_button') : t('sim.dial_button'));
  };
  const kinds = choices({
    name: 'sim-kind', legend: t('sim.kind'), options: [['sms', 'SMS'], ['ussd', 'USSD']], checked: 'sms',
    onchange: (ev) => {
      kind = ev.target.value;
      session = null;
      screen.textContent = t('sim.idle');
      screen.hidden = kind !== 'ussd';
      log.hidden = kind !== 'sms';
      label();
    },
  });
  screen.hidden = true;
  /* Another phone is another conversation. */
  num.addEventListener('change', () => {
    session = null;
    log.replaceChildren();
    screen.textContent = t('sim.idle');
    label();
  });
  const form = h('form', {
    novalidate: true,
    class: 'phone',
    'aria-labelledby': 'sim-title',
    onsubmit: async (ev) => {
      ev.preventDefault();
      if (!text.value.trim() && !(kind === 'ussd' && session)) {
        showErrors(errors, [{ id: 'sim-text', text: t('sim.need_text') }]);
        return;
      }
      showErrors(errors, []);
      const sent = text.value;
      const req = { kind, phone: num.value.trim() || undefined, text: sent };
      if (session) req.session = session;
      if (lang.value) req.lang = lang.value;
      go.disabled = true;
      try {
        const r = await api('POST', 'simulate', { json: req });
        text.value = '';
        if (kind === 'sms') {
          /* The conversation goes on: an answer to a question, a menu. */
          session = r.session || null;
          log.append(h('p', { class: 'from-phone' }, sent));
          for (const x of r.replies || []) log.append(h('p', { class: 'from-gateway' }, x));
          if (!(r.replies || []).length) log.append(h('p', { class: 'from-gateway' }, t('sim.no_reply')));
          log.lastChild.scrollIntoView({ block: 'nearest' });
        } else {
          const shown = String(r.screen || (r.replies || []).join('\n') || '').replace(/^(CON|END) /, '');
          screen.textContent = shown + (r.end ? `\n\n${t('sim.ended')}` : '');
          session = r.end ? null : r.session;
          label();
        }
      } catch (e) {
        /* A conversation past its 10 minutes: the next message starts one. */
        if (e.status === 404) { session = null; label(); }
        showErrors(errors, [{ id: null, text: errorText(e) }]);
      }
      go.disabled = false;
      text.focus();
    },
  },
  kinds,
  field({ id: 'sim-phone', label: t('sim.phone'), control: num }),
  field({ id: 'sim-lang', label: t('sim.lang'), control: lang }),
  screen, log,
  field({ id: 'sim-text', label: t('sim.text'), control: text }),
  h('div', { class: 'actions' }, go,
    h('button', {
      class: 'button button--secondary', type: 'button',
      onclick: () => { session = null; log.replaceChildren(); screen.textContent = t('sim.idle'); label(); },
    }, t('sim.reset'))));
  return h('section', { 'aria-labelledby': 'sim-title' },
    h('h2', { id: 'sim-title' }, t('sim.title')),
    h('p', null, t('sim.intro')),
    errors, form);
}
