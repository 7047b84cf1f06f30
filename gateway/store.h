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

struct store;

enum store_status {
	STORE_NOTFOUND = 1,  /* no such row (or session expired) */
	STORE_OK = 0,        /* success */
	STORE_ERR = -1,      /* SQLite failure, see store_errmsg() */
	STORE_EINVAL = -2,   /* a bad argument: status name, too long... */
	STORE_EDUP = -3,     /* duplicate key while filling a data table */
	STORE_ENOTABLE = -4, /* lookup in a table that was never imported */
	STORE_EDOUBT = -5,   /* a commit whose answer was lost: it may have
				landed (PostgreSQL's connection dropped) */
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

/*
 * As store_open, for a database that may be a PostgreSQL URI (see
 * store_is_postgres) with its password (NULL: none, or libpq's own ways).
 */
int store_open_db(const char *database, const char *password,
    int durability_full, struct store **out, char **errmsg);

/*
 * Opens *reader on database for a thread of libuv's pool, unless it is
 * open already (the figures of /metrics and of the console's overview are
 * read there, each on a connection of its own): 0, or -1 with *reader
 * NULL and a warning logged under who.
 */
int store_open_reader(struct store **reader, const char *database,
    const char *password, const char *who);

/* Finalizes every statement and closes the connection. NULL is ignored. */
void store_close(struct store *);

/* The schema version this program writes (the number of migrations). */
int store_schema_version(void);

/*
 * Answers 1 when database names a PostgreSQL database (a postgresql:// or
 * postgres:// URI) rather than a SQLite file.
 */
int store_is_postgres(const char *database);

/* A PostgreSQL URI without its password, to show; allocated. */
char *store_redact(const char *uri);

/* Told of each migration applied: the version reached and what it does. */
typedef void store_migrate_fn(void *arg, int version, const char *what);

/*
 * `baraza migrate`: brings database (a SQLite file or a PostgreSQL URI,
 * with password or NULL) up to date now, telling report (may be NULL) of
 * each migration applied; *from and *to get the versions before and after
 * (the kind's own numbering: SQLite's user_version, PostgreSQL's
 * baraza_schema). Running it again applies nothing. 0, or -1 with *errmsg
 * set (the caller frees it).
 */
int store_migrate(const char *database, const char *password,
    store_migrate_fn *report, void *arg, int *from, int *to, char **errmsg);

/*
 * `baraza copy-store FROM TO` (store_copy.c): copies every row of the
 * store from into the store to (each a SQLite file or a PostgreSQL URI),
 * which is migrated first and must hold no row; ids are kept, and so is
 * where each id sequence stands (an id once given is not given again). from
 * is read in one snapshot; to is written in one transaction, so a failure
 * leaves it empty. progress (may be NULL) is told of each table: its name,
 * the rows copied so far and its total, every 1,000 rows and at its end
 * (done == total). 0, or -1 with *errmsg set (the caller frees it).
 */
int store_copy(const char *from, const char *to,
    void (*progress)(void *arg, const char *table, int64_t done, int64_t total),
    void *arg, char **errmsg);

/*
 * Calls cb with the name of each data table of database (a SQLite file,
 * opened read-only, or a PostgreSQL URI with its password or NULL), not
 * migrated (for `check`, which must not change a live database); cb
 * returning non-zero stops the walk. Returns 0, STORE_NOTFOUND when there
 * is no database (or no schema) yet, or STORE_ERR with a message in
 * *errmsg (free it).
 */
int store_peek_tables(const char *database, const char *password,
    int (*cb)(void *, const char *name), void *arg, char **errmsg);

/*
 * Sets the WAL auto-checkpoint threshold in pages (0: off, when another
 * thread checkpoints; SQLite's default is 1000).
 */
int store_autocheckpoint(struct store *, int pages);

/*
 * Calls fn(arg, frames) after each commit with the pages the WAL holds;
 * replaces the automatic checkpoint (fn NULL: no hook at all). When fn
 * returns 1, a PASSIVE checkpoint runs at once on this connection, between
 * the commit and the next transaction, which then starts the WAL over if
 * the checkpoint copied every frame.
 */
void store_wal_hook(struct store *, int (*fn)(void *, int frames), void *arg);

/* SQLite's message for the last failure on this connection (store-owned). */
const char *store_errmsg(struct store *);

/* Answers 0 when the database can be read (for /healthz), else negative. */
int store_ping(struct store *);

/*
 * Transactions: store_begin() is BEGIN IMMEDIATE (the write lock is taken
 * at once, waiting up to the busy timeout). store_in_transaction() is true
 * between a begin and its commit or rollback. store_commit() returns 0,
 * STORE_ERR (not committed: the caller rolls back), or STORE_EDOUBT when
 * the connection was lost during the COMMIT and whether it landed cannot
 * be known (PostgreSQL only; the caller rolls back all the same).
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
 * needs (one statement for a known number on the same channel). Returns 0
 * for a contact found, 1 for one created, or a negative store status.
 */
int store_contact_touch(struct store *, const char *phone, const char *channel,
    int64_t now, struct store_contact *out);

/*
 * The rest of store_contact_touch() for a contact c read in this
 * transaction: records channel (may be NULL) as its last channel when it
 * changed, in the store and in *c. 0, or the store's error.
 */
int store_contact_seen(
    struct store *, struct store_contact *c, const char *channel, int64_t now);

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
 *
 * A USSD session also keeps what USSD resume needs (dialog.c): the channel
 * and the code its first step dialled ("at *384#", its resume key), the
 * time of its last step, the last screen shown and whether the resume menu
 * is showing. A session cut off without END outlives its USSD session id
 * this way: its row stays until it expires, and a new session of the same
 * contact with the same resume key finds it (store_session_resumable).
 */
struct store_session {
	int64_t contact_id; /* whose session it is */
	char *flow;         /* the running flow's name */
	char *state;        /* JSON text */
	int64_t expires;    /* ms since the epoch */
	int64_t last;       /* its last step, ms; 0 when not kept */
	char *resume;       /* USSD: "CHANNEL CODE", or NULL: not resumable */
	char *screen;       /* USSD: the last screen shown, or NULL */
	int menu;           /* USSD: 1 while the resume menu shows */
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

/*
 * Inserts or replaces the session with this key with every member of *s
 * (strings borrowed; resume and screen may be NULL). Checks as
 * store_session_save; resume and screen are at most STORE_TEXT_MAX bytes.
 */
int store_session_put(
    struct store *, const char *key, const struct store_session *s);

/*
 * Finds the newest session of contact_id whose resume key is resume, whose
 * last step came after since and which has not expired at now: 0 with
 * *key (a string the caller frees) and *out filled as store_session_load
 * does, STORE_NOTFOUND, or STORE_ERR.
 */
int
store_session_resumable(struct store *, int64_t contact_id, const char *resume,
    int64_t since, int64_t now, char **key, struct store_session *out);

/* Deletes the session with this key (0 also when there was none). */
int store_session_delete(struct store *, const char *key);

/*
 * Deletes sessions expired at time now; returns how many, or STORE_ERR.
 * Reads the sessions past the expiry they began with (purge_after), and
 * moves the purge_after of those still alive up to their expires.
 */
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

/*
 * What a rollback undoes, for whoever keeps in memory something a write
 * stands for (the dispatcher: a message stored claimed, to hand over after
 * the commit). store_mark() gives the store's write clock now, growing at
 * each call and at each savepoint. After store_rollback_to() undo(arg,
 * since) is called: every write marked after `since` is undone; after
 * store_rollback(), undo(arg, 0). One undo per store (NULL: none).
 */
uint64_t store_mark(struct store *);
void
store_on_undo(struct store *, void (*undo)(void *, uint64_t since), void *arg);

/*
 * Messages and the outbound queue (store_msg.c): one row per message in
 * either direction. The core names a message's state with enum msg_state;
 * the store keeps it as the state's name (msg_state_name()). Every write
 * joins the caller's transaction. Returns as above: 0, STORE_NOTFOUND where
 * a lookup finds nothing, a negative enum store_status (logged).
 */

/* A message's state: outbound first, then inbound. */
enum msg_state {
	MSG_QUEUED,    /* out: waiting for its next attempt */
	MSG_SENDING,   /* out: handed to a channel, answer pending */
	MSG_SENT,      /* out: accepted by the channel */
	MSG_DELIVERED, /* out: a delivery report said so (final) */
	MSG_FAILED,    /* out: given up (final) */
	MSG_RECEIVED,  /* in: stored, its flow not run yet */
	MSG_HANDLED,   /* in: its flow ran */
	MSG_IGNORED,   /* in: kept, not answered (flood, refused input) */
	MSG_NSTATES
};

/* A message's kind. */
enum msg_kind {
	MSG_SMS,
	MSG_USSD,
};

/* A message's direction. */
enum msg_direction {
	MSG_IN,
	MSG_OUT,
};

/* The state's name ("queued", ...), a static string; NULL when invalid. */
const char *msg_state_name(enum msg_state);

/* Sets *out to the state called name. 0, or STORE_EINVAL for no state. */
int msg_state_parse(const char *name, enum msg_state *out);

/* An inbound message to store; the strings are borrowed for the call. */
struct store_msg_in {
	const char *channel;     /* the channel it came on */
	enum msg_kind kind;      /* SMS or USSD */
	const char *phone;       /* E.164 */
	const char *text;        /* UTF-8 */
	enum msg_state state;    /* received, handled or ignored */
	const char *provider_id; /* the channel's id, NULL or "" when none */
	int64_t contact_id;      /* its contact, 0 when none or not known */
};

/*
 * Stores an inbound message at time now, linked to m->contact_id (none
 * when 0), and sets *id. A message whose (channel, provider_id) is stored
 * already is not stored again: STORE_EDUP, with *id set to the stored
 * message's id (0 if it cannot be read). STORE_EINVAL for an outbound
 * state, STORE_ERR on failure.
 */
int store_msg_insert_inbound(
    struct store *, const struct store_msg_in *, int64_t now, int64_t *id);

/*
 * The same, with the message's contact_id set to the contact of its number
 * if there is one (m->contact_id is not read), which *contact gets whole
 * (read with the message's insert, so that its flow need not read it
 * again: store_contact_seen(); id 0 and no fields when the number has none
 * yet). The caller frees *contact with store_contact_free() whatever the
 * result.
 */
int
store_msg_insert_inbound_contact(struct store *, const struct store_msg_in *,
    int64_t now, int64_t *id, struct store_contact *contact);

/*
 * Sets the state of inbound message id once its flow ran (or will not),
 * and its contact (0: none). 0, STORE_EINVAL for an outbound state, or
 * STORE_ERR.
 */
int store_msg_inbound_state(struct store *, int64_t id, enum msg_state,
    int64_t contact_id, int64_t now);

/* An inbound SMS left "received", valid during the callback. */
struct store_msg_received {
	int64_t id;          /* the message */
	const char *channel; /* its channel */
	const char *phone;   /* its sender */
	const char *text;    /* its text, or NULL (forgotten) */
};
typedef int (*store_msg_received_cb)(
    void *arg, const struct store_msg_received *);

/*
 * Walks the inbound SMS still "received" (their flow never ran: a crash,
 * a fetch unanswered) in id order. The callback MUST NOT write to the
 * store; a non-zero return stops the walk. 0 or STORE_ERR.
 */
int store_msg_each_received(struct store *, store_msg_received_cb, void *arg);

/*
 * The same walk for a node to take the messages on (their flows run on
 * it). On SQLite (one gateway a file) every one, or none with others. On
 * PostgreSQL: those this node stored and those no node did, and the ones
 * a node not heard from since now - lease stored (only those with others,
 * as the heartbeat does: this node's own may be running now); each is
 * marked as this node's in the turn's transaction, so no two nodes take
 * one. 0 or STORE_ERR.
 */
int store_msg_adopt_received(struct store *, int64_t now, int64_t lease,
    int others, store_msg_received_cb, void *arg);

/* An outbound message to store; the strings are borrowed for the call. */
struct store_msg_out {
	const char *channel;  /* the channel to send it on */
	enum msg_kind kind;   /* SMS or USSD */
	int64_t contact_id;   /* 0 when none */
	const char *phone;    /* E.164 */
	const char *text;     /* UTF-8 */
	enum msg_state state; /* queued, sending, or sent (a USSD screen) */
	int segments;         /* SMS parts */
	int64_t next_attempt; /* ms, when queued or sending (else none) */
	int64_t broadcast_id; /* 0 when none */
};

/*
 * Stores an outbound message at time now and sets *id (when not NULL): the
 * one write of a new outbound row. A message stored "sending" is claimed
 * as it is stored, as store_queue_claim() would (its first attempt, this
 * node's): the caller hands it to its channel once the row is durable.
 * STORE_EINVAL for an inbound state, or STORE_ERR.
 */
int store_msg_insert_outbound(
    struct store *, const struct store_msg_out *, int64_t now, int64_t *id);

/* A message as the admin API shows it; free it with store_msg_free(). */
struct store_msg {
	int64_t id;                   /* the message's id */
	enum msg_direction direction; /* in or out */
	char *channel;                /* owned */
	char *phone;                  /* owned; E.164 */
	enum msg_state state;         /* its state now */
	char *error;                  /* owned, or NULL */
	char *provider_id;            /* owned, or NULL */
	int attempts;                 /* sending attempts */
	int segments;                 /* SMS parts */
	int64_t created;              /* ms */
	int64_t updated;              /* ms */
};

/* Loads message id into *out. 0, STORE_NOTFOUND or STORE_ERR. */
int store_msg_get(struct store *, int64_t id, struct store_msg *out);

/* Frees the strings of a loaded message and clears it. */
void store_msg_free(struct store_msg *);

/* A message claimed for sending; the strings are owned by the array. */
struct store_queue_msg {
	int64_t id;      /* message id */
	char *phone;     /* E.164 */
	char *text;      /* the text */
	int attempts;    /* including this one */
	int64_t created; /* ms */
	int segments;    /* SMS segments of the text */
};

/*
 * Claims up to max queued messages of channel due at now, the earliest
 * due first: they become "sending" with one more attempt. On 0 *out is an
 * array of *n messages the caller frees with store_queue_msgs_free() (*n
 * may be 0, and *out then NULL). STORE_ERR on failure (*out NULL, *n 0).
 */
int store_queue_claim(struct store *, const char *channel, int64_t now,
    size_t max, struct store_queue_msg **out, size_t *n);

/* The same, of the messages whose id is at most max_id only. */
int store_queue_claim_upto(struct store *, const char *channel, int64_t now,
    size_t max, int64_t max_id, struct store_queue_msg **out, size_t *n);

/* The largest message id stored (0: none), or STORE_ERR. */
int64_t store_msg_max_id(struct store *);
void store_queue_msgs_free(struct store_queue_msg *, size_t n);

/*
 * The outcomes of an attempt on message id. sent: accepted, with the
 * channel's id (may be NULL), its segments added to its channel's spend
 * of the day (store_spend.c); retry: queued again for next_attempt with
 * the reason (may be NULL); both only while the message is "sending".
 * fail: failed for good with the reason (NULL: "failed"). 0 or STORE_ERR.
 */
int store_queue_sent(
    struct store *, int64_t id, const char *provider_id, int64_t now);
/*
 * The same for a message whose channel and segments the caller has from
 * its claim (struct store_queue_msg): the spend takes them as given
 * instead of reading the message again.
 */
int store_queue_sent_claimed(struct store *, int64_t id,
    const char *provider_id, const char *channel, int segments, int64_t now);
int store_queue_retry(struct store *, int64_t id, int64_t next_attempt,
    const char *error, int64_t now);
int
store_queue_fail(struct store *, int64_t id, const char *error, int64_t now);

/*
 * A delivery report for channel: the outbound message is found by the
 * channel's provider_id or, when provider_id is NULL, by its own id
 * own_id. Its state becomes state (sent, delivered or failed) with error
 * (may be NULL); a final state is never taken back. 0, STORE_NOTFOUND when
 * no message matched or it is final already, STORE_EINVAL for an inbound
 * state, or STORE_ERR.
 */
int
store_queue_report(struct store *, const char *channel, const char *provider_id,
    int64_t own_id, enum msg_state state, const char *error, int64_t now);

/*
 * The newest outbound message of channel whose provider_id is provider_id
 * (a GSM modem's references repeat after 256 messages: the newest is the
 * one a report is about). 0 with *id, STORE_NOTFOUND or STORE_ERR.
 */
int store_queue_newest(
    struct store *, const char *channel, const char *provider_id, int64_t *id);

/*
 * At start-up: messages left "sending" by a crash are queued again, due
 * at now. Returns how many, or STORE_ERR. On SQLite (one gateway a file)
 * that is all of them; on PostgreSQL, with a node's name set, the ones
 * this node claimed and those claimed by no node, so that a node starting
 * never takes back what another one is sending (store_queue_sweep takes a
 * dead node's).
 */
int store_queue_recover(struct store *, int64_t now);

/*
 * Several nodes on one database (docs/postgresql.md): the claims of
 * store_queue_claim carry the node's name.
 */
#define STORE_NODE_LEASE_MS 30000 /* a node unheard of this long is dead */
#define STORE_NODE_BEAT_MS 5000   /* how often a serving node says so */

/*
 * Whether the last failure was transient: PostgreSQL ended the statement
 * in a deadlock or a serialization failure (SQLSTATE 40P01, 40001), which
 * the same writes may well pass a moment later, once rolled back to a
 * savepoint. 0 on SQLite.
 */
int store_transient(struct store *);

/* Names the node this store serves as (copied; NULL: none). */
void store_set_node(struct store *, const char *name);

/*
 * The node's heartbeat at now: the nodes table records that the node named
 * by store_set_node, in its run instance (any text that differs between
 * two runs), is alive. *other (may be NULL) gets when another instance of
 * the same name was last heard from, 0 when none was (a restart's previous
 * instance reads as another: the caller compares with the lease). 0,
 * STORE_EINVAL (no name set) or STORE_ERR.
 */
int store_node_beat(
    struct store *, const char *instance, int64_t now, int64_t *other);

/*
 * Queues again, due at now, the messages that a node not heard from since
 * now - lease left "sending" (a node killed): claims of no node are left
 * to store_queue_recover. Returns how many, or STORE_ERR.
 */
int store_queue_sweep(struct store *, int64_t now, int64_t lease);

/*
 * The flood guard in the database, for nodes that share it: counts one
 * message from phone at now in the number's window of period ms (a window
 * starts with the first message after the last one passed) and sets
 * *count to the messages in the window, this one included. 0 or
 * STORE_ERR.
 */
int store_flood_hit(struct store *, const char *phone, int64_t now,
    int64_t period, int64_t *count);

/* What a USSD session sent last, and the screen it was answered. */
struct store_ussd_last {
	char *text;   /* the cumulative text, or NULL: none kept */
	char *screen; /* its answer, or NULL: not answered (yet) */
	int end;      /* the answer ended the session */
};

/*
 * The last cumulative USSD text of a session (Africa's Talking sends the
 * whole path "1*2*3") and its answer, kept for nodes that share the
 * database: stores text for key at now and sets *prev to what was kept
 * before (store_ussd_last_free). A text that is not the one kept forgets
 * the screen kept with it. 0 or STORE_ERR (then *prev is empty).
 */
int store_ussd_seen(struct store *, const char *key, const char *text,
    int64_t now, struct store_ussd_last *prev);

/*
 * Keeps screen (end: it ends the session) as the answer to key's last text,
 * in the caller's transaction, so that the same request again (a network's
 * retry) is answered the same. 0 or STORE_ERR.
 */
int
store_ussd_screen(struct store *, const char *key, const char *screen, int end);

void store_ussd_last_free(struct store_ussd_last *);

/*
 * Forgets flood windows that started at or before flood_before and USSD
 * texts kept at or before ussd_before, and nodes unheard of since
 * node_before. Returns the rows removed, or STORE_ERR.
 */
int64_t store_shared_purge(struct store *, int64_t flood_before,
    int64_t ussd_before, int64_t node_before);

/*
 * The parts of long SMS that a provider delivers one webhook a part
 * (Vonage), kept until the gateway joins them (gateway/parts.c). A part
 * is known by its provider id (channel's); a set is the parts waiting
 * (not joined) of channel, phone and the reference the phone gave it,
 * seq counting from 1 to total. Phones reuse references, so joined parts
 * belong to no set: they keep their key, not their text, for a while, so
 * that a provider's retry of one is known.
 */
struct store_sms_part {
	int seq, total;
	char *provider_id;
	char *text; /* "" once joined */
	int64_t received;
	int joined; /* store_part_put: keep it joined (a get reads waiting
		       parts only: 0) */
};

/* A set with parts waiting (store_parts_due). */
struct store_part_set {
	char *phone;
	char *ref;
};

/*
 * Keeps part p of channel's set (phone, ref) in the caller's transaction,
 * waiting or joined as p says. 1 kept, 0 kept already (its provider id),
 * or STORE_ERR.
 */
int store_part_put(struct store *, const char *channel, const char *phone,
    const char *ref, const struct store_sms_part *p);

/*
 * Holds the set (channel, phone, ref) until the end of the caller's
 * transaction, so that nodes sharing a database take its parts one after
 * the other (PostgreSQL: an advisory lock; SQLite has one writer). 0 or
 * STORE_ERR.
 */
int store_parts_lock(
    struct store *, const char *channel, const char *phone, const char *ref);

/* 1 when channel's part provider_id is kept (waiting or joined), 0 when
 * not, or STORE_ERR. */
int
store_part_seen(struct store *, const char *channel, const char *provider_id);

/* The parts of a set waiting, by seq, into *out (store_parts_free). 0 or
 * STORE_ERR (then *out is NULL, *n 0). */
int store_parts_get(struct store *, const char *channel, const char *phone,
    const char *ref, struct store_sms_part **out, size_t *n);

/* Marks a set's waiting parts joined and forgets their texts. Returns how
 * many, or STORE_ERR. */
int store_parts_joined(
    struct store *, const char *channel, const char *phone, const char *ref);

/* At most max of channel's sets with a part waiting since before or
 * earlier, into *out (store_part_sets_free). 0 or STORE_ERR. */
int store_parts_due(struct store *, const char *channel, int64_t before,
    size_t max, struct store_part_set **out, size_t *n);

/* Forgets joined parts received at or before before. Rows removed, or
 * STORE_ERR. */
int64_t store_parts_purge(struct store *, int64_t before);

void store_parts_free(struct store_sms_part *, size_t n);
void store_part_sets_free(struct store_part_set *, size_t n);

/* The earliest next attempt of channel's queued messages, or -1. */
int64_t store_queue_next_due(struct store *, const char *channel);

/*
 * Moves channel from's queued messages due by due_by to channel to (its
 * fallback), due at now at the latest: now for those due (a modem down),
 * INT64_MAX for every one (a provider failing: those waiting to be tried
 * again too). Returns how many, or STORE_ERR.
 */
int store_queue_move(struct store *, const char *from, const char *to,
    int64_t now, int64_t due_by);

/*
 * The rest (store_misc.c): Idempotency-Key answers, modem state, the
 * process-wide set-up of the database library. Returns as above.
 */

#define STORE_IDEM_HASH 32 /* bytes of a request's hash (SHA-256) */

/* The first answer kept for an Idempotency-Key. */
struct store_idem {
	unsigned char hash[STORE_IDEM_HASH]; /* the request's hash */
	size_t hash_len; /* bytes the row held (at most the first 32 kept) */
	int status;      /* the HTTP status answered */
	char *answer;    /* the JSON body answered; owned */
	int64_t created; /* ms */
};

/*
 * Loads the answer kept for key at endpoint into *out (free it with
 * store_idem_free()), whatever its age. 0, STORE_NOTFOUND or STORE_ERR.
 */
int store_idem_get(struct store *, const char *endpoint, const char *key,
    struct store_idem *out);

/* Frees the answer of a loaded row and clears it. */
void store_idem_free(struct store_idem *);

/*
 * Keeps (or replaces) the answer for key at endpoint: the request's hash,
 * the status and JSON answer given, at time now. 0 or STORE_ERR.
 */
int store_idem_put(struct store *, const char *endpoint, const char *key,
    const unsigned char hash[STORE_IDEM_HASH], int status, const char *answer,
    int64_t now);

/* Drops the answers created before `before` (ms). How many, or STORE_ERR. */
int64_t store_idem_purge(struct store *, int64_t before);

/*
 * A modem channel's row of state, as struct store_modem (with `baraza
 * stats`, below): store_modem_state_get() calls cb once with the row kept
 * for channel and returns 0, or STORE_NOTFOUND without one, or STORE_ERR.
 * store_modem_state_put() keeps m as the channel's row: a balance_at or
 * updated of 0 or less stores none. 0 or STORE_ERR.
 */
struct store_modem;
int store_modem_state_get(struct store *, const char *channel,
    int (*cb)(void *arg, const struct store_modem *), void *arg);
int store_modem_state_put(struct store *, const struct store_modem *m);

/*
 * Sets up the database library for this process: each connection is used
 * by one thread at a time, and no memory statistics are kept. Call it
 * first, before any other store call. Returns 0, or STORE_ERR when the
 * library was in use already.
 */
int store_library_init(void);

/* The database library and its version ("SQLite 3.45.1"), static. */
const char *store_library_version(void);

/*
 * The council's and the commands' queries (store_council.c): broadcasts,
 * forgetting a contact, the retention purge, reports beyond their rows,
 * and the figures of /metrics and `baraza stats`. Returns as above: 0,
 * STORE_NOTFOUND where a lookup finds nothing, a negative enum
 * store_status (logged). A walk over rows calls its callback once a row,
 * with pointers valid only during the call; a callback MUST NOT start the
 * same walk again, and a non-zero return stops the walk (which then
 * returns 0).
 */

/* A name of a row (a topic, a category), valid during the call. */
typedef int (*store_name_cb)(void *arg, const char *name);

/* A count by two names (channel and state; category and status). */
typedef int (*store_tally_cb)(
    void *arg, const char *a, const char *b, int64_t n);

/* Broadcasts: one text to the subscribers of a topic. */

/* Sets *n to the subscribers of topic who have not opted out. */
int store_broadcast_audience(struct store *, const char *topic, int64_t *n);

/*
 * Records a broadcasts row with no recipients yet (topic NULL for a notify
 * run, channel may be NULL) and sets *id. Returns 0 or STORE_ERR.
 */
int store_broadcast_insert(struct store *, const char *text, const char *topic,
    const char *channel, int64_t now, int64_t send_at, int64_t *id);

/*
 * Sets the recipients and segments of broadcast id; recipients -1: the
 * messages queued for it, counted (one range of an index, where reading
 * their states took their rows: 50 ms for 100,000). 0 or STORE_ERR.
 */
int store_broadcast_set_totals(
    struct store *, int64_t id, int64_t recipients, int64_t segments);

/*
 * A broadcast queued a chunk of its audience a loop turn (queued_upto):
 * broadcast id's last contact queued becomes upto (0: none yet; -1: every
 * one, the broadcast is done) if it still is `from` (-1: the broadcast is
 * not being queued, as when it is made so). Returns 1 when it moved, 0
 * when it was not `from` (another node queued that chunk first: the
 * caller undoes its own), or STORE_ERR.
 */
int
store_broadcast_advance(struct store *, int64_t id, int64_t from, int64_t upto);

/* One chunk of a broadcast to queue; the strings are borrowed. */
struct store_broadcast_chunk {
	int64_t id;           /* the broadcasts row */
	const char *topic;    /* whose subscribers */
	const char *text;     /* every message's text */
	const char *channels; /* the configured channel names, a JSON array */
	const char *channel;  /* the broadcast's own channel */
	int64_t segments;     /* per message */
	int64_t send_at;      /* the messages' next_attempt, ms */
	int64_t now;          /* their created and updated times, ms */
	int64_t limit;        /* at most this many recipients */
};

/*
 * Queues, in one INSERT ... SELECT, a message to each of the next c->limit
 * subscribers of c->topic who have not opted out, in contact order after
 * contact *after: on the contact's last channel when c->channels names
 * it, else on c->channel. Sets *n to the messages queued and, when there
 * were some, *after to the last contact. The caller holds the transaction.
 * Returns 0 or STORE_ERR.
 */
int store_broadcast_queue_chunk(struct store *,
    const struct store_broadcast_chunk *c, int64_t *after, int64_t *n);

/* A stored broadcast with its messages counted by state. */
struct store_broadcast {
	int64_t id;         /* the broadcast's id */
	char *text;         /* owned; the template for a notify run */
	char *topic;        /* owned; NULL for a notify run */
	char *channel;      /* owned; NULL if none was recorded */
	int64_t created;    /* ms since the epoch */
	int64_t send_at;    /* ms since the epoch */
	int64_t recipients; /* messages queued */
	int64_t segments;   /* per message (notify: the largest) */
	int64_t queued;     /* messages by state, now */
	int64_t sending;
	int64_t sent;
	int64_t delivered;
	int64_t failed;
};

/*
 * Loads broadcast id with its counts by state into *out (free it with
 * store_broadcast_free()). 0, STORE_NOTFOUND or STORE_ERR.
 */
int store_broadcast_get(struct store *, int64_t id, struct store_broadcast *);
void store_broadcast_free(struct store_broadcast *);

/*
 * The oldest broadcast still being queued (store_broadcast_advance): 0
 * with its row in *out (the counts by state left 0; free it with
 * store_broadcast_free()) and the last contact queued in *upto,
 * STORE_NOTFOUND when none is, or STORE_ERR.
 */
int store_broadcast_pending(
    struct store *, struct store_broadcast *out, int64_t *upto);

/*
 * Turns the connection's foreign key checks off (on = 0) or back on, for
 * a bulk write whose references hold by construction. SQLite ignores it
 * inside a transaction: call it outside, around one's own. 0 or STORE_ERR.
 */
int store_foreign_keys(struct store *, int on);

/* A contact's data, for `baraza contact` and the reports' SMS. */

/* Like store_contact_find() by the contact's id. */
int store_contact_by_id(struct store *, int64_t id, struct store_contact *out);

/* Walks the topics contact_id is subscribed to, in name order. */
int store_contact_topics(
    struct store *, int64_t contact_id, store_name_cb cb, void *arg);

/* Messages of a contact by direction and state, valid during the call. */
struct store_contact_count {
	const char *direction; /* "in" or "out" */
	const char *state;     /* the messages' state */
	int64_t n;             /* messages */
	int64_t with_text;     /* of them, those whose text is kept */
};
typedef int (*store_contact_count_cb)(
    void *arg, const struct store_contact_count *);

/*
 * Walks the counts of the messages linked to contact_id or to or from
 * phone, by direction then state.
 */
int store_contact_messages(struct store *, int64_t contact_id,
    const char *phone, store_contact_count_cb cb, void *arg);

/* Sets *n to the sessions of contact_id not expired at now. */
int store_contact_sessions(
    struct store *, int64_t contact_id, int64_t now, int64_t *n);

/* A report of a walk and its last non-empty note (or NULL). */
typedef int (*store_report_cb)(
    void *arg, const struct store_report *, const char *last_note);

/*
 * Walks the reports of contact_id in number order: only id, contact_id,
 * status, category (or NULL) and created are filled; last_note is NULL.
 */
int store_contact_reports(
    struct store *, int64_t contact_id, store_report_cb cb, void *arg);

/* What forgetting a contact erased (council/privacy.h tells the rules). */
struct store_forgotten {
	int64_t texts;         /* message texts blanked */
	int64_t cancelled;     /* queued messages cancelled */
	int64_t in_flight;     /* texts kept: the message is being sent */
	int64_t messages;      /* message rows deleted (all but in flight) */
	int64_t sessions;      /* sessions deleted */
	int64_t subscriptions; /* subscriptions deleted */
	int64_t reports;       /* reports unlinked */
	int64_t fields;        /* saved fields erased */
	int language;          /* 1 when a language choice was erased */
};

/*
 * Forgets contact id in the caller's transaction (the caller MUST hold
 * one and roll it back on failure): its messages (linked to it or to or
 * from its number) deleted, but for those being sent this instant (their
 * rows and texts stay until the next purge); its queued ones counted as
 * cancelled first; its sessions and subscriptions deleted, its reports
 * unlinked, its fields, language and last channel cleared; the row, number
 * and opt-out stay (a STOP must still be honoured). Fills *out.
 * 0, STORE_NOTFOUND for an unknown contact, or STORE_ERR.
 */
int store_contact_forget(
    struct store *, int64_t id, int64_t now, struct store_forgotten *out);

/*
 * Blanks the text of every message whose id is in [from, to) and that was
 * created before `before` (ms), except queued and sending ones, and sets
 * *left to the smallest id in that range whose text stays (queued or
 * sending, or created since), 0 when none. Returns how many texts went, or
 * STORE_ERR.
 */
int64_t store_privacy_purge(
    struct store *, int64_t before, int64_t from, int64_t to, int64_t *left);

/* Reports: lists and their events. */

/*
 * Which reports to list. Every list that is empty (n = 0) matches all;
 * several lists must all match. Times bound the creation time (ms,
 * inclusive) when has_since / has_until is set. limit 0 means no limit.
 * The pointers are borrowed for the call.
 */
struct store_report_filter {
	const char *const *statuses; /* exact status names */
	size_t nstatuses;
	const char *const *categories; /* exact category values */
	size_t ncategories;
	const int64_t *ids; /* report numbers */
	size_t nids;
	int has_since, has_until;
	int64_t since, until; /* creation time bounds, ms */
	size_t limit;         /* at most this many rows, 0 = all */
};

/*
 * Walks the reports f matches (NULL: all), newest first, each with its
 * last non-empty note. 0 (also when the callback stopped it) or STORE_ERR.
 */
int store_report_each(struct store *, const struct store_report_filter *f,
    store_report_cb cb, void *arg);

/* An event of a report: its time (ms), status ("" if none) and note. */
typedef int (*store_report_event_cb)(
    void *arg, int64_t time, const char *status, const char *note);

/*
 * Walks the newest max events of report id in time order (an unknown
 * report has none). 0 or STORE_ERR.
 */
int store_report_events(struct store *, int64_t id, size_t max,
    store_report_event_cb cb, void *arg);

/*
 * Sets *note to the last non-empty note of report id, a string the caller
 * frees. 0, STORE_NOTFOUND (*note NULL) or STORE_ERR.
 */
int store_report_last_note(struct store *, int64_t id, char **note);

/* Walks at most max distinct non-empty report categories, in name order. */
int store_report_categories(
    struct store *, size_t max, store_name_cb cb, void *arg);

/* Figures for /metrics and `baraza stats`. */

/* Walks the messages counted by channel and state, in that order. */
int store_stats_messages(struct store *, store_tally_cb cb, void *arg);

/* Walks the reports counted by category ("" for none) and status. */
int store_stats_reports(struct store *, store_tally_cb cb, void *arg);

/* Sets *n to the sessions not expired at now. */
int store_stats_sessions(struct store *, int64_t now, int64_t *n);

#define STORE_RES_BOUNDS 8 /* bounds of the time to resolution */

/* The time to resolution of the reports resolved or closed. */
struct store_resolution {
	int64_t resolved;             /* reports resolved or closed */
	double sum;                   /* their seconds to resolution */
	int64_t le[STORE_RES_BOUNDS]; /* of them, at most bounds[i] seconds */
};

/*
 * Fills *out: a report's time to resolution runs from its creation to its
 * first resolved or closed event. bounds are seconds. 0 or STORE_ERR.
 */
int store_stats_resolution(struct store *,
    const double bounds[STORE_RES_BOUNDS], struct store_resolution *out);

/* A failed outbound message; the texts are valid during the call. */
struct store_failure {
	int64_t when;        /* its last update, ms */
	const char *channel; /* or NULL */
	const char *phone;   /* or NULL */
	const char *error;   /* "" when no reason was kept */
};
typedef int (*store_failure_cb)(void *arg, const struct store_failure *);

/* Walks the last limit failed messages, newest first. */
int store_stats_failures(struct store *, int limit, store_failure_cb, void *);

/* A modem's state as the gateway last kept it, valid during the call. */
struct store_modem {
	const char *channel;    /* the modem channel */
	int up;                 /* 1: it answered its last heartbeat */
	int signal;             /* percent */
	const char *network;    /* or NULL */
	const char *balance;    /* the last balance answer, or NULL */
	int64_t balance_at;     /* its time in ms, -1 when none */
	const char *last_error; /* or NULL */
	int64_t failures;       /* failed sends */
	int64_t restarts;       /* worker restarts */
	int64_t updated;        /* ms, -1 when none */
};
typedef int (*store_modem_cb)(void *arg, const struct store_modem *);

/* Walks the kept modem states in channel order. */
int store_stats_modems(struct store *, store_modem_cb cb, void *arg);

/* 0 when a state is kept for modem channel, STORE_NOTFOUND, or STORE_ERR. */
int store_stats_modem_known(struct store *, const char *channel);

/*
 * The staff console's users, their web sessions and the audit log
 * (store_users.c). A user's role is one of "viewer", "staff", "admin"
 * (anything else is STORE_EINVAL); a hash is the password hash text the
 * council made (the store never sees a password). A web session's id is
 * the SHA-256 of the cookie's value (STORE_WEB_SESSION_ID bytes). Every
 * write joins the caller's transaction. Returns as above: 0,
 * STORE_NOTFOUND where a lookup finds nothing, a negative enum
 * store_status (logged).
 */

#define STORE_WEB_SESSION_ID 32 /* bytes of a web session's id */
#define STORE_ROLE_MAX 16       /* bytes of a role name, with its NUL */
#define STORE_CSRF_MAX 64       /* bytes of a CSRF token kept, with NUL */

/* A user; in a walk (store_user_each) the strings are valid during the
 * call and hash is NULL. */
struct store_user {
	int64_t id;         /* users.id */
	char *name;         /* [a-z0-9._-], 1 to STORE_NAME_MAX bytes */
	char *role;         /* "viewer", "staff" or "admin" */
	char *hash;         /* the password hash text, or NULL in a walk */
	int64_t created;    /* ms since the epoch */
	int64_t updated;    /* ms since the epoch */
	int64_t last_login; /* ms since the epoch, -1 when never */
};
typedef int (*store_user_cb)(void *arg, const struct store_user *);

/*
 * Adds a user and sets *id (may be NULL). STORE_EDUP when the name is
 * taken, STORE_EINVAL for a bad role or a name or hash that is empty or
 * too long (name: STORE_NAME_MAX bytes, hash: STORE_VALUE_MAX).
 */
int store_user_insert(struct store *, const char *name, const char *role,
    const char *hash, int64_t now, int64_t *id);

/* Loads the user called name into *out (free it with store_user_free()). */
int store_user_get(struct store *, const char *name, struct store_user *out);

/* Frees the strings of a loaded user and clears it. */
void store_user_free(struct store_user *);

/* Walks every user in name order (hash NULL). */
int store_user_each(struct store *, store_user_cb cb, void *arg);

/* Sets *n to the users with this role. */
int store_user_count_role(struct store *, const char *role, int64_t *n);

/*
 * Change the role or the hash of the user called name. STORE_NOTFOUND for
 * no such user, STORE_EINVAL for a bad role or hash.
 */
int store_user_set_role(
    struct store *, const char *name, const char *role, int64_t now);
int store_user_set_hash(
    struct store *, const char *name, const char *hash, int64_t now);

/* Removes the user called name and its web sessions. STORE_NOTFOUND. */
int store_user_delete(struct store *, const char *name);

/* Records a sign-in of user id at now. 0 or STORE_ERR. */
int store_user_touch_login(struct store *, int64_t id, int64_t now);

/* A web session with its user, as store_web_session_get() finds it. */
struct store_web_session {
	int64_t user_id;               /* users.id */
	char user[STORE_NAME_MAX + 1]; /* the user's name */
	char role[STORE_ROLE_MAX];     /* the user's role, now */
	char csrf[STORE_CSRF_MAX];     /* the session's CSRF token */
	int64_t created;               /* ms since the epoch */
	int64_t last_seen;             /* ms since the epoch */
	int64_t expires;               /* ms since the epoch */
};

/* Keeps a new web session of user_id that ends at expires. */
int store_web_session_insert(struct store *,
    const unsigned char id[STORE_WEB_SESSION_ID], int64_t user_id,
    const char *csrf, int64_t now, int64_t expires);

/*
 * Loads the web session id with its user into *out unless it has expired
 * at now: STORE_NOTFOUND when missing or expired.
 */
int store_web_session_get(struct store *,
    const unsigned char id[STORE_WEB_SESSION_ID], int64_t now,
    struct store_web_session *out);

/* Moves session id's last_seen to now and its end to expires. */
int store_web_session_touch(struct store *,
    const unsigned char id[STORE_WEB_SESSION_ID], int64_t now, int64_t expires);

/* Ends session id (0 also when there was none). */
int store_web_session_delete(
    struct store *, const unsigned char id[STORE_WEB_SESSION_ID]);

/* Ends every session of user_id; returns how many, or STORE_ERR. */
int64_t store_web_session_delete_user(struct store *, int64_t user_id);

/* Deletes the sessions expired at now; returns how many, or STORE_ERR. */
int64_t store_web_session_purge(struct store *, int64_t now);

/* An entry of the audit log, valid during the call. */
struct store_audit {
	int64_t id;         /* increasing: the newest has the largest */
	int64_t time;       /* ms since the epoch */
	const char *user;   /* a user's name, "token" or "-" */
	const char *action; /* "report.update" */
	const char *object; /* "report/7", or NULL */
	const char *detail; /* or NULL */
};
typedef int (*store_audit_cb)(void *arg, const struct store_audit *);

/* Adds an entry (object and detail may be NULL). 0 or STORE_ERR. */
int store_audit_insert(struct store *, int64_t time, const char *user,
    const char *action, const char *object, const char *detail);

/*
 * Walks at most limit entries, newest first, whose id is below before (0:
 * from the newest).
 */
int store_audit_page(
    struct store *, int64_t before, size_t limit, store_audit_cb cb, void *arg);

/*
 * The staff console's searches and figures (store_console.c): messages,
 * contacts and reports a page at a time, newest (highest id) first, each
 * page after the id the previous one ended at, so rows that arrive never
 * shift a page; a failed message queued again; the overview's counts; the
 * topics, data tables and a topic's audience by channel. Returns as above:
 * 0, STORE_NOTFOUND where a lookup finds nothing, a negative enum
 * store_status (logged). A walk calls its callback once a row, with
 * pointers valid only during the call; a non-zero return stops it.
 */

#define STORE_SCAN_WINDOW \
	50000 /* message ids one search page examines
				   when no index narrows it */

/* A message as the console lists it, valid during the callback. */
struct store_msg_row {
	int64_t id;            /* the message */
	const char *direction; /* "in" or "out" */
	const char *kind;      /* "sms" or "ussd" */
	const char *channel;   /* its channel */
	const char *phone;     /* E.164 */
	const char *state;     /* msg_state_name() of its state */
	const char *text;      /* or NULL once erased */
	int segments;          /* SMS parts */
	int attempts;          /* sending attempts */
	const char *error;     /* or NULL */
	int64_t contact_id;    /* 0 when not linked to a contact */
	int64_t created;       /* ms */
	int64_t updated;       /* ms */
};
typedef int (*store_msg_row_cb)(void *arg, const struct store_msg_row *);

/* Which messages to list. NULL strings and unset bounds match all. */
struct store_msg_query {
	int64_t before;        /* ids below it only; 0 from the newest */
	int64_t contact_id;    /* > 0: the messages linked to this contact
				  and, with phone, those queued to its
				  number without a link */
	const char *phone;     /* E.164, exactly */
	const char *text;      /* a part of the text (ASCII case ignored) */
	const char *channel;   /* a channel's name */
	const char *state;     /* a state's name */
	const char *direction; /* "in" or "out" */
	int has_since, has_until;
	int64_t since, until; /* creation time bounds, ms, inclusive */
	size_t limit;         /* at most this many rows, at least 1 */
};

/*
 * Walks the messages q matches, newest first, at most q->limit, and sets
 * *next to the `before` of the page after this one, or 0 when there is
 * none. With contact_id the contact's indexes (messages_contact,
 * messages_unlinked) are read; otherwise at most STORE_SCAN_WINDOW ids are
 * examined, so a page may hold fewer rows than the limit while *next is
 * not 0. Time bounds become id bounds through messages_created (ids
 * grow with creation time) and are applied exactly too. STORE_EINVAL for
 * a limit of 0.
 */
int store_console_messages(struct store *, const struct store_msg_query *q,
    store_msg_row_cb cb, void *arg, int64_t *next);

/* Calls cb once with message id. 0, STORE_NOTFOUND or STORE_ERR. */
int store_console_message(
    struct store *, int64_t id, store_msg_row_cb cb, void *arg);

/*
 * Queues failed outbound message id again, due at now, its error cleared
 * (the dispatcher finds it on its next look). 0; STORE_NOTFOUND when no
 * outbound message has that id; STORE_EINVAL when it is not failed or its
 * text was erased; STORE_ERR.
 */
int store_console_retry(struct store *, int64_t id, int64_t now);

/* A contact of a walk; the strings are valid during the call. */
typedef int (*store_contact_row_cb)(void *arg, const struct store_contact *);

/* Which contacts to list; with neither phone nor part, all of them. */
struct store_contact_query {
	int64_t before;    /* ids below it only; 0 from the newest */
	const char *phone; /* E.164: the contact with that number */
	const char *part;  /* a part of a saved field's value... */
	int part_in_phone; /* ...or, when 1, of the number */
	size_t limit;      /* at most this many rows, at least 1 */
};

/*
 * Walks the contacts q matches, newest first, and sets *next as
 * store_console_messages() does (no window: the contacts are scanned).
 */
int store_console_contacts(struct store *, const struct store_contact_query *q,
    store_contact_row_cb cb, void *arg, int64_t *next);

/* Which reports to list. Empty lists and unset bounds match all. */
struct store_report_query {
	int64_t before;              /* ids below it only; 0 from the newest */
	const char *const *statuses; /* exact status names */
	size_t nstatuses;
	const char *const *categories; /* exact categories */
	size_t ncategories;
	const int64_t *ids; /* report numbers */
	size_t nids;
	const char *words; /* a part of the location or the details */
	int has_until;
	int64_t until; /* created at or before, ms */
	size_t limit;  /* at most this many rows; 0 all */
};

/*
 * Walks the reports q matches, newest first, each with its last non-empty
 * note (store_report_cb), and sets *next as store_console_messages() does.
 */
int store_console_reports(struct store *, const struct store_report_query *q,
    store_report_cb cb, void *arg, int64_t *next);

/* A count by one name (a channel, a topic), valid during the call. */
typedef int (*store_count_cb)(void *arg, const char *name, int64_t n);

/*
 * Sets *in and *out to the inbound and outbound messages created in
 * [from, to): one range of messages_created, read once.
 */
int store_console_counts(
    struct store *, int64_t from, int64_t to, int64_t *in, int64_t *out);

/*
 * Sets *id to the first message id created at or after since (ms), or to
 * the next id to come when there is none. 0 or STORE_ERR.
 */
int store_console_first_id(struct store *, int64_t since, int64_t *id);

/* Outbound outcomes, summed over channels. */
struct store_outcomes {
	int64_t failed_today; /* failed, from the `today` id on */
	int64_t failed;       /* failed, from the `since` id on */
	int64_t done;         /* sent, delivered or failed, from `since` */
};

/*
 * Adds channel's finished outbound messages (sent, delivered, failed)
 * from message id since on, and its failed ones from id today on, to
 * *out. Reads only the queue's index (messages_queue): work in proportion
 * to those messages. 0 or STORE_ERR.
 */
int store_console_outcomes(struct store *, const char *channel, int64_t since,
    int64_t today, struct store_outcomes *out);

/* Walks the queued messages counted by channel. */
int store_console_queued(struct store *, store_count_cb cb, void *arg);

/* A channel's last outcomes, as its messages tell them. */
struct store_channel_health {
	int64_t last_ok;     /* updated of its newest sent or delivered
				message, ms, or -1 */
	int64_t last_failed; /* updated of its newest failed one, or -1 */
	char *error;         /* that one's error, owned, or NULL */
};

/* Fills *out for channel (free it with store_channel_health_free()). */
int store_console_channel(
    struct store *, const char *channel, struct store_channel_health *out);
void store_channel_health_free(struct store_channel_health *);

/* Open reports of a category ("" for none): how many, the oldest's time. */
typedef int (*store_open_reports_cb)(
    void *arg, const char *category, int64_t open, int64_t oldest);

/* Walks the open (open, acknowledged, in progress) reports by category. */
int
store_console_open_reports(struct store *, store_open_reports_cb cb, void *arg);

/*
 * Counts the open reports created after day, between week and day, and
 * at or before week (times in ms) into out[0..2]. 0 or STORE_ERR.
 */
int store_console_report_ages(
    struct store *, int64_t day, int64_t week, int64_t out[3]);

/*
 * Sets *ms to the median time from a report's creation to its first
 * resolved or closed event, over the reports resolved or closed.
 * STORE_NOTFOUND when there are none.
 */
int store_console_median_resolution(struct store *, double *ms);

/* Walks the topics with their subscribers who have not opted out. */
int store_console_topics(struct store *, store_count_cb cb, void *arg);

/* A data table, valid during the call. */
struct store_table_info {
	const char *name;    /* the table */
	const char *key;     /* its key column */
	const char *columns; /* its columns, a JSON array text */
	int64_t rows;        /* rows at the last import */
	int64_t updated;     /* the last import, ms */
};
typedef int (*store_table_info_cb)(void *arg, const struct store_table_info *);

/* Walks the data tables in name order. */
int store_console_tables(struct store *, store_table_info_cb cb, void *arg);

/*
 * Walks topic's audience (subscribers not opted out) counted by the
 * channel each would be sent on, as broadcasts pick it: the contact's last
 * channel when it is in channels (a JSON array text), else fallback.
 */
int store_console_audience_channels(struct store *, const char *topic,
    const char *channels, const char *fallback, store_count_cb cb, void *arg);

/*
 * Campaigns keyed to dates (store_campaign.c, council/campaign.h): the rows
 * of a data table whose date column holds given dates, the marks that say
 * a (campaign, row key, offset, date) was sent, each once, ever, and each
 * campaign's last run. Dates are "YYYY-MM-DD" texts. Every write joins the
 * caller's transaction. Returns as above: 0, STORE_NOTFOUND where a lookup
 * finds nothing, a negative enum store_status (logged). A walk calls its
 * callback once a row, with pointers valid only during the call; the
 * callback MUST NOT write to the store, and a non-zero return stops it.
 */

/*
 * Walks the columns of data table `table` in import order (cb may be NULL
 * to learn only whether the table exists): STORE_ENOTABLE when the table
 * was never imported.
 */
int store_campaign_columns(
    struct store *, const char *table, store_name_cb cb, void *arg);

/* Which rows of a campaign's table to walk; the strings are borrowed. */
struct store_campaign_query {
	const char *campaign;    /* the campaign's name */
	const char *table;       /* its data table */
	const char *date_column; /* the column holding the date */
	int offset_days;         /* the send's offset: rows marked sent for
				    it (with that date) are left out */
};

/* A row of a walk, valid during the call. */
struct store_campaign_row {
	const char *key;  /* the row's key in its table */
	const char *row;  /* the row, a JSON object of column to string */
	const char *date; /* its date column's value */
};
typedef int (*store_campaign_row_cb)(
    void *arg, const struct store_campaign_row *);

/*
 * Walks, in import order, the rows of q's table whose date is one of
 * dates (a JSON array of strings) and that are not marked sent for
 * (q->campaign, q->offset_days) with that date.
 */
int store_campaign_due(struct store *, const struct store_campaign_query *q,
    const char *dates, store_campaign_row_cb cb, void *arg);

/*
 * Walks the distinct dates from `from` on (in text order, which is date
 * order for YYYY-MM-DD) that rows of q's table hold and that are not yet
 * marked sent for them as in store_campaign_due, each with the number of
 * such rows. Only values of the shape NNNN-NN-NN are walked.
 */
int store_campaign_dates(struct store *, const struct store_campaign_query *q,
    const char *from, store_count_cb cb, void *arg);

/*
 * Marks (campaign, row_key, offset_days, date) sent with message
 * message_id at now. 0, or STORE_EDUP when it was marked already (nothing
 * changes), or STORE_ERR.
 */
int
store_campaign_mark(struct store *, const char *campaign, const char *row_key,
    int offset_days, const char *date, int64_t message_id, int64_t now);

/* Sets *n to the marks of campaign: the messages it queued, ever. */
int store_campaign_sent(struct store *, const char *campaign, int64_t *n);

/*
 * Sets *n to the rows of table whose date_column is missing or is not of
 * the shape NNNN-NN-NN (they never get a campaign's messages).
 */
int store_campaign_bad_dates(
    struct store *, const char *table, const char *date_column, int64_t *n);

/*
 * The time of campaign's last run (ms): 0 and *ms, or STORE_NOTFOUND when
 * it never ran. store_campaign_set_last_run() keeps ms as its last run.
 */
int store_campaign_last_run(struct store *, const char *campaign, int64_t *ms);
int
store_campaign_set_last_run(struct store *, const char *campaign, int64_t ms);

/*
 * Report feedback (store_feedback.c, issue 14): once a report is resolved,
 * its reporter is asked once whether it was fixed (council/reports.c), and
 * the answer, yes or no, is kept with the report (dialog.c). Every write
 * joins the caller's transaction.
 */

/*
 * Marks report id's reporter as asked at now, unless they were asked
 * before. Returns 0, STORE_NOTFOUND when they were (or there is no such
 * report), or STORE_ERR.
 */
int store_feedback_ask(struct store *, int64_t id, int64_t now);

/* A report's feedback. */
struct store_feedback {
	int64_t asked;    /* when its reporter was asked, ms, or -1 */
	char answer[4];   /* "yes", "no", or "" before an answer */
	int64_t answered; /* when they answered, ms, or -1 */
};

/* Fills *out for report id: 0, STORE_NOTFOUND or STORE_ERR. */
int store_feedback_get(struct store *, int64_t id, struct store_feedback *out);

/*
 * Finds the report whose reporter contact_id was asked last, after since,
 * and has not answered yet: 0 with *id and *asked (ms), STORE_NOTFOUND, or
 * STORE_ERR.
 */
int store_feedback_pending(struct store *, int64_t contact_id, int64_t since,
    int64_t *id, int64_t *asked);

/*
 * Keeps the answer to report id, yes (1) or no (0), at now, unless it has
 * one. Returns 0, STORE_NOTFOUND, or STORE_ERR.
 */
int store_feedback_answer(struct store *, int64_t id, int yes, int64_t now);

/* Counts the answers kept into *yes and *no: 0 or STORE_ERR. */
int store_feedback_counts(struct store *, int64_t *yes, int64_t *no);

/*
 * Spend (store_spend.c): the segments sent on each channel on each local
 * day, added to by store_queue_sent() as a message becomes "sent" (on
 * SQLite held in memory and written at the commit, one upsert of one small
 * row a channel a day; PostgreSQL writes each at once). Money is segments
 * times the channel's cost_per_segment (council/budget.c).
 */
#define STORE_DAY_LEN 11 /* "YYYY-MM-DD" and its NUL */

/* Writes the local date of ms ("2026-12-01") into day. Returns day. */
char *store_local_day(int64_t ms, char day[STORE_DAY_LEN]);

/* Sets *segments to those sent on channel on day ("YYYY-MM-DD"). */
int store_spend_segments(
    struct store *, const char *channel, const char *day, int64_t *segments);

/*
 * Sets *segments to those of channel's outbound messages queued or being
 * sent that are due at from or later and before until (ms): what the
 * queue will still spend then.
 */
int store_spend_pending(struct store *, const char *channel, int64_t from,
    int64_t until, int64_t *segments);

/*
 * The channel log (store_chanlog.c): each request to a provider and its
 * answer, kept for channel_log_days. Never a secret: the request is its
 * method and URL without the query, and the answer at most
 * STORE_CHANLOG_ANSWER bytes of it with the channel's secrets blanked
 * (gateway/channel.c).
 */
#define STORE_CHANLOG_ANSWER 1024 /* bytes of an answer kept */
#define STORE_CHANLOG_REQUEST 256 /* bytes of a request line kept */

/* One request and its answer; the strings are borrowed. */
struct store_chanlog {
	int64_t id;          /* the row (set by store_chanlog_each) */
	int64_t time;        /* wall ms the request started */
	const char *channel; /* the channel's name */
	int64_t message_id;  /* the message sent, or 0 */
	int status;          /* the HTTP status, 0 when none came */
	int64_t ms;          /* time taken, ms */
	const char *request; /* "POST http://host/path", or NULL */
	const char *error;   /* why it failed, or NULL */
	const char *answer;  /* the answer's first bytes, or NULL */
};

/*
 * Adds e (one prepared insert, in the caller's transaction). The texts
 * longer than their bounds are refused (STORE_EINVAL). 0 or STORE_ERR.
 */
int store_chanlog_add(struct store *, const struct store_chanlog *e);

typedef int (*store_chanlog_cb)(void *arg, const struct store_chanlog *);

/* Walks message_id's log rows, oldest first; cb's strings live for the
 * call. cb returning non-zero stops. 0 or STORE_ERR. */
int store_chanlog_each(
    struct store *, int64_t message_id, store_chanlog_cb cb, void *arg);

/*
 * Deletes the rows of requests started before `before` (ms): every row
 * older than the oldest one kept, at most the first max ids of the log
 * (a call a loop turn keeps each one short). Returns how many, or
 * STORE_ERR.
 */
int64_t store_chanlog_purge(struct store *, int64_t before, int64_t max);

/*
 * Outbound event webhooks (store_events.c): one row per event and [event
 * NAME] section (sink), written in the caller's transaction, kept until
 * the sender deletes it (delivered, or older than the section's max_age).
 * data is the event's JSON object text. Returns as above: 0,
 * STORE_NOTFOUND where a lookup finds nothing, a negative enum
 * store_status (logged).
 */

#define STORE_EVENT_DATA_MAX (64 * 1024) /* bytes of an event's data */

/*
 * Adds an event for sink at time now, due at once, and sets *id (may be
 * NULL). STORE_EINVAL when data is not JSON or longer than
 * STORE_EVENT_DATA_MAX bytes.
 */
int store_event_insert(struct store *, const char *sink, const char *event,
    const char *data, int64_t now, int64_t *id);

/* A claimed event; the strings are owned by the array. */
struct store_event {
	int64_t id;      /* never reused */
	char *event;     /* "report.created", ... */
	char *data;      /* JSON object text */
	int64_t created; /* ms: when it happened */
	int attempts;    /* including this one */
};

/*
 * Claims up to max of sink's events due at now, the earliest due first:
 * each gets one more attempt and is not due again before lease (ms), so
 * one that a crash leaves without an outcome is tried again then. On 0
 * *out is an array of *n events (*n may be 0) the caller frees with
 * store_events_free(). STORE_ERR on failure (*out NULL, *n 0).
 */
int store_event_claim(struct store *, const char *sink, int64_t now,
    int64_t lease, size_t max, struct store_event **out, size_t *n);
void store_events_free(struct store_event *, size_t n);

/* Deletes event id (delivered, or given up). 0 or STORE_ERR. */
int store_event_delete(struct store *, int64_t id);

/* Makes event id due again at next_attempt, with error (may be NULL). */
int store_event_retry(
    struct store *, int64_t id, int64_t next_attempt, const char *error);

/* The earliest next attempt of sink's events, or -1 when it has none. */
int64_t store_event_next_due(struct store *, const char *sink);

/* Sets *n to the events waiting, every sink's. 0 or STORE_ERR. */
int store_event_waiting(struct store *, int64_t *n);

/*
 * Deletes the events of every sink not named in sinks_json (a JSON array
 * of names): sections no longer configured. How many, or STORE_ERR.
 */
int64_t store_event_drop_others(struct store *, const char *sinks_json);

/* A message as an event tells of it; free it with store_event_msg_free(). */
struct store_event_msg {
	int64_t id;                   /* the message */
	enum msg_direction direction; /* in or out */
	enum msg_kind kind;           /* SMS or USSD */
	char *channel;                /* owned */
	int64_t contact_id;           /* 0 when not linked */
	char *phone;                  /* owned; E.164 */
	char *text;                   /* owned, or NULL once erased */
	enum msg_state state;         /* its state now */
	char *error;                  /* owned, or NULL */
	int attempts;                 /* sending attempts */
	int64_t created;              /* ms */
	int64_t updated;              /* ms */
};

/* Loads message id into *out. 0, STORE_NOTFOUND or STORE_ERR. */
int store_event_msg_get(struct store *, int64_t id, struct store_event_msg *);
void store_event_msg_free(struct store_event_msg *);

/*
 * Backups and restores (store_backup.c, docs/operations.md "Backups").
 *
 * The gateway's lock on a database is the file DATABASE.lock beside it
 * (mode 0600, left in place): `baraza serve` holds it shared (flock) for as
 * long as it runs, `baraza restore` holds it exclusive while it replaces
 * the database, so a restore never runs under a serving gateway and a
 * gateway never starts in the middle of a restore. A process that dies
 * lets go of it. store_lock() takes it without waiting and returns 0 with
 * *fd the descriptor that holds it (close it to let go), STORE_LOCKED when
 * another process holds it in the other mode, or STORE_ERR with *errmsg
 * (which the caller frees) when the file cannot be opened or locked.
 * ":memory:" has no lock: 0 with *fd -1.
 */
#define STORE_LOCKED 2
int store_lock(const char *database, int exclusive, int *fd, char **errmsg);

/*
 * A serving gateway also holds a byte of the same file with an open file
 * description's write lock (fcntl F_OFD_SETLK, which flock() does not see),
 * so that a second `baraza serve` of the database is refused: two would
 * each take the other's messages in flight for their own at start-up, and
 * send them again. store_lock_serving() takes it on fd (from a shared
 * store_lock()) without waiting: 0 (also when fd is -1, or the file could
 * only be opened read-only), STORE_SERVED when another process holds it,
 * STORE_ERR with errno.
 */
#define STORE_SERVED 3
int store_lock_serving(int fd);

/* What a backup wrote or a restore put in place. */
struct store_backup_info {
	int schema_version; /* PRAGMA user_version of the copy */
	int64_t pages;      /* its pages */
	int64_t bytes;      /* its size (backup only; 0 after a restore) */
	int64_t messages;   /* the messages it holds, -1 when unknown */
};

/*
 * Writes a consistent copy of the database at path into dest while other
 * processes write to it: SQLite's online backup, every step of pages read
 * in one read transaction (a snapshot; in WAL mode writers go on), with
 * progress(arg, done, total) in pages after each step (progress may be
 * NULL). The copy goes to a temporary file beside dest (mode 0600) that is
 * synced and renamed to dest: dest is then the whole copy, or is left as
 * it was. The copy is a single file in rollback-journal mode. Never
 * creates the database. 0 with *info, or STORE_ERR with *errmsg (which the
 * caller frees).
 */
int store_backup(const char *path, const char *dest,
    void (*progress)(void *, uint64_t, uint64_t), void *arg,
    struct store_backup_info *info, char **errmsg);

/*
 * Replaces the database at path by the copy in file. The caller holds the
 * exclusive store_lock() of path. file is copied to a temporary file beside
 * path and checked there: a SQLite database that passes PRAGMA quick_check
 * and holds a baraza schema not newer than store_schema_version() (an
 * older one is migrated by the next store_open). Then the old database is
 * checkpointed when it can be, its -wal, -shm and -journal files removed,
 * and the copy renamed over it (synced, then the folder). 0 with *info,
 * STORE_EINVAL when the copy is refused (*errmsg says why; the database is
 * untouched), STORE_ERR on a failure to read or write (*errmsg).
 */
int store_restore(const char *file, const char *path,
    struct store_backup_info *info, char **errmsg);

#endif
