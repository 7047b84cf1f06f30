/*
 * store_console.c: the store's queries for the staff console's API:
 * messages, contacts and reports a page at a time (newest first, keyed by
 * id so a page never shifts when rows arrive), a failed message queued
 * again, the overview's figures, the topics, the data tables and a topic's
 * audience by channel. The statements sit in one table
 * (STORE_PART_CONSOLE), each prepared on its first use and kept
 * (store_int.h).
 *
 * Indexes (migrations 5 and 15, store.c): messages_created (created,
 * direction) answers the counts by day and turns times into id bounds
 * (ids grow with creation time). Everything else uses the indexes that were
 * there: messages_contact for a contact's conversation, messages_queue
 * (state, channel, next_attempt) for the queue, each channel's last
 * outcome and the outcomes since an id: a finished message (sent,
 * delivered, failed) has no next attempt, so its entries sit in id order
 * under (state, channel, NULL) and a count from an id on is one range.
 */
#include "gateway/store_check.h"
#include "gateway/store_int.h"

#include <stdlib.h>
#include <string.h>

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

/* The columns of a message row, in the order msg_row() reads them. */
#define MSG_COLUMNS                                                   \
	"id, direction, kind, channel, phone, state, text, segments," \
	" attempts, error, coalesce(contact_id, 0), created, updated"

/* The optional filters of a message search, parameters ?3 to ?9. */
#define MSG_FILTERS                                     \
	" AND (?3 IS NULL OR phone = ?3)"               \
	" AND (?4 IS NULL OR text LIKE ?4 ESCAPE '\\')" \
	" AND (?5 IS NULL OR channel = ?5)"             \
	" AND (?6 IS NULL OR state = ?6)"               \
	" AND (?7 IS NULL OR direction = ?7)"           \
	" AND (?8 IS NULL OR created >= ?8)"            \
	" AND (?9 IS NULL OR created <= ?9)"

/* The states of an open report. */
#define OPEN_STATES "('open', 'acknowledged', 'in_progress')"

static const char *const console_sql[K_COUNT] = {
    /* A window of ids, newest first: the rowid range bounds the work. */
    [K_MSG_SCAN] =
	"SELECT " MSG_COLUMNS " FROM messages"
	" WHERE id < ?1 AND id >= ?2" MSG_FILTERS " ORDER BY id DESC LIMIT ?10",
    /*
     * A contact's messages through messages_contact (contact_id, id), and
     * those queued to its number ?3 without a link through
     * messages_unlinked.
     */
    [K_MSG_CONTACT] = "SELECT " MSG_COLUMNS " FROM messages"
		      " WHERE (contact_id = ?2 OR (phone = ?3"
		      " AND contact_id IS NULL AND direction = 'out'))"
		      " AND id < ?1" MSG_FILTERS " ORDER BY id DESC LIMIT ?10",
    [K_MSG_ONE] = "SELECT " MSG_COLUMNS " FROM messages WHERE id = ?1",
    [K_ID_MAX] = "SELECT coalesce(max(id), 0) FROM messages",
    [K_ID_MIN] = "SELECT coalesce(min(id), 0) FROM messages",
    /*
     * The id of the newest message created at or before ?1, and of the
     * oldest created at or after it: one seek each in messages_created.
     */
    [K_ID_UNTIL] = "SELECT coalesce((SELECT id FROM messages"
		   " WHERE created <= ?1"
		   " ORDER BY created DESC, id DESC LIMIT 1), 0)",
    [K_ID_SINCE] = "SELECT coalesce((SELECT id FROM messages"
		   " WHERE created >= ?1 ORDER BY created, id LIMIT 1), ?2)",
    [K_RETRY] = "UPDATE messages SET state = 'queued', next_attempt = ?2,"
		" error = NULL, updated = ?2 WHERE id = ?1"
		" AND direction = 'out' AND state = 'failed'"
		" AND text IS NOT NULL",

    /*
     * Contacts: ?2 the number exactly, ?3 a LIKE pattern for the number,
     * ?4 one for a field's value; ?5 = 0 lists every contact.
     */
    [K_CONTACTS] = "SELECT id, phone, language, opted_out, fields,"
		   " last_channel, created, updated FROM contacts"
		   " WHERE id < ?1 AND (?5 = 0 OR phone = ?2"
		   " OR phone LIKE ?3 ESCAPE '\\'"
		   " OR (?4 IS NOT NULL AND EXISTS (SELECT 1"
		   " FROM json_each(contacts.fields)"
		   " WHERE json_each.value LIKE ?4 ESCAPE '\\')))"
		   " ORDER BY id DESC LIMIT ?6",

    /* Reports, with the last non-empty note of each. */
    [K_REPORTS] =
	"SELECT r.id, coalesce(r.contact_id, 0), r.flow, r.category,"
	" r.location, r.details, r.status, r.created, r.updated,"
	" (SELECT e.note FROM report_events e WHERE e.report_id = r.id"
	"  AND e.note IS NOT NULL AND e.note <> '' ORDER BY e.id DESC LIMIT 1)"
	" FROM reports r WHERE r.id < ?1"
	" AND (?2 IS NULL OR r.status IN (SELECT value FROM json_each(?2)))"
	" AND (?3 IS NULL OR r.category IN (SELECT value FROM json_each(?3)))"
	" AND (?4 IS NULL OR r.location LIKE ?4 ESCAPE '\\'"
	"  OR r.details LIKE ?4 ESCAPE '\\')"
	" AND (?5 IS NULL OR r.created <= ?5)"
	" AND (?6 IS NULL OR r.id IN (SELECT value FROM json_each(?6)))"
	" ORDER BY r.id DESC LIMIT ?7",

    /* The overview. A range of messages_created, read once. */
    [K_COUNT_RANGE] = "SELECT count(*) FILTER (WHERE direction = 'in'),"
		      " count(*) FILTER (WHERE direction = 'out')"
		      " FROM messages WHERE created >= ?1 AND created < ?2",
    /*
     * A channel's messages in state ?1 (sent, delivered or failed, whose
     * next_attempt is NULL) from id ?3 on: one range of messages_queue,
     * read without the table.
     */
    [K_OUTCOMES] = "SELECT count(*) FROM messages WHERE state = ?1"
		   " AND channel = ?2 AND next_attempt IS NULL AND id >= ?3",
    /* Covered by messages_queue (state, channel, next_attempt). */
    [K_QUEUED] = "SELECT channel, count(*) FROM messages"
		 " WHERE state = 'queued' GROUP BY channel",
    /*
     * A channel's newest message in state ?1 (sent, delivered or failed:
     * next_attempt is NULL), read backwards along messages_queue.
     */
    [K_CHANNEL_LAST] = "SELECT updated, error FROM messages"
		       " WHERE state = ?1 AND channel = ?2"
		       " AND next_attempt IS NULL ORDER BY id DESC LIMIT 1",
    [K_OPEN_REPORTS] =
	"SELECT coalesce(category, ''), count(*),"
	" min(created) FROM reports"
	" WHERE status IN " OPEN_STATES " GROUP BY 1 ORDER BY 2 DESC, 1",
    [K_REPORT_AGES] = "SELECT total(created > ?1),"
		      " total(created <= ?1 AND created > ?2),"
		      " total(created <= ?2) FROM reports"
		      " WHERE status IN " OPEN_STATES,
    /* Each resolved report's time to its first resolving event. */
    [K_RESOLVED_COUNT] = "SELECT count(DISTINCT r.id) FROM reports r"
			 " JOIN report_events e ON e.report_id = r.id"
			 " WHERE r.status IN ('resolved', 'closed')"
			 " AND e.status IN ('resolved', 'closed')",
    [K_RESOLVED_MEDIAN] = "SELECT min(e.time) - r.created AS d"
			  " FROM reports r"
			  " JOIN report_events e ON e.report_id = r.id"
			  " WHERE r.status IN ('resolved', 'closed')"
			  " AND e.status IN ('resolved', 'closed')"
			  " GROUP BY r.id ORDER BY d LIMIT ?1 OFFSET ?2",
    [K_TOPICS] = "SELECT s.topic, count(*) FROM subscriptions s"
		 " CROSS JOIN contacts c ON c.id = s.contact_id"
		 " WHERE c.opted_out = 0 GROUP BY s.topic ORDER BY s.topic",
    [K_TABLES] = "SELECT name, key_column, columns, rows, updated"
		 " FROM data_tables ORDER BY name",
    /* As C_QUEUE_CHUNK picks each recipient's channel (store_council.c). */
    [K_AUDIENCE_CHANNELS] =
	"SELECT CASE WHEN c.last_channel IN (SELECT value FROM json_each(?1))"
	" THEN c.last_channel ELSE ?2 END, count(*)"
	" FROM subscriptions s CROSS JOIN contacts c ON c.id = s.contact_id"
	" WHERE s.topic = ?3 AND c.opted_out = 0 GROUP BY 1 ORDER BY 1",
};

_Static_assert(K_COUNT <= STORE_PART_MAX, "too many statements");

static const struct store_sql console = {
    STORE_PART_CONSOLE, console_sql, K_COUNT};

/* Statement i, ready to bind. */
static sqlite3_stmt *
stmt(struct store *st, int i)
{
	return store_sql(st, &console, i);
}

/* A text column, or NULL; valid until the next step or reset. */
static const char *
col_text(sqlite3_stmt *s, int col)
{
	return (const char *)sqlite3_column_text(s, col);
}

/* Ends a walk over statement i: rc is the last step's code. */
static int
walk_end(struct store *st, int i, int rc)
{
	store_sql_done(stmt(st, i));
	if (rc != SQLITE_DONE)
		return store_sql_fail(st, &console, i, rc);
	return 0;
}

/*
 * Steps statement i (bound already) for one row of integers: sets v[k] to
 * column k for k < n. 0 or STORE_ERR.
 */
static int
one_row(struct store *st, int i, int64_t *v, int n)
{
	sqlite3_stmt *s = stmt(st, i);
	int k, rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		for (k = 0; k < n; k++)
			v[k] = sqlite3_column_int64(s, k);
	store_sql_done(s);
	if (rc != SQLITE_ROW)
		return store_sql_fail(st, &console, i, rc);
	return 0;
}

/* Binds text the caller no longer needs (freed here), or NULL. */
static void
bind_owned(sqlite3_stmt *s, int col, char *v)
{
	if (v == NULL)
		sqlite3_bind_null(s, col);
	else
		sqlite3_bind_text(s, col, v, -1, SQLITE_TRANSIENT);
	free(v);
}

/* Binds a LIKE pattern matching s anywhere (escaped), or NULL. */
static void
bind_like(sqlite3_stmt *s, int col, const char *v)
{
	bind_owned(s, col, store_like_pattern(v));
}

/* Binds v[0..n) as a JSON array of strings, or NULL when n is 0. */
static void
bind_strings(sqlite3_stmt *s, int col, const char *const *v, size_t n)
{
	bind_owned(s, col, store_strings_json(v, n));
}

/* Binds v[0..n) as a JSON array of integers, or NULL when n is 0. */
static void
bind_ids(sqlite3_stmt *s, int col, const int64_t *v, size_t n)
{
	bind_owned(s, col, store_ids_json(v, n));
}

/* Messages. */

/* Fills *m from the current row of a statement selecting MSG_COLUMNS. */
static void
msg_row(sqlite3_stmt *s, struct store_msg_row *m)
{
	m->id = sqlite3_column_int64(s, 0);
	m->direction = col_text(s, 1);
	m->kind = col_text(s, 2);
	m->channel = col_text(s, 3);
	m->phone = col_text(s, 4);
	m->state = col_text(s, 5);
	m->text = col_text(s, 6);
	m->segments = sqlite3_column_int(s, 7);
	m->attempts = sqlite3_column_int(s, 8);
	m->error = col_text(s, 9);
	m->contact_id = sqlite3_column_int64(s, 10);
	m->created = sqlite3_column_int64(s, 11);
	m->updated = sqlite3_column_int64(s, 12);
}

/* Binds the optional filters of q to a message statement. */
static void
bind_msg_filters(sqlite3_stmt *s, const struct store_msg_query *q)
{
	store_bind_text(s, 3, q->phone);
	bind_like(s, 4, q->text);
	store_bind_text(s, 5, q->channel);
	store_bind_text(s, 6, q->state);
	store_bind_text(s, 7, q->direction);
	if (q->has_since)
		sqlite3_bind_int64(s, 8, q->since);
	if (q->has_until)
		sqlite3_bind_int64(s, 9, q->until);
	sqlite3_bind_int64(s, 10, (int64_t)q->limit + 1);
}

/*
 * Runs message statement i (bound) and calls cb for at most limit rows;
 * sets *last to the id of the last row delivered and *more to 1 when a
 * row beyond the limit exists.
 */
static int
msg_walk(struct store *st, int i, size_t limit, store_msg_row_cb cb, void *arg,
    int64_t *last, int *more)
{
	sqlite3_stmt *s = stmt(st, i);
	struct store_msg_row m;
	size_t n = 0;
	int rc;

	*last = 0;
	*more = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == limit) {
			*more = 1;
			rc = SQLITE_DONE;
			break;
		}
		msg_row(s, &m);
		if (m.direction == NULL || m.channel == NULL ||
		    m.phone == NULL || m.state == NULL)
			continue;
		n++;
		*last = m.id;
		if (cb(arg, &m) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	return walk_end(st, i, rc);
}

/* Sets *v to the one integer statement i (bound) answers. */
static int
one_int(struct store *st, int i, int64_t *v)
{
	return one_row(st, i, v, 1);
}

int
sq_console_messages(struct store *st, const struct store_msg_query *q,
    store_msg_row_cb cb, void *arg, int64_t *next)
{
	int64_t upper, lower = 0, floor, last, v = 0;
	sqlite3_stmt *s;
	int more, rc;

	*next = 0;
	if (q->limit == 0)
		return STORE_EINVAL;
	if (one_int(st, K_ID_MAX, &v) != 0)
		return STORE_ERR;
	upper = q->before > 0 && q->before <= v ? q->before : v + 1;
	if (one_int(st, K_ID_MIN, &lower) != 0)
		return STORE_ERR;
	if (q->has_until) {
		sqlite3_bind_int64(stmt(st, K_ID_UNTIL), 1, q->until);
		if (one_int(st, K_ID_UNTIL, &v) != 0)
			return STORE_ERR;
		if (v + 1 < upper)
			upper = v + 1;
	}
	if (q->has_since) {
		sqlite3_bind_int64(stmt(st, K_ID_SINCE), 1, q->since);
		sqlite3_bind_int64(stmt(st, K_ID_SINCE), 2, upper);
		if (one_int(st, K_ID_SINCE, &v) != 0)
			return STORE_ERR;
		if (v > lower)
			lower = v;
	}
	if (upper <= lower)
		return 0;
	if (q->contact_id > 0) {
		s = stmt(st, K_MSG_CONTACT);
		sqlite3_bind_int64(s, 1, upper);
		sqlite3_bind_int64(s, 2, q->contact_id);
		bind_msg_filters(s, q);
		if ((rc = msg_walk(st, K_MSG_CONTACT, q->limit, cb, arg, &last,
			 &more)) != 0)
			return rc;
		*next = more ? last : 0;
		return 0;
	}
	floor = upper - STORE_SCAN_WINDOW > lower ? upper - STORE_SCAN_WINDOW
						  : lower;
	s = stmt(st, K_MSG_SCAN);
	sqlite3_bind_int64(s, 1, upper);
	sqlite3_bind_int64(s, 2, floor);
	bind_msg_filters(s, q);
	if ((rc = msg_walk(st, K_MSG_SCAN, q->limit, cb, arg, &last, &more)) !=
	    0)
		return rc;
	if (more)
		*next = last;
	else if (floor > lower)
		*next = floor;
	return 0;
}

int
sq_console_message(struct store *st, int64_t id, store_msg_row_cb cb, void *arg)
{
	sqlite3_stmt *s = stmt(st, K_MSG_ONE);
	struct store_msg_row m;
	int rc;

	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		msg_row(s, &m);
		if (m.direction != NULL && m.channel != NULL &&
		    m.phone != NULL && m.state != NULL)
			cb(arg, &m);
		else
			rc = SQLITE_DONE;
	}
	store_sql_done(s);
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	if (rc != SQLITE_ROW)
		return store_sql_fail(st, &console, K_MSG_ONE, rc);
	return 0;
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
sq_console_retry(struct store *st, int64_t id, int64_t now)
{
	sqlite3_stmt *s = stmt(st, K_RETRY);
	struct retry_look l = {0, 0, 0};
	int rc;

	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	rc = sqlite3_step(s);
	store_sql_done(s);
	if (rc != SQLITE_DONE)
		return store_sql_fail(st, &console, K_RETRY, rc);
	if (sqlite3_changes(st->db) == 1)
		return 0;
	if ((rc = sq_console_message(st, id, retry_look_cb, &l)) != 0)
		return rc;
	return l.out ? STORE_EINVAL : STORE_NOTFOUND;
}

/* Contacts. */

int
sq_console_contacts(struct store *st, const struct store_contact_query *q,
    store_contact_row_cb cb, void *arg, int64_t *next)
{
	sqlite3_stmt *s = stmt(st, K_CONTACTS);
	struct store_contact c;
	size_t n = 0;
	int64_t last = 0;
	int rc, search;

	*next = 0;
	if (q->limit == 0)
		return STORE_EINVAL;
	search = q->phone != NULL || q->part != NULL;
	sqlite3_bind_int64(s, 1, q->before > 0 ? q->before : INT64_MAX);
	store_bind_text(s, 2, q->phone);
	bind_like(s, 3, q->part_in_phone ? q->part : NULL);
	bind_like(s, 4, q->part);
	sqlite3_bind_int(s, 5, search);
	sqlite3_bind_int64(s, 6, (int64_t)q->limit + 1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == q->limit) {
			*next = last;
			rc = SQLITE_DONE;
			break;
		}
		memset(&c, 0, sizeof(c));
		c.id = sqlite3_column_int64(s, 0);
		c.phone = (char *)col_text(s, 1);
		c.language = (char *)col_text(s, 2);
		c.opted_out = sqlite3_column_int(s, 3) != 0;
		c.fields = (char *)col_text(s, 4);
		c.last_channel = (char *)col_text(s, 5);
		c.created = sqlite3_column_int64(s, 6);
		c.updated = sqlite3_column_int64(s, 7);
		if (c.phone == NULL)
			continue;
		if (c.fields == NULL)
			c.fields = "{}";
		n++;
		last = c.id;
		if (cb(arg, &c) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	return walk_end(st, K_CONTACTS, rc);
}

/* Reports. */

int
sq_console_reports(struct store *st, const struct store_report_query *q,
    store_report_cb cb, void *arg, int64_t *next)
{
	sqlite3_stmt *s = stmt(st, K_REPORTS);
	struct store_report r;
	size_t n = 0;
	int64_t last = 0;
	int rc;

	*next = 0;
	sqlite3_bind_int64(s, 1, q->before > 0 ? q->before : INT64_MAX);
	bind_strings(s, 2, q->statuses, q->nstatuses);
	bind_strings(s, 3, q->categories, q->ncategories);
	bind_like(s, 4, q->words);
	if (q->has_until)
		sqlite3_bind_int64(s, 5, q->until);
	bind_ids(s, 6, q->ids, q->nids);
	sqlite3_bind_int64(s, 7, q->limit > 0 ? (int64_t)q->limit + 1 : -1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (q->limit > 0 && n == q->limit) {
			*next = last;
			rc = SQLITE_DONE;
			break;
		}
		/* Pointers into the row stay valid until the next step. */
		memset(&r, 0, sizeof(r));
		r.id = sqlite3_column_int64(s, 0);
		r.contact_id = sqlite3_column_int64(s, 1);
		r.flow = (char *)col_text(s, 2);
		r.category = (char *)col_text(s, 3);
		r.location = (char *)col_text(s, 4);
		r.details = (char *)col_text(s, 5);
		r.status = (char *)col_text(s, 6);
		r.created = sqlite3_column_int64(s, 7);
		r.updated = sqlite3_column_int64(s, 8);
		if (r.status == NULL)
			continue;
		n++;
		last = r.id;
		if (cb(arg, &r, col_text(s, 9)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	return walk_end(st, K_REPORTS, rc);
}

/* The overview. */

int
sq_console_counts(
    struct store *st, int64_t from, int64_t to, int64_t *in, int64_t *out)
{
	sqlite3_stmt *s = stmt(st, K_COUNT_RANGE);
	int64_t v[2] = {0, 0};
	int rc;

	sqlite3_bind_int64(s, 1, from);
	sqlite3_bind_int64(s, 2, to);
	rc = one_row(st, K_COUNT_RANGE, v, 2);
	*in = v[0];
	*out = v[1];
	return rc;
}

int
sq_console_first_id(struct store *st, int64_t since, int64_t *id)
{
	int64_t max = 0;

	if (one_int(st, K_ID_MAX, &max) != 0)
		return STORE_ERR;
	sqlite3_bind_int64(stmt(st, K_ID_SINCE), 1, since);
	sqlite3_bind_int64(stmt(st, K_ID_SINCE), 2, max + 1);
	return one_int(st, K_ID_SINCE, id);
}

/* Counts channel's messages in state from id on. */
static int
outcome(struct store *st, const char *channel, const char *state, int64_t from,
    int64_t *n)
{
	sqlite3_stmt *s = stmt(st, K_OUTCOMES);

	store_bind_text(s, 1, state);
	store_bind_text(s, 2, channel);
	sqlite3_bind_int64(s, 3, from);
	return one_int(st, K_OUTCOMES, n);
}

int
sq_console_outcomes(struct store *st, const char *channel, int64_t since,
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

/* Walks the rows (text, count) of statement i (bound). */
static int
counts(struct store *st, int i, store_count_cb cb, void *arg)
{
	sqlite3_stmt *s = stmt(st, i);
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (cb(arg, col_text(s, 0) ? col_text(s, 0) : "",
			sqlite3_column_int64(s, 1)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	return walk_end(st, i, rc);
}

int
sq_console_queued(struct store *st, store_count_cb cb, void *arg)
{
	return counts(st, K_QUEUED, cb, arg);
}

/* The newest message of channel in state: its updated and error. */
static int
channel_last(struct store *st, const char *channel, const char *state,
    int64_t *at, char **error)
{
	sqlite3_stmt *s = stmt(st, K_CHANNEL_LAST);
	int rc;

	*at = -1;
	store_bind_text(s, 1, state);
	store_bind_text(s, 2, channel);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*at = sqlite3_column_int64(s, 0);
		if (error != NULL)
			*error = store_column_dup(s, 1);
	}
	store_sql_done(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_sql_fail(st, &console, K_CHANNEL_LAST, rc);
	return 0;
}

int
sq_console_channel(
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

void
store_channel_health_free(struct store_channel_health *h)
{
	free(h->error);
	h->error = NULL;
}

int
sq_console_open_reports(struct store *st, store_open_reports_cb cb, void *arg)
{
	sqlite3_stmt *s = stmt(st, K_OPEN_REPORTS);
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (cb(arg, col_text(s, 0) ? col_text(s, 0) : "",
			sqlite3_column_int64(s, 1),
			sqlite3_column_int64(s, 2)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	return walk_end(st, K_OPEN_REPORTS, rc);
}

int
sq_console_report_ages(
    struct store *st, int64_t day, int64_t week, int64_t out[3])
{
	sqlite3_stmt *s = stmt(st, K_REPORT_AGES);

	sqlite3_bind_int64(s, 1, day);
	sqlite3_bind_int64(s, 2, week);
	return one_row(st, K_REPORT_AGES, out, 3);
}

int
sq_console_median_resolution(struct store *st, double *ms)
{
	sqlite3_stmt *s;
	int64_t n = 0;
	double sum = 0;
	int rows = 0, rc;

	if (one_int(st, K_RESOLVED_COUNT, &n) != 0)
		return STORE_ERR;
	if (n == 0)
		return STORE_NOTFOUND;
	/* The middle row, or the two middle rows of an even count. */
	s = stmt(st, K_RESOLVED_MEDIAN);
	sqlite3_bind_int64(s, 1, n % 2 == 0 ? 2 : 1);
	sqlite3_bind_int64(s, 2, (n - 1) / 2);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		sum += sqlite3_column_double(s, 0);
		rows++;
	}
	if ((rc = walk_end(st, K_RESOLVED_MEDIAN, rc)) != 0)
		return rc;
	if (rows == 0)
		return STORE_NOTFOUND;
	*ms = sum / rows;
	return 0;
}

/* Topics, tables, audiences. */

int
sq_console_topics(struct store *st, store_count_cb cb, void *arg)
{
	return counts(st, K_TOPICS, cb, arg);
}

int
sq_console_tables(struct store *st, store_table_info_cb cb, void *arg)
{
	sqlite3_stmt *s = stmt(st, K_TABLES);
	struct store_table_info t;
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		t.name = col_text(s, 0);
		t.key = col_text(s, 1);
		t.columns = col_text(s, 2);
		t.rows = sqlite3_column_int64(s, 3);
		t.updated = sqlite3_column_int64(s, 4);
		if (t.name == NULL || t.key == NULL || t.columns == NULL)
			continue;
		if (cb(arg, &t) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	return walk_end(st, K_TABLES, rc);
}

int
sq_console_audience_channels(struct store *st, const char *topic,
    const char *channels, const char *fallback, store_count_cb cb, void *arg)
{
	sqlite3_stmt *s = stmt(st, K_AUDIENCE_CHANNELS);

	store_bind_text(s, 1, channels);
	store_bind_text(s, 2, fallback);
	store_bind_text(s, 3, topic);
	return counts(st, K_AUDIENCE_CHANNELS, cb, arg);
}
