/*
 * metrics.c: the Prometheus exposition of GET /metrics (the gateway's own
 * families rendered from a table), the webhook latency histogram, and the
 * store's figures (store_stats_*) that `baraza stats` shares.
 */
#include "gateway/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/answer.h"
#include "gateway/dispatch.h"
#include "gateway/events.h"
#include "gateway/gateway.h"
#include "gateway/modems.h"
#include "gateway/pool_read.h"
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

/* Webhook kinds by enum hook_kind; index NKINDS is "other". */
#define NKINDS HOOK_NKINDS
static const char *const kinds[NKINDS + 1] = {
    [HOOK_SMS] = "sms",
    [HOOK_USSD] = "ussd",
    [HOOK_STATUS] = "status",
    [NKINDS] = "other",
};

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

/* One that waits for the store's figures (metrics_refresh). */
struct metrics_waiter {
	metrics_ready_cb cb;
	void *arg;
};

struct metrics {
	/* By channel index (the last one is "other"), then kind. */
	struct hook_hist hist[CONFIG_MAX_CHANNELS + 1][NKINDS + 1];
	struct hook_answer answers[METRICS_MAX_ANSWERS]; /* nanswers used */
	size_t nanswers;
	uint64_t answers_dropped;         /* beyond METRICS_MAX_ANSWERS */
	struct buf cache;                 /* the store's section, rendered */
	int64_t cache_at;                 /* mono_ms of its read; 0: none */
	unsigned long long cache_commits; /* batch commits at its read */
	/* A read of the store's figures in the thread pool: */
	struct gateway *gw;              /* the gateway, for its callback */
	struct pool_reader *pool;        /* its reader, made by the first */
	int reading;                     /* a read is queued or running */
	struct metrics_counts read;      /* what it read */
	int read_rc;                     /* 0: read */
	int64_t read_at, read_now;       /* its start, mono_ms and now_ms */
	int64_t read_ms;                 /* the last read's length */
	unsigned long long read_commits; /* batch commits at its start */
	struct metrics_waiter waiting[METRICS_MAX_WAITING]; /* for it */
	size_t nwaiting;
};

static const char *
direction_of(const char *state)
{
	if (strcmp(state, "received") == 0 || strcmp(state, "handled") == 0 ||
	    strcmp(state, "ignored") == 0)
		return "in";
	return "out";
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

/* The counts being read, with the room of their arrays. */
struct collect {
	struct metrics_counts *c;
	size_t msgs_cap;    /* rows c->msgs holds */
	size_t reports_cap; /* rows c->reports holds */
};

/* Keeps one row of messages by channel and state. */
static int
message_cb(void *arg, const char *channel, const char *state, int64_t n)
{
	struct collect *k = arg;
	struct metrics_counts *c = k->c;
	struct metrics_msgrow *r;

	if (c->nmsgs == METRICS_MAX_ROWS)
		return 0;
	if (c->nmsgs == k->msgs_cap) {
		k->msgs_cap = k->msgs_cap ? k->msgs_cap * 2 : 16;
		c->msgs = xrealloc(c->msgs, k->msgs_cap * sizeof(*c->msgs));
	}
	r = &c->msgs[c->nmsgs++];
	r->channel = xstrdup(channel);
	r->state = xstrdup(state);
	r->direction = direction_of(r->state);
	r->n = n;
	return 0;
}

/* Keeps one row of reports by category and status. */
static int
report_cb(void *arg, const char *category, const char *status, int64_t n)
{
	struct collect *k = arg;
	struct metrics_counts *c = k->c;
	struct metrics_reprow *r;

	if (c->nreports == METRICS_MAX_ROWS)
		return 0;
	if (c->nreports == k->reports_cap) {
		k->reports_cap = k->reports_cap ? k->reports_cap * 2 : 16;
		c->reports =
		    xrealloc(c->reports, k->reports_cap * sizeof(*c->reports));
	}
	r = &c->reports[c->nreports++];
	r->category = xstrdup(category);
	r->status = xstrdup(status);
	r->n = n;
	return 0;
}

int
metrics_collect(struct store *st, int64_t now, struct metrics_counts *c)
{
	struct collect k = {c, 0, 0};
	struct store_resolution res;

	memset(c, 0, sizeof(*c));
	if (store_stats_messages(st, message_cb, &k) != 0 ||
	    store_stats_reports(st, report_cb, &k) != 0 ||
	    store_stats_sessions(st, now, &c->sessions) != 0 ||
	    store_stats_resolution(st, metrics_res_bounds, &res) != 0 ||
	    store_feedback_counts(st, &c->feedback_yes, &c->feedback_no) != 0) {
		log_warn("metrics", "store query failed error=\"%s\"",
		    store_errmsg(st));
		return -1;
	}
	c->resolved = res.resolved;
	c->res_sum = res.sum;
	memcpy(c->res_le, res.le, sizeof(c->res_le));
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

/*
 * Appends the store's figures c (messages, queue depth, sessions,
 * reports, time to resolution, report feedback) in the exposition format.
 * Reports carry at most METRICS_MAX_CATEGORIES category labels: when there
 * are more, the busiest keep theirs and the rest (and any category named
 * "other" or longer than METRICS_CATEGORY_MAX_LEN) are summed by status
 * under category="other". With a config (else NULL), every configured
 * channel gets a queue depth sample, 0 included. Returns 0, or -1 when b
 * is full.
 */
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

	rc |= family(b, "baraza_report_feedback_total", "counter",
	    "Reporters' answers to whether their resolved report was fixed.");
	rc |= buf_printf(b,
	    "baraza_report_feedback_total{answer=\"yes\"} %lld\n"
	    "baraza_report_feedback_total{answer=\"no\"} %lld\n",
	    (long long)c->feedback_yes, (long long)c->feedback_no);
	return rc ? -1 : 0;
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
	pool_reader_stop(gw->metrics->pool); /* the loop has ended: no read */
	buf_free(&gw->metrics->cache);
	free(gw->metrics);
	gw->metrics = NULL;
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
metrics_observe_webhook(struct gateway *gw, size_t chan, enum hook_kind kind,
    int status, double seconds)
{
	struct metrics *m = metrics_get(gw);
	struct hook_hist *h;
	int ci = CONFIG_MAX_CHANNELS, ki = NKINDS;
	size_t i;

	if (gw->cfg != NULL && chan < gw->cfg->nchannels &&
	    chan < CONFIG_MAX_CHANNELS)
		ci = (int)chan;
	if ((unsigned)kind < NKINDS)
		ki = (int)kind;
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

/* A sample's value, printed as its kind says. */
struct mvalue {
	enum { MV_UINT, MV_INT, MV_FLOAT, MV_MICRO } kind;
	uint64_t u; /* MV_UINT, %llu */
	int64_t i;  /* MV_INT, %lld; MV_MICRO, millionths, as a decimal */
	double d;   /* MV_FLOAT, %g */
};

#define MAX_LABEL_VALUES 5 /* values of one family's own label */

/* What the gateway's families read: the gateway, its HTTP figures. */
struct render_ctx {
	struct gateway *gw;   /* whose figures */
	struct http_stats hs; /* taken once per page */
};

/*
 * One family of the gateway's figures. A family of the gateway has one
 * sample, or one per value of its label; a family of channels has those
 * for each configured channel, labelled channel="NAME" first.
 */
struct family_def {
	const char *name;  /* the family's name, baraza_... */
	const char *type;  /* "gauge" or "counter" */
	const char *help;  /* its HELP text */
	int per_channel;   /* 1: samples for each channel */
	const char *label; /* the label telling samples apart, or NULL */
	const char *const *values; /* its values, NULL-ended (label only) */
	/* Whether the family shows at all (NULL: always). */
	int (*shown)(const struct render_ctx *);
	/*
	 * Fills v[k] for values[k] (v[0] without a label), of channel ch for
	 * a family of channels. Returns 0, or -1 to leave the channel out.
	 */
	int (*get)(const struct render_ctx *, size_t ch, struct mvalue *v);
};

static void
set_u(struct mvalue *v, uint64_t u)
{
	v->kind = MV_UINT;
	v->u = u;
}

static int
get_uptime(const struct render_ctx *x, size_t ch, struct mvalue *v)
{
	(void)ch;
	v->kind = MV_INT;
	v->i = (now_ms() - x->gw->started_ms) / 1000;
	return 0;
}

static int
get_http_connections(const struct render_ctx *x, size_t ch, struct mvalue *v)
{
	(void)ch;
	set_u(v, x->hs.conns_open);
	return 0;
}

static int
get_http_requests(const struct render_ctx *x, size_t ch, struct mvalue *v)
{
	(void)ch;
	set_u(v, x->hs.requests_total);
	return 0;
}

static int
get_http_errors(const struct render_ctx *x, size_t ch, struct mvalue *v)
{
	(void)ch;
	set_u(v, x->hs.errors_total);
	return 0;
}

static int
get_http_shed(const struct render_ctx *x, size_t ch, struct mvalue *v)
{
	(void)ch;
	set_u(&v[0], x->hs.conns_shed);
	set_u(&v[1], x->hs.conns_refused);
	return 0;
}

static int
has_flows(const struct render_ctx *x)
{
	return x->gw->flows != NULL && x->gw->flows->set != NULL;
}

static int
get_flows(const struct render_ctx *x, size_t ch, struct mvalue *v)
{
	(void)ch;
	set_u(v, x->gw->flows->set->nflows);
	return 0;
}

static int
get_reloads(const struct render_ctx *x, size_t ch, struct mvalue *v)
{
	(void)ch;
	set_u(&v[0], x->gw->serve.reloads);
	set_u(&v[1], x->gw->serve.reload_failures);
	return 0;
}

static int
get_commits(const struct render_ctx *x, size_t ch, struct mvalue *v)
{
	(void)ch;
	set_u(v, x->gw->batch.commits);
	return 0;
}

static int
get_rollbacks(const struct render_ctx *x, size_t ch, struct mvalue *v)
{
	(void)ch;
	set_u(v, x->gw->batch.failures);
	return 0;
}

static int
get_inbound(const struct render_ctx *x, size_t ch, struct mvalue *v)
{
	const struct ingress_counters *n = &x->gw->ingress.n;

	(void)ch;
	set_u(&v[0], n->received);
	set_u(&v[1], n->ussd_steps);
	set_u(&v[2], n->reports);
	set_u(&v[3], n->duplicates);
	set_u(&v[4], n->flooded);
	return 0;
}

static int
get_resumes(const struct render_ctx *x, size_t ch, struct mvalue *v)
{
	const struct ingress_counters *n = &x->gw->ingress.n;

	(void)ch;
	set_u(&v[0], n->resumes[0]);
	set_u(&v[1], n->resumes[1]);
	set_u(&v[2], n->resumes[2]);
	return 0;
}

/* Shown when a channel delivers long messages part by part. */
static int
has_parts(const struct render_ctx *x)
{
	return x->gw->parts.running;
}

static int
get_parts(const struct render_ctx *x, size_t ch, struct mvalue *v)
{
	(void)ch;
	set_u(&v[0], x->gw->parts.joined);
	set_u(&v[1], x->gw->parts.partial);
	return 0;
}

static int
get_evicted(const struct render_ctx *x, size_t ch, struct mvalue *v)
{
	(void)ch;
	set_u(v, x->gw->ingress.flood.map.evicted);
	return 0;
}

static int
get_refused(const struct render_ctx *x, size_t ch, struct mvalue *v)
{
	(void)ch;
	set_u(&v[0], x->gw->hooks.bad);
	set_u(&v[1], x->gw->hooks.forbidden);
	return 0;
}

static int
has_dispatch(const struct render_ctx *x)
{
	return x->gw->dispatch != NULL && x->gw->cfg != NULL;
}

/* The dispatcher's figures of channel ch into *ds; 0 or -1. */
static int
provider(const struct render_ctx *x, size_t ch, struct dispatch_stats *ds)
{
	return dispatch_stats(
	    x->gw->dispatch, x->gw->cfg->channels[ch].name, ds);
}

static int
get_provider_sent(const struct render_ctx *x, size_t ch, struct mvalue *v)
{
	struct dispatch_stats ds;

	if (provider(x, ch, &ds) != 0)
		return -1;
	set_u(v, ds.sent);
	return 0;
}

static int
get_provider_errors(const struct render_ctx *x, size_t ch, struct mvalue *v)
{
	struct dispatch_stats ds;

	if (provider(x, ch, &ds) != 0)
		return -1;
	set_u(&v[0], ds.retried);
	set_u(&v[1], ds.failed);
	return 0;
}

/* Money spent since the start, on channels with a cost_per_segment. */
static int
get_spend(const struct render_ctx *x, size_t ch, struct mvalue *v)
{
	struct dispatch_stats ds;
	int64_t per;

	if (config_channel_cost(&x->gw->cfg->channels[ch], &per) != 0 ||
	    provider(x, ch, &ds) != 0)
		return -1;
	v->kind = MV_MICRO;
	v->i = ds.spend;
	return 0;
}

static int
get_provider_inflight(const struct render_ctx *x, size_t ch, struct mvalue *v)
{
	struct dispatch_stats ds;

	if (provider(x, ch, &ds) != 0)
		return -1;
	set_u(v, ds.inflight);
	return 0;
}

/* The heartbeat state of modem channel ch, or NULL when none came. */
static const struct modems_beat *
heartbeat(const struct render_ctx *x, size_t ch)
{
	if (ch >= CONFIG_MAX_CHANNELS ||
	    x->gw->cfg->channels[ch].type != CHANNEL_GAMMU ||
	    !x->gw->modems.beat[ch].known)
		return NULL;
	return &x->gw->modems.beat[ch];
}

static int
get_modem_signal(const struct render_ctx *x, size_t ch, struct mvalue *v)
{
	const struct modems_beat *m = heartbeat(x, ch);

	if (m == NULL)
		return -1;
	v->kind = MV_FLOAT;
	v->d = m->signal;
	return 0;
}

/*
 * 1 while modem channel ch's worker reports its phone up; 0 before any
 * report (a modem unplugged at start is down from the first scrape, so an
 * alert on 0 fires); none for a modem another node runs.
 */
static int
get_modem_up(const struct render_ctx *x, size_t ch, struct mvalue *v)
{
	const struct config *cfg = x->gw->cfg;
	const struct modems_beat *m;

	if (ch >= CONFIG_MAX_CHANNELS ||
	    cfg->channels[ch].type != CHANNEL_GAMMU ||
	    !config_runs_here(cfg, &cfg->channels[ch]))
		return -1;
	m = heartbeat(x, ch);
	set_u(v, m != NULL && m->up ? 1 : 0);
	return 0;
}

/* The SMPP links of channel ch that are bound now. */
static int
get_smpp_bound(const struct render_ctx *x, size_t ch, struct mvalue *v)
{
	int bound, links;

	if (x->gw->cfg->channels[ch].type != CHANNEL_SMPP ||
	    smscs_bound(x->gw, x->gw->cfg->channels[ch].name, &bound, &links) !=
		0)
		return -1;
	set_u(v, (uint64_t)bound);
	return 0;
}

/* The kept counters of modem channel ch: failures, restarts; 0 or -1. */
static int
modem_counters(const struct render_ctx *x, size_t ch, uint64_t v[2])
{
	if (x->gw->cfg->channels[ch].type != CHANNEL_GAMMU)
		return -1;
	return modems_counters(x->gw, ch, &v[0], &v[1]);
}

static int
get_modem_failures(const struct render_ctx *x, size_t ch, struct mvalue *v)
{
	uint64_t n[2];

	if (modem_counters(x, ch, n) != 0)
		return -1;
	set_u(v, n[0]);
	return 0;
}

static int
get_modem_restarts(const struct render_ctx *x, size_t ch, struct mvalue *v)
{
	uint64_t n[2];

	if (modem_counters(x, ch, n) != 0)
		return -1;
	set_u(v, n[1]);
	return 0;
}

static int
has_events(const struct render_ctx *x)
{
	return x->gw->cfg != NULL && x->gw->cfg->nevents > 0;
}

static int
get_events_waiting(const struct render_ctx *x, size_t ch, struct mvalue *v)
{
	int64_t n;

	(void)ch;
	if (store_event_waiting(x->gw->store, &n) != 0)
		return -1;
	v->kind = MV_INT;
	v->i = n;
	return 0;
}

static int
get_events(const struct render_ctx *x, size_t ch, struct mvalue *v)
{
	const struct events_counters *n = events_counters();

	(void)x;
	(void)ch;
	set_u(&v[0], n->sent);
	set_u(&v[1], n->retried);
	set_u(&v[2], n->failed);
	return 0;
}

static const char *const event_values[] = {"sent", "retried", "failed", NULL};
_Static_assert(nitems(event_values) <= MAX_LABEL_VALUES + 1, "events");

static const char *const how_values[] = {"idle", "refused", NULL};
static const char *const result_values[] = {"ok", "refused", NULL};
static const char *const kind_values[] = {
    "sms", "ussd", "status", "duplicate", "flooded", NULL};
static const char *const reason_values[] = {"bad_request", "forbidden", NULL};
static const char *const error_values[] = {"retried", "failed", NULL};
static const char *const resume_values[] = {
    "offered", "continued", "restarted", NULL};
static const char *const parts_values[] = {"whole", "partial", NULL};

/* Each label's values fit the samples' array of render_family. */
_Static_assert(nitems(how_values) <= MAX_LABEL_VALUES + 1, "how_values");
_Static_assert(nitems(result_values) <= MAX_LABEL_VALUES + 1, "result");
_Static_assert(nitems(kind_values) <= MAX_LABEL_VALUES + 1, "kind_values");
_Static_assert(nitems(reason_values) <= MAX_LABEL_VALUES + 1, "reason");
_Static_assert(nitems(error_values) <= MAX_LABEL_VALUES + 1, "error");
_Static_assert(nitems(resume_values) <= MAX_LABEL_VALUES + 1, "resume");
_Static_assert(nitems(parts_values) <= MAX_LABEL_VALUES + 1, "parts");

/* The gateway's families, in the page's order. */
static const struct family_def families[] = {
    {"baraza_uptime_seconds", "gauge", "Seconds since the gateway started.", 0,
	NULL, NULL, NULL, get_uptime},
    {"baraza_http_connections", "gauge", "Open HTTP connections.", 0, NULL,
	NULL, NULL, get_http_connections},
    {"baraza_http_requests_total", "counter", "HTTP requests answered.", 0,
	NULL, NULL, NULL, get_http_requests},
    {"baraza_http_errors_total", "counter",
	"Requests refused by the HTTP limits or as malformed.", 0, NULL, NULL,
	NULL, get_http_errors},
    {"baraza_http_connections_shed_total", "counter",
	"Connections closed for lack of descriptors: idle keep-alive ones "
	"(shed) or new ones when none was idle (refused).",
	0, "how", how_values, NULL, get_http_shed},
    {"baraza_flows", "gauge", "Flows loaded.", 0, NULL, NULL, has_flows,
	get_flows},
    {"baraza_flow_reloads_total", "counter", "Flow reloads, by result.", 0,
	"result", result_values, NULL, get_reloads},
    {"baraza_batch_commits_total", "counter",
	"Store transactions committed (one per busy loop turn).", 0, NULL, NULL,
	NULL, get_commits},
    {"baraza_batch_failures_total", "counter",
	"Store transactions rolled back.", 0, NULL, NULL, NULL, get_rollbacks},
    {"baraza_inbound_total", "counter",
	"Inbound traffic handled since start, by what it was.", 0, "kind",
	kind_values, NULL, get_inbound},
    {"baraza_ussd_resumes_total", "counter",
	"USSD sessions cut off and dialled again: resume menus offered, "
	"then continued (1) or restarted (2).",
	0, "result", resume_values, NULL, get_resumes},
    {"baraza_sms_parts_joined_total", "counter",
	"Long messages delivered part by part (Vonage) and joined: whole, or "
	"handed over without every part when multipart_timeout ran out.",
	0, "result", parts_values, has_parts, get_parts},
    {"baraza_flood_guard_evicted_total", "counter",
	"Numbers the flood guard forgot before their window ended, to make "
	"room for new ones.",
	0, NULL, NULL, NULL, get_evicted},
    {"baraza_webhook_refused_total", "counter", "Webhooks refused, by reason.",
	0, "reason", reason_values, NULL, get_refused},
    {"baraza_provider_sent_total", "counter",
	"Outbound messages accepted by the provider, by channel.", 1, NULL,
	NULL, has_dispatch, get_provider_sent},
    {"baraza_provider_errors_total", "counter",
	"Provider errors by channel and result: retried (temporary) or failed "
	"(permanent or expired).",
	1, "result", error_values, has_dispatch, get_provider_errors},
    {"baraza_spend_total", "counter",
	"Money spent on the segments sent since the gateway started, by "
	"channel, in the [gateway] currency (segments times the channel's "
	"cost_per_segment; channels with one only).",
	1, NULL, NULL, has_dispatch, get_spend},
    {"baraza_provider_inflight", "gauge",
	"Requests to the provider in flight, by channel.", 1, NULL, NULL,
	has_dispatch, get_provider_inflight},
    {"baraza_modem_signal_percent", "gauge",
	"Signal strength of each GSM modem channel at its last heartbeat.", 1,
	NULL, NULL, NULL, get_modem_signal},
    {"baraza_modem_up", "gauge",
	"1 when a GSM modem channel answered its last heartbeat.", 1, NULL,
	NULL, NULL, get_modem_up},
    {"baraza_smpp_links_bound", "gauge",
	"SMPP links of each smpp channel bound to the SMSC now (1 for a "
	"transceiver, 2 for a transmitter and a receiver).",
	1, NULL, NULL, NULL, get_smpp_bound},
    {"baraza_modem_failures_total", "counter",
	"Messages a GSM modem channel handed back unsent (failed or to "
	"retry), kept across gateway runs.",
	1, NULL, NULL, NULL, get_modem_failures},
    {"baraza_modem_restarts_total", "counter",
	"Restarts of a GSM modem channel's worker process, kept across "
	"gateway runs.",
	1, NULL, NULL, NULL, get_modem_restarts},
    {"baraza_events_queued", "gauge",
	"Event webhooks waiting in the store to be sent, all sections.", 0,
	NULL, NULL, has_events, get_events_waiting},
    {"baraza_events_total", "counter",
	"Event webhook attempts since start, by result: sent (answered 2xx), "
	"retried (to be tried again) or failed (given up after max_age).",
	0, "result", event_values, has_events, get_events},
};

/*
 * Appends one sample: name, its labels (k1 and k2 may be NULL) and its
 * value.
 */
static int
sample(struct buf *b, const char *name, const char *k1, const char *v1,
    const char *k2, const char *v2, const struct mvalue *v)
{
	int rc = 0;

	if (k1 == NULL)
		rc |= buf_puts(b, name);
	else {
		rc |= labels(b, name, k1, v1, k2, v2);
		rc |= buf_puts(b, "}");
	}
	switch (v->kind) {
	case MV_UINT:
		rc |= buf_printf(b, " %llu\n", (unsigned long long)v->u);
		break;
	case MV_INT:
		rc |= buf_printf(b, " %lld\n", (long long)v->i);
		break;
	case MV_FLOAT:
		rc |= buf_printf(b, " %g\n", v->d);
		break;
	case MV_MICRO:
		rc |= buf_printf(b, " %lld.%06lld\n",
		    (long long)(v->i / 1000000), (long long)(v->i % 1000000));
		break;
	}
	return rc ? -1 : 0;
}

/* Appends the samples v of family f, of channel (or NULL: the gateway). */
static int
samples(struct buf *b, const struct family_def *f, const char *channel,
    const struct mvalue *v)
{
	const char *k1 = channel != NULL ? "channel" : f->label;
	size_t k;
	int rc = 0;

	if (f->label == NULL)
		return sample(b, f->name, k1, channel, NULL, NULL, &v[0]);
	for (k = 0; f->values[k] != NULL; k++)
		if (channel != NULL)
			rc |= sample(b, f->name, k1, channel, f->label,
			    f->values[k], &v[k]);
		else
			rc |= sample(
			    b, f->name, k1, f->values[k], NULL, NULL, &v[k]);
	return rc;
}

/* Appends family f: its HELP and TYPE lines and its samples. */
static int
render_family(
    struct buf *b, const struct render_ctx *x, const struct family_def *f)
{
	const struct config *cfg = x->gw->cfg;
	struct mvalue v[MAX_LABEL_VALUES];
	size_t ch;
	int rc = 0;

	if (f->shown != NULL && !f->shown(x))
		return 0;
	rc |= family(b, f->name, f->type, f->help);
	if (!f->per_channel) {
		if (f->get(x, 0, v) == 0)
			rc |= samples(b, f, NULL, v);
		return rc;
	}
	for (ch = 0; cfg != NULL && ch < cfg->nchannels; ch++)
		if (f->get(x, ch, v) == 0)
			rc |= samples(b, f, cfg->channels[ch].name, v);
	return rc;
}

/* The gateway's own figures, family by family (see families). */
static int
render_gateway(struct gateway *gw, struct buf *b)
{
	struct render_ctx x;
	size_t i;
	int rc = 0;

	x.gw = gw;
	http_server_stats(&gw->http, &x.hs);
	for (i = 0; i < nitems(families); i++)
		rc |= render_family(b, &x, &families[i]);
	return rc ? -1 : 0;
}

/*
 * Whether the store's figures are to be read again at t (mono_ms): once
 * this gateway has committed since (at most once per METRICS_FRESH_MS,
 * since under load it writes at every loop turn), else once per
 * METRICS_CACHE_MS (for writes by other processes and nodes, and sessions
 * expiring). A read that took long spaces the reads out: at least
 * METRICS_READ_SPACING times its length apart, so that scrapes of a
 * large store keep to a share of a core.
 */
static int
store_stale(const struct gateway *gw, const struct metrics *m, int64_t t)
{
	int64_t fresh = METRICS_FRESH_MS, keep = METRICS_CACHE_MS;
	int64_t spaced = m->read_ms * METRICS_READ_SPACING;

	if (fresh < spaced)
		fresh = spaced;
	if (keep < spaced)
		keep = spaced;
	return m->cache_at == 0 || t < m->cache_at || t - m->cache_at >= keep ||
	       (m->cache_commits != gw->batch.commits &&
		   t - m->cache_at >= fresh);
}

/*
 * The store's figures c (rc 0: read), read at mono time t, become the
 * cache; a failed read leaves none. Returns 0 or -1.
 */
static int
keep_counts(struct gateway *gw, struct metrics *m, int rc,
    const struct metrics_counts *c, int64_t t, unsigned long long commits)
{
	buf_reset(&m->cache);
	m->cache_at = 0;
	if (rc != 0 || render_counts(&m->cache, c, gw->cfg) != 0) {
		buf_reset(&m->cache);
		return -1;
	}
	m->cache_at = t;
	m->cache_commits = commits;
	return 0;
}

/* Reads the store's figures on the loop into the cache (a test's way). */
static int
read_here(struct gateway *gw, struct metrics *m)
{
	struct metrics_counts c;
	unsigned long long commits = gw->batch.commits;
	int64_t t = mono_ms();
	int rc;

	rc = metrics_collect(gw->store, now_ms(), &c);
	rc = keep_counts(gw, m, rc, &c, t, commits);
	metrics_counts_free(&c);
	return rc;
}

/* The in-memory figures, then the store's as cached. */
static int
render_all(struct gateway *gw, struct metrics *m, struct buf *b)
{
	int rc = 0;

	rc |= render_gateway(gw, b);
	rc |= render_hooks(gw, b);
	if (m->cache.len > 0)
		rc |= buf_append(b, m->cache.data, m->cache.len);
	return rc ? -1 : 0;
}

int
metrics_render(struct gateway *gw, struct buf *b)
{
	struct metrics *m = metrics_get(gw);

	if (store_stale(gw, m, mono_ms()) && read_here(gw, m) != 0) {
		render_all(gw, m, b);
		return -1;
	}
	return render_all(gw, m, b);
}

/*
 * In the thread pool: the store's figures, on the reader's connection
 * (NULL: it cannot be opened, which store_open_reader has logged).
 */
static void
on_read(struct store *st, void *arg)
{
	struct metrics *m = arg;

	m->read_rc = -1;
	if (st == NULL)
		return;
	m->read_rc = metrics_collect(st, m->read_now, &m->read);
	if (m->read_rc != 0)
		log_warn("metrics", "store query failed error=\"%s\"",
		    store_errmsg(st));
}

static void
on_read_done(void *arg)
{
	struct metrics *m = arg;
	struct metrics_waiter waiting[METRICS_MAX_WAITING];
	size_t i, n = m->nwaiting;
	int ok;

	m->reading = 0;
	m->read_ms = mono_ms() - m->read_at;
	ok = keep_counts(m->gw, m, m->read_rc, &m->read, m->read_at,
		 m->read_commits) == 0;
	metrics_counts_free(&m->read);
	/* A callback may wait again: it joins the next read. */
	memcpy(waiting, m->waiting, n * sizeof(*waiting));
	m->nwaiting = 0;
	for (i = 0; i < n; i++)
		waiting[i].cb(waiting[i].arg, ok);
}

/* Starts a read of the store's figures in the thread pool: 0 or -1. */
static int
read_start(struct gateway *gw, struct metrics *m)
{
	if (m->reading)
		return 0;
	if (m->pool == NULL) {
		m->gw = gw;
		m->pool = pool_reader_new(gw->loop, gw->cfg->database,
		    gw->cfg->database_password, "metrics");
	}
	memset(&m->read, 0, sizeof(m->read));
	m->read_at = mono_ms();
	m->read_now = now_ms();
	m->read_commits = gw->batch.commits;
	if (pool_reader_submit(m->pool, on_read, on_read_done, m) != 0)
		return -1;
	m->reading = 1;
	return 0;
}

int
metrics_refresh(struct gateway *gw, metrics_ready_cb cb, void *arg)
{
	struct metrics *m = metrics_get(gw);

	if (!store_stale(gw, m, mono_ms())) {
		cb(arg, 1);
		return 0;
	}
	/* A database in memory is this connection's own: read it here. */
	if (gw->loop == NULL || gw->cfg == NULL || gw->cfg->database == NULL ||
	    strcmp(gw->cfg->database, ":memory:") == 0) {
		cb(arg, read_here(gw, m) == 0);
		return 0;
	}
	if (m->nwaiting == METRICS_MAX_WAITING)
		return -1;
	if (read_start(gw, m) != 0) {
		cb(arg, 0);
		return 0;
	}
	m->waiting[m->nwaiting].cb = cb;
	m->waiting[m->nwaiting].arg = arg;
	m->nwaiting++;
	return 0;
}

/* The store's figures are in (ok) or not: req gets its answer. */
static void
on_ready(void *arg, int ok)
{
	struct http_request *req = arg;
	struct gateway *gw = req->udata;
	struct buf b;

	buf_init(&b, METRICS_MAX_BYTES);
	if (!ok || render_all(gw, metrics_get(gw), &b) != 0)
		answer_error(req, 500, "metrics unavailable");
	else
		http_respond(
		    req, 200, "text/plain; version=0.0.4", b.data, b.len);
	buf_free(&b);
}

void
metrics_answer(struct gateway *gw, struct http_request *req)
{
	req->udata = gw;
	if (metrics_refresh(gw, on_ready, req) != 0)
		answer_error(req, 503, "metrics busy");
}

const char *
metrics_mask_phone(const char *num, char *out, size_t outlen)
{
	return scrub_phone(num, out, outlen);
}
