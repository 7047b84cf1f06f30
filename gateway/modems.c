/*
 * modems.c: the gateway's side of its GSM modems. Each `type = gammu`
 * channel gets a supervisor (modem/supervisor.c) that runs its worker
 * process; this file connects it to the rest of the gateway: inbound
 * messages go through ingress (and are deleted from the phone only after
 * their commit), the dispatcher sends the channel's queue through it (its
 * struct channel_ops, channel.h), and its state feeds the dispatcher (a
 * down modem's queue waits or goes to the fallback channel) and the
 * metrics (gw->modems.beat).
 *
 * The modem's state is also kept in the store (table modem_state, one row
 * per channel) for `baraza stats`, which runs in another process: up/down,
 * signal and network, the last balance answer, the last error, and the
 * counts of failed sends and worker restarts (kept across gateway runs).
 * The row is written through the loop's batch when the modem goes up or
 * down, when the signal moves by MODEMS_SIGNAL_STEP points or more, on a
 * balance answer, an error, a failed send or a worker restart; a smaller
 * signal change is written at most once per MODEMS_WRITE_GAP_MS.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/channel.h"
#include "gateway/dispatch.h"
#include "gateway/gateway.h"
#include "gateway/ingress.h"
#include "gateway/modems.h"
#include "lib/log.h"
#include "lib/util.h"
#include "modem/supervisor.h"

#define MODEMS_SIGNAL_STEP 5      /* signal points written at once */
#define MODEMS_WRITE_GAP_MS 10000 /* between writes of small changes */
#define MODEMS_MAX_TEXT 256       /* bytes kept of a balance or error */
#define MODEMS_MAX_NETWORK 32     /* bytes kept of the network state */

struct modem {
	struct gateway *gw;
	const struct channel_config *cc;
	size_t index; /* in cfg->channels */
	struct modem_supervisor *sup;
	struct channel *chan;     /* the dispatcher's channel, or NULL */
	struct modems_beat *beat; /* up and signal: gw->modems.beat[index] */
	uv_timer_t flush;         /* writes a pending small change later */
	int refs;                 /* the modem list, pending acks, the timer */

	/* The rest of the state as kept in the store. */
	char *network;      /* "home", ..., or NULL */
	char *balance;      /* last balance answer, or NULL */
	int64_t balance_at; /* its wall time in ms, or 0 */
	char *last_error;   /* or NULL */
	uint64_t failures;  /* sends handed back unsent */
	uint64_t restarts;  /* worker deaths */
	int written_signal; /* the signal of the last write */
	int64_t written_at; /* mono_ms of the last write, or 0 */
	int dirty;          /* a change waits for the flush timer */
	int write_failed;   /* the last write could not begin */
};

/* An inbound message waiting for its commit, to be acked to the worker. */
struct pending_ack {
	struct modem *m;
	uint64_t id;
};

static void
modem_unref(struct modem *m)
{
	if (--m->refs > 0)
		return;
	free(m->network);
	free(m->balance);
	free(m->last_error);
	free(m);
}

static void
on_flush_close(uv_handle_t *h)
{
	modem_unref(h->data);
}

/* A copy of s cut to at most max bytes on a UTF-8 boundary; NULL stays. */
static char *
dup_cut(const char *s, size_t max)
{
	size_t n;
	char *r;

	if (s == NULL)
		return NULL;
	n = strlen(s);
	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	r = xmalloc(n + 1);
	memcpy(r, s, n);
	r[n] = '\0';
	return r;
}

static void
set_str(char **dst, const char *s, size_t max)
{
	free(*dst);
	*dst = dup_cut(s, max);
}

/* The kept row of an earlier run: balance, last error, counters. */
static int
on_kept(void *arg, const struct store_modem *k)
{
	struct modem *m = arg;

	set_str(&m->balance, k->balance, MODEMS_MAX_TEXT);
	m->balance_at = k->balance_at > 0 ? k->balance_at : 0;
	set_str(&m->last_error, k->last_error, MODEMS_MAX_TEXT);
	if (k->failures > 0)
		m->failures = (uint64_t)k->failures;
	if (k->restarts > 0)
		m->restarts = (uint64_t)k->restarts;
	return 0;
}

/* Reads what an earlier run kept (balance, last error, counters). */
static void
state_load(struct modem *m)
{
	if (store_modem_state_get(m->gw->store, m->cc->name, on_kept, m) < 0)
		log_warn("modem", "cannot read the modem state channel=%s: %s",
		    m->cc->name, store_errmsg(m->gw->store));
}

static void on_flush(uv_timer_t *);

/* Writes the row now, in the turn's transaction. */
static void
state_write(struct modem *m)
{
	struct store_modem row;

	uv_timer_stop(&m->flush);
	if (batch_begin(&m->gw->batch) != 0) {
		if (!m->write_failed)
			log_warn("modem",
			    "cannot keep the modem state channel=%s, "
			    "retrying",
			    m->cc->name);
		m->write_failed = 1;
		m->dirty = 1;
		if (!m->gw->stopping)
			uv_timer_start(
			    &m->flush, on_flush, MODEMS_WRITE_GAP_MS, 0);
		return;
	}
	memset(&row, 0, sizeof(row));
	row.channel = m->cc->name;
	row.up = m->beat->up;
	row.signal = (int)m->beat->signal;
	row.network = m->network;
	row.balance = m->balance;
	row.balance_at = m->balance_at;
	row.last_error = m->last_error;
	row.failures = (int64_t)m->failures;
	row.restarts = (int64_t)m->restarts;
	row.updated = now_ms();
	if (store_modem_state_put(m->gw->store, &row) != 0)
		log_warn("modem", "cannot keep the modem state channel=%s: %s",
		    m->cc->name, store_errmsg(m->gw->store));
	m->write_failed = 0;
	m->dirty = 0;
	m->written_signal = (int)m->beat->signal;
	m->written_at = mono_ms();
}

static void
on_flush(uv_timer_t *t)
{
	struct modem *m = t->data;

	if (m->dirty)
		state_write(m);
}

/* Writes a small change now, or when MODEMS_WRITE_GAP_MS has passed. */
static void
state_write_soon(struct modem *m)
{
	int64_t wait = m->written_at + MODEMS_WRITE_GAP_MS - mono_ms();

	if (m->written_at == 0 || wait <= 0) {
		state_write(m);
		return;
	}
	m->dirty = 1;
	if (!uv_is_active((uv_handle_t *)&m->flush))
		uv_timer_start(&m->flush, on_flush, (uint64_t)wait, 0);
}

static void
on_committed(void *arg, const struct ingress_result *res)
{
	struct pending_ack *p = arg;

	/* Only a durable message (or one stored before) may leave the phone. */
	if ((res->status == INGRESS_STORED ||
		res->status == INGRESS_DUPLICATE) &&
	    p->m->sup != NULL)
		modem_ack(p->m->sup, p->id);
	modem_unref(p->m);
	free(p);
}

static void
on_inbound(
    struct modem_supervisor *sup, const struct modem_inbound *in, void *arg)
{
	struct modem *m = arg;
	struct ingress_sms sms;
	struct pending_ack *p;
	const char *why = NULL;
	int rc;

	(void)sup;
	memset(&sms, 0, sizeof(sms));
	sms.channel = m->cc->name;
	sms.from = in->from;
	sms.text = in->text;
	sms.provider_id = in->key; /* stable across worker restarts */
	p = xmalloc(sizeof(*p));
	p->m = m;
	p->id = in->id;
	m->refs++;
	rc = ingress_sms(m->gw, &sms, on_committed, p, &why);
	if (rc == INGRESS_BAD) {
		/*
		 * A sender that is no phone number (a network's name) can
		 * never be answered: drop it from the phone, after a log line.
		 */
		log_warn("modem", "message refused channel=%s reason=\"%s\"",
		    m->cc->name, why ? why : "-");
		modem_ack(m->sup, in->id);
		m->refs--;
		free(p);
	} else if (rc != 0) {
		/* The store is unavailable: the worker offers it again. */
		m->refs--;
		free(p);
	}
}

/*
 * A delivery report read from the phone: the newest message sent with its
 * reference becomes delivered or failed, as a provider's report would make
 * it; the report leaves the phone once that is committed. One that names
 * no message we know is only logged.
 */
static void
on_report(struct modem_supervisor *sup, const struct modem_report *r, void *arg)
{
	struct modem *m = arg;
	struct ingress_report rep;
	struct pending_ack *p;
	const char *why = NULL;
	char own[24];
	int64_t id;
	int rc;

	rc = store_queue_newest(m->gw->store, m->cc->name, r->reference, &id);
	if (rc == STORE_NOTFOUND) {
		log_info("modem",
		    "delivery report for no message we sent channel=%s "
		    "reference=%s",
		    m->cc->name, r->reference);
		modem_ack(sup, r->id);
		return;
	}
	if (rc != 0)
		return; /* the store is unavailable: the worker offers it again */
	snprintf(own, sizeof(own), "%lld", (long long)id);
	memset(&rep, 0, sizeof(rep));
	rep.channel = m->cc->name;
	rep.id = own;
	rep.by_own_id = 1;
	rep.state = r->delivered ? MSG_DELIVERED : MSG_FAILED;
	rep.error = r->error;
	p = xmalloc(sizeof(*p));
	p->m = m;
	p->id = r->id;
	m->refs++;
	if (ingress_status(m->gw, &rep, on_committed, p, &why) != 0) {
		m->refs--;
		free(p);
	}
}

static void
on_sent(struct modem_supervisor *sup, int64_t msg_id, enum modem_outcome oc,
    const char *error, const char *reference, void *arg)
{
	struct modem *m = arg;
	/* The supervisor keeps only the id: the dispatcher reads the rest. */
	struct channel_msg msg = {.id = msg_id, .attempts = -1};
	enum send_outcome so = oc == MODEM_OK         ? SEND_OK
			       : oc == MODEM_TEMPFAIL ? SEND_TEMPFAIL
						      : SEND_PERMFAIL;

	(void)sup;
	if (oc != MODEM_OK) {
		m->failures++;
		set_str(&m->last_error, error != NULL ? error : "send failed",
		    MODEMS_MAX_TEXT);
		state_write(m);
	}
	if (m->chan != NULL)
		dispatch_done(m->chan, &msg, so, reference, error);
}

static void
on_state(struct modem_supervisor *sup, int up, int signal, void *arg)
{
	struct modem *m = arg;
	struct modems_beat *b = m->beat;
	const char *net = modem_supervisor_network(sup);
	int step, changed;

	if (!b->known || b->up != up)
		log_info("modem", "modem %s channel=%s signal=%d",
		    up ? "up" : "down", m->cc->name, signal);
	step = signal - m->written_signal;
	if (step < 0)
		step = -step;
	changed =
	    b->up != up || m->written_at == 0 || step >= MODEMS_SIGNAL_STEP;
	b->known = 1;
	b->up = up;
	b->signal = signal;
	if (net != NULL && (m->network == NULL || strcmp(net, m->network) != 0))
		set_str(&m->network, net, MODEMS_MAX_NETWORK);
	if (changed)
		state_write(m);
	else
		state_write_soon(m);
	dispatch_set_up(m->gw->dispatch, m->cc->name, up);
}

static void
on_balance(struct modem_supervisor *sup, const char *text, void *arg)
{
	struct modem *m = arg;

	(void)sup;
	/* The operator's text holds no one's message; it is kept short. */
	log_info("modem", "airtime balance channel=%s answer=\"%.120s\"",
	    m->cc->name, text ? text : "");
	set_str(&m->balance, text != NULL ? text : "", MODEMS_MAX_TEXT);
	m->balance_at = now_ms();
	state_write(m);
}

static void
on_restart(struct modem_supervisor *sup, const char *why, void *arg)
{
	struct modem *m = arg;

	(void)sup;
	m->restarts++;
	m->beat->up = 0;
	set_str(&m->last_error, why, MODEMS_MAX_TEXT);
	state_write(m);
}

static void
on_error(struct modem_supervisor *sup, const char *error, void *arg)
{
	struct modem *m = arg;

	(void)sup;
	set_str(&m->last_error, error, MODEMS_MAX_TEXT);
	state_write(m);
}

/*
 * The channel's send: the supervisor takes the message (on_sent ends it),
 * or the modem is down or its queue full and it ends TEMPFAIL now.
 */
static void
modem_chan_send(struct channel *ch, const struct channel_msg *msg)
{
	struct modem *m = ch->arg;

	if (m->sup == NULL || modem_send(m->sup, msg->id, msg->to, msg->text,
				  m->cc->delivery_reports) != 0)
		dispatch_done(ch, msg, SEND_TEMPFAIL, NULL, "channel down");
}

static const struct channel_ops modem_chan_ops = {
    .name = "modem",
    .send = modem_chan_send,
    .close = NULL, /* the modem is this file's: modems_stop ends it */
};

void
modems_start(struct gateway *gw)
{
	const struct config *cfg = gw->cfg;
	size_t i;

	gw->modems.list = xcalloc(cfg->nchannels + 1, sizeof(*gw->modems.list));
	for (i = 0; i < cfg->nchannels; i++) {
		const struct channel_config *cc = &cfg->channels[i];
		struct modem_callbacks cb;
		struct modem *m;

		if (cc->type != CHANNEL_GAMMU)
			continue;
		/*
		 * Several nodes on one PostgreSQL database: a modem is
		 * plugged into one machine, and only the node named on
		 * its channel runs it and claims its queue.
		 */
		if (!config_runs_here(cfg, cc)) {
			log_info("modem",
			    "channel runs on another node channel=%s node=%s",
			    cc->name, cc->node);
			continue;
		}
		m = xcalloc(1, sizeof(*m));
		m->gw = gw;
		m->cc = cc;
		m->index = i;
		m->beat = &gw->modems.beat[i];
		m->refs = 1;
		state_load(m);
		memset(&cb, 0, sizeof(cb));
		cb.on_inbound = on_inbound;
		cb.on_sent = on_sent;
		cb.on_state = on_state;
		cb.on_balance = on_balance;
		cb.on_restart = on_restart;
		cb.on_error = on_error;
		cb.on_report = on_report;
		cb.arg = m;
		m->sup =
		    modem_supervisor_start(gw->loop, cc, gw->exe_path, &cb);
		if (m->sup == NULL) {
			log_error(
			    "modem", "cannot supervise channel=%s", cc->name);
			modem_unref(m);
			continue;
		}
		uv_timer_init(gw->loop, &m->flush);
		m->flush.data = m;
		m->refs++; /* the timer, until its close callback */
		m->chan = dispatch_attach(
		    gw->dispatch, cc->name, &modem_chan_ops, m, 0);
		gw->modems.list[gw->modems.n++] = m;
	}
}

int
modems_counters(
    struct gateway *gw, size_t index, uint64_t *failures, uint64_t *restarts)
{
	size_t i;

	for (i = 0; i < gw->modems.n; i++)
		if (gw->modems.list[i]->index == index) {
			*failures = gw->modems.list[i]->failures;
			*restarts = gw->modems.list[i]->restarts;
			return 0;
		}
	return -1;
}

void
modems_stop(struct gateway *gw)
{
	struct modem *m;
	size_t i;

	for (i = 0; i < gw->modems.n; i++) {
		m = gw->modems.list[i];
		modem_supervisor_stop(m->sup);
		m->sup = NULL;
		/* Nothing more goes to the modem, which is freed below. */
		if (m->chan != NULL)
			dispatch_attach(
			    gw->dispatch, m->cc->name, NULL, NULL, 0);
		m->chan = NULL;
		/* The row says the modem is down while no gateway runs it. */
		m->beat->up = 0;
		state_write(m);
		uv_timer_stop(&m->flush);
		uv_close((uv_handle_t *)&m->flush, on_flush_close);
		modem_unref(m);
	}
	free(gw->modems.list);
	gw->modems.list = NULL;
	gw->modems.n = 0;
}
