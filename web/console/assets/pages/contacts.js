// Contacts: search by part of the number or a field's value.
import { loads } from '../loads.js';
import { t } from '../i18n.js';
import { errorText, field, fmtTime, h, input, mount, pager, searchForm, showErrors, table, tag } from '../ui.js';

export async function render(main, { query, data }) {
  const errors = h('div');
  const results = h('div');
  const q = query.get('q') || '';
  mount(main, h('h1', null, t('title.contacts')), errors,
    searchForm({ class: 'filters', role: 'search', 'aria-label': t('contacts.search') },
      field({ id: 'q', label: t('contacts.search'), hint: t('contacts.search_hint'), control: input('q', { value: q, type: 'search' }) }),
      h('div', { class: 'actions' }, h('button', { class: 'button', type: 'submit' }, t('messages.search_button')))),
    results);
  try {
    const page = await (data || loads.contacts({ query }));
    mount(results, table({
      caption: t('contacts.found', { n: page.items.length }),
      empty: t('contacts.none'),
      cols: [
        { label: t('messages.phone'), th: true, cell: (c) => h('a', { href: `/console/contacts/${c.id}` }, c.phone) },
        { label: t('contact.language'), cell: (c) => c.language || '—' },
        { label: t('contact.opted_out'), cell: (c) => (c.opted_out ? tag('opted', t('yes')) : t('no')) },
        { label: t('contact.last_channel'), cell: (c) => c.last_channel || '—' },
        { label: t('contact.topics'), cell: (c) => (c.topics && c.topics.length ? c.topics.join(', ') : '—') },
        { label: t('reports.updated'), cell: (c) => fmtTime(c.updated) },
      ],
      rows: page.items,
    }), pager(page.next));
  } catch (e) {
    showErrors(errors, [{ id: null, text: errorText(e) }]);
  }
}
