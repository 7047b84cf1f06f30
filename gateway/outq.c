/*
 * outq.c: a new outbound message: its limits, its segment count, and the
 * wake-up of the dispatcher that will send it.
 */
#include <string.h>

#include "gateway/outq.h"
#include "lib/gsm.h"

/*
 * The dispatcher of this process, when one runs. Every enqueue runs on the
 * loop thread that owns it (the commands that queue without a loop set
 * none).
 */
static const struct outq_hooks *hooks;

void
outq_set_hooks(const struct outq_hooks *h)
{
	hooks = h;
}

int
outq_enqueue(
    struct store *st, const struct outq_msg *q, int64_t now, int64_t *id)
{
	struct store_msg_out m;
	struct gsm_info gi;
	int64_t own;
	int rc;

	if (strlen(q->text) > OUTQ_MAX_TEXT)
		return STORE_EINVAL;
	gsm_count(q->text, &gi);
	memset(&m, 0, sizeof(m));
	m.channel = q->channel;
	m.kind = MSG_SMS;
	m.contact_id = q->contact_id;
	m.phone = q->phone;
	m.text = q->text;
	m.state = MSG_QUEUED;
	m.segments = (int)gi.segments;
	m.next_attempt = q->not_before > 0 ? q->not_before : now;
	m.broadcast_id = q->broadcast_id;
	if (hooks != NULL && hooks->room != NULL && m.next_attempt <= now &&
	    hooks->room(hooks->arg, st, q))
		m.state = MSG_SENDING;
	rc = store_msg_insert_outbound(st, &m, now, &own);
	if (rc != 0)
		return rc;
	if (id != NULL)
		*id = own;
	if (m.state == MSG_SENDING) {
		hooks->taken(hooks->arg, q, own, m.segments, now);
		return 0;
	}
	if (hooks == NULL)
		return 0;
	if (hooks->queued != NULL && m.next_attempt <= now)
		hooks->queued(hooks->arg, q, own);
	if (hooks->wake != NULL)
		hooks->wake(hooks->arg);
	return 0;
}

int
outq_enqueue_one(
    struct store *st, const struct outq_msg *m, int64_t now, int64_t *id)
{
	struct store_contact c;
	struct outq_msg q = *m;
	int rc = store_contact_find(st, m->phone, &c);

	if (rc < 0 && rc != STORE_EINVAL)
		return rc;
	q.contact_id = rc == 0 ? c.id : 0;
	if (rc == 0 && c.opted_out)
		rc = OUTQ_OPTED_OUT;
	else
		rc = outq_enqueue(st, &q, now, id);
	store_contact_free(&c);
	return rc;
}
