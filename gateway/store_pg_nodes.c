/*
 * store_pg_nodes.c: what several nodes on one PostgreSQL database share
 * (store_nodes.c on SQLite): the nodes' heartbeats, the sweep of a dead
 * node's claims, flood windows and cumulative USSD texts.
 *
 * Each is one statement, so that two nodes at the same number or session
 * count right: an upsert takes the row's lock, and a CTE reads the row as
 * it was before the statement. Flood windows are counted on the side
 * connection, each in a transaction of its own (pgs_side_run): every
 * inbound message counts one, and two nodes' turns holding the locks of
 * several numbers each would deadlock.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/store_int.h"
#include "gateway/store_pg.h"
#include "lib/util.h"

enum {
	N_BEAT,
	N_SWEEP,
	N_FLOOD,
	N_USSD,
	N_USSD_SCREEN,
	N_PURGE_FLOOD,
	N_PURGE_USSD,
	N_PURGE_NODES,
	N_COUNT
};

static const char *const nodes_sql[N_COUNT] = {
    [N_BEAT] = "WITH old AS (SELECT instance, seen FROM nodes WHERE name = $1),"
	       " up AS (INSERT INTO nodes (name, instance, started, seen)"
	       "  VALUES ($1, $2, $3, $3) ON CONFLICT (name) DO UPDATE SET"
	       "  started = CASE WHEN nodes.instance = $2 THEN nodes.started"
	       "  ELSE $3 END, instance = $2, seen = $3)"
	       " SELECT instance, seen FROM old",
    [N_SWEEP] =
	"UPDATE messages SET state = 'queued', next_attempt = $1,"
	" updated = $1, node = NULL WHERE state = 'sending'"
	" AND node IS NOT NULL AND node NOT IN"
	" (SELECT name FROM nodes WHERE seen > $1::bigint - $2::bigint)",
    [N_FLOOD] =
	"INSERT INTO flood (phone, since, count) VALUES ($1, $2, 1)"
	" ON CONFLICT (phone) DO UPDATE SET count = CASE"
	" WHEN flood.since <= $2::bigint - $3::bigint THEN 1 ELSE flood.count "
	"+ 1 END,"
	" since = CASE WHEN flood.since <= $2::bigint - $3::bigint THEN $2"
	" ELSE flood.since END RETURNING count",
    /*
     * Another text forgets the screen of the one before; `at` stays the
     * session's first step's, as on SQLite (store_nodes.c).
     */
    [N_USSD] = "WITH old AS (SELECT text, screen, screen_end FROM ussd_seen"
	       "  WHERE key = $1),"
	       " up AS (INSERT INTO ussd_seen (key, text, at)"
	       "  VALUES ($1, $2, $3) ON CONFLICT (key) DO UPDATE SET"
	       "  screen = CASE WHEN ussd_seen.text = $2 THEN ussd_seen.screen"
	       "  END, text = $2)"
	       " SELECT text, screen, screen_end FROM old",
    [N_USSD_SCREEN] = ("UPDATE ussd_seen SET screen = $2, screen_end = $3"
		       " WHERE key = $1"),
    [N_PURGE_FLOOD] = "DELETE FROM flood WHERE since <= $1",
    [N_PURGE_USSD] = "DELETE FROM ussd_seen WHERE at <= $1",
    [N_PURGE_NODES] = "DELETE FROM nodes WHERE seen <= $1",
};

_Static_assert(N_COUNT <= PGS_PART_MAX, "too many statements");

static const struct pgs_sql nodes = {PGS_PART_NODES, nodes_sql, N_COUNT};

int
pgs_transient(struct store *st)
{
	const char *s = pgs_sqlstate(st);

	return strcmp(s, "40P01") == 0 || strcmp(s, "40001") == 0;
}

int
pgs_node_beat(
    struct store *st, const char *instance, int64_t now, int64_t *other)
{
	struct pgs_params p;
	PGresult *r;

	if (other != NULL)
		*other = 0;
	if (st->node == NULL || instance == NULL)
		return STORE_EINVAL;
	pgs_p_init(&p);
	pgs_p_text(&p, st->node);
	pgs_p_text(&p, instance);
	pgs_p_int(&p, now);
	if ((r = pgs_run(st, &nodes, N_BEAT, &p)) == NULL)
		return STORE_ERR;
	if (PQntuples(r) > 0 && other != NULL &&
	    strcmp(PQgetvalue(r, 0, 0), instance) != 0)
		*other = pgs_get_int(r, 0, 1);
	PQclear(r);
	return 0;
}

int
pgs_queue_sweep(struct store *st, int64_t now, int64_t lease)
{
	struct pgs_params p;
	int64_t n = 0;

	pgs_p_init(&p);
	pgs_p_int(&p, now);
	pgs_p_int(&p, lease);
	if (pgs_exec(st, &nodes, N_SWEEP, &p, &n) != 0)
		return STORE_ERR;
	return (int)n;
}

int
pgs_flood_hit(struct store *st, const char *phone, int64_t now, int64_t period,
    int64_t *count)
{
	struct pgs_params p;
	PGresult *r;

	*count = 0;
	pgs_p_init(&p);
	pgs_p_text(&p, phone);
	pgs_p_int(&p, now);
	pgs_p_int(&p, period);
	/* Apart from the turn's transaction: see pgs_side_run. */
	if ((r = pgs_side_run(st, nodes_sql[N_FLOOD], &p)) == NULL)
		return STORE_ERR;
	if (PQntuples(r) > 0)
		*count = pgs_get_int(r, 0, 0);
	PQclear(r);
	return 0;
}

int
pgs_ussd_seen(struct store *st, const char *key, const char *text, int64_t now,
    struct store_ussd_last *prev)
{
	struct pgs_params p;
	PGresult *r;

	memset(prev, 0, sizeof(*prev));
	pgs_p_init(&p);
	pgs_p_text(&p, key);
	pgs_p_text(&p, text);
	pgs_p_int(&p, now);
	if ((r = pgs_run(st, &nodes, N_USSD, &p)) == NULL)
		return STORE_ERR;
	if (PQntuples(r) > 0) {
		prev->text = pgs_get_dup(r, 0, 0);
		if (!PQgetisnull(r, 0, 1))
			prev->screen = pgs_get_dup(r, 0, 1);
		prev->end = pgs_get_int(r, 0, 2) != 0;
	}
	PQclear(r);
	return 0;
}

int
pgs_ussd_screen(struct store *st, const char *key, const char *screen, int end)
{
	struct pgs_params p;
	PGresult *r;

	pgs_p_init(&p);
	pgs_p_text(&p, key);
	pgs_p_text(&p, screen);
	pgs_p_int(&p, end != 0);
	if ((r = pgs_run(st, &nodes, N_USSD_SCREEN, &p)) == NULL)
		return STORE_ERR;
	PQclear(r);
	return 0;
}

int64_t
pgs_shared_purge(struct store *st, int64_t flood_before, int64_t ussd_before,
    int64_t node_before)
{
	const int which[3] = {N_PURGE_FLOOD, N_PURGE_USSD, N_PURGE_NODES};
	const int64_t before[3] = {flood_before, ussd_before, node_before};
	int64_t n = 0, changed;
	size_t i;

	for (i = 0; i < 3; i++) {
		struct pgs_params p;

		pgs_p_init(&p);
		pgs_p_int(&p, before[i]);
		if (pgs_exec(st, &nodes, which[i], &p, &changed) != 0)
			return STORE_ERR;
		n += changed;
	}
	return n;
}
