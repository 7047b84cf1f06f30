/*
 * dispatch.c: the outbound queue's scheduler.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/dispatch.h"
#include "lib/form.h"
#include "lib/gsm.h"
#include "lib/log.h"
#include "lib/util.h"

struct dchan {
	struct dispatcher *d;
	const struct channel_config *cfg;
	const struct provider_ops *ops; /* NULL: custom sender */
	dispatch_send_cb send;          /* custom sender, or NULL */
	void *send_arg;
	double tokens;    /* the rate's bucket */
	double burst;     /* bucket size */
	double per_ms;    /* refill per ms */
	int64_t refilled; /* mono ms of last refill */
	int inflight;
	int up;             /* 0 while a modem is down */
	int64_t down_since; /* mono ms it went down (or started) */
	char *status_url;   /* delivery reports */
	struct dispatch_stats stats;
};

struct dispatcher {
	uv_loop_t *loop;
	const struct config *cfg;
	struct store *store;
	struct batch *batch;
	struct client *client;
	uv_timer_t timer;
	struct dchan *ch;
	size_t nch;
	int stopping;
	int inflight;
	void (*on_stopped)(void *);
	void *stopped_arg;
};

/* A claim waiting for its commit, then the requests it sends. */
struct claim {
	struct dchan *c;
	struct store_queue_msg *msgs;
	size_t n;
};

/* One request in flight. */
struct flight {
	struct dchan *c;
	int64_t id;
	int attempts;
	int64_t created;
	struct provider_request req;
};

/* An outcome waiting for the turn's commit. */
struct outcome {
	struct dchan *c;
	int64_t id;
};

static void dispatch_run(struct dispatcher *);

int64_t
dispatch_backoff(int attempts)
{
	double base = DISPATCH_RETRY_FIRST_MS, jitter;
	int i;

	for (i = 1; i < attempts && base < DISPATCH_RETRY_MAX_MS; i++)
		base *= 2;
	if (base > DISPATCH_RETRY_MAX_MS)
		base = DISPATCH_RETRY_MAX_MS;
	/* Plus or minus a quarter, so retries of a burst spread out. */
	jitter = 0.75 + (double)(rand() % 1000) / 2000.0;
	return (int64_t)(base * jitter);
}

static struct dchan *
find_chan(const struct dispatcher *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->nch; i++)
		if (strcmp(d->ch[i].cfg->name, name) == 0)
			return &d->ch[i];
	return NULL;
}

static void
on_timer(uv_timer_t *t)
{
	dispatch_run(container_of(t, struct dispatcher, timer));
}

static void
schedule(struct dispatcher *d, int64_t delay)
{
	if (d->stopping)
		return;
	if (delay < 0)
		delay = 0;
	/* Never push an earlier wake-up later. */
	if (uv_is_active((uv_handle_t *)&d->timer) &&
	    (int64_t)uv_timer_get_due_in(&d->timer) <= delay)
		return;
	uv_timer_start(&d->timer, on_timer, (uint64_t)delay, 0);
}

void
dispatch_kick(struct dispatcher *d)
{
	schedule(d, 0);
}

struct dispatcher *
dispatch_new(uv_loop_t *loop, const struct config *cfg, struct store *st,
    struct batch *b, struct client *client, const char *public_base)
{
	struct dispatcher *d = xcalloc(1, sizeof(*d));
	size_t i;

	d->loop = loop;
	d->cfg = cfg;
	d->store = st;
	d->batch = b;
	d->client = client;
	d->nch = cfg->nchannels;
	d->ch = xcalloc(d->nch + 1, sizeof(*d->ch));
	for (i = 0; i < d->nch; i++) {
		struct dchan *c = &d->ch[i];
		const struct channel_config *cc = &cfg->channels[i];
		char *secret;
		double per_s;

		c->d = d;
		c->cfg = cc;
		c->ops = provider_for(cc->type);
		c->up = c->ops != NULL;
		c->down_since = mono_ms();
		c->per_ms = (double)cc->rate.count / (double)cc->rate.period_ms;
		per_s = c->per_ms * 1000.0;
		c->burst = per_s < 1.0 ? 1.0 : per_s;
		if (c->burst > (double)cc->rate.count)
			c->burst = (double)cc->rate.count;
		c->tokens = c->burst;
		c->refilled = mono_ms();
		/* A channel with a webhook secret needs it on its reports too. */
		secret = cc->webhook_secret ? url_encode(cc->webhook_secret,
						  strlen(cc->webhook_secret))
					    : NULL;
		c->status_url = xasprintf("%s/hooks/%s/status%s%s",
		    cc->public_url ? cc->public_url : public_base, cc->name,
		    secret ? "?secret=" : "", secret ? secret : "");
		free(secret);
	}
	uv_timer_init(loop, &d->timer);
	schedule(d, 0);
	return d;
}

void
dispatch_set_sender(
    struct dispatcher *d, const char *name, dispatch_send_cb cb, void *arg)
{
	struct dchan *c = find_chan(d, name);

	if (c == NULL)
		return;
	c->send = cb;
	c->send_arg = arg;
}

void
dispatch_set_up(struct dispatcher *d, const char *name, int up)
{
	struct dchan *c = find_chan(d, name);

	if (c == NULL || c->up == up)
		return;
	c->up = up;
	if (!up)
		c->down_since = mono_ms();
	log_info("dispatch", "channel %s channel=%s", up ? "up" : "down", name);
	dispatch_kick(d);
}

int
dispatch_stats(
    const struct dispatcher *d, const char *name, struct dispatch_stats *st)
{
	struct dchan *c = find_chan(d, name);

	if (c == NULL)
		return -1;
	*st = c->stats;
	st->inflight = (uint64_t)c->inflight;
	return 0;
}

static void
maybe_stopped(struct dispatcher *d)
{
	if (d->stopping && d->inflight == 0 && d->on_stopped != NULL) {
		void (*cb)(void *) = d->on_stopped;

		d->on_stopped = NULL;
		cb(d->stopped_arg);
	}
}

/* Applies an outcome inside the turn's transaction. */
static void
record(struct dchan *c, int64_t id, int attempts, int64_t created,
    enum provider_outcome oc, const char *provider_id, const char *error)
{
	struct dispatcher *d = c->d;
	int64_t now = now_ms();
	char scrub[200];
	int rc = 0;

	if (batch_begin(d->batch) != 0) {
		/* The message stays "sending" and is retried after a restart. */
		log_error("dispatch", "cannot record an outcome id=%lld",
		    (long long)id);
		return;
	}
	switch (oc) {
	case PROVIDER_OK:
		rc = store_queue_sent(d->store, id, provider_id, now);
		c->stats.sent++;
		break;
	case PROVIDER_TEMPFAIL:
		if (now - created >= c->cfg->max_age_ms) {
			rc = store_queue_fail(d->store, id, "expired", now);
			c->stats.failed++;
			log_warn("dispatch",
			    "message expired id=%lld channel=%s error=\"%s\"",
			    (long long)id, c->cfg->name,
			    log_text(
				error ? error : "-", scrub, sizeof(scrub)));
		} else {
			rc = store_queue_retry(d->store, id,
			    now + dispatch_backoff(attempts), error, now);
			c->stats.retried++;
		}
		break;
	case PROVIDER_PERMFAIL:
		rc = store_queue_fail(d->store, id, error, now);
		c->stats.failed++;
		log_warn("dispatch",
		    "message failed id=%lld channel=%s error=\"%s\"",
		    (long long)id, c->cfg->name,
		    log_text(error ? error : "-", scrub, sizeof(scrub)));
		break;
	}
	if (oc != PROVIDER_OK && error != NULL)
		snprintf(c->stats.last_error, sizeof(c->stats.last_error), "%s",
		    error);
	if (rc != 0)
		log_error("dispatch", "recording an outcome failed id=%lld",
		    (long long)id);
}

static void
on_response(const struct client_resp *resp, void *arg)
{
	struct flight *f = arg;
	struct dchan *c = f->c;
	struct dispatcher *d = c->d;
	struct provider_result res;

	c->inflight--;
	d->inflight--;
	if (resp->cancelled) {
		/* Shutting down: the claim stays and is retried at start-up. */
		log_info(
		    "dispatch", "request cancelled id=%lld", (long long)f->id);
	} else {
		provider_parse_send(c->ops, c->cfg, f->id, resp, &res);
		record(c, f->id, f->attempts, f->created, res.outcome,
		    res.provider_id, res.error ? res.error : resp->error);
		provider_result_free(&res);
	}
	provider_request_free(&f->req);
	free(f);
	maybe_stopped(d);
	if (!d->stopping)
		dispatch_kick(d);
}

static int
needs_ucs2(const char *text)
{
	struct gsm_info gi;

	gsm_count(text, &gi);
	return gi.encoding != GSM_ENC_GSM7;
}

/* The claims are committed: the requests may leave now. */
static void
on_claim_committed(void *arg, int ok)
{
	struct claim *cl = arg;
	struct dchan *c = cl->c;
	struct dispatcher *d = c->d;
	struct provider_msg pm;
	size_t i;

	for (i = 0; i < cl->n; i++) {
		struct store_queue_msg *m = &cl->msgs[i];
		struct flight *f;
		int rc;

		if (!ok) {
			/* Rolled back: the messages are still queued. */
			c->inflight--;
			d->inflight--;
			continue;
		}
		if (c->send != NULL) {
			if (c->send(c->send_arg, m->id, m->phone, m->text) != 0)
				dispatch_done(d, c->cfg->name, m->id,
				    PROVIDER_TEMPFAIL, NULL, "channel down");
			continue;
		}
		f = xcalloc(1, sizeof(*f));
		f->c = c;
		f->id = m->id;
		f->attempts = m->attempts;
		f->created = m->created;
		memset(&pm, 0, sizeof(pm));
		pm.id = m->id;
		pm.to = m->phone;
		pm.text = m->text;
		pm.ucs2 = needs_ucs2(m->text);
		pm.status_url = c->status_url;
		if (c->ops->build_send(c->cfg, &pm, &f->req) != 0) {
			c->inflight--;
			d->inflight--;
			record(c, m->id, m->attempts, m->created,
			    PROVIDER_PERMFAIL, NULL,
			    "the message cannot be encoded for this provider");
			provider_request_free(&f->req);
			free(f);
			continue;
		}
		rc = client_request(d->client, &f->req.req, on_response, f);
		if (rc != 0) {
			c->inflight--;
			d->inflight--;
			record(c, m->id, m->attempts, m->created,
			    PROVIDER_TEMPFAIL, NULL,
			    "the request cannot start");
			provider_request_free(&f->req);
			free(f);
		}
	}
	store_queue_msgs_free(cl->msgs, cl->n);
	free(cl);
	maybe_stopped(d);
}

void
dispatch_done(struct dispatcher *d, const char *name, int64_t id,
    enum provider_outcome oc, const char *provider_id, const char *error)
{
	struct dchan *c = find_chan(d, name);

	if (c == NULL)
		return;
	c->inflight--;
	d->inflight--;
	/* Custom senders do not know the attempt count: read it back. */
	{
		struct store_msg info;

		if (store_msg_get(d->store, id, &info) == 0) {
			record(c, id, info.attempts, info.created, oc,
			    provider_id, error);
			store_msg_free(&info);
		}
	}
	maybe_stopped(d);
	if (!d->stopping)
		dispatch_kick(d);
}

/* Refills the channel's bucket and says how many messages it may claim. */
static size_t
capacity(struct dchan *c, int64_t mono)
{
	double n;

	c->tokens += (double)(mono - c->refilled) * c->per_ms;
	c->refilled = mono;
	if (c->tokens > c->burst)
		c->tokens = c->burst;
	n = floor(c->tokens);
	if (n > DISPATCH_MAX_INFLIGHT - c->inflight)
		n = DISPATCH_MAX_INFLIGHT - c->inflight;
	if (n > DISPATCH_CLAIM_MAX)
		n = DISPATCH_CLAIM_MAX;
	return n > 0 ? (size_t)n : 0;
}

static void
dispatch_run(struct dispatcher *d)
{
	int64_t now = now_ms(), mono = mono_ms(), wake = DISPATCH_POLL_MS;
	size_t i;

	if (d->stopping)
		return;
	for (i = 0; i < d->nch; i++) {
		struct dchan *c = &d->ch[i];
		struct store_queue_msg *msgs;
		struct claim *cl;
		size_t cap, n;
		int64_t due;

		if (c->ops == NULL && c->send == NULL)
			continue; /* a modem without its worker yet */
		if (!c->up) {
			/*
			 * A modem that is starting or reconnecting gets a grace
			 * period before its queue goes to the fallback channel.
			 */
			if (c->cfg->fallback != NULL &&
			    mono - c->down_since >=
				DISPATCH_FALLBACK_GRACE_MS &&
			    batch_begin(d->batch) == 0 &&
			    store_queue_move(d->store, c->cfg->name,
				c->cfg->fallback, now) > 0)
				wake = 0;
			continue;
		}
		cap = capacity(c, mono);
		if (cap == 0) {
			/* Limited by the rate or by requests in flight. */
			if (c->inflight < DISPATCH_MAX_INFLIGHT &&
			    c->per_ms > 0) {
				int64_t t = (int64_t)ceil(
				    (1.0 - c->tokens) / c->per_ms);

				if (store_queue_next_due(
					d->store, c->cfg->name) >= 0 &&
				    t < wake)
					wake = t;
			}
			continue;
		}
		due = store_queue_next_due(d->store, c->cfg->name);
		if (due < 0)
			continue;
		if (due > now) {
			if (due - now < wake)
				wake = due - now;
			continue;
		}
		if (batch_begin(d->batch) != 0) {
			wake = 1000;
			continue;
		}
		if (store_queue_claim(
			d->store, c->cfg->name, now, cap, &msgs, &n) != 0 ||
		    n == 0)
			continue;
		c->tokens -= (double)n;
		c->inflight += (int)n;
		d->inflight += (int)n;
		cl = xmalloc(sizeof(*cl));
		cl->c = c;
		cl->msgs = msgs;
		cl->n = n;
		batch_defer(d->batch, on_claim_committed, cl);
		/* More may be due: look again soon. */
		if (n == cap)
			wake = 1;
	}
	schedule(d, wake);
}

void
dispatch_stop(struct dispatcher *d, void (*done)(void *), void *arg)
{
	d->stopping = 1;
	uv_timer_stop(&d->timer);
	d->on_stopped = done;
	d->stopped_arg = arg;
	maybe_stopped(d);
}

static void
on_timer_closed(uv_handle_t *h)
{
	struct dispatcher *d =
	    container_of((uv_timer_t *)h, struct dispatcher, timer);
	size_t i;

	for (i = 0; i < d->nch; i++)
		free(d->ch[i].status_url);
	free(d->ch);
	free(d);
}

void
dispatch_free(struct dispatcher *d)
{
	if (d == NULL)
		return;
	uv_close((uv_handle_t *)&d->timer, on_timer_closed);
}
