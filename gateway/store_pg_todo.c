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
