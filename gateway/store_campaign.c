/*
 * store_campaign.c: campaigns keyed to dates (council/campaign.c): the
 * rows of a data table that fall due, the marks that make each (campaign,
 * row key, offset, date) go out once, ever, and each campaign's last run.
 *
 * A table's rows are JSON objects (store.c, data_rows); a column is read
 * with json_each rather than a JSON path, since a column name may hold
 * characters a path cannot express (as store_lookup does).
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/store_int.h"
#include "lib/util.h"

enum {
	K_COLUMNS,
	K_DUE,
	K_DATES,
	K_MARK,
	K_SENT,
	K_BAD_DATES,
	K_LAST_RUN,
	K_SET_LAST_RUN,
	K_COUNT
};

/* A YYYY-MM-DD shape; the caller checks the calendar. */
#define DATE_GLOB "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'"

/* Rows of q's table not marked sent for (campaign ?4, offset ?5). */
#define NOT_SENT                                            \
	" AND NOT EXISTS (SELECT 1 FROM campaign_sent AS s" \
	" WHERE s.campaign = ?4 AND s.row_key = r.key"      \
	" AND s.offset_days = ?5 AND s.date = e.value)"

static const char *const campaign_sql[K_COUNT] = {
    [K_COLUMNS] = "SELECT e.value FROM data_tables AS t,"
		  " json_each(t.columns) AS e WHERE t.name = ?1"
		  " ORDER BY e.id",
    [K_DUE] = "SELECT r.key, r.row, e.value FROM data_rows AS r,"
	      " json_each(r.row) AS e"
	      " WHERE r.table_name = ?1 AND e.key = ?2"
	      " AND e.value IN (SELECT value FROM json_each(?3))" NOT_SENT
	      " ORDER BY r.rowid",
    [K_DATES] = "SELECT e.value, count(*) FROM data_rows AS r,"
		" json_each(r.row) AS e"
		" WHERE r.table_name = ?1 AND e.key = ?2 AND e.value >= ?3"
		" AND e.value GLOB " DATE_GLOB NOT_SENT
		" GROUP BY e.value ORDER BY e.value",
    [K_MARK] = "INSERT INTO campaign_sent (campaign, row_key, offset_days,"
	       " date, message_id, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
	       " ON CONFLICT DO NOTHING",
    [K_SENT] = "SELECT count(*) FROM campaign_sent WHERE campaign = ?1",
    [K_BAD_DATES] = "SELECT count(*) FROM data_rows AS r"
		    " WHERE r.table_name = ?1 AND NOT EXISTS (SELECT 1"
		    " FROM json_each(r.row) AS e WHERE e.key = ?2"
		    " AND e.type = 'text' AND e.value GLOB " DATE_GLOB ")",
    [K_LAST_RUN] = "SELECT last_run FROM campaign_runs WHERE campaign = ?1",
    [K_SET_LAST_RUN] = "INSERT INTO campaign_runs (campaign, last_run)"
		       " VALUES (?1, ?2) ON CONFLICT (campaign)"
		       " DO UPDATE SET last_run = excluded.last_run",
};

_Static_assert(K_COUNT <= STORE_PART_MAX, "too many statements");

static const struct store_sql campaign = {
    STORE_PART_CAMPAIGN, campaign_sql, K_COUNT};

/* Statement i, ready to bind. */
static sqlite3_stmt *
stmt(struct store *st, int i)
{
	return store_sql(st, &campaign, i);
}

/* Steps statement i (bound) for one integer; 0 or STORE_ERR. */
static int
count_of(struct store *st, int i, int64_t *n)
{
	sqlite3_stmt *s = stmt(st, i);
	int rc = sqlite3_step(s);

	*n = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	store_sql_done(s);
	if (rc != SQLITE_ROW)
		return store_sql_fail(st, &campaign, i, rc);
	return 0;
}

int
sq_campaign_columns(
    struct store *st, const char *table, store_name_cb cb, void *arg)
{
	sqlite3_stmt *s = stmt(st, K_COLUMNS);
	int rc, any = 0;

	store_bind_text(s, 1, table);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 0);

		any = 1;
		if (name != NULL && cb != NULL && cb(arg, name) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	store_sql_done(s);
	if (rc != SQLITE_DONE)
		return store_sql_fail(st, &campaign, K_COLUMNS, rc);
	return any ? 0 : STORE_ENOTABLE;
}

/* Binds the query's ?1, ?2, ?4 and ?5. */
static void
bind_query(sqlite3_stmt *s, const struct store_campaign_query *q)
{
	store_bind_text(s, 1, q->table);
	store_bind_text(s, 2, q->date_column);
	store_bind_text(s, 4, q->campaign);
	sqlite3_bind_int(s, 5, q->offset_days);
}

int
sq_campaign_due(struct store *st, const struct store_campaign_query *q,
    const char *dates, store_campaign_row_cb cb, void *arg)
{
	sqlite3_stmt *s = stmt(st, K_DUE);
	struct store_campaign_row r;
	int rc;

	bind_query(s, q);
	store_bind_text(s, 3, dates);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		r.key = (const char *)sqlite3_column_text(s, 0);
		r.row = (const char *)sqlite3_column_text(s, 1);
		r.date = (const char *)sqlite3_column_text(s, 2);
		if (r.key == NULL || r.row == NULL || r.date == NULL)
			continue;
		if (cb(arg, &r) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	store_sql_done(s);
	if (rc != SQLITE_DONE)
		return store_sql_fail(st, &campaign, K_DUE, rc);
	return 0;
}

int
sq_campaign_dates(struct store *st, const struct store_campaign_query *q,
    const char *from, store_count_cb cb, void *arg)
{
	sqlite3_stmt *s = stmt(st, K_DATES);
	int rc;

	bind_query(s, q);
	store_bind_text(s, 3, from);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *date = (const char *)sqlite3_column_text(s, 0);

		if (date != NULL &&
		    cb(arg, date, sqlite3_column_int64(s, 1)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	store_sql_done(s);
	if (rc != SQLITE_DONE)
		return store_sql_fail(st, &campaign, K_DATES, rc);
	return 0;
}

int
sq_campaign_mark(struct store *st, const char *name, const char *row_key,
    int offset_days, const char *date, int64_t message_id, int64_t now)
{
	sqlite3_stmt *s = stmt(st, K_MARK);
	int rc;

	store_bind_text(s, 1, name);
	store_bind_text(s, 2, row_key);
	sqlite3_bind_int(s, 3, offset_days);
	store_bind_text(s, 4, date);
	if (message_id > 0)
		sqlite3_bind_int64(s, 5, message_id);
	sqlite3_bind_int64(s, 6, now);
	rc = sqlite3_step(s);
	store_sql_done(s);
	if (rc != SQLITE_DONE)
		return store_sql_fail(st, &campaign, K_MARK, rc);
	return sqlite3_changes(st->db) == 1 ? 0 : STORE_EDUP;
}

int
sq_campaign_sent(struct store *st, const char *name, int64_t *n)
{
	store_bind_text(stmt(st, K_SENT), 1, name);
	return count_of(st, K_SENT, n);
}

int
sq_campaign_bad_dates(
    struct store *st, const char *table, const char *date_column, int64_t *n)
{
	sqlite3_stmt *s = stmt(st, K_BAD_DATES);

	store_bind_text(s, 1, table);
	store_bind_text(s, 2, date_column);
	return count_of(st, K_BAD_DATES, n);
}

int
sq_campaign_last_run(struct store *st, const char *name, int64_t *ms)
{
	sqlite3_stmt *s = stmt(st, K_LAST_RUN);
	int rc;

	store_bind_text(s, 1, name);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*ms = sqlite3_column_int64(s, 0);
	store_sql_done(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	return store_sql_fail(st, &campaign, K_LAST_RUN, rc);
}

int
sq_campaign_set_last_run(struct store *st, const char *name, int64_t ms)
{
	sqlite3_stmt *s = stmt(st, K_SET_LAST_RUN);

	store_bind_text(s, 1, name);
	sqlite3_bind_int64(s, 2, ms);
	return store_sql_exec(st, &campaign, K_SET_LAST_RUN);
}
