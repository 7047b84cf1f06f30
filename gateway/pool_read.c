/*
 * pool_read.c: reads of the store in libuv's thread pool, one at a time,
 * on a connection of their own (see pool_read.h).
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/pool_read.h"
#include "gateway/store.h"
#include "lib/util.h"

struct pool_job {
	pool_read_fn read;
	pool_done_fn done;
	void *arg;
};

struct pool_reader {
	uv_loop_t *loop;
	uv_work_t work;            /* the read running, when running */
	char *database, *password; /* the store's, copied */
	char *name;                /* for the log */
	struct store *reader;      /* the pool's connection, or NULL */
	struct pool_job jobs[POOL_READ_MAX_QUEUED]; /* a ring: first, n */
	size_t first, n;
	int running;  /* jobs[first] is in the pool */
	int calling;  /* in a done callback: the reader stays */
	int stopping; /* pool_reader_stop was called */
};

struct pool_reader *
pool_reader_new(uv_loop_t *loop, const char *database, const char *password,
    const char *name)
{
	struct pool_reader *r = xcalloc(1, sizeof(*r));

	r->loop = loop;
	r->database = xstrdup(database != NULL ? database : "");
	r->password = password != NULL ? xstrdup(password) : NULL;
	r->name = xstrdup(name != NULL ? name : "store");
	return r;
}

static void
reader_free(struct pool_reader *r)
{
	store_close(r->reader);
	free(r->database);
	free(r->password);
	free(r->name);
	free(r);
}

/* In the pool: the first job's read, on the reader's connection. */
static void
on_work(uv_work_t *w)
{
	struct pool_reader *r = container_of(w, struct pool_reader, work);
	struct pool_job *j = &r->jobs[r->first];

	if (store_open_reader(&r->reader, r->database, r->password, r->name) !=
	    0)
		j->read(NULL, j->arg);
	else
		j->read(r->reader, j->arg);
}

static void start(struct pool_reader *r);

/*
 * Takes the first job off the queue and calls its done callback (after
 * its read; read 1: it reads first with no connection, the pool having
 * refused it).
 */
static void
finish_first(struct pool_reader *r, int read)
{
	struct pool_job j = r->jobs[r->first];

	r->first = (r->first + 1) % POOL_READ_MAX_QUEUED;
	r->n--;
	if (read)
		j.read(NULL, j.arg);
	r->calling++;
	j.done(j.arg);
	r->calling--;
}

static void
on_done(uv_work_t *w, int status)
{
	struct pool_reader *r = container_of(w, struct pool_reader, work);

	(void)status; /* never cancelled: the reader does not cancel */
	r->running = 0;
	finish_first(r, 0);
	start(r);
}

/* Starts the first job queued, if none runs; frees a stopped reader. */
static void
start(struct pool_reader *r)
{
	while (!r->running && r->n > 0) {
		if (uv_queue_work(r->loop, &r->work, on_work, on_done) == 0) {
			r->running = 1;
			return;
		}
		/* The pool refused it: the read runs with no connection. */
		finish_first(r, 1);
	}
	if (!r->running && r->n == 0 && r->stopping && r->calling == 0)
		reader_free(r);
}

int
pool_reader_submit(
    struct pool_reader *r, pool_read_fn read, pool_done_fn done, void *arg)
{
	struct pool_job *j;

	if (r == NULL || r->stopping || r->n == POOL_READ_MAX_QUEUED)
		return -1;
	j = &r->jobs[(r->first + r->n) % POOL_READ_MAX_QUEUED];
	j->read = read;
	j->done = done;
	j->arg = arg;
	r->n++;
	if (!r->running &&
	    uv_queue_work(r->loop, &r->work, on_work, on_done) != 0) {
		r->n--;
		return -1;
	}
	r->running = 1;
	return 0;
}

void
pool_reader_stop(struct pool_reader *r)
{
	if (r == NULL)
		return;
	r->stopping = 1;
	if (!r->running && r->n == 0 && r->calling == 0)
		reader_free(r);
}
