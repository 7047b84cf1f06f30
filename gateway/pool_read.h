/*
 * pool_read.h: reads of the store in libuv's thread pool, one at a time
 * and in the order they were asked, on a connection of their own
 * (store_open_reader, opened by the first read), so that a read that
 * counts many rows does not hold the loop: webhooks, the dispatcher and
 * /healthz go on meanwhile. /metrics reads this way (metrics.c, a reader
 * of its own), and so do the console's overview and a broadcast's
 * progress (council/reader.c).
 *
 * A read sees what is committed when it starts (its own transaction on
 * its own connection), not the loop's open transaction.
 */
#ifndef BARAZA_POOL_READ_H
#define BARAZA_POOL_READ_H

#include <uv.h>

#define POOL_READ_MAX_QUEUED 64 /* reads waiting or running, at most */

struct store;

/* In the pool: the read, on the reader (NULL: it cannot be opened). */
typedef void (*pool_read_fn)(struct store *reader, void *arg);
/* On the loop, after the read: its answer. */
typedef void (*pool_done_fn)(void *arg);

struct pool_reader;

/*
 * A reader of database (its password, or NULL) on loop; name goes into
 * its log lines. Never NULL.
 */
struct pool_reader *pool_reader_new(uv_loop_t *loop, const char *database,
    const char *password, const char *name);

/*
 * Queues read and then done, with arg. Returns 0, or -1 when
 * POOL_READ_MAX_QUEUED reads are queued already, the pool refuses the
 * work or the reader stops (nothing is called then: the caller answers,
 * as a 503).
 */
int pool_reader_submit(
    struct pool_reader *, pool_read_fn read, pool_done_fn done, void *arg);

/*
 * Stops: the reads queued still run and their done callbacks are called
 * (the loop must run); then the connection closes and the reader is
 * freed. Nothing more can be queued.
 */
void pool_reader_stop(struct pool_reader *);

#endif
