/*
 * fuzz_smpp_session.c: the SMPP link's state machine fed random PDU
 * sequences. The input is a list of operations: bytes from the SMSC (any
 * bytes, cut anywhere), time passing, messages submitted, deliveries
 * acknowledged, an unbind. Checks: nothing crashes, every write is whole
 * PDUs, and every message accepted by smpp_session_submit comes back in
 * exactly one submitted callback by the time the session is freed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smpp/session.h"

struct state {
	size_t accepted;  /* submits accepted */
	size_t ended;     /* submitted callbacks */
	uint32_t seqs[8]; /* the last delivery's PDUs */
	size_t nseqs;
	int closed;
};

static void
on_write(void *arg, const void *data, size_t len)
{
	const uint8_t *p = data;
	struct smpp_header h;
	struct buf reason;
	int n;

	(void)arg;
	/* Whatever the session writes is one or more whole PDUs. */
	buf_init(&reason, 200);
	while (len > 0) {
		n = smpp_frame(p, len, &h, &reason);
		if (n <= 0)
			abort();
		p += n;
		len -= (size_t)n;
	}
	buf_free(&reason);
}

static void
on_bound(void *arg, const char *system_id)
{
	(void)arg;
	if (system_id == NULL)
		abort();
}

static void
on_close(void *arg, const char *reason)
{
	struct state *st = arg;

	if (reason == NULL || st->closed)
		abort();
	st->closed = 1;
}

static void
on_submitted(void *arg, void *ctx, enum smpp_submit_result r, uint32_t status,
    const char *id)
{
	struct state *st = arg;

	(void)status;
	if (ctx != (void *)st || (r == SMPP_SUBMIT_OK && id == NULL))
		abort();
	st->ended++;
}

static void
on_deliver(void *arg, const struct smpp_inbound *in)
{
	struct state *st = arg;
	size_t i;

	if (in->nseqs == 0 || in->from == NULL)
		abort();
	if (in->kind == SMPP_DELIVER_MO && in->text == NULL)
		abort();
	st->nseqs = in->nseqs < 8 ? in->nseqs : 8;
	for (i = 0; i < st->nseqs; i++)
		st->seqs[i] = in->seqs[i];
}

static const struct smpp_session_cb cbs = {
    .write = on_write,
    .bound = on_bound,
    .close = on_close,
    .submitted = on_submitted,
    .deliver = on_deliver,
    .log = NULL,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t bind_resp[] = {0, 0, 0, 21, 0x80, 0, 0, 9, 0, 0, 0,
	    0, 0, 0, 0, 1, 's', 'm', 's', 'c', 0};
	struct smpp_session_config c;
	struct smpp_session *s;
	struct state st;
	struct buf reason;
	int64_t now = 1000;
	size_t i = 0;

	memset(&st, 0, sizeof(st));
	memset(&c, 0, sizeof(c));
	c.bind_cmd = SMPP_BIND_TRANSCEIVER;
	c.bind.system_id = "council";
	c.bind.password = "pw";
	c.bind.system_type = "";
	c.submit.source_addr = "40404";
	c.submit.dest_ton = 1;
	c.submit.dest_npi = 1;
	c.submit.registered_delivery = 1;
	c.window = 3;
	c.enquire_link_ms = 30000;
	c.response_ms = 10000;
	c.join_ms = 60000;
	if (size > 0)
		c.submit.long_mode = data[0] % 3;
	s = smpp_session_new(&c, &cbs, &st, now);
	/* Most inputs start bound; a first byte with 0x10 set binds itself. */
	if (size > 0 && (data[0] & 0x10) == 0)
		smpp_session_read(s, bind_resp, sizeof(bind_resp), now);
	buf_init(&reason, 400);
	i = size > 0 ? 1 : 0;
	while (i < size) {
		uint8_t op = data[i++];
		size_t n;

		switch (op % 5) {
		case 0: /* bytes from the SMSC */
			n = i < size ? data[i++] : 0;
			n = n * 4 + (op >> 3);
			if (n > size - i)
				n = size - i;
			smpp_session_read(s, data + i, n, now);
			i += n;
			break;
		case 1: /* time passes */
			now += (int64_t)(op >> 3) * 1000 + 1;
			smpp_session_tick(s, now);
			break;
		case 2: { /* a message to send */
			char text[300];

			n = i < size ? data[i++] : 0;
			if (n > size - i)
				n = size - i;
			memcpy(text, data + i, n);
			text[n] = '\0';
			i += n;
			buf_reset(&reason);
			if (smpp_session_submit(s, &st,
				(op & 8) ? "254700000001" : "", text, now,
				&reason) == 0)
				st.accepted++;
			break;
		}
		case 3: /* the last delivery committed */
			smpp_session_ack(s, st.seqs, st.nseqs,
			    (op & 8) ? SMPP_ESME_RX_T_APPN : SMPP_ESME_ROK);
			break;
		case 4:
			smpp_session_unbind(s, now);
			break;
		}
	}
	smpp_session_free(s);
	if (st.ended != st.accepted)
		abort();
	buf_free(&reason);
	return 0;
}
