/*
 * test_pg_console.c: the PostgreSQL store's console queries
 * (store_pg_console.c) against SQLite's (store_console.c): the same calls
 * on an empty store of each kind must give the same answers, written down
 * and compared. Skipped where PostgreSQL is not installed (pgtest.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/store.h"
#include "lib/util.h"
#include "pgtest.h"

#define T0 INT64_C(1764900000000)

static int
on_msg(void *arg, const struct store_msg_row *m)
{
	buf_printf(arg,
	    "  msg %lld %s %s %s %s %s %s %d %d %s %lld %lld %lld\n",
	    (long long)m->id, m->direction, m->kind, m->channel, m->phone,
	    m->state, m->text ? m->text : "-", m->segments, m->attempts,
	    m->error ? m->error : "-", (long long)m->contact_id,
	    (long long)m->created, (long long)m->updated);
	return 0;
}

static int
on_contact(void *arg, const struct store_contact *c)
{
	buf_printf(arg, "  contact %lld %s %s %d %s %s\n", (long long)c->id,
	    c->phone, c->language ? c->language : "-", c->opted_out, c->fields,
	    c->last_channel ? c->last_channel : "-");
	return 0;
}

static int
on_report(void *arg, const struct store_report *r, const char *note)
{
	buf_printf(arg, "  report %lld %lld %s %s %s %s\n", (long long)r->id,
	    (long long)r->contact_id, r->category ? r->category : "-",
	    r->location ? r->location : "-", r->status, note ? note : "-");
	return 0;
}

static int
on_count(void *arg, const char *name, int64_t n)
{
	buf_printf(arg, "  count %s %lld\n", name, (long long)n);
	return 0;
}

static int
on_open(void *arg, const char *category, int64_t open, int64_t oldest)
{
	buf_printf(arg, "  open '%s' %lld %lld\n", category, (long long)open,
	    (long long)oldest);
	return 0;
}

static int
on_table(void *arg, const struct store_table_info *t)
{
	buf_printf(arg, "  table %s %s %s %lld %lld\n", t->name, t->key,
	    t->columns, (long long)t->rows, (long long)t->updated);
	return 0;
}

/* Stops a walk after its first row. */
static int
on_msg_stop(void *arg, const struct store_msg_row *m)
{
	on_msg(arg, m);
	return 1;
}

static int
on_contact_stop(void *arg, const struct store_contact *c)
{
	on_contact(arg, c);
	return 1;
}

static int
on_report_stop(void *arg, const struct store_report *r, const char *note)
{
	on_report(arg, r, note);
	return 1;
}

static int
on_count_stop(void *arg, const char *name, int64_t n)
{
	on_count(arg, name, n);
	return 1;
}

static void
contacts(struct store *st, struct buf *b, const char *what,
    const struct store_contact_query *q)
{
	int64_t next = -1;
	int rc = store_console_contacts(st, q, on_contact, b, &next);

	buf_printf(b, "%s -> %d next=%lld\n", what, rc, (long long)next);
}

static void
reports(struct store *st, struct buf *b, const char *what,
    const struct store_report_query *q)
{
	int64_t next = -1;
	int rc = store_console_reports(st, q, on_report, b, &next);

	buf_printf(b, "%s -> %d next=%lld\n", what, rc, (long long)next);
}

static void
messages(struct store *st, struct buf *b, const char *what,
    const struct store_msg_query *q)
{
	int64_t next = -1;
	int rc = store_console_messages(st, q, on_msg, b, &next);

	buf_printf(b, "%s -> %d next=%lld\n", what, rc, (long long)next);
}

/*
 * The edges, on the data script() left: escaped and ASCII-only case
 * searches, pages after pages, NULL sorting first, byte order, refusals
 * and callbacks that stop a walk.
 */
static void
more(struct store *st, struct buf *b)
{
	static const char *const cats[] = {"water", "x\"y\\"};
	static const char *const closed[] = {"resolved", "closed"};
	struct store_msg_out out = {.channel = "zz",
	    .kind = MSG_SMS,
	    .state = MSG_QUEUED,
	    .segments = 2,
	    .next_attempt = T0,
	    .phone = "+254700000009",
	    .text = "\xc3\x89lan 100%"};
	struct store_msg_query q;
	struct store_contact_query cq;
	struct store_report_query rq;
	struct store_channel_health h;
	struct store_outcomes o = {1, 2, 3};
	struct store_queue_msg *claimed = NULL;
	size_t nclaimed = 0;
	int64_t id = 0, nout = 0, next = 0, rid = 0, ages[3] = {-1, -1, -1};
	double median = 0;
	int rc;

	/* Channels whose byte order is not the alphabet's. */
	rc = store_msg_insert_outbound(st, &out, T0 + 7000, &id);
	out.channel = "Ab";
	out.text = NULL;
	rc = store_msg_insert_outbound(st, &out, T0 + 7000, &id);
	out.channel = "ab";
	out.text = "a_b";
	rc = store_msg_insert_outbound(st, &out, T0 + 8000, &id);
	buf_printf(b, "inserted %d %lld\n", rc, (long long)id);
	buf_printf(b, "queued -> %d\n", store_console_queued(st, on_count, b));
	buf_printf(b, "queued stop -> %d\n",
	    store_console_queued(st, on_count_stop, b));
	/* A failed message without a text cannot be queued again. */
	rc = store_queue_claim(st, "Ab", T0 + 8050, 5, &claimed, &nclaimed);
	buf_printf(b, "claimed %d %zu\n", rc, nclaimed);
	store_queue_msgs_free(claimed, nclaimed);
	rc = store_queue_fail(st, id - 1, "gone", T0 + 8100);
	buf_printf(b, "retry no text -> %d %d\n",
	    store_console_retry(st, id - 1, T0 + 9000),
	    store_console_retry(st, 1, T0 + 9000));

	memset(&q, 0, sizeof(q));
	buf_printf(b, "limit 0 -> %d\n",
	    store_console_messages(st, &q, on_msg, b, &next));
	q.limit = 3;
	q.text = "\xc3\xa9LAN"; /* not the same letter to SQLite */
	messages(st, b, "not ascii", &q);
	q.text = "\xc3\x89LAN 100%";
	messages(st, b, "ascii case", &q);
	q.text = "a_b";
	messages(st, b, "underscore", &q);
	q.text = "_";
	messages(st, b, "underscore alone", &q);
	q.text = "%";
	messages(st, b, "percent alone", &q);
	q.text = NULL;
	q.state = "failed";
	q.channel = "Ab";
	messages(st, b, "state channel", &q);
	q.state = NULL;
	q.channel = NULL;
	q.before = 1000;
	messages(st, b, "before beyond", &q);
	q.before = 1;
	messages(st, b, "before first", &q);
	q.before = 0;
	q.has_since = 1;
	q.since = T0 + 7000;
	messages(st, b, "since", &q);
	q.has_since = 0;
	q.has_until = 1;
	q.until = T0 - 1;
	messages(st, b, "until before all", &q);
	q.has_until = 0;
	q.phone = "+254700000001";
	messages(st, b, "phone", &q);
	q.phone = NULL;
	q.contact_id = 1;
	q.limit = 1;
	messages(st, b, "contact page", &q);
	q.contact_id = 99;
	messages(st, b, "contact none", &q);
	q.contact_id = 0;
	q.limit = 5;
	next = -1;
	rc = store_console_messages(st, &q, on_msg_stop, b, &next);
	buf_printf(b, "messages stop -> %d next=%lld\n", rc, (long long)next);
	rc = store_console_message(st, id, on_msg, b);
	buf_printf(b, "one queued -> %d\n", rc);

	rc = store_contact_set_field(st, 1, "note", "50% off", T0 + 1);
	rc = store_contact_set_field(st, 3, "note", "5 bob", T0 + 1);
	rc = store_contact_set_last_channel(st, 1, "tw", T0 + 2);
	memset(&cq, 0, sizeof(cq));
	buf_printf(b, "contacts limit 0 -> %d\n",
	    store_console_contacts(st, &cq, on_contact, b, &next));
	cq.limit = 5;
	cq.part = "50%";
	contacts(st, b, "contacts percent", &cq);
	cq.part = "5_";
	contacts(st, b, "contacts underscore", &cq);
	cq.part = "aMiNa";
	contacts(st, b, "contacts case", &cq);
	cq.part = "+2547";
	cq.part_in_phone = 1;
	cq.limit = 1;
	contacts(st, b, "contacts number page 1", &cq);
	cq.before = 3;
	contacts(st, b, "contacts number page 2", &cq);
	cq.before = 0;
	cq.part = NULL;
	cq.part_in_phone = 0;
	cq.phone = "+254700000002";
	contacts(st, b, "contacts phone", &cq);
	cq.phone = "+254799999999";
	contacts(st, b, "contacts phone none", &cq);
	cq.phone = NULL;
	cq.limit = 5;
	next = -1;
	rc = store_console_contacts(st, &cq, on_contact_stop, b, &next);
	buf_printf(b, "contacts stop -> %d next=%lld\n", rc, (long long)next);

	rc = store_report_create(
	    st, 0, NULL, "x\"y\\", "KIBERA_", NULL, T0 + 10, &rid);
	rc = store_report_add_event(st, rid, "acknowledged", "", T0 + 11);
	rc = store_report_add_event(st, rid, "in_progress", "seen", T0 + 12);
	rc = store_report_add_event(st, rid, "resolved", "", T0 + 20);
	rc = store_report_add_event(st, 1, "closed", "done", T0 + 1);
	memset(&rq, 0, sizeof(rq));
	reports(st, b, "reports all", &rq);
	rq.categories = cats;
	rq.ncategories = 2;
	reports(st, b, "reports categories", &rq);
	rq.categories = NULL;
	rq.ncategories = 0;
	rq.statuses = closed;
	rq.nstatuses = 2;
	rq.limit = 1;
	reports(st, b, "reports closed page 1", &rq);
	rq.before = rid;
	reports(st, b, "reports closed page 2", &rq);
	memset(&rq, 0, sizeof(rq));
	rq.words = "kibera_";
	reports(st, b, "reports words", &rq);
	rq.words = "kibera%";
	reports(st, b, "reports words none", &rq);
	rq.words = NULL;
	next = -1;
	rc = store_console_reports(st, &rq, on_report_stop, b, &next);
	buf_printf(b, "reports stop -> %d next=%lld\n", rc, (long long)next);

	rc = store_console_median_resolution(st, &median);
	buf_printf(b, "median odd -> %d %.1f\n", rc, median);
	rc = store_console_report_ages(st, T0 + 5, T0 - 5, ages);
	buf_printf(b, "ages -> %d %lld %lld %lld\n", rc, (long long)ages[0],
	    (long long)ages[1], (long long)ages[2]);
	buf_printf(
	    b, "open -> %d\n", store_console_open_reports(st, on_open, b));
	rc = store_console_outcomes(st, "Ab", 0, id, &o);
	buf_printf(b, "outcomes add -> %d %lld %lld %lld\n", rc,
	    (long long)o.failed_today, (long long)o.failed, (long long)o.done);
	rc = store_console_channel(st, "Ab", &h);
	buf_printf(b, "channel Ab -> %d %lld %lld %s\n", rc,
	    (long long)h.last_ok, (long long)h.last_failed,
	    h.error ? h.error : "-");
	store_channel_health_free(&h);
	rc = store_console_channel(st, "none", &h);
	buf_printf(b, "channel none -> %d %lld %lld %s\n", rc,
	    (long long)h.last_ok, (long long)h.last_failed,
	    h.error ? h.error : "-");
	store_channel_health_free(&h);
	rc = store_console_counts(st, T0, T0 + 100000, &id, &nout);
	buf_printf(b, "count -> %d in %lld out %lld\n", rc, (long long)id,
	    (long long)nout);
	rc = store_console_first_id(st, T0 + 100000, &id);
	buf_printf(b, "first id after all -> %d %lld\n", rc, (long long)id);
	rc = store_console_first_id(st, 0, &id);
	buf_printf(b, "first id before all -> %d %lld\n", rc, (long long)id);

	/* A NULL fallback sorts first, as SQLite's NULL does. */
	buf_printf(b, "audience null -> %d\n",
	    store_console_audience_channels(
		st, "water", "[\"tw\"]", NULL, on_count, b));
	buf_printf(b, "audience none -> %d\n",
	    store_console_audience_channels(
		st, "water", NULL, "web", on_count, b));
	buf_printf(b, "audience stop -> %d\n",
	    store_console_audience_channels(
		st, "water", "[\"tw\",\"at\"]", "web", on_count_stop, b));
	rc = store_subscribe(st, 2, "Zebra", T0);
	rc = store_subscribe(st, 1, "apple", T0);
	buf_printf(b, "topics -> %d\n", store_console_topics(st, on_count, b));
	rc = store_table_replace_begin(st, "Zeta", "k", "[\"k\"]", T0 + 1);
	rc = store_table_replace_end(st, "Zeta", 7);
	buf_printf(b, "tables -> %d\n", store_console_tables(st, on_table, b));
}

static void
script(struct store *st, struct buf *b)
{
	static const char *const open_only[] = {"open"};
	static const int64_t ids[] = {1, 2};
	struct store_msg_query q;
	struct store_contact_query cq;
	struct store_report_query rq;
	struct store_outcomes o = {0, 0, 0};
	struct store_channel_health h;
	struct store_contact c;
	struct store_msg_in in = {
	    .channel = "at", .kind = MSG_SMS, .state = MSG_HANDLED};
	struct store_msg_out out = {.channel = "at",
	    .kind = MSG_SMS,
	    .state = MSG_QUEUED,
	    .segments = 1,
	    .next_attempt = T0};
	char phone[32], text[64];
	int64_t id, nin = 0, next = 0, ages[3] = {0, 0, 0}, rid;
	double median = 0;
	int i, rc;

	for (i = 1; i <= 3; i++) {
		snprintf(phone, sizeof(phone), "+25470000000%d", i);
		rc = store_contact_touch(st, phone, "at", T0, &c);
		store_contact_free(&c);
		rc = store_subscribe(st, i, i == 3 ? "roads" : "water", T0);
	}
	rc = store_contact_set_field(st, 2, "name", "Amina Odhiambo", T0);
	rc = store_contact_set_opted_out(st, 3, 1, T0);
	for (i = 0; i < 6; i++) {
		snprintf(phone, sizeof(phone), "+25470000000%d", i % 3 + 1);
		snprintf(text, sizeof(text), "%s %d",
		    i % 2 ? "BAL" : "Water_50%", i);
		in.phone = out.phone = phone;
		in.text = out.text = text;
		if (i % 2) {
			rc = store_msg_insert_inbound_contact(
			    st, &in, T0 + i * 1000, &id, &c);
			store_contact_free(&c);
		} else {
			out.contact_id = i == 4 ? 0 : i % 3 + 1;
			rc = store_msg_insert_outbound(
			    st, &out, T0 + i * 1000, &id);
		}
	}
	rc = store_queue_sent(st, 1, "p1", T0 + 100);
	rc = store_queue_report(
	    st, "at", NULL, 3, MSG_FAILED, "absent", T0 + 200);

	memset(&q, 0, sizeof(q));
	q.limit = 2;
	messages(st, b, "page 1", &q);
	q.before = 5;
	messages(st, b, "page 2", &q);
	memset(&q, 0, sizeof(q));
	q.limit = 10;
	q.text = "water_50%";
	messages(st, b, "text", &q);
	q.text = NULL;
	q.direction = "out";
	q.has_since = 1;
	q.since = T0 + 1000;
	q.has_until = 1;
	q.until = T0 + 4000;
	messages(st, b, "out in time", &q);
	memset(&q, 0, sizeof(q));
	q.limit = 10;
	q.contact_id = 2;
	q.phone = "+254700000002";
	messages(st, b, "contact", &q);
	buf_printf(b, "one -> %d\n", store_console_message(st, 3, on_msg, b));
	buf_printf(
	    b, "one none -> %d\n", store_console_message(st, 99, on_msg, b));
	buf_printf(b, "retry -> %d %d %d\n", store_console_retry(st, 3, T0 + 9),
	    store_console_retry(st, 2, T0 + 9),
	    store_console_retry(st, 99, T0));

	memset(&cq, 0, sizeof(cq));
	cq.limit = 2;
	rc = store_console_contacts(st, &cq, on_contact, b, &next);
	buf_printf(b, "contacts -> %d next=%lld\n", rc, (long long)next);
	cq.part = "AMINA";
	rc = store_console_contacts(st, &cq, on_contact, b, &next);
	buf_printf(b, "contacts part -> %d next=%lld\n", rc, (long long)next);
	cq.part = "0003";
	cq.part_in_phone = 1;
	rc = store_console_contacts(st, &cq, on_contact, b, &next);
	buf_printf(
	    b, "contacts in phone -> %d next=%lld\n", rc, (long long)next);

	for (i = 0; i < 3; i++) {
		rc = store_report_create(st, i + 1, "report",
		    i == 1 ? NULL : "water", i ? "Kibera" : "Kilimani",
		    "Burst PIPE", T0 + i, &rid);
	}
	rc = store_report_add_event(st, 2, "resolved", "fixed", T0 + 3000);
	rc = store_report_add_event(st, 3, "closed", NULL, T0 + 7000);
	memset(&rq, 0, sizeof(rq));
	rq.limit = 2;
	rc = store_console_reports(st, &rq, on_report, b, &next);
	buf_printf(b, "reports -> %d next=%lld\n", rc, (long long)next);
	memset(&rq, 0, sizeof(rq));
	rq.statuses = open_only;
	rq.nstatuses = 1;
	rq.words = "pipe";
	rq.ids = ids;
	rq.nids = 2;
	rq.has_until = 1;
	rq.until = T0 + 5;
	rc = store_console_reports(st, &rq, on_report, b, &next);
	buf_printf(
	    b, "reports filtered -> %d next=%lld\n", rc, (long long)next);

	rc = store_console_counts(st, T0, T0 + 3000, &nin, &id);
	buf_printf(b, "count -> %d in %lld out %lld\n", rc, (long long)nin,
	    (long long)id);
	rc = store_console_first_id(st, T0 + 2500, &id);
	buf_printf(b, "first id -> %d %lld\n", rc, (long long)id);
	rc = store_console_outcomes(st, "at", 1, 3, &o);
	buf_printf(b, "outcomes -> %d %lld %lld %lld\n", rc,
	    (long long)o.failed_today, (long long)o.failed, (long long)o.done);
	buf_printf(b, "queued -> %d\n", store_console_queued(st, on_count, b));
	rc = store_console_channel(st, "at", &h);
	buf_printf(b, "channel -> %d %lld %lld %s\n", rc, (long long)h.last_ok,
	    (long long)h.last_failed, h.error ? h.error : "-");
	store_channel_health_free(&h);
	buf_printf(
	    b, "open -> %d\n", store_console_open_reports(st, on_open, b));
	rc = store_console_report_ages(st, T0 + 1, T0, ages);
	buf_printf(b, "ages -> %d %lld %lld %lld\n", rc, (long long)ages[0],
	    (long long)ages[1], (long long)ages[2]);
	rc = store_console_median_resolution(st, &median);
	buf_printf(b, "median -> %d %.1f\n", rc, median);
	buf_printf(b, "topics -> %d\n", store_console_topics(st, on_count, b));
	rc = store_table_replace_begin(
	    st, "bills", "account", "[\"account\"]", T0);
	buf_printf(b, "tables -> %d\n", store_console_tables(st, on_table, b));
	buf_printf(b, "audience -> %d\n",
	    store_console_audience_channels(
		st, "water", "[\"tw\"]", "web", on_count, b));
	more(st, b);
}

static void
test_same_answers(void **state)
{
	struct buf a;

	(void)state;
	if (pgtest_same(script, 1 << 20, &a) != 0)
		skip();
	/* The answers meant, not two equal mistakes. */
	assert_non_null(strstr(buf_cstr(&a), "page 1 -> 0 next=5\n"));
	assert_non_null(strstr(buf_cstr(&a), "contacts part -> 0 next=0\n"));
	assert_non_null(strstr(buf_cstr(&a), "median -> 0 4998.5\n"));
	assert_non_null(strstr(buf_cstr(&a), "not ascii -> 0 next=0\n"));
	assert_non_null(
	    strstr(buf_cstr(&a), "off\"} tw\ncontacts percent -> 0 next=0\n"
				 "contacts underscore -> 0 next=0\n"));
	assert_non_null(strstr(
	    buf_cstr(&a), "  count  1\n  count tw 1\naudience null -> 0\n"));
	assert_non_null(strstr(buf_cstr(&a),
	    "  count Ab 1\n  count ab 1\n  count at 3\n  count zz 1\n"));
	buf_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_answers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
