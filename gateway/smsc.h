/*
 * smsc.h: the gateway's SMPP links to operators' SMSCs (smsc.c), one
 * channel of `type = smpp` each: a bind_transceiver link, or a transmitter
 * and a receiver, kept up with reconnects (1 s doubling to 60 s), carrying
 * the dispatcher's messages as submit_sm and bringing MO messages and
 * delivery receipts through ingress, each answered only once committed.
 * The links run on a thread of their own (`baraza-smpp`); every function
 * here runs on the gateway's loop, and the dispatcher and ingress are
 * called there only.
 */
#ifndef BARAZA_SMSC_H
#define BARAZA_SMSC_H

#include <stddef.h>

struct gateway;
struct smsc_thread;

#define SMSC_RECONNECT_FIRST_MS 1000
#define SMSC_RECONNECT_MAX_MS 60000
#define SMSC_STABLE_MS 30000   /* bound this long: the reconnect wait resets */
#define SMSC_RESPONSE_MS 30000 /* any answer the SMSC owes */
#define SMSC_JOIN_MS 120000    /* MO parts wait this long for the rest */
#define SMSC_UNBIND_MS 2000    /* at stop: wait this long for answers due */
#define SMSC_UNBIND_RESP_MS 1000 /* then this long for unbind_resp */
#define SMSC_QUEUE_PER_WINDOW 8  /* messages handed over per window place */

/* The SMPP channels, embedded in struct gateway (gw->smscs). */
struct smscs {
	struct smsc_thread *t; /* their thread; NULL: none runs */
};

/*
 * Starts a link (or two) for every smpp channel of the config and attaches
 * each channel to the dispatcher; a channel is up while its sending link
 * is bound.
 */
void smscs_start(struct gateway *);

/*
 * The links of the smpp channel named name that are bound now (0 to 2)
 * into *bound, and how many it has into *links. Returns 0, or -1 when no
 * such SMPP channel runs.
 */
int
smscs_bound(const struct gateway *, const char *name, int *bound, int *links);

/*
 * Stop: no more submits; each link unbinds once its messages in flight
 * have their answers and what it delivered is committed, or after
 * SMSC_UNBIND_MS all the same (what is still in flight goes back to the
 * queue), then closes on unbind_resp or SMSC_UNBIND_RESP_MS later. The thread then ends, and done(gw)
 * runs on the gateway's loop (at once when no SMPP channel runs).
 */
void smscs_stop(struct gateway *, void (*done)(struct gateway *));

#endif
