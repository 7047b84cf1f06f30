/*
 * twilio.c: Twilio Programmable Messaging (SMS only, no USSD).
 *
 * Twilio POSTs forms for incoming messages (MessageSid From To Body ...)
 * and for status callbacks (MessageSid MessageStatus ErrorCode ...), each
 * signed in X-Twilio-Signature over the URL it called and every POST
 * parameter (sig.h). That URL is rebuilt from the configured public_url
 * (the channel's, else the gateway's; never the request's Host or
 * X-Forwarded-* headers, which the sender chooses) plus the request's path
 * and query; a missing or wrong signature, or no public_url to check it
 * against, is refused with 403 before anything else is looked at. An incoming message is answered with an
 * empty TwiML document.
 *
 * Sending is a form POST to
 * {api_url}/2010-04-01/Accounts/{account_sid}/Messages.json with basic
 * auth; the JSON answer's sid is the message's id, and errors come as
 * {"code": N, "message": "..."}.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/form.h"
#include "lib/sig.h"
#include "providers/provider.h"

#define TWILIO_URL_MAX (64 * 1024) /* public URL, path and query */
#define TWILIO_RESPONSE "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>"

/*
 * Appends to url the blen bytes of base with the port the scheme has by
 * default (https 443, http 80) added when it has none, or taken away when
 * it has that one. Returns 0, or -1 when there is no such other form (another
 * port, another scheme) or no room.
 */
static int
tw_other_port(struct buf *url, const char *base, size_t blen)
{
	const char *port, *host, *end, *colon = NULL;
	size_t i, hlen, plen;

	if (blen >= 8 && strncmp(base, "https://", 8) == 0) {
		port = ":443";
		host = base + 8;
	} else if (blen >= 7 && strncmp(base, "http://", 7) == 0) {
		port = ":80";
		host = base + 7;
	} else
		return -1;
	end = memchr(host, '/', blen - (size_t)(host - base));
	if (end == NULL)
		end = base + blen;
	hlen = (size_t)(end - host);
	/* The port's ':' is the last one after the host ("[::1]:443"). */
	for (i = hlen; i > 0 && host[i - 1] != ']' && colon == NULL; i--)
		if (host[i - 1] == ':')
			colon = host + i - 1;
	plen = strlen(port);
	if (colon == NULL) { /* none: add the default */
		if (buf_append(url, base, (size_t)(end - base)) != 0 ||
		    buf_puts(url, port) != 0)
			return -1;
	} else if ((size_t)(end - colon) == plen &&
		   strncmp(colon, port, plen) == 0) { /* the default: out */
		if (buf_append(url, base, (size_t)(colon - base)) != 0)
			return -1;
	} else
		return -1; /* another port */
	return buf_append(url, end, (size_t)(base + blen - end));
}

/*
 * Parses the form and checks its signature. Returns DECODE_OK,
 * DECODE_BAD or DECODE_FORBIDDEN (reason appended); the caller calls
 * form_free(f) in every case.
 */
static enum provider_decode
tw_verified_form(const struct channel_config *cfg,
    const struct http_request *req, const char *public_url, struct form *f,
    struct buf *reason)
{
	struct sig_param params[FORM_MAX_PAIRS];
	const char *header, *base;
	struct buf url;
	size_t i, blen;
	int rc, alt;

	/* Unsigned first: refused (403) before anything is read. */
	memset(f, 0, sizeof(*f));
	header = http_header(req, "X-Twilio-Signature");
	if (header == NULL || header[0] == '\0') {
		if (reason != NULL)
			(void)buf_puts(reason, "missing X-Twilio-Signature");
		return DECODE_FORBIDDEN;
	}
	/* A form that does not parse has no signature that can be checked:
	 * unsigned, as far as anyone can tell. */
	buf_init(&url, 256);
	if ((rc = provider_form(req, 0, f, &url)) != DECODE_OK) {
		if (reason != NULL)
			(void)buf_printf(reason,
			    "X-Twilio-Signature cannot be checked: %s",
			    buf_cstr(&url));
		buf_free(&url);
		return DECODE_FORBIDDEN;
	}
	buf_free(&url);
	base = public_url != NULL ? public_url : cfg->public_url;
	if (base == NULL || base[0] == '\0') {
		if (reason != NULL)
			(void)buf_puts(reason,
			    "no public URL to check X-Twilio-Signature");
		return DECODE_FORBIDDEN;
	}

	for (i = 0; i < f->npairs; i++) {
		params[i].name = f->pairs[i].name;
		params[i].value = f->pairs[i].value;
	}
	/* The URL Twilio called: public URL, path, query as received; and as
	 * Twilio's own libraries do, the same with the scheme's default port
	 * written or left out (":443"), which Twilio signs either way. */
	blen = strlen(base);
	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	buf_init(&url, TWILIO_URL_MAX);
	rc = -1;
	for (alt = 0; alt < 2 && rc != 0; alt++) {
		buf_reset(&url);
		if ((alt == 0 ? buf_append(&url, base, blen)
			      : tw_other_port(&url, base, blen)) != 0)
			continue;
		if (buf_puts(&url, req->path) == -1 ||
		    (req->query[0] != '\0' &&
			(buf_puts(&url, "?") == -1 ||
			    buf_puts(&url, req->query) == -1))) {
			buf_free(&url);
			if (reason != NULL)
				(void)buf_puts(reason, "URL too long");
			return DECODE_BAD;
		}
		rc = sig_twilio_verify(
		    cfg->auth_token != NULL ? cfg->auth_token : "",
		    buf_cstr(&url), params, f->npairs, header);
	}
	buf_free(&url);
	if (rc != 0) {
		if (reason != NULL)
			(void)buf_puts(reason, "wrong X-Twilio-Signature");
		return DECODE_FORBIDDEN;
	}
	return DECODE_OK;
}

static enum provider_decode
tw_decode_sms(const struct channel_config *cfg, const struct http_request *req,
    const char *public_url, struct provider_inbound *in, struct buf *reason)
{
	struct form f;
	int rc;

	provider_inbound_init(in);
	in->ussd_new = 0;
	if ((rc = tw_verified_form(cfg, req, public_url, &f, reason)) ==
		DECODE_OK &&
	    (rc = provider_field(
		 &f, "MessageSid", PROVIDER_NONEMPTY, &in->id, reason)) == 0 &&
	    (rc = provider_field(
		 &f, "From", PROVIDER_NONEMPTY, &in->from, reason)) == 0 &&
	    (rc = provider_field(
		 &f, "To", PROVIDER_NONEMPTY, &in->to, reason)) == 0)
		rc = provider_field(
		    &f, "Body", PROVIDER_REQUIRED, &in->text, reason);
	form_free(&f);
	if (rc != DECODE_OK)
		provider_inbound_free(in);
	return rc;
}

/* Message statuses (docs: Messaging, message resource, status values). */
static const struct provider_state_name tw_states[] = {
    {"accepted", DLR_SENT},
    {"scheduled", DLR_SENT},
    {"queued", DLR_SENT},
    {"sending", DLR_SENT},
    {"sent", DLR_SENT},
    {"delivered", DLR_DELIVERED},
    {"read", DLR_DELIVERED},
    {"failed", DLR_FAILED},
    {"undelivered", DLR_FAILED},
    {"canceled", DLR_FAILED},
};

static enum provider_decode
tw_decode_status(const struct channel_config *cfg,
    const struct http_request *req, const char *public_url,
    struct provider_status *st, struct buf *reason)
{
	struct form f;
	char *status = NULL, *code = NULL;
	int rc;

	provider_status_init(st);
	if ((rc = tw_verified_form(cfg, req, public_url, &f, reason)) ==
		DECODE_OK &&
	    (rc = provider_field(
		 &f, "MessageSid", PROVIDER_NONEMPTY, &st->id, reason)) == 0 &&
	    (rc = provider_field(
		 &f, "MessageStatus", PROVIDER_NONEMPTY, &status, reason)) == 0)
		rc = provider_field(
		    &f, "ErrorCode", PROVIDER_OPTIONAL, &code, reason);
	form_free(&f);
	if (rc != DECODE_OK)
		goto out;

	rc = provider_status_set(
	    st, status, tw_states, nitems(tw_states), &code, reason);
out:
	free(status);
	free(code);
	if (rc != DECODE_OK)
		provider_status_free(st);
	return rc;
}

static void
tw_answer_sms(int64_t id, struct provider_answer *ans, struct buf *body)
{
	(void)id;
	ans->status = 200;
	ans->content_type = "text/xml";
	(void)buf_puts(body, TWILIO_RESPONSE);
}

static int
tw_build_send(const struct channel_config *cfg, const struct provider_msg *msg,
    struct provider_request *r)
{
	struct buf body;
	char *sid;
	int err = 0;

	memset(r, 0, sizeof(*r));
	if (cfg->api_url == NULL || cfg->account_sid == NULL ||
	    cfg->auth_token == NULL || strchr(cfg->account_sid, ':') != NULL ||
	    msg->to == NULL || msg->text == NULL)
		return -1;

	buf_init(&body, PROVIDER_REQUEST_MAX);
	err |= provider_form_add(&body, "To", msg->to);
	if (cfg->sender != NULL && cfg->sender[0] != '\0')
		err |= provider_form_add(&body, "From", cfg->sender);
	err |= provider_form_add(&body, "Body", msg->text);
	if (msg->status_url != NULL && msg->status_url[0] != '\0')
		err |=
		    provider_form_add(&body, "StatusCallback", msg->status_url);
	if (err != 0) {
		buf_free(&body);
		return -1;
	}
	r->body = buf_steal(&body);

	sid = url_encode(cfg->account_sid, strlen(cfg->account_sid));
	r->url = xasprintf(
	    "%s/2010-04-01/Accounts/%s/Messages.json", cfg->api_url, sid);
	free(sid);
	r->userpwd = xasprintf("%s:%s", cfg->account_sid, cfg->auth_token);
	if (provider_request_header(r, "Accept: application/json") == -1 ||
	    provider_request_header(
		r, "Content-Type: application/x-www-form-urlencoded") == -1) {
		provider_request_free(r);
		return -1;
	}
	provider_request_finish(r, "POST");
	return 0;
}

static void
tw_parse_send(const struct channel_config *cfg, const struct client_resp *resp,
    struct provider_result *res)
{
	json_t *root, *sid, *code, *message;
	char *text;

	(void)cfg;
	root = json_loadb(resp->body, resp->body_len, 0, NULL);
	if (resp->outcome == CLIENT_OK) {
		res->outcome = PROVIDER_OK;
		sid = json_object_get(root, "sid");
		if (json_is_string(sid) && json_string_length(sid) > 0)
			res->provider_id =
			    provider_clean(json_string_value(sid),
				json_string_length(sid), PROVIDER_ERROR_MAX);
		json_decref(root);
		return;
	}

	code = json_object_get(root, "code");
	message = json_object_get(root, "message");
	if (resp->status != 0 && json_is_string(message)) {
		text = provider_clean(json_string_value(message),
		    json_string_length(message), PROVIDER_ERROR_MAX);
		if (json_is_integer(code))
			provider_fail(res, provider_outcome_of(resp->outcome),
			    "%" JSON_INTEGER_FORMAT ": %s",
			    json_integer_value(code), text);
		else
			provider_fail(res, provider_outcome_of(resp->outcome),
			    "%s", text);
		free(text);
	} else
		provider_http_failure(resp, res);
	json_decref(root);
}

const struct provider_ops provider_twilio = {
    .name = "twilio",
    .webhook_get = 0,
    .dlr_by_own_id = 0,
    .decode_sms = tw_decode_sms,
    .decode_ussd = NULL,
    .decode_status = tw_decode_status,
    .answer_sms = tw_answer_sms,
    .answer_ussd = NULL,
    .build_send = tw_build_send,
    .parse_send = tw_parse_send,
};
