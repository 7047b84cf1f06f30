/*
 * test_template.c: compiling and rendering flow templates.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flows/template.h"

/* A resolver over a small table of path=value pairs. */
struct vars {
	const char *const *kv; /* path, value, path, value, ..., NULL */
	int calls;
	char last_root[64];
	char last_field[64];
};

static int
resolve_cb(void *arg, const char *root, const char *field, const char *path,
    struct buf *out)
{
	struct vars *v = arg;
	size_t i;

	v->calls++;
	snprintf(v->last_root, sizeof(v->last_root), "%s", root);
	snprintf(v->last_field, sizeof(v->last_field), "%s",
	    field ? field : "(null)");
	for (i = 0; v->kv[i] != NULL; i += 2)
		if (strcmp(v->kv[i], path) == 0)
			return buf_puts(out, v->kv[i + 1]);
	return 0;
}

static int
failing_cb(void *arg, const char *root, const char *field, const char *path,
    struct buf *out)
{
	(void)arg;
	(void)root;
	(void)field;
	(void)path;
	(void)out;
	return -7;
}

/* Compiles s (which must compile) and renders it with the table kv. */
static char *
render(const char *s, const char *const *kv)
{
	struct template *t;
	struct template_error err;
	struct vars v = {kv, 0, "", ""};
	struct buf b;

	assert_int_equal(template_compile(s, strlen(s), &t, &err), 0);
	buf_init(&b, 1024);
	assert_int_equal(template_render(t, &b, resolve_cb, &v), 0);
	template_free(t);
	return buf_steal(&b);
}

static void
test_parts(void **state)
{
	struct template *t;

	(void)state;
	assert_int_equal(
	    template_compile("Hi {name}, KES {bill.balance}!", 30, &t, NULL),
	    0);
	assert_int_equal(t->nparts, 5);
	assert_int_equal(t->nvars, 2);
	assert_int_equal(t->parts[0].kind, TPART_LITERAL);
	assert_string_equal(t->parts[0].text, "Hi ");
	assert_int_equal(t->parts[0].col, 1);
	assert_int_equal(t->parts[1].kind, TPART_VAR);
	assert_string_equal(t->parts[1].text, "name");
	assert_string_equal(t->parts[1].root, "name");
	assert_null(t->parts[1].field);
	assert_int_equal(t->parts[1].col, 4);
	assert_string_equal(t->parts[2].text, ", KES ");
	assert_string_equal(t->parts[3].text, "bill.balance");
	assert_string_equal(t->parts[3].root, "bill");
	assert_string_equal(t->parts[3].field, "balance");
	assert_int_equal(t->parts[3].col, 16);
	assert_string_equal(t->parts[4].text, "!");
	assert_string_equal(t->src, "Hi {name}, KES {bill.balance}!");
	template_free(t);
}

static void
test_nested_and_contact(void **state)
{
	static const char *const kv[] = {"weather.main.temp", "24",
	    "contact.phone", "+254700000001", "contact.language", "sw", "rest",
	    "1234567", "input", "2", NULL};
	struct template *t;
	char *s;

	(void)state;
	s = render("{weather.main.temp}C {contact.phone} {contact.language} "
		   "[{rest}] ({input})",
	    kv);
	assert_string_equal(s, "24C +254700000001 sw [1234567] (2)");
	free(s);
	assert_int_equal(template_compile("{a.b.c}", 7, &t, NULL), 0);
	assert_string_equal(t->parts[0].root, "a");
	assert_string_equal(t->parts[0].field, "b.c");
	template_free(t);
}

static void
test_braces_and_unset(void **state)
{
	static const char *const kv[] = {"x", "1", NULL};
	char *s;

	(void)state;
	s = render("{{x}} is {x}; {{{x}}} {unset}.", kv);
	assert_string_equal(s, "{x} is 1; {1} .");
	free(s);
	s = render("", kv);
	assert_string_equal(s, "");
	free(s);
}

static void
test_callback_args(void **state)
{
	static const char *const kv[] = {NULL};
	struct template *t;
	struct vars v = {kv, 0, "", ""};
	struct buf b;

	(void)state;
	assert_int_equal(template_compile("{r.id}", 6, &t, NULL), 0);
	buf_init(&b, 64);
	assert_int_equal(template_render(t, &b, resolve_cb, &v), 0);
	assert_int_equal(v.calls, 1);
	assert_string_equal(v.last_root, "r");
	assert_string_equal(v.last_field, "id");
	/* A failing callback stops the render with its code. */
	assert_int_equal(template_render(t, &b, failing_cb, NULL), -7);
	/* A NULL callback renders placeholders empty. */
	buf_reset(&b);
	assert_int_equal(template_render(t, &b, NULL, NULL), 0);
	assert_string_equal(buf_cstr(&b), "");
	buf_free(&b);
	template_free(t);
}

static void
test_buffer_limit(void **state)
{
	struct template *t;
	struct buf b;

	(void)state;
	assert_int_equal(template_compile("0123456789", 10, &t, NULL), 0);
	buf_init(&b, 5);
	assert_int_equal(template_render(t, &b, NULL, NULL), -1);
	buf_free(&b);
	template_free(t);
}

/* Compiling s fails at column col with a message starting with msg. */
static void
expect_error(const char *s, size_t col, const char *msg)
{
	struct template *t = (struct template *)1;
	struct template_error err;

	assert_int_equal(template_compile(s, strlen(s), &t, &err), -1);
	assert_null(t);
	assert_int_equal(err.col, col);
	assert_true(strncmp(err.msg, msg, strlen(msg)) == 0);
}

static void
test_errors(void **state)
{
	(void)state;
	expect_error(
	    "Hello {name", 7, "unclosed '{' (write '{{' for a literal brace)");
	expect_error("a {b {c}", 3, "unclosed '{'");
	expect_error(
	    "a } b", 3, "unmatched '}' (write '}}' for a literal brace)");
	expect_error(
	    "x {}", 4, "bad placeholder: expected {name} or {name.field}");
	expect_error("x {Name}", 4, "bad placeholder");
	expect_error("x {a..b}", 6, "bad placeholder");
	expect_error("x {a.}", 6, "bad placeholder");
	expect_error("x {a b}", 5, "bad placeholder");
	expect_error("{a.b.c.d.e.f.g.h.i}", 17,
	    "bad placeholder: at most 8 names joined by '.' "
	    "({name.field.sub...})");
	/* Columns count characters, not bytes. */
	expect_error("Habari ya {jina", 11, "unclosed '{'");
	expect_error("Ni\xc3\xa9 {jina", 5, "unclosed '{'");
}

static void
test_limits(void **state)
{
	struct template_error err;
	struct template *t;
	char *big = malloc(TEMPLATE_MAX_SRC + 2);
	char name[TEMPLATE_MAX_NAME + 4];

	(void)state;
	memset(big, 'a', TEMPLATE_MAX_SRC + 1);
	big[TEMPLATE_MAX_SRC + 1] = '\0';
	assert_int_equal(
	    template_compile(big, TEMPLATE_MAX_SRC + 1, &t, &err), -1);
	assert_string_equal(err.msg, "text too long");
	free(big);
	name[0] = '{';
	memset(name + 1, 'a', TEMPLATE_MAX_NAME + 1);
	name[TEMPLATE_MAX_NAME + 2] = '}';
	name[TEMPLATE_MAX_NAME + 3] = '\0';
	assert_int_equal(template_compile(name, strlen(name), &t, &err), -1);
	assert_string_equal(err.msg, "placeholder too long");
	assert_int_equal(template_compile("a\0b", 3, &t, &err), -1);
	assert_string_equal(err.msg, "NUL byte in text");
	assert_int_equal(err.col, 2);
}

static void
test_literal_chars(void **state)
{
	struct template *t;
	const char *s = "Salio {x}: KES \xc3\xa9{{";

	(void)state;
	assert_int_equal(template_compile(s, strlen(s), &t, NULL), 0);
	/* "Salio " (6) + ": KES " (6) + "e-acute" (1) + "{" (1). */
	assert_int_equal(template_literal_chars(t), 14);
	template_free(t);
	assert_int_equal(template_utf8_chars("\xe2\x82\xac"
					     "1",
			     4),
	    2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parts),
	    cmocka_unit_test(test_nested_and_contact),
	    cmocka_unit_test(test_braces_and_unset),
	    cmocka_unit_test(test_callback_args),
	    cmocka_unit_test(test_buffer_limit),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_literal_chars),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
