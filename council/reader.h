/*
 * reader.h: the council's reads in the thread pool (gateway/pool_read.h):
 * one connection, one read at a time, for the figures that count many
 * rows (the console's overview, a broadcast's progress).
 */
#ifndef BARAZA_COUNCIL_READER_H
#define BARAZA_COUNCIL_READER_H

#include "gateway/gateway.h"
#include "gateway/pool_read.h"

/* The service "reader" (council.c): the pool's reader, or none. */
void council_reader_start(struct gateway *, void **state);
void council_reader_stop(struct gateway *, void **state);

/*
 * Reads with read, in the pool on the reader's connection, then calls
 * done on the loop; with no reader (no loop, or a database in memory,
 * which only the loop's connection sees: unit tests, fuzz_api) both run
 * here, now, read on the loop's own connection. Returns 0, or -1 when
 * POOL_READ_MAX_QUEUED reads wait (nothing is called: answer 503).
 */
int
council_read(struct gateway *, pool_read_fn read, pool_done_fn done, void *arg);

#endif
