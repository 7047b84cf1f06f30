/*
 * provider.c: releasing what the providers fill, and the helpers the
 * implementations share (strict
 * form and JSON field access, UTF-8 checks, outbound request assembly,
 * error texts).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/form.h"
#include "lib/phone.h"
#include "lib/util.h"
#include "providers/provider.h"

void
provider_inbound_init(struct provider_inbound *in)
{
	memset(in, 0, sizeof(*in));
	in->ussd_new = -1;
}

void
provider_status_init(struct provider_status *st)
{
	memset(st, 0, sizeof(*st));
}

void
provider_inbound_free(struct provider_inbound *in)
{
	size_t i;

	if (in == NULL)
		return;
	for (i = 0; i < in->nmore; i++)
		provider_inbound_free(&in->more[i]);
	free(in->more);
	free(in->id);
	free(in->from);
	free(in->to);
	free(in->text);
	free(in->session);
	free(in->service_code);
	free(in->ussd_text);
	free(in->part_ref);
	provider_inbound_init(in);
}

void
provider_status_free(struct provider_status *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->nmore; i++)
		provider_status_free(&st->more[i]);
	free(st->more);
	free(st->id);
	free(st->error);
	provider_status_init(st);
}

void
provider_request_free(struct provider_request *r)
{
	size_t i;

	if (r == NULL)
		return;
	free(r->url);
	free(r->body);
	free(r->userpwd);
	for (i = 0; i < nitems(r->headers); i++)
		free(r->headers[i]);
	memset(r, 0, sizeof(*r));
}

void
provider_result_free(struct provider_result *res)
{
	if (res == NULL)
		return;
	free(res->provider_id);
	free(res->error);
	res->provider_id = NULL;
	res->error = NULL;
}

void
provider_parse_send(const struct provider_ops *ops,
    const struct channel_config *cfg, int64_t msg_id,
    const struct client_resp *resp, struct provider_result *result)
{
	memset(result, 0, sizeof(*result));
	result->msg_id = msg_id;
	ops->parse_send(cfg, resp, result);
}

int
provider_utf8_valid(const char *s, size_t len)
{
	size_t i = 0, n;

	while (i < len) {
		if ((n = utf8_seq(s + i, len - i)) == 0)
			return 0;
		i += n;
	}
	return 1;
}

char *
provider_clean(const char *s, size_t len, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out = xmalloc(max + 1);
	size_t i = 0, o = 0, n;
	int space = 0;

	while (i < len) {
		n = utf8_seq(s + i, len - i);
		if (n == 1 && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' ||
				  p[i] == '\n')) {
			space = 1;
			i++;
			continue;
		}
		/* A pending space, then the character or its '?'. */
		if (o + (space && o > 0) + (n > 1 ? n : 1) > max)
			break;
		if (space && o > 0)
			out[o++] = ' ';
		space = 0;
		if (n == 0 || (n == 1 && (p[i] < 0x20 || p[i] == 0x7f))) {
			out[o++] = '?';
			i++;
		} else {
			memcpy(out + o, p + i, n);
			o += n;
			i += n;
		}
	}
	out[o] = '\0';
	return out;
}

static void reasonf(struct buf *, const char *, ...) PRINTFLIKE(2, 3);

/* Appends a reason line when there is somewhere to put it. */
static void
reasonf(struct buf *reason, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (reason == NULL)
		return;
	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	(void)buf_puts(reason, s);
	free(s);
}

enum provider_decode
provider_form(const struct http_request *req, int allow_get, struct form *f,
    struct buf *reason)
{
	return provider_form_flags(req, allow_get, 0, f, reason);
}

enum provider_decode
provider_form_flags(const struct http_request *req, int allow_get,
    int form_flags, struct form *f, struct buf *reason)
{
	const char *src, *err = NULL;
	size_t len;

	memset(f, 0, sizeof(*f));
	if (strcmp(req->method, "POST") == 0) {
		src = req->body;
		len = req->body_len;
		if (len == 0 && allow_get) {
			src = req->query;
			len = strlen(req->query);
		}
	} else if (allow_get && strcmp(req->method, "GET") == 0) {
		src = req->query;
		len = strlen(req->query);
	} else {
		reasonf(reason, "method %.16s not allowed (%s)", req->method,
		    allow_get ? "GET or POST" : "POST only");
		return DECODE_BAD;
	}
	if (form_parse_flags(f, src, len, form_flags, &err) == -1) {
		reasonf(reason, "invalid form data: %s", err);
		return DECODE_BAD;
	}
	return DECODE_OK;
}

/* Checks one value against flags; stores a copy in *out. */
static int
field_value(const char *name, const char *v, size_t len, int flags, char **out,
    struct buf *reason)
{
	*out = NULL;
	if (v == NULL) {
		if ((flags & PROVIDER_REQUIRED) == 0)
			return 0;
		reasonf(reason, "missing field %s", name);
		return DECODE_BAD;
	}
	if (len == 0 && (flags & PROVIDER_NONEMPTY) == PROVIDER_NONEMPTY) {
		reasonf(reason, "empty field %s", name);
		return DECODE_BAD;
	}
	if (memchr(v, '\0', len) != NULL || !provider_utf8_valid(v, len)) {
		reasonf(reason, "invalid UTF-8 in field %s", name);
		return DECODE_BAD;
	}
	*out = xstrndup(v, len);
	return 0;
}

enum provider_decode
provider_field(const struct form *f, const char *name, int flags, char **out,
    struct buf *reason)
{
	size_t len = 0;
	const char *v = form_get_len(f, name, &len);

	return field_value(name, v, len, flags, out, reason);
}

enum provider_decode
provider_json(
    const struct http_request *req, struct json_t **root, struct buf *reason)
{
	json_error_t err;
	json_t *j;
	char *text;

	*root = NULL;
	if (strcmp(req->method, "POST") != 0) {
		reasonf(reason, "method %.16s not allowed (POST only)",
		    req->method);
		return DECODE_BAD;
	}
	j = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &err);
	if (j == NULL) {
		/* jansson quotes the input near the error: keep it one line. */
		text = provider_clean(err.text, strlen(err.text), 160);
		reasonf(reason, "invalid JSON: %s (line %d, column %d)", text,
		    err.line, err.column);
		free(text);
		return DECODE_BAD;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		reasonf(reason, "invalid JSON: not an object");
		return DECODE_BAD;
	}
	*root = j;
	return DECODE_OK;
}

enum provider_decode
provider_json_field(struct json_t *obj, const char *name, int flags, char **out,
    struct buf *reason)
{
	json_t *v = json_object_get(obj, name);
	char num[32];

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return field_value(name, NULL, 0, flags, out, reason);
	if (json_is_string(v))
		return field_value(name, json_string_value(v),
		    json_string_length(v), flags, out, reason);
	if ((flags & PROVIDER_NUMBER) && json_is_integer(v)) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		*out = xstrdup(num);
		return 0;
	}
	reasonf(reason, "field %s must be a %s", name,
	    (flags & PROVIDER_NUMBER) ? "string or an integer" : "string");
	return DECODE_BAD;
}

int
provider_form_add(struct buf *b, const char *name, const char *value)
{
	if ((b->len > 0 && buf_puts(b, "&") == -1) || buf_puts(b, name) == -1 ||
	    buf_puts(b, "=") == -1 ||
	    url_encode_buf(b, value, strlen(value)) == -1)
		return -1;
	return 0;
}

void
provider_fail(struct provider_result *result, enum provider_outcome outcome,
    const char *fmt, ...)
{
	va_list ap;

	result->outcome = outcome;
	free(result->error);
	va_start(ap, fmt);
	result->error = xvasprintf(fmt, ap);
	va_end(ap);
}

enum provider_outcome
provider_outcome_of(enum client_outcome o)
{
	switch (o) {
	case CLIENT_OK:
		return PROVIDER_OK;
	case CLIENT_TEMPFAIL:
		return PROVIDER_TEMPFAIL;
	case CLIENT_PERMFAIL:
		break;
	}
	return PROVIDER_PERMFAIL;
}

void
provider_http_failure(
    const struct client_resp *resp, struct provider_result *result)
{
	enum provider_outcome o = provider_outcome_of(resp->outcome);
	char *text;

	/* A 2xx whose transfer failed later is still not a success. */
	if (o == PROVIDER_OK)
		o = PROVIDER_TEMPFAIL;
	if (resp->status == 0 || resp->code != CURLE_OK) {
		text = provider_clean(resp->error != NULL ? resp->error : "",
		    resp->error != NULL ? strlen(resp->error) : 0,
		    PROVIDER_ERROR_MAX);
		provider_fail(result, o, "%s",
		    text[0] != '\0' ? text : "transport error");
		free(text);
		return;
	}
	text = provider_clean(resp->body != NULL ? resp->body : "",
	    resp->body != NULL ? resp->body_len : 0, PROVIDER_ERROR_MAX);
	if (text[0] != '\0')
		provider_fail(result, o, "HTTP %ld: %s", resp->status, text);
	else
		provider_fail(result, o, "HTTP %ld", resp->status);
	free(text);
}

int
provider_request_header(struct provider_request *r, const char *fmt, ...)
{
	const char *pct, *v;
	va_list ap;
	size_t i, len;
	char *h;

	for (i = 0; i < PROVIDER_MAX_HEADERS && r->headers[i] != NULL; i++)
		;
	if (i == PROVIDER_MAX_HEADERS)
		return -1;
	/*
	 * Most are constant or a name and one value ("Name: %s"), built for
	 * every message sent: no printf for them.
	 */
	pct = strchr(fmt, '%');
	if (pct == NULL)
		h = xstrdup(fmt);
	else if (pct[1] == 's' && pct[2] == '\0') {
		va_start(ap, fmt);
		v = va_arg(ap, const char *);
		va_end(ap);
		if (v == NULL)
			v = "";
		len = strlen(v);
		h = xmalloc((size_t)(pct - fmt) + len + 1);
		memcpy(h, fmt, (size_t)(pct - fmt));
		memcpy(h + (pct - fmt), v, len + 1);
	} else {
		va_start(ap, fmt);
		h = xvasprintf(fmt, ap);
		va_end(ap);
	}
	if (strpbrk(h, "\r\n") != NULL) {
		free(h);
		return -1;
	}
	r->headers[i] = h;
	r->headers[i + 1] = NULL;
	return 0;
}

void
provider_request_finish(struct provider_request *r, const char *method)
{
	memset(&r->req, 0, sizeof(r->req));
	r->req.method = method;
	r->req.url = r->url;
	r->req.headers = (const char *const *)r->headers;
	r->req.body = r->body;
	r->req.body_len = r->body != NULL ? strlen(r->body) : 0;
	r->req.userpwd = r->userpwd;
}

enum provider_decode
provider_status_set(struct provider_status *st, const char *status,
    const struct provider_state_name *table, size_t n, char **detail,
    struct buf *reason)
{
	char *shown;
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(status, table[i].name) == 0)
			break;
	if (i == n) {
		shown = provider_clean(status, strlen(status), 32);
		if (reason != NULL)
			(void)buf_printf(reason, "unknown status %s", shown);
		free(shown);
		return DECODE_IGNORE;
	}
	st->state = table[i].state;
	if (st->state == DLR_FAILED) {
		if (*detail != NULL && (*detail)[0] != '\0') {
			st->error = *detail;
			*detail = NULL;
		} else
			st->error = xstrdup(status);
	}
	return DECODE_OK;
}

void
provider_international(char **number)
{
	const char *s = *number;
	size_t n = strspn(s, "0123456789");
	char *plus;

	if (s[0] == '0' || s[n] != '\0' || n < PHONE_MIN_DIGITS ||
	    n > PHONE_MAX_DIGITS)
		return;
	plus = xconcat("+", s, (char *)NULL);
	free(*number);
	*number = plus;
}

enum provider_decode
provider_sms_form(const struct http_request *req, int allow_get,
    struct provider_inbound *in, struct buf *reason)
{
	return provider_sms_form_ex(req, allow_get, 0, NULL, in, reason);
}

enum provider_decode
provider_sms_form_ex(const struct http_request *req, int allow_get,
    int form_flags,
    enum provider_decode (*text_fn)(
	const struct form *, char **text, struct buf *reason),
    struct provider_inbound *in, struct buf *reason)
{
	struct form f;
	int rc;

	provider_inbound_init(in);
	in->ussd_new = 0;
	if ((rc = provider_form_flags(
		 req, allow_get, form_flags, &f, reason)) == DECODE_OK &&
	    (rc = provider_field(
		 &f, "id", PROVIDER_NONEMPTY, &in->id, reason)) == 0 &&
	    (rc = provider_field(
		 &f, "from", PROVIDER_NONEMPTY, &in->from, reason)) == 0 &&
	    (rc = provider_field(
		 &f, "to", PROVIDER_NONEMPTY, &in->to, reason)) == 0)
		rc = text_fn != NULL
			 ? text_fn(&f, &in->text, reason)
			 : provider_field(&f, "text", PROVIDER_REQUIRED,
			       &in->text, reason);
	form_free(&f);
	if (rc != DECODE_OK)
		provider_inbound_free(in);
	return rc;
}

void
provider_answer_empty(int64_t id, struct provider_answer *ans, struct buf *body)
{
	(void)id;
	(void)body;
	ans->status = 200;
	ans->content_type = "text/plain";
}
