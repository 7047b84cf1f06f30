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

/*
 * Queues one SMS for channel to phone (E.164), due at not_before (ms; 0
 * means now), in the caller's transaction. contact_id and broadcast_id may
 * be 0. The segment count is worked out here (GSM 03.38). Sets *id when id
 * is not NULL. Returns 0, STORE_EINVAL for a text over OUTQ_MAX_TEXT
 * bytes, or STORE_ERR.
 */
int outq_enqueue(struct store *, const char *channel, const char *phone,
    int64_t contact_id, const char *text, int64_t broadcast_id,
    int64_t not_before, int64_t now, int64_t *id);

#endif
