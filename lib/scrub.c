/*
 * scrub.c: digit runs found and replaced, phone numbers masked (see
 * scrub.h for the rule). Pure functions: no state, no I/O.
 */
#include "lib/scrub.h"

#include <stdio.h>
#include <string.h>

#include "lib/util.h"

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
is_sep(char c)
{
	return c == ' ' || c == '.' || c == '-';
}

int
scrub_next(const char *s, struct scrub_run *r)
{
	size_t i, k, group;

	for (i = 0; s[i] != '\0'; i++)
		if (is_digit(s[i]) || (s[i] == '+' && is_digit(s[i + 1])))
			break;
	if (s[i] == '\0')
		return -1;
	memset(r, 0, sizeof(*r));
	r->start = i;
	k = s[i] == '+' ? i + 1 : i;
	for (;;) {
		for (group = 0; is_digit(s[k]); k++, group++)
			;
		r->digits += group;
		if (group > r->longest)
			r->longest = group;
		if (!is_sep(s[k]) || !is_digit(s[k + 1]))
			break;
		k++;
	}
	r->len = k - i;
	return 0;
}

/* Appends n bytes of p at out + *at when out is not NULL; counts them. */
static void
put(char *out, size_t *at, const char *p, size_t n)
{
	if (out != NULL)
		memcpy(out + *at, p, n);
	*at += n;
}

/* Writes the scrubbed s into out (NULL: only count); returns its length. */
static size_t
scrub_into(const char *s, char *out)
{
	static const char repl[] = SCRUB_REPLACEMENT;
	struct scrub_run r;
	size_t at = 0;

	while (scrub_next(s, &r) == 0) {
		put(out, &at, s, r.start);
		if (r.digits >= SCRUB_MIN_DIGITS)
			put(out, &at, repl, sizeof(repl) - 1);
		else
			put(out, &at, s + r.start, r.len);
		s += r.start + r.len;
	}
	put(out, &at, s, strlen(s));
	return at;
}

char *
scrub_numbers(const char *s)
{
	char *out;
	size_t n;

	if (s == NULL)
		return NULL;
	n = scrub_into(s, NULL);
	out = xmalloc(n + 1);
	scrub_into(s, out);
	out[n] = '\0';
	return out;
}

int
scrub_is_number(const struct scrub_run *r)
{
	return r->digits >= SCRUB_MIN_DIGITS || r->longest >= 6;
}

void
scrub_mask_run(char *p, size_t len, size_t digits)
{
	size_t k, d = 0;

	for (k = 0; k < len; k++)
		if (p[k] >= '0' && p[k] <= '9') {
			if (d >= 2 && d + 2 < digits)
				p[k] = '*';
			d++;
		}
}

char *
scrub_mask_numbers(const char *s)
{
	struct scrub_run r;
	char *out, *p;

	if (s == NULL)
		return NULL;
	out = xstrdup(s);
	for (p = out; scrub_next(p, &r) == 0; p += r.start + r.len)
		if (scrub_is_number(&r))
			scrub_mask_run(p + r.start, r.len, r.digits);
	return out;
}

const char *
scrub_phone(const char *num, char *out, size_t outlen)
{
	size_t len, i;
	unsigned char c;

	if (outlen == 0)
		return out;
	if (num == NULL || (len = strlen(num)) < 9) {
		snprintf(out, outlen, "****");
		return out;
	}
	for (i = 0; i < len && i + 1 < outlen; i++) {
		c = (unsigned char)num[i];
		if (i >= 4 && i < len - 2)
			out[i] = '*';
		else
			out[i] = c > 0x20 && c < 0x7f ? (char)c : '*';
	}
	out[i] = '\0';
	return out;
}
