/*
 * charset.h: text in the character sets that SMS carries (UTF-16BE,
 * Latin-1, Windows-1252, 8-bit data), read into UTF-8.
 *
 * Whatever cannot be read (an unpaired surrogate, an odd last byte of
 * UTF-16BE, a NUL, a byte that means nothing in the set) becomes U+FFFD,
 * so that the result is always a valid UTF-8 C string. Each function
 * appends to the caller's buf; sized with CHARSET_UTF8_MAX(n) bytes to
 * spare, an append cannot fail.
 */
#ifndef BARAZA_CHARSET_H
#define BARAZA_CHARSET_H

#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"

/* The most UTF-8 bytes n bytes of any set here turn into (and a NUL). */
#define CHARSET_UTF8_MAX(n) (3 * (n) + 4)

/* The character sets read here. */
enum charset {
	CHARSET_UTF8,    /* UTF-8: checked, not converted */
	CHARSET_UTF16BE, /* UTF-16BE (UCS-2 with surrogate pairs) */
	CHARSET_LATIN1,  /* ISO-8859-1 */
	CHARSET_CP1252,  /* Windows-1252: Latin-1 with 0x80-0x9F printable */
	CHARSET_ASCII,   /* US-ASCII (IA5): bytes over 0x7F are U+FFFD */
	CHARSET_8BIT     /* binary: printable ASCII, tab, CR, LF kept */
};

/*
 * The set a name calls (case-insensitive: "UTF-8", "UTF8", "UTF-16BE",
 * "UTF-16", "UCS-2", "UCS2", "ISO-8859-1", "LATIN1", "WINDOWS-1252",
 * "CP1252", "US-ASCII", "ASCII", "8-BIT", "BINARY"), or -1 for another.
 */
int charset_named(const char *name);

/* Appends the code point cp as UTF-8 (NUL, a surrogate or one past
   U+10FFFF as U+FFFD). */
void charset_put_utf8(struct buf *b, unsigned long cp);

/*
 * Appends the n bytes at p, written in cs, to out as UTF-8. CHARSET_UTF8
 * is copied with every invalid sequence and NUL as U+FFFD.
 */
void
charset_to_utf8(enum charset cs, const uint8_t *p, size_t n, struct buf *out);

#endif
