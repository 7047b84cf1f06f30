/*
 * store_pg_todo.c: SCAFFOLDING while the PostgreSQL store is being written
 * (issue 16): a definition of every operation not written yet, which fails
 * with "not built on PostgreSQL yet". Each one goes from here as its real
 * definition lands in a store_pg_*.c file; then this file goes.
 */
#include <stdio.h>

#include "gateway/store_int.h"
#include "gateway/store_pg.h"
#include "lib/log.h"

static int
todo(struct store *st, const char *what)
{
	snprintf(st->pg->err, sizeof(st->pg->err),
	    "%s is not built on PostgreSQL yet", what);
	log_warn("store", "%s is not built on PostgreSQL yet", what);
	return STORE_ERR;
}

int
pgs_console_audience_channels(struct store *st, const char *topic,
    const char *channels, const char *fallback, store_count_cb cb, void *arg)
{
	(void)topic;
	(void)channels;
	(void)fallback;
	(void)cb;
	(void)arg;
	return todo(st, "store_console_audience_channels");
}

int
pgs_console_channel(
    struct store *st, const char *channel, struct store_channel_health *out)
{
	(void)channel;
	(void)out;
	return todo(st, "store_console_channel");
}

int
pgs_console_contacts(struct store *st, const struct store_contact_query *q,
    store_contact_row_cb cb, void *arg, int64_t *next)
{
	(void)q;
	(void)cb;
	(void)arg;
	(void)next;
	return todo(st, "store_console_contacts");
}

int
pgs_console_count(struct store *st, const char *direction, int64_t from,
    int64_t to, int64_t *n)
{
	(void)direction;
	(void)from;
	(void)to;
	(void)n;
	return todo(st, "store_console_count");
}

int
pgs_console_first_id(struct store *st, int64_t since, int64_t *id)
{
	(void)since;
	(void)id;
	return todo(st, "store_console_first_id");
}

int
pgs_console_median_resolution(struct store *st, double *ms)
{
	(void)ms;
	return todo(st, "store_console_median_resolution");
}

int
pgs_console_message(
    struct store *st, int64_t id, store_msg_row_cb cb, void *arg)
{
	(void)id;
	(void)cb;
	(void)arg;
	return todo(st, "store_console_message");
}

int
pgs_console_messages(struct store *st, const struct store_msg_query *q,
    store_msg_row_cb cb, void *arg, int64_t *next)
{
	(void)q;
	(void)cb;
	(void)arg;
	(void)next;
	return todo(st, "store_console_messages");
}

int
pgs_console_open_reports(struct store *st, store_open_reports_cb cb, void *arg)
{
	(void)cb;
	(void)arg;
	return todo(st, "store_console_open_reports");
}

int
pgs_console_outcomes(struct store *st, const char *channel, int64_t since,
    int64_t today, struct store_outcomes *out)
{
	(void)channel;
	(void)since;
	(void)today;
	(void)out;
	return todo(st, "store_console_outcomes");
}

int
pgs_console_queued(struct store *st, store_count_cb cb, void *arg)
{
	(void)cb;
	(void)arg;
	return todo(st, "store_console_queued");
}

int
pgs_console_report_ages(
    struct store *st, int64_t day, int64_t week, int64_t out[3])
{
	(void)day;
	(void)week;
	(void)out;
	return todo(st, "store_console_report_ages");
}

int
pgs_console_reports(struct store *st, const struct store_report_query *q,
    store_report_cb cb, void *arg, int64_t *next)
{
	(void)q;
	(void)cb;
	(void)arg;
	(void)next;
	return todo(st, "store_console_reports");
}

int
pgs_console_retry(struct store *st, int64_t id, int64_t now)
{
	(void)id;
	(void)now;
	return todo(st, "store_console_retry");
}

int
pgs_console_tables(struct store *st, store_table_info_cb cb, void *arg)
{
	(void)cb;
	(void)arg;
	return todo(st, "store_console_tables");
}

int
pgs_console_topics(struct store *st, store_count_cb cb, void *arg)
{
	(void)cb;
	(void)arg;
	return todo(st, "store_console_topics");
}

int
pgs_broadcast_audience(struct store *st, const char *topic, int64_t *n)
{
	(void)topic;
	(void)n;
	return todo(st, "store_broadcast_audience");
}

int
pgs_broadcast_get(struct store *st, int64_t id, struct store_broadcast *out)
{
	(void)id;
	(void)out;
	return todo(st, "store_broadcast_get");
}

int
pgs_broadcast_insert(struct store *st, const char *text, const char *topic,
    const char *channel, int64_t now, int64_t send_at, int64_t *id)
{
	(void)text;
	(void)topic;
	(void)channel;
	(void)now;
	(void)send_at;
	(void)id;
	return todo(st, "store_broadcast_insert");
}

int
pgs_broadcast_queue_chunk(struct store *st,
    const struct store_broadcast_chunk *c, int64_t *after, int64_t *n)
{
	(void)c;
	(void)after;
	(void)n;
	return todo(st, "store_broadcast_queue_chunk");
}

int
pgs_broadcast_set_totals(
    struct store *st, int64_t id, int64_t recipients, int64_t segments)
{
	(void)id;
	(void)recipients;
	(void)segments;
	return todo(st, "store_broadcast_set_totals");
}

int
pgs_contact_by_id(struct store *st, int64_t id, struct store_contact *out)
{
	(void)id;
	(void)out;
	return todo(st, "store_contact_by_id");
}

int
pgs_contact_forget(
    struct store *st, int64_t id, int64_t now, struct store_forgotten *out)
{
	(void)id;
	(void)now;
	(void)out;
	return todo(st, "store_contact_forget");
}

int
pgs_contact_messages(struct store *st, int64_t contact_id, const char *phone,
    store_contact_count_cb cb, void *arg)
{
	(void)contact_id;
	(void)phone;
	(void)cb;
	(void)arg;
	return todo(st, "store_contact_messages");
}

int
pgs_contact_reports(
    struct store *st, int64_t contact_id, store_report_cb cb, void *arg)
{
	(void)contact_id;
	(void)cb;
	(void)arg;
	return todo(st, "store_contact_reports");
}

int
pgs_contact_sessions(
    struct store *st, int64_t contact_id, int64_t now, int64_t *n)
{
	(void)contact_id;
	(void)now;
	(void)n;
	return todo(st, "store_contact_sessions");
}

int
pgs_contact_topics(
    struct store *st, int64_t contact_id, store_name_cb cb, void *arg)
{
	(void)contact_id;
	(void)cb;
	(void)arg;
	return todo(st, "store_contact_topics");
}

int
pgs_foreign_keys(struct store *st, int on)
{
	(void)on;
	return todo(st, "store_foreign_keys");
}

int64_t
pgs_privacy_purge(struct store *st, int64_t before)
{
	(void)before;
	return todo(st, "store_privacy_purge");
}

int
pgs_report_categories(struct store *st, size_t max, store_name_cb cb, void *arg)
{
	(void)max;
	(void)cb;
	(void)arg;
	return todo(st, "store_report_categories");
}

int
pgs_report_each(struct store *st, const struct store_report_filter *f,
    store_report_cb cb, void *arg)
{
	(void)f;
	(void)cb;
	(void)arg;
	return todo(st, "store_report_each");
}

int
pgs_report_events(struct store *st, int64_t id, size_t max,
    store_report_event_cb cb, void *arg)
{
	(void)id;
	(void)max;
	(void)cb;
	(void)arg;
	return todo(st, "store_report_events");
}

int
pgs_report_last_note(struct store *st, int64_t id, char **note)
{
	(void)id;
	(void)note;
	return todo(st, "store_report_last_note");
}

int
pgs_stats_failures(struct store *st, int limit, store_failure_cb cb, void *arg)
{
	(void)limit;
	(void)cb;
	(void)arg;
	return todo(st, "store_stats_failures");
}

int
pgs_stats_messages(struct store *st, store_tally_cb cb, void *arg)
{
	(void)cb;
	(void)arg;
	return todo(st, "store_stats_messages");
}

int
pgs_stats_modem_known(struct store *st, const char *channel)
{
	(void)channel;
	return todo(st, "store_stats_modem_known");
}

int
pgs_stats_modems(struct store *st, store_modem_cb cb, void *arg)
{
	(void)cb;
	(void)arg;
	return todo(st, "store_stats_modems");
}

int
pgs_stats_reports(struct store *st, store_tally_cb cb, void *arg)
{
	(void)cb;
	(void)arg;
	return todo(st, "store_stats_reports");
}

int
pgs_stats_resolution(struct store *st, const double bounds[STORE_RES_BOUNDS],
    struct store_resolution *out)
{
	(void)bounds;
	(void)out;
	return todo(st, "store_stats_resolution");
}

int
pgs_stats_sessions(struct store *st, int64_t now, int64_t *n)
{
	(void)now;
	(void)n;
	return todo(st, "store_stats_sessions");
}
