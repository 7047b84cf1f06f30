/*
 * test_smpp_pdu.c: SMPP framing, the PDUs the ESME writes (checked against
 * hand-written bytes and read back with libsmpp34) and those it reads,
 * including broken ones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <smpp34.h>
/* smpp34_params.h needs the types of smpp34_structs.h. */
#include <smpp34_structs.h>
#include <smpp34_params.h>

#include "lib/channel.h"
#include "lib/util.h"
#include "smpp/pdu.h"

/* A PDU being built by hand. */
struct pb {
	uint8_t b[SMPP_PDU_MAX + 64];
	size_t n;
	uint32_t id, status, seq;
};

static struct pb pdu; /* too large for the stack of every test */

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void
pb_start(struct pb *p, uint32_t id, uint32_t status, uint32_t seq)
{
	p->n = SMPP_HEADER_LEN;
	p->id = id;
	p->status = status;
	p->seq = seq;
}

static void
pb_bytes(struct pb *p, const void *d, size_t n)
{
	assert_true(p->n + n <= sizeof(p->b));
	memcpy(p->b + p->n, d, n);
	p->n += n;
}

static void
pb_u8(struct pb *p, unsigned v)
{
	uint8_t c = (uint8_t)v;

	pb_bytes(p, &c, 1);
}

static void
pb_str(struct pb *p, const char *s)
{
	pb_bytes(p, s, strlen(s) + 1);
}

static void
pb_tlv(struct pb *p, unsigned tag, const void *v, size_t len)
{
	pb_u8(p, tag >> 8);
	pb_u8(p, tag & 0xFF);
	pb_u8(p, (unsigned)(len >> 8));
	pb_u8(p, len & 0xFF);
	pb_bytes(p, v, len);
}

/* Writes the header (command_length the bytes there are); returns n. */
static size_t
pb_end(struct pb *p)
{
	put32(p->b, (uint32_t)p->n);
	put32(p->b + 4, p->id);
	put32(p->b + 8, p->status);
	put32(p->b + 12, p->seq);
	return p->n;
}

/* The mandatory fields of a deliver_sm up to short_message. */
static void
pb_deliver(
    struct pb *p, unsigned esm, unsigned dcs, const void *sm, size_t smlen)
{
	pb_start(p, SMPP_DELIVER_SM, 0, 7);
	pb_str(p, "");
	pb_u8(p, 1);
	pb_u8(p, 1);
	pb_str(p, "255700000001");
	pb_u8(p, 0);
	pb_u8(p, 1);
	pb_str(p, "40404");
	pb_u8(p, esm);
	pb_u8(p, 0);
	pb_u8(p, 0);
	pb_str(p, "");
	pb_str(p, "");
	pb_u8(p, 0);
	pb_u8(p, 0);
	pb_u8(p, dcs);
	pb_u8(p, 0);
	pb_u8(p, (unsigned)smlen);
	pb_bytes(p, sm, smlen);
}

/* Decodes the PDU built, expecting success. */
static void
decode_ok(struct smpp_pdu *out)
{
	struct buf reason;
	size_t n = pb_end(&pdu);

	buf_init(&reason, 256);
	if (smpp_decode(pdu.b, n, out, &reason) != 0)
		fail_msg("refused: %s", buf_cstr(&reason));
	buf_free(&reason);
}

/* Decodes the PDU built, expecting a refusal with a reason. */
static void
decode_bad(const char *why)
{
	struct smpp_pdu out;
	struct buf reason;
	size_t n = pb_end(&pdu);

	buf_init(&reason, 256);
	assert_int_equal(smpp_decode(pdu.b, n, &out, &reason), -1);
	assert_int_equal(out.h.id, pdu.id);
	assert_int_equal(out.h.seq, pdu.seq);
	if (strstr(buf_cstr(&reason), why) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", buf_cstr(&reason), why);
	smpp_pdu_free(&out);
	buf_free(&reason);
}

/* The i-th PDU in b (0-based): its offset and length. */
static const uint8_t *
nth(const struct buf *b, size_t i, size_t *len)
{
	size_t off = 0;

	for (;;) {
		assert_true(off + SMPP_HEADER_LEN <= b->len);
		*len = get32((const uint8_t *)b->data + off);
		assert_true(off + *len <= b->len);
		if (i-- == 0)
			return (const uint8_t *)b->data + off;
		off += *len;
	}
}

/* Reads a submit_sm back with libsmpp34. */
static void
unpack_submit(const uint8_t *p, size_t len, submit_sm_t *sm)
{
	memset(sm, 0, sizeof(*sm));
	if (smpp34_unpack(SUBMIT_SM, sm, p, (int)len) != 0)
		fail_msg("libsmpp34: %s", smpp34_strerror);
}

static tlv_t *
find_tlv(tlv_t *l, unsigned tag)
{
	for (; l != NULL; l = l->next) {
		if (l->tag == tag)
			return l;
	}
	return NULL;
}

static char *
repeat(const char *unit, size_t n)
{
	size_t len = strlen(unit), i;
	char *s = malloc(len * n + 1);

	assert_non_null(s);
	for (i = 0; i < n; i++)
		memcpy(s + i * len, unit, len);
	s[len * n] = '\0';
	return s;
}

static struct smpp_submit
submit_cfg(int long_mode)
{
	struct smpp_submit s;

	memset(&s, 0, sizeof(s));
	s.source_addr = "40404";
	s.source_ton = 5;
	s.source_npi = 0;
	s.dest_addr = "255700000001";
	s.dest_ton = 1;
	s.dest_npi = 1;
	s.long_mode = long_mode;
	s.ref = 0x2A;
	s.registered_delivery = 1;
	return s;
}

static void
test_frame(void **state)
{
	struct smpp_header h;
	struct buf reason;
	uint8_t b[32];

	(void)state;
	buf_init(&reason, 256);
	memset(b, 0, sizeof(b));
	put32(b, 20);
	put32(b + 4, SMPP_ENQUIRE_LINK);
	put32(b + 12, 9);
	assert_int_equal(smpp_frame(b, 0, &h, &reason), 0);
	assert_int_equal(smpp_frame(b, 15, &h, &reason), 0);
	assert_int_equal(smpp_frame(b, 19, &h, &reason), 0);
	assert_int_equal(smpp_frame(b, 20, &h, &reason), 20);
	assert_int_equal(h.len, 20);
	assert_int_equal(h.id, SMPP_ENQUIRE_LINK);
	assert_int_equal(h.seq, 9);
	assert_int_equal(smpp_frame(b, 32, &h, &reason), 20);
	assert_string_equal(buf_cstr(&reason), "");

	put32(b, 15); /* below the header */
	assert_int_equal(smpp_frame(b, 32, &h, &reason), -1);
	assert_non_null(strstr(buf_cstr(&reason), "command_length 15"));
	buf_reset(&reason);
	put32(b, SMPP_PDU_MAX + 1);
	assert_int_equal(smpp_frame(b, 16, &h, &reason), -1);
	assert_true(reason.len > 0);
	put32(b, SMPP_PDU_MAX);
	assert_int_equal(smpp_frame(b, 16, &h, &reason), 0);
	buf_free(&reason);
}

static void
test_bind_encode(void **state)
{
	static const uint8_t want[] = {
	    0x00, 0x00, 0x00, 0x23, 0x00, 0x00, 0x00, 0x09, /* len, id */
	    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, /* status, seq */
	    'b', 'a', 'r', 'a', 'z', 'a', 0x00,             /* system_id */
	    's', 'e', 'c', 'r', 'e', 't', 0x00,             /* password */
	    0x00,                                           /* system_type */
	    0x34, 0x00, 0x00,                               /* ver, ton, npi */
	    0x00,                                           /* address_range */
	};
	struct smpp_bind bind = {"baraza", "secret", ""};
	struct buf out;

	(void)state;
	buf_init(&out, SMPP_PDU_MAX);
	assert_int_equal(
	    smpp_encode_bind(&out, SMPP_BIND_TRANSCEIVER, 1, &bind), 0);
	assert_int_equal(out.len, sizeof(want));
	assert_memory_equal(out.data, want, sizeof(want));

	/* The transmitter's differs only in its command_id. */
	buf_reset(&out);
	bind.system_type = "VMA";
	assert_int_equal(
	    smpp_encode_bind(&out, SMPP_BIND_TRANSMITTER, 2, &bind), 0);
	assert_int_equal(get32((uint8_t *)out.data), sizeof(want) + 3);
	assert_int_equal(get32((uint8_t *)out.data + 4), SMPP_BIND_TRANSMITTER);
	assert_memory_equal(out.data + 30, "VMA", 4);
	buf_reset(&out);
	assert_int_equal(
	    smpp_encode_bind(&out, SMPP_BIND_RECEIVER, 3, &bind), 0);

	/* Too long: 16 characters of system_id, 9 of password. */
	buf_reset(&out);
	bind.system_id = "0123456789abcdef";
	assert_int_equal(
	    smpp_encode_bind(&out, SMPP_BIND_TRANSCEIVER, 1, &bind), -1);
	bind.system_id = "0123456789abcde";
	bind.password = "123456789";
	assert_int_equal(
	    smpp_encode_bind(&out, SMPP_BIND_TRANSCEIVER, 1, &bind), -1);
	bind.password = "12345678";
	assert_int_equal(
	    smpp_encode_bind(&out, SMPP_BIND_TRANSCEIVER, 1, &bind), 0);
	assert_int_equal(smpp_encode_bind(&out, SMPP_SUBMIT_SM, 1, &bind), -1);
	buf_free(&out);

	/* A full buf. */
	buf_init(&out, 20);
	assert_int_equal(
	    smpp_encode_bind(&out, SMPP_BIND_TRANSCEIVER, 1, &bind), -1);
	buf_free(&out);
}

static void
test_simple_encode(void **state)
{
	static const uint8_t resp[] = {0x00, 0x00, 0x00, 0x11, 0x80, 0x00, 0x00,
	    0x05, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x00, 0x2A, 0x00};
	struct buf out;

	(void)state;
	buf_init(&out, 64);
	assert_int_equal(smpp_encode_simple(&out, SMPP_DELIVER_SM_RESP,
			     SMPP_ESME_RX_T_APPN, 42),
	    0);
	assert_int_equal(out.len, sizeof(resp));
	assert_memory_equal(out.data, resp, sizeof(resp));
	buf_reset(&out);
	/* Sequence number 0 and a vendor status, as a nack may need. */
	assert_int_equal(
	    smpp_encode_simple(&out, SMPP_GENERIC_NACK, 0x400, 0), 0);
	assert_int_equal(out.len, 16);
	assert_int_equal(get32((uint8_t *)out.data + 8), 0x400);
	assert_int_equal(get32((uint8_t *)out.data + 12), 0);
	buf_reset(&out);
	assert_int_equal(smpp_encode_simple(&out, SMPP_ENQUIRE_LINK, 0, 5), 0);
	assert_int_equal(smpp_encode_simple(&out, SMPP_UNBIND, 0, 6), 0);
	assert_int_equal(smpp_encode_simple(&out, SMPP_UNBIND_RESP, 0, 7), 0);
	assert_int_equal(
	    smpp_encode_simple(&out, SMPP_ENQUIRE_LINK_RESP, 0, 8), 0);
	assert_int_equal(out.len, 64);
	assert_int_equal(smpp_encode_simple(&out, SMPP_ENQUIRE_LINK, 0, 9), -1);
	buf_reset(&out);
	assert_int_equal(smpp_encode_simple(&out, SMPP_SUBMIT_SM, 0, 1), -1);
	buf_free(&out);
}

static void
test_submit_gsm7_single(void **state)
{
	static const uint8_t want[] = {
	    'H', 'i', ' ', 0x00, ' ', 0x1B, 0x65, '5', ' ', 0x10, 0x5F};
	struct smpp_submit s = submit_cfg(SMPP_LONG_UDH);
	struct buf out, reason;
	submit_sm_t sm;
	uint32_t seq = 77;
	size_t len;
	const uint8_t *p;

	(void)state;
	buf_init(&out, SMPP_PDU_MAX);
	buf_init(&reason, 256);
	/* "@" is septet 0, the euro an escape, Delta 0x10, section 0x5F. */
	assert_int_equal(smpp_encode_submit(&out, &s,
			     "Hi @ \xE2\x82\xAC"
			     "5 \xCE\x94\xC2\xA7",
			     &seq, &reason),
	    1);
	assert_int_equal(seq, 78);
	p = nth(&out, 0, &len);
	assert_int_equal(len, out.len);
	unpack_submit(p, len, &sm);
	assert_int_equal(sm.sequence_number, 77);
	assert_int_equal(sm.command_status, 0);
	assert_string_equal((char *)sm.source_addr, "40404");
	assert_int_equal(sm.source_addr_ton, 5);
	assert_int_equal(sm.source_addr_npi, 0);
	assert_string_equal((char *)sm.destination_addr, "255700000001");
	assert_int_equal(sm.dest_addr_ton, 1);
	assert_int_equal(sm.dest_addr_npi, 1);
	assert_int_equal(sm.esm_class, 0);
	assert_int_equal(sm.registered_delivery, 1);
	assert_int_equal(sm.data_coding, 0);
	assert_int_equal(sm.sm_length, sizeof(want));
	assert_memory_equal(sm.short_message, want, sizeof(want));
	assert_null(sm.tlv);

	/* 160 septets still fit one; the empty text is one empty PDU. */
	{
		char *t = repeat("a", 160);

		buf_reset(&out);
		assert_int_equal(
		    smpp_encode_submit(&out, &s, t, &seq, &reason), 1);
		free(t);
		buf_reset(&out);
		assert_int_equal(
		    smpp_encode_submit(&out, &s, "", &seq, &reason), 1);
		unpack_submit((uint8_t *)out.data, out.len, &sm);
		assert_int_equal(sm.sm_length, 0);
	}
	buf_free(&out);
	buf_free(&reason);
}

static void
test_submit_gsm7_escape_boundary(void **state)
{
	struct smpp_submit s = submit_cfg(SMPP_LONG_UDH);
	struct buf out, reason;
	submit_sm_t sm;
	uint32_t seq = 1;
	char *a = repeat("a", 152), *b = repeat("b", 10), text[400];
	const uint8_t *p;
	size_t len;

	(void)state;
	/* 152 + 2 (the euro) + 10 = 164 septets: two parts, the euro may
	 * not start at septet 153 of the first. */
	snprintf(text, sizeof(text), "%s\xE2\x82\xAC%s", a, b);
	buf_init(&out, SMPP_PDU_MAX);
	buf_init(&reason, 256);
	assert_int_equal(smpp_encode_submit(&out, &s, text, &seq, &reason), 2);
	p = nth(&out, 0, &len);
	unpack_submit(p, len, &sm);
	assert_int_equal(sm.esm_class, 0x40);
	assert_int_equal(sm.sm_length, 6 + 152);
	assert_memory_equal(sm.short_message, "\x05\x00\x03\x2A\x02\x01", 6);
	assert_int_equal(sm.short_message[6 + 151], 'a');
	p = nth(&out, 1, &len);
	unpack_submit(p, len, &sm);
	assert_int_equal(sm.sequence_number, 2);
	assert_int_equal(sm.sm_length, 6 + 2 + 10);
	assert_memory_equal(
	    sm.short_message, "\x05\x00\x03\x2A\x02\x02\x1B\x65", 8);
	free(a);
	free(b);
	buf_free(&out);
	buf_free(&reason);
}

static void
test_submit_ucs2_emoji_boundary(void **state)
{
	struct smpp_submit s = submit_cfg(SMPP_LONG_UDH);
	struct buf out, reason;
	submit_sm_t sm;
	uint32_t seq = 1;
	char *a = repeat("\xD0\xB6", 66), *b = repeat("\xD0\xB6", 10);
	char text[600];
	const uint8_t *p;
	size_t len;

	(void)state;
	/* 66 + 2 (a surrogate pair) + 10 = 78 code units: two parts of at
	 * most 67, the pair whole in the second. */
	snprintf(text, sizeof(text), "%s\xF0\x9F\x98\x80%s", a, b);
	buf_init(&out, SMPP_PDU_MAX);
	buf_init(&reason, 256);
	assert_int_equal(smpp_encode_submit(&out, &s, text, &seq, &reason), 2);
	p = nth(&out, 0, &len);
	unpack_submit(p, len, &sm);
	assert_int_equal(sm.data_coding, 8);
	assert_int_equal(sm.sm_length, 6 + 132);
	assert_memory_equal(sm.short_message + 6, "\x04\x36", 2);
	assert_memory_equal(sm.short_message + 6 + 130, "\x04\x36", 2);
	p = nth(&out, 1, &len);
	unpack_submit(p, len, &sm);
	assert_int_equal(sm.sm_length, 6 + 4 + 20);
	assert_memory_equal(sm.short_message + 6, "\xD8\x3D\xDE\x00", 4);

	/* Up to 70 code units fit one: 68 and an emoji. */
	free(a);
	a = repeat("\xD0\xB6", 68);
	snprintf(text, sizeof(text), "%s\xF0\x9F\x98\x80", a);
	buf_reset(&out);
	assert_int_equal(smpp_encode_submit(&out, &s, text, &seq, &reason), 1);
	unpack_submit((uint8_t *)out.data, out.len, &sm);
	assert_int_equal(sm.esm_class, 0);
	assert_int_equal(sm.sm_length, 140);
	free(a);
	free(b);
	buf_free(&out);
	buf_free(&reason);
}

/* A 3-part GSM-7 text: 400 septets, 153 + 153 + 94. */
static char *
three_parts(void)
{
	char *t = malloc(401);
	size_t i;

	assert_non_null(t);
	for (i = 0; i < 400; i++)
		t[i] = (char)('a' + i % 26);
	t[400] = '\0';
	return t;
}

static void
test_submit_udh_sar_payload(void **state)
{
	static const size_t sizes[] = {153, 153, 94};
	struct smpp_submit s;
	struct buf out, reason;
	submit_sm_t sm;
	uint32_t seq = 10;
	char *text = three_parts();
	const uint8_t *p;
	size_t len, i, off;
	tlv_t *t;

	(void)state;
	buf_init(&out, 4 * SMPP_PDU_MAX);
	buf_init(&reason, 256);

	s = submit_cfg(SMPP_LONG_UDH);
	assert_int_equal(smpp_encode_submit(&out, &s, text, &seq, &reason), 3);
	assert_int_equal(seq, 13);
	for (i = off = 0; i < 3; i++) {
		uint8_t udh[6] = {5, 0, 3, 0x2A, 3, (uint8_t)(i + 1)};

		p = nth(&out, i, &len);
		unpack_submit(p, len, &sm);
		assert_int_equal(sm.sequence_number, 10 + i);
		assert_int_equal(sm.esm_class, 0x40);
		assert_int_equal(sm.sm_length, 6 + sizes[i]);
		assert_memory_equal(sm.short_message, udh, 6);
		assert_memory_equal(sm.short_message + 6, text + off, sizes[i]);
		assert_null(sm.tlv);
		off += sizes[i];
	}

	buf_reset(&out);
	s = submit_cfg(SMPP_LONG_SAR);
	s.ref = 200;
	assert_int_equal(smpp_encode_submit(&out, &s, text, &seq, &reason), 3);
	for (i = off = 0; i < 3; i++) {
		p = nth(&out, i, &len);
		unpack_submit(p, len, &sm);
		assert_int_equal(sm.sequence_number, 13 + i);
		assert_int_equal(sm.esm_class, 0);
		assert_int_equal(sm.sm_length, sizes[i]);
		assert_memory_equal(sm.short_message, text + off, sizes[i]);
		assert_non_null(t = find_tlv(sm.tlv, TLVID_sar_msg_ref_num));
		assert_int_equal(t->length, 2);
		assert_int_equal(t->value.val16, 200);
		assert_non_null(t = find_tlv(sm.tlv, TLVID_sar_total_segments));
		assert_int_equal(t->value.val08, 3);
		assert_non_null(t = find_tlv(sm.tlv, TLVID_sar_segment_seqnum));
		assert_int_equal(t->value.val08, i + 1);
		/* In the order SMPP lists them: ref, total, seqnum. */
		assert_memory_equal(p + len - 16,
		    "\x02\x0C\x00\x02\x00\xC8\x02\x0E\x00\x01\x03\x02\x0F\x00"
		    "\x01",
		    15);
		assert_int_equal(p[len - 1], i + 1);
		destroy_tlv(sm.tlv);
		off += sizes[i];
	}

	buf_reset(&out);
	s = submit_cfg(SMPP_LONG_PAYLOAD);
	assert_int_equal(smpp_encode_submit(&out, &s, text, &seq, &reason), 1);
	assert_int_equal(seq, 17);
	unpack_submit((uint8_t *)out.data, out.len, &sm);
	assert_int_equal(sm.sequence_number, 16);
	assert_int_equal(sm.esm_class, 0);
	assert_int_equal(sm.sm_length, 0);
	assert_non_null(t = find_tlv(sm.tlv, TLVID_message_payload));
	assert_int_equal(t->length, 400);
	assert_memory_equal(t->value.octet, text, 400);
	destroy_tlv(sm.tlv);

	/* Beyond libsmpp34's 1024 octets: 255 parts' worth in one PDU. */
	free(text);
	text = repeat("z", 255 * 153);
	buf_reset(&out);
	assert_int_equal(smpp_encode_submit(&out, &s, text, &seq, &reason), 1);
	assert_int_equal(get32((uint8_t *)out.data), out.len);
	assert_memory_equal(
	    out.data + out.len - 255 * 153 - 4, "\x04\x24\x98\x67", 4);
	free(text);
	buf_free(&out);
	buf_free(&reason);
}

/* A long_mode nobody knows splits as UDH does. */
static void
test_submit_unknown_mode(void **state)
{
	struct smpp_submit s = submit_cfg(77);
	struct buf out, reason;
	submit_sm_t sm;
	uint32_t seq = 1;
	char *text = three_parts();
	const uint8_t *p;
	size_t len;

	(void)state;
	buf_init(&out, 4 * SMPP_PDU_MAX);
	buf_init(&reason, 256);
	assert_int_equal(smpp_encode_submit(&out, &s, text, &seq, &reason), 3);
	p = nth(&out, 2, &len);
	unpack_submit(p, len, &sm);
	assert_int_equal(sm.esm_class, 0x40);
	assert_memory_equal(sm.short_message, "\x05\x00\x03\x2A\x03\x03", 6);
	free(text);
	buf_free(&out);
	buf_free(&reason);
}

static void
test_submit_seq_wrap(void **state)
{
	struct smpp_submit s = submit_cfg(SMPP_LONG_UDH);
	struct buf out, reason;
	uint32_t seq = SMPP_SEQ_MAX;
	char *text = three_parts();
	size_t len;

	(void)state;
	buf_init(&out, 4 * SMPP_PDU_MAX);
	buf_init(&reason, 256);
	assert_int_equal(smpp_encode_submit(&out, &s, text, &seq, &reason), 3);
	assert_int_equal(get32(nth(&out, 0, &len) + 12), SMPP_SEQ_MAX);
	assert_int_equal(get32(nth(&out, 1, &len) + 12), 1);
	assert_int_equal(get32(nth(&out, 2, &len) + 12), 2);
	assert_int_equal(seq, 3);
	free(text);
	buf_free(&out);
	buf_free(&reason);
}

static void
test_submit_refused(void **state)
{
	struct smpp_submit s = submit_cfg(SMPP_LONG_UDH);
	struct buf out, reason;
	uint32_t seq = 1;
	char *text;

	(void)state;
	buf_init(&out, (size_t)SMPP_PDU_MAX * SMPP_PARTS_MAX);
	buf_init(&reason, 256);
	text = repeat("a", 255 * 153);
	assert_int_equal(
	    smpp_encode_submit(&out, &s, text, &seq, &reason), 255);
	assert_int_equal(seq, 256);
	free(text);

	buf_reset(&out);
	text = repeat("a", 255 * 153 + 1);
	assert_int_equal(smpp_encode_submit(&out, &s, text, &seq, &reason), -1);
	assert_non_null(strstr(buf_cstr(&reason), "255 parts"));
	assert_int_equal(seq, 256);
	free(text);
	/* The payload mode keeps the same limit. */
	s.long_mode = SMPP_LONG_PAYLOAD;
	text = repeat("\xD0\xB6", 255 * 67 + 1);
	buf_reset(&reason);
	assert_int_equal(smpp_encode_submit(&out, &s, text, &seq, &reason), -1);
	assert_true(reason.len > 0);
	free(text);

	buf_reset(&reason);
	assert_int_equal(
	    smpp_encode_submit(&out, &s, "bad \xC3(", &seq, &reason), -1);
	assert_non_null(strstr(buf_cstr(&reason), "UTF-8"));
	buf_reset(&reason);
	s.dest_addr = "123456789012345678901";
	assert_int_equal(smpp_encode_submit(&out, &s, "hi", &seq, &reason), -1);
	assert_true(reason.len > 0);

	/* A full buf. */
	buf_free(&out);
	buf_init(&out, 40);
	s.dest_addr = "255700000001";
	assert_int_equal(smpp_encode_submit(&out, &s, "hi", &seq, &reason), -1);
	buf_free(&out);
	buf_free(&reason);
}

static void
test_deliver_mo_gsm7(void **state)
{
	static const uint8_t sm[] = {
	    'H', 'i', ' ', 0x00, 0x1B, 0x65, 0x10, 0x1B, 0x28, 0x0A};
	struct smpp_pdu out;

	(void)state;
	pb_deliver(&pdu, 0, 0, sm, sizeof(sm));
	decode_ok(&out);
	assert_int_equal(out.h.id, SMPP_DELIVER_SM);
	assert_int_equal(out.h.seq, 7);
	assert_int_equal(out.deliver.kind, SMPP_DELIVER_MO);
	assert_string_equal(out.deliver.from, "255700000001");
	assert_int_equal(out.deliver.from_ton, 1);
	assert_string_equal(out.deliver.to, "40404");
	assert_string_equal(out.deliver.text, "Hi @\xE2\x82\xAC\xCE\x94{\n");
	assert_int_equal(out.deliver.total, 1);
	assert_int_equal(out.deliver.part, 1);
	assert_int_equal(out.deliver.ref, 0);
	smpp_pdu_free(&out);
	assert_null(out.deliver.text);

	/* Septets over 0x7F and a last lone escape become U+FFFD. */
	pb_deliver(&pdu, 0, 0, "a\x80\x1B", 3);
	decode_ok(&out);
	assert_string_equal(out.deliver.text, "a\xEF\xBF\xBD\xEF\xBF\xBD");
	smpp_pdu_free(&out);

	/* IA5, Latin-1 and 8-bit binary. */
	pb_deliver(&pdu, 0, 1, "A\xE9", 2);
	decode_ok(&out);
	assert_string_equal(out.deliver.text, "A\xEF\xBF\xBD");
	smpp_pdu_free(&out);
	pb_deliver(&pdu, 0, 3, "A\xE9", 2);
	decode_ok(&out);
	assert_string_equal(out.deliver.text, "A\xC3\xA9");
	smpp_pdu_free(&out);
	pb_deliver(&pdu, 0, 4, "A\x00\x01\n", 4);
	decode_ok(&out);
	assert_string_equal(out.deliver.text, "A\xEF\xBF\xBD\xEF\xBF\xBD\n");
	smpp_pdu_free(&out);
	/* An empty message. */
	pb_deliver(&pdu, 0, 0, "", 0);
	decode_ok(&out);
	assert_string_equal(out.deliver.text, "");
	smpp_pdu_free(&out);
}

static void
test_deliver_mo_ucs2(void **state)
{
	static const uint8_t sm[] = {
	    0x00, 0x48, 0xD8, 0x3D, 0xDE, 0x00, 0x04, 0x36};
	static const uint8_t bad[] = {
	    0xD8, 0x3D, 0x00, 0x41, 0xDE, 0x00, 0x00, 0x00, 0x41};
	struct smpp_pdu out;

	(void)state;
	pb_deliver(&pdu, 0, 8, sm, sizeof(sm));
	decode_ok(&out);
	assert_string_equal(out.deliver.text, "H\xF0\x9F\x98\x80\xD0\xB6");
	smpp_pdu_free(&out);
	/* A high surrogate alone, a low one alone, NUL, an odd byte. */
	pb_deliver(&pdu, 0, 8, bad, sizeof(bad));
	decode_ok(&out);
	assert_string_equal(out.deliver.text,
	    "\xEF\xBF\xBD"
	    "A\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
	smpp_pdu_free(&out);
}

static void
test_deliver_udh(void **state)
{
	static const uint8_t sm8[] = {
	    0x05, 0x00, 0x03, 0x2A, 0x02, 0x01, 'a', 'b', 'c'};
	/* A port element first (skipped), then a 16-bit concatenation. */
	static const uint8_t sm16[] = {0x0C, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0,
	    0x08, 0x04, 0x12, 0x34, 0x03, 0x02, 'x', 'y'};
	static const uint8_t ucs[] = {
	    0x05, 0x00, 0x03, 0x01, 0x02, 0x02, 0xD8, 0x3D, 0xDE, 0x00};
	struct smpp_pdu out;

	(void)state;
	pb_deliver(&pdu, 0x40, 0, sm8, sizeof(sm8));
	decode_ok(&out);
	assert_string_equal(out.deliver.text, "abc");
	assert_int_equal(out.deliver.ref, 0x2A);
	assert_int_equal(out.deliver.total, 2);
	assert_int_equal(out.deliver.part, 1);
	smpp_pdu_free(&out);

	pb_deliver(&pdu, 0x40, 0, sm16, sizeof(sm16));
	decode_ok(&out);
	assert_string_equal(out.deliver.text, "xy");
	assert_int_equal(out.deliver.ref, 0x1234);
	assert_int_equal(out.deliver.total, 3);
	assert_int_equal(out.deliver.part, 2);
	smpp_pdu_free(&out);

	pb_deliver(&pdu, 0x40, 8, ucs, sizeof(ucs));
	decode_ok(&out);
	assert_string_equal(out.deliver.text, "\xF0\x9F\x98\x80");
	assert_int_equal(out.deliver.part, 2);
	smpp_pdu_free(&out);

	/* Part 3 of 2 is no concatenation at all. */
	pb_deliver(&pdu, 0x40, 0, "\x05\x00\x03\x01\x02\x03z", 7);
	decode_ok(&out);
	assert_int_equal(out.deliver.total, 1);
	assert_int_equal(out.deliver.part, 1);
	assert_string_equal(out.deliver.text, "z");
	smpp_pdu_free(&out);
}

static void
test_deliver_sar_and_payload(void **state)
{
	struct smpp_pdu out;
	static uint8_t big[3000];

	(void)state;
	pb_deliver(&pdu, 0, 0, "part", 4);
	pb_tlv(&pdu, 0x020C, "\x01\x02", 2);
	pb_tlv(&pdu, 0x020E, "\x03", 1);
	pb_tlv(&pdu, 0x020F, "\x03", 1);
	pb_tlv(&pdu, 0x1500, "vendor", 6); /* skipped */
	decode_ok(&out);
	assert_string_equal(out.deliver.text, "part");
	assert_int_equal(out.deliver.ref, 0x0102);
	assert_int_equal(out.deliver.total, 3);
	assert_int_equal(out.deliver.part, 3);
	smpp_pdu_free(&out);

	/* message_payload wins over short_message, and may pass 1024. */
	memset(big, 'q', sizeof(big));
	pb_deliver(&pdu, 0, 0, "ignored", 7);
	pb_tlv(&pdu, 0x0424, big, sizeof(big));
	decode_ok(&out);
	assert_int_equal(strlen(out.deliver.text), sizeof(big));
	assert_int_equal(out.deliver.text[0], 'q');
	smpp_pdu_free(&out);
}

static void
test_receipt_tlvs(void **state)
{
	static const char text[] = "id:999 sub:001 dlvrd:000 submit "
				   "date:2401011200 done date:2401011201 "
				   "stat:UNDELIV err:001 text:hello";
	struct smpp_pdu out;

	(void)state;
	pb_deliver(&pdu, 0x04, 0, text, strlen(text));
	pb_tlv(&pdu, 0x001E, "abc123", 7);
	pb_tlv(&pdu, 0x0427, "\x05", 1);
	decode_ok(&out);
	assert_int_equal(out.deliver.kind, SMPP_DELIVER_RECEIPT);
	assert_string_equal(out.deliver.id, "abc123");
	assert_int_equal(out.deliver.state, SMPP_RECEIPT_FAILED);
	assert_string_equal(out.deliver.error, "UNDELIV err:001");
	smpp_pdu_free(&out);

	pb_deliver(&pdu, 0x04, 0, "", 0);
	pb_tlv(&pdu, 0x001E, "77", 3);
	pb_tlv(&pdu, 0x0427, "\x02", 1);
	decode_ok(&out);
	assert_string_equal(out.deliver.id, "77");
	assert_int_equal(out.deliver.state, SMPP_RECEIPT_DELIVERED);
	assert_string_equal(out.deliver.error, "");
	smpp_pdu_free(&out);

	/* Not final: enroute, accepted, unknown. */
	pb_deliver(&pdu, 0x04, 0, "", 0);
	pb_tlv(&pdu, 0x001E, "77", 3);
	pb_tlv(&pdu, 0x0427, "\x06", 1);
	decode_ok(&out);
	assert_int_equal(out.deliver.state, SMPP_RECEIPT_SENT);
	smpp_pdu_free(&out);

	/* Expired, without err: in any text. */
	pb_deliver(&pdu, 0x04, 0, "", 0);
	pb_tlv(&pdu, 0x0427, "\x03", 1);
	pb_tlv(&pdu, 0x001E, "x1", 2); /* no NUL: taken as it is */
	decode_ok(&out);
	assert_string_equal(out.deliver.id, "x1");
	assert_int_equal(out.deliver.state, SMPP_RECEIPT_FAILED);
	assert_string_equal(out.deliver.error, "EXPIRED");
	smpp_pdu_free(&out);
}

static void
test_receipt_text(void **state)
{
	static const char ok[] =
	    "id:0A1B2C sub:001 dlvrd:001 submit "
	    "date:2401011200 done date:2401011201 "
	    "stat:DELIVRD err:000 text:id:zzz stat:UNDELIV";
	static const char upper[] = "STAT:EXPIRED Err:005 ID:12345 text:";
	struct smpp_pdu out;

	(void)state;
	pb_deliver(&pdu, 0x04, 0, ok, strlen(ok));
	decode_ok(&out);
	assert_int_equal(out.deliver.kind, SMPP_DELIVER_RECEIPT);
	assert_string_equal(out.deliver.id, "0A1B2C");
	assert_int_equal(out.deliver.state, SMPP_RECEIPT_DELIVERED);
	assert_string_equal(out.deliver.error, "");
	smpp_pdu_free(&out);

	pb_deliver(&pdu, 0x04, 0, upper, strlen(upper));
	decode_ok(&out);
	assert_string_equal(out.deliver.id, "12345");
	assert_int_equal(out.deliver.state, SMPP_RECEIPT_FAILED);
	assert_string_equal(out.deliver.error, "EXPIRED err:005");
	smpp_pdu_free(&out);

	pb_deliver(&pdu, 0x04, 0, "id:5 stat:ENROUTE", 17);
	decode_ok(&out);
	assert_int_equal(out.deliver.state, SMPP_RECEIPT_SENT);
	smpp_pdu_free(&out);

	/* Read as ASCII, not GSM-7: '_' stays '_'. */
	pb_deliver(&pdu, 0x04, 0, "id:a_b@c stat:DELIVRD", 21);
	decode_ok(&out);
	assert_string_equal(out.deliver.id, "a_b@c");
	smpp_pdu_free(&out);

	pb_deliver(&pdu, 0x04, 0, "id:6 stat:REJECTD err:0x0b", 26);
	decode_ok(&out);
	assert_int_equal(out.deliver.state, SMPP_RECEIPT_FAILED);
	assert_string_equal(out.deliver.error, "REJECTD err:0x0b");
	smpp_pdu_free(&out);

	/* An intermediate notification (esm_class 0x20) is not a receipt. */
	pb_deliver(&pdu, 0x20, 0, "id:6", 4);
	decode_ok(&out);
	assert_int_equal(out.deliver.kind, SMPP_DELIVER_MO);
	smpp_pdu_free(&out);

	/* Without an id it is read (a receipt of nothing: the ingress
	 * answers OK after a log line rather than the SMSC sending it again
	 * and again); "id:" inside its text: is no id. */
	pb_deliver(&pdu, 0x04, 0, "stat:DELIVRD text:id:1", 22);
	decode_ok(&out);
	assert_int_equal(out.deliver.kind, SMPP_DELIVER_RECEIPT);
	assert_string_equal(out.deliver.id, "");
	smpp_pdu_free(&out);
}

static void
test_deliver_garbage(void **state)
{
	uint8_t b[64];
	struct smpp_pdu out;
	struct buf reason;

	(void)state;
	/* A C-octet string without its NUL before the end. */
	pb_start(&pdu, SMPP_DELIVER_SM, 0, 3);
	pb_str(&pdu, "");
	pb_u8(&pdu, 1);
	pb_u8(&pdu, 1);
	pb_bytes(&pdu, "2557", 4);
	decode_bad("source_addr has no NUL");
	/* An address over 20 characters. */
	pb_start(&pdu, SMPP_DELIVER_SM, 0, 3);
	pb_str(&pdu, "");
	pb_u8(&pdu, 1);
	pb_u8(&pdu, 1);
	pb_str(&pdu, "123456789012345678901");
	decode_bad("source_addr longer than 20");
	/* The body ending in the middle of the fixed fields. */
	pb_deliver(&pdu, 0, 0, "", 0);
	pdu.n -= 3;
	decode_bad("the body ends before");
	/* sm_length past the end. */
	pb_deliver(&pdu, 0, 0, "hello", 5);
	pdu.n -= 2;
	decode_bad("sm_length 5 but 3 bytes left");
	/* A TLV running past the end. */
	pb_deliver(&pdu, 0, 0, "hi", 2);
	pb_tlv(&pdu, 0x0424, "abcdef", 6);
	pdu.n -= 1;
	decode_bad("runs past");
	/* Stray bytes after the TLVs. */
	pb_deliver(&pdu, 0, 0, "hi", 2);
	pb_bytes(&pdu, "\x04\x24", 2);
	decode_bad("stray");
	/* A sar TLV of the wrong size. */
	pb_deliver(&pdu, 0, 0, "hi", 2);
	pb_tlv(&pdu, 0x020E, "\x00\x03", 2);
	decode_bad("0x020e of 2 bytes");
	/* A UDH longer than the message. */
	pb_deliver(&pdu, 0x40, 0, "\x07\x00\x03\x01", 4);
	decode_bad("UDH");
	/* A UDH element running past the header. */
	pb_deliver(&pdu, 0x40, 0, "\x03\x00\x03\x01xyz", 7);
	decode_bad("runs past the header");
	/* A reserved type of number: libsmpp34 says no. */
	pb_deliver(&pdu, 0, 0, "hi", 2);
	pdu.b[SMPP_HEADER_LEN + 1] = 9;
	decode_bad("libsmpp34");
	/* Scheduled times in a deliver_sm are tolerated. */
	pb_start(&pdu, SMPP_DELIVER_SM, 0, 0);
	pb_str(&pdu, "");
	pb_u8(&pdu, 1);
	pb_u8(&pdu, 1);
	pb_str(&pdu, "1");
	pb_u8(&pdu, 1);
	pb_u8(&pdu, 1);
	pb_str(&pdu, "2");
	pb_bytes(&pdu, "\x00\x00\x00", 3);
	pb_str(&pdu, "240101120000000+");
	pb_str(&pdu, "240101120000000+");
	pb_bytes(&pdu, "\x00\x00\x00\x00\x02ok", 7);
	decode_ok(&out);
	assert_string_equal(out.deliver.text, "ok");
	smpp_pdu_free(&out);

	/* command_length that disagrees with the bytes given. */
	buf_init(&reason, 256);
	pb_deliver(&pdu, 0, 0, "hi", 2);
	pb_end(&pdu);
	assert_int_equal(smpp_decode(pdu.b, pdu.n - 1, &out, &reason), -1);
	assert_int_equal(out.h.id, SMPP_DELIVER_SM);
	assert_true(reason.len > 0);
	smpp_pdu_free(&out);
	buf_reset(&reason);
	assert_int_equal(smpp_decode(pdu.b, 10, &out, &reason), -1);
	assert_true(reason.len > 0);
	smpp_pdu_free(&out);
	/* Unknown commands pass with their header. */
	memset(b, 0xAB, sizeof(b));
	put32(b, sizeof(b));
	put32(b + 4, 0x00000103);
	assert_int_equal(smpp_decode(b, sizeof(b), &out, &reason), 0);
	assert_int_equal(out.h.id, 0x103);
	smpp_pdu_free(&out);
	buf_free(&reason);
}

static void
test_resps(void **state)
{
	struct smpp_pdu out;

	(void)state;
	pb_start(&pdu, SMPP_SUBMIT_SM_RESP, 0, 4);
	pb_str(&pdu, "5f3e-01");
	decode_ok(&out);
	assert_string_equal(out.message_id, "5f3e-01");
	assert_int_equal(out.h.seq, 4);
	smpp_pdu_free(&out);
	/* Without a body, or with an empty id. */
	pb_start(&pdu, SMPP_SUBMIT_SM_RESP, 0, 5);
	decode_ok(&out);
	assert_string_equal(out.message_id, "");
	smpp_pdu_free(&out);
	pb_start(&pdu, SMPP_SUBMIT_SM_RESP, 0, 5);
	pb_str(&pdu, "");
	decode_ok(&out);
	assert_string_equal(out.message_id, "");
	smpp_pdu_free(&out);
	/* A refusal's body is not read, whatever it holds. */
	pb_start(&pdu, SMPP_SUBMIT_SM_RESP, SMPP_ESME_RTHROTTLED, 6);
	pb_bytes(&pdu, "junk", 4);
	decode_ok(&out);
	assert_int_equal(out.h.status, SMPP_ESME_RTHROTTLED);
	assert_string_equal(out.message_id, "");
	smpp_pdu_free(&out);
	/* A 64-character id fits; 65 do not; an unterminated one neither. */
	{
		char id[70];

		memset(id, 'i', 64);
		id[64] = '\0';
		pb_start(&pdu, SMPP_SUBMIT_SM_RESP, 0, 7);
		pb_str(&pdu, id);
		decode_ok(&out);
		assert_string_equal(out.message_id, id);
		smpp_pdu_free(&out);
		id[64] = 'i';
		id[65] = '\0';
		pb_start(&pdu, SMPP_SUBMIT_SM_RESP, 0, 7);
		pb_str(&pdu, id);
		decode_bad("message_id longer than 64");
	}
	pb_start(&pdu, SMPP_SUBMIT_SM_RESP, 0, 8);
	pb_bytes(&pdu, "abc", 3);
	decode_bad("no NUL");

	pb_start(&pdu, SMPP_BIND_TRANSCEIVER_RESP, 0, 1);
	pb_str(&pdu, "smsc");
	pb_tlv(&pdu, 0x0210, "\x34", 1);
	decode_ok(&out);
	assert_string_equal(out.system_id, "smsc");
	smpp_pdu_free(&out);
	pb_start(&pdu, SMPP_BIND_RECEIVER_RESP, 0, 1);
	pb_str(&pdu, "r");
	decode_ok(&out);
	assert_string_equal(out.system_id, "r");
	smpp_pdu_free(&out);
	pb_start(&pdu, SMPP_BIND_TRANSMITTER_RESP, 0x0E, 1);
	decode_ok(&out);
	assert_int_equal(out.h.status, 0x0E);
	smpp_pdu_free(&out);
	pb_start(&pdu, SMPP_BIND_TRANSCEIVER_RESP, 0, 1);
	pb_str(&pdu, "smsc");
	pb_tlv(&pdu, 0x0210, "\x34", 1);
	pdu.n--;
	decode_bad("runs past");
}

static void
test_status_name(void **state)
{
	char b[16];

	(void)state;
	assert_string_equal(smpp_status_name(0, b), "ESME_ROK");
	assert_string_equal(
	    smpp_status_name(SMPP_ESME_RTHROTTLED, b), "ESME_RTHROTTLED");
	assert_string_equal(smpp_status_name(0x0B, b), "ESME_RINVDSTADR");
	assert_string_equal(smpp_status_name(0x400, b), "0x00000400");
	assert_string_equal(smpp_status_name(0xFFFFFFFFu, b), "0xFFFFFFFF");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_frame),
	    cmocka_unit_test(test_bind_encode),
	    cmocka_unit_test(test_simple_encode),
	    cmocka_unit_test(test_submit_gsm7_single),
	    cmocka_unit_test(test_submit_gsm7_escape_boundary),
	    cmocka_unit_test(test_submit_ucs2_emoji_boundary),
	    cmocka_unit_test(test_submit_udh_sar_payload),
	    cmocka_unit_test(test_submit_unknown_mode),
	    cmocka_unit_test(test_submit_seq_wrap),
	    cmocka_unit_test(test_submit_refused),
	    cmocka_unit_test(test_deliver_mo_gsm7),
	    cmocka_unit_test(test_deliver_mo_ucs2),
	    cmocka_unit_test(test_deliver_udh),
	    cmocka_unit_test(test_deliver_sar_and_payload),
	    cmocka_unit_test(test_receipt_tlvs),
	    cmocka_unit_test(test_receipt_text),
	    cmocka_unit_test(test_deliver_garbage),
	    cmocka_unit_test(test_resps),
	    cmocka_unit_test(test_status_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
