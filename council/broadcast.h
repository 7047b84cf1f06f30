/*
 * broadcast.h: one text to every subscriber of a topic (`baraza broadcast`,
 * POST /api/v1/broadcasts), and personal notifications rendered from a CSV
 * file (`baraza notify`, notify.c).
 *
 * The audience of a broadcast is the topic's subscribers (table
 * subscriptions) whose contact has not opted out. Each recipient's message
 * goes out on the channel the contact last wrote in on (contacts.
 * last_channel) when that channel is still configured, else on the
 * broadcast's channel (its --channel, else default_channel).
 *
 * Queueing is one INSERT ... SELECT per chunk of BROADCAST_CHUNK
 * recipients, all chunks in one transaction: a broadcast of `baraza
 * broadcast` is queued whole or not at all. One of the admin API
 * (in_turns) is recorded with its audience counted and answered at once,
 * and then queued a chunk a loop turn by the service broadcast_pump (the
 * first of BROADCAST_TURN_CHUNK recipients, each next one sized so that
 * it takes about BROADCAST_TURN_MS), each chunk in its turn's transaction with the
 * broadcast's queued_upto (the last contact queued) moved on: a start
 * after a crash goes on from there, and two nodes never queue one chunk
 * twice (store_broadcast_advance). The loop is never held for the whole
 * audience. The text is the same for every
 * recipient, so its encoding and segment count are worked out once. Every
 * message carries the broadcast's id, so its progress can be counted by
 * state. Messages due later (--at) wait in the queue as "queued" with
 * next_attempt at that time; the dispatcher sends at each channel's rate.
 *
 * A notify run is recorded as a broadcast too (topic NULL, text the
 * template), so GET /api/v1/broadcasts/ID counts its messages.
 */
#ifndef BARAZA_BROADCAST_H
#define BARAZA_BROADCAST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "council/budget.h"
#include "gateway/config.h"
#include "gateway/store.h"
#include "lib/gsm.h"
#include "lib/http.h"

struct gateway;

#define BROADCAST_MAX_TEXT 1600   /* bytes in one message's text */
#define BROADCAST_CHUNK 50000     /* recipients queued per INSERT ... SELECT */
#define BROADCAST_TURN_CHUNK 1000 /* ... in the first loop turn, in_turns */
#define BROADCAST_TURN_MIN 200    /* ... at least, in a later turn */
#define BROADCAST_TURN_MAX 20000  /* ... at most */
#define BROADCAST_TURN_MS 20      /* what a turn's chunk aims to take */
#define BROADCAST_PUMP_MS 5000    /* the pump looks for work this often */

/* Failures, so that callers can pick an exit status or an HTTP status. */
enum broadcast_status {
	BROADCAST_EINVAL = -1,  /* bad request: 400, exit 1 */
	BROADCAST_ESTORE = -2,  /* the database failed: 503, exit 1 */
	BROADCAST_ETOOBIG = -3, /* input beyond a hard limit: 413, exit 1 */
	BROADCAST_EIO = -4,     /* reading the input failed: exit 1 */
	BROADCAST_EBUDGET = -5, /* it would pass a channel's daily budget
				   (budget.h): 409, exit 1; the figures in
				   the summary's over */
};

/* Called with the recipients queued so far and the total (see cli.h). */
typedef void (*broadcast_progress_cb)(void *arg, uint64_t done, uint64_t total);

/* What to send. The strings are borrowed for the call. */
struct broadcast_request {
	const char *text;    /* UTF-8, 1 to BROADCAST_MAX_TEXT bytes */
	const char *topic;   /* 1 to STORE_NAME_MAX bytes */
	const char *channel; /* a configured channel, or NULL for the
				config's default_channel */
	int64_t send_at;     /* ms since the epoch; 0 means now */
	int force;           /* 1: even past a daily budget (an admin's
				choice) */
	int in_turns;        /* 1: record it and let broadcast_pump queue
				it, a chunk a loop turn (serve's API) */
};

/* The figures of a broadcast or notify run, queued or dry. */
struct broadcast_summary {
	int64_t id;                 /* the broadcasts row; 0 for a dry run */
	int64_t recipients;         /* messages queued (or that would be) */
	int64_t skipped;            /* notify: rows of opted-out contacts */
	enum gsm_encoding encoding; /* broadcast: the text's encoding;
				       notify: UCS-2 when any message is */
	int64_t segments;           /* broadcast: per message; notify: the
				   largest of one message */
	int64_t total_segments;     /* the sum over all messages (the cost) */
	int64_t gsm7;               /* messages sent as GSM-7 */
	int64_t ucs2;               /* messages sent as UCS-2 */
	int64_t send_at;            /* when they go out, ms since the epoch */
	const char *channel;        /* the broadcast's channel (owned by the
				   config) */
	struct budget_send send;    /* the segments by channel (dry runs,
				       and runs checked against budgets) */
	struct budget_figures over; /* BROADCAST_EBUDGET: the channel whose
				       budget it would pass */
};

/*
 * Checks req against cfg alone (its text, topic and channel), as
 * broadcast_plan() and broadcast_queue() do first: 0, or BROADCAST_EINVAL
 * with *errmsg set as below. The command line tells bad usage by it.
 */
int broadcast_check(
    const struct config *, const struct broadcast_request *req, char **errmsg);

/*
 * Checks req against cfg and works out the figures of the broadcast
 * without writing anything (the dry run): recipients, encoding, segments
 * per message, in total and by channel (out->send). Returns 0 and fills
 * *out, or a negative enum broadcast_status and sets *errmsg (when not
 * NULL) to a message the caller frees.
 */
int broadcast_plan(struct store *, const struct config *,
    const struct broadcast_request *req, struct broadcast_summary *out,
    char **errmsg);

/*
 * Queues req: records the broadcast and queues one message per recipient,
 * all in one transaction (or a savepoint inside the caller's). progress
 * may be NULL; it is called after each chunk and at the end. now is the
 * time of the request in ms. Unless req->force, a broadcast that would
 * pass the daily budget of a channel it uses is refused first
 * (BROADCAST_EBUDGET, out->over holding the figures). Returns 0 and fills
 * *out (out->id is the new broadcast), or a negative enum
 * broadcast_status with *errmsg set as for broadcast_plan(); then nothing
 * was queued.
 */
int broadcast_queue(struct store *, const struct config *,
    const struct broadcast_request *req, int64_t now,
    broadcast_progress_cb progress, void *arg, struct broadcast_summary *out,
    char **errmsg);

/*
 * The cost of sending segments segments to each subscriber of topic who
 * has not opted out, each on the channel broadcast_queue() would pick
 * (channel is the broadcast's own), at the channels' cost_per_segment.
 * Returns 0 and sets *cost (in the [gateway] currency), 1 when one of the
 * channels has no cost_per_segment, or BROADCAST_ESTORE.
 */
int broadcast_cost(struct store *, const struct config *, const char *topic,
    const char *channel, int64_t segments, double *cost);

/*
 * The channel a message to a contact goes out on: last_channel when it
 * names a channel of cfg, else fallback. The result is owned by cfg or is
 * fallback itself.
 */
const char *broadcast_channel_for(
    const struct config *, const char *last_channel, const char *fallback);

/*
 * The admin API under /api/v1/: rest is "broadcasts" (POST {"text",
 * "topic", "channel"?, "at"?, "dry_run"?, "force"?} -> 202 {"id",
 * "recipients", "segments"}, or 200 with the figures for a dry run, or 409
 * with the budget's figures; "force" is an admin's) or "broadcasts/ID"
 * (GET -> the broadcast and its counts by state).
 */
void broadcast_api(struct gateway *, struct http_request *, const char *rest);

/*
 * Personal notifications (notify.c): one message per row of a CSV with a
 * "phone" column, TEMPLATE rendered with the row's columns ({name}).
 */
#define NOTIFY_MAX_BYTES (64 * 1024 * 1024) /* bytes in one CSV */
#define NOTIFY_MAX_ROWS 1000000             /* data rows in one CSV */
#define NOTIFY_MAX_COLUMNS 64               /* columns in one CSV */
#define NOTIFY_MAX_FIELD (8 * 1024)         /* bytes in one field */

struct notify_request {
	const char *template; /* the flow template syntax, {column} */
	const char *channel;  /* as in struct broadcast_request */
	int64_t send_at;      /* ms since the epoch; 0 means now */
	int dry_run;          /* check and count only; nothing is written */
	int force;            /* as in struct broadcast_request */
};

/*
 * Queues one message per data row of the CSV in data[0..len) (RFC 4180,
 * parsed strictly as import.h describes: header row, same field count in
 * every row, valid UTF-8). Each row's phone is normalised with the
 * config's country_code and its contact found or created; a contact who
 * opted out is skipped and counted. The whole file is checked and queued
 * in one transaction: on any error (a bad row, a template naming a column
 * the CSV lacks, a rendered text over BROADCAST_MAX_TEXT bytes) nothing is
 * queued and *errmsg names the line ("line 4: bad phone number ...").
 * Unless req->force or req->dry_run, a run that would pass the daily
 * budget of a channel it uses is refused likewise (BROADCAST_EBUDGET, the
 * figures in out->over); out->send holds its segments by channel.
 * progress may be NULL (bytes read so far and the total). now is the time
 * in ms. Returns 0 and fills *out, or a negative enum broadcast_status.
 */
int notify_csv_buf(struct store *, const struct config *,
    const struct notify_request *req, const void *data, size_t len, int64_t now,
    broadcast_progress_cb progress, void *arg, struct broadcast_summary *out,
    char **errmsg);

/*
 * Checks req against cfg alone (its template and channel), as the runs
 * below do before they read a row: 0, or BROADCAST_EINVAL with *errmsg
 * set (the caller frees it).
 */
int notify_check(
    const struct config *, const struct notify_request *req, char **errmsg);

/* A message of a notify run: its number, text and count (GSM 03.38). */
typedef void (*notify_message_cb)(
    void *arg, const char *phone, const char *text, const struct gsm_info *gi);

/*
 * Like notify_csv_buf(), calling on_message (not NULL) with each message
 * queued, or that would be in a dry run, in row order: for a preview.
 */
int notify_csv_each(struct store *, const struct config *,
    const struct notify_request *req, const void *data, size_t len, int64_t now,
    notify_message_cb on_message, void *arg, struct broadcast_summary *out,
    char **errmsg);

/*
 * Like notify_csv_buf(), reading fp to its end (at most NOTIFY_MAX_BYTES;
 * the caller keeps and closes fp).
 */
int notify_csv_file(struct store *, const struct config *,
    const struct notify_request *req, FILE *fp, int64_t now,
    broadcast_progress_cb progress, void *arg, struct broadcast_summary *out,
    char **errmsg);

/* The CLI commands (cli_broadcast.c), as cli.h describes them. */
int cli_broadcast(int, char **, struct config *);
int cli_notify(int, char **, struct config *);

/*
 * The service (struct gateway_service) that queues the broadcasts recorded
 * in_turns, oldest first, a chunk a loop turn (BROADCAST_TURN_CHUNK
 * recipients first, then as many as BROADCAST_TURN_MS took last time):
 * started with the gateway (it goes on with any broadcast a stop left
 * half queued), looking again every BROADCAST_PUMP_MS (another node's
 * broadcasts, a busy store), and at once on broadcast_pump_kick().
 */
void broadcast_pump_start(struct gateway *, void **state);
void broadcast_pump_stop(struct gateway *, void **state);
void broadcast_pump_kick(struct gateway *);

/*
 * The size of the pump's next chunk after one of n recipients took ns
 * nanoseconds on the loop (broadcast.c says how).
 */
int64_t broadcast_next_chunk(int64_t n, uint64_t ns);

#endif
