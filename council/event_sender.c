/*
 * event_sender.c: posts the stored events to their [event NAME] sections
 * (see event_sender.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "council/event_sender.h"
#include "gateway/dispatch.h"
#include "gateway/events.h"
#include "lib/log.h"
#include "lib/sig.h"
#include "lib/util.h"

struct event_sender;

/* One [event NAME] section and its requests in flight. */
struct sink {
	struct event_sender *s;        /* owner */
	const struct config_event *ev; /* its section, in gw->cfg */
	int inflight;                  /* requests started, not ended */
};

struct event_sender {
	struct gateway *gw; /* borrowed */
	uv_timer_t timer;   /* the next look for due events */
	struct sink *sinks; /* n, by section */
	size_t n;
	int stopping; /* stop ran: claim nothing more */
};

/* A claim waiting for its commit, then the events it posts. */
struct claim {
	struct sink *k;
	struct store_event *v;
	size_t n;
};

/* One request in flight. */
struct post {
	struct sink *k;
	int64_t id;      /* the event */
	int64_t created; /* when it happened, ms */
	int attempts;    /* including this one */
	char *event;     /* its name, owned */
};

static void sender_run(struct event_sender *);

static void
on_timer(uv_timer_t *t)
{
	sender_run(container_of(t, struct event_sender, timer));
}

/* Looks again after delay ms, unless an earlier look is due already. */
static void
schedule(struct event_sender *s, int64_t delay)
{
	if (s->stopping || s->gw->stopping)
		return;
	if (delay < 0)
		delay = 0;
	if (uv_is_active((uv_handle_t *)&s->timer) &&
	    (int64_t)uv_timer_get_due_in(&s->timer) <= delay)
		return;
	uv_timer_start(&s->timer, on_timer, (uint64_t)delay, 0);
}

/* An event was written in this process: look on the next turn. */
static void
on_wake(void *arg)
{
	schedule(arg, 0);
}

/* One request of k has ended. */
static void
landed(struct sink *k)
{
	k->inflight--;
}

/*
 * Records how an attempt at event p ended: status (0 when no answer came)
 * and, when it is no success, the reason.
 */
static void
record(struct post *p, long status, const char *error)
{
	struct event_sender *s = p->k->s;
	struct gateway *gw = s->gw;
	const struct config_event *ev = p->k->ev;
	struct events_counters *n = events_counters();
	int64_t now = now_ms(), next;
	char why[160];
	int rc;

	if (status != 0)
		snprintf(why, sizeof(why), "HTTP %ld", status);
	else
		snprintf(why, sizeof(why), "%s",
		    error != NULL && *error != '\0' ? error : "no answer");
	if (batch_begin(&gw->batch) != 0) {
		/* Its lease runs out and it is tried again. */
		log_error(
		    "events", "cannot record an attempt id=%" PRId64, p->id);
		return;
	}
	if (status >= 200 && status < 300) {
		rc = store_event_delete(gw->store, p->id);
		n->sent++;
		log_debug("events",
		    "event delivered id=%" PRId64 " sink=%s event=%s "
		    "attempts=%d",
		    p->id, ev->name, p->event, p->attempts);
	} else if (now - p->created >= ev->max_age_ms) {
		rc = store_event_delete(gw->store, p->id);
		n->failed++;
		log_warn("events",
		    "event given up id=%" PRId64 " sink=%s event=%s "
		    "attempts=%d error=\"%s\"",
		    p->id, ev->name, p->event, p->attempts, why);
	} else {
		next = now + dispatch_backoff(p->attempts);
		rc = store_event_retry(gw->store, p->id, next, why);
		n->retried++;
		log_info("events",
		    "event to retry id=%" PRId64 " sink=%s event=%s "
		    "attempts=%d in_ms=%" PRId64 " error=\"%s\"",
		    p->id, ev->name, p->event, p->attempts, next - now, why);
	}
	if (rc != 0)
		log_error(
		    "events", "recording an attempt failed id=%" PRId64, p->id);
}

static void
post_free(struct post *p)
{
	free(p->event);
	free(p);
}

static void
on_posted(const struct client_resp *resp, void *arg)
{
	struct post *p = arg;
	struct event_sender *s = p->k->s;
	struct gateway *gw = s->gw;

	landed(p->k);
	if (resp->cancelled) {
		/* A stop: due again at once when the gateway starts. */
		if (batch_begin(&gw->batch) == 0)
			(void)store_event_retry(
			    gw->store, p->id, now_ms(), "cancelled");
	} else
		record(p, resp->status, resp->error);
	post_free(p);
	schedule(s, 0);
}

/* Starts the request of event e to k's section. */
static void
post(struct sink *k, const struct store_event *e)
{
	const struct config_event *ev = k->ev;
	char sig[SIG_HEADER_LEN + 1], *hdr_sig, *hdr_event, *body;
	const char *headers[4];
	struct client_req req;
	struct post *p;

	body = events_body(e->event, e->id, e->created, e->data);
	if (sig_http_sign(ev->signing_key, now_ms() / 1000, body, strlen(body),
		sig, sizeof(sig)) != 0)
		fatalx("events: cannot sign an event");
	hdr_sig = xasprintf("X-Baraza-Signature: %s", sig);
	hdr_event = xasprintf("X-Baraza-Event: %s", e->event);
	headers[0] = "Content-Type: application/json";
	headers[1] = hdr_sig;
	headers[2] = hdr_event;
	headers[3] = NULL;
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = ev->url;
	req.headers = headers;
	req.body = body;
	req.body_len = strlen(body);
	req.timeout_ms = EVENT_SENDER_TIMEOUT_MS;
	p = xcalloc(1, sizeof(*p));
	p->k = k;
	p->id = e->id;
	p->created = e->created;
	p->attempts = e->attempts;
	p->event = xstrdup(e->event);
	k->inflight++;
	if (client_port_request(&k->s->gw->out, &req, on_posted, p) != 0) {
		landed(k);
		record(p, 0, "the request could not start");
		post_free(p);
	}
	free(hdr_sig);
	free(hdr_event);
	free(body);
}

/* The claims are committed: the events may leave now. */
static void
on_claimed(void *arg, int ok)
{
	struct claim *cl = arg;
	struct sink *k = cl->k;
	size_t i;

	/* Held until now; a rolled-back claim left them due. */
	k->inflight -= (int)cl->n;
	for (i = 0; i < cl->n; i++) {
		if (!ok)
			continue;
		if (!k->s->stopping && !k->s->gw->stopping)
			post(k, &cl->v[i]);
		else if (batch_begin(&k->s->gw->batch) == 0)
			/* A stop: due at once when the gateway starts. */
			(void)store_event_retry(
			    k->s->gw->store, cl->v[i].id, now_ms(), "stopped");
	}
	store_events_free(cl->v, cl->n);
	free(cl);
	schedule(k->s, 0);
}

static void
sender_run(struct event_sender *s)
{
	struct gateway *gw = s->gw;
	int64_t now = now_ms(), wake = EVENT_SENDER_POLL_MS, due;
	struct store_event *v;
	struct claim *cl;
	size_t i, n, cap;

	if (s->stopping || gw->stopping)
		return;
	for (i = 0; i < s->n; i++) {
		struct sink *k = &s->sinks[i];

		if (k->inflight >= EVENT_SENDER_INFLIGHT)
			continue; /* an answer looks again */
		cap = (size_t)(EVENT_SENDER_INFLIGHT - k->inflight);
		due = store_event_next_due(gw->store, k->ev->name);
		if (due < 0)
			continue;
		if (due > now) {
			if (due - now < wake)
				wake = due - now;
			continue;
		}
		if (batch_begin(&gw->batch) != 0) {
			wake = 1000;
			continue;
		}
		if (store_event_claim(gw->store, k->ev->name, now,
			now + EVENT_SENDER_LEASE_MS, cap, &v, &n) != 0 ||
		    n == 0)
			continue;
		/* Counted in flight from the claim, so no look claims more. */
		k->inflight += (int)n;
		cl = xmalloc(sizeof(*cl));
		cl->k = k;
		cl->v = v;
		cl->n = n;
		batch_defer(&gw->batch, on_claimed, cl);
	}
	schedule(s, wake);
}

/* Deletes the events of sections the config no longer has. */
static void
drop_others(struct event_sender *s)
{
	struct gateway *gw = s->gw;
	json_t *a = json_array();
	char *names;
	int64_t n;
	size_t i;

	for (i = 0; i < s->n; i++)
		json_array_append_new(a, json_string(s->sinks[i].ev->name));
	names = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	if (names != NULL && batch_begin(&gw->batch) == 0 &&
	    (n = store_event_drop_others(gw->store, names)) > 0)
		log_warn("events",
		    "events of sections no longer configured deleted "
		    "count=%" PRId64,
		    n);
	free(names);
}

void
event_sender_start(struct gateway *gw, void **state)
{
	struct event_sender *s;
	size_t i;

	if (gw->cfg->nevents == 0 || *state != NULL)
		return;
	s = xcalloc(1, sizeof(*s));
	s->gw = gw;
	s->n = gw->cfg->nevents;
	s->sinks = xcalloc(s->n, sizeof(*s->sinks));
	for (i = 0; i < s->n; i++) {
		s->sinks[i].s = s;
		s->sinks[i].ev = &gw->cfg->events[i];
	}
	uv_timer_init(gw->loop, &s->timer);
	drop_others(s);
	events_set_wake(on_wake, s);
	schedule(s, 0);
	*state = s;
	log_info("events", "event webhooks sections=%zu", s->n);
}

static void
on_sender_closed(uv_handle_t *h)
{
	struct event_sender *s =
	    container_of((uv_timer_t *)h, struct event_sender, timer);

	free(s->sinks);
	free(s);
}

void
event_sender_stop(struct gateway *gw, void **state)
{
	struct event_sender *s = *state;

	(void)gw;
	if (s == NULL)
		return;
	*state = NULL;
	s->stopping = 1;
	events_set_wake(NULL, NULL);
	uv_close((uv_handle_t *)&s->timer, on_sender_closed);
}
