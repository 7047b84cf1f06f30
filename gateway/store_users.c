/*
 * store_users.c: the staff console's users, their web sessions (keyed by
 * the SHA-256 of the cookie's value) and the audit log of every write
 * through the API. The council hashes passwords and decides who may do
 * what (council/users.c, gateway/auth.c); this file only keeps the rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/store_check.h"
#include "gateway/store_int.h"
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
	U_NSQL
};

static const char *const users_sql[U_NSQL] = {
    [U_INSERT] = "INSERT INTO users (name, role, hash, created, updated)"
		 " VALUES (?1, ?2, ?3, ?4, ?4)",
    [U_GET] = "SELECT id, name, role, hash, created, updated, last_login"
	      " FROM users WHERE name = ?1",
    [U_EACH] = "SELECT id, name, role, created, updated, last_login"
	       " FROM users ORDER BY name",
    [U_COUNT_ROLE] = "SELECT count(*) FROM users WHERE role = ?1",
    [U_SET_ROLE] = "UPDATE users SET role = ?2, updated = ?3 WHERE name = ?1",
    [U_SET_HASH] = "UPDATE users SET hash = ?2, updated = ?3 WHERE name = ?1",
    [U_DELETE_SESSIONS] = "DELETE FROM web_sessions WHERE user_id ="
			  " (SELECT id FROM users WHERE name = ?1)",
    [U_DELETE] = "DELETE FROM users WHERE name = ?1",
    [U_TOUCH_LOGIN] = "UPDATE users SET last_login = ?2 WHERE id = ?1",
    [W_INSERT] = "INSERT INTO web_sessions"
		 " (id, user_id, csrf, created, last_seen, expires)"
		 " VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
    [W_GET] = "SELECT s.user_id, u.name, u.role, s.csrf, s.created,"
	      " s.last_seen, s.expires FROM web_sessions s"
	      " JOIN users u ON u.id = s.user_id"
	      " WHERE s.id = ?1 AND s.expires > ?2",
    [W_TOUCH] = "UPDATE web_sessions SET last_seen = ?2, expires = ?3"
		" WHERE id = ?1",
    [W_DELETE] = "DELETE FROM web_sessions WHERE id = ?1",
    [W_DELETE_USER] = "DELETE FROM web_sessions WHERE user_id = ?1",
    [W_PURGE] = "DELETE FROM web_sessions WHERE expires <= ?1",
    [A_INSERT] = "INSERT INTO audit (time, user, action, object, detail)"
		 " VALUES (?1, ?2, ?3, ?4, ?5)",
    [A_PAGE] = "SELECT id, time, user, action, object, detail FROM audit"
	       " WHERE id < ?1 ORDER BY id DESC LIMIT ?2",
};

_Static_assert(U_NSQL <= STORE_PART_MAX, "too many statements");

static const struct store_sql users = {STORE_PART_USERS, users_sql, U_NSQL};

/* Statement i, ready to bind. */
static sqlite3_stmt *
stmt(struct store *st, int i)
{
	return store_sql(st, &users, i);
}

/* Copies a text column into a fixed buffer, cut to fit. */
static void
column_copy(sqlite3_stmt *s, int col, char *out, size_t outlen)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	snprintf(out, outlen, "%s", t != NULL ? (const char *)t : "");
}

/* A time column: -1 for SQL NULL. */
static int64_t
time_or_none(sqlite3_stmt *s, int col)
{
	if (sqlite3_column_type(s, col) == SQLITE_NULL)
		return -1;
	return sqlite3_column_int64(s, col);
}

/* Runs statement i (bound) and answers STORE_NOTFOUND when it changed no
 * row. */
static int
exec_one(struct store *st, int i)
{
	if (store_sql_exec(st, &users, i) != 0)
		return STORE_ERR;
	return sqlite3_changes64(st->db) > 0 ? 0 : STORE_NOTFOUND;
}

int
sq_user_insert(struct store *st, const char *name, const char *role,
    const char *hash, int64_t now, int64_t *id)
{
	sqlite3_stmt *s;
	int rc;

	if (!store_valid_text(name, STORE_NAME_MAX) ||
	    !store_valid_role(role) || !store_valid_text(hash, STORE_VALUE_MAX))
		return STORE_EINVAL;
	s = stmt(st, U_INSERT);
	store_bind_text(s, 1, name);
	store_bind_text(s, 2, role);
	store_bind_text(s, 3, hash);
	sqlite3_bind_int64(s, 4, now);
	rc = sqlite3_step(s);
	store_sql_done(s);
	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		return STORE_EDUP;
	if (rc != SQLITE_DONE)
		return store_sql_fail(st, &users, U_INSERT, rc);
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
sq_user_get(struct store *st, const char *name, struct store_user *out)
{
	sqlite3_stmt *s = stmt(st, U_GET);
	int rc;

	memset(out, 0, sizeof(*out));
	store_bind_text(s, 1, name);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(s, 0);
		out->name = store_column_dup(s, 1);
		out->role = store_column_dup(s, 2);
		out->hash = store_column_dup(s, 3);
		out->created = sqlite3_column_int64(s, 4);
		out->updated = sqlite3_column_int64(s, 5);
		out->last_login = time_or_none(s, 6);
	}
	store_sql_done(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	return store_sql_fail(st, &users, U_GET, rc);
}

void
store_user_free(struct store_user *u)
{
	if (u == NULL)
		return;
	free(u->name);
	free(u->role);
	free(u->hash);
	memset(u, 0, sizeof(*u));
}

int
sq_user_each(struct store *st, store_user_cb cb, void *arg)
{
	sqlite3_stmt *s = stmt(st, U_EACH);
	struct store_user u;
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&u, 0, sizeof(u));
		u.id = sqlite3_column_int64(s, 0);
		u.name = (char *)sqlite3_column_text(s, 1);
		u.role = (char *)sqlite3_column_text(s, 2);
		u.created = sqlite3_column_int64(s, 3);
		u.updated = sqlite3_column_int64(s, 4);
		u.last_login = time_or_none(s, 5);
		if (cb(arg, &u) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	store_sql_done(s);
	if (rc != SQLITE_DONE)
		return store_sql_fail(st, &users, U_EACH, rc);
	return 0;
}

int
sq_user_count_role(struct store *st, const char *role, int64_t *n)
{
	sqlite3_stmt *s = stmt(st, U_COUNT_ROLE);
	int rc;

	*n = 0;
	store_bind_text(s, 1, role);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(s, 0);
	store_sql_done(s);
	if (rc != SQLITE_ROW)
		return store_sql_fail(st, &users, U_COUNT_ROLE, rc);
	return 0;
}

int
sq_user_set_role(
    struct store *st, const char *name, const char *role, int64_t now)
{
	sqlite3_stmt *s;

	if (!store_valid_role(role))
		return STORE_EINVAL;
	s = stmt(st, U_SET_ROLE);
	store_bind_text(s, 1, name);
	store_bind_text(s, 2, role);
	sqlite3_bind_int64(s, 3, now);
	return exec_one(st, U_SET_ROLE);
}

int
sq_user_set_hash(
    struct store *st, const char *name, const char *hash, int64_t now)
{
	sqlite3_stmt *s;

	if (!store_valid_text(hash, STORE_VALUE_MAX))
		return STORE_EINVAL;
	s = stmt(st, U_SET_HASH);
	store_bind_text(s, 1, name);
	store_bind_text(s, 2, hash);
	sqlite3_bind_int64(s, 3, now);
	return exec_one(st, U_SET_HASH);
}

int
sq_user_delete(struct store *st, const char *name)
{
	/* The sessions first: without relying on foreign keys being on. */
	store_bind_text(stmt(st, U_DELETE_SESSIONS), 1, name);
	if (store_sql_exec(st, &users, U_DELETE_SESSIONS) != 0)
		return STORE_ERR;
	store_bind_text(stmt(st, U_DELETE), 1, name);
	return exec_one(st, U_DELETE);
}

int
sq_user_touch_login(struct store *st, int64_t id, int64_t now)
{
	sqlite3_stmt *s = stmt(st, U_TOUCH_LOGIN);

	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	return store_sql_exec(st, &users, U_TOUCH_LOGIN);
}

int
sq_web_session_insert(struct store *st,
    const unsigned char id[STORE_WEB_SESSION_ID], int64_t user_id,
    const char *csrf, int64_t now, int64_t expires)
{
	sqlite3_stmt *s;

	if (!store_valid_text(csrf, STORE_CSRF_MAX - 1))
		return STORE_EINVAL;
	s = stmt(st, W_INSERT);
	sqlite3_bind_blob(s, 1, id, STORE_WEB_SESSION_ID, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, user_id);
	store_bind_text(s, 3, csrf);
	sqlite3_bind_int64(s, 4, now);
	sqlite3_bind_int64(s, 5, expires);
	return store_sql_exec(st, &users, W_INSERT);
}

int
sq_web_session_get(struct store *st,
    const unsigned char id[STORE_WEB_SESSION_ID], int64_t now,
    struct store_web_session *out)
{
	sqlite3_stmt *s = stmt(st, W_GET);
	int rc;

	memset(out, 0, sizeof(*out));
	sqlite3_bind_blob(s, 1, id, STORE_WEB_SESSION_ID, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, now);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->user_id = sqlite3_column_int64(s, 0);
		column_copy(s, 1, out->user, sizeof(out->user));
		column_copy(s, 2, out->role, sizeof(out->role));
		column_copy(s, 3, out->csrf, sizeof(out->csrf));
		out->created = sqlite3_column_int64(s, 4);
		out->last_seen = sqlite3_column_int64(s, 5);
		out->expires = sqlite3_column_int64(s, 6);
	}
	store_sql_done(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	return store_sql_fail(st, &users, W_GET, rc);
}

int
sq_web_session_touch(struct store *st,
    const unsigned char id[STORE_WEB_SESSION_ID], int64_t now, int64_t expires)
{
	sqlite3_stmt *s = stmt(st, W_TOUCH);

	sqlite3_bind_blob(s, 1, id, STORE_WEB_SESSION_ID, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_int64(s, 3, expires);
	return store_sql_exec(st, &users, W_TOUCH);
}

int
sq_web_session_delete(
    struct store *st, const unsigned char id[STORE_WEB_SESSION_ID])
{
	sqlite3_bind_blob(
	    stmt(st, W_DELETE), 1, id, STORE_WEB_SESSION_ID, SQLITE_STATIC);
	return store_sql_exec(st, &users, W_DELETE);
}

int64_t
sq_web_session_delete_user(struct store *st, int64_t user_id)
{
	sqlite3_bind_int64(stmt(st, W_DELETE_USER), 1, user_id);
	if (store_sql_exec(st, &users, W_DELETE_USER) != 0)
		return STORE_ERR;
	return sqlite3_changes64(st->db);
}

int64_t
sq_web_session_purge(struct store *st, int64_t now)
{
	sqlite3_bind_int64(stmt(st, W_PURGE), 1, now);
	if (store_sql_exec(st, &users, W_PURGE) != 0)
		return STORE_ERR;
	return sqlite3_changes64(st->db);
}

int
sq_audit_insert(struct store *st, int64_t time, const char *user,
    const char *action, const char *object, const char *detail)
{
	sqlite3_stmt *s;

	if (!store_valid_text(user, STORE_NAME_MAX) ||
	    !store_valid_text(action, STORE_NAME_MAX) ||
	    (object != NULL &&
		strnlen(object, STORE_TEXT_MAX + 1) > STORE_TEXT_MAX) ||
	    (detail != NULL &&
		strnlen(detail, STORE_TEXT_MAX + 1) > STORE_TEXT_MAX))
		return STORE_EINVAL;
	s = stmt(st, A_INSERT);
	sqlite3_bind_int64(s, 1, time);
	store_bind_text(s, 2, user);
	store_bind_text(s, 3, action);
	store_bind_text(s, 4, object);
	store_bind_text(s, 5, detail);
	return store_sql_exec(st, &users, A_INSERT);
}

int
sq_audit_page(struct store *st, int64_t before, size_t limit, store_audit_cb cb,
    void *arg)
{
	sqlite3_stmt *s = stmt(st, A_PAGE);
	struct store_audit a;
	int rc;

	sqlite3_bind_int64(s, 1, before > 0 ? before : INT64_MAX);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		a.id = sqlite3_column_int64(s, 0);
		a.time = sqlite3_column_int64(s, 1);
		a.user = (const char *)sqlite3_column_text(s, 2);
		a.action = (const char *)sqlite3_column_text(s, 3);
		a.object = (const char *)sqlite3_column_text(s, 4);
		a.detail = (const char *)sqlite3_column_text(s, 5);
		if (a.user == NULL)
			a.user = "-";
		if (a.action == NULL)
			a.action = "";
		if (cb(arg, &a) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	store_sql_done(s);
	if (rc != SQLITE_DONE)
		return store_sql_fail(st, &users, A_PAGE, rc);
	return 0;
}
