/*
 * store_pg_parts.c: the parts of long SMS that a provider delivers one
 * webhook a part, kept until gateway/parts.c joins them, on PostgreSQL
 * (store_parts.c on SQLite). Nodes take the parts of one set one after
 * the other (pgs_parts_lock, held until the turn's commit): the node
 * with the last part sees the others, and a node handing a set over at
 * the end of its wait and another taking its last part do not both.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/store_int.h"
#include "gateway/store_pg.h"
#include "lib/util.h"

enum { P_LOCK, P_PUT, P_SEEN, P_GET, P_JOINED, P_DUE, P_PURGE, P_COUNT };

static const char *const parts_sql[P_COUNT] = {
    /* Until the transaction ends; the key is the set's, hashed. */
    [P_LOCK] = "SELECT pg_advisory_xact_lock(hashtextextended("
	       "$1 || chr(10) || $2 || chr(10) || $3, 0))",
    [P_PUT] = "INSERT INTO sms_parts (channel, phone, ref, seq, total,"
	      " provider_id, text, received, joined)"
	      " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
	      " ON CONFLICT DO NOTHING",
    [P_SEEN] = "SELECT count(*) FROM sms_parts"
	       " WHERE channel = $1 AND provider_id = $2",
    /* A set is its parts waiting: phones reuse references. */
    [P_GET] = "SELECT seq, total, provider_id, text, received"
	      " FROM sms_parts WHERE channel = $1 AND phone = $2 AND ref = $3"
	      " AND joined = 0 ORDER BY seq",
    [P_JOINED] = "UPDATE sms_parts SET joined = 1, text = ''"
		 " WHERE channel = $1 AND phone = $2 AND ref = $3"
		 " AND joined = 0",
    [P_DUE] = "SELECT DISTINCT phone, ref FROM sms_parts"
	      " WHERE joined = 0 AND received <= $2 AND channel = $1"
	      " LIMIT $3",
    [P_PURGE] = "DELETE FROM sms_parts WHERE joined = 1 AND received <= $1",
};

_Static_assert(P_COUNT <= PGS_PART_MAX, "too many statements");
static const struct pgs_sql parts = {PGS_PART_PARTS, parts_sql, P_COUNT};

/* channel, phone and ref as $1 $2 $3. */
static void
params_set(struct pgs_params *p, const char *channel, const char *phone,
    const char *ref)
{
	pgs_p_init(p);
	pgs_p_text(p, channel);
	pgs_p_text(p, phone);
	pgs_p_text(p, ref);
}

int
pgs_part_put(struct store *st, const char *channel, const char *phone,
    const char *ref, const struct store_sms_part *part)
{
	struct pgs_params p;
	int64_t n = 0;

	params_set(&p, channel, phone, ref);
	pgs_p_int(&p, part->seq);
	pgs_p_int(&p, part->total);
	pgs_p_text(&p, part->provider_id);
	pgs_p_text(&p, part->text != NULL ? part->text : "");
	pgs_p_int(&p, part->received);
	pgs_p_int(&p, part->joined != 0);
	if (pgs_exec(st, &parts, P_PUT, &p, &n) != 0)
		return STORE_ERR;
	return n > 0;
}

int
pgs_parts_lock(
    struct store *st, const char *channel, const char *phone, const char *ref)
{
	struct pgs_params p;
	PGresult *r;

	params_set(&p, channel, phone, ref);
	if ((r = pgs_run(st, &parts, P_LOCK, &p)) == NULL)
		return STORE_ERR;
	PQclear(r);
	return 0;
}

int
pgs_part_seen(struct store *st, const char *channel, const char *provider_id)
{
	struct pgs_params p;
	PGresult *r;
	int n;

	pgs_p_init(&p);
	pgs_p_text(&p, channel);
	pgs_p_text(&p, provider_id);
	if ((r = pgs_run(st, &parts, P_SEEN, &p)) == NULL)
		return STORE_ERR;
	n = PQntuples(r) > 0 && pgs_get_int(r, 0, 0) > 0;
	PQclear(r);
	return n;
}

int
pgs_parts_get(struct store *st, const char *channel, const char *phone,
    const char *ref, struct store_sms_part **out, size_t *n)
{
	struct pgs_params p;
	struct store_sms_part *v;
	PGresult *r;
	int i, rows;

	*out = NULL;
	*n = 0;
	params_set(&p, channel, phone, ref);
	if ((r = pgs_run(st, &parts, P_GET, &p)) == NULL)
		return STORE_ERR;
	rows = PQntuples(r);
	v = rows > 0 ? xcalloc((size_t)rows, sizeof(*v)) : NULL;
	for (i = 0; i < rows; i++) {
		v[i].seq = (int)pgs_get_int(r, i, 0);
		v[i].total = (int)pgs_get_int(r, i, 1);
		v[i].provider_id = pgs_get_dup(r, i, 2);
		v[i].text = pgs_get_dup(r, i, 3);
		v[i].received = pgs_get_int(r, i, 4);
	}
	PQclear(r);
	*out = v;
	*n = (size_t)rows;
	return 0;
}

int
pgs_parts_joined(
    struct store *st, const char *channel, const char *phone, const char *ref)
{
	struct pgs_params p;
	int64_t n = 0;

	params_set(&p, channel, phone, ref);
	if (pgs_exec(st, &parts, P_JOINED, &p, &n) != 0)
		return STORE_ERR;
	return (int)n;
}

int
pgs_parts_due(struct store *st, const char *channel, int64_t before, size_t max,
    struct store_part_set **out, size_t *n)
{
	struct pgs_params p;
	struct store_part_set *v;
	PGresult *r;
	int i, rows;

	*out = NULL;
	*n = 0;
	pgs_p_init(&p);
	pgs_p_text(&p, channel);
	pgs_p_int(&p, before);
	pgs_p_int(&p, (int64_t)max);
	if ((r = pgs_run(st, &parts, P_DUE, &p)) == NULL)
		return STORE_ERR;
	rows = PQntuples(r);
	v = rows > 0 ? xcalloc((size_t)rows, sizeof(*v)) : NULL;
	for (i = 0; i < rows; i++) {
		v[i].phone = pgs_get_dup(r, i, 0);
		v[i].ref = pgs_get_dup(r, i, 1);
	}
	PQclear(r);
	*out = v;
	*n = (size_t)rows;
	return 0;
}

int64_t
pgs_parts_purge(struct store *st, int64_t before)
{
	struct pgs_params p;
	int64_t n = 0;

	pgs_p_init(&p);
	pgs_p_int(&p, before);
	if (pgs_exec(st, &parts, P_PURGE, &p, &n) != 0)
		return STORE_ERR;
	return n;
}
