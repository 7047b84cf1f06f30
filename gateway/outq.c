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
static void (*wake_fn)(void *);
static void *wake_arg;

void
outq_set_wake(void (*wake)(void *), void *arg)
{
	wake_fn = wake;
	wake_arg = wake != NULL ? arg : NULL;
}

int
outq_enqueue(
    struct store *st, const struct outq_msg *q, int64_t now, int64_t *id)
{
	struct store_msg_out m;
	struct gsm_info gi;
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
	rc = store_msg_insert_outbound(st, &m, now, id);
	if (rc == 0 && wake_fn != NULL)
		wake_fn(wake_arg);
	return rc;
}
