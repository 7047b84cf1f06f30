/*
 * test_overview.c: GET /api/v1/overview's document (council/api_overview.c)
 * read on the caller's thread and in the thread pool: the same figures
 * both ways, callers that come during a read told with it, at most
 * API_OVERVIEW_MAX_WAITING of them, a store the pool cannot open, and a
 * stop in the middle of a read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>
#include <uv.h>

#include "council/api_common.h"
#include "council/reader.h"
#include "gateway/batch.h"
#include "gateway/config.h"
#include "gateway/gateway.h"
#include "gateway/store.h"
#include "lib/util.h"
#include "tests/unit/sidedb.h"

static const struct gateway_service services[] = {
    {"reader", council_reader_start, council_reader_stop},
    {"overview", api_overview_start, api_overview_stop},
};

static const struct gateway_ext ext = {NULL, 0, services, 2};

/*
 * Noon today, local time: the clock is frozen there, so that the
 * fixture's messages and every read fall on one local day, whenever the
 * test runs (a read just after midnight would count another day).
 */
static int64_t
noon_today(void)
{
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	tm.tm_hour = 12;
	tm.tm_min = 0;
	tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm) * 1000;
}

struct fixture {
	struct gateway gw;
	uv_loop_t loop;
	struct sidedb side;
	struct config_errors *errs;
};

static int
setup(void **state)
{
	static const char conf[] = "[gateway]\ncurrency = KES\n"
				   "[channel web]\ntype = http\n"
				   "api_url = http://127.0.0.1:9/send\n"
				   "signing_key = k\n"
				   "cost_per_segment = 0.50\n";
	struct fixture *f = xcalloc(1, sizeof(*f));
	int64_t now;
	char *sql;

	clock_freeze(noon_today());
	now = now_ms();

	assert_int_equal(uv_loop_init(&f->loop), 0);
	assert_int_equal(config_parse_buffer(conf, sizeof(conf) - 1, "t.conf",
			     "/tmp", &f->gw.cfg, &f->errs),
	    0);
	sidedb_open(&f->side, 0, &f->gw.store);
	free(f->gw.cfg->database);
	f->gw.cfg->database = xstrdup(f->side.path);
	/* Today: two in, three out (one queued, one failed); a report. */
	sql = xasprintf(
	    "INSERT INTO contacts (id, phone, created, updated) VALUES"
	    " (7, '+254700000007', 0, 0);"
	    "INSERT INTO messages (direction, channel, contact_id, phone,"
	    " text, state, created, updated) VALUES"
	    " ('in', 'web', 7, '+254700000007', 'a', 'handled', %lld, %lld),"
	    " ('in', 'web', 7, '+254700000007', 'b', 'handled', %lld, %lld),"
	    " ('out', 'web', 7, '+254700000007', 'c', 'sent', %lld, %lld),"
	    " ('out', 'web', 7, '+254700000007', 'd', 'failed', %lld,"
	    " %lld + 1000),"
	    " ('out', 'web', 7, '+254700000007', 'e', 'queued', %lld, %lld);",
	    (long long)now, (long long)now, (long long)now, (long long)now,
	    (long long)now, (long long)now, (long long)now, (long long)now,
	    (long long)now, (long long)now);
	sidedb_exec(&f->side, sql);
	free(sql);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	sidedb_close(&f->side, f->gw.store);
	config_free(f->gw.cfg);
	config_errors_free(f->errs);
	free(f);
	return 0;
}

/* Starts the overview's service on f's loop. */
static void
start(struct fixture *f)
{
	f->gw.loop = &f->loop;
	f->gw.ext = &ext;
	f->gw.services = xcalloc(2, sizeof(*f->gw.services));
	council_reader_start(&f->gw, &f->gw.services[0]);
	api_overview_start(&f->gw, &f->gw.services[1]);
}

static void
stop(struct fixture *f)
{
	api_overview_stop(&f->gw, &f->gw.services[1]);
	council_reader_stop(&f->gw, &f->gw.services[0]);
	free(f->gw.services);
	f->gw.services = NULL;
	f->gw.ext = NULL;
}

/* What one caller was told. */
struct told {
	int calls;
	json_t *o; /* the last overview, or NULL */
};

static void
on_told(void *arg, json_t *o)
{
	struct told *t = arg;

	t->calls++;
	json_decref(t->o);
	t->o = o;
}

/* The figures the fixture's messages give. */
static void
assert_figures(json_t *o)
{
	json_t *web;

	assert_non_null(o);
	assert_int_equal(json_integer_value(json_object_get(
			     json_object_get(o, "today"), "in")),
	    2);
	assert_int_equal(json_integer_value(json_object_get(
			     json_object_get(o, "today"), "out")),
	    3);
	assert_int_equal(json_integer_value(json_object_get(
			     json_object_get(o, "today"), "failed")),
	    1);
	assert_int_equal(json_array_size(json_object_get(o, "days")), 7);
	assert_int_equal(
	    json_integer_value(json_object_get(o, "queue_depth")), 1);
	assert_true(
	    json_number_value(json_object_get(o, "delivery_rate")) == 0.5);
	assert_string_equal(
	    json_string_value(json_object_get(o, "currency")), "KES");
	web = json_array_get(json_object_get(o, "channels"), 0);
	assert_string_equal(
	    json_string_value(json_object_get(web, "name")), "web");
	assert_string_equal(
	    json_string_value(json_object_get(web, "type")), "http");
	assert_int_equal(json_integer_value(json_object_get(web, "queued")), 1);
	/* Its newest outcome is the failure. */
	assert_true(json_is_false(json_object_get(web, "up")));
	assert_non_null(json_object_get(web, "daily_budget"));
	assert_non_null(
	    json_object_get(json_object_get(o, "reports"), "by_age"));
}

/* Without the service (tests, fuzz_api): read and told at once. */
static void
test_read_here(void **state)
{
	struct fixture *f = *state;
	struct told t = {0, NULL};

	assert_int_equal(api_overview_read(&f->gw, on_told, &t), 0);
	assert_int_equal(t.calls, 1);
	assert_figures(t.o);
	json_decref(t.o);
}

/*
 * With the service and a loop: nobody is told before the pool's read is
 * in; every caller that came meanwhile (at most API_OVERVIEW_MAX_WAITING,
 * the next is refused) is told the same figures as a read on the loop's
 * own connection; a later read sees what was written since.
 */
static void
test_read_in_the_pool(void **state)
{
	struct fixture *f = *state;
	struct told t[API_OVERVIEW_MAX_WAITING + 1];
	char *here, *there;
	size_t i;

	start(f);
	memset(t, 0, sizeof(t));
	for (i = 0; i < API_OVERVIEW_MAX_WAITING; i++)
		assert_int_equal(api_overview_read(&f->gw, on_told, &t[i]), 0);
	assert_int_equal(api_overview_read(&f->gw, on_told, &t[i]), -1);
	for (i = 0; i <= API_OVERVIEW_MAX_WAITING; i++)
		assert_int_equal(t[i].calls, 0);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
	for (i = 0; i < API_OVERVIEW_MAX_WAITING; i++) {
		assert_int_equal(t[i].calls, 1);
		assert_figures(t[i].o);
	}
	assert_int_equal(t[API_OVERVIEW_MAX_WAITING].calls, 0);

	/* The same document as one read on the loop's own connection. */
	json_object_del(t[0].o, "generated");
	there = json_dumps(t[0].o, JSON_SORT_KEYS);
	stop(f);
	assert_int_equal(api_overview_read(&f->gw, on_told, &t[1]), 0);
	json_object_del(t[1].o, "generated");
	here = json_dumps(t[1].o, JSON_SORT_KEYS);
	assert_string_equal(here, there);
	free(here);
	free(there);

	/* A second read sees what was written since. */
	start(f);
	sidedb_exec(&f->side,
	    "INSERT INTO messages (direction, channel, phone, state, created,"
	    " updated) SELECT 'out', 'web', '+254700000009', 'queued', created,"
	    " created FROM messages LIMIT 1");
	assert_int_equal(api_overview_read(&f->gw, on_told, &t[2]), 0);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(t[2].calls, 2);
	assert_int_equal(
	    json_integer_value(json_object_get(t[2].o, "queue_depth")), 2);
	stop(f);
	for (i = 0; i <= API_OVERVIEW_MAX_WAITING; i++)
		json_decref(t[i].o);
}

/* A store the pool cannot open: told NULL (the API's 500), and again. */
static void
test_read_fails(void **state)
{
	struct fixture *f = *state;
	struct told t = {0, NULL};

	free(f->gw.cfg->database);
	f->gw.cfg->database = xstrdup("/nonexistent/baraza/baraza.db");
	start(f);
	assert_int_equal(api_overview_read(&f->gw, on_told, &t), 0);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(t.calls, 1);
	assert_null(t.o);
	assert_int_equal(api_overview_read(&f->gw, on_told, &t), 0);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(t.calls, 2);
	assert_null(t.o);
	stop(f);
}

/* Stopped during a read: its callers are still told, then it is freed. */
static void
test_stop_during_a_read(void **state)
{
	struct fixture *f = *state;
	struct told t = {0, NULL};

	start(f);
	assert_int_equal(api_overview_read(&f->gw, on_told, &t), 0);
	stop(f);
	assert_int_equal(t.calls, 0);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(t.calls, 1);
	assert_figures(t.o);
	json_decref(t.o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_read_here, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_read_in_the_pool, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read_fails, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_stop_during_a_read, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
