/*
 * test_scrub.c: phone numbers out of what others read. The digit run rule
 * of scrub.h and its replacement, the masking of phone numbers in logs,
 * free text in the log (numbers masked, control characters gone, whole
 * lines captured from stderr), and Open311 output served scrubbed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "council/open311.h"
#include "gateway/metrics.h"
#include "gateway/store.h"
#include "lib/log.h"
#include "lib/scrub.h"
#include "lib/util.h"

#define T0 INT64_C(1795000000000) /* 2026-11-18T11:06:40Z */

/* Asserts that scrub_numbers turns in into want. */
static void
scrubs(const char *in, const char *want)
{
	char *got = scrub_numbers(in);

	assert_non_null(got);
	if (strcmp(got, want) != 0)
		fail_msg("scrub_numbers(\"%s\") = \"%s\", want \"%s\"", in, got,
		    want);
	free(got);
}

/* The cases of interfaces.md, "Open data never carries a phone number". */
static void
test_numbers_removed(void **state)
{
	(void)state;
	scrubs("0712 999 888", "[number removed]");
	scrubs("+254 712-999-888", "[number removed]");
	scrubs("call 0712.999.888 now", "call [number removed] now");
	scrubs("call me 0712 999 888", "call me [number removed]");
	scrubs("+254712999888", "[number removed]");
	scrubs("0712999888, or 0733111222.",
	    "[number removed], or [number removed].");
	/* Seven digits with single separators between them. */
	scrubs("12 34 56 7", "[number removed]");
	scrubs("1 2 3 4 5 6 7", "[number removed]");
	scrubs("1234567", "[number removed]");
	/* Mixed separators are still single ones. */
	scrubs("0712-999 888", "[number removed]");
	/* A date is 8 digits with single dashes: removed by the rule. */
	scrubs("since 2026-12-01", "since [number removed]");
	/* The '+' is part of the number; a separator after it is not. */
	scrubs("tel:+254712999888;", "tel:[number removed];");
	scrubs("+ 254712999888", "+ [number removed]");
	/* A run may start inside a word. */
	scrubs("ID AB1234567X", "ID AB[number removed]X");
	/* A trailing separator stays outside the run. */
	scrubs("0712.999.888. Thanks", "[number removed]. Thanks");
	scrubs("0712 999 888 ", "[number removed] ");
	/* Up to three separators between groups of three digits or more:
	 * the ways people write numbers; a short group stays apart. */
	scrubs("0712  999 888", "[number removed]");
	scrubs("Ward 4, 0712999888", "Ward 4, [number removed]");
	scrubs("Ward 4 - 0712 345 678", "Ward 4 - [number removed]");
	scrubs("Plot 12 (0712 345 678)", "Plot 12 ([number removed])");
	scrubs("0712--999-888", "[number removed]");
	scrubs("0712 - 345 - 678", "[number removed]");
	scrubs("(0712) 345 678", "([number removed]");
	scrubs("0712_345_678 and 0712\t345\t678",
	    "[number removed] and [number removed]");
	scrubs("on 07/12/2026", "on 07/12/2026"); /* a slash ends a run */
	/* Digits other than ASCII ones count too. */
	scrubs("\xd9\xa0\xd9\xa7\xd9\xa9\xd9\xa8\xd9\xa7\xd9\xa6"
	       "\xd9\xa5",
	    "[number removed]");
	scrubs("x \xef\xbc\x90\xef\xbc\x97\xef\xbc\x99\xef\xbc\x98 "
	       "\xef\xbc\x97\xef\xbc\x96\xef\xbc\x95 y",
	    "x [number removed] y");
	/* Devanagari and Bengali digits (०७१२९९९८८८, ০৭১২৯৯৯৮৮৮). */
	scrubs("call \xe0\xa5\xa6\xe0\xa5\xad\xe0\xa5\xa7\xe0\xa5\xa8"
	       "\xe0\xa5\xaf\xe0\xa5\xaf\xe0\xa5\xaf\xe0\xa5\xae"
	       "\xe0\xa5\xae\xe0\xa5\xae now",
	    "call [number removed] now");
	scrubs("\xe0\xa7\xa6\xe0\xa7\xad\xe0\xa7\xa7\xe0\xa7\xa8"
	       "\xe0\xa7\xaf\xe0\xa7\xaf\xe0\xa7\xaf",
	    "[number removed]");
	/* The other spaces and dashes between groups: no-break space, en
	 * dash, thin space, ideographic space, zero-width space, narrow
	 * no-break space, minus sign, em dash with spaces. */
	scrubs("0712\xc2\xa0"
	       "999\xc2\xa0"
	       "888",
	    "[number removed]");
	scrubs("0712\xe2\x80\x93"
	       "999\xe2\x80\x93"
	       "888",
	    "[number removed]");
	scrubs("a 0712\xe2\x80\x89"
	       "999\xe2\x80\x89"
	       "888 b",
	    "a [number removed] b");
	scrubs("0712\xe3\x80\x80"
	       "999\xe3\x80\x80"
	       "888",
	    "[number removed]");
	scrubs("0712\xe2\x80\x8b"
	       "999\xe2\x80\x8b"
	       "888",
	    "[number removed]");
	scrubs("0712\xe2\x80\xaf"
	       "999 888",
	    "[number removed]");
	scrubs("0712\xe2\x88\x92"
	       "999-888",
	    "[number removed]");
	scrubs("0712 \xe2\x80\x94 345 \xe2\x80\x94 678", "[number removed]");
	/* A short group stays apart across them as across ASCII ones. */
	scrubs("Ward 4 \xe2\x80\x94 0712 345 678",
	    "Ward 4 \xe2\x80\x94 [number removed]");
}

static void
test_numbers_kept(void **state)
{
	(void)state;
	scrubs("123456", "123456");
	scrubs("12 34 56", "12 34 56");
	scrubs("house 12, plot 34567", "house 12, plot 34567");
	/* Four separators, or another character (':'), break a run. */
	scrubs("0712    999 888", "0712    999 888");
	scrubs("12:30 on 3.4.2026", "12:30 on 3.4.2026");
	scrubs("0712:999:888", "0712:999:888");
	scrubs("", "");
	scrubs("no digits at all", "no digits at all");
	scrubs("+", "+");
	scrubs("a+b", "a+b");
	assert_null(scrub_numbers(NULL));
}

/* UTF-8 and other bytes around a number are left exactly as they were. */
static void
test_numbers_utf8(void **state)
{
	(void)state;
	scrubs("Bomba — piga 0712 999 888 — asante ✓",
	    "Bomba — piga [number removed] — asante ✓");
	scrubs("caf\xc3\xa9 0712999888\xe2\x82\xac", "caf\xc3\xa9 [number "
						     "removed]\xe2\x82\xac");
	/* Bytes that are not UTF-8 are not this function's business. */
	scrubs("\xff 1234567 \xfe", "\xff [number removed] \xfe");
	/* Two full-width digits: digits, too few to be a number. */
	scrubs("\xef\xbc\x90\xef\xbc\x97", "\xef\xbc\x90\xef\xbc\x97");
}

static void
test_next_run(void **state)
{
	struct scrub_run r;

	(void)state;
	assert_int_equal(scrub_next("call +254 712-999-888 now", &r), 0);
	assert_int_equal(r.start, 5);
	assert_int_equal(r.len, 16);
	assert_int_equal(r.digits, 12);
	assert_int_equal(r.longest, 3);
	assert_int_equal(scrub_next("ab 123456.", &r), 0);
	assert_int_equal(r.start, 3);
	assert_int_equal(r.len, 6);
	assert_int_equal(r.longest, 6);
	assert_int_equal(scrub_next("none here", &r), -1);
	assert_int_equal(scrub_next("", &r), -1);
}

/* At most the first four characters and the last two; length kept. */
static void
test_phone_mask(void **state)
{
	char out[32], small[8];

	(void)state;
	assert_string_equal(
	    scrub_phone("+254700000001", out, sizeof(out)), "+254*******01");
	assert_string_equal(
	    scrub_phone("+15005550006", out, sizeof(out)), "+150******06");
	assert_string_equal(
	    scrub_phone("0712999888", out, sizeof(out)), "0712****88");
	assert_string_equal(scrub_phone("40404", out, sizeof(out)), "****");
	assert_string_equal(scrub_phone("", out, sizeof(out)), "****");
	assert_string_equal(scrub_phone(NULL, out, sizeof(out)), "****");
	/* A kept character that is not printable ASCII is hidden too. */
	assert_string_equal(
	    scrub_phone("+25\n700000001", out, sizeof(out)), "+25********01");
	/* Cut to the buffer, never past it. */
	assert_string_equal(
	    scrub_phone("+254700000001", small, sizeof(small)), "+254***");
	/* The log and `baraza stats` use the same mask. */
	log_set_level(L_INFO);
	assert_string_equal(
	    log_phone("+254700000001", out, sizeof(out)), "+254*******01");
	assert_string_equal(
	    metrics_mask_phone("+254700000001", out, sizeof(out)),
	    "+254*******01");
}

/* Free text in the log: numbers masked, separated ones too. */
static void
test_log_text_numbers(void **state)
{
	char out[128];

	(void)state;
	log_set_level(L_INFO);
	assert_string_equal(log_text("call me 0712 999 888", out, sizeof(out)),
	    "call me 07** *** *88");
	assert_string_equal(
	    log_text("+254 712-999-888", out, sizeof(out)), "+25* ***-***-*88");
	/* Six digits in a row were masked before and still are. */
	assert_string_equal(
	    log_text("account 123456", out, sizeof(out)), "account 12**56");
	assert_string_equal(
	    log_text("at 127.0.0.1 port 9000", out, sizeof(out)),
	    "at 127.0.0.1 port 9000");
}

/* A viewer's free text: masked as the log does, the rest as it is. */
static void
test_mask_numbers(void **state)
{
	static const char *const in[] = {"call me 0712 999 888\nplease",
	    "+254 712-999-888", "account 123456", "at 127.0.0.1 port 9000",
	    "BAL 1234567 and 0722333444",
	    "Kilimani \"1.5 km\" near 0712.345.678", "", "2026-12-01"};
	char out[128];
	size_t i;

	(void)state;
	assert_null(scrub_mask_numbers(NULL));
	/* The log's masks, newlines and quotes kept. */
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		char *m = scrub_mask_numbers(in[i]);

		if (strchr(in[i], '\n') == NULL && strchr(in[i], '"') == NULL)
			assert_string_equal(
			    m, log_text(in[i], out, sizeof(out)));
		assert_int_equal(strlen(m), strlen(in[i]));
		free(m);
	}
	{
		char *m = scrub_mask_numbers(in[0]);

		assert_string_equal(m, "call me 07** *** *88\nplease");
		free(m);
	}
	{
		/* Seven fullwidth digits: the middle three masked byte by
		   byte, the length kept. */
		const char *fw = "\xef\xbc\x90\xef\xbc\x97\xef\xbc\x91"
				 "\xef\xbc\x92\xef\xbc\x93\xef\xbc\x94"
				 "\xef\xbc\x95";
		char *m = scrub_mask_numbers(fw);

		assert_string_equal(m, "\xef\xbc\x90\xef\xbc\x97*********"
				       "\xef\xbc\x94\xef\xbc\x95");
		free(m);
		m = scrub_mask_numbers(in[5]);
		assert_string_equal(m, "Kilimani \"1.5 km\" near 07**.***.*78");
		free(m);
		m = scrub_mask_numbers(in[4]);
		assert_string_equal(m, "BAL 12***67 and 07******44");
		free(m);
	}
}

/* No control character gets into the log from free text. */
static void
test_log_text_controls(void **state)
{
	char out[128], tiny[6];
	size_t i;

	(void)state;
	log_set_level(L_INFO);
	log_text(
	    "bad\n2026-01-01T00:00:00.000Z ERROR forged: x", out, sizeof(out));
	assert_null(strchr(out, '\n'));
	assert_string_equal(log_text("a\rb\tc\x1b[31md\x7f"
				     "e\x01",
				out, sizeof(out)),
	    "a b c [31md e ");
	/* A C1 control (U+009B, CSI) goes; other UTF-8 stays. */
	assert_string_equal(
	    log_text(
		"x\xc2\x9by \xc3\xa9t\xc3\xa9 \xe2\x9c\x93", out, sizeof(out)),
	    "x y \xc3\xa9t\xc3\xa9 \xe2\x9c\x93");
	/* A quote cannot close the value it is logged in. */
	assert_string_equal(log_text("x\" status=200 y=\"z", out, sizeof(out)),
	    "x' status=200 y='z");
	/* Controls and numbers go at level debug too. */
	log_set_level(L_DEBUG);
	assert_string_equal(
	    log_text("0712 999 888\n+254700000001", out, sizeof(out)),
	    "07** *** *88 +25********01");
	log_set_level(L_INFO);
	for (i = 1; i < 0x20; i++) {
		char in[4] = {'a', (char)i, 'b', '\0'};

		assert_string_equal(log_text(in, out, sizeof(out)), "a b");
	}
	/* Cut to the buffer, never inside a UTF-8 character. */
	assert_string_equal(
	    log_text("abc\xe2\x9c\x93z", tiny, sizeof(tiny)), "abc");
	assert_string_equal(
	    log_text("abc\xc3\xa9z", tiny, sizeof(tiny)), "abc\xc3\xa9");
}

/* Runs log_msg with stderr in a file; returns what was written (owned). */
static char *
capture_log(int level, const char *module, const char *text)
{
	char path[] = "/tmp/test_scrub_XXXXXX", *out;
	int fd, saved;
	long n;
	FILE *fp;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	log_msg(level, module, "refused reason=\"%s\"", text);
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	fp = fdopen(fd, "r");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	out = xcalloc(1, (size_t)n + 1);
	assert_int_equal(fread(out, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	unlink(path);
	return out;
}

/*
 * A whole log line: one line however the text tries to start another, no
 * escape sequence, and the number masked.
 */
static void
test_log_line(void **state)
{
	char scrub[256], *out, *nl;
	size_t i;

	(void)state;
	log_set_level(L_INFO);
	out = capture_log(L_INFO, "hooks",
	    log_text("x\"\r\n2026-11-29T11:00:00.000Z ERROR admin: \x1b[2K"
		     "token=0712 999 888",
		scrub, sizeof(scrub)));
	nl = strchr(out, '\n');
	assert_non_null(nl);
	assert_string_equal(nl + 1, ""); /* exactly one line */
	for (i = 0; out + i < nl; i++)
		assert_true((unsigned char)out[i] >= 0x20 && out[i] != 0x7f);
	assert_non_null(strstr(out, " INFO hooks: refused reason=\"x'  "));
	assert_non_null(strstr(out, "token=07** *** *88\"\n"));
	assert_null(strstr(out, "0712"));
	free(out);

	/* Even text not passed through log_text cannot break the line. */
	out = capture_log(L_WARN, "t",
	    "a\nb\x1b"
	    "c\td\x7f");
	assert_non_null(strstr(out, " WARN t: refused reason=\"a b c d \"\n"));
	assert_int_equal(strchr(out, '\n') - out + 1, (long)strlen(out));
	free(out);
}

/* ---- Open311 ---- */

static const char *
field(json_t *o, const char *name)
{
	json_t *v = json_object_get(o, name);

	assert_non_null(v);
	return json_string_value(v);
}

/*
 * A report whose details, location, note and even category carry numbers
 * is served with each of them removed, in the list and alone; the times
 * we write ourselves stay.
 */
static void
test_open311_scrubbed(void **state)
{
	struct store *st = NULL;
	char *err = NULL, *dump;
	json_t *a, *o;
	int64_t id;
	int k;

	(void)state;
	if (store_open(":memory:", 0, &st, &err) != 0)
		fail_msg("store_open: %s", err);
	assert_int_equal(
	    store_report_create(st, 0, "report", "water_leak",
		"Kilimani, call 0712 999 888",
		"Pipe burst since 2026-12-01, ring +254 712-999-888 "
		"or 0712.999.888 now",
		T0, &id),
	    0);
	assert_int_equal(store_report_add_event(st, id, "in_progress",
			     "Called back 0733111222; crew sent", T0 + 60000),
	    0);
	/* A category a flow took from a free answer. */
	assert_int_equal(store_report_create(st, 0, "report", "call_0712999888",
			     "Ward 12", "No water", T0, &id),
	    0);

	for (k = 0; k < 2; k++) {
		if (k == 0)
			assert_int_equal(
			    open311_requests(st, NULL, "", 0, &a), 200);
		else
			assert_int_equal(
			    open311_requests(st, NULL, NULL, 1, &a), 200);
		assert_int_equal(json_array_size(a), k == 0 ? 2 : 1);
		o = json_array_get(a, k == 0 ? 1 : 0);
		assert_int_equal(json_integer_value(
				     json_object_get(o, "service_request_id")),
		    1);
		assert_string_equal(
		    field(o, "address"), "Kilimani, call [number removed]");
		assert_string_equal(field(o, "description"),
		    "Pipe burst since [number removed], ring [number removed] "
		    "or [number removed] now");
		assert_string_equal(field(o, "status_notes"),
		    "Called back [number removed]; crew sent");
		assert_string_equal(field(o, "service_code"), "water_leak");
		/* Our own times are not resident text: never scrubbed. */
		assert_string_equal(
		    field(o, "requested_datetime"), "2026-11-18T11:06:40Z");
		assert_string_equal(
		    field(o, "updated_datetime"), "2026-11-18T11:07:40Z");
		if (k == 0) {
			o = json_array_get(a, 0);
			assert_string_equal(
			    field(o, "service_code"), "call_[number removed]");
			assert_string_equal(
			    field(o, "service_name"), "Call [number removed]");
			assert_string_equal(field(o, "address"), "Ward 12");
		}
		dump = json_dumps(a, 0);
		assert_null(strstr(dump, "999"));
		assert_null(strstr(dump, "0733"));
		free(dump);
		json_decref(a);
	}

	a = open311_services(st, NULL);
	assert_non_null(a);
	dump = json_dumps(a, 0);
	assert_null(strstr(dump, "0712"));
	assert_non_null(
	    strstr(dump, "\"service_code\": \"call_[number removed]\""));
	free(dump);
	json_decref(a);
	store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_numbers_removed),
	    cmocka_unit_test(test_numbers_kept),
	    cmocka_unit_test(test_numbers_utf8),
	    cmocka_unit_test(test_next_run),
	    cmocka_unit_test(test_phone_mask),
	    cmocka_unit_test(test_log_text_numbers),
	    cmocka_unit_test(test_mask_numbers),
	    cmocka_unit_test(test_log_text_controls),
	    cmocka_unit_test(test_log_line),
	    cmocka_unit_test(test_open311_scrubbed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
