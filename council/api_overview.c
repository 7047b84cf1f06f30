/*
 * api_overview.c: GET /api/v1/overview, the console's first page: messages
 * in and out today and on each of the last 7 days (local days), the
 * delivery rate of the last 24 hours, the queue, each channel's health
 * and spend today, and the open reports by category and age with the median time to
 * resolution and the reporters' satisfaction (the share of yes among the
 * answers to the feedback question, with the counts).
 *
 * Every figure is counted in an index or read from a small table
 * (store_console.c): the days are 14 ranges of messages_dir_created; the
 * outcomes of the last 24 hours (and today's failures) are ranges of
 * messages_queue from the first id of that time on, by channel; the queue
 * and each channel's last outcome come from messages_queue too. Nothing
 * reads the messages table itself, and the work grows with the messages
 * of the last 7 days, not with all of them (bench/overview).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "council/api_common.h"
#include "council/budget.h"
#include "gateway/answer.h"
#include "gateway/auth.h"
#include "gateway/gateway.h"
#include "lib/util.h"

#define OVERVIEW_DAYS 7
#define DAY_MS (24 * 3600 * 1000LL)

/*
 * The start (ms) of the local day `back` days before the one holding ms,
 * and its date in day (YYYY-MM-DD) when not NULL. Daylight saving changes
 * are mktime()'s to handle.
 */
static int64_t
local_day(int64_t ms, int back, char *day, size_t daylen)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	tm.tm_hour = 0;
	tm.tm_min = 0;
	tm.tm_sec = 0;
	tm.tm_mday -= back;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (day != NULL)
		strftime(day, daylen, "%Y-%m-%d", &tm);
	return (int64_t)t * 1000;
}

/* The messages of each day. */
static int
days_json(
    struct store *st, int64_t now, json_t **days, int64_t *in, int64_t *out)
{
	char day[16];
	int64_t from, to, nin, nout;
	int i;

	*days = json_array();
	for (i = OVERVIEW_DAYS - 1; i >= 0; i--) {
		from = local_day(now, i, day, sizeof(day));
		to = local_day(now, i - 1, NULL, 0);
		if (store_console_count(st, "in", from, to, &nin) != 0 ||
		    store_console_count(st, "out", from, to, &nout) != 0)
			return -1;
		json_array_append_new(
		    *days, json_pack("{s:s, s:I, s:I}", "day", day, "in",
			       (json_int_t)nin, "out", (json_int_t)nout));
		*in = nin;
		*out = nout;
	}
	return 0;
}

/* Queued messages by channel, and their sum. */
struct queued {
	json_t *by; /* {"channel": n} */
	int64_t total;
};

static int
queued_cb(void *arg, const char *name, int64_t n)
{
	struct queued *q = arg;

	json_object_set_new(q->by, name, json_integer(n));
	q->total += n;
	return 0;
}

/* The modems' kept states, by channel. */
static int
modem_cb(void *arg, const struct store_modem *m)
{
	json_t *o = json_object();

	json_object_set_new(o, "up", json_boolean(m->up));
	json_object_set_new(o, "signal", json_integer(m->signal));
	json_object_set_new(o, "balance", api_string(m->balance));
	json_object_set_new(o, "balance_at", api_time(m->balance_at));
	json_object_set_new(o, "last_error", api_string(m->last_error));
	json_object_set_new(arg, m->channel, o);
	return 0;
}

/*
 * A channel's spend today: the segments sent on this local day and, with
 * a cost_per_segment, their cost and the daily budget, in the currency.
 */
static int
spend_json(struct store *st, const struct config *cfg,
    const struct channel_config *ch, int64_t now, json_t *o)
{
	struct budget_today t;

	if (budget_today(st, cfg, ch->name, now, &t) != 0)
		return -1;
	json_object_set_new(o, "segments_today", json_integer(t.segments));
	json_object_set_new(o, "spent_today",
	    t.has_cost ? json_real((double)t.spent / 1e6) : json_null());
	json_object_set_new(o, "daily_budget",
	    t.budget >= 0 ? json_real((double)t.budget / 1e6) : json_null());
	return 0;
}

/*
 * One channel: a modem's heartbeat as kept in the store, or, for a
 * provider, what its messages tell: up when its newest outcome is a
 * success, down when a failure, null when it has sent nothing yet.
 */
static json_t *
channel_json(struct store *st, const struct channel_config *ch,
    const struct queued *q, json_t *modems)
{
	struct store_channel_health h;
	json_t *o, *m, *n;

	o = json_object();
	json_object_set_new(o, "name", json_string(ch->name));
	json_object_set_new(
	    o, "type", json_string(config_channel_type_name(ch->type)));
	n = json_object_get(q->by, ch->name);
	json_object_set_new(
	    o, "queued", json_integer(n != NULL ? json_integer_value(n) : 0));
	if ((m = json_object_get(modems, ch->name)) != NULL) {
		json_object_update(o, m);
		return o;
	}
	if (ch->type == CHANNEL_GAMMU ||
	    store_console_channel(st, ch->name, &h) != 0) {
		json_object_set_new(o, "up", json_null());
		json_object_set_new(o, "last_error", json_null());
	} else {
		json_object_set_new(o, "up",
		    h.last_ok < 0 && h.last_failed < 0
			? json_null()
			: json_boolean(h.last_ok >= h.last_failed));
		json_object_set_new(o, "last_error", api_string(h.error));
		store_channel_health_free(&h);
	}
	json_object_set_new(o, "signal", json_null());
	json_object_set_new(o, "balance", json_null());
	json_object_set_new(o, "balance_at", json_null());
	return o;
}

/* Open reports by category. */
struct open_ctx {
	json_t *a;
	int64_t now;
};

static int
open_cb(void *arg, const char *category, int64_t open, int64_t oldest)
{
	struct open_ctx *c = arg;

	json_array_append_new(
	    c->a, json_pack("{s:o, s:I, s:I}", "category",
		      *category ? json_string(category) : json_null(), "open",
		      (json_int_t)open, "oldest_days",
		      (json_int_t)((c->now - oldest) / DAY_MS)));
	return 0;
}

static json_t *
reports_json_figures(struct store *st, int64_t now)
{
	struct open_ctx oc = {json_array(), now};
	int64_t ages[3], yes, no;
	double ms;
	json_t *o;
	int rc;

	if (store_console_open_reports(st, open_cb, &oc) != 0 ||
	    store_console_report_ages(
		st, now - DAY_MS, now - 7 * DAY_MS, ages) != 0 ||
	    (rc = store_console_median_resolution(st, &ms)) < 0 ||
	    store_feedback_counts(st, &yes, &no) != 0) {
		json_decref(oc.a);
		return NULL;
	}
	o = json_object();
	json_object_set_new(o, "open_by_category", oc.a);
	json_object_set_new(o, "by_age",
	    json_pack("{s:I, s:I, s:I}", "<1d", (json_int_t)ages[0], "1-7d",
		(json_int_t)ages[1], ">7d", (json_int_t)ages[2]));
	json_object_set_new(o, "median_resolution_hours",
	    rc == 0 ? json_real(ms / 3600000.0) : json_null());
	/* The reporters' answers to "was it fixed?": the share of yes. */
	json_object_set_new(o, "satisfaction",
	    yes + no > 0 ? json_real((double)yes / (double)(yes + no))
			 : json_null());
	json_object_set_new(o, "feedback",
	    json_pack(
		"{s:I, s:I}", "yes", (json_int_t)yes, "no", (json_int_t)no));
	return o;
}

/* GET /api/v1/overview */
static void
overview(struct gateway *gw, struct http_request *req)
{
	struct store_outcomes oc;
	struct queued q = {NULL, 0};
	int64_t now = now_ms(), in = 0, out = 0, since, today;
	json_t *o, *days = NULL, *channels, *modems = NULL, *reports = NULL;
	size_t i;
	int rc;

	q.by = json_object();
	modems = json_object();
	memset(&oc, 0, sizeof(oc));
	rc = store_console_first_id(gw->store, now - DAY_MS, &since) != 0 ||
	     store_console_first_id(
		 gw->store, local_day(now, 0, NULL, 0), &today) != 0;
	for (i = 0; rc == 0 && i < gw->cfg->nchannels; i++)
		rc = store_console_outcomes(
		    gw->store, gw->cfg->channels[i].name, since, today, &oc);
	if (rc != 0 || days_json(gw->store, now, &days, &in, &out) != 0 ||
	    store_console_queued(gw->store, queued_cb, &q) != 0 ||
	    store_stats_modems(gw->store, modem_cb, modems) != 0 ||
	    (reports = reports_json_figures(gw->store, now)) == NULL) {
		json_decref(days);
		json_decref(q.by);
		json_decref(modems);
		api_store_failed(req);
		return;
	}
	channels = json_array();
	for (i = 0; i < gw->cfg->nchannels; i++) {
		json_t *c =
		    channel_json(gw->store, &gw->cfg->channels[i], &q, modems);

		json_array_append_new(channels, c);
		if (spend_json(gw->store, gw->cfg, &gw->cfg->channels[i], now,
			c) != 0) {
			json_decref(channels);
			json_decref(days);
			json_decref(q.by);
			json_decref(modems);
			json_decref(reports);
			api_store_failed(req);
			return;
		}
	}
	o = json_object();
	json_object_set_new(o, "today",
	    json_pack("{s:I, s:I, s:I}", "in", (json_int_t)in, "out",
		(json_int_t)out, "failed", (json_int_t)oc.failed_today));
	json_object_set_new(o, "days", days);
	json_object_set_new(o, "delivery_rate",
	    oc.done > 0
		? json_real((double)(oc.done - oc.failed) / (double)oc.done)
		: json_null());
	json_object_set_new(o, "queue_depth", json_integer(q.total));
	json_object_set_new(o, "currency",
	    gw->cfg->currency ? json_string(gw->cfg->currency) : json_null());
	json_object_set_new(o, "channels", channels);
	json_object_set_new(o, "reports", reports);
	json_object_set_new(o, "generated", api_time(now));
	json_decref(q.by);
	json_decref(modems);
	api_answer(req, 200, o);
}

void
api_overview(struct gateway *gw, struct http_request *req, const char *rest)
{
	if (strcmp(rest, "overview") != 0) {
		answer_error(req, 404, "no such API endpoint");
		return;
	}
	if (strcmp(req->method, "GET") != 0)
		answer_method(req, "GET");
	else if (auth_require(req, ROLE_VIEWER) == 0)
		overview(gw, req);
}
