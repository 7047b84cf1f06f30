/*
 * proto.h: the framed protocol between the gateway (modem supervisor) and
 * one modem worker process, over a pipe.
 *
 * A frame is a 4-byte big-endian length N (1 <= N <= MODEM_PROTO_MAX_FRAME)
 * followed by N bytes of UTF-8 JSON: one object whose "type" member names
 * the message. Anything else (a zero or oversized length, bad JSON, a
 * missing or unknown type, a member of the wrong type or out of bounds) is
 * a protocol error: the reader reports it and the stream is then unusable,
 * since the framing can no longer be trusted; the peer is restarted.
 *
 * Worker to gateway:
 *   hello     {model, imei, smsc}                 after each connect
 *   heartbeat {up, signal, network}               every few seconds
 *   inbound   {id, key, from, text, time, parts, total}
 *   sending   {id, part, parts}                   a part goes to the modem
 *   sent      {id, outcome, error, reference}
 *   balance   {text} or {error}                   the USSD answer
 *   error     {error, code}                       a modem error
 *   report    {id, reference, outcome, error}     a delivery report read
 *             from the phone: outcome OK (delivered) or PERMFAIL (failed);
 *             acked like inbound, then deleted from the phone
 * Gateway to worker:
 *   config    {device, connection, model, pin, poll_interval_ms,
 *              multipart_timeout_ms, balance_ussd}  first frame, once
 *   send      {id, to, text, report}
 *   ack       {id}                                inbound or report id
 *                                                 committed
 *   balance   {}                                  dial the balance code
 *   stop      {}
 *
 * Members not listed for a type are ignored when read and never written;
 * optional string members may be absent (NULL).
 */
#ifndef BARAZA_MODEM_PROTO_H
#define BARAZA_MODEM_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"

#define MODEM_PROTO_MAX_FRAME 65536 /* bytes of JSON in one frame */
#define MODEM_PROTO_MAX_TEXT 32768  /* bytes of UTF-8 in a message text */
#define MODEM_PROTO_MAX_NUMBER 40   /* bytes in a phone number */
#define MODEM_PROTO_MAX_STRING 1024 /* bytes in any other string member */
#define MODEM_PROTO_MAX_PARTS 255   /* parts of a concatenated SMS */

enum modem_msg_type {
	MODEM_MSG_HELLO = 0,
	MODEM_MSG_HEARTBEAT,
	MODEM_MSG_INBOUND,
	MODEM_MSG_SENDING,
	MODEM_MSG_SENT,
	MODEM_MSG_BALANCE, /* both ways: a request has neither text nor error */
	MODEM_MSG_ERROR,
	MODEM_MSG_CONFIG,
	MODEM_MSG_SEND,
	MODEM_MSG_ACK,
	MODEM_MSG_STOP,
	MODEM_MSG_REPORT,
};

/* The three outcomes of a delivery attempt. */
enum modem_outcome {
	MODEM_OK = 0,
	MODEM_TEMPFAIL,
	MODEM_PERMFAIL,
};

/*
 * One decoded message. Which members are meaningful depends on type (see
 * the table above); the others are 0 or NULL. When filled by the reader,
 * the strings belong to the reader and are valid only during the callback;
 * when filled by a caller for modem_proto_encode, they belong to the caller.
 */
struct modem_msg {
	enum modem_msg_type type; /* the "type" member */
	int64_t id; /* inbound, report, ack: worker-local id; send(ing), sent:
		       ours */
	const char *model;   /* hello, config: phone model */
	const char *imei;    /* hello */
	const char *smsc;    /* hello: SMS centre number, may be NULL */
	int up;              /* heartbeat: 1 when the modem is connected */
	int signal;          /* heartbeat: 0 to 100 percent */
	const char *network; /* heartbeat: "home", "roaming", ... */
	const char *key;     /* inbound: stable dedup key (hex) */
	const char *from;    /* inbound: sender number */
	const char *to;      /* send: recipient number */
	const char *text;    /* inbound, send, balance: UTF-8 */
	const char *time;    /* inbound: ISO 8601 UTC SMSC time stamp */
	int parts;           /* inbound: parts received; sending: total */
	int total;           /* inbound: parts announced (>= parts) */
	int part;            /* sending: 1-based part now sent */
	enum modem_outcome outcome; /* sent, report */
	const char *error;      /* sent, balance, error, report: description */
	const char *reference;  /* sent: the modem's message reference(s);
				  report: the one the report is about */
	int code;               /* error: libGammu error code, or 0 */
	int report;             /* send: 1 to ask for a delivery report */
	const char *device;     /* config */
	const char *connection; /* config */
	const char *pin;        /* config, may be NULL */
	int64_t poll_interval_ms;     /* config, >= 100 */
	int64_t multipart_timeout_ms; /* config, >= 0 */
	const char *balance_ussd;     /* config, may be NULL */
};

/*
 * Incremental frame reader. The reader owns its buffer; free it with
 * modem_proto_reader_free.
 */
struct modem_proto_reader {
	unsigned char hdr[4]; /* length header being read */
	size_t hdrlen;        /* bytes of hdr filled */
	char *body;           /* frame body, MODEM_PROTO_MAX_FRAME + 1 bytes */
	size_t need;          /* body length announced by the header */
	size_t have;          /* body bytes read so far */
	int failed;           /* set after the first protocol error */
	char error[128];      /* what went wrong, for the log */
};

/*
 * Called once per decoded message. Returning non-zero stops
 * modem_proto_feed, which then returns that value; the bytes not yet read
 * are dropped, so only return non-zero when abandoning the stream.
 */
typedef int (*modem_proto_msg_cb)(const struct modem_msg *, void *arg);

void modem_proto_reader_init(struct modem_proto_reader *);
void modem_proto_reader_free(struct modem_proto_reader *);

/*
 * Feeds len bytes read from the stream. Calls cb for each complete frame.
 * Returns 0, a callback's non-zero value, or -1 on a protocol error (the
 * reason is in r->error; later calls fail at once).
 */
int modem_proto_feed(struct modem_proto_reader *r, const void *data, size_t len,
    modem_proto_msg_cb cb, void *arg);

/*
 * Parses one frame body (JSON text, len bytes) into *m and calls cb with
 * it. Returns cb's value, or -1 with a reason in err (errlen bytes) when
 * the body is not a valid message. Exposed for tests and the fuzzer.
 */
int modem_proto_parse(const char *body, size_t len, modem_proto_msg_cb cb,
    void *arg, char *err, size_t errlen);

/*
 * Appends one frame holding m (header and JSON) to out. Returns 0, or -1
 * when m is not valid for its type or the frame would exceed
 * MODEM_PROTO_MAX_FRAME or out's maximum (out is then unchanged).
 */
int modem_proto_encode(const struct modem_msg *m, struct buf *out);

/*
 * What a status report's TP-Status (3GPP TS 23.040 9.2.3.15) says:
 * MODEM_OK (the message was delivered, 0x00-0x1f), MODEM_TEMPFAIL (the
 * SMSC is still trying, 0x20-0x3f: not final, nothing to pass on) or
 * MODEM_PERMFAIL (it gave up, 0x40 and above).
 */
enum modem_outcome modem_report_outcome(int tp_status);

/* "hello", "send", ... (static strings), or NULL for a bad type. */
const char *modem_proto_type_name(enum modem_msg_type);

/* "OK", "TEMPFAIL", "PERMFAIL" (static strings). */
const char *modem_outcome_name(enum modem_outcome);

#endif
