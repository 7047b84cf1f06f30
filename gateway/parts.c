/*
 * parts.c: joins the parts of long SMS that a provider delivers one
 * webhook a part (see parts.h). A part whose provider id is kept already
 * is a retry. Otherwise the set's waiting parts are read and the new part
 * placed among them by its number: a set still short of parts keeps it
 * and waits; a complete set becomes one message, whose provider id is its
 * first part's (so that two joins of one set, by two nodes or by a sweep
 * after a failed mark, store it once), and its parts are marked joined in
 * the same turn. Phones reuse a reference from one long message to the
 * next: joined parts belong to no set, and a new part numbered as one
 * waiting hands the waiting set over as it is before starting its own.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/dialog.h"
#include "gateway/gateway.h"
#include "gateway/parts.h"
#include "lib/log.h"
#include "lib/util.h"
#include "providers/provider.h"

/*
 * The texts of v (n parts by seq) in order, cut to DIALOG_MAX_INPUT bytes
 * at a character's start; *first: the first part's provider id (borrowed
 * from v), *taken: how many parts (n).
 */
static char *
join_texts(
    const struct store_sms_part *v, size_t n, const char **first, size_t *taken)
{
	struct buf b;
	size_t i, len, cut;

	buf_init(&b, DIALOG_MAX_INPUT + 1);
	*first = NULL;
	*taken = 0;
	for (i = 0; i < n; i++) {
		if (*taken == 0)
			*first = v[i].provider_id;
		(*taken)++;
		len = strlen(v[i].text);
		cut = DIALOG_MAX_INPUT - b.len;
		if (len > cut) {
			/* Back to a character's start. */
			while (cut > 0 && (v[i].text[cut] & 0xc0) == 0x80)
				cut--;
			len = cut;
		}
		(void)buf_append(&b, v[i].text, len);
	}
	return buf_steal(&b);
}

/* v (n by seq) with p put in its place: a new array whose strings are
 * v's and p's (freed with the array alone). */
static struct store_sms_part *
with_part(
    const struct store_sms_part *v, size_t n, const struct store_sms_part *p)
{
	struct store_sms_part *w = xcalloc(n + 1, sizeof(*w));
	size_t i, k = 0;
	int placed = 0;

	for (i = 0; i < n; i++) {
		if (!placed && p->seq < v[i].seq) {
			w[k++] = *p;
			placed = 1;
		}
		w[k++] = v[i];
	}
	if (!placed)
		w[k] = *p;
	return w;
}

/* After a join: p kept as joined, the set's other parts marked. */
static void
mark_joined(struct gateway *gw, const char *channel, const char *phone,
    const char *ref, const struct store_sms_part *p)
{
	struct store_sms_part done = *p;

	done.joined = 1;
	done.text = "";
	/*
	 * A failure leaves parts unjoined: the sweep joins them again, and
	 * the message's provider id makes that a duplicate.
	 */
	if (store_part_put(gw->store, channel, phone, ref, &done) < 0 ||
	    store_parts_joined(gw->store, channel, phone, ref) < 0)
		log_error("ingress",
		    "marking a long message's parts joined failed "
		    "error=\"%s\"",
		    store_errmsg(gw->store));
}

/* Keeps p, a part of a set still short of some, in a savepoint. */
static void
keep_part(struct gateway *gw, const struct ingress_sms *m, const char *phone,
    const struct store_sms_part *p, ingress_cb cb, void *arg)
{
	if (store_savepoint(gw->store) != 0) {
		ingress_answer(gw, cb, arg, INGRESS_BUSY, 0);
		return;
	}
	if (store_part_put(gw->store, m->channel, phone, m->part_ref, p) < 0) {
		log_error("ingress", "keeping a part failed error=\"%s\"",
		    store_errmsg(gw->store));
		store_rollback_to(gw->store);
		ingress_answer(gw, cb, arg, INGRESS_BUSY, 0);
		return;
	}
	store_release(gw->store);
	ingress_answer(gw, cb, arg, INGRESS_STORED, 0);
}

/* A set handed over without every part: nobody waits for its commit. */
static void
on_partial(void *arg, const struct ingress_result *res)
{
	(void)arg;
	if (res->status == INGRESS_BUSY)
		log_warn("ingress",
		    "a long message without all its parts was not stored: "
		    "tried again at the next sweep");
}

/*
 * Hands over the waiting parts v (n, by seq) of a set as one message, and
 * marks them joined: its wait ran out, or a part of another message came
 * under its reference (phones reuse them).
 */
static void
hand_over(struct gateway *gw, const char *channel, const char *phone,
    const char *ref, const struct store_sms_part *v, size_t n)
{
	const char *first;
	size_t taken;
	char masked[32];
	char *text;
	int rc;

	text = join_texts(v, n, &first, &taken);
	if (taken > 0) {
		log_warn("ingress",
		    "a long message is handed over without all its parts "
		    "channel=%s from=%s parts=%zu of %d",
		    channel, log_phone(phone, masked, sizeof(masked)), taken,
		    v[0].total);
		/* Stored before (another node swept it): marked all the same. */
		rc = ingress_sms_whole(
		    gw, channel, phone, text, first, on_partial, NULL);
		if (rc >= 0 &&
		    store_parts_joined(gw->store, channel, phone, ref) < 0)
			log_error("ingress",
			    "marking a long message's parts joined failed "
			    "error=\"%s\"",
			    store_errmsg(gw->store));
		if (rc > 0)
			gw->parts.partial++;
	}
	free(text);
}

/* parts_sms once admitted: phone is the sender, normalized. */
static void
take(struct gateway *gw, const struct ingress_sms *m, const char *phone,
    ingress_cb cb, void *arg)
{
	struct store_sms_part p = {.seq = m->part_seq,
	    .total = m->part_total,
	    .provider_id = (char *)(uintptr_t)m->provider_id,
	    .text = (char *)(uintptr_t)m->text,
	    .received = now_ms()};
	struct store_sms_part *v = NULL, *all;
	const char *first;
	size_t n = 0, i, taken;
	int rc;
	char *text;

	if (store_parts_lock(gw->store, m->channel, phone, m->part_ref) != 0) {
		ingress_answer(gw, cb, arg, INGRESS_BUSY, 0);
		return;
	}
	if ((rc = store_part_seen(gw->store, m->channel, m->provider_id)) !=
	    0) {
		/* A provider's retry of a part kept already. */
		if (rc > 0)
			gw->ingress.n.duplicates++;
		ingress_answer(
		    gw, cb, arg, rc > 0 ? INGRESS_DUPLICATE : INGRESS_BUSY, 0);
		return;
	}
	if (store_parts_get(
		gw->store, m->channel, phone, m->part_ref, &v, &n) != 0) {
		ingress_answer(gw, cb, arg, INGRESS_BUSY, 0);
		return;
	}
	for (i = 0; i < n && v[i].seq != p.seq && v[i].total == p.total; i++)
		;
	if (i < n) {
		/*
		 * A new part numbered as one waiting, or of another number of
		 * parts: another message under the same reference. The one
		 * waiting goes as it is.
		 */
		hand_over(gw, m->channel, phone, m->part_ref, v, n);
		store_parts_free(v, n);
		v = NULL;
		n = 0;
	}
	if (n + 1 < (size_t)p.total) {
		keep_part(gw, m, phone, &p, cb, arg);
	} else {
		all = with_part(v, n, &p);
		text = join_texts(all, n + 1, &first, &taken);
		rc = ingress_sms_whole(
		    gw, m->channel, phone, text, first, cb, arg);
		if (rc >= 0)
			mark_joined(gw, m->channel, phone, m->part_ref, &p);
		if (rc > 0)
			gw->parts.joined++;
		free(text);
		free(all); /* its strings are v's and m's */
	}
	store_parts_free(v, n);
}

int
parts_sms(struct gateway *gw, const struct ingress_sms *m, ingress_cb cb,
    void *arg, const char **reason)
{
	char phone[PHONE_MAX];
	int rc;

	if ((rc = ingress_sms_admit(gw, m, phone, reason)) != 0)
		return rc;
	if (m->provider_id == NULL)
		/* Nothing to tell its retries by: taken as it comes. */
		(void)ingress_sms_whole(
		    gw, m->channel, phone, m->text, NULL, cb, arg);
	else
		take(gw, m, phone, cb, arg);
	return 0;
}

/* Hands over one set of channel whose wait ran out. */
static void
sweep_set(
    struct gateway *gw, const char *channel, const struct store_part_set *set)
{
	struct store_sms_part *v = NULL;
	size_t n = 0;

	if (store_parts_lock(gw->store, channel, set->phone, set->ref) == 0 &&
	    store_parts_get(gw->store, channel, set->phone, set->ref, &v, &n) ==
		0)
		hand_over(gw, channel, set->phone, set->ref, v, n);
	store_parts_free(v, n);
}

size_t
parts_sweep(struct gateway *gw, int64_t now)
{
	struct store_part_set *sets;
	size_t i, j, n, swept = 0;

	if (batch_begin(&gw->batch) != 0)
		return 0;
	for (i = 0; i < gw->cfg->nchannels && swept < PARTS_SWEEP_MAX; i++) {
		const struct channel_config *cc = &gw->cfg->channels[i];
		const struct provider_ops *ops = provider_for(cc->type);

		if (ops == NULL || !ops->parts)
			continue;
		if (store_parts_due(gw->store, cc->name,
			now - cc->multipart_timeout_ms, PARTS_SWEEP_MAX - swept,
			&sets, &n) != 0)
			return swept;
		for (j = 0; j < n; j++)
			sweep_set(gw, cc->name, &sets[j]);
		store_part_sets_free(sets, n);
		swept += n;
	}
	if (now - gw->parts.purged >= PARTS_PURGE_MS) {
		gw->parts.purged = now;
		if (store_parts_purge(gw->store, now - PARTS_KEEP_MS) < 0)
			log_error("ingress",
			    "forgetting joined parts failed error=\"%s\"",
			    store_errmsg(gw->store));
	}
	return swept;
}

/*
 * Every PARTS_SWEEP_MS; at the next loop turn again while a sweep finds
 * as many sets as it may hand over in one (a backlog goes a turn's
 * transaction at a time, not PARTS_SWEEP_MAX every few seconds).
 */
static void
on_sweep(uv_timer_t *t)
{
	struct gateway *gw = container_of(t, struct gateway, parts.timer);

	if (gw->stopping)
		return;
	if (parts_sweep(gw, now_ms()) >= PARTS_SWEEP_MAX)
		uv_timer_start(t, on_sweep, 0, PARTS_SWEEP_MS);
}

void
parts_start(struct gateway *gw)
{
	size_t i;

	for (i = 0; i < gw->cfg->nchannels; i++) {
		const struct provider_ops *ops =
		    provider_for(gw->cfg->channels[i].type);

		if (ops != NULL && ops->parts)
			break;
	}
	if (i == gw->cfg->nchannels)
		return;
	uv_timer_init(gw->loop, &gw->parts.timer);
	uv_timer_start(
	    &gw->parts.timer, on_sweep, PARTS_SWEEP_MS, PARTS_SWEEP_MS);
	uv_unref((uv_handle_t *)&gw->parts.timer);
	gw->parts.running = 1;
}

static void
on_closed(uv_handle_t *h)
{
	(void)h;
}

void
parts_stop(struct gateway *gw)
{
	if (!gw->parts.running)
		return;
	gw->parts.running = 0;
	uv_close((uv_handle_t *)&gw->parts.timer, on_closed);
}
