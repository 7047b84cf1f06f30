/*
 * console_auth.c: signing in and out, /api/v1/me, the audit log and the
 * users API (council/console_auth.h).
 *
 * A password check or hash is a job for the thread pool: the handler does
 * what needs the store first (the user's row), the job runs scrypt alone,
 * and its completion on the loop writes (session, user, audit entry) in
 * the turn's transaction; the answer goes out after the commit. A job
 * carries copies of everything it needs: the principal on the request is
 * valid during the handler's synchronous part only.
 */
#include "council/console_auth.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "council/throttle.h"
#include "council/users.h"
#include "gateway/answer.h"
#include "gateway/auth.h"
#include "lib/form.h"
#include "lib/log.h"
#include "lib/scrub.h"
#include "lib/sig.h"
#include "lib/util.h"

#define NEXT_MAX 512    /* bytes of a `next` path */
#define KEY_MAX 80      /* bytes of a throttle key */
#define PAGE_DEFAULT 50 /* audit entries a page */
#define PAGE_MAX 200    /* at most */
#define DEFAULT_NEXT "/console/"
#define LOGIN_PAGE "/console/login"

enum job_kind {
	JOB_SIGNIN,   /* check a password, then start a session */
	JOB_USER_ADD, /* hash a password, then add a user */
	JOB_USER_SET, /* hash a password, then change a user */
};

struct auth_state;

/* A password to check or hash in the thread pool. */
struct job {
	TAILQ_ENTRY(job) link;
	uv_work_t work;               /* in the thread pool */
	enum job_kind kind;           /* what follows */
	struct auth_state *as;        /* the service's state */
	struct gateway *gw;           /* the gateway */
	struct http_request *req;     /* answered after the job */
	struct principal who;         /* JOB_USER_*: the admin asking */
	char name[AUTH_NAME_MAX + 1]; /* the user */
	char *password;               /* owned; cleansed when freed */
	char hash[USERS_HASH_MAX];    /* signin: the user's; else the new one */
	int known;                    /* signin: the user exists */
	int64_t user_id;              /* signin: users.id */
	enum role role;               /* the user's role (new role) */
	int set_role;                 /* JOB_USER_SET: the role changes too */
	char next[NEXT_MAX];          /* signin: where to go */
	char addr_key[KEY_MAX];       /* signin: the address's throttle key */
	char name_key[KEY_MAX];       /* signin: the name's throttle key */
	int result;                   /* signin: 1 match; hash: 0 done */
};

TAILQ_HEAD(job_queue, job);

/*
 * The service's state, behind the gateway's slot for it. It lives until
 * the service has stopped, its timer is closed and no job is in the
 * thread pool (a job's completion may come after the stop).
 */
struct auth_state {
	struct gateway *gw;       /* the gateway */
	struct throttle throttle; /* failed sign-ins by address */
	/*
	 * By name, users' names apart from the others: a flood of made-up
	 * names (which cost no password hashing) fills other_names and cannot
	 * push a user's lock out of names; nor can a flood of addresses.
	 */
	struct throttle names, other_names;
	struct job_queue waiting; /* jobs not started yet */
	size_t nwaiting;          /* their number */
	int running;              /* jobs in the thread pool */
	int stopped;              /* the service has stopped */
	int timer_closed;         /* purge's close callback ran */
	uv_timer_t purge;         /* expired sessions go */
};

/* The state of the running service, or NULL (not started, or stopped). */
static struct auth_state *
state_of(const struct gateway *gw)
{
	return gateway_service_state(gw, console_auth_start);
}

/* Frees as once nothing refers to it any more. */
static void
state_release(struct auth_state *as)
{
	if (!as->stopped || !as->timer_closed || as->running > 0)
		return;
	throttle_free(&as->throttle);
	throttle_free(&as->names);
	throttle_free(&as->other_names);
	free(as);
}

/* An answer kept until the turn's transaction ends. */
struct later {
	struct http_request *req;
	int status;
	char *ctype; /* or NULL */
	char *extra; /* header lines, or NULL */
	char *body;  /* or NULL */
	size_t len;
};

static void
on_committed(void *arg, int ok)
{
	struct later *l = arg;

	if (!ok)
		answer_error(l->req, 503, "the store failed; try again");
	else
		http_respond_ex(
		    l->req, l->status, l->ctype, l->extra, l->body, l->len);
	free(l->ctype);
	free(l->extra);
	free(l->body);
	free(l);
}

/* Answers req after the commit (batch_begin first). */
static void
answer_later(struct gateway *gw, struct http_request *req, int status,
    const char *ctype, const char *extra, const char *body, size_t len)
{
	struct later *l = xcalloc(1, sizeof(*l));

	l->req = req;
	l->status = status;
	l->ctype = ctype ? xstrdup(ctype) : NULL;
	l->extra = extra ? xstrdup(extra) : NULL;
	l->body = body ? xstrndup(body, len) : NULL;
	l->len = body ? len : 0;
	batch_defer(&gw->batch, on_committed, l);
}

/* Answers req with o (taking it) after the commit. */
static void
json_later(struct gateway *gw, struct http_request *req, int status, json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);

	answer_later(gw, req, status, "application/json", NULL, s, strlen(s));
	free(s);
	json_decref(o);
}

/* An audit entry on behalf of who (a copy: req's own may be gone). */
static int
audit_as(struct gateway *gw, struct http_request *req,
    const struct principal *who, const char *action, const char *object,
    const char *detail)
{
	void *saved = req->udata;
	int rc;

	req->udata = (void *)who;
	rc = audit_record(gw, req, action, object, detail);
	req->udata = saved;
	return rc;
}

/* Parses req's body as a JSON object, or answers 400 and returns NULL. */
static json_t *
body_object(struct http_request *req)
{
	json_error_t e;
	json_t *o;
	char msg[200];

	o = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &e);
	if (o == NULL || !json_is_object(o)) {
		snprintf(msg, sizeof(msg), "the body must be a JSON object%s%s",
		    o == NULL ? ": " : "", o == NULL ? e.text : "");
		json_decref(o);
		answer_error(req, 400, msg);
		return NULL;
	}
	return o;
}

/* A time for JSON: ISO 8601 UTC, or null for none (-1). */
static json_t *
json_time(int64_t ms)
{
	char t[32];

	if (ms < 0)
		return json_null();
	iso8601_utc(ms, t, sizeof(t));
	return json_string(t);
}

/* The jobs. */

static void job_start_next(struct auth_state *);

static void
job_free(struct job *j)
{
	if (j->password != NULL) {
		OPENSSL_cleanse(j->password, strlen(j->password));
		free(j->password);
	}
	OPENSSL_cleanse(j, sizeof(*j));
	free(j);
}

/* In the thread pool: scrypt, nothing else. */
static void
on_job_work(uv_work_t *w)
{
	struct job *j = container_of(w, struct job, work);

	if (j->kind == JOB_SIGNIN) {
		if (j->known)
			j->result = users_verify(j->password, j->hash) == 1;
		else {
			users_verify_dummy(j->password);
			j->result = 0;
		}
	} else
		j->result = users_hash(j->password, j->hash);
	/*
	 * libcrypto keeps state per thread (its error queue, a random
	 * generator) that it frees when a thread ends; the pool's threads
	 * outlive the library's own clean-up at exit, so free it now.
	 */
	OPENSSL_thread_stop();
}

static void signin_done(struct job *);
static void user_job_done(struct job *);

static void
on_job_done(uv_work_t *w, int status)
{
	struct job *j = container_of(w, struct job, work);
	struct auth_state *as = j->as;

	as->running--;
	OPENSSL_cleanse(j->password, strlen(j->password));
	if (status != 0 || as->stopped || j->gw->stopping)
		answer_error(j->req, 503, "the gateway is stopping");
	else if (j->kind == JOB_SIGNIN)
		signin_done(j);
	else
		user_job_done(j);
	job_free(j);
	if (as->stopped)
		state_release(as);
	else
		job_start_next(as);
}

/* Starts waiting jobs while there is room. */
static void
job_start_next(struct auth_state *as)
{
	struct job *j;

	while (as->running < CONSOLE_AUTH_RUNNING &&
	       (j = TAILQ_FIRST(&as->waiting)) != NULL) {
		TAILQ_REMOVE(&as->waiting, j, link);
		as->nwaiting--;
		if (uv_queue_work(
			j->gw->loop, &j->work, on_job_work, on_job_done) != 0) {
			answer_error(j->req, 503, "the gateway is busy");
			job_free(j);
			continue;
		}
		as->running++;
	}
}

/*
 * Queues j (taking it). Returns 0, or -1 when the queue is full: j is
 * freed and the caller answers.
 */
static int
job_submit(struct auth_state *as, struct job *j)
{
	if (as->nwaiting >= CONSOLE_AUTH_WAITING) {
		job_free(j);
		return -1;
	}
	j->as = as;
	TAILQ_INSERT_TAIL(&as->waiting, j, link);
	as->nwaiting++;
	job_start_next(as);
	return 0;
}

static void
answer_busy(struct http_request *req)
{
	static const char body[] =
	    "{\"error\":\"too many passwords to check at once; try again\"}";

	http_respond_ex(req, 503, "application/json", "Retry-After: 1\r\n",
	    body, sizeof(body) - 1);
}

/* Signing in and out. */

/*
 * 1 when next is a path under /console/ that is safe to send back in a
 * Location header: printable, no "//", no "..", no backslash.
 */
static int
next_valid(const char *next)
{
	size_t i;

	if (next == NULL || strncmp(next, DEFAULT_NEXT, 9) != 0 ||
	    strnlen(next, NEXT_MAX) >= NEXT_MAX || strstr(next, "//") != NULL ||
	    strstr(next, "..") != NULL)
		return 0;
	for (i = 0; next[i] != '\0'; i++)
		if ((unsigned char)next[i] <= ' ' ||
		    (unsigned char)next[i] >= 0x7f || next[i] == '\\' ||
		    next[i] == '"' || next[i] == '<' || next[i] == '>')
			return 0;
	return 1;
}

/*
 * 1 when a browser's Origin (when it sent one) is this host: a sign-in
 * form posted from another site is refused.
 */
static int
same_origin(const struct http_request *req)
{
	const char *origin = http_header(req, "Origin");
	const char *host = http_header(req, "Host");
	const char *o;

	if (origin == NULL)
		return 1;
	if (host == NULL)
		return 0;
	if (strncmp(origin, "http://", 7) == 0)
		o = origin + 7;
	else if (strncmp(origin, "https://", 8) == 0)
		o = origin + 8;
	else
		return 0;
	return str_ieq(o, host);
}

/* 303 to where, with extra header lines (may be NULL), now. */
static void
see_other(struct http_request *req, const char *where, const char *extra)
{
	char h[4 * NEXT_MAX + AUTH_COOKIE_HEADER_MAX];

	snprintf(h, sizeof(h), "Location: %s\r\nCache-Control: no-store\r\n%s",
	    where, extra != NULL ? extra : "");
	http_respond_ex(req, 303, NULL, h, NULL, 0);
}

/* As see_other, after the commit. */
static void
see_other_later(struct gateway *gw, struct http_request *req, const char *where,
    const char *extra)
{
	char h[4 * NEXT_MAX + AUTH_COOKIE_HEADER_MAX];

	snprintf(h, sizeof(h), "Location: %s\r\nCache-Control: no-store\r\n%s",
	    where, extra != NULL ? extra : "");
	answer_later(gw, req, 303, NULL, h, NULL, 0);
}

static void
answer_throttled(struct http_request *req, int64_t wait_ms)
{
	char extra[64], body[512];
	int64_t secs = (wait_ms + 999) / 1000, mins = (secs + 59) / 60;
	int n;

	snprintf(extra, sizeof(extra),
	    "Retry-After: %" PRId64 "\r\nCache-Control: no-store\r\n", secs);
	n = snprintf(body, sizeof(body),
	    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<title>Too many sign-in attempts</title></head><body><main>"
	    "<h1>Too many sign-in attempts</h1><p>There were too many failed "
	    "sign-ins for this name or from this address. Wait %" PRId64
	    " minute%s, then try again.</p>"
	    "<p><a href=\"" LOGIN_PAGE "\">Back to sign in</a></p>"
	    "</main></body></html>\n",
	    mins, mins == 1 ? "" : "s");
	http_respond_ex(
	    req, 429, "text/html; charset=utf-8", extra, body, (size_t)n);
}

/*
 * A principal for the audit entries and log lines of a sign-in: the name
 * tried. An invalid name might be a password typed in the wrong field
 * ("-"); a name that did not sign in may be the number of whoever typed
 * it, so its digit runs are masked as the log masks numbers.
 */
static void
signin_who(struct principal *who, const char *name, enum role role)
{
	char *masked;

	memset(who, 0, sizeof(*who));
	who->role = role;
	if (!users_name_valid(name)) {
		snprintf(who->name, sizeof(who->name), "-");
		return;
	}
	masked = role == ROLE_NONE ? scrub_mask_numbers(name) : NULL;
	snprintf(
	    who->name, sizeof(who->name), "%s", masked != NULL ? masked : name);
	free(masked);
}

static void
signin_failed(struct job *j)
{
	struct gateway *gw = j->gw;
	struct principal who;
	char object[AUTH_NAME_MAX + 8], detail[KEY_MAX + 16];
	struct buf where;

	signin_who(&who, j->name, ROLE_NONE);
	snprintf(object, sizeof(object), "user/%s", who.name);
	snprintf(detail, sizeof(detail), "address=%s", j->req->remote);
	log_info(
	    "auth", "sign-in failed user=%s addr=%s", who.name, j->req->remote);
	if (batch_begin(&gw->batch) != 0 ||
	    audit_as(gw, j->req, &who, "session.signin_failed", object,
		detail) != 0) {
		answer_error(j->req, 503, "the store failed; try again");
		return;
	}
	/* Back to the form, which keeps where the user was going. */
	buf_init(&where, 3 * NEXT_MAX + 40);
	if (buf_puts(&where, LOGIN_PAGE "?failed=1") != 0 ||
	    (strcmp(j->next, DEFAULT_NEXT) != 0 &&
		(buf_puts(&where, "&next=") != 0 ||
		    url_encode_buf(&where, j->next, strlen(j->next)) != 0))) {
		buf_reset(&where);
		buf_puts(&where, LOGIN_PAGE "?failed=1");
	}
	see_other_later(gw, j->req, buf_cstr(&where), NULL);
	buf_free(&where);
}

/*
 * An attempt refused because its name or address is locked: one audit row
 * per lock (the first refused attempt of each key's window), not one per
 * attempt, since a refused attempt costs a stranger nothing.
 */
static void
signin_locked(struct auth_state *as, struct job *j, int by_name,
    int64_t wait_ms, int64_t now)
{
	struct gateway *gw = j->gw;
	struct principal who;
	char object[AUTH_NAME_MAX + 8], detail[KEY_MAX + 64];

	if (!throttle_note(by_name == 2 ? &as->other_names
			   : by_name    ? &as->names
					: &as->throttle,
		by_name ? j->name_key : j->addr_key, now))
		return;
	signin_who(&who, j->name, ROLE_NONE);
	/* Once a lock, as its audit entry: refused attempts do not fill the
	 * log. */
	log_info("auth", "sign-in throttled user=%s addr=%s locked=%s",
	    who.name, j->req->remote, by_name ? "name" : "address");
	snprintf(object, sizeof(object), "user/%s", who.name);
	snprintf(detail, sizeof(detail),
	    "address=%s locked=%s for=%" PRId64 "s", j->req->remote,
	    by_name ? "name" : "address", (wait_ms + 999) / 1000);
	if (batch_begin(&gw->batch) != 0 ||
	    audit_as(
		gw, j->req, &who, "session.signin_locked", object, detail) != 0)
		log_warn("auth", "the store failed: sign-in lock not audited");
}

static void
signin_done(struct job *j)
{
	struct gateway *gw = j->gw;
	char cookie[AUTH_TOKEN_LEN + 1], csrf[AUTH_TOKEN_LEN + 1];
	char setc[AUTH_COOKIE_HEADER_MAX], object[AUTH_NAME_MAX + 8];
	char detail[KEY_MAX + 16];
	struct principal who;
	int64_t now = now_ms();

	if (!j->result) {
		signin_failed(j);
		return;
	}
	/*
	 * A right password: this attempt was no failure. The failures before
	 * it still count (five in ten minutes lock the name, whatever came
	 * between them).
	 */
	throttle_undo(&j->as->names, j->name_key);
	throttle_undo(&j->as->throttle, j->addr_key);
	signin_who(&who, j->name, j->role);
	snprintf(object, sizeof(object), "user/%s", j->name);
	snprintf(detail, sizeof(detail), "address=%s", j->req->remote);
	if (batch_begin(&gw->batch) != 0 ||
	    auth_session_start(gw, j->user_id, now, cookie, csrf) != 0 ||
	    store_user_touch_login(gw->store, j->user_id, now) != 0 ||
	    audit_as(gw, j->req, &who, "session.signin", object, detail) != 0) {
		answer_error(j->req, 503, "the store failed; try again");
		return;
	}
	log_info("auth", "signed in user=%s role=%s addr=%s", j->name,
	    role_name(j->role), j->req->remote);
	auth_cookie_header(gw, cookie, setc, sizeof(setc));
	OPENSSL_cleanse(cookie, sizeof(cookie));
	see_other_later(gw, j->req, j->next, setc);
}

/* POST /console/login: form name, password, next. */
static void
login(struct gateway *gw, struct http_request *req)
{
	struct auth_state *as = state_of(gw);
	struct store_user u;
	struct form f;
	const char *name, *password, *next, *why = NULL;
	struct job *j;
	int64_t now = now_ms(), wait;
	int rc, by_name;

	if (as == NULL) {
		answer_error(req, 503, "the gateway is not ready");
		return;
	}
	if (!same_origin(req)) {
		answer_error(
		    req, 403, "a sign-in from another site is refused");
		return;
	}
	memset(&f, 0, sizeof(f));
	if (form_parse(&f, req->body, req->body_len, &why) != 0) {
		form_free(&f);
		answer_error(req, 400, "the body must be a form");
		return;
	}
	name = form_get(&f, "name");
	password = form_get(&f, "password");
	next = form_get(&f, "next");
	j = xcalloc(1, sizeof(*j));
	j->kind = JOB_SIGNIN;
	j->gw = gw;
	j->req = req;
	snprintf(j->name, sizeof(j->name), "%s", name != NULL ? name : "");
	snprintf(j->next, sizeof(j->next), "%s",
	    next_valid(next) ? next : DEFAULT_NEXT);
	throttle_addr_key(req->remote, j->addr_key, sizeof(j->addr_key));
	snprintf(j->name_key, sizeof(j->name_key), "n:%s", j->name);
	/* Locked out: the answer is the same whatever the password. */
	/* 1: a user's name locked, 2: another name. */
	if ((wait = throttle_wait(&as->names, j->name_key, now)) > 0)
		by_name = 1;
	else if ((wait = throttle_wait(&as->other_names, j->name_key, now)) > 0)
		by_name = 2;
	else
		by_name = 0;
	if (by_name ||
	    (wait = throttle_wait(&as->throttle, j->addr_key, now)) > 0) {
		signin_locked(as, j, by_name, wait, now);
		answer_throttled(req, wait);
		goto out;
	}
	/*
	 * The attempt counts from now, so that attempts still being checked
	 * count too; a right password takes it back.
	 */
	throttle_fail(&as->throttle, j->addr_key, now);
	rc = name != NULL && users_name_valid(name)
		 ? store_user_get(gw->store, name, &u)
		 : STORE_NOTFOUND;
	if (rc < 0) {
		answer_error(req, 503, "the store failed; try again");
		goto out;
	}
	/* The name's failure, in the map of its kind (see names). */
	throttle_fail(
	    rc == 0 ? &as->names : &as->other_names, j->name_key, now);
	if (rc == 0) {
		j->known = role_parse(u.role, &j->role) == 0 &&
			   snprintf(j->hash, sizeof(j->hash), "%s", u.hash) <
			       (int)sizeof(j->hash);
		j->user_id = u.id;
		store_user_free(&u);
	}
	if (name == NULL || password == NULL || *password == '\0' ||
	    strlen(password) > USERS_PASSWORD_MAX || !users_name_valid(name)) {
		j->result = 0;
		signin_failed(j);
		goto out;
	}
	j->password = xstrdup(password);
	if (job_submit(as, j) != 0)
		answer_busy(req);
	j = NULL;
out:
	if (j != NULL)
		job_free(j);
	if (password != NULL)
		OPENSSL_cleanse((char *)password, strlen(password));
	form_free(&f);
}

/* POST /console/logout: form csrf (or X-CSRF-Token). */
static void
logout(struct gateway *gw, struct http_request *req)
{
	char clear[AUTH_COOKIE_HEADER_MAX], object[AUTH_NAME_MAX + 8];
	struct principal who;
	struct form f;
	const char *csrf;
	int rc;

	auth_cookie_header(gw, NULL, clear, sizeof(clear));
	if (!same_origin(req)) {
		answer_error(
		    req, 403, "a sign-out from another site is refused");
		return;
	}
	if ((rc = auth_session_find(gw, req, now_ms(), &who)) < 0) {
		answer_error(req, 503, "the store failed; try again");
		return;
	}
	if (rc > 0) { /* No session: nothing to end but the cookie. */
		see_other(req, LOGIN_PAGE, clear);
		return;
	}
	memset(&f, 0, sizeof(f));
	(void)form_parse(&f, req->body, req->body_len, NULL);
	if ((csrf = form_get(&f, "csrf")) == NULL)
		csrf = http_header(req, "X-CSRF-Token");
	if (!sig_equal(csrf, who.csrf)) {
		form_free(&f);
		answer_error(req, 403, "missing or wrong CSRF token");
		return;
	}
	form_free(&f);
	snprintf(object, sizeof(object), "user/%s", who.name);
	if (batch_begin(&gw->batch) != 0 || auth_session_end(gw, req) != 0 ||
	    audit_as(gw, req, &who, "session.signout", object, NULL) != 0) {
		answer_error(req, 503, "the store failed; try again");
		return;
	}
	log_info("auth", "signed out user=%s", who.name);
	see_other_later(gw, req, LOGIN_PAGE, clear);
}

/*
 * Hands req to the next route registered for its path under "/console/"
 * after ours (the console's pages), or answers 405.
 */
static void
pass_on(struct gateway *gw, struct http_request *req, const char *rest)
{
	const struct gateway_route *r;
	size_t i, n;

	for (i = 0; gw->ext != NULL && i < gw->ext->nroutes; i++) {
		r = &gw->ext->routes[i];
		if (strcmp(r->base, "/console/") != 0 ||
		    r->handle == console_auth_console)
			continue;
		n = strlen(r->name);
		if (n == 0 || (strncmp(rest, r->name, n) == 0 &&
				  (rest[n] == '\0' || rest[n] == '/'))) {
			r->handle(gw, req, rest);
			return;
		}
	}
	answer_method(req, "POST");
}

void
console_auth_console(
    struct gateway *gw, struct http_request *req, const char *rest)
{
	if (strcmp(req->method, "POST") != 0)
		pass_on(gw, req, rest);
	else if (strcmp(rest, "login") == 0)
		login(gw, req);
	else if (strcmp(rest, "logout") == 0)
		logout(gw, req);
	else
		pass_on(gw, req, rest);
}

/* GET /api/v1/me. */

/*
 * The gateway's time zone by its IANA name ("Africa/Nairobi") into out,
 * or "" when it cannot be told: TZ, else the link /etc/localtime.
 */
static void
tz_name(char *out, size_t outlen)
{
	const char *tz = getenv("TZ"), *z;
	char link[256], path[320];
	ssize_t n;
	size_t len;

	out[0] = '\0';
	if (tz != NULL && *tz == ':')
		tz++;
	if (tz == NULL || *tz == '\0') {
		n = readlink("/etc/localtime", link, sizeof(link) - 1);
		if (n <= 0)
			return;
		link[n] = '\0';
		tz = link;
	}
	if ((z = strstr(tz, "zoneinfo/")) != NULL)
		tz = z + 9;
	len = strlen(tz);
	if (*tz == '/' || strstr(tz, "..") != NULL || len >= outlen)
		return;
	/* Only a zone the system knows by that name. */
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", tz);
	if (access(path, R_OK) == 0)
		memcpy(out, tz, len + 1); /* it fits: len < outlen */
}

static void
get_me(struct gateway *gw, struct http_request *req)
{
	const struct principal *p = auth_principal(req);
	time_t t = time(NULL);
	struct tm tm;
	json_t *o, *langs;
	char tz[128];
	size_t i;

	if (auth_require(req, ROLE_VIEWER) != 0)
		return;
	langs = json_array();
	for (i = 0; i < gw->cfg->languages.n; i++)
		json_array_append_new(
		    langs, json_string(gw->cfg->languages.v[i]));
	localtime_r(&t, &tm);
	tz_name(tz, sizeof(tz));
	o = json_pack("{s:s, s:s, s:o, s:o, s:I}", "name", p->name, "role",
	    role_name(p->role), "languages", langs, "currency",
	    gw->cfg->currency ? json_string(gw->cfg->currency) : json_null(),
	    "tz_offset_minutes", (json_int_t)(tm.tm_gmtoff / 60));
	json_object_set_new(
	    o, "csrf", p->token ? json_null() : json_string(p->csrf));
	json_object_set_new(o, "tz", tz[0] ? json_string(tz) : json_null());
	answer_json(req, 200, o);
}

/* GET /api/v1/audit?cursor=&limit= (admin). */

struct audit_page {
	json_t *items; /* the entries */
	size_t limit;  /* shown at most */
	size_t n;      /* seen, one more than limit when there is more */
	int64_t last;  /* id of the last shown */
};

static int
audit_cb(void *arg, const struct store_audit *a)
{
	struct audit_page *pg = arg;
	json_t *o;

	if (++pg->n > pg->limit)
		return 1;
	o = json_pack("{s:I, s:o, s:s, s:s}", "id", (json_int_t)a->id, "time",
	    json_time(a->time), "user", a->user, "action", a->action);
	json_object_set_new(
	    o, "object", a->object ? json_string(a->object) : json_null());
	json_object_set_new(
	    o, "detail", a->detail ? json_string(a->detail) : json_null());
	json_array_append_new(pg->items, o);
	pg->last = a->id;
	return 0;
}

static void
get_audit(struct gateway *gw, struct http_request *req)
{
	struct audit_page pg = {0};
	struct form q;
	const char *cursor, *limit;
	char next[32];
	int64_t before = 0, n;
	json_t *o;

	if (auth_require(req, ROLE_ADMIN) != 0)
		return;
	memset(&q, 0, sizeof(q));
	if (form_parse(&q, req->query, strlen(req->query), NULL) != 0) {
		form_free(&q);
		answer_error(req, 400, "a bad query string");
		return;
	}
	cursor = form_get(&q, "cursor");
	limit = form_get(&q, "limit");
	pg.limit = PAGE_DEFAULT;
	if (limit != NULL) {
		if ((n = str_id(limit)) < 1 || n > PAGE_MAX) {
			form_free(&q);
			answer_error(req, 400, "\"limit\" is 1 to 200");
			return;
		}
		pg.limit = (size_t)n;
	}
	if (cursor != NULL && *cursor != '\0' &&
	    (before = str_id(cursor)) < 1) {
		form_free(&q);
		answer_error(req, 400, "a bad cursor");
		return;
	}
	form_free(&q);
	pg.items = json_array();
	if (store_audit_page(gw->store, before, pg.limit + 1, audit_cb, &pg) !=
	    0) {
		json_decref(pg.items);
		answer_error(req, 503, "the store failed; try again");
		return;
	}
	o = json_pack("{s:o}", "items", pg.items);
	if (pg.n > pg.limit) {
		snprintf(next, sizeof(next), "%" PRId64, pg.last);
		json_object_set_new(o, "next", json_string(next));
	} else
		json_object_set_new(o, "next", json_null());
	answer_json(req, 200, o);
}

/* /api/v1/users (admin). */

/* A user as the API shows it (never the hash). */
static json_t *
user_json(const struct store_user *u)
{
	return json_pack("{s:s, s:s, s:o, s:o}", "name", u->name, "role",
	    u->role, "created", json_time(u->created), "last_login",
	    json_time(u->last_login));
}

static int
list_cb(void *arg, const struct store_user *u)
{
	json_array_append_new(arg, user_json(u));
	return 0;
}

static void
list_users(struct gateway *gw, struct http_request *req)
{
	json_t *a = json_array();

	if (store_user_each(gw->store, list_cb, a) != 0) {
		json_decref(a);
		answer_error(req, 503, "the store failed; try again");
		return;
	}
	answer_json(req, 200, json_pack("{s:o}", "users", a));
}

/* Answers a users_* failure. */
static void
answer_users(struct http_request *req, int rc, const char *why)
{
	switch (rc) {
	case USERS_ENOTFOUND:
		answer_error(req, 404, "no such user");
		break;
	case USERS_EEXIST:
		answer_error(req, 409, "a user with this name exists");
		break;
	case USERS_ELASTADMIN:
		answer_error(req, 409, "the last admin cannot lose the role");
		break;
	case USERS_EINVAL:
		answer_error(req, 400, why != NULL ? why : "a bad request");
		break;
	default:
		answer_error(req, 503, "the store failed; try again");
	}
}

/*
 * Ends the savepoint of a change of user name (rc its users_* result): on
 * success with its audit entry, so that both are kept or neither, and
 * answers with the user's row after the commit.
 */
static void
user_changed(struct gateway *gw, struct http_request *req,
    const struct principal *who, int rc, const char *action, const char *name,
    const char *detail, int status)
{
	struct store_user u;
	char object[AUTH_NAME_MAX + 8];

	snprintf(object, sizeof(object), "user/%s", name);
	if (rc == 0 &&
	    ((rc = audit_as(gw, req, who, action, object, detail)) != 0 ||
		(rc = store_release(gw->store)) != 0))
		rc = USERS_ESTORE;
	if (rc != 0) {
		store_rollback_to(gw->store);
		answer_users(req, rc, NULL);
		return;
	}
	if (store_user_get(gw->store, name, &u) != 0) {
		answer_error(req, 503, "the store failed; try again");
		return;
	}
	log_info("auth", "%s user=%s by=%s", action, name, who->name);
	json_later(gw, req, status, user_json(&u));
	store_user_free(&u);
}

/* A password is hashed: the change it was for. */
static void
user_job_done(struct job *j)
{
	struct gateway *gw = j->gw;
	const char *why = NULL;
	char detail[64];
	int rc;

	if (j->result != 0) {
		answer_error(j->req, 500, "the password could not be hashed");
		return;
	}
	if (batch_begin(&gw->batch) != 0 || store_savepoint(gw->store) != 0) {
		answer_error(j->req, 503, "the store failed; try again");
		return;
	}
	if (j->kind == JOB_USER_ADD) {
		rc = users_add(
		    gw->store, j->name, j->role, j->hash, now_ms(), &why);
		snprintf(detail, sizeof(detail), "role=%s", role_name(j->role));
	} else {
		rc = j->set_role ? users_set_role(
				       gw->store, j->name, j->role, 1, now_ms())
				 : 0;
		if (rc == 0)
			rc = users_set_hash(
			    gw->store, j->name, j->hash, now_ms());
		snprintf(detail, sizeof(detail), "%s%s%spassword reset",
		    j->set_role ? "role=" : "",
		    j->set_role ? role_name(j->role) : "",
		    j->set_role ? ", " : "");
	}
	if (rc == USERS_EINVAL) {
		store_rollback_to(gw->store);
		answer_users(j->req, rc, why);
		return;
	}
	user_changed(gw, j->req, &j->who, rc,
	    j->kind == JOB_USER_ADD ? "user.add" : "user.update", j->name,
	    detail, j->kind == JOB_USER_ADD ? 201 : 200);
}

/* A new job for a user change that needs password hashed. */
static void
submit_hash(struct gateway *gw, struct http_request *req, enum job_kind kind,
    const char *name, const char *password, enum role role, int set_role)
{
	const struct principal *p = auth_principal(req);
	struct auth_state *as = state_of(gw);
	struct job *j;

	if (as == NULL) {
		answer_error(req, 503, "the gateway is not ready");
		return;
	}
	j = xcalloc(1, sizeof(*j));
	j->kind = kind;
	j->gw = gw;
	j->req = req;
	j->who = *p;
	snprintf(j->name, sizeof(j->name), "%s", name);
	j->password = xstrdup(password);
	j->role = role;
	j->set_role = set_role;
	if (job_submit(as, j) != 0)
		answer_busy(req);
}

/* POST /api/v1/users {"name", "role", "password"} */
static void
post_user(struct gateway *gw, struct http_request *req)
{
	const char *name, *rname, *password, *why;
	struct store_user u;
	enum role role;
	json_t *o;
	int rc;

	if ((o = body_object(req)) == NULL)
		return;
	name = json_string_value(json_object_get(o, "name"));
	rname = json_string_value(json_object_get(o, "role"));
	password = json_string_value(json_object_get(o, "password"));
	if (!users_name_valid(name))
		answer_error(req, 400,
		    "\"name\" is 1 to 64 of a-z, 0-9, '.', '_' and '-'");
	else if (role_parse(rname, &role) != 0)
		answer_error(req, 400, "\"role\" is admin, staff or viewer");
	else if ((why = users_password_problem(password)) != NULL)
		answer_error(req, 400, why);
	else if ((rc = store_user_get(gw->store, name, &u)) == 0) {
		store_user_free(&u);
		answer_error(req, 409, "a user with this name exists");
	} else if (rc < 0)
		answer_error(req, 503, "the store failed; try again");
	else
		submit_hash(gw, req, JOB_USER_ADD, name, password, role, 1);
	json_decref(o);
}

/* PATCH /api/v1/users/NAME {"role"?, "password"?} */
static void
patch_user(struct gateway *gw, struct http_request *req, const char *name)
{
	const char *rname, *password, *why;
	char detail[32];
	struct store_user u;
	enum role role = ROLE_NONE;
	json_t *o, *jr, *jp;
	int rc;

	if ((o = body_object(req)) == NULL)
		return;
	jr = json_object_get(o, "role");
	jp = json_object_get(o, "password");
	rname = json_string_value(jr);
	password = json_string_value(jp);
	if ((jr != NULL && role_parse(rname, &role) != 0)) {
		answer_error(req, 400, "\"role\" is admin, staff or viewer");
		goto out;
	}
	if (jr == NULL && jp == NULL) {
		answer_error(
		    req, 400, "give a \"role\", a \"password\" or both");
		goto out;
	}
	if (jp != NULL && (why = users_password_problem(password)) != NULL) {
		answer_error(req, 400, why);
		goto out;
	}
	if ((rc = store_user_get(gw->store, name, &u)) != 0) {
		answer_users(req,
		    rc == STORE_NOTFOUND ? USERS_ENOTFOUND : USERS_ESTORE,
		    NULL);
		goto out;
	}
	store_user_free(&u);
	if (jp != NULL) {
		submit_hash(
		    gw, req, JOB_USER_SET, name, password, role, jr != NULL);
		goto out;
	}
	/* The role alone: no password to hash. */
	if (batch_begin(&gw->batch) != 0 || store_savepoint(gw->store) != 0) {
		answer_error(req, 503, "the store failed; try again");
		goto out;
	}
	rc = users_set_role(gw->store, name, role, 1, now_ms());
	snprintf(detail, sizeof(detail), "role=%s", role_name(role));
	user_changed(
	    gw, req, auth_principal(req), rc, "user.update", name, detail, 200);
out:
	json_decref(o);
}

/* DELETE /api/v1/users/NAME */
static void
delete_user(struct gateway *gw, struct http_request *req, const char *name)
{
	const struct principal *p = auth_principal(req);
	char object[AUTH_NAME_MAX + 8];
	int rc;

	if (batch_begin(&gw->batch) != 0 || store_savepoint(gw->store) != 0) {
		answer_error(req, 503, "the store failed; try again");
		return;
	}
	snprintf(object, sizeof(object), "user/%s", name);
	if ((rc = users_remove(gw->store, name, 1)) != 0 ||
	    (rc = audit_record(gw, req, "user.remove", object, NULL)) != 0 ||
	    (rc = store_release(gw->store)) != 0) {
		store_rollback_to(gw->store);
		answer_users(req, rc, NULL);
		return;
	}
	log_info("auth", "user.remove user=%s by=%s", name, p->name);
	json_later(
	    gw, req, 200, json_pack("{s:s, s:b}", "name", name, "removed", 1));
}

static void
users_api(struct gateway *gw, struct http_request *req, const char *rest)
{
	const char *name;

	if (auth_require(req, ROLE_ADMIN) != 0)
		return;
	if (strcmp(rest, "users") == 0) {
		if (strcmp(req->method, "GET") == 0)
			list_users(gw, req);
		else if (strcmp(req->method, "POST") == 0)
			post_user(gw, req);
		else
			answer_method(req, "GET, POST");
		return;
	}
	name = rest + 6; /* after "users/" */
	if (!users_name_valid(name)) {
		answer_error(req, 404, "no such user");
		return;
	}
	if (strcmp(req->method, "PATCH") == 0)
		patch_user(gw, req, name);
	else if (strcmp(req->method, "DELETE") == 0)
		delete_user(gw, req, name);
	else
		answer_method(req, "PATCH, DELETE");
}

void
console_auth_api(struct gateway *gw, struct http_request *req, const char *rest)
{
	if (strcmp(rest, "me") == 0) {
		if (strcmp(req->method, "GET") != 0)
			answer_method(req, "GET");
		else
			get_me(gw, req);
	} else if (strcmp(rest, "audit") == 0) {
		if (strcmp(req->method, "GET") != 0)
			answer_method(req, "GET");
		else
			get_audit(gw, req);
	} else if (strncmp(rest, "users", 5) == 0 &&
		   (rest[5] == '\0' || rest[5] == '/'))
		users_api(gw, req, rest);
	else
		answer_error(req, 404, "no such API endpoint");
}

/* The service. */

static void
on_purge(uv_timer_t *t)
{
	struct auth_state *as = container_of(t, struct auth_state, purge);
	struct gateway *gw = as->gw;
	int64_t n;

	if (gw->stopping || batch_begin(&gw->batch) != 0)
		return;
	if ((n = store_web_session_purge(gw->store, now_ms())) > 0)
		log_debug("auth", "expired console sessions removed count=%lld",
		    (long long)n);
}

void
console_auth_start(struct gateway *gw, void **state)
{
	struct auth_state *as;

	if (*state != NULL)
		return;
	as = xcalloc(1, sizeof(*as));
	as->gw = gw;
	throttle_init(&as->throttle, CONSOLE_AUTH_KEYS, CONSOLE_AUTH_LIMIT,
	    CONSOLE_AUTH_WINDOW_MS);
	throttle_init(&as->names, CONSOLE_AUTH_KEYS, CONSOLE_AUTH_LIMIT,
	    CONSOLE_AUTH_WINDOW_MS);
	throttle_init(&as->other_names, CONSOLE_AUTH_KEYS, CONSOLE_AUTH_LIMIT,
	    CONSOLE_AUTH_WINDOW_MS);
	TAILQ_INIT(&as->waiting);
	uv_timer_init(gw->loop, &as->purge);
	uv_timer_start(
	    &as->purge, on_purge, CONSOLE_AUTH_PURGE_MS, CONSOLE_AUTH_PURGE_MS);
	/* A periodic purge must not hold a stopping gateway's loop open. */
	uv_unref((uv_handle_t *)&as->purge);
	*state = as;
}

static void
on_purge_closed(uv_handle_t *h)
{
	struct auth_state *as =
	    container_of((uv_timer_t *)h, struct auth_state, purge);

	as->timer_closed = 1;
	state_release(as);
}

void
console_auth_stop(struct gateway *gw, void **state)
{
	struct auth_state *as = *state;
	struct job *j;

	(void)gw;
	if (as == NULL)
		return;
	*state = NULL;
	as->stopped = 1;
	/* Jobs not started: their requests are answered now. */
	while ((j = TAILQ_FIRST(&as->waiting)) != NULL) {
		TAILQ_REMOVE(&as->waiting, j, link);
		as->nwaiting--;
		answer_error(j->req, 503, "the gateway is stopping");
		job_free(j);
	}
	uv_close((uv_handle_t *)&as->purge, on_purge_closed);
}
