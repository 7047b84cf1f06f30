/*
 * store_chanlog.c: the channel log, each request to a provider and its
 * answer (gateway/channel.c writes them, GET /api/v1/messages/ID/log reads
 * them, the daily purge deletes the old ones).
 *
 * One prepared insert per attempt, bound without copies (the strings live
 * for the step). The rows come in the order the answers came, so their
 * ids rise with time: the purge deletes every id below the first row it
 * keeps, a range of the primary key, and needs no index on time.
 */
#include <string.h>

#include "gateway/store_check.h"
#include "gateway/store_int.h"
#include "lib/util.h"

enum { L_ADD, L_EACH, L_PURGE, L_COUNT };

static const char *const chanlog_sql[L_COUNT] = {
    [L_ADD] = "INSERT INTO channel_log (time, channel, message_id, status,"
	      " ms, request, error, answer)"
	      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [L_EACH] = "SELECT id, time, channel, message_id, status, ms, request,"
	       " error, answer FROM channel_log WHERE message_id = ?1"
	       " ORDER BY id",
    /*
     * The old rows are the first ones: the scan stops at the first kept,
     * or ?2 ids past the oldest row.
     */
    [L_PURGE] = "DELETE FROM channel_log WHERE id < min(coalesce("
		"(SELECT id FROM channel_log WHERE time >= ?1"
		" ORDER BY id LIMIT 1),"
		" (SELECT max(id) + 1 FROM channel_log)),"
		" (SELECT coalesce(min(id), 0) FROM channel_log) + ?2)",
};

_Static_assert(L_COUNT <= STORE_PART_MAX, "too many statements");

static const struct store_sql chanlog = {
    STORE_PART_CHANLOG, chanlog_sql, L_COUNT};

int
sq_chanlog_add(struct store *st, const struct store_chanlog *e)
{
	sqlite3_stmt *s;

	if (e->channel == NULL ||
	    store_too_long(e->request, STORE_CHANLOG_REQUEST) ||
	    store_too_long(e->error, STORE_CHANLOG_ANSWER) ||
	    store_too_long(e->answer, STORE_CHANLOG_ANSWER))
		return STORE_EINVAL;
	s = store_sql(st, &chanlog, L_ADD);
	sqlite3_bind_int64(s, 1, e->time);
	store_bind_text(s, 2, e->channel);
	if (e->message_id > 0)
		sqlite3_bind_int64(s, 3, e->message_id);
	else
		sqlite3_bind_null(s, 3);
	sqlite3_bind_int(s, 4, e->status);
	sqlite3_bind_int64(s, 5, e->ms);
	store_bind_text(s, 6, e->request);
	store_bind_text(s, 7, e->error);
	store_bind_text(s, 8, e->answer);
	return store_sql_exec(st, &chanlog, L_ADD);
}

int
sq_chanlog_each(
    struct store *st, int64_t message_id, store_chanlog_cb cb, void *arg)
{
	sqlite3_stmt *s = store_sql(st, &chanlog, L_EACH);
	struct store_chanlog e;
	int rc;

	sqlite3_bind_int64(s, 1, message_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		e.id = sqlite3_column_int64(s, 0);
		e.time = sqlite3_column_int64(s, 1);
		e.channel = (const char *)sqlite3_column_text(s, 2);
		e.message_id = sqlite3_column_int64(s, 3);
		e.status = sqlite3_column_int(s, 4);
		e.ms = sqlite3_column_int64(s, 5);
		e.request = (const char *)sqlite3_column_text(s, 6);
		e.error = (const char *)sqlite3_column_text(s, 7);
		e.answer = (const char *)sqlite3_column_text(s, 8);
		if (e.channel == NULL)
			e.channel = "";
		if (cb(arg, &e) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	store_sql_done(s);
	if (rc != SQLITE_DONE)
		return store_sql_fail(st, &chanlog, L_EACH, rc);
	return 0;
}

int64_t
sq_chanlog_purge(struct store *st, int64_t before, int64_t max)
{
	sqlite3_stmt *s = store_sql(st, &chanlog, L_PURGE);

	sqlite3_bind_int64(s, 1, before);
	sqlite3_bind_int64(s, 2, max);
	if (store_sql_exec(st, &chanlog, L_PURGE) != 0)
		return STORE_ERR;
	return sqlite3_changes64(st->db);
}
