/*
 * test_modems.c: the modem state the gateway keeps in the store
 * (modems.c, table modem_state). With the real worker (this program run
 * as `modem-worker`) on Gammu's dummy phone in a temporary folder, the row
 * says up with the dummy's signal and network, and down once the gateway
 * stops its modems. With a worker that exits at once (/bin/false), each
 * death is counted as a restart with its reason, and the counters survive
 * into the next start.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "gateway/config.h"
#include "gateway/dispatch.h"
#include "gateway/gateway.h"
#include "gateway/modems.h"
#include "gateway/store.h"
#include "lib/util.h"
#include "modem/supervisor.h"

#define WAIT_MS 20000 /* the longest wait for a condition */

/* This program, which is also the worker (not /proc/self/exe: valgrind). */
static char self[4096];

struct fixture {
	char dir[64];   /* temporary folder: the phone and the store */
	char phone[96]; /* the dummy phone's folder */
	char db[96];    /* the store */
	struct config *cfg;
	struct config_errors *errs;
	struct gateway gw;
	sqlite3 *side; /* the test's own connection, for reading rows */
	uv_loop_t loop;
	uv_timer_t tick; /* wakes the loop while waiting */
	int closed;      /* the client closed */
};

static void
on_tick(uv_timer_t *t)
{
	(void)t;
}

static void
on_closed(uv_handle_t *h)
{
	(void)h;
}

/* Runs the loop until cond(f) holds or WAIT_MS passed; returns cond. */
static int
run_until(struct fixture *f, int (*cond)(struct fixture *))
{
	int64_t deadline = mono_ms() + WAIT_MS;

	while (!cond(f) && mono_ms() < deadline)
		uv_run(&f->loop, UV_RUN_ONCE);
	return cond(f);
}

/* One integer of the channel's row, or -1 when there is none. */
static int64_t
row_int(struct fixture *f, const char *column)
{
	char *sql = xasprintf(
	    "SELECT %s FROM modem_state WHERE channel = 'modem1'", column);
	sqlite3_stmt *s;
	int64_t v = -1;

	assert_int_equal(
	    sqlite3_prepare_v2(f->side, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW &&
	    sqlite3_column_type(s, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	free(sql);
	return v;
}

/* One text of the channel's row (caller frees), or NULL. */
static char *
row_text(struct fixture *f, const char *column)
{
	char *sql = xasprintf(
	    "SELECT %s FROM modem_state WHERE channel = 'modem1'", column);
	sqlite3_stmt *s;
	char *v = NULL;

	assert_int_equal(
	    sqlite3_prepare_v2(f->side, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW &&
	    sqlite3_column_type(s, 0) != SQLITE_NULL)
		v = xstrdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	free(sql);
	return v;
}

static int
is_up(struct fixture *f)
{
	return row_int(f, "up") == 1;
}

static int
restarted(struct fixture *f)
{
	uint64_t failures = 0, restarts = 0;

	return modems_counters(&f->gw, 0, &failures, &restarts) == 0 &&
	       restarts >= 1;
}

static void
start(struct fixture *f, const char *exe)
{
	f->gw.exe_path = exe;
	f->gw.stopping = 0;
	memset(&f->gw.modems, 0, sizeof(f->gw.modems));
	modems_start(&f->gw);
	assert_int_equal(f->gw.modems.n, 1);
}

/*
 * Stops the modems and commits what they wrote; their handles close while
 * the loop runs on (at the latest in teardown).
 */
static void
stop(struct fixture *f)
{
	f->gw.stopping = 1;
	modems_stop(&f->gw);
	batch_flush(&f->gw.batch);
}

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char *conf, *err = NULL;

	*state = f;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_modems.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->phone, sizeof(f->phone), "%s/phone", f->dir);
	snprintf(f->db, sizeof(f->db), "%s/baraza.db", f->dir);
	assert_int_equal(mkdir(f->phone, 0700), 0);
	conf = xasprintf("[gateway]\n"
			 "country_code = 254\n"
			 "[channel modem1]\n"
			 "type = gammu\n"
			 "model = dummy\n"
			 "connection = none\n"
			 "device = %s\n"
			 "poll_interval = 1s\n",
	    f->phone);
	assert_int_equal(config_parse_buffer(conf, strlen(conf), "t.conf",
			     f->dir, &f->cfg, &f->errs),
	    0);
	free(conf);
	if (store_open(f->db, 0, &f->gw.store, &err) != 0)
		fail_msg("store_open: %s", err);
	/* It sees what the gateway's batches committed (WAL). */
	assert_int_equal(sqlite3_open(f->db, &f->side), SQLITE_OK);
	sqlite3_busy_timeout(f->side, 10000);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	uv_timer_init(&f->loop, &f->tick);
	uv_timer_start(&f->tick, on_tick, 50, 50);
	f->gw.loop = &f->loop;
	f->gw.cfg = f->cfg;
	batch_init(&f->gw.batch, &f->loop, f->gw.store);
	assert_int_equal(client_init(&f->gw.client, &f->loop), 0);
	f->gw.dispatch =
	    dispatch_new(&f->loop, f->cfg, f->gw.store, &f->gw.batch);
	return 0;
}

static void
on_dispatch_stopped(void *arg)
{
	(void)arg;
}

static void
on_client_closed(struct client *c, void *arg)
{
	struct fixture *f = arg;

	(void)c;
	f->closed = 1;
}

static int
client_closed(struct fixture *f)
{
	return f->closed;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char *cmd;

	if (f->gw.modems.n > 0) /* a test failed before stopping them */
		stop(f);
	dispatch_stop(f->gw.dispatch, on_dispatch_stopped, f);
	client_shutdown(&f->gw.client, on_client_closed, f);
	run_until(f, client_closed);
	dispatch_free(f->gw.dispatch);
	batch_close(&f->gw.batch);
	uv_close((uv_handle_t *)&f->tick, on_closed);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	sqlite3_close(f->side);
	store_close(f->gw.store);
	config_free(f->cfg);
	config_errors_free(f->errs);
	cmd = xasprintf("rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(f);
	return 0;
}

/* The real worker on the dummy phone: up, signal, network; down at stop. */
static void
test_state_kept(void **state)
{
	struct fixture *f = *state;
	uint64_t failures = 9, restarts = 9;
	char *net;

	start(f, self);
	assert_true(run_until(f, is_up));
	assert_int_equal(row_int(f, "signal"), 42);
	net = row_text(f, "network");
	assert_non_null(net);
	assert_string_equal(net, "home");
	free(net);
	assert_int_equal(row_int(f, "restarts"), 0);
	assert_int_equal(row_int(f, "failures"), 0);
	assert_true(row_int(f, "updated") > 0);
	assert_null(row_text(f, "balance"));
	assert_null(row_text(f, "last_error"));
	assert_int_equal(modems_counters(&f->gw, 0, &failures, &restarts), 0);
	assert_true(failures == 0 && restarts == 0);
	/* Index 1 is no channel at all. */
	assert_int_equal(modems_counters(&f->gw, 1, &failures, &restarts), -1);
	stop(f);
	assert_int_equal(row_int(f, "up"), 0);
	assert_int_equal(row_int(f, "signal"), 42);
}

/* A worker that exits at once: restarts with a reason, kept across runs. */
static void
test_restart_counted(void **state)
{
	struct fixture *f = *state;
	uint64_t failures = 9, restarts = 0, kept;
	char *err;

	start(f, "/bin/false");
	assert_true(run_until(f, restarted));
	assert_int_equal(modems_counters(&f->gw, 0, &failures, &restarts), 0);
	assert_int_equal(failures, 0);
	stop(f);
	kept = (uint64_t)row_int(f, "restarts");
	assert_true(kept >= restarts && kept >= 1);
	assert_int_equal(row_int(f, "up"), 0);
	err = row_text(f, "last_error");
	assert_non_null(err);
	assert_true(strncmp(err, "modem worker died: ", 19) == 0);
	assert_non_null(strstr(err, "status 1"));
	free(err);

	/* The next start goes on from the kept counters. */
	start(f, "/bin/false");
	assert_int_equal(modems_counters(&f->gw, 0, &failures, &restarts), 0);
	assert_true(restarts == kept);
	stop(f);
	assert_true((uint64_t)row_int(f, "restarts") >= kept);
}

/* The amount read from a balance answer, never a code, date or time. */
static void
test_balance_amount(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
	    {"Your balance is KES 45.50. Valid till 31/12/2026", "45.50"},
	    {"Reply for *144#", ""},
	    {"Bal: 1,234.50 KES", "1234.50"},
	    {"On 2026-12-07 at 08:00 your balance was 12", "12"},
	    {"Dial *144*2# for bundles. Balance 7.", "7"},
	    {"no digits", ""},
	    {"Balance: KES -5.00", "5.00"},
	    {"Balance 12- valid", "12"},
	};
	char num[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		modem_balance_amount(cases[i].text, num, sizeof(num));
		assert_string_equal(num, cases[i].want);
	}
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_state_kept, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_restart_counted, setup, teardown),
	    cmocka_unit_test(test_balance_amount),
	};

	/* This program is also the modem worker the supervisor starts. */
	if (argc >= 2 && strcmp(argv[1], "modem-worker") == 0)
		return modem_worker_main(argc - 1, argv + 1);
	/* A write to a worker that just died must not end the test. */
	signal(SIGPIPE, SIG_IGN);
	if (realpath(argv[0], self) == NULL) {
		perror(argv[0]);
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
