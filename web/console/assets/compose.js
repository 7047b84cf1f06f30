// compose.js: a text box for an SMS with its live count: characters,
// encoding (GSM-7 or UCS-2) and segments, counted as the gateway counts
// (gsm.js). The visible count changes as one types; screen readers hear it
// once typing pauses.
import { count } from './gsm.js';
import { t } from './i18n.js';
import { h, textarea } from './ui.js';

export function composer(id, label, { hint, value, onchange, maxlength } = {}) {
  const box = textarea(id, { value: value || '', maxlength: maxlength || null, 'aria-describedby': `${id}-count` });
  const shown = h('div', { class: 'counter', id: `${id}-count` });
  const spoken = h('div', { class: 'visually-hidden', 'aria-live': 'polite' });
  let timer = null;
  const update = () => {
    const c = count(box.value);
    shown.textContent = describe(c);
    shown.dataset.encoding = c.encoding;
    shown.dataset.segments = String(c.segments);
    clearTimeout(timer);
    timer = setTimeout(() => { spoken.textContent = describe(c); }, 1000);
    if (onchange) onchange(c);
    return c;
  };
  box.addEventListener('input', update);
  const group = h('div', { class: 'form-group', id: `${id}-group` },
    h('label', { class: 'label', for: id }, label),
    hint ? h('div', { class: 'hint', id: `${id}-hint` }, hint) : null,
    box, shown, spoken);
  if (hint) box.setAttribute('aria-describedby', `${id}-hint ${id}-count`);
  update();
  return { group, textarea: box, update, info: () => count(box.value) };
}

export function describe(c) {
  return [
    t('count.chars', { n: c.chars }),
    c.encoding,
    t('count.segments', { n: c.segments }),
    t('count.left', { n: c.left }),
  ].join(' · ');
}
