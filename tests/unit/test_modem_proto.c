/*
 * test_modem_proto.c: the modem worker's framed protocol: round trips of
 * every message, frames split and joined at any byte, and bad frames
 * rejected with an error instead of a crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "modem/proto.h"

/* What the collecting callback saw: a deep copy of each message. */
struct seen {
	int n;                 /* messages seen */
	struct modem_msg last; /* the last one, strings copied below */
	char text[MODEM_PROTO_MAX_TEXT + 1];
	char from[64], to[64], key[64], error[256], model[64], device[256];
	int stop_after; /* return 7 after this many, 0: never */
};

static void
copy(char *dst, size_t len, const char *src)
{
	if (src == NULL)
		dst[0] = '\0';
	else {
		assert_true(strlen(src) < len);
		strcpy(dst, src);
	}
}

static int
collect(const struct modem_msg *m, void *arg)
{
	struct seen *s = arg;

	s->n++;
	s->last = *m;
	copy(s->text, sizeof(s->text), m->text);
	copy(s->from, sizeof(s->from), m->from);
	copy(s->to, sizeof(s->to), m->to);
	copy(s->key, sizeof(s->key), m->key);
	copy(s->error, sizeof(s->error), m->error);
	copy(s->model, sizeof(s->model), m->model);
	copy(s->device, sizeof(s->device), m->device);
	/* last's string pointers die with the callback: use the copies. */
	if (s->stop_after > 0 && s->n >= s->stop_after)
		return 7;
	return 0;
}

/* Encodes m into a fresh buffer; the caller frees it. */
static void
encode(const struct modem_msg *m, struct buf *b)
{
	buf_init(b, 1 << 20);
	assert_int_equal(modem_proto_encode(m, b), 0);
	assert_true(b->len > 4);
}

/* Feeds a whole buffer to a new reader and expects one message. */
static void
roundtrip(const struct modem_msg *m, struct seen *s)
{
	struct modem_proto_reader r;
	struct buf b;

	encode(m, &b);
	memset(s, 0, sizeof(*s));
	modem_proto_reader_init(&r);
	assert_int_equal(modem_proto_feed(&r, b.data, b.len, collect, s), 0);
	assert_int_equal(s->n, 1);
	assert_int_equal(s->last.type, m->type);
	modem_proto_reader_free(&r);
	buf_free(&b);
}

static void
test_roundtrip_all(void **state)
{
	struct modem_msg m;
	struct seen *s = malloc(sizeof(*s));

	(void)state;
	assert_non_null(s);
	memset(&m, 0, sizeof(m));
	m.type = MODEM_MSG_INBOUND;
	m.id = 42;
	m.key = "00ff00ff00ff00ff";
	m.from = "+254700000001";
	m.text = "Habari \xe2\x98\xba \"quoted\"\nline";
	m.time = "2026-11-29T11:04:00Z";
	m.parts = 2;
	m.total = 3;
	roundtrip(&m, s);
	assert_int_equal(s->last.id, 42);
	assert_string_equal(s->text, m.text);
	assert_string_equal(s->from, m.from);
	assert_string_equal(s->key, m.key);
	assert_int_equal(s->last.parts, 2);
	assert_int_equal(s->last.total, 3);

	memset(&m, 0, sizeof(m));
	m.type = MODEM_MSG_SEND;
	m.id = -5;
	m.to = "+254711000002";
	m.text = "";
	m.report = 1;
	roundtrip(&m, s);
	assert_int_equal(s->last.id, -5);
	assert_string_equal(s->to, "+254711000002");
	assert_string_equal(s->text, "");
	assert_int_equal(s->last.report, 1);

	memset(&m, 0, sizeof(m));
	m.type = MODEM_MSG_SENT;
	m.id = 9;
	m.outcome = MODEM_PERMFAIL;
	m.error = "status 1";
	roundtrip(&m, s);
	assert_int_equal(s->last.outcome, MODEM_PERMFAIL);
	assert_string_equal(s->error, "status 1");

	memset(&m, 0, sizeof(m));
	m.type = MODEM_MSG_REPORT;
	m.id = 3;
	m.reference = "17";
	m.outcome = MODEM_PERMFAIL;
	m.error = "status report 0x41";
	roundtrip(&m, s);
	assert_int_equal(s->last.type, MODEM_MSG_REPORT);
	assert_int_equal(s->last.id, 3);
	assert_int_equal(s->last.outcome, MODEM_PERMFAIL);
	assert_string_equal(s->error, "status report 0x41");

	memset(&m, 0, sizeof(m));
	m.type = MODEM_MSG_HEARTBEAT;
	m.up = 1;
	m.signal = 100;
	m.network = "home";
	roundtrip(&m, s);
	assert_int_equal(s->last.up, 1);
	assert_int_equal(s->last.signal, 100);

	memset(&m, 0, sizeof(m));
	m.type = MODEM_MSG_CONFIG;
	m.device = "/tmp/phone";
	m.connection = "none";
	m.model = "dummy";
	m.poll_interval_ms = 5000;
	m.multipart_timeout_ms = 600000;
	roundtrip(&m, s);
	assert_string_equal(s->device, "/tmp/phone");
	assert_string_equal(s->model, "dummy");
	assert_int_equal(s->last.poll_interval_ms, 5000);
	assert_int_equal(s->last.multipart_timeout_ms, 600000);

	memset(&m, 0, sizeof(m));
	m.type = MODEM_MSG_HELLO;
	m.model = "Dummy";
	m.imei = "999999999999999";
	roundtrip(&m, s);
	assert_string_equal(s->model, "Dummy");

	memset(&m, 0, sizeof(m));
	m.type = MODEM_MSG_SENDING;
	m.id = 3;
	m.part = 2;
	m.parts = 3;
	roundtrip(&m, s);
	assert_int_equal(s->last.part, 2);

	memset(&m, 0, sizeof(m));
	m.type = MODEM_MSG_ERROR;
	m.error = "connect: timeout";
	m.code = 14;
	roundtrip(&m, s);
	assert_int_equal(s->last.code, 14);

	memset(&m, 0, sizeof(m));
	m.type = MODEM_MSG_ACK;
	m.id = 77;
	roundtrip(&m, s);
	assert_int_equal(s->last.id, 77);

	memset(&m, 0, sizeof(m));
	m.type = MODEM_MSG_BALANCE;
	roundtrip(&m, s);
	assert_string_equal(s->text, "");
	m.text = "Balance KSh 12.50";
	roundtrip(&m, s);
	assert_string_equal(s->text, "Balance KSh 12.50");

	memset(&m, 0, sizeof(m));
	m.type = MODEM_MSG_STOP;
	roundtrip(&m, s);
	free(s);
}

/* Three frames fed one byte at a time, then all at once. */
static void
test_split_and_joined(void **state)
{
	struct modem_proto_reader r;
	struct modem_msg m;
	struct seen *s = calloc(1, sizeof(*s));
	struct buf b;
	size_t i;

	(void)state;
	assert_non_null(s);
	buf_init(&b, 1 << 20);
	memset(&m, 0, sizeof(m));
	m.type = MODEM_MSG_ACK;
	for (m.id = 1; m.id <= 3; m.id++)
		assert_int_equal(modem_proto_encode(&m, &b), 0);

	modem_proto_reader_init(&r);
	for (i = 0; i < b.len; i++)
		assert_int_equal(
		    modem_proto_feed(&r, b.data + i, 1, collect, s), 0);
	assert_int_equal(s->n, 3);
	assert_int_equal(s->last.id, 3);
	modem_proto_reader_free(&r);

	memset(s, 0, sizeof(*s));
	modem_proto_reader_init(&r);
	assert_int_equal(modem_proto_feed(&r, b.data, b.len, collect, s), 0);
	assert_int_equal(s->n, 3);
	modem_proto_reader_free(&r);

	/* A callback's non-zero value stops the feed and comes back. */
	memset(s, 0, sizeof(*s));
	s->stop_after = 2;
	modem_proto_reader_init(&r);
	assert_int_equal(modem_proto_feed(&r, b.data, b.len, collect, s), 7);
	assert_int_equal(s->n, 2);
	modem_proto_reader_free(&r);
	buf_free(&b);
	free(s);
}

/* Builds a raw frame with the given JSON body. */
static void
raw_frame(struct buf *b, const char *json, size_t len)
{
	unsigned char hdr[4];

	hdr[0] = (unsigned char)(len >> 24);
	hdr[1] = (unsigned char)(len >> 16);
	hdr[2] = (unsigned char)(len >> 8);
	hdr[3] = (unsigned char)len;
	buf_init(b, 1 << 20);
	assert_int_equal(buf_append(b, hdr, 4), 0);
	assert_int_equal(buf_append(b, json, len), 0);
}

/* Expects the frame with this body to be refused. */
static void
expect_bad(const char *json, size_t len)
{
	struct modem_proto_reader r;
	struct seen *s = calloc(1, sizeof(*s));
	struct buf b;
	struct modem_msg ok;
	struct buf good;

	assert_non_null(s);
	raw_frame(&b, json, len);
	modem_proto_reader_init(&r);
	assert_int_equal(modem_proto_feed(&r, b.data, b.len, collect, s), -1);
	assert_int_equal(s->n, 0);
	assert_true(r.error[0] != '\0');
	/* The stream is dead: even a good frame is refused now. */
	memset(&ok, 0, sizeof(ok));
	ok.type = MODEM_MSG_STOP;
	encode(&ok, &good);
	assert_int_equal(
	    modem_proto_feed(&r, good.data, good.len, collect, s), -1);
	assert_int_equal(s->n, 0);
	modem_proto_reader_free(&r);
	buf_free(&good);
	buf_free(&b);
	free(s);
}

#define BAD(s) expect_bad(s, sizeof(s) - 1)

static void
test_bad_frames(void **state)
{
	(void)state;
	BAD("not json");
	BAD("[1,2]");
	BAD("\"stop\"");
	BAD("{}");
	BAD("{\"type\":5}");
	BAD("{\"type\":\"nope\"}");
	BAD("{\"type\":\"ack\"}");
	BAD("{\"type\":\"ack\",\"id\":0}");
	BAD("{\"type\":\"ack\",\"id\":\"1\"}");
	BAD("{\"type\":\"ack\",\"id\":1.5}");
	BAD("{\"type\":\"heartbeat\",\"up\":1,\"signal\":5}");
	BAD("{\"type\":\"heartbeat\",\"up\":true,\"signal\":101}");
	BAD("{\"type\":\"send\",\"id\":1,\"to\":\"\",\"text\":\"x\"}");
	BAD("{\"type\":\"send\",\"id\":1,\"to\":\"+1\",\"text\":"
	    "\"a\\u0000b\"}");
	BAD("{\"type\":\"sent\",\"id\":1,\"outcome\":\"MAYBE\"}");
	BAD("{\"type\":\"inbound\",\"id\":1,\"key\":\"k\",\"from\":\"x\","
	    "\"text\":\"t\",\"parts\":3,\"total\":2}");
	BAD("{\"type\":\"stop\",\"type\":\"stop\"}");
	/* A report is final: delivered (OK) or failed (PERMFAIL). */
	BAD("{\"type\":\"report\",\"id\":1,\"reference\":\"5\","
	    "\"outcome\":\"TEMPFAIL\"}");
	BAD("{\"type\":\"report\",\"id\":1,\"reference\":\"\","
	    "\"outcome\":\"OK\"}");
	BAD("{\"type\":\"report\",\"id\":0,\"reference\":\"5\","
	    "\"outcome\":\"OK\"}");
	BAD("{\"type\":\"report\",\"id\":1,\"outcome\":\"OK\"}");
	BAD("{\"type\":\"config\",\"device\":\"d\",\"connection\":\"none\","
	    "\"model\":\"dummy\",\"poll_interval_ms\":5,"
	    "\"multipart_timeout_ms\":0}");
	/* Invalid UTF-8 inside a string. */
	BAD("{\"type\":\"error\",\"error\":\"\xff\xfe\"}");
}

/* TP-Status, 3GPP TS 23.040 9.2.3.15. */
static void
test_report_outcome(void **state)
{
	(void)state;
	assert_int_equal(modem_report_outcome(0x00), MODEM_OK);
	assert_int_equal(modem_report_outcome(0x02), MODEM_OK);
	assert_int_equal(modem_report_outcome(0x1f), MODEM_OK);
	assert_int_equal(modem_report_outcome(0x20), MODEM_TEMPFAIL);
	assert_int_equal(modem_report_outcome(0x3f), MODEM_TEMPFAIL);
	assert_int_equal(modem_report_outcome(0x40), MODEM_PERMFAIL);
	assert_int_equal(modem_report_outcome(0x45), MODEM_PERMFAIL);
	assert_int_equal(modem_report_outcome(0x60), MODEM_PERMFAIL);
	assert_int_equal(modem_report_outcome(0xff), MODEM_PERMFAIL);
	assert_int_equal(modem_report_outcome(-1), MODEM_PERMFAIL);
}

static void
test_bad_lengths(void **state)
{
	struct modem_proto_reader r;
	struct seen s;
	unsigned char zero[4] = {0, 0, 0, 0};
	unsigned char huge[4] = {0, 1, 0, 1}; /* 65537 */
	unsigned char max[4] = {0xff, 0xff, 0xff, 0xff};

	(void)state;
	memset(&s, 0, sizeof(s));
	modem_proto_reader_init(&r);
	assert_int_equal(modem_proto_feed(&r, zero, 4, collect, &s), -1);
	modem_proto_reader_free(&r);
	modem_proto_reader_init(&r);
	assert_int_equal(modem_proto_feed(&r, huge, 4, collect, &s), -1);
	modem_proto_reader_free(&r);
	modem_proto_reader_init(&r);
	assert_int_equal(modem_proto_feed(&r, max, 4, collect, &s), -1);
	modem_proto_reader_free(&r);
	assert_int_equal(s.n, 0);
	/* A truncated frame is not an error, just not a message yet. */
	modem_proto_reader_init(&r);
	assert_int_equal(
	    modem_proto_feed(&r, "\0\0\0\x10{\"type\"", 12, collect, &s), 0);
	assert_int_equal(s.n, 0);
	modem_proto_reader_free(&r);
}

static void
test_encode_refuses(void **state)
{
	struct modem_msg m;
	struct buf b;
	char *big;

	(void)state;
	buf_init(&b, 1 << 20);
	/* A send without a recipient. */
	memset(&m, 0, sizeof(m));
	m.type = MODEM_MSG_SEND;
	m.id = 1;
	m.text = "x";
	assert_int_equal(modem_proto_encode(&m, &b), -1);
	/* Invalid UTF-8. */
	m.to = "+254700000001";
	m.text = "bad \xc3\x28";
	assert_int_equal(modem_proto_encode(&m, &b), -1);
	/* A text over the limit. */
	big = malloc(MODEM_PROTO_MAX_TEXT + 2);
	assert_non_null(big);
	memset(big, 'a', MODEM_PROTO_MAX_TEXT + 1);
	big[MODEM_PROTO_MAX_TEXT + 1] = '\0';
	m.text = big;
	assert_int_equal(modem_proto_encode(&m, &b), -1);
	/* At the limit it fits. */
	big[MODEM_PROTO_MAX_TEXT] = '\0';
	assert_int_equal(modem_proto_encode(&m, &b), 0);
	free(big);
	assert_true(b.len > MODEM_PROTO_MAX_TEXT);
	buf_free(&b);
	/* A bad type. */
	m.type = (enum modem_msg_type)99;
	assert_int_equal(modem_proto_encode(&m, &b), -1);
	/* A buffer too small is left unchanged. */
	buf_init(&b, 10);
	memset(&m, 0, sizeof(m));
	m.type = MODEM_MSG_ACK;
	m.id = 1;
	assert_int_equal(modem_proto_encode(&m, &b), -1);
	assert_int_equal(b.len, 0);
	buf_free(&b);
	assert_string_equal(modem_outcome_name(MODEM_TEMPFAIL), "TEMPFAIL");
	assert_string_equal(
	    modem_proto_type_name(MODEM_MSG_INBOUND), "inbound");
	assert_null(modem_proto_type_name((enum modem_msg_type)99));
}

/* Unknown members are ignored, for forward compatibility. */
static void
test_extra_members(void **state)
{
	struct seen *s = calloc(1, sizeof(*s));
	char err[128];
	const char *j = "{\"type\":\"ack\",\"id\":5,\"future\":[1,2]}";

	(void)state;
	assert_non_null(s);
	assert_int_equal(
	    modem_proto_parse(j, strlen(j), collect, s, err, sizeof(err)), 0);
	assert_int_equal(s->n, 1);
	assert_int_equal(s->last.id, 5);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip_all),
	    cmocka_unit_test(test_split_and_joined),
	    cmocka_unit_test(test_bad_frames),
	    cmocka_unit_test(test_bad_lengths),
	    cmocka_unit_test(test_report_outcome),
	    cmocka_unit_test(test_encode_refuses),
	    cmocka_unit_test(test_extra_members),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
