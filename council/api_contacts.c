/*
 * api_contacts.c: /api/v1/contacts for the console: the search (part of
 * the number or of a saved field's value), a contact's page (language,
 * topics, opt-out, reports, the first page of its conversation) and
 * forgetting a contact (admin; council/privacy.h tells what goes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "council/api_common.h"
#include "gateway/answer.h"
#include "gateway/auth.h"
#include "gateway/gateway.h"
#include "lib/log.h"
#include "lib/phone.h"
#include "lib/util.h"

#define CONTACT_QUERY_MAX 100 /* bytes of a search */

/* The saved fields (a JSON object text) as a JSON object. */
static json_t *
fields_json(const char *text)
{
	json_t *o = json_loads(text != NULL ? text : "{}", 0, NULL);

	if (o == NULL || !json_is_object(o)) {
		json_decref(o);
		o = json_object();
	}
	return o;
}

/* A contact as a list shows it, the number as req may see it. */
static json_t *
contact_json(struct http_request *req, const struct store_contact *c)
{
	char masked[32];
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer(c->id));
	json_object_set_new(o, "phone",
	    api_string(auth_phone(req, c->phone, masked, sizeof(masked))));
	json_object_set_new(o, "language", api_string(c->language));
	json_object_set_new(o, "opted_out", json_boolean(c->opted_out));
	json_object_set_new(o, "last_channel", api_string(c->last_channel));
	json_object_set_new(o, "fields", fields_json(c->fields));
	json_object_set_new(o, "created", api_time(c->created));
	json_object_set_new(o, "updated", api_time(c->updated));
	return o;
}

struct items {
	struct http_request *req;
	json_t *a;
};

static int
contact_cb(void *arg, const struct store_contact *c)
{
	struct items *it = arg;

	json_array_append_new(it->a, contact_json(it->req, c));
	return 0;
}

static int topic_cb(void *arg, const char *name);

/*
 * Each listed contact's topics (the list's column), read once the list
 * is: a page is at most API_LIMIT_MAX contacts, one indexed read each.
 */
static int
with_topics(struct gateway *gw, json_t *list)
{
	json_t *o, *topics;
	size_t i;

	json_array_foreach(list, i, o)
	{
		topics = json_array();
		if (store_contact_topics(gw->store,
			(int64_t)json_integer_value(json_object_get(o, "id")),
			topic_cb, topics) != 0) {
			json_decref(topics);
			return -1;
		}
		json_object_set_new(o, "topics", topics);
	}
	return 0;
}

/* GET /api/v1/contacts?q=&cursor=&limit= */
static void
search(struct gateway *gw, struct http_request *req)
{
	struct store_contact_query cq;
	struct items it = {req, NULL};
	struct api_page page;
	const struct principal *p = auth_principal(req);
	struct form q;
	const char *s;
	char phone[PHONE_MAX];
	int64_t next;

	memset(&cq, 0, sizeof(cq));
	if (api_query(req, &q) != 0 || api_page(req, &q, &page) != 0)
		goto out;
	cq.before = page.before;
	cq.limit = page.limit;
	if ((s = form_get(&q, "q")) != NULL && *s != '\0') {
		if (strlen(s) > CONTACT_QUERY_MAX) {
			answer_error(req, 400, "\"q\" is too long");
			goto out;
		}
		cq.part = s;
		/*
		 * A whole number finds its contact for anyone; a part of a
		 * number only for those who may see numbers whole, so that a
		 * viewer cannot read a number out digit by digit.
		 */
		if (phone_normalize(
			s, gw->cfg->country_code, phone, sizeof(phone)) == 0)
			cq.phone = phone;
		cq.part_in_phone = p != NULL && p->role >= ROLE_STAFF;
	}
	it.a = json_array();
	if (store_console_contacts(gw->store, &cq, contact_cb, &it, &next) !=
		0 ||
	    with_topics(gw, it.a) != 0) {
		json_decref(it.a);
		api_store_failed(req);
		goto out;
	}
	api_answer(req, 200, api_paged(it.a, next));
out:
	form_free(&q);
}

static int
topic_cb(void *arg, const char *name)
{
	json_array_append_new(arg, api_string(name));
	return 0;
}

static int
report_cb(void *arg, const struct store_report *r, const char *note)
{
	(void)note;
	json_array_append_new(
	    arg, json_pack("{s:I, s:o, s:o, s:o}", "id", (json_int_t)r->id,
		     "status", api_string(r->status), "category",
		     api_string(r->category), "created", api_time(r->created)));
	return 0;
}

/*
 * GET /api/v1/contacts/ID?messages=N: the contact with the first page of
 * its conversation, N messages (API_LIMIT_DEFAULT unless asked; 0 to
 * API_LIMIT_MAX), so that a page asks for no more than it shows.
 */
static void
detail(struct gateway *gw, struct http_request *req, int64_t id)
{
	struct store_msg_query mq;
	struct store_contact c;
	json_t *o, *topics, *reports, *messages;
	struct form q;
	const char *v;
	int64_t want = API_LIMIT_DEFAULT;
	int rc;

	if (api_query(req, &q) != 0) {
		form_free(&q);
		return;
	}
	/* str_id() takes ids, from 1: 0 is written out. */
	if ((v = form_get(&q, "messages")) != NULL)
		want = strcmp(v, "0") == 0 ? 0 : str_id(v);
	form_free(&q);
	if (want < 0 || want > API_LIMIT_MAX) {
		answer_error(
		    req, 400, "\"messages\" is a number from 0 to 200");
		return;
	}
	if ((rc = store_contact_by_id(gw->store, id, &c)) != 0) {
		if (rc == STORE_NOTFOUND)
			answer_error(req, 404, "no such contact");
		else
			api_store_failed(req);
		return;
	}
	o = contact_json(req, &c);
	topics = json_array();
	reports = json_array();
	memset(&mq, 0, sizeof(mq));
	mq.contact_id = c.id;
	mq.phone = c.phone;
	mq.limit = (size_t)want;
	messages = NULL;
	if (store_contact_topics(gw->store, c.id, topic_cb, topics) != 0 ||
	    store_contact_reports(gw->store, c.id, report_cb, reports) != 0 ||
	    (want > 0 && api_message_items(gw, req, &mq, &messages) != 0)) {
		json_decref(topics);
		json_decref(reports);
		json_decref(o);
		store_contact_free(&c);
		api_store_failed(req);
		return;
	}
	json_object_set_new(o, "topics", topics);
	json_object_set_new(o, "reports", reports);
	if (messages == NULL)
		messages = api_paged(json_array(), 0);
	json_object_set_new(o, "messages", messages);
	store_contact_free(&c);
	api_answer(req, 200, o);
}

/* POST /api/v1/contacts/ID/forget (admin) */
static void
forget(struct gateway *gw, struct http_request *req, int64_t id)
{
	struct store_forgotten f;
	char object[40], detail[200];
	int rc;

	if (auth_require(req, ROLE_ADMIN) != 0)
		return;
	snprintf(object, sizeof(object), "contact/%lld", (long long)id);
	if (batch_begin(&gw->batch) != 0 || store_savepoint(gw->store) != 0) {
		api_store_failed(req);
		return;
	}
	memset(&f, 0, sizeof(f));
	rc = store_contact_forget(gw->store, id, now_ms(), &f);
	if (rc == 0) {
		snprintf(detail, sizeof(detail),
		    "texts=%lld messages=%lld cancelled=%lld sessions=%lld "
		    "subscriptions=%lld reports=%lld fields=%lld",
		    (long long)f.texts, (long long)f.messages,
		    (long long)f.cancelled, (long long)f.sessions,
		    (long long)f.subscriptions, (long long)f.reports,
		    (long long)f.fields);
		if (audit_record(gw, req, "contact.forget", object, detail) !=
		    0)
			rc = STORE_ERR;
	}
	if (rc != 0 || store_release(gw->store) != 0) {
		store_rollback_to(gw->store);
		if (rc == STORE_NOTFOUND)
			answer_error(req, 404, "no such contact");
		else
			api_store_failed(req);
		return;
	}
	log_info("api", "contact forgotten id=%lld", (long long)id);
	api_answer_after_commit(gw, req, 200,
	    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b}",
		"id", (json_int_t)id, "texts", (json_int_t)f.texts, "messages",
		(json_int_t)f.messages, "cancelled", (json_int_t)f.cancelled,
		"in_flight", (json_int_t)f.in_flight, "sessions",
		(json_int_t)f.sessions, "subscriptions",
		(json_int_t)f.subscriptions, "reports", (json_int_t)f.reports,
		"fields", (json_int_t)f.fields, "language", f.language));
}

void
api_contacts(struct gateway *gw, struct http_request *req, const char *rest)
{
	const char *slash;
	char idbuf[24];
	int64_t id;
	size_t n;

	if (strcmp(rest, "contacts") == 0) {
		if (strcmp(req->method, "GET") != 0)
			answer_method(req, "GET");
		else if (auth_require(req, ROLE_VIEWER) == 0)
			search(gw, req);
		return;
	}
	if (strncmp(rest, "contacts/", 9) != 0) {
		answer_error(req, 404, "no such contact");
		return;
	}
	rest += 9;
	slash = strchr(rest, '/');
	n = slash != NULL ? (size_t)(slash - rest) : strlen(rest);
	if (n >= sizeof(idbuf)) {
		answer_error(req, 404, "no such contact");
		return;
	}
	memcpy(idbuf, rest, n);
	idbuf[n] = '\0';
	if ((id = str_id(idbuf)) < 0 ||
	    (slash != NULL && strcmp(slash, "/forget") != 0)) {
		answer_error(req, 404, "no such contact");
		return;
	}
	if (slash != NULL) {
		if (strcmp(req->method, "POST") != 0)
			answer_method(req, "POST");
		else
			forget(gw, req, id);
		return;
	}
	if (strcmp(req->method, "GET") != 0)
		answer_method(req, "GET");
	else if (auth_require(req, ROLE_VIEWER) == 0)
		detail(gw, req, id);
}
