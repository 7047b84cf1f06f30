/*
 * template.c: compiling templates into literal and placeholder parts, and
 * rendering them through a resolver callback.
 */
#include "flows/template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Counts UTF-8 code points: every byte that is not a continuation byte. */
size_t
template_utf8_chars(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

static int
is_name_start(int c)
{
	return (c >= 'a' && c <= 'z') || c == '_';
}

static int
is_name_char(int c)
{
	return is_name_start(c) || (c >= '0' && c <= '9');
}

static int
is_field_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* Fills err (when not NULL) for an error at byte offset off of src. */
static void
set_error(
    struct template_error *err, const char *src, size_t off, const char *msg)
{
	if (err == NULL)
		return;
	err->offset = off;
	err->col = template_utf8_chars(src, off) + 1;
	snprintf(err->msg, sizeof(err->msg), "%s", msg);
}

/* Appends a part to t, growing the array. */
static struct template_part *
add_part(struct template *t, size_t *cap)
{
	struct template_part *p;

	if (t->nparts == *cap) {
		*cap = *cap ? *cap * 2 : 4;
		t->parts = xrealloc(t->parts, *cap * sizeof(*t->parts));
	}
	p = &t->parts[t->nparts++];
	memset(p, 0, sizeof(*p));
	return p;
}

/*
 * Checks that the placeholder s[0..len) is NAME(.FIELD)* with at most
 * TEMPLATE_MAX_DEPTH components. Returns the byte offset (within s) of the
 * first bad character, or -1 when it is well formed.
 */
static long
check_path(const char *s, size_t len, int *deep)
{
	size_t i = 0, depth = 1;

	*deep = 0;
	if (len == 0 || !is_name_start((unsigned char)s[0]))
		return 0;
	while (i < len && is_name_char((unsigned char)s[i]))
		i++;
	while (i < len) {
		if (s[i] != '.')
			return (long)i;
		if (++depth > TEMPLATE_MAX_DEPTH) {
			*deep = 1;
			return (long)i;
		}
		i++;
		if (i == len || !is_field_char((unsigned char)s[i]))
			return (long)i;
		while (i < len && is_field_char((unsigned char)s[i]))
			i++;
	}
	return -1;
}

/*
 * Ends the literal run in lit, if any, as a part starting at byte litstart
 * of src; lit is left empty.
 */
static void
flush_literal(struct template *t, size_t *cap, struct buf *lit, const char *src,
    size_t litstart)
{
	struct template_part *p;

	if (lit->len == 0)
		return;
	p = add_part(t, cap);
	p->kind = TPART_LITERAL;
	p->len = lit->len;
	p->text = buf_steal(lit);
	p->col = template_utf8_chars(src, litstart) + 1;
}

/*
 * Finds the end of the placeholder whose '{' is at byte i of src and checks
 * it. Returns the byte of its '}', or -1 with err set.
 */
static long
placeholder_end(
    const char *src, size_t len, size_t i, struct template_error *err)
{
	size_t j;
	long bad;
	int deep;

	for (j = i + 1; j < len && src[j] != '}' && src[j] != '{'; j++)
		;
	if (j == len || src[j] == '{') {
		set_error(err, src, i,
		    "unclosed '{' (write '{{' for "
		    "a literal brace)");
		return -1;
	}
	if (j - i - 1 > TEMPLATE_MAX_NAME) {
		set_error(err, src, i + 1, "placeholder too long");
		return -1;
	}
	if ((bad = check_path(src + i + 1, j - i - 1, &deep)) >= 0) {
		set_error(err, src, i + 1 + (size_t)bad,
		    deep ? "bad placeholder: at most " TEMPLATE_DEPTH_TEXT
			   " names joined by '.' ({name.field.sub...})"
			 : "bad placeholder: expected {name} or "
			   "{name.field}");
		return -1;
	}
	return (long)j;
}

/* Adds the placeholder src[i] = '{' .. src[j] = '}' as a part. */
static void
add_var(struct template *t, size_t *cap, const char *src, size_t i, size_t j)
{
	struct template_part *p;
	const char *dot;

	p = add_part(t, cap);
	p->kind = TPART_VAR;
	p->text = xstrndup(src + i + 1, j - i - 1);
	p->len = j - i - 1;
	p->col = template_utf8_chars(src, i) + 1;
	if ((dot = strchr(p->text, '.')) != NULL) {
		p->root = xstrndup(p->text, (size_t)(dot - p->text));
		p->field = xstrdup(dot + 1);
	} else
		p->root = xstrdup(p->text);
	t->nvars++;
}

int
template_compile(const char *src, size_t len, struct template **out,
    struct template_error *err)
{
	struct template *t;
	struct buf lit;
	size_t cap = 0, i = 0, litstart = 0;
	long j;

	*out = NULL;
	if (len > TEMPLATE_MAX_SRC) {
		set_error(err, src, 0, "text too long");
		return -1;
	}
	if (memchr(src, '\0', len) != NULL) {
		set_error(err, src,
		    (size_t)((const char *)memchr(src, '\0', len) - src),
		    "NUL byte in text");
		return -1;
	}
	t = xcalloc(1, sizeof(*t));
	t->src = xstrndup(src, len);
	buf_init(&lit, TEMPLATE_MAX_SRC + 1);

	while (i < len) {
		char c = src[i];

		if ((c == '{' || c == '}') && i + 1 < len && src[i + 1] == c) {
			/* A doubled brace is a literal one. */
			if (lit.len == 0)
				litstart = i;
			buf_append(&lit, &c, 1);
			i += 2;
			continue;
		}
		if (c == '}') {
			set_error(err, src, i,
			    "unmatched '}' (write '}}' "
			    "for a literal brace)");
			goto fail;
		}
		if (c != '{') {
			if (lit.len == 0)
				litstart = i;
			buf_append(&lit, &c, 1);
			i++;
			continue;
		}
		/* A placeholder: its closing brace is on this text. */
		if ((j = placeholder_end(src, len, i, err)) < 0)
			goto fail;
		flush_literal(t, &cap, &lit, src, litstart);
		add_var(t, &cap, src, i, (size_t)j);
		i = (size_t)j + 1;
	}
	flush_literal(t, &cap, &lit, src, litstart);
	buf_free(&lit);
	*out = t;
	return 0;

fail:
	buf_free(&lit);
	template_free(t);
	return -1;
}

void
template_free(struct template *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nparts; i++) {
		free(t->parts[i].text);
		free(t->parts[i].root);
		free(t->parts[i].field);
	}
	free(t->parts);
	free(t->src);
	free(t);
}

int
template_render(const struct template *t, struct buf *out,
    template_resolve_cb cb, void *arg)
{
	const struct template_part *p;
	size_t i;
	int rc;

	for (i = 0; i < t->nparts; i++) {
		p = &t->parts[i];
		if (p->kind == TPART_LITERAL) {
			if (buf_append(out, p->text, p->len) < 0)
				return -1;
			continue;
		}
		if (cb == NULL)
			continue;
		if ((rc = cb(arg, p->root, p->field, p->text, out)) < 0)
			return rc;
	}
	/* Leave a valid (empty) C string even when nothing was appended. */
	if (out->data == NULL && buf_append(out, "", 0) < 0)
		return -1;
	return 0;
}

size_t
template_literal_chars(const struct template *t)
{
	size_t i, n = 0;

	for (i = 0; i < t->nparts; i++)
		if (t->parts[i].kind == TPART_LITERAL)
			n += template_utf8_chars(
			    t->parts[i].text, t->parts[i].len);
	return n;
}
