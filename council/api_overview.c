/*
 * api_overview.c: GET /api/v1/overview, the console's first page: messages
 * in and out today and on each of the last 7 days (local days), the
 * delivery rate of the last 24 hours, the queue, each channel's health
 * and spend today, and the open reports by category and age with the median time to
 * resolution and the reporters' satisfaction (the share of yes among the
 * answers to the feedback question, with the counts).
 *
 * Every figure is counted in an index or read from a small table
 * (store_console.c): the days are 14 ranges of messages_created; the
 * outcomes of the last 24 hours (and today's failures) are ranges of
 * messages_queue from the first id of that time on, by channel; the queue
 * and each channel's last outcome come from messages_queue too. Nothing
 * reads the messages table itself, and the work grows with the messages
 * of the last 7 days, not with all of them (bench/overview). Still, with
 * millions of messages in a week that is a fifth of a second: the figures
 * are read in libuv's thread pool by the council's reader (reader.h, a
 * connection of its own; /metrics has another), and requests that come during
 * a read wait for it (at most API_OVERVIEW_MAX_WAITING); the loop then
 * adds what the config says (each channel's type, spend and budget) and
 * answers. Without a loop or with a database in memory (tests, fuzz_api),
 * the caller's thread reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "council/api_common.h"
#include "council/budget.h"
#include "council/reader.h"
#include "gateway/answer.h"
#include "gateway/auth.h"
#include "gateway/dispatch.h"
#include "gateway/gateway.h"
#include "lib/log.h"
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
		if (store_console_counts(st, from, to, &nin, &nout) != 0)
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

/*
 * What one overview reads from the store: everything but what the config
 * adds, so that the thread pool can read it. The channels are named at
 * the start (a reload may change them meanwhile).
 */
struct overview_read {
	int64_t now;
	char **names; /* the channels' names, n of them */
	int *modem;   /* names[i] is a Gammu channel */
	size_t n;
	int rc; /* 0: every figure below was read */
	struct store_outcomes oc;
	json_t *days;
	int64_t in, out; /* today's */
	struct queued q;
	json_t *modems;  /* {"channel": {"up", "signal", ...}} */
	json_t *health;  /* {"channel": {"up", "last_error"}}, providers */
	json_t *reports; /* reports_json_figures() */
};

/* A provider's health as its messages tell, or NULL when unknown. */
static json_t *
health_json(struct store *st, const char *name)
{
	struct store_channel_health h;
	json_t *o;

	if (store_console_channel(st, name, &h) != 0)
		return NULL;
	o = json_object();
	json_object_set_new(o, "up",
	    h.last_ok < 0 && h.last_failed < 0
		? json_null()
		: json_boolean(h.last_ok >= h.last_failed));
	json_object_set_new(o, "last_error", api_string(h.error));
	store_channel_health_free(&h);
	return o;
}

/* Reads r's figures from st (r->now and the channels set): r->rc. */
static void
read_figures(struct store *st, struct overview_read *r)
{
	int64_t since, today;
	size_t i;
	int rc;

	r->q.by = json_object();
	r->modems = json_object();
	r->health = json_object();
	memset(&r->oc, 0, sizeof(r->oc));
	rc = store_console_first_id(st, r->now - DAY_MS, &since) != 0 ||
	     store_console_first_id(
		 st, local_day(r->now, 0, NULL, 0), &today) != 0;
	for (i = 0; rc == 0 && i < r->n; i++)
		rc = store_console_outcomes(
		    st, r->names[i], since, today, &r->oc);
	if (rc != 0 || days_json(st, r->now, &r->days, &r->in, &r->out) != 0 ||
	    store_console_queued(st, queued_cb, &r->q) != 0 ||
	    store_stats_modems(st, modem_cb, r->modems) != 0 ||
	    (r->reports = reports_json_figures(st, r->now)) == NULL) {
		r->rc = -1;
		return;
	}
	for (i = 0; i < r->n; i++) {
		json_t *h;

		if (!r->modem[i] && (h = health_json(st, r->names[i])) != NULL)
			json_object_set_new(r->health, r->names[i], h);
	}
	r->rc = 0;
}

/* Sets r up for a read now of gw's channels. */
static void
read_init(struct gateway *gw, struct overview_read *r)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	r->now = now_ms();
	r->n = gw->cfg->nchannels;
	r->names = xcalloc(r->n + 1, sizeof(*r->names));
	r->modem = xcalloc(r->n + 1, sizeof(*r->modem));
	for (i = 0; i < r->n; i++) {
		r->names[i] = xstrdup(gw->cfg->channels[i].name);
		r->modem[i] = gw->cfg->channels[i].type == CHANNEL_GAMMU;
	}
}

static void
read_free(struct overview_read *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->names[i]);
	free(r->names);
	free(r->modem);
	json_decref(r->days);
	json_decref(r->q.by);
	json_decref(r->modems);
	json_decref(r->health);
	json_decref(r->reports);
	memset(r, 0, sizeof(*r));
}

/*
 * A provider's attempts since the start, as this node's dispatcher saw
 * them, over what its messages tell: a message retried leaves no failed
 * row (it is queued again), so a provider that refuses every request
 * would show up as its last success. Up when the newest attempt was
 * accepted, down when it failed (with its reason).
 */
static void
live_health(struct gateway *gw, const struct channel_config *ch, json_t *o)
{
	struct dispatch_stats ds;

	if (gw->dispatch == NULL ||
	    dispatch_stats(gw->dispatch, ch->name, &ds) != 0 ||
	    (ds.last_ok == 0 && ds.last_failed == 0))
		return;
	json_object_set_new(
	    o, "up", json_boolean(ds.last_ok >= ds.last_failed));
	if (ds.last_failed > 0 && ds.last_error[0] != '\0')
		json_object_set_new(
		    o, "last_error", json_string(ds.last_error));
}

/*
 * One channel: a modem's heartbeat as kept in the store, or, for a
 * provider, what its messages tell: up when its newest outcome is a
 * success, down when a failure, null when it has sent nothing yet; then
 * what this node's attempts since its start tell (live_health).
 */
static json_t *
channel_json(struct gateway *gw, const struct channel_config *ch,
    const struct overview_read *r)
{
	json_t *o, *m, *n;

	o = json_object();
	json_object_set_new(o, "name", json_string(ch->name));
	json_object_set_new(
	    o, "type", json_string(config_channel_type_name(ch->type)));
	n = json_object_get(r->q.by, ch->name);
	json_object_set_new(
	    o, "queued", json_integer(n != NULL ? json_integer_value(n) : 0));
	if ((m = json_object_get(r->modems, ch->name)) != NULL) {
		json_object_update(o, m);
		return o;
	}
	if (ch->type != CHANNEL_GAMMU &&
	    (m = json_object_get(r->health, ch->name)) != NULL)
		json_object_update(o, m);
	else {
		json_object_set_new(o, "up", json_null());
		json_object_set_new(o, "last_error", json_null());
	}
	if (ch->type != CHANNEL_GAMMU)
		live_health(gw, ch, o);
	json_object_set_new(o, "signal", json_null());
	json_object_set_new(o, "balance", json_null());
	json_object_set_new(o, "balance_at", json_null());
	return o;
}

/* The overview from r's figures and the config as it is now, or NULL. */
static json_t *
build(struct gateway *gw, const struct overview_read *r)
{
	json_t *o, *channels;
	size_t i;

	if (r->rc != 0)
		return NULL;
	channels = json_array();
	for (i = 0; i < gw->cfg->nchannels; i++) {
		json_t *c = channel_json(gw, &gw->cfg->channels[i], r);

		json_array_append_new(channels, c);
		if (spend_json(gw->store, gw->cfg, &gw->cfg->channels[i],
			r->now, c) != 0) {
			json_decref(channels);
			return NULL;
		}
	}
	o = json_object();
	json_object_set_new(o, "today",
	    json_pack("{s:I, s:I, s:I}", "in", (json_int_t)r->in, "out",
		(json_int_t)r->out, "failed", (json_int_t)r->oc.failed_today));
	json_object_set(o, "days", r->days);
	json_object_set_new(o, "delivery_rate",
	    r->oc.done > 0 ? json_real((double)(r->oc.done - r->oc.failed) /
				       (double)r->oc.done)
			   : json_null());
	json_object_set_new(o, "queue_depth", json_integer(r->q.total));
	json_object_set_new(o, "currency",
	    gw->cfg->currency ? json_string(gw->cfg->currency) : json_null());
	json_object_set_new(o, "channels", channels);
	json_object_set(o, "reports", r->reports);
	json_object_set_new(o, "generated", api_time(r->now));
	return o;
}

/* One caller waiting for a read. */
struct overview_waiter {
	api_overview_cb cb;
	void *arg;
};

/*
 * The overview's reads (council_read: in the thread pool): one at a time,
 * shared by the callers that ask during it.
 */
struct overview {
	struct gateway *gw;
	int reading;  /* a read is queued or running */
	int stopping; /* stopped during a read: its end frees this */
	struct overview_read read;
	struct overview_waiter waiting[API_OVERVIEW_MAX_WAITING]; /* for it */
	size_t nwaiting;
};

static void
overview_free(struct overview *ov)
{
	read_free(&ov->read);
	free(ov);
}

void
api_overview_start(struct gateway *gw, void **state)
{
	struct overview *ov = xcalloc(1, sizeof(*ov));

	ov->gw = gw;
	*state = ov;
}

void
api_overview_stop(struct gateway *gw, void **state)
{
	struct overview *ov = *state;

	(void)gw;
	*state = NULL;
	if (ov == NULL)
		return;
	if (ov->reading)
		ov->stopping = 1;
	else
		overview_free(ov);
}

/* The figures, on the reader's connection (NULL: none could be opened). */
static void
on_read(struct store *st, void *arg)
{
	struct overview *ov = arg;

	if (st == NULL) {
		ov->read.rc = -1;
		return;
	}
	read_figures(st, &ov->read);
	if (ov->read.rc != 0)
		log_warn("overview", "store query failed error=\"%s\"",
		    store_errmsg(st));
}

static void
on_read_done(void *arg)
{
	struct overview *ov = arg;
	struct overview_waiter waiting[API_OVERVIEW_MAX_WAITING];
	size_t i, n = ov->nwaiting;

	ov->reading = 0;
	/* A callback may ask again: it waits for the next read. */
	memcpy(waiting, ov->waiting, n * sizeof(*waiting));
	ov->nwaiting = 0;
	for (i = 0; i < n; i++)
		waiting[i].cb(waiting[i].arg, build(ov->gw, &ov->read));
	read_free(&ov->read);
	if (ov->stopping)
		overview_free(ov);
}

int
api_overview_read(struct gateway *gw, api_overview_cb cb, void *arg)
{
	struct overview *ov = gateway_service_state(gw, api_overview_start);
	struct overview_read r;

	/* No service (a test of the figures alone): read here. */
	if (ov == NULL) {
		read_init(gw, &r);
		read_figures(gw->store, &r);
		cb(arg, build(gw, &r));
		read_free(&r);
		return 0;
	}
	if (ov->nwaiting == API_OVERVIEW_MAX_WAITING)
		return -1;
	ov->waiting[ov->nwaiting].cb = cb;
	ov->waiting[ov->nwaiting].arg = arg;
	ov->nwaiting++;
	if (ov->reading)
		return 0;
	read_init(gw, &ov->read);
	ov->reading = 1;
	if (council_read(gw, on_read, on_read_done, ov) != 0) {
		/* The reader is full: this caller alone was waiting. */
		ov->reading = 0;
		ov->nwaiting = 0;
		read_free(&ov->read);
		return -1;
	}
	return 0;
}

/* The overview is in (o), or the store failed (NULL): req's answer. */
static void
on_overview(void *arg, json_t *o)
{
	struct http_request *req = arg;

	if (o == NULL)
		api_store_failed(req);
	else
		api_answer(req, 200, o);
}

/* GET /api/v1/overview */
static void
overview(struct gateway *gw, struct http_request *req)
{
	if (api_overview_read(gw, on_overview, req) != 0)
		answer_error(req, 503, "overview busy");
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
