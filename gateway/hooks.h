/*
 * hooks.h: the provider webhooks at /hooks/CHANNEL/KIND (hooks.c), the one
 * place where what a provider sent becomes an HTTP answer: the provider's
 * decoder (enum provider_decode) and the ingress (enum ingress_status)
 * speak in their own terms, and this layer maps both onto statuses.
 */
#ifndef BARAZA_HOOKS_H
#define BARAZA_HOOKS_H

#include <stdint.h>

#include "gateway/config.h"
#include "lib/http.h"

struct gateway;

/* The kinds of webhook, the last segment of the path. */
enum hook_kind {
	HOOK_SMS,    /* "sms": an inbound SMS */
	HOOK_USSD,   /* "ussd": one USSD step */
	HOOK_STATUS, /* "status": a delivery report */
};
#define HOOK_NKINDS 3

/* Refusals (403) of one channel since its last log line. */
struct hooks_refusals {
	int64_t logged_ms; /* mono_ms() of the last line, 0: none yet */
	uint64_t count;    /* refused since that line, not yet logged */
};

/* The webhooks' state, embedded in struct gateway (gw->hooks). */
struct hooks {
	uint64_t bad;       /* webhooks refused as malformed (400) */
	uint64_t forbidden; /* webhooks refused as unauthenticated (403) */
	struct hooks_refusals refused[CONFIG_MAX_CHANNELS]; /* by index in
							       cfg->channels */
};

/* The names of the kinds as in the path, by enum hook_kind. */
extern const char *const hooks_kind_names[HOOK_NKINDS];

/*
 * Handles a webhook of kind for channel ch (one of gw->cfg's channels),
 * with what hooks_prepare left in req->prepared, if anything (freed): such
 * a request passed admission there and is not checked again.
 */
void hooks_handle(struct gateway *, struct http_request *,
    const struct channel_config *ch, enum hook_kind kind);

/*
 * The channel and kind of a webhook path after "/hooks/" ("CHANNEL/KIND").
 * Returns NULL, or why there is none ("no such channel", ...: a 404).
 */
const char *hooks_route(const struct config *cfg, const char *rest,
    const struct channel_config **ch, enum hook_kind *kind);

/*
 * The HTTP server's prepare callback (http_server_set_prepare), arg the
 * gateway's struct config: on the server's thread, decodes a webhook that
 * the loop's checks will admit (signature included) into req->prepared,
 * for hooks_handle. Reads only req and the config, which never changes
 * while the gateway serves.
 */
void hooks_prepare(struct http_request *req, void *arg);

#endif
