/*
 * modems.h: the gateway's GSM modems (modems.c).
 */
#ifndef BARAZA_MODEMS_H
#define BARAZA_MODEMS_H

#include <stddef.h>
#include <stdint.h>

struct gateway;

/* Starts a supervised worker for every gammu channel of the config. */
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
