/*
 * privacy.h: what the gateway keeps about a person and how it lets go of
 * it. `baraza contact NUM` shows a contact's data; `--forget` erases it;
 * the retention purge blanks message texts older than retention_days once
 * a day while serve runs.
 *
 * Forgetting keeps the contact's row, its phone number and its opt-out
 * (a STOP must still be honoured); it deletes its messages (to and from
 * it, queued ones too), the sessions, the subscriptions, the saved fields
 * and language, and the link from its reports (the reports stay, without
 * a reporter). A message being sent at that moment stays until the next
 * purge.
 */
#ifndef BARAZA_PRIVACY_H
#define BARAZA_PRIVACY_H

#include <stdint.h>

#include <uv.h>

#include "gateway/config.h"
#include "gateway/store.h"

struct gateway;

#define PRIVACY_FIRST_RUN_MS (60 * 1000)     /* after serve starts */
#define PRIVACY_PERIOD_MS (24 * 3600 * 1000) /* then every day */
#define PRIVACY_MAX_DAYS 36500               /* retention_days bound */
#define PRIVACY_CHUNK 10000 /* message ids a loop turn's purge looks at */

/*
 * Erases the data of contact id (see above, store_contact_forget()) in one
 * transaction of its own (the caller MUST NOT have one open), filling
 * *out. Returns 0, STORE_NOTFOUND for an unknown contact, or STORE_ERR
 * (nothing changed).
 */
int privacy_forget(struct store *, int64_t contact_id, int64_t now,
    struct store_forgotten *out);

/*
 * A retention purge: it blanks (sets NULL) the text of every message
 * created before `before`, except queued and sending ones, walking the
 * messages by id from `next` to `end` (the first id created at or after
 * `before`: ids grow with time), PRIVACY_CHUNK ids a step, so that no
 * step holds the loop long however many messages the store keeps.
 */
struct privacy_walk {
	int64_t before; /* ms: texts older than this go */
	int64_t next;   /* the next id to look at */
	int64_t end;    /* where the walk ends */
	int64_t count;  /* texts blanked so far */
	int64_t left;   /* the smallest id walked whose text stayed (queued
			   or sending, or newer: a clock set back), 0 none */
};

/*
 * Starts a walk from id `from` for texts older than now minus days days
 * (days <= 0: nothing to walk). Returns 0 or STORE_ERR.
 */
int privacy_walk_start(
    struct store *, int days, int64_t now, int64_t from, struct privacy_walk *);

/*
 * Blanks the texts of the walk's next chunk, in the caller's transaction
 * when one is open. Returns 1 when more remain, 0 when the walk is done,
 * or STORE_ERR. Where the next day's walk may start: w->left when set,
 * else w->end.
 */
int privacy_walk_step(struct store *, struct privacy_walk *);

/*
 * The whole walk from the first message at once (`baraza` tests): returns
 * how many texts it blanked, or STORE_ERR.
 */
int64_t privacy_purge(struct store *, int days, int64_t now);

/*
 * Deletes the channel log's rows older than now minus days days (see
 * store_chanlog_purge()), PRIVACY_CHUNK ids a statement, all at once
 * (tests; the service deletes a chunk a loop turn); days <= 0 deletes
 * every row. Runs in the caller's transaction when one is open. Returns
 * how many, or STORE_ERR.
 */
int64_t privacy_purge_channel_log(struct store *, int days, int64_t now);

/* The daily purges while serve runs: their timers and the gateway. */
struct privacy {
	uv_timer_t timer;     /* texts: first a minute after the start, then
				 daily */
	uv_idle_t step;       /* the texts' walk: a chunk a loop turn */
	uv_timer_t log_timer; /* the channel log: at the start, then daily */
	int open;             /* handles not closed, steps not committed */
	struct gateway *gw;   /* borrowed */
	struct privacy_walk walk; /* the texts' walk, while walking */
	int walking;              /* a walk is on */
	int failed;               /* one of its steps did not commit */
	int64_t from;    /* where the next walk starts: every id below it holds
			 no text older than the last walk's `before` */
	int log_walking; /* the channel log's purge is on */
	int64_t log_before; /* its rows started before this go */
	int64_t log_count;  /* rows deleted so far */
};

/*
 * The gateway service of the purges (struct gateway_service).
 * privacy_start starts the daily purge of gw->cfg->retention_days on gw's
 * loop: first a minute after the call, then every 24 hours, each inside
 * the loop turn's batch transaction, unless retention_days is 0; and the
 * purge of the channel log past channel_log_days (all of it when 0), on
 * the loop's first turn and then every 24 hours. It sets *state to its
 * struct privacy (owned by the service), and does nothing when *state is
 * set. The timers do not keep the loop alive; privacy_stop closes them and frees
 * the state (call it with the other handles at the end of a stop) and sets
 * *state to NULL; with *state NULL it does nothing.
 */
void privacy_start(struct gateway *, void **state);
void privacy_stop(struct gateway *, void **state);

/*
 * The daily timer's work, now: a walk of the texts from pv->from (where
 * the last one left texts; 0 after a start or a failed step), one chunk a
 * loop turn in each turn's batch transaction, logged once its last step
 * is committed. Nothing when a walk is on or the gateway stops.
 */
void privacy_purge_now(struct privacy *);

/*
 * `baraza contact NUM [--forget]` (cli/cli_contact.c): shows the contact's
 * data, or erases it and prints what was erased. Exit status 0, 1 for an
 * unknown contact or a store failure, 2 on bad usage.
 */
int privacy_contact_main(int, char **, struct config *);

#endif
