/*
 * test_auth.c: roles and their order, scrypt hashes (a right and a wrong
 * password, salts, malformed and greedy hash texts), password and name
 * rules, the sign-in throttle (five failures lock a key for the rest of
 * its window; the map stays bounded whatever keys come), and
 * auth_request() on real requests: the bearer token, the session cookie,
 * the CSRF token of writes, an expired session, the refresh of last_seen
 * at most once a minute, roles, masked numbers and the audit log.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "council/api_common.h"
#include "council/throttle.h"
#include "council/users.h"
#include "gateway/answer.h"
#include "gateway/auth.h"
#include "gateway/config.h"
#include "gateway/gateway.h"
#include "gateway/store.h"
#include "lib/util.h"
#include "tests/unit/sidedb.h"

#define MIN_MS (60 * 1000LL)
#define RFC7914                                                     \
	"scrypt$1024$8$16$TmFDbA==$/bq+HJ00cgB4VucZDQHp/nxq18vII3g" \
	"w53N2Y0s3MWIurzDZLiKjiG/xCSedmDDaxyevuUqD7m2DYMvfoswGQA=="

static void
test_roles(void **state)
{
	enum role r;

	(void)state;
	assert_true(ROLE_NONE < ROLE_VIEWER);
	assert_true(ROLE_VIEWER < ROLE_STAFF);
	assert_true(ROLE_STAFF < ROLE_ADMIN);
	assert_string_equal(role_name(ROLE_VIEWER), "viewer");
	assert_string_equal(role_name(ROLE_STAFF), "staff");
	assert_string_equal(role_name(ROLE_ADMIN), "admin");
	assert_string_equal(role_name(ROLE_NONE), "none");
	assert_string_equal(role_name((enum role)42), "none");
	assert_int_equal(role_parse("staff", &r), 0);
	assert_int_equal(r, ROLE_STAFF);
	assert_int_equal(role_parse("admin", &r), 0);
	assert_int_equal(r, ROLE_ADMIN);
	assert_int_equal(role_parse("viewer", &r), 0);
	assert_int_equal(r, ROLE_VIEWER);
	/* "none" is no role anyone can be given. */
	assert_int_equal(role_parse("none", &r), -1);
	assert_int_equal(role_parse("Admin", &r), -1);
	assert_int_equal(role_parse("root", &r), -1);
	assert_int_equal(role_parse(NULL, &r), -1);
}

static void
test_hash_verify(void **state)
{
	char a[USERS_HASH_MAX], b[USERS_HASH_MAX], bad[USERS_HASH_MAX];
	size_t n;

	(void)state;
	assert_int_equal(users_hash("correct horse battery", a), 0);
	assert_int_equal(strncmp(a, "scrypt$32768$8$1$", 17), 0);
	assert_null(strstr(a, "correct horse"));
	assert_int_equal(users_verify("correct horse battery", a), 1);
	assert_int_equal(users_verify("correct horse batterY", a), 0);
	assert_int_equal(users_verify("", a), 0);
	/* A new salt each time: the same password, another hash. */
	assert_int_equal(users_hash("correct horse battery", b), 0);
	assert_string_not_equal(a, b);
	assert_int_equal(users_verify("correct horse battery", b), 1);
	/* A changed key no longer matches. */
	snprintf(bad, sizeof(bad), "%s", a);
	n = strlen(bad);
	bad[n - 3] = bad[n - 3] == 'A' ? 'B' : 'A';
	assert_int_equal(users_verify("correct horse battery", bad), 0);
	/*
	 * Other parameters are read from the text: RFC 7914's test vector
	 * (P "password", S "NaCl", N 1024, r 8, p 16, 64 bytes).
	 */
	assert_int_equal(users_verify("password", RFC7914), 1);
	assert_int_equal(users_verify("passwore", RFC7914), 0);
	/* Not ours, or malformed. */
	assert_int_equal(
	    users_verify("x", "$2y$10$abcdefghijklmnopqrstuv"), -1);
	assert_int_equal(users_verify("x", "scrypt$"), -1);
	assert_int_equal(users_verify("x", "scrypt$15$8$1$c2FsdHNhbHQ=$"
					   "c2FsdHNhbHRzYWx0c2FsdA=="),
	    -1); /* N not a power of two */
	assert_int_equal(users_verify("x", "scrypt$32768$8$1$!!!!$"
					   "c2FsdHNhbHRzYWx0c2FsdA=="),
	    -1);
	assert_int_equal(
	    users_verify("x", "scrypt$32768$8$1$c2FsdHNhbHQ="), -1);
	assert_int_equal(users_verify(NULL, a), -1);
	assert_int_equal(users_verify("x", NULL), -1);
	/* A hash asking for gigabytes is refused before any work. */
	assert_int_equal(users_verify("x", "scrypt$1048576$32$16$"
					   "c2FsdHNhbHQ=$"
					   "c2FsdHNhbHRzYWx0c2FsdA=="),
	    -1);
	assert_int_equal(users_verify("x", "scrypt$2097152$8$1$"
					   "c2FsdHNhbHQ=$"
					   "c2FsdHNhbHRzYWx0c2FsdA=="),
	    -1);
}

static void
test_rules(void **state)
{
	char big[USERS_PASSWORD_MAX + 2];

	(void)state;
	assert_non_null(users_password_problem(NULL));
	assert_non_null(users_password_problem(""));
	assert_non_null(users_password_problem("123456789"));
	assert_null(users_password_problem("1234567890"));
	/* Characters, not bytes: ten two-byte letters are enough, nine
	 * are not. */
	assert_null(users_password_problem(
	    "\xc3\xb1\xc3\xb1\xc3\xb1\xc3\xb1\xc3\xb1\xc3\xb1\xc3\xb1\xc3\xb1"
	    "\xc3\xb1\xc3\xb1"));
	assert_non_null(users_password_problem(
	    "\xc3\xb1\xc3\xb1\xc3\xb1\xc3\xb1\xc3\xb1\xc3\xb1\xc3\xb1\xc3\xb1"
	    "\xc3\xb1"));
	memset(big, 'x', sizeof(big));
	big[USERS_PASSWORD_MAX] = '\0';
	assert_null(users_password_problem(big));
	big[USERS_PASSWORD_MAX] = 'x';
	big[USERS_PASSWORD_MAX + 1] = '\0';
	assert_non_null(users_password_problem(big));

	assert_true(users_name_valid("amina"));
	assert_true(users_name_valid("a.wanjiru-2_x"));
	assert_true(users_name_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				     "aaaaaaaaaaaaaaaaaaaaaaa"));
	assert_false(users_name_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				      "aaaaaaaaaaaaaaaaaaaaaaaaa"));
	assert_false(users_name_valid(""));
	assert_false(users_name_valid(NULL));
	assert_false(users_name_valid("Amina"));
	assert_false(users_name_valid("amina wanjiru"));
	assert_false(users_name_valid("amina/x"));
	assert_false(users_name_valid("am\xc3\xadna"));
}

static void
test_throttle(void **state)
{
	const int64_t t0 = 1795000000000LL, window = 10 * MIN_MS;
	struct throttle t;
	char key[32];
	int i;

	(void)state;
	throttle_init(&t, 100, 5, window);
	for (i = 0; i < 4; i++) {
		throttle_fail(&t, "n:amina", t0 + i * 1000);
		assert_int_equal(
		    throttle_wait(&t, "n:amina", t0 + i * 1000), 0);
	}
	throttle_fail(&t, "n:amina", t0 + 60 * 1000);
	/* Five: locked until ten minutes after the first failure. */
	assert_int_equal(
	    throttle_wait(&t, "n:amina", t0 + 61 * 1000), window - 61 * 1000);
	assert_int_equal(throttle_wait(&t, "n:amina", t0 + window - 1), 1);
	assert_int_equal(throttle_wait(&t, "n:amina", t0 + window), 0);
	/* Other keys are not touched. */
	assert_int_equal(throttle_wait(&t, "n:baraka", t0 + 61 * 1000), 0);
	/*
	 * The window slides: a failure now makes five within ten minutes
	 * with the four after the first (t0 + 1 s .. t0 + 60 s), locked until
	 * ten minutes after the first of those.
	 */
	throttle_fail(&t, "n:amina", t0 + window + 1);
	assert_int_equal(
	    throttle_wait(&t, "n:amina", t0 + window + 2), 1000 - 2);
	assert_int_equal(throttle_wait(&t, "n:amina", t0 + window + 1000), 0);
	/* One failure, four more at the end of its ten minutes: locked to
	 * the end of those; then one more is refused for ten minutes from
	 * the second (a fixed window let five more in at once). */
	throttle_fail(&t, "n:juma", t0);
	for (i = 0; i < 4; i++)
		throttle_fail(&t, "n:juma", t0 + window - 1000);
	assert_int_equal(throttle_wait(&t, "n:juma", t0 + window - 500), 500);
	assert_int_equal(throttle_wait(&t, "n:juma", t0 + window), 0);
	throttle_fail(&t, "n:juma", t0 + window);
	assert_int_equal(
	    throttle_wait(&t, "n:juma", t0 + window), window - 1000);
	/* A right password between failures takes only itself back: a
	 * success does not start the count (an audit: the window began at a
	 * sign-in, and ran out before five failures' ten minutes). */
	throttle_fail(&t, "n:sam", t0);
	throttle_undo(&t, "n:sam");
	for (i = 0; i < 5; i++)
		throttle_fail(&t, "n:sam", t0 + 7 * MIN_MS + i * 1000);
	assert_int_equal(throttle_wait(&t, "n:sam", t0 + 8 * MIN_MS),
	    7 * MIN_MS + window - 8 * MIN_MS);
	/* Undo takes one back; clear forgets the key. */
	for (i = 0; i < 4; i++)
		throttle_fail(&t, "a:10.0.0.1", t0);
	throttle_fail(&t, "a:10.0.0.1", t0);
	assert_true(throttle_wait(&t, "a:10.0.0.1", t0) > 0);
	throttle_undo(&t, "a:10.0.0.1");
	assert_int_equal(throttle_wait(&t, "a:10.0.0.1", t0), 0);
	throttle_fail(&t, "a:10.0.0.1", t0);
	assert_true(throttle_wait(&t, "a:10.0.0.1", t0) > 0);
	throttle_clear(&t, "a:10.0.0.1");
	assert_int_equal(throttle_wait(&t, "a:10.0.0.1", t0), 0);
	throttle_undo(&t, "a:nobody"); /* harmless */
	/* A lock is noted once a window; a new window notes again. */
	assert_int_equal(throttle_note(&t, "a:nobody", t0), 0);
	for (i = 0; i < 5; i++)
		throttle_fail(&t, "n:zawadi", t0);
	assert_int_equal(throttle_note(&t, "n:zawadi", t0 + 1), 1);
	assert_int_equal(throttle_note(&t, "n:zawadi", t0 + 2), 0);
	assert_int_equal(throttle_note(&t, "n:zawadi", t0 + window), 0);
	for (i = 0; i < 5; i++)
		throttle_fail(&t, "n:zawadi", t0 + window);
	assert_int_equal(throttle_note(&t, "n:zawadi", t0 + window + 1), 1);
	throttle_free(&t);

	/* Bounded: an attacker's many keys never grow it past its max. */
	throttle_init(&t, 16, 5, window);
	for (i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "n:user%d", i);
		throttle_fail(&t, key, t0);
		assert_true(t.map.n <= 16);
	}
	assert_int_equal(t.map.n, 16);
	assert_int_equal(t.map.evicted, 1000 - 16);
	/*
	 * A key that is being attacked is looked up at every attempt and so
	 * stays: fifteen other new keys in between do not push it out.
	 */
	for (i = 0; i < 5; i++)
		throttle_fail(&t, "n:target", t0);
	for (i = 0; i < 15; i++) {
		snprintf(key, sizeof(key), "n:other%d", i);
		throttle_fail(&t, key, t0);
	}
	assert_true(throttle_wait(&t, "n:target", t0) > 0);
	throttle_free(&t);
}

/* A gateway with a store on a file, a config and a batch. */
struct fixture {
	struct gateway gw;
	uv_loop_t loop;
	struct sidedb side;
	struct config_errors *errs;
	int64_t staff_id;
	char cookie[AUTH_TOKEN_LEN + 1];
	char csrf[AUTH_TOKEN_LEN + 1];
};

static int
setup(void **state)
{
	static const char conf[] = "[gateway]\nadmin_token = sekrit-token\n"
				   "console_session = 1h\n";
	struct fixture *f = calloc(1, sizeof(*f));
	char hash[USERS_HASH_MAX];
	int64_t now = now_ms();

	assert_int_equal(uv_loop_init(&f->loop), 0);
	f->gw.loop = &f->loop;
	assert_int_equal(config_parse_buffer(conf, sizeof(conf) - 1, "t.conf",
			     "/tmp", &f->gw.cfg, &f->errs),
	    0);
	sidedb_open(&f->side, 0, &f->gw.store);
	batch_init(&f->gw.batch, &f->loop, f->gw.store);
	/* A cheap hash: the store keeps whatever text the council made. */
	snprintf(hash, sizeof(hash),
	    "scrypt$16$1$1$c2FsdHNhbHQ=$"
	    "c2FsdHNhbHRzYWx0c2FsdA==");
	assert_int_equal(store_begin(f->gw.store), 0);
	assert_int_equal(
	    users_add(f->gw.store, "wanjiru", ROLE_STAFF, hash, now, NULL), 0);
	assert_int_equal(
	    users_add(f->gw.store, "otieno", ROLE_VIEWER, hash, now, NULL), 0);
	assert_int_equal(
	    users_add(f->gw.store, "wanjiru", ROLE_ADMIN, hash, now, NULL),
	    USERS_EEXIST);
	assert_int_equal(store_commit(f->gw.store), 0);
	f->staff_id =
	    sidedb_int(&f->side, "SELECT id FROM users WHERE name = 'wanjiru'");
	assert_int_equal(
	    auth_session_start(&f->gw, f->staff_id, now, f->cookie, f->csrf),
	    0);
	batch_flush(&f->gw.batch);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	batch_close(&f->gw.batch);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
	uv_loop_close(&f->loop);
	sidedb_close(&f->side, f->gw.store);
	config_free(f->gw.cfg);
	config_errors_free(f->errs);
	free(f);
	return 0;
}

/* What one request's handler saw. */
struct seen {
	struct gateway *gw;
	int rc;               /* auth_request's */
	struct principal who; /* its principal */
	enum role need;       /* auth_require()d after, or ROLE_NONE */
	const char *phone;    /* auth_phone()d after, or NULL */
	char shown[32];       /* what auth_phone gave */
	const char *audit;    /* audit_record()ed action, or NULL */
};

static void
handler(struct http_request *req, void *arg)
{
	struct seen *s = arg;
	char out[32];

	s->rc = auth_request(s->gw, req, &s->who);
	if (s->rc != 0)
		return; /* Answered. */
	req->udata = &s->who;
	if (s->phone != NULL)
		snprintf(s->shown, sizeof(s->shown), "%s",
		    auth_phone(req, s->phone, out, sizeof(out)));
	if (s->audit != NULL)
		assert_int_equal(
		    audit_record(s->gw, req, s->audit, "thing/1", "x=1"), 0);
	if (s->need != ROLE_NONE && auth_require(req, s->need) != 0)
		return;
	http_respond(req, 200, "text/plain", "ok", 2);
}

/* Runs one request of method with the extra header lines; the answer
 * into out. */
static void
run(struct fixture *f, struct seen *s, const char *method, const char *hdrs,
    struct buf *out)
{
	char *in = xasprintf("%s /api/v1/x HTTP/1.1\r\nHost: t\r\n%s"
			     "Content-Length: 0\r\n\r\n",
	    method, hdrs);

	s->gw = &f->gw;
	buf_reset(out);
	assert_int_equal(
	    http_parse_buffer(NULL, in, strlen(in), 0, handler, s, out), 1);
	assert_non_null(out->data);
	free(in);
	batch_flush(&f->gw.batch);
}

static void
test_request(void **state)
{
	struct fixture *f = *state;
	struct seen s;
	struct buf out;
	char *h;

	buf_init(&out, 1 << 16);
	/* Nothing: 401 with the challenge. */
	memset(&s, 0, sizeof(s));
	run(f, &s, "GET", "", &out);
	assert_int_equal(s.rc, -1);
	assert_non_null(strstr(out.data, "HTTP/1.1 401 "));
	assert_non_null(strstr(out.data, "WWW-Authenticate: Bearer\r\n"));
	assert_non_null(strstr(out.data, "sign in or send the bearer token"));

	/* The bearer token: admin, no CSRF token needed. */
	memset(&s, 0, sizeof(s));
	run(f, &s, "POST", "Authorization: Bearer sekrit-token\r\n", &out);
	assert_int_equal(s.rc, 0);
	assert_int_equal(s.who.role, ROLE_ADMIN);
	assert_int_equal(s.who.token, 1);
	assert_string_equal(s.who.name, "token");
	memset(&s, 0, sizeof(s));
	run(f, &s, "GET", "Authorization: Bearer sekrit-tokeN\r\n", &out);
	assert_int_equal(s.rc, -1);
	assert_non_null(strstr(out.data, "HTTP/1.1 401 "));
	/* A wrong token is refused even with a good cookie beside it. */
	h = xasprintf("Authorization: Bearer nope\r\nCookie: " AUTH_COOKIE
		      "=%s\r\n",
	    f->cookie);
	memset(&s, 0, sizeof(s));
	run(f, &s, "GET", h, &out);
	free(h);
	assert_int_equal(s.rc, -1);
	assert_non_null(strstr(out.data, "HTTP/1.1 401 "));

	/* The cookie, among others: the user and their role. */
	h = xasprintf(
	    "Cookie: theme=dark; " AUTH_COOKIE "=%s; x=y\r\n", f->cookie);
	memset(&s, 0, sizeof(s));
	run(f, &s, "GET", h, &out);
	free(h);
	assert_int_equal(s.rc, 0);
	assert_int_equal(s.who.role, ROLE_STAFF);
	assert_int_equal(s.who.token, 0);
	assert_int_equal(s.who.user_id, f->staff_id);
	assert_string_equal(s.who.name, "wanjiru");
	assert_string_equal(s.who.csrf, f->csrf);
	assert_non_null(strstr(out.data, "HTTP/1.1 200 "));

	/* A cookie that is not one of ours, or unknown: 401. */
	memset(&s, 0, sizeof(s));
	run(f, &s, "GET", "Cookie: " AUTH_COOKIE "=abc\r\n", &out);
	assert_int_equal(s.rc, -1);
	assert_non_null(strstr(out.data, "HTTP/1.1 401 "));
	memset(&s, 0, sizeof(s));
	run(f, &s, "GET",
	    "Cookie: " AUTH_COOKIE
	    "=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "\r\n",
	    &out);
	assert_int_equal(s.rc, -1);
	assert_non_null(strstr(out.data, "HTTP/1.1 401 "));

	buf_free(&out);
}

static void
test_csrf(void **state)
{
	struct fixture *f = *state;
	const char *methods[] = {"POST", "PUT", "PATCH", "DELETE"};
	struct seen s;
	struct buf out;
	char *h;
	size_t i;

	buf_init(&out, 1 << 16);
	for (i = 0; i < nitems(methods); i++) {
		/* A write with the cookie alone: 403. */
		h = xasprintf("Cookie: " AUTH_COOKIE "=%s\r\n", f->cookie);
		memset(&s, 0, sizeof(s));
		run(f, &s, methods[i], h, &out);
		free(h);
		assert_int_equal(s.rc, -1);
		assert_non_null(strstr(out.data, "HTTP/1.1 403 "));
		assert_non_null(
		    strstr(out.data, "missing or wrong CSRF token"));
		/* With a wrong one: 403. */
		h = xasprintf("Cookie: " AUTH_COOKIE "=%s\r\nX-CSRF-Token: "
			      "%.42sx\r\n",
		    f->cookie, f->csrf);
		memset(&s, 0, sizeof(s));
		run(f, &s, methods[i], h, &out);
		free(h);
		assert_int_equal(s.rc, -1);
		assert_non_null(strstr(out.data, "HTTP/1.1 403 "));
		/* With the session's: through. */
		h = xasprintf("Cookie: " AUTH_COOKIE "=%s\r\nX-CSRF-Token: "
			      "%s\r\n",
		    f->cookie, f->csrf);
		memset(&s, 0, sizeof(s));
		run(f, &s, methods[i], h, &out);
		free(h);
		assert_int_equal(s.rc, 0);
		assert_non_null(strstr(out.data, "HTTP/1.1 200 "));
	}
	/* A read needs none. */
	h = xasprintf("Cookie: " AUTH_COOKIE "=%s\r\n", f->cookie);
	memset(&s, 0, sizeof(s));
	run(f, &s, "HEAD", h, &out);
	free(h);
	assert_int_equal(s.rc, 0);
	buf_free(&out);
}

/*
 * A page's own refresh (the overview every 30 s) is no use of the session:
 * left open, it signs out after console_session as an idle page does.
 */
static void
test_background(void **state)
{
	struct fixture *f = *state;
	int64_t t0 = now_ms(), seen0;
	struct seen s;
	struct buf out;
	char *h = xasprintf("Cookie: " AUTH_COOKIE
			    "=%s\r\nX-Baraza-Background: 1\r\n",
	    f->cookie);

	buf_init(&out, 1 << 16);
	seen0 = sidedb_int(&f->side, "SELECT last_seen FROM web_sessions");
	clock_set(t0 + 50 * MIN_MS);
	memset(&s, 0, sizeof(s));
	run(f, &s, "GET", h, &out);
	assert_int_equal(s.rc, 0);
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT last_seen FROM web_sessions"), seen0);
	/* An hour after its last real use: over, refreshes or not. */
	clock_set(t0 + 61 * MIN_MS);
	memset(&s, 0, sizeof(s));
	run(f, &s, "GET", h, &out);
	assert_int_equal(s.rc, -1);
	assert_non_null(strstr(out.data, "HTTP/1.1 401 "));
	clock_set(t0);
	free(h);
	buf_free(&out);
}

static void
test_expiry(void **state)
{
	struct fixture *f = *state;
	int64_t t0 = now_ms(), seen0, seen1;
	struct seen s;
	struct buf out;
	char *h = xasprintf("Cookie: " AUTH_COOKIE "=%s\r\n", f->cookie);

	buf_init(&out, 1 << 16);
	seen0 = sidedb_int(&f->side, "SELECT last_seen FROM web_sessions");
	/* Within the minute: no write. */
	clock_set(t0 + 30 * 1000);
	memset(&s, 0, sizeof(s));
	run(f, &s, "GET", h, &out);
	assert_int_equal(s.rc, 0);
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT last_seen FROM web_sessions"), seen0);
	/* Later: last_seen and the end move. */
	clock_set(t0 + 50 * MIN_MS);
	memset(&s, 0, sizeof(s));
	run(f, &s, "GET", h, &out);
	assert_int_equal(s.rc, 0);
	seen1 = sidedb_int(&f->side, "SELECT last_seen FROM web_sessions");
	assert_true(seen1 >= t0 + 50 * MIN_MS);
	assert_true(sidedb_int(&f->side, "SELECT expires FROM web_sessions") >=
		    seen1 + 60 * MIN_MS);
	/* Used 50 minutes in, alive 100 minutes in (an hour of rest). */
	clock_set(t0 + 100 * MIN_MS);
	memset(&s, 0, sizeof(s));
	run(f, &s, "GET", h, &out);
	assert_int_equal(s.rc, 0);
	/* More than an hour without use: over. */
	clock_set(t0 + 162 * MIN_MS);
	memset(&s, 0, sizeof(s));
	run(f, &s, "GET", h, &out);
	assert_int_equal(s.rc, -1);
	assert_non_null(strstr(out.data, "HTTP/1.1 401 "));
	/* And the purge takes it away. */
	assert_int_equal(store_begin(f->gw.store), 0);
	assert_int_equal(store_web_session_purge(f->gw.store, now_ms()), 1);
	assert_int_equal(store_commit(f->gw.store), 0);
	clock_set(t0);
	free(h);
	buf_free(&out);
}

static void
test_roles_on_requests(void **state)
{
	struct fixture *f = *state;
	char cookie[AUTH_TOKEN_LEN + 1], csrf[AUTH_TOKEN_LEN + 1];
	int64_t viewer =
	    sidedb_int(&f->side, "SELECT id FROM users WHERE name = 'otieno'");
	struct seen s;
	struct buf out;
	char *h, *who;

	buf_init(&out, 1 << 16);
	assert_int_equal(
	    auth_session_start(&f->gw, viewer, now_ms(), cookie, csrf), 0);
	batch_flush(&f->gw.batch);
	assert_string_not_equal(cookie, f->cookie);
	assert_string_not_equal(csrf, f->csrf);
	/* The store keeps the SHA-256 of the cookie, never the cookie. */
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT count(*) FROM web_sessions"
				 " WHERE length(id) = 32"),
	    2);

	/* A viewer reads, masked, and is refused what staff may do. */
	h = xasprintf("Cookie: " AUTH_COOKIE "=%s\r\n", cookie);
	memset(&s, 0, sizeof(s));
	s.need = ROLE_STAFF;
	s.phone = "+254700000001";
	run(f, &s, "GET", h, &out);
	free(h);
	assert_int_equal(s.rc, 0);
	assert_int_equal(s.who.role, ROLE_VIEWER);
	assert_string_equal(s.shown, "+254*******01");
	assert_non_null(strstr(out.data, "HTTP/1.1 403 "));
	assert_non_null(strstr(out.data, "your role (viewer) cannot do this"));

	/* Staff see numbers whole and may; not what only admins may. */
	h = xasprintf("Cookie: " AUTH_COOKIE "=%s\r\n", f->cookie);
	memset(&s, 0, sizeof(s));
	s.need = ROLE_STAFF;
	s.phone = "+254700000001";
	run(f, &s, "GET", h, &out);
	assert_string_equal(s.shown, "+254700000001");
	assert_non_null(strstr(out.data, "HTTP/1.1 200 "));
	memset(&s, 0, sizeof(s));
	s.need = ROLE_ADMIN;
	run(f, &s, "GET", h, &out);
	free(h);
	assert_non_null(strstr(out.data, "your role (staff) cannot do this"));

	/* The token may everything; audit entries name who wrote. */
	memset(&s, 0, sizeof(s));
	s.need = ROLE_ADMIN;
	s.audit = "thing.change";
	run(f, &s, "POST", "Authorization: Bearer sekrit-token\r\n", &out);
	assert_non_null(strstr(out.data, "HTTP/1.1 200 "));
	h = xasprintf("Cookie: " AUTH_COOKIE "=%s\r\nX-CSRF-Token: %s\r\n",
	    f->cookie, f->csrf);
	memset(&s, 0, sizeof(s));
	s.audit = "thing.change";
	run(f, &s, "POST", h, &out);
	free(h);
	who = sidedb_text(&f->side, "SELECT group_concat(user || ' ' ||"
				    " action || ' ' || object || ' ' || detail,"
				    " '|') FROM (SELECT * FROM audit"
				    " ORDER BY id)");
	assert_string_equal(who, "token thing.change thing/1 x=1|"
				 "wanjiru thing.change thing/1 x=1");
	free(who);
	assert_true(sidedb_int(&f->side, "SELECT min(time) FROM audit") > 0);

	/* Without a principal: 401, and numbers masked. */
	assert_string_equal(
	    auth_phone(NULL, "+254700000001", s.shown, 32), "+254*******01");
	buf_free(&out);
}

static void
test_session_end(void **state)
{
	struct fixture *f = *state;
	struct seen s;
	struct buf out;
	char *h = xasprintf("Cookie: " AUTH_COOKIE "=%s\r\n", f->cookie);
	char line[AUTH_COOKIE_HEADER_MAX];

	buf_init(&out, 1 << 16);
	/* A new password ends every session of the user. */
	assert_int_equal(store_begin(f->gw.store), 0);
	assert_int_equal(users_set_hash(f->gw.store, "wanjiru",
			     "scrypt$16$1$1$c2FsdHNhbHQ=$"
			     "c2FsdHNhbHRzYWx0c2FsdB==",
			     now_ms()),
	    0);
	assert_int_equal(store_commit(f->gw.store), 0);
	memset(&s, 0, sizeof(s));
	run(f, &s, "GET", h, &out);
	assert_int_equal(s.rc, -1);
	assert_non_null(strstr(out.data, "HTTP/1.1 401 "));
	free(h);

	/* The cookie's attributes; Secure behind https. */
	auth_cookie_header(&f->gw, "abc", line, sizeof(line));
	assert_string_equal(line, "Set-Cookie: baraza_session=abc; Path=/; "
				  "HttpOnly; SameSite=Strict\r\n");
	auth_cookie_header(&f->gw, NULL, line, sizeof(line));
	assert_string_equal(line, "Set-Cookie: baraza_session=; Path=/; "
				  "Max-Age=0; HttpOnly; SameSite=Strict\r\n");
	f->gw.cfg->public_url = xstrdup("https://sms.example.org");
	auth_cookie_header(&f->gw, "abc", line, sizeof(line));
	assert_string_equal(line, "Set-Cookie: baraza_session=abc; Path=/; "
				  "HttpOnly; SameSite=Strict; Secure\r\n");

	/* The last admin stays one. */
	assert_int_equal(store_begin(f->gw.store), 0);
	assert_int_equal(
	    users_set_role(f->gw.store, "wanjiru", ROLE_ADMIN, 1, now_ms()), 0);
	assert_int_equal(
	    users_set_role(f->gw.store, "wanjiru", ROLE_STAFF, 1, now_ms()),
	    USERS_ELASTADMIN);
	assert_int_equal(
	    users_remove(f->gw.store, "wanjiru", 1), USERS_ELASTADMIN);
	assert_int_equal(
	    users_remove(f->gw.store, "nobody", 1), USERS_ENOTFOUND);
	assert_int_equal(users_remove(f->gw.store, "wanjiru", 0), 0);
	assert_int_equal(store_commit(f->gw.store), 0);
	buf_free(&out);
}

/* Signs the request in by the bearer token and hands it to api_reports. */
static void
reports_handler(struct http_request *req, void *arg)
{
	struct seen *s = arg;

	s->rc = auth_request(s->gw, req, &s->who);
	if (s->rc != 0)
		return;
	req->udata = &s->who;
	if (strcmp(req->path, "/api/v1/reports") == 0)
		api_reports(s->gw, req, "reports");
	else
		answer_error(req, 400, "bad \xff\xfe bytes");
}

/*
 * An error that quotes a request which is not UTF-8 is still answered
 * (found by fuzz_api: ?status=%D8 gave jansson a string it refuses, and
 * the gateway crashed on the NULL it got back), and so is one that a
 * "%.40s" cuts inside a character.
 */
static void
test_error_not_utf8(void **state)
{
#define A39 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" /* 39 bytes */
	static const char *const in[] = {
	    "GET /api/v1/reports?status=op%D8%D8en HTTP/1.1\r\n",
	    "GET /api/v1/reports?status=" A39 "%C3%A9 HTTP/1.1\r\n",
	    "GET /api/v1/other HTTP/1.1\r\n",
	};
	static const char *const want[] = {
	    "{\"error\":\"unknown status \\\"op??en\\\": use open,",
	    "{\"error\":\"unknown status \\\"" A39 "?\\\": use",
	    "{\"error\":\"bad ?? bytes\"}",
	};
	struct fixture *f = *state;
	struct seen s;
	struct buf out;
	char *req;
	size_t i;

	buf_init(&out, 1 << 16);
	for (i = 0; i < nitems(in); i++) {
		memset(&s, 0, sizeof(s));
		s.gw = &f->gw;
		req = xasprintf("%sHost: t\r\nAuthorization: Bearer "
				"sekrit-token\r\nContent-Length: 0\r\n\r\n",
		    in[i]);
		buf_reset(&out);
		assert_int_equal(http_parse_buffer(NULL, req, strlen(req), 0,
				     reports_handler, &s, &out),
		    1);
		batch_flush(&f->gw.batch);
		assert_int_equal(s.rc, 0);
		assert_non_null(out.data);
		assert_non_null(strstr(out.data, "HTTP/1.1 400 "));
		assert_non_null(strstr(out.data, want[i]));
		free(req);
	}
	buf_free(&out);
#undef A39
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roles),
	    cmocka_unit_test(test_hash_verify),
	    cmocka_unit_test(test_rules),
	    cmocka_unit_test(test_throttle),
	    cmocka_unit_test_setup_teardown(test_request, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_csrf, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_background, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_roles_on_requests, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_session_end, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_error_not_utf8, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
