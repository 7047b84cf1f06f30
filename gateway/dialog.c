/*
 * dialog.c: one conversation turn, the host side of the flow engine.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gateway/dialog.h"
#include "gateway/events.h"
#include "lib/fold.h"
#include "lib/log.h"
#include "lib/util.h"
#include "providers/client.h"
#include "providers/client_thread.h"

struct dialog {
	struct dialog_env env; /* copied */
	struct engine eng;     /* set and texts */
	enum engine_channel kind;
	char *channel;
	char *phone;
	char *key;                    /* session key in the store */
	struct store_contact contact; /* loaded or created */
	struct flow_session *session; /* the engine's state */
	struct engine_result r;       /* the last result */
	enum dialog_outcome outcome;  /* how the turn went */
	char *reply;                  /* what to send, or NULL */
	char *flow;                   /* the flow that ran */
	char *fetch_url;              /* DIALOG_FETCH: the URL */
	int ended;                    /* the session is over */
	int failed;                   /* a store write failed */
	int stored;                   /* a session row may exist */
	char *resume;                 /* USSD: the session's resume key,
					 "CHANNEL CODE", or NULL */
	enum dialog_resume resumed;   /* what the resume menu did */
};

int
dialog_is_word(const struct config_words *w, const char *text)
{
	char buf[64];
	size_t i, n;
	const char *s = text, *e;

	while (*s != '\0' && isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	n = (size_t)(e - s);
	if (n == 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	for (i = 0; i < w->n; i++)
		if (fold_equal(buf, w->v[i]))
			return 1;
	return 0;
}

/* Copies text, trimmed, into buf (len bytes); "" when it does not fit. */
static const char *
trimmed(const char *text, char *buf, size_t len)
{
	const char *s = text, *e;
	size_t n;

	while (*s != '\0' && isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	n = (size_t)(e - s);
	if (n >= len)
		n = 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return buf;
}

int
dialog_feedback_answer(const char *text)
{
	static const char *const yes[] = {"1", "yes", "ndiyo", "ndio"};
	static const char *const no[] = {"2", "no", "hapana"};
	char buf[16];
	size_t i;

	if (text == NULL || *trimmed(text, buf, sizeof(buf)) == '\0')
		return -1;
	for (i = 0; i < nitems(yes); i++)
		if (str_ieq(buf, yes[i]))
			return 1;
	for (i = 0; i < nitems(no); i++)
		if (str_ieq(buf, no[i]))
			return 0;
	return -1;
}

enum dialog_outcome
dialog_outcome(const struct dialog *d)
{
	if (d->failed)
		return DIALOG_FAILED;
	return d->outcome;
}

const char *
dialog_fetch_url(const struct dialog *d)
{
	return d->fetch_url;
}

int
dialog_fetch_timeout(const struct dialog *d)
{
	return d->kind == ENGINE_USSD ? DIALOG_USSD_FETCH_MS
				      : DIALOG_SMS_FETCH_MS;
}

int
dialog_cache_put(struct dialog_cache *c, const char *url, int status,
    const char *body, size_t len)
{
	struct dialog_cache_entry *e;

	if (c->n >= nitems(c->v))
		return -1;
	e = &c->v[c->n++];
	e->url = xstrdup(url);
	e->status = status;
	e->body = xstrndup(body ? body : "", body ? len : 0);
	e->len = body ? len : 0;
	return 0;
}

void
dialog_cache_free(struct dialog_cache *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->v[i].url);
		free(c->v[i].body);
	}
	c->n = 0;
}

const char *
dialog_reply(const struct dialog *d)
{
	return d->reply;
}

int64_t
dialog_contact(const struct dialog *d)
{
	return d->contact.id;
}

int
dialog_ended(const struct dialog *d)
{
	return d->ended;
}

enum dialog_resume
dialog_resumed(const struct dialog *d)
{
	return d->resumed;
}

const char *
dialog_flow(const struct dialog *d)
{
	return d->flow;
}

void
dialog_free(struct dialog *d)
{
	if (d == NULL)
		return;
	engine_result_free(&d->r);
	engine_session_free(d->session);
	store_contact_free(&d->contact);
	free(d->channel);
	free(d->phone);
	free(d->key);
	free(d->reply);
	free(d->flow);
	free(d->fetch_url);
	free(d->resume);
	free(d);
}

static void
finish(struct dialog *d, const char *reply, int ended)
{
	free(d->reply);
	d->reply = reply != NULL && *reply != '\0' ? xstrdup(reply) : NULL;
	/* A USSD screen is always sent, even an empty END. */
	if (d->reply == NULL && d->kind == ENGINE_USSD)
		d->reply = xstrdup("");
	d->ended = ended;
	d->outcome = d->reply != NULL ? DIALOG_REPLY : DIALOG_SILENT;
}

/* Copies the contact's saved fields into a fresh session. */
static void
load_fields(struct dialog *d)
{
	json_t *o, *v;
	const char *k;

	if ((o = json_loads(d->contact.fields, 0, NULL)) == NULL)
		return;
	json_object_foreach(o, k, v)
	{
		if (json_is_string(v))
			engine_session_set_field(
			    d->session, k, json_string_value(v));
	}
	json_decref(o);
}

/* A row or report as engine fields, from a flat JSON object. */
struct fields {
	struct engine_field *v;
	size_t n;
	json_t *json; /* keeps the strings alive */
};

static void
fields_from_json(struct fields *f, json_t *o)
{
	const char *k;
	json_t *v;

	f->json = o;
	f->n = 0;
	f->v = xcalloc(json_object_size(o) + 1, sizeof(*f->v));
	json_object_foreach(o, k, v)
	{
		if (!json_is_string(v))
			continue;
		f->v[f->n].name = k;
		f->v[f->n].value = json_string_value(v);
		f->n++;
	}
}

static void
fields_free(struct fields *f)
{
	free(f->v);
	json_decref(f->json);
}

static void
store_failed(struct dialog *d, const char *what, int rc)
{
	log_error("dialog", "store write failed op=%s rc=%d error=%s", what, rc,
	    store_errmsg(d->env.store));
	d->failed = 1;
}

static void
do_lookup(struct dialog *d, const struct engine_action *a,
    struct engine_reply *rep, struct fields *f)
{
	char *row = NULL;
	json_t *o;
	int rc;

	rc = store_lookup(d->env.store, a->table, a->column, a->value, &row);
	if (rc == STORE_NOTFOUND) {
		rep->kind = REPLY_NOT_FOUND;
		return;
	}
	if (rc != 0 || (o = json_loads(row, 0, NULL)) == NULL) {
		log_error("dialog",
		    "lookup failed file=%s line=%u table=%s column=%s rc=%d",
		    a->file, a->line, a->table, a->column, rc);
		free(row);
		rep->kind = REPLY_FAILED;
		return;
	}
	free(row);
	fields_from_json(f, o);
	rep->kind = REPLY_FOUND;
	rep->fields = f->v;
	rep->nfields = f->n;
}

static void
format_day(int64_t ms, char *out, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%d", &tm);
}

static void
do_find_report(struct dialog *d, const struct engine_action *a,
    struct engine_reply *rep, struct fields *f)
{
	struct store_report rp;
	const char *s = a->id;
	char *end, day[32];
	long long id;
	json_t *o;

	while (*s == ' ' || *s == '#')
		s++;
	id = strtoll(s, &end, 10);
	while (*end == ' ')
		end++;
	if (!isdigit((unsigned char)*s) || *end != '\0' || id <= 0) {
		rep->kind = REPLY_NOT_FOUND;
		return;
	}
	memset(&rp, 0, sizeof(rp));
	if (store_report_get(d->env.store, id, &rp) != 0) {
		rep->kind = REPLY_NOT_FOUND;
		return;
	}
	o = json_object();
	json_object_set_new(o, "id", json_sprintf("%lld", id));
	json_object_set_new(o, "status", json_string(rp.status));
	json_object_set_new(
	    o, "category", json_string(rp.category ? rp.category : ""));
	json_object_set_new(
	    o, "location", json_string(rp.location ? rp.location : ""));
	json_object_set_new(
	    o, "details", json_string(rp.details ? rp.details : ""));
	format_day(rp.created, day, sizeof(day));
	json_object_set_new(o, "created", json_string(day));
	format_day(rp.updated, day, sizeof(day));
	json_object_set_new(o, "updated", json_string(day));
	store_report_free(&rp);
	fields_from_json(f, o);
	rep->kind = REPLY_FOUND;
	rep->fields = f->v;
	rep->nfields = f->n;
}

/* Answers a fetch from the cache. Returns 0, or -1 when it is not there. */
static int
fetch_cached(struct dialog *d, const char *url, struct engine_reply *rep)
{
	const struct dialog_cache *c = d->env.cache;
	size_t i;

	for (i = 0; c != NULL && i < c->n; i++) {
		if (strcmp(c->v[i].url, url) != 0)
			continue;
		if (c->v[i].status >= 200 && c->v[i].status < 300) {
			rep->kind = REPLY_FETCHED;
			rep->body = c->v[i].body;
			rep->bodylen = c->v[i].len;
		} else if (c->v[i].status == 404) {
			rep->kind = REPLY_NOT_FOUND;
		} else {
			rep->kind = REPLY_FAILED;
		}
		return 0;
	}
	return -1;
}

/*
 * A fetch past the cache's room in one turn (each runs the turn again from
 * its start, so a flow fetching in a loop would never end): a run-time
 * failure at the fetch's step, as the engine's own are (flows.md: the
 * resident gets error_text, the session ends, the log names the file and
 * line), whichever host runs the turn.
 */
static void
too_many_fetches(struct dialog *d)
{
	const struct engine_action *a = &d->r.action;
	char *err = xasprintf("%s:%u: more than %zu fetches in one turn",
	    a->file != NULL ? a->file : "-", a->line, nitems(d->env.cache->v));

	engine_result_free(&d->r); /* zeroes it */
	d->r.status = ENGINE_ERROR;
	d->r.text =
	    xstrdup(d->eng.error_text != NULL ? d->eng.error_text
					      : ENGINE_DEFAULT_ERROR_TEXT);
	d->r.error = err;
}

/*
 * Carries out the pending action. Returns 1 when the engine was resumed
 * (d->r holds the next result), 0 when a fetch must happen first.
 */
static int
do_action(struct dialog *d)
{
	const struct engine_action *a = &d->r.action;
	struct engine_reply rep;
	struct engine_result r = {0};
	struct fields f = {NULL, 0, NULL};
	char idbuf[32];
	int64_t id, now = now_ms();
	int rc = 0;

	memset(&rep, 0, sizeof(rep));
	rep.kind = REPLY_OK;
	switch (a->kind) {
	case ACTION_LOOKUP:
		do_lookup(d, a, &rep, &f);
		break;
	case ACTION_FETCH:
		if (fetch_cached(d, a->url, &rep) == 0)
			break;
		if (d->env.cache != NULL &&
		    d->env.cache->n >= nitems(d->env.cache->v)) {
			too_many_fetches(d);
			return 1;
		}
		d->outcome = DIALOG_FETCH;
		d->fetch_url = xstrdup(a->url);
		return 0;
	case ACTION_REPORT:
		rc = store_report_create(d->env.store, d->contact.id,
		    engine_session_flow(d->session), a->category, a->location,
		    a->details, now, &id);
		if (rc == 0)
			rc = events_report_created(
			    d->env.store, d->env.cfg, id, now);
		if (rc != 0) {
			store_failed(d, "report", rc);
			rep.kind = REPLY_FAILED;
			break;
		}
		snprintf(idbuf, sizeof(idbuf), "%" PRId64, id);
		rep.id = idbuf;
		log_info("dialog", "report opened id=%" PRId64 " flow=%s", id,
		    engine_session_flow(d->session));
		break;
	case ACTION_FIND_REPORT:
		do_find_report(d, a, &rep, &f);
		break;
	case ACTION_SUBSCRIBE:
		if ((rc = store_subscribe(
			 d->env.store, d->contact.id, a->topic, now)) != 0) {
			store_failed(d, "subscribe", rc);
			rep.kind = REPLY_FAILED;
		}
		break;
	case ACTION_UNSUBSCRIBE:
		if ((rc = store_unsubscribe(
			 d->env.store, d->contact.id, a->topic)) != 0) {
			store_failed(d, "unsubscribe", rc);
			rep.kind = REPLY_FAILED;
		}
		break;
	case ACTION_SAVE:
		if ((rc = store_contact_set_field(d->env.store, d->contact.id,
			 a->field, a->value, now)) != 0) {
			store_failed(d, "save", rc);
			rep.kind = REPLY_FAILED;
		}
		break;
	case ACTION_LANGUAGE:
		if ((rc = store_contact_set_language(
			 d->env.store, d->contact.id, a->language, now)) != 0) {
			store_failed(d, "language", rc);
			rep.kind = REPLY_FAILED;
		}
		break;
	}
	engine_resume(&d->eng, d->session, &rep, &r);
	if (f.v != NULL)
		fields_free(&f);
	engine_result_free(&d->r);
	d->r = r;
	return 1;
}

/*
 * Keeps the session waiting now: its flow and state, the time of this
 * step, its resume key and (USSD) the screen shown. Returns as
 * store_session_put.
 */
static int
save_session(
    struct dialog *d, const char *flow, const char *state, const char *screen)
{
	struct store_session row;
	int64_t now = now_ms();

	memset(&row, 0, sizeof(row));
	row.contact_id = d->contact.id;
	row.flow = (char *)flow;
	row.state = (char *)state;
	row.expires = now + d->env.cfg->session_timeout_ms;
	row.last = now;
	row.resume = d->resume;
	row.screen = (char *)screen;
	return store_session_put(d->env.store, d->key, &row);
}

/*
 * A flow's run-time failure, logged once a minute at most for the same
 * flow and error (its file and line), with the repeats not logged since
 * the last line (repeats=N): a resident can
 * make a flow fail at every message (an answer too long for its reply),
 * and the log must not be theirs to fill. FAILURES_KEPT kinds at once; the
 * one logged longest ago makes room.
 */
#define FAILURES_KEPT 16
#define FAILURE_LOG_MS 60000

static void
log_failure(const char *flow, const char *error)
{
	static struct {
		uint64_t key;
		int64_t at;
		uint64_t since;
	} seen[FAILURES_KEPT];
	uint64_t key = 1469598103934665603ULL; /* FNV-1a of flow, error */
	int64_t now = mono_ms();
	const char *p;
	size_t i, slot = 0;

	for (p = flow; *p != '\0'; p++)
		key = (key ^ (unsigned char)*p) * 1099511628211ULL;
	key = (key ^ 0xff) * 1099511628211ULL;
	for (p = error; *p != '\0'; p++)
		key = (key ^ (unsigned char)*p) * 1099511628211ULL;
	for (i = 0; i < FAILURES_KEPT; i++) {
		if (seen[i].key == key && seen[i].at != 0)
			break;
		if (seen[i].at < seen[slot].at)
			slot = i;
	}
	if (i < FAILURES_KEPT) {
		if (now - seen[i].at < FAILURE_LOG_MS) {
			seen[i].since++;
			return;
		}
		slot = i;
	} else
		seen[slot].since = 0;
	if (seen[slot].since > 0)
		log_error("dialog",
		    "flow failed flow=%s error=\"%s\" repeats=%llu", flow,
		    error, (unsigned long long)seen[slot].since);
	else
		log_error(
		    "dialog", "flow failed flow=%s error=\"%s\"", flow, error);
	seen[slot].key = key;
	seen[slot].at = now;
	seen[slot].since = 0;
}

/* Runs actions until the engine waits or ends, then stores and replies. */
static void
dialog_run(struct dialog *d)
{
	char *state, *flow, scrub[300];
	int rc;

	while (d->r.status == ENGINE_ACTION)
		if (!do_action(d))
			return; /* the caller fetches and runs the turn again */

	if (d->flow == NULL && engine_session_flow(d->session) != NULL)
		d->flow = xstrdup(engine_session_flow(d->session));
	switch (d->r.status) {
	case ENGINE_WAIT:
		/* The session's last use: stowed, the next turn takes it back. */
		flow = engine_session_flow(d->session)
			   ? xstrdup(engine_session_flow(d->session))
			   : NULL;
		state = engine_session_stow(d->session);
		d->session = NULL;
		rc = save_session(
		    d, flow, state, d->kind == ENGINE_USSD ? d->r.text : NULL);
		free(state);
		free(flow);
		if (rc != 0)
			store_failed(d, "session", rc);
		finish(d, d->r.text, 0);
		return;
	case ENGINE_ERROR:
	case ENGINE_STALE:
		log_failure(d->flow ? d->flow : "-",
		    log_text(
			d->r.error ? d->r.error : "-", scrub, sizeof(scrub)));
		/* FALLTHROUGH */
	case ENGINE_END:
	default:
		/* A turn that started and ended at once left no row. */
		if (d->stored &&
		    (rc = store_session_delete(d->env.store, d->key)) != 0)
			store_failed(d, "session", rc);
		finish(d, d->r.text, 1);
		return;
	}
}

/* Handles the stop and start words. Returns 1 when the text was one. */
static int
opt_words(struct dialog *d, const char *text)
{
	const struct config *cfg = d->env.cfg;
	int stop, rc;

	if (d->kind != ENGINE_SMS)
		return 0;
	if (dialog_is_word(&cfg->stop_words, text))
		stop = 1;
	else if (dialog_is_word(&cfg->start_words, text))
		stop = 0;
	else
		return 0;
	if ((rc = store_session_delete(d->env.store, d->key)) != 0)
		store_failed(d, "session", rc);
	/* Each change is confirmed once; a repeated word changes nothing. */
	if (d->contact.opted_out == stop) {
		finish(d, NULL, 1);
		return 1;
	}
	if ((rc = store_contact_set_opted_out(
		 d->env.store, d->contact.id, stop, now_ms())) != 0)
		store_failed(d, "opt-out", rc);
	log_info("dialog", "contact opted %s", stop ? "out" : "in");
	finish(d, stop ? cfg->stop_text : cfg->start_text, 1);
	return 1;
}

/*
 * Starts a new session: an SMS (text) goes to the flows' triggers, a USSD
 * session to the flow of the code dialled.
 */
static void
start(struct dialog *d, const struct dialog_input *in, const char *text,
    const char *dialled)
{
	int routed;

	engine_session_free(d->session);
	d->session = engine_session_new(
	    in->kind, in->phone, d->contact.language, in->ussd_max);
	load_fields(d);
	if (in->kind == ENGINE_SMS)
		routed = engine_route_sms(&d->eng, d->session, text, &d->r);
	else
		routed = engine_route_ussd(
		    &d->eng, d->session, dialled ? dialled : "", &d->r);
	if (routed != 1) {
		if (in->kind == ENGINE_USSD) {
			/* The code's first part only: what follows it may be
			   a resident's account number. */
			const char *dl = dialled ? dialled : "";
			size_t n =
			    strcspn(dl + (*dl == '*'), "*#") + (*dl == '*');

			log_info("dialog",
			    "no flow takes the message kind=ussd code=%.*s%s",
			    (int)(n < 16 ? n : 16), dl,
			    dl[n] == '#' && n < 16 ? "#" : "...");
		} else
			log_info(
			    "dialog", "no flow takes the message kind=sms");
		if (in->kind == ENGINE_USSD)
			finish(d, d->env.cfg->error_text, 1);
		else
			finish(d, NULL, 1);
		return;
	}
	dialog_run(d);
}

/*
 * Report feedback: when text answers the question a report's reporter got
 * (dialog_feedback_answer) within DIALOG_FEEDBACK_WINDOW_MS, keeps the
 * answer with the report and returns 1 (nothing is sent). A session that
 * waits since after the question (its last step, session_last, is newer;
 * -1 when none waits) takes the text instead, as does any other text:
 * returns 0.
 */
static int
feedback_turn(struct dialog *d, const char *text, int64_t session_last)
{
	struct store *st = d->env.store;
	int yes = dialog_feedback_answer(text), rc;
	int64_t id, asked, now = now_ms();

	if (yes < 0)
		return 0;
	rc = store_feedback_pending(
	    st, d->contact.id, now - DIALOG_FEEDBACK_WINDOW_MS, &id, &asked);
	if (rc == STORE_NOTFOUND || (rc == 0 && session_last > asked))
		return 0;
	if (rc == 0 && (rc = store_feedback_answer(st, id, yes, now)) >= 0) {
		log_info("dialog",
		    "report feedback kept id=%" PRId64 " answer=%s", id,
		    yes ? "yes" : "no");
		finish(d, NULL, 0);
		return 1;
	}
	store_failed(d, "feedback", rc);
	finish(d, NULL, 0);
	return 1;
}

/*
 * A new USSD session of a contact whose session for the same code was cut
 * off within ussd_resume: that session's row moves to this session's key
 * with the resume menu showing, and the screen is resume_text. Returns 1
 * when the menu was offered (or the store failed), 0 when there is no
 * session to resume.
 */
static int
offer_resume(struct dialog *d, const struct dialog_input *in)
{
	const struct config *cfg = d->env.cfg;
	struct store *st = d->env.store;
	struct store_session cut;
	char *resume, *key = NULL;
	int64_t now = now_ms();
	int rc;

	if (cfg->ussd_resume_ms <= 0 || in->dialled == NULL)
		return 0;
	resume = xasprintf("%s %s", d->channel, in->dialled);
	rc = store_session_resumable(st, d->contact.id, resume,
	    now - cfg->ussd_resume_ms, now, &key, &cut);
	if (rc == STORE_NOTFOUND) {
		free(resume);
		return 0;
	}
	if (rc == 0) {
		cut.menu = 1;
		cut.last = now;
		cut.expires = now + cfg->session_timeout_ms;
		if ((rc = store_session_put(st, d->key, &cut)) == 0)
			rc = store_session_delete(st, key);
	}
	if (rc != 0) {
		store_failed(d, "session", rc);
		finish(d, cfg->error_text, 1);
	} else {
		log_info("dialog", "USSD resume offered channel=%s flow=%s",
		    d->channel, cut.flow);
		d->flow = xstrdup(cut.flow);
		d->resumed = DIALOG_RESUME_OFFERED;
		finish(d, cfg->resume_text, 0);
	}
	store_session_free(&cut);
	free(key);
	free(resume);
	return 1;
}

/*
 * The answer to the resume menu of session ss (ss->menu): "1" shows the
 * cut session's last screen again and the session goes on from there, "2"
 * starts the code's flow afresh, anything else repeats the menu after
 * invalid_choice_text.
 */
static void
resume_menu(struct dialog *d, const struct dialog_input *in,
    struct store_session *ss, const char *text)
{
	const struct config *cfg = d->env.cfg;
	const char *code;
	char buf[8], *again;
	int64_t now = now_ms();
	int rc;

	trimmed(text, buf, sizeof(buf));
	if (strcmp(buf, "2") == 0) {
		if ((rc = store_session_delete(d->env.store, d->key)) != 0)
			store_failed(d, "session", rc);
		d->resumed = DIALOG_RESUME_RESTARTED;
		/* The resume key is "CHANNEL CODE": start at the code. */
		code = ss->resume != NULL ? strchr(ss->resume, ' ') : NULL;
		d->resume = ss->resume;
		ss->resume = NULL;
		log_info("dialog", "USSD resume declined channel=%s flow=%s",
		    d->channel, ss->flow);
		start(d, in, "", code != NULL ? code + 1 : "");
		return;
	}
	d->flow = xstrdup(ss->flow);
	if (strcmp(buf, "1") == 0)
		ss->menu = 0;
	ss->last = now;
	ss->expires = now + cfg->session_timeout_ms;
	if ((rc = store_session_put(d->env.store, d->key, ss)) != 0) {
		store_failed(d, "session", rc);
		finish(d, cfg->error_text, 1);
		return;
	}
	if (ss->menu) {
		again = xasprintf(
		    "%s\n%s", cfg->invalid_choice_text, cfg->resume_text);
		finish(d, again, 0);
		free(again);
		return;
	}
	log_info("dialog", "USSD session resumed channel=%s flow=%s",
	    d->channel, ss->flow);
	d->resumed = DIALOG_RESUME_CONTINUED;
	finish(d, ss->screen != NULL ? ss->screen : "", 0);
}

int
dialog_turn(const struct dialog_env *env, const struct dialog_input *in,
    struct dialog **out)
{
	struct dialog *d;
	struct store_session ss;
	const char *text = in->text ? in->text : "";
	char masked[32];
	int rc;

	*out = NULL;
	if (in->phone == NULL || strlen(text) > DIALOG_MAX_INPUT ||
	    (in->kind == ENGINE_USSD && in->ussd_session == NULL)) {
		log_warn("dialog", "turn refused: bad input");
		return -1;
	}
	d = xcalloc(1, sizeof(*d));
	d->env = *env;
	d->eng.set = env->set;
	d->eng.error_text = env->cfg->error_text;
	d->eng.invalid_choice_text = env->cfg->invalid_choice_text;
	d->eng.on_step = env->on_step;
	d->eng.step_arg = env->step_arg;
	d->kind = in->kind;
	d->channel = xstrdup(in->channel ? in->channel : "");
	d->phone = xstrdup(in->phone);
	if (in->kind == ENGINE_SMS)
		d->key = xconcat("sms:", in->phone, (char *)NULL);
	else
		d->key = xconcat("ussd:", d->channel, ":",
		    in->ussd_session ? in->ussd_session : "", (char *)NULL);

	if (in->contact != NULL && in->contact->id != 0) {
		d->contact = *in->contact;
		memset(in->contact, 0, sizeof(*in->contact));
		rc = store_contact_seen(
		    env->store, &d->contact, in->channel, now_ms());
	} else
		rc = store_contact_touch(
		    env->store, in->phone, in->channel, now_ms(), &d->contact);
	if (rc < 0) {
		log_warn("dialog", "turn refused: contact phone=%s rc=%d",
		    log_phone(in->phone, masked, sizeof(masked)), rc);
		dialog_free(d);
		return -1;
	}
	*out = d;

	if (opt_words(d, text))
		return 0;
	if (in->kind == ENGINE_SMS &&
	    dialog_is_word(&env->cfg->restart_words, text)) {
		if ((rc = store_session_delete(env->store, d->key)) != 0)
			store_failed(d, "session", rc);
	}

	memset(&ss, 0, sizeof(ss));
	rc = store_session_load(env->store, d->key, now_ms(), &ss);
	/* An expired row may still be there: only NOTFOUND means none. */
	d->stored = rc != STORE_NOTFOUND;
	if (rc == 0 && in->kind == ENGINE_USSD &&
	    ss.contact_id != d->contact.id) {
		/*
		 * A USSD session belongs to the phone that opened it: another
		 * phone's step for its id ends that phone's screen, and the
		 * owner's session stays exactly as it was.
		 */
		log_warn("dialog",
		    "USSD step from another phone refused channel=%s "
		    "phone=%s",
		    d->channel, log_phone(in->phone, masked, sizeof(masked)));
		store_session_free(&ss);
		finish(d, env->cfg->error_text, 1);
		return 0;
	}
	if (in->kind == ENGINE_SMS &&
	    feedback_turn(d, text, rc == 0 ? ss.last : -1)) {
		store_session_free(&ss);
		return 0;
	}
	if (rc == 0 && ss.menu) {
		resume_menu(d, in, &ss, text);
		store_session_free(&ss);
		return 0;
	}
	/*
	 * A stored session takes the input; the dialled string (USSD) only
	 * matters when there is none.
	 */
	if (rc == 0 &&
	    engine_session_load(ss.state, strlen(ss.state), &d->session) == 0 &&
	    engine_input(&d->eng, d->session, text, &d->r) == 0) {
		d->resume = ss.resume;
		ss.resume = NULL;
		store_session_free(&ss);
		dialog_run(d);
		return 0;
	}
	store_session_free(&ss);
	if (rc != 0 && in->kind == ENGINE_USSD && in->resume &&
	    offer_resume(d, in))
		return 0;
	if (in->kind == ENGINE_USSD && in->resume)
		d->resume = xasprintf(
		    "%s %s", d->channel, in->dialled ? in->dialled : "");
	start(d, in, text, in->dialled);
	return 0;
}

struct fetch_call {
	struct dialog_cache *cache;
	char *url;
	void (*done)(void *);
	void *arg;
};

static void
on_client_done(const struct client_resp *resp, void *arg)
{
	struct fetch_call *fc = arg;

	/* A cancelled fetch is a failed one: the rerun must not fetch again. */
	dialog_cache_put(fc->cache, fc->url,
	    resp->cancelled ? 0 : (int)resp->status, resp->body,
	    resp->body_len);
	fc->done(fc->arg);
	free(fc->url);
	free(fc);
}

int
dialog_fetch(const struct client_port *port, const char *url, int timeout_ms,
    struct dialog_cache *cache, void (*done)(void *), void *arg)
{
	static const char *const headers[] = {"Accept: application/json", NULL};
	struct client_req req;
	struct fetch_call *fc;

	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = url;
	req.headers = headers;
	req.timeout_ms = timeout_ms;
	req.max_body = DIALOG_MAX_FETCH;
	/* Values are encoded ("." and ".." too): no dot segment to resolve. */
	req.path_as_is = 1;
	fc = xcalloc(1, sizeof(*fc));
	fc->cache = cache;
	fc->url = xstrdup(url);
	fc->done = done;
	fc->arg = arg;
	if (client_port_request(port, &req, on_client_done, fc) != 0) {
		free(fc->url);
		free(fc);
		return -1;
	}
	return 0;
}
