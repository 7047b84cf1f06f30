/*
 * api.h: the admin API under /api/v1/ (api.c). The router checks the
 * bearer token before it calls in.
 */
#ifndef BARAZA_API_H
#define BARAZA_API_H

#include <stdint.h>

#include <jansson.h>

#include "gateway/answer.h"
#include "lib/http.h"

struct gateway;

/* Handles /api/v1/REST; rest is the path after "/api/v1/". */
void api_handle(struct gateway *, struct http_request *, const char *rest);

#endif
