/*
 * test_pg_events.c: the PostgreSQL store's campaigns and event webhooks'
 * queue (store_pg_events.c) against SQLite's (store_campaign.c,
 * store_events.c): the same calls on an empty store of each kind must give
 * the same answers, written down and compared; and two connections
 * claiming events at once never take the same one. Skipped where
 * PostgreSQL is not installed (pgtest.h).
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
on_name(void *arg, const char *name)
{
	buf_printf(arg, "  column %s\n", name);
	return 0;
}

static int
on_row(void *arg, const struct store_campaign_row *r)
{
	buf_printf(arg, "  due %s %s %s\n", r->key, r->row, r->date);
	return 0;
}

static int
on_count(void *arg, const char *name, int64_t n)
{
	buf_printf(arg, "  date %s %lld\n", name, (long long)n);
	return 0;
}

static void
add_row(struct store *st, struct buf *b, const char *key, const char *row)
{
	buf_printf(b, "row %s -> %d\n", key,
	    store_table_add_row(
		st, "clinic", key, strlen(key), row, strlen(row)));
}

static void
script(struct store *st, struct buf *b)
{
	struct store_campaign_query q = {"remind", "clinic", "visit", -1};
	struct store_event *v;
	struct store_event_msg m;
	struct store_msg_out out = {.channel = "at",
	    .kind = MSG_SMS,
	    .phone = "+254700000002",
	    .text = "Clinic tomorrow.",
	    .state = MSG_QUEUED,
	    .segments = 1,
	    .next_attempt = T0};
	int64_t n = -1, id = 0, ms = 0;
	size_t k, i;
	int rc;

	/* Campaigns over a data table. */
	rc = store_campaign_columns(st, "clinic", on_name, b);
	buf_printf(b, "columns none -> %d\n", rc);
	rc = store_table_replace_begin(
	    st, "clinic", "account", "[\"account\",\"name\",\"visit\"]", T0);
	buf_printf(b, "table -> %d\n", rc);
	add_row(st, b, "1",
	    "{\"account\":\"1\",\"name\":\"Amina\",\"visit\":\"2026-12-07\"}");
	add_row(st, b, "2",
	    "{\"account\":\"2\",\"name\":\"Juma\",\"visit\":\"2026-12-06\"}");
	add_row(st, b, "3",
	    "{\"account\":\"3\",\"name\":\"Neema\",\"visit\":\"7/12/2026\"}");
	add_row(st, b, "4", "{\"account\":\"4\",\"name\":\"Baraka\"}");
	add_row(st, b, "5",
	    "{\"account\":\"5\",\"name\":\"Zawadi\",\"visit\":\"2026-12-07\"}");
	rc = store_campaign_columns(st, "clinic", on_name, b);
	buf_printf(b, "columns -> %d\n", rc);
	rc = store_campaign_dates(st, &q, "2026-12-06", on_count, b);
	buf_printf(b, "dates -> %d\n", rc);
	rc = store_campaign_due(
	    st, &q, "[\"2026-12-07\",\"2026-12-09\"]", on_row, b);
	buf_printf(b, "due -> %d\n", rc);
	rc = store_campaign_mark(st, "remind", "1", -1, "2026-12-07", 0, T0);
	buf_printf(b, "mark -> %d\n", rc);
	rc = store_campaign_mark(st, "remind", "1", -1, "2026-12-07", 0, T0);
	buf_printf(b, "mark again -> %d\n", rc);
	rc = store_campaign_due(st, &q, "[\"2026-12-07\"]", on_row, b);
	buf_printf(b, "due after mark -> %d\n", rc);
	rc = store_campaign_dates(st, &q, "2026-12-07", on_count, b);
	buf_printf(b, "dates after mark -> %d\n", rc);
	rc = store_campaign_sent(st, "remind", &n);
	buf_printf(b, "sent -> %d %lld\n", rc, (long long)n);
	rc = store_campaign_bad_dates(st, "clinic", "visit", &n);
	buf_printf(b, "bad dates -> %d %lld\n", rc, (long long)n);
	rc = store_campaign_last_run(st, "remind", &ms);
	buf_printf(b, "last run none -> %d\n", rc);
	rc = store_campaign_set_last_run(st, "remind", T0 + 5);
	buf_printf(b, "set last run -> %d\n", rc);
	rc = store_campaign_set_last_run(st, "remind", T0 + 6);
	buf_printf(b, "set last run again -> %d\n", rc);
	rc = store_campaign_last_run(st, "remind", &ms);
	buf_printf(b, "last run -> %d %lld\n", rc, (long long)ms);

	/* Event webhooks. */
	for (i = 0; i < 3; i++) {
		rc = store_event_insert(st, i == 2 ? "audit" : "crm",
		    "report.created", "{\"id\":1}", T0 + (int64_t)i, &id);
		buf_printf(b, "event -> %d %lld\n", rc, (long long)id);
	}
	rc = store_event_insert(st, "crm", "x", "{bad", T0, &id);
	buf_printf(b, "event bad -> %d\n", rc);
	buf_printf(b, "next due %lld none %lld\n",
	    (long long)store_event_next_due(st, "crm"),
	    (long long)store_event_next_due(st, "nobody"));
	rc = store_event_claim(st, "crm", T0 + 10, T0 + 60000, 5, &v, &k);
	buf_printf(b, "claim -> %d %zu\n", rc, k);
	for (i = 0; i < k; i++)
		buf_printf(b, "  %lld %s %s %lld %d\n", (long long)v[i].id,
		    v[i].event, v[i].data, (long long)v[i].created,
		    v[i].attempts);
	store_events_free(v, k);
	rc = store_event_claim(st, "crm", T0 + 10, T0 + 60000, 5, &v, &k);
	buf_printf(b, "claim leased -> %d %zu\n", rc, k);
	store_events_free(v, k);
	buf_printf(
	    b, "retry -> %d\n", store_event_retry(st, 1, T0 + 20, "503"));
	buf_printf(b, "delete -> %d\n", store_event_delete(st, 2));
	rc = store_event_waiting(st, &n);
	buf_printf(b, "waiting -> %d %lld\n", rc, (long long)n);
	buf_printf(b, "drop -> %lld\n",
	    (long long)store_event_drop_others(st, "[\"crm\"]"));
	rc = store_event_waiting(st, &n);
	buf_printf(b, "waiting after -> %d %lld\n", rc, (long long)n);
	rc = store_msg_insert_outbound(st, &out, T0 + 7, &id);
	buf_printf(b, "msg -> %d\n", rc);
	rc = store_event_msg_get(st, id, &m);
	buf_printf(b,
	    "event msg -> %d %d %d %s %lld %s %s %s %s %d %lld %lld\n", rc,
	    (int)m.direction, (int)m.kind, m.channel, (long long)m.contact_id,
	    m.phone, m.text, msg_state_name(m.state), m.error ? m.error : "-",
	    m.attempts, (long long)m.created, (long long)m.updated);
	store_event_msg_free(&m);
	buf_printf(
	    b, "event msg none -> %d\n", store_event_msg_get(st, 99, &m));
}

static void
test_same_answers(void **state)
{
	struct buf a;

	(void)state;
	if (pgtest_same(script, 1 << 20, &a) != 0)
		skip();
	/* The answers meant, not two equal mistakes. */
	assert_non_null(strstr(buf_cstr(&a), "mark again -> -3\n"));
	assert_non_null(strstr(buf_cstr(&a), "bad dates -> 0 2\n"));
	assert_non_null(strstr(buf_cstr(&a), "claim -> 0 2\n"));
	assert_non_null(strstr(buf_cstr(&a), "claim leased -> 0 0\n"));
	assert_non_null(strstr(buf_cstr(&a), "event bad -> -2\n"));
	buf_free(&a);
}

/* Two nodes claiming at once never take the same event. */
static void
test_claims_skip_locked(void **state)
{
	struct store *sq, *pg, *other;
	struct store_event *v, *w;
	size_t n, k;
	char *err = NULL;
	int i;

	(void)state;
	if (pgtest_pair(&sq, &pg) != 0)
		skip();
	for (i = 0; i < 3; i++)
		assert_int_equal(store_event_insert(pg, "crm", "report.created",
				     "{}", T0, NULL),
		    0);
	assert_int_equal(store_open(pgtest_uri(), 0, &other, &err), 0);
	assert_int_equal(store_begin(pg), 0);
	assert_int_equal(
	    store_event_claim(pg, "crm", T0, T0 + 60000, 2, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_begin(other), 0);
	assert_int_equal(
	    store_event_claim(other, "crm", T0, T0 + 60000, 5, &w, &k), 0);
	assert_int_equal(k, 1);
	assert_int_equal(w[0].id, 3);
	assert_int_equal(store_commit(other), 0);
	assert_int_equal(store_commit(pg), 0);
	store_events_free(v, n);
	store_events_free(w, k);
	store_close(other);
	store_close(sq);
	store_close(pg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_answers),
	    cmocka_unit_test(test_claims_skip_locked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
