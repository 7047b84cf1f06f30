/*
 * test_flowtest.c: the .flowtest parser: every statement into the right
 * fields, the flow language's lexical rules (through its lexer), where
 * statements may stand, limits, and every error with its FILE:LINE:COL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "flows/flowtest.h"
#include "lib/util.h"

static void
dump(const struct flow_findings *f)
{
	size_t i;
	char *s;

	for (i = 0; i < f->n; i++) {
		s = flow_finding_format(&f->v[i]);
		print_message("  got: %s\n", s);
		free(s);
	}
}

/* Parses src as t.flowtest; it must parse with no finding. */
static struct flowtest_file *
parse_clean(const char *src)
{
	struct flow_findings f;
	struct flowtest_file *ft;
	int rc;

	flow_findings_init(&f);
	rc = flowtest_parse("t.flowtest", src, strlen(src), &ft, &f);
	if (rc != 0 || f.n != 0)
		dump(&f);
	assert_int_equal(rc, 0);
	assert_int_equal(f.n, 0);
	assert_non_null(ft);
	flow_findings_free(&f);
	return ft;
}

/*
 * Parses src (len bytes); it must fail with exactly one error, formatted
 * as want.
 */
static void
expect_error_len(const char *src, size_t len, const char *want)
{
	struct flow_findings f;
	struct flowtest_file *ft;
	size_t i;
	int found = 0;
	char *s;

	flow_findings_init(&f);
	assert_int_equal(flowtest_parse("t.flowtest", src, len, &ft, &f), -1);
	assert_null(ft);
	for (i = 0; i < f.n; i++) {
		s = flow_finding_format(&f.v[i]);
		if (strcmp(s, want) == 0)
			found = 1;
		free(s);
	}
	if (!found || f.nerrors != 1) {
		print_message("want: %s\n", want);
		dump(&f);
	}
	assert_true(found);
	assert_int_equal(f.nerrors, 1);
	flow_findings_free(&f);
}

static void
expect_error(const char *src, const char *want)
{
	expect_error_len(src, strlen(src), want);
}

/* Renders a statement's TEXT with no variables. */
static char *
text_of(const struct template *t)
{
	struct buf b;

	buf_init(&b, 4096);
	assert_int_equal(template_render(t, &b, NULL, NULL), 0);
	return b.data ? buf_steal(&b) : xstrdup("");
}

static void
assert_text(const struct template *t, const char *want)
{
	char *s = text_of(t);

	assert_string_equal(s, want);
	free(s);
}

static const char every[] =
    "# every statement\n"
    "table bills from \"../data/bills.csv\" key account\n"
    "at 2026-12-01T08:00Z   # UTC\n"
    "phone +254700000001\n"
    "lang sw\n"
    "stub /^https:\\/\\/billing\\.example\\.org\\// 200 "
    "\"{\\\"balance\\\": 12.5}\"\n"
    "\n"
    "test \"every statement\"\n"
    "  sms \"WATER 1234567\"\n"
    "  reply /Balance: (?<b>[0-9.]+)/i\n"
    "  reply none\n"
    "  reply \"Line one\\nline {{two}} {b}\"\n"
    "  dial *384*1*1234567#\n"
    "  send \"1\"\n"
    "  screen /^END/\n"
    "  screen \"CON Menu\"\n"
    "  wait 90s\n"
    "  wait 20m\n"
    "  wait 2h\n"
    "  wait 3d\n"
    "  report category \"water_leak\" status \"open\" id \"{b}\"\n"
    "  subscribed ward:central\n"
    "  unsubscribed \"water\"\n"
    "  OPTED OUT\n"
    "  opted in\n"
    "  stub /x/ 0 \"\"\n"
    "  sent 0700000001 \"Report 1\"\n"
    "  sent +254700000002 /resolved/\n"
    "  update report {b} resolved \"Fixed\"\n"
    "  update report 7 closed\n"
    "test \"second\"\n"
    "  phone 0700000009\n";

/* Every statement lands in its fields, in order and in its place. */
static void
test_every_statement(void **state)
{
	struct flowtest_file *ft = parse_clean(every);
	const struct flowtest_case *h = &ft->head, *t;
	const struct flowtest_stmt *s;
	static const enum flowtest_kind kinds[] = {FT_SMS, FT_REPLY, FT_REPLY,
	    FT_REPLY, FT_DIAL, FT_SEND, FT_SCREEN, FT_SCREEN, FT_WAIT, FT_WAIT,
	    FT_WAIT, FT_WAIT, FT_REPORT, FT_SUBSCRIBED, FT_UNSUBSCRIBED,
	    FT_OPTED_OUT, FT_OPTED_IN, FT_STUB, FT_SENT, FT_SENT, FT_UPDATE,
	    FT_UPDATE};
	size_t i;

	(void)state;
	assert_string_equal(ft->path, "t.flowtest");
	assert_null(h->name);
	assert_int_equal(h->nstmt, 5);
	s = &h->stmt[0];
	assert_int_equal(s->kind, FT_TABLE);
	assert_string_equal(s->word, "bills");
	assert_string_equal(s->file, "../data/bills.csv");
	assert_string_equal(s->key, "account");
	assert_int_equal(s->line, 2);
	assert_int_equal(s->col, 1);
	assert_int_equal(h->stmt[1].kind, FT_AT);
	assert_true(h->stmt[1].ms == 1796112000000LL);
	assert_int_equal(h->stmt[2].kind, FT_PHONE);
	assert_string_equal(h->stmt[2].word, "+254700000001");
	assert_int_equal(h->stmt[2].col2, 7);
	assert_int_equal(h->stmt[3].kind, FT_LANG);
	assert_string_equal(h->stmt[3].word, "sw");
	s = &h->stmt[4];
	assert_int_equal(s->kind, FT_STUB);
	assert_int_equal(s->status, 200);
	assert_string_equal(s->body, "{\"balance\": 12.5}");
	assert_int_equal(s->bodylen, 17);
	assert_int_equal(
	    flow_regex_match(&s->re, "https://billing.example.org/a", 29, NULL),
	    1);

	assert_int_equal(ft->ntests, 2);
	t = &ft->tests[0];
	assert_string_equal(t->name, "every statement");
	assert_int_equal(t->line, 8);
	assert_int_equal(t->nstmt, nitems(kinds));
	for (i = 0; i < nitems(kinds); i++)
		assert_int_equal(t->stmt[i].kind, kinds[i]);
	assert_text(t->stmt[0].text, "WATER 1234567");
	assert_int_equal(t->stmt[0].line, 9);
	assert_int_equal(t->stmt[0].col, 3);
	assert_int_equal(t->stmt[1].match, FT_MATCH_REGEX);
	assert_string_equal(t->stmt[1].re.src, "Balance: (?<b>[0-9.]+)");
	assert_string_equal(t->stmt[1].re.flags, "i");
	assert_int_equal(t->stmt[2].match, FT_MATCH_NONE);
	assert_int_equal(t->stmt[3].match, FT_MATCH_TEXT);
	/* {b} is a variable, {{two}} literal braces, \n a newline. */
	assert_int_equal(t->stmt[3].text->nvars, 1);
	assert_text(t->stmt[3].text, "Line one\nline {two} ");
	assert_string_equal(t->stmt[4].word, "*384*1*1234567#");
	assert_text(t->stmt[5].text, "1");
	assert_int_equal(t->stmt[6].match, FT_MATCH_REGEX);
	assert_text(t->stmt[7].text, "CON Menu");
	assert_true(t->stmt[8].ms == 90 * 1000);
	assert_true(t->stmt[9].ms == 20 * 60 * 1000);
	assert_true(t->stmt[10].ms == 2 * 3600 * 1000);
	assert_true(t->stmt[11].ms == 3LL * 24 * 3600 * 1000);
	s = &t->stmt[12];
	assert_int_equal(s->npairs, 3);
	assert_int_equal(s->pairs[0].field, FT_FIELD_CATEGORY);
	assert_text(s->pairs[0].value, "water_leak");
	assert_int_equal(s->pairs[1].field, FT_FIELD_STATUS);
	assert_int_equal(s->pairs[2].field, FT_FIELD_ID);
	assert_text(t->stmt[13].text, "ward:central");
	assert_text(t->stmt[14].text, "water");
	assert_int_equal(t->stmt[17].status, 0);
	assert_int_equal(t->stmt[17].bodylen, 0);
	assert_string_equal(t->stmt[18].word, "0700000001");
	assert_int_equal(t->stmt[18].match, FT_MATCH_TEXT);
	assert_text(t->stmt[18].text, "Report 1");
	assert_int_equal(t->stmt[19].match, FT_MATCH_REGEX);
	s = &t->stmt[20];
	assert_int_equal(s->text->nvars, 1);
	assert_string_equal(s->word, "resolved");
	assert_text(s->note, "Fixed");
	assert_null(t->stmt[21].note);
	assert_string_equal(ft->tests[1].name, "second");
	assert_int_equal(ft->tests[1].nstmt, 1);
	assert_string_equal(flowtest_kind_name(FT_OPTED_OUT), "opted out");
	assert_string_equal(flowtest_field_name(FT_FIELD_DETAILS), "details");
	flowtest_free(ft);
}

/* The flow language's lexical rules: comments, words with #, CRLF, BOM. */
static void
test_lexical(void **state)
{
	static const char src[] = "\xEF\xBB\xBF# a comment\r\n"
				  "test \"a # is not a comment here\" # but "
				  "this is\r\n"
				  "  dial *384#   # the code keeps its #\r\n"
				  "\r\n"
				  "  \t reply \"\\\"quoted\\\" \\\\ back\"\r\n";
	struct flowtest_file *ft;
	const struct flowtest_case *t;

	(void)state;
	ft = parse_clean(src);
	t = &ft->tests[0];
	assert_string_equal(t->name, "a # is not a comment here");
	assert_int_equal(t->nstmt, 2);
	assert_string_equal(t->stmt[0].word, "*384#");
	assert_int_equal(t->stmt[0].line, 3);
	assert_text(t->stmt[1].text, "\"quoted\" \\ back");
	/* Columns count characters, the tab as one. */
	assert_int_equal(t->stmt[1].line, 5);
	assert_int_equal(t->stmt[1].col, 5);
	flowtest_free(ft);
	/* A '#' right after a string is no comment. */
	expect_error("test \"a\"\n  sms \"x\"#c\n",
	    "t.flowtest:2:10: error: unexpected '#c' after sms");
}

/* Where statements may stand. */
static void
test_places(void **state)
{
	(void)state;
	expect_error("sms \"x\"\n", "t.flowtest:1:1: error: 'sms' goes "
				    "inside a test: start one with test "
				    "\"NAME\"");
	expect_error("test \"a\"\n  at 2026-12-01T08:00\n",
	    "t.flowtest:2:3: error: 'at' goes before the first test");
	expect_error("test \"a\"\n  table t from \"f.csv\" key k\n",
	    "t.flowtest:2:3: error: 'table' goes before the first test");
	expect_error("at 2026-12-01T08:00\nat 2026-12-02T08:00\n",
	    "t.flowtest:2:4: error: a second 'at' (the first is at line "
	    "1); tests move the clock with wait");
	expect_error("test \"a\"\ntest \"a\"\n",
	    "t.flowtest:2:6: error: a second test \"a\" (the first is at "
	    "line 1)");
	expect_error("table t from \"a.csv\" key k\n"
		     "table t from \"b.csv\" key k\n",
	    "t.flowtest:2:8: error: table 't' is loaded twice (first at "
	    "line 1)");
}

/* Each statement's errors, with their positions. */
/* LL "text" under a TEXT: flowtest_text picks by language. */
static void
test_translations(void **state)
{
	struct flowtest_file *ft = parse_clean(
	    "test \"t\"\n  sms \"BILL\"\n    sw \"BILI\"\n\n  # a comment\n"
	    "  reply \"Hello\"\n    sw \"Habari\"\n    fr \"Bonjour\"\n"
	    "  reply /x/\n");
	const struct flowtest_stmt *s = ft->tests[0].stmt;

	(void)state;
	assert_int_equal(ft->tests[0].nstmt, 3);
	assert_int_equal(s[0].ntr, 1);
	assert_string_equal(flowtest_text(&s[0], "sw")->src, "BILI");
	assert_string_equal(flowtest_text(&s[0], "fr")->src, "BILL");
	assert_string_equal(flowtest_text(&s[0], NULL)->src, "BILL");
	assert_int_equal(s[1].ntr, 2);
	assert_string_equal(flowtest_text(&s[1], "fr")->src, "Bonjour");
	assert_string_equal(flowtest_text(&s[1], "")->src, "Hello");
	flowtest_free(ft);
}

static void
test_errors(void **state)
{
	(void)state;
	expect_error("frob\n", "t.flowtest:1:1: error: unknown statement "
			       "'frob' (expected test, sms, reply, dial, "
			       "send, screen, wait, phone, lang, report, "
			       "subscribed, unsubscribed, opted, stub, sent, "
			       "update, or before the first test table and "
			       "at)");
	expect_error("test\n", "t.flowtest:1:5: error: expected the test's "
			       "NAME (a \"string\")");
	expect_error("test \"a\"\n  dial *384#\n    sw \"x\"\n",
	    "t.flowtest:3:5: error: a translation line 'sw \"...\"' goes "
	    "right under a statement with a TEXT (sms, send, reply, screen, "
	    "sent)");
	expect_error("test \"a\"\n  reply \"x\"\n    sw /x/\n",
	    "t.flowtest:3:8: error: a translation line holds a \"TEXT\", not "
	    "a regex (a regex can match every language at once)");
	expect_error("test \"a\"\n  sms \"x\"\n    sw \"y\"\n    sw \"z\"\n",
	    "t.flowtest:4:5: error: a second translation into 'sw'");
	expect_error("test \"\"\n", "t.flowtest:1:6: error: a test's NAME "
				    "is 1 to 200 bytes of text");
	expect_error("test \"a\" b\n",
	    "t.flowtest:1:10: error: unexpected 'b' after the test's NAME");
	expect_error("test \"a\"\n  reply \"x\n",
	    "t.flowtest:2:9: error: unterminated string");
	expect_error("test \"a\"\n  reply maybe\n",
	    "t.flowtest:2:9: error: expected \"TEXT\", /regex/ or none after "
	    "'reply', found 'maybe'");
	expect_error("test \"a\"\n  screen none\n",
	    "t.flowtest:2:10: error: expected \"TEXT\" or /regex/ after "
	    "'screen', found 'none'");
	expect_error("test \"a\"\n  reply /(/\n",
	    "t.flowtest:2:11: error: bad regex: missing closing parenthesis "
	    "(at offset 1)");
	expect_error("test \"a\"\n  reply /x/g\n",
	    "t.flowtest:2:12: error: unknown or repeated regex flag 'g' "
	    "(flags are i and x)");
	expect_error("test \"a\"\n  sms \"{x\"\n",
	    "t.flowtest:2:8: error: unclosed '{' (write '{{' for a literal "
	    "brace)");
	expect_error("test \"a\"\n  sms \"x\" \"y\"\n",
	    "t.flowtest:2:11: error: unexpected '\"y\"' after sms");
	expect_error("test \"a\"\n  dial 384\n",
	    "t.flowtest:2:8: error: bad USSD code '384': expected a code "
	    "such as *384# or *384*1*1234567#");
	expect_error("test \"a\"\n  wait 5y\n",
	    "t.flowtest:2:8: error: expected a DURATION such as 30s, 20m, 2h "
	    "or 3d after 'wait'");
	expect_error("test \"a\"\n  wait 0s\n",
	    "t.flowtest:2:8: error: expected a DURATION such as 30s, 20m, 2h "
	    "or 3d after 'wait'");
	expect_error("test \"a\"\n  wait 400d\n",
	    "t.flowtest:2:8: error: a wait of at most a year at once");
	expect_error("test \"a\"\n  wait 99999999999999999999d\n",
	    "t.flowtest:2:8: error: a wait of at most a year at once");
	expect_error("at tomorrow\n",
	    "t.flowtest:1:4: error: bad TIME 'tomorrow': expected a time "
	    "such as 2026-12-01T08:00 (local) or 2026-12-01T05:00Z");
	{
		/* A local time a clock change skips (any TZ the suite has). */
		char *tz = getenv("TZ") ? strdup(getenv("TZ")) : NULL;

		setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
		tzset();
		expect_error("at 2026-03-29T02:30\n",
		    "t.flowtest:1:4: error: TIME '2026-03-29T02:30' does not "
		    "exist in local time (a daylight saving change skips it): "
		    "give a later one or one with an offset such as "
		    "2026-12-01T05:00Z");
		if (tz != NULL)
			setenv("TZ", tz, 1);
		else
			unsetenv("TZ");
		free(tz);
		tzset();
	}
	expect_error("phone +2547x\n",
	    "t.flowtest:1:12: error: bad phone number '+2547x': digits, with "
	    "an optional leading +");
	expect_error("lang english\n",
	    "t.flowtest:1:6: error: bad language 'english': an ISO 639-1 "
	    "code such as en or sw");
	expect_error("stub \"x\" 200 \"\"\n",
	    "t.flowtest:1:6: error: expected a /regex/ of the URL after "
	    "'stub'");
	expect_error("stub /x/ 999 \"\"\n",
	    "t.flowtest:1:10: error: expected an HTTP STATUS (100 to 599, "
	    "or 0 for a fetch that fails) after the regex");
	expect_error("stub /x/ 200\n",
	    "t.flowtest:1:13: error: expected the BODY (a \"string\")");
	expect_error("test \"a\"\n  report colour \"red\"\n",
	    "t.flowtest:2:10: error: unknown report field 'colour' "
	    "(category, status, location, details or id)");
	expect_error("test \"a\"\n  report id \"1\" id \"2\"\n",
	    "t.flowtest:2:17: error: report field 'id' given twice");
	expect_error("test \"a\"\n  report\n",
	    "t.flowtest:2:9: error: expected FIELD \"VALUE\" after 'report' "
	    "(category, status, location, details or id)");
	expect_error("test \"a\"\n  opted sideways\n",
	    "t.flowtest:2:9: error: expected 'out' or 'in' after 'opted', "
	    "found 'sideways'");
	expect_error("test \"a\"\n  subscribed\n",
	    "t.flowtest:2:13: error: expected a TOPIC after 'subscribed'");
	expect_error("test \"a\"\n  sent \"x\"\n",
	    "t.flowtest:2:8: error: expected a phone number after 'sent', "
	    "not a string or regex");
	expect_error("test \"a\"\n  sent 0700000001\n",
	    "t.flowtest:2:18: error: expected \"TEXT\" or /regex/ after "
	    "'sent NUM'");
	expect_error("test \"a\"\n  update 1 resolved\n",
	    "t.flowtest:2:10: error: expected 'report' after 'update', "
	    "found '1'");
	expect_error("test \"a\"\n  update report 1\n",
	    "t.flowtest:2:18: error: expected a STATUS after 'the report "
	    "number'");
	expect_error("table T from \"f.csv\" key k\n",
	    "t.flowtest:1:7: error: bad name 'T': a NAME is [a-z_][a-z0-9_]*");
	expect_error("table t \"f.csv\" key k\n",
	    "t.flowtest:1:9: error: expected 'from' after the table NAME, "
	    "found '\"f.csv\"'");
	expect_error("table t from \"f.csv\"\n",
	    "t.flowtest:1:21: error: expected 'key COLUMN' after the FILE");
	/* Bad bytes are the lexer's error, as in a .flow file. */
	expect_error_len("test \"a\"\n  sms \"\xff\"\n", 18,
	    "t.flowtest:2:8: error: invalid UTF-8 or control character");
}

/* Several errors: all reported, nothing kept. */
static void
test_all_errors(void **state)
{
	static const char src[] = "sms \"x\"\n"
				  "test \"a\"\n"
				  "  frob\n"
				  "  sms \"ok\"\n"
				  "  wait 5y\n";
	struct flow_findings f;
	struct flowtest_file *ft;

	(void)state;
	flow_findings_init(&f);
	assert_int_equal(
	    flowtest_parse("t.flowtest", src, strlen(src), &ft, &f), -1);
	assert_null(ft);
	assert_int_equal(f.nerrors, 3);
	assert_int_equal(f.v[0].line, 1);
	assert_int_equal(f.v[1].line, 3);
	assert_int_equal(f.v[2].line, 5);
	flow_findings_free(&f);
}

/* Limits: lines, tests, statements, file size. */
static void
test_limits(void **state)
{
	struct flow_findings f;
	struct flowtest_file *ft;
	struct buf b;
	size_t i;
	char *line;

	(void)state;
	line = xmalloc(FLOW_MAX_LINE + 20);
	memset(line, 'x', FLOW_MAX_LINE + 10);
	memcpy(line, "test \"", 6);
	memcpy(line + FLOW_MAX_LINE + 8, "\"\n", 2);
	expect_error_len(line, FLOW_MAX_LINE + 10,
	    "t.flowtest:1:4097: error: line too long (at most 4096 bytes)");
	free(line);

	buf_init(&b, 1 << 20);
	for (i = 0; i <= FLOWTEST_MAX_TESTS; i++)
		buf_printf(&b, "test \"t%zu\"\n", i);
	expect_error(buf_cstr(&b),
	    "t.flowtest:1001:1: error: too many tests (at most 1000)");
	buf_reset(&b);
	buf_puts(&b, "test \"a\"\n");
	for (i = 0; i <= FLOWTEST_MAX_STMTS; i++)
		buf_puts(&b, "  wait 1s\n");
	expect_error(buf_cstr(&b),
	    "t.flowtest:2002:1: error: too many statements (at most 2000 in "
	    "a test, and before the first)");
	buf_free(&b);

	line = xcalloc(1, FLOW_MAX_FILE + 1);
	memset(line, '#', FLOW_MAX_FILE + 1);
	flow_findings_init(&f);
	assert_int_equal(
	    flowtest_parse("t.flowtest", line, FLOW_MAX_FILE + 1, &ft, &f), -1);
	assert_int_equal(f.nerrors, 1);
	flow_findings_free(&f);
	free(line);
}

/* flowtest_load reads a file, and names one it cannot read. */
static void
test_load(void **state)
{
	char path[] = "/tmp/test_flowtest.XXXXXX";
	struct flow_findings f;
	struct flowtest_file *ft;
	char *s;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "test \"a\"\n  sms \"x\"\n", 19), 19);
	close(fd);
	flow_findings_init(&f);
	assert_int_equal(flowtest_load(path, &ft, &f), 0);
	assert_int_equal(ft->ntests, 1);
	assert_string_equal(ft->path, path);
	flowtest_free(ft);
	unlink(path);
	assert_int_equal(flowtest_load(path, &ft, &f), -1);
	assert_null(ft);
	assert_int_equal(f.nerrors, 1);
	s = flow_finding_format(&f.v[0]);
	assert_non_null(strstr(s, "error: cannot read: "));
	free(s);
	flow_findings_free(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_statement),
	    cmocka_unit_test(test_lexical),
	    cmocka_unit_test(test_places),
	    cmocka_unit_test(test_translations),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_all_errors),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
