/*
 * test_pool_read.c: reads of the store in the thread pool
 * (gateway/pool_read.c): one at a time, in the order asked, each on the
 * reader's own connection and then done on the loop; at most
 * POOL_READ_MAX_QUEUED; a store that cannot be opened reads with NULL;
 * stopped with reads queued, every one still runs and is done, then the
 * reader is freed (the sanitizers and valgrind see the rest).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <uv.h>

#include "gateway/pool_read.h"
#include "gateway/store.h"
#include "lib/util.h"
#include "tests/unit/sidedb.h"

#define JOBS (POOL_READ_MAX_QUEUED + 8)

/* An inbound message from phone, created at 1 ms. */
#define MESSAGE(phone)                                                     \
	"INSERT INTO messages (direction, channel, phone, state, created," \
	" updated) VALUES ('in', 'web', '" phone "', 'received', 1, 1)"

struct world {
	uv_loop_t loop;
	struct sidedb side;
	struct store *st; /* the loop's own */
	uv_thread_t loop_thread;
	struct store *seen[JOBS]; /* the connection each read had */
	int read_on_loop[JOBS];   /* a read ran on the loop's thread */
	int order[JOBS];          /* done order: job numbers */
	int ndone;
	int64_t rows[JOBS]; /* what each read counted */
};

struct job {
	struct world *w;
	int i;
};

static struct job jobs[JOBS];

static void
on_read(struct store *st, void *arg)
{
	struct job *j = arg;
	uv_thread_t self = uv_thread_self();
	int64_t out;

	j->w->seen[j->i] = st;
	j->w->read_on_loop[j->i] = uv_thread_equal(&self, &j->w->loop_thread);
	j->w->rows[j->i] = -1;
	/* What was committed when the read began: the messages of [0, 10). */
	if (st != NULL)
		(void)store_console_counts(st, 0, 10, &j->w->rows[j->i], &out);
}

static void
on_done(void *arg)
{
	struct job *j = arg;
	uv_thread_t self = uv_thread_self();

	assert_true(uv_thread_equal(&self, &j->w->loop_thread));
	j->w->order[j->w->ndone++] = j->i;
}

static struct world *
world_new(void)
{
	struct world *w = xcalloc(1, sizeof(*w));

	assert_int_equal(uv_loop_init(&w->loop), 0);
	sidedb_open(&w->side, 1, &w->st);
	w->loop_thread = uv_thread_self();
	sidedb_exec(
	    &w->side, MESSAGE("+254700000001") ";" MESSAGE("+254700000002"));
	return w;
}

static void
world_free(struct world *w)
{
	assert_int_equal(uv_run(&w->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&w->loop), 0);
	sidedb_close(&w->side, w->st);
	free(w);
}

static int
submit(struct world *w, struct pool_reader *r, int i)
{
	jobs[i].w = w;
	jobs[i].i = i;
	return pool_reader_submit(r, on_read, on_done, &jobs[i]);
}

/* In order, off the loop, on one connection (not the loop's), bounded. */
static void
test_in_order(void **state)
{
	struct world *w = world_new();
	struct pool_reader *r =
	    pool_reader_new(&w->loop, w->side.path, NULL, "test");
	int i;

	(void)state;
	for (i = 0; i < POOL_READ_MAX_QUEUED; i++)
		assert_int_equal(submit(w, r, i), 0);
	/* Full: refused, and nothing of it is called. */
	assert_int_equal(submit(w, r, POOL_READ_MAX_QUEUED), -1);
	assert_int_equal(uv_run(&w->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(w->ndone, POOL_READ_MAX_QUEUED);
	for (i = 0; i < POOL_READ_MAX_QUEUED; i++) {
		assert_int_equal(w->order[i], i);
		assert_non_null(w->seen[i]);
		assert_ptr_equal(w->seen[i], w->seen[0]);
		assert_ptr_not_equal(w->seen[i], w->st);
		assert_false(w->read_on_loop[i]);
		assert_int_equal(w->rows[i], 2);
	}
	assert_null(w->seen[POOL_READ_MAX_QUEUED]);
	/* Room again: a read after the others sees a new row. */
	sidedb_exec(&w->side, MESSAGE("+254700000003"));
	assert_int_equal(submit(w, r, POOL_READ_MAX_QUEUED + 1), 0);
	assert_int_equal(uv_run(&w->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(w->rows[POOL_READ_MAX_QUEUED + 1], 3);
	pool_reader_stop(r);
	/* Stopped: nothing more is queued. */
	world_free(w);
}

/* Stopped with reads queued: each runs and is done, then it goes. */
static void
test_stop_with_reads_queued(void **state)
{
	struct world *w = world_new();
	struct pool_reader *r =
	    pool_reader_new(&w->loop, w->side.path, NULL, "test");
	int i;

	(void)state;
	for (i = 0; i < 5; i++)
		assert_int_equal(submit(w, r, i), 0);
	pool_reader_stop(r);
	assert_int_equal(w->ndone, 0);
	assert_int_equal(uv_run(&w->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(w->ndone, 5);
	for (i = 0; i < 5; i++) {
		assert_int_equal(w->order[i], i);
		assert_int_equal(w->rows[i], 2);
	}
	world_free(w);
}

/* A store that cannot be opened: each read is given NULL, done all the same. */
static void
test_cannot_open(void **state)
{
	struct world *w = world_new();
	struct pool_reader *r = pool_reader_new(
	    &w->loop, "/nonexistent/baraza/baraza.db", NULL, "test");
	int i;

	(void)state;
	for (i = 0; i < 3; i++)
		assert_int_equal(submit(w, r, i), 0);
	assert_int_equal(uv_run(&w->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(w->ndone, 3);
	for (i = 0; i < 3; i++) {
		assert_null(w->seen[i]);
		assert_int_equal(w->rows[i], -1);
	}
	pool_reader_stop(r);
	world_free(w);
}

/* A done callback that stops the reader: the reads after it still run. */
static struct pool_reader *stop_me;

static void
on_done_stop(void *arg)
{
	on_done(arg);
	pool_reader_stop(stop_me);
}

static void
test_stop_from_done(void **state)
{
	struct world *w = world_new();
	int i;

	(void)state;
	stop_me = pool_reader_new(&w->loop, w->side.path, NULL, "test");
	jobs[0].w = w;
	jobs[0].i = 0;
	assert_int_equal(
	    pool_reader_submit(stop_me, on_read, on_done_stop, &jobs[0]), 0);
	for (i = 1; i < 3; i++)
		assert_int_equal(submit(w, stop_me, i), 0);
	assert_int_equal(uv_run(&w->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(w->ndone, 3);
	world_free(w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_in_order),
	    cmocka_unit_test(test_stop_with_reads_queued),
	    cmocka_unit_test(test_cannot_open),
	    cmocka_unit_test(test_stop_from_done),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
