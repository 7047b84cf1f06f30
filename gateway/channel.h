/*
 * channel.h: the one contract between the dispatcher (dispatch.c) and
 * whatever carries an outbound SMS: a provider over HTTP (channel.c wraps
 * its struct provider_ops and the shared libcurl client) or a GSM modem
 * (modems.c wraps its supervisor). The dispatcher decides what to send
 * and when; a channel only carries a message and says how it went, in one
 * of three outcomes (OpenSMTPD's queue.c): OK, TEMPFAIL or PERMFAIL.
 *
 * Contract for every struct channel_ops:
 * - send MUST NOT block. It MUST end every message it is handed with
 *   exactly one dispatch_done() (dispatch.h), or, when the loop is shutting
 *   down and the message never left, one dispatch_dropped(): before it
 *   returns or later, from the loop thread.
 * - A channel that cannot take the message now (a modem that is down, a
 *   request that cannot start) ends it TEMPFAIL; one whose message can
 *   never be carried (it cannot be encoded for the provider) PERMFAIL. Each
 *   maps its own errors onto these three; the error is a short reason in
 *   words, which the dispatcher copies.
 * - The dispatcher owns struct channel and hands its pointer to the ops,
 *   which keep their own state behind arg; close (when not NULL) releases
 *   it when the dispatcher ends.
 */
#ifndef BARAZA_GATEWAY_CHANNEL_H
#define BARAZA_GATEWAY_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

#include "lib/channel.h"

struct channel;
struct client;
struct client_port;
struct config;
struct dispatcher;

/* The end of every send. */
enum send_outcome {
	SEND_OK,       /* accepted by the provider or the modem */
	SEND_TEMPFAIL, /* try again later (timeout, 429, 5xx, modem down) */
	SEND_PERMFAIL, /* never going to work (a rejection, bad number) */
};

/*
 * One outbound SMS as the dispatcher hands it to a channel. The strings are
 * borrowed for the time of the send call only. A channel gives the struct
 * (or a copy of its numbers) back to dispatch_done.
 */
struct channel_msg {
	int64_t id;       /* the gateway's message id */
	const char *to;   /* E.164 */
	const char *text; /* UTF-8 */
	int attempts;     /* sends tried, this one included; -1: not known
			     (the dispatcher reads it from the store) */
	int64_t created;  /* wall ms it was queued (known with attempts) */
	int segments;     /* SMS segments of the text (known with attempts) */
};

struct channel_ops {
	const char *name; /* what carries the messages: "provider", "modem" */
	/* Carries msg; see the contract above. */
	void (*send)(struct channel *, const struct channel_msg *msg);
	/* Releases arg when the dispatcher ends; may be NULL. */
	void (*close)(struct channel *);
};

/* One channel of the config as the dispatcher sees it. */
struct channel {
	const struct channel_config *cfg; /* borrowed from the config */
	const struct channel_ops *ops;    /* NULL: nothing carries it (yet) */
	void *arg;                        /* the ops' own state */
};

/*
 * Attaches a provider channel to d for every channel of cfg whose type has
 * a struct provider_ops (channel.c): each message becomes the provider's
 * request over out (a client on the loop, or on a thread of its own:
 * client_thread.h; each answer comes back on the loop), asking for delivery reports at public_base (or the
 * channel's public_url) "/hooks/NAME/status", with the channel's
 * webhook_secret. The channels are up at once. Each request that gets an
 * answer (or cannot start) goes to the channel log (dispatch_log()): its
 * time, status, time taken, error, its method and URL without the query,
 * and the answer's first STORE_CHANLOG_ANSWER bytes, with the channel's
 * secrets (api_key, password, auth_token, signing_key, webhook_secret, as
 * written and URL-encoded) blanked; never the request body or headers.
 */
void channel_open_providers(struct dispatcher *d, const struct config *cfg,
    const struct client_port *out, const char *public_base);

/*
 * For the channel log: copies at most max bytes of the len at src into out
 * (max + 1 bytes), cut on a character boundary: bytes that are not UTF-8
 * (strictly: no overlong forms, surrogates or values above U+10FFFF, which
 * PostgreSQL refuses) or are control characters other than a line break
 * or a tab become '?'. Returns the length copied.
 */
size_t channel_excerpt(const char *src, size_t len, char *out, size_t max);

#endif
