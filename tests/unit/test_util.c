/*
 * test_util.c: bounded buffers, string helpers and log masking.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "lib/fold.h"
#include "lib/log.h"
#include "lib/util.h"

static void
test_buf_limit(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_puts(&b, "abcd"), 0);
	assert_int_equal(buf_puts(&b, "efgh"), 0);
	assert_string_equal(buf_cstr(&b), "abcdefgh");
	/* One byte over the maximum is refused and leaves the buffer as it was. */
	assert_int_equal(buf_puts(&b, "i"), -1);
	assert_int_equal(b.len, 8);
	assert_string_equal(buf_cstr(&b), "abcdefgh");
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_cstr(&b), "");
	assert_int_equal(buf_printf(&b, "%d-%s", 42, "x"), 0);
	assert_string_equal(buf_cstr(&b), "42-x");
	assert_int_equal(buf_printf(&b, "%s", "123456"), -1);
	/* Decimal without printf: the same text, the same limit. */
	buf_reset(&b);
	assert_int_equal(buf_putu(&b, 0), 0);
	assert_int_equal(buf_putu(&b, 42), 0);
	assert_int_equal(buf_putu(&b, 10000), 0);
	assert_string_equal(buf_cstr(&b), "04210000");
	assert_int_equal(buf_putu(&b, 7), -1);
	assert_string_equal(buf_cstr(&b), "04210000");
	buf_free(&b);
	buf_init(&b, 64);
	assert_int_equal(buf_putu(&b, 18446744073709551615ULL), 0);
	assert_string_equal(buf_cstr(&b), "18446744073709551615");
	buf_free(&b);
}

/* fmt_u writes what printf's %llu does, and says how long it is. */
static void
test_fmt_u(void **state)
{
	static const unsigned long long v[] = {0, 1, 9, 10, 99, 100, 12345,
	    999999999999ULL, 1000000000000ULL, 9223372036854775807ULL,
	    18446744073709551615ULL};
	char got[FMT_U_SIZE], want[32];
	unsigned long long x = 1;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(want, sizeof(want), "%llu", v[i]);
		assert_int_equal(fmt_u(got, v[i]), strlen(want));
		assert_string_equal(got, want);
	}
	/* Every power of ten and the number before it. */
	for (i = 0; i < 20; i++, x *= 10) {
		snprintf(want, sizeof(want), "%llu", x - 1);
		assert_int_equal(fmt_u(got, x - 1), strlen(want));
		assert_string_equal(got, want);
		snprintf(want, sizeof(want), "%llu", x);
		assert_int_equal(fmt_u(got, x), strlen(want));
		assert_string_equal(got, want);
	}
}

static void
test_buf_growth(void **state)
{
	struct buf b;
	char *s;
	int i;

	(void)state;
	buf_init(&b, 1 << 20);
	for (i = 0; i < 10000; i++)
		assert_int_equal(buf_append(&b, "0123456789", 10), 0);
	assert_int_equal(b.len, 100000);
	assert_int_equal(b.data[b.len], '\0');
	assert_memory_equal(b.data + 99990, "0123456789", 10);
	s = buf_steal(&b);
	assert_null(b.data);
	assert_int_equal(strlen(s), 100000);
	free(s);
	/* Stealing an empty buffer gives an empty string, not NULL. */
	s = buf_steal(&b);
	assert_string_equal(s, "");
	free(s);
}

static void
test_strings(void **state)
{
	char s1[] = "  \t hello world \r\n";
	char s2[] = "   ";
	char *p;

	(void)state;
	assert_string_equal(str_trim(s1), "hello world");
	assert_string_equal(str_trim(s2), "");
	assert_true(str_ieq("Stop", "STOP"));
	assert_false(str_ieq("Stop", "STOPS"));
	p = xasprintf("%s=%d", "n", 7);
	assert_string_equal(p, "n=7");
	free(p);
	p = xstrndup("abcdef", 3);
	assert_string_equal(p, "abc");
	free(p);
	p = xconcat("ussd:", "at", ":", "", "s1", (char *)NULL);
	assert_string_equal(p, "ussd:at:s1");
	free(p);
	p = xconcat("", (char *)NULL);
	assert_string_equal(p, "");
	free(p);
	p = xconcat((char *)NULL);
	assert_string_equal(p, "");
	free(p);
}

static void
test_iso8601(void **state)
{
	char out[32];

	(void)state;
	iso8601_utc(0, out, sizeof(out));
	assert_string_equal(out, "1970-01-01T00:00:00Z");
	iso8601_utc(1795950240000LL, out, sizeof(out));
	assert_string_equal(out, "2026-11-29T11:04:00Z");
}

static void
test_log_phone(void **state)
{
	char out[32];
	int saved = log_get_level();

	(void)state;
	log_set_level(L_INFO);
	assert_string_equal(
	    log_phone("+254700000001", out, sizeof(out)), "+254*******01");
	assert_string_equal(log_phone("123", out, sizeof(out)), "****");
	/* The contract has no exception for debug. */
	log_set_level(L_DEBUG);
	assert_string_equal(
	    log_phone("+254700000001", out, sizeof(out)), "+254*******01");
	assert_int_equal(log_level_parse("warn"), L_WARN);
	assert_int_equal(log_level_parse("loud"), -1);
	log_set_level(saved);
}

static void
test_log_text(void **state)
{
	char out[64];
	int saved = log_get_level();

	(void)state;
	log_set_level(L_INFO);
	assert_string_equal(
	    log_text(
		"The 'To' number +254700000001 is not valid", out, sizeof(out)),
	    "The 'To' number +25********01 is not valid");
	/* Short numbers (codes, counts) stay. */
	assert_string_equal(
	    log_text("error 21211 at line 17", out, sizeof(out)),
	    "error 21211 at line 17");
	assert_string_equal(log_text(NULL, out, sizeof(out)), "");
	/* Cut to the buffer, never past it. */
	assert_string_equal(log_text("abcdefghij", out, 5), "abcd");
	log_set_level(L_DEBUG);
	assert_string_equal(
	    log_text("+254700000001", out, sizeof(out)), "+25********01");
	log_set_level(saved);
}

/* The comma lists of query strings (reports' status, Open311's ids). */
static void
test_split_commas(void **state)
{
	char s1[] = "open,closed ,,in_progress", s2[] = "a,b,c", s3[] = "",
	     s4[] = "a, b,  ,c";
	char *v[3];

	(void)state;
	assert_int_equal(str_split_commas(s1, v, 3), 3);
	assert_string_equal(v[0], "open");
	assert_string_equal(v[1], "closed");
	assert_string_equal(v[2], "in_progress");
	assert_int_equal(str_split_commas(s2, v, 2), -1);
	assert_int_equal(str_split_commas(s3, v, 3), 0);
	/* White space goes at both ends ("?status=open,+closed"). */
	assert_int_equal(str_split_commas(s4, v, 3), 3);
	assert_string_equal(v[0], "a");
	assert_string_equal(v[1], "b");
	assert_string_equal(v[2], "c");
}

static void
test_str_id(void **state)
{
	(void)state;
	assert_true(str_id("42") == 42);
	assert_true(str_id("9007199254740992") == 9007199254740992LL);
	assert_true(str_id("9007199254740993") == -1);
	assert_true(str_id("0") == -1);
	assert_true(str_id("") == -1);
	assert_true(str_id("4x") == -1);
	assert_true(str_id("-4") == -1);
	assert_true(str_id(NULL) == -1);
	assert_true(str_id("99999999999999999999999") == -1);
}

/* A frozen clock stands still until it is moved; clock_set thaws it. */
static void
test_clock_freeze(void **state)
{
	struct timespec ts = {0, 20 * 1000 * 1000};
	int64_t at = 1796112000000LL; /* 2026-12-01T08:00Z */

	(void)state;
	clock_freeze(at);
	assert_true(now_ms() == at);
	nanosleep(&ts, NULL);
	assert_true(now_ms() == at);
	clock_freeze(at + 20 * 60 * 1000);
	assert_true(now_ms() == at + 20 * 60 * 1000);
	clock_set(at);
	nanosleep(&ts, NULL);
	assert_true(now_ms() > at && now_ms() < at + 60 * 1000);
}

/* errmsg_set: set, replaced (the old one freed), or not asked for. */
static void
test_errmsg_set(void **state)
{
	char *err = NULL;

	(void)state;
	errmsg_set(&err, "%s: %d", "first", 1);
	assert_string_equal(err, "first: 1");
	errmsg_set(&err, "second");
	assert_string_equal(err, "second");
	errmsg_set(NULL, "nobody asked");
	free(err);
}

/* Case in any script: keywords and menu answers (lib/fold.h). */
static void
test_fold(void **state)
{
	char *u;

	(void)state;
	u = fold_upper("école Ωmega жук", strlen("école Ωmega жук"));
	assert_string_equal(u, "ÉCOLE ΩMEGA ЖУК");
	free(u);
	/* Bytes that are not UTF-8 stay; a letter that would turn into
	   ASCII (dotless i) stays too; ß has no one-letter capital. */
	u = fold_upper("a\xff\xc3"
		       "b ı ß",
	    10);
	assert_string_equal(u, "A\xff\xc3"
			       "B ı ß");
	free(u);
	/* A letter growing from two bytes to three. */
	u = fold_upper("\xc9\x90", 2);          /* U+0250 */
	assert_string_equal(u, "\xe2\xb1\xaf"); /* U+2C6F */
	free(u);
	u = fold_upper("ab\0c", 4);
	assert_memory_equal(u, "AB\0C", 5);
	free(u);
	assert_true(fold_equal("École", "ÉCOLE"));
	assert_true(fold_equal("école", "ÉcOlE"));
	assert_true(fold_equal("stop", "STOP"));
	assert_false(fold_equal("stop", "STOPS"));
	assert_false(fold_equal("école", "ecole"));
	assert_false(fold_equal("ınfo", "INFO"));
	assert_true(fold_equal("", ""));
	assert_false(fold_equal("a", ""));
}

/* buf_json_string(s) next to jansson's dump of the same string. */
static void
assert_as_jansson(const char *s, size_t len)
{
	json_t *j = json_stringn(s, len);
	struct buf b;
	char *want;

	buf_init(&b, 1 << 20);
	if (j == NULL) {
		/* Not UTF-8: jansson refuses it, so does the writer. */
		assert_int_equal(buf_json_string(&b, s, len), -1);
		buf_free(&b);
		return;
	}
	want = json_dumps(j, JSON_ENCODE_ANY);
	assert_non_null(want);
	assert_int_equal(buf_json_string(&b, s, len), 0);
	assert_int_equal(b.len, strlen(want));
	assert_memory_equal(b.data, want, b.len);
	free(want);
	json_decref(j);
	buf_free(&b);
}

/*
 * JSON strings as jansson writes them, byte for byte: every byte alone,
 * every pair of bytes (escapes, UTF-8 leads, broken sequences), a few
 * whole strings, and random ones; and a bounded buffer that fills up.
 */
static void
test_json_string(void **state)
{
	static const char *const whole[] = {"", "plain", "a\"b\\c/d",
	    "tab\there\nnew\r\b\f", "\x01\x1f\x7f", "caf\xc3\xa9 \xe6\xbc\xa2",
	    "\xf0\x9f\x98\x80 emoji", "\xed\xa0\x80 surrogate",
	    "\xc0\xaf overlong", "\xf4\x90\x80\x80 past U+10FFFF",
	    "cut \xe6\xbc"};
	unsigned char two[2];
	char r[12];
	struct buf b;
	unsigned i, j, seed = 7;

	(void)state;
	for (i = 0; i < 256; i++) {
		two[0] = (unsigned char)i;
		assert_as_jansson((const char *)two, 1);
		for (j = 0; j < 256; j++) {
			two[1] = (unsigned char)j;
			assert_as_jansson((const char *)two, 2);
		}
	}
	for (i = 0; i < sizeof(whole) / sizeof(whole[0]); i++)
		assert_as_jansson(whole[i], strlen(whole[i]));
	assert_as_jansson("nul\0inside", 10);
	for (i = 0; i < 20000; i++) {
		for (j = 0; j < sizeof(r); j++) {
			seed = seed * 1103515245u + 12345u;
			/* Mostly ASCII, some high bytes, some control ones. */
			r[j] = (char)((seed >> 16) % 5 == 0
					  ? 0x80 + (seed >> 8) % 0x80
					  : (seed >> 8) % 0x80);
		}
		assert_as_jansson(r, sizeof(r));
	}

	/* A buffer that fills up says so. */
	buf_init(&b, 8);
	assert_int_equal(buf_json_string(&b, "123456", 6), 0);
	buf_free(&b);
	buf_init(&b, 8);
	assert_int_equal(buf_json_string(&b, "1234567", 7), -1);
	buf_free(&b);
	buf_init(&b, 8);
	assert_int_equal(buf_json_string(&b, "12\n456", 6), -1);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_buf_limit),
	    cmocka_unit_test(test_fmt_u),
	    cmocka_unit_test(test_buf_growth),
	    cmocka_unit_test(test_strings),
	    cmocka_unit_test(test_errmsg_set),
	    cmocka_unit_test(test_iso8601),
	    cmocka_unit_test(test_log_phone),
	    cmocka_unit_test(test_log_text),
	    cmocka_unit_test(test_split_commas),
	    cmocka_unit_test(test_str_id),
	    cmocka_unit_test(test_clock_freeze),
	    cmocka_unit_test(test_fold),
	    cmocka_unit_test(test_json_string),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
