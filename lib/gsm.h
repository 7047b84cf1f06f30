/*
 * gsm.h: how many SMS segments a UTF-8 text takes (3GPP TS 23.038, formerly
 * GSM 03.38).
 *
 * A text whose every character is in the GSM 7-bit default alphabet or its
 * extension table is sent as GSM-7: 160 septets in a single message, 153 per
 * part once it needs a concatenation header; an extension character (escape
 * plus code) takes two septets and is never split across parts. Any other
 * text is sent as UCS-2 (UTF-16 on the air): 70 code units single, 67 per
 * part; a surrogate pair is never split. The empty text is one segment.
 *
 * Ownership: nothing is allocated or kept; results go into the caller's
 * struct gsm_info, names are static strings.
 */
#ifndef BARAZA_GSM_H
#define BARAZA_GSM_H

#include <stddef.h>

#define GSM7_SINGLE 160 /* septets in a single GSM-7 message */
#define GSM7_PART 153   /* septets per part of a concatenated GSM-7 message */
#define UCS2_SINGLE 70  /* code units in a single UCS-2 message */
#define UCS2_PART 67    /* code units per part of a concatenated UCS-2 one */

enum gsm_encoding {
	GSM_ENC_GSM7 = 0, /* GSM 7-bit default alphabet (+ extension table) */
	GSM_ENC_UCS2,     /* UCS-2 / UTF-16 */
};

struct gsm_info {
	enum gsm_encoding encoding; /* the encoding the text needs */
	size_t units;               /* septets (GSM-7) or UTF-16 code units */
	size_t segments;            /* SMS parts, at least 1 */
	size_t chars;               /* Unicode code points */
	int invalid;                /* 1 when the input held invalid UTF-8 */
};

/*
 * Counts the segments utf8 (NUL-terminated) needs and fills *out. Invalid
 * UTF-8 never fails: each invalid byte counts as U+FFFD, which forces
 * UCS-2, and out->invalid is set. Returns 0, or -1 when utf8 or out is NULL.
 * Nothing is allocated.
 */
int gsm_count(const char *utf8, struct gsm_info *out);

/*
 * Septets the code point cp takes in GSM-7: 1 for the default alphabet, 2
 * for the extension table, 0 when it has no GSM-7 form.
 */
int gsm_septets(unsigned long cp);

/*
 * The GSM-7 form of the code point cp, one septet per octet as SMPP's
 * data_coding 0 carries it: writes 1 septet to out for the default
 * alphabet, 2 (escape 0x1B and the code) for the extension table, and
 * returns how many; 0 (nothing written) when cp has no GSM-7 form. Agrees
 * with gsm_septets.
 */
int gsm_encode_char(unsigned long cp, unsigned char out[2]);

/*
 * The code point of one GSM-7 character read from the septets at s (n of
 * them, n >= 1), stored in *cp; returns the septets consumed (1, or 2 for
 * an escape and its code). Never fails: a septet above 0x7F or an escape
 * at the end gives U+FFFD; an escape before a code the extension table
 * lacks gives that code's default character and an escape before an
 * escape a space (TS 23.038 6.2.1.1).
 */
size_t gsm_decode_char(const unsigned char *s, size_t n, unsigned long *cp);

/*
 * Decodes one code point from the NUL-terminated UTF-8 s as gsm_count
 * does (strictly: no overlong forms, surrogates or values above
 * U+10FFFF); stores it in *cp and returns the bytes consumed (0 at the
 * NUL). An invalid sequence gives U+FFFD for its first byte, sets
 * *invalid, and consumes 1 byte.
 */
size_t gsm_utf8_next(const char *s, unsigned long *cp, int *invalid);

/* "GSM-7" or "UCS-2", a static string. */
const char *gsm_encoding_name(enum gsm_encoding);

#endif
