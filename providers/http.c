/*
 * http.c: the generic JSON channel, for anything that can speak a little
 * JSON over HTTP (another gateway, an aggregator's adapter, a test fake).
 *
 * Webhooks are POSTed JSON objects:
 *   sms     {"id", "from", "to", "text"}        answered {"id": N}
 *   ussd    {"session", "from", "code", "input"} (and optionally "new":
 *           true on a session's first step)      answered {"text", "end"}
 *   status  {"id", "status"}: id is the gateway's message id sent in the
 *           outbound request; status is sent, delivered or failed (with an
 *           optional "error" text)
 * Sending POSTs {"id": N, "to": "...", "text": "..."} to api_url. With a
 * signing_key (required unless allow_unsigned = yes), both directions carry
 * X-Baraza-Signature: t=UNIX,sha256=HEX, the HMAC-SHA256 of UNIX, '.' and
 * the raw body (sig.h); a webhook without the right one, or signed more
 * than SIG_MAX_SKEW seconds away from now, is refused before its body is
 * parsed.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/sig.h"
#include "providers/provider.h"

/*
 * Checks the signature when the channel has a signing_key (only a channel
 * with allow_unsigned = yes has none), then parses the body. Returns
 * DECODE_OK with *root set, or DECODE_BAD or DECODE_FORBIDDEN with a reason
 * and *root NULL.
 */
/*
 * The signature's verdict by signing_key, or, while a sender moves to it,
 * by signing_key_previous when the first does not match.
 */
static int
verify(const struct channel_config *cfg, const struct http_request *req,
    const char *header)
{
	int64_t now = now_ms() / 1000;
	int v = sig_http_verify(
	    cfg->signing_key, now, req->body, req->body_len, header);

	if (v == SIG_MISMATCH && cfg->signing_key_previous != NULL)
		v = sig_http_verify(cfg->signing_key_previous, now, req->body,
		    req->body_len, header);
	return v;
}

static enum provider_decode
hp_load(const struct channel_config *cfg, const struct http_request *req,
    json_t **root, struct buf *reason)
{
	const char *header, *why = NULL;

	*root = NULL;
	if (cfg->signing_key != NULL && cfg->signing_key[0] != '\0') {
		header = http_header(req, "X-Baraza-Signature");
		if (header == NULL || header[0] == '\0')
			why = "missing X-Baraza-Signature";
		else
			switch (verify(cfg, req, header)) {
			case SIG_VALID:
				break;
			case SIG_MALFORMED:
				why = "malformed X-Baraza-Signature: expected "
				      "t=UNIX,sha256=HEX";
				break;
			case SIG_STALE:
				why = "X-Baraza-Signature too old (or in the "
				      "future): its t must be within 300 s";
				break;
			default:
				why = "wrong X-Baraza-Signature";
				break;
			}
		if (why != NULL) {
			if (reason != NULL)
				(void)buf_puts(reason, why);
			return DECODE_FORBIDDEN;
		}
	}
	return provider_json(req, root, reason);
}

static enum provider_decode
hp_decode_sms(const struct channel_config *cfg, const struct http_request *req,
    const char *public_url, struct provider_inbound *in, struct buf *reason)
{
	json_t *root;
	int rc;

	(void)public_url;
	provider_inbound_init(in);
	in->ussd_new = 0;
	if ((rc = hp_load(cfg, req, &root, reason)) == DECODE_OK &&
	    (rc = provider_json_field(root, "id",
		 PROVIDER_NONEMPTY | PROVIDER_NUMBER, &in->id, reason)) == 0 &&
	    (rc = provider_json_field(
		 root, "from", PROVIDER_NONEMPTY, &in->from, reason)) == 0 &&
	    (rc = provider_json_field(
		 root, "to", PROVIDER_NONEMPTY, &in->to, reason)) == 0)
		rc = provider_json_field(
		    root, "text", PROVIDER_REQUIRED, &in->text, reason);
	json_decref(root);
	if (rc != DECODE_OK)
		provider_inbound_free(in);
	return rc;
}

static enum provider_decode
hp_decode_ussd(const struct channel_config *cfg, const struct http_request *req,
    const char *public_url, struct provider_inbound *in, struct buf *reason)
{
	json_t *root, *isnew;
	int rc;

	(void)public_url;
	provider_inbound_init(in);
	if ((rc = hp_load(cfg, req, &root, reason)) == DECODE_OK &&
	    (rc = provider_json_field(root, "session",
		 PROVIDER_NONEMPTY | PROVIDER_NUMBER, &in->session, reason)) ==
		0 &&
	    (rc = provider_json_field(
		 root, "from", PROVIDER_NONEMPTY, &in->from, reason)) == 0 &&
	    (rc = provider_json_field(root, "code", PROVIDER_NONEMPTY,
		 &in->service_code, reason)) == 0 &&
	    (rc = provider_json_field(root, "input", PROVIDER_REQUIRED,
		 &in->ussd_text, reason)) == 0) {
		isnew = json_object_get(root, "new");
		if (isnew == NULL || json_is_null(isnew))
			in->ussd_new = -1;
		else if (json_is_boolean(isnew))
			in->ussd_new = json_is_true(isnew);
		else {
			if (reason != NULL)
				(void)buf_puts(
				    reason, "field new must be a boolean");
			rc = DECODE_BAD;
		}
	}
	json_decref(root);
	if (rc != DECODE_OK)
		provider_inbound_free(in);
	return rc;
}

/* 1 when s is a positive decimal message id without sign or padding. */
static int
hp_is_msg_id(const char *s)
{
	size_t i;

	if (s[0] < '1' || s[0] > '9' || strlen(s) > 18)
		return 0;
	for (i = 1; s[i] != '\0'; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static enum provider_decode
hp_decode_status(const struct channel_config *cfg,
    const struct http_request *req, const char *public_url,
    struct provider_status *st, struct buf *reason)
{
	json_t *root;
	char *status = NULL, *error = NULL;
	int rc;

	(void)public_url;
	provider_status_init(st);
	if ((rc = hp_load(cfg, req, &root, reason)) == DECODE_OK &&
	    (rc = provider_json_field(root, "id",
		 PROVIDER_NONEMPTY | PROVIDER_NUMBER, &st->id, reason)) == 0 &&
	    (rc = provider_json_field(
		 root, "status", PROVIDER_NONEMPTY, &status, reason)) == 0)
		rc = provider_json_field(
		    root, "error", PROVIDER_OPTIONAL, &error, reason);
	json_decref(root);
	if (rc != DECODE_OK)
		goto out;

	if (!hp_is_msg_id(st->id)) {
		if (reason != NULL)
			(void)buf_puts(reason,
			    "field id must be the message id the gateway sent");
		rc = DECODE_BAD;
	} else if (strcmp(status, "sent") == 0)
		st->state = DLR_SENT;
	else if (strcmp(status, "delivered") == 0)
		st->state = DLR_DELIVERED;
	else if (strcmp(status, "failed") == 0) {
		st->state = DLR_FAILED;
		if (error != NULL && error[0] != '\0') {
			st->error = provider_clean(
			    error, strlen(error), PROVIDER_ERROR_MAX);
		} else
			st->error = xstrdup("failed");
	} else {
		if (reason != NULL)
			(void)buf_puts(reason, "field status must be sent, "
					       "delivered or failed");
		rc = DECODE_BAD;
	}
out:
	free(status);
	free(error);
	if (rc != DECODE_OK)
		provider_status_free(st);
	return rc;
}

static void
hp_answer_sms(int64_t id, struct provider_answer *ans, struct buf *body)
{
	size_t len = body->len;

	ans->status = 200;
	ans->content_type = "application/json";
	/* {"id":ID}, each message's answer: no printf for an id. */
	if (id < 0)
		(void)buf_printf(body, "{\"id\":%lld}", (long long)id);
	else if (buf_puts(body, "{\"id\":") == -1 ||
		 buf_putu(body, (unsigned long long)id) == -1 ||
		 buf_puts(body, "}") == -1)
		buf_truncate(body, len);
}

static void
hp_answer_ussd(
    const char *screen, int end, struct provider_answer *ans, struct buf *body)
{
	size_t len = body->len;

	ans->status = 200;
	ans->content_type = "application/json";
	/*
	 * {"text":SCREEN,"end":BOOL}, written as jansson would (a step's
	 * answer, on the hot path). Flows produce UTF-8; anything else is
	 * shown as empty, not sent.
	 */
	if (screen == NULL)
		screen = "";
	/* buf_json_string checks the UTF-8 as it writes: on -1, start again. */
	if (buf_puts(body, "{\"text\":") == -1 ||
	    buf_json_string(body, screen, strlen(screen)) == -1) {
		buf_truncate(body, len);
		if (buf_puts(body, "{\"text\":\"\"") == -1)
			return;
	}
	if (buf_puts(body, end ? ",\"end\":true}" : ",\"end\":false}") == -1)
		buf_truncate(body, len);
}

static int
hp_build_send(const struct channel_config *cfg, const struct provider_msg *msg,
    struct provider_request *r)
{
	char sig[SIG_HEADER_LEN + 1];
	struct buf b;

	memset(r, 0, sizeof(*r));
	if (cfg->api_url == NULL || msg->to == NULL || msg->text == NULL ||
	    msg->id < 0)
		return -1;
	/*
	 * {"id":ID,"to":TO,"text":TEXT}, as json_dumps wrote it (compact, in
	 * this order), without the tree: one a reply sent. A number or text
	 * that is not UTF-8 cannot be put into JSON.
	 */
	buf_init(&b, PROVIDER_REQUEST_MAX);
	if (buf_puts(&b, "{\"id\":") == -1 ||
	    buf_putu(&b, (unsigned long long)msg->id) == -1 ||
	    buf_puts(&b, ",\"to\":") == -1 ||
	    buf_json_string(&b, msg->to, strlen(msg->to)) == -1 ||
	    buf_puts(&b, ",\"text\":") == -1 ||
	    buf_json_string(&b, msg->text, strlen(msg->text)) == -1 ||
	    buf_puts(&b, "}") == -1) {
		buf_free(&b);
		return -1;
	}
	r->body = buf_steal(&b);

	r->url = xstrdup(cfg->api_url);
	if (provider_request_header(r, "Content-Type: application/json") ==
		-1 ||
	    provider_request_header(r, "Accept: application/json") == -1)
		goto fail;
	if (cfg->signing_key != NULL && cfg->signing_key[0] != '\0') {
		if (sig_http_sign(cfg->signing_key, now_ms() / 1000, r->body,
			strlen(r->body), sig, sizeof(sig)) == -1 ||
		    provider_request_header(r, "X-Baraza-Signature: %s", sig) ==
			-1)
			goto fail;
	}
	provider_request_finish(r, "POST");
	return 0;
fail:
	provider_request_free(r);
	return -1;
}

static void
hp_parse_send(const struct channel_config *cfg, const struct client_resp *resp,
    struct provider_result *res)
{
	json_t *root, *error;
	char *text;

	(void)cfg;
	if (resp->outcome == CLIENT_OK) {
		res->outcome = PROVIDER_OK;
		if (res->msg_id > 0) {
			char id[FMT_U_SIZE];

			fmt_u(id, (unsigned long long)res->msg_id);
			res->provider_id = xstrdup(id);
		}
		return;
	}
	/* A JSON {"error": "..."} is shown as such, anything else raw. */
	root = json_loadb(resp->body, resp->body_len, 0, NULL);
	error = json_object_get(root, "error");
	if (resp->status != 0 && json_is_string(error)) {
		text = provider_clean(json_string_value(error),
		    json_string_length(error), PROVIDER_ERROR_MAX);
		provider_fail(res, provider_outcome_of(resp->outcome),
		    "HTTP %ld: %s", resp->status, text);
		free(text);
	} else
		provider_http_failure(resp, res);
	json_decref(root);
}

const struct provider_ops provider_http = {
    .name = "http",
    .webhook_get = 0,
    .dlr_by_own_id = 1,
    .decode_sms = hp_decode_sms,
    .decode_ussd = hp_decode_ussd,
    .decode_status = hp_decode_status,
    .answer_sms = hp_answer_sms,
    .answer_ussd = hp_answer_ussd,
    .build_send = hp_build_send,
    .parse_send = hp_parse_send,
};
