/*
 * form.h: application/x-www-form-urlencoded bodies and query strings, and
 * percent-encoding helpers.
 *
 * Decoding is strict: a '%' not followed by two hex digits, an escaped NUL
 * byte, an empty field name ("=x"), more than FORM_MAX_PAIRS fields or more
 * than FORM_MAX_INPUT bytes are errors with a reason. '+' means a space.
 * Empty segments ("a=1&&b=2", a trailing '&') are skipped; a field without
 * '=' has the empty value.
 *
 * Ownership: a struct form is the caller's (it may live on the stack);
 * form_parse fills it with pairs whose strings live in its arena, valid
 * until form_free. url_decode and url_encode return new strings the caller
 * frees; url_encode_buf appends to the caller's buffer.
 */
#ifndef BARAZA_FORM_H
#define BARAZA_FORM_H

#include <stddef.h>

#include "lib/util.h"

#define FORM_MAX_PAIRS 256
#define FORM_MAX_INPUT (1024 * 1024)

/* One decoded field; both strings are NUL-terminated. */
struct form_pair {
	const char *name;  /* decoded name, never empty */
	const char *value; /* decoded value, may be empty */
	size_t value_len;  /* its length (FORM_KEEP_NUL: NULs may be inside) */
};

/* A decoded form: pairs in input order, duplicates kept. */
struct form {
	struct form_pair *pairs; /* npairs entries */
	size_t npairs;           /* at most FORM_MAX_PAIRS */
	char *arena;             /* storage of the strings */
};

/*
 * Decodes len bytes of s (a body or a raw query string without '?') into f.
 * Returns 0, or -1 with *errstr (if not NULL) set to a static reason such as
 * "invalid percent escape"; f is then empty. Either way the caller calls
 * form_free(f) once done.
 */
int form_parse(struct form *f, const char *s, size_t len, const char **errstr);

/* form_parse_flags flags. */
#define FORM_KEEP_NUL 0x1 /* values may hold %00 (raw text, UTF-16BE) */

/* As form_parse, with flags: FORM_KEEP_NUL takes %00 in values. */
int form_parse_flags(
    struct form *f, const char *s, size_t len, int flags, const char **errstr);

/*
 * The value of the first field called name (exact, case-sensitive), or
 * NULL. It points into f and lives until form_free.
 */
const char *form_get(const struct form *f, const char *name);

/* As form_get, and *len (when not NULL) gets the value's length. */
const char *form_get_len(const struct form *f, const char *name, size_t *len);

/*
 * Finds the first field called name in the len bytes of the query or form
 * s, matching the raw name, and decodes its value into *out (the caller
 * frees it) without decoding the other fields: what they hold does not
 * matter. Returns 1 when found, 0 when not, -1 when its value does not
 * decode (*out is then NULL).
 */
int query_get(const char *s, size_t len, const char *name, char **out);

/* Releases what form_parse stored in f; f may then be parsed into again. */
void form_free(struct form *f);

/* url_decode flags. */
#define URL_PLUS_SPACE 0x1 /* '+' decodes to a space (forms, queries) */

/*
 * Percent-decodes len bytes of s into a new NUL-terminated string stored in
 * *out, which the caller frees. Returns 0, or -1 with *errstr (if not NULL)
 * set to a static reason and *out set to NULL on an invalid escape or an
 * escaped NUL byte.
 */
int url_decode(
    const char *s, size_t len, int flags, char **out, const char **errstr);

/*
 * Percent-encodes len bytes of s: RFC 3986 unreserved characters
 * (A-Z a-z 0-9 - . _ ~) are kept, every other byte becomes %XX (upper-case
 * hex). Returns a new string the caller frees.
 */
char *url_encode(const char *s, size_t len);

/*
 * As url_encode, appending to b. Returns 0, or -1 when b's maximum would be
 * exceeded (b is then unchanged).
 */
int url_encode_buf(struct buf *b, const char *s, size_t len);

#endif
