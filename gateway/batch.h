/*
 * batch.h: one store transaction per loop turn (Redis's
 * handleClientsWithPendingWrites, OpenSMTPD's accept-on-commit). Whatever
 * the loop's callbacks write during one turn (webhook messages, queue
 * updates, delivery reports) goes into one BEGIN IMMEDIATE ... COMMIT, which
 * a uv_check_t runs after the turn's I/O; only then are the callbacks
 * deferred with batch_defer told that their writes are durable (and the
 * webhooks answered). One fsync covers every request of the turn.
 */
#ifndef BARAZA_BATCH_H
#define BARAZA_BATCH_H

#include <uv.h>

#include "store.h"

/* Called after the commit: ok is 1 when the writes are durable, 0 when the
 * transaction failed and was rolled back (answer 503, retry later). */
typedef void (*batch_cb)(void *arg, int ok);

struct batch_item;

struct batch {
	struct store *store;            /* borrowed */
	uv_check_t check;               /* commits after the turn's I/O */
	struct batch_item *head, *tail; /* deferred callbacks, in order */
	int open;                       /* a transaction is open */
	unsigned long long commits;     /* transactions committed */
	unsigned long long failures;    /* transactions rolled back */
	unsigned long long items;       /* callbacks run after commits */
};

/* Prepares b on loop. Start it after the HTTP server so that the commit
 * runs before the server flushes its answers in the same turn. */
void batch_init(struct batch *, uv_loop_t *, struct store *);

/*
 * Opens the turn's transaction if it is not open yet. Returns 0, or a
 * negative value when the store cannot begin one (busy, disk): the caller
 * then answers 503 itself.
 */
int batch_begin(struct batch *);

/* Calls cb(arg, ok) after the turn's transaction ends; batch_begin first. */
void batch_defer(struct batch *, batch_cb, void *);

/* Commits now (used at shutdown and by tests); runs the callbacks. */
void batch_flush(struct batch *);

/* Flushes and closes the check handle. */
void batch_close(struct batch *);

#endif
