/*
 * africastalking.c: Africa's Talking (SMS and USSD).
 *
 * Webhooks are POSTed forms: incoming SMS (id from to text date linkId
 * networkCode), USSD steps (sessionId serviceCode phoneNumber networkCode
 * text, text being every input so far joined by '*') and delivery reports
 * (id status phoneNumber networkCode failureReason). A USSD step is
 * answered with text/plain "CON screen" (more to come) or "END screen".
 *
 * Sending is a form POST to {api_url}/version1/messaging with the apiKey
 * header; the JSON answer lists one entry per recipient in
 * SMSMessageData.Recipients with a statusCode: 100 Processed, 101 Sent,
 * 102 Queued are accepted; 405 InsufficientBalance, 500
 * InternalServerError and 501 GatewayError are worth retrying; every
 * other code (401 RiskHold, 402 InvalidSenderId, 403 InvalidPhoneNumber,
 * 404 UnsupportedNumberType, 406 UserInBlacklist, 407 CouldNotRoute, 409
 * DoNotDisturbRejection, 502 RejectedByGateway, ...) is a rejection.
 * RiskHold is a rejection rather than a retry because Africa's Talking
 * may still release the held message: sending it again could deliver it
 * twice.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/form.h"
#include "providers/provider.h"

static enum provider_decode
at_decode_sms(const struct channel_config *cfg, const struct http_request *req,
    const char *public_url, struct provider_inbound *in, struct buf *reason)
{
	(void)cfg;
	(void)public_url;
	return provider_sms_form(req, 0, in, reason);
}

static enum provider_decode
at_decode_ussd(const struct channel_config *cfg, const struct http_request *req,
    const char *public_url, struct provider_inbound *in, struct buf *reason)
{
	struct form f;
	int rc;

	(void)cfg;
	(void)public_url;
	provider_inbound_init(in);
	if ((rc = provider_form(req, 0, &f, reason)) == DECODE_OK &&
	    (rc = provider_field(&f, "sessionId", PROVIDER_NONEMPTY,
		 &in->session, reason)) == 0 &&
	    (rc = provider_field(&f, "serviceCode", PROVIDER_NONEMPTY,
		 &in->service_code, reason)) == 0 &&
	    (rc = provider_field(
		 &f, "phoneNumber", PROVIDER_NONEMPTY, &in->from, reason)) == 0)
		/* Empty on the first step of a session. */
		rc = provider_field(
		    &f, "text", PROVIDER_REQUIRED, &in->ussd_text, reason);
	form_free(&f);
	if (rc != DECODE_OK) {
		provider_inbound_free(in);
		return rc;
	}
	in->ussd_cumulative = 1;
	in->ussd_new = -1; /* the gateway knows from its sessions */
	return DECODE_OK;
}

/* Delivery report statuses (docs: SMS, delivery reports). */
static const struct provider_state_name at_states[] = {
    {"Sent", DLR_SENT},
    {"Submitted", DLR_SENT},
    {"Buffered", DLR_SENT},
    {"Success", DLR_DELIVERED},
    {"Failed", DLR_FAILED},
    {"Rejected", DLR_FAILED},
    {"Expired", DLR_FAILED},
};

static enum provider_decode
at_decode_status(const struct channel_config *cfg,
    const struct http_request *req, const char *public_url,
    struct provider_status *st, struct buf *reason)
{
	struct form f;
	char *status = NULL, *failure = NULL;
	int rc;

	(void)cfg;
	(void)public_url;
	provider_status_init(st);
	if ((rc = provider_form(req, 0, &f, reason)) == DECODE_OK &&
	    (rc = provider_field(
		 &f, "id", PROVIDER_NONEMPTY, &st->id, reason)) == 0 &&
	    (rc = provider_field(
		 &f, "status", PROVIDER_NONEMPTY, &status, reason)) == 0)
		rc = provider_field(
		    &f, "failureReason", PROVIDER_OPTIONAL, &failure, reason);
	form_free(&f);
	if (rc != DECODE_OK)
		goto out;

	rc = provider_status_set(
	    st, status, at_states, nitems(at_states), &failure, reason);
out:
	free(status);
	free(failure);
	if (rc != DECODE_OK)
		provider_status_free(st);
	return rc;
}

static void
at_answer_ussd(
    const char *screen, int end, struct provider_answer *ans, struct buf *body)
{
	ans->status = 200;
	ans->content_type = "text/plain";
	(void)buf_puts(body, end ? "END " : "CON ");
	(void)buf_puts(body, screen != NULL ? screen : "");
}

static int
at_build_send(const struct channel_config *cfg, const struct provider_msg *msg,
    struct provider_request *r)
{
	struct buf body;
	int err = 0;

	memset(r, 0, sizeof(*r));
	if (cfg->api_url == NULL || cfg->username == NULL ||
	    cfg->api_key == NULL || msg->to == NULL || msg->text == NULL)
		return -1;

	buf_init(&body, PROVIDER_REQUEST_MAX);
	err |= provider_form_add(&body, "username", cfg->username);
	err |= provider_form_add(&body, "to", msg->to);
	err |= provider_form_add(&body, "message", msg->text);
	if (cfg->sender != NULL && cfg->sender[0] != '\0')
		err |= provider_form_add(&body, "from", cfg->sender);
	if (err != 0) {
		buf_free(&body);
		return -1;
	}
	r->body = buf_steal(&body);
	r->url = xasprintf("%s/version1/messaging", cfg->api_url);
	if (provider_request_header(r, "apiKey: %s", cfg->api_key) == -1 ||
	    provider_request_header(r, "Accept: application/json") == -1 ||
	    provider_request_header(
		r, "Content-Type: application/x-www-form-urlencoded") == -1) {
		provider_request_free(r);
		return -1;
	}
	provider_request_finish(r, "POST");
	return 0;
}

/* How a recipient's statusCode ends the attempt. */
static enum provider_outcome
at_code_outcome(json_int_t code)
{
	switch (code) {
	case 100: /* Processed */
	case 101: /* Sent */
	case 102: /* Queued */
		return PROVIDER_OK;
	case 405: /* InsufficientBalance: works once topped up */
	case 500: /* InternalServerError */
	case 501: /* GatewayError */
		return PROVIDER_TEMPFAIL;
	default:
		return PROVIDER_PERMFAIL;
	}
}

/* A copy of a JSON string member fit for an error text, or NULL. */
static char *
json_text(json_t *obj, const char *name)
{
	json_t *v = json_object_get(obj, name);

	if (!json_is_string(v) || json_string_length(v) == 0)
		return NULL;
	return provider_clean(
	    json_string_value(v), json_string_length(v), PROVIDER_ERROR_MAX);
}

static void
at_parse_send(const struct channel_config *cfg, const struct client_resp *resp,
    struct provider_result *res)
{
	json_t *root, *data, *list, *rcpt, *code, *id;
	json_error_t err;
	char *status, *text;
	enum provider_outcome o;

	(void)cfg;
	if (resp->outcome != CLIENT_OK) {
		provider_http_failure(resp, res);
		return;
	}
	root = json_loadb(resp->body, resp->body_len, 0, &err);
	data = json_object_get(root, "SMSMessageData");
	list = json_object_get(data, "Recipients");
	if (!json_is_object(data) || !json_is_array(list)) {
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
	rcpt = json_array_get(list, 0);
	if (!json_is_object(rcpt)) {
		/* Nobody to send to: the whole request was refused. */
		text = json_text(data, "Message");
		provider_fail(res, PROVIDER_PERMFAIL, "%s",
		    text != NULL ? text : "no recipient accepted");
		free(text);
		json_decref(root);
		return;
	}

	code = json_object_get(rcpt, "statusCode");
	status = json_text(rcpt, "status");
	if (json_is_integer(code))
		o = at_code_outcome(json_integer_value(code));
	else
		o = status != NULL && strcmp(status, "Success") == 0
			? PROVIDER_OK
			: PROVIDER_PERMFAIL;
	if (o == PROVIDER_OK) {
		res->outcome = PROVIDER_OK;
		id = json_object_get(rcpt, "messageId");
		if (json_is_string(id) && json_string_length(id) > 0 &&
		    strcmp(json_string_value(id), "None") != 0)
			res->provider_id = provider_clean(json_string_value(id),
			    json_string_length(id), PROVIDER_ERROR_MAX);
	} else if (status != NULL)
		provider_fail(res, o, "%s", status);
	else if (json_is_integer(code))
		provider_fail(res, o, "statusCode %" JSON_INTEGER_FORMAT,
		    json_integer_value(code));
	else
		provider_fail(res, o, "rejected");
	free(status);
	json_decref(root);
}

const struct provider_ops provider_africastalking = {
    .name = "africastalking",
    .webhook_get = 0,
    .dlr_by_own_id = 0,
    .decode_sms = at_decode_sms,
    .decode_ussd = at_decode_ussd,
    .decode_status = at_decode_status,
    .answer_sms = provider_answer_empty,
    .answer_ussd = at_answer_ussd,
    .build_send = at_build_send,
    .parse_send = at_parse_send,
};
