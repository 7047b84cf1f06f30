/*
 * store_feedback.c: report feedback, the question a reporter gets once
 * their report is resolved and the answer, kept in the report's row
 * (feedback_asked, feedback, feedback_at; schema version 8).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/store_int.h"
#include "lib/util.h"

enum { F_ASK, F_GET, F_PENDING, F_ANSWER, F_COUNTS, F_COUNT };

static const char *const feedback_sql[F_COUNT] = {
    [F_ASK] = "UPDATE reports SET feedback_asked = ?2"
	      " WHERE id = ?1 AND feedback_asked IS NULL",
    [F_GET] = "SELECT feedback_asked, feedback, feedback_at FROM reports"
	      " WHERE id = ?1",
    /* reports_feedback_pending holds only the reports asked, unanswered. */
    [F_PENDING] = "SELECT id, feedback_asked FROM reports"
		  " WHERE contact_id = ?1 AND feedback_asked > ?2"
		  " AND feedback_asked IS NOT NULL AND feedback IS NULL"
		  " ORDER BY feedback_asked DESC, id DESC LIMIT 1",
    [F_ANSWER] = "UPDATE reports SET feedback = ?2, feedback_at = ?3"
		 " WHERE id = ?1 AND feedback_asked IS NOT NULL"
		 " AND feedback IS NULL",
    /* reports_feedback holds only the reports answered. */
    [F_COUNTS] = "SELECT feedback, count(*) FROM reports"
		 " WHERE feedback IS NOT NULL GROUP BY feedback",
};

_Static_assert(F_COUNT <= STORE_PART_MAX, "too many statements");

static const struct store_sql feedback = {
    STORE_PART_FEEDBACK, feedback_sql, F_COUNT};

/* Statement i, ready to bind. */
static sqlite3_stmt *
stmt(struct store *st, int i)
{
	return store_sql(st, &feedback, i);
}

/* A time column: -1 for SQL NULL. */
static int64_t
time_or_none(sqlite3_stmt *s, int col)
{
	if (sqlite3_column_type(s, col) == SQLITE_NULL)
		return -1;
	return sqlite3_column_int64(s, col);
}

/* Runs the update i (bound already): 0, STORE_NOTFOUND when no row. */
static int
update(struct store *st, int i)
{
	if (store_sql_exec(st, &feedback, i) != 0)
		return STORE_ERR;
	return sqlite3_changes(st->db) > 0 ? 0 : STORE_NOTFOUND;
}

int
sq_feedback_ask(struct store *st, int64_t id, int64_t now)
{
	sqlite3_stmt *s = stmt(st, F_ASK);

	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	return update(st, F_ASK);
}

int
sq_feedback_get(struct store *st, int64_t id, struct store_feedback *out)
{
	sqlite3_stmt *s = stmt(st, F_GET);
	const unsigned char *a;
	int rc;

	out->asked = out->answered = -1;
	out->answer[0] = '\0';
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->asked = time_or_none(s, 0);
		if ((a = sqlite3_column_text(s, 1)) != NULL)
			snprintf(out->answer, sizeof(out->answer), "%s",
			    (const char *)a);
		out->answered = time_or_none(s, 2);
	}
	store_sql_done(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	return store_sql_fail(st, &feedback, F_GET, rc);
}

int
sq_feedback_pending(struct store *st, int64_t contact_id, int64_t since,
    int64_t *id, int64_t *asked)
{
	sqlite3_stmt *s = stmt(st, F_PENDING);
	int rc;

	sqlite3_bind_int64(s, 1, contact_id);
	sqlite3_bind_int64(s, 2, since);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		*asked = sqlite3_column_int64(s, 1);
	}
	store_sql_done(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	return store_sql_fail(st, &feedback, F_PENDING, rc);
}

int
sq_feedback_answer(struct store *st, int64_t id, int yes, int64_t now)
{
	sqlite3_stmt *s = stmt(st, F_ANSWER);

	sqlite3_bind_int64(s, 1, id);
	store_bind_text(s, 2, yes ? "yes" : "no");
	sqlite3_bind_int64(s, 3, now);
	return update(st, F_ANSWER);
}

int
sq_feedback_counts(struct store *st, int64_t *yes, int64_t *no)
{
	sqlite3_stmt *s = stmt(st, F_COUNTS);
	const unsigned char *a;
	int rc;

	*yes = *no = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		a = sqlite3_column_text(s, 0);
		if (a != NULL && strcmp((const char *)a, "yes") == 0)
			*yes = sqlite3_column_int64(s, 1);
		else if (a != NULL && strcmp((const char *)a, "no") == 0)
			*no = sqlite3_column_int64(s, 1);
	}
	store_sql_done(s);
	if (rc != SQLITE_DONE)
		return store_sql_fail(st, &feedback, F_COUNTS, rc);
	return 0;
}
