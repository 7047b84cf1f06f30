/*
 * dispatch.h: the scheduler of the outbound queue. It claims due messages
 * channel by channel at each channel's rate, hands each to its channel
 * (struct channel_ops, channel.h: a provider's requests over the shared
 * libcurl-on-libuv client, many in flight and connections reused, or a
 * modem), and records each outcome: OK (sent), TEMPFAIL (retried with
 * exponential backoff and jitter until max_age, then failed "expired") or
 * PERMFAIL (failed with the channel's reason). It wakes by itself when a
 * message is queued in this process (outq_enqueue), and polls every
 * DISPATCH_POLL_MS for messages queued by other processes.
 *
 * It claims only messages whose insert is on disk (batch_watermark(): the
 * largest message id carried by a commit that was synced), and sends them
 * at once, in the transaction of the claim: no reply leaves before the
 * message it answers is durable, and no send waits for a commit of its
 * own. After a crash the messages in flight are "sending" (claim
 * committed) or still "queued" (not yet): both are sent again at
 * start-up, as ever for a message in flight (at least once). A claim
 * rolled back by a failed commit leaves its messages queued: they go again
 * (at least once there too), as only a message "sending" takes an outcome.
 *
 * A new message due now whose channel has room and whose number has
 * nothing queued before it is not queued at all: outq_enqueue stores it
 * already claimed (struct outq_hooks) and the dispatcher hands it over
 * when the transaction that stored it has committed (and synced), in
 * order, as request slots free; one a rollback undid never leaves
 * (store_on_undo). After a crash it is "sending", as above.
 */
#ifndef BARAZA_DISPATCH_H
#define BARAZA_DISPATCH_H

#include <stdint.h>

#include <uv.h>

#include "gateway/batch.h"
#include "gateway/channel.h"
#include "gateway/config.h"
#include "gateway/store.h"

#define DISPATCH_MAX_INFLIGHT 64  /* requests in flight per channel */
#define DISPATCH_INFLIGHT_CAP 128 /* a fast provider channel's, at most */
#define DISPATCH_CLAIM_MAX 256    /* messages claimed per channel per run */
#define DISPATCH_POLL_MS 500      /* look for work queued by other processes */
#define DISPATCH_RETRY_FIRST_MS 2000
#define DISPATCH_RETRY_MAX_MS 300000

struct dispatcher;

/* Counters of one channel, for metrics. */
struct dispatch_stats {
	uint64_t sent;        /* accepted by the provider */
	int64_t spend;        /* millionths of the currency spent on the
				 segments sent, at the channel's
				 cost_per_segment (0 without one) */
	uint64_t retried;     /* TEMPFAIL, queued again */
	uint64_t failed;      /* PERMFAIL or expired */
	uint64_t inflight;    /* requests in flight now */
	int64_t last_ok;      /* ms (wall clock) of the last send accepted
				 since the start, or 0 */
	int64_t last_failed;  /* ms of the last attempt that failed (to be
				 retried too), or 0 */
	char last_error[128]; /* the last failure's reason */
};

/*
 * Creates the dispatcher for every channel of cfg on loop and sets it as
 * what outq_enqueue wakes. A channel sends nothing until something carries
 * it (dispatch_attach: channel_open_providers for the providers, modems.c
 * for the modems). Returns the dispatcher (owned by the caller,
 * dispatch_stop then dispatch_free).
 */
struct dispatcher *dispatch_new(
    uv_loop_t *, const struct config *, struct store *, struct batch *);

/*
 * Makes ops (with its state arg, which ops->close releases at the end)
 * carry the messages of channel name, starting up (up 1: a provider) or
 * down until dispatch_set_up (up 0: a modem); or, with ops NULL, nothing
 * (the channel keeps its queue). Returns the channel, valid until
 * dispatch_free, or NULL when there is no such channel.
 */
struct channel *dispatch_attach(struct dispatcher *, const char *name,
    const struct channel_ops *ops, void *arg, int up);

/*
 * Ends msg, handed to channel ch's send, with outcome oc, the provider's
 * id for delivery reports (or NULL) and, when not OK, the reason (or
 * NULL): recorded in the turn's transaction (TEMPFAIL is retried after a
 * backoff, or failed "expired" past max_age). Exactly once per message.
 */
void dispatch_done(struct channel *ch, const struct channel_msg *msg,
    enum send_outcome oc, const char *provider_id, const char *error);

/*
 * Keeps e, a request of channel ch's and its answer, in the channel log
 * (store_chanlog_add) in the turn's transaction, unless the config keeps
 * none (channel_log_days 0). A failure is logged, never the send's.
 */
void dispatch_log(struct channel *ch, const struct store_chanlog *e);

/*
 * Ends msg without an outcome: the loop is shutting down and the message
 * never reached anyone. Nothing is recorded; the message stays "sending"
 * and is queued again at the next start.
 */
void dispatch_dropped(struct channel *ch, const struct channel_msg *msg);

/* Marks a channel up or down; a down channel's due queue moves to its
 * fallback channel when it has one, else waits. */
void dispatch_set_up(struct dispatcher *, const char *name, int up);

/*
 * The requests a provider's channel (not a modem, not SMPP) keeps in
 * flight: its rate's messages a second, so that a provider answering
 * within a second keeps up with the rate; at least DISPATCH_MAX_INFLIGHT,
 * at most DISPATCH_INFLIGHT_CAP (past that many connections to one host,
 * curl's search of its connection cache costs each request more than the
 * connections gain: docs/performance.md). A modem or SMPP channel:
 * DISPATCH_MAX_INFLIGHT.
 */
int dispatch_channel_inflight(const struct channel_config *);

/*
 * Lets channel name hold up to n messages handed to it and not yet ended
 * (DISPATCH_MAX_INFLIGHT until set): for a channel that queues inside
 * itself, such as an SMPP link behind its window.
 */
void dispatch_set_inflight(struct dispatcher *, const char *name, int n);

/*
 * Stops claiming; done() runs once nothing is in flight any more and every
 * outcome is written (written again while the store fails).
 */
void dispatch_stop(struct dispatcher *, void (*done)(void *), void *arg);
void dispatch_free(struct dispatcher *);

/* Copies the counters of channel name; returns -1 when unknown. */
int dispatch_stats(
    const struct dispatcher *, const char *name, struct dispatch_stats *);

/* The retry delay after attempts attempts, with jitter (ms). */
int64_t dispatch_backoff(int attempts);

#endif
