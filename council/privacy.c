/*
 * privacy.c: forgetting a contact and the daily retention purge of message
 * texts (the SQL is the store's, gateway/store_council.c); the command
 * `baraza contact` is cli/cli_contact.c.
 */
#include "council/privacy.h"

#include <stdlib.h>
#include <string.h>

#include "gateway/gateway.h"
#include "lib/log.h"
#include "lib/util.h"

int
privacy_forget(
    struct store *st, int64_t id, int64_t now, struct store_forgotten *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (store_begin(st) != 0)
		return STORE_ERR;
	if ((rc = store_contact_forget(st, id, now, out)) != 0 ||
	    (rc = store_commit(st)) != 0) {
		store_rollback(st);
		memset(out, 0, sizeof(*out));
		return rc == STORE_NOTFOUND ? rc : STORE_ERR;
	}
	return 0;
}

/* The time days days before now, ms. */
static int64_t
days_ago(int64_t now, int days)
{
	return now - (int64_t)days * 86400 * 1000;
}

int
privacy_walk_start(struct store *st, int days, int64_t now, int64_t from,
    struct privacy_walk *w)
{
	memset(w, 0, sizeof(*w));
	w->next = w->end = from;
	if (days <= 0)
		return 0;
	if (days > PRIVACY_MAX_DAYS)
		days = PRIVACY_MAX_DAYS;
	w->before = days_ago(now, days);
	if (store_console_first_id(st, w->before, &w->end) != 0) {
		log_warn(
		    "privacy", "purge failed error=\"%s\"", store_errmsg(st));
		return STORE_ERR;
	}
	return 0;
}

int
privacy_walk_step(struct store *st, struct privacy_walk *w)
{
	int64_t to, n, left;

	if (w->next >= w->end)
		return 0;
	to =
	    w->end - w->next > PRIVACY_CHUNK ? w->next + PRIVACY_CHUNK : w->end;
	if ((n = store_privacy_purge(st, w->before, w->next, to, &left)) < 0) {
		log_warn(
		    "privacy", "purge failed error=\"%s\"", store_errmsg(st));
		return STORE_ERR;
	}
	w->count += n;
	if (left > 0 && (w->left == 0 || left < w->left))
		w->left = left;
	w->next = to;
	return w->next < w->end;
}

int64_t
privacy_purge(struct store *st, int days, int64_t now)
{
	struct privacy_walk w;
	int rc;

	if (privacy_walk_start(st, days, now, 0, &w) != 0)
		return STORE_ERR;
	while ((rc = privacy_walk_step(st, &w)) > 0)
		;
	return rc < 0 ? STORE_ERR : w.count;
}

/* The channel log's next chunk of rows started before `before`. */
static int64_t
log_chunk(struct store *st, int64_t before)
{
	int64_t n = store_chanlog_purge(st, before, PRIVACY_CHUNK);

	if (n < 0)
		log_warn("privacy", "channel log purge failed error=\"%s\"",
		    store_errmsg(st));
	return n;
}

int64_t
privacy_purge_channel_log(struct store *st, int days, int64_t now)
{
	int64_t n, all = 0;

	if (days < 0)
		days = 0;
	while ((n = log_chunk(st, days_ago(now, days))) > 0)
		all += n;
	return n < 0 ? n : all;
}

/* The purge's result, after the batch's commit. */
struct purge_job {
	int64_t n;        /* texts blanked, or log rows deleted */
	int days;         /* retention_days, or channel_log_days */
	const char *what; /* "message texts", "channel log rows" */
};

static void
on_purge_committed(void *arg, int ok)
{
	struct purge_job *j = arg;

	if (ok)
		log_info("privacy", "%s purged count=%lld days=%d", j->what,
		    (long long)j->n, j->days);
	else
		log_warn("privacy", "purge rolled back, next try in a day");
	free(j);
}

/* Tells of a purge's result after the turn's commit. */
static void
purged(struct gateway *gw, const char *what, int64_t n, int days)
{
	struct purge_job *j = xmalloc(sizeof(*j));

	j->n = n;
	j->days = days;
	j->what = what;
	batch_defer(&gw->batch, on_purge_committed, j);
}

/* Frees pv once its handles are closed and its steps committed. */
static void
privacy_unref(struct privacy *pv)
{
	if (--pv->open == 0)
		free(pv);
}

/* A step of the walk ended with its turn's transaction. */
static void
on_step_committed(void *arg, int ok)
{
	struct privacy *pv = arg;

	if (!ok) {
		pv->failed = 1;
		pv->from = 0; /* Something stayed behind: all again. */
	}
	privacy_unref(pv);
}

/* The walk is over: the next one starts where this one left texts. */
static void
walk_end(struct privacy *pv, int ok)
{
	struct privacy_walk *w = &pv->walk;

	pv->walking = 0;
	if (!ok || pv->failed)
		pv->from = 0; /* Something stayed behind: all again. */
	else
		pv->from = w->left > 0 ? w->left : w->end;
	if (ok)
		purged(pv->gw, "message texts", w->count,
		    pv->gw->cfg->retention_days);
}

/* The texts' walk: its next chunk. */
static void
text_step(struct privacy *pv)
{
	struct gateway *gw = pv->gw;
	int rc = privacy_walk_step(gw->store, &pv->walk);

	if (rc >= 0) {
		pv->open++;
		batch_defer(&gw->batch, on_step_committed, pv);
	}
	if (rc <= 0)
		walk_end(pv, rc == 0); /* Logged when it failed. */
}

/* The channel log's purge: its next chunk, told once none is left. */
static void
log_step(struct privacy *pv)
{
	struct gateway *gw = pv->gw;
	int64_t n = log_chunk(gw->store, pv->log_before);

	if (n > 0) {
		pv->log_count += n;
		return;
	}
	pv->log_walking = 0;
	if (n == 0)
		purged(gw, "channel log rows", pv->log_count,
		    gw->cfg->channel_log_days);
}

/*
 * The purges' next chunks, in this loop turn's transaction: an idle
 * handle runs once a turn (a timer restarted from its callback would run
 * again in the same turn), and the batch commits at the turn's end.
 */
static void
on_step(uv_idle_t *h)
{
	struct privacy *pv = container_of(h, struct privacy, step);
	struct gateway *gw = pv->gw;

	if (!gw->stopping && batch_begin(&gw->batch) != 0) {
		log_warn("privacy", "purge stopped: the store is busy");
		if (pv->walking)
			walk_end(pv, 0);
		pv->log_walking = 0;
	}
	if (gw->stopping)
		pv->walking = pv->log_walking = 0;
	if (pv->walking)
		text_step(pv);
	if (pv->log_walking)
		log_step(pv);
	if (!pv->walking && !pv->log_walking)
		uv_idle_stop(&pv->step);
}

void
privacy_purge_now(struct privacy *pv)
{
	struct gateway *gw = pv->gw;

	if (gw->stopping || pv->walking)
		return;
	if (privacy_walk_start(gw->store, gw->cfg->retention_days, now_ms(),
		pv->from, &pv->walk) != 0)
		return; /* Logged. */
	pv->walking = 1;
	pv->failed = 0;
	uv_idle_start(&pv->step, on_step);
}

static void
on_privacy_timer(uv_timer_t *t)
{
	privacy_purge_now(container_of(t, struct privacy, timer));
}

static void
on_log_timer(uv_timer_t *t)
{
	struct privacy *pv = container_of(t, struct privacy, log_timer);
	int days = pv->gw->cfg->channel_log_days;

	if (pv->gw->stopping || pv->log_walking)
		return;
	pv->log_walking = 1;
	pv->log_before = days_ago(now_ms(), days > 0 ? days : 0);
	pv->log_count = 0;
	uv_idle_start(&pv->step, on_step);
}

void
privacy_start(struct gateway *gw, void **state)
{
	struct privacy *pv;

	if (*state != NULL)
		return;
	pv = xcalloc(1, sizeof(*pv));
	pv->gw = gw;
	uv_timer_init(gw->loop, &pv->timer);
	uv_idle_init(gw->loop, &pv->step);
	uv_timer_init(gw->loop, &pv->log_timer);
	pv->timer.data = pv;
	pv->step.data = pv;
	pv->log_timer.data = pv;
	pv->open = 3;
	/* A daily timer must not hold a stopping gateway's loop open. */
	uv_unref((uv_handle_t *)&pv->timer);
	uv_unref((uv_handle_t *)&pv->step);
	uv_unref((uv_handle_t *)&pv->log_timer);
	uv_timer_start(&pv->log_timer, on_log_timer, 0, PRIVACY_PERIOD_MS);
	*state = pv;
	if (gw->cfg->retention_days <= 0)
		return;
	uv_timer_start(&pv->timer, on_privacy_timer, PRIVACY_FIRST_RUN_MS,
	    PRIVACY_PERIOD_MS);
	log_info("privacy", "message texts are purged daily days=%d",
	    gw->cfg->retention_days);
}

static void
on_privacy_closed(uv_handle_t *h)
{
	privacy_unref(h->data);
}

void
privacy_stop(struct gateway *gw, void **state)
{
	struct privacy *pv = *state;

	(void)gw;
	if (pv == NULL)
		return;
	*state = NULL;
	uv_close((uv_handle_t *)&pv->timer, on_privacy_closed);
	uv_close((uv_handle_t *)&pv->step, on_privacy_closed);
	uv_close((uv_handle_t *)&pv->log_timer, on_privacy_closed);
}
