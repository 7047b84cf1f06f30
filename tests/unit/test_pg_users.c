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

#include <cmocka.h>

#include "gateway/store.h"
#include "lib/util.h"
#include "pgtest.h"

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
	    (long long)store_chanlog_purge(st, T0 + 5));
	buf_printf(b, "log purge again -> %lld\n",
	    (long long)store_chanlog_purge(st, T0 + 5));
}

static void
test_same_answers(void **state)
{
	struct store *sq, *pg;
	struct buf a, b;

	(void)state;
	if (pgtest_pair(&sq, &pg) != 0)
		skip();
	buf_init(&a, 1 << 20);
	buf_init(&b, 1 << 20);
	script(sq, &a);
	script(pg, &b);
	assert_string_equal(buf_cstr(&b), buf_cstr(&a));
	/* The answers meant, not two equal mistakes. */
	assert_non_null(strstr(buf_cstr(&a), "insert again -> -3\n"));
	assert_non_null(strstr(buf_cstr(&a), "  user 3 Baraka"));
	assert_non_null(strstr(buf_cstr(&a), "ws get -> 0 2 amina admin"));
	assert_non_null(strstr(buf_cstr(&a), "counts -> 0 1 0\n"));
	assert_non_null(strstr(buf_cstr(&a), "log purge -> 1\n"));
	buf_free(&a);
	buf_free(&b);
	store_close(sq);
	store_close(pg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_answers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
