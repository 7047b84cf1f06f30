/*
 * flowtest.c: the parser of `.flowtest` files (see flowtest.h).
 *
 * The flow language's lexer (flow_lex_*) splits the file into lines and
 * reads the words, strings, texts and regexes of each; this file knows the
 * statements. The first word of a line picks its entry in `statements`:
 * where it may stand (before the first test, inside one, or both) and the
 * function that reads the rest. A statement is built in a local struct and
 * added only when its whole line parsed, so an error drops the line,
 * reports FILE:LINE:COL and parsing resumes at the next line.
 */
#include "flows/flowtest.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/timeparse.h"
#include "lib/util.h"

#define FLOWTEST_MAX_ARG 64   /* bytes of a NUM, CODE, LL or STATUS */
#define FLOWTEST_MAX_NAME 200 /* bytes of a test's name */

/* Where a statement may stand. */
enum place {
	HEAD, /* before the first test */
	TEST, /* inside a test */
	BOTH, /* either */
};

/* The state of one file's parse. */
struct parser {
	struct flowtest_file *ft;
	struct flowtest_case *cur; /* where statements go */
	unsigned at_line;          /* line of `at`, 0 when none yet */
	int full;                  /* "too many statements" reported for cur */
	int tests_full;            /* "too many tests" reported */
};

/* One statement's syntax. */
struct syntax {
	const char *word;        /* its first word */
	enum flowtest_kind kind; /* what it builds */
	enum place place;        /* where it may stand */
	int (*parse)(struct parser *, struct flow_lexer *,
	    struct flowtest_stmt *); /* reads the rest of the line */
};

static const char *const kind_names[] = {
    [FT_TABLE] = "table",
    [FT_AT] = "at",
    [FT_PHONE] = "phone",
    [FT_LANG] = "lang",
    [FT_STUB] = "stub",
    [FT_SMS] = "sms",
    [FT_REPLY] = "reply",
    [FT_DIAL] = "dial",
    [FT_SEND] = "send",
    [FT_SCREEN] = "screen",
    [FT_WAIT] = "wait",
    [FT_REPORT] = "report",
    [FT_SUBSCRIBED] = "subscribed",
    [FT_UNSUBSCRIBED] = "unsubscribed",
    [FT_OPTED_OUT] = "opted out",
    [FT_OPTED_IN] = "opted in",
    [FT_SENT] = "sent",
    [FT_UPDATE] = "update report",
};

static const char *const field_names[] = {
    [FT_FIELD_CATEGORY] = "category",
    [FT_FIELD_STATUS] = "status",
    [FT_FIELD_LOCATION] = "location",
    [FT_FIELD_DETAILS] = "details",
    [FT_FIELD_ID] = "id",
};

const char *
flowtest_kind_name(enum flowtest_kind k)
{
	if ((size_t)k < nitems(kind_names) && kind_names[k] != NULL)
		return kind_names[k];
	return "?";
}

const char *
flowtest_field_name(enum flowtest_field f)
{
	if ((size_t)f < nitems(field_names) && field_names[f] != NULL)
		return field_names[f];
	return "?";
}

static void
stmt_free(struct flowtest_stmt *st)
{
	size_t i;

	free(st->word);
	free(st->file);
	free(st->key);
	free(st->body);
	template_free(st->text);
	template_free(st->note);
	for (i = 0; i < st->ntr; i++)
		template_free(st->tr[i].text);
	free(st->tr);
	if (st->re.code != NULL || st->re.src != NULL)
		flow_regex_free(&st->re);
	for (i = 0; i < st->npairs; i++)
		template_free(st->pairs[i].value);
	memset(st, 0, sizeof(*st));
}

static void
case_free(struct flowtest_case *c)
{
	size_t i;

	for (i = 0; i < c->nstmt; i++)
		stmt_free(&c->stmt[i]);
	free(c->stmt);
	free(c->name);
	memset(c, 0, sizeof(*c));
}

void
flowtest_free(struct flowtest_file *ft)
{
	size_t i;

	if (ft == NULL)
		return;
	case_free(&ft->head);
	for (i = 0; i < ft->ntests; i++)
		case_free(&ft->tests[i]);
	free(ft->tests);
	free(ft->path);
	free(ft);
}

/* ---- small readers ---- */

/* True when s[0..n) is kw, ASCII case-insensitively. */
static int
word_is(const char *s, size_t n, const char *kw)
{
	size_t i;

	if (strlen(kw) != n)
		return 0;
	for (i = 0; i < n; i++)
		if (tolower((unsigned char)s[i]) != kw[i])
			return 0;
	return 1;
}

/* What error messages quote of the word at start: at most 40 bytes. */
static int
quote_len(size_t n)
{
	return (int)(n > 40 ? 40 : n);
}

/* The next byte that is not blank, or '\0' at the end of the line. */
static char
peek(struct flow_lexer *lx)
{
	if (flow_lex_end(lx))
		return '\0';
	return lx->s[lx->i];
}

/* Requires the end of the line (a comment may follow). */
static int
expect_eol(struct flow_lexer *lx, const char *after)
{
	size_t start, n;

	if (flow_lex_end(lx))
		return 0;
	n = flow_lex_word(lx, &start);
	return flow_lex_error(lx, start, "unexpected '%.*s' after %s",
	    quote_len(n), lx->s + start, after);
}

/*
 * Reads a plain word of at most FLOWTEST_MAX_ARG bytes into *out (caller
 * frees) and its column into *col.
 */
static int
read_arg(struct flow_lexer *lx, const char *what, const char *after, char **out,
    unsigned *col)
{
	size_t start, n;

	n = flow_lex_word(lx, &start);
	if (n == 0)
		return flow_lex_error(
		    lx, start, "expected %s after '%s'", what, after);
	if (lx->s[start] == '"' || lx->s[start] == '/')
		return flow_lex_error(lx, start,
		    "expected %s after '%s', not a string or regex", what,
		    after);
	if (n > FLOWTEST_MAX_ARG)
		return flow_lex_error(lx, start,
		    "%s too long (at most %d bytes)", what, FLOWTEST_MAX_ARG);
	*out = xstrndup(lx->s + start, n);
	if (col != NULL)
		*col = flow_lex_col(lx, start);
	return 0;
}

/*
 * Reads a TEXT, or a plain word taken as one (a topic, a report number:
 * `subscribed ward:{ward}`, `update report {n}`), into *out.
 */
static int
read_text_or_word(struct flow_lexer *lx, const char *what, const char *after,
    struct template **out)
{
	struct template_error err;
	size_t start, n;

	if (peek(lx) == '"')
		return flow_lex_template(lx, what, out);
	n = flow_lex_word(lx, &start);
	if (n == 0)
		return flow_lex_error(
		    lx, start, "expected %s after '%s'", what, after);
	if (lx->s[start] == '/')
		return flow_lex_error(lx, start,
		    "expected %s after '%s', not a regex", what, after);
	if (template_compile(lx->s + start, n, out, &err) < 0)
		return flow_lex_error(lx, start + err.offset, "%s", err.msg);
	return 0;
}

/*
 * Reads "TEXT" or /re/ (and, with none_ok, the word none) into st->match
 * and st->text or st->re.
 */
static int
read_expect(struct flow_lexer *lx, struct flowtest_stmt *st, const char *after,
    int none_ok)
{
	size_t start, n;
	char ch = peek(lx);

	if (ch == '"') {
		st->match = FT_MATCH_TEXT;
		return flow_lex_template(lx, "the TEXT expected", &st->text);
	}
	if (ch == '/') {
		st->match = FT_MATCH_REGEX;
		return flow_lex_regex(lx, &st->re);
	}
	if (none_ok && flow_lex_keyword(lx, "none")) {
		st->match = FT_MATCH_NONE;
		return 0;
	}
	n = flow_lex_word(lx, &start);
	if (n == 0)
		return flow_lex_error(lx, start,
		    "expected \"TEXT\"%s /regex/%s after '%s'",
		    none_ok ? "," : " or", none_ok ? " or none" : "", after);
	return flow_lex_error(lx, start,
	    "expected \"TEXT\"%s /regex/%s after '%s', found '%.*s'",
	    none_ok ? "," : " or", none_ok ? " or none" : "", after,
	    quote_len(n), lx->s + start);
}

/* True when s is a USSD code as dialled: '*' digits ('*' digits)* '#'. */
static int
valid_ussd(const char *s)
{
	size_t i, n = strlen(s);
	int digits = 0;

	if (n < 3 || s[0] != '*' || s[n - 1] != '#')
		return 0;
	for (i = 1; i < n - 1; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else if (s[i] == '*' && digits > 0)
			digits = 0;
		else
			return 0;
	}
	return digits > 0;
}

/* ---- the statements ---- */

/* table NAME from "FILE" key COLUMN */
static int
parse_table(struct parser *p, struct flow_lexer *lx, struct flowtest_stmt *st)
{
	size_t i, start, n, len;

	if (flow_lex_name(lx, "a table NAME", &st->word) < 0)
		return -1;
	for (i = 0; i < p->cur->nstmt; i++)
		if (p->cur->stmt[i].kind == FT_TABLE &&
		    strcmp(p->cur->stmt[i].word, st->word) == 0)
			return flow_lex_error(lx, lx->i,
			    "table '%s' is loaded twice (first at line %u)",
			    st->word, p->cur->stmt[i].line);
	if (!flow_lex_keyword(lx, "from")) {
		n = flow_lex_word(lx, &start);
		return flow_lex_error(lx, start,
		    "expected 'from' after the table NAME%s%.*s%s",
		    n ? ", found '" : "", quote_len(n), lx->s + start,
		    n ? "'" : "");
	}
	if (flow_lex_string(lx, "the CSV FILE", &st->file, &len) < 0)
		return -1;
	if (len == 0 || strlen(st->file) != len)
		return flow_lex_error(lx, lx->i, "expected a file name");
	if (!flow_lex_keyword(lx, "key")) {
		n = flow_lex_word(lx, &start);
		return flow_lex_error(lx, start,
		    "expected 'key COLUMN' after the FILE%s%.*s%s",
		    n ? ", found '" : "", quote_len(n), lx->s + start,
		    n ? "'" : "");
	}
	return read_arg(lx, "the key COLUMN", "key", &st->key, NULL);
}

/* at TIME */
static int
parse_at(struct parser *p, struct flow_lexer *lx, struct flowtest_stmt *st)
{
	size_t start, n;
	char *s;
	int rc;

	if (p->at_line != 0) {
		flow_lex_word(lx, &start);
		return flow_lex_error(lx, start,
		    "a second 'at' (the first is at line %u); tests move "
		    "the clock with wait",
		    p->at_line);
	}
	n = flow_lex_word(lx, &start);
	if (n == 0)
		return flow_lex_error(lx, start,
		    "expected a TIME such as 2026-12-01T08:00 after 'at'");
	s = xstrndup(lx->s + start, n > TIMEPARSE_INPUT_MAX ? 0 : n);
	rc = timeparse_iso8601(s, &st->ms);
	free(s);
	if (rc == TIMEPARSE_SKIPPED)
		return flow_lex_error(lx, start,
		    "TIME '%.*s' does not exist in local time (a daylight "
		    "saving change skips it): give a later one or one with "
		    "an offset such as 2026-12-01T05:00Z",
		    quote_len(n), lx->s + start);
	if (rc != 0)
		return flow_lex_error(lx, start,
		    "bad TIME '%.*s': expected a time such as "
		    "2026-12-01T08:00 (local) or 2026-12-01T05:00Z",
		    quote_len(n), lx->s + start);
	p->at_line = lx->line;
	return 0;
}

/* phone NUM */
static int
parse_phone(struct parser *p, struct flow_lexer *lx, struct flowtest_stmt *st)
{
	size_t i;

	(void)p;
	if (read_arg(lx, "a phone number", "phone", &st->word, &st->col2) < 0)
		return -1;
	for (i = 0; st->word[i] != '\0'; i++)
		if (!isdigit((unsigned char)st->word[i]) &&
		    !(i == 0 && st->word[i] == '+'))
			return flow_lex_error(lx, lx->i - strlen(st->word) + i,
			    "bad phone number '%s': digits, with an optional "
			    "leading +",
			    st->word);
	return 0;
}

/* lang LL */
static int
parse_lang(struct parser *p, struct flow_lexer *lx, struct flowtest_stmt *st)
{
	(void)p;
	if (read_arg(lx, "a language code", "lang", &st->word, &st->col2) < 0)
		return -1;
	if (strlen(st->word) != 2 || !islower((unsigned char)st->word[0]) ||
	    !islower((unsigned char)st->word[1]))
		return flow_lex_error(lx, lx->i - strlen(st->word),
		    "bad language '%s': an ISO 639-1 code such as en or sw",
		    st->word);
	return 0;
}

/* stub /url-re/ STATUS "BODY" */
static int
parse_stub(struct parser *p, struct flow_lexer *lx, struct flowtest_stmt *st)
{
	size_t start, n, i;
	long v = 0;

	(void)p;
	if (peek(lx) != '/')
		return flow_lex_error(
		    lx, lx->i, "expected a /regex/ of the URL after 'stub'");
	if (flow_lex_regex(lx, &st->re) < 0)
		return -1;
	n = flow_lex_word(lx, &start);
	for (i = 0; i < n && i < 4; i++) {
		if (!isdigit((unsigned char)lx->s[start + i]))
			break;
		v = v * 10 + (lx->s[start + i] - '0');
	}
	if (n == 0 || i != n || (v != 0 && (v < 100 || v > 599)))
		return flow_lex_error(lx, start,
		    "expected an HTTP STATUS (100 to 599, or 0 for a fetch "
		    "that fails) after the regex");
	st->status = (int)v;
	return flow_lex_string(lx, "the BODY", &st->body, &st->bodylen);
}

/* sms "TEXT" and send "INPUT" */
static int
parse_input(struct parser *p, struct flow_lexer *lx, struct flowtest_stmt *st)
{
	(void)p;
	return flow_lex_template(lx,
	    st->kind == FT_SMS ? "the TEXT sent" : "the INPUT sent", &st->text);
}

/* reply "TEXT" | /re/ | none */
static int
parse_reply(struct parser *p, struct flow_lexer *lx, struct flowtest_stmt *st)
{
	(void)p;
	return read_expect(lx, st, "reply", 1);
}

/* screen "TEXT" | /re/ */
static int
parse_screen(struct parser *p, struct flow_lexer *lx, struct flowtest_stmt *st)
{
	(void)p;
	return read_expect(lx, st, "screen", 0);
}

/* dial CODE */
static int
parse_dial(struct parser *p, struct flow_lexer *lx, struct flowtest_stmt *st)
{
	(void)p;
	if (read_arg(lx, "a USSD code", "dial", &st->word, &st->col2) < 0)
		return -1;
	if (!valid_ussd(st->word))
		return flow_lex_error(lx, lx->i - strlen(st->word),
		    "bad USSD code '%s': expected a code such as *384# or "
		    "*384*1*1234567#",
		    st->word);
	return 0;
}

/* wait DURATION: 30s, 20m, 2h, 3d */
static int
parse_wait(struct parser *p, struct flow_lexer *lx, struct flowtest_stmt *st)
{
	size_t start, n, i;
	int64_t v = 0, unit;

	(void)p;
	n = flow_lex_word(lx, &start);
	/* Past the largest wait, v stops growing (and cannot overflow). */
	for (i = 0; i + 1 < n && isdigit((unsigned char)lx->s[start + i]); i++)
		if (v <= FLOWTEST_MAX_WAIT_MS)
			v = v * 10 + (lx->s[start + i] - '0');
	unit = 0;
	if (n >= 2 && i == n - 1) {
		switch (lx->s[start + i]) {
		case 's':
			unit = 1000;
			break;
		case 'm':
			unit = 60 * 1000;
			break;
		case 'h':
			unit = 3600 * 1000;
			break;
		case 'd':
			unit = 24 * 3600 * 1000;
			break;
		}
	}
	if (unit == 0 || v == 0)
		return flow_lex_error(lx, start,
		    "expected a DURATION such as 30s, 20m, 2h or 3d after "
		    "'wait'");
	if (v > FLOWTEST_MAX_WAIT_MS / unit)
		return flow_lex_error(
		    lx, start, "a wait of at most a year at once");
	st->ms = v * unit;
	return 0;
}

/* report FIELD "VALUE"... */
static int
parse_report(struct parser *p, struct flow_lexer *lx, struct flowtest_stmt *st)
{
	size_t start, n, i, f;

	(void)p;
	while (!flow_lex_end(lx)) {
		n = flow_lex_word(lx, &start);
		for (f = 0; f < nitems(field_names); f++)
			if (word_is(lx->s + start, n, field_names[f]))
				break;
		if (f == nitems(field_names))
			return flow_lex_error(lx, start,
			    "unknown report field '%.*s' (category, status, "
			    "location, details or id)",
			    quote_len(n), lx->s + start);
		for (i = 0; i < st->npairs; i++)
			if (st->pairs[i].field == (enum flowtest_field)f)
				return flow_lex_error(lx, start,
				    "report field '%s' given twice",
				    field_names[f]);
		st->pairs[st->npairs].field = (enum flowtest_field)f;
		if (flow_lex_template(
			lx, "the VALUE", &st->pairs[st->npairs].value) < 0)
			return -1;
		st->npairs++;
	}
	if (st->npairs == 0)
		return flow_lex_error(lx, lx->i,
		    "expected FIELD \"VALUE\" after 'report' (category, "
		    "status, location, details or id)");
	return 0;
}

/* subscribed TOPIC, unsubscribed TOPIC */
static int
parse_topic(struct parser *p, struct flow_lexer *lx, struct flowtest_stmt *st)
{
	(void)p;
	return read_text_or_word(
	    lx, "a TOPIC", flowtest_kind_name(st->kind), &st->text);
}

/* opted out, opted in */
static int
parse_opted(struct parser *p, struct flow_lexer *lx, struct flowtest_stmt *st)
{
	size_t start, n;

	(void)p;
	if (flow_lex_keyword(lx, "out"))
		st->kind = FT_OPTED_OUT;
	else if (flow_lex_keyword(lx, "in"))
		st->kind = FT_OPTED_IN;
	else {
		n = flow_lex_word(lx, &start);
		return flow_lex_error(lx, start,
		    "expected 'out' or 'in' after 'opted'%s%.*s%s",
		    n ? ", found '" : "", quote_len(n), lx->s + start,
		    n ? "'" : "");
	}
	return 0;
}

/* sent NUM "TEXT" | sent NUM /re/ */
static int
parse_sent(struct parser *p, struct flow_lexer *lx, struct flowtest_stmt *st)
{
	(void)p;
	if (read_arg(lx, "a phone number", "sent", &st->word, &st->col2) < 0)
		return -1;
	return read_expect(lx, st, "sent NUM", 0);
}

/* update report ID STATUS ["NOTE"] */
static int
parse_update(struct parser *p, struct flow_lexer *lx, struct flowtest_stmt *st)
{
	size_t start, n;

	(void)p;
	if (!flow_lex_keyword(lx, "report")) {
		n = flow_lex_word(lx, &start);
		return flow_lex_error(lx, start,
		    "expected 'report' after 'update'%s%.*s%s",
		    n ? ", found '" : "", quote_len(n), lx->s + start,
		    n ? "'" : "");
	}
	if (read_text_or_word(
		lx, "the report number", "update report", &st->text) < 0)
		return -1;
	if (read_arg(
		lx, "a STATUS", "the report number", &st->word, &st->col2) < 0)
		return -1;
	if (peek(lx) == '"')
		return flow_lex_template(lx, "the NOTE", &st->note);
	return 0;
}

static const struct syntax statements[] = {
    {"table", FT_TABLE, HEAD, parse_table},
    {"at", FT_AT, HEAD, parse_at},
    {"phone", FT_PHONE, BOTH, parse_phone},
    {"lang", FT_LANG, BOTH, parse_lang},
    {"stub", FT_STUB, BOTH, parse_stub},
    {"sms", FT_SMS, TEST, parse_input},
    {"reply", FT_REPLY, TEST, parse_reply},
    {"dial", FT_DIAL, TEST, parse_dial},
    {"send", FT_SEND, TEST, parse_input},
    {"screen", FT_SCREEN, TEST, parse_screen},
    {"wait", FT_WAIT, TEST, parse_wait},
    {"report", FT_REPORT, TEST, parse_report},
    {"subscribed", FT_SUBSCRIBED, TEST, parse_topic},
    {"unsubscribed", FT_UNSUBSCRIBED, TEST, parse_topic},
    {"opted", FT_OPTED_OUT, TEST, parse_opted},
    {"sent", FT_SENT, TEST, parse_sent},
    {"update", FT_UPDATE, TEST, parse_update},
};

/* test "NAME" */
static void
parse_test(struct parser *p, struct flow_lexer *lx, size_t at)
{
	struct flowtest_file *ft = p->ft;
	struct flowtest_case *tc;
	char *name = NULL;
	size_t len, i, q;

	(void)flow_lex_end(lx);
	q = lx->i;
	if (flow_lex_string(lx, "the test's NAME", &name, &len) < 0)
		return;
	if (len == 0 || len > FLOWTEST_MAX_NAME || strlen(name) != len) {
		flow_lex_error(lx, q, "a test's NAME is 1 to %d bytes of text",
		    FLOWTEST_MAX_NAME);
		free(name);
		return;
	}
	for (i = 0; i < ft->ntests; i++)
		if (strcmp(ft->tests[i].name, name) == 0) {
			flow_lex_error(lx, q,
			    "a second test \"%s\" (the first is at line %u)",
			    name, ft->tests[i].line);
			free(name);
			return;
		}
	if (expect_eol(lx, "the test's NAME") < 0) {
		free(name);
		return;
	}
	if (ft->ntests >= FLOWTEST_MAX_TESTS) {
		if (!p->tests_full)
			flow_lex_error(lx, at, "too many tests (at most %d)",
			    FLOWTEST_MAX_TESTS);
		p->tests_full = 1;
		free(name);
		return;
	}
	if (ft->ntests == ft->cap) {
		ft->cap = ft->cap ? ft->cap * 2 : 8;
		ft->tests = xrealloc(ft->tests, ft->cap * sizeof(*ft->tests));
	}
	tc = &ft->tests[ft->ntests++];
	memset(tc, 0, sizeof(*tc));
	tc->name = name;
	tc->line = lx->line;
	p->cur = tc;
	p->full = 0;
}

const struct template *
flowtest_text(const struct flowtest_stmt *st, const char *lang)
{
	size_t i;

	if (lang != NULL && lang[0] != '\0')
		for (i = 0; i < st->ntr; i++)
			if (strcmp(st->tr[i].lang, lang) == 0)
				return st->tr[i].text;
	return st->text;
}

/* Whether st has a TEXT that translation lines may follow. */
static int
translatable(const struct flowtest_stmt *st)
{
	switch (st->kind) {
	case FT_SMS:
	case FT_SEND:
		return 1;
	case FT_REPLY:
	case FT_SCREEN:
	case FT_SENT:
		return st->match == FT_MATCH_TEXT;
	default:
		return 0;
	}
}

/*
 * LL "text" under a statement with a TEXT (the flow language's translation
 * line): added to the statement before it, which must have one.
 */
static void
parse_translation(struct parser *p, struct flow_lexer *lx, size_t start)
{
	struct flowtest_case *c = p->cur;
	struct flowtest_stmt *st = c->nstmt ? &c->stmt[c->nstmt - 1] : NULL;
	struct template *text = NULL;
	char lang[4];
	size_t i;

	if (st == NULL || !translatable(st)) {
		flow_lex_error(lx, start,
		    "a translation line '%.2s \"...\"' goes right under a "
		    "statement with a TEXT (sms, send, reply, screen, sent)",
		    lx->s + start);
		return;
	}
	lang[0] = lx->s[start];
	lang[1] = lx->s[start + 1];
	lang[2] = '\0';
	for (i = 0; i < st->ntr; i++)
		if (strcmp(st->tr[i].lang, lang) == 0) {
			flow_lex_error(
			    lx, start, "a second translation into '%s'", lang);
			return;
		}
	if (peek(lx) == '/') {
		flow_lex_error(lx, lx->i,
		    "a translation line holds a \"TEXT\", not a regex (a "
		    "regex can match every language at once)");
		return;
	}
	if (st->ntr >= FLOW_MAX_LANGS) {
		flow_lex_error(lx, start, "too many translations (at most %d)",
		    FLOW_MAX_LANGS);
		return;
	}
	if (flow_lex_template(lx, "the translated TEXT", &text) < 0)
		return;
	if (expect_eol(lx, "the translated TEXT") < 0) {
		template_free(text);
		return;
	}
	st->tr = xrealloc(st->tr, (st->ntr + 1) * sizeof(*st->tr));
	memcpy(st->tr[st->ntr].lang, lang, 3);
	st->tr[st->ntr].text = text;
	st->ntr++;
}

/* Adds st to the current list (which takes what it owns). */
static void
add_stmt(struct parser *p, struct flow_lexer *lx, struct flowtest_stmt *st)
{
	struct flowtest_case *c = p->cur;

	if (c->nstmt >= FLOWTEST_MAX_STMTS) {
		if (!p->full)
			flow_lex_error(lx, 0,
			    "too many statements (at most %d in a test, and "
			    "before the first)",
			    FLOWTEST_MAX_STMTS);
		p->full = 1;
		stmt_free(st);
		return;
	}
	if (c->nstmt == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->stmt = xrealloc(c->stmt, c->cap * sizeof(*c->stmt));
	}
	c->stmt[c->nstmt++] = *st;
}

/* One line: a statement, a test's start, or blank. */
static void
on_line(void *arg, struct flow_lexer *lx)
{
	struct parser *p = arg;
	const struct syntax *sx = NULL;
	struct flowtest_stmt st;
	int in_test = p->cur != &p->ft->head;
	size_t start, n, i;

	if (flow_lex_end(lx))
		return;
	n = flow_lex_word(lx, &start);
	if (word_is(lx->s + start, n, "test")) {
		parse_test(p, lx, start);
		return;
	}
	/* LL "text": two lower-case letters and a string ("at" is a
	   statement, and no language's code). */
	if (n == 2 && islower((unsigned char)lx->s[start]) &&
	    islower((unsigned char)lx->s[start + 1]) &&
	    !word_is(lx->s + start, n, "at") &&
	    (peek(lx) == '"' || peek(lx) == '/')) {
		parse_translation(p, lx, start);
		return;
	}
	for (i = 0; i < nitems(statements); i++)
		if (word_is(lx->s + start, n, statements[i].word))
			sx = &statements[i];
	if (sx == NULL) {
		flow_lex_error(lx, start,
		    "unknown statement '%.*s' (expected test, sms, reply, "
		    "dial, send, screen, wait, phone, lang, report, "
		    "subscribed, unsubscribed, opted, stub, sent, update, "
		    "or before the first test table and at)",
		    quote_len(n), lx->s + start);
		return;
	}
	if (sx->place == HEAD && in_test) {
		flow_lex_error(
		    lx, start, "'%s' goes before the first test", sx->word);
		return;
	}
	if (sx->place == TEST && !in_test) {
		flow_lex_error(lx, start,
		    "'%s' goes inside a test: start one with test \"NAME\"",
		    sx->word);
		return;
	}
	memset(&st, 0, sizeof(st));
	st.kind = sx->kind;
	st.line = lx->line;
	st.col = flow_lex_col(lx, start);
	if (sx->parse(p, lx, &st) < 0 ||
	    expect_eol(lx, flowtest_kind_name(st.kind)) < 0) {
		stmt_free(&st);
		return;
	}
	add_stmt(p, lx, &st);
}

int
flowtest_parse(const char *path, const char *data, size_t len,
    struct flowtest_file **out, struct flow_findings *findings)
{
	struct flowtest_file *ft = xcalloc(1, sizeof(*ft));
	struct parser p;

	*out = NULL;
	ft->path = xstrdup(path);
	memset(&p, 0, sizeof(p));
	p.ft = ft;
	p.cur = &ft->head;
	if (flow_lex_lines(path, data, len, findings, on_line, &p) > 0) {
		flowtest_free(ft);
		return -1;
	}
	*out = ft;
	return 0;
}

int
flowtest_load(const char *path, struct flowtest_file **out,
    struct flow_findings *findings)
{
	FILE *fp;
	struct stat st;
	char *data;
	size_t n;
	int rc, err, fd;

	*out = NULL;
	/* O_NONBLOCK: a FIFO is refused, not waited on. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		flow_findings_add(findings, path, 0, 0, FINDING_ERROR,
		    "cannot read: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		flow_findings_add(findings, path, 0, 0, FINDING_ERROR,
		    "cannot read: not a regular file");
		close(fd);
		return -1;
	}
	if ((fp = fdopen(fd, "rb")) == NULL) {
		flow_findings_add(findings, path, 0, 0, FINDING_ERROR,
		    "cannot read: %s", strerror(errno));
		close(fd);
		return -1;
	}
	/* One byte more than allowed tells a file that is too large. */
	data = xmalloc((size_t)FLOW_MAX_FILE + 1);
	n = fread(data, 1, (size_t)FLOW_MAX_FILE + 1, fp);
	err = ferror(fp) ? errno : 0;
	fclose(fp);
	if (err != 0) {
		free(data);
		flow_findings_add(findings, path, 0, 0, FINDING_ERROR,
		    "cannot read: %s", strerror(err));
		return -1;
	}
	rc = flowtest_parse(path, data, n, out, findings);
	free(data);
	return rc;
}
