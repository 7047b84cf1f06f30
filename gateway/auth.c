/*
 * auth.c: who is asking and what they may do: the admin bearer token or a
 * console session cookie, the CSRF token of cookie writes, roles, masked
 * numbers for viewers, the audit log (gateway/auth.h).
 */
#include "gateway/auth.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "gateway/answer.h"
#include "gateway/gateway.h"
#include "lib/log.h"
#include "lib/scrub.h"
#include "lib/sig.h"
#include "lib/util.h"

#define NO_CREDENTIALS "{\"error\":\"sign in or send the bearer token\"}"

static const char *const role_names[] = {
    [ROLE_NONE] = "none",
    [ROLE_VIEWER] = "viewer",
    [ROLE_STAFF] = "staff",
    [ROLE_ADMIN] = "admin",
};

const char *
role_name(enum role r)
{
	if ((unsigned)r >= nitems(role_names))
		return "none";
	return role_names[r];
}

int
role_parse(const char *s, enum role *out)
{
	size_t i;

	for (i = ROLE_VIEWER; s != NULL && i < nitems(role_names); i++) {
		if (strcmp(s, role_names[i]) == 0) {
			*out = (enum role)i;
			return 0;
		}
	}
	return -1;
}

/* Base64url without padding of n bytes into out (4 * n / 3 + 2 bytes). */
static void
base64url(const unsigned char *p, size_t n, char *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				"abcdefghijklmnopqrstuvwxyz0123456789-_";
	uint32_t v;
	size_t i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		out[o++] = a[v >> 6 & 63];
		out[o++] = a[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)p[i] << 16;
		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
	} else if (n - i == 2) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		out[o++] = a[v >> 6 & 63];
	}
	out[o] = '\0';
}

/* A new random token: 32 random bytes in base64url. 0 or -1. */
static int
random_token(char out[AUTH_TOKEN_LEN + 1])
{
	unsigned char r[32];

	if (RAND_bytes(r, sizeof(r)) != 1)
		return -1;
	base64url(r, sizeof(r), out);
	OPENSSL_cleanse(r, sizeof(r));
	return 0;
}

/* The session id the store keeps for a cookie's value. 0 or -1. */
static int
session_id(const char *value, unsigned char id[STORE_WEB_SESSION_ID])
{
	unsigned int n = 0;

	if (EVP_Digest(value, strlen(value), id, &n, EVP_sha256(), NULL) != 1 ||
	    n != STORE_WEB_SESSION_ID)
		return -1;
	return 0;
}

/* 1 when s is exactly AUTH_TOKEN_LEN characters of base64url. */
static int
token_valid(const char *s, size_t n)
{
	size_t i;

	if (n != AUTH_TOKEN_LEN)
		return 0;
	for (i = 0; i < n; i++) {
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
			(s[i] >= 'a' && s[i] <= 'z') ||
			(s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
			s[i] == '_'))
			return 0;
	}
	return 1;
}

/*
 * Finds the value of the session cookie in req's Cookie headers. Returns 1
 * and copies it into out when it is there and well-formed, 0 when there
 * is no such cookie, -1 when there is one that cannot be ours.
 */
static int
find_cookie(const struct http_request *req, char out[AUTH_TOKEN_LEN + 1])
{
	const size_t nlen = strlen(AUTH_COOKIE);
	const char *p, *v, *end;
	size_t i;

	for (i = 0; i < req->nheaders; i++) {
		if (!str_ieq(req->headers[i].name, "Cookie"))
			continue;
		for (p = req->headers[i].value; *p != '\0'; p = end) {
			while (*p == ' ' || *p == '\t' || *p == ';')
				p++;
			end = strchr(p, ';');
			if (end == NULL)
				end = p + strlen(p);
			if ((size_t)(end - p) <= nlen ||
			    strncmp(p, AUTH_COOKIE, nlen) != 0 ||
			    p[nlen] != '=')
				continue;
			v = p + nlen + 1;
			while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
				end--;
			if (!token_valid(v, (size_t)(end - v)))
				return -1;
			memcpy(out, v, AUTH_TOKEN_LEN);
			out[AUTH_TOKEN_LEN] = '\0';
			return 1;
		}
	}
	return 0;
}

/* 1 for a method that changes something (anything but GET and HEAD). */
static int
is_write(const struct http_request *req)
{
	return strcmp(req->method, "GET") != 0 &&
	       strcmp(req->method, "HEAD") != 0;
}

/*
 * Looks up the session of req's cookie at now into *p and its id into id.
 * 0 found, 1 none (or expired, or malformed), -1 the store failed.
 */
static int
lookup(struct gateway *gw, const struct http_request *req, int64_t now,
    struct principal *p, unsigned char id[STORE_WEB_SESSION_ID],
    struct store_web_session *ws)
{
	char value[AUTH_TOKEN_LEN + 1];
	enum role role;
	int rc;

	memset(p, 0, sizeof(*p));
	if (find_cookie(req, value) != 1)
		return 1;
	rc = session_id(value, id);
	OPENSSL_cleanse(value, sizeof(value));
	if (rc != 0)
		return -1;
	rc = store_web_session_get(gw->store, id, now, ws);
	if (rc == STORE_NOTFOUND)
		return 1;
	if (rc != 0)
		return -1;
	if (role_parse(ws->role, &role) != 0)
		return 1;
	p->role = role;
	p->token = 0;
	p->user_id = ws->user_id;
	memcpy(p->name, ws->user, strnlen(ws->user, AUTH_NAME_MAX));
	memcpy(p->csrf, ws->csrf, strnlen(ws->csrf, AUTH_TOKEN_LEN));
	return 0;
}

static void
answer_unauthorized(struct http_request *req)
{
	http_respond_ex(req, 401, "application/json",
	    "WWW-Authenticate: Bearer\r\n", NO_CREDENTIALS,
	    strlen(NO_CREDENTIALS));
}

int
auth_request(
    struct gateway *gw, struct http_request *req, struct principal *out)
{
	unsigned char id[STORE_WEB_SESSION_ID];
	struct store_web_session ws;
	const char *auth = http_header(req, "Authorization");
	const char *csrf;
	int64_t now;
	int rc;

	memset(out, 0, sizeof(*out));
	/*
	 * A request that names a bearer token is judged by it alone: a
	 * wrong one is refused even with a cookie beside it. Without a
	 * configured token no bearer token is authorised.
	 */
	if (auth != NULL) {
		/* RFC 9110 11.1: the scheme is case-insensitive, then 1*SP. */
		if (strncasecmp(auth, "Bearer ", 7) != 0 ||
		    !sig_equal(auth + 7 + strspn(auth + 7, " "),
			gw->cfg->admin_token)) {
			answer_unauthorized(req);
			return -1;
		}
		out->role = ROLE_ADMIN;
		out->token = 1;
		snprintf(out->name, sizeof(out->name), "token");
		return 0;
	}
	now = now_ms();
	rc = lookup(gw, req, now, out, id, &ws);
	if (rc < 0) {
		answer_error(req, 503, "the store failed; try again");
		return -1;
	}
	if (rc > 0) {
		answer_unauthorized(req);
		return -1;
	}
	if (is_write(req) &&
	    ((csrf = http_header(req, "X-CSRF-Token")) == NULL ||
		!sig_equal(csrf, out->csrf))) {
		memset(out, 0, sizeof(*out));
		answer_error(req, 403, "missing or wrong CSRF token");
		return -1;
	}
	/*
	 * Use keeps the session alive; its row is written at most once a
	 * minute (a busy console reads every few seconds). A page's own
	 * refresh (X-Baraza-Background) is no use: an overview left open
	 * signs out after console_session as any idle page does
	 * (console.md: "of inactivity").
	 */
	if (now - ws.last_seen >= AUTH_TOUCH_MS &&
	    http_header(req, "X-Baraza-Background") == NULL &&
	    (store_in_transaction(gw->store) || batch_begin(&gw->batch) == 0) &&
	    store_web_session_touch(
		gw->store, id, now, now + gw->cfg->console_session_ms) != 0)
		log_warn("auth", "session not refreshed user=%s", out->name);
	return 0;
}

const struct principal *
auth_principal(const struct http_request *req)
{
	return req != NULL ? req->udata : NULL;
}

int
auth_require(struct http_request *req, enum role role)
{
	const struct principal *p = auth_principal(req);
	char msg[80];

	if (p == NULL || p->role == ROLE_NONE) {
		answer_unauthorized(req);
		return -1;
	}
	if (p->role < role) {
		snprintf(msg, sizeof(msg), "your role (%s) cannot do this",
		    role_name(p->role));
		answer_error(req, 403, msg);
		return -1;
	}
	return 0;
}

const char *
auth_phone(
    const struct http_request *req, const char *phone, char *out, size_t outlen)
{
	const struct principal *p = auth_principal(req);

	if (phone != NULL && p != NULL && p->role >= ROLE_STAFF)
		return phone;
	return scrub_phone(phone, out, outlen);
}

/* Opens the turn's transaction unless one is open. 0 or -1. */
static int
in_transaction(struct gateway *gw)
{
	if (store_in_transaction(gw->store))
		return 0;
	return batch_begin(&gw->batch) == 0 ? 0 : -1;
}

int
audit_record(struct gateway *gw, const struct http_request *req,
    const char *action, const char *object, const char *detail)
{
	const struct principal *p = auth_principal(req);
	const char *user = p != NULL && p->name[0] != '\0' ? p->name : "-";

	if (in_transaction(gw) != 0)
		return -1;
	if (store_audit_insert(
		gw->store, now_ms(), user, action, object, detail) != 0) {
		log_warn("auth", "audit entry not kept action=%s", action);
		return -1;
	}
	return 0;
}

int
auth_session_start(struct gateway *gw, int64_t user_id, int64_t now,
    char cookie[AUTH_TOKEN_LEN + 1], char csrf[AUTH_TOKEN_LEN + 1])
{
	unsigned char id[STORE_WEB_SESSION_ID];

	if (random_token(cookie) != 0 || random_token(csrf) != 0 ||
	    session_id(cookie, id) != 0 || in_transaction(gw) != 0 ||
	    store_web_session_insert(gw->store, id, user_id, csrf, now,
		now + gw->cfg->console_session_ms) != 0) {
		OPENSSL_cleanse(cookie, AUTH_TOKEN_LEN + 1);
		return -1;
	}
	return 0;
}

int
auth_session_find(struct gateway *gw, const struct http_request *req,
    int64_t now, struct principal *out)
{
	unsigned char id[STORE_WEB_SESSION_ID];
	struct store_web_session ws;

	return lookup(gw, req, now, out, id, &ws);
}

int
auth_session_end(struct gateway *gw, const struct http_request *req)
{
	unsigned char id[STORE_WEB_SESSION_ID];
	char value[AUTH_TOKEN_LEN + 1];
	int rc;

	if (find_cookie(req, value) != 1)
		return 0;
	rc = session_id(value, id);
	OPENSSL_cleanse(value, sizeof(value));
	if (rc != 0 || in_transaction(gw) != 0 ||
	    store_web_session_delete(gw->store, id) != 0)
		return -1;
	return 0;
}

const char *
auth_cookie_header(
    const struct gateway *gw, const char *value, char *out, size_t outlen)
{
	const char *url = gw->cfg->public_url;
	int secure = url != NULL && strncmp(url, "https://", 8) == 0;

	snprintf(out, outlen,
	    "Set-Cookie: " AUTH_COOKIE "=%s; Path=/;%s HttpOnly;"
	    " SameSite=Strict%s\r\n",
	    value != NULL ? value : "", value != NULL ? "" : " Max-Age=0;",
	    secure ? "; Secure" : "");
	return out;
}
