/*
 * pdu.h: SMPP 3.4 PDUs as an ESME (the gateway's side of a link to an
 * operator's SMSC) writes and reads them: framing, the PDUs it sends
 * (binds, submit_sm, enquire_link, unbind, the answers it owes), the PDUs
 * it reads (the binds' answers, submit_sm_resp, deliver_sm, enquire_link,
 * unbind, generic_nack), and the texts in them: GSM-7 (data_coding 0, one
 * septet per octet, unpacked), IA5 (1), Latin-1 (3) and UCS-2 (8, read and
 * written as UTF-16BE so that emoji pass as surrogate pairs); long messages
 * split and joined by UDH concatenation, SAR TLVs or message_payload;
 * delivery receipts read from their TLVs or the "id:... stat:..." text.
 *
 * libsmpp34 packs and unpacks the PDU bodies; every input is checked here
 * first (the header, command_length against SMPP_PDU_MAX and the bytes
 * there are, C-octet strings terminated within their bounds), because
 * libsmpp34 trusts what it is given.
 *
 * Pure functions: no I/O, no clock, no globals beyond libsmpp34's error
 * text. Decoders accept any bytes without crashing and say why they
 * refuse, in reason (a buf the caller owns). Encoders append to a buf,
 * which bounds what they may write.
 */
#ifndef BARAZA_SMPP_PDU_H
#define BARAZA_SMPP_PDU_H

#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"

#define SMPP_HEADER_LEN 16
#define SMPP_PDU_MAX 65536 /* bytes of one PDU we read or write */
#define SMPP_SEQ_MAX 0x7FFFFFFFu
#define SMPP_TEXT_MAX 65536 /* bytes of UTF-8 text a message may hold */
#define SMPP_PARTS_MAX 255  /* parts of one concatenated message */
#define SMPP_ID_MAX 65      /* message_id: up to 64 characters and NUL */
#define SMPP_ADDR_MAX 21    /* an address: up to 20 characters and NUL */

/* command_id values (SMPP 3.4, 5.1.2.1). */
#define SMPP_GENERIC_NACK 0x80000000u
#define SMPP_BIND_RECEIVER 0x00000001u
#define SMPP_BIND_RECEIVER_RESP 0x80000001u
#define SMPP_BIND_TRANSMITTER 0x00000002u
#define SMPP_BIND_TRANSMITTER_RESP 0x80000002u
#define SMPP_SUBMIT_SM 0x00000004u
#define SMPP_SUBMIT_SM_RESP 0x80000004u
#define SMPP_DELIVER_SM 0x00000005u
#define SMPP_DELIVER_SM_RESP 0x80000005u
#define SMPP_UNBIND 0x00000006u
#define SMPP_UNBIND_RESP 0x80000006u
#define SMPP_BIND_TRANSCEIVER 0x00000009u
#define SMPP_BIND_TRANSCEIVER_RESP 0x80000009u
#define SMPP_ENQUIRE_LINK 0x00000015u
#define SMPP_ENQUIRE_LINK_RESP 0x80000015u

/* command_status values the gateway acts on (5.1.3). */
#define SMPP_ESME_ROK 0x00000000u
#define SMPP_ESME_RINVMSGLEN 0x00000001u
#define SMPP_ESME_RINVCMDLEN 0x00000002u
#define SMPP_ESME_RINVCMDID 0x00000003u
#define SMPP_ESME_RINVBNDSTS 0x00000004u
#define SMPP_ESME_RALYBND 0x00000005u
#define SMPP_ESME_RSYSERR 0x00000008u
#define SMPP_ESME_RMSGQFUL 0x00000014u
#define SMPP_ESME_RX_T_APPN 0x00000064u /* temporary: deliver again */
#define SMPP_ESME_RTHROTTLED 0x00000058u

/* The 16-byte header of every PDU. */
struct smpp_header {
	uint32_t len;    /* command_length, the header included */
	uint32_t id;     /* command_id */
	uint32_t status; /* command_status */
	uint32_t seq;    /* sequence_number */
};

/*
 * Framing: whether the n bytes at buf begin with a whole PDU. Returns its
 * length (and fills *h) when it is all there, 0 when more bytes are needed
 * (fewer than SMPP_HEADER_LEN, or fewer than command_length), or -1 with a
 * reason when command_length is below SMPP_HEADER_LEN or above
 * SMPP_PDU_MAX (the link cannot be read any further).
 */
int smpp_frame(
    const uint8_t *buf, size_t n, struct smpp_header *h, struct buf *reason);

/* What a deliver_sm (or, later, a data_sm) carries. */
enum smpp_deliver_kind {
	SMPP_DELIVER_MO = 0,  /* a message from a phone */
	SMPP_DELIVER_RECEIPT, /* a delivery receipt (esm_class 0x04) */
};

/* A delivery receipt's outcome, as the gateway records it. */
enum smpp_receipt_state {
	SMPP_RECEIPT_SENT = 0,  /* ENROUTE, ACCEPTD, UNKNOWN: not final */
	SMPP_RECEIPT_DELIVERED, /* DELIVRD */
	SMPP_RECEIPT_FAILED,    /* UNDELIV, EXPIRED, DELETED, REJECTD */
};

/*
 * A decoded deliver_sm. For an MO message, text is this PDU's part as
 * UTF-8 (the UDH taken off); ref/total/part say which part of a
 * concatenated message it is (from the UDH, 8- or 16-bit reference, or the
 * SAR TLVs; total 1 and part 1 for a message in one piece). For a receipt,
 * id is the receipted message's id (receipted_message_id, else the text's
 * "id:"), state its outcome and error the "stat:"/"err:" words for a
 * failure ("UNDELIV err:001"), else empty.
 */
struct smpp_deliver {
	enum smpp_deliver_kind kind;
	char from[SMPP_ADDR_MAX]; /* source_addr */
	int from_ton;             /* source_addr_ton (1: international) */
	char to[SMPP_ADDR_MAX];   /* destination_addr */
	char *text;               /* MO: UTF-8, owned (smpp_deliver_free) */
	unsigned ref;             /* MO: the concatenation reference */
	unsigned total;           /* MO: parts in all, 1..255 */
	unsigned part;            /* MO: this part, 1..total */
	char id[SMPP_ID_MAX];     /* receipt: the receipted message's id */
	enum smpp_receipt_state state;
	char error[64]; /* receipt: why it failed, or "" */
};

/*
 * A decoded PDU that the ESME reads. Members apply to the command named in
 * h.id and are zero otherwise.
 */
struct smpp_pdu {
	struct smpp_header h;
	char system_id[16];           /* bind_*_resp: the SMSC's name */
	char message_id[SMPP_ID_MAX]; /* submit_sm_resp: the SMSC's id */
	struct smpp_deliver deliver;  /* deliver_sm */
};

/*
 * Decodes the whole PDU of len bytes at buf (as smpp_frame found it) into
 * *out. Any command_id is accepted with its header alone, except that the
 * bodies of bind_*_resp, submit_sm_resp and deliver_sm are decoded (with
 * a command_status other than ESME_ROK a resp's body is not read; with
 * ESME_ROK a missing body leaves system_id or message_id empty). Texts in
 * a data_coding other than 0, 1, 3 and 8 (and the GSM groups that name
 * the default alphabet or UCS-2) keep their printable ASCII; every byte
 * that cannot be read becomes U+FFFD. A receipt's text is read as ASCII
 * (unless it is UCS-2), as SMSCs write it whatever data_coding says.
 * Returns 0, or -1 with a reason when the body is malformed (the caller
 * answers a deliver_sm it cannot read with a deliver_sm_resp
 * ESME_RINVMSGLEN or a generic_nack, as the header allows). On -1,
 * out->h is still filled when the header could be read. The caller
 * releases out with smpp_pdu_free either way.
 */
int smpp_decode(
    const uint8_t *buf, size_t len, struct smpp_pdu *out, struct buf *reason);
void smpp_pdu_free(struct smpp_pdu *);

/* What the ESME binds with (from the channel's config). */
struct smpp_bind {
	const char *system_id;   /* at most 15 characters */
	const char *password;    /* at most 8 */
	const char *system_type; /* at most 12, may be "" */
};

/*
 * Appends a bind of command cmd (SMPP_BIND_TRANSCEIVER, _TRANSMITTER or
 * _RECEIVER) with sequence number seq, interface_version 0x34, ton/npi 0
 * and an empty address_range. Returns 0, or -1 when a field is too long
 * or out is full.
 */
int smpp_encode_bind(
    struct buf *out, uint32_t cmd, uint32_t seq, const struct smpp_bind *);

/*
 * Appends a PDU without a body, or with the empty message_id of a
 * deliver_sm_resp: enquire_link, enquire_link_resp, unbind, unbind_resp,
 * generic_nack, deliver_sm_resp (cmd picks; status as given). Returns 0,
 * or -1 when out is full or cmd is none of these.
 */
int smpp_encode_simple(
    struct buf *out, uint32_t cmd, uint32_t status, uint32_t seq);

/* How a message goes out (from the channel's config). */
struct smpp_submit {
	const char *source_addr; /* may be "" (the SMSC's default) */
	int source_ton, source_npi;
	const char *dest_addr; /* E.164 digits, without '+' */
	int dest_ton, dest_npi;
	int long_mode;           /* enum smpp_long (lib/channel.h) */
	unsigned ref;            /* concatenation reference, 0..255 */
	int registered_delivery; /* 1: ask for a receipt */
};

/*
 * Appends the submit_sm PDUs that carry text (UTF-8): GSM-7 (data_coding
 * 0) when every character is in the GSM alphabet, as gsm_count decides,
 * else UCS-2 (8). A text that fits one segment is one submit_sm with
 * short_message. A longer one follows s->long_mode: UDH, one submit_sm per
 * part (esm_class 0x40, a 6-byte header with the 8-bit reference s->ref,
 * 153 septets or 67 code units per part, never splitting an escape or a
 * surrogate pair); SAR, the same parts without a header but with
 * sar_msg_ref_num, sar_total_segments and sar_segment_seqnum; payload,
 * one submit_sm with the whole text in message_payload and an empty
 * short_message. Sequence numbers start at *seq and *seq is left past the
 * last one used (wrapping from SMPP_SEQ_MAX to 1). Returns the number of
 * PDUs appended (1..SMPP_PARTS_MAX), or -1 with a reason when the text is
 * not valid UTF-8, is over SMPP_TEXT_MAX bytes, needs more than
 * SMPP_PARTS_MAX parts, an address is too long, a ton or npi is one SMPP
 * 3.4 reserves, or out is full (out may then hold part of it; the caller
 * resets it).
 */
int smpp_encode_submit(struct buf *out, const struct smpp_submit *s,
    const char *text, uint32_t *seq, struct buf *reason);

/* Releases what d holds (its text) and zeroes it. */
void smpp_deliver_free(struct smpp_deliver *d);

/*
 * The name of a command_status for logs and stored errors: a static string
 * ("ESME_RTHROTTLED") for the statuses SMPP 3.4 names, else buf filled
 * with "0x00000400".
 */
const char *smpp_status_name(uint32_t status, char buf[16]);

#endif
