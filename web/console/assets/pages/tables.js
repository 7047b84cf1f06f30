// Tables: the data tables flows look things up in, with their row counts
// and last import; (admin) upload a CSV to replace one: a bad line is shown
// with its number and nothing changes.
import { api } from '../api.js';
import { loads } from '../loads.js';
import { t } from '../i18n.js';
import { badLine, banner, can, errorText, field, fmtNum, fmtTime, h, input, mount, showErrors, table } from '../ui.js';

export async function render(main, { me, data }) {
  const errors = h('div');
  const notice = h('div');
  mount(main, h('h1', null, t('title.tables')), errors, notice);
  let tables = [];
  try {
    tables = (await (data || loads.tables())).tables || [];
  } catch (e) {
    showErrors(errors, [{ id: null, text: errorText(e) }]);
  }
  const list = h('div');
  mount(list, listTable(tables));
  main.append(list);
  if (can(me, 'admin')) main.append(upload(tables, errors, notice, list));
}

function listTable(tables) {
  return table({
    caption: t('tables.list'),
    empty: t('tables.none'),
    cols: [
      { label: t('tables.name'), th: true, cell: (x) => x.name },
      { label: t('tables.key'), cell: (x) => x.key || '—' },
      { label: t('tables.columns'), cls: 'text', cell: (x) => (x.columns || []).join(', ') },
      { label: t('tables.rows'), num: true, cell: (x) => fmtNum(x.rows) },
      { label: t('tables.updated'), cell: (x) => fmtTime(x.updated) },
    ],
    rows: tables,
  });
}

function upload(tables, errors, notice, list) {
  const name = input('table-name', { list: 'table-names', autocomplete: 'off', class: 'input input--short' });
  const key = input('table-key', { autocomplete: 'off', class: 'input input--short' });
  const file = h('input', { type: 'file', id: 'table-file', name: 'file', accept: '.csv,text/csv', class: 'input' });
  // Naming a table that exists says its key column in the key's hint; an
  // empty key then keeps it. Nothing is written into the key field, so
  // what is typed there is exactly what is sent.
  const existing = () => tables.find((y) => y.name === name.value && y.key);
  const keyField = field({ id: 'table-key', label: t('tables.key'), hint: t('tables.key_hint'), control: key });
  const keyHint = keyField.querySelector('#table-key-hint');
  const showKey = () => {
    const x = existing();
    keyHint.textContent = x ? t('tables.key_kept', { key: x.key }) : t('tables.key_hint');
  };
  name.addEventListener('input', showKey);
  name.addEventListener('change', showKey);
  return h('form', {
    class: 'panel',
    novalidate: true,
    onsubmit: async (ev) => {
      ev.preventDefault();
      const errs = [];
      if (!/^[a-z_][a-z0-9_]{0,63}$/.test(name.value)) errs.push({ id: 'table-name', text: t('tables.need_name') });
      const keyName = key.value.trim() || (existing() ? existing().key : '');
      if (!keyName) errs.push({ id: 'table-key', text: t('tables.need_key') });
      const f = file.files && file.files[0];
      if (!f) errs.push({ id: 'table-file', text: t('notify.need_file') });
      showErrors(errors, errs);
      if (errs.length) return;
      try {
        const r = await api('PUT', `tables/${encodeURIComponent(name.value)}`, {
          query: { key: keyName }, body: await f.text(), type: 'text/csv',
        });
        mount(notice, banner(t('tables.done_title'), t('tables.done', { name: r.table || name.value, n: r.rows }), 'success'));
        notice.firstChild.focus();
        // The list shows the table as it is now (a new one included).
        try {
          const now = (await api('GET', 'tables')).tables || [];
          tables.splice(0, tables.length, ...now);
          mount(list, listTable(tables));
        } catch (e) { /* the banner said it; a reload shows the list */ }
      } catch (e) {
        showErrors(errors, [{ id: 'table-file', text: e.body && e.body.line ? badLine({ line: e.body.line, message: errorText(e) }) : errorText(e) }]);
      }
    },
  },
  h('h2', null, t('tables.upload')),
  h('p', { class: 'hint' }, t('tables.upload_hint')),
  h('datalist', { id: 'table-names' }, tables.map((x) => h('option', { value: x.name }))),
  field({ id: 'table-name', label: t('tables.name'), hint: t('tables.name_hint'), control: name }),
  keyField,
  field({ id: 'table-file', label: t('notify.file'), control: file }),
  h('button', { class: 'button', type: 'submit' }, t('tables.replace')));
}
