/*
 * test_engine.c: the flow engine through the real parser. Flows are written
 * as strings, loaded with flowset_load_buffer, and driven by a fake host
 * that answers actions from canned data and records what it was asked.
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
#include <jansson.h>

#include "flows/engine.h"
#include "flows/memo.h"
#include "flows/render.h"

/* ---- a fake host ---- */

struct host {
	const char *row_key;            /* lookup: the only key found */
	const struct engine_field *row; /* its fields */
	size_t nrow;
	enum engine_reply_kind fetch; /* fetch outcome */
	const char *fetch_body;       /* REPLY_FETCHED body */
	const char *report_id;        /* number given to new reports */
	const char *known_report;     /* find report: the one that exists */
	const struct engine_field *report; /* its fields */
	size_t nreport;
	int fail_all;   /* every action fails */
	char log[4096]; /* "kind args;" per action */
};

struct t {
	const char *langs[2];
	struct flow_config cfg;
	struct flowset *set;
	struct engine eng;
	struct flow_session *s;
	struct engine_result r;
	struct host h;
	char *wire; /* last USSD wire text */
};

static void
logf_(struct host *h, const char *fmt, ...)
{
	size_t len = strlen(h->log);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->log + len, sizeof(h->log) - len, fmt, ap);
	va_end(ap);
}

/* Carries out actions until the engine waits or ends (bounded). */
static void
drive(struct t *t)
{
	int i;

	for (i = 0; i < 200 && t->r.status == ENGINE_ACTION; i++) {
		struct engine_action *a = &t->r.action;
		struct engine_reply rep = {.kind = REPLY_OK};

		assert_non_null(a->file);
		assert_true(a->line > 0);
		switch (a->kind) {
		case ACTION_LOOKUP:
			logf_(&t->h, "lookup %s %s=%s;", a->table, a->column,
			    a->value);
			if (t->h.row_key &&
			    strcmp(a->value, t->h.row_key) == 0) {
				rep.kind = REPLY_FOUND;
				rep.fields = t->h.row;
				rep.nfields = t->h.nrow;
			} else
				rep.kind = REPLY_NOT_FOUND;
			break;
		case ACTION_FETCH:
			logf_(&t->h, "fetch %s;", a->url);
			rep.kind = t->h.fetch;
			rep.body = t->h.fetch_body;
			rep.bodylen =
			    t->h.fetch_body ? strlen(t->h.fetch_body) : 0;
			break;
		case ACTION_REPORT:
			logf_(&t->h, "report %s|%s|%s;", a->category,
			    a->location, a->details);
			rep.id = t->h.report_id;
			break;
		case ACTION_FIND_REPORT:
			logf_(&t->h, "find %s;", a->id);
			if (t->h.known_report &&
			    strcmp(a->id, t->h.known_report) == 0) {
				rep.kind = REPLY_FOUND;
				rep.fields = t->h.report;
				rep.nfields = t->h.nreport;
			} else
				rep.kind = REPLY_NOT_FOUND;
			break;
		case ACTION_SUBSCRIBE:
			logf_(&t->h, "subscribe %s;", a->topic);
			break;
		case ACTION_UNSUBSCRIBE:
			logf_(&t->h, "unsubscribe %s;", a->topic);
			break;
		case ACTION_SAVE:
			logf_(&t->h, "save %s=%s;", a->field, a->value);
			break;
		case ACTION_LANGUAGE:
			logf_(&t->h, "language %s;", a->language);
			break;
		}
		if (t->h.fail_all)
			rep.kind = REPLY_FAILED;
		assert_int_equal(engine_resume(&t->eng, t->s, &rep, &t->r), 0);
	}
	assert_int_not_equal(t->r.status, ENGINE_ACTION);
	if (t->s && engine_session_channel(t->s) == ENGINE_USSD) {
		free(t->wire);
		t->wire =
		    render_ussd_wire(t->r.text, t->r.status != ENGINE_WAIT);
	}
}

static int
setup(void **state)
{
	struct t *t = calloc(1, sizeof(*t));

	t->langs[0] = "en";
	t->langs[1] = "sw";
	t->cfg.languages = t->langs;
	t->cfg.nlanguages = 2;
	t->cfg.ussd_limit = 182;
	t->eng.error_text = "Sorry, error.";
	t->eng.invalid_choice_text =
	    "Please reply with one of the numbers shown.";
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct t *t = *state;

	engine_session_free(t->s);
	engine_result_free(&t->r);
	flowset_free(t->set);
	free(t->wire);
	free(t);
	return 0;
}

static struct flowset *
parse(struct t *t, const char *src)
{
	struct flow_findings fi;
	struct flowset *set = NULL;

	flow_findings_init(&fi);
	if (flowset_load_buffer(
		"test.flow", src, strlen(src), &t->cfg, &set, &fi) != 0)
		flow_findings_print(&fi, stderr);
	flow_findings_free(&fi);
	assert_non_null(set);
	return set;
}

static void
load(struct t *t, const char *src)
{
	flowset_free(t->set);
	t->set = parse(t, src);
	t->eng.set = t->set;
}

static void
new_session(struct t *t, enum engine_channel ch, const char *lang)
{
	engine_session_free(t->s);
	t->s = engine_session_new(ch, "+254700000001", lang, 0);
	t->h.log[0] = '\0';
}

/* An SMS outside a session; returns what engine_route_sms returned. */
static int
sms_new(struct t *t, const char *text)
{
	int rc;

	new_session(t, ENGINE_SMS, NULL);
	rc = engine_route_sms(&t->eng, t->s, text, &t->r);
	if (rc == 1)
		drive(t);
	return rc;
}

/* An answer to the waiting session. */
static void
reply(struct t *t, const char *text)
{
	assert_int_equal(engine_input(&t->eng, t->s, text, &t->r), 0);
	drive(t);
}

static int
ussd_new(struct t *t, const char *dialled)
{
	int rc;

	new_session(t, ENGINE_USSD, NULL);
	rc = engine_route_ussd(&t->eng, t->s, dialled, &t->r);
	if (rc == 1)
		drive(t);
	return rc;
}

static void
start(struct t *t, enum engine_channel ch, const char *name)
{
	new_session(t, ch, NULL);
	assert_int_equal(engine_start(&t->eng, t->s, name, &t->r), 0);
	drive(t);
}

#define assert_result(t, st, txt)                                      \
	do {                                                           \
		assert_string_equal(engine_status_name((t)->r.status), \
		    engine_status_name(st));                           \
		assert_string_equal((t)->r.text, (txt));               \
	} while (0)

/* ---- the bills example of docs/flows.md ---- */

static const char bills[] =
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

static const struct engine_field bill_row[] = {
    {"account", "1234567"},
    {"balance", "1,250"},
    {"due_date", "2026-12-15"},
};

static void
bills_host(struct t *t)
{
	load(t, bills);
	t->h.row_key = "1234567";
	t->h.row = bill_row;
	t->h.nrow = nitems(bill_row);
}

static void
test_bills_sms_match_answers_at_once(void **state)
{
	struct t *t = *state;

	bills_host(t);
	assert_int_equal(sms_new(t, "BAL 1234567"), 1);
	assert_result(t, ENGINE_END,
	    "Account 1234567: balance KES 1,250, due 2026-12-15.");
	assert_string_equal(t->h.log, "lookup bills account=1234567;");
	assert_true(engine_session_done(t->s));
	/* The match is caseless and needs no space. */
	assert_int_equal(sms_new(t, "bill1234567"), 1);
	assert_result(t, ENGINE_END,
	    "Account 1234567: balance KES 1,250, due 2026-12-15.");
}

static void
test_bills_sms_asks_first(void **state)
{
	struct t *t = *state;

	bills_host(t);
	assert_int_equal(sms_new(t, "bal"), 1);
	assert_result(t, ENGINE_WAIT, "Enter your water account number:");
	assert_string_equal(t->h.log, "");
	reply(t, " 1234567 ");
	assert_result(t, ENGINE_END,
	    "Account 1234567: balance KES 1,250, due 2026-12-15.");

	/* A missing account: the default is to say the text and end. */
	assert_int_equal(sms_new(t, "MAJI"), 1);
	reply(t, "7654321");
	assert_result(t, ENGINE_END, "No bill found for account 7654321.");
}

static void
test_bills_check_and_translation(void **state)
{
	struct t *t = *state;

	bills_host(t);
	new_session(t, ENGINE_SMS, "sw");
	assert_int_equal(engine_route_sms(&t->eng, t->s, "BILL 12", &t->r), 1);
	drive(t);
	/* "BILL 12" fails the match (too short) but the keyword fires. */
	assert_result(t, ENGINE_WAIT, "Weka nambari ya akaunti yako ya maji:");
	reply(t, "12");
	/* The check's text, then the question asked again. */
	assert_result(t, ENGINE_WAIT,
	    "Nambari ya akaunti ina tarakimu 6 hadi 10. Jaribu tena:\n"
	    "Weka nambari ya akaunti yako ya maji:");
	reply(t, "1234567");
	assert_int_equal(t->r.status, ENGINE_END);

	/* USSD in Swahili; the host's language code is normalised. */
	new_session(t, ENGINE_USSD, "SW");
	assert_string_equal(engine_session_language(t->s), "sw");
	assert_int_equal(engine_route_ussd(&t->eng, t->s, "*384*1#", &t->r), 1);
	drive(t);
	assert_string_equal(
	    t->wire, "CON Weka nambari ya akaunti yako ya maji:");
	reply(t, "abc");
	assert_string_equal(t->wire,
	    "CON Nambari ya akaunti ina tarakimu 6 hadi 10. Jaribu tena:\n"
	    "Weka nambari ya akaunti yako ya maji:");
	/* A language the set does not know falls back to the default. */
	new_session(t, ENGINE_SMS, "fr");
	assert_int_equal(engine_route_sms(&t->eng, t->s, "BAL", &t->r), 1);
	assert_result(t, ENGINE_WAIT, "Enter your water account number:");
}

static void
test_bills_ussd(void **state)
{
	struct t *t = *state;

	bills_host(t);
	assert_int_equal(ussd_new(t, "*384*1#"), 1);
	assert_string_equal(t->wire, "CON Enter your water account number:");
	reply(t, "1234567");
	assert_string_equal(
	    t->wire, "END Account 1234567: balance KES 1,250, due 2026-12-15.");

	/* Digits dialled beyond the code answer the ask at once. */
	assert_int_equal(ussd_new(t, "*384*1*1234567#"), 1);
	assert_string_equal(
	    t->wire, "END Account 1234567: balance KES 1,250, due 2026-12-15.");
	assert_string_equal(t->h.log, "lookup bills account=1234567;");

	/* Other codes do not match. */
	assert_int_equal(ussd_new(t, "*384*2#"), 0);
	assert_int_equal(ussd_new(t, "*3841#"), 0);
}

/* ---- routing ---- */

static void
test_route_order_and_rest(void **state)
{
	struct t *t = *state;

	load(t,
	    "flow m\n"
	    "  on match /^rep(?:ort)?\\s+(?<what>\\w+)\\s+(?<where>\\w+)$/i\n"
	    "  say \"match {what} at {where} rest=[{rest}]\"\n"
	    "flow k\n"
	    "  on keyword REPORT HELP\n"
	    "  say \"keyword rest=[{rest}] input=[{input}]\"\n"
	    "flow d\n"
	    "  on default\n"
	    "  say \"default: {input}\"\n");
	/* match before keyword, even though REPORT is a keyword of k */
	assert_int_equal(sms_new(t, "report leak market"), 1);
	assert_result(t, ENGINE_END, "match leak at market rest=[]");
	assert_string_equal(engine_session_var(t->s, "what"), "leak");
	/* keyword, case-insensitive, {rest} trimmed */
	assert_int_equal(sms_new(t, "  help   me  now  "), 1);
	assert_result(
	    t, ENGINE_END, "keyword rest=[me  now] input=[  help   me  now  ]");
	assert_int_equal(sms_new(t, "Report"), 1);
	assert_result(t, ENGINE_END, "keyword rest=[] input=[Report]");
	/* default */
	assert_int_equal(sms_new(t, "hello there"), 1);
	assert_result(t, ENGINE_END, "default: hello there");

	/* Case in any script: a keyword, and a menu answer by its text. */
	load(t, "flow e\n  on keyword école\n  say \"e\"\n"
		"flow m\n  on keyword M\n  menu c \"Pick\"\n"
		"    option \"Élan\"\n    option \"Жук\"\n  end \"c={c}\"\n");
	assert_int_equal(sms_new(t, "ÉCOLE"), 1);
	assert_result(t, ENGINE_END, "e");
	assert_int_equal(sms_new(t, "École ya kati"), 1);
	assert_result(t, ENGINE_END, "e");
	assert_int_equal(sms_new(t, "m"), 1);
	reply(t, "élan");
	assert_result(t, ENGINE_END, "c=Élan");
	assert_int_equal(sms_new(t, "m"), 1);
	reply(t, "ЖУК");
	assert_result(t, ENGINE_END, "c=Жук");

	/* Without a default nothing takes it. */
	load(t, "flow k\n  on keyword HI\n  say \"hi\"\n");
	assert_int_equal(sms_new(t, "bye"), 0);
	assert_int_equal(sms_new(t, ""), 0);
}

static void
test_route_match_and_keyword_same_flow(void **state)
{
	struct t *t = *state;

	load(t, "flow p\n"
		"  on keyword PAY\n"
		"  on match /^pay\\s+(?<amount>\\d+)$/i\n"
		"  ask amount \"How much?\"\n"
		"  say \"Paying {amount} ({rest})\"\n");
	/* The match fills its group even though the keyword also fires. */
	assert_int_equal(sms_new(t, "PAY 300"), 1);
	assert_result(t, ENGINE_END, "Paying 300 (300)");
	assert_int_equal(sms_new(t, "pay lots"), 1);
	assert_result(t, ENGINE_WAIT, "How much?");
	reply(t, "20");
	assert_result(t, ENGINE_END, "Paying 20 (lots)");
}

static void
test_route_match_file_order(void **state)
{
	struct t *t = *state;
	char dir[] = "/tmp/test_engine_XXXXXX", path[256];
	struct flow_findings fi;
	const char *files[][2] = {
	    {"b.flow", "flow second\n  on match /^x(?<n>\\d)$/\n"
		       "  say \"second {n}\"\n"},
	    {"a.flow", "flow first\n  on keyword X1\n"
		       "  on match /^x(?<n>\\d)$/i\n  say \"first {n}\"\n"},
	};
	size_t i;
	FILE *fp;

	assert_non_null(mkdtemp(dir));
	for (i = 0; i < nitems(files); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i][0]);
		fp = fopen(path, "w");
		assert_non_null(fp);
		fputs(files[i][1], fp);
		fclose(fp);
	}
	flow_findings_init(&fi);
	flowset_free(t->set);
	t->set = NULL;
	if (flowset_load(dir, &t->cfg, &t->set, &fi) != 0)
		flow_findings_print(&fi, stderr);
	flow_findings_free(&fi);
	assert_non_null(t->set);
	t->eng.set = t->set;
	/* Both match "x1"; a.flow comes first in name order. */
	assert_int_equal(sms_new(t, "x1"), 1);
	assert_result(t, ENGINE_END, "first 1");
	assert_int_equal(sms_new(t, "X2"), 1);
	assert_result(t, ENGINE_END, "first 2");
	for (i = 0; i < nitems(files); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i][0]);
		unlink(path);
	}
	rmdir(dir);
}

static void
test_route_ussd_longest_prefix(void **state)
{
	struct t *t = *state;

	load(t, "flow top\n  on ussd *384#\n"
		"  menu pick \"Main\"\n"
		"    option \"Bills\" -> flow bills\n"
		"    option \"Other\"\n"
		"  end \"top {pick}\"\n"
		"flow bills\n  on ussd *384*1#\n"
		"  ask a \"A?\"\n  ask b \"B?\"\n  ask c \"C?\"\n"
		"  end \"bills {a}/{b}/{c}\"\n");
	assert_int_equal(ussd_new(t, "*384#"), 1);
	assert_string_equal(t->wire, "CON Main\n1. Bills\n2. Other");
	assert_int_equal(ussd_new(t, "*384*2#"), 1);
	assert_string_equal(t->wire, "END top Other");
	/* The longer code wins; the rest are queued answers. */
	assert_int_equal(ussd_new(t, "*384*1*11*22#"), 1);
	assert_string_equal(t->wire, "CON C?");
	reply(t, "33");
	assert_string_equal(t->wire, "END bills 11/22/33");
	/* A code matches at a '*' or '#' boundary only. */
	assert_int_equal(ussd_new(t, "*3841#"), 0);
	assert_int_equal(ussd_new(t, "*38#"), 0);
	assert_int_equal(ussd_new(t, "*384"), 1);
	assert_string_equal(t->wire, "CON Main\n1. Bills\n2. Other");

	/* Through the menu: *384*1 on the top code is "Bills". */
	assert_int_equal(ussd_new(t, "*384#"), 1);
	reply(t, "1");
	assert_string_equal(t->wire, "CON A?");
}

/* ---- steps ---- */

static void
test_checks_and_tries(void **state)
{
	struct t *t = *state;

	load(t, "flow age\n  on keyword AGE\n"
		"  ask age \"Your age?\"\n"
		"    check number 1 120 \"A number from 1 to 120 please:\"\n"
		"    check /^[0-9]+$/ \"Whole years only:\"\n"
		"    tries 2 \"Too many tries.\"\n"
		"  say \"Age {age}.\"\n"
		"flow name\n  on keyword NAME\n"
		"  ask name \"Name?\"\n"
		"    check /^[a-z]+$/i \"Letters only:\"\n"
		"  say \"Hi {name}\"\n");
	assert_int_equal(sms_new(t, "age"), 1);
	assert_result(t, ENGINE_WAIT, "Your age?");
	reply(t, "abc");
	assert_result(
	    t, ENGINE_WAIT, "A number from 1 to 120 please:\nYour age?");
	reply(t, "12.5");
	assert_result(t, ENGINE_END, "Too many tries.");

	assert_int_equal(sms_new(t, "age"), 1);
	reply(t, "121");
	assert_result(
	    t, ENGINE_WAIT, "A number from 1 to 120 please:\nYour age?");
	reply(t, "42");
	assert_result(t, ENGINE_END, "Age 42.");

	/* The default is 3 tries, then error_text. */
	assert_int_equal(sms_new(t, "name"), 1);
	reply(t, "1");
	assert_result(t, ENGINE_WAIT, "Letters only:\nName?");
	reply(t, "2");
	assert_result(t, ENGINE_WAIT, "Letters only:\nName?");
	reply(t, "3");
	assert_result(t, ENGINE_END, "Sorry, error.");
	assert_int_equal(engine_input(&t->eng, t->s, "x", &t->r), -1);
}

/* check number and if < / > take plain decimals only, not strtod's forms. */
static void
test_numbers_plain(void **state)
{
	static const char *const refused[] = {"0x14", "2e1", "1E1", "inf",
	    "nan", "infinity", "-", ".", "1.2.3", "1,5", "12 3", "0x1p4"};
	static const char *const taken[] = {
	    "20", " 20 ", "+20", "20.", "20.0", "020.5"};
	struct t *t = *state;
	size_t i;

	load(t, "flow age\n  on keyword AGE\n"
		"  ask age \"Age?\"\n"
		"    check number 1 120 \"1 to 120:\"\n"
		"    tries 100 \"Bye.\"\n"
		"  if age > 19.9 -> old\n"
		"  end \"young {age}\"\n"
		"  step old\n"
		"  end \"old {age}\"\n");
	for (i = 0; i < nitems(refused); i++) {
		assert_int_equal(sms_new(t, "age"), 1);
		reply(t, refused[i]);
		assert_result(t, ENGINE_WAIT, "1 to 120:\nAge?");
	}
	for (i = 0; i < nitems(taken); i++) {
		assert_int_equal(sms_new(t, "age"), 1);
		reply(t, taken[i]);
		assert_string_equal(engine_status_name(t->r.status),
		    engine_status_name(ENGINE_END));
		assert_non_null(t->r.text);
		assert_true(strncmp(t->r.text, "old ", 4) == 0);
	}
	/* A negative number is a number: below the range. */
	assert_int_equal(sms_new(t, "age"), 1);
	reply(t, "-5");
	assert_result(t, ENGINE_WAIT, "1 to 120:\nAge?");
	reply(t, "7");
	assert_result(t, ENGINE_END, "young 7");
}

static void
test_ask_skipped_when_set(void **state)
{
	struct t *t = *state;

	load(t, "flow f\n  on keyword F\n"
		"  set n = \"{rest}\"\n"
		"  ask n \"N?\"\n"
		"    check number 1 9 \"1-9:\"\n"
		"  say \"n={n}\"\n");
	assert_int_equal(sms_new(t, "F 5"), 1);
	assert_result(t, ENGINE_END, "n=5");
	/* Set but failing its check: asked. */
	assert_int_equal(sms_new(t, "F 50"), 1);
	assert_result(t, ENGINE_WAIT, "N?");
	reply(t, "7");
	assert_result(t, ENGINE_END, "n=7");
	/* Empty is not set. */
	assert_int_equal(sms_new(t, "F"), 1);
	assert_result(t, ENGINE_WAIT, "N?");
}

static const char menu_flow[] =
    "flow water\n  on keyword WATER\n  on ussd *500#\n"
    "  say \"Water services\"\n"
    "  menu topic \"Choose:\"\n"
    "      sw \"Chagua:\"\n"
    "    option \"Bills\"\n"
    "      sw \"Bili\"\n"
    "    option \"Outages\" = \"out\"\n"
    "    option \"Report a leak\" -> leak\n"
    "    option \"Other\" -> flow other\n"
    "  end \"topic={topic}\"\n"
    "  step leak\n"
    "  end \"leak topic={topic}\"\n"
    "flow other\n"
    "  end \"other, topic={topic}\"\n";

static void
test_menu_sms(void **state)
{
	struct t *t = *state;

	load(t, menu_flow);
	assert_int_equal(sms_new(t, "water"), 1);
	assert_result(t, ENGINE_WAIT,
	    "Water services\nChoose:\n1. Bills\n2. Outages\n3. Report a "
	    "leak\n4. Other");
	reply(t, "1");
	assert_result(t, ENGINE_END, "topic=Bills");

	assert_int_equal(sms_new(t, "water"), 1);
	reply(t, "outages");
	assert_result(t, ENGINE_END, "topic=out");

	assert_int_equal(sms_new(t, "water"), 1);
	reply(t, "  REPORT A LEAK ");
	assert_result(t, ENGINE_END, "leak topic=Report a leak");

	/* -> flow: variables carry over. */
	assert_int_equal(sms_new(t, "water"), 1);
	reply(t, "4");
	assert_result(t, ENGINE_END, "other, topic=Other");
	assert_string_equal(engine_session_flow(t->s), "other");

	/* A wrong answer repeats the menu with invalid_choice_text. */
	assert_int_equal(sms_new(t, "water"), 1);
	reply(t, "9");
	assert_result(t, ENGINE_WAIT,
	    "Please reply with one of the numbers shown.\nChoose:\n1. "
	    "Bills\n2. Outages\n3. Report a leak\n4. Other");
	reply(t, "0");
	assert_int_equal(t->r.status, ENGINE_WAIT);
	reply(t, "2");
	assert_result(t, ENGINE_END, "topic=out");

	/* By label in the contact's language; the value stays the default. */
	new_session(t, ENGINE_SMS, "sw");
	assert_int_equal(engine_route_sms(&t->eng, t->s, "WATER", &t->r), 1);
	assert_result(t, ENGINE_WAIT,
	    "Water services\nChagua:\n1. Bili\n2. Outages\n3. Report a "
	    "leak\n4. Other");
	reply(t, "bili");
	assert_result(t, ENGINE_END, "topic=Bills");

	/* A flow with no trigger can be started by name. */
	start(t, ENGINE_SMS, "other");
	assert_result(t, ENGINE_END, "other, topic=");
}

static void
test_menu_ussd_by_number_only(void **state)
{
	struct t *t = *state;

	load(t, menu_flow);
	assert_int_equal(ussd_new(t, "*500#"), 1);
	assert_string_equal(t->wire,
	    "CON Water services\nChoose:\n1. Bills\n2. Outages\n3. Report a "
	    "leak\n4. Other");
	reply(t, "Bills");
	assert_string_equal(t->wire,
	    "CON Please reply with one of the numbers shown.\nChoose:\n1. "
	    "Bills\n2. Outages\n3. Report a leak\n4. Other");
	reply(t, "3");
	assert_string_equal(t->wire, "END leak topic=Report a leak");
	/* A queued answer picks the option. */
	assert_int_equal(ussd_new(t, "*500*2#"), 1);
	assert_string_equal(t->wire, "END topic=out");
}

static void
test_menu_ussd_pagination(void **state)
{
	struct t *t = *state;
	const char *p1, *p2;

	load(t, "flow svc\n  on ussd *600#\n"
		"  menu s \"Pick a county service from the list below:\"\n"
		"    option \"Water and sewerage bills\"\n"
		"    option \"Garbage collection days\"\n"
		"    option \"Market stall permits\"\n"
		"    option \"Business licence renewal\"\n"
		"    option \"Report a burst pipe\"\n"
		"    option \"Health centre opening hours\"\n"
		"    option \"Bursary applications\"\n"
		"    option \"Road repairs in my ward\"\n"
		"    option \"Land rates balance\"\n"
		"    option \"Talk to an officer\"\n"
		"  end \"You chose {s}.\"\n");
	assert_int_equal(ussd_new(t, "*600#"), 1);
	p1 = "CON Pick a county service from the list below:\n"
	     "1. Water and sewerage bills\n"
	     "2. Garbage collection days\n"
	     "3. Market stall permits\n"
	     "4. Business licence renewal\n"
	     "5. Report a burst pipe\n"
	     "0. More";
	assert_string_equal(t->wire, p1);
	assert_true(render_utf8_chars(t->r.text) <= 182);
	reply(t, "0");
	p2 = "CON 6. Health centre opening hours\n"
	     "7. Bursary applications\n"
	     "8. Road repairs in my ward\n"
	     "9. Land rates balance\n"
	     "10. Talk to an officer";
	assert_string_equal(t->wire, p2);
	/* 0 on the last page is not a choice. */
	reply(t, "0");
	assert_int_equal(t->r.status, ENGINE_WAIT);
	assert_non_null(strstr(t->r.text, "Please reply with one"));
	assert_non_null(strstr(t->r.text, "0. More"));
	reply(t, "0");
	reply(t, "8");
	assert_string_equal(t->wire, "END You chose Road repairs in my ward.");

	/* Queued answers page too: *600*0*7# picks option 7 on page two. */
	assert_int_equal(ussd_new(t, "*600*0*7#"), 1);
	assert_string_equal(t->wire, "END You chose Bursary applications.");
	assert_int_equal(ussd_new(t, "*600*0#"), 1);
	assert_string_equal(t->wire, p2);

	/* An option on another page can still be picked by number. */
	assert_int_equal(ussd_new(t, "*600#"), 1);
	reply(t, "10");
	assert_string_equal(t->wire, "END You chose Talk to an officer.");

	/* A narrower screen gives more pages; options keep numbers. */
	new_session(t, ENGINE_USSD, NULL);
	engine_session_free(t->s);
	t->s = engine_session_new(ENGINE_USSD, "+254700000001", NULL, 80);
	assert_int_equal(engine_route_ussd(&t->eng, t->s, "*600#", &t->r), 1);
	drive(t);
	{
		int pages = 1, last = 0, i;

		for (i = 0; i < 10 && strstr(t->r.text, "0. More"); i++) {
			assert_true(render_utf8_chars(t->r.text) <= 80);
			reply(t, "0");
			pages++;
		}
		assert_true(pages >= 3);
		assert_non_null(strstr(t->r.text, "10. Talk to an officer"));
		last = strstr(t->r.text, "0. More") == NULL;
		assert_true(last);
	}
}

static void
test_language_switch(void **state)
{
	struct t *t = *state;

	load(t, "flow lang\n  on keyword LUGHA\n"
		"  say \"Hello\"\n    sw \"Habari\"\n"
		"  menu l \"Language?\"\n    sw \"Lugha?\"\n"
		"    option \"English\" = \"en\"\n"
		"    option \"Kiswahili\" = \"sw\"\n"
		"  language \"{l}\"\n"
		"  say \"Saved. {contact.language}\"\n"
		"    sw \"Imehifadhiwa. {contact.language}\"\n"
		"  ask x \"Anything?\"\n    sw \"Chochote?\"\n"
		"  end \"Bye\"\n    sw \"Kwaheri\"\n");
	assert_int_equal(sms_new(t, "lugha"), 1);
	assert_result(
	    t, ENGINE_WAIT, "Hello\nLanguage?\n1. English\n2. Kiswahili");
	reply(t, "2");
	assert_string_equal(t->h.log, "language sw;");
	assert_result(t, ENGINE_WAIT, "Imehifadhiwa. sw\nChochote?");
	assert_string_equal(engine_session_language(t->s), "sw");
	reply(t, "hapana");
	assert_result(t, ENGINE_END, "Kwaheri");
}

static void
test_language_unknown_is_error(void **state)
{
	struct t *t = *state;

	load(t, "flow l\n  on keyword L\n  language \"{rest}\"\n"
		"  say \"ok\"\n");
	assert_int_equal(sms_new(t, "L fr"), 1);
	assert_int_equal(t->r.status, ENGINE_ERROR);
	assert_string_equal(t->r.text, "Sorry, error.");
	assert_non_null(strstr(t->r.error, "test.flow:3:"));
	assert_int_equal(sms_new(t, "L SW"), 1);
	assert_result(t, ENGINE_END, "ok");
}

static void
test_set_save_if_goto(void **state)
{
	struct t *t = *state;

	load(t, "flow c\n  on keyword C\n"
		"  set v = \"{rest}\"\n"
		"  save ward = \"{v}\"\n"
		"  if v = \"central\" -> eq\n"
		"  say \"not central\"\n"
		"  step eq\n"
		"  if v != \"central\" -> ne\n"
		"  say \"central {contact.ward}\"\n"
		"  step ne\n"
		"  if v ~ /^\\d+$/ -> num\n"
		"  goto tail\n"
		"  step num\n"
		"  if v < 10 -> small\n"
		"  if v > 100 -> big\n"
		"  end \"middle\"\n"
		"  step small\n  end \"small\"\n"
		"  step big\n  end \"big\"\n"
		"  step tail\n"
		"  if nothing is set -> bad\n"
		"  if nothing is empty -> empty\n"
		"  step bad\n  end \"bad\"\n"
		"  step empty\n"
		"  if v is set -> done\n"
		"  end \"unreachable\"\n"
		"  step done\n");
	assert_int_equal(sms_new(t, "C central"), 1);
	assert_result(t, ENGINE_END, "central central");
	assert_string_equal(t->h.log, "save ward=central;");
	assert_string_equal(engine_session_var(t->s, "v"), "central");
	assert_int_equal(sms_new(t, "C 5"), 1);
	assert_result(t, ENGINE_END, "not central\nsmall");
	assert_int_equal(sms_new(t, "C 500"), 1);
	assert_result(t, ENGINE_END, "not central\nbig");
	assert_int_equal(sms_new(t, "C 50"), 1);
	assert_result(t, ENGINE_END, "not central\nmiddle");
	/* Falling off the end is end. */
	assert_int_equal(sms_new(t, "C east"), 1);
	assert_result(t, ENGINE_END, "not central");
}

static void
test_goto_loop_guarded(void **state)
{
	struct t *t = *state;

	load(t, "flow loop\n  on keyword LOOP\n"
		"  step top\n"
		"  set x = \"1\"\n"
		"  goto top\n");
	assert_int_equal(sms_new(t, "loop"), 1);
	assert_int_equal(t->r.status, ENGINE_ERROR);
	assert_string_equal(t->r.text, "Sorry, error.");
	assert_non_null(t->r.error);
	assert_non_null(strstr(t->r.error, "test.flow:"));
	assert_non_null(strstr(t->r.error, "steps"));
	assert_true(engine_session_done(t->s));

	/* A loop through actions is guarded too. */
	load(t, "flow loop\n  on keyword LOOP\n"
		"  step top\n"
		"  subscribe \"water\"\n"
		"  goto top\n");
	assert_int_equal(sms_new(t, "loop"), 1);
	assert_int_equal(t->r.status, ENGINE_ERROR);
	assert_non_null(strstr(t->r.error, "test.flow:"));

	/* A loop through a wait is not a run-time loop. */
	load(t, "flow q\n  on keyword Q\n"
		"  step top\n"
		"  ask x \"x?\"\n"
		"  set x = \"\"\n"
		"  goto top\n");
	assert_int_equal(sms_new(t, "q"), 1);
	reply(t, "a");
	reply(t, "b");
	assert_result(t, ENGINE_WAIT, "x?");
}

static void
test_lookup_missing_target(void **state)
{
	struct t *t = *state;

	load(t, "flow l\n  on keyword L\n"
		"  lookup s in stations where code = \"{rest}\"\n"
		"    missing \"No such station {rest}.\" -> again\n"
		"  end \"Station {s.name} in {s.ward}\"\n"
		"  step again\n"
		"  ask code \"Station code?\"\n"
		"  lookup s in stations where code = \"{code}\"\n"
		"  end \"Found {s.name}\"\n");
	{
		static const struct engine_field row[] = {
		    {"name", "Kibera Kiosk"},
		    {"ward", "Kibera"},
		};

		t->h.row_key = "K1";
		t->h.row = row;
		t->h.nrow = 2;
	}
	assert_int_equal(sms_new(t, "L K1"), 1);
	assert_result(t, ENGINE_END, "Station Kibera Kiosk in Kibera");
	assert_int_equal(sms_new(t, "L K9"), 1);
	assert_result(t, ENGINE_WAIT, "No such station K9.\nStation code?");
	reply(t, "K1");
	assert_result(t, ENGINE_END, "Found Kibera Kiosk");
	/* No missing clause: the session ends with what was said so far. */
	assert_int_equal(sms_new(t, "L K9"), 1);
	reply(t, "K8");
	assert_result(t, ENGINE_END, "");
	/* A store error is a run-time failure. */
	t->h.fail_all = 1;
	assert_int_equal(sms_new(t, "L K1"), 1);
	assert_int_equal(t->r.status, ENGINE_ERROR);
	assert_non_null(strstr(t->r.error, "test.flow:3:"));
}

static void
test_fetch(void **state)
{
	struct t *t = *state;

	load(t, "flow w\n  on keyword W\n"
		"  fetch wx from \"http://127.0.0.1:9/w?q={rest}&x=1\"\n"
		"    missing \"No data for {rest}.\"\n"
		"  say \"{wx.city}: {wx.now.temp} C, {wx.days.1} {wx.ok}\"\n"
		"flow v\n  on keyword V\n"
		"  fetch wx from \"http://127.0.0.1:9/v\"\n"
		"    failed \"Try later.\" -> later\n"
		"  end \"{wx.a}\"\n"
		"  step later\n  end \"later\"\n");
	t->h.fetch = REPLY_FETCHED;
	t->h.fetch_body = "{\"city\":\"Kisumu\",\"now\":{\"temp\":24.5},"
			  "\"days\":[\"sun\",\"rain\"],\"ok\":true,\"n\":null}";
	assert_int_equal(sms_new(t, "W Kisumu Town/é"), 1);
	assert_string_equal(t->h.log,
	    "fetch http://127.0.0.1:9/w?q=Kisumu%20Town%2F%C3%A9&x=1;");
	assert_result(t, ENGINE_END, "Kisumu: 24.5 C, rain true");
	assert_null(engine_session_var(t->s, "wx.n"));
	/* 404: missing. */
	t->h.fetch = REPLY_NOT_FOUND;
	assert_int_equal(sms_new(t, "W Nowhere"), 1);
	assert_result(t, ENGINE_END, "No data for Nowhere.");
	/* Failed: the default is error_text, then end. */
	t->h.fetch = REPLY_FAILED;
	assert_int_equal(sms_new(t, "W x"), 1);
	assert_result(t, ENGINE_END, "Sorry, error.");
	/* Bad JSON and a non-object are failures too. */
	t->h.fetch = REPLY_FETCHED;
	t->h.fetch_body = "{not json";
	assert_int_equal(sms_new(t, "W x"), 1);
	assert_result(t, ENGINE_END, "Sorry, error.");
	t->h.fetch_body = "[1,2]";
	assert_int_equal(sms_new(t, "V"), 1);
	assert_result(t, ENGINE_END, "Try later.\nlater");
	t->h.fetch_body = "{\"a\":7}";
	assert_int_equal(sms_new(t, "V"), 1);
	assert_result(t, ENGINE_END, "7");
	/* A 404 with no missing clause: error_text, then end. */
	t->h.fetch = REPLY_NOT_FOUND;
	assert_int_equal(sms_new(t, "V"), 1);
	assert_result(t, ENGINE_END, "Sorry, error.");
}

/*
 * A fetch URL's values are percent-encoded, "." and ".." included, so a
 * value stays inside its path segment or query and cannot climb the path.
 */
static void
test_fetch_encoding(void **state)
{
	struct t *t = *state;

	load(t, "flow w\n  on keyword W\n"
		"  fetch wx from "
		"\"https://api.example.org/v1/{rest}/info?q={rest}\"\n"
		"  say \"{wx.a}\"\n"
		"flow d\n  on keyword D\n"
		"  fetch wx from \"https://api.example.org/v1/.{rest}/x\"\n"
		"  say \"{wx.a}\"\n");
	t->h.fetch = REPLY_FETCHED;
	t->h.fetch_body = "{\"a\":\"ok\"}";
	assert_int_equal(sms_new(t, "W .."), 1);
	assert_string_equal(
	    t->h.log, "fetch https://api.example.org/v1/%2E%2E/info?q=%2E%2E;");
	assert_result(t, ENGINE_END, "ok");
	assert_int_equal(sms_new(t, "W ."), 1);
	assert_string_equal(
	    t->h.log, "fetch https://api.example.org/v1/%2E/info?q=%2E;");
	/* A literal dot before the value cannot make ".." either. */
	assert_int_equal(sms_new(t, "D ."), 1);
	assert_string_equal(
	    t->h.log, "fetch https://api.example.org/v1/.%2E/x;");
	/* Other dots are unreserved and stay; '/' keeps ".." in the value. */
	assert_int_equal(sms_new(t, "W ..."), 1);
	assert_string_equal(
	    t->h.log, "fetch https://api.example.org/v1/.../info?q=...;");
	assert_int_equal(sms_new(t, "W ../../admin"), 1);
	assert_string_equal(t->h.log,
	    "fetch https://api.example.org/v1/..%2F..%2Fadmin/info?q=..%2F..%2F"
	    "admin;");
	/* '/', '?', '#', '%', '&', '=', '+', space and UTF-8: all encoded. */
	assert_int_equal(sms_new(t, "W a/b?c#d%e&f=g+h i\xc3\xa9~_-"), 1);
	assert_string_equal(t->h.log,
	    "fetch https://api.example.org/v1/"
	    "a%2Fb%3Fc%23d%25e%26f%3Dg%2Bh%20i%C3%A9~_-/info?q="
	    "a%2Fb%3Fc%23d%25e%26f%3Dg%2Bh%20i%C3%A9~_-;");
	assert_result(t, ENGINE_END, "ok");
}

/*
 * A regex that backtracks without end (40 'a' and a 'b' against
 * /^(a|aa)+$/) stops at the match limit and counts as no match, in an
 * `on match` trigger, a `check` and an `if ~`.
 */
static void
test_regex_limit(void **state)
{
	struct t *t = *state;
	char evil[64], good[64];
	uint64_t hits;

	memset(evil, 'a', 48);
	evil[48] = 'b';
	evil[49] = '\0';
	memset(good, 'a', 48);
	good[48] = '\0';
	load(t, "flow m\n  on match /^(a|aa)+$/\n  end \"matched\"\n"
		"flow c\n  on keyword C\n  ask x \"?\"\n"
		"    check /^(a|aa)+$/ \"again\"\n  end \"took {x}\"\n"
		"flow i\n  on keyword I\n  if rest ~ /^(a|aa)+$/ -> yes\n"
		"  end \"no\"\n  step yes\n  end \"yes\"\n"
		"flow d\n  on default\n  end \"default\"\n");

	/* The same pattern matches a text it can match. */
	hits = flow_regex_limit_hits();
	assert_int_equal(sms_new(t, good), 1);
	assert_result(t, ENGINE_END, "matched");
	assert_int_equal(flow_regex_limit_hits(), hits);

	assert_int_equal(sms_new(t, evil), 1);
	assert_result(t, ENGINE_END, "default");
	assert_true(flow_regex_limit_hits() > hits);

	hits = flow_regex_limit_hits();
	assert_int_equal(sms_new(t, "C"), 1);
	reply(t, evil);
	assert_result(t, ENGINE_WAIT, "again\n?");
	assert_true(flow_regex_limit_hits() > hits);
	reply(t, good);
	assert_string_equal(
	    engine_status_name(t->r.status), engine_status_name(ENGINE_END));

	hits = flow_regex_limit_hits();
	{
		char msg[80];

		snprintf(msg, sizeof(msg), "I %s", evil);
		assert_int_equal(sms_new(t, msg), 1);
		assert_result(t, ENGINE_END, "no");
		assert_true(flow_regex_limit_hits() > hits);
		snprintf(msg, sizeof(msg), "I %s", good);
		assert_int_equal(sms_new(t, msg), 1);
		assert_result(t, ENGINE_END, "yes");
	}
}

static void
test_report_and_find(void **state)
{
	struct t *t = *state;
	static const struct engine_field rep[] = {
	    {"status", "in_progress"},
	    {"category", "leak"},
	    {"updated", "2026-11-28"},
	};

	load(t, "flow r\n  on keyword LEAK\n"
		"  ask where \"Where is the leak?\"\n"
		"  report r\n"
		"    category \"water leak\"\n"
		"    location \"{where}\"\n"
		"    details \"{rest}\"\n"
		"  say \"Report {r.id} opened.\"\n"
		"flow s\n  on keyword STATUS\n"
		"  find report f \"{rest}\"\n"
		"    missing \"No report {rest}.\"\n"
		"  say \"Report {f.id}: {f.status} ({f.category}, "
		"{f.updated})\"\n");
	t->h.report_id = "42";
	t->h.known_report = "42";
	t->h.report = rep;
	t->h.nreport = nitems(rep);
	assert_int_equal(sms_new(t, "leak big pipe"), 1);
	assert_result(t, ENGINE_WAIT, "Where is the leak?");
	reply(t, "Market St");
	assert_string_equal(t->h.log, "report water leak|Market St|big pipe;");
	assert_result(t, ENGINE_END, "Report 42 opened.");
	assert_int_equal(sms_new(t, "status 42"), 1);
	assert_string_equal(t->h.log, "find 42;");
	assert_result(
	    t, ENGINE_END, "Report 42: in_progress (leak, 2026-11-28)");
	assert_int_equal(sms_new(t, "status 7"), 1);
	assert_result(t, ENGINE_END, "No report 7.");

	/* No missing clause: end with the text built so far. */
	load(t, "flow s\n  on keyword STATUS\n"
		"  say \"Looking up {rest}...\"\n"
		"  find report f \"{rest}\"\n"
		"  say \"Report {f.id}: {f.status}\"\n");
	assert_int_equal(sms_new(t, "status 9"), 1);
	assert_result(t, ENGINE_END, "Looking up 9...");
	assert_int_equal(sms_new(t, "status 42"), 1);
	assert_result(
	    t, ENGINE_END, "Looking up 42...\nReport 42: in_progress");
}

static void
test_subscribe_unsubscribe(void **state)
{
	struct t *t = *state;

	load(t, "flow s\n  on keyword JOIN\n"
		"  subscribe \"ward:{rest}\"\n"
		"  unsubscribe \"water\"\n"
		"  end \"Joined {rest}.\"\n");
	assert_int_equal(sms_new(t, "join central"), 1);
	assert_string_equal(
	    t->h.log, "subscribe ward:central;unsubscribe water;");
	assert_result(t, ENGINE_END, "Joined central.");
}

static void
test_contact_fields(void **state)
{
	struct t *t = *state;

	load(t,
	    "flow c\n  on keyword ME\n"
	    "  say \"{contact.phone} {contact.ward} {contact.language}\"\n");
	new_session(t, ENGINE_SMS, NULL);
	assert_int_equal(engine_session_set_field(t->s, "ward", "East"), 0);
	assert_int_equal(engine_session_set_field(t->s, "bad name", "x"), -1);
	assert_int_equal(engine_route_sms(&t->eng, t->s, "me", &t->r), 1);
	assert_result(t, ENGINE_END, "+254700000001 East en");
}

static void
test_session_round_trip(void **state)
{
	struct t *t = *state;
	struct flow_session *s2;
	char *json, *json2;

	load(t, menu_flow);
	assert_int_equal(ussd_new(t, "*500#"), 1);
	assert_int_equal(engine_session_set_field(t->s, "ward", "East"), 0);
	reply(t, "9"); /* invalid: still waiting */
	json = engine_session_dump(t->s);
	assert_int_equal(engine_session_load(json, strlen(json), &s2), 0);
	json2 = engine_session_dump(s2);
	assert_string_equal(json, json2);
	engine_session_free(t->s);
	t->s = s2;
	reply(t, "2");
	assert_string_equal(t->wire, "END topic=out");
	free(json);
	free(json2);

	/* Queued answers and built text survive too, mid-action. */
	bills_host(t);
	new_session(t, ENGINE_USSD, "sw");
	assert_int_equal(
	    engine_route_ussd(&t->eng, t->s, "*384*1*1234567#", &t->r), 1);
	assert_int_equal(t->r.status, ENGINE_ACTION);
	json = engine_session_dump(t->s);
	assert_int_equal(engine_session_load(json, strlen(json), &s2), 0);
	engine_session_free(t->s);
	t->s = s2;
	free(json);
	{
		struct engine_reply rep = {
		    .kind = REPLY_FOUND, .fields = bill_row, .nfields = 3};

		assert_int_equal(engine_resume(&t->eng, t->s, &rep, &t->r), 0);
	}
	assert_result(t, ENGINE_END,
	    "Account 1234567: balance KES 1,250, due 2026-12-15.");

	/* Garbage is refused. */
	assert_int_equal(engine_session_load("{", 1, &s2), -1);
	assert_null(s2);
	assert_int_equal(engine_session_load("{\"v\":2}", 7, &s2), -1);
	assert_int_equal(engine_session_load("[]", 2, &s2), -1);
}

/* A session loaded from json dumps json again. */
static void
assert_loads_as(const char *json)
{
	struct flow_session *s;
	char *again;

	assert_int_equal(engine_session_load(json, strlen(json), &s), 0);
	again = engine_session_dump(s);
	assert_string_equal(again, json);
	free(again);
	engine_session_free(s);
}

/*
 * The memo (flows/memo.c): loading the text a dump just made copies the
 * session the dump kept instead of parsing it. It must give what parsing
 * gives, and sessions loaded from it must share nothing with it or with
 * each other.
 */
static void
test_session_memo(void **state)
{
	struct t *t = *state;
	struct flow_session *a, *b;
	struct engine_result ra = {0}, rb = {0};
	char *json;

	load(t, "flow a\n  on keyword A\n"
		"  ask name \"Name?\"\n"
		"  ask town \"Town?\"\n"
		"  end \"{name} of {town}, {contact.ward}\"\n");
	assert_int_equal(sms_new(t, "a"), 1);
	reply(t, "Amina");
	assert_int_equal(engine_session_set_field(t->s, "ward", "East"), 0);
	json = engine_session_dump(t->s);
	/* The dumped session goes on: what the dump kept must not follow. */
	assert_int_equal(engine_session_set_field(t->s, "ward", "South"), 0);
	reply(t, "Kisumu");
	assert_result(t, ENGINE_END, "Amina of Kisumu, South");

	/* From the copy the dump kept: it goes on, changing its state... */
	assert_int_equal(engine_session_load(json, strlen(json), &a), 0);
	assert_int_equal(engine_session_set_field(a, "ward", "West"), 0);
	assert_int_equal(engine_input(&t->eng, a, "Nairobi", &ra), 0);
	assert_string_equal(ra.text, "Amina of Nairobi, West");
	/* ...and the copy did not move: the next load is the text's. */
	assert_loads_as(json);

	/* Parsed (the memo emptied), kept, and the same once more. */
	memo_clear();
	assert_loads_as(json);
	memo_clear();
	assert_int_equal(engine_session_load(json, strlen(json), &b), 0);
	assert_int_equal(engine_session_set_field(b, "ward", "North"), 0);
	assert_int_equal(engine_input(&t->eng, b, "Mombasa", &rb), 0);
	assert_string_equal(rb.text, "Amina of Mombasa, North");
	assert_loads_as(json);

	engine_result_free(&ra);
	engine_result_free(&rb);
	engine_session_free(a);
	engine_session_free(b);
	free(json);

	/*
	 * Stowed (the gateway's way): the next load of its text takes the
	 * session itself, once; a load after that parses the text.
	 */
	memo_clear();
	assert_int_equal(sms_new(t, "a"), 1);
	a = t->s;
	t->s = NULL;
	json = engine_session_stow(a);
	assert_int_equal(engine_session_load(json, strlen(json), &b), 0);
	assert_ptr_equal(b, a);
	assert_int_equal(engine_session_load(json, strlen(json), &a), 0);
	assert_ptr_not_equal(a, b);
	engine_session_free(a);
	assert_int_equal(engine_input(&t->eng, b, "Zawadi", &ra), 0);
	assert_string_equal(ra.text, "Town?");
	engine_result_free(&ra);
	engine_session_free(b);
	free(json);
	memo_clear();
}

static int drops; /* values test_memo_table's drop freed */

static void
drop_counted(void *v)
{
	drops++;
	free(v);
}

static void *
value(int n)
{
	int *v = malloc(sizeof(*v));

	*v = n;
	return v;
}

/* The value memo_take finds for text, as an int (freed); -1: none. */
static int
took(const char *text, size_t len)
{
	int *v = memo_take(text, len), n;

	if (v == NULL)
		return -1;
	n = *v;
	free(v);
	return n;
}

/* The memo's own rules: exact texts only, bounded texts only, once. */
static void
test_memo_table(void **state)
{
	static char big[MEMO_TEXT_MAX + 2];

	(void)state;
	memo_clear();
	drops = 0;
	assert_null(memo_take("{\"v\":1}", 7));
	memo_put("{\"v\":1}", 7, value(1), drop_counted);
	assert_null(memo_take("{\"v\":2}", 7));
	assert_null(memo_take("{\"v\":1}", 6));
	assert_null(memo_take(NULL, 0));
	assert_int_equal(took("{\"v\":1}", 7), 1);
	/* Taken, it is the caller's: the memo no longer has it. */
	assert_int_equal(took("{\"v\":1}", 7), -1);

	/* A text over MEMO_TEXT_MAX is not kept (its value is dropped at
	 * once); one of MEMO_TEXT_MAX is. */
	memset(big, ' ', sizeof(big) - 1);
	memo_put(big, MEMO_TEXT_MAX + 1, value(9), drop_counted);
	assert_int_equal(drops, 1);
	assert_null(memo_take(big, MEMO_TEXT_MAX + 1));
	memo_put(big, MEMO_TEXT_MAX, value(10), drop_counted);

	/* Any two texts are kept together (a set has two slots), one stored
	 * again does not push the other out, and what it replaces is freed. */
	memo_put("{\"v\":2}", 7, value(2), drop_counted);
	memo_put("{\"v\":3}", 7, value(3), drop_counted);
	memo_put("{\"v\":2}", 7, value(4), drop_counted);
	memo_put("{\"v\":2}", 7, value(5), drop_counted);
	assert_int_equal(drops, 3);
	assert_int_equal(took("{\"v\":3}", 7), 3);
	assert_int_equal(took("{\"v\":2}", 7), 5);

	/* Cleared, what it still held is freed and nothing is found. */
	memo_clear();
	assert_int_equal(drops, 4);
	assert_null(memo_take(big, MEMO_TEXT_MAX));
}

/*
 * The session's text is written without jansson (engine.c's
 * session_write), as jansson wrote it: parsed and dumped again by jansson
 * it comes out byte for byte the same, and read back without the memo it
 * dumps the same text. Fields, variables and answers with quotes,
 * backslashes, control characters, non-ASCII and broken UTF-8 (which the
 * engine cleans on the way in).
 */
static void
test_session_text_as_jansson(void **state)
{
	struct t *t = *state;
	static const char *const odd[] = {"plain", "qu\"ote \\ back/slash",
	    "line\nbreak\ttab\r\b\f", "\x01\x02\x1f\x7f",
	    "caf\xc3\xa9 \xe6\xbc\xa2", "\xf0\x9f\x98\x80",
	    "broken \xc3 \xed\xa0\x80 \xff", "", " "};
	size_t i, j;

	load(t, "flow a\n  on keyword A\n"
		"  ask name \"Name?\"\n"
		"  ask town \"Town {name}?\"\n"
		"  end \"{name} of {town}\"\n");
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		for (j = 0; j < 3; j++) {
			struct flow_session *s2;
			json_t *tree;
			char *json, *again, *ref;

			char text[64];

			memo_clear();
			engine_session_free(t->s);
			t->s = engine_session_new(
			    j == 2 ? ENGINE_USSD : ENGINE_SMS, odd[i],
			    odd[(i + 1) % 9], 0);
			snprintf(text, sizeof(text), "A %s", odd[i]);
			assert_int_equal(
			    engine_route_sms(&t->eng, t->s, text, &t->r), 1);
			drive(t);
			assert_int_equal(
			    engine_session_set_field(t->s, "ward", odd[i]), 0);
			if (j > 0)
				reply(t, odd[i]);
			json = engine_session_dump(t->s);
			tree = json_loads(json, JSON_REJECT_DUPLICATES, NULL);
			assert_non_null(tree);
			ref = json_dumps(tree, JSON_COMPACT);
			assert_string_equal(json, ref);
			/* Read back from the text itself, then from the memo. */
			memo_clear();
			assert_loads_as(json);
			assert_int_equal(
			    engine_session_load(json, strlen(json), &s2), 0);
			again = engine_session_dump(s2);
			assert_string_equal(again, json);
			engine_session_free(s2);
			free(again);
			free(ref);
			json_decref(tree);
			free(json);
		}
	}
	memo_clear();
}

/* Mutated and truncated session texts are refused or run; never a crash. */
static void
test_session_load_garbage(void **state)
{
	struct t *t = *state;
	static const char subst[] = {'0', '9', '"', '{', '-', 'x'};
	struct flow_session *s2;
	char *json, *m;
	size_t len, i, j;

	load(t, menu_flow);
	assert_int_equal(ussd_new(t, "*500#"), 1);
	json = engine_session_dump(t->s);
	len = strlen(json);
	m = malloc(len + 1);
	for (i = 0; i < len; i++) {
		/* Every prefix is either refused or a whole session. */
		assert_int_equal(engine_session_load(json, i, &s2), -1);
		for (j = 0; j < sizeof(subst); j++) {
			struct engine_result r = {0};

			memcpy(m, json, len + 1);
			m[i] = subst[j];
			if (engine_session_load(m, len, &s2) != 0)
				continue;
			if (engine_input(&t->eng, s2, "1", &r) == 0) {
				assert_int_not_equal(r.status, ENGINE_ACTION);
				assert_non_null(r.text);
			}
			engine_result_free(&r);
			engine_session_free(s2);
		}
	}
	free(m);
	free(json);
}

static void
test_session_after_reload(void **state)
{
	struct t *t = *state;
	char *json;
	struct flow_session *s2;

	load(t, "flow a\n  on keyword A\n"
		"  ask name \"Name?\"\n"
		"  end \"Hi {name}\"\n");
	assert_int_equal(sms_new(t, "a"), 1);
	json = engine_session_dump(t->s);

	/* Steps moved but the ask is still there: the session goes on. */
	load(t, "flow a\n  on keyword A\n"
		"  say \"Welcome\"\n"
		"  ask name \"Name?\"\n"
		"  end \"Hello {name}\"\n");
	assert_int_equal(engine_session_load(json, strlen(json), &s2), 0);
	engine_session_free(t->s);
	t->s = s2;
	reply(t, "Amina");
	assert_result(t, ENGINE_END, "Hello Amina");

	/* The ask is gone: the session ends politely. */
	load(t, "flow a\n  on keyword A\n  ask other \"Other?\"\n");
	assert_int_equal(engine_session_load(json, strlen(json), &s2), 0);
	engine_session_free(t->s);
	t->s = s2;
	assert_int_equal(engine_input(&t->eng, t->s, "Amina", &t->r), 0);
	assert_int_equal(t->r.status, ENGINE_STALE);
	assert_string_equal(t->r.text, "Sorry, error.");
	assert_non_null(strstr(t->r.error, "flow a"));
	assert_true(engine_session_done(t->s));

	/* The flow is gone. */
	load(t, "flow b\n  on keyword B\n  say \"b\"\n");
	assert_int_equal(engine_session_load(json, strlen(json), &s2), 0);
	engine_session_free(t->s);
	t->s = s2;
	assert_int_equal(engine_input(&t->eng, t->s, "Amina", &t->r), 0);
	assert_int_equal(t->r.status, ENGINE_STALE);
	free(json);
}

static void
test_misuse(void **state)
{
	struct t *t = *state;

	load(t, "flow a\n  on keyword A\n  say \"a\"\n");
	new_session(t, ENGINE_SMS, NULL);
	/* Not waiting: no input, no resume. */
	assert_int_equal(engine_input(&t->eng, t->s, "x", &t->r), -1);
	assert_int_equal(engine_resume(&t->eng, t->s, NULL, &t->r), -1);
	assert_int_equal(engine_start(&t->eng, t->s, "nope", &t->r), -1);
	assert_int_equal(engine_route_sms(&t->eng, t->s, "a", &t->r), 1);
	/* Already started. */
	assert_int_equal(engine_route_sms(&t->eng, t->s, "a", &t->r), -1);
	/* Invalid UTF-8 input is cleaned, never a crash. */
	assert_int_equal(sms_new(t, "A \xff\xfe"), 1);
	assert_result(t, ENGINE_END, "a");
}

static void
test_reply_too_long(void **state)
{
	struct t *t = *state;

	load(t, "flow big\n  on keyword BIG\n"
		"  set x = \"0123456789012345678901234567890123456789"
		"0123456789012345678901234567890123456789\"\n"
		"  step top\n  say \"{x}{x}{x}{x}{x}\"\n  goto top\n");
	assert_int_equal(sms_new(t, "big"), 1);
	assert_int_equal(t->r.status, ENGINE_ERROR);
	assert_non_null(strstr(t->r.error, "longer"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_bills_sms_match_answers_at_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_bills_sms_asks_first, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_bills_check_and_translation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bills_ussd, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_route_order_and_rest, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_route_match_and_keyword_same_flow, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_route_match_file_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_route_ussd_longest_prefix, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_checks_and_tries, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_numbers_plain, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_ask_skipped_when_set, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_menu_sms, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_menu_ussd_by_number_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_menu_ussd_pagination, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_language_switch, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_language_unknown_is_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_set_save_if_goto, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_goto_loop_guarded, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_lookup_missing_target, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetch, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_fetch_encoding, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_regex_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_report_and_find, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_subscribe_unsubscribe, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_contact_fields, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_session_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_session_memo, setup, teardown),
	    cmocka_unit_test(test_memo_table),
	    cmocka_unit_test_setup_teardown(
		test_session_text_as_jansson, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_session_load_garbage, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_session_after_reload, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_misuse, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_reply_too_long, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
