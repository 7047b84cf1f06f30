/*
 * template.h: the flow language's text templates, compiled ahead of time.
 *
 * A template is a string holding literal text and placeholders:
 *   {name}          a session variable
 *   {name.field}    a field of a lookup, fetch or report result ({n.a.b} nests)
 *   {contact.FIELD} a contact field ({contact.phone}, {contact.language})
 *   {rest} {input}  the text after a keyword, the last raw answer
 *   {{ and }}       literal braces
 * A placeholder is a NAME ([a-z_][a-z0-9_]*) followed by zero or more
 * ".field" parts, each [A-Za-z0-9_-]+. Anything else between braces, an
 * unclosed '{' or a lone '}' is a compile error with its column.
 *
 * template_compile splits the string once into parts; rendering walks the
 * parts and asks a callback for each placeholder's value. A compiled
 * template is immutable and may be shared and rendered concurrently.
 */
#ifndef BARAZA_TEMPLATE_H
#define BARAZA_TEMPLATE_H

#include <stddef.h>

#include "lib/util.h"

#define TEMPLATE_MAX_SRC 4096   /* bytes in a template's source string */
#define TEMPLATE_MAX_DEPTH 8    /* dotted parts in one placeholder */
#define TEMPLATE_DEPTH_TEXT "8" /* the same, for messages */
#define TEMPLATE_MAX_NAME 128   /* bytes in one placeholder */

enum template_part_kind {
	TPART_LITERAL, /* text copied as is ({{ and }} already unescaped) */
	TPART_VAR,     /* a placeholder */
};

struct template_part {
	enum template_part_kind kind;
	char *text;  /* LITERAL: the text, NUL-terminated; VAR: the whole
			dotted path, "bill.balance" */
	size_t len;  /* bytes in text */
	char *root;  /* VAR: the first component, "bill" (NULL for LITERAL) */
	char *field; /* VAR: what follows the first dot, "balance" or "a.b";
			NULL when there is no dot */
	size_t col;  /* 1-based column (in characters) of the part in the
			template source; for VAR the column of its '{' */
};

struct template
{
	char *src;                   /* the source string, as given */
	struct template_part *parts; /* in order */
	size_t nparts;
	int nvars; /* number of TPART_VAR parts (0 for pure text) */
};

/* Where a compile error is and what it is. */
struct template_error {
	size_t col;    /* 1-based column (characters) in the source string */
	size_t offset; /* 0-based byte offset in the source string */
	char msg[128]; /* "unclosed '{'", ... */
};

/*
 * Compiles src (len bytes, need not be NUL-terminated, may hold any bytes
 * but NUL) into *out. Returns 0 and sets *out (owned by the caller, freed
 * with template_free), or -1 with *out NULL and err filled in (err may be
 * NULL).
 */
int template_compile(const char *src, size_t len, struct template **out,
    struct template_error *err);

/* Frees a template from template_compile; NULL is a no-op. */
void template_free(struct template *);

/*
 * Resolves one placeholder during rendering: root is the first component
 * ("bill", "contact", "rest"), field the rest of the dotted path or NULL,
 * path the whole path ("bill.balance"). The callback appends the value to
 * out and returns 0; a value that is not set appends nothing and returns 0.
 * Returning a negative value (out is full, say) stops the render, which then
 * returns that value.
 */
typedef int (*template_resolve_cb)(void *arg, const char *root,
    const char *field, const char *path, struct buf *out);

/*
 * Renders t into out (appending), calling cb for each placeholder; cb may be
 * NULL, then placeholders render empty. Returns 0, -1 when out's hard maximum
 * is reached (out then holds a partial text), or the callback's negative
 * value.
 */
int template_render(const struct template *t, struct buf *out,
    template_resolve_cb cb, void *arg);

/*
 * The length in characters (UTF-8 code points) of the literal parts, that is
 * the rendered length with every placeholder empty. Used by the checker to
 * estimate USSD screens.
 */
size_t template_literal_chars(const struct template *t);

/* Counts UTF-8 code points in s[0..len) (invalid bytes count one each). */
size_t template_utf8_chars(const char *s, size_t len);

#endif
