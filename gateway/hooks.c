/*
 * hooks.c: provider webhooks, /hooks/CHANNEL/KIND. Checks the channel's
 * webhook_secret (?secret= or X-Baraza-Secret), lets the channel type's
 * provider decode the request (signatures included, against the configured
 * public_url only), hands the message to ingress and answers in the
 * provider's form once ingress says it is committed. Refusals (403) are
 * logged at most once a minute per channel, with how many there were.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/answer.h"
#include "gateway/gateway.h"
#include "gateway/hooks.h"
#include "gateway/ingress.h"
#include "gateway/metrics.h"
#include "lib/form.h"
#include "lib/log.h"
#include "lib/sig.h"
#include "lib/util.h"
#include "providers/provider.h"

/* A webhook waiting for its commit. */
struct hook {
	struct gateway *gw;
	struct http_request *req;
	const struct provider_ops *ops;
	const char *kind;
	const char *channel; /* for metrics */
};

/* Records an answer's status and latency; call before answering. */
static void
observe(struct gateway *gw, const char *channel, const char *kind,
    const struct http_request *req, int status)
{
	metrics_observe_webhook(gw, channel, kind, status,
	    (double)(mono_ms() - req->start_ms) / 1000.0);
}

static void
answer_text(struct http_request *req, int status, const char *msg)
{
	char body[256];
	int n = snprintf(body, sizeof(body), "%s\n", msg);

	http_respond(req, status, "text/plain; charset=utf-8", body,
	    (size_t)n < sizeof(body) ? (size_t)n : sizeof(body) - 1);
}

/* At most one "webhooks refused" line a minute per channel. */
#define REFUSED_LOG_MS (60 * 1000)

/*
 * Refusals of one channel since its last log line. Indexed like
 * cfg->channels; the process serves one config, on the loop thread.
 */
struct refusals {
	int64_t logged_ms; /* mono_ms() of the last line, 0: none yet */
	uint64_t count;    /* refused since that line, not yet logged */
};

static struct refusals refused_by_channel[CONFIG_MAX_CHANNELS];

/*
 * Answers a refused webhook 403 with why, counts it, and logs it unless
 * the channel's last line is less than a minute old (the next line then
 * says how many came meanwhile): a flood of forged requests cannot flood
 * the log.
 */
static void
refuse(struct gateway *gw, struct http_request *req,
    const struct channel_config *ch, const char *kind, const char *why)
{
	size_t i = (size_t)(ch - gw->cfg->channels);
	struct refusals *r =
	    i < CONFIG_MAX_CHANNELS ? &refused_by_channel[i] : NULL;
	int64_t now = mono_ms();
	char scrub[200];

	gw->hooks_forbidden++;
	if (r != NULL) {
		r->count++;
		if (r->logged_ms == 0 || now - r->logged_ms >= REFUSED_LOG_MS) {
			log_warn("hooks",
			    "webhooks refused channel=%s kind=%s status=403 "
			    "count=%llu remote=%s reason=\"%s\"",
			    ch->name, kind, (unsigned long long)r->count,
			    req->remote[0] != '\0' ? req->remote : "-",
			    log_text(why, scrub, sizeof(scrub)));
			r->logged_ms = now;
			r->count = 0;
		}
	}
	observe(gw, ch->name, kind, req, 403);
	answer_text(req, 403, why);
}

/*
 * 1 when req carries the channel's webhook_secret: the header
 * X-Baraza-Secret when present (it keeps the secret out of proxies' access
 * logs), else ?secret= in the query. Compared in constant time.
 */
static int
secret_ok(const struct channel_config *ch, const struct http_request *req)
{
	const char *given = http_header(req, "X-Baraza-Secret"), *why = NULL;
	struct form q;
	int ok;

	if (given != NULL)
		return sig_equal(given, ch->webhook_secret);
	memset(&q, 0, sizeof(q));
	ok = form_parse(&q, req->query, strlen(req->query), &why) == 0 &&
	     sig_equal(form_get(&q, "secret"), ch->webhook_secret);
	form_free(&q);
	return ok;
}

static void
on_done(void *arg, const struct ingress_result *res)
{
	struct hook *h = arg;
	struct provider_answer ans;
	struct buf body;

	if (res->status != 200) {
		observe(h->gw, h->channel, h->kind, h->req, res->status);
		answer_text(h->req, res->status,
		    "the message could not be stored; try again");
		free(h);
		return;
	}
	buf_init(&body, 64 * 1024);
	memset(&ans, 0, sizeof(ans));
	ans.status = 200;
	ans.content_type = "text/plain";
	if (strcmp(h->kind, "sms") == 0)
		h->ops->answer_sms(res->id, &ans, &body);
	else if (strcmp(h->kind, "ussd") == 0)
		h->ops->answer_ussd(
		    res->screen ? res->screen : "", res->end, &ans, &body);
	observe(h->gw, h->channel, h->kind, h->req, ans.status);
	http_respond(h->req, ans.status, ans.content_type, body.data, body.len);
	buf_free(&body);
	free(h);
}

static enum msg_state
dlr_state(enum provider_dlr s)
{
	switch (s) {
	case DLR_DELIVERED:
		return MSG_DELIVERED;
	case DLR_FAILED:
		return MSG_FAILED;
	case DLR_SENT:
	default:
		return MSG_SENT;
	}
}

void
hooks_handle(struct gateway *gw, struct http_request *req,
    const struct channel_config *ch, const char *kind)
{
	const struct provider_ops *ops = provider_for(ch->type);
	struct provider_inbound in;
	struct provider_status st;
	struct buf reason;
	struct hook *h;
	const char *why = NULL, *url;
	char scrub[200];
	int rc, get_ok = ch->type == CHANNEL_KANNEL;

	/*
	 * kind points into the request, which an answer frees: from here on
	 * it is one of three static strings (the router allows no other).
	 */
	kind = strcmp(kind, "sms") == 0    ? "sms"
	       : strcmp(kind, "ussd") == 0 ? "ussd"
					   : "status";

	if (ops == NULL || (strcmp(kind, "sms") == 0 && !ops->decode_sms) ||
	    (strcmp(kind, "ussd") == 0 && !ops->decode_ussd) ||
	    (strcmp(kind, "status") == 0 && !ops->decode_status)) {
		answer_error(req, 404, "this channel has no such webhook");
		return;
	}
	if (strcmp(req->method, "POST") != 0 &&
	    !(get_ok && strcmp(req->method, "GET") == 0)) {
		observe(gw, ch->name, kind, req, 405);
		http_respond_ex(req, 405, "text/plain",
		    get_ok ? "Allow: GET, POST\r\n" : "Allow: POST\r\n",
		    "method not allowed\n", 19);
		return;
	}
	/*
	 * Closed by default: config refuses a channel that nothing
	 * authenticates unless it says allow_unsigned; refuse here too, for
	 * a config built some other way.
	 */
	if (config_channel_unsigned(gw->cfg, ch) != NULL &&
	    !ch->allow_unsigned) {
		refuse(gw, req, ch, kind,
		    "this channel does not authenticate webhooks");
		return;
	}
	if (ch->webhook_secret != NULL && !secret_ok(ch, req)) {
		refuse(gw, req, ch, kind, "wrong or missing secret");
		return;
	}

	buf_init(&reason, 512);
	/* Signatures are checked against the configured URL, never Host. */
	url = ch->public_url != NULL ? ch->public_url : gw->cfg->public_url;
	if (strcmp(kind, "status") == 0) {
		memset(&st, 0, sizeof(st));
		rc = ops->decode_status(ch, req, url, &st, &reason);
	} else {
		memset(&in, 0, sizeof(in));
		rc = strcmp(kind, "sms") == 0
			 ? ops->decode_sms(ch, req, url, &in, &reason)
			 : ops->decode_ussd(ch, req, url, &in, &reason);
	}
	if (rc == DECODE_IGNORE) {
		observe(gw, ch->name, kind, req, 200);
		http_respond(req, 200, "text/plain", "", 0);
		goto out;
	}
	if (rc == DECODE_FORBIDDEN) {
		refuse(gw, req, ch, kind,
		    reason.len ? buf_cstr(&reason) : "forbidden");
		goto out;
	}
	if (rc != DECODE_OK) {
		gw->hooks_bad++;
		log_info("hooks",
		    "webhook refused channel=%s kind=%s status=%d "
		    "reason=\"%s\"",
		    ch->name, kind, -rc,
		    log_text(reason.len ? buf_cstr(&reason) : "-", scrub,
			sizeof(scrub)));
		observe(gw, ch->name, kind, req, 400);
		answer_text(
		    req, 400, reason.len ? buf_cstr(&reason) : "bad request");
		goto out;
	}

	h = xcalloc(1, sizeof(*h));
	h->gw = gw;
	h->req = req;
	h->ops = ops;
	h->channel = ch->name;
	h->kind = strcmp(kind, "sms") == 0    ? "sms"
		  : strcmp(kind, "ussd") == 0 ? "ussd"
					      : "status";
	if (strcmp(kind, "sms") == 0) {
		struct ingress_sms m = {ch->name, in.from, in.text, in.id};

		rc = ingress_sms(gw, &m, on_done, h, &why);
	} else if (strcmp(kind, "ussd") == 0) {
		struct ingress_ussd u = {ch->name, in.from, in.session,
		    in.service_code, in.ussd_text, in.ussd_cumulative};

		rc = ingress_ussd(gw, &u, on_done, h, &why);
	} else {
		rc = ingress_status(gw, ch->name, st.id,
		    ch->type == CHANNEL_HTTP || ch->type == CHANNEL_KANNEL,
		    dlr_state(st.state), st.error, on_done, h, &why);
	}
	if (rc != 0) {
		free(h);
		if (rc == -400)
			gw->hooks_bad++;
		observe(gw, ch->name, kind, req, -rc);
		answer_text(req, -rc, why ? why : "refused");
	}
out:
	if (strcmp(kind, "status") == 0)
		provider_status_free(&st);
	else
		provider_inbound_free(&in);
	buf_free(&reason);
}
