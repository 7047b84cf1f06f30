/*
 * test_campaign.c: campaigns keyed to dates. The [campaign NAME] section
 * (keys, the send list, translations on indented lines, every finding at
 * its line), the send entries "OFFSETd HH:MM", the calendar across month
 * and year ends and leap years, local times in a zone without daylight
 * saving (Africa/Nairobi) and on the days New York changes its clocks,
 * the run's window, and runs against a store: once per (row, offset,
 * date), opted-out contacts, a re-import, a changed date, the dry run and
 * the next send.
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

#include "council/campaign.h"
#include "council/import.h"
#include "flows/template.h"
#include "gateway/config.h"
#include "gateway/store.h"
#include "lib/util.h"
#include "tests/unit/sidedb.h"

/*
 * Time zones: the named zone when the system has its file, else the same
 * rules written as a POSIX TZ (true for the years these tests use).
 */
static void
set_tz(const char *name, const char *posix)
{
	char path[128];

	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", name);
	setenv("TZ", access(path, R_OK) == 0 ? name : posix, 1);
	tzset();
}

#define NAIROBI() set_tz("Africa/Nairobi", "EAT-3")
#define NEW_YORK() set_tz("America/New_York", "EST5EDT,M3.2.0,M11.1.0")

/* ms of a UTC time "YYYY-MM-DDTHH:MM". */
static int64_t
utc(const char *s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%d-%d-%dT%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		&tm.tm_hour, &tm.tm_min) != 5)
		fail_msg("bad time %s", s);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm) * 1000;
}

/* Days of a date, or a failure. */
static int64_t
day(const char *s)
{
	int64_t d;

	if (campaign_parse_date(s, &d) != 0)
		fail_msg("refused date %s", s);
	return d;
}

/*
 * The send list.
 */

static void
send_ok(const char *s, int days, int minute)
{
	struct config_campaign_send snd = {99, 99};
	const char *why = NULL;

	if (config_parse_send(s, &snd, &why) != 0)
		fail_msg("refused '%s': %s", s, why);
	assert_int_equal(snd.days, days);
	assert_int_equal(snd.minute, minute);
}

static void
send_bad(const char *s, const char *why_part)
{
	struct config_campaign_send snd = {99, 99};
	const char *why = NULL;

	if (config_parse_send(s, &snd, &why) == 0)
		fail_msg("accepted '%s'", s);
	assert_non_null(why);
	if (strstr(why, why_part) == NULL)
		fail_msg("'%s': \"%s\" lacks \"%s\"", s, why, why_part);
	assert_int_equal(snd.days, 99);
}

static void
test_parse_send(void **state)
{
	(void)state;
	send_ok("-3d 09:00", -3, 540);
	send_ok("0d 08:00", 0, 480);
	send_ok("+1d 23:59", 1, 1439);
	send_ok("2d 9:05", 2, 545);
	send_ok("-366d 00:00", -366, 0);
	send_ok("366d\t12:30", 366, 750);
	send_ok("-0d 00:01", 0, 1);
	send_bad("-3 09:00", "expected OFFSETd HH:MM");
	send_bad("3d", "expected OFFSETd HH:MM");
	send_bad("3d09:00", "expected OFFSETd HH:MM");
	send_bad("d 09:00", "expected OFFSETd HH:MM");
	send_bad("3d 9:5", "expected OFFSETd HH:MM");
	send_bad("3d 09:00 ", "expected OFFSETd HH:MM");
	send_bad("3d 009:00", "expected OFFSETd HH:MM");
	send_bad("3D 09:00", "expected OFFSETd HH:MM");
	send_bad("", "expected OFFSETd HH:MM");
	send_bad("3d 24:00", "00:00 to 23:59");
	send_bad("3d 12:60", "00:00 to 23:59");
	send_bad("-367d 09:00", "more than 366 days");
	send_bad("1000d 09:00", "more than 366 days");
	assert_int_equal(config_parse_send(NULL, NULL, NULL), -1);
}

/*
 * The [campaign NAME] section.
 */

#define GW                                                    \
	"[gateway]\nlanguages = en sw\ncountry_code = 254\n"  \
	"default_channel = web\n[channel web]\ntype = http\n" \
	"api_url = http://127.0.0.1:9/send\nsigning_key = k\n"

/* Lines 1-9 are GW; a campaign section starts on line 9. */
static const char good_conf[] =
    GW "[campaign bill_due]\n"
       "table = bills\n"
       "phone = phone\n"
       "date = due_date\n"
       "send = -3d 09:00, 0d 08:00\n"
       "text = \"Dear {name}, KES {balance} is due on {due_date}.\"\n"
       "    sw \"Ndugu {name}: KES {balance} ifikapo {due_date}.\" ; c\n"
       "channel = web\n"
       "[campaign water]\n"
       "table = meters\n"
       "phone = tel\n"
       "date = read_on\n"
       "send = 1d 18:30\n"
       "text = \"Meter {meter} read.\"\n";

static struct config *
parse_ok(const char *text)
{
	struct config *cfg = NULL;
	struct config_errors *e = NULL;

	if (config_parse_buffer(
		text, strlen(text), "t.conf", "/tmp", &cfg, &e) != 0) {
		config_errors_print(e, stderr);
		fail_msg("findings in a good config");
	}
	config_errors_free(e);
	return cfg;
}

static void
test_config_good(void **state)
{
	struct config *cfg = parse_ok(good_conf);
	const struct config_campaign *c;
	const struct template *t;

	(void)state;
	assert_int_equal(cfg->ncampaigns, 2);
	c = config_campaign(cfg, "bill_due");
	assert_non_null(c);
	assert_int_equal(c->line, 9);
	assert_string_equal(c->table, "bills");
	assert_string_equal(c->phone, "phone");
	assert_string_equal(c->date, "due_date");
	assert_string_equal(c->channel, "web");
	assert_int_equal(c->nsends, 2);
	assert_int_equal(c->sends[0].days, -3);
	assert_int_equal(c->sends[0].minute, 540);
	assert_int_equal(c->sends[1].days, 0);
	assert_int_equal(c->sends[1].minute, 480);
	assert_int_equal(c->ntexts, 2);
	assert_string_equal(c->texts[0].lang, "en");
	assert_int_equal(c->texts[0].line, 14);
	assert_string_equal(c->texts[1].lang, "sw");
	assert_int_equal(c->texts[1].line, 15);
	t = config_campaign_text(c, "sw");
	assert_string_equal(t->src, "Ndugu {name}: KES {balance} ifikapo "
				    "{due_date}.");
	t = config_campaign_text(c, "en");
	assert_string_equal(
	    t->src, "Dear {name}, KES {balance} is due on {due_date}.");
	assert_ptr_equal(config_campaign_text(c, NULL), t);
	assert_ptr_equal(config_campaign_text(c, "fr"), t);
	c = config_campaign(cfg, "water");
	assert_non_null(c);
	assert_null(c->channel);
	assert_int_equal(c->ntexts, 1);
	assert_null(config_campaign(cfg, "nope"));
	config_free(cfg);
}

/* Parses text expecting n errors, each (line, part) among them. */
static void
expect_findings(
    const char *text, int n, const int *lines, const char *const *parts)
{
	struct config *cfg = NULL;
	struct config_errors *e = NULL;
	int got =
	    config_parse_buffer(text, strlen(text), "t.conf", "/tmp", &cfg, &e);
	size_t i, j;

	for (j = 0; parts[j] != NULL; j++) {
		for (i = 0; i < e->n; i++)
			if (e->v[i].line == lines[j] &&
			    strstr(e->v[i].message, parts[j]) != NULL)
				break;
		if (i == e->n) {
			config_errors_print(e, stderr);
			fail_msg("no finding at line %d with \"%s\"", lines[j],
			    parts[j]);
		}
	}
	if (got != n) {
		config_errors_print(e, stderr);
		fail_msg("expected %d findings, got %d", n, got);
	}
	config_free(cfg);
	config_errors_free(e);
}

static void
test_config_findings(void **state)
{
	static const char bad[] =
	    GW "[campaign bad]\n" /* 9 */
	       "table = 1bills\n" /* 10 */
	       "phone = phone\n"  /* 11 */
	       "send = -3 09:00, +400d 10:00, 1d 24:00, -3d 9:00, "
	       "-3d 10:00\n"                               /* 12 */
	       "text = \"Hi {bill.name}\"\n"               /* 13 */
	       "    fr \"Bonjour\"\n"                      /* 14 */
	       "    en \"Hello\"\n"                        /* 15 */
	       "    sw \"Habari\"\n"                       /* 16 */
	       "    sw \"Habari tena\"\n"                  /* 17 */
	       "    sw \"again\"\n"                        /* 18 */
	       "channel = nope\n"                          /* 19 */
	       "bogus = 1\n"                               /* 20 */
	       "    sw \"after a key that is not text\"\n" /* 21 */
	       "[campaign bad]\n"                          /* 22 */
	       "[campaign Bad!]\n"                         /* 23 */
	       "[campaign ok]\n"                           /* 24 */
	       "table = t\nphone = p\ndate = d\nsend = 0d 08:00\n"
	       "text = \"x {y\"\n"                                   /* 29 */
	       "    sw \"{oops\"\n"                                  /* 30 */
	       "text = \"again\"\n"                                  /* 31 */
	       "[campaign nosend]\n"                                 /* 32 */
	       "table = t\nphone = p\ndate = d\ntext = x\nsend =\n"; /* 37 */
	static const int lines[] = {9, 10, 12, 12, 12, 12, 13, 14, 15, 17, 18,
	    19, 20, 21, 22, 23, 29, 30, 31, 37};
	static const char *const parts[] = {
	    "missing required key 'date' in [campaign bad]",
	    "table: expected a table name",
	    "send: '-3 09:00': expected OFFSETd HH:MM",
	    "send: '+400d 10:00': the offset is more than 366 days",
	    "send: '1d 24:00': the time of day must be 00:00 to 23:59",
	    "send: the offset -3d is listed twice",
	    "placeholder '{bill.name}' at column 4",
	    "translation: language 'fr' is not in languages (en sw)",
	    "translation: 'en' is the default language",
	    "duplicate translation 'sw' (first at line 16)",
	    "duplicate translation 'sw' (first at line 16)",
	    "channel: no channel named 'nope'",
	    "unknown key 'bogus' in [campaign bad]",
	    "a translation sw \"...\" must follow the text key",
	    "duplicate campaign 'bad' (first at line 9)",
	    "bad campaign name 'Bad!'",
	    "text: bad template",
	    "translation sw: bad template at column 1",
	    "duplicate key 'text' (first set at line 29)",
	    "send: must not be empty",
	    NULL,
	};

	(void)state;
	expect_findings(bad, 20, lines, parts);
}

static void
test_config_no_channel(void **state)
{
	static const char text[] = "[gateway]\n"
				   "[channel a]\ntype = http\n"
				   "api_url = http://127.0.0.1:9/a\n"
				   "signing_key = k\n"
				   "[channel b]\ntype = http\n"
				   "api_url = http://127.0.0.1:9/b\n"
				   "signing_key = k\n"
				   "[campaign c]\n" /* 10 */
				   "table = t\nphone = p\ndate = d\n"
				   "send = 0d 08:00\ntext = x\n";
	static const int lines[] = {10};
	static const char *const parts[] = {
	    "[campaign c] has no channel: set channel here, or "
	    "default_channel in [gateway]",
	    NULL};

	(void)state;
	expect_findings(text, 1, lines, parts);
}

/* An indented `LL "..."` line outside a campaign reads as it always did. */
static void
test_config_translation_elsewhere(void **state)
{
	static const char text[] = "[gateway]\n"
				   "stop_text = \"Bye\"\n"
				   "    sw \"Kwaheri\"\n";
	static const int lines[] = {3};
	static const char *const parts[] = {"expected 'key = value'", NULL};

	(void)state;
	expect_findings(text, 1, lines, parts);
}

/*
 * The calendar.
 */

static void
test_dates(void **state)
{
	char out[11];
	int64_t d;

	(void)state;
	assert_int_equal(day("1970-01-01"), 0);
	assert_int_equal(day("1970-01-02"), 1);
	assert_int_equal(day("1969-12-31"), -1);
	assert_int_equal(day("2000-03-01") - day("2000-02-28"), 2);
	assert_int_equal(day("1900-03-01") - day("1900-02-28"), 1);
	assert_int_equal(day("2028-02-29") + 1, day("2028-03-01"));
	assert_int_equal(campaign_parse_date("2026-02-29", &d), -1);
	assert_int_equal(campaign_parse_date("2026-04-31", &d), -1);
	assert_int_equal(campaign_parse_date("2026-13-01", &d), -1);
	assert_int_equal(campaign_parse_date("2026-00-10", &d), -1);
	assert_int_equal(campaign_parse_date("2026-12-00", &d), -1);
	assert_int_equal(campaign_parse_date("2026-1-01", &d), -1);
	assert_int_equal(campaign_parse_date("2026-12-1", &d), -1);
	assert_int_equal(campaign_parse_date("2026/12/01", &d), -1);
	assert_int_equal(campaign_parse_date("2026-12-01 ", &d), -1);
	assert_int_equal(campaign_parse_date("1899-12-31", &d), -1);
	assert_int_equal(campaign_parse_date("", &d), -1);
	assert_int_equal(campaign_parse_date(NULL, &d), -1);

	/* Offsets across month ends, leap years and the year's end. */
	campaign_format_date(day("2026-03-01") - 3, out);
	assert_string_equal(out, "2026-02-26");
	campaign_format_date(day("2028-03-01") - 3, out);
	assert_string_equal(out, "2028-02-27");
	campaign_format_date(day("2028-03-01") - 1, out);
	assert_string_equal(out, "2028-02-29");
	campaign_format_date(day("2026-12-31") + 1, out);
	assert_string_equal(out, "2027-01-01");
	campaign_format_date(day("2026-01-02") - 3, out);
	assert_string_equal(out, "2025-12-30");
	campaign_format_date(day("2026-05-31") + 1, out);
	assert_string_equal(out, "2026-06-01");
	campaign_format_date(day("2026-12-15") - 366, out);
	assert_string_equal(out, "2025-12-14");
	campaign_format_date(day("9999-12-31"), out);
	assert_string_equal(out, "9999-12-31");
}

static void
test_due_nairobi(void **state)
{
	struct config_campaign_send s = {-3, 9 * 60};
	int64_t ms, d;
	int minute;

	(void)state;
	NAIROBI();
	/* Due 2026-12-15: 09:00 EAT on the 12th, 06:00 UTC. */
	assert_int_equal(campaign_due_ms(day("2026-12-15"), &s, &ms), 0);
	assert_int_equal(ms, utc("2026-12-12T06:00"));
	/* Across a month end and a leap day. */
	assert_int_equal(campaign_due_ms(day("2028-03-01"), &s, &ms), 0);
	assert_int_equal(ms, utc("2028-02-27T06:00"));
	assert_int_equal(campaign_due_ms(day("2026-03-02"), &s, &ms), 0);
	assert_int_equal(ms, utc("2026-02-27T06:00"));
	/* Across the year's end, and a time before 03:00 (the UTC day
	 * before). */
	s.days = 1;
	s.minute = 60;
	assert_int_equal(campaign_due_ms(day("2026-12-31"), &s, &ms), 0);
	assert_int_equal(ms, utc("2026-12-31T22:00"));
	/* The local day and minute of an instant. */
	assert_int_equal(
	    campaign_local_day(utc("2026-12-31T22:00"), &d, &minute), 0);
	assert_int_equal(d, day("2027-01-01"));
	assert_int_equal(minute, 60);
	assert_int_equal(
	    campaign_local_day(utc("2026-12-31T20:59") + 59999, &d, &minute),
	    0);
	assert_int_equal(d, day("2026-12-31"));
	assert_int_equal(minute, 23 * 60 + 59);
	assert_int_equal(campaign_local_ms(0, 1440, &ms), -1);
	assert_int_equal(campaign_local_ms(0, -1, &ms), -1);
}

static void
test_due_new_york_dst(void **state)
{
	struct config_campaign_send s = {-3, 9 * 60};
	int64_t ms, d;
	int minute;

	(void)state;
	NEW_YORK();
	/* 2026-03-08: clocks go from 02:00 EST to 03:00 EDT. A 09:00 send
	 * that day is 13:00 UTC, the day before 14:00 UTC. */
	assert_int_equal(campaign_due_ms(day("2026-03-11"), &s, &ms), 0);
	assert_int_equal(ms, utc("2026-03-08T13:00"));
	assert_int_equal(campaign_due_ms(day("2026-03-10"), &s, &ms), 0);
	assert_int_equal(ms, utc("2026-03-07T14:00"));
	/* 2026-11-01: back from 02:00 EDT to 01:00 EST. */
	assert_int_equal(campaign_due_ms(day("2026-11-04"), &s, &ms), 0);
	assert_int_equal(ms, utc("2026-11-01T14:00"));
	assert_int_equal(campaign_due_ms(day("2026-11-03"), &s, &ms), 0);
	assert_int_equal(ms, utc("2026-10-31T13:00"));
	/* A skipped time goes out as far after the gap: 02:30 is 03:30. */
	assert_int_equal(campaign_local_ms(day("2026-03-08"), 150, &ms), 0);
	assert_int_equal(ms, utc("2026-03-08T07:30"));
	/* A repeated time goes out at its first occurrence (EDT). */
	assert_int_equal(campaign_local_ms(day("2026-11-01"), 90, &ms), 0);
	assert_int_equal(ms, utc("2026-11-01T05:30"));
	/* Midnight of the change days. */
	assert_int_equal(campaign_local_ms(day("2026-03-08"), 0, &ms), 0);
	assert_int_equal(ms, utc("2026-03-08T05:00"));
	assert_int_equal(campaign_local_ms(day("2026-11-01"), 0, &ms), 0);
	assert_int_equal(ms, utc("2026-11-01T04:00"));
	assert_int_equal(
	    campaign_local_day(utc("2026-03-08T13:00"), &d, &minute), 0);
	assert_int_equal(d, day("2026-03-08"));
	assert_int_equal(minute, 9 * 60);
	NAIROBI();
}

static void
test_window(void **state)
{
	int64_t at = utc("2026-12-12T06:00"); /* 09:00 in Nairobi */
	int64_t midnight = utc("2026-12-11T21:00");

	(void)state;
	NAIROBI();
	/* A campaign that never ran looks back one tick. */
	assert_int_equal(campaign_window_start(-1, at), at - CAMPAIGN_TICK_MS);
	/* One that ran a minute ago starts there. */
	assert_int_equal(campaign_window_start(at - 60000, at), at - 60000);
	assert_int_equal(campaign_window_start(midnight + 5, at), midnight + 5);
	/* Never before the local midnight, which it includes. */
	assert_int_equal(
	    campaign_window_start(at - 3 * 86400000LL, at), midnight - 1);
	assert_int_equal(
	    campaign_window_start(-1, midnight + 1000), midnight - 1);
	/* A clock that went back: an empty window. */
	assert_int_equal(campaign_window_start(at + 5000, at), at);
}

/*
 * Runs against a store.
 */

struct fixture {
	struct store *st;
	struct config *cfg;
	struct sidedb side;
	char seen[4096]; /* the messages told, "PHONE|TEXT\n" each */
};

static const char run_conf[] =
    GW "[campaign bill_due]\n"
       "table = bills\n"
       "phone = phone\n"
       "date = due_date\n"
       "send = -3d 09:00, 0d 08:00\n"
       "text = \"Dear {name}, KES {balance} is due on {due_date}.\"\n"
       "    sw \"Ndugu {name}, KES {balance} ifikapo {due_date}.\"\n";

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	NAIROBI();
	sidedb_open(&f->side, 1, &f->st);
	f->cfg = parse_ok(run_conf);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	sidedb_close(&f->side, f->st);
	config_free(f->cfg);
	free(f);
	return 0;
}

static void
import(struct fixture *f, const char *csv)
{
	char *err = NULL;

	if (import_csv_buf(f->st, "bills", "account", csv, strlen(csv), NULL,
		NULL, &err) < 0)
		fail_msg("import: %s", err);
}

static void
on_message(void *arg, const struct campaign_message *m)
{
	struct fixture *f = arg;
	size_t n = strlen(f->seen);

	snprintf(f->seen + n, sizeof(f->seen) - n, "%s|%s\n", m->phone,
	    m->text != NULL ? m->text : m->skipped);
}

/* One run at the local Nairobi time "YYYY-MM-DDTHH:MM"; returns totals. */
static struct campaign_totals
run_at(struct fixture *f, const char *local)
{
	struct campaign_totals t;

	f->seen[0] = '\0';
	assert_int_equal(campaign_run(f->st, f->cfg, utc(local) - 3 * 3600000,
			     utc(local) - 3 * 3600000, on_message, f, &t),
	    0);
	return t;
}

static const char bills[] = "account,phone,name,balance,due_date\n"
			    "1001,0700000001,Amina,1250.00,2026-12-15\n"
			    "1002,0700000002,Joseph,0.00,2026-12-15\n"
			    "1003,0700000003,Grace,3480.50,2026-12-16\n"
			    "1004,0700000004,Opted,10.00,2026-12-15\n"
			    "1005,07000x0005,Bad,1.00,2026-12-15\n"
			    "1006,0700000006,Late,5.00,15/12/2026\n";

static void
test_run(void **state)
{
	struct fixture *f = *state;
	struct campaign_totals t;

	import(f, bills);
	sidedb_exec(&f->side,
	    "INSERT INTO contacts (phone, opted_out, created, updated)"
	    " VALUES ('+254700000004', 1, 0, 0);"
	    "INSERT INTO contacts (phone, language, created, updated)"
	    " VALUES ('+254700000002', 'sw', 0, 0);");
	/* 08:59: nothing yet. */
	t = run_at(f, "2026-12-12T08:59");
	assert_int_equal(t.queued, 0);
	assert_string_equal(f->seen, "");
	/* 09:00: the rows due on the 15th, each once. */
	t = run_at(f, "2026-12-12T09:00");
	assert_int_equal(t.queued, 2);
	assert_int_equal(t.opted_out, 1);
	assert_int_equal(t.bad, 1);
	assert_string_equal(f->seen,
	    "+254700000001|Dear Amina, KES 1250.00 is due on 2026-12-15.\n"
	    "+254700000002|Ndugu Joseph, KES 0.00 ifikapo 2026-12-15.\n"
	    "+254700000004|opted out\n"
	    "07000x0005|bad phone number\n");
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT count(*) FROM messages WHERE state = "
				 "'queued' AND direction = 'out'"),
	    2);
	assert_int_equal(sidedb_int(&f->side, "SELECT count(*) FROM messages "
					      "WHERE contact_id IS NULL"),
	    0);
	/* Again at 09:00, and a minute later: nothing more. */
	t = run_at(f, "2026-12-12T09:00");
	assert_int_equal(t.queued, 0);
	t = run_at(f, "2026-12-12T09:01");
	assert_int_equal(t.queued, 0);
	/* A re-import with the same dates: nothing more, even when the
	 * clock goes back over the time. */
	import(f, bills);
	t = run_at(f, "2026-12-12T08:30");
	assert_int_equal(t.queued, 0);
	t = run_at(f, "2026-12-12T09:05");
	assert_int_equal(t.queued, 0);
	/* The next day, 09:00: the row due on the 16th. */
	t = run_at(f, "2026-12-13T09:00");
	assert_int_equal(t.queued, 1);
	assert_string_equal(f->seen, "+254700000003|Dear Grace, KES 3480.50 "
				     "is due on 2026-12-16.\n");
	/* A changed date gets the new date's messages. */
	import(f, "account,phone,name,balance,due_date\n"
		  "1001,0700000001,Amina,1250.00,2026-12-17\n");
	t = run_at(f, "2026-12-14T09:00");
	assert_int_equal(t.queued, 1);
	assert_string_equal(f->seen, "+254700000001|Dear Amina, KES 1250.00 "
				     "is due on 2026-12-17.\n");
	assert_int_equal(sidedb_int(&f->side, "SELECT count(*) FROM "
					      "campaign_sent"),
	    4);
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT count(*) FROM messages"), 4);
}

/* After an outage, what fell due earlier the same day goes out. */
static void
test_catch_up(void **state)
{
	struct fixture *f = *state;
	struct campaign_totals t;

	import(f, bills);
	t = run_at(f, "2026-12-12T07:00"); /* the campaign's first run */
	assert_int_equal(t.queued, 0);
	t = run_at(f, "2026-12-12T15:00"); /* back up at 15:00 */
	assert_int_equal(t.queued, 3);
	/* A day missed is not sent late: down from the 12th 15:00 to the
	 * 14th 10:00 misses the 13th's reminder of the row due the 16th. */
	t = run_at(f, "2026-12-14T10:00");
	assert_int_equal(t.queued, 0);
}

/* A new campaign does not send what fell due before it ran. */
static void
test_new_campaign(void **state)
{
	struct fixture *f = *state;
	struct campaign_totals t;

	import(f, bills);
	t = run_at(f, "2026-12-12T09:30");
	assert_int_equal(t.queued, 0);
	t = run_at(f, "2026-12-15T08:00"); /* 0d 08:00, after a gap */
	assert_int_equal(t.queued, 3);
}

static void
test_no_table(void **state)
{
	struct fixture *f = *state;
	struct campaign_totals t;
	int64_t next, count;

	t = run_at(f, "2026-12-12T09:00");
	assert_int_equal(t.no_table, 1);
	assert_int_equal(t.queued, 0);
	assert_int_equal(campaign_next(f->st, &f->cfg->campaigns[0],
			     utc("2026-12-12T06:00"), &next, &count),
	    STORE_ENOTABLE);
	/* A table without a column the text names. */
	{
		char *err = NULL;
		const char csv[] = "account,phone,name,due_date\n"
				   "1001,0700000001,Amina,2026-12-15\n";

		assert_true(import_csv_buf(f->st, "bills", "account", csv,
				strlen(csv), NULL, NULL, &err) > 0);
	}
	t = run_at(f, "2026-12-13T09:00");
	assert_int_equal(t.no_table, 1);
	assert_int_equal(t.queued, 0);
}

/* A contact not known yet speaks the default language. */
#define PLAN_DAY                                                        \
	"+254700000001|Dear Amina, KES 1250.00 is due on 2026-12-15.\n" \
	"+254700000002|Dear Joseph, KES 0.00 is due on 2026-12-15.\n"   \
	"+254700000004|Dear Opted, KES 10.00 is due on 2026-12-15.\n"   \
	"07000x0005|bad phone number\n"                                 \
	"+254700000003|Dear Grace, KES 3480.50 is due on 2026-12-16.\n"

static void
test_plan_and_next(void **state)
{
	struct fixture *f = *state;
	struct campaign_totals t;
	int64_t next, count, at = utc("2026-12-11T06:00");

	import(f, bills);
	f->seen[0] = '\0';
	assert_int_equal(campaign_plan(f->st, f->cfg, &f->cfg->campaigns[0], at,
			     at + 7 * 86400000LL, on_message, f, &t),
	    0);
	/* In time order: the -3d reminders of the 12th and the 13th, then
	 * the 0d messages of the 15th and the 16th. */
	assert_int_equal(t.queued, 8);
	assert_int_equal(t.opted_out, 0);
	assert_int_equal(t.bad, 2);
	assert_string_equal(f->seen, PLAN_DAY PLAN_DAY);
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT count(*) FROM messages"), 0);
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT count(*) FROM contacts"), 0);
	/* The next send: the 12th at 09:00, four rows. */
	assert_int_equal(
	    campaign_next(f->st, &f->cfg->campaigns[0], at, &next, &count), 0);
	assert_int_equal(next, utc("2026-12-12T06:00"));
	assert_int_equal(count, 4);
	/* Once sent, the next is the 13th's. */
	run_at(f, "2026-12-12T08:59");
	run_at(f, "2026-12-12T09:00");
	assert_int_equal(campaign_next(f->st, &f->cfg->campaigns[0],
			     utc("2026-12-12T06:00"), &next, &count),
	    0);
	assert_int_equal(next, utc("2026-12-13T06:00"));
	assert_int_equal(count, 1);
	/* Past every date: none. */
	assert_int_equal(campaign_next(f->st, &f->cfg->campaigns[0],
			     utc("2027-01-01T00:00"), &next, &count),
	    0);
	assert_int_equal(next, -1);
	assert_int_equal(count, 0);
}

/* The run's config with channel web's cost and daily budget. */
static struct config *
budget_conf(const char *budget)
{
	char *text = xasprintf("%s\ncurrency = KES\n"
			       "[channel web]\ntype = http\n"
			       "api_url = http://127.0.0.1:9/send\n"
			       "signing_key = k\ncost_per_segment = 1.00\n"
			       "daily_budget = %s\n"
			       "[campaign bill_due]\ntable = bills\n"
			       "phone = phone\ndate = due_date\n"
			       "send = -3d 09:00\ntext = \"Dear {name}\"\n",
	    "[gateway]\nlanguages = en sw\ncountry_code = 254\n"
	    "default_channel = web",
	    budget);
	struct config *cfg = parse_ok(text);

	free(text);
	return cfg;
}

/*
 * A run past the daily budget is held: nothing queued, and the window
 * stays, so a later run that day sends once the budget allows.
 */
static void
test_budget_hold(void **state)
{
	struct fixture *f = *state;
	struct campaign_totals t;

	import(f, bills);
	config_free(f->cfg);
	f->cfg = budget_conf("2.50");
	run_at(f, "2026-12-12T08:59");
	t = run_at(f, "2026-12-12T09:00");
	assert_int_equal(t.held, 1);
	assert_int_equal(t.queued, 3); /* what would have gone */
	assert_non_null(strstr(t.held_why, "daily budget of channel web"));
	assert_string_equal(f->seen, "");
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT count(*) FROM messages"), 0);
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT count(*) FROM campaign_sent"), 0);
	t = run_at(f, "2026-12-12T09:01");
	assert_int_equal(t.held, 1);
	/* The budget raised (a restart with a new config): it goes. */
	config_free(f->cfg);
	f->cfg = budget_conf("3.00");
	t = run_at(f, "2026-12-12T09:02");
	assert_int_equal(t.held, 0);
	assert_int_equal(t.queued, 3);
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT count(*) FROM messages"), 3);
	t = run_at(f, "2026-12-12T09:03");
	assert_int_equal(t.queued, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_send),
	    cmocka_unit_test(test_config_good),
	    cmocka_unit_test(test_config_findings),
	    cmocka_unit_test(test_config_no_channel),
	    cmocka_unit_test(test_config_translation_elsewhere),
	    cmocka_unit_test(test_dates),
	    cmocka_unit_test(test_due_nairobi),
	    cmocka_unit_test(test_due_new_york_dst),
	    cmocka_unit_test(test_window),
	    cmocka_unit_test_setup_teardown(test_run, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_catch_up, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_new_campaign, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_table, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_plan_and_next, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_budget_hold, setup, teardown),
	};

	NAIROBI();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
