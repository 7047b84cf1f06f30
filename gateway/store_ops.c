/*
 * store_ops.c: every store_* operation of store.h, passed to the table of
 * the store's kind (store_ops.h), and the contact's last channel recorded
 * (store_contact_seen) for both kinds alike.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/store_int.h"
#include "gateway/store_ops.h"
#include "gateway/store_pg.h"
#include "lib/log.h"
#include "lib/util.h"

int
store_open(
    const char *path, int durability_full, struct store **out, char **errmsg)
{
	return store_open_db(path, NULL, durability_full, out, errmsg);
}

int
store_peek_tables(const char *database, const char *password,
    int (*cb)(void *, const char *name), void *arg, char **errmsg)
{
	if (store_is_postgres(database))
		return pgs_peek_tables(database, password, cb, arg, errmsg);
	return sq_peek_tables(database, cb, arg, errmsg);
}

int
store_open_db(const char *database, const char *password, int durability_full,
    struct store **out, char **errmsg)
{
	int rc;

	if (store_is_postgres(database)) {
		if ((rc = pgs_open(database, password, durability_full, out,
			 errmsg)) == 0)
			(*out)->ops = &store_pg_ops;
		return rc;
	}
	if ((rc = sq_open(database, durability_full, out, errmsg)) == 0)
		(*out)->ops = &store_sqlite_ops;
	return rc;
}

int
store_open_reader(struct store **reader, const char *database,
    const char *password, const char *who)
{
	char *err = NULL;

	if (*reader != NULL)
		return 0;
	if (store_open_db(database, password, 0, reader, &err) == 0)
		return 0;
	log_warn(who, "the store cannot be read error=\"%s\"", err ? err : "?");
	free(err);
	*reader = NULL;
	return -1;
}

int
store_autocheckpoint(struct store *st, int pages)
{
	return st->ops->autocheckpoint(st, pages);
}

int
store_begin(struct store *st)
{
	st->sp_depth = 0;
	return st->ops->begin(st);
}

void
store_close(struct store *st)
{
	if (st != NULL) {
		free(st->node);
		st->node = NULL;
		free(st->sp_mark);
		st->sp_mark = NULL;
		st->ops->close(st);
	}
}

int
store_commit(struct store *st)
{
	int rc = st->ops->commit(st);

	if (rc == 0)
		st->sp_depth = 0;
	return rc;
}

int
store_contact_find(
    struct store *st, const char *phone, struct store_contact *out)
{
	return st->ops->contact_find(st, phone, out);
}

int
store_contact_get(
    struct store *st, const char *phone, int64_t now, struct store_contact *out)
{
	return st->ops->contact_get(st, phone, now, out);
}

int
store_contact_set_field(struct store *st, int64_t id, const char *name,
    const char *value, int64_t now)
{
	return st->ops->contact_set_field(st, id, name, value, now);
}

int
store_contact_set_language(
    struct store *st, int64_t id, const char *lang, int64_t now)
{
	return st->ops->contact_set_language(st, id, lang, now);
}

int
store_contact_set_last_channel(
    struct store *st, int64_t id, const char *channel, int64_t now)
{
	return st->ops->contact_set_last_channel(st, id, channel, now);
}

int
store_contact_set_opted_out(
    struct store *st, int64_t id, int opted_out, int64_t now)
{
	return st->ops->contact_set_opted_out(st, id, opted_out, now);
}

int
store_contact_touch(struct store *st, const char *phone, const char *channel,
    int64_t now, struct store_contact *out)
{
	int rc = st->ops->contact_find_or_add(st, phone, channel, now, out);

	/* Found: its channel is recorded as for one read before. */
	return rc == 0 ? store_contact_seen(st, out, channel, now) : rc;
}

int
store_contact_seen(
    struct store *st, struct store_contact *c, const char *channel, int64_t now)
{
	int rc;

	if (channel == NULL ||
	    (c->last_channel != NULL && strcmp(c->last_channel, channel) == 0))
		return 0;
	rc = st->ops->contact_set_last_channel(st, c->id, channel, now);
	if (rc != 0)
		return rc;
	free(c->last_channel);
	c->last_channel = xstrdup(channel);
	return 0;
}

const char *
store_errmsg(struct store *st)
{
	return st->ops->errmsg(st);
}

int
store_in_transaction(struct store *st)
{
	return st->ops->in_transaction(st);
}

int
store_lookup(struct store *st, const char *table, const char *column,
    const char *value, char **row_json)
{
	return st->ops->lookup(st, table, column, value, row_json);
}

int
store_ping(struct store *st)
{
	return st->ops->ping(st);
}

int
store_release(struct store *st)
{
	int rc = st->ops->release(st);

	if (rc == 0 && st->sp_depth > 0)
		st->sp_depth--;
	return rc;
}

int
store_report_add_event(struct store *st, int64_t id, const char *status,
    const char *note, int64_t now)
{
	return st->ops->report_add_event(st, id, status, note, now);
}

int
store_report_create(struct store *st, int64_t contact_id, const char *flow,
    const char *category, const char *location, const char *details,
    int64_t now, int64_t *id)
{
	return st->ops->report_create(
	    st, contact_id, flow, category, location, details, now, id);
}

int
store_report_get(struct store *st, int64_t id, struct store_report *out)
{
	return st->ops->report_get(st, id, out);
}

/* Writes marked after since were undone: whoever keeps them is told. */
static void
undone(struct store *st, uint64_t since)
{
	if (st->undo_fn != NULL)
		st->undo_fn(st->undo_arg, since);
}

int
store_rollback(struct store *st)
{
	int rc = st->ops->rollback(st);

	st->sp_depth = 0;
	undone(st, 0);
	return rc;
}

int
store_rollback_to(struct store *st)
{
	int rc = st->ops->rollback_to(st);

	/*
	 * Failed or not, the savepoint is gone (a failure that rolled the
	 * transaction back took it): what was marked after it is undone, or
	 * will be with the transaction.
	 */
	if (st->sp_depth > 0)
		undone(st, st->sp_mark[--st->sp_depth]);
	else
		undone(st, 0);
	return rc;
}

int
store_savepoint(struct store *st)
{
	int rc = st->ops->savepoint(st);

	if (rc == 0) {
		if (st->sp_depth == st->sp_cap) {
			st->sp_cap = st->sp_cap == 0 ? 8 : st->sp_cap * 2;
			st->sp_mark = xrealloc(
			    st->sp_mark, st->sp_cap * sizeof(*st->sp_mark));
		}
		st->sp_mark[st->sp_depth++] = ++st->tick;
	}
	return rc;
}

uint64_t
store_mark(struct store *st)
{
	return ++st->tick;
}

void
store_on_undo(struct store *st, void (*undo)(void *, uint64_t), void *arg)
{
	st->undo_fn = undo;
	st->undo_arg = undo != NULL ? arg : NULL;
}

int
store_session_delete(struct store *st, const char *key)
{
	return st->ops->session_delete(st, key);
}

int
store_session_load(
    struct store *st, const char *key, int64_t now, struct store_session *out)
{
	return st->ops->session_load(st, key, now, out);
}

int
store_session_purge(struct store *st, int64_t now)
{
	return st->ops->session_purge(st, now);
}

int
store_session_put(
    struct store *st, const char *key, const struct store_session *ss)
{
	return st->ops->session_put(st, key, ss);
}

int
store_session_resumable(struct store *st, int64_t contact_id,
    const char *resume, int64_t since, int64_t now, char **key,
    struct store_session *out)
{
	return st->ops->session_resumable(
	    st, contact_id, resume, since, now, key, out);
}

int
store_session_save(struct store *st, const char *key, int64_t contact_id,
    const char *flow, const char *state, int64_t expires)
{
	return st->ops->session_save(st, key, contact_id, flow, state, expires);
}

int
store_subscribe(
    struct store *st, int64_t contact_id, const char *topic, int64_t now)
{
	return st->ops->subscribe(st, contact_id, topic, now);
}

int
store_subscribed(struct store *st, int64_t contact_id, const char *topic)
{
	return st->ops->subscribed(st, contact_id, topic);
}

int
store_table_add_row(struct store *st, const char *table, const char *key,
    size_t keylen, const char *row_json, size_t rowlen)
{
	return st->ops->table_add_row(st, table, key, keylen, row_json, rowlen);
}

int
store_table_replace_begin(struct store *st, const char *table,
    const char *key_column, const char *columns_json, int64_t now)
{
	return st->ops->table_replace_begin(
	    st, table, key_column, columns_json, now);
}

int
store_table_replace_end(struct store *st, const char *table, int64_t rows)
{
	return st->ops->table_replace_end(st, table, rows);
}

int
store_unsubscribe(struct store *st, int64_t contact_id, const char *topic)
{
	return st->ops->unsubscribe(st, contact_id, topic);
}

void
store_wal_hook(struct store *st, int (*fn)(void *, int frames), void *arg)
{
	st->ops->wal_hook(st, fn, arg);
}

int
store_campaign_bad_dates(
    struct store *st, const char *table, const char *date_column, int64_t *n)
{
	return st->ops->campaign_bad_dates(st, table, date_column, n);
}

int
store_campaign_columns(
    struct store *st, const char *table, store_name_cb cb, void *arg)
{
	return st->ops->campaign_columns(st, table, cb, arg);
}

int
store_campaign_dates(struct store *st, const struct store_campaign_query *q,
    const char *from, store_count_cb cb, void *arg)
{
	return st->ops->campaign_dates(st, q, from, cb, arg);
}

int
store_campaign_due(struct store *st, const struct store_campaign_query *q,
    const char *dates, store_campaign_row_cb cb, void *arg)
{
	return st->ops->campaign_due(st, q, dates, cb, arg);
}

int
store_campaign_last_run(struct store *st, const char *name, int64_t *ms)
{
	return st->ops->campaign_last_run(st, name, ms);
}

int
store_campaign_mark(struct store *st, const char *name, const char *row_key,
    int offset_days, const char *date, int64_t message_id, int64_t now)
{
	return st->ops->campaign_mark(
	    st, name, row_key, offset_days, date, message_id, now);
}

int
store_campaign_sent(struct store *st, const char *name, int64_t *n)
{
	return st->ops->campaign_sent(st, name, n);
}

int
store_campaign_set_last_run(struct store *st, const char *name, int64_t ms)
{
	return st->ops->campaign_set_last_run(st, name, ms);
}

int
store_chanlog_add(struct store *st, const struct store_chanlog *e)
{
	return st->ops->chanlog_add(st, e);
}

int
store_chanlog_each(
    struct store *st, int64_t message_id, store_chanlog_cb cb, void *arg)
{
	return st->ops->chanlog_each(st, message_id, cb, arg);
}

int64_t
store_chanlog_purge(struct store *st, int64_t before, int64_t max)
{
	return st->ops->chanlog_purge(st, before, max);
}

int
store_console_audience_channels(struct store *st, const char *topic,
    const char *channels, const char *fallback, store_count_cb cb, void *arg)
{
	return st->ops->console_audience_channels(
	    st, topic, channels, fallback, cb, arg);
}

int
store_console_channel(
    struct store *st, const char *channel, struct store_channel_health *out)
{
	return st->ops->console_channel(st, channel, out);
}

int
store_console_contacts(struct store *st, const struct store_contact_query *q,
    store_contact_row_cb cb, void *arg, int64_t *next)
{
	return st->ops->console_contacts(st, q, cb, arg, next);
}

int
store_console_counts(
    struct store *st, int64_t from, int64_t to, int64_t *in, int64_t *out)
{
	return st->ops->console_counts(st, from, to, in, out);
}

int
store_console_first_id(struct store *st, int64_t since, int64_t *id)
{
	return st->ops->console_first_id(st, since, id);
}

int
store_console_median_resolution(struct store *st, double *ms)
{
	return st->ops->console_median_resolution(st, ms);
}

int
store_console_message(
    struct store *st, int64_t id, store_msg_row_cb cb, void *arg)
{
	return st->ops->console_message(st, id, cb, arg);
}

int
store_console_messages(struct store *st, const struct store_msg_query *q,
    store_msg_row_cb cb, void *arg, int64_t *next)
{
	return st->ops->console_messages(st, q, cb, arg, next);
}

int
store_console_open_reports(
    struct store *st, store_open_reports_cb cb, void *arg)
{
	return st->ops->console_open_reports(st, cb, arg);
}

int
store_console_outcomes(struct store *st, const char *channel, int64_t since,
    int64_t today, struct store_outcomes *out)
{
	return st->ops->console_outcomes(st, channel, since, today, out);
}

int
store_console_queued(struct store *st, store_count_cb cb, void *arg)
{
	return st->ops->console_queued(st, cb, arg);
}

int
store_console_report_ages(
    struct store *st, int64_t day, int64_t week, int64_t out[3])
{
	return st->ops->console_report_ages(st, day, week, out);
}

int
store_console_reports(struct store *st, const struct store_report_query *q,
    store_report_cb cb, void *arg, int64_t *next)
{
	return st->ops->console_reports(st, q, cb, arg, next);
}

int
store_console_retry(struct store *st, int64_t id, int64_t now)
{
	return st->ops->console_retry(st, id, now);
}

int
store_console_tables(struct store *st, store_table_info_cb cb, void *arg)
{
	return st->ops->console_tables(st, cb, arg);
}

int
store_console_topics(struct store *st, store_count_cb cb, void *arg)
{
	return st->ops->console_topics(st, cb, arg);
}

int
store_broadcast_audience(struct store *st, const char *topic, int64_t *n)
{
	return st->ops->broadcast_audience(st, topic, n);
}

int
store_broadcast_get(struct store *st, int64_t id, struct store_broadcast *out)
{
	return st->ops->broadcast_get(st, id, out);
}

int
store_broadcast_insert(struct store *st, const char *text, const char *topic,
    const char *channel, int64_t now, int64_t send_at, int64_t *id)
{
	return st->ops->broadcast_insert(
	    st, text, topic, channel, now, send_at, id);
}

int
store_broadcast_queue_chunk(struct store *st,
    const struct store_broadcast_chunk *c, int64_t *after, int64_t *n)
{
	return st->ops->broadcast_queue_chunk(st, c, after, n);
}

int
store_broadcast_advance(
    struct store *st, int64_t id, int64_t from, int64_t upto)
{
	return st->ops->broadcast_advance(st, id, from, upto);
}

int
store_broadcast_pending(
    struct store *st, struct store_broadcast *out, int64_t *upto)
{
	return st->ops->broadcast_pending(st, out, upto);
}

int
store_broadcast_set_totals(
    struct store *st, int64_t id, int64_t recipients, int64_t segments)
{
	return st->ops->broadcast_set_totals(st, id, recipients, segments);
}

int
store_contact_by_id(struct store *st, int64_t id, struct store_contact *out)
{
	return st->ops->contact_by_id(st, id, out);
}

int
store_contact_forget(
    struct store *st, int64_t id, int64_t now, struct store_forgotten *out)
{
	return st->ops->contact_forget(st, id, now, out);
}

int
store_contact_messages(struct store *st, int64_t contact_id, const char *phone,
    store_contact_count_cb cb, void *arg)
{
	return st->ops->contact_messages(st, contact_id, phone, cb, arg);
}

int
store_contact_reports(
    struct store *st, int64_t contact_id, store_report_cb cb, void *arg)
{
	return st->ops->contact_reports(st, contact_id, cb, arg);
}

int
store_contact_sessions(
    struct store *st, int64_t contact_id, int64_t now, int64_t *n)
{
	return st->ops->contact_sessions(st, contact_id, now, n);
}

int
store_contact_topics(
    struct store *st, int64_t contact_id, store_name_cb cb, void *arg)
{
	return st->ops->contact_topics(st, contact_id, cb, arg);
}

int
store_foreign_keys(struct store *st, int on)
{
	return st->ops->foreign_keys(st, on);
}

int64_t
store_privacy_purge(
    struct store *st, int64_t before, int64_t from, int64_t to, int64_t *left)
{
	*left = 0;
	return st->ops->privacy_purge(st, before, from, to, left);
}

int
store_report_categories(
    struct store *st, size_t max, store_name_cb cb, void *arg)
{
	return st->ops->report_categories(st, max, cb, arg);
}

int
store_report_each(struct store *st, const struct store_report_filter *f,
    store_report_cb cb, void *arg)
{
	return st->ops->report_each(st, f, cb, arg);
}

int
store_report_events(struct store *st, int64_t id, size_t max,
    store_report_event_cb cb, void *arg)
{
	return st->ops->report_events(st, id, max, cb, arg);
}

int
store_report_last_note(struct store *st, int64_t id, char **note)
{
	return st->ops->report_last_note(st, id, note);
}

int
store_stats_failures(
    struct store *st, int limit, store_failure_cb cb, void *arg)
{
	return st->ops->stats_failures(st, limit, cb, arg);
}

int
store_stats_messages(struct store *st, store_tally_cb cb, void *arg)
{
	return st->ops->stats_messages(st, cb, arg);
}

int
store_stats_modem_known(struct store *st, const char *channel)
{
	return st->ops->stats_modem_known(st, channel);
}

int
store_stats_modems(struct store *st, store_modem_cb cb, void *arg)
{
	return st->ops->stats_modems(st, cb, arg);
}

int
store_stats_reports(struct store *st, store_tally_cb cb, void *arg)
{
	return st->ops->stats_reports(st, cb, arg);
}

int
store_stats_resolution(struct store *st, const double bounds[STORE_RES_BOUNDS],
    struct store_resolution *out)
{
	return st->ops->stats_resolution(st, bounds, out);
}

int
store_stats_sessions(struct store *st, int64_t now, int64_t *n)
{
	return st->ops->stats_sessions(st, now, n);
}

int
store_event_claim(struct store *st, const char *sink, int64_t now,
    int64_t lease, size_t max, struct store_event **out, size_t *n)
{
	return st->ops->event_claim(st, sink, now, lease, max, out, n);
}

int
store_event_delete(struct store *st, int64_t id)
{
	return st->ops->event_delete(st, id);
}

int64_t
store_event_drop_others(struct store *st, const char *sinks_json)
{
	return st->ops->event_drop_others(st, sinks_json);
}

int
store_event_insert(struct store *st, const char *sink, const char *event,
    const char *data, int64_t now, int64_t *id)
{
	return st->ops->event_insert(st, sink, event, data, now, id);
}

int
store_event_msg_get(struct store *st, int64_t id, struct store_event_msg *out)
{
	return st->ops->event_msg_get(st, id, out);
}

int64_t
store_event_next_due(struct store *st, const char *sink)
{
	return st->ops->event_next_due(st, sink);
}

int
store_event_retry(
    struct store *st, int64_t id, int64_t next_attempt, const char *error)
{
	return st->ops->event_retry(st, id, next_attempt, error);
}

int
store_event_waiting(struct store *st, int64_t *n)
{
	return st->ops->event_waiting(st, n);
}

int
store_feedback_answer(struct store *st, int64_t id, int yes, int64_t now)
{
	return st->ops->feedback_answer(st, id, yes, now);
}

int
store_feedback_ask(struct store *st, int64_t id, int64_t now)
{
	return st->ops->feedback_ask(st, id, now);
}

int
store_feedback_counts(struct store *st, int64_t *yes, int64_t *no)
{
	return st->ops->feedback_counts(st, yes, no);
}

int
store_feedback_get(struct store *st, int64_t id, struct store_feedback *out)
{
	return st->ops->feedback_get(st, id, out);
}

int
store_feedback_pending(struct store *st, int64_t contact_id, int64_t since,
    int64_t *id, int64_t *asked)
{
	return st->ops->feedback_pending(st, contact_id, since, id, asked);
}

int
store_idem_get(struct store *st, const char *endpoint, const char *key,
    struct store_idem *out)
{
	return st->ops->idem_get(st, endpoint, key, out);
}

int64_t
store_idem_purge(struct store *st, int64_t before)
{
	return st->ops->idem_purge(st, before);
}

int
store_idem_put(struct store *st, const char *endpoint, const char *key,
    const unsigned char hash[STORE_IDEM_HASH], int status, const char *answer,
    int64_t now)
{
	return st->ops->idem_put(st, endpoint, key, hash, status, answer, now);
}

int
store_modem_state_get(struct store *st, const char *channel,
    int (*cb)(void *arg, const struct store_modem *), void *arg)
{
	return st->ops->modem_state_get(st, channel, cb, arg);
}

int
store_modem_state_put(struct store *st, const struct store_modem *m)
{
	return st->ops->modem_state_put(st, m);
}

int
store_msg_each_received(struct store *st, store_msg_received_cb cb, void *arg)
{
	return st->ops->msg_each_received(st, cb, arg);
}

int
store_msg_get(struct store *st, int64_t id, struct store_msg *out)
{
	return st->ops->msg_get(st, id, out);
}

int
store_msg_inbound_state(struct store *st, int64_t id, enum msg_state state,
    int64_t contact_id, int64_t now)
{
	return st->ops->msg_inbound_state(st, id, state, contact_id, now);
}

int
store_msg_insert_inbound(
    struct store *st, const struct store_msg_in *m, int64_t now, int64_t *id)
{
	return st->ops->msg_insert_inbound(st, m, now, id);
}

int
store_msg_insert_inbound_contact(struct store *st, const struct store_msg_in *m,
    int64_t now, int64_t *id, struct store_contact *contact)
{
	return st->ops->msg_insert_inbound_contact(st, m, now, id, contact);
}

int
store_msg_insert_outbound(
    struct store *st, const struct store_msg_out *m, int64_t now, int64_t *id)
{
	return st->ops->msg_insert_outbound(st, m, now, id);
}

int64_t
store_msg_max_id(struct store *st)
{
	return st->ops->msg_max_id(st);
}

int
store_queue_claim(struct store *st, const char *channel, int64_t now,
    size_t max, struct store_queue_msg **out, size_t *n)
{
	return st->ops->queue_claim(st, channel, now, max, out, n);
}

int
store_queue_claim_upto(struct store *st, const char *channel, int64_t now,
    size_t max, int64_t max_id, struct store_queue_msg **out, size_t *n)
{
	return st->ops->queue_claim_upto(st, channel, now, max, max_id, out, n);
}

int
store_queue_fail(struct store *st, int64_t id, const char *error, int64_t now)
{
	return st->ops->queue_fail(st, id, error, now);
}

int
store_queue_move(struct store *st, const char *from, const char *to,
    int64_t now, int64_t due_by)
{
	return st->ops->queue_move(st, from, to, now, due_by);
}

int
store_queue_newest(
    struct store *st, const char *channel, const char *provider_id, int64_t *id)
{
	return st->ops->queue_newest(st, channel, provider_id, id);
}

int64_t
store_queue_next_due(struct store *st, const char *channel)
{
	return st->ops->queue_next_due(st, channel);
}

int
store_queue_recover(struct store *st, int64_t now)
{
	return st->ops->queue_recover(st, now);
}

int
store_msg_adopt_received(struct store *st, int64_t now, int64_t lease,
    int others, store_msg_received_cb cb, void *arg)
{
	return st->ops->msg_adopt_received(st, now, lease, others, cb, arg);
}

int
store_transient(struct store *st)
{
	return st->ops->transient(st);
}

void
store_set_node(struct store *st, const char *name)
{
	free(st->node);
	st->node = name != NULL ? xstrdup(name) : NULL;
}

int
store_node_beat(
    struct store *st, const char *instance, int64_t now, int64_t *other)
{
	return st->ops->node_beat(st, instance, now, other);
}

int
store_queue_sweep(struct store *st, int64_t now, int64_t lease)
{
	return st->ops->queue_sweep(st, now, lease);
}

int
store_flood_hit(struct store *st, const char *phone, int64_t now,
    int64_t period, int64_t *count)
{
	return st->ops->flood_hit(st, phone, now, period, count);
}

int
store_ussd_seen(struct store *st, const char *key, const char *text,
    int64_t now, struct store_ussd_last *prev)
{
	return st->ops->ussd_seen(st, key, text, now, prev);
}

int
store_ussd_screen(
    struct store *st, const char *key, const char *screen, int end)
{
	return st->ops->ussd_screen(st, key, screen, end);
}

int64_t
store_shared_purge(struct store *st, int64_t flood_before, int64_t ussd_before,
    int64_t node_before)
{
	return st->ops->shared_purge(
	    st, flood_before, ussd_before, node_before);
}

int
store_part_put(struct store *st, const char *channel, const char *phone,
    const char *ref, const struct store_sms_part *p)
{
	return st->ops->part_put(st, channel, phone, ref, p);
}

int
store_parts_lock(
    struct store *st, const char *channel, const char *phone, const char *ref)
{
	return st->ops->parts_lock(st, channel, phone, ref);
}

int
store_part_seen(struct store *st, const char *channel, const char *provider_id)
{
	return st->ops->part_seen(st, channel, provider_id);
}

int
store_parts_get(struct store *st, const char *channel, const char *phone,
    const char *ref, struct store_sms_part **out, size_t *n)
{
	return st->ops->parts_get(st, channel, phone, ref, out, n);
}

int
store_parts_joined(
    struct store *st, const char *channel, const char *phone, const char *ref)
{
	return st->ops->parts_joined(st, channel, phone, ref);
}

int
store_parts_due(struct store *st, const char *channel, int64_t before,
    size_t max, struct store_part_set **out, size_t *n)
{
	return st->ops->parts_due(st, channel, before, max, out, n);
}

int64_t
store_parts_purge(struct store *st, int64_t before)
{
	return st->ops->parts_purge(st, before);
}

int
store_queue_report(struct store *st, const char *channel,
    const char *provider_id, int64_t own_id, enum msg_state state,
    const char *error, int64_t now)
{
	return st->ops->queue_report(
	    st, channel, provider_id, own_id, state, error, now);
}

int
store_queue_retry(struct store *st, int64_t id, int64_t next_attempt,
    const char *error, int64_t now)
{
	return st->ops->queue_retry(st, id, next_attempt, error, now);
}

int
store_queue_sent(
    struct store *st, int64_t id, const char *provider_id, int64_t now)
{
	return st->ops->queue_sent(st, id, provider_id, now);
}

int
store_queue_sent_claimed(struct store *st, int64_t id, const char *provider_id,
    const char *channel, int segments, int64_t now)
{
	return st->ops->queue_sent_claimed(
	    st, id, provider_id, channel, segments, now);
}

int
store_spend_pending(struct store *st, const char *channel, int64_t from,
    int64_t until, int64_t *segments)
{
	return st->ops->spend_pending(st, channel, from, until, segments);
}

int
store_spend_segments(
    struct store *st, const char *channel, const char *day, int64_t *segments)
{
	return st->ops->spend_segments(st, channel, day, segments);
}

int
store_audit_insert(struct store *st, int64_t time, const char *user,
    const char *action, const char *object, const char *detail)
{
	return st->ops->audit_insert(st, time, user, action, object, detail);
}

int
store_audit_page(struct store *st, int64_t before, size_t limit,
    store_audit_cb cb, void *arg)
{
	return st->ops->audit_page(st, before, limit, cb, arg);
}

int
store_user_count_role(struct store *st, const char *role, int64_t *n)
{
	return st->ops->user_count_role(st, role, n);
}

int
store_user_delete(struct store *st, const char *name)
{
	return st->ops->user_delete(st, name);
}

int
store_user_each(struct store *st, store_user_cb cb, void *arg)
{
	return st->ops->user_each(st, cb, arg);
}

int
store_user_get(struct store *st, const char *name, struct store_user *out)
{
	return st->ops->user_get(st, name, out);
}

int
store_user_insert(struct store *st, const char *name, const char *role,
    const char *hash, int64_t now, int64_t *id)
{
	return st->ops->user_insert(st, name, role, hash, now, id);
}

int
store_user_set_hash(
    struct store *st, const char *name, const char *hash, int64_t now)
{
	return st->ops->user_set_hash(st, name, hash, now);
}

int
store_user_set_role(
    struct store *st, const char *name, const char *role, int64_t now)
{
	return st->ops->user_set_role(st, name, role, now);
}

int
store_user_touch_login(struct store *st, int64_t id, int64_t now)
{
	return st->ops->user_touch_login(st, id, now);
}

int
store_web_session_delete(
    struct store *st, const unsigned char id[STORE_WEB_SESSION_ID])
{
	return st->ops->web_session_delete(st, id);
}

int64_t
store_web_session_delete_user(struct store *st, int64_t user_id)
{
	return st->ops->web_session_delete_user(st, user_id);
}

int
store_web_session_get(struct store *st,
    const unsigned char id[STORE_WEB_SESSION_ID], int64_t now,
    struct store_web_session *out)
{
	return st->ops->web_session_get(st, id, now, out);
}

int
store_web_session_insert(struct store *st,
    const unsigned char id[STORE_WEB_SESSION_ID], int64_t user_id,
    const char *csrf, int64_t now, int64_t expires)
{
	return st->ops->web_session_insert(st, id, user_id, csrf, now, expires);
}

int64_t
store_web_session_purge(struct store *st, int64_t now)
{
	return st->ops->web_session_purge(st, now);
}

int
store_web_session_touch(struct store *st,
    const unsigned char id[STORE_WEB_SESSION_ID], int64_t now, int64_t expires)
{
	return st->ops->web_session_touch(st, id, now, expires);
}
