/*
 * store_checkpoint.c: WAL checkpoints in libuv's thread pool, on a
 * connection of their own (see store_checkpoint.h).
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "gateway/store_checkpoint.h"
#include "lib/log.h"
#include "lib/util.h"

/* In the thread pool: the thread's own connection, never the loop's. */
static void
on_work(uv_work_t *w)
{
	struct checkpointer *c = container_of(w, struct checkpointer, work);
	sqlite3 *db = c->db;
	int log = 0, done = 0;

	if (db == NULL) {
		if (sqlite3_open_v2(c->path, &db, SQLITE_OPEN_READWRITE,
			NULL) != SQLITE_OK) {
			c->rc = sqlite3_errcode(db);
			sqlite3_close(db);
			return;
		}
		sqlite3_busy_timeout(db, 100);
		c->db = db;
	}
	/*
	 * A connection that has read nothing does not know the database is
	 * in WAL mode, and its checkpoint is a no-op that reports success:
	 * read once first.
	 */
	if (!c->ready) {
		c->rc = sqlite3_exec(
		    db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
		if (c->rc != SQLITE_OK)
			return;
		c->ready = 1;
	}
	c->rc = sqlite3_wal_checkpoint_v2(
	    db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
	c->frames = log - done;
}

static void
on_after_work(uv_work_t *w, int status)
{
	struct checkpointer *c = container_of(w, struct checkpointer, work);

	c->busy = 0;
	if (status == 0 && c->rc == SQLITE_OK)
		c->runs++;
	else if (status == 0 && c->rc != SQLITE_BUSY) {
		c->failures++;
		log_warn("store", "checkpoint failed rc=%d", c->rc);
	}
	if (c->stopping)
		store_checkpoint_stop(c);
}

static void
run(struct checkpointer *c)
{
	if (c->busy || c->stopping || c->path == NULL)
		return;
	c->busy = 1;
	if (uv_queue_work(c->loop, &c->work, on_work, on_after_work) != 0)
		c->busy = 0;
}

static void
on_timer(uv_timer_t *t)
{
	run(container_of(t, struct checkpointer, timer));
}

int
store_checkpoint_kick(void *arg, int frames)
{
	struct checkpointer *c = arg;

	if (frames >= STORE_CHECKPOINT_RESET_FRAMES) {
		/* Two checkpoints at once: the second would get SQLITE_BUSY. */
		if (c->busy)
			return 0;
		return 1;
	}
	if (frames >= STORE_CHECKPOINT_KICK_FRAMES)
		run(c);
	return 0;
}

int
store_checkpoint_start(
    struct checkpointer *c, uv_loop_t *loop, const char *path)
{
	sqlite3 *db = NULL;

	memset(c, 0, sizeof(*c));
	c->loop = loop;
	c->path = xstrdup(path);
	/*
	 * The connection opens now, before the HTTP server counts the
	 * descriptors it may take; on failure the first checkpoint retries.
	 */
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) ==
	    SQLITE_OK) {
		sqlite3_busy_timeout(db, 100);
		c->db = db;
	} else
		sqlite3_close(db);
	uv_timer_init(loop, &c->timer);
	/* The timer alone must not keep the loop alive. */
	uv_unref((uv_handle_t *)&c->timer);
	uv_timer_start(&c->timer, on_timer, STORE_CHECKPOINT_EVERY_MS,
	    STORE_CHECKPOINT_EVERY_MS);
	return 0;
}

static void
on_closed(uv_handle_t *h)
{
	struct checkpointer *c =
	    container_of((uv_timer_t *)h, struct checkpointer, timer);

	sqlite3_close(c->db);
	c->db = NULL;
	free(c->path);
	c->path = NULL;
}

void
store_checkpoint_stop(struct checkpointer *c)
{
	c->stopping = 1;
	if (c->busy || c->path == NULL ||
	    uv_is_closing((uv_handle_t *)&c->timer))
		return; /* on_after_work calls again */
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->timer, on_closed);
}
