/*
 * test_form.c: form and query decoding, percent-encoding helpers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/form.h"

/* Parses s, expecting success. */
static void
parse_ok(struct form *f, const char *s)
{
	const char *err = NULL;

	assert_int_equal(form_parse(f, s, strlen(s), &err), 0);
	assert_null(err);
}

/* Parses s, expecting failure with the reason want. */
static void
parse_bad(const char *s, size_t len, const char *want)
{
	struct form f;
	const char *err = NULL;

	assert_int_equal(form_parse(&f, s, len, &err), -1);
	assert_non_null(err);
	assert_string_equal(err, want);
	assert_int_equal(f.npairs, 0);
	assert_null(form_get(&f, "a"));
	form_free(&f);
}

static void
test_plain(void **state)
{
	struct form f;

	(void)state;
	parse_ok(&f, "id=ATXid_1&from=%2B254700000001&to=40404&text=Hello");
	assert_int_equal(f.npairs, 4);
	assert_string_equal(f.pairs[0].name, "id");
	assert_string_equal(f.pairs[0].value, "ATXid_1");
	assert_string_equal(form_get(&f, "from"), "+254700000001");
	assert_string_equal(form_get(&f, "to"), "40404");
	assert_string_equal(form_get(&f, "text"), "Hello");
	assert_null(form_get(&f, "date"));
	/* Names are case-sensitive. */
	assert_null(form_get(&f, "Text"));
	form_free(&f);
	assert_int_equal(f.npairs, 0);
	/* A freed form can be freed again and parsed into again. */
	form_free(&f);
	parse_ok(&f, "a=b");
	assert_string_equal(form_get(&f, "a"), "b");
	form_free(&f);
}

static void
test_plus_and_escapes(void **state)
{
	struct form f;

	(void)state;
	parse_ok(&f, "text=Habari+yako%3F+%F0%9F%98%80&q=a%2Bb&sp=%20"
		     "&raw=1*2*3&eq=a%3Db%26c&up=%c3%A9");
	assert_string_equal(
	    form_get(&f, "text"), "Habari yako? \xF0\x9F\x98\x80");
	assert_string_equal(form_get(&f, "q"), "a+b");
	assert_string_equal(form_get(&f, "sp"), " ");
	assert_string_equal(form_get(&f, "raw"), "1*2*3");
	assert_string_equal(form_get(&f, "eq"), "a=b&c");
	assert_string_equal(form_get(&f, "up"), "\xc3\xa9");
	form_free(&f);
	/* Escapes and '+' in names too. */
	parse_ok(&f, "my+name=1&caf%C3%A9=2");
	assert_string_equal(form_get(&f, "my name"), "1");
	assert_string_equal(form_get(&f, "caf\xc3\xa9"), "2");
	form_free(&f);
}

static void
test_bad_escapes(void **state)
{
	(void)state;
	parse_bad("a=%", 3, "invalid percent escape");
	parse_bad("a=%4", 4, "invalid percent escape");
	parse_bad("a=%zz", 5, "invalid percent escape");
	parse_bad("a=%4g&b=1", 9, "invalid percent escape");
	parse_bad("%=1", 3, "invalid percent escape");
	parse_bad("a=1&b=%G1", 9, "invalid percent escape");
	parse_bad("a=%00", 5, "escaped NUL byte");
	parse_bad("a=x\0y", 5, "NUL byte");
	parse_bad("=1", 2, "empty field name");
	parse_bad("a=1&=2", 6, "empty field name");
}

static void
test_empty_values(void **state)
{
	struct form f;

	(void)state;
	parse_ok(&f, "text=&linkId&networkCode=63902&&");
	assert_int_equal(f.npairs, 3);
	assert_string_equal(form_get(&f, "text"), "");
	assert_string_equal(form_get(&f, "linkId"), "");
	assert_string_equal(form_get(&f, "networkCode"), "63902");
	form_free(&f);
	parse_ok(&f, "");
	assert_int_equal(f.npairs, 0);
	assert_null(form_get(&f, "x"));
	form_free(&f);
	parse_ok(&f, "&&&");
	assert_int_equal(f.npairs, 0);
	form_free(&f);
	/* Only the first '=' splits. */
	parse_ok(&f, "a==b=");
	assert_string_equal(form_get(&f, "a"), "=b=");
	form_free(&f);
}

static void
test_duplicates(void **state)
{
	struct form f;

	(void)state;
	parse_ok(&f, "a=1&b=2&a=3");
	assert_int_equal(f.npairs, 3);
	/* form_get gives the first; all are kept in order. */
	assert_string_equal(form_get(&f, "a"), "1");
	assert_string_equal(f.pairs[2].name, "a");
	assert_string_equal(f.pairs[2].value, "3");
	form_free(&f);
}

static void
test_limits(void **state)
{
	struct form f;
	char *s, *big;
	size_t n = 0, i;

	(void)state;
	s = malloc(16 * (FORM_MAX_PAIRS + 2));
	for (i = 0; i < FORM_MAX_PAIRS; i++)
		n += (size_t)sprintf(s + n, "%sk%zu=%zu", i ? "&" : "", i, i);
	parse_ok(&f, s);
	assert_int_equal(f.npairs, FORM_MAX_PAIRS);
	assert_string_equal(form_get(&f, "k255"), "255");
	form_free(&f);
	n += (size_t)sprintf(s + n, "&one=more");
	parse_bad(s, n, "too many fields");
	free(s);

	big = malloc(FORM_MAX_INPUT + 2);
	memset(big, 'a', FORM_MAX_INPUT + 1);
	big[0] = 'x';
	big[1] = '=';
	parse_bad(big, FORM_MAX_INPUT + 1, "input too long");
	/* At the limit is fine. */
	big[FORM_MAX_INPUT] = '\0';
	parse_ok(&f, big);
	assert_int_equal(strlen(form_get(&f, "x")), FORM_MAX_INPUT - 2);
	form_free(&f);
	free(big);
}

static void
test_url_decode(void **state)
{
	char *out = NULL;
	const char *err = NULL;

	(void)state;
	assert_int_equal(url_decode("a+b%20c", 7, 0, &out, &err), 0);
	assert_string_equal(out, "a+b c");
	free(out);
	assert_int_equal(
	    url_decode("a+b%20c", 7, URL_PLUS_SPACE, &out, &err), 0);
	assert_string_equal(out, "a b c");
	free(out);
	/* Only len bytes are read. */
	assert_int_equal(url_decode("%41%42", 3, 0, &out, &err), 0);
	assert_string_equal(out, "A");
	free(out);
	assert_int_equal(url_decode("%4", 2, 0, &out, &err), -1);
	assert_null(out);
	assert_string_equal(err, "invalid percent escape");
	assert_int_equal(url_decode("%00", 3, 0, &out, NULL), -1);
	assert_null(out);
}

static void
test_url_encode(void **state)
{
	static const char all[] = "AZaz09-._~ +&=/?%\xc3\xa9*";
	char *e, *d;
	const char *err;
	struct buf b;

	(void)state;
	e = url_encode(all, strlen(all));
	assert_string_equal(e, "AZaz09-._~%20%2B%26%3D%2F%3F%25%C3%A9%2A");
	assert_int_equal(url_decode(e, strlen(e), 0, &d, &err), 0);
	assert_string_equal(d, all);
	free(d);
	free(e);
	e = url_encode("", 0);
	assert_string_equal(e, "");
	free(e);

	buf_init(&b, 10);
	assert_int_equal(buf_puts(&b, "to="), 0);
	assert_int_equal(url_encode_buf(&b, "+2547", 5), 0);
	assert_string_equal(b.data, "to=%2B2547");
	/* Over the maximum: refused, buffer unchanged. */
	assert_int_equal(url_encode_buf(&b, "x", 1), -1);
	assert_string_equal(b.data, "to=%2B2547");
	assert_int_equal(b.len, 10);
	buf_free(&b);
}

/* FORM_KEEP_NUL: %00 in a value, kept with its length; not in a name. */
static void
test_keep_nul(void **state)
{
	const char *in = "text=%00h%00i&n=1", *err = NULL;
	struct form f;
	size_t len = 99;
	const char *v;

	(void)state;
	assert_int_equal(
	    form_parse_flags(&f, in, strlen(in), FORM_KEEP_NUL, &err), 0);
	v = form_get_len(&f, "text", &len);
	assert_non_null(v);
	assert_int_equal(len, 4);
	assert_memory_equal(v, "\0h\0i", 4);
	assert_string_equal(form_get(&f, "n"), "1");
	assert_null(form_get_len(&f, "none", &len));
	form_free(&f);
	/* Without the flag, as before; in a name, even with it. */
	parse_bad(in, strlen(in), "escaped NUL byte");
	assert_int_equal(
	    form_parse_flags(&f, "a%00=1", 6, FORM_KEEP_NUL, &err), -1);
	assert_string_equal(err, "escaped NUL byte");
	form_free(&f);
}

/* query_get: one field, whatever the others hold. */
static void
test_query_get(void **state)
{
	const char *q = "utm=%ZZ&secret=a%2Bb+c&x=%00&secret=second";
	char *v = NULL;

	(void)state;
	assert_int_equal(query_get(q, strlen(q), "secret", &v), 1);
	assert_string_equal(v, "a+b c");
	free(v);
	assert_int_equal(query_get(q, strlen(q), "secre", &v), 0);
	assert_null(v);
	assert_int_equal(query_get(q, strlen(q), "utm", &v), -1);
	assert_null(v);
	assert_int_equal(query_get("", 0, "secret", &v), 0);
	assert_int_equal(query_get("secret", 6, "secret", &v), 0);
	assert_int_equal(query_get("secret=", 7, "secret", &v), 1);
	assert_string_equal(v, "");
	free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain),
	    cmocka_unit_test(test_plus_and_escapes),
	    cmocka_unit_test(test_bad_escapes),
	    cmocka_unit_test(test_empty_values),
	    cmocka_unit_test(test_duplicates),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_url_decode),
	    cmocka_unit_test(test_url_encode),
	    cmocka_unit_test(test_keep_nul),
	    cmocka_unit_test(test_query_get),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
