/*
 * timeparse.c: ISO 8601 date and time to epoch milliseconds.
 */
#include "lib/timeparse.h"

#include <string.h>
#include <time.h>

/* Reads exactly n decimal digits at *p into *v and moves *p past them. */
static int
digits(const char **p, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		*v = *v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return 0;
}

static int
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int y, int m)
{
	static const int days[12] = {
	    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 2 && leap(y) ? 29 : days[m - 1];
}

/* Days from 1970-01-01 to the civil date y-m-d (proleptic Gregorian). */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/*
 * mktime of a local wall time with tm_isdst dst into *t: 1 when the time
 * it gives is that wall time, 0 when mktime had to move it (a reading that
 * does not hold then), -1 when it cannot place it (or before 1970).
 */
static int
local_try(int y, int mo, int d, int h, int mi, int sec, int dst, time_t *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	tm.tm_isdst = dst;
	if ((*t = mktime(&tm)) == (time_t)-1 || *t < 0)
		return -1;
	return tm.tm_year == y - 1900 && tm.tm_mon == mo - 1 &&
	       tm.tm_mday == d && tm.tm_hour == h && tm.tm_min == mi &&
	       tm.tm_sec == sec;
}

int
timeparse_iso8601(const char *s, int64_t *ms)
{
	const char *p = s;
	int y, mo, d, h, mi, sec = 0, oh = 0, om = 0, sign = 0, utc = 0;
	int frac = 0, scale = 100, nfrac = 0;
	int64_t secs;
	time_t t, best = 0;
	int dst, found;

	if (s == NULL ||
	    strnlen(s, TIMEPARSE_INPUT_MAX + 1) > TIMEPARSE_INPUT_MAX)
		return -1;
	if (digits(&p, 4, &y) < 0 || *p++ != '-' || digits(&p, 2, &mo) < 0 ||
	    *p++ != '-' || digits(&p, 2, &d) < 0 || *p++ != 'T' ||
	    digits(&p, 2, &h) < 0 || *p++ != ':' || digits(&p, 2, &mi) < 0)
		return -1;
	if (*p == ':') {
		p++;
		if (digits(&p, 2, &sec) < 0)
			return -1;
		/* A decimal fraction of the second: milliseconds kept. */
		if (*p == '.' || *p == ',') {
			for (p++; *p >= '0' && *p <= '9'; p++, nfrac++) {
				frac += (*p - '0') * scale;
				scale /= 10;
			}
			if (nfrac == 0 || nfrac > 9)
				return -1;
		}
	}
	if (*p == 'Z') {
		utc = 1;
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		utc = 1;
		if (digits(&p, 2, &oh) < 0)
			return -1;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &om) < 0)
				return -1;
		} else if (*p != '\0' && digits(&p, 2, &om) < 0)
			return -1;
		if (oh > 23 || om > 59)
			return -1;
	}
	if (*p != '\0')
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) ||
	    h > 23 || mi > 59 || sec > 59)
		return -1;

	if (utc) {
		secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
		       sec - (int64_t)sign * (oh * 3600 + om * 60);
		if (secs < 0)
			return -1;
		*ms = secs * 1000 + frac;
		return 0;
	}

	/*
	 * Local time: mktime works out the offset, daylight saving included.
	 * A time it had to move (one a clock change skips) does not exist. A
	 * time a change repeats (clocks going back) is its first occurrence,
	 * as a campaign's send time is: mktime with tm_isdst -1 picks one by
	 * what the process asked it before, so each reading is tried and the
	 * earlier that keeps the wall time wins.
	 */
	found = 0;
	for (dst = 0; dst <= 1; dst++) {
		if (local_try(y, mo, d, h, mi, sec, dst, &t) != 1)
			continue;
		if (!found || t < best)
			best = t;
		found = 1;
	}
	/* Neither reading keeps it: a time that does not exist, unless
	   mktime cannot place it at all. */
	if (!found)
		return local_try(y, mo, d, h, mi, sec, -1, &t) < 0
			   ? -1
			   : TIMEPARSE_SKIPPED;
	*ms = (int64_t)best * 1000 + frac;
	return 0;
}
