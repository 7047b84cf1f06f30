/*
 * events.h: outbound event webhooks, the core's half. What happens (a
 * report opened or changed, an SMS in, a message given up) becomes one row
 * in the store's events table for each [event NAME] section that asks for
 * it, written in the caller's transaction, so the event exists exactly
 * when what caused it was committed. The council's sender
 * (council/event_sender.c) posts the rows and deletes them once
 * delivered, as the dispatcher does with messages.
 *
 * A section's events carry what it may see: without with_phone = yes, an
 * event holds no phone number, and every text a resident or staff typed
 * (a message's text, a report's category, location, details and note) has
 * its digit runs of SCRUB_MIN_DIGITS or more replaced by "[number
 * removed]", as in Open311. With with_phone = yes the number is added as
 * "phone" and texts go out whole.
 *
 * The JSON, each object's keys in this order (times ISO 8601 UTC, "Z"):
 *   body: {"event": NAME, "id": N, "at": TIME, "data": {...}}
 *   report.created: {"id", "status", "category", "location", "details",
 *       "flow", "contact_id", "created", "updated"[, "phone"]}
 *   report.updated: the same with "previous_status" and "note" (the
 *       update's own note, or null) after "status".
 *   message.in: {"id", "channel", "kind", "contact_id", "text",
 *       "created"[, "phone"]}
 *   message.failed: the same with "error" and "attempts" after "text".
 * contact_id is null when there is none; a text erased by the privacy
 * rules is null.
 *
 * Every emitting call returns at once, touching nothing, when no section
 * asks for its event. Each returns 0, or STORE_ERR (or another negative
 * enum store_status) when a store write failed: the caller fails what
 * caused the event too, as it would for its own write.
 */
#ifndef BARAZA_EVENTS_H
#define BARAZA_EVENTS_H

#include <stdint.h>

#include <jansson.h>

#include "gateway/config.h"
#include "gateway/store.h"

/*
 * What the sender of this process made of the events, for /metrics (the
 * events waiting are counted in the store: store_event_waiting()).
 */
struct events_counters {
	uint64_t sent;    /* delivered: the receiver answered 2xx */
	uint64_t retried; /* attempts that failed, to be tried again */
	uint64_t failed;  /* given up: older than the section's max_age */
};

/* Report id was opened at now (the `report` step, an Open311 POST). */
int events_report_created(
    struct store *, const struct config *, int64_t id, int64_t now);

/*
 * Report id was updated at now: it was in status previous (a copy is
 * kept), and note (may be NULL) came with the change.
 */
int events_report_updated(struct store *, const struct config *, int64_t id,
    const char *previous, const char *note, int64_t now);

/*
 * Message msg_id: kind CONFIG_EVENT_MESSAGE_IN for an inbound SMS handled,
 * CONFIG_EVENT_MESSAGE_FAILED for an outbound message given up (emitted
 * only when the message's state is failed now, so the caller may call it
 * after any outcome that is not a success).
 */
int events_message(struct store *, const struct config *,
    enum config_event_kind kind, int64_t msg_id, int64_t now);

/*
 * A delivery report said that channel's outbound message id failed: id
 * is ours in decimal when by_own_id, else the provider's. Emits
 * message.failed for it; a message not found emits nothing.
 */
int events_delivery_failed(struct store *, const struct config *,
    const char *channel, const char *id, int by_own_id, int64_t now);

/*
 * The data of a report event (see the top of this file): updated 0 for
 * report.created, 1 for report.updated (previous and note, may be NULL,
 * are then added). phone (may be NULL) is added only with with_phone.
 * Returns a new reference.
 */
json_t *events_report_json(const struct store_report *, const char *phone,
    int updated, const char *previous, const char *note, int with_phone);

/*
 * The data of a message event: failed 1 for message.failed (error and
 * attempts added). Returns a new reference.
 */
json_t *
events_message_json(const struct store_event_msg *, int failed, int with_phone);

/*
 * The body posted for an event: {"event", "id", "at", "data"}, data being
 * the stored JSON text (copied as it is). Returns a new string the caller
 * frees.
 */
char *events_body(const char *event, int64_t id, int64_t at, const char *data);

/*
 * Sets what an emitted event wakes (the sender of this process, which
 * sets itself when it starts and NULL when it stops), as outq_set_hooks.
 */
void events_set_wake(void (*wake)(void *), void *arg);

/* This process's counters; the sender adds its outcomes to them. */
struct events_counters *events_counters(void);

#endif
