/*
 * answer.h: JSON answers to HTTP requests, shared by every handler.
 */
#ifndef BARAZA_ANSWER_H
#define BARAZA_ANSWER_H

#include <jansson.h>

#include "lib/http.h"

/* Answers req with the JSON value o (whose reference it takes). */
void answer_json(struct http_request *, int status, json_t *o);

/* Answers req with a JSON error body {"error": msg} and status. */
void answer_error(struct http_request *, int status, const char *msg);

/* Answers 405 with an Allow header listing allow ("GET, HEAD"). */
void answer_method(struct http_request *, const char *allow);

#endif
