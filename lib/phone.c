/*
 * phone.c: normalizing phone numbers to E.164.
 */
#include <stddef.h>
#include <string.h>

#include "lib/phone.h"

/*
 * Countries whose national significant numbers (what follows the trunk 0)
 * all have one length, fixed and mobile alike. For these the length of a
 * national or country-code form is checked exactly, and a bare national
 * number without its trunk 0 is understood; other countries get the E.164
 * bounds only.
 */
static const struct {
	const char *cc; /* country code, digits */
	size_t nsn;     /* national significant number length */
} phone_plans[] = {
    {"1", 10},  /* NANP: United States, Canada, ... */
    {"27", 9},  /* South Africa */
    {"233", 9}, /* Ghana */
    {"250", 9}, /* Rwanda */
    {"251", 9}, /* Ethiopia */
    {"254", 9}, /* Kenya */
    {"255", 9}, /* Tanzania */
    {"256", 9}, /* Uganda */
};

static int
is_sep(int c)
{
	return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')';
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Length of the national number for cc, or 0 when not in the table. */
static size_t
plan_nsn(const char *cc)
{
	size_t i;

	for (i = 0; i < sizeof(phone_plans) / sizeof(phone_plans[0]); i++) {
		if (strcmp(phone_plans[i].cc, cc) == 0)
			return phone_plans[i].nsn;
	}
	return 0;
}

/* Checks the E.164 digit count and writes "+" prefix digits into out. */
static int
emit(const char *prefix, const char *digits, char *out, size_t outlen)
{
	size_t n = strlen(prefix) + strlen(digits);

	if (n < PHONE_MIN_DIGITS)
		return PHONE_ESHORT;
	if (n > PHONE_MAX_DIGITS)
		return PHONE_ELONG;
	if (prefix[0] == '\0' && digits[0] == '0')
		return PHONE_EFORM;
	if (n + 2 > outlen)
		return PHONE_ENOSPACE;
	out[0] = '+';
	memcpy(out + 1, prefix, strlen(prefix));
	memcpy(out + 1 + strlen(prefix), digits, strlen(digits) + 1);
	return PHONE_OK;
}

/*
 * Copies the configured country code into cc (at least 4 bytes) without
 * a leading '+'. Returns 0, 1 when none is set, or PHONE_ECC.
 */
static int
parse_cc(const char *country_code, char *cc)
{
	size_t n;

	if (country_code == NULL || country_code[0] == '\0')
		return 1;
	if (country_code[0] == '+')
		country_code++;
	n = strlen(country_code);
	if (n < 1 || n > 3 || country_code[0] == '0')
		return PHONE_ECC;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit((unsigned char)country_code[i]))
			return PHONE_ECC;
	}
	memcpy(cc, country_code, n + 1);
	return 0;
}

static int
normalize(const char *in, const char *country_code, char *out, size_t outlen)
{
	char digits[PHONE_INPUT_MAX + 1], cc[4];
	size_t n = 0, nsn, cclen, i;
	int plus = 0, r;

	if (in == NULL)
		return PHONE_EEMPTY;
	if (strlen(in) > PHONE_INPUT_MAX)
		return PHONE_ELONG;

	/*
	 * Keep the digits; one '+' is allowed before the first of them and
	 * separators anywhere.
	 */
	for (i = 0; in[i] != '\0'; i++) {
		int c = (unsigned char)in[i];

		/*
		 * "+44 (0)20 7946 0000" shows the trunk prefix in brackets
		 * inside an international number; it is not dialled.
		 */
		if (plus && n > 0 && strncmp(in + i, "(0)", 3) == 0) {
			i += 2;
			continue;
		}
		if (is_digit(c))
			digits[n++] = (char)c;
		else if (c == '+' && n == 0 && !plus)
			plus = 1;
		else if (!is_sep(c))
			return PHONE_ECHAR;
	}
	digits[n] = '\0';
	if (n == 0)
		return PHONE_EEMPTY;

	if (plus)
		return emit("", digits, out, outlen);
	if (digits[0] == '0' && digits[1] == '0')
		return emit("", digits + 2, out, outlen);

	if ((r = parse_cc(country_code, cc)) < 0)
		return r;
	if (r == 1) {
		/* Without a country code only international forms are known. */
		return digits[0] == '0' ? PHONE_ENOCC : PHONE_EFORM;
	}
	nsn = plan_nsn(cc);
	cclen = strlen(cc);

	if (digits[0] == '0') {
		/* National form: the trunk prefix 0 gives way to the code. */
		if (nsn != 0 && n - 1 != nsn)
			return n - 1 < nsn ? PHONE_ESHORT : PHONE_ELONG;
		return emit(cc, digits + 1, out, outlen);
	}
	if (strncmp(digits, cc, cclen) == 0 && (nsn == 0 || n == cclen + nsn))
		return emit("", digits, out, outlen);
	if (nsn != 0 && n == nsn)
		return emit(cc, digits, out, outlen);
	if (nsn != 0)
		return PHONE_ELENGTH;
	return PHONE_EFORM;
}

int
phone_normalize(
    const char *in, const char *country_code, char *out, size_t outlen)
{
	int r;

	if (out == NULL || outlen == 0)
		return PHONE_ENOSPACE;
	r = normalize(in, country_code, out, outlen);
	if (r != PHONE_OK)
		out[0] = '\0';
	return r;
}

int
phone_is_e164(const char *s)
{
	size_t n;

	if (s == NULL || s[0] != '+' || s[1] < '1' || s[1] > '9')
		return 0;
	for (n = 1; s[n] != '\0'; n++) {
		if (!is_digit((unsigned char)s[n]))
			return 0;
	}
	n--;
	return n >= PHONE_MIN_DIGITS && n <= PHONE_MAX_DIGITS;
}

const char *
phone_strerror(int err)
{
	switch (err) {
	case PHONE_OK:
		return "ok";
	case PHONE_EEMPTY:
		return "no phone number";
	case PHONE_ECHAR:
		return "not a phone number (only digits, +, spaces, dashes, "
		       "dots and parentheses are allowed)";
	case PHONE_ESHORT:
		return "phone number too short";
	case PHONE_ELONG:
		return "phone number too long";
	case PHONE_ENOCC:
		return "national number but no country_code is configured";
	case PHONE_ECC:
		return "country_code must be 1 to 3 digits";
	case PHONE_ELENGTH:
		return "wrong number of digits for the country";
	case PHONE_EFORM:
		return "not an international number (start it with + or 00)";
	case PHONE_ENOSPACE:
		return "output buffer too small";
	default:
		return "unknown phone number error";
	}
}
