/*
 * store_spend.c: the segments sent on each channel on each local day (the
 * spend table), added to as messages are marked sent, and what the queue
 * will still send, for the daily budgets (council/budget.c).
 *
 * A message marked sent adds its segments to a row in memory (struct
 * store's spend: one a channel a day); the rows are written, one upsert
 * each, when the transaction commits (store.c's sq_commit) or before a
 * savepoint, and forgotten when it rolls back. Under load a turn's
 * transaction marks tens of messages sent: one upsert instead of one each.
 * Reads within the transaction (sq_spend_segments) count what is held.
 *
 * The day is the local date of the time a message was marked sent, by the
 * process's time zone: SQLite's date(..., 'localtime') and localtime_r()
 * below read the same one.
 */
#include <string.h>
#include <time.h>

#include "gateway/store_int.h"
#include "lib/util.h"

enum { P_MESSAGE, P_ADD, P_SEGMENTS, P_PENDING, P_COUNT };

static const char *const spend_sql[P_COUNT] = {
    /* What a message sent costs, and where. */
    [P_MESSAGE] = "SELECT channel, segments FROM messages WHERE id = ?1",
    /* One row a channel a day. */
    [P_ADD] = "INSERT INTO spend (channel, day, segments) VALUES (?1, ?2, ?3)"
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

/* Writes segments to channel's row of day. 0 or STORE_ERR. */
static int
spend_write(
    struct store *st, const char *channel, const char *day, int64_t segments)
{
	sqlite3_stmt *s = store_sql(st, &spend, P_ADD);

	store_bind_text(s, 1, channel);
	store_bind_text(s, 2, day);
	sqlite3_bind_int64(s, 3, segments);
	return store_sql_exec(st, &spend, P_ADD);
}

/* Writes what is held (struct store's spend_flush). */
static int
spend_flush(struct store *st)
{
	struct store_spend_add *a;

	/* A row leaves the memory once written: none is written twice. */
	for (; st->nspend > 0; st->nspend--) {
		a = &st->spend[st->nspend - 1];
		if (spend_write(st, a->channel, a->day, a->segments) != 0)
			return STORE_ERR;
	}
	return 0;
}

int
store_spend_add_sent(struct store *st, int64_t id, int64_t now)
{
	sqlite3_stmt *s = store_sql(st, &spend, P_MESSAGE);
	int rc;

	sqlite3_bind_int64(s, 1, id);
	if ((rc = sqlite3_step(s)) != SQLITE_ROW) {
		store_sql_done(s);
		return rc == SQLITE_DONE
			   ? 0
			   : store_sql_fail(st, &spend, P_MESSAGE, rc);
	}
	rc = store_spend_add(st, (const char *)sqlite3_column_text(s, 0),
	    sqlite3_column_int64(s, 1), now);
	store_sql_done(s);
	return rc;
}

int
store_spend_add(
    struct store *st, const char *channel, int64_t segments, int64_t now)
{
	struct store_spend_add *a;
	size_t i, len;

	len = channel != NULL ? strlen(channel) : 0;
	/* The day's name, once a second. */
	if (now / 1000 != st->spend_sec || st->spend_day[0] == '\0') {
		store_local_day(now, st->spend_day);
		st->spend_sec = now / 1000;
	}
	for (i = 0; i < st->nspend; i++) {
		a = &st->spend[i];
		if (strcmp(a->channel, channel != NULL ? channel : "") == 0 &&
		    strcmp(a->day, st->spend_day) == 0) {
			a->segments += segments;
			return 0;
		}
	}
	/* No transaction, no room, or a name too long: written at once. */
	if (channel == NULL || len >= STORE_SPEND_NAME ||
	    st->nspend >= STORE_SPEND_ROWS || sqlite3_get_autocommit(st->db))
		return channel != NULL
			   ? spend_write(st, channel, st->spend_day, segments)
			   : 0;
	a = &st->spend[st->nspend++];
	st->spend_flush = spend_flush;
	memcpy(a->channel, channel, len + 1);
	memcpy(a->day, st->spend_day, STORE_DAY_LEN);
	a->segments = segments;
	return 0;
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
	size_t i;
	int rc;

	store_bind_text(s, 1, channel);
	store_bind_text(s, 2, day);
	if ((rc = one_int(st, P_SEGMENTS, segments)) != 0)
		return rc;
	/* And what this transaction added, not written yet. */
	for (i = 0; i < st->nspend; i++)
		if (strcmp(st->spend[i].channel, channel) == 0 &&
		    strcmp(st->spend[i].day, day) == 0)
			*segments += st->spend[i].segments;
	return 0;
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
