/*
 * test_pg_nodes.c: what several nodes share (store_nodes.c and
 * store_pg_nodes.c): heartbeats, the sweep of a dead node's claims, the
 * recovery that takes back only a node's own claims, flood windows and
 * cumulative USSD texts. The same calls run on an empty SQLite store and
 * an empty PostgreSQL one and must answer the same; then two connections
 * to one PostgreSQL database play two nodes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/store_int.h"
#include "lib/util.h"
#include "pgtest.h"

#define T0 INT64_C(1764900000000) /* a fixed time: any day works */
#define LEASE STORE_NODE_LEASE_MS

static void
show_msg(struct store *st, struct buf *b, int64_t id)
{
	struct store_msg m;

	if (store_msg_get(st, id, &m) != 0) {
		buf_printf(b, "  msg %lld: none\n", (long long)id);
		return;
	}
	buf_printf(b, "  msg %lld: %s attempts=%d\n", (long long)id,
	    msg_state_name(m.state), m.attempts);
	store_msg_free(&m);
}

/* Prints the id of each message a walk of received messages gives. */
static int
on_adopted(void *arg, const struct store_msg_received *m)
{
	buf_printf(arg, " %lld", (long long)m->id);
	return 0;
}

/* What st takes on of the received messages, printed. */
static void
adopt(struct store *st, struct buf *b, int64_t now, int others)
{
	int rc;

	buf_printf(b, "adopt %s%s:", st->node ? st->node : "-",
	    others ? " others" : "");
	rc = store_msg_adopt_received(st, now, LEASE, others, on_adopted, b);
	buf_printf(b, " -> %d\n", rc);
}

/* Claims up to max of channel "at" and prints the ids. */
static void
claim(struct store *st, struct buf *b, int64_t now, size_t max)
{
	struct store_queue_msg *v = NULL;
	size_t n = 0, i;
	int rc = store_queue_claim(st, "at", now, max, &v, &n);

	buf_printf(
	    b, "claim %s -> %d n=%zu:", st->node ? st->node : "-", rc, n);
	for (i = 0; i < n; i++)
		buf_printf(b, " %lld", (long long)v[i].id);
	buf_puts(b, "\n");
	store_queue_msgs_free(v, n);
}

/* A heartbeat as instance at now, printed. */
/* Keeps text for key at now and prints what was kept before. */
static void
ussd(struct store *st, struct buf *b, const char *what, const char *key,
    const char *text, int64_t now)
{
	struct store_ussd_last prev;
	int rc = store_ussd_seen(st, key, text, now, &prev);

	buf_printf(b, "%s -> %d prev=%s screen=%s end=%d\n", what, rc,
	    prev.text ? prev.text : "(null)",
	    prev.screen ? prev.screen : "(null)", prev.end);
	store_ussd_last_free(&prev);
}

static void
beat(struct store *st, struct buf *b, const char *what, const char *instance,
    int64_t now)
{
	int64_t other = -1;
	int rc = store_node_beat(st, instance, now, &other);

	buf_printf(b, "%s -> %d other=%lld\n", what, rc, (long long)other);
}

/* The calls both stores must answer alike, on one connection. */
static void
script(struct store *st, struct buf *b)
{
	struct store_msg_out out = {.channel = "at",
	    .kind = MSG_SMS,
	    .phone = "+254700000002",
	    .text = "Water is back on.",
	    .state = MSG_QUEUED,
	    .segments = 1,
	    .next_attempt = T0};
	int64_t count = -1, id;
	int i;

	/* No name: nothing to beat as. */
	beat(st, b, "beat unnamed", "i1", T0);

	/* Node a beats, a restart of it beats as another instance. */
	store_set_node(st, "a");
	beat(st, b, "beat a", "i1", T0);
	beat(st, b, "beat a again", "i1", T0 + 5000);
	beat(st, b, "beat a restarted", "i2", T0 + 6000);
	buf_printf(b, "beat a, other NULL -> %d\n",
	    store_node_beat(st, "i2", T0 + 7000, NULL));

	/* a claims two of three; b, unheard of, claims the third. */
	for (i = 0; i < 3; i++)
		assert_int_equal(
		    store_msg_insert_outbound(st, &out, T0, &id), 0);
	claim(st, b, T0 + 7000, 2);
	store_set_node(st, "b");
	claim(st, b, T0 + 7000, 2);

	/* a lives: the sweep leaves its claims; b never beat: its go. */
	buf_printf(b, "sweep -> %d\n", store_queue_sweep(st, T0 + 8000, LEASE));
	for (i = 1; i <= 3; i++)
		show_msg(st, b, i);
	/* a is silent past the lease: its claims come back. */
	buf_printf(b, "sweep late -> %d\n",
	    store_queue_sweep(st, T0 + 7000 + LEASE, LEASE));
	for (i = 1; i <= 3; i++)
		show_msg(st, b, i);
	buf_printf(b, "sweep again -> %d\n",
	    store_queue_sweep(st, T0 + 7000 + LEASE, LEASE));

	/* Flood windows of 60 s: counts, a new window, another number. */
	for (i = 0; i < 3; i++) {
		buf_printf(b, "flood -> %d",
		    store_flood_hit(
			st, "+254700000001", T0 + i, 60000, &count));
		buf_printf(b, " count=%lld\n", (long long)count);
	}
	store_flood_hit(st, "+254700000001", T0 + 59999, 60000, &count);
	buf_printf(
	    b, "flood at the window's end count=%lld\n", (long long)count);
	store_flood_hit(st, "+254700000001", T0 + 60000, 60000, &count);
	buf_printf(b, "flood in a new window count=%lld\n", (long long)count);
	store_flood_hit(st, "+254700000003", T0 + 60000, 60000, &count);
	buf_printf(b, "flood another number count=%lld\n", (long long)count);

	/*
	 * USSD texts: none, then the one before, per key, with its screen
	 * while the text stays the same (a repeated request).
	 */
	ussd(st, b, "ussd", "k1", "1", T0);
	buf_printf(b, "screen -> %d\n", store_ussd_screen(st, "k1", "Menu", 0));
	ussd(st, b, "ussd k1 again", "k1", "1", T0);
	ussd(st, b, "ussd k1", "k1", "1*2", T0 + 1);
	ussd(st, b, "ussd k2", "k2", "", T0 + 2);
	ussd(st, b, "ussd k1", "k1", "1*2*3", T0 + 3);
	store_ussd_screen(st, "k1", "Bye", 1);

	/*
	 * The purge: passed flood windows, old texts (by their session's
	 * first step: k1's at T0, though it went on), long gone nodes.
	 */
	buf_printf(b, "purge -> %lld\n",
	    (long long)store_shared_purge(st, T0 + 59999, T0 + 1, T0 + 6999));
	store_flood_hit(st, "+254700000001", T0 + 60001, 60000, &count);
	buf_printf(b, "flood kept count=%lld\n", (long long)count);
	store_flood_hit(st, "+254700000003", T0 + 60001, 60000, &count);
	buf_printf(b, "flood kept too count=%lld\n", (long long)count);
	ussd(st, b, "ussd k1 forgotten", "k1", "1*2*3", T0 + 4);
	ussd(st, b, "ussd k2 kept", "k2", "5", T0 + 4);
	buf_printf(b, "purge all -> %lld\n",
	    (long long)store_shared_purge(st, INT64_MAX, INT64_MAX, INT64_MAX));
}

/* One gateway (SQLite, or a store with no node name): takes on all. */
static void
test_adopt_one_gateway(void **state)
{
	struct store_msg_in in = {.channel = "at",
	    .kind = MSG_SMS,
	    .phone = "+254700000005",
	    .text = "PING 2",
	    .state = MSG_RECEIVED};
	struct store *sq, *pg;
	struct buf a, b;
	int64_t id;
	int i;

	(void)state;
	if (pgtest_pair(&sq, &pg) != 0)
		skip();
	buf_init(&a, 4096);
	buf_init(&b, 4096);
	for (i = 0; i < 2; i++) {
		assert_int_equal(store_msg_insert_inbound(sq, &in, T0, &id), 0);
		assert_int_equal(store_msg_insert_inbound(pg, &in, T0, &id), 0);
	}
	adopt(sq, &a, T0, 1);
	adopt(sq, &a, T0, 0);
	adopt(pg, &b, T0, 1);
	adopt(pg, &b, T0, 0);
	assert_string_equal(buf_cstr(&b), buf_cstr(&a));
	assert_string_equal(
	    buf_cstr(&a), "adopt - others: -> 0\nadopt -: 1 2 -> 0\n");
	buf_free(&a);
	buf_free(&b);
	store_close(sq);
	store_close(pg);
}

static void
test_same_answers(void **state)
{
	struct buf a;

	(void)state;
	if (pgtest_same(script, 1 << 16, &a) != 0)
		skip();
	/* And the answers are the ones meant, not two equal mistakes. */
	assert_non_null(strstr(buf_cstr(&a), "beat unnamed -> -2 other=0\n"));
	assert_non_null(strstr(buf_cstr(&a), "beat a -> 0 other=0\n"));
	assert_non_null(strstr(buf_cstr(&a), "beat a again -> 0 other=0\n"));
	assert_non_null(strstr(
	    buf_cstr(&a), "beat a restarted -> 0 other=1764900005000\n"));
	assert_non_null(strstr(buf_cstr(&a), "claim a -> 0 n=2: 1 2\n"));
	assert_non_null(strstr(buf_cstr(&a), "claim b -> 0 n=1: 3\n"));
	assert_non_null(strstr(buf_cstr(&a),
	    "sweep -> 1\n  msg 1: sending attempts=1\n"
	    "  msg 2: sending attempts=1\n  msg 3: queued attempts=1\n"));
	assert_non_null(strstr(
	    buf_cstr(&a), "sweep late -> 2\n  msg 1: queued attempts=1\n"));
	assert_non_null(strstr(buf_cstr(&a), "sweep again -> 0\n"));
	assert_non_null(strstr(buf_cstr(&a),
	    "flood -> 0 count=1\nflood -> 0 count=2\nflood -> 0 count=3\n"
	    "flood at the window's end count=4\n"
	    "flood in a new window count=1\n"
	    "flood another number count=1\n"));
	assert_non_null(strstr(buf_cstr(&a),
	    "ussd -> 0 prev=(null) screen=(null) end=0\n"
	    "screen -> 0\n"
	    "ussd k1 again -> 0 prev=1 screen=Menu end=0\n"
	    "ussd k1 -> 0 prev=1 screen=Menu end=0\n"
	    "ussd k2 -> 0 prev=(null) screen=(null) end=0\n"
	    "ussd k1 -> 0 prev=1*2 screen=(null) end=0\n"));
	/* Node a (seen at T0 + 7000) stays; no flood window has passed. */
	assert_non_null(strstr(buf_cstr(&a), "purge -> 1\n"));
	assert_non_null(strstr(buf_cstr(&a),
	    "flood kept count=2\nflood kept too count=2\n"
	    "ussd k1 forgotten -> 0 prev=(null) screen=(null) end=0\n"
	    "ussd k2 kept -> 0 prev= screen=(null) end=0\n"));
	/* 2 flood windows, 2 texts, node a. */
	assert_non_null(strstr(buf_cstr(&a), "purge all -> 5\n"));
	buf_free(&a);
}

/*
 * Two nodes on one database: a node starting again takes back only its
 * own claims, never what the other one is sending; the other takes back a
 * dead node's once its lease has passed.
 */
static void
test_two_nodes(void **state)
{
	struct store *sq, *a, *b;
	struct store_msg_out out = {.channel = "at",
	    .kind = MSG_SMS,
	    .phone = "+254700000002",
	    .text = "Boil water before drinking.",
	    .state = MSG_QUEUED,
	    .segments = 1,
	    .next_attempt = T0};
	struct store_msg_in in = {.channel = "at",
	    .kind = MSG_SMS,
	    .phone = "+254700000005",
	    .state = MSG_RECEIVED};
	struct buf log;
	char *err = NULL;
	int64_t id;
	int i;

	(void)state;
	if (pgtest_pair(&sq, &a) != 0)
		skip();
	store_close(sq);
	assert_int_equal(store_open(pgtest_uri(), 0, &b, &err), 0);
	store_set_node(a, "a");
	store_set_node(b, "b");
	assert_int_equal(store_node_beat(a, "a1", T0, NULL), 0);
	assert_int_equal(store_node_beat(b, "b1", T0, NULL), 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(
		    store_msg_insert_outbound(a, &out, T0, NULL), 0);
	buf_init(&log, 4096);
	claim(a, &log, T0, 2);
	claim(b, &log, T0, 2);
	assert_string_equal(
	    buf_cstr(&log), "claim a -> 0 n=2: 1 2\nclaim b -> 0 n=2: 3 4\n");

	/* b restarts: its two come back, a's stay with a. */
	assert_int_equal(store_queue_recover(b, T0 + 1000), 2);
	buf_reset(&log);
	for (i = 1; i <= 4; i++)
		show_msg(a, &log, i);
	assert_string_equal(buf_cstr(&log),
	    "  msg 1: sending attempts=1\n  msg 2: sending attempts=1\n"
	    "  msg 3: queued attempts=1\n  msg 4: queued attempts=1\n");

	/* a goes silent; b beats on. Inside the lease nothing moves. */
	assert_int_equal(store_node_beat(b, "b2", T0 + LEASE, NULL), 0);
	assert_int_equal(store_queue_sweep(b, T0 + LEASE - 1, LEASE), 0);
	/* Past it, a's two are queued again, once, due after b's. */
	assert_int_equal(store_queue_sweep(b, T0 + LEASE, LEASE), 2);
	assert_int_equal(store_queue_sweep(b, T0 + LEASE, LEASE), 0);
	buf_reset(&log);
	claim(b, &log, T0 + LEASE, 10);
	assert_string_equal(buf_cstr(&log), "claim b -> 0 n=4: 3 4 1 2\n");

	/* A node with no name (one gateway) takes back every claim. */
	store_set_node(a, NULL);
	assert_int_equal(store_queue_recover(a, T0 + LEASE), 4);

	/*
	 * Inbound messages left "received": a's two (5, 6), b's one (7). b
	 * takes on its own at its start, a's only once a is dead, and no
	 * node takes one twice.
	 */
	store_set_node(a, "a");
	in.text = "PING 1";
	for (i = 0; i < 2; i++)
		assert_int_equal(
		    store_msg_insert_inbound(a, &in, T0 + LEASE, &id), 0);
	assert_int_equal(store_msg_insert_inbound(b, &in, T0 + LEASE, &id), 0);
	assert_int_equal(store_node_beat(a, "a2", T0 + LEASE, NULL), 0);
	buf_reset(&log);
	adopt(b, &log, T0 + LEASE, 1);
	adopt(b, &log, T0 + LEASE, 0);
	adopt(b, &log, T0 + 2 * LEASE - 1, 1);
	assert_int_equal(store_node_beat(b, "b2", T0 + 2 * LEASE, NULL), 0);
	adopt(b, &log, T0 + 2 * LEASE, 1);
	adopt(b, &log, T0 + 2 * LEASE, 1);
	adopt(a, &log, T0 + 2 * LEASE, 0);
	assert_string_equal(buf_cstr(&log),
	    "adopt b others: -> 0\nadopt b: 7 -> 0\n"
	    "adopt b others: -> 0\nadopt b others: 5 6 -> 0\n"
	    "adopt b others: -> 0\nadopt a: -> 0\n");
	buf_free(&log);
	store_close(a);
	store_close(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_answers),
	    cmocka_unit_test(test_two_nodes),
	    cmocka_unit_test(test_adopt_one_gateway),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
