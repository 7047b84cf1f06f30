/*
 * store_misc.c: the store's smaller tables (the answers to Idempotency-Keys,
 * the modems' state) and the database library's process-wide set-up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/store_int.h"
#include "lib/util.h"

enum {
	X_IDEM_GET,
	X_IDEM_PUT,
	X_IDEM_PURGE,
	X_MODEM_GET,
	X_MODEM_PUT,
	X_COUNT
};

static const char *const misc_sql[X_COUNT] = {
    [X_IDEM_GET] = "SELECT request_hash, status, answer, created"
		   " FROM idempotency WHERE endpoint = ?1 AND key = ?2",
    [X_IDEM_PUT] = "INSERT OR REPLACE INTO idempotency"
		   " (endpoint, key, request_hash, status, answer, created)"
		   " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [X_IDEM_PURGE] = "DELETE FROM idempotency WHERE created < ?1",
    [X_MODEM_GET] = "SELECT balance, balance_at, last_error, failures,"
		    " restarts, up, signal, network, updated"
		    " FROM modem_state WHERE channel = ?1",
    [X_MODEM_PUT] =
	"INSERT INTO modem_state (channel, up, signal, network, balance,"
	" balance_at, last_error, failures, restarts, updated)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
	" ON CONFLICT (channel) DO UPDATE SET up = excluded.up,"
	" signal = excluded.signal, network = excluded.network,"
	" balance = excluded.balance, balance_at = excluded.balance_at,"
	" last_error = excluded.last_error, failures = excluded.failures,"
	" restarts = excluded.restarts, updated = excluded.updated",
};

_Static_assert(X_COUNT <= STORE_PART_MAX, "too many statements");

static const struct store_sql misc = {STORE_PART_MISC, misc_sql, X_COUNT};

/* Statement i, ready to bind. */
static sqlite3_stmt *
stmt(struct store *st, int i)
{
	return store_sql(st, &misc, i);
}

/* A time column: -1 for SQL NULL. */
static int64_t
time_or_none(sqlite3_stmt *s, int col)
{
	if (sqlite3_column_type(s, col) == SQLITE_NULL)
		return -1;
	return sqlite3_column_int64(s, col);
}

/* Binds a time, or SQL NULL for 0 or less (none). */
static void
bind_time(sqlite3_stmt *s, int col, int64_t v)
{
	if (v > 0)
		sqlite3_bind_int64(s, col, v);
	else
		sqlite3_bind_null(s, col);
}

int
sq_idem_get(struct store *st, const char *endpoint, const char *key,
    struct store_idem *out)
{
	sqlite3_stmt *s = stmt(st, X_IDEM_GET);
	int rc, n;

	memset(out, 0, sizeof(*out));
	store_bind_text(s, 1, endpoint);
	store_bind_text(s, 2, key);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		n = sqlite3_column_bytes(s, 0);
		out->hash_len = (size_t)n;
		if (n > STORE_IDEM_HASH)
			n = STORE_IDEM_HASH;
		if (n > 0)
			memcpy(out->hash, sqlite3_column_blob(s, 0), (size_t)n);
		out->status = sqlite3_column_int(s, 1);
		out->answer = store_column_dup(s, 2);
		if (out->answer == NULL)
			out->answer = xstrdup("");
		out->created = sqlite3_column_int64(s, 3);
	}
	store_sql_done(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	return store_sql_fail(st, &misc, X_IDEM_GET, rc);
}

void
store_idem_free(struct store_idem *r)
{
	if (r == NULL)
		return;
	free(r->answer);
	memset(r, 0, sizeof(*r));
}

int
sq_idem_put(struct store *st, const char *endpoint, const char *key,
    const unsigned char hash[STORE_IDEM_HASH], int status, const char *answer,
    int64_t now)
{
	sqlite3_stmt *s = stmt(st, X_IDEM_PUT);

	store_bind_text(s, 1, endpoint);
	store_bind_text(s, 2, key);
	sqlite3_bind_blob(s, 3, hash, STORE_IDEM_HASH, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, status);
	store_bind_text(s, 5, answer);
	sqlite3_bind_int64(s, 6, now);
	return store_sql_exec(st, &misc, X_IDEM_PUT);
}

int64_t
sq_idem_purge(struct store *st, int64_t before)
{
	sqlite3_bind_int64(stmt(st, X_IDEM_PURGE), 1, before);
	if (store_sql_exec(st, &misc, X_IDEM_PURGE) != 0)
		return STORE_ERR;
	return sqlite3_changes64(st->db);
}

int
sq_modem_state_get(struct store *st, const char *channel,
    int (*cb)(void *arg, const struct store_modem *), void *arg)
{
	sqlite3_stmt *s = stmt(st, X_MODEM_GET);
	struct store_modem m;
	int rc;

	store_bind_text(s, 1, channel);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		memset(&m, 0, sizeof(m));
		m.channel = channel;
		m.balance = (const char *)sqlite3_column_text(s, 0);
		m.balance_at = time_or_none(s, 1);
		m.last_error = (const char *)sqlite3_column_text(s, 2);
		m.failures = sqlite3_column_int64(s, 3);
		m.restarts = sqlite3_column_int64(s, 4);
		m.up = sqlite3_column_int(s, 5);
		m.signal = sqlite3_column_int(s, 6);
		m.network = (const char *)sqlite3_column_text(s, 7);
		m.updated = time_or_none(s, 8);
		cb(arg, &m);
	}
	store_sql_done(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	return store_sql_fail(st, &misc, X_MODEM_GET, rc);
}

int
sq_modem_state_put(struct store *st, const struct store_modem *m)
{
	sqlite3_stmt *s = stmt(st, X_MODEM_PUT);

	store_bind_text(s, 1, m->channel);
	sqlite3_bind_int(s, 2, m->up);
	sqlite3_bind_int(s, 3, m->signal);
	store_bind_text(s, 4, m->network);
	store_bind_text(s, 5, m->balance);
	bind_time(s, 6, m->balance_at);
	store_bind_text(s, 7, m->last_error);
	sqlite3_bind_int64(s, 8, m->failures);
	sqlite3_bind_int64(s, 9, m->restarts);
	bind_time(s, 10, m->updated);
	return store_sql_exec(st, &misc, X_MODEM_PUT);
}

int
store_library_init(void)
{
	/*
	 * Every connection is used by one thread at a time (the loop's, or
	 * the checkpointer's in the thread pool): no per-connection mutex,
	 * and no memory statistics, whose global mutex each malloc takes.
	 */
	if (sqlite3_config(SQLITE_CONFIG_MULTITHREAD) != SQLITE_OK ||
	    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) != SQLITE_OK)
		return STORE_ERR;
	return 0;
}

const char *
store_library_version(void)
{
	static char v[64];

	if (v[0] == '\0')
		snprintf(v, sizeof(v), "SQLite %s", sqlite3_libversion());
	return v;
}
