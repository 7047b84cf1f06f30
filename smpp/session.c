/*
 * session.c: one SMPP link's state machine (see session.h).
 *
 * A submitted message is encoded at once into its submit_sm PDUs (one per
 * part) and kept in a struct smsg until every part has its answer. Parts
 * go out in queue order while fewer than window of them await an answer;
 * a throttled part waits for the backoff and goes again under a new
 * sequence number. MO parts wait in a small join table keyed by sender,
 * reference and total.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "smpp/session.h"

enum sstate {
	S_BINDING,   /* bind sent, no answer yet */
	S_BOUND,     /* bound */
	S_UNBINDING, /* unbind sent */
	S_CLOSED,    /* done with the link */
};

/* Part states. */
enum { P_WAITING, P_FLIGHT, P_DONE };

struct smsg {
	TAILQ_ENTRY(smsg) all_entry;  /* s->all */
	TAILQ_ENTRY(smsg) send_entry; /* s->sendq, when queued */
	void *ctx;
	struct buf pdus; /* the parts' PDUs, one after the other */
	size_t nparts;
	size_t *off;          /* offset of each part's PDU in pdus */
	unsigned char *state; /* P_* per part */
	size_t waiting;       /* parts in P_WAITING */
	size_t flight;        /* parts in P_FLIGHT */
	int failed;           /* a part was refused */
	uint32_t status;      /* the refusal's status */
	char last_id[SMPP_ID_MAX];
	int queued; /* in s->sendq */
};

TAILQ_HEAD(smsg_list, smsg);

/* A part awaiting its submit_sm_resp. */
struct flight {
	uint32_t seq;
	struct smsg *m;
	size_t part;
	int64_t sent;
};

/* An MO message whose parts are coming in. */
struct join {
	int used;
	char from[SMPP_ADDR_MAX];
	int from_ton;
	char to[SMPP_ADDR_MAX];
	unsigned ref, total, have;
	int64_t first;
	char **text;    /* per part, or NULL */
	uint32_t *seqs; /* every deliver_sm of it */
	size_t nseqs;
};

struct smpp_session {
	struct smpp_session_config cfg;
	struct smpp_session_cb cb;
	void *arg;
	enum sstate state;
	uint32_t seq;           /* the next sequence number to use */
	int64_t last_read;      /* mono ms */
	int64_t sent_at;        /* bind or unbind sent at */
	uint32_t enq_seq;       /* enquire_link awaiting its answer, or 0 */
	int64_t enq_sent;       /* when it went */
	int64_t paused_until;   /* throttled: no submit_sm before */
	int64_t paused_at;      /* when that pause began (0: none yet) */
	int64_t backoff;        /* the next pause */
	unsigned ref;           /* the next concatenation reference */
	struct buf in;          /* bytes read, not yet a whole PDU */
	struct buf out;         /* PDUs being written */
	struct smsg_list all;   /* every message not yet ended */
	struct smsg_list sendq; /* messages with parts waiting */
	size_t nmsgs;
	struct flight *flight; /* cfg.window entries */
	int nflight;
	struct join joins[SMPP_JOINS_MAX];
};

static void say(struct smpp_session *s, const char *fmt, ...) PRINTFLIKE(2, 3);

static void
say(struct smpp_session *s, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	if (s->cb.log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	s->cb.log(s->arg, line);
}

static uint32_t
next_seq(struct smpp_session *s)
{
	uint32_t q = s->seq;

	s->seq = s->seq >= SMPP_SEQ_MAX ? 1 : s->seq + 1;
	return q;
}

/* Writes what s->out holds and empties it. */
static void
flush(struct smpp_session *s)
{
	if (s->out.len > 0 && s->state != S_CLOSED)
		s->cb.write(s->arg, s->out.data, s->out.len);
	buf_reset(&s->out);
}

static void
send_simple(struct smpp_session *s, uint32_t cmd, uint32_t status, uint32_t seq)
{
	if (s->state == S_CLOSED)
		return;
	if (smpp_encode_simple(&s->out, cmd, status, seq) == 0)
		flush(s);
	else
		buf_reset(&s->out);
}

static void
close_link(struct smpp_session *s, const char *reason)
{
	if (s->state == S_CLOSED)
		return;
	flush(s);
	s->state = S_CLOSED;
	s->cb.close(s->arg, reason);
}

static void
smsg_free(struct smsg *m)
{
	buf_free(&m->pdus);
	free(m->off);
	free(m->state);
	free(m);
}

static void
unqueue(struct smpp_session *s, struct smsg *m)
{
	if (m->queued) {
		TAILQ_REMOVE(&s->sendq, m, send_entry);
		m->queued = 0;
	}
}

/* Ends m: every part answered, or the session going away. */
static void
smsg_end(struct smpp_session *s, struct smsg *m, enum smpp_submit_result r)
{
	unqueue(s, m);
	TAILQ_REMOVE(&s->all, m, all_entry);
	s->nmsgs--;
	s->cb.submitted(s->arg, m->ctx, r, m->status,
	    r == SMPP_SUBMIT_OK ? m->last_id : NULL);
	smsg_free(m);
}

/* Ends m when nothing of it is out or waiting any more. */
static void
smsg_check(struct smpp_session *s, struct smsg *m)
{
	if (m->flight > 0)
		return;
	if (m->failed) {
		/* What did not go yet never goes. */
		smsg_end(s, m, SMPP_SUBMIT_FAILED);
		return;
	}
	if (m->waiting == 0)
		smsg_end(s, m, SMPP_SUBMIT_OK);
}

static int
bound_for_sending(const struct smpp_session *s)
{
	return s->state == S_BOUND && s->cfg.bind_cmd != SMPP_BIND_RECEIVER;
}

/* Sends waiting parts while the window has room and nothing pauses. */
static void
pump(struct smpp_session *s, int64_t now)
{
	struct smsg *m;
	size_t i;

	if (!bound_for_sending(s) || now < s->paused_until)
		return;
	while (s->nflight < s->cfg.window &&
	       (m = TAILQ_FIRST(&s->sendq)) != NULL) {
		uint8_t *pdu;
		uint32_t seq;

		for (i = 0; i < m->nparts && m->state[i] != P_WAITING; i++)
			;
		if (i == m->nparts || m->failed) {
			unqueue(s, m);
			continue;
		}
		seq = next_seq(s);
		pdu = (uint8_t *)m->pdus.data + m->off[i];
		pdu[12] = (uint8_t)(seq >> 24);
		pdu[13] = (uint8_t)(seq >> 16);
		pdu[14] = (uint8_t)(seq >> 8);
		pdu[15] = (uint8_t)seq;
		m->state[i] = P_FLIGHT;
		m->waiting--;
		m->flight++;
		s->flight[s->nflight].seq = seq;
		s->flight[s->nflight].m = m;
		s->flight[s->nflight].part = i;
		s->flight[s->nflight].sent = now;
		s->nflight++;
		if (m->waiting == 0)
			unqueue(s, m);
		s->cb.write(s->arg, pdu,
		    (i + 1 < m->nparts ? m->off[i + 1] : m->pdus.len) -
			m->off[i]);
		if (s->state == S_CLOSED)
			return;
	}
}

static void
enqueue_front(struct smpp_session *s, struct smsg *m)
{
	if (!m->queued) {
		TAILQ_INSERT_HEAD(&s->sendq, m, send_entry);
		m->queued = 1;
	}
}

/* The answer to the part in flight at index k of the window. */
static void
on_submit_resp(
    struct smpp_session *s, int k, const struct smpp_pdu *p, int64_t now)
{
	struct flight f = s->flight[k];
	struct smsg *m = f.m;
	uint32_t st = p->h.status;

	s->flight[k] = s->flight[--s->nflight];
	m->flight--;
	if (st == SMPP_ESME_RTHROTTLED || st == SMPP_ESME_RMSGQFUL) {
		/* Again after a pause, which doubles while it lasts. */
		m->state[f.part] = P_WAITING;
		m->waiting++;
		enqueue_front(s, m);
		if (s->backoff == 0)
			s->backoff = SMPP_BACKOFF_FIRST_MS;
		/* A part sent before the pause began was throttled with it:
		 * one window throttled is one pause, not one per part. */
		if (f.sent > s->paused_at &&
		    now + s->backoff > s->paused_until) {
			char name[16];

			s->paused_at = now;
			s->paused_until = now + s->backoff;
			say(s, "throttled (%s): pausing %lld ms",
			    smpp_status_name(st, name), (long long)s->backoff);
			s->backoff *= 2;
			if (s->backoff > SMPP_BACKOFF_MAX_MS)
				s->backoff = SMPP_BACKOFF_MAX_MS;
		}
		return;
	}
	m->state[f.part] = P_DONE;
	if (st == SMPP_ESME_ROK) {
		s->backoff = 0;
		/* Receipts follow the last part, as for a modem. */
		if (f.part == m->nparts - 1)
			snprintf(m->last_id, sizeof(m->last_id), "%s",
			    p->message_id);
	} else if (!m->failed) {
		m->failed = 1;
		m->status = st;
	}
	smsg_check(s, m);
}

static int
find_flight(const struct smpp_session *s, uint32_t seq)
{
	int k;

	for (k = 0; k < s->nflight; k++)
		if (s->flight[k].seq == seq)
			return k;
	return -1;
}

static void
join_clear(struct join *j)
{
	unsigned i;

	if (j->text != NULL)
		for (i = 0; i < j->total; i++)
			free(j->text[i]);
	free(j->text);
	free(j->seqs);
	memset(j, 0, sizeof(*j));
}

/* Hands a (maybe partial) joined MO message up and forgets it. */
static void
join_deliver(struct smpp_session *s, struct join *j, int partial)
{
	struct smpp_inbound in;
	struct buf text;
	unsigned i;

	buf_init(&text, SMPP_TEXT_MAX * 4);
	for (i = 0; i < j->total; i++)
		if (j->text[i] != NULL)
			buf_puts(&text, j->text[i]);
	memset(&in, 0, sizeof(in));
	in.kind = SMPP_DELIVER_MO;
	in.from = j->from;
	in.from_ton = j->from_ton;
	in.to = j->to;
	in.text = buf_cstr(&text);
	in.partial = partial;
	in.seqs = j->seqs;
	in.nseqs = j->nseqs;
	if (partial)
		say(s, "message from a phone in %u parts handed on with %u",
		    j->total, j->have);
	s->cb.deliver(s->arg, &in);
	buf_free(&text);
	join_clear(j);
}

/* One part of an MO message in several. */
static void
join_part(struct smpp_session *s, const struct smpp_deliver *d, uint32_t seq,
    int64_t now)
{
	struct join *j = NULL, *oldest = NULL, *freej = NULL;
	size_t i;

	for (i = 0; i < SMPP_JOINS_MAX; i++) {
		struct join *c = &s->joins[i];

		if (!c->used) {
			if (freej == NULL)
				freej = c;
			continue;
		}
		if (c->ref == d->ref && c->total == d->total &&
		    strcmp(c->from, d->from) == 0 &&
		    strcmp(c->to, d->to) == 0) {
			j = c;
			break;
		}
		if (oldest == NULL || c->first < oldest->first)
			oldest = c;
	}
	if (j == NULL) {
		if (freej == NULL) {
			/* Full: the oldest goes as it is. */
			join_deliver(s, oldest, 1);
			freej = oldest;
		}
		j = freej;
		j->used = 1;
		snprintf(j->from, sizeof(j->from), "%s", d->from);
		j->from_ton = d->from_ton;
		snprintf(j->to, sizeof(j->to), "%s", d->to);
		j->ref = d->ref;
		j->total = d->total;
		j->first = now;
		j->text = calloc(d->total, sizeof(*j->text));
		j->seqs = NULL;
		if (j->text == NULL)
			abort();
	}
	j->seqs = realloc(j->seqs, (j->nseqs + 1) * sizeof(*j->seqs));
	if (j->seqs == NULL)
		abort();
	j->seqs[j->nseqs++] = seq;
	if (j->text[d->part - 1] == NULL)
		j->have++;
	else
		free(j->text[d->part - 1]); /* sent again: the last wins */
	j->text[d->part - 1] = strdup(d->text != NULL ? d->text : "");
	if (j->text[d->part - 1] == NULL)
		abort();
	if (j->have == j->total)
		join_deliver(s, j, 0);
}

static void
on_deliver(struct smpp_session *s, const struct smpp_pdu *p, int64_t now)
{
	const struct smpp_deliver *d = &p->deliver;
	struct smpp_inbound in;
	uint32_t seq = p->h.seq;

	if (d->kind == SMPP_DELIVER_MO && d->total > 1 && d->part >= 1 &&
	    d->part <= d->total) {
		join_part(s, d, seq, now);
		return;
	}
	memset(&in, 0, sizeof(in));
	in.kind = d->kind;
	in.from = d->from;
	in.from_ton = d->from_ton;
	in.to = d->to;
	in.text = d->text != NULL ? d->text : "";
	in.id = d->id;
	in.state = d->state;
	in.error = d->error;
	in.seqs = &seq;
	in.nseqs = 1;
	s->cb.deliver(s->arg, &in);
}

static void
on_bind_resp(struct smpp_session *s, const struct smpp_pdu *p, int64_t now)
{
	char name[16];

	if (s->state != S_BINDING) {
		say(s, "a bind answer while not binding: ignored");
		return;
	}
	if (p->h.status != SMPP_ESME_ROK) {
		char why[96];

		snprintf(why, sizeof(why), "bind refused: %s",
		    smpp_status_name(p->h.status, name));
		close_link(s, why);
		return;
	}
	s->state = S_BOUND;
	s->cb.bound(s->arg, p->system_id);
	pump(s, now);
}

/*
 * The message_id at the start of the body of a submit_sm_resp of len
 * bytes that did not decode: printable ASCII up to a NUL or the end, 1 to
 * SMPP_ID_MAX - 1 of them; else the empty string.
 */
static void
salvage_id(const uint8_t *b, size_t len, char id[SMPP_ID_MAX])
{
	size_t i, n = 0;

	id[0] = '\0';
	for (i = SMPP_HEADER_LEN; i < len && b[i] != '\0'; i++) {
		if (b[i] < 0x21 || b[i] > 0x7e || n == SMPP_ID_MAX - 1) {
			id[0] = '\0';
			return;
		}
		id[n++] = (char)b[i];
	}
	id[n] = '\0';
}

/* One whole PDU of len bytes. */
static void
on_pdu(struct smpp_session *s, const uint8_t *b, size_t len, int64_t now)
{
	struct smpp_pdu p;
	struct buf reason;
	int bad, k;

	buf_init(&reason, 200);
	memset(&p, 0, sizeof(p));
	bad = smpp_decode(b, len, &p, &reason);
	if (bad != 0) {
		say(s, "unreadable PDU 0x%08x: %s", (unsigned)p.h.id,
		    buf_cstr(&reason));
		if (p.h.id == SMPP_DELIVER_SM)
			send_simple(s, SMPP_DELIVER_SM_RESP,
			    SMPP_ESME_RINVMSGLEN, p.h.seq);
		else if (!(p.h.id & SMPP_GENERIC_NACK))
			send_simple(s, SMPP_GENERIC_NACK, SMPP_ESME_RINVCMDLEN,
			    p.h.seq);
		else if ((k = find_flight(s, p.h.seq)) >= 0 &&
			 p.h.id == SMPP_SUBMIT_SM_RESP) {
			/* An answer we cannot read: take its status, and the
			 * id its body starts with when it looks like one (no
			 * NUL at its end, bytes after it), so that its receipt
			 * can still find the message. */
			salvage_id(b, len, p.message_id);
			on_submit_resp(s, k, &p, now);
		}
		goto out;
	}
	switch (p.h.id) {
	case SMPP_BIND_TRANSCEIVER_RESP:
	case SMPP_BIND_TRANSMITTER_RESP:
	case SMPP_BIND_RECEIVER_RESP:
		on_bind_resp(s, &p, now);
		break;
	case SMPP_SUBMIT_SM_RESP:
		k = find_flight(s, p.h.seq);
		if (k < 0)
			say(s, "submit_sm_resp for no submit_sm (seq %u)",
			    (unsigned)p.h.seq);
		else
			on_submit_resp(s, k, &p, now);
		break;
	case SMPP_GENERIC_NACK:
		k = find_flight(s, p.h.seq);
		if (k >= 0) {
			on_submit_resp(s, k, &p, now);
		} else if (p.h.seq == s->enq_seq && s->enq_seq != 0) {
			s->enq_seq = 0; /* an answer all the same */
		} else if (s->state == S_BINDING) {
			char name[16], why[96];

			/* The bind was not understood: refused as well. */
			snprintf(why, sizeof(why),
			    "bind refused: generic_nack %s",
			    smpp_status_name(p.h.status, name));
			close_link(s, why);
		} else {
			char name[16];

			say(s, "generic_nack %s (seq %u)",
			    smpp_status_name(p.h.status, name),
			    (unsigned)p.h.seq);
		}
		break;
	case SMPP_DELIVER_SM:
		if (s->state != S_BOUND) {
			send_simple(s, SMPP_DELIVER_SM_RESP,
			    SMPP_ESME_RINVBNDSTS, p.h.seq);
			break;
		}
		on_deliver(s, &p, now);
		break;
	case SMPP_ENQUIRE_LINK:
		send_simple(s, SMPP_ENQUIRE_LINK_RESP, SMPP_ESME_ROK, p.h.seq);
		break;
	case SMPP_ENQUIRE_LINK_RESP:
		if (p.h.seq == s->enq_seq)
			s->enq_seq = 0;
		break;
	case SMPP_UNBIND:
		send_simple(s, SMPP_UNBIND_RESP, SMPP_ESME_ROK, p.h.seq);
		close_link(s, "the SMSC unbound");
		break;
	case SMPP_UNBIND_RESP:
		close_link(s, "unbound");
		break;
	default:
		if (!(p.h.id & SMPP_GENERIC_NACK))
			send_simple(
			    s, SMPP_GENERIC_NACK, SMPP_ESME_RINVCMDID, p.h.seq);
		else
			say(s, "an answer we did not ask for: 0x%08x",
			    (unsigned)p.h.id);
		break;
	}
out:
	smpp_pdu_free(&p);
	buf_free(&reason);
}

struct smpp_session *
smpp_session_new(const struct smpp_session_config *cfg,
    const struct smpp_session_cb *cb, void *arg, int64_t now)
{
	struct smpp_session *s = calloc(1, sizeof(*s));

	if (s == NULL)
		abort();
	s->cfg = *cfg;
	if (s->cfg.window < 1)
		s->cfg.window = 1;
	s->cb = *cb;
	s->arg = arg;
	s->seq = 1;
	s->last_read = now;
	s->ref = (unsigned)(now & 0xff);
	buf_init(&s->in, 2 * SMPP_PDU_MAX);
	buf_init(&s->out, (size_t)SMPP_PDU_MAX * SMPP_PARTS_MAX);
	TAILQ_INIT(&s->all);
	TAILQ_INIT(&s->sendq);
	s->flight = calloc((size_t)s->cfg.window, sizeof(*s->flight));
	if (s->flight == NULL)
		abort();
	s->state = S_BINDING;
	s->sent_at = now;
	if (smpp_encode_bind(&s->out, cfg->bind_cmd, next_seq(s), &cfg->bind) !=
	    0) {
		buf_reset(&s->out);
		close_link(s, "the bind cannot be encoded (system_id, "
			      "password or system_type too long)");
		return s;
	}
	flush(s);
	return s;
}

void
smpp_session_read(
    struct smpp_session *s, const void *data, size_t len, int64_t now)
{
	size_t used = 0;

	if (s->state == S_CLOSED)
		return;
	s->last_read = now;
	if (buf_append(&s->in, data, len) != 0) {
		close_link(s, "read buffer full");
		return;
	}
	while (s->state != S_CLOSED) {
		struct smpp_header h;
		struct buf reason;
		int n;

		buf_init(&reason, 200);
		n = smpp_frame((const uint8_t *)s->in.data + used,
		    s->in.len - used, &h, &reason);
		if (n < 0) {
			char why[256];

			snprintf(why, sizeof(why), "unreadable link: %s",
			    buf_cstr(&reason));
			buf_free(&reason);
			close_link(s, why);
			break;
		}
		buf_free(&reason);
		if (n == 0)
			break;
		on_pdu(s, (const uint8_t *)s->in.data + used, (size_t)n, now);
		used += (size_t)n;
	}
	if (s->state == S_CLOSED) {
		buf_reset(&s->in);
		return;
	}
	if (used > 0) {
		memmove(s->in.data, s->in.data + used, s->in.len - used);
		s->in.len -= used;
	}
	pump(s, now);
}

int64_t
smpp_session_tick(struct smpp_session *s, int64_t now)
{
	int64_t next = now + s->cfg.enquire_link_ms;
	size_t i;
	int k;

	if (s->state == S_CLOSED)
		return now + 60000;
	if ((s->state == S_BINDING || s->state == S_UNBINDING) &&
	    now - s->sent_at >= s->cfg.response_ms) {
		close_link(s, s->state == S_BINDING ? "no answer to the bind"
						    : "no answer to unbind");
		return now + 60000;
	}
	for (k = 0; k < s->nflight; k++)
		if (now - s->flight[k].sent >= s->cfg.response_ms) {
			close_link(s, "no answer to a submit_sm");
			return now + 60000;
		}
	if (s->enq_seq != 0 && now - s->enq_sent >= s->cfg.response_ms) {
		close_link(s, "no answer to enquire_link");
		return now + 60000;
	}
	if (s->state == S_BOUND && s->enq_seq == 0 &&
	    now - s->last_read >= s->cfg.enquire_link_ms) {
		s->enq_seq = next_seq(s);
		s->enq_sent = now;
		send_simple(s, SMPP_ENQUIRE_LINK, SMPP_ESME_ROK, s->enq_seq);
	}
	for (i = 0; i < SMPP_JOINS_MAX; i++)
		if (s->joins[i].used &&
		    now - s->joins[i].first >= s->cfg.join_ms)
			join_deliver(s, &s->joins[i], 1);
	pump(s, now);
	if (s->state == S_CLOSED)
		return now + 60000;

	/* The earliest of everything that waits. */
	if (s->state == S_BOUND && s->enq_seq == 0 &&
	    s->last_read + s->cfg.enquire_link_ms < next)
		next = s->last_read + s->cfg.enquire_link_ms;
	if (s->enq_seq != 0 && s->enq_sent + s->cfg.response_ms < next)
		next = s->enq_sent + s->cfg.response_ms;
	if (s->state != S_BOUND && s->sent_at + s->cfg.response_ms < next)
		next = s->sent_at + s->cfg.response_ms;
	for (k = 0; k < s->nflight; k++)
		if (s->flight[k].sent + s->cfg.response_ms < next)
			next = s->flight[k].sent + s->cfg.response_ms;
	if (!TAILQ_EMPTY(&s->sendq) && s->paused_until > now &&
	    s->paused_until < next)
		next = s->paused_until;
	for (i = 0; i < SMPP_JOINS_MAX; i++)
		if (s->joins[i].used &&
		    s->joins[i].first + s->cfg.join_ms < next)
			next = s->joins[i].first + s->cfg.join_ms;
	return next > now ? next : now + 1;
}

int
smpp_session_ready(const struct smpp_session *s)
{
	return bound_for_sending(s) && s->nmsgs < SMPP_QUEUE_MAX;
}

int
smpp_session_submit(struct smpp_session *s, void *ctx, const char *dest,
    const char *text, int64_t now, struct buf *reason)
{
	struct smpp_submit sub = s->cfg.submit;
	struct smsg *m;
	uint32_t seq = 1;
	size_t off, i;
	int n;

	if (!smpp_session_ready(s)) {
		buf_puts(
		    reason, s->state == S_BOUND && s->nmsgs >= SMPP_QUEUE_MAX
				? "the link's queue is full"
				: "the link is not bound");
		return -1;
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		abort();
	buf_init(&m->pdus, (size_t)SMPP_PDU_MAX * SMPP_PARTS_MAX);
	sub.dest_addr = dest;
	sub.ref = s->ref;
	/* Sequence numbers are set as each part goes (pump). */
	n = smpp_encode_submit(&m->pdus, &sub, text, &seq, reason);
	if (n <= 0) {
		smsg_free(m);
		return -1;
	}
	s->ref = (s->ref + 1) & 0xff;
	m->ctx = ctx;
	m->nparts = (size_t)n;
	m->off = calloc(m->nparts, sizeof(*m->off));
	m->state = calloc(m->nparts, 1);
	if (m->off == NULL || m->state == NULL)
		abort();
	for (i = 0, off = 0; i < m->nparts; i++) {
		const uint8_t *h = (const uint8_t *)m->pdus.data + off;

		m->off[i] = off;
		off += (size_t)h[0] << 24 | (size_t)h[1] << 16 |
		       (size_t)h[2] << 8 | h[3];
	}
	m->waiting = m->nparts;
	TAILQ_INSERT_TAIL(&s->all, m, all_entry);
	TAILQ_INSERT_TAIL(&s->sendq, m, send_entry);
	m->queued = 1;
	s->nmsgs++;
	pump(s, now);
	return 0;
}

void
smpp_session_ack(
    struct smpp_session *s, const uint32_t *seqs, size_t n, uint32_t status)
{
	size_t i;

	if (s->state == S_CLOSED)
		return;
	for (i = 0; i < n; i++)
		if (smpp_encode_simple(
			&s->out, SMPP_DELIVER_SM_RESP, status, seqs[i]) != 0)
			break;
	flush(s);
}

void
smpp_session_unbind(struct smpp_session *s, int64_t now)
{
	if (s->state == S_CLOSED || s->state == S_UNBINDING)
		return;
	if (s->state == S_BINDING) {
		close_link(s, "stopped while binding");
		return;
	}
	s->state = S_UNBINDING;
	s->sent_at = now;
	send_simple(s, SMPP_UNBIND, SMPP_ESME_ROK, next_seq(s));
}

int
smpp_session_closed(const struct smpp_session *s)
{
	return s->state == S_CLOSED;
}

size_t
smpp_session_pending(const struct smpp_session *s)
{
	return s->nmsgs;
}

void
smpp_session_free(struct smpp_session *s)
{
	struct smsg *m;
	size_t i;

	if (s == NULL)
		return;
	s->state = S_CLOSED;
	while ((m = TAILQ_FIRST(&s->all)) != NULL)
		smsg_end(s, m, SMPP_SUBMIT_LOST);
	for (i = 0; i < SMPP_JOINS_MAX; i++)
		if (s->joins[i].used)
			join_clear(&s->joins[i]);
	buf_free(&s->in);
	buf_free(&s->out);
	free(s->flight);
	free(s);
}
