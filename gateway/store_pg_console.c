/*
 * store_pg_console.c: the staff console's queries on PostgreSQL, as
 * store_console.c on SQLite: messages, contacts and reports a page at a
 * time (newest first, keyed by id), a failed message queued again, the
 * overview's figures, the topics, the data tables and a topic's audience
 * by channel.
 *
 * Searches match as SQLite's LIKE does, ASCII letters in either case
 * (ILIKE), with the same escaping. ILIKE folds case by the collation, so
 * its text is taken COLLATE "C": with the database's own (en_US.UTF-8,
 * C.UTF-8, ICU) it would also fold 'É' to 'é', which SQLite does not.
 * Texts sort byte by byte (COLLATE "C"), and NULL first, as in SQLite.
 * The optional filters are parameters that may be NULL, typed in the SQL
 * ($n::text IS NULL OR ...), one fixed statement for each search.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/store_check.h"
#include "gateway/store_pg.h"
#include "lib/util.h"

enum {
	K_MSG_SCAN,
	K_MSG_CONTACT,
	K_MSG_ONE,
	K_ID_MAX,
	K_ID_MIN,
	K_ID_UNTIL,
	K_ID_SINCE,
	K_RETRY,
	K_CONTACTS,
	K_REPORTS,
	K_COUNT_RANGE,
	K_OUTCOMES,
	K_QUEUED,
	K_CHANNEL_LAST,
	K_OPEN_REPORTS,
	K_REPORT_AGES,
	K_RESOLVED_COUNT,
	K_RESOLVED_MEDIAN,
	K_TOPICS,
	K_TABLES,
	K_AUDIENCE_CHANNELS,
	K_COUNT
};

#define MSG_COLUMNS                                                   \
	"id, direction, kind, channel, phone, state, text, segments," \
	" attempts, error, coalesce(contact_id, 0), created, updated"

/* The optional filters of a message search, parameters $3 to $9. */
#define MSG_FILTERS                                                          \
	" AND ($3::text IS NULL OR phone = $3)"                              \
	" AND ($4::text IS NULL OR text COLLATE \"C\" ILIKE $4 ESCAPE '\\')" \
	" AND ($5::text IS NULL OR channel = $5)"                            \
	" AND ($6::text IS NULL OR state = $6)"                              \
	" AND ($7::text IS NULL OR direction = $7)"                          \
	" AND ($8::bigint IS NULL OR created >= $8)"                         \
	" AND ($9::bigint IS NULL OR created <= $9)"

/*
 * The values of a contact's fields, as SQLite's json_each() gives them for
 * an object (the store writes nothing else) or an array; anything else,
 * which json_each_text() would refuse and so abort the transaction, has
 * none here.
 */
#define FIELD_VALUES                                          \
	"(SELECT value FROM json_each_text(CASE"              \
	" WHEN json_typeof(contacts.fields::json) = 'object'" \
	" THEN contacts.fields::json ELSE '{}' END)"          \
	" UNION ALL SELECT json_array_elements_text(CASE"     \
	" WHEN json_typeof(contacts.fields::json) = 'array'"  \
	" THEN contacts.fields::json ELSE '[]' END))"

#define OPEN_STATES "('open', 'acknowledged', 'in_progress')"

static const char *const console_sql[K_COUNT] = {
    [K_MSG_SCAN] =
	"SELECT " MSG_COLUMNS " FROM messages"
	" WHERE id < $1 AND id >= $2" MSG_FILTERS " ORDER BY id DESC LIMIT $10",
    [K_MSG_CONTACT] = "SELECT " MSG_COLUMNS " FROM messages"
		      " WHERE (contact_id = $2 OR (phone = $3"
		      " AND contact_id IS NULL AND direction = 'out'))"
		      " AND id < $1" MSG_FILTERS " ORDER BY id DESC LIMIT $10",
    [K_MSG_ONE] = "SELECT " MSG_COLUMNS " FROM messages WHERE id = $1",
    [K_ID_MAX] = "SELECT coalesce(max(id), 0) FROM messages",
    [K_ID_MIN] = "SELECT coalesce(min(id), 0) FROM messages",
    [K_ID_UNTIL] = "SELECT coalesce((SELECT id FROM messages"
		   " WHERE created <= $1"
		   " ORDER BY created DESC, id DESC LIMIT 1), 0)",
    [K_ID_SINCE] = "SELECT coalesce((SELECT id FROM messages"
		   " WHERE created >= $1 ORDER BY created, id LIMIT 1),"
		   " $2::bigint)",
    [K_RETRY] = "UPDATE messages SET state = 'queued', next_attempt = $2,"
		" error = NULL, updated = $2 WHERE id = $1"
		" AND direction = 'out' AND state = 'failed'"
		" AND text IS NOT NULL",
    [K_CONTACTS] = "SELECT id, phone, language, opted_out, fields,"
		   " last_channel, created, updated FROM contacts"
		   " WHERE id < $1 AND ($5::int = 0 OR phone = $2"
		   " OR phone COLLATE \"C\" ILIKE $3 ESCAPE '\\'"
		   " OR ($4::text IS NOT NULL AND EXISTS (SELECT 1"
		   " FROM " FIELD_VALUES " AS j(v)"
		   " WHERE j.v COLLATE \"C\" ILIKE $4 ESCAPE '\\')))"
		   " ORDER BY id DESC LIMIT $6",
    [K_REPORTS] =
	"SELECT r.id, coalesce(r.contact_id, 0), r.flow, r.category,"
	" r.location, r.details, r.status, r.created, r.updated,"
	" (SELECT e.note FROM report_events e WHERE e.report_id = r.id"
	"  AND e.note IS NOT NULL AND e.note <> '' ORDER BY e.id DESC LIMIT 1)"
	" FROM reports r WHERE r.id < $1"
	" AND ($2::text IS NULL OR r.status IN"
	"  (SELECT json_array_elements_text($2::json)))"
	" AND ($3::text IS NULL OR r.category IN"
	"  (SELECT json_array_elements_text($3::json)))"
	" AND ($4::text IS NULL OR r.location COLLATE \"C\" ILIKE $4"
	"  ESCAPE '\\' OR r.details COLLATE \"C\" ILIKE $4 ESCAPE '\\')"
	" AND ($5::bigint IS NULL OR r.created <= $5)"
	" AND ($6::text IS NULL OR r.id IN"
	"  (SELECT json_array_elements_text($6::json)::bigint))"
	" ORDER BY r.id DESC LIMIT $7::bigint",
    [K_COUNT_RANGE] = "SELECT count(*) FILTER (WHERE direction = 'in'),"
		      " count(*) FILTER (WHERE direction = 'out')"
		      " FROM messages WHERE created >= $1 AND created < $2",
    [K_OUTCOMES] = "SELECT count(*) FROM messages WHERE state = $1"
		   " AND channel = $2 AND next_attempt IS NULL AND id >= $3",
    /*
     * SQLite reads the groups along messages_queue, so by channel; a hash
     * aggregate here would not: said outright.
     */
    [K_QUEUED] = "SELECT channel COLLATE \"C\", count(*) FROM messages"
		 " WHERE state = 'queued' GROUP BY 1 ORDER BY 1",
    [K_CHANNEL_LAST] = "SELECT updated, error FROM messages"
		       " WHERE state = $1 AND channel = $2"
		       " AND next_attempt IS NULL ORDER BY id DESC LIMIT 1",
    [K_OPEN_REPORTS] =
	"SELECT coalesce(category, '') COLLATE \"C\","
	" count(*), min(created) FROM reports"
	" WHERE status IN " OPEN_STATES " GROUP BY 1 ORDER BY 2 DESC, 1",
    [K_REPORT_AGES] = "SELECT count(*) FILTER (WHERE created > $1),"
		      " count(*) FILTER (WHERE created <= $1"
		      "  AND created > $2),"
		      " count(*) FILTER (WHERE created <= $2) FROM reports"
		      " WHERE status IN " OPEN_STATES,
    [K_RESOLVED_COUNT] = "SELECT count(DISTINCT r.id) FROM reports r"
			 " JOIN report_events e ON e.report_id = r.id"
			 " WHERE r.status IN ('resolved', 'closed')"
			 " AND e.status IN ('resolved', 'closed')",
    [K_RESOLVED_MEDIAN] = "SELECT min(e.time) - r.created AS d"
			  " FROM reports r"
			  " JOIN report_events e ON e.report_id = r.id"
			  " WHERE r.status IN ('resolved', 'closed')"
			  " AND e.status IN ('resolved', 'closed')"
			  " GROUP BY r.id, r.created ORDER BY d"
			  " LIMIT $1 OFFSET $2",
    [K_TOPICS] = "SELECT s.topic COLLATE \"C\", count(*) FROM subscriptions s"
		 " JOIN contacts c ON c.id = s.contact_id"
		 " WHERE c.opted_out = 0 GROUP BY 1 ORDER BY 1",
    [K_TABLES] = "SELECT name, key_column, columns, rows, updated"
		 " FROM data_tables ORDER BY name COLLATE \"C\"",
    [K_AUDIENCE_CHANNELS] =
	"SELECT (CASE WHEN c.last_channel IN"
	" (SELECT json_array_elements_text($1::json))"
	" THEN c.last_channel ELSE $2 END) COLLATE \"C\", count(*)"
	" FROM subscriptions s JOIN contacts c ON c.id = s.contact_id"
	" WHERE s.topic = $3 AND c.opted_out = 0"
	" GROUP BY 1 ORDER BY 1 NULLS FIRST",
};

_Static_assert(K_COUNT <= PGS_PART_MAX, "too many statements");

static const struct pgs_sql console = {PGS_PART_CONSOLE, console_sql, K_COUNT};

static const char *
text_of(const PGresult *r, int row, int col)
{
	return pgs_isnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

/* One row of n integers from statement i into v. 0 or STORE_ERR. */
static int
one_row(struct store *st, int i, const struct pgs_params *p, int64_t *v, int n)
{
	PGresult *r = pgs_run(st, &console, i, p);
	int k;

	if (r == NULL)
		return STORE_ERR;
	if (PQntuples(r) > 0)
		for (k = 0; k < n; k++)
			v[k] = pgs_get_int(r, 0, k);
	PQclear(r);
	return 0;
}

static int
one_int(struct store *st, int i, const struct pgs_params *p, int64_t *v)
{
	return one_row(st, i, p, v, 1);
}

/*
 * Messages
 */

static void
msg_row(const PGresult *r, int i, struct store_msg_row *m)
{
	m->id = pgs_get_int(r, i, 0);
	m->direction = PQgetvalue(r, i, 1);
	m->kind = PQgetvalue(r, i, 2);
	m->channel = PQgetvalue(r, i, 3);
	m->phone = PQgetvalue(r, i, 4);
	m->state = PQgetvalue(r, i, 5);
	m->text = text_of(r, i, 6);
	m->segments = (int)pgs_get_int(r, i, 7);
	m->attempts = (int)pgs_get_int(r, i, 8);
	m->error = text_of(r, i, 9);
	m->contact_id = pgs_get_int(r, i, 10);
	m->created = pgs_get_int(r, i, 11);
	m->updated = pgs_get_int(r, i, 12);
}

/* Parameters $3..$10 of a message search; like is q's pattern. */
static void
p_msg_filters(
    struct pgs_params *p, const struct store_msg_query *q, const char *like)
{
	pgs_p_text(p, q->phone);
	pgs_p_text(p, like);
	pgs_p_text(p, q->channel);
	pgs_p_text(p, q->state);
	pgs_p_text(p, q->direction);
	if (q->has_since)
		pgs_p_int(p, q->since);
	else
		pgs_p_text(p, NULL);
	if (q->has_until)
		pgs_p_int(p, q->until);
	else
		pgs_p_text(p, NULL);
	pgs_p_int(p, (int64_t)q->limit + 1);
}

/* Runs message statement i and calls cb for at most limit rows. */
static int
msg_walk(struct store *st, int i, const struct pgs_params *p, size_t limit,
    store_msg_row_cb cb, void *arg, int64_t *last, int *more)
{
	PGresult *r = pgs_run(st, &console, i, p);
	struct store_msg_row m;
	size_t n = 0;
	int k;

	*last = 0;
	*more = 0;
	if (r == NULL)
		return STORE_ERR;
	for (k = 0; k < PQntuples(r); k++) {
		if (n == limit) {
			*more = 1;
			break;
		}
		msg_row(r, k, &m);
		n++;
		*last = m.id;
		if (cb(arg, &m) != 0)
			break;
	}
	PQclear(r);
	return 0;
}

int
pgs_console_messages(struct store *st, const struct store_msg_query *q,
    store_msg_row_cb cb, void *arg, int64_t *next)
{
	int64_t upper, lower = 0, floor, last, v = 0;
	struct pgs_params p;
	char *like;
	int more, rc;

	*next = 0;
	if (q->limit == 0)
		return STORE_EINVAL;
	if (one_int(st, K_ID_MAX, NULL, &v) != 0)
		return STORE_ERR;
	upper = q->before > 0 && q->before <= v ? q->before : v + 1;
	if (one_int(st, K_ID_MIN, NULL, &lower) != 0)
		return STORE_ERR;
	if (q->has_until) {
		pgs_p_init(&p);
		pgs_p_int(&p, q->until);
		if (one_int(st, K_ID_UNTIL, &p, &v) != 0)
			return STORE_ERR;
		if (v + 1 < upper)
			upper = v + 1;
	}
	if (q->has_since) {
		pgs_p_init(&p);
		pgs_p_int(&p, q->since);
		pgs_p_int(&p, upper);
		if (one_int(st, K_ID_SINCE, &p, &v) != 0)
			return STORE_ERR;
		if (v > lower)
			lower = v;
	}
	if (upper <= lower)
		return 0;
	like = store_like_pattern(q->text);
	pgs_p_init(&p);
	pgs_p_int(&p, upper);
	if (q->contact_id > 0) {
		/* $3, the number, also finds those queued without a link. */
		pgs_p_int(&p, q->contact_id);
		p_msg_filters(&p, q, like);
		rc = msg_walk(
		    st, K_MSG_CONTACT, &p, q->limit, cb, arg, &last, &more);
		free(like);
		if (rc == 0)
			*next = more ? last : 0;
		return rc;
	}
	floor = upper - STORE_SCAN_WINDOW > lower ? upper - STORE_SCAN_WINDOW
						  : lower;
	pgs_p_int(&p, floor);
	p_msg_filters(&p, q, like);
	rc = msg_walk(st, K_MSG_SCAN, &p, q->limit, cb, arg, &last, &more);
	free(like);
	if (rc != 0)
		return rc;
	if (more)
		*next = last;
	else if (floor > lower)
		*next = floor;
	return 0;
}

int
pgs_console_message(
    struct store *st, int64_t id, store_msg_row_cb cb, void *arg)
{
	struct store_msg_row m;
	struct pgs_params p;
	PGresult *r;
	int rc = STORE_NOTFOUND;

	pgs_p_init(&p);
	pgs_p_int(&p, id);
	if ((r = pgs_run(st, &console, K_MSG_ONE, &p)) == NULL)
		return STORE_ERR;
	if (PQntuples(r) > 0) {
		msg_row(r, 0, &m);
		cb(arg, &m);
		rc = 0;
	}
	PQclear(r);
	return rc;
}

/* The state and text of a message, for store_console_retry. */
struct retry_look {
	int out, failed, text;
};

static int
retry_look_cb(void *arg, const struct store_msg_row *m)
{
	struct retry_look *l = arg;

	l->out = strcmp(m->direction, "out") == 0;
	l->failed = strcmp(m->state, "failed") == 0;
	l->text = m->text != NULL;
	return 0;
}

int
pgs_console_retry(struct store *st, int64_t id, int64_t now)
{
	struct retry_look l = {0, 0, 0};
	struct pgs_params p;
	int64_t n = 0;
	int rc;

	pgs_p_init(&p);
	pgs_p_int(&p, id);
	pgs_p_int(&p, now);
	if (pgs_exec(st, &console, K_RETRY, &p, &n) != 0)
		return STORE_ERR;
	if (n == 1)
		return 0;
	if ((rc = pgs_console_message(st, id, retry_look_cb, &l)) != 0)
		return rc;
	return l.out ? STORE_EINVAL : STORE_NOTFOUND;
}

/*
 * Contacts
 */

int
pgs_console_contacts(struct store *st, const struct store_contact_query *q,
    store_contact_row_cb cb, void *arg, int64_t *next)
{
	char *in_phone, *part;
	struct store_contact c;
	struct pgs_params p;
	int64_t last = 0;
	PGresult *r;
	size_t n = 0;
	int i;

	*next = 0;
	if (q->limit == 0)
		return STORE_EINVAL;
	in_phone = store_like_pattern(q->part_in_phone ? q->part : NULL);
	part = store_like_pattern(q->part);
	pgs_p_init(&p);
	pgs_p_int(&p, q->before > 0 ? q->before : INT64_MAX);
	pgs_p_text(&p, q->phone);
	pgs_p_text(&p, in_phone);
	pgs_p_text(&p, part);
	pgs_p_int(&p, q->phone != NULL || q->part != NULL);
	pgs_p_int(&p, (int64_t)q->limit + 1);
	r = pgs_run(st, &console, K_CONTACTS, &p);
	free(in_phone);
	free(part);
	if (r == NULL)
		return STORE_ERR;
	for (i = 0; i < PQntuples(r); i++) {
		if (n == q->limit) {
			*next = last;
			break;
		}
		memset(&c, 0, sizeof(c));
		c.id = pgs_get_int(r, i, 0);
		c.phone = (char *)PQgetvalue(r, i, 1);
		c.language = (char *)text_of(r, i, 2);
		c.opted_out = pgs_get_int(r, i, 3) != 0;
		c.fields = (char *)PQgetvalue(r, i, 4);
		c.last_channel = (char *)text_of(r, i, 5);
		c.created = pgs_get_int(r, i, 6);
		c.updated = pgs_get_int(r, i, 7);
		n++;
		last = c.id;
		if (cb(arg, &c) != 0)
			break;
	}
	PQclear(r);
	return 0;
}

/*
 * Reports
 */

int
pgs_console_reports(struct store *st, const struct store_report_query *q,
    store_report_cb cb, void *arg, int64_t *next)
{
	char *statuses, *categories, *words, *ids;
	struct store_report rep;
	struct pgs_params p;
	int64_t last = 0;
	PGresult *r;
	size_t n = 0;
	int i;

	*next = 0;
	statuses = store_strings_json(q->statuses, q->nstatuses);
	categories = store_strings_json(q->categories, q->ncategories);
	words = store_like_pattern(q->words);
	ids = store_ids_json(q->ids, q->nids);
	pgs_p_init(&p);
	pgs_p_int(&p, q->before > 0 ? q->before : INT64_MAX);
	pgs_p_text(&p, statuses);
	pgs_p_text(&p, categories);
	pgs_p_text(&p, words);
	if (q->has_until)
		pgs_p_int(&p, q->until);
	else
		pgs_p_text(&p, NULL);
	pgs_p_text(&p, ids);
	if (q->limit > 0)
		pgs_p_int(&p, (int64_t)q->limit + 1);
	else
		pgs_p_text(&p, NULL);
	r = pgs_run(st, &console, K_REPORTS, &p);
	free(statuses);
	free(categories);
	free(words);
	free(ids);
	if (r == NULL)
		return STORE_ERR;
	for (i = 0; i < PQntuples(r); i++) {
		if (q->limit > 0 && n == q->limit) {
			*next = last;
			break;
		}
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
		n++;
		last = rep.id;
		if (cb(arg, &rep, text_of(r, i, 9)) != 0)
			break;
	}
	PQclear(r);
	return 0;
}

/*
 * The overview
 */

int
pgs_console_counts(
    struct store *st, int64_t from, int64_t to, int64_t *in, int64_t *out)
{
	struct pgs_params p;
	int64_t v[2] = {0, 0};
	int rc;

	pgs_p_init(&p);
	pgs_p_int(&p, from);
	pgs_p_int(&p, to);
	rc = one_row(st, K_COUNT_RANGE, &p, v, 2);
	*in = v[0];
	*out = v[1];
	return rc;
}

int
pgs_console_first_id(struct store *st, int64_t since, int64_t *id)
{
	struct pgs_params p;
	int64_t max = 0;

	if (one_int(st, K_ID_MAX, NULL, &max) != 0)
		return STORE_ERR;
	pgs_p_init(&p);
	pgs_p_int(&p, since);
	pgs_p_int(&p, max + 1);
	return one_int(st, K_ID_SINCE, &p, id);
}

/* Counts channel's messages in state from id on. */
static int
outcome(struct store *st, const char *channel, const char *state, int64_t from,
    int64_t *n)
{
	struct pgs_params p;

	pgs_p_init(&p);
	pgs_p_text(&p, state);
	pgs_p_text(&p, channel);
	pgs_p_int(&p, from);
	*n = 0;
	return one_int(st, K_OUTCOMES, &p, n);
}

int
pgs_console_outcomes(struct store *st, const char *channel, int64_t since,
    int64_t today, struct store_outcomes *out)
{
	int64_t sent, delivered, failed, failed_today;

	if (outcome(st, channel, "sent", since, &sent) != 0 ||
	    outcome(st, channel, "delivered", since, &delivered) != 0 ||
	    outcome(st, channel, "failed", since, &failed) != 0 ||
	    outcome(st, channel, "failed", today, &failed_today) != 0)
		return STORE_ERR;
	out->failed_today += failed_today;
	out->failed += failed;
	out->done += sent + delivered + failed;
	return 0;
}

/* Walks the rows (text, count) of statement i. */
static int
counts(struct store *st, int i, const struct pgs_params *p, store_count_cb cb,
    void *arg)
{
	PGresult *r = pgs_run(st, &console, i, p);
	int k;

	if (r == NULL)
		return STORE_ERR;
	for (k = 0; k < PQntuples(r); k++)
		if (cb(arg, PQgetvalue(r, k, 0), pgs_get_int(r, k, 1)) != 0)
			break;
	PQclear(r);
	return 0;
}

int
pgs_console_queued(struct store *st, store_count_cb cb, void *arg)
{
	return counts(st, K_QUEUED, NULL, cb, arg);
}

/* The newest message of channel in state: its updated and error. */
static int
channel_last(struct store *st, const char *channel, const char *state,
    int64_t *at, char **error)
{
	struct pgs_params p;
	PGresult *r;

	*at = -1;
	pgs_p_init(&p);
	pgs_p_text(&p, state);
	pgs_p_text(&p, channel);
	if ((r = pgs_run(st, &console, K_CHANNEL_LAST, &p)) == NULL)
		return STORE_ERR;
	if (PQntuples(r) > 0) {
		*at = pgs_get_int(r, 0, 0);
		if (error != NULL)
			*error = pgs_get_dup(r, 0, 1);
	}
	PQclear(r);
	return 0;
}

int
pgs_console_channel(
    struct store *st, const char *channel, struct store_channel_health *out)
{
	int64_t sent, delivered;

	memset(out, 0, sizeof(*out));
	if (channel_last(st, channel, "sent", &sent, NULL) != 0 ||
	    channel_last(st, channel, "delivered", &delivered, NULL) != 0 ||
	    channel_last(
		st, channel, "failed", &out->last_failed, &out->error) != 0) {
		store_channel_health_free(out);
		return STORE_ERR;
	}
	out->last_ok = sent > delivered ? sent : delivered;
	return 0;
}

int
pgs_console_open_reports(struct store *st, store_open_reports_cb cb, void *arg)
{
	PGresult *r = pgs_run(st, &console, K_OPEN_REPORTS, NULL);
	int i;

	if (r == NULL)
		return STORE_ERR;
	for (i = 0; i < PQntuples(r); i++)
		if (cb(arg, PQgetvalue(r, i, 0), pgs_get_int(r, i, 1),
			pgs_get_int(r, i, 2)) != 0)
			break;
	PQclear(r);
	return 0;
}

int
pgs_console_report_ages(
    struct store *st, int64_t day, int64_t week, int64_t out[3])
{
	struct pgs_params p;

	pgs_p_init(&p);
	pgs_p_int(&p, day);
	pgs_p_int(&p, week);
	return one_row(st, K_REPORT_AGES, &p, out, 3);
}

int
pgs_console_median_resolution(struct store *st, double *ms)
{
	struct pgs_params p;
	PGresult *r;
	int64_t n = 0;
	double sum = 0;
	int i, rows;

	if (one_int(st, K_RESOLVED_COUNT, NULL, &n) != 0)
		return STORE_ERR;
	if (n == 0)
		return STORE_NOTFOUND;
	/* The middle row, or the two middle rows of an even count. */
	pgs_p_init(&p);
	pgs_p_int(&p, n % 2 == 0 ? 2 : 1);
	pgs_p_int(&p, (n - 1) / 2);
	if ((r = pgs_run(st, &console, K_RESOLVED_MEDIAN, &p)) == NULL)
		return STORE_ERR;
	rows = PQntuples(r);
	for (i = 0; i < rows; i++)
		sum += pgs_get_double(r, i, 0);
	PQclear(r);
	if (rows == 0)
		return STORE_NOTFOUND;
	*ms = sum / rows;
	return 0;
}

/*
 * Topics, tables, audiences
 */

int
pgs_console_topics(struct store *st, store_count_cb cb, void *arg)
{
	return counts(st, K_TOPICS, NULL, cb, arg);
}

int
pgs_console_tables(struct store *st, store_table_info_cb cb, void *arg)
{
	PGresult *r = pgs_run(st, &console, K_TABLES, NULL);
	struct store_table_info t;
	int i;

	if (r == NULL)
		return STORE_ERR;
	for (i = 0; i < PQntuples(r); i++) {
		t.name = PQgetvalue(r, i, 0);
		t.key = PQgetvalue(r, i, 1);
		t.columns = PQgetvalue(r, i, 2);
		t.rows = pgs_get_int(r, i, 3);
		t.updated = pgs_get_int(r, i, 4);
		if (cb(arg, &t) != 0)
			break;
	}
	PQclear(r);
	return 0;
}

int
pgs_console_audience_channels(struct store *st, const char *topic,
    const char *channels, const char *fallback, store_count_cb cb, void *arg)
{
	struct pgs_params p;

	pgs_p_init(&p);
	pgs_p_text(&p, channels);
	pgs_p_text(&p, fallback);
	pgs_p_text(&p, topic);
	return counts(st, K_AUDIENCE_CHANNELS, &p, cb, arg);
}
