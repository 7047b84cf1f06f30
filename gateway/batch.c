/*
 * batch.c: one store transaction per loop turn.
 */
#include <stdlib.h>

#include "batch.h"
#include "log.h"
#include "util.h"

struct batch_item {
	batch_cb cb;
	void *arg;
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
	b->head = b->tail = NULL;
	b->open = 0;
	b->commits = b->failures = b->items = 0;
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

void
batch_defer(struct batch *b, batch_cb cb, void *arg)
{
	struct batch_item *it = xmalloc(sizeof(*it));

	it->cb = cb;
	it->arg = arg;
	it->next = NULL;
	if (b->tail != NULL)
		b->tail->next = it;
	else
		b->head = it;
	b->tail = it;
}

void
batch_flush(struct batch *b)
{
	struct batch_item *it, *next;
	int ok = 1;

	/* Callbacks may open the next batch: run them from a detached list. */
	while (b->open || b->head != NULL) {
		if (b->open) {
			b->open = 0;
			if (store_commit(b->store) != 0) {
				log_error("batch",
				    "commit failed, the turn is rolled back "
				    "error=%s",
				    store_errmsg(b->store));
				store_rollback(b->store);
				ok = 0;
				b->failures++;
			} else {
				b->commits++;
			}
		}
		it = b->head;
		b->head = b->tail = NULL;
		for (; it != NULL; it = next) {
			next = it->next;
			b->items++;
			it->cb(it->arg, ok);
			free(it);
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
}
