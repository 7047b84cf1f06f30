/*
 * store_pg_msg.c: the messages table on PostgreSQL, as store_msg.c on
 * SQLite (inbound messages stored once per provider id, outbound inserts,
 * the queue's claims, outcomes, delivery reports, recovery and moves), the
 * spend a sent message adds (store_spend.c's store_spend_add_sent), and
 * store_misc.c's idempotency keys and modem state.
 *
 * Several nodes may share the database: a claim takes its rows with FOR
 * UPDATE SKIP LOCKED, so a row another node is claiming is passed over
 * rather than waited for or taken twice.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/store_int.h"
#include "gateway/store_pg.h"
#include "lib/util.h"

enum {
	M_IN_INSERT,
	M_IN_ADOPT,
	M_IN_FIND,
	M_IN_STATE,
	M_IN_RECEIVED,
	M_OUT_INSERT,
	M_GET,
	M_CLAIM,
	M_SENT,
	M_SPEND,
	M_SPEND_CLAIMED,
	M_RETRY,
	M_FAIL,
	M_REPORT_PID,
	M_REPORT_ID,
	M_RECOVER,
	M_NEXT_DUE,
	M_MOVE,
	M_NEWEST_PID,
	M_MAX_ID,
	X_IDEM_GET,
	X_IDEM_PUT,
	X_IDEM_PURGE,
	X_MODEM_GET,
	X_MODEM_PUT,
	M_COUNT
};

static const char *const msg_sql[M_COUNT] = {
    /* A provider's retry of a stored message inserts nothing. */
    [M_IN_INSERT] =
	"INSERT INTO messages (direction, channel, kind, phone, text, state,"
	" provider_id, segments, created, updated, contact_id, node)"
	" VALUES ('in', $1, $2, $3, $4, $5, $6, 1, $7, $7, $8, $9)"
	" ON CONFLICT (channel, provider_id)"
	" WHERE direction = 'in' AND provider_id IS NOT NULL DO NOTHING"
	" RETURNING id",
    /*
     * Inbound SMS still "received" that this node takes on: its own (at
     * its start), those stored by no node, and a dead node's ($4 = 1:
     * only those). Locked and marked as this node's, so that two nodes
     * never both run one.
     */
    [M_IN_ADOPT] =
	"UPDATE messages SET node = $1 WHERE id IN (SELECT id FROM messages"
	"  WHERE direction = 'in' AND kind = 'sms' AND state = 'received'"
	"  AND (($4::int = 0 AND ($1::text IS NULL OR node IS NULL"
	"   OR node = $1)) OR (node IS NOT NULL AND node NOT IN"
	"   (SELECT name FROM nodes WHERE seen > $2::bigint - $3::bigint)))"
	"  FOR UPDATE SKIP LOCKED)"
	" RETURNING id, channel, phone, text",
    [M_IN_FIND] = "SELECT id FROM messages WHERE direction = 'in'"
		  " AND channel = $1 AND provider_id = $2",
    [M_IN_STATE] = "UPDATE messages SET state = $2, contact_id = $3,"
		   " updated = $4 WHERE id = $1",
    [M_IN_RECEIVED] = "SELECT id, channel, phone, text FROM messages"
		      " WHERE direction = 'in' AND kind = 'sms'"
		      " AND state = 'received' ORDER BY id",
    [M_OUT_INSERT] =
	"INSERT INTO messages (direction, channel, kind, contact_id, phone,"
	" text, state, segments, next_attempt, broadcast_id, created,"
	" updated, attempts, node) VALUES ('out', $1, $2, $3, $4, $5, $6, $7,"
	" $8, $9, $10, $10, $11, $12) RETURNING id",
    [M_GET] = "SELECT id, direction, channel, phone, state, error,"
	      " provider_id, attempts, segments, created, updated"
	      " FROM messages WHERE id = $1",
    /*
     * store_msg.c's M_DUE and M_SENDING in one statement. A row whose
     * text was forgotten (privacy) counts against the limit, as on
     * SQLite, but is not taken: it stays queued. RETURNING keeps no
     * order; the caller sorts.
     */
    [M_CLAIM] =
	"WITH due AS (SELECT id, phone, text FROM messages"
	"  WHERE state = 'queued' AND next_attempt <= $2 AND channel = $1"
	"  AND id <= $4 ORDER BY next_attempt, id LIMIT $3"
	"  FOR UPDATE SKIP LOCKED)"
	" UPDATE messages m SET state = 'sending', attempts = attempts + 1,"
	" updated = $2, node = $5 FROM due WHERE m.id = due.id"
	" AND due.phone IS NOT NULL AND due.text IS NOT NULL"
	" RETURNING m.id, m.phone, m.text, m.attempts, m.created, m.segments,"
	" m.next_attempt",
    [M_SENT] = "UPDATE messages SET state = 'sent', provider_id = $2,"
	       " error = NULL, next_attempt = NULL, updated = $3"
	       " WHERE id = $1 AND state = 'sending'",
    /*
     * The day is the process's local day, worked out in C ($2). Each
     * node adds to its own row ($3), never waiting on another's.
     */
    [M_SPEND] = "INSERT INTO spend (channel, day, node, segments)"
		" SELECT channel, $2, coalesce($3::text, ''), segments"
		" FROM messages WHERE id = $1"
		" ON CONFLICT (channel, day, node) DO UPDATE SET"
		" segments = spend.segments + excluded.segments",
    /* The same with the channel ($1) and segments ($4) as claimed. */
    [M_SPEND_CLAIMED] = "INSERT INTO spend (channel, day, node, segments)"
			" VALUES ($1, $2, coalesce($3::text, ''), $4)"
			" ON CONFLICT (channel, day, node) DO UPDATE SET"
			" segments = spend.segments + excluded.segments",
    [M_RETRY] = "UPDATE messages SET state = 'queued', next_attempt = $2,"
		" error = $3, updated = $4 WHERE id = $1 AND state = 'sending'",
    [M_FAIL] = "UPDATE messages SET state = 'failed', error = $2,"
	       " next_attempt = NULL, updated = $3 WHERE id = $1",
    [M_REPORT_PID] = "UPDATE messages SET state = $3, error = $4,"
		     " updated = $5 WHERE direction = 'out' AND channel = $1"
		     " AND provider_id = $2"
		     " AND state NOT IN ('delivered', 'failed')",
    [M_REPORT_ID] = "UPDATE messages SET state = $3, error = $4,"
		    " updated = $5 WHERE direction = 'out' AND channel = $1"
		    " AND id = $2 AND state NOT IN ('delivered', 'failed')",
    /* A node's own claims, and those of no node (a version before). */
    [M_RECOVER] = "UPDATE messages SET state = 'queued', next_attempt = $1,"
		  " updated = $1, node = NULL WHERE state = 'sending'"
		  " AND ($2::text IS NULL OR node IS NULL OR node = $2)",
    [M_NEXT_DUE] = "SELECT min(next_attempt) FROM messages"
		   " WHERE state = 'queued' AND channel = $1",
    [M_MOVE] = "UPDATE messages SET channel = $2, updated = $3,"
	       " next_attempt = LEAST(next_attempt, $3)"
	       " WHERE state = 'queued' AND channel = $1"
	       " AND next_attempt <= $4",
    [M_NEWEST_PID] = "SELECT id FROM messages WHERE channel = $1"
		     " AND provider_id = $2 AND direction = 'out'"
		     " ORDER BY id DESC LIMIT 1",
    [M_MAX_ID] = "SELECT coalesce(max(id), 0) FROM messages",
    /* The first $3 bytes of the hash are kept, and how many it had. */
    [X_IDEM_GET] = "SELECT substr(request_hash, 1, $3),"
		   " length(request_hash), status, answer, created"
		   " FROM idempotency WHERE endpoint = $1 AND key = $2",
    [X_IDEM_PUT] =
	"INSERT INTO idempotency"
	" (endpoint, key, request_hash, status, answer, created)"
	" VALUES ($1, $2, $3, $4, $5, $6)"
	" ON CONFLICT (endpoint, key) DO UPDATE SET"
	" request_hash = excluded.request_hash, status = excluded.status,"
	" answer = excluded.answer, created = excluded.created",
    [X_IDEM_PURGE] = "DELETE FROM idempotency WHERE created < $1",
    [X_MODEM_GET] = "SELECT balance, balance_at, last_error, failures,"
		    " restarts, up, signal, network, updated"
		    " FROM modem_state WHERE channel = $1",
    [X_MODEM_PUT] =
	"INSERT INTO modem_state (channel, up, signal, network, balance,"
	" balance_at, last_error, failures, restarts, updated)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
	" ON CONFLICT (channel) DO UPDATE SET up = excluded.up,"
	" signal = excluded.signal, network = excluded.network,"
	" balance = excluded.balance, balance_at = excluded.balance_at,"
	" last_error = excluded.last_error, failures = excluded.failures,"
	" restarts = excluded.restarts, updated = excluded.updated",
};

_Static_assert(M_COUNT <= PGS_PART_MAX, "too many statements");

static const struct pgs_sql msgs = {PGS_PART_MSG, msg_sql, M_COUNT};

/* True for a state an inbound message may have. */
static int
state_inbound(enum msg_state s)
{
	return s == MSG_RECEIVED || s == MSG_HANDLED || s == MSG_IGNORED;
}

/* True for a state an outbound message may have. */
static int
state_outbound(enum msg_state s)
{
	return (unsigned)s <= MSG_FAILED;
}

static const char *
kind_name(enum msg_kind k)
{
	return k == MSG_USSD ? "ussd" : "sms";
}

/* An id parameter, or NULL for 0 (none). */
static void
p_id(struct pgs_params *p, int64_t v)
{
	if (v > 0)
		pgs_p_int(p, v);
	else
		pgs_p_text(p, NULL);
}

/* Runs statement i, which returns one row of one integer or none: *v gets
 * it (left alone for none or NULL). 0, STORE_NOTFOUND or STORE_ERR. */
static int
one_int(struct store *st, int i, const struct pgs_params *p, int64_t *v)
{
	PGresult *r = pgs_run(st, &msgs, i, p);
	int rc = STORE_NOTFOUND;

	if (r == NULL)
		return STORE_ERR;
	if (PQntuples(r) > 0) {
		if (!pgs_isnull(r, 0, 0))
			*v = pgs_get_int(r, 0, 0);
		rc = 0;
	}
	PQclear(r);
	return rc;
}

/* Runs statement i and returns the rows it changed, or STORE_ERR. */
static int64_t
changes(struct store *st, int i, const struct pgs_params *p)
{
	int64_t n = 0;

	if (pgs_exec(st, &msgs, i, p, &n) != 0)
		return STORE_ERR;
	return n;
}

/* Inserts inbound m (contact 0: none): 0 with *id, or STORE_EDUP with
 * the id stored before under its provider id. */
static int
insert_inbound(struct store *st, const struct store_msg_in *m, int64_t now,
    int64_t contact, int64_t *id)
{
	int has_pid = m->provider_id != NULL && m->provider_id[0] != '\0';
	struct pgs_params p;
	int rc;

	pgs_p_init(&p);
	pgs_p_text(&p, m->channel);
	pgs_p_text(&p, kind_name(m->kind));
	pgs_p_text(&p, m->phone);
	pgs_p_text(&p, m->text);
	pgs_p_text(&p, msg_state_name(m->state));
	pgs_p_text(&p, has_pid ? m->provider_id : NULL);
	pgs_p_int(&p, now);
	p_id(&p, contact);
	pgs_p_text(&p, st->node);
	if ((rc = one_int(st, M_IN_INSERT, &p, id)) != STORE_NOTFOUND)
		return rc;
	/* A duplicate: stored before with this provider id. */
	pgs_p_init(&p);
	pgs_p_text(&p, m->channel);
	pgs_p_text(&p, m->provider_id);
	(void)one_int(st, M_IN_FIND, &p, id);
	return STORE_EDUP;
}

int
pgs_msg_insert_inbound(
    struct store *st, const struct store_msg_in *m, int64_t now, int64_t *id)
{
	*id = 0;
	if (!state_inbound(m->state))
		return STORE_EINVAL;
	return insert_inbound(st, m, now, m->contact_id, id);
}

int
pgs_msg_insert_inbound_contact(struct store *st, const struct store_msg_in *m,
    int64_t now, int64_t *id, struct store_contact *contact)
{
	int rc;

	*id = 0;
	memset(contact, 0, sizeof(*contact));
	if (!state_inbound(m->state))
		return STORE_EINVAL;
	/* A number that is not E.164 has no contact: the insert judges it. */
	rc = pgs_contact_find(st, m->phone, contact);
	if (rc != 0 && rc != STORE_NOTFOUND && rc != STORE_EINVAL)
		return rc;
	return insert_inbound(st, m, now, contact->id, id);
}

int
pgs_msg_inbound_state(struct store *st, int64_t id, enum msg_state state,
    int64_t contact_id, int64_t now)
{
	struct pgs_params p;

	if (!state_inbound(state))
		return STORE_EINVAL;
	pgs_p_init(&p);
	pgs_p_int(&p, id);
	pgs_p_text(&p, msg_state_name(state));
	p_id(&p, contact_id);
	pgs_p_int(&p, now);
	return pgs_exec(st, &msgs, M_IN_STATE, &p, NULL);
}

/* For qsort: RETURNING keeps no order, the walk is by id. */
static int
by_row_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

int
pgs_msg_adopt_received(struct store *st, int64_t now, int64_t lease, int others,
    store_msg_received_cb cb, void *arg)
{
	struct store_msg_received m;
	struct pgs_params p;
	int64_t(*order)[2];
	PGresult *r;
	int i, n;

	pgs_p_init(&p);
	pgs_p_text(&p, st->node);
	pgs_p_int(&p, now);
	pgs_p_int(&p, lease);
	pgs_p_int(&p, others ? 1 : 0);
	if ((r = pgs_run(st, &msgs, M_IN_ADOPT, &p)) == NULL)
		return STORE_ERR;
	n = PQntuples(r);
	order = xcalloc((size_t)n + 1, sizeof(*order));
	for (i = 0; i < n; i++) {
		order[i][0] = pgs_get_int(r, i, 0);
		order[i][1] = i;
	}
	qsort(order, (size_t)n, sizeof(*order), by_row_id);
	for (i = 0; i < n; i++) {
		int row = (int)order[i][1];

		m.id = order[i][0];
		m.channel = PQgetvalue(r, row, 1);
		m.phone = PQgetvalue(r, row, 2);
		m.text = pgs_isnull(r, row, 3) ? NULL : PQgetvalue(r, row, 3);
		if (cb(arg, &m) != 0)
			break;
	}
	free(order);
	PQclear(r);
	return 0;
}

int
pgs_msg_each_received(struct store *st, store_msg_received_cb cb, void *arg)
{
	PGresult *r = pgs_run(st, &msgs, M_IN_RECEIVED, NULL);
	struct store_msg_received m;
	int i;

	if (r == NULL)
		return STORE_ERR;
	for (i = 0; i < PQntuples(r); i++) {
		m.id = pgs_get_int(r, i, 0);
		m.channel = PQgetvalue(r, i, 1);
		m.phone = PQgetvalue(r, i, 2);
		m.text = pgs_isnull(r, i, 3) ? NULL : PQgetvalue(r, i, 3);
		if (cb(arg, &m) != 0)
			break;
	}
	PQclear(r);
	return 0;
}

int
pgs_msg_insert_outbound(
    struct store *st, const struct store_msg_out *m, int64_t now, int64_t *id)
{
	struct pgs_params p;
	int64_t got = 0;
	int rc;

	if (!state_outbound(m->state))
		return STORE_EINVAL;
	pgs_p_init(&p);
	pgs_p_text(&p, m->channel);
	pgs_p_text(&p, kind_name(m->kind));
	p_id(&p, m->contact_id);
	pgs_p_text(&p, m->phone);
	pgs_p_text(&p, m->text);
	pgs_p_text(&p, msg_state_name(m->state));
	pgs_p_int(&p, m->segments);
	if (m->state == MSG_QUEUED || m->state == MSG_SENDING)
		pgs_p_int(&p, m->next_attempt);
	else
		pgs_p_text(&p, NULL);
	p_id(&p, m->broadcast_id);
	pgs_p_int(&p, now);
	/* Claimed as it is stored: its first attempt, this node's. */
	pgs_p_int(&p, m->state == MSG_SENDING);
	pgs_p_text(&p, m->state == MSG_SENDING ? st->node : NULL);
	if ((rc = one_int(st, M_OUT_INSERT, &p, &got)) != 0)
		return rc == STORE_NOTFOUND ? STORE_ERR : rc;
	if (id != NULL)
		*id = got;
	return 0;
}

int
pgs_msg_get(struct store *st, int64_t id, struct store_msg *out)
{
	struct pgs_params p;
	PGresult *r;
	int bad;

	memset(out, 0, sizeof(*out));
	pgs_p_init(&p);
	pgs_p_int(&p, id);
	if ((r = pgs_run(st, &msgs, M_GET, &p)) == NULL)
		return STORE_ERR;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return STORE_NOTFOUND;
	}
	out->id = pgs_get_int(r, 0, 0);
	out->direction =
	    strcmp(PQgetvalue(r, 0, 1), "out") == 0 ? MSG_OUT : MSG_IN;
	out->channel = pgs_get_dup(r, 0, 2);
	out->phone = pgs_get_dup(r, 0, 3);
	bad = msg_state_parse(PQgetvalue(r, 0, 4), &out->state) != 0;
	out->error = pgs_get_dup(r, 0, 5);
	out->provider_id = pgs_get_dup(r, 0, 6);
	out->attempts = (int)pgs_get_int(r, 0, 7);
	out->segments = (int)pgs_get_int(r, 0, 8);
	out->created = pgs_get_int(r, 0, 9);
	out->updated = pgs_get_int(r, 0, 10);
	PQclear(r);
	if (bad) { /* The schema's CHECK allows no other state. */
		store_msg_free(out);
		return STORE_ERR;
	}
	return 0;
}

int
pgs_queue_claim(struct store *st, const char *channel, int64_t now, size_t max,
    struct store_queue_msg **out, size_t *n)
{
	return pgs_queue_claim_upto(st, channel, now, max, INT64_MAX, out, n);
}

/* For qsort: by next_attempt, then id, as the claim chose them. */
struct claimed {
	struct store_queue_msg m;
	int64_t due;
};

static int
by_due(const void *a, const void *b)
{
	const struct claimed *x = a, *y = b;

	if (x->due != y->due)
		return x->due < y->due ? -1 : 1;
	return x->m.id < y->m.id ? -1 : x->m.id > y->m.id;
}

int
pgs_queue_claim_upto(struct store *st, const char *channel, int64_t now,
    size_t max, int64_t max_id, struct store_queue_msg **out, size_t *n)
{
	struct pgs_params p;
	struct claimed *c;
	PGresult *r;
	size_t cnt, i;

	*out = NULL;
	*n = 0;
	if (max == 0)
		return 0;
	pgs_p_init(&p);
	pgs_p_text(&p, channel);
	pgs_p_int(&p, now);
	pgs_p_int(&p, (int64_t)max);
	pgs_p_int(&p, max_id);
	pgs_p_text(&p, st->node);
	if ((r = pgs_run(st, &msgs, M_CLAIM, &p)) == NULL)
		return STORE_ERR;
	/* RETURNING keeps no order: put them back in the order due. */
	cnt = (size_t)PQntuples(r);
	c = xcalloc(cnt + 1, sizeof(*c));
	for (i = 0; i < cnt; i++) {
		c[i].m.id = pgs_get_int(r, (int)i, 0);
		c[i].m.phone = pgs_get_dup(r, (int)i, 1);
		c[i].m.text = pgs_get_dup(r, (int)i, 2);
		c[i].m.attempts = (int)pgs_get_int(r, (int)i, 3);
		c[i].m.created = pgs_get_int(r, (int)i, 4);
		c[i].m.segments = (int)pgs_get_int(r, (int)i, 5);
		c[i].due = pgs_get_int(r, (int)i, 6);
	}
	PQclear(r);
	qsort(c, cnt, sizeof(*c), by_due);
	*out = xcalloc(max, sizeof(**out));
	for (i = 0; i < cnt; i++)
		(*out)[i] = c[i].m;
	free(c);
	*n = cnt;
	return 0;
}

int64_t
pgs_msg_max_id(struct store *st)
{
	int64_t id = 0;

	if (one_int(st, M_MAX_ID, NULL, &id) == STORE_ERR)
		return STORE_ERR;
	return id;
}

/* Marks message id sent: 1, 0 when it was not being sent, or STORE_ERR. */
static int
sent(struct store *st, int64_t id, const char *provider_id, int64_t now)
{
	struct pgs_params p;
	int64_t n;

	pgs_p_init(&p);
	pgs_p_int(&p, id);
	pgs_p_text(&p, provider_id);
	pgs_p_int(&p, now);
	if ((n = changes(st, M_SENT, &p)) < 0)
		return STORE_ERR;
	return n > 0;
}

int
pgs_queue_sent_claimed(struct store *st, int64_t id, const char *provider_id,
    const char *channel, int segments, int64_t now)
{
	char day[STORE_DAY_LEN];
	struct pgs_params p;
	int rc = sent(st, id, provider_id, now);

	if (rc <= 0 || channel == NULL)
		return rc;
	pgs_p_init(&p);
	pgs_p_text(&p, channel);
	pgs_p_text(&p, store_local_day(now, day));
	pgs_p_text(&p, st->node);
	pgs_p_int(&p, segments);
	return pgs_exec(st, &msgs, M_SPEND_CLAIMED, &p, NULL);
}

int
pgs_queue_sent(
    struct store *st, int64_t id, const char *provider_id, int64_t now)
{
	char day[STORE_DAY_LEN];
	struct pgs_params p;
	int rc = sent(st, id, provider_id, now);

	if (rc <= 0)
		return rc;
	/* Only a message that was being sent has just cost something. */
	pgs_p_init(&p);
	pgs_p_int(&p, id);
	pgs_p_text(&p, store_local_day(now, day));
	pgs_p_text(&p, st->node);
	return pgs_exec(st, &msgs, M_SPEND, &p, NULL);
}

int
pgs_queue_retry(struct store *st, int64_t id, int64_t next_attempt,
    const char *error, int64_t now)
{
	struct pgs_params p;

	pgs_p_init(&p);
	pgs_p_int(&p, id);
	pgs_p_int(&p, next_attempt);
	pgs_p_text(&p, error);
	pgs_p_int(&p, now);
	return pgs_exec(st, &msgs, M_RETRY, &p, NULL);
}

int
pgs_queue_fail(struct store *st, int64_t id, const char *error, int64_t now)
{
	struct pgs_params p;

	pgs_p_init(&p);
	pgs_p_int(&p, id);
	pgs_p_text(&p, error != NULL ? error : "failed");
	pgs_p_int(&p, now);
	return pgs_exec(st, &msgs, M_FAIL, &p, NULL);
}

int
pgs_queue_report(struct store *st, const char *channel, const char *provider_id,
    int64_t own_id, enum msg_state state, const char *error, int64_t now)
{
	int i = provider_id != NULL ? M_REPORT_PID : M_REPORT_ID;
	struct pgs_params p;
	int64_t n;

	if (!state_outbound(state))
		return STORE_EINVAL;
	pgs_p_init(&p);
	pgs_p_text(&p, channel);
	if (provider_id != NULL)
		pgs_p_text(&p, provider_id);
	else
		pgs_p_int(&p, own_id);
	pgs_p_text(&p, msg_state_name(state));
	pgs_p_text(&p, error);
	pgs_p_int(&p, now);
	if ((n = changes(st, i, &p)) < 0)
		return STORE_ERR;
	return n > 0 ? 0 : STORE_NOTFOUND;
}

int
pgs_queue_newest(
    struct store *st, const char *channel, const char *provider_id, int64_t *id)
{
	struct pgs_params p;

	*id = 0;
	pgs_p_init(&p);
	pgs_p_text(&p, channel);
	pgs_p_text(&p, provider_id);
	return one_int(st, M_NEWEST_PID, &p, id);
}

/*
 * Messages left "sending" by a stop go back to the queue: with a node's
 * name set, only the ones this node claimed (and unowned ones), never what
 * another node, still running, is sending at that moment. A dead node's
 * claims come back by store_queue_sweep on the nodes that live.
 */
int
pgs_queue_recover(struct store *st, int64_t now)
{
	struct pgs_params p;

	pgs_p_init(&p);
	pgs_p_int(&p, now);
	pgs_p_text(&p, st->node);
	return (int)changes(st, M_RECOVER, &p);
}

int64_t
pgs_queue_next_due(struct store *st, const char *channel)
{
	struct pgs_params p;
	int64_t t = -1;

	pgs_p_init(&p);
	pgs_p_text(&p, channel);
	(void)one_int(st, M_NEXT_DUE, &p, &t);
	return t;
}

int
pgs_queue_move(struct store *st, const char *from, const char *to, int64_t now,
    int64_t due_by)
{
	struct pgs_params p;

	pgs_p_init(&p);
	pgs_p_text(&p, from);
	pgs_p_text(&p, to);
	pgs_p_int(&p, now);
	pgs_p_int(&p, due_by);
	return (int)changes(st, M_MOVE, &p);
}

/*
 * Idempotency keys and modem state (store_misc.c)
 */

int
pgs_idem_get(struct store *st, const char *endpoint, const char *key,
    struct store_idem *out)
{
	struct pgs_params p;
	PGresult *r;

	memset(out, 0, sizeof(*out));
	pgs_p_init(&p);
	pgs_p_text(&p, endpoint);
	pgs_p_text(&p, key);
	pgs_p_int(&p, STORE_IDEM_HASH);
	if ((r = pgs_run(st, &msgs, X_IDEM_GET, &p)) == NULL)
		return STORE_ERR;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return STORE_NOTFOUND;
	}
	(void)pgs_get_bytes(r, 0, 0, out->hash, sizeof(out->hash));
	out->hash_len = (size_t)pgs_get_int(r, 0, 1);
	out->status = (int)pgs_get_int(r, 0, 2);
	out->answer = pgs_get_dup(r, 0, 3);
	if (out->answer == NULL)
		out->answer = xstrdup("");
	out->created = pgs_get_int(r, 0, 4);
	PQclear(r);
	return 0;
}

int
pgs_idem_put(struct store *st, const char *endpoint, const char *key,
    const unsigned char hash[STORE_IDEM_HASH], int status, const char *answer,
    int64_t now)
{
	struct pgs_params p;

	pgs_p_init(&p);
	pgs_p_text(&p, endpoint);
	pgs_p_text(&p, key);
	pgs_p_bytes(&p, hash, STORE_IDEM_HASH);
	pgs_p_int(&p, status);
	pgs_p_text(&p, answer);
	pgs_p_int(&p, now);
	return pgs_exec(st, &msgs, X_IDEM_PUT, &p, NULL);
}

int64_t
pgs_idem_purge(struct store *st, int64_t before)
{
	struct pgs_params p;

	pgs_p_init(&p);
	pgs_p_int(&p, before);
	return changes(st, X_IDEM_PURGE, &p);
}

/* A time column: -1 for NULL. */
static int64_t
time_or_none(const PGresult *r, int col)
{
	return pgs_isnull(r, 0, col) ? -1 : pgs_get_int(r, 0, col);
}

int
pgs_modem_state_get(struct store *st, const char *channel,
    int (*cb)(void *arg, const struct store_modem *), void *arg)
{
	struct store_modem m;
	struct pgs_params p;
	PGresult *r;

	pgs_p_init(&p);
	pgs_p_text(&p, channel);
	if ((r = pgs_run(st, &msgs, X_MODEM_GET, &p)) == NULL)
		return STORE_ERR;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return STORE_NOTFOUND;
	}
	memset(&m, 0, sizeof(m));
	m.channel = channel;
	m.balance = pgs_isnull(r, 0, 0) ? NULL : PQgetvalue(r, 0, 0);
	m.balance_at = time_or_none(r, 1);
	m.last_error = pgs_isnull(r, 0, 2) ? NULL : PQgetvalue(r, 0, 2);
	m.failures = pgs_get_int(r, 0, 3);
	m.restarts = pgs_get_int(r, 0, 4);
	m.up = (int)pgs_get_int(r, 0, 5);
	m.signal = (int)pgs_get_int(r, 0, 6);
	m.network = pgs_isnull(r, 0, 7) ? NULL : PQgetvalue(r, 0, 7);
	m.updated = time_or_none(r, 8);
	cb(arg, &m);
	PQclear(r);
	return 0;
}

int
pgs_modem_state_put(struct store *st, const struct store_modem *m)
{
	struct pgs_params p;

	pgs_p_init(&p);
	pgs_p_text(&p, m->channel);
	pgs_p_int(&p, m->up);
	pgs_p_int(&p, m->signal);
	pgs_p_text(&p, m->network);
	pgs_p_text(&p, m->balance);
	if (m->balance_at > 0)
		pgs_p_int(&p, m->balance_at);
	else
		pgs_p_text(&p, NULL);
	pgs_p_text(&p, m->last_error);
	pgs_p_int(&p, m->failures);
	pgs_p_int(&p, m->restarts);
	if (m->updated > 0)
		pgs_p_int(&p, m->updated);
	else
		pgs_p_text(&p, NULL);
	return pgs_exec(st, &msgs, X_MODEM_PUT, &p, NULL);
}
