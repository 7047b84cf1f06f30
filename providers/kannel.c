/*
 * kannel.c: a Kannel bearerbox through its smsbox (SMS only, no USSD).
 *
 * Incoming messages come from an sms-service whose get-url (or post-url)
 * carries id, from, to and text, for example
 *   get-url = "https://gw.example.org/hooks/kn/sms?id=%I&from=%p&to=%P&text=%a
 *              &charset=%C&coding=%c"
 * in the query string of a GET, or as a form body of a POST; charset and
 * coding say how the text is written (kn_text). They are
 * answered with an empty 200, so that the sms-service sends no reply of
 * its own (omit-empty = true in the sms-service).
 *
 * Sending is a GET of {api_url}/cgi-bin/sendsms. The dlr-url passed along
 * is the channel's status URL with "id=ID&status=%d" added, so Kannel's
 * delivery report comes back with the gateway's own message id (which is
 * therefore also the provider id) and the DLR type in place of %d: 1
 * delivered, 2 failed, 4 buffered, 8 submitted to the SMSC, 16 rejected by
 * the SMSC (dlr-mask 31 asks for all of them).
 */
#include <stdlib.h>
#include <string.h>

#include "lib/charset.h"
#include "lib/form.h"
#include "providers/provider.h"

#define KANNEL_DLR_MASK "31"

/*
 * The text field in the set that charset (%C) or coding (%c) names, as
 * UTF-8 in *out: UTF-8 as it is (invalid: refused, as other providers'
 * text); UTF-16BE (a UCS-2 message without mo-recode, %00 escapes and
 * all), Latin-1, Windows-1252, ASCII and 8-bit data converted. Without
 * either, a text that is not UTF-8 is read as Windows-1252 (what Kannel
 * makes of GSM-7 in older versions) rather than lost: smsbox does not
 * call a get-url again.
 */
static enum provider_decode
kn_text(const struct form *f, char **out, struct buf *reason)
{
	const char *raw, *charset = form_get(f, "charset"),
			 *coding = form_get(f, "coding");
	size_t len = 0;
	int cs;
	struct buf b;

	*out = NULL;
	if ((raw = form_get_len(f, "text", &len)) == NULL)
		return provider_field(
		    f, "text", PROVIDER_REQUIRED, out, reason);
	if (charset != NULL && charset[0] != '\0') {
		if ((cs = charset_named(charset)) == -1) {
			if (reason != NULL)
				(void)buf_printf(reason,
				    "unknown charset %.32s (UTF-8, UTF-16BE, "
				    "ISO-8859-1, WINDOWS-1252, US-ASCII or "
				    "8-BIT)",
				    charset);
			return DECODE_BAD;
		}
	} else if (coding != NULL && strcmp(coding, "2") == 0)
		cs = CHARSET_UTF16BE;
	else if (memchr(raw, '\0', len) == NULL &&
		 provider_utf8_valid(raw, len))
		cs = CHARSET_UTF8;
	else
		cs = CHARSET_CP1252;
	if (cs == CHARSET_UTF8)
		return provider_field(
		    f, "text", PROVIDER_REQUIRED, out, reason);
	buf_init(&b, CHARSET_UTF8_MAX(len));
	charset_to_utf8((enum charset)cs, (const uint8_t *)raw, len, &b);
	*out = buf_steal(&b);
	return DECODE_OK;
}

static enum provider_decode
kn_decode_sms(const struct channel_config *cfg, const struct http_request *req,
    const char *public_url, struct provider_inbound *in, struct buf *reason)
{
	(void)cfg;
	(void)public_url;
	return provider_sms_form_ex(req, provider_kannel.webhook_get,
	    FORM_KEEP_NUL, kn_text, in, reason);
}

static enum provider_decode
kn_decode_status(const struct channel_config *cfg,
    const struct http_request *req, const char *public_url,
    struct provider_status *st, struct buf *reason)
{
	struct form f;
	char *status = NULL, *end;
	long type;
	int rc;

	(void)cfg;
	(void)public_url;
	provider_status_init(st);
	if ((rc = provider_form(
		 req, provider_kannel.webhook_get, &f, reason)) == DECODE_OK &&
	    (rc = provider_field(
		 &f, "id", PROVIDER_NONEMPTY, &st->id, reason)) == 0)
		rc = provider_field(
		    &f, "status", PROVIDER_NONEMPTY, &status, reason);
	form_free(&f);
	if (rc != DECODE_OK)
		goto out;

	type = strtol(status, &end, 10);
	if (*end != '\0' || status[0] < '0' || status[0] > '9' ||
	    strlen(status) > 5) {
		if (reason != NULL)
			(void)buf_puts(reason, "field status is not a number");
		rc = DECODE_BAD;
		goto out;
	}
	switch (type) {
	case 1:
		st->state = DLR_DELIVERED;
		break;
	case 2:
		st->state = DLR_FAILED;
		st->error = xstrdup("delivery failed");
		break;
	case 16:
		st->state = DLR_FAILED;
		st->error = xstrdup("rejected by the SMSC");
		break;
	case 4:
	case 8:
		st->state = DLR_SENT;
		break;
	default:
		/* A combination or a type Kannel may add: nothing to do. */
		if (reason != NULL)
			(void)buf_printf(reason, "unknown DLR type %ld", type);
		rc = DECODE_IGNORE;
		break;
	}
out:
	free(status);
	if (rc != DECODE_OK)
		provider_status_free(st);
	return rc;
}

static int
kn_build_send(const struct channel_config *cfg, const struct provider_msg *msg,
    struct provider_request *r)
{
	struct buf url;
	char *dlr;
	int err = 0;

	memset(r, 0, sizeof(*r));
	if (cfg->api_url == NULL || cfg->username == NULL ||
	    cfg->password == NULL || msg->to == NULL || msg->text == NULL)
		return -1;

	buf_init(&url, PROVIDER_REQUEST_MAX);
	err |= buf_printf(&url, "%s/cgi-bin/sendsms?", cfg->api_url);
	/* The first without '&'; provider_form_add puts one before. */
	err |= buf_puts(&url, "username=");
	err |= url_encode_buf(&url, cfg->username, strlen(cfg->username));
	err |= provider_form_add(&url, "password", cfg->password);
	if (cfg->sender != NULL && cfg->sender[0] != '\0')
		err |= provider_form_add(&url, "from", cfg->sender);
	err |= provider_form_add(&url, "to", msg->to);
	err |= provider_form_add(&url, "text", msg->text);
	err |= provider_form_add(&url, "charset", "UTF-8");
	err |= provider_form_add(&url, "coding", msg->ucs2 ? "2" : "0");
	if (msg->status_url != NULL && msg->status_url[0] != '\0') {
		/*
		 * Encoded whole, so that Kannel gets "%d" back literally
		 * once it has decoded the parameter.
		 */
		dlr = xasprintf("%s%cid=%lld&status=%%d", msg->status_url,
		    strchr(msg->status_url, '?') != NULL ? '&' : '?',
		    (long long)msg->id);
		err |= provider_form_add(&url, "dlr-mask", KANNEL_DLR_MASK);
		err |= provider_form_add(&url, "dlr-url", dlr);
		free(dlr);
	}
	if (err != 0) {
		buf_free(&url);
		return -1;
	}
	r->url = buf_steal(&url);
	provider_request_finish(r, "GET");
	return 0;
}

static void
kn_parse_send(const struct channel_config *cfg, const struct client_resp *resp,
    struct provider_result *res)
{
	(void)cfg;
	if (resp->outcome != CLIENT_OK) {
		/* Kannel's "3: Queued for later delivery" is a 202 too. */
		provider_http_failure(resp, res);
		return;
	}
	res->outcome = PROVIDER_OK;
	if (res->msg_id > 0) {
		char id[FMT_U_SIZE];

		fmt_u(id, (unsigned long long)res->msg_id);
		res->provider_id = xstrdup(id);
	}
}

const struct provider_ops provider_kannel = {
    .name = "kannel",
    .webhook_get = 1,
    .dlr_by_own_id = 1,
    .decode_sms = kn_decode_sms,
    .decode_ussd = NULL,
    .decode_status = kn_decode_status,
    .answer_sms = provider_answer_empty,
    .answer_ussd = NULL,
    .build_send = kn_build_send,
    .parse_send = kn_parse_send,
};
