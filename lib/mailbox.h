/*
 * mailbox.h: calls from one loop's thread into another loop's thread, in
 * batches.
 *
 * A mailbox belongs to the loop that runs its calls (the receiver). A
 * loop on another thread posts calls to it through an outbox of its own:
 * the calls posted during one turn of the sender's loop are kept there,
 * with no lock, and cross together before that loop next waits for I/O
 * (a uv_prepare_t), under one lock and with one uv_async_send. The
 * receiver runs them in the order each outbox posted them. No lock is
 * taken per call.
 *
 * mailbox_* functions run on the receiver's thread, outbox_* on the
 * sender's, except where said. What a call's arg points to belongs to the
 * receiver from the post on: the sender MUST NOT touch it afterwards.
 */
#ifndef BARAZA_MAILBOX_H
#define BARAZA_MAILBOX_H

#include <uv.h>

typedef void (*mailbox_fn)(void *arg);

struct mailbox_call;

struct mailbox {
	uv_async_t async;
	uv_mutex_t mu;
	struct mailbox_call *head, **tail; /* under mu */
	void (*closed)(struct mailbox *);
};

struct outbox {
	struct mailbox *to;
	uv_prepare_t prep;
	struct mailbox_call *head, **tail;
	int active;
	void (*closed)(struct outbox *);
};

/*
 * Makes mb a mailbox of loop (the receiver's, from its own thread or
 * before that thread runs). Returns 0, or -1 when libuv cannot.
 */
int mailbox_init(struct mailbox *mb, uv_loop_t *loop);

/*
 * Closes mb; closed(mb), if not NULL, runs on its loop once it is closed,
 * after which mb may be freed. Calls still in it are dropped unrun: the
 * senders MUST have stopped posting (their own protocol says when).
 */
void mailbox_close(struct mailbox *mb, void (*closed)(struct mailbox *));

/*
 * Makes ob an outbox of loop (the sender's, from its own thread or before
 * that thread runs) posting into to. Returns 0, or -1.
 */
int outbox_init(struct outbox *ob, uv_loop_t *loop, struct mailbox *to);

/* Posts fn(arg), to run on the mailbox's loop after this turn. */
void outbox_post(struct outbox *ob, mailbox_fn fn, void *arg);

/* Hands over at once what this turn posted (before a close, say). */
void outbox_flush(struct outbox *ob);

/*
 * Hands over what is posted, then closes ob; closed(ob), if not NULL,
 * runs on its loop once it is closed.
 */
void outbox_close(struct outbox *ob, void (*closed)(struct outbox *));

#endif
