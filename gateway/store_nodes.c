/*
 * store_nodes.c: what several nodes on one database share (the nodes'
 * heartbeats, the sweep of a dead node's claims, flood windows and
 * cumulative USSD texts), on SQLite. A SQLite file has one gateway, which
 * keeps flood windows and USSD texts in memory (ingress.c); these are
 * here so that both stores mean the same (tests/unit/test_pg_nodes.c
 * compares them) and a store copies between them table for table.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/store_int.h"
#include "lib/util.h"

enum {
	N_OLD,
	N_BEAT,
	N_SWEEP,
	N_FLOOD,
	N_USSD_OLD,
	N_USSD_PUT,
	N_USSD_SCREEN,
	N_PURGE_FLOOD,
	N_PURGE_USSD,
	N_PURGE_NODES,
	N_COUNT
};

static const char *const nodes_sql[N_COUNT] = {
    [N_OLD] = "SELECT instance, seen FROM nodes WHERE name = ?1",
    /* started is the first beat of this instance. */
    [N_BEAT] = "INSERT INTO nodes (name, instance, started, seen)"
	       " VALUES (?1, ?2, ?3, ?3) ON CONFLICT (name) DO UPDATE SET"
	       " started = CASE WHEN instance = ?2 THEN started ELSE ?3 END,"
	       " instance = ?2, seen = ?3",
    [N_SWEEP] = "UPDATE messages SET state = 'queued', next_attempt = ?1,"
		" updated = ?1, node = NULL WHERE state = 'sending'"
		" AND node IS NOT NULL AND node NOT IN"
		" (SELECT name FROM nodes WHERE seen > ?1 - ?2)",
    /* A window passed starts again with this message. */
    [N_FLOOD] = "INSERT INTO flood (phone, since, count) VALUES (?1, ?2, 1)"
		" ON CONFLICT (phone) DO UPDATE SET"
		" count = CASE WHEN since <= ?2 - ?3 THEN 1 ELSE count + 1 END,"
		" since = CASE WHEN since <= ?2 - ?3 THEN ?2 ELSE since END"
		" RETURNING count",
    [N_USSD_OLD] = "SELECT text, screen, screen_end FROM ussd_seen"
		   " WHERE key = ?1",
    /*
     * Another text forgets the screen of the one before. `at` is the
     * session's first step, left alone by the next ones (so that its
     * index is not rewritten at every step): a network ends a USSD
     * session within minutes, well before INGRESS_USSD_KEEP_MS.
     */
    [N_USSD_PUT] = "INSERT INTO ussd_seen (key, text, at) VALUES (?1, ?2, ?3)"
		   " ON CONFLICT (key) DO UPDATE SET"
		   " screen = CASE WHEN text = ?2 THEN screen END,"
		   " text = ?2",
    [N_USSD_SCREEN] = "UPDATE ussd_seen SET screen = ?2, screen_end = ?3"
		      " WHERE key = ?1",
    [N_PURGE_FLOOD] = "DELETE FROM flood WHERE since <= ?1",
    [N_PURGE_USSD] = "DELETE FROM ussd_seen WHERE at <= ?1",
    [N_PURGE_NODES] = "DELETE FROM nodes WHERE seen <= ?1",
};

_Static_assert(N_COUNT <= STORE_PART_MAX, "too many statements");

static const struct store_sql nodes = {STORE_PART_NODES, nodes_sql, N_COUNT};

/* A SQLite file has one writer: nothing ends its transactions but itself. */
int
sq_transient(struct store *st)
{
	(void)st;
	return 0;
}

int
sq_msg_adopt_received(struct store *st, int64_t now, int64_t lease, int others,
    store_msg_received_cb cb, void *arg)
{
	(void)now;
	(void)lease;
	if (others)
		return 0;
	return sq_msg_each_received(st, cb, arg);
}

int
sq_node_beat(
    struct store *st, const char *instance, int64_t now, int64_t *other)
{
	sqlite3_stmt *s;
	int rc;

	if (other != NULL)
		*other = 0;
	if (st->node == NULL || instance == NULL)
		return STORE_EINVAL;
	s = store_sql(st, &nodes, N_OLD);
	store_bind_text(s, 1, st->node);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && other != NULL &&
	    strcmp((const char *)sqlite3_column_text(s, 0), instance) != 0)
		*other = sqlite3_column_int64(s, 1);
	store_sql_done(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_sql_fail(st, &nodes, N_OLD, rc);
	s = store_sql(st, &nodes, N_BEAT);
	store_bind_text(s, 1, st->node);
	store_bind_text(s, 2, instance);
	sqlite3_bind_int64(s, 3, now);
	return store_sql_exec(st, &nodes, N_BEAT);
}

int
sq_queue_sweep(struct store *st, int64_t now, int64_t lease)
{
	sqlite3_stmt *s = store_sql(st, &nodes, N_SWEEP);

	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int64(s, 2, lease);
	if (store_sql_exec(st, &nodes, N_SWEEP) != 0)
		return STORE_ERR;
	return sqlite3_changes(st->db);
}

int
sq_flood_hit(struct store *st, const char *phone, int64_t now, int64_t period,
    int64_t *count)
{
	sqlite3_stmt *s = store_sql(st, &nodes, N_FLOOD);
	int rc;

	*count = 0;
	store_bind_text(s, 1, phone);
	sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_int64(s, 3, period);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*count = sqlite3_column_int64(s, 0);
		rc = sqlite3_step(s);
	}
	store_sql_done(s);
	if (rc != SQLITE_DONE)
		return store_sql_fail(st, &nodes, N_FLOOD, rc);
	return 0;
}

int
sq_ussd_seen(struct store *st, const char *key, const char *text, int64_t now,
    struct store_ussd_last *prev)
{
	sqlite3_stmt *s = store_sql(st, &nodes, N_USSD_OLD);
	int rc;

	memset(prev, 0, sizeof(*prev));
	store_bind_text(s, 1, key);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		prev->text = xstrdup((const char *)sqlite3_column_text(s, 0));
		if (sqlite3_column_type(s, 1) != SQLITE_NULL)
			prev->screen =
			    xstrdup((const char *)sqlite3_column_text(s, 1));
		prev->end = sqlite3_column_int(s, 2) != 0;
	}
	store_sql_done(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_ussd_last_free(prev);
		return store_sql_fail(st, &nodes, N_USSD_OLD, rc);
	}
	s = store_sql(st, &nodes, N_USSD_PUT);
	store_bind_text(s, 1, key);
	store_bind_text(s, 2, text);
	sqlite3_bind_int64(s, 3, now);
	if (store_sql_exec(st, &nodes, N_USSD_PUT) != 0) {
		store_ussd_last_free(prev);
		return STORE_ERR;
	}
	return 0;
}

int
sq_ussd_screen(struct store *st, const char *key, const char *screen, int end)
{
	sqlite3_stmt *s = store_sql(st, &nodes, N_USSD_SCREEN);

	store_bind_text(s, 1, key);
	store_bind_text(s, 2, screen);
	sqlite3_bind_int(s, 3, end != 0);
	return store_sql_exec(st, &nodes, N_USSD_SCREEN);
}

int64_t
sq_shared_purge(struct store *st, int64_t flood_before, int64_t ussd_before,
    int64_t node_before)
{
	const int which[3] = {N_PURGE_FLOOD, N_PURGE_USSD, N_PURGE_NODES};
	const int64_t before[3] = {flood_before, ussd_before, node_before};
	int64_t n = 0;
	size_t i;

	for (i = 0; i < 3; i++) {
		sqlite3_stmt *s = store_sql(st, &nodes, which[i]);

		sqlite3_bind_int64(s, 1, before[i]);
		if (store_sql_exec(st, &nodes, which[i]) != 0)
			return STORE_ERR;
		n += sqlite3_changes(st->db);
	}
	return n;
}
