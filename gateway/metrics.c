/*
 * metrics.c: the Prometheus exposition of GET /metrics, the webhook latency
 * histogram, and the store queries that `baraza stats` shares.
 */
#include "gateway/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/dispatch.h"
#include "gateway/gateway.h"
#include "gateway/modems.h"
#include "lib/http.h"
#include "lib/log.h"
#include "lib/scrub.h"

/* Webhook latency buckets, seconds: 1 ms to 5 s. */
#define NBUCKETS 12
static const double hook_bounds[NBUCKETS] = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};

/* Time to resolution buckets: 1 h, 4 h, 1 d, 3 d, 7 d, 14 d, 30 d, 90 d. */
const double metrics_res_bounds[METRICS_RES_BUCKETS] = {
    3600, 14400, 86400, 259200, 604800, 1209600, 2592000, 7776000};

/* Webhook kinds; index NKINDS is "other". */
#define NKINDS 3
static const char *const kinds[NKINDS + 1] = {"sms", "ussd", "status", "other"};

/* Latencies of one channel and kind. */
struct hook_hist {
	uint64_t in[NBUCKETS]; /* observations in each bucket, not cumulative */
	uint64_t count;        /* all observations (+Inf) */
	double sum;            /* their seconds */
};

/* Answers of one channel, kind and status. */
struct hook_answer {
	int chan;   /* index in cfg->channels, or CONFIG_MAX_CHANNELS: other */
	int kind;   /* index in kinds */
	int status; /* HTTP status */
	uint64_t n; /* answers */
};

struct metrics {
	/* By channel index (the last one is "other"), then kind. */
	struct hook_hist hist[CONFIG_MAX_CHANNELS + 1][NKINDS + 1];
	struct hook_answer answers[METRICS_MAX_ANSWERS]; /* nanswers used */
	size_t nanswers;
	uint64_t answers_dropped; /* beyond METRICS_MAX_ANSWERS */
	struct buf cache;         /* the store's section, rendered */
	int64_t cache_at;         /* mono_ms of the render; 0: none */
};

/*
 * Messages by state and channel. GROUP BY (state, channel) is answered
 * from the covering index messages_queue (state, channel, next_attempt)
 * without reading the table; the direction follows from the state (the
 * inbound states are received, handled and ignored).
 */
static const char sql_messages[] =
    "SELECT channel, state, count(*) FROM messages"
    " GROUP BY state, channel ORDER BY channel, state";
static const char sql_sessions[] =
    "SELECT count(*) FROM sessions WHERE expires > ?1";
static const char sql_reports[] =
    "SELECT coalesce(category, ''), status, count(*) FROM reports"
    " GROUP BY 1, 2 ORDER BY 1, 2";
/* Each resolved or closed report's first resolving event, in seconds. */
static const char sql_resolution[] =
    "SELECT count(*), total(d),"
    " total(d <= ?1), total(d <= ?2), total(d <= ?3), total(d <= ?4),"
    " total(d <= ?5), total(d <= ?6), total(d <= ?7), total(d <= ?8)"
    " FROM (SELECT (min(e.time) - r.created) / 1000.0 AS d"
    "  FROM reports r JOIN report_events e ON e.report_id = r.id"
    "  WHERE r.status IN ('resolved', 'closed')"
    "   AND e.status IN ('resolved', 'closed')"
    "  GROUP BY r.id)";

static const char *
direction_of(const char *state)
{
	if (strcmp(state, "received") == 0 || strcmp(state, "handled") == 0 ||
	    strcmp(state, "ignored") == 0)
		return "in";
	return "out";
}

static char *
col_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return xstrdup(t ? (const char *)t : "");
}

void
metrics_counts_free(struct metrics_counts *c)
{
	size_t i;

	for (i = 0; i < c->nmsgs; i++) {
		free(c->msgs[i].channel);
		free(c->msgs[i].state);
	}
	for (i = 0; i < c->nreports; i++) {
		free(c->reports[i].category);
		free(c->reports[i].status);
	}
	free(c->msgs);
	free(c->reports);
	memset(c, 0, sizeof(*c));
}

static int
collect_messages(struct store *st, struct metrics_counts *c)
{
	sqlite3_stmt *s = store_stmt(st, sql_messages);
	size_t cap = 0;
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct metrics_msgrow *r;

		if (c->nmsgs == METRICS_MAX_ROWS)
			continue;
		if (c->nmsgs == cap) {
			cap = cap ? cap * 2 : 16;
			c->msgs = xrealloc(c->msgs, cap * sizeof(*c->msgs));
		}
		r = &c->msgs[c->nmsgs++];
		r->channel = col_dup(s, 0);
		r->state = col_dup(s, 1);
		r->direction = direction_of(r->state);
		r->n = sqlite3_column_int64(s, 2);
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
collect_reports(struct store *st, struct metrics_counts *c)
{
	sqlite3_stmt *s = store_stmt(st, sql_reports);
	size_t cap = 0;
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct metrics_reprow *r;

		if (c->nreports == METRICS_MAX_ROWS)
			continue;
		if (c->nreports == cap) {
			cap = cap ? cap * 2 : 16;
			c->reports =
			    xrealloc(c->reports, cap * sizeof(*c->reports));
		}
		r = &c->reports[c->nreports++];
		r->category = col_dup(s, 0);
		r->status = col_dup(s, 1);
		r->n = sqlite3_column_int64(s, 2);
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
collect_scalars(struct store *st, int64_t now, struct metrics_counts *c)
{
	sqlite3_stmt *s = store_stmt(st, sql_sessions);
	int i, rc;

	sqlite3_bind_int64(s, 1, now);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		c->sessions = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_ROW)
		return -1;

	s = store_stmt(st, sql_resolution);
	for (i = 0; i < METRICS_RES_BUCKETS; i++)
		sqlite3_bind_double(s, i + 1, metrics_res_bounds[i]);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		c->resolved = sqlite3_column_int64(s, 0);
		c->res_sum = sqlite3_column_double(s, 1);
		for (i = 0; i < METRICS_RES_BUCKETS; i++)
			c->res_le[i] = (int64_t)sqlite3_column_double(s, i + 2);
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
metrics_collect(struct store *st, int64_t now, struct metrics_counts *c)
{
	memset(c, 0, sizeof(*c));
	if (collect_messages(st, c) != 0 || collect_reports(st, c) != 0 ||
	    collect_scalars(st, now, c) != 0) {
		log_warn("metrics", "store query failed error=\"%s\"",
		    store_errmsg(st));
		return -1;
	}
	return 0;
}

int
metrics_escape(struct buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int rc = 0;

	while (*p != '\0' && rc == 0) {
		size_t n, i;

		if (*p == '\\' || *p == '"') {
			char e[2] = {'\\', (char)*p};

			rc = buf_append(out, e, 2);
			p++;
			continue;
		}
		if (*p == '\n') {
			rc = buf_append(out, "\\n", 2);
			p++;
			continue;
		}
		if (*p < 0x80) {
			rc = buf_append(out, p, 1);
			p++;
			continue;
		}
		/* Label values are UTF-8: a bad sequence becomes U+FFFD. */
		n = (*p & 0xe0) == 0xc0   ? 2
		    : (*p & 0xf0) == 0xe0 ? 3
		    : (*p & 0xf8) == 0xf0 ? 4
					  : 0;
		for (i = 1; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				break;
		if (n == 0 || i < n || (n == 2 && *p < 0xc2)) {
			rc = buf_append(out, "\xef\xbf\xbd", 3);
			p++;
			continue;
		}
		rc = buf_append(out, p, n);
		p += n;
	}
	return rc;
}

/* Appends the HELP and TYPE lines of a metric family. */
static int
family(struct buf *b, const char *name, const char *type, const char *help)
{
	return buf_printf(
	    b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Appends `name{k1="v1",k2="v2"` (no closing brace); k2 may be NULL. */
static int
labels(struct buf *b, const char *name, const char *k1, const char *v1,
    const char *k2, const char *v2)
{
	int rc = buf_printf(b, "%s{%s=\"", name, k1);

	rc |= metrics_escape(b, v1);
	if (k2 != NULL) {
		rc |= buf_printf(b, "\",%s=\"", k2);
		rc |= metrics_escape(b, v2);
	}
	rc |= buf_puts(b, "\"");
	return rc ? -1 : 0;
}

/* One category of the reports: its rows and their sum. */
struct catsum {
	const char *name; /* the category (points into the rows) */
	size_t first, n;  /* rows first .. first + n - 1 */
	int64_t total;    /* reports */
	int kept;         /* 1: its own label; 0: summed under "other" */
};

/* Most reports first, then by name. */
static int
by_total(const void *a, const void *b)
{
	const struct catsum *x = a, *y = b;

	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* In the rows' order. */
static int
by_first(const void *a, const void *b)
{
	const struct catsum *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

/*
 * Chooses the categories that keep their own label: all of them when there
 * are at most METRICS_MAX_CATEGORIES, else the METRICS_MAX_CATEGORIES - 1
 * with the most reports, so that "other" makes the last one. A category
 * named "other" or longer than METRICS_CATEGORY_MAX_LEN bytes always goes
 * to "other". Fills cats (one per category, in the rows' order) and
 * returns their number.
 */
static size_t
choose_categories(const struct metrics_counts *c, struct catsum *cats)
{
	size_t n = 0, i, j, keep;

	for (i = 0; i < c->nreports; i = j) {
		cats[n].name = c->reports[i].category;
		cats[n].first = i;
		cats[n].total = 0;
		for (j = i; j < c->nreports &&
			    strcmp(c->reports[j].category, cats[n].name) == 0;
		     j++)
			cats[n].total += c->reports[j].n;
		cats[n].n = j - i;
		cats[n].kept = strcmp(cats[n].name, "other") != 0 &&
			       strlen(cats[n].name) <= METRICS_CATEGORY_MAX_LEN;
		n++;
	}
	keep = n <= METRICS_MAX_CATEGORIES ? n : METRICS_MAX_CATEGORIES - 1;
	qsort(cats, n, sizeof(*cats), by_total);
	for (i = 0, j = 0; i < n; i++) {
		if (cats[i].kept && j < keep)
			j++;
		else
			cats[i].kept = 0;
	}
	qsort(cats, n, sizeof(*cats), by_first);
	return n;
}

/* A status of the reports summed under "other". */
struct othersum {
	const char *status; /* points into the rows */
	int64_t n;          /* reports */
};

/*
 * Reports by category and status. Categories are bounded (see
 * choose_categories): the rest are summed by status under
 * category="other", so the page always renders.
 */
static int
render_reports(struct buf *b, const struct metrics_counts *c)
{
	struct othersum *other;
	struct catsum *cats;
	size_t ncats, nother = 0, i, k, j;
	int rc = 0;

	rc |= family(b, "baraza_reports", "gauge",
	    "Issue reports by category and status (at most 50 categories, "
	    "the rest under category other).");
	if (c->nreports == 0)
		return rc ? -1 : 0;
	cats = xcalloc(c->nreports, sizeof(*cats));
	other = xcalloc(c->nreports, sizeof(*other));
	ncats = choose_categories(c, cats);
	for (k = 0; k < ncats; k++) {
		for (i = cats[k].first; i < cats[k].first + cats[k].n; i++) {
			if (cats[k].kept) {
				rc |= labels(b, "baraza_reports", "category",
				    cats[k].name, "status",
				    c->reports[i].status);
				rc |= buf_printf(
				    b, "} %lld\n", (long long)c->reports[i].n);
				continue;
			}
			for (j = 0; j < nother; j++)
				if (strcmp(other[j].status,
					c->reports[i].status) == 0)
					break;
			if (j == nother)
				other[nother++].status = c->reports[i].status;
			other[j].n += c->reports[i].n;
		}
	}
	for (j = 0; j < nother; j++) {
		rc |= labels(b, "baraza_reports", "category", "other", "status",
		    other[j].status);
		rc |= buf_printf(b, "} %lld\n", (long long)other[j].n);
	}
	free(other);
	free(cats);
	return rc ? -1 : 0;
}

static int
render_counts(
    struct buf *b, const struct metrics_counts *c, const struct config *cfg)
{
	size_t i, j;
	int rc = 0, found;

	rc |= family(b, "baraza_messages", "gauge",
	    "Messages in the store by channel, direction and state.");
	for (i = 0; i < c->nmsgs; i++) {
		rc |= labels(b, "baraza_messages", "channel",
		    c->msgs[i].channel, "direction", c->msgs[i].direction);
		rc |= buf_puts(b, ",state=\"");
		rc |= metrics_escape(b, c->msgs[i].state);
		rc |= buf_printf(b, "\"} %lld\n", (long long)c->msgs[i].n);
	}

	rc |= family(b, "baraza_queue_depth", "gauge",
	    "Outbound messages queued or sending, by channel.");
	/* Configured channels first (0 included), then any others stored. */
	for (j = 0; cfg != NULL && j < cfg->nchannels; j++) {
		int64_t n = 0;

		for (i = 0; i < c->nmsgs; i++)
			if (strcmp(c->msgs[i].channel, cfg->channels[j].name) ==
				0 &&
			    (strcmp(c->msgs[i].state, "queued") == 0 ||
				strcmp(c->msgs[i].state, "sending") == 0))
				n += c->msgs[i].n;
		rc |= labels(b, "baraza_queue_depth", "channel",
		    cfg->channels[j].name, NULL, NULL);
		rc |= buf_printf(b, "} %lld\n", (long long)n);
	}
	for (i = 0; i < c->nmsgs; i++) {
		int64_t n = 0;

		if (cfg != NULL && config_channel(cfg, c->msgs[i].channel))
			continue;
		/* The first row of each channel sums it. */
		for (found = 0, j = 0; j < i; j++)
			if (strcmp(c->msgs[j].channel, c->msgs[i].channel) == 0)
				found = 1;
		if (found)
			continue;
		for (j = i; j < c->nmsgs; j++)
			if (strcmp(c->msgs[j].channel, c->msgs[i].channel) ==
				0 &&
			    (strcmp(c->msgs[j].state, "queued") == 0 ||
				strcmp(c->msgs[j].state, "sending") == 0))
				n += c->msgs[j].n;
		rc |= labels(b, "baraza_queue_depth", "channel",
		    c->msgs[i].channel, NULL, NULL);
		rc |= buf_printf(b, "} %lld\n", (long long)n);
	}

	rc |= family(b, "baraza_sessions_active", "gauge",
	    "Conversations (SMS and USSD sessions) not expired.");
	rc |= buf_printf(
	    b, "baraza_sessions_active %lld\n", (long long)c->sessions);

	rc |= render_reports(b, c);

	rc |= family(b, "baraza_report_resolution_seconds", "histogram",
	    "Seconds from a report's creation to its resolution, for reports "
	    "resolved or closed.");
	for (i = 0; i < METRICS_RES_BUCKETS; i++)
		rc |= buf_printf(b,
		    "baraza_report_resolution_seconds_bucket{le=\"%.0f\"} "
		    "%lld\n",
		    metrics_res_bounds[i], (long long)c->res_le[i]);
	rc |= buf_printf(b,
	    "baraza_report_resolution_seconds_bucket{le=\"+Inf\"} %lld\n"
	    "baraza_report_resolution_seconds_sum %.3f\n"
	    "baraza_report_resolution_seconds_count %lld\n",
	    (long long)c->resolved, c->res_sum, (long long)c->resolved);
	return rc ? -1 : 0;
}

int
metrics_render_store(
    struct store *st, const struct config *cfg, int64_t now, struct buf *b)
{
	struct metrics_counts c;
	int rc;

	if (metrics_collect(st, now, &c) != 0) {
		metrics_counts_free(&c);
		return -1;
	}
	rc = render_counts(b, &c, cfg);
	metrics_counts_free(&c);
	return rc;
}

static struct metrics *
metrics_get(struct gateway *gw)
{
	if (gw->metrics == NULL) {
		gw->metrics = xcalloc(1, sizeof(*gw->metrics));
		buf_init(&gw->metrics->cache, METRICS_MAX_BYTES);
	}
	return gw->metrics;
}

void
metrics_free(struct gateway *gw)
{
	if (gw->metrics == NULL)
		return;
	buf_free(&gw->metrics->cache);
	free(gw->metrics);
	gw->metrics = NULL;
}

static int
channel_index(const struct gateway *gw, const char *name)
{
	size_t i;

	for (i = 0; name != NULL && gw->cfg != NULL && i < gw->cfg->nchannels &&
		    i < CONFIG_MAX_CHANNELS;
	     i++)
		if (strcmp(gw->cfg->channels[i].name, name) == 0)
			return (int)i;
	return CONFIG_MAX_CHANNELS;
}

static const char *
channel_name(const struct gateway *gw, int i)
{
	if (i < CONFIG_MAX_CHANNELS && gw->cfg != NULL &&
	    (size_t)i < gw->cfg->nchannels)
		return gw->cfg->channels[i].name;
	return "other";
}

void
metrics_observe_webhook(struct gateway *gw, const char *channel,
    const char *kind, int status, double seconds)
{
	struct metrics *m = metrics_get(gw);
	struct hook_hist *h;
	int ci = channel_index(gw, channel), ki;
	size_t i;

	for (ki = 0; ki < NKINDS; ki++)
		if (kind != NULL && strcmp(kinds[ki], kind) == 0)
			break;
	if (!(seconds >= 0)) /* also NaN */
		seconds = 0;
	h = &m->hist[ci][ki];
	for (i = 0; i < NBUCKETS; i++)
		if (seconds <= hook_bounds[i]) {
			h->in[i]++;
			break;
		}
	h->count++;
	h->sum += seconds;

	for (i = 0; i < m->nanswers; i++) {
		struct hook_answer *a = &m->answers[i];

		if (a->chan == ci && a->kind == ki && a->status == status) {
			a->n++;
			return;
		}
	}
	if (m->nanswers == METRICS_MAX_ANSWERS) {
		m->answers_dropped++;
		return;
	}
	m->answers[m->nanswers].chan = ci;
	m->answers[m->nanswers].kind = ki;
	m->answers[m->nanswers].status = status;
	m->answers[m->nanswers].n = 1;
	m->nanswers++;
}

static int
render_hooks(struct gateway *gw, struct buf *b)
{
	struct metrics *m = metrics_get(gw);
	static const char name[] = "baraza_webhook_duration_seconds";
	int ci, ki, rc = 0;
	size_t i;

	rc |= family(b, name, "histogram",
	    "Seconds from a webhook's first byte to its answer, by channel and "
	    "kind.");
	for (ci = 0; ci <= CONFIG_MAX_CHANNELS; ci++) {
		for (ki = 0; ki <= NKINDS; ki++) {
			const struct hook_hist *h = &m->hist[ci][ki];
			uint64_t cum = 0;
			const char *cn;

			if (h->count == 0)
				continue;
			cn = channel_name(gw, ci);
			for (i = 0; i < NBUCKETS; i++) {
				cum += h->in[i];
				rc |= labels(b,
				    "baraza_webhook_duration_seconds_"
				    "bucket",
				    "channel", cn, "kind", kinds[ki]);
				rc |= buf_printf(b, ",le=\"%g\"} %llu\n",
				    hook_bounds[i], (unsigned long long)cum);
			}
			rc |=
			    labels(b, "baraza_webhook_duration_seconds_bucket",
				"channel", cn, "kind", kinds[ki]);
			rc |= buf_printf(b, ",le=\"+Inf\"} %llu\n",
			    (unsigned long long)h->count);
			rc |= labels(b, "baraza_webhook_duration_seconds_sum",
			    "channel", cn, "kind", kinds[ki]);
			rc |= buf_printf(b, "} %.6f\n", h->sum);
			rc |= labels(b, "baraza_webhook_duration_seconds_count",
			    "channel", cn, "kind", kinds[ki]);
			rc |= buf_printf(
			    b, "} %llu\n", (unsigned long long)h->count);
		}
	}

	rc |= family(b, "baraza_webhook_answers_total", "counter",
	    "Webhooks answered, by channel, kind and HTTP status.");
	for (i = 0; i < m->nanswers; i++) {
		const struct hook_answer *a = &m->answers[i];

		rc |= labels(b, "baraza_webhook_answers_total", "channel",
		    channel_name(gw, a->chan), "kind", kinds[a->kind]);
		rc |= buf_printf(b, ",status=\"%d\"} %llu\n", a->status,
		    (unsigned long long)a->n);
	}
	return rc ? -1 : 0;
}

/* Failed sends and worker restarts of each modem, kept across runs. */
static int
render_modem_counters(struct gateway *gw, struct buf *b)
{
	static const char *const names[] = {
	    "baraza_modem_failures_total", "baraza_modem_restarts_total"};
	static const char *const help[] = {
	    "Messages a GSM modem channel handed back unsent (failed or to "
	    "retry), kept across gateway runs.",
	    "Restarts of a GSM modem channel's worker process, kept across "
	    "gateway runs."};
	uint64_t v[2];
	size_t i, k;
	int rc = 0;

	for (k = 0; k < nitems(names); k++) {
		rc |= family(b, names[k], "counter", help[k]);
		for (i = 0; gw->cfg != NULL && i < gw->cfg->nchannels; i++) {
			if (gw->cfg->channels[i].type != CHANNEL_GAMMU ||
			    modems_counters(gw, i, &v[0], &v[1]) != 0)
				continue;
			rc |= labels(b, names[k], "channel",
			    gw->cfg->channels[i].name, NULL, NULL);
			rc |=
			    buf_printf(b, "} %llu\n", (unsigned long long)v[k]);
		}
	}
	return rc;
}

static int
render_gateway(struct gateway *gw, struct buf *b)
{
	struct http_stats hs;
	size_t i;
	int rc = 0;

	http_server_stats(&gw->http, &hs);
	rc |= family(b, "baraza_uptime_seconds", "gauge",
	    "Seconds since the gateway started.");
	rc |= buf_printf(b, "baraza_uptime_seconds %lld\n",
	    (long long)((now_ms() - gw->started_ms) / 1000));
	rc |= family(
	    b, "baraza_http_connections", "gauge", "Open HTTP connections.");
	rc |= buf_printf(b, "baraza_http_connections %llu\n",
	    (unsigned long long)hs.conns_open);
	rc |= family(b, "baraza_http_requests_total", "counter",
	    "HTTP requests answered.");
	rc |= buf_printf(b, "baraza_http_requests_total %llu\n",
	    (unsigned long long)hs.requests_total);
	rc |= family(b, "baraza_http_errors_total", "counter",
	    "Requests refused by the HTTP limits or as malformed.");
	rc |= buf_printf(b, "baraza_http_errors_total %llu\n",
	    (unsigned long long)hs.errors_total);
	rc |= family(b, "baraza_http_connections_shed_total", "counter",
	    "Connections closed for lack of descriptors: idle keep-alive ones "
	    "(shed) or new ones when none was idle (refused).");
	rc |= buf_printf(b,
	    "baraza_http_connections_shed_total{how=\"idle\"} %llu\n"
	    "baraza_http_connections_shed_total{how=\"refused\"} %llu\n",
	    (unsigned long long)hs.conns_shed,
	    (unsigned long long)hs.conns_refused);

	if (gw->flows != NULL && gw->flows->set != NULL) {
		rc |= family(b, "baraza_flows", "gauge", "Flows loaded.");
		rc |=
		    buf_printf(b, "baraza_flows %zu\n", gw->flows->set->nflows);
	}
	rc |= family(b, "baraza_flow_reloads_total", "counter",
	    "Flow reloads, by result.");
	rc |= buf_printf(b,
	    "baraza_flow_reloads_total{result=\"ok\"} %llu\n"
	    "baraza_flow_reloads_total{result=\"refused\"} %llu\n",
	    (unsigned long long)gw->reloads,
	    (unsigned long long)gw->reload_failures);

	rc |= family(b, "baraza_batch_commits_total", "counter",
	    "Store transactions committed (one per busy loop turn).");
	rc |= buf_printf(
	    b, "baraza_batch_commits_total %llu\n", gw->batch.commits);
	rc |= family(b, "baraza_batch_failures_total", "counter",
	    "Store transactions rolled back.");
	rc |= buf_printf(
	    b, "baraza_batch_failures_total %llu\n", gw->batch.failures);

	rc |= family(b, "baraza_inbound_total", "counter",
	    "Inbound traffic handled since start, by what it was.");
	rc |= buf_printf(b,
	    "baraza_inbound_total{kind=\"sms\"} %llu\n"
	    "baraza_inbound_total{kind=\"ussd\"} %llu\n"
	    "baraza_inbound_total{kind=\"status\"} %llu\n"
	    "baraza_inbound_total{kind=\"duplicate\"} %llu\n"
	    "baraza_inbound_total{kind=\"flooded\"} %llu\n",
	    (unsigned long long)gw->received,
	    (unsigned long long)gw->ussd_steps, (unsigned long long)gw->reports,
	    (unsigned long long)gw->duplicates,
	    (unsigned long long)gw->flooded);
	rc |= family(b, "baraza_flood_guard_evicted_total", "counter",
	    "Numbers the flood guard forgot before their window ended, to make "
	    "room for new ones.");
	rc |= buf_printf(b, "baraza_flood_guard_evicted_total %llu\n",
	    (unsigned long long)gw->flood.map.evicted);
	rc |= family(b, "baraza_webhook_refused_total", "counter",
	    "Webhooks refused, by reason.");
	rc |= buf_printf(b,
	    "baraza_webhook_refused_total{reason=\"bad_request\"} %llu\n"
	    "baraza_webhook_refused_total{reason=\"forbidden\"} %llu\n",
	    (unsigned long long)gw->hooks_bad,
	    (unsigned long long)gw->hooks_forbidden);

	if (gw->dispatch != NULL && gw->cfg != NULL) {
		struct dispatch_stats ds;

		rc |= family(b, "baraza_provider_sent_total", "counter",
		    "Outbound messages accepted by the provider, by channel.");
		for (i = 0; i < gw->cfg->nchannels; i++) {
			if (dispatch_stats(gw->dispatch,
				gw->cfg->channels[i].name, &ds) != 0)
				continue;
			rc |= labels(b, "baraza_provider_sent_total", "channel",
			    gw->cfg->channels[i].name, NULL, NULL);
			rc |= buf_printf(
			    b, "} %llu\n", (unsigned long long)ds.sent);
		}
		rc |= family(b, "baraza_provider_errors_total", "counter",
		    "Provider errors by channel and result: retried "
		    "(temporary) or failed (permanent or expired).");
		for (i = 0; i < gw->cfg->nchannels; i++) {
			if (dispatch_stats(gw->dispatch,
				gw->cfg->channels[i].name, &ds) != 0)
				continue;
			rc |=
			    labels(b, "baraza_provider_errors_total", "channel",
				gw->cfg->channels[i].name, "result", "retried");
			rc |= buf_printf(
			    b, "} %llu\n", (unsigned long long)ds.retried);
			rc |=
			    labels(b, "baraza_provider_errors_total", "channel",
				gw->cfg->channels[i].name, "result", "failed");
			rc |= buf_printf(
			    b, "} %llu\n", (unsigned long long)ds.failed);
		}
		rc |= family(b, "baraza_provider_inflight", "gauge",
		    "Requests to the provider in flight, by channel.");
		for (i = 0; i < gw->cfg->nchannels; i++) {
			if (dispatch_stats(gw->dispatch,
				gw->cfg->channels[i].name, &ds) != 0)
				continue;
			rc |= labels(b, "baraza_provider_inflight", "channel",
			    gw->cfg->channels[i].name, NULL, NULL);
			rc |= buf_printf(
			    b, "} %llu\n", (unsigned long long)ds.inflight);
		}
	}

	rc |= family(b, "baraza_modem_signal_percent", "gauge",
	    "Signal strength of each GSM modem channel at its last heartbeat.");
	for (i = 0; gw->cfg != NULL && i < gw->cfg->nchannels &&
		    i < CONFIG_MAX_CHANNELS;
	     i++) {
		if (gw->cfg->channels[i].type != CHANNEL_GAMMU ||
		    !gw->modems[i].known)
			continue;
		rc |= labels(b, "baraza_modem_signal_percent", "channel",
		    gw->cfg->channels[i].name, NULL, NULL);
		rc |= buf_printf(b, "} %g\n", gw->modems[i].signal);
	}
	rc |= family(b, "baraza_modem_up", "gauge",
	    "1 when a GSM modem channel answered its last heartbeat.");
	for (i = 0; gw->cfg != NULL && i < gw->cfg->nchannels &&
		    i < CONFIG_MAX_CHANNELS;
	     i++) {
		if (gw->cfg->channels[i].type != CHANNEL_GAMMU ||
		    !gw->modems[i].known)
			continue;
		rc |= labels(b, "baraza_modem_up", "channel",
		    gw->cfg->channels[i].name, NULL, NULL);
		rc |= buf_printf(b, "} %d\n", gw->modems[i].up ? 1 : 0);
	}
	rc |= render_modem_counters(gw, b);
	return rc ? -1 : 0;
}

int
metrics_render(struct gateway *gw, struct buf *b)
{
	struct metrics *m = metrics_get(gw);
	int64_t t = mono_ms();
	int rc = 0;

	rc |= render_gateway(gw, b);
	rc |= render_hooks(gw, b);
	/* The store's figures are rendered at most once per period. */
	if (m->cache_at == 0 || t - m->cache_at >= METRICS_CACHE_MS ||
	    t < m->cache_at) {
		buf_reset(&m->cache);
		if (metrics_render_store(
			gw->store, gw->cfg, now_ms(), &m->cache) != 0) {
			buf_reset(&m->cache);
			m->cache_at = 0;
			return -1;
		}
		m->cache_at = t;
	}
	if (m->cache.len > 0)
		rc |= buf_append(b, m->cache.data, m->cache.len);
	return rc ? -1 : 0;
}

const char *
metrics_mask_phone(const char *num, char *out, size_t outlen)
{
	return scrub_phone(num, out, outlen);
}
