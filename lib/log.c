/*
 * log.c: the event log on stderr.
 */
#include "lib/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/scrub.h"

static int log_level = L_INFO;
static const char *const level_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};

void
log_set_level(int level)
{
	log_level = level;
}

int
log_get_level(void)
{
	return log_level;
}

int
log_level_parse(const char *s)
{
	if (strcmp(s, "error") == 0)
		return L_ERROR;
	if (strcmp(s, "warn") == 0 || strcmp(s, "warning") == 0)
		return L_WARN;
	if (strcmp(s, "info") == 0)
		return L_INFO;
	if (strcmp(s, "debug") == 0)
		return L_DEBUG;
	return -1;
}

int
log_would(int level)
{
	return level <= log_level;
}

void
log_msg(int level, const char *module, const char *fmt, ...)
{
	char line[2048], ts[40];
	struct timespec now;
	struct tm tm;
	va_list ap;
	int n;

	if (level > log_level)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line, sizeof(line), "%s.%03ldZ %s %s: ", ts,
	    now.tv_nsec / 1000000, level_names[level], module);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	/*
	 * One line per event: no control character (a newline, a carriage
	 * return, an escape) survives. One write per line, so lines from
	 * several processes do not mix.
	 */
	for (char *p = line; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	fprintf(stderr, "%s\n", line);
}

static NORETURN void
vfatal(int with_errno, const char *fmt, va_list ap)
{
	char msg[1024];
	int saved = errno;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_errno)
		fprintf(stderr, "baraza: %s: %s\n", msg, strerror(saved));
	else
		fprintf(stderr, "baraza: %s\n", msg);
	exit(1);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfatal(1, fmt, ap);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfatal(0, fmt, ap);
}

const char *
log_phone(const char *num, char *out, size_t outlen)
{
	/* At every level, debug included: logs are copied to places that
	 * residents' numbers must not reach. */
	return scrub_phone(num, out, outlen);
}

/*
 * Appends the n bytes at s to out (at *i, never past outlen - 1), made safe
 * for a log line: a control character (a byte below 0x20, 0x7f, or a C1
 * control U+0080 to U+009F in UTF-8) becomes a space and '"' becomes '\'',
 * so free text can neither forge a line nor close its quoted value. Other
 * bytes, UTF-8 included, stay.
 */
static void
put_clean(char *out, size_t outlen, size_t *i, const char *s, size_t n)
{
	unsigned char c;
	size_t k;

	for (k = 0; k < n && *i + 1 < outlen; k++) {
		c = (unsigned char)s[k];
		if (c == 0xc2 && k + 1 < n && (unsigned char)s[k + 1] >= 0x80 &&
		    (unsigned char)s[k + 1] <= 0x9f) {
			k++;
			c = ' ';
		} else if (c < 0x20 || c == 0x7f)
			c = ' ';
		else if (c == '"')
			c = '\'';
		out[(*i)++] = (char)c;
	}
}

/* Appends digit run r of s masked: its first and last two digits stay. */
static void
put_masked(char *out, size_t outlen, size_t *i, const char *s,
    const struct scrub_run *r)
{
	size_t n = r->len;

	/* A run holds digits, '+' and single separators: nothing to clean. */
	if (n > outlen - 1 - *i)
		n = outlen - 1 - *i;
	memcpy(out + *i, s + r->start, n);
	scrub_mask_run(out + *i, n, r->digits);
	*i += n;
}

/* Drops a UTF-8 sequence left incomplete at the end of out[0..*i). */
static void
utf8_trim(char *out, size_t *i)
{
	size_t k = *i, want;
	unsigned char c;

	while (
	    k > 0 && *i - k < 3 && ((unsigned char)out[k - 1] & 0xc0) == 0x80)
		k--;
	if (k == 0)
		return;
	c = (unsigned char)out[k - 1];
	if (c < 0xc0)
		return;
	want = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
	if (*i - (k - 1) < want)
		*i = k - 1;
}

const char *
log_text(const char *s, char *out, size_t outlen)
{
	struct scrub_run r;
	size_t i = 0;

	if (outlen == 0)
		return out;
	if (s == NULL)
		s = "";
	while (i + 1 < outlen && scrub_next(s, &r) == 0) {
		put_clean(out, outlen, &i, s, r.start);
		if (scrub_is_number(&r))
			put_masked(out, outlen, &i, s, &r);
		else
			put_clean(out, outlen, &i, s + r.start, r.len);
		s += r.start + r.len;
	}
	put_clean(out, outlen, &i, s, strlen(s));
	utf8_trim(out, &i);
	out[i] = '\0';
	return out;
}
