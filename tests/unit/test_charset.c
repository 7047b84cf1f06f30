/*
 * test_charset.c: SMS character sets into UTF-8 (lib/charset.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/charset.h"

/* Converts the n bytes at in from cs and compares with want. */
static void
conv_is(enum charset cs, const char *in, size_t n, const char *want)
{
	struct buf b;

	buf_init(&b, CHARSET_UTF8_MAX(n));
	charset_to_utf8(cs, (const uint8_t *)in, n, &b);
	assert_string_equal(buf_cstr(&b), want);
	assert_true(b.len <= CHARSET_UTF8_MAX(n));
	buf_free(&b);
}

static void
test_named(void **state)
{
	(void)state;
	assert_int_equal(charset_named("utf-8"), CHARSET_UTF8);
	assert_int_equal(charset_named("UTF-16BE"), CHARSET_UTF16BE);
	assert_int_equal(charset_named("ucs-2"), CHARSET_UTF16BE);
	assert_int_equal(charset_named("iso-8859-1"), CHARSET_LATIN1);
	assert_int_equal(charset_named("Windows-1252"), CHARSET_CP1252);
	assert_int_equal(charset_named("US-ASCII"), CHARSET_ASCII);
	assert_int_equal(charset_named("8-BIT"), CHARSET_8BIT);
	assert_int_equal(charset_named("KOI8-R"), -1);
	assert_int_equal(charset_named(""), -1);
}

static void
test_utf16be(void **state)
{
	(void)state;
	conv_is(CHARSET_UTF16BE, "\0h\0i", 4, "hi");
	/* A surrogate pair is one emoji; a lone one and an odd byte U+FFFD. */
	conv_is(CHARSET_UTF16BE, "\xD8\x3D\xDE\x00", 4, "\xF0\x9F\x98\x80");
	conv_is(CHARSET_UTF16BE, "\xD8\x3D\0a", 4, "\xEF\xBF\xBD\x61");
	conv_is(CHARSET_UTF16BE, "\xDE\x00", 2, "\xEF\xBF\xBD");
	conv_is(CHARSET_UTF16BE, "\0a\0", 3, "a\xEF\xBF\xBD");
	/* NUL is no C string's character. */
	conv_is(CHARSET_UTF16BE, "\0\0\0a", 4, "\xEF\xBF\xBD\x61");
	conv_is(CHARSET_UTF16BE, "\x00\xE9\x20\xAC", 4, "\xC3\xA9\xE2\x82\xAC");
}

static void
test_single_byte(void **state)
{
	(void)state;
	conv_is(CHARSET_LATIN1, "caf\xE9 \xA3", 6, "caf\xC3\xA9 \xC2\xA3");
	conv_is(CHARSET_LATIN1, "\x80", 1, "\xC2\x80");
	/* Windows-1252's 0x80-0x9F; its five holes are U+FFFD. */
	conv_is(CHARSET_CP1252, "\x80\x99\x81\xE9", 4,
	    "\xE2\x82\xAC\xE2\x84\xA2\xEF\xBF\xBD\xC3\xA9");
	conv_is(CHARSET_ASCII, "ok\xE9", 3, "ok\xEF\xBF\xBD");
	conv_is(
	    CHARSET_8BIT, "a\x01\tb\xFF", 5, "a\xEF\xBF\xBD\tb\xEF\xBF\xBD");
	conv_is(CHARSET_LATIN1, "a\0b", 3, "a\xEF\xBF\xBD\x62");
}

static void
test_utf8(void **state)
{
	(void)state;
	conv_is(CHARSET_UTF8, "caf\xC3\xA9", 5, "caf\xC3\xA9");
	conv_is(CHARSET_UTF8, "a\xFF\xC3", 3, "a\xEF\xBF\xBD\xEF\xBF\xBD");
	conv_is(CHARSET_UTF8, "a\0b", 3, "a\xEF\xBF\xBD\x62");
	/* The worst case stays within CHARSET_UTF8_MAX. */
	conv_is(CHARSET_CP1252, "\x80\x80\x80", 3,
	    "\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_named),
	    cmocka_unit_test(test_utf16be),
	    cmocka_unit_test(test_single_byte),
	    cmocka_unit_test(test_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
