/*
 * dispatch.c: the outbound queue's scheduler.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/dispatch.h"
#include "gateway/events.h"
#include "gateway/outq.h"
#include "lib/log.h"
#include "lib/strmap.h"
#include "lib/util.h"

/*
 * Numbers with a message queued due now in this process and not claimed
 * yet, per channel, at most: past that the channel takes no message as
 * it is stored until its queue is found empty.
 */
#define DISPATCH_QUEUED_MAX 1024

/* One channel: what carries its messages, its rate and its counters. */
struct dchan {
	struct channel ch; /* ops, their state, the config */
	struct dispatcher *d;
	double tokens;    /* the rate's bucket */
	double burst;     /* bucket size */
	double per_ms;    /* refill per ms */
	int64_t refilled; /* mono ms of last refill */
	int inflight;     /* handed to the channel, not ended yet */
	int max_inflight; /* DISPATCH_MAX_INFLIGHT unless set */
	/*
	 * Messages stored claimed (taken()): waiting for their transaction,
	 * then ready for a free request slot, in order. They take a token
	 * when stored, a slot when handed over; at most max_inflight wait.
	 */
	int waiting, nready;
	struct claim *ready, **ready_tail;
	int up;             /* 0 while a modem is down */
	int64_t down_since; /* mono ms it went down (or started) */
	/*
	 * A provider's channel with a fallback is judged by its outcomes
	 * (modems and SMPP links say themselves when they are up):
	 * failing_since is the mono ms of its first transient failure since
	 * its last success (0: none). Failing fallback_after it goes down,
	 * its queue to the fallback, for fallback_after again; then it is
	 * up on trial, one message at a time: a success ends the trial, a
	 * transient failure puts it down again at once.
	 */
	/* Messages the provider refused for now since the last line about
	   it (RETRY_LOG_MS apart), and when that was. */
	uint64_t retried_unlogged;
	int64_t retry_logged_ms;
	int judged;
	int trial;
	int64_t failing_since;
	int64_t probe_at;
	int64_t cost; /* cost_per_segment, millionths; 0: none */
	/*
	 * Whether a new message may skip the queue (room()): not while
	 * backlog is set (messages of unknown numbers may be due), nor for a
	 * number in queued (the id of its last message queued due now, an
	 * int64_t, until a claim takes that one). Both are cleared when a
	 * look finds nothing due.
	 */
	int backlog;
	struct strmap queued;
	/*
	 * The last look may have left messages due (it found some, or had no
	 * room to look): a freed slot or a commit looks again. Else only the
	 * timer does, when the next message falls due or at the next poll.
	 */
	int pending;
	struct dispatch_stats stats;
};

struct dispatcher {
	uv_loop_t *loop;
	const struct config *cfg;
	struct store *store;
	struct batch *batch;
	uv_timer_t timer;
	struct dchan *ch;
	size_t nch;
	int stopping;
	int inflight;
	int shared;           /* nodes share the store (PostgreSQL):
				 claims commit before their messages leave */
	int recording;        /* outcomes whose transaction has not ended yet */
	struct outcome *redo; /* outcomes whose commit failed, to write again */
	struct claim *taken;  /* stored claimed, their transaction still open */
	struct outq_hooks hooks; /* outq_enqueue's */
	/*
	 * A turn was doubtful (batch.h): messages it claimed, or stored
	 * claimed, may be "sending" in the store while this process dropped
	 * them. Until nothing is held here, nothing more is claimed; then
	 * every message "sending" for this node is queued again.
	 */
	unsigned long long doubtful_seen;
	int orphans;
	void (*on_stopped)(void *);
	void *stopped_arg;
};

/*
 * The outcome of one send, kept until the transaction that records it has
 * committed: one that failed (PostgreSQL ends a transaction two nodes
 * deadlock in; the database restarting or failing over; a full disk) is
 * written again in a later turn, for as long as the gateway runs, else the
 * message would stay "sending" until a restart and go out a second time.
 * There are at most as many as sends in flight.
 */
struct outcome {
	struct dchan *c;
	int64_t id, created;
	int attempts; /* -1: not read from the store yet (a modem, SMPP) */
	int segments;
	enum send_outcome oc;
	char *provider_id, *error;
	int tries;  /* commits tried */
	int failed; /* a write failed within a transaction that committed */
	struct outcome *next;
};

#define ORPHANS_POLL_MS 100  /* while waiting for nothing to be held */
#define OUTCOME_RETRY_MS 100 /* between commits of an outcome */
#define RETRY_LOG_MS 60000   /* a channel's retries are logged this apart */
#define OUTCOME_LOG_EVERY 50 /* a failing outcome logged once per this many */

/* A claim: the messages it hands over to their channel. */
struct claim {
	struct dchan *c;
	struct store_queue_msg *msgs;
	size_t n;
	/* A message stored claimed (outq_enqueue), in d->taken: */
	uint64_t mark;      /* its write (store_mark) */
	int undone;         /* a rollback undid it */
	struct claim *next; /* in d->taken */
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
		if (strcmp(d->ch[i].ch.cfg->name, name) == 0)
			return &d->ch[i];
	return NULL;
}

static void
on_timer(uv_timer_t *t)
{
	dispatch_run(container_of(t, struct dispatcher, timer));
}

/* Runs the dispatcher in delay ms (during a stop it only writes outcomes). */
static void
schedule(struct dispatcher *d, int64_t delay)
{
	if (delay < 0)
		delay = 0;
	/* Never push an earlier wake-up later. */
	if (uv_is_active((uv_handle_t *)&d->timer) &&
	    (int64_t)uv_timer_get_due_in(&d->timer) <= delay)
		return;
	uv_timer_start(&d->timer, on_timer, (uint64_t)delay, 0);
}

/* Looks for due work on the next loop turn, unless stopping. */
static void
kick(struct dispatcher *d)
{
	if (!d->stopping)
		schedule(d, 0);
}

/* The batch's watermark: every message stored until now. */
static int64_t
newest_id(void *arg)
{
	struct dispatcher *d = arg;

	return store_msg_max_id(d->store);
}

/* Whether channel c may have messages due that a look would claim. */
static int
may_be_due(const struct dchan *c)
{
	return c->pending || c->backlog || c->queued.n > 0;
}

/* More messages are on disk: some queued ones may be claimed now. */
static void
on_durable(void *arg, int64_t id)
{
	struct dispatcher *d = arg;
	size_t i;

	(void)id;
	for (i = 0; i < d->nch; i++)
		if (may_be_due(&d->ch[i])) {
			kick(d);
			return;
		}
}

/* outq_enqueue's wake-up: a message was queued in this process. */
static void
on_enqueued(void *arg)
{
	kick(arg);
}

static void refill(struct dchan *, int64_t mono);
static void on_taken(void *, int);
static void drain(struct dchan *);

/*
 * outq_enqueue's offer: may new message m, due now, be stored claimed?
 * Only when nothing queued before it for its number may be due (that one
 * goes first: a resident's messages keep their order), when its channel
 * can take one more now, and inside the turn's transaction on the
 * dispatcher's own connection, whose end hands it over.
 */
static int
room(void *arg, struct store *st, const struct outq_msg *m)
{
	struct dispatcher *d = arg;
	struct dchan *c = find_chan(d, m->channel);

	if (c == NULL || d->stopping || d->orphans || c->backlog ||
	    c->ch.ops == NULL || !c->up || c->trial || st != d->store ||
	    !d->batch->open || !store_in_transaction(st) ||
	    c->waiting + c->nready >= c->max_inflight ||
	    strmap_peek(&c->queued, m->phone) != NULL)
		return 0;
	refill(c, mono_ms());
	return c->tokens >= 1.0;
}

/* Message id for phone is queued, due now: later ones wait for it. */
static void
queued_add(struct dchan *c, const char *phone, int64_t id)
{
	int64_t *last = strmap_peek(&c->queued, phone);

	if (c->backlog)
		return; /* none is taken anyway */
	if (last != NULL) {
		if (id > *last)
			*last = id;
		return;
	}
	if (c->queued.n == c->queued.max) {
		c->backlog = 1; /* too many to follow: none is taken */
		return;
	}
	last = xmalloc(sizeof(*last));
	*last = id;
	strmap_put(&c->queued, phone, last);
}

/*
 * Message id for phone was claimed: once the last one queued is (claims
 * go in order), the number's next messages may be taken as stored.
 */
static void
queued_drop(struct dchan *c, const char *phone, int64_t id)
{
	int64_t *last = strmap_peek(&c->queued, phone);

	if (last != NULL && id >= *last)
		free(strmap_del(&c->queued, phone));
}

/* outq_enqueue: message m was queued as id, due now. */
static void
on_queued(void *arg, const struct outq_msg *m, int64_t id)
{
	struct dchan *c = find_chan(arg, m->channel);

	if (c != NULL)
		queued_add(c, m->phone, id);
}

static int
forget(void *arg, const char *key, void *value)
{
	(void)arg;
	(void)key;
	(void)value;
	return 1;
}

/* A message was stored claimed: it leaves when its transaction ends. */
static void
taken(
    void *arg, const struct outq_msg *m, int64_t id, int segments, int64_t now)
{
	struct dispatcher *d = arg;
	struct claim *cl = xmalloc(sizeof(*cl));
	struct store_queue_msg *q = xcalloc(1, sizeof(*q));

	q->id = id;
	q->phone = xstrdup(m->phone);
	q->text = xstrdup(m->text);
	q->attempts = 1;
	q->created = now;
	q->segments = segments;
	cl->c = find_chan(d, m->channel); /* room() found it */
	cl->msgs = q;
	cl->n = 1;
	cl->mark = store_mark(d->store);
	cl->undone = 0;
	cl->next = d->taken;
	d->taken = cl;
	cl->c->tokens -= 1.0;
	cl->c->waiting++;
	d->inflight++; /* the stop waits for its transaction */
	batch_defer(d->batch, on_taken, cl);
}

/*
 * A rollback undid the writes marked after since: those messages were
 * never stored. They keep their room until their transaction ends
 * (on_taken), which the stop waits for.
 */
static void
on_undo(void *arg, uint64_t since)
{
	struct dispatcher *d = arg;
	struct claim *cl;

	for (cl = d->taken; cl != NULL; cl = cl->next)
		if (cl->mark > since)
			cl->undone = 1;
}

struct dispatcher *
dispatch_new(uv_loop_t *loop, const struct config *cfg, struct store *st,
    struct batch *b)
{
	struct dispatcher *d = xcalloc(1, sizeof(*d));
	size_t i;

	d->loop = loop;
	d->cfg = cfg;
	d->store = st;
	d->batch = b;
	d->shared = store_is_postgres(cfg->database);
	d->hooks.room = room;
	d->hooks.taken = taken;
	d->hooks.queued = on_queued;
	d->hooks.wake = on_enqueued;
	d->hooks.arg = d;
	batch_watermark(b, newest_id, on_durable, d);
	d->nch = cfg->nchannels;
	d->ch = xcalloc(d->nch + 1, sizeof(*d->ch));
	for (i = 0; i < d->nch; i++) {
		struct dchan *c = &d->ch[i];
		const struct channel_config *cc = &cfg->channels[i];
		double per_s;

		c->d = d;
		c->ch.cfg = cc;
		c->down_since = mono_ms(); /* down until attached */
		c->backlog = 1;            /* until a look finds none due */
		c->ready_tail = &c->ready;
		c->pending = 1;
		strmap_init(&c->queued, DISPATCH_QUEUED_MAX, free);
		c->max_inflight = dispatch_channel_inflight(cc);
		c->per_ms = (double)cc->rate.count / (double)cc->rate.period_ms;
		per_s = c->per_ms * 1000.0;
		c->burst = per_s < 1.0 ? 1.0 : per_s;
		if (c->burst > (double)cc->rate.count)
			c->burst = (double)cc->rate.count;
		c->tokens = c->burst;
		c->refilled = mono_ms();
		if (config_channel_cost(cc, &c->cost) != 0)
			c->cost = 0;
	}
	uv_timer_init(loop, &d->timer);
	outq_set_hooks(&d->hooks);
	store_on_undo(st, on_undo, d);
	schedule(d, 0);
	return d;
}

struct channel *
dispatch_attach(struct dispatcher *d, const char *name,
    const struct channel_ops *ops, void *arg, int up)
{
	struct dchan *c = find_chan(d, name);

	if (c == NULL)
		return NULL;
	c->ch.ops = ops;
	c->ch.arg = ops != NULL ? arg : NULL;
	if (ops != NULL)
		c->up = up;
	c->judged = ops != NULL && up && c->ch.cfg->fallback != NULL &&
		    c->ch.cfg->type != CHANNEL_GAMMU &&
		    c->ch.cfg->type != CHANNEL_SMPP;
	return &c->ch;
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
	kick(d);
}

int
dispatch_channel_inflight(const struct channel_config *cc)
{
	int64_t per_s;

	if (cc->type == CHANNEL_GAMMU || cc->type == CHANNEL_SMPP ||
	    cc->rate.period_ms <= 0)
		return DISPATCH_MAX_INFLIGHT;
	per_s = cc->rate.count * 1000 / cc->rate.period_ms;
	if (per_s <= DISPATCH_MAX_INFLIGHT)
		return DISPATCH_MAX_INFLIGHT;
	return per_s < DISPATCH_INFLIGHT_CAP ? (int)per_s
					     : DISPATCH_INFLIGHT_CAP;
}

void
dispatch_set_inflight(struct dispatcher *d, const char *name, int n)
{
	struct dchan *c = find_chan(d, name);

	if (c != NULL && n > 0)
		c->max_inflight = n;
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

/*
 * Stopped once no request is in flight and every outcome is written: a
 * stop waits for the database (within the gateway's stop limit), else a
 * reply already delivered would stay "sending" and go again at the next
 * start; and no transaction's end is left to call into a freed dispatcher.
 */
static void
maybe_stopped(struct dispatcher *d)
{
	if (d->stopping && d->inflight == 0 && d->recording == 0 &&
	    d->on_stopped != NULL) {
		void (*cb)(void *) = d->on_stopped;

		d->on_stopped = NULL;
		cb(d->stopped_arg);
	}
}

static void
outcome_free(struct outcome *o)
{
	free(o->provider_id);
	free(o->error);
	free(o);
}

/* Outcome o is written (or has no message): the stop may end. */
static void
outcome_end(struct outcome *o)
{
	struct dispatcher *d = o->c->d;

	outcome_free(o);
	d->recording--;
	maybe_stopped(d);
}

static void apply_outcome(struct outcome *);
static void outcome_count(const struct outcome *);

/* The turn that recorded o has ended: done, or o goes again. */
static void
on_recorded(void *arg, int ok)
{
	struct outcome *o = arg;
	struct dispatcher *d = o->c->d;

	if (ok && !o->failed) {
		if (o->tries > 0)
			log_info("dispatch",
			    "an outcome was recorded id=%lld tries=%d",
			    (long long)o->id, o->tries + 1);
		outcome_end(o);
		return;
	}
	if (o->tries++ % OUTCOME_LOG_EVERY == 0)
		log_warn("dispatch",
		    "an outcome was not committed, written again id=%lld "
		    "try=%d",
		    (long long)o->id, o->tries + 1);
	o->failed = 0;
	o->next = d->redo;
	d->redo = o;
	schedule(d, OUTCOME_RETRY_MS);
}

/* Writes outcome o inside the turn's transaction, told when it ends. */
static void
apply_outcome(struct outcome *o)
{
	struct dchan *c = o->c;
	struct dispatcher *d = c->d;
	const struct channel_config *cc = c->ch.cfg;
	int64_t now = now_ms(), id = o->id;
	int rc = 0;

	if (batch_begin(d->batch) != 0) {
		o->failed = 1;
		on_recorded(o, 0);
		return;
	}
	if (o->attempts < 0) {
		/* The channel kept only the id: the rest is in the store. */
		struct store_msg info;

		rc = store_msg_get(d->store, id, &info);
		if (rc == STORE_NOTFOUND) {
			log_warn("dispatch",
			    "an outcome for no message id=%lld", (long long)id);
			outcome_end(o);
			return;
		}
		if (rc != 0) {
			o->failed = 1;
			batch_defer(d->batch, on_recorded, o);
			return;
		}
		o->attempts = info.attempts;
		o->created = info.created;
		o->segments = info.segments;
		store_msg_free(&info);
		outcome_count(o);
		rc = 0;
	}
	switch (o->oc) {
	case SEND_OK:
		/* Its channel and segments as claimed: not read again. */
		rc = store_queue_sent_claimed(
		    d->store, id, o->provider_id, cc->name, o->segments, now);
		break;
	case SEND_TEMPFAIL:
		if (now - o->created >= cc->max_age_ms)
			rc = store_queue_fail(d->store, id, "expired", now);
		else {
			/*
			 * Never later than the deadline: a message due then is
			 * expired at its hand-over (interfaces.md: retries go
			 * on "until max_age").
			 */
			int64_t next = now + dispatch_backoff(o->attempts);

			if (next > o->created + cc->max_age_ms)
				next = o->created + cc->max_age_ms;
			rc = store_queue_retry(
			    d->store, id, next, o->error, now);
		}
		break;
	case SEND_PERMFAIL:
		rc = store_queue_fail(d->store, id, o->error, now);
		break;
	}
	if (rc == 0 && o->oc != SEND_OK)
		rc = events_message(
		    d->store, d->cfg, CONFIG_EVENT_MESSAGE_FAILED, id, now);
	o->failed = rc != 0;
	batch_defer(d->batch, on_recorded, o);
}

/* Writes again the outcomes whose transaction failed. */
static void
redo_outcomes(struct dispatcher *d)
{
	struct outcome *o = d->redo, *next;

	d->redo = NULL;
	for (; o != NULL; o = next) {
		next = o->next;
		apply_outcome(o);
	}
}

/*
 * A provider that refuses for now (down, throttling, out of credit) is said
 * in the log, a line a channel a minute at most, with how many messages it
 * refused since the last: else it would be silent until they expire.
 */
static void
retry_log(struct dchan *c, const char *error)
{
	int64_t now = now_ms();
	char scrub[200];

	c->retried_unlogged++;
	if (c->retry_logged_ms != 0 && now - c->retry_logged_ms < RETRY_LOG_MS)
		return;
	log_warn("dispatch",
	    "provider refused for now, messages retried channel=%s count=%llu "
	    "error=\"%s\"",
	    c->ch.cfg->name, (unsigned long long)c->retried_unlogged,
	    log_text(error ? error : "-", scrub, sizeof(scrub)));
	c->retry_logged_ms = now;
	c->retried_unlogged = 0;
}

/* Counts outcome o in its channel's figures, once its message is known. */
static void
outcome_count(const struct outcome *o)
{
	struct dchan *c = o->c;
	const struct channel_config *cc = c->ch.cfg;
	const char *error = o->error;
	char scrub[200];

	if (o->oc == SEND_OK)
		c->stats.last_ok = now_ms();
	else
		c->stats.last_failed = now_ms();
	switch (o->oc) {
	case SEND_OK:
		c->stats.sent++;
		c->stats.spend += (int64_t)o->segments * c->cost;
		break;
	case SEND_TEMPFAIL:
		if (now_ms() - o->created >= cc->max_age_ms) {
			c->stats.failed++;
			log_warn("dispatch",
			    "message expired id=%lld channel=%s error=\"%s\"",
			    (long long)o->id, cc->name,
			    log_text(
				error ? error : "-", scrub, sizeof(scrub)));
		} else {
			c->stats.retried++;
			retry_log(c, error);
		}
		break;
	case SEND_PERMFAIL:
		c->stats.failed++;
		log_warn("dispatch",
		    "message failed id=%lld channel=%s error=\"%s\"",
		    (long long)o->id, cc->name,
		    log_text(error ? error : "-", scrub, sizeof(scrub)));
		break;
	}
	if (o->oc != SEND_OK && error != NULL)
		snprintf(c->stats.last_error, sizeof(c->stats.last_error), "%s",
		    error);
}

/*
 * Records the outcome of m: its counters now when its attempts are known
 * (else once apply_outcome has read them), its writes inside the turn's
 * transaction (apply_outcome).
 */
static void
record(struct dchan *c, const struct channel_msg *m, enum send_outcome oc,
    const char *provider_id, const char *error)
{
	struct outcome *o = xcalloc(1, sizeof(*o));

	o->c = c;
	o->id = m->id;
	o->created = m->created;
	o->attempts = m->attempts;
	o->segments = m->segments;
	o->oc = oc;
	o->provider_id = provider_id != NULL ? xstrdup(provider_id) : NULL;
	o->error = error != NULL ? xstrdup(error) : NULL;
	if (o->attempts >= 0)
		outcome_count(o);
	c->d->recording++;
	apply_outcome(o);
}

/* A message handed to a channel has ended: one request less in flight. */
static void
landed(struct dispatcher *d, struct dchan *c)
{
	c->inflight--;
	d->inflight--;
}

/*
 * A judged channel's outcome: a success ends its failures (and a trial),
 * a transient failure may put it down (see struct dchan); a permanent one
 * says nothing of the channel (a number refused).
 */
static void
judge(struct dchan *c, enum send_outcome oc, const char *error)
{
	const char *name = c->ch.cfg->name;
	int64_t mono = mono_ms();

	if (oc == SEND_OK) {
		if (c->trial)
			log_info("dispatch",
			    "channel up again: a message went through "
			    "channel=%s",
			    name);
		c->failing_since = 0;
		c->trial = 0;
		return;
	}
	if (oc != SEND_TEMPFAIL || !c->up)
		return;
	if (c->failing_since == 0)
		c->failing_since = mono;
	if (!c->trial && mono - c->failing_since < c->ch.cfg->fallback_after_ms)
		return;
	log_warn("dispatch",
	    "channel down: %s for %llds; its queue goes to %s, and it is "
	    "tried again in %llds channel=%s error=%s",
	    c->trial ? "failing again" : "only failures",
	    (long long)((mono - c->failing_since) / 1000), c->ch.cfg->fallback,
	    (long long)(c->ch.cfg->fallback_after_ms / 1000), name,
	    error != NULL ? error : "");
	c->up = 0;
	c->trial = 0;
	/* Down since its failures began: the queue moves at once. */
	c->down_since = mono - c->ch.cfg->fallback_after_ms;
	c->probe_at = mono + c->ch.cfg->fallback_after_ms;
}

void
dispatch_done(struct channel *ch, const struct channel_msg *m,
    enum send_outcome oc, const char *provider_id, const char *error)
{
	struct dchan *c = container_of(ch, struct dchan, ch);
	struct dispatcher *d = c->d;

	landed(d, c);
	/* A channel that kept only the id (a modem, SMPP): apply reads it. */
	record(c, m, oc, provider_id, error);
	if (c->judged)
		judge(c, oc, error);
	maybe_stopped(d);
	/* A slot is free: a ready message takes it, else a look may, if one
	 * may find something (a retry is written now: the look schedules
	 * it). */
	drain(c);
	if (oc != SEND_OK || may_be_due(c))
		kick(d);
}

void
dispatch_log(struct channel *ch, const struct store_chanlog *e)
{
	struct dchan *c = container_of(ch, struct dchan, ch);
	struct dispatcher *d = c->d;

	if (d->cfg->channel_log_days <= 0)
		return;
	if (batch_begin(d->batch) != 0 || store_chanlog_add(d->store, e) != 0)
		log_warn("dispatch", "the channel log missed a request id=%lld",
		    (long long)e->message_id);
}

void
dispatch_dropped(struct channel *ch, const struct channel_msg *m)
{
	struct dchan *c = container_of(ch, struct dchan, ch);
	struct dispatcher *d = c->d;

	(void)m;
	landed(d, c);
	maybe_stopped(d);
	drain(c);
	kick(d);
}

/* Claimed messages leave. */
static void
hand_over(struct claim *cl)
{
	struct dchan *c = cl->c;
	struct dispatcher *d = c->d;
	struct channel_msg m;
	int64_t now = now_ms();
	size_t i;

	for (i = 0; i < cl->n; i++) {
		m.id = cl->msgs[i].id;
		m.to = cl->msgs[i].phone;
		m.text = cl->msgs[i].text;
		m.attempts = cl->msgs[i].attempts;
		m.created = cl->msgs[i].created;
		m.segments = cl->msgs[i].segments;
		if (c->ch.ops == NULL) /* detached since the claim */
			dispatch_done(
			    &c->ch, &m, SEND_TEMPFAIL, NULL, "channel down");
		else if (now - m.created >= c->ch.cfg->max_age_ms)
			/* Past max_age: no attempt goes out; record()
			 * fails it as "expired". */
			dispatch_done(&c->ch, &m, SEND_TEMPFAIL, NULL,
			    "not sent within max_age");
		else
			c->ch.ops->send(&c->ch, &m);
	}
	store_queue_msgs_free(cl->msgs, cl->n);
	free(cl);
	maybe_stopped(d);
}

/* Claim cl does not leave: its messages give their room back. */
static void
claim_drop(struct claim *cl)
{
	struct dchan *c = cl->c;
	struct dispatcher *d = c->d;

	c->inflight -= (int)cl->n;
	d->inflight -= (int)cl->n;
	store_queue_msgs_free(cl->msgs, cl->n);
	free(cl);
	maybe_stopped(d);
	kick(d);
}

/*
 * Nodes on one database: the transaction of claim cl has ended. Committed,
 * its messages leave; rolled back, they are queued still (for any node),
 * and on a stop they stay "sending" for this node's next start.
 */
static void
on_claimed(void *arg, int ok)
{
	struct claim *cl = arg;
	struct dchan *c = cl->c;
	struct dispatcher *d = c->d;

	if (ok && !d->stopping) {
		hand_over(cl);
		return;
	}
	if (!ok) {
		size_t i;

		log_warn("dispatch",
		    "a claim was not committed: its messages stay queued "
		    "channel=%s count=%zu",
		    c->ch.cfg->name, cl->n);
		for (i = 0; i < cl->n; i++)
			queued_add(c, cl->msgs[i].phone, cl->msgs[i].id);
	}
	claim_drop(cl);
}

/*
 * A message stored claimed does not leave (rolled back, or it stays
 * "sending" for the next start).
 */
static void
taken_drop(struct claim *cl)
{
	struct dispatcher *d = cl->c->d;

	d->inflight--;
	store_queue_msgs_free(cl->msgs, cl->n);
	free(cl);
	maybe_stopped(d);
}

/* Hands ready messages to channel c, in order, while it has free slots. */
static void
drain(struct dchan *c)
{
	struct claim *cl;

	while ((cl = c->ready) != NULL && c->inflight < c->max_inflight) {
		if ((c->ready = cl->next) == NULL)
			c->ready_tail = &c->ready;
		c->nready--;
		c->inflight++; /* d->inflight counts it since taken() */
		hand_over(cl);
	}
}

/*
 * The transaction of a message stored claimed has ended. Committed (and
 * not undone by a savepoint's rollback), it is ready to leave; rolled
 * back, there is no such message; on a stop it stays "sending" for the
 * next start.
 */
static void
on_taken(void *arg, int ok)
{
	struct claim *cl = arg, **p;
	struct dchan *c = cl->c;
	struct dispatcher *d = c->d;

	for (p = &d->taken; *p != cl; p = &(*p)->next)
		;
	*p = cl->next;
	c->waiting--;
	if (!ok || cl->undone || d->stopping) {
		taken_drop(cl);
		return;
	}
	cl->next = NULL;
	*c->ready_tail = cl;
	c->ready_tail = &cl->next;
	c->nready++;
	drain(c);
}

/* Refills the channel's bucket. */
static void
refill(struct dchan *c, int64_t mono)
{
	c->tokens += (double)(mono - c->refilled) * c->per_ms;
	c->refilled = mono;
	if (c->tokens > c->burst)
		c->tokens = c->burst;
}

/* Refills the channel's bucket and says how many messages it may claim. */
static size_t
capacity(struct dchan *c, int64_t mono)
{
	double n;

	refill(c, mono);
	n = floor(c->tokens);
	if (n > c->max_inflight - c->inflight)
		n = c->max_inflight - c->inflight;
	if (c->trial) /* one message at a time tries the channel */
		n = c->inflight == 0 && n >= 1 ? 1 : 0;
	if (n > DISPATCH_CLAIM_MAX)
		n = DISPATCH_CLAIM_MAX;
	return n > 0 ? (size_t)n : 0;
}

/*
 * Messages of a channel that stayed down were moved to its fallback:
 * there they are due now, before any new message.
 */
static void
moved_to(struct dispatcher *d, const char *name)
{
	struct dchan *f = find_chan(d, name);

	if (f != NULL) {
		f->backlog = 1;
		f->pending = 1;
	}
}

/* 1 when no message is held here: none claimed, in flight or waiting
   for its outcome to be written. */
static int
holds_none(const struct dispatcher *d)
{
	size_t i;

	if (d->inflight > 0 || d->taken != NULL || d->recording > 0 ||
	    d->redo != NULL)
		return 0;
	for (i = 0; i < d->nch; i++)
		if (d->ch[i].waiting > 0 || d->ch[i].nready > 0)
			return 0;
	return 1;
}

/*
 * After a doubtful turn, once nothing is held: every message this node
 * left "sending" is one no request carries (the store's recovery at a
 * start, store_queue_recover), queued again in this turn. Its commit
 * failing is doubtful too, and brings this back.
 */
static void
adopt_orphans(struct dispatcher *d, int64_t now)
{
	size_t i;
	int n;

	for (i = 0; i < d->nch; i++) /* what is ready leaves first */
		if (d->ch[i].ch.ops != NULL && d->ch[i].up)
			drain(&d->ch[i]);
	if (!holds_none(d) || batch_begin(d->batch) != 0)
		return;
	if ((n = store_queue_recover(d->store, now)) < 0)
		return;
	if (n > 0)
		log_warn("dispatch",
		    "messages left sending by a doubtful turn are queued again "
		    "count=%d",
		    n);
	d->orphans = 0;
	for (i = 0; i < d->nch; i++)
		d->ch[i].backlog = 1; /* some may be due: look before taking */
}

static void
dispatch_run(struct dispatcher *d)
{
	int64_t now = now_ms(), mono = mono_ms(), wake = DISPATCH_POLL_MS;
	/* The same for every channel: no commit comes within one run. */
	int64_t durable = batch_durable(d->batch);
	size_t i;

	redo_outcomes(d);
	if (d->stopping)
		return;
	if (d->batch->doubtful != d->doubtful_seen) {
		d->doubtful_seen = d->batch->doubtful;
		if (!d->orphans)
			log_warn("dispatch",
			    "a turn told failed may have committed: no claims "
			    "until none is held here, then what this node "
			    "left sending is queued again");
		d->orphans = 1;
	}
	if (d->orphans) {
		adopt_orphans(d, now);
		if (d->orphans) {
			schedule(d, ORPHANS_POLL_MS);
			return;
		}
	}
	for (i = 0; i < d->nch; i++) {
		struct dchan *c = &d->ch[i];
		struct store_queue_msg *msgs;
		struct claim *cl;
		size_t cap, n, k;
		int64_t due;

		if (c->ch.ops == NULL)
			continue; /* a modem without its worker yet */
		if (!c->up && c->judged && mono >= c->probe_at) {
			log_info("dispatch", "channel tried again channel=%s",
			    c->ch.cfg->name);
			c->up = 1;
			c->trial = 1;
			c->failing_since = mono;
		}
		if (!c->up) {
			/*
			 * A modem that is starting or reconnecting gets a grace
			 * period before its queue goes to the fallback channel.
			 */
			if (c->ch.cfg->fallback != NULL &&
			    mono - c->down_since >=
				c->ch.cfg->fallback_after_ms &&
			    batch_begin(d->batch) == 0 &&
			    store_queue_move(d->store, c->ch.cfg->name,
				c->ch.cfg->fallback, now,
				c->judged ? INT64_MAX : now) > 0) {
				moved_to(d, c->ch.cfg->fallback);
				wake = 0;
			}
			continue;
		}
		/* Messages stored claimed go first, in order: nothing queued
		 * is claimed while one waits for a slot. */
		drain(c);
		cap = c->ready == NULL ? capacity(c, mono) : 0;
		if (cap == 0) {
			c->pending = 1;
			/* Limited by the rate or by requests in flight. */
			if (c->inflight < c->max_inflight && c->per_ms > 0) {
				int64_t t = (int64_t)ceil(
				    (1.0 - c->tokens) / c->per_ms);

				if (store_queue_next_due(
					d->store, c->ch.cfg->name) >= 0 &&
				    t < wake)
					wake = t;
			}
			continue;
		}
		due = store_queue_next_due(d->store, c->ch.cfg->name);
		c->pending = due >= 0 && due <= now;
		if (!c->pending) {
			/* None due: new messages may be taken as stored. */
			c->backlog = 0;
			strmap_sweep(&c->queued, forget, NULL);
		}
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
		/*
		 * Only messages whose insert is on disk (batch_durable), and
		 * they go at once: the claim need not wait for its own commit
		 * and sync. A crash before that commit leaves them queued, a
		 * crash after it "sending", and either way they are sent again
		 * at the next start (at least once, as with a crash during
		 * the request); a reply whose webhook is not yet answered is
		 * never sent before the webhook's message is durable.
		 */
		if (store_queue_claim_upto(d->store, c->ch.cfg->name, now, cap,
			durable, &msgs, &n) != 0)
			continue;
		if (n == 0) {
			/* Due, but not durable yet: the array is empty. */
			store_queue_msgs_free(msgs, 0);
			continue;
		}
		c->tokens -= (double)n;
		c->inflight += (int)n;
		d->inflight += (int)n;
		for (k = 0; k < n; k++)
			queued_drop(c, msgs[k].phone, msgs[k].id);
		cl = xcalloc(1, sizeof(*cl));
		cl->c = c;
		cl->msgs = msgs;
		cl->n = n;
		if (d->shared)
			/*
			 * Another node may claim what a claim rolled back (a
			 * deadlock ends a PostgreSQL transaction): messages
			 * leave only once their claim is committed.
			 */
			batch_defer(d->batch, on_claimed, cl);
		else
			hand_over(cl);
		/* More may be due: look again soon. */
		if (n == cap)
			wake = 1;
	}
	schedule(d, wake);
}

void
dispatch_stop(struct dispatcher *d, void (*done)(void *), void *arg)
{
	size_t i;

	d->stopping = 1;
	uv_timer_stop(&d->timer);
	/* Those not handed over yet stay "sending" for the next start. */
	for (i = 0; i < d->nch; i++) {
		struct dchan *c = &d->ch[i];
		struct claim *cl;

		while ((cl = c->ready) != NULL) {
			c->ready = cl->next;
			c->nready--;
			taken_drop(cl);
		}
		c->ready_tail = &c->ready;
	}
	if (d->redo != NULL)
		schedule(d, OUTCOME_RETRY_MS);
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

	for (i = 0; i < d->nch; i++) {
		if (d->ch[i].ch.ops != NULL && d->ch[i].ch.ops->close != NULL)
			d->ch[i].ch.ops->close(&d->ch[i].ch);
		strmap_free(&d->ch[i].queued);
	}
	free(d->ch);
	free(d);
}

void
dispatch_free(struct dispatcher *d)
{
	if (d == NULL)
		return;
	while (d->redo != NULL) {
		struct outcome *o = d->redo;

		d->redo = o->next;
		log_error("dispatch", "recording an outcome failed id=%lld",
		    (long long)o->id);
		outcome_free(o);
	}
	outq_set_hooks(NULL);
	store_on_undo(d->store, NULL, NULL);
	uv_close((uv_handle_t *)&d->timer, on_timer_closed);
}
