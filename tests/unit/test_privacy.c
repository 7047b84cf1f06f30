/*
 * test_privacy.c: forgetting a contact (messages gone, queued
 * messages cancelled, sessions and subscriptions gone, reports unlinked but
 * kept, other contacts untouched), the retention purge by age and the
 * channel log's purge.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "council/privacy.h"
#include "gateway/batch.h"
#include "gateway/config.h"
#include "gateway/gateway.h"
#include "gateway/store.h"
#include "lib/util.h"
#include "tests/unit/sidedb.h"

#define DAY_MS (86400LL * 1000)
#define NOW_MS (1795000000000LL)

struct fixture {
	struct store *st;
	int64_t amina;      /* the contact to forget */
	int64_t baraka;     /* another contact */
	int64_t report;     /* Amina's report */
	struct sidedb side; /* raw SQL beside st */
};

/* Adds a message; contact 0 stores no link (as `baraza send` does). */
static void
add_msg(struct sidedb *d, const char *dir, int64_t contact, const char *phone,
    const char *text, const char *state, int64_t created)
{
	char cid[32], *sql;

	if (contact)
		snprintf(cid, sizeof(cid), "%lld", (long long)contact);
	else
		snprintf(cid, sizeof(cid), "NULL");
	sql = xasprintf("INSERT INTO messages (direction, channel, contact_id,"
			" phone, text, state, created, updated) VALUES ('%s',"
			" 'at', %s, '%s', '%s', '%s', %lld, %lld)",
	    dir, cid, phone, text, state, (long long)created,
	    (long long)created);
	sidedb_exec(d, sql);
	free(sql);
}

static int64_t
contact(struct store *st, const char *phone)
{
	struct store_contact c;
	int64_t id;

	assert_true(store_contact_get(st, phone, NOW_MS, &c) >= 0);
	id = c.id;
	store_contact_free(&c);
	return id;
}

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	*state = f;
	sidedb_open(&f->side, 0, &f->st);
	f->amina = contact(f->st, "+254700000001");
	f->baraka = contact(f->st, "+254700000002");
	assert_int_equal(
	    store_contact_set_language(f->st, f->amina, "sw", NOW_MS), 0);
	assert_int_equal(
	    store_contact_set_field(f->st, f->amina, "name", "Amina", NOW_MS),
	    0);
	assert_int_equal(
	    store_contact_set_field(f->st, f->amina, "ward", "Central", NOW_MS),
	    0);
	assert_int_equal(
	    store_contact_set_opted_out(f->st, f->amina, 1, NOW_MS), 0);
	assert_int_equal(store_subscribe(f->st, f->amina, "water", NOW_MS), 0);
	assert_int_equal(
	    store_subscribe(f->st, f->amina, "ward:central", NOW_MS), 0);
	assert_int_equal(store_subscribe(f->st, f->baraka, "water", NOW_MS), 0);
	assert_int_equal(store_session_save(f->st, "sms:+254700000001",
			     f->amina, "report", "{}", NOW_MS + DAY_MS),
	    0);
	assert_int_equal(store_session_save(f->st, "sms:+254700000002",
			     f->baraka, "report", "{}", NOW_MS + DAY_MS),
	    0);
	assert_int_equal(
	    store_report_create(f->st, f->amina, "report", "water",
		"near the market", "pipe burst", NOW_MS, &f->report),
	    0);

	{
		/* A part of a long message waiting, one of each. */
		struct store_sms_part part = {.seq = 1,
		    .total = 2,
		    .provider_id = "p1",
		    .text = "REPORT pipe",
		    .received = NOW_MS};

		assert_int_equal(
		    store_part_put(f->st, "vg", "+254700000001", "7", &part),
		    1);
		part.provider_id = "p2";
		assert_int_equal(
		    store_part_put(f->st, "vg", "+254700000002", "7", &part),
		    1);
		/* And a joined one's key: kept, without the number. */
		part.provider_id = "p3";
		part.text = "";
		part.joined = 1;
		assert_int_equal(
		    store_part_put(f->st, "vg", "+254700000001", "6", &part),
		    1);
	}
	add_msg(&f->side, "in", f->amina, "+254700000001", "REPORT", "handled",
	    NOW_MS);
	add_msg(&f->side, "out", f->amina, "+254700000001", "Thanks", "sent",
	    NOW_MS);
	add_msg(&f->side, "out", f->amina, "+254700000001", "Later", "queued",
	    NOW_MS);
	add_msg(&f->side, "out", f->amina, "+254700000001", "On its way",
	    "sending", NOW_MS);
	/* Queued by `baraza send`: no link, only the number. */
	add_msg(&f->side, "out", 0, "+254700000001", "Notice", "sent", NOW_MS);
	add_msg(&f->side, "in", f->baraka, "+254700000002", "HELP", "handled",
	    NOW_MS);
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	sidedb_close(&f->side, f->st);
	free(f);
	return 0;
}

/* What else holds a number: the provider's log, USSD texts. */
static void
add_traces(struct fixture *f)
{
	/* A provider's request and answer for each message sent. */
	sidedb_exec(&f->side,
	    "INSERT INTO channel_log (time, channel, message_id, status, ms,"
	    " request, answer) SELECT created, 'at', id, 200, 5,"
	    " 'to=' || phone || '&message=' || text, '{\"number\":\"'"
	    " || phone || '\"}' FROM messages");
	{
		/* Africa's Talking USSD texts kept, one of each. */
		struct store_ussd_last last;

		assert_int_equal(
		    store_ussd_seen(f->st, "at\x1fs1\x1f+254700000001",
			"1*Amina", NOW_MS, &last),
		    0);
		store_ussd_last_free(&last);
		assert_int_equal(
		    store_ussd_seen(f->st, "at\x1fs2\x1f+254700000002",
			"1*Baraka", NOW_MS, &last),
		    0);
		store_ussd_last_free(&last);
	}
}

static void
test_forget(void **state)
{
	struct fixture *f = *state;
	struct store_forgotten out;
	struct store_contact c;
	struct store_report r;
	char *sql;

	add_traces(f);
	assert_int_equal(privacy_forget(f->st, f->amina, NOW_MS + 1, &out), 0);
	assert_int_equal(out.texts, 5); /* 4 messages', a part's */
	assert_int_equal(out.cancelled, 1);
	assert_int_equal(out.in_flight, 1);
	assert_int_equal(out.messages, 4);
	assert_int_equal(out.sessions, 1);
	assert_int_equal(out.subscriptions, 2);
	assert_int_equal(out.reports, 1);
	assert_int_equal(out.fields, 2);
	assert_int_equal(out.language, 1);
	assert_false(store_in_transaction(f->st));

	/* Messages gone, but the one in flight (until the next purge). */
	assert_int_equal(sidedb_int(&f->side, "SELECT count(*) FROM messages"
					      " WHERE phone = '+254700000001'"),
	    1);
	assert_int_equal(sidedb_int(&f->side, "SELECT count(*) FROM messages"
					      " WHERE state = 'sending'"
					      " AND text = 'On its way'"),
	    1);
	/* The provider's log of them went with them (but the one in
	 * flight's); the USSD text kept went. */
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT count(*) FROM channel_log"
				 " WHERE request LIKE '%+254700000001%'"
				 " OR answer LIKE '%+254700000001%'"),
	    1);
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT count(*) FROM channel_log"
				 " WHERE request LIKE '%On its way%'"),
	    1);
	assert_int_equal(sidedb_int(&f->side, "SELECT count(*) FROM ussd_seen"
					      " WHERE text = '1*Amina'"),
	    0);
	/* The queued one will not go out. */
	assert_int_equal(sidedb_int(&f->side, "SELECT count(*) FROM messages"
					      " WHERE state = 'queued'"),
	    0);

	/* Sessions, subscriptions, fields, language gone; opt-out kept. */
	sql = xasprintf("SELECT count(*) FROM sessions WHERE contact_id = %lld",
	    (long long)f->amina);
	assert_int_equal(sidedb_int(&f->side, sql), 0);
	free(sql);
	assert_int_equal(
	    store_subscribed(f->st, f->amina, "water"), STORE_NOTFOUND);
	assert_int_equal(store_contact_find(f->st, "+254700000001", &c), 0);
	assert_string_equal(c.fields, "{}");
	assert_null(c.language);
	assert_int_equal(c.opted_out, 1);
	store_contact_free(&c);

	/* The report is kept, without its reporter. */
	assert_int_equal(store_report_get(f->st, f->report, &r), 0);
	assert_int_equal(r.contact_id, 0);
	assert_string_equal(r.details, "pipe burst");
	store_report_free(&r);

	/* The part waiting went; another sender's stayed; the joined part's
	 * key stays without the number, so a retry is still a duplicate. */
	assert_int_equal(sidedb_int(&f->side, "SELECT count(*) FROM sms_parts"
					      " WHERE phone = '+254700000001'"),
	    0);
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT count(*) FROM sms_parts"), 2);
	assert_int_equal(sidedb_int(&f->side, "SELECT count(*) FROM sms_parts"
					      " WHERE provider_id = 'p3'"
					      " AND phone = '' AND ref = ''"),
	    1);
	assert_int_equal(store_part_seen(f->st, "vg", "p3"), 1);

	/* Another contact is untouched. */
	assert_int_equal(sidedb_int(&f->side, "SELECT count(*) FROM messages"
					      " WHERE phone = '+254700000002'"
					      " AND text = 'HELP'"),
	    1);
	assert_int_equal(store_subscribed(f->st, f->baraka, "water"), 0);
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT count(*) FROM sessions"), 1);
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT count(*) FROM channel_log"
				 " WHERE request LIKE '%+254700000002%'"),
	    1);
	assert_int_equal(sidedb_int(&f->side, "SELECT count(*) FROM ussd_seen"
					      " WHERE text = '1*Baraka'"),
	    1);

	/* Forgetting again finds nothing more to erase. */
	assert_int_equal(privacy_forget(f->st, f->amina, NOW_MS + 2, &out), 0);
	assert_int_equal(out.texts, 0);
	assert_int_equal(out.messages, 0);
	assert_int_equal(out.sessions, 0);
	assert_int_equal(out.reports, 0);
	assert_int_equal(out.fields, 0);
	assert_int_equal(out.language, 0);
}

static void
test_forget_unknown(void **state)
{
	struct fixture *f = *state;
	struct store_forgotten out;

	assert_int_equal(
	    privacy_forget(f->st, 9999, NOW_MS, &out), STORE_NOTFOUND);
	assert_false(store_in_transaction(f->st));
	assert_int_equal(sidedb_int(&f->side, "SELECT count(*) FROM messages"
					      " WHERE text IS NULL"),
	    0);
}

/* A transaction already open is refused and left alone. */
static void
test_forget_in_transaction(void **state)
{
	struct fixture *f = *state;
	struct store_forgotten out;

	assert_int_equal(store_begin(f->st), 0);
	assert_true(privacy_forget(f->st, f->amina, NOW_MS, &out) < 0);
	assert_int_equal(store_rollback(f->st), 0);
	assert_int_equal(sidedb_int(&f->side, "SELECT count(*) FROM messages"
					      " WHERE text IS NULL"),
	    0);
}

static void
test_purge(void **state)
{
	struct fixture *f = *state;

	sidedb_exec(&f->side, "DELETE FROM messages");
	add_msg(&f->side, "in", f->amina, "+254700000001", "old", "handled",
	    NOW_MS - 400 * DAY_MS);
	add_msg(&f->side, "out", f->amina, "+254700000001", "old reply", "sent",
	    NOW_MS - 366 * DAY_MS);
	add_msg(&f->side, "out", f->amina, "+254700000001", "scheduled",
	    "queued", NOW_MS - 400 * DAY_MS);
	add_msg(&f->side, "in", f->baraka, "+254700000002", "recent", "handled",
	    NOW_MS - 10 * DAY_MS);

	/* 0 keeps everything. */
	assert_int_equal(privacy_purge(f->st, 0, NOW_MS), 0);
	assert_int_equal(sidedb_int(&f->side, "SELECT count(*) FROM messages"
					      " WHERE text IS NULL"),
	    0);

	assert_int_equal(privacy_purge(f->st, 365, NOW_MS), 2);
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT count(*) FROM messages"), 4);
	assert_int_equal(sidedb_int(&f->side, "SELECT count(*) FROM messages"
					      " WHERE text IS NULL"),
	    2);
	assert_int_equal(sidedb_int(&f->side, "SELECT count(*) FROM messages"
					      " WHERE text = 'scheduled'"),
	    1);
	assert_int_equal(sidedb_int(&f->side, "SELECT count(*) FROM messages"
					      " WHERE text = 'recent'"),
	    1);
	/* Again: nothing left to purge at that age. */
	assert_int_equal(privacy_purge(f->st, 365, NOW_MS), 0);
	/* A shorter retention reaches the recent one. */
	assert_int_equal(privacy_purge(f->st, 7, NOW_MS), 1);
	/* An absurd retention is clamped, not overflowed. */
	assert_int_equal(privacy_purge(f->st, 2000000000, NOW_MS), 0);
}

/* Inserts n old inbound messages, one a millisecond from created on. */
static void
add_many(struct sidedb *d, int n, int64_t created)
{
	char *sql = xasprintf(
	    "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k"
	    " WHERE i < %d) INSERT INTO messages (direction, channel, phone,"
	    " text, state, created, updated) SELECT 'in', 'at',"
	    " '+254700000003', 'old text', 'handled', %lld + i, %lld + i"
	    " FROM k",
	    n, (long long)created, (long long)created);

	sidedb_exec(d, sql);
	free(sql);
}

static int64_t
texts_left(struct fixture *f)
{
	return sidedb_int(
	    &f->side, "SELECT count(*) FROM messages WHERE text IS NOT NULL");
}

/*
 * The purge walks the messages by id, PRIVACY_CHUNK a step, to the first
 * one newer than the retention; what stays (a queued text, one newer
 * than its neighbours after a clock was set back) is where the next walk
 * starts, which then reaches it.
 */
static void
test_walk(void **state)
{
	struct fixture *f = *state;
	struct privacy_walk w;
	int64_t queued, newer;
	int steps;

	sidedb_exec(&f->side, "DELETE FROM messages");
	add_many(&f->side, 12000, NOW_MS - 400 * DAY_MS);
	add_msg(&f->side, "out", 0, "+254700000003", "to send", "queued",
	    NOW_MS - 400 * DAY_MS);
	queued = sidedb_int(&f->side, "SELECT max(id) FROM messages");
	add_msg(&f->side, "in", 0, "+254700000003", "set back", "handled",
	    NOW_MS - DAY_MS);
	newer = queued + 1;
	add_many(&f->side, 13000, NOW_MS - 399 * DAY_MS);
	add_msg(&f->side, "in", 0, "+254700000003", "recent", "handled",
	    NOW_MS - 10 * DAY_MS);

	assert_int_equal(privacy_walk_start(f->st, 365, NOW_MS, 0, &w), 0);
	assert_int_equal(w.end, newer + 13001); /* the recent one */
	for (steps = 1; privacy_walk_step(f->st, &w) > 0; steps++)
		;
	assert_int_equal(steps, 3);
	assert_int_equal(w.count, 25000);
	assert_int_equal(w.left, queued);
	assert_int_equal(texts_left(f), 3);

	/* The next walk starts at what stayed, and finds it still there. */
	assert_int_equal(privacy_walk_start(f->st, 365, NOW_MS, w.left, &w), 0);
	while (privacy_walk_step(f->st, &w) > 0)
		;
	assert_int_equal(w.count, 0);
	assert_int_equal(w.left, queued);
	/* Sent since: its text goes, the one set back stays. */
	sidedb_exec(&f->side, "UPDATE messages SET state = 'sent'"
			      " WHERE state = 'queued'");
	assert_int_equal(privacy_walk_start(f->st, 365, NOW_MS, w.left, &w), 0);
	while (privacy_walk_step(f->st, &w) > 0)
		;
	assert_int_equal(w.count, 1);
	assert_int_equal(w.left, newer);
	/* A year later, from there, the rest goes. */
	assert_int_equal(
	    privacy_walk_start(f->st, 365, NOW_MS + 365 * DAY_MS, w.left, &w),
	    0);
	while (privacy_walk_step(f->st, &w) > 0)
		;
	assert_int_equal(w.count, 2);
	assert_int_equal(w.left, 0);
	assert_int_equal(texts_left(f), 0);
	/* Nothing to walk without a retention. */
	assert_int_equal(privacy_walk_start(f->st, 0, NOW_MS, 7, &w), 0);
	assert_int_equal(privacy_walk_step(f->st, &w), 0);
}

/* Ends the loop's wait once both purges are over. */
static void
on_watch(uv_timer_t *t)
{
	struct privacy *pv = t->data;

	if (!pv->walking && !pv->log_walking)
		uv_timer_stop(t);
}

/*
 * The service's walk: a step a loop turn, each in the turn's batch
 * transaction; the next day's walk starts at what stayed. The channel
 * log's purge goes a chunk a turn beside it.
 */
static void
test_walk_in_turns(void **state)
{
	static const char conf[] = "[gateway]\nretention_days = 30\n";
	struct fixture *f = *state;
	struct config_errors *errs;
	struct gateway gw;
	struct privacy *pv;
	uv_timer_t watch;
	uv_loop_t loop;
	void *svc = NULL;

	sidedb_exec(&f->side, "DELETE FROM messages");
	add_many(&f->side, 25000, NOW_MS - 400 * DAY_MS);
	sidedb_exec(&f->side,
	    "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k"
	    " WHERE i < 15000) INSERT INTO channel_log (time, channel, status,"
	    " ms) SELECT 1000 + i, 'at', 200, 1 FROM k");
	memset(&gw, 0, sizeof(gw));
	assert_int_equal(uv_loop_init(&loop), 0);
	gw.loop = &loop;
	gw.store = f->st;
	assert_int_equal(config_parse_buffer(conf, sizeof(conf) - 1, "t.conf",
			     "/tmp", &gw.cfg, &errs),
	    0);
	batch_init(&gw.batch, &loop, gw.store);
	privacy_start(&gw, &svc);
	pv = svc;
	privacy_purge_now(pv);
	assert_true(pv->walking);
	privacy_purge_now(pv);                  /* one walk at a time */
	assert_int_equal(texts_left(f), 25000); /* each step in its turn */
	uv_timer_init(&loop, &watch);
	watch.data = pv;
	uv_timer_start(&watch, on_watch, 1, 1);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_false(pv->walking);
	batch_flush(&gw.batch);
	assert_int_equal(texts_left(f), 0);
	assert_int_equal(gw.batch.commits >= 3, 1);
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT count(*) FROM channel_log"), 0);
	assert_int_equal(pv->from, 25001);
	uv_close((uv_handle_t *)&watch, NULL);
	privacy_stop(&gw, &svc);
	batch_close(&gw.batch);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&loop), 0);
	config_free(gw.cfg);
	config_errors_free(errs);
}

/* Counts the channel log's rows of message id. */
static int
count_cb(void *arg, const struct store_chanlog *e)
{
	(void)e;
	(*(int *)arg)++;
	return 0;
}

static int
log_rows(struct store *st, int64_t id)
{
	int n = 0;

	assert_int_equal(store_chanlog_each(st, id, count_cb, &n), 0);
	return n;
}

/*
 * The channel log's purge deletes the rows of requests older than the
 * window, keeps the newer ones, and with 0 days deletes all.
 */
static void
test_purge_channel_log(void **state)
{
	struct fixture *f = *state;
	struct store_chanlog e;
	int64_t ages[] = {10 * DAY_MS, 8 * DAY_MS, 6 * DAY_MS, 0};
	size_t i;

	memset(&e, 0, sizeof(e));
	e.channel = "at";
	e.status = 201;
	e.request = "POST http://127.0.0.1/version1/messaging";
	e.answer = "{\"SMSMessageData\": {}}";
	for (i = 0; i < sizeof(ages) / sizeof(ages[0]); i++) {
		e.time = NOW_MS - ages[i];
		e.message_id = (int64_t)i + 1;
		assert_int_equal(store_chanlog_add(f->st, &e), 0);
	}
	/* Texts beyond the bound are refused. */
	e.request = NULL;
	e.answer = NULL;
	{
		char big[STORE_CHANLOG_ANSWER + 2];

		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		e.answer = big;
		assert_int_equal(store_chanlog_add(f->st, &e), STORE_EINVAL);
	}
	assert_int_equal(privacy_purge_channel_log(f->st, 7, NOW_MS), 2);
	assert_int_equal(log_rows(f->st, 1), 0);
	assert_int_equal(log_rows(f->st, 2), 0);
	assert_int_equal(log_rows(f->st, 3), 1);
	assert_int_equal(log_rows(f->st, 4), 1);
	assert_int_equal(privacy_purge_channel_log(f->st, 7, NOW_MS), 0);
	assert_int_equal(privacy_purge_channel_log(f->st, 0, NOW_MS + 1), 2);
	assert_int_equal(log_rows(f->st, 4), 0);
}

/*
 * The daily timer of the texts starts only with a retention, that of the
 * channel log always; neither holds the loop open (the loop runs out at
 * once), and both close cleanly.
 */
static void
test_timer(void **state)
{
	static const char with[] = "[gateway]\nretention_days = 30\n";
	static const char without[] = "[gateway]\nretention_days = 0\n";
	struct config_errors *errs;
	struct gateway gw;
	struct privacy *pv;
	uv_loop_t loop;
	void *svc = NULL; /* the service's state, as serve keeps it */

	(void)state;
	memset(&gw, 0, sizeof(gw));
	assert_int_equal(uv_loop_init(&loop), 0);
	gw.loop = &loop;
	assert_int_equal(config_parse_buffer(without, sizeof(without) - 1,
			     "t.conf", "/tmp", &gw.cfg, &errs),
	    0);
	privacy_start(&gw, &svc);
	/* Texts are kept, but the channel log is still purged. */
	assert_non_null(svc);
	pv = svc;
	assert_false(uv_is_active((uv_handle_t *)&pv->timer));
	assert_true(uv_is_active((uv_handle_t *)&pv->log_timer));
	privacy_stop(&gw, &svc);
	assert_null(svc);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	config_free(gw.cfg);
	config_errors_free(errs);

	assert_int_equal(config_parse_buffer(with, sizeof(with) - 1, "t.conf",
			     "/tmp", &gw.cfg, &errs),
	    0);
	privacy_start(&gw, &svc);
	assert_non_null(svc);
	pv = svc;
	privacy_start(&gw, &svc); /* started once only */
	assert_ptr_equal(svc, pv);
	assert_ptr_equal(pv->gw, &gw);
	assert_true(uv_is_active((uv_handle_t *)&pv->timer));
	/* Unreferenced: the loop has nothing to wait for. */
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_timer_get_due_in(&pv->timer) > 0, 1);
	privacy_stop(&gw, &svc);
	assert_null(svc);
	privacy_stop(&gw, &svc); /* twice is harmless */
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&loop), 0);
	config_free(gw.cfg);
	config_errors_free(errs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_forget, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_forget_unknown, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_forget_in_transaction, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_purge, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_walk, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_walk_in_turns, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_purge_channel_log, setup, teardown),
	    cmocka_unit_test(test_timer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
