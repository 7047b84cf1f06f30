/*
 * store_checkpoint.h: WAL checkpoints off the loop thread. SQLite's
 * automatic checkpoint runs inside the COMMIT that crosses the threshold,
 * so one request in a few thousand waits for the WAL to be copied into the
 * database and fsynced. The gateway turns the automatic checkpoint off on
 * its connection (store_autocheckpoint()) and runs a PASSIVE checkpoint
 * every second from libuv's thread pool, on a connection of its own;
 * writers go on meanwhile (WAL).
 */
#ifndef BARAZA_STORE_CHECKPOINT_H
#define BARAZA_STORE_CHECKPOINT_H

#include <stdint.h>

#include <uv.h>

#define STORE_CHECKPOINT_EVERY_MS 1000
/*
 * A WAL past this many pages (1 MiB) gets its checkpoint at once rather
 * than at the next tick: the WAL file keeps its largest size, so a burst
 * of small transactions would otherwise grow it by all the pages written
 * in a second (on a nearly full disk, more than the space there is).
 */
#define STORE_CHECKPOINT_KICK_FRAMES 256

/*
 * The thread pool's checkpoints never catch up while writes go on (each
 * copies the frames that were there when it began), so under a sustained
 * load the WAL is never started over and grows without end. A WAL past
 * this many pages (8 MiB) gets its last frames copied by the loop itself,
 * right after a commit, once the thread pool's checkpoint is done: only
 * the frames written since, and two fsyncs; the next transaction starts
 * the WAL over.
 */
#define STORE_CHECKPOINT_RESET_FRAMES 2048

struct checkpointer {
	uv_loop_t *loop;
	uv_timer_t timer;  /* starts a checkpoint every second */
	uv_work_t work;    /* the checkpoint in the thread pool */
	char *path;        /* the database file, owned */
	void *db;          /* the thread's own connection */
	int busy;          /* work is queued or running */
	int ready;         /* the thread's connection has read the database */
	int stopping;      /* no new work; close when idle */
	int rc;            /* the last checkpoint's SQLite code */
	int frames;        /* WAL frames after the last one */
	uint64_t runs;     /* checkpoints done */
	uint64_t failures; /* checkpoints that failed */
};

/*
 * Starts checkpointing the database at path on loop. The caller has turned
 * the automatic checkpoint off on its own connection. Returns 0, or -1.
 */
int
store_checkpoint_start(struct checkpointer *, uv_loop_t *, const char *path);

/*
 * After a commit whose WAL holds frames pages (a store_wal_hook callback):
 * past STORE_CHECKPOINT_RESET_FRAMES, returns 1 (the loop's connection
 * checkpoints now) once no checkpoint runs in the thread pool, starting
 * none meanwhile; else starts one in the thread pool if the WAL is past
 * STORE_CHECKPOINT_KICK_FRAMES, and returns 0.
 */
int store_checkpoint_kick(void *checkpointer, int frames);

/* Stops: waits for a running checkpoint, then closes its connection and
 * handle (the loop must run for the close to finish). */
void store_checkpoint_stop(struct checkpointer *);

#endif
