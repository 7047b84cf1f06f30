/*
 * auth.h: who is asking, and what they may do (interfaces.md, "Users and
 * the staff console"; docs/console.md).
 *
 * The router authenticates every request under /api/v1/ before any handler
 * runs: the admin bearer token (full rights, principal "token") or a
 * console session cookie (the user's role). A write authenticated by the
 * cookie must carry the session's CSRF token in X-CSRF-Token. The
 * principal is attached to the request (req->udata) for the synchronous
 * part of the handler only: a handler that answers later (after a commit)
 * copies what it needs first.
 */
#ifndef BARAZA_AUTH_H
#define BARAZA_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "lib/http.h"

struct gateway;

/* Roles, in order of rights: each has every right of the ones before. */
enum role {
	ROLE_NONE = 0, /* not signed in */
	ROLE_VIEWER,   /* reads everything, numbers masked */
	ROLE_STAFF,    /* also sends, retries, triages, broadcasts, notifies */
	ROLE_ADMIN,    /* also users, tables, forget, the audit log */
};

#define AUTH_NAME_MAX 64  /* bytes of a user name */
#define AUTH_TOKEN_LEN 43 /* base64url of 32 random bytes, no padding */

/* Who is asking. */
struct principal {
	enum role role;                /* what they may do */
	int token;                     /* 1: the admin bearer token */
	int64_t user_id;               /* users.id; 0 for the token */
	char name[AUTH_NAME_MAX + 1];  /* the user's name, "token" */
	char csrf[AUTH_TOKEN_LEN + 1]; /* the session's CSRF token, or "" */
};

/* "viewer", "staff", "admin" ("none" for ROLE_NONE): static strings. */
const char *role_name(enum role);

/* Parses a role name. Returns 0 and sets *out, or -1. */
int role_parse(const char *, enum role *out);

/*
 * Authenticates req for the API: the bearer token, else the session
 * cookie (which it refreshes: last_seen), checking the CSRF token on
 * writes. Returns 0 and fills *out; otherwise answers req itself (401
 * without credentials or with a wrong or expired one, 403 for a missing or
 * wrong CSRF token) and returns -1.
 */
int
auth_request(struct gateway *, struct http_request *req, struct principal *out);

/*
 * The principal the router attached to req, or NULL when none (outside the
 * API). Valid during the handler's synchronous part only.
 */
const struct principal *auth_principal(const struct http_request *req);

/*
 * 0 when req's principal has at least role; otherwise answers req (401
 * without a principal, 403 "your role (viewer) cannot do this") and
 * returns -1: the handler then returns at once.
 */
int auth_require(struct http_request *req, enum role role);

/*
 * A phone number as req's principal may see it: whole for staff and
 * admins, masked like the logs for viewers ("+254*******01"). Writes into
 * out (at least 32 bytes) and returns it, or returns phone itself when it
 * may be shown whole.
 */
const char *auth_phone(const struct http_request *req, const char *phone,
    char *out, size_t outlen);

/*
 * Keeps a write in the audit log, in the turn's open transaction
 * (batch_begin() first), so it is kept exactly when the write is: the
 * time, req's principal's name ("token" for the bearer token; "-" when
 * req is NULL), action ("report.update"), object ("report/7", may be
 * NULL) and detail (may be NULL; never a phone number). Returns 0 or a
 * negative value when the store failed.
 */
int audit_record(struct gateway *, const struct http_request *req,
    const char *action, const char *object, const char *detail);

/*
 * Web sessions, for signing in and out (council/console_auth.c). The
 * cookie's value is AUTH_TOKEN_LEN characters of base64url (32 random
 * bytes); the store keeps only its SHA-256, so what the table holds cannot
 * be sent back as a cookie.
 */

#define AUTH_COOKIE "baraza_session" /* the session cookie's name */
#define AUTH_TOUCH_MS 60000          /* last_seen written at most this often */

/*
 * Starts a web session of user_id at now, ending after the config's
 * console_session without use, in the turn's open transaction (as
 * audit_record). Writes the cookie's value and the session's CSRF token
 * (each AUTH_TOKEN_LEN + 1 bytes with the NUL). Returns 0, or -1 when
 * random bytes or the store failed.
 */
int auth_session_start(struct gateway *, int64_t user_id, int64_t now,
    char cookie[AUTH_TOKEN_LEN + 1], char csrf[AUTH_TOKEN_LEN + 1]);

/*
 * The session of req's cookie, not expired at now, as a principal in *out
 * (nothing is written). Returns 0, 1 when req has no valid session, or -1
 * when the store failed.
 */
int auth_session_find(struct gateway *, const struct http_request *req,
    int64_t now, struct principal *out);

/*
 * Ends the session of req's cookie, in the turn's open transaction (0 also
 * when there was none). Returns 0 or -1 when the store failed.
 */
int auth_session_end(struct gateway *, const struct http_request *req);

/*
 * Writes the header line "Set-Cookie: baraza_session=VALUE; Path=/;
 * HttpOnly; SameSite=Strict\r\n" (with "; Secure" when the config's
 * public_url is https) into out; value NULL writes one that clears the
 * cookie (Max-Age=0). Returns out.
 */
const char *auth_cookie_header(
    const struct gateway *, const char *value, char *out, size_t outlen);

#define AUTH_COOKIE_HEADER_MAX 160 /* bytes such a header line needs */

#endif
