/*
 * store_parts.c: the parts of long SMS that a provider delivers one
 * webhook a part, kept until gateway/parts.c joins them, on SQLite
 * (store_pg_parts.c on PostgreSQL).
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/store_int.h"
#include "lib/util.h"

enum { P_PUT, P_SEEN, P_GET, P_JOINED, P_DUE, P_PURGE, P_COUNT };

static const char *const parts_sql[P_COUNT] = {
    [P_PUT] = "INSERT INTO sms_parts (channel, phone, ref, seq, total,"
	      " provider_id, text, received, joined)"
	      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
	      " ON CONFLICT DO NOTHING",
    [P_SEEN] = "SELECT count(*) FROM sms_parts"
	       " WHERE channel = ?1 AND provider_id = ?2",
    /*
     * A set is its parts waiting: phones reuse references. Along the set's
     * index: without statistics SQLite reads the covering primary key
     * (channel, provider_id) instead, every part of the channel, waiting
     * and joined, at each part that comes (122 ms with 60,000 waiting).
     */
    [P_GET] = "SELECT seq, total, provider_id, text, received"
	      " FROM sms_parts INDEXED BY sms_parts_set"
	      " WHERE channel = ?1 AND phone = ?2 AND ref = ?3"
	      " AND joined = 0 ORDER BY seq",
    [P_JOINED] = "UPDATE sms_parts SET joined = 1, text = ''"
		 " WHERE channel = ?1 AND phone = ?2 AND ref = ?3"
		 " AND joined = 0",
    [P_DUE] = "SELECT DISTINCT phone, ref FROM sms_parts"
	      " WHERE joined = 0 AND received <= ?2 AND channel = ?1"
	      " LIMIT ?3",
    [P_PURGE] = "DELETE FROM sms_parts WHERE joined = 1 AND received <= ?1",
};

_Static_assert(P_COUNT <= STORE_PART_MAX, "too many statements");
static const struct store_sql parts = {STORE_PART_PARTS, parts_sql, P_COUNT};

/* Binds channel, phone and ref as ?1 ?2 ?3. */
static void
bind_set(
    sqlite3_stmt *s, const char *channel, const char *phone, const char *ref)
{
	store_bind_text(s, 1, channel);
	store_bind_text(s, 2, phone);
	store_bind_text(s, 3, ref);
}

int
sq_part_put(struct store *st, const char *channel, const char *phone,
    const char *ref, const struct store_sms_part *p)
{
	sqlite3_stmt *s = store_sql(st, &parts, P_PUT);

	bind_set(s, channel, phone, ref);
	sqlite3_bind_int(s, 4, p->seq);
	sqlite3_bind_int(s, 5, p->total);
	store_bind_text(s, 6, p->provider_id);
	store_bind_text(s, 7, p->text != NULL ? p->text : "");
	sqlite3_bind_int64(s, 8, p->received);
	sqlite3_bind_int(s, 9, p->joined != 0);
	if (store_sql_exec(st, &parts, P_PUT) != 0)
		return STORE_ERR;
	return sqlite3_changes(st->db) > 0;
}

/* One writer: nothing to hold. */
int
sq_parts_lock(
    struct store *st, const char *channel, const char *phone, const char *ref)
{
	(void)st;
	(void)channel;
	(void)phone;
	(void)ref;
	return 0;
}

int
sq_part_seen(struct store *st, const char *channel, const char *provider_id)
{
	sqlite3_stmt *s = store_sql(st, &parts, P_SEEN);
	int rc, n = 0;

	store_bind_text(s, 1, channel);
	store_bind_text(s, 2, provider_id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0) > 0;
	store_sql_done(s);
	if (rc != SQLITE_ROW)
		return store_sql_fail(st, &parts, P_SEEN, rc);
	return n;
}

int
sq_parts_get(struct store *st, const char *channel, const char *phone,
    const char *ref, struct store_sms_part **out, size_t *n)
{
	sqlite3_stmt *s = store_sql(st, &parts, P_GET);
	struct store_sms_part *v = NULL, *p;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	bind_set(s, channel, phone, ref);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			v = xrealloc(v, cap * sizeof(*v));
		}
		p = &v[(*n)++];
		p->seq = sqlite3_column_int(s, 0);
		p->total = sqlite3_column_int(s, 1);
		p->provider_id = store_column_dup(s, 2);
		p->text = xstrdup((const char *)sqlite3_column_text(s, 3));
		p->received = sqlite3_column_int64(s, 4);
		p->joined = 0; /* only waiting parts are read */
	}
	store_sql_done(s);
	if (rc != SQLITE_DONE) {
		store_parts_free(v, *n);
		*n = 0;
		return store_sql_fail(st, &parts, P_GET, rc);
	}
	*out = v;
	return 0;
}

int
sq_parts_joined(
    struct store *st, const char *channel, const char *phone, const char *ref)
{
	sqlite3_stmt *s = store_sql(st, &parts, P_JOINED);

	bind_set(s, channel, phone, ref);
	if (store_sql_exec(st, &parts, P_JOINED) != 0)
		return STORE_ERR;
	return sqlite3_changes(st->db);
}

int
sq_parts_due(struct store *st, const char *channel, int64_t before, size_t max,
    struct store_part_set **out, size_t *n)
{
	sqlite3_stmt *s = store_sql(st, &parts, P_DUE);
	struct store_part_set *v = NULL;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	store_bind_text(s, 1, channel);
	sqlite3_bind_int64(s, 2, before);
	sqlite3_bind_int64(s, 3, (int64_t)max);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[*n].phone = xstrdup((const char *)sqlite3_column_text(s, 0));
		v[*n].ref = xstrdup((const char *)sqlite3_column_text(s, 1));
		(*n)++;
	}
	store_sql_done(s);
	if (rc != SQLITE_DONE) {
		store_part_sets_free(v, *n);
		*n = 0;
		return store_sql_fail(st, &parts, P_DUE, rc);
	}
	*out = v;
	return 0;
}

int64_t
sq_parts_purge(struct store *st, int64_t before)
{
	sqlite3_stmt *s = store_sql(st, &parts, P_PURGE);

	sqlite3_bind_int64(s, 1, before);
	if (store_sql_exec(st, &parts, P_PURGE) != 0)
		return STORE_ERR;
	return sqlite3_changes(st->db);
}
