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

int64_t
privacy_purge(struct store *st, int days, int64_t now)
{
	int64_t n;

	if (days <= 0)
		return 0;
	if (days > PRIVACY_MAX_DAYS)
		days = PRIVACY_MAX_DAYS;
	n = store_privacy_purge(st, now - (int64_t)days * 86400 * 1000);
	if (n < 0)
		log_warn(
		    "privacy", "purge failed error=\"%s\"", store_errmsg(st));
	return n;
}

int64_t
privacy_purge_channel_log(struct store *st, int days, int64_t now)
{
	int64_t n;

	if (days < 0)
		days = 0;
	n = store_chanlog_purge(st, now - (int64_t)days * 86400 * 1000);
	if (n < 0)
		log_warn("privacy", "channel log purge failed error=\"%s\"",
		    store_errmsg(st));
	return n;
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

static void
on_privacy_timer(uv_timer_t *t)
{
	struct privacy *pv = container_of(t, struct privacy, timer);
	struct gateway *gw = pv->gw;
	int64_t n;

	if (gw->stopping)
		return;
	if (batch_begin(&gw->batch) != 0) {
		log_warn("privacy", "purge skipped: the store is busy");
		return;
	}
	if ((n = privacy_purge(gw->store, gw->cfg->retention_days, now_ms())) <
	    0)
		return; /* Logged; the batch commits the turn's other work. */
	purged(gw, "message texts", n, gw->cfg->retention_days);
}

static void
on_log_timer(uv_timer_t *t)
{
	struct privacy *pv = container_of(t, struct privacy, log_timer);
	struct gateway *gw = pv->gw;
	int64_t n;

	if (gw->stopping)
		return;
	if (batch_begin(&gw->batch) != 0) {
		log_warn("privacy", "channel log purge skipped: the store is "
				    "busy");
		return;
	}
	n = privacy_purge_channel_log(
	    gw->store, gw->cfg->channel_log_days, now_ms());
	if (n >= 0)
		purged(gw, "channel log rows", n, gw->cfg->channel_log_days);
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
	uv_timer_init(gw->loop, &pv->log_timer);
	pv->timer.data = pv;
	pv->log_timer.data = pv;
	pv->open = 2;
	/* A daily timer must not hold a stopping gateway's loop open. */
	uv_unref((uv_handle_t *)&pv->timer);
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
	struct privacy *pv = h->data;

	if (--pv->open == 0)
		free(pv);
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
	uv_close((uv_handle_t *)&pv->log_timer, on_privacy_closed);
}
