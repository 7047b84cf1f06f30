/*
 * test_phone.c: phone number normalization to E.164.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/phone.h"

/* Normalises in and checks the result and, on success, the number. */
static void
check(const char *in, const char *cc, int want, const char *want_out)
{
	char out[PHONE_MAX];
	int r;

	memset(out, 'x', sizeof(out));
	r = phone_normalize(in, cc, out, sizeof(out));
	if (r != want)
		fail_msg("%s (cc %s): got %d (%s), want %d", in ? in : "NULL",
		    cc ? cc : "none", r, phone_strerror(r), want);
	if (want == PHONE_OK) {
		assert_string_equal(out, want_out);
		assert_true(phone_is_e164(out));
	} else
		assert_string_equal(out, "");
}

static void
test_kenya_forms(void **state)
{
	(void)state;
	check("+254700000001", "254", PHONE_OK, "+254700000001");
	check("254700000001", "254", PHONE_OK, "+254700000001");
	check("0700000001", "254", PHONE_OK, "+254700000001");
	check("00254700000001", "254", PHONE_OK, "+254700000001");
	check("700000001", "254", PHONE_OK, "+254700000001");
	check("+254 (0)700 000 001", "254", PHONE_OK, "+254700000001");
	check("+254 (0)700", "254", PHONE_ESHORT, NULL);
	check("0700 000-001", "254", PHONE_OK, "+254700000001");
	check("(0700) 000.001", "254", PHONE_OK, "+254700000001");
	check("+254 700 000 001", "254", PHONE_OK, "+254700000001");
	check("0700000001", "+254", PHONE_OK, "+254700000001");
	/* Another country's number stays as it is. */
	check("+255700000001", "254", PHONE_OK, "+255700000001");
	check("0044 20 7946 0000", "254", PHONE_OK, "+442079460000");
}

static void
test_lengths(void **state)
{
	(void)state;
	check("+123456", NULL, PHONE_ESHORT, NULL);
	check("+1234567", NULL, PHONE_OK, "+1234567");
	check("+123456789012345", NULL, PHONE_OK, "+123456789012345");
	check("+1234567890123456", NULL, PHONE_ELONG, NULL);
	check("00123456", NULL, PHONE_ESHORT, NULL);
	/* Kenyan national numbers have exactly 9 digits after the 0. */
	check("070000000", "254", PHONE_ESHORT, NULL);
	check("07000000012", "254", PHONE_ELONG, NULL);
	check("25470000000", "254", PHONE_ELENGTH, NULL);
	check("2547000000012", "254", PHONE_ELENGTH, NULL);
	/* Input beyond the hard maximum is refused before it is read. */
	check("+1 2 3 4 5 6 7 8 9 0 1 2 3 4 5                                 "
	      "          ",
	    NULL, PHONE_ELONG, NULL);
}

static void
test_other_country(void **state)
{
	(void)state;
	/* 44 is not in the length table: only the E.164 bounds apply. */
	check("07700900123", "44", PHONE_OK, "+447700900123");
	check("447700900123", "44", PHONE_OK, "+447700900123");
	check("7700900123", "44", PHONE_EFORM, NULL);
	check("0123", "44", PHONE_ESHORT, NULL);
	/* NANP numbers have no trunk 0; ten digits are national. */
	check("4155550100", "1", PHONE_OK, "+14155550100");
	check("14155550100", "1", PHONE_OK, "+14155550100");
}

static void
test_errors(void **state)
{
	char out[PHONE_MAX], tiny[5];

	(void)state;
	check(NULL, "254", PHONE_EEMPTY, NULL);
	check("", "254", PHONE_EEMPTY, NULL);
	check(" - ", "254", PHONE_EEMPTY, NULL);
	check("MyBank", "254", PHONE_ECHAR, NULL);
	check("0700 ABC 001", "254", PHONE_ECHAR, NULL);
	check("+254+700000001", "254", PHONE_ECHAR, NULL);
	check("254700000001+", "254", PHONE_ECHAR, NULL);
	check("0700000001\n", "254", PHONE_ECHAR, NULL);
	check("+0700000001", "254", PHONE_EFORM, NULL);
	check("000700000001", "254", PHONE_EFORM, NULL);
	/* Without a country code the local forms cannot be resolved. */
	check("0700000001", NULL, PHONE_ENOCC, NULL);
	check("0700000001", "", PHONE_ENOCC, NULL);
	check("254700000001", NULL, PHONE_EFORM, NULL);
	check("+254700000001", NULL, PHONE_OK, "+254700000001");
	/* A malformed country code is reported as such. */
	check("0700000001", "2544", PHONE_ECC, NULL);
	check("0700000001", "0254", PHONE_ECC, NULL);
	check("0700000001", "25a", PHONE_ECC, NULL);

	assert_int_equal(
	    phone_normalize("+254700000001", NULL, tiny, sizeof(tiny)),
	    PHONE_ENOSPACE);
	assert_string_equal(tiny, "");
	assert_int_equal(
	    phone_normalize("+254700000001", NULL, NULL, 0), PHONE_ENOSPACE);
	assert_int_equal(
	    phone_normalize("+254700000001", NULL, out, 0), PHONE_ENOSPACE);
}

static void
test_is_e164_and_strerror(void **state)
{
	(void)state;
	assert_true(phone_is_e164("+254700000001"));
	assert_false(phone_is_e164("254700000001"));
	assert_false(phone_is_e164("+0254700000001"));
	assert_false(phone_is_e164("+254 700000001"));
	assert_false(phone_is_e164("+123456"));
	assert_false(phone_is_e164("+1234567890123456"));
	assert_false(phone_is_e164(NULL));
	assert_false(phone_is_e164("+"));
	assert_string_equal(phone_strerror(PHONE_ENOCC),
	    "national number but no country_code is configured");
	assert_non_null(strstr(phone_strerror(PHONE_ECHAR), "not a phone"));
	assert_string_equal(
	    phone_strerror(12345), "unknown phone number error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kenya_forms),
	    cmocka_unit_test(test_lengths),
	    cmocka_unit_test(test_other_country),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_is_e164_and_strerror),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
