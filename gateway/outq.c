/*
 * outq.c: the outbound queue's rows.
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "gateway/outq.h"
#include "lib/gsm.h"
#include "lib/log.h"
#include "lib/util.h"

static const char sql_enqueue[] =
    "INSERT INTO messages (direction, channel, kind, contact_id, phone,"
    " text, state, segments, next_attempt, broadcast_id, created, updated)"
    " VALUES ('out', ?1, 'sms', ?2, ?3, ?4, 'queued', ?5, ?6, ?7, ?8, ?8)";
static const char sql_due[] =
    "SELECT id, phone, text, attempts, created FROM messages"
    " WHERE state = 'queued' AND next_attempt <= ?2 AND channel = ?1"
    " ORDER BY next_attempt, id LIMIT ?3";
static const char sql_sending[] =
    "UPDATE messages SET state = 'sending', attempts = attempts + 1,"
    " updated = ?2 WHERE id = ?1";
static const char sql_sent[] =
    "UPDATE messages SET state = 'sent', provider_id = ?2, error = NULL,"
    " next_attempt = NULL, updated = ?3 WHERE id = ?1 AND state = 'sending'";
static const char sql_retry[] =
    "UPDATE messages SET state = 'queued', next_attempt = ?2, error = ?3,"
    " updated = ?4 WHERE id = ?1 AND state = 'sending'";
static const char sql_fail[] =
    "UPDATE messages SET state = 'failed', error = ?2, next_attempt = NULL,"
    " updated = ?3 WHERE id = ?1";
static const char sql_report_pid[] =
    "UPDATE messages SET state = ?3, error = ?4, updated = ?5"
    " WHERE direction = 'out' AND channel = ?1 AND provider_id = ?2"
    " AND state NOT IN ('delivered', 'failed')";
static const char sql_report_id[] =
    "UPDATE messages SET state = ?3, error = ?4, updated = ?5"
    " WHERE direction = 'out' AND channel = ?1 AND id = ?2"
    " AND state NOT IN ('delivered', 'failed')";
static const char sql_recover[] =
    "UPDATE messages SET state = 'queued', next_attempt = ?1, updated = ?1"
    " WHERE state = 'sending'";
static const char sql_next_due[] = "SELECT min(next_attempt) FROM messages"
				   " WHERE state = 'queued' AND channel = ?1";
static const char sql_move[] =
    "UPDATE messages SET channel = ?2, updated = ?3"
    " WHERE state = 'queued' AND channel = ?1 AND next_attempt <= ?3";
static const char sql_get[] =
    "SELECT id, direction, channel, phone, state, error, provider_id,"
    " attempts, segments, created, updated FROM messages WHERE id = ?1";

static int
step_done(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	if (rc != SQLITE_DONE) {
		log_warn(
		    "outq", "%s failed error=\"%s\"", what, store_errmsg(st));
		sqlite3_reset(s);
		return STORE_ERR;
	}
	sqlite3_reset(s);
	return 0;
}

static char *
col_text(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? xstrdup((const char *)t) : NULL;
}

int
outq_enqueue(struct store *st, const char *channel, const char *phone,
    int64_t contact_id, const char *text, int64_t broadcast_id,
    int64_t not_before, int64_t now, int64_t *id)
{
	sqlite3_stmt *s = store_stmt(st, sql_enqueue);
	struct gsm_info gi;
	int rc;

	if (strlen(text) > OUTQ_MAX_TEXT)
		return STORE_EINVAL;
	gsm_count(text, &gi);
	sqlite3_bind_text(s, 1, channel, -1, SQLITE_STATIC);
	if (contact_id > 0)
		sqlite3_bind_int64(s, 2, contact_id);
	sqlite3_bind_text(s, 3, phone, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)gi.segments);
	sqlite3_bind_int64(s, 6, not_before > 0 ? not_before : now);
	if (broadcast_id > 0)
		sqlite3_bind_int64(s, 7, broadcast_id);
	sqlite3_bind_int64(s, 8, now);
	if ((rc = step_done(st, s, "enqueue")) != 0)
		return rc;
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(store_db(st));
	return 0;
}

int
outq_claim(struct store *st, const char *channel, int64_t now, size_t max,
    struct outq_msg **out, size_t *n)
{
	sqlite3_stmt *s = store_stmt(st, sql_due), *u;
	struct outq_msg *v = NULL;
	size_t cnt = 0, i;
	int rc;

	*out = NULL;
	*n = 0;
	if (max == 0)
		return 0;
	sqlite3_bind_text(s, 1, channel, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)max);
	v = xcalloc(max, sizeof(*v));
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && cnt < max) {
		v[cnt].id = sqlite3_column_int64(s, 0);
		v[cnt].phone = col_text(s, 1);
		v[cnt].text = col_text(s, 2);
		v[cnt].attempts = sqlite3_column_int(s, 3) + 1;
		v[cnt].created = sqlite3_column_int64(s, 4);
		if (v[cnt].phone == NULL || v[cnt].text == NULL) {
			free(v[cnt].phone);
			free(v[cnt].text);
			continue;
		}
		cnt++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		log_warn("outq", "claim failed error=\"%s\"", store_errmsg(st));
		outq_msgs_free(v, cnt);
		return STORE_ERR;
	}
	u = store_stmt(st, sql_sending);
	for (i = 0; i < cnt; i++) {
		sqlite3_bind_int64(u, 1, v[i].id);
		sqlite3_bind_int64(u, 2, now);
		if ((rc = step_done(st, u, "claim")) != 0) {
			outq_msgs_free(v, cnt);
			return rc;
		}
	}
	*out = v;
	*n = cnt;
	return 0;
}

void
outq_msgs_free(struct outq_msg *v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++) {
		free(v[i].phone);
		free(v[i].text);
	}
	free(v);
}

int
outq_sent(struct store *st, int64_t id, const char *provider_id, int64_t now)
{
	sqlite3_stmt *s = store_stmt(st, sql_sent);

	sqlite3_bind_int64(s, 1, id);
	if (provider_id != NULL)
		sqlite3_bind_text(s, 2, provider_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, now);
	return step_done(st, s, "sent");
}

int
outq_retry(struct store *st, int64_t id, int64_t next_attempt,
    const char *error, int64_t now)
{
	sqlite3_stmt *s = store_stmt(st, sql_retry);

	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, next_attempt);
	if (error != NULL)
		sqlite3_bind_text(s, 3, error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, now);
	return step_done(st, s, "retry");
}

int
outq_fail(struct store *st, int64_t id, const char *error, int64_t now)
{
	sqlite3_stmt *s = store_stmt(st, sql_fail);

	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, error ? error : "failed", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, now);
	return step_done(st, s, "fail");
}

int
outq_report(struct store *st, const char *channel, const char *id,
    int by_own_id, const char *state, const char *error, int64_t now)
{
	sqlite3_stmt *s =
	    store_stmt(st, by_own_id ? sql_report_id : sql_report_pid);
	int rc;

	sqlite3_bind_text(s, 1, channel, -1, SQLITE_STATIC);
	if (by_own_id) {
		char *end;
		long long n = strtoll(id, &end, 10);

		if (*id == '\0' || *end != '\0' || n <= 0)
			return STORE_NOTFOUND;
		sqlite3_bind_int64(s, 2, n);
	} else {
		sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
	}
	sqlite3_bind_text(s, 3, state, -1, SQLITE_STATIC);
	if (error != NULL)
		sqlite3_bind_text(s, 4, error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, now);
	if ((rc = step_done(st, s, "report")) != 0)
		return rc;
	return sqlite3_changes(store_db(st)) > 0 ? 0 : STORE_NOTFOUND;
}

int
outq_recover(struct store *st, int64_t now)
{
	sqlite3_stmt *s = store_stmt(st, sql_recover);
	int rc;

	sqlite3_bind_int64(s, 1, now);
	if ((rc = step_done(st, s, "recover")) != 0)
		return rc;
	return sqlite3_changes(store_db(st));
}

int64_t
outq_next_due(struct store *st, const char *channel)
{
	sqlite3_stmt *s = store_stmt(st, sql_next_due);
	int64_t t = -1;

	sqlite3_bind_text(s, 1, channel, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW &&
	    sqlite3_column_type(s, 0) != SQLITE_NULL)
		t = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return t;
}

int
outq_move(struct store *st, const char *from, const char *to, int64_t now)
{
	sqlite3_stmt *s = store_stmt(st, sql_move);
	int rc;

	sqlite3_bind_text(s, 1, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, to, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, now);
	if ((rc = step_done(st, s, "move")) != 0)
		return rc;
	return sqlite3_changes(store_db(st));
}

int
outq_get(struct store *st, int64_t id, struct outq_info *out)
{
	sqlite3_stmt *s = store_stmt(st, sql_get);
	int rc;

	memset(out, 0, sizeof(*out));
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return rc == SQLITE_DONE ? STORE_NOTFOUND : STORE_ERR;
	}
	out->id = sqlite3_column_int64(s, 0);
	out->direction = col_text(s, 1);
	out->channel = col_text(s, 2);
	out->phone = col_text(s, 3);
	out->state = col_text(s, 4);
	out->error = col_text(s, 5);
	out->provider_id = col_text(s, 6);
	out->attempts = sqlite3_column_int(s, 7);
	out->segments = sqlite3_column_int(s, 8);
	out->created = sqlite3_column_int64(s, 9);
	out->updated = sqlite3_column_int64(s, 10);
	sqlite3_reset(s);
	return 0;
}

void
outq_info_free(struct outq_info *m)
{
	free(m->direction);
	free(m->channel);
	free(m->phone);
	free(m->state);
	free(m->error);
	free(m->provider_id);
	memset(m, 0, sizeof(*m));
}
