/*
 * test_flow_parse.c: the flow language parser: every statement into the
 * right fields, the lexical rules, translations, limits, and every syntax
 * error message with its FILE:LINE:COL.
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

#include "flows/flow.h"

static const char *const langs[] = {"en", "sw"};
static const struct flow_config cfg = {langs, 2, 0};

/* Prints every finding (on a failed expectation, to see what came out). */
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

/* Parses src as t.flow; it must load with no error and no warning. */
static struct flowset *
parse_clean(const char *src)
{
	struct flow_findings f;
	struct flowset *set;
	int rc;

	flow_findings_init(&f);
	rc = flowset_load_buffer("t.flow", src, strlen(src), &cfg, &set, &f);
	if (rc != 0 || f.n != 0)
		dump(&f);
	assert_int_equal(rc, 0);
	assert_int_equal(f.n, 0);
	flow_findings_free(&f);
	return set;
}

/*
 * Parses src (len bytes) as t.flow; it must fail with exactly one error,
 * formatted as want.
 */
static void
expect_error_len(const char *src, size_t len, const char *want)
{
	struct flow_findings f;
	struct flowset *set;
	size_t i;
	int found = 0;
	char *s;

	flow_findings_init(&f);
	assert_int_equal(
	    flowset_load_buffer("t.flow", src, len, &cfg, &set, &f), -1);
	assert_null(set);
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

/* Renders the default text of t with no variables. */
static char *
text0(const struct flow_text *t, const char *lang)
{
	struct buf b;

	buf_init(&b, 4096);
	assert_non_null(t->tmpl);
	assert_int_equal(
	    template_render(flow_text_pick(t, lang), &b, NULL, NULL), 0);
	return buf_steal(&b);
}

static void
assert_text(const struct flow_text *t, const char *lang, const char *want)
{
	char *s = text0(t, lang);

	assert_string_equal(s, want);
	free(s);
}

static const char spec_example[] =
    "# flows/bills.flow: water bill balance\n"
    "flow bills \"Water bill balance\"\n"
    "  on keyword BILL BAL BALANCE MAJI\n"
    "  on match /^(?:bal|bill)\\s*(?<account>\\d{6,10})$/i\n"
    "  on ussd *384*1#\n"
    "\n"
    "  ask account \"Enter your water account number:\"\n"
    "      sw \"Weka nambari ya akaunti yako ya maji:\"\n"
    "    check /^\\d{6,10}$/ \"Account numbers have 6 to 10 digits. Try "
    "again:\"\n"
    "      sw \"Nambari ya akaunti ina tarakimu 6 hadi 10. Jaribu tena:\"\n"
    "  lookup bill in bills where account = \"{account}\"\n"
    "    missing \"No bill found for account {account}.\"\n"
    "  say \"Account {account}: balance KES {bill.balance}, due "
    "{bill.due_date}.\"\n";

static void
test_spec_example(void **state)
{
	struct flowset *set = parse_clean(spec_example);
	const struct flow *fl;
	const struct flow_step *st;

	(void)state;
	assert_int_equal(set->nflows, 1);
	fl = set->flows[0];
	assert_string_equal(fl->name, "bills");
	assert_true(fl->has_title);
	assert_text(&fl->title, "en", "Water bill balance");
	assert_int_equal(fl->pos.line, 2);
	assert_int_equal(fl->pos.col, 1);
	assert_string_equal(fl->pos.file, "t.flow");

	/* Four keywords, one match, one USSD code, in line order. */
	assert_int_equal(fl->ntriggers, 6);
	assert_int_equal(fl->triggers[0].kind, TRIGGER_KEYWORD);
	assert_string_equal(fl->triggers[0].word, "BILL");
	assert_int_equal(fl->triggers[0].pos.line, 3);
	assert_int_equal(fl->triggers[0].pos.col, 14);
	assert_string_equal(fl->triggers[3].word, "MAJI");
	assert_int_equal(fl->triggers[4].kind, TRIGGER_MATCH);
	assert_string_equal(
	    fl->triggers[4].re.src, "^(?:bal|bill)\\s*(?<account>\\d{6,10})$");
	assert_string_equal(fl->triggers[4].re.flags, "i");
	assert_non_null(fl->triggers[4].re.code);
	assert_true(fl->triggers[4].re.options & PCRE2_CASELESS);
	assert_true(fl->triggers[4].re.options & PCRE2_UTF);
	assert_true(fl->triggers[4].re.options & PCRE2_ANCHORED);
	assert_int_equal(fl->triggers[5].kind, TRIGGER_USSD);
	assert_string_equal(fl->triggers[5].word, "*384*1#");

	assert_int_equal(fl->nsteps, 3);
	st = &fl->steps[0];
	assert_int_equal(st->kind, STEP_ASK);
	assert_string_equal(st->name, "account");
	assert_int_equal(st->pos.line, 7);
	assert_int_equal(st->pos.col, 3);
	assert_text(&st->text, "en", "Enter your water account number:");
	assert_text(&st->text, "sw", "Weka nambari ya akaunti yako ya maji:");
	assert_int_equal(st->text.ntr, 1);
	assert_string_equal(st->text.tr[0].lang, "sw");
	assert_int_equal(st->text.tr[0].pos.line, 8);
	assert_int_equal(st->u.ask.nchecks, 1);
	assert_int_equal(st->u.ask.checks[0].kind, CHECK_REGEX);
	assert_string_equal(st->u.ask.checks[0].re.src, "^\\d{6,10}$");
	assert_false(st->u.ask.checks[0].re.options & PCRE2_ANCHORED);
	assert_text(&st->u.ask.checks[0].text, "sw",
	    "Nambari ya akaunti ina tarakimu 6 hadi 10. Jaribu tena:");
	assert_int_equal(st->u.ask.tries, FLOW_DEFAULT_TRIES);
	assert_false(st->u.ask.has_tries_text);

	st = &fl->steps[1];
	assert_int_equal(st->kind, STEP_LOOKUP);
	assert_string_equal(st->name, "bill");
	assert_string_equal(st->u.lookup.table, "bills");
	assert_string_equal(st->u.lookup.column, "account");
	assert_string_equal(st->u.lookup.key.tmpl->src, "{account}");
	assert_true(st->u.lookup.missing.present);
	assert_int_equal(st->u.lookup.missing.target.kind, TARGET_NONE);
	assert_string_equal(st->u.lookup.missing.text.tmpl->src,
	    "No bill found for account {account}.");

	st = &fl->steps[2];
	assert_int_equal(st->kind, STEP_SAY);
	assert_int_equal(st->text.tmpl->nvars, 3);
	/* Template columns are file columns: {account} at column 16. */
	assert_int_equal(st->text.tmpl->parts[1].col, 16);
	flowset_free(set);
}

static void
test_every_statement(void **state)
{
	static const char src[] =
	    "flow all \"All\"\n"
	    "  on keyword hello Habari\n"
	    "  on default\n"
	    "  SAY \"hi\"\n"
	    "  ask age \"Age?\"\n"
	    "    check number 1 120.5 \"1 to 120\"\n"
	    "    tries 2 \"Bye\"\n"
	    "      sw \"Kwaheri\"\n"
	    "  menu pick \"Pick\"\n"
	    "    option \"One\"\n"
	    "    option \"Two\" = \"2\"\n"
	    "    option \"Three\" -> third\n"
	    "    option \"Other flow\" = \"o\" -> FLOW other\n"
	    "  set x = \"{age}\"\n"
	    "  save ward = \"central\"\n"
	    "  language \"sw\"\n"
	    "  if x = \"a{age}\" -> third\n"
	    "  if x != \"b\" -> third\n"
	    "  if x ~ /^c/x -> third\n"
	    "  if age < -1.5 -> third\n"
	    "  if age > 10 -> flow other\n"
	    "  if contact.ward is set -> third\n"
	    "  if x is EMPTY -> third\n"
	    "  step third\n"
	    "  lookup b in bills where account = \"{x}\"\n"
	    "    missing \"none\" -> third\n"
	    "  fetch w from \"https://example.org/?q={x}\"\n"
	    "    missing \"404\"\n"
	    "    failed \"down\" -> flow other\n"
	    "  report r\n"
	    "    category \"water\"\n"
	    "    location \"{x}\"\n"
	    "    details \"d\"\n"
	    "  find report rep \"{x}\"\n"
	    "    missing \"no such report\" -> third\n"
	    "  subscribe \"ward:{x}\"\n"
	    "  unsubscribe \"water\"\n"
	    "  say \"{b.name} {w.a.b} {r.id} {rep.status} {pick}\"\n"
	    "  end\n"
	    "flow other\n"
	    "  goto flow all\n";
	struct flowset *set = parse_clean(src);
	const struct flow *fl = set->flows[0];
	const struct flow_step *s = fl->steps;
	size_t i = 0;

	(void)state;
	assert_int_equal(set->nflows, 2);
	assert_int_equal(fl->ntriggers, 3);
	assert_string_equal(fl->triggers[0].word, "HELLO");
	assert_string_equal(fl->triggers[1].word, "HABARI");
	assert_int_equal(fl->triggers[2].kind, TRIGGER_DEFAULT);

	assert_int_equal(s[i].kind, STEP_SAY);
	i++;
	assert_int_equal(s[i].kind, STEP_ASK);
	assert_int_equal(s[i].u.ask.checks[0].kind, CHECK_NUMBER);
	assert_true(s[i].u.ask.checks[0].min == 1.0);
	assert_true(s[i].u.ask.checks[0].max == 120.5);
	assert_int_equal(s[i].u.ask.tries, 2);
	assert_true(s[i].u.ask.has_tries_text);
	assert_text(&s[i].u.ask.tries_text, "sw", "Kwaheri");
	assert_int_equal(s[i].u.ask.tries_pos.line, 7);
	i++;
	assert_int_equal(s[i].kind, STEP_MENU);
	assert_string_equal(s[i].name, "pick");
	assert_int_equal(s[i].u.menu.noptions, 4);
	assert_null(s[i].u.menu.options[0].value);
	assert_int_equal(s[i].u.menu.options[0].target.kind, TARGET_NONE);
	assert_string_equal(s[i].u.menu.options[1].value, "2");
	assert_int_equal(s[i].u.menu.options[2].target.kind, TARGET_STEP);
	assert_string_equal(s[i].u.menu.options[2].target.name, "third");
	assert_int_equal(s[i].u.menu.options[2].target.step, 13);
	assert_ptr_equal(s[i].u.menu.options[2].target.flow, fl);
	assert_int_equal(s[i].u.menu.options[3].target.kind, TARGET_FLOW);
	assert_ptr_equal(s[i].u.menu.options[3].target.flow, set->flows[1]);
	assert_string_equal(s[i].u.menu.options[3].value, "o");
	/* A target's column is that of `flow` (or of the step NAME). */
	assert_int_equal(s[i].u.menu.options[3].target.pos.col, 34);
	i++;
	assert_int_equal(s[i].kind, STEP_SET);
	assert_string_equal(s[i].name, "x");
	assert_string_equal(s[i].text.tmpl->src, "{age}");
	i++;
	assert_int_equal(s[i].kind, STEP_SAVE);
	assert_string_equal(s[i].name, "ward");
	i++;
	assert_int_equal(s[i].kind, STEP_LANGUAGE);
	assert_string_equal(s[i].text.tmpl->src, "sw");
	i++;
	assert_int_equal(s[i].kind, STEP_IF);
	assert_int_equal(s[i].u.cond.cond.kind, COND_EQ);
	assert_string_equal(s[i].u.cond.cond.var, "x");
	assert_string_equal(s[i].u.cond.cond.value->src, "a{age}");
	assert_int_equal(s[i].u.cond.cond.var_pos.col, 6);
	i++;
	assert_int_equal(s[i].u.cond.cond.kind, COND_NE);
	i++;
	assert_int_equal(s[i].u.cond.cond.kind, COND_MATCH);
	assert_true(s[i].u.cond.cond.re.options & PCRE2_EXTENDED);
	assert_string_equal(s[i].u.cond.cond.re.flags, "x");
	i++;
	assert_int_equal(s[i].u.cond.cond.kind, COND_LT);
	assert_true(s[i].u.cond.cond.number == -1.5);
	i++;
	assert_int_equal(s[i].u.cond.cond.kind, COND_GT);
	assert_int_equal(s[i].u.cond.target.kind, TARGET_FLOW);
	i++;
	assert_int_equal(s[i].u.cond.cond.kind, COND_SET);
	assert_string_equal(s[i].u.cond.cond.var, "contact.ward");
	i++;
	assert_int_equal(s[i].u.cond.cond.kind, COND_EMPTY);
	i++;
	assert_int_equal(s[i].kind, STEP_LABEL);
	assert_string_equal(s[i].name, "third");
	assert_int_equal(i, 13);
	i++;
	assert_int_equal(s[i].kind, STEP_LOOKUP);
	assert_int_equal(s[i].u.lookup.missing.target.step, 13);
	i++;
	assert_int_equal(s[i].kind, STEP_FETCH);
	assert_string_equal(s[i].name, "w");
	assert_string_equal(s[i].text.tmpl->src, "https://example.org/?q={x}");
	assert_true(s[i].u.fetch.missing.present);
	assert_true(s[i].u.fetch.failed.present);
	assert_int_equal(s[i].u.fetch.failed.target.kind, TARGET_FLOW);
	assert_int_equal(s[i].u.fetch.failed.pos.line, 29);
	i++;
	assert_int_equal(s[i].kind, STEP_REPORT);
	assert_string_equal(s[i].name, "r");
	assert_true(s[i].u.report.has_category && s[i].u.report.has_location &&
		    s[i].u.report.has_details);
	assert_string_equal(s[i].u.report.location.tmpl->src, "{x}");
	i++;
	assert_int_equal(s[i].kind, STEP_FIND_REPORT);
	assert_string_equal(s[i].name, "rep");
	assert_string_equal(s[i].text.tmpl->src, "{x}");
	assert_int_equal(s[i].u.find.missing.target.kind, TARGET_STEP);
	i++;
	assert_int_equal(s[i].kind, STEP_SUBSCRIBE);
	i++;
	assert_int_equal(s[i].kind, STEP_UNSUBSCRIBE);
	assert_string_equal(s[i].text.tmpl->src, "water");
	i++;
	assert_int_equal(s[i].kind, STEP_SAY);
	i++;
	assert_int_equal(s[i].kind, STEP_END);
	assert_false(s[i].has_text);
	assert_int_equal(fl->nsteps, i + 1);

	fl = set->flows[1];
	assert_int_equal(fl->steps[0].kind, STEP_GOTO);
	assert_int_equal(fl->steps[0].u.go.target.kind, TARGET_FLOW);
	assert_ptr_equal(fl->steps[0].u.go.target.flow, set->flows[0]);
	assert_string_equal(
	    flow_step_kind_name(STEP_FIND_REPORT), "find report");
	flowset_free(set);
}

static void
test_comments_and_hash(void **state)
{
	static const char src[] =
	    "# a comment line\n"
	    "   # an indented comment\n"
	    "flow f \"Title # not a comment\" # a comment\n"
	    "  on ussd *384*1#   # the # in the code is part of it\n"
	    "  on match /^a#b$/ # a # inside a regex is not a comment\n"
	    "\t say \"#1 \\\"quoted\\\" back\\\\slash\\nnew\"\t# tab then\n"
	    "\r\n"
	    "  end \"bye\"\r\n";
	struct flowset *set = parse_clean(src);
	const struct flow *fl = set->flows[0];

	(void)state;
	assert_text(&fl->title, "en", "Title # not a comment");
	assert_string_equal(fl->triggers[0].word, "*384*1#");
	assert_string_equal(fl->triggers[1].re.src, "^a#b$");
	assert_text(&fl->steps[0].text, "en", "#1 \"quoted\" back\\slash\nnew");
	assert_int_equal(fl->steps[0].pos.col, 3);
	assert_int_equal(fl->steps[1].pos.line, 8);
	assert_text(&fl->steps[1].text, "en", "bye");
	flowset_free(set);
}

static void
test_translations(void **state)
{
	static const char src[] =
	    "flow f \"Hello\"\n"
	    "  sw \"Habari\"\n"
	    "  menu m \"Choose\"\n"
	    "    SW \"Chagua\"\n"
	    "\n"
	    "    # a comment between a text and its translation\n"
	    "    option \"Yes\"\n"
	    "      sw \"Ndiyo\"\n"
	    "    option \"No\" = \"no\"\n"
	    "  end \"Bye {m}\"\n"
	    "    sw \"Kwaheri {m}\"\n";
	struct flowset *set = parse_clean(src);
	const struct flow *fl = set->flows[0];
	const struct flow_step *m = &fl->steps[0];

	(void)state;
	assert_text(&fl->title, "sw", "Habari");
	assert_text(&fl->title, "en", "Hello");
	assert_text(&fl->title, "fr", "Hello");
	assert_text(&m->text, "sw", "Chagua");
	assert_string_equal(m->text.tr[0].lang, "sw");
	assert_text(&m->u.menu.options[0].text, "sw", "Ndiyo");
	assert_int_equal(m->u.menu.options[1].text.ntr, 0);
	assert_text(&m->u.menu.options[1].text, "sw", "No");
	assert_string_equal(fl->steps[1].text.tr[0].tmpl->src, "Kwaheri {m}");
	flowset_free(set);
}

static void
test_multiple_flows(void **state)
{
	static const char src[] = "flow one\n"
				  "  on keyword ONE\n"
				  "  say \"1\"\n"
				  "flow two \"Two\"\n"
				  "  on keyword TWO\n"
				  "  say \"2\"\n"
				  "FLOW three\n"
				  "  say \"3\"\n";
	struct flowset *set = parse_clean(src);

	(void)state;
	assert_int_equal(set->nflows, 3);
	assert_string_equal(set->flows[0]->name, "one");
	assert_int_equal(set->flows[0]->nsteps, 1);
	assert_string_equal(set->flows[1]->name, "two");
	assert_int_equal(set->flows[1]->pos.line, 4);
	assert_int_equal(set->flows[1]->index, 1);
	assert_string_equal(set->flows[2]->name, "three");
	assert_false(set->flows[2]->has_title);
	assert_ptr_equal(flowset_find(set, "two"), set->flows[1]);
	assert_null(flowset_find(set, "four"));
	flowset_free(set);
}

static void
test_regex_helpers(void **state)
{
	struct flowset *set = parse_clean(
	    "flow f\n"
	    "  on match /^(?:bal|bill)\\s*(?<account>\\d{6,10})(?<x>z)?$/i\n"
	    "  say \"{account}\"\n");
	const struct flow_regex *re = &set->flows[0]->triggers[0].re;
	pcre2_match_data *md =
	    pcre2_match_data_create_from_pattern(re->code, NULL);
	static const char subj[] = "BAL 1234567";

	(void)state;
	assert_int_equal(flow_regex_match(re, subj, strlen(subj), md), 1);
	assert_int_equal(flow_regex_match(re, "BAL 12", 6, NULL), 0);
	/* Whole text: a match trigger does not match inside a longer text. */
	assert_int_equal(flow_regex_match(re, "x BAL 1234567", 13, NULL), 0);
	/* Invalid UTF-8 in the subject is an error, not a crash. */
	assert_int_equal(flow_regex_match(re, "BAL \xff", 5, NULL), -1);
	pcre2_match_data_free(md);
	flowset_free(set);
}

/*
 * A match that hits the match limit is no match, counted, and logged once
 * a minute at most with the regex's file and line, never the text.
 */
static void
test_regex_limit(void **state)
{
	struct flowset *set = parse_clean("flow f\n"
					  "  on match /^(a|aa)+$/\n"
					  "  say \"x\"\n");
	const struct flow_regex *re = &set->flows[0]->triggers[0].re;
	char path[] = "/tmp/test_flow_parse_XXXXXX", line[512], evil[64];
	int fd, saved, nlines = 0, named = 0, leaked = 0;
	uint64_t hits = flow_regex_limit_hits();
	FILE *fp;

	(void)state;
	memset(evil, 'a', 44);
	strcpy(evil + 44, "b");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	assert_int_equal(flow_regex_match(re, evil, strlen(evil), NULL), 0);
	assert_int_equal(flow_regex_match(re, evil, strlen(evil), NULL), 0);
	assert_int_equal(flow_regex_match(re, evil, strlen(evil), NULL), 0);
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	assert_int_equal(flow_regex_limit_hits(), hits + 3);
	/* The same pattern still matches what it can match. */
	assert_int_equal(flow_regex_match(re, evil, 44, NULL), 1);
	assert_int_equal(flow_regex_limit_hits(), hits + 3);

	fp = fdopen(fd, "r");
	assert_non_null(fp);
	rewind(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		nlines++;
		if (strstr(line, " WARN flows: ") != NULL &&
		    strstr(line, "t.flow:2") != NULL)
			named++;
		if (strstr(line, "aaaa") != NULL)
			leaked++;
	}
	fclose(fp);
	unlink(path);
	/* Three hits in a row: one warning. */
	assert_int_equal(nlines, 1);
	assert_int_equal(named, 1);
	assert_int_equal(leaked, 0);
	flowset_free(set);
}

struct groups {
	char names[4][16];
	char values[4][16];
	int n;
};

static int
group_cb(void *arg, const char *name, const char *value, size_t vlen)
{
	struct groups *g = arg;

	snprintf(g->names[g->n], 16, "%s", name);
	snprintf(g->values[g->n], 16, "%.*s", (int)vlen, value);
	g->n++;
	return 0;
}

static void
test_regex_groups(void **state)
{
	struct flowset *set = parse_clean(
	    "flow f\n"
	    "  on match /^(?<kw>bal|bill)\\s*(?<account>\\d+)(?<x>z)?$/i\n"
	    "  say \"{account} {kw} {x}\"\n");
	const struct flow_regex *re = &set->flows[0]->triggers[0].re;
	pcre2_match_data *md =
	    pcre2_match_data_create_from_pattern(re->code, NULL);
	struct groups g;

	(void)state;
	memset(&g, 0, sizeof(g));
	assert_int_equal(flow_regex_match(re, "bill 42", 7, md), 1);
	assert_int_equal(flow_regex_groups(re, "bill 42", md, group_cb, &g), 0);
	/* Name table order (alphabetical); the unset group x is skipped. */
	assert_int_equal(g.n, 2);
	assert_string_equal(g.names[0], "account");
	assert_string_equal(g.values[0], "42");
	assert_string_equal(g.names[1], "kw");
	assert_string_equal(g.values[1], "bill");
	pcre2_match_data_free(md);
	flowset_free(set);
}

/* Every syntax error the parser reports, with its position. */
static void
test_errors_statements(void **state)
{
	(void)state;
	expect_error("say \"x\"\n",
	    "t.flow:1:1: error: 'say' before the first 'flow' line");
	expect_error("\n  on keyword A\n",
	    "t.flow:2:3: error: 'on' before the first 'flow' line");
	expect_error("check /a/ \"x\"\n",
	    "t.flow:1:1: error: 'check' before the first 'flow' line");
	expect_error("flow f\n  frob x\n",
	    "t.flow:2:3: error: unknown statement 'frob'");
	expect_error("flow f\n  abcdefghijklmnopqrstuvwxyz\n",
	    "t.flow:2:3: error: unknown statement "
	    "'abcdefghijklmnopqrstuvwxyz'");
	expect_error("flow F\n",
	    "t.flow:1:6: error: bad name 'F': a NAME is [a-z_][a-z0-9_]*");
	expect_error("flow\n", "t.flow:1:5: error: expected a flow NAME");
	expect_error("flow f \"T\" x\n",
	    "t.flow:1:12: error: unexpected 'x' after the title");
	expect_error("flow f\n  if a..b is set -> x\n  step x\n",
	    "t.flow:2:7: error: bad name 'a..b': empty field");
	expect_error("flow f\n  if a.\xc3\xa9 is set -> x\n  step x\n",
	    "t.flow:2:8: error: bad name 'a.\xc3\xa9': bad character in a "
	    "field");
	expect_error("flow f\n  ask \xc3\xa9 \"x\"\n",
	    "t.flow:2:7: error: bad name '\xc3\xa9': a NAME is "
	    "[a-z_][a-z0-9_]*");
	expect_error("flow f\n  ask contact \"x\"\n",
	    "t.flow:2:7: error: 'contact' is a built-in name and cannot be "
	    "assigned");
	expect_error("flow f\n  set rest = \"x\"\n",
	    "t.flow:2:7: error: 'rest' is a built-in name and cannot be "
	    "assigned");
	expect_error("flow f\n  say \"x\"\n  on default\n",
	    "t.flow:3:3: error: trigger after the first step (triggers come "
	    "before the steps of a flow)");
	expect_error("flow f\n  step a\n  say \"x\"\n  step a\n",
	    "t.flow:4:3: error: duplicate step 'a' (first at line 2)");
	expect_error("flow f\n  language \"fr\"\n",
	    "t.flow:2:12: error: language 'fr' is not in languages (en sw): "
	    "add it to the config's languages");
	expect_error("flow f\n  set x \"a\"\n",
	    "t.flow:2:9: error: expected '=' after the name");
	expect_error("flow f\n  say \"a\" b\n",
	    "t.flow:2:11: error: unexpected 'b' after the text");
	expect_error("flow f\n  end \"x\" y\n",
	    "t.flow:2:11: error: unexpected 'y' after the text");
	expect_error(
	    "flow f\n  step\n", "t.flow:2:7: error: expected a step NAME");
	expect_error("flow f\n  goto\n",
	    "t.flow:2:7: error: expected a step NAME or 'flow NAME'");
	expect_error("flow f\n  goto a b\n  step a\n",
	    "t.flow:2:10: error: unexpected 'b' after the target");
	expect_error("flow f\n  goto flow\n",
	    "t.flow:2:12: error: expected a flow NAME");
}

static void
test_errors_strings(void **state)
{
	char *src;

	(void)state;
	expect_error("flow f\n  say x\n",
	    "t.flow:2:7: error: expected the text to say (a \"string\"), "
	    "found 'x'");
	expect_error("flow f\n  say\n",
	    "t.flow:2:6: error: expected the text to say (a \"string\")");
	expect_error("flow f\n  ask x\n",
	    "t.flow:2:8: error: expected the question (a \"string\")");
	expect_error(
	    "flow f\n  say \"abc\n", "t.flow:2:7: error: unterminated string");
	expect_error("flow f\n  say \"abc\\\n",
	    "t.flow:2:7: error: unterminated string");
	expect_error("flow f\n  say \"a\\tb\"\n",
	    "t.flow:2:9: error: unknown escape '\\t' (use \\\", \\\\ or \\n)");
	expect_error("flow f\n  say \"a\\\"b {x\"\n",
	    "t.flow:2:13: error: unclosed '{' (write '{{' for a literal "
	    "brace)");
	expect_error("flow f\n  say \"\xc3\xa9 }\"\n",
	    "t.flow:2:10: error: unmatched '}' (write '}}' for a literal "
	    "brace)");
	expect_error("flow f\n  say \"{A}\"\n",
	    "t.flow:2:9: error: bad placeholder: expected {name} or "
	    "{name.field}");
	expect_error("flow f\n  if x = \"{\" -> a\n  step a\n",
	    "t.flow:2:11: error: unclosed '{' (write '{{' for a literal "
	    "brace)");
	expect_error("flow f\n  say \"\xff\"\n",
	    "t.flow:2:8: error: invalid UTF-8 or control character");
	expect_error("flow f\n  say \"a\x01\"\n",
	    "t.flow:2:9: error: invalid UTF-8 or control character");
	expect_error("flow f\n  say \"\xed\xa0\x80\"\n",
	    "t.flow:2:8: error: invalid UTF-8 or control character");
	expect_error_len("flow f\n  say \"a\0\"\n", 17,
	    "t.flow:2:9: error: invalid UTF-8 or control character");

	/* A string over FLOW_MAX_STRING bytes. */
	src = malloc(FLOW_MAX_STRING + 64);
	strcpy(src, "flow f\n  say \"");
	memset(src + 14, 'a', FLOW_MAX_STRING + 1);
	strcpy(src + 14 + FLOW_MAX_STRING + 1, "\"\n");
	expect_error(src, "t.flow:2:7: error: string too long (at most 2048 "
			  "bytes)");
	free(src);
}

static void
test_errors_regex(void **state)
{
	char *src;

	(void)state;
	expect_error("flow f\n  on match abc\n",
	    "t.flow:2:12: error: expected a regex (/.../)");
	expect_error("flow f\n  on match /abc\n",
	    "t.flow:2:12: error: unterminated regex (no closing '/')");
	expect_error("flow f\n  on match /[/]\n",
	    "t.flow:2:12: error: unterminated regex (no closing '/')");
	expect_error("flow f\n  on match /a/g\n",
	    "t.flow:2:15: error: unknown or repeated regex flag 'g' (flags "
	    "are i and x)");
	expect_error("flow f\n  on match /a/ii\n",
	    "t.flow:2:16: error: unknown or repeated regex flag 'i' (flags "
	    "are i and x)");
	/* PCRE2's message and offset; the column is the offending char. */
	expect_error("flow f\n  on match /a(b/\n",
	    "t.flow:2:16: error: bad regex: missing closing parenthesis (at "
	    "offset 3)");
	expect_error("flow f\n  ask x \"?\"\n    check /\xc3\xa9{2,1}/ \"n\"\n",
	    "t.flow:3:17: error: bad regex: numbers out of order in {} "
	    "quantifier (at offset 6)");
	expect_error("flow f\n  if x ~ /(?<n>a)(?<n>b)/ -> a\n  step a\n",
	    "t.flow:2:23: error: bad regex: two named subpatterns have the "
	    "same name (PCRE2_DUPNAMES not set) (at offset 12)");
	/* A '/' inside a character class does not end the regex. */
	flowset_free(
	    parse_clean("flow f\n  on match /^[/]x\\/$/\n  say \"x\"\n"));

	src = malloc(FLOW_MAX_STRING + 64);
	strcpy(src, "flow f\n  on match /");
	memset(src + 19, 'a', FLOW_MAX_STRING + 1);
	strcpy(src + 19 + FLOW_MAX_STRING + 1, "/\n");
	expect_error(src, "t.flow:2:12: error: regex too long (at most 2048 "
			  "bytes)");
	free(src);
}

static void
test_errors_triggers(void **state)
{
	struct buf b;
	int i;

	(void)state;
	expect_error("flow f\n  on keyword \"BILL\"\n",
	    "t.flow:2:14: error: a keyword is a plain word, not a string or "
	    "regex");
	expect_error("flow f\n  on keyword\n",
	    "t.flow:2:13: error: expected at least one WORD after 'on "
	    "keyword'");
	expect_error(
	    "flow f\n  on keyword "
	    "A234567890123456789012345678901234567890123456789012345678"
	    "9012345\n",
	    "t.flow:2:14: error: keyword too long (at most 64 bytes)");
	expect_error("flow f\n  on ussd\n",
	    "t.flow:2:10: error: expected a USSD code after 'on ussd'");
	expect_error("flow f\n  on ussd 384#\n",
	    "t.flow:2:11: error: bad USSD code '384#': expected a code such "
	    "as *384*1#");
	expect_error("flow f\n  on ussd *384**1#\n",
	    "t.flow:2:11: error: bad USSD code '*384**1#': expected a code "
	    "such as *384*1#");
	expect_error("flow f\n  on ussd *384#1\n",
	    "t.flow:2:11: error: bad USSD code '*384#1': expected a code "
	    "such as *384*1#");
	expect_error("flow f\n  on ussd *1# x\n",
	    "t.flow:2:15: error: unexpected 'x' after the USSD code");
	expect_error("flow f\n  on match /a/ x\n",
	    "t.flow:2:16: error: unexpected 'x' after the regex");
	expect_error("flow f\n  on\n",
	    "t.flow:2:5: error: expected keyword, match, ussd or default "
	    "after 'on'");
	expect_error("flow f\n  on sms\n",
	    "t.flow:2:6: error: unknown trigger 'sms' (expected keyword, "
	    "match, ussd or default)");
	expect_error("flow f\n  on default x\n",
	    "t.flow:2:14: error: unexpected 'x' after 'on default'");

	/* More than FLOW_MAX_TRIGGERS keywords on one line. */
	buf_init(&b, 1 << 20);
	buf_puts(&b, "flow f\non keyword");
	for (i = 0; i <= FLOW_MAX_TRIGGERS; i++)
		buf_printf(&b, " K%03d", i);
	buf_puts(&b, "\n");
	/* Word 257 starts after "on keyword" (10) and 256 words of 5. */
	expect_error(buf_cstr(&b), "t.flow:2:1292: error: too many triggers "
				   "in flow 'f' (at most 256)");
	buf_free(&b);
}

static void
test_errors_conditions(void **state)
{
	(void)state;
	expect_error("flow f\n  if x\n",
	    "t.flow:2:7: error: expected a condition: = \"x\", != \"x\", ~ "
	    "/re/, < N, > N, is set or is empty");
	expect_error("flow f\n  if x is full -> a\n  step a\n",
	    "t.flow:2:11: error: expected 'set' or 'empty' after 'is'");
	expect_error("flow f\n  if x is set\n",
	    "t.flow:2:14: error: expected '-> TARGET'");
	expect_error("flow f\n  if x is set foo\n",
	    "t.flow:2:15: error: expected '-> TARGET', found 'foo'");
	expect_error("flow f\n  if x < abc -> a\n  step a\n",
	    "t.flow:2:10: error: bad N 'abc': expected a number");
	expect_error("flow f\n  if x > -> a\n  step a\n",
	    "t.flow:2:10: error: bad N '->': expected a number");
	expect_error("flow f\n  sw\n",
	    "t.flow:2:3: error: unknown statement 'sw' (a translation is LL "
	    "\"TEXT\", its text in double quotes)");
	expect_error("flow f\n  on ussd #123#\n",
	    "t.flow:2:11: error: expected a USSD code after 'on ussd' ('#' "
	    "after white space starts a comment; a code starts with '*', such "
	    "as *384#)");
	/* Built-ins a flow cannot set by a group or a save. */
	expect_error("flow f\n  on match /^X (?<rest>.*)$/\n",
	    "t.flow:2:12: error: the group 'rest' is named as a built-in, "
	    "which a match cannot set: name it otherwise");
	expect_error("flow f\n  save phone = \"+999\"\n",
	    "t.flow:2:8: error: 'phone' is the contact's own "
	    "({contact.phone}), not a field to save");
	expect_error("flow f\n  save language = \"xx\"\n",
	    "t.flow:2:8: error: 'language' is the contact's own (set it with "
	    "the language step), not a field to save");
	expect_error("flow f\n  if x > 0x10 -> a\n  step a\n",
	    "t.flow:2:10: error: bad N '0x10': write it as a plain decimal "
	    "number (such as 18 or 2.5), as residents' answers are read");
	expect_error("flow f\n  if x > 1e3 -> a\n  step a\n",
	    "t.flow:2:10: error: bad N '1e3': write it as a plain decimal "
	    "number (such as 18 or 2.5), as residents' answers are read");
	expect_error("flow f\n  if x = y -> a\n  step a\n",
	    "t.flow:2:10: error: expected the value to compare (a "
	    "\"string\"), found 'y'");
	expect_error("flow f\n  if x is set -> flow\n",
	    "t.flow:2:22: error: expected a flow NAME");
}

static void
test_errors_data_steps(void **state)
{
	(void)state;
	expect_error("flow f\n  lookup b\n",
	    "t.flow:2:11: error: expected 'in' after the lookup NAME");
	expect_error("flow f\n  lookup b on t\n",
	    "t.flow:2:12: error: expected 'in' after the lookup NAME, found "
	    "'on'");
	expect_error("flow f\n  lookup b in\n",
	    "t.flow:2:14: error: expected a TABLE name after 'in'");
	expect_error("flow f\n  lookup b in t\n",
	    "t.flow:2:16: error: expected 'where' after the TABLE");
	expect_error("flow f\n  lookup b in t where\n",
	    "t.flow:2:22: error: expected a COLUMN name after 'where'");
	expect_error("flow f\n  lookup b in t where c \"x\"\n",
	    "t.flow:2:25: error: expected '=' after the COLUMN");
	expect_error("flow f\n  find rep x \"1\"\n",
	    "t.flow:2:8: error: expected 'report' after 'find', found 'rep'");
	expect_error("flow f\n  fetch w at \"u\"\n",
	    "t.flow:2:11: error: expected 'from' after the fetch NAME, found "
	    "'at'");
	expect_error("flow f\n  report r x\n",
	    "t.flow:2:12: error: unexpected 'x' after the report NAME");
}

static void
test_errors_clauses(void **state)
{
	struct buf b;
	int i;

	(void)state;
	expect_error("flow f\n  say \"x\"\n  check /a/ \"x\"\n",
	    "t.flow:3:3: error: 'check' must follow an 'ask' (a clause "
	    "belongs to the statement before it)");
	expect_error(
	    "flow f\n  menu m \"x\"\n    option \"a\"\n  tries 2 \"x\"\n",
	    "t.flow:4:3: error: 'tries' must follow an 'ask' (a clause "
	    "belongs to the statement before it)");
	expect_error("flow f\n  on keyword A\n  option \"x\"\n",
	    "t.flow:3:3: error: 'option' must follow a 'menu' (a clause "
	    "belongs to the statement before it)");
	expect_error("flow f\n  say \"x\"\n  missing \"x\"\n",
	    "t.flow:3:3: error: 'missing' must follow a 'lookup', 'fetch' or "
	    "'find report' (a clause belongs to the statement before it)");
	expect_error(
	    "flow f\n  lookup b in t where c = \"x\"\n  failed \"x\"\n",
	    "t.flow:3:3: error: 'failed' must follow a 'fetch' (a clause "
	    "belongs to the statement before it)");
	expect_error("flow f\n  category \"x\"\n",
	    "t.flow:2:3: error: 'category' must follow a 'report' (a clause "
	    "belongs to the statement before it)");
	expect_error(
	    "flow f\n  report r\n    details \"a\"\n    details \"b\"\n",
	    "t.flow:4:5: error: duplicate 'details' clause");
	expect_error("flow f\n  fetch w from \"http://h/\"\n    missing \"a\"\n"
		     "    missing \"b\"\n",
	    "t.flow:4:5: error: duplicate 'missing' clause");
	expect_error(
	    "flow f\n  ask a \"?\"\n    tries 2 \"a\"\n    tries 3 \"b\"\n",
	    "t.flow:4:5: error: duplicate 'tries' clause");
	expect_error("flow f\n  ask a \"?\"\n    tries 0 \"a\"\n",
	    "t.flow:3:11: error: tries must be at least 1");
	expect_error("flow f\n  ask a \"?\"\n    tries 1.5 \"a\"\n",
	    "t.flow:3:11: error: tries must be a whole number up to 1000");
	expect_error("flow f\n  ask a \"?\"\n    tries\n",
	    "t.flow:3:10: error: expected N (a number)");
	expect_error("flow f\n  ask a \"?\"\n    check number 5 1 \"n\"\n",
	    "t.flow:3:20: error: MIN 5 is greater than MAX 1");
	expect_error("flow f\n  ask a \"?\"\n    check number x 5 \"n\"\n",
	    "t.flow:3:18: error: bad MIN 'x': expected a number");
	expect_error("flow f\n  ask a \"?\"\n    check number 0x1 1e2 \"n\"\n",
	    "t.flow:3:18: error: bad MIN '0x1': write it as a plain decimal "
	    "number (such as 18 or 2.5), as residents' answers are read");
	expect_error("flow f\n  ask a \"?\"\n    check number 1\n",
	    "t.flow:3:19: error: expected MAX (a number)");
	expect_error(
	    "flow f\n  ask a \"?\"\n    check number 1 "
	    "1111111111111111111111111111111111111111111111111111111111"
	    "11111111 \"n\"\n",
	    "t.flow:3:20: error: bad MAX: number too long");
	expect_error("flow f\n  ask a \"?\"\n    check foo \"n\"\n",
	    "t.flow:3:11: error: expected /regex/ or 'number' after 'check'");
	expect_error("flow f\n  menu m \"?\"\n    option \"a\" = b\n"
		     "    option \"ok\"\n",
	    "t.flow:3:18: error: expected the option's value (a \"string\"), "
	    "found 'b'");
	expect_error("flow f\n  menu m \"?\"\n    option \"a\" x\n"
		     "    option \"ok\"\n",
	    "t.flow:3:16: error: unexpected 'x' after the option");

	/*
	 * The clauses of a broken statement are checked for their own errors
	 * (on a scratch step, not kept): the statement's error is not
	 * reported again, a good clause adds nothing, a bad regex and an
	 * undeclared language under it are found.
	 */
	expect_error(
	    "flow f\n  ask A \"?\"\n    check /a/ \"x\"\n      sw \"y\"\n",
	    "t.flow:2:7: error: bad name 'A': a NAME is [a-z_][a-z0-9_]*");
	{
		static const char src[] =
		    "flow f\n  ask A \"?\"\n    check /(/ \"x\"\n"
		    "  menu B \"?\"\n    option \"o\"\n      fr \"x\"\n"
		    "    check /a/ \"x\"\n  frob\n    option \"p\"\n";
		struct flow_findings f;
		struct flowset *set;

		flow_findings_init(&f);
		assert_int_equal(flowset_load_buffer("t.flow", src, strlen(src),
				     &cfg, &set, &f),
		    -1);
		if (f.nerrors != 6)
			dump(&f);
		assert_int_equal(f.nerrors, 6);
		assert_int_equal(f.v[0].line, 2); /* bad name A */
		assert_int_equal(f.v[1].line, 3); /* bad regex */
		assert_int_equal(f.v[2].line, 4); /* bad name B */
		assert_int_equal(f.v[3].line, 6); /* language fr */
		assert_int_equal(f.v[4].line, 7); /* check under a menu */
		assert_int_equal(f.v[5].line, 8); /* frob; its clause skipped */
		flow_findings_free(&f);
	}

	/* Limits on clauses. */
	buf_init(&b, 1 << 20);
	buf_puts(&b, "flow f\n  ask a \"?\"\n");
	for (i = 0; i <= FLOW_MAX_CHECKS; i++)
		buf_puts(&b, "    check /a/ \"x\"\n");
	expect_error(
	    buf_cstr(&b), "t.flow:19:5: error: too many checks (at most 16)");
	buf_reset(&b);
	buf_puts(&b, "flow f\n  menu m \"?\"\n");
	for (i = 0; i <= FLOW_MAX_OPTIONS; i++)
		buf_puts(&b, "    option \"x\"\n");
	expect_error(
	    buf_cstr(&b), "t.flow:102:5: error: too many options (at most 99)");
	buf_free(&b);
}

static void
test_errors_translations(void **state)
{
	(void)state;
	expect_error("flow f\n  sw \"Habari\"\n",
	    "t.flow:2:3: error: translation 'sw' without a TEXT before it");
	expect_error("flow f\n  step a\n  sw \"Habari\"\n",
	    "t.flow:3:3: error: translation 'sw' without a TEXT before it");
	expect_error("flow f\n  say \"Hi\"\n    fr \"Salut\"\n",
	    "t.flow:3:5: error: language 'fr' is not in languages (en sw): "
	    "add it to the config's languages, or remove the translation");
	expect_error("flow f\n  say \"Hi\"\n    sw \"a\"\n    sw \"b\"\n",
	    "t.flow:4:5: error: duplicate 'sw' translation (first at line 3)");
	expect_error("flow f\n  say \"Hi\"\n    sw \"a {\"\n",
	    "t.flow:3:11: error: unclosed '{' (write '{{' for a literal "
	    "brace)");
	expect_error("flow f\n  say \"Hi\"\n    sw \"a\" b\n",
	    "t.flow:3:12: error: unexpected 'b' after the translation");
}

static void
test_limits(void **state)
{
	struct buf b;
	char *big;
	int i;

	(void)state;
	/* A line over FLOW_MAX_LINE bytes. */
	buf_init(&b, 1 << 22);
	buf_puts(&b, "flow f\n  say \"");
	for (i = 0; i < FLOW_MAX_LINE; i++)
		buf_puts(&b, "a");
	buf_puts(&b, "\"\n");
	expect_error(buf_cstr(&b),
	    "t.flow:2:4097: error: line too long (at most 4096 bytes)");

	/* More than FLOW_MAX_STEPS steps: one error, at the first too many. */
	buf_reset(&b);
	buf_puts(&b, "flow f\n");
	for (i = 0; i <= FLOW_MAX_STEPS + 5; i++)
		buf_puts(&b, "  say \"x\"\n");
	expect_error(buf_cstr(&b),
	    "t.flow:2002:3: error: too many steps in flow 'f' (at most "
	    "2000)");

	/* More than FLOW_MAX_FLOWS flows; later lines still parse. */
	buf_reset(&b);
	for (i = 0; i <= FLOW_MAX_FLOWS; i++)
		buf_printf(&b, "flow f%d\n", i);
	buf_puts(&b, "  say \"x\"\n");
	expect_error(buf_cstr(&b),
	    "t.flow:1001:1: error: too many flows (at most 1000)");
	buf_free(&b);

	/* A file over FLOW_MAX_FILE bytes. */
	big = malloc(FLOW_MAX_FILE + 1);
	memset(big, '\n', FLOW_MAX_FILE + 1);
	expect_error_len(big, FLOW_MAX_FILE + 1,
	    "t.flow:1:1: error: file too large (1048577 bytes, at most "
	    "1048576)");
	free(big);
}

static void
test_keeps_going(void **state)
{
	static const char src[] = "flow f\n"
				  "  say \"a\n"
				  "  frob\n"
				  "  say \"ok\"\n"
				  "flow G\n"
				  "  say \"{\"\n"
				  "flow h\n"
				  "  ask x \"?\"\n"
				  "    check /(/ \"bad\"\n"
				  "    check /a/ \"good\"\n";
	struct flow_findings f;
	struct flowset *set;
	char *s;

	(void)state;
	flow_findings_init(&f);
	assert_int_equal(
	    flowset_load_buffer("t.flow", src, strlen(src), &cfg, &set, &f),
	    -1);
	assert_int_equal(f.nerrors, 5);
	s = flow_finding_format(&f.v[0]);
	assert_string_equal(s, "t.flow:2:7: error: unterminated string");
	free(s);
	assert_int_equal(f.v[1].line, 3);
	assert_int_equal(f.v[2].line, 5);
	assert_int_equal(f.v[3].line, 6);
	assert_int_equal(f.v[4].line, 9);
	flow_findings_free(&f);

	/* The parser on its own keeps the good statements. */
	set = flowset_new(&cfg);
	flow_findings_init(&f);
	assert_int_equal(
	    flow_parse_buffer(set, "t.flow", src, strlen(src), &f), -1);
	assert_int_equal(set->nflows, 2); /* G's line failed: not kept */
	assert_int_equal(set->flows[0]->nsteps, 1);
	assert_int_equal(set->flows[1]->steps[0].u.ask.nchecks, 1);
	flowset_free(set);
	flow_findings_free(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_spec_example),
	    cmocka_unit_test(test_every_statement),
	    cmocka_unit_test(test_comments_and_hash),
	    cmocka_unit_test(test_translations),
	    cmocka_unit_test(test_multiple_flows),
	    cmocka_unit_test(test_regex_helpers),
	    cmocka_unit_test(test_regex_limit),
	    cmocka_unit_test(test_regex_groups),
	    cmocka_unit_test(test_errors_statements),
	    cmocka_unit_test(test_errors_strings),
	    cmocka_unit_test(test_errors_regex),
	    cmocka_unit_test(test_errors_triggers),
	    cmocka_unit_test(test_errors_conditions),
	    cmocka_unit_test(test_errors_data_steps),
	    cmocka_unit_test(test_errors_clauses),
	    cmocka_unit_test(test_errors_translations),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_keeps_going),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
