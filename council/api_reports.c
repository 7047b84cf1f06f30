/*
 * api_reports.c: the lists of /api/v1/reports for the console and any
 * client: filters (status, category, words in the location or details,
 * age), paging with a cursor, the same list as CSV (GET
 * /api/v1/reports.csv), several reports changed at once (PATCH
 * /api/v1/reports) and the SMS a change would send (GET
 * /api/v1/reports/ID/preview). One report (GET and PATCH
 * /api/v1/reports/ID) stays council/reports.c's (reports_api).
 *
 * GET /api/v1/reports without `cursor` and `limit` answers as it always
 * did: {"reports": [...]}, at most REPORTS_LIST_MAX, newest first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "council/api_common.h"
#include "council/reports.h"
#include "gateway/answer.h"
#include "gateway/auth.h"
#include "gateway/gateway.h"
#include "lib/log.h"
#include "lib/scrub.h"
#include "lib/util.h"

#define REPORTS_CSV_MAX 100000               /* reports in one CSV */
#define REPORTS_CSV_BYTES (64 * 1024 * 1024) /* bytes of one CSV */
#define REPORTS_WORDS_MAX 200                /* bytes of a words filter */
#define DAY_MS (24 * 3600 * 1000LL)

/* The filters of a list, parsed from the query; the lists point into it. */
struct filters {
	struct store_report_query q;
	char *statuses_copy, *categories_copy;
	char *statuses[REPORTS_FILTER_MAX];
	char *categories[REPORTS_FILTER_MAX];
};

static void
filters_free(struct filters *f)
{
	free(f->statuses_copy);
	free(f->categories_copy);
}

/*
 * Reads status=S[,S], category=C[,C], q=WORDS and older_than_days=N into
 * *f. Returns 0, or answers 400 and returns -1.
 */
static int
filters_parse(struct http_request *req, const struct form *q, struct filters *f)
{
	const char *v;
	char msg[160];
	int64_t days;
	int i, n;

	memset(f, 0, sizeof(*f));
	if ((v = form_get(q, "status")) != NULL) {
		f->statuses_copy = xstrdup(v);
		n = str_split_commas(
		    f->statuses_copy, f->statuses, nitems(f->statuses));
		if (n <= 0) {
			answer_error(req, 400, "bad status list");
			return -1;
		}
		for (i = 0; i < n; i++)
			if (!store_report_status_valid(f->statuses[i])) {
				snprintf(msg, sizeof(msg),
				    "unknown status \"%.40s\": use open, "
				    "acknowledged, in_progress, resolved or "
				    "closed",
				    f->statuses[i]);
				answer_error(req, 400, msg);
				return -1;
			}
		f->q.statuses = (const char *const *)f->statuses;
		f->q.nstatuses = (size_t)n;
	}
	if ((v = form_get(q, "category")) != NULL && *v != '\0') {
		f->categories_copy = xstrdup(v);
		n = str_split_commas(
		    f->categories_copy, f->categories, nitems(f->categories));
		if (n <= 0) {
			answer_error(req, 400, "bad category list");
			return -1;
		}
		f->q.categories = (const char *const *)f->categories;
		f->q.ncategories = (size_t)n;
	}
	if ((v = form_get(q, "q")) != NULL && *v != '\0') {
		if (strlen(v) > REPORTS_WORDS_MAX) {
			answer_error(req, 400, "\"q\" is too long");
			return -1;
		}
		if (api_viewer_words(req, "q", v) != 0)
			return -1;
		f->q.words = v;
	}
	if ((v = form_get(q, "older_than_days")) != NULL && *v != '\0') {
		if ((days = str_id(v)) < 0 && strcmp(v, "0") != 0) {
			answer_error(req, 400,
			    "\"older_than_days\" is a whole number of days");
			return -1;
		}
		if (days < 0)
			days = 0;
		if (days > 100000)
			days = 100000;
		f->q.has_until = 1;
		f->q.until = now_ms() - days * DAY_MS;
	}
	return 0;
}

static int
list_cb(void *arg, const struct store_report *r, const char *last_note)
{
	json_array_append_new(arg, reports_json(r, last_note));
	return 0;
}

/* GET /api/v1/reports?status=&category=&q=&older_than_days=&cursor=&limit= */
static void
list(struct gateway *gw, struct http_request *req)
{
	struct filters f;
	struct api_page page;
	struct form q;
	int paged;
	int64_t next;
	json_t *a;

	memset(&f, 0, sizeof(f));
	if (api_query(req, &q) != 0 || filters_parse(req, &q, &f) != 0 ||
	    api_page(req, &q, &page) != 0)
		goto out;
	paged = form_get(&q, "cursor") != NULL || form_get(&q, "limit") != NULL;
	f.q.before = paged ? page.before : 0;
	f.q.limit = paged ? page.limit : REPORTS_LIST_MAX;
	a = json_array();
	if (store_console_reports(gw->store, &f.q, list_cb, a, &next) != 0) {
		json_decref(a);
		api_store_failed(req);
		goto out;
	}
	if (paged)
		api_answer(req, 200, api_paged(a, next));
	else
		api_answer(req, 200, json_pack("{s:o}", "reports", a));
out:
	filters_free(&f);
	form_free(&q);
}

/*
 * Appends s as one CSV field (RFC 4180): quoted when it holds a comma, a
 * quote or a line break. A field that a spreadsheet would take for a
 * formula (it starts with = + - @ or a tab) gets a leading apostrophe.
 */
static int
csv_field(struct buf *b, const char *s, int last)
{
	int quote = 0, rc = 0;
	const char *p;

	if (s == NULL)
		s = "";
	quote = strpbrk(s, ",\"\r\n") != NULL;
	if (quote)
		rc |= buf_puts(b, "\"");
	if (s[0] != '\0' && strchr("=+-@\t", s[0]) != NULL)
		rc |= buf_puts(b, "'");
	for (p = s; *p != '\0' && rc == 0; p++)
		rc |= *p == '"' ? buf_puts(b, "\"\"") : buf_append(b, p, 1);
	if (quote)
		rc |= buf_puts(b, "\"");
	rc |= buf_puts(b, last ? "\r\n" : ",");
	return rc;
}

/* The CSV being built. */
struct csv {
	struct buf b;
	size_t rows;
	int full; /* REPORTS_CSV_BYTES was reached */
	int mask; /* a viewer's: numbers in free text masked */
};

/* A free-text field as the reader may see it (api_answer's rule). */
static int
csv_text(struct csv *c, const char *s, int last)
{
	char *m;
	int rc;

	if (!c->mask || s == NULL)
		return csv_field(&c->b, s, last);
	m = scrub_mask_numbers(s);
	rc = csv_field(&c->b, m, last);
	free(m);
	return rc;
}

static int
csv_cb(void *arg, const struct store_report *r, const char *note)
{
	struct csv *c = arg;
	char id[24], created[32], updated[32];
	size_t len = c->b.len;
	int rc = 0;

	snprintf(id, sizeof(id), "%lld", (long long)r->id);
	iso8601_utc(r->created, created, sizeof(created));
	iso8601_utc(r->updated, updated, sizeof(updated));
	rc |= csv_field(&c->b, id, 0);
	rc |= csv_field(&c->b, r->status, 0);
	rc |= csv_field(&c->b, r->category, 0);
	rc |= csv_text(c, r->location, 0);
	rc |= csv_text(c, r->details, 0);
	rc |= csv_field(&c->b, r->flow, 0);
	rc |= csv_field(&c->b, created, 0);
	rc |= csv_field(&c->b, updated, 0);
	rc |= csv_text(c, note, 1);
	if (rc != 0) {
		/* Over the limit: the rows so far, whole. */
		c->b.len = len;
		c->b.data[len] = '\0';
		c->full = 1;
		return 1;
	}
	c->rows++;
	return 0;
}

/* GET /api/v1/reports.csv: the list's filters, every match as CSV. */
static void
csv(struct gateway *gw, struct http_request *req)
{
	static const char header[] = "id,status,category,location,details,"
				     "flow,created,updated,last_note\r\n";
	struct filters f;
	struct form q;
	struct csv c;
	int64_t next;

	memset(&f, 0, sizeof(f));
	memset(&c, 0, sizeof(c));
	c.mask = auth_principal(req) != NULL &&
		 auth_principal(req)->role == ROLE_VIEWER;
	buf_init(&c.b, REPORTS_CSV_BYTES);
	if (api_query(req, &q) != 0 || filters_parse(req, &q, &f) != 0)
		goto out;
	f.q.limit = REPORTS_CSV_MAX;
	buf_puts(&c.b, header);
	if (store_console_reports(gw->store, &f.q, csv_cb, &c, &next) != 0) {
		api_store_failed(req);
		goto out;
	}
	if (c.full)
		log_warn("api", "reports.csv cut at the size limit rows=%zu",
		    c.rows);
	http_respond_ex(req, 200, "text/csv; charset=utf-8",
	    "Content-Disposition: attachment; filename=\"reports.csv\"\r\n",
	    c.b.data, c.b.len);
out:
	buf_free(&c.b);
	filters_free(&f);
	form_free(&q);
}

/* Reads the ids of a bulk change: 1 to API_LIMIT_MAX report numbers. */
static int
read_ids(json_t *a, int64_t *ids, size_t *n)
{
	size_t i, k;
	json_t *v;

	if (!json_is_array(a) || json_array_size(a) == 0 ||
	    json_array_size(a) > API_LIMIT_MAX)
		return -1;
	json_array_foreach(a, i, v)
	{
		if (!json_is_integer(v) || json_integer_value(v) < 1)
			return -1;
		ids[i] = json_integer_value(v);
		for (k = 0; k < i; k++)
			if (ids[k] == ids[i])
				return -1;
	}
	*n = json_array_size(a);
	return 0;
}

/* The report as reports_json() shows it with what the change sent. */
static json_t *
changed_json(
    struct store *st, int64_t id, const struct reports_update_result *res)
{
	struct store_report r;
	char *note;
	json_t *o;

	if (store_report_get(st, id, &r) != 0)
		o = json_pack("{s:I}", "id", (json_int_t)id);
	else {
		note = reports_last_note(st, id);
		o = reports_json(&r, note);
		free(note);
		store_report_free(&r);
	}
	json_object_set_new(o, "sms_id",
	    res->message_id > 0 ? json_integer(res->message_id) : json_null());
	if (res->no_sms != NULL)
		json_object_set_new(o, "sms_skipped", json_string(res->no_sms));
	return o;
}

/* PATCH /api/v1/reports {"ids": [...], "status", "note"?}: all or none. */
static void
bulk(struct gateway *gw, struct http_request *req)
{
	struct reports_update_result res;
	int64_t ids[API_LIMIT_MAX], now = now_ms();
	const char *status, *note;
	char msg[120], object[40], detail[64];
	json_t *o, *js, *jn, *items = NULL;
	size_t n = 0, i;
	int rc = 0;

	if (auth_require(req, ROLE_STAFF) != 0 ||
	    (o = api_body_object(req)) == NULL)
		return;
	js = json_object_get(o, "status");
	jn = json_object_get(o, "note");
	status = json_string_value(js);
	note = json_string_value(jn);
	if (read_ids(json_object_get(o, "ids"), ids, &n) != 0) {
		answer_error(req, 400,
		    "\"ids\" is a list of 1 to 200 different report numbers");
		goto out;
	}
	if ((js != NULL && !json_is_string(js) && !json_is_null(js)) ||
	    (jn != NULL && !json_is_string(jn) && !json_is_null(jn))) {
		answer_error(req, 400, "\"status\" and \"note\" are strings");
		goto out;
	}
	if (status != NULL && !store_report_status_valid(status)) {
		answer_error(req, 400,
		    "unknown status: use open, acknowledged, in_progress, "
		    "resolved or closed");
		goto out;
	}
	if (status == NULL && (note == NULL || *note == '\0')) {
		answer_error(req, 400, "give a \"status\", a \"note\" or both");
		goto out;
	}
	if (note != NULL && strlen(note) > STORE_TEXT_MAX) {
		answer_error(req, 400, "\"note\" is too long");
		goto out;
	}
	if (batch_begin(&gw->batch) != 0 || store_savepoint(gw->store) != 0) {
		api_store_failed(req);
		goto out;
	}
	items = json_array();
	snprintf(detail, sizeof(detail), "%s%s", status ? "status=" : "note",
	    status ? status : "");
	for (i = 0; i < n && rc == 0; i++) {
		rc = reports_update(
		    gw->store, gw->cfg, ids[i], status, note, now, &res);
		snprintf(
		    object, sizeof(object), "report/%lld", (long long)ids[i]);
		if (rc == 0 &&
		    audit_record(gw, req, "report.update", object, detail) != 0)
			rc = STORE_ERR;
		if (rc == 0)
			json_array_append_new(
			    items, changed_json(gw->store, ids[i], &res));
	}
	if (rc == 0 && store_release(gw->store) != 0)
		rc = STORE_ERR;
	if (rc != 0) {
		store_rollback_to(gw->store);
		if (rc == STORE_NOTFOUND) {
			snprintf(msg, sizeof(msg),
			    "no such report: %lld (nothing was changed)",
			    (long long)ids[i - 1]);
			answer_error(req, 404, msg);
		} else
			api_store_failed(req);
		goto out;
	}
	log_info("reports", "reports updated count=%zu status=%s", n,
	    status ? status : "-");
	api_answer_after_commit(gw, req, 200,
	    json_pack("{s:O, s:I}", "items", items, "updated", (json_int_t)n));
out:
	json_decref(items);
	json_decref(o);
}

/* GET /api/v1/reports/ID/preview?status=S&note=N */
static void
preview(struct gateway *gw, struct http_request *req, int64_t id)
{
	struct reports_preview p;
	const char *status, *note;
	char masked[32];
	struct form q;
	int rc;

	if (api_query(req, &q) != 0)
		goto out;
	status = form_get(&q, "status");
	note = form_get(&q, "note");
	if (status == NULL || !store_report_status_valid(status)) {
		answer_error(req, 400,
		    "\"status\" is one of open, acknowledged, in_progress, "
		    "resolved or closed");
		goto out;
	}
	rc = reports_preview(gw->store, gw->cfg, id, status, note, &p);
	if (rc == STORE_NOTFOUND)
		answer_error(req, 404, "no such report");
	else if (rc == STORE_EINVAL)
		answer_error(req, 400, "\"note\" is too long");
	else if (rc != 0)
		api_store_failed(req);
	else if (p.text == NULL)
		api_answer(
		    req, 200, json_pack("{s:n, s:s}", "text", "reason", p.why));
	else {
		char shown[32];

		/* "to" as the reader may see it: whole for staff. */
		api_answer(req, 200,
		    json_pack("{s:o, s:s, s:s, s:o, s:o}", "text",
			api_string(p.text), "to_masked",
			log_phone(p.phone, masked, sizeof(masked)), "to",
			auth_phone(req, p.phone, shown, sizeof(shown)),
			"language", api_string(p.language), "feedback",
			api_string(p.feedback)));
	}
	if (rc == 0)
		reports_preview_free(&p);
out:
	form_free(&q);
}

void
api_reports(struct gateway *gw, struct http_request *req, const char *rest)
{
	const char *slash;
	char idbuf[24];
	int64_t id;
	size_t n;

	if (strcmp(rest, "reports.csv") == 0) {
		if (strcmp(req->method, "GET") != 0)
			answer_method(req, "GET");
		else if (auth_require(req, ROLE_VIEWER) == 0)
			csv(gw, req);
		return;
	}
	if (strcmp(rest, "reports") == 0 || strcmp(rest, "reports/") == 0) {
		if (strcmp(req->method, "PATCH") == 0)
			bulk(gw, req);
		else if (strcmp(req->method, "GET") != 0)
			answer_method(req, "GET, PATCH");
		else if (auth_require(req, ROLE_VIEWER) == 0)
			list(gw, req);
		return;
	}
	if (strncmp(rest, "reports/", 8) == 0 &&
	    (slash = strchr(rest + 8, '/')) != NULL &&
	    strcmp(slash, "/preview") == 0 &&
	    (n = (size_t)(slash - (rest + 8))) < sizeof(idbuf)) {
		memcpy(idbuf, rest + 8, n);
		idbuf[n] = '\0';
		if ((id = str_id(idbuf)) < 0)
			answer_error(req, 404, "no such report");
		else if (strcmp(req->method, "GET") != 0)
			answer_method(req, "GET");
		else if (auth_require(req, ROLE_VIEWER) == 0)
			preview(gw, req, id);
		return;
	}
	/* One report: reports.c's. */
	if (strcmp(req->method, "GET") == 0 &&
	    auth_require(req, ROLE_VIEWER) != 0)
		return;
	reports_api(gw, req, rest);
}
