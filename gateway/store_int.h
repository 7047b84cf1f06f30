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
	STORE_PART_NODES,    /* store_nodes.c: what several nodes share */
	STORE_PART_PARTS,    /* store_parts.c: parts of long SMS */
	STORE_NPARTS
};

#define STORE_PART_MAX 64   /* statements in one part's table */
#define STORE_SPEND_ROWS 8  /* channel-days of spend held before a flush */
#define STORE_SPEND_NAME 64 /* bytes of a channel name held (with its NUL) */

/* One part's statement table: sql[i] is statement i (static strings). */
struct store_sql {
	enum store_part part;   /* its slots in struct store */
	const char *const *sql; /* n SQL texts */
	size_t n;               /* at most STORE_PART_MAX */
};

struct store_core; /* store.c's own statements */

struct store {
	const struct store_ops *ops; /* first: store_ops.c reads it */
	sqlite3 *db;                 /* the connection (SQLite) */
	struct pgstore *pg;          /* the connection (PostgreSQL) */
	struct store_core *core;     /* store.c's statement table */
	sqlite3_stmt *part[STORE_NPARTS][STORE_PART_MAX]; /* by first use */
	int (*wal_fn)(void *, int frames);                /* store_wal_hook() */
	void *wal_arg;
	char *node; /* store_set_node(), or NULL */
	/* store_mark(): the write clock, the marks of the open savepoints. */
	uint64_t tick;
	uint64_t *sp_mark;
	size_t sp_depth, sp_cap;
	void (*undo_fn)(void *, uint64_t);
	void *undo_arg;
	/*
	 * Spend added in the open transaction, not written yet (SQLite):
	 * one row a channel a day, written at the commit (store_spend.c).
	 */
	struct store_spend_add {
		char channel[STORE_SPEND_NAME];
		char day[STORE_DAY_LEN];
		int64_t segments;
	} spend[STORE_SPEND_ROWS];
	size_t nspend;
	/* Writes what is held (store_spend.c sets it: store.c calls no part). */
	int (*spend_flush)(struct store *);
	int64_t spend_sec;             /* the second spend_day is of */
	char spend_day[STORE_DAY_LEN]; /* its local date */
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
 * channel's spend on that local day (store_spend.c), in memory until
 * store_spend_flush() writes it, in the same transaction. 0 or STORE_ERR.
 */
int store_spend_add_sent(struct store *, int64_t id, int64_t now);

/* The same for a message whose channel (may be NULL) and segments are known. */
int store_spend_add(
    struct store *, const char *channel, int64_t segments, int64_t now);

/*
 * Writes the spend added since the last flush (SQLite's commit, and
 * before a savepoint, so that none straddles one). 0 or STORE_ERR: the
 * transaction must then be rolled back.
 */
static inline int
store_spend_flush(struct store *st)
{
	return st->spend_flush != NULL && st->nspend > 0 ? st->spend_flush(st)
							 : 0;
}

/* Forgets the spend not written: its transaction or savepoint was undone. */
static inline void
store_spend_drop(struct store *st)
{
	st->nspend = 0;
}

/* store_peek_tables() for a SQLite file (store.c). */
int sq_peek_tables(const char *path, int (*cb)(void *, const char *name),
    void *arg, char **errmsg);

/* store_open() for a SQLite file (store.c). */
int sq_open(
    const char *path, int durability_full, struct store **out, char **errmsg);

/* The SQLite store's operations (store_ops.h), one per store_* of store.h. */
int sq_autocheckpoint(struct store *st, int pages);
int sq_begin(struct store *st);
void sq_close(struct store *st);
int sq_commit(struct store *st);
int
sq_contact_find(struct store *st, const char *phone, struct store_contact *out);
int sq_contact_get(struct store *st, const char *phone, int64_t now,
    struct store_contact *out);
int sq_contact_set_field(struct store *st, int64_t id, const char *name,
    const char *value, int64_t now);
int sq_contact_set_language(
    struct store *st, int64_t id, const char *lang, int64_t now);
int sq_contact_set_last_channel(
    struct store *st, int64_t id, const char *channel, int64_t now);
int sq_contact_set_opted_out(
    struct store *st, int64_t id, int opted_out, int64_t now);
int sq_contact_find_or_add(struct store *st, const char *phone,
    const char *channel, int64_t now, struct store_contact *out);
const char *sq_errmsg(struct store *st);
int sq_in_transaction(struct store *st);
int sq_lookup(struct store *st, const char *table, const char *column,
    const char *value, char **row_json);
int sq_ping(struct store *st);
int sq_release(struct store *st);
int sq_report_add_event(struct store *st, int64_t id, const char *status,
    const char *note, int64_t now);
int sq_report_create(struct store *st, int64_t contact_id, const char *flow,
    const char *category, const char *location, const char *details,
    int64_t now, int64_t *id);
int sq_report_get(struct store *st, int64_t id, struct store_report *out);
int sq_rollback(struct store *st);
int sq_rollback_to(struct store *st);
int sq_savepoint(struct store *st);
int sq_session_delete(struct store *st, const char *key);
int sq_session_load(
    struct store *st, const char *key, int64_t now, struct store_session *out);
int sq_session_purge(struct store *st, int64_t now);
int sq_session_put(
    struct store *st, const char *key, const struct store_session *ss);
int
sq_session_resumable(struct store *st, int64_t contact_id, const char *resume,
    int64_t since, int64_t now, char **key, struct store_session *out);
int sq_session_save(struct store *st, const char *key, int64_t contact_id,
    const char *flow, const char *state, int64_t expires);
int sq_subscribe(
    struct store *st, int64_t contact_id, const char *topic, int64_t now);
int sq_subscribed(struct store *st, int64_t contact_id, const char *topic);
int sq_table_add_row(struct store *st, const char *table, const char *key,
    size_t keylen, const char *row_json, size_t rowlen);
int sq_table_replace_begin(struct store *st, const char *table,
    const char *key_column, const char *columns_json, int64_t now);
int sq_table_replace_end(struct store *st, const char *table, int64_t rows);
int sq_unsubscribe(struct store *st, int64_t contact_id, const char *topic);
void sq_wal_hook(struct store *st, int (*fn)(void *, int frames), void *arg);
int sq_campaign_bad_dates(
    struct store *st, const char *table, const char *date_column, int64_t *n);
int sq_campaign_columns(
    struct store *st, const char *table, store_name_cb cb, void *arg);
int sq_campaign_dates(struct store *st, const struct store_campaign_query *q,
    const char *from, store_count_cb cb, void *arg);
int sq_campaign_due(struct store *st, const struct store_campaign_query *q,
    const char *dates, store_campaign_row_cb cb, void *arg);
int sq_campaign_last_run(struct store *st, const char *name, int64_t *ms);
int sq_campaign_mark(struct store *st, const char *name, const char *row_key,
    int offset_days, const char *date, int64_t message_id, int64_t now);
int sq_campaign_sent(struct store *st, const char *name, int64_t *n);
int sq_campaign_set_last_run(struct store *st, const char *name, int64_t ms);
int sq_chanlog_add(struct store *st, const struct store_chanlog *e);
int sq_chanlog_each(
    struct store *st, int64_t message_id, store_chanlog_cb cb, void *arg);
int64_t sq_chanlog_purge(struct store *st, int64_t before, int64_t max);
int sq_console_audience_channels(struct store *st, const char *topic,
    const char *channels, const char *fallback, store_count_cb cb, void *arg);
int sq_console_channel(
    struct store *st, const char *channel, struct store_channel_health *out);
int sq_console_contacts(struct store *st, const struct store_contact_query *q,
    store_contact_row_cb cb, void *arg, int64_t *next);
int sq_console_counts(
    struct store *st, int64_t from, int64_t to, int64_t *in, int64_t *out);
int sq_console_first_id(struct store *st, int64_t since, int64_t *id);
int sq_console_median_resolution(struct store *st, double *ms);
int sq_console_message(
    struct store *st, int64_t id, store_msg_row_cb cb, void *arg);
int sq_console_messages(struct store *st, const struct store_msg_query *q,
    store_msg_row_cb cb, void *arg, int64_t *next);
int
sq_console_open_reports(struct store *st, store_open_reports_cb cb, void *arg);
int sq_console_outcomes(struct store *st, const char *channel, int64_t since,
    int64_t today, struct store_outcomes *out);
int sq_console_queued(struct store *st, store_count_cb cb, void *arg);
int sq_console_report_ages(
    struct store *st, int64_t day, int64_t week, int64_t out[3]);
int sq_console_reports(struct store *st, const struct store_report_query *q,
    store_report_cb cb, void *arg, int64_t *next);
int sq_console_retry(struct store *st, int64_t id, int64_t now);
int sq_console_tables(struct store *st, store_table_info_cb cb, void *arg);
int sq_console_topics(struct store *st, store_count_cb cb, void *arg);
int sq_broadcast_audience(struct store *st, const char *topic, int64_t *n);
int sq_broadcast_get(struct store *st, int64_t id, struct store_broadcast *out);
int sq_broadcast_insert(struct store *st, const char *text, const char *topic,
    const char *channel, int64_t now, int64_t send_at, int64_t *id);
int sq_broadcast_queue_chunk(struct store *st,
    const struct store_broadcast_chunk *c, int64_t *after, int64_t *n);
int
sq_broadcast_advance(struct store *st, int64_t id, int64_t from, int64_t upto);
int sq_broadcast_pending(
    struct store *st, struct store_broadcast *out, int64_t *upto);
int sq_broadcast_set_totals(
    struct store *st, int64_t id, int64_t recipients, int64_t segments);
int sq_contact_by_id(struct store *st, int64_t id, struct store_contact *out);
int sq_contact_forget(
    struct store *st, int64_t id, int64_t now, struct store_forgotten *out);
int sq_contact_messages(struct store *st, int64_t contact_id, const char *phone,
    store_contact_count_cb cb, void *arg);
int sq_contact_reports(
    struct store *st, int64_t contact_id, store_report_cb cb, void *arg);
int sq_contact_sessions(
    struct store *st, int64_t contact_id, int64_t now, int64_t *n);
int sq_contact_topics(
    struct store *st, int64_t contact_id, store_name_cb cb, void *arg);
int sq_foreign_keys(struct store *st, int on);
int64_t sq_privacy_purge(
    struct store *st, int64_t before, int64_t from, int64_t to, int64_t *left);
int
sq_report_categories(struct store *st, size_t max, store_name_cb cb, void *arg);
int sq_report_each(struct store *st, const struct store_report_filter *f,
    store_report_cb cb, void *arg);
int sq_report_events(struct store *st, int64_t id, size_t max,
    store_report_event_cb cb, void *arg);
int sq_report_last_note(struct store *st, int64_t id, char **note);
int
sq_stats_failures(struct store *st, int limit, store_failure_cb cb, void *arg);
int sq_stats_messages(struct store *st, store_tally_cb cb, void *arg);
int sq_stats_modem_known(struct store *st, const char *channel);
int sq_stats_modems(struct store *st, store_modem_cb cb, void *arg);
int sq_stats_reports(struct store *st, store_tally_cb cb, void *arg);
int sq_stats_resolution(struct store *st, const double bounds[STORE_RES_BOUNDS],
    struct store_resolution *out);
int sq_stats_sessions(struct store *st, int64_t now, int64_t *n);
int sq_event_claim(struct store *st, const char *sink, int64_t now,
    int64_t lease, size_t max, struct store_event **out, size_t *n);
int sq_event_delete(struct store *st, int64_t id);
int64_t sq_event_drop_others(struct store *st, const char *sinks_json);
int sq_event_insert(struct store *st, const char *sink, const char *event,
    const char *data, int64_t now, int64_t *id);
int sq_event_msg_get(struct store *st, int64_t id, struct store_event_msg *out);
int64_t sq_event_next_due(struct store *st, const char *sink);
int sq_event_retry(
    struct store *st, int64_t id, int64_t next_attempt, const char *error);
int sq_event_waiting(struct store *st, int64_t *n);
int sq_feedback_answer(struct store *st, int64_t id, int yes, int64_t now);
int sq_feedback_ask(struct store *st, int64_t id, int64_t now);
int sq_feedback_counts(struct store *st, int64_t *yes, int64_t *no);
int sq_feedback_get(struct store *st, int64_t id, struct store_feedback *out);
int sq_feedback_pending(struct store *st, int64_t contact_id, int64_t since,
    int64_t *id, int64_t *asked);
int sq_idem_get(struct store *st, const char *endpoint, const char *key,
    struct store_idem *out);
int64_t sq_idem_purge(struct store *st, int64_t before);
int sq_idem_put(struct store *st, const char *endpoint, const char *key,
    const unsigned char hash[STORE_IDEM_HASH], int status, const char *answer,
    int64_t now);
int sq_modem_state_get(struct store *st, const char *channel,
    int (*cb)(void *arg, const struct store_modem *), void *arg);
int sq_modem_state_put(struct store *st, const struct store_modem *m);
int sq_msg_each_received(struct store *st, store_msg_received_cb cb, void *arg);
int sq_msg_get(struct store *st, int64_t id, struct store_msg *out);
int sq_msg_inbound_state(struct store *st, int64_t id, enum msg_state state,
    int64_t contact_id, int64_t now);
int sq_msg_insert_inbound(
    struct store *st, const struct store_msg_in *m, int64_t now, int64_t *id);
int
sq_msg_insert_inbound_contact(struct store *st, const struct store_msg_in *m,
    int64_t now, int64_t *id, struct store_contact *contact);
int sq_msg_insert_outbound(
    struct store *st, const struct store_msg_out *m, int64_t now, int64_t *id);
int64_t sq_msg_max_id(struct store *st);
int sq_queue_claim(struct store *st, const char *channel, int64_t now,
    size_t max, struct store_queue_msg **out, size_t *n);
int sq_queue_claim_upto(struct store *st, const char *channel, int64_t now,
    size_t max, int64_t max_id, struct store_queue_msg **out, size_t *n);
int sq_queue_fail(struct store *st, int64_t id, const char *error, int64_t now);
int sq_queue_move(struct store *st, const char *from, const char *to,
    int64_t now, int64_t due_by);
int sq_queue_newest(struct store *st, const char *channel,
    const char *provider_id, int64_t *id);
int64_t sq_queue_next_due(struct store *st, const char *channel);
int sq_queue_recover(struct store *st, int64_t now);
int sq_transient(struct store *st);
int sq_msg_adopt_received(struct store *st, int64_t now, int64_t lease,
    int others, store_msg_received_cb cb, void *arg);
int sq_node_beat(
    struct store *st, const char *instance, int64_t now, int64_t *other);
int sq_queue_sweep(struct store *st, int64_t now, int64_t lease);
int sq_flood_hit(struct store *st, const char *phone, int64_t now,
    int64_t period, int64_t *count);
int sq_ussd_seen(struct store *st, const char *key, const char *text,
    int64_t now, struct store_ussd_last *prev);
int
sq_ussd_screen(struct store *st, const char *key, const char *screen, int end);
int64_t sq_shared_purge(struct store *st, int64_t flood_before,
    int64_t ussd_before, int64_t node_before);
int sq_part_put(struct store *st, const char *channel, const char *phone,
    const char *ref, const struct store_sms_part *p);
int sq_parts_lock(
    struct store *st, const char *channel, const char *phone, const char *ref);
int
sq_part_seen(struct store *st, const char *channel, const char *provider_id);
int sq_parts_get(struct store *st, const char *channel, const char *phone,
    const char *ref, struct store_sms_part **out, size_t *n);
int sq_parts_joined(
    struct store *st, const char *channel, const char *phone, const char *ref);
int sq_parts_due(struct store *st, const char *channel, int64_t before,
    size_t max, struct store_part_set **out, size_t *n);
int64_t sq_parts_purge(struct store *st, int64_t before);
int
sq_queue_report(struct store *st, const char *channel, const char *provider_id,
    int64_t own_id, enum msg_state state, const char *error, int64_t now);
int sq_queue_retry(struct store *st, int64_t id, int64_t next_attempt,
    const char *error, int64_t now);
int sq_queue_sent(
    struct store *st, int64_t id, const char *provider_id, int64_t now);
int sq_queue_sent_claimed(struct store *st, int64_t id, const char *provider_id,
    const char *channel, int segments, int64_t now);
int sq_spend_pending(struct store *st, const char *channel, int64_t from,
    int64_t until, int64_t *segments);
int sq_spend_segments(
    struct store *st, const char *channel, const char *day, int64_t *segments);
int sq_audit_insert(struct store *st, int64_t time, const char *user,
    const char *action, const char *object, const char *detail);
int sq_audit_page(struct store *st, int64_t before, size_t limit,
    store_audit_cb cb, void *arg);
int sq_user_count_role(struct store *st, const char *role, int64_t *n);
int sq_user_delete(struct store *st, const char *name);
int sq_user_each(struct store *st, store_user_cb cb, void *arg);
int sq_user_get(struct store *st, const char *name, struct store_user *out);
int sq_user_insert(struct store *st, const char *name, const char *role,
    const char *hash, int64_t now, int64_t *id);
int sq_user_set_hash(
    struct store *st, const char *name, const char *hash, int64_t now);
int sq_user_set_role(
    struct store *st, const char *name, const char *role, int64_t now);
int sq_user_touch_login(struct store *st, int64_t id, int64_t now);
int sq_web_session_delete(
    struct store *st, const unsigned char id[STORE_WEB_SESSION_ID]);
int64_t sq_web_session_delete_user(struct store *st, int64_t user_id);
int sq_web_session_get(struct store *st,
    const unsigned char id[STORE_WEB_SESSION_ID], int64_t now,
    struct store_web_session *out);
int sq_web_session_insert(struct store *st,
    const unsigned char id[STORE_WEB_SESSION_ID], int64_t user_id,
    const char *csrf, int64_t now, int64_t expires);
int64_t sq_web_session_purge(struct store *st, int64_t now);
int sq_web_session_touch(struct store *st,
    const unsigned char id[STORE_WEB_SESSION_ID], int64_t now, int64_t expires);

#endif
