/*
 * answer.h: JSON answers to HTTP requests, shared by every handler.
 */
#ifndef BARAZA_ANSWER_H
#define BARAZA_ANSWER_H

#include <jansson.h>

#include "lib/http.h"

/*
 * Answers req with the JSON value o (whose reference it takes); 500 when o
 * cannot be written (NULL, as a failed json_pack gives). For a viewer the
 * numbers in its free text are masked first (answer_mask_for).
 */
void answer_json(struct http_request *, int status, json_t *o);

/*
 * When req is a viewer's (req->private_view, set by the API's router),
 * masks the numbers in o's free text
 * (members text, location, details, note, last_note, error, at any depth)
 * as the log masks them (lib/scrub.h): what a viewer sees (console.md).
 */
void answer_mask_for(const struct http_request *req, json_t *o);

/*
 * Answers req with a JSON error body {"error": msg} and status; bytes of
 * msg past ASCII become '?' when msg is not valid UTF-8.
 */
void answer_error(struct http_request *, int status, const char *msg);

/*
 * A JSON string of s, or null for NULL. Text that is not valid UTF-8 (it
 * should never reach the store) has its bytes above ASCII replaced by '?'
 * rather than failing.
 */
json_t *answer_string(const char *s);

/* Answers 405 with an Allow header listing allow ("GET, HEAD"). */
void answer_method(struct http_request *, const char *allow);

#endif
