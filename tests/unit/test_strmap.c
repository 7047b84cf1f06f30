/*
 * test_strmap.c: the bounded map (strmap.c): lookups, the least recently
 * used entry forgotten when full (never a refused key), sweeps, expiry,
 * values released, and its keyed hash (SipHash-2-4 reference vectors).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/strmap.h"

/* Values released by the map, counted; values are small integers. */
static size_t released;
static intptr_t last_released;

static void
count_free(void *v)
{
	released++;
	last_released = (intptr_t)v;
}

static const char *
key_of(char *buf, size_t len, long i)
{
	snprintf(buf, len, "+2547%08ld", i);
	return buf;
}

static void
test_siphash_vectors(void **state)
{
	/*
	 * The reference implementation's vectors: key 00 01 .. 0f, message
	 * 00 01 .. (len - 1); the same as OpenSSL's SIPHASH with size 8.
	 */
	static const struct {
		size_t len;
		uint64_t want;
	} v[] = {
	    {0, 0x726fdb47dd0e0e31ULL},
	    {1, 0x74f839c593dc67fdULL},
	    {7, 0xab0200f58b01d137ULL},
	    {8, 0x93f5f5799a932462ULL},
	    {15, 0xa129ca6149be45e5ULL},
	    {63, 0x958a324ceb064572ULL},
	};
	unsigned char key[16], msg[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(key); i++)
		key[i] = (unsigned char)i;
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char)i;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_true(strmap_siphash(key, msg, v[i].len) == v[i].want);
}

static void
test_seeded(void **state)
{
	struct strmap a, b;

	(void)state;
	/* Each map draws its own key: two maps (or runs) differ. */
	strmap_init(&a, 10, NULL);
	strmap_init(&b, 10, NULL);
	assert_false(a.k0 == b.k0 && a.k1 == b.k1);
	assert_false(a.k0 == 0 && a.k1 == 0);
	strmap_free(&a);
	strmap_free(&b);
}

static void
test_basic(void **state)
{
	struct strmap m;
	char key[32];
	intptr_t i;

	(void)state;
	released = 0;
	strmap_init(&m, 1001, count_free);
	for (i = 1; i <= 1000; i++)
		assert_int_equal(
		    strmap_put(&m, key_of(key, sizeof(key), i), (void *)i), 0);
	assert_int_equal(m.n, 1000);
	for (i = 1; i <= 1000; i++)
		assert_ptr_equal(
		    strmap_peek(&m, key_of(key, sizeof(key), i)), (void *)i);
	assert_null(strmap_get(&m, "+254700001001"));
	assert_null(strmap_get(&m, ""));
	/* An update releases the value it replaces, and evicts nothing. */
	assert_int_equal(strmap_put(&m, "+254700000001", (void *)7), 0);
	assert_int_equal(released, 1);
	assert_int_equal(last_released, 1);
	assert_ptr_equal(strmap_get(&m, "+254700000001"), (void *)7);
	assert_int_equal(m.n, 1000);
	/* Removed: the value goes back to the caller, not released. */
	assert_ptr_equal(strmap_del(&m, "+254700000500"), (void *)500);
	assert_null(strmap_get(&m, "+254700000500"));
	assert_null(strmap_del(&m, "+254700000500"));
	assert_int_equal(m.n, 999);
	assert_int_equal(released, 1);
	/* Keys that differ only late, or by length, are distinct. */
	assert_int_equal(strmap_put(&m, "k", (void *)1), 0);
	assert_int_equal(strmap_put(&m, "k\x1f", (void *)2), 0);
	assert_ptr_equal(strmap_get(&m, "k"), (void *)1);
	assert_ptr_equal(strmap_get(&m, "k\x1f"), (void *)2);
	strmap_free(&m);
	assert_int_equal(m.evicted, 0);
	/* Freeing releases every value left. */
	assert_int_equal(released, 1 + 1001);
}

static void
test_evicts_least_recently_used(void **state)
{
	struct strmap m;
	char key[32];
	intptr_t i;

	(void)state;
	released = 0;
	strmap_init(&m, 1000, count_free);
	for (i = 1; i <= 1000; i++)
		assert_int_equal(
		    strmap_put(&m, key_of(key, sizeof(key), i), (void *)i), 0);
	/* Used: no longer the oldest. peek does not count as a use. */
	assert_ptr_equal(strmap_get(&m, "+254700000001"), (void *)1);
	assert_ptr_equal(strmap_peek(&m, "+254700000002"), (void *)2);
	/* Full: a new key is taken, the least recently used one forgotten. */
	assert_int_equal(strmap_put(&m, "+254799999999", (void *)9), 1);
	assert_int_equal(m.n, 1000);
	assert_int_equal(m.evicted, 1);
	assert_int_equal(released, 1);
	assert_int_equal(last_released, 2);
	assert_null(strmap_peek(&m, "+254700000002"));
	assert_ptr_equal(strmap_peek(&m, "+254700000001"), (void *)1);
	assert_ptr_equal(strmap_peek(&m, "+254799999999"), (void *)9);
	/* An update of a key in a full map evicts nothing. */
	assert_int_equal(strmap_put(&m, "+254700000003", (void *)3), 0);
	assert_int_equal(m.evicted, 1);
	/* Next out: 4 (3 was just put again). */
	assert_int_equal(strmap_put(&m, "x", (void *)10), 1);
	assert_null(strmap_peek(&m, "+254700000004"));
	assert_non_null(strmap_peek(&m, "+254700000003"));
	strmap_free(&m);
}

static void
test_bounded_churn(void **state)
{
	struct strmap m;
	char key[32];
	long i;

	(void)state;
	released = 0;
	/* 200,000 distinct keys through a map of 1,000: never above it. */
	strmap_init(&m, 1000, count_free);
	for (i = 0; i < 200000; i++) {
		assert_int_equal(strmap_put(&m, key_of(key, sizeof(key), i),
				     (void *)(intptr_t)(i + 1)),
		    i < 999 ? 0 : 1);
		/* One key kept in use survives all of it. */
		if (strmap_get(&m, "keeper") == NULL)
			assert_int_equal(i, 0);
		if (i == 0)
			strmap_put(&m, "keeper", (void *)1);
		assert_true(m.n <= 1000);
	}
	assert_int_equal(m.n, 1000);
	assert_ptr_equal(strmap_peek(&m, "keeper"), (void *)1);
	/* The 999 newest are there, the older ones gone. */
	assert_non_null(strmap_peek(&m, key_of(key, sizeof(key), 199999)));
	assert_non_null(strmap_peek(&m, key_of(key, sizeof(key), 199001)));
	assert_null(strmap_peek(&m, key_of(key, sizeof(key), 199000)));
	assert_null(strmap_peek(&m, key_of(key, sizeof(key), 0)));
	assert_int_equal(released, m.evicted);
	strmap_free(&m);
	assert_int_equal(released, 200000 + 1);
}

static int
drop_even(void *arg, const char *key, void *value)
{
	(void)key;
	(*(int *)arg)++;
	return ((intptr_t)value % 2) == 0;
}

static int
below(void *arg, const char *key, void *value)
{
	(void)key;
	return (intptr_t)value < *(intptr_t *)arg;
}

static void
test_sweep_and_expire(void **state)
{
	struct strmap m;
	char key[32];
	intptr_t i, limit;
	int seen = 0;

	(void)state;
	released = 0;
	strmap_init(&m, 1000, count_free);
	for (i = 1; i <= 1000; i++)
		strmap_put(&m, key_of(key, sizeof(key), i), (void *)i);
	/* A sweep sees every entry and drops (and releases) what fn says. */
	strmap_sweep(&m, drop_even, &seen);
	assert_int_equal(seen, 1000);
	assert_int_equal(m.n, 500);
	assert_int_equal(released, 500);
	assert_ptr_equal(strmap_get(&m, "+254700000003"), (void *)3);
	assert_null(strmap_get(&m, "+254700000004"));
	/*
	 * Expiry goes from the least recently used and stops at the first
	 * entry to keep: 1 goes, 3 was used just now and stops nothing.
	 */
	limit = 100;
	strmap_expire(&m, below, &limit);
	assert_null(strmap_peek(&m, "+254700000001"));
	assert_null(strmap_peek(&m, "+254700000099"));
	assert_non_null(strmap_peek(&m, "+254700000101"));
	assert_ptr_equal(strmap_peek(&m, "+254700000003"), (void *)3);
	assert_int_equal(m.n, 500 - 49);
	/* The map goes on taking keys after removals. */
	for (i = 2000; i < 2400; i++) {
		snprintf(key, sizeof(key), "k%ld", (long)i);
		assert_int_equal(strmap_put(&m, key, (void *)i), 0);
	}
	assert_ptr_equal(strmap_get(&m, "k2399"), (void *)2399);
	assert_int_equal(m.evicted, 0);
	strmap_free(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_siphash_vectors),
	    cmocka_unit_test(test_seeded),
	    cmocka_unit_test(test_basic),
	    cmocka_unit_test(test_evicts_least_recently_used),
	    cmocka_unit_test(test_bounded_churn),
	    cmocka_unit_test(test_sweep_and_expire),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
