/*
 * phone.h: phone numbers to E.164 ("+254700000001"), the only form the
 * gateway stores.
 *
 * Accepted forms, after spaces, dashes, dots and parentheses are removed (and
 * a "(0)" trunk prefix inside an international number, "+44 (0)20 ..."):
 *   +CCNNN...    international, kept (7 to 15 digits, not starting with 0)
 *   00CCNNN...   international prefix, becomes +CCNNN...
 *   0NNN...      national (trunk prefix 0), becomes +CCNNN... with the
 *                configured country code
 *   CCNNN...     digits starting with the configured country code and of the
 *                right length, gets a +
 *   NNN...       for a country whose national number length is known (see
 *                phone.c), a national number without the trunk prefix
 * Anything else is an error: letters or other characters, fewer than 7 or
 * more than 15 digits, a national form without a country code.
 *
 * Alphanumeric sender ids ("MyBank") are NOT numbers and are refused with
 * PHONE_ECHAR. Decision: an inbound message whose `from` is not a valid
 * number is refused with that error, since it can be neither answered nor
 * tied to a contact; providers send such ids only for one-way traffic.
 *
 * Ownership: nothing is allocated or kept; results go into the caller's
 * buffer, error texts are static strings.
 */
#ifndef BARAZA_PHONE_H
#define BARAZA_PHONE_H

#include <stddef.h>

#define PHONE_MIN_DIGITS 7
#define PHONE_MAX_DIGITS 15
#define PHONE_MAX 17       /* buffer size for an E.164 number: '+', 15, NUL */
#define PHONE_INPUT_MAX 64 /* longest input looked at, separators included */

enum phone_error {
	PHONE_OK = 0,
	PHONE_EEMPTY = -1,   /* no input or no digits */
	PHONE_ECHAR = -2,    /* a character that is not a digit or separator */
	PHONE_ESHORT = -3,   /* fewer than 7 digits */
	PHONE_ELONG = -4,    /* more than 15 digits, or input too long */
	PHONE_ENOCC = -5,    /* national form but no country code configured */
	PHONE_ECC = -6,      /* the configured country code is malformed */
	PHONE_ELENGTH = -7,  /* wrong length for the configured country */
	PHONE_EFORM = -8,    /* digits that are neither national nor ours */
	PHONE_ENOSPACE = -9, /* the output buffer is too small */
};

/*
 * Normalizes in to E.164 into out (outlen bytes, PHONE_MAX is enough).
 * country_code is the config's country_code ("254", "+254" is accepted too)
 * or NULL/"" when none is set, in which case only the +... and 00... forms
 * are accepted. Returns PHONE_OK (0) or a negative enum phone_error; on
 * error out holds the empty string (when outlen > 0). Nothing is allocated.
 */
int phone_normalize(
    const char *in, const char *country_code, char *out, size_t outlen);

/* True (1) when s is already E.164: '+', then 7 to 15 digits, no leading 0. */
int phone_is_e164(const char *s);

/* A short English text for a phone_normalize result, a static string. */
const char *phone_strerror(int err);

#endif
