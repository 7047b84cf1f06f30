/*
 * batch.c: one store transaction per loop turn.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/batch.h"
#include "lib/log.h"
#include "lib/util.h"

/* A deferred callback, or (cb NULL) a watermark that becomes durable. */
struct batch_item {
	batch_cb cb;
	void *arg;
	int64_t wm;
	struct batch_item *next;
};

static void
on_check(uv_check_t *h)
{
	batch_flush(container_of(h, struct batch, check));
}

void
batch_init(struct batch *b, uv_loop_t *loop, struct store *st)
{
	b->store = st;
	b->loop = loop;
	b->head = b->tail = NULL;
	b->open = 0;
	b->wal_path = NULL;
	b->wal_fd = -1;
	b->syncing = 0;
	b->closing = 0;
	b->sync_head = b->wait_head = b->wait_tail = NULL;
	b->syncs = 0;
	b->commits = b->failures = b->items = b->doubtful = 0;
	b->mark = NULL;
	b->durable_fn = NULL;
	b->mark_arg = NULL;
	b->marked = b->durable = 0;
	uv_check_init(loop, &b->check);
	uv_check_start(&b->check, on_check);
	/* An idle turn must not keep the loop alive. */
	uv_unref((uv_handle_t *)&b->check);
}

int
batch_begin(struct batch *b)
{
	if (b->open)
		return 0;
	if (store_begin(b->store) != 0) {
		log_error("batch", "cannot begin a transaction error=%s",
		    store_errmsg(b->store));
		return -1;
	}
	b->open = 1;
	return 0;
}

/* Appends an item to the turn's list: a callback, or (cb NULL) wm. */
static void
append(struct batch *b, batch_cb cb, void *arg, int64_t wm)
{
	struct batch_item *it = xmalloc(sizeof(*it));

	it->cb = cb;
	it->arg = arg;
	it->wm = wm;
	it->next = NULL;
	if (b->tail != NULL)
		b->tail->next = it;
	else
		b->head = it;
	b->tail = it;
}

void
batch_defer(struct batch *b, batch_cb cb, void *arg)
{
	append(b, cb, arg, 0);
}

void
batch_sync_wal(struct batch *b, const char *wal_path)
{
	free(b->wal_path);
	b->wal_path = xstrdup(wal_path);
}

void
batch_watermark(struct batch *b, int64_t (*mark)(void *),
    void (*durable)(void *, int64_t), void *arg)
{
	b->mark = mark;
	b->durable_fn = durable;
	b->mark_arg = arg;
	b->marked = b->durable = 0;
	(void)batch_durable(b);
}

int64_t
batch_durable(struct batch *b)
{
	int64_t v;

	if (b->mark != NULL && !b->open && b->head == NULL && !b->syncing &&
	    b->wait_head == NULL && !store_in_transaction(b->store) &&
	    (v = b->mark(b->mark_arg)) > b->durable)
		b->durable = b->marked = v;
	return b->durable;
}

/* Runs a list of callbacks with ok and frees it. */
static void
run_items(struct batch *b, struct batch_item *it, int ok)
{
	struct batch_item *next;

	for (; it != NULL; it = next) {
		next = it->next;
		if (it->cb == NULL) {
			/* A watermark: on disk with its commit. */
			if (ok && it->wm > b->durable) {
				b->durable = it->wm;
				if (b->durable_fn != NULL)
					b->durable_fn(b->mark_arg, it->wm);
			}
		} else {
			b->items++;
			it->cb(it->arg, ok);
		}
		free(it);
	}
}

/* Before a commit: the watermark it carries, if it moved. */
static void
mark_commit(struct batch *b)
{
	int64_t v;

	if (b->mark == NULL || (v = b->mark(b->mark_arg)) <= b->marked)
		return;
	b->marked = v;
	append(b, NULL, NULL, v);
}

/* In the thread pool: the WAL to disk. */
static void
on_sync_work(uv_work_t *w)
{
	struct batch *b = container_of(w, struct batch, sync_work);

	if (b->wal_fd < 0)
		b->wal_fd = open(b->wal_path, O_RDONLY | O_CLOEXEC);
	if (b->wal_fd < 0)
		b->sync_rc = errno;
	else
		b->sync_rc = fdatasync(b->wal_fd) == 0 ? 0 : errno;
}

static void start_sync(struct batch *);

/* After batch_close, once the last sync is done: the file goes. */
static void
release_wal(struct batch *b)
{
	if (!b->closing || b->syncing || b->wait_head != NULL)
		return;
	if (b->wal_fd >= 0)
		close(b->wal_fd);
	b->wal_fd = -1;
	free(b->wal_path);
	b->wal_path = NULL;
}

static void
on_sync_done(uv_work_t *w, int status)
{
	struct batch *b = container_of(w, struct batch, sync_work);
	struct batch_item *it = b->sync_head;
	int ok = status == 0 && b->sync_rc == 0;

	b->syncing = 0;
	b->sync_head = NULL;
	b->syncs++;
	if (!ok) {
		log_error("batch", "the WAL did not reach the disk error=%s",
		    strerror(status != 0 ? -status : b->sync_rc));
		b->doubtful++;
	}
	/* The next group may start before these callbacks write more. */
	start_sync(b);
	run_items(b, it, ok);
	release_wal(b);
}

/* Starts an fdatasync for every transaction committed until now. */
static void
start_sync(struct batch *b)
{
	if (b->syncing || b->wait_head == NULL)
		return;
	b->sync_head = b->wait_head;
	b->wait_head = b->wait_tail = NULL;
	b->syncing = 1;
	if (uv_queue_work(b->loop, &b->sync_work, on_sync_work, on_sync_done) !=
	    0) {
		/* No thread pool: sync here rather than lose durability. */
		on_sync_work(&b->sync_work);
		on_sync_done(&b->sync_work, 0);
	}
}

void
batch_flush(struct batch *b)
{
	struct batch_item *it;
	int ok = 1, rc;

	/* Callbacks may open the next batch: run them from a detached list. */
	while (b->open || b->head != NULL) {
		if (b->open) {
			mark_commit(b);
			b->open = 0;
			if ((rc = store_commit(b->store)) != 0) {
				log_error("batch",
				    "commit failed, the turn is rolled back%s "
				    "error=%s",
				    rc == STORE_EDOUBT ? " (or landed: the "
							 "connection was lost "
							 "during it)"
						       : "",
				    store_errmsg(b->store));
				store_rollback(b->store);
				b->marked = b->durable;
				ok = 0;
				b->failures++;
				if (rc == STORE_EDOUBT)
					b->doubtful++;
			} else {
				b->commits++;
			}
		}
		it = b->head;
		b->head = b->tail = NULL;
		if (ok && b->wal_path != NULL && it != NULL) {
			/* Durable once the WAL is synced: group commit. */
			struct batch_item *last = it;

			while (last->next != NULL)
				last = last->next;
			if (b->wait_tail != NULL)
				b->wait_tail->next = it;
			else
				b->wait_head = it;
			b->wait_tail = last;
			start_sync(b);
		} else {
			run_items(b, it, ok);
		}
		ok = 1;
	}
}

void
batch_close(struct batch *b)
{
	batch_flush(b);
	uv_check_stop(&b->check);
	uv_close((uv_handle_t *)&b->check, NULL);
	/* A sync still running finishes in the thread pool first. */
	b->closing = 1;
	release_wal(b);
}
