// loads.js: what each page fetches first, started by app.js at once, in
// parallel with GET /api/v1/me and the page's own code (a page's data does
// not depend on who asks: the API masks and refuses by itself). Each
// loader returns a promise, or an object of promises, or null; failures
// are left for the page to show (quiet).
import { api, quiet } from './api.js';

const paging = (query) => ({ cursor: query.get('cursor') || '', limit: 50 });

// The reports page's filters, from its URL.
export function reportFilters(query) {
  const get = (k) => query.get(k) || '';
  return { status: get('status'), category: get('category'), q: get('q'), older_than_days: get('older_than_days') };
}

// A contact's messages, newest first, a page of them.
export function contactMessages(id, query) {
  return api('GET', 'messages', { query: { contact: id, ...paging(query) } });
}

export function audit(query) {
  return api('GET', 'audit', { query: paging(query) });
}

export const loads = {
  overview: () => quiet(api('GET', 'overview')),
  // Dates need the gateway's time zone, known only after /me.
  messages: ({ query }) => (query.get('since') || query.get('until') ? null : quiet(api('GET', 'messages', {
    query: {
      phone: query.get('phone') || '', text: query.get('text') || '', channel: query.get('channel') || '',
      state: query.get('state') || '', direction: query.get('direction') || '', ...paging(query),
    },
  }))),
  conversation: ({ id, query }) => ({
    contact: quiet(api('GET', `contacts/${id}`, { query: { messages: 0 } })), messages: quiet(contactMessages(id, query)),
  }),
  reports: ({ query }) => quiet(api('GET', 'reports', { query: { ...reportFilters(query), ...paging(query) } })),
  report: ({ id }) => quiet(api('GET', `reports/${id}`)),
  broadcasts: ({ query }) => (query.get('id') ? null : quiet(api('GET', 'topics'))),
  contacts: ({ query }) => quiet(api('GET', 'contacts', { query: { q: query.get('q') || '', ...paging(query) } })),
  /* The page shows the latest 5 messages: it asks for 5. */
  contact: ({ id }) => quiet(api('GET', `contacts/${id}`, { query: { messages: 5 } })),
  flows: () => quiet(api('GET', 'flows')),
  tables: () => quiet(api('GET', 'tables')),
  users: ({ query }) => ({ users: quiet(api('GET', 'users')), audit: quiet(audit(query)) }),
};
