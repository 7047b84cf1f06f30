/*
 * scrub.c: digit runs found and replaced, phone numbers masked (see
 * scrub.h for the rule). Pure functions: no state, no I/O.
 */
#include "lib/scrub.h"

#include <stdio.h>
#include <string.h>

#include "lib/util.h"

/*
 * The bytes of the digit at s, or 0: an ASCII digit (1), an Arabic-Indic
 * or Eastern Arabic-Indic one (U+0660-U+0669, U+06F0-U+06F9: 2) or a
 * fullwidth one (U+FF10-U+FF19: 3).
 */
static size_t
digit_at(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	if (s[0] >= '0' && s[0] <= '9')
		return 1;
	if ((s[0] == 0xD9 && s[1] >= 0xA0 && s[1] <= 0xA9) ||
	    (s[0] == 0xDB && s[1] >= 0xB0 && s[1] <= 0xB9))
		return 2;
	if (s[0] == 0xEF && s[1] == 0xBC && s[2] >= 0x90 && s[2] <= 0x99)
		return 3;
	return 0;
}

static int
is_sep(char c)
{
	return c != '\0' && strchr(SCRUB_SEPARATORS, c) != NULL;
}

/* The separators at s before a digit (1 to SCRUB_MAX_SEPS), or 0. */
static size_t
seps_before_digit(const char *s)
{
	size_t n;

	for (n = 0; n < SCRUB_MAX_SEPS && is_sep(s[n]); n++)
		;
	return n > 0 && digit_at(s + n) ? n : 0;
}

/* The digits of the group at s. */
static size_t
group_after(const char *s)
{
	size_t g = 0, n;

	for (; (n = digit_at(s)) > 0; s += n)
		g++;
	return g;
}

int
scrub_next(const char *s, struct scrub_run *r)
{
	size_t i, k, n, group;

	for (i = 0; s[i] != '\0'; i++)
		if (digit_at(s + i) || (s[i] == '+' && digit_at(s + i + 1)))
			break;
	if (s[i] == '\0')
		return -1;
	memset(r, 0, sizeof(*r));
	r->start = i;
	k = s[i] == '+' ? i + 1 : i;
	for (;;) {
		for (group = 0; (n = digit_at(s + k)) > 0; k += n, group++)
			;
		r->digits += group;
		if (group > r->longest)
			r->longest = group;
		if ((n = seps_before_digit(s + k)) == 0)
			break;
		/* Two or three separators join groups of three digits or
		 * more only ("0712 - 345", not "Ward 4 - 0712"). */
		if (n > 1 && (group < 3 || group_after(s + k + n) < 3))
			break;
		k += n;
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
	size_t k = 0, d = 0, n;

	while (k < len) {
		if ((n = digit_at(p + k)) == 0) {
			k++;
			continue;
		}
		/* Every byte of a digit masked: '*' once for an ASCII one,
		 * as often as its bytes for another. */
		if (d >= 2 && d + 2 < digits)
			memset(p + k, '*', n);
		d++;
		k += n;
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
