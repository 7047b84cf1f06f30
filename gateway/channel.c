/*
 * channel.c: the channel of a provider (channel.h): each message becomes
 * the provider's HTTP request (struct provider_ops), goes out over the
 * shared libcurl-on-libuv client, and the provider's answer becomes one of
 * the three outcomes.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/channel.h"
#include "gateway/config.h"
#include "gateway/dispatch.h"
#include "lib/form.h"
#include "lib/gsm.h"
#include "lib/log.h"
#include "lib/util.h"
#include "providers/client.h"
#include "providers/provider.h"

/* A provider channel's state (ch->arg). */
struct provider_chan {
	const struct provider_ops *ops; /* the channel type's provider */
	struct client *client;          /* borrowed */
	char *status_url;               /* where delivery reports go */
};

/* One request in flight. */
struct flight {
	struct channel *ch;
	struct channel_msg msg; /* id, attempts, created (to, text NULL) */
	struct provider_request req;
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

static void
on_response(const struct client_resp *resp, void *arg)
{
	struct flight *f = arg;
	struct provider_chan *pc = f->ch->arg;
	struct provider_result res;

	if (resp->cancelled) {
		/* Shutting down: the claim stays and is retried at start-up. */
		log_info("dispatch", "request cancelled id=%lld",
		    (long long)f->msg.id);
		provider_request_free(&f->req);
		dispatch_dropped(f->ch, &f->msg);
		free(f);
		return;
	}
	provider_parse_send(pc->ops, f->ch->cfg, f->msg.id, resp, &res);
	provider_request_free(&f->req);
	dispatch_done(f->ch, &f->msg, outcome_of(res.outcome), res.provider_id,
	    res.error ? res.error : resp->error);
	provider_result_free(&res);
	free(f);
}

/*
 * Builds msg's request and starts it. A message the provider cannot encode
 * fails at once (PERMFAIL), a request that cannot start is retried
 * (TEMPFAIL).
 */
static void
provider_send(struct channel *ch, const struct channel_msg *msg)
{
	struct provider_chan *pc = ch->arg;
	struct provider_msg pm;
	struct flight *f;

	f = xcalloc(1, sizeof(*f));
	f->ch = ch;
	f->msg = *msg;
	f->msg.to = f->msg.text = NULL;
	memset(&pm, 0, sizeof(pm));
	pm.id = msg->id;
	pm.to = msg->to;
	pm.text = msg->text;
	pm.ucs2 = needs_ucs2(msg->text);
	pm.status_url = pc->status_url;
	if (pc->ops->build_send(ch->cfg, &pm, &f->req) != 0) {
		provider_request_free(&f->req);
		free(f);
		dispatch_done(ch, msg, SEND_PERMFAIL, NULL,
		    "the message cannot be encoded for this provider");
		return;
	}
	if (client_request(pc->client, &f->req.req, on_response, f) != 0) {
		provider_request_free(&f->req);
		free(f);
		dispatch_done(
		    ch, msg, SEND_TEMPFAIL, NULL, "the request cannot start");
	}
}

static void
provider_close_state(struct provider_chan *pc)
{
	free(pc->status_url);
	free(pc);
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
provider_chan_new(const struct channel_config *cc, struct client *client,
    const char *public_base)
{
	const struct provider_ops *ops = provider_for(cc->type);
	struct provider_chan *pc;
	char *secret;

	if (ops == NULL)
		return NULL;
	pc = xcalloc(1, sizeof(*pc));
	pc->ops = ops;
	pc->client = client;
	/* A channel with a webhook secret needs it on its reports too. */
	secret = cc->webhook_secret ? url_encode(cc->webhook_secret,
					  strlen(cc->webhook_secret))
				    : NULL;
	pc->status_url = xasprintf("%s/hooks/%s/status%s%s",
	    cc->public_url ? cc->public_url : public_base, cc->name,
	    secret ? "?secret=" : "", secret ? secret : "");
	free(secret);
	return pc;
}

void
channel_open_providers(struct dispatcher *d, const struct config *cfg,
    struct client *client, const char *public_base)
{
	struct provider_chan *pc;
	size_t i;

	for (i = 0; i < cfg->nchannels; i++) {
		pc = provider_chan_new(&cfg->channels[i], client, public_base);
		if (pc != NULL && dispatch_attach(d, cfg->channels[i].name,
				      &provider_chan_ops, pc, 1) == NULL)
			provider_close_state(pc);
	}
}
