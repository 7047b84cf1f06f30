/*
 * test_metrics.c: the /metrics exposition parsed back (every sample has
 * its family's HELP and TYPE, label values are escaped and come back
 * whole), the store's figures, the webhook histogram and the masking.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/batch.h"
#include "gateway/channel.h"
#include "gateway/config.h"
#include "gateway/dispatch.h"
#include "gateway/gateway.h"
#include "gateway/metrics.h"
#include "gateway/store.h"
#include "lib/util.h"
#include "providers/client.h"
#include "tests/unit/sidedb.h"

#define DAY_MS (86400LL * 1000)
/* The tests' now: the wall clock at setup, as /metrics reads it. */
static int64_t NOW_MS;
#define MAX_SAMPLES 2000
#define MAX_FAMILIES 200

static const char conf[] = "[gateway]\n"
			   "country_code = 254\n"
			   "[channel at]\n"
			   "type = africastalking\n"
			   "username = sandbox\n"
			   "api_key = k\n"
			   "webhook_secret = s3cret\n"
			   "[channel modem1]\n"
			   "type = gammu\n"
			   "device = /dev/null\n"
			   "[channel idle]\n"
			   "type = http\n"
			   "api_url = http://127.0.0.1:9/send\n"
			   "signing_key = k\n";

/* conf's channels by index, and one past them ("other"). */
#define CH_AT 0
#define CH_NONE 3

/* A category that needs every escape and holds a bad UTF-8 byte. */
static const char odd_category[] = "pipes \"burst\" a\\b\nline2 \xff end";
static const char odd_category_read[] =
    "pipes \"burst\" a\\b\nline2 \xef\xbf\xbd end";

struct fixture {
	struct config *cfg;
	struct config_errors *errs;
	struct gateway gw;
	struct sidedb side; /* raw SQL beside gw.store */
};

/* One parsed sample line. */
struct sample {
	char name[128];
	char labels[8][2][256]; /* name, unescaped value */
	int nlabels;
	double value;
};

/* The parsed exposition. */
struct expo {
	struct sample s[MAX_SAMPLES];
	int n;
	char help[MAX_FAMILIES][128]; /* families with a HELP line */
	int nhelp;
	char type[MAX_FAMILIES][2][128]; /* family, type */
	int ntype;
};

static void
add_msg(struct sidedb *d, const char *dir, const char *channel,
    const char *state, const char *error, int64_t created)
{
	char *sql = xasprintf("INSERT INTO messages (direction, channel, "
			      "phone, text, state, error, created, updated) "
			      "VALUES ('%s', '%s', '+254700000001', 'hello', "
			      "'%s', %s%s%s, %lld, %lld)",
	    dir, channel, state, error ? "'" : "", error ? error : "NULL",
	    error ? "'" : "", (long long)created, (long long)created);

	sidedb_exec(d, sql);
	free(sql);
}

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	int64_t id, cid;
	struct store_contact c;

	*state = f;
	NOW_MS = now_ms();
	assert_int_equal(config_parse_buffer(conf, sizeof(conf) - 1, "t.conf",
			     "/tmp", &f->cfg, &f->errs),
	    0);
	f->gw.cfg = f->cfg;
	f->gw.started_ms = NOW_MS;
	sidedb_open(&f->side, 0, &f->gw.store);

	add_msg(&f->side, "in", "at", "handled", NULL, NOW_MS);
	add_msg(&f->side, "in", "at", "handled", NULL, NOW_MS);
	add_msg(&f->side, "out", "at", "queued", NULL, NOW_MS);
	add_msg(&f->side, "out", "at", "queued", NULL, NOW_MS);
	add_msg(&f->side, "out", "at", "sending", NULL, NOW_MS);
	add_msg(&f->side, "out", "at", "failed", "rejected", NOW_MS);
	/* A channel that is stored but no longer configured. */
	add_msg(&f->side, "out", "old\"ch", "queued", NULL, NOW_MS);

	assert_true(
	    store_contact_get(f->gw.store, "+254700000001", NOW_MS, &c) >= 0);
	cid = c.id;
	store_contact_free(&c);
	assert_int_equal(store_session_save(f->gw.store, "sms:+254700000001",
			     cid, "report", "{}", NOW_MS + 60000),
	    0);
	assert_int_equal(store_session_save(f->gw.store, "sms:old", cid,
			     "report", "{}", NOW_MS - 60000),
	    0);

	/* Two reports: one resolved after 2 hours, one open. */
	assert_int_equal(
	    store_report_create(f->gw.store, cid, "report", "water", "ward 1",
		"no water", NOW_MS - DAY_MS, &id),
	    0);
	assert_int_equal(
	    store_report_add_event(f->gw.store, id, STORE_REPORT_RESOLVED,
		"fixed", NOW_MS - DAY_MS + 2 * 3600 * 1000),
	    0);
	assert_int_equal(store_report_add_event(f->gw.store, id,
			     STORE_REPORT_CLOSED, NULL, NOW_MS),
	    0);
	assert_int_equal(store_report_create(f->gw.store, 0, "report",
			     odd_category, NULL, NULL, NOW_MS, &id),
	    0);
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	metrics_free(&f->gw);
	sidedb_close(&f->side, f->gw.store);
	config_free(f->cfg);
	config_errors_free(f->errs);
	free(f);
	return 0;
}

/* Parses one label value after its opening quote; returns past the quote. */
static const char *
parse_value(const char *p, char *out, size_t outlen)
{
	size_t n = 0;

	while (*p != '"') {
		char ch = *p;

		assert_true(*p != '\0' && *p != '\n');
		if (*p == '\\') {
			p++;
			assert_true(*p == '\\' || *p == '"' || *p == 'n');
			ch = *p == 'n' ? '\n' : *p;
		}
		assert_true(n + 1 < outlen);
		out[n++] = ch;
		p++;
	}
	out[n] = '\0';
	return p + 1;
}

/* Parses an exposition into e, asserting its syntax line by line. */
static void
parse(const char *text, struct expo *e)
{
	const char *p = text;

	memset(e, 0, sizeof(*e));
	while (*p != '\0') {
		const char *eol = strchr(p, '\n');
		struct sample *s;
		char *end;
		size_t n;

		assert_non_null(eol); /* every line ends with a newline */
		if (strncmp(p, "# HELP ", 7) == 0) {
			n = strcspn(p + 7, " \n");
			assert_true(n < 128 && e->nhelp < MAX_FAMILIES);
			memcpy(e->help[e->nhelp], p + 7, n);
			e->help[e->nhelp++][n] = '\0';
			assert_true(p[7 + n] == ' ' && p + 8 + n < eol);
		} else if (strncmp(p, "# TYPE ", 7) == 0) {
			n = strcspn(p + 7, " \n");
			assert_true(n < 128 && e->ntype < MAX_FAMILIES);
			memcpy(e->type[e->ntype][0], p + 7, n);
			e->type[e->ntype][0][n] = '\0';
			snprintf(e->type[e->ntype][1], 128, "%.*s",
			    (int)(eol - (p + 8 + n)), p + 8 + n);
			e->ntype++;
		} else {
			assert_true(*p != '#');
			assert_true(e->n < MAX_SAMPLES);
			s = &e->s[e->n++];
			memset(s, 0, sizeof(*s));
			n = strspn(p, "abcdefghijklmnopqrstuvwxyz"
				      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:");
			assert_true(n > 0 && n < sizeof(s->name));
			memcpy(s->name, p, n);
			p += n;
			if (*p == '{') {
				p++;
				while (*p != '}') {
					assert_true(s->nlabels < 8);
					n = strcspn(p, "=");
					assert_true(n > 0 && n < 256);
					memcpy(s->labels[s->nlabels][0], p, n);
					p += n;
					assert_true(p[0] == '=' && p[1] == '"');
					p = parse_value(p + 2,
					    s->labels[s->nlabels][1], 256);
					s->nlabels++;
					if (*p == ',')
						p++;
					else
						assert_int_equal(*p, '}');
				}
				p++;
			}
			assert_int_equal(*p, ' ');
			if (strncmp(p + 1, "+Inf", 4) == 0)
				s->value = 1e308;
			else
				s->value = strtod(p + 1, &end);
			assert_true(
			    strncmp(p + 1, "+Inf", 4) == 0 || end == eol);
		}
		p = eol + 1;
	}
}

/* The family a sample belongs to: histograms add _bucket, _sum, _count. */
static const char *
type_of(const struct expo *e, const char *name)
{
	static const char *const sfx[] = {"_bucket", "_sum", "_count"};
	size_t n = strlen(name), k;
	int t;

	for (t = 0; t < e->ntype; t++)
		if (strcmp(e->type[t][0], name) == 0)
			return e->type[t][1];
	for (k = 0; k < nitems(sfx); k++) {
		size_t sl = strlen(sfx[k]);

		if (n <= sl || strcmp(name + n - sl, sfx[k]) != 0)
			continue;
		for (t = 0; t < e->ntype; t++)
			if (strlen(e->type[t][0]) == n - sl &&
			    strncmp(e->type[t][0], name, n - sl) == 0 &&
			    (strcmp(e->type[t][1], "histogram") == 0 ||
				strcmp(e->type[t][1], "summary") == 0))
				return e->type[t][1];
	}
	return NULL;
}

static int
has_help(const struct expo *e, const char *family)
{
	int i;

	for (i = 0; i < e->nhelp; i++)
		if (strcmp(e->help[i], family) == 0)
			return 1;
	return 0;
}

/*
 * The value of the sample name with these labels ("k=v" pairs, NULL
 * ended; the sample must have exactly these); -1 when there is none.
 */
static double
value(const struct expo *e, const char *name, ...)
{
	int i;

	for (i = 0; i < e->n; i++) {
		const struct sample *s = &e->s[i];
		va_list ap;
		const char *k, *v;
		int nl = 0, ok = strcmp(s->name, name) == 0, j;

		va_start(ap, name);
		while (ok && (k = va_arg(ap, const char *)) != NULL) {
			v = va_arg(ap, const char *);
			nl++;
			for (ok = 0, j = 0; j < s->nlabels; j++)
				if (strcmp(s->labels[j][0], k) == 0 &&
				    strcmp(s->labels[j][1], v) == 0)
					ok = 1;
		}
		va_end(ap);
		if (ok && nl == s->nlabels)
			return s->value;
	}
	return -1;
}

static struct expo *
render(struct fixture *f)
{
	struct expo *e = xmalloc(sizeof(*e));
	struct buf b;

	buf_init(&b, METRICS_MAX_BYTES);
	assert_int_equal(metrics_render(&f->gw, &b), 0);
	assert_non_null(b.data);
	parse(b.data, e);
	buf_free(&b);
	return e;
}

/* Every sample's family has a HELP and a TYPE line, each family once. */
static void
test_every_sample_has_help_and_type(void **state)
{
	struct fixture *f = *state;
	struct expo *e = render(f);
	int i, j;

	assert_true(e->n > 20);
	for (i = 0; i < e->n; i++) {
		const char *t = type_of(e, e->s[i].name);
		char fam[128];
		size_t n = strlen(e->s[i].name);

		if (t == NULL)
			fail_msg("sample %s has no TYPE", e->s[i].name);
		assert_true(strncmp(e->s[i].name, "baraza_", 7) == 0);
		snprintf(fam, sizeof(fam), "%s", e->s[i].name);
		if (strcmp(t, "histogram") == 0) {
			if (n > 7 && strcmp(fam + n - 7, "_bucket") == 0)
				fam[n - 7] = '\0';
			else if (n > 4 && strcmp(fam + n - 4, "_sum") == 0)
				fam[n - 4] = '\0';
			else if (n > 6 && strcmp(fam + n - 6, "_count") == 0)
				fam[n - 6] = '\0';
		}
		if (!has_help(e, fam))
			fail_msg("family %s has no HELP", fam);
	}
	for (i = 0; i < e->ntype; i++)
		for (j = i + 1; j < e->ntype; j++)
			assert_string_not_equal(e->type[i][0], e->type[j][0]);
	free(e);
}

/* Messages by channel, direction and state; queue depth; sessions. */
static void
test_store_figures(void **state)
{
	struct fixture *f = *state;
	struct expo *e = render(f);

	assert_true(value(e, "baraza_messages", "channel", "at", "direction",
			"in", "state", "handled", NULL) == 2);
	assert_true(value(e, "baraza_messages", "channel", "at", "direction",
			"out", "state", "queued", NULL) == 2);
	assert_true(value(e, "baraza_messages", "channel", "at", "direction",
			"out", "state", "failed", NULL) == 1);
	assert_true(value(e, "baraza_queue_depth", "channel", "at", NULL) == 3);
	/* Configured channels without messages show 0. */
	assert_true(
	    value(e, "baraza_queue_depth", "channel", "idle", NULL) == 0);
	/* A stored channel name with a quote comes back whole. */
	assert_true(
	    value(e, "baraza_queue_depth", "channel", "old\"ch", NULL) == 1);
	/* One session live, one expired. */
	assert_true(value(e, "baraza_sessions_active", NULL) == 1);
	free(e);
}

/* Reports by category and status, with an escaped category. */
static void
test_reports_and_resolution(void **state)
{
	struct fixture *f = *state;
	struct expo *e = render(f);

	assert_true(value(e, "baraza_reports", "category", "water", "status",
			"closed", NULL) == 1);
	assert_true(value(e, "baraza_reports", "category", odd_category_read,
			"status", "open", NULL) == 1);
	/* Resolved after 2 hours: in the 4 h bucket, not the 1 h one. */
	assert_true(value(e, "baraza_report_resolution_seconds_bucket", "le",
			"3600", NULL) == 0);
	assert_true(value(e, "baraza_report_resolution_seconds_bucket", "le",
			"14400", NULL) == 1);
	assert_true(
	    value(e, "baraza_report_resolution_seconds_count", NULL) == 1);
	assert_true(
	    value(e, "baraza_report_resolution_seconds_sum", NULL) == 7200);
	free(e);
}

/*
 * The reporters' answers to the feedback question, kept once per report:
 * a second answer and an answer to a report never asked change nothing.
 */
static void
test_report_feedback(void **state)
{
	struct fixture *f = *state;
	struct store_contact c;
	struct expo *e;
	int64_t id, asked, cid;

	assert_int_equal(
	    store_contact_find(f->gw.store, "+254700000001", &c), 0);
	cid = c.id;
	store_contact_free(&c);
	assert_int_equal(store_feedback_ask(f->gw.store, 1, NOW_MS - 60000), 0);
	/* Asked once, ever. */
	assert_int_equal(
	    store_feedback_ask(f->gw.store, 1, NOW_MS), STORE_NOTFOUND);
	assert_int_equal(store_feedback_ask(f->gw.store, 2, NOW_MS), 0);
	/* Report 1's reporter waits within the window only. */
	assert_int_equal(store_feedback_pending(
			     f->gw.store, cid, NOW_MS - DAY_MS, &id, &asked),
	    0);
	assert_int_equal(id, 1);
	assert_int_equal(asked, NOW_MS - 60000);
	assert_int_equal(store_feedback_pending(
			     f->gw.store, cid, NOW_MS - 60000, &id, &asked),
	    STORE_NOTFOUND);
	/* A report never asked takes no answer. */
	assert_int_equal(store_report_create(f->gw.store, 0, "report", "x",
			     NULL, NULL, NOW_MS, &id),
	    0);
	assert_int_equal(
	    store_feedback_answer(f->gw.store, id, 1, NOW_MS), STORE_NOTFOUND);
	assert_int_equal(store_feedback_answer(f->gw.store, 1, 1, NOW_MS), 0);
	assert_int_equal(
	    store_feedback_answer(f->gw.store, 1, 0, NOW_MS), STORE_NOTFOUND);
	assert_int_equal(store_feedback_answer(f->gw.store, 2, 0, NOW_MS), 0);
	assert_int_equal(
	    store_feedback_answer(f->gw.store, 999, 1, NOW_MS), STORE_NOTFOUND);
	/* Answered: no longer pending. */
	assert_int_equal(store_feedback_pending(
			     f->gw.store, cid, NOW_MS - DAY_MS, &id, &asked),
	    STORE_NOTFOUND);
	e = render(f);
	assert_true(value(e, "baraza_report_feedback_total", "answer", "yes",
			NULL) == 1);
	assert_true(value(e, "baraza_report_feedback_total", "answer", "no",
			NULL) == 1);
	free(e);
}

/*
 * Report categories give at most METRICS_MAX_CATEGORIES label values: 200
 * categories (and a long one) still render, the busiest keep their own
 * label, the rest (a category named "other" included) are summed by status
 * under category="other", and no report is lost from the sums.
 */
static void
test_reports_category_cap(void **state)
{
	struct fixture *f = *state;
	char cat[16], *cats[MAX_SAMPLES], longcat[METRICS_CATEGORY_MAX_LEN + 2];
	struct expo *e;
	int i, j, k, ncats = 0, found;
	int64_t id;
	double sum = 0;

	assert_int_equal(store_begin(f->gw.store), 0);
	for (i = 0; i < 200; i++) {
		snprintf(cat, sizeof(cat), "cat%03d", i);
		for (k = 0; k < (i < 10 ? 5 : 1); k++)
			assert_int_equal(
			    store_report_create(f->gw.store, 0, "report", cat,
				NULL, NULL, NOW_MS, &id),
			    0);
	}
	for (k = 0; k < 2; k++)
		assert_int_equal(store_report_create(f->gw.store, 0, "report",
				     "other", NULL, NULL, NOW_MS, &id),
		    0);
	memset(longcat, 'x', sizeof(longcat) - 1);
	longcat[sizeof(longcat) - 1] = '\0';
	for (k = 0; k < 100; k++)
		assert_int_equal(store_report_create(f->gw.store, 0, "report",
				     longcat, NULL, NULL, NOW_MS, &id),
		    0);
	assert_int_equal(store_commit(f->gw.store), 0);

	e = render(f);
	for (i = 0; i < e->n; i++) {
		if (strcmp(e->s[i].name, "baraza_reports") != 0)
			continue;
		sum += e->s[i].value;
		for (k = 0; k < e->s[i].nlabels; k++) {
			if (strcmp(e->s[i].labels[k][0], "category") != 0)
				continue;
			assert_string_not_equal(e->s[i].labels[k][1], longcat);
			for (found = 0, j = 0; j < ncats; j++)
				if (strcmp(cats[j], e->s[i].labels[k][1]) == 0)
					found = 1;
			if (!found)
				cats[ncats++] = e->s[i].labels[k][1];
		}
	}
	assert_int_equal(ncats, METRICS_MAX_CATEGORIES);
	/* 2 from setup, 10 * 5 + 190, 2 "other" and 100 long ones. */
	assert_true(sum == 2 + 50 + 190 + 2 + 100);
	assert_true(value(e, "baraza_reports", "category", "cat000", "status",
			"open", NULL) == 5);
	assert_true(value(e, "baraza_reports", "category", "cat048", "status",
			"open", NULL) == 1);
	assert_true(value(e, "baraza_reports", "category", "cat049", "status",
			"open", NULL) == -1);
	/* cat049 to cat199, the odd one, "other" itself and the long one. */
	assert_true(value(e, "baraza_reports", "category", "other", "status",
			"open", NULL) == 151 + 1 + 2 + 100);
	/* "water" has one report: not among the busiest. */
	assert_true(value(e, "baraza_reports", "category", "other", "status",
			"closed", NULL) == 1);
	free(e);
}

/* The webhook histogram is cumulative, by channel and kind; answers by
 * status; unknown channels count as "other". */
static void
test_webhook_histogram(void **state)
{
	struct fixture *f = *state;
	struct expo *e;

	metrics_observe_webhook(&f->gw, CH_AT, HOOK_SMS, 200, 0.0005);
	metrics_observe_webhook(&f->gw, CH_AT, HOOK_SMS, 200, 0.02);
	metrics_observe_webhook(&f->gw, CH_AT, HOOK_SMS, 503, 9.0);
	metrics_observe_webhook(&f->gw, CH_AT, HOOK_USSD, 200, 0.3);
	metrics_observe_webhook(&f->gw, CH_NONE, HOOK_NKINDS, 404, 0.001);
	e = render(f);
	assert_true(
	    value(e, "baraza_webhook_duration_seconds_bucket", "channel", "at",
		"kind", "sms", "le", "0.001", NULL) == 1);
	assert_true(
	    value(e, "baraza_webhook_duration_seconds_bucket", "channel", "at",
		"kind", "sms", "le", "0.025", NULL) == 2);
	assert_true(value(e, "baraza_webhook_duration_seconds_bucket",
			"channel", "at", "kind", "sms", "le", "5", NULL) == 2);
	assert_true(value(e, "baraza_webhook_duration_seconds_count", "channel",
			"at", "kind", "sms", NULL) == 3);
	assert_true(value(e, "baraza_webhook_duration_seconds_count", "channel",
			"at", "kind", "ussd", NULL) == 1);
	assert_true(value(e, "baraza_webhook_duration_seconds_count", "channel",
			"other", "kind", "other", NULL) == 1);
	assert_true(value(e, "baraza_webhook_answers_total", "channel", "at",
			"kind", "sms", "status", "200", NULL) == 2);
	assert_true(value(e, "baraza_webhook_answers_total", "channel", "at",
			"kind", "sms", "status", "503", NULL) == 1);
	/* No observation, no series. */
	assert_true(value(e, "baraza_webhook_duration_seconds_count", "channel",
			"at", "kind", "status", NULL) == -1);
	free(e);
}

/* The +Inf bucket equals the count. */
static void
test_histogram_inf_bucket(void **state)
{
	struct fixture *f = *state;
	struct buf b;

	metrics_observe_webhook(&f->gw, CH_AT, HOOK_STATUS, 200, 7.5);
	buf_init(&b, METRICS_MAX_BYTES);
	assert_int_equal(metrics_render(&f->gw, &b), 0);
	assert_non_null(strstr(b.data,
	    "baraza_webhook_duration_seconds_bucket{channel=\"at\","
	    "kind=\"status\",le=\"+Inf\"} 1\n"));
	assert_non_null(strstr(b.data,
	    "baraza_webhook_duration_seconds_bucket{channel=\"at\","
	    "kind=\"status\",le=\"5\"} 0\n"));
	assert_non_null(strstr(b.data,
	    "baraza_report_resolution_seconds_bucket{le=\"+Inf\"} 1\n"));
	buf_free(&b);
}

/* Modem gauges only for gammu channels with a heartbeat; up is 0 before
   the first one (a modem unplugged at start is down at once). */
static void
test_modem_signal(void **state)
{
	struct fixture *f = *state;
	struct expo *e = render(f);

	assert_true(value(e, "baraza_modem_signal_percent", "channel", "modem1",
			NULL) == -1);
	assert_true(
	    value(e, "baraza_modem_up", "channel", "modem1", NULL) == 0);
	assert_true(value(e, "baraza_modem_up", "channel", "at", NULL) == -1);
	free(e);
	f->gw.modems.beat[1].known = 1;
	f->gw.modems.beat[1].up = 1;
	f->gw.modems.beat[1].signal = 67;
	/* Not a gammu channel: ignored even when set. */
	f->gw.modems.beat[0].known = 1;
	e = render(f);
	assert_true(value(e, "baraza_modem_signal_percent", "channel", "modem1",
			NULL) == 67);
	assert_true(
	    value(e, "baraza_modem_up", "channel", "modem1", NULL) == 1);
	assert_true(value(e, "baraza_modem_signal_percent", "channel", "at",
			NULL) == -1);
	free(e);
}

/* Gateway counters: batch and flow reloads. */
static void
test_gateway_counters(void **state)
{
	struct fixture *f = *state;
	struct expo *e;

	f->gw.batch.commits = 42;
	f->gw.batch.failures = 2;
	f->gw.serve.reloads = 3;
	f->gw.serve.reload_failures = 1;
	e = render(f);
	assert_true(value(e, "baraza_batch_commits_total", NULL) == 42);
	assert_true(value(e, "baraza_batch_failures_total", NULL) == 2);
	assert_true(
	    value(e, "baraza_flow_reloads_total", "result", "ok", NULL) == 3);
	assert_true(value(e, "baraza_flow_reloads_total", "result", "refused",
			NULL) == 1);
	free(e);
}

/* Escaping alone, and the buffer's hard limit. */
static void
test_escape(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 64);
	assert_int_equal(metrics_escape(&b, "a\"b\\c\nd"), 0);
	assert_string_equal(b.data, "a\\\"b\\\\c\\nd");
	buf_reset(&b);
	assert_int_equal(
	    metrics_escape(&b, "caf\xc3\xa9 \xc0\xaf x\xe2\x82"), 0);
	assert_string_equal(b.data,
	    "caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd x\xef\xbf\xbd\xef\xbf\xbd");
	buf_free(&b);
	buf_init(&b, 4);
	assert_int_equal(metrics_escape(&b, "too long a value"), -1);
	buf_free(&b);
}

/* A full buffer is an error, not a crash. */
static void
test_render_too_big(void **state)
{
	struct fixture *f = *state;
	struct buf b;

	buf_init(&b, 256);
	assert_int_equal(metrics_render(&f->gw, &b), -1);
	buf_free(&b);
}

static void
test_mask_phone(void **state)
{
	char out[32];

	(void)state;
	assert_string_equal(
	    metrics_mask_phone("+254700000001", out, sizeof(out)),
	    "+254*******01");
	assert_string_equal(
	    metrics_mask_phone("12345", out, sizeof(out)), "****");
	assert_string_equal(metrics_mask_phone(NULL, out, sizeof(out)), "****");
}

/* The whole page of test_whole_page, the uptime's value as X. */
static const char whole_page[] =
    "# HELP baraza_uptime_seconds Seconds since the gateway started.\n"
    "# TYPE baraza_uptime_seconds gauge\n"
    "baraza_uptime_seconds X\n"
    "# HELP baraza_http_connections Open HTTP connections.\n"
    "# TYPE baraza_http_connections gauge\n"
    "baraza_http_connections 0\n"
    "# HELP baraza_http_requests_total HTTP requests answered.\n"
    "# TYPE baraza_http_requests_total counter\n"
    "baraza_http_requests_total 0\n"
    "# HELP baraza_http_errors_total Requests refused by the HTTP limits or as "
    "malformed.\n"
    "# TYPE baraza_http_errors_total counter\n"
    "baraza_http_errors_total 0\n"
    "# HELP baraza_http_connections_shed_total Connections closed for lack of "
    "descriptors: idle keep-alive ones (shed) or new ones when none was idle "
    "(refused).\n"
    "# TYPE baraza_http_connections_shed_total counter\n"
    "baraza_http_connections_shed_total{how=\"idle\"} 0\n"
    "baraza_http_connections_shed_total{how=\"refused\"} 0\n"
    "# HELP baraza_flows Flows loaded.\n"
    "# TYPE baraza_flows gauge\n"
    "baraza_flows 7\n"
    "# HELP baraza_flow_reloads_total Flow reloads, by result.\n"
    "# TYPE baraza_flow_reloads_total counter\n"
    "baraza_flow_reloads_total{result=\"ok\"} 3\n"
    "baraza_flow_reloads_total{result=\"refused\"} 1\n"
    "# HELP baraza_batch_commits_total Store transactions committed (one per "
    "busy loop turn).\n"
    "# TYPE baraza_batch_commits_total counter\n"
    "baraza_batch_commits_total 42\n"
    "# HELP baraza_batch_failures_total Store transactions rolled back.\n"
    "# TYPE baraza_batch_failures_total counter\n"
    "baraza_batch_failures_total 2\n"
    "# HELP baraza_inbound_total Inbound traffic handled since start, by what "
    "it was.\n"
    "# TYPE baraza_inbound_total counter\n"
    "baraza_inbound_total{kind=\"sms\"} 11\n"
    "baraza_inbound_total{kind=\"ussd\"} 12\n"
    "baraza_inbound_total{kind=\"status\"} 13\n"
    "baraza_inbound_total{kind=\"duplicate\"} 14\n"
    "baraza_inbound_total{kind=\"flooded\"} 15\n"
    "# HELP baraza_ussd_resumes_total USSD sessions cut off and dialled "
    "again: resume menus offered, then continued (1) or restarted (2).\n"
    "# TYPE baraza_ussd_resumes_total counter\n"
    "baraza_ussd_resumes_total{result=\"offered\"} 19\n"
    "baraza_ussd_resumes_total{result=\"continued\"} 20\n"
    "baraza_ussd_resumes_total{result=\"restarted\"} 21\n"
    "# HELP baraza_flood_guard_evicted_total Numbers the flood guard forgot "
    "before their window ended, to make room for new ones.\n"
    "# TYPE baraza_flood_guard_evicted_total counter\n"
    "baraza_flood_guard_evicted_total 18\n"
    "# HELP baraza_webhook_refused_total Webhooks refused, by reason.\n"
    "# TYPE baraza_webhook_refused_total counter\n"
    "baraza_webhook_refused_total{reason=\"bad_request\"} 16\n"
    "baraza_webhook_refused_total{reason=\"forbidden\"} 17\n"
    "# HELP baraza_provider_sent_total Outbound messages accepted by the "
    "provider, by channel.\n"
    "# TYPE baraza_provider_sent_total counter\n"
    "baraza_provider_sent_total{channel=\"at\"} 0\n"
    "baraza_provider_sent_total{channel=\"modem1\"} 0\n"
    "baraza_provider_sent_total{channel=\"idle\"} 0\n"
    "# HELP baraza_provider_errors_total Provider errors by channel and "
    "result: retried (temporary) or failed (permanent or expired).\n"
    "# TYPE baraza_provider_errors_total counter\n"
    "baraza_provider_errors_total{channel=\"at\",result=\"retried\"} 0\n"
    "baraza_provider_errors_total{channel=\"at\",result=\"failed\"} 0\n"
    "baraza_provider_errors_total{channel=\"modem1\",result=\"retried\"} 0\n"
    "baraza_provider_errors_total{channel=\"modem1\",result=\"failed\"} 0\n"
    "baraza_provider_errors_total{channel=\"idle\",result=\"retried\"} 0\n"
    "baraza_provider_errors_total{channel=\"idle\",result=\"failed\"} 0\n"
    "# HELP baraza_spend_total Money spent on the segments sent since the "
    "gateway started, by channel, in the [gateway] currency (segments times "
    "the channel's cost_per_segment; channels with one only).\n"
    "# TYPE baraza_spend_total counter\n"
    "# HELP baraza_provider_inflight Requests to the provider in flight, by "
    "channel.\n"
    "# TYPE baraza_provider_inflight gauge\n"
    "baraza_provider_inflight{channel=\"at\"} 0\n"
    "baraza_provider_inflight{channel=\"modem1\"} 0\n"
    "baraza_provider_inflight{channel=\"idle\"} 0\n"
    "# HELP baraza_modem_signal_percent Signal strength of each GSM modem "
    "channel at its last heartbeat.\n"
    "# TYPE baraza_modem_signal_percent gauge\n"
    "baraza_modem_signal_percent{channel=\"modem1\"} 67.5\n"
    "# HELP baraza_modem_up 1 when a GSM modem channel answered its last "
    "heartbeat.\n"
    "# TYPE baraza_modem_up gauge\n"
    "baraza_modem_up{channel=\"modem1\"} 1\n"
    "# HELP baraza_smpp_links_bound SMPP links of each smpp channel bound to "
    "the SMSC now (1 for a transceiver, 2 for a transmitter and a "
    "receiver).\n"
    "# TYPE baraza_smpp_links_bound gauge\n"
    "# HELP baraza_modem_failures_total Messages a GSM modem channel handed "
    "back unsent (failed or to retry), kept across gateway runs.\n"
    "# TYPE baraza_modem_failures_total counter\n"
    "# HELP baraza_modem_restarts_total Restarts of a GSM modem channel's "
    "worker process, kept across gateway runs.\n"
    "# TYPE baraza_modem_restarts_total counter\n"
    "# HELP baraza_webhook_duration_seconds Seconds from a webhook's first "
    "byte to its answer, by channel and kind.\n"
    "# TYPE baraza_webhook_duration_seconds histogram\n"
    "baraza_webhook_duration_seconds_bucket{channel=\"at\",kind=\"sms\",le=\"0."
    "001\"} 0\n"
    "baraza_webhook_duration_seconds_bucket{channel=\"at\",kind=\"sms\",le=\"0."
    "0025\"} 0\n"
    "baraza_webhook_duration_seconds_bucket{channel=\"at\",kind=\"sms\",le=\"0."
    "005\"} 1\n"
    "baraza_webhook_duration_seconds_bucket{channel=\"at\",kind=\"sms\",le=\"0."
    "01\"} 1\n"
    "baraza_webhook_duration_seconds_bucket{channel=\"at\",kind=\"sms\",le=\"0."
    "025\"} 1\n"
    "baraza_webhook_duration_seconds_bucket{channel=\"at\",kind=\"sms\",le=\"0."
    "05\"} 1\n"
    "baraza_webhook_duration_seconds_bucket{channel=\"at\",kind=\"sms\",le=\"0."
    "1\"} 1\n"
    "baraza_webhook_duration_seconds_bucket{channel=\"at\",kind=\"sms\",le=\"0."
    "25\"} 1\n"
    "baraza_webhook_duration_seconds_bucket{channel=\"at\",kind=\"sms\",le=\"0."
    "5\"} 1\n"
    "baraza_webhook_duration_seconds_bucket{channel=\"at\",kind=\"sms\",le="
    "\"1\"} 1\n"
    "baraza_webhook_duration_seconds_bucket{channel=\"at\",kind=\"sms\",le=\"2."
    "5\"} 1\n"
    "baraza_webhook_duration_seconds_bucket{channel=\"at\",kind=\"sms\",le="
    "\"5\"} 1\n"
    "baraza_webhook_duration_seconds_bucket{channel=\"at\",kind=\"sms\",le=\"+"
    "Inf\"} 1\n"
    "baraza_webhook_duration_seconds_sum{channel=\"at\",kind=\"sms\"} "
    "0.003000\n"
    "baraza_webhook_duration_seconds_count{channel=\"at\",kind=\"sms\"} 1\n"
    "baraza_webhook_duration_seconds_bucket{channel=\"other\",kind=\"status\","
    "le=\"0.001\"} 0\n"
    "baraza_webhook_duration_seconds_bucket{channel=\"other\",kind=\"status\","
    "le=\"0.0025\"} 0\n"
    "baraza_webhook_duration_seconds_bucket{channel=\"other\",kind=\"status\","
    "le=\"0.005\"} 0\n"
    "baraza_webhook_duration_seconds_bucket{channel=\"other\",kind=\"status\","
    "le=\"0.01\"} 0\n"
    "baraza_webhook_duration_seconds_bucket{channel=\"other\",kind=\"status\","
    "le=\"0.025\"} 0\n"
    "baraza_webhook_duration_seconds_bucket{channel=\"other\",kind=\"status\","
    "le=\"0.05\"} 0\n"
    "baraza_webhook_duration_seconds_bucket{channel=\"other\",kind=\"status\","
    "le=\"0.1\"} 0\n"
    "baraza_webhook_duration_seconds_bucket{channel=\"other\",kind=\"status\","
    "le=\"0.25\"} 0\n"
    "baraza_webhook_duration_seconds_bucket{channel=\"other\",kind=\"status\","
    "le=\"0.5\"} 0\n"
    "baraza_webhook_duration_seconds_bucket{channel=\"other\",kind=\"status\","
    "le=\"1\"} 0\n"
    "baraza_webhook_duration_seconds_bucket{channel=\"other\",kind=\"status\","
    "le=\"2.5\"} 0\n"
    "baraza_webhook_duration_seconds_bucket{channel=\"other\",kind=\"status\","
    "le=\"5\"} 0\n"
    "baraza_webhook_duration_seconds_bucket{channel=\"other\",kind=\"status\","
    "le=\"+Inf\"} 1\n"
    "baraza_webhook_duration_seconds_sum{channel=\"other\",kind=\"status\"} "
    "7.000000\n"
    "baraza_webhook_duration_seconds_count{channel=\"other\",kind=\"status\"} "
    "1\n"
    "# HELP baraza_webhook_answers_total Webhooks answered, by channel, kind "
    "and HTTP status.\n"
    "# TYPE baraza_webhook_answers_total counter\n"
    "baraza_webhook_answers_total{channel=\"at\",kind=\"sms\",status=\"200\"} "
    "1\n"
    "baraza_webhook_answers_total{channel=\"other\",kind=\"status\",status="
    "\"403\"} 1\n"
    "# HELP baraza_messages Messages in the store by channel, direction and "
    "state.\n"
    "# TYPE baraza_messages gauge\n"
    "baraza_messages{channel=\"at\",direction=\"out\",state=\"failed\"} 1\n"
    "baraza_messages{channel=\"at\",direction=\"in\",state=\"handled\"} 2\n"
    "baraza_messages{channel=\"at\",direction=\"out\",state=\"queued\"} 2\n"
    "baraza_messages{channel=\"at\",direction=\"out\",state=\"sending\"} 1\n"
    "baraza_messages{channel=\"old\\\"ch\",direction=\"out\",state=\"queued\"} "
    "1\n"
    "# HELP baraza_queue_depth Outbound messages queued or sending, by "
    "channel.\n"
    "# TYPE baraza_queue_depth gauge\n"
    "baraza_queue_depth{channel=\"at\"} 3\n"
    "baraza_queue_depth{channel=\"modem1\"} 0\n"
    "baraza_queue_depth{channel=\"idle\"} 0\n"
    "baraza_queue_depth{channel=\"old\\\"ch\"} 1\n"
    "# HELP baraza_sessions_active Conversations (SMS and USSD sessions) not "
    "expired.\n"
    "# TYPE baraza_sessions_active gauge\n"
    "baraza_sessions_active 1\n"
    "# HELP baraza_reports Issue reports by category and status (at most 50 "
    "categories, the rest under category other).\n"
    "# TYPE baraza_reports gauge\n"
    "baraza_reports{category=\"pipes \\\"burst\\\" a\\\\b\\nline2 \xef\xbf\xbd "
    "end\",status=\"open\"} 1\n"
    "baraza_reports{category=\"water\",status=\"closed\"} 1\n"
    "# HELP baraza_report_resolution_seconds Seconds from a report's creation "
    "to its resolution, for reports resolved or closed.\n"
    "# TYPE baraza_report_resolution_seconds histogram\n"
    "baraza_report_resolution_seconds_bucket{le=\"3600\"} 0\n"
    "baraza_report_resolution_seconds_bucket{le=\"14400\"} 1\n"
    "baraza_report_resolution_seconds_bucket{le=\"86400\"} 1\n"
    "baraza_report_resolution_seconds_bucket{le=\"259200\"} 1\n"
    "baraza_report_resolution_seconds_bucket{le=\"604800\"} 1\n"
    "baraza_report_resolution_seconds_bucket{le=\"1209600\"} 1\n"
    "baraza_report_resolution_seconds_bucket{le=\"2592000\"} 1\n"
    "baraza_report_resolution_seconds_bucket{le=\"7776000\"} 1\n"
    "baraza_report_resolution_seconds_bucket{le=\"+Inf\"} 1\n"
    "baraza_report_resolution_seconds_sum 7200.000\n"
    "baraza_report_resolution_seconds_count 1\n"
    "# HELP baraza_report_feedback_total Reporters' answers to whether their "
    "resolved report was fixed.\n"
    "# TYPE baraza_report_feedback_total counter\n"
    "baraza_report_feedback_total{answer=\"yes\"} 0\n"
    "baraza_report_feedback_total{answer=\"no\"} 0\n";

static void
on_dispatch_stopped(void *arg)
{
	(void)arg;
}

static void
on_client_closed(struct client *c, void *arg)
{
	(void)c;
	*(int *)arg = 1;
}

/*
 * Sets every counter the page shows to its own value, with a dispatcher
 * and a flow set, so that each family of the page has samples.
 */
static void
fix_state(struct fixture *f, uv_loop_t *loop, struct flows_ref *ref)
{
	struct client_port out;

	batch_init(&f->gw.batch, loop, f->gw.store);
	assert_int_equal(client_init(&f->gw.client, loop), 0);
	f->gw.dispatch = dispatch_new(loop, f->cfg, f->gw.store, &f->gw.batch);
	assert_non_null(f->gw.dispatch);
	out.client = &f->gw.client;
	out.ct = NULL;
	channel_open_providers(
	    f->gw.dispatch, f->cfg, &out, "http://127.0.0.1:9");
	f->gw.flows = ref;
	f->gw.batch.commits = 42;
	f->gw.batch.failures = 2;
	f->gw.serve.reloads = 3;
	f->gw.serve.reload_failures = 1;
	f->gw.ingress.n.received = 11;
	f->gw.ingress.n.ussd_steps = 12;
	f->gw.ingress.n.reports = 13;
	f->gw.ingress.n.duplicates = 14;
	f->gw.ingress.n.flooded = 15;
	f->gw.ingress.n.resumes[0] = 19;
	f->gw.ingress.n.resumes[1] = 20;
	f->gw.ingress.n.resumes[2] = 21;
	f->gw.hooks.bad = 16;
	f->gw.hooks.forbidden = 17;
	f->gw.ingress.flood.map.evicted = 18;
	f->gw.modems.beat[1].known = 1;
	f->gw.modems.beat[1].up = 1;
	f->gw.modems.beat[1].signal = 67.5;
	metrics_observe_webhook(&f->gw, CH_AT, HOOK_SMS, 200, 0.003);
	metrics_observe_webhook(&f->gw, CH_NONE, HOOK_STATUS, 403, 7);
}

/*
 * The whole page for a fixed state, byte for byte but the uptime's value:
 * the families in their order with HELP and TYPE, every sample's labels
 * and the format of every number.
 */
static void
test_whole_page(void **state)
{
	struct fixture *f = *state;
	struct flowset set;
	struct flows_ref ref = {&set, 1};
	uv_loop_t loop;
	struct buf b;
	char *p, *eol;
	int closed = 0, i;

	memset(&set, 0, sizeof(set));
	set.nflows = 7;
	assert_int_equal(uv_loop_init(&loop), 0);
	fix_state(f, &loop, &ref);
	buf_init(&b, METRICS_MAX_BYTES);
	assert_int_equal(metrics_render(&f->gw, &b), 0);
	p = strstr(b.data, "\nbaraza_uptime_seconds ");
	assert_non_null(p);
	p += strlen("\nbaraza_uptime_seconds ");
	eol = strchr(p, '\n');
	assert_non_null(eol);
	memmove(p + 1, eol, strlen(eol) + 1);
	*p = 'X';
	assert_string_equal(b.data, whole_page);
	buf_free(&b);

	f->gw.flows = NULL;
	dispatch_stop(f->gw.dispatch, on_dispatch_stopped, NULL);
	client_shutdown(&f->gw.client, on_client_closed, &closed);
	for (i = 0; !closed && i < 1000; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
	assert_true(closed);
	dispatch_free(f->gw.dispatch);
	f->gw.dispatch = NULL;
	batch_close(&f->gw.batch);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* Collects the modem rows of a walk. */
static int
modem_row_cb(void *arg, const struct store_modem *m)
{
	struct store_modem *v = arg;
	int i = v[0].channel == NULL ? 0 : 1;

	assert_true(v[1].channel == NULL);
	v[i] = *m;
	v[i].channel = xstrdup(m->channel);
	v[i].network = m->network ? xstrdup(m->network) : NULL;
	return 0;
}

/* Counts the failures of a walk and checks they come newest first. */
static int
failure_row_cb(void *arg, const struct store_failure *fl)
{
	int64_t *last = arg;

	assert_true(last[0] == 0 || fl->when <= last[0]);
	assert_string_equal(fl->error, last[1] == 0 ? "rejected" : "");
	last[0] = fl->when;
	last[1]++;
	return 0;
}

/*
 * The store's other figures that `baraza stats` prints: the last failures
 * and the modems' kept state, times that were never kept as -1.
 */
static void
test_stats_queries(void **state)
{
	struct fixture *f = *state;
	struct store_modem m[2];
	int64_t seen[2] = {0, 0};
	int i;

	add_msg(&f->side, "out", "at", "failed", NULL, NOW_MS - 1000);
	assert_int_equal(
	    store_stats_failures(f->gw.store, 10, failure_row_cb, seen), 0);
	assert_int_equal(seen[1], 2);
	seen[0] = seen[1] = 0;
	assert_int_equal(
	    store_stats_failures(f->gw.store, 1, failure_row_cb, seen), 0);
	assert_int_equal(seen[1], 1);

	sidedb_exec(&f->side,
	    "INSERT INTO modem_state (channel, up, signal, network, balance,"
	    " balance_at, last_error, failures, restarts, updated) VALUES"
	    " ('modem1', 1, 67, 'Safaricom', 'KES 1', 5, NULL, 2, 1, 9),"
	    " ('gone', 0, 0, NULL, NULL, NULL, 'no SIM', 0, 3, NULL)");
	memset(m, 0, sizeof(m));
	assert_int_equal(store_stats_modems(f->gw.store, modem_row_cb, m), 0);
	assert_string_equal(m[0].channel, "gone");
	assert_int_equal(m[0].balance_at, -1);
	assert_int_equal(m[0].updated, -1);
	assert_int_equal(m[0].restarts, 3);
	assert_null(m[0].network);
	assert_string_equal(m[1].channel, "modem1");
	assert_int_equal(m[1].up, 1);
	assert_int_equal(m[1].signal, 67);
	assert_string_equal(m[1].network, "Safaricom");
	assert_int_equal(m[1].balance_at, 5);
	assert_int_equal(m[1].failures, 2);
	assert_int_equal(m[1].updated, 9);
	for (i = 0; i < 2; i++) {
		free((char *)m[i].channel);
		free((char *)m[i].network);
	}
	assert_int_equal(store_stats_modem_known(f->gw.store, "modem1"), 0);
	assert_int_equal(
	    store_stats_modem_known(f->gw.store, "modem2"), STORE_NOTFOUND);
}

/* The collector that `baraza stats` uses sees the same figures. */
static void
test_collect(void **state)
{
	struct fixture *f = *state;
	struct metrics_counts c;
	size_t i;
	int64_t in = 0, out = 0;

	assert_int_equal(metrics_collect(f->gw.store, NOW_MS, &c), 0);
	for (i = 0; i < c.nmsgs; i++) {
		if (strcmp(c.msgs[i].direction, "in") == 0)
			in += c.msgs[i].n;
		else
			out += c.msgs[i].n;
	}
	assert_int_equal(in, 2);
	assert_int_equal(out, 5);
	assert_int_equal(c.sessions, 1);
	assert_int_equal(c.resolved, 1);
	assert_int_equal(c.nreports, 2);
	metrics_counts_free(&c);
}

/* What metrics_refresh told one caller. */
struct told {
	int calls; /* times told */
	int ok;    /* of which with the figures read */
};

static void
on_told(void *arg, int ok)
{
	struct told *t = arg;

	t->calls++;
	t->ok += ok;
}

/* Reads the fixture's database file in the thread pool of loop. */
static void
use_pool(struct fixture *f, uv_loop_t *loop, const char *database)
{
	assert_int_equal(uv_loop_init(loop), 0);
	f->gw.loop = loop;
	free(f->cfg->database);
	f->cfg->database = xstrdup(database);
}

/*
 * The store's figures are read in the thread pool, on a connection of
 * their own: the callers wait, none told before the read is in, at most
 * METRICS_MAX_WAITING of them (the next is refused); all are told once it
 * is, and figures fresh since are given at once.
 */
static void
test_refresh_in_the_pool(void **state)
{
	struct fixture *f = *state;
	struct told t[METRICS_MAX_WAITING + 1];
	uv_loop_t loop;
	struct expo *e;
	size_t i;

	use_pool(f, &loop, f->side.path);
	memset(t, 0, sizeof(t));
	for (i = 0; i < METRICS_MAX_WAITING; i++)
		assert_int_equal(metrics_refresh(&f->gw, on_told, &t[i]), 0);
	assert_int_equal(metrics_refresh(&f->gw, on_told, &t[i]), -1);
	for (i = 0; i <= METRICS_MAX_WAITING; i++)
		assert_int_equal(t[i].calls, 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	for (i = 0; i < METRICS_MAX_WAITING; i++) {
		assert_int_equal(t[i].calls, 1);
		assert_int_equal(t[i].ok, 1);
	}
	assert_int_equal(t[METRICS_MAX_WAITING].calls, 0);
	/* Fresh: told at once, and rendered from what the pool read. */
	assert_int_equal(metrics_refresh(&f->gw, on_told, &t[0]), 0);
	assert_int_equal(t[0].calls, 2);
	e = render(f);
	assert_true(value(e, "baraza_messages", "channel", "at", "direction",
			"in", "state", "handled", NULL) == 2);
	assert_true(value(e, "baraza_messages", "channel", "at", "direction",
			"out", "state", "failed", NULL) == 1);
	free(e);
	metrics_free(&f->gw); /* closes the pool's connection */
	assert_int_equal(uv_loop_close(&loop), 0);
	f->gw.loop = NULL;
}

/* A store the pool cannot open: the caller is told so, and again later. */
static void
test_refresh_fails(void **state)
{
	struct fixture *f = *state;
	struct told t = {0, 0};
	uv_loop_t loop;

	use_pool(f, &loop, "/nonexistent/baraza/baraza.db");
	assert_int_equal(metrics_refresh(&f->gw, on_told, &t), 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(t.calls, 1);
	assert_int_equal(t.ok, 0);
	assert_int_equal(metrics_refresh(&f->gw, on_told, &t), 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(t.calls, 2);
	assert_int_equal(t.ok, 0);
	metrics_free(&f->gw);
	assert_int_equal(uv_loop_close(&loop), 0);
	f->gw.loop = NULL;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_every_sample_has_help_and_type, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_store_figures, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_reports_and_resolution, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_report_feedback, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_reports_category_cap, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_webhook_histogram, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_histogram_inf_bucket, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_modem_signal, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_gateway_counters, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_render_too_big, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_collect, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_refresh_in_the_pool, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_refresh_fails, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_whole_page, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_stats_queries, setup, teardown),
	    cmocka_unit_test(test_escape),
	    cmocka_unit_test(test_mask_phone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
