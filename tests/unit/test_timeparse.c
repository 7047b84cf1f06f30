/*
 * test_timeparse.c: the ISO 8601 times of --at: local time (with a fixed
 * POSIX TZ, and a daylight saving gap), Z, offsets and the refusals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "lib/timeparse.h"

/* 2026-12-01T05:00:00Z in ms. */
#define T0 1796101200000LL

static int64_t
ok(const char *s)
{
	int64_t ms = -1;

	if (timeparse_iso8601(s, &ms) != 0)
		fail_msg("refused: %s", s);
	return ms;
}

static void
test_utc_and_offsets(void **state)
{
	(void)state;
	assert_int_equal(ok("2026-12-01T05:00Z"), T0);
	assert_int_equal(ok("2026-12-01T05:00:00Z"), T0);
	assert_int_equal(ok("2026-12-01T05:00:59Z"), T0 + 59000);
	/* A fraction of a second: milliseconds kept, the rest dropped. */
	assert_int_equal(ok("2026-12-01T05:00:30.5Z"), T0 + 30500);
	assert_int_equal(ok("2026-12-01T05:00:30,25Z"), T0 + 30250);
	assert_int_equal(ok("2026-12-01T08:00:00.123456789+03:00"), T0 + 123);
	assert_int_equal(ok("2026-12-01T08:00+03:00"), T0);
	assert_int_equal(ok("2026-12-01T08:00:00+0300"), T0);
	assert_int_equal(ok("2026-12-01T08:00+03"), T0);
	assert_int_equal(ok("2026-12-01T00:30-04:30"), T0);
	assert_int_equal(ok("2026-12-01T05:00+00:00"), T0);
	assert_int_equal(ok("1970-01-01T00:00Z"), 0);
	assert_int_equal(ok("2028-02-29T00:00Z"), 1835395200000LL);
	assert_int_equal(ok("2000-03-01T00:00Z"), 951868800000LL);
}

static void
test_local(void **state)
{
	(void)state;
	/* East Africa Time, three hours ahead of UTC, no daylight saving. */
	setenv("TZ", "EAT-3", 1);
	tzset();
	assert_int_equal(ok("2026-12-01T08:00"), T0);
	assert_int_equal(ok("2026-12-01T08:00:30"), T0 + 30000);
	assert_int_equal(ok("2026-12-01T08:00:30.75"), T0 + 30750);
	/* Central Europe: winter is +1, summer +2. */
	setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
	tzset();
	assert_int_equal(ok("2026-12-01T06:00"), T0);
	assert_int_equal(ok("2026-07-01T12:00"), 1782900000000LL);
	/* 02:30 on 29 March 2026 does not exist there. */
	{
		int64_t ms = 7;

		/* Told apart from a bad form, so that callers can say so. */
		assert_int_equal(timeparse_iso8601("2026-03-29T02:30", &ms),
		    TIMEPARSE_SKIPPED);
		assert_int_equal(ms, 7);
		assert_int_equal(
		    timeparse_iso8601("2026-03-29T02:61", &ms), -1);
	}
	/*
	 * 02:30 on 25 October 2026 comes twice there (clocks go back at
	 * 03:00): the first, summer time's, whatever was read before it
	 * (mktime alone picked by what it was asked last).
	 */
	assert_int_equal(ok("2026-10-25T02:30"), 1792888200000LL);
	assert_int_equal(ok("2026-01-10T12:00"), 1768042800000LL);
	assert_int_equal(ok("2026-10-25T02:30"), 1792888200000LL);
	assert_int_equal(ok("2026-07-01T12:00"), 1782900000000LL);
	assert_int_equal(ok("2026-10-25T02:30"), 1792888200000LL);
	setenv("TZ", "UTC0", 1);
	tzset();
	assert_int_equal(ok("2026-12-01T05:00"), T0);
}

static void
test_bad_forms(void **state)
{
	static const char *const bad[] = {
	    "",
	    "2026-12-01",
	    "2026-12-01T08",
	    "2026-12-01 08:00",
	    "2026-12-01t08:00",
	    "26-12-01T08:00",
	    "2026-1-01T08:00",
	    "2026-12-1T08:00",
	    "2026/12/01T08:00",
	    "2026-13-01T08:00Z",
	    "2026-00-01T08:00Z",
	    "2026-12-00T08:00Z",
	    "2026-11-31T08:00Z",
	    "2026-02-29T08:00Z",
	    "1900-02-29T08:00Z",
	    "2026-12-01T24:00Z",
	    "2026-12-01T08:60Z",
	    "2026-12-01T08:00:60Z",
	    "2026-12-01T8:00Z",
	    "2026-12-01T08:00:0Z",
	    "2026-12-01T08:00:00.Z",
	    "2026-12-01T08:00:00.1234567890Z",
	    "2026-12-01T08:00.5Z",
	    "2026-12-01T08:00:00.5.5Z",
	    "2026-12-01T08:00ZZ",
	    "2026-12-01T08:00Z ",
	    " 2026-12-01T08:00Z",
	    "2026-12-01T08:00+3:00",
	    "2026-12-01T08:00+03:0",
	    "2026-12-01T08:00+24:00",
	    "2026-12-01T08:00+03:60",
	    "2026-12-01T08:00+",
	    "2026-12-01T08:00 +03:00",
	    "1969-12-31T23:59Z",
	    "1970-01-01T02:00+03:00",
	    "2026-W48-1T08:00Z",
	    "tomorrow",
	};
	size_t i;
	int64_t ms;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ms = 42;
		if (timeparse_iso8601(bad[i], &ms) != -1)
			fail_msg("accepted: \"%s\"", bad[i]);
		assert_int_equal(ms, 42);
	}
	assert_int_equal(timeparse_iso8601(NULL, &ms), -1);
	/* Longer than TIMEPARSE_INPUT_MAX, however it starts. */
	{
		char longer[TIMEPARSE_INPUT_MAX + 8];

		memset(longer, ' ', sizeof(longer) - 1);
		memcpy(longer, "2026-12-01T08:00Z", 17);
		longer[sizeof(longer) - 1] = '\0';
		assert_int_equal(timeparse_iso8601(longer, &ms), -1);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_utc_and_offsets),
	    cmocka_unit_test(test_local),
	    cmocka_unit_test(test_bad_forms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
