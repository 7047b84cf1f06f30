/*
 * fake_smsc.c: a fake SMPP 3.4 SMSC for integration tests and benchmarks,
 * after Kannel's test/drive_smpp.c and tests/fake_provider.c here.
 *
 *   fake_smsc --port-file FILE [--control-port-file FILE2] [--log FILE]
 *       [--system-id ID --password PW]
 *
 * It listens for ESMEs on 127.0.0.1 (a free port, written to FILE through a
 * temporary file and a rename once it listens) and serves an HTTP control
 * API on another free port of 127.0.0.1 (written to FILE2 likewise). PDUs
 * are decoded and encoded with libsmpp34, not with the gateway's codec, so
 * that the two check each other; the framing (the 16-byte header, 16 <=
 * command_length <= 64 KiB) is checked here before libsmpp34 sees a byte.
 *
 * SMPP side. At most 64 ESME connections (more are closed at accept).
 * bind_transmitter, bind_receiver and bind_transceiver are answered with
 * their *_resp and system_id "fakesmsc"; with --system-id and --password a
 * wrong system_id gets ESME_RINVSYSID and a wrong password ESME_RINVPASWD.
 * Before a bind, anything but a bind or enquire_link gets its resp with
 * ESME_RINVBNDSTS; a second bind gets ESME_RALYBND; submit_sm on a receiver
 * bind gets ESME_RINVBNDSTS. enquire_link gets enquire_link_resp (in any
 * state); unbind gets unbind_resp and the connection closes; a received
 * generic_nack is logged; an unknown command_id, or one this fake does not
 * serve (query_sm, cancel_sm, replace_sm, submit_multi, data_sm, ...),
 * gets generic_nack ESME_RINVCMDID; a request whose body libsmpp34 cannot
 * decode gets generic_nack ESME_RSYSERR and is logged ("decode_error", with
 * libsmpp34's reason) and counted; a command_length out of bounds closes the
 * connection ("bad_length"). A connection that does not read what it is
 * sent (16 MiB waiting) is closed.
 *
 * submit_sm is answered with submit_sm_resp and a message id (a decimal
 * counter, or with "id_format": "hex" 8 upper-case hex digits) in the mode
 * in force, and logged as one JSON line (event "submit_sm"): time_ms, conn,
 * seq, service_type, source_addr, source_ton, source_npi, destination_addr,
 * dest_ton, dest_npi, esm_class, protocol_id, data_coding,
 * registered_delivery, sm_length, short_message (hex), text (the user data
 * after any UDH, decoded: data_coding 0 as GSM 03.38 unpacked septets, 8 as
 * UTF-16BE with surrogate pairs, 1 and 3 as ASCII and Latin-1, else null),
 * udh {hex, ref, total, part} when esm_class has 0x40, sar {ref, total,
 * part} when the SAR TLVs are present, message_payload (hex) and
 * message_payload_text when that TLV is present, status (the command_status
 * answered), id (null on an error) and mode. Concatenated parts (UDH 8- or
 * 16-bit reference, or SAR) answered OK are joined: once all parts of a
 * message are in, a line {"event": "joined", "joined": TEXT, "from": ...,
 * "to": ..., "parts": N, "ref": R} follows (the parts' user data is joined
 * before decoding, so a character split over parts survives). Other lines:
 * "bind", "bind_failed", "unbind", "generic_nack", "decode_error",
 * "bad_length", "unknown_command", "deliver_sm" (what this fake sent),
 * "deliver_sm_resp", "connect", "close".
 *
 * Control (HTTP, JSON answers; errors are 4xx {"error": "..."}):
 *   GET /_stats: connections (open now), connections_total, refused,
 *     binds {transmitter, receiver, transceiver}, bind_failures, submits,
 *     submit_resp {"0xSTATUS": n}, joined, receipts_sent, mo_sent (messages)
 *     and mo_parts_sent (deliver_sm), deliver_sm_resp {"0xSTATUS": n},
 *     deliver_sm_unacked (deliver_sm sent on open connections and not yet
 *     answered), unacked_seqs (the first 100 of them), deliver_sm_lost
 *     (unanswered when their connection closed), deliver_sm_resp_unknown,
 *     enquire_links, unbinds, generic_nacks_received, generic_nacks_sent,
 *     decode_errors, bad_length, plus the /_control settings.
 *   GET /_control: the settings. POST /_control {"mode": "ok" | "throttle"
 *     | "msgqful" | "fail", "count": N, "status": NUM, "resp_delay_ms": D,
 *     "id_format": "dec" | "hex"} (every key optional): the next N submit_sm
 *     (all of them without count) are answered ESME_RTHROTTLED (0x58),
 *     ESME_RMSGQFUL (0x14) or status (fail; default ESME_RSUBMITFAIL 0x45;
 *     status also overrides the other two) instead of OK; submit_sm_resp
 *     waits D ms (0..600000) when D is set.
 *   POST /_mo {"from": ..., "to": ..., "text": ..., "coding": "gsm" |
 *     "ucs2", "parts": "none" | "udh" | "sar" | "payload"} (defaults gsm
 *     and udh): sends the text as MO deliver_sm (data_coding 0 or 8,
 *     registered_delivery 0) to the oldest bound receiver or transceiver,
 *     split into parts of 153 septets / 67 UTF-16 units when it does not
 *     fit one (160 / 70) and parts is udh or sar (none refuses a text that
 *     does not fit;
 *     payload sends one deliver_sm with message_payload, at most 1024
 *     octets). A "+" address is sent TON 1 NPI 1 without the "+", digits TON
 *     0 NPI 1, anything else TON 5 NPI 0 (from_ton, from_npi, to_ton, to_npi
 *     override). Answers {"conn": ID, "seqs": [...], "parts": N}; 409 when no
 *     receiver is bound; 400 for GSM text with characters outside GSM 03.38.
 *   POST /_receipt {"id": ID, "stat": "DELIVRD", "err": "000", "tlvs":
 *     true}: sends a delivery receipt for the submitted message ID (from its
 *     destination to its source, on its own connection when that can receive,
 *     else the oldest receiver): esm_class 0x04, text "id:ID sub:001
 *     dlvrd:001 submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:STAT err:ERR
 *     text:FIRST20" (UTC; dlvrd 000 unless DELIVRD) and, unless tlvs is
 *     false, receipted_message_id and message_state. Answers {"conn", "seq"};
 *     404 for an ID it does not remember (the last 32768 submits), 409
 *     without a receiver.
 *   POST /_auto_receipts {"on": true, "stat": "DELIVRD", "err": "000"}: from
 *     now on every submit_sm answered OK that asks for one
 *     (registered_delivery & 3) gets a receipt right after its resp.
 *   POST /_drop: closes every ESME connection at once (the SMSC restarts;
 *     it keeps listening). Answers {"dropped": N}.
 *   POST /_down {"on": true}: closes new connections at accept until
 *     {"on": false}; "on" alone does not drop the open ones.
 *   POST /_reset: zeroes the counters, forgets parts waiting to be joined,
 *     returns to mode ok without delay (message ids keep counting).
 *
 * MO and receipts: deliver_sm sequence numbers come from one counter for
 * the whole fake; each deliver_sm_resp is matched by sequence number and
 * connection and counted by status, which lets a test see how many are
 * still unanswered (the gateway answers only after its commit).
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <smpp34.h>
/* smpp34_params.h needs the types of smpp34_structs.h. */
#include <smpp34_structs.h>
#include <smpp34_params.h>
#include <uv.h>

#include "lib/http.h"
#include "lib/log.h"
#include "lib/util.h"

/* ESME connections at once; more are closed at accept. */
#define CONN_MAX 64
/* The largest PDU accepted (command_length). */
#define PDU_MAX (64 * 1024)
/* The header every PDU starts with. */
#define HDR_LEN 16
/* Read buffer per connection: one whole PDU plus one read. */
#define RBUF_SIZE (PDU_MAX + 16 * 1024)
/* Bytes waiting to be written before a connection is dropped. */
#define WRITE_MAX (16 * 1024 * 1024)
/* Submitted messages remembered for receipts. */
#define SUB_RING 32768
/* deliver_sm awaiting their resp that are tracked. */
#define OUT_RING 65536
/* Messages being joined at once; the oldest goes when full. */
#define JOIN_MAX 1024
/* submit_sm_resp held by resp_delay_ms per connection; more go at once. */
#define DELAYED_MAX 100000
/* The longest resp_delay_ms. */
#define DELAY_MAX_MS (10 * 60 * 1000)
/* Bytes of an encoded PDU this fake sends. */
#define OUT_PDU_MAX 4096
/* Sequence numbers of unanswered deliver_sm listed in /_stats. */
#define UNACKED_LIST_MAX 100
/* message_payload octets libsmpp34 handles. */
#define PAYLOAD_MAX 1024

enum bind_state {
	ST_OPEN,
	ST_TX,
	ST_RX,
	ST_TRX,
};

static const char *const bind_names[] = {
    "open", "transmitter", "receiver", "transceiver"};

enum mode {
	MODE_OK,
	MODE_THROTTLE,
	MODE_MSGQFUL,
	MODE_FAIL,
};

static const char *const mode_names[] = {"ok", "throttle", "msgqful", "fail"};

struct smsc;
struct conn;

/* A submit_sm_resp (and maybe a receipt) held by resp_delay_ms. */
struct delayed {
	uv_timer_t timer;           /* fires after the delay */
	struct conn *conn;          /* owner */
	uint8_t *pdu;               /* the encoded resp, owned */
	size_t len;                 /* its bytes */
	uint64_t receipt;           /* submit number to send a receipt for */
	TAILQ_ENTRY(delayed) entry; /* in conn->delayed */
};

/* One ESME connection. */
struct conn {
	uv_tcp_t tcp;                  /* the socket */
	struct smsc *smsc;             /* owner */
	TAILQ_ENTRY(conn) entry;       /* in smsc->conns */
	uint64_t id;                   /* 1, 2, ... never reused */
	enum bind_state state;         /* bound as */
	char system_id[16];            /* the bind's */
	uint8_t *rbuf;                 /* RBUF_SIZE bytes */
	size_t rlen;                   /* bytes in rbuf */
	TAILQ_HEAD(, delayed) delayed; /* held answers */
	unsigned ndelayed;             /* entries in delayed */
	uint64_t unacked;              /* deliver_sm awaiting their resp */
	int nhandles;                  /* handles not yet closed */
	int closing;                   /* being closed */
};

/* A submitted message, remembered for receipts. */
struct sub {
	uint64_t n;        /* submit number, 0: free */
	uint64_t conn;     /* the connection it came on */
	char id[24];       /* the message id answered */
	char src[21];      /* source_addr */
	char dst[21];      /* destination_addr */
	uint8_t src_ton;   /* its TON and NPI */
	uint8_t src_npi;   /* ... */
	uint8_t dst_ton;   /* ... */
	uint8_t dst_npi;   /* ... */
	uint8_t regdel;    /* registered_delivery */
	int64_t time_ms;   /* when it came */
	char text[21 * 4]; /* its first 20 characters, UTF-8 */
};

/* A deliver_sm awaiting its resp. */
struct out {
	uint32_t seq;  /* 0: free */
	uint64_t conn; /* sent on */
	int receipt;   /* a receipt, else MO */
};

/* The parts of a concatenated message seen so far. */
struct join {
	char src[21];            /* source_addr */
	char dst[21];            /* destination_addr */
	unsigned ref;            /* reference number */
	unsigned total;          /* parts */
	int sar;                 /* SAR TLVs, else UDH */
	uint8_t dc;              /* data_coding of the first part */
	unsigned have;           /* parts in */
	uint8_t *part[256];      /* user data of part i, owned */
	size_t len[256];         /* its bytes */
	TAILQ_ENTRY(join) entry; /* in smsc->joins, oldest first */
};

struct smsc {
	uv_loop_t *loop;               /* the default loop */
	uv_tcp_t listener;             /* SMPP */
	struct http_server srv;        /* control */
	uv_signal_t sigterm;           /* clean exit */
	uv_signal_t sigint;            /* clean exit */
	int stopping;                  /* a signal came */
	FILE *log;                     /* JSON lines or NULL */
	const char *system_id;         /* required, or NULL for any */
	const char *password;          /* required, or NULL for any */
	TAILQ_HEAD(, conn) conns;      /* open connections, oldest first */
	unsigned nconns;               /* entries in conns */
	uint64_t next_conn;            /* connection ids */
	enum mode mode;                /* for submit_sm */
	int64_t count;                 /* submits left in mode, -1: no end */
	uint32_t status;               /* answered in a mode other than ok */
	uint64_t resp_delay_ms;        /* before submit_sm_resp */
	int id_hex;                    /* ids as hex */
	int down;                      /* close new connections */
	int auto_receipts;             /* a receipt after every OK submit */
	char auto_stat[8];             /* its stat */
	char auto_err[4];              /* its err */
	uint64_t nsub;                 /* submits answered OK, never reset */
	uint32_t next_seq;             /* deliver_sm sequence numbers */
	unsigned next_ref;             /* MO concatenation references */
	struct sub *subs;              /* SUB_RING entries */
	struct out *outs;              /* OUT_RING entries */
	TAILQ_HEAD(, join) joins;      /* being joined, oldest first */
	unsigned njoins;               /* entries in joins */
	uint8_t scratch[PDU_MAX + 64]; /* one PDU with a zero tail */
	/* Counters, zeroed by /_reset. */
	uint64_t connections_total, refused, bind_failures, submits;
	uint64_t binds[4], joined, joins_evicted, receipts_sent, mo_sent;
	uint64_t mo_parts_sent, deliver_sm_lost, deliver_sm_resp_unknown;
	uint64_t enquire_links, unbinds, nacks_received, nacks_sent;
	uint64_t decode_errors, bad_length, log_errors;
	json_t *submit_resp;  /* "0xSTATUS" -> count */
	json_t *deliver_resp; /* "0xSTATUS" -> count */
};

static void conn_close(struct conn *);
static void send_receipt_for(struct smsc *, uint64_t n, struct conn *);

/*
 * Small helpers
 */

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* A JSON string of len bytes of s; bytes that are not UTF-8 become '?'. */
static json_t *
jstr(const char *s, size_t len)
{
	json_t *j = json_stringn(s, len);
	char *copy;
	size_t i;

	if (j != NULL)
		return j;
	copy = xmalloc(len + 1);
	memcpy(copy, s, len);
	copy[len] = '\0';
	for (i = 0; i < len; i++)
		if ((unsigned char)copy[i] >= 0x80 || copy[i] == '\0')
			copy[i] = '?';
	j = json_stringn(copy, len);
	free(copy);
	return j != NULL ? j : json_string("");
}

/* A C-octet string of libsmpp34's struct, at most max bytes. */
static json_t *
jcstr(const uint8_t *s, size_t max)
{
	return jstr((const char *)s, strnlen((const char *)s, max));
}

static json_t *
jhex(const uint8_t *p, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	char *s = xmalloc(len * 2 + 1);
	json_t *j;
	size_t i;

	for (i = 0; i < len; i++) {
		s[2 * i] = digits[p[i] >> 4];
		s[2 * i + 1] = digits[p[i] & 15];
	}
	s[2 * len] = '\0';
	j = json_string(s);
	free(s);
	return j;
}

static void
status_key(char *key, size_t size, uint32_t status)
{
	snprintf(key, size, "0x%08X", (unsigned)status);
}

static void
count_status(json_t *obj, uint32_t status)
{
	char key[16];
	json_t *v;

	status_key(key, sizeof(key), status);
	if ((v = json_object_get(obj, key)) != NULL)
		json_integer_set(v, json_integer_value(v) + 1);
	else if (json_object_size(obj) < 256)
		json_object_set_new(obj, key, json_integer(1));
}

/* Writes one JSON line to the log (and takes line). */
static void
log_line(struct smsc *f, json_t *line)
{
	char *s;

	if (f->log == NULL || line == NULL) {
		json_decref(line);
		return;
	}
	s = json_dumps(line, JSON_COMPACT);
	json_decref(line);
	if (s == NULL)
		return;
	if (fputs(s, f->log) == EOF || fputc('\n', f->log) == EOF ||
	    fflush(f->log) == EOF)
		f->log_errors++;
	free(s);
}

/* A new log line with event, time_ms and conn. */
static json_t *
line_new(const char *event, const struct conn *c)
{
	return json_pack("{s:s, s:I, s:I}", "event", event, "time_ms",
	    (json_int_t)now_ms(), "conn", (json_int_t)(c != NULL ? c->id : 0));
}

/*
 * Text: GSM 03.38 (unpacked, one septet an octet), UTF-16BE, UTF-8
 */

/* GSM 03.38 default alphabet. */
static const uint16_t gsm_basic[128] = {0x40, 0xA3, 0x24, 0xA5, 0xE8, 0xE9,
    0xF9, 0xEC, 0xF2, 0xC7, 0x0A, 0xD8, 0xF8, 0x0D, 0xC5, 0xE5, 0x394, 0x5F,
    0x3A6, 0x393, 0x39B, 0x3A9, 0x3A0, 0x3A8, 0x3A3, 0x398, 0x39E, 0x1B, 0xC6,
    0xE6, 0xDF, 0xC9, 0x20, 0x21, 0x22, 0x23, 0xA4, 0x25, 0x26, 0x27, 0x28,
    0x29, 0x2A, 0x2B, 0x2C, 0x2D, 0x2E, 0x2F, 0x30, 0x31, 0x32, 0x33, 0x34,
    0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E, 0x3F, 0xA1,
    0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4A, 0x4B, 0x4C,
    0x4D, 0x4E, 0x4F, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58,
    0x59, 0x5A, 0xC4, 0xD6, 0xD1, 0xDC, 0xA7, 0xBF, 0x61, 0x62, 0x63, 0x64,
    0x65, 0x66, 0x67, 0x68, 0x69, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F, 0x70,
    0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0xE4, 0xF6,
    0xF1, 0xFC, 0xE0};

/* GSM 03.38 extension table (after 0x1B). */
static const struct {
	uint8_t septet;
	uint16_t cp;
} gsm_ext[] = {{0x0A, 0x0C}, {0x14, 0x5E}, {0x28, 0x7B}, {0x29, 0x7D},
    {0x2F, 0x5C}, {0x3C, 0x5B}, {0x3D, 0x7E}, {0x3E, 0x5D}, {0x40, 0x7C},
    {0x65, 0x20AC}};

static void
utf8_put(struct buf *b, uint32_t cp)
{
	char s[4];

	if (cp >= 0xD800 && cp <= 0xDFFF)
		cp = 0xFFFD;
	if (cp < 0x80) {
		s[0] = (char)cp;
		buf_append(b, s, 1);
	} else if (cp < 0x800) {
		s[0] = (char)(0xC0 | cp >> 6);
		s[1] = (char)(0x80 | (cp & 0x3F));
		buf_append(b, s, 2);
	} else if (cp < 0x10000) {
		s[0] = (char)(0xE0 | cp >> 12);
		s[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		s[2] = (char)(0x80 | (cp & 0x3F));
		buf_append(b, s, 3);
	} else {
		s[0] = (char)(0xF0 | cp >> 18);
		s[1] = (char)(0x80 | (cp >> 12 & 0x3F));
		s[2] = (char)(0x80 | (cp >> 6 & 0x3F));
		s[3] = (char)(0x80 | (cp & 0x3F));
		buf_append(b, s, 4);
	}
}

/*
 * The next code point of the valid UTF-8 text s (as jansson hands out);
 * advances *i.
 */
static uint32_t
utf8_next(const char *s, size_t len, size_t *i)
{
	const uint8_t *p = (const uint8_t *)s + *i;
	size_t n = len - *i;

	if (p[0] < 0x80 || n < 2) {
		*i += 1;
		return p[0];
	}
	if (p[0] < 0xE0) {
		*i += 2;
		return (uint32_t)(p[0] & 0x1F) << 6 | (p[1] & 0x3F);
	}
	if (p[0] < 0xF0 || n < 4) {
		*i += n < 3 ? n : 3;
		return n < 3 ? 0xFFFD
			     : (uint32_t)(p[0] & 0x0F) << 12 |
				   (uint32_t)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
	}
	*i += 4;
	return (uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3F) << 12 |
	       (uint32_t)(p[2] & 0x3F) << 6 | (p[3] & 0x3F);
}

/* Decodes user data of data_coding dc; NULL (JSON null) when not text. */
static json_t *
decode_text(uint8_t dc, const uint8_t *p, size_t len)
{
	struct buf b;
	json_t *j;
	size_t i, k;
	uint32_t u, lo;

	buf_init(&b, 8 * len + 16);
	switch (dc) {
	case 0:
		for (i = 0; i < len; i++) {
			if (p[i] >= 0x80) {
				utf8_put(&b, 0xFFFD);
			} else if (p[i] != 0x1B) {
				utf8_put(&b, gsm_basic[p[i]]);
			} else if (i + 1 < len) {
				i++;
				u = 0xFFFD;
				for (k = 0; k < nitems(gsm_ext); k++)
					if (gsm_ext[k].septet == p[i])
						u = gsm_ext[k].cp;
				utf8_put(&b, u);
			}
		}
		break;
	case 1:
	case 3:
		for (i = 0; i < len; i++)
			utf8_put(&b, dc == 1 && p[i] >= 0x80 ? 0xFFFD : p[i]);
		break;
	case 8:
		for (i = 0; i + 1 < len; i += 2) {
			u = (uint32_t)p[i] << 8 | p[i + 1];
			if (u >= 0xD800 && u <= 0xDBFF && i + 3 < len) {
				lo = (uint32_t)p[i + 2] << 8 | p[i + 3];
				if (lo >= 0xDC00 && lo <= 0xDFFF) {
					u = 0x10000 + ((u - 0xD800) << 10) +
					    (lo - 0xDC00);
					i += 2;
				}
			}
			utf8_put(&b, u);
		}
		if (len % 2 != 0)
			utf8_put(&b, 0xFFFD);
		break;
	default:
		buf_free(&b);
		return json_null();
	}
	j = jstr(b.data != NULL ? b.data : "", b.len);
	buf_free(&b);
	return j;
}

/*
 * Appends the GSM septets (one an octet) of code point cp to b; returns
 * how many (1 or 2), or 0 when cp is not in GSM 03.38.
 */
static int
gsm_put(struct buf *b, uint32_t cp)
{
	uint8_t s[2];
	size_t k;

	for (k = 0; k < 128; k++)
		if (gsm_basic[k] == cp && k != 0x1B) {
			s[0] = (uint8_t)k;
			buf_append(b, s, 1);
			return 1;
		}
	for (k = 0; k < nitems(gsm_ext); k++)
		if (gsm_ext[k].cp == cp) {
			s[0] = 0x1B;
			s[1] = gsm_ext[k].septet;
			buf_append(b, s, 2);
			return 2;
		}
	return 0;
}

/* Appends UTF-16BE of cp to b; returns the units (1 or 2). */
static int
ucs2_put(struct buf *b, uint32_t cp)
{
	uint8_t s[4];
	uint32_t v;

	if (cp < 0x10000) {
		s[0] = (uint8_t)(cp >> 8);
		s[1] = (uint8_t)cp;
		buf_append(b, s, 2);
		return 1;
	}
	v = cp - 0x10000;
	s[0] = (uint8_t)((0xD800 + (v >> 10)) >> 8);
	s[1] = (uint8_t)(0xD800 + (v >> 10));
	s[2] = (uint8_t)((0xDC00 + (v & 0x3FF)) >> 8);
	s[3] = (uint8_t)(0xDC00 + (v & 0x3FF));
	buf_append(b, s, 4);
	return 2;
}

/*
 * PDUs out
 */

struct wreq {
	uv_write_t req; /* the write */
	uint8_t data[]; /* its bytes */
};

static void
on_write(uv_write_t *req, int status)
{
	struct wreq *w = container_of(req, struct wreq, req);
	struct conn *c = req->handle->data;

	free(w);
	if (status < 0 && !c->closing) {
		log_warn("smsc", "write conn=%llu error=%s",
		    (unsigned long long)c->id, uv_strerror(status));
		conn_close(c);
	}
}

/* Queues len bytes of pdu on c. */
static void
conn_write(struct conn *c, const uint8_t *pdu, size_t len)
{
	struct wreq *w;
	uv_buf_t b;

	if (c->closing)
		return;
	if (uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) >
	    WRITE_MAX) {
		log_warn("smsc", "conn=%llu does not read: closed",
		    (unsigned long long)c->id);
		conn_close(c);
		return;
	}
	w = xmalloc(sizeof(*w) + len);
	memcpy(w->data, pdu, len);
	b = uv_buf_init((char *)w->data, (unsigned)len);
	if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_write) != 0) {
		free(w);
		conn_close(c);
	}
}

/*
 * Encodes pdu (libsmpp34's struct of type, its header zeroed) into out with
 * command_status status and sequence_number seq. libsmpp34 refuses a status
 * it does not list and sequence number 0, so those are encoded as
 * ESME_RUNKNOWNERR and 1 and then written over. Returns the length, or 0
 * when libsmpp34 refuses the PDU.
 */
static size_t
pdu_pack(uint32_t type, void *pdu, uint32_t status, uint32_t seq, uint8_t *out,
    size_t size)
{
	uint32_t *hdr = pdu;
	char name[SMALL_BUFF];
	int len = 0;

	str_command_status(status, name);
	hdr[0] = 0;
	hdr[1] = type;
	hdr[2] = name[0] != '\0' ? status : ESME_RUNKNOWNERR;
	hdr[3] = seq != 0 ? seq : 1;
	if (smpp34_pack(type, out, (int)size, &len, pdu) != 0 ||
	    len < HDR_LEN) {
		log_warn("smsc", "libsmpp34 cannot encode 0x%08X: %s",
		    (unsigned)type, smpp34_strerror);
		return 0;
	}
	put_be32(out + 8, status);
	put_be32(out + 12, seq);
	return (size_t)len;
}

/*
 * Sends a PDU with an empty body (generic_nack, enquire_link_resp, or an
 * error resp). libsmpp34 reads the body fields of the resp's struct even
 * when it leaves them out, so the struct is the largest of them.
 */
static void
send_header(struct conn *c, uint32_t type, uint32_t status, uint32_t seq)
{
	union {
		struct generic_nack_t g;
		struct submit_sm_resp_t s;
		struct deliver_sm_resp_t d;
		struct bind_transmitter_resp_t b;
	} u;
	uint8_t out[256];
	size_t len;

	memset(&u, 0, sizeof(u));
	if ((len = pdu_pack(type, &u, status, seq, out, sizeof(out))) > 0)
		conn_write(c, out, len);
}

static void
send_nack(struct conn *c, uint32_t status, uint32_t seq)
{
	c->smsc->nacks_sent++;
	send_header(c, GENERIC_NACK, status, seq);
}

/*
 * Connections
 */

/* Forgets the deliver_sm of c awaiting their resp. */
static void
outs_forget(struct smsc *f, struct conn *c)
{
	size_t i;

	if (c->unacked == 0)
		return;
	for (i = 0; i < OUT_RING; i++)
		if (f->outs[i].seq != 0 && f->outs[i].conn == c->id) {
			f->outs[i].seq = 0;
			f->deliver_sm_lost++;
		}
	c->unacked = 0;
}

static void
conn_release(struct conn *c)
{
	if (--c->nhandles > 0)
		return;
	free(c->rbuf);
	free(c);
}

static void
on_delayed_close(uv_handle_t *h)
{
	struct delayed *d = container_of(h, struct delayed, timer);
	struct conn *c = d->conn;

	free(d->pdu);
	free(d);
	conn_release(c);
}

static void
on_conn_close(uv_handle_t *h)
{
	conn_release(h->data);
}

static void
conn_close(struct conn *c)
{
	struct smsc *f = c->smsc;
	struct delayed *d;

	if (c->closing)
		return;
	c->closing = 1;
	while ((d = TAILQ_FIRST(&c->delayed)) != NULL) {
		TAILQ_REMOVE(&c->delayed, d, entry);
		uv_close((uv_handle_t *)&d->timer, on_delayed_close);
	}
	c->ndelayed = 0;
	outs_forget(f, c);
	TAILQ_REMOVE(&f->conns, c, entry);
	f->nconns--;
	log_line(f, line_new("close", c));
	uv_close((uv_handle_t *)&c->tcp, on_conn_close);
}

/* The oldest open connection bound to receive, or NULL. */
static struct conn *
receiver(struct smsc *f)
{
	struct conn *c;

	TAILQ_FOREACH(c, &f->conns, entry)
	if (c->state == ST_RX || c->state == ST_TRX)
		return c;
	return NULL;
}

static struct conn *
conn_by_id(struct smsc *f, uint64_t id)
{
	struct conn *c;

	TAILQ_FOREACH(c, &f->conns, entry)
	if (c->id == id)
		return c;
	return NULL;
}

/*
 * deliver_sm out: MO and receipts
 */

/*
 * Encodes and sends d (a deliver_sm, tlvs attached) on c with the next
 * sequence number and remembers it; returns that number, or 0.
 */
static uint32_t
send_deliver(
    struct smsc *f, struct conn *c, struct deliver_sm_t *d, int receipt)
{
	uint8_t out[OUT_PDU_MAX];
	struct out *o;
	json_t *line;
	uint32_t seq;
	size_t len;

	if (++f->next_seq > 0x7FFFFFFF)
		f->next_seq = 1;
	seq = f->next_seq;
	len = pdu_pack(DELIVER_SM, d, ESME_ROK, seq, out, sizeof(out));
	if (len == 0)
		return 0;
	conn_write(c, out, len);
	if (c->closing)
		return 0;
	o = &f->outs[seq % OUT_RING];
	if (o->seq != 0) {
		/* A very old one is forgotten. */
		struct conn *old = conn_by_id(f, o->conn);

		if (old != NULL && old->unacked > 0)
			old->unacked--;
		f->deliver_sm_lost++;
	}
	o->seq = seq;
	o->conn = c->id;
	o->receipt = receipt;
	c->unacked++;
	line = line_new("deliver_sm", c);
	json_object_set_new(line, "seq", json_integer(seq));
	json_object_set_new(
	    line, "kind", json_string(receipt ? "receipt" : "mo"));
	json_object_set_new(line, "source_addr", jcstr(d->source_addr, 21));
	json_object_set_new(
	    line, "destination_addr", jcstr(d->destination_addr, 21));
	json_object_set_new(line, "esm_class", json_integer(d->esm_class));
	json_object_set_new(line, "data_coding", json_integer(d->data_coding));
	json_object_set_new(
	    line, "short_message", jhex(d->short_message, d->sm_length));
	log_line(f, line);
	return seq;
}

/* Adds a TLV to *list (libsmpp34 copies it onto the heap). */
static void
tlv_add8(tlv_t **list, uint16_t tag, uint8_t v)
{
	tlv_t t;

	memset(&t, 0, sizeof(t));
	t.tag = tag;
	t.length = 1;
	t.value.val08 = v;
	build_tlv(list, &t);
}

static void
tlv_add16(tlv_t **list, uint16_t tag, uint16_t v)
{
	tlv_t t;

	memset(&t, 0, sizeof(t));
	t.tag = tag;
	t.length = 2;
	t.value.val16 = v;
	build_tlv(list, &t);
}

static void
tlv_addn(tlv_t **list, uint16_t tag, const void *p, size_t len)
{
	tlv_t t;

	memset(&t, 0, sizeof(t));
	t.tag = tag;
	t.length = (uint16_t)len;
	memcpy(t.value.octet, p, len);
	build_tlv(list, &t);
}

/* The SMPP address of s: "+" international, digits unknown, else alpha. */
static void
address_of(const char *s, uint8_t *addr, uint8_t *ton, uint8_t *npi)
{
	if (s[0] == '+') {
		*ton = 1;
		*npi = 1;
		s++;
	} else if (s[0] != '\0' && strspn(s, "0123456789") == strlen(s)) {
		*ton = 0;
		*npi = 1;
	} else {
		*ton = 5;
		*npi = 0;
	}
	snprintf((char *)addr, 21, "%s", s);
}

/* True when s fits an address field once a leading "+" is gone. */
static int
addr_ok(const char *s)
{
	return strlen(s[0] == '+' ? s + 1 : s) <= 20;
}

static const struct {
	const char *stat;
	uint8_t state;
} stats_states[] = {{"ENROUTE", 1}, {"DELIVRD", 2}, {"EXPIRED", 3},
    {"DELETED", 4}, {"UNDELIV", 5}, {"ACCEPTD", 6}, {"UNKNOWN", 7},
    {"REJECTD", 8}};

static uint8_t
message_state(const char *stat)
{
	size_t i;

	for (i = 0; i < nitems(stats_states); i++)
		if (strcmp(stats_states[i].stat, stat) == 0)
			return stats_states[i].state;
	return 7;
}

static void
yymmddhhmm(int64_t ms, char *out, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, size, "%y%m%d%H%M", &tm);
}

/*
 * Sends the receipt of submit s on c; returns the sequence number, or 0.
 */
static uint32_t
send_receipt(struct smsc *f, struct conn *c, const struct sub *s,
    const char *stat, const char *err, int tlvs)
{
	struct deliver_sm_t d;
	char sub_date[16], done_date[16], text[200];
	tlv_t *list = NULL;
	uint32_t seq;
	int n;

	memset(&d, 0, sizeof(d));
	snprintf((char *)d.source_addr, sizeof(d.source_addr), "%s", s->dst);
	d.source_addr_ton = s->dst_ton;
	d.source_addr_npi = s->dst_npi;
	snprintf((char *)d.destination_addr, sizeof(d.destination_addr), "%s",
	    s->src);
	d.dest_addr_ton = s->src_ton;
	d.dest_addr_npi = s->src_npi;
	d.esm_class = SMPP34_DELIVERY_RECEIPT;
	yymmddhhmm(s->time_ms, sub_date, sizeof(sub_date));
	yymmddhhmm(now_ms(), done_date, sizeof(done_date));
	n = snprintf(text, sizeof(text),
	    "id:%s sub:001 dlvrd:%s submit date:%s done date:%s stat:%s "
	    "err:%s text:%s",
	    s->id, strcmp(stat, "DELIVRD") == 0 ? "001" : "000", sub_date,
	    done_date, stat, err, s->text);
	if (n < 0 || (size_t)n >= sizeof(text))
		n = (int)sizeof(text) - 1;
	d.sm_length = (uint8_t)n;
	memcpy(d.short_message, text, (size_t)n);
	if (tlvs) {
		tlv_addn(&list, TLVID_receipted_message_id, s->id,
		    strlen(s->id) + 1);
		tlv_add8(&list, TLVID_message_state, message_state(stat));
	}
	d.tlv = list;
	seq = send_deliver(f, c, &d, 1);
	destroy_tlv(list);
	if (seq != 0)
		f->receipts_sent++;
	return seq;
}

/* The remembered submit whose id is id, or NULL. */
static struct sub *
sub_find(struct smsc *f, const char *id)
{
	unsigned long long v;
	struct sub *s;
	char *end;
	int base;

	for (base = 10; base <= 16; base += 6) {
		errno = 0;
		v = strtoull(id, &end, base);
		if (errno != 0 || *end != '\0' || end == id)
			continue;
		s = &f->subs[v % SUB_RING];
		if (s->n == v && strcmp(s->id, id) == 0)
			return s;
	}
	return NULL;
}

/* The automatic receipt of submit number n, after its resp went to c. */
static void
send_receipt_for(struct smsc *f, uint64_t n, struct conn *c)
{
	struct sub *s = &f->subs[n % SUB_RING];
	struct conn *to;

	if (!f->auto_receipts || s->n != n || (s->regdel & 3) == 0)
		return;
	to = (c->state == ST_TRX && !c->closing) ? c : receiver(f);
	if (to != NULL)
		send_receipt(f, to, s, f->auto_stat, f->auto_err, 1);
}

/*
 * PDUs in
 */

/*
 * Decodes the PDU p of len bytes (its header checked) into pdu with
 * libsmpp34; on failure logs, counts, answers a request generic_nack
 * ESME_RSYSERR and returns -1. p lies in f->scratch with zero bytes after
 * it, so libsmpp34's unbounded strlen stops there.
 */
static int
decode(struct conn *c, uint32_t type, void *pdu, const uint8_t *p, size_t len)
{
	struct smsc *f = c->smsc;
	json_t *line;

	if (smpp34_unpack(type, pdu, p, (int)len) == 0)
		return 0;
	f->decode_errors++;
	line = line_new("decode_error", c);
	json_object_set_new(line, "command_id", json_integer(type));
	json_object_set_new(line, "seq", json_integer(be32(p + 12)));
	json_object_set_new(line, "error",
	    jstr(smpp34_strerror, strnlen(smpp34_strerror, 512)));
	json_object_set_new(line, "pdu", jhex(p, len < 512 ? len : 512));
	log_line(f, line);
	if ((type & 0x80000000) == 0)
		send_nack(c, ESME_RSYSERR, be32(p + 12));
	return -1;
}

static void
handle_bind(struct conn *c, uint32_t type, const uint8_t *p, size_t len)
{
	struct smsc *f = c->smsc;
	struct bind_transmitter_t b; /* the three binds share one layout */
	struct bind_transmitter_resp_t r;
	uint8_t out[256];
	uint32_t status = ESME_ROK, seq = be32(p + 12);
	enum bind_state st;
	json_t *line;
	size_t n;

	memset(&b, 0, sizeof(b));
	if (decode(c, type, &b, p, len) != 0)
		return;
	st = type == BIND_TRANSMITTER ? ST_TX
	     : type == BIND_RECEIVER  ? ST_RX
				      : ST_TRX;
	if (c->state != ST_OPEN)
		status = ESME_RALYBND;
	else if (f->system_id != NULL &&
		 strcmp((const char *)b.system_id, f->system_id) != 0)
		status = ESME_RINVSYSID;
	else if (f->password != NULL &&
		 strcmp((const char *)b.password, f->password) != 0)
		status = ESME_RINVPASWD;
	line = line_new(status == ESME_ROK ? "bind" : "bind_failed", c);
	json_object_set_new(line, "seq", json_integer(seq));
	json_object_set_new(line, "bind", json_string(bind_names[st]));
	json_object_set_new(line, "system_id", jcstr(b.system_id, 16));
	json_object_set_new(line, "system_type", jcstr(b.system_type, 13));
	json_object_set_new(
	    line, "interface_version", json_integer(b.interface_version));
	json_object_set_new(line, "status", json_integer(status));
	log_line(f, line);
	if (status == ESME_ROK) {
		c->state = st;
		snprintf(c->system_id, sizeof(c->system_id), "%s",
		    (const char *)b.system_id);
		f->binds[st]++;
	} else
		f->bind_failures++;
	memset(&r, 0, sizeof(r));
	snprintf((char *)r.system_id, sizeof(r.system_id), "fakesmsc");
	n = pdu_pack(type | 0x80000000, &r, status, seq, out, sizeof(out));
	if (n > 0)
		conn_write(c, out, n);
}

/* What a submit_sm or its user data says about concatenation. */
struct concat {
	int udh_ok;         /* a concatenation IE was found in the UDH */
	unsigned udh_ref;   /* its reference, total and part */
	unsigned udh_total; /* ... */
	unsigned udh_part;  /* ... */
	int sar_n;          /* SAR TLVs present (of three) */
	unsigned sar_ref;   /* their values */
	unsigned sar_total; /* ... */
	unsigned sar_part;  /* ... */
};

/*
 * Splits user data p into its UDH and the rest (when udhi), records the
 * concatenation IEs in cc and a "udh" object in line. Returns the offset of
 * the text, or -1 when the UDH does not fit.
 */
static int
parse_udh(const uint8_t *p, size_t len, struct concat *cc, json_t *line)
{
	size_t udhl, i, l;
	json_t *u;

	if (len < 1 || (udhl = p[0]) + 1 > len) {
		json_object_set_new(line, "udh_error", json_string("too long"));
		return -1;
	}
	u = json_object();
	json_object_set_new(u, "hex", jhex(p, udhl + 1));
	for (i = 1; i + 2 <= udhl + 1; i += 2 + l) {
		l = p[i + 1];
		if (i + 2 + l > udhl + 1)
			break;
		if (p[i] == 0x00 && l == 3) {
			cc->udh_ok = 1;
			cc->udh_ref = p[i + 2];
			cc->udh_total = p[i + 3];
			cc->udh_part = p[i + 4];
		} else if (p[i] == 0x08 && l == 4) {
			cc->udh_ok = 1;
			cc->udh_ref = (unsigned)p[i + 2] << 8 | p[i + 3];
			cc->udh_total = p[i + 4];
			cc->udh_part = p[i + 5];
		}
	}
	if (cc->udh_ok) {
		json_object_set_new(u, "ref", json_integer(cc->udh_ref));
		json_object_set_new(u, "total", json_integer(cc->udh_total));
		json_object_set_new(u, "part", json_integer(cc->udh_part));
	}
	json_object_set_new(line, "udh", u);
	return (int)(udhl + 1);
}

static void
join_free(struct smsc *f, struct join *j)
{
	unsigned i;

	TAILQ_REMOVE(&f->joins, j, entry);
	f->njoins--;
	for (i = 0; i < 256; i++)
		free(j->part[i]);
	free(j);
}

/* Adds a part (user data p, len bytes) and logs the message when whole. */
static void
join_add(struct smsc *f, struct conn *c, const struct submit_sm_t *s, int sar,
    unsigned ref, unsigned total, unsigned part, const uint8_t *p, size_t len)
{
	struct join *j;
	struct buf b;
	json_t *line;
	unsigned i;

	if (total < 2 || part < 1 || part > total)
		return;
	TAILQ_FOREACH(j, &f->joins, entry)
	if (j->ref == ref && j->total == total && j->sar == sar &&
	    strcmp(j->src, (const char *)s->source_addr) == 0 &&
	    strcmp(j->dst, (const char *)s->destination_addr) == 0)
		break;
	if (j == NULL) {
		if (f->njoins >= JOIN_MAX) {
			join_free(f, TAILQ_FIRST(&f->joins));
			f->joins_evicted++;
		}
		j = xcalloc(1, sizeof(*j));
		snprintf(
		    j->src, sizeof(j->src), "%s", (const char *)s->source_addr);
		snprintf(j->dst, sizeof(j->dst), "%s",
		    (const char *)s->destination_addr);
		j->ref = ref;
		j->total = total;
		j->sar = sar;
		j->dc = s->data_coding;
		TAILQ_INSERT_TAIL(&f->joins, j, entry);
		f->njoins++;
	}
	if (j->part[part - 1] == NULL)
		j->have++;
	free(j->part[part - 1]);
	j->part[part - 1] = xmalloc(len + 1);
	memcpy(j->part[part - 1], p, len);
	j->len[part - 1] = len;
	if (j->have < j->total)
		return;
	buf_init(&b, 256 * PAYLOAD_MAX);
	for (i = 0; i < j->total; i++)
		buf_append(&b, j->part[i], j->len[i]);
	line = line_new("joined", c);
	json_object_set_new(line, "joined",
	    decode_text(
		j->dc, (const uint8_t *)(b.data != NULL ? b.data : ""), b.len));
	json_object_set_new(line, "from", jstr(j->src, strlen(j->src)));
	json_object_set_new(line, "to", jstr(j->dst, strlen(j->dst)));
	json_object_set_new(line, "parts", json_integer(j->total));
	json_object_set_new(line, "ref", json_integer(j->ref));
	json_object_set_new(line, "via", json_string(sar ? "sar" : "udh"));
	log_line(f, line);
	buf_free(&b);
	join_free(f, j);
	f->joined++;
}

/* The status for the next submit_sm; uses up the mode's count. */
static uint32_t
mode_take(struct smsc *f)
{
	uint32_t status;

	if (f->mode == MODE_OK)
		return ESME_ROK;
	status = f->status;
	if (f->count > 0 && --f->count == 0) {
		f->mode = MODE_OK;
		f->count = -1;
	}
	return status;
}

static void
on_delayed_timer(uv_timer_t *t)
{
	struct delayed *d = container_of(t, struct delayed, timer);
	struct conn *c = d->conn;

	TAILQ_REMOVE(&c->delayed, d, entry);
	c->ndelayed--;
	conn_write(c, d->pdu, d->len);
	if (d->receipt != 0 && !c->closing)
		send_receipt_for(c->smsc, d->receipt, c);
	uv_close((uv_handle_t *)&d->timer, on_delayed_close);
}

/* Remembers an accepted submit for receipts. */
static void
sub_remember(struct smsc *f, struct conn *c, const struct submit_sm_t *s,
    const char *id, json_t *text)
{
	struct sub *r = &f->subs[f->nsub % SUB_RING];
	const char *t = json_string_value(text);
	size_t i = 0, k;

	memset(r, 0, sizeof(*r));
	r->n = f->nsub;
	r->conn = c->id;
	snprintf(r->id, sizeof(r->id), "%s", id);
	snprintf(r->src, sizeof(r->src), "%s", (const char *)s->source_addr);
	snprintf(
	    r->dst, sizeof(r->dst), "%s", (const char *)s->destination_addr);
	r->src_ton = s->source_addr_ton;
	r->src_npi = s->source_addr_npi;
	r->dst_ton = s->dest_addr_ton;
	r->dst_npi = s->dest_addr_npi;
	r->regdel = s->registered_delivery;
	r->time_ms = now_ms();
	if (t != NULL) {
		for (k = 0; k < 20 && t[i] != '\0'; k++)
			utf8_next(t, strlen(t), &i);
		memcpy(r->text, t, i);
		r->text[i] = '\0';
	}
}

static void
handle_submit(struct conn *c, const uint8_t *p, size_t len)
{
	struct smsc *f = c->smsc;
	struct submit_sm_t s;
	struct submit_sm_resp_t r;
	struct concat cc;
	struct delayed *d;
	const uint8_t *ud = NULL, *payload = NULL;
	uint8_t out[256];
	uint32_t status, seq = be32(p + 12);
	size_t udlen = 0, paylen = 0, n;
	char id[24];
	json_t *line, *sar, *text = NULL;
	tlv_t *t;
	int off;

	memset(&s, 0, sizeof(s));
	if (decode(c, SUBMIT_SM, &s, p, len) != 0) {
		destroy_tlv(s.tlv);
		return;
	}
	f->submits++;
	memset(&cc, 0, sizeof(cc));
	smpp34_tlv_for_each(t, s.tlv)
	{
		if (t->tag == TLVID_sar_msg_ref_num) {
			cc.sar_ref = t->value.val16;
			cc.sar_n++;
		} else if (t->tag == TLVID_sar_total_segments) {
			cc.sar_total = t->value.val08;
			cc.sar_n++;
		} else if (t->tag == TLVID_sar_segment_seqnum) {
			cc.sar_part = t->value.val08;
			cc.sar_n++;
		} else if (t->tag == TLVID_message_payload) {
			payload = t->value.octet;
			paylen = t->length;
		}
	}
	status = c->state == ST_TX || c->state == ST_TRX ? mode_take(f)
							 : ESME_RINVBNDSTS;
	id[0] = '\0';
	if (status == ESME_ROK) {
		f->nsub++;
		snprintf(id, sizeof(id), f->id_hex ? "%08llX" : "%llu",
		    (unsigned long long)f->nsub);
	}
	line = line_new("submit_sm", c);
	json_object_set_new(line, "seq", json_integer(seq));
	json_object_set_new(line, "service_type", jcstr(s.service_type, 6));
	json_object_set_new(line, "source_addr", jcstr(s.source_addr, 21));
	json_object_set_new(
	    line, "source_ton", json_integer(s.source_addr_ton));
	json_object_set_new(
	    line, "source_npi", json_integer(s.source_addr_npi));
	json_object_set_new(
	    line, "destination_addr", jcstr(s.destination_addr, 21));
	json_object_set_new(line, "dest_ton", json_integer(s.dest_addr_ton));
	json_object_set_new(line, "dest_npi", json_integer(s.dest_addr_npi));
	json_object_set_new(line, "esm_class", json_integer(s.esm_class));
	json_object_set_new(line, "protocol_id", json_integer(s.protocol_id));
	json_object_set_new(line, "data_coding", json_integer(s.data_coding));
	json_object_set_new(
	    line, "registered_delivery", json_integer(s.registered_delivery));
	json_object_set_new(line, "sm_length", json_integer(s.sm_length));
	json_object_set_new(
	    line, "short_message", jhex(s.short_message, s.sm_length));
	/* The user data is in short_message, or else in message_payload. */
	if (s.sm_length > 0 || payload == NULL) {
		ud = s.short_message;
		udlen = s.sm_length;
	} else {
		ud = payload;
		udlen = paylen;
	}
	if (s.esm_class & SMPP34_UDHI_IND) {
		off = parse_udh(ud, udlen, &cc, line);
		if (off < 0)
			off = (int)udlen;
		ud += off;
		udlen -= (size_t)off;
	}
	if (s.sm_length > 0 || payload == NULL) {
		text = decode_text(s.data_coding, ud, udlen);
		json_object_set(line, "text", text);
	} else
		json_object_set_new(line, "text", json_null());
	if (payload != NULL) {
		json_object_set_new(
		    line, "message_payload", jhex(payload, paylen));
		if (s.sm_length == 0) {
			text = decode_text(s.data_coding, ud, udlen);
			json_object_set(line, "message_payload_text", text);
		} else
			json_object_set_new(line, "message_payload_text",
			    decode_text(s.data_coding, payload, paylen));
	}
	if (cc.sar_n > 0) {
		sar = json_pack("{s:i, s:i, s:i}", "ref", (int)cc.sar_ref,
		    "total", (int)cc.sar_total, "part", (int)cc.sar_part);
		json_object_set_new(line, "sar", sar);
	}
	json_object_set_new(line, "status", json_integer(status));
	json_object_set_new(
	    line, "id", status == ESME_ROK ? json_string(id) : json_null());
	json_object_set_new(line, "mode", json_string(mode_names[f->mode]));
	log_line(f, line);
	count_status(f->submit_resp, status);
	if (status == ESME_ROK) {
		sub_remember(f, c, &s, id, text);
		if (cc.sar_n == 3)
			join_add(f, c, &s, 1, cc.sar_ref, cc.sar_total,
			    cc.sar_part, ud, udlen);
		else if (cc.udh_ok)
			join_add(f, c, &s, 0, cc.udh_ref, cc.udh_total,
			    cc.udh_part, ud, udlen);
	}
	json_decref(text);
	destroy_tlv(s.tlv);
	memset(&r, 0, sizeof(r));
	snprintf((char *)r.message_id, sizeof(r.message_id), "%s", id);
	n = pdu_pack(SUBMIT_SM_RESP, &r, status, seq, out, sizeof(out));
	if (n == 0)
		return;
	if (f->resp_delay_ms > 0 && c->ndelayed < DELAYED_MAX) {
		d = xcalloc(1, sizeof(*d));
		d->conn = c;
		d->pdu = xmalloc(n);
		memcpy(d->pdu, out, n);
		d->len = n;
		d->receipt = status == ESME_ROK ? f->nsub : 0;
		uv_timer_init(f->loop, &d->timer);
		uv_timer_start(
		    &d->timer, on_delayed_timer, f->resp_delay_ms, 0);
		TAILQ_INSERT_TAIL(&c->delayed, d, entry);
		c->ndelayed++;
		c->nhandles++;
		return;
	}
	conn_write(c, out, n);
	if (status == ESME_ROK && !c->closing)
		send_receipt_for(f, f->nsub, c);
}

static void
handle_deliver_resp(struct conn *c, const uint8_t *p, size_t len)
{
	struct smsc *f = c->smsc;
	struct deliver_sm_resp_t r;
	uint32_t seq = be32(p + 12), status = be32(p + 8);
	struct out *o = &f->outs[seq % OUT_RING];
	json_t *line;
	int known;

	/* Counted by its header even when libsmpp34 refuses the body. */
	memset(&r, 0, sizeof(r));
	(void)decode(c, DELIVER_SM_RESP, &r, p, len);
	known = o->seq == seq && seq != 0 && o->conn == c->id;
	line = line_new("deliver_sm_resp", c);
	json_object_set_new(line, "seq", json_integer(seq));
	json_object_set_new(line, "status", json_integer(status));
	json_object_set_new(line, "kind",
	    known ? json_string(o->receipt ? "receipt" : "mo") : json_null());
	log_line(f, line);
	if (!known) {
		f->deliver_sm_resp_unknown++;
		return;
	}
	o->seq = 0;
	c->unacked--;
	count_status(f->deliver_resp, status);
}

/* Handles one whole PDU of len bytes, copied into f->scratch. */
static void
handle_pdu(struct conn *c, const uint8_t *p, size_t len)
{
	struct smsc *f = c->smsc;
	uint32_t cmd = be32(p + 4), seq = be32(p + 12);
	struct unbind_t u;
	char name[SMALL_BUFF];
	json_t *line;

	switch (cmd) {
	case BIND_TRANSMITTER:
	case BIND_RECEIVER:
	case BIND_TRANSCEIVER:
		handle_bind(c, cmd, p, len);
		return;
	case ENQUIRE_LINK:
		memset(&u, 0, sizeof(u));
		if (decode(c, cmd, &u, p, len) != 0)
			return;
		f->enquire_links++;
		send_header(c, ENQUIRE_LINK_RESP, ESME_ROK, seq);
		return;
	case GENERIC_NACK:
		memset(&u, 0, sizeof(u));
		(void)decode(c, cmd, &u, p, len);
		f->nacks_received++;
		line = line_new("generic_nack", c);
		json_object_set_new(line, "seq", json_integer(seq));
		json_object_set_new(line, "status", json_integer(be32(p + 8)));
		log_line(f, line);
		return;
	case ENQUIRE_LINK_RESP:
	case UNBIND_RESP:
		return;
	}
	if (c->state == ST_OPEN &&
	    (cmd == SUBMIT_SM || cmd == UNBIND || cmd == DELIVER_SM_RESP)) {
		if (cmd == DELIVER_SM_RESP) {
			f->deliver_sm_resp_unknown++;
			return;
		}
		send_header(c, cmd | 0x80000000, ESME_RINVBNDSTS, seq);
		return;
	}
	switch (cmd) {
	case SUBMIT_SM:
		handle_submit(c, p, len);
		return;
	case DELIVER_SM_RESP:
		handle_deliver_resp(c, p, len);
		return;
	case UNBIND:
		memset(&u, 0, sizeof(u));
		if (decode(c, cmd, &u, p, len) != 0)
			return;
		f->unbinds++;
		log_line(f, line_new("unbind", c));
		send_header(c, UNBIND_RESP, ESME_ROK, seq);
		conn_close(c);
		return;
	}
	str_command_id(cmd, name);
	line = line_new("unknown_command", c);
	json_object_set_new(line, "command_id", json_integer(cmd));
	json_object_set_new(line, "name", json_string(name));
	json_object_set_new(line, "seq", json_integer(seq));
	log_line(f, line);
	/* A response this fake never asked for is dropped. */
	if (name[0] != '\0' && (cmd & 0x80000000) != 0)
		return;
	send_nack(c, ESME_RINVCMDID, seq);
}

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct conn *c = h->data;

	*b = uv_buf_init(
	    (char *)c->rbuf + c->rlen, (unsigned)(RBUF_SIZE - c->rlen));
}

static void
on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *b)
{
	struct conn *c = st->data;
	struct smsc *f = c->smsc;
	uint32_t len;
	size_t off = 0;
	json_t *line;

	if (nread < 0) {
		conn_close(c);
		return;
	}
	c->rlen += (size_t)nread;
	while (!c->closing && c->rlen - off >= 4) {
		len = be32(c->rbuf + off);
		if (len < HDR_LEN || len > PDU_MAX) {
			f->bad_length++;
			line = line_new("bad_length", c);
			json_object_set_new(
			    line, "command_length", json_integer(len));
			log_line(f, line);
			conn_close(c);
			return;
		}
		if (c->rlen - off < len)
			break;
		memcpy(f->scratch, c->rbuf + off, len);
		memset(f->scratch + len, 0, 64);
		off += len;
		handle_pdu(c, f->scratch, len);
	}
	if (c->closing)
		return;
	memmove(c->rbuf, c->rbuf + off, c->rlen - off);
	c->rlen -= off;
}

static void
on_connection(uv_stream_t *server, int status)
{
	struct smsc *f = server->data;
	struct conn *c;

	if (status < 0)
		return;
	c = xcalloc(1, sizeof(*c));
	c->smsc = f;
	uv_tcp_init(f->loop, &c->tcp);
	c->tcp.data = c;
	c->nhandles = 1;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0 || f->down ||
	    f->stopping || f->nconns >= CONN_MAX) {
		f->refused++;
		uv_close((uv_handle_t *)&c->tcp, on_conn_close);
		return;
	}
	c->id = ++f->next_conn;
	c->rbuf = xmalloc(RBUF_SIZE);
	TAILQ_INIT(&c->delayed);
	TAILQ_INSERT_TAIL(&f->conns, c, entry);
	f->nconns++;
	f->connections_total++;
	uv_tcp_nodelay(&c->tcp, 1);
	log_line(f, line_new("connect", c));
	if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0)
		conn_close(c);
}

/*
 * Control
 */

static void
respond_json(struct http_request *req, int status, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);

	json_decref(j);
	if (s == NULL) {
		http_respond(req, 500, NULL, NULL, 0);
		return;
	}
	http_respond(req, status, "application/json", s, strlen(s));
	free(s);
}

static void
respond_error(struct http_request *req, int status, const char *msg)
{
	respond_json(req, status, json_pack("{s:s}", "error", msg));
}

static json_t *
settings_json(struct smsc *f)
{
	return json_pack("{s:s, s:o, s:I, s:I, s:s, s:b, s:b, s:s, s:s}",
	    "mode", mode_names[f->mode], "count",
	    f->count < 0 ? json_null() : json_integer(f->count), "status",
	    (json_int_t)f->status, "resp_delay_ms",
	    (json_int_t)f->resp_delay_ms, "id_format",
	    f->id_hex ? "hex" : "dec", "down", f->down, "auto_receipts",
	    f->auto_receipts, "auto_stat", f->auto_stat, "auto_err",
	    f->auto_err);
}

static json_t *
stats_json(struct smsc *f)
{
	json_t *j, *s, *seqs = json_array();
	struct conn *c;
	uint64_t unacked = 0;
	size_t i;

	TAILQ_FOREACH(c, &f->conns, entry)
	unacked += c->unacked;
	for (i = 0; i < OUT_RING && json_array_size(seqs) < UNACKED_LIST_MAX;
	     i++)
		if (f->outs[i].seq != 0)
			json_array_append_new(
			    seqs, json_integer(f->outs[i].seq));
	j = json_pack("{s:i, s:I, s:I, s:{s:I, s:I, s:I}, s:I, s:I, s:O, s:I,"
		      " s:I, s:I, s:I, s:I, s:O, s:I, s:o, s:I, s:I}",
	    "connections", (int)f->nconns, "connections_total",
	    (json_int_t)f->connections_total, "refused", (json_int_t)f->refused,
	    "binds", "transmitter", (json_int_t)f->binds[ST_TX], "receiver",
	    (json_int_t)f->binds[ST_RX], "transceiver",
	    (json_int_t)f->binds[ST_TRX], "bind_failures",
	    (json_int_t)f->bind_failures, "submits", (json_int_t)f->submits,
	    "submit_resp", f->submit_resp, "joined", (json_int_t)f->joined,
	    "joins_pending", (json_int_t)f->njoins, "receipts_sent",
	    (json_int_t)f->receipts_sent, "mo_sent", (json_int_t)f->mo_sent,
	    "mo_parts_sent", (json_int_t)f->mo_parts_sent, "deliver_sm_resp",
	    f->deliver_resp, "deliver_sm_unacked", (json_int_t)unacked,
	    "unacked_seqs", seqs, "deliver_sm_lost",
	    (json_int_t)f->deliver_sm_lost, "deliver_sm_resp_unknown",
	    (json_int_t)f->deliver_sm_resp_unknown);
	json_object_set_new(
	    j, "enquire_links", json_integer((json_int_t)f->enquire_links));
	json_object_set_new(j, "unbinds", json_integer((json_int_t)f->unbinds));
	json_object_set_new(j, "generic_nacks_received",
	    json_integer((json_int_t)f->nacks_received));
	json_object_set_new(
	    j, "generic_nacks_sent", json_integer((json_int_t)f->nacks_sent));
	json_object_set_new(
	    j, "decode_errors", json_integer((json_int_t)f->decode_errors));
	json_object_set_new(
	    j, "bad_length", json_integer((json_int_t)f->bad_length));
	json_object_set_new(
	    j, "joins_evicted", json_integer((json_int_t)f->joins_evicted));
	json_object_set_new(
	    j, "log_errors", json_integer((json_int_t)f->log_errors));
	s = settings_json(f);
	json_object_update(j, s);
	json_decref(s);
	return j;
}

static void
stats_reset(struct smsc *f)
{
	f->connections_total = f->refused = f->bind_failures = f->submits = 0;
	memset(f->binds, 0, sizeof(f->binds));
	f->joined = f->joins_evicted = f->receipts_sent = f->mo_sent = 0;
	f->mo_parts_sent = f->deliver_sm_lost = f->deliver_sm_resp_unknown = 0;
	f->enquire_links = f->unbinds = f->nacks_received = f->nacks_sent = 0;
	f->decode_errors = f->bad_length = f->log_errors = 0;
	json_object_clear(f->submit_resp);
	json_object_clear(f->deliver_resp);
	while (!TAILQ_EMPTY(&f->joins))
		join_free(f, TAILQ_FIRST(&f->joins));
	f->mode = MODE_OK;
	f->count = -1;
	f->status = ESME_ROK;
	f->resp_delay_ms = 0;
}

/* Parses the body of req as a JSON object, or answers 400 and NULL. */
static json_t *
body_object(struct http_request *req)
{
	json_error_t jerr;
	json_t *j;

	j = json_loadb(req->body, req->body_len, 0, &jerr);
	if (j == NULL || !json_is_object(j)) {
		json_decref(j);
		respond_error(req, 400, "body must be a JSON object");
		return NULL;
	}
	return j;
}

static void
control_set(struct smsc *f, struct http_request *req)
{
	json_t *j, *v;
	const char *s;
	int m = -1;
	size_t i;
	json_int_t count = -1, status = -1, delay = -1;
	int hex = -1;

	if ((j = body_object(req)) == NULL)
		return;
	if ((s = json_string_value(json_object_get(j, "mode"))) != NULL) {
		for (i = 0; i < nitems(mode_names); i++)
			if (strcmp(s, mode_names[i]) == 0)
				m = (int)i;
	}
	if (m < 0 && json_object_get(j, "mode") != NULL) {
		json_decref(j);
		respond_error(req, 400, "mode: ok, throttle, msgqful or fail");
		return;
	}
	if ((v = json_object_get(j, "count")) != NULL && !json_is_null(v)) {
		if (!json_is_integer(v) ||
		    (count = json_integer_value(v)) < 1) {
			json_decref(j);
			respond_error(
			    req, 400, "count must be an integer >= 1");
			return;
		}
	}
	if ((v = json_object_get(j, "status")) != NULL) {
		if (!json_is_integer(v) ||
		    (status = json_integer_value(v)) < 1 ||
		    status > 0xFFFFFFFFLL) {
			json_decref(j);
			respond_error(req, 400, "status must be 1..0xFFFFFFFF");
			return;
		}
	}
	if ((v = json_object_get(j, "resp_delay_ms")) != NULL) {
		if (!json_is_integer(v) ||
		    (delay = json_integer_value(v)) < 0 ||
		    delay > DELAY_MAX_MS) {
			json_decref(j);
			respond_error(
			    req, 400, "resp_delay_ms must be 0..600000");
			return;
		}
	}
	if ((s = json_string_value(json_object_get(j, "id_format"))) != NULL)
		hex = strcmp(s, "hex") == 0   ? 1
		      : strcmp(s, "dec") == 0 ? 0
					      : -2;
	json_decref(j);
	if (hex == -2) {
		respond_error(req, 400, "id_format: dec or hex");
		return;
	}
	if (m >= 0) {
		f->mode = (enum mode)m;
		f->count = m == MODE_OK ? -1 : count;
		f->status = m == MODE_OK         ? ESME_ROK
			    : status > 0         ? (uint32_t)status
			    : m == MODE_THROTTLE ? ESME_RTHROTTLED
			    : m == MODE_MSGQFUL  ? ESME_RMSGQFUL
						 : ESME_RSUBMITFAIL;
	}
	if (delay >= 0)
		f->resp_delay_ms = (uint64_t)delay;
	if (hex >= 0)
		f->id_hex = hex;
	log_info("smsc", "mode=%s count=%lld status=0x%08X resp_delay_ms=%llu",
	    mode_names[f->mode], (long long)f->count, (unsigned)f->status,
	    (unsigned long long)f->resp_delay_ms);
	respond_json(req, 200, settings_json(f));
}

/* Reads the optional address override key of j into *v (0..255). */
static int
opt_u8(json_t *j, const char *key, uint8_t *v)
{
	json_t *x = json_object_get(j, key);

	if (x == NULL)
		return 0;
	if (!json_is_integer(x) || json_integer_value(x) < 0 ||
	    json_integer_value(x) > 255)
		return -1;
	*v = (uint8_t)json_integer_value(x);
	return 0;
}

static void
control_mo(struct smsc *f, struct http_request *req)
{
	struct deliver_sm_t d;
	struct buf enc;
	struct conn *c;
	json_t *j, *seqs;
	const char *from, *to, *text, *coding, *parts;
	char how[16];
	size_t tlen, i, k, nparts = 0, start[256], end[256];
	size_t single, per, pos;
	int ucs2, w;
	uint32_t cp, seq;
	unsigned ref;
	uint8_t ft, fn, tt, tn;
	tlv_t *list;

	if ((j = body_object(req)) == NULL)
		return;
	from = json_string_value(json_object_get(j, "from"));
	to = json_string_value(json_object_get(j, "to"));
	text = json_string_value(json_object_get(j, "text"));
	coding = json_string_value(json_object_get(j, "coding"));
	parts = json_string_value(json_object_get(j, "parts"));
	/* Copies: j goes before they are last used. */
	snprintf(how, sizeof(how), "%s", parts != NULL ? parts : "udh");
	parts = how;
	coding = coding != NULL ? coding : "gsm";
	if (from == NULL || to == NULL || text == NULL || !addr_ok(from) ||
	    !addr_ok(to) ||
	    (strcmp(coding, "gsm") != 0 && strcmp(coding, "ucs2") != 0) ||
	    (strcmp(parts, "none") != 0 && strcmp(parts, "udh") != 0 &&
		strcmp(parts, "sar") != 0 && strcmp(parts, "payload") != 0)) {
		json_decref(j);
		respond_error(req, 400,
		    "from, to (at most 20 characters) and text are needed; "
		    "coding gsm or ucs2; parts none, udh, sar or payload");
		return;
	}
	memset(&d, 0, sizeof(d));
	address_of(from, d.source_addr, &d.source_addr_ton, &d.source_addr_npi);
	address_of(to, d.destination_addr, &d.dest_addr_ton, &d.dest_addr_npi);
	ft = d.source_addr_ton;
	fn = d.source_addr_npi;
	tt = d.dest_addr_ton;
	tn = d.dest_addr_npi;
	if (opt_u8(j, "from_ton", &ft) != 0 ||
	    opt_u8(j, "from_npi", &fn) != 0 || opt_u8(j, "to_ton", &tt) != 0 ||
	    opt_u8(j, "to_npi", &tn) != 0) {
		json_decref(j);
		respond_error(
		    req, 400, "from_ton, from_npi, to_ton, to_npi: 0..255");
		return;
	}
	d.source_addr_ton = ft;
	d.source_addr_npi = fn;
	d.dest_addr_ton = tt;
	d.dest_addr_npi = tn;
	ucs2 = strcmp(coding, "ucs2") == 0;
	d.data_coding = ucs2 ? 8 : 0;
	/* Encode, noting where each character starts, in units. */
	tlen = strlen(text);
	buf_init(&enc, 4 * tlen + 16);
	single = ucs2 ? 70 : 160;
	per = ucs2 ? 67 : 153;
	start[0] = 0;
	pos = 0;
	for (i = 0; i < tlen;) {
		size_t before = enc.len;

		cp = utf8_next(text, tlen, &i);
		w = ucs2 ? ucs2_put(&enc, cp) : gsm_put(&enc, cp);
		if (w == 0) {
			buf_free(&enc);
			json_decref(j);
			respond_error(req, 400,
			    "text has characters outside GSM 03.38; use ucs2");
			return;
		}
		/* Cut before a character that does not fit the part. */
		if (pos + (size_t)w > per) {
			if (nparts >= 254)
				break;
			end[nparts] = before;
			nparts++;
			start[nparts] = before;
			pos = 0;
		}
		pos += (size_t)w;
	}
	end[nparts] = enc.len;
	nparts++;
	json_decref(j);
	if (i < tlen) {
		buf_free(&enc);
		respond_error(req, 400, "text needs more than 255 parts");
		return;
	}
	/* It fits one deliver_sm. */
	if (enc.len <= (ucs2 ? 2 : 1) * single)
		nparts = 1, start[0] = 0, end[0] = enc.len;
	if ((c = receiver(f)) == NULL) {
		buf_free(&enc);
		respond_error(req, 409, "no receiver or transceiver is bound");
		return;
	}
	if (strcmp(parts, "payload") == 0) {
		if (enc.len > PAYLOAD_MAX) {
			buf_free(&enc);
			respond_error(req, 400, "payload over 1024 octets");
			return;
		}
		nparts = 1, start[0] = 0, end[0] = enc.len;
	} else if (nparts > 1 && strcmp(parts, "none") == 0) {
		buf_free(&enc);
		respond_error(req, 400, "text does not fit one part");
		return;
	}
	seqs = json_array();
	ref = (f->next_ref++ & 0xFF);
	for (k = 0; k < nparts; k++) {
		const uint8_t *u = (const uint8_t *)enc.data + start[k];
		size_t n = end[k] - start[k], h = 0;

		list = NULL;
		d.esm_class = 0;
		if (strcmp(parts, "payload") == 0) {
			tlv_addn(&list, TLVID_message_payload, u, n);
			n = 0;
		} else if (nparts > 1 && strcmp(parts, "udh") == 0) {
			d.esm_class = SMPP34_UDHI_IND;
			d.short_message[0] = 5;
			d.short_message[1] = 0;
			d.short_message[2] = 3;
			d.short_message[3] = (uint8_t)ref;
			d.short_message[4] = (uint8_t)nparts;
			d.short_message[5] = (uint8_t)(k + 1);
			h = 6;
		} else if (nparts > 1) {
			tlv_add16(&list, TLVID_sar_msg_ref_num, (uint16_t)ref);
			tlv_add8(
			    &list, TLVID_sar_total_segments, (uint8_t)nparts);
			tlv_add8(
			    &list, TLVID_sar_segment_seqnum, (uint8_t)(k + 1));
		}
		if (n > 0)
			memcpy(d.short_message + h, u, n);
		d.sm_length = (uint8_t)(h + n);
		d.tlv = list;
		seq = send_deliver(f, c, &d, 0);
		destroy_tlv(list);
		if (seq == 0)
			break;
		json_array_append_new(seqs, json_integer(seq));
		f->mo_parts_sent++;
	}
	buf_free(&enc);
	if (json_array_size(seqs) == nparts)
		f->mo_sent++;
	respond_json(req, json_array_size(seqs) == nparts ? 200 : 500,
	    json_pack("{s:I, s:o, s:i}", "conn", (json_int_t)c->id, "seqs",
		seqs, "parts", (int)nparts));
}

/* Reads stat and err of j (defaults DELIVRD, 000); -1 when malformed. */
static int
stat_err(json_t *j, char *stat, size_t ssize, char *err, size_t esize)
{
	const char *s = json_string_value(json_object_get(j, "stat"));
	const char *e = json_string_value(json_object_get(j, "err"));

	if ((json_object_get(j, "stat") != NULL && s == NULL) ||
	    (json_object_get(j, "err") != NULL && e == NULL))
		return -1;
	s = s != NULL ? s : "DELIVRD";
	e = e != NULL ? e : "000";
	if (strlen(s) == 0 || strlen(s) >= ssize || strlen(e) >= esize)
		return -1;
	snprintf(stat, ssize, "%s", s);
	snprintf(err, esize, "%s", e);
	return 0;
}

static void
control_receipt(struct smsc *f, struct http_request *req)
{
	char stat[8], err[4];
	struct conn *c;
	struct sub *s;
	json_t *j, *t;
	const char *id;
	uint32_t seq;
	int tlvs = 1;

	if ((j = body_object(req)) == NULL)
		return;
	id = json_string_value(json_object_get(j, "id"));
	t = json_object_get(j, "tlvs");
	if (t != NULL)
		tlvs = json_is_true(t);
	if (id == NULL ||
	    stat_err(j, stat, sizeof(stat), err, sizeof(err)) != 0) {
		json_decref(j);
		respond_error(req, 400,
		    "id is needed; stat at most 7 characters, err at most 3");
		return;
	}
	s = sub_find(f, id);
	json_decref(j);
	if (s == NULL) {
		respond_error(req, 404, "no such submitted id");
		return;
	}
	c = conn_by_id(f, s->conn);
	if (c == NULL || c->state != ST_TRX)
		c = receiver(f);
	if (c == NULL) {
		respond_error(req, 409, "no receiver or transceiver is bound");
		return;
	}
	if ((seq = send_receipt(f, c, s, stat, err, tlvs)) == 0) {
		respond_error(req, 500, "could not send");
		return;
	}
	respond_json(req, 200,
	    json_pack(
		"{s:I, s:i}", "conn", (json_int_t)c->id, "seq", (int)seq));
}

static void
control_auto(struct smsc *f, struct http_request *req)
{
	char stat[8], err[4];
	json_t *j;

	if ((j = body_object(req)) == NULL)
		return;
	if (!json_is_boolean(json_object_get(j, "on")) ||
	    stat_err(j, stat, sizeof(stat), err, sizeof(err)) != 0) {
		json_decref(j);
		respond_error(req, 400, "on: true or false; stat, err strings");
		return;
	}
	f->auto_receipts = json_is_true(json_object_get(j, "on"));
	memcpy(f->auto_stat, stat, sizeof(stat));
	memcpy(f->auto_err, err, sizeof(err));
	json_decref(j);
	respond_json(req, 200, settings_json(f));
}

static void
control_down(struct smsc *f, struct http_request *req)
{
	json_t *j;

	if ((j = body_object(req)) == NULL)
		return;
	if (!json_is_boolean(json_object_get(j, "on"))) {
		json_decref(j);
		respond_error(req, 400, "on: true or false");
		return;
	}
	f->down = json_is_true(json_object_get(j, "on"));
	json_decref(j);
	log_info("smsc", "down=%d", f->down);
	respond_json(req, 200, json_pack("{s:b}", "down", f->down));
}

static int
drop_all(struct smsc *f)
{
	int n = 0;

	while (!TAILQ_EMPTY(&f->conns)) {
		conn_close(TAILQ_FIRST(&f->conns));
		n++;
	}
	return n;
}

static void
on_request(struct http_request *req, void *arg)
{
	struct smsc *f = arg;
	int post = strcmp(req->method, "POST") == 0;
	int get = strcmp(req->method, "GET") == 0;
	const char *p = req->path;
	int n;

	if (strcmp(p, "/_stats") == 0 && get)
		respond_json(req, 200, stats_json(f));
	else if (strcmp(p, "/_control") == 0 && get)
		respond_json(req, 200, settings_json(f));
	else if (strcmp(p, "/_control") == 0 && post)
		control_set(f, req);
	else if (strcmp(p, "/_mo") == 0 && post)
		control_mo(f, req);
	else if (strcmp(p, "/_receipt") == 0 && post)
		control_receipt(f, req);
	else if (strcmp(p, "/_auto_receipts") == 0 && post)
		control_auto(f, req);
	else if (strcmp(p, "/_down") == 0 && post)
		control_down(f, req);
	else if (strcmp(p, "/_drop") == 0 && post) {
		n = drop_all(f);
		log_info("smsc", "dropped=%d", n);
		respond_json(req, 200, json_pack("{s:i}", "dropped", n));
	} else if (strcmp(p, "/_reset") == 0 && post) {
		stats_reset(f);
		respond_json(req, 200, stats_json(f));
	} else
		respond_error(req, 404,
		    "GET /_stats, /_control; POST /_control, /_mo, /_receipt, "
		    "/_auto_receipts, /_drop, /_down, /_reset");
}

/*
 * Start and stop
 */

static void
on_server_done(struct http_server *srv)
{
	struct smsc *f = container_of(srv, struct smsc, srv);

	uv_close((uv_handle_t *)&f->sigterm, NULL);
	uv_close((uv_handle_t *)&f->sigint, NULL);
}

static void
on_signal(uv_signal_t *h, int signum)
{
	struct smsc *f = h->data;

	if (f->stopping)
		return;
	f->stopping = 1;
	log_info("smsc", "stopping signal=%d", signum);
	drop_all(f);
	uv_close((uv_handle_t *)&f->listener, NULL);
	http_server_shutdown(&f->srv, on_server_done);
}

/* Writes port into path through a temporary file and a rename. */
static void
write_port_file(const char *path, int port)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	FILE *fp = fopen(tmp, "w");

	if (fp == NULL)
		fatal("%s", tmp);
	if (fprintf(fp, "%d\n", port) < 0 || fclose(fp) != 0)
		fatal("%s", tmp);
	if (rename(tmp, path) != 0)
		fatal("rename %s", path);
	free(tmp);
}

static NORETURN void
usage(void)
{
	fprintf(stderr,
	    "usage: fake_smsc --port-file FILE [--control-port-file FILE] "
	    "[--log FILE] [--system-id ID --password PW]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static struct smsc smsc;
	struct smsc *f = &smsc;
	const char *port_file = NULL, *ctl_file = NULL, *log_path = NULL;
	struct sockaddr_in sin;
	struct sockaddr_storage ss;
	int i, rc, port, ctl_port, sslen = sizeof(ss);

	for (i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		else if (strcmp(argv[i], "--port-file") == 0)
			port_file = argv[++i];
		else if (strcmp(argv[i], "--control-port-file") == 0)
			ctl_file = argv[++i];
		else if (strcmp(argv[i], "--log") == 0)
			log_path = argv[++i];
		else if (strcmp(argv[i], "--system-id") == 0)
			f->system_id = argv[++i];
		else if (strcmp(argv[i], "--password") == 0)
			f->password = argv[++i];
		else
			usage();
	}
	if (port_file == NULL)
		usage();
	signal(SIGPIPE, SIG_IGN);
	if (log_path != NULL && (f->log = fopen(log_path, "a")) == NULL)
		fatal("%s", log_path);
	f->loop = uv_default_loop();
	f->count = -1;
	snprintf(f->auto_stat, sizeof(f->auto_stat), "DELIVRD");
	snprintf(f->auto_err, sizeof(f->auto_err), "000");
	f->submit_resp = json_object();
	f->deliver_resp = json_object();
	f->subs = xcalloc(SUB_RING, sizeof(*f->subs));
	f->outs = xcalloc(OUT_RING, sizeof(*f->outs));
	TAILQ_INIT(&f->conns);
	TAILQ_INIT(&f->joins);

	uv_tcp_init(f->loop, &f->listener);
	f->listener.data = f;
	uv_ip4_addr("127.0.0.1", 0, &sin);
	if ((rc = uv_tcp_bind(&f->listener, (struct sockaddr *)&sin, 0)) != 0 ||
	    (rc = uv_listen((uv_stream_t *)&f->listener, 128, on_connection)) !=
		0)
		fatalx("smpp listen: %s", uv_strerror(rc));
	uv_tcp_getsockname(&f->listener, (struct sockaddr *)&ss, &sslen);
	port = ntohs(((struct sockaddr_in *)&ss)->sin_port);

	if ((rc = http_server_init(&f->srv, f->loop, NULL, on_request, f)) != 0)
		fatalx("http server: %s", uv_strerror(rc));
	if ((rc = http_server_listen(&f->srv, "127.0.0.1:0")) != 0)
		fatalx("control listen: %s", uv_strerror(rc));
	ctl_port = http_server_port(&f->srv);

	uv_signal_init(f->loop, &f->sigterm);
	uv_signal_init(f->loop, &f->sigint);
	f->sigterm.data = f->sigint.data = f;
	uv_signal_start(&f->sigterm, on_signal, SIGTERM);
	uv_signal_start(&f->sigint, on_signal, SIGINT);
	if (ctl_file != NULL)
		write_port_file(ctl_file, ctl_port);
	write_port_file(port_file, port);
	log_info("smsc", "listening smpp=%d control=%d", port, ctl_port);
	uv_run(f->loop, UV_RUN_DEFAULT);
	if (uv_loop_close(f->loop) != 0)
		log_warn("smsc", "loop closed with handles open");
	while (!TAILQ_EMPTY(&f->joins))
		join_free(f, TAILQ_FIRST(&f->joins));
	json_decref(f->submit_resp);
	json_decref(f->deliver_resp);
	free(f->subs);
	free(f->outs);
	if (f->log != NULL)
		fclose(f->log);
	return 0;
}
