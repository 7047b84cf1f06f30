/*
 * test_events.c: the outbound event webhooks' core half (gateway/events.h):
 * the JSON of each event, with and without with_phone; the body posted;
 * the rows written per [event NAME] section in the caller's transaction;
 * the claim, retry and delete of the store's events table; and the config
 * of [event NAME] and [open311].
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

#include "gateway/config.h"
#include "gateway/events.h"
#include "gateway/outq.h"
#include "gateway/store.h"
#include "lib/util.h"
#include "tests/unit/sidedb.h"

#define T0 INT64_C(1700000000000) /* 2023-11-14T22:13:20Z */
#define T0_ISO "2023-11-14T22:13:20Z"
#define T1 (T0 + 60000) /* 22:14:20 */
#define T1_ISO "2023-11-14T22:14:20Z"

static const char conf_text[] = "[gateway]\n"
				"default_channel = at\n"
				"[channel at]\n"
				"type = africastalking\n"
				"username = sandbox\n"
				"api_key = k\n"
				"webhook_secret = s\n"
				"[event crm]\n"
				"url = https://crm.example.org/in\n"
				"signing_key = crm-key\n"
				"events = report.created report.updated "
				"message.in message.failed\n"
				"[event agency]\n"
				"url = https://agency.example.org/hook\n"
				"signing_key = agency-key\n"
				"events = report.created\n"
				"with_phone = yes\n"
				"max_age = 2h\n";

/* Parses text; returns the number of errors and sets *cfg, *errs. */
static int
parse(const char *text, struct config **cfg, struct config_errors **errs)
{
	return config_parse_buffer(
	    text, strlen(text), "t.conf", "/tmp", cfg, errs);
}

/* The compact JSON of j, which is released; the caller frees it. */
static char *
dump(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);

	json_decref(j);
	assert_non_null(s);
	return s;
}

static void
test_report_json(void **state)
{
	struct store_report r = {.id = 7,
	    .contact_id = 3,
	    .flow = "report",
	    .category = "water_leak",
	    .location = "Kilimani, call 0712 999 888",
	    .details = "Pipe burst",
	    .status = "in_progress",
	    .created = T0,
	    .updated = T1};
	char *s;

	(void)state;
	s = dump(events_report_json(&r, "+254700000011", 0, NULL, NULL, 0));
	assert_string_equal(s,
	    "{\"id\":7,\"status\":\"in_progress\",\"category\":\"water_leak\","
	    "\"location\":\"Kilimani, call [number removed]\","
	    "\"details\":\"Pipe burst\",\"flow\":\"report\",\"contact_id\":3,"
	    "\"created\":\"" T0_ISO "\",\"updated\":\"" T1_ISO "\"}");
	free(s);
	s = dump(events_report_json(
	    &r, "+254700000011", 1, "open", "Call 0733-111-222", 1));
	assert_string_equal(s,
	    "{\"id\":7,\"status\":\"in_progress\",\"previous_status\":\"open\","
	    "\"note\":\"Call 0733-111-222\",\"category\":\"water_leak\","
	    "\"location\":\"Kilimani, call 0712 999 888\","
	    "\"details\":\"Pipe burst\",\"flow\":\"report\",\"contact_id\":3,"
	    "\"created\":\"" T0_ISO "\",\"updated\":\"" T1_ISO "\","
	    "\"phone\":\"+254700000011\"}");
	free(s);
	/* No reporter, no texts, an update without a note. */
	r.contact_id = 0;
	r.category = r.location = r.details = r.flow = NULL;
	s = dump(events_report_json(&r, NULL, 1, "open", NULL, 1));
	assert_string_equal(s,
	    "{\"id\":7,\"status\":\"in_progress\",\"previous_status\":\"open\","
	    "\"note\":null,\"category\":null,\"location\":null,"
	    "\"details\":null,\"flow\":null,\"contact_id\":null,"
	    "\"created\":\"" T0_ISO "\",\"updated\":\"" T1_ISO "\"}");
	free(s);
}

static void
test_message_json(void **state)
{
	struct store_event_msg m = {.id = 41,
	    .direction = MSG_IN,
	    .kind = MSG_SMS,
	    .channel = "at",
	    .contact_id = 3,
	    .phone = "+254700000011",
	    .text = "Meter 12345678 leaks",
	    .state = MSG_HANDLED,
	    .created = T0};
	char *s;

	(void)state;
	s = dump(events_message_json(&m, 0, 0));
	assert_string_equal(s,
	    "{\"id\":41,\"channel\":\"at\",\"kind\":\"sms\",\"contact_id\":3,"
	    "\"text\":\"Meter [number removed] leaks\","
	    "\"created\":\"" T0_ISO "\"}");
	free(s);
	s = dump(events_message_json(&m, 0, 1));
	assert_string_equal(s,
	    "{\"id\":41,\"channel\":\"at\",\"kind\":\"sms\",\"contact_id\":3,"
	    "\"text\":\"Meter 12345678 leaks\",\"created\":\"" T0_ISO "\","
	    "\"phone\":\"+254700000011\"}");
	free(s);
	m.direction = MSG_OUT;
	m.kind = MSG_USSD;
	m.contact_id = 0;
	m.text = NULL;
	m.error = "InvalidPhoneNumber";
	m.attempts = 2;
	s = dump(events_message_json(&m, 1, 0));
	assert_string_equal(s,
	    "{\"id\":41,\"channel\":\"at\",\"kind\":\"ussd\",\"contact_id\":"
	    "null,"
	    "\"text\":null,\"error\":\"InvalidPhoneNumber\",\"attempts\":2,"
	    "\"created\":\"" T0_ISO "\"}");
	free(s);
	/* A provider's error can hold the number (Twilio's 21211): removed
	 * as in a text, kept only with_phone. */
	m.error = "21211: The 'To' number +254700000011 is not a valid phone "
		  "number.";
	s = dump(events_message_json(&m, 1, 0));
	assert_non_null(strstr(s, "\"error\":\"21211: The 'To' number "
				  "[number removed] is not a valid phone "
				  "number.\""));
	free(s);
	s = dump(events_message_json(&m, 1, 1));
	assert_non_null(strstr(s, "+254700000011 is not"));
	free(s);
}

static void
test_body(void **state)
{
	char *s;
	json_t *j;

	(void)state;
	s = events_body("report.created", 12, T0, "{\"id\":7}");
	assert_string_equal(s,
	    "{\"event\":\"report.created\",\"id\":12,\"at\":\"" T0_ISO "\","
	    "\"data\":{\"id\":7}}");
	j = json_loads(s, 0, NULL);
	assert_non_null(j);
	json_decref(j);
	free(s);
}

/* The fixture: a store and the config above. */
struct fixture {
	struct store *st;
	struct config *cfg;
	struct sidedb side;
};

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct config_errors *errs = NULL;

	sidedb_open(&f->side, 0, &f->st);
	assert_int_equal(parse(conf_text, &f->cfg, &errs), 0);
	config_errors_free(errs);
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

/* The events stored, "sink event data" a line, in id order. */
static char *
stored(struct fixture *f)
{
	sqlite3_stmt *s;
	struct buf b;

	buf_init(&b, 1 << 20);
	assert_int_equal(sqlite3_prepare_v2(f->side.db,
			     "SELECT sink, event, data FROM events ORDER BY id",
			     -1, &s, NULL),
	    SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW)
		buf_printf(&b, "%s %s %s\n", sqlite3_column_text(s, 0),
		    sqlite3_column_text(s, 1), sqlite3_column_text(s, 2));
	sqlite3_finalize(s);
	return b.data != NULL ? buf_steal(&b) : xstrdup("");
}

static void
test_emit_per_section(void **state)
{
	struct fixture *f = *state;
	struct store_contact c;
	int64_t id, n;
	char *got;

	assert_int_equal(store_contact_get(f->st, "+254700000011", T0, &c), 1);
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_report_create(f->st, c.id, "report", "roads",
			     "Ward 4, 0712999888", NULL, T0, &id),
	    0);
	assert_int_equal(events_report_created(f->st, f->cfg, id, T0), 0);
	assert_int_equal(store_commit(f->st), 0);
	got = stored(f);
	assert_non_null(strstr(got, "crm report.created {\"id\":1,"));
	assert_non_null(
	    strstr(got, "\"location\":\"Ward 4, [number removed]\""));
	assert_non_null(strstr(got, "agency report.created {\"id\":1,"));
	assert_non_null(strstr(got, "\"location\":\"Ward 4, 0712999888\""));
	assert_non_null(strstr(got, ",\"phone\":\"+254700000011\"}\n"));
	/* One phone number in all: the agency's. */
	assert_null(strstr(strstr(got, "+254700000011") + 1, "+254700000011"));
	assert_int_equal(store_event_waiting(f->st, &n), 0);
	assert_int_equal(n, 2);
	free(got);

	/* Only crm asks for report.updated; a rollback takes it back. */
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(
	    events_report_updated(f->st, f->cfg, id, "open", "Crew", T1), 0);
	assert_int_equal(store_rollback(f->st), 0);
	got = stored(f);
	assert_null(strstr(got, "report.updated"));
	free(got);
	assert_int_equal(
	    events_report_updated(f->st, f->cfg, id, "open", "Crew", T1), 0);
	got = stored(f);
	assert_non_null(
	    strstr(got, "crm report.updated {\"id\":1,\"status\":\"open\","
			"\"previous_status\":\"open\",\"note\":\"Crew\","));
	assert_null(strstr(got, "agency report.updated"));
	free(got);
	/* An unknown report is an error for the caller. */
	assert_true(events_report_created(f->st, f->cfg, 99, T1) < 0);
	store_contact_free(&c);
}

static void
test_message_events(void **state)
{
	struct fixture *f = *state;
	struct store_msg_in in = {.channel = "at",
	    .kind = MSG_SMS,
	    .phone = "+254700000011",
	    .text = "HELLO",
	    .state = MSG_RECEIVED,
	    .provider_id = "p1"};
	struct outq_msg out = {
	    .channel = "at", .phone = "+254700000022", .text = "Bill due"};
	struct store_queue_msg *q;
	int64_t mid, oid;
	size_t nq;
	char *got;

	assert_int_equal(store_msg_insert_inbound(f->st, &in, T0, &mid), 0);
	assert_int_equal(
	    events_message(f->st, f->cfg, CONFIG_EVENT_MESSAGE_IN, mid, T0), 0);
	assert_int_equal(outq_enqueue(f->st, &out, T0, &oid), 0);
	/* Not failed: no message.failed. */
	assert_int_equal(
	    events_message(f->st, f->cfg, CONFIG_EVENT_MESSAGE_FAILED, oid, T0),
	    0);
	got = stored(f);
	assert_null(strstr(got, "message.failed"));
	free(got);
	assert_int_equal(store_queue_claim(f->st, "at", T0, 10, &q, &nq), 0);
	assert_int_equal(nq, 1);
	store_queue_msgs_free(q, nq);
	assert_int_equal(store_queue_fail(f->st, oid, "rejected", T1), 0);
	assert_int_equal(
	    events_message(f->st, f->cfg, CONFIG_EVENT_MESSAGE_FAILED, oid, T1),
	    0);
	got = stored(f);
	assert_non_null(strstr(got,
	    "crm message.in {\"id\":1,\"channel\":\"at\",\"kind\":\"sms\","
	    "\"contact_id\":null,\"text\":\"HELLO\",\"created\":\"" T0_ISO
	    "\"}\n"));
	assert_non_null(strstr(got,
	    "crm message.failed {\"id\":2,\"channel\":\"at\",\"kind\":\"sms\","
	    "\"contact_id\":null,\"text\":\"Bill due\",\"error\":\"rejected\","
	    "\"attempts\":1,\"created\":\"" T0_ISO "\"}\n"));
	assert_null(strstr(got, "agency message"));
	free(got);
}

static void
test_delivery_failed(void **state)
{
	struct fixture *f = *state;
	struct outq_msg out = {
	    .channel = "at", .phone = "+254700000022", .text = "Hi"};
	struct store_queue_msg *q;
	int64_t oid;
	size_t nq;
	char *got;

	assert_int_equal(outq_enqueue(f->st, &out, T0, &oid), 0);
	assert_int_equal(store_queue_claim(f->st, "at", T0, 10, &q, &nq), 0);
	store_queue_msgs_free(q, nq);
	assert_int_equal(store_queue_sent(f->st, oid, "ATXid_9", T0), 0);
	assert_int_equal(store_queue_report(f->st, "at", "ATXid_9", 0,
			     MSG_FAILED, "AbsentSubscriber", T1),
	    0);
	/* Unknown ids emit nothing and are no error. */
	assert_int_equal(
	    events_delivery_failed(f->st, f->cfg, "at", "ATXid_nope", 0, T1),
	    0);
	assert_int_equal(
	    events_delivery_failed(f->st, f->cfg, "at", "x1", 1, T1), 0);
	got = stored(f);
	assert_string_equal(got, "");
	free(got);
	assert_int_equal(
	    events_delivery_failed(f->st, f->cfg, "at", "ATXid_9", 0, T1), 0);
	got = stored(f);
	assert_non_null(strstr(got, "crm message.failed {\"id\":1,"));
	assert_non_null(strstr(got, "\"error\":\"AbsentSubscriber\""));
	free(got);
}

static void
test_claim_retry_delete(void **state)
{
	struct fixture *f = *state;
	struct store_event *v;
	int64_t a, b, c;
	size_t n;

	assert_int_equal(
	    store_event_insert(f->st, "crm", "message.in", "{}", T0, &a), 0);
	assert_int_equal(
	    store_event_insert(f->st, "crm", "message.in", "{}", T0, &b), 0);
	assert_int_equal(
	    store_event_insert(f->st, "agency", "report.created", "{}", T0, &c),
	    0);
	assert_int_equal(
	    store_event_insert(f->st, "crm", "x", "not json", T0, NULL),
	    STORE_EINVAL);
	assert_int_equal(store_event_next_due(f->st, "crm"), T0);
	assert_int_equal(store_event_next_due(f->st, "nobody"), -1);
	/* Not due yet. */
	assert_int_equal(
	    store_event_claim(f->st, "crm", T0 - 1, T0 + 60000, 8, &v, &n), 0);
	assert_int_equal(n, 0);
	assert_null(v);
	/* One at a time, in order; the claimed one is leased. */
	assert_int_equal(
	    store_event_claim(f->st, "crm", T0, T0 + 60000, 1, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].id, a);
	assert_string_equal(v[0].event, "message.in");
	assert_string_equal(v[0].data, "{}");
	assert_int_equal(v[0].created, T0);
	assert_int_equal(v[0].attempts, 1);
	store_events_free(v, n);
	assert_int_equal(
	    store_event_claim(f->st, "crm", T0, T0 + 60000, 8, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].id, b);
	store_events_free(v, n);
	assert_int_equal(store_event_next_due(f->st, "crm"), T0 + 60000);
	/* A retry makes it due earlier; its attempts keep counting. */
	assert_int_equal(store_event_retry(f->st, a, T0 + 2000, "HTTP 500"), 0);
	assert_int_equal(
	    store_event_claim(f->st, "crm", T0 + 2000, T0 + 62000, 8, &v, &n),
	    0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].id, a);
	assert_int_equal(v[0].attempts, 2);
	store_events_free(v, n);
	assert_int_equal(store_event_delete(f->st, a), 0);
	assert_int_equal(store_event_delete(f->st, b), 0);
	assert_int_equal(store_event_next_due(f->st, "crm"), -1);
	/* Ids are never given again. */
	assert_int_equal(
	    store_event_insert(f->st, "crm", "message.in", "{}", T1, &a), 0);
	assert_true(a > c);
	/* Sections gone from the config lose their events. */
	assert_int_equal(store_event_drop_others(f->st, "[\"agency\"]"), 1);
	assert_int_equal(store_event_next_due(f->st, "crm"), -1);
	assert_int_equal(store_event_next_due(f->st, "agency"), T0);
}

static void
test_config(void **state)
{
	struct config_errors *errs = NULL;
	struct config *cfg = NULL;
	char *text;

	(void)state;
	assert_int_equal(parse(conf_text, &cfg, &errs), 0);
	assert_int_equal(cfg->nevents, 2);
	assert_string_equal(cfg->events[0].name, "crm");
	assert_string_equal(cfg->events[0].url, "https://crm.example.org/in");
	assert_string_equal(cfg->events[0].signing_key, "crm-key");
	assert_int_equal(cfg->events[0].with_phone, 0);
	assert_int_equal(cfg->events[0].max_age_ms, 24 * 3600000);
	assert_int_equal(cfg->events[1].with_phone, 1);
	assert_int_equal(cfg->events[1].max_age_ms, 2 * 3600000);
	assert_true(
	    config_event_wants(&cfg->events[0], CONFIG_EVENT_MESSAGE_FAILED));
	assert_true(
	    config_event_wants(&cfg->events[1], CONFIG_EVENT_REPORT_CREATED));
	assert_false(
	    config_event_wants(&cfg->events[1], CONFIG_EVENT_REPORT_UPDATED));
	assert_string_equal(
	    config_event_name(CONFIG_EVENT_MESSAGE_IN), "message.in");
	assert_null(config_event_name(CONFIG_EVENT_NKINDS));
	/* No [open311]: no keys, the rate's default. */
	assert_int_equal(cfg->open311_keys.n, 0);
	assert_int_equal(cfg->open311_rate.count, 30);
	assert_int_equal(cfg->open311_rate.period_ms, 60000);
	config_free(cfg);
	config_errors_free(errs);

	/* Closed by default: no signing_key, no url, no events. */
	assert_int_equal(
	    parse("[gateway]\n[event a]\nevents = message.in\n", &cfg, &errs),
	    2);
	assert_string_equal(
	    errs->v[0].message, "missing required key 'url' in [event a]");
	assert_string_equal(errs->v[1].message,
	    "[event a] would send events unsigned: set signing_key (each "
	    "request carries X-Baraza-Signature made with it)");
	config_free(cfg);
	config_errors_free(errs);
	assert_int_equal(
	    parse("[gateway]\n[event a]\nurl = http://x\n"
		  "signing_key = k\nevents = report.created "
		  "report.closed\nwith_phone = maybe\ncolour = red\n"
		  "[event a]\n[event B]\n",
		&cfg, &errs),
	    5);
	assert_string_equal(errs->v[0].message,
	    "events: unknown event 'report.closed': expected report.created, "
	    "report.updated, message.in or message.failed");
	assert_string_equal(
	    errs->v[1].message, "with_phone: expected yes or no");
	assert_string_equal(errs->v[2].message,
	    "unknown key 'colour' in [event a]: expected url, signing_key, "
	    "events, with_phone or max_age");
	assert_string_equal(
	    errs->v[3].message, "duplicate event 'a' (first at line 2)");
	assert_int_equal(errs->v[4].line, 9);
	assert_string_equal(errs->v[4].message,
	    "bad event name 'B': expected [event NAME], NAME 1 to 32 "
	    "of a-z 0-9 _ -");
	config_free(cfg);
	config_errors_free(errs);

	/* [open311]: its keys, once. */
	text = "[gateway]\n[open311]\napi_keys = key-one-0123456789 "
	       "key-two-0123456789\nrate = 5/min\n";
	assert_int_equal(parse(text, &cfg, &errs), 0);
	assert_int_equal(cfg->open311_keys.n, 2);
	assert_string_equal(cfg->open311_keys.v[1], "key-two-0123456789");
	assert_int_equal(cfg->open311_rate.count, 5);
	config_free(cfg);
	config_errors_free(errs);
	/*
	 * The contract's own example: short keys are taken, with one warning
	 * (not an error) however many are short.
	 */
	assert_int_equal(
	    parse("[gateway]\n[open311]\napi_keys = KEY1 KEY2\n", &cfg, &errs),
	    0);
	assert_int_equal(config_warnings_count(errs), 1);
	assert_string_equal(errs->v[0].message,
	    "api_keys: a key shorter than 16 characters is easy to guess");
	assert_int_equal(cfg->open311_keys.n, 2);
	assert_string_equal(cfg->open311_keys.v[0], "KEY1");
	config_free(cfg);
	config_errors_free(errs);
	assert_int_equal(parse("[gateway]\n[open311]\napi_keys = "
			       "key-one-0123456789\n[open311]\n",
			     &cfg, &errs),
	    1);
	assert_string_equal(errs->v[0].message,
	    "duplicate section [open311] (first at line 2)");
	config_free(cfg);
	config_errors_free(errs);
	assert_int_equal(
	    parse("[gateway]\n[open311]\nrate = 5/min\n", &cfg, &errs), 1);
	assert_string_equal(errs->v[0].message,
	    "missing required key 'api_keys' in [open311] (the keys that may "
	    "file reports)");
	config_free(cfg);
	config_errors_free(errs);
}

static void
test_nothing_asked(void **state)
{
	struct config_errors *errs = NULL;
	struct config *cfg = NULL;
	struct fixture *f = *state;
	int64_t n;
	char *got;

	/* Without sections, nothing is read: even an unknown id is fine. */
	assert_int_equal(parse("[gateway]\n", &cfg, &errs), 0);
	assert_int_equal(events_report_created(f->st, cfg, 99, T0), 0);
	assert_int_equal(
	    events_message(f->st, cfg, CONFIG_EVENT_MESSAGE_IN, 99, T0), 0);
	got = stored(f);
	assert_string_equal(got, "");
	free(got);
	assert_int_equal(store_event_waiting(f->st, &n), 0);
	assert_int_equal(n, 0);
	config_free(cfg);
	config_errors_free(errs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_report_json),
	    cmocka_unit_test(test_message_json),
	    cmocka_unit_test(test_body),
	    cmocka_unit_test_setup_teardown(
		test_emit_per_section, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_message_events, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_delivery_failed, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_claim_retry_delete, setup, teardown),
	    cmocka_unit_test(test_config),
	    cmocka_unit_test_setup_teardown(
		test_nothing_asked, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
