/*
 * infobip.c: Infobip SMS (no USSD).
 *
 * Sending is a JSON POST to {api_url}/sms/2/text/advanced (each account
 * has its own base URL, "https://xxxxx.api.infobip.com") with the header
 * "Authorization: App {api_key}":
 *   {"messages":[{"destinations":[{"to":"254700000001"}],"from":SENDER,
 *    "text":TEXT,"notifyUrl":STATUS_URL,
 *    "notifyContentType":"application/json"}]}
 * the number without its '+', from only with a sender, notifyUrl and
 * notifyContentType only with a status URL. The answer lists the message
 * in messages[] with its messageId and a status whose groupName says what
 * became of it: PENDING (or ACCEPTED, DELIVERED) is accepted; REJECTED
 * and the others are rejections with the status's name and description,
 * except REJECTED_NOT_ENOUGH_CREDITS, which works once the account is
 * topped up and is retried. Answers that are not a 2xx go through
 * provider_http_failure.
 *
 * Webhooks are POSTed JSON objects holding a results array: incoming SMS
 * (results[].messageId from to text cleanText keyword receivedAt ...) and
 * delivery reports (results[].messageId to status{groupName name
 * description} error{id name description} ...). Infobip batches up to 100
 * of either in one request: the decoders fill the first entry and the rest
 * into ->more (gateway/hooks.c hands every one to the ingress and answers
 * 200 once all are committed). An entry that is malformed refuses the whole
 * request (400, naming results[i]); a delivery report with a status group
 * not known (added later) is left out; a request with none has nothing to
 * do. Infobip authenticates nothing itself:
 * an Infobip channel needs webhook_secret, checked by the gateway before
 * the decoders run.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "providers/provider.h"

/*
 * Parses the body and finds its results. Returns DECODE_OK with *root (the
 * caller's reference), *results (borrowed from it) and *n entries (1 to
 * PROVIDER_BATCH_MAX), else a refusal with a reason and *root NULL.
 */
static enum provider_decode
ib_results(const struct http_request *req, json_t **root, json_t **results,
    size_t *n, struct buf *reason)
{
	size_t i;
	int rc;

	if ((rc = provider_json(req, root, reason)) != DECODE_OK)
		return rc;
	*results = json_object_get(*root, "results");
	*n = json_array_size(*results);
	if (!json_is_array(*results)) {
		rc = DECODE_BAD;
		if (reason != NULL)
			(void)buf_puts(
			    reason, "field results must be an array");
	} else if (*n == 0) {
		rc = DECODE_IGNORE;
		if (reason != NULL)
			(void)buf_puts(reason, "no results");
	} else if (*n > PROVIDER_BATCH_MAX) {
		rc = DECODE_BAD;
		if (reason != NULL)
			(void)buf_printf(reason,
			    "%zu results in one request: at most %d are taken",
			    *n, PROVIDER_BATCH_MAX);
	} else {
		for (i = 0; i < *n; i++)
			if (!json_is_object(json_array_get(*results, i)))
				break;
		if (i == *n)
			return DECODE_OK;
		rc = DECODE_BAD;
		if (reason != NULL)
			(void)buf_printf(
			    reason, "results[%zu] must be an object", i);
	}
	json_decref(*root);
	*root = NULL;
	return rc;
}

/*
 * Before entry i of n is decoded: names it in reason, for a refusal; when
 * it decodes, ib_entry_ok takes the name back out.
 */
static void
ib_entry(struct buf *reason, size_t i, size_t n)
{
	if (reason != NULL && n > 1)
		(void)buf_printf(reason, "results[%zu]: ", i);
}

static void
ib_entry_ok(struct buf *reason, size_t before)
{
	if (reason != NULL)
		buf_truncate(reason, before);
}

/* One incoming SMS from results[i]. */
static enum provider_decode
ib_one_sms(json_t *res, struct provider_inbound *in, struct buf *reason)
{
	int rc;

	provider_inbound_init(in);
	if ((rc = provider_json_field(res, "messageId",
		 PROVIDER_NONEMPTY | PROVIDER_NUMBER, &in->id, reason)) == 0 &&
	    (rc = provider_json_field(res, "from",
		 PROVIDER_NONEMPTY | PROVIDER_NUMBER, &in->from, reason)) ==
		0 &&
	    (rc = provider_json_field(res, "to",
		 PROVIDER_NONEMPTY | PROVIDER_NUMBER, &in->to, reason)) == 0)
		/* text is the whole message; cleanText lacks the keyword. */
		rc = provider_json_field(
		    res, "text", PROVIDER_REQUIRED, &in->text, reason);
	if (rc != DECODE_OK)
		provider_inbound_free(in);
	else
		provider_international(&in->from);
	return rc;
}

static enum provider_decode
ib_decode_sms(const struct channel_config *cfg, const struct http_request *req,
    const char *public_url, struct provider_inbound *in, struct buf *reason)
{
	json_t *root, *results;
	size_t i, n, before = reason != NULL ? reason->len : 0;
	int rc;

	(void)cfg;
	(void)public_url;
	provider_inbound_init(in);
	if ((rc = ib_results(req, &root, &results, &n, reason)) != DECODE_OK)
		return rc;
	for (i = 0; i < n && rc == DECODE_OK; i++) {
		ib_entry(reason, i, n);
		if (i == 1) /* after the first, which ib_one_sms clears */
			in->more = xcalloc(n - 1, sizeof(*in->more));
		rc = ib_one_sms(json_array_get(results, i),
		    i == 0 ? in : &in->more[i - 1], reason);
		if (rc == DECODE_OK) {
			ib_entry_ok(reason, before);
			in->nmore = i;
		}
	}
	json_decref(root);
	if (rc != DECODE_OK)
		provider_inbound_free(in);
	return rc;
}

/* Status groups of a delivery report (docs: SMS, response status codes). */
static const struct provider_state_name ib_states[] = {
    {"PENDING", DLR_SENT},
    {"DELIVERED", DLR_DELIVERED},
    {"UNDELIVERABLE", DLR_FAILED},
    {"EXPIRED", DLR_FAILED},
    {"REJECTED", DLR_FAILED},
};

/*
 * The reason of a failed report: the error's name and description when the
 * error is one (its id is not 0), else the status's; NULL when none.
 */
static char *
ib_detail(json_t *status, json_t *error)
{
	json_t *id = json_object_get(error, "id"), *from = status, *name, *desc;
	const char *n = NULL, *d = NULL;
	char *s, *out;

	if (json_is_object(error) &&
	    !(json_is_integer(id) && json_integer_value(id) == 0))
		from = error;
	name = json_object_get(from, "name");
	desc = json_object_get(from, "description");
	if (json_is_string(name) && json_string_length(name) > 0)
		n = json_string_value(name);
	if (json_is_string(desc) && json_string_length(desc) > 0)
		d = json_string_value(desc);
	if (n == NULL && d == NULL)
		return NULL;
	s = xasprintf("%s%s%s", n != NULL ? n : "",
	    n != NULL && d != NULL ? ": " : "", d != NULL ? d : "");
	out = provider_clean(s, strlen(s), PROVIDER_ERROR_MAX);
	free(s);
	return out;
}

/*
 * The group a report's status counts in: DELIVERED_TO_OPERATOR (id 2) is
 * in DELIVERED but not final ("a further DLR may follow": the handset's,
 * or UNDELIVERABLE), so it counts as PENDING: the message stays sent.
 */
static const char *
ib_group(json_t *status, const char *group)
{
	json_t *name = json_object_get(status, "name");

	if (strcmp(group, "DELIVERED") == 0 && json_is_string(name) &&
	    strcmp(json_string_value(name), "DELIVERED_TO_OPERATOR") == 0)
		return "PENDING";
	return group;
}

/* One delivery report from results[i]; DECODE_IGNORE for a group not known. */
static enum provider_decode
ib_one_status(json_t *res, struct provider_status *st, struct buf *reason)
{
	json_t *status = json_object_get(res, "status");
	char *group = NULL, *detail = NULL;
	int rc;

	provider_status_init(st);
	if ((rc = provider_json_field(res, "messageId",
		 PROVIDER_NONEMPTY | PROVIDER_NUMBER, &st->id, reason)) == 0) {
		if (!json_is_object(status)) {
			if (reason != NULL)
				(void)buf_puts(
				    reason, "field status must be an object");
			rc = DECODE_BAD;
		} else
			rc = provider_json_field(status, "groupName",
			    PROVIDER_NONEMPTY, &group, reason);
	}
	if (rc == DECODE_OK) {
		detail = ib_detail(status, json_object_get(res, "error"));
		rc = provider_status_set(st, ib_group(status, group), ib_states,
		    nitems(ib_states), &detail, reason);
	}
	free(group);
	free(detail);
	if (rc != DECODE_OK)
		provider_status_free(st);
	return rc;
}

static enum provider_decode
ib_decode_status(const struct channel_config *cfg,
    const struct http_request *req, const char *public_url,
    struct provider_status *st, struct buf *reason)
{
	json_t *root, *results;
	struct provider_status one, *kept = NULL;
	size_t i, n, nkept = 0, before = reason != NULL ? reason->len : 0;
	int rc;

	(void)cfg;
	(void)public_url;
	provider_status_init(st);
	if ((rc = ib_results(req, &root, &results, &n, reason)) != DECODE_OK)
		return rc;
	kept = xcalloc(n, sizeof(*kept));
	for (i = 0; i < n; i++) {
		ib_entry(reason, i, n);
		rc = ib_one_status(json_array_get(results, i), &one, reason);
		if (rc == DECODE_BAD)
			break;
		if (rc == DECODE_OK || n > 1)
			ib_entry_ok(reason, before); /* an ignored one too */
		if (rc == DECODE_OK)
			kept[nkept++] = one;
	}
	json_decref(root);
	if (rc == DECODE_BAD || nkept == 0) {
		for (i = 0; i < nkept; i++)
			provider_status_free(&kept[i]);
		free(kept);
		return rc == DECODE_BAD ? DECODE_BAD : DECODE_IGNORE;
	}
	/* The first kept one in *st, the others in st->more. */
	*st = kept[0];
	if (nkept > 1) {
		st->more = xcalloc(nkept - 1, sizeof(*st->more));
		memcpy(st->more, kept + 1, (nkept - 1) * sizeof(*kept));
		st->nmore = nkept - 1;
	}
	free(kept);
	return DECODE_OK;
}

static int
ib_build_send(const struct channel_config *cfg, const struct provider_msg *msg,
    struct provider_request *r)
{
	json_t *j, *m, *d, *to, *text, *from = NULL, *notify = NULL;

	memset(r, 0, sizeof(*r));
	if (cfg->api_url == NULL || cfg->api_key == NULL || msg->to == NULL ||
	    msg->text == NULL)
		return -1;
	/* Infobip takes international numbers without the '+'. */
	to = json_string(msg->to[0] == '+' ? msg->to + 1 : msg->to);
	text = json_string(msg->text);
	if (cfg->sender != NULL && cfg->sender[0] != '\0')
		from = json_string(cfg->sender);
	if (msg->status_url != NULL && msg->status_url[0] != '\0')
		notify = json_string(msg->status_url);
	if (to == NULL || text == NULL ||
	    (cfg->sender != NULL && cfg->sender[0] != '\0' && from == NULL) ||
	    (msg->status_url != NULL && msg->status_url[0] != '\0' &&
		notify == NULL)) {
		/* Not UTF-8: cannot be put into JSON. */
		json_decref(to);
		json_decref(text);
		json_decref(from);
		json_decref(notify);
		return -1;
	}
	d = json_object();
	json_object_set_new(d, "to", to);
	m = json_object();
	json_object_set_new(m, "destinations", json_pack("[o]", d));
	if (from != NULL)
		json_object_set_new(m, "from", from);
	json_object_set_new(m, "text", text);
	if (notify != NULL) {
		json_object_set_new(m, "notifyUrl", notify);
		json_object_set_new(
		    m, "notifyContentType", json_string("application/json"));
	}
	j = json_pack("{s:[o]}", "messages", m);
	r->body = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (r->body == NULL)
		return -1;

	r->url = xasprintf("%s/sms/2/text/advanced", cfg->api_url);
	if (provider_request_header(r, "Authorization: App %s", cfg->api_key) ==
		-1 ||
	    provider_request_header(r, "Content-Type: application/json") ==
		-1 ||
	    provider_request_header(r, "Accept: application/json") == -1) {
		provider_request_free(r);
		return -1;
	}
	provider_request_finish(r, "POST");
	return 0;
}

/* A copy of a JSON string member fit for an error text, or NULL. */
static char *
ib_text(json_t *obj, const char *name)
{
	json_t *v = json_object_get(obj, name);

	if (!json_is_string(v) || json_string_length(v) == 0)
		return NULL;
	return provider_clean(
	    json_string_value(v), json_string_length(v), PROVIDER_ERROR_MAX);
}

/*
 * A request not taken (not a 2xx): the reason is the answer's
 * requestError.serviceException messageId and text when it has them
 * ("HTTP 401: UNAUTHORIZED: Invalid login details"), else the answer's
 * start as for any provider.
 */
static void
ib_failure(const struct client_resp *resp, struct provider_result *res)
{
	json_t *root = NULL, *ex;
	char *id, *text;

	provider_http_failure(resp, res); /* the outcome, and a reason */
	if (resp->status != 0 && resp->body != NULL)
		root = json_loadb(resp->body, resp->body_len, 0, NULL);
	ex = json_object_get(
	    json_object_get(root, "requestError"), "serviceException");
	if ((text = ib_text(ex, "text")) != NULL) {
		id = ib_text(ex, "messageId");
		provider_fail(res, res->outcome, "HTTP %ld: %s%s%s",
		    resp->status, id != NULL ? id : "", id != NULL ? ": " : "",
		    text);
		free(id);
		free(text);
	}
	json_decref(root);
}

static void
ib_parse_send(const struct channel_config *cfg, const struct client_resp *resp,
    struct provider_result *res)
{
	json_t *root, *msg, *status;
	char *group, *name, *desc, *id, *text;
	enum provider_outcome o;

	(void)cfg;
	if (resp->outcome != CLIENT_OK) {
		ib_failure(resp, res);
		return;
	}
	root = json_loadb(resp->body, resp->body_len, 0, NULL);
	msg = json_array_get(json_object_get(root, "messages"), 0);
	status = json_object_get(msg, "status");
	if (!json_is_object(msg) || !json_is_object(status)) {
		/*
		 * The request went through but the answer makes no sense:
		 * it may have been sent, so it is not sent again.
		 */
		text = provider_clean(resp->body, resp->body_len, 80);
		provider_fail(
		    res, PROVIDER_PERMFAIL, "unexpected answer: %s", text);
		free(text);
		json_decref(root);
		return;
	}
	group = ib_text(status, "groupName");
	name = ib_text(status, "name");
	desc = ib_text(status, "description");
	if (group != NULL &&
	    (strcmp(group, "PENDING") == 0 || strcmp(group, "ACCEPTED") == 0 ||
		strcmp(group, "DELIVERED") == 0)) {
		res->outcome = PROVIDER_OK;
		if ((id = ib_text(msg, "messageId")) != NULL)
			res->provider_id = id;
	} else {
		o = name != NULL &&
			    strcmp(name, "REJECTED_NOT_ENOUGH_CREDITS") == 0
			? PROVIDER_TEMPFAIL
			: PROVIDER_PERMFAIL;
		provider_fail(res, o, "%s%s%s",
		    name != NULL    ? name
		    : group != NULL ? group
				    : "rejected",
		    desc != NULL ? ": " : "", desc != NULL ? desc : "");
	}
	free(group);
	free(name);
	free(desc);
	json_decref(root);
}

const struct provider_ops provider_infobip = {
    .name = "infobip",
    .webhook_get = 0,
    .dlr_by_own_id = 0,
    .decode_sms = ib_decode_sms,
    .decode_ussd = NULL,
    .decode_status = ib_decode_status,
    .answer_sms = provider_answer_empty,
    .answer_ussd = NULL,
    .build_send = ib_build_send,
    .parse_send = ib_parse_send,
};
