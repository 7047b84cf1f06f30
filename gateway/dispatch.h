/*
 * dispatch.h: the scheduler of the outbound queue. It claims due messages
 * channel by channel at each channel's rate, sends them through the
 * provider's request over the shared libcurl-on-libuv client (many in
 * flight, connections reused), and records each outcome: OK (sent),
 * TEMPFAIL (retried with exponential backoff and jitter until max_age, then
 * failed "expired") or PERMFAIL (failed with the provider's reason).
 *
 * Claims are committed before a request leaves (batch.c), so after a crash
 * the store knows which messages were in flight; they are queued again at
 * start-up.
 */
#ifndef BARAZA_DISPATCH_H
#define BARAZA_DISPATCH_H

#include <stdint.h>

#include <uv.h>

#include "gateway/batch.h"
#include "gateway/config.h"
#include "gateway/store.h"
#include "providers/client.h"
#include "providers/provider.h"

#define DISPATCH_MAX_INFLIGHT 64 /* requests in flight per channel */
#define DISPATCH_CLAIM_MAX 256   /* messages claimed per channel per run */
#define DISPATCH_POLL_MS 500     /* look for work queued by other processes */
#define DISPATCH_FALLBACK_GRACE_MS \
	30000 /* a channel down this long uses
					    its fallback */
#define DISPATCH_RETRY_FIRST_MS 2000
#define DISPATCH_RETRY_MAX_MS 300000

struct dispatcher;

/* Counters of one channel, for metrics. */
struct dispatch_stats {
	uint64_t sent;        /* accepted by the provider */
	uint64_t retried;     /* TEMPFAIL, queued again */
	uint64_t failed;      /* PERMFAIL or expired */
	uint64_t inflight;    /* requests in flight now */
	char last_error[128]; /* the last failure's reason */
};

/*
 * A channel the dispatcher sends on. The gateway may register a custom
 * sender for channel types without a provider_ops (modems): send_cb MUST
 * eventually call dispatch_done for the message, or return -1 at once
 * (the channel is down: the message stays queued).
 */
typedef int (*dispatch_send_cb)(
    void *arg, int64_t id, const char *to, const char *text);

/*
 * Creates the dispatcher for every channel of cfg on loop. public_base is
 * the URL where providers reach this gateway ("http://127.0.0.1:8080"),
 * for delivery report callbacks. Returns the dispatcher (owned by the
 * caller, dispatch_stop then dispatch_free).
 */
struct dispatcher *dispatch_new(uv_loop_t *, const struct config *,
    struct store *, struct batch *, struct client *, const char *public_base);

/* Registers a custom sender for channel name (see dispatch_send_cb). */
void dispatch_set_sender(
    struct dispatcher *, const char *name, dispatch_send_cb, void *arg);

/* Marks a channel up or down; a down channel's due queue moves to its
 * fallback channel when it has one, else waits. */
void dispatch_set_up(struct dispatcher *, const char *name, int up);

/* The outcome of a custom sender's message. */
void dispatch_done(struct dispatcher *, const char *name, int64_t id,
    enum provider_outcome, const char *provider_id, const char *error);

/* Looks for due work on the next loop turn (after a local enqueue). */
void dispatch_kick(struct dispatcher *);

/* Stops claiming; done() runs once nothing is in flight any more. */
void dispatch_stop(struct dispatcher *, void (*done)(void *), void *arg);
void dispatch_free(struct dispatcher *);

/* Copies the counters of channel name; returns -1 when unknown. */
int dispatch_stats(
    const struct dispatcher *, const char *name, struct dispatch_stats *);

/* The retry delay after attempts attempts, with jitter (ms). */
int64_t dispatch_backoff(int attempts);

#endif
