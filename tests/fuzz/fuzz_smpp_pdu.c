/*
 * fuzz_smpp_pdu.c: the SMPP codec on arbitrary bytes. The input is read as
 * a stream of PDUs (smpp_frame, smpp_decode on each, and once more on the
 * whole input as if it were one PDU) and, up to its first NUL, as a text
 * to submit in each long mode. Checks: nothing crashes, every refusal has
 * a reason, what is decoded keeps its bounds, a text is refused exactly
 * when it is not valid UTF-8 or needs more than 255 parts, and the
 * submit_sm PDUs, read back as deliver_sm (the same fields), give the same
 * text in the parts gsm_count counts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/channel.h"
#include "lib/gsm.h"
#include "smpp/pdu.h"

/* What any successful decode must hold to. */
static void
check_pdu(const struct smpp_pdu *p)
{
	const struct smpp_deliver *d = &p->deliver;

	if (memchr(p->system_id, '\0', sizeof(p->system_id)) == NULL ||
	    memchr(p->message_id, '\0', sizeof(p->message_id)) == NULL)
		abort();
	if (p->h.id != SMPP_DELIVER_SM)
		return;
	if (d->text == NULL || memchr(d->from, '\0', sizeof(d->from)) == NULL ||
	    memchr(d->to, '\0', sizeof(d->to)) == NULL ||
	    memchr(d->id, '\0', sizeof(d->id)) == NULL ||
	    memchr(d->error, '\0', sizeof(d->error)) == NULL)
		abort();
	if (d->total < 1 || d->total > 255 || d->part < 1 || d->part > d->total)
		abort();
	/* A receipt may come without an id: it matches no message, and the
	 * ingress answers it OK after a log line (not redelivered forever). */
}

static void
decode_one(const uint8_t *b, size_t n)
{
	struct smpp_pdu p;
	struct buf reason;

	buf_init(&reason, 512);
	if (smpp_decode(b, n, &p, &reason) == 0)
		check_pdu(&p);
	else if (reason.len == 0)
		abort();
	smpp_pdu_free(&p);
	buf_free(&reason);
}

/* Submits text in mode and reads every PDU back. */
static void
round_trip(const char *text, int mode, uint32_t seq0, unsigned ref)
{
	struct smpp_submit s;
	struct gsm_info gi;
	struct buf out, reason, joined;
	uint32_t seq = seq0;
	size_t off = 0, want;
	int n, i;

	memset(&s, 0, sizeof(s));
	s.source_addr = "40404";
	s.source_ton = 5;
	s.dest_addr = "255700000001";
	s.dest_ton = 1;
	s.dest_npi = 1;
	s.long_mode = mode;
	s.ref = ref;
	s.registered_delivery = 1;
	buf_init(&out, (size_t)SMPP_PDU_MAX * SMPP_PARTS_MAX);
	buf_init(&reason, 512);
	buf_init(&joined, 4 * SMPP_TEXT_MAX);
	n = smpp_encode_submit(&out, &s, text, &seq, &reason);
	gsm_count(text, &gi);
	if (gi.invalid || gi.segments > SMPP_PARTS_MAX ||
	    strlen(text) > SMPP_TEXT_MAX) {
		if (n != -1 || reason.len == 0)
			abort();
		goto out;
	}
	want = mode == SMPP_LONG_PAYLOAD ? 1 : gi.segments;
	if (n != (int)want)
		abort();
	for (i = 0; i < n; i++) {
		struct smpp_header h;
		struct smpp_pdu p;
		uint8_t *b = (uint8_t *)out.data + off;
		int len = smpp_frame(b, out.len - off, &h, &reason);

		if (len <= 0 || h.id != SMPP_SUBMIT_SM || h.seq == 0 ||
		    h.seq > SMPP_SEQ_MAX)
			abort();
		/* submit_sm and deliver_sm have the same fields. */
		b[4] = 0x00;
		b[7] = 0x05;
		if (smpp_decode(b, (size_t)len, &p, &reason) != 0)
			abort();
		if (p.deliver.kind != SMPP_DELIVER_MO ||
		    p.deliver.total != (mode == SMPP_LONG_PAYLOAD ? 1 : want) ||
		    p.deliver.part != (unsigned)i + 1)
			abort();
		buf_puts(&joined, p.deliver.text);
		smpp_pdu_free(&p);
		off += (size_t)len;
	}
	if (off != out.len || strcmp(buf_cstr(&joined), text) != 0)
		abort();
out:
	buf_free(&out);
	buf_free(&reason);
	buf_free(&joined);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smpp_header h;
	struct buf reason;
	size_t off = 0;
	char *text;
	int n;

	buf_init(&reason, 512);
	while (off < size) {
		n = smpp_frame(data + off, size - off, &h, &reason);
		if (n == -1 && reason.len == 0)
			abort();
		if (n <= 0)
			break;
		if (h.len != (uint32_t)n || (size_t)n > size - off)
			abort();
		decode_one(data + off, (size_t)n);
		off += (size_t)n;
	}
	buf_free(&reason);
	decode_one(data, size);

	text = malloc(size + 1);
	if (text == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	round_trip(text, SMPP_LONG_UDH, size > 0 ? (uint32_t)data[0] << 24 : 1,
	    size > 1 ? data[1] : 0);
	round_trip(text, SMPP_LONG_SAR, SMPP_SEQ_MAX, size > 2 ? data[2] : 0);
	round_trip(text, SMPP_LONG_PAYLOAD, 1, 0);
	free(text);
	return 0;
}
