/*
 * test_providers.c: the six web provider types, driven by the data files
 * in tests/data/providers/ (curl's tests/data style; the format is
 * described in tests/data/providers/README), plus a few checks written
 * out in C (provider_for, answers, helpers, a built Kannel dlr-url read
 * back).
 *
 * Every data file is one case: a webhook request to decode with what it
 * must decode to, or a message to send with the exact request expected
 * and, optionally, a canned answer with the outcome it must give. No
 * sockets: requests are struct http_request values, answers struct
 * client_resp values.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "lib/form.h"
#include "lib/sig.h"
#include "providers/provider.h"

#define DATA_DIR "tests/data/providers"
#define MAX_CASES 512
#define MAX_FILE (256 * 1024)
#define MAX_HEADERS 16

/* One "<name>...</name>" part of a data file; text points into the file. */
struct section {
	const char *text; /* the lines between the tags */
	size_t len;       /* their length, with the last newline */
};

/* A data file read whole. */
struct datafile {
	char *path; /* for messages */
	char *data; /* the file, NUL-terminated */
	size_t len;
};

/* Where the data files are: $srcdir (automake), $SRCDIR, else ".". */
static const char *
srcdir(void)
{
	const char *s;

	if ((s = getenv("srcdir")) != NULL && s[0] != '\0')
		return s;
	if ((s = getenv("SRCDIR")) != NULL && s[0] != '\0')
		return s;
	return ".";
}

static void
datafile_load(struct datafile *df, const char *name)
{
	FILE *fp;
	size_t n;

	df->path = xasprintf("%s/%s/%s", srcdir(), DATA_DIR, name);
	if ((fp = fopen(df->path, "rb")) == NULL)
		fail_msg("cannot open %s", df->path);
	df->data = xmalloc(MAX_FILE + 1);
	n = fread(df->data, 1, MAX_FILE + 1, fp);
	fclose(fp);
	if (n > MAX_FILE)
		fail_msg("%s: too big", df->path);
	df->data[n] = '\0';
	df->len = n;
}

static void
datafile_free(struct datafile *df)
{
	free(df->path);
	free(df->data);
}

/*
 * Finds "<name>\n" ... "</name>" at line starts. Returns 1 and fills sec,
 * or 0 when the file has no such section.
 */
static int
section_get(const struct datafile *df, const char *name, struct section *sec)
{
	char open[64], close[64];
	const char *p, *q;

	snprintf(open, sizeof(open), "<%s>\n", name);
	snprintf(close, sizeof(close), "\n</%s>", name);
	for (p = df->data; (p = strstr(p, open)) != NULL; p++)
		if (p == df->data || p[-1] == '\n')
			break;
	if (p == NULL)
		return 0;
	p += strlen(open);
	/* An empty section: the closing tag right after the opening. */
	if (strncmp(p, close + 1, strlen(close + 1)) == 0) {
		sec->text = p;
		sec->len = 0;
		return 1;
	}
	if ((q = strstr(p - 1, close)) == NULL)
		fail_msg("%s: <%s> is not closed", df->path, name);
	sec->text = p;
	sec->len = (size_t)(q - p) + 1;
	return 1;
}

/*
 * Decodes len bytes of s into a new string: "%hex[41 42 ff]hex%" becomes
 * the bytes given in hex (white space between pairs ignored), anything
 * else is copied. *outlen gets the length (the result may hold NULs).
 */
static char *
unhex(const char *s, size_t len, size_t *outlen)
{
	char *out = xmalloc(len + 1), *end;
	size_t i = 0, o = 0;
	unsigned long v;
	char pair[3];

	while (i < len) {
		if (len - i >= 5 && memcmp(s + i, "%hex[", 5) == 0) {
			for (i += 5; i < len && s[i] != ']'; i++) {
				if (s[i] == ' ')
					continue;
				if (i + 1 >= len)
					fail_msg("bad %%hex[] block");
				pair[0] = s[i];
				pair[1] = s[i + 1];
				pair[2] = '\0';
				v = strtoul(pair, &end, 16);
				if (*end != '\0')
					fail_msg("bad hex pair %s", pair);
				out[o++] = (char)v;
				i++;
			}
			if (len - i < 5 || memcmp(s + i, "]hex%", 5) != 0)
				fail_msg("%%hex[ without ]hex%%");
			i += 5;
		} else
			out[o++] = s[i++];
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

/*
 * The value of "key value" in sec (first match), decoded with unhex, in
 * a new string; "key" alone gives "". NULL when the key is not there.
 */
static char *
kv_get(const struct section *sec, const char *key)
{
	const char *p = sec->text, *end = sec->text + sec->len, *nl;
	size_t klen = strlen(key), n;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if ((size_t)(nl - p) >= klen && memcmp(p, key, klen) == 0 &&
		    (p + klen == nl || p[klen] == ' ')) {
			p += klen;
			if (p < nl)
				p++;
			return unhex(p, (size_t)(nl - p), &n);
		}
		p = nl + 1;
	}
	return NULL;
}

/* A request, an expected request or an answer, split into its parts. */
struct message {
	char *first;              /* the first line */
	char *lines[MAX_HEADERS]; /* the header lines, unhex'ed */
	size_t nlines;
	char *body; /* after the blank line, without the last
				       newline; "" when none */
	size_t body_len;
	struct http_hdr hdrs[MAX_HEADERS]; /* lines as headers */
};

static void
message_parse(const struct section *sec, struct message *m)
{
	const char *p = sec->text, *end = sec->text + sec->len, *nl;
	size_t n, blen;
	char *colon;

	memset(m, 0, sizeof(*m));
	nl = memchr(p, '\n', (size_t)(end - p));
	if (nl == NULL)
		nl = end;
	m->first = unhex(p, (size_t)(nl - p), &n);
	p = nl + 1;
	while (p < end && *p != '\n') {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if (m->nlines == MAX_HEADERS)
			fail_msg("too many header lines");
		m->lines[m->nlines] = unhex(p, (size_t)(nl - p), &n);
		colon = strchr(m->lines[m->nlines], ':');
		if (colon != NULL) {
			*colon = '\0';
			m->hdrs[m->nlines].name = m->lines[m->nlines];
			m->hdrs[m->nlines].value =
			    colon + 1 + (colon[1] == ' ' ? 1 : 0);
		} else {
			m->hdrs[m->nlines].name = m->lines[m->nlines];
			m->hdrs[m->nlines].value = "";
		}
		m->nlines++;
		p = nl + 1;
	}
	if (p < end) {
		/* The body: after the blank line, less the final newline. */
		p++;
		blen = (size_t)(end - p);
		if (blen > 0 && p[blen - 1] == '\n')
			blen--;
		m->body = unhex(p, blen, &m->body_len);
	} else {
		m->body = xstrdup("");
		m->body_len = 0;
	}
}

static void
message_free(struct message *m)
{
	size_t i;

	free(m->first);
	for (i = 0; i < m->nlines; i++)
		free(m->lines[i]);
	free(m->body);
}

/* Channel settings from <config> ("key value" lines). */
static void
channel_load(
    const struct datafile *df, const char *type, struct channel_config *cfg)
{
	struct section sec;
	/* Indexed by enum channel_type. */
	static const char *types[] = {"africastalking", "twilio", "kannel",
	    "gammu", "http", "smpp", "infobip", "vonage"};
	static const char *sig_methods[] = {
	    "md5hash", "md5", "sha1", "sha256", "sha512", "auto"};
	char *method;
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < nitems(types); i++)
		if (strcmp(type, types[i]) == 0)
			cfg->type = (enum channel_type)i;
	if (i == nitems(types) && strcmp(type, types[cfg->type]) != 0)
		fail_msg("%s: unknown type %s", df->path, type);
	cfg->name = xstrdup("test");
	if (!section_get(df, "config", &sec))
		return;
	cfg->sender = kv_get(&sec, "sender");
	cfg->api_url = kv_get(&sec, "api_url");
	cfg->username = kv_get(&sec, "username");
	cfg->api_key = kv_get(&sec, "api_key");
	cfg->password = kv_get(&sec, "password");
	cfg->account_sid = kv_get(&sec, "account_sid");
	cfg->auth_token = kv_get(&sec, "auth_token");
	cfg->public_url = kv_get(&sec, "public_url");
	cfg->signing_key = kv_get(&sec, "signing_key");
	cfg->webhook_secret = kv_get(&sec, "webhook_secret");
	cfg->api_secret = kv_get(&sec, "api_secret");
	cfg->signature_secret = kv_get(&sec, "signature_secret");
	/* As in the config file: auto unless it says otherwise. */
	cfg->signature_method = VONAGE_SIG_AUTO;
	if ((method = kv_get(&sec, "signature_method")) != NULL) {
		for (i = 0; i < nitems(sig_methods); i++)
			if (strcmp(method, sig_methods[i]) == 0)
				break;
		if (i == nitems(sig_methods))
			fail_msg("%s: unknown signature_method %s", df->path,
			    method);
		cfg->signature_method = (int)i;
		free(method);
	}
}

static void
channel_free(struct channel_config *cfg)
{
	free(cfg->name);
	free(cfg->sender);
	free(cfg->api_url);
	free(cfg->username);
	free(cfg->api_key);
	free(cfg->password);
	free(cfg->account_sid);
	free(cfg->auth_token);
	free(cfg->public_url);
	free(cfg->signing_key);
	free(cfg->webhook_secret);
	free(cfg->api_secret);
	free(cfg->signature_secret);
}

/* A batch's size: <expect>'s nmore (0 when not listed). */
static void
expect_nmore(const struct datafile *df, const struct section *exp, size_t got)
{
	char *want = kv_get(exp, "nmore");
	size_t n = want != NULL ? (size_t)atoi(want) : 0;

	if (got != n)
		fail_msg("%s: nmore: got %zu, want %zu", df->path, got, n);
	free(want);
}

/* A member of a batch's last entry, checked only when <expect> lists it. */
static void
expect_last(const struct datafile *df, const struct section *exp,
    const char *key, const char *got)
{
	char *want = kv_get(exp, key);

	if (want != NULL && (got == NULL || strcmp(want, got) != 0))
		fail_msg("%s: %s: got \"%s\", want \"%s\"", df->path, key,
		    got ? got : "(none)", want);
	free(want);
}

static const char *
dlr_name(enum provider_dlr s)
{
	return s == DLR_SENT        ? "sent"
	       : s == DLR_DELIVERED ? "delivered"
				    : "failed";
}

/* Checks a decoded member against <expect>: equal, or NULL if unlisted. */
static void
expect_str(const struct datafile *df, const struct section *exp,
    const char *key, const char *got)
{
	char *want = kv_get(exp, key);

	if (want == NULL && got != NULL)
		fail_msg("%s: %s: got \"%s\", want none", df->path, key, got);
	if (want != NULL && got == NULL)
		fail_msg("%s: %s: got none, want \"%s\"", df->path, key, want);
	if (want != NULL && strcmp(want, got) != 0)
		fail_msg("%s: %s: got \"%s\", want \"%s\"", df->path, key, got,
		    want);
	free(want);
}

static int
result_code(const struct datafile *df, const struct section *exp)
{
	char *r = kv_get(exp, "result");
	int rc = 0;

	if (r == NULL)
		fail_msg("%s: <expect> has no result", df->path);
	if (strcmp(r, "ok") == 0)
		rc = DECODE_OK;
	else if (strcmp(r, "bad") == 0)
		rc = DECODE_BAD;
	else if (strcmp(r, "forbidden") == 0)
		rc = DECODE_FORBIDDEN;
	else if (strcmp(r, "ignore") == 0)
		rc = DECODE_IGNORE;
	else
		fail_msg("%s: unknown result %s", df->path, r);
	free(r);
	return rc;
}

static const char *
decode_name(int rc)
{
	switch (rc) {
	case DECODE_OK:
		return "ok";
	case DECODE_BAD:
		return "bad";
	case DECODE_FORBIDDEN:
		return "forbidden";
	case DECODE_IGNORE:
		return "ignore";
	}
	return "?";
}

/* The reason must hold <expect>'s reason, and be there on refusals. */
static void
expect_reason(const struct datafile *df, const struct section *exp, int rc,
    const struct buf *reason)
{
	char *want = kv_get(exp, "reason");
	const char *got = reason->len > 0 ? buf_cstr(reason) : "";

	if ((rc == DECODE_BAD || rc == DECODE_FORBIDDEN) && got[0] == '\0')
		fail_msg("%s: refused without a reason", df->path);
	if (strchr(got, '\n') != NULL)
		fail_msg("%s: reason is not one line", df->path);
	if (want != NULL && strstr(got, want) == NULL)
		fail_msg("%s: reason \"%s\" lacks \"%s\"", df->path, got, want);
	free(want);
}

static void
run_decode(const struct datafile *df, const struct provider_ops *ops,
    const struct channel_config *cfg, const char *kind, const char *public_url)
{
	struct section reqsec, exp;
	struct message m;
	struct http_request req;
	struct provider_inbound in;
	struct provider_status st;
	struct buf reason;
	char *path, *q, *want, *method;
	int rc, want_rc;

	if (!section_get(df, "request", &reqsec) ||
	    !section_get(df, "expect", &exp))
		fail_msg("%s: needs <request> and <expect>", df->path);
	message_parse(&reqsec, &m);
	method = xstrdup(m.first);
	if ((path = strchr(method, ' ')) == NULL)
		fail_msg("%s: request line is not METHOD PATH", df->path);
	*path++ = '\0';
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = path;
	if ((q = strchr(path, '?')) != NULL) {
		*q++ = '\0';
		req.query = q;
	} else
		req.query = "";
	req.headers = m.hdrs;
	req.nheaders = m.nlines;
	req.body = m.body;
	req.body_len = m.body_len;
	req.http_major = req.http_minor = 1;
	snprintf(req.remote, sizeof(req.remote), "127.0.0.1");

	want_rc = result_code(df, &exp);
	buf_init(&reason, 1024);
	if (strcmp(kind, "status") == 0) {
		assert_non_null(ops->decode_status);
		rc = ops->decode_status(cfg, &req, public_url, &st, &reason);
		if (rc != want_rc)
			fail_msg("%s: got %s (%s), want %s", df->path,
			    decode_name(rc), buf_cstr(&reason),
			    decode_name(want_rc));
		expect_reason(df, &exp, rc, &reason);
		if (rc == DECODE_OK) {
			expect_str(df, &exp, "id", st.id);
			expect_str(df, &exp, "error", st.error);
			want = kv_get(&exp, "state");
			assert_non_null(want);
			assert_string_equal(want, dlr_name(st.state));
			free(want);
			expect_nmore(df, &exp, st.nmore);
			if (st.nmore > 0) {
				const struct provider_status *l =
				    &st.more[st.nmore - 1];

				expect_last(df, &exp, "last_id", l->id);
				expect_last(df, &exp, "last_error", l->error);
				expect_last(
				    df, &exp, "last_state", dlr_name(l->state));
			}
		} else {
			/* A refusal leaves nothing behind. */
			assert_null(st.id);
			assert_null(st.error);
		}
		provider_status_free(&st);
	} else {
		if (strcmp(kind, "ussd") == 0) {
			assert_non_null(ops->decode_ussd);
			rc = ops->decode_ussd(
			    cfg, &req, public_url, &in, &reason);
		} else
			rc = ops->decode_sms(
			    cfg, &req, public_url, &in, &reason);
		if (rc != want_rc)
			fail_msg("%s: got %s (%s), want %s", df->path,
			    decode_name(rc), buf_cstr(&reason),
			    decode_name(want_rc));
		expect_reason(df, &exp, rc, &reason);
		if (rc == DECODE_OK) {
			expect_str(df, &exp, "id", in.id);
			expect_str(df, &exp, "from", in.from);
			expect_str(df, &exp, "to", in.to);
			expect_str(df, &exp, "text", in.text);
			expect_str(df, &exp, "session", in.session);
			expect_str(df, &exp, "service_code", in.service_code);
			expect_str(df, &exp, "ussd_text", in.ussd_text);
			want = kv_get(&exp, "ussd_cumulative");
			assert_int_equal(
			    in.ussd_cumulative, want != NULL ? atoi(want) : 0);
			free(want);
			if ((want = kv_get(&exp, "ussd_new")) != NULL)
				assert_int_equal(in.ussd_new, atoi(want));
			free(want);
			expect_str(df, &exp, "part_ref", in.part_ref);
			want = kv_get(&exp, "part_total");
			assert_int_equal(
			    in.part_total, want != NULL ? atoi(want) : 0);
			free(want);
			want = kv_get(&exp, "part_seq");
			assert_int_equal(
			    in.part_seq, want != NULL ? atoi(want) : 0);
			free(want);
			expect_nmore(df, &exp, in.nmore);
			if (in.nmore > 0) {
				const struct provider_inbound *l =
				    &in.more[in.nmore - 1];

				expect_last(df, &exp, "last_id", l->id);
				expect_last(df, &exp, "last_from", l->from);
				expect_last(df, &exp, "last_text", l->text);
			}
		} else {
			assert_null(in.id);
			assert_null(in.from);
			assert_null(in.to);
			assert_null(in.text);
			assert_null(in.session);
			assert_null(in.service_code);
			assert_null(in.ussd_text);
		}
		provider_inbound_free(&in);
	}
	buf_free(&reason);
	free(method);
	message_free(&m);
}

static void
run_send(const struct datafile *df, const struct provider_ops *ops,
    const struct channel_config *cfg)
{
	struct section msgsec, exp, ans, res;
	struct provider_msg msg;
	struct provider_request r;
	struct provider_result result;
	struct client_resp resp;
	struct message want, answer;
	char *id, *to, *text, *ucs2, *status_url, *line, *v, *ct;
	size_t i, n;
	int rc;

	if (!section_get(df, "message", &msgsec) ||
	    !section_get(df, "expect-request", &exp))
		fail_msg("%s: needs <message> and <expect-request>", df->path);
	id = kv_get(&msgsec, "id");
	to = kv_get(&msgsec, "to");
	text = kv_get(&msgsec, "text");
	ucs2 = kv_get(&msgsec, "ucs2");
	status_url = kv_get(&msgsec, "status_url");
	memset(&msg, 0, sizeof(msg));
	msg.id = id != NULL ? strtoll(id, NULL, 10) : 0;
	msg.to = to;
	msg.text = text;
	msg.ucs2 = ucs2 != NULL ? atoi(ucs2) : 0;
	msg.status_url = status_url;

	rc = ops->build_send(cfg, &msg, &r);
	message_parse(&exp, &want);
	if (strcmp(want.first, "fail") == 0) {
		assert_int_equal(rc, -1);
		assert_null(r.url);
		assert_null(r.body);
		goto answer;
	}
	if (rc != 0)
		fail_msg("%s: build_send failed", df->path);

	/* Request line, @userpwd, headers in order, body: all exact. */
	line = xasprintf("%s %s", r.req.method, r.req.url);
	if (strcmp(line, want.first) != 0)
		fail_msg("%s: request\n got %s\nwant %s", df->path, line,
		    want.first);
	free(line);
	assert_ptr_equal(r.req.url, r.url);
	n = 0;
	for (i = 0; i < want.nlines; i++) {
		if (strcmp(want.hdrs[i].name, "@userpwd") == 0) {
			assert_non_null(r.req.userpwd);
			if (strcmp(r.req.userpwd, want.hdrs[i].value) != 0)
				fail_msg("%s: userpwd %s, want %s", df->path,
				    r.req.userpwd, want.hdrs[i].value);
			continue;
		}
		line =
		    xasprintf("%s: %s", want.hdrs[i].name, want.hdrs[i].value);
		if (r.headers[n] == NULL || strcmp(r.headers[n], line) != 0)
			fail_msg("%s: header %zu is \"%s\", want \"%s\"",
			    df->path, n, r.headers[n] ? r.headers[n] : "(none)",
			    line);
		free(line);
		n++;
	}
	if (r.headers[n] != NULL)
		fail_msg("%s: extra header %s", df->path, r.headers[n]);
	for (i = 0; i < want.nlines; i++)
		if (strcmp(want.hdrs[i].name, "@userpwd") == 0)
			break;
	if (i == want.nlines)
		assert_null(r.req.userpwd);
	if (want.body_len == 0) {
		assert_int_equal(r.req.body_len, 0);
	} else {
		assert_non_null(r.req.body);
		if (r.req.body_len != want.body_len ||
		    memcmp(r.req.body, want.body, want.body_len) != 0)
			fail_msg("%s: body\n got %.*s\nwant %s", df->path,
			    (int)r.req.body_len, r.req.body, want.body);
	}
	provider_request_free(&r);

answer:
	message_free(&want);
	if (section_get(df, "answer", &ans)) {
		if (!section_get(df, "expect-result", &res))
			fail_msg(
			    "%s: <answer> without <expect-result>", df->path);
		message_parse(&ans, &answer);
		memset(&resp, 0, sizeof(resp));
		/* First line "STATUS [CURLCODE [ERROR TEXT]]". */
		resp.status = strtol(answer.first, &v, 10);
		resp.code = (CURLcode)strtol(v, &v, 10);
		while (*v == ' ')
			v++;
		resp.error = v;
		ct = NULL;
		for (i = 0; i < answer.nlines; i++)
			if (str_ieq(answer.hdrs[i].name, "Content-Type"))
				ct = (char *)answer.hdrs[i].value;
		resp.content_type = ct;
		resp.body = answer.body;
		resp.body_len = answer.body_len;
		resp.outcome = client_outcome(resp.status, resp.code);

		provider_parse_send(ops, cfg, msg.id, &resp, &result);
		assert_true(result.msg_id == msg.id);
		v = kv_get(&res, "outcome");
		assert_non_null(v);
		line =
		    xstrdup(result.outcome == PROVIDER_OK         ? "ok"
			    : result.outcome == PROVIDER_TEMPFAIL ? "tempfail"
								  : "permfail");
		if (strcmp(v, line) != 0)
			fail_msg("%s: outcome %s (%s), want %s", df->path, line,
			    result.error ? result.error : "", v);
		free(line);
		free(v);
		expect_str(df, &res, "provider_id", result.provider_id);
		expect_str(df, &res, "error", result.error);
		if (result.outcome != PROVIDER_OK)
			assert_non_null(result.error);
		provider_result_free(&result);
		message_free(&answer);
	}
	free(id);
	free(to);
	free(text);
	free(ucs2);
	free(status_url);
}

/* Runs the data file named by *state. */
static void
test_case(void **state)
{
	struct datafile df;
	struct section c;
	struct channel_config cfg;
	char *type, *kind, *public_url, *now;
	const struct provider_ops *ops;

	datafile_load(&df, (const char *)*state);
	if (!section_get(&df, "case", &c))
		fail_msg("%s: no <case>", df.path);
	type = kv_get(&c, "type");
	kind = kv_get(&c, "kind");
	if (type == NULL || kind == NULL)
		fail_msg("%s: <case> needs type and kind", df.path);
	public_url = kv_get(&c, "public_url");
	channel_load(&df, type, &cfg);
	ops = provider_for(cfg.type);
	assert_non_null(ops);
	assert_string_equal(ops->name, type);
	/*
	 * "now UNIX": the clock the case runs at, for signatures with a time
	 * (it advances from there; a case takes far less than a second).
	 */
	if ((now = kv_get(&c, "now")) != NULL)
		clock_set(strtoll(now, NULL, 10) * 1000);
	free(now);

	if (strcmp(kind, "send") == 0)
		run_send(&df, ops, &cfg);
	else if (strcmp(kind, "sms") == 0 || strcmp(kind, "ussd") == 0 ||
		 strcmp(kind, "status") == 0)
		run_decode(&df, ops, &cfg, kind, public_url);
	else
		fail_msg("%s: unknown kind %s", df.path, kind);

	channel_free(&cfg);
	free(type);
	free(kind);
	free(public_url);
	datafile_free(&df);
}

/*
 * The checks written out in C.
 */

static void
test_provider_for(void **state)
{
	(void)state;
	assert_ptr_equal(
	    provider_for(CHANNEL_AFRICASTALKING), &provider_africastalking);
	assert_ptr_equal(provider_for(CHANNEL_TWILIO), &provider_twilio);
	assert_ptr_equal(provider_for(CHANNEL_KANNEL), &provider_kannel);
	assert_ptr_equal(provider_for(CHANNEL_HTTP), &provider_http);
	assert_ptr_equal(provider_for(CHANNEL_INFOBIP), &provider_infobip);
	assert_ptr_equal(provider_for(CHANNEL_VONAGE), &provider_vonage);
	assert_null(provider_for(CHANNEL_GAMMU));
	assert_null(provider_for(CHANNEL_SMPP));
	/* Vonage may call its webhooks with GET; Infobip posts JSON. */
	assert_int_equal(provider_vonage.webhook_get, 1);
	assert_int_equal(provider_infobip.webhook_get, 0);
	assert_null(provider_infobip.decode_ussd);
	assert_null(provider_vonage.decode_ussd);
	/* Only Africa's Talking and http do USSD. */
	assert_non_null(provider_africastalking.decode_ussd);
	assert_non_null(provider_africastalking.answer_ussd);
	assert_non_null(provider_http.decode_ussd);
	assert_null(provider_twilio.decode_ussd);
	assert_null(provider_twilio.answer_ussd);
	assert_null(provider_kannel.decode_ussd);
	assert_null(provider_kannel.answer_ussd);
}

static void
test_answers(void **state)
{
	struct provider_answer a;
	struct buf b;

	(void)state;
	buf_init(&b, 4096);
	provider_africastalking.answer_ussd("1. News\n2. Report", 0, &a, &b);
	assert_int_equal(a.status, 200);
	assert_string_equal(a.content_type, "text/plain");
	assert_string_equal(buf_cstr(&b), "CON 1. News\n2. Report");
	buf_reset(&b);
	provider_africastalking.answer_ussd("Thank you", 1, &a, &b);
	assert_string_equal(buf_cstr(&b), "END Thank you");
	buf_reset(&b);
	provider_africastalking.answer_sms(7, &a, &b);
	assert_int_equal(a.status, 200);
	assert_string_equal(a.content_type, "text/plain");
	assert_int_equal(b.len, 0);

	provider_twilio.answer_sms(7, &a, &b);
	assert_int_equal(a.status, 200);
	assert_string_equal(a.content_type, "text/xml");
	assert_string_equal(buf_cstr(&b),
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>");
	buf_reset(&b);

	provider_kannel.answer_sms(7, &a, &b);
	assert_int_equal(a.status, 200);
	assert_int_equal(b.len, 0);

	/* Infobip and Vonage want a 2xx and nothing more. */
	provider_infobip.answer_sms(7, &a, &b);
	assert_int_equal(a.status, 200);
	assert_int_equal(b.len, 0);
	provider_vonage.answer_sms(7, &a, &b);
	assert_int_equal(a.status, 200);
	assert_int_equal(b.len, 0);

	provider_http.answer_sms(1234567890123LL, &a, &b);
	assert_int_equal(a.status, 200);
	assert_string_equal(a.content_type, "application/json");
	assert_string_equal(buf_cstr(&b), "{\"id\":1234567890123}");
	buf_reset(&b);
	provider_http.answer_ussd("Karibu \"Baraza\"\n1. Habari", 0, &a, &b);
	assert_string_equal(a.content_type, "application/json");
	assert_string_equal(buf_cstr(&b),
	    "{\"text\":\"Karibu \\\"Baraza\\\"\\n1. Habari\",\"end\":false}");
	buf_reset(&b);
	provider_http.answer_ussd("Asante", 1, &a, &b);
	assert_string_equal(buf_cstr(&b), "{\"text\":\"Asante\",\"end\":true}");
	/* Control characters escaped as jansson does; broken UTF-8 and no
	 * screen at all are an empty text. */
	buf_reset(&b);
	provider_http.answer_ussd("a\x01\tb\\ caf\xc3\xa9", 0, &a, &b);
	assert_string_equal(buf_cstr(&b),
	    "{\"text\":\"a\\u0001\\tb\\\\ caf\xc3\xa9\",\"end\":false}");
	buf_reset(&b);
	provider_http.answer_ussd("bad \xc3(", 1, &a, &b);
	assert_string_equal(buf_cstr(&b), "{\"text\":\"\",\"end\":true}");
	buf_reset(&b);
	provider_http.answer_ussd(NULL, 1, &a, &b);
	assert_string_equal(buf_cstr(&b), "{\"text\":\"\",\"end\":true}");
	buf_free(&b);
}

static void
test_utf8(void **state)
{
	(void)state;
	assert_true(provider_utf8_valid("", 0));
	assert_true(provider_utf8_valid("Habari", 6));
	assert_true(provider_utf8_valid("caf\xc3\xa9", 5));
	assert_true(provider_utf8_valid("\xe2\x82\xac", 3));     /* € */
	assert_true(provider_utf8_valid("\xf0\x9f\x98\x80", 4)); /* 😀 */
	assert_true(provider_utf8_valid("\xf4\x8f\xbf\xbf", 4)); /* max */
	assert_false(provider_utf8_valid("\xff", 1));
	assert_false(provider_utf8_valid("\xc3", 1));         /* cut */
	assert_false(provider_utf8_valid("\xc0\xaf", 2));     /* overlong */
	assert_false(provider_utf8_valid("\xe0\x80\xaf", 3)); /* overlong */
	assert_false(provider_utf8_valid("\xed\xa0\x80", 3)); /* surrogate */
	assert_false(provider_utf8_valid("\xf4\x90\x80\x80", 4)); /* > 10FFFF */
	assert_false(provider_utf8_valid("\xf0\x9f\x98", 3));     /* cut */
	assert_false(provider_utf8_valid("a\x80z", 3));
}

static void
test_clean(void **state)
{
	static const char dirty[] = "  Bad\r\n\tthing\x01 \xff end  ";
	char *s;

	(void)state;
	s = provider_clean(dirty, sizeof(dirty) - 1, 100);
	assert_string_equal(s, "Bad thing? ? end");
	free(s);
	/* Cut on a character boundary, never inside one. */
	s = provider_clean("ab\xc3\xa9", 4, 3);
	assert_string_equal(s, "ab");
	free(s);
	s = provider_clean("", 0, 10);
	assert_string_equal(s, "");
	free(s);
}

static void
test_free_twice(void **state)
{
	struct provider_inbound in;
	struct provider_status st;
	struct provider_request r;
	struct provider_result res;

	(void)state;
	provider_inbound_init(&in);
	assert_int_equal(in.ussd_new, -1);
	in.text = xstrdup("x");
	provider_inbound_free(&in);
	assert_null(in.text);
	provider_inbound_free(&in);
	provider_inbound_free(NULL);
	provider_status_init(&st);
	st.id = xstrdup("1");
	provider_status_free(&st);
	provider_status_free(&st);
	provider_status_free(NULL);
	memset(&r, 0, sizeof(r));
	r.url = xstrdup("http://127.0.0.1/");
	assert_int_equal(provider_request_header(&r, "A: 1"), 0);
	/* No header may smuggle in another line. */
	assert_int_equal(provider_request_header(&r, "B: 1\r\nC: 2"), -1);
	assert_null(r.headers[1]);
	/* A final %s joined without printf, the rest by printf: the same. */
	assert_int_equal(provider_request_header(&r, "Key: %s", "k1"), 0);
	assert_string_equal(r.headers[1], "Key: k1");
	assert_int_equal(provider_request_header(&r, "%s", "Whole: line"), 0);
	assert_string_equal(r.headers[2], "Whole: line");
	assert_int_equal(provider_request_header(&r, "N: %d%%", 50), 0);
	assert_string_equal(r.headers[3], "N: 50%");
	assert_int_equal(provider_request_header(&r, "S: %s.", "x"), 0);
	assert_string_equal(r.headers[4], "S: x.");
	assert_int_equal(provider_request_header(&r, "V: %s", "a\nB: b"), -1);
	assert_null(r.headers[5]);
	assert_int_equal(provider_request_header(&r, "E: %s", ""), 0);
	assert_string_equal(r.headers[5], "E: ");
	assert_int_equal(provider_request_header(&r, "F: 6"), 0);
	/* PROVIDER_MAX_HEADERS (7) held: no eighth. */
	assert_int_equal(provider_request_header(&r, "G: %s", "7"), -1);
	assert_null(r.headers[7]);
	provider_request_free(&r);
	provider_request_free(&r);
	provider_request_free(NULL);
	memset(&res, 0, sizeof(res));
	provider_fail(&res, PROVIDER_PERMFAIL, "no %s", "way");
	assert_string_equal(res.error, "no way");
	provider_result_free(&res);
	provider_result_free(&res);
	provider_result_free(NULL);
}

/*
 * Kannel's dlr-url, read back the way Kannel reads it, is the status URL
 * with the message id and a literal %d.
 */
static void
test_kannel_dlr_url(void **state)
{
	struct channel_config cfg;
	struct provider_msg msg;
	struct provider_request r;
	struct form f;
	const char *q, *err = NULL;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.type = CHANNEL_KANNEL;
	cfg.api_url = "http://127.0.0.1:13013";
	cfg.username = "baraza";
	cfg.password = "p&ss w=rd";
	memset(&msg, 0, sizeof(msg));
	msg.id = 9001;
	msg.to = "+254700000001";
	msg.text = "Habari & karibu 100%";
	msg.status_url = "https://gw.example.org/hooks/kn/status?secret=s3";
	assert_int_equal(provider_kannel.build_send(&cfg, &msg, &r), 0);
	q = strchr(r.url, '?');
	assert_non_null(q);
	assert_int_equal(form_parse(&f, q + 1, strlen(q + 1), &err), 0);
	assert_string_equal(form_get(&f, "password"), "p&ss w=rd");
	assert_string_equal(form_get(&f, "text"), "Habari & karibu 100%");
	assert_string_equal(form_get(&f, "dlr-url"),
	    "https://gw.example.org/hooks/kn/status?secret=s3&id=9001"
	    "&status=%d");
	assert_null(form_get(&f, "from"));
	form_free(&f);
	provider_request_free(&r);
}

/*
 * The http channel signs what it sends with the time it sends it: the
 * header verifies now, under the channel's key, over the exact body, and
 * no longer once SIG_MAX_SKEW has passed.
 */
static void
test_http_send_signed_now(void **state)
{
	struct channel_config cfg;
	struct provider_msg msg;
	struct provider_request r;
	const char *h = NULL;
	int64_t t;
	size_t i;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.type = CHANNEL_HTTP;
	cfg.api_url = "http://127.0.0.1:9/send";
	cfg.signing_key = "k3y";
	memset(&msg, 0, sizeof(msg));
	msg.id = 7;
	msg.to = "+254700000001";
	msg.text = "Maji yamerudi";
	assert_int_equal(provider_http.build_send(&cfg, &msg, &r), 0);
	for (i = 0; r.headers[i] != NULL; i++)
		if (strncmp(r.headers[i], "X-Baraza-Signature: ", 20) == 0)
			h = r.headers[i] + 20;
	assert_non_null(h);
	assert_int_equal(strncmp(h, "t=", 2), 0);
	t = strtoll(h + 2, NULL, 10);
	/* Signed at the time of sending (now_ms() was read after it). */
	assert_true(t <= now_ms() / 1000 && t >= now_ms() / 1000 - 60);
	assert_int_equal(sig_http_verify(cfg.signing_key, now_ms() / 1000,
			     r.req.body, r.req.body_len, h),
	    SIG_VALID);
	assert_int_equal(sig_http_verify(cfg.signing_key, t + SIG_MAX_SKEW + 1,
			     r.req.body, r.req.body_len, h),
	    SIG_STALE);
	assert_int_equal(
	    sig_http_verify("other", t, r.req.body, r.req.body_len, h),
	    SIG_MISMATCH);
	provider_request_free(&r);

	/* Without a key (allow_unsigned), nothing is signed. */
	cfg.signing_key = NULL;
	assert_int_equal(provider_http.build_send(&cfg, &msg, &r), 0);
	for (i = 0; r.headers[i] != NULL; i++)
		assert_null(strstr(r.headers[i], "X-Baraza-Signature"));
	provider_request_free(&r);
}

/* Missing settings make build_send fail cleanly for every type. */
static void
test_build_needs_settings(void **state)
{
	struct channel_config cfg;
	struct provider_msg msg;
	struct provider_request r;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	memset(&msg, 0, sizeof(msg));
	msg.id = 1;
	msg.to = "+254700000001";
	msg.text = "x";
	assert_int_equal(
	    provider_africastalking.build_send(&cfg, &msg, &r), -1);
	assert_int_equal(provider_twilio.build_send(&cfg, &msg, &r), -1);
	assert_int_equal(provider_kannel.build_send(&cfg, &msg, &r), -1);
	assert_int_equal(provider_http.build_send(&cfg, &msg, &r), -1);
	assert_int_equal(provider_infobip.build_send(&cfg, &msg, &r), -1);
	assert_int_equal(provider_vonage.build_send(&cfg, &msg, &r), -1);
	/* A header value with a line break is refused, not sent. */
	cfg.api_url = "http://127.0.0.1:9";
	cfg.username = "u";
	cfg.api_key = "key\r\nX-Evil: 1";
	assert_int_equal(
	    provider_africastalking.build_send(&cfg, &msg, &r), -1);
	assert_null(r.url);
	assert_int_equal(provider_infobip.build_send(&cfg, &msg, &r), -1);
	assert_null(r.url);
	/* Text that is not UTF-8 cannot go into JSON. */
	msg.text = "\xff";
	assert_int_equal(provider_http.build_send(&cfg, &msg, &r), -1);
	cfg.api_key = "key";
	assert_int_equal(provider_infobip.build_send(&cfg, &msg, &r), -1);
	assert_null(r.body);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(void)
{
	static const struct CMUnitTest fixed[] = {
	    cmocka_unit_test(test_provider_for),
	    cmocka_unit_test(test_answers),
	    cmocka_unit_test(test_utf8),
	    cmocka_unit_test(test_clean),
	    cmocka_unit_test(test_free_twice),
	    cmocka_unit_test(test_kannel_dlr_url),
	    cmocka_unit_test(test_http_send_signed_now),
	    cmocka_unit_test(test_build_needs_settings),
	};
	struct CMUnitTest *tests;
	char *names[MAX_CASES], *dir;
	struct dirent *de;
	size_t n = 0, i;
	DIR *d;
	int rc;

	/* Every data file but the README is a case, run in name order. */
	dir = xasprintf("%s/%s", srcdir(), DATA_DIR);
	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "test_providers: cannot open %s\n", dir);
		free(dir);
		return 1;
	}
	while ((de = readdir(d)) != NULL && n < MAX_CASES) {
		if (de->d_name[0] == '.' || strcmp(de->d_name, "README") == 0)
			continue;
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	free(dir);
	if (n == 0) {
		fprintf(stderr, "test_providers: no data files\n");
		return 1;
	}
	qsort(names, n, sizeof(names[0]), name_cmp);

	tests = xcalloc(n + nitems(fixed), sizeof(*tests));
	memcpy(tests, fixed, sizeof(fixed));
	for (i = 0; i < n; i++) {
		tests[nitems(fixed) + i].name = names[i];
		tests[nitems(fixed) + i].test_func = test_case;
		tests[nitems(fixed) + i].initial_state = names[i];
	}
	rc = _cmocka_run_group_tests(
	    "providers", tests, n + nitems(fixed), NULL, NULL);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(tests);
	return rc;
}
