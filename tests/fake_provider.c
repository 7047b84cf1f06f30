/*
 * fake_provider.c: a fake SMS provider for integration tests and benchmarks,
 * after Kannel's test/fakesmsc.c.
 *
 *   fake_provider --port-file FILE [--listen 127.0.0.1:0] [--log FILE]
 *       [--log-max N] [--direct] [--signing-key KEY]
 *
 * It answers the six request shapes the gateway sends (see interfaces.md
 * "Outbound to providers" and docs/providers.md) in a mode the test
 * chooses through POST /_control, records every other request as one JSON
 * line in the --log file and counts them for GET /_stats. The bound port
 * is written to the port file (a temporary file, then a rename) once the
 * server listens. The shapes, by their log names:
 *
 *   africastalking  POST .../version1/messaging, a form: 201 with one
 *                   SMSMessageData.Recipients entry per number of "to",
 *                   statusCode 101 and messageId "ATXid_N".
 *   twilio          POST .../2010-04-01/Accounts/SID/Messages.json, a
 *                   form: 201 {"sid": "SMN", "status": "queued", ...}.
 *   kannel          .../cgi-bin/sendsms, GET or POST: 202 "0: Accepted
 *                   for delivery".
 *   infobip         POST .../sms/2/text/advanced, JSON (Authorization: App
 *                   KEY): 200 {"bulkId": "ib-bulk-N", "messages": [...]}
 *                   with one entry per destination of every messages[]
 *                   entry: its "to", messageId "ib-N" and a status of the
 *                   group PENDING (groupId 1, PENDING_ACCEPTED).
 *   vonage          POST .../sms/json, a form (api_key, api_secret, from,
 *                   to, text, callback): 200 {"message-count": "1",
 *                   "messages": [{"to", "message-id": "vg-N", "status":
 *                   "0", ...}]}.
 *   http            anything else (the generic JSON channel): 200
 *                   {"ok": true}.
 *
 * N counts the ids handed out, from 1, and is never reset (an Infobip
 * rejection has an id too, as Infobip gives one).
 *
 * Control (never recorded): POST /_control {"mode": "ok" | "429" | "500" |
 * "400" | "slow" | "close" | "reject" | "echo", "count": N, "delay_ms": D} sets the
 * mode for the next N provider requests (for good without count) and
 * answers the mode now in force. The modes 429, 500 and 400 answer that
 * status with a line of text, "close" drops the connection unanswered,
 * "slow" gives the ok answer after delay_ms, and "reject" gives each
 * shape's own refusal of the recipient: Africa's Talking a 201 whose
 * recipient has statusCode 403 InvalidPhoneNumber, Twilio 400 code 21211,
 * Kannel 400 "Invalid receiver number", Infobip 200 with the status
 * REJECTED (groupId 5) REJECTED_DESTINATION "Invalid destination
 * address", Vonage 200 with status "29" and its error-text, generic JSON
 * 400 {"ok": false, "error": "invalid recipient"}; "echo" answers 400
 * with the request read back (its line, headers and body), as a chatty
 * provider's refusal can. GET /_control shows
 * the mode; GET /_stats gives the counters (requests, logged,
 * log_dropped, by_path, by_answer, by_shape, pending_slow, connections,
 * mode); POST /_reset zeroes the counters and returns to ok. The log
 * line of a request holds time_ms, method, path, query, shape, params (the
 * decoded form, JSON body or query), headers (Authorization, apiKey,
 * X-Baraza-Signature, ...), mode and status (null for "close");
 * params_error and body when the parameters do not parse; delay_ms in the
 * mode "slow".
 *
 * With --signing-key, a request of the generic JSON shape must carry
 * X-Baraza-Signature: t=UNIX,sha256=HEX as the gateway signs it (sig.h:
 * the HMAC-SHA256 of "UNIX.BODY" under KEY, UNIX within 300 s of this
 * clock); one without a valid one is answered 403 {"error": "..."}
 * whatever the mode (which it does not use up), and its log line says
 * "signature": "valid", "missing", "malformed", "stale" or "wrong".
 *
 * The gateway's HTTP server (gateway/http.c) has no call that drops a
 * connection without answering, so the mode "close" needs a front: unless
 * --direct is given, the public port belongs to a small byte-pumping relay
 * in this file (struct front). Each client connection gets its own relay
 * connection to the HTTP server on an internal port, bound to its own
 * loopback source address 127.1.A.B, so a request's remote address names
 * the client connection it came on; "close" then closes that client
 * connection. With --direct the HTTP server listens on the public port
 * itself (one hop less) and "close" is refused.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

#include <jansson.h>
#include <uv.h>

#include "lib/form.h"
#include "lib/http.h"
#include "lib/log.h"
#include "lib/sig.h"
#include "lib/util.h"

/* Default cap on the lines of the request log. */
#define LOG_MAX_DEFAULT 1000000
/* Distinct paths and answers counted by name; the rest count as other. */
#define STATS_MAX_KEYS 256
/* Requests held by the mode "slow" at once; more get 503. */
#define SLOW_MAX 10000
/* The longest delay the mode "slow" accepts. */
#define DELAY_MAX_MS (10 * 60 * 1000)
/* Unparsed bodies are logged up to this many bytes. */
#define RAW_BODY_MAX 4096
/* Recipients in one Africa's Talking or Infobip answer. */
#define AT_MAX_RECIPIENTS 1000
/* Relay: client connections at once, and the loopback slots for them. */
#define FRONT_MAX_CONNS 10000
#define FRONT_SLOTS (256 * 254)
/* Relay: at exit, connections still open after this long are closed. */
#define STOP_DRAIN_MS 3000
/* Relay: reading pauses while this much waits to be written. */
#define FRONT_HIGH_WATER (1024 * 1024)

enum mode {
	MODE_OK,
	MODE_429,
	MODE_500,
	MODE_400,
	MODE_SLOW,
	MODE_CLOSE,
	MODE_REJECT,
	MODE_ECHO,
};

static const char *const mode_names[] = {
    "ok", "429", "500", "400", "slow", "close", "reject", "echo"};

enum shape {
	SHAPE_AT,
	SHAPE_TWILIO,
	SHAPE_KANNEL,
	SHAPE_INFOBIP,
	SHAPE_VONAGE,
	SHAPE_HTTP,
};

static const char *const shape_names[] = {
    "africastalking", "twilio", "kannel", "infobip", "vonage", "http"};

/* Request headers worth recording. */
static const char *const logged_headers[] = {"Authorization", "apiKey",
    "X-Baraza-Signature", "Content-Type", "Accept", "User-Agent"};

struct fake;

/* A request the mode "slow" answers later. */
struct slow {
	uv_timer_t timer;         /* fires after delay_ms */
	struct fake *fake;        /* owner */
	struct http_request *req; /* answered when the timer fires */
	int status;               /* the answer */
	const char *ctype;        /* its Content-Type */
	char *body;               /* its body, owned */
	TAILQ_ENTRY(slow) entry;  /* in fake->slow */
};

/* One client connection relayed to the HTTP server. */
struct relay {
	uv_tcp_t down;            /* the client's connection */
	uv_tcp_t up;              /* ours to the HTTP server */
	uv_connect_t creq;        /* connecting up */
	uv_shutdown_t sdown;      /* half-close towards the client */
	uv_shutdown_t sup;        /* half-close towards the server */
	struct front *front;      /* owner */
	TAILQ_ENTRY(relay) entry; /* in front->relays */
	unsigned slot;            /* index in front->slots */
	int nhandles;             /* handles not yet closed */
	unsigned closing : 1;     /* being closed */
	unsigned down_eof : 1;    /* the client half-closed */
	unsigned up_eof : 1;      /* the server half-closed */
	unsigned down_shut : 1;   /* all the server sent reached the client */
	unsigned up_shut : 1;     /* all the client sent reached the server */
	unsigned connected : 1;   /* up is connected */
};

/* The relay in front of the HTTP server (not with --direct). */
struct front {
	uv_tcp_t tcp;               /* the public listening socket */
	struct fake *fake;          /* owner */
	struct sockaddr_in inner;   /* where the HTTP server listens */
	TAILQ_HEAD(, relay) relays; /* open client connections */
	struct relay **slots;       /* FRONT_SLOTS entries */
	unsigned next_slot;         /* where the search starts */
	unsigned nrelays;           /* entries in relays */
	uv_timer_t stop_timer;      /* bounds the drain at exit */
	int open;                   /* tcp and stop_timer are open */
	int stopping;               /* draining: no new connections */
};

struct fake {
	uv_loop_t *loop;         /* the default loop */
	struct http_server srv;  /* answers every request */
	struct front front;      /* the relay, unless direct */
	uv_signal_t sigterm;     /* clean exit */
	uv_signal_t sigint;      /* clean exit */
	int direct;              /* no relay: "close" refused */
	int stopping;            /* a signal came */
	FILE *log;               /* request log or NULL */
	uint64_t log_max;        /* lines before recording stops */
	uint64_t logged;         /* lines written since reset */
	uint64_t log_dropped;    /* lines not written since reset */
	enum mode mode;          /* in force */
	int64_t count;           /* requests left in mode, -1: no end */
	uint64_t delay_ms;       /* for MODE_SLOW */
	uint64_t seq;            /* message id counter, never reset */
	uint64_t requests;       /* provider requests since reset */
	json_t *by_path;         /* path -> count */
	json_t *by_answer;       /* status or "close" -> count */
	json_t *by_shape;        /* shape -> count */
	TAILQ_HEAD(, slow) slow; /* requests waiting to be answered */
	unsigned nslow;          /* entries in slow */
	const char *signing_key; /* --signing-key, or NULL */
};

static void relay_close(struct relay *);

/*
 * Small helpers
 */

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

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

/* Adds one to the counter key of obj, which holds at most STATS_MAX_KEYS. */
static void
count_key(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL && json_object_size(obj) >= STATS_MAX_KEYS) {
		key = "(other)";
		v = json_object_get(obj, key);
	}
	if (v == NULL) {
		/* A key that is not UTF-8 counts as other. */
		if (json_object_set_new(obj, key, json_integer(1)) == -1 &&
		    strcmp(key, "(other)") != 0)
			count_key(obj, "(other)");
	} else
		json_integer_set(v, json_integer_value(v) + 1);
}

/* True when the Content-Type of req contains what. */
static int
ctype_has(const struct http_request *req, const char *what)
{
	const char *ct = http_header(req, "Content-Type");

	return ct != NULL && strcasestr(ct, what) != NULL;
}

/*
 * Requests
 */

static enum shape
shape_of(const struct http_request *req)
{
	const char *p;

	if (strcmp(req->method, "POST") == 0 &&
	    ends_with(req->path, "/version1/messaging"))
		return SHAPE_AT;
	if (strcmp(req->method, "POST") == 0 &&
	    ends_with(req->path, "/Messages.json") &&
	    (p = strstr(req->path, "/2010-04-01/Accounts/")) != NULL &&
	    strchr(p + strlen("/2010-04-01/Accounts/"), '/') ==
		req->path + strlen(req->path) - strlen("/Messages.json"))
		return SHAPE_TWILIO;
	if (ends_with(req->path, "/cgi-bin/sendsms"))
		return SHAPE_KANNEL;
	if (strcmp(req->method, "POST") == 0 &&
	    ends_with(req->path, "/sms/2/text/advanced"))
		return SHAPE_INFOBIP;
	if (strcmp(req->method, "POST") == 0 &&
	    ends_with(req->path, "/sms/json"))
		return SHAPE_VONAGE;
	return SHAPE_HTTP;
}

/* The form fields of s as a JSON object (first value of a name wins). */
static json_t *
form_object(const char *s, size_t len, const char **errstr)
{
	struct form f;
	json_t *o;
	size_t i;

	memset(&f, 0, sizeof(f));
	if (form_parse(&f, s, len, errstr) == -1) {
		form_free(&f);
		return NULL;
	}
	o = json_object();
	for (i = 0; i < f.npairs; i++)
		if (json_object_get(o, f.pairs[i].name) == NULL)
			json_object_set_new(o, f.pairs[i].name,
			    jstr(f.pairs[i].value, strlen(f.pairs[i].value)));
	form_free(&f);
	return o;
}

/*
 * The request's parameters: a form or JSON body, else the query. Returns a
 * new object, or NULL with *errstr set when they do not parse.
 */
static json_t *
request_params(const struct http_request *req, const char **errstr)
{
	json_error_t jerr;
	json_t *j;

	*errstr = NULL;
	if (req->body_len > 0) {
		/* A JSON body, whatever its Content-Type claims. */
		if (ctype_has(req, "json") || req->body[0] == '{' ||
		    req->body[0] == '[') {
			j = json_loadb(req->body, req->body_len, 0, &jerr);
			if (j != NULL || !ctype_has(req, "form")) {
				if (j == NULL)
					*errstr = "invalid JSON";
				return j;
			}
		}
		return form_object(req->body, req->body_len, errstr);
	}
	return form_object(req->query, strlen(req->query), errstr);
}

/* The string param name, or "" when absent or not a string. */
static const char *
param(json_t *params, const char *name)
{
	const char *s = json_string_value(json_object_get(params, name));

	return s != NULL ? s : "";
}

/* An answer, built before it is sent now or later. */
struct answer {
	int status;        /* HTTP status, or 0 for "close" */
	const char *ctype; /* Content-Type */
	char *body;        /* owned */
};

static void
answer_json(struct answer *a, int status, json_t *j)
{
	a->status = status;
	a->ctype = "application/json";
	a->body = json_dumps(j, JSON_COMPACT);
	if (a->body == NULL)
		a->body = xstrdup("{}");
	json_decref(j);
}

static void
answer_text(struct answer *a, int status, const char *text)
{
	a->status = status;
	a->ctype = "text/plain";
	a->body = xstrdup(text);
}

/* Africa's Talking: one recipient per number of the comma list "to". */
static void
answer_at(struct fake *f, struct answer *a, json_t *params, int reject)
{
	const char *to = param(params, "to"), *p, *e;
	json_t *recips = json_array();
	char msg[64], id[40];
	size_t n = 0;

	for (p = to; n < AT_MAX_RECIPIENTS; p = e + 1) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		if (reject)
			snprintf(id, sizeof(id), "None");
		else
			snprintf(id, sizeof(id), "ATXid_%llu",
			    (unsigned long long)++f->seq);
		json_array_append_new(recips,
		    json_pack("{s:i, s:o, s:s, s:s, s:s}", "statusCode",
			reject ? 403 : 101, "number", jstr(p, (size_t)(e - p)),
			"status", reject ? "InvalidPhoneNumber" : "Success",
			"cost", reject ? "0" : "KES 0.8000", "messageId", id));
		n++;
		if (*e == '\0')
			break;
	}
	snprintf(
	    msg, sizeof(msg), "Sent to %zu/%zu", reject ? (size_t)0 : n, n);
	answer_json(a, 201,
	    json_pack("{s:{s:s, s:o}}", "SMSMessageData", "Message", msg,
		"Recipients", recips));
}

static void
answer_twilio(struct fake *f, struct answer *a, const struct http_request *req,
    json_t *params)
{
	const char *p = strstr(req->path, "/2010-04-01/Accounts/");
	const char *acct = p + strlen("/2010-04-01/Accounts/");
	char sid[40], date[40];
	json_t *j;

	snprintf(sid, sizeof(sid), "SM%llu", (unsigned long long)++f->seq);
	iso8601_utc(now_ms(), date, sizeof(date));
	j = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:s, s:s, s:n, s:n}",
	    "sid", sid, "status", "queued", "account_sid",
	    jstr(acct, strcspn(acct, "/")), "to",
	    jstr(param(params, "To"), strlen(param(params, "To"))), "from",
	    jstr(param(params, "From"), strlen(param(params, "From"))), "body",
	    jstr(param(params, "Body"), strlen(param(params, "Body"))),
	    "direction", "outbound-api", "date_created", date, "error_code",
	    "error_message");
	answer_json(a, 201, j);
}

/*
 * Infobip: one messages[] entry per destination of every message of the
 * request (none when it has none), PENDING or, with reject, REJECTED.
 */
static void
answer_infobip(struct fake *f, struct answer *a, json_t *params, int reject)
{
	json_t *out = json_array(), *msg, *dest, *status;
	size_t i, j;
	char id[40], bulk[40];

	snprintf(
	    bulk, sizeof(bulk), "ib-bulk-%llu", (unsigned long long)f->seq + 1);
	json_array_foreach(json_object_get(params, "messages"), i, msg)
	{
		json_array_foreach(
		    json_object_get(msg, "destinations"), j, dest)
		{
			if (json_array_size(out) >= AT_MAX_RECIPIENTS)
				break;
			snprintf(id, sizeof(id), "ib-%llu",
			    (unsigned long long)++f->seq);
			if (reject)
				status = json_pack("{s:i, s:s, s:i, s:s, s:s}",
				    "groupId", 5, "groupName", "REJECTED", "id",
				    52, "name", "REJECTED_DESTINATION",
				    "description",
				    "Invalid destination address");
			else
				status = json_pack("{s:i, s:s, s:i, s:s, s:s}",
				    "groupId", 1, "groupName", "PENDING", "id",
				    26, "name", "PENDING_ACCEPTED",
				    "description",
				    "Message sent to next instance");
			json_array_append_new(
			    out, json_pack("{s:o, s:s, s:o}", "to",
				     jstr(param(dest, "to"),
					 strlen(param(dest, "to"))),
				     "messageId", id, "status", status));
		}
	}
	answer_json(
	    a, 200, json_pack("{s:s, s:o}", "bulkId", bulk, "messages", out));
}

/* Vonage: one part, status "0" or, with reject, "29" with its error-text. */
static void
answer_vonage(struct fake *f, struct answer *a, json_t *params, int reject)
{
	const char *to = param(params, "to");
	char id[40];
	json_t *part;

	if (reject)
		part = json_pack("{s:o, s:s, s:s}", "to", jstr(to, strlen(to)),
		    "status", "29", "error-text",
		    "Non White-listed Destination - rejected");
	else {
		snprintf(
		    id, sizeof(id), "vg-%llu", (unsigned long long)++f->seq);
		part = json_pack("{s:o, s:s, s:s, s:s, s:s, s:s}", "to",
		    jstr(to, strlen(to)), "message-id", id, "status", "0",
		    "remaining-balance", "3.14159265", "message-price",
		    "0.03330000", "network", "63902");
	}
	answer_json(a, 200,
	    json_pack("{s:s, s:[o]}", "message-count", "1", "messages", part));
}

/* Builds the answer of a provider request in mode m. */
static void
answer_build(struct fake *f, struct answer *a, const struct http_request *req,
    enum shape shape, json_t *params, enum mode m)
{
	memset(a, 0, sizeof(*a));
	switch (m) {
	case MODE_429:
		answer_text(a, 429, "429 Too Many Requests\n");
		return;
	case MODE_500:
		answer_text(a, 500, "500 Internal Server Error\n");
		return;
	case MODE_400:
		answer_text(a, 400, "400 Bad Request\n");
		return;
	case MODE_CLOSE:
		a->status = 0;
		return;
	case MODE_ECHO: {
		/* A chatty provider's refusal: the request read back. */
		struct buf b;
		size_t i;

		buf_init(&b, 256 * 1024);
		buf_printf(&b, "400 refused: %s %s?%s\n", req->method,
		    req->path, req->query);
		for (i = 0; i < req->nheaders; i++)
			buf_printf(&b, "%s: %s\n", req->headers[i].name,
			    req->headers[i].value);
		buf_append(&b, req->body, req->body_len);
		a->status = 400;
		a->ctype = "text/plain";
		a->body = buf_steal(&b);
		return;
	}
	case MODE_REJECT:
		switch (shape) {
		case SHAPE_AT:
			answer_at(f, a, params, 1);
			break;
		case SHAPE_TWILIO:
			answer_json(a, 400,
			    json_pack("{s:i, s:s, s:s, s:i}", "code", 21211,
				"message", "Invalid 'To' Phone Number",
				"more_info",
				"https://www.twilio.com/docs/errors/21211",
				"status", 400));
			break;
		case SHAPE_KANNEL:
			answer_text(a, 400, "Invalid receiver number\n");
			break;
		case SHAPE_INFOBIP:
			answer_infobip(f, a, params, 1);
			break;
		case SHAPE_VONAGE:
			answer_vonage(f, a, params, 1);
			break;
		case SHAPE_HTTP:
			answer_json(a, 400,
			    json_pack("{s:b, s:s}", "ok", 0, "error",
				"invalid recipient"));
			break;
		}
		return;
	case MODE_OK:
	case MODE_SLOW:
		break;
	}
	switch (shape) {
	case SHAPE_AT:
		answer_at(f, a, params, 0);
		break;
	case SHAPE_TWILIO:
		answer_twilio(f, a, req, params);
		break;
	case SHAPE_KANNEL:
		f->seq++;
		answer_text(a, 202, "0: Accepted for delivery");
		break;
	case SHAPE_INFOBIP:
		answer_infobip(f, a, params, 0);
		break;
	case SHAPE_VONAGE:
		answer_vonage(f, a, params, 0);
		break;
	case SHAPE_HTTP:
		f->seq++;
		answer_json(a, 200, json_pack("{s:b}", "ok", 1));
		break;
	}
}

/* Writes the log line of a request, unless the log is full. */
static void
log_request(struct fake *f, const struct http_request *req, enum shape shape,
    json_t *params, const char *perr, enum mode m, const struct answer *a,
    const char *signature)
{
	json_t *line, *hdrs;
	const char *v;
	char *s;
	size_t i;

	if (f->log == NULL)
		return;
	if (f->logged >= f->log_max) {
		f->log_dropped++;
		return;
	}
	hdrs = json_object();
	for (i = 0; i < nitems(logged_headers); i++)
		if ((v = http_header(req, logged_headers[i])) != NULL)
			json_object_set_new(
			    hdrs, logged_headers[i], jstr(v, strlen(v)));
	line = json_pack("{s:I, s:s, s:o, s:o, s:s, s:O?, s:o, s:s, s:o}",
	    "time_ms", (json_int_t)now_ms(), "method", req->method, "path",
	    jstr(req->path, strlen(req->path)), "query",
	    jstr(req->query, strlen(req->query)), "shape", shape_names[shape],
	    "params", params, "headers", hdrs, "mode", mode_names[m], "status",
	    a->status != 0 ? json_integer(a->status) : json_null());
	if (line == NULL)
		return;
	if (perr != NULL) {
		json_object_set_new(line, "params_error", json_string(perr));
		json_object_set_new(line, "body",
		    jstr(req->body, req->body_len < RAW_BODY_MAX
					? req->body_len
					: RAW_BODY_MAX));
	}
	if (m == MODE_SLOW)
		json_object_set_new(
		    line, "delay_ms", json_integer((json_int_t)f->delay_ms));
	if (signature != NULL)
		json_object_set_new(line, "signature", json_string(signature));
	s = json_dumps(line, JSON_COMPACT);
	json_decref(line);
	if (s == NULL)
		return;
	if (fputs(s, f->log) == EOF || fputc('\n', f->log) == EOF ||
	    fflush(f->log) == EOF)
		log_warn("fake", "log write failed error=%s", strerror(errno));
	free(s);
	f->logged++;
}

/*
 * The mode "slow"
 */

static void
on_slow_close(uv_handle_t *h)
{
	struct slow *s = container_of(h, struct slow, timer);

	free(s->body);
	free(s);
}

/* Answers s now and releases it. */
static void
slow_finish(struct slow *s)
{
	struct fake *f = s->fake;

	TAILQ_REMOVE(&f->slow, s, entry);
	f->nslow--;
	http_respond(s->req, s->status, s->ctype, s->body, strlen(s->body));
	s->req = NULL;
	uv_close((uv_handle_t *)&s->timer, on_slow_close);
}

static void
on_slow_timer(uv_timer_t *t)
{
	slow_finish(container_of(t, struct slow, timer));
}

/* Takes over a's body; answers req after the delay. */
static void
slow_start(struct fake *f, struct http_request *req, struct answer *a)
{
	struct slow *s;

	if (f->nslow >= SLOW_MAX || f->stopping) {
		http_respond(
		    req, a->status, a->ctype, a->body, strlen(a->body));
		free(a->body);
		return;
	}
	s = xcalloc(1, sizeof(*s));
	s->fake = f;
	s->req = req;
	s->status = a->status;
	s->ctype = a->ctype;
	s->body = a->body;
	uv_timer_init(f->loop, &s->timer);
	uv_timer_start(&s->timer, on_slow_timer, f->delay_ms, 0);
	TAILQ_INSERT_TAIL(&f->slow, s, entry);
	f->nslow++;
}

/*
 * Control requests: /_control, /_stats, /_reset. Not recorded.
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
mode_json(struct fake *f)
{
	return json_pack("{s:s, s:o, s:I}", "mode", mode_names[f->mode],
	    "count", f->count < 0 ? json_null() : json_integer(f->count),
	    "delay_ms", (json_int_t)f->delay_ms);
}

static void
control_set(struct fake *f, struct http_request *req)
{
	json_error_t jerr;
	json_t *j, *v;
	const char *name;
	json_int_t count = -1, delay = (json_int_t)f->delay_ms;
	size_t i;
	int m = -1;

	j = json_loadb(req->body, req->body_len, 0, &jerr);
	if (j == NULL || !json_is_object(j)) {
		json_decref(j);
		respond_error(req, 400, "body must be a JSON object");
		return;
	}
	name = json_string_value(json_object_get(j, "mode"));
	for (i = 0; name != NULL && i < nitems(mode_names); i++)
		if (strcmp(name, mode_names[i]) == 0)
			m = (int)i;
	if (m < 0) {
		json_decref(j);
		respond_error(req, 400,
		    "mode must be one of ok 429 500 400 slow close reject");
		return;
	}
	if ((v = json_object_get(j, "count")) != NULL && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < 1) {
			json_decref(j);
			respond_error(
			    req, 400, "count must be an integer >= 1");
			return;
		}
		count = json_integer_value(v);
	}
	if ((v = json_object_get(j, "delay_ms")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > DELAY_MAX_MS) {
			json_decref(j);
			respond_error(req, 400, "delay_ms must be 0..600000");
			return;
		}
		delay = json_integer_value(v);
	}
	json_decref(j);
	if (m == MODE_CLOSE && f->direct) {
		respond_error(
		    req, 400, "mode close needs the relay (not --direct)");
		return;
	}
	f->mode = (enum mode)m;
	f->count = m == MODE_OK ? -1 : (int64_t)count;
	f->delay_ms = (uint64_t)delay;
	log_info("fake", "mode=%s count=%lld delay_ms=%llu", mode_names[m],
	    (long long)f->count, (unsigned long long)f->delay_ms);
	respond_json(req, 200, mode_json(f));
}

static void
control_stats(struct fake *f, struct http_request *req)
{
	struct http_stats hs;
	json_t *j, *m;

	http_server_stats(&f->srv, &hs);
	j = json_pack("{s:I, s:I, s:I, s:O, s:O, s:O, s:i, s:I}", "requests",
	    (json_int_t)f->requests, "logged", (json_int_t)f->logged,
	    "log_dropped", (json_int_t)f->log_dropped, "by_path", f->by_path,
	    "by_answer", f->by_answer, "by_shape", f->by_shape, "pending_slow",
	    (int)f->nslow, "connections",
	    (json_int_t)(f->direct ? hs.conns_open : f->front.nrelays));
	m = mode_json(f);
	json_object_update(j, m);
	json_decref(m);
	respond_json(req, 200, j);
}

static void
stats_reset(struct fake *f)
{
	f->requests = f->logged = f->log_dropped = 0;
	json_object_clear(f->by_path);
	json_object_clear(f->by_answer);
	json_object_clear(f->by_shape);
}

/* Handles req when it is a control request; returns 1 if it was. */
static int
control(struct fake *f, struct http_request *req)
{
	int post = strcmp(req->method, "POST") == 0;
	int get = strcmp(req->method, "GET") == 0;

	if (strcmp(req->path, "/_control") == 0) {
		if (post)
			control_set(f, req);
		else if (get)
			respond_json(req, 200, mode_json(f));
		else
			respond_error(req, 405, "GET or POST");
	} else if (strcmp(req->path, "/_stats") == 0) {
		if (get)
			control_stats(f, req);
		else
			respond_error(req, 405, "GET");
	} else if (strcmp(req->path, "/_reset") == 0) {
		if (post) {
			stats_reset(f);
			f->mode = MODE_OK;
			f->count = -1;
			respond_json(req, 200, mode_json(f));
		} else
			respond_error(req, 405, "POST");
	} else
		return 0;
	return 1;
}

/*
 * The relay: the public port when not --direct.
 */

/* The relay whose upstream source address is remote, or NULL. */
static struct relay *
front_find(struct front *fr, const char *remote)
{
	unsigned a, b;
	char tail;

	if (fr->slots == NULL ||
	    sscanf(remote, "127.1.%u.%u%c", &a, &b, &tail) != 2 || a > 255 ||
	    b < 1 || b > 254)
		return NULL;
	return fr->slots[a * 254 + (b - 1)];
}

static void
on_relay_close(uv_handle_t *h)
{
	struct relay *r = h->data;
	struct front *fr = r->front;

	if (--r->nhandles > 0)
		return;
	TAILQ_REMOVE(&fr->relays, r, entry);
	fr->nrelays--;
	free(r);
}

static void
relay_close(struct relay *r)
{
	struct front *fr = r->front;

	if (r->closing)
		return;
	r->closing = 1;
	if (fr->slots[r->slot] == r)
		fr->slots[r->slot] = NULL;
	uv_close((uv_handle_t *)&r->down, on_relay_close);
	uv_close((uv_handle_t *)&r->up, on_relay_close);
}

static void
on_relay_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	(void)h;
	if (hint > 65536)
		hint = 65536;
	b->base = xmalloc(hint);
	b->len = hint;
}

/* A write of one read buffer, freed when done. */
struct relay_write {
	uv_write_t req; /* the write */
	char *data;     /* the bytes, owned */
};

static void on_relay_read(uv_stream_t *, ssize_t, const uv_buf_t *);

/* Reads from both sides while the other side's queue is short. */
static void
relay_sync(struct relay *r)
{
	size_t q;

	if (r->closing || !r->connected)
		return;
	q = uv_stream_get_write_queue_size((uv_stream_t *)&r->up);
	if (!r->down_eof && q < FRONT_HIGH_WATER)
		uv_read_start(
		    (uv_stream_t *)&r->down, on_relay_alloc, on_relay_read);
	else if (!r->down_eof)
		uv_read_stop((uv_stream_t *)&r->down);
	q = uv_stream_get_write_queue_size((uv_stream_t *)&r->down);
	if (!r->up_eof && q < FRONT_HIGH_WATER)
		uv_read_start(
		    (uv_stream_t *)&r->up, on_relay_alloc, on_relay_read);
	else if (!r->up_eof)
		uv_read_stop((uv_stream_t *)&r->up);
}

static void
on_relay_write(uv_write_t *req, int status)
{
	struct relay_write *w = container_of(req, struct relay_write, req);
	struct relay *r = req->handle->data;

	free(w->data);
	free(w);
	if (r->closing)
		return;
	if (status < 0) {
		relay_close(r);
		return;
	}
	relay_sync(r);
}

/*
 * A half-close is done: every byte for that side has been written. The
 * relay closes once both sides are done, or, when stopping, once the
 * client has all the server's answers.
 */
static void
on_relay_shutdown(uv_shutdown_t *req, int status)
{
	struct relay *r = req->handle->data;

	if (r->closing)
		return;
	if (req == &r->sdown)
		r->down_shut = 1;
	else
		r->up_shut = 1;
	if (status < 0 || (r->down_shut && r->up_shut) ||
	    (r->down_shut && r->front->stopping))
		relay_close(r);
}

static void
on_relay_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
	struct relay *r = s->data;
	int from_down = s == (uv_stream_t *)&r->down;
	uv_stream_t *to =
	    from_down ? (uv_stream_t *)&r->up : (uv_stream_t *)&r->down;
	uv_shutdown_t *sreq = from_down ? &r->sup : &r->sdown;
	struct relay_write *w;
	uv_buf_t wb;

	if (nread <= 0 || r->closing) {
		free(b->base);
		if (r->closing || nread == 0)
			return;
		if (nread != UV_EOF) {
			relay_close(r);
			return;
		}
		/* Pass the half-close on once what is queued is written. */
		uv_read_stop(s);
		if (from_down)
			r->down_eof = 1;
		else
			r->up_eof = 1;
		if (uv_shutdown(sreq, to, on_relay_shutdown) < 0)
			relay_close(r);
		return;
	}
	w = xmalloc(sizeof(*w));
	w->data = b->base;
	wb = uv_buf_init(w->data, (unsigned int)nread);
	if (uv_write(&w->req, to, &wb, 1, on_relay_write) < 0) {
		free(w->data);
		free(w);
		relay_close(r);
		return;
	}
	relay_sync(r);
}

static void
on_relay_connect(uv_connect_t *req, int status)
{
	struct relay *r = container_of(req, struct relay, creq);

	if (r->closing)
		return;
	if (status < 0) {
		log_warn("fake", "relay connect failed error=%s",
		    uv_strerror(status));
		relay_close(r);
		return;
	}
	r->connected = 1;
	uv_tcp_nodelay(&r->up, 1);
	uv_tcp_nodelay(&r->down, 1);
	relay_sync(r);
}

/* A free loopback slot, or -1. */
static int
front_slot(struct front *fr)
{
	unsigned i, s;

	for (i = 0; i < FRONT_SLOTS; i++) {
		s = (fr->next_slot + i) % FRONT_SLOTS;
		if (fr->slots[s] == NULL) {
			fr->next_slot = (s + 1) % FRONT_SLOTS;
			return (int)s;
		}
	}
	return -1;
}

static void
on_front_connection(uv_stream_t *s, int status)
{
	struct front *fr = container_of(s, struct front, tcp);
	struct sockaddr_in src;
	struct relay *r;
	char addr[32];
	int slot, rc;

	if (status < 0) {
		log_warn("fake", "accept failed error=%s", uv_strerror(status));
		return;
	}
	r = xcalloc(1, sizeof(*r));
	r->front = fr;
	uv_tcp_init(s->loop, &r->down);
	uv_tcp_init(s->loop, &r->up);
	r->down.data = r->up.data = r;
	r->nhandles = 2;
	TAILQ_INSERT_TAIL(&fr->relays, r, entry);
	fr->nrelays++;
	r->slot = FRONT_SLOTS; /* none yet */
	if (uv_accept(s, (uv_stream_t *)&r->down) != 0 || fr->stopping ||
	    fr->nrelays > FRONT_MAX_CONNS || (slot = front_slot(fr)) < 0) {
		r->closing = 1;
		uv_close((uv_handle_t *)&r->down, on_relay_close);
		uv_close((uv_handle_t *)&r->up, on_relay_close);
		return;
	}
	r->slot = (unsigned)slot;
	fr->slots[slot] = r;
	snprintf(addr, sizeof(addr), "127.1.%d.%d", slot / 254, slot % 254 + 1);
	if ((rc = uv_ip4_addr(addr, 0, &src)) != 0 ||
	    (rc = uv_tcp_bind(&r->up, (struct sockaddr *)&src, 0)) != 0 ||
	    (rc = uv_tcp_connect(&r->creq, &r->up,
		 (struct sockaddr *)&fr->inner, on_relay_connect)) != 0) {
		log_warn("fake", "relay failed error=%s", uv_strerror(rc));
		relay_close(r);
	}
}

/* Listens on addr and relays to the HTTP server's port. */
static int
front_start(struct front *fr, struct fake *f, const char *addr, int inner)
{
	struct sockaddr_in sa;
	char host[64];
	const char *colon = strrchr(addr, ':');
	char *end;
	long port;
	size_t hl;
	int rc;

	fr->fake = f;
	TAILQ_INIT(&fr->relays);
	if (colon == NULL || (hl = (size_t)(colon - addr)) >= sizeof(host))
		return UV_EINVAL;
	memcpy(host, addr, hl);
	host[hl] = '\0';
	if (strcmp(host, "localhost") == 0 || hl == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno != 0 || port < 0 ||
	    port > 65535 || uv_ip4_addr(host, (int)port, &sa) != 0)
		return UV_EINVAL;
	uv_ip4_addr("127.0.0.1", inner, &fr->inner);
	fr->slots = xcalloc(FRONT_SLOTS, sizeof(*fr->slots));
	uv_tcp_init(f->loop, &fr->tcp);
	uv_timer_init(f->loop, &fr->stop_timer);
	fr->stop_timer.data = fr;
	fr->open = 1;
	if ((rc = uv_tcp_bind(&fr->tcp, (struct sockaddr *)&sa, 0)) != 0)
		return rc;
	return uv_listen((uv_stream_t *)&fr->tcp, 1024, on_front_connection);
}

static int
front_port(struct front *fr)
{
	struct sockaddr_in sa;
	int len = sizeof(sa);

	if (uv_tcp_getsockname(&fr->tcp, (struct sockaddr *)&sa, &len) != 0)
		return -1;
	return ntohs(sa.sin_port);
}

static void
on_front_stop_timer(uv_timer_t *t)
{
	struct front *fr = t->data;
	struct relay *r;

	TAILQ_FOREACH(r, &fr->relays, entry)
	relay_close(r);
}

/*
 * Stops accepting. Relays close as soon as the client has every answer
 * (see on_relay_shutdown); those already in that state close now, and
 * after STOP_DRAIN_MS the rest close too.
 */
static void
front_stop(struct front *fr)
{
	struct relay *r;

	if (!fr->open)
		return;
	fr->open = 0;
	fr->stopping = 1;
	uv_close((uv_handle_t *)&fr->tcp, NULL);
	TAILQ_FOREACH(r, &fr->relays, entry)
	if (r->down_shut || !r->connected)
		relay_close(r);
	uv_timer_start(&fr->stop_timer, on_front_stop_timer, STOP_DRAIN_MS, 0);
	uv_unref((uv_handle_t *)&fr->stop_timer);
}

/* Closes what front_start opened; the relays are closed already. */
static void
front_free(struct front *fr)
{
	uv_close((uv_handle_t *)&fr->stop_timer, NULL);
}

/*
 * Provider requests
 */

/* The mode for the next request, counting it against the mode's count. */
static enum mode
mode_take(struct fake *f)
{
	enum mode m = f->mode;

	if (m != MODE_OK && f->count > 0 && --f->count == 0) {
		f->mode = MODE_OK;
		f->count = -1;
	}
	return m;
}

/*
 * Checks the X-Baraza-Signature of req under --signing-key at this clock.
 * Returns "valid", "missing", "malformed", "stale" or "wrong".
 */
static const char *
signature_check(struct fake *f, const struct http_request *req)
{
	const char *h = http_header(req, "X-Baraza-Signature");

	if (h == NULL)
		return "missing";
	switch (sig_http_verify(
	    f->signing_key, now_ms() / 1000, req->body, req->body_len, h)) {
	case SIG_VALID:
		return "valid";
	case SIG_MALFORMED:
		return "malformed";
	case SIG_STALE:
		return "stale";
	default:
		return "wrong";
	}
}

static void
on_request(struct http_request *req, void *arg)
{
	struct fake *f = arg;
	struct answer a;
	struct relay *r;
	enum shape shape;
	enum mode m;
	json_t *params;
	const char *perr, *signature = NULL;
	char key[16];

	if (control(f, req))
		return;
	shape = shape_of(req);
	params = request_params(req, &perr);
	if (f->signing_key != NULL && shape == SHAPE_HTTP)
		signature = signature_check(f, req);
	if (signature != NULL && strcmp(signature, "valid") != 0) {
		/* Refused before any mode applies, as a provider would. */
		m = MODE_OK;
		memset(&a, 0, sizeof(a));
		answer_json(&a, 403,
		    json_pack("{s:s, s:s}", "error",
			"X-Baraza-Signature refused", "signature", signature));
	} else {
		m = mode_take(f);
		answer_build(f, &a, req, shape, params, m);
	}
	log_request(f, req, shape, params, perr, m, &a, signature);
	json_decref(params);
	f->requests++;
	count_key(f->by_path, req->path);
	count_key(f->by_shape, shape_names[shape]);
	if (a.status == 0)
		snprintf(key, sizeof(key), "close");
	else
		snprintf(key, sizeof(key), "%d", a.status);
	count_key(f->by_answer, key);
	if (m == MODE_CLOSE) {
		/*
		 * Drop the client's connection, then answer into the relay's
		 * closed upstream socket, where nobody reads it.
		 */
		if ((r = front_find(&f->front, req->remote)) != NULL)
			relay_close(r);
		else
			log_warn("fake", "close: no relay for remote=%s",
			    req->remote);
		http_respond(req, 503, NULL, NULL, 0);
		return;
	}
	if (m == MODE_SLOW && f->delay_ms > 0) {
		slow_start(f, req, &a);
		return;
	}
	http_respond(req, a.status, a.ctype, a.body, strlen(a.body));
	free(a.body);
}

/*
 * Start and stop
 */

static void
on_server_done(struct http_server *srv)
{
	struct fake *f = container_of(srv, struct fake, srv);

	uv_close((uv_handle_t *)&f->sigterm, NULL);
	uv_close((uv_handle_t *)&f->sigint, NULL);
}

static void
on_signal(uv_signal_t *h, int signum)
{
	struct fake *f = h->data;
	struct slow *s;

	if (f->stopping)
		return;
	f->stopping = 1;
	log_info("fake", "stopping signal=%d", signum);
	while ((s = TAILQ_FIRST(&f->slow)) != NULL)
		slow_finish(s);
	if (!f->direct)
		front_stop(&f->front);
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
	    "usage: fake_provider --port-file FILE [--listen ADDR:PORT] "
	    "[--log FILE] [--log-max N] [--direct] [--signing-key KEY]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static struct fake fake;
	struct fake *f = &fake;
	const char *port_file = NULL, *listen = "127.0.0.1:0", *log_path = NULL;
	struct http_limits lim;
	char *end;
	int i, rc, port;

	f->log_max = LOG_MAX_DEFAULT;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--direct") == 0)
			f->direct = 1;
		else if (i + 1 >= argc)
			usage();
		else if (strcmp(argv[i], "--port-file") == 0)
			port_file = argv[++i];
		else if (strcmp(argv[i], "--listen") == 0)
			listen = argv[++i];
		else if (strcmp(argv[i], "--log") == 0)
			log_path = argv[++i];
		else if (strcmp(argv[i], "--signing-key") == 0) {
			f->signing_key = argv[++i];
			if (f->signing_key[0] == '\0')
				usage();
		} else if (strcmp(argv[i], "--log-max") == 0) {
			errno = 0;
			f->log_max = strtoull(argv[++i], &end, 10);
			if (errno != 0 || *end != '\0' || argv[i][0] == '-')
				usage();
		} else
			usage();
	}
	if (port_file == NULL)
		usage();
	signal(SIGPIPE, SIG_IGN);
	if (log_path != NULL && (f->log = fopen(log_path, "a")) == NULL)
		fatal("%s", log_path);
	f->loop = uv_default_loop();
	f->count = -1;
	f->by_path = json_object();
	f->by_answer = json_object();
	f->by_shape = json_object();
	TAILQ_INIT(&f->slow);
	http_limits_default(&lim);
	lim.max_body = 1024 * 1024;
	if ((rc = http_server_init(&f->srv, f->loop, &lim, on_request, f)) != 0)
		fatalx("http server: %s", uv_strerror(rc));
	rc = http_server_listen(&f->srv, f->direct ? listen : "127.0.0.1:0");
	if (rc != 0)
		fatalx("listen %s: %s", listen, uv_strerror(rc));
	port = http_server_port(&f->srv);
	if (!f->direct) {
		if ((rc = front_start(&f->front, f, listen, port)) != 0)
			fatalx("listen %s: %s", listen, uv_strerror(rc));
		port = front_port(&f->front);
	}
	uv_signal_init(f->loop, &f->sigterm);
	uv_signal_init(f->loop, &f->sigint);
	f->sigterm.data = f->sigint.data = f;
	uv_signal_start(&f->sigterm, on_signal, SIGTERM);
	uv_signal_start(&f->sigint, on_signal, SIGINT);
	write_port_file(port_file, port);
	log_info("fake", "listening port=%d direct=%d", port, f->direct);
	uv_run(f->loop, UV_RUN_DEFAULT);
	if (!f->direct) {
		/* The relay's unreferenced drain timer is the last handle. */
		front_free(&f->front);
		uv_run(f->loop, UV_RUN_DEFAULT);
	}
	if (uv_loop_close(f->loop) != 0)
		log_warn("fake", "loop closed with handles open");
	free(f->front.slots);
	json_decref(f->by_path);
	json_decref(f->by_answer);
	json_decref(f->by_shape);
	if (f->log != NULL)
		fclose(f->log);
	return 0;
}
