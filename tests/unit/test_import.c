/*
 * test_import.c: CSV data-table import: RFC 4180 parsing, the checks with
 * their line numbers, all-or-nothing replacement and lookups afterwards;
 * the first failure of a CSV run that import and notify share (csvfail).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "council/csvfail.h"
#include "council/import.h"
#include "gateway/store.h"
#include "lib/util.h"

static int
setup(void **state)
{
	struct store *st = NULL;
	char *err = NULL;

	if (store_open(":memory:", 1, &st, &err) != 0)
		fail_msg("store_open: %s", err);
	*state = st;
	return 0;
}

static int
teardown(void **state)
{
	store_close(*state);
	return 0;
}

/* Imports a C string, expecting success, and returns the row count. */
static long
import_ok(struct store *st, const char *table, const char *key, const char *csv)
{
	char *err = NULL;
	long n =
	    import_csv_buf(st, table, key, csv, strlen(csv), NULL, NULL, &err);

	if (n < 0)
		fail_msg("import failed: %s", err);
	assert_null(err);
	assert_false(store_in_transaction(st));
	return n;
}

/* Imports a C string, expecting failure code want with message msg. */
static void
import_bad(struct store *st, const char *table, const char *key,
    const char *csv, size_t len, long want, const char *msg)
{
	char *err = NULL;
	long n = import_csv_buf(st, table, key, csv, len, NULL, NULL, &err);

	assert_int_equal(n, want);
	assert_non_null(err);
	if (strcmp(err, msg) != 0)
		fail_msg("message \"%s\", expected \"%s\"", err, msg);
	free(err);
	assert_false(store_in_transaction(st));
}

/* The same for a string literal, which may hold NUL bytes. */
#define import_bad_lit(st, table, key, lit, want, msg) \
	import_bad(st, table, key, lit, sizeof(lit) - 1, want, msg)

/* Looks a row up, expecting it, and compares its JSON text. */
static void
lookup_is(struct store *st, const char *table, const char *column,
    const char *value, const char *json)
{
	char *row = NULL;

	assert_int_equal(store_lookup(st, table, column, value, &row), 0);
	assert_string_equal(row, json);
	free(row);
}

static void
test_quotes_commas_newlines(void **state)
{
	struct store *st = *state;
	const char *csv = "id,name,note\n"
			  "1,\"Kamau, John\",\"He said \"\"hi\"\"\"\n"
			  "2,Wanjiru,\"two\nlines\"\n"
			  "3,\"\",plain\n";

	assert_int_equal(import_ok(st, "people", "id", csv), 3);
	lookup_is(st, "people", "id", "1",
	    "{\"id\":\"1\",\"name\":\"Kamau, John\","
	    "\"note\":\"He said \\\"hi\\\"\"}");
	lookup_is(st, "people", "id", "2",
	    "{\"id\":\"2\",\"name\":\"Wanjiru\",\"note\":\"two\\nlines\"}");
	lookup_is(st, "people", "id", "3",
	    "{\"id\":\"3\",\"name\":\"\",\"note\":\"plain\"}");
}

static void
test_bom_crlf_blank_lines(void **state)
{
	struct store *st = *state;
	const char *csv = "\xef\xbb\xbf"
			  "account,balance,due_date\r\n"
			  "100200,350,2026-12-01\r\n"
			  "\r\n"
			  "100300,\"1,200\",\"2026-12-15\"\r\n";
	char *row = NULL;

	assert_int_equal(import_ok(st, "bills", "account", csv), 2);
	/* The BOM is not part of the first column's name. */
	lookup_is(st, "bills", "account", "100200",
	    "{\"account\":\"100200\",\"balance\":\"350\","
	    "\"due_date\":\"2026-12-01\"}");
	lookup_is(st, "bills", "account", "100300",
	    "{\"account\":\"100300\",\"balance\":\"1,200\","
	    "\"due_date\":\"2026-12-15\"}");
	/* Without a final newline, and UTF-8 text. */
	assert_int_equal(import_ok(st, "places", "code",
			     "code,name\nKSM,Kisumu\nMRU,Murang\xca\xbc"
			     "a"),
	    2);
	lookup_is(st, "places", "code", "MRU",
	    "{\"code\":\"MRU\",\"name\":\"Murang\xca\xbc"
	    "a\"}");
	assert_int_equal(
	    store_lookup(st, "places", "code", "NBO", &row), STORE_NOTFOUND);
}

static void
test_lookup_by_other_column(void **state)
{
	struct store *st = *state;
	char *row = NULL;

	assert_int_equal(import_ok(st, "wards", "id",
			     "id,ward,officer\n"
			     "7,Central,Otieno\n"
			     "8,North,Achieng\n"
			     "9,Central,Mwangi\n"),
	    3);
	/* The first match in file order. */
	lookup_is(st, "wards", "ward", "Central",
	    "{\"id\":\"7\",\"ward\":\"Central\",\"officer\":\"Otieno\"}");
	lookup_is(st, "wards", "officer", "Achieng",
	    "{\"id\":\"8\",\"ward\":\"North\",\"officer\":\"Achieng\"}");
	assert_int_equal(
	    store_lookup(st, "wards", "ward", "South", &row), STORE_NOTFOUND);
	assert_int_equal(
	    store_lookup(st, "wards", "phone", "1", &row), STORE_EINVAL);
	assert_int_equal(
	    store_lookup(st, "nope", "id", "1", &row), STORE_ENOTABLE);
}

static void
test_bad_row_keeps_old_table(void **state)
{
	struct store *st = *state;
	char *row = NULL;
	/* Row 2 spans lines 2-3, line 4 is blank, the bad row is on 5. */
	const char *bad = "id,name,note\n"
			  "1,a,\"multi\nline\"\n"
			  "\n"
			  "2,b\n"
			  "3,c,d\n";

	assert_int_equal(
	    import_ok(st, "t", "id", "id,name,note\n9,old,x\n"), 1);
	import_bad(st, "t", "id", bad, strlen(bad), IMPORT_EINVAL,
	    "line 5: expected 3 fields, found 2");
	/* The old table is intact, the new rows are not there. */
	lookup_is(st, "t", "id", "9",
	    "{\"id\":\"9\",\"name\":\"old\",\"note\":\"x\"}");
	assert_int_equal(
	    store_lookup(st, "t", "id", "1", &row), STORE_NOTFOUND);

	/* Too many fields, counted in full. */
	import_bad_lit(st, "t", "id", "id,name\n1,a,b,c\n", IMPORT_EINVAL,
	    "line 2: expected 2 fields, found 4");
	lookup_is(st, "t", "id", "9",
	    "{\"id\":\"9\",\"name\":\"old\",\"note\":\"x\"}");
}

static void
test_header_errors(void **state)
{
	struct store *st = *state;
	char *row = NULL;
	struct buf b;
	int i;

	import_bad_lit(st, "t", "id", "name,phone\nx,y\n", IMPORT_EINVAL,
	    "key column \"id\" is not in the header row (line 1)");
	/* A spreadsheet's export with ';' between columns. */
	import_bad_lit(st, "t", "id", "id;name;phone\n1;x;y\n", IMPORT_EINVAL,
	    "key column \"id\" is not in the header row (line 1): it is one "
	    "column, with ';' in its name; the file must separate columns "
	    "with commas (save it as CSV with ',' as the separator)");
	import_bad_lit(st, "t", "id", "id,name,name\n1,2,3\n", IMPORT_EINVAL,
	    "line 1: duplicate column name \"name\"");
	import_bad_lit(st, "t", "id", "\n\nid,,x\n1,2,3\n", IMPORT_EINVAL,
	    "line 3: column 2 has no name");
	import_bad_lit(st, "t", "id", "", IMPORT_EINVAL,
	    "no header row: the input is empty");
	import_bad_lit(st, "t", "id", "\xef\xbb\xbf\r\n", IMPORT_EINVAL,
	    "no header row: the input is empty");

	/* 65 columns. */
	buf_init(&b, 4096);
	for (i = 0; i <= IMPORT_MAX_COLUMNS; i++)
		buf_printf(&b, "%sc%d", i > 0 ? "," : "", i);
	buf_puts(&b, "\n");
	import_bad(st, "t", "c0", b.data, b.len, IMPORT_EINVAL,
	    "line 1: more than 64 columns");
	buf_free(&b);

	/* Nothing was created by any of these. */
	assert_int_equal(
	    store_lookup(st, "t", "id", "1", &row), STORE_ENOTABLE);
}

static void
test_key_errors(void **state)
{
	struct store *st = *state;
	const char *dup = "code,name\nA,x\nB,y\n\"A\",z\n";

	import_bad(st, "t", "code", dup, strlen(dup), IMPORT_EINVAL,
	    "line 4: duplicate key \"A\"");
	import_bad_lit(st, "t", "code", "code,name\nA,x\n,y\n", IMPORT_EINVAL,
	    "line 3: empty key (column code)");
}

static void
test_field_errors(void **state)
{
	struct store *st = *state;
	struct buf b;
	int i;

	import_bad_lit(st, "t", "id", "id,name\n1,ok\n2,bad\xff\n",
	    IMPORT_EINVAL, "line 3: field 2 is not valid UTF-8 text");
	import_bad_lit(st, "t", "id", "id,name\n1,\xc0\xaf\n", IMPORT_EINVAL,
	    "line 2: field 2 is not valid UTF-8 text");
	import_bad_lit(st, "t", "id", "id,name\n1,a\0b\n", IMPORT_EINVAL,
	    "line 2: field 2 is not valid UTF-8 text");
	/* Surrogates encoded in UTF-8 are not text. */
	import_bad_lit(st, "t", "id", "id,name\n1,\xed\xa0\x80\n",
	    IMPORT_EINVAL, "line 2: field 2 is not valid UTF-8 text");

	/* A quote inside an unquoted field, and text after a closing one. */
	import_bad_lit(st, "t", "id", "id,name\n1,a\"b\n", IMPORT_EINVAL,
	    "line 2: malformed CSV: a quote inside a field must be doubled "
	    "and the field quoted, and a closing quote must end the field");
	import_bad_lit(st, "t", "id", "id,name\n1,\"a\"b\n", IMPORT_EINVAL,
	    "line 2: malformed CSV: a quote inside a field must be doubled "
	    "and the field quoted, and a closing quote must end the field");
	/* A quoted field left open runs to the end of the input. */
	import_bad_lit(st, "t", "id", "id,name\n1,a\n2,\"open\n\n3,x\n",
	    IMPORT_EINVAL,
	    "line 3: quoted field not closed at the end of the input");

	/* One byte over the field limit (a field that fits passes). */
	buf_init(&b, 3 * IMPORT_MAX_FIELD);
	buf_puts(&b, "id,v\n1,");
	for (i = 0; i < IMPORT_MAX_FIELD; i++)
		buf_append(&b, "x", 1);
	buf_puts(&b, "\n2,");
	for (i = 0; i <= IMPORT_MAX_FIELD; i++)
		buf_append(&b, "y", 1);
	buf_puts(&b, "\n");
	import_bad(st, "t", "id", b.data, b.len, IMPORT_EINVAL,
	    "line 3: field 2 is longer than 8192 bytes");

	/* A huge quoted field is refused long before its end. */
	buf_free(&b);
	buf_init(&b, 200 * 1024);
	buf_puts(&b, "id,v\n1,x\n2,\"");
	for (i = 0; i < 150 * 1024; i++)
		buf_append(&b, i % 64 == 63 ? "\n" : "z", 1);
	buf_puts(&b, "\"\n");
	import_bad(st, "t", "id", b.data, b.len, IMPORT_EINVAL,
	    "line 3: field 2 is longer than 8192 bytes");
	buf_free(&b);
}

static void
test_limits_and_arguments(void **state)
{
	struct store *st = *state;
	size_t big = (size_t)IMPORT_MAX_BYTES + 1;
	char *data = xcalloc(1, big), *err = NULL;

	assert_int_equal(
	    import_csv_buf(st, "t", "id", data, big, NULL, NULL, &err),
	    IMPORT_ETOOBIG);
	assert_string_equal(err, "the input is larger than 64 MiB");
	free(err);
	free(data);

	import_bad_lit(st, "Bills", "id", "id\n1\n", IMPORT_EINVAL,
	    "bad table name \"Bills\": use lowercase letters, digits and _, "
	    "not starting with a digit, at most 64 bytes");
	import_bad_lit(
	    st, "t", "", "id\n1\n", IMPORT_EINVAL, "no key column given");
	assert_true(import_table_name_valid("ward_2"));
	assert_false(import_table_name_valid("2ward"));
	assert_false(import_table_name_valid("a-b"));
	assert_false(import_table_name_valid(""));
	/* errmsg may be NULL. */
	assert_int_equal(
	    import_csv_buf(st, "t", "x", "id\n1\n", 5, NULL, NULL, NULL),
	    IMPORT_EINVAL);
}

static void
test_replace_table(void **state)
{
	struct store *st = *state;
	char *row = NULL;

	assert_int_equal(
	    import_ok(st, "bills", "account", "account,balance\n1,10\n2,20\n"),
	    2);
	/* New rows and new columns, keyed by another column now. */
	assert_int_equal(
	    import_ok(st, "bills", "acct", "acct,balance,due\n3,30,soon\n"), 1);
	assert_int_equal(
	    store_lookup(st, "bills", "acct", "1", &row), STORE_NOTFOUND);
	assert_int_equal(
	    store_lookup(st, "bills", "account", "1", &row), STORE_EINVAL);
	lookup_is(st, "bills", "acct", "3",
	    "{\"acct\":\"3\",\"balance\":\"30\",\"due\":\"soon\"}");

	/* A header alone empties the table but keeps it known. */
	assert_int_equal(import_ok(st, "bills", "acct", "acct,balance\n"), 0);
	assert_int_equal(
	    store_lookup(st, "bills", "acct", "3", &row), STORE_NOTFOUND);

	/* Other tables are untouched by a replacement. */
	assert_int_equal(import_ok(st, "other", "k", "k\nx\n"), 1);
	assert_int_equal(import_ok(st, "bills", "acct", "acct\n5\n"), 1);
	lookup_is(st, "other", "k", "x", "{\"k\":\"x\"}");
}

static void
test_inside_caller_transaction(void **state)
{
	struct store *st = *state;
	char *row = NULL, *err = NULL;

	/* A failed import inside a transaction leaves the transaction. */
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(
	    import_csv_buf(st, "t", "id", "id\n1\n1\n", 7, NULL, NULL, &err),
	    IMPORT_EINVAL);
	free(err);
	assert_true(store_in_transaction(st));
	assert_int_equal(
	    import_csv_buf(st, "t", "id", "id\n1\n", 5, NULL, NULL, NULL), 1);
	assert_int_equal(store_lookup(st, "t", "id", "1", &row), 0);
	free(row);
	/* The caller's rollback undoes the import. */
	assert_int_equal(store_rollback(st), 0);
	assert_int_equal(
	    store_lookup(st, "t", "id", "1", &row), STORE_ENOTABLE);
}

/* Progress: remembers the last call and checks the calls only grow. */
struct progress {
	uint64_t done;  /* last bytes done */
	uint64_t total; /* last total */
	int calls;      /* how many calls */
};

static void
on_progress(void *arg, uint64_t done, uint64_t total)
{
	struct progress *p = arg;

	assert_true(done >= p->done);
	p->done = done;
	p->total = total;
	p->calls++;
}

static void
test_file_and_progress(void **state)
{
	struct store *st = *state;
	char path[] = "/tmp/test_import.XXXXXX";
	struct progress pr = {0, 0, 0};
	char *err = NULL;
	FILE *fp;
	int fd, i;
	long n;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w+");
	assert_non_null(fp);
	/* Enough rows to take several read chunks. */
	fputs("\xef\xbb\xbfid,text\r\n", fp);
	for (i = 0; i < 20000; i++)
		fprintf(fp, "%d,\"row %d, with a comma\"\r\n", i, i);
	fflush(fp);
	rewind(fp);

	n = import_csv_file(st, "big", "id", fp, on_progress, &pr, &err);
	assert_null(err);
	assert_int_equal(n, 20000);
	assert_true(pr.calls > 1);
	assert_true(pr.total > 0);
	assert_int_equal(pr.done, pr.total);
	lookup_is(st, "big", "id", "19999",
	    "{\"id\":\"19999\",\"text\":\"row 19999, with a comma\"}");

	/* A bad row far into the file names its line. */
	rewind(fp);
	assert_int_equal(ftruncate(fd, 0), 0);
	fputs("id,text\n", fp);
	for (i = 0; i < 5000; i++)
		fprintf(fp, "%d,x\n", i);
	fputs("5000,x,extra\n", fp);
	fflush(fp);
	rewind(fp);
	n = import_csv_file(st, "big", "id", fp, NULL, NULL, &err);
	assert_int_equal(n, IMPORT_EINVAL);
	assert_string_equal(err, "line 5002: expected 2 fields, found 3");
	free(err);
	lookup_is(st, "big", "id", "19999",
	    "{\"id\":\"19999\",\"text\":\"row 19999, with a comma\"}");

	fclose(fp);
	unlink(path);
}

static void
test_buffer_progress(void **state)
{
	struct store *st = *state;
	struct progress pr = {0, 0, 0};
	const char *csv = "k,v\na,1\n";

	assert_int_equal(import_csv_buf(st, "small", "k", csv, strlen(csv),
			     on_progress, &pr, NULL),
	    1);
	assert_int_equal(pr.calls, 1);
	assert_int_equal(pr.done, strlen(csv));
	assert_int_equal(pr.total, strlen(csv));
}

/* Codes of a run of our own, to see which one csvfail_read picks. */
enum { E_INVAL = -11, E_TOOBIG = -12, E_IO = -13, E_OTHER = -14 };

static int
keep_going(void *arg, const struct csvread_row *row)
{
	(void)arg;
	(void)row;
	return 0;
}

/*
 * csvfail keeps the first failure only, maps the reader's failures to the
 * run's codes with the reader's message, and hands the message over.
 */
static void
test_csvfail(void **state)
{
	static const struct csvread_params params = {4, 16, 16, 0, 0};
	struct csvfail f = {0, NULL};
	struct csvread *csv;
	char *msg = NULL;

	(void)state;
	csvfail_set(&f, E_OTHER, "first %d", 1);
	csvfail_set(&f, E_INVAL, "second");
	assert_int_equal(f.err, E_OTHER);
	assert_string_equal(f.errmsg, "first 1");
	assert_int_equal(csvfail_end(&f, &msg), E_OTHER);
	assert_string_equal(msg, "first 1");
	assert_null(f.errmsg);
	free(msg);

	/* No failure: nothing to hand over. */
	memset(&f, 0, sizeof(f));
	csv = csvread_new(&params, keep_going, keep_going, NULL);
	assert_non_null(csv);
	csvfail_read(&f, csv, csvread_buf(csv, "a,b\n1,2\n", 8, NULL, NULL),
	    E_TOOBIG, E_IO, E_INVAL);
	csvfail_read(&f, csv, CSVREAD_ESTOP, E_TOOBIG, E_IO, E_INVAL);
	assert_int_equal(csvfail_end(&f, &msg), 0);
	assert_null(msg);
	csvread_free(csv);

	/* Too big and malformed input, each with the reader's message. */
	csv = csvread_new(&params, keep_going, keep_going, NULL);
	csvfail_read(&f, csv,
	    csvread_buf(csv, "a,b\n1,2\n3,4\n5,6\n7,8\n9,0\n", 24, NULL, NULL),
	    E_TOOBIG, E_IO, E_INVAL);
	assert_int_equal(f.err, E_TOOBIG);
	assert_non_null(f.errmsg);
	assert_int_equal(csvfail_end(&f, NULL), E_TOOBIG);
	csvread_free(csv);
	memset(&f, 0, sizeof(f));
	csv = csvread_new(&params, keep_going, keep_going, NULL);
	csvfail_read(&f, csv, csvread_buf(csv, "a,b\n1,2,3\n", 10, NULL, NULL),
	    E_TOOBIG, E_IO, E_INVAL);
	assert_int_equal(f.err, E_INVAL);
	assert_non_null(strstr(f.errmsg, "line 2"));
	csvfail_end(&f, NULL);
	csvread_free(csv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_quotes_commas_newlines, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_bom_crlf_blank_lines, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_lookup_by_other_column, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_bad_row_keeps_old_table, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_header_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_key_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_field_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_limits_and_arguments, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_replace_table, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_inside_caller_transaction, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_file_and_progress, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_buffer_progress, setup, teardown),
	    cmocka_unit_test(test_csvfail),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
