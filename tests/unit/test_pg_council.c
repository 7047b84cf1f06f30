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

/* Rows a walk takes before its callback stops it (0: all of them). */
static int stop_left;

/* 1 when the callback should stop the walk at this row. */
static int
stop(void)
{
	return stop_left > 0 && --stop_left == 0;
}

static int
on_name(void *arg, const char *name)
{
	buf_printf(arg, "  name %s\n", name);
	return stop();
}

static int
on_tally(void *arg, const char *a, const char *b, int64_t n)
{
	buf_printf(arg, "  tally '%s' '%s' %lld\n", a, b, (long long)n);
	return stop();
}

static int
on_chanlog(void *arg, const struct store_chanlog *e)
{
	(void)e;
	++*(int64_t *)arg;
	return 0;
}

static int
on_count(void *arg, const struct store_contact_count *c)
{
	buf_printf(arg, "  count %s %s %lld %lld\n", c->direction, c->state,
	    (long long)c->n, (long long)c->with_text);
	return stop();
}

static int
on_report(void *arg, const struct store_report *r, const char *note)
{
	buf_printf(arg, "  report %lld c=%lld %s %s %s %s %s %lld %lld %s\n",
	    (long long)r->id, (long long)r->contact_id, r->flow ? r->flow : "-",
	    r->category ? r->category : "-", r->location ? r->location : "-",
	    r->details ? r->details : "-", r->status, (long long)r->created,
	    (long long)r->updated, note ? note : "-");
	return stop();
}

static int
on_event(void *arg, int64_t time, const char *status, const char *note)
{
	buf_printf(arg, "  event %lld %s %s\n", (long long)time, status,
	    note ? note : "-");
	return stop();
}

static int
on_failure(void *arg, const struct store_failure *f)
{
	buf_printf(arg, "  failure %lld %s %s %s\n", (long long)f->when,
	    f->channel, f->phone, f->error);
	return stop();
}

static int
on_modem(void *arg, const struct store_modem *m)
{
	buf_printf(arg, "  modem %s %d %d %s %s %lld %s %lld %lld %lld\n",
	    m->channel, m->up, m->signal, m->network ? m->network : "-",
	    m->balance ? m->balance : "-", (long long)m->balance_at,
	    m->last_error ? m->last_error : "-", (long long)m->failures,
	    (long long)m->restarts, (long long)m->updated);
	return stop();
}

/* store_privacy_purge of ids [from, to), and whether some text stayed. */
static void
print_purge(struct store *st, struct buf *b, const char *what, int64_t before,
    int64_t from, int64_t to)
{
	int64_t left = -1, n = store_privacy_purge(st, before, from, to, &left);

	buf_printf(b, "%s -> %lld left %s\n", what, (long long)n,
	    left > 0    ? "some"
	    : left == 0 ? "none"
			: "?");
}

/* store_broadcast_pending, printed. */
static void
print_pending(struct store *st, struct buf *b, const char *what)
{
	struct store_broadcast bc;
	int64_t upto = -2;
	int rc = store_broadcast_pending(st, &bc, &upto);

	buf_printf(b, "%s -> %d id=%lld %s %s %s seg=%lld upto=%lld\n", what,
	    rc, (long long)bc.id, bc.text ? bc.text : "-",
	    bc.topic ? bc.topic : "-", bc.channel ? bc.channel : "-",
	    (long long)bc.segments, (long long)upto);
	store_broadcast_free(&bc);
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
	int64_t id = 0, n = 0, after = 0, rid, mid = 0;
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
	print_pending(st, b, "pending none");
	buf_printf(b, "advance to pending -> %d\n",
	    store_broadcast_advance(st, id, -1, 0));
	buf_printf(b, "advance from stale -> %d\n",
	    store_broadcast_advance(st, id, 5, 7));
	buf_printf(b, "advance a chunk -> %d\n",
	    store_broadcast_advance(st, id, 0, after));
	print_pending(st, b, "pending");
	buf_printf(b, "advance to done -> %d\n",
	    store_broadcast_advance(st, id, after, -1));
	print_pending(st, b, "pending after");
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
	rc = store_msg_insert_outbound(st, &out, T0 + 1, &mid);
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
	{
		/* A part of a long message waiting goes with its sender. */
		struct store_sms_part part = {.seq = 1,
		    .total = 2,
		    .provider_id = "p1",
		    .text = "BAL 12",
		    .received = T0};

		rc = store_part_put(st, "vg", "+254700000001", "7", &part);
		part.provider_id = "p2";
		rc = store_part_put(st, "vg", "+254700000002", "7", &part);
		part.provider_id = "p3";
		part.joined = 1;
		rc = store_part_put(st, "vg", "+254700000001", "6", &part);
	}
	{
		/* The provider's log of a message, and USSD texts kept. */
		struct store_chanlog e = {.time = T0 + 2,
		    .channel = "at",
		    .message_id = mid,
		    .status = 201,
		    .request = "to=+254700000001&message=hello"};
		struct store_ussd_last last;

		rc = store_chanlog_add(st, &e);
		rc = store_ussd_seen(
		    st, "at\x1fs1\x1f+254700000001", "1*Amina", T0, &last);
		store_ussd_last_free(&last);
		rc = store_ussd_seen(
		    st, "at\x1fs2\x1f+254700000002", "1*Baraka", T0, &last);
		store_ussd_last_free(&last);
	}
	rc = store_contact_forget(st, 1, T0 + 200, &fg);
	{
		struct store_ussd_last l1, l2;
		int64_t logged = 0;

		(void)store_chanlog_each(st, mid, on_chanlog, &logged);
		rc = store_ussd_seen(
		    st, "at\x1fs1\x1f+254700000001", "1*Amina*x", T0, &l1);
		rc = store_ussd_seen(
		    st, "at\x1fs2\x1f+254700000002", "1*Baraka*x", T0, &l2);
		buf_printf(b, "after forget: log %lld ussd %s %s\n",
		    (long long)logged, l1.text ? l1.text : "-",
		    l2.text ? l2.text : "-");
		store_ussd_last_free(&l1);
		store_ussd_last_free(&l2);
	}
	buf_printf(b,
	    "forget -> %d t=%lld c=%lld i=%lld s=%lld sub=%lld r=%lld "
	    "f=%lld l=%d\n",
	    rc, (long long)fg.texts, (long long)fg.cancelled,
	    (long long)fg.in_flight, (long long)fg.sessions,
	    (long long)fg.subscriptions, (long long)fg.reports,
	    (long long)fg.fields, fg.language);
	buf_printf(
	    b, "forget none -> %d\n", store_contact_forget(st, 99, T0, &fg));
	{
		struct store_sms_part *v;
		size_t n1 = 9, n2 = 9;

		if (store_parts_get(st, "vg", "+254700000001", "7", &v, &n1) ==
		    0)
			store_parts_free(v, n1);
		if (store_parts_get(st, "vg", "+254700000002", "7", &v, &n2) ==
		    0)
			store_parts_free(v, n2);
		buf_printf(b, "parts after forget -> %zu %zu seen %d\n", n1, n2,
		    store_part_seen(st, "vg", "p3"));
	}
	print_purge(st, b, "purge", T0 + 1000, 0, INT64_MAX);
	(void)rc;
}

static void
test_same_answers(void **state)
{
	struct buf a;

	(void)state;
	if (pgtest_same(script, 1 << 20, &a) != 0)
		skip();
	/* The answers meant, not two equal mistakes. */
	assert_non_null(strstr(buf_cstr(&a), "audience -> 0 3\n"));
	assert_non_null(strstr(buf_cstr(&a), "chunk -> 0 n=1 after=4\n"));
	assert_non_null(strstr(buf_cstr(&a), "resolution -> 0 2 "));
	assert_non_null(strstr(buf_cstr(&a), "pending none -> 1 "));
	assert_non_null(strstr(buf_cstr(&a), "advance to pending -> 1\n"));
	assert_non_null(strstr(buf_cstr(&a), "advance from stale -> 0\n"));
	assert_non_null(strstr(buf_cstr(&a),
	    "pending -> 0 id=1 Boil water water at seg=1 upto=4\n"));
	assert_non_null(strstr(buf_cstr(&a), "advance to done -> 1\n"));
	assert_non_null(strstr(buf_cstr(&a), "pending after -> 1 "));
	buf_free(&a);
}

/* Queues every chunk of broadcast id's audience as council/broadcast.c. */
static void
chunks(struct store *st, struct buf *b, struct store_broadcast_chunk *ch)
{
	int64_t after = 0, n = 0;
	int rc;

	do {
		rc = store_broadcast_queue_chunk(st, ch, &after, &n);
		buf_printf(b, "chunk %s -> %d n=%lld after=%lld\n",
		    ch->topic ? ch->topic : "-", rc, (long long)n,
		    (long long)after);
	} while (rc == 0 && ch->limit > 0 && n == ch->limit);
}

static void
print_broadcast(struct store *st, struct buf *b, int64_t id)
{
	struct store_broadcast bc;
	int rc = store_broadcast_get(st, id, &bc);

	buf_printf(b,
	    "get %lld -> %d %s %s %s %lld q=%lld s=%lld sent=%lld d=%lld "
	    "f=%lld\n",
	    (long long)id, rc, bc.text ? bc.text : "-",
	    bc.topic ? bc.topic : "-", bc.channel ? bc.channel : "-",
	    (long long)bc.recipients, (long long)bc.queued,
	    (long long)bc.sending, (long long)bc.sent, (long long)bc.delivered,
	    (long long)bc.failed);
	store_broadcast_free(&bc);
}

static void
print_forget(struct store *st, struct buf *b, int64_t id, int64_t now)
{
	struct store_forgotten fg;
	int rc = store_contact_forget(st, id, now, &fg);

	buf_printf(b,
	    "forget %lld -> %d t=%lld c=%lld i=%lld s=%lld sub=%lld r=%lld "
	    "f=%lld l=%d\n",
	    (long long)id, rc, (long long)fg.texts, (long long)fg.cancelled,
	    (long long)fg.in_flight, (long long)fg.sessions,
	    (long long)fg.subscriptions, (long long)fg.reports,
	    (long long)fg.fields, fg.language);
}

/* What the first script leaves out: odd values, limits, stops, order. */
static void
edges(struct store *st, struct buf *b)
{
	static const double bounds[STORE_RES_BOUNDS] = {
	    0.5, 1.5, 2, 60, 61, 3600, 86400, 1e12};
	static const char *const phones[] = {
	    "+254711000001", "+254711000002", "+254711000003", "+254711000004"};
	static const char *const chans[] = {"Zeta", "alpha", NULL, "at"};
	static const char *const topics[] = {
	    "alpha", "Beta", "\xc3\x84rzte", "_x", "alpha"};
	static const char *const two[] = {"open", "resolved"};
	static const char *const none[] = {"nothing"};
	static const int64_t missing[] = {42, 43};
	struct store_msg_in in = {.channel = "at",
	    .kind = MSG_SMS,
	    .phone = "+254799999999",
	    .text = "hi",
	    .state = MSG_RECEIVED};
	struct store_msg_out out = {.channel = "alpha",
	    .kind = MSG_SMS,
	    .phone = "+254799999999",
	    .text = "reply",
	    .state = MSG_QUEUED,
	    .segments = 1,
	    .next_attempt = T0};
	struct store_modem m = {.channel = "ma", .balance_at = -1};
	struct store_report_filter f;
	struct store_broadcast_chunk ch;
	struct store_queue_msg *q = NULL;
	struct store_resolution res;
	struct store_contact c;
	char *note = NULL;
	int64_t id = 0, bid = 0, n = 0, after = 7, rid;
	size_t nq = 0, k;
	int i, rc;

	for (i = 0; i < 4; i++) {
		rc = store_contact_touch(st, phones[i], chans[i], T0, &c);
		store_contact_free(&c);
		buf_printf(b, "contact -> %d\n", rc);
	}
	for (i = 0; i < 5; i++) {
		rc = store_subscribe(st, 1 + i % 4, topics[i], T0);
		buf_printf(b, "subscribe -> %d\n", rc);
	}
	rc = store_subscribe(st, 1, "Beta", T0);
	rc = store_subscribe(st, 1, "_x", T0);
	rc = store_subscribe(st, 1, topics[2], T0);
	buf_printf(
	    b, "topics -> %d\n", store_contact_topics(st, 1, on_name, b));
	stop_left = 1;
	buf_printf(
	    b, "topics stop -> %d\n", store_contact_topics(st, 1, on_name, b));
	stop_left = 0;
	buf_printf(
	    b, "topics none -> %d\n", store_contact_topics(st, 9, on_name, b));
	rc = store_broadcast_audience(st, "nobody", &n);
	buf_printf(b, "audience none -> %d %lld\n", rc, (long long)n);

	/* A broadcast in a transaction of its own, the keys "off". */
	buf_printf(b, "fk off -> %d\n", store_foreign_keys(st, 0));
	rc = store_begin(st);
	rc = store_broadcast_insert(st, "All", "alpha", "at", T0, T0 + 5, &bid);
	buf_printf(b, "broadcast -> %d %lld\n", rc, (long long)bid);
	memset(&ch, 0, sizeof(ch));
	ch.id = bid;
	ch.topic = "alpha";
	ch.text = "All";
	ch.channels = "[\"at\",\"alpha\",\"Zeta\"]";
	ch.channel = "at";
	ch.segments = 2;
	ch.send_at = T0 + 5;
	ch.now = T0 + 1;
	ch.limit = -1; /* no limit */
	chunks(st, b, &ch);
	ch.topic = "Beta";
	ch.channels = NULL; /* no names: the broadcast's channel */
	ch.limit = 1;
	chunks(st, b, &ch);
	ch.topic = "nobody";
	rc = store_broadcast_queue_chunk(st, &ch, &after, &n);
	buf_printf(b, "chunk none -> %d n=%lld after=%lld\n", rc, (long long)n,
	    (long long)after);
	ch.topic = "alpha";
	ch.limit = 0;
	after = 0;
	rc = store_broadcast_queue_chunk(st, &ch, &after, &n);
	buf_printf(b, "chunk limit 0 -> %d n=%lld after=%lld\n", rc,
	    (long long)n, (long long)after);
	rc = store_broadcast_set_totals(st, bid, 4, 2);
	buf_printf(b, "totals -> %d\n", rc);
	buf_printf(b, "commit -> %d\n", store_commit(st));
	buf_printf(b, "fk on -> %d\n", store_foreign_keys(st, 1));
	buf_printf(
	    b, "totals none -> %d\n", store_broadcast_set_totals(st, 99, 1, 1));
	rc = store_broadcast_insert(st, "Notify", NULL, NULL, T0, T0, &id);
	buf_printf(b, "notify -> %d %lld\n", rc, (long long)id);
	print_broadcast(st, b, id);

	/* Its messages through the queue's states. */
	rc = store_queue_claim(st, "at", T0 + 10, 10, &q, &nq);
	buf_printf(b, "claim -> %d %zu\n", rc, nq);
	for (k = 0; k < nq; k++)
		buf_printf(
		    b, "  claimed %lld %s\n", (long long)q[k].id, q[k].phone);
	if (nq > 0)
		rc = store_queue_sent(st, q[0].id, "p1", T0 + 11);
	if (nq > 1)
		rc = store_queue_sent(st, q[1].id, "p2", T0 + 11);
	if (nq > 1)
		rc = store_queue_report(
		    st, "at", "p2", 0, MSG_DELIVERED, NULL, T0 + 12);
	if (nq > 2)
		rc = store_queue_fail(st, q[2].id, NULL, T0 + 12);
	store_queue_msgs_free(q, nq);
	rc = store_queue_claim(st, "Zeta", T0 + 10, 10, &q, &nq);
	buf_printf(b, "claim Zeta -> %d %zu\n", rc, nq);
	store_queue_msgs_free(q, nq);
	print_broadcast(st, b, bid);
	/* Recipients -1: the messages the broadcast queued, counted. */
	rc = store_broadcast_set_totals(st, bid, -1, 2);
	buf_printf(b, "totals counted -> %d\n", rc);
	print_broadcast(st, b, bid);

	/* Messages by contact and by number. */
	rc = store_msg_insert_inbound(st, &in, T0 + 2, &id);
	rc = store_msg_insert_outbound(st, &out, T0 + 3, &id);
	in.phone = phones[0];
	rc = store_msg_insert_inbound(st, &in, T0 + 4, &id);
	buf_printf(b, "messages by number -> %d\n",
	    store_contact_messages(st, 99, "+254799999999", on_count, b));
	buf_printf(b, "messages 1 -> %d\n",
	    store_contact_messages(st, 1, phones[0], on_count, b));
	stop_left = 1;
	buf_printf(b, "messages stop -> %d\n",
	    store_contact_messages(st, 1, phones[0], on_count, b));
	stop_left = 0;
	buf_printf(b, "messages none -> %d\n",
	    store_contact_messages(st, 77, "+254700000077", on_count, b));

	/* Sessions: live, expired at now, and another contact's. */
	rc = store_session_save(st, "s1", 1, "f", "{}", T0 + 100);
	rc = store_session_save(st, "s2", 1, "f", "{}", T0);
	rc = store_session_save(st, "s3", 2, "f", "{}", T0 + 1);
	rc = store_contact_sessions(st, 1, T0, &n);
	buf_printf(b, "sessions 1 -> %d %lld\n", rc, (long long)n);
	rc = store_contact_sessions(st, 5, T0, &n);
	buf_printf(b, "sessions none -> %d %lld\n", rc, (long long)n);
	rc = store_stats_sessions(st, T0, &n);
	buf_printf(b, "stats sessions -> %d %lld\n", rc, (long long)n);

	/* Reports: no category, an empty one, odd resolution times. */
	rc = store_report_create(st, 1, NULL, NULL, NULL, NULL, T0, &rid);
	rc = store_report_create(st, 1, "f", "", "here", "d", T0 + 1, &rid);
	rc = store_report_create(st, 2, "f", "Zebra", NULL, NULL, T0 + 2, &rid);
	rc = store_report_create(st, 0, "f", "apple", NULL, NULL, T0 + 3, &rid);
	rc = store_report_create(st, 3, "f", "apple", NULL, NULL, T0 + 4, &rid);
	buf_printf(b, "reports -> %d %lld\n", rc, (long long)rid);
	rc = store_report_add_event(st, 1, "resolved", NULL, T0 + 1500);
	rc = store_report_add_event(st, 1, "closed", "later", T0 + 9000);
	rc = store_report_add_event(st, 2, "resolved", "fixed", T0 + 60001);
	rc = store_report_add_event(st, 3, "resolved", "x", T0 + 2002);
	rc = store_report_add_event(st, 3, "open", "", T0 + 3000);
	rc = store_report_add_event(st, 4, "closed", NULL, T0 + 3);
	buf_printf(b, "contact reports -> %d\n",
	    store_contact_reports(st, 1, on_report, b));
	stop_left = 1;
	buf_printf(b, "contact reports stop -> %d\n",
	    store_contact_reports(st, 1, on_report, b));
	stop_left = 0;
	buf_printf(b, "contact reports none -> %d\n",
	    store_contact_reports(st, 9, on_report, b));
	memset(&f, 0, sizeof(f));
	f.limit = 2;
	buf_printf(
	    b, "each limit -> %d\n", store_report_each(st, &f, on_report, b));
	memset(&f, 0, sizeof(f));
	f.statuses = two;
	f.nstatuses = 2;
	f.has_since = 1;
	f.since = T0 + 1;
	buf_printf(
	    b, "each two -> %d\n", store_report_each(st, &f, on_report, b));
	memset(&f, 0, sizeof(f));
	f.statuses = none;
	f.nstatuses = 1;
	buf_printf(
	    b, "each none -> %d\n", store_report_each(st, &f, on_report, b));
	memset(&f, 0, sizeof(f));
	f.ids = missing;
	f.nids = 2;
	buf_printf(
	    b, "each missing -> %d\n", store_report_each(st, &f, on_report, b));
	memset(&f, 0, sizeof(f));
	f.has_until = 1;
	f.until = T0 + 2;
	stop_left = 2;
	buf_printf(
	    b, "each stop -> %d\n", store_report_each(st, &f, on_report, b));
	stop_left = 0;
	buf_printf(
	    b, "events -> %d\n", store_report_events(st, 1, 10, on_event, b));
	buf_printf(b, "events all -> %d\n",
	    store_report_events(st, 3, SIZE_MAX, on_event, b));
	buf_printf(
	    b, "events 0 -> %d\n", store_report_events(st, 1, 0, on_event, b));
	buf_printf(b, "events none -> %d\n",
	    store_report_events(st, 99, 5, on_event, b));
	stop_left = 1;
	buf_printf(b, "events stop -> %d\n",
	    store_report_events(st, 1, 10, on_event, b));
	stop_left = 0;
	rc = store_report_last_note(st, 3, &note);
	buf_printf(b, "last note -> %d %s\n", rc, note ? note : "-");
	free(note);
	rc = store_report_last_note(st, 4, &note);
	buf_printf(b, "last note null -> %d %s\n", rc, note ? note : "-");
	free(note);
	buf_printf(b, "categories -> %d\n",
	    store_report_categories(st, SIZE_MAX, on_name, b));
	buf_printf(b, "categories 1 -> %d\n",
	    store_report_categories(st, 1, on_name, b));
	buf_printf(b, "categories 0 -> %d\n",
	    store_report_categories(st, 0, on_name, b));
	stop_left = 1;
	buf_printf(b, "categories stop -> %d\n",
	    store_report_categories(st, 5, on_name, b));
	stop_left = 0;
	buf_printf(
	    b, "stats reports -> %d\n", store_stats_reports(st, on_tally, b));
	rc = store_stats_resolution(st, bounds, &res);
	buf_printf(b, "resolution -> %d %lld %.6f", rc, (long long)res.resolved,
	    res.sum);
	for (i = 0; i < STORE_RES_BOUNDS; i++)
		buf_printf(b, " %lld", (long long)res.le[i]);
	buf_printf(b, "\n");

	/* Figures. */
	buf_printf(
	    b, "stats messages -> %d\n", store_stats_messages(st, on_tally, b));
	stop_left = 2;
	buf_printf(b, "stats messages stop -> %d\n",
	    store_stats_messages(st, on_tally, b));
	stop_left = 0;
	/* Failures: two at one time (newest id first), one without error. */
	out.channel = "tw";
	out.phone = phones[3];
	for (i = 0; i < 4; i++) {
		rc = store_msg_insert_outbound(st, &out, T0 + 40 + i, &id);
		if (i == 0)
			rc = store_queue_report(
			    st, "tw", NULL, id, MSG_FAILED, NULL, T0 + 60);
		else if (i < 3)
			rc = store_queue_fail(st, id, "bad number", T0 + 50);
		else
			rc = store_queue_fail(st, id, NULL, T0 + 45);
	}
	buf_printf(
	    b, "failures -> %d\n", store_stats_failures(st, -1, on_failure, b));
	buf_printf(b, "failures 0 -> %d\n",
	    store_stats_failures(st, 0, on_failure, b));
	stop_left = 1;
	buf_printf(b, "failures stop -> %d\n",
	    store_stats_failures(st, 5, on_failure, b));
	stop_left = 0;
	buf_printf(
	    b, "modems none -> %d\n", store_stats_modems(st, on_modem, b));
	rc = store_modem_state_put(st, &m);
	m.channel = "Mb";
	m.network = "Safaricom";
	m.balance = "KES 5";
	m.balance_at = T0;
	m.last_error = "timeout";
	m.failures = 3;
	m.restarts = 2;
	rc = store_modem_state_put(st, &m);
	buf_printf(b, "modems -> %d\n", store_stats_modems(st, on_modem, b));
	stop_left = 1;
	buf_printf(
	    b, "modems stop -> %d\n", store_stats_modems(st, on_modem, b));
	stop_left = 0;
	buf_printf(b, "modem known -> %d %d %d\n",
	    store_stats_modem_known(st, "Mb"),
	    store_stats_modem_known(st, "mb"), store_stats_modem_known(st, ""));

	/* Forgetting: in flight, queued by number, twice, unknown. */
	out.channel = "at";
	out.phone = phones[1];
	out.contact_id = 0;
	rc = store_msg_insert_outbound(st, &out, T0 + 20, &id);
	rc = store_msg_insert_outbound(st, &out, T0 + 21, &id);
	out.channel = "tw2";
	rc = store_msg_insert_outbound(st, &out, T0 + 22, &id);
	rc = store_queue_claim(st, "tw2", T0 + 30, 10, &q, &nq);
	buf_printf(b, "claim tw2 -> %d %zu\n", rc, nq);
	store_queue_msgs_free(q, nq);
	rc = store_contact_set_language(st, 2, "sw", T0);
	rc = store_contact_set_field(st, 2, "a", "1", T0);
	rc = store_contact_set_field(st, 2, "b", "2", T0);
	buf_printf(b, "contact 2 before -> %d\n",
	    store_contact_messages(st, 2, phones[1], on_count, b));
	print_forget(st, b, 2, T0 + 30);
	buf_printf(b, "contact 2 after -> %d\n",
	    store_contact_messages(st, 2, phones[1], on_count, b));
	print_forget(st, b, 2, T0 + 31);
	rc = store_contact_by_id(st, 2, &c);
	buf_printf(b, "by id -> %d %lld %s %s %s %d %s %lld %lld\n", rc,
	    (long long)c.id, c.phone, c.language ? c.language : "-", c.fields,
	    c.opted_out, c.last_channel ? c.last_channel : "-",
	    (long long)c.created, (long long)c.updated);
	store_contact_free(&c);
	buf_printf(b, "contact reports 2 -> %d\n",
	    store_contact_reports(st, 2, on_report, b));
	print_broadcast(st, b, bid);

	/* Retention: strictly before, never queued or sending ones. */
	print_purge(st, b, "purge", T0 + 2, 0, INT64_MAX);
	print_purge(st, b, "purge none of ids", T0 + 1000, 0, 1);
	print_purge(st, b, "purge the first ids", T0 + 1000, 1, 3);
	print_purge(st, b, "purge all", T0 + 1000, 0, INT64_MAX);
	print_purge(st, b, "purge again", T0 + 1000, 0, INT64_MAX);
	buf_printf(b, "messages after -> %d\n",
	    store_contact_messages(st, 1, phones[0], on_count, b));
	buf_printf(
	    b, "stats after -> %d\n", store_stats_messages(st, on_tally, b));
	(void)rc;
}

static void
test_edges(void **state)
{
	struct buf a;

	(void)state;
	if (pgtest_same(edges, 1 << 20, &a) != 0)
		skip();
	buf_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_answers),
	    cmocka_unit_test(test_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
