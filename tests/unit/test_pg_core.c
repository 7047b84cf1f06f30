/*
 * test_pg_core.c: the PostgreSQL store's contacts, sessions, reports,
 * subscriptions and data tables (store_pg_core.c) against SQLite's
 * (store.c): the same calls on an empty store of each kind must give the
 * same answers, written down line by line and compared; and what only
 * nodes sharing a database meet: the sessions' housekeeping passing over
 * a row another transaction holds. Skipped where PostgreSQL is not
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
#define T0_SQL "1764900000000"

static void
show_contact(
    struct buf *b, const char *what, int rc, const struct store_contact *c)
{
	buf_printf(b,
	    "%s -> %d id=%lld %s lang=%s out=%d fields=%s ch=%s "
	    "c=%lld u=%lld\n",
	    what, rc, (long long)c->id, c->phone ? c->phone : "-",
	    c->language ? c->language : "-", c->opted_out,
	    c->fields ? c->fields : "-",
	    c->last_channel ? c->last_channel : "-", (long long)c->created,
	    (long long)c->updated);
}

static void
show_session(
    struct buf *b, const char *what, int rc, const struct store_session *s)
{
	buf_printf(b, "%s -> %d c=%lld %s %s e=%lld l=%lld r=%s s=%s m=%d\n",
	    what, rc, (long long)s->contact_id, s->flow ? s->flow : "-",
	    s->state ? s->state : "-", (long long)s->expires,
	    (long long)s->last, s->resume ? s->resume : "-",
	    s->screen ? s->screen : "-", s->menu);
}

static void
script(struct store *st, struct buf *b)
{
	struct store_contact c;
	struct store_session ss, got;
	struct store_report r;
	char *row, *key;
	int64_t id, a, k, n = -1;
	int rc;

	/* Contacts. */
	rc = store_contact_get(st, "+254700000001", T0, &c);
	show_contact(b, "get new", rc, &c);
	a = c.id;
	store_contact_free(&c);
	rc = store_contact_get(st, "+254700000001", T0 + 1, &c);
	show_contact(b, "get known", rc, &c);
	store_contact_free(&c);
	buf_printf(b, "get bad -> %d\n", store_contact_get(st, "0700", T0, &c));
	rc = store_contact_touch(st, "+254700000002", "at", T0 + 2, &c);
	show_contact(b, "touch new", rc, &c);
	k = c.id;
	store_contact_free(&c);
	rc = store_contact_touch(st, "+254700000002", "tw", T0 + 3, &c);
	show_contact(b, "touch other channel", rc, &c);
	store_contact_free(&c);
	buf_printf(b, "lang -> %d %d %d\n",
	    store_contact_set_language(st, a, "sw", T0 + 4),
	    store_contact_set_language(st, 999, "sw", T0 + 4),
	    store_contact_set_language(st, a, "", T0 + 4));
	/* One call a statement: the order of a call's arguments is not. */
	rc = store_contact_set_field(st, a, "name", "Amina", T0 + 5);
	buf_printf(b, "field -> %d\n", rc);
	rc = store_contact_set_field(st, a, "account", "1234567", T0 + 6);
	buf_printf(b, "field -> %d\n", rc);
	rc = store_contact_set_field(st, a, "name", "Amina \"O\" ✓", T0 + 7);
	buf_printf(b, "field -> %d\n", rc);
	rc = store_contact_set_field(st, a, "Bad-Name", "x", T0 + 7);
	buf_printf(b, "field bad -> %d\n", rc);
	rc = store_contact_set_field(st, 999, "name", "x", T0 + 7);
	buf_printf(b, "field none -> %d\n", rc);
	buf_printf(
	    b, "out -> %d\n", store_contact_set_opted_out(st, a, 1, T0 + 8));
	rc = store_contact_find(st, "+254700000001", &c);
	show_contact(b, "find", rc, &c);
	store_contact_free(&c);
	buf_printf(b, "field gone -> %d\n",
	    store_contact_set_field(st, a, "name", NULL, T0 + 9));
	rc = store_contact_find(st, "+254700000001", &c);
	show_contact(b, "find again", rc, &c);
	store_contact_free(&c);
	rc = store_contact_find(st, "+254700000099", &c);
	show_contact(b, "find none", rc, &c);

	/* Sessions. */
	buf_printf(b, "save -> %d\n",
	    store_session_save(st, "at:s1", a, "bal", "{\"n\":1}", T0 + 100));
	buf_printf(b, "save bad json -> %d\n",
	    store_session_save(st, "at:s2", a, "bal", "{nope", T0 + 100));
	rc = store_session_load(st, "at:s1", T0 + 50, &got);
	show_session(b, "load", rc, &got);
	store_session_free(&got);
	rc = store_session_load(st, "at:s1", T0 + 100, &got);
	show_session(b, "load expired", rc, &got);
	memset(&ss, 0, sizeof(ss));
	ss.contact_id = a;
	ss.flow = "report";
	ss.state = "{\"step\":\"where\"}";
	ss.expires = T0 + 500;
	ss.last = T0 + 60;
	ss.resume = "at *384#";
	ss.screen = "Where is it?";
	ss.menu = 1;
	buf_printf(b, "put -> %d\n", store_session_put(st, "at:s3", &ss));
	ss.state = "[1,";
	buf_printf(b, "put bad -> %d\n", store_session_put(st, "at:s4", &ss));
	rc =
	    store_session_resumable(st, a, "at *384#", T0, T0 + 70, &key, &got);
	show_session(b, "resumable", rc, &got);
	buf_printf(b, "  key %s\n", key ? key : "-");
	free(key);
	store_session_free(&got);
	rc = store_session_resumable(
	    st, a, "at *384#", T0 + 60, T0 + 70, &key, &got);
	show_session(b, "resumable none", rc, &got);
	free(key);
	buf_printf(b, "delete -> %d\n", store_session_delete(st, "at:s3"));
	buf_printf(b, "purge -> %d\n", store_session_purge(st, T0 + 1000));
	/*
	 * A session alive past the expiry it began with: a step moves its
	 * expires, not its purge_after; the housekeeping keeps it (and moves
	 * its purge_after), then deletes it once it expires.
	 */
	ss.state = "{}";
	ss.expires = T0 + 2000;
	buf_printf(b, "put long -> %d\n", store_session_put(st, "at:s5", &ss));
	ss.expires = T0 + 9000;
	buf_printf(b, "step long -> %d\n", store_session_put(st, "at:s5", &ss));
	buf_printf(
	    b, "purge alive -> %d\n", store_session_purge(st, T0 + 3000));
	rc = store_stats_sessions(st, T0 + 3000, &n);
	buf_printf(b, "stats sessions -> %d %lld\n", rc, (long long)n);
	buf_printf(
	    b, "purge expired -> %d\n", store_session_purge(st, T0 + 9000));
	rc = store_stats_sessions(st, T0 + 9000, &n);
	buf_printf(b, "stats sessions -> %d %lld\n", rc, (long long)n);

	/* Reports. */
	rc = store_report_create(
	    st, a, "report", "water", "Kibera", "burst pipe", T0 + 10, &id);
	buf_printf(b, "report -> %d %lld\n", rc, (long long)id);
	rc = store_report_create(st, 0, NULL, NULL, NULL, NULL, T0 + 11, &id);
	buf_printf(b, "report bare -> %d %lld\n", rc, (long long)id);
	buf_printf(b, "event -> %d %d %d\n",
	    store_report_add_event(st, 1, "acknowledged", "on it", T0 + 12),
	    store_report_add_event(st, 99, "closed", NULL, T0 + 12),
	    store_report_add_event(st, 1, "nonsense", NULL, T0 + 12));
	rc = store_report_get(st, 1, &r);
	buf_printf(b, "report get -> %d %lld c=%lld %s %s %s %s %s %lld %lld\n",
	    rc, (long long)r.id, (long long)r.contact_id, r.flow, r.category,
	    r.location, r.details, r.status, (long long)r.created,
	    (long long)r.updated);
	store_report_free(&r);
	rc = store_report_get(st, 2, &r);
	buf_printf(b, "report bare get -> %d c=%lld %s\n", rc,
	    (long long)r.contact_id, r.flow ? r.flow : "-");
	store_report_free(&r);
	buf_printf(b, "report none -> %d\n", store_report_get(st, 9, &r));

	/* Subscriptions. */
	buf_printf(b, "sub -> %d %d %d %d\n",
	    store_subscribe(st, a, "water", T0),
	    store_subscribe(st, a, "water", T0 + 1),
	    store_subscribed(st, a, "water"), store_subscribed(st, a, "roads"));
	buf_printf(b, "unsub -> %d %d %d\n", store_unsubscribe(st, a, "water"),
	    store_subscribed(st, a, "water"), store_subscribe(st, a, "", T0));

	/* Data tables. */
	buf_printf(b, "lookup no table -> %d\n",
	    store_lookup(st, "bills", "account", "1", &row));
	buf_printf(b, "replace -> %d\n",
	    store_table_replace_begin(st, "bills", "account",
		"[\"account\",\"name\",\"balance\"]", T0));
	{
		static const char r1[] = "{\"account\":\"1234567\","
					 "\"name\":\"Amina\","
					 "\"balance\":\"1250\"}xx";
		static const char r2[] = "{\"account\":\"7654321\","
					 "\"name\":\"Juma\","
					 "\"balance\":\"1250\"}";

		/* Lengths are what count: the first key and row end early. */
		rc = store_table_add_row(
		    st, "bills", "1234567xx", 7, r1, sizeof(r1) - 3);
		buf_printf(b, "row -> %d\n", rc);
		rc = store_table_add_row(
		    st, "bills", "7654321", 7, r2, sizeof(r2) - 1);
		buf_printf(b, "row -> %d\n", rc);
		rc = store_table_add_row(st, "bills", "1234567", 7, "{}", 2);
		buf_printf(b, "row again -> %d\n", rc);
		rc = store_table_replace_end(st, "bills", 2);
		buf_printf(b, "end -> %d\n", rc);
	}
	rc = store_lookup(st, "bills", "account", "7654321", &row);
	buf_printf(b, "lookup key -> %d %s\n", rc, row ? row : "-");
	free(row);
	rc = store_lookup(st, "bills", "balance", "1250", &row);
	buf_printf(b, "lookup scan -> %d %s\n", rc, row ? row : "-");
	free(row);
	rc = store_lookup(st, "bills", "name", "Nobody", &row);
	buf_printf(b, "lookup none -> %d\n", rc);
	free(row);
	buf_printf(b, "lookup bad column -> %d\n",
	    store_lookup(st, "bills", "colour", "x", &row));
	(void)k;
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
	assert_int_equal(store_begin(sq), 0);
	assert_int_equal(store_begin(pg), 0);
	script(sq, &a);
	script(pg, &b);
	assert_int_equal(store_commit(sq), 0);
	assert_int_equal(store_commit(pg), 0);
	assert_string_equal(buf_cstr(&b), buf_cstr(&a));
	/* The answers meant, not two equal mistakes. */
	assert_non_null(strstr(buf_cstr(&a), "get new -> 1 id=1"));
	assert_non_null(strstr(buf_cstr(&a),
	    "fields={\"name\":\"Amina \\\"O\\\" ✓\",\"account\":\"1234567\"}"));
	assert_non_null(strstr(buf_cstr(&a), "save bad json -> -2\n"));
	assert_non_null(strstr(buf_cstr(&a), "row again -> -3\n"));
	assert_non_null(strstr(buf_cstr(&a),
	    "purge alive -> 0\nstats sessions -> 0 1\n"
	    "purge expired -> 1\nstats sessions -> 0 0\n"));
	buf_free(&a);
	buf_free(&b);
	store_close(sq);
	store_close(pg);
}

/* Runs sql on the raw connection c, which must take it. */
static void
exec_ok(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType e = PQresultStatus(r);

	assert_true(e == PGRES_COMMAND_OK || e == PGRES_TUPLES_OK);
	PQclear(r);
}

/* Each session's key and purge_after, as c sees them. */
static void
purge_afters(PGconn *c, char *out, size_t size)
{
	PGresult *r =
	    PQexec(c, "SELECT string_agg(key || '=' || (purge_after - " T0_SQL
		      ")::text, ' ' ORDER BY key) FROM sessions");

	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	snprintf(out, size, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
}

/*
 * The housekeeping passes over a session another transaction holds
 * locked (a step in this or another node's turn) instead of waiting for
 * it: that row keeps its purge_after until a later pass moves it.
 */
static void
test_purge_skips_locked(void **state)
{
	struct store *st = pgtest_open();
	struct store_session ss;
	struct store_contact c;
	PGconn *other;
	char seen[128];

	(void)state;
	if (st == NULL)
		skip();
	assert_int_equal(store_contact_get(st, "+254700000001", T0, &c), 1);
	memset(&ss, 0, sizeof(ss));
	ss.contact_id = c.id;
	ss.flow = "menu";
	ss.state = "{}";
	ss.last = T0;
	ss.expires = T0 + 2000;
	assert_int_equal(store_session_put(st, "at:free", &ss), 0);
	assert_int_equal(store_session_put(st, "at:held", &ss), 0);
	ss.expires = T0 + 9000; /* a step of each */
	assert_int_equal(store_session_put(st, "at:free", &ss), 0);
	assert_int_equal(store_session_put(st, "at:held", &ss), 0);

	other = PQconnectdb(pgtest_db);
	assert_int_equal(PQstatus(other), CONNECTION_OK);
	/* Were the housekeeping to wait, the lock would go in 5 s. */
	exec_ok(other, "SET idle_in_transaction_session_timeout = '5s'");
	exec_ok(other, "BEGIN");
	exec_ok(
	    other, "SELECT 1 FROM sessions WHERE key = 'at:held' FOR UPDATE");
	assert_int_equal(store_session_purge(st, T0 + 3000), 0);
	purge_afters(other, seen, sizeof(seen));
	assert_string_equal(seen, "at:free=9000 at:held=2000");
	exec_ok(other, "COMMIT");
	assert_int_equal(store_session_purge(st, T0 + 3000), 0);
	purge_afters(other, seen, sizeof(seen));
	assert_string_equal(seen, "at:free=9000 at:held=9000");
	PQfinish(other);
	store_contact_free(&c);
	store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_answers),
	    cmocka_unit_test(test_purge_skips_locked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
