/*
 * store_ops.h: the store's operations as a table, one per kind of
 * database: SQLite (store.c and the store_*.c files beside it, functions
 * sq_*) and PostgreSQL (store_pg*.c, functions pgs_*). store_open() picks
 * the table by the database's name and every store_* call of store.h goes
 * through it (store_ops.c), so the rest of the program never knows which
 * one it talks to. A member's meaning is its store_* function's in store.h.
 */
#ifndef BARAZA_STORE_OPS_H
#define BARAZA_STORE_OPS_H

#include "gateway/store.h"

struct store_ops {
	const char *name; /* "sqlite", "postgresql" */
	int (*autocheckpoint)(struct store *st, int pages);
	int (*begin)(struct store *st);
	void (*close)(struct store *st);
	int (*commit)(struct store *st);
	int (*contact_find)(
	    struct store *st, const char *phone, struct store_contact *out);
	int (*contact_get)(struct store *st, const char *phone, int64_t now,
	    struct store_contact *out);
	int (*contact_set_field)(struct store *st, int64_t id, const char *name,
	    const char *value, int64_t now);
	int (*contact_set_language)(
	    struct store *st, int64_t id, const char *lang, int64_t now);
	int (*contact_set_last_channel)(
	    struct store *st, int64_t id, const char *channel, int64_t now);
	int (*contact_set_opted_out)(
	    struct store *st, int64_t id, int opted_out, int64_t now);
	/* 0 found, 1 created with channel (store_contact_touch). */
	int (*contact_find_or_add)(struct store *st, const char *phone,
	    const char *channel, int64_t now, struct store_contact *out);
	const char *(*errmsg)(struct store *st);
	int (*in_transaction)(struct store *st);
	int (*lookup)(struct store *st, const char *table, const char *column,
	    const char *value, char **row_json);
	int (*ping)(struct store *st);
	int (*release)(struct store *st);
	int (*report_add_event)(struct store *st, int64_t id,
	    const char *status, const char *note, int64_t now);
	int (*report_create)(struct store *st, int64_t contact_id,
	    const char *flow, const char *category, const char *location,
	    const char *details, int64_t now, int64_t *id);
	int (*report_get)(
	    struct store *st, int64_t id, struct store_report *out);
	int (*rollback)(struct store *st);
	int (*rollback_to)(struct store *st);
	int (*savepoint)(struct store *st);
	int (*session_delete)(struct store *st, const char *key);
	int (*session_load)(struct store *st, const char *key, int64_t now,
	    struct store_session *out);
	int (*session_purge)(struct store *st, int64_t now);
	int (*session_put)(
	    struct store *st, const char *key, const struct store_session *ss);
	int (*session_resumable)(struct store *st, int64_t contact_id,
	    const char *resume, int64_t since, int64_t now, char **key,
	    struct store_session *out);
	int (*session_save)(struct store *st, const char *key,
	    int64_t contact_id, const char *flow, const char *state,
	    int64_t expires);
	int (*subscribe)(struct store *st, int64_t contact_id,
	    const char *topic, int64_t now);
	int (*subscribed)(
	    struct store *st, int64_t contact_id, const char *topic);
	int (*table_add_row)(struct store *st, const char *table,
	    const char *key, size_t keylen, const char *row_json,
	    size_t rowlen);
	int (*table_replace_begin)(struct store *st, const char *table,
	    const char *key_column, const char *columns_json, int64_t now);
	int (*table_replace_end)(
	    struct store *st, const char *table, int64_t rows);
	int (*unsubscribe)(
	    struct store *st, int64_t contact_id, const char *topic);
	void (*wal_hook)(
	    struct store *st, int (*fn)(void *, int frames), void *arg);
	int (*campaign_bad_dates)(struct store *st, const char *table,
	    const char *date_column, int64_t *n);
	int (*campaign_columns)(
	    struct store *st, const char *table, store_name_cb cb, void *arg);
	int (*campaign_dates)(struct store *st,
	    const struct store_campaign_query *q, const char *from,
	    store_count_cb cb, void *arg);
	int (*campaign_due)(struct store *st,
	    const struct store_campaign_query *q, const char *dates,
	    store_campaign_row_cb cb, void *arg);
	int (*campaign_last_run)(
	    struct store *st, const char *name, int64_t *ms);
	int (*campaign_mark)(struct store *st, const char *name,
	    const char *row_key, int offset_days, const char *date,
	    int64_t message_id, int64_t now);
	int (*campaign_sent)(struct store *st, const char *name, int64_t *n);
	int (*campaign_set_last_run)(
	    struct store *st, const char *name, int64_t ms);
	int (*chanlog_add)(struct store *st, const struct store_chanlog *e);
	int (*chanlog_each)(struct store *st, int64_t message_id,
	    store_chanlog_cb cb, void *arg);
	int64_t (*chanlog_purge)(struct store *st, int64_t before, int64_t max);
	int (*console_audience_channels)(struct store *st, const char *topic,
	    const char *channels, const char *fallback, store_count_cb cb,
	    void *arg);
	int (*console_channel)(struct store *st, const char *channel,
	    struct store_channel_health *out);
	int (*console_contacts)(struct store *st,
	    const struct store_contact_query *q, store_contact_row_cb cb,
	    void *arg, int64_t *next);
	int (*console_counts)(struct store *st, int64_t from, int64_t to,
	    int64_t *in, int64_t *out);
	int (*console_first_id)(struct store *st, int64_t since, int64_t *id);
	int (*console_median_resolution)(struct store *st, double *ms);
	int (*console_message)(
	    struct store *st, int64_t id, store_msg_row_cb cb, void *arg);
	int (*console_messages)(struct store *st,
	    const struct store_msg_query *q, store_msg_row_cb cb, void *arg,
	    int64_t *next);
	int (*console_open_reports)(
	    struct store *st, store_open_reports_cb cb, void *arg);
	int (*console_outcomes)(struct store *st, const char *channel,
	    int64_t since, int64_t today, struct store_outcomes *out);
	int (*console_queued)(struct store *st, store_count_cb cb, void *arg);
	int (*console_report_ages)(
	    struct store *st, int64_t day, int64_t week, int64_t out[3]);
	int (*console_reports)(struct store *st,
	    const struct store_report_query *q, store_report_cb cb, void *arg,
	    int64_t *next);
	int (*console_retry)(struct store *st, int64_t id, int64_t now);
	int (*console_tables)(
	    struct store *st, store_table_info_cb cb, void *arg);
	int (*console_topics)(struct store *st, store_count_cb cb, void *arg);
	int (*broadcast_audience)(
	    struct store *st, const char *topic, int64_t *n);
	int (*broadcast_get)(
	    struct store *st, int64_t id, struct store_broadcast *out);
	int (*broadcast_insert)(struct store *st, const char *text,
	    const char *topic, const char *channel, int64_t now,
	    int64_t send_at, int64_t *id);
	int (*broadcast_queue_chunk)(struct store *st,
	    const struct store_broadcast_chunk *c, int64_t *after, int64_t *n);
	int (*broadcast_advance)(
	    struct store *st, int64_t id, int64_t from, int64_t upto);
	int (*broadcast_pending)(
	    struct store *st, struct store_broadcast *out, int64_t *upto);
	int (*broadcast_set_totals)(
	    struct store *st, int64_t id, int64_t recipients, int64_t segments);
	int (*contact_by_id)(
	    struct store *st, int64_t id, struct store_contact *out);
	int (*contact_forget)(struct store *st, int64_t id, int64_t now,
	    struct store_forgotten *out);
	int (*contact_messages)(struct store *st, int64_t contact_id,
	    const char *phone, store_contact_count_cb cb, void *arg);
	int (*contact_reports)(struct store *st, int64_t contact_id,
	    store_report_cb cb, void *arg);
	int (*contact_sessions)(
	    struct store *st, int64_t contact_id, int64_t now, int64_t *n);
	int (*contact_topics)(
	    struct store *st, int64_t contact_id, store_name_cb cb, void *arg);
	int (*foreign_keys)(struct store *st, int on);
	int64_t (*privacy_purge)(struct store *st, int64_t before, int64_t from,
	    int64_t to, int64_t *left);
	int (*report_categories)(
	    struct store *st, size_t max, store_name_cb cb, void *arg);
	int (*report_each)(struct store *st,
	    const struct store_report_filter *f, store_report_cb cb, void *arg);
	int (*report_events)(struct store *st, int64_t id, size_t max,
	    store_report_event_cb cb, void *arg);
	int (*report_last_note)(struct store *st, int64_t id, char **note);
	int (*stats_failures)(
	    struct store *st, int limit, store_failure_cb cb, void *arg);
	int (*stats_messages)(struct store *st, store_tally_cb cb, void *arg);
	int (*stats_modem_known)(struct store *st, const char *channel);
	int (*stats_modems)(struct store *st, store_modem_cb cb, void *arg);
	int (*stats_reports)(struct store *st, store_tally_cb cb, void *arg);
	int (*stats_resolution)(struct store *st,
	    const double bounds[STORE_RES_BOUNDS],
	    struct store_resolution *out);
	int (*stats_sessions)(struct store *st, int64_t now, int64_t *n);
	int (*event_claim)(struct store *st, const char *sink, int64_t now,
	    int64_t lease, size_t max, struct store_event **out, size_t *n);
	int (*event_delete)(struct store *st, int64_t id);
	int64_t (*event_drop_others)(struct store *st, const char *sinks_json);
	int (*event_insert)(struct store *st, const char *sink,
	    const char *event, const char *data, int64_t now, int64_t *id);
	int (*event_msg_get)(
	    struct store *st, int64_t id, struct store_event_msg *out);
	int64_t (*event_next_due)(struct store *st, const char *sink);
	int (*event_retry)(struct store *st, int64_t id, int64_t next_attempt,
	    const char *error);
	int (*event_waiting)(struct store *st, int64_t *n);
	int (*feedback_answer)(
	    struct store *st, int64_t id, int yes, int64_t now);
	int (*feedback_ask)(struct store *st, int64_t id, int64_t now);
	int (*feedback_counts)(struct store *st, int64_t *yes, int64_t *no);
	int (*feedback_get)(
	    struct store *st, int64_t id, struct store_feedback *out);
	int (*feedback_pending)(struct store *st, int64_t contact_id,
	    int64_t since, int64_t *id, int64_t *asked);
	int (*idem_get)(struct store *st, const char *endpoint, const char *key,
	    struct store_idem *out);
	int64_t (*idem_purge)(struct store *st, int64_t before);
	int (*idem_put)(struct store *st, const char *endpoint, const char *key,
	    const unsigned char hash[STORE_IDEM_HASH], int status,
	    const char *answer, int64_t now);
	int (*modem_state_get)(struct store *st, const char *channel,
	    int (*cb)(void *arg, const struct store_modem *), void *arg);
	int (*modem_state_put)(struct store *st, const struct store_modem *m);
	int (*msg_each_received)(
	    struct store *st, store_msg_received_cb cb, void *arg);
	int (*msg_get)(struct store *st, int64_t id, struct store_msg *out);
	int (*msg_inbound_state)(struct store *st, int64_t id,
	    enum msg_state state, int64_t contact_id, int64_t now);
	int (*msg_insert_inbound)(struct store *st,
	    const struct store_msg_in *m, int64_t now, int64_t *id);
	int (*msg_insert_inbound_contact)(struct store *st,
	    const struct store_msg_in *m, int64_t now, int64_t *id,
	    struct store_contact *contact);
	int (*msg_insert_outbound)(struct store *st,
	    const struct store_msg_out *m, int64_t now, int64_t *id);
	int64_t (*msg_max_id)(struct store *st);
	int (*queue_claim)(struct store *st, const char *channel, int64_t now,
	    size_t max, struct store_queue_msg **out, size_t *n);
	int (*queue_claim_upto)(struct store *st, const char *channel,
	    int64_t now, size_t max, int64_t max_id,
	    struct store_queue_msg **out, size_t *n);
	int (*queue_fail)(
	    struct store *st, int64_t id, const char *error, int64_t now);
	int (*queue_move)(struct store *st, const char *from, const char *to,
	    int64_t now, int64_t due_by);
	int (*queue_newest)(struct store *st, const char *channel,
	    const char *provider_id, int64_t *id);
	int64_t (*queue_next_due)(struct store *st, const char *channel);
	int (*queue_recover)(struct store *st, int64_t now);
	int (*transient)(struct store *st);
	int (*msg_adopt_received)(struct store *st, int64_t now, int64_t lease,
	    int others, store_msg_received_cb cb, void *arg);
	int (*node_beat)(struct store *st, const char *instance, int64_t now,
	    int64_t *other);
	int (*queue_sweep)(struct store *st, int64_t now, int64_t lease);
	int (*flood_hit)(struct store *st, const char *phone, int64_t now,
	    int64_t period, int64_t *count);
	int (*ussd_seen)(struct store *st, const char *key, const char *text,
	    int64_t now, struct store_ussd_last *prev);
	int (*ussd_screen)(
	    struct store *st, const char *key, const char *screen, int end);
	int (*part_put)(struct store *st, const char *channel,
	    const char *phone, const char *ref, const struct store_sms_part *p);
	int (*parts_lock)(struct store *st, const char *channel,
	    const char *phone, const char *ref);
	int (*part_seen)(
	    struct store *st, const char *channel, const char *provider_id);
	int (*parts_get)(struct store *st, const char *channel,
	    const char *phone, const char *ref, struct store_sms_part **out,
	    size_t *n);
	int (*parts_joined)(struct store *st, const char *channel,
	    const char *phone, const char *ref);
	int (*parts_due)(struct store *st, const char *channel, int64_t before,
	    size_t max, struct store_part_set **out, size_t *n);
	int64_t (*parts_purge)(struct store *st, int64_t before);
	int64_t (*shared_purge)(struct store *st, int64_t flood_before,
	    int64_t ussd_before, int64_t node_before);
	int (*queue_report)(struct store *st, const char *channel,
	    const char *provider_id, int64_t own_id, enum msg_state state,
	    const char *error, int64_t now);
	int (*queue_retry)(struct store *st, int64_t id, int64_t next_attempt,
	    const char *error, int64_t now);
	int (*queue_sent)(
	    struct store *st, int64_t id, const char *provider_id, int64_t now);
	int (*queue_sent_claimed)(struct store *st, int64_t id,
	    const char *provider_id, const char *channel, int segments,
	    int64_t now);
	int (*spend_pending)(struct store *st, const char *channel,
	    int64_t from, int64_t until, int64_t *segments);
	int (*spend_segments)(struct store *st, const char *channel,
	    const char *day, int64_t *segments);
	int (*audit_insert)(struct store *st, int64_t time, const char *user,
	    const char *action, const char *object, const char *detail);
	int (*audit_page)(struct store *st, int64_t before, size_t limit,
	    store_audit_cb cb, void *arg);
	int (*user_count_role)(struct store *st, const char *role, int64_t *n);
	int (*user_delete)(struct store *st, const char *name);
	int (*user_each)(struct store *st, store_user_cb cb, void *arg);
	int (*user_get)(
	    struct store *st, const char *name, struct store_user *out);
	int (*user_insert)(struct store *st, const char *name, const char *role,
	    const char *hash, int64_t now, int64_t *id);
	int (*user_set_hash)(
	    struct store *st, const char *name, const char *hash, int64_t now);
	int (*user_set_role)(
	    struct store *st, const char *name, const char *role, int64_t now);
	int (*user_touch_login)(struct store *st, int64_t id, int64_t now);
	int (*web_session_delete)(
	    struct store *st, const unsigned char id[STORE_WEB_SESSION_ID]);
	int64_t (*web_session_delete_user)(struct store *st, int64_t user_id);
	int (*web_session_get)(struct store *st,
	    const unsigned char id[STORE_WEB_SESSION_ID], int64_t now,
	    struct store_web_session *out);
	int (*web_session_insert)(struct store *st,
	    const unsigned char id[STORE_WEB_SESSION_ID], int64_t user_id,
	    const char *csrf, int64_t now, int64_t expires);
	int64_t (*web_session_purge)(struct store *st, int64_t now);
	int (*web_session_touch)(struct store *st,
	    const unsigned char id[STORE_WEB_SESSION_ID], int64_t now,
	    int64_t expires);
};

extern const struct store_ops store_sqlite_ops; /* store_sqlite_ops.c */
extern const struct store_ops store_pg_ops;     /* store_pg_ops.c */

#endif
