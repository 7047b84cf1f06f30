/*
 * parts.h: the parts of long SMS that a provider delivers one webhook a
 * part (Vonage's concat-*), joined into one message before its flow sees
 * it. Each part is committed before its webhook is answered (the store's
 * sms_parts); the part that completes a set is answered once the whole
 * message is committed. A set whose parts do not all come within the
 * channel's multipart_timeout is handed over with those that came, as a
 * modem's are. A provider's retry of a part (its provider id again),
 * before or after the join, is answered as a duplicate.
 */
#ifndef BARAZA_PARTS_H
#define BARAZA_PARTS_H

#include <stddef.h>

#include <uv.h>

#include "gateway/ingress.h"

#define PARTS_SWEEP_MS 5000                    /* how often waits are read */
#define PARTS_SWEEP_MAX 64                     /* sets handed over a turn */
#define PARTS_KEEP_MS (2 * 24 * 3600 * 1000LL) /* a joined part's key kept */
#define PARTS_PURGE_MS (5 * 60 * 1000)         /* how often those go */

struct gateway;

/* The joiner's state, embedded in struct gateway (gw->parts). */
struct parts {
	uv_timer_t timer; /* the sweep of sets that waited too long */
	int running;      /* timer started: a channel delivers parts */
	uint64_t joined;  /* sets joined whole */
	uint64_t partial; /* sets handed over without every part */
	int64_t purged;   /* when joined parts were last purged */
};

/*
 * ingress_sms for one part of a long message (m->part_total > 1): keeps
 * the part, and when it completes its set, stores and runs the whole
 * message. Returns as ingress_sms does; cb(arg) hears after the commit:
 * INGRESS_STORED (the part kept, or the message stored),
 * INGRESS_DUPLICATE (that part came before) or INGRESS_BUSY.
 */
int parts_sms(struct gateway *, const struct ingress_sms *m, ingress_cb cb,
    void *arg, const char **reason);

/* Starts the sweep when a channel's provider delivers parts; stop closes
 * its timer. */
void parts_start(struct gateway *);
void parts_stop(struct gateway *);

/*
 * Hands over at most PARTS_SWEEP_MAX sets, of channels that deliver
 * parts, whose wait (from their first part) ran out by now, and, every
 * PARTS_PURGE_MS, forgets joined parts older than PARTS_KEEP_MS. Returns
 * how many sets it found.
 */
size_t parts_sweep(struct gateway *, int64_t now);

#endif
