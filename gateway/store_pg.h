/*
 * store_pg.h: the inside of the PostgreSQL store (store_pg*.c), as
 * store_int.h is the SQLite store's. The rest of the program speaks
 * store.h; the table of operations is store_pg_ops (store_ops.h).
 *
 * Each store_pg*.c file keeps its statements in a table of its own (struct
 * pgs_sql: a part and the SQL texts by index, with $1, $2... parameters). A
 * statement is prepared on first use on the connection (named "pP_I") and
 * kept for the connection's life. Parameters go as text (numbers written
 * in decimal) or, for bytes, in binary; results come as text and are read
 * with the pgs_get_* helpers.
 *
 * PostgreSQL ends a transaction at its first failed statement: a write that
 * may conflict (a unique key) either says ON CONFLICT, or runs inside
 * pgs_guard()/pgs_unguard() (a savepoint), never "try and see".
 */
#ifndef BARAZA_STORE_PG_H
#define BARAZA_STORE_PG_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "gateway/store.h"

/* The PostgreSQL store's files, each with its own statement table. */
enum pgs_part {
	PGS_PART_CORE = 0, /* store_pg.c: transactions, ping */
	PGS_PART_CONTACTS, /* store_pg_core.c: contacts, sessions, reports */
	PGS_PART_MSG,      /* store_pg_msg.c: messages, the queue, misc */
	PGS_PART_COUNCIL,  /* store_pg_council.c: broadcasts, privacy, stats */
	PGS_PART_USERS,    /* store_pg_users.c: users, feedback, spend, log */
	PGS_PART_CONSOLE,  /* store_pg_console.c: the console's searches */
	PGS_PART_EVENTS,   /* store_pg_events.c: campaigns, event webhooks */
	PGS_PART_NODES,    /* store_pg_nodes.c: what several nodes share */
	PGS_PART_PARTS,    /* store_pg_parts.c: parts of long SMS */
	PGS_PART_TEST,     /* a unit test's own statements */
	PGS_NPARTS
};

#define PGS_PART_MAX 64   /* statements in one part's table */
#define PGS_PARAMS_MAX 24 /* parameters of one statement */

/* One part's statement table: sql[i] is statement i (static strings). */
struct pgs_sql {
	enum pgs_part part;     /* its slots in struct pgstore */
	const char *const *sql; /* n SQL texts */
	size_t n;               /* at most PGS_PART_MAX */
};

/* The PostgreSQL side of struct store (store_int.h's pg member). */
struct pgstore {
	PGconn *conn;
	PGconn *side;   /* pgs_side_run's, opened on first use, or NULL */
	char *uri;      /* to open it */
	char *password; /* same (may be NULL) */
	unsigned char prepared[PGS_NPARTS][PGS_PART_MAX]; /* 1: prepared */
	char err[512];    /* the last failure, for store_errmsg() */
	char sqlstate[6]; /* its SQLSTATE ("23505"), "" when none */
	int savepoints;   /* open savepoints (pgs_savepoint) */
	int sp_began;     /* the outermost savepoint began a transaction */
	int unguarded;    /* pgs_guard found no transaction to guard */
	int durable_full; /* durability = full (synchronous_commit on) */
};

/* Parameters of one statement, built with pgs_p_* and freed with
 * pgs_p_free (which releases what pgs_p_int and pgs_p_bytes keep). */
struct pgs_params {
	int n;
	const char *v[PGS_PARAMS_MAX];
	int len[PGS_PARAMS_MAX];
	int fmt[PGS_PARAMS_MAX]; /* 0 text, 1 binary */
	char num[PGS_PARAMS_MAX][24];
};

void pgs_p_init(struct pgs_params *);
/* A text parameter (borrowed: it must outlive the run), NULL for NULL. */
void pgs_p_text(struct pgs_params *, const char *v);
void pgs_p_int(struct pgs_params *, int64_t v);
void pgs_p_double(struct pgs_params *, double v);
/* A bytea parameter (borrowed), sent in binary. */
void pgs_p_bytes(struct pgs_params *, const void *v, size_t len);

/*
 * Runs statement i of tab with p (NULL: none). Returns the result (the
 * caller PQclear()s it) when it succeeded, with rows or none; NULL when it
 * failed: logged (module "store"), store_errmsg() and pgs_sqlstate() say
 * why, and the transaction, if any, is aborted until rolled back.
 */
PGresult *pgs_run(struct store *, const struct pgs_sql *tab, int i,
    const struct pgs_params *p);

/*
 * Runs statement i of tab, which returns no rows; *changed (may be NULL)
 * gets the rows it changed. 0 or STORE_ERR.
 */
int pgs_exec(struct store *, const struct pgs_sql *tab, int i,
    const struct pgs_params *p, int64_t *changed);

/*
 * Runs sql (not prepared) with p on the side connection: its own
 * transaction each time (autocommit, synchronous_commit off), apart from
 * the loop turn's. For counters that two nodes update at once and that
 * need no durability (the flood guard): a row lock held until the end of
 * a turn's transaction could deadlock with another node's turn, which
 * would end that transaction and every webhook of its turn. The result
 * as pgs_run's; NULL when it failed (logged).
 */
PGresult *
pgs_side_run(struct store *, const char *sql, const struct pgs_params *p);

/* The SQLSTATE of the last failure, "" when none ("23505": unique). */
const char *pgs_sqlstate(struct store *);

/* Reading a text result: NULL reads as 0, NULL, 0.0. */
int pgs_isnull(const PGresult *, int row, int col);
int64_t pgs_get_int(const PGresult *, int row, int col);
double pgs_get_double(const PGresult *, int row, int col);
char *pgs_get_dup(const PGresult *, int row, int col); /* caller frees */
/* A bytea column into out (at most max bytes): its length, or -1. */
long pgs_get_bytes(const PGresult *, int row, int col, void *out, size_t max);

/*
 * A savepoint around a write that may fail on its own (a unique key): on
 * failure pgs_unguard(st, 0) rolls back to it, leaving the transaction
 * usable, and the caller goes on. Outside a transaction there is nothing
 * to keep and both do nothing. Not nested. 0 or STORE_ERR.
 */
int pgs_guard(struct store *);
int pgs_unguard(struct store *, int ok);

/* store_peek_tables() for a PostgreSQL URI (store_pg.c). */
int pgs_peek_tables(const char *uri, const char *password,
    int (*cb)(void *, const char *name), void *arg, char **errmsg);

/* store_open() for a PostgreSQL URI (store_pg.c). */
int pgs_open(const char *uri, const char *password, int durability_full,
    struct store **out, char **errmsg);

/* The operations (store_ops.h), one per store_* of store.h, by file. */

/* store_pg.c */
int pgs_autocheckpoint(struct store *st, int pages);
int pgs_begin(struct store *st);
void pgs_close(struct store *st);
int pgs_commit(struct store *st);
const char *pgs_errmsg(struct store *st);
int pgs_in_transaction(struct store *st);
int pgs_ping(struct store *st);
int pgs_release(struct store *st);
int pgs_rollback(struct store *st);
int pgs_rollback_to(struct store *st);
int pgs_savepoint(struct store *st);
void pgs_wal_hook(struct store *st, int (*fn)(void *, int frames), void *arg);

/* store_pg_core.c */
int pgs_contact_find(
    struct store *st, const char *phone, struct store_contact *out);
int pgs_contact_get(struct store *st, const char *phone, int64_t now,
    struct store_contact *out);
int pgs_contact_set_field(struct store *st, int64_t id, const char *name,
    const char *value, int64_t now);
int pgs_contact_set_language(
    struct store *st, int64_t id, const char *lang, int64_t now);
int pgs_contact_set_last_channel(
    struct store *st, int64_t id, const char *channel, int64_t now);
int pgs_contact_set_opted_out(
    struct store *st, int64_t id, int opted_out, int64_t now);
int pgs_contact_find_or_add(struct store *st, const char *phone,
    const char *channel, int64_t now, struct store_contact *out);
int pgs_lookup(struct store *st, const char *table, const char *column,
    const char *value, char **row_json);
int pgs_report_add_event(struct store *st, int64_t id, const char *status,
    const char *note, int64_t now);
int pgs_report_create(struct store *st, int64_t contact_id, const char *flow,
    const char *category, const char *location, const char *details,
    int64_t now, int64_t *id);
int pgs_report_get(struct store *st, int64_t id, struct store_report *out);
int pgs_session_delete(struct store *st, const char *key);
int pgs_session_load(
    struct store *st, const char *key, int64_t now, struct store_session *out);
int pgs_session_purge(struct store *st, int64_t now);
int pgs_session_put(
    struct store *st, const char *key, const struct store_session *ss);
int
pgs_session_resumable(struct store *st, int64_t contact_id, const char *resume,
    int64_t since, int64_t now, char **key, struct store_session *out);
int pgs_session_save(struct store *st, const char *key, int64_t contact_id,
    const char *flow, const char *state, int64_t expires);
int pgs_subscribe(
    struct store *st, int64_t contact_id, const char *topic, int64_t now);
int pgs_subscribed(struct store *st, int64_t contact_id, const char *topic);
int pgs_table_add_row(struct store *st, const char *table, const char *key,
    size_t keylen, const char *row_json, size_t rowlen);
int pgs_table_replace_begin(struct store *st, const char *table,
    const char *key_column, const char *columns_json, int64_t now);
int pgs_table_replace_end(struct store *st, const char *table, int64_t rows);
int pgs_unsubscribe(struct store *st, int64_t contact_id, const char *topic);

/* store_pg_msg.c */
int pgs_idem_get(struct store *st, const char *endpoint, const char *key,
    struct store_idem *out);
int64_t pgs_idem_purge(struct store *st, int64_t before);
int pgs_idem_put(struct store *st, const char *endpoint, const char *key,
    const unsigned char hash[STORE_IDEM_HASH], int status, const char *answer,
    int64_t now);
int pgs_modem_state_get(struct store *st, const char *channel,
    int (*cb)(void *arg, const struct store_modem *), void *arg);
int pgs_modem_state_put(struct store *st, const struct store_modem *m);
int
pgs_msg_each_received(struct store *st, store_msg_received_cb cb, void *arg);
int pgs_msg_get(struct store *st, int64_t id, struct store_msg *out);
int pgs_msg_inbound_state(struct store *st, int64_t id, enum msg_state state,
    int64_t contact_id, int64_t now);
int pgs_msg_insert_inbound(
    struct store *st, const struct store_msg_in *m, int64_t now, int64_t *id);
int
pgs_msg_insert_inbound_contact(struct store *st, const struct store_msg_in *m,
    int64_t now, int64_t *id, struct store_contact *contact);
int pgs_msg_insert_outbound(
    struct store *st, const struct store_msg_out *m, int64_t now, int64_t *id);
int64_t pgs_msg_max_id(struct store *st);
int pgs_queue_claim(struct store *st, const char *channel, int64_t now,
    size_t max, struct store_queue_msg **out, size_t *n);
int pgs_queue_claim_upto(struct store *st, const char *channel, int64_t now,
    size_t max, int64_t max_id, struct store_queue_msg **out, size_t *n);
int
pgs_queue_fail(struct store *st, int64_t id, const char *error, int64_t now);
int pgs_queue_move(struct store *st, const char *from, const char *to,
    int64_t now, int64_t due_by);
int pgs_queue_newest(struct store *st, const char *channel,
    const char *provider_id, int64_t *id);
int64_t pgs_queue_next_due(struct store *st, const char *channel);
int pgs_queue_recover(struct store *st, int64_t now);

/* store_pg_nodes.c */
int pgs_transient(struct store *st);
int pgs_msg_adopt_received(struct store *st, int64_t now, int64_t lease,
    int others, store_msg_received_cb cb, void *arg);
int pgs_node_beat(
    struct store *st, const char *instance, int64_t now, int64_t *other);
int pgs_queue_sweep(struct store *st, int64_t now, int64_t lease);
int pgs_flood_hit(struct store *st, const char *phone, int64_t now,
    int64_t period, int64_t *count);
int pgs_ussd_seen(struct store *st, const char *key, const char *text,
    int64_t now, struct store_ussd_last *prev);
int
pgs_ussd_screen(struct store *st, const char *key, const char *screen, int end);
int64_t pgs_shared_purge(struct store *st, int64_t flood_before,
    int64_t ussd_before, int64_t node_before);
int pgs_part_put(struct store *st, const char *channel, const char *phone,
    const char *ref, const struct store_sms_part *p);
int pgs_parts_lock(
    struct store *st, const char *channel, const char *phone, const char *ref);
int
pgs_part_seen(struct store *st, const char *channel, const char *provider_id);
int pgs_parts_get(struct store *st, const char *channel, const char *phone,
    const char *ref, struct store_sms_part **out, size_t *n);
int pgs_parts_joined(
    struct store *st, const char *channel, const char *phone, const char *ref);
int pgs_parts_due(struct store *st, const char *channel, int64_t before,
    size_t max, struct store_part_set **out, size_t *n);
int64_t pgs_parts_purge(struct store *st, int64_t before);
int
pgs_queue_report(struct store *st, const char *channel, const char *provider_id,
    int64_t own_id, enum msg_state state, const char *error, int64_t now);
int pgs_queue_retry(struct store *st, int64_t id, int64_t next_attempt,
    const char *error, int64_t now);
int pgs_queue_sent(
    struct store *st, int64_t id, const char *provider_id, int64_t now);
int pgs_queue_sent_claimed(struct store *st, int64_t id,
    const char *provider_id, const char *channel, int segments, int64_t now);

/* store_pg_council.c */
int pgs_broadcast_audience(struct store *st, const char *topic, int64_t *n);
int
pgs_broadcast_get(struct store *st, int64_t id, struct store_broadcast *out);
int pgs_broadcast_insert(struct store *st, const char *text, const char *topic,
    const char *channel, int64_t now, int64_t send_at, int64_t *id);
int pgs_broadcast_queue_chunk(struct store *st,
    const struct store_broadcast_chunk *c, int64_t *after, int64_t *n);
int
pgs_broadcast_advance(struct store *st, int64_t id, int64_t from, int64_t upto);
int pgs_broadcast_pending(
    struct store *st, struct store_broadcast *out, int64_t *upto);
int pgs_broadcast_set_totals(
    struct store *st, int64_t id, int64_t recipients, int64_t segments);
int pgs_contact_by_id(struct store *st, int64_t id, struct store_contact *out);
int pgs_contact_forget(
    struct store *st, int64_t id, int64_t now, struct store_forgotten *out);
int pgs_contact_messages(struct store *st, int64_t contact_id,
    const char *phone, store_contact_count_cb cb, void *arg);
int pgs_contact_reports(
    struct store *st, int64_t contact_id, store_report_cb cb, void *arg);
int pgs_contact_sessions(
    struct store *st, int64_t contact_id, int64_t now, int64_t *n);
int pgs_contact_topics(
    struct store *st, int64_t contact_id, store_name_cb cb, void *arg);
int pgs_foreign_keys(struct store *st, int on);
int64_t pgs_privacy_purge(
    struct store *st, int64_t before, int64_t from, int64_t to, int64_t *left);
int pgs_report_categories(
    struct store *st, size_t max, store_name_cb cb, void *arg);
int pgs_report_each(struct store *st, const struct store_report_filter *f,
    store_report_cb cb, void *arg);
int pgs_report_events(struct store *st, int64_t id, size_t max,
    store_report_event_cb cb, void *arg);
int pgs_report_last_note(struct store *st, int64_t id, char **note);
int
pgs_stats_failures(struct store *st, int limit, store_failure_cb cb, void *arg);
int pgs_stats_messages(struct store *st, store_tally_cb cb, void *arg);
int pgs_stats_modem_known(struct store *st, const char *channel);
int pgs_stats_modems(struct store *st, store_modem_cb cb, void *arg);
int pgs_stats_reports(struct store *st, store_tally_cb cb, void *arg);
int pgs_stats_resolution(struct store *st,
    const double bounds[STORE_RES_BOUNDS], struct store_resolution *out);
int pgs_stats_sessions(struct store *st, int64_t now, int64_t *n);

/* store_pg_users.c */
int pgs_chanlog_add(struct store *st, const struct store_chanlog *e);
int pgs_chanlog_each(
    struct store *st, int64_t message_id, store_chanlog_cb cb, void *arg);
int64_t pgs_chanlog_purge(struct store *st, int64_t before, int64_t max);
int pgs_feedback_answer(struct store *st, int64_t id, int yes, int64_t now);
int pgs_feedback_ask(struct store *st, int64_t id, int64_t now);
int pgs_feedback_counts(struct store *st, int64_t *yes, int64_t *no);
int pgs_feedback_get(struct store *st, int64_t id, struct store_feedback *out);
int pgs_feedback_pending(struct store *st, int64_t contact_id, int64_t since,
    int64_t *id, int64_t *asked);
int pgs_spend_pending(struct store *st, const char *channel, int64_t from,
    int64_t until, int64_t *segments);
int pgs_spend_segments(
    struct store *st, const char *channel, const char *day, int64_t *segments);
int pgs_audit_insert(struct store *st, int64_t time, const char *user,
    const char *action, const char *object, const char *detail);
int pgs_audit_page(struct store *st, int64_t before, size_t limit,
    store_audit_cb cb, void *arg);
int pgs_user_count_role(struct store *st, const char *role, int64_t *n);
int pgs_user_delete(struct store *st, const char *name);
int pgs_user_each(struct store *st, store_user_cb cb, void *arg);
int pgs_user_get(struct store *st, const char *name, struct store_user *out);
int pgs_user_insert(struct store *st, const char *name, const char *role,
    const char *hash, int64_t now, int64_t *id);
int pgs_user_set_hash(
    struct store *st, const char *name, const char *hash, int64_t now);
int pgs_user_set_role(
    struct store *st, const char *name, const char *role, int64_t now);
int pgs_user_touch_login(struct store *st, int64_t id, int64_t now);
int pgs_web_session_delete(
    struct store *st, const unsigned char id[STORE_WEB_SESSION_ID]);
int64_t pgs_web_session_delete_user(struct store *st, int64_t user_id);
int pgs_web_session_get(struct store *st,
    const unsigned char id[STORE_WEB_SESSION_ID], int64_t now,
    struct store_web_session *out);
int pgs_web_session_insert(struct store *st,
    const unsigned char id[STORE_WEB_SESSION_ID], int64_t user_id,
    const char *csrf, int64_t now, int64_t expires);
int64_t pgs_web_session_purge(struct store *st, int64_t now);
int pgs_web_session_touch(struct store *st,
    const unsigned char id[STORE_WEB_SESSION_ID], int64_t now, int64_t expires);

/* store_pg_console.c */
int pgs_console_audience_channels(struct store *st, const char *topic,
    const char *channels, const char *fallback, store_count_cb cb, void *arg);
int pgs_console_channel(
    struct store *st, const char *channel, struct store_channel_health *out);
int pgs_console_contacts(struct store *st, const struct store_contact_query *q,
    store_contact_row_cb cb, void *arg, int64_t *next);
int pgs_console_counts(
    struct store *st, int64_t from, int64_t to, int64_t *in, int64_t *out);
int pgs_console_first_id(struct store *st, int64_t since, int64_t *id);
int pgs_console_median_resolution(struct store *st, double *ms);
int pgs_console_message(
    struct store *st, int64_t id, store_msg_row_cb cb, void *arg);
int pgs_console_messages(struct store *st, const struct store_msg_query *q,
    store_msg_row_cb cb, void *arg, int64_t *next);
int
pgs_console_open_reports(struct store *st, store_open_reports_cb cb, void *arg);
int pgs_console_outcomes(struct store *st, const char *channel, int64_t since,
    int64_t today, struct store_outcomes *out);
int pgs_console_queued(struct store *st, store_count_cb cb, void *arg);
int pgs_console_report_ages(
    struct store *st, int64_t day, int64_t week, int64_t out[3]);
int pgs_console_reports(struct store *st, const struct store_report_query *q,
    store_report_cb cb, void *arg, int64_t *next);
int pgs_console_retry(struct store *st, int64_t id, int64_t now);
int pgs_console_tables(struct store *st, store_table_info_cb cb, void *arg);
int pgs_console_topics(struct store *st, store_count_cb cb, void *arg);

/* store_pg_events.c */
int pgs_campaign_bad_dates(
    struct store *st, const char *table, const char *date_column, int64_t *n);
int pgs_campaign_columns(
    struct store *st, const char *table, store_name_cb cb, void *arg);
int pgs_campaign_dates(struct store *st, const struct store_campaign_query *q,
    const char *from, store_count_cb cb, void *arg);
int pgs_campaign_due(struct store *st, const struct store_campaign_query *q,
    const char *dates, store_campaign_row_cb cb, void *arg);
int pgs_campaign_last_run(struct store *st, const char *name, int64_t *ms);
int pgs_campaign_mark(struct store *st, const char *name, const char *row_key,
    int offset_days, const char *date, int64_t message_id, int64_t now);
int pgs_campaign_sent(struct store *st, const char *name, int64_t *n);
int pgs_campaign_set_last_run(struct store *st, const char *name, int64_t ms);
int pgs_event_claim(struct store *st, const char *sink, int64_t now,
    int64_t lease, size_t max, struct store_event **out, size_t *n);
int pgs_event_delete(struct store *st, int64_t id);
int64_t pgs_event_drop_others(struct store *st, const char *sinks_json);
int pgs_event_insert(struct store *st, const char *sink, const char *event,
    const char *data, int64_t now, int64_t *id);
int
pgs_event_msg_get(struct store *st, int64_t id, struct store_event_msg *out);
int64_t pgs_event_next_due(struct store *st, const char *sink);
int pgs_event_retry(
    struct store *st, int64_t id, int64_t next_attempt, const char *error);
int pgs_event_waiting(struct store *st, int64_t *n);

#endif
