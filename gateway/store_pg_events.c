/*
 * store_pg_events.c: campaigns keyed to dates (store_campaign.c) and the
 * outbound event webhooks' queue (store_events.c) on PostgreSQL.
 *
 * Several nodes run the same campaigns and event senders: a campaign's
 * mark is a row made once (ON CONFLICT DO NOTHING tells the second node it
 * was too late), and an event is claimed with FOR UPDATE SKIP LOCKED, so
 * each goes out from one node. Dates are YYYY-MM-DD text, compared byte by
 * byte (COLLATE "C") as SQLite compares them, whatever the database's
 * collation.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/store_pg.h"
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
	E_INSERT,
	E_CLAIM,
	E_DELETE,
	E_RETRY,
	E_NEXT_DUE,
	E_DROP_OTHERS,
	E_MSG,
	E_WAITING,
	K_COUNT
};

/* The date column's value of row r ($2 names the column). */
#define DATE_OF "(r.row::json ->> $2::text)"
#define IS_DATE "'^[0-9]{4}-[0-9]{2}-[0-9]{2}$'"

/* Rows of the table not marked sent for (campaign $4, offset $5). */
#define NOT_SENT                                            \
	" AND NOT EXISTS (SELECT 1 FROM campaign_sent AS s" \
	" WHERE s.campaign = $4 AND s.row_key = r.key"      \
	" AND s.offset_days = $5 AND s.date = " DATE_OF ")"

static const char *const events_sql[K_COUNT] = {
    [K_COLUMNS] = "SELECT e.c FROM data_tables AS t,"
		  " json_array_elements_text(t.columns::json)"
		  " WITH ORDINALITY AS e(c, n) WHERE t.name = $1"
		  " ORDER BY e.n",
    /* In the order the rows were imported, as on SQLite (rowid). */
    [K_DUE] = "SELECT r.key, r.row, " DATE_OF " FROM data_rows AS r"
	      " WHERE r.table_name = $1 AND json_typeof(r.row::json ->"
	      " $2::text) = 'string' AND " DATE_OF
	      " IN (SELECT json_array_elements_text($3::json))" NOT_SENT
	      " ORDER BY r.ctid",
    [K_DATES] = "SELECT d, count(*) FROM (SELECT " DATE_OF
		" COLLATE \"C\" AS d FROM data_rows AS r"
		" WHERE r.table_name = $1 AND json_typeof(r.row::json ->"
		" $2::text) = 'string' AND " DATE_OF " COLLATE \"C\" >= $3"
		" AND " DATE_OF " ~ " IS_DATE NOT_SENT ") AS x"
		" GROUP BY d ORDER BY d",
    [K_MARK] = "INSERT INTO campaign_sent (campaign, row_key, offset_days,"
	       " date, message_id, created) VALUES ($1, $2, $3, $4, $5, $6)"
	       " ON CONFLICT DO NOTHING",
    [K_SENT] = "SELECT count(*) FROM campaign_sent WHERE campaign = $1",
    [K_BAD_DATES] = "SELECT count(*) FROM data_rows AS r"
		    " WHERE r.table_name = $1 AND NOT coalesce("
		    " json_typeof(r.row::json -> $2::text) = 'string'"
		    " AND " DATE_OF " ~ " IS_DATE ", false)",
    [K_LAST_RUN] = "SELECT last_run FROM campaign_runs WHERE campaign = $1",
    [K_SET_LAST_RUN] = "INSERT INTO campaign_runs (campaign, last_run)"
		       " VALUES ($1, $2) ON CONFLICT (campaign)"
		       " DO UPDATE SET last_run = excluded.last_run",
    [E_INSERT] = "INSERT INTO events (sink, event, data, created,"
		 " next_attempt) VALUES ($1, $2, $3, $4, $4) RETURNING id",
    /* A claim is a lease: the row comes due again at $3 by itself. */
    [E_CLAIM] = "WITH due AS (SELECT id FROM events"
		" WHERE sink = $1 AND next_attempt <= $2"
		" ORDER BY next_attempt, id LIMIT $4 FOR UPDATE SKIP LOCKED)"
		" UPDATE events AS e SET attempts = attempts + 1,"
		" next_attempt = $3 FROM due WHERE e.id = due.id"
		" RETURNING e.id, e.event, e.data, e.created, e.attempts",
    [E_DELETE] = "DELETE FROM events WHERE id = $1",
    [E_RETRY] = "UPDATE events SET next_attempt = $2, error = $3"
		" WHERE id = $1",
    [E_NEXT_DUE] = "SELECT min(next_attempt) FROM events WHERE sink = $1",
    [E_DROP_OTHERS] = "DELETE FROM events WHERE sink NOT IN"
		      " (SELECT json_array_elements_text($1::json))",
    [E_MSG] = "SELECT id, direction, kind, channel, contact_id, phone,"
	      " text, state, error, attempts, created, updated"
	      " FROM messages WHERE id = $1",
    [E_WAITING] = "SELECT count(*) FROM events",
};

_Static_assert(K_COUNT <= PGS_PART_MAX, "too many statements");

static const struct pgs_sql events = {PGS_PART_EVENTS, events_sql, K_COUNT};

/* Runs statement i for one integer into *n (0 for none). */
static int
count_of(struct store *st, int i, const struct pgs_params *p, int64_t *n)
{
	PGresult *r = pgs_run(st, &events, i, p);

	*n = 0;
	if (r == NULL)
		return STORE_ERR;
	if (PQntuples(r) > 0)
		*n = pgs_get_int(r, 0, 0);
	PQclear(r);
	return 0;
}

/*
 * Campaigns
 */

int
pgs_campaign_columns(
    struct store *st, const char *table, store_name_cb cb, void *arg)
{
	struct pgs_params p;
	PGresult *r;
	int i, n;

	pgs_p_init(&p);
	pgs_p_text(&p, table);
	if ((r = pgs_run(st, &events, K_COLUMNS, &p)) == NULL)
		return STORE_ERR;
	n = PQntuples(r);
	for (i = 0; i < n; i++)
		if (cb != NULL && cb(arg, PQgetvalue(r, i, 0)) != 0)
			break;
	PQclear(r);
	return n > 0 ? 0 : STORE_ENOTABLE;
}

/* The query's $1, $2, then $3 (given), $4 and $5. */
static void
p_query(struct pgs_params *p, const struct store_campaign_query *q,
    const char *third)
{
	pgs_p_init(p);
	pgs_p_text(p, q->table);
	pgs_p_text(p, q->date_column);
	pgs_p_text(p, third);
	pgs_p_text(p, q->campaign);
	pgs_p_int(p, q->offset_days);
}

int
pgs_campaign_due(struct store *st, const struct store_campaign_query *q,
    const char *dates, store_campaign_row_cb cb, void *arg)
{
	struct store_campaign_row row;
	struct pgs_params p;
	PGresult *r;
	int i;

	p_query(&p, q, dates);
	if ((r = pgs_run(st, &events, K_DUE, &p)) == NULL)
		return STORE_ERR;
	for (i = 0; i < PQntuples(r); i++) {
		row.key = PQgetvalue(r, i, 0);
		row.row = PQgetvalue(r, i, 1);
		row.date = PQgetvalue(r, i, 2);
		if (cb(arg, &row) != 0)
			break;
	}
	PQclear(r);
	return 0;
}

int
pgs_campaign_dates(struct store *st, const struct store_campaign_query *q,
    const char *from, store_count_cb cb, void *arg)
{
	struct pgs_params p;
	PGresult *r;
	int i;

	p_query(&p, q, from);
	if ((r = pgs_run(st, &events, K_DATES, &p)) == NULL)
		return STORE_ERR;
	for (i = 0; i < PQntuples(r); i++)
		if (cb(arg, PQgetvalue(r, i, 0), pgs_get_int(r, i, 1)) != 0)
			break;
	PQclear(r);
	return 0;
}

int
pgs_campaign_mark(struct store *st, const char *name, const char *row_key,
    int offset_days, const char *date, int64_t message_id, int64_t now)
{
	struct pgs_params p;
	int64_t n = 0;

	pgs_p_init(&p);
	pgs_p_text(&p, name);
	pgs_p_text(&p, row_key);
	pgs_p_int(&p, offset_days);
	pgs_p_text(&p, date);
	if (message_id > 0)
		pgs_p_int(&p, message_id);
	else
		pgs_p_text(&p, NULL);
	pgs_p_int(&p, now);
	if (pgs_exec(st, &events, K_MARK, &p, &n) != 0)
		return STORE_ERR;
	return n == 1 ? 0 : STORE_EDUP;
}

int
pgs_campaign_sent(struct store *st, const char *name, int64_t *n)
{
	struct pgs_params p;

	pgs_p_init(&p);
	pgs_p_text(&p, name);
	return count_of(st, K_SENT, &p, n);
}

int
pgs_campaign_bad_dates(
    struct store *st, const char *table, const char *date_column, int64_t *n)
{
	struct pgs_params p;

	pgs_p_init(&p);
	pgs_p_text(&p, table);
	pgs_p_text(&p, date_column);
	return count_of(st, K_BAD_DATES, &p, n);
}

int
pgs_campaign_last_run(struct store *st, const char *name, int64_t *ms)
{
	struct pgs_params p;
	PGresult *r;
	int rc = STORE_NOTFOUND;

	pgs_p_init(&p);
	pgs_p_text(&p, name);
	if ((r = pgs_run(st, &events, K_LAST_RUN, &p)) == NULL)
		return STORE_ERR;
	if (PQntuples(r) > 0) {
		*ms = pgs_get_int(r, 0, 0);
		rc = 0;
	}
	PQclear(r);
	return rc;
}

int
pgs_campaign_set_last_run(struct store *st, const char *name, int64_t ms)
{
	struct pgs_params p;

	pgs_p_init(&p);
	pgs_p_text(&p, name);
	pgs_p_int(&p, ms);
	return pgs_exec(st, &events, K_SET_LAST_RUN, &p, NULL);
}

/*
 * Event webhooks
 */

int
pgs_event_insert(struct store *st, const char *sink, const char *event,
    const char *data, int64_t now, int64_t *id)
{
	struct pgs_params p;
	PGresult *r;
	const char *state;
	int ok;

	if (id != NULL)
		*id = 0;
	if (sink == NULL || event == NULL || data == NULL ||
	    strnlen(data, STORE_EVENT_DATA_MAX + 1) > STORE_EVENT_DATA_MAX)
		return STORE_EINVAL;
	pgs_p_init(&p);
	pgs_p_text(&p, sink);
	pgs_p_text(&p, event);
	pgs_p_text(&p, data);
	pgs_p_int(&p, now);
	/* Data that is not JSON fails its CHECK: the caller's mistake. */
	if (pgs_guard(st) != 0)
		return STORE_ERR;
	r = pgs_run(st, &events, E_INSERT, &p);
	ok = r != NULL;
	if (ok && id != NULL)
		*id = pgs_get_int(r, 0, 0);
	PQclear(r);
	if (pgs_unguard(st, ok) != 0)
		return STORE_ERR;
	if (ok)
		return 0;
	state = pgs_sqlstate(st);
	if (strncmp(state, "22", 2) == 0 || strcmp(state, "23514") == 0)
		return STORE_EINVAL;
	return STORE_ERR;
}

/* For qsort: RETURNING keeps no order; the oldest event first. */
static int
by_id(const void *a, const void *b)
{
	const struct store_event *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

int
pgs_event_claim(struct store *st, const char *sink, int64_t now, int64_t lease,
    size_t max, struct store_event **out, size_t *n)
{
	struct pgs_params p;
	struct store_event *v;
	PGresult *r;
	size_t k, i;

	*out = NULL;
	*n = 0;
	if (max == 0)
		return 0;
	pgs_p_init(&p);
	pgs_p_text(&p, sink);
	pgs_p_int(&p, now);
	pgs_p_int(&p, lease);
	pgs_p_int(&p, (int64_t)max);
	if ((r = pgs_run(st, &events, E_CLAIM, &p)) == NULL)
		return STORE_ERR;
	k = (size_t)PQntuples(r);
	if (k == 0) {
		PQclear(r);
		return 0;
	}
	v = xcalloc(k, sizeof(*v));
	for (i = 0; i < k; i++) {
		v[i].id = pgs_get_int(r, (int)i, 0);
		v[i].event = pgs_get_dup(r, (int)i, 1);
		v[i].data = pgs_get_dup(r, (int)i, 2);
		v[i].created = pgs_get_int(r, (int)i, 3);
		v[i].attempts = (int)pgs_get_int(r, (int)i, 4);
	}
	PQclear(r);
	qsort(v, k, sizeof(*v), by_id);
	*out = v;
	*n = k;
	return 0;
}

int
pgs_event_delete(struct store *st, int64_t id)
{
	struct pgs_params p;

	pgs_p_init(&p);
	pgs_p_int(&p, id);
	return pgs_exec(st, &events, E_DELETE, &p, NULL);
}

int
pgs_event_retry(
    struct store *st, int64_t id, int64_t next_attempt, const char *error)
{
	struct pgs_params p;

	pgs_p_init(&p);
	pgs_p_int(&p, id);
	pgs_p_int(&p, next_attempt);
	pgs_p_text(&p, error);
	return pgs_exec(st, &events, E_RETRY, &p, NULL);
}

int64_t
pgs_event_next_due(struct store *st, const char *sink)
{
	struct pgs_params p;
	PGresult *r;
	int64_t due = -1;

	pgs_p_init(&p);
	pgs_p_text(&p, sink);
	if ((r = pgs_run(st, &events, E_NEXT_DUE, &p)) == NULL)
		return -1;
	if (PQntuples(r) > 0 && !pgs_isnull(r, 0, 0))
		due = pgs_get_int(r, 0, 0);
	PQclear(r);
	return due;
}

int64_t
pgs_event_drop_others(struct store *st, const char *sinks_json)
{
	struct pgs_params p;
	int64_t n = 0;

	pgs_p_init(&p);
	pgs_p_text(&p, sinks_json);
	if (pgs_exec(st, &events, E_DROP_OTHERS, &p, &n) != 0)
		return STORE_ERR;
	return n;
}

int
pgs_event_msg_get(struct store *st, int64_t id, struct store_event_msg *out)
{
	struct pgs_params p;
	PGresult *r;
	int bad;

	memset(out, 0, sizeof(*out));
	pgs_p_init(&p);
	pgs_p_int(&p, id);
	if ((r = pgs_run(st, &events, E_MSG, &p)) == NULL)
		return STORE_ERR;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return STORE_NOTFOUND;
	}
	out->id = pgs_get_int(r, 0, 0);
	out->direction =
	    strcmp(PQgetvalue(r, 0, 1), "out") == 0 ? MSG_OUT : MSG_IN;
	out->kind =
	    strcmp(PQgetvalue(r, 0, 2), "ussd") == 0 ? MSG_USSD : MSG_SMS;
	out->channel = pgs_get_dup(r, 0, 3);
	out->contact_id = pgs_get_int(r, 0, 4);
	out->phone = pgs_get_dup(r, 0, 5);
	out->text = pgs_get_dup(r, 0, 6);
	bad = msg_state_parse(PQgetvalue(r, 0, 7), &out->state) != 0;
	out->error = pgs_get_dup(r, 0, 8);
	out->attempts = (int)pgs_get_int(r, 0, 9);
	out->created = pgs_get_int(r, 0, 10);
	out->updated = pgs_get_int(r, 0, 11);
	PQclear(r);
	if (bad) { /* The schema's CHECK allows no other state. */
		store_event_msg_free(out);
		return STORE_ERR;
	}
	return 0;
}

int
pgs_event_waiting(struct store *st, int64_t *n)
{
	return count_of(st, E_WAITING, NULL, n);
}
