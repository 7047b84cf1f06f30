/*
 * test_pg_council.c: the PostgreSQL store's broadcasts, forgetting,
 * retention, report listings and figures (store_pg_council.c) against
 * SQLite's (store_council.c): the same calls on an empty store of each
 * kind must give the same answers, written down and compared. Skipped
 * where PostgreSQL is not installed (pgtest.h).
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
	buf_printf(arg, "  name %s\n", name);
	return 0;
}

static int
on_tally(void *arg, const char *a, const char *b, int64_t n)
{
	buf_printf(arg, "  tally '%s' '%s' %lld\n", a, b, (long long)n);
	return 0;
}

static int
on_count(void *arg, const struct store_contact_count *c)
{
	buf_printf(arg, "  count %s %s %lld %lld\n", c->direction, c->state,
	    (long long)c->n, (long long)c->with_text);
	return 0;
}

static int
on_report(void *arg, const struct store_report *r, const char *note)
{
	buf_printf(arg, "  report %lld c=%lld %s %s %s %s %s %lld %lld %s\n",
	    (long long)r->id, (long long)r->contact_id, r->flow ? r->flow : "-",
	    r->category ? r->category : "-", r->location ? r->location : "-",
	    r->details ? r->details : "-", r->status, (long long)r->created,
	    (long long)r->updated, note ? note : "-");
	return 0;
}

static int
on_event(void *arg, int64_t time, const char *status, const char *note)
{
	buf_printf(arg, "  event %lld %s %s\n", (long long)time, status,
	    note ? note : "-");
	return 0;
}

static int
on_failure(void *arg, const struct store_failure *f)
{
	buf_printf(arg, "  failure %lld %s %s %s\n", (long long)f->when,
	    f->channel, f->phone, f->error);
	return 0;
}

static int
on_modem(void *arg, const struct store_modem *m)
{
	buf_printf(arg, "  modem %s %d %d %s %s %lld %s %lld %lld %lld\n",
	    m->channel, m->up, m->signal, m->network ? m->network : "-",
	    m->balance ? m->balance : "-", (long long)m->balance_at,
	    m->last_error ? m->last_error : "-", (long long)m->failures,
	    (long long)m->restarts, (long long)m->updated);
	return 0;
}

static void
script(struct store *st, struct buf *b)
{
	static const double bounds[STORE_RES_BOUNDS] = {
	    1, 10, 60, 600, 3600, 86400, 604800, 1e12};
	static const char *const open_only[] = {"open"};
	static const char *const water[] = {"water"};
	static const int64_t ids[] = {1, 3};
	struct store_report_filter f;
	struct store_broadcast_chunk ch;
	struct store_broadcast bc;
	struct store_contact c;
	struct store_forgotten fg;
	struct store_resolution res;
	struct store_modem m = {.channel = "m1", .up = 1, .signal = 60};
	struct store_msg_out out = {.channel = "at",
	    .kind = MSG_SMS,
	    .phone = "+254700000001",
	    .text = "hello",
	    .state = MSG_QUEUED,
	    .segments = 1,
	    .next_attempt = T0};
	char *note = NULL, phone[32];
	int64_t id = 0, n = 0, after = 0, rid;
	int i, rc;

	/* Five contacts, four subscribed to "water", one opted out. */
	for (i = 1; i <= 5; i++) {
		snprintf(phone, sizeof(phone), "+25470000000%d", i);
		rc = store_contact_touch(
		    st, phone, i == 2 ? "tw" : "at", T0, &c);
		store_contact_free(&c);
		if (i < 5)
			rc = store_subscribe(st, i, "water", T0);
	}
	rc = store_subscribe(st, 1, "roads", T0);
	rc = store_contact_set_opted_out(st, 3, 1, T0);
	rc = store_broadcast_audience(st, "water", &n);
	buf_printf(b, "audience -> %d %lld\n", rc, (long long)n);
	rc = store_broadcast_insert(
	    st, "Boil water", "water", "at", T0, T0, &id);
	buf_printf(b, "broadcast -> %d %lld\n", rc, (long long)id);
	memset(&ch, 0, sizeof(ch));
	ch.id = id;
	ch.topic = "water";
	ch.text = "Boil water";
	ch.channels = "[\"at\",\"tw\"]";
	ch.channel = "at";
	ch.segments = 1;
	ch.send_at = T0;
	ch.now = T0;
	ch.limit = 2;
	rc = store_broadcast_queue_chunk(st, &ch, &after, &n);
	buf_printf(b, "chunk -> %d n=%lld after=%lld\n", rc, (long long)n,
	    (long long)after);
	rc = store_broadcast_queue_chunk(st, &ch, &after, &n);
	buf_printf(b, "chunk -> %d n=%lld after=%lld\n", rc, (long long)n,
	    (long long)after);
	rc = store_broadcast_queue_chunk(st, &ch, &after, &n);
	buf_printf(b, "chunk -> %d n=%lld after=%lld\n", rc, (long long)n,
	    (long long)after);
	rc = store_broadcast_set_totals(st, id, 3, 1);
	rc = store_queue_fail(st, 2, "rejected", T0 + 5);
	rc = store_broadcast_get(st, id, &bc);
	buf_printf(b,
	    "get -> %d %lld %s %s %s %lld %lld %lld %lld q=%lld f=%lld\n", rc,
	    (long long)bc.id, bc.text, bc.topic, bc.channel,
	    (long long)bc.created, (long long)bc.send_at,
	    (long long)bc.recipients, (long long)bc.segments,
	    (long long)bc.queued, (long long)bc.failed);
	store_broadcast_free(&bc);
	buf_printf(b, "get none -> %d\n", store_broadcast_get(st, 99, &bc));
	buf_printf(b, "fk -> %d %d\n", store_foreign_keys(st, 0),
	    store_foreign_keys(st, 1));

	/* `baraza contact`. */
	rc = store_contact_by_id(st, 1, &c);
	buf_printf(b, "by id -> %d %s %s\n", rc, c.phone, c.fields);
	store_contact_free(&c);
	buf_printf(b, "by id none -> %d\n", store_contact_by_id(st, 99, &c));
	buf_printf(
	    b, "topics -> %d\n", store_contact_topics(st, 1, on_name, b));
	rc = store_msg_insert_outbound(st, &out, T0 + 1, NULL);
	buf_printf(b, "messages -> %d\n",
	    store_contact_messages(st, 1, "+254700000001", on_count, b));
	rc = store_session_save(st, "k1", 1, "bal", "{}", T0 + 100);
	rc = store_contact_sessions(st, 1, T0, &n);
	buf_printf(b, "sessions -> %d %lld\n", rc, (long long)n);

	/* Reports. */
	for (i = 0; i < 3; i++) {
		rc = store_report_create(st, i == 2 ? 2 : 1, "report",
		    i == 1 ? "roads" : "water", "Kibera", "pipe", T0 + i, &rid);
		buf_printf(b, "report -> %d %lld\n", rc, (long long)rid);
	}
	rc = store_report_add_event(st, 1, "acknowledged", "seen", T0 + 10);
	rc = store_report_add_event(st, 1, "resolved", "", T0 + 60000);
	rc = store_report_add_event(st, 3, "closed", "done", T0 + 5000);
	buf_printf(b, "contact reports -> %d\n",
	    store_contact_reports(st, 1, on_report, b));
	buf_printf(
	    b, "each all -> %d\n", store_report_each(st, NULL, on_report, b));
	memset(&f, 0, sizeof(f));
	f.statuses = open_only;
	f.nstatuses = 1;
	buf_printf(
	    b, "each open -> %d\n", store_report_each(st, &f, on_report, b));
	memset(&f, 0, sizeof(f));
	f.categories = water;
	f.ncategories = 1;
	f.ids = ids;
	f.nids = 2;
	f.has_since = 1;
	f.since = T0;
	f.has_until = 1;
	f.until = T0 + 1;
	f.limit = 5;
	buf_printf(b, "each filtered -> %d\n",
	    store_report_each(st, &f, on_report, b));
	buf_printf(
	    b, "events -> %d\n", store_report_events(st, 1, 2, on_event, b));
	rc = store_report_last_note(st, 1, &note);
	buf_printf(b, "last note -> %d %s\n", rc, note ? note : "-");
	free(note);
	buf_printf(
	    b, "last note none -> %d\n", store_report_last_note(st, 2, &note));
	buf_printf(b, "categories -> %d\n",
	    store_report_categories(st, 10, on_name, b));

	/* Figures. */
	buf_printf(
	    b, "stats messages -> %d\n", store_stats_messages(st, on_tally, b));
	buf_printf(
	    b, "stats reports -> %d\n", store_stats_reports(st, on_tally, b));
	rc = store_stats_sessions(st, T0, &n);
	buf_printf(b, "stats sessions -> %d %lld\n", rc, (long long)n);
	rc = store_stats_resolution(st, bounds, &res);
	buf_printf(b, "resolution -> %d %lld %.3f", rc, (long long)res.resolved,
	    res.sum);
	for (i = 0; i < STORE_RES_BOUNDS; i++)
		buf_printf(b, " %lld", (long long)res.le[i]);
	buf_printf(b, "\n");
	buf_printf(
	    b, "failures -> %d\n", store_stats_failures(st, 5, on_failure, b));
	rc = store_modem_state_put(st, &m);
	buf_printf(b, "modems -> %d\n", store_stats_modems(st, on_modem, b));
	buf_printf(b, "modem known -> %d %d\n",
	    store_stats_modem_known(st, "m1"),
	    store_stats_modem_known(st, "m2"));

	/* Forgetting and retention. */
	rc = store_contact_set_field(st, 1, "name", "Amina", T0);
	rc = store_contact_set_language(st, 1, "sw", T0);
	rc = store_contact_forget(st, 1, T0 + 200, &fg);
	buf_printf(b,
	    "forget -> %d t=%lld c=%lld i=%lld s=%lld sub=%lld r=%lld "
	    "f=%lld l=%d\n",
	    rc, (long long)fg.texts, (long long)fg.cancelled,
	    (long long)fg.in_flight, (long long)fg.sessions,
	    (long long)fg.subscriptions, (long long)fg.reports,
	    (long long)fg.fields, fg.language);
	buf_printf(
	    b, "forget none -> %d\n", store_contact_forget(st, 99, T0, &fg));
	buf_printf(b, "purge -> %lld\n",
	    (long long)store_privacy_purge(st, T0 + 1000));
	(void)rc;
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
	assert_non_null(strstr(buf_cstr(&a), "audience -> 0 3\n"));
	assert_non_null(strstr(buf_cstr(&a), "chunk -> 0 n=1 after=4\n"));
	assert_non_null(strstr(buf_cstr(&a), "resolution -> 0 2 "));
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
