/*
 * vonage.c: Vonage (formerly Nexmo) SMS API (no USSD).
 *
 * Sending is a form POST to {api_url}/sms/json (api_url defaults to
 * https://rest.nexmo.com) with api_key, api_secret, from (the sender), to
 * (the number without its '+'), text, type=unicode when the text needs
 * UCS-2, and callback (the status URL) when there is one. The JSON answer
 * lists one entry per part in messages[], each with a status: "0" is
 * accepted; 1 Throttled, 5 Internal Error, 9 Partner Quota Violation (no
 * credit) and 10 Too Many Existing Binds are worth retrying; every other
 * status (2 Missing Parameters, 3 Invalid Parameters, 4 Invalid
 * Credentials, 6 Invalid Message, 7 Number Barred, 15 Invalid Sender
 * Address, 29 Non-Whitelisted Destination, ...) is a rejection with its
 * error-text. A message Vonage splits into parts is accepted when every
 * part is; when some part was accepted and another was not, it is a
 * rejection, never a retry, which would send the accepted parts twice. The
 * first part's message-id is the id delivery reports are matched on.
 *
 * Webhooks (incoming SMS: msisdn to messageId text type keyword
 * message-timestamp concat concat-ref concat-total concat-part; delivery
 * receipts: msisdn to messageId status err-code network-code price scts
 * message-timestamp) come as the dashboard's "HTTP Method" says: GET with
 * the parameters in the query, POST with a form, or POST with a JSON
 * object (POST-JSON). Each part of a long incoming message arrives as its
 * own webhook and goes to the ingress as its own message. Binary messages
 * (type=binary) have no text and are acknowledged without being stored.
 *
 * Signatures (docs: Signing Messages): with a signature_secret, every
 * webhook MUST carry sig and timestamp. sig is the hex digest of every
 * other parameter, sorted by name, each written "&name=value" with every
 * '&' and '=' in the value replaced by '_', under the channel's
 * signature_method: md5hash is MD5 of that string followed by the secret,
 * md5, sha1, sha256 and sha512 are HMACs keyed with the secret; without
 * one (auto), the sig's length picks the method (vg_method), md5hash for
 * 32 digits as Vonage's dashboard has it by default. It is
 * compared in constant time (either case of hex); timestamp (seconds since
 * the epoch) must be within SIG_MAX_SKEW seconds of now, so a captured
 * request cannot be replayed later. A repeated parameter name is refused
 * (which of the two was signed?). When the channel also has a
 * webhook_secret, the gateway has checked the ?secret= parameter already
 * and it is left out of the signed parameters (Vonage signs what it sends,
 * not the URL it was given). Without a signature_secret (only with
 * allow_unsigned = yes) nothing is checked.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "lib/form.h"
#include "lib/sig.h"
#include "providers/provider.h"

#define VG_MAX_PARAMS FORM_MAX_PAIRS /* parameters of a webhook */
#define VG_SIGNED_MAX (256 * 1024)   /* bytes of the signed string */

/* A webhook's parameters, from the query, a form or a JSON object. */
struct vg_req {
	struct form f; /* query or form parameters */
	json_t *root;  /* or the JSON object they come from */
	struct sig_param p[VG_MAX_PARAMS];
	char *owned[VG_MAX_PARAMS]; /* JSON numbers and booleans as text */
	size_t n;
};

static void
vg_req_free(struct vg_req *vr)
{
	size_t i;

	for (i = 0; i < vr->n; i++)
		free(vr->owned[i]);
	form_free(&vr->f);
	json_decref(vr->root);
	memset(vr, 0, sizeof(*vr));
}

/* 1 when the request's Content-Type is JSON. */
static int
vg_is_json(const struct http_request *req)
{
	const char *ct = http_header(req, "Content-Type");

	return ct != NULL && strncasecmp(ct, "application/json", 16) == 0;
}

/*
 * Collects the parameters of req into vr: a POST with a JSON body gives its
 * members (strings, integers, booleans), anything else the form (a GET's
 * query). Returns DECODE_OK, or DECODE_BAD with a reason; either way the
 * caller calls vg_req_free.
 */
static enum provider_decode
vg_collect(
    const struct http_request *req, struct vg_req *vr, struct buf *reason)
{
	const char *name, *why = NULL;
	json_t *v;
	size_t i, j;
	int rc;

	memset(vr, 0, sizeof(*vr));
	if (strcmp(req->method, "POST") == 0 && vg_is_json(req)) {
		if ((rc = provider_json(req, &vr->root, reason)) != DECODE_OK)
			return rc;
		json_object_foreach(vr->root, name, v)
		{
			if (vr->n == VG_MAX_PARAMS) {
				why = "too many parameters";
				break;
			}
			if (json_is_string(v)) {
				if (strlen(json_string_value(v)) !=
				    json_string_length(v)) {
					why = "a parameter holds a NUL";
					break;
				}
				vr->p[vr->n].value = json_string_value(v);
			} else if (json_is_integer(v))
				vr->p[vr->n].value = vr->owned[vr->n] =
				    xasprintf("%" JSON_INTEGER_FORMAT,
					json_integer_value(v));
			else if (json_is_boolean(v))
				vr->p[vr->n].value =
				    json_is_true(v) ? "true" : "false";
			else {
				why = "parameters must be strings, integers "
				      "or booleans";
				break;
			}
			vr->p[vr->n++].name = name;
		}
	} else {
		if ((rc = provider_form(req, 1, &vr->f, reason)) != DECODE_OK)
			return rc;
		for (i = 0; i < vr->f.npairs; i++) {
			vr->p[i].name = vr->f.pairs[i].name;
			vr->p[i].value = vr->f.pairs[i].value;
		}
		vr->n = vr->f.npairs;
		/* JSON refuses duplicates when parsing; a form here. */
		for (i = 0; i < vr->n && why == NULL; i++)
			for (j = i + 1; j < vr->n; j++)
				if (strcmp(vr->p[i].name, vr->p[j].name) == 0) {
					why = "a parameter is repeated";
					break;
				}
	}
	if (why != NULL) {
		if (reason != NULL)
			(void)buf_puts(reason, why);
		return DECODE_BAD;
	}
	return DECODE_OK;
}

/* The value of the parameter name, or NULL. */
static const char *
vg_get(const struct vg_req *vr, const char *name)
{
	size_t i;

	for (i = 0; i < vr->n; i++)
		if (strcmp(vr->p[i].name, name) == 0)
			return vr->p[i].value;
	return NULL;
}

/* As provider_field for a parameter of vr. */
static enum provider_decode
vg_field(const struct vg_req *vr, const char *name, int flags, char **out,
    struct buf *reason)
{
	const char *v = vg_get(vr, name);

	*out = NULL;
	if (v == NULL) {
		if ((flags & PROVIDER_REQUIRED) == 0)
			return DECODE_OK;
		if (reason != NULL)
			(void)buf_printf(reason, "missing field %s", name);
		return DECODE_BAD;
	}
	if (v[0] == '\0' && (flags & PROVIDER_NONEMPTY) == PROVIDER_NONEMPTY) {
		if (reason != NULL)
			(void)buf_printf(reason, "empty field %s", name);
		return DECODE_BAD;
	}
	if (!provider_utf8_valid(v, strlen(v))) {
		if (reason != NULL)
			(void)buf_printf(
			    reason, "invalid UTF-8 in field %s", name);
		return DECODE_BAD;
	}
	*out = xstrdup(v);
	return DECODE_OK;
}

static int
vg_param_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sig_param *)a)->name,
	    ((const struct sig_param *)b)->name);
}

/* Appends s to b with every '&' and '=' turned into '_'. */
static int
vg_put_value(struct buf *b, const char *s)
{
	const char *p;
	size_t n;

	while (*s != '\0') {
		n = strcspn(s, "&=");
		if (buf_append(b, s, n) == -1)
			return -1;
		p = s + n;
		if (*p == '\0')
			break;
		if (buf_puts(b, "_") == -1)
			return -1;
		s = p + 1;
	}
	return 0;
}

/*
 * Writes the lower-case hex signature of vr's parameters (less sig, and
 * secret when the gateway checked it) under cfg's secret and method into
 * hex (at least 2 * EVP_MAX_MD_SIZE + 1 bytes). Returns its length in hex
 * digits, or -1 on a failure.
 */
static int
vg_sign(const struct channel_config *cfg, int method, const struct vg_req *vr,
    char *hex)
{
	static const char *const digests[] = {
	    [VONAGE_SIG_MD5HASH] = "MD5",
	    [VONAGE_SIG_MD5] = "MD5",
	    [VONAGE_SIG_SHA1] = "SHA1",
	    [VONAGE_SIG_SHA256] = "SHA256",
	    [VONAGE_SIG_SHA512] = "SHA512",
	};
	struct sig_param sorted[VG_MAX_PARAMS];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t i, n = 0, outlen = 0;
	struct buf s;
	int rc = -1;

	if (method < 0 || (size_t)method >= nitems(digests))
		return -1;
	for (i = 0; i < vr->n; i++) {
		if (strcmp(vr->p[i].name, "sig") == 0 ||
		    (cfg->webhook_secret != NULL &&
			strcmp(vr->p[i].name, "secret") == 0))
			continue;
		sorted[n++] = vr->p[i];
	}
	qsort(sorted, n, sizeof(sorted[0]), vg_param_cmp);
	buf_init(&s, VG_SIGNED_MAX);
	for (i = 0; i < n; i++)
		if (buf_puts(&s, "&") == -1 ||
		    buf_puts(&s, sorted[i].name) == -1 ||
		    buf_puts(&s, "=") == -1 ||
		    vg_put_value(&s, sorted[i].value) == -1)
			goto out;
	if (method == VONAGE_SIG_MD5HASH) {
		if (buf_puts(&s, cfg->signature_secret) == -1 ||
		    EVP_Digest(s.data != NULL ? s.data : "", s.len, md, &mdlen,
			EVP_md5(), NULL) != 1)
			goto out;
	} else {
		if (EVP_Q_mac(NULL, "HMAC", NULL, digests[method], NULL,
			cfg->signature_secret, strlen(cfg->signature_secret),
			(const unsigned char *)(s.data != NULL ? s.data : ""),
			s.len, md, sizeof(md), &outlen) == NULL)
			goto out;
		mdlen = (unsigned int)outlen;
	}
	for (i = 0; i < mdlen; i++) {
		hex[2 * i] = "0123456789abcdef"[md[i] >> 4];
		hex[2 * i + 1] = "0123456789abcdef"[md[i] & 15];
	}
	hex[2 * mdlen] = '\0';
	rc = (int)(2 * mdlen);
out:
	buf_free(&s);
	return rc;
}

/*
 * The method a sig of len hex digits is checked with: the channel's, or
 * when it names none, the one whose digest has that length (32 is
 * md5hash, Vonage's default; 40 sha1, 64 sha256, 128 sha512 HMACs).
 */
static int
vg_method(const struct channel_config *cfg, size_t len)
{
	if (cfg->signature_method != VONAGE_SIG_AUTO)
		return cfg->signature_method;
	switch (len) {
	case 32:
		return VONAGE_SIG_MD5HASH;
	case 40:
		return VONAGE_SIG_SHA1;
	case 64:
		return VONAGE_SIG_SHA256;
	case 128:
		return VONAGE_SIG_SHA512;
	default:
		return -1;
	}
}

/*
 * Checks vr's sig and timestamp when the channel has a signature_secret.
 * Returns DECODE_OK or DECODE_FORBIDDEN with a reason that never shows the
 * expected signature.
 */
static enum provider_decode
vg_verify(const struct channel_config *cfg, const struct vg_req *vr,
    struct buf *reason)
{
	char want[2 * EVP_MAX_MD_SIZE + 1], got[2 * EVP_MAX_MD_SIZE + 1];
	const char *sig, *ts, *why = NULL;
	int64_t t = 0, now;
	size_t i, len;
	int n;

	if (cfg->signature_secret == NULL || cfg->signature_secret[0] == '\0')
		return DECODE_OK;
	sig = vg_get(vr, "sig");
	ts = vg_get(vr, "timestamp");
	if (sig == NULL || sig[0] == '\0')
		why = "missing sig (set the channel's signature_secret and "
		      "signature_method as in Vonage's dashboard)";
	else if (ts == NULL || ts[0] == '\0')
		why = "missing timestamp (signed webhooks carry one)";
	else {
		len = strlen(ts);
		for (i = 0; i < len && why == NULL; i++)
			if (!isdigit((unsigned char)ts[i]))
				why = "malformed timestamp";
		if (why == NULL && (len > SIG_TIME_DIGITS || ts[0] == '0'))
			why = "malformed timestamp";
		if (why == NULL) {
			t = strtoll(ts, NULL, 10);
			now = now_ms() / 1000;
			if (t < now - SIG_MAX_SKEW || t > now + SIG_MAX_SKEW)
				why = "timestamp too old (or in the future): "
				      "it must be within 300 s";
		}
	}
	if (why == NULL) {
		len = strlen(sig);
		n = vg_sign(cfg, vg_method(cfg, len), vr, want);
		if (n <= 0 || len != (size_t)n)
			why = "wrong sig";
		else {
			for (i = 0; i < len; i++)
				got[i] = (char)tolower((unsigned char)sig[i]);
			if (CRYPTO_memcmp(got, want, len) != 0)
				why = "wrong sig";
		}
	}
	if (why != NULL) {
		if (reason != NULL)
			(void)buf_puts(reason, why);
		return DECODE_FORBIDDEN;
	}
	return DECODE_OK;
}

/* Whether req's method is one Vonage signs (the others are malformed). */
static int
vg_signed_method(const struct http_request *req)
{
	return strcmp(req->method, "GET") == 0 ||
	       strcmp(req->method, "POST") == 0;
}

/* Collects and verifies; on a refusal vr is already freed. */
static enum provider_decode
vg_load(const struct channel_config *cfg, const struct http_request *req,
    struct vg_req *vr, struct buf *reason)
{
	int rc;

	if ((rc = vg_collect(req, vr, reason)) == DECODE_OK)
		rc = vg_verify(cfg, vr, reason);
	else if (rc == DECODE_BAD && vg_signed_method(req) &&
		 cfg->signature_secret != NULL &&
		 cfg->signature_secret[0] != '\0') {
		/*
		 * Parameters that do not parse hold no sig that can be
		 * checked: not signed, so refused as such (403, logged once
		 * a minute), not a malformed message of Vonage's (400).
		 */
		struct buf why;

		buf_init(&why, 512);
		(void)buf_puts(&why, "the signature cannot be checked: ");
		(void)buf_puts(&why, reason != NULL ? buf_cstr(reason) : "");
		if (reason != NULL) {
			buf_reset(reason);
			(void)buf_puts(reason, buf_cstr(&why));
		}
		buf_free(&why);
		rc = DECODE_FORBIDDEN;
	}
	if (rc != DECODE_OK)
		vg_req_free(vr);
	return rc;
}

/* A count in 1..max written in decimal, or 0. */
static int
vg_count(const char *v, int max)
{
	int n = 0;

	if (v == NULL || *v == '\0')
		return 0;
	for (; *v != '\0'; v++) {
		if (*v < '0' || *v > '9')
			return 0;
		n = n * 10 + (*v - '0');
		if (n > max)
			return 0;
	}
	return n;
}

/*
 * A part of a long message (concat=true): concat-ref, concat-total and
 * concat-part into in's part fields. A set of one part is a whole message.
 */
static enum provider_decode
vg_part(
    const struct vg_req *vr, struct provider_inbound *in, struct buf *reason)
{
	const char *concat = vg_get(vr, "concat"), *ref;
	int total, seq;
	char *why = NULL;

	if (concat == NULL || strcmp(concat, "true") != 0)
		return DECODE_OK;
	ref = vg_get(vr, "concat-ref");
	total = vg_count(vg_get(vr, "concat-total"), PROVIDER_PARTS_MAX);
	seq = vg_count(vg_get(vr, "concat-part"), PROVIDER_PARTS_MAX);
	if (ref == NULL || *ref == '\0' || strlen(ref) >= PROVIDER_PART_REF ||
	    !provider_utf8_valid(ref, strlen(ref)))
		why = "concat-ref: missing, empty or too long";
	else if (total == 0)
		why = "concat-total: not a number of parts (1-255)";
	else if (seq == 0 || seq > total)
		why = "concat-part: not a part of concat-total";
	if (why != NULL) {
		if (reason != NULL)
			(void)buf_puts(reason, why);
		return DECODE_BAD;
	}
	if (total > 1) {
		in->part_ref = xstrdup(ref);
		in->part_total = total;
		in->part_seq = seq;
	}
	return DECODE_OK;
}

static enum provider_decode
vg_decode_sms(const struct channel_config *cfg, const struct http_request *req,
    const char *public_url, struct provider_inbound *in, struct buf *reason)
{
	struct vg_req vr;
	const char *type;
	int rc;

	(void)public_url;
	provider_inbound_init(in);
	in->ussd_new = 0;
	if ((rc = vg_load(cfg, req, &vr, reason)) != DECODE_OK)
		return rc;
	type = vg_get(&vr, "type");
	if (type != NULL && strcmp(type, "binary") == 0) {
		if (reason != NULL)
			(void)buf_puts(reason, "binary message ignored");
		rc = DECODE_IGNORE;
	} else if ((rc = vg_field(&vr, "messageId", PROVIDER_NONEMPTY, &in->id,
			reason)) == 0 &&
		   (rc = vg_field(&vr, "msisdn", PROVIDER_NONEMPTY, &in->from,
			reason)) == 0 &&
		   (rc = vg_field(
			&vr, "to", PROVIDER_NONEMPTY, &in->to, reason)) == 0)
		if ((rc = vg_field(&vr, "text", PROVIDER_REQUIRED, &in->text,
			 reason)) == DECODE_OK)
			rc = vg_part(&vr, in, reason);
	vg_req_free(&vr);
	if (rc != DECODE_OK)
		provider_inbound_free(in);
	else
		provider_international(&in->from);
	return rc;
}

/* Delivery receipt statuses (docs: SMS, delivery receipts). */
static const struct provider_state_name vg_states[] = {
    {"accepted", DLR_SENT},
    {"buffered", DLR_SENT},
    {"unknown", DLR_SENT}, /* nothing known yet: not final */
    {"delivered", DLR_DELIVERED},
    {"expired", DLR_FAILED},
    {"failed", DLR_FAILED},
    {"rejected", DLR_FAILED},
};

static enum provider_decode
vg_decode_status(const struct channel_config *cfg,
    const struct http_request *req, const char *public_url,
    struct provider_status *st, struct buf *reason)
{
	struct vg_req vr;
	char *status = NULL, *code = NULL, *detail = NULL;
	int rc;

	(void)public_url;
	provider_status_init(st);
	if ((rc = vg_load(cfg, req, &vr, reason)) != DECODE_OK)
		return rc;
	if ((rc = vg_field(
		 &vr, "messageId", PROVIDER_NONEMPTY, &st->id, reason)) == 0 &&
	    (rc = vg_field(
		 &vr, "status", PROVIDER_NONEMPTY, &status, reason)) == 0)
		rc =
		    vg_field(&vr, "err-code", PROVIDER_OPTIONAL, &code, reason);
	vg_req_free(&vr);
	if (rc == DECODE_OK) {
		if (code != NULL && code[0] != '\0' && strcmp(code, "0") != 0)
			detail = xasprintf("%s (err-code %.16s)", status, code);
		rc = provider_status_set(
		    st, status, vg_states, nitems(vg_states), &detail, reason);
	}
	free(status);
	free(code);
	free(detail);
	if (rc != DECODE_OK)
		provider_status_free(st);
	return rc;
}

static int
vg_build_send(const struct channel_config *cfg, const struct provider_msg *msg,
    struct provider_request *r)
{
	struct buf body;
	int err = 0;

	memset(r, 0, sizeof(*r));
	if (cfg->api_url == NULL || cfg->api_key == NULL ||
	    cfg->api_secret == NULL || cfg->sender == NULL || msg->to == NULL ||
	    msg->text == NULL)
		return -1;

	buf_init(&body, PROVIDER_REQUEST_MAX);
	err |= provider_form_add(&body, "api_key", cfg->api_key);
	err |= provider_form_add(&body, "api_secret", cfg->api_secret);
	err |= provider_form_add(&body, "from", cfg->sender);
	/* Vonage takes international numbers without the '+'. */
	err |= provider_form_add(
	    &body, "to", msg->to[0] == '+' ? msg->to + 1 : msg->to);
	err |= provider_form_add(&body, "text", msg->text);
	if (msg->ucs2)
		err |= provider_form_add(&body, "type", "unicode");
	if (msg->status_url != NULL && msg->status_url[0] != '\0')
		err |= provider_form_add(&body, "callback", msg->status_url);
	if (err != 0) {
		buf_free(&body);
		return -1;
	}
	r->body = buf_steal(&body);
	r->url = xasprintf("%s/sms/json", cfg->api_url);
	if (provider_request_header(r, "Accept: application/json") == -1 ||
	    provider_request_header(
		r, "Content-Type: application/x-www-form-urlencoded") == -1) {
		provider_request_free(r);
		return -1;
	}
	provider_request_finish(r, "POST");
	return 0;
}

/* How a part's status ends the attempt (docs: SMS API error codes). */
static enum provider_outcome
vg_status_outcome(const char *status)
{
	if (strcmp(status, "0") == 0)
		return PROVIDER_OK;
	if (strcmp(status, "1") == 0 || /* Throttled */
	    strcmp(status, "5") == 0 || /* Internal Error */
	    strcmp(status, "9") == 0 || /* Partner Quota Violation */
	    strcmp(status, "10") == 0)  /* Too Many Existing Binds */
		return PROVIDER_TEMPFAIL;
	return PROVIDER_PERMFAIL;
}

/* A part's member as text (Vonage writes numbers as strings), or NULL. */
static char *
vg_text(json_t *obj, const char *name)
{
	json_t *v = json_object_get(obj, name);

	if (json_is_integer(v))
		return xasprintf(
		    "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	if (!json_is_string(v) || json_string_length(v) == 0)
		return NULL;
	return provider_clean(
	    json_string_value(v), json_string_length(v), PROVIDER_ERROR_MAX);
}

static void
vg_parse_send(const struct channel_config *cfg, const struct client_resp *resp,
    struct provider_result *res)
{
	json_t *root, *list, *part;
	char *status, *text, *first_id = NULL, *fail_status = NULL,
			     *fail_text = NULL;
	enum provider_outcome o, fail = PROVIDER_OK;
	size_t i, accepted = 0;

	(void)cfg;
	if (resp->outcome != CLIENT_OK) {
		provider_http_failure(resp, res);
		return;
	}
	root = json_loadb(resp->body, resp->body_len, 0, NULL);
	list = json_object_get(root, "messages");
	if (!json_is_array(list) || json_array_size(list) == 0) {
		/* It may have been sent: it is not sent again. */
		text = provider_clean(resp->body, resp->body_len, 80);
		provider_fail(
		    res, PROVIDER_PERMFAIL, "unexpected answer: %s", text);
		free(text);
		json_decref(root);
		return;
	}
	json_array_foreach(list, i, part)
	{
		status = vg_text(part, "status");
		o = status != NULL ? vg_status_outcome(status)
				   : PROVIDER_PERMFAIL;
		if (o == PROVIDER_OK) {
			accepted++;
			if (first_id == NULL)
				first_id = vg_text(part, "message-id");
			free(status);
		} else if (fail == PROVIDER_OK) {
			/* The first refused part speaks for the message. */
			fail = o;
			fail_status = status;
			fail_text = vg_text(part, "error-text");
		} else
			free(status);
	}
	if (fail == PROVIDER_OK) {
		res->outcome = PROVIDER_OK;
		res->provider_id = first_id;
		first_id = NULL;
	} else {
		/* Some parts went out: sending again would repeat them. */
		if (accepted > 0)
			fail = PROVIDER_PERMFAIL;
		provider_fail(res, fail, "status %s: %s%s",
		    fail_status != NULL ? fail_status : "missing",
		    fail_text != NULL ? fail_text : "rejected",
		    accepted > 0 ? " (other parts were sent)" : "");
	}
	free(first_id);
	free(fail_status);
	free(fail_text);
	json_decref(root);
}

const struct provider_ops provider_vonage = {
    .name = "vonage",
    .webhook_get = 1,
    .dlr_by_own_id = 0,
    .parts = 1,
    .decode_sms = vg_decode_sms,
    .decode_ussd = NULL,
    .decode_status = vg_decode_status,
    .answer_sms = provider_answer_empty,
    .answer_ussd = NULL,
    .build_send = vg_build_send,
    .parse_send = vg_parse_send,
};
