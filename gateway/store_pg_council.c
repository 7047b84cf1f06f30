/*
 * store_pg_council.c: the council's and the commands' queries on
 * PostgreSQL, as store_council.c on SQLite: broadcasts, forgetting a
 * contact and the retention purge, what `baraza contact` shows, reports
 * beyond their rows, and the figures of /metrics and `baraza stats`.
 *
 * Texts sort byte by byte (COLLATE "C"), as SQLite sorts them. Lists of
 * statuses, categories and ids come as JSON arrays, as on SQLite.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/store_check.h"
#include "gateway/store_pg.h"
#include "lib/util.h"

enum {
	C_AUDIENCE,
	C_QUEUE_CHUNK,
	C_BROADCAST_INSERT,
	C_BROADCAST_TOTALS,
	C_BROADCAST_ADVANCE,
	C_BROADCAST_PENDING,
	C_BROADCAST_GET,
	C_BROADCAST_STATES,
	C_CONTACT_BY_ID,
	C_CONTACT_TOPICS,
	C_CONTACT_MESSAGES,
	C_CONTACT_SESSIONS,
	C_CONTACT_REPORTS,
	C_FORGET_INFO,
	C_FORGET_CANCEL,
	C_FORGET_BLANK,
	C_FORGET_IN_FLIGHT,
	C_FORGET_CHANLOG,
	C_FORGET_MESSAGES,
	C_FORGET_USSD,
	C_FORGET_SESSIONS,
	C_FORGET_PARTS,
	C_FORGET_PART_KEYS,
	C_FORGET_SUBSCRIPTIONS,
	C_FORGET_REPORTS,
	C_FORGET_CONTACT,
	C_PURGE,
	C_PURGE_LEFT,
	C_REPORT_LIST,
	C_REPORT_EVENTS,
	C_REPORT_LAST_NOTE,
	C_REPORT_CATEGORIES,
	C_STATS_MESSAGES,
	C_STATS_REPORTS,
	C_STATS_SESSIONS,
	C_STATS_RESOLUTION,
	C_STATS_FAILURES,
	C_STATS_MODEMS,
	C_STATS_MODEM_KNOWN,
	C_COUNT
};

static const char *const council_sql[C_COUNT] = {
    [C_AUDIENCE] = "SELECT count(*) FROM subscriptions s JOIN contacts c"
		   " ON c.id = s.contact_id WHERE s.topic = $1"
		   " AND c.opted_out = 0",
    /*
     * One chunk of the audience, in contact order after contact $9; the
     * count and the chunk's last contact come back from the insert.
     */
    [C_QUEUE_CHUNK] =
	"WITH ins AS (INSERT INTO messages (direction, channel, kind,"
	" contact_id, phone, text, state, segments, next_attempt,"
	" broadcast_id, created, updated)"
	" SELECT 'out', CASE WHEN c.last_channel IN"
	" (SELECT json_array_elements_text($1::json)) THEN c.last_channel"
	" ELSE $2 END, 'sms', c.id, c.phone, $3, 'queued', $4, $5, $6, $7, $7"
	" FROM subscriptions s JOIN contacts c ON c.id = s.contact_id"
	" WHERE s.topic = $8 AND s.contact_id > $9 AND c.opted_out = 0"
	" ORDER BY s.contact_id LIMIT $10 RETURNING contact_id)"
	" SELECT count(*), max(contact_id) FROM ins",
    [C_BROADCAST_INSERT] = "INSERT INTO broadcasts (text, topic, channel,"
			   " created, send_at, recipients, segments)"
			   " VALUES ($1, $2, $3, $4, $5, 0, 0) RETURNING id",
    [C_BROADCAST_ADVANCE] = "UPDATE broadcasts SET queued_upto ="
			    " CASE WHEN $3::bigint < 0 THEN NULL ELSE $3 END"
			    " WHERE id = $1 AND coalesce(queued_upto, -1) = $2",
    /* The columns of C_BROADCAST_GET, then queued_upto. */
    [C_BROADCAST_PENDING] = "SELECT id, text, topic, channel, created,"
			    " send_at, recipients, segments, queued_upto"
			    " FROM broadcasts WHERE queued_upto IS NOT NULL"
			    " ORDER BY id LIMIT 1",
    /* Recipients -1: the messages it queued, counted on their index. */
    [C_BROADCAST_TOTALS] = "UPDATE broadcasts SET recipients = CASE"
			   " WHEN $2::bigint >= 0 THEN $2::bigint"
			   " ELSE (SELECT count(*) FROM messages"
			   " WHERE broadcast_id = $1) END,"
			   " segments = $3 WHERE id = $1",
    [C_BROADCAST_GET] = "SELECT id, text, topic, channel, created, send_at,"
			" recipients, segments FROM broadcasts WHERE id = $1",
    [C_BROADCAST_STATES] = "SELECT state, count(*) FROM messages"
			   " WHERE broadcast_id = $1 GROUP BY state",
    [C_CONTACT_BY_ID] = "SELECT id, phone, language, opted_out, fields,"
			" last_channel, created, updated FROM contacts"
			" WHERE id = $1",
    [C_CONTACT_TOPICS] = "SELECT topic FROM subscriptions"
			 " WHERE contact_id = $1 ORDER BY topic COLLATE \"C\"",
    [C_CONTACT_MESSAGES] =
	"SELECT direction COLLATE \"C\", state COLLATE \"C\", count(*),"
	" count(text) FROM messages WHERE contact_id = $1 OR phone = $2"
	" GROUP BY 1, 2 ORDER BY 1, 2",
    [C_CONTACT_SESSIONS] = "SELECT count(*) FROM sessions"
			   " WHERE contact_id = $1 AND expires > $2",
    [C_CONTACT_REPORTS] = "SELECT id, status, category, created FROM reports"
			  " WHERE contact_id = $1 ORDER BY id",
    /*
     * Forgetting: contact $1, now $2, its number $3 (as used). Its fields
     * are counted as SQLite's json_each counts them: keys, elements, or 1.
     */
    [C_FORGET_INFO] = "SELECT CASE WHEN fields IS NULL THEN 0"
		      " WHEN json_typeof(fields::json) = 'object' THEN"
		      " (SELECT count(*) FROM json_object_keys(fields::json))"
		      " WHEN json_typeof(fields::json) = 'array' THEN"
		      " json_array_length(fields::json) ELSE 1 END,"
		      " (language IS NOT NULL)::int, phone FROM contacts"
		      " WHERE id = $1",
    [C_FORGET_CANCEL] = "UPDATE messages SET state = 'failed',"
			" error = 'forgotten', text = NULL,"
			" next_attempt = NULL, updated = $2"
			" WHERE (contact_id = $1 OR phone = $3)"
			" AND state = 'queued'",
    [C_FORGET_BLANK] = "UPDATE messages SET text = NULL"
		       " WHERE (contact_id = $1 OR phone = $2)"
		       " AND text IS NOT NULL AND state <> 'sending'",
    [C_FORGET_IN_FLIGHT] = "SELECT count(*) FROM messages"
			   " WHERE (contact_id = $1 OR phone = $2)"
			   " AND text IS NOT NULL AND state = 'sending'",
    [C_FORGET_CHANLOG] = "DELETE FROM channel_log WHERE message_id IN"
			 " (SELECT id FROM messages"
			 " WHERE (contact_id = $1 OR phone = $2)"
			 " AND state <> 'sending')",
    [C_FORGET_MESSAGES] = "DELETE FROM messages"
			  " WHERE (contact_id = $1 OR phone = $2)"
			  " AND state <> 'sending'",
    [C_FORGET_SESSIONS] = "DELETE FROM sessions WHERE contact_id = $1",
    [C_FORGET_USSD] = "DELETE FROM ussd_seen"
		      " WHERE right(key, length($1) + 1) = chr(31) || $1",
    /*
     * Parts of a long message waiting go; joined ones keep their key (a
     * provider's retry stays a duplicate) without the number.
     */
    [C_FORGET_PARTS] = "DELETE FROM sms_parts WHERE phone = $1"
		       " AND joined = 0",
    [C_FORGET_PART_KEYS] = "UPDATE sms_parts SET phone = '', ref = ''"
			   " WHERE phone = $1 AND joined = 1",
    [C_FORGET_SUBSCRIPTIONS] = "DELETE FROM subscriptions"
			       " WHERE contact_id = $1",
    [C_FORGET_REPORTS] = "UPDATE reports SET contact_id = NULL"
			 " WHERE contact_id = $1",
    [C_FORGET_CONTACT] = "UPDATE contacts SET fields = '{}', language = NULL,"
			 " last_channel = NULL, updated = $2 WHERE id = $1",
    [C_PURGE] = "UPDATE messages SET text = NULL WHERE id >= $2 AND id < $3"
		" AND created < $1 AND text IS NOT NULL"
		" AND state NOT IN ('queued', 'sending')",
    [C_PURGE_LEFT] = "SELECT coalesce(min(id), 0) FROM messages"
		     " WHERE id >= $1 AND id < $2 AND text IS NOT NULL",
    [C_REPORT_LIST] =
	"SELECT r.id, r.contact_id, r.flow, r.category, r.location,"
	" r.details, r.status, r.created, r.updated,"
	" (SELECT e.note FROM report_events e WHERE e.report_id = r.id"
	"  AND e.note IS NOT NULL AND e.note <> '' ORDER BY e.id DESC LIMIT 1)"
	" FROM reports r"
	" WHERE ($1::text IS NULL OR r.status IN"
	"  (SELECT json_array_elements_text($1::json)))"
	" AND ($2::text IS NULL OR r.category IN"
	"  (SELECT json_array_elements_text($2::json)))"
	" AND ($3::text IS NULL OR r.id IN"
	"  (SELECT json_array_elements_text($3::json)::bigint))"
	" AND ($4::bigint IS NULL OR r.created >= $4)"
	" AND ($5::bigint IS NULL OR r.created <= $5)"
	" ORDER BY r.id DESC LIMIT $6::bigint",
    /* The newest $2 events, in time order. */
    [C_REPORT_EVENTS] = "SELECT time, status, note FROM (SELECT id, time,"
			" status, note FROM report_events"
			" WHERE report_id = $1 ORDER BY id DESC LIMIT $2) AS x"
			" ORDER BY id",
    [C_REPORT_LAST_NOTE] = "SELECT note FROM report_events"
			   " WHERE report_id = $1 AND note IS NOT NULL"
			   " AND note <> '' ORDER BY id DESC LIMIT 1",
    [C_REPORT_CATEGORIES] = "SELECT DISTINCT category COLLATE \"C\" AS c"
			    " FROM reports WHERE category IS NOT NULL"
			    " AND category <> '' ORDER BY c LIMIT $1",
    [C_STATS_MESSAGES] = "SELECT channel COLLATE \"C\", state COLLATE \"C\","
			 " count(*) FROM messages GROUP BY 1, 2"
			 " ORDER BY 1, 2",
    [C_STATS_REPORTS] = "SELECT coalesce(category, '') COLLATE \"C\","
			" status COLLATE \"C\", count(*)"
			" FROM reports GROUP BY 1, 2 ORDER BY 1, 2",
    [C_STATS_SESSIONS] = "SELECT (SELECT count(*) FROM sessions"
			 " WHERE purge_after > $1)"
			 " + (SELECT count(*) FROM sessions"
			 " WHERE purge_after <= $1 AND expires > $1)",
    /* Each resolved or closed report's first resolving event, seconds. */
    [C_STATS_RESOLUTION] =
	"SELECT count(*), coalesce(sum(d), 0)::float8,"
	" count(*) FILTER (WHERE d <= $1::float8),"
	" count(*) FILTER (WHERE d <= $2::float8),"
	" count(*) FILTER (WHERE d <= $3::float8),"
	" count(*) FILTER (WHERE d <= $4::float8),"
	" count(*) FILTER (WHERE d <= $5::float8),"
	" count(*) FILTER (WHERE d <= $6::float8),"
	" count(*) FILTER (WHERE d <= $7::float8),"
	" count(*) FILTER (WHERE d <= $8::float8)"
	" FROM (SELECT (min(e.time) - r.created) / 1000.0::float8 AS d"
	"  FROM reports r JOIN report_events e ON e.report_id = r.id"
	"  WHERE r.status IN ('resolved', 'closed')"
	"   AND e.status IN ('resolved', 'closed')"
	"  GROUP BY r.id, r.created) AS x",
    [C_STATS_FAILURES] = "SELECT updated, channel, phone, coalesce(error, '')"
			 " FROM messages WHERE state = 'failed'"
			 " ORDER BY updated DESC, id DESC LIMIT $1",
    [C_STATS_MODEMS] = "SELECT channel, up, signal, network, balance,"
		       " balance_at, last_error, failures, restarts, updated"
		       " FROM modem_state ORDER BY channel COLLATE \"C\"",
    [C_STATS_MODEM_KNOWN] = "SELECT 1 FROM modem_state WHERE channel = $1",
};

_Static_assert(C_COUNT <= PGS_PART_MAX, "too many statements");

static const struct pgs_sql council = {PGS_PART_COUNCIL, council_sql, C_COUNT};

/* A text column as a borrowed string, NULL for NULL. */
static const char *
text_of(const PGresult *r, int row, int col)
{
	return pgs_isnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

static int64_t
time_or_none(const PGresult *r, int row, int col)
{
	return pgs_isnull(r, row, col) ? -1 : pgs_get_int(r, row, col);
}

/* Runs statement i; *n (may be NULL) the rows it changed. */
static int
changed(struct store *st, int i, const struct pgs_params *p, int64_t *n)
{
	return pgs_exec(st, &council, i, p, n);
}

/* One integer: 0, STORE_NOTFOUND without a row, or STORE_ERR. */
static int
one_int(struct store *st, int i, const struct pgs_params *p, int64_t *v)
{
	PGresult *r = pgs_run(st, &council, i, p);
	int rc = STORE_NOTFOUND;

	if (r == NULL)
		return STORE_ERR;
	if (PQntuples(r) > 0) {
		*v = pgs_get_int(r, 0, 0);
		rc = 0;
	}
	PQclear(r);
	return rc;
}

/*
 * A LIMIT's parameter: SQLite takes a negative limit as none, PostgreSQL
 * refuses one, and takes LIMIT NULL as none.
 */
static void
p_limit(struct pgs_params *p, int64_t v)
{
	if (v < 0)
		pgs_p_text(p, NULL);
	else
		pgs_p_int(p, v);
}

/* One parameter, an integer. */
static const struct pgs_params *
p1(struct pgs_params *p, int64_t v)
{
	pgs_p_init(p);
	pgs_p_int(p, v);
	return p;
}

/*
 * Broadcasts
 */

int
pgs_broadcast_audience(struct store *st, const char *topic, int64_t *n)
{
	struct pgs_params p;
	int rc;

	pgs_p_init(&p);
	pgs_p_text(&p, topic);
	rc = one_int(st, C_AUDIENCE, &p, n);
	return rc == STORE_NOTFOUND ? STORE_ERR : rc;
}

int
pgs_broadcast_insert(struct store *st, const char *text, const char *topic,
    const char *channel, int64_t now, int64_t send_at, int64_t *id)
{
	struct pgs_params p;

	pgs_p_init(&p);
	pgs_p_text(&p, text);
	pgs_p_text(&p, topic);
	pgs_p_text(&p, channel);
	pgs_p_int(&p, now);
	pgs_p_int(&p, send_at);
	return one_int(st, C_BROADCAST_INSERT, &p, id) == 0 ? 0 : STORE_ERR;
}

int
pgs_broadcast_set_totals(
    struct store *st, int64_t id, int64_t recipients, int64_t segments)
{
	struct pgs_params p;

	pgs_p_init(&p);
	pgs_p_int(&p, id);
	pgs_p_int(&p, recipients);
	pgs_p_int(&p, segments);
	return changed(st, C_BROADCAST_TOTALS, &p, NULL);
}

/* A broadcasts row's columns id ... segments, as C_BROADCAST_GET's. */
static void
broadcast_row(PGresult *r, struct store_broadcast *out)
{
	out->id = pgs_get_int(r, 0, 0);
	out->text = pgs_get_dup(r, 0, 1);
	out->topic = pgs_get_dup(r, 0, 2);
	out->channel = pgs_get_dup(r, 0, 3);
	out->created = pgs_get_int(r, 0, 4);
	out->send_at = pgs_get_int(r, 0, 5);
	out->recipients = pgs_get_int(r, 0, 6);
	out->segments = pgs_get_int(r, 0, 7);
}

int
pgs_broadcast_advance(struct store *st, int64_t id, int64_t from, int64_t upto)
{
	struct pgs_params p;
	int64_t n = 0;

	pgs_p_init(&p);
	pgs_p_int(&p, id);
	pgs_p_int(&p, from);
	pgs_p_int(&p, upto);
	if (changed(st, C_BROADCAST_ADVANCE, &p, &n) != 0)
		return STORE_ERR;
	return n > 0;
}

int
pgs_broadcast_pending(
    struct store *st, struct store_broadcast *out, int64_t *upto)
{
	PGresult *r = pgs_run(st, &council, C_BROADCAST_PENDING, NULL);
	int rc = STORE_NOTFOUND;

	memset(out, 0, sizeof(*out));
	if (r == NULL)
		return STORE_ERR;
	if (PQntuples(r) > 0) {
		broadcast_row(r, out);
		*upto = pgs_get_int(r, 0, 8);
		rc = 0;
	}
	PQclear(r);
	return rc;
}

int
pgs_broadcast_queue_chunk(struct store *st,
    const struct store_broadcast_chunk *c, int64_t *after, int64_t *n)
{
	struct pgs_params p;
	PGresult *r;

	pgs_p_init(&p);
	pgs_p_text(&p, c->channels);
	pgs_p_text(&p, c->channel);
	pgs_p_text(&p, c->text);
	pgs_p_int(&p, c->segments);
	pgs_p_int(&p, c->send_at);
	pgs_p_int(&p, c->id);
	pgs_p_int(&p, c->now);
	pgs_p_text(&p, c->topic);
	pgs_p_int(&p, *after);
	p_limit(&p, c->limit);
	if ((r = pgs_run(st, &council, C_QUEUE_CHUNK, &p)) == NULL)
		return STORE_ERR;
	*n = pgs_get_int(r, 0, 0);
	if (*n > 0)
		*after = pgs_get_int(r, 0, 1);
	PQclear(r);
	return 0;
}

/* Adds n messages in state to the counts of b. */
static void
count_state(struct store_broadcast *b, const char *state, int64_t n)
{
	if (strcmp(state, "queued") == 0)
		b->queued = n;
	else if (strcmp(state, "sending") == 0)
		b->sending = n;
	else if (strcmp(state, "sent") == 0)
		b->sent = n;
	else if (strcmp(state, "delivered") == 0)
		b->delivered = n;
	else if (strcmp(state, "failed") == 0)
		b->failed = n;
}

int
pgs_broadcast_get(struct store *st, int64_t id, struct store_broadcast *out)
{
	struct pgs_params p;
	PGresult *r;
	int i;

	memset(out, 0, sizeof(*out));
	if ((r = pgs_run(st, &council, C_BROADCAST_GET, p1(&p, id))) == NULL)
		return STORE_ERR;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return STORE_NOTFOUND;
	}
	broadcast_row(r, out);
	PQclear(r);
	if ((r = pgs_run(st, &council, C_BROADCAST_STATES, &p)) == NULL) {
		store_broadcast_free(out);
		return STORE_ERR;
	}
	for (i = 0; i < PQntuples(r); i++)
		count_state(out, PQgetvalue(r, i, 0), pgs_get_int(r, i, 1));
	PQclear(r);
	return 0;
}

/*
 * SQLite's foreign key checks are turned off for a broadcast's own
 * transaction (council/broadcast.c), a speed-up: PostgreSQL's constraints
 * stay, and cost an index probe per row it writes anyway.
 */
int
pgs_foreign_keys(struct store *st, int on)
{
	(void)st;
	(void)on;
	return 0;
}

/*
 * A contact, as `baraza contact` shows it
 */

int
pgs_contact_by_id(struct store *st, int64_t id, struct store_contact *out)
{
	struct pgs_params p;
	PGresult *r;

	memset(out, 0, sizeof(*out));
	if ((r = pgs_run(st, &council, C_CONTACT_BY_ID, p1(&p, id))) == NULL)
		return STORE_ERR;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return STORE_NOTFOUND;
	}
	out->id = pgs_get_int(r, 0, 0);
	out->phone = pgs_get_dup(r, 0, 1);
	out->language = pgs_get_dup(r, 0, 2);
	out->opted_out = (int)pgs_get_int(r, 0, 3);
	out->fields = pgs_get_dup(r, 0, 4);
	out->last_channel = pgs_get_dup(r, 0, 5);
	out->created = pgs_get_int(r, 0, 6);
	out->updated = pgs_get_int(r, 0, 7);
	if (out->fields == NULL)
		out->fields = xstrdup("{}");
	PQclear(r);
	return 0;
}

/* Walks the first column of statement i's rows with a name callback. */
static int
names(struct store *st, int i, const struct pgs_params *p, store_name_cb cb,
    void *arg)
{
	PGresult *r = pgs_run(st, &council, i, p);
	int k;

	if (r == NULL)
		return STORE_ERR;
	for (k = 0; k < PQntuples(r); k++)
		if (!pgs_isnull(r, k, 0) && cb(arg, PQgetvalue(r, k, 0)) != 0)
			break;
	PQclear(r);
	return 0;
}

int
pgs_contact_topics(
    struct store *st, int64_t contact_id, store_name_cb cb, void *arg)
{
	struct pgs_params p;

	return names(st, C_CONTACT_TOPICS, p1(&p, contact_id), cb, arg);
}

int
pgs_contact_messages(struct store *st, int64_t contact_id, const char *phone,
    store_contact_count_cb cb, void *arg)
{
	struct store_contact_count c;
	struct pgs_params p;
	PGresult *r;
	int i;

	pgs_p_init(&p);
	pgs_p_int(&p, contact_id);
	pgs_p_text(&p, phone);
	if ((r = pgs_run(st, &council, C_CONTACT_MESSAGES, &p)) == NULL)
		return STORE_ERR;
	for (i = 0; i < PQntuples(r); i++) {
		c.direction = PQgetvalue(r, i, 0);
		c.state = PQgetvalue(r, i, 1);
		c.n = pgs_get_int(r, i, 2);
		c.with_text = pgs_get_int(r, i, 3);
		if (cb(arg, &c) != 0)
			break;
	}
	PQclear(r);
	return 0;
}

int
pgs_contact_sessions(
    struct store *st, int64_t contact_id, int64_t now, int64_t *n)
{
	struct pgs_params p;

	pgs_p_init(&p);
	pgs_p_int(&p, contact_id);
	pgs_p_int(&p, now);
	return one_int(st, C_CONTACT_SESSIONS, &p, n) == 0 ? 0 : STORE_ERR;
}

int
pgs_contact_reports(
    struct store *st, int64_t contact_id, store_report_cb cb, void *arg)
{
	struct store_report rep;
	struct pgs_params p;
	PGresult *r;
	int i;

	if ((r = pgs_run(
		 st, &council, C_CONTACT_REPORTS, p1(&p, contact_id))) == NULL)
		return STORE_ERR;
	for (i = 0; i < PQntuples(r); i++) {
		memset(&rep, 0, sizeof(rep));
		rep.id = pgs_get_int(r, i, 0);
		rep.contact_id = contact_id;
		rep.status = (char *)PQgetvalue(r, i, 1);
		rep.category = (char *)text_of(r, i, 2);
		rep.created = pgs_get_int(r, i, 3);
		if (cb(arg, &rep, NULL) != 0)
			break;
	}
	PQclear(r);
	return 0;
}

/*
 * Forgetting and retention
 */

int
pgs_contact_forget(
    struct store *st, int64_t id, int64_t now, struct store_forgotten *out)
{
	struct pgs_params p, pn, pp, pnp, ph;
	int64_t blanked = 0, parts = 0;
	PGresult *r;
	char *phone;

	memset(out, 0, sizeof(*out));
	if ((r = pgs_run(st, &council, C_FORGET_INFO, p1(&p, id))) == NULL)
		return STORE_ERR;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return STORE_NOTFOUND;
	}
	out->fields = pgs_get_int(r, 0, 0);
	out->language = pgs_get_int(r, 0, 1) != 0;
	phone = pgs_get_dup(r, 0, 2);
	PQclear(r);
	/*
	 * The statements take (id), (id, now), (id, phone), (id, now, phone)
	 * or (phone).
	 */
	pgs_p_init(&ph);
	pgs_p_text(&ph, phone);
	pgs_p_init(&pn);
	pgs_p_int(&pn, id);
	pgs_p_int(&pn, now);
	pgs_p_init(&pp);
	pgs_p_int(&pp, id);
	pgs_p_text(&pp, phone);
	pgs_p_init(&pnp);
	pgs_p_int(&pnp, id);
	pgs_p_int(&pnp, now);
	pgs_p_text(&pnp, phone);
	if (changed(st, C_FORGET_CANCEL, &pnp, &out->cancelled) != 0 ||
	    changed(st, C_FORGET_BLANK, &pp, &blanked) != 0 ||
	    one_int(st, C_FORGET_IN_FLIGHT, &pp, &out->in_flight) != 0 ||
	    changed(st, C_FORGET_CHANLOG, &pp, NULL) != 0 ||
	    changed(st, C_FORGET_MESSAGES, &pp, &out->messages) != 0 ||
	    changed(st, C_FORGET_USSD, &ph, NULL) != 0 ||
	    changed(st, C_FORGET_SESSIONS, &p, &out->sessions) != 0 ||
	    changed(st, C_FORGET_PARTS, &ph, &parts) != 0 ||
	    changed(st, C_FORGET_PART_KEYS, &ph, NULL) != 0 ||
	    changed(st, C_FORGET_SUBSCRIPTIONS, &p, &out->subscriptions) != 0 ||
	    changed(st, C_FORGET_REPORTS, &p, &out->reports) != 0 ||
	    changed(st, C_FORGET_CONTACT, &pn, NULL) != 0) {
		free(phone);
		memset(out, 0, sizeof(*out));
		return STORE_ERR;
	}
	free(phone);
	out->texts = out->cancelled + blanked + parts;
	return 0;
}

int64_t
pgs_privacy_purge(
    struct store *st, int64_t before, int64_t from, int64_t to, int64_t *left)
{
	struct pgs_params p;
	int64_t n = 0;

	pgs_p_init(&p);
	pgs_p_int(&p, before);
	pgs_p_int(&p, from);
	pgs_p_int(&p, to);
	if (changed(st, C_PURGE, &p, &n) != 0)
		return STORE_ERR;
	pgs_p_init(&p);
	pgs_p_int(&p, from);
	pgs_p_int(&p, to);
	if (one_int(st, C_PURGE_LEFT, &p, left) != 0)
		return STORE_ERR;
	return n;
}

/*
 * Reports
 */

int
pgs_report_each(struct store *st, const struct store_report_filter *f,
    store_report_cb cb, void *arg)
{
	static const struct store_report_filter all;
	char *statuses, *categories, *ids;
	struct store_report rep;
	struct pgs_params p;
	PGresult *r;
	int i;

	if (f == NULL)
		f = &all;
	statuses = store_strings_json(f->statuses, f->nstatuses);
	categories = store_strings_json(f->categories, f->ncategories);
	ids = store_ids_json(f->ids, f->nids);
	pgs_p_init(&p);
	pgs_p_text(&p, statuses);
	pgs_p_text(&p, categories);
	pgs_p_text(&p, ids);
	if (f->has_since)
		pgs_p_int(&p, f->since);
	else
		pgs_p_text(&p, NULL);
	if (f->has_until)
		pgs_p_int(&p, f->until);
	else
		pgs_p_text(&p, NULL);
	p_limit(&p, f->limit > 0 ? (int64_t)f->limit : -1);
	r = pgs_run(st, &council, C_REPORT_LIST, &p);
	free(statuses);
	free(categories);
	free(ids);
	if (r == NULL)
		return STORE_ERR;
	for (i = 0; i < PQntuples(r); i++) {
		memset(&rep, 0, sizeof(rep));
		rep.id = pgs_get_int(r, i, 0);
		rep.contact_id = pgs_get_int(r, i, 1);
		rep.flow = (char *)text_of(r, i, 2);
		rep.category = (char *)text_of(r, i, 3);
		rep.location = (char *)text_of(r, i, 4);
		rep.details = (char *)text_of(r, i, 5);
		rep.status = (char *)PQgetvalue(r, i, 6);
		rep.created = pgs_get_int(r, i, 7);
		rep.updated = pgs_get_int(r, i, 8);
		if (cb(arg, &rep, text_of(r, i, 9)) != 0)
			break;
	}
	PQclear(r);
	return 0;
}

int
pgs_report_events(struct store *st, int64_t id, size_t max,
    store_report_event_cb cb, void *arg)
{
	struct pgs_params p;
	PGresult *r;
	int i;

	pgs_p_init(&p);
	pgs_p_int(&p, id);
	p_limit(&p, (int64_t)max);
	if ((r = pgs_run(st, &council, C_REPORT_EVENTS, &p)) == NULL)
		return STORE_ERR;
	for (i = 0; i < PQntuples(r); i++)
		if (cb(arg, pgs_get_int(r, i, 0), PQgetvalue(r, i, 1),
			text_of(r, i, 2)) != 0)
			break;
	PQclear(r);
	return 0;
}

int
pgs_report_last_note(struct store *st, int64_t id, char **note)
{
	struct pgs_params p;
	PGresult *r;
	int rc = STORE_NOTFOUND;

	*note = NULL;
	if ((r = pgs_run(st, &council, C_REPORT_LAST_NOTE, p1(&p, id))) == NULL)
		return STORE_ERR;
	if (PQntuples(r) > 0) {
		*note = pgs_get_dup(r, 0, 0);
		rc = 0;
	}
	PQclear(r);
	return rc;
}

int
pgs_report_categories(struct store *st, size_t max, store_name_cb cb, void *arg)
{
	struct pgs_params p;

	pgs_p_init(&p);
	p_limit(&p, (int64_t)max);
	return names(st, C_REPORT_CATEGORIES, &p, cb, arg);
}

/*
 * Figures
 */

/* Walks the rows (text, text, count) of statement i. */
static int
tally(struct store *st, int i, store_tally_cb cb, void *arg)
{
	PGresult *r = pgs_run(st, &council, i, NULL);
	int k;

	if (r == NULL)
		return STORE_ERR;
	for (k = 0; k < PQntuples(r); k++)
		if (cb(arg, PQgetvalue(r, k, 0), PQgetvalue(r, k, 1),
			pgs_get_int(r, k, 2)) != 0)
			break;
	PQclear(r);
	return 0;
}

int
pgs_stats_messages(struct store *st, store_tally_cb cb, void *arg)
{
	return tally(st, C_STATS_MESSAGES, cb, arg);
}

int
pgs_stats_reports(struct store *st, store_tally_cb cb, void *arg)
{
	return tally(st, C_STATS_REPORTS, cb, arg);
}

int
pgs_stats_sessions(struct store *st, int64_t now, int64_t *n)
{
	struct pgs_params p;

	return one_int(st, C_STATS_SESSIONS, p1(&p, now), n) == 0 ? 0
								  : STORE_ERR;
}

int
pgs_stats_resolution(struct store *st, const double bounds[STORE_RES_BOUNDS],
    struct store_resolution *out)
{
	struct pgs_params p;
	PGresult *r;
	int i;

	_Static_assert(STORE_RES_BOUNDS == 8, "C_STATS_RESOLUTION's bounds");
	memset(out, 0, sizeof(*out));
	pgs_p_init(&p);
	for (i = 0; i < STORE_RES_BOUNDS; i++)
		pgs_p_double(&p, bounds[i]);
	if ((r = pgs_run(st, &council, C_STATS_RESOLUTION, &p)) == NULL)
		return STORE_ERR;
	out->resolved = pgs_get_int(r, 0, 0);
	out->sum = pgs_get_double(r, 0, 1);
	for (i = 0; i < STORE_RES_BOUNDS; i++)
		out->le[i] = pgs_get_int(r, 0, i + 2);
	PQclear(r);
	return 0;
}

int
pgs_stats_failures(struct store *st, int limit, store_failure_cb cb, void *arg)
{
	struct store_failure f;
	struct pgs_params p;
	PGresult *r;
	int i;

	pgs_p_init(&p);
	p_limit(&p, limit);
	if ((r = pgs_run(st, &council, C_STATS_FAILURES, &p)) == NULL)
		return STORE_ERR;
	for (i = 0; i < PQntuples(r); i++) {
		f.when = pgs_get_int(r, i, 0);
		f.channel = PQgetvalue(r, i, 1);
		f.phone = PQgetvalue(r, i, 2);
		f.error = PQgetvalue(r, i, 3);
		if (cb(arg, &f) != 0)
			break;
	}
	PQclear(r);
	return 0;
}

int
pgs_stats_modems(struct store *st, store_modem_cb cb, void *arg)
{
	PGresult *r = pgs_run(st, &council, C_STATS_MODEMS, NULL);
	struct store_modem m;
	int i;

	if (r == NULL)
		return STORE_ERR;
	for (i = 0; i < PQntuples(r); i++) {
		m.channel = PQgetvalue(r, i, 0);
		m.up = (int)pgs_get_int(r, i, 1);
		m.signal = (int)pgs_get_int(r, i, 2);
		m.network = text_of(r, i, 3);
		m.balance = text_of(r, i, 4);
		m.balance_at = time_or_none(r, i, 5);
		m.last_error = text_of(r, i, 6);
		m.failures = pgs_get_int(r, i, 7);
		m.restarts = pgs_get_int(r, i, 8);
		m.updated = time_or_none(r, i, 9);
		if (cb(arg, &m) != 0)
			break;
	}
	PQclear(r);
	return 0;
}

int
pgs_stats_modem_known(struct store *st, const char *channel)
{
	struct pgs_params p;
	int64_t one;

	pgs_p_init(&p);
	pgs_p_text(&p, channel);
	return one_int(st, C_STATS_MODEM_KNOWN, &p, &one);
}
