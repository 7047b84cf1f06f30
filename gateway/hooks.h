/*
 * hooks.h: the provider webhooks at /hooks/CHANNEL/KIND (hooks.c).
 */
#ifndef BARAZA_HOOKS_H
#define BARAZA_HOOKS_H

#include "gateway/config.h"
#include "lib/http.h"

struct gateway;

/* Handles a webhook of kind "sms", "ussd" or "status" for channel ch. */
void hooks_handle(struct gateway *, struct http_request *,
    const struct channel_config *, const char *kind);

#endif
