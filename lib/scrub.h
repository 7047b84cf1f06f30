/*
 * scrub.h: phone numbers out of text that others read (open data, logs).
 *
 * A digit run is a digit, then more digits, where separators (spaces,
 * tabs, dots, dashes, underscores and closing parentheses), followed by a
 * digit, may stand between two digits: one between any two groups, two or
 * three between groups of three digits or more; optionally led by '+'
 * right before its first digit. The separators are those of
 * SCRUB_SEPARATORS and the other spaces and dashes of Unicode that phones
 * and word processors write (no-break, thin and ideographic spaces, en
 * and em dashes, the minus sign: scrub.c names them): "0712 999 888", "+254 712-999-888",
 * "0712.999.888", "12 34 56 7", "(0712) 345 678", "0712 - 345 - 678".
 * Other characters end a run ("4, 0712" the comma, "07/12/2026" the
 * slashes; "Ward 4 - 0712..." keeps the 4 apart), and so does a separator
 * not followed by a digit ("888." ends before the dot). A date
 * "2026-12-01" is a run of 8 digits (the contract's rule). Digits are
 * ASCII ones and the decimal digits of the other scripts phones type
 * (Arabic-Indic, Devanagari and the other Indic scripts, Thai, Myanmar,
 * fullwidth...: UTF-8 of 2 or 3 bytes, each one digit); every other byte
 * is left as it is.
 *
 * Ownership: scrub_numbers returns a new string the caller frees;
 * scrub_next and scrub_phone write into the caller's struct and buffer.
 */
#ifndef BARAZA_SCRUB_H
#define BARAZA_SCRUB_H

#include <stddef.h>

#define SCRUB_MIN_DIGITS 7                   /* a run this long is a number */
#define SCRUB_REPLACEMENT "[number removed]" /* what open data shows */
#define SCRUB_SEPARATORS \
	" \t.-_)"        /* ASCII ones that may stand between digits */
#define SCRUB_MAX_SEPS 3 /* of them in a row, at most */

/* One digit run found by scrub_next. */
struct scrub_run {
	size_t start;   /* offset of its first byte ('+' or a digit) */
	size_t len;     /* its bytes, the '+' and separators included */
	size_t digits;  /* its digits */
	size_t longest; /* the digits of its longest group without separator */
};

/*
 * Finds the first digit run of s (NUL-ended, not NULL). Returns 0 and
 * fills *r, or -1 when s holds no digit.
 */
int scrub_next(const char *s, struct scrub_run *r);

/*
 * Returns a copy of s in which every digit run of SCRUB_MIN_DIGITS or more
 * digits is replaced by SCRUB_REPLACEMENT ("call 0712.999.888 now" becomes
 * "call [number removed] now"); the caller frees it. NULL when s is NULL.
 */
char *scrub_numbers(const char *s);

/*
 * Whether run r is a number to hide: SCRUB_MIN_DIGITS digits or more, or a
 * group of 6 without a separator (the log's rule, lib/log.c).
 */
int scrub_is_number(const struct scrub_run *r);

/*
 * Masks the first len bytes of a digit run of digits digits, in place: its
 * first two and last two digits stay, the others become '*' (len may cut
 * the run short, as a log line's end does).
 */
void scrub_mask_run(char *p, size_t len, size_t digits);

/*
 * Returns a copy of s in which every digit run scrub_is_number() holds
 * keeps its first two and last two digits and shows '*' for the others,
 * separators and '+' as they are ("call 0712 999 888" becomes "call
 * 07** *** *88"), as the log masks a text; the caller frees it. NULL when
 * s is NULL.
 */
char *scrub_mask_numbers(const char *s);

/*
 * Masks a phone number for logs and people: the first four characters
 * ('+' and the country code) and the last two stay, every other character
 * becomes '*', so the length stays: "+254700000001" becomes
 * "+254*******01". Numbers shorter than 9 characters, empty or NULL become
 * "****"; a kept character that is not printable ASCII becomes '*'. Writes
 * into out (cut to outlen - 1 bytes; 32 fit any phone number) and returns
 * it.
 */
const char *scrub_phone(const char *num, char *out, size_t outlen);

#endif
