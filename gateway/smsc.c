/*
 * smsc.c: SMPP channels on the loop. Each link is a TCP connection driven
 * by an smpp_session (smpp/session.c), which holds the protocol; this file
 * holds the socket, the timer, reconnects, and the ties to the dispatcher
 * (submit_sm) and to ingress (deliver_sm).
 *
 * A deliver_sm is answered after ingress has committed what it carried.
 * The answer goes on the connection it came on: when that connection has
 * gone in between (gen changed), the SMSC delivers the message again on
 * the next one. SMPP gives an MO message no id, so such a message is then
 * stored twice; the window is one commit wide.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "gateway/dispatch.h"
#include "gateway/gateway.h"
#include "gateway/ingress.h"
#include "gateway/smsc.h"
#include "lib/log.h"
#include "lib/util.h"
#include "smpp/session.h"

#define SMSC_TICK_MS 250
#define SMSC_OUT_MAX (16 * 1024 * 1024) /* bytes queued on a link */
#define SMSC_READ_BUF 65536

enum lstate {
	L_WAIT,       /* down; the timer reconnects */
	L_RESOLVING,  /* looking the host up */
	L_CONNECTING, /* TCP connecting */
	L_OPEN,       /* connected; the session binds or is bound */
	L_CLOSING,    /* the socket closing */
	L_DONE,       /* stopped for good: the timer closes */
};

struct smsc_link {
	struct smsc *c;
	int sends;         /* 1: carries submit_sm (trx or tx) */
	uint32_t bind_cmd; /* what it binds as */
	enum lstate state;
	int bound; /* the session's bind was accepted */
	uv_tcp_t tcp;
	uv_connect_t connect;
	uv_getaddrinfo_t gai;
	uv_timer_t timer; /* the session's ticks, or the reconnect */
	struct smpp_session *s;
	unsigned gen;      /* connections so far */
	int64_t backoff;   /* the next reconnect's wait */
	int64_t unbind_by; /* stopping: close at this mono ms */
	size_t commits;    /* deliver_sm awaiting their commit */
	char rbuf[SMSC_READ_BUF];
};

struct smsc {
	struct gateway *gw;
	const struct channel_config *cc;
	struct channel *chan;
	struct smsc_link link[2];
	int nlinks;
	int refs; /* handles open and commits pending, plus one */
	int stopping;
	struct smpp_bind bind;
	char port[8];
};

/* A submitted message: the dispatcher keeps the rest. */
struct sub {
	int64_t id;
};

/* Deliver_sm PDUs awaiting the commit of what they carried. */
struct pending {
	struct smsc_link *l;
	unsigned gen;
	const char *what; /* "message" or "receipt", for the log */
	size_t n;
	uint32_t seqs[];
};

struct wreq {
	uv_write_t req;
	struct smsc_link *l;
	char data[];
};

static void link_connect(struct smsc_link *);
static void link_close(struct smsc_link *, const char *why);

static void
smsc_unref(struct smsc *c)
{
	if (--c->refs == 0)
		free(c);
}

static const char *
link_name(const struct smsc_link *l)
{
	switch (l->bind_cmd) {
	case SMPP_BIND_TRANSMITTER:
		return "transmitter";
	case SMPP_BIND_RECEIVER:
		return "receiver";
	default:
		return "transceiver";
	}
}

/* Closes the timer for good once a stopped link is down. */
static void
on_timer_closed(uv_handle_t *h)
{
	struct smsc_link *l = h->data;

	smsc_unref(l->c);
}

static void
link_done(struct smsc_link *l)
{
	if (l->state == L_DONE)
		return;
	l->state = L_DONE;
	uv_timer_stop(&l->timer);
	uv_close((uv_handle_t *)&l->timer, on_timer_closed);
}

/* Unbinds a stopping link once nothing of it is in flight. */
static void
maybe_unbind(struct smsc_link *l)
{
	if (!l->c->stopping || l->state != L_OPEN || l->s == NULL)
		return;
	if (smpp_session_pending(l->s) == 0 && l->commits == 0)
		smpp_session_unbind(l->s, mono_ms());
}

static void
on_write(uv_write_t *req, int status)
{
	struct wreq *w = container_of(req, struct wreq, req);

	if (status < 0 && status != UV_ECANCELED && w->l->state == L_OPEN)
		link_close(w->l, uv_strerror(status));
	free(w);
}

/* The session's write: now when the socket takes it, else queued. */
static void
link_write(void *arg, const void *data, size_t len)
{
	struct smsc_link *l = arg;
	uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
	struct wreq *w;
	int n = UV_EAGAIN;

	if (l->state != L_OPEN)
		return;
	if (l->tcp.write_queue_size == 0)
		n = uv_try_write((uv_stream_t *)&l->tcp, &b, 1);
	if (n == (int)len)
		return;
	if (n < 0 && n != UV_EAGAIN) {
		link_close(l, uv_strerror(n));
		return;
	}
	if (n < 0)
		n = 0;
	if (l->tcp.write_queue_size + (len - (size_t)n) > SMSC_OUT_MAX) {
		link_close(l, "the SMSC does not read what we send");
		return;
	}
	w = xmalloc(sizeof(*w) + len - (size_t)n);
	w->l = l;
	memcpy(w->data, (const char *)data + n, len - (size_t)n);
	b = uv_buf_init(w->data, (unsigned)(len - (size_t)n));
	if (uv_write(&w->req, (uv_stream_t *)&l->tcp, &b, 1, on_write) != 0) {
		free(w);
		link_close(l, "cannot write");
	}
}

static void
link_bound(void *arg, const char *system_id)
{
	struct smsc_link *l = arg;

	l->backoff = SMSC_RECONNECT_FIRST_MS;
	l->bound = 1;
	log_info("smpp", "bound channel=%s as=%s smsc=\"%s\"", l->c->cc->name,
	    link_name(l), system_id);
	if (l->sends)
		dispatch_set_up(l->c->gw->dispatch, l->c->cc->name, 1);
	maybe_unbind(l);
}

static void
link_session_closed(void *arg, const char *reason)
{
	link_close(arg, reason);
}

static void
link_submitted(void *arg, void *ctx, enum smpp_submit_result r, uint32_t status,
    const char *message_id)
{
	struct smsc_link *l = arg;
	struct sub *sub = ctx;
	struct channel_msg msg = {.id = sub->id, .attempts = -1};
	char name[16], why[64];

	free(sub);
	switch (r) {
	case SMPP_SUBMIT_OK:
		dispatch_done(l->c->chan, &msg, SEND_OK,
		    message_id != NULL && *message_id != '\0' ? message_id
							      : NULL,
		    NULL);
		break;
	case SMPP_SUBMIT_FAILED:
		snprintf(why, sizeof(why), "refused by the SMSC: %s",
		    smpp_status_name(status, name));
		dispatch_done(l->c->chan, &msg, SEND_PERMFAIL, NULL, why);
		break;
	case SMPP_SUBMIT_LOST:
		dispatch_done(l->c->chan, &msg, SEND_TEMPFAIL, NULL,
		    "the SMPP link went down");
		break;
	}
	maybe_unbind(l);
}

static void
on_committed(void *arg, const struct ingress_result *res)
{
	struct pending *p = arg;
	struct smsc_link *l = p->l;
	struct smsc *c = l->c;

	l->commits--;
	if (l->gen == p->gen && l->state == L_OPEN && l->s != NULL)
		smpp_session_ack(l->s, p->seqs, p->n,
		    res->status == INGRESS_BUSY ? SMPP_ESME_RX_T_APPN
						: SMPP_ESME_ROK);
	maybe_unbind(l);
	free(p);
	smsc_unref(c);
}

/* An MO message or a receipt: into ingress, answered after the commit. */
static void
link_deliver(void *arg, const struct smpp_inbound *in)
{
	struct smsc_link *l = arg;
	struct smsc *c = l->c;
	struct pending *p;
	const char *why = NULL;
	char from[SMPP_ADDR_MAX + 1];
	int rc;

	p = xmalloc(sizeof(*p) + in->nseqs * sizeof(p->seqs[0]));
	p->l = l;
	p->gen = l->gen;
	p->n = in->nseqs;
	memcpy(p->seqs, in->seqs, in->nseqs * sizeof(p->seqs[0]));
	l->commits++;
	c->refs++;
	if (in->kind == SMPP_DELIVER_RECEIPT) {
		struct ingress_report rep;

		memset(&rep, 0, sizeof(rep));
		rep.channel = c->cc->name;
		rep.id = in->id;
		rep.by_own_id = 0;
		rep.state = in->state == SMPP_RECEIPT_DELIVERED ? MSG_DELIVERED
			    : in->state == SMPP_RECEIPT_FAILED  ? MSG_FAILED
								: MSG_SENT;
		rep.error =
		    in->error != NULL && *in->error != '\0' ? in->error : NULL;
		p->what = "receipt";
		rc = ingress_status(c->gw, &rep, on_committed, p, &why);
	} else {
		struct ingress_sms sms;

		/* An international number comes without its '+'. */
		snprintf(from, sizeof(from), "%s%s",
		    in->from_ton == 1 && in->from[0] != '+' ? "+" : "",
		    in->from);
		memset(&sms, 0, sizeof(sms));
		sms.channel = c->cc->name;
		sms.from = from;
		sms.text = in->text;
		sms.provider_id = NULL; /* SMPP gives MO messages no id */
		p->what = "message";
		rc = ingress_sms(c->gw, &sms, on_committed, p, &why);
	}
	if (rc == 0)
		return;
	/*
	 * Refused at once: one that can never be taken (not a phone number,
	 * a receipt for nothing we know) is answered OK so that it does not
	 * come back; with the store unavailable, the SMSC tries again.
	 */
	log_warn("smpp", "%s refused channel=%s reason=\"%s\"", p->what,
	    c->cc->name, why != NULL ? why : "-");
	if (l->s != NULL && l->state == L_OPEN)
		smpp_session_ack(l->s, p->seqs, p->n,
		    rc == INGRESS_BAD ? SMPP_ESME_ROK : SMPP_ESME_RX_T_APPN);
	l->commits--;
	free(p);
	smsc_unref(c);
}

static void
link_log(void *arg, const char *what)
{
	struct smsc_link *l = arg;

	log_info("smpp", "channel=%s link=%s %s", l->c->cc->name, link_name(l),
	    what);
}

static const struct smpp_session_cb session_cb = {
    .write = link_write,
    .bound = link_bound,
    .close = link_session_closed,
    .submitted = link_submitted,
    .deliver = link_deliver,
    .log = link_log,
};

static void
on_tick(uv_timer_t *t)
{
	struct smsc_link *l = t->data;
	int64_t now = mono_ms();

	if (l->state == L_WAIT) {
		if (l->c->stopping)
			link_done(l);
		else
			link_connect(l);
		return;
	}
	if (l->state != L_OPEN || l->s == NULL)
		return;
	if (l->c->stopping && now >= l->unbind_by) {
		link_close(l, "stopped");
		return;
	}
	smpp_session_tick(l->s, now);
}

/* Waits before the next connection, doubling the wait each time. */
static void
link_retry(struct smsc_link *l)
{
	l->state = L_WAIT;
	if (l->c->stopping) {
		link_done(l);
		return;
	}
	uv_timer_stop(&l->timer);
	uv_timer_start(&l->timer, on_tick, (uint64_t)l->backoff, 0);
	l->backoff *= 2;
	if (l->backoff > SMSC_RECONNECT_MAX_MS)
		l->backoff = SMSC_RECONNECT_MAX_MS;
}

static void
on_tcp_closed(uv_handle_t *h)
{
	struct smsc_link *l = h->data;
	struct smsc *c = l->c;

	l->gen++;
	if (l->s != NULL) {
		struct smpp_session *s = l->s;

		l->s = NULL;
		smpp_session_free(s); /* what was in flight: TEMPFAIL */
	}
	link_retry(l);
	smsc_unref(c);
}

static void
link_close(struct smsc_link *l, const char *why)
{
	if (l->state != L_OPEN && l->state != L_CONNECTING)
		return;
	if (l->state == L_OPEN)
		log_info("smpp", "link down channel=%s link=%s reason=\"%s\"",
		    l->c->cc->name, link_name(l), why);
	l->state = L_CLOSING;
	l->bound = 0;
	if (l->sends && !l->c->stopping)
		dispatch_set_up(l->c->gw->dispatch, l->c->cc->name, 0);
	uv_read_stop((uv_stream_t *)&l->tcp);
	uv_close((uv_handle_t *)&l->tcp, on_tcp_closed);
}

static void
on_alloc(uv_handle_t *h, size_t size, uv_buf_t *b)
{
	struct smsc_link *l = h->data;

	(void)size;
	*b = uv_buf_init(l->rbuf, sizeof(l->rbuf));
}

static void
on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
	struct smsc_link *l = st->data;

	if (n < 0) {
		link_close(l, n == UV_EOF ? "the SMSC closed the connection"
					  : uv_strerror((int)n));
		return;
	}
	if (n > 0 && l->s != NULL && l->state == L_OPEN)
		smpp_session_read(l->s, b->base, (size_t)n, mono_ms());
}

static void
on_connected(uv_connect_t *req, int status)
{
	struct smsc_link *l = req->data;
	struct smsc *c = l->c;
	struct smpp_session_config sc;

	if (status < 0 || c->stopping) {
		if (status < 0)
			log_warn("smpp",
			    "cannot connect channel=%s link=%s to %s:%d: %s",
			    c->cc->name, link_name(l), c->cc->host, c->cc->port,
			    uv_strerror(status));
		l->state = L_CONNECTING;
		link_close(l, "not connected");
		return;
	}
	l->state = L_OPEN;
	uv_tcp_nodelay(&l->tcp, 1);
	memset(&sc, 0, sizeof(sc));
	sc.bind_cmd = l->bind_cmd;
	sc.bind = c->bind;
	sc.submit.source_addr = c->cc->source_addr != NULL ? c->cc->source_addr
				: c->cc->sender != NULL    ? c->cc->sender
							   : "";
	sc.submit.source_ton = c->cc->source_ton;
	sc.submit.source_npi = c->cc->source_npi;
	sc.submit.dest_ton = c->cc->dest_ton;
	sc.submit.dest_npi = c->cc->dest_npi;
	sc.submit.long_mode = c->cc->long_mode;
	sc.submit.registered_delivery = 1;
	sc.window = c->cc->window;
	sc.enquire_link_ms = c->cc->enquire_link_ms;
	sc.response_ms = SMSC_RESPONSE_MS;
	sc.join_ms = SMSC_JOIN_MS;
	if (uv_read_start((uv_stream_t *)&l->tcp, on_alloc, on_read) != 0) {
		link_close(l, "cannot read");
		return;
	}
	l->s = smpp_session_new(&sc, &session_cb, l, mono_ms());
	uv_timer_stop(&l->timer);
	if (l->state == L_OPEN)
		uv_timer_start(&l->timer, on_tick, SMSC_TICK_MS, SMSC_TICK_MS);
}

static void
on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct smsc_link *l = req->data;
	struct smsc *c = l->c;

	if (status < 0 || c->stopping) {
		if (status < 0)
			log_warn("smpp",
			    "cannot resolve channel=%s host=%s: %s",
			    c->cc->name, c->cc->host, uv_strerror(status));
		if (res != NULL)
			uv_freeaddrinfo(res);
		link_retry(l);
		return;
	}
	uv_tcp_init(c->gw->loop, &l->tcp);
	l->tcp.data = l;
	c->refs++; /* the socket, until on_tcp_closed */
	l->connect.data = l;
	l->state = L_CONNECTING;
	if (uv_tcp_connect(&l->connect, &l->tcp, res->ai_addr, on_connected) !=
	    0)
		link_close(l, "cannot connect");
	uv_freeaddrinfo(res);
}

static void
link_connect(struct smsc_link *l)
{
	struct addrinfo hints;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	l->state = L_RESOLVING;
	l->gai.data = l;
	if (uv_getaddrinfo(l->c->gw->loop, &l->gai, on_resolved, l->c->cc->host,
		l->c->port, &hints) != 0)
		link_retry(l);
}

/* The channel's send: a submit on the sending link, if it is bound. */
static void
smsc_send(struct channel *ch, const struct channel_msg *msg)
{
	struct smsc *c = ch->arg;
	struct smsc_link *l = &c->link[0];
	struct buf reason;
	struct sub *sub;

	if (c->stopping || l->s == NULL || l->state != L_OPEN ||
	    !smpp_session_ready(l->s)) {
		dispatch_done(
		    ch, msg, SEND_TEMPFAIL, NULL, "the SMPP link is not bound");
		return;
	}
	sub = xmalloc(sizeof(*sub));
	sub->id = msg->id;
	buf_init(&reason, 200);
	if (smpp_session_submit(l->s, sub, msg->to + (msg->to[0] == '+'),
		msg->text, mono_ms(), &reason) != 0) {
		free(sub);
		dispatch_done(ch, msg, SEND_PERMFAIL, NULL, buf_cstr(&reason));
	}
	buf_free(&reason);
}

static const struct channel_ops smsc_ops = {
    .name = "smpp",
    .send = smsc_send,
    .close = NULL, /* the links are this file's: smscs_stop ends them */
};

static void
link_init(struct smsc *c, struct smsc_link *l, uint32_t bind_cmd, int sends)
{
	l->c = c;
	l->bind_cmd = bind_cmd;
	l->sends = sends;
	l->backoff = SMSC_RECONNECT_FIRST_MS;
	l->state = L_WAIT;
	uv_timer_init(c->gw->loop, &l->timer);
	l->timer.data = l;
	c->refs++; /* the timer, until on_timer_closed */
	link_connect(l);
}

void
smscs_start(struct gateway *gw)
{
	const struct config *cfg = gw->cfg;
	size_t i;

	gw->smscs.list = xcalloc(cfg->nchannels + 1, sizeof(*gw->smscs.list));
	for (i = 0; i < cfg->nchannels; i++) {
		const struct channel_config *cc = &cfg->channels[i];
		struct smsc *c;
		int q;

		if (cc->type != CHANNEL_SMPP)
			continue;
		c = xcalloc(1, sizeof(*c));
		c->gw = gw;
		c->cc = cc;
		c->refs = 1;
		c->bind.system_id = cc->system_id;
		c->bind.password = cc->password;
		c->bind.system_type =
		    cc->system_type != NULL ? cc->system_type : "";
		snprintf(c->port, sizeof(c->port), "%d", cc->port);
		c->chan =
		    dispatch_attach(gw->dispatch, cc->name, &smsc_ops, c, 0);
		/*
		 * The session holds what waits behind the window: enough to
		 * keep it full while the claims' commits are on the disk.
		 */
		q = cc->window * SMSC_QUEUE_PER_WINDOW;
		if (q > SMPP_QUEUE_MAX)
			q = SMPP_QUEUE_MAX;
		if (q > DISPATCH_MAX_INFLIGHT)
			dispatch_set_inflight(gw->dispatch, cc->name, q);
		if (cc->bind == SMPP_BIND_MODE_SPLIT) {
			c->nlinks = 2;
			link_init(c, &c->link[0], SMPP_BIND_TRANSMITTER, 1);
			link_init(c, &c->link[1], SMPP_BIND_RECEIVER, 0);
		} else {
			c->nlinks = 1;
			link_init(c, &c->link[0], SMPP_BIND_TRANSCEIVER, 1);
		}
		gw->smscs.list[gw->smscs.n++] = c;
	}
}

int
smscs_bound(const struct gateway *gw, const char *name, int *bound, int *links)
{
	size_t i;
	int k;

	for (i = 0; i < gw->smscs.n; i++) {
		const struct smsc *c = gw->smscs.list[i];

		if (strcmp(c->cc->name, name) != 0)
			continue;
		*bound = 0;
		for (k = 0; k < c->nlinks; k++)
			*bound += c->link[k].bound;
		*links = c->nlinks;
		return 0;
	}
	return -1;
}

void
smscs_stop(struct gateway *gw)
{
	int64_t now = mono_ms();
	size_t i;
	int k;

	for (i = 0; i < gw->smscs.n; i++) {
		struct smsc *c = gw->smscs.list[i];

		c->stopping = 1;
		for (k = 0; k < c->nlinks; k++) {
			struct smsc_link *l = &c->link[k];

			l->unbind_by = now + SMSC_UNBIND_MS;
			if (l->state == L_WAIT)
				link_done(l);
			else
				maybe_unbind(l);
		}
		smsc_unref(c);
	}
	free(gw->smscs.list);
	gw->smscs.list = NULL;
	gw->smscs.n = 0;
}
