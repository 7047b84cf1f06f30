// app.js: every console page but sign-in starts here. It finds the page of
// this URL, asks the gateway who is signed in (GET /api/v1/me), draws the
// header and navigation in the user's language, and hands the main area
// to the page's module (pages/NAME.js: export async function render).
import { api, ApiError, setCsrf, toSignIn } from './api.js';
import { LANGS, currentLang, loadLang, pickLang, prefetchLang, storeLang, t } from './i18n.js';
import { loads } from './loads.js';
import { errorText, h, mount, setZone, zoneLabel, can } from './ui.js';

// path -> page module and its navigation entry.
const ROUTES = [
  [/^\/console\/$/, 'overview', 'overview'],
  [/^\/console\/messages$/, 'messages', 'messages'],
  [/^\/console\/messages\/contact\/(\d+)$/, 'conversation', 'messages'],
  [/^\/console\/reports$/, 'reports', 'reports'],
  [/^\/console\/reports\/(\d+)$/, 'report', 'reports'],
  [/^\/console\/broadcasts$/, 'broadcasts', 'broadcasts'],
  [/^\/console\/notifications$/, 'notifications', 'notifications'],
  [/^\/console\/contacts$/, 'contacts', 'contacts'],
  [/^\/console\/contacts\/(\d+)$/, 'contact', 'contacts'],
  [/^\/console\/flows$/, 'flows', 'flows'],
  [/^\/console\/tables$/, 'tables', 'tables'],
  [/^\/console\/users$/, 'users', 'users'],
];

// What each page's module imports beyond app.js's own: fetched at once,
// in parallel, rather than found one level at a time.
const DEPS = {
  overview: ['chart.js'],
  messages: ['compose.js', 'gsm.js'],
  conversation: ['pages/messages.js', 'compose.js', 'gsm.js'],
  report: ['pages/reports.js'],
  broadcasts: ['compose.js', 'gsm.js', 'progress.js'],
  notifications: ['progress.js'],
};

const NAV = [
  ['overview', '/console/'],
  ['messages', '/console/messages'],
  ['reports', '/console/reports'],
  ['broadcasts', '/console/broadcasts'],
  ['notifications', '/console/notifications'],
  ['contacts', '/console/contacts'],
  ['flows', '/console/flows'],
  ['tables', '/console/tables'],
  ['users', '/console/users', 'admin'],
];

// The role of this browser's last sign-in, so that a page only one role
// sees loads its data early only for a browser that had that role: a
// viewer's browser never asks for what it may not see (the page asks once
// it knows who is signed in). The sign-in page forgets it.
const ROLE_HINT = 'baraza.role';

function roleHint() {
  try { return sessionStorage.getItem(ROLE_HINT); } catch (e) { return null; }
}

function keepRoleHint(role) {
  try { sessionStorage.setItem(ROLE_HINT, role); } catch (e) { /* private mode */ }
}

function route() {
  for (const [re, page, nav] of ROUTES) {
    const m = re.exec(location.pathname);
    if (m) return { page, nav, id: m[1] || null };
  }
  return { page: 'overview', nav: 'overview', id: null };
}

function header(me) {
  document.querySelector('.skip-link').textContent = t('skip');
  const inner = document.querySelector('.header__inner');
  const langs = (me.languages || ['en']).filter((l) => l in LANGS);
  const tools = h('div', { class: 'header__tools' },
    h('span', { class: 'header__user' }, t('header.signedin', { name: me.name, role: t('role.' + me.role) })),
    langs.length > 1
      ? h('div', { class: 'actions', role: 'group', 'aria-label': t('header.language') },
        langs.map((l) => h('button', {
          class: 'link-button', type: 'button', lang: l, 'aria-pressed': String(l === currentLang()),
          onclick: () => { storeLang(l); location.reload(); },
        }, LANGS[l])))
      : null,
    h('form', { method: 'post', action: '/console/logout' },
      h('input', { type: 'hidden', name: 'csrf', value: me.csrf || '' }),
      h('button', { class: 'link-button', type: 'submit' }, t('header.signout'))));
  inner.querySelector('.header__tools')?.remove();
  inner.append(tools);
}

function nav(me, current) {
  const el = document.getElementById('nav');
  el.setAttribute('aria-label', t('nav.label'));
  mount(el, h('ul', null, NAV.filter(([, , role]) => !role || can(me, role)).map(([name, href]) =>
    h('li', null, h('a', { href, 'aria-current': name === current ? 'page' : null }, t('nav.' + name))))));
}

function footer() {
  mount(document.getElementById('footer'), h('p', null, t('footer.zone', { zone: zoneLabel() })));
}

async function main() {
  const r = route();
  const main = document.getElementById('main');
  // The page's code and the likely language load while the gateway
  // answers who this is.
  for (const d of DEPS[r.page] || []) {
    document.head.append(h('link', { rel: 'modulepreload', href: `/console/assets/${d}` }));
  }
  const query = new URLSearchParams(location.search);
  const modP = import(`./pages/${r.page}.js`);
  const needs = (NAV.find(([name]) => name === r.nav) || [])[2];
  const early = !needs || can({ role: roleHint() }, needs);
  const data = early && loads[r.page] ? loads[r.page]({ id: r.id, query }) : null;
  prefetchLang(pickLang(null));
  let me;
  try {
    me = await api('GET', 'me', { noRedirect: true });
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      toSignIn();
      return;
    }
    await loadLang(pickLang(null));
    mount(main, h('h1', null, t('error.title')), h('p', null, errorText(e)));
    return;
  }
  setCsrf(me.csrf);
  keepRoleHint(me.role);
  setZone(me.tz, me.tz_offset_minutes);
  await loadLang(pickLang(me.languages));
  header(me);
  nav(me, r.nav);
  footer();
  document.title = `${t('title.' + r.page)} – ${t('app.name')}`;
  try {
    const mod = await modP;
    mount(main);
    await mod.render(main, { me, id: r.id, query, data });
    // The page is drawn with its data (the tests time this).
    performance.mark('console-ready');
  } catch (e) {
    mount(main, h('h1', null, t('title.' + r.page)),
      h('div', { class: 'error-summary', role: 'alert' }, h('h2', null, t('error.title')), h('p', null, errorText(e))));
  }
}

main();
