/*
 * proto.c: length-prefixed JSON frames between the modem supervisor and a
 * modem worker (see proto.h for the messages).
 */
#include "modem/proto.h"

#include "lib/log.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_names[] = {
    [MODEM_MSG_HELLO] = "hello",
    [MODEM_MSG_HEARTBEAT] = "heartbeat",
    [MODEM_MSG_INBOUND] = "inbound",
    [MODEM_MSG_SENDING] = "sending",
    [MODEM_MSG_SENT] = "sent",
    [MODEM_MSG_BALANCE] = "balance",
    [MODEM_MSG_ERROR] = "error",
    [MODEM_MSG_CONFIG] = "config",
    [MODEM_MSG_SEND] = "send",
    [MODEM_MSG_ACK] = "ack",
    [MODEM_MSG_STOP] = "stop",
    [MODEM_MSG_REPORT] = "report",
};

static const char *const outcome_names[] = {
    [MODEM_OK] = "OK",
    [MODEM_TEMPFAIL] = "TEMPFAIL",
    [MODEM_PERMFAIL] = "PERMFAIL",
};

const char *
modem_proto_type_name(enum modem_msg_type t)
{
	if ((size_t)t >= nitems(type_names))
		return NULL;
	return type_names[t];
}

const char *
modem_outcome_name(enum modem_outcome o)
{
	if ((size_t)o >= nitems(outcome_names))
		return "TEMPFAIL";
	return outcome_names[o];
}

/* Sets the error text and returns -1. */
static int
    PRINTFLIKE(3, 4) seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/*
 * Reads string member name of o into *out (NULL when absent and optional).
 * The string must hold no NUL and at most max bytes.
 */
static int
get_str(json_t *o, const char *name, int required, size_t max, const char **out,
    char *err, size_t errlen)
{
	json_t *v;
	size_t len;

	*out = NULL;
	v = json_object_get(o, name);
	if (v == NULL || json_is_null(v)) {
		if (required)
			return seterr(err, errlen, "missing member %s", name);
		return 0;
	}
	if (!json_is_string(v))
		return seterr(err, errlen, "member %s is not a string", name);
	len = json_string_length(v);
	if (len > max)
		return seterr(err, errlen, "member %s is too long", name);
	if (memchr(json_string_value(v), '\0', len) != NULL)
		return seterr(err, errlen, "member %s holds a NUL", name);
	*out = json_string_value(v);
	return 0;
}

/* Reads integer member name into *out, checking min <= value <= max. */
static int
get_int(json_t *o, const char *name, int required, int64_t min, int64_t max,
    int64_t *out, char *err, size_t errlen)
{
	json_t *v;
	json_int_t n;

	*out = 0;
	v = json_object_get(o, name);
	if (v == NULL) {
		if (required)
			return seterr(err, errlen, "missing member %s", name);
		return 0;
	}
	if (!json_is_integer(v))
		return seterr(err, errlen, "member %s is not an integer", name);
	n = json_integer_value(v);
	if (n < min || n > max)
		return seterr(err, errlen, "member %s out of range", name);
	*out = n;
	return 0;
}

/* Reads boolean member name into *out (0 when absent and optional). */
static int
get_bool(json_t *o, const char *name, int required, int *out, char *err,
    size_t errlen)
{
	json_t *v;

	*out = 0;
	v = json_object_get(o, name);
	if (v == NULL) {
		if (required)
			return seterr(err, errlen, "missing member %s", name);
		return 0;
	}
	if (!json_is_boolean(v))
		return seterr(err, errlen, "member %s is not a boolean", name);
	*out = json_is_true(v);
	return 0;
}

#define STR(name, req, max, field)                                          \
	do {                                                                \
		if (get_str(o, name, req, max, &m->field, err, errlen) < 0) \
			return -1;                                          \
	} while (0)
#define INT(name, req, min, max, var)                                       \
	do {                                                                \
		if (get_int(o, name, req, min, max, &var, err, errlen) < 0) \
			return -1;                                          \
	} while (0)

/*
 * Fills m from the object o of the type already in m->type. Over 80 lines
 * on purpose: one case per frame type, each the flat list of its members
 * as proto.h describes them, so the whole protocol reads in one place.
 */
static int
parse_members(json_t *o, struct modem_msg *m, char *err, size_t errlen)
{
	const char *s;
	int64_t n;

	switch (m->type) {
	case MODEM_MSG_HELLO:
		STR("model", 1, MODEM_PROTO_MAX_STRING, model);
		STR("imei", 1, MODEM_PROTO_MAX_STRING, imei);
		STR("smsc", 0, MODEM_PROTO_MAX_NUMBER, smsc);
		break;
	case MODEM_MSG_HEARTBEAT:
		if (get_bool(o, "up", 1, &m->up, err, errlen) < 0)
			return -1;
		INT("signal", 1, 0, 100, n);
		m->signal = (int)n;
		STR("network", 0, MODEM_PROTO_MAX_STRING, network);
		break;
	case MODEM_MSG_INBOUND:
		INT("id", 1, 1, INT64_MAX, m->id);
		STR("key", 1, MODEM_PROTO_MAX_STRING, key);
		STR("from", 1, MODEM_PROTO_MAX_NUMBER, from);
		STR("text", 1, MODEM_PROTO_MAX_TEXT, text);
		STR("time", 0, MODEM_PROTO_MAX_STRING, time);
		INT("parts", 1, 1, MODEM_PROTO_MAX_PARTS, n);
		m->parts = (int)n;
		INT("total", 1, 1, MODEM_PROTO_MAX_PARTS, n);
		m->total = (int)n;
		if (m->parts > m->total)
			return seterr(err, errlen, "more parts than total");
		break;
	case MODEM_MSG_SENDING:
		INT("id", 1, INT64_MIN, INT64_MAX, m->id);
		INT("part", 1, 1, MODEM_PROTO_MAX_PARTS, n);
		m->part = (int)n;
		INT("parts", 1, 1, MODEM_PROTO_MAX_PARTS, n);
		m->parts = (int)n;
		if (m->part > m->parts)
			return seterr(err, errlen, "part beyond parts");
		break;
	case MODEM_MSG_SENT:
		INT("id", 1, INT64_MIN, INT64_MAX, m->id);
		if (get_str(o, "outcome", 1, 16, &s, err, errlen) < 0)
			return -1;
		if (strcmp(s, "OK") == 0)
			m->outcome = MODEM_OK;
		else if (strcmp(s, "TEMPFAIL") == 0)
			m->outcome = MODEM_TEMPFAIL;
		else if (strcmp(s, "PERMFAIL") == 0)
			m->outcome = MODEM_PERMFAIL;
		else
			return seterr(err, errlen, "unknown outcome");
		STR("error", 0, MODEM_PROTO_MAX_STRING, error);
		STR("reference", 0, MODEM_PROTO_MAX_STRING, reference);
		break;
	case MODEM_MSG_BALANCE:
		STR("text", 0, MODEM_PROTO_MAX_STRING, text);
		STR("error", 0, MODEM_PROTO_MAX_STRING, error);
		break;
	case MODEM_MSG_ERROR:
		STR("error", 1, MODEM_PROTO_MAX_STRING, error);
		INT("code", 0, 0, 100000, n);
		m->code = (int)n;
		break;
	case MODEM_MSG_CONFIG:
		STR("device", 1, MODEM_PROTO_MAX_STRING, device);
		STR("connection", 1, MODEM_PROTO_MAX_STRING, connection);
		STR("model", 1, MODEM_PROTO_MAX_STRING, model);
		STR("pin", 0, MODEM_PROTO_MAX_NUMBER, pin);
		INT("poll_interval_ms", 1, 100, INT32_MAX, m->poll_interval_ms);
		INT("multipart_timeout_ms", 1, 0, INT64_MAX / 4,
		    m->multipart_timeout_ms);
		STR("balance_ussd", 0, MODEM_PROTO_MAX_NUMBER, balance_ussd);
		break;
	case MODEM_MSG_SEND:
		INT("id", 1, INT64_MIN, INT64_MAX, m->id);
		STR("to", 1, MODEM_PROTO_MAX_NUMBER, to);
		if (m->to[0] == '\0')
			return seterr(err, errlen, "empty member to");
		STR("text", 1, MODEM_PROTO_MAX_TEXT, text);
		if (get_bool(o, "report", 0, &m->report, err, errlen) < 0)
			return -1;
		break;
	case MODEM_MSG_ACK:
		INT("id", 1, 1, INT64_MAX, m->id);
		break;
	case MODEM_MSG_STOP:
		break;
	case MODEM_MSG_REPORT:
		INT("id", 1, 1, INT64_MAX, m->id);
		STR("reference", 1, MODEM_PROTO_MAX_STRING, reference);
		if (m->reference[0] == '\0')
			return seterr(err, errlen, "empty member reference");
		if (get_str(o, "outcome", 1, 16, &s, err, errlen) < 0)
			return -1;
		if (strcmp(s, "OK") == 0)
			m->outcome = MODEM_OK;
		else if (strcmp(s, "PERMFAIL") == 0)
			m->outcome = MODEM_PERMFAIL;
		else
			return seterr(err, errlen, "unknown report outcome");
		STR("error", 0, MODEM_PROTO_MAX_STRING, error);
		break;
	}
	return 0;
}

int
modem_proto_parse(const char *body, size_t len, modem_proto_msg_cb cb,
    void *arg, char *err, size_t errlen)
{
	struct modem_msg m;
	json_error_t jerr;
	json_t *o;
	const char *type;
	size_t i;
	int rc;

	if (len == 0 || len > MODEM_PROTO_MAX_FRAME)
		return seterr(err, errlen, "bad frame length %zu", len);
	o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (o == NULL)
		return seterr(err, errlen, "bad JSON: %s", jerr.text);
	if (!json_is_object(o)) {
		json_decref(o);
		return seterr(err, errlen, "frame is not an object");
	}
	memset(&m, 0, sizeof(m));
	if (get_str(o, "type", 1, 32, &type, err, errlen) < 0) {
		json_decref(o);
		return -1;
	}
	for (i = 0; i < nitems(type_names); i++)
		if (strcmp(type, type_names[i]) == 0)
			break;
	if (i == nitems(type_names)) {
		json_decref(o);
		return seterr(err, errlen, "unknown type");
	}
	m.type = (enum modem_msg_type)i;
	if (parse_members(o, &m, err, errlen) < 0) {
		json_decref(o);
		return -1;
	}
	rc = cb != NULL ? cb(&m, arg) : 0;
	json_decref(o);
	return rc;
}

void
modem_proto_reader_init(struct modem_proto_reader *r)
{
	memset(r, 0, sizeof(*r));
}

void
modem_proto_reader_free(struct modem_proto_reader *r)
{
	free(r->body);
	r->body = NULL;
}

int
modem_proto_feed(struct modem_proto_reader *r, const void *data, size_t len,
    modem_proto_msg_cb cb, void *arg)
{
	const unsigned char *p = data;
	size_t n;
	int rc;

	if (r->failed)
		return -1;
	while (len > 0) {
		if (r->hdrlen < 4) {
			n = 4 - r->hdrlen;
			if (n > len)
				n = len;
			memcpy(r->hdr + r->hdrlen, p, n);
			r->hdrlen += n;
			p += n;
			len -= n;
			if (r->hdrlen < 4)
				break;
			r->need = (size_t)r->hdr[0] << 24 |
				  (size_t)r->hdr[1] << 16 |
				  (size_t)r->hdr[2] << 8 | (size_t)r->hdr[3];
			r->have = 0;
			if (r->need == 0 || r->need > MODEM_PROTO_MAX_FRAME) {
				r->failed = 1;
				snprintf(r->error, sizeof(r->error),
				    "bad frame length %zu", r->need);
				return -1;
			}
			if (r->body == NULL)
				r->body = xmalloc(MODEM_PROTO_MAX_FRAME + 1);
		}
		n = r->need - r->have;
		if (n > len)
			n = len;
		memcpy(r->body + r->have, p, n);
		r->have += n;
		p += n;
		len -= n;
		if (r->have < r->need)
			break;
		/* A whole frame: parse it, then get ready for the next. */
		r->hdrlen = 0;
		rc = modem_proto_parse(
		    r->body, r->need, cb, arg, r->error, sizeof(r->error));
		if (rc == -1) {
			r->failed = 1;
			return -1;
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

/*
 * Sets member name of o to the string s unless s is NULL; sets *bad when
 * s is not valid UTF-8 (jansson refuses it).
 */
static void
put_str_(json_t *o, const char *name, const char *s, int *bad)
{
	json_t *v;

	if (s == NULL)
		return;
	v = json_string(s);
	if (v == NULL)
		*bad = 1;
	else
		json_object_set_new(o, name, v);
}
#define put_str(o, name, s) put_str_(o, name, s, &bad)

/*
 * Builds the JSON object for m; NULL when a string is not valid UTF-8.
 * Over 80 lines on purpose, as parse_members: one flat case per frame type.
 */
static json_t *
build(const struct modem_msg *m)
{
	json_t *o;
	const char *type;
	int bad = 0;

	type = modem_proto_type_name(m->type);
	if (type == NULL)
		return NULL;
	o = json_object();
	if (o == NULL)
		fatalx("out of memory");
	json_object_set_new(o, "type", json_string(type));
	switch (m->type) {
	case MODEM_MSG_HELLO:
		put_str(o, "model", m->model);
		put_str(o, "imei", m->imei);
		put_str(o, "smsc", m->smsc);
		break;
	case MODEM_MSG_HEARTBEAT:
		json_object_set_new(o, "up", json_boolean(m->up));
		json_object_set_new(o, "signal", json_integer(m->signal));
		put_str(o, "network", m->network);
		break;
	case MODEM_MSG_INBOUND:
		json_object_set_new(o, "id", json_integer(m->id));
		put_str(o, "key", m->key);
		put_str(o, "from", m->from);
		put_str(o, "text", m->text);
		put_str(o, "time", m->time);
		json_object_set_new(o, "parts", json_integer(m->parts));
		json_object_set_new(o, "total", json_integer(m->total));
		break;
	case MODEM_MSG_SENDING:
		json_object_set_new(o, "id", json_integer(m->id));
		json_object_set_new(o, "part", json_integer(m->part));
		json_object_set_new(o, "parts", json_integer(m->parts));
		break;
	case MODEM_MSG_SENT:
		json_object_set_new(o, "id", json_integer(m->id));
		json_object_set_new(
		    o, "outcome", json_string(modem_outcome_name(m->outcome)));
		put_str(o, "error", m->error);
		put_str(o, "reference", m->reference);
		break;
	case MODEM_MSG_BALANCE:
		put_str(o, "text", m->text);
		put_str(o, "error", m->error);
		break;
	case MODEM_MSG_ERROR:
		put_str(o, "error", m->error);
		json_object_set_new(o, "code", json_integer(m->code));
		break;
	case MODEM_MSG_CONFIG:
		put_str(o, "device", m->device);
		put_str(o, "connection", m->connection);
		put_str(o, "model", m->model);
		put_str(o, "pin", m->pin);
		json_object_set_new(
		    o, "poll_interval_ms", json_integer(m->poll_interval_ms));
		json_object_set_new(o, "multipart_timeout_ms",
		    json_integer(m->multipart_timeout_ms));
		put_str(o, "balance_ussd", m->balance_ussd);
		break;
	case MODEM_MSG_SEND:
		json_object_set_new(o, "id", json_integer(m->id));
		put_str(o, "to", m->to);
		put_str(o, "text", m->text);
		json_object_set_new(o, "report", json_boolean(m->report));
		break;
	case MODEM_MSG_ACK:
		json_object_set_new(o, "id", json_integer(m->id));
		break;
	case MODEM_MSG_STOP:
		break;
	case MODEM_MSG_REPORT:
		json_object_set_new(o, "id", json_integer(m->id));
		put_str(o, "reference", m->reference);
		json_object_set_new(
		    o, "outcome", json_string(modem_outcome_name(m->outcome)));
		put_str(o, "error", m->error);
		break;
	}
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The callback used to validate our own output: it accepts everything. */
static int
accept_cb(const struct modem_msg *m, void *arg)
{
	(void)m;
	(void)arg;
	return 0;
}

int
modem_proto_encode(const struct modem_msg *m, struct buf *out)
{
	json_t *o;
	char *s;
	size_t len, oldlen;
	unsigned char hdr[4];
	char err[128];

	o = build(m);
	if (o == NULL)
		return -1;
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (s == NULL)
		return -1;
	len = strlen(s);
	/*
	 * Parse what we wrote: a required member left unset or a value out
	 * of bounds fails here, so we never send what the peer would reject.
	 */
	if (len == 0 || len > MODEM_PROTO_MAX_FRAME ||
	    modem_proto_parse(s, len, accept_cb, NULL, err, sizeof(err)) != 0) {
		free(s);
		return -1;
	}
	hdr[0] = (unsigned char)(len >> 24);
	hdr[1] = (unsigned char)(len >> 16);
	hdr[2] = (unsigned char)(len >> 8);
	hdr[3] = (unsigned char)len;
	oldlen = out->len;
	if (buf_append(out, hdr, 4) < 0 || buf_append(out, s, len) < 0) {
		out->len = oldlen;
		if (out->data != NULL)
			out->data[oldlen] = '\0';
		free(s);
		return -1;
	}
	free(s);
	return 0;
}

enum modem_outcome
modem_report_outcome(int tp_status)
{
	if (tp_status >= 0 && tp_status < 0x20)
		return MODEM_OK;
	if (tp_status >= 0x20 && tp_status < 0x40)
		return MODEM_TEMPFAIL;
	return MODEM_PERMFAIL;
}
