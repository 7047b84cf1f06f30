/*
 * test_store_pg.c: the PostgreSQL store's own machinery (store_pg.c):
 * opening (migrating), transactions, savepoints, statements with
 * parameters, results, and a guarded write that fails on a unique key
 * without ending the transaction. Against a throwaway server (pgtest.h);
 * skipped where PostgreSQL is not installed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/store_int.h"
#include "gateway/store_pg.h"
#include "pgtest.h"

enum { T_PUT, T_GET, T_COUNT, T_BYTES, T_BAD, T_N };

static const char *const t_sql[T_N] = {
    [T_PUT] = "INSERT INTO campaign_runs (campaign, last_run) VALUES ($1, $2)",
    [T_GET] = "SELECT campaign, last_run, NULL FROM campaign_runs "
	      "WHERE campaign = $1",
    [T_COUNT] = "SELECT count(*) FROM campaign_runs",
    [T_BYTES] = "SELECT $1::bytea, length($1::bytea)",
    [T_BAD] = "SELECT no_such_column FROM campaign_runs",
};

static const struct pgs_sql t_tab = {PGS_PART_TEST, t_sql, T_N};

static int
setup(void **state)
{
	*state = pgtest_open();
	return 0;
}

static int
teardown(void **state)
{
	store_close(*state);
	return 0;
}

static int64_t
count(struct store *st)
{
	PGresult *r = pgs_run(st, &t_tab, T_COUNT, NULL);
	int64_t n;

	assert_non_null(r);
	n = pgs_get_int(r, 0, 0);
	PQclear(r);
	return n;
}

static int
put(struct store *st, const char *name, int64_t v)
{
	struct pgs_params p;

	pgs_p_init(&p);
	pgs_p_text(&p, name);
	pgs_p_int(&p, v);
	return pgs_exec(st, &t_tab, T_PUT, &p, NULL);
}

static void
test_open_ping(void **state)
{
	struct store *st = *state;

	if (st == NULL)
		skip();
	assert_int_equal(store_ping(st), 0);
	assert_false(store_in_transaction(st));
	/* SQLite's checkpoints mean nothing here, and say so by succeeding. */
	assert_int_equal(store_autocheckpoint(st, 0), 0);
	store_wal_hook(st, NULL, NULL);
}

static void
test_transactions(void **state)
{
	struct store *st = *state;
	int64_t changed = -1;
	PGresult *r;
	struct pgs_params p;

	if (st == NULL)
		skip();
	assert_int_equal(store_begin(st), 0);
	assert_true(store_in_transaction(st));
	assert_int_equal(put(st, "a", 1), 0);
	assert_int_equal(store_rollback(st), 0);
	assert_false(store_in_transaction(st));
	assert_int_equal(count(st), 0);

	assert_int_equal(store_begin(st), 0);
	assert_int_equal(put(st, "a", 1), 0);
	assert_int_equal(store_savepoint(st), 0);
	assert_int_equal(put(st, "b", 2), 0);
	assert_int_equal(store_rollback_to(st), 0); /* b goes, a stays */
	assert_int_equal(store_savepoint(st), 0);
	assert_int_equal(put(st, "c", 3), 0);
	assert_int_equal(store_release(st), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(count(st), 2);

	/* Reading back, NULL included; an UPDATE's row count. */
	pgs_p_init(&p);
	pgs_p_text(&p, "c");
	r = pgs_run(st, &t_tab, T_GET, &p);
	assert_non_null(r);
	assert_int_equal(PQntuples(r), 1);
	{
		char *name = pgs_get_dup(r, 0, 0);

		assert_string_equal(name, "c");
		free(name);
	}
	assert_int_equal(pgs_get_int(r, 0, 1), 3);
	assert_true(pgs_isnull(r, 0, 2));
	assert_null(pgs_get_dup(r, 0, 2));
	assert_int_equal(pgs_get_int(r, 0, 2), 0);
	PQclear(r);
	(void)changed;
}

static void
test_guard_and_errors(void **state)
{
	struct store *st = *state;
	static const unsigned char bytes[4] = {0, 0xff, 'a', 0};
	unsigned char back[8];
	struct pgs_params p;
	PGresult *r;

	if (st == NULL)
		skip();
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(put(st, "k", 1), 0);
	/* A unique key broken under a guard: the transaction goes on. */
	assert_int_equal(pgs_guard(st), 0);
	assert_int_equal(put(st, "k", 2), STORE_ERR);
	assert_string_equal(pgs_sqlstate(st), "23505");
	assert_int_equal(pgs_unguard(st, 0), 0);
	assert_string_equal(pgs_sqlstate(st), "23505");
	assert_int_equal(put(st, "l", 2), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(count(st), 2);

	/* Bytes both ways, NUL bytes included. */
	pgs_p_init(&p);
	pgs_p_bytes(&p, bytes, sizeof(bytes));
	r = pgs_run(st, &t_tab, T_BYTES, &p);
	assert_non_null(r);
	assert_int_equal(pgs_get_bytes(r, 0, 0, back, sizeof(back)), 4);
	assert_memory_equal(back, bytes, 4);
	assert_int_equal(pgs_get_bytes(r, 0, 0, back, 2), -1); /* too long */
	assert_int_equal(pgs_get_int(r, 0, 1), 4);
	PQclear(r);

	/* A failed statement: the reason, and a transaction that must end. */
	assert_int_equal(store_begin(st), 0);
	assert_null(pgs_run(st, &t_tab, T_BAD, NULL));
	assert_non_null(strstr(store_errmsg(st), "no_such_column"));
	assert_string_equal(pgs_sqlstate(st), "42703");
	assert_int_equal(put(st, "m", 3), STORE_ERR);  /* aborted */
	assert_int_equal(store_commit(st), STORE_ERR); /* rolled back */
	assert_false(store_in_transaction(st));
	assert_int_equal(count(st), 2);
}

/*
 * A COMMIT on a connection lost under it: whether it landed cannot be
 * known (STORE_EDOUBT, not STORE_ERR), and the next transaction
 * reconnects.
 */
static void
test_commit_doubt(void **state)
{
	struct store *st = *state;

	if (st == NULL)
		skip();
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(put(st, "z", 1), 0);
	assert_int_equal(
	    pgtest_sql(pgtest_db, "SELECT pg_terminate_backend(pid)"
				  " FROM pg_stat_activity"
				  " WHERE datname = current_database()"
				  " AND pid <> pg_backend_pid()"),
	    0);
	assert_int_equal(store_commit(st), STORE_EDOUBT);
	(void)store_rollback(st);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(put(st, "y", 1), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(count(st), 1); /* z was cut off before its COMMIT */
}

/* Fails while another connection holds the set's lock (parts_lock). */
#define TRY_SET(ref)                                                      \
	"DO $$ BEGIN IF NOT pg_try_advisory_xact_lock(hashtextextended("  \
	"'vg' || chr(10) || '+254700000001' || chr(10) || '" ref "', 0))" \
	" THEN RAISE EXCEPTION 'held'; END IF; END $$"

/*
 * The parts of a long message's set are taken under a lock held until the
 * commit: another node's turn waits for it; another set's does not.
 */
static void
test_parts_lock(void **state)
{
	struct store *st = *state;

	if (st == NULL)
		skip();
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_parts_lock(st, "vg", "+254700000001", "7"), 0);
	assert_int_equal(pgtest_sql(pgtest_db, TRY_SET("7")), -1);
	assert_int_equal(pgtest_sql(pgtest_db, TRY_SET("8")), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(pgtest_sql(pgtest_db, TRY_SET("7")), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_open_ping, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_commit_doubt, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_parts_lock, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_guard_and_errors, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
