/*
 * channel.c: the channel of a provider (channel.h): each message becomes
 * the provider's HTTP request (struct provider_ops), goes out over the
 * shared libcurl-on-libuv client, and the provider's answer becomes one of
 * the three outcomes.
 *
 * With the client on a thread of its own (client_thread.h), a message is
 * a job there: the request is built (the body, the signature), sent, and
 * its answer decoded and made ready for the channel log on that thread;
 * the loop only hands the message over and records the outcome. What the
 * thread reads of the channel (struct provider_chan, the config) does not
 * change while the gateway runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "gateway/channel.h"
#include "gateway/config.h"
#include "gateway/dispatch.h"
#include "lib/form.h"
#include "lib/gsm.h"
#include "lib/log.h"
#include "lib/util.h"
#include "providers/client.h"
#include "providers/client_thread.h"
#include "providers/provider.h"

#define MAX_SECRETS 16 /* secrets of a channel, as written and encoded */

/* A provider channel's state (ch->arg). */
struct provider_chan {
	const struct provider_ops *ops; /* the channel type's provider */
	struct client_port out;         /* where requests go (borrowed) */
	char *status_url;               /* where delivery reports go */
	char *secrets[MAX_SECRETS];     /* what the channel log never holds:
					   the channel's secrets as written
					   and URL-encoded; nsecrets used */
	size_t nsecrets;
	int log; /* 1: requests go to the channel log (channel_log_days) */
};

/*
 * One message in flight. The fields after started_mono are the job's:
 * written where the client runs, between the hand-over and done.
 */
struct flight {
	struct channel *ch;
	struct provider_chan *pc;
	struct channel_msg msg; /* id, attempts, created (to, text NULL) */
	char *to, *text;        /* msg's, copied for the build */
	int64_t started;        /* wall ms the request started */
	int64_t started_mono;   /* the same on the monotonic clock */
	struct provider_request req;
	struct provider_result res; /* the answer decoded */
	enum {
		F_ANSWERED,    /* res holds the outcome */
		F_UNENCODABLE, /* build_send refused the message */
		F_CANCELLED,   /* the client shut down first */
	} end;
	char *why;              /* the reason when not OK, or NULL */
	int logged;             /* e below is filled */
	struct store_chanlog e; /* the channel log's entry; its texts: */
	char request[STORE_CHANLOG_REQUEST + 1];
	char *answer, *error; /* owned, or NULL */
};

static enum send_outcome
outcome_of(enum provider_outcome o)
{
	switch (o) {
	case PROVIDER_OK:
		return SEND_OK;
	case PROVIDER_TEMPFAIL:
		return SEND_TEMPFAIL;
	case PROVIDER_PERMFAIL:
		break;
	}
	return SEND_PERMFAIL;
}

static int
needs_ucs2(const char *text)
{
	struct gsm_info gi;

	gsm_count(text, &gi);
	return gi.encoding != GSM_ENC_GSM7;
}

/*
 * Finds pc's secrets in the srclen bytes of src, of which out holds a copy
 * of the first outlen bytes (byte for byte), and blanks them in out, also
 * where the copy cuts one short.
 */
static void
blank_secrets(const struct provider_chan *pc, const char *src, size_t srclen,
    char *out, size_t outlen)
{
	const char *p, *end;
	size_t i, n, at;

	for (i = 0; i < pc->nsecrets; i++) {
		n = strlen(pc->secrets[i]);
		/* Only what starts inside the copy matters. */
		end = src + (srclen < outlen + n ? srclen : outlen + n);
		p = src;
		while ((size_t)(end - p) >= n &&
		       (p = memmem(p, (size_t)(end - p), pc->secrets[i], n)) !=
			   NULL) {
			at = (size_t)(p - src);
			memset(
			    out + at, '*', at + n <= outlen ? n : outlen - at);
			p += n;
		}
	}
}

/*
 * Whether the n bytes at p (a lead byte and n - 1 continuation bytes) are
 * one code point in its shortest form, not a surrogate and at most
 * U+10FFFF: UTF-8 as PostgreSQL takes it (a text it refuses would end
 * the turn's transaction).
 */
static int
strict_utf8(const unsigned char *p, size_t n)
{
	unsigned long cp = p[0] & (n == 2 ? 0x1f : n == 3 ? 0x0f : 0x07);
	size_t k;

	for (k = 1; k < n; k++)
		cp = (cp << 6) | (p[k] & 0x3f);
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && cp < 0x10000))
		return 0; /* overlong */
	return !(cp >= 0xd800 && cp <= 0xdfff) && cp <= 0x10ffff;
}

size_t
channel_excerpt(const char *src, size_t len, char *out, size_t max)
{
	const unsigned char *p = (const unsigned char *)src;
	size_t i = 0, o = 0, n, k;

	while (i < len && o < max) {
		if (p[i] < 0x80) {
			out[o++] = p[i] < 0x20 && p[i] != '\n' && p[i] != '\t'
				       ? '?'
				       : (char)p[i];
			i++;
			continue;
		}
		n = (p[i] & 0xe0) == 0xc0   ? 2
		    : (p[i] & 0xf0) == 0xe0 ? 3
		    : (p[i] & 0xf8) == 0xf0 ? 4
					    : 0;
		for (k = 1; n > 0 && k < n && i + k < len; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				break;
		if (n == 0 || k < n || i + n > len || !strict_utf8(p + i, n)) {
			out[o++] = '?';
			i++;
			continue;
		}
		if (o + n > max)
			break;
		memcpy(out + o, p + i, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
	return o;
}

/*
 * Copies what fits of the len bytes at s to out at n, leaving room for a
 * NUL within outlen (at least 1); returns the new length.
 */
static size_t
put_cut(char *out, size_t n, size_t outlen, const char *s, size_t len)
{
	if (len > outlen - 1 - n)
		len = outlen - 1 - n;
	memcpy(out + n, s, len);
	return n + len;
}

/*
 * The request line for the log: the method and the URL without its
 * query, fragment or user part ("POST http://host/path").
 */
static void
request_line(const struct client_req *r, char *out, size_t outlen)
{
	const char *url = r->url ? r->url : "", *host, *at, *end;
	const char *method = r->method ? r->method : r->body ? "POST" : "GET";
	size_t schemelen = 0, n;

	if ((host = strstr(url, "://")) != NULL) {
		host += 3;
		schemelen = (size_t)(host - url);
	} else
		host = url;
	end = host + strcspn(host, "?#");
	at = memchr(host, '@', (size_t)(end - host));
	if (at != NULL && (size_t)(at - host) < strcspn(host, "/"))
		host = at + 1;
	/* "METHOD scheme://host/path", cut to outlen (one a message sent). */
	if (outlen == 0)
		return;
	n = put_cut(out, 0, outlen, method, strlen(method));
	n = put_cut(out, n, outlen, " ", 1);
	n = put_cut(out, n, outlen, url, schemelen);
	n = put_cut(out, n, outlen, host, (size_t)(end - host));
	out[n] = '\0';
}

/*
 * A copy of the n bytes at src as the channel log keeps them, in as much
 * memory as it needs: an answer is most often a few dozen bytes, and a
 * block of the cap's size for each took malloc's slow path.
 */
static char *
log_excerpt(const struct provider_chan *pc, const char *src, size_t n)
{
	char out[STORE_CHANLOG_ANSWER + 1];
	size_t len = channel_excerpt(src, n, out, STORE_CHANLOG_ANSWER);

	blank_secrets(pc, src, n, out, len);
	return xstrndup(out, len);
}

/*
 * Makes f's entry of the channel log: its request and the answer (resp)
 * with error. Runs where the answer came (the client's thread);
 * dispatch_log writes it on the loop.
 */
static void
log_request(struct flight *f, const struct client_resp *resp, const char *error)
{
	struct provider_chan *pc = f->pc;
	char line[2048];
	size_t n;

	if (!pc->log)
		return;
	f->logged = 1;
	memset(&f->e, 0, sizeof(f->e));
	f->e.time = f->started;
	f->e.channel = f->ch->cfg->name;
	f->e.message_id = f->msg.id;
	f->e.ms = mono_ms() - f->started_mono;
	/* Blanked whole, then cut: no secret is cut in two. */
	request_line(&f->req.req, line, sizeof(line));
	n = strlen(line);
	blank_secrets(pc, line, n, line, n);
	channel_excerpt(line, n, f->request, STORE_CHANLOG_REQUEST);
	f->e.request = f->request;
	f->e.status = (int)resp->status;
	if (resp->body_len > 0)
		f->e.answer = f->answer =
		    log_excerpt(pc, resp->body, resp->body_len);
	if (error != NULL && *error != '\0')
		f->e.error = f->error = log_excerpt(pc, error, strlen(error));
}

/* The job's build: the provider's request for f's message. */
static int
job_build(void *arg, struct client_req *req)
{
	struct flight *f = arg;
	struct provider_msg pm;

	memset(&pm, 0, sizeof(pm));
	pm.id = f->msg.id;
	pm.to = f->to;
	pm.text = f->text;
	pm.ucs2 = needs_ucs2(f->text);
	pm.status_url = f->pc->status_url;
	if (f->pc->ops->build_send(f->ch->cfg, &pm, &f->req) != 0) {
		provider_request_free(&f->req);
		return -1;
	}
	*req = f->req.req;
	return 0;
}

/* The job's parse: the answer decoded, the log entry made. */
static void
job_parse(void *arg, const struct client_resp *resp)
{
	struct flight *f = arg;
	const char *why;

	if (resp == NULL)
		f->end = F_UNENCODABLE;
	else if (resp->cancelled)
		f->end = F_CANCELLED;
	else {
		f->end = F_ANSWERED;
		provider_parse_send(
		    f->pc->ops, f->ch->cfg, f->msg.id, resp, &f->res);
		why = f->res.error ? f->res.error : resp->error;
		log_request(
		    f, resp, f->res.outcome == PROVIDER_OK ? NULL : why);
		/* The message's error: kept, logged, told to event sinks
		 * and shown to viewers, so with the secrets blanked too (a
		 * provider's answer can echo the request). */
		if (why != NULL) {
			f->why = xstrdup(why);
			blank_secrets(
			    f->pc, why, strlen(why), f->why, strlen(why));
		}
	}
	provider_request_free(&f->req);
}

static void
flight_free(struct flight *f)
{
	provider_result_free(&f->res);
	free(f->to);
	free(f->text);
	free(f->why);
	free(f->answer);
	free(f->error);
	free(f);
}

/* The job's done, on the loop: the outcome recorded. */
static void
job_done(void *arg)
{
	struct flight *f = arg;

	switch (f->end) {
	case F_UNENCODABLE:
		dispatch_done(f->ch, &f->msg, SEND_PERMFAIL, NULL,
		    "the message cannot be encoded for this provider");
		break;
	case F_CANCELLED:
		/* Shutting down: the claim stays and is retried at start-up. */
		log_info("dispatch", "request cancelled id=%lld",
		    (long long)f->msg.id);
		dispatch_dropped(f->ch, &f->msg);
		break;
	case F_ANSWERED:
		if (f->logged)
			dispatch_log(f->ch, &f->e);
		dispatch_done(f->ch, &f->msg, outcome_of(f->res.outcome),
		    f->res.provider_id, f->why);
		break;
	}
	flight_free(f);
}

static const struct client_job_ops provider_job = {
    .build = job_build,
    .parse = job_parse,
    .done = job_done,
};

/*
 * Hands msg over as a job: built, sent and read where the client runs. A
 * message the provider cannot encode fails (PERMFAIL), a request that
 * cannot start is retried (TEMPFAIL).
 */
static void
provider_send(struct channel *ch, const struct channel_msg *msg)
{
	struct provider_chan *pc = ch->arg;
	struct flight *f;

	f = xcalloc(1, sizeof(*f));
	f->ch = ch;
	f->pc = pc;
	f->msg = *msg;
	f->msg.to = f->msg.text = NULL;
	f->to = xstrdup(msg->to);
	f->text = xstrdup(msg->text);
	f->started = now_ms();
	f->started_mono = mono_ms();
	if (client_port_job(&pc->out, &provider_job, f) != 0) {
		flight_free(f);
		dispatch_done(
		    ch, msg, SEND_TEMPFAIL, NULL, "the request cannot start");
	}
}

static void
provider_close_state(struct provider_chan *pc)
{
	size_t i;

	for (i = 0; i < pc->nsecrets; i++)
		free(pc->secrets[i]);
	free(pc->status_url);
	free(pc);
}

/* Adds s (may be NULL) and its URL-encoded form to pc's secrets. */
static void
add_secret(struct provider_chan *pc, const char *s)
{
	char *enc;

	if (s == NULL || *s == '\0' || pc->nsecrets + 2 > MAX_SECRETS)
		return;
	pc->secrets[pc->nsecrets++] = xstrdup(s);
	enc = url_encode(s, strlen(s));
	if (strcmp(enc, s) != 0)
		pc->secrets[pc->nsecrets++] = enc;
	else
		free(enc);
}

static void
provider_close(struct channel *ch)
{
	provider_close_state(ch->arg);
	ch->arg = NULL;
}

static const struct channel_ops provider_chan_ops = {
    .name = "provider",
    .send = provider_send,
    .close = provider_close,
};

/* The state of cc's provider channel, or NULL when its type has none. */
static struct provider_chan *
provider_chan_new(const struct channel_config *cc,
    const struct client_port *out, const char *public_base)
{
	const struct provider_ops *ops = provider_for(cc->type);
	struct provider_chan *pc;
	char *secret;

	if (ops == NULL)
		return NULL;
	pc = xcalloc(1, sizeof(*pc));
	pc->ops = ops;
	pc->out = *out;
	/* A channel with a webhook secret needs it on its reports too. */
	secret = cc->webhook_secret ? url_encode(cc->webhook_secret,
					  strlen(cc->webhook_secret))
				    : NULL;
	pc->status_url = xasprintf("%s/hooks/%s/status%s%s",
	    cc->public_url ? cc->public_url : public_base, cc->name,
	    secret ? "?secret=" : "", secret ? secret : "");
	free(secret);
	add_secret(pc, cc->api_key);
	add_secret(pc, cc->password);
	add_secret(pc, cc->auth_token);
	add_secret(pc, cc->signing_key);
	add_secret(pc, cc->webhook_secret);
	add_secret(pc, cc->webhook_secret_previous);
	add_secret(pc, cc->signing_key_previous);
	add_secret(pc, cc->api_secret);
	add_secret(pc, cc->signature_secret);
	if (cc->account_sid != NULL && cc->auth_token != NULL) {
		/* Twilio's basic auth, as an echoed Authorization shows it. */
		char *pair =
		    xasprintf("%s:%s", cc->account_sid, cc->auth_token);
		size_t n = strlen(pair);
		char *b64 = xmalloc(4 * ((n + 2) / 3) + 1);

		EVP_EncodeBlock(
		    (unsigned char *)b64, (unsigned char *)pair, (int)n);
		add_secret(pc, b64);
		free(b64);
		free(pair);
	}
	return pc;
}

void
channel_open_providers(struct dispatcher *d, const struct config *cfg,
    const struct client_port *out, const char *public_base)
{
	struct provider_chan *pc;
	size_t i;

	for (i = 0; i < cfg->nchannels; i++) {
		pc = provider_chan_new(&cfg->channels[i], out, public_base);
		if (pc != NULL)
			pc->log = cfg->channel_log_days > 0;
		if (pc != NULL && dispatch_attach(d, cfg->channels[i].name,
				      &provider_chan_ops, pc, 1) == NULL)
			provider_close_state(pc);
	}
}
