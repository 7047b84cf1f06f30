/*
 * store_spend.c: the segments sent on each channel on each local day (the
 * spend table), added to as messages are marked sent, and what the queue
 * will still send, for the daily budgets (council/budget.c).
 *
 * The day is the local date of the time a message was marked sent, by the
 * process's time zone: SQLite's date(..., 'localtime') and localtime_r()
 * below read the same one.
 */
#include <string.h>
#include <time.h>

#include "gateway/store_int.h"
#include "lib/util.h"

enum { P_ADD_SENT, P_SEGMENTS, P_PENDING, P_COUNT };

static const char *const spend_sql[P_COUNT] = {
    /* The message's own channel and segments: one row a channel a day. */
    [P_ADD_SENT] = "INSERT INTO spend (channel, day, segments)"
		   " SELECT channel, date(?2 / 1000, 'unixepoch', 'localtime'),"
		   " segments FROM messages WHERE id = ?1"
		   " ON CONFLICT (channel, day, node) DO UPDATE SET"
		   " segments = segments + excluded.segments",
    /* Every node's row of the day (PostgreSQL's nodes; '' here). */
    [P_SEGMENTS] = "SELECT coalesce(sum(segments), 0) FROM spend"
		   " WHERE channel = ?1 AND day = ?2",
    /* A range of messages_queue per state. */
    [P_PENDING] = "SELECT coalesce(sum(segments), 0) FROM messages"
		  " WHERE state IN ('queued', 'sending') AND channel = ?1"
		  " AND next_attempt >= ?2 AND next_attempt < ?3",
};

_Static_assert(P_COUNT <= STORE_PART_MAX, "too many statements");

static const struct store_sql spend = {STORE_PART_SPEND, spend_sql, P_COUNT};

char *
store_local_day(int64_t ms, char day[STORE_DAY_LEN])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(day, STORE_DAY_LEN, "%Y-%m-%d", &tm) == 0)
		day[0] = '\0';
	return day;
}

int
store_spend_add_sent(struct store *st, int64_t id, int64_t now)
{
	sqlite3_stmt *s = store_sql(st, &spend, P_ADD_SENT);

	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	return store_sql_exec(st, &spend, P_ADD_SENT);
}

/* Steps statement i, which returns one integer (bound already). */
static int
one_int(struct store *st, int i, int64_t *out)
{
	sqlite3_stmt *s = store_sql(st, &spend, i);
	int rc = sqlite3_step(s);

	*out = 0;
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	store_sql_done(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_sql_fail(st, &spend, i, rc);
	return 0;
}

int
sq_spend_segments(
    struct store *st, const char *channel, const char *day, int64_t *segments)
{
	sqlite3_stmt *s = store_sql(st, &spend, P_SEGMENTS);

	store_bind_text(s, 1, channel);
	store_bind_text(s, 2, day);
	return one_int(st, P_SEGMENTS, segments);
}

int
sq_spend_pending(struct store *st, const char *channel, int64_t from,
    int64_t until, int64_t *segments)
{
	sqlite3_stmt *s = store_sql(st, &spend, P_PENDING);

	store_bind_text(s, 1, channel);
	sqlite3_bind_int64(s, 2, from);
	sqlite3_bind_int64(s, 3, until);
	return one_int(st, P_PENDING, segments);
}
