// Users (admin): add, change role, reset password, remove; the audit log of
// every write, paged.
import { api } from '../api.js';
import { audit, loads } from '../loads.js';
import { t } from '../i18n.js';
import {
  announce, banner, button, can, errorText, field, fmtTime, h, input, mount, pager, select, showErrors, table,
} from '../ui.js';

const ROLES = ['viewer', 'staff', 'admin'];

export async function render(main, { me, query, data }) {
  const errors = h('div');
  const notice = h('div');
  mount(main, h('h1', null, t('title.users')), errors, notice);
  if (!can(me, 'admin')) {
    main.append(h('p', null, t('users.admin_only', { role: t('role.' + me.role) })));
    return;
  }
  const list = h('div');
  const pre = data || loads.users({ query });
  const log = h('div', { id: 'audit' });
  main.append(list, addForm(errors, notice, () => loadUsers(list, me, errors, notice)), log);
  await Promise.all([loadUsers(list, me, errors, notice, pre.users), loadAudit(log, query, errors, pre.audit)]);
}

async function loadUsers(box, me, errors, notice, first) {
  let users = [];
  try {
    users = (await (first || api('GET', 'users'))).users || [];
  } catch (e) {
    showErrors(errors, [{ id: null, text: errorText(e) }]);
    return;
  }
  const reload = () => loadUsers(box, me, errors, notice);
  const done = (msg) => {
    mount(notice, banner(t('users.done'), msg, 'success'));
    announce(msg);
  };
  const fail = (e) => showErrors(errors, [{ id: null, text: errorText(e) }]);
  mount(box, table({
    caption: t('users.list'),
    captionHidden: true,
    cols: [
      { label: t('users.name'), th: true, cell: (u) => u.name },
      {
        label: t('users.role'),
        cell: (u) => {
          const id = `role-${u.name}`;
          const s = select(id, ROLES.map((r) => [r, t('role.' + r)]), u.role, { 'aria-label': t('users.role_of', { name: u.name }), class: 'select input--short' });
          return h('div', { class: 'actions' }, s, button(t('users.change_role'), {
            class: 'button button--secondary button--small',
            'aria-label': t('users.change_role_of', { name: u.name }),
            onclick: async () => {
              try {
                await api('PATCH', `users/${encodeURIComponent(u.name)}`, { json: { role: s.value } });
                done(t('users.role_changed', { name: u.name, role: t('role.' + s.value) }));
                await reload();
              } catch (e) { fail(e); }
            },
          }));
        },
      },
      { label: t('users.last_login'), cell: (u) => fmtTime(u.last_login) },
      { label: t('users.created'), cell: (u) => fmtTime(u.created) },
      {
        label: t('users.actions'),
        cell: (u) => {
          const cell = h('div', { class: 'actions' });
          const reset = button(t('users.reset'), {
            class: 'button button--secondary button--small', 'aria-label': t('users.reset_of', { name: u.name }),
            onclick: () => {
              const pw = input(`pw-${u.name}`, { type: 'password', autocomplete: 'new-password', class: 'input input--short' });
              const f = h('form', {
                novalidate: true,
                onsubmit: async (ev) => {
                  ev.preventDefault();
                  if (pw.value.length < 10) {
                    showErrors(errors, [{ id: pw.id, text: t('users.need_password') }]);
                    return;
                  }
                  try {
                    await api('PATCH', `users/${encodeURIComponent(u.name)}`, { json: { password: pw.value } });
                    done(t('users.password_reset', { name: u.name }));
                    await reload();
                  } catch (e) { fail(e); }
                },
              }, field({ id: pw.id, label: t('users.new_password', { name: u.name }), control: pw }),
              h('button', { class: 'button button--small', type: 'submit' }, t('users.save')));
              cell.replaceChildren(f);
              pw.focus();
            },
          });
          const remove = button(t('users.remove'), {
            class: 'button button--warning button--small', 'aria-label': t('users.remove_of', { name: u.name }),
            disabled: u.name === me.name,
            onclick: () => {
              const yes = button(t('users.remove_yes', { name: u.name }), { class: 'button button--warning button--small' });
              const no = button(t('contact.cancel'), { class: 'button button--secondary button--small', onclick: () => reload() });
              yes.addEventListener('click', async () => {
                try {
                  await api('DELETE', `users/${encodeURIComponent(u.name)}`);
                  done(t('users.removed', { name: u.name }));
                  await reload();
                } catch (e) { fail(e); }
              });
              cell.replaceChildren(h('p', { class: 'warning' }, t('users.remove_confirm', { name: u.name })), yes, no);
              yes.focus();
            },
          });
          cell.append(reset, remove);
          return cell;
        },
      },
    ],
    rows: users,
  }));
}

function addForm(errors, notice, reload) {
  const name = input('new-name', { autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', class: 'input input--short' });
  const role = select('new-role', ROLES.map((r) => [r, t('role.' + r)]), 'staff', { class: 'select input--short' });
  const pw = input('new-password', { type: 'password', autocomplete: 'new-password', class: 'input input--short' });
  const form = h('form', {
    class: 'panel',
    novalidate: true,
    onsubmit: async (ev) => {
      ev.preventDefault();
      const errs = [];
      if (!/^[a-z0-9._-]{1,64}$/.test(name.value)) errs.push({ id: 'new-name', text: t('users.need_name') });
      if (pw.value.length < 10) errs.push({ id: 'new-password', text: t('users.need_password') });
      showErrors(errors, errs);
      if (errs.length) return;
      try {
        await api('POST', 'users', { json: { name: name.value, role: role.value, password: pw.value } });
        mount(notice, banner(t('users.done'), t('users.added', { name: name.value, role: t('role.' + role.value) }), 'success'));
        announce(t('users.added', { name: name.value, role: t('role.' + role.value) }));
        form.reset();
        await reload();
      } catch (e) {
        showErrors(errors, [{ id: null, text: errorText(e) }]);
      }
    },
  },
  h('h2', null, t('users.add')),
  field({ id: 'new-name', label: t('users.name'), hint: t('users.name_hint'), control: name }),
  field({ id: 'new-role', label: t('users.role'), hint: t('users.role_hint'), control: role }),
  field({ id: 'new-password', label: t('users.password'), hint: t('users.password_hint'), control: pw }),
  h('button', { class: 'button', type: 'submit' }, t('users.add_button')));
  return form;
}

async function loadAudit(box, query, errors, first) {
  try {
    const page = await (first || audit(query));
    mount(box,
      h('h2', { id: 'audit-title' }, t('users.audit')),
      table({
        caption: t('users.audit'),
        captionHidden: true,
        empty: t('users.no_audit'),
        cols: [
          { label: t('messages.time'), th: true, cell: (a) => fmtTime(a.time, true) },
          { label: t('users.user'), cell: (a) => a.user },
          { label: t('users.action'), cell: (a) => h('code', null, a.action) },
          { label: t('users.object'), cell: (a) => a.object || '—' },
          { label: t('users.detail'), cls: 'text', cell: (a) => a.detail || '—' },
        ],
        rows: page.items || [],
      }),
      pager(page.next));
  } catch (e) {
    showErrors(errors, [{ id: null, text: errorText(e) }]);
  }
}
