/*
 * modems.h: the gateway's GSM modems (modems.c).
 */
#ifndef BARAZA_MODEMS_H
#define BARAZA_MODEMS_H

#include <stddef.h>
#include <stdint.h>

#include "gateway/config.h"

struct gateway;
struct modem;

/*
 * The state of a gammu channel as its last heartbeat told it, kept once:
 * the modem's work fills it and writes it to the store, metrics reads it.
 * A channel with known 0 has had no heartbeat.
 */
struct modems_beat {
	int known;     /* a heartbeat came */
	int up;        /* the modem answers */
	double signal; /* signal strength, 0 to 100 percent */
};

/* The modems' state, embedded in struct gateway (gw->modems). */
struct modems {
	struct modems_beat beat[CONFIG_MAX_CHANNELS]; /* by index in
							 cfg->channels (gammu) */
	struct modem **list; /* one per supervised gammu channel */
	size_t n;            /* in list */
};

/*
 * Starts a supervised worker for every gammu channel of the config and
 * attaches each to its channel in the dispatcher (gw->dispatch).
 */
void modems_start(struct gateway *);

/*
 * The counters of the gammu channel at index in cfg->channels, kept in the
 * store across gateway runs: sends the modem handed back unsent (failed or
 * to retry) and worker restarts. Returns 0, or -1 when no modem runs for
 * that channel.
 */
int modems_counters(
    struct gateway *, size_t index, uint64_t *failures, uint64_t *restarts);

/* Stops the workers; messages in them are queued again at the next start. */
void modems_stop(struct gateway *);

#endif
