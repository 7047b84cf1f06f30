/*
 * log.c: the event log on stderr.
 */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	/* One write per line, so lines from several processes do not mix. */
	for (char *p = line; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
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
	size_t len;

	if (num == NULL)
		num = "";
	len = strlen(num);
	if (log_level >= L_DEBUG || len < 9) {
		snprintf(out, outlen, "%s",
		    len < 9 && log_level < L_DEBUG ? "****" : num);
		return out;
	}
	snprintf(out, outlen, "%.5s****%s", num, num + len - 4);
	return out;
}

const char *
log_text(const char *s, char *out, size_t outlen)
{
	size_t i = 0, run, k;

	if (outlen == 0)
		return out;
	if (s == NULL)
		s = "";
	while (*s != '\0' && i + 1 < outlen) {
		for (run = 0; s[run] >= '0' && s[run] <= '9'; run++)
			;
		if (run >= 6 && log_level < L_DEBUG) {
			for (k = 0; k < run && i + 1 < outlen; k++)
				out[i++] = k < 2 || k >= run - 2 ? s[k] : '*';
			s += run;
			continue;
		}
		if (run == 0)
			run = 1;
		for (k = 0; k < run && i + 1 < outlen; k++)
			out[i++] = s[k];
		s += run;
	}
	out[i] = '\0';
	return out;
}
