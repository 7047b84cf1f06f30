/*
 * api_common.c: what the console's API handlers share: paging, query
 * strings, times, and JSON answers given now or after the turn's commit.
 */
#include "council/api_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "council/reports.h"
#include "gateway/answer.h"
#include "gateway/batch.h"
#include "gateway/gateway.h"
#include "gateway/auth.h"
#include "lib/scrub.h"
#include "lib/timeparse.h"
#include "lib/util.h"

int
api_query(struct http_request *req, struct form *q)
{
	const char *why = NULL;
	char msg[160];

	memset(q, 0, sizeof(*q));
	if (form_parse(q, req->query, strlen(req->query), &why) != 0) {
		snprintf(
		    msg, sizeof(msg), "bad query string: %s", why ? why : "?");
		answer_error(req, 400, msg);
		return -1;
	}
	return 0;
}

int
api_page(struct http_request *req, const struct form *q, struct api_page *out)
{
	const char *limit = form_get(q, "limit");
	const char *cursor = form_get(q, "cursor");
	int64_t n;

	out->limit = API_LIMIT_DEFAULT;
	out->before = 0;
	if (limit != NULL && *limit != '\0') {
		if ((n = str_id(limit)) < 1 || n > API_LIMIT_MAX) {
			answer_error(
			    req, 400, "\"limit\" is a number from 1 to 200");
			return -1;
		}
		out->limit = (size_t)n;
	}
	if (cursor != NULL && *cursor != '\0') {
		if ((out->before = str_id(cursor)) < 1) {
			answer_error(req, 400,
			    "bad \"cursor\": pass the \"next\" of the "
			    "previous page");
			return -1;
		}
	}
	return 0;
}

json_t *
api_paged(json_t *items, int64_t next)
{
	char cursor[24];

	if (next <= 0)
		return json_pack("{s:o, s:n}", "items", items, "next");
	snprintf(cursor, sizeof(cursor), "%lld", (long long)next);
	return json_pack("{s:o, s:s}", "items", items, "next", cursor);
}

void
api_answer(struct http_request *req, int status, json_t *o)
{
	char *s;

	answer_mask_for(req, o);
	s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(15));

	if (s == NULL) {
		json_decref(o);
		answer_error(req, 500, "the answer cannot be written");
		return;
	}
	http_respond(req, status, "application/json", s, strlen(s));
	free(s);
	json_decref(o);
}

/* An answer waiting for the turn's commit. */
struct api_pending {
	struct http_request *req; /* answered in on_committed */
	int status;               /* its status when committed */
	json_t *answer;           /* owned */
};

static void
on_committed(void *arg, int ok)
{
	struct api_pending *p = arg;

	if (ok)
		api_answer(p->req, p->status, p->answer);
	else {
		json_decref(p->answer);
		api_store_failed(p->req);
	}
	free(p);
}

void
api_answer_after_commit(
    struct gateway *gw, struct http_request *req, int status, json_t *o)
{
	struct api_pending *p = xmalloc(sizeof(*p));

	p->req = req;
	p->status = status;
	p->answer = o;
	batch_defer(&gw->batch, on_committed, p);
}

void
api_store_failed(struct http_request *req)
{
	answer_error(req, 503, "the store failed; try again");
}

json_t *
api_body_object(struct http_request *req)
{
	json_error_t e;
	json_t *o;
	char msg[200];

	o = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &e);
	if (o == NULL || !json_is_object(o)) {
		snprintf(msg, sizeof(msg), "the body must be a JSON object%s%s",
		    o == NULL ? ": " : "", o == NULL ? e.text : "");
		json_decref(o);
		answer_error(req, 400, msg);
		return NULL;
	}
	return o;
}

json_t *
api_time(int64_t ms)
{
	char t[32];

	if (ms < 0)
		return json_null();
	iso8601_utc(ms, t, sizeof(t));
	return json_string(t);
}

json_t *
api_string(const char *s)
{
	return answer_string(s);
}

json_t *
api_money(int64_t micro)
{
	return json_real((double)micro / 1e6);
}

/* The first millisecond of local day date ("2026-12-01"): 01:00 when a
   clock change skips its midnight. 0 or -1. */
static int
day_start(const char *date, int64_t *ms)
{
	char buf[TIMEPARSE_INPUT_MAX];

	snprintf(buf, sizeof(buf), "%sT00:00", date);
	if (timeparse_iso8601(buf, ms) == TIMEPARSE_SKIPPED)
		snprintf(buf, sizeof(buf), "%sT01:00", date);
	return timeparse_iso8601(buf, ms) == 0 ? 0 : -1;
}

int
api_parse_time(const char *s, int end, int64_t *ms)
{
	char buf[TIMEPARSE_INPUT_MAX], next[16];
	struct tm tm;
	int64_t u;
	time_t t;
	size_t n;

	if (s == NULL || (n = strlen(s)) == 0 || n >= sizeof(buf) - 12)
		return -1;
	if (n == 10 && s[4] == '-' && s[7] == '-') {
		/* A date: its first or last millisecond, local time. */
		if (!end)
			return day_start(s, ms);
		/*
		 * The last is the next day's first less one: where clocks go
		 * back at midnight, 23:59:59 comes twice and the second is the
		 * day's too.
		 */
		snprintf(buf, sizeof(buf), "%sT00:00Z", s);
		if (timeparse_iso8601(buf, &u) != 0)
			return -1;
		t = (time_t)(u / 1000) + 86400;
		if (gmtime_r(&t, &tm) == NULL ||
		    strftime(next, sizeof(next), "%Y-%m-%d", &tm) != 10 ||
		    day_start(next, ms) != 0)
			return -1;
		*ms -= 1;
		return 0;
	}
	return timeparse_iso8601(s, ms);
}

int
api_viewer_words(struct http_request *req, const char *name, const char *words)
{
	const struct principal *p = auth_principal(req);
	struct scrub_run r;
	char msg[160];

	if (words == NULL || p == NULL || p->role > ROLE_VIEWER ||
	    scrub_next(words, &r) != 0)
		return 0;
	snprintf(msg, sizeof(msg),
	    "\"%s\": a viewer's search holds no digits (numbers are masked "
	    "for viewers); find a number whole with \"phone\"",
	    name);
	answer_error(req, 403, msg);
	return -1;
}
