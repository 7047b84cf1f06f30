/*
 * store_msg.c: the messages table: inbound messages (stored once per
 * provider id, their state once handled, those left unhandled), outbound
 * ones (the one insert of a new row) and the outbound queue (claims,
 * outcomes, delivery reports, recovery, fallback moves).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/store_int.h"
#include "lib/util.h"

enum {
	M_IN_INSERT,
	M_IN_FIND,
	M_IN_STATE,
	M_IN_RECEIVED,
	M_OUT_INSERT,
	M_GET,
	M_DUE,
	M_SENDING,
	M_SENT,
	M_RETRY,
	M_FAIL,
	M_REPORT_PID,
	M_REPORT_ID,
	M_RECOVER,
	M_NEXT_DUE,
	M_MOVE,
	M_NEWEST_PID,
	M_MAX_ID,
	M_COUNT
};

static const char *const msg_sql[M_COUNT] = {
    /*
     * A provider's retry of a stored message is a no-op. ?8 is the
     * message's contact, or NULL. (Not RETURNING: SQLite gathers returned
     * rows in an in-memory table, which costs more than a lookup.)
     */
    [M_IN_INSERT] =
	"INSERT INTO messages (direction, channel, kind, phone, text, state,"
	" provider_id, segments, created, updated, contact_id)"
	" VALUES ('in', ?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?7, ?8)"
	" ON CONFLICT (channel, provider_id)"
	" WHERE direction = 'in' AND provider_id IS NOT NULL DO NOTHING",
    [M_IN_FIND] = "SELECT id FROM messages WHERE direction = 'in'"
		  " AND channel = ?1 AND provider_id = ?2",
    [M_IN_STATE] = "UPDATE messages SET state = ?2, contact_id = ?3,"
		   " updated = ?4 WHERE id = ?1",
    [M_IN_RECEIVED] = "SELECT id, channel, phone, text FROM messages"
		      " WHERE direction = 'in' AND kind = 'sms'"
		      " AND state = 'received' ORDER BY id",
    [M_OUT_INSERT] =
	"INSERT INTO messages (direction, channel, kind, contact_id, phone,"
	" text, state, segments, next_attempt, broadcast_id, created,"
	" updated, attempts, node) VALUES ('out', ?1, ?2, ?3, ?4, ?5, ?6, ?7,"
	" ?8, ?9, ?10, ?10, ?11, ?12)",
    [M_GET] = "SELECT id, direction, channel, phone, state, error,"
	      " provider_id, attempts, segments, created, updated"
	      " FROM messages WHERE id = ?1",
    [M_DUE] = "SELECT id, phone, text, attempts, created, segments"
	      " FROM messages"
	      " WHERE state = 'queued' AND next_attempt <= ?2 AND channel = ?1"
	      " AND id <= ?4 ORDER BY next_attempt, id LIMIT ?3",
    [M_SENDING] = "UPDATE messages SET state = 'sending',"
		  " attempts = attempts + 1, updated = ?2, node = ?3"
		  " WHERE id = ?1",
    [M_SENT] = "UPDATE messages SET state = 'sent', provider_id = ?2,"
	       " error = NULL, next_attempt = NULL, updated = ?3"
	       " WHERE id = ?1 AND state = 'sending'",
    [M_RETRY] = "UPDATE messages SET state = 'queued', next_attempt = ?2,"
		" error = ?3, updated = ?4 WHERE id = ?1 AND state = 'sending'",
    [M_FAIL] = "UPDATE messages SET state = 'failed', error = ?2,"
	       " next_attempt = NULL, updated = ?3 WHERE id = ?1",
    [M_REPORT_PID] = "UPDATE messages SET state = ?3, error = ?4,"
		     " updated = ?5 WHERE direction = 'out' AND channel = ?1"
		     " AND provider_id = ?2"
		     " AND state NOT IN ('delivered', 'failed')",
    [M_REPORT_ID] = "UPDATE messages SET state = ?3, error = ?4,"
		    " updated = ?5 WHERE direction = 'out' AND channel = ?1"
		    " AND id = ?2 AND state NOT IN ('delivered', 'failed')",
    /* One gateway serves a SQLite file: every claim is its own. */
    [M_RECOVER] = "UPDATE messages SET state = 'queued', next_attempt = ?1,"
		  " updated = ?1, node = NULL WHERE state = 'sending'",
    [M_NEXT_DUE] = "SELECT min(next_attempt) FROM messages"
		   " WHERE state = 'queued' AND channel = ?1",
    [M_MOVE] = "UPDATE messages SET channel = ?2, updated = ?3,"
	       " next_attempt = min(next_attempt, ?3)"
	       " WHERE state = 'queued' AND channel = ?1"
	       " AND next_attempt <= ?4",
    /* The index messages_outbound keeps equal ids in rowid order. */
    [M_NEWEST_PID] = "SELECT id FROM messages WHERE channel = ?1"
		     " AND provider_id = ?2 AND direction = 'out'"
		     " ORDER BY id DESC LIMIT 1",
    [M_MAX_ID] = "SELECT max(id) FROM messages",
};

_Static_assert(M_COUNT <= STORE_PART_MAX, "too many statements");

static const struct store_sql msgs = {STORE_PART_MSG, msg_sql, M_COUNT};

/* The stored names of enum msg_state, enum msg_kind, enum msg_direction. */
static const char *const state_names[MSG_NSTATES] = {
    [MSG_QUEUED] = "queued",
    [MSG_SENDING] = "sending",
    [MSG_SENT] = "sent",
    [MSG_DELIVERED] = "delivered",
    [MSG_FAILED] = "failed",
    [MSG_RECEIVED] = "received",
    [MSG_HANDLED] = "handled",
    [MSG_IGNORED] = "ignored",
};

const char *
msg_state_name(enum msg_state s)
{
	if ((unsigned)s >= MSG_NSTATES)
		return NULL;
	return state_names[s];
}

int
msg_state_parse(const char *name, enum msg_state *out)
{
	int i;

	for (i = 0; name != NULL && i < MSG_NSTATES; i++)
		if (strcmp(name, state_names[i]) == 0) {
			*out = (enum msg_state)i;
			return 0;
		}
	return STORE_EINVAL;
}

/* True for a state an inbound message may have. */
static int
state_inbound(enum msg_state s)
{
	return s == MSG_RECEIVED || s == MSG_HANDLED || s == MSG_IGNORED;
}

/* True for a state an outbound message may have. */
static int
state_outbound(enum msg_state s)
{
	return (unsigned)s <= MSG_FAILED;
}

static const char *
kind_name(enum msg_kind k)
{
	return k == MSG_USSD ? "ussd" : "sms";
}

/* Statement i, ready to bind. */
static sqlite3_stmt *
stmt(struct store *st, int i)
{
	return store_sql(st, &msgs, i);
}

/* Binds an id, or SQL NULL for 0 (none). */
static void
bind_id(sqlite3_stmt *s, int col, int64_t v)
{
	if (v > 0)
		sqlite3_bind_int64(s, col, v);
	else
		sqlite3_bind_null(s, col);
}

/*
 * Steps statement i (bound already), which returns no row, and resets it.
 * Returns the rows it changed, or STORE_ERR.
 */
static int64_t
changes(struct store *st, int i)
{
	if (store_sql_exec(st, &msgs, i) != 0)
		return STORE_ERR;
	return sqlite3_changes64(st->db);
}

/* The stored message's id for a duplicate (0 if it cannot be read). */
static int
duplicate(struct store *st, const struct store_msg_in *m, int64_t *id)
{
	sqlite3_stmt *s = stmt(st, M_IN_FIND);
	int rc;

	store_bind_text(s, 1, m->channel);
	store_bind_text(s, 2, m->provider_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(s, 0);
	store_sql_done(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		store_sql_fail(st, &msgs, M_IN_FIND, rc);
	return STORE_EDUP;
}

/*
 * Inserts inbound m with contact (0: none): 0 with *id, or STORE_EDUP
 * with the id stored before under its provider id.
 */
static int
insert_inbound(struct store *st, const struct store_msg_in *m, int64_t now,
    int64_t contact, int64_t *id)
{
	int has_pid = m->provider_id != NULL && m->provider_id[0] != '\0';
	sqlite3_stmt *s = stmt(st, M_IN_INSERT);
	int64_t n;

	store_bind_text(s, 1, m->channel);
	store_bind_text(s, 2, kind_name(m->kind));
	store_bind_text(s, 3, m->phone);
	store_bind_text(s, 4, m->text);
	store_bind_text(s, 5, state_names[m->state]);
	store_bind_text(s, 6, has_pid ? m->provider_id : NULL);
	sqlite3_bind_int64(s, 7, now);
	bind_id(s, 8, contact);
	if ((n = changes(st, M_IN_INSERT)) < 0)
		return STORE_ERR;
	if (n > 0) {
		*id = sqlite3_last_insert_rowid(st->db);
		return 0;
	}
	/* A duplicate: stored before with this provider id. */
	return duplicate(st, m, id);
}

int
sq_msg_insert_inbound(
    struct store *st, const struct store_msg_in *m, int64_t now, int64_t *id)
{
	*id = 0;
	if (!state_inbound(m->state))
		return STORE_EINVAL;
	return insert_inbound(st, m, now, m->contact_id, id);
}

int
sq_msg_insert_inbound_contact(struct store *st, const struct store_msg_in *m,
    int64_t now, int64_t *id, struct store_contact *contact)
{
	int rc;

	*id = 0;
	memset(contact, 0, sizeof(*contact));
	if (!state_inbound(m->state))
		return STORE_EINVAL;
	/* A number that is not E.164 has no contact: the insert judges it. */
	rc = sq_contact_find(st, m->phone, contact);
	if (rc != 0 && rc != STORE_NOTFOUND && rc != STORE_EINVAL)
		return rc;
	return insert_inbound(st, m, now, contact->id, id);
}

int
sq_msg_inbound_state(struct store *st, int64_t id, enum msg_state state,
    int64_t contact_id, int64_t now)
{
	sqlite3_stmt *s = stmt(st, M_IN_STATE);

	if (!state_inbound(state))
		return STORE_EINVAL;
	sqlite3_bind_int64(s, 1, id);
	store_bind_text(s, 2, state_names[state]);
	bind_id(s, 3, contact_id);
	sqlite3_bind_int64(s, 4, now);
	return store_sql_exec(st, &msgs, M_IN_STATE);
}

int
sq_msg_each_received(struct store *st, store_msg_received_cb cb, void *arg)
{
	sqlite3_stmt *s = stmt(st, M_IN_RECEIVED);
	struct store_msg_received m;
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		m.id = sqlite3_column_int64(s, 0);
		m.channel = (const char *)sqlite3_column_text(s, 1);
		m.phone = (const char *)sqlite3_column_text(s, 2);
		m.text = (const char *)sqlite3_column_text(s, 3);
		if (cb(arg, &m) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	store_sql_done(s);
	if (rc != SQLITE_DONE)
		return store_sql_fail(st, &msgs, M_IN_RECEIVED, rc);
	return 0;
}

int
sq_msg_insert_outbound(
    struct store *st, const struct store_msg_out *m, int64_t now, int64_t *id)
{
	sqlite3_stmt *s = stmt(st, M_OUT_INSERT);

	if (!state_outbound(m->state))
		return STORE_EINVAL;
	store_bind_text(s, 1, m->channel);
	store_bind_text(s, 2, kind_name(m->kind));
	bind_id(s, 3, m->contact_id);
	store_bind_text(s, 4, m->phone);
	store_bind_text(s, 5, m->text);
	store_bind_text(s, 6, state_names[m->state]);
	sqlite3_bind_int(s, 7, m->segments);
	if (m->state == MSG_QUEUED || m->state == MSG_SENDING)
		sqlite3_bind_int64(s, 8, m->next_attempt);
	else
		sqlite3_bind_null(s, 8);
	bind_id(s, 9, m->broadcast_id);
	sqlite3_bind_int64(s, 10, now);
	/* Claimed as it is stored: its first attempt, this node's. */
	sqlite3_bind_int(s, 11, m->state == MSG_SENDING);
	store_bind_text(s, 12, m->state == MSG_SENDING ? st->node : NULL);
	if (store_sql_exec(st, &msgs, M_OUT_INSERT) != 0)
		return STORE_ERR;
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
sq_msg_get(struct store *st, int64_t id, struct store_msg *out)
{
	sqlite3_stmt *s = stmt(st, M_GET);
	const char *dir, *state;
	int rc, bad = 0;

	memset(out, 0, sizeof(*out));
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(s, 0);
		dir = (const char *)sqlite3_column_text(s, 1);
		out->direction =
		    dir != NULL && strcmp(dir, "out") == 0 ? MSG_OUT : MSG_IN;
		out->channel = store_column_dup(s, 2);
		out->phone = store_column_dup(s, 3);
		state = (const char *)sqlite3_column_text(s, 4);
		bad = msg_state_parse(state, &out->state) != 0;
		out->error = store_column_dup(s, 5);
		out->provider_id = store_column_dup(s, 6);
		out->attempts = sqlite3_column_int(s, 7);
		out->segments = sqlite3_column_int(s, 8);
		out->created = sqlite3_column_int64(s, 9);
		out->updated = sqlite3_column_int64(s, 10);
	}
	store_sql_done(s);
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	if (rc != SQLITE_ROW)
		return store_sql_fail(st, &msgs, M_GET, rc);
	if (bad) { /* The schema's CHECK allows no other state. */
		store_msg_free(out);
		return STORE_ERR;
	}
	return 0;
}

void
store_msg_free(struct store_msg *m)
{
	if (m == NULL)
		return;
	free(m->channel);
	free(m->phone);
	free(m->error);
	free(m->provider_id);
	memset(m, 0, sizeof(*m));
}

int
sq_queue_claim(struct store *st, const char *channel, int64_t now, size_t max,
    struct store_queue_msg **out, size_t *n)
{
	return sq_queue_claim_upto(st, channel, now, max, INT64_MAX, out, n);
}

int
sq_queue_claim_upto(struct store *st, const char *channel, int64_t now,
    size_t max, int64_t max_id, struct store_queue_msg **out, size_t *n)
{
	sqlite3_stmt *s = stmt(st, M_DUE), *u;
	struct store_queue_msg *v;
	size_t cnt = 0, cap = 0, i;
	int rc = SQLITE_DONE;

	*out = NULL;
	*n = 0;
	if (max == 0)
		return 0;
	store_bind_text(s, 1, channel);
	sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)max);
	sqlite3_bind_int64(s, 4, max_id);
	/*
	 * Grown as rows come: most claims under a steady load find one or
	 * two messages, or none, and zeroing room for max cost more than the
	 * claim's own statement.
	 */
	v = NULL;
	while (cnt < max && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (cnt == cap) {
			cap = cap == 0 ? 4 : cap * 2;
			if (cap > max)
				cap = max;
			v = xrealloc(v, cap * sizeof(*v));
		}
		memset(&v[cnt], 0, sizeof(*v));
		v[cnt].id = sqlite3_column_int64(s, 0);
		v[cnt].phone = store_column_dup(s, 1);
		v[cnt].text = store_column_dup(s, 2);
		v[cnt].attempts = sqlite3_column_int(s, 3) + 1;
		v[cnt].created = sqlite3_column_int64(s, 4);
		v[cnt].segments = sqlite3_column_int(s, 5);
		/* A text forgotten meanwhile cannot be sent: left queued. */
		if (v[cnt].phone == NULL || v[cnt].text == NULL) {
			free(v[cnt].phone);
			free(v[cnt].text);
			continue;
		}
		cnt++;
	}
	store_sql_done(s);
	if (cnt < max && rc != SQLITE_DONE) {
		store_queue_msgs_free(v, cnt);
		return store_sql_fail(st, &msgs, M_DUE, rc);
	}
	u = stmt(st, M_SENDING);
	for (i = 0; i < cnt; i++) {
		sqlite3_bind_int64(u, 1, v[i].id);
		sqlite3_bind_int64(u, 2, now);
		store_bind_text(u, 3, st->node);
		if (store_sql_exec(st, &msgs, M_SENDING) != 0) {
			store_queue_msgs_free(v, cnt);
			return STORE_ERR;
		}
	}
	*out = v;
	*n = cnt;
	return 0;
}

void
store_queue_msgs_free(struct store_queue_msg *v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++) {
		free(v[i].phone);
		free(v[i].text);
	}
	free(v);
}

int64_t
sq_msg_max_id(struct store *st)
{
	sqlite3_stmt *s = stmt(st, M_MAX_ID);
	int64_t id = 0;
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		id = sqlite3_column_int64(s, 0);
	store_sql_done(s);
	if (rc != SQLITE_ROW)
		return store_sql_fail(st, &msgs, M_MAX_ID, rc);
	return id;
}

/* Marks message id sent: 1, 0 when it was not being sent, or STORE_ERR. */
static int
sent(struct store *st, int64_t id, const char *provider_id, int64_t now)
{
	sqlite3_stmt *s = stmt(st, M_SENT);
	int64_t n;

	sqlite3_bind_int64(s, 1, id);
	store_bind_text(s, 2, provider_id);
	sqlite3_bind_int64(s, 3, now);
	if ((n = changes(st, M_SENT)) < 0)
		return STORE_ERR;
	return n > 0;
}

int
sq_queue_sent(
    struct store *st, int64_t id, const char *provider_id, int64_t now)
{
	int rc = sent(st, id, provider_id, now);

	/* Only a message that was being sent has just cost something. */
	return rc > 0 ? store_spend_add_sent(st, id, now) : rc;
}

int
sq_queue_sent_claimed(struct store *st, int64_t id, const char *provider_id,
    const char *channel, int segments, int64_t now)
{
	int rc = sent(st, id, provider_id, now);

	return rc > 0 ? store_spend_add(st, channel, segments, now) : rc;
}

int
sq_queue_retry(struct store *st, int64_t id, int64_t next_attempt,
    const char *error, int64_t now)
{
	sqlite3_stmt *s = stmt(st, M_RETRY);

	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, next_attempt);
	store_bind_text(s, 3, error);
	sqlite3_bind_int64(s, 4, now);
	return store_sql_exec(st, &msgs, M_RETRY);
}

int
sq_queue_fail(struct store *st, int64_t id, const char *error, int64_t now)
{
	sqlite3_stmt *s = stmt(st, M_FAIL);

	sqlite3_bind_int64(s, 1, id);
	store_bind_text(s, 2, error != NULL ? error : "failed");
	sqlite3_bind_int64(s, 3, now);
	return store_sql_exec(st, &msgs, M_FAIL);
}

int
sq_queue_report(struct store *st, const char *channel, const char *provider_id,
    int64_t own_id, enum msg_state state, const char *error, int64_t now)
{
	int i = provider_id != NULL ? M_REPORT_PID : M_REPORT_ID;
	sqlite3_stmt *s = stmt(st, i);
	int64_t n;

	if (!state_outbound(state))
		return STORE_EINVAL;
	store_bind_text(s, 1, channel);
	if (provider_id != NULL)
		store_bind_text(s, 2, provider_id);
	else
		sqlite3_bind_int64(s, 2, own_id);
	store_bind_text(s, 3, state_names[state]);
	store_bind_text(s, 4, error);
	sqlite3_bind_int64(s, 5, now);
	if ((n = changes(st, i)) < 0)
		return STORE_ERR;
	return n > 0 ? 0 : STORE_NOTFOUND;
}

int
sq_queue_newest(
    struct store *st, const char *channel, const char *provider_id, int64_t *id)
{
	sqlite3_stmt *s = stmt(st, M_NEWEST_PID);
	int rc;

	*id = 0;
	store_bind_text(s, 1, channel);
	store_bind_text(s, 2, provider_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(s, 0);
	store_sql_done(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	return store_sql_fail(st, &msgs, M_NEWEST_PID, rc);
}

int
sq_queue_recover(struct store *st, int64_t now)
{
	sqlite3_bind_int64(stmt(st, M_RECOVER), 1, now);
	return (int)changes(st, M_RECOVER);
}

int64_t
sq_queue_next_due(struct store *st, const char *channel)
{
	sqlite3_stmt *s = stmt(st, M_NEXT_DUE);
	int64_t t = -1;
	int rc;

	store_bind_text(s, 1, channel);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
		t = sqlite3_column_int64(s, 0);
	store_sql_done(s);
	if (rc != SQLITE_ROW)
		store_sql_fail(st, &msgs, M_NEXT_DUE, rc);
	return t;
}

int
sq_queue_move(struct store *st, const char *from, const char *to, int64_t now,
    int64_t due_by)
{
	sqlite3_stmt *s = stmt(st, M_MOVE);

	store_bind_text(s, 1, from);
	store_bind_text(s, 2, to);
	sqlite3_bind_int64(s, 3, now);
	sqlite3_bind_int64(s, 4, due_by);
	return (int)changes(st, M_MOVE);
}
