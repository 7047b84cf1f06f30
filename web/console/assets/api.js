// api.js: the console's only way to the gateway, /api/v1/ (docs/http.md).
// The session cookie goes along by itself; writes carry the session's CSRF
// token in X-CSRF-Token. Errors become ApiError with the API's own message.

let csrf = '';

export function setCsrf(token) {
  csrf = token || '';
}

export function csrfToken() {
  return csrf;
}

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

// Where a signed-out user goes, coming back here afterwards.
export function signInUrl() {
  const here = location.pathname + location.search;
  return '/console/login?next=' + encodeURIComponent(here);
}

// A query string from an object, leaving out empty values.
export function qs(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) {
      if (v.length) q.set(k, v.join(','));
    } else q.set(k, String(v));
  }
  const s = q.toString();
  return s ? '?' + s : '';
}

// Goes to the sign-in page, once (several answers may say 401 at once).
let leaving = false;
export function toSignIn() {
  if (leaving) return;
  leaving = true;
  // Signed in in this tab before (app.js keeps the role): the session
  // ended while a page was open, and the sign-in page says so.
  let had = null;
  try { had = sessionStorage.getItem('baraza.role'); } catch (e) { /* private mode */ }
  location.replace(signInUrl() + (had ? '&ended=1' : ''));
}

// A random UUID for Idempotency-Key (crypto.randomUUID needs https).
export function uuid() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

// p, its failure marked as handled: a page fetches its data while the
// gateway says who is asking, and awaits it later (pages' load()).
export function quiet(p) {
  if (p) p.catch(() => {});
  return p;
}

// Calls /api/v1/PATH. opts: query (object), json (a body to send as JSON),
// body + type (any other body), idem (Idempotency-Key), raw (answer text),
// background (a refresh no one asked for: it does not keep the session).
// Returns the parsed answer; throws ApiError (after sending a signed-out
// user to the sign-in page for a 401).
export async function api(method, path, opts = {}) {
  const headers = { Accept: 'application/json' };
  let body;
  if (opts.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.body !== undefined) {
    headers['Content-Type'] = opts.type || 'text/csv';
    body = opts.body;
  }
  if (method !== 'GET' && method !== 'HEAD' && csrf) headers['X-CSRF-Token'] = csrf;
  if (opts.idem) headers['Idempotency-Key'] = opts.idem;
  // A page's own timer, not the user: the session's idle time goes on.
  if (opts.background) headers['X-Baraza-Background'] = '1';
  let res;
  try {
    res = await fetch('/api/v1/' + path + qs(opts.query), {
      method, headers, body, credentials: 'same-origin', cache: 'no-store',
    });
  } catch (e) {
    throw new ApiError(0, 'network', null);
  }
  const text = await res.text();
  let data = null;
  if (!opts.raw || !res.ok) {
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
  }
  if (res.status === 401 && !opts.noRedirect) {
    toSignIn();
    throw new ApiError(401, (data && data.error) || 'signed out', data);
  }
  if (!res.ok) {
    throw new ApiError(res.status, (data && data.error) || `HTTP ${res.status}`, data);
  }
  return opts.raw ? text : data;
}
