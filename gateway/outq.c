/*
 * outq.c: a new outbound message: its limits and segment count.
 */
#include <string.h>

#include "gateway/outq.h"
#include "lib/gsm.h"

int
outq_enqueue(struct store *st, const char *channel, const char *phone,
    int64_t contact_id, const char *text, int64_t broadcast_id,
    int64_t not_before, int64_t now, int64_t *id)
{
	struct store_msg_out m;
	struct gsm_info gi;

	if (strlen(text) > OUTQ_MAX_TEXT)
		return STORE_EINVAL;
	gsm_count(text, &gi);
	memset(&m, 0, sizeof(m));
	m.channel = channel;
	m.kind = MSG_SMS;
	m.contact_id = contact_id;
	m.phone = phone;
	m.text = text;
	m.state = MSG_QUEUED;
	m.segments = (int)gi.segments;
	m.next_attempt = not_before > 0 ? not_before : now;
	m.broadcast_id = broadcast_id;
	return store_msg_insert_outbound(st, &m, now, id);
}
