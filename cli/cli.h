/*
 * cli.h: the smaller subcommands of `baraza` and what they share (a
 * progress bar on a terminal). Each takes the argument vector starting at
 * the command's name and the loaded config, and returns the exit status:
 * 0 done, 1 the work failed, 2 bad usage.
 */
#ifndef BARAZA_CLI_H
#define BARAZA_CLI_H

#include <stdint.h>

#include "gateway/config.h"
#include "gateway/store.h"

int cli_import(int, char **, struct config *);
int cli_send(int, char **, struct config *);
int simulate_main(int, char **, struct config *);

/*
 * Opens cfg's database for a command (store_open with cfg's durability).
 * Returns the store, which the caller closes with store_close(), or NULL
 * after printing why not on stderr ("baraza: MESSAGE").
 */
struct store *cli_open_store(const struct config *cfg);

/*
 * A progress bar on stderr when it is a terminal, else nothing: call with
 * the work done and the total (0 when unknown); done == total ends the line.
 * arg is the label, a const char *.
 */
void cli_progress(void *, uint64_t, uint64_t);

#endif
