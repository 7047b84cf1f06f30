/*
 * timeparse.h: the ISO 8601 times that `--at` takes.
 *
 * Accepted forms: DATE "T" TIME [ZONE], where DATE is YYYY-MM-DD, TIME is
 * HH:MM, HH:MM:SS or HH:MM:SS with a decimal fraction of 1 to 9 digits
 * after '.' or ',' (24-hour clock; milliseconds kept, the rest dropped) and
 * ZONE is "Z" or an offset from UTC, +HH:MM, -HH:MM, +HHMM or +HH. Without
 * a zone the time is local (the TZ of the process): "2026-12-01T08:00" is
 * eight in the morning here. Years run from 1970 to 9999; week dates,
 * ordinal dates, a lower-case t or z and a space for the T are refused,
 * and so is a local time that a daylight saving change skips.
 *
 * Ownership: nothing is allocated; the result goes into the caller's
 * int64_t.
 */
#ifndef BARAZA_TIMEPARSE_H
#define BARAZA_TIMEPARSE_H

#include <stdint.h>

#define TIMEPARSE_INPUT_MAX 64 /* longest input looked at */

#define TIMEPARSE_SKIPPED (-2) /* a local time a clock change skips */

/*
 * Parses s into milliseconds since the epoch in *ms. Returns 0,
 * TIMEPARSE_SKIPPED for a local time of the right form that does not
 * exist here (a daylight saving change skips it: the caller can say so),
 * or -1 for anything else than the forms above (*ms is then left alone).
 * Nothing is allocated.
 */
int timeparse_iso8601(const char *s, int64_t *ms);

#endif
