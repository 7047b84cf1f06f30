/*
 * modems.h: the gateway's GSM modems (modems.c).
 */
#ifndef BARAZA_MODEMS_H
#define BARAZA_MODEMS_H

struct gateway;

/* Starts a supervised worker for every gammu channel of the config. */
void	modems_start(struct gateway *);

/* Stops the workers; messages in them are queued again at the next start. */
void	modems_stop(struct gateway *);

#endif
