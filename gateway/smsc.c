/*
 * smsc.c: SMPP channels on a thread of their own, `baraza-smpp`. Each link
 * is a TCP connection driven by an smpp_session (smpp/session.c), which
 * holds the protocol; this file holds the socket, the timer, reconnects,
 * and the ties to the dispatcher (submit_sm) and to ingress (deliver_sm).
 *
 * The links live on the thread's loop, so that a loop busy with the store
 * (a commit, a PostgreSQL round trip) never leaves an enquire_link or a
 * submit_sm_resp unread or a timer late. The dispatcher and ingress stay
 * on the gateway's loop: the two loops talk only through mailboxes
 * (lib/mailbox.h), in batches per turn. What crosses: a message to
 * submit and an acknowledgement (to the thread); an outcome, a link up
 * or down, an MO message or a receipt, and the end (to the loop). Fields
 * of struct smsc are marked by the thread that owns them.
 *
 * A deliver_sm is answered after ingress has committed what it carried.
 * The answer goes on the connection it came on: when that connection has
 * gone in between (gen changed), the SMSC delivers the message again on
 * the next one. SMPP gives an MO message no id, so such a message is then
 * stored twice; the window is one commit wide.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "gateway/dispatch.h"
#include "gateway/gateway.h"
#include "gateway/ingress.h"
#include "gateway/smsc.h"
#include "lib/log.h"
#include "lib/mailbox.h"
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
	int64_t bound_at;  /* mono ms of the last bind accepted, or 0 */
	int64_t unbind_by; /* stopping: unbind, then close, by this mono ms */
	int unbind_late;   /* unbound at unbind_by: closes at the next one */
	size_t commits;    /* deliver_sm awaiting their commit */
	char rbuf[SMSC_READ_BUF];
};

/* The SMPP thread: its loop and the mailboxes between it and the gateway's. */
struct smsc_thread {
	uv_loop_t loop;
	uv_thread_t tid;
	struct mailbox to_thread; /* received on the thread */
	struct mailbox to_gw;     /* received on the gateway's loop */
	struct outbox gw_out;     /* the gateway's loop posts to_thread */
	struct outbox t_out;      /* the thread posts to_gw */
	struct gateway *gw;
	void (*done)(struct gateway *); /* the stop's end */
	struct smsc **list; /* the channels (freed by the gateway's side) */
	size_t n;
	size_t live; /* thread: channels not finished yet */
	int handles; /* gateway's side: its two handles not closed yet */
};

struct smsc {
	/* Set before the thread starts, read by both. */
	struct smsc_thread *t;
	const struct channel_config *cc;
	struct channel *chan;
	int nlinks;
	struct smpp_bind bind;
	char port[8];
	/* The gateway's loop. */
	int gw_stopping; /* no more submits handed over */
	int gw_bound[2]; /* each link bound, as last told */
	/* The thread. */
	struct smsc_link link[2];
	int refs; /* handles open and commits pending, plus one */
	int stopping;
};

/* A submitted message: the dispatcher keeps the rest. */
struct sub {
	int64_t id;
};

/* Crossing to the thread: a message to submit. */
struct x_send {
	struct smsc *c;
	int64_t id;
	char *to, *text;
};

/* Crossing to the gateway's loop: a submit's outcome. */
struct x_done {
	struct smsc *c;
	int64_t id;
	enum send_outcome oc;
	char *provider_id, *error;
};

/* Crossing to the gateway's loop: a link bound or down. */
struct x_up {
	struct smsc *c;
	int link, bound, tell; /* tell: the dispatcher too */
};

/* Crossing to the gateway's loop: an MO message or a receipt. */
struct x_deliver {
	struct pending *p;
	enum smpp_deliver_kind kind;
	char *from, *text, *id, *error;
	int from_ton;
	enum smpp_receipt_state state;
};

/* Crossing to the thread: deliver_sm PDUs to answer. */
struct x_ack {
	struct pending *p;
	uint32_t status;
};

/* Deliver_sm PDUs awaiting the commit of what they carried. */
struct pending {
	struct smsc *c;
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
static void t_finish(struct smsc_thread *);
static void gw_up(void *);
static void gw_done(void *);

/* Thread: a channel is finished once nothing of it is open or pending. */
static void
smsc_unref(struct smsc *c)
{
	if (--c->refs == 0 && --c->t->live == 0)
		t_finish(c->t);
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

/* Thread: tells the gateway's loop that link l is bound or down. */
static void
post_up(struct smsc_link *l, int bound, int tell)
{
	struct x_up *x = xmalloc(sizeof(*x));

	x->c = l->c;
	x->link = (int)(l - l->c->link);
	x->bound = bound;
	x->tell = tell;
	outbox_post(&l->c->t->t_out, gw_up, x);
}

/* Thread: hands an outcome to the dispatcher on the gateway's loop. */
static void
post_done(struct smsc *c, int64_t id, enum send_outcome oc,
    const char *provider_id, const char *error)
{
	struct x_done *x = xmalloc(sizeof(*x));

	x->c = c;
	x->id = id;
	x->oc = oc;
	x->provider_id = provider_id != NULL ? xstrdup(provider_id) : NULL;
	x->error = error != NULL ? xstrdup(error) : NULL;
	outbox_post(&c->t->t_out, gw_done, x);
}

static void
link_bound(void *arg, const char *system_id)
{
	struct smsc_link *l = arg;

	l->bound_at = mono_ms();
	l->bound = 1;
	log_info("smpp", "bound channel=%s as=%s smsc=\"%s\"", l->c->cc->name,
	    link_name(l), system_id);
	post_up(l, 1, l->sends);
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
	int64_t id = sub->id;
	char name[16], why[64];

	free(sub);
	switch (r) {
	case SMPP_SUBMIT_OK:
		post_done(l->c, id, SEND_OK,
		    message_id != NULL && *message_id != '\0' ? message_id
							      : NULL,
		    NULL);
		break;
	case SMPP_SUBMIT_FAILED:
		snprintf(why, sizeof(why), "refused by the SMSC: %s",
		    smpp_status_name(status, name));
		post_done(l->c, id, SEND_PERMFAIL, NULL, why);
		break;
	case SMPP_SUBMIT_LOST:
		post_done(
		    l->c, id, SEND_TEMPFAIL, NULL, "the SMPP link went down");
		break;
	}
	maybe_unbind(l);
}

/* Thread: answers the deliver_sm PDUs once ingress has told. */
static void
t_ack(void *arg)
{
	struct x_ack *x = arg;
	struct pending *p = x->p;
	struct smsc_link *l = p->l;
	struct smsc *c = p->c;

	l->commits--;
	if (l->gen == p->gen && l->state == L_OPEN && l->s != NULL)
		smpp_session_ack(l->s, p->seqs, p->n, x->status);
	maybe_unbind(l);
	free(p);
	free(x);
	smsc_unref(c);
}

/* The gateway's loop: hands p's answer to the thread. */
static void
gw_ack(struct pending *p, uint32_t status)
{
	struct x_ack *x = xmalloc(sizeof(*x));

	x->p = p;
	x->status = status;
	outbox_post(&p->c->t->gw_out, t_ack, x);
}

static void
on_committed(void *arg, const struct ingress_result *res)
{
	struct pending *p = arg;

	gw_ack(p,
	    res->status == INGRESS_BUSY ? SMPP_ESME_RX_T_APPN : SMPP_ESME_ROK);
}

static void
x_deliver_free(struct x_deliver *x)
{
	free(x->from);
	free(x->text);
	free(x->id);
	free(x->error);
	free(x);
}

/* The gateway's loop: an MO message or a receipt into ingress. */
static void
gw_deliver(void *arg)
{
	struct x_deliver *x = arg;
	struct pending *p = x->p;
	struct smsc *c = p->c;
	struct gateway *gw = c->t->gw;
	const char *why = NULL;
	char from[SMPP_ADDR_MAX + 1];
	int rc;

	if (x->kind == SMPP_DELIVER_RECEIPT) {
		struct ingress_report rep;

		memset(&rep, 0, sizeof(rep));
		rep.channel = c->cc->name;
		rep.id = x->id;
		rep.by_own_id = 0;
		rep.state = x->state == SMPP_RECEIPT_DELIVERED ? MSG_DELIVERED
			    : x->state == SMPP_RECEIPT_FAILED  ? MSG_FAILED
							       : MSG_SENT;
		rep.error =
		    x->error != NULL && *x->error != '\0' ? x->error : NULL;
		rc = ingress_status(gw, &rep, on_committed, p, &why);
	} else {
		struct ingress_sms sms;

		/* An international number comes without its '+'. */
		snprintf(from, sizeof(from), "%s%s",
		    x->from_ton == 1 && x->from[0] != '+' ? "+" : "", x->from);
		memset(&sms, 0, sizeof(sms));
		sms.channel = c->cc->name;
		sms.from = from;
		sms.text = x->text;
		sms.provider_id = NULL; /* SMPP gives MO messages no id */
		rc = ingress_sms(gw, &sms, on_committed, p, &why);
	}
	if (rc != 0) {
		/*
		 * Refused at once: one that can never be taken (not a phone
		 * number, a receipt for nothing we know) is answered OK so
		 * that it does not come back; with the store unavailable,
		 * the SMSC tries again.
		 */
		log_warn("smpp", "%s refused channel=%s reason=\"%s\"", p->what,
		    c->cc->name, why != NULL ? why : "-");
		gw_ack(
		    p, rc == INGRESS_BAD ? SMPP_ESME_ROK : SMPP_ESME_RX_T_APPN);
	}
	x_deliver_free(x);
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* Thread: an MO message or a receipt, answered after the commit. */
static void
link_deliver(void *arg, const struct smpp_inbound *in)
{
	struct smsc_link *l = arg;
	struct smsc *c = l->c;
	struct pending *p;
	struct x_deliver *x;

	p = xmalloc(sizeof(*p) + in->nseqs * sizeof(p->seqs[0]));
	p->c = c;
	p->l = l;
	p->gen = l->gen;
	p->n = in->nseqs;
	p->what = in->kind == SMPP_DELIVER_RECEIPT ? "receipt" : "message";
	memcpy(p->seqs, in->seqs, in->nseqs * sizeof(p->seqs[0]));
	l->commits++;
	c->refs++;
	x = xcalloc(1, sizeof(*x));
	x->p = p;
	x->kind = in->kind;
	x->from = dup_or_null(in->from != NULL ? in->from : "");
	x->from_ton = in->from_ton;
	x->text = dup_or_null(in->text);
	x->id = dup_or_null(in->id);
	x->error = dup_or_null(in->error);
	x->state = in->state;
	outbox_post(&c->t->t_out, gw_deliver, x);
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
		if (l->unbind_late) {
			link_close(l, "stopped");
			return;
		}
		/* Answers still due: unbind all the same (those in flight go
		 * back to the queue), and close if unbind_resp does not come. */
		smpp_session_unbind(l->s, now);
		l->unbind_late = 1;
		l->unbind_by = now + SMSC_UNBIND_RESP_MS;
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
	/* A link that stayed bound a while starts again from the first wait;
	 * one dropped right after its bind keeps doubling (an SMSC that takes
	 * the bind and closes is not called every second). */
	if (l->bound_at != 0 && mono_ms() - l->bound_at >= SMSC_STABLE_MS)
		l->backoff = SMSC_RECONNECT_FIRST_MS;
	l->bound_at = 0;
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
	if (l->bound)
		post_up(l, 0, l->sends && !l->c->stopping);
	l->bound = 0;
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
	uv_tcp_init(&c->t->loop, &l->tcp);
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
	if (uv_getaddrinfo(&l->c->t->loop, &l->gai, on_resolved, l->c->cc->host,
		l->c->port, &hints) != 0)
		link_retry(l);
}

/* Thread: a submit on the sending link, if it is bound. */
static void
t_send(void *arg)
{
	struct x_send *x = arg;
	struct smsc *c = x->c;
	struct smsc_link *l = &c->link[0];
	struct buf reason;
	struct sub *sub;

	if (c->stopping || l->s == NULL || l->state != L_OPEN ||
	    !smpp_session_ready(l->s))
		post_done(c, x->id, SEND_TEMPFAIL, NULL,
		    "the SMPP link is not bound");
	else {
		sub = xmalloc(sizeof(*sub));
		sub->id = x->id;
		buf_init(&reason, 200);
		if (smpp_session_submit(l->s, sub, x->to + (x->to[0] == '+'),
			x->text, mono_ms(), &reason) != 0) {
			free(sub);
			post_done(
			    c, x->id, SEND_PERMFAIL, NULL, buf_cstr(&reason));
		}
		buf_free(&reason);
	}
	free(x->to);
	free(x->text);
	free(x);
}

/* The channel's send, on the gateway's loop: handed to the thread. */
static void
smsc_send(struct channel *ch, const struct channel_msg *msg)
{
	struct smsc *c = ch->arg;
	struct x_send *x;

	if (c->gw_stopping) {
		dispatch_done(ch, msg, SEND_TEMPFAIL, NULL, "stopping");
		return;
	}
	x = xmalloc(sizeof(*x));
	x->c = c;
	x->id = msg->id;
	x->to = xstrdup(msg->to);
	x->text = xstrdup(msg->text);
	outbox_post(&c->t->gw_out, t_send, x);
}

/* The gateway's loop: a submit's outcome to the dispatcher. */
static void
gw_done(void *arg)
{
	struct x_done *x = arg;
	struct channel_msg msg = {.id = x->id, .attempts = -1};

	dispatch_done(x->c->chan, &msg, x->oc, x->provider_id, x->error);
	free(x->provider_id);
	free(x->error);
	free(x);
}

/* The gateway's loop: a link bound or down. */
static void
gw_up(void *arg)
{
	struct x_up *x = arg;
	struct smsc *c = x->c;

	c->gw_bound[x->link] = x->bound;
	if (x->tell && !c->gw_stopping)
		dispatch_set_up(c->t->gw->dispatch, c->cc->name, x->bound);
	free(x);
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
	uv_timer_init(&c->t->loop, &l->timer);
	l->timer.data = l;
	c->refs++; /* the timer, until on_timer_closed */
	link_connect(l);
}

/* The gateway's loop: both its handles closed, the rest goes. */
static void
gw_handle_closed(struct smsc_thread *t)
{
	size_t i;

	if (--t->handles > 0)
		return;
	for (i = 0; i < t->n; i++)
		free(t->list[i]);
	free(t->list);
	free(t);
}

static void
on_gw_out_closed(struct outbox *ob)
{
	gw_handle_closed(container_of(ob, struct smsc_thread, gw_out));
}

static void
on_to_gw_closed(struct mailbox *mb)
{
	gw_handle_closed(container_of(mb, struct smsc_thread, to_gw));
}

/*
 * The gateway's loop: the thread's last word. Every call it posted before
 * has run; it is about to return, so the join is short.
 */
static void
gw_finished(void *arg)
{
	struct smsc_thread *t = arg;

	uv_thread_join(&t->tid);
	if (uv_loop_close(&t->loop) != 0)
		log_error(
		    "smpp", "the SMPP thread's loop ended with handles open");
	if (t->gw->smscs.t == t)
		t->gw->smscs.t = NULL;
	t->handles = 2;
	outbox_close(&t->gw_out, on_gw_out_closed);
	mailbox_close(&t->to_gw, on_to_gw_closed);
	if (t->done != NULL)
		t->done(t->gw);
}

/* Thread: every channel is finished; tell the gateway and close. */
static void
t_finish(struct smsc_thread *t)
{
	outbox_post(&t->t_out, gw_finished, t);
	outbox_close(&t->t_out, NULL);
	mailbox_close(&t->to_thread, NULL);
}

static void
t_run(void *arg)
{
	struct smsc_thread *t = arg;

#ifdef __linux__
	/* Named for top -H and bench/e2e's share of each thread. */
	(void)pthread_setname_np(pthread_self(), "baraza-smpp");
#endif
	uv_run(&t->loop, UV_RUN_DEFAULT);
}

/* Thread: the stop, as smscs_stop says. */
static void
t_stop(void *arg)
{
	struct smsc_thread *t = arg;
	int64_t now = mono_ms();
	size_t i;
	int k;

	for (i = 0; i < t->n; i++) {
		struct smsc *c = t->list[i];

		c->stopping = 1;
		for (k = 0; k < c->nlinks; k++) {
			struct smsc_link *l = &c->link[k];

			l->unbind_by = now + SMSC_UNBIND_MS;
			l->unbind_late = 0;
			if (l->state == L_WAIT)
				link_done(l);
			else
				maybe_unbind(l);
		}
		smsc_unref(c);
	}
}

static struct smsc_thread *
thread_new(struct gateway *gw, size_t max)
{
	struct smsc_thread *t = xcalloc(1, sizeof(*t));

	t->gw = gw;
	t->list = xcalloc(max + 1, sizeof(*t->list));
	if (uv_loop_init(&t->loop) != 0 ||
	    mailbox_init(&t->to_thread, &t->loop) != 0 ||
	    mailbox_init(&t->to_gw, gw->loop) != 0 ||
	    outbox_init(&t->gw_out, gw->loop, &t->to_thread) != 0 ||
	    outbox_init(&t->t_out, &t->loop, &t->to_gw) != 0)
		fatalx("cannot make the SMPP thread's loop");
	return t;
}

void
smscs_start(struct gateway *gw)
{
	const struct config *cfg = gw->cfg;
	struct smsc_thread *t = NULL;
	size_t i;

	for (i = 0; i < cfg->nchannels; i++) {
		const struct channel_config *cc = &cfg->channels[i];
		struct smsc *c;
		int q;

		if (cc->type != CHANNEL_SMPP)
			continue;
		if (t == NULL)
			t = thread_new(gw, cfg->nchannels);
		c = xcalloc(1, sizeof(*c));
		c->t = t;
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
		/* The links start on the thread's loop, before it runs. */
		if (cc->bind == SMPP_BIND_MODE_SPLIT) {
			c->nlinks = 2;
			link_init(c, &c->link[0], SMPP_BIND_TRANSMITTER, 1);
			link_init(c, &c->link[1], SMPP_BIND_RECEIVER, 0);
		} else {
			c->nlinks = 1;
			link_init(c, &c->link[0], SMPP_BIND_TRANSCEIVER, 1);
		}
		t->list[t->n++] = c;
		t->live++;
	}
	if (t == NULL)
		return;
	if (uv_thread_create(&t->tid, t_run, t) != 0)
		fatalx("cannot start the SMPP thread");
	gw->smscs.t = t;
}

int
smscs_bound(const struct gateway *gw, const char *name, int *bound, int *links)
{
	const struct smsc_thread *t = gw->smscs.t;
	size_t i;
	int k;

	for (i = 0; t != NULL && i < t->n; i++) {
		const struct smsc *c = t->list[i];

		if (strcmp(c->cc->name, name) != 0)
			continue;
		*bound = 0;
		for (k = 0; k < c->nlinks; k++)
			*bound += c->gw_bound[k];
		*links = c->nlinks;
		return 0;
	}
	return -1;
}

void
smscs_stop(struct gateway *gw, void (*done)(struct gateway *))
{
	struct smsc_thread *t = gw->smscs.t;
	size_t i;

	if (t == NULL) {
		if (done != NULL)
			done(gw);
		return;
	}
	if (t->list[0]->gw_stopping)
		return;
	t->done = done;
	for (i = 0; i < t->n; i++)
		t->list[i]->gw_stopping = 1;
	outbox_post(&t->gw_out, t_stop, t);
}
