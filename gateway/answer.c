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
#include "lib/scrub.h"
#include "lib/util.h"

/* The members whose strings are free text a resident or staff wrote. */
static const char *const free_text[] = {
    "text", "location", "details", "note", "last_note", "error"};

/*
 * Masks the numbers in o's free text, members at any depth, as the log
 * masks them (lib/scrub.h): what a viewer sees (console.md).
 */
static void
mask_free_text(json_t *o, int depth)
{
	const char *key;
	json_t *v;
	size_t i;

	if (depth > 16)
		return;
	if (json_is_array(o)) {
		json_array_foreach(o, i, v) mask_free_text(v, depth + 1);
		return;
	}
	json_object_foreach(o, key, v)
	{
		if (json_is_string(v)) {
			for (i = 0; i < nitems(free_text); i++)
				if (strcmp(key, free_text[i]) == 0) {
					char *m = scrub_mask_numbers(
					    json_string_value(v));

					json_string_set(v, m);
					free(m);
					break;
				}
		} else
			mask_free_text(v, depth + 1);
	}
}

void
answer_mask_for(const struct http_request *req, json_t *o)
{
	if (req != NULL && req->private_view)
		mask_free_text(o, 0);
}

void
answer_json(struct http_request *req, int status, json_t *o)
{
	char *s;

	answer_mask_for(req, o);
	s = json_dumps(o, JSON_COMPACT);

	/* No value (a json_pack given text that is not UTF-8): a 500. */
	if (s == NULL) {
		json_decref(o);
		answer_error(req, 500, "the answer cannot be written");
		return;
	}
	http_respond(req, status, "application/json", s, strlen(s));
	free(s);
	json_decref(o);
}

void
answer_error(struct http_request *req, int status, const char *msg)
{
	json_t *o = json_object();
	char *s;

	/*
	 * msg may quote the request (a query's value, cut at a byte count):
	 * jansson refuses a string that is not UTF-8, so answer_string makes
	 * its bytes past ASCII '?' (a NULL here crashed the gateway).
	 */
	json_object_set_new(o, "error", answer_string(msg));
	s = json_dumps(o, JSON_COMPACT);
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

json_t *
answer_string(const char *s)
{
	json_t *j;
	char *c;
	size_t i;

	if (s == NULL)
		return json_null();
	if ((j = json_string(s)) != NULL)
		return j;
	c = xstrdup(s);
	for (i = 0; c[i] != '\0'; i++)
		if ((unsigned char)c[i] >= 0x80)
			c[i] = '?';
	j = json_string(c);
	free(c);
	return j != NULL ? j : json_null();
}
