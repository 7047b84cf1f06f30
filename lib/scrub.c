/*
 * scrub.c: digit runs found and replaced, phone numbers masked (see
 * scrub.h for the rule). Pure functions: no state, no I/O.
 */
#include "lib/scrub.h"

#include <stdio.h>
#include <string.h>

#include "lib/util.h"

/*
 * The code point of the 2- or 3-byte UTF-8 character at s in *cp and its
 * bytes, or 0 (ASCII, a 4-byte one, or bytes that are not UTF-8).
 */
static size_t
wide_at(const unsigned char *s, unsigned long *cp)
{
	if (s[0] >= 0xC2 && s[0] <= 0xDF && (s[1] & 0xC0) == 0x80) {
		*cp = ((unsigned long)(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
		return 2;
	}
	if (s[0] >= 0xE0 && s[0] <= 0xEF && (s[1] & 0xC0) == 0x80 &&
	    (s[2] & 0xC0) == 0x80) {
		*cp = ((unsigned long)(s[0] & 0x0F) << 12) |
		      ((unsigned long)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
		return *cp >= 0x800 ? 3 : 0;
	}
	return 0;
}

/*
 * The bytes of the digit at s, or 0: an ASCII digit (1), or a decimal
 * digit of another script that phones type: Arabic-Indic and Eastern
 * Arabic-Indic, N'Ko (2 bytes), the Indic scripts, Thai, Lao, Tibetan,
 * Myanmar, Khmer, Mongolian and the fullwidth ones (3).
 */
static size_t
digit_at(const char *str)
{
	static const unsigned long zeros[] = {0x0660, 0x06F0, 0x07C0, 0x0966,
	    0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66,
	    0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x17E0, 0x1810, 0xFF10};
	const unsigned char *s = (const unsigned char *)str;
	unsigned long cp;
	size_t n, i;

	if (s[0] >= '0' && s[0] <= '9')
		return 1;
	if ((n = wide_at(s, &cp)) == 0)
		return 0;
	for (i = 0; i < sizeof(zeros) / sizeof(zeros[0]); i++)
		if (cp >= zeros[i] && cp <= zeros[i] + 9)
			return n;
	return 0;
}

/*
 * The bytes of the separator at s, or 0: one of SCRUB_SEPARATORS, or a
 * space or dash of another kind that phones and word processors put
 * between groups: no-break, thin, narrow and ideographic spaces (and the
 * other fixed-width ones), zero-width space, the hyphens and dashes
 * U+2010-U+2015, the minus sign and the fullwidth hyphen-minus.
 */
static size_t
sep_at(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned long cp;
	size_t n;

	if (s[0] != '\0' && s[0] < 0x80)
		return strchr(SCRUB_SEPARATORS, s[0]) != NULL;
	if ((n = wide_at(s, &cp)) == 0)
		return 0;
	if (cp == 0x00A0 || (cp >= 0x2000 && cp <= 0x200B) ||
	    (cp >= 0x2010 && cp <= 0x2015) || cp == 0x202F || cp == 0x2212 ||
	    cp == 0x3000 || cp == 0xFF0D)
		return n;
	return 0;
}

/*
 * The bytes of the separators at s before a digit (1 to SCRUB_MAX_SEPS of
 * them, their count in *count), or 0.
 */
static size_t
seps_before_digit(const char *s, size_t *count)
{
	size_t at = 0, n, k;

	for (k = 0; k < SCRUB_MAX_SEPS && (n = sep_at(s + at)) > 0; k++)
		at += n;
	*count = k;
	return k > 0 && digit_at(s + at) ? at : 0;
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
	size_t i, k, n, group, seps;

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
		if ((n = seps_before_digit(s + k, &seps)) == 0)
			break;
		/* Two or three separators join groups of three digits or
		 * more only ("0712 - 345", not "Ward 4 - 0712"). */
		if (seps > 1 && (group < 3 || group_after(s + k + n) < 3))
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
