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

#endif
