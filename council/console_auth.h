/*
 * console_auth.h: signing in and out of the staff console, who is signed
 * in, the users and the audit log (docs/http.md, "Users and sessions"):
 *
 *   POST /console/login      form name, password, next: a session cookie
 *   POST /console/logout     form csrf (or X-CSRF-Token): ends it
 *   GET  /api/v1/me          the principal, its CSRF token, the settings
 *   GET  /api/v1/audit       the audit log, newest first, paged (admin)
 *   /api/v1/users[/NAME]     list, add, change role or password, remove
 *                            (admin)
 *
 * Five failed sign-ins for one name or one address within 10 minutes
 * answer 429 for the rest of those 10 minutes, a right password too.
 * Passwords are checked and hashed in the thread pool, two at a time at
 * most, with a bounded queue behind them: the loop never runs scrypt.
 */
#ifndef BARAZA_CONSOLE_AUTH_H
#define BARAZA_CONSOLE_AUTH_H

#include "gateway/gateway.h"

#define CONSOLE_AUTH_LIMIT 5                /* failures within a window */
#define CONSOLE_AUTH_WINDOW_MS (10 * 60000) /* the window */
#define CONSOLE_AUTH_KEYS 8192              /* names and addresses kept */
#define CONSOLE_AUTH_RUNNING 2              /* scrypt jobs at once */
#define CONSOLE_AUTH_WAITING 32             /* queued behind them */
#define CONSOLE_AUTH_PURGE_MS (10 * 60000)  /* expired sessions go */

/*
 * Under "/console/": rest "login" or "logout". A POST is ours; any other
 * method goes on to the next route registered for the same path (the
 * console's pages), or gets 405.
 */
void
console_auth_console(struct gateway *, struct http_request *, const char *rest);

/* Under "/api/v1/": rest "me", "audit", "users" or "users/NAME". */
void
console_auth_api(struct gateway *, struct http_request *, const char *rest);

/*
 * The service: its state (the throttle, the jobs) lives behind *state;
 * start also runs the purge of expired sessions; stop ends both.
 */
void console_auth_start(struct gateway *, void **state);
void console_auth_stop(struct gateway *, void **state);

#endif
