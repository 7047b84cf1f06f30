/*
 * store_pg_users.c: the console's users, their web sessions and the audit
 * log (store_users.c), report feedback (store_feedback.c), spend
 * (store_spend.c) and the channel log (store_chanlog.c) on PostgreSQL.
 *
 * Names sort byte by byte (COLLATE "C"), as SQLite sorts them, whatever
 * the database's collation. A user's name taken already is told as
 * STORE_EDUP by an insert that finds it and inserts nothing, not by a
 * failed one, which would end the caller's transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/store_check.h"
#include "gateway/store_pg.h"
#include "lib/util.h"

enum {
	U_INSERT,
	U_GET,
	U_EACH,
	U_COUNT_ROLE,
	U_SET_ROLE,
	U_SET_HASH,
	U_DELETE_SESSIONS,
	U_DELETE,
	U_TOUCH_LOGIN,
	W_INSERT,
	W_GET,
	W_TOUCH,
	W_DELETE,
	W_DELETE_USER,
	W_PURGE,
	A_INSERT,
	A_PAGE,
	F_ASK,
	F_GET,
	F_PENDING,
	F_ANSWER,
	F_COUNTS,
	P_SEGMENTS,
	P_PENDING,
	L_ADD,
	L_EACH,
	L_PURGE,
	U_NSQL
};

static const char *const users_sql[U_NSQL] = {
    /*
     * A name taken is seen first, so that it draws no id from the
     * sequence (SQLite's next id stays the same); ON CONFLICT covers
     * another connection's insert in between.
     */
    [U_INSERT] = "INSERT INTO users (name, role, hash, created, updated)"
		 " SELECT $1::text, $2::text, $3::text, $4::bigint, $4::bigint"
		 " WHERE NOT EXISTS (SELECT 1 FROM users WHERE name = $1::text)"
		 " ON CONFLICT (name) DO NOTHING RETURNING id",
    [U_GET] = "SELECT id, name, role, hash, created, updated, last_login"
	      " FROM users WHERE name = $1",
    [U_EACH] = "SELECT id, name, role, created, updated, last_login"
	       " FROM users ORDER BY name COLLATE \"C\"",
    [U_COUNT_ROLE] = "SELECT count(*) FROM users WHERE role = $1",
    [U_SET_ROLE] = "UPDATE users SET role = $2, updated = $3 WHERE name = $1",
    [U_SET_HASH] = "UPDATE users SET hash = $2, updated = $3 WHERE name = $1",
    [U_DELETE_SESSIONS] = "DELETE FROM web_sessions WHERE user_id ="
			  " (SELECT id FROM users WHERE name = $1)",
    [U_DELETE] = "DELETE FROM users WHERE name = $1",
    [U_TOUCH_LOGIN] = "UPDATE users SET last_login = $2 WHERE id = $1",
    [W_INSERT] = "INSERT INTO web_sessions"
		 " (id, user_id, csrf, created, last_seen, expires)"
		 " VALUES ($1, $2, $3, $4, $4, $5)",
    [W_GET] = "SELECT s.user_id, u.name, u.role, s.csrf, s.created,"
	      " s.last_seen, s.expires FROM web_sessions s"
	      " JOIN users u ON u.id = s.user_id"
	      " WHERE s.id = $1 AND s.expires > $2",
    [W_TOUCH] = "UPDATE web_sessions SET last_seen = $2, expires = $3"
		" WHERE id = $1",
    [W_DELETE] = "DELETE FROM web_sessions WHERE id = $1",
    [W_DELETE_USER] = "DELETE FROM web_sessions WHERE user_id = $1",
    [W_PURGE] = "DELETE FROM web_sessions WHERE expires <= $1",
    [A_INSERT] = "INSERT INTO audit (time, \"user\", action, object, detail)"
		 " VALUES ($1, $2, $3, $4, $5)",
    [A_PAGE] = "SELECT id, time, \"user\", action, object, detail FROM audit"
	       " WHERE id < $1 ORDER BY id DESC LIMIT $2",
    [F_ASK] = "UPDATE reports SET feedback_asked = $2"
	      " WHERE id = $1 AND feedback_asked IS NULL",
    [F_GET] = "SELECT feedback_asked, feedback, feedback_at FROM reports"
	      " WHERE id = $1",
    [F_PENDING] = "SELECT id, feedback_asked FROM reports"
		  " WHERE contact_id = $1 AND feedback_asked > $2"
		  " AND feedback IS NULL"
		  " ORDER BY feedback_asked DESC, id DESC LIMIT 1",
    [F_ANSWER] = "UPDATE reports SET feedback = $2, feedback_at = $3"
		 " WHERE id = $1 AND feedback_asked IS NOT NULL"
		 " AND feedback IS NULL",
    [F_COUNTS] = "SELECT feedback, count(*) FROM reports"
		 " WHERE feedback IS NOT NULL GROUP BY feedback",
    /* Every node's row of the day. */
    [P_SEGMENTS] = "SELECT coalesce(sum(segments), 0) FROM spend"
		   " WHERE channel = $1 AND day = $2",
    [P_PENDING] = "SELECT coalesce(sum(segments), 0) FROM messages"
		  " WHERE state IN ('queued', 'sending') AND channel = $1"
		  " AND next_attempt >= $2 AND next_attempt < $3",
    [L_ADD] = "INSERT INTO channel_log (time, channel, message_id, status,"
	      " ms, request, error, answer)"
	      " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    [L_EACH] = "SELECT id, time, channel, message_id, status, ms, request,"
	       " error, answer FROM channel_log WHERE message_id = $1"
	       " ORDER BY id",
    /* The old rows are the first ones: the scan stops at the first kept. */
    [L_PURGE] = "DELETE FROM channel_log WHERE id < least(coalesce("
		"(SELECT id FROM channel_log WHERE time >= $1"
		" ORDER BY id LIMIT 1),"
		" (SELECT max(id) + 1 FROM channel_log)),"
		" (SELECT coalesce(min(id), 0) FROM channel_log) + $2)",
};

_Static_assert(U_NSQL <= PGS_PART_MAX, "too many statements");

static const struct pgs_sql users = {PGS_PART_USERS, users_sql, U_NSQL};

static int64_t
time_or_none(const PGresult *r, int row, int col)
{
	return pgs_isnull(r, row, col) ? -1 : pgs_get_int(r, row, col);
}

static void
copy(const PGresult *r, int col, char *out, size_t len)
{
	snprintf(out, len, "%s", PQgetvalue(r, 0, col));
}

/* A text column as a borrowed string, NULL for NULL. */
static const char *
text_of(const PGresult *r, int row, int col)
{
	return pgs_isnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

/* Runs statement i; the rows it changed, or STORE_ERR. */
static int64_t
changes(struct store *st, int i, const struct pgs_params *p)
{
	int64_t n = 0;

	if (pgs_exec(st, &users, i, p, &n) != 0)
		return STORE_ERR;
	return n;
}

/* An UPDATE or DELETE of one row: 0, STORE_NOTFOUND or STORE_ERR. */
static int
exec_one(struct store *st, int i, const struct pgs_params *p)
{
	int64_t n = changes(st, i, p);

	if (n < 0)
		return STORE_ERR;
	return n > 0 ? 0 : STORE_NOTFOUND;
}

/* One integer, 0 when there is no row. */
static int
one_int(struct store *st, int i, const struct pgs_params *p, int64_t *out)
{
	PGresult *r = pgs_run(st, &users, i, p);

	*out = 0;
	if (r == NULL)
		return STORE_ERR;
	if (PQntuples(r) > 0)
		*out = pgs_get_int(r, 0, 0);
	PQclear(r);
	return 0;
}

/*
 * Users
 */

int
pgs_user_insert(struct store *st, const char *name, const char *role,
    const char *hash, int64_t now, int64_t *id)
{
	struct pgs_params p;
	PGresult *r;
	int rc = STORE_EDUP;

	if (!store_valid_text(name, STORE_NAME_MAX) ||
	    !store_valid_role(role) || !store_valid_text(hash, STORE_VALUE_MAX))
		return STORE_EINVAL;
	pgs_p_init(&p);
	pgs_p_text(&p, name);
	pgs_p_text(&p, role);
	pgs_p_text(&p, hash);
	pgs_p_int(&p, now);
	if ((r = pgs_run(st, &users, U_INSERT, &p)) == NULL)
		return STORE_ERR;
	if (PQntuples(r) > 0) {
		if (id != NULL)
			*id = pgs_get_int(r, 0, 0);
		rc = 0;
	}
	PQclear(r);
	return rc;
}

int
pgs_user_get(struct store *st, const char *name, struct store_user *out)
{
	struct pgs_params p;
	PGresult *r;
	int rc = STORE_NOTFOUND;

	memset(out, 0, sizeof(*out));
	pgs_p_init(&p);
	pgs_p_text(&p, name);
	if ((r = pgs_run(st, &users, U_GET, &p)) == NULL)
		return STORE_ERR;
	if (PQntuples(r) > 0) {
		out->id = pgs_get_int(r, 0, 0);
		out->name = pgs_get_dup(r, 0, 1);
		out->role = pgs_get_dup(r, 0, 2);
		out->hash = pgs_get_dup(r, 0, 3);
		out->created = pgs_get_int(r, 0, 4);
		out->updated = pgs_get_int(r, 0, 5);
		out->last_login = time_or_none(r, 0, 6);
		rc = 0;
	}
	PQclear(r);
	return rc;
}

int
pgs_user_each(struct store *st, store_user_cb cb, void *arg)
{
	PGresult *r = pgs_run(st, &users, U_EACH, NULL);
	struct store_user u;
	int i;

	if (r == NULL)
		return STORE_ERR;
	for (i = 0; i < PQntuples(r); i++) {
		memset(&u, 0, sizeof(u));
		u.id = pgs_get_int(r, i, 0);
		u.name = PQgetvalue(r, i, 1);
		u.role = PQgetvalue(r, i, 2);
		u.created = pgs_get_int(r, i, 3);
		u.updated = pgs_get_int(r, i, 4);
		u.last_login = time_or_none(r, i, 5);
		if (cb(arg, &u) != 0)
			break;
	}
	PQclear(r);
	return 0;
}

int
pgs_user_count_role(struct store *st, const char *role, int64_t *n)
{
	struct pgs_params p;

	pgs_p_init(&p);
	pgs_p_text(&p, role);
	return one_int(st, U_COUNT_ROLE, &p, n);
}

/* The parameters of an update of user name to value at now. */
static void
p_set(struct pgs_params *p, const char *name, const char *value, int64_t now)
{
	pgs_p_init(p);
	pgs_p_text(p, name);
	pgs_p_text(p, value);
	pgs_p_int(p, now);
}

int
pgs_user_set_role(
    struct store *st, const char *name, const char *role, int64_t now)
{
	struct pgs_params p;

	if (!store_valid_role(role))
		return STORE_EINVAL;
	p_set(&p, name, role, now);
	return exec_one(st, U_SET_ROLE, &p);
}

int
pgs_user_set_hash(
    struct store *st, const char *name, const char *hash, int64_t now)
{
	struct pgs_params p;

	if (!store_valid_text(hash, STORE_VALUE_MAX))
		return STORE_EINVAL;
	p_set(&p, name, hash, now);
	return exec_one(st, U_SET_HASH, &p);
}

int
pgs_user_delete(struct store *st, const char *name)
{
	struct pgs_params p;

	pgs_p_init(&p);
	pgs_p_text(&p, name);
	if (pgs_exec(st, &users, U_DELETE_SESSIONS, &p, NULL) != 0)
		return STORE_ERR;
	return exec_one(st, U_DELETE, &p);
}

int
pgs_user_touch_login(struct store *st, int64_t id, int64_t now)
{
	struct pgs_params p;

	pgs_p_init(&p);
	pgs_p_int(&p, id);
	pgs_p_int(&p, now);
	return pgs_exec(st, &users, U_TOUCH_LOGIN, &p, NULL);
}

/*
 * Web sessions
 */

int
pgs_web_session_insert(struct store *st,
    const unsigned char id[STORE_WEB_SESSION_ID], int64_t user_id,
    const char *csrf, int64_t now, int64_t expires)
{
	struct pgs_params p;
	int rc;

	if (!store_valid_text(csrf, STORE_CSRF_MAX - 1))
		return STORE_EINVAL;
	pgs_p_init(&p);
	pgs_p_bytes(&p, id, STORE_WEB_SESSION_ID);
	pgs_p_int(&p, user_id);
	pgs_p_text(&p, csrf);
	pgs_p_int(&p, now);
	pgs_p_int(&p, expires);
	/*
	 * A user deleted meanwhile fails the foreign key: STORE_ERR, as on
	 * SQLite, but the batch's transaction around it goes on there too.
	 */
	if (pgs_guard(st) != 0)
		return STORE_ERR;
	rc = pgs_exec(st, &users, W_INSERT, &p, NULL);
	if (pgs_unguard(st, rc == 0) != 0)
		return STORE_ERR;
	return rc;
}

int
pgs_web_session_get(struct store *st,
    const unsigned char id[STORE_WEB_SESSION_ID], int64_t now,
    struct store_web_session *out)
{
	struct pgs_params p;
	PGresult *r;
	int rc = STORE_NOTFOUND;

	memset(out, 0, sizeof(*out));
	pgs_p_init(&p);
	pgs_p_bytes(&p, id, STORE_WEB_SESSION_ID);
	pgs_p_int(&p, now);
	if ((r = pgs_run(st, &users, W_GET, &p)) == NULL)
		return STORE_ERR;
	if (PQntuples(r) > 0) {
		out->user_id = pgs_get_int(r, 0, 0);
		copy(r, 1, out->user, sizeof(out->user));
		copy(r, 2, out->role, sizeof(out->role));
		copy(r, 3, out->csrf, sizeof(out->csrf));
		out->created = pgs_get_int(r, 0, 4);
		out->last_seen = pgs_get_int(r, 0, 5);
		out->expires = pgs_get_int(r, 0, 6);
		rc = 0;
	}
	PQclear(r);
	return rc;
}

int
pgs_web_session_touch(struct store *st,
    const unsigned char id[STORE_WEB_SESSION_ID], int64_t now, int64_t expires)
{
	struct pgs_params p;

	pgs_p_init(&p);
	pgs_p_bytes(&p, id, STORE_WEB_SESSION_ID);
	pgs_p_int(&p, now);
	pgs_p_int(&p, expires);
	return pgs_exec(st, &users, W_TOUCH, &p, NULL);
}

int
pgs_web_session_delete(
    struct store *st, const unsigned char id[STORE_WEB_SESSION_ID])
{
	struct pgs_params p;

	pgs_p_init(&p);
	pgs_p_bytes(&p, id, STORE_WEB_SESSION_ID);
	return pgs_exec(st, &users, W_DELETE, &p, NULL);
}

int64_t
pgs_web_session_delete_user(struct store *st, int64_t user_id)
{
	struct pgs_params p;

	pgs_p_init(&p);
	pgs_p_int(&p, user_id);
	return changes(st, W_DELETE_USER, &p);
}

int64_t
pgs_web_session_purge(struct store *st, int64_t now)
{
	struct pgs_params p;

	pgs_p_init(&p);
	pgs_p_int(&p, now);
	return changes(st, W_PURGE, &p);
}

/*
 * The audit log
 */

int
pgs_audit_insert(struct store *st, int64_t time, const char *user,
    const char *action, const char *object, const char *detail)
{
	struct pgs_params p;

	if (!store_valid_text(user, STORE_NAME_MAX) ||
	    !store_valid_text(action, STORE_NAME_MAX) ||
	    store_too_long(object, STORE_TEXT_MAX) ||
	    store_too_long(detail, STORE_TEXT_MAX))
		return STORE_EINVAL;
	pgs_p_init(&p);
	pgs_p_int(&p, time);
	pgs_p_text(&p, user);
	pgs_p_text(&p, action);
	pgs_p_text(&p, object);
	pgs_p_text(&p, detail);
	return pgs_exec(st, &users, A_INSERT, &p, NULL);
}

int
pgs_audit_page(struct store *st, int64_t before, size_t limit,
    store_audit_cb cb, void *arg)
{
	struct store_audit a;
	struct pgs_params p;
	PGresult *r;
	int i;

	pgs_p_init(&p);
	pgs_p_int(&p, before > 0 ? before : INT64_MAX);
	/* SQLite reads a limit past INT64_MAX as -1, no limit: LIMIT NULL. */
	if (limit > (size_t)INT64_MAX)
		pgs_p_text(&p, NULL);
	else
		pgs_p_int(&p, (int64_t)limit);
	if ((r = pgs_run(st, &users, A_PAGE, &p)) == NULL)
		return STORE_ERR;
	for (i = 0; i < PQntuples(r); i++) {
		a.id = pgs_get_int(r, i, 0);
		a.time = pgs_get_int(r, i, 1);
		a.user = text_of(r, i, 2) ? text_of(r, i, 2) : "-";
		a.action = text_of(r, i, 3) ? text_of(r, i, 3) : "";
		a.object = text_of(r, i, 4);
		a.detail = text_of(r, i, 5);
		if (cb(arg, &a) != 0)
			break;
	}
	PQclear(r);
	return 0;
}

/*
 * Report feedback
 */

/* The parameters id, then v. */
static void
p_id_int(struct pgs_params *p, int64_t id, int64_t v)
{
	pgs_p_init(p);
	pgs_p_int(p, id);
	pgs_p_int(p, v);
}

int
pgs_feedback_ask(struct store *st, int64_t id, int64_t now)
{
	struct pgs_params p;

	p_id_int(&p, id, now);
	return exec_one(st, F_ASK, &p);
}

int
pgs_feedback_get(struct store *st, int64_t id, struct store_feedback *out)
{
	struct pgs_params p;
	PGresult *r;
	int rc = STORE_NOTFOUND;

	out->asked = out->answered = -1;
	out->answer[0] = '\0';
	pgs_p_init(&p);
	pgs_p_int(&p, id);
	if ((r = pgs_run(st, &users, F_GET, &p)) == NULL)
		return STORE_ERR;
	if (PQntuples(r) > 0) {
		out->asked = time_or_none(r, 0, 0);
		if (!pgs_isnull(r, 0, 1))
			copy(r, 1, out->answer, sizeof(out->answer));
		out->answered = time_or_none(r, 0, 2);
		rc = 0;
	}
	PQclear(r);
	return rc;
}

int
pgs_feedback_pending(struct store *st, int64_t contact_id, int64_t since,
    int64_t *id, int64_t *asked)
{
	struct pgs_params p;
	PGresult *r;
	int rc = STORE_NOTFOUND;

	p_id_int(&p, contact_id, since);
	if ((r = pgs_run(st, &users, F_PENDING, &p)) == NULL)
		return STORE_ERR;
	if (PQntuples(r) > 0) {
		*id = pgs_get_int(r, 0, 0);
		*asked = pgs_get_int(r, 0, 1);
		rc = 0;
	}
	PQclear(r);
	return rc;
}

int
pgs_feedback_answer(struct store *st, int64_t id, int yes, int64_t now)
{
	struct pgs_params p;

	pgs_p_init(&p);
	pgs_p_int(&p, id);
	pgs_p_text(&p, yes ? "yes" : "no");
	pgs_p_int(&p, now);
	return exec_one(st, F_ANSWER, &p);
}

int
pgs_feedback_counts(struct store *st, int64_t *yes, int64_t *no)
{
	PGresult *r = pgs_run(st, &users, F_COUNTS, NULL);
	int i;

	*yes = *no = 0;
	if (r == NULL)
		return STORE_ERR;
	for (i = 0; i < PQntuples(r); i++) {
		if (strcmp(PQgetvalue(r, i, 0), "yes") == 0)
			*yes = pgs_get_int(r, i, 1);
		else if (strcmp(PQgetvalue(r, i, 0), "no") == 0)
			*no = pgs_get_int(r, i, 1);
	}
	PQclear(r);
	return 0;
}

/*
 * Spend
 */

int
pgs_spend_segments(
    struct store *st, const char *channel, const char *day, int64_t *segments)
{
	struct pgs_params p;

	pgs_p_init(&p);
	pgs_p_text(&p, channel);
	pgs_p_text(&p, day);
	return one_int(st, P_SEGMENTS, &p, segments);
}

int
pgs_spend_pending(struct store *st, const char *channel, int64_t from,
    int64_t until, int64_t *segments)
{
	struct pgs_params p;

	pgs_p_init(&p);
	pgs_p_text(&p, channel);
	pgs_p_int(&p, from);
	pgs_p_int(&p, until);
	return one_int(st, P_PENDING, &p, segments);
}

/*
 * The channel log
 */

int
pgs_chanlog_add(struct store *st, const struct store_chanlog *e)
{
	struct pgs_params p;

	if (e->channel == NULL ||
	    store_too_long(e->request, STORE_CHANLOG_REQUEST) ||
	    store_too_long(e->error, STORE_CHANLOG_ANSWER) ||
	    store_too_long(e->answer, STORE_CHANLOG_ANSWER))
		return STORE_EINVAL;
	pgs_p_init(&p);
	pgs_p_int(&p, e->time);
	pgs_p_text(&p, e->channel);
	if (e->message_id > 0)
		pgs_p_int(&p, e->message_id);
	else
		pgs_p_text(&p, NULL);
	pgs_p_int(&p, e->status);
	pgs_p_int(&p, e->ms);
	pgs_p_text(&p, e->request);
	pgs_p_text(&p, e->error);
	pgs_p_text(&p, e->answer);
	return pgs_exec(st, &users, L_ADD, &p, NULL);
}

int
pgs_chanlog_each(
    struct store *st, int64_t message_id, store_chanlog_cb cb, void *arg)
{
	struct store_chanlog e;
	struct pgs_params p;
	PGresult *r;
	int i;

	pgs_p_init(&p);
	pgs_p_int(&p, message_id);
	if ((r = pgs_run(st, &users, L_EACH, &p)) == NULL)
		return STORE_ERR;
	for (i = 0; i < PQntuples(r); i++) {
		e.id = pgs_get_int(r, i, 0);
		e.time = pgs_get_int(r, i, 1);
		e.channel = PQgetvalue(r, i, 2);
		e.message_id = pgs_get_int(r, i, 3);
		e.status = (int)pgs_get_int(r, i, 4);
		e.ms = pgs_get_int(r, i, 5);
		e.request = text_of(r, i, 6);
		e.error = text_of(r, i, 7);
		e.answer = text_of(r, i, 8);
		if (cb(arg, &e) != 0)
			break;
	}
	PQclear(r);
	return 0;
}

int64_t
pgs_chanlog_purge(struct store *st, int64_t before, int64_t max)
{
	struct pgs_params p;

	pgs_p_init(&p);
	pgs_p_int(&p, before);
	pgs_p_int(&p, max);
	return changes(st, L_PURGE, &p);
}
