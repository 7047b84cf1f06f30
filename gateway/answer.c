/*
 * answer.c: the JSON answers every HTTP handler gives (the router, the
 * admin API, the webhooks, the council's endpoints), in one place below
 * them all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gateway/answer.h"

void
answer_json(struct http_request *req, int status, json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);

	http_respond(req, status, "application/json", s, strlen(s));
	free(s);
	json_decref(o);
}

void
answer_error(struct http_request *req, int status, const char *msg)
{
	json_t *o = json_pack("{s:s}", "error", msg);
	char *s = json_dumps(o, JSON_COMPACT);

	http_respond(req, status, "application/json", s, strlen(s));
	free(s);
	json_decref(o);
}

void
answer_method(struct http_request *req, const char *allow)
{
	static const char body[] = "{\"error\":\"method not allowed\"}";
	char extra[64];

	snprintf(extra, sizeof(extra), "Allow: %s\r\n", allow);
	http_respond_ex(
	    req, 405, "application/json", extra, body, sizeof(body) - 1);
}
