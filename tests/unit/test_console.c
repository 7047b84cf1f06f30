/*
 * test_console.c: the pure parts of the console's API: the config's
 * currency and cost_per_segment, the time bounds of a search, and the
 * store's console queries (gateway/store_console.c) against rows made
 * with raw SQL: paging with a cursor, the scan window, time bounds,
 * filters, retry, the overview's counts, topics, tables and audiences.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "council/api_common.h"
#include "council/budget.h"
#include "gateway/config.h"
#include "gateway/store.h"
#include "lib/util.h"
#include "tests/unit/sidedb.h"

/* ---- config ---- */

static void
test_parse_decimal(void **state)
{
	static const struct {
		const char *s;
		int64_t micro;
	} good[] = {
	    {"0.80", 800000},
	    {"2", 2000000},
	    {".5", 500000},
	    {"0", 0},
	    {"1.234567", 1234567},
	    {"1000000000", INT64_C(1000000000000000)},
	};
	static const char *const bad[] = {"", ".", "-1", "1.2345678", "1e3",
	    "abc", "1,5", "1000000001", "0.8 ", " 1"};
	int64_t v;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(good); i++) {
		v = -1;
		assert_int_equal(config_parse_decimal(good[i].s, &v), 0);
		assert_int_equal(v, good[i].micro);
	}
	for (i = 0; i < nitems(bad); i++)
		assert_int_equal(config_parse_decimal(bad[i], &v), -1);
	assert_int_equal(config_parse_decimal(NULL, &v), -1);
}

/* Parses text; returns the number of errors and sets *cfg. */
static int
parse(const char *text, struct config **cfg)
{
	struct config_errors *e;
	int n =
	    config_parse_buffer(text, strlen(text), "t.conf", "/tmp", cfg, &e);

	config_errors_free(e);
	return n;
}

static void
test_config_keys(void **state)
{
	struct config *cfg;
	int64_t micro = -1;

	(void)state;
	assert_int_equal(parse("[gateway]\ncurrency = KES\n"
			       "[channel web]\ntype = http\n"
			       "api_url = http://127.0.0.1:9/x\n"
			       "signing_key = k\ncost_per_segment = 0.80\n"
			       "[channel b]\ntype = http\n"
			       "api_url = http://127.0.0.1:9/y\n"
			       "signing_key = k\n",
			     &cfg),
	    0);
	assert_string_equal(cfg->currency, "KES");
	assert_int_equal(
	    config_channel_cost(config_channel(cfg, "web"), &micro), 0);
	assert_int_equal(micro, 800000);
	assert_int_equal(
	    config_channel_cost(config_channel(cfg, "b"), &micro), -1);
	assert_int_equal(config_channel_cost(NULL, &micro), -1);
	config_free(cfg);

	assert_int_equal(parse("[gateway]\n", &cfg), 0);
	assert_null(cfg->currency);
	config_free(cfg);

	assert_int_equal(parse("[gateway]\ncurrency = kes\n", &cfg), 1);
	config_free(cfg);
	assert_int_equal(parse("[gateway]\ncurrency = KESH\n", &cfg), 1);
	config_free(cfg);
	assert_int_equal(parse("[channel web]\ntype = http\n"
			       "api_url = http://127.0.0.1:9/x\n"
			       "signing_key = k\ncost_per_segment = -1\n",
			     &cfg),
	    1);
	config_free(cfg);
}

/*
 * daily_budget and channel_log_days: parsed, bounded, the budget in
 * millionths; a budget without a price is a warning; money printed with
 * two decimals at least.
 */
static void
test_budget_keys(void **state)
{
	static const char chan[] = "[channel web]\ntype = http\n"
				   "api_url = http://127.0.0.1:9/x\n"
				   "signing_key = k\n";
	struct config_errors *e;
	struct config *cfg;
	char *text, money[32];
	int64_t micro = -1;

	(void)state;
	text = xasprintf("[gateway]\n%scost_per_segment = 0.80\n"
			 "daily_budget = 5000\n",
	    chan);
	assert_int_equal(parse(text, &cfg), 0);
	free(text);
	assert_int_equal(cfg->channel_log_days, 7);
	assert_int_equal(
	    config_channel_budget(config_channel(cfg, "web"), &micro), 0);
	assert_int_equal(micro, INT64_C(5000000000));
	assert_int_equal(config_channel_budget(NULL, &micro), -1);
	config_free(cfg);

	assert_int_equal(parse("[gateway]\nchannel_log_days = 0\n", &cfg), 0);
	assert_int_equal(cfg->channel_log_days, 0);
	config_free(cfg);
	assert_int_equal(parse("[gateway]\nchannel_log_days = 400\n", &cfg), 1);
	config_free(cfg);
	text = xasprintf("%sdaily_budget = lots\n", chan);
	assert_int_equal(parse(text, &cfg), 1);
	config_free(cfg);
	free(text);

	/* No price: the budget can hold nothing back, and check says so. */
	text = xasprintf("%sdaily_budget = 10\n", chan);
	assert_int_equal(
	    config_parse_buffer(text, strlen(text), "t.conf", "/tmp", &cfg, &e),
	    0);
	assert_int_equal(config_warnings_count(e), 1);
	config_errors_free(e);
	config_free(cfg);
	free(text);

	assert_string_equal(budget_money(0, money, sizeof(money)), "0.00");
	assert_string_equal(budget_money(800000, money, sizeof(money)), "0.80");
	assert_string_equal(
	    budget_money(INT64_C(5000000000), money, sizeof(money)), "5000.00");
	assert_string_equal(
	    budget_money(125000, money, sizeof(money)), "0.125");
	assert_string_equal(budget_money(1, money, sizeof(money)), "0.000001");
}

static void
test_parse_time(void **state)
{
	int64_t a, b, t;

	(void)state;
	assert_int_equal(api_parse_time("2026-12-01", 0, &a), 0);
	assert_int_equal(api_parse_time("2026-12-01", 1, &b), 0);
	/* A local day: its first and last millisecond, whatever the zone. */
	assert_int_equal(b - a, 86400000 - 1);
	assert_int_equal(api_parse_time("2026-12-01T00:00", 0, &t), 0);
	assert_int_equal(t, a);
	assert_int_equal(api_parse_time("2026-12-01T08:00:00Z", 0, &t), 0);
	assert_int_equal(t, INT64_C(1796112000000));
	assert_int_equal(api_parse_time("yesterday", 0, &t), -1);
	assert_int_equal(api_parse_time("2026-13-01", 0, &t), -1);
	assert_int_equal(api_parse_time("", 0, &t), -1);
	assert_int_equal(api_parse_time(NULL, 0, &t), -1);
	{
		/*
		 * Where clocks go back at midnight (Chile: the first Saturday
		 * of April, 24:00 -03 becomes 23:00 -04), that day has 25
		 * hours, and its second 23:59:59 is its own too.
		 */
		const char *tz = getenv("TZ");
		char *was = tz != NULL ? xstrdup(tz) : NULL;

		setenv("TZ", "<-04>4<-03>,M9.1.6/24,M4.1.6/24", 1);
		tzset();
		assert_int_equal(api_parse_time("2027-04-03", 0, &a), 0);
		assert_int_equal(api_parse_time("2027-04-03", 1, &b), 0);
		assert_int_equal(b - a, 25 * 3600000 - 1);
		/* And the day after starts where it ends. */
		assert_int_equal(api_parse_time("2027-04-04", 0, &t), 0);
		assert_int_equal(t, b + 1);
		if (was != NULL)
			setenv("TZ", was, 1);
		else
			unsetenv("TZ");
		free(was);
		tzset();
	}
}

/* ---- the store ---- */

struct fx {
	struct sidedb d;
	struct store *st;
};

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));

	sidedb_open(&f->d, 0, &f->st);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	sidedb_close(&f->d, f->st);
	free(f);
	return 0;
}

/* Collects the ids and texts of a walk. */
struct got {
	int64_t ids[300];
	char texts[300][32];
	size_t n;
};

static int
msg_cb(void *arg, const struct store_msg_row *m)
{
	struct got *g = arg;

	assert_true(g->n < nitems(g->ids));
	g->ids[g->n] = m->id;
	snprintf(g->texts[g->n], sizeof(g->texts[0]), "%s",
	    m->text ? m->text : "(null)");
	g->n++;
	return 0;
}

/* Messages 1..n in, from contact 7 (+254700000007), one a minute. */
static void
fill(struct fx *f, int n)
{
	char *sql = xasprintf(
	    "INSERT INTO contacts (id, phone, created, updated) VALUES "
	    "(7, '+254700000007', 0, 0), (8, '+254700000008', 0, 0);"
	    "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c"
	    " WHERE i < %d) INSERT INTO messages (id, direction, channel,"
	    " contact_id, phone, text, state, created, updated)"
	    " SELECT i, 'in', CASE WHEN i %% 2 THEN 'web' ELSE 'at' END, 7,"
	    " '+254700000007', 'text ' || i, 'handled', 1000000 + i * 60000,"
	    " 1000000 + i * 60000 FROM c",
	    n);

	sidedb_exec(&f->d, sql);
	free(sql);
}

static void
test_messages_pages(void **state)
{
	struct fx *f = *state;
	struct store_msg_query q;
	struct got g;
	int64_t next;
	size_t total = 0;
	int pages = 0;

	fill(f, 120);
	memset(&q, 0, sizeof(q));
	q.limit = 50;
	do {
		memset(&g, 0, sizeof(g));
		assert_int_equal(
		    store_console_messages(f->st, &q, msg_cb, &g, &next), 0);
		/* Newest first, each page below the last. */
		assert_int_equal(g.ids[0], 120 - (int64_t)total);
		total += g.n;
		q.before = next;
		pages++;
	} while (next != 0 && pages < 10);
	assert_int_equal(pages, 3);
	assert_int_equal(total, 120);
	assert_int_equal(g.n, 20);
	assert_int_equal(g.ids[19], 1);

	/* A page that ends exactly at the last row has no next. */
	memset(&q, 0, sizeof(q));
	q.limit = 120;
	memset(&g, 0, sizeof(g));
	assert_int_equal(
	    store_console_messages(f->st, &q, msg_cb, &g, &next), 0);
	assert_int_equal(g.n, 120);
	assert_int_equal(next, 0);

	q.limit = 0;
	assert_int_equal(
	    store_console_messages(f->st, &q, msg_cb, &g, &next), STORE_EINVAL);
}

static void
test_messages_filters(void **state)
{
	struct fx *f = *state;
	struct store_msg_query q;
	struct got g;
	int64_t next;

	fill(f, 120);
	memset(&q, 0, sizeof(q));
	q.limit = 200;
	q.text = "text 11";
	memset(&g, 0, sizeof(g));
	assert_int_equal(
	    store_console_messages(f->st, &q, msg_cb, &g, &next), 0);
	assert_int_equal(g.n, 11); /* 119..110, 11 */
	assert_string_equal(g.texts[0], "text 119");
	assert_string_equal(g.texts[10], "text 11");

	/* LIKE's wildcards in the search are literal. */
	q.text = "text_1";
	memset(&g, 0, sizeof(g));
	assert_int_equal(
	    store_console_messages(f->st, &q, msg_cb, &g, &next), 0);
	assert_int_equal(g.n, 0);

	memset(&q, 0, sizeof(q));
	q.limit = 200;
	q.channel = "at";
	q.direction = "in";
	q.state = "handled";
	memset(&g, 0, sizeof(g));
	assert_int_equal(
	    store_console_messages(f->st, &q, msg_cb, &g, &next), 0);
	assert_int_equal(g.n, 60);
	q.direction = "out";
	memset(&g, 0, sizeof(g));
	assert_int_equal(
	    store_console_messages(f->st, &q, msg_cb, &g, &next), 0);
	assert_int_equal(g.n, 0);

	/* A contact's messages, through its index, paged. */
	memset(&q, 0, sizeof(q));
	q.limit = 100;
	q.contact_id = 7;
	memset(&g, 0, sizeof(g));
	assert_int_equal(
	    store_console_messages(f->st, &q, msg_cb, &g, &next), 0);
	assert_int_equal(g.n, 100);
	assert_int_equal(next, 21);
	q.before = next;
	memset(&g, 0, sizeof(g));
	assert_int_equal(
	    store_console_messages(f->st, &q, msg_cb, &g, &next), 0);
	assert_int_equal(g.n, 20);
	assert_int_equal(next, 0);
	q.contact_id = 8;
	q.before = 0;
	memset(&g, 0, sizeof(g));
	assert_int_equal(
	    store_console_messages(f->st, &q, msg_cb, &g, &next), 0);
	assert_int_equal(g.n, 0);

	/*
	 * Sent to a contact's number without a link: in the conversation
	 * when the query names the number; another number's is not.
	 */
	sidedb_exec(&f->d,
	    "INSERT INTO messages (id, direction, channel, phone, text, state,"
	    " created, updated) VALUES"
	    " (200, 'out', 'web', '+254700000008', 'sent by staff', 'sent', 0,"
	    "  0),"
	    " (201, 'out', 'web', '+254700000007', 'to another', 'sent', 0,"
	    "  0)");
	q.phone = "+254700000008";
	memset(&g, 0, sizeof(g));
	assert_int_equal(
	    store_console_messages(f->st, &q, msg_cb, &g, &next), 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.ids[0], 200);
	q.phone = NULL;
	memset(&g, 0, sizeof(g));
	assert_int_equal(
	    store_console_messages(f->st, &q, msg_cb, &g, &next), 0);
	assert_int_equal(g.n, 0);
	sidedb_exec(&f->d, "DELETE FROM messages WHERE id >= 200");

	/* A number exactly. */
	memset(&q, 0, sizeof(q));
	q.limit = 200;
	q.phone = "+254700000007";
	memset(&g, 0, sizeof(g));
	assert_int_equal(
	    store_console_messages(f->st, &q, msg_cb, &g, &next), 0);
	assert_int_equal(g.n, 120);
	q.phone = "+254700000008";
	memset(&g, 0, sizeof(g));
	assert_int_equal(
	    store_console_messages(f->st, &q, msg_cb, &g, &next), 0);
	assert_int_equal(g.n, 0);
}

static void
test_messages_times(void **state)
{
	struct fx *f = *state;
	struct store_msg_query q;
	struct got g;
	int64_t next;

	fill(f, 120);
	/* Message i was created at 1000000 + i minutes. */
	memset(&q, 0, sizeof(q));
	q.limit = 200;
	q.has_since = 1;
	q.since = 1000000 + 100 * 60000;
	q.has_until = 1;
	q.until = 1000000 + 110 * 60000;
	memset(&g, 0, sizeof(g));
	assert_int_equal(
	    store_console_messages(f->st, &q, msg_cb, &g, &next), 0);
	assert_int_equal(g.n, 11);
	assert_int_equal(g.ids[0], 110);
	assert_int_equal(g.ids[10], 100);
	assert_int_equal(next, 0);
	/* Bounds between messages, and beyond them all. */
	q.since = 1000000 + 100 * 60000 + 1;
	q.until = 1000000 + 110 * 60000 - 1;
	memset(&g, 0, sizeof(g));
	assert_int_equal(
	    store_console_messages(f->st, &q, msg_cb, &g, &next), 0);
	assert_int_equal(g.n, 9);
	q.since = 1000000 + 500 * 60000;
	q.until = INT64_MAX;
	memset(&g, 0, sizeof(g));
	assert_int_equal(
	    store_console_messages(f->st, &q, msg_cb, &g, &next), 0);
	assert_int_equal(g.n, 0);
	assert_int_equal(next, 0);
	q.has_since = 0;
	q.until = 0;
	memset(&g, 0, sizeof(g));
	assert_int_equal(
	    store_console_messages(f->st, &q, msg_cb, &g, &next), 0);
	assert_int_equal(g.n, 0);
}

static void
test_messages_window(void **state)
{
	struct fx *f = *state;
	struct store_msg_query q;
	struct got g;
	int64_t next;
	int pages = 0;

	/* The only match is older than one window of ids. */
	fill(f, STORE_SCAN_WINDOW + 30);
	sidedb_exec(&f->d, "UPDATE messages SET text = 'needle' WHERE id = 5");
	memset(&q, 0, sizeof(q));
	q.limit = 10;
	q.text = "needle";
	memset(&g, 0, sizeof(g));
	assert_int_equal(
	    store_console_messages(f->st, &q, msg_cb, &g, &next), 0);
	assert_int_equal(g.n, 0);
	/* Nothing here yet, but more to look at. */
	assert_int_equal(next, 31);
	while (g.n == 0 && next != 0 && pages++ < 5) {
		q.before = next;
		assert_int_equal(
		    store_console_messages(f->st, &q, msg_cb, &g, &next), 0);
	}
	assert_int_equal(g.n, 1);
	assert_int_equal(g.ids[0], 5);
	assert_int_equal(next, 0);
}

static void
test_retry(void **state)
{
	struct fx *f = *state;

	sidedb_exec(&f->d,
	    "INSERT INTO messages (id, direction, channel, phone, text, state,"
	    " attempts, error, created, updated) VALUES"
	    " (1, 'out', 'web', '+254700000001', 'a', 'failed', 3, 'rejected',"
	    "  0, 0),"
	    " (2, 'out', 'web', '+254700000001', 'b', 'delivered', 1, NULL, 0,"
	    "  0),"
	    " (3, 'in', 'web', '+254700000001', 'c', 'handled', 0, NULL, 0, 0),"
	    " (4, 'out', 'web', '+254700000001', NULL, 'failed', 1, 'x', 0, "
	    "0)");
	assert_int_equal(store_console_retry(f->st, 1, 5000), 0);
	assert_int_equal(
	    sidedb_int(&f->d, "SELECT state = 'queued' AND next_attempt = 5000"
			      " AND error IS NULL AND updated = 5000"
			      " AND attempts = 3 FROM messages WHERE id = 1"),
	    1);
	/* Not failed (any more), erased, inbound, unknown. */
	assert_int_equal(store_console_retry(f->st, 1, 6000), STORE_EINVAL);
	assert_int_equal(store_console_retry(f->st, 2, 6000), STORE_EINVAL);
	assert_int_equal(store_console_retry(f->st, 4, 6000), STORE_EINVAL);
	assert_int_equal(store_console_retry(f->st, 3, 6000), STORE_NOTFOUND);
	assert_int_equal(store_console_retry(f->st, 99, 6000), STORE_NOTFOUND);
	assert_int_equal(
	    sidedb_int(
		&f->d, "SELECT count(*) FROM messages WHERE updated = 6000"),
	    0);
}

struct ids {
	int64_t v[64];
	size_t n;
};

static int
contact_cb(void *arg, const struct store_contact *c)
{
	struct ids *ids = arg;

	ids->v[ids->n++] = c->id;
	return 0;
}

static void
test_contacts(void **state)
{
	struct fx *f = *state;
	struct store_contact_query q;
	struct ids ids;
	int64_t next;

	sidedb_exec(&f->d,
	    "INSERT INTO contacts (id, phone, fields, created, updated) VALUES"
	    " (1, '+254700000001', '{}', 0, 0),"
	    " (2, '+254700000002', '{\"ward\":\"Kilimani\"}', 0, 0),"
	    " (3, '+254711000003', '{\"name\":\"100% sure\"}', 0, 0),"
	    " (4, '+254722000004', '{}', 0, 0)");
	memset(&q, 0, sizeof(q));
	q.limit = 3;
	memset(&ids, 0, sizeof(ids));
	assert_int_equal(
	    store_console_contacts(f->st, &q, contact_cb, &ids, &next), 0);
	assert_int_equal(ids.n, 3);
	assert_int_equal(ids.v[0], 4);
	assert_int_equal(next, 2);
	q.before = next;
	memset(&ids, 0, sizeof(ids));
	assert_int_equal(
	    store_console_contacts(f->st, &q, contact_cb, &ids, &next), 0);
	assert_int_equal(ids.n, 1);
	assert_int_equal(next, 0);

	/* A part of the number only when asked for. */
	memset(&q, 0, sizeof(q));
	q.limit = 10;
	q.part = "70000000";
	memset(&ids, 0, sizeof(ids));
	assert_int_equal(
	    store_console_contacts(f->st, &q, contact_cb, &ids, &next), 0);
	assert_int_equal(ids.n, 0);
	q.part_in_phone = 1;
	memset(&ids, 0, sizeof(ids));
	assert_int_equal(
	    store_console_contacts(f->st, &q, contact_cb, &ids, &next), 0);
	assert_int_equal(ids.n, 2);
	/* A field's value, case aside; a % is a percent sign. */
	q.part = "kilim";
	memset(&ids, 0, sizeof(ids));
	assert_int_equal(
	    store_console_contacts(f->st, &q, contact_cb, &ids, &next), 0);
	assert_int_equal(ids.n, 1);
	assert_int_equal(ids.v[0], 2);
	q.part = "0%";
	memset(&ids, 0, sizeof(ids));
	assert_int_equal(
	    store_console_contacts(f->st, &q, contact_cb, &ids, &next), 0);
	assert_int_equal(ids.n, 1);
	assert_int_equal(ids.v[0], 3);
	/* The whole number. */
	memset(&q, 0, sizeof(q));
	q.limit = 10;
	q.phone = "+254722000004";
	memset(&ids, 0, sizeof(ids));
	assert_int_equal(
	    store_console_contacts(f->st, &q, contact_cb, &ids, &next), 0);
	assert_int_equal(ids.n, 1);
	assert_int_equal(ids.v[0], 4);
}

static int
report_cb(void *arg, const struct store_report *r, const char *note)
{
	struct ids *ids = arg;

	(void)note;
	ids->v[ids->n++] = r->id;
	return 0;
}

static void
test_reports(void **state)
{
	struct fx *f = *state;
	struct store_report_query q;
	const char *open[] = {"open"}, *cats[] = {"water_leak", "rubbish"};
	int64_t want[] = {2, 5}, next;
	struct ids ids;

	sidedb_exec(&f->d,
	    "INSERT INTO reports (id, category, location, details, status,"
	    " created, updated) VALUES"
	    " (1, 'water_leak', 'Kilimani', 'burst', 'open', 100, 0),"
	    " (2, 'rubbish', 'Majengo', '50% of the street', 'open', 200, 0),"
	    " (3, 'water_leak', 'Riverside', 'drip', 'resolved', 300, 0),"
	    " (4, 'no_water', 'KILIMANI east', 'dry', 'open', 400, 0),"
	    " (5, 'rubbish', 'Central', 'heap', 'open', 500, 0)");
	memset(&q, 0, sizeof(q));
	q.statuses = open;
	q.nstatuses = 1;
	q.limit = 2;
	memset(&ids, 0, sizeof(ids));
	assert_int_equal(
	    store_console_reports(f->st, &q, report_cb, &ids, &next), 0);
	assert_int_equal(ids.n, 2);
	assert_int_equal(ids.v[0], 5);
	assert_int_equal(ids.v[1], 4);
	assert_int_equal(next, 4);
	q.before = next;
	memset(&ids, 0, sizeof(ids));
	assert_int_equal(
	    store_console_reports(f->st, &q, report_cb, &ids, &next), 0);
	assert_int_equal(ids.n, 2);
	assert_int_equal(ids.v[1], 1);
	assert_int_equal(next, 0);

	memset(&q, 0, sizeof(q));
	q.words = "kilimani";
	memset(&ids, 0, sizeof(ids));
	assert_int_equal(
	    store_console_reports(f->st, &q, report_cb, &ids, &next), 0);
	assert_int_equal(ids.n, 2);
	q.words = "50%";
	memset(&ids, 0, sizeof(ids));
	assert_int_equal(
	    store_console_reports(f->st, &q, report_cb, &ids, &next), 0);
	assert_int_equal(ids.n, 1);
	assert_int_equal(ids.v[0], 2);

	memset(&q, 0, sizeof(q));
	q.categories = cats;
	q.ncategories = 2;
	q.has_until = 1;
	q.until = 300;
	memset(&ids, 0, sizeof(ids));
	assert_int_equal(
	    store_console_reports(f->st, &q, report_cb, &ids, &next), 0);
	assert_int_equal(ids.n, 3);
	assert_int_equal(next, 0);
	q.ids = want;
	q.nids = 2;
	memset(&ids, 0, sizeof(ids));
	assert_int_equal(
	    store_console_reports(f->st, &q, report_cb, &ids, &next), 0);
	assert_int_equal(ids.n, 1);
	assert_int_equal(ids.v[0], 2);
}

static void
test_outcomes(void **state)
{
	struct fx *f = *state;
	struct store_outcomes o;
	int64_t id, nin, nout;

	/* Ids 1-4 yesterday, 5-9 today (created 1000 on). */
	sidedb_exec(&f->d,
	    "INSERT INTO messages (id, direction, channel, phone, state,"
	    " next_attempt, created, updated) VALUES"
	    " (1, 'out', 'web', '+2547', 'failed', NULL, 10, 0),"
	    " (2, 'out', 'web', '+2547', 'delivered', NULL, 20, 0),"
	    " (3, 'in', 'web', '+2547', 'handled', NULL, 30, 0),"
	    " (4, 'out', 'at', '+2547', 'sent', NULL, 40, 0),"
	    " (5, 'out', 'web', '+2547', 'failed', NULL, 1000, 0),"
	    " (6, 'out', 'web', '+2547', 'sent', NULL, 1010, 0),"
	    " (7, 'out', 'at', '+2547', 'delivered', NULL, 1020, 0),"
	    " (8, 'out', 'at', '+2547', 'queued', 5000, 1030, 0),"
	    " (9, 'in', 'at', '+2547', 'received', NULL, 1040, 0)");
	assert_int_equal(store_console_first_id(f->st, 15, &id), 0);
	assert_int_equal(id, 2);
	assert_int_equal(store_console_first_id(f->st, 1000, &id), 0);
	assert_int_equal(id, 5);
	assert_int_equal(store_console_first_id(f->st, 5000, &id), 0);
	assert_int_equal(id, 10);
	memset(&o, 0, sizeof(o));
	assert_int_equal(store_console_outcomes(f->st, "web", 2, 5, &o), 0);
	assert_int_equal(store_console_outcomes(f->st, "at", 2, 5, &o), 0);
	assert_int_equal(o.failed_today, 1);
	assert_int_equal(o.failed, 1);
	assert_int_equal(o.done, 5); /* 2, 4, 5, 6, 7 */

	assert_int_equal(store_console_counts(f->st, 0, 1000, &nin, &nout), 0);
	assert_int_equal(nout, 3);
	assert_int_equal(
	    store_console_counts(f->st, 1000, 2000, &nin, &nout), 0);
	assert_int_equal(nin, 1);
}

static int
count_cb(void *arg, const char *name, int64_t n)
{
	char *b = arg;
	size_t len = strlen(b);

	snprintf(b + len, 200 - len, "%s=%lld ", name, (long long)n);
	return 0;
}

static int
open_cb(void *arg, const char *category, int64_t open, int64_t oldest)
{
	char *b = arg;
	size_t len = strlen(b);

	snprintf(b + len, 200 - len, "%s:%lld@%lld ", category, (long long)open,
	    (long long)oldest);
	return 0;
}

static int
table_cb(void *arg, const struct store_table_info *t)
{
	char *b = arg;

	snprintf(b, 200, "%s %s %s %lld %lld", t->name, t->key, t->columns,
	    (long long)t->rows, (long long)t->updated);
	return 0;
}

static void
test_figures(void **state)
{
	struct fx *f = *state;
	char b[200] = "";
	int64_t ages[3];
	double ms;

	assert_int_equal(
	    store_console_median_resolution(f->st, &ms), STORE_NOTFOUND);
	/* Resolved after 1 h, 3 h and 10 h; two open ones, one unsorted. */
	sidedb_exec(&f->d,
	    "INSERT INTO reports (id, category, status, created, updated)"
	    " VALUES (1, 'a', 'resolved', 0, 0), (2, 'a', 'closed', 0, 0),"
	    " (3, 'b', 'resolved', 0, 0), (4, 'a', 'open', 5, 0),"
	    " (5, NULL, 'in_progress', 7, 0), (6, 'a', 'acknowledged', 90, 0);"
	    "INSERT INTO report_events (report_id, time, status) VALUES"
	    " (1, 3600000, 'resolved'), (2, 10800000, 'resolved'),"
	    " (2, 20000000, 'closed'), (3, 36000000, 'resolved')");
	assert_int_equal(store_console_median_resolution(f->st, &ms), 0);
	assert_true(ms == 10800000.0);
	sidedb_exec(&f->d,
	    "INSERT INTO reports (id, status, created, updated) VALUES"
	    " (7, 'resolved', 0, 0);"
	    "INSERT INTO report_events (report_id, time, status) VALUES"
	    " (7, 40000000, 'resolved')");
	assert_int_equal(store_console_median_resolution(f->st, &ms), 0);
	assert_true(ms == (10800000.0 + 36000000.0) / 2);

	assert_int_equal(store_console_open_reports(f->st, open_cb, b), 0);
	assert_string_equal(b, "a:2@5 :1@7 ");
	assert_int_equal(store_console_report_ages(f->st, 50, 6, ages), 0);
	assert_int_equal(ages[0], 1); /* created after 50 */
	assert_int_equal(ages[1], 1); /* 7 */
	assert_int_equal(ages[2], 1); /* 5 */

	sidedb_exec(&f->d,
	    "INSERT INTO contacts (id, phone, opted_out, last_channel, created,"
	    " updated) VALUES (1, '+2541', 0, 'at', 0, 0),"
	    " (2, '+2542', 0, NULL, 0, 0), (3, '+2543', 1, NULL, 0, 0),"
	    " (4, '+2544', 0, 'gone', 0, 0);"
	    "INSERT INTO subscriptions (contact_id, topic, created) VALUES"
	    " (1, 'water', 0), (2, 'water', 0), (3, 'water', 0),"
	    " (4, 'water', 0), (3, 'roads', 0)");
	b[0] = '\0';
	assert_int_equal(store_console_topics(f->st, count_cb, b), 0);
	assert_string_equal(b, "water=3 ");
	b[0] = '\0';
	assert_int_equal(store_console_audience_channels(f->st, "water",
			     "[\"web\",\"at\"]", "web", count_cb, b),
	    0);
	assert_string_equal(b, "at=1 web=2 ");

	sidedb_exec(&f->d,
	    "INSERT INTO messages (direction, channel, phone, state,"
	    " next_attempt, created, updated) VALUES"
	    " ('out', 'web', '+2541', 'queued', 1, 0, 0),"
	    " ('out', 'web', '+2541', 'queued', 2, 0, 0),"
	    " ('out', 'at', '+2541', 'queued', 3, 0, 0),"
	    " ('out', 'at', '+2541', 'failed', NULL, 0, 0)");
	b[0] = '\0';
	assert_int_equal(store_console_queued(f->st, count_cb, b), 0);
	assert_true(strstr(b, "web=2 ") != NULL && strstr(b, "at=1 ") != NULL);

	b[0] = '\0';
	assert_int_equal(store_console_tables(f->st, table_cb, b), 0);
	assert_string_equal(b, "");
	sidedb_exec(&f->d, "INSERT INTO data_tables (name, key_column, columns,"
			   " rows, updated) VALUES ('bills', 'account',"
			   " '[\"account\",\"name\"]', 2, 77)");
	assert_int_equal(store_console_tables(f->st, table_cb, b), 0);
	assert_string_equal(b, "bills account [\"account\",\"name\"] 2 77");
}

static void
test_channel_health(void **state)
{
	struct fx *f = *state;
	struct store_channel_health h;

	assert_int_equal(store_console_channel(f->st, "web", &h), 0);
	assert_int_equal(h.last_ok, -1);
	assert_int_equal(h.last_failed, -1);
	assert_null(h.error);
	sidedb_exec(&f->d,
	    "INSERT INTO messages (direction, channel, phone, state, error,"
	    " created, updated) VALUES"
	    " ('out', 'web', '+2541', 'failed', 'old', 0, 10),"
	    " ('out', 'web', '+2541', 'delivered', NULL, 0, 20),"
	    " ('out', 'web', '+2541', 'failed', 'refused', 0, 30),"
	    " ('out', 'at', '+2541', 'sent', NULL, 0, 40)");
	assert_int_equal(store_console_channel(f->st, "web", &h), 0);
	assert_int_equal(h.last_ok, 20);
	assert_int_equal(h.last_failed, 30);
	assert_string_equal(h.error, "refused");
	store_channel_health_free(&h);
	assert_null(h.error);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_decimal),
	    cmocka_unit_test(test_config_keys),
	    cmocka_unit_test(test_budget_keys),
	    cmocka_unit_test(test_parse_time),
	    cmocka_unit_test_setup_teardown(
		test_messages_pages, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_messages_filters, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_messages_times, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_messages_window, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retry, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_contacts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reports, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_outcomes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_figures, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_channel_health, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
