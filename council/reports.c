/*
 * reports.c: issue reports after a flow opened them: listing (the SQL is the
 * store's, gateway/store_council.c), status changes kept as events, the
 * reporter's SMS, the JSON of the admin API and the admin API's handlers
 * for /api/v1/reports.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "council/reports.h"
#include "flows/template.h"
#include "gateway/answer.h"
#include "gateway/api.h"
#include "gateway/auth.h"
#include "gateway/batch.h"
#include "gateway/events.h"
#include "gateway/gateway.h"
#include "gateway/outq.h"
#include "lib/form.h"
#include "lib/log.h"
#include "lib/util.h"

/*
 * The reporter's SMS per status, in the flow template syntax, built in for
 * the gateway's two shipped languages. The config's [reports] section
 * overrides them per status and language (sms_text_for() below).
 */
static const struct sms_text {
	const char *status;
	const char *en;
	const char *sw;
} sms_texts[] = {
    {STORE_REPORT_OPEN, "Your report {id} ({category}) is open again.",
	"Ripoti yako nambari {id} ({category}) imefunguliwa tena."},
    {STORE_REPORT_ACKNOWLEDGED,
	"Your report {id} ({category}) has been received and will be looked "
	"into.",
	"Ripoti yako nambari {id} ({category}) imepokelewa na "
	"itashughulikiwa."},
    {STORE_REPORT_IN_PROGRESS,
	"Your report {id} ({category}) is now in progress.",
	"Ripoti yako nambari {id} ({category}) inashughulikiwa sasa."},
    {STORE_REPORT_RESOLVED,
	"Your report {id} ({category}) has been resolved. Thank you.",
	"Ripoti yako nambari {id} ({category}) imetatuliwa. Asante."},
    {STORE_REPORT_CLOSED, "Your report {id} ({category}) has been closed.",
	"Ripoti yako nambari {id} ({category}) imefungwa."},
};

/* Appended when the change carries a note. */
static const char note_en[] = " Note: {note}";
static const char note_sw[] = " Maelezo: {note}";

/* Said for {category} when the report has none. */
static const char nocat_en[] = "problem";
static const char nocat_sw[] = "tatizo";

#define CATEGORY_SMS_MAX 60  /* bytes of a category copied into the SMS */
#define LOCATION_SMS_MAX 100 /* bytes of a location copied into the SMS */

int
reports_each(struct store *st, const struct store_report_filter *f,
    store_report_cb cb, void *arg)
{
	if (f != NULL && (f->nstatuses > REPORTS_FILTER_MAX ||
			     f->ncategories > REPORTS_FILTER_MAX ||
			     f->nids > REPORTS_LIST_MAX))
		return STORE_EINVAL;
	return store_report_each(st, f, cb, arg);
}

/* The events loaded so far. */
struct events {
	struct reports_event *v; /* k used of cap */
	size_t k, cap;
};

static int
event_cb(void *arg, int64_t time, const char *status, const char *note)
{
	struct events *e = arg;

	if (e->k == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 8;
		e->v = xrealloc(e->v, e->cap * sizeof(*e->v));
	}
	e->v[e->k].time = time;
	e->v[e->k].status = xstrdup(status);
	e->v[e->k].note = note != NULL ? xstrdup(note) : NULL;
	e->k++;
	return 0;
}

int
reports_events(
    struct store *st, int64_t id, struct reports_event **out, size_t *n)
{
	struct events e = {NULL, 0, 0};

	*out = NULL;
	*n = 0;
	if (store_report_events(st, id, REPORTS_EVENTS_MAX, event_cb, &e) !=
	    0) {
		reports_events_free(e.v, e.k);
		log_warn("reports", "events failed id=%" PRId64 " error=\"%s\"",
		    id, store_errmsg(st));
		return STORE_ERR;
	}
	*out = e.v;
	*n = e.k;
	return 0;
}

void
reports_events_free(struct reports_event *v, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++) {
		free(v[k].status);
		free(v[k].note);
	}
	free(v);
}

char *
reports_last_note(struct store *st, int64_t id)
{
	char *note;

	store_report_last_note(st, id, &note);
	return note;
}

/* Copies at most max bytes of s into b without cutting a UTF-8 sequence. */
static int
put_clipped(struct buf *b, const char *s, size_t max)
{
	size_t len = strlen(s);

	if (len <= max)
		return buf_append(b, s, len);
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	if (buf_append(b, s, max) < 0)
		return -1;
	return buf_puts(b, "...");
}

/* What {id}, {category}, {status}, {location} and {note} render to. */
struct sms_vars {
	const struct store_report *r;
	const char *note;
	int sw; /* Swahili */
};

static int
sms_resolve_cb(void *arg, const char *root, const char *field, const char *path,
    struct buf *out)
{
	struct sms_vars *v = arg;
	const char *c;
	size_t start;

	(void)path;
	if (field != NULL)
		return 0;
	if (strcmp(root, "id") == 0)
		return buf_printf(out, "%" PRId64, v->r->id);
	if (strcmp(root, "status") == 0)
		return buf_puts(out, v->r->status);
	if (strcmp(root, "note") == 0)
		return v->note ? put_clipped(out, v->note, REPORTS_NOTE_SMS_MAX)
			       : 0;
	if (strcmp(root, "location") == 0)
		return v->r->location != NULL
			   ? put_clipped(out, v->r->location, LOCATION_SMS_MAX)
			   : 0;
	if (strcmp(root, "category") != 0)
		return 0;
	c = v->r->category;
	if (c == NULL || *c == '\0')
		return buf_puts(out, v->sw ? nocat_sw : nocat_en);
	/* "water_leak" reads "water leak". */
	start = out->len;
	if (put_clipped(out, c, CATEGORY_SMS_MAX) < 0)
		return -1;
	for (; start < out->len; start++)
		if (out->data[start] == '_')
			out->data[start] = ' ';
	return 0;
}

/* Renders one built-in template into b. */
static int
render_into(struct buf *b, const char *src, struct sms_vars *v)
{
	struct template *t;
	int rc;

	if (template_compile(src, strlen(src), &t, NULL) != 0)
		return -1;
	rc = template_render(t, b, sms_resolve_cb, v);
	template_free(t);
	return rc;
}

char *
reports_sms_text(
    const struct store_report *r, const char *lang, const char *note)
{
	const struct sms_text *st = NULL;
	struct sms_vars v;
	struct buf b;
	size_t i;

	if (r == NULL || r->status == NULL)
		return NULL;
	for (i = 0; i < nitems(sms_texts); i++)
		if (strcmp(sms_texts[i].status, r->status) == 0)
			st = &sms_texts[i];
	if (st == NULL)
		return NULL;
	v.r = r;
	v.note = note != NULL && *note != '\0' ? note : NULL;
	v.sw = lang != NULL && strcmp(lang, "sw") == 0;
	buf_init(&b, OUTQ_MAX_TEXT);
	if (render_into(&b, v.sw ? st->sw : st->en, &v) < 0 ||
	    (v.note != NULL &&
		render_into(&b, v.sw ? note_sw : note_en, &v) < 0)) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/* 1 when the built-in texts speak lang. */
static int
lang_known(const char *lang)
{
	return lang != NULL &&
	       (strcmp(lang, "en") == 0 || strcmp(lang, "sw") == 0);
}

/*
 * The reporter's SMS about r's new status for a contact speaking lang (may
 * be NULL): the [reports] text of cfg for (status, lang), else the one for
 * (status, the default language, the first of languages), else the built-in
 * text in lang, the default language or English. A configured text shows
 * the note only where it writes {note}; a built-in one appends it. Returns
 * a new string, or NULL with *why set to a static reason; *used is the
 * language of the text (a string of cfg or static).
 */
static char *
sms_text_for(const struct config *cfg, const struct store_report *r,
    const char *lang, const char *note, const char **why, const char **used)
{
	const struct template *t = NULL;
	const char *tlang = NULL, *use_lang = "en";
	struct sms_vars v;
	struct buf b;
	char *text;

	if (cfg != NULL && lang != NULL &&
	    (t = config_report_text(cfg, r->status, lang)) != NULL)
		tlang = lang;
	else if (cfg != NULL && cfg->languages.n > 0 &&
		 (t = config_report_text(
		      cfg, r->status, cfg->languages.v[0])) != NULL)
		tlang = cfg->languages.v[0];
	if (t != NULL) {
		*used = tlang;
		v.r = r;
		v.note = note != NULL && *note != '\0' ? note : NULL;
		v.sw = strcmp(tlang, "sw") == 0;
		buf_init(&b, OUTQ_MAX_TEXT);
		if (template_render(t, &b, sms_resolve_cb, &v) < 0) {
			buf_free(&b);
			*why = "the configured text is too long once rendered";
			return NULL;
		}
		if (b.len == 0 || strspn(b.data, " \t") == b.len) {
			buf_free(&b);
			*why = "the configured text renders empty";
			return NULL;
		}
		return buf_steal(&b);
	}
	if (lang_known(lang))
		use_lang = lang;
	else if (cfg != NULL && cfg->languages.n > 0 &&
		 lang_known(cfg->languages.v[0]))
		use_lang = cfg->languages.v[0];
	*used = use_lang;
	if ((text = reports_sms_text(r, use_lang, note)) == NULL)
		*why = "no text for this status";
	return text;
}

/* The reporter's SMS about a report's new status, before it is queued. */
struct sms_plan {
	struct store_contact c; /* the reporter, as loaded */
	const char *channel;    /* where it goes */
	const char *lang;       /* the text's language */
	char *text;             /* owned; NULL when none goes */
	const char *why;        /* then why (static) */
	int opted_out;          /* the reporter has opted out */
};

/*
 * Works out the SMS that tells r's reporter about r's status (already the
 * new one) with note: p->text, or NULL with p->why. Returns 0, or
 * STORE_ERR. The caller frees p with plan_free() either way.
 */
static int
plan_sms(struct store *st, const struct config *cfg,
    const struct store_report *r, const char *note, struct sms_plan *p)
{
	const char *last;
	int rc;

	memset(p, 0, sizeof(*p));
	if (r->contact_id <= 0) {
		p->why = "the report has no reporter";
		return 0;
	}
	rc = store_contact_by_id(st, r->contact_id, &p->c);
	if (rc < 0)
		return STORE_ERR;
	last = p->c.last_channel;
	if (rc == STORE_NOTFOUND || p->c.phone == NULL) {
		p->why = "the reporter is no longer known";
		return 0;
	}
	if (p->c.opted_out) {
		p->why = "the reporter has opted out";
		p->opted_out = 1;
		return 0;
	}
	if (cfg != NULL && last != NULL && config_channel(cfg, last) != NULL)
		p->channel = last;
	else if (cfg != NULL)
		p->channel = cfg->default_channel;
	if (p->channel == NULL) {
		p->why = "no channel to send on (set default_channel)";
		return 0;
	}
	p->text = sms_text_for(cfg, r, p->c.language, note, &p->why, &p->lang);
	return 0;
}

static void
plan_free(struct sms_plan *p)
{
	store_contact_free(&p->c);
	free(p->text);
	p->text = NULL;
}

/*
 * The feedback question for r's reporter speaking lang (may be NULL): the
 * [reports] feedback_text for lang, else for the default language. Returns
 * a new string, or NULL when the config asks no question (or it renders
 * empty or too long).
 */
static char *
feedback_text_for(
    const struct config *cfg, const struct store_report *r, const char *lang)
{
	const struct template *t = NULL;
	const char *tlang = lang;
	struct sms_vars v;
	struct buf b;

	if (cfg == NULL)
		return NULL;
	if (lang == NULL ||
	    (t = config_report_text(cfg, CONFIG_FEEDBACK_TEXT, lang)) == NULL) {
		tlang = cfg->languages.n > 0 ? cfg->languages.v[0] : "en";
		t = config_report_text(cfg, CONFIG_FEEDBACK_TEXT, tlang);
	}
	if (t == NULL)
		return NULL;
	v.r = r;
	v.note = NULL;
	v.sw = strcmp(tlang, "sw") == 0;
	buf_init(&b, OUTQ_MAX_TEXT);
	if (template_render(t, &b, sms_resolve_cb, &v) < 0 || b.len == 0 ||
	    strspn(b.data, " \t") == b.len) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/*
 * Once r is resolved, asks its reporter (reached as p planned) whether it
 * was fixed, once per report: the [reports] feedback_text queued after the
 * status SMS, the report marked asked (store_feedback_ask). Returns 0, or
 * STORE_ERR.
 */
static int
ask_feedback(struct store *st, const struct config *cfg,
    const struct store_report *r, const struct sms_plan *p, int64_t now,
    struct reports_update_result *res)
{
	char *text;
	int rc;

	if (strcmp(r->status, STORE_REPORT_RESOLVED) != 0 ||
	    (text = feedback_text_for(cfg, r, p->c.language)) == NULL)
		return 0;
	if ((rc = store_feedback_ask(st, r->id, now)) == 0)
		rc = outq_enqueue(st,
			 &(struct outq_msg){.channel = p->channel,
			     .phone = p->c.phone,
			     .text = text,
			     .contact_id = r->contact_id},
			 now, &res->feedback_id) != 0
			 ? STORE_ERR
			 : 0;
	free(text);
	/* STORE_NOTFOUND: asked before, when it was first resolved. */
	return rc < 0 ? STORE_ERR : 0;
}

/*
 * Queues the reporter's SMS about r's new status, or says in res why not,
 * and the feedback question once r is resolved. Returns 0, or STORE_ERR.
 */
static int
notify(struct store *st, const struct config *cfg, const struct store_report *r,
    const char *note, int64_t now, struct reports_update_result *res)
{
	struct sms_plan p;
	int rc;

	if ((rc = plan_sms(st, cfg, r, note, &p)) != 0 || p.text == NULL) {
		res->no_sms = p.why;
		plan_free(&p);
		return rc;
	}
	rc = outq_enqueue(st,
	    &(struct outq_msg){.channel = p.channel,
		.phone = p.c.phone,
		.text = p.text,
		.contact_id = r->contact_id},
	    now, &res->message_id);
	if (rc == 0)
		rc = ask_feedback(st, cfg, r, &p, now, res);
	plan_free(&p);
	return rc != 0 ? STORE_ERR : 0;
}

int
reports_preview(struct store *st, const struct config *cfg, int64_t id,
    const char *status, const char *note, struct reports_preview *out)
{
	struct store_feedback fb;
	struct store_report r;
	struct sms_plan p;
	int rc;

	memset(out, 0, sizeof(*out));
	if (status == NULL || !store_report_status_valid(status) ||
	    (note != NULL && strlen(note) > STORE_TEXT_MAX))
		return STORE_EINVAL;
	if (note != NULL && *note == '\0')
		note = NULL;
	if ((rc = store_report_get(st, id, &r)) != 0)
		return rc;
	if (strcmp(r.status, status) == 0) {
		out->why = "the status does not change";
		store_report_free(&r);
		return 0;
	}
	free(r.status);
	r.status = xstrdup(status);
	rc = plan_sms(st, cfg, &r, note, &p);
	if (rc == 0 && p.text != NULL) {
		out->text = p.text;
		p.text = NULL;
		out->phone = xstrdup(p.c.phone);
		out->language = xstrdup(p.lang);
		if (strcmp(status, STORE_REPORT_RESOLVED) == 0 &&
		    (rc = store_feedback_get(st, id, &fb)) == 0 && fb.asked < 0)
			out->feedback =
			    feedback_text_for(cfg, &r, p.c.language);
		rc = rc < 0 ? rc : 0;
	} else
		out->why = p.opted_out ? "opted out" : p.why;
	plan_free(&p);
	store_report_free(&r);
	return rc;
}

void
reports_preview_free(struct reports_preview *p)
{
	free(p->text);
	free(p->phone);
	free(p->language);
	free(p->feedback);
	memset(p, 0, sizeof(*p));
}

int
reports_update(struct store *st, const struct config *cfg, int64_t id,
    const char *status, const char *note, int64_t now,
    struct reports_update_result *res)
{
	struct reports_update_result dummy;
	struct store_report r;
	const char *next;
	int rc;

	if (res == NULL)
		res = &dummy;
	memset(res, 0, sizeof(*res));
	if (note != NULL && *note == '\0')
		note = NULL;
	if ((status == NULL && note == NULL) ||
	    (status != NULL && !store_report_status_valid(status)) ||
	    (note != NULL && strlen(note) > STORE_TEXT_MAX))
		return STORE_EINVAL;
	if ((rc = store_report_get(st, id, &r)) != 0)
		return rc;
	snprintf(res->old_status, sizeof(res->old_status), "%s", r.status);
	next = status != NULL ? status : r.status;
	res->changed = strcmp(next, r.status) != 0;
	if (store_savepoint(st) < 0) {
		store_report_free(&r);
		return STORE_ERR;
	}
	rc = store_report_add_event(st, id, next, note, now);
	if (rc == 0 && res->changed) {
		free(r.status);
		r.status = xstrdup(next);
		r.updated = now;
		rc = notify(st, cfg, &r, note, now, res);
	}
	if (rc == 0)
		rc = events_report_updated(
		    st, cfg, id, res->old_status, note, now);
	if (rc == 0 && store_release(st) < 0)
		rc = STORE_ERR;
	if (rc != 0) {
		store_rollback_to(st);
		res->message_id = 0;
		res->feedback_id = 0;
	}
	store_report_free(&r);
	return rc;
}

json_t *
reports_json(const struct store_report *r, const char *last_note)
{
	char created[32], updated[32];
	json_t *o;

	iso8601_utc(r->created, created, sizeof(created));
	iso8601_utc(r->updated, updated, sizeof(updated));
	o = json_object();
	json_object_set_new(o, "id", json_integer(r->id));
	json_object_set_new(o, "status", answer_string(r->status));
	json_object_set_new(o, "category", answer_string(r->category));
	json_object_set_new(o, "location", answer_string(r->location));
	json_object_set_new(o, "details", answer_string(r->details));
	json_object_set_new(o, "flow", answer_string(r->flow));
	json_object_set_new(o, "contact_id",
	    r->contact_id > 0 ? json_integer(r->contact_id) : json_null());
	json_object_set_new(o, "created", json_string(created));
	json_object_set_new(o, "updated", json_string(updated));
	json_object_set_new(o, "last_note", answer_string(last_note));
	return o;
}

json_t *
reports_events_json(const struct reports_event *events, size_t nevents)
{
	char t[32];
	json_t *a, *e;
	size_t i;

	a = json_array();
	for (i = 0; i < nevents; i++) {
		iso8601_utc(events[i].time, t, sizeof(t));
		e = json_object();
		json_object_set_new(e, "time", json_string(t));
		json_object_set_new(
		    e, "status", answer_string(events[i].status));
		json_object_set_new(e, "note", answer_string(events[i].note));
		json_array_append_new(a, e);
	}
	return a;
}

/* ---- The admin API ---- */

/* A time in ms as an ISO 8601 string, or null for -1. */
static json_t *
time_or_null(int64_t ms)
{
	char t[32];

	if (ms < 0)
		return json_null();
	iso8601_utc(ms, t, sizeof(t));
	return json_string(t);
}

/*
 * Report id's feedback: {"asked", "answer", "answered"}, the times when
 * the reporter was asked and answered, the answer "yes" or "no" (null
 * until then). Sets *out to a new reference; 0 or STORE_ERR.
 */
static int
feedback_json(struct store *st, int64_t id, json_t **out)
{
	struct store_feedback fb;
	int rc;

	*out = NULL;
	if ((rc = store_feedback_get(st, id, &fb)) < 0)
		return rc;
	*out = json_object();
	json_object_set_new(*out, "asked", time_or_null(fb.asked));
	json_object_set_new(*out, "answer",
	    fb.answer[0] != '\0' ? json_string(fb.answer) : json_null());
	json_object_set_new(*out, "answered", time_or_null(fb.answered));
	return 0;
}

/*
 * Sets *out to report id with its events and last note. Returns 0,
 * STORE_NOTFOUND or STORE_ERR.
 */
static int
report_full(struct store *st, int64_t id, json_t **out)
{
	struct reports_event *ev;
	struct store_report r;
	json_t *fb;
	char *note;
	size_t n;
	int rc;

	*out = NULL;
	if ((rc = store_report_get(st, id, &r)) != 0)
		return rc;
	if ((rc = reports_events(st, id, &ev, &n)) != 0) {
		store_report_free(&r);
		return rc;
	}
	if ((rc = feedback_json(st, id, &fb)) != 0) {
		reports_events_free(ev, n);
		store_report_free(&r);
		return rc;
	}
	note = reports_last_note(st, id);
	*out = reports_json(&r, note);
	json_object_set_new(*out, "events", reports_events_json(ev, n));
	json_object_set_new(*out, "feedback", fb);
	reports_events_free(ev, n);
	free(note);
	store_report_free(&r);
	return 0;
}

/* A PATCH waiting for its commit. */
struct pending_patch {
	struct http_request *req;
	char *body; /* the answer, rendered before the commit */
};

static void
on_patched(void *arg, int ok)
{
	struct pending_patch *p = arg;

	if (!ok)
		answer_error(p->req, 503, "the store failed; try again");
	else
		http_respond(
		    p->req, 200, "application/json", p->body, strlen(p->body));
	free(p->body);
	free(p);
}

/* PATCH /api/v1/reports/ID {"status", "note"?} */
static void
patch_report(struct gateway *gw, struct http_request *req, int64_t id)
{
	struct reports_update_result res;
	struct pending_patch *p;
	const char *status = NULL, *note = NULL;
	json_error_t e;
	json_t *o, *js, *jn, *out;
	char msg[200], detail[64];
	int rc;

	o = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &e);
	if (o == NULL || !json_is_object(o)) {
		snprintf(msg, sizeof(msg), "the body must be a JSON object%s%s",
		    o == NULL ? ": " : "", o == NULL ? e.text : "");
		json_decref(o);
		answer_error(req, 400, msg);
		return;
	}
	js = json_object_get(o, "status");
	jn = json_object_get(o, "note");
	if ((js != NULL && !json_is_string(js) && !json_is_null(js)) ||
	    (jn != NULL && !json_is_string(jn) && !json_is_null(jn))) {
		answer_error(req, 400, "\"status\" and \"note\" are strings");
		goto out;
	}
	status = json_string_value(js);
	note = json_string_value(jn);
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
	if (auth_require(req, ROLE_STAFF) != 0)
		goto out;
	/* The change and its audit entry: one savepoint. */
	if (batch_begin(&gw->batch) != 0 || store_savepoint(gw->store) != 0) {
		answer_error(req, 503, "the store failed; try again");
		goto out;
	}
	rc = reports_update(
	    gw->store, gw->cfg, id, status, note, now_ms(), &res);
	snprintf(msg, sizeof(msg), "report/%" PRId64, id);
	snprintf(detail, sizeof(detail), "%s%s", status ? "status=" : "note",
	    status ? status : "");
	if (rc == 0 &&
	    (audit_record(gw, req, "report.update", msg, detail) != 0 ||
		store_release(gw->store) != 0))
		rc = STORE_ERR;
	if (rc != 0)
		store_rollback_to(gw->store);
	if (rc == STORE_NOTFOUND) {
		answer_error(req, 404, "no such report");
		goto out;
	}
	if (rc != 0) {
		answer_error(req, rc == STORE_EINVAL ? 400 : 503,
		    rc == STORE_EINVAL ? "bad status or note"
				       : "the store failed; try again");
		goto out;
	}
	log_info("reports",
	    "report updated id=%" PRId64 " status=%s sms=%" PRId64, id,
	    status != NULL ? status : res.old_status, res.message_id);
	if (report_full(gw->store, id, &out) != 0)
		out = json_pack("{s:I}", "id", (json_int_t)id);
	json_object_set_new(out, "sms_id",
	    res.message_id > 0 ? json_integer(res.message_id) : json_null());
	if (res.feedback_id > 0)
		json_object_set_new(
		    out, "feedback_sms_id", json_integer(res.feedback_id));
	if (res.no_sms != NULL)
		json_object_set_new(
		    out, "sms_skipped", json_string(res.no_sms));
	p = xmalloc(sizeof(*p));
	p->req = req;
	p->body = json_dumps(out, JSON_COMPACT);
	json_decref(out);
	batch_defer(&gw->batch, on_patched, p);
out:
	json_decref(o);
}

void
reports_api(struct gateway *gw, struct http_request *req, const char *rest)
{
	json_t *o;
	int64_t id;
	int rc;

	if (strncmp(rest, "reports/", 8) != 0 || (id = str_id(rest + 8)) < 0) {
		answer_error(req, 404, "no such report");
		return;
	}
	if (strcmp(req->method, "PATCH") == 0) {
		patch_report(gw, req, id);
		return;
	}
	if (strcmp(req->method, "GET") != 0) {
		answer_method(req, "GET, PATCH");
		return;
	}
	if ((rc = report_full(gw->store, id, &o)) != 0) {
		if (rc == STORE_NOTFOUND)
			answer_error(req, 404, "no such report");
		else
			answer_error(req, 503, "the store failed; try again");
		return;
	}
	answer_json(req, 200, o);
}
