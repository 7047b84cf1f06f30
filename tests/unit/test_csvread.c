/*
 * test_csvread.c: the strict CSV reader alone: quotes, embedded newlines
 * and commas, the BOM, CRLF, input fed in pieces, and every error with the
 * line it names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/csvread.h"
#include "lib/util.h"

/* What the callbacks saw, as text: "L1[a|b]L3[c|d]". */
struct seen {
	struct buf out;     /* the rows, as above */
	int stop_header;    /* the header callback refuses */
	long stop_at;       /* the row callback refuses data row N (from 1) */
	long rows;          /* data rows seen */
	long headers;       /* header calls */
	uint64_t last_done; /* progress: bytes so far */
	uint64_t last_tot;  /* progress: total */
	long progress;      /* progress calls */
};

static void
record(struct seen *s, const struct csvread_row *row)
{
	size_t i;

	buf_printf(&s->out, "L%llu[", (unsigned long long)row->line);
	for (i = 0; i < row->nfields; i++) {
		/* Each field is NUL-terminated at its length. */
		assert_int_equal(strlen(row->fields[i]), row->lens[i]);
		if (i > 0)
			buf_append(&s->out, "|", 1);
		buf_append(&s->out, row->fields[i], row->lens[i]);
	}
	buf_append(&s->out, "]", 1);
}

static int
on_header(void *arg, const struct csvread_row *row)
{
	struct seen *s = arg;

	s->headers++;
	record(s, row);
	return s->stop_header ? -1 : 0;
}

static int
on_row(void *arg, const struct csvread_row *row)
{
	struct seen *s = arg;

	s->rows++;
	record(s, row);
	return s->stop_at == s->rows ? -1 : 0;
}

static void
on_progress(void *arg, uint64_t done, uint64_t total)
{
	struct seen *s = arg;

	s->progress++;
	s->last_done = done;
	s->last_tot = total;
}

/* The limits of `baraza import`. */
static const struct csvread_params import_like = {
    .max_columns = 64,
    .max_field = 8192,
    .max_bytes = 64 * 1024 * 1024,
    .name_max = 0,
    .flags = 0,
};

/* Reads csv[0..len) whole with par; returns the status, fills s and msg. */
static int
run(const struct csvread_params *par, const char *csv, size_t len,
    struct seen *s, char **msg)
{
	struct csvread *r = csvread_new(par, on_header, on_row, s);
	int rc;

	assert_non_null(r);
	rc = csvread_buf(r, csv, len, on_progress, s);
	assert_int_equal(rc, csvread_status(r));
	*msg = csvread_errmsg(r) != NULL ? xstrdup(csvread_errmsg(r)) : NULL;
	csvread_free(r);
	return rc;
}

/* Expects csv (a literal, may hold NUL) to read as the rows in want. */
static void
good_len(const char *csv, size_t len, const char *want)
{
	struct seen s;
	char *msg = NULL;

	memset(&s, 0, sizeof(s));
	buf_init(&s.out, 1 << 20);
	if (run(&import_like, csv, len, &s, &msg) != 0)
		fail_msg("refused: %s", msg);
	assert_string_equal(buf_cstr(&s.out), want);
	assert_int_equal(s.headers, 1);
	buf_free(&s.out);
}
#define good(lit, want) good_len(lit, sizeof(lit) - 1, want)

/* Expects csv to be refused with rc and exactly msg. */
static void
bad_par(const struct csvread_params *par, const char *csv, size_t len,
    int want_rc, const char *want)
{
	struct seen s;
	char *msg = NULL;
	int rc;

	memset(&s, 0, sizeof(s));
	buf_init(&s.out, 1 << 20);
	rc = run(par, csv, len, &s, &msg);
	if (msg == NULL || strcmp(msg, want) != 0)
		fail_msg("message \"%s\", expected \"%s\"",
		    msg != NULL ? msg : "(none)", want);
	assert_int_equal(rc, want_rc);
	free(msg);
	buf_free(&s.out);
}
#define bad(lit, want) \
	bad_par(&import_like, lit, sizeof(lit) - 1, CSVREAD_EINVAL, want)

static void
test_rows(void **state)
{
	(void)state;
	good("id,name\n1,Amina\n2,Baraka\n",
	    "L1[id|name]L2[1|Amina]L3[2|Baraka]");
	/* No final line end; blank lines skipped but counted. */
	good("id,name\n\n1,a\n\n\n2,b", "L1[id|name]L3[1|a]L6[2|b]");
	/* Spaces and tabs around an unquoted field are trimmed. */
	good("id , name\n 1\t,  x y  \n", "L1[id|name]L2[1|x y]");
	/* Empty fields, at the start, the middle and the end. */
	good("a,b,c\n,,\n1,,\n", "L1[a|b|c]L2[||]L3[1||]");
	/* UTF-8 text passes through. */
	good("id,jina\n1,Wanjir\xc5\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\n",
	    "L1[id|jina]L2[1|Wanjir\xc5\xa9 \xe2\x82\xac \xf0\x9f\x98\x80]");
	/* A header alone. */
	good("id,name\n", "L1[id|name]");
}

static void
test_quotes(void **state)
{
	(void)state;
	/* Commas, doubled quotes and spaces inside quotes stay. */
	good("id,text\n1,\"a, b\"\n2,\"say \"\"hi\"\"\"\n3,\" x \"\n",
	    "L1[id|text]L2[1|a, b]L3[2|say \"hi\"]L4[3| x ]");
	/* A field over three lines: the next row starts on line 5. */
	good("id,text\n1,\"one\ntwo\nthree\"\n2,x\n",
	    "L1[id|text]L2[1|one\ntwo\nthree]L5[2|x]");
	/* A quoted newline in the header; CRLF inside quotes is kept. */
	good(
	    "\"i\nd\",t\n1,\"a\r\nb\"\n3,c\n", "L1[i\nd|t]L3[1|a\r\nb]L5[3|c]");
	/* Quoted empty fields and a quoted key. */
	good("a,b\n\"\",\"\"\n\"1\",x\n", "L1[a|b]L2[|]L3[1|x]");
}

static void
test_bom_crlf(void **state)
{
	(void)state;
	good("\xef\xbb\xbfid,name\r\n1,a\r\n2,b\r\n",
	    "L1[id|name]L2[1|a]L3[2|b]");
	/* A BOM alone, or before blank lines, is still no header. */
	bad("\xef\xbb\xbf", "no header row: the input is empty");
	bad("\xef\xbb\xbf\r\n\n", "no header row: the input is empty");
	/* Only at the very start: later, its bytes are data. */
	good("id,name\n1,\xef\xbb\xbfx\n", "L1[id|name]L2[1|\xef\xbb\xbfx]");
	/* Half a BOM is data, and not UTF-8 text. */
	bad("\xef\xbbid,name\n", "line 1: field 1 is not valid UTF-8 text");
	/* Old Mac CR-only line ends are line ends to libcsv, not to lines. */
	good("id,name\r1,a\r2,b\n3,c\n", "L1[id|name]L1[1|a]L1[2|b]L2[3|c]");
}

/* Any split of the input into two pieces reads the same as the whole. */
static void
test_pieces(void **state)
{
	static const char csv[] =
	    "\xef\xbb\xbfid,\"na\"\"me\"\r\n\n1,\"a,\nb\"\r\n"
	    "2, c \n\"3\",\"\"\n";
	static const char want[] = "L1[id|na\"me]L3[1|a,\nb]L5[2|c]L6[3|]";
	size_t len = sizeof(csv) - 1, cut, i;

	(void)state;
	for (cut = 0; cut <= len; cut++) {
		struct seen s;
		struct csvread *r;

		memset(&s, 0, sizeof(s));
		buf_init(&s.out, 4096);
		r = csvread_new(&import_like, on_header, on_row, &s);
		assert_non_null(r);
		assert_int_equal(csvread_feed(r, csv, cut), 0);
		assert_int_equal(csvread_feed(r, csv + cut, len - cut), 0);
		assert_int_equal(csvread_finish(r), 0);
		assert_string_equal(buf_cstr(&s.out), want);
		csvread_free(r);
		buf_free(&s.out);
	}
	/* And one byte at a time. */
	{
		struct seen s;
		struct csvread *r;

		memset(&s, 0, sizeof(s));
		buf_init(&s.out, 4096);
		r = csvread_new(&import_like, on_header, on_row, &s);
		for (i = 0; i < len; i++)
			assert_int_equal(csvread_feed(r, csv + i, 1), 0);
		assert_int_equal(csvread_finish(r), 0);
		assert_string_equal(buf_cstr(&s.out), want);
		/* The header stays with the reader. */
		assert_non_null(csvread_header(r));
		assert_int_equal(csvread_header(r)->nfields, 2);
		assert_string_equal(csvread_header(r)->fields[1], "na\"me");
		assert_int_equal(csvread_header(r)->line, 1);
		/* Input after the end is refused. */
		assert_int_equal(csvread_feed(r, "x", 1), CSVREAD_EINVAL);
		csvread_free(r);
		buf_free(&s.out);
	}
}

static void
test_header_errors(void **state)
{
	struct csvread_params cut = import_like;
	char wide[1024];
	size_t i, n = 0;

	(void)state;
	bad("", "no header row: the input is empty");
	bad("\n\r\n\n", "no header row: the input is empty");
	bad("id,,name\n1,2,3\n", "line 1: column 2 has no name");
	bad("\n\nid,\"\"\n", "line 3: column 2 has no name");
	bad("id,name,name\n", "line 1: duplicate column name \"name\"");
	/* Header names are compared after trimming and unquoting. */
	bad("id, name ,\"name\"\n", "line 1: duplicate column name \"name\"");
	/* A long duplicate is quoted whole, or cut at name_max bytes. */
	for (i = 0; i < 100; i++)
		wide[n++] = 'n';
	wide[n++] = ',';
	memcpy(wide + n, wide, 100);
	n += 100;
	wide[n] = '\0';
	cut.name_max = 4;
	bad_par(&cut, wide, n, CSVREAD_EINVAL,
	    "line 1: duplicate column name \"nnnn\"");
	{
		char *want =
		    xasprintf("line 1: duplicate column name \"%.100s\"", wide);

		bad_par(&import_like, wide, n, CSVREAD_EINVAL, want);
		free(want);
	}
	/* 64 columns are fine, 65 are not. */
	n = 0;
	for (i = 0; i < 65; i++)
		n += (size_t)snprintf(
		    wide + n, sizeof(wide) - n, "%sc%zu", i > 0 ? "," : "", i);
	bad_par(&import_like, wide, n, CSVREAD_EINVAL,
	    "line 1: more than 64 columns");
	n = (size_t)(strrchr(wide, ',') - wide);
	wide[n] = '\0';
	{
		struct seen s;
		char *msg = NULL;

		memset(&s, 0, sizeof(s));
		buf_init(&s.out, 1 << 16);
		assert_int_equal(run(&import_like, wide, n, &s, &msg), 0);
		assert_null(msg);
		assert_int_equal(s.headers, 1);
		buf_free(&s.out);
	}
}

static void
test_row_errors(void **state)
{
	(void)state;
	bad("id,name,x\n1,a,b\n\n\n2,c\n",
	    "line 5: expected 3 fields, found 2");
	bad("id,name\n1,a,b,c\n", "line 2: expected 2 fields, found 4");
	/* The line where the row starts, not where it ends. */
	bad("id,name\n1,\"a\nb\nc\",d\n", "line 2: expected 2 fields, found 3");
	bad("id,name\n1,a\n2,\xc3\x28\n",
	    "line 3: field 2 is not valid UTF-8 text");
	/* Overlong forms, surrogates, beyond U+10FFFF, cut short. */
	bad("id,name\n1,\xc0\xaf\n", "line 2: field 2 is not valid UTF-8 text");
	bad("id,name\n1,\xed\xa0\x80\n",
	    "line 2: field 2 is not valid UTF-8 text");
	bad("id,name\n1,\xf4\x90\x80\x80\n",
	    "line 2: field 2 is not valid UTF-8 text");
	bad("id,name\n1,\xe2\x82\n", "line 2: field 2 is not valid UTF-8 text");
	/* A NUL byte is not text either. */
	bad("id,name\n1,a\0b\n", "line 2: field 2 is not valid UTF-8 text");
	/* Extra fields are counted, not checked. */
	bad("id,name\n1,a,\xff\n", "line 2: expected 2 fields, found 3");
}

static void
test_quote_errors(void **state)
{
	struct csvread_params terse = import_like;

	(void)state;
	bad("id,name\n1,a\"b\n",
	    "line 2: malformed CSV: a quote inside a field must be doubled "
	    "and the field quoted, and a closing quote must end the field");
	bad("id,name\n1,\"a\"b\n",
	    "line 2: malformed CSV: a quote inside a field must be doubled "
	    "and the field quoted, and a closing quote must end the field");
	/* The line being read: here the third of the row's lines. */
	bad("id,name\n1,\"a\nb\"x\n",
	    "line 3: malformed CSV: a quote inside a field must be doubled "
	    "and the field quoted, and a closing quote must end the field");
	terse.flags = CSVREAD_QUOTE_HINT_SHORT;
	bad_par(&terse, "id,name\n\n1,a\"b\n", 15, CSVREAD_EINVAL,
	    "line 3: malformed CSV: a quote inside a field must be doubled "
	    "and the field quoted");
	/* An open quote at the end names the line where its row starts. */
	bad("id,name\n1,a\n2,\"b\nc\n",
	    "line 3: quoted field not closed at the end of the input");
	bad("\"id,name\n", "line 1: quoted field not closed at the end of the "
			   "input");
}

static void
test_field_limits(void **state)
{
	static const char head[] = "id,name\n1,a\n2,";
	size_t sizes[] = {8192, 8193, 12288, 12289, 20000};
	size_t i, q, n;
	char *csv;

	(void)state;
	for (i = 0; i < nitems(sizes); i++) {
		for (q = 0; q < 2; q++) {
			csv = xmalloc(sizeof(head) + sizes[i] + 8);
			memcpy(csv, head, sizeof(head) - 1);
			n = sizeof(head) - 1;
			if (q)
				csv[n++] = '"';
			memset(csv + n, 'x', sizes[i]);
			n += sizes[i];
			if (q)
				csv[n++] = '"';
			csv[n++] = '\n';
			if (sizes[i] <= 8192) {
				char *xs = xstrndup(
				    csv + n - 1 - q - sizes[i], sizes[i]);
				char *want =
				    xasprintf("L1[id|name]L2[1|a]L3[2|%s]", xs);

				good_len(csv, n, want);
				free(want);
				free(xs);
			} else
				bad_par(&import_like, csv, n, CSVREAD_EINVAL,
				    "line 3: field 2 is longer than 8192 "
				    "bytes");
			free(csv);
		}
	}
}

/* The limits are the caller's: tiny ones behave the same way. */
static void
test_field_limit_edge(void **state)
{
	struct csvread_params small = import_like;
	struct seen s;
	char *msg = NULL;

	(void)state;
	small.max_field = 3;
	small.max_columns = 2;
	memset(&s, 0, sizeof(s));
	buf_init(&s.out, 4096);
	assert_int_equal(run(&small, "ab,c\nxyz,1\n", 11, &s, &msg), 0);
	assert_string_equal(buf_cstr(&s.out), "L1[ab|c]L2[xyz|1]");
	buf_free(&s.out);
	bad_par(&small, "ab,c\nxyzw,1\n", 12, CSVREAD_EINVAL,
	    "line 2: field 1 is longer than 3 bytes");
	bad_par(&small, "a,b,c\n", 6, CSVREAD_EINVAL,
	    "line 1: more than 2 columns");
}

static void
test_total_limit(void **state)
{
	struct csvread_params p = import_like;
	struct csvread *r;
	struct seen s;

	(void)state;
	p.max_bytes = 2 * 1024 * 1024;
	{
		char *big = xcalloc(1, p.max_bytes + 1);

		/* Refused before anything is read: no header call. */
		memset(&s, 0, sizeof(s));
		buf_init(&s.out, 64);
		memcpy(big, "id\n", 3);
		r = csvread_new(&p, on_header, on_row, &s);
		assert_int_equal(
		    csvread_buf(r, big, p.max_bytes + 1, NULL, NULL),
		    CSVREAD_ETOOBIG);
		assert_string_equal(
		    csvread_errmsg(r), "the input is larger than 2 MiB");
		assert_int_equal(s.headers, 0);
		csvread_free(r);
		buf_free(&s.out);
		free(big);
	}
	/* Counted across pieces; a limit not in whole MiB says bytes. */
	p.max_bytes = 10;
	memset(&s, 0, sizeof(s));
	buf_init(&s.out, 64);
	r = csvread_new(&p, on_header, on_row, &s);
	assert_int_equal(csvread_feed(r, "id,na", 5), 0);
	assert_int_equal(csvread_feed(r, "me\n1,", 5), 0);
	assert_int_equal(csvread_feed(r, "a", 1), CSVREAD_ETOOBIG);
	assert_string_equal(
	    csvread_errmsg(r), "the input is larger than 10 bytes");
	/* The first failure stays. */
	assert_int_equal(csvread_finish(r), CSVREAD_ETOOBIG);
	assert_int_equal(s.headers, 1);
	csvread_free(r);
	buf_free(&s.out);
}

static void
test_stop(void **state)
{
	static const char csv[] = "id\n1\n2\n3\n";
	struct csvread *r;
	struct seen s;

	(void)state;
	/* A header refused: no data rows, no message of the reader's. */
	memset(&s, 0, sizeof(s));
	buf_init(&s.out, 64);
	s.stop_header = 1;
	r = csvread_new(&import_like, on_header, on_row, &s);
	assert_int_equal(
	    csvread_buf(r, csv, sizeof(csv) - 1, NULL, NULL), CSVREAD_ESTOP);
	assert_null(csvread_errmsg(r));
	assert_int_equal(s.rows, 0);
	csvread_free(r);
	buf_free(&s.out);

	/* A row refused: nothing after it, even on later feeds. */
	memset(&s, 0, sizeof(s));
	buf_init(&s.out, 64);
	s.stop_at = 2;
	r = csvread_new(&import_like, on_header, on_row, &s);
	assert_int_equal(csvread_feed(r, csv, sizeof(csv) - 1), CSVREAD_ESTOP);
	assert_int_equal(csvread_feed(r, "4\n", 2), CSVREAD_ESTOP);
	assert_int_equal(csvread_finish(r), CSVREAD_ESTOP);
	assert_string_equal(buf_cstr(&s.out), "L1[id]L2[1]L3[2]");
	csvread_free(r);
	buf_free(&s.out);
}

static void
test_progress_and_file(void **state)
{
	struct seen s;
	struct csvread *r;
	char *csv;
	size_t n = 0, i;
	FILE *fp;

	(void)state;
	/* 200,000 bytes: four chunks of up to 64 KiB. */
	csv = xmalloc(200000 + 64);
	n += (size_t)sprintf(csv, "id,v\n");
	for (i = 0; n + 16 < 200000; i++)
		n += (size_t)sprintf(csv + n, "%zu,x\n", i);
	memset(&s, 0, sizeof(s));
	buf_init(&s.out, 4 << 20);
	r = csvread_new(&import_like, on_header, on_row, &s);
	assert_int_equal(csvread_buf(r, csv, n, on_progress, &s), 0);
	assert_int_equal(s.progress, (long)((n + 65535) / 65536));
	assert_int_equal(s.last_done, n);
	assert_int_equal(s.last_tot, n);
	assert_int_equal(s.rows, (long)i);
	csvread_free(r);
	buf_free(&s.out);

	/* The same from a FILE, with the caller's total. */
	fp = tmpfile();
	assert_non_null(fp);
	assert_int_equal(fwrite(csv, 1, n, fp), n);
	rewind(fp);
	memset(&s, 0, sizeof(s));
	buf_init(&s.out, 4 << 20);
	r = csvread_new(&import_like, on_header, on_row, &s);
	assert_int_equal(csvread_file(r, fp, 12345, on_progress, &s), 0);
	assert_int_equal(s.last_done, n);
	assert_int_equal(s.last_tot, 12345);
	assert_int_equal(s.rows, (long)i);
	csvread_free(r);
	buf_free(&s.out);
	fclose(fp);

	/* A FILE longer than max_bytes stops at the chunk past it. */
	{
		struct csvread_params p = import_like;

		p.max_bytes = 100000;
		fp = tmpfile();
		assert_int_equal(fwrite(csv, 1, n, fp), n);
		rewind(fp);
		memset(&s, 0, sizeof(s));
		buf_init(&s.out, 4 << 20);
		r = csvread_new(&p, on_header, on_row, &s);
		assert_int_equal(
		    csvread_file(r, fp, 0, on_progress, &s), CSVREAD_ETOOBIG);
		assert_string_equal(
		    csvread_errmsg(r), "the input is larger than 100000 bytes");
		assert_int_equal(s.last_done, 65536);
		csvread_free(r);
		buf_free(&s.out);
		fclose(fp);
	}
	free(csv);

	/* A FILE that cannot be read. */
	fp = fopen("/dev/null", "w");
	assert_non_null(fp);
	memset(&s, 0, sizeof(s));
	buf_init(&s.out, 64);
	r = csvread_new(&import_like, on_header, on_row, &s);
	assert_int_equal(csvread_file(r, fp, 0, NULL, NULL), CSVREAD_EIO);
	assert_non_null(strstr(csvread_errmsg(r), "read error: "));
	csvread_free(r);
	buf_free(&s.out);
	fclose(fp);
}

static void
test_bad_params(void **state)
{
	struct csvread_params p;
	struct seen s;

	(void)state;
	memset(&s, 0, sizeof(s));
	p = import_like;
	p.max_columns = 0;
	assert_null(csvread_new(&p, on_header, on_row, &s));
	p = import_like;
	p.max_columns = CSVREAD_MAX_COLUMNS + 1;
	assert_null(csvread_new(&p, on_header, on_row, &s));
	p = import_like;
	p.max_field = CSVREAD_MAX_FIELD + 1;
	assert_null(csvread_new(&p, on_header, on_row, &s));
	p = import_like;
	p.max_bytes = 0;
	assert_null(csvread_new(&p, on_header, on_row, &s));
	p = import_like;
	p.name_max = -1;
	assert_null(csvread_new(&p, on_header, on_row, &s));
	assert_null(csvread_new(&import_like, NULL, on_row, &s));
	assert_null(csvread_new(NULL, on_header, on_row, &s));
	csvread_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rows),
	    cmocka_unit_test(test_quotes),
	    cmocka_unit_test(test_bom_crlf),
	    cmocka_unit_test(test_pieces),
	    cmocka_unit_test(test_header_errors),
	    cmocka_unit_test(test_row_errors),
	    cmocka_unit_test(test_quote_errors),
	    cmocka_unit_test(test_field_limits),
	    cmocka_unit_test(test_field_limit_edge),
	    cmocka_unit_test(test_total_limit),
	    cmocka_unit_test(test_stop),
	    cmocka_unit_test(test_progress_and_file),
	    cmocka_unit_test(test_bad_params),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
