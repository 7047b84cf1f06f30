/*
 * batch.h: one store transaction per loop turn (Redis's
 * handleClientsWithPendingWrites, OpenSMTPD's accept-on-commit). Whatever
 * the loop's callbacks write during one turn (webhook messages, queue
 * updates, delivery reports) goes into one BEGIN IMMEDIATE ... COMMIT, which
 * a uv_check_t runs after the turn's I/O; only then are the callbacks
 * deferred with batch_defer told that their writes are durable (and the
 * webhooks answered). One fsync covers every request of the turn.
 *
 * With batch_sync_wal the fsync leaves the loop thread (group commit): the
 * connection runs with synchronous=NORMAL, so a COMMIT only writes the WAL,
 * and the thread pool fdatasyncs the WAL file before the callbacks of the
 * transactions committed until then are run. Meanwhile the loop goes on
 * with the next turn's requests; commits that come while one fdatasync
 * runs share the next one. SQLite syncs the WAL itself before every
 * checkpoint and its header when the WAL is reused, so a transaction whose
 * callbacks ran is on disk.
 */
#ifndef BARAZA_BATCH_H
#define BARAZA_BATCH_H

#include <uv.h>

#include "gateway/store.h"

/* Called after the commit: ok is 1 when the writes are durable, 0 when the
 * transaction failed and was rolled back (answer 503, retry later). */
typedef void (*batch_cb)(void *arg, int ok);

struct batch_item;

struct batch {
	struct store *store;            /* borrowed */
	uv_loop_t *loop;                /* the loop */
	uv_check_t check;               /* commits after the turn's I/O */
	struct batch_item *head, *tail; /* deferred callbacks, in order */
	int open;                       /* a transaction is open */
	char *wal_path;               /* group commit: the WAL file, or NULL */
	int wal_fd;                   /* open on wal_path, or -1 */
	uv_work_t sync_work;          /* the fdatasync in the thread pool */
	int syncing;                  /* sync_work is queued or running */
	int closing;                  /* batch_close ran */
	int sync_rc;                  /* its result: 0 or an errno */
	struct batch_item *sync_head; /* committed; wait for the running sync */
	struct batch_item *wait_head, *wait_tail; /* committed after it began */
	unsigned long long syncs;                 /* fdatasyncs done */
	unsigned long long commits;               /* transactions committed */
	unsigned long long failures;              /* transactions rolled back */
	/*
	 * Turns whose callbacks were told "failed" though their writes may
	 * have landed: a COMMIT whose answer was lost (PostgreSQL's
	 * connection dropping during it) or a WAL that did not sync. Whoever
	 * holds state beside the store (the dispatcher's claims) reconciles.
	 */
	unsigned long long doubtful;
	unsigned long long items; /* callbacks run after commits */
	/* batch_watermark(): */
	int64_t (*mark)(void *);             /* a value to make durable */
	void (*durable_fn)(void *, int64_t); /* told when it is */
	void *mark_arg;
	int64_t marked;  /* the last value a commit carries */
	int64_t durable; /* the last value on disk */
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

/*
 * Turns on group commit for a store opened with synchronous=NORMAL:
 * wal_path is the database's "-wal" file (copied).
 */
void batch_sync_wal(struct batch *, const char *wal_path);

/*
 * A watermark that becomes durable with the commits: before each commit
 * mark(arg) gives a value (the dispatcher's: the largest message id, its
 * own uncommitted rows included); once that commit is on disk (after its
 * fdatasync with group commit), batch_durable() gives it and
 * durable(arg, value) is called. The value now, with nothing open, is
 * durable already. Values only grow.
 */
void batch_watermark(struct batch *, int64_t (*mark)(void *),
    void (*durable)(void *, int64_t), void *arg);

/*
 * The last durable watermark. When no transaction is open and no commit
 * waits for its sync, everything the store holds is durable: the
 * watermark is taken again from mark() (rows committed by other
 * processes, which sync their own commits).
 */
int64_t batch_durable(struct batch *);

/* Commits now (used at shutdown and by tests); runs the callbacks. */
void batch_flush(struct batch *);

/* Flushes and closes the check handle. */
void batch_close(struct batch *);

#endif
