/*
 * event_sender.h: the sender of the outbound event webhooks, a service of
 * `baraza serve` (council.c). The events wait in the store (gateway/
 * events.h writes them); for each [event NAME] section the sender claims
 * the due ones, at most EVENT_SENDER_INFLIGHT in flight, and POSTs each to
 * the section's url as JSON (events_body()) with
 *   Content-Type: application/json
 *   X-Baraza-Event: NAME
 *   X-Baraza-Signature: t=UNIX,sha256=HEX
 * signed with the section's signing_key as sig_http_sign() does (the HMAC-
 * SHA256 of UNIX "." body), over the shared HTTP client.
 *
 * A 2xx answer deletes the event. Anything else (another status, a
 * timeout, a refused connection) tries it again after a backoff with
 * jitter, the first about 2 s later, doubling up to 5 minutes
 * (dispatch_backoff()), until the event is older than the section's
 * max_age: then it is deleted and logged. A claim holds an event for
 * EVENT_SENDER_LEASE_MS, so one whose request a crash cut short comes due
 * again by itself; one cancelled by a stop is due at once at the next
 * start. Events of sections no longer configured are deleted at start.
 * Delivery is at least once: a receiver drops a repeat by its id.
 */
#ifndef BARAZA_EVENT_SENDER_H
#define BARAZA_EVENT_SENDER_H

#include "gateway/gateway.h"

#define EVENT_SENDER_INFLIGHT 4 /* requests in flight per section */
#define EVENT_SENDER_POLL_MS \
	1000                          /* looks for events other processes
					 wrote (baraza report) */
#define EVENT_SENDER_LEASE_MS 60000   /* a claim holds an event this long */
#define EVENT_SENDER_TIMEOUT_MS 10000 /* one request, at most */

/*
 * The service (struct gateway_service): start does nothing when the
 * config has no [event NAME] section; stop closes what start opened.
 */
void event_sender_start(struct gateway *, void **state);
void event_sender_stop(struct gateway *, void **state);

#endif
