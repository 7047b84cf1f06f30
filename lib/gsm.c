/*
 * gsm.c: SMS segment counting for GSM-7 and UCS-2 (3GPP TS 23.038).
 */
#include <stddef.h>
#include <stdint.h>

#include "lib/gsm.h"

#define REPLACEMENT_CHAR 0xFFFDUL

/*
 * The GSM 7-bit default alphabet, indexed by septet value, as Unicode code
 * points (TS 23.038 section 6.2.1). 0x1B is the escape to the extension
 * table and never stands for a character itself, so it is marked 0.
 */
static const uint16_t gsm_basic[128] = {
    0x0040, 0x00A3, 0x0024, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC, /* 00 */
    0x00F2, 0x00C7, 0x000A, 0x00D8, 0x00F8, 0x000D, 0x00C5, 0x00E5, /* 08 */
    0x0394, 0x005F, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8, /* 10 */
    0x03A3, 0x0398, 0x039E, 0x0000, 0x00C6, 0x00E6, 0x00DF, 0x00C9, /* 18 */
    0x0020, 0x0021, 0x0022, 0x0023, 0x00A4, 0x0025, 0x0026, 0x0027, /* 20 */
    0x0028, 0x0029, 0x002A, 0x002B, 0x002C, 0x002D, 0x002E, 0x002F, /* 28 */
    0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037, /* 30 */
    0x0038, 0x0039, 0x003A, 0x003B, 0x003C, 0x003D, 0x003E, 0x003F, /* 38 */
    0x00A1, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047, /* 40 */
    0x0048, 0x0049, 0x004A, 0x004B, 0x004C, 0x004D, 0x004E, 0x004F, /* 48 */
    0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057, /* 50 */
    0x0058, 0x0059, 0x005A, 0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7, /* 58 */
    0x00BF, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067, /* 60 */
    0x0068, 0x0069, 0x006A, 0x006B, 0x006C, 0x006D, 0x006E, 0x006F, /* 68 */
    0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077, /* 70 */
    0x0078, 0x0079, 0x007A, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0, /* 78 */
};

/*
 * The characters of the default extension table (TS 23.038 section 6.2.1.1),
 * each sent as escape (0x1B) plus one septet: form feed ^ { } \ [ ~ ] | and
 * the euro sign.
 */
static const uint16_t gsm_ext[] = {
    0x000C,
    0x005E,
    0x007B,
    0x007D,
    0x005C,
    0x005B,
    0x007E,
    0x005D,
    0x007C,
    0x20AC,
};

/* The septet after the escape for each gsm_ext character, in its order. */
static const unsigned char gsm_ext_code[] = {
    0x0A,
    0x14,
    0x28,
    0x29,
    0x2F,
    0x3C,
    0x3D,
    0x3E,
    0x40,
    0x65,
};

/*
 * The septets of an ASCII character, the same as the tables above give
 * (test_gsm checks each): 1 for most, 2 for the extension table's form
 * feed ^ { } \\ [ ~ ] |, 0 for the control characters other than line
 * feed and carriage return, for the backtick and for DEL.
 */
static int
ascii_septets(unsigned long cp)
{
	switch (cp) {
	case '\n':
	case '\r':
		return 1;
	case '\f':
	case '^':
	case '{':
	case '}':
	case '\\':
	case '[':
	case '~':
	case ']':
	case '|':
		return 2;
	case '`':
		return 0;
	default:
		return cp >= 0x20 && cp < 0x7F ? 1 : 0;
	}
}

int
gsm_septets(unsigned long cp)
{
	size_t i;

	/* Nearly every character of a reply is ASCII: no scan for those. */
	if (cp < 0x80)
		return ascii_septets(cp);
	/* Scanning 138 entries is cheap next to sending an SMS. */
	for (i = 0; i < sizeof(gsm_basic) / sizeof(gsm_basic[0]); i++) {
		if (i != 0x1B && gsm_basic[i] == cp)
			return 1;
	}
	for (i = 0; i < sizeof(gsm_ext) / sizeof(gsm_ext[0]); i++) {
		if (gsm_ext[i] == cp)
			return 2;
	}
	return 0;
}

const char *
gsm_encoding_name(enum gsm_encoding enc)
{
	return enc == GSM_ENC_GSM7 ? "GSM-7" : "UCS-2";
}

/*
 * Decodes one code point from the NUL-terminated s, strictly (no overlong
 * forms, no surrogates, nothing above U+10FFFF). Stores the code point in
 * *cp and returns the bytes consumed; an invalid sequence yields U+FFFD for
 * its first byte only, so decoding resumes at the next byte.
 */
static size_t
utf8_next(const unsigned char *s, unsigned long *cp, int *invalid)
{
	unsigned long c, min;
	size_t n, i;

	c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
		c &= 0x1F;
		min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		c &= 0x0F;
		min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		c &= 0x07;
		min = 0x10000;
	} else
		goto bad;
	for (i = 1; i < n; i++) {
		/* A NUL terminator fails this test, so we never read past it. */
		if ((s[i] & 0xC0) != 0x80)
			goto bad;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		goto bad;
	*cp = c;
	return n;
bad:
	*invalid = 1;
	*cp = REPLACEMENT_CHAR;
	return 1;
}

/*
 * Greedy packing of characters of the given widths into parts of at most
 * part units each, a character never split: what a sender does when it
 * cuts a long text into a concatenated message.
 */
struct packer {
	size_t part;     /* capacity of one part */
	size_t used;     /* units in the current part */
	size_t segments; /* parts started so far */
};

static void
packer_add(struct packer *p, size_t width)
{
	if (p->segments == 0 || p->used + width > p->part) {
		p->segments++;
		p->used = 0;
	}
	p->used += width;
}

int
gsm_count(const char *utf8, struct gsm_info *out)
{
	const unsigned char *s;
	struct packer pk;
	unsigned long cp;
	size_t n, septets, utf16, chars;
	int gsm7 = 1, invalid = 0, w;

	if (utf8 == NULL || out == NULL)
		return -1;

	/*
	 * First pass: the encoding and the length in both units, so that a
	 * late non-GSM character needs no rescan.
	 */
	septets = utf16 = chars = 0;
	for (s = (const unsigned char *)utf8; *s != '\0'; s += n) {
		n = utf8_next(s, &cp, &invalid);
		chars++;
		utf16 += cp > 0xFFFF ? 2 : 1;
		if (gsm7) {
			if ((w = gsm_septets(cp)) == 0)
				gsm7 = 0;
			septets += (size_t)w;
		}
	}

	out->encoding = gsm7 ? GSM_ENC_GSM7 : GSM_ENC_UCS2;
	out->units = gsm7 ? septets : utf16;
	out->chars = chars;
	out->invalid = invalid;

	if (out->units <= (gsm7 ? GSM7_SINGLE : UCS2_SINGLE)) {
		out->segments = 1;
		return 0;
	}

	/* Second pass: pack the characters into concatenated parts. */
	pk.part = gsm7 ? GSM7_PART : UCS2_PART;
	pk.used = pk.segments = 0;
	for (s = (const unsigned char *)utf8; *s != '\0'; s += n) {
		n = utf8_next(s, &cp, &invalid);
		if (gsm7)
			packer_add(&pk, (size_t)gsm_septets(cp));
		else
			packer_add(&pk, cp > 0xFFFF ? 2 : 1);
	}
	out->segments = pk.segments;
	return 0;
}

int
gsm_encode_char(unsigned long cp, unsigned char out[2])
{
	size_t i;

	for (i = 0; i < sizeof(gsm_basic) / sizeof(gsm_basic[0]); i++) {
		if (i != 0x1B && gsm_basic[i] == cp) {
			out[0] = (unsigned char)i;
			return 1;
		}
	}
	for (i = 0; i < sizeof(gsm_ext) / sizeof(gsm_ext[0]); i++) {
		if (gsm_ext[i] == cp) {
			out[0] = 0x1B;
			out[1] = gsm_ext_code[i];
			return 2;
		}
	}
	return 0;
}

size_t
gsm_decode_char(const unsigned char *s, size_t n, unsigned long *cp)
{
	size_t i;

	if (s[0] > 0x7F) {
		*cp = REPLACEMENT_CHAR;
		return 1;
	}
	if (s[0] != 0x1B) {
		*cp = gsm_basic[s[0]];
		return 1;
	}
	if (n < 2 || s[1] > 0x7F) {
		*cp = REPLACEMENT_CHAR;
		return 1;
	}
	for (i = 0; i < sizeof(gsm_ext_code); i++) {
		if (gsm_ext_code[i] == s[1]) {
			*cp = gsm_ext[i];
			return 2;
		}
	}
	/* A second escape stands for a table not defined yet: a space. */
	*cp = s[1] == 0x1B ? 0x20 : gsm_basic[s[1]];
	return 2;
}

size_t
gsm_utf8_next(const char *s, unsigned long *cp, int *invalid)
{
	if (*s == '\0') {
		*cp = 0;
		return 0;
	}
	return utf8_next((const unsigned char *)s, cp, invalid);
}
