/*
 * test_gsm.c: segment counting at the exact GSM-7 and UCS-2 boundaries.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/gsm.h"

/* Builds a string of n copies of the UTF-8 sequence unit; caller frees. */
static char *
repeat(const char *unit, size_t n)
{
	size_t len = strlen(unit);
	char *s = malloc(len * n + 1);
	size_t i;

	assert_non_null(s);
	for (i = 0; i < n; i++)
		memcpy(s + i * len, unit, len);
	s[len * n] = '\0';
	return s;
}

/* Concatenates up to three strings into a new one; caller frees. */
static char *
cat3(const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	char *s = malloc(la + lb + lc + 1);

	assert_non_null(s);
	memcpy(s, a, la);
	memcpy(s + la, b, lb);
	memcpy(s + la + lb, c, lc + 1);
	return s;
}

static void
check(const char *text, enum gsm_encoding enc, size_t units, size_t segs)
{
	struct gsm_info gi;

	assert_int_equal(gsm_count(text, &gi), 0);
	assert_int_equal(gi.encoding, enc);
	assert_int_equal(gi.units, units);
	assert_int_equal(gi.segments, segs);
}

/* Checks n copies of unit. */
static void
check_rep(const char *unit, size_t n, enum gsm_encoding enc, size_t units,
    size_t segs)
{
	char *s = repeat(unit, n);

	check(s, enc, units, segs);
	free(s);
}

/*
 * gsm_septets answers ASCII without scanning the tables: for every code
 * point below 0x80 it must say what the tables say (gsm_encode_char scans
 * them): 1 for the default alphabet, 2 for the extension table, 0 else.
 */
static void
test_ascii_fast_path_matches_tables(void **state)
{
	unsigned char out[2];
	unsigned long cp;
	int ones = 0, twos = 0;

	(void)state;
	for (cp = 0; cp < 0x80; cp++) {
		int n = gsm_encode_char(cp, out);

		assert_int_equal(gsm_septets(cp), n);
		ones += n == 1;
		twos += n == 2;
	}
	/* 95 printable less the backtick and 8 in the extension, LF, CR. */
	assert_int_equal(ones, 95 - 1 - 8 + 2);
	assert_int_equal(twos, 9); /* form feed ^ { } \ [ ~ ] | */
}

static void
test_empty_and_null(void **state)
{
	struct gsm_info gi;

	(void)state;
	check("", GSM_ENC_GSM7, 0, 1);
	assert_int_equal(gsm_count(NULL, &gi), -1);
	assert_int_equal(gsm_count("a", NULL), -1);
}

static void
test_gsm7_boundaries(void **state)
{
	(void)state;
	check_rep("a", 1, GSM_ENC_GSM7, 1, 1);
	check_rep("a", 160, GSM_ENC_GSM7, 160, 1);
	check_rep("a", 161, GSM_ENC_GSM7, 161, 2);
	check_rep("a", 153 * 2, GSM_ENC_GSM7, 306, 2);
	check_rep("a", 153 * 2 + 1, GSM_ENC_GSM7, 307, 3);
	check_rep("a", 153 * 3, GSM_ENC_GSM7, 459, 3);
}

static void
test_extension_counts_two(void **state)
{
	char *a, *b, *s;

	(void)state;
	check("\xe2\x82\xac", GSM_ENC_GSM7, 2, 1); /* the euro sign */
	check("^{}\\[~]|\f", GSM_ENC_GSM7, 18, 1);
	check_rep("\xe2\x82\xac", 80, GSM_ENC_GSM7, 160, 1);
	check_rep("\xe2\x82\xac", 81, GSM_ENC_GSM7, 162, 2);
	check_rep("[", 80, GSM_ENC_GSM7, 160, 1);

	/* 159 + 2 septets: one too many for a single message. */
	a = repeat("a", 159);
	s = cat3(a, "\xe2\x82\xac", "");
	check(s, GSM_ENC_GSM7, 161, 2);
	free(s);
	free(a);

	/*
	 * 152 + 2 + 152 = 306 septets would fit two parts of 153, but the
	 * euro sign cannot straddle the first boundary: three parts.
	 */
	a = repeat("a", 152);
	b = repeat("a", 152);
	s = cat3(a, "\xe2\x82\xac", b);
	check(s, GSM_ENC_GSM7, 306, 3);
	free(s);
	free(a);
	free(b);

	/* 151 + 2 + 153 = 306 fits exactly in two parts. */
	a = repeat("a", 151);
	b = repeat("a", 153);
	s = cat3(a, "{", b);
	check(s, GSM_ENC_GSM7, 306, 2);
	free(s);
	free(a);
	free(b);
}

static void
test_alphabet(void **state)
{
	struct gsm_info gi;
	/* Every non-ASCII character of the default alphabet, one septet each. */
	const char *basic = "@\xc2\xa3$\xc2\xa5\xc3\xa8\xc3\xa9\xc3\xb9"
			    "\xc3\xac\xc3\xb2\xc3\x87\xc3\x98\xc3\xb8"
			    "\xc3\x85\xc3\xa5\xce\x94_\xce\xa6\xce\x93"
			    "\xce\x9b\xce\xa9\xce\xa0\xce\xa8\xce\xa3"
			    "\xce\x98\xce\x9e\xc3\x86\xc3\xa6\xc3\x9f"
			    "\xc3\x89 \xc2\xa4\xc2\xa1\xc3\x84\xc3\x96"
			    "\xc3\x91\xc3\x9c\xc2\xa7\xc2\xbf\xc3\xa4"
			    "\xc3\xb6\xc3\xb1\xc3\xbc\xc3\xa0\r\n";

	(void)state;
	assert_int_equal(gsm_count(basic, &gi), 0);
	assert_int_equal(gi.encoding, GSM_ENC_GSM7);
	assert_int_equal(gi.units, gi.chars);
	assert_int_equal(gi.chars, 45);

	check("Habari! Jibu 1 au 2.", GSM_ENC_GSM7, 20, 1);
	/* Backtick, lower-case c cedilla and a tab are not in GSM-7. */
	check("a`b", GSM_ENC_UCS2, 3, 1);
	check("\xc3\xa7", GSM_ENC_UCS2, 1, 1);
	check("a\tb", GSM_ENC_UCS2, 3, 1);
	assert_int_equal(gsm_septets(0x20AC), 2);
	assert_int_equal(gsm_septets('A'), 1);
	assert_int_equal(gsm_septets(0x1B), 0);
	assert_int_equal(gsm_septets(0x1F600), 0);
	assert_string_equal(gsm_encoding_name(GSM_ENC_GSM7), "GSM-7");
	assert_string_equal(gsm_encoding_name(GSM_ENC_UCS2), "UCS-2");
}

static void
test_ucs2_boundaries(void **state)
{
	(void)state;
	/* Cyrillic zhe, U+0436: one UTF-16 unit, not GSM. */
	check_rep("\xd0\xb6", 70, GSM_ENC_UCS2, 70, 1);
	check_rep("\xd0\xb6", 71, GSM_ENC_UCS2, 71, 2);
	check_rep("\xd0\xb6", 67 * 2, GSM_ENC_UCS2, 134, 2);
	check_rep("\xd0\xb6", 67 * 2 + 1, GSM_ENC_UCS2, 135, 3);

	/* One non-GSM character turns a long GSM text into UCS-2. */
	{
		char *a = repeat("a", 100);
		char *s = cat3(a, "\xd0\xb6", "");

		check(s, GSM_ENC_UCS2, 101, 2);
		free(s);
		free(a);
	}
}

static void
test_emoji(void **state)
{
	char *a, *b, *s;

	(void)state;
	/* U+1F600 is a surrogate pair: two units. */
	check("\xf0\x9f\x98\x80", GSM_ENC_UCS2, 2, 1);
	check_rep("\xf0\x9f\x98\x80", 35, GSM_ENC_UCS2, 70, 1);
	check_rep("\xf0\x9f\x98\x80", 36, GSM_ENC_UCS2, 72, 2);

	/* 66 + 2 + 66 = 134 = 67 * 2, but the pair cannot be split. */
	a = repeat("\xd0\xb6", 66);
	b = repeat("\xd0\xb6", 66);
	s = cat3(a, "\xf0\x9f\x98\x80", b);
	check(s, GSM_ENC_UCS2, 134, 3);
	free(s);
	free(a);
	free(b);

	/* 65 + 2 + 67 = 134 fits two parts exactly. */
	a = repeat("\xd0\xb6", 65);
	b = repeat("\xd0\xb6", 67);
	s = cat3(a, "\xf0\x9f\x98\x80", b);
	check(s, GSM_ENC_UCS2, 134, 2);
	free(s);
	free(a);
	free(b);
}

static void
test_invalid_utf8(void **state)
{
	struct gsm_info gi;

	(void)state;
	assert_int_equal(gsm_count("abc\xff", &gi), 0);
	assert_int_equal(gi.encoding, GSM_ENC_UCS2);
	assert_int_equal(gi.units, 4);
	assert_int_equal(gi.chars, 4);
	assert_int_equal(gi.invalid, 1);

	/* Overlong '/', a truncated euro sign, an encoded surrogate. */
	check("\xc0\xaf", GSM_ENC_UCS2, 2, 1);
	check("x\xe2\x82", GSM_ENC_UCS2, 3, 1);
	check("\xed\xa0\x80", GSM_ENC_UCS2, 3, 1);
	check("\xf4\x90\x80\x80", GSM_ENC_UCS2, 4, 1); /* above U+10FFFF */
	check("\x80\x80", GSM_ENC_UCS2, 2, 1);

	assert_int_equal(gsm_count("plain", &gi), 0);
	assert_int_equal(gi.invalid, 0);
}

/* Every septet decodes to a character that encodes back to it. */
static void
test_encode_decode_char(void **state)
{
	unsigned char in[2], out[2];
	unsigned long cp;
	unsigned v;
	int n;

	(void)state;
	assert_int_equal(gsm_encode_char('A', out), 1);
	assert_int_equal(out[0], 0x41);
	assert_int_equal(gsm_encode_char('@', out), 1);
	assert_int_equal(out[0], 0x00);
	assert_int_equal(gsm_encode_char(0x20AC, out), 2); /* euro */
	assert_memory_equal(out, "\x1b\x65", 2);
	assert_int_equal(gsm_encode_char('{', out), 2);
	assert_memory_equal(out, "\x1b\x28", 2);
	assert_int_equal(gsm_encode_char(0x0436, out), 0); /* zhe */
	assert_int_equal(gsm_encode_char('`', out), 0);

	for (v = 0; v < 0x80; v++) {
		if (v == 0x1B)
			continue;
		in[0] = (unsigned char)v;
		assert_int_equal(gsm_decode_char(in, 1, &cp), 1);
		n = gsm_encode_char(cp, out);
		assert_int_equal(n, 1);
		assert_int_equal(out[0], v);
		assert_int_equal(gsm_septets(cp), 1);
	}
	for (v = 0; v < 0x80; v++) {
		in[0] = 0x1B;
		in[1] = (unsigned char)v;
		assert_int_equal(gsm_decode_char(in, 2, &cp), 2);
		n = gsm_encode_char(cp, out);
		assert_int_equal(n, gsm_septets(cp));
		if (n == 2)
			assert_int_equal(out[1], v);
	}
	/* An escape before a code the table lacks: the default 'A'. */
	assert_int_equal(gsm_decode_char((const unsigned char *)"\x1b"
								"A",
			     2, &cp),
	    2);
	assert_int_equal(cp, 'A');
	assert_int_equal(
	    gsm_decode_char((const unsigned char *)"\x1b\x1b", 2, &cp), 2);
	assert_int_equal(cp, ' ');
	assert_int_equal(
	    gsm_decode_char((const unsigned char *)"\x1b", 1, &cp), 1);
	assert_int_equal(cp, 0xFFFD);
	assert_int_equal(
	    gsm_decode_char((const unsigned char *)"\x80", 1, &cp), 1);
	assert_int_equal(cp, 0xFFFD);
	assert_int_equal(
	    gsm_decode_char((const unsigned char *)"\x1b\x90", 2, &cp), 1);
	assert_int_equal(cp, 0xFFFD);
}

static void
test_utf8_next(void **state)
{
	unsigned long cp;
	int invalid = 0;

	(void)state;
	assert_int_equal(gsm_utf8_next("", &cp, &invalid), 0);
	assert_int_equal(gsm_utf8_next("\xf0\x9f\x98\x80", &cp, &invalid), 4);
	assert_int_equal(cp, 0x1F600);
	assert_int_equal(invalid, 0);
	assert_int_equal(gsm_utf8_next("\xc3(", &cp, &invalid), 1);
	assert_int_equal(cp, 0xFFFD);
	assert_int_equal(invalid, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ascii_fast_path_matches_tables),
	    cmocka_unit_test(test_empty_and_null),
	    cmocka_unit_test(test_gsm7_boundaries),
	    cmocka_unit_test(test_extension_counts_two),
	    cmocka_unit_test(test_alphabet),
	    cmocka_unit_test(test_ucs2_boundaries),
	    cmocka_unit_test(test_emoji),
	    cmocka_unit_test(test_invalid_utf8),
	    cmocka_unit_test(test_encode_decode_char),
	    cmocka_unit_test(test_utf8_next),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
