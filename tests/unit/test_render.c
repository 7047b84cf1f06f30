/*
 * test_render.c: SMS and USSD layout, USSD menu paging and UTF-8 counting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flows/render.h"
#include "lib/util.h"

static const char *const ten[] = {
    "Water and sewerage bills",
    "Garbage collection days",
    "Market stall permits",
    "Business licence renewal",
    "Report a burst pipe",
    "Health centre opening hours",
    "Bursary applications",
    "Road repairs in my ward",
    "Land rates balance",
    "Talk to an officer",
};

static void
test_sms_layout(void **state)
{
	static const char *const opts[] = {"Yes", "No"};
	char *s;

	(void)state;
	s = render_sms("Balance KES 100.", NULL, 0);
	assert_string_equal(s, "Balance KES 100.");
	free(s);
	s = render_sms("Continue?", opts, 2);
	assert_string_equal(s, "Continue?\n1. Yes\n2. No");
	free(s);
	s = render_sms("", opts, 2);
	assert_string_equal(s, "1. Yes\n2. No");
	free(s);
	s = render_sms(NULL, NULL, 0);
	assert_string_equal(s, "");
	free(s);
}

static void
test_ussd_fits_one_screen(void **state)
{
	static const char *const opts[] = {"Bills", "Outages"};
	size_t next = 99;
	char *s;

	(void)state;
	s = render_ussd_page("Choose:", opts, 2, 0, 182, &next);
	assert_string_equal(s, "Choose:\n1. Bills\n2. Outages");
	assert_int_equal(next, 2);
	free(s);
	s = render_ussd_page("Enter your account:", NULL, 0, 0, 182, &next);
	assert_string_equal(s, "Enter your account:");
	assert_int_equal(next, 0);
	free(s);
	/* max 0 means the default 182. */
	s = render_ussd_page("Choose:", opts, 2, 0, 0, &next);
	assert_string_equal(s, "Choose:\n1. Bills\n2. Outages");
	free(s);
}

/* Pages a menu at max, checking every page, and returns the page count. */
static size_t
page_all(const char *header, const char *const *opts, size_t n, size_t max)
{
	size_t first = 0, next, pages = 0, seen = 0;

	while (first < n) {
		char *s = render_ussd_page(
		    pages == 0 ? header : NULL, opts, n, first, max, &next);
		size_t i;
		char want[128];
		int more;

		/* A first page may show its header alone ("0. More"). */
		assert_true(next > first || (pages == 0 && header != NULL));
		assert_true(next <= n);
		/* Options keep their numbers across pages, in order. */
		for (i = first; i < next; i++) {
			snprintf(want, sizeof(want), "%zu. %s", i + 1, opts[i]);
			assert_non_null(strstr(s, want));
			seen++;
		}
		more = strlen(s) >= strlen(RENDER_MORE) &&
		       strcmp(s + strlen(s) - strlen(RENDER_MORE),
			   RENDER_MORE) == 0;
		assert_int_equal(more, next < n);
		if (next - first > 1 || pages > 0 || header == NULL ||
		    render_utf8_chars(header) < max)
			assert_true(render_utf8_chars(s) <= max);
		free(s);
		first = next;
		pages++;
	}
	assert_int_equal(seen, n);
	return pages;
}

static void
test_ussd_paging_ten_options(void **state)
{
	size_t next;
	char *s;

	(void)state;
	s = render_ussd_page("Pick a county service from the list below:", ten,
	    10, 0, 182, &next);
	assert_string_equal(s, "Pick a county service from the list below:\n"
			       "1. Water and sewerage bills\n"
			       "2. Garbage collection days\n"
			       "3. Market stall permits\n"
			       "4. Business licence renewal\n"
			       "5. Report a burst pipe\n"
			       "0. More");
	assert_int_equal(next, 5);
	assert_true(render_utf8_chars(s) <= 182);
	free(s);
	s = render_ussd_page(NULL, ten, 10, next, 182, &next);
	assert_string_equal(s, "6. Health centre opening hours\n"
			       "7. Bursary applications\n"
			       "8. Road repairs in my ward\n"
			       "9. Land rates balance\n"
			       "10. Talk to an officer");
	assert_int_equal(next, 10);
	free(s);

	assert_int_equal(page_all("Pick:", ten, 10, 182), 2);
	assert_true(page_all("Pick:", ten, 10, 60) >= 4);
	assert_int_equal(page_all(NULL, ten, 10, 1000), 1);
}

static void
test_ussd_header_over_limit(void **state)
{
	char header[300];
	size_t next;
	char *s;

	(void)state;
	memset(header, 'x', 250);
	header[250] = '\0';
	/* Never stuck: at least one option per page. */
	s = render_ussd_page(header, ten, 10, 0, 182, &next);
	assert_int_equal(next, 1);
	assert_non_null(strstr(s, "\n1. Water and sewerage bills\n0. More"));
	free(s);
	page_all(header, ten, 10, 182);
}

/* A question that leaves no room for an option shows alone, within max. */
static void
test_ussd_header_alone(void **state)
{
	static const char *const opts[] = {
	    "Water leak", "Burst pipe", "No water", "Sewage"};
	size_t next;
	char *s;

	(void)state;
	/* 20 + 1 + 13 + 8 = 42 > 40: the question and "0. More" only. */
	s = render_ussd_page("What is the problem?", opts, 4, 0, 40, &next);
	assert_string_equal(s, "What is the problem?\n0. More");
	assert_int_equal(next, 0);
	free(s);
	s = render_ussd_page(NULL, opts, 4, next, 40, &next);
	assert_string_equal(s, "1. Water leak\n2. Burst pipe\n0. More");
	assert_int_equal(next, 2);
	free(s);
	assert_int_equal(page_all("What is the problem?", opts, 4, 40), 3);
	/* With room for one option, as before. */
	s = render_ussd_page("What is wrong?", opts, 4, 0, 40, &next);
	assert_string_equal(s, "What is wrong?\n1. Water leak\n0. More");
	assert_int_equal(next, 1);
	free(s);
}

static void
test_ussd_utf8_counts_characters(void **state)
{
	/* 60 two-byte characters: 120 bytes, 60 characters. */
	char header[256] = "";
	static const char *const opts[] = {"Ndiyo ✓", "Hapana ✗", "Sijui 🤷"};
	size_t i, next;
	char *s;

	(void)state;
	for (i = 0; i < 60; i++)
		strcat(header, "é");
	assert_int_equal(render_utf8_chars(header), 60);
	/* 60 + (1 + 10) + (1 + 11) + (1 + 10) = 94 characters: one page at
	 * 100, although it is far more than 100 bytes. */
	s = render_ussd_page(header, opts, 3, 0, 100, &next);
	assert_true(strlen(s) > 100);
	assert_int_equal(render_utf8_chars(s), 94);
	assert_int_equal(next, 3);
	free(s);
	/* At 80 it splits, and no character is cut. */
	s = render_ussd_page(header, opts, 3, 0, 80, &next);
	assert_int_equal(next, 1);
	assert_true(render_utf8_chars(s) <= 80);
	assert_non_null(strstr(s, "1. Ndiyo ✓\n0. More"));
	free(s);
	s = render_ussd_page(NULL, opts, 3, 1, 80, &next);
	assert_string_equal(s, "2. Hapana ✗\n3. Sijui 🤷");
	assert_int_equal(next, 3);
	free(s);
}

static void
test_utf8_helpers(void **state)
{
	const char *s =
	    "a\xc3\xa9\xe2\x9c\x93\xf0\x9f\xa4\xb7"; /* aé✓🤷 */

	(void)state;
	assert_int_equal(render_utf8_chars(s), 4);
	assert_int_equal(render_utf8_chars(""), 0);
	assert_int_equal(render_utf8_chars(NULL), 0);
	/* Invalid bytes count one each and never run past the end. */
	assert_int_equal(render_utf8_chars("\xff\xfe"), 2);
	assert_int_equal(render_utf8_chars("a\xe2\x9c"), 3);
	/* Prefixes end on a character boundary. */
	assert_int_equal(render_utf8_prefix(s, strlen(s), 0), 0);
	assert_int_equal(render_utf8_prefix(s, strlen(s), 1), 1);
	assert_int_equal(render_utf8_prefix(s, strlen(s), 2), 3);
	assert_int_equal(render_utf8_prefix(s, strlen(s), 3), 6);
	assert_int_equal(render_utf8_prefix(s, strlen(s), 99), strlen(s));
	assert_int_equal(render_utf8_prefix(s, 4, 99), 3);
	/* Strict decoding. */
	assert_int_equal(utf8_seq("\xc3\xa9", 2), 2);
	assert_int_equal(utf8_seq("\xc3\xa9", 1), 0);
	assert_int_equal(utf8_seq("\xc0\xaf", 2), 0);     /* overlong */
	assert_int_equal(utf8_seq("\xe0\x80\xaf", 3), 0); /* overlong */
	assert_int_equal(utf8_seq("\xed\xa0\x80", 3), 0); /* surrogate */
	assert_int_equal(utf8_seq("\xf4\x90\x80\x80", 4), 0);
	assert_int_equal(utf8_seq("\xf0\x9f\xa4\xb7", 4), 4);
	assert_int_equal(utf8_seq("", 0), 0);
}

static void
test_wire(void **state)
{
	char *s;

	(void)state;
	s = render_ussd_wire("Enter:", 0);
	assert_string_equal(s, "CON Enter:");
	free(s);
	s = render_ussd_wire("Thanks", 1);
	assert_string_equal(s, "END Thanks");
	free(s);
	s = render_ussd_wire(NULL, 1);
	assert_string_equal(s, "END ");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sms_layout),
	    cmocka_unit_test(test_ussd_fits_one_screen),
	    cmocka_unit_test(test_ussd_paging_ten_options),
	    cmocka_unit_test(test_ussd_header_over_limit),
	    cmocka_unit_test(test_ussd_header_alone),
	    cmocka_unit_test(test_ussd_utf8_counts_characters),
	    cmocka_unit_test(test_utf8_helpers),
	    cmocka_unit_test(test_wire),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
