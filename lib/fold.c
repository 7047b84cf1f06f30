/* fold.c: see fold.h. */
#include "lib/fold.h"

#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "lib/gsm.h"
#include "lib/util.h"

static locale_t utf8_ctype;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;

static void
utf8_open(void)
{
	/* (locale_t)0: ASCII only, below. */
	utf8_ctype = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

static unsigned long
upper(unsigned long cp)
{
	if (cp < 0x80)
		return cp >= 'a' && cp <= 'z' ? cp - 32 : cp;
	pthread_once(&utf8_once, utf8_open);
	if (utf8_ctype == (locale_t)0)
		return cp;
	return (unsigned long)towupper_l((wint_t)cp, utf8_ctype);
}

/* Writes cp as UTF-8 at out (room for 4 bytes); returns the bytes. */
static size_t
put_utf8(unsigned long cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

char *
fold_upper(const char *s, size_t n)
{
	/* A letter grows by a byte at most (2 bytes to 3): 2n is room. */
	char *out = xmalloc(2 * n + 1), *tmp = xmalloc(n + 1);
	size_t i = 0, o = 0;

	memcpy(tmp, s, n);
	tmp[n] = '\0';
	while (i < n) {
		unsigned long cp, up;
		int invalid = 0;
		size_t k = gsm_utf8_next(tmp + i, &cp, &invalid);

		if (k == 0) { /* a NUL inside the n bytes */
			out[o++] = '\0';
			i++;
			continue;
		}
		up = invalid ? cp : upper(cp);
		if (invalid || up > 0x10ffff ||
		    (up >= 0xd800 && up <= 0xdfff) ||
		    (up >= 0x80) != (cp >= 0x80)) {
			/* Kept as written. */
			memcpy(out + o, tmp + i, k);
			o += k;
		} else {
			o += put_utf8(up, out + o);
		}
		i += k;
	}
	out[o] = '\0';
	free(tmp);
	return out;
}

int
fold_equal(const char *a, const char *b)
{
	char *x, *y;
	int eq;

	/* ASCII alone is the common case: no allocation. */
	while (*a != '\0' && *b != '\0' && !((unsigned char)*a & 0x80) &&
	       !((unsigned char)*b & 0x80)) {
		if (upper((unsigned char)*a) != upper((unsigned char)*b))
			return 0;
		a++;
		b++;
	}
	if (*a == '\0' || *b == '\0')
		return *a == *b;
	x = fold_upper(a, strlen(a));
	y = fold_upper(b, strlen(b));
	eq = strcmp(x, y) == 0;
	free(x);
	free(y);
	return eq;
}
