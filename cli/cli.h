/*
 * cli.h: the smaller subcommands of `baraza` and what they share (a
 * progress bar on a terminal). Each takes the argument vector starting at
 * the command's name and the loaded config, and returns the exit status:
 * 0 done, 1 the work failed, 2 bad usage.
 */
#ifndef BARAZA_CLI_H
#define BARAZA_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "council/budget.h"
#include "gateway/config.h"
#include "gateway/store.h"

struct flowset;

int cli_import(int, char **, struct config *);
int cli_send(int, char **, struct config *);
int simulate_main(int, char **, struct config *);

/*
 * `baraza backup FILE` and `baraza restore FILE` (cli_backup.c): a copy of
 * cfg's database while a gateway serves it, and its restore while none
 * does. Exit 0 done, 1 failed or refused, 2 bad usage (or PostgreSQL).
 */
int cli_backup(int, char **, struct config *);
int cli_restore(int, char **, struct config *);

/*
 * `baraza migrate` and `baraza copy-store FROM TO` (cli_store.c): the
 * schema brought up to date now, printing what is applied; a store copied
 * into an empty one, SQLite or PostgreSQL, with its ids.
 */
int cli_migrate(int, char **, struct config *);
int cli_copy_store(int, char **, struct config *);

/*
 * `baraza test [PATH...] [--junit FILE] [--coverage]` (cli_test.c): runs
 * .flowtest files against cfg's flows in a throwaway store. Exit 0 when
 * every test passed, 1 when one failed, 2 on bad usage, config or flows.
 */
int cli_test(int, char **, struct config *);

/*
 * The folder `baraza test` reads by default: the `tests` folder beside
 * cfg's flows folder when there is one, else the `tests` folder inside it.
 * A new string the caller frees.
 */
char *cli_test_default_dir(const struct config *cfg);

/*
 * For `baraza check`: prints to fp a note (FILE:LINE:COL: note: ...) for
 * each flow of set that no test in the default folder starts (by an `sms`
 * text or a dialled code, through the triggers, or by a jump from a flow
 * that one starts). Returns the number of notes.
 */
size_t
cli_test_notes(const struct config *cfg, const struct flowset *set, FILE *fp);

/*
 * For `check`: a warning on fp for each `lookup` of set whose table the
 * store does not hold yet (or when there is no database yet), with the
 * `baraza import` command that fixes it. Returns the number of warnings;
 * adds 1 to *nerr for a database whose schema is newer than this baraza's
 * (an error: serve refuses it).
 */
size_t cli_check_tables(const struct config *cfg, const struct flowset *set,
    FILE *fp, size_t *nerr);

/*
 * Opens cfg's database for a command (store_open with cfg's durability).
 * Returns the store, which the caller closes with store_close(), or NULL
 * after printing why not on stderr ("baraza: MESSAGE").
 */
struct store *cli_open_store(const struct config *cfg);

/*
 * Prints a line for each channel a bulk send uses: its segments and, with a
 * cost_per_segment, their cost; with day, also that channel's local day of
 * when (spent, queued, the daily budget and whether the send would pass
 * it). Returns 0 or STORE_ERR. (council/budget.h's figures.)
 */
int cli_print_costs(struct store *, const struct config *,
    const struct budget_send *send, int64_t when, int day);

/*
 * A progress bar on stderr when it is a terminal, else nothing: call with
 * the work done and the total (0 when unknown); done == total ends the line.
 * arg is the label, a const char *.
 */
void cli_progress(void *, uint64_t, uint64_t);

/*
 * The TIME of option (such as "--now") into *ms: 0, or -1 after saying on
 * stderr why not (a bad form, or a local time a clock change skips).
 */
int cli_parse_time(const char *option, const char *s, int64_t *ms);

#endif
