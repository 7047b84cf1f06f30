// i18n.js: English and Swahili. The user picks; the choice is kept in this
// browser (localStorage). Strings live in i18n/en.js and i18n/sw.js, which
// have the same keys (tests/console/unit.test.mjs checks).

export const LANGS = { en: 'English', sw: 'Kiswahili' };
const KEY = 'baraza-lang';
let lang = 'en';
let strings = {};
let plural = new Intl.PluralRules('en');
let nf = new Intl.NumberFormat('en-GB');

// The language to show: the stored choice when the gateway offers it, else
// the first of the gateway's languages that the console has, else English.
export function pickLang(available) {
  const offered = (available && available.length ? available : Object.keys(LANGS))
    .filter((l) => l in LANGS);
  let stored = null;
  try { stored = localStorage.getItem(KEY); } catch (e) { /* private mode */ }
  if (stored && offered.includes(stored)) return stored;
  if (!available || !available.length) {
    const nav = (navigator.language || 'en').slice(0, 2);
    if (nav in LANGS) return nav;
  }
  return offered[0] || 'en';
}

export function storeLang(l) {
  try { localStorage.setItem(KEY, l); } catch (e) { /* private mode */ }
}

// Starts fetching a language's strings (before it is known to be needed).
export function prefetchLang(l) {
  if (l in LANGS) import(`./i18n/${l}.js`).catch(() => {});
}

export async function loadLang(l) {
  if (!(l in LANGS)) l = 'en';
  const mod = await import(`./i18n/${l}.js`);
  strings = mod.default;
  lang = l;
  plural = new Intl.PluralRules(l);
  nf = new Intl.NumberFormat(locale());
  document.documentElement.lang = l;
}

export function currentLang() {
  return lang;
}

// The locale for numbers and dates.
export function locale() {
  return lang === 'sw' ? 'sw-KE' : 'en-GB';
}

// The string for key with {name} replaced by vars.name (numbers with
// thousands separators). A string with plural forms ({one, other}) is
// chosen by vars.n.
export function t(key, vars) {
  let s = strings[key];
  if (s === undefined) return key;
  if (typeof s === 'object') {
    const n = vars && typeof vars.n === 'number' ? vars.n : 0;
    s = s[plural.select(n)] ?? s.other;
  }
  if (vars) {
    s = s.replace(/\{(\w+)\}/g, (m, k) => {
      if (!(k in vars)) return m;
      return typeof vars[k] === 'number' ? nf.format(vars[k]) : String(vars[k]);
    });
  }
  return s;
}
