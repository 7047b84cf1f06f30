/*
 * provider.h: what one SMS/USSD provider type looks like to the gateway:
 * how its webhooks decode into one normalized form, how the gateway answers
 * them, how an outbound message becomes its HTTP request, and how its answer
 * maps onto OK, TEMPFAIL or PERMFAIL. One file per provider implements a
 * struct provider_ops (africastalking.c, twilio.c, kannel.c, http.c,
 * infobip.c, vonage.c); the
 * gateway picks it by the channel's type (curl's struct Curl_ssl, Kannel's
 * smscconn_p.h).
 *
 * Contract for every implementation:
 * - Functions MUST NOT block and MUST NOT do I/O: they turn bytes into
 *   structs and back. The gateway does the HTTP, the store and the queue.
 * - Decoding MUST accept any bytes without crashing and return a clear
 *   reason for what it refuses. Everything a provider sends is bounded by
 *   the HTTP server's limits (64 KiB body) before it gets here.
 * - What a decoder fills is owned by the struct it fills; free it with
 *   provider_inbound_free / provider_status_free.
 * - A provider that does not support a webhook kind leaves its pointer NULL
 *   (the gateway answers 404).
 * - What sets one provider apart from another for the gateway is a field
 *   of struct provider_ops (webhook_get, dlr_by_own_id), never a test of
 *   the channel's type outside this folder.
 * - Decoders speak in enum provider_decode, not in HTTP statuses: the
 *   webhook layer (gateway/hooks.c) alone maps them onto its answers.
 */
#ifndef BARAZA_PROVIDER_H
#define BARAZA_PROVIDER_H

#include <stddef.h>
#include <stdint.h>

#include "lib/channel.h"
#include "lib/http.h"
#include "lib/util.h"
#include "providers/client.h"

struct form;

#define PROVIDER_PARTS_MAX 255 /* parts of one long SMS (an 8-bit count) */
#define PROVIDER_PART_REF 64   /* bytes of a set's reference */

/* The end of every delivery attempt (OpenSMTPD's queue.c). */
enum provider_outcome {
	PROVIDER_OK,       /* accepted by the provider */
	PROVIDER_TEMPFAIL, /* try again later (timeout, 429, 5xx...) */
	PROVIDER_PERMFAIL, /* never going to work (4xx, a rejection) */
};

/*
 * What a webhook decoder made of a request. The webhook layer turns these
 * into its answers (today: 200, 400 with the reason, 403, 200 empty).
 */
enum provider_decode {
	DECODE_OK = 0,         /* filled */
	DECODE_BAD = -1,       /* malformed: the reason says why */
	DECODE_FORBIDDEN = -2, /* signature wrong or missing */
	DECODE_IGNORE = 1,     /* well-formed but nothing to do */
};

/*
 * One inbound SMS or USSD step as the provider described it. Numbers are
 * as received (the gateway normalises them to E.164). Unused members NULL.
 */
struct provider_inbound {
	char *id;            /* provider's message id (SMS), for dedup */
	char *from;          /* sender's number */
	char *to;            /* our number or shortcode */
	char *text;          /* SMS text (UTF-8) */
	char *session;       /* USSD: provider's session id */
	char *service_code;  /* USSD: the code dialled, "*384#" */
	char *ussd_text;     /* USSD: as sent; Africa's Talking sends all
				   inputs so far joined by '*' (ingress works
				   out the new input), others one input */
	int ussd_cumulative; /* 1 when ussd_text is cumulative (AT) */
	int ussd_new;        /* 1 when the provider says the session is new
				   (-1 when it cannot tell) */
	/*
	 * SMS: one part of a long message that the provider delivers part by
	 * part (Vonage's concat-*): the set's reference, its number of parts
	 * (2..PROVIDER_PARTS_MAX) and this part's (1..part_total). The
	 * gateway joins the set. part_total 0: a whole message.
	 */
	char *part_ref;
	int part_total;
	int part_seq;
	/* A batch (Infobip's results[]): the entries after this one, owned
	 * (their own more is NULL). */
	struct provider_inbound *more;
	size_t nmore;
};

/* Entries a webhook may carry in one request (Infobip batches up to 100). */
#define PROVIDER_BATCH_MAX 100

/* A delivery report. */
enum provider_dlr {
	DLR_SENT,      /* handed on by the provider (not final) */
	DLR_DELIVERED, /* on the phone (final) */
	DLR_FAILED,    /* will not arrive (final) */
};

struct provider_status {
	char *id; /* the provider's message id; for the http
				   type, the gateway's own message id */
	enum provider_dlr state;
	char *error; /* the provider's reason when failed, or NULL */
	/* A batch: the reports after this one, owned, as in provider_inbound */
	struct provider_status *more;
	size_t nmore;
};

/* One outbound SMS, as the dispatcher hands it over (all borrowed). */
struct provider_msg {
	int64_t id;             /* the gateway's message id */
	const char *to;         /* E.164 */
	const char *text;       /* UTF-8 */
	int ucs2;               /* 1 when the text needs UCS-2 */
	const char *status_url; /* where delivery reports go
					   (/hooks/NAME/status on our public
					   URL), or NULL */
};

/*
 * An outbound HTTP request built by a provider: everything owned here and
 * released by provider_request_free. req points into the members.
 */
struct provider_request {
	struct client_req req; /* what the client sends */
	char *url;             /* owned */
	char *body;            /* owned, or NULL */
	char *userpwd;         /* owned, or NULL */
	char *headers[8];      /* owned, NULL-terminated */
};

/* The provider's answer to a send, decoded. */
struct provider_result {
	enum provider_outcome outcome;
	char *provider_id; /* id for delivery reports, or NULL */
	char *error;       /* reason when not OK, or NULL */
	int64_t msg_id;    /* in: the gateway's id of the message
					   sent, set before parse_send (see
					   provider_parse_send); Kannel and
					   http report it back as provider_id */
};

/* What a webhook answers (body owned by the buf the caller gives). */
struct provider_answer {
	int status;               /* HTTP status */
	const char *content_type; /* static string */
};

struct provider_ops {
	const char *name; /* the channel type's name */

	/*
	 * Capabilities. webhook_get: 1 when the provider MAY call its
	 * webhooks with GET and the parameters in the query (Kannel's
	 * get-url); the gateway then takes GET as well as POST, else POST
	 * only (405 with Allow). dlr_by_own_id: 1 when the id of a delivery
	 * report is the gateway's own message id in decimal, as the
	 * provider got it in the send request (Kannel, http), 0 when it is
	 * the id the provider gave in its answer to the send (provider_id).
	 */
	int webhook_get;
	int dlr_by_own_id;
	/* parts: 1 when its SMS webhooks may carry one part of a long
	 * message each (part_*), which the gateway joins. */
	int parts;

	/*
	 * Decode an incoming SMS webhook. The webhook_secret (?secret= or
	 * X-Baraza-Secret) is checked by the gateway before; signatures
	 * (Twilio's X-Twilio-Signature, the http type's X-Baraza-Signature,
	 * Vonage's sig)
	 * MUST be checked here, before anything else is looked at:
	 * public_url is the configured scheme and host the provider calls
	 * ("https://sms.example.org"; the channel's, else the gateway's), or
	 * NULL when none is configured. It never comes from the request's
	 * Host or X-Forwarded-* headers, which the sender chooses.
	 * On DECODE_BAD or DECODE_FORBIDDEN, a one-line reason is appended
	 * to reason (a buf the caller owns), for the webhook's answer.
	 */
	enum provider_decode (*decode_sms)(const struct channel_config *,
	    const struct http_request *, const char *public_url,
	    struct provider_inbound *, struct buf *reason);
	/* Same for a USSD step; NULL when the type has no USSD. */
	enum provider_decode (*decode_ussd)(const struct channel_config *,
	    const struct http_request *, const char *public_url,
	    struct provider_inbound *, struct buf *reason);
	/* Same for a delivery report; NULL when the type has none. */
	enum provider_decode (*decode_status)(const struct channel_config *,
	    const struct http_request *, const char *public_url,
	    struct provider_status *, struct buf *reason);

	/*
	 * The answer to a stored SMS webhook (Twilio: <Response/> in
	 * text/xml; http: {"id": N} with the gateway's message id; Kannel
	 * and Africa's Talking: empty 200). Appends the body to body.
	 */
	void (*answer_sms)(
	    int64_t id, struct provider_answer *, struct buf *body);
	/* The answer to a USSD step: the screen and whether it ends. */
	void (*answer_ussd)(const char *screen, int end,
	    struct provider_answer *, struct buf *body);

	/* Builds the send request for msg on channel (see interfaces.md). */
	int (*build_send)(const struct channel_config *,
	    const struct provider_msg *, struct provider_request *);
	/*
	 * Decodes the answer to a send: resp->outcome gives the transport's
	 * view (timeouts, 429 and 5xx TEMPFAIL, other 4xx PERMFAIL); a 2xx
	 * may still be a rejection in the body (Africa's Talking's
	 * Recipients[].status), which is PERMFAIL with the reason.
	 */
	void (*parse_send)(const struct channel_config *,
	    const struct client_resp *, struct provider_result *);
};

/*
 * The six implementations (africastalking.c, twilio.c, kannel.c, http.c,
 * infobip.c, vonage.c).
 */
extern const struct provider_ops provider_africastalking;
extern const struct provider_ops provider_twilio;
extern const struct provider_ops provider_kannel;
extern const struct provider_ops provider_http;
extern const struct provider_ops provider_infobip;
extern const struct provider_ops provider_vonage;

/*
 * Decodes the form that Africa's Talking and Kannel send for an incoming
 * SMS, `id from to text` (id, from and to non-empty, text present), from the
 * body or, with allow_get, the query of a GET. Fills in as decode_sms does.
 */
enum provider_decode provider_sms_form(const struct http_request *req,
    int allow_get, struct provider_inbound *in, struct buf *reason);

/*
 * As provider_sms_form, with form_parse_flags' flags for the form, and the
 * text read by text_fn (Kannel's, in the charset the form names) instead
 * of taken as UTF-8; text_fn returns DECODE_OK or DECODE_BAD with a reason.
 */
enum provider_decode provider_sms_form_ex(const struct http_request *req,
    int allow_get, int form_flags,
    enum provider_decode (*text_fn)(
	const struct form *, char **text, struct buf *reason),
    struct provider_inbound *in, struct buf *reason);

/* A provider's delivery status name and what it means. */
struct provider_state_name {
	const char *name; /* as the provider writes it */
	enum provider_dlr state;
};

/*
 * Sets st->state from the provider's status name, looked up in the n
 * entries of table. A failed state takes *detail (the provider's reason or
 * code, ownership passed; *detail becomes NULL) as st->error when it is not
 * empty, else the status name. Returns DECODE_OK, or DECODE_IGNORE with the
 * reason for a name not in the table (a status added after this was
 * written: nothing to do, and the provider must not retry).
 */
enum provider_decode provider_status_set(struct provider_status *st,
    const char *status, const struct provider_state_name *table, size_t n,
    char **detail, struct buf *reason);

/* The ops for a channel type, or NULL for types with their own path (gammu). */
const struct provider_ops *provider_for(enum channel_type);

void provider_inbound_free(struct provider_inbound *);
void provider_status_free(struct provider_status *);
void provider_request_free(struct provider_request *);
void provider_result_free(struct provider_result *);

/*
 * Decodes resp, the answer to the send of the gateway's message msg_id, on
 * a channel of type ops: clears result, sets result->msg_id and calls
 * ops->parse_send. The caller owns what result then holds and releases it
 * with provider_result_free. Prefer this to calling parse_send directly.
 */
void
provider_parse_send(const struct provider_ops *, const struct channel_config *,
    int64_t msg_id, const struct client_resp *, struct provider_result *);

/*
 * Helpers shared by the implementations (provider.c).
 */

#define PROVIDER_ERROR_MAX 200 /* bytes of provider text kept in an error */
#define PROVIDER_REQUEST_MAX (512 * 1024) /* bytes of a built URL or body */
#define PROVIDER_MAX_HEADERS 7            /* headers a provider_request holds */

struct json_t;

/* provider_field / provider_json_field flags. */
#define PROVIDER_OPTIONAL 0x0 /* may be missing (then *out is NULL) */
#define PROVIDER_REQUIRED 0x1 /* must be present, may be empty */
#define PROVIDER_NONEMPTY 0x3 /* must be present and not empty */
#define PROVIDER_NUMBER 0x4   /* JSON: an integer is accepted too */

/* Sets every member of in to NULL/0 and in->ussd_new to -1. */
void provider_inbound_init(struct provider_inbound *in);
/* Sets every member of st to NULL/0. */
void provider_status_init(struct provider_status *st);

/* 1 when the len bytes at s are well-formed UTF-8 (no overlong forms,
   surrogates or code points past U+10FFFF), else 0. */
int provider_utf8_valid(const char *s, size_t len);

/*
 * Decodes a form webhook into f: the body of a POST, or for a GET (only
 * when allow_get) the query string; a POST with an empty body also falls
 * back to the query string when allow_get (Kannel's post-url). Returns
 * DECODE_OK or DECODE_BAD with a reason appended. Either way the caller
 * calls form_free(f).
 */
enum provider_decode provider_form(const struct http_request *req,
    int allow_get, struct form *f, struct buf *reason);

/*
 * For providers that send numbers in international form without the '+'
 * (Infobip's "447700900123", Vonage's msisdn): 7 to 15 digits not led by
 * 0 get it, so that they are not read as local numbers. *number is
 * replaced (freed, a new string) or left as it is.
 */
void provider_international(char **number);

/* As provider_form, with form_parse_flags' flags (FORM_KEEP_NUL). */
enum provider_decode provider_form_flags(const struct http_request *req,
    int allow_get, int form_flags, struct form *f, struct buf *reason);

/*
 * Copies the form field name into *out (a new string the caller frees, or
 * NULL when absent and optional) after checking flags and UTF-8. Returns
 * 0, or DECODE_BAD with a reason naming the field.
 */
enum provider_decode provider_field(const struct form *f, const char *name,
    int flags, char **out, struct buf *reason);

/*
 * Parses a POST body as one JSON object into *root (a new reference the
 * caller releases with json_decref). Returns DECODE_OK, or DECODE_BAD with
 * jansson's message appended to reason (*root is then NULL).
 */
enum provider_decode provider_json(
    const struct http_request *req, struct json_t **root, struct buf *reason);

/*
 * As provider_field for a member of a JSON object: a string, or with
 * PROVIDER_NUMBER also an integer (stored as decimal text).
 */
enum provider_decode provider_json_field(struct json_t *obj, const char *name,
    int flags, char **out, struct buf *reason);

/*
 * A printable copy of len bytes of s for logs and stored errors: at most
 * max bytes, cut on a character boundary, control characters and invalid
 * UTF-8 turned into '?', white space runs into one space, trimmed. The
 * caller frees the result.
 */
char *provider_clean(const char *s, size_t len, size_t max);

/*
 * Appends "name=value" to the form b, percent-encoded, with a '&' first
 * unless b is empty. Returns 0, or -1 when b's maximum would be exceeded
 * (b may then hold part of it).
 */
int provider_form_add(struct buf *b, const char *name, const char *value);

/*
 * The answer_sms of the types whose providers want an empty 200 to a
 * stored message (Africa's Talking, Kannel, Infobip, Vonage).
 */
void provider_answer_empty(
    int64_t id, struct provider_answer *ans, struct buf *body);

/* Fills result with outcome and a formatted error (never NULL). */
void provider_fail(struct provider_result *result,
    enum provider_outcome outcome, const char *fmt, ...) PRINTFLIKE(3, 4);

/*
 * Fills result for an answer that is not a 2xx (or a transport failure):
 * the outcome from resp->outcome, the error "HTTP STATUS: BODY" (BODY
 * cleaned and cut) or the transport's error text.
 */
void provider_http_failure(
    const struct client_resp *resp, struct provider_result *result);

/* The provider outcome matching a client outcome. */
enum provider_outcome provider_outcome_of(enum client_outcome);

/*
 * Appends a formatted "Name: value" header to r. Returns 0, or -1 when r
 * already holds PROVIDER_MAX_HEADERS or the line holds a CR or LF.
 */
int provider_request_header(struct provider_request *r, const char *fmt, ...)
    PRINTFLIKE(2, 3);

/*
 * Points r->req at r's members (method, url, headers, body, userpwd) once
 * they are filled.
 */
void provider_request_finish(struct provider_request *r, const char *method);

#endif
