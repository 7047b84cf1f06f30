// login.js: the sign-in page works without this (a plain form POSTed to
// /console/login); this puts it in the user's language, keeps where to go
// next, and shows "Wrong name or password" as an error summary.
import { LANGS, currentLang, loadLang, pickLang, storeLang, t } from './i18n.js';
import { h, showErrors } from './ui.js';

async function main() {
  const q = new URLSearchParams(location.search);
  // Whoever signs in next may have another role (see app.js).
  try { sessionStorage.removeItem('baraza.role'); } catch (e) { /* private mode */ }
  await loadLang(pickLang(null));
  document.title = `${t('login.title')} – ${t('app.name')}`;
  for (const [id, key] of [['title', 'login.title'], ['name-label', 'login.name'],
    ['password-label', 'login.password'], ['submit', 'login.submit'], ['help', 'login.help']]) {
    document.getElementById(id).textContent = t(key);
  }
  document.querySelector('.skip-link').textContent = t('skip');
  const next = q.get('next') || '';
  if (next.startsWith('/console/') && !next.startsWith('//')) document.getElementById('next').value = next;
  const tools = document.getElementById('tools');
  tools.append(h('div', { class: 'actions', role: 'group', 'aria-label': t('header.language') },
    Object.keys(LANGS).map((l) => h('button', {
      class: 'link-button', type: 'button', lang: l, 'aria-pressed': String(l === currentLang()),
      onclick: async () => { storeLang(l); location.reload(); },
    }, LANGS[l]))));
  const box = document.getElementById('messages');
  const name = document.getElementById('name');
  if (q.get('failed')) {
    document.getElementById('name-group').classList.add('form-group--error');
    name.setAttribute('aria-describedby', 'name-error');
    name.before(h('p', { class: 'error-message', id: 'name-error' },
      h('span', { class: 'visually-hidden' }, t('error.prefix') + ' '), t('login.failed')));
    showErrors(box, [{ id: 'name', text: t('login.failed') }]);
  } else {
    if (q.get('ended')) {
      box.append(h('div', { class: 'banner', role: 'region', 'aria-labelledby': 'ended-title' },
        h('h2', { class: 'banner__title', id: 'ended-title' }, t('login.ended_title')),
        h('div', { class: 'banner__body' }, h('p', null, t('login.ended')))));
    }
    name.focus();
  }
  performance.mark('console-ready');
  document.getElementById('login').addEventListener('submit', (ev) => {
    const errs = [];
    if (!name.value.trim()) errs.push({ id: 'name', text: t('login.need_name') });
    if (!document.getElementById('password').value) errs.push({ id: 'password', text: t('login.need_password') });
    if (errs.length) {
      ev.preventDefault();
      showErrors(box, errs);
    }
  });
}

main();
