/*
 * hooks.c: provider webhooks, /hooks/CHANNEL/KIND. Checks the channel's
 * webhook_secret (?secret= or X-Baraza-Secret), lets the channel type's
 * provider decode the request (signatures included, against the configured
 * public_url only), hands the message to ingress and answers in the
 * provider's form once ingress says it is committed. Refusals (403) are
 * logged at most once a minute per channel, with how many there were.
 *
 * This file alone turns what the decoders and the ingress say into HTTP
 * statuses: decoded 200 (or an empty 200 for what needs nothing done),
 * malformed 400, unauthenticated 403, not stored 503.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/answer.h"
#include "gateway/gateway.h"
#include "gateway/hooks.h"
#include "gateway/parts.h"
#include "gateway/ingress.h"
#include "gateway/metrics.h"
#include "lib/form.h"
#include "lib/log.h"
#include "lib/sig.h"
#include "lib/util.h"
#include "providers/provider.h"

/* At most one "webhooks refused" line a minute per channel. */
#define REFUSED_LOG_MS (60 * 1000)

const char *const hooks_kind_names[HOOK_NKINDS] = {
    [HOOK_SMS] = "sms",
    [HOOK_USSD] = "ussd",
    [HOOK_STATUS] = "status",
};

/* A webhook waiting for its commit. */
struct hook {
	struct gateway *gw;
	struct http_request *req;
	const struct provider_ops *ops;
	size_t chan; /* index in cfg->channels, for metrics */
	enum hook_kind kind;
	/* A batch (more than one entry): answered when pending is 0. */
	size_t pending;  /* entries not yet committed or refused */
	size_t stored;   /* entries committed (or duplicates) */
	size_t bad;      /* entries the ingress refused as malformed */
	int busy;        /* an entry was not kept: the provider retries */
	const char *why; /* the last refusal's reason (static) */
};

/* What a decoder filled: an SMS or USSD step, or a delivery report. */
struct decoded {
	struct provider_inbound in; /* HOOK_SMS, HOOK_USSD */
	struct provider_status st;  /* HOOK_STATUS */
};

/* The index of ch in the gateway's config. */
static size_t
chan_index(const struct gateway *gw, const struct channel_config *ch)
{
	return (size_t)(ch - gw->cfg->channels);
}

/* Records an answer's status and latency; call before answering. */
static void
observe(struct gateway *gw, size_t chan, enum hook_kind kind,
    const struct http_request *req, int status)
{
	metrics_observe_webhook(gw, chan, kind, status,
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

/* The HTTP status that tells a provider what the ingress made of it. */
static int
ingress_http(enum ingress_status s)
{
	switch (s) {
	case INGRESS_STORED:
	case INGRESS_DUPLICATE:
		return 200;
	case INGRESS_BAD:
		return 400;
	case INGRESS_BUSY:
		break;
	}
	return 503; /* the provider retries */
}

/*
 * Answers a refused webhook 403 with why, counts it, and logs it unless
 * the channel's last line is less than a minute old (the next line then
 * says how many came meanwhile): a flood of forged requests cannot flood
 * the log.
 */
static void
refuse(struct gateway *gw, struct http_request *req,
    const struct channel_config *ch, enum hook_kind kind, const char *why)
{
	size_t i = chan_index(gw, ch);
	struct hooks_refusals *r =
	    i < CONFIG_MAX_CHANNELS ? &gw->hooks.refused[i] : NULL;
	int64_t now = mono_ms();
	char scrub[200];

	gw->hooks.forbidden++;
	if (r != NULL) {
		r->count++;
		if (r->logged_ms == 0 || now - r->logged_ms >= REFUSED_LOG_MS) {
			log_warn("hooks",
			    "webhooks refused channel=%s kind=%s status=403 "
			    "count=%llu remote=%s reason=\"%s\"",
			    ch->name, hooks_kind_names[kind],
			    (unsigned long long)r->count,
			    req->remote[0] != '\0' ? req->remote : "-",
			    log_text(why, scrub, sizeof(scrub)));
			r->logged_ms = now;
			r->count = 0;
		}
	}
	observe(gw, i, kind, req, 403);
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
	const char *given = http_header(req, "X-Baraza-Secret");
	char *q = NULL;
	int ok;

	/* The secret alone: another field that does not decode is the
	 * decoder's 400, not a wrong secret. */
	if (given == NULL &&
	    query_get(req->query, strlen(req->query), "secret", &q) == 1)
		given = q;
	/* While a provider moves to a new secret, the one before too. */
	ok = given != NULL &&
	     (sig_equal(given, ch->webhook_secret) |
		 (ch->webhook_secret_previous != NULL &&
		     sig_equal(given, ch->webhook_secret_previous)));
	free(q);
	return ok;
}

/* After the commit: the answer in the provider's form, or 503. */
static void
on_done(void *arg, const struct ingress_result *res)
{
	struct hook *h = arg;
	struct provider_answer ans;
	struct buf body;

	if (ingress_http(res->status) != 200) {
		observe(
		    h->gw, h->chan, h->kind, h->req, ingress_http(res->status));
		answer_text(h->req, ingress_http(res->status),
		    "the message could not be stored; try again");
		free(h);
		return;
	}
	buf_init(&body, 64 * 1024);
	memset(&ans, 0, sizeof(ans));
	ans.status = 200;
	ans.content_type = "text/plain";
	switch (h->kind) {
	case HOOK_SMS:
		h->ops->answer_sms(res->id, &ans, &body);
		break;
	case HOOK_USSD:
		h->ops->answer_ussd(
		    res->screen ? res->screen : "", res->end, &ans, &body);
		break;
	case HOOK_STATUS:
		break;
	}
	observe(h->gw, h->chan, h->kind, h->req, ans.status);
	http_respond(h->req, ans.status, ans.content_type, body.data, body.len);
	buf_free(&body);
	free(h);
}

/*
 * A batch is answered once every entry is committed or refused: 503 when
 * one could not be kept (the provider sends the whole batch again; stored
 * messages are dropped as duplicates by their ids, and a delivery report
 * applied twice changes nothing), 400 when every entry was malformed, else
 * the provider's answer to a stored message. An entry refused as malformed
 * in a batch with good ones is logged and left out, as a provider would
 * otherwise resend the good ones for ever.
 */
static void
batch_settle(struct hook *h)
{
	struct provider_answer ans;
	struct buf body;
	int status;

	if (--h->pending > 0)
		return;
	status = h->busy ? 503 : h->stored == 0 ? 400 : 200;
	if (status != 200) {
		observe(h->gw, h->chan, h->kind, h->req, status);
		answer_text(h->req, status,
		    status == 503
			? "the messages could not all be stored; try again"
			: (h->why ? h->why : "refused"));
		free(h);
		return;
	}
	buf_init(&body, 64 * 1024);
	memset(&ans, 0, sizeof(ans));
	ans.status = 200;
	ans.content_type = "text/plain";
	if (h->kind == HOOK_SMS)
		h->ops->answer_sms(0, &ans, &body);
	observe(h->gw, h->chan, h->kind, h->req, ans.status);
	http_respond(h->req, ans.status, ans.content_type, body.data, body.len);
	buf_free(&body);
	free(h);
}

static void
on_batch_entry(void *arg, const struct ingress_result *res)
{
	struct hook *h = arg;

	if (ingress_http(res->status) == 200)
		h->stored++;
	else
		h->busy = 1;
	batch_settle(h);
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

/* 1 when the provider decodes webhooks of kind. */
static int
has_kind(const struct provider_ops *ops, enum hook_kind kind)
{
	switch (kind) {
	case HOOK_SMS:
		return ops->decode_sms != NULL;
	case HOOK_USSD:
		return ops->decode_ussd != NULL;
	case HOOK_STATUS:
		return ops->decode_status != NULL;
	}
	return 0;
}

/* Whether req's method is one the provider's webhooks take. */
static int
has_method(const struct provider_ops *ops, const struct http_request *req)
{
	return strcmp(req->method, "POST") == 0 ||
	       (ops->webhook_get && strcmp(req->method, "GET") == 0);
}

/*
 * Whether nothing authenticates the channel's webhooks (config refuses
 * such a channel unless it says allow_unsigned; refused here too, for a
 * config built some other way).
 */
static int
unauthenticated(const struct config *cfg, const struct channel_config *ch)
{
	return config_channel_unsigned(cfg, ch) != NULL && !ch->allow_unsigned;
}

/*
 * Checks what comes before decoding: the channel has such a webhook (404),
 * the method is one the provider uses (405), and the request is
 * authenticated (403). Returns 0 when it may be decoded, else -1 (req is
 * answered).
 */
static int
admit(struct gateway *gw, struct http_request *req,
    const struct channel_config *ch, const struct provider_ops *ops,
    enum hook_kind kind)
{
	if (ops == NULL || !has_kind(ops, kind)) {
		answer_error(req, 404, "this channel has no such webhook");
		return -1;
	}
	if (!has_method(ops, req)) {
		observe(gw, chan_index(gw, ch), kind, req, 405);
		/* JSON, as the gateway's other 405s. */
		http_respond_ex(req, 405, "application/json",
		    ops->webhook_get ? "Allow: GET, POST\r\n"
				     : "Allow: POST\r\n",
		    "{\"error\":\"method not allowed\"}", 30);
		return -1;
	}
	if (unauthenticated(gw->cfg, ch)) {
		refuse(gw, req, ch, kind,
		    "this channel does not authenticate webhooks");
		return -1;
	}
	if (ch->webhook_secret != NULL && !secret_ok(ch, req)) {
		refuse(gw, req, ch, kind, "wrong or missing secret");
		return -1;
	}
	return 0;
}

/* admit's checks without their answers: 1 when admit would pass. */
static int
admissible(const struct config *cfg, const struct http_request *req,
    const struct channel_config *ch, const struct provider_ops *ops,
    enum hook_kind kind)
{
	return ops != NULL && has_kind(ops, kind) && has_method(ops, req) &&
	       !unauthenticated(cfg, ch) &&
	       (ch->webhook_secret == NULL || secret_ok(ch, req));
}

/*
 * A webhook's decoding: what the provider's decoder made of it, done on
 * the HTTP server's thread (hooks_prepare) or, without one, on the loop.
 */
struct hook_pre {
	const struct channel_config *ch; /* what it was decoded for */
	enum hook_kind kind;
	enum provider_decode rc; /* the decoder's verdict */
	struct buf reason;       /* why, when not DECODE_OK */
	struct decoded dec;      /* what it decoded */
};

/*
 * Lets the provider decode req: needs nothing but the request and the
 * config, which never changes while the gateway serves.
 */
static struct hook_pre *
decode_run(const struct config *cfg, const struct http_request *req,
    const struct channel_config *ch, const struct provider_ops *ops,
    enum hook_kind kind)
{
	struct hook_pre *p = xcalloc(1, sizeof(*p));
	const char *url;

	p->ch = ch;
	p->kind = kind;
	p->rc = DECODE_BAD;
	buf_init(&p->reason, 512);
	/* Signatures are checked against the configured URL, never Host. */
	url = ch->public_url != NULL ? ch->public_url : cfg->public_url;
	switch (kind) {
	case HOOK_SMS:
		p->rc = ops->decode_sms(ch, req, url, &p->dec.in, &p->reason);
		break;
	case HOOK_USSD:
		p->rc = ops->decode_ussd(ch, req, url, &p->dec.in, &p->reason);
		break;
	case HOOK_STATUS:
		p->rc =
		    ops->decode_status(ch, req, url, &p->dec.st, &p->reason);
		break;
	}
	return p;
}

static void
pre_free(struct hook_pre *p)
{
	if (p == NULL)
		return;
	if (p->kind == HOOK_STATUS)
		provider_status_free(&p->dec.st);
	else
		provider_inbound_free(&p->dec.in);
	buf_free(&p->reason);
	free(p);
}

/*
 * Answers what the decoder said of req unless it is a message for the
 * ingress: returns 0 for that, else -1 with req answered: 200 with nothing
 * to do, 403 for a bad signature, 400 for a malformed request.
 */
static int
decode_answer(
    struct gateway *gw, struct http_request *req, const struct hook_pre *p)
{
	const struct channel_config *ch = p->ch;
	const char *reason = p->reason.len ? buf_cstr(&p->reason) : NULL;
	char scrub[200];

	switch (p->rc) {
	case DECODE_OK:
		return 0;
	case DECODE_IGNORE:
		observe(gw, chan_index(gw, ch), p->kind, req, 200);
		http_respond(req, 200, "text/plain", "", 0);
		break;
	case DECODE_FORBIDDEN:
		refuse(gw, req, ch, p->kind, reason ? reason : "forbidden");
		break;
	case DECODE_BAD:
	default:
		gw->hooks.bad++;
		log_info("hooks",
		    "webhook refused channel=%s kind=%s status=400 "
		    "reason=\"%s\"",
		    ch->name, hooks_kind_names[p->kind],
		    log_text(reason ? reason : "-", scrub, sizeof(scrub)));
		observe(gw, chan_index(gw, ch), p->kind, req, 400);
		answer_text(req, 400, reason ? reason : "bad request");
		break;
	}
	return -1;
}

/*
 * Hands one decoded entry to the ingress with cb(arg) for its commit.
 * Returns 0, or an enum ingress_status refusal with *why (cb not called).
 */
static int
ingress_one(struct hook *h, const struct channel_config *ch,
    const struct provider_inbound *in, const struct provider_status *st,
    ingress_cb cb, void *arg, const char **why)
{
	switch (h->kind) {
	case HOOK_SMS: {
		struct ingress_sms m = {ch->name, in->from, in->text, in->id,
		    in->part_ref, in->part_total, in->part_seq};

		if (m.part_total > 1)
			return parts_sms(h->gw, &m, cb, arg, why);
		return ingress_sms(h->gw, &m, cb, arg, why);
	}
	case HOOK_USSD: {
		struct ingress_ussd u = {ch->name, in->from, in->session,
		    in->service_code, in->ussd_text, in->ussd_cumulative};

		return ingress_ussd(h->gw, &u, cb, arg, why);
	}
	case HOOK_STATUS: {
		struct ingress_report r = {ch->name, st->id,
		    h->ops->dlr_by_own_id, dlr_state(st->state), st->error};

		return ingress_status(h->gw, &r, cb, arg, why);
	}
	}
	return INGRESS_BAD;
}

/* Hands every entry of a batch over; h is answered by batch_settle. */
static void
hand_over_batch(
    struct hook *h, const struct channel_config *ch, const struct decoded *dec)
{
	size_t n = (h->kind == HOOK_STATUS ? dec->st.nmore : dec->in.nmore) + 1;
	size_t i;
	char scrub[200];

	h->pending = n + 1; /* one for this loop, so h outlives it */
	for (i = 0; i < n; i++) {
		const struct provider_inbound *in = &dec->in;
		const struct provider_status *st = &dec->st;
		const char *why = NULL;
		int rc;

		if (i > 0 && h->kind == HOOK_STATUS)
			st = &dec->st.more[i - 1];
		else if (i > 0)
			in = &dec->in.more[i - 1];
		rc = ingress_one(h, ch, in, st, on_batch_entry, h, &why);
		if (rc == 0)
			continue;
		if (rc == INGRESS_BAD) {
			h->gw->hooks.bad++;
			h->bad++;
			h->why = why;
			log_info("hooks",
			    "webhook entry refused channel=%s kind=%s "
			    "entry=%zu of=%zu reason=\"%s\"",
			    ch->name, hooks_kind_names[h->kind], i, n,
			    log_text(why ? why : "-", scrub, sizeof(scrub)));
		} else
			h->busy = 1;
		batch_settle(h);
	}
	batch_settle(h);
}

/*
 * Hands the decoded message to the ingress; h is answered from on_done
 * after the commit, or here at once when the ingress refuses it.
 */
static void
hand_over(
    struct hook *h, const struct channel_config *ch, const struct decoded *dec)
{
	const char *why = NULL;
	int rc;

	if (dec->in.nmore > 0 || dec->st.nmore > 0) {
		hand_over_batch(h, ch, dec);
		return;
	}
	rc = ingress_one(h, ch, &dec->in, &dec->st, on_done, h, &why);
	if (rc != 0) {
		struct gateway *gw = h->gw;
		struct http_request *req = h->req;
		int status = ingress_http((enum ingress_status)rc);

		if (rc == INGRESS_BAD)
			gw->hooks.bad++;
		observe(gw, h->chan, h->kind, req, status);
		free(h);
		answer_text(req, status, why ? why : "refused");
	}
}

void
hooks_handle(struct gateway *gw, struct http_request *req,
    const struct channel_config *ch, enum hook_kind kind)
{
	const struct provider_ops *ops = provider_for(ch->type);
	struct hook_pre *pre = req->prepared;
	struct hook *h;

	req->prepared = NULL;
	/* Prepared means admissible already: the same request, config. */
	if (pre != NULL && (pre->ch != ch || pre->kind != kind)) {
		pre_free(pre);
		pre = NULL;
	}
	if (pre == NULL) {
		if (admit(gw, req, ch, ops, kind) != 0)
			return;
		pre = decode_run(gw->cfg, req, ch, ops, kind);
	}
	if (decode_answer(gw, req, pre) == 0) {
		h = xcalloc(1, sizeof(*h));
		h->gw = gw;
		h->req = req;
		h->ops = ops;
		h->chan = chan_index(gw, ch);
		h->kind = kind;
		hand_over(h, ch, &pre->dec);
	}
	pre_free(pre);
}

/*
 * The webhook kind named name ("sms", "ussd" or "status"): sets *kind and
 * returns 0, or returns -1 for any other name.
 */
static int
hook_kind_parse(const char *name, enum hook_kind *kind)
{
	int k;

	for (k = 0; k < HOOK_NKINDS; k++)
		if (strcmp(name, hooks_kind_names[k]) == 0) {
			*kind = (enum hook_kind)k;
			return 0;
		}
	return -1;
}

const char *
hooks_route(const struct config *cfg, const char *rest,
    const struct channel_config **ch, enum hook_kind *kind)
{
	char name[64];
	const char *slash = strchr(rest, '/');
	size_t n;

	if (slash == NULL || (n = (size_t)(slash - rest)) == 0 ||
	    n >= sizeof(name))
		return "no such webhook";
	memcpy(name, rest, n);
	name[n] = '\0';
	if ((*ch = config_channel(cfg, name)) == NULL)
		return "no such channel";
	if (hook_kind_parse(slash + 1, kind) != 0)
		return "no such webhook kind";
	return NULL;
}

void
hooks_prepare(struct http_request *req, void *arg)
{
	const struct config *cfg = arg;
	const struct channel_config *ch;
	const struct provider_ops *ops;
	enum hook_kind kind;

	if (strncmp(req->path, "/hooks/", 7) != 0 ||
	    hooks_route(cfg, req->path + 7, &ch, &kind) != NULL)
		return;
	ops = provider_for(ch->type);
	/* What admit refuses is answered by the loop, undecoded. */
	if (admissible(cfg, req, ch, ops, kind))
		req->prepared = decode_run(cfg, req, ch, ops, kind);
}
