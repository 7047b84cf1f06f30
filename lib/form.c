/*
 * form.c: strict application/x-www-form-urlencoded decoding and
 * percent-encoding helpers.
 */
#include "lib/form.h"

#include <stdlib.h>
#include <string.h>

/* decode_into's own flag beside URL_PLUS_SPACE: %00 is taken. */
#define URL_KEEP_NUL 0x100

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decodes len bytes of src into dst (room for len + 1 bytes) and
 * NUL-terminates it; *outlen (when not NULL) gets the decoded length.
 * Returns 0, or -1 with *errstr set.
 */
static int
decode_into(char *dst, const char *src, size_t len, int flags, size_t *outlen,
    const char **errstr)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];

		if (c == '%') {
			if (len - i < 3 ||
			    (hi = hexval((unsigned char)src[i + 1])) < 0 ||
			    (lo = hexval((unsigned char)src[i + 2])) < 0) {
				*errstr = "invalid percent escape";
				return -1;
			}
			if (hi == 0 && lo == 0 && !(flags & URL_KEEP_NUL)) {
				*errstr = "escaped NUL byte";
				return -1;
			}
			dst[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+' && (flags & URL_PLUS_SPACE))
			dst[o++] = ' ';
		else if (c == '\0') {
			*errstr = "NUL byte";
			return -1;
		} else
			dst[o++] = (char)c;
	}
	dst[o] = '\0';
	if (outlen != NULL)
		*outlen = o;
	return 0;
}

int
url_decode(
    const char *s, size_t len, int flags, char **out, const char **errstr)
{
	const char *err = NULL;
	char *p = xmalloc(len + 1);

	if (decode_into(p, s, len, flags & URL_PLUS_SPACE, NULL, &err) == -1) {
		free(p);
		*out = NULL;
		if (errstr != NULL)
			*errstr = err;
		return -1;
	}
	*out = p;
	return 0;
}

static int
unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~';
}

/* Encodes into dst (room for 3 * len + 1 bytes); returns the length. */
static size_t
encode_into(char *dst, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (unreserved(c))
			dst[o++] = (char)c;
		else {
			dst[o++] = '%';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		}
	}
	dst[o] = '\0';
	return o;
}

char *
url_encode(const char *s, size_t len)
{
	char *p;

	if (len > (((size_t)-1) - 1) / 3)
		abort(); /* cannot be allocated anyway */
	p = xmalloc(3 * len + 1);
	encode_into(p, s, len);
	return p;
}

int
url_encode_buf(struct buf *b, const char *s, size_t len)
{
	char tmp[3 * 64 + 1];
	size_t i, n, before = b->len;

	/* In slices, so the buffer is left unchanged on failure. */
	for (i = 0; i < len; i += n) {
		n = len - i < 64 ? len - i : 64;
		if (buf_append(b, tmp, encode_into(tmp, s + i, n)) == -1) {
			b->len = before;
			if (b->data != NULL)
				b->data[before] = '\0';
			return -1;
		}
	}
	return 0;
}

int
form_parse(struct form *f, const char *s, size_t len, const char **errstr)
{
	return form_parse_flags(f, s, len, 0, errstr);
}

int
form_parse_flags(
    struct form *f, const char *s, size_t len, int flags, const char **errstr)
{
	const char *err = NULL, *p, *end, *seg, *eq;
	size_t count = 0, used = 0, nlen, vlen, dlen;
	char *a;

	memset(f, 0, sizeof(*f));
	if (len > FORM_MAX_INPUT) {
		err = "input too long";
		goto fail;
	}
	/* First pass: count the non-empty segments. */
	end = s + len;
	for (p = s; p < end; p = seg + 1) {
		seg = memchr(p, '&', (size_t)(end - p));
		if (seg == NULL)
			seg = end;
		if (seg > p && ++count > FORM_MAX_PAIRS) {
			err = "too many fields";
			goto fail;
		}
	}
	if (count == 0)
		return 0;
	/* Decoded text is never longer than its source; two NULs a pair. */
	f->arena = xmalloc(len + 2 * count + 1);
	f->pairs = xcalloc(count, sizeof(*f->pairs));
	a = f->arena;
	for (p = s; p < end; p = seg + 1) {
		seg = memchr(p, '&', (size_t)(end - p));
		if (seg == NULL)
			seg = end;
		if (seg == p)
			continue;
		eq = memchr(p, '=', (size_t)(seg - p));
		nlen = (size_t)((eq != NULL ? eq : seg) - p);
		vlen = eq != NULL ? (size_t)(seg - eq - 1) : 0;
		if (nlen == 0) {
			err = "empty field name";
			goto fail;
		}
		if (decode_into(
			a + used, p, nlen, URL_PLUS_SPACE, &dlen, &err) == -1)
			goto fail;
		f->pairs[f->npairs].name = a + used;
		used += strlen(a + used) + 1;
		if (decode_into(a + used, eq != NULL ? eq + 1 : seg, vlen,
			URL_PLUS_SPACE |
			    (flags & FORM_KEEP_NUL ? URL_KEEP_NUL : 0),
			&dlen, &err) == -1)
			goto fail;
		f->pairs[f->npairs].value = a + used;
		f->pairs[f->npairs].value_len = dlen;
		used += dlen + 1;
		f->npairs++;
	}
	return 0;
fail:
	form_free(f);
	if (errstr != NULL)
		*errstr = err;
	return -1;
}

const char *
form_get(const struct form *f, const char *name)
{
	return form_get_len(f, name, NULL);
}

const char *
form_get_len(const struct form *f, const char *name, size_t *len)
{
	size_t i;

	for (i = 0; i < f->npairs; i++)
		if (strcmp(f->pairs[i].name, name) == 0) {
			if (len != NULL)
				*len = f->pairs[i].value_len;
			return f->pairs[i].value;
		}
	return NULL;
}

int
query_get(const char *s, size_t len, const char *name, char **out)
{
	const char *p, *end = s + len, *seg, *eq;
	size_t nlen = strlen(name);

	*out = NULL;
	for (p = s; p < end; p = seg + 1) {
		seg = memchr(p, '&', (size_t)(end - p));
		if (seg == NULL)
			seg = end;
		eq = memchr(p, '=', (size_t)(seg - p));
		if (eq == NULL || (size_t)(eq - p) != nlen ||
		    memcmp(p, name, nlen) != 0)
			continue;
		return url_decode(eq + 1, (size_t)(seg - eq - 1),
			   URL_PLUS_SPACE, out, NULL) == 0
			   ? 1
			   : -1;
	}
	return 0;
}

void
form_free(struct form *f)
{
	free(f->pairs);
	free(f->arena);
	memset(f, 0, sizeof(*f));
}
