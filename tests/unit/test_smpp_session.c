/*
 * test_smpp_session.c: the SMPP link's state machine (smpp/session.c) on
 * a clock of the test's own, with the SMSC's PDUs written by hand here (so
 * that the codec does not check itself) and what the session writes read
 * back header by header.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/util.h"
#include "smpp/session.h"

#define MAX_EVENTS 64

/* What the callbacks saw. */
struct seen {
	struct buf out; /* bytes written */
	int bound;
	int closed;
	char close_reason[128];
	int nsub;
	struct {
		intptr_t ctx;
		enum smpp_submit_result r;
		uint32_t status;
		char id[SMPP_ID_MAX];
	} sub[MAX_EVENTS];
	int ndel;
	struct {
		enum smpp_deliver_kind kind;
		char from[SMPP_ADDR_MAX];
		int from_ton;
		char text[512];
		int partial;
		char id[SMPP_ID_MAX];
		enum smpp_receipt_state state;
		uint32_t seqs[8];
		size_t nseqs;
	} del[MAX_EVENTS];
};

static void
cb_write(void *arg, const void *data, size_t len)
{
	struct seen *w = arg;

	assert_int_equal(buf_append(&w->out, data, len), 0);
}

static void
cb_bound(void *arg, const char *system_id)
{
	struct seen *w = arg;

	assert_string_equal(system_id, "smsc");
	w->bound++;
}

static void
cb_close(void *arg, const char *reason)
{
	struct seen *w = arg;

	w->closed++;
	snprintf(w->close_reason, sizeof(w->close_reason), "%s", reason);
}

static void
cb_submitted(void *arg, void *ctx, enum smpp_submit_result r, uint32_t status,
    const char *id)
{
	struct seen *w = arg;

	assert_true(w->nsub < MAX_EVENTS);
	w->sub[w->nsub].ctx = (intptr_t)ctx;
	w->sub[w->nsub].r = r;
	w->sub[w->nsub].status = status;
	snprintf(w->sub[w->nsub].id, SMPP_ID_MAX, "%s", id ? id : "");
	w->nsub++;
}

static void
cb_deliver(void *arg, const struct smpp_inbound *in)
{
	struct seen *w = arg;
	size_t i;

	assert_true(w->ndel < MAX_EVENTS);
	w->del[w->ndel].kind = in->kind;
	snprintf(w->del[w->ndel].from, SMPP_ADDR_MAX, "%s", in->from);
	w->del[w->ndel].from_ton = in->from_ton;
	snprintf(w->del[w->ndel].text, 512, "%s", in->text ? in->text : "");
	w->del[w->ndel].partial = in->partial;
	snprintf(w->del[w->ndel].id, SMPP_ID_MAX, "%s", in->id ? in->id : "");
	w->del[w->ndel].state = in->state;
	assert_true(in->nseqs <= 8);
	for (i = 0; i < in->nseqs; i++)
		w->del[w->ndel].seqs[i] = in->seqs[i];
	w->del[w->ndel].nseqs = in->nseqs;
	w->ndel++;
}

static const struct smpp_session_cb cbs = {
    .write = cb_write,
    .bound = cb_bound,
    .close = cb_close,
    .submitted = cb_submitted,
    .deliver = cb_deliver,
    .log = NULL,
};

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void
put32(struct buf *b, uint32_t v)
{
	uint8_t p[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16),
	    (uint8_t)(v >> 8), (uint8_t)v};

	assert_int_equal(buf_append(b, p, 4), 0);
}

/* Takes the next PDU the session wrote: its command, and its seq. */
static uint32_t
take(struct seen *w, uint32_t *seq, uint32_t *status)
{
	uint32_t len, id;

	assert_true(w->out.len >= 16);
	len = get32((uint8_t *)w->out.data);
	assert_true(len >= 16 && len <= w->out.len);
	id = get32((uint8_t *)w->out.data + 4);
	if (status != NULL)
		*status = get32((uint8_t *)w->out.data + 8);
	if (seq != NULL)
		*seq = get32((uint8_t *)w->out.data + 12);
	memmove(w->out.data, w->out.data + len, w->out.len - len);
	w->out.len -= len;
	return id;
}

/* Feeds the session a PDU with the given body. */
static void
feed(struct smpp_session *s, uint32_t id, uint32_t status, uint32_t seq,
    const void *body, size_t n, int64_t now)
{
	struct buf b;

	buf_init(&b, 70000);
	put32(&b, (uint32_t)(16 + n));
	put32(&b, id);
	put32(&b, status);
	put32(&b, seq);
	if (n > 0)
		assert_int_equal(buf_append(&b, body, n), 0);
	smpp_session_read(s, b.data, b.len, now);
	buf_free(&b);
}

/* A deliver_sm body: from (ton 1), to, esm_class, data_coding, text. */
static size_t
deliver_body(uint8_t *p, const char *from, int esm, int dc, const void *sm,
    size_t smlen, const void *tlvs, size_t tlvlen)
{
	size_t n = 0;

	p[n++] = 0;                  /* service_type "" */
	p[n++] = 1;                  /* source ton */
	p[n++] = 1;                  /* source npi */
	strcpy((char *)p + n, from); /* source_addr */
	n += strlen(from) + 1;
	p[n++] = 0;                     /* dest ton */
	p[n++] = 0;                     /* dest npi */
	strcpy((char *)p + n, "40404"); /* destination_addr */
	n += 6;
	p[n++] = (uint8_t)esm;   /* esm_class */
	p[n++] = 0;              /* protocol_id */
	p[n++] = 0;              /* priority_flag */
	p[n++] = 0;              /* schedule_delivery_time */
	p[n++] = 0;              /* validity_period */
	p[n++] = 0;              /* registered_delivery */
	p[n++] = 0;              /* replace_if_present_flag */
	p[n++] = (uint8_t)dc;    /* data_coding */
	p[n++] = 0;              /* sm_default_msg_id */
	p[n++] = (uint8_t)smlen; /* sm_length */
	memcpy(p + n, sm, smlen);
	n += smlen;
	if (tlvlen > 0)
		memcpy(p + n, tlvs, tlvlen);
	return n + tlvlen;
}

static struct smpp_session *
start(struct seen *w, int window, int64_t now)
{
	struct smpp_session_config c;
	struct smpp_session *s;
	uint32_t seq;

	memset(w, 0, sizeof(*w));
	buf_init(&w->out, 1 << 24);
	memset(&c, 0, sizeof(c));
	c.bind_cmd = SMPP_BIND_TRANSCEIVER;
	c.bind.system_id = "council";
	c.bind.password = "pw";
	c.bind.system_type = "";
	c.submit.source_addr = "40404";
	c.submit.dest_ton = 1;
	c.submit.dest_npi = 1;
	c.submit.registered_delivery = 1;
	c.window = window;
	c.enquire_link_ms = 30000;
	c.response_ms = 10000;
	c.join_ms = 60000;
	s = smpp_session_new(&c, &cbs, w, now);
	assert_int_equal(take(w, &seq, NULL), SMPP_BIND_TRANSCEIVER);
	assert_int_equal(w->out.len, 0);
	assert_int_equal(smpp_session_ready(s), 0);
	feed(s, SMPP_BIND_TRANSCEIVER_RESP, 0, seq, "smsc", 5, now);
	assert_int_equal(w->bound, 1);
	assert_int_equal(smpp_session_ready(s), 1);
	return s;
}

static void
finish(struct smpp_session *s, struct seen *w)
{
	smpp_session_free(s);
	buf_free(&w->out);
}

/* A refused bind closes the link with the status named. */
static void
test_bind_refused(void **state)
{
	struct smpp_session_config c;
	struct smpp_session *s;
	struct seen w;
	uint32_t seq;

	(void)state;
	memset(&w, 0, sizeof(w));
	buf_init(&w.out, 1 << 20);
	memset(&c, 0, sizeof(c));
	c.bind_cmd = SMPP_BIND_TRANSMITTER;
	c.bind.system_id = "council";
	c.bind.password = "bad";
	c.bind.system_type = "";
	c.window = 1;
	c.enquire_link_ms = 30000;
	c.response_ms = 10000;
	c.join_ms = 60000;
	s = smpp_session_new(&c, &cbs, &w, 0);
	assert_int_equal(take(&w, &seq, NULL), SMPP_BIND_TRANSMITTER);
	feed(s, SMPP_BIND_TRANSMITTER_RESP, 0x0E, seq, NULL, 0, 5);
	assert_int_equal(w.closed, 1);
	assert_non_null(strstr(w.close_reason, "bind refused"));
	assert_int_equal(w.bound, 0);
	finish(s, &w);

	/* A bind the SMSC did not understand (generic_nack): refused too. */
	memset(&w, 0, sizeof(w));
	buf_init(&w.out, 1 << 20);
	s = smpp_session_new(&c, &cbs, &w, 0);
	assert_int_equal(take(&w, &seq, NULL), SMPP_BIND_TRANSMITTER);
	feed(s, SMPP_GENERIC_NACK, SMPP_ESME_RINVCMDID, seq, NULL, 0, 5);
	assert_int_equal(w.closed, 1);
	assert_non_null(strstr(w.close_reason, "bind refused: generic_nack"));
	assert_int_equal(w.bound, 0);
	finish(s, &w);

	/* No answer to the bind at all: closed after response_ms. */
	memset(&w, 0, sizeof(w));
	buf_init(&w.out, 1 << 20);
	s = smpp_session_new(&c, &cbs, &w, 0);
	smpp_session_tick(s, 9999);
	assert_int_equal(w.closed, 0);
	smpp_session_tick(s, 10000);
	assert_int_equal(w.closed, 1);
	assert_non_null(strstr(w.close_reason, "bind"));
	finish(s, &w);
}

/* The window: no more than window submit_sm await an answer at once. */
static void
test_window(void **state)
{
	struct smpp_session *s;
	struct seen w;
	struct buf reason;
	uint32_t seqs[5], st;
	intptr_t i;

	(void)state;
	buf_init(&reason, 200);
	s = start(&w, 2, 0);
	for (i = 0; i < 5; i++)
		assert_int_equal(smpp_session_submit(s, (void *)(i + 1),
				     "254700000001", "hello", 1, &reason),
		    0);
	assert_int_equal(take(&w, &seqs[0], NULL), SMPP_SUBMIT_SM);
	assert_int_equal(take(&w, &seqs[1], NULL), SMPP_SUBMIT_SM);
	assert_int_equal(w.out.len, 0); /* the window is full */
	assert_int_equal(smpp_session_pending(s), 5);

	/* Answers in any order; each frees a place. */
	feed(s, SMPP_SUBMIT_SM_RESP, 0, seqs[1], "id-b", 5, 2);
	assert_int_equal(w.nsub, 1);
	assert_true(w.sub[0].ctx == 2 && w.sub[0].r == SMPP_SUBMIT_OK);
	assert_string_equal(w.sub[0].id, "id-b");
	assert_int_equal(take(&w, &seqs[2], NULL), SMPP_SUBMIT_SM);
	assert_int_equal(w.out.len, 0);
	feed(s, SMPP_SUBMIT_SM_RESP, 0, seqs[0], "id-a", 5, 3);
	/* A refusal (not throttling) fails that message only. */
	feed(s, SMPP_SUBMIT_SM_RESP, 0x0B, seqs[2], NULL, 0, 3);
	assert_int_equal(w.nsub, 3);
	assert_true(w.sub[2].ctx == 3 && w.sub[2].r == SMPP_SUBMIT_FAILED);
	assert_int_equal(w.sub[2].status, 0x0B);
	assert_int_equal(take(&w, &seqs[3], &st), SMPP_SUBMIT_SM);
	assert_int_equal(take(&w, &seqs[4], &st), SMPP_SUBMIT_SM);
	assert_true(seqs[3] != seqs[4]);

	/* An answer for nothing we sent changes nothing. */
	feed(s, SMPP_SUBMIT_SM_RESP, 0, 999999, "x", 2, 4);
	assert_int_equal(w.nsub, 3);

	/* The link goes: what is left comes back as lost. */
	finish(s, &w);
	assert_int_equal(w.nsub, 5);
	assert_true(w.sub[3].r == SMPP_SUBMIT_LOST);
	assert_true(w.sub[4].r == SMPP_SUBMIT_LOST);
	buf_free(&reason);
}

/* A throttled part goes again after the backoff, which doubles. */
static void
test_throttle(void **state)
{
	struct smpp_session *s;
	struct seen w;
	struct buf reason;
	uint32_t seq, seq2;

	(void)state;
	buf_init(&reason, 200);
	s = start(&w, 10, 0);
	assert_int_equal(smpp_session_submit(s, (void *)7, "254700000001",
			     "hello", 100, &reason),
	    0);
	assert_int_equal(take(&w, &seq, NULL), SMPP_SUBMIT_SM);
	feed(s, SMPP_SUBMIT_SM_RESP, SMPP_ESME_RTHROTTLED, seq, NULL, 0, 100);
	assert_int_equal(w.nsub, 0);
	assert_int_equal(w.out.len, 0);
	/* Paused: neither a tick nor a new submit sends before 1 s. */
	assert_int_equal(smpp_session_submit(s, (void *)8, "254700000002",
			     "again", 500, &reason),
	    0);
	smpp_session_tick(s, 1099);
	assert_int_equal(w.out.len, 0);
	smpp_session_tick(s, 1100);
	assert_int_equal(take(&w, &seq2, NULL), SMPP_SUBMIT_SM);
	assert_true(seq2 != seq); /* a new sequence number */
	assert_int_equal(take(&w, NULL, NULL), SMPP_SUBMIT_SM);
	/* Throttled again: 2 s this time. */
	feed(s, SMPP_SUBMIT_SM_RESP, SMPP_ESME_RMSGQFUL, seq2, NULL, 0, 1200);
	smpp_session_tick(s, 3199);
	assert_int_equal(w.out.len, 0);
	smpp_session_tick(s, 3200);
	assert_int_equal(take(&w, &seq, NULL), SMPP_SUBMIT_SM);
	feed(s, SMPP_SUBMIT_SM_RESP, 0, seq, "m7", 3, 3300);
	assert_int_equal(w.nsub, 1);
	assert_true(w.sub[0].ctx == 7 && w.sub[0].r == SMPP_SUBMIT_OK);
	finish(s, &w);
	buf_free(&reason);
}

/* Submits three one-part messages (contexts 1 to 3) at 100 and takes
   their submit_sm, whose sequence numbers go to seq. */
static void
submit_three(
    struct smpp_session *s, struct seen *w, struct buf *reason, uint32_t *seq)
{
	int i;

	for (i = 0; i < 3; i++)
		assert_int_equal(
		    smpp_session_submit(s, (void *)(intptr_t)(i + 1),
			"254700000001", "hello", 100, reason),
		    0);
	for (i = 0; i < 3; i++)
		assert_int_equal(take(w, &seq[i], NULL), SMPP_SUBMIT_SM);
}

/*
 * A window throttled at once is one pause: the parts sent before it began
 * do not double it each (three answers were a pause of 1 + 2 + 4 s).
 */
static void
test_throttle_window(void **state)
{
	struct smpp_session *s;
	struct seen w;
	struct buf reason;
	uint32_t seq[3];
	int i;

	(void)state;
	buf_init(&reason, 200);
	s = start(&w, 10, 0);
	submit_three(s, &w, &reason, seq);
	for (i = 0; i < 3; i++)
		feed(s, SMPP_SUBMIT_SM_RESP, SMPP_ESME_RTHROTTLED, seq[i], NULL,
		    0, 200);
	smpp_session_tick(s, 1199);
	assert_int_equal(w.out.len, 0);
	smpp_session_tick(s, 1200); /* one pause of 1 s: all three again */
	for (i = 0; i < 3; i++)
		assert_int_equal(take(&w, &seq[i], NULL), SMPP_SUBMIT_SM);
	/* Throttled again after the pause: that one doubles. */
	feed(s, SMPP_SUBMIT_SM_RESP, SMPP_ESME_RTHROTTLED, seq[0], NULL, 0,
	    1300);
	feed(s, SMPP_SUBMIT_SM_RESP, 0, seq[1], "m1", 3, 1300);
	feed(s, SMPP_SUBMIT_SM_RESP, 0, seq[2], "m2", 3, 1300);
	smpp_session_tick(s, 3299);
	assert_int_equal(w.out.len, 0);
	smpp_session_tick(s, 3300);
	assert_int_equal(take(&w, &seq[0], NULL), SMPP_SUBMIT_SM);
	feed(s, SMPP_SUBMIT_SM_RESP, 0, seq[0], "m3", 3, 3400);
	assert_int_equal(w.nsub, 3);
	finish(s, &w);
	buf_free(&reason);
}

/*
 * A submit_sm_resp that does not decode (its message_id without the NUL,
 * stray bytes after it): its status counts, and its id when it looks like
 * one, so that its receipt still finds the message.
 */
static void
test_resp_unreadable(void **state)
{
	struct smpp_session *s;
	struct seen w;
	struct buf reason;
	uint32_t seq[3];
	int i;

	(void)state;
	buf_init(&reason, 200);
	s = start(&w, 10, 0);
	submit_three(s, &w, &reason, seq);
	feed(s, SMPP_SUBMIT_SM_RESP, 0, seq[0], "A1B2", 4, 200);
	feed(s, SMPP_SUBMIT_SM_RESP, 0, seq[1], "C3\0xy", 5, 200);
	feed(s, SMPP_SUBMIT_SM_RESP, 0, seq[2], "\x01\x02", 2, 200);
	assert_int_equal(w.nsub, 3);
	for (i = 0; i < 3; i++)
		assert_true(w.sub[i].r == SMPP_SUBMIT_OK);
	assert_string_equal(w.sub[0].id, "A1B2");
	assert_string_equal(w.sub[1].id, "C3");
	assert_string_equal(w.sub[2].id, ""); /* nothing like an id */
	finish(s, &w);
	buf_free(&reason);
}

/* Keep-alive and the PDUs the SMSC may send at any time. */
static void
test_link_upkeep(void **state)
{
	struct smpp_session *s;
	struct seen w;
	uint32_t seq, st;

	(void)state;
	s = start(&w, 1, 0);
	/* Idle for enquire_link_ms: an enquire_link. */
	smpp_session_tick(s, 29999);
	assert_int_equal(w.out.len, 0);
	smpp_session_tick(s, 30000);
	assert_int_equal(take(&w, &seq, NULL), SMPP_ENQUIRE_LINK);
	feed(s, SMPP_ENQUIRE_LINK_RESP, 0, seq, NULL, 0, 30010);
	assert_int_equal(w.closed, 0);
	/* The SMSC asks too. */
	feed(s, SMPP_ENQUIRE_LINK, 0, 77, NULL, 0, 30020);
	assert_int_equal(take(&w, &seq, &st), SMPP_ENQUIRE_LINK_RESP);
	assert_int_equal(seq, 77);
	/* A command we do not know: generic_nack ESME_RINVCMDID. */
	feed(s, 0x00000103, 0, 78, NULL, 0, 30030); /* data_sm */
	assert_int_equal(take(&w, &seq, &st), SMPP_GENERIC_NACK);
	assert_int_equal(seq, 78);
	assert_int_equal(st, SMPP_ESME_RINVCMDID);
	/* An enquire_link unanswered closes the link. */
	smpp_session_tick(s, 60030);
	assert_int_equal(take(&w, &seq, NULL), SMPP_ENQUIRE_LINK);
	smpp_session_tick(s, 70029);
	assert_int_equal(w.closed, 0);
	smpp_session_tick(s, 70030);
	assert_int_equal(w.closed, 1);
	assert_non_null(strstr(w.close_reason, "enquire_link"));
	finish(s, &w);

	/* The SMSC unbinds: unbind_resp, then closed. */
	s = start(&w, 1, 0);
	feed(s, SMPP_UNBIND, 0, 5, NULL, 0, 10);
	assert_int_equal(take(&w, &seq, NULL), SMPP_UNBIND_RESP);
	assert_int_equal(seq, 5);
	assert_int_equal(w.closed, 1);
	finish(s, &w);

	/* We unbind: the answer closes. */
	s = start(&w, 1, 0);
	smpp_session_unbind(s, 10);
	assert_int_equal(take(&w, &seq, NULL), SMPP_UNBIND);
	assert_int_equal(smpp_session_ready(s), 0);
	feed(s, SMPP_UNBIND_RESP, 0, seq, NULL, 0, 20);
	assert_int_equal(w.closed, 1);
	finish(s, &w);

	/* A length out of bounds ends the link. */
	s = start(&w, 1, 0);
	{
		uint8_t bad[16] = {0, 0, 0, 8}; /* command_length 8 */

		smpp_session_read(s, bad, sizeof(bad), 5);
	}
	assert_int_equal(w.closed, 1);
	finish(s, &w);
}

/* A submit_sm without an answer in response_ms ends the link. */
static void
test_submit_timeout(void **state)
{
	struct smpp_session *s;
	struct seen w;
	struct buf reason;

	(void)state;
	buf_init(&reason, 200);
	s = start(&w, 4, 0);
	assert_int_equal(smpp_session_submit(
			     s, (void *)1, "254700000001", "x", 100, &reason),
	    0);
	assert_int_equal(take(&w, NULL, NULL), SMPP_SUBMIT_SM);
	smpp_session_tick(s, 10099);
	assert_int_equal(w.closed, 0);
	smpp_session_tick(s, 10100);
	assert_int_equal(w.closed, 1);
	assert_int_equal(w.nsub, 0); /* ended when the owner frees it */
	finish(s, &w);
	assert_int_equal(w.nsub, 1);
	assert_true(w.sub[0].r == SMPP_SUBMIT_LOST);
	buf_free(&reason);
}

/* MO messages: one at a time, parts joined, answered only on ack. */
static void
test_deliver(void **state)
{
	struct smpp_session *s;
	struct seen w;
	uint8_t body[400];
	uint8_t sm[160];
	size_t n;
	uint32_t seq, st;

	(void)state;
	s = start(&w, 1, 0);
	n = deliver_body(
	    body, "254700000009", 0, 0, "BAL 1234567", 11, NULL, 0);
	feed(s, SMPP_DELIVER_SM, 0, 41, body, n, 10);
	assert_int_equal(w.ndel, 1);
	assert_int_equal(w.del[0].kind, SMPP_DELIVER_MO);
	assert_string_equal(w.del[0].from, "254700000009");
	assert_int_equal(w.del[0].from_ton, 1);
	assert_string_equal(w.del[0].text, "BAL 1234567");
	assert_int_equal(w.del[0].nseqs, 1);
	assert_int_equal(w.del[0].seqs[0], 41);
	/* Not answered until the owner says so. */
	assert_int_equal(w.out.len, 0);
	smpp_session_ack(s, w.del[0].seqs, 1, SMPP_ESME_ROK);
	assert_int_equal(take(&w, &seq, &st), SMPP_DELIVER_SM_RESP);
	assert_int_equal(seq, 41);
	assert_int_equal(st, 0);

	/* Three parts by UDH, the second twice, in any order. */
	{
		static const char *texts[] = {"one ", "two ", "three"};
		static const int order[] = {2, 1, 1, 3};
		size_t i;

		for (i = 0; i < 4; i++) {
			int p = order[i];
			size_t l = strlen(texts[p - 1]);

			sm[0] = 5;
			sm[1] = 0;
			sm[2] = 3;
			sm[3] = 0x42;
			sm[4] = 3;
			sm[5] = (uint8_t)p;
			memcpy(sm + 6, texts[p - 1], l);
			n = deliver_body(
			    body, "254700000009", 0x40, 0, sm, 6 + l, NULL, 0);
			feed(s, SMPP_DELIVER_SM, 0, (uint32_t)(50 + i), body, n,
			    20);
			assert_int_equal(w.ndel, i < 3 ? 1 : 2);
		}
	}
	assert_string_equal(w.del[1].text, "one two three");
	assert_int_equal(w.del[1].partial, 0);
	assert_int_equal(w.del[1].nseqs, 4);
	assert_int_equal(w.out.len, 0);
	smpp_session_ack(s, w.del[1].seqs, w.del[1].nseqs, SMPP_ESME_ROK);
	for (n = 0; n < 4; n++)
		assert_int_equal(take(&w, NULL, NULL), SMPP_DELIVER_SM_RESP);

	/* A part whose others never come: handed on after join_ms. */
	sm[0] = 5;
	sm[1] = 0;
	sm[2] = 3;
	sm[3] = 0x43;
	sm[4] = 2;
	sm[5] = 1;
	memcpy(sm + 6, "half", 4);
	n = deliver_body(body, "254700000008", 0x40, 0, sm, 10, NULL, 0);
	feed(s, SMPP_DELIVER_SM, 0, 60, body, n, 100);
	smpp_session_tick(s, 60099);
	assert_int_equal(w.ndel, 2);
	smpp_session_tick(s, 60100);
	assert_int_equal(w.ndel, 3);
	assert_string_equal(w.del[2].text, "half");
	assert_int_equal(w.del[2].partial, 1);

	/* A receipt. */
	{
		const char *r =
		    "id:m77 sub:001 dlvrd:001 submit date:2612041200 "
		    "done date:2612041201 stat:DELIVRD err:000 text:x";

		n = deliver_body(
		    body, "254700000009", 0x04, 0, r, strlen(r), NULL, 0);
		feed(s, SMPP_DELIVER_SM, 0, 70, body, n, 60200);
	}
	assert_int_equal(w.ndel, 4);
	assert_int_equal(w.del[3].kind, SMPP_DELIVER_RECEIPT);
	assert_string_equal(w.del[3].id, "m77");
	assert_int_equal(w.del[3].state, SMPP_RECEIPT_DELIVERED);

	/* After the close, acks write nothing. */
	feed(s, SMPP_UNBIND, 0, 80, NULL, 0, 60300);
	buf_reset(&w.out);
	smpp_session_ack(s, w.del[3].seqs, 1, SMPP_ESME_ROK);
	assert_int_equal(w.out.len, 0);
	finish(s, &w);
}

/* A long message: every part answered before it is OK; the last id. */
static void
test_long_submit(void **state)
{
	struct smpp_session *s;
	struct seen w;
	struct buf reason;
	char text[400];
	uint32_t seqs[3];

	(void)state;
	buf_init(&reason, 200);
	memset(text, 'a', 300);
	text[300] = '\0'; /* two parts of 153 septets */
	s = start(&w, 10, 0);
	assert_int_equal(
	    smpp_session_submit(s, (void *)9, "254700000001", text, 1, &reason),
	    0);
	assert_int_equal(take(&w, &seqs[0], NULL), SMPP_SUBMIT_SM);
	assert_int_equal(take(&w, &seqs[1], NULL), SMPP_SUBMIT_SM);
	assert_int_equal(w.out.len, 0);
	feed(s, SMPP_SUBMIT_SM_RESP, 0, seqs[1], "p2", 3, 2);
	assert_int_equal(w.nsub, 0);
	feed(s, SMPP_SUBMIT_SM_RESP, 0, seqs[0], "p1", 3, 3);
	assert_int_equal(w.nsub, 1);
	assert_true(w.sub[0].r == SMPP_SUBMIT_OK);
	/* The id kept is the last part's, whatever the answers' order. */
	assert_string_equal(w.sub[0].id, "p2");
	/* Not UTF-8: refused at once, nothing written or called back. */
	assert_int_equal(smpp_session_submit(
			     s, (void *)10, "254700000001", "\xff", 4, &reason),
	    -1);
	assert_int_equal(w.out.len, 0);
	assert_int_equal(w.nsub, 1);
	finish(s, &w);
	assert_int_equal(w.nsub, 1);
	buf_free(&reason);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bind_refused),
	    cmocka_unit_test(test_window),
	    cmocka_unit_test(test_throttle),
	    cmocka_unit_test(test_throttle_window),
	    cmocka_unit_test(test_resp_unreadable),
	    cmocka_unit_test(test_link_upkeep),
	    cmocka_unit_test(test_submit_timeout),
	    cmocka_unit_test(test_deliver),
	    cmocka_unit_test(test_long_submit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
