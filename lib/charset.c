/*
 * charset.c: SMS character sets read into UTF-8.
 */
#include "lib/charset.h"

#include <string.h>

#define REPLACEMENT 0xFFFDUL

/* Windows-1252's 0x80-0x9F; 0 where it has no character. */
static const unsigned short cp1252_high[32] = {0x20AC, 0, 0x201A, 0x0192,
    0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,
    0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178};

static const struct {
	const char *name;
	enum charset cs;
} names[] = {
    {"UTF-8", CHARSET_UTF8},
    {"UTF8", CHARSET_UTF8},
    {"UTF-16BE", CHARSET_UTF16BE},
    {"UTF-16", CHARSET_UTF16BE},
    {"UCS-2", CHARSET_UTF16BE},
    {"UCS2", CHARSET_UTF16BE},
    {"ISO-8859-1", CHARSET_LATIN1},
    {"ISO8859-1", CHARSET_LATIN1},
    {"LATIN1", CHARSET_LATIN1},
    {"WINDOWS-1252", CHARSET_CP1252},
    {"CP1252", CHARSET_CP1252},
    {"US-ASCII", CHARSET_ASCII},
    {"ASCII", CHARSET_ASCII},
    {"8-BIT", CHARSET_8BIT},
    {"BINARY", CHARSET_8BIT},
};

int
charset_named(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (str_ieq(name, names[i].name))
			return (int)names[i].cs;
	return -1;
}

void
charset_put_utf8(struct buf *b, unsigned long cp)
{
	unsigned char u[4];
	size_t n;

	if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = REPLACEMENT;
	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xC0 | cp >> 6);
		u[1] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xE0 | cp >> 12);
		u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (unsigned char)(0xF0 | cp >> 18);
		u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	(void)buf_append(b, u, n);
}

/* UTF-16BE with surrogate pairs; a lone surrogate or odd byte: U+FFFD. */
static void
from_utf16be(const uint8_t *p, size_t n, struct buf *out)
{
	unsigned long cp, lo;
	size_t i;

	for (i = 0; i + 1 < n; i += 2) {
		cp = (unsigned long)p[i] << 8 | p[i + 1];
		if (cp >= 0xD800 && cp <= 0xDBFF && i + 3 < n) {
			lo = (unsigned long)p[i + 2] << 8 | p[i + 3];
			if (lo >= 0xDC00 && lo <= 0xDFFF) {
				cp = 0x10000 + ((cp - 0xD800) << 10) +
				     (lo - 0xDC00);
				i += 2;
			}
		}
		charset_put_utf8(out, cp);
	}
	if (n % 2 != 0)
		charset_put_utf8(out, REPLACEMENT);
}

/* UTF-8 kept, each invalid sequence (and NUL) as U+FFFD. */
static void
from_utf8(const uint8_t *p, size_t n, struct buf *out)
{
	size_t i = 0, k;

	while (i < n) {
		k = utf8_seq((const char *)p + i, n - i);
		if (k == 0 || p[i] == 0) {
			charset_put_utf8(out, REPLACEMENT);
			i++;
		} else {
			(void)buf_append(out, p + i, k);
			i += k;
		}
	}
}

void
charset_to_utf8(enum charset cs, const uint8_t *p, size_t n, struct buf *out)
{
	unsigned long cp;
	size_t i;

	switch (cs) {
	case CHARSET_UTF8:
		from_utf8(p, n, out);
		return;
	case CHARSET_UTF16BE:
		from_utf16be(p, n, out);
		return;
	case CHARSET_LATIN1:
	case CHARSET_CP1252:
	case CHARSET_ASCII:
	case CHARSET_8BIT:
		break;
	}
	for (i = 0; i < n; i++) {
		cp = p[i];
		if (cs == CHARSET_CP1252 && cp >= 0x80 && cp <= 0x9F)
			cp = cp1252_high[cp - 0x80] ? cp1252_high[cp - 0x80]
						    : REPLACEMENT;
		else if (cs == CHARSET_ASCII && cp > 0x7F)
			cp = REPLACEMENT;
		else if (cs == CHARSET_8BIT && (cp < 0x20 || cp > 0x7E) &&
			 cp != '\t' && cp != '\n' && cp != '\r')
			cp = REPLACEMENT;
		charset_put_utf8(out, cp);
	}
}
