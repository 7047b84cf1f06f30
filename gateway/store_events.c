/*
 * store_events.c: the events table of the outbound event webhooks (one row
 * per event and [event NAME] section, kept until delivered or too old) and
 * the message as an event tells of it.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/store_int.h"
#include "lib/util.h"

enum {
	E_INSERT,
	E_CLAIM,
	E_DELETE,
	E_RETRY,
	E_NEXT_DUE,
	E_DROP_OTHERS,
	E_MSG,
	E_WAITING,
	E_COUNT
};

static const char *const events_sql[E_COUNT] = {
    [E_INSERT] = "INSERT INTO events (sink, event, data, created,"
		 " next_attempt) VALUES (?1, ?2, ?3, ?4, ?4)",
    /* A claim is a lease: the row comes due again at ?3 by itself. */
    [E_CLAIM] = "UPDATE events SET attempts = attempts + 1,"
		" next_attempt = ?3 WHERE id IN (SELECT id FROM events"
		" WHERE sink = ?1 AND next_attempt <= ?2"
		" ORDER BY next_attempt, id LIMIT ?4)"
		" RETURNING id, event, data, created, attempts",
    [E_DELETE] = "DELETE FROM events WHERE id = ?1",
    [E_RETRY] = "UPDATE events SET next_attempt = ?2, error = ?3"
		" WHERE id = ?1",
    [E_NEXT_DUE] = "SELECT min(next_attempt) FROM events WHERE sink = ?1",
    [E_DROP_OTHERS] = "DELETE FROM events WHERE sink NOT IN"
		      " (SELECT value FROM json_each(?1))",
    [E_MSG] = "SELECT id, direction, kind, channel, contact_id, phone,"
	      " text, state, error, attempts, created, updated"
	      " FROM messages WHERE id = ?1",
    [E_WAITING] = "SELECT count(*) FROM events",
};

_Static_assert(E_COUNT <= STORE_PART_MAX, "too many statements");

static const struct store_sql events = {STORE_PART_EVENTS, events_sql, E_COUNT};

/* Statement i, ready to bind. */
static sqlite3_stmt *
stmt(struct store *st, int i)
{
	return store_sql(st, &events, i);
}

int
sq_event_insert(struct store *st, const char *sink, const char *event,
    const char *data, int64_t now, int64_t *id)
{
	sqlite3_stmt *s = stmt(st, E_INSERT);
	int rc;

	if (id != NULL)
		*id = 0;
	if (sink == NULL || event == NULL || data == NULL ||
	    strnlen(data, STORE_EVENT_DATA_MAX + 1) > STORE_EVENT_DATA_MAX)
		return STORE_EINVAL;
	store_bind_text(s, 1, sink);
	store_bind_text(s, 2, event);
	store_bind_text(s, 3, data);
	sqlite3_bind_int64(s, 4, now);
	rc = sqlite3_step(s);
	store_sql_done(s);
	if (rc == SQLITE_CONSTRAINT_CHECK)
		return STORE_EINVAL; /* data is not JSON */
	if (rc != SQLITE_DONE)
		return store_sql_fail(st, &events, E_INSERT, rc);
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
sq_event_claim(struct store *st, const char *sink, int64_t now, int64_t lease,
    size_t max, struct store_event **out, size_t *n)
{
	sqlite3_stmt *s = stmt(st, E_CLAIM);
	struct store_event *v;
	size_t k = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (max == 0)
		return 0;
	v = xcalloc(max, sizeof(*v));
	store_bind_text(s, 1, sink);
	sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_int64(s, 3, lease);
	sqlite3_bind_int64(s, 4, (int64_t)max);
	/* RETURNING rows are all read before the statement completes. */
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (k == max)
			continue;
		v[k].id = sqlite3_column_int64(s, 0);
		v[k].event = store_column_dup(s, 1);
		v[k].data = store_column_dup(s, 2);
		v[k].created = sqlite3_column_int64(s, 3);
		v[k].attempts = sqlite3_column_int(s, 4);
		if (v[k].event == NULL)
			v[k].event = xstrdup("");
		if (v[k].data == NULL)
			v[k].data = xstrdup("{}");
		k++;
	}
	store_sql_done(s);
	if (rc != SQLITE_DONE) {
		store_events_free(v, k);
		return store_sql_fail(st, &events, E_CLAIM, rc);
	}
	if (k == 0) {
		free(v);
		return 0;
	}
	*out = v;
	*n = k;
	return 0;
}

void
store_events_free(struct store_event *v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++) {
		free(v[i].event);
		free(v[i].data);
	}
	free(v);
}

int
sq_event_delete(struct store *st, int64_t id)
{
	sqlite3_bind_int64(stmt(st, E_DELETE), 1, id);
	return store_sql_exec(st, &events, E_DELETE);
}

int
sq_event_retry(
    struct store *st, int64_t id, int64_t next_attempt, const char *error)
{
	sqlite3_stmt *s = stmt(st, E_RETRY);

	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, next_attempt);
	store_bind_text(s, 3, error);
	return store_sql_exec(st, &events, E_RETRY);
}

int64_t
sq_event_next_due(struct store *st, const char *sink)
{
	sqlite3_stmt *s = stmt(st, E_NEXT_DUE);
	int64_t due = -1;
	int rc;

	store_bind_text(s, 1, sink);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
		due = sqlite3_column_int64(s, 0);
	store_sql_done(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		store_sql_fail(st, &events, E_NEXT_DUE, rc);
	return due;
}

int64_t
sq_event_drop_others(struct store *st, const char *sinks_json)
{
	store_bind_text(stmt(st, E_DROP_OTHERS), 1, sinks_json);
	if (store_sql_exec(st, &events, E_DROP_OTHERS) != 0)
		return STORE_ERR;
	return sqlite3_changes64(st->db);
}

int
sq_event_msg_get(struct store *st, int64_t id, struct store_event_msg *out)
{
	sqlite3_stmt *s = stmt(st, E_MSG);
	const char *t;
	int rc, bad = 0;

	memset(out, 0, sizeof(*out));
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(s, 0);
		t = (const char *)sqlite3_column_text(s, 1);
		out->direction =
		    t != NULL && strcmp(t, "out") == 0 ? MSG_OUT : MSG_IN;
		t = (const char *)sqlite3_column_text(s, 2);
		out->kind =
		    t != NULL && strcmp(t, "ussd") == 0 ? MSG_USSD : MSG_SMS;
		out->channel = store_column_dup(s, 3);
		out->contact_id = sqlite3_column_int64(s, 4);
		out->phone = store_column_dup(s, 5);
		out->text = store_column_dup(s, 6);
		t = (const char *)sqlite3_column_text(s, 7);
		bad = msg_state_parse(t, &out->state) != 0;
		out->error = store_column_dup(s, 8);
		out->attempts = sqlite3_column_int(s, 9);
		out->created = sqlite3_column_int64(s, 10);
		out->updated = sqlite3_column_int64(s, 11);
	}
	store_sql_done(s);
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	if (rc != SQLITE_ROW)
		return store_sql_fail(st, &events, E_MSG, rc);
	if (bad) { /* The schema's CHECK allows no other state. */
		store_event_msg_free(out);
		return STORE_ERR;
	}
	return 0;
}

void
store_event_msg_free(struct store_event_msg *m)
{
	if (m == NULL)
		return;
	free(m->channel);
	free(m->phone);
	free(m->text);
	free(m->error);
	memset(m, 0, sizeof(*m));
}

int
sq_event_waiting(struct store *st, int64_t *n)
{
	sqlite3_stmt *s = stmt(st, E_WAITING);
	int rc;

	*n = 0;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(s, 0);
	store_sql_done(s);
	if (rc != SQLITE_ROW)
		return store_sql_fail(st, &events, E_WAITING, rc);
	return 0;
}
