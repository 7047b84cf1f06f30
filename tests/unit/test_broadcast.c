/*
 * test_broadcast.c: broadcasts and notify runs against an in-memory store:
 * the audience (opted-out contacts left out), the channel of each
 * recipient, chunked queueing, counts by state, the dry run's figures,
 * --at, notify's rendering and every refusal with its line, after which
 * nothing is queued.
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

#include "council/broadcast.h"
#include "gateway/batch.h"
#include "gateway/config.h"
#include "gateway/gateway.h"
#include "gateway/store.h"
#include "lib/util.h"
#include "tests/unit/sidedb.h"

#define NOW 1795000000000LL /* a fixed "now" in ms */

struct fixture {
	struct store *st;
	struct config *cfg;
	struct sidedb side; /* raw SQL beside st */
};

static const char conf_text[] = "[gateway]\n"
				"default_channel = web\n"
				"country_code = 254\n"
				"[channel web]\n"
				"type = http\n"
				"api_url = http://127.0.0.1:9/send\n"
				"signing_key = k\n"
				"[channel sms2]\n"
				"type = http\n"
				"api_url = http://127.0.0.1:9/send2\n"
				"signing_key = k\n";

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct config_errors *errs = NULL;

	sidedb_open(&f->side, 1, &f->st);
	if (config_parse_buffer(conf_text, strlen(conf_text), "t.conf", "/tmp",
		&f->cfg, &errs) != 0) {
		config_errors_print(errs, stderr);
		fail_msg("config");
	}
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

/* A contact subscribed to topic (NULL: none). Returns its id. */
static int64_t
contact(struct store *st, const char *phone, const char *topic, int opted_out,
    const char *last_channel)
{
	struct store_contact c;
	int64_t id;

	assert_true(store_contact_get(st, phone, NOW, &c) >= 0);
	id = c.id;
	store_contact_free(&c);
	if (topic != NULL)
		assert_int_equal(store_subscribe(st, id, topic, NOW), 0);
	if (opted_out)
		assert_int_equal(
		    store_contact_set_opted_out(st, id, 1, NOW), 0);
	if (last_channel != NULL)
		assert_int_equal(
		    store_contact_set_last_channel(st, id, last_channel, NOW),
		    0);
	return id;
}

static void
audience(struct store *st)
{
	contact(st, "+254700000001", "water", 0, NULL);
	contact(st, "+254700000002", "water", 0, "sms2");
	contact(st, "+254700000003", "water", 1, NULL);   /* opted out */
	contact(st, "+254700000004", "water", 0, "gone"); /* not configured */
	contact(st, "+254700000005", "roads", 0, NULL);   /* other topic */
	contact(st, "+254700000006", NULL, 0, NULL);      /* none */
}

static void
test_audience_and_channels(void **state)
{
	struct fixture *f = *state;
	struct broadcast_request req = {
	    "Water off on Monday.", "water", NULL, 0, 0, 0};
	struct broadcast_summary sum;
	char *err = NULL, *ch;

	audience(f->st);
	assert_int_equal(
	    broadcast_queue(f->st, f->cfg, &req, NOW, NULL, NULL, &sum, &err),
	    0);
	assert_null(err);
	assert_false(store_in_transaction(f->st));
	/* The foreign key checks are back on: no session without contact. */
	assert_true(
	    store_session_save(f->st, "sms:none", 424242, "f", "{}", NOW) < 0);
	/* (Which the probe tells: with them off, it is taken.) */
	assert_int_equal(store_foreign_keys(f->st, 0), 0);
	assert_int_equal(
	    store_session_save(f->st, "sms:none", 424242, "f", "{}", NOW), 0);
	assert_int_equal(store_foreign_keys(f->st, 1), 0);
	assert_int_equal(store_session_delete(f->st, "sms:none"), 0);
	assert_true(sum.id > 0);
	assert_int_equal(sum.recipients, 3);
	assert_int_equal(sum.segments, 1);
	assert_int_equal(sum.total_segments, 3);
	assert_int_equal(sum.encoding, GSM_ENC_GSM7);
	assert_string_equal(sum.channel, "web");
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT count(*) FROM messages WHERE "
				 "broadcast_id = 1 AND state = 'queued'"
				 " AND direction = 'out'"),
	    3);
	/* The opted-out contact and the other topics get nothing. */
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT count(*) FROM messages WHERE "
				 "phone IN ('+254700000003', "
				 "'+254700000005', '+254700000006')"),
	    0);
	/* The channel: the last one if configured, else the broadcast's. */
	ch = sidedb_text(&f->side, "SELECT channel FROM messages WHERE phone = "
				   "'+254700000002'");
	assert_string_equal(ch, "sms2");
	free(ch);
	ch = sidedb_text(&f->side, "SELECT channel FROM messages WHERE phone = "
				   "'+254700000004'");
	assert_string_equal(ch, "web");
	free(ch);
	ch = sidedb_text(&f->side, "SELECT channel FROM messages WHERE phone = "
				   "'+254700000001'");
	assert_string_equal(ch, "web");
	free(ch);
	/* Each message holds the text, its contact and now as its due time. */
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT count(*) FROM messages m JOIN "
				 "contacts c ON c.id = m.contact_id "
				 "WHERE m.phone = c.phone AND m.text = "
				 "'Water off on Monday.' AND segments = 1"
				 " AND next_attempt = 1795000000000"),
	    3);
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT recipients * 10 + segments "
				 "FROM broadcasts WHERE id = 1"),
	    31);

	/* A broadcast's own channel replaces default_channel. */
	req.channel = "sms2";
	assert_int_equal(
	    broadcast_queue(f->st, f->cfg, &req, NOW, NULL, NULL, &sum, &err),
	    0);
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT count(*) FROM messages WHERE "
				 "broadcast_id = 2 AND channel = 'sms2'"),
	    3);
	assert_string_equal(
	    broadcast_channel_for(f->cfg, "gone", "web"), "web");
	assert_string_equal(
	    broadcast_channel_for(f->cfg, "sms2", "web"), "sms2");
	assert_string_equal(broadcast_channel_for(f->cfg, NULL, "web"), "web");
}

static void
test_counts_by_state(void **state)
{
	struct fixture *f = *state;
	struct broadcast_request req = {
	    "Habari, maji yatakatika.", "water", NULL, 0, 0, 0};
	struct broadcast_summary sum;
	struct store_broadcast b;

	audience(f->st);
	assert_int_equal(
	    broadcast_queue(f->st, f->cfg, &req, NOW, NULL, NULL, &sum, NULL),
	    0);
	sidedb_exec(&f->side,
	    "UPDATE messages SET state = 'sent' WHERE phone = "
	    "'+254700000001';"
	    "UPDATE messages SET state = 'failed' WHERE phone = "
	    "'+254700000002'");
	assert_int_equal(store_broadcast_get(f->st, sum.id, &b), 0);
	assert_int_equal(b.recipients, 3);
	assert_int_equal(b.segments, 1);
	assert_int_equal(b.queued, 1);
	assert_int_equal(b.sending, 0);
	assert_int_equal(b.sent, 1);
	assert_int_equal(b.delivered, 0);
	assert_int_equal(b.failed, 1);
	assert_string_equal(b.topic, "water");
	assert_string_equal(b.channel, "web");
	assert_string_equal(b.text, "Habari, maji yatakatika.");
	assert_int_equal(b.created, NOW);
	assert_int_equal(b.send_at, NOW);
	store_broadcast_free(&b);
	assert_null(b.text);
	assert_int_equal(store_broadcast_get(f->st, 99, &b), STORE_NOTFOUND);
}

static void
test_dry_run(void **state)
{
	struct fixture *f = *state;
	struct broadcast_request req = {NULL, "water", NULL, 0, 0, 0};
	struct broadcast_summary sum;
	char text[201];

	audience(f->st);
	memset(text, 'a', 200);
	text[200] = '\0';
	req.text = text;
	assert_int_equal(broadcast_plan(f->st, f->cfg, &req, &sum, NULL), 0);
	assert_int_equal(sum.id, 0);
	assert_int_equal(sum.recipients, 3);
	assert_int_equal(sum.encoding, GSM_ENC_GSM7);
	assert_int_equal(sum.segments, 2); /* 153 + 47 septets */
	assert_int_equal(sum.total_segments, 6);
	/* An emoji forces UCS-2: 71 code units are two parts. */
	memset(text, 'b', 69);
	memcpy(text + 69, "\xf0\x9f\x98\x80", 5);
	assert_int_equal(broadcast_plan(f->st, f->cfg, &req, &sum, NULL), 0);
	assert_int_equal(sum.encoding, GSM_ENC_UCS2);
	assert_int_equal(sum.segments, 2);
	assert_int_equal(sum.total_segments, 6);
	assert_int_equal(sum.ucs2, 3);
	/* Nothing was written. */
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT count(*) FROM messages"), 0);
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT count(*) FROM broadcasts"), 0);
	/* A topic nobody follows. */
	req.topic = "nobody";
	assert_int_equal(broadcast_plan(f->st, f->cfg, &req, &sum, NULL), 0);
	assert_int_equal(sum.recipients, 0);
	assert_int_equal(sum.total_segments, 0);
}

static void
test_send_at(void **state)
{
	struct fixture *f = *state;
	struct broadcast_request req = {
	    "Later.", "water", NULL, NOW + 3600000, 0, 0};
	struct broadcast_summary sum;

	audience(f->st);
	assert_int_equal(
	    broadcast_queue(f->st, f->cfg, &req, NOW, NULL, NULL, &sum, NULL),
	    0);
	assert_int_equal(sum.send_at, NOW + 3600000);
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT count(*) FROM messages WHERE "
				 "next_attempt = 1795003600000 AND "
				 "state = 'queued'"),
	    3);
	assert_int_equal(sidedb_int(&f->side, "SELECT send_at FROM broadcasts"),
	    NOW + 3600000);
}

/* Expects a refusal with a message holding want; nothing is written. */
static void
refused(
    struct fixture *f, const struct broadcast_request *req, const char *want)
{
	struct broadcast_summary sum;
	char *err = NULL;

	assert_int_equal(
	    broadcast_queue(f->st, f->cfg, req, NOW, NULL, NULL, &sum, &err),
	    BROADCAST_EINVAL);
	assert_non_null(err);
	if (strstr(err, want) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, want);
	free(err);
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT count(*) FROM messages"), 0);
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT count(*) FROM broadcasts"), 0);
	assert_false(store_in_transaction(f->st));
}

static void
test_bad_requests(void **state)
{
	struct fixture *f = *state;
	struct broadcast_request req = {"", "water", NULL, 0, 0, 0};
	char *big = xmalloc(BROADCAST_MAX_TEXT + 2);
	char topic[STORE_NAME_MAX + 2];

	audience(f->st);
	refused(f, &req, "empty");
	memset(big, 'x', BROADCAST_MAX_TEXT + 1);
	big[BROADCAST_MAX_TEXT + 1] = '\0';
	req.text = big;
	refused(f, &req, "longer than 1600");
	big[BROADCAST_MAX_TEXT] = '\0';
	assert_int_equal(broadcast_plan(f->st, f->cfg, &req,
			     &(struct broadcast_summary){0}, NULL),
	    0);
	req.text = "bad \xff byte";
	refused(f, &req, "UTF-8");
	req.text = "ok";
	req.topic = "";
	refused(f, &req, "topic");
	memset(topic, 't', sizeof(topic) - 1);
	topic[sizeof(topic) - 1] = '\0';
	req.topic = topic;
	refused(f, &req, "topic");
	req.topic = "wat\xc3"
		    "er";
	refused(f, &req, "topic is not valid UTF-8");
	req.topic = "water";
	req.channel = "nope";
	refused(f, &req, "no channel named");
	free(f->cfg->default_channel);
	f->cfg->default_channel = NULL;
	req.channel = NULL;
	refused(f, &req, "default_channel");
	free(big);
}

/* Progress reports seen by the chunk test. */
struct progress {
	uint64_t calls, last, total;
};

static void
on_progress(void *arg, uint64_t done, uint64_t total)
{
	struct progress *p = arg;

	assert_true(done >= p->last);
	p->calls++;
	p->last = done;
	p->total = total;
}

/* n subscribers to topic "all", every 1,000th of them opted out too. */
static int64_t
many(struct fixture *f, int64_t n)
{
	char sql[512];

	snprintf(sql, sizeof(sql),
	    "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k "
	    "WHERE i < %lld) INSERT INTO contacts (phone, opted_out, created,"
	    " updated) SELECT printf('+2547%%08d', i), i %% 1000 = 0, 0, 0 "
	    "FROM k; INSERT INTO subscriptions SELECT id, 'all', 0 FROM "
	    "contacts",
	    (long long)n);
	sidedb_exec(&f->side, sql);
	return sidedb_int(
	    &f->side, "SELECT count(*) FROM contacts WHERE opted_out = 0");
}

static void
test_chunks(void **state)
{
	struct fixture *f = *state;
	struct broadcast_request req = {"Chunked.", "all", NULL, 0, 0, 0};
	struct broadcast_summary sum;
	struct progress pr = {0, 0, 0};
	const int64_t n = 2 * BROADCAST_CHUNK + 7;

	assert_int_equal(many(f, n + n / 999), n);
	assert_int_equal(broadcast_queue(f->st, f->cfg, &req, NOW, on_progress,
			     &pr, &sum, NULL),
	    0);
	assert_int_equal(sum.recipients, n);
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT count(DISTINCT contact_id) FROM "
				 "messages WHERE broadcast_id = 1"),
	    n);
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT count(*) FROM messages m JOIN "
				 "contacts c ON c.id = m.contact_id "
				 "WHERE c.opted_out = 1"),
	    0);
	/* Start, two full chunks, the end. */
	assert_true(pr.calls >= 4);
	assert_int_equal(pr.last, (uint64_t)n);
	assert_int_equal(pr.total, (uint64_t)n);
}

static void
test_inside_transaction(void **state)
{
	struct fixture *f = *state;
	struct broadcast_request req = {"Rolled back.", "water", NULL, 0, 0, 0};
	struct broadcast_summary sum;
	struct store_broadcast b;

	audience(f->st);
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(
	    broadcast_queue(f->st, f->cfg, &req, NOW, NULL, NULL, &sum, NULL),
	    0);
	assert_true(store_in_transaction(f->st));
	assert_int_equal(store_broadcast_get(f->st, sum.id, &b), 0);
	assert_int_equal(b.queued, 3);
	store_broadcast_free(&b);
	assert_int_equal(store_rollback(f->st), 0);
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT count(*) FROM messages"), 0);
}

/* The pump: a broadcast of the API, queued a chunk a loop turn. */

/* A gateway with the fixture's store, a loop and its batch. */
struct pump_gw {
	struct gateway gw;
	uv_loop_t loop;
	uv_timer_t watch;
	void *svc;
	int64_t stop_at; /* queued messages at which the loop stops */
	struct fixture *f;
};

static void
pump_gw_init(struct pump_gw *p, struct fixture *f)
{
	memset(p, 0, sizeof(*p));
	p->f = f;
	assert_int_equal(uv_loop_init(&p->loop), 0);
	p->gw.loop = &p->loop;
	p->gw.store = f->st;
	p->gw.cfg = f->cfg;
	batch_init(&p->gw.batch, &p->loop, f->st);
	uv_timer_init(&p->loop, &p->watch);
	p->watch.data = p;
}

static void
pump_gw_free(struct pump_gw *p)
{
	uv_close((uv_handle_t *)&p->watch, NULL);
	batch_close(&p->gw.batch);
	assert_int_equal(uv_run(&p->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&p->loop), 0);
}

/* Stops the loop once p->stop_at messages are queued, or none pends. */
static void
on_watch(uv_timer_t *t)
{
	struct pump_gw *p = t->data;
	struct store_broadcast b;
	int64_t upto;
	int rc;

	if (store_in_transaction(p->gw.store))
		return;
	if (p->stop_at > 0 &&
	    sidedb_int(&p->f->side, "SELECT count(*) FROM messages") >=
		p->stop_at) {
		uv_timer_stop(t);
		return;
	}
	rc = store_broadcast_pending(p->gw.store, &b, &upto);
	if (rc == 0)
		store_broadcast_free(&b);
	else if (rc == STORE_NOTFOUND)
		uv_timer_stop(t);
}

/* Runs the pump until p->stop_at messages are queued (0: to the end). */
static void
pump_run(struct pump_gw *p)
{
	broadcast_pump_start(&p->gw, &p->svc);
	assert_non_null(p->svc);
	uv_timer_start(&p->watch, on_watch, 1, 1);
	assert_int_equal(uv_run(&p->loop, UV_RUN_DEFAULT), 0);
	batch_flush(&p->gw.batch);
	broadcast_pump_stop(&p->gw, &p->svc);
	assert_null(p->svc);
}

/*
 * in_turns: the broadcast is recorded with its audience counted and
 * nobody queued; the pump queues it a chunk a loop turn (the first of
 * BROADCAST_TURN_CHUNK), each turn committed, every subscriber once.
 */
static void
test_in_turns(void **state)
{
	struct fixture *f = *state;
	struct broadcast_request req = {"In turns.", "all", NULL, 0, 0, 1};
	struct broadcast_summary sum;
	struct store_broadcast b;
	struct pump_gw p;
	int64_t n = many(f, 7 * BROADCAST_TURN_CHUNK + 700), upto = -1;

	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(
	    broadcast_queue(f->st, f->cfg, &req, NOW, NULL, NULL, &sum, NULL),
	    0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(sum.recipients, n);
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT count(*) FROM messages"), 0);
	assert_int_equal(store_broadcast_pending(f->st, &b, &upto), 0);
	assert_int_equal(b.id, sum.id);
	assert_int_equal(b.recipients, n);
	assert_int_equal(upto, 0);
	store_broadcast_free(&b);

	pump_gw_init(&p, f);
	pump_run(&p);
	assert_true(p.gw.batch.commits >= 3);
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT count(DISTINCT contact_id) FROM "
				 "messages WHERE broadcast_id = 1"),
	    n);
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT count(*) FROM messages"), n);
	assert_int_equal(
	    store_broadcast_pending(f->st, &b, &upto), STORE_NOTFOUND);
	assert_int_equal(store_broadcast_get(f->st, sum.id, &b), 0);
	assert_int_equal(b.recipients, n);
	assert_int_equal(b.queued, n);
	store_broadcast_free(&b);
	pump_gw_free(&p);

	/* Recipients -1: the messages it queued, counted again. */
	sidedb_exec(&f->side, "UPDATE broadcasts SET recipients = 5");
	assert_int_equal(store_broadcast_set_totals(f->st, sum.id, -1, 1), 0);
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT recipients FROM broadcasts"), n);
}

/*
 * The pump's chunks: as many recipients as BROADCAST_TURN_MS took at the
 * last one's pace, at most twice as many as it, within the bounds.
 */
static void
test_next_chunk(void **state)
{
	const uint64_t ms = 1000000;

	(void)state;
	/* 10 us a recipient: 2,000 in 20 ms. */
	assert_int_equal(broadcast_next_chunk(1000, 10 * ms), 2000);
	assert_int_equal(broadcast_next_chunk(2000, 20 * ms), 2000);
	/* 40 us: 500; 100 us: 200, the least. */
	assert_int_equal(broadcast_next_chunk(1000, 40 * ms), 500);
	assert_int_equal(
	    broadcast_next_chunk(1000, 100 * ms), BROADCAST_TURN_MIN);
	assert_int_equal(
	    broadcast_next_chunk(1000, 1000 * ms), BROADCAST_TURN_MIN);
	/* Fast: twice the last at most, and never past the most. */
	assert_int_equal(broadcast_next_chunk(1000, 1 * ms), 2000);
	assert_int_equal(broadcast_next_chunk(1000, 0), 2000);
	assert_int_equal(
	    broadcast_next_chunk(15000, 1 * ms), BROADCAST_TURN_MAX);
	assert_int_equal(broadcast_next_chunk(0, 0), BROADCAST_TURN_MIN);
}

/*
 * A stop half way (a crash after a chunk's commit): the next start goes
 * on from the last contact queued, nobody twice; a chunk another node
 * queued first is not queued again (store_broadcast_advance).
 */
static void
test_in_turns_resumed(void **state)
{
	struct fixture *f = *state;
	struct broadcast_request req = {"Resumed.", "all", NULL, 0, 0, 1};
	struct broadcast_summary sum;
	struct store_broadcast b;
	struct pump_gw p;
	int64_t n = many(f, 10 * BROADCAST_TURN_CHUNK), upto = -1, first;

	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(
	    broadcast_queue(f->st, f->cfg, &req, NOW, NULL, NULL, &sum, NULL),
	    0);
	assert_int_equal(store_commit(f->st), 0);
	pump_gw_init(&p, f);
	p.stop_at = 1;
	pump_run(&p);
	first = sidedb_int(&f->side, "SELECT count(*) FROM messages");
	assert_true(first >= BROADCAST_TURN_CHUNK && first < n);
	assert_int_equal(store_broadcast_pending(f->st, &b, &upto), 0);
	store_broadcast_free(&b);
	assert_int_equal(upto, sidedb_int(&f->side, "SELECT max(contact_id)"
						    " FROM messages"));
	/* Another node's chunk: the broadcast moved on meanwhile. */
	assert_int_equal(
	    store_broadcast_advance(f->st, sum.id, upto - 1, 0), 0);
	pump_gw_free(&p);

	pump_gw_init(&p, f);
	pump_run(&p);
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT count(*) FROM messages"), n);
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT count(DISTINCT contact_id) FROM "
				 "messages"),
	    n);
	assert_int_equal(
	    store_broadcast_pending(f->st, &b, &upto), STORE_NOTFOUND);
	pump_gw_free(&p);
}

/* notify */

static int
notify(struct fixture *f, const char *tpl, const char *csv, int dry,
    struct broadcast_summary *sum, char **err)
{
	struct notify_request req = {tpl, NULL, 0, dry, 0};

	return notify_csv_buf(
	    f->st, f->cfg, &req, csv, strlen(csv), NOW, NULL, NULL, sum, err);
}

static const char bill_tpl[] =
    "Dear {name}, your water bill of KES {balance} is due on {due}.";

static void
test_notify_renders(void **state)
{
	struct fixture *f = *state;
	struct broadcast_summary sum;
	struct store_broadcast b;
	char *err = NULL, *t;

	contact(f->st, "+254700000009", NULL, 1, NULL);   /* opted out */
	contact(f->st, "+254700000002", NULL, 0, "sms2"); /* known */
	assert_int_equal(
	    notify(f, bill_tpl,
		"\xef\xbb\xbfphone,name,balance,due,unused\n"
		"0700000001,Amina,\"1,250\",1 Dec,x\r\n"
		"\n"
		"+254 700 000 002,\"Joseph \"\"Joe\"\" K\",300,2 Dec,y\n"
		"254700000009,Wanjiru,10,3 Dec,z\n"
		"0700000004,Achieng,0,4 Dec,\n",
		0, &sum, &err),
	    0);
	assert_null(err);
	assert_false(store_in_transaction(f->st));
	assert_int_equal(sum.recipients, 3);
	assert_int_equal(sum.skipped, 1);
	assert_int_equal(sum.gsm7, 3);
	assert_int_equal(sum.total_segments, 3);
	t = sidedb_text(&f->side, "SELECT text FROM messages WHERE phone = "
				  "'+254700000001'");
	assert_string_equal(
	    t, "Dear Amina, your water bill of KES 1,250 is due on 1 Dec.");
	free(t);
	t = sidedb_text(&f->side, "SELECT text FROM messages WHERE phone = "
				  "'+254700000002'");
	assert_string_equal(t,
	    "Dear Joseph \"Joe\" K, your water bill of KES 300 is due on 2 "
	    "Dec.");
	free(t);
	t = sidedb_text(&f->side, "SELECT channel FROM messages WHERE phone = "
				  "'+254700000002'");
	assert_string_equal(t, "sms2");
	free(t);
	/* New numbers became contacts; the opted-out one got nothing. */
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT count(*) FROM contacts WHERE "
				 "phone IN ('+254700000001', "
				 "'+254700000004')"),
	    2);
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT count(*) FROM messages WHERE "
				 "phone = '+254700000009'"),
	    0);
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT count(*) FROM messages m JOIN "
				 "contacts c ON c.id = m.contact_id AND "
				 "c.phone = m.phone"),
	    3);
	/* The run is a broadcast without a topic, counted by state. */
	assert_int_equal(store_broadcast_get(f->st, sum.id, &b), 0);
	assert_null(b.topic);
	assert_string_equal(b.text, bill_tpl);
	assert_int_equal(b.recipients, 3);
	assert_int_equal(b.queued, 3);
	store_broadcast_free(&b);
}

static void
test_notify_dry_run(void **state)
{
	struct fixture *f = *state;
	struct broadcast_summary sum;

	contact(f->st, "+254700000009", NULL, 1, NULL);
	assert_int_equal(notify(f, "Hi {name} \xe2\x9c\x93",
			     "phone,name\n0700000001,A\n0700000009,B\n"
			     "0700000003,C\n",
			     1, &sum, NULL),
	    0);
	assert_int_equal(sum.id, 0);
	assert_int_equal(sum.recipients, 2);
	assert_int_equal(sum.skipped, 1);
	assert_int_equal(sum.ucs2, 2);
	assert_int_equal(sum.encoding, GSM_ENC_UCS2);
	assert_int_equal(sum.total_segments, 2);
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT count(*) FROM contacts"), 1);
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT count(*) FROM messages"), 0);
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT count(*) FROM broadcasts"), 0);
}

/* Expects notify to refuse csv with a message holding want. */
static void
notify_bad(struct fixture *f, const char *tpl, const char *csv, size_t len,
    int want_rc, const char *want)
{
	struct notify_request req = {tpl, NULL, 0, 0, 0};
	struct broadcast_summary sum;
	char *err = NULL;

	assert_int_equal(notify_csv_buf(f->st, f->cfg, &req, csv, len, NOW,
			     NULL, NULL, &sum, &err),
	    want_rc);
	assert_non_null(err);
	if (strstr(err, want) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, want);
	free(err);
	assert_int_equal(sum.recipients, 0);
	assert_false(store_in_transaction(f->st));
	/* Nothing queued, no contact created, no broadcast recorded. */
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT count(*) FROM messages"), 0);
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT count(*) FROM broadcasts"), 0);
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT count(*) FROM contacts"), 0);
}

#define BAD(tpl, csv, rc, want) \
	notify_bad(f, tpl, csv, sizeof(csv) - 1, rc, want)

static void
test_notify_errors(void **state)
{
	struct fixture *f = *state;
	char *big;
	size_t i;

	BAD(bill_tpl,
	    "phone,name,balance,due\n0700000001,A,1,d\n0700000002,B,2\n",
	    BROADCAST_EINVAL, "line 3: expected 4 fields, found 3");
	BAD(bill_tpl, "phone,name,balance,due\n0700000001,A,1,d,extra\n",
	    BROADCAST_EINVAL, "line 2: expected 4 fields, found 5");
	BAD(bill_tpl, "phone,name,balance,due\n0700000001,A,1,d\n12ab,B,2,d\n",
	    BROADCAST_EINVAL, "line 3: bad phone number \"12ab\"");
	BAD(bill_tpl, "phone,name,balance,due\n,A,1,d\n", BROADCAST_EINVAL,
	    "line 2: bad phone number");
	BAD(bill_tpl,
	    "phone,name,balance,due\n0700000001,A,1,d\n0700000002,\"B\nB\","
	    "2,d\n0700000003,\xc3\x28,3,d\n",
	    BROADCAST_EINVAL, "line 5: field 2 is not valid UTF-8");
	BAD(bill_tpl, "phone,name,balance\n0700000001,A,1\n", BROADCAST_EINVAL,
	    "{due} but the CSV has no such column");
	BAD("Hi {name.first}", "phone,name\n0700000001,A\n", BROADCAST_EINVAL,
	    "{name.first}");
	BAD("Hi {name", "phone,name\n0700000001,A\n", BROADCAST_EINVAL,
	    "the template, column 4");
	BAD("Hi", "tel,name\n0700000001,A\n", BROADCAST_EINVAL,
	    "no \"phone\" column");
	BAD("Hi", "phone,phone\n0700000001,A\n", BROADCAST_EINVAL,
	    "duplicate column");
	BAD("Hi", "", BROADCAST_EINVAL, "no header row");
	BAD("Hi", "phone\n\"0700000001\n", BROADCAST_EINVAL,
	    "line 2: quoted field not closed");
	BAD("Hi", "phone\n07\"00\n", BROADCAST_EINVAL, "line 2: malformed");
	BAD("{name}", "phone,name\n0700000001,\n", BROADCAST_EINVAL,
	    "line 2: the text is empty");
	BAD("", "phone\n0700000001\n", BROADCAST_EINVAL, "the text is empty");
	BAD("bad \xff", "phone\n0700000001\n", BROADCAST_EINVAL, "UTF-8");
	notify_bad(f, "Hi", "phone\n0700\0000001\n", 19, BROADCAST_EINVAL,
	    "line 2: field 1 is not valid UTF-8");

	/* A rendered text over 1,600 bytes names its line. */
	big = xmalloc(64 + 1700);
	i = (size_t)snprintf(big, 64, "phone,x\n0700000001,ok\n0700000002,");
	memset(big + i, 'y', 1700);
	big[i + 1700] = '\n';
	notify_bad(f, "{x}", big, i + 1701, BROADCAST_EINVAL,
	    "line 3: the text is longer than 1600 bytes");
	free(big);

	/* An unknown channel is refused before the file is read. */
	{
		struct notify_request req = {"Hi", "nope", 0, 0, 0};
		struct broadcast_summary sum;
		char *err = NULL;

		assert_int_equal(notify_csv_buf(f->st, f->cfg, &req, "phone\n",
				     6, NOW, NULL, NULL, &sum, &err),
		    BROADCAST_EINVAL);
		assert_non_null(strstr(err, "no channel named"));
		free(err);
	}
}

static void
test_notify_file(void **state)
{
	struct fixture *f = *state;
	struct notify_request req = {"Hello {name}", NULL, NOW + 60000, 0, 0};
	struct broadcast_summary sum;
	char path[] = "/tmp/test_broadcast.XXXXXX";
	char *err = NULL;
	FILE *fp;
	int fd;

	assert_true((fd = mkstemp(path)) >= 0);
	assert_non_null(fp = fdopen(fd, "w+"));
	fputs("phone,name\n0700000001,A\n0700000002,B\n", fp);
	rewind(fp);
	assert_int_equal(notify_csv_file(f->st, f->cfg, &req, fp, NOW, NULL,
			     NULL, &sum, &err),
	    0);
	fclose(fp);
	unlink(path);
	assert_int_equal(sum.recipients, 2);
	assert_int_equal(
	    sidedb_int(&f->side, "SELECT count(*) FROM messages WHERE "
				 "next_attempt = 1795000060000"),
	    2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_audience_and_channels, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_counts_by_state, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dry_run, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_send_at, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_chunks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_in_turns, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_in_turns_resumed, setup, teardown),
	    cmocka_unit_test(test_next_chunk),
	    cmocka_unit_test_setup_teardown(
		test_inside_transaction, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_notify_renders, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_notify_dry_run, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_notify_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_notify_file, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
