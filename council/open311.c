/*
 * open311.c: the read side of Open311 GeoReport v2 over the issue reports
 * (see open311.h for what each endpoint shows).
 */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "council/open311.h"
#include "council/reports.h"
#include "council/throttle.h"
#include "gateway/answer.h"
#include "gateway/events.h"
#include "gateway/gateway.h"
#include "lib/form.h"
#include "lib/log.h"
#include "lib/phone.h"
#include "lib/scrub.h"
#include "lib/sig.h"
#include "lib/util.h"

#define STORED_CATEGORIES_MAX 500 /* categories taken from the reports */

/* One entry of the service catalogue; strings owned. */
struct service {
	char *code;
	char *name;
	char *description;
	char *keywords; /* comma list, or NULL */
	char *group;    /* or NULL */
};

struct catalogue {
	struct service *v;
	size_t n, cap;
};

static const struct service *
cat_find(const struct catalogue *c, const char *code)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->v[i].code, code) == 0)
			return &c->v[i];
	return NULL;
}

/* "water_leak" reads "Water leak". Returns a new string. */
static char *
pretty(const char *code)
{
	char *s = xstrdup(code);
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (s[i] == '_')
			s[i] = ' ';
	if (s[0] >= 'a' && s[0] <= 'z')
		s[0] = (char)(s[0] - 'a' + 'A');
	return s;
}

/* Adds a service unless its code is already there; takes the strings. */
static void
cat_add(struct catalogue *c, char *code, char *name, char *keywords,
    const char *group)
{
	struct service *s;

	if (c->n == OPEN311_SERVICES_MAX || cat_find(c, code) != NULL) {
		free(code);
		free(name);
		free(keywords);
		return;
	}
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->v = xrealloc(c->v, c->cap * sizeof(*c->v));
	}
	s = &c->v[c->n++];
	s->code = code;
	s->name = name;
	s->keywords = keywords;
	s->group = group != NULL ? xstrdup(group) : NULL;
	s->description =
	    group != NULL ? xasprintf("%s: %s", group, name) : xstrdup(name);
}

static void
cat_free(struct catalogue *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->v[i].code);
		free(c->v[i].name);
		free(c->v[i].description);
		free(c->v[i].keywords);
		free(c->v[i].group);
	}
	free(c->v);
	memset(c, 0, sizeof(*c));
}

/* The menu step of flow f that sets variable name, or NULL. */
static const struct flow_step *
find_menu(const struct flow *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->nsteps; i++)
		if (f->steps[i].kind == STEP_MENU && f->steps[i].name != NULL &&
		    strcmp(f->steps[i].name, name) == 0)
			return &f->steps[i];
	return NULL;
}

/* The options of menu m as services of group. */
static void
add_menu(struct catalogue *c, const struct flow_step *m, const char *group)
{
	const struct flow_option *o;
	struct buf kw;
	size_t i, k;

	for (i = 0; i < m->u.menu.noptions; i++) {
		o = &m->u.menu.options[i];
		if (o->text.tmpl == NULL)
			continue;
		buf_init(&kw, 4096);
		for (k = 0; k < o->text.ntr; k++)
			if (o->text.tr[k].tmpl != NULL)
				buf_printf(&kw, "%s%s", kw.len ? "," : "",
				    o->text.tr[k].tmpl->src);
		cat_add(c, xstrdup(o->value ? o->value : o->text.tmpl->src),
		    xstrdup(o->text.tmpl->src), kw.len ? buf_steal(&kw) : NULL,
		    group);
		buf_free(&kw);
	}
}

/* The services that the `report` steps of set's flows can open. */
static void
add_flows(struct catalogue *c, const struct flowset *set)
{
	const struct template *t;
	const struct flow_step *st, *m;
	const struct flow *f;
	const char *group;
	size_t i, k;

	for (i = 0; set != NULL && i < set->nflows; i++) {
		f = set->flows[i];
		group = f->has_title && f->title.tmpl != NULL
			    ? f->title.tmpl->src
			    : f->name;
		for (k = 0; k < f->nsteps; k++) {
			st = &f->steps[k];
			if (st->kind != STEP_REPORT ||
			    !st->u.report.has_category ||
			    (t = st->u.report.category.tmpl) == NULL)
				continue;
			if (t->nvars == 0 && t->src[0] != '\0')
				cat_add(c, xstrdup(t->src), pretty(t->src),
				    NULL, group);
			else if (t->nparts == 1 &&
				 t->parts[0].kind == TPART_VAR &&
				 t->parts[0].field == NULL &&
				 (m = find_menu(f, t->parts[0].root)) != NULL)
				add_menu(c, m, group);
		}
	}
}

/* Adds a category of the stored reports unless it is known already. */
static int
stored_cb(void *arg, const char *code)
{
	struct catalogue *c = arg;

	if (cat_find(c, code) == NULL)
		cat_add(c, xstrdup(code), pretty(code), NULL, NULL);
	return 0;
}

/* Every category of the stored reports not known yet. */
static int
add_stored(struct catalogue *c, struct store *st)
{
	return store_report_categories(st, STORED_CATEGORIES_MAX, stored_cb, c);
}

static int
cat_build(struct catalogue *c, struct store *st, const struct flowset *set)
{
	memset(c, 0, sizeof(*c));
	add_flows(c, set);
	if (add_stored(c, st) != 0) {
		cat_free(c);
		return STORE_ERR;
	}
	return 0;
}

/*
 * A text field of the output. Any of them may carry what a resident typed
 * (a category can come from a free answer), so every digit run of
 * SCRUB_MIN_DIGITS or more digits becomes SCRUB_REPLACEMENT: open data
 * never carries a phone number. NULL gives null.
 */
static json_t *
open_text(const char *s)
{
	char *c = scrub_numbers(s);
	json_t *j = answer_string(c);

	free(c);
	return j;
}

json_t *
open311_services(struct store *st, const struct flowset *set)
{
	struct catalogue c;
	json_t *a, *o;
	size_t i;

	if (cat_build(&c, st, set) != 0)
		return NULL;
	a = json_array();
	for (i = 0; i < c.n; i++) {
		o = json_object();
		json_object_set_new(o, "service_code", open_text(c.v[i].code));
		json_object_set_new(o, "service_name", open_text(c.v[i].name));
		json_object_set_new(
		    o, "description", open_text(c.v[i].description));
		json_object_set_new(o, "metadata", json_false());
		json_object_set_new(o, "type", json_string("realtime"));
		json_object_set_new(o, "keywords",
		    open_text(c.v[i].keywords ? c.v[i].keywords : ""));
		json_object_set_new(o, "group",
		    open_text(c.v[i].group ? c.v[i].group : "Other"));
		json_array_append_new(a, o);
	}
	cat_free(&c);
	return a;
}

/* ---- Times ---- */

/* Reads exactly n digits at *p into *v and advances; -1 if not digits. */
static int
digits(const char **p, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		*v = *v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return 0;
}

static int
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int
open311_parse_time(const char *s, int64_t *ms)
{
	static const int mdays[] = {
	    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0, oh = 0, om = 0, sign, n;
	const char *p = s;
	struct tm tm;
	time_t t;

	if (s == NULL || digits(&p, 4, &y) < 0 || *p++ != '-' ||
	    digits(&p, 2, &mo) < 0 || *p++ != '-' || digits(&p, 2, &d) < 0)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && leap(y)) || y < 1970)
		return -1;
	if (*p == 'T' || *p == 't') {
		p++;
		if (digits(&p, 2, &h) < 0 || *p++ != ':' ||
		    digits(&p, 2, &mi) < 0)
			return -1;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &sec) < 0)
				return -1;
			if (*p == '.' || *p == ',') {
				p++;
				if (!isdigit((unsigned char)*p))
					return -1;
				/* Milliseconds; further digits are dropped. */
				for (n = 0; isdigit((unsigned char)*p);
				     p++, n++) {
					if (n > 20)
						return -1;
					if (n < 3)
						frac = frac * 10 + (*p - '0');
				}
				for (; n < 3; n++)
					frac *= 10;
			}
		}
		if (h > 23 || mi > 59 || sec > 60)
			return -1;
		if (sec == 60)
			sec = 59;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-' || *p == ' ') {
		sign = *p == '-' ? -1 : 1;
		p++;
		if (digits(&p, 2, &oh) < 0)
			return -1;
		if (*p == ':')
			p++;
		if (isdigit((unsigned char)*p) && digits(&p, 2, &om) < 0)
			return -1;
		if (oh > 23 || om > 59)
			return -1;
		oh *= sign;
		om *= sign;
	}
	if (*p != '\0')
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	*ms =
	    ((int64_t)t - (int64_t)oh * 3600 - (int64_t)om * 60) * 1000 + frac;
	return 0;
}

/* ---- Requests ---- */

/* GeoReport's error body: [{"code": N, "description": "..."}]. */
static json_t *
error_array(int code, const char *description)
{
	return json_pack(
	    "[{s:i, s:s}]", "code", code, "description", description);
}

/* Open311 has two states: open and closed. */
static const char *
open311_status(const char *status)
{
	if (strcmp(status, STORE_REPORT_RESOLVED) == 0 ||
	    strcmp(status, STORE_REPORT_CLOSED) == 0)
		return "closed";
	return "open";
}

struct render {
	const struct catalogue *cat;
	json_t *out; /* the array */
};

static int
render_cb(void *arg, const struct store_report *r, const char *last_note)
{
	struct render *rd = arg;
	const struct service *sv = NULL;
	char created[32], updated[32], *name = NULL;
	json_t *o;

	if (r->category != NULL)
		sv = cat_find(rd->cat, r->category);
	if (sv == NULL && r->category != NULL && r->category[0] != '\0')
		name = pretty(r->category);
	iso8601_utc(r->created, created, sizeof(created));
	iso8601_utc(r->updated, updated, sizeof(updated));
	o = json_object();
	json_object_set_new(o, "service_request_id", json_integer(r->id));
	json_object_set_new(
	    o, "status", json_string(open311_status(r->status)));
	/* Every text but the status and the times we write ourselves. */
	json_object_set_new(o, "status_notes", open_text(last_note));
	json_object_set_new(
	    o, "service_name", open_text(sv != NULL ? sv->name : name));
	json_object_set_new(o, "service_code", open_text(r->category));
	json_object_set_new(o, "description", open_text(r->details));
	json_object_set_new(o, "agency_responsible", json_null());
	json_object_set_new(o, "service_notice", json_null());
	json_object_set_new(o, "address", open_text(r->location));
	json_object_set_new(o, "requested_datetime", json_string(created));
	json_object_set_new(o, "updated_datetime", json_string(updated));
	json_array_append_new(rd->out, o);
	free(name);
	return 0;
}

/* The parsed query of requests.json; strings point into copies. */
struct rquery {
	struct store_report_filter f;
	const char *statuses[5];
	char *codes[REPORTS_FILTER_MAX];
	int64_t ids[OPEN311_REQUESTS_MAX];
	char *copy_ids, *copy_status, *copy_codes; /* owned */
};

static void
rquery_free(struct rquery *q)
{
	free(q->copy_ids);
	free(q->copy_status);
	free(q->copy_codes);
}

/*
 * Fills q from the query string. Returns 0, or -1 with a static reason in
 * *why.
 */
static int
rquery_parse(struct rquery *q, const char *query, const char **why)
{
	static const char *const open_set[] = {STORE_REPORT_OPEN,
	    STORE_REPORT_ACKNOWLEDGED, STORE_REPORT_IN_PROGRESS};
	static const char *const closed_set[] = {
	    STORE_REPORT_RESOLVED, STORE_REPORT_CLOSED};
	char *ids[OPEN311_REQUESTS_MAX], *words[4];
	int want_open = 0, want_closed = 0, n, i;
	const char *v, *errstr;
	struct form form;
	int64_t id;
	size_t k;

	memset(q, 0, sizeof(*q));
	if (form_parse(&form, query, strlen(query), &errstr) != 0) {
		form_free(&form);
		*why = "bad query string";
		return -1;
	}
	q->f.limit = OPEN311_REQUESTS_MAX;
	if ((v = form_get(&form, "service_request_id")) != NULL) {
		/* GeoReport: this overrides every other argument. */
		q->copy_ids = xstrdup(v);
		n = str_split_commas(q->copy_ids, ids, nitems(ids));
		if (n <= 0) {
			*why = "service_request_id must be a comma list of "
			       "numbers, at most 1000";
			goto fail;
		}
		for (i = 0; i < n; i++) {
			if ((id = str_id(ids[i])) < 0) {
				*why = "service_request_id must be a comma "
				       "list of numbers";
				goto fail;
			}
			q->ids[i] = id;
		}
		q->f.ids = q->ids;
		q->f.nids = (size_t)n;
		form_free(&form);
		return 0;
	}
	if ((v = form_get(&form, "status")) != NULL) {
		q->copy_status = xstrdup(v);
		n = str_split_commas(q->copy_status, words, nitems(words));
		if (n <= 0) {
			*why = "status must be open, closed or both";
			goto fail;
		}
		for (i = 0; i < n; i++) {
			if (str_ieq(words[i], "open"))
				want_open = 1;
			else if (str_ieq(words[i], "closed"))
				want_closed = 1;
			else {
				*why = "status must be open or closed";
				goto fail;
			}
		}
		if (want_open != want_closed) {
			k = 0;
			if (want_open)
				for (i = 0; i < (int)nitems(open_set); i++)
					q->statuses[k++] = open_set[i];
			else
				for (i = 0; i < (int)nitems(closed_set); i++)
					q->statuses[k++] = closed_set[i];
			q->f.statuses = q->statuses;
			q->f.nstatuses = k;
		}
	}
	if ((v = form_get(&form, "service_code")) != NULL) {
		q->copy_codes = xstrdup(v);
		n = str_split_commas(q->copy_codes, q->codes, nitems(q->codes));
		if (n < 0) {
			*why = "too many service codes (at most 100)";
			goto fail;
		}
		if (n > 0) {
			q->f.categories = (const char *const *)q->codes;
			q->f.ncategories = (size_t)n;
		}
	}
	if ((v = form_get(&form, "start_date")) != NULL) {
		if (open311_parse_time(v, &q->f.since) != 0) {
			*why = "start_date must be an ISO 8601 time";
			goto fail;
		}
		q->f.has_since = 1;
	}
	if ((v = form_get(&form, "end_date")) != NULL) {
		if (open311_parse_time(v, &q->f.until) != 0) {
			*why = "end_date must be an ISO 8601 time";
			goto fail;
		}
		q->f.has_until = 1;
	}
	form_free(&form);
	return 0;
fail:
	form_free(&form);
	rquery_free(q);
	memset(q, 0, sizeof(*q));
	return -1;
}

int
open311_requests(struct store *st, const struct flowset *set, const char *query,
    int64_t id, json_t **out)
{
	struct catalogue cat;
	struct render rd;
	struct rquery *q;
	const char *why = NULL;
	int rc;

	*out = NULL;
	q = xcalloc(1, sizeof(*q));
	if (query != NULL) {
		if (rquery_parse(q, query, &why) != 0) {
			free(q);
			*out = error_array(400, why);
			return 400;
		}
	} else {
		q->ids[0] = id;
		q->f.ids = q->ids;
		q->f.nids = 1;
		q->f.limit = 1;
	}
	if (cat_build(&cat, st, set) != 0) {
		rquery_free(q);
		free(q);
		*out = error_array(503, "the store failed; try again");
		return 503;
	}
	rd.cat = &cat;
	rd.out = json_array();
	rc = reports_each(st, &q->f, render_cb, &rd);
	cat_free(&cat);
	rquery_free(q);
	free(q);
	if (rc != 0) {
		json_decref(rd.out);
		*out = error_array(503, "the store failed; try again");
		return 503;
	}
	if (query == NULL && json_array_size(rd.out) == 0) {
		json_decref(rd.out);
		*out = error_array(404, "no such service request");
		return 404;
	}
	*out = rd.out;
	return 200;
}

/* ---- HTTP ---- */

static void
respond(struct http_request *req, int status, json_t *body)
{
	char *s = json_dumps(body, JSON_COMPACT);

	http_respond(
	    req, status, "application/json; charset=utf-8", s, strlen(s));
	free(s);
	json_decref(body);
}

static void
respond_error(struct http_request *req, int status, const char *msg)
{
	respond(req, status, error_array(status, msg));
}

/* The report number of "ID.json", or -1. */
static int64_t
request_id(const char *s)
{
	char num[24];
	size_t n;
	const char *dot = strrchr(s, '.');

	if (dot == NULL || strcmp(dot, ".json") != 0 ||
	    (n = (size_t)(dot - s)) == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, s, n);
	num[n] = '\0';
	return str_id(num);
}

/* ---- Writing: POST requests.json ---- */

/* The service's state: POSTs counted by api key and by address, GETs by
   address, and the refused POSTs not logged yet. */
struct open311_state {
	struct throttle throttle; /* "k:INDEX" and "a:ADDRESS" keys */
	struct throttle reads;    /* addresses' GETs */
	int writes;               /* api keys are set: throttle is in use */
	int64_t refused_ms;       /* a refused POST was last logged */
	uint64_t refused;         /* refused since */
};

/* The state of the running service, or NULL. */
static struct open311_state *
state_of(const struct gateway *gw)
{
	return gateway_service_state(gw, open311_start);
}

void
open311_start(struct gateway *gw, void **state)
{
	struct open311_state *os;

	if (*state != NULL)
		return;
	os = xcalloc(1, sizeof(*os));
	throttle_init(&os->reads, OPEN311_RATE_KEYS, OPEN311_READS, 60 * 1000);
	*state = os;
	if (gw->cfg->open311_keys.n == 0)
		return;
	os->writes = 1;
	throttle_init(&os->throttle, OPEN311_RATE_KEYS,
	    (int)gw->cfg->open311_rate.count, gw->cfg->open311_rate.period_ms);
	log_info("open311", "service requests taken keys=%zu",
	    gw->cfg->open311_keys.n);
}

void
open311_stop(struct gateway *gw, void **state)
{
	struct open311_state *os = *state;

	(void)gw;
	if (os == NULL)
		return;
	if (os->writes)
		throttle_free(&os->throttle);
	throttle_free(&os->reads);
	free(os);
	*state = NULL;
}

/*
 * The index of the configured key that given is, or -1. Every key is
 * compared, in time that tells nothing of where they differ.
 */
static int
key_index(const struct config *cfg, const char *given)
{
	int found = -1;
	size_t i;

	if (given == NULL || *given == '\0')
		return -1;
	for (i = 0; i < cfg->open311_keys.n; i++)
		if (sig_equal(given, cfg->open311_keys.v[i]) && found < 0)
			found = (int)i;
	return found;
}

/*
 * Counts one POST of key at now: 0 when it may go on, else 429 answered
 * (with Retry-After) and -1.
 */
static int
rate_limited(
    struct http_request *req, struct throttle *t, const char *key, int64_t now)
{
	int64_t wait = throttle_wait(t, key, now);
	char extra[64], *body;
	json_t *e;

	if (wait == 0) {
		throttle_fail(t, key, now);
		return 0;
	}
	snprintf(extra, sizeof(extra), "Retry-After: %" PRId64 "\r\n",
	    (wait + 999) / 1000);
	e = error_array(429, "too many service requests; try again later");
	body = json_dumps(e, JSON_COMPACT);
	json_decref(e);
	http_respond_ex(req, 429, "application/json; charset=utf-8", extra,
	    body, strlen(body));
	free(body);
	return -1;
}

/* A decimal degree within -max..max, else -1. */
static int
degrees(const char *s, double max, double *out)
{
	char *end;

	if (s == NULL || *s == '\0' || strlen(s) > 32)
		return -1;
	*out = strtod(s, &end);
	if (*end != '\0' || !isfinite(*out) || *out < -max || *out > max)
		return -1;
	return 0;
}

/* What a POST files, read from its form. */
struct filing {
	const char *code;      /* service_code: the report's category */
	const char *details;   /* description, or NULL */
	char *location;        /* owned: address and/or "lat,long" */
	char phone[PHONE_MAX]; /* E.164, or "" */
};

/*
 * Reads and checks the form's fields into *fi. Returns 0, or -1 with a
 * static reason in *why (a 400).
 */
static int
filing_read(const struct form *f, const struct config *cfg,
    const struct catalogue *cat, struct filing *fi, const char **why)
{
	const char *addr, *lat, *lon, *phone;
	double la, lo;

	memset(fi, 0, sizeof(*fi));
	fi->code = form_get(f, "service_code");
	if (fi->code == NULL || *fi->code == '\0') {
		*why = "service_code is required";
		return -1;
	}
	if (cat_find(cat, fi->code) == NULL) {
		*why = "unknown service_code: use one services.json lists";
		return -1;
	}
	fi->details = form_get(f, "description");
	if (fi->details != NULL && *fi->details == '\0')
		fi->details = NULL;
	if (fi->details != NULL && strlen(fi->details) > OPEN311_TEXT_MAX) {
		*why = "description is too long (at most 4000 bytes)";
		return -1;
	}
	addr = form_get(f, "address_string");
	if (addr == NULL || *addr == '\0')
		addr = form_get(f, "address_id");
	if (addr != NULL && *addr == '\0')
		addr = NULL;
	if (addr != NULL && strlen(addr) > OPEN311_TEXT_MAX) {
		*why = "address_string is too long (at most 4000 bytes)";
		return -1;
	}
	lat = form_get(f, "lat");
	lon = form_get(f, "long");
	if ((lat != NULL && *lat != '\0') || (lon != NULL && *lon != '\0')) {
		if (degrees(lat, 90, &la) != 0 || degrees(lon, 180, &lo) != 0) {
			*why = "lat and long must be decimal degrees, both";
			return -1;
		}
	} else
		lat = lon = NULL;
	if (addr == NULL && lat == NULL) {
		*why = "a location is required: address_string, or lat and "
		       "long";
		return -1;
	}
	if ((phone = form_get(f, "phone")) != NULL && *phone != '\0' &&
	    phone_normalize(
		phone, cfg->country_code, fi->phone, sizeof(fi->phone)) != 0) {
		*why = "phone is not a phone number";
		return -1;
	}
	if (addr != NULL && lat != NULL)
		fi->location = xasprintf("%s (%s,%s)", addr, lat, lon);
	else if (addr != NULL)
		fi->location = xstrdup(addr);
	else
		fi->location = xasprintf("%s,%s", lat, lon);
	return 0;
}

/* A POST's answer, waiting for the turn's commit. */
struct pending_post {
	struct http_request *req;
	char *body; /* the answer on success */
};

static void
on_filed(void *arg, int ok)
{
	struct pending_post *p = arg;

	if (ok)
		http_respond(p->req, 201, "application/json; charset=utf-8",
		    p->body, strlen(p->body));
	else
		respond_error(p->req, 503, "the store failed; try again");
	free(p->body);
	free(p);
}

/*
 * Files the report of fi (and finds or makes the contact of its phone) in
 * the turn's transaction. Returns 0 and sets *id, or a negative store code
 * (nothing kept).
 */
static int
file_report(struct gateway *gw, const struct filing *fi, int64_t *id)
{
	struct store *st = gw->store;
	struct store_contact c;
	int64_t now = now_ms(), contact = 0;
	int rc;

	if (store_savepoint(st) != 0)
		return STORE_ERR;
	rc = 0;
	if (fi->phone[0] != '\0') {
		rc = store_contact_get(st, fi->phone, now, &c);
		contact = c.id;
		store_contact_free(&c);
	}
	if (rc >= 0)
		rc = store_report_create(st, contact, OPEN311_FLOW, fi->code,
		    fi->location, fi->details, now, id);
	if (rc == 0)
		rc = events_report_created(st, gw->cfg, *id, now);
	if (rc == 0 && store_release(st) != 0)
		rc = STORE_ERR;
	if (rc != 0)
		store_rollback_to(st);
	return rc;
}

/* POST /open311/v2/requests.json */
static void
post_request(struct gateway *gw, struct http_request *req)
{
	const struct flowset *set = gw->flows != NULL ? gw->flows->set : NULL;
	struct open311_state *os = state_of(gw);
	struct pending_post *p;
	struct catalogue cat;
	struct filing fi;
	struct form f;
	const char *why = NULL;
	char akey[80], kkey[32], notice[160];
	int64_t now = now_ms(), id = 0;
	json_t *out;
	int k, rc;

	throttle_addr_key(req->remote, akey, sizeof(akey));
	if (os == NULL || !os->writes) {
		respond_error(req, 503, "service requests are not taken now");
		return;
	}
	/* Every attempt counts by address, so keys cannot be guessed fast. */
	if (rate_limited(req, &os->throttle, akey, now) != 0)
		return;
	memset(&f, 0, sizeof(f));
	if (form_parse(&f, req->body, req->body_len, &why) != 0) {
		form_free(&f);
		respond_error(req, 400,
		    "the body must be a form "
		    "(application/x-www-form-urlencoded)");
		return;
	}
	if ((k = key_index(gw->cfg, form_get(&f, "api_key"))) < 0) {
		form_free(&f);
		/* A line a minute at most: outsiders write it. */
		os->refused++;
		if (os->refused_ms == 0 || now - os->refused_ms >= 60 * 1000) {
			log_info("open311",
			    "service requests refused: api_key missing "
			    "or wrong count=%llu addr=%s",
			    (unsigned long long)os->refused, req->remote);
			os->refused_ms = now;
			os->refused = 0;
		}
		respond_error(req, 403, "api_key missing or not valid");
		return;
	}
	snprintf(kkey, sizeof(kkey), "k:%d", k);
	if (rate_limited(req, &os->throttle, kkey, now) != 0) {
		form_free(&f);
		return;
	}
	if (cat_build(&cat, gw->store, set) != 0) {
		form_free(&f);
		respond_error(req, 503, "the store failed; try again");
		return;
	}
	rc = filing_read(&f, gw->cfg, &cat, &fi, &why);
	cat_free(&cat);
	if (rc != 0) {
		form_free(&f);
		respond_error(req, 400, why);
		return;
	}
	if (batch_begin(&gw->batch) != 0 || file_report(gw, &fi, &id) != 0) {
		free(fi.location);
		form_free(&f);
		respond_error(req, 503, "the store failed; try again");
		return;
	}
	log_info("open311", "report filed id=%" PRId64 " key=%d phone=%s", id,
	    k, fi.phone[0] != '\0' ? "yes" : "no");
	snprintf(notice, sizeof(notice), "%s%" PRId64 "%s", "Report number ",
	    id, fi.phone[0] != '\0' ? ". Changes to it are sent by SMS." : ".");
	/* A number, as requests.json shows it. */
	out = json_pack("[{s:I, s:s, s:n}]", "service_request_id",
	    (json_int_t)id, "service_notice", notice, "account_id");
	p = xmalloc(sizeof(*p));
	p->req = req;
	p->body = json_dumps(out, JSON_COMPACT);
	json_decref(out);
	free(fi.location);
	form_free(&f);
	batch_defer(&gw->batch, on_filed, p);
}

void
open311_handle(struct gateway *gw, struct http_request *req, const char *rest)
{
	const struct flowset *set = gw->flows != NULL ? gw->flows->set : NULL;
	static const char body405[] =
	    "[{\"code\":405,\"description\":\"this server only reads: use "
	    "GET\"}]";
	struct open311_state *os;
	json_t *out;
	int64_t id;
	int status;

	if (strcmp(req->method, "POST") == 0 &&
	    strcmp(rest, "requests.json") == 0 && gw->cfg->open311_keys.n > 0) {
		post_request(gw, req);
		return;
	}
	if (strcmp(req->method, "GET") != 0) {
		http_respond_ex(req, 405, "application/json; charset=utf-8",
		    "Allow: GET\r\n", body405, sizeof(body405) - 1);
		return;
	}
	if ((os = state_of(gw)) != NULL) {
		char akey[80];

		throttle_addr_key(req->remote, akey, sizeof(akey));
		if (rate_limited(req, &os->reads, akey, now_ms()) != 0)
			return;
	}
	if (strcmp(rest, "services.json") == 0) {
		if ((out = open311_services(gw->store, set)) == NULL)
			respond_error(req, 503, "the store failed; try again");
		else
			respond(req, 200, out);
		return;
	}
	if (strcmp(rest, "requests.json") == 0) {
		status = open311_requests(gw->store, set, req->query, 0, &out);
		respond(req, status, out);
		return;
	}
	if (strncmp(rest, "requests/", 9) == 0) {
		if ((id = request_id(rest + 9)) < 0) {
			respond_error(req, 404, "no such service request");
			return;
		}
		status = open311_requests(gw->store, set, NULL, id, &out);
		respond(req, status, out);
		return;
	}
	if (strcmp(rest, "services.xml") == 0 ||
	    strcmp(rest, "requests.xml") == 0) {
		respond_error(req, 404, "only the JSON format is served");
		return;
	}
	respond_error(req, 404, "no such Open311 endpoint");
}
