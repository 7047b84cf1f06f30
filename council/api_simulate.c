/*
 * api_simulate.c: POST /api/v1/simulate, the console's phone: the real
 * flows, engine and store (gateway/dialog.c, as `baraza simulate` runs
 * them), in a sandbox.
 *
 * Each turn runs inside a savepoint that is rolled back before the handler
 * returns: whatever the flow wrote (the contact, a report, a subscription,
 * saved fields, the session) is gone, and nothing is queued or sent (a
 * turn never queues: the caller of dialog_turn() does, and this one does
 * not). The savepoint nests in the turn's batch transaction when one is
 * open (batch.h) and is gone before that commits, so the other requests of
 * the turn commit exactly their own writes.
 *
 * A conversation that goes on (a USSD menu, an SMS question) is kept in
 * memory between requests under a random session id: the contact's
 * language and saved fields and the engine's session, restored into the
 * next turn's savepoint. At most SIM_MAX_SESSIONS are kept (the least
 * recently used goes first), each SIM_TTL_MS after its last turn, in a map
 * hashed with a random key (lib/strmap.h).
 *
 * `fetch` steps run: they are GETs to the URLs the flows name (a resident
 * cannot steer them, interfaces.md "Closed by default"), so the simulator
 * shows what a resident would see. While one is in flight the turn waits
 * outside any transaction, and runs again from the start with the answer,
 * as the gateway does.
 */
#include <sys/random.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "council/api_common.h"
#include "gateway/answer.h"
#include "gateway/auth.h"
#include "gateway/dialog.h"
#include "gateway/gateway.h"
#include "lib/log.h"
#include "lib/phone.h"
#include "lib/strmap.h"
#include "lib/util.h"

#define SIM_MAX_SESSIONS 1000         /* conversations kept */
#define SIM_TTL_MS (10 * 60 * 1000LL) /* kept this long after a turn */
#define SIM_ID_BYTES 16               /* random bytes of a session id */
#define SIM_ID_LEN (2 * SIM_ID_BYTES) /* its hex characters */
#define SIM_CHANNEL "simulate"        /* the channel the turns come on */

/* A conversation between two requests. */
struct sim_session {
	enum engine_channel kind;
	char phone[PHONE_MAX]; /* E.164 */
	char *language;        /* the contact's language, or NULL */
	char *fields;          /* its saved fields, a JSON object text */
	char *flow;            /* the session's flow, NULL when none waits */
	char *state;           /* the engine's state, JSON text */
	int64_t touched;       /* ms of the last turn */
};

static void
session_free(void *v)
{
	struct sim_session *s = v;

	if (s == NULL)
		return;
	free(s->language);
	free(s->fields);
	free(s->flow);
	free(s->state);
	free(s);
}

/* Drops the conversations whose last turn is older than SIM_TTL_MS. */
static int
expired(void *arg, const char *key, void *value)
{
	const struct sim_session *s = value;

	(void)key;
	return s->touched + SIM_TTL_MS <= *(const int64_t *)arg;
}

void
api_simulate_start(struct gateway *gw, void **state)
{
	struct strmap *m = xcalloc(1, sizeof(*m));

	(void)gw;
	strmap_init(m, SIM_MAX_SESSIONS, session_free);
	*state = m;
}

void
api_simulate_stop(struct gateway *gw, void **state)
{
	(void)gw;
	if (*state != NULL) {
		strmap_free(*state);
		free(*state);
	}
	*state = NULL;
}

/*
 * The conversations kept (the service's state, see council/council.c),
 * their stale ones dropped; NULL when the service is not running.
 */
static struct strmap *
session_map(struct gateway *gw)
{
	struct strmap *m = gateway_service_state(gw, api_simulate_start);
	int64_t now = now_ms();

	/* The map's use order is the order of the last turns. */
	if (m != NULL)
		strmap_expire(m, expired, &now);
	return m;
}

/* One request, which may wait for fetches between its runs. */
struct sim_job {
	struct gateway *gw;
	struct http_request *req;
	struct flows_ref *flows;   /* the set it started on */
	struct dialog_cache cache; /* fetch answers */
	char sid[SIM_ID_LEN + 1];  /* the conversation's id */
	struct sim_session *snap;  /* what to restore, owned, or NULL */
	enum engine_channel kind;
	char phone[PHONE_MAX];
	char *text; /* the input, owned */
	int dial;   /* a new USSD session: text is the code dialled */
	char *lang; /* the language asked for, owned, or NULL */
	char *url;  /* the fetch in flight, owned */
};

static void
job_free(struct sim_job *j)
{
	dialog_cache_free(&j->cache);
	flows_unref(j->flows);
	session_free(j->snap);
	free(j->text);
	free(j->lang);
	free(j->url);
	free(j);
}

/* The session key dialog.c keeps the conversation under. */
static char *
session_key(const struct sim_job *j)
{
	if (j->kind == ENGINE_SMS)
		return xasprintf("sms:%s", j->phone);
	return xasprintf("ussd:%s:%s", SIM_CHANNEL, j->sid);
}

/* Sets each saved field of the JSON object text fields on contact id. */
static int
restore_fields(struct store *st, int64_t id, const char *fields, int64_t now)
{
	const char *name;
	json_t *o, *v;
	int rc = 0;

	if (fields == NULL || (o = json_loads(fields, 0, NULL)) == NULL)
		return 0;
	json_object_foreach(o, name, v)
	{
		if (json_is_string(v) && store_contact_set_field(st, id, name,
					     json_string_value(v), now) < 0)
			rc = -1;
	}
	json_decref(o);
	return rc;
}

/*
 * Puts the conversation back inside the savepoint: the contact's language
 * and fields, and the session that waits. A new conversation starts
 * without the session a real conversation of that number may have.
 */
static int
restore(struct sim_job *j, const char *key)
{
	struct store *st = j->gw->store;
	struct store_contact c;
	const char *lang = j->lang;
	int64_t now = now_ms();
	int rc = 0;

	if (j->snap == NULL)
		return store_session_delete(st, key) == 0 ? 0 : -1;
	memset(&c, 0, sizeof(c));
	if (store_contact_get(st, j->phone, now, &c) < 0)
		return -1;
	if (lang == NULL)
		lang = j->snap->language;
	if ((lang != NULL &&
		store_contact_set_language(st, c.id, lang, now) < 0) ||
	    restore_fields(st, c.id, j->snap->fields, now) != 0)
		rc = -1;
	else if (j->snap->flow != NULL)
		rc = store_session_save(st, key, c.id, j->snap->flow,
			 j->snap->state,
			 now + j->gw->cfg->session_timeout_ms) == 0
			 ? 0
			 : -1;
	else
		rc = store_session_delete(st, key) == 0 ? 0 : -1;
	store_contact_free(&c);
	return rc;
}

/* Sets the language asked for (a new conversation) in the savepoint. */
static int
set_language(struct sim_job *j)
{
	struct store_contact c;
	int64_t now = now_ms();
	int rc;

	if (j->lang == NULL || j->snap != NULL)
		return 0;
	memset(&c, 0, sizeof(c));
	if (store_contact_get(j->gw->store, j->phone, now, &c) < 0)
		return -1;
	rc = store_contact_set_language(j->gw->store, c.id, j->lang, now);
	store_contact_free(&c);
	return rc < 0 ? -1 : 0;
}

/* What a turn gave. */
struct sim_result {
	char *reply;              /* owned, or NULL */
	int ended;                /* the conversation is over */
	struct sim_session *next; /* the conversation to keep, owned */
};

/* Reads what the turn left, before the rollback. */
static int
capture(struct sim_job *j, const char *key, struct dialog *d,
    struct sim_result *res)
{
	struct store *st = j->gw->store;
	struct store_session ss;
	struct store_contact c;
	struct sim_session *n;
	int rc;

	res->reply = dialog_reply(d) ? xstrdup(dialog_reply(d)) : NULL;
	memset(&ss, 0, sizeof(ss));
	if ((rc = store_session_load(st, key, now_ms(), &ss)) < 0)
		return -1;
	res->ended = j->kind == ENGINE_USSD ? dialog_ended(d) : rc != 0;
	if (res->ended) {
		store_session_free(&ss);
		return 0;
	}
	n = xcalloc(1, sizeof(*n));
	n->kind = j->kind;
	snprintf(n->phone, sizeof(n->phone), "%s", j->phone);
	if (rc == 0) {
		n->flow = xstrdup(ss.flow);
		n->state = xstrdup(ss.state);
	}
	store_session_free(&ss);
	memset(&c, 0, sizeof(c));
	if (store_contact_find(st, j->phone, &c) == 0) {
		n->language = c.language ? xstrdup(c.language) : NULL;
		n->fields = c.fields ? xstrdup(c.fields) : NULL;
	}
	store_contact_free(&c);
	n->touched = now_ms();
	res->next = n;
	return 0;
}

/* How a run of the turn went. */
enum sim_run {
	SIM_DONE,    /* res is filled */
	SIM_FETCH,   /* j->url needs fetching first */
	SIM_REFUSED, /* the input cannot be handled: 400 */
	SIM_FAILED,  /* the store failed: 503 */
};

/*
 * Runs the turn once inside a savepoint and rolls everything back. The
 * savepoint nests in the batch's open transaction, or is a transaction
 * of its own that ends here.
 */
static enum sim_run
run_once(struct sim_job *j, struct sim_result *res)
{
	struct store *st = j->gw->store;
	struct dialog_env env;
	struct dialog_input in;
	struct dialog *d = NULL;
	enum sim_run r = SIM_DONE;
	char *key = session_key(j);

	memset(res, 0, sizeof(*res));
	if (store_savepoint(st) != 0) {
		free(key);
		return SIM_FAILED;
	}
	memset(&env, 0, sizeof(env));
	env.store = st;
	env.cfg = j->gw->cfg;
	env.set = j->flows->set;
	env.cache = &j->cache;
	memset(&in, 0, sizeof(in));
	in.kind = j->kind;
	in.channel = SIM_CHANNEL;
	in.phone = j->phone;
	in.text = j->dial ? NULL : j->text;
	in.ussd_session = j->sid;
	in.dialled = j->dial ? j->text : NULL;
	if (restore(j, key) != 0 || set_language(j) != 0)
		r = SIM_FAILED;
	else if (dialog_turn(&env, &in, &d) != 0)
		r = SIM_REFUSED;
	else if (dialog_outcome(d) == DIALOG_FAILED)
		r = SIM_FAILED;
	else if (dialog_outcome(d) == DIALOG_FETCH) {
		free(j->url);
		j->url = xstrdup(dialog_fetch_url(d));
		r = SIM_FETCH;
	} else if (capture(j, key, d, res) != 0)
		r = SIM_FAILED;
	dialog_free(d);
	free(key);
	if (store_rollback_to(st) != 0 && r == SIM_DONE)
		r = SIM_FAILED;
	if (r != SIM_DONE) {
		free(res->reply);
		session_free(res->next);
		memset(res, 0, sizeof(*res));
	}
	return r;
}

/* Answers the job and frees it, keeping or dropping its conversation. */
static void
answer(struct sim_job *j, struct sim_result *res)
{
	struct strmap *map = session_map(j->gw);
	json_t *replies = json_array(), *screen = json_null();
	char *s;

	if (j->kind == ENGINE_USSD) {
		s = xasprintf("%s %s", res->ended ? "END" : "CON",
		    res->reply ? res->reply : "");
		json_decref(screen);
		screen = json_string(s);
		free(s);
	} else if (res->reply != NULL)
		json_array_append_new(replies, api_string(res->reply));
	if (map != NULL && res->ended)
		session_free(strmap_del(map, j->sid));
	else if (map != NULL) {
		strmap_put(map, j->sid, res->next);
		res->next = NULL;
	}
	api_answer(j->req, 200,
	    json_pack("{s:o, s:o, s:b, s:s}", "replies", replies, "screen",
		screen, "end", res->ended, "session", j->sid));
	free(res->reply);
	session_free(res->next);
	job_free(j);
}

static void run(struct sim_job *);

static void
on_fetched(void *arg)
{
	struct sim_job *j = arg;

	if (j->gw->stopping) {
		answer_error(j->req, 503, "the gateway is stopping");
		job_free(j);
		return;
	}
	run(j);
}

/* Runs the turn until it is answered or waits for a fetch. */
static void
run(struct sim_job *j)
{
	struct sim_result res;

	for (;;) {
		switch (run_once(j, &res)) {
		case SIM_DONE:
			answer(j, &res);
			return;
		case SIM_REFUSED:
			answer_error(j->req, 400, "the input was refused");
			job_free(j);
			return;
		case SIM_FAILED:
			api_store_failed(j->req);
			job_free(j);
			return;
		case SIM_FETCH:
			break;
		}
		/*
		 * The request cannot start: failed. (A ninth fetch never
		 * comes here: the dialog ends the turn with error_text, as
		 * the gateway's, so the sandbox makes the same 8.)
		 */
		if (j->cache.n < nitems(j->cache.v) &&
		    dialog_fetch(&j->gw->out, j->url,
			j->kind == ENGINE_USSD ? DIALOG_USSD_FETCH_MS
					       : DIALOG_SMS_FETCH_MS,
			&j->cache, on_fetched, j) == 0)
			return;
		if (dialog_cache_put(&j->cache, j->url, 0, NULL, 0) != 0) {
			answer_error(
			    j->req, 502, "too many fetches in one turn");
			job_free(j);
			return;
		}
	}
}

/* A new session id: random, hex. */
static int
new_sid(char out[SIM_ID_LEN + 1])
{
	unsigned char b[SIM_ID_BYTES];
	size_t got = 0, i;
	ssize_t r;

	while (got < sizeof(b)) {
		r = getrandom(b + got, sizeof(b) - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	for (i = 0; i < sizeof(b); i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	return 0;
}

/* 1 when lang is one of the config's languages. */
static int
language_known(const struct config *cfg, const char *lang)
{
	size_t i;

	for (i = 0; i < cfg->languages.n; i++)
		if (strcmp(cfg->languages.v[i], lang) == 0)
			return 1;
	return 0;
}

/* Reads the request into a new job, or answers and returns NULL. */
static struct sim_job *
job_new(struct gateway *gw, struct http_request *req)
{
	const char *kind, *num, *text, *sid, *lang;
	struct sim_session *s = NULL;
	struct sim_job *j = NULL;
	json_t *o;

	if ((o = api_body_object(req)) == NULL)
		return NULL;
	kind = json_string_value(json_object_get(o, "kind"));
	num = json_string_value(json_object_get(o, "phone"));
	text = json_string_value(json_object_get(o, "text"));
	sid = json_string_value(json_object_get(o, "session"));
	lang = json_string_value(json_object_get(o, "lang"));
	if (kind != NULL && strcmp(kind, "sms") != 0 &&
	    strcmp(kind, "ussd") != 0) {
		answer_error(req, 400, "\"kind\" is sms or ussd");
		goto out;
	}
	if (text == NULL || strlen(text) > DIALOG_MAX_INPUT) {
		answer_error(req, 400, "\"text\" is a required string");
		goto out;
	}
	if (lang != NULL && !language_known(gw->cfg, lang)) {
		answer_error(req, 400, "\"lang\" is not one of the languages");
		goto out;
	}
	if (sid != NULL &&
	    (strlen(sid) != SIM_ID_LEN || session_map(gw) == NULL ||
		(s = strmap_get(session_map(gw), sid)) == NULL)) {
		answer_error(req, 404,
		    "no such session: it ended, or its last turn was more "
		    "than 10 minutes ago");
		goto out;
	}
	j = xcalloc(1, sizeof(*j));
	j->gw = gw;
	j->req = req;
	if (s != NULL) {
		if (kind != NULL &&
		    (strcmp(kind, "ussd") == 0) != (s->kind == ENGINE_USSD)) {
			answer_error(
			    req, 400, "\"kind\" differs from the session's");
			goto fail;
		}
		snprintf(j->sid, sizeof(j->sid), "%s", sid);
		j->kind = s->kind;
		snprintf(j->phone, sizeof(j->phone), "%s", s->phone);
		j->snap = xcalloc(1, sizeof(*j->snap));
		*j->snap = *s;
		j->snap->language = s->language ? xstrdup(s->language) : NULL;
		j->snap->fields = s->fields ? xstrdup(s->fields) : NULL;
		j->snap->flow = s->flow ? xstrdup(s->flow) : NULL;
		j->snap->state = s->state ? xstrdup(s->state) : NULL;
	} else {
		j->kind = kind != NULL && strcmp(kind, "ussd") == 0
			      ? ENGINE_USSD
			      : ENGINE_SMS;
		j->dial = j->kind == ENGINE_USSD;
		if (num == NULL)
			num = gw->cfg->country_code[0] ? "0700000000"
						       : "+15555550100";
		if (phone_normalize(num, gw->cfg->country_code, j->phone,
			sizeof(j->phone)) != 0) {
			answer_error(req, 400, "\"phone\" is not a number");
			goto fail;
		}
		if (new_sid(j->sid) != 0) {
			answer_error(req, 503, "no random bytes");
			goto fail;
		}
		if ((j->dial && *text == '\0') ||
		    (j->kind == ENGINE_SMS && *text == '\0')) {
			answer_error(req, 400,
			    "\"text\" is empty: a message, or the code to "
			    "dial");
			goto fail;
		}
	}
	j->text = xstrdup(text);
	j->lang = lang ? xstrdup(lang) : NULL;
	j->flows = flows_ref(gw);
	json_decref(o);
	return j;
fail:
	session_free(j->snap);
	free(j);
	j = NULL;
out:
	json_decref(o);
	return j;
}

void
api_simulate(struct gateway *gw, struct http_request *req, const char *rest)
{
	struct sim_job *j;

	if (strcmp(rest, "simulate") != 0) {
		answer_error(req, 404, "no such API endpoint");
		return;
	}
	if (strcmp(req->method, "POST") != 0) {
		answer_method(req, "POST");
		return;
	}
	if (auth_require(req, ROLE_VIEWER) != 0)
		return;
	if ((j = job_new(gw, req)) != NULL)
		run(j);
}
