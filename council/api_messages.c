/*
 * api_messages.c: /api/v1/messages for the console: the search (GET
 * /api/v1/messages, newest first, paged), the retry of a failed message
 * (POST /api/v1/messages/ID/retry) and a message's provider log (GET
 * /api/v1/messages/ID/log). The core (gateway/api.c) keeps sending
 * (POST /api/v1/messages) and a message's state (GET /api/v1/messages/ID):
 * this route calls through to it for those.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "council/api_common.h"
#include "gateway/answer.h"
#include "gateway/api.h"
#include "gateway/auth.h"
#include "gateway/gateway.h"
#include "lib/log.h"
#include "lib/phone.h"
#include "lib/scrub.h"
#include "lib/util.h"

/* Building items: the request for auth_phone(), the array filled. */
struct items {
	struct http_request *req;
	json_t *a;
};

/* A message as the console shows it (the number as req may see it). */
static json_t *
message_json(struct http_request *req, const struct store_msg_row *m)
{
	char masked[32];
	json_t *o;

	o = json_object();
	json_object_set_new(o, "id", json_integer(m->id));
	json_object_set_new(o, "direction", json_string(m->direction));
	json_object_set_new(o, "kind", api_string(m->kind));
	json_object_set_new(o, "channel", api_string(m->channel));
	json_object_set_new(o, "phone",
	    api_string(auth_phone(req, m->phone, masked, sizeof(masked))));
	json_object_set_new(o, "state", json_string(m->state));
	json_object_set_new(o, "text", api_string(m->text));
	json_object_set_new(o, "segments", json_integer(m->segments));
	json_object_set_new(o, "attempts", json_integer(m->attempts));
	json_object_set_new(o, "error", api_string(m->error));
	json_object_set_new(o, "created", api_time(m->created));
	json_object_set_new(o, "updated", api_time(m->updated));
	json_object_set_new(o, "contact_id",
	    m->contact_id > 0 ? json_integer(m->contact_id) : json_null());
	return o;
}

static int
item_cb(void *arg, const struct store_msg_row *m)
{
	struct items *it = arg;

	json_array_append_new(it->a, message_json(it->req, m));
	return 0;
}

int
api_message_items(struct gateway *gw, struct http_request *req,
    const struct store_msg_query *q, json_t **out)
{
	struct items it = {req, json_array()};
	int64_t next;

	*out = NULL;
	if (store_console_messages(gw->store, q, item_cb, &it, &next) != 0) {
		json_decref(it.a);
		return -1;
	}
	*out = api_paged(it.a, next);
	return 0;
}

/* 1 when s is NULL, "in" or "out". */
static int
direction_ok(const char *s)
{
	return s == NULL || strcmp(s, "in") == 0 || strcmp(s, "out") == 0;
}

/* GET /api/v1/messages?phone=&text=&channel=&state=&direction=&... */
static void
search(struct gateway *gw, struct http_request *req)
{
	struct store_msg_query mq;
	struct store_contact c;
	struct api_page page;
	enum msg_state state;
	struct form q;
	const char *v;
	char phone[PHONE_MAX];
	json_t *out;
	int rc;

	memset(&mq, 0, sizeof(mq));
	memset(&c, 0, sizeof(c));
	if (api_query(req, &q) != 0 || api_page(req, &q, &page) != 0)
		goto out;
	mq.before = page.before;
	mq.limit = page.limit;
	mq.text = form_get(&q, "text");
	mq.channel = form_get(&q, "channel");
	mq.state = form_get(&q, "state");
	mq.direction = form_get(&q, "direction");
	if (mq.text != NULL && *mq.text == '\0')
		mq.text = NULL;
	if (mq.channel != NULL && *mq.channel == '\0')
		mq.channel = NULL;
	if (mq.state != NULL && *mq.state == '\0')
		mq.state = NULL;
	if (mq.direction != NULL && *mq.direction == '\0')
		mq.direction = NULL;
	if (mq.text != NULL && strlen(mq.text) > STORE_TEXT_MAX) {
		answer_error(req, 400, "\"text\" is too long");
		goto out;
	}
	if (api_viewer_words(req, "text", mq.text) != 0)
		goto out;
	if (mq.state != NULL && msg_state_parse(mq.state, &state) != 0) {
		answer_error(req, 400,
		    "unknown \"state\": use queued, sending, sent, delivered, "
		    "failed, received, handled or ignored");
		goto out;
	}
	if (!direction_ok(mq.direction)) {
		answer_error(req, 400, "\"direction\" is in or out");
		goto out;
	}
	if ((v = form_get(&q, "since")) != NULL && *v != '\0') {
		if (api_parse_time(v, 0, &mq.since) != 0) {
			answer_error(req, 400,
			    "\"since\" is a date (2026-12-01) or a time "
			    "(2026-12-01T08:00:00Z)");
			goto out;
		}
		mq.has_since = 1;
	}
	if ((v = form_get(&q, "until")) != NULL && *v != '\0') {
		if (api_parse_time(v, 1, &mq.until) != 0) {
			answer_error(req, 400,
			    "\"until\" is a date (2026-12-01) or a time "
			    "(2026-12-01T08:00:00Z)");
			goto out;
		}
		mq.has_until = 1;
	}
	if ((v = form_get(&q, "contact")) != NULL && *v != '\0') {
		if ((mq.contact_id = str_id(v)) < 1) {
			answer_error(req, 400, "\"contact\" is a contact's id");
			goto out;
		}
		/* Its number finds what was queued to it without a link. */
		if ((rc = store_contact_by_id(gw->store, mq.contact_id, &c)) <
		    0) {
			api_store_failed(req);
			goto out;
		}
		mq.phone = c.phone;
	}
	if ((v = form_get(&q, "phone")) != NULL && *v != '\0' &&
	    mq.contact_id == 0) {
		if (phone_normalize(
			v, gw->cfg->country_code, phone, sizeof(phone)) != 0) {
			answer_error(req, 400, "\"phone\" is not a number");
			goto out;
		}
		/*
		 * A known number: its contact's conversation, through the
		 * contact's indexes. Else the messages to or from the number.
		 */
		rc = store_contact_find(gw->store, phone, &c);
		if (rc < 0) {
			api_store_failed(req);
			goto out;
		}
		if (rc == 0)
			mq.contact_id = c.id;
		mq.phone = phone;
	}
	if (api_message_items(gw, req, &mq, &out) != 0) {
		api_store_failed(req);
		goto out;
	}
	api_answer(req, 200, out);
out:
	store_contact_free(&c);
	form_free(&q);
}

/* Captures a message row for retry. */
struct found {
	json_t *item; /* the item as the caller may see it */
	char *phone;  /* owned */
	int out;      /* outbound */
	int failed;   /* in state failed */
	int has_text; /* its text is kept */
	struct http_request *req;
};

static int
found_cb(void *arg, const struct store_msg_row *m)
{
	struct found *f = arg;

	f->item = message_json(f->req, m);
	f->phone = xstrdup(m->phone);
	f->out = strcmp(m->direction, "out") == 0;
	f->failed = strcmp(m->state, "failed") == 0;
	f->has_text = m->text != NULL;
	return 0;
}

/* POST /api/v1/messages/ID/retry: a failed message queued again. */
static void
retry(struct gateway *gw, struct http_request *req, int64_t id)
{
	struct found f = {NULL, NULL, 0, 0, 0, req};
	struct store_contact c;
	char object[40];
	int64_t now = now_ms();
	int rc;

	memset(&c, 0, sizeof(c));
	if (auth_require(req, ROLE_STAFF) != 0)
		return;
	rc = store_console_message(gw->store, id, found_cb, &f);
	if (rc == STORE_NOTFOUND || (rc == 0 && !f.out)) {
		answer_error(req, 404, "no such outbound message");
		goto out;
	}
	if (rc != 0) {
		api_store_failed(req);
		goto out;
	}
	if (!f.failed) {
		answer_error(req, 409, "only a failed message can be retried");
		goto out;
	}
	if (!f.has_text) {
		answer_error(req, 409, "the message's text was erased");
		goto out;
	}
	if ((rc = store_contact_find(gw->store, f.phone, &c)) < 0) {
		api_store_failed(req);
		goto out;
	}
	if (rc == 0 && c.opted_out) {
		answer_error(req, 409, "the contact has opted out");
		goto out;
	}
	snprintf(object, sizeof(object), "message/%lld", (long long)id);
	if (batch_begin(&gw->batch) != 0 || store_savepoint(gw->store) != 0) {
		api_store_failed(req);
		goto out;
	}
	if ((rc = store_console_retry(gw->store, id, now)) != 0 ||
	    audit_record(gw, req, "message.retry", object, NULL) != 0 ||
	    store_release(gw->store) != 0) {
		store_rollback_to(gw->store);
		if (rc == STORE_EINVAL)
			answer_error(
			    req, 409, "only a failed message can be retried");
		else
			api_store_failed(req);
		goto out;
	}
	log_info("api", "message queued again id=%lld", (long long)id);
	json_object_set_new(f.item, "state", json_string("queued"));
	json_object_set_new(f.item, "error", json_null());
	json_object_set_new(f.item, "updated", api_time(now));
	api_answer_after_commit(gw, req, 200, f.item);
	f.item = NULL;
out:
	json_decref(f.item);
	free(f.phone);
	store_contact_free(&c);
}

/* Building a log: the request (its role), the array filled. */
struct log_items {
	struct http_request *req;
	json_t *a;
};

/* A log text as req may see it: numbers removed for viewers. */
static json_t *
shown_text(struct http_request *req, const char *s)
{
	const struct principal *p = auth_principal(req);
	json_t *v;
	char *clean;

	if (s == NULL)
		return json_null();
	if (p != NULL && p->role > ROLE_VIEWER)
		return api_string(s);
	clean = scrub_numbers(s);
	v = api_string(clean);
	free(clean);
	return v;
}

static int
log_cb(void *arg, const struct store_chanlog *e)
{
	struct log_items *li = arg;
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer(e->id));
	json_object_set_new(o, "time", api_time(e->time));
	json_object_set_new(o, "channel", api_string(e->channel));
	json_object_set_new(
	    o, "status", e->status > 0 ? json_integer(e->status) : json_null());
	json_object_set_new(o, "ms", json_integer(e->ms));
	json_object_set_new(o, "request", api_string(e->request));
	json_object_set_new(o, "error", shown_text(li->req, e->error));
	json_object_set_new(o, "answer", shown_text(li->req, e->answer));
	json_array_append_new(li->a, o);
	return 0;
}

/*
 * GET /api/v1/messages/ID/log: the message and each request to its
 * provider with the answer, oldest first.
 */
static void
message_log(struct gateway *gw, struct http_request *req, int64_t id)
{
	struct found f = {NULL, NULL, 0, 0, 0, req};
	struct log_items li = {req, NULL};
	json_t *o;
	int rc;

	if (auth_require(req, ROLE_VIEWER) != 0)
		return;
	rc = store_console_message(gw->store, id, found_cb, &f);
	if (rc == STORE_NOTFOUND) {
		answer_error(req, 404, "no such message");
		return;
	}
	if (rc != 0) {
		api_store_failed(req);
		goto out;
	}
	li.a = json_array();
	if (store_chanlog_each(gw->store, id, log_cb, &li) != 0) {
		json_decref(li.a);
		api_store_failed(req);
		goto out;
	}
	o = json_object();
	json_object_set_new(o, "message", f.item);
	json_object_set_new(o, "items", li.a);
	f.item = NULL;
	api_answer(req, 200, o);
out:
	json_decref(f.item);
	free(f.phone);
}

void
api_messages(struct gateway *gw, struct http_request *req, const char *rest)
{
	const char *slash;
	char idbuf[24];
	int64_t id;
	size_t n;

	if (strcmp(rest, "messages") == 0 && strcmp(req->method, "GET") == 0) {
		if (auth_require(req, ROLE_VIEWER) == 0)
			search(gw, req);
		return;
	}
	/* messages/ID/retry, messages/ID/log */
	if (strncmp(rest, "messages/", 9) == 0 &&
	    (slash = strchr(rest + 9, '/')) != NULL &&
	    (strcmp(slash, "/retry") == 0 || strcmp(slash, "/log") == 0) &&
	    (n = (size_t)(slash - (rest + 9))) < sizeof(idbuf)) {
		int log = strcmp(slash, "/log") == 0;

		memcpy(idbuf, rest + 9, n);
		idbuf[n] = '\0';
		if ((id = str_id(idbuf)) < 0)
			answer_error(req, 404, "no such message");
		else if (strcmp(req->method, log ? "GET" : "POST") != 0)
			answer_method(req, log ? "GET" : "POST");
		else if (log)
			message_log(gw, req, id);
		else
			retry(gw, req, id);
		return;
	}
	/* The core's: POST messages, GET messages/ID (it asks the role). */
	if (strcmp(rest, "messages") == 0 && strcmp(req->method, "POST") != 0) {
		answer_method(req, "GET, POST");
		return;
	}
	api_handle(gw, req, rest);
}
