/*
 * api.c: the admin API of the core: messages. The council's endpoints
 * (broadcasts, reports, tables) register themselves (council/council.c).
 * Bodies are JSON, answers are JSON, errors are {"error": "..."}.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gateway/answer.h"
#include "gateway/api.h"
#include "gateway/auth.h"
#include "gateway/gateway.h"
#include "gateway/idem.h"
#include "gateway/outq.h"
#include "lib/form.h"
#include "lib/log.h"
#include "lib/phone.h"
#include "lib/util.h"

/* Parses the body as a JSON object, or answers 400 and returns NULL. */
static json_t *
body_object(struct http_request *req)
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

/* A POST waiting for the loop's commit. */
struct pending {
	struct http_request *req; /* answered in on_queued */
	json_t *answer;           /* the 202 answer, owned */
};

static void
on_queued(void *arg, int ok)
{
	struct pending *p = arg;

	if (!ok) {
		answer_error(p->req, 503, "the store failed; try again");
		json_decref(p->answer);
	} else
		answer_json(p->req, 202, p->answer);
	free(p);
}

/*
 * Queues one message and keeps the answer for its Idempotency-Key, both in
 * one savepoint of the turn's transaction. Returns the answer (owned by the
 * caller), or NULL when the store failed and nothing was written.
 */
static json_t *
queue_message(struct gateway *gw, struct http_request *req,
    const struct idem *idem, const char *channel, const char *phone,
    const char *text, int *opted_out)
{
	struct outq_msg m = {.channel = channel, .phone = phone, .text = text};
	int64_t id, now = now_ms();
	json_t *answer;
	char object[32];
	int rc;

	if (store_savepoint(gw->store) != 0)
		return NULL;
	if ((rc = outq_enqueue_one(gw->store, &m, now, &id)) != 0) {
		*opted_out = rc == OUTQ_OPTED_OUT;
		store_rollback_to(gw->store);
		return NULL;
	}
	answer = json_pack("{s:I}", "id", (json_int_t)id);
	snprintf(object, sizeof(object), "message/%" PRId64, id);
	if (idem_record(gw, idem, 202, answer, now) != 0 ||
	    audit_record(gw, req, "message.send", object, channel) != 0 ||
	    store_release(gw->store) != 0) {
		store_rollback_to(gw->store);
		json_decref(answer);
		return NULL;
	}
	return answer;
}

/* POST /api/v1/messages {"to", "text", "channel"?} */
static void
post_message(struct gateway *gw, struct http_request *req)
{
	const char *to, *text, *channel;
	char phone[PHONE_MAX];
	struct pending *p;
	struct idem idem;
	json_t *o, *answer = NULL;
	int opted_out = 0;

	if (auth_require(req, ROLE_STAFF) != 0 ||
	    idem_begin(gw, req, "messages", &idem) != 0)
		return;
	if ((o = body_object(req)) == NULL)
		return;
	to = json_string_value(json_object_get(o, "to"));
	text = json_string_value(json_object_get(o, "text"));
	channel = json_string_value(json_object_get(o, "channel"));
	if (channel == NULL && json_object_get(o, "channel") == NULL)
		channel = gw->cfg->default_channel;
	if (to == NULL || text == NULL || *text == '\0') {
		answer_error(
		    req, 400, "\"to\" and \"text\" are required strings");
	} else if (channel == NULL && json_object_get(o, "channel") != NULL) {
		answer_error(req, 400, "\"channel\" must be a string");
	} else if (phone_normalize(
		       to, gw->cfg->country_code, phone, sizeof(phone)) != 0) {
		answer_error(req, 400, "\"to\" is not a phone number");
	} else if (strlen(text) > OUTQ_MAX_TEXT) {
		answer_error(req, 400, "\"text\" is too long");
	} else if (channel == NULL) {
		answer_error(req, 400,
		    "no \"channel\" given and no default_channel configured");
	} else if (config_channel(gw->cfg, channel) == NULL) {
		answer_error(req, 400, "no such channel");
	} else if (batch_begin(&gw->batch) != 0 ||
		   (answer = queue_message(gw, req, &idem, channel, phone, text,
			&opted_out)) == NULL) {
		if (opted_out)
			answer_error(req, 409, "the contact has opted out");
		else
			answer_error(req, 503, "the store failed; try again");
	} else {
		p = xmalloc(sizeof(*p));
		p->req = req;
		p->answer = answer;
		batch_defer(&gw->batch, on_queued, p);
	}
	json_decref(o);
}

/* GET /api/v1/messages/ID */
static void
get_message(struct gateway *gw, struct http_request *req, int64_t id)
{
	struct store_msg m;
	char created[32], updated[32], masked[32];
	json_t *o;

	if (store_msg_get(gw->store, id, &m) != 0) {
		answer_error(req, 404, "no such message");
		return;
	}
	iso8601_utc(m.created, created, sizeof(created));
	iso8601_utc(m.updated, updated, sizeof(updated));
	o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:i, s:i, s:s, s:s}", "id",
	    (json_int_t)m.id, "direction",
	    m.direction == MSG_OUT ? "out" : "in", "channel", m.channel,
	    m.direction == MSG_OUT ? "to" : "from",
	    auth_phone(req, m.phone, masked, sizeof(masked)), "state",
	    msg_state_name(m.state), "attempts", m.attempts, "segments",
	    m.segments, "created", created, "updated", updated);
	json_object_set_new(
	    o, "error", m.error ? json_string(m.error) : json_null());
	if (m.provider_id != NULL)
		json_object_set_new(
		    o, "provider_id", json_string(m.provider_id));
	store_msg_free(&m);
	answer_json(req, 200, o);
}

void
api_handle(struct gateway *gw, struct http_request *req, const char *rest)
{
	int64_t id;

	if (strcmp(rest, "messages") == 0) {
		if (strcmp(req->method, "POST") != 0) {
			answer_method(req, "POST");
			return;
		}
		post_message(gw, req);
		return;
	}
	if (strncmp(rest, "messages/", 9) == 0) {
		if ((id = str_id(rest + 9)) < 0) {
			answer_error(req, 404, "no such message");
			return;
		}
		if (strcmp(req->method, "GET") != 0) {
			answer_method(req, "GET");
			return;
		}
		get_message(gw, req, id);
		return;
	}
	answer_error(req, 404, "no such API endpoint");
}
