// Broadcasts: compose (topic and its audience, text with a live count of
// characters, encoding and segments, the total cost and the channels'
// daily budgets), send now or at a time, confirm, then watch it go out by
// state (?id=N keeps that place). A send past a daily budget is refused
// with the figures; an admin may send it anyway.
import { api, uuid } from '../api.js';
import { loads } from '../loads.js';
import { composer } from '../compose.js';
import { t } from '../i18n.js';
import { progress } from '../progress.js';
import {
  can, choices, errorText, field, fmtMoney, fmtNum, fmtTime, h, input, mount, nowWall, select, showErrors,
  summary, wallToIso,
} from '../ui.js';

export async function render(main, { me, query, data }) {
  const id = query.get('id');
  const errors = h('div');
  mount(main, h('h1', null, t('title.broadcasts')), errors);
  if (id && /^\d+$/.test(id)) {
    const box = h('section', { 'aria-live': 'off' });
    main.append(box, h('p', null, h('a', { href: '/console/broadcasts' }, t('broadcasts.another'))));
    await progress(box, id, 'broadcast');
    return;
  }
  if (!can(me, 'staff')) {
    main.append(h('p', null, t('broadcasts.viewer', { role: t('role.' + me.role) })));
    return;
  }
  let topics = [];
  try {
    topics = (await (data || loads.broadcasts({ query }))).topics || [];
  } catch (e) {
    showErrors(errors, [{ id: null, text: errorText(e) }]);
  }
  main.append(...compose(topics, errors, me));
}

function compose(topics, errors, me) {
  const topic = select('topic', [['', t('broadcasts.choose_topic')],
    ...topics.map((x) => [x.topic, t('broadcasts.topic_option', { topic: x.topic, n: x.subscribers })])], '');
  const cost = h('p', { class: 'counter', id: 'broadcast-cost' }, t('broadcasts.cost_unknown'));
  const budget = h('div', { id: 'broadcast-budget', 'aria-live': 'polite' });
  let dry = null;
  let seq = 0;
  let timer = null;
  const refreshCost = () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const mine = ++seq;
      if (!topic.value || !text.textarea.value) {
        dry = null;
        cost.textContent = t('broadcasts.cost_unknown');
        budget.replaceChildren();
        return;
      }
      try {
        const d = await api('POST', 'broadcasts', { json: { text: text.textarea.value, topic: topic.value, dry_run: true } });
        if (mine !== seq) return;
        dry = d;
        cost.textContent = costText(d);
        cost.dataset.cost = d.cost === null || d.cost === undefined ? '' : String(d.cost);
        budget.replaceChildren(...budgetLines(d));
      } catch (e) {
        if (mine === seq) cost.textContent = errorText(e);
      }
    }, 250);
  };
  const text = composer('text', t('broadcasts.text'), { hint: t('broadcasts.text_hint'), onchange: refreshCost });
  topic.addEventListener('change', refreshCost);
  const at = input('at', { type: 'datetime-local', class: 'input input--short', min: nowWall() });
  const atGroup = h('div', { class: 'conditional', hidden: true },
    field({ id: 'at', label: t('broadcasts.at'), hint: t('broadcasts.at_hint'), control: at }));
  const when = choices({
    name: 'when', legend: t('broadcasts.when'), options: [['now', t('broadcasts.now')], ['at', t('broadcasts.later')]],
    checked: 'now', onchange: (ev) => { atGroup.hidden = ev.target.value !== 'at'; },
  });
  when.append(atGroup);
  const check = h('section', { hidden: true, tabindex: '-1', 'aria-labelledby': 'check-title' });
  const form = h('form', {
    novalidate: true,
    onsubmit: async (ev) => {
      ev.preventDefault();
      const later = form.querySelector('input[name="when"]:checked')?.value === 'at';
      const errs = [];
      if (!topic.value) errs.push({ id: 'topic', text: t('broadcasts.need_topic') });
      if (!text.textarea.value.trim()) errs.push({ id: 'text', text: t('broadcasts.need_text') });
      let atIso = null;
      if (later) {
        atIso = wallToIso(at.value);
        if (!atIso) errs.push({ id: 'at', text: t('broadcasts.need_at') });
        else if (Date.parse(atIso) <= Date.now()) errs.push({ id: 'at', text: t('broadcasts.future_at') });
      }
      showErrors(errors, errs);
      if (errs.length) return;
      let d;
      try {
        d = await api('POST', 'broadcasts', { json: { text: text.textarea.value, topic: topic.value, dry_run: true } });
      } catch (e) {
        showErrors(errors, [{ id: null, text: errorText(e) }]);
        return;
      }
      confirmStep(check, form, errors, { text: text.textarea.value, topic: topic.value, at: atIso }, d, me);
    },
  },
  field({ id: 'topic', label: t('broadcasts.topic'), hint: t('broadcasts.topic_hint'), control: topic }),
  text.group,
  cost,
  budget,
  when,
  h('button', { class: 'button', type: 'submit' }, t('broadcasts.continue')));
  return [form, check];
}

export function costText(d) {
  if (d.cost === null || d.cost === undefined) {
    return t('broadcasts.cost_none', { n: d.total_segments });
  }
  return t('broadcasts.cost', {
    cost: fmtMoney(d.cost, d.currency), recipients: d.recipients, segments: d.segments, n: d.total_segments,
  });
}

// A channel's day as the send would leave it, in words.
export function budgetText(b) {
  const money = (x) => fmtMoney(x, b.currency);
  return t(b.over ? 'broadcasts.budget_over' : 'broadcasts.budget_ok', {
    channel: b.channel, day: b.day, spent: money(b.spent), queued: money(b.queued), cost: money(b.cost), budget: money(b.budget),
  });
}

// The budgets a dry run names: a warning for each one it would pass.
function budgetLines(d) {
  return (d.budgets || []).filter((b) => b.budget !== null && b.budget !== undefined && b.spent !== null && b.spent !== undefined)
    .map((b) => h('p', { class: b.over ? 'warning budget budget--over' : 'hint budget' }, budgetText(b)));
}

// Check your answers, then send (with an Idempotency-Key, so a second
// click or a retry after a lost answer never sends twice). Refused by a
// daily budget, the figures show; an admin may then send it anyway.
function confirmStep(check, form, errors, req, d, me) {
  const body = { text: req.text, topic: req.topic, ...(req.at ? { at: req.at } : {}) };
  const send = h('button', { class: 'button', type: 'button' }, t('broadcasts.send'));
  const refused = h('div');
  const post = async (button, json, key) => {
    button.disabled = true;
    try {
      const r = await api('POST', 'broadcasts', { json, idem: key });
      location.assign(`/console/broadcasts?id=${r.id}`);
    } catch (e) {
      button.disabled = false;
      if (e.status === 409 && e.body && 'budget' in e.body) {
        showErrors(errors, [{ id: null, text: budgetText(e.body) }]);
        mount(refused, h('div', { class: 'error-summary budget-refused', role: 'region', 'aria-labelledby': 'budget-title' },
          h('h2', { id: 'budget-title' }, t('broadcasts.budget_title')),
          h('p', null, budgetText(e.body)),
          can(me, 'admin') ? forceButton() : h('p', null, t('broadcasts.force_admin'))));
        return;
      }
      showErrors(errors, [{ id: null, text: errorText(e) }]);
    }
  };
  // Past the budget: another body, so another key.
  const forceButton = () => {
    const b = h('button', { class: 'button button--warning', type: 'button' }, t('broadcasts.force'));
    const key = uuid();
    b.addEventListener('click', () => post(b, { ...body, force: true }, key));
    return b;
  };
  const key = uuid();
  send.addEventListener('click', () => post(send, body, key));
  mount(check,
    h('h2', { id: 'check-title' }, t('broadcasts.check')),
    summary([
      [t('broadcasts.topic'), req.topic],
      [t('progress.recipients'), fmtNum(d.recipients)],
      [t('broadcasts.text'), h('p', { class: 'sms' }, req.text)],
      [t('broadcasts.encoding'), `${d.encoding} · ${t('count.segments', { n: d.segments })}`],
      [t('broadcasts.total_cost'), h('div', null, costText(d), ...budgetLines(d))],
      [t('broadcasts.when'), req.at ? fmtTime(req.at) : t('broadcasts.now')],
    ]),
    h('p', { class: 'warning' }, t('broadcasts.warning', { n: d.recipients })),
    refused,
    h('div', { class: 'actions' }, send,
      h('button', {
        class: 'button button--secondary', type: 'button',
        onclick: () => { check.hidden = true; form.hidden = false; form.querySelector('textarea').focus(); },
      }, t('broadcasts.change'))));
  form.hidden = true;
  check.hidden = false;
  check.focus();
}
