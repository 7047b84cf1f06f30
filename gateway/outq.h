/*
 * outq.h: the outbound queue as rows of the messages table. The queue
 * lives in the store, not in memory, so its depth costs no RAM and a
 * restart resumes it. This file only persists; when to send and when to
 * retry is the dispatcher's business (dispatch.c), as OpenSMTPD splits
 * queue.c and scheduler.c.
 *
 * States of an outbound message: queued (waiting for next_attempt),
 * sending (handed to a provider, answer pending), sent (accepted), then
 * delivered or failed (a delivery report, a permanent failure, or
 * "expired" after max_age).
 *
 * Every call writes inside the caller's transaction and returns 0 or a
 * negative value (STORE_ERR).
 */
#ifndef BARAZA_OUTQ_H
#define BARAZA_OUTQ_H

#include <stddef.h>
#include <stdint.h>

#include "gateway/store.h"

#define OUTQ_MAX_TEXT 4096 /* bytes in one outbound text */

/* A message claimed for sending. */
struct outq_msg {
	int64_t id;      /* message id */
	char *phone;     /* E.164, owned */
	char *text;      /* owned */
	int attempts;    /* including this one */
	int64_t created; /* ms */
};

/*
 * Queues one SMS for channel to phone (E.164), due at not_before (ms; 0
 * means now). contact_id and broadcast_id may be 0. The segment count is
 * worked out here (GSM 03.38). Sets *id when id is not NULL.
 */
int outq_enqueue(struct store *, const char *channel, const char *phone,
    int64_t contact_id, const char *text, int64_t broadcast_id,
    int64_t not_before, int64_t now, int64_t *id);

/*
 * Claims up to max messages of channel due at now: they become "sending"
 * with one more attempt. *out is an array the caller frees with
 * outq_msgs_free; *n says how many.
 */
int outq_claim(struct store *, const char *channel, int64_t now, size_t max,
    struct outq_msg **out, size_t *n);
void outq_msgs_free(struct outq_msg *, size_t);

/* The outcomes of an attempt. */
int outq_sent(struct store *, int64_t id, const char *provider_id, int64_t now);
int outq_retry(struct store *, int64_t id, int64_t next_attempt,
    const char *error, int64_t now);
int outq_fail(struct store *, int64_t id, const char *error, int64_t now);

/*
 * A delivery report for channel: the message is found by the provider's id,
 * or by the gateway's own id when by_own_id is set (the http type). A
 * final state is never taken back. Returns 0, or STORE_NOTFOUND.
 */
int outq_report(struct store *, const char *channel, const char *id,
    int by_own_id, const char *state, const char *error, int64_t now);

/*
 * At start-up: messages left "sending" by a crash are queued again (they
 * may have reached the provider: at-least-once for exactly those).
 * Returns how many, or negative.
 */
int outq_recover(struct store *, int64_t now);

/* The earliest next_attempt of channel's queued messages, or -1. */
int64_t outq_next_due(struct store *, const char *channel);

/* Moves the due queue of channel from to channel to (fallback). */
int outq_move(struct store *, const char *from, const char *to, int64_t now);

/* A message as the admin API shows it; strings owned, outq_info_free. */
struct outq_info {
	int64_t id;
	char *direction;
	char *channel;
	char *phone;
	char *state;
	char *error;       /* or NULL */
	char *provider_id; /* or NULL */
	int attempts;
	int segments;
	int64_t created;
	int64_t updated;
};
int outq_get(struct store *, int64_t id, struct outq_info *);
void outq_info_free(struct outq_info *);

#endif
