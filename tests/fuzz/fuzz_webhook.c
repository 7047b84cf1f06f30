/*
 * fuzz_webhook.c: every webhook decoder of every provider type over
 * arbitrary query strings and bodies, and every send answer parser over
 * arbitrary answers.
 *
 * Input: byte 0 picks the provider type (bits 0, 1 and 4) and what to
 * decode (bits 2 and 3), byte 1 the method, whether the request carries a
 * valid signature, a signature made of the query string's bytes (the header
 * parsers over attacker input) or none, the answer's HTTP status, and
 * (bit 3, webhooks only) a JSON Content-Type; then the query string up to
 * the first '\n', then the body. Signing valid signatures here lets the
 * fuzzer get past the signature checks of Twilio and the http type into
 * their field decoding. Vonage's sig travels among the parameters: with
 * the key bit its signature_secret is set and the fuzzer's own sig and
 * timestamp are checked, without it (allow_unsigned) its fields are.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/form.h"
#include "lib/sig.h"
#include "lib/util.h"
#include "providers/provider.h"

#define PUBLIC_URL "https://sms.example.org"
#define PATH "/hooks/ch/sms"
#define TOKEN "fuzz-token"
#define KEY "fuzz-key"

/* Everything a decoder filled must be absent or valid UTF-8. */
static void
check_str(const char *s)
{
	if (s != NULL && !provider_utf8_valid(s, strlen(s)))
		abort();
}

static void
check_rc(int rc, const struct buf *reason)
{
	if (rc != DECODE_OK && rc != DECODE_BAD && rc != DECODE_FORBIDDEN &&
	    rc != DECODE_IGNORE)
		abort();
	if ((rc == DECODE_BAD || rc == DECODE_FORBIDDEN) && reason->len == 0)
		abort();
}

/* Writes a valid signature for req into sig (empty when none fits). */
static void
sign(const struct channel_config *cfg, const struct http_request *req,
    char *sig, size_t len)
{
	struct sig_param params[FORM_MAX_PAIRS];
	struct form f;
	char *url;
	size_t i;

	sig[0] = '\0';
	if (cfg->type == CHANNEL_HTTP) {
		if (sig_http_sign(KEY, now_ms() / 1000, req->body,
			req->body_len, sig, len) != 0)
			sig[0] = '\0';
		return;
	}
	if (cfg->type != CHANNEL_TWILIO)
		return;
	/* Only a form that was initialised is freed (issue 17). */
	memset(&f, 0, sizeof(f));
	if (form_parse(&f, req->body, req->body_len, NULL) != 0) {
		form_free(&f);
		return;
	}
	for (i = 0; i < f.npairs; i++) {
		params[i].name = f.pairs[i].name;
		params[i].value = f.pairs[i].value;
	}
	url = req->query[0] != '\0'
		  ? xasprintf("%s%s?%s", PUBLIC_URL, PATH, req->query)
		  : xasprintf("%s%s", PUBLIC_URL, PATH);
	if (sig_twilio_sign(TOKEN, url, params, f.npairs, sig, len) != 0)
		sig[0] = '\0';
	free(url);
	form_free(&f);
}

static void
fuzz_answer(const struct provider_ops *ops, const struct channel_config *cfg,
    long status, const char *body, size_t len)
{
	struct client_resp resp;
	struct provider_result res;

	memset(&resp, 0, sizeof(resp));
	resp.status = status;
	resp.code = status == 0 ? CURLE_OPERATION_TIMEDOUT : CURLE_OK;
	resp.error = status == 0 ? "Timeout was reached" : "";
	resp.body = body;
	resp.body_len = len;
	resp.outcome = client_outcome(resp.status, resp.code);
	provider_parse_send(ops, cfg, 42, &resp, &res);
	if (res.outcome != PROVIDER_OK && res.error == NULL)
		abort();
	if (resp.outcome != CLIENT_OK && res.outcome == PROVIDER_OK)
		abort();
	check_str(res.error);
	check_str(res.provider_id);
	provider_result_free(&res);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum channel_type types[] = {CHANNEL_AFRICASTALKING,
	    CHANNEL_TWILIO, CHANNEL_KANNEL, CHANNEL_HTTP, CHANNEL_INFOBIP,
	    CHANNEL_VONAGE, CHANNEL_INFOBIP, CHANNEL_VONAGE};
	static const char *methods[] = {"POST", "GET", "PUT", "POST"};
	static const long statuses[] = {200, 201, 400, 429, 500, 0, 403, 202};
	struct channel_config cfg;
	const struct provider_ops *ops;
	struct http_request req;
	struct http_hdr hdrs[2];
	struct provider_inbound in;
	struct provider_status st;
	struct provider_answer ans;
	struct buf reason, out;
	char sig[SIG_HEADER_LEN + 1], *query, *body;
	const char *nl, *rest;
	size_t qlen, blen, i;
	int rc, kind;

	if (size < 2)
		return 0;
	memset(&cfg, 0, sizeof(cfg));
	cfg.type = types[(data[0] & 3) | ((data[0] >> 2) & 4)];
	cfg.name = "ch";
	cfg.api_url = "http://127.0.0.1:9";
	cfg.username = "user";
	cfg.api_key = "key";
	cfg.password = "pass";
	cfg.account_sid = "AC1";
	cfg.auth_token = TOKEN;
	cfg.sender = "40404";
	cfg.api_secret = "secret";
	cfg.signature_method = data[0] >> 5 < 5 ? data[0] >> 5 : 3;
	if (data[1] & 0x40) {
		cfg.signing_key = KEY;
		cfg.signature_secret = KEY;
	}
	ops = provider_for(cfg.type);
	kind = (data[0] >> 2) & 3;

	rest = (const char *)data + 2;
	nl = memchr(rest, '\n', size - 2);
	qlen = nl != NULL ? (size_t)(nl - rest) : 0;
	query = xstrndup(rest, qlen);
	if (strlen(query) != qlen) {
		/* The HTTP server never hands over a NUL in a query. */
		free(query);
		return 0;
	}
	body = xmalloc(size - 2 - qlen + 1);
	blen = size - 2 - qlen - (nl != NULL ? 1 : 0);
	memcpy(body, rest + qlen + (nl != NULL ? 1 : 0), blen);
	body[blen] = '\0';

	if (kind == 3) {
		fuzz_answer(
		    ops, &cfg, statuses[(data[1] >> 3) & 7], body, blen);
		buf_init(&out, 1024 * 1024);
		if (ops->answer_ussd != NULL) {
			ops->answer_ussd(body, data[1] & 1, &ans, &out);
			if (ans.status != 200 || ans.content_type == NULL)
				abort();
		}
		buf_free(&out);
		goto done;
	}

	memset(&req, 0, sizeof(req));
	req.method = methods[data[1] & 3];
	req.path = PATH;
	req.query = query;
	req.body = body;
	req.body_len = blen;
	req.headers = hdrs;
	hdrs[0].name = "Content-Type";
	hdrs[0].value = data[1] & 0x08 ? "application/json"
				       : "application/x-www-form-urlencoded";
	req.nheaders = 1;
	if (data[1] & 0xa0) {
		/* A valid signature, or the query's bytes as one. */
		if (data[1] & 0x80)
			sign(&cfg, &req, sig, sizeof(sig));
		hdrs[1].name = cfg.type == CHANNEL_TWILIO
				   ? "X-Twilio-Signature"
				   : "X-Baraza-Signature";
		hdrs[1].value = data[1] & 0x80 ? sig : query;
		req.nheaders = 2;
	}

	buf_init(&reason, 4096);
	if (kind == 2) {
		if (ops->decode_status != NULL) {
			rc = ops->decode_status(
			    &cfg, &req, PUBLIC_URL, &st, &reason);
			check_rc(rc, &reason);
			if (rc == DECODE_OK && st.id == NULL)
				abort();
			if (rc != DECODE_OK && (st.id != NULL || st.error))
				abort();
			check_str(st.id);
			check_str(st.error);
			provider_status_free(&st);
		}
	} else {
		rc = DECODE_IGNORE;
		if (kind == 0)
			rc = ops->decode_sms(
			    &cfg, &req, PUBLIC_URL, &in, &reason);
		else if (ops->decode_ussd != NULL)
			rc = ops->decode_ussd(
			    &cfg, &req, PUBLIC_URL, &in, &reason);
		else
			provider_inbound_init(&in);
		check_rc(rc, &reason);
		if (rc == DECODE_OK && kind == 0 &&
		    (in.id == NULL || in.from == NULL || in.to == NULL ||
			in.text == NULL))
			abort();
		if (rc == DECODE_OK && kind == 1 &&
		    (in.session == NULL || in.from == NULL ||
			in.service_code == NULL || in.ussd_text == NULL))
			abort();
		if (rc != DECODE_OK &&
		    (in.id || in.from || in.text || in.session || in.ussd_text))
			abort();
		check_str(in.id);
		check_str(in.from);
		check_str(in.to);
		check_str(in.text);
		check_str(in.session);
		check_str(in.service_code);
		check_str(in.ussd_text);
		provider_inbound_free(&in);
	}
	for (i = 0; i < reason.len; i++)
		if (reason.data[i] == '\n')
			abort();
	buf_free(&reason);
done:
	free(query);
	free(body);
	return 0;
}
