/*
 * test_queue.c: the messages' rows (store_msg.c: the outbound queue,
 * inbound messages, their states), a new message (outq.c), the retry backoff,
 * Africa's Talking's cumulative USSD text and the flood guard (ingress.c),
 * and the dispatcher's wake-up and channel contract (dispatch.c).
 * The bounded map itself (strmap.c) is tested in test_strmap.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/batch.h"
#include "gateway/channel.h"
#include "gateway/config.h"
#include "gateway/dispatch.h"
#include "gateway/ingress.h"
#include "gateway/outq.h"
#include "gateway/store.h"
#include "lib/strmap.h"
#include "lib/util.h"
#include "tests/unit/sidedb.h"

static int
setup(void **state)
{
	struct store *st = NULL;
	char *err = NULL;

	if (store_open(":memory:", 0, &st, &err) != 0) {
		free(err);
		return -1;
	}
	*state = st;
	return 0;
}

static int
teardown(void **state)
{
	store_close(*state);
	return 0;
}

/* outq_enqueue of text for phone on channel, due at not_before (0: now). */
static int
enqueue(struct store *st, const char *channel, const char *phone,
    const char *text, int64_t not_before, int64_t now, int64_t *id)
{
	struct outq_msg m = {.channel = channel,
	    .phone = phone,
	    .text = text,
	    .not_before = not_before};

	return outq_enqueue(st, &m, now, id);
}

static void
test_enqueue_claim_sent(void **state)
{
	struct store *st = *state;
	struct store_queue_msg *v;
	struct store_msg info;
	int64_t id1, id2, id3;
	size_t n;

	assert_int_equal(store_begin(st), 0);
	assert_int_equal(
	    enqueue(st, "at", "+254700000001", "one", 0, 1000, &id1), 0);
	assert_int_equal(
	    enqueue(st, "at", "+254700000002", "two", 0, 1001, &id2), 0);
	/* Due later: not claimed now. */
	assert_int_equal(
	    enqueue(st, "at", "+254700000003", "three", 5000, 1002, &id3), 0);
	/* Another channel's message is not this channel's. */
	assert_int_equal(
	    enqueue(st, "tw", "+254700000004", "four", 0, 1003, NULL), 0);
	assert_int_equal(store_queue_claim(st, "at", 2000, 10, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].id, id1);
	assert_string_equal(v[0].text, "one");
	assert_int_equal(v[0].attempts, 1);
	assert_int_equal(v[1].id, id2);
	store_queue_msgs_free(v, n);
	/* Claimed messages are "sending": a second claim finds none. */
	assert_int_equal(store_queue_claim(st, "at", 2000, 10, &v, &n), 0);
	assert_int_equal(n, 0);
	store_queue_msgs_free(v, n);
	assert_int_equal(store_queue_next_due(st, "at"), 5000);
	assert_int_equal(store_queue_next_due(st, "nowhere"), -1);

	assert_int_equal(store_queue_sent(st, id1, "ATXid_1", 2100), 0);
	assert_int_equal(store_msg_get(st, id1, &info), 0);
	assert_int_equal(info.direction, MSG_OUT);
	assert_string_equal(info.channel, "at");
	assert_string_equal(info.phone, "+254700000001");
	assert_int_equal(info.state, MSG_SENT);
	assert_string_equal(info.provider_id, "ATXid_1");
	assert_null(info.error);
	assert_int_equal(info.attempts, 1);
	assert_int_equal(info.segments, 1);
	assert_int_equal(info.created, 1000);
	assert_int_equal(info.updated, 2100);
	store_msg_free(&info);
	assert_int_equal(store_msg_get(st, id3 + 100, &info), STORE_NOTFOUND);

	/* A delivery report by the provider's id, then never taken back. */
	assert_int_equal(store_queue_report(
			     st, "at", "ATXid_1", 0, MSG_DELIVERED, NULL, 2200),
	    0);
	assert_int_equal(
	    store_queue_report(st, "at", "ATXid_1", 0, MSG_SENT, NULL, 2300),
	    STORE_NOTFOUND);
	assert_int_equal(store_msg_get(st, id1, &info), 0);
	assert_int_equal(info.state, MSG_DELIVERED);
	store_msg_free(&info);
	assert_int_equal(
	    store_queue_report(st, "at", "nope", 0, MSG_FAILED, "x", 2300),
	    STORE_NOTFOUND);
	/* By the gateway's own id (the http type), on its channel only. */
	assert_int_equal(
	    store_queue_report(st, "tw", NULL, id2, MSG_FAILED, "x", 2400),
	    STORE_NOTFOUND);
	assert_int_equal(store_queue_report(
			     st, "at", NULL, id2, MSG_FAILED, "rejected", 2400),
	    0);
	assert_int_equal(store_msg_get(st, id2, &info), 0);
	assert_int_equal(info.state, MSG_FAILED);
	assert_string_equal(info.error, "rejected");
	store_msg_free(&info);
	/* An inbound state is no delivery report. */
	assert_int_equal(
	    store_queue_report(st, "at", NULL, id3, MSG_HANDLED, NULL, 2500),
	    STORE_EINVAL);
	assert_int_equal(store_commit(st), 0);
}

/* The segments channel has spent on day, as the budgets read them. */
static int64_t
spent(struct store *st, const char *channel, const char *day)
{
	int64_t seg = -1;

	assert_int_equal(store_spend_segments(st, channel, day, &seg), 0);
	return seg;
}

/*
 * A message sent with the channel and segments of its claim adds those to
 * the spend, held to the commit as the others, and only while it was being
 * sent.
 */
static void
test_spend_claimed(void **state)
{
	struct store *st = *state;
	struct store_queue_msg *v;
	char day[STORE_DAY_LEN];
	int64_t id;
	size_t n;

	store_local_day(1000, day);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(
	    enqueue(st, "at", "+254700000001", "x", 0, 1000, &id), 0);
	/* Not claimed yet: nothing sent, nothing spent. */
	assert_int_equal(
	    store_queue_sent_claimed(st, id, "p0", "at", 2, 1000), 0);
	assert_int_equal(spent(st, "at", day), 0);
	assert_int_equal(store_queue_claim(st, "at", 1000, 10, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_queue_sent_claimed(
			     st, v[0].id, "p0", "at", v[0].segments + 1, 1000),
	    0);
	store_queue_msgs_free(v, n);
	/* As given (the claim's), read before the commit and after. */
	assert_int_equal(spent(st, "at", day), 2);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(spent(st, "at", day), 2);
	assert_int_equal(
	    store_queue_sent_claimed(st, id, "p0", "at", 2, 1000), 0);
	assert_int_equal(spent(st, "at", day), 2);
}

/*
 * The spend of messages marked sent is held in memory within a transaction
 * and written at its commit (store_spend.c): what is read is right at each
 * point, a rollback or a ROLLBACK TO forgets what it undid, and nothing is
 * counted twice.
 */
static void
test_spend_held(void **state)
{
	struct store *st = *state;
	struct store_queue_msg *v;
	char day[STORE_DAY_LEN], ch[16];
	int64_t id[4], many[12];
	size_t n;
	int i;

	store_local_day(1000, day);
	assert_int_equal(store_begin(st), 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(
		    enqueue(st, "at", "+254700000001", "x", 0, 1000, &id[i]),
		    0);
	assert_int_equal(store_queue_claim(st, "at", 1000, 10, &v, &n), 0);
	assert_int_equal(n, 4);
	store_queue_msgs_free(v, n);
	assert_int_equal(store_commit(st), 0);

	/* Two sent in a transaction: read before its commit and after. */
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_queue_sent(st, id[0], "p0", 1000), 0);
	assert_int_equal(store_queue_sent(st, id[1], "p1", 1000), 0);
	assert_int_equal(spent(st, "at", day), 2);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(spent(st, "at", day), 2);

	/* A rollback forgets its own. */
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_queue_sent(st, id[2], "p2", 1000), 0);
	assert_int_equal(store_rollback(st), 0);
	assert_int_equal(spent(st, "at", day), 2);

	/* Held before a savepoint: kept; added after it: undone with it. */
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_queue_sent(st, id[2], "p2", 1000), 0);
	assert_int_equal(store_savepoint(st), 0);
	assert_int_equal(store_queue_sent(st, id[3], "p3", 1000), 0);
	assert_int_equal(spent(st, "at", day), 4);
	assert_int_equal(store_rollback_to(st), 0);
	assert_int_equal(spent(st, "at", day), 3);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(spent(st, "at", day), 3);

	/* Outside a transaction: written at once; sent twice, counted once. */
	assert_int_equal(store_queue_sent(st, id[3], "p3", 1000), 0);
	assert_int_equal(store_queue_sent(st, id[3], "p3", 1000), 0);
	assert_int_equal(spent(st, "at", day), 4);

	/* More channels in one transaction than rows held: each counted. */
	assert_int_equal(store_begin(st), 0);
	for (i = 0; i < 12; i++) {
		snprintf(ch, sizeof(ch), "c%d", i);
		assert_int_equal(
		    enqueue(st, ch, "+254700000002", "y", 0, 1000, &many[i]),
		    0);
		assert_int_equal(
		    store_queue_claim(st, ch, 1000, 10, &v, &n), 0);
		assert_int_equal(n, 1);
		store_queue_msgs_free(v, n);
		assert_int_equal(store_queue_sent(st, many[i], "q", 1000), 0);
	}
	for (i = 0; i < 12; i++) {
		snprintf(ch, sizeof(ch), "c%d", i);
		assert_int_equal(spent(st, ch, day), 1);
	}
	assert_int_equal(store_commit(st), 0);
	for (i = 0; i < 12; i++) {
		snprintf(ch, sizeof(ch), "c%d", i);
		assert_int_equal(spent(st, ch, day), 1);
	}
}

static void
test_retry_fail_recover(void **state)
{
	struct store *st = *state;
	struct store_queue_msg *v;
	struct store_msg info;
	int64_t id;
	size_t n;

	assert_int_equal(store_begin(st), 0);
	assert_int_equal(
	    enqueue(st, "web", "+254700000009", "Habari ☺", 0, 1000, &id), 0);
	assert_int_equal(store_queue_claim(st, "web", 1000, 1, &v, &n), 0);
	assert_int_equal(n, 1);
	store_queue_msgs_free(v, n);
	/* TEMPFAIL: queued again for later, with the reason. */
	assert_int_equal(store_queue_retry(st, id, 3000, "HTTP 429", 1100), 0);
	assert_int_equal(store_queue_claim(st, "web", 2000, 1, &v, &n), 0);
	assert_int_equal(n, 0);
	store_queue_msgs_free(v, n);
	assert_int_equal(store_queue_claim(st, "web", 3000, 1, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].attempts, 2);
	store_queue_msgs_free(v, n);
	/* A crash while "sending": recover queues it again. */
	assert_int_equal(store_queue_recover(st, 4000), 1);
	assert_int_equal(store_msg_get(st, id, &info), 0);
	assert_int_equal(info.state, MSG_QUEUED);
	assert_string_equal(info.error, "HTTP 429");
	store_msg_free(&info);
	/* Only a message being sent takes an outcome of a send. */
	assert_int_equal(store_queue_sent(st, id, "late", 4500), 0);
	assert_int_equal(store_msg_get(st, id, &info), 0);
	assert_int_equal(info.state, MSG_QUEUED);
	assert_null(info.provider_id);
	store_msg_free(&info);
	assert_int_equal(store_queue_fail(st, id, "expired", 5000), 0);
	assert_int_equal(store_msg_get(st, id, &info), 0);
	assert_int_equal(info.state, MSG_FAILED);
	assert_string_equal(info.error, "expired");
	store_msg_free(&info);
	/* No reason given: "failed". */
	assert_int_equal(store_queue_fail(st, id, NULL, 5100), 0);
	assert_int_equal(store_msg_get(st, id, &info), 0);
	assert_string_equal(info.error, "failed");
	store_msg_free(&info);
	assert_int_equal(store_commit(st), 0);
}

static void
test_segments_and_limits(void **state)
{
	struct store *st = *state;
	struct store_msg info;
	char big[OUTQ_MAX_TEXT + 2];
	char two[200];
	int64_t id;

	memset(two, 'a', 161);
	two[161] = '\0';
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(enqueue(st, "at", "+254700000001", two, 0, 1, &id), 0);
	assert_int_equal(store_msg_get(st, id, &info), 0);
	assert_int_equal(info.segments, 2);
	store_msg_free(&info);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(
	    enqueue(st, "at", "+254700000001", big, 0, 1, &id), STORE_EINVAL);
	assert_int_equal(store_commit(st), 0);
}

static void
test_move_to_fallback(void **state)
{
	struct store *st = *state;
	struct store_queue_msg *v;
	size_t n;

	assert_int_equal(store_begin(st), 0);
	assert_int_equal(
	    enqueue(st, "modem1", "+254700000001", "a", 0, 10, NULL), 0);
	assert_int_equal(
	    enqueue(st, "modem1", "+254700000002", "b", 9999, 10, NULL), 0);
	/* Only what is due moves; the later one waits for its time. */
	assert_int_equal(store_queue_move(st, "modem1", "at", 100, 100), 1);
	assert_int_equal(store_queue_claim(st, "at", 100, 10, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].text, "a");
	store_queue_msgs_free(v, n);
	/* Every one (a provider failing): the later one too, due now. */
	assert_int_equal(
	    store_queue_move(st, "modem1", "at", 200, INT64_MAX), 1);
	assert_int_equal(store_queue_claim(st, "at", 200, 10, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].text, "b");
	store_queue_msgs_free(v, n);
	assert_int_equal(store_commit(st), 0);
}

static void
test_state_names(void **state)
{
	static const char *const names[] = {"queued", "sending", "sent",
	    "delivered", "failed", "received", "handled", "ignored"};
	enum msg_state s;
	size_t i;

	(void)state;
	/* The stored names, each one way and back. */
	assert_int_equal(MSG_NSTATES, sizeof(names) / sizeof(names[0]));
	for (i = 0; i < MSG_NSTATES; i++) {
		assert_string_equal(
		    msg_state_name((enum msg_state)i), names[i]);
		assert_int_equal(msg_state_parse(names[i], &s), 0);
		assert_int_equal(s, i);
	}
	assert_null(msg_state_name(MSG_NSTATES));
	assert_int_equal(msg_state_parse("Queued", &s), STORE_EINVAL);
	assert_int_equal(msg_state_parse("", &s), STORE_EINVAL);
	assert_int_equal(msg_state_parse(NULL, &s), STORE_EINVAL);
}

/* The walk of test_inbound: the messages still "received". */
struct received {
	int64_t ids[4];
	char texts[4][32];
	size_t n;
};

static int
on_received(void *arg, const struct store_msg_received *m)
{
	struct received *r = arg;

	assert_true(r->n < 4);
	assert_string_equal(m->phone, "+254700000001");
	r->ids[r->n] = m->id;
	snprintf(
	    r->texts[r->n], sizeof(r->texts[0]), "%s:%s", m->channel, m->text);
	r->n++;
	return 0;
}

static int
stop_walk(void *arg, const struct store_msg_received *m)
{
	(void)m;
	(*(int *)arg)++;
	return 1;
}

static void
test_inbound(void **state)
{
	struct sidedb side;
	struct store *st;
	struct store_msg_in in = {.channel = "at",
	    .kind = MSG_SMS,
	    .phone = "+254700000001",
	    .text = "habari",
	    .state = MSG_RECEIVED,
	    .provider_id = "ATPid_1"};
	struct store_msg_out out = {.channel = "at",
	    .kind = MSG_USSD,
	    .phone = "+254700000001",
	    .text = "Welcome",
	    .state = MSG_SENT,
	    .segments = 1};
	struct store_contact c;
	struct store_msg info;
	struct received r;
	int64_t id1, idtw, id2, id3, dup, ussd;
	int calls = 0;
	char *sql;

	(void)state;
	sidedb_open(&side, 0, &st);
	assert_int_equal(store_contact_get(st, "+254700000001", 10, &c), 1);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_msg_insert_inbound(st, &in, 1000, &id1), 0);
	assert_true(id1 > 0);
	/* The provider's retry: not stored again, the first one's id. */
	in.text = "habari again";
	assert_int_equal(
	    store_msg_insert_inbound(st, &in, 1001, &dup), STORE_EDUP);
	assert_int_equal(dup, id1);
	/* The same provider id on another channel is another message. */
	in.channel = "tw";
	assert_int_equal(store_msg_insert_inbound(st, &in, 1002, &idtw), 0);
	assert_true(idtw > id1);
	/* Without a provider id ("" is none), never a duplicate. */
	in.channel = "at";
	in.provider_id = "";
	in.text = "two";
	assert_int_equal(store_msg_insert_inbound(st, &in, 1003, &id2), 0);
	in.text = "three";
	assert_int_equal(store_msg_insert_inbound(st, &in, 1004, &id3), 0);
	/* An outbound state is refused. */
	in.state = MSG_QUEUED;
	assert_int_equal(
	    store_msg_insert_inbound(st, &in, 1005, &dup), STORE_EINVAL);

	assert_int_equal(store_msg_get(st, id1, &info), 0);
	assert_int_equal(info.direction, MSG_IN);
	assert_int_equal(info.state, MSG_RECEIVED);
	assert_string_equal(info.provider_id, "ATPid_1");
	assert_int_equal(info.segments, 1);
	store_msg_free(&info);

	/* Handled with its contact, ignored without. */
	assert_int_equal(
	    store_msg_inbound_state(st, id1, MSG_HANDLED, c.id, 2000), 0);
	assert_int_equal(
	    store_msg_inbound_state(st, id3, MSG_IGNORED, 0, 2001), 0);
	assert_int_equal(
	    store_msg_inbound_state(st, id3, MSG_SENT, 0, 2002), STORE_EINVAL);
	assert_int_equal(store_msg_get(st, id1, &info), 0);
	assert_int_equal(info.state, MSG_HANDLED);
	assert_int_equal(info.updated, 2000);
	store_msg_free(&info);

	/* Only the SMS still "received" are walked, in id order. */
	memset(&r, 0, sizeof(r));
	assert_int_equal(store_msg_each_received(st, on_received, &r), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.ids[0], idtw);
	assert_string_equal(r.texts[0], "tw:habari again");
	assert_int_equal(r.ids[1], id2);
	assert_string_equal(r.texts[1], "at:two");
	/* A callback's non-zero answer stops the walk. */
	assert_int_equal(store_msg_each_received(st, stop_walk, &calls), 0);
	assert_int_equal(calls, 1);

	/* A USSD screen: outbound, sent, linked to its contact. */
	out.contact_id = c.id;
	assert_int_equal(store_msg_insert_outbound(st, &out, 3000, &ussd), 0);
	out.state = MSG_HANDLED;
	assert_int_equal(
	    store_msg_insert_outbound(st, &out, 3001, NULL), STORE_EINVAL);
	assert_int_equal(store_commit(st), 0);

	sql = xasprintf("SELECT count(*) FROM messages WHERE id = %lld AND "
			"kind = 'ussd' AND state = 'sent' AND direction = "
			"'out' AND next_attempt IS NULL AND contact_id = %lld",
	    (long long)ussd, (long long)c.id);
	assert_int_equal(sidedb_int(&side, sql), 1);
	free(sql);
	sql = xasprintf("SELECT count(*) FROM messages WHERE id = %lld AND "
			"contact_id = %lld AND state = 'handled'",
	    (long long)id1, (long long)c.id);
	assert_int_equal(sidedb_int(&side, sql), 1);
	free(sql);
	sql = xasprintf("SELECT count(*) FROM messages WHERE id = %lld AND "
			"contact_id IS NULL AND state = 'ignored'",
	    (long long)id3);
	assert_int_equal(sidedb_int(&side, sql), 1);
	free(sql);
	store_contact_free(&c);
	sidedb_close(&side, st);
}

static void
test_backoff(void **state)
{
	int a;

	(void)state;
	/* About 2 s first, doubling, capped at 5 minutes, plus or minus 25%. */
	for (a = 0; a < 100; a++) {
		int64_t b1 = dispatch_backoff(1), b2 = dispatch_backoff(2);
		int64_t b20 = dispatch_backoff(20);

		assert_true(b1 >= 1500 && b1 <= 2500);
		assert_true(b2 >= 3000 && b2 <= 5000);
		assert_true(b20 >= 225000 && b20 <= 375000);
	}
}

static void
test_ussd_input(void **state)
{
	(void)state;
	/* The first request of a session: the text is all there is. */
	assert_string_equal(ingress_ussd_input(NULL, ""), "");
	assert_string_equal(ingress_ussd_input(NULL, "1"), "1");
	assert_string_equal(ingress_ussd_input("", "2"), "2");
	/* The new input follows the previous text and one '*'. */
	assert_string_equal(ingress_ussd_input("1", "1*1234567"), "1234567");
	/* An input may itself hold '*'. */
	assert_string_equal(ingress_ussd_input("2*1", "2*1*Gate *3, Kilimani"),
	    "Gate *3, Kilimani");
	assert_string_equal(
	    ingress_ussd_input("2*1*Gate *3", "2*1*Gate *3*ok"), "ok");
	/* An empty answer. */
	assert_string_equal(ingress_ussd_input("1", "1*"), "");
	/* A repeat of the last request. */
	assert_string_equal(ingress_ussd_input("1*2", "1*2"), "");
	/* Lost track (a restart): the last part is the best guess. */
	assert_string_equal(ingress_ussd_input("9*9", "1*2*3"), "3");
}

/* A number in the flood tests: +2547 and eight digits of i. */
static const char *
number(char *buf, size_t len, long i)
{
	snprintf(buf, len, "+2547%08ld", i);
	return buf;
}

static void
test_flood_churn(void **state)
{
	const struct rate lim = {5, 60000};
	const int64_t t0 = 1700000000000;
	struct ingress_flood fl;
	char buf[32];
	long i;
	int k;

	(void)state;
	ingress_flood_init(&fl, INGRESS_FLOOD_MAX);
	/* The flooder: five messages a window, the sixth is one too many. */
	for (k = 0; k < 5; k++)
		assert_int_equal(
		    ingress_flood_check(&fl, &lim, "+254711111111", t0), 0);
	assert_int_equal(
	    ingress_flood_check(&fl, &lim, "+254711111111", t0), 1);
	/*
	 * 200,000 other numbers inside the same window, twice what the
	 * guard tracks: each is counted (the map forgets the least recently
	 * seen), and the flooder, who keeps sending, stays throttled.
	 */
	for (i = 0; i < 200000; i++) {
		assert_int_equal(ingress_flood_check(&fl, &lim,
				     number(buf, sizeof(buf), i), t0 + i / 10),
		    0);
		if (i % 1000 == 0)
			assert_int_equal(ingress_flood_check(&fl, &lim,
					     "+254711111111", t0 + i / 10),
			    1);
		assert_true(fl.map.n <= INGRESS_FLOOD_MAX);
	}
	assert_int_equal(fl.map.n, INGRESS_FLOOD_MAX);
	assert_true(fl.map.evicted >= 100000);
	assert_int_equal(
	    ingress_flood_check(&fl, &lim, "+254711111111", t0 + 20000), 1);
	/* A new number while the map is full is still counted, not let in. */
	for (k = 0; k < 5; k++)
		assert_int_equal(
		    ingress_flood_check(&fl, &lim, "+254722222222", t0 + 20000),
		    0);
	assert_int_equal(
	    ingress_flood_check(&fl, &lim, "+254722222222", t0 + 20000), 1);
	/* The most recent of the 200,000 is still known: a second message. */
	assert_non_null(strmap_peek(&fl.map, number(buf, sizeof(buf), 199999)));
	ingress_flood_free(&fl);
}

static void
test_flood_expiry(void **state)
{
	const struct rate lim = {2, 1000};
	const int64_t t0 = 1700000000000;
	struct ingress_flood fl;
	char buf[32];
	long i;

	(void)state;
	ingress_flood_init(&fl, 10);
	for (i = 0; i < 10; i++)
		assert_int_equal(ingress_flood_check(&fl, &lim,
				     number(buf, sizeof(buf), i), t0 + i),
		    0);
	assert_int_equal(fl.map.n, 10);
	/* Windows passed: those numbers are swept, nothing is evicted. */
	assert_int_equal(
	    ingress_flood_check(&fl, &lim, "+254733333333", t0 + 1005), 0);
	assert_int_equal(fl.map.evicted, 0);
	assert_int_equal(fl.map.n, 5);
	assert_null(strmap_peek(&fl.map, number(buf, sizeof(buf), 5)));
	assert_non_null(strmap_peek(&fl.map, number(buf, sizeof(buf), 6)));
	/* Throttled in its window, counted afresh in the next. */
	assert_int_equal(
	    ingress_flood_check(&fl, &lim, "+254733333333", t0 + 1006), 0);
	assert_int_equal(
	    ingress_flood_check(&fl, &lim, "+254733333333", t0 + 1007), 1);
	assert_int_equal(
	    ingress_flood_check(&fl, &lim, "+254733333333", t0 + 2005), 0);
	ingress_flood_free(&fl);
}

/* Counts outq_enqueue's wake-ups. */
static void
count_wake(void *arg)
{
	(*(int *)arg)++;
}

/* A message queued wakes whoever is set (the dispatcher), once. */
static void
test_enqueue_wakes(void **state)
{
	struct store *st = *state;
	char big[OUTQ_MAX_TEXT + 2];
	int woken = 0;
	struct outq_hooks h = {.wake = count_wake, .arg = &woken};

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(store_begin(st), 0);
	outq_set_hooks(&h);
	assert_int_equal(
	    enqueue(st, "at", "+254700000001", "a", 0, 1, NULL), 0);
	assert_int_equal(woken, 1);
	/* Due later: woken too (the dispatcher reschedules itself). */
	assert_int_equal(
	    enqueue(st, "at", "+254700000001", "b", 9999, 1, NULL), 0);
	assert_int_equal(woken, 2);
	/* Refused: nothing to wake for. */
	assert_int_equal(
	    enqueue(st, "at", "+254700000001", big, 0, 1, NULL), STORE_EINVAL);
	assert_int_equal(woken, 2);
	outq_set_hooks(NULL);
	assert_int_equal(
	    enqueue(st, "at", "+254700000001", "c", 0, 1, NULL), 0);
	assert_int_equal(woken, 2);
	assert_int_equal(store_commit(st), 0);
}

/* What the test's channel was handed. */
struct carried {
	int n;                /* messages sent */
	int64_t id;           /* the last one's */
	int attempts;         /* its attempts */
	char to[32];          /* its number */
	int by_id;            /* 1: end like a modem, by id only, later */
	int in_tx;            /* the last send came inside a transaction */
	struct store *st;     /* to ask that, when set */
	struct channel *ch;   /* its channel */
	enum send_outcome oc; /* how to end it */
};

static void
carry(struct channel *ch, const struct channel_msg *m)
{
	struct carried *c = ch->arg;

	c->n++;
	c->id = m->id;
	c->attempts = m->attempts;
	c->ch = ch;
	c->in_tx = c->st != NULL && store_in_transaction(c->st);
	snprintf(c->to, sizeof(c->to), "%s", m->to);
	if (!c->by_id)
		dispatch_done(ch, m, c->oc, "prov-1", NULL);
}

static const struct channel_ops carry_ops = {"test", carry, NULL};

static void
on_stopped(void *arg)
{
	*(int *)arg = 1;
}

/* A dispatcher on a loop of its own with one carrying channel, m1. */
struct rig {
	struct config *cfg;
	struct config_errors *errs;
	struct dispatcher *d;
	struct batch b;
	uv_loop_t loop;
};

static void
rig_start(struct rig *r, struct store *st, struct carried *c)
{
	static const char conf[] = "[channel m1]\n"
				   "type = gammu\n"
				   "device = /dev/null\n"
				   "rate = 100/s\n";

	assert_int_equal(config_parse_buffer(conf, sizeof(conf) - 1, "t.conf",
			     "/tmp", &r->cfg, &r->errs),
	    0);
	assert_int_equal(uv_loop_init(&r->loop), 0);
	batch_init(&r->b, &r->loop, st);
	r->d = dispatch_new(&r->loop, r->cfg, st, &r->b);
	memset(c, 0, sizeof(*c));
	c->oc = SEND_OK;
	assert_non_null(dispatch_attach(r->d, "m1", &carry_ops, c, 1));
}

/*
 * A provider channel keeps its rate's messages a second in flight, between
 * DISPATCH_MAX_INFLIGHT and DISPATCH_INFLIGHT_CAP; a modem or SMPP channel
 * DISPATCH_MAX_INFLIGHT whatever its rate.
 */
static void
test_inflight_by_rate(void **state)
{
	static const char conf[] =
	    "[channel slow]\ntype = http\napi_url = http://127.0.0.1:9/\n"
	    "allow_unsigned = yes\nrate = 10/s\n"
	    "[channel mid]\ntype = http\napi_url = http://127.0.0.1:9/\n"
	    "allow_unsigned = yes\nrate = 6000/min\n"
	    "[channel fast]\ntype = http\napi_url = http://127.0.0.1:9/\n"
	    "allow_unsigned = yes\nrate = 100000/s\n"
	    "[channel m1]\ntype = gammu\ndevice = /dev/null\n"
	    "rate = 100000/s\n";
	struct config_errors *errs = NULL;
	struct config *cfg = NULL;

	(void)state;
	assert_int_equal(config_parse_buffer(conf, sizeof(conf) - 1, "t.conf",
			     "/tmp", &cfg, &errs),
	    0);
	assert_int_equal(dispatch_channel_inflight(config_channel(cfg, "slow")),
	    DISPATCH_MAX_INFLIGHT);
	assert_int_equal(
	    dispatch_channel_inflight(config_channel(cfg, "mid")), 100);
	assert_int_equal(dispatch_channel_inflight(config_channel(cfg, "fast")),
	    DISPATCH_INFLIGHT_CAP);
	assert_int_equal(dispatch_channel_inflight(config_channel(cfg, "m1")),
	    DISPATCH_MAX_INFLIGHT);
	config_free(cfg);
	config_errors_free(errs);
}

/* Stops it (nothing may be in flight) and frees it all. */
static void
rig_stop(struct rig *r)
{
	int stopped = 0;

	dispatch_stop(r->d, on_stopped, &stopped);
	assert_int_equal(stopped, 1); /* nothing in flight */
	dispatch_free(r->d);
	batch_close(&r->b);
	assert_int_equal(uv_run(&r->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&r->loop), 0);
	config_free(r->cfg);
	config_errors_free(r->errs);
}

/*
 * The dispatcher wakes when a message is queued in its process: the
 * message is claimed and handed to its channel within the next loop turns,
 * not at the next poll (DISPATCH_POLL_MS later). No loop turn here waits:
 * UV_RUN_NOWAIT runs only what is due already. The channel ends it through
 * dispatch_done, with what it was handed or (a modem) by id only.
 */
static void
test_dispatcher_woken(void **state)
{
	struct store *st = *state;
	struct carried c;
	struct store_msg info;
	struct rig r;
	int64_t id;
	int i;

	rig_start(&r, st, &c);
	/* The first look finds nothing; the next is a poll away. */
	uv_run(&r.loop, UV_RUN_NOWAIT);
	assert_int_equal(c.n, 0);

	assert_int_equal(batch_begin(&r.b), 0);
	assert_int_equal(
	    enqueue(st, "m1", "+254700000001", "hi", 0, now_ms(), &id), 0);
	for (i = 0; i < 3 && c.n == 0; i++)
		uv_run(&r.loop, UV_RUN_NOWAIT);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.id, id);
	assert_int_equal(c.attempts, 1);
	assert_string_equal(c.to, "+254700000001");
	batch_flush(&r.b);
	assert_int_equal(store_msg_get(st, id, &info), 0);
	assert_int_equal(info.state, MSG_SENT);
	assert_string_equal(info.provider_id, "prov-1");
	store_msg_free(&info);

	/* A modem's way: it ends the message later, knowing only its id. */
	c.by_id = 1;
	assert_int_equal(batch_begin(&r.b), 0);
	assert_int_equal(
	    enqueue(st, "m1", "+254700000002", "hey", 0, now_ms(), &id), 0);
	for (i = 0; i < 3 && c.n == 1; i++)
		uv_run(&r.loop, UV_RUN_NOWAIT);
	assert_int_equal(c.n, 2);
	batch_flush(&r.b);
	{
		struct channel_msg later = {.id = id, .attempts = -1};

		dispatch_done(c.ch, &later, SEND_TEMPFAIL, NULL, "busy");
	}
	batch_flush(&r.b);
	assert_int_equal(store_msg_get(st, id, &info), 0);
	assert_int_equal(info.state, MSG_QUEUED); /* retried later */
	assert_int_equal(info.attempts, 1);
	assert_string_equal(info.error, "busy");
	store_msg_free(&info);
	rig_stop(&r);
}

/*
 * A queued message goes to its channel only once its insert is durable
 * (batch_watermark): a reply queued in the turn's open transaction waits
 * for that transaction's commit. Then it goes at once, inside the
 * transaction of its own claim, not after that one's commit. (A dispatcher
 * that has not looked at its queue yet takes no message as it is stored:
 * test_taken_as_stored has those.)
 */
static void
test_claim_waits_for_durable_insert(void **state)
{
	struct store *st = *state;
	struct carried c;
	struct store_msg info;
	struct rig r;
	int64_t id, before;

	rig_start(&r, st, &c);
	c.st = st;
	before = batch_durable(&r.b);

	/* Queued in an open transaction: the dispatcher runs, sends nothing. */
	assert_int_equal(batch_begin(&r.b), 0);
	assert_int_equal(
	    enqueue(st, "m1", "+254700000001", "hi", 0, now_ms(), &id), 0);
	assert_true(id > before);
	assert_int_equal(batch_durable(&r.b), before);
	uv_run(&r.loop, UV_RUN_NOWAIT); /* the timer, then the commit */
	assert_int_equal(c.n, 0);
	assert_int_equal(store_msg_get(st, id, &info), 0);
	assert_int_equal(info.state, MSG_QUEUED);
	store_msg_free(&info);
	/* Its commit made it durable: the next turn sends it. */
	assert_int_equal(batch_durable(&r.b), id);
	uv_run(&r.loop, UV_RUN_NOWAIT);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.id, id);
	assert_true(c.in_tx); /* its claim was not committed yet */
	assert_int_equal(store_msg_get(st, id, &info), 0);
	assert_int_equal(info.state, MSG_SENT);
	store_msg_free(&info);
	rig_stop(&r);
}

/* The state and attempts of message id. */
static void
assert_state(struct store *st, int64_t id, enum msg_state state, int attempts)
{
	struct store_msg info;

	assert_int_equal(store_msg_get(st, id, &info), 0);
	assert_int_equal(info.state, state);
	assert_int_equal(info.attempts, attempts);
	store_msg_free(&info);
}

/* Runs the loop's due work a few times. */
static void
turns(struct rig *r, int n)
{
	while (n-- > 0)
		uv_run(&r->loop, UV_RUN_NOWAIT);
}

/* A modem's way: message id, held by the channel, was accepted. */
static void
done_ok(struct carried *c, int64_t id)
{
	struct channel_msg m = {.id = id, .attempts = -1};

	dispatch_done(c->ch, &m, SEND_OK, "p-1", NULL);
}

/*
 * A message due now whose channel has room, queued once the dispatcher
 * found nothing due on it, is stored claimed ("sending", its first
 * attempt) and handed over when its transaction has committed, not
 * before; one a rollback undid (a savepoint's, or the transaction's) is
 * never handed over and gives its room back. Once the channel is full the
 * next is queued, and the later ones for the same number too until it is
 * claimed: none overtakes a message queued before it for its number.
 */
static void
test_taken_as_stored(void **state)
{
	struct store *st = *state;
	struct dispatch_stats ds;
	struct carried c;
	struct rig r;
	int64_t a, b, cc, q1, q2, o, t;

	rig_start(&r, st, &c);
	c.st = st;
	turns(&r, 1); /* the first look: nothing due */

	assert_int_equal(batch_begin(&r.b), 0);
	assert_int_equal(
	    enqueue(st, "m1", "+254700000001", "a", 0, now_ms(), &a), 0);
	assert_state(st, a, MSG_SENDING, 1);
	/* Undone with its savepoint: never handed over. */
	assert_int_equal(store_savepoint(st), 0);
	assert_int_equal(
	    enqueue(st, "m1", "+254700000002", "b", 0, now_ms(), &b), 0);
	assert_state(st, b, MSG_SENDING, 1);
	assert_int_equal(store_rollback_to(st), 0);
	assert_int_equal(c.n, 0); /* nothing before the commit */
	assert_int_equal(dispatch_stats(r.d, "m1", &ds), 0);
	assert_int_equal(ds.inflight, 0); /* none handed over yet */
	turns(&r, 1);                     /* the commit: a leaves */
	assert_int_equal(c.n, 1);
	assert_int_equal(c.id, a);
	assert_int_equal(c.attempts, 1);
	assert_false(c.in_tx); /* after its commit */
	batch_flush(&r.b);
	assert_state(st, a, MSG_SENT, 1);
	assert_int_equal(
	    store_msg_get(st, b, &(struct store_msg){0}), STORE_NOTFOUND);
	turns(&r, 2);
	assert_int_equal(c.n, 1);
	assert_int_equal(dispatch_stats(r.d, "m1", &ds), 0);
	assert_int_equal(ds.inflight, 0);

	/* Rolled back with its transaction: the same. */
	assert_int_equal(batch_begin(&r.b), 0);
	assert_int_equal(
	    enqueue(st, "m1", "+254700000003", "c", 0, now_ms(), &cc), 0);
	assert_int_equal(store_rollback(st), 0);
	turns(&r, 2);
	assert_int_equal(c.n, 1);
	assert_int_equal(dispatch_stats(r.d, "m1", &ds), 0);
	assert_int_equal(ds.inflight, 0);

	/* One in flight at most: the one held keeps the next queued. */
	dispatch_set_inflight(r.d, "m1", 1);
	c.by_id = 1;
	assert_int_equal(batch_begin(&r.b), 0);
	assert_int_equal(
	    enqueue(st, "m1", "+254700000004", "t", 0, now_ms(), &t), 0);
	assert_int_equal(
	    enqueue(st, "m1", "+254700000004", "q1", 0, now_ms(), &q1), 0);
	assert_state(st, t, MSG_SENDING, 1);
	assert_state(st, q1, MSG_QUEUED, 0);
	turns(&r, 2);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.id, t);
	done_ok(&c, t);
	/*
	 * A slot again, but q1 is queued: q2, for the same number, queues
	 * behind it; one for another number is stored claimed, and waits
	 * for a slot after its commit (q1 took the free one).
	 */
	assert_int_equal(batch_begin(&r.b), 0);
	assert_int_equal(
	    enqueue(st, "m1", "+254700000004", "q2", 0, now_ms(), &q2), 0);
	assert_int_equal(
	    enqueue(st, "m1", "+254700000005", "o", 0, now_ms(), &o), 0);
	assert_state(st, q2, MSG_QUEUED, 0);
	assert_state(st, o, MSG_SENDING, 1);
	turns(&r, 3);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.id, q1); /* in order */
	done_ok(&c, q1);            /* its slot goes to o at once */
	assert_int_equal(c.n, 4);
	assert_int_equal(c.id, o);
	done_ok(&c, o);
	turns(&r, 3);
	assert_int_equal(c.n, 5);
	assert_int_equal(c.id, q2);
	done_ok(&c, q2);
	batch_flush(&r.b);
	assert_state(st, t, MSG_SENT, 1);
	assert_state(st, q1, MSG_SENT, 1);
	assert_state(st, q2, MSG_SENT, 1);
	assert_state(st, o, MSG_SENT, 1);
	rig_stop(&r);
}

/*
 * A number's message queued behind a full channel holds its later ones
 * back until a claim takes that very message, not one queued before it
 * some other way (a retry, another process's): claims of those leave the
 * number waiting.
 */
static void
test_taken_waits_for_its_number(void **state)
{
	struct store *st = *state;
	struct store_msg_out other = {.channel = "m1",
	    .kind = MSG_SMS,
	    .phone = "+254700000001",
	    .text = "r",
	    .state = MSG_QUEUED,
	    .segments = 1};
	struct carried c;
	struct rig r;
	int64_t t1, t2, rid, q1, q2;

	rig_start(&r, st, &c);
	turns(&r, 1); /* the first look: nothing due */
	dispatch_set_inflight(r.d, "m1", 2);
	c.by_id = 1;
	assert_int_equal(batch_begin(&r.b), 0);
	assert_int_equal(
	    enqueue(st, "m1", "+254700000008", "t1", 0, now_ms(), &t1), 0);
	assert_int_equal(
	    enqueue(st, "m1", "+254700000009", "t2", 0, now_ms(), &t2), 0);
	/* Queued by another process, earlier, for +254700000001. */
	other.next_attempt = now_ms() - 1000;
	assert_int_equal(
	    store_msg_insert_outbound(st, &other, now_ms() - 1000, &rid), 0);
	assert_int_equal(
	    enqueue(st, "m1", "+254700000001", "q1", 0, now_ms(), &q1), 0);
	assert_state(st, q1, MSG_QUEUED, 0); /* the channel is full */
	turns(&r, 2);
	assert_int_equal(c.n, 2); /* t1, t2 */
	done_ok(&c, t1);
	turns(&r, 2);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.id, rid); /* the earlier one first */
	done_ok(&c, t2);
	/* Room for one, but q1 still waits: q2 queues behind it. */
	assert_int_equal(batch_begin(&r.b), 0);
	assert_int_equal(
	    enqueue(st, "m1", "+254700000001", "q2", 0, now_ms(), &q2), 0);
	assert_state(st, q2, MSG_QUEUED, 0);
	turns(&r, 2);
	assert_int_equal(c.n, 4);
	assert_int_equal(c.id, q1);
	done_ok(&c, rid);
	turns(&r, 2);
	assert_int_equal(c.n, 5);
	assert_int_equal(c.id, q2);
	done_ok(&c, q1);
	done_ok(&c, q2);
	batch_flush(&r.b);
	assert_state(st, q1, MSG_SENT, 1);
	assert_state(st, q2, MSG_SENT, 1);
	rig_stop(&r);
}

/*
 * A reply stored claimed whose commit finds every request slot taken
 * waits for the next one, and nothing queued on its channel is claimed
 * before it.
 */
static void
test_taken_waits_for_a_slot(void **state)
{
	struct store *st = *state;
	struct dispatch_stats ds;
	struct carried c;
	struct rig r;
	int64_t t, p, q;

	rig_start(&r, st, &c);
	turns(&r, 1); /* the first look: nothing due */
	dispatch_set_inflight(r.d, "m1", 1);
	c.by_id = 1;
	assert_int_equal(batch_begin(&r.b), 0);
	assert_int_equal(
	    enqueue(st, "m1", "+254700000001", "t", 0, now_ms(), &t), 0);
	turns(&r, 2);
	assert_int_equal(c.n, 1); /* t holds the only slot */
	assert_int_equal(batch_begin(&r.b), 0);
	assert_int_equal(
	    enqueue(st, "m1", "+254700000002", "p", 0, now_ms(), &p), 0);
	assert_int_equal(
	    enqueue(st, "m1", "+254700000003", "q", 0, now_ms(), &q), 0);
	assert_state(st, p, MSG_SENDING, 1);
	assert_state(st, q, MSG_QUEUED, 0); /* as many wait as may fly */
	turns(&r, 4);
	assert_int_equal(c.n, 1); /* p is committed and waits */
	assert_state(st, q, MSG_QUEUED, 0);
	done_ok(&c, t);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.id, p);
	done_ok(&c, p);
	turns(&r, 3);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.id, q);
	done_ok(&c, q);
	batch_flush(&r.b);
	assert_int_equal(dispatch_stats(r.d, "m1", &ds), 0);
	assert_int_equal(ds.inflight, 0);
	assert_int_equal(ds.sent, 3);
	rig_stop(&r);
}

/*
 * max_age (interfaces.md: retries "until max_age, after which the message
 * is failed with the error expired"): no attempt goes out once a message
 * is older than that, and a retry is never due after the deadline.
 */
static void
test_max_age(void **state)
{
	struct store *st = *state;
	const int64_t age = INT64_C(24) * 3600 * 1000; /* the default */
	struct carried c;
	struct store_msg info;
	struct rig r;
	int64_t id, created;
	int i;

	rig_start(&r, st, &c);
	/* Queued (a paused channel, a long outage) past its max_age. */
	assert_int_equal(batch_begin(&r.b), 0);
	assert_int_equal(enqueue(st, "m1", "+254700000001", "stale", 0,
			     now_ms() - age - 1000, &id),
	    0);
	for (i = 0; i < 4; i++)
		uv_run(&r.loop, UV_RUN_NOWAIT);
	batch_flush(&r.b);
	assert_int_equal(c.n, 0); /* never handed to the channel */
	assert_int_equal(store_msg_get(st, id, &info), 0);
	assert_int_equal(info.state, MSG_FAILED);
	assert_string_equal(info.error, "expired");
	store_msg_free(&info);

	/* A minute before the deadline, a retry five minutes away is due
	 * at the deadline instead. */
	c.by_id = 1;
	created = now_ms() - age + 60000;
	assert_int_equal(batch_begin(&r.b), 0);
	assert_int_equal(
	    enqueue(st, "m1", "+254700000002", "late", 0, created, &id), 0);
	for (i = 0; i < 4 && c.n == 0; i++)
		uv_run(&r.loop, UV_RUN_NOWAIT);
	assert_int_equal(c.n, 1);
	batch_flush(&r.b);
	{
		struct channel_msg m = {.id = id,
		    .attempts = 20,
		    .created = created,
		    .segments = 1};

		dispatch_done(c.ch, &m, SEND_TEMPFAIL, NULL, "busy");
	}
	batch_flush(&r.b);
	assert_int_equal(store_msg_get(st, id, &info), 0);
	assert_int_equal(info.state, MSG_QUEUED);
	store_msg_free(&info);
	assert_int_equal(store_queue_next_due(st, "m1"), created + age);
	rig_stop(&r);
}

/*
 * The channel log's excerpts: valid UTF-8 passes whole; what PostgreSQL
 * would refuse (overlong forms, surrogates, values past U+10FFFF, stray
 * bytes) and control characters become '?', one per byte; a character
 * never splits at the cut.
 */
static void
test_excerpt(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
	    {"Maji \xe2\x9c\x93 \xf0\x9f\x92\xa7",
		"Maji \xe2\x9c\x93 \xf0\x9f\x92\xa7"},
	    {"a\x01"
	     "b\tc\nd",
		"a?b\tc\nd"},
	    {"\xc0\xaf", "??"},                       /* overlong '/' */
	    {"\xe0\x80\xaf", "???"},                  /* overlong, 3 bytes */
	    {"\xf0\x80\x80\xaf", "????"},             /* overlong, 4 bytes */
	    {"\xed\xa0\x80", "???"},                  /* a surrogate */
	    {"\xf4\x90\x80\x80", "????"},             /* past U+10FFFF */
	    {"\xf8\x88\x80\x80\x80", "?????"},        /* 5 bytes */
	    {"x\xe2\x9c", "x??"},                     /* cut short */
	    {"\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"}, /* U+10FFFF */
	};
	char out[16];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		channel_excerpt(cases[i].in, strlen(cases[i].in), out, 15);
		assert_string_equal(out, cases[i].want);
	}
	/* The cut: "\xe2\x9c\x93" does not fit after 3 bytes of 4. */
	assert_int_equal(channel_excerpt("abc\xe2\x9c\x93", 6, out, 4), 3);
	assert_string_equal(out, "abc");
	/* A NUL inside the body is a control character. */
	assert_int_equal(channel_excerpt("a\0b", 3, out, 15), 3);
	assert_string_equal(out, "a?b");
}

/*
 * A doubtful turn (batch.h: a COMMIT whose answer was lost may have landed)
 * leaves a message "sending" that no request carries. Once nothing is held
 * here (the message in flight has its outcome written), the dispatcher
 * queues it again and it goes out, once; the one that was in flight does
 * not go again.
 */
static void
test_doubtful_turn(void **state)
{
	struct store *st = *state;
	struct store_queue_msg *v;
	struct store_msg info;
	struct carried c;
	struct rig r;
	int64_t held, orphan;
	size_t n;
	rig_start(&r, st, &c);
	c.by_id = 1; /* ended by the test, later */
	assert_int_equal(batch_begin(&r.b), 0);
	assert_int_equal(
	    enqueue(st, "m1", "+254700000001", "held", 0, now_ms(), &held), 0);
	batch_flush(&r.b);
	for (int i = 0; i < 300 && c.n < 1; i++) {
		uv_run(&r.loop, UV_RUN_NOWAIT);
		uv_sleep(10);
	}
	assert_int_equal(c.n, 1);
	assert_int_equal(c.id, held);

	/* The orphan: stored and claimed in one turn, handed to no one. */
	assert_int_equal(batch_begin(&r.b), 0);
	assert_int_equal(
	    enqueue(st, "m1", "+254700000002", "orphan", 0, now_ms(), &orphan),
	    0);
	assert_int_equal(store_queue_claim(st, "m1", now_ms(), 10, &v, &n), 0);
	assert_int_equal(n, 1);
	store_queue_msgs_free(v, n);
	r.b.doubtful++; /* as when that turn's COMMIT answer was lost */
	batch_flush(&r.b);

	/* While the first is in flight, nothing is taken back. */
	for (int i = 0; i < 20; i++) {
		uv_run(&r.loop, UV_RUN_NOWAIT);
		uv_sleep(10);
	}
	assert_int_equal(c.n, 1);
	assert_int_equal(store_msg_get(st, orphan, &info), 0);
	assert_int_equal(info.state, MSG_SENDING);
	store_msg_free(&info);

	/* Its outcome written, the orphan is queued again and goes out. */
	{
		struct channel_msg later = {.id = held, .attempts = -1};

		dispatch_done(c.ch, &later, SEND_OK, "prov-1", NULL);
	}
	batch_flush(&r.b);
	c.by_id = 0;
	for (int i = 0; i < 300 && c.n < 2; i++) {
		uv_run(&r.loop, UV_RUN_NOWAIT);
		uv_sleep(10);
	}
	assert_int_equal(c.n, 2);
	assert_int_equal(c.id, orphan);
	batch_flush(&r.b);
	assert_int_equal(store_msg_get(st, orphan, &info), 0);
	assert_int_equal(info.state, MSG_SENT);
	store_msg_free(&info);
	assert_int_equal(store_msg_get(st, held, &info), 0);
	assert_int_equal(info.state, MSG_SENT);
	store_msg_free(&info);
	/* Nothing more goes, the held one never again. */
	for (int i = 0; i < 20; i++) {
		uv_run(&r.loop, UV_RUN_NOWAIT);
		uv_sleep(10);
	}
	assert_int_equal(c.n, 2);
	rig_stop(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_enqueue_claim_sent, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_retry_fail_recover, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_segments_and_limits, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_move_to_fallback, setup, teardown),
	    cmocka_unit_test(test_state_names),
	    cmocka_unit_test(test_inbound),
	    cmocka_unit_test(test_backoff),
	    cmocka_unit_test(test_inflight_by_rate),
	    cmocka_unit_test(test_ussd_input),
	    cmocka_unit_test(test_flood_churn),
	    cmocka_unit_test(test_flood_expiry),
	    cmocka_unit_test(test_excerpt),
	    cmocka_unit_test_setup_teardown(
		test_enqueue_wakes, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_dispatcher_woken, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_claim_waits_for_durable_insert, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_taken_as_stored, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_taken_waits_for_its_number, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_taken_waits_for_a_slot, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_max_age, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_doubtful_turn, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_spend_held, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_spend_claimed, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
