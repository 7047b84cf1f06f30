/*
 * test_reports.c: issue reports after they are opened: listing filters,
 * status changes with events and the reporter's SMS, the admin JSON, and
 * the Open311 services, requests and time parsing. Everything runs on an
 * in-memory store.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "council/open311.h"
#include "council/reports.h"
#include "flows/flow.h"
#include "gateway/config.h"
#include "gateway/answer.h"
#include "gateway/outq.h"
#include "gateway/store.h"
#include "lib/util.h"
#include "tests/unit/sidedb.h"

static const char conf_text[] = "[gateway]\n"
				"languages = en sw\n"
				"default_channel = at\n"
				"[channel at]\n"
				"type = africastalking\n"
				"username = sandbox\n"
				"api_key = k\n"
				"webhook_secret = s\n"
				"[channel web]\n"
				"type = http\n"
				"api_url = http://127.0.0.1:9/send\n"
				"signing_key = k\n";

static const char flow_text[] = "flow report \"Report a problem\"\n"
				"    sw \"Ripoti tatizo\"\n"
				"  on keyword REPORT\n"
				"  menu category \"What is the problem?\"\n"
				"    option \"Water leak\" = \"water_leak\"\n"
				"      sw \"Bomba linavuja\"\n"
				"    option \"No water\" = \"no_water\"\n"
				"  ask location \"Where?\"\n"
				"  report issue\n"
				"    category \"{category}\"\n"
				"    location \"{location}\"\n"
				"  end \"Report {issue.id}.\"\n";

/* Times of the fixture's reports: a day apart from T0. */
#define T0 INT64_C(1795000000000)
#define DAY INT64_C(86400000)

struct fixture {
	struct store *st;
	struct config *cfg;
	int64_t amina;  /* contact, language sw, last channel web */
	int64_t baraka; /* contact, no language, opted out */
	int64_t r1, r2, r3;
	struct sidedb side; /* raw SQL beside st */
};

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct config_errors *errs = NULL;
	struct store_contact c;

	sidedb_open(&f->side, 0, &f->st);
	assert_int_equal(config_parse_buffer(conf_text, sizeof(conf_text) - 1,
			     "t.conf", "/tmp", &f->cfg, &errs),
	    0);
	config_errors_free(errs);
	assert_int_equal(store_contact_get(f->st, "+254700000001", T0, &c), 1);
	f->amina = c.id;
	store_contact_free(&c);
	assert_int_equal(
	    store_contact_set_language(f->st, f->amina, "sw", T0), 0);
	assert_int_equal(
	    store_contact_set_last_channel(f->st, f->amina, "web", T0), 0);
	assert_int_equal(store_contact_get(f->st, "+254700000002", T0, &c), 1);
	f->baraka = c.id;
	store_contact_free(&c);
	assert_int_equal(
	    store_contact_set_opted_out(f->st, f->baraka, 1, T0), 0);
	assert_int_equal(
	    store_report_create(f->st, f->amina, "report", "water_leak",
		"Kilimani, near the school", "Pipe burst", T0, &f->r1),
	    0);
	assert_int_equal(store_report_create(f->st, f->baraka, "report",
			     "no_water", "Umoja", NULL, T0 + DAY, &f->r2),
	    0);
	assert_int_equal(store_report_create(f->st, 0, NULL, "potholes",
			     "Ngong Road", "Deep hole", T0 + 2 * DAY, &f->r3),
	    0);
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

/* Collects the ids a listing produced. */
struct seen {
	int64_t ids[16];
	char notes[16][64];
	size_t n;
};

static int
seen_cb(void *arg, const struct store_report *r, const char *note)
{
	struct seen *s = arg;

	assert_true(s->n < 16);
	snprintf(s->notes[s->n], sizeof(s->notes[0]), "%s",
	    note != NULL ? note : "");
	s->ids[s->n++] = r->id;
	return 0;
}

static void
list(struct fixture *f, const struct store_report_filter *flt, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	assert_int_equal(reports_each(f->st, flt, seen_cb, s), 0);
}

static void
test_list_filters(void **state)
{
	struct fixture *f = *state;
	const char *st_open[] = {"open"}, *cats[] = {"no_water", "potholes"};
	const char *st_ip[] = {"in_progress"};
	int64_t ids[] = {f->r1, f->r3, 999};
	struct store_report_filter flt;
	struct seen s;

	list(f, NULL, &s);
	assert_int_equal(s.n, 3);
	/* Newest first. */
	assert_int_equal(s.ids[0], f->r3);
	assert_int_equal(s.ids[2], f->r1);
	assert_true(f->r1 < f->r2 && f->r2 < f->r3);

	memset(&flt, 0, sizeof(flt));
	flt.statuses = st_ip;
	flt.nstatuses = 1;
	list(f, &flt, &s);
	assert_int_equal(s.n, 0);
	flt.statuses = st_open;
	list(f, &flt, &s);
	assert_int_equal(s.n, 3);

	memset(&flt, 0, sizeof(flt));
	flt.categories = cats;
	flt.ncategories = 2;
	list(f, &flt, &s);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.ids[0], f->r3);
	assert_int_equal(s.ids[1], f->r2);

	memset(&flt, 0, sizeof(flt));
	flt.ids = ids;
	flt.nids = 3;
	list(f, &flt, &s);
	assert_int_equal(s.n, 2);

	memset(&flt, 0, sizeof(flt));
	flt.has_since = 1;
	flt.since = T0 + DAY;
	list(f, &flt, &s);
	assert_int_equal(s.n, 2);
	flt.has_until = 1;
	flt.until = T0 + DAY;
	list(f, &flt, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.ids[0], f->r2);

	memset(&flt, 0, sizeof(flt));
	flt.limit = 2;
	list(f, &flt, &s);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.ids[1], f->r2);

	flt.nstatuses = REPORTS_FILTER_MAX + 1;
	flt.statuses = st_open;
	assert_int_equal(reports_each(f->st, &flt, seen_cb, &s), STORE_EINVAL);
}

/* The one outbound message with id, checked field by field. */
static void
expect_message(struct fixture *f, int64_t id, const char *channel,
    const char *phone, const char *text)
{
	struct store_msg m;

	assert_int_equal(store_msg_get(f->st, id, &m), 0);
	assert_int_equal(m.direction, MSG_OUT);
	assert_string_equal(m.channel, channel);
	assert_string_equal(m.phone, phone);
	assert_int_equal(m.state, MSG_QUEUED);
	store_msg_free(&m);
	if (text != NULL) {
		char *sql = xasprintf(
		    "SELECT text FROM messages WHERE id = %lld", (long long)id);
		char *t = sidedb_text(&f->side, sql);

		assert_non_null(t);
		assert_string_equal(t, text);
		free(t);
		free(sql);
	}
}

static int64_t
count_messages(struct fixture *f)
{
	return sidedb_int(&f->side, "SELECT count(*) FROM messages");
}

static void
test_update_notifies_in_language(void **state)
{
	struct fixture *f = *state;
	struct reports_update_result res;
	struct reports_event *ev;
	struct store_report r;
	size_t n;

	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(reports_update(f->st, f->cfg, f->r1, "in_progress",
			     "Crew sent", T0 + DAY, &res),
	    0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(res.changed, 1);
	assert_string_equal(res.old_status, "open");
	assert_null(res.no_sms);
	assert_true(res.message_id > 0);
	/* Swahili contact, on the channel it last wrote from. */
	expect_message(f, res.message_id, "web", "+254700000001",
	    "Ripoti yako nambari 1 (water leak) inashughulikiwa sasa. "
	    "Maelezo: Crew sent");

	assert_int_equal(store_report_get(f->st, f->r1, &r), 0);
	assert_string_equal(r.status, "in_progress");
	assert_true(r.updated == T0 + DAY);
	store_report_free(&r);
	assert_int_equal(reports_events(f->st, f->r1, &ev, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(ev[0].status, "open");
	assert_null(ev[0].note);
	assert_string_equal(ev[1].status, "in_progress");
	assert_string_equal(ev[1].note, "Crew sent");
	assert_true(ev[1].time == T0 + DAY);
	reports_events_free(ev, n);
}

static void
test_note_alone_and_same_status(void **state)
{
	struct fixture *f = *state;
	struct reports_update_result res;
	struct reports_event *ev;
	int64_t before = count_messages(f);
	char *note;
	size_t n;

	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(reports_update(f->st, f->cfg, f->r1, NULL,
			     "Checked by the ward office", T0 + 1, &res),
	    0);
	/* The same status again: an event, but no change and no SMS. */
	assert_int_equal(
	    reports_update(f->st, f->cfg, f->r1, "open", NULL, T0 + 2, &res),
	    0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(res.changed, 0);
	assert_int_equal(res.message_id, 0);
	assert_int_equal(count_messages(f), before);
	assert_int_equal(reports_events(f->st, f->r1, &ev, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(ev[1].status, "open");
	assert_string_equal(ev[1].note, "Checked by the ward office");
	reports_events_free(ev, n);
	note = reports_last_note(f->st, f->r1);
	assert_string_equal(note, "Checked by the ward office");
	free(note);
	assert_null(reports_last_note(f->st, f->r2));
}

static void
test_update_errors(void **state)
{
	struct fixture *f = *state;
	struct reports_update_result res;
	struct reports_event *ev;
	char *big;
	size_t n;

	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(
	    reports_update(f->st, f->cfg, 999, "closed", NULL, T0, &res),
	    STORE_NOTFOUND);
	assert_int_equal(
	    reports_update(f->st, f->cfg, f->r1, "done", NULL, T0, &res),
	    STORE_EINVAL);
	assert_int_equal(
	    reports_update(f->st, f->cfg, f->r1, NULL, "", T0, &res),
	    STORE_EINVAL);
	assert_int_equal(
	    reports_update(f->st, f->cfg, f->r1, NULL, NULL, T0, &res),
	    STORE_EINVAL);
	big = xmalloc(STORE_TEXT_MAX + 2);
	memset(big, 'x', STORE_TEXT_MAX + 1);
	big[STORE_TEXT_MAX + 1] = '\0';
	assert_int_equal(
	    reports_update(f->st, f->cfg, f->r1, "closed", big, T0, &res),
	    STORE_EINVAL);
	free(big);
	assert_int_equal(store_commit(f->st), 0);
	/* Nothing was written. */
	assert_int_equal(reports_events(f->st, f->r1, &ev, &n), 0);
	assert_int_equal(n, 1);
	reports_events_free(ev, n);
	assert_int_equal(count_messages(f), 0);
}

static void
test_no_sms_cases(void **state)
{
	struct fixture *f = *state;
	struct reports_update_result res;
	struct store_report r;

	assert_int_equal(store_begin(f->st), 0);
	/* Opted out: the change is kept, the reporter is not told. */
	assert_int_equal(
	    reports_update(f->st, f->cfg, f->r2, "resolved", NULL, T0, &res),
	    0);
	assert_int_equal(res.changed, 1);
	assert_int_equal(res.message_id, 0);
	assert_non_null(res.no_sms);
	assert_non_null(strstr(res.no_sms, "opted out"));
	/* No reporter at all. */
	assert_int_equal(
	    reports_update(f->st, f->cfg, f->r3, "closed", NULL, T0, &res), 0);
	assert_int_equal(res.message_id, 0);
	assert_non_null(strstr(res.no_sms, "no reporter"));
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(count_messages(f), 0);
	assert_int_equal(store_report_get(f->st, f->r2, &r), 0);
	assert_string_equal(r.status, "resolved");
	store_report_free(&r);
}

static void
test_channel_and_language_fallback(void **state)
{
	struct fixture *f = *state;
	struct reports_update_result res;

	/* A last channel no longer configured, a language without texts. */
	assert_int_equal(
	    store_contact_set_last_channel(f->st, f->amina, "gone", T0), 0);
	assert_int_equal(
	    store_contact_set_language(f->st, f->amina, "fr", T0), 0);
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(reports_update(f->st, f->cfg, f->r1, "acknowledged",
			     NULL, T0, &res),
	    0);
	assert_int_equal(store_commit(f->st), 0);
	/* default_channel, and the config's first language (en). */
	expect_message(f, res.message_id, "at", "+254700000001",
	    "Your report 1 (water leak) has been received and will be "
	    "looked into.");
}

/* Replaces the fixture's config with conf_text plus a [reports] section. */
static void
use_reports(struct fixture *f, const char *section)
{
	struct config_errors *errs = NULL;
	struct config *cfg;
	char *text = xasprintf("%s[reports]\n%s", conf_text, section);

	if (config_parse_buffer(
		text, strlen(text), "t.conf", "/tmp", &cfg, &errs) != 0) {
		config_errors_print(errs, stderr);
		fail_msg("the test config has findings");
	}
	config_errors_free(errs);
	free(text);
	config_free(f->cfg);
	f->cfg = cfg;
}

/* Updates report id to status with note in its own transaction. */
static void
update(struct fixture *f, int64_t id, const char *status, const char *note,
    struct reports_update_result *res)
{
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(
	    reports_update(f->st, f->cfg, id, status, note, T0 + DAY, res), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(res->changed, 1);
}

static void
test_configured_text_by_language(void **state)
{
	struct fixture *f = *state;
	struct reports_update_result res;

	use_reports(f, "in_progress = \"EN {id} is {status}.\"\n"
		       "in_progress.sw = \"Ripoti {id}: {status} ({category}, "
		       "{location}) {note}\"\n");
	/* Amina speaks Swahili: her text, every placeholder rendered, and
	 * the note only where {note} is written. */
	update(f, f->r1, "in_progress", "Crew sent", &res);
	assert_null(res.no_sms);
	expect_message(f, res.message_id, "web", "+254700000001",
	    "Ripoti 1: in_progress (water leak, Kilimani, near the "
	    "school) Crew sent");
	/* The same contact in English gets the default-language text; a
	 * configured text without {note} leaves the note out. */
	assert_int_equal(
	    store_contact_set_language(f->st, f->amina, "en", T0), 0);
	update(f, f->r1, "acknowledged", NULL, &res);
	update(f, f->r1, "in_progress", "Crew sent", &res);
	expect_message(
	    f, res.message_id, "web", "+254700000001", "EN 1 is in_progress.");
}

static void
test_configured_text_fallback(void **state)
{
	struct fixture *f = *state;
	struct reports_update_result res;

	use_reports(f, "acknowledged = \"Received {id}. {note}\"\n"
		       "closed.sw = \"Imefungwa {id}{note}\"\n"
		       "resolved.en = \"{note}\"\n");
	/* No Swahili text for acknowledged: the default language's one,
	 * not the built-in Swahili text. */
	update(f, f->r1, "acknowledged", "Seen", &res);
	expect_message(
	    f, res.message_id, "web", "+254700000001", "Received 1. Seen");
	/* No configured text at all for in_progress: the built-in one, in
	 * the contact's language, with the note appended as before. */
	update(f, f->r1, "in_progress", "Crew sent", &res);
	expect_message(f, res.message_id, "web", "+254700000001",
	    "Ripoti yako nambari 1 (water leak) inashughulikiwa sasa. "
	    "Maelezo: Crew sent");
	/* A contact without a language: the default language (en) has no
	 * closed text, closed.sw is not for them: built-in English. */
	assert_int_equal(
	    store_contact_set_language(f->st, f->amina, NULL, T0), 0);
	update(f, f->r1, "closed", NULL, &res);
	expect_message(f, res.message_id, "web", "+254700000001",
	    "Your report 1 (water leak) has been closed.");
	/* A configured text that renders empty sends nothing. */
	update(f, f->r1, "resolved", NULL, &res);
	assert_int_equal(res.message_id, 0);
	assert_non_null(res.no_sms);
	assert_non_null(strstr(res.no_sms, "renders empty"));
	/* With a note it is the note. */
	update(f, f->r1, "closed", NULL, &res);
	update(f, f->r1, "resolved", "Pipe fixed", &res);
	expect_message(f, res.message_id, "web", "+254700000001", "Pipe fixed");
	/* An opted-out reporter is still never told. */
	update(f, f->r2, "acknowledged", "Seen", &res);
	assert_int_equal(res.message_id, 0);
	assert_non_null(strstr(res.no_sms, "opted out"));
}

static void
test_sms_text(void **state)
{
	struct store_report r;
	char *t, note[600];
	json_t *j;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.id = 42;
	r.category = "water_leak";
	r.status = "in_progress";
	t = reports_sms_text(&r, "en", NULL);
	assert_string_equal(t, "Your report 42 (water leak) is now in "
			       "progress.");
	free(t);
	r.category = NULL;
	r.status = "closed";
	t = reports_sms_text(&r, "sw", "");
	assert_string_equal(t, "Ripoti yako nambari 42 (tatizo) imefungwa.");
	free(t);
	t = reports_sms_text(&r, "xx", "Done");
	assert_string_equal(t, "Your report 42 (problem) has been closed. "
			       "Note: Done");
	free(t);
	/* A long note is clipped, never cut inside a UTF-8 sequence. */
	memset(note, 0, sizeof(note));
	for (size_t i = 0; i + 2 < sizeof(note) - 1; i += 2)
		memcpy(note + i, "\xc3\xa9", 2);
	t = reports_sms_text(&r, "en", note);
	assert_non_null(t);
	assert_true(strlen(t) < 400);
	assert_non_null(strstr(t, "..."));
	/* Still valid UTF-8. */
	j = json_string(t);
	assert_non_null(j);
	json_decref(j);
	free(t);
	r.status = "bogus";
	assert_null(reports_sms_text(&r, "en", NULL));
}

static void
test_json(void **state)
{
	struct fixture *f = *state;
	struct reports_event *ev;
	struct store_report r;
	json_t *o, *a;
	char *s;
	size_t n;

	assert_int_equal(store_report_get(f->st, f->r1, &r), 0);
	o = reports_json(&r, "Crew sent");
	assert_int_equal(json_integer_value(json_object_get(o, "id")), f->r1);
	assert_string_equal(
	    json_string_value(json_object_get(o, "status")), "open");
	assert_string_equal(json_string_value(json_object_get(o, "location")),
	    "Kilimani, near the school");
	assert_string_equal(json_string_value(json_object_get(o, "created")),
	    "2026-11-18T11:06:40Z");
	assert_string_equal(
	    json_string_value(json_object_get(o, "last_note")), "Crew sent");
	s = json_dumps(o, 0);
	assert_null(strstr(s, "254700000001"));
	free(s);
	json_decref(o);
	store_report_free(&r);

	assert_int_equal(store_report_get(f->st, f->r3, &r), 0);
	o = reports_json(&r, NULL);
	assert_true(json_is_null(json_object_get(o, "contact_id")));
	assert_true(json_is_null(json_object_get(o, "flow")));
	assert_true(json_is_null(json_object_get(o, "last_note")));
	json_decref(o);
	store_report_free(&r);

	assert_int_equal(reports_events(f->st, f->r1, &ev, &n), 0);
	a = reports_events_json(ev, n);
	assert_int_equal(json_array_size(a), 1);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(a, 0), "status")),
	    "open");
	json_decref(a);
	reports_events_free(ev, n);

	/* Bytes that are not UTF-8 still give a string. */
	o = answer_string("caf\xe9");
	assert_string_equal(json_string_value(o), "caf?");
	json_decref(o);
}

static void
test_parse_time(void **state)
{
	int64_t ms;

	(void)state;
	assert_int_equal(open311_parse_time("2026-11-29T10:00:00Z", &ms), 0);
	assert_true(ms == INT64_C(1795946400000));
	assert_int_equal(
	    open311_parse_time("2026-11-29T13:00:00+03:00", &ms), 0);
	assert_true(ms == INT64_C(1795946400000));
	/* An unencoded '+' arrives as a space. */
	assert_int_equal(
	    open311_parse_time("2026-11-29T13:00:00 0300", &ms), 0);
	assert_true(ms == INT64_C(1795946400000));
	assert_int_equal(open311_parse_time("2026-11-29T07:00-03", &ms), 0);
	assert_true(ms == INT64_C(1795946400000));
	assert_int_equal(open311_parse_time("2026-11-29T10:00:00.25Z", &ms), 0);
	assert_true(ms == INT64_C(1795946400250));
	assert_int_equal(open311_parse_time("2026-11-29", &ms), 0);
	assert_true(ms == INT64_C(1795946400000) - 10 * 3600000);
	assert_int_equal(open311_parse_time("2024-02-29T00:00Z", &ms), 0);
	assert_int_equal(open311_parse_time("2026-02-29", &ms), -1);
	assert_int_equal(open311_parse_time("2026-13-01", &ms), -1);
	assert_int_equal(open311_parse_time("2026-11-29T24:00Z", &ms), -1);
	assert_int_equal(open311_parse_time("2026-11-29T10:00Zjunk", &ms), -1);
	assert_int_equal(open311_parse_time("yesterday", &ms), -1);
	assert_int_equal(open311_parse_time("", &ms), -1);
	assert_int_equal(open311_parse_time("2026-11-29T10", &ms), -1);
}

static struct flowset *
load_flows(void)
{
	static const char *const langs[] = {"en", "sw"};
	struct flow_config fc = {langs, 2, 0};
	struct flow_findings fi;
	struct flowset *set = NULL;

	flow_findings_init(&fi);
	if (flowset_load_buffer("report.flow", flow_text, sizeof(flow_text) - 1,
		&fc, &set, &fi) != 0) {
		flow_findings_sort(&fi);
		flow_findings_print(&fi, stderr);
		fail_msg("the test flow does not load");
	}
	flow_findings_free(&fi);
	return set;
}

static json_t *
service(json_t *a, const char *code)
{
	size_t i;

	for (i = 0; i < json_array_size(a); i++)
		if (strcmp(json_string_value(json_object_get(
			       json_array_get(a, i), "service_code")),
			code) == 0)
			return json_array_get(a, i);
	return NULL;
}

static void
test_open311_services(void **state)
{
	struct fixture *f = *state;
	struct flowset *set = load_flows();
	json_t *a, *s;

	a = open311_services(f->st, set);
	assert_non_null(a);
	/* Two from the flow's menu, plus potholes from the store. */
	assert_int_equal(json_array_size(a), 3);
	s = service(a, "water_leak");
	assert_non_null(s);
	assert_string_equal(
	    json_string_value(json_object_get(s, "service_name")),
	    "Water leak");
	assert_string_equal(json_string_value(json_object_get(s, "keywords")),
	    "Bomba linavuja");
	assert_string_equal(
	    json_string_value(json_object_get(s, "group")), "Report a problem");
	assert_string_equal(
	    json_string_value(json_object_get(s, "type")), "realtime");
	assert_true(json_is_false(json_object_get(s, "metadata")));
	s = service(a, "potholes");
	assert_non_null(s);
	assert_string_equal(
	    json_string_value(json_object_get(s, "service_name")), "Potholes");
	json_decref(a);

	/* Without flows, the stored categories alone. */
	a = open311_services(f->st, NULL);
	assert_int_equal(json_array_size(a), 3);
	json_decref(a);
	flowset_free(set);
}

static void
test_open311_requests(void **state)
{
	struct fixture *f = *state;
	struct flowset *set = load_flows();
	json_t *a, *o;
	char *s;

	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(reports_update(f->st, f->cfg, f->r1, "in_progress",
			     "Crew sent", T0 + 3 * DAY, NULL),
	    0);
	assert_int_equal(reports_update(f->st, f->cfg, f->r2, "resolved", NULL,
			     T0 + 3 * DAY, NULL),
	    0);
	assert_int_equal(store_commit(f->st), 0);

	assert_int_equal(open311_requests(f->st, set, "", 0, &a), 200);
	assert_int_equal(json_array_size(a), 3);
	o = json_array_get(a, 2);
	assert_int_equal(
	    json_integer_value(json_object_get(o, "service_request_id")),
	    f->r1);
	assert_string_equal(
	    json_string_value(json_object_get(o, "status")), "open");
	assert_string_equal(
	    json_string_value(json_object_get(o, "status_notes")), "Crew sent");
	assert_string_equal(
	    json_string_value(json_object_get(o, "service_name")),
	    "Water leak");
	assert_string_equal(
	    json_string_value(json_object_get(o, "service_code")),
	    "water_leak");
	assert_string_equal(
	    json_string_value(json_object_get(o, "description")), "Pipe burst");
	assert_string_equal(json_string_value(json_object_get(o, "address")),
	    "Kilimani, near the school");
	assert_string_equal(
	    json_string_value(json_object_get(o, "requested_datetime")),
	    "2026-11-18T11:06:40Z");
	assert_string_equal(
	    json_string_value(json_object_get(o, "updated_datetime")),
	    "2026-11-21T11:06:40Z");
	s = json_dumps(a, 0);
	assert_null(strstr(s, "25470000000"));
	assert_null(strstr(s, "contact"));
	free(s);
	json_decref(a);

	assert_int_equal(
	    open311_requests(f->st, set, "status=closed", 0, &a), 200);
	assert_int_equal(json_array_size(a), 1);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(a, 0), "status")),
	    "closed");
	json_decref(a);
	assert_int_equal(
	    open311_requests(f->st, set, "status=open", 0, &a), 200);
	assert_int_equal(json_array_size(a), 2);
	json_decref(a);
	assert_int_equal(
	    open311_requests(f->st, set, "status=open,closed", 0, &a), 200);
	assert_int_equal(json_array_size(a), 3);
	json_decref(a);
	assert_int_equal(open311_requests(f->st, set,
			     "service_code=potholes,no_water", 0, &a),
	    200);
	assert_int_equal(json_array_size(a), 2);
	json_decref(a);
	assert_int_equal(open311_requests(f->st, set,
			     "start_date=2026-11-19T00:00:00Z&end_date=2026-"
			     "11-19T15:00:00%2B03:00",
			     0, &a),
	    200);
	assert_int_equal(json_array_size(a), 1);
	json_decref(a);
	/* service_request_id overrides the other arguments. */
	assert_int_equal(open311_requests(f->st, set,
			     "service_request_id=1,3&status=closed", 0, &a),
	    200);
	assert_int_equal(json_array_size(a), 2);
	json_decref(a);

	assert_int_equal(
	    open311_requests(f->st, set, "status=pending", 0, &a), 400);
	assert_int_equal(
	    json_integer_value(json_object_get(json_array_get(a, 0), "code")),
	    400);
	json_decref(a);
	assert_int_equal(
	    open311_requests(f->st, set, "start_date=soon", 0, &a), 400);
	json_decref(a);
	assert_int_equal(
	    open311_requests(f->st, set, "service_request_id=x", 0, &a), 400);
	json_decref(a);
	assert_int_equal(open311_requests(f->st, set, "a=%zz", 0, &a), 400);
	json_decref(a);

	assert_int_equal(open311_requests(f->st, set, NULL, f->r2, &a), 200);
	assert_int_equal(json_array_size(a), 1);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(a, 0), "status")),
	    "closed");
	json_decref(a);
	assert_int_equal(open311_requests(f->st, set, NULL, 999, &a), 404);
	assert_int_equal(
	    json_integer_value(json_object_get(json_array_get(a, 0), "code")),
	    404);
	json_decref(a);
	flowset_free(set);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_list_filters, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_update_notifies_in_language, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_note_alone_and_same_status, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_update_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_sms_cases, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_channel_and_language_fallback, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_configured_text_by_language, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_configured_text_fallback, setup, teardown),
	    cmocka_unit_test(test_sms_text),
	    cmocka_unit_test_setup_teardown(test_json, setup, teardown),
	    cmocka_unit_test(test_parse_time),
	    cmocka_unit_test_setup_teardown(
		test_open311_services, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_open311_requests, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
