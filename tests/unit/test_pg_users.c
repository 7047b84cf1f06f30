/*
 * test_pg_users.c: the PostgreSQL store's users, web sessions, audit log,
 * report feedback, spend and channel log (store_pg_users.c) against
 * SQLite's: the same calls on an empty store of each kind must give the
 * same answers, written down and compared. Skipped where PostgreSQL is not
 * installed (pgtest.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "gateway/store.h"
#include "lib/util.h"
#include "pgtest.h"

/* Ids a purge of the channel log may reach: all of these tests'. */
#define LOG_CHUNK 1000000

#define T0 INT64_C(1764900000000)

static int
on_user(void *arg, const struct store_user *u)
{
	buf_printf(arg, "  user %lld %s %s %lld %lld %lld\n", (long long)u->id,
	    u->name, u->role, (long long)u->created, (long long)u->updated,
	    (long long)u->last_login);
	return 0;
}

static int
on_audit(void *arg, const struct store_audit *a)
{
	buf_printf(arg, "  audit %lld %lld %s %s %s %s\n", (long long)a->id,
	    (long long)a->time, a->user, a->action, a->object ? a->object : "-",
	    a->detail ? a->detail : "-");
	return 0;
}

static int
on_log(void *arg, const struct store_chanlog *e)
{
	buf_printf(arg, "  log %lld %lld %s %lld %d %lld %s %s %s\n",
	    (long long)e->id, (long long)e->time, e->channel,
	    (long long)e->message_id, e->status, (long long)e->ms,
	    e->request ? e->request : "-", e->error ? e->error : "-",
	    e->answer ? e->answer : "-");
	return 0;
}

static void
script(struct store *st, struct buf *b)
{
	static const unsigned char sid[STORE_WEB_SESSION_ID] = {9, 0, 255, 1};
	struct store_web_session ws;
	struct store_feedback f;
	struct store_user u;
	struct store_contact c;
	struct store_chanlog e = {0, T0, "at", 0, 201, 35,
	    "POST http://127.0.0.1/send", NULL, "{\"ok\":true}"};
	int64_t id = 0, n = 0, y = 0, asked = 0, rid = 0;
	int rc;

	rc = store_user_insert(st, "zawadi", "admin", "h1", T0, &id);
	buf_printf(b, "insert -> %d %lld\n", rc, (long long)id);
	rc = store_user_insert(st, "amina", "staff", "h2", T0 + 1, &id);
	buf_printf(b, "insert -> %d %lld\n", rc, (long long)id);
	rc = store_user_insert(st, "Baraka", "viewer", "h3", T0 + 2, &id);
	buf_printf(b, "insert -> %d %lld\n", rc, (long long)id);
	rc = store_user_insert(st, "amina", "staff", "h4", T0 + 3, &id);
	buf_printf(b, "insert again -> %d\n", rc);
	rc = store_user_insert(st, "x", "boss", "h", T0, &id);
	buf_printf(b, "insert bad -> %d\n", rc);
	rc = store_user_each(st, on_user, b);
	buf_printf(b, "each -> %d\n", rc);
	rc = store_user_count_role(st, "staff", &n);
	buf_printf(b, "count -> %d %lld\n", rc, (long long)n);
	rc = store_user_set_role(st, "amina", "admin", T0 + 4);
	buf_printf(b, "role -> %d\n", rc);
	rc = store_user_set_role(st, "nobody", "admin", T0 + 4);
	buf_printf(b, "role none -> %d\n", rc);
	rc = store_user_set_hash(st, "amina", "h5", T0 + 5);
	buf_printf(b, "hash -> %d\n", rc);
	rc = store_user_touch_login(st, 2, T0 + 6);
	buf_printf(b, "login -> %d\n", rc);
	rc = store_user_get(st, "amina", &u);
	buf_printf(b, "get -> %d %lld %s %s %s %lld %lld %lld\n", rc,
	    (long long)u.id, u.name, u.role, u.hash, (long long)u.created,
	    (long long)u.updated, (long long)u.last_login);
	store_user_free(&u);
	buf_printf(b, "get none -> %d\n", store_user_get(st, "nobody", &u));

	/* Web sessions. */
	rc = store_web_session_insert(st, sid, 2, "csrf-1", T0, T0 + 100);
	buf_printf(b, "ws -> %d\n", rc);
	rc = store_web_session_get(st, sid, T0 + 50, &ws);
	buf_printf(b, "ws get -> %d %lld %s %s %s %lld %lld %lld\n", rc,
	    (long long)ws.user_id, ws.user, ws.role, ws.csrf,
	    (long long)ws.created, (long long)ws.last_seen,
	    (long long)ws.expires);
	rc = store_web_session_touch(st, sid, T0 + 60, T0 + 200);
	buf_printf(b, "ws touch -> %d\n", rc);
	rc = store_web_session_get(st, sid, T0 + 150, &ws);
	buf_printf(b, "ws get later -> %d %lld\n", rc, (long long)ws.expires);
	buf_printf(b, "ws purge -> %lld\n",
	    (long long)store_web_session_purge(st, T0 + 100));
	buf_printf(b, "ws delete user -> %lld\n",
	    (long long)store_web_session_delete_user(st, 2));
	rc = store_web_session_insert(st, sid, 2, "csrf-2", T0, T0 + 100);
	buf_printf(b, "ws again -> %d\n", rc);
	buf_printf(b, "ws delete -> %d\n", store_web_session_delete(st, sid));
	buf_printf(
	    b, "ws gone -> %d\n", store_web_session_get(st, sid, T0, &ws));
	rc = store_user_delete(st, "Baraka");
	buf_printf(b, "delete -> %d\n", rc);
	rc = store_user_delete(st, "Baraka");
	buf_printf(b, "delete again -> %d\n", rc);

	/* The audit log. */
	rc = store_audit_insert(
	    st, T0, "amina", "report.update", "report/7", "status closed");
	buf_printf(b, "audit -> %d\n", rc);
	rc = store_audit_insert(st, T0 + 1, "token", "user.add", NULL, NULL);
	buf_printf(b, "audit -> %d\n", rc);
	rc = store_audit_insert(st, T0, "", "x", NULL, NULL);
	buf_printf(b, "audit bad -> %d\n", rc);
	rc = store_audit_page(st, 0, 10, on_audit, b);
	buf_printf(b, "page -> %d\n", rc);
	rc = store_audit_page(st, 2, 10, on_audit, b);
	buf_printf(b, "page before 2 -> %d\n", rc);

	/* Report feedback. */
	rc = store_contact_get(st, "+254700000001", T0, &c);
	store_contact_free(&c);
	rc =
	    store_report_create(st, 1, "report", "water", NULL, NULL, T0, &rid);
	buf_printf(b, "report -> %d %lld\n", rc, (long long)rid);
	buf_printf(b, "answer early -> %d\n",
	    store_feedback_answer(st, rid, 1, T0 + 1));
	buf_printf(b, "ask -> %d\n", store_feedback_ask(st, rid, T0 + 10));
	buf_printf(
	    b, "ask again -> %d\n", store_feedback_ask(st, rid, T0 + 11));
	rc = store_feedback_pending(st, 1, T0, &id, &asked);
	buf_printf(b, "pending -> %d %lld %lld\n", rc, (long long)id,
	    (long long)asked);
	buf_printf(
	    b, "answer -> %d\n", store_feedback_answer(st, rid, 1, T0 + 20));
	rc = store_feedback_get(st, rid, &f);
	buf_printf(b, "get -> %d %lld %s %lld\n", rc, (long long)f.asked,
	    f.answer, (long long)f.answered);
	rc = store_feedback_pending(st, 1, T0, &id, &asked);
	buf_printf(b, "pending after -> %d\n", rc);
	rc = store_feedback_counts(st, &y, &n);
	buf_printf(
	    b, "counts -> %d %lld %lld\n", rc, (long long)y, (long long)n);
	buf_printf(b, "get none -> %d\n", store_feedback_get(st, 99, &f));

	/* Spend and the channel log. */
	rc = store_spend_segments(st, "at", "2026-12-05", &n);
	buf_printf(b, "segments -> %d %lld\n", rc, (long long)n);
	rc = store_spend_pending(st, "at", T0, T0 + 1000, &n);
	buf_printf(b, "pending spend -> %d %lld\n", rc, (long long)n);
	buf_printf(b, "log -> %d\n", store_chanlog_add(st, &e));
	e.time = T0 + 10;
	e.message_id = 0;
	e.status = 0;
	e.error = "timed out";
	e.answer = NULL;
	buf_printf(b, "log -> %d\n", store_chanlog_add(st, &e));
	rc = store_chanlog_each(st, 0, on_log, b);
	buf_printf(b, "each log 0 -> %d\n", rc);
	buf_printf(b, "log purge -> %lld\n",
	    (long long)store_chanlog_purge(st, T0 + 5, LOG_CHUNK));
	buf_printf(b, "log purge again -> %lld\n",
	    (long long)store_chanlog_purge(st, T0 + 5, LOG_CHUNK));
}

/* Stops a walk after its first row, printing it as on_user does. */
static int
on_user_first(void *arg, const struct store_user *u)
{
	buf_printf(arg, "  first user %s\n", u->name);
	return 1;
}

static int
on_audit_first(void *arg, const struct store_audit *a)
{
	buf_printf(arg, "  first audit %lld\n", (long long)a->id);
	return 1;
}

static int
on_log_first(void *arg, const struct store_chanlog *e)
{
	buf_printf(arg, "  first log %lld\n", (long long)e->id);
	return 1;
}

/* A local time just after midnight at UTC+3 (TZ below), the day before
 * in UTC: the spend's day is the process's local one. */
#define T1 INT64_C(1764970200000) /* 2025-12-05 21:30 UTC, 12-06 00:30 */

/*
 * The edges: refusals and a taken name inside a transaction that goes on,
 * walks stopped early, limits, session expiry at its boundary, ids that
 * differ after a zero byte, feedback across reports, spend from the queue
 * and the channel log of a message.
 */
static void
script_edges(struct store *st, struct buf *b)
{
	static const unsigned char s1[STORE_WEB_SESSION_ID] = {0, 0, 7};
	static const unsigned char s2[STORE_WEB_SESSION_ID] = {0, 0, 7, 1};
	static const unsigned char s3[STORE_WEB_SESSION_ID] = {1, 2, 3};
	char csrf[STORE_CSRF_MAX], longer[STORE_CSRF_MAX + 1],
	    day[STORE_DAY_LEN];
	char name[STORE_NAME_MAX + 2], req[STORE_CHANLOG_REQUEST + 2];
	struct store_msg_out m = {
	    "at", MSG_SMS, 0, "+254700000002", "hello", MSG_QUEUED, 3, T1, 0};
	struct store_chanlog e = {0, T0, "at", 0, 0, 0, NULL, NULL, NULL};
	struct store_queue_msg *q = NULL;
	struct store_web_session ws;
	struct store_feedback f;
	struct store_contact c;
	int64_t id = 0, n = 0, y = 0, r1 = 0, r2 = 0, r3 = 0, m1 = 0, m2 = 0;
	size_t nq = 0;
	int rc, i;

	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	buf_printf(b, "insert long -> %d\n",
	    store_user_insert(st, name, "admin", "h", T0, &id));
	name[STORE_NAME_MAX] = '\0';
	buf_printf(b, "insert longest -> %d\n",
	    store_user_insert(st, name, "admin", "h", T0, &id));
	buf_printf(b, "insert empty -> %d\n",
	    store_user_insert(st, "", "admin", "h", T0, &id));
	buf_printf(b, "insert no hash -> %d\n",
	    store_user_insert(st, "neema", "admin", "", T0, &id));

	/* A taken name and a session of no user leave the transaction on. */
	buf_printf(b, "begin -> %d\n", store_begin(st));
	rc = store_user_insert(st, "neema", "viewer", "h", T0 + 1, &id);
	buf_printf(b, "insert -> %d %lld\n", rc, (long long)id);
	rc = store_user_insert(st, "neema", "admin", "h", T0 + 2, &id);
	buf_printf(b, "insert taken -> %d\n", rc);
	rc = store_web_session_insert(st, s1, 999, "c", T0, T0 + 10);
	buf_printf(b, "ws no user -> %d\n", rc);
	rc = store_user_insert(st, "Neema", "staff", "h", T0 + 3, &id);
	buf_printf(b, "insert case -> %d %lld\n", rc, (long long)id);
	rc = store_user_insert(st, "_x", "viewer", "h", T0 + 4, &id);
	buf_printf(b, "insert -> %d %lld\n", rc, (long long)id);
	buf_printf(b, "commit -> %d\n", store_commit(st));
	rc = store_user_each(st, on_user, b);
	buf_printf(b, "each -> %d\n", rc);
	rc = store_user_each(st, on_user_first, b);
	buf_printf(b, "each first -> %d\n", rc);
	rc = store_user_count_role(st, "admin", &n);
	buf_printf(b, "count admin -> %d %lld\n", rc, (long long)n);
	rc = store_user_count_role(st, "nobody", &n);
	buf_printf(b, "count none -> %d %lld\n", rc, (long long)n);
	buf_printf(b, "role bad -> %d\n",
	    store_user_set_role(st, "neema", "root", T0));
	buf_printf(
	    b, "hash empty -> %d\n", store_user_set_hash(st, "neema", "", T0));
	buf_printf(
	    b, "hash none -> %d\n", store_user_set_hash(st, "nobody", "h", T0));
	buf_printf(
	    b, "login none -> %d\n", store_user_touch_login(st, 999, T0));

	/* Sessions: ids equal up to a zero byte, expiry at its edge. */
	memset(csrf, 'c', sizeof(csrf) - 1);
	csrf[sizeof(csrf) - 1] = '\0';
	memset(longer, 'c', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	buf_printf(b, "ws long -> %d\n",
	    store_web_session_insert(st, s1, 1, longer, T0, T0 + 10));
	buf_printf(b, "ws empty -> %d\n",
	    store_web_session_insert(st, s1, 1, "", T0, T0 + 10));
	buf_printf(b, "ws -> %d\n",
	    store_web_session_insert(st, s1, 1, csrf, T0, T0 + 10));
	buf_printf(b, "ws -> %d\n",
	    store_web_session_insert(st, s2, 2, "two", T0, T0 + 20));
	rc = store_web_session_get(st, s1, T0 + 9, &ws);
	buf_printf(b, "ws get -> %d %s %s %s\n", rc, ws.user, ws.role, ws.csrf);
	rc = store_web_session_get(st, s1, T0 + 10, &ws);
	buf_printf(b, "ws at expiry -> %d '%s'\n", rc, ws.user);
	rc = store_web_session_get(st, s2, T0 + 10, &ws);
	buf_printf(
	    b, "ws other -> %d %lld %s\n", rc, (long long)ws.user_id, ws.csrf);
	buf_printf(b, "ws touch none -> %d\n",
	    store_web_session_touch(st, s3, T0, T0));
	buf_printf(b, "ws purge -> %lld\n",
	    (long long)store_web_session_purge(st, T0 + 10));
	buf_printf(b, "ws purge again -> %lld\n",
	    (long long)store_web_session_purge(st, T0 + 10));
	buf_printf(
	    b, "ws delete none -> %d\n", store_web_session_delete(st, s1));
	buf_printf(b, "ws delete user none -> %lld\n",
	    (long long)store_web_session_delete_user(st, 1));
	buf_printf(b, "delete -> %d\n", store_user_delete(st, "Neema"));
	rc = store_web_session_get(st, s2, T0, &ws);
	buf_printf(b, "ws of deleted -> %d\n", rc);

	/* The audit log: walks stopped, limits, a page before. */
	for (i = 0; i < 5; i++)
		buf_printf(b, "audit -> %d\n",
		    store_audit_insert(st, T0 + i, "neema", "x.y",
			i % 2 ? "o" : NULL, i % 3 ? NULL : "d"));
	buf_printf(b, "audit no action -> %d\n",
	    store_audit_insert(st, T0, "neema", NULL, NULL, NULL));
	buf_printf(b, "audit long user -> %d\n",
	    store_audit_insert(st, T0, name, "x", NULL, NULL));
	buf_printf(
	    b, "page 2 -> %d\n", store_audit_page(st, -1, 2, on_audit, b));
	buf_printf(
	    b, "page 0 -> %d\n", store_audit_page(st, 0, 0, on_audit, b));
	buf_printf(b, "page all -> %d\n",
	    store_audit_page(st, 4, SIZE_MAX, on_audit, b));
	buf_printf(b, "page first -> %d\n",
	    store_audit_page(st, 0, 10, on_audit_first, b));
	buf_printf(b, "page before 1 -> %d\n",
	    store_audit_page(st, 1, 10, on_audit, b));

	/* Feedback on three reports of one contact. */
	store_contact_get(st, "+254700000001", T0, &c);
	store_contact_free(&c);
	store_report_create(st, 1, "report", "water", NULL, NULL, T0, &r1);
	store_report_create(st, 1, "report", "roads", NULL, NULL, T0, &r2);
	store_report_create(st, 1, "report", "light", NULL, NULL, T0, &r3);
	buf_printf(b, "reports %lld %lld %lld\n", (long long)r1, (long long)r2,
	    (long long)r3);
	rc = store_feedback_get(st, r1, &f);
	buf_printf(b, "get unasked -> %d %lld '%s' %lld\n", rc,
	    (long long)f.asked, f.answer, (long long)f.answered);
	buf_printf(b, "pending none -> %d\n",
	    store_feedback_pending(st, 1, 0, &id, &n));
	buf_printf(b, "ask -> %d\n", store_feedback_ask(st, r1, T0 + 5));
	buf_printf(b, "ask -> %d\n", store_feedback_ask(st, r2, T0 + 5));
	buf_printf(b, "ask -> %d\n", store_feedback_ask(st, r3, T0 + 3));
	buf_printf(b, "ask none -> %d\n", store_feedback_ask(st, 99, T0));
	rc = store_feedback_pending(st, 1, T0, &id, &n);
	buf_printf(
	    b, "pending -> %d %lld %lld\n", rc, (long long)id, (long long)n);
	buf_printf(b, "pending at since -> %d\n",
	    store_feedback_pending(st, 1, T0 + 5, &id, &n));
	buf_printf(b, "pending other -> %d\n",
	    store_feedback_pending(st, 2, 0, &id, &n));
	buf_printf(b, "no -> %d\n", store_feedback_answer(st, r2, 0, T0 + 7));
	buf_printf(
	    b, "no again -> %d\n", store_feedback_answer(st, r2, 1, T0 + 8));
	rc = store_feedback_pending(st, 1, T0, &id, &n);
	buf_printf(
	    b, "pending -> %d %lld %lld\n", rc, (long long)id, (long long)n);
	buf_printf(b, "yes -> %d\n", store_feedback_answer(st, r1, 1, T0 + 9));
	buf_printf(b, "no -> %d\n", store_feedback_answer(st, r3, 0, T0 + 9));
	rc = store_feedback_counts(st, &y, &n);
	buf_printf(
	    b, "counts -> %d %lld %lld\n", rc, (long long)y, (long long)n);
	rc = store_feedback_get(st, r2, &f);
	buf_printf(b, "get -> %d %lld %s %lld\n", rc, (long long)f.asked,
	    f.answer, (long long)f.answered);

	/* Spend: what the queue holds, then what was sent, by local day. */
	rc = store_msg_insert_outbound(st, &m, T1, &m1);
	buf_printf(b, "out -> %d %lld\n", rc, (long long)m1);
	m.segments = 2;
	m.next_attempt = T1 + 1000;
	rc = store_msg_insert_outbound(st, &m, T1, &m2);
	buf_printf(b, "out -> %d %lld\n", rc, (long long)m2);
	m.channel = "other";
	store_msg_insert_outbound(st, &m, T1, NULL);
	rc = store_spend_pending(st, "at", T1, T1 + 1000, &n);
	buf_printf(b, "pending spend -> %d %lld\n", rc, (long long)n);
	rc = store_spend_pending(st, "at", T1, T1 + 1001, &n);
	buf_printf(b, "pending spend -> %d %lld\n", rc, (long long)n);
	rc = store_queue_claim(st, "at", T1, 1, &q, &nq);
	buf_printf(b, "claim -> %d %zu\n", rc, nq);
	store_queue_msgs_free(q, nq);
	rc = store_spend_pending(st, "at", 0, T1 + 1001, &n);
	buf_printf(b, "pending claimed -> %d %lld\n", rc, (long long)n);
	buf_printf(b, "sent -> %d\n", store_queue_sent(st, m1, "p1", T1));
	rc = store_spend_pending(st, "at", 0, T1 + 1001, &n);
	buf_printf(b, "pending after -> %d %lld\n", rc, (long long)n);
	rc = store_spend_segments(st, "at", store_local_day(T1, day), &n);
	buf_printf(b, "segments %s -> %d %lld\n", day, rc, (long long)n);
	rc = store_spend_segments(st, "at", "2025-12-05", &n);
	buf_printf(b, "segments utc day -> %d %lld\n", rc, (long long)n);
	rc = store_spend_segments(st, "other", day, &n);
	buf_printf(b, "segments other -> %d %lld\n", rc, (long long)n);

	/* The channel log of a message, its refusals, a purge of all. */
	buf_printf(b, "log empty purge -> %lld\n",
	    (long long)store_chanlog_purge(st, T0, LOG_CHUNK));
	e.channel = NULL;
	buf_printf(b, "log no channel -> %d\n", store_chanlog_add(st, &e));
	e.channel = "at";
	memset(req, 'r', sizeof(req) - 1);
	req[sizeof(req) - 1] = '\0';
	e.request = req;
	buf_printf(b, "log long -> %d\n", store_chanlog_add(st, &e));
	req[STORE_CHANLOG_REQUEST] = '\0';
	for (i = 0; i < 3; i++) {
		e.message_id = i == 1 ? 0 : m1;
		e.time = T0 + 10 * i;
		e.status = 200 + i;
		e.ms = i;
		e.answer = i == 2 ? "ok" : NULL;
		buf_printf(b, "log -> %d\n", store_chanlog_add(st, &e));
	}
	buf_printf(
	    b, "each log -> %d\n", store_chanlog_each(st, m1, on_log, b));
	buf_printf(b, "each log first -> %d\n",
	    store_chanlog_each(st, m1, on_log_first, b));
	buf_printf(
	    b, "each log none -> %d\n", store_chanlog_each(st, 999, on_log, b));
	buf_printf(b, "log purge -> %lld\n",
	    (long long)store_chanlog_purge(st, T0 + 10, LOG_CHUNK));
	/* At most one id a call: the oldest row, then the next. */
	buf_printf(b, "log purge one -> %lld\n",
	    (long long)store_chanlog_purge(st, T0 + 1000, 1));
	buf_printf(b, "log purge all -> %lld\n",
	    (long long)store_chanlog_purge(st, T0 + 1000, LOG_CHUNK));
	buf_printf(
	    b, "each log after -> %d\n", store_chanlog_each(st, m1, on_log, b));
}

static void
test_edges(void **state)
{
	struct buf a;

	(void)state;
	if (pgtest_same(script_edges, 1 << 20, &a) != 0)
		skip();
	assert_non_null(strstr(buf_cstr(&a), "insert taken -> -3\n"));
	assert_non_null(strstr(buf_cstr(&a), "ws no user -> -1\n"));
	assert_non_null(strstr(buf_cstr(&a), "commit -> 0\n"));
	assert_non_null(strstr(buf_cstr(&a), "  user 3 Neema"));
	assert_non_null(strstr(buf_cstr(&a), "ws at expiry -> 1 ''\n"));
	assert_non_null(strstr(buf_cstr(&a), "pending -> 0 2 "));
	assert_non_null(strstr(buf_cstr(&a), "segments 2025-12-06 -> 0 3\n"));
	assert_non_null(strstr(buf_cstr(&a), "segments utc day -> 0 0\n"));
	assert_non_null(strstr(buf_cstr(&a), "log purge one -> 1\n"));
	assert_non_null(strstr(buf_cstr(&a), "log purge all -> 1\n"));
	buf_free(&a);
}

static void
test_same_answers(void **state)
{
	struct buf a;

	(void)state;
	if (pgtest_same(script, 1 << 20, &a) != 0)
		skip();
	/* The answers meant, not two equal mistakes. */
	assert_non_null(strstr(buf_cstr(&a), "insert again -> -3\n"));
	assert_non_null(strstr(buf_cstr(&a), "  user 3 Baraka"));
	assert_non_null(strstr(buf_cstr(&a), "ws get -> 0 2 amina admin"));
	assert_non_null(strstr(buf_cstr(&a), "counts -> 0 1 0\n"));
	assert_non_null(strstr(buf_cstr(&a), "log purge -> 1\n"));
	buf_free(&a);
}

int
main(void)
{
	/* UTC+3 without tzdata: a local day that is not the server's. */
	setenv("TZ", "EAT-3", 1);
	tzset();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_answers),
	    cmocka_unit_test(test_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
