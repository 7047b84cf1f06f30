/*
 * test_flow_check.c: the checker (errors and warnings across flows and
 * files), findings, loading a folder, the trigger indexes, and the shipped
 * example flows checking clean.
 */
#include <sys/stat.h>

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
#include "lib/log.h"

static const char *const langs[] = {"en", "sw"};
static const struct flow_config cfg = {langs, 2, 0};

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

/* True when f holds a finding formatted exactly as want. */
static int
has(const struct flow_findings *f, const char *want)
{
	size_t i;
	int found = 0;
	char *s;

	for (i = 0; i < f->n; i++) {
		s = flow_finding_format(&f->v[i]);
		if (strcmp(s, want) == 0)
			found = 1;
		free(s);
	}
	if (!found) {
		print_message("want: %s\n", want);
		dump(f);
	}
	return found;
}

/*
 * Checks src as t.flow with config c: exactly nerr errors and nwarn
 * warnings, one of them formatted as want (when not NULL).
 */
static void
expect(const struct flow_config *c, const char *src, size_t nerr, size_t nwarn,
    const char *want)
{
	struct flow_findings f;
	struct flowset *set;
	int rc;

	flow_findings_init(&f);
	rc = flowset_load_buffer("t.flow", src, strlen(src), c, &set, &f);
	if (f.nerrors != nerr || f.nwarnings != nwarn)
		dump(&f);
	assert_int_equal(f.nerrors, nerr);
	assert_int_equal(f.nwarnings, nwarn);
	assert_int_equal(rc, nerr > 0 ? -1 : 0);
	if (nerr > 0)
		assert_null(set);
	else
		assert_non_null(set);
	if (want != NULL)
		assert_true(has(&f, want));
	flowset_free(set);
	flow_findings_free(&f);
}

static void
test_unknown_targets(void **state)
{
	(void)state;
	expect(&cfg, "flow f\n  goto nowhere\n", 1, 0,
	    "t.flow:2:8: error: unknown step 'nowhere' in flow 'f'");
	expect(&cfg, "flow f\n  goto flow nope\n", 1, 0,
	    "t.flow:2:8: error: unknown flow 'nope'");
	expect(&cfg, "flow f\n  menu m \"?\"\n    option \"a\" -> x\n", 1, 0,
	    "t.flow:3:19: error: unknown step 'x' in flow 'f'");
	expect(&cfg, "flow f\n  if rest is set -> flow g\n", 1, 0,
	    "t.flow:2:21: error: unknown flow 'g'");
	expect(&cfg,
	    "flow f\n  lookup b in t where k = \"1\"\n    missing \"no\" -> "
	    "m\n",
	    1, 0, "t.flow:3:21: error: unknown step 'm' in flow 'f'");
	expect(&cfg,
	    "flow f\n  fetch w from \"http://h/\"\n    failed \"no\" -> flow "
	    "z\n",
	    1, 0, "t.flow:3:20: error: unknown flow 'z'");
	expect(&cfg, "flow f\n  find report r \"1\"\n    missing \"no\" -> q\n",
	    1, 0, "t.flow:3:21: error: unknown step 'q' in flow 'f'");
	/* A step of another flow is not a target. */
	expect(&cfg, "flow f\n  step a\nflow g\n  goto a\n", 1, 0,
	    "t.flow:4:8: error: unknown step 'a' in flow 'g'");
}

static void
test_duplicates(void **state)
{
	(void)state;
	expect(&cfg, "flow a\n  say \"x\"\nflow a\n  say \"y\"\n", 1, 0,
	    "t.flow:3:1: error: duplicate flow 'a' (first defined at "
	    "t.flow:1)");
	expect(&cfg,
	    "flow a\n  on keyword BILL\nflow b\n  on keyword pay bill\n", 1, 0,
	    "t.flow:4:18: error: keyword 'BILL' already used by flow 'a' "
	    "(t.flow:2)");
	/* Twice in one flow is harmless (a warning); a second flow's claim
	   is still an error. */
	expect(&cfg, "flow a\n  on keyword X x\n", 0, 1,
	    "t.flow:2:16: warning: keyword 'X' is written twice in flow 'a' "
	    "(first at line 2)");
	expect(&cfg, "flow a\n  on keyword X x\nflow b\n  on keyword X\n", 1, 1,
	    "t.flow:4:14: error: keyword 'X' already used by flow 'a' "
	    "(t.flow:2)");
	expect(&cfg, "flow a\n  on ussd *384#\nflow b\n  on ussd *384#\n", 1, 0,
	    "t.flow:4:11: error: USSD code '*384#' already used by flow 'a' "
	    "(t.flow:2)");
	/* Different codes sharing a prefix are fine. */
	expect(&cfg, "flow a\n  on ussd *384#\nflow b\n  on ussd *384*1#\n", 0,
	    0, NULL);
	expect(&cfg,
	    "flow a\n  on default\nflow b\n  on default\nflow c\n  on "
	    "default\n",
	    2, 0,
	    "t.flow:6:6: error: more than one 'on default' (first in flow "
	    "'a' at t.flow:2)");
}

static void
test_statement_errors(void **state)
{
	static const char *const en[] = {"en"};
	static const struct flow_config enonly = {en, 1, 0};

	(void)state;
	expect(&cfg, "flow f\n  menu m \"Pick\"\n  say \"x\"\n", 1, 0,
	    "t.flow:2:3: error: menu 'm' has no options");
	/* Translations only in the config's languages. */
	expect(&enonly, "flow f\n  say \"x\"\n    sw \"y\"\n", 1, 0,
	    "t.flow:3:5: error: language 'sw' is not in languages (en): add "
	    "it to the config's languages, or remove the translation");
	expect(&enonly, "flow f\n  language \"sw\"\n", 1, 0,
	    "t.flow:2:12: error: language 'sw' is not in languages (en): add "
	    "it to the config's languages");
	/* No languages at all means English only. */
	expect(NULL, "flow f\n  language \"en\"\n  say \"x\"\n    sw \"y\"\n",
	    1, 0,
	    "t.flow:4:5: error: language 'sw' is not in languages (en): add "
	    "it to the config's languages, or remove the translation");
	/* A language from a placeholder is checked at run time. */
	expect(&cfg, "flow f\n  language \"{contact.language}\"\n", 0, 0, NULL);
}

/*
 * A fetch URL names its server in literal text: http:// or https://, the
 * host and an optional port come before any placeholder.
 */
static void
test_fetch_url(void **state)
{
	(void)state;
	/* A placeholder in the host, the port or the scheme. */
	expect(&cfg,
	    "flow f\n  on keyword F\n"
	    "  fetch w from \"https://{rest}.example.org/x\"\n",
	    1, 0,
	    "t.flow:3:25: error: placeholder '{rest}' in the host or port of "
	    "the fetch URL (placeholders may only come after the host, in the "
	    "path or query)");
	expect(&cfg,
	    "flow f\n  on keyword F\n"
	    "  fetch w from \"http://api.example.org:{rest}/x\"\n",
	    1, 0,
	    "t.flow:3:40: error: placeholder '{rest}' in the host or port of "
	    "the fetch URL (placeholders may only come after the host, in the "
	    "path or query)");
	expect(&cfg,
	    "flow f\n  on keyword F\n  fetch w from \"http://{rest}\"\n", 1, 0,
	    NULL);
	expect(&cfg,
	    "flow f\n  on keyword F\n  fetch w from \"http://x{rest}?a=1\"\n",
	    1, 0, NULL);
	expect(&cfg,
	    "flow f\n  on keyword F\n"
	    "  fetch w from \"{rest}://api.example.org/x\"\n",
	    1, 0,
	    "t.flow:3:17: error: the fetch URL must start with http:// or "
	    "https:// and a host written out (a placeholder cannot give the "
	    "scheme, host or port)");
	expect(&cfg, "flow f\n  on keyword F\n  fetch w from \"{rest}/x\"\n", 1,
	    0, NULL);
	expect(&cfg, "flow f\n  on keyword F\n  fetch w from \"http{rest}\"\n",
	    1, 0, NULL);
	/* Relative URLs, other schemes, no host. */
	expect(&cfg, "flow f\n  on keyword F\n  fetch w from \"/api/{rest}\"\n",
	    1, 0,
	    "t.flow:3:17: error: the fetch URL must start with http:// or "
	    "https:// and a host written out");
	expect(&cfg,
	    "flow f\n  on keyword F\n  fetch w from \"api.example.org/x\"\n", 1,
	    0, NULL);
	expect(&cfg,
	    "flow f\n  on keyword F\n  fetch w from \"file:///etc/{rest}\"\n",
	    1, 0, NULL);
	expect(&cfg,
	    "flow f\n  on keyword F\n  fetch w from \"//h.example/{rest}\"\n",
	    1, 0, NULL);
	expect(&cfg, "flow f\n  fetch w from \"\"\n", 1, 0,
	    "t.flow:2:16: error: the fetch URL must start with http:// or "
	    "https:// and a host written out (a placeholder cannot give the "
	    "scheme, host or port)");
	expect(&cfg, "flow f\n  fetch w from \"https:///x\"\n", 1, 0,
	    "t.flow:2:17: error: the fetch URL has no host");
	/* A translation is held to the same rule. */
	expect(&cfg,
	    "flow f\n  on keyword F\n  fetch w from \"https://h.example/\"\n"
	    "    sw \"https://{rest}/\"\n",
	    1, 0,
	    "t.flow:4:17: error: placeholder '{rest}' in the host or port of "
	    "the fetch URL (placeholders may only come after the host, in the "
	    "path or query)");
	/* A literal host, port and user; placeholders in path and query. */
	expect(&cfg,
	    "flow f\n  on keyword F\n"
	    "  fetch w from \"https://api.example.org/v1/{rest}?q={rest}\"\n"
	    "  fetch x from \"http://127.0.0.1:8080/{rest}/{rest}.json\"\n"
	    "  fetch y from \"HTTPS://u@h.example:443?q={rest}#{rest}\"\n"
	    "  fetch z from \"https://h.example\"\n"
	    "  fetch v from \"https://h.example/{{x}}/{rest}\"\n",
	    0, 0, NULL);
}

static void
test_unassigned(void **state)
{
	(void)state;
	expect(&cfg, "flow f\n  say \"Hi {name}\"\n", 0, 1,
	    "t.flow:2:11: warning: variable 'name' is used but never "
	    "assigned in flow 'f'");
	/* Column of the '{' past an escape and multibyte characters. */
	expect(&cfg, "flow f\n  say \"\\\"\xc3\xa9\\\" {x.y}\"\n", 0, 1,
	    "t.flow:2:14: warning: variable 'x' is used but never assigned "
	    "in flow 'f'");
	expect(&cfg, "flow f\n  say \"x\"\n    sw \"{jina}\"\n", 0, 1,
	    "t.flow:3:9: warning: variable 'jina' is used but never assigned "
	    "in flow 'f'");
	expect(&cfg, "flow f\n  if ward = \"x\" -> a\n  step a\n", 0, 1,
	    "t.flow:2:6: warning: variable 'ward' is used but never assigned "
	    "in flow 'f'");
	/* The same name in a condition, then in a text (cached answer). */
	expect(&cfg,
	    "flow f\n  if age is empty -> a\n  step a\n  say \"{age}\"\n", 0, 2,
	    "t.flow:4:8: warning: variable 'age' is used but never assigned "
	    "in flow 'f'");
	expect(&cfg, "flow f\n  if rest = \"{v}\" -> a\n  step a\n", 0, 1,
	    "t.flow:2:14: warning: variable 'v' is used but never assigned "
	    "in flow 'f'");
	expect(&cfg,
	    "flow f\n  ask a \"?\"\n    check /x/ \"{b}\"\n    tries 2 "
	    "\"{c}\"\n"
	    "  menu m \"?\"\n    option \"{d}\"\n"
	    "  lookup l in t where k = \"{e}\"\n    missing \"{f}\"\n"
	    "  fetch w from \"http://h/{g}\"\n    missing \"{h}\"\n    failed "
	    "\"{i}\"\n"
	    "  report r\n    category \"{j}\"\n    location \"{k}\"\n"
	    "    details \"{l}\"\n  find report p \"{n}\"\n    missing "
	    "\"{o}\"\n",
	    0, 12, NULL); /* all but {l}, the lookup's own name */
	/* Every way of assigning, and the built-ins. */
	expect(&cfg,
	    "flow f\n  on match /^(?<acct>\\d+)$/\n"
	    "  say \"{acct} {rest} {input} {contact.phone} {contact.ward}\"\n"
	    "  say \"{a} {m} {s} {l.x} {w.a.b} {r.id} {p.status}\"\n"
	    "  ask a \"?\"\n  menu m \"?\"\n    option \"o\"\n  set s = \"1\"\n"
	    "  lookup l in t where k = \"1\"\n  fetch w from \"http://h/\"\n"
	    "  report r\n  find report p \"1\"\n  if contact.ward is set -> x\n"
	    "  step x\n",
	    0, 0, NULL);
}

static void
test_carry_over(void **state)
{
	(void)state;
	/* a assigns x and jumps to b, b to c: both may use x. */
	expect(&cfg,
	    "flow a\n  set x = \"1\"\n  goto flow b\n"
	    "flow b\n  say \"{x}\"\n  menu m \"?\"\n    option \"c\" -> flow "
	    "c\n"
	    "flow c\n  say \"{x} {m}\"\n",
	    0, 0, NULL);
	/* d is not jumped to from a flow that assigns y. */
	expect(&cfg,
	    "flow a\n  set x = \"1\"\n  goto flow d\n"
	    "flow d\n  say \"{x} {y}\"\n",
	    0, 1,
	    "t.flow:5:12: warning: variable 'y' is used but never assigned "
	    "in flow 'd'");
}

static void
test_unreachable(void **state)
{
	(void)state;
	expect(&cfg,
	    "flow f\n  step top\n  goto top\n  say \"a\"\n  say \"b\"\n", 0, 1,
	    "t.flow:4:3: warning: unreachable 'say' (after the 'goto' on "
	    "line 3 and no 'step' label before it)");
	expect(&cfg, "flow f\n  end \"bye\"\n  ask x \"?\"\n", 0, 1,
	    "t.flow:3:3: warning: unreachable 'ask' (after the 'end' on line "
	    "2 and no 'step' label before it)");
	/* A label jumped to makes what follows reachable; conditional jumps
	   do not end; a label nothing jumps to stays unreachable. */
	expect(&cfg,
	    "flow f\n  if rest is set -> b\n  end\n  step b\n  say \"b\"\n"
	    "  goto flow g\n  step c\n  say \"c\"\nflow g\n  say \"g\"\n",
	    0, 1,
	    "t.flow:7:3: warning: unreachable step 'c' (nothing that runs "
	    "jumps to it, and the 'goto' on line 6 does not go on to it)");
	expect(&cfg,
	    "flow f\n  on keyword A\n  end \"x\"\n  step orphan\n"
	    "  say \"never\"\n",
	    0, 1,
	    "t.flow:4:3: warning: unreachable step 'orphan' (nothing that "
	    "runs jumps to it, and the 'end' on line 3 does not go on to it)");
	/* A label reached only from dead steps is dead too: one warning for
	   the whole run. */
	expect(&cfg, "flow f\n  end\n  step a\n  say \"a\"\n  goto a\n", 0, 1,
	    "t.flow:3:3: warning: unreachable step 'a' (nothing that runs "
	    "jumps to it, and the 'end' on line 2 does not go on to it)");
	/* A menu whose options all jump does not go on; one that has an
	   option without a target does. */
	expect(&cfg,
	    "flow f\n  menu m \"Pick\"\n    option \"x\" -> p\n"
	    "    option \"y\" -> flow g\n  say \"never\"\n  step p\n"
	    "  end \"z {m}\"\nflow g\n  say \"g\"\n",
	    0, 1,
	    "t.flow:5:3: warning: unreachable 'say' (every option of the "
	    "'menu' on line 2 jumps, and no 'step' label before it)");
	expect(&cfg,
	    "flow f\n  menu m \"Pick\"\n    option \"x\" -> p\n"
	    "    option \"y\"\n  say \"y\"\n  step p\n  end \"{m}\"\n",
	    0, 0, NULL);
	/* A loop back to a label and a missing clause's jump reach. */
	expect(&cfg,
	    "flow f\n  step top\n  ask n \"?\"\n  if n = \"1\" -> top\n"
	    "  lookup b in bills where id = \"{n}\"\n"
	    "    missing \"no\" -> gone\n  end \"{b.x}\"\n  step gone\n"
	    "  end\n",
	    0, 0, NULL);
}

static void
test_ussd_screens(void **state)
{
	static const struct flow_config small = {langs, 2, 40};
	char src[1024];

	(void)state;
	/* Built text plus the prompt, at the wait. */
	snprintf(src, sizeof(src),
	    "flow f\n  on ussd *1#\n  say \"%0100d\"\n  ask x \"%0100d\"\n"
	    "  end \"{x}\"\n",
	    0, 0);
	expect(&cfg, src, 0, 1,
	    "t.flow:4:3: warning: USSD screen of 201 characters (language "
	    "en) is over the limit of 182");
	/* The same flow without a USSD trigger is only SMS: no warning. */
	snprintf(src, sizeof(src),
	    "flow f\n  on keyword F\n  say \"%0100d\"\n  ask x \"%0100d\"\n"
	    "  end \"{x}\"\n",
	    0, 0);
	expect(&cfg, src, 0, 0, NULL);
	/* The limit is the config's; a translation may be the long one. */
	expect(&small,
	    "flow f\n  on ussd *1#\n  end \"Short, fine.\"\n"
	    "    sw \"Hii ni ndefu kuliko herufi arobaini kabisa.\"\n",
	    0, 1,
	    "t.flow:3:3: warning: USSD screen of 43 characters (language sw) "
	    "is over the limit of 40");
	/*
	 * Placeholders count 0, options are aside, the menu's wait clears the
	 * text: the goto brings 20 characters to a 18-character prompt.
	 */
	expect(&small,
	    "flow f\n  on ussd *1#\n  step top\n"
	    "  say \"{a_very_long_placeholder_name_here}{another_one}\"\n"
	    "  menu a \"Pick one of these:\"\n"
	    "    option \"An option much longer than forty characters\"\n"
	    "  say \"Twenty characters...\"\n  goto top\n",
	    0, 2, NULL);
	/* A check's retry text is shown with the prompt. */
	expect(&small,
	    "flow f\n  on ussd *1#\n  ask x \"Number:\"\n"
	    "    check /^\\d+$/ \"Digits only, please. Try again now:\"\n",
	    0, 1,
	    "t.flow:3:3: warning: USSD screen of 43 characters (language en) "
	    "is over the limit of 40");
	/* Flows reached from a USSD flow with -> flow are USSD too. */
	expect(&small,
	    "flow f\n  on ussd *1#\n  goto flow g\n"
	    "flow g\n  say \"This text is longer than forty characters.\"\n",
	    0, 1,
	    "t.flow:5:3: warning: USSD screen of 42 characters (language en) "
	    "is over the limit of 40");
	/* The built text follows an if's jump, a goto and -> flow. */
	expect(&small,
	    "flow f\n  on ussd *1#\n  say \"Twenty-five characters...\"\n"
	    "  if x is set -> q\n  end\n  step q\n  ask x \"Sixteen "
	    "chars...\"\n",
	    0, 1,
	    "t.flow:7:3: warning: USSD screen of 42 characters (language en) "
	    "is over the limit of 40");
	expect(&small,
	    "flow f\n  on ussd *1#\n  say \"Twenty-five characters...\"\n"
	    "  goto q\n  step q\n  ask x \"Sixteen chars...\"\n",
	    0, 1,
	    "t.flow:6:3: warning: USSD screen of 42 characters (language en) "
	    "is over the limit of 40");
	expect(&small,
	    "flow f\n  on ussd *1#\n  say \"Twenty-five characters...\"\n"
	    "  goto flow g\nflow g\n  ask x \"Sixteen chars...\"\n",
	    0, 1,
	    "t.flow:6:3: warning: USSD screen of 42 characters (language en) "
	    "is over the limit of 40");
	/* A missing clause's text goes with it to its target. */
	expect(&small,
	    "flow f\n  on ussd *1#\n  say \"Fifteen chars..\"\n"
	    "  lookup b in bills where id = \"1\"\n"
	    "    missing \"Not found.\" -> q\n  end \"{b.x}\"\n"
	    "  step q\n  ask x \"Sixteen chars...\"\n",
	    0, 1,
	    "t.flow:8:3: warning: USSD screen of 43 characters (language en) "
	    "is over the limit of 40");
	/* The words said when an ask's tries run out are a screen too. */
	expect(&small,
	    "flow f\n  on ussd *1#\n  ask x \"Number:\"\n    tries 2 "
	    "\"Too many wrong answers; dial again later, please.\"\n",
	    0, 1,
	    "t.flow:3:3: warning: USSD screen of 49 characters (language en) "
	    "is over the limit of 40");
	/* A loop that never waits is counted up to a bound, and ends. */
	expect(&small,
	    "flow f\n  on ussd *1#\n  step top\n  say \"more\"\n"
	    "  if x is set -> top\n  ask x \"?\"\n",
	    0, 1,
	    "t.flow:6:3: warning: USSD screen of 163 characters (language en) "
	    "is over the limit of 40");
}

/* flow_findings_log writes one log line per finding, at its level. */
static void
log_findings(const struct flow_findings *f)
{
	char path[] = "/tmp/test_flow_check_XXXXXX", line[256];
	int fd, saved, nerr = 0, nwarn = 0, nlines = 0;
	FILE *fp;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	assert_int_equal(flow_findings_log(f, "flows"), 4);
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	fp = fdopen(fd, "r");
	assert_non_null(fp);
	rewind(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		nlines++;
		if (strstr(line, " ERROR flows: ") != NULL)
			nerr++;
		if (strstr(line, " WARN flows: b.flow:2:1: warning: w1") !=
		    NULL)
			nwarn++;
	}
	fclose(fp);
	unlink(path);
	assert_int_equal(nlines, 6);
	assert_int_equal(nerr, 4);
	assert_int_equal(nwarn, 1);
}

static void
test_findings(void **state)
{
	struct flow_findings f;
	char *s, path[] = "/tmp/test_flow_check_XXXXXX", line[256];
	FILE *fp;
	int fd, i;

	(void)state;
	flow_findings_init(&f);
	flow_findings_add(&f, "b.flow", 2, 1, FINDING_WARNING, "w%d", 1);
	flow_findings_add(&f, "a.flow", 9, 3, FINDING_ERROR, "e%d", 1);
	flow_findings_add(&f, "a.flow", 2, 5, FINDING_ERROR, "e%d", 2);
	flow_findings_add(&f, "a.flow", 2, 5, FINDING_WARNING, "w%d", 2);
	flow_findings_add(&f, NULL, 0, 0, FINDING_ERROR, "config: bad");
	flow_findings_add(&f, "c.flow", 0, 0, FINDING_ERROR, "unreadable");
	flow_findings_sort(&f);
	assert_int_equal(f.nerrors, 4);
	assert_int_equal(f.nwarnings, 2);
	s = flow_finding_format(&f.v[0]);
	assert_string_equal(s, "error: config: bad");
	free(s);
	s = flow_finding_format(&f.v[1]);
	assert_string_equal(s, "a.flow:2:5: error: e2");
	free(s);
	s = flow_finding_format(&f.v[2]);
	assert_string_equal(s, "a.flow:2:5: warning: w2");
	free(s);
	s = flow_finding_format(&f.v[3]);
	assert_string_equal(s, "a.flow:9:3: error: e1");
	free(s);
	s = flow_finding_format(&f.v[5]);
	assert_string_equal(s, "c.flow: error: unreadable");
	free(s);

	/* Printing: one line each, returns the number of errors. */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w+");
	assert_int_equal(flow_findings_print(&f, fp), 4);
	rewind(fp);
	assert_non_null(fgets(line, sizeof(line), fp));
	assert_string_equal(line, "error: config: bad\n");
	assert_non_null(fgets(line, sizeof(line), fp));
	assert_string_equal(line, "a.flow:2:5: error: e2\n");
	fclose(fp);
	unlink(path);
	log_findings(&f);
	flow_findings_free(&f);

	/* Past the maximum, findings are counted, not kept. */
	flow_findings_init(&f);
	for (i = 0; i < FLOW_MAX_FINDINGS + 3; i++)
		flow_findings_add(&f, "x", 1, 1, FINDING_WARNING, "w");
	assert_int_equal(f.n, FLOW_MAX_FINDINGS);
	assert_int_equal(f.ndropped, 3);
	assert_int_equal(f.nwarnings, FLOW_MAX_FINDINGS + 3);
	flow_findings_free(&f);
}

/* Writes a file in dir. */
static void
write_file(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	free(path);
}

static void
remove_file(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);

	unlink(path);
	free(path);
}

static void
test_load_folder(void **state)
{
	char dir[] = "/tmp/test_flow_check_XXXXXX";
	struct flow_findings f;
	struct flowset *set;
	const struct flow *fl;
	const char *rest;
	size_t restlen;
	char *want;

	(void)state;
	assert_non_null(mkdtemp(dir));
	write_file(dir, "b.flow",
	    "flow second\n  on match /^b/\n  on keyword Pay\n"
	    "  on ussd *384*1#\n  say \"b\"\n");
	write_file(dir, "a.flow",
	    "flow first\n  on match /^a/\n  on match /^c/\n  on keyword BILL "
	    "bal\n  on ussd *384#\n  on default\n  say \"a\"\n");
	write_file(dir, "notes.txt", "not a flow\n");
	write_file(dir, ".hidden.flow", "garbage\n");

	flow_findings_init(&f);
	assert_int_equal(flowset_load(dir, &cfg, &set, &f), 0);
	assert_int_equal(f.n, 0);
	assert_int_equal(set->nfiles, 2);
	assert_int_equal(set->nflows, 2);
	/* Files in name order, then line order. */
	assert_string_equal(set->flows[0]->name, "first");
	assert_string_equal(set->flows[1]->name, "second");
	want = xasprintf("%s/a.flow", dir);
	assert_string_equal(set->flows[0]->pos.file, want);
	free(want);
	assert_int_equal(set->nmatches, 3);
	assert_string_equal(set->matches[0].re->src, "^a");
	assert_string_equal(set->matches[1].re->src, "^c");
	assert_string_equal(set->matches[2].re->src, "^b");
	assert_ptr_equal(set->matches[2].flow, set->flows[1]);

	/* Keywords, case-insensitively. */
	assert_ptr_equal(flowset_keyword(set, "bill"), set->flows[0]);
	assert_ptr_equal(flowset_keyword(set, "BAL"), set->flows[0]);
	assert_ptr_equal(flowset_keyword(set, "pAy"), set->flows[1]);
	assert_null(flowset_keyword(set, "BILLS"));
	assert_null(flowset_keyword(set, ""));

	/* USSD: the longest code that is a prefix; the rest is queued. */
	fl = flowset_ussd(set, "*384*1*1234567#", &rest, &restlen);
	assert_ptr_equal(fl, set->flows[1]);
	assert_int_equal(restlen, 7);
	assert_memory_equal(rest, "1234567", 7);
	fl = flowset_ussd(set, "*384*1#", &rest, &restlen);
	assert_ptr_equal(fl, set->flows[1]);
	assert_int_equal(restlen, 0);
	fl = flowset_ussd(set, "*384*2*5#", &rest, &restlen);
	assert_ptr_equal(fl, set->flows[0]);
	assert_int_equal(restlen, 3);
	assert_memory_equal(rest, "2*5", 3);
	fl = flowset_ussd(set, "*384", &rest, &restlen);
	assert_ptr_equal(fl, set->flows[0]);
	assert_null(flowset_ussd(set, "*3841#", &rest, &restlen));
	assert_null(flowset_ussd(set, "*38#", &rest, &restlen));

	assert_ptr_equal(set->default_flow, set->flows[0]);
	assert_int_equal(flowset_language(set, "sw"), 1);
	assert_int_equal(flowset_language(set, "EN"), 0);
	assert_int_equal(flowset_language(set, "fr"), -1);
	flowset_free(set);
	flow_findings_free(&f);

	/* A duplicate across files, and a syntax error: sorted findings. */
	write_file(dir, "c.flow",
	    "flow first\n  on keyword pay\n  frob\n  say \"{nobody}\"\n");
	flow_findings_init(&f);
	assert_int_equal(flowset_load(dir, &cfg, &set, &f), -1);
	assert_null(set);
	assert_int_equal(f.nerrors, 3);
	assert_int_equal(f.nwarnings, 1);
	want = xasprintf("%s/c.flow:1:1: error: duplicate flow 'first' "
			 "(first defined at %s/a.flow:1)",
	    dir, dir);
	assert_true(has(&f, want));
	free(want);
	want = xasprintf("%s/c.flow:2:14: error: keyword 'PAY' already used "
			 "by flow 'second' (%s/b.flow:3)",
	    dir, dir);
	assert_true(has(&f, want));
	free(want);
	want = xasprintf("%s/c.flow:3:3: error: unknown statement 'frob'", dir);
	assert_true(has(&f, want));
	free(want);
	assert_int_equal(f.v[f.n - 1].line, 4);
	assert_int_equal(f.v[f.n - 1].severity, FINDING_WARNING);
	flow_findings_free(&f);

	remove_file(dir, "a.flow");
	remove_file(dir, "b.flow");
	remove_file(dir, "c.flow");
	remove_file(dir, "notes.txt");
	remove_file(dir, ".hidden.flow");
	rmdir(dir);

	/* A folder that does not exist. */
	flow_findings_init(&f);
	assert_int_equal(flowset_load(dir, &cfg, &set, &f), -1);
	want = xasprintf("%s: error: cannot open the flows folder: No such "
			 "file or directory",
	    dir);
	assert_true(has(&f, want));
	free(want);
	flow_findings_free(&f);
}

static void
test_examples(void **state)
{
	const char *srcdir = getenv("srcdir");
	struct flow_findings f;
	struct flowset *set;
	const char *rest;
	size_t restlen;
	char *dir;

	(void)state;
	dir = xasprintf("%s/flows/examples", srcdir ? srcdir : ".");
	flow_findings_init(&f);
	if (flowset_load(dir, &cfg, &set, &f) != 0 || f.n != 0)
		dump(&f);
	assert_int_equal(f.n, 0);
	assert_non_null(set);
	assert_non_null(flowset_find(set, "bills"));
	assert_non_null(flowset_find(set, "report"));
	assert_non_null(flowset_find(set, "status"));
	assert_non_null(flowset_find(set, "alerts"));
	assert_ptr_equal(set->default_flow, flowset_find(set, "help"));
	assert_ptr_equal(
	    flowset_keyword(set, "bill"), flowset_find(set, "bills"));
	assert_ptr_equal(
	    flowset_keyword(set, "Status"), flowset_find(set, "status"));
	assert_ptr_equal(flowset_ussd(set, "*384*1*1234567#", &rest, &restlen),
	    flowset_find(set, "bills"));
	assert_int_equal(restlen, 7);
	assert_ptr_equal(flowset_ussd(set, "*384#", &rest, &restlen),
	    flowset_find(set, "main"));
	flowset_free(set);
	flow_findings_free(&f);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_unknown_targets),
	    cmocka_unit_test(test_duplicates),
	    cmocka_unit_test(test_statement_errors),
	    cmocka_unit_test(test_fetch_url),
	    cmocka_unit_test(test_unassigned),
	    cmocka_unit_test(test_carry_over),
	    cmocka_unit_test(test_unreachable),
	    cmocka_unit_test(test_ussd_screens),
	    cmocka_unit_test(test_findings),
	    cmocka_unit_test(test_load_folder),
	    cmocka_unit_test(test_examples),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
