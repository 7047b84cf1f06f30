/*
 * test_queue.c: the outbound queue's rows (outq.c), the retry backoff,
 * Africa's Talking's cumulative USSD text and the flood guard (ingress.c).
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

#include "gateway/config.h"
#include "gateway/dispatch.h"
#include "gateway/ingress.h"
#include "gateway/outq.h"
#include "gateway/store.h"
#include "lib/strmap.h"

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

static void
test_enqueue_claim_sent(void **state)
{
	struct store *st = *state;
	struct outq_msg *v;
	struct outq_info info;
	int64_t id1, id2, id3;
	size_t n;

	assert_int_equal(store_begin(st), 0);
	assert_int_equal(
	    outq_enqueue(st, "at", "+254700000001", 0, "one", 0, 0, 1000, &id1),
	    0);
	assert_int_equal(
	    outq_enqueue(st, "at", "+254700000002", 0, "two", 0, 0, 1001, &id2),
	    0);
	/* Due later: not claimed now. */
	assert_int_equal(outq_enqueue(st, "at", "+254700000003", 0, "three", 0,
			     5000, 1002, &id3),
	    0);
	/* Another channel's message is not this channel's. */
	assert_int_equal(outq_enqueue(st, "tw", "+254700000004", 0, "four", 0,
			     0, 1003, NULL),
	    0);
	assert_int_equal(outq_claim(st, "at", 2000, 10, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].id, id1);
	assert_string_equal(v[0].text, "one");
	assert_int_equal(v[0].attempts, 1);
	assert_int_equal(v[1].id, id2);
	outq_msgs_free(v, n);
	/* Claimed messages are "sending": a second claim finds none. */
	assert_int_equal(outq_claim(st, "at", 2000, 10, &v, &n), 0);
	assert_int_equal(n, 0);
	outq_msgs_free(v, n);
	assert_int_equal(outq_next_due(st, "at"), 5000);

	assert_int_equal(outq_sent(st, id1, "ATXid_1", 2100), 0);
	assert_int_equal(outq_get(st, id1, &info), 0);
	assert_string_equal(info.state, "sent");
	assert_string_equal(info.provider_id, "ATXid_1");
	assert_int_equal(info.attempts, 1);
	assert_int_equal(info.segments, 1);
	outq_info_free(&info);

	/* A delivery report by the provider's id, then never taken back. */
	assert_int_equal(
	    outq_report(st, "at", "ATXid_1", 0, "delivered", NULL, 2200), 0);
	assert_int_equal(
	    outq_report(st, "at", "ATXid_1", 0, "sent", NULL, 2300),
	    STORE_NOTFOUND);
	assert_int_equal(outq_get(st, id1, &info), 0);
	assert_string_equal(info.state, "delivered");
	outq_info_free(&info);
	assert_int_equal(outq_report(st, "at", "nope", 0, "failed", "x", 2300),
	    STORE_NOTFOUND);
	assert_int_equal(store_commit(st), 0);
}

static void
test_retry_fail_recover(void **state)
{
	struct store *st = *state;
	struct outq_msg *v;
	struct outq_info info;
	int64_t id;
	size_t n;

	assert_int_equal(store_begin(st), 0);
	assert_int_equal(outq_enqueue(st, "web", "+254700000009", 0, "Habari ☺",
			     0, 0, 1000, &id),
	    0);
	assert_int_equal(outq_claim(st, "web", 1000, 1, &v, &n), 0);
	assert_int_equal(n, 1);
	outq_msgs_free(v, n);
	/* TEMPFAIL: queued again for later, with the reason. */
	assert_int_equal(outq_retry(st, id, 3000, "HTTP 429", 1100), 0);
	assert_int_equal(outq_claim(st, "web", 2000, 1, &v, &n), 0);
	assert_int_equal(n, 0);
	outq_msgs_free(v, n);
	assert_int_equal(outq_claim(st, "web", 3000, 1, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].attempts, 2);
	outq_msgs_free(v, n);
	/* A crash while "sending": recover queues it again. */
	assert_int_equal(outq_recover(st, 4000), 1);
	assert_int_equal(outq_get(st, id, &info), 0);
	assert_string_equal(info.state, "queued");
	assert_string_equal(info.error, "HTTP 429");
	outq_info_free(&info);
	assert_int_equal(outq_fail(st, id, "expired", 5000), 0);
	assert_int_equal(outq_get(st, id, &info), 0);
	assert_string_equal(info.state, "failed");
	assert_string_equal(info.error, "expired");
	outq_info_free(&info);
	assert_int_equal(store_commit(st), 0);
}

static void
test_segments_and_limits(void **state)
{
	struct store *st = *state;
	struct outq_info info;
	char big[OUTQ_MAX_TEXT + 2];
	char two[200];
	int64_t id;

	memset(two, 'a', 161);
	two[161] = '\0';
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(
	    outq_enqueue(st, "at", "+254700000001", 0, two, 0, 0, 1, &id), 0);
	assert_int_equal(outq_get(st, id, &info), 0);
	assert_int_equal(info.segments, 2);
	outq_info_free(&info);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(
	    outq_enqueue(st, "at", "+254700000001", 0, big, 0, 0, 1, &id),
	    STORE_EINVAL);
	assert_int_equal(store_commit(st), 0);
}

static void
test_move_to_fallback(void **state)
{
	struct store *st = *state;
	struct outq_msg *v;
	size_t n;

	assert_int_equal(store_begin(st), 0);
	assert_int_equal(
	    outq_enqueue(st, "modem1", "+254700000001", 0, "a", 0, 0, 10, NULL),
	    0);
	assert_int_equal(outq_enqueue(st, "modem1", "+254700000002", 0, "b", 0,
			     9999, 10, NULL),
	    0);
	/* Only what is due moves; the later one waits for its time. */
	assert_int_equal(outq_move(st, "modem1", "at", 100), 1);
	assert_int_equal(outq_claim(st, "at", 100, 10, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].text, "a");
	outq_msgs_free(v, n);
	assert_int_equal(store_commit(st), 0);
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
	    cmocka_unit_test(test_backoff),
	    cmocka_unit_test(test_ussd_input),
	    cmocka_unit_test(test_flood_churn),
	    cmocka_unit_test(test_flood_expiry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
