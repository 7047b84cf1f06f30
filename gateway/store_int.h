/*
 * store_int.h: the inside of the store, shared by the files that implement
 * it (gateway/store*.c) and by nothing else. Here, and only here, SQLite
 * is visible: the rest of the program sees store.h, which speaks the
 * domain (messages, contacts, reports...) and leaks no SQLite type.
 *
 * Each store file keeps its statements in a table of its own (struct
 * store_sql: a part number and the SQL texts by index). A statement is
 * prepared on first use with SQLITE_PREPARE_PERSISTENT and kept for the
 * connection's life, in struct store's slot for that part and index, so a
 * lookup is an array index, never a search.
 */
#ifndef BARAZA_STORE_INT_H
#define BARAZA_STORE_INT_H

#include <stddef.h>

#include <sqlite3.h>

#include "gateway/store.h"

/* The store's files, each with its own statement table. */
enum store_part {
	STORE_PART_MSG = 0,  /* store_msg.c: messages and the queue */
	STORE_PART_COUNCIL,  /* store_council.c: broadcasts, privacy, stats */
	STORE_PART_MISC,     /* store_misc.c: the rest (idempotency, modems) */
	STORE_PART_USERS,    /* store_users.c: users, web sessions, audit */
	STORE_PART_CONSOLE,  /* store_console.c: the console's searches */
	STORE_PART_CAMPAIGN, /* store_campaign.c: campaigns keyed to dates */
	STORE_PART_EVENTS,   /* store_events.c: outbound event webhooks */
	STORE_PART_FEEDBACK, /* store_feedback.c: report feedback */
	STORE_PART_SPEND,    /* store_spend.c: spend by channel and day */
	STORE_PART_CHANLOG,  /* store_chanlog.c: the channel log */
	STORE_NPARTS
};

#define STORE_PART_MAX 64 /* statements in one part's table */

/* One part's statement table: sql[i] is statement i (static strings). */
struct store_sql {
	enum store_part part;   /* its slots in struct store */
	const char *const *sql; /* n SQL texts */
	size_t n;               /* at most STORE_PART_MAX */
};

struct store_core; /* store.c's own statements */

struct store {
	sqlite3 *db;             /* the connection */
	struct store_core *core; /* store.c's statement table */
	sqlite3_stmt *part[STORE_NPARTS][STORE_PART_MAX]; /* by first use */
	int (*wal_fn)(void *, int frames);                /* store_wal_hook() */
	void *wal_arg;
};

/*
 * Statement i of tab, prepared on first use, reset and unbound: ready to
 * bind and step. A statement that does not prepare is a programming error
 * (fatalx). The store keeps it; callers never finalize it.
 */
sqlite3_stmt *store_sql(struct store *, const struct store_sql *tab, int i);

/* Resets a statement after use and drops its bindings. */
void store_sql_done(sqlite3_stmt *);

/* Logs a failed step of statement i of tab (rc SQLite's code) and returns
 * STORE_ERR. */
int store_sql_fail(struct store *, const struct store_sql *tab, int i, int rc);

/* Steps statement i of tab, which returns no row (bound already), resets
 * it. Returns 0 or STORE_ERR (logged). */
int store_sql_exec(struct store *, const struct store_sql *tab, int i);

/*
 * Runs one statement of db that returns one integer into *v (left as it
 * was when there is no row). Returns SQLite's code: SQLITE_OK or the error.
 */
int store_query_int(sqlite3 *db, const char *sql, int64_t *v);

/* Binds a C string (SQLITE_STATIC: it must outlive the step), or NULL as
 * SQL NULL. Returns SQLite's code. */
int store_bind_text(sqlite3_stmt *, int col, const char *v);

/* Copies a text column, or NULL for SQL NULL; the caller frees it. */
char *store_column_dup(sqlite3_stmt *, int col);

/*
 * Adds the segments of message id, just marked sent at now, to its
 * channel's spend on that local day (store_spend.c). 0 or STORE_ERR.
 */
int store_spend_add_sent(struct store *, int64_t id, int64_t now);

#endif
