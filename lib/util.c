/*
 * util.c: allocation wrappers, bounded buffers, clocks, string helpers.
 */
#include "lib/util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static NORETURN void
oom(size_t n)
{
	fprintf(stderr, "baraza: out of memory allocating %zu bytes\n", n);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom(n);
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		oom(nmemb * size);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		oom(n);
	return q;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *
xconcat(const char *first, ...)
{
	const char *s;
	va_list ap;
	size_t len = 0, n;
	char *out, *p;

	va_start(ap, first);
	for (s = first; s != NULL; s = va_arg(ap, const char *))
		len += strlen(s);
	va_end(ap);
	p = out = xmalloc(len + 1);
	va_start(ap, first);
	for (s = first; s != NULL; s = va_arg(ap, const char *)) {
		n = strlen(s);
		memcpy(p, s, n);
		p += n;
	}
	va_end(ap);
	*p = '\0';
	return out;
}

char *
xvasprintf(const char *fmt, va_list ap)
{
	va_list ap2;
	int n;
	char *p;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		oom(0);
	p = xmalloc((size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

void
errmsg_set(char **errmsg, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (errmsg == NULL)
		return;
	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	free(*errmsg);
	*errmsg = s;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

static int
buf_grow(struct buf *b, size_t add)
{
	size_t need, cap;

	if (add > b->max || b->len > b->max - add)
		return -1;
	need = b->len + add + 1;
	if (need <= b->cap)
		return 0;
	/* 256 first: a request's headers, a session, a body in 2-3 steps. */
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
	return 0;
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
	if (buf_grow(b, n) == -1)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

size_t
fmt_u(char out[FMT_U_SIZE], unsigned long long v)
{
	char d[FMT_U_SIZE], *p = d + sizeof(d);
	size_t n;

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	n = (size_t)(d + sizeof(d) - p);
	memcpy(out, p, n);
	out[n] = '\0';
	return n;
}

int
buf_putu(struct buf *b, unsigned long long v)
{
	char d[FMT_U_SIZE];

	return buf_append(b, d, fmt_u(d, v));
}

int
buf_json_string(struct buf *b, const char *str, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run, n;
	char esc[6];

	if (buf_append(b, "\"", 1) == -1)
		return -1;
	while (i < len) {
		/* The longest run that goes out as it is, in one append. */
		for (run = i; run < len; run += n) {
			if (s[run] < 0x20 || s[run] == '"' || s[run] == '\\')
				break;
			if (s[run] < 0x80)
				n = 1;
			else if ((n = utf8_seq(str + run, len - run)) == 0)
				return -1;
		}
		if (run > i && buf_append(b, str + i, run - i) == -1)
			return -1;
		if ((i = run) == len)
			break;
		esc[0] = '\\';
		n = 2;
		switch (s[i]) {
		case '"':
		case '\\':
			esc[1] = (char)s[i];
			break;
		case '\b':
			esc[1] = 'b';
			break;
		case '\f':
			esc[1] = 'f';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '\t':
			esc[1] = 't';
			break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[s[i] >> 4];
			esc[5] = hex[s[i] & 0xf];
			n = 6;
		}
		if (buf_append(b, esc, n) == -1)
			return -1;
		i++;
	}
	return buf_append(b, "\"", 1);
}

size_t
utf8_seq(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (len == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (n > len)
		return 0;
	/* Reject overlong forms, surrogates and code points past U+10FFFF. */
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int rc;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	rc = buf_append(b, s, strlen(s));
	free(s);
	return rc;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void
buf_truncate(struct buf *b, size_t len)
{
	if (len >= b->len)
		return;
	b->len = len;
	b->data[len] = '\0';
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

char *
buf_steal(struct buf *b)
{
	char *p = b->data ? b->data : xstrdup("");

	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

const char *
buf_cstr(const struct buf *b)
{
	return b->data ? b->data : "";
}

static int64_t clock_offset_ms; /* added to the real clock by clock_set() */
static int clock_frozen;        /* now_ms() reads clock_frozen_ms */
static int64_t clock_frozen_ms; /* the time clock_freeze() set */

int64_t
now_ms(void)
{
	struct timespec ts;

	if (clock_frozen)
		return clock_frozen_ms;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 +
	       clock_offset_ms;
}

void
clock_set(int64_t ms)
{
	clock_frozen = 0;
	clock_offset_ms = 0;
	clock_offset_ms = ms - now_ms();
}

void
clock_freeze(int64_t ms)
{
	clock_frozen_ms = ms;
	clock_frozen = 1;
}

int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
iso8601_utc(int64_t ms, char *out, size_t outlen)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

char *
str_trim(char *s)
{
	char *e;

	while (*s != '\0' && isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	*e = '\0';
	return s;
}

int
str_split_commas(char *s, char **v, size_t max)
{
	size_t n = 0;
	char *p;

	while ((p = strsep(&s, ",")) != NULL) {
		p = str_trim(p);
		if (*p == '\0')
			continue;
		if (n == max)
			return -1;
		v[n++] = p;
	}
	return (int)n;
}

int64_t
str_id(const char *s)
{
	int64_t id = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		id = id * 10 + (*s - '0');
		if (id > ((int64_t)1 << 53))
			return -1;
	}
	return id > 0 ? id : -1;
}

int
str_ieq(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

int
str_plain_decimal(const char *t)
{
	size_t digits = 0, dots = 0;

	if (*t == '-' || *t == '+')
		t++;
	for (; *t != '\0'; t++) {
		if (isdigit((unsigned char)*t))
			digits++;
		else if (*t == '.' && dots++ == 0)
			continue;
		else
			return 0;
	}
	return digits > 0;
}
