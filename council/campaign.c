/*
 * campaign.c: campaigns keyed to dates (campaign.h): the local calendar,
 * a run (what falls due in a window, rendered and queued with its mark),
 * the dry run, the next send, and the service that runs them in serve.
 *
 * Dates are computed on the proleptic Gregorian calendar in days since
 * 1970-01-01 (Howard Hinnant's days_from_civil), so month ends and leap
 * years need no special case; only turning a local date and time into an
 * instant asks the C library, for the offset of the time zone (TZ) then.
 */
#include "council/campaign.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "council/broadcast.h"
#include "council/budget.h"
#include "flows/template.h"
#include "gateway/gateway.h"
#include "gateway/outq.h"
#include "lib/gsm.h"
#include "lib/log.h"
#include "lib/phone.h"
#include "lib/util.h"

#define DAY_S INT64_C(86400)
#define MAX_WINDOW_DAYS 400 /* local dates one window may span */
#define MAX_COLUMNS 64      /* columns of a table looked at */

/*
 * The calendar.
 */

/* Days since 1970-01-01 of the proleptic Gregorian date y-m-d. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The date of z, days since 1970-01-01. */
static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
leap_year(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int
campaign_parse_date(const char *s, int64_t *days)
{
	static const int mdays[] = {
	    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int64_t y;
	int m, d, i;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -1;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1900 || m < 1 || m > 12 || d < 1 ||
	    d > mdays[m - 1] + (m == 2 && leap_year(y)))
		return -1;
	*days = days_from_civil(y, m, d);
	return 0;
}

void
campaign_format_date(int64_t days, char out[11])
{
	int64_t y;
	int m, d;

	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999) {
		memcpy(out, "0000-00-00", 11);
		return;
	}
	snprintf(out, 11, "%04d-%02d-%02d", (int)y, m, d);
}

/* The local time of t: 0 and *tm, or -1. */
static int
local_tm(time_t t, struct tm *tm)
{
	return localtime_r(&t, tm) == NULL ? -1 : 0;
}

int
campaign_local_day(int64_t ms, int64_t *days, int *minute)
{
	struct tm tm;
	int64_t s = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);

	if (local_tm((time_t)s, &tm) != 0)
		return -1;
	*days = days_from_civil(
	    (int64_t)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	if (minute != NULL)
		*minute = tm.tm_hour * 60 + tm.tm_min;
	return 0;
}

/*
 * The instant of a local wall time: w is that wall time read as if it were
 * UTC (seconds). The zone's offset is taken a day before, at and a day
 * after w; each offset o that holds at w - o gives an instant showing that
 * wall time, and the earliest wins (a repeated hour: its first time). When
 * none holds, the wall time falls in a gap and is read with the offset
 * before the gap, which puts it as far past the gap as it was into it.
 */
int
campaign_local_ms(int64_t days, int minute, int64_t *ms)
{
	struct tm tm;
	int64_t w, t, best = 0;
	long off[3];
	int i, found = 0;

	if (minute < 0 || minute > 1439 || days < -800000 || days > 3000000)
		return -1;
	w = days * DAY_S + minute * 60;
	for (i = 0; i < 3; i++) {
		if (local_tm((time_t)(w + (i - 1) * DAY_S), &tm) != 0)
			return -1;
		off[i] = tm.tm_gmtoff;
	}
	for (i = 0; i < 3; i++) {
		t = w - off[i];
		if (local_tm((time_t)t, &tm) != 0 || tm.tm_gmtoff != off[i])
			continue;
		if (!found || t < best)
			best = t;
		found = 1;
	}
	if (!found)
		best = w - off[0];
	*ms = best * 1000;
	return 0;
}

int
campaign_due_ms(
    int64_t row_date, const struct config_campaign_send *s, int64_t *ms)
{
	return campaign_local_ms(row_date + s->days, s->minute, ms);
}

int64_t
campaign_window_start(int64_t last_run, int64_t at)
{
	int64_t start = last_run >= 0 ? last_run : at - CAMPAIGN_TICK_MS;
	int64_t day, midnight;

	if (campaign_local_day(at, &day, NULL) == 0 &&
	    campaign_local_ms(day, 0, &midnight) == 0 && start < midnight - 1)
		start = midnight - 1; /* the window includes midnight */
	if (start > at)
		start = at;
	return start;
}

/*
 * A run of one campaign.
 */

/* A row that falls due, and what becomes of it. */
struct due_row {
	char *key;                     /* the row's key */
	char *row;                     /* the row, JSON */
	char *date;                    /* its date, as written */
	int64_t due;                   /* when it falls due, ms */
	int offset;                    /* the send's offset */
	size_t seq;                    /* order found, for a stable sort */
	char phone[PHONE_MAX];         /* E.164 */
	char raw[PHONE_INPUT_MAX + 1]; /* the column's text, cut short */
	const char *phone_text;        /* phone, or raw when it is bad */
	char *text;                    /* rendered, or NULL when skipped */
	const char *skipped;           /* why it is skipped, or NULL */
	const char *channel;           /* owned by the config */
	int64_t contact_id;            /* 0 when none (a dry run) */
	int segments;                  /* SMS parts */
};

/* A row date due for the send at hand, and when. */
struct due_date {
	char date[11];
	int64_t due;
};

/* The state of one campaign's run or dry run. */
struct run {
	struct store *st;
	const struct config *cfg;
	const struct config_campaign *c;
	int dry;                     /* 1: write nothing */
	int64_t now;                 /* wall clock for the messages */
	struct campaign_totals *tot; /* the figures */
	struct due_row *rows;        /* nrows, found so far */
	size_t nrows, cap;
	const struct due_date *dates; /* the current send's dates */
	size_t ndates;
	int offset;                 /* the current send's offset */
	char *columns[MAX_COLUMNS]; /* the table's, once looked at */
	size_t ncolumns;
	int looked;  /* 1: the table was looked at */
	json_t *obj; /* the row being rendered */
};

static void
run_free(struct run *r)
{
	size_t i;

	for (i = 0; i < r->nrows; i++) {
		free(r->rows[i].key);
		free(r->rows[i].row);
		free(r->rows[i].date);
		free(r->rows[i].text);
	}
	free(r->rows);
	for (i = 0; i < r->ncolumns; i++)
		free(r->columns[i]);
	r->rows = NULL;
	r->nrows = r->cap = r->ncolumns = 0;
}

static int
on_column(void *arg, const char *name)
{
	struct run *r = arg;

	if (r->ncolumns < MAX_COLUMNS)
		r->columns[r->ncolumns++] = xstrdup(name);
	return 0;
}

static int
has_column(const struct run *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->ncolumns; i++)
		if (strcmp(r->columns[i], name) == 0)
			return 1;
	return 0;
}

/* The first column the campaign names that the table lacks, or NULL. */
static const char *
missing_column(const struct run *r)
{
	const struct config_campaign *c = r->c;
	size_t i, j;

	if (!has_column(r, c->phone))
		return c->phone;
	if (!has_column(r, c->date))
		return c->date;
	for (i = 0; i < c->ntexts; i++) {
		const struct template *t = c->texts[i].tmpl;

		for (j = 0; t != NULL && j < t->nparts; j++)
			if (t->parts[j].kind == TPART_VAR &&
			    !has_column(r, t->parts[j].root))
				return t->parts[j].root;
	}
	return NULL;
}

/*
 * Looks at the campaign's table once a run, when something falls due.
 * Returns 0 when it can be used, 1 when not (logged), or STORE_ERR.
 */
static int
look_at_table(struct run *r)
{
	const char *col;
	int rc;

	if (r->looked)
		return r->tot->no_table ? 1 : 0;
	r->looked = 1;
	rc = store_campaign_columns(r->st, r->c->table, on_column, r);
	if (rc != 0 && rc != STORE_ENOTABLE)
		return STORE_ERR;
	if (rc == STORE_ENOTABLE)
		snprintf(r->tot->problem, sizeof(r->tot->problem),
		    "the table %s was never imported", r->c->table);
	else if ((col = missing_column(r)) != NULL)
		snprintf(r->tot->problem, sizeof(r->tot->problem),
		    "the table %s has no column %.64s", r->c->table, col);
	else
		return 0;
	r->tot->no_table = 1;
	if (!r->dry)
		log_warn("campaign", "nothing sent campaign=%s why=\"%s\"",
		    r->c->name, r->tot->problem);
	return 1;
}

/* store_campaign_due's callback: keeps a copy of the row. */
static int
on_due_row(void *arg, const struct store_campaign_row *sr)
{
	struct run *r = arg;
	struct due_row *d;
	size_t i;

	for (i = 0; i < r->ndates; i++)
		if (strcmp(r->dates[i].date, sr->date) == 0)
			break;
	if (i == r->ndates)
		return 0;
	if (r->nrows == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		r->rows = xrealloc(r->rows, r->cap * sizeof(*r->rows));
	}
	d = &r->rows[r->nrows];
	memset(d, 0, sizeof(*d));
	d->key = xstrdup(sr->key);
	d->row = xstrdup(sr->row);
	d->date = xstrdup(sr->date);
	d->due = r->dates[i].due;
	d->offset = r->offset;
	d->seq = r->nrows++;
	return 0;
}

/*
 * Finds the rows that send s makes due in (from, to]. Returns 0 or
 * STORE_ERR.
 */
static int
find_send(struct run *r, const struct config_campaign_send *s, int64_t from,
    int64_t to)
{
	struct store_campaign_query q;
	struct due_date dates[MAX_WINDOW_DAYS];
	struct buf json;
	int64_t d0, d1, d, t;
	size_t n = 0, i;
	int rc;

	if (to <= from || campaign_local_day(from, &d0, NULL) != 0 ||
	    campaign_local_day(to, &d1, NULL) != 0)
		return 0;
	if (d1 - d0 >= MAX_WINDOW_DAYS)
		d0 = d1 - MAX_WINDOW_DAYS + 1;
	for (d = d0; d <= d1; d++) {
		if (campaign_local_ms(d, s->minute, &t) != 0 || t <= from ||
		    t > to)
			continue;
		campaign_format_date(d - s->days, dates[n].date);
		dates[n++].due = t;
	}
	if (n == 0)
		return 0;
	if ((rc = look_at_table(r)) != 0)
		return rc < 0 ? rc : 0;
	buf_init(&json, 16 * MAX_WINDOW_DAYS);
	buf_puts(&json, "[");
	for (i = 0; i < n; i++)
		buf_printf(&json, "%s\"%s\"", i ? "," : "", dates[i].date);
	buf_puts(&json, "]");
	q.campaign = r->c->name;
	q.table = r->c->table;
	q.date_column = r->c->date;
	q.offset_days = s->days;
	r->dates = dates;
	r->ndates = n;
	r->offset = s->days;
	rc = store_campaign_due(r->st, &q, buf_cstr(&json), on_due_row, r);
	r->dates = NULL;
	r->ndates = 0;
	buf_free(&json);
	return rc;
}

static int
due_cmp(const void *a, const void *b)
{
	const struct due_row *x = a, *y = b;

	if (x->due != y->due)
		return x->due < y->due ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The template's resolver: a placeholder is a column of the row. */
static int
resolve(void *arg, const char *root, const char *fld, const char *path,
    struct buf *out)
{
	struct run *r = arg;
	const char *v = json_string_value(json_object_get(r->obj, root));

	(void)fld;
	(void)path;
	if (v == NULL)
		return 0;
	return buf_puts(out, v) < 0 ? -1 : 0;
}

/*
 * Works out the message of row d: its number, contact, language, text and
 * channel, or why it is skipped. A run creates the contact it needs (in
 * the caller's transaction). Returns 0 or STORE_ERR.
 */
static int
prepare(struct run *r, struct due_row *d)
{
	const struct config_campaign *c = r->c;
	const struct template *t;
	struct store_contact ct;
	struct gsm_info gi;
	struct buf text;
	const char *raw;
	int rc;

	d->phone_text = "";
	if ((r->obj = json_loads(d->row, 0, NULL)) == NULL) {
		d->skipped = "unreadable row";
		return 0;
	}
	raw = json_string_value(json_object_get(r->obj, c->phone));
	snprintf(d->raw, sizeof(d->raw), "%s", raw != NULL ? raw : "");
	d->phone_text = d->raw;
	if ((rc = phone_normalize(d->phone_text, r->cfg->country_code, d->phone,
		 sizeof(d->phone))) != 0) {
		d->skipped = "bad phone number";
		if (!r->dry)
			log_warn("campaign",
			    "bad phone number, row skipped campaign=%s "
			    "key=\"%.64s\" "
			    "error=\"%s\"",
			    c->name, d->key, phone_strerror(rc));
		goto out;
	}
	d->phone_text = d->phone;
	memset(&ct, 0, sizeof(ct));
	rc = r->dry ? store_contact_find(r->st, d->phone, &ct)
		    : store_contact_get(r->st, d->phone, r->now, &ct);
	if (rc < 0) {
		json_decref(r->obj);
		r->obj = NULL;
		return STORE_ERR;
	}
	if (rc == 0 && ct.opted_out) {
		d->skipped = "opted out";
		store_contact_free(&ct);
		goto out;
	}
	d->contact_id = ct.id;
	t = config_campaign_text(c, ct.language);
	d->channel = broadcast_channel_for(r->cfg, ct.last_channel,
	    c->channel != NULL ? c->channel : r->cfg->default_channel);
	store_contact_free(&ct);
	buf_init(&text, CAMPAIGN_MAX_TEXT);
	if (t == NULL || template_render(t, &text, resolve, r) != 0) {
		d->skipped = "text too long";
		if (!r->dry)
			log_warn("campaign",
			    "text over %d bytes, row skipped campaign=%s "
			    "key=\"%.64s\"",
			    CAMPAIGN_MAX_TEXT, c->name, d->key);
	} else if (text.len == 0) {
		d->skipped = "empty text";
	} else {
		d->text = xstrdup(buf_cstr(&text));
		gsm_count(d->text, &gi);
		d->segments = (int)gi.segments;
	}
	buf_free(&text);
out:
	json_decref(r->obj);
	r->obj = NULL;
	return 0;
}

/* Counts row d into the totals. */
static void
count_row(struct run *r, const struct due_row *d)
{
	if (d->text != NULL) {
		r->tot->queued++;
		r->tot->segments += d->segments;
		budget_add(&r->tot->send, r->cfg, d->channel, d->segments);
	} else if (d->skipped != NULL && strcmp(d->skipped, "opted out") == 0) {
		r->tot->opted_out++;
	} else {
		r->tot->bad++;
	}
}

/* Tells cb of row d. */
static void
tell(const struct run *r, const struct due_row *d, campaign_message_cb cb,
    void *arg)
{
	struct campaign_message m;

	if (cb == NULL)
		return;
	m.campaign = r->c;
	m.due = d->due;
	m.phone = d->phone_text;
	m.text = d->text;
	m.skipped = d->text != NULL ? NULL : d->skipped;
	m.channel = d->channel;
	cb(arg, &m);
}

/*
 * Finds and prepares everything due in (from, to], in time order. Returns
 * 0 or STORE_ERR.
 */
static int
gather(struct run *r, int64_t from, int64_t to)
{
	size_t i;
	int rc;

	tzset();
	for (i = 0; i < r->c->nsends; i++)
		if ((rc = find_send(r, &r->c->sends[i], from, to)) != 0)
			return rc;
	if (r->nrows > 1)
		qsort(r->rows, r->nrows, sizeof(*r->rows), due_cmp);
	for (i = 0; i < r->nrows; i++) {
		if ((rc = prepare(r, &r->rows[i])) != 0)
			return rc;
		count_row(r, &r->rows[i]);
	}
	return 0;
}

/*
 * Whether the day's budgets (council/budget.h) let the run queue its
 * messages, which go out now: 1 yes; 0 no, and why (with the figures) is
 * in r->tot->held_why; or STORE_ERR. A campaign is a bulk send that no
 * admin stands behind: past a budget it is held, never forced.
 */
static int
budget_allows(struct run *r)
{
	struct budget_send bs;
	struct budget_figures fig;
	size_t i;
	int rc;

	if (!budget_any(r->cfg))
		return 1;
	memset(&bs, 0, sizeof(bs));
	for (i = 0; i < r->nrows; i++)
		if (r->rows[i].text != NULL)
			budget_add(&bs, r->cfg, r->rows[i].channel,
			    r->rows[i].segments);
	rc = budget_check(r->st, r->cfg, &bs, r->now, r->now, &fig);
	if (rc == BUDGET_OVER) {
		budget_message(
		    &fig, r->tot->held_why, sizeof(r->tot->held_why));
		return 0;
	}
	return rc == 0 ? 1 : STORE_ERR;
}

/* Queues the prepared messages with their marks. Returns 0 or STORE_ERR. */
static int
queue_all(struct run *r)
{
	struct outq_msg m;
	int64_t id;
	size_t i;
	int rc;

	for (i = 0; i < r->nrows; i++) {
		struct due_row *d = &r->rows[i];

		if (d->text == NULL)
			continue;
		memset(&m, 0, sizeof(m));
		m.channel = d->channel;
		m.phone = d->phone;
		m.text = d->text;
		m.contact_id = d->contact_id;
		if (outq_enqueue(r->st, &m, r->now, &id) != 0)
			return STORE_ERR;
		rc = store_campaign_mark(
		    r->st, r->c->name, d->key, d->offset, d->date, id, r->now);
		if (rc != 0) {
			log_warn("campaign",
			    "marked already, run rolled back campaign=%s "
			    "key=\"%.64s\"",
			    r->c->name, d->key);
			return STORE_ERR;
		}
	}
	return 0;
}

/* One campaign's run at `at`, in its own transaction or savepoint. */
static int
run_one(struct store *st, const struct config *cfg,
    const struct config_campaign *c, int64_t at, int64_t now,
    campaign_message_cb cb, void *arg, struct campaign_totals *tot)
{
	struct run r;
	int64_t last = -1;
	int nested = store_in_transaction(st), rc;
	size_t i;

	memset(&r, 0, sizeof(r));
	r.st = st;
	r.cfg = cfg;
	r.c = c;
	r.now = now;
	r.tot = tot;
	if ((nested ? store_savepoint(st) : store_begin(st)) != 0)
		return STORE_ERR;
	rc = store_campaign_last_run(st, c->name, &last);
	if (rc == STORE_NOTFOUND)
		last = -1;
	else if (rc != 0)
		goto fail;
	if ((rc = gather(&r, campaign_window_start(last, at), at)) != 0)
		goto fail;
	if (tot->queued > 0 && (rc = budget_allows(&r)) < 0)
		goto fail;
	if (tot->queued > 0 && rc == 0) {
		/* Held: nothing queued (the totals say what would have
		 * been), and the window stays where it was, so the next
		 * runs of the day look at it again. */
		tot->held = 1;
	} else {
		if ((rc = queue_all(&r)) != 0)
			goto fail;
		if ((rc = store_campaign_set_last_run(st, c->name, at)) != 0)
			goto fail;
	}
	if ((nested ? store_release(st) : store_commit(st)) != 0) {
		rc = STORE_ERR;
		goto fail;
	}
	for (i = 0; i < r.nrows && !tot->held; i++)
		tell(&r, &r.rows[i], cb, arg);
	run_free(&r);
	return 0;
fail:
	if (nested)
		store_rollback_to(st);
	else
		store_rollback(st);
	log_warn("campaign", "run rolled back campaign=%s error=\"%s\"",
	    c->name, store_errmsg(st));
	run_free(&r);
	memset(tot, 0, sizeof(*tot));
	return STORE_ERR;
}

int
campaign_run(struct store *st, const struct config *cfg, int64_t at,
    int64_t now, campaign_message_cb cb, void *arg,
    struct campaign_totals *totals)
{
	struct campaign_totals one;
	size_t i;
	int rc = 0;

	for (i = 0; i < cfg->ncampaigns; i++) {
		struct campaign_totals *t = totals != NULL ? &totals[i] : &one;

		memset(t, 0, sizeof(*t));
		if (run_one(st, cfg, &cfg->campaigns[i], at, now, cb, arg, t) !=
		    0)
			rc = STORE_ERR;
	}
	return rc;
}

int
campaign_plan(struct store *st, const struct config *cfg,
    const struct config_campaign *c, int64_t from, int64_t to,
    campaign_message_cb cb, void *arg, struct campaign_totals *totals)
{
	struct run r;
	size_t i;
	int rc;

	memset(totals, 0, sizeof(*totals));
	memset(&r, 0, sizeof(r));
	r.st = st;
	r.cfg = cfg;
	r.c = c;
	r.dry = 1;
	r.now = from;
	r.tot = totals;
	if ((rc = gather(&r, from, to)) == 0)
		for (i = 0; i < r.nrows; i++)
			tell(&r, &r.rows[i], cb, arg);
	run_free(&r);
	return rc;
}

/* The next date's state in campaign_next(). */
struct next_state {
	const struct config_campaign_send *s;
	int64_t at;    /* after this */
	int64_t due;   /* found: when, or -1 */
	int64_t count; /* and how many */
};

static int
on_next_date(void *arg, const char *date, int64_t n)
{
	struct next_state *ns = arg;
	int64_t day, due;

	if (campaign_parse_date(date, &day) != 0 ||
	    campaign_due_ms(day, ns->s, &due) != 0 || due <= ns->at)
		return 0;
	ns->due = due;
	ns->count = n;
	return 1;
}

int
campaign_next(struct store *st, const struct config_campaign *c, int64_t at,
    int64_t *next, int64_t *count)
{
	struct store_campaign_query q;
	struct next_state ns;
	char from[11];
	int64_t today, t;
	size_t i;
	int rc, minute;

	*next = -1;
	*count = 0;
	tzset();
	if ((rc = store_campaign_columns(st, c->table, NULL, NULL)) != 0)
		return rc;
	if (campaign_local_day(at, &today, &minute) != 0)
		return STORE_ERR;
	q.campaign = c->name;
	q.table = c->table;
	q.date_column = c->date;
	for (i = 0; i < c->nsends; i++) {
		const struct config_campaign_send *s = &c->sends[i];
		int64_t first = today - s->days;

		if (campaign_local_ms(today, s->minute, &t) == 0 && t <= at)
			first++;
		campaign_format_date(first, from);
		q.offset_days = s->days;
		ns.s = s;
		ns.at = at;
		ns.due = -1;
		ns.count = 0;
		if ((rc = store_campaign_dates(
			 st, &q, from, on_next_date, &ns)) != 0)
			return rc;
		if (ns.due < 0)
			continue;
		if (*next < 0 || ns.due < *next) {
			*next = ns.due;
			*count = ns.count;
		} else if (ns.due == *next) {
			*count += ns.count;
		}
	}
	return 0;
}

/*
 * The service in serve.
 */

/* What a run queued, logged after the batch's commit. */
struct run_job {
	const struct config *cfg;       /* the campaigns' names */
	struct campaign_totals *totals; /* ncampaigns */
	unsigned char *loud;            /* ncampaigns: 1 to log a hold as a
					   warning (its first that day) */
};

static void
on_run_committed(void *arg, int ok)
{
	struct run_job *j = arg;
	size_t i;

	for (i = 0; i < j->cfg->ncampaigns; i++) {
		const struct campaign_totals *t = &j->totals[i];
		const char *name = j->cfg->campaigns[i].name;

		if (!ok && (t->queued > 0 || t->opted_out > 0 || t->bad > 0))
			log_warn("campaign",
			    "run rolled back, next try in a minute "
			    "campaign=%s",
			    name);
		else if (t->held)
			log_msg(j->loud[i] ? L_WARN : L_DEBUG, "campaign",
			    "held by the daily budget, nothing queued, tried "
			    "again each minute today campaign=%s count=%lld "
			    "why=\"%s\"",
			    name, (long long)t->queued, t->held_why);
		else if (t->queued > 0 || t->opted_out > 0 || t->bad > 0)
			log_info("campaign",
			    "queued campaign=%s count=%lld segments=%lld "
			    "opted_out=%lld skipped=%lld",
			    name, (long long)t->queued, (long long)t->segments,
			    (long long)t->opted_out, (long long)t->bad);
	}
	free(j->totals);
	free(j->loud);
	free(j);
}

/* The delay to one second past the next minute. */
static uint64_t
next_delay(void)
{
	int64_t now = now_ms();
	int64_t next = (now / CAMPAIGN_TICK_MS + 1) * CAMPAIGN_TICK_MS + 1000;

	return (uint64_t)(next - now);
}

static void
on_campaign_timer(uv_timer_t *t)
{
	struct campaign_service *cs =
	    container_of(t, struct campaign_service, timer);
	struct gateway *gw = cs->gw;
	struct run_job *j;
	int64_t now = now_ms(), today = -1;
	size_t i;

	if (gw->stopping)
		return;
	uv_timer_start(&cs->timer, on_campaign_timer, next_delay(), 0);
	if (batch_begin(&gw->batch) != 0) {
		log_warn("campaign", "run skipped: the store is busy");
		return;
	}
	j = xcalloc(1, sizeof(*j));
	j->cfg = gw->cfg;
	j->totals = xcalloc(gw->cfg->ncampaigns, sizeof(*j->totals));
	/* A campaign that fails is rolled back and logged; the others
	 * stand, and the next run looks at its window again. */
	(void)campaign_run(gw->store, gw->cfg, now, now, NULL, NULL, j->totals);
	/* A hold is a warning once a campaign and day, then debug. */
	j->loud = xcalloc(gw->cfg->ncampaigns, 1);
	(void)campaign_local_day(now, &today, NULL);
	for (i = 0; i < gw->cfg->ncampaigns; i++) {
		if (!j->totals[i].held || cs->held_day[i] == today)
			continue;
		cs->held_day[i] = today;
		j->loud[i] = 1;
	}
	batch_defer(&gw->batch, on_run_committed, j);
}

void
campaign_start(struct gateway *gw, void **state)
{
	struct campaign_service *cs;
	size_t i;

	if (gw->cfg->ncampaigns == 0 || *state != NULL)
		return;
	cs = xcalloc(1, sizeof(*cs));
	cs->gw = gw;
	cs->held_day = xcalloc(gw->cfg->ncampaigns, sizeof(*cs->held_day));
	for (i = 0; i < gw->cfg->ncampaigns; i++)
		cs->held_day[i] = INT64_MIN;
	uv_timer_init(gw->loop, &cs->timer);
	uv_timer_start(&cs->timer, on_campaign_timer, CAMPAIGN_FIRST_RUN_MS, 0);
	/* A minute's timer must not hold a stopping gateway's loop open. */
	uv_unref((uv_handle_t *)&cs->timer);
	*state = cs;
	log_info("campaign", "campaigns run every minute count=%zu",
	    gw->cfg->ncampaigns);
}

static void
on_campaign_closed(uv_handle_t *h)
{
	struct campaign_service *cs =
	    container_of((uv_timer_t *)h, struct campaign_service, timer);

	free(cs->held_day);
	free(cs);
}

void
campaign_stop(struct gateway *gw, void **state)
{
	struct campaign_service *cs = *state;

	(void)gw;
	if (cs == NULL)
		return;
	*state = NULL;
	uv_close((uv_handle_t *)&cs->timer, on_campaign_closed);
}
