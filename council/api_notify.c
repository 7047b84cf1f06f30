/*
 * api_notify.c: POST /api/v1/notify?text=TEMPLATE with a CSV body: personal
 * notifications as `baraza notify` sends them (council/notify.c), with a
 * preview (?preview=1) that writes nothing and shows the first messages,
 * the opted-out count and the first bad line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "council/api_common.h"
#include "council/broadcast.h"
#include "council/budget.h"
#include "gateway/answer.h"
#include "gateway/auth.h"
#include "gateway/gateway.h"
#include "gateway/idem.h"
#include "lib/log.h"
#include "lib/util.h"

#define NOTIFY_PREVIEW_ROWS 5 /* messages a preview shows */

/* The first messages of a preview, as the caller may see them. */
struct preview {
	struct http_request *req;
	json_t *first;
};

static void
on_message(
    void *arg, const char *phone, const char *text, const struct gsm_info *gi)
{
	struct preview *p = arg;
	char masked[32];

	if (json_array_size(p->first) >= NOTIFY_PREVIEW_ROWS)
		return;
	json_array_append_new(p->first,
	    json_pack("{s:o, s:o, s:I, s:s}", "phone",
		api_string(auth_phone(p->req, phone, masked, sizeof(masked))),
		"text", api_string(text), "segments", (json_int_t)gi->segments,
		"encoding", gsm_encoding_name(gi->encoding)));
}

/* {"line": N or null, "message"} from a run's message ("line 4: ..."). */
static json_t *
error_json(const char *msg)
{
	unsigned long long line;
	int n = 0;

	if (msg == NULL)
		msg = "the CSV was refused";
	if (sscanf(msg, "line %llu: %n", &line, &n) == 1 && n > 0)
		return json_pack("{s:I, s:o}", "line", (json_int_t)line,
		    "message", api_string(msg));
	return json_pack("{s:n, s:o}", "line", "message", api_string(msg));
}

/* The HTTP status of a failed run. */
static int
status_of(int rc)
{
	switch (rc) {
	case BROADCAST_EINVAL:
		return 400;
	case BROADCAST_ETOOBIG:
		return 413;
	default:
		return 503;
	}
}

/* 1 when a flag of the query is set: 1, true or yes. */
static int
flag(const char *v)
{
	return v != NULL && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0 ||
				strcmp(v, "yes") == 0);
}

/* Reads the query: text (required), channel, at, preview, force. */
static int
read_query(struct http_request *req, const struct form *q,
    struct notify_request *nr, int *preview)
{
	const char *at = form_get(q, "at");

	memset(nr, 0, sizeof(*nr));
	nr->template = form_get(q, "text");
	nr->channel = form_get(q, "channel");
	if (nr->channel != NULL && *nr->channel == '\0')
		nr->channel = NULL;
	if (nr->template == NULL || *nr->template == '\0') {
		answer_error(
		    req, 400, "the query must carry the template: ?text=...");
		return -1;
	}
	if (at != NULL && *at != '\0' &&
	    api_parse_time(at, 0, &nr->send_at) != 0) {
		answer_error(req, 400,
		    "\"at\" must be an ISO 8601 time such as "
		    "2026-12-01T08:00:00Z");
		return -1;
	}
	*preview = flag(form_get(q, "preview"));
	/* Past a daily budget only by an admin's choice. */
	nr->force = flag(form_get(q, "force"));
	if (nr->force && auth_require(req, ROLE_ADMIN) != 0)
		return -1;
	return 0;
}

/* ?preview=1: checks and renders, writes nothing. */
static void
preview(struct gateway *gw, struct http_request *req, struct notify_request *nr)
{
	struct broadcast_summary sum;
	struct preview p = {req, json_array()};
	char *err = NULL;
	json_t *o, *budgets = NULL;
	int rc;

	nr->dry_run = 1;
	rc = notify_csv_each(gw->store, gw->cfg, nr, req->body, req->body_len,
	    now_ms(), on_message, &p, &sum, &err);
	if (rc == BROADCAST_ESTORE) {
		json_decref(p.first);
		free(err);
		api_store_failed(req);
		return;
	}
	o = json_object();
	json_object_set_new(o, "rows", json_integer(sum.recipients));
	json_object_set_new(o, "opted_out", json_integer(sum.skipped));
	json_object_set_new(
	    o, "segments", json_integer(rc == 0 ? sum.total_segments : 0));
	json_object_set_new(o, "first", p.first);
	json_object_set_new(
	    o, "error", rc == 0 ? json_null() : error_json(err));
	free(err);
	/* Each channel's day as the run would leave it. */
	if (rc == 0 && (budgets = budget_json_all(gw->store, gw->cfg, &sum.send,
			    sum.send_at, now_ms())) == NULL) {
		json_decref(o);
		api_store_failed(req);
		return;
	}
	json_object_set_new(o, "budgets", rc == 0 ? budgets : json_array());
	api_answer(req, 200, o);
}

/* Without preview: queues like `baraza notify`. */
static void
queue(struct gateway *gw, struct http_request *req, struct notify_request *nr)
{
	struct broadcast_summary sum;
	struct idem idem;
	char *err = NULL, object[40], detail[80];
	int64_t now = now_ms();
	json_t *answer, *e;
	int rc;

	if (idem_begin(gw, req, "notify", &idem) != 0)
		return;
	if (batch_begin(&gw->batch) != 0 || store_savepoint(gw->store) != 0) {
		api_store_failed(req);
		return;
	}
	/* Inside the turn's transaction the run is a savepoint of its own. */
	rc = notify_csv_buf(gw->store, gw->cfg, nr, req->body, req->body_len,
	    now, NULL, NULL, &sum, &err);
	if (rc != 0) {
		store_rollback_to(gw->store);
		if (rc == BROADCAST_ESTORE)
			api_store_failed(req);
		else if (rc == BROADCAST_EBUDGET)
			budget_answer(req, &sum.over);
		else {
			e = error_json(err);
			api_answer(req, status_of(rc),
			    json_pack("{s:o, s:O}", "error", api_string(err),
				"line", json_object_get(e, "line")));
			json_decref(e);
		}
		free(err);
		return;
	}
	answer = json_pack("{s:I, s:I, s:I, s:I}", "id", (json_int_t)sum.id,
	    "recipients", (json_int_t)sum.recipients, "segments",
	    (json_int_t)sum.total_segments, "opted_out",
	    (json_int_t)sum.skipped);
	snprintf(object, sizeof(object), "broadcast/%lld", (long long)sum.id);
	snprintf(detail, sizeof(detail), "recipients=%lld%s",
	    (long long)sum.recipients, nr->force ? ", forced" : "");
	if (audit_record(gw, req, "notify.send", object, detail) != 0 ||
	    idem_record(gw, &idem, 202, answer, now) != 0 ||
	    store_release(gw->store) != 0) {
		store_rollback_to(gw->store);
		json_decref(answer);
		api_store_failed(req);
		return;
	}
	api_answer_after_commit(gw, req, 202, answer);
}

void
api_notify(struct gateway *gw, struct http_request *req, const char *rest)
{
	struct notify_request nr;
	struct form q;
	int pv = 0;

	if (strcmp(rest, "notify") != 0) {
		answer_error(req, 404, "no such API endpoint");
		return;
	}
	if (strcmp(req->method, "POST") != 0) {
		answer_method(req, "POST");
		return;
	}
	if (auth_require(req, ROLE_STAFF) != 0)
		return;
	if (api_query(req, &q) == 0 && read_query(req, &q, &nr, &pv) == 0) {
		if (pv)
			preview(gw, req, &nr);
		else
			queue(gw, req, &nr);
	}
	form_free(&q);
}
