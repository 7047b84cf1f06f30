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

static void
messages(struct store *st, struct buf *b, const char *what,
    const struct store_msg_query *q)
{
	int64_t next = -1;
	int rc = store_console_messages(st, q, on_msg, b, &next);

	buf_printf(b, "%s -> %d next=%lld\n", what, rc, (long long)next);
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
	int64_t id, next = 0, ages[3] = {0, 0, 0}, rid;
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
		if (i % 2)
			rc = store_msg_insert_inbound_contact(
			    st, &in, T0 + i * 1000, &id, &rid);
		else {
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

	rc = store_console_count(st, "out", T0, T0 + 3000, &id);
	buf_printf(b, "count -> %d %lld\n", rc, (long long)id);
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
	assert_non_null(strstr(buf_cstr(&a), "page 1 -> 0 next=5\n"));
	assert_non_null(strstr(buf_cstr(&a), "contacts part -> 0 next=0\n"));
	assert_non_null(strstr(buf_cstr(&a), "median -> 0 4998.5\n"));
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
