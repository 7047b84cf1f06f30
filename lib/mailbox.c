/*
 * mailbox.c: batched calls between loops on different threads
 * (mailbox.h). A call is a small node in a singly linked list: the
 * outbox's list is its own thread's; the mailbox's list is shared and
 * kept under its mutex, touched once per batch on each side.
 */
#include "lib/mailbox.h"

#include <stdlib.h>

#include "lib/util.h"

struct mailbox_call {
	mailbox_fn fn;
	void *arg;
	struct mailbox_call *next;
};

static void
on_async(uv_async_t *a)
{
	struct mailbox *mb = container_of(a, struct mailbox, async);
	struct mailbox_call *c, *next;

	uv_mutex_lock(&mb->mu);
	c = mb->head;
	mb->head = NULL;
	mb->tail = &mb->head;
	uv_mutex_unlock(&mb->mu);
	for (; c != NULL; c = next) {
		next = c->next;
		c->fn(c->arg);
		free(c);
	}
}

int
mailbox_init(struct mailbox *mb, uv_loop_t *loop)
{
	mb->head = NULL;
	mb->tail = &mb->head;
	mb->closed = NULL;
	if (uv_mutex_init(&mb->mu) != 0)
		return -1;
	if (uv_async_init(loop, &mb->async, on_async) != 0) {
		uv_mutex_destroy(&mb->mu);
		return -1;
	}
	return 0;
}

static void
on_mailbox_closed(uv_handle_t *h)
{
	struct mailbox *mb = container_of(h, struct mailbox, async);
	struct mailbox_call *c, *next;

	for (c = mb->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	mb->head = NULL;
	uv_mutex_destroy(&mb->mu);
	if (mb->closed != NULL)
		mb->closed(mb);
}

void
mailbox_close(struct mailbox *mb, void (*closed)(struct mailbox *))
{
	mb->closed = closed;
	uv_close((uv_handle_t *)&mb->async, on_mailbox_closed);
}

void
outbox_flush(struct outbox *ob)
{
	struct mailbox *mb = ob->to;

	if (ob->head == NULL)
		return;
	uv_mutex_lock(&mb->mu);
	*mb->tail = ob->head;
	mb->tail = ob->tail;
	uv_mutex_unlock(&mb->mu);
	ob->head = NULL;
	ob->tail = &ob->head;
	uv_async_send(&mb->async);
}

static void
on_prepare(uv_prepare_t *p)
{
	struct outbox *ob = container_of(p, struct outbox, prep);

	outbox_flush(ob);
	ob->active = 0;
	uv_prepare_stop(p);
}

int
outbox_init(struct outbox *ob, uv_loop_t *loop, struct mailbox *to)
{
	ob->to = to;
	ob->head = NULL;
	ob->tail = &ob->head;
	ob->active = 0;
	ob->closed = NULL;
	return uv_prepare_init(loop, &ob->prep) == 0 ? 0 : -1;
}

void
outbox_post(struct outbox *ob, mailbox_fn fn, void *arg)
{
	struct mailbox_call *c = xmalloc(sizeof(*c));

	c->fn = fn;
	c->arg = arg;
	c->next = NULL;
	*ob->tail = c;
	ob->tail = &c->next;
	if (!ob->active) {
		ob->active = 1;
		uv_prepare_start(&ob->prep, on_prepare);
	}
}

static void
on_outbox_closed(uv_handle_t *h)
{
	struct outbox *ob = container_of(h, struct outbox, prep);

	if (ob->closed != NULL)
		ob->closed(ob);
}

void
outbox_close(struct outbox *ob, void (*closed)(struct outbox *))
{
	outbox_flush(ob);
	ob->closed = closed;
	uv_close((uv_handle_t *)&ob->prep, on_outbox_closed);
}
