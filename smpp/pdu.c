/*
 * pdu.c: SMPP 3.4 PDUs as an ESME writes and reads them (see pdu.h).
 *
 * libsmpp34 packs the binds and submit_sm (the SAR TLVs built with
 * build_tlv and freed with destroy_tlv) and unpacks the mandatory fields
 * of bind_*_resp, submit_sm_resp and deliver_sm. Before it sees a byte,
 * the body is walked here (walk_*): the header and command_length, every
 * C-octet string terminated within its maximum, sm_length within the
 * bytes there are, every TLV within the body and the TLVs we use of their
 * right size, because libsmpp34 trusts its input (strlen on an
 * unterminated string runs off the end; Debian fixed an out-of-bounds read
 * in it).
 *
 * Written by hand, and why:
 * - The header: smpp_frame, and the PDUs without a body
 *   (smpp_encode_simple). libsmpp34 refuses sequence number 0 and any
 *   command_status it does not list (the vendor range 0x400-0x4FF), and a
 *   generic_nack must be able to carry both back.
 * - TLVs on reading. libsmpp34 caps message_payload at 1024 octets (SMPP
 *   3.4 allows 64K); reads sar_* and message_state at their nominal size
 *   whatever their length field says, and so loses its place in the rest;
 *   leaks the node of a TLV it fails to read; and logs each TLV into its
 *   2048-byte smpp34_strerror with a remaining-space count that goes
 *   negative, and then writes past the array, once a PDU holds many TLVs.
 *   So smpp34_unpack gets a copy holding the header and the mandatory
 *   fields only, and the TLVs are read here from the checked body.
 * - message_payload on writing: the same 1024-octet cap. It is appended
 *   after what smpp34_pack wrote and command_length is patched.
 * - In deliver_sm, schedule_delivery_time and validity_period: SMPP 3.4
 *   wants them empty and libsmpp34 refuses anything else; some SMSCs fill
 *   them. Nothing here uses them, so the copy carries them empty rather
 *   than an MO message being refused.
 * - The copy's sequence number and command_status are set to 1 and
 *   ESME_ROK (the header is read here; see the first point), and the body
 *   of a bind_*_resp or submit_sm_resp with another status is not read:
 *   libsmpp34 then expects no message_id where many SMSCs send an empty
 *   one, and nothing in such a body is used.
 * - The texts (GSM-7, IA5, Latin-1, UCS-2), the UDH and the receipt text:
 *   not libsmpp34's business.
 *
 * data_coding on reading: 0 (and the GSM message classes 0xF0-0xF3, the
 * message waiting groups 0xC0-0xDF, the general groups 0x10-0x1F with the
 * default alphabet) as GSM-7, one septet per octet; 1 as IA5 (ASCII); 3 as
 * Latin-1; 8 (and 0xE0-0xEF, the general groups with UCS-2) as UTF-16BE
 * with surrogate pairs; anything else (8-bit binary, JIS, Cyrillic, ...)
 * keeps printable ASCII, tab, CR and LF and turns every other byte into
 * U+FFFD. Whatever cannot be read (an unpaired surrogate, an odd last
 * byte, a septet over 0x7F, NUL) becomes U+FFFD: the text is a C string.
 * A delivery receipt's text is read as ASCII unless it is UCS-2.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <smpp34.h>
/* smpp34_params.h needs the types of smpp34_structs.h. */
#include <smpp34_structs.h>
#include <smpp34_params.h>

#include "lib/channel.h"
#include "lib/charset.h"
#include "lib/gsm.h"
#include "smpp/pdu.h"

#define UDH_CONCAT_LEN 6 /* 05 00 03 ref total part */

/* TLV tags read or written here (SMPP 3.4, 5.3.2). */
#define TAG_RECEIPTED_ID 0x001E
#define TAG_SAR_REF 0x020C
#define TAG_SAR_TOTAL 0x020E
#define TAG_SAR_SEQ 0x020F
#define TAG_PAYLOAD 0x0424
#define TAG_MESSAGE_STATE 0x0427

/* Adds a reason when the caller gave a buf for it. */
static void say(struct buf *reason, const char *fmt, ...) PRINTFLIKE(2, 3);

static void
say(struct buf *reason, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (reason == NULL)
		return;
	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	buf_puts(reason, s);
	free(s);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

int
smpp_frame(
    const uint8_t *buf, size_t n, struct smpp_header *h, struct buf *reason)
{
	uint32_t len;

	if (n < SMPP_HEADER_LEN)
		return 0;
	len = get32(buf);
	if (len < SMPP_HEADER_LEN || len > SMPP_PDU_MAX) {
		say(reason, "command_length %lu out of %d..%d",
		    (unsigned long)len, SMPP_HEADER_LEN, SMPP_PDU_MAX);
		return -1;
	}
	if (n < len)
		return 0;
	if (h != NULL) {
		h->len = len;
		h->id = get32(buf + 4);
		h->status = get32(buf + 8);
		h->seq = get32(buf + 12);
	}
	return (int)len;
}

/* A cursor over a body being checked. */
struct rd {
	const uint8_t *p;
	size_t n, off;
};

static int
rd_u8(struct rd *r, uint8_t *v, const char *what, struct buf *reason)
{
	if (r->off >= r->n) {
		say(reason, "the body ends before %s", what);
		return -1;
	}
	*v = r->p[r->off++];
	return 0;
}

/*
 * A C-octet string of at most max bytes, its NUL included, within the
 * body; *s points at it.
 */
static int
rd_cstr(struct rd *r, size_t max, const char **s, const char *what,
    struct buf *reason)
{
	const uint8_t *nul;
	size_t left = r->n - r->off;

	nul = memchr(r->p + r->off, '\0', left < max ? left : max);
	if (nul == NULL) {
		if (left < max)
			say(reason, "%s has no NUL before the body ends", what);
		else
			say(reason, "%s longer than %zu bytes", what, max - 1);
		return -1;
	}
	*s = (const char *)r->p + r->off;
	r->off = (size_t)(nul - r->p) + 1;
	return 0;
}

/* The TLVs of a body that we use; the others are skipped. */
struct tlvs {
	const uint8_t *payload;
	size_t payload_len;
	int has_payload;
	const uint8_t *receipted_id;
	size_t receipted_id_len;
	int message_state;               /* -1 when absent */
	int sar_ref, sar_total, sar_seq; /* -1 when absent */
};

/*
 * Walks the TLVs in p[0..n): each within the bytes there are, those we use
 * of their right size (the first of a tag counts). Returns 0 or -1.
 */
static int
walk_tlvs(const uint8_t *p, size_t n, struct tlvs *t, struct buf *reason)
{
	size_t off = 0, len;
	unsigned tag;

	memset(t, 0, sizeof(*t));
	t->message_state = t->sar_ref = t->sar_total = t->sar_seq = -1;
	while (off < n) {
		if (n - off < 4) {
			say(reason, "%zu stray bytes where a TLV should be",
			    n - off);
			return -1;
		}
		tag = (unsigned)p[off] << 8 | p[off + 1];
		len = (size_t)p[off + 2] << 8 | p[off + 3];
		off += 4;
		if (len > n - off) {
			say(reason,
			    "TLV 0x%04x of %zu bytes runs past the body's end",
			    tag, len);
			return -1;
		}
		switch (tag) {
		case TAG_PAYLOAD:
			if (!t->has_payload) {
				t->has_payload = 1;
				t->payload = p + off;
				t->payload_len = len;
			}
			break;
		case TAG_RECEIPTED_ID:
			if (len > SMPP_ID_MAX) {
				say(reason,
				    "receipted_message_id of %zu bytes, over "
				    "%d",
				    len, SMPP_ID_MAX);
				return -1;
			}
			if (t->receipted_id == NULL) {
				t->receipted_id = p + off;
				t->receipted_id_len = len;
			}
			break;
		case TAG_MESSAGE_STATE:
		case TAG_SAR_TOTAL:
		case TAG_SAR_SEQ:
		case TAG_SAR_REF: {
			size_t want = tag == TAG_SAR_REF ? 2 : 1;
			int v, *slot;

			if (len != want) {
				say(reason, "TLV 0x%04x of %zu bytes, not %zu",
				    tag, len, want);
				return -1;
			}
			v = want == 2 ? p[off] << 8 | p[off + 1] : p[off];
			slot = tag == TAG_MESSAGE_STATE ? &t->message_state
			       : tag == TAG_SAR_TOTAL   ? &t->sar_total
			       : tag == TAG_SAR_SEQ     ? &t->sar_seq
							: &t->sar_ref;
			if (*slot < 0)
				*slot = v;
			break;
		}
		default:
			break;
		}
		off += len;
	}
	return 0;
}

/* Writes a 16-byte header. */
static void
put_header(uint8_t *p, uint32_t len, uint32_t id, uint32_t status, uint32_t seq)
{
	put32(p, len);
	put32(p + 4, id);
	put32(p + 8, status);
	put32(p + 12, seq);
}

enum alphabet { AL_GSM7, AL_IA5, AL_LATIN1, AL_UCS2, AL_8BIT };

/* How a data_coding value is read (see the comment at the top). */
static enum alphabet
alphabet_of(unsigned dcs)
{
	if (dcs == 0 || (dcs >= 0xF0 && dcs <= 0xF3) ||
	    (dcs >= 0xC0 && dcs <= 0xDF) ||
	    (dcs >= 0x10 && dcs <= 0x1F && (dcs & 0x0C) == 0))
		return AL_GSM7;
	if (dcs == 8 || (dcs >= 0xE0 && dcs <= 0xEF) ||
	    (dcs >= 0x10 && dcs <= 0x1F && (dcs & 0x0C) == 0x08))
		return AL_UCS2;
	if (dcs == 1)
		return AL_IA5;
	if (dcs == 3)
		return AL_LATIN1;
	return AL_8BIT;
}

/* Appends the n bytes at p, written in alphabet al, to out as UTF-8. */
static void
decode_text(enum alphabet al, const uint8_t *p, size_t n, struct buf *out)
{
	unsigned long cp;
	size_t i, k;

	switch (al) {
	case AL_GSM7:
		for (i = 0; i < n; i += k) {
			k = gsm_decode_char(p + i, n - i, &cp);
			charset_put_utf8(out, cp);
		}
		break;
	case AL_IA5:
		charset_to_utf8(CHARSET_ASCII, p, n, out);
		break;
	case AL_LATIN1:
		charset_to_utf8(CHARSET_LATIN1, p, n, out);
		break;
	case AL_UCS2:
		charset_to_utf8(CHARSET_UTF16BE, p, n, out);
		break;
	case AL_8BIT:
		charset_to_utf8(CHARSET_8BIT, p, n, out);
		break;
	}
}

/*
 * Reads the user data header at the start of the n bytes at p: sets
 * *hlen to its size (the length octet included) and, from a concatenation
 * element (IEI 0x00, 8-bit reference, or 0x08, 16-bit), *ref, *total and
 * *part; other elements are skipped. Returns 0, or -1 when the header or
 * one of its elements runs past its end.
 */
static int
parse_udh(const uint8_t *p, size_t n, size_t *hlen, unsigned *ref,
    unsigned *total, unsigned *part, struct buf *reason)
{
	size_t udhl, off, iel;
	unsigned iei;

	if (n < 1) {
		say(reason, "UDHI set but the message is empty");
		return -1;
	}
	udhl = p[0];
	if (udhl + 1 > n) {
		say(reason, "a UDH of %zu bytes in a message of %zu", udhl,
		    n - 1);
		return -1;
	}
	for (off = 1; off < udhl + 1; off += iel) {
		if (udhl + 1 - off < 2) {
			say(reason, "a UDH element cut short");
			return -1;
		}
		iei = p[off];
		iel = p[off + 1];
		off += 2;
		if (iel > udhl + 1 - off) {
			say(reason, "UDH element 0x%02x runs past the header",
			    iei);
			return -1;
		}
		if (iei == 0x00 && iel == 3) {
			*ref = p[off];
			*total = p[off + 1];
			*part = p[off + 2];
		} else if (iei == 0x08 && iel == 4) {
			*ref = (unsigned)p[off] << 8 | p[off + 1];
			*total = p[off + 2];
			*part = p[off + 3];
		}
	}
	*hlen = udhl + 1;
	return 0;
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Whether the n bytes at s begin with key, in any case. */
static int
key_is(const char *s, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n && key[i] != '\0'; i++) {
		if (lower((unsigned char)s[i]) != key[i])
			return 0;
	}
	return i == strlen(key);
}

/*
 * In a receipt's text t (len bytes), the value of key ("stat:"): the
 * word after it, where key begins a word before the "text:" word. Sets
 * *vlen; returns NULL when it is not there.
 */
static const char *
receipt_field(const char *t, size_t len, const char *key, size_t *vlen)
{
	size_t i, end = len, klen = strlen(key), j;

	for (i = 0; i + 5 <= len; i++) {
		if ((i == 0 || is_space(t[i - 1])) &&
		    key_is(t + i, 5, "text:")) {
			end = i;
			break;
		}
	}
	for (i = 0; i + klen <= end; i++) {
		if ((i != 0 && !is_space(t[i - 1])) ||
		    !key_is(t + i, klen, key))
			continue;
		for (j = i + klen; j < end && !is_space(t[j]); j++)
			;
		*vlen = j - i - klen;
		return t + i + klen;
	}
	return NULL;
}

/* Copies the n bytes at s into dst (size dstlen), cut to fit, with NUL. */
static void
copy_str(char *dst, size_t dstlen, const char *s, size_t n)
{
	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* Whether the n bytes at w are key, in any case. */
static int
word_is(const char *w, size_t n, const char *key)
{
	return n == strlen(key) && key_is(w, n, key);
}

/* The outcome a stat: word stands for. */
static enum smpp_receipt_state
stat_state(const char *w, size_t n)
{
	if (word_is(w, n, "delivrd") || word_is(w, n, "delivered"))
		return SMPP_RECEIPT_DELIVERED;
	if (word_is(w, n, "undeliv") || word_is(w, n, "undeliverable") ||
	    word_is(w, n, "expired") || word_is(w, n, "deleted") ||
	    word_is(w, n, "rejectd") || word_is(w, n, "rejected"))
		return SMPP_RECEIPT_FAILED;
	return SMPP_RECEIPT_SENT;
}

/*
 * Fills the receipt part of d from the TLVs and the text: the id from
 * receipted_message_id, else "id:"; the outcome from message_state, else
 * "stat:". Returns 0, or -1 when there is no id.
 */
static int
read_receipt(struct smpp_deliver *d, const struct tlvs *t, struct buf *reason)
{
	static const char *const state_word[] = {
	    "SCHEDULED",
	    "ENROUTE",
	    "DELIVRD",
	    "EXPIRED",
	    "DELETED",
	    "UNDELIV",
	    "ACCEPTD",
	    "UNKNOWN",
	    "REJECTD",
	};
	const char *text = d->text, *v, *stat = NULL, *err;
	size_t len = strlen(d->text), vlen, slen = 0, elen = 0;

	if (t->receipted_id != NULL) {
		/* A C-octet string: up to its NUL, if it has one. */
		const uint8_t *nul =
		    memchr(t->receipted_id, '\0', t->receipted_id_len);

		vlen = nul != NULL ? (size_t)(nul - t->receipted_id)
				   : t->receipted_id_len;
		if (vlen >= SMPP_ID_MAX) {
			say(reason, "receipted_message_id over %d characters",
			    SMPP_ID_MAX - 1);
			return -1;
		}
		copy_str(
		    d->id, sizeof(d->id), (const char *)t->receipted_id, vlen);
	}
	if (d->id[0] == '\0' &&
	    (v = receipt_field(text, len, "id:", &vlen)) != NULL) {
		if (vlen >= SMPP_ID_MAX) {
			say(reason, "receipt id over %d characters",
			    SMPP_ID_MAX - 1);
			return -1;
		}
		copy_str(d->id, sizeof(d->id), v, vlen);
	}
	/* Without an id it matches no message: taken and answered OK (the
	 * ingress refuses it with a log line), not refused as malformed, so
	 * that the SMSC does not deliver it again and again. */

	if (t->message_state >= 0) {
		switch (t->message_state) {
		case 2:
			d->state = SMPP_RECEIPT_DELIVERED;
			break;
		case 3:
		case 4:
		case 5:
		case 8:
			d->state = SMPP_RECEIPT_FAILED;
			break;
		default: /* 1 enroute, 6 accepted, 7 unknown, others */
			d->state = SMPP_RECEIPT_SENT;
			break;
		}
		if ((size_t)t->message_state < nitems(state_word)) {
			stat = state_word[t->message_state];
			slen = strlen(stat);
		}
	} else if ((stat = receipt_field(text, len, "stat:", &slen)) != NULL) {
		d->state = stat_state(stat, slen);
	} else {
		d->state = SMPP_RECEIPT_SENT;
	}
	if (d->state == SMPP_RECEIPT_FAILED) {
		err = receipt_field(text, len, "err:", &elen);
		if (stat == NULL)
			snprintf(d->error, sizeof(d->error), "state %d",
			    t->message_state);
		else if (err != NULL && elen > 0)
			snprintf(d->error, sizeof(d->error), "%.*s err:%.*s",
			    (int)(slen > 30 ? 30 : slen), stat,
			    (int)(elen > 24 ? 24 : elen), err);
		else
			snprintf(d->error, sizeof(d->error), "%.*s",
			    (int)(slen > 60 ? 60 : slen), stat);
	}
	return 0;
}

/*
 * Checks a deliver_sm body and copies its header and mandatory fields into
 * copy (the schedule and validity emptied) for smpp34_unpack; *ncopy its
 * length, *tlv_off where its TLVs begin in the body. Returns 0 or -1.
 */
static int
walk_deliver(const uint8_t *body, size_t n, uint8_t *copy, size_t *ncopy,
    size_t *tlv_off, struct buf *reason)
{
	struct rd r = {body, n, 0};
	const char *s;
	size_t start, o = SMPP_HEADER_LEN;
	uint8_t v, smlen;

	/* service_type .. destination_addr, copied as they are. */
	if (rd_cstr(&r, 6, &s, "service_type", reason) ||
	    rd_u8(&r, &v, "source_addr_ton", reason) ||
	    rd_u8(&r, &v, "source_addr_npi", reason) ||
	    rd_cstr(&r, SMPP_ADDR_MAX, &s, "source_addr", reason) ||
	    rd_u8(&r, &v, "dest_addr_ton", reason) ||
	    rd_u8(&r, &v, "dest_addr_npi", reason) ||
	    rd_cstr(&r, SMPP_ADDR_MAX, &s, "destination_addr", reason) ||
	    rd_u8(&r, &v, "esm_class", reason) ||
	    rd_u8(&r, &v, "protocol_id", reason) ||
	    rd_u8(&r, &v, "priority_flag", reason))
		return -1;
	memcpy(copy + o, body, r.off);
	o += r.off;
	if (rd_cstr(&r, 17, &s, "schedule_delivery_time", reason) ||
	    rd_cstr(&r, 17, &s, "validity_period", reason))
		return -1;
	copy[o++] = '\0';
	copy[o++] = '\0';
	start = r.off;
	if (rd_u8(&r, &v, "registered_delivery", reason) ||
	    rd_u8(&r, &v, "replace_if_present_flag", reason) ||
	    rd_u8(&r, &v, "data_coding", reason) ||
	    rd_u8(&r, &v, "sm_default_msg_id", reason) ||
	    rd_u8(&r, &smlen, "sm_length", reason))
		return -1;
	if (smlen > 254) {
		say(reason, "sm_length %u over 254", smlen);
		return -1;
	}
	if (smlen > n - r.off) {
		say(reason, "sm_length %u but %zu bytes left", smlen,
		    n - r.off);
		return -1;
	}
	r.off += smlen;
	memcpy(copy + o, body + start, r.off - start);
	o += r.off - start;
	*ncopy = o;
	*tlv_off = r.off;
	return 0;
}

/* Decodes a deliver_sm of len bytes at buf into *d. */
static int
decode_deliver(
    const uint8_t *buf, size_t len, struct smpp_deliver *d, struct buf *reason)
{
	/* The header and mandatory fields: 16 + 6 + 2 + 21 + 2 + 21 + 3 +
	 * 2 + 5 + 254 bytes at most. */
	uint8_t copy[512];
	const uint8_t *data;
	struct tlvs t;
	deliver_sm_t dm;
	struct buf text;
	size_t ncopy, tlv_off, n, hlen = 0;
	unsigned ref = 0, total = 1, part = 1;
	enum alphabet al;
	int rc;

	if (walk_deliver(buf + SMPP_HEADER_LEN, len - SMPP_HEADER_LEN, copy,
		&ncopy, &tlv_off, reason) != 0)
		return -1;
	if (walk_tlvs(buf + SMPP_HEADER_LEN + tlv_off,
		len - SMPP_HEADER_LEN - tlv_off, &t, reason) != 0)
		return -1;
	put_header(copy, (uint32_t)ncopy, SMPP_DELIVER_SM, 0, 1);
	memset(&dm, 0, sizeof(dm));
	rc = smpp34_unpack(DELIVER_SM, &dm, copy, (int)ncopy);
	destroy_tlv(dm.tlv); /* none: the copy holds no TLVs */
	if (rc != 0) {
		say(reason, "libsmpp34: %.200s", smpp34_strerror);
		return -1;
	}

	copy_str(d->from, sizeof(d->from), (const char *)dm.source_addr,
	    strlen((const char *)dm.source_addr));
	d->from_ton = dm.source_addr_ton;
	copy_str(d->to, sizeof(d->to), (const char *)dm.destination_addr,
	    strlen((const char *)dm.destination_addr));
	if (t.has_payload) {
		data = t.payload;
		n = t.payload_len;
	} else {
		data = dm.short_message;
		n = dm.sm_length;
	}
	d->kind = (dm.esm_class & 0x3C) == 0x04 ? SMPP_DELIVER_RECEIPT
						: SMPP_DELIVER_MO;
	if (dm.esm_class & 0x40) {
		if (parse_udh(data, n, &hlen, &ref, &total, &part, reason) != 0)
			return -1;
	} else if (t.sar_ref >= 0 && t.sar_total >= 0 && t.sar_seq >= 0) {
		ref = (unsigned)t.sar_ref;
		total = (unsigned)t.sar_total;
		part = (unsigned)t.sar_seq;
	}
	/* A nonsensical concatenation is a message in one piece. */
	if (total == 0 || part == 0 || part > total) {
		ref = 0;
		total = part = 1;
	}
	d->ref = total > 1 ? ref : 0;
	d->total = total;
	d->part = total > 1 ? part : 1;

	/*
	 * A receipt's text is read as ASCII unless it is UCS-2: SMSCs write
	 * it so whatever data_coding says (as Kannel and Jasmin read it), and
	 * an id with '_' or '@' must not turn into GSM's section or
	 * inverted exclamation marks.
	 */
	al = alphabet_of(dm.data_coding);
	if (d->kind == SMPP_DELIVER_RECEIPT && al != AL_UCS2)
		al = AL_IA5;
	buf_init(&text, 4 * n + 8);
	decode_text(al, data + hlen, n - hlen, &text);
	d->text = buf_steal(&text);
	if (d->kind == SMPP_DELIVER_RECEIPT)
		return read_receipt(d, &t, reason);
	return 0;
}

/* Decodes a bind_*_resp body (status ESME_ROK) into out->system_id. */
static int
decode_bind_resp(
    const uint8_t *buf, size_t len, struct smpp_pdu *out, struct buf *reason)
{
	struct rd r = {buf + SMPP_HEADER_LEN, len - SMPP_HEADER_LEN, 0};
	uint8_t copy[SMPP_HEADER_LEN + 16];
	bind_transceiver_resp_t br;
	struct tlvs t;
	const char *s;
	int rc;

	if (r.n == 0)
		return 0; /* no system_id: some SMSCs send none */
	if (rd_cstr(&r, 16, &s, "system_id", reason) != 0 ||
	    walk_tlvs(r.p + r.off, r.n - r.off, &t, reason) != 0)
		return -1;
	put_header(copy, (uint32_t)(SMPP_HEADER_LEN + r.off), out->h.id, 0, 1);
	memcpy(copy + SMPP_HEADER_LEN, r.p, r.off);
	/* The three bind answers have the same fields. */
	memset(&br, 0, sizeof(br));
	rc =
	    smpp34_unpack(out->h.id, &br, copy, (int)(SMPP_HEADER_LEN + r.off));
	destroy_tlv(br.tlv);
	if (rc != 0) {
		say(reason, "libsmpp34: %.200s", smpp34_strerror);
		return -1;
	}
	copy_str(out->system_id, sizeof(out->system_id),
	    (const char *)br.system_id, strlen((const char *)br.system_id));
	return 0;
}

/* Decodes a submit_sm_resp body (status ESME_ROK) into out->message_id. */
static int
decode_submit_resp(
    const uint8_t *buf, size_t len, struct smpp_pdu *out, struct buf *reason)
{
	struct rd r = {buf + SMPP_HEADER_LEN, len - SMPP_HEADER_LEN, 0};
	uint8_t copy[SMPP_HEADER_LEN + SMPP_ID_MAX];
	submit_sm_resp_t sr;
	struct tlvs t;
	const char *s;

	if (r.n == 0)
		return 0; /* no message_id */
	/* SMPP 5.0 lets TLVs follow; they are checked and skipped. */
	if (rd_cstr(&r, SMPP_ID_MAX, &s, "message_id", reason) != 0 ||
	    walk_tlvs(r.p + r.off, r.n - r.off, &t, reason) != 0)
		return -1;
	put_header(copy, (uint32_t)(SMPP_HEADER_LEN + r.off),
	    SMPP_SUBMIT_SM_RESP, 0, 1);
	memcpy(copy + SMPP_HEADER_LEN, r.p, r.off);
	memset(&sr, 0, sizeof(sr));
	if (smpp34_unpack(SUBMIT_SM_RESP, &sr, copy,
		(int)(SMPP_HEADER_LEN + r.off)) != 0) {
		say(reason, "libsmpp34: %.200s", smpp34_strerror);
		return -1;
	}
	copy_str(out->message_id, sizeof(out->message_id),
	    (const char *)sr.message_id, strlen((const char *)sr.message_id));
	return 0;
}

int
smpp_decode(
    const uint8_t *buf, size_t len, struct smpp_pdu *out, struct buf *reason)
{
	memset(out, 0, sizeof(*out));
	if (buf == NULL || len < SMPP_HEADER_LEN) {
		say(reason, "%zu bytes, shorter than a header", len);
		return -1;
	}
	out->h.len = get32(buf);
	out->h.id = get32(buf + 4);
	out->h.status = get32(buf + 8);
	out->h.seq = get32(buf + 12);
	if (out->h.len != len || len > SMPP_PDU_MAX) {
		say(reason, "command_length %lu for a PDU of %zu bytes",
		    (unsigned long)out->h.len, len);
		return -1;
	}
	switch (out->h.id) {
	case SMPP_BIND_TRANSCEIVER_RESP:
	case SMPP_BIND_TRANSMITTER_RESP:
	case SMPP_BIND_RECEIVER_RESP:
		if (out->h.status != SMPP_ESME_ROK)
			return 0;
		return decode_bind_resp(buf, len, out, reason);
	case SMPP_SUBMIT_SM_RESP:
		if (out->h.status != SMPP_ESME_ROK)
			return 0;
		return decode_submit_resp(buf, len, out, reason);
	case SMPP_DELIVER_SM:
		return decode_deliver(buf, len, &out->deliver, reason);
	default:
		return 0;
	}
}

void
smpp_deliver_free(struct smpp_deliver *d)
{
	if (d == NULL)
		return;
	free(d->text);
	memset(d, 0, sizeof(*d));
}

void
smpp_pdu_free(struct smpp_pdu *p)
{
	if (p != NULL)
		smpp_deliver_free(&p->deliver);
}

/* Appends what smpp34_pack wrote, or says why it would not. */
static int
pack(struct buf *out, uint32_t cmd, void *pdu, struct buf *reason)
{
	uint8_t b[512];
	int n = 0;

	if (smpp34_pack(cmd, b, (int)sizeof(b), &n, pdu) != 0) {
		say(reason, "libsmpp34: %.200s", smpp34_strerror);
		return -1;
	}
	if (buf_append(out, b, (size_t)n) != 0) {
		say(reason, "no room for the PDU");
		return -1;
	}
	return 0;
}

/* Copies the C string s (at most max - 1 characters) into dst. */
static int
set_cstr(uint8_t *dst, size_t max, const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n >= max)
		return -1;
	memcpy(dst, s != NULL ? s : "", n);
	dst[n] = '\0';
	return 0;
}

#define FILL_BIND(b)                                                       \
	do {                                                               \
		memset(&(b), 0, sizeof(b));                                \
		(b).command_id = cmd;                                      \
		(b).sequence_number = seq;                                 \
		(b).interface_version = SMPP_VERSION;                      \
		if (set_cstr((b).system_id, 16, bind->system_id) != 0 ||   \
		    set_cstr((b).password, 9, bind->password) != 0 ||      \
		    set_cstr((b).system_type, 13, bind->system_type) != 0) \
			return -1;                                         \
	} while (0)

int
smpp_encode_bind(
    struct buf *out, uint32_t cmd, uint32_t seq, const struct smpp_bind *bind)
{
	bind_transceiver_t trx;
	bind_transmitter_t tx;
	bind_receiver_t rx;

	if (out == NULL || bind == NULL)
		return -1;
	switch (cmd) {
	case SMPP_BIND_TRANSCEIVER:
		FILL_BIND(trx);
		return pack(out, cmd, &trx, NULL);
	case SMPP_BIND_TRANSMITTER:
		FILL_BIND(tx);
		return pack(out, cmd, &tx, NULL);
	case SMPP_BIND_RECEIVER:
		FILL_BIND(rx);
		return pack(out, cmd, &rx, NULL);
	default:
		return -1;
	}
}

int
smpp_encode_simple(struct buf *out, uint32_t cmd, uint32_t status, uint32_t seq)
{
	uint8_t b[SMPP_HEADER_LEN + 1];
	size_t n = SMPP_HEADER_LEN;

	switch (cmd) {
	case SMPP_DELIVER_SM_RESP:
		b[n++] = '\0'; /* message_id, unused: empty */
		break;
	case SMPP_ENQUIRE_LINK:
	case SMPP_ENQUIRE_LINK_RESP:
	case SMPP_UNBIND:
	case SMPP_UNBIND_RESP:
	case SMPP_GENERIC_NACK:
		break;
	default:
		return -1;
	}
	if (out == NULL)
		return -1;
	put_header(b, (uint32_t)n, cmd, status, seq);
	return buf_append(out, b, n);
}

/* A text as it goes out: its octets and where each part begins. */
struct split {
	uint8_t *bytes; /* septets, one per octet, or UTF-16BE */
	size_t len;     /* bytes in use */
	int ucs2;       /* data_coding 8, else 0 */
	size_t nparts;  /* parts (1 when it fits one segment) */
	size_t cut[SMPP_PARTS_MAX + 1]; /* part i is [cut[i], cut[i+1]) */
};

/*
 * Encodes text into s and cuts it into parts of at most GSM7_PART septets
 * or UCS2_PART code units (GSM7_SINGLE, UCS2_SINGLE when it all fits one),
 * never inside a character. Returns 0, or -1 with a reason.
 */
static int
split_text(const char *text, struct split *s, struct buf *reason)
{
	struct gsm_info gi;
	unsigned long cp;
	unsigned char sep[2];
	size_t i, n, w, cap, used = 0;
	int invalid = 0;

	memset(s, 0, sizeof(*s));
	n = strlen(text);
	if (n > SMPP_TEXT_MAX) {
		say(reason, "a text of %zu bytes, over %d", n, SMPP_TEXT_MAX);
		return -1;
	}
	if (gsm_count(text, &gi) != 0 || gi.invalid) {
		say(reason, "the text is not valid UTF-8");
		return -1;
	}
	s->ucs2 = gi.encoding == GSM_ENC_UCS2;
	if (gi.units <= (s->ucs2 ? UCS2_SINGLE : GSM7_SINGLE))
		cap = (size_t)-1;
	else
		cap = s->ucs2 ? UCS2_PART : GSM7_PART;
	/* Two bytes per byte of UTF-8 at most (an ASCII escape, or 'a' in
	 * UTF-16), and never more than four per character. */
	s->bytes = xmalloc(2 * n + 4);
	s->nparts = 1;
	s->cut[0] = 0;
	for (i = 0; text[i] != '\0'; i += w) {
		w = gsm_utf8_next(text + i, &cp, &invalid);
		if (!s->ucs2) {
			size_t k = (size_t)gsm_encode_char(cp, sep);

			if (used + k > cap) {
				if (s->nparts == SMPP_PARTS_MAX)
					goto too_long;
				s->cut[s->nparts++] = s->len;
				used = 0;
			}
			memcpy(s->bytes + s->len, sep, k);
			s->len += k;
			used += k;
		} else {
			size_t k = cp > 0xFFFF ? 2 : 1;

			if (used + k > cap) {
				if (s->nparts == SMPP_PARTS_MAX)
					goto too_long;
				s->cut[s->nparts++] = s->len;
				used = 0;
			}
			if (k == 2) {
				unsigned long v = cp - 0x10000;
				unsigned long hi = 0xD800 + (v >> 10);
				unsigned long lo = 0xDC00 + (v & 0x3FF);

				s->bytes[s->len++] = (uint8_t)(hi >> 8);
				s->bytes[s->len++] = (uint8_t)hi;
				s->bytes[s->len++] = (uint8_t)(lo >> 8);
				s->bytes[s->len++] = (uint8_t)lo;
			} else {
				s->bytes[s->len++] = (uint8_t)(cp >> 8);
				s->bytes[s->len++] = (uint8_t)cp;
			}
			used += k;
		}
	}
	s->cut[s->nparts] = s->len;
	return 0;
too_long:
	say(reason, "the text needs more than %d parts", SMPP_PARTS_MAX);
	free(s->bytes);
	s->bytes = NULL;
	return -1;
}

/* The next sequence number after q: 1 after SMPP_SEQ_MAX. */
static uint32_t
seq_next(uint32_t q)
{
	return q >= SMPP_SEQ_MAX ? 1 : q + 1;
}

/* Appends one TLV of a 1- or 2-byte value to the libsmpp34 list *l. */
static int
add_tlv(tlv_t **l, uint16_t tag, unsigned v, int size)
{
	tlv_t t;

	memset(&t, 0, sizeof(t));
	t.tag = tag;
	t.length = (uint16_t)size;
	if (size == 2)
		t.value.val16 = (uint16_t)v;
	else
		t.value.val08 = (uint8_t)v;
	return build_tlv(l, &t);
}

int
smpp_encode_submit(struct buf *out, const struct smpp_submit *s,
    const char *text, uint32_t *seq, struct buf *reason)
{
	struct split sp;
	submit_sm_t sm;
	uint32_t q;
	size_t i, n, start;
	int long_mode, rc = -1;

	if (out == NULL || s == NULL || text == NULL || seq == NULL) {
		say(reason, "nothing to encode");
		return -1;
	}
	if (s->dest_addr == NULL || s->dest_addr[0] == '\0') {
		say(reason, "no destination address");
		return -1;
	}
	if (strlen(s->dest_addr) >= SMPP_ADDR_MAX ||
	    (s->source_addr != NULL &&
		strlen(s->source_addr) >= SMPP_ADDR_MAX)) {
		say(reason, "an address over %d characters", SMPP_ADDR_MAX - 1);
		return -1;
	}
	if (split_text(text, &sp, reason) != 0)
		return -1;
	long_mode = s->long_mode;
	if (sp.nparts == 1 ||
	    (long_mode != SMPP_LONG_SAR && long_mode != SMPP_LONG_PAYLOAD))
		long_mode = SMPP_LONG_UDH; /* and UDH for a value unknown */
	if (long_mode == SMPP_LONG_PAYLOAD)
		n = 1;
	else
		n = sp.nparts;
	q = *seq == 0 || *seq > SMPP_SEQ_MAX ? 1 : *seq;

	for (i = 0; i < n; i++, q = seq_next(q)) {
		const uint8_t *part = sp.bytes + sp.cut[i];
		size_t plen = sp.cut[i + 1] - sp.cut[i], o = 0;
		uint8_t tl[4];

		memset(&sm, 0, sizeof(sm));
		sm.command_id = SMPP_SUBMIT_SM;
		sm.sequence_number = q;
		sm.source_addr_ton = (uint8_t)s->source_ton;
		sm.source_addr_npi = (uint8_t)s->source_npi;
		set_cstr(sm.source_addr, SMPP_ADDR_MAX, s->source_addr);
		sm.dest_addr_ton = (uint8_t)s->dest_ton;
		sm.dest_addr_npi = (uint8_t)s->dest_npi;
		set_cstr(sm.destination_addr, SMPP_ADDR_MAX, s->dest_addr);
		sm.registered_delivery = (uint8_t)s->registered_delivery;
		sm.data_coding = sp.ucs2 ? 8 : 0;
		if (long_mode == SMPP_LONG_PAYLOAD) {
			start = out->len;
			if (pack(out, SMPP_SUBMIT_SM, &sm, reason) != 0)
				goto out;
			/* Appended by hand: libsmpp34 caps it at 1024. */
			tl[0] = TAG_PAYLOAD >> 8;
			tl[1] = TAG_PAYLOAD & 0xFF;
			tl[2] = (uint8_t)(sp.len >> 8);
			tl[3] = (uint8_t)sp.len;
			if (out->len - start + 4 + sp.len > SMPP_PDU_MAX ||
			    buf_append(out, tl, 4) != 0 ||
			    buf_append(out, sp.bytes, sp.len) != 0) {
				say(reason, "no room for the PDU");
				goto out;
			}
			put32((uint8_t *)out->data + start,
			    (uint32_t)(out->len - start));
			continue;
		}
		if (long_mode == SMPP_LONG_UDH && n > 1) {
			sm.esm_class = 0x40;
			sm.short_message[o++] = 5;
			sm.short_message[o++] = 0x00;
			sm.short_message[o++] = 3;
			sm.short_message[o++] = (uint8_t)s->ref;
			sm.short_message[o++] = (uint8_t)n;
			sm.short_message[o++] = (uint8_t)(i + 1);
		}
		memcpy(sm.short_message + o, part, plen);
		sm.sm_length = (uint8_t)(o + plen);
		if (long_mode == SMPP_LONG_SAR && n > 1) {
			/* build_tlv puts each at the head: the last first. */
			if (add_tlv(&sm.tlv, TAG_SAR_SEQ, (unsigned)i + 1, 1) ||
			    add_tlv(&sm.tlv, TAG_SAR_TOTAL, (unsigned)n, 1) ||
			    add_tlv(&sm.tlv, TAG_SAR_REF, s->ref & 0xFFFF, 2)) {
				destroy_tlv(sm.tlv);
				say(reason, "out of memory");
				goto out;
			}
		}
		rc = pack(out, SMPP_SUBMIT_SM, &sm, reason);
		destroy_tlv(sm.tlv);
		if (rc != 0)
			goto out;
		rc = -1;
	}
	*seq = q;
	rc = (int)n;
out:
	free(sp.bytes);
	return rc;
}

const char *
smpp_status_name(uint32_t status, char buf[16])
{
	static const struct {
		uint32_t v;
		const char *name;
	} names[] = {
#define OPERACION(p) {p, #p},
#include "def_list/command_status.list"
#undef OPERACION
	};
	size_t i;

	for (i = 0; i < nitems(names); i++) {
		if (names[i].v == status)
			return names[i].name;
	}
	snprintf(buf, 16, "0x%08lX", (unsigned long)status);
	return buf;
}
