/*
 * broadcast.c: checking a broadcast, queueing it chunk by chunk inside one
 * transaction (the SQL is the store's, gateway/store_council.c), the dry
 * run's figures and the admin API for broadcasts.
 */
#include "council/api_common.h"
#include "council/broadcast.h"
#include "council/reader.h"
#include "gateway/answer.h"
#include "gateway/api.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gateway/auth.h"
#include "gateway/gateway.h"
#include "gateway/idem.h"
#include "lib/log.h"
#include "lib/timeparse.h"
#include "lib/util.h"

static void set_err(char **errmsg, const char *fmt, ...) PRINTFLIKE(2, 3);

static void
set_err(char **errmsg, const char *fmt, ...)
{
	va_list ap;

	if (errmsg == NULL)
		return;
	va_start(ap, fmt);
	*errmsg = xvasprintf(fmt, ap);
	va_end(ap);
}

const char *
broadcast_channel_for(
    const struct config *cfg, const char *last_channel, const char *fallback)
{
	const struct channel_config *ch;

	if (last_channel != NULL &&
	    (ch = config_channel(cfg, last_channel)) != NULL)
		return ch->name;
	return fallback;
}

/*
 * The broadcast's own channel: the one asked for, else default_channel; it
 * must be configured. Returns it (owned by cfg) or NULL with *errmsg set.
 */
static const char *
pick_channel(const struct config *cfg, const char *want, char **errmsg)
{
	const struct channel_config *ch;

	if (want == NULL)
		want = cfg->default_channel;
	if (want == NULL) {
		set_err(errmsg, "no channel given and no default_channel in "
				"the config");
		return NULL;
	}
	if ((ch = config_channel(cfg, want)) == NULL) {
		set_err(errmsg, "no channel named \"%.64s\"", want);
		return NULL;
	}
	return ch->name;
}

/* Checks a request and fills the figures that do not need the store. */
static int
check_request(const struct config *cfg, const struct broadcast_request *req,
    int64_t now, struct broadcast_summary *out, char **errmsg)
{
	struct gsm_info gi;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (req->text == NULL || req->text[0] == '\0') {
		set_err(errmsg, "the text is empty");
		return BROADCAST_EINVAL;
	}
	if ((n = strnlen(req->text, BROADCAST_MAX_TEXT + 1)) >
	    BROADCAST_MAX_TEXT) {
		set_err(errmsg, "the text is longer than %d bytes",
		    BROADCAST_MAX_TEXT);
		return BROADCAST_EINVAL;
	}
	if (req->topic == NULL || req->topic[0] == '\0' ||
	    strnlen(req->topic, STORE_NAME_MAX + 1) > STORE_NAME_MAX) {
		set_err(
		    errmsg, "the topic must be 1 to %d bytes", STORE_NAME_MAX);
		return BROADCAST_EINVAL;
	}
	gsm_count(req->topic, &gi);
	if (gi.invalid) {
		set_err(errmsg, "the topic is not valid UTF-8");
		return BROADCAST_EINVAL;
	}
	gsm_count(req->text, &gi);
	if (gi.invalid) {
		set_err(errmsg, "the text is not valid UTF-8");
		return BROADCAST_EINVAL;
	}
	if ((out->channel = pick_channel(cfg, req->channel, errmsg)) == NULL)
		return BROADCAST_EINVAL;
	out->encoding = gi.encoding;
	out->segments = (int64_t)gi.segments;
	out->send_at = req->send_at > 0 ? req->send_at : now;
	return 0;
}

int
broadcast_check(const struct config *cfg, const struct broadcast_request *req,
    char **errmsg)
{
	struct broadcast_summary out;

	if (errmsg != NULL)
		*errmsg = NULL;
	return check_request(cfg, req, 0, &out, errmsg);
}

/* The configured channel names as a JSON array text (caller frees). */
static char *channel_names(const struct config *cfg);

/* Adds a channel's share of the audience to a send's segments. */
struct share {
	const struct config *cfg;
	struct budget_send *send;
	int64_t segments; /* per message */
};

static int
share_cb(void *arg, const char *channel, int64_t n)
{
	struct share *sh = arg;

	budget_add(sh->send, sh->cfg, channel, n * sh->segments);
	return 0;
}

/*
 * Fills out->send with the segments of req's audience by the channel each
 * recipient gets it on. Returns 0 or STORE_ERR.
 */
static int
audience_send(struct store *st, const struct config *cfg,
    const struct broadcast_request *req, struct broadcast_summary *out)
{
	struct share sh = {cfg, &out->send, out->segments};
	char *names = channel_names(cfg);
	int rc;

	memset(&out->send, 0, sizeof(out->send));
	rc = store_console_audience_channels(
	    st, req->topic, names, out->channel, share_cb, &sh);
	free(names);
	return rc != 0 ? STORE_ERR : 0;
}

/* Fills the totals once the recipients are known. */
static void
totals(struct broadcast_summary *out)
{
	out->total_segments = out->recipients * out->segments;
	if (out->encoding == GSM_ENC_GSM7)
		out->gsm7 = out->recipients;
	else
		out->ucs2 = out->recipients;
}

int
broadcast_plan(struct store *st, const struct config *cfg,
    const struct broadcast_request *req, struct broadcast_summary *out,
    char **errmsg)
{
	int rc;

	if (errmsg != NULL)
		*errmsg = NULL;
	if ((rc = check_request(cfg, req, now_ms(), out, errmsg)) != 0)
		return rc;
	if (store_broadcast_audience(st, req->topic, &out->recipients) != 0 ||
	    audience_send(st, cfg, req, out) != 0) {
		set_err(errmsg, "database error: %s", store_errmsg(st));
		return BROADCAST_ESTORE;
	}
	totals(out);
	return 0;
}

/*
 * Checks the broadcast against the daily budgets, in the open
 * transaction. Returns 0, BROADCAST_EBUDGET with out->over and *errmsg
 * set, or STORE_ERR.
 */
static int
check_budget(struct store *st, const struct config *cfg,
    const struct broadcast_request *req, int64_t now,
    struct broadcast_summary *out, char **errmsg)
{
	char msg[300];
	int rc;

	if (req->force || !budget_any(cfg))
		return 0;
	if (audience_send(st, cfg, req, out) != 0)
		return STORE_ERR;
	rc = budget_check(st, cfg, &out->send, out->send_at, now, &out->over);
	if (rc == BUDGET_OVER) {
		set_err(
		    errmsg, "%s", budget_message(&out->over, msg, sizeof(msg)));
		return BROADCAST_EBUDGET;
	}
	return rc != 0 ? STORE_ERR : 0;
}

/* The configured channel names as a JSON array text (caller frees). */
static char *
channel_names(const struct config *cfg)
{
	json_t *a = json_array();
	char *s;
	size_t i;

	for (i = 0; i < cfg->nchannels; i++)
		json_array_append_new(a, json_string(cfg->channels[i].name));
	s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	if (s == NULL)
		fatalx("out of memory");
	return s;
}

/*
 * Records the broadcast and queues its recipients chunk by chunk in the
 * open transaction, telling progress (when not NULL) of the total, set in
 * *total. Returns 0 or STORE_ERR.
 */
static int
queue_chunks(struct store *st, const struct config *cfg,
    const struct broadcast_request *req, int64_t now,
    broadcast_progress_cb progress, void *arg, struct broadcast_summary *out,
    int64_t *total)
{
	struct store_broadcast_chunk c;
	int64_t after = 0, n = 0;
	char *names;
	int rc = 0;

	/* Only a progress bar needs the total. */
	if ((progress != NULL &&
		store_broadcast_audience(st, req->topic, total) != 0) ||
	    store_broadcast_insert(st, req->text, req->topic, out->channel, now,
		out->send_at, &out->id) != 0)
		return STORE_ERR;
	names = channel_names(cfg);
	memset(&c, 0, sizeof(c));
	c.id = out->id;
	c.topic = req->topic;
	c.text = req->text;
	c.channels = names;
	c.channel = out->channel;
	c.segments = out->segments;
	c.send_at = out->send_at;
	c.now = now;
	c.limit = BROADCAST_CHUNK;
	if (progress != NULL)
		progress(arg, 0, (uint64_t)*total);
	do {
		if ((rc = store_broadcast_queue_chunk(st, &c, &after, &n)) != 0)
			break;
		out->recipients += n;
		if (progress != NULL && out->recipients < *total)
			progress(
			    arg, (uint64_t)out->recipients, (uint64_t)*total);
	} while (n == BROADCAST_CHUNK);
	free(names);
	if (rc == 0)
		rc = store_broadcast_set_totals(
		    st, out->id, out->recipients, out->segments);
	return rc;
}

/*
 * Records a broadcast to queue in turns (broadcast_pump): its audience
 * counted now as its recipients, nobody queued yet. 0 or STORE_ERR.
 */
static int
record_pending(struct store *st, const struct broadcast_request *req,
    int64_t now, struct broadcast_summary *out)
{
	if (store_broadcast_audience(st, req->topic, &out->recipients) != 0 ||
	    store_broadcast_insert(st, req->text, req->topic, out->channel, now,
		out->send_at, &out->id) != 0 ||
	    store_broadcast_set_totals(
		st, out->id, out->recipients, out->segments) != 0 ||
	    store_broadcast_advance(st, out->id, -1, 0) != 1)
		return STORE_ERR;
	return 0;
}

int
broadcast_queue(struct store *st, const struct config *cfg,
    const struct broadcast_request *req, int64_t now,
    broadcast_progress_cb progress, void *arg, struct broadcast_summary *out,
    char **errmsg)
{
	int64_t total = 0;
	int own, begun, rc;

	if (errmsg != NULL)
		*errmsg = NULL;
	if ((rc = check_request(cfg, req, now, out, errmsg)) != 0)
		return rc;
	/*
	 * The rows' references hold by construction: each contact comes from
	 * the join and the broadcast row is inserted first, in the same
	 * transaction. When the transaction is ours, the foreign key checks
	 * (two B-tree lookups a row, a third of the time) are off for it.
	 * BEGIN IMMEDIATE takes the write lock before the count.
	 */
	own = !store_in_transaction(st);
	if (own)
		store_foreign_keys(st, 0);
	begun = (own ? store_begin(st) : store_savepoint(st)) == 0;
	if (!begun ||
	    (rc = check_budget(st, cfg, req, now, out, errmsg)) != 0 ||
	    (req->in_turns ? record_pending(st, req, now, out)
			   : queue_chunks(st, cfg, req, now, progress, arg, out,
				 &total)) != 0 ||
	    (own ? store_commit(st) : store_release(st)) != 0) {
		if (rc != BROADCAST_EBUDGET)
			set_err(errmsg, "database error: %s", store_errmsg(st));
		if (begun && own)
			store_rollback(st);
		else if (begun)
			store_rollback_to(st);
		if (own)
			store_foreign_keys(st, 1);
		out->id = 0;
		out->recipients = 0;
		if (rc == BROADCAST_EBUDGET) {
			log_info("broadcast",
			    "refused by the daily budget topic=%s channel=%s",
			    req->topic, out->over.channel);
			return BROADCAST_EBUDGET;
		}
		return BROADCAST_ESTORE;
	}
	if (own)
		store_foreign_keys(st, 1);
	if (progress != NULL)
		progress(arg, (uint64_t)total, (uint64_t)total);
	totals(out);
	log_info("broadcast",
	    "%s id=%lld topic=%s recipients=%lld segments=%lld",
	    req->in_turns ? "accepted, queued in turns" : "queued",
	    (long long)out->id, req->topic, (long long)out->recipients,
	    (long long)out->segments);
	return 0;
}

/* The admin API. */

/* A POST waiting for the loop's commit. */
struct pending {
	struct http_request *req; /* answered in on_queued */
	json_t *answer;           /* the 202 answer, owned */
};

static void
on_queued(void *arg, int ok)
{
	struct pending *p = arg;

	if (!ok) {
		answer_error(p->req, 503, "the store failed; try again");
		json_decref(p->answer);
	} else
		answer_json(p->req, 202, p->answer);
	free(p);
}

/* Adds the cost of a channel's share of the audience. */
struct cost_sum {
	const struct config *cfg;
	int64_t segments; /* per message */
	double micro;     /* the sum so far, millionths */
	int unknown;      /* a channel without cost_per_segment */
};

static int
cost_cb(void *arg, const char *channel, int64_t n)
{
	struct cost_sum *c = arg;
	int64_t per;

	if (config_channel_cost(config_channel(c->cfg, channel), &per) != 0) {
		c->unknown = 1;
		return 1;
	}
	c->micro += (double)n * (double)c->segments * (double)per;
	return 0;
}

int
broadcast_cost(struct store *st, const struct config *cfg, const char *topic,
    const char *channel, int64_t segments, double *cost)
{
	struct cost_sum c = {cfg, segments, 0, 0};
	char *names = channel_names(cfg);
	int rc;

	rc = store_console_audience_channels(
	    st, topic, names, channel, cost_cb, &c);
	free(names);
	if (rc != 0)
		return BROADCAST_ESTORE;
	if (c.unknown)
		return 1;
	*cost = c.micro / 1e6;
	return 0;
}

static void
respond_plan(struct gateway *gw, struct http_request *req,
    const struct broadcast_request *br, const struct broadcast_summary *s)
{
	double cost = 0;
	json_t *o, *budgets;
	int rc;

	rc = broadcast_cost(
	    gw->store, gw->cfg, br->topic, s->channel, s->segments, &cost);
	if (rc < 0) {
		answer_error(req, 503, "the store failed; try again");
		return;
	}
	o = json_pack("{s:b, s:I, s:s, s:I, s:I, s:s}", "dry_run", 1,
	    "recipients", (json_int_t)s->recipients, "encoding",
	    gsm_encoding_name(s->encoding), "segments", (json_int_t)s->segments,
	    "total_segments", (json_int_t)s->total_segments, "channel",
	    s->channel);
	json_object_set_new(o, "cost", rc == 0 ? json_real(cost) : json_null());
	json_object_set_new(o, "currency",
	    gw->cfg->currency ? json_string(gw->cfg->currency) : json_null());
	/* Each channel's day as the broadcast would leave it. */
	if ((budgets = budget_json_all(
		 gw->store, gw->cfg, &s->send, s->send_at, now_ms())) == NULL) {
		json_decref(o);
		answer_error(req, 503, "the store failed; try again");
		return;
	}
	json_object_set_new(o, "budgets", budgets);
	api_answer(req, 200, o);
}

/* POST /api/v1/broadcasts */
static void
post_broadcast(struct gateway *gw, struct http_request *req)
{
	struct broadcast_request br;
	struct broadcast_summary sum;
	struct pending *p;
	struct idem idem;
	json_error_t e;
	json_t *o, *at, *dry, *force, *answer;
	char *err = NULL, msg[200], object[40];
	int64_t now;
	int rc;

	if (auth_require(req, ROLE_STAFF) != 0 ||
	    idem_begin(gw, req, "broadcasts", &idem) != 0)
		return;
	o = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &e);
	if (o == NULL || !json_is_object(o)) {
		snprintf(msg, sizeof(msg), "the body must be a JSON object%s%s",
		    o == NULL ? ": " : "", o == NULL ? e.text : "");
		json_decref(o);
		answer_error(req, 400, msg);
		return;
	}
	memset(&br, 0, sizeof(br));
	br.text = json_string_value(json_object_get(o, "text"));
	br.topic = json_string_value(json_object_get(o, "topic"));
	br.channel = json_string_value(json_object_get(o, "channel"));
	at = json_object_get(o, "at");
	dry = json_object_get(o, "dry_run");
	force = json_object_get(o, "force");
	if (br.text == NULL || br.topic == NULL) {
		answer_error(
		    req, 400, "\"text\" and \"topic\" are required strings");
		goto out;
	}
	if ((json_object_get(o, "channel") != NULL && br.channel == NULL) ||
	    (dry != NULL && !json_is_boolean(dry)) ||
	    (force != NULL && !json_is_boolean(force))) {
		answer_error(req, 400,
		    "\"channel\" must be a string, \"dry_run\" and \"force\" "
		    "booleans");
		goto out;
	}
	/* Past a daily budget only by an admin's choice. */
	br.force = json_is_true(force);
	if (br.force && auth_require(req, ROLE_ADMIN) != 0)
		goto out;
	rc = -1;
	if (at != NULL && (!json_is_string(at) ||
			      (rc = timeparse_iso8601(
				   json_string_value(at), &br.send_at)) != 0)) {
		answer_error(req, 400,
		    rc == TIMEPARSE_SKIPPED
			? "\"at\" is a local time a daylight saving change "
			  "skips: give a later one or its offset"
			: "\"at\" must be an ISO 8601 time such as "
			  "2026-12-01T08:00:00Z");
		goto out;
	}
	if (json_is_true(dry)) {
		if ((rc = broadcast_plan(
			 gw->store, gw->cfg, &br, &sum, &err)) != 0)
			answer_error(
			    req, rc == BROADCAST_EINVAL ? 400 : 503, err);
		else
			respond_plan(gw, req, &br, &sum);
		goto out;
	}
	/* The broadcast and its Idempotency-Key answer: one savepoint. */
	now = now_ms();
	br.in_turns = 1;
	if (batch_begin(&gw->batch) != 0 || store_savepoint(gw->store) != 0) {
		answer_error(req, 503, "the store failed; try again");
		goto out;
	}
	if ((rc = broadcast_queue(
		 gw->store, gw->cfg, &br, now, NULL, NULL, &sum, &err)) != 0) {
		store_rollback_to(gw->store);
		if (rc == BROADCAST_EBUDGET)
			budget_answer(req, &sum.over);
		else
			answer_error(
			    req, rc == BROADCAST_EINVAL ? 400 : 503, err);
		goto out;
	}
	answer = json_pack("{s:I, s:I, s:I}", "id", (json_int_t)sum.id,
	    "recipients", (json_int_t)sum.recipients, "segments",
	    (json_int_t)sum.segments);
	snprintf(msg, sizeof(msg), "topic=%s, recipients=%" PRId64 "%s",
	    br.topic, sum.recipients, br.force ? ", forced" : "");
	snprintf(object, sizeof(object), "broadcast/%" PRId64, sum.id);
	if (idem_record(gw, &idem, 202, answer, now) != 0 ||
	    audit_record(gw, req, "broadcast.send", object, msg) != 0 ||
	    store_release(gw->store) != 0) {
		store_rollback_to(gw->store);
		json_decref(answer);
		answer_error(req, 503, "the store failed; try again");
		goto out;
	}
	p = xmalloc(sizeof(*p));
	p->req = req;
	p->answer = answer;
	batch_defer(&gw->batch, on_queued, p);
	broadcast_pump_kick(gw);
out:
	free(err);
	json_decref(o);
}

/* GET /api/v1/broadcasts/ID: the read, and then its answer. */
struct broadcast_read {
	struct http_request *req;
	int64_t id;
	int rc; /* store_broadcast_get's */
	struct store_broadcast b;
};

/*
 * The broadcast and its messages counted by state: every one of them
 * read (their states are not in an index), 50 ms for 100,000, so off the
 * loop (council_read). The console's progress asks every 2 s.
 */
static void
on_broadcast_read(struct store *st, void *arg)
{
	struct broadcast_read *r = arg;

	r->rc = st != NULL ? store_broadcast_get(st, r->id, &r->b) : STORE_ERR;
}

static void
on_broadcast_done(void *arg)
{
	struct broadcast_read *r = arg;
	struct store_broadcast *b = &r->b;
	struct http_request *req = r->req;
	char created[32], send_at[32];
	json_t *o;

	if (r->rc != 0) {
		if (r->rc == STORE_NOTFOUND)
			answer_error(req, 404, "no such broadcast");
		else
			answer_error(req, 503, "the store failed; try again");
		free(r);
		return;
	}
	iso8601_utc(b->created, created, sizeof(created));
	iso8601_utc(b->send_at, send_at, sizeof(send_at));
	o = json_pack("{s:I, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I,"
		      " s:I}",
	    "id", (json_int_t)b->id, "text", b->text ? b->text : "", "created",
	    created, "send_at", send_at, "recipients",
	    (json_int_t)b->recipients, "segments", (json_int_t)b->segments,
	    "queued", (json_int_t)b->queued, "sending", (json_int_t)b->sending,
	    "sent", (json_int_t)b->sent, "delivered", (json_int_t)b->delivered,
	    "failed", (json_int_t)b->failed);
	if (o == NULL) {
		store_broadcast_free(b);
		free(r);
		answer_error(req, 500, "the broadcast cannot be shown");
		return;
	}
	json_object_set_new(
	    o, "topic", b->topic ? json_string(b->topic) : json_null());
	json_object_set_new(
	    o, "channel", b->channel ? json_string(b->channel) : json_null());
	store_broadcast_free(b);
	free(r);
	answer_json(req, 200, o);
}

static void
get_broadcast(struct gateway *gw, struct http_request *req, int64_t id)
{
	struct broadcast_read *r = xcalloc(1, sizeof(*r));

	r->req = req;
	r->id = id;
	if (council_read(gw, on_broadcast_read, on_broadcast_done, r) != 0) {
		free(r);
		answer_error(req, 503, "the store is busy; try again");
	}
}

void
broadcast_api(struct gateway *gw, struct http_request *req, const char *rest)
{
	int64_t id;

	if (strcmp(rest, "broadcasts") == 0) {
		if (strcmp(req->method, "POST") != 0) {
			answer_method(req, "POST");
			return;
		}
		post_broadcast(gw, req);
		return;
	}
	if (strncmp(rest, "broadcasts/", 11) != 0 ||
	    (id = str_id(rest + 11)) < 0) {
		answer_error(req, 404, "no such broadcast");
		return;
	}
	if (strcmp(req->method, "GET") != 0) {
		answer_method(req, "GET");
		return;
	}
	get_broadcast(gw, req, id);
}

/*
 * The pump: the broadcasts recorded in_turns, a chunk a loop turn.
 */

struct broadcast_pump {
	uv_idle_t idle;     /* a chunk a loop turn while there is work */
	uv_timer_t tick;    /* looks for work every BROADCAST_PUMP_MS */
	struct gateway *gw; /* borrowed */
	int open;           /* handles not closed yet */
	int64_t chunk;      /* recipients the next turn queues */
};

/*
 * The next chunk's size after one of n recipients took ns nanoseconds:
 * as many as BROADCAST_TURN_MS would take at that pace, at most twice n,
 * within BROADCAST_TURN_MIN and BROADCAST_TURN_MAX. So a turn holds the
 * loop about as long whatever the machine, its disk and its load.
 */
int64_t
broadcast_next_chunk(int64_t n, uint64_t ns)
{
	double pace = (double)(ns > 0 ? ns : 1) / (double)(n > 0 ? n : 1);
	double next = (double)BROADCAST_TURN_MS * 1e6 / pace;

	if (next > 2.0 * (double)n)
		next = 2.0 * (double)n;
	if (next < BROADCAST_TURN_MIN)
		return BROADCAST_TURN_MIN;
	if (next > BROADCAST_TURN_MAX)
		return BROADCAST_TURN_MAX;
	return (int64_t)next;
}

/*
 * Queues the next chunk (at most limit recipients, *n of them) of the
 * oldest broadcast being queued, in a savepoint of the turn's transaction
 * (begun only then: an idle look commits nothing). Returns 1 when there
 * may be more, 0 when none is being queued, or -1 (logged, or the store
 * is busy).
 */
static int
pump_chunk(struct gateway *gw, int64_t limit, int64_t *queued)
{
	struct store *st = gw->store;
	struct store_broadcast_chunk c;
	struct store_broadcast b;
	int64_t id, upto, after, n = 0;
	int rc, moved = 0;
	char *names;

	if ((rc = store_broadcast_pending(st, &b, &upto)) != 0)
		return rc == STORE_NOTFOUND ? 0 : -1;
	if (batch_begin(&gw->batch) != 0) {
		store_broadcast_free(&b);
		return -1;
	}
	id = b.id;
	names = channel_names(gw->cfg);
	memset(&c, 0, sizeof(c));
	c.id = id;
	c.topic = b.topic;
	c.text = b.text;
	c.channels = names;
	c.channel = b.channel;
	c.segments = b.segments;
	c.send_at = b.send_at;
	c.now = now_ms();
	c.limit = limit;
	after = upto;
	rc = store_savepoint(st);
	if (rc == 0 && b.topic != NULL && b.channel != NULL)
		rc = store_broadcast_queue_chunk(st, &c, &after, &n);
	if (rc == 0)
		moved = store_broadcast_advance(
		    st, id, upto, n < c.limit ? -1 : after);
	/* Done: the recipients are those queued (the audience moved). */
	if (rc == 0 && moved == 1 && n < c.limit)
		rc = store_broadcast_set_totals(st, id, -1, b.segments);
	if (rc != 0 || moved != 1)
		(void)store_rollback_to(st); /* another node queued it */
	else
		rc = store_release(st);
	if (rc == 0 && moved == 1 && n < c.limit)
		log_info("broadcast", "every recipient queued id=%lld",
		    (long long)id);
	if (rc != 0 || moved < 0)
		log_warn("broadcast", "queueing failed id=%lld error=\"%s\"",
		    (long long)id, store_errmsg(st));
	free(names);
	store_broadcast_free(&b);
	*queued = rc == 0 && moved == 1 ? n : 0;
	return rc != 0 || moved < 0 ? -1 : 1;
}

static void
on_pump(uv_idle_t *h)
{
	struct broadcast_pump *bp =
	    container_of(h, struct broadcast_pump, idle);
	struct gateway *gw = bp->gw;
	uint64_t t0 = uv_hrtime();
	int64_t n = 0;

	if (gw->stopping || pump_chunk(gw, bp->chunk, &n) <= 0) {
		uv_idle_stop(h); /* The tick looks again. */
		return;
	}
	/* A whole chunk: the next one sized by how long this one took. */
	if (n == bp->chunk)
		bp->chunk = broadcast_next_chunk(n, uv_hrtime() - t0);
}

static void
on_pump_tick(uv_timer_t *t)
{
	struct broadcast_pump *bp =
	    container_of(t, struct broadcast_pump, tick);

	if (!bp->gw->stopping)
		uv_idle_start(&bp->idle, on_pump);
}

static void
on_pump_closed(uv_handle_t *h)
{
	struct broadcast_pump *bp = h->data;

	if (--bp->open == 0)
		free(bp);
}

void
broadcast_pump_start(struct gateway *gw, void **state)
{
	struct broadcast_pump *bp;

	if (*state != NULL)
		return;
	bp = xcalloc(1, sizeof(*bp));
	bp->gw = gw;
	bp->chunk = BROADCAST_TURN_CHUNK;
	uv_idle_init(gw->loop, &bp->idle);
	uv_timer_init(gw->loop, &bp->tick);
	bp->idle.data = bp;
	bp->tick.data = bp;
	bp->open = 2;
	/* Neither holds a stopping gateway's loop open. */
	uv_unref((uv_handle_t *)&bp->idle);
	uv_unref((uv_handle_t *)&bp->tick);
	uv_timer_start(&bp->tick, on_pump_tick, 0, BROADCAST_PUMP_MS);
	*state = bp;
}

void
broadcast_pump_stop(struct gateway *gw, void **state)
{
	struct broadcast_pump *bp = *state;

	(void)gw;
	if (bp == NULL)
		return;
	*state = NULL;
	uv_close((uv_handle_t *)&bp->idle, on_pump_closed);
	uv_close((uv_handle_t *)&bp->tick, on_pump_closed);
}

void
broadcast_pump_kick(struct gateway *gw)
{
	struct broadcast_pump *bp =
	    gateway_service_state(gw, broadcast_pump_start);

	if (bp != NULL)
		uv_idle_start(&bp->idle, on_pump);
}
