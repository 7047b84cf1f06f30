/*
 * ingress.c: the durable path of every inbound message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/dialog.h"
#include "gateway/events.h"
#include "gateway/gateway.h"
#include "gateway/ingress.h"
#include "gateway/outq.h"
#include "lib/log.h"
#include "lib/phone.h"
#include "lib/util.h"

#define FLOOD_WARN_MS 60000 /* between "flood guard full" warnings */

/* The flood guard's count for one number. */
struct flood {
	int64_t start; /* window start, ms */
	int64_t count; /* messages in the window */
	int logged;    /* the window's warning was logged */
};

/* A message or USSD step being handled. */
struct job {
	struct gateway *gw;
	enum engine_channel kind;
	int64_t id; /* stored message (SMS) */
	char *channel;
	char *phone;
	char *text;    /* SMS text or USSD input */
	char *session; /* USSD */
	char *dialled; /* USSD */
	size_t ussd_max;
	struct dialog_cache cache; /* fetch answers */
	struct flows_ref *flows;   /* the set this job runs */
	ingress_cb cb;             /* the caller, or NULL */
	void *arg;
	struct ingress_result res;
	char *screen; /* USSD answer */
	int fetches;  /* fetches done */
	/*
	 * A new SMS is stored as "handled", with its sender's contact, in a
	 * savepoint of its own before its flow runs: when the turn goes well,
	 * as nearly every one does, that is its one write. Until the turn is
	 * settled, ack is the caller's answer and guessed the contact stored
	 * (0: none); after, ack is NULL. The contact read with the message
	 * (known) goes to its first turn, which reads it no more. That turn
	 * runs in the message's savepoint: undoing it undoes the message too,
	 * which settle() stores again. Any other turn has a savepoint of its
	 * own, open while turn_sp is set.
	 */
	struct job *ack;
	int64_t guessed;
	struct store_contact known;
	int turn_sp;
	char *provider_id;
	int transients; /* turns undone by a transient store failure */
	/* A cumulative USSD step: what its answer is kept under. */
	char *seen_key; /* the session's key in ussd_seen, or NULL */
};

/* Turns of one job a transient store failure may undo (job_again). */
#define JOB_TRANSIENT_MAX 3

static void job_run(struct job *);

static void
job_free(struct job *j)
{
	dialog_cache_free(&j->cache);
	flows_unref(j->flows);
	free(j->channel);
	free(j->phone);
	free(j->text);
	free(j->session);
	free(j->dialled);
	free(j->screen);
	free(j->provider_id);
	free(j->seen_key);
	store_contact_free(&j->known);
	free(j);
}

/*
 * A cumulative USSD step's answer, kept in ussd_seen as the answer to its
 * text in the turn's transaction: a network's retry of the request, after
 * a restart too, or on another node, gets it again.
 */
static int
keep_screen(struct job *j)
{
	if (j->seen_key == NULL)
		return 0;
	return store_ussd_screen(
	    j->gw->store, j->seen_key, j->res.screen, j->res.end);
}

static struct job *
job_new(struct gateway *gw, enum engine_channel kind, const char *channel,
    const char *phone, const char *text)
{
	struct job *j = xcalloc(1, sizeof(*j));
	const struct channel_config *cc = config_channel(gw->cfg, channel);

	j->gw = gw;
	j->kind = kind;
	j->channel = xstrdup(channel);
	j->phone = xstrdup(phone);
	j->text = xstrdup(text ? text : "");
	j->ussd_max = cc ? (size_t)cc->ussd_max : 0;
	j->flows = flows_ref(gw);
	return j;
}

/* After the commit: tell the caller, then forget the job. */
static void
on_committed(void *arg, int ok)
{
	struct job *j = arg;

	if (!ok) {
		j->res.status = INGRESS_BUSY;
		j->res.id = 0;
	}
	if (j->cb != NULL)
		j->cb(j->arg, &j->res);
	job_free(j);
}

/* Logs a failed store write (rc < 0) and returns -1; else returns 0. */
static int
written(struct gateway *gw, int rc)
{
	if (rc >= 0)
		return 0;
	log_error("ingress", "store write failed error=\"%s\"",
	    store_errmsg(gw->store));
	return -1;
}

/*
 * Stores a new SMS as handled, with its contact if its number has one
 * (*contact, else id 0): 1 and *id when stored, 0 for a duplicate, -1 on
 * failure.
 */
static int
insert_handled(struct gateway *gw, struct store_msg_in *m, int64_t *id,
    struct store_contact *contact)
{
	int rc;

	m->state = MSG_HANDLED;
	rc = store_msg_insert_inbound_contact(
	    gw->store, m, now_ms(), id, contact);
	if (rc == STORE_EDUP)
		return 0;
	return written(gw, rc) == 0 ? 1 : -1;
}

/* Sets an inbound message's state and contact (0: none known). */
static int
mark(struct gateway *gw, int64_t id, enum msg_state state, int64_t contact)
{
	return written(gw,
	    store_msg_inbound_state(gw->store, id, state, contact, now_ms()));
}

/*
 * Stores an inbound message: 1 and *id when stored, 0 for a duplicate
 * (*id is the stored one's), -1 on failure.
 */
static int
insert_inbound(struct gateway *gw, const struct store_msg_in *m, int64_t *id)
{
	int rc = store_msg_insert_inbound(gw->store, m, now_ms(), id);

	if (rc == STORE_EDUP)
		return 0;
	return written(gw, rc) == 0 ? 1 : -1;
}

void
ingress_flood_init(struct ingress_flood *fl, size_t max)
{
	strmap_init(&fl->map, max, free);
	fl->warned = 0;
}

void
ingress_flood_free(struct ingress_flood *fl)
{
	strmap_free(&fl->map);
}

/* The time and window length flood_stale compares against. */
struct flood_clock {
	int64_t now;
	int64_t period_ms;
};

/* True for a window that has passed: the number starts afresh anyway. */
static int
flood_stale(void *arg, const char *key, void *value)
{
	const struct flood_clock *c = arg;
	const struct flood *f = value;

	(void)key;
	return c->now - f->start >= c->period_ms;
}

int
ingress_flood_check(struct ingress_flood *fl, const struct rate *lim,
    const char *phone, int64_t now)
{
	struct flood_clock c = {now, lim->period_ms};
	struct flood *f;
	char masked[32];

	/*
	 * Forget the least recently seen numbers whose window has passed
	 * (each entry is dropped once, so this costs O(1) per message).
	 */
	strmap_expire(&fl->map, flood_stale, &c);
	if ((f = strmap_get(&fl->map, phone)) == NULL) {
		f = xcalloc(1, sizeof(*f));
		f->start = now;
		/* Full: the least recently seen number is forgotten. */
		if (strmap_put(&fl->map, phone, f) == 1 &&
		    (fl->warned == 0 || now - fl->warned >= FLOOD_WARN_MS)) {
			fl->warned = now;
			log_warn("ingress",
			    "flood guard full: forgetting the least recently "
			    "seen numbers tracked=%zu forgotten=%llu",
			    fl->map.n, (unsigned long long)fl->map.evicted);
		}
	}
	if (now - f->start >= lim->period_ms) {
		f->start = now;
		f->count = 0;
		f->logged = 0;
	}
	if (++f->count <= lim->count)
		return 0;
	if (!f->logged) {
		f->logged = 1;
		log_warn("ingress",
		    "flood guard: messages stored but not answered "
		    "phone=%s limit=%lld/%llds",
		    log_phone(phone, masked, sizeof(masked)),
		    (long long)lim->count, (long long)(lim->period_ms / 1000));
	}
	return 1;
}

/*
 * The flood guard's window in the database, for nodes that share it
 * (PostgreSQL): the same rule as ingress_flood_check, counted in this
 * turn's transaction. A store that fails lets the message through (the
 * turn's commit fails then anyway).
 */
static int
flood_shared(struct gateway *gw, const char *phone, int64_t now)
{
	const struct rate *lim = &gw->cfg->sender_limit;
	char masked[32];
	int64_t n;

	if (store_flood_hit(gw->store, phone, now, lim->period_ms, &n) != 0 ||
	    n <= lim->count)
		return 0;
	if (n == lim->count + 1)
		log_warn("ingress",
		    "flood guard: messages stored but not answered "
		    "phone=%s limit=%lld/%llds",
		    log_phone(phone, masked, sizeof(masked)),
		    (long long)lim->count, (long long)(lim->period_ms / 1000));
	return 1;
}

/* True when this message is one too many for the number's window. */
static int
flooded(struct gateway *gw, const char *phone)
{
	int64_t now = now_ms();

	if (gw->ingress.shared ? !flood_shared(gw, phone, now)
			       : !ingress_flood_check(&gw->ingress.flood,
				     &gw->cfg->sender_limit, phone, now))
		return 0;
	gw->ingress.n.flooded++;
	return 1;
}

/*
 * The first turn of a new SMS did not go well: the message's savepoint,
 * which the turn ran in, is undone, and the message is stored again as
 * "received" (handled again at start-up if nothing else does). Returns 0
 * (nothing to do for any other turn), or -1 when it cannot be stored: the
 * caller is then told so.
 */
static int
settle(struct job *j)
{
	struct gateway *gw = j->gw;
	struct job *ack = j->ack;
	struct store_msg_in in = {.channel = j->channel,
	    .kind = MSG_SMS,
	    .phone = j->phone,
	    .text = j->text,
	    .state = MSG_RECEIVED,
	    .provider_id = j->provider_id,
	    .contact_id = j->guessed};
	int64_t id = 0;

	if (ack == NULL)
		return 0;
	j->ack = NULL;
	if (!store_in_transaction(gw->store) ||
	    store_rollback_to(gw->store) != 0 ||
	    insert_inbound(gw, &in, &id) != 1) {
		ack->res.status = INGRESS_BUSY;
		ack->res.id = 0;
		j->id = j->res.id = 0;
		return -1;
	}
	j->id = j->res.id = ack->res.id = id;
	return 0;
}

/* Undoes the turn back to its own savepoint, if it has one: 0 or -1. */
static int
turn_undo(struct job *j)
{
	if (!j->turn_sp)
		return 0;
	j->turn_sp = 0;
	return store_rollback_to(j->gw->store) == 0 ? 0 : -1;
}

/* The fetch is answered: handle the job again, in a new transaction. */
static void
on_fetched(void *arg)
{
	struct job *j = arg;

	job_run(j);
}

/* The turn cannot begin: the caller hears at once that nothing was kept. */
static void
job_busy(struct job *j)
{
	(void)settle(j);
	j->res.status = INGRESS_BUSY;
	if (j->cb != NULL)
		j->cb(j->arg, &j->res);
	j->cb = NULL;
	job_free(j);
}

/*
 * The flow waits on a fetch: the turn is undone (the message itself stays
 * stored) and runs again when the answer is in, or at once with a failed
 * answer when the fetch cannot start.
 */
static void
job_fetch(struct job *j, struct dialog *d)
{
	struct gateway *gw = j->gw;

	(void)turn_undo(j);
	if (settle(j) != 0) {
		/* Not stored: the caller hears so, nothing waits. */
		dialog_free(d);
		job_free(j);
		return;
	}
	if (dialog_fetch(&gw->out, dialog_fetch_url(d), dialog_fetch_timeout(d),
		&j->cache, on_fetched, j) != 0) {
		dialog_cache_put(&j->cache, dialog_fetch_url(d), 0, NULL, 0);
		dialog_free(d);
		job_run(j);
		return;
	}
	dialog_free(d);
}

/*
 * The turn failed (rc is dialog_turn's, or 0 when the dialog's outcome
 * is DIALOG_FAILED or DIALOG_FETCH). Input the dialog refuses, or a flow
 * that fetches too often, will never succeed: the message is kept as
 * "ignored", or answered with error_text for too many fetches. A store
 * failure leaves it "received", handled again at start-up.
 */
static void
job_hopeless(struct job *j, struct dialog *d, int rc)
{
	struct gateway *gw = j->gw;
	int hopeless = rc != 0 || dialog_outcome(d) == DIALOG_FETCH;
	struct outq_msg m = {.channel = j->channel,
	    .phone = j->phone,
	    .text = gw->cfg->error_text};

	(void)turn_undo(j);
	(void)settle(j);
	if (rc == 0 && hopeless && j->id > 0) {
		/* Too many fetches: a run-time failure, error_text. */
		log_error("ingress", "a flow fetched too often id=%lld",
		    (long long)j->id);
		if (outq_enqueue(gw->store, &m, now_ms(), NULL) == 0)
			mark(gw, j->id, MSG_HANDLED, j->guessed);
	} else if (hopeless && j->id > 0)
		mark(gw, j->id, MSG_IGNORED, j->guessed);
	j->res.status = hopeless ? INGRESS_STORED : INGRESS_BUSY;
	dialog_free(d);
	if (j->kind == ENGINE_USSD) {
		j->screen = xstrdup(gw->cfg->error_text);
		j->res.screen = j->screen;
		j->res.end = 1;
		if (hopeless)
			(void)keep_screen(j);
	}
	batch_defer(&gw->batch, on_committed, j);
}

/* An SMS's turn ran: the reply is queued and the message handled. */
static int
keep_sms(struct job *j, struct dialog *d)
{
	struct gateway *gw = j->gw;
	struct outq_msg m = {.channel = j->channel,
	    .phone = j->phone,
	    .text = dialog_reply(d),
	    .contact_id = dialog_contact(d)};
	int rc = 0;

	if (m.text != NULL)
		rc = outq_enqueue(gw->store, &m, now_ms(), NULL);
	/* Stored as handled already, with the right contact? */
	if (rc == 0 && (j->ack == NULL || dialog_contact(d) != j->guessed))
		rc = mark(gw, j->id, MSG_HANDLED, dialog_contact(d));
	if (rc == 0)
		rc = events_message(gw->store, gw->cfg, CONFIG_EVENT_MESSAGE_IN,
		    j->id, now_ms());
	return rc;
}

/* The resume counters are indexed by enum dialog_resume - 1. */
_Static_assert(DIALOG_RESUME_RESTARTED == 3, "ingress resumes[]");

/*
 * A USSD step ran: kept are the step (handled) and the screen shown
 * (sent), which becomes the answer.
 */
static int
keep_ussd(struct job *j, struct dialog *d)
{
	struct gateway *gw = j->gw;
	const char *reply = dialog_reply(d);
	struct store_msg_in step = {.channel = j->channel,
	    .kind = MSG_USSD,
	    .phone = j->phone,
	    .text = j->text,
	    .state = MSG_HANDLED,
	    .contact_id = dialog_contact(d)};
	struct store_msg_out screen = {.channel = j->channel,
	    .kind = MSG_USSD,
	    .contact_id = dialog_contact(d),
	    .phone = j->phone,
	    .text = reply ? reply : "",
	    .state = MSG_SENT,
	    .segments = 1};
	int64_t tmp;
	int rc;

	rc = insert_inbound(gw, &step, &tmp) < 0 ? -1 : 0;
	if (rc == 0)
		rc = written(gw, store_msg_insert_outbound(
				     gw->store, &screen, now_ms(), NULL));
	j->screen = xstrdup(reply ? reply : "");
	j->res.screen = j->screen;
	j->res.end = dialog_ended(d);
	if (rc == 0)
		rc = written(gw, keep_screen(j));
	if (rc == 0 && dialog_resumed(d) != DIALOG_RESUME_NONE)
		gw->ingress.n.resumes[dialog_resumed(d) - 1]++;
	return rc;
}

/*
 * A turn that failed on a transient store failure (PostgreSQL ended it in
 * a deadlock with another node's turn) is undone back to its savepoint
 * and run again at once, up to JOB_TRANSIENT_MAX times: the message is no
 * worse than one that came a moment later (a first turn's message is
 * stored again as "received", and the next turn has a savepoint of its
 * own). Returns 1 when it ran again (d freed), 0 when the failure is the
 * caller's to handle.
 */
static int
job_again(struct job *j, struct dialog *d)
{
	struct gateway *gw = j->gw;

	if (!store_transient(gw->store) || j->transients >= JOB_TRANSIENT_MAX ||
	    turn_undo(j) != 0 || settle(j) != 0)
		return 0;
	j->transients++;
	log_warn("ingress",
	    "a turn met a transient store failure, run again "
	    "try=%d",
	    j->transients + 1);
	dialog_free(d);
	job_run(j);
	return 1;
}

/*
 * Runs the flow for a job whose message is stored (SMS) or in hand (USSD),
 * in a savepoint of the turn's transaction, and queues the reply: the
 * caller hears of it after the commit.
 */
static void
job_run(struct job *j)
{
	struct gateway *gw = j->gw;
	struct dialog_env env = {.store = gw->store,
	    .cfg = gw->cfg,
	    .set = j->flows->set,
	    .cache = &j->cache};
	struct dialog_input in = {.kind = j->kind,
	    .channel = j->channel,
	    .phone = j->phone,
	    .text = j->text,
	    .ussd_session = j->session,
	    .dialled = j->dialled,
	    .ussd_max = j->ussd_max,
	    .resume = j->kind == ENGINE_USSD,
	    .contact = &j->known};
	struct dialog *d = NULL;
	int rc;

	if (batch_begin(&gw->batch) != 0 ||
	    (j->ack == NULL && store_savepoint(gw->store) != 0)) {
		job_busy(j);
		return;
	}
	j->turn_sp = j->ack == NULL;
	rc = dialog_turn(&env, &in, &d);
	if (rc == 0 && dialog_outcome(d) == DIALOG_FETCH &&
	    j->cache.n < nitems(j->cache.v)) {
		job_fetch(j, d);
		return;
	}
	if (rc != 0 && job_again(j, d))
		return;
	if (rc != 0 || dialog_outcome(d) == DIALOG_FAILED ||
	    dialog_outcome(d) == DIALOG_FETCH) {
		job_hopeless(j, d, rc);
		return;
	}
	rc = j->kind == ENGINE_SMS ? keep_sms(j, d) : keep_ussd(j, d);
	if (rc != 0 && job_again(j, d))
		return;
	if (rc != 0) {
		(void)turn_undo(j);
		(void)settle(j);
		j->res.status = INGRESS_BUSY;
	} else {
		if (j->turn_sp)
			store_release(gw->store);
		j->turn_sp = 0;
		if (j->ack != NULL) {
			/* The message's savepoint, the turn's too. */
			store_release(gw->store);
			j->ack = NULL;
		}
		j->res.status = INGRESS_STORED;
	}
	dialog_free(d);
	batch_defer(&gw->batch, on_committed, j);
}

/* A job that only answers cb(arg) with status and id after the commit. */
static struct job *
answer_new(struct gateway *gw, ingress_cb cb, void *arg,
    enum ingress_status status, int64_t id)
{
	struct job *a = xcalloc(1, sizeof(*a));

	a->gw = gw;
	a->cb = cb;
	a->arg = arg;
	a->res.status = status;
	a->res.id = id;
	a->flows = flows_ref(gw);
	batch_defer(&gw->batch, on_committed, a);
	return a;
}

void
ingress_answer(struct gateway *gw, ingress_cb cb, void *arg,
    enum ingress_status status, int64_t id)
{
	(void)answer_new(gw, cb, arg, status, id);
}

int
ingress_sms_whole(struct gateway *gw, const char *channel, const char *phone,
    const char *text, const char *provider_id, ingress_cb cb, void *arg)
{
	struct store_msg_in in;
	struct job *j;
	int64_t id = 0;
	int rc, fresh;

	j = job_new(gw, ENGINE_SMS, channel, phone, text);
	j->cb = cb;
	j->arg = arg;
	in.channel = channel;
	in.kind = MSG_SMS;
	in.phone = phone;
	in.text = text;
	in.state = MSG_RECEIVED;
	in.provider_id = provider_id;
	j->provider_id = provider_id ? xstrdup(provider_id) : NULL;
	fresh = store_savepoint(gw->store) == 0;
	rc = fresh ? insert_handled(gw, &in, &id, &j->known)
		   : insert_inbound(gw, &in, &id);
	if (fresh && rc <= 0)
		store_rollback_to(gw->store);
	if (rc < 0) {
		j->res.status = INGRESS_BUSY;
		batch_defer(&gw->batch, on_committed, j);
		return -1;
	}
	if (rc == 0) {
		/* A provider's retry: stored already, nothing runs twice. */
		j->res.id = id;
		j->res.status = INGRESS_DUPLICATE;
		gw->ingress.n.duplicates++;
		batch_defer(&gw->batch, on_committed, j);
		return 0;
	}
	j->id = id;
	j->res.id = id;
	gw->ingress.n.received++;
	if (flooded(gw, phone)) {
		/* Kept with its contact: its conversation shows it. */
		mark(gw, id, MSG_IGNORED, fresh ? j->known.id : 0);
		if (fresh)
			store_release(gw->store);
		j->res.status = INGRESS_STORED;
		batch_defer(&gw->batch, on_committed, j);
		return 1;
	}
	/*
	 * The message is stored in this turn's transaction. Answer the
	 * provider once it is committed, whatever the flow still does.
	 */
	{
		struct job *ack = answer_new(gw, cb, arg, INGRESS_STORED, id);

		j->cb = NULL;
		if (fresh) {
			j->ack = ack;
			j->guessed = j->known.id;
		}
	}
	job_run(j);
	return 1;
}

int
ingress_sms_admit(struct gateway *gw, const struct ingress_sms *m,
    char phone[PHONE_MAX], const char **reason)
{
	if (phone_normalize(m->from, gw->cfg->country_code, phone, PHONE_MAX) !=
	    0) {
		*reason = "the sender is not a phone number";
		return INGRESS_BAD;
	}
	if (m->text == NULL || strlen(m->text) > DIALOG_MAX_INPUT) {
		*reason = "the text is missing or too long";
		return INGRESS_BAD;
	}
	if (batch_begin(&gw->batch) != 0) {
		*reason = "the store is not available";
		return INGRESS_BUSY;
	}
	return 0;
}

int
ingress_sms(struct gateway *gw, const struct ingress_sms *m, ingress_cb cb,
    void *arg, const char **reason)
{
	char phone[PHONE_MAX];
	int rc;

	if ((rc = ingress_sms_admit(gw, m, phone, reason)) != 0)
		return rc;
	(void)ingress_sms_whole(
	    gw, m->channel, phone, m->text, m->provider_id, cb, arg);
	return 0;
}

const char *
ingress_ussd_input(const char *prev, const char *text)
{
	size_t n;
	const char *star;

	if (prev == NULL)
		return text;
	n = strlen(prev);
	if (n == 0)
		return text;
	if (strncmp(text, prev, n) == 0 && text[n] == '*')
		return text + n + 1;
	if (strcmp(text, prev) == 0)
		return ""; /* a repeat of the last request */
	/* We lost track (a restart): the last part is the best guess. */
	star = strrchr(text, '*');
	return star ? star + 1 : text;
}

/*
 * The same request again (the same session, phone and text: a network's
 * retry after our answer was lost) gets the same answer, kept with it,
 * and runs nothing.
 */
static void
ussd_repeat(struct job *j, const char *screen, int end)
{
	j->screen = xstrdup(screen);
	j->res.screen = j->screen;
	j->res.end = end;
	j->res.status = INGRESS_STORED;
	log_info("ingress",
	    "a USSD request repeated, answered again "
	    "channel=%s",
	    j->channel);
	batch_defer(&j->gw->batch, on_committed, j);
}

/* The dialled string of a new session: the code with text's parts. */
static char *
dialled_string(const char *code, const char *text)
{
	size_t n = strlen(code);

	if (text == NULL || *text == '\0')
		return xstrdup(code);
	if (n > 0 && code[n - 1] == '#')
		n--;
	return xasprintf("%.*s*%s#", (int)n, code, text);
}

/* Whether the dialog keeps a live session for this USSD session id. */
static int
session_live(
    struct gateway *gw, const char *channel, const char *session, int64_t now)
{
	struct store_session ss;
	char *key = xconcat("ussd:", channel, ":", session, (char *)NULL);
	int rc = store_session_load(gw->store, key, now, &ss);

	store_session_free(&ss);
	free(key);
	return rc == 0;
}

/*
 * The new input of a cumulative USSD step (text, the whole path) given the
 * text of the step before (prev), unseen when this process does not know
 * it. A step of a live session whose step before is unknown here (a
 * restart) is not the first: the last part is the new input, as
 * ingress_ussd_input guesses when it lost track. Points into text.
 */
static const char *
ussd_input(struct gateway *gw, const struct ingress_ussd *u, const char *text,
    const char *prev, int unseen, int64_t now)
{
	if (unseen && strchr(text, '*') != NULL &&
	    session_live(gw, u->channel, u->session, now))
		return strrchr(text, '*') + 1;
	return ingress_ussd_input(prev, text);
}

int
ingress_ussd(struct gateway *gw, const struct ingress_ussd *u, ingress_cb cb,
    void *arg, const char **reason)
{
	char phone[PHONE_MAX], *key;
	const char *text = u->text ? u->text : "", *input = text;
	struct store_ussd_last last;
	struct job *j;
	int64_t now = now_ms();

	if (phone_normalize(
		u->from, gw->cfg->country_code, phone, sizeof(phone)) != 0) {
		*reason = "the caller is not a phone number";
		return INGRESS_BAD;
	}
	if (u->session == NULL || *u->session == '\0' || u->code == NULL ||
	    strlen(text) > DIALOG_MAX_INPUT || strlen(u->session) > 128 ||
	    strlen(u->code) > 64) {
		*reason = "the session or service code is missing or too long";
		return INGRESS_BAD;
	}
	/* The text kept in the database is written in this turn's. */
	if (u->cumulative && batch_begin(&gw->batch) != 0) {
		*reason = "the store is not available";
		return INGRESS_BUSY;
	}
	j = job_new(gw, ENGINE_USSD, u->channel, phone, NULL);
	j->session = xstrdup(u->session);
	j->cb = cb;
	j->arg = arg;
	if (u->cumulative) {
		/*
		 * Keyed by the phone too: another phone's step for the same
		 * session id (refused by the dialog) leaves the owner's text
		 * alone. Full, the least recently used session is forgotten.
		 */
		key =
		    xasprintf("%s\x1f%s\x1f%s", u->channel, u->session, phone);
		j->dialled = dialled_string(u->code, text);
		j->seen_key = key;
		/*
		 * Kept in the database, in this turn's transaction: the step
		 * before may have reached another node (PostgreSQL), or a
		 * gateway that was restarted since. A store that fails reads
		 * as a text lost track of.
		 */
		(void)store_ussd_seen(gw->store, key, text, now, &last);
		if (last.screen != NULL && strcmp(last.text, text) == 0) {
			ussd_repeat(j, last.screen, last.end);
			store_ussd_last_free(&last);
			return 0;
		}
		input =
		    ussd_input(gw, u, text, last.text, last.text == NULL, now);
		store_ussd_last_free(&last);
	} else {
		j->dialled = dialled_string(u->code, text);
	}
	free(j->text);
	j->text = xstrdup(input);
	gw->ingress.n.ussd_steps++;
	job_run(j);
	return 0;
}

/*
 * Records a delivery report: by the provider's id, or by our own (a
 * decimal message id; anything else matches no message).
 */
static int
report(struct gateway *gw, const struct ingress_report *r)
{
	long long own;
	char *end;

	if (!r->by_own_id)
		return store_queue_report(gw->store, r->channel, r->id, 0,
		    r->state, r->error, now_ms());
	own = strtoll(r->id, &end, 10);
	if (*end != '\0' || own <= 0)
		return STORE_NOTFOUND;
	return store_queue_report(
	    gw->store, r->channel, NULL, own, r->state, r->error, now_ms());
}

/* A status report's job: only the commit's answer. */
int
ingress_status(struct gateway *gw, const struct ingress_report *r,
    ingress_cb cb, void *arg, const char **reason)
{
	struct job *j;
	int rc;

	if (r->id == NULL || *r->id == '\0' || strlen(r->id) > 128) {
		*reason = "the message id is missing";
		return INGRESS_BAD;
	}
	if (batch_begin(&gw->batch) != 0) {
		*reason = "the store is not available";
		return INGRESS_BUSY;
	}
	rc = report(gw, r);
	if (rc == 0 && r->state == MSG_FAILED)
		rc = events_delivery_failed(gw->store, gw->cfg, r->channel,
		    r->id, r->by_own_id, now_ms());
	if (rc == STORE_NOTFOUND)
		log_debug("ingress",
		    "delivery report that changes no message (unknown, or "
		    "its message already delivered or failed) "
		    "channel=%s id=%s",
		    r->channel, r->id);
	j = xcalloc(1, sizeof(*j));
	j->gw = gw;
	j->cb = cb;
	j->arg = arg;
	j->flows = flows_ref(gw);
	j->res.status = rc < 0 ? INGRESS_BUSY : INGRESS_STORED;
	gw->ingress.n.reports++;
	batch_defer(&gw->batch, on_committed, j);
	return 0;
}

static void
on_recover(void *arg, int ok)
{
	(void)ok;
	job_run(arg);
}

/* The walk of ingress_recover. */
struct recovery {
	struct gateway *gw;
	size_t n; /* jobs deferred */
};

/* A message left "received": its job runs later, from the loop. */
static int
on_received(void *arg, const struct store_msg_received *m)
{
	struct recovery *r = arg;
	struct job *j;

	j = job_new(r->gw, ENGINE_SMS, m->channel, m->phone, m->text);
	j->id = m->id;
	batch_defer(&r->gw->batch, on_recover, j);
	r->n++;
	return 0;
}

void
ingress_recover(struct gateway *gw)
{
	struct recovery r = {gw, 0};

	if (batch_begin(&gw->batch) != 0)
		return; /* the next start's, or a living node's */
	(void)store_msg_adopt_received(
	    gw->store, now_ms(), STORE_NODE_LEASE_MS, 0, on_received, &r);
	if (r.n > 0)
		log_info("ingress",
		    "handling messages left by a stop count=%zu", r.n);
}

void
ingress_adopt(struct gateway *gw)
{
	struct recovery r = {gw, 0};

	if (batch_begin(&gw->batch) != 0)
		return;
	(void)store_msg_adopt_received(
	    gw->store, now_ms(), STORE_NODE_LEASE_MS, 1, on_received, &r);
	if (r.n > 0)
		log_warn("ingress",
		    "handling messages a stopped node had stored count=%zu",
		    r.n);
}

void
ingress_init(struct ingress *in)
{
	ingress_flood_init(&in->flood, INGRESS_FLOOD_MAX);
	memset(&in->n, 0, sizeof(in->n));
}

void
ingress_free(struct ingress *in)
{
	ingress_flood_free(&in->flood);
}
