/*
 * outq.h: the outbound queue's entry. The queue lives in the store, as
 * rows of the messages table (store.h: store_msg_insert_outbound(), the
 * store_queue_* calls), not in memory, so its depth costs no RAM and a
 * restart resumes it. This file holds the rules of a new message; when to
 * send and when to retry is the dispatcher's business (dispatch.c), as
 * OpenSMTPD splits queue.c and scheduler.c.
 *
 * States of an outbound message: queued (waiting for next_attempt),
 * sending (handed to a provider, answer pending), sent (accepted), then
 * delivered or failed (a delivery report, a permanent failure, or
 * "expired" after max_age).
 */
#ifndef BARAZA_OUTQ_H
#define BARAZA_OUTQ_H

#include <stdint.h>

#include "gateway/store.h"

#define OUTQ_MAX_TEXT 4096 /* bytes in one outbound text */

/* One SMS to queue (all borrowed for the call). */
struct outq_msg {
	const char *channel;  /* a configured channel's name */
	const char *phone;    /* E.164 */
	const char *text;     /* UTF-8, at most OUTQ_MAX_TEXT bytes */
	int64_t contact_id;   /* the contact it is for, or 0 */
	int64_t broadcast_id; /* the broadcast it belongs to, or 0 */
	int64_t not_before;   /* due at this wall time in ms; 0: now */
};

/*
 * Queues m in the caller's transaction at time now (ms). The segment count
 * is worked out here (GSM 03.38). Sets *id when id is not NULL. When a
 * dispatcher runs in this process (outq_set_hooks), it is woken to look
 * for due work on the next loop turn, after the turn's commit: no caller
 * has to remember to. Returns 0, STORE_EINVAL for a text over
 * OUTQ_MAX_TEXT bytes, or STORE_ERR.
 */
int outq_enqueue(
    struct store *, const struct outq_msg *m, int64_t now, int64_t *id);

/* outq_enqueue_one(): the number's contact opted out, nothing queued. */
#define OUTQ_OPTED_OUT 2

/*
 * One message a person asked for (POST /api/v1/messages, `baraza send`):
 * queued as outq_enqueue() does, linked to the contact of m->phone when
 * there is one (m->contact_id is not read), so that its conversation holds
 * it. A contact that opted out gets nothing: OUTQ_OPTED_OUT, as every
 * other send (broadcasts, notifications, report updates) leaves it out.
 */
int outq_enqueue_one(
    struct store *, const struct outq_msg *m, int64_t now, int64_t *id);

/*
 * What outq_enqueue tells the dispatcher of this process (outq_set_hooks;
 * every member may be NULL). A message due now that room() lets through
 * (stored on the dispatcher's own connection, inside its turn's
 * transaction; its channel has room, and nothing queued before it for the
 * same number waits) is stored already claimed ("sending", its first
 * attempt) instead of queued, and taken() is told, with its id, segment
 * count and creation time, to hand it over once the row is durable: the
 * claim's own read and update are spared. Any other message is queued:
 * queued() is told of one due now, whose number's later messages must wait
 * behind it, and wake() of every one (the dispatcher looks for due work
 * then; it MUST be cheap: it schedules, it does not send). All run on the
 * loop thread inside the caller's transaction; m is borrowed.
 */
struct outq_hooks {
	int (*room)(void *arg, struct store *st, const struct outq_msg *m);
	void (*taken)(void *arg, const struct outq_msg *m, int64_t id,
	    int segments, int64_t now);
	void (*queued)(void *arg, const struct outq_msg *m, int64_t id);
	void (*wake)(void *arg);
	void *arg;
};

/* Sets the hooks (borrowed until set again): the dispatcher when it
 * starts, NULL when it ends. */
void outq_set_hooks(const struct outq_hooks *);

#endif
