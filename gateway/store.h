/*
 * store.h: baraza's one store, a SQLite database.
 *
 * The store persists; it never decides. It owns one connection, opened in
 * WAL mode with foreign keys on, and a table of statements prepared once
 * (SQLITE_PREPARE_PERSISTENT) and kept for the connection's life.
 *
 * Times are integer milliseconds since the epoch. Phone numbers are E.164
 * ("+254700000001"). Text returned to the caller is copied into structs the
 * caller owns and releases with the matching *_free function; the structs
 * themselves usually live on the caller's stack.
 *
 * Writes that must be atomic together are grouped by the caller between
 * store_begin() and store_commit() (or store_rollback()). A single API call
 * that writes several rows (a report and its first event) is atomic on its
 * own: it uses a savepoint, which nests inside the caller's transaction.
 *
 * Return values: 0 on success, STORE_NOTFOUND (1) where a lookup finds
 * nothing, a negative enum store_status on failure. SQLite failures are
 * logged (module "store") and store_errmsg() gives SQLite's last message.
 */
#ifndef BARAZA_STORE_H
#define BARAZA_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

struct store;

enum store_status {
	STORE_NOTFOUND = 1,  /* no such row (or session expired) */
	STORE_OK = 0,        /* success */
	STORE_ERR = -1,      /* SQLite failure, see store_errmsg() */
	STORE_EINVAL = -2,   /* a bad argument: status name, too long... */
	STORE_EDUP = -3,     /* duplicate key while filling a data table */
	STORE_ENOTABLE = -4, /* lookup in a table that was never imported */
};

/* Hard limits on what the store accepts from outside input. */
#define STORE_NAME_MAX 64           /* field, table, column, topic names */
#define STORE_VALUE_MAX 4096        /* one contact field value */
#define STORE_TEXT_MAX 8192         /* report texts, notes */
#define STORE_STATE_MAX (64 * 1024) /* one session's state JSON */
#define STORE_KEY_MAX 256           /* a session key */

/* The report statuses, in their usual order. */
#define STORE_REPORT_OPEN "open"
#define STORE_REPORT_ACKNOWLEDGED "acknowledged"
#define STORE_REPORT_IN_PROGRESS "in_progress"
#define STORE_REPORT_RESOLVED "resolved"
#define STORE_REPORT_CLOSED "closed"

/*
 * Opens (creating when missing) the database at path and brings its schema
 * up to date: each pending migration runs in a transaction of its own, so a
 * failed one leaves the database at the previous version. A database whose
 * schema is newer than this program understands is refused. With
 * durability_full, synchronous=FULL (a commit is on disk before it returns);
 * otherwise synchronous=NORMAL. path may be ":memory:" (tests, fuzzing).
 *
 * On success returns 0 and sets *out, which the caller closes with
 * store_close(). On failure returns a negative value and, when errmsg is
 * not NULL, sets *errmsg to a message the caller frees ("baraza.db: unable
 * to open database file ...").
 */
int store_open(
    const char *path, int durability_full, struct store **out, char **errmsg);

/* Finalizes every statement and closes the connection. NULL is ignored. */
void store_close(struct store *);

/* The schema version this program writes (the number of migrations). */
int store_schema_version(void);

/*
 * The raw connection, for later modules that keep their own statements.
 * It stays owned by the store and is valid until store_close().
 */
sqlite3 *store_db(struct store *);

/*
 * A statement of another module, prepared on first use and kept for the
 * connection's life (SQLITE_PREPARE_PERSISTENT). sql MUST be a string with
 * static storage: its address is the key. The statement comes back reset
 * with no bindings; it is owned by the store. A statement that does not
 * prepare is a programming error (fatal).
 */
sqlite3_stmt *store_stmt(struct store *, const char *sql);

/*
 * Sets the WAL auto-checkpoint threshold in pages (0: off, when another
 * thread checkpoints; SQLite's default is 1000).
 */
int store_autocheckpoint(struct store *, int pages);

/* SQLite's message for the last failure on this connection (store-owned). */
const char *store_errmsg(struct store *);

/* Answers 0 when the database can be read (for /healthz), else negative. */
int store_ping(struct store *);

/*
 * Transactions: store_begin() is BEGIN IMMEDIATE (the write lock is taken
 * at once, waiting up to the busy timeout). store_in_transaction() is true
 * between a begin and its commit or rollback.
 */
int store_begin(struct store *);
int store_commit(struct store *);
int store_rollback(struct store *);
int store_in_transaction(struct store *);

/*
 * Contacts. A contact is created on first sight of a phone number. fields
 * holds the flow's `save` fields as a JSON object text.
 */
struct store_contact {
	int64_t id;         /* rowid */
	char *phone;        /* E.164 */
	char *language;     /* ISO 639-1 code, NULL until one is chosen */
	int opted_out;      /* 1 after a stop word */
	char *fields;       /* JSON object text, never NULL ("{}") */
	char *last_channel; /* channel of the last inbound message, or NULL */
	int64_t created;    /* ms since the epoch */
	int64_t updated;    /* ms since the epoch */
};

/*
 * Finds the contact with this E.164 phone number, creating it when missing
 * (with time now). Fills *out (the caller frees it with
 * store_contact_free()). Returns 0 when it existed, 1 when it was created,
 * STORE_EINVAL for a number that is not E.164, STORE_ERR on failure.
 */
int store_contact_get(
    struct store *, const char *phone, int64_t now, struct store_contact *out);

/*
 * Like store_contact_get(), and records channel (may be NULL) as the
 * contact's last channel when it changed: the one call an inbound message
 * needs (one statement for a known number on the same channel).
 */
int store_contact_touch(struct store *, const char *phone, const char *channel,
    int64_t now, struct store_contact *out);

/* Like store_contact_get() without creating: STORE_NOTFOUND when missing. */
int store_contact_find(
    struct store *, const char *phone, struct store_contact *out);

/* Frees the strings of a filled contact and clears it; the struct stays. */
void store_contact_free(struct store_contact *);

/*
 * Updates one attribute of contact id. Each returns 0, STORE_NOTFOUND when
 * no such contact exists, STORE_EINVAL for a bad argument or STORE_ERR.
 * language NULL clears the choice. Field names are [a-z_][a-z0-9_]* of at
 * most STORE_NAME_MAX bytes; values at most STORE_VALUE_MAX bytes (NULL
 * removes the field). last_channel NULL clears it.
 */
int store_contact_set_language(
    struct store *, int64_t id, const char *lang, int64_t now);
int store_contact_set_field(struct store *, int64_t id, const char *name,
    const char *value, int64_t now);
int store_contact_set_opted_out(
    struct store *, int64_t id, int opted_out, int64_t now);
int store_contact_set_last_channel(
    struct store *, int64_t id, const char *channel, int64_t now);

/*
 * Sessions, keyed by "sms:+2547..." or "ussd:CHANNEL:SESSIONID". The state
 * is the flow engine's JSON text; the store only checks it is valid JSON.
 */
struct store_session {
	int64_t contact_id; /* whose session it is */
	char *flow;         /* the running flow's name */
	char *state;        /* JSON text */
	int64_t expires;    /* ms since the epoch */
};

/*
 * Loads the session with this key unless it has expired at time now. On 0
 * *out is filled (free it with store_session_free()); on STORE_NOTFOUND
 * (missing or expired) its strings are NULL. STORE_ERR on failure.
 */
int store_session_load(
    struct store *, const char *key, int64_t now, struct store_session *out);

/*
 * Inserts or replaces the session with this key. contact_id must exist;
 * state must be a JSON text of at most STORE_STATE_MAX bytes (else
 * STORE_EINVAL).
 */
int store_session_save(struct store *, const char *key, int64_t contact_id,
    const char *flow, const char *state, int64_t expires);

/* Deletes the session with this key (0 also when there was none). */
int store_session_delete(struct store *, const char *key);

/* Deletes sessions expired at time now; returns how many, or STORE_ERR. */
int store_session_purge(struct store *, int64_t now);

/* Frees the strings of a loaded session and clears it. */
void store_session_free(struct store_session *);

/*
 * Issue reports. The report's id is its short sequential number, never
 * reused. Every status change is kept in report_events.
 */
struct store_report {
	int64_t id;         /* the report number */
	int64_t contact_id; /* 0 when there is none (or it was forgotten) */
	char *flow;         /* flow that opened it, or NULL */
	char *category;     /* or NULL */
	char *location;     /* or NULL */
	char *details;      /* or NULL */
	char *status;       /* one of the STORE_REPORT_* names */
	int64_t created;    /* ms since the epoch */
	int64_t updated;    /* ms since the epoch */
};

/*
 * Opens a report with status "open" and its first event, atomically.
 * contact_id 0 means none; the texts may be NULL and are at most
 * STORE_TEXT_MAX bytes. Sets *id to the report number.
 */
int store_report_create(struct store *, int64_t contact_id, const char *flow,
    const char *category, const char *location, const char *details,
    int64_t now, int64_t *id);

/* Loads report id into *out (free with store_report_free()), or
 * STORE_NOTFOUND. */
int store_report_get(struct store *, int64_t id, struct store_report *out);

/* Frees the strings of a loaded report and clears it. */
void store_report_free(struct store_report *);

/*
 * Records a status change (with an optional note) and sets the report's
 * status and updated time, atomically. STORE_EINVAL for an unknown status,
 * STORE_NOTFOUND for an unknown report.
 */
int store_report_add_event(struct store *, int64_t id, const char *status,
    const char *note, int64_t now);

/* Returns 1 if name is one of the report statuses, else 0. */
int store_report_status_valid(const char *name);

/*
 * Subscriptions of a contact to topics ("water", "ward:central"), at most
 * STORE_NAME_MAX bytes. Both calls are idempotent and return 0.
 * store_subscribed() returns 0 when subscribed, STORE_NOTFOUND when not.
 */
int store_subscribe(
    struct store *, int64_t contact_id, const char *topic, int64_t now);
int store_unsubscribe(struct store *, int64_t contact_id, const char *topic);
int store_subscribed(struct store *, int64_t contact_id, const char *topic);

/*
 * Data tables for the flows' `lookup`. A table is a set of rows, each a
 * JSON object of column name to string, keyed by one column's value.
 *
 * store_lookup() finds the first row (in import order) whose column equals
 * value: through the key index when column is the key column, else by
 * scanning the table's rows. Returns 0 and sets *row_json to the row's JSON
 * object text (the caller frees it), STORE_NOTFOUND when no row matches,
 * STORE_ENOTABLE for a table never imported, STORE_EINVAL for a column the
 * table does not have, STORE_ERR on failure.
 */
int store_lookup(struct store *, const char *table, const char *column,
    const char *value, char **row_json);

/*
 * Replacing a table, for the importer; the caller MUST wrap the three calls
 * in one transaction. store_table_replace_begin() records the table's key
 * column and columns (a JSON array text) and deletes its old rows;
 * store_table_add_row() adds one row (STORE_EDUP when the key is already
 * present); store_table_replace_end() records the row count.
 */
int store_table_replace_begin(struct store *, const char *table,
    const char *key_column, const char *columns_json, int64_t now);
int store_table_add_row(struct store *, const char *table, const char *key,
    size_t keylen, const char *row_json, size_t rowlen);
int store_table_replace_end(struct store *, const char *table, int64_t rows);

/*
 * Savepoints: atomic groups that nest inside a transaction, or start one
 * when there is none. Used by the importer and the multi-row calls above.
 */
int store_savepoint(struct store *);
int store_release(struct store *);
int store_rollback_to(struct store *);

#endif
