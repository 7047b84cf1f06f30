/*
 * store_council.c: the store's queries for the council and the commands:
 * broadcasts, forgetting a contact and the retention purge, what `baraza
 * contact` shows, reports beyond their rows, and the figures of /metrics
 * and `baraza stats`. The statements sit in one table (STORE_PART_COUNCIL),
 * each prepared on its first use and kept (store_int.h).
 */
#include "gateway/store_check.h"
#include "gateway/store_int.h"

#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

enum {
	C_AUDIENCE,
	C_QUEUE_CHUNK,
	C_LAST_CONTACT,
	C_BROADCAST_INSERT,
	C_BROADCAST_TOTALS,
	C_BROADCAST_ADVANCE,
	C_BROADCAST_PENDING,
	C_BROADCAST_GET,
	C_BROADCAST_STATES,
	C_FOREIGN_KEYS_OFF,
	C_FOREIGN_KEYS_ON,
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
    /* Broadcasts. The audience: subscribers of ?1 not opted out. */
    [C_AUDIENCE] = "SELECT count(*) FROM subscriptions s CROSS JOIN contacts c"
		   " ON c.id = s.contact_id WHERE s.topic = ?1"
		   " AND c.opted_out = 0",
    /*
     * One chunk of the audience, in contact order after contact ?9. The
     * channel is the contact's last one when it is among the configured
     * names (?1, a JSON array), else the broadcast's (?2). CROSS JOIN keeps
     * the subscriptions index (topic, contact_id) as the outer loop, so
     * rows come in contact order and the last one inserted ends the chunk.
     */
    [C_QUEUE_CHUNK] =
	"INSERT INTO messages (direction, channel, kind, contact_id, phone,"
	" text, state, segments, next_attempt, broadcast_id, created, updated)"
	" SELECT 'out', CASE WHEN c.last_channel IN"
	" (SELECT value FROM json_each(?1)) THEN c.last_channel ELSE ?2 END,"
	" 'sms', c.id, c.phone, ?3, 'queued', ?4, ?5, ?6, ?7, ?7"
	" FROM subscriptions s CROSS JOIN contacts c ON c.id = s.contact_id"
	" WHERE s.topic = ?8 AND s.contact_id > ?9 AND c.opted_out = 0"
	" ORDER BY s.contact_id LIMIT ?10",
    [C_LAST_CONTACT] = "SELECT contact_id FROM messages WHERE id = ?1",
    [C_BROADCAST_INSERT] = "INSERT INTO broadcasts (text, topic, channel,"
			   " created, send_at, recipients, segments)"
			   " VALUES (?1, ?2, ?3, ?4, ?5, 0, 0)",
    [C_BROADCAST_ADVANCE] = "UPDATE broadcasts SET queued_upto ="
			    " CASE WHEN ?3 < 0 THEN NULL ELSE ?3 END"
			    " WHERE id = ?1 AND coalesce(queued_upto, -1) = ?2",
    /* The columns of C_BROADCAST_GET, then queued_upto. */
    [C_BROADCAST_PENDING] = "SELECT id, text, topic, channel, created,"
			    " send_at, recipients, segments, queued_upto"
			    " FROM broadcasts WHERE queued_upto IS NOT NULL"
			    " ORDER BY id LIMIT 1",
    /* Recipients -1: the messages it queued, counted on their index. */
    [C_BROADCAST_TOTALS] = "UPDATE broadcasts SET recipients = CASE"
			   " WHEN ?2 >= 0 THEN ?2 ELSE (SELECT count(*)"
			   " FROM messages WHERE broadcast_id = ?1) END,"
			   " segments = ?3 WHERE id = ?1",
    [C_BROADCAST_GET] = "SELECT id, text, topic, channel, created, send_at,"
			" recipients, segments FROM broadcasts WHERE id = ?1",
    [C_BROADCAST_STATES] = "SELECT state, count(*) FROM messages"
			   " WHERE broadcast_id = ?1 GROUP BY state",
    [C_FOREIGN_KEYS_OFF] = "PRAGMA foreign_keys = OFF",
    [C_FOREIGN_KEYS_ON] = "PRAGMA foreign_keys = ON",

    /* A contact, as `baraza contact` shows it. */
    [C_CONTACT_BY_ID] = "SELECT id, phone, language, opted_out, fields,"
			" last_channel, created, updated FROM contacts"
			" WHERE id = ?1",
    [C_CONTACT_TOPICS] = "SELECT topic FROM subscriptions"
			 " WHERE contact_id = ?1 ORDER BY topic",
    [C_CONTACT_MESSAGES] = "SELECT direction, state, count(*), count(text)"
			   " FROM messages WHERE contact_id = ?1 OR phone = ?2"
			   " GROUP BY 1, 2 ORDER BY 1, 2",
    [C_CONTACT_SESSIONS] = "SELECT count(*) FROM sessions"
			   " WHERE contact_id = ?1 AND expires > ?2",
    [C_CONTACT_REPORTS] = "SELECT id, status, category, created FROM reports"
			  " WHERE contact_id = ?1 ORDER BY id",

    /*
     * Forgetting. A contact's messages are those linked to it and those
     * to or from its number (`baraza send` queues without a link). Queued
     * messages would go out without a text: they are cancelled.
     */
    [C_FORGET_INFO] = "SELECT (SELECT count(*) FROM json_each(fields)),"
		      " language IS NOT NULL, phone FROM contacts"
		      " WHERE id = ?1",
    [C_FORGET_CANCEL] = "UPDATE messages SET state = 'failed',"
			" error = 'forgotten', text = NULL,"
			" next_attempt = NULL, updated = ?2"
			" WHERE (contact_id = ?1 OR phone = ?3)"
			" AND state = 'queued'",
    [C_FORGET_BLANK] = "UPDATE messages SET text = NULL"
		       " WHERE (contact_id = ?1 OR phone = ?3)"
		       " AND text IS NOT NULL AND state <> 'sending'",
    [C_FORGET_IN_FLIGHT] = "SELECT count(*) FROM messages"
			   " WHERE (contact_id = ?1 OR phone = ?3)"
			   " AND text IS NOT NULL AND state = 'sending'",
    /*
     * The provider's requests and answers for them (the number, the
     * text), then the rows, but for one being sent this instant.
     */
    [C_FORGET_CHANLOG] = "DELETE FROM channel_log WHERE message_id IN"
			 " (SELECT id FROM messages"
			 " WHERE (contact_id = ?1 OR phone = ?3)"
			 " AND state <> 'sending')",
    [C_FORGET_MESSAGES] = "DELETE FROM messages"
			  " WHERE (contact_id = ?1 OR phone = ?3)"
			  " AND state <> 'sending'",
    [C_FORGET_SESSIONS] = "DELETE FROM sessions WHERE contact_id = ?1",
    /* Africa's Talking's USSD texts: "CHANNEL\x1fSESSION\x1fPHONE". */
    [C_FORGET_USSD] = "DELETE FROM ussd_seen"
		      " WHERE substr(key, -length(?3) - 1) = char(31) || ?3",
    /*
     * Parts of a long message waiting go; joined ones keep their key (a
     * provider's retry stays a duplicate) without the number.
     */
    [C_FORGET_PARTS] = "DELETE FROM sms_parts WHERE phone = ?3"
		       " AND joined = 0",
    [C_FORGET_PART_KEYS] = "UPDATE sms_parts SET phone = '', ref = ''"
			   " WHERE phone = ?3 AND joined = 1",
    [C_FORGET_SUBSCRIPTIONS] = "DELETE FROM subscriptions"
			       " WHERE contact_id = ?1",
    [C_FORGET_REPORTS] = "UPDATE reports SET contact_id = NULL"
			 " WHERE contact_id = ?1",
    [C_FORGET_CONTACT] = "UPDATE contacts SET fields = '{}', language = NULL,"
			 " last_channel = NULL, updated = ?2 WHERE id = ?1",
    /* Retention. */
    /* A range of ids, read along the table's own b-tree. */
    [C_PURGE] = "UPDATE messages SET text = NULL WHERE id >= ?2 AND id < ?3"
		" AND created < ?1 AND text IS NOT NULL"
		" AND state NOT IN ('queued', 'sending')",
    [C_PURGE_LEFT] = "SELECT coalesce(min(id), 0) FROM messages"
		     " WHERE id >= ?1 AND id < ?2 AND text IS NOT NULL",

    /* Reports. */
    [C_REPORT_LIST] =
	"SELECT r.id, r.contact_id, r.flow, r.category, r.location,"
	" r.details, r.status, r.created, r.updated,"
	" (SELECT e.note FROM report_events e WHERE e.report_id = r.id"
	"  AND e.note IS NOT NULL AND e.note <> '' ORDER BY e.id DESC LIMIT 1)"
	" FROM reports r"
	" WHERE (?1 IS NULL OR r.status IN (SELECT value FROM json_each(?1)))"
	" AND (?2 IS NULL OR r.category IN (SELECT value FROM json_each(?2)))"
	" AND (?3 IS NULL OR r.id IN (SELECT value FROM json_each(?3)))"
	" AND (?4 IS NULL OR r.created >= ?4)"
	" AND (?5 IS NULL OR r.created <= ?5)"
	" ORDER BY r.id DESC LIMIT ?6",
    /* The newest ?2 events, in time order. */
    [C_REPORT_EVENTS] = "SELECT time, status, note FROM (SELECT id, time,"
			" status, note FROM report_events"
			" WHERE report_id = ?1 ORDER BY id DESC LIMIT ?2)"
			" ORDER BY id",
    [C_REPORT_LAST_NOTE] = "SELECT note FROM report_events"
			   " WHERE report_id = ?1 AND note IS NOT NULL"
			   " AND note <> '' ORDER BY id DESC LIMIT 1",
    [C_REPORT_CATEGORIES] = "SELECT DISTINCT category FROM reports"
			    " WHERE category IS NOT NULL AND category <> ''"
			    " ORDER BY category LIMIT ?1",

    /*
     * Figures. GROUP BY (state, channel) is answered from the covering
     * index messages_queue (state, channel, next_attempt) without reading
     * the table.
     */
    [C_STATS_MESSAGES] = "SELECT channel, state, count(*) FROM messages"
			 " GROUP BY state, channel ORDER BY channel, state",
    [C_STATS_REPORTS] = "SELECT coalesce(category, ''), status, count(*)"
			" FROM reports GROUP BY 1, 2 ORDER BY 1, 2",
    /*
     * Live sessions along sessions_purge: those not past their first
     * expiry, and those past it whose steps moved expires on.
     */
    [C_STATS_SESSIONS] = "SELECT (SELECT count(*) FROM sessions"
			 " WHERE purge_after > ?1)"
			 " + (SELECT count(*) FROM sessions"
			 " WHERE purge_after <= ?1 AND expires > ?1)",
    /* Each resolved or closed report's first resolving event, seconds. */
    [C_STATS_RESOLUTION] =
	"SELECT count(*), total(d),"
	" total(d <= ?1), total(d <= ?2), total(d <= ?3), total(d <= ?4),"
	" total(d <= ?5), total(d <= ?6), total(d <= ?7), total(d <= ?8)"
	" FROM (SELECT (min(e.time) - r.created) / 1000.0 AS d"
	"  FROM reports r JOIN report_events e ON e.report_id = r.id"
	"  WHERE r.status IN ('resolved', 'closed')"
	"   AND e.status IN ('resolved', 'closed')"
	"  GROUP BY r.id)",
    [C_STATS_FAILURES] = "SELECT updated, channel, phone, coalesce(error, '')"
			 " FROM messages WHERE state = 'failed'"
			 " ORDER BY updated DESC, id DESC LIMIT ?1",
    [C_STATS_MODEMS] = "SELECT channel, up, signal, network, balance,"
		       " balance_at, last_error, failures, restarts, updated"
		       " FROM modem_state ORDER BY channel",
    [C_STATS_MODEM_KNOWN] = "SELECT 1 FROM modem_state WHERE channel = ?1",
};

_Static_assert(C_COUNT <= STORE_PART_MAX, "too many statements");

static const struct store_sql council = {
    STORE_PART_COUNCIL, council_sql, C_COUNT};

/* Statement i, ready to bind. */
static sqlite3_stmt *
stmt(struct store *st, int i)
{
	return store_sql(st, &council, i);
}

/* A text column, or NULL; valid until the next step or reset. */
static const char *
col_text(sqlite3_stmt *s, int col)
{
	return (const char *)sqlite3_column_text(s, col);
}

/*
 * Steps statement i (bound already), which returns no row, resets it and
 * sets *n (when not NULL) to the rows it changed. 0 or STORE_ERR.
 */
static int
changed(struct store *st, int i, int64_t *n)
{
	int rc = sqlite3_step(stmt(st, i));

	store_sql_done(stmt(st, i));
	if (rc != SQLITE_DONE)
		return store_sql_fail(st, &council, i, rc);
	if (n != NULL)
		*n = sqlite3_changes64(st->db);
	return 0;
}

/*
 * Steps statement i (bound already) for one row and sets *v to its first
 * column, resets it. 0, STORE_NOTFOUND without a row, or STORE_ERR.
 */
static int
one_int(struct store *st, int i, int64_t *v)
{
	sqlite3_stmt *s = stmt(st, i);
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(s, 0);
	store_sql_done(s);
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	if (rc != SQLITE_ROW)
		return store_sql_fail(st, &council, i, rc);
	return 0;
}

/*
 * Ends a walk over the rows of statement i: rc is the last step's code,
 * or SQLITE_DONE when the callback stopped it. Resets the statement and
 * returns 0 or STORE_ERR.
 */
static int
walk_end(struct store *st, int i, int rc)
{
	store_sql_done(stmt(st, i));
	if (rc != SQLITE_DONE)
		return store_sql_fail(st, &council, i, rc);
	return 0;
}

/* Broadcasts. */

int
sq_broadcast_audience(struct store *st, const char *topic, int64_t *n)
{
	int rc;

	store_bind_text(stmt(st, C_AUDIENCE), 1, topic);
	rc = one_int(st, C_AUDIENCE, n);
	if (rc == STORE_NOTFOUND)
		rc = STORE_ERR; /* count(*) always has a row */
	return rc;
}

int
sq_broadcast_insert(struct store *st, const char *text, const char *topic,
    const char *channel, int64_t now, int64_t send_at, int64_t *id)
{
	sqlite3_stmt *s = stmt(st, C_BROADCAST_INSERT);

	store_bind_text(s, 1, text);
	store_bind_text(s, 2, topic);
	store_bind_text(s, 3, channel);
	sqlite3_bind_int64(s, 4, now);
	sqlite3_bind_int64(s, 5, send_at);
	if (changed(st, C_BROADCAST_INSERT, NULL) != 0)
		return STORE_ERR;
	*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
sq_broadcast_set_totals(
    struct store *st, int64_t id, int64_t recipients, int64_t segments)
{
	sqlite3_stmt *s = stmt(st, C_BROADCAST_TOTALS);

	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, recipients);
	sqlite3_bind_int64(s, 3, segments);
	return changed(st, C_BROADCAST_TOTALS, NULL);
}

/* A broadcasts row's columns id ... segments, as C_BROADCAST_GET's. */
static void
broadcast_row(sqlite3_stmt *s, struct store_broadcast *out)
{
	out->id = sqlite3_column_int64(s, 0);
	out->text = store_column_dup(s, 1);
	out->topic = store_column_dup(s, 2);
	out->channel = store_column_dup(s, 3);
	out->created = sqlite3_column_int64(s, 4);
	out->send_at = sqlite3_column_int64(s, 5);
	out->recipients = sqlite3_column_int64(s, 6);
	out->segments = sqlite3_column_int64(s, 7);
}

int
sq_broadcast_advance(struct store *st, int64_t id, int64_t from, int64_t upto)
{
	sqlite3_stmt *s = stmt(st, C_BROADCAST_ADVANCE);
	int64_t n = 0;

	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, from);
	sqlite3_bind_int64(s, 3, upto);
	if (changed(st, C_BROADCAST_ADVANCE, &n) != 0)
		return STORE_ERR;
	return n > 0;
}

int
sq_broadcast_pending(
    struct store *st, struct store_broadcast *out, int64_t *upto)
{
	sqlite3_stmt *s = stmt(st, C_BROADCAST_PENDING);
	int rc = sqlite3_step(s);

	memset(out, 0, sizeof(*out));
	if (rc == SQLITE_ROW) {
		broadcast_row(s, out);
		*upto = sqlite3_column_int64(s, 8);
	}
	store_sql_done(s);
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	if (rc != SQLITE_ROW) {
		store_broadcast_free(out);
		return store_sql_fail(st, &council, C_BROADCAST_PENDING, rc);
	}
	return 0;
}

int
sq_broadcast_queue_chunk(struct store *st,
    const struct store_broadcast_chunk *c, int64_t *after, int64_t *n)
{
	sqlite3_stmt *s = stmt(st, C_QUEUE_CHUNK);

	store_bind_text(s, 1, c->channels);
	store_bind_text(s, 2, c->channel);
	store_bind_text(s, 3, c->text);
	sqlite3_bind_int64(s, 4, c->segments);
	sqlite3_bind_int64(s, 5, c->send_at);
	sqlite3_bind_int64(s, 6, c->id);
	sqlite3_bind_int64(s, 7, c->now);
	store_bind_text(s, 8, c->topic);
	sqlite3_bind_int64(s, 9, *after);
	sqlite3_bind_int64(s, 10, c->limit);
	if (changed(st, C_QUEUE_CHUNK, n) != 0)
		return STORE_ERR;
	if (*n == 0)
		return 0;
	/* The last row inserted holds the chunk's last contact. */
	sqlite3_bind_int64(
	    stmt(st, C_LAST_CONTACT), 1, sqlite3_last_insert_rowid(st->db));
	return one_int(st, C_LAST_CONTACT, after) == 0 ? 0 : STORE_ERR;
}

/* Adds n messages in state to the counts of b. */
static void
count_state(struct store_broadcast *b, const char *state, int64_t n)
{
	if (state == NULL)
		return;
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
sq_broadcast_get(struct store *st, int64_t id, struct store_broadcast *out)
{
	sqlite3_stmt *s = stmt(st, C_BROADCAST_GET);
	int rc;

	memset(out, 0, sizeof(*out));
	sqlite3_bind_int64(s, 1, id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		broadcast_row(s, out);
	store_sql_done(s);
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	if (rc != SQLITE_ROW)
		return store_sql_fail(st, &council, C_BROADCAST_GET, rc);

	s = stmt(st, C_BROADCAST_STATES);
	sqlite3_bind_int64(s, 1, id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		count_state(out, col_text(s, 0), sqlite3_column_int64(s, 1));
	if (walk_end(st, C_BROADCAST_STATES, rc) != 0) {
		store_broadcast_free(out);
		return STORE_ERR;
	}
	return 0;
}

void
store_broadcast_free(struct store_broadcast *b)
{
	free(b->text);
	free(b->topic);
	free(b->channel);
	memset(b, 0, sizeof(*b));
}

int
sq_foreign_keys(struct store *st, int on)
{
	return changed(st, on ? C_FOREIGN_KEYS_ON : C_FOREIGN_KEYS_OFF, NULL);
}

/* A contact, as `baraza contact` shows it. */

int
sq_contact_by_id(struct store *st, int64_t id, struct store_contact *out)
{
	sqlite3_stmt *s = stmt(st, C_CONTACT_BY_ID);
	int rc;

	memset(out, 0, sizeof(*out));
	sqlite3_bind_int64(s, 1, id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		out->id = sqlite3_column_int64(s, 0);
		out->phone = store_column_dup(s, 1);
		out->language = store_column_dup(s, 2);
		out->opted_out = sqlite3_column_int(s, 3);
		out->fields = store_column_dup(s, 4);
		out->last_channel = store_column_dup(s, 5);
		out->created = sqlite3_column_int64(s, 6);
		out->updated = sqlite3_column_int64(s, 7);
		if (out->fields == NULL)
			out->fields = xstrdup("{}");
	}
	store_sql_done(s);
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	if (rc != SQLITE_ROW)
		return store_sql_fail(st, &council, C_CONTACT_BY_ID, rc);
	return 0;
}

int
sq_contact_topics(
    struct store *st, int64_t contact_id, store_name_cb cb, void *arg)
{
	sqlite3_stmt *s = stmt(st, C_CONTACT_TOPICS);
	int rc;

	sqlite3_bind_int64(s, 1, contact_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (col_text(s, 0) != NULL && cb(arg, col_text(s, 0)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	return walk_end(st, C_CONTACT_TOPICS, rc);
}

int
sq_contact_messages(struct store *st, int64_t contact_id, const char *phone,
    store_contact_count_cb cb, void *arg)
{
	sqlite3_stmt *s = stmt(st, C_CONTACT_MESSAGES);
	struct store_contact_count c;
	int rc;

	sqlite3_bind_int64(s, 1, contact_id);
	store_bind_text(s, 2, phone);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		c.direction = col_text(s, 0);
		c.state = col_text(s, 1);
		c.n = sqlite3_column_int64(s, 2);
		c.with_text = sqlite3_column_int64(s, 3);
		if (c.direction == NULL || c.state == NULL)
			continue;
		if (cb(arg, &c) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	return walk_end(st, C_CONTACT_MESSAGES, rc);
}

int
sq_contact_sessions(
    struct store *st, int64_t contact_id, int64_t now, int64_t *n)
{
	sqlite3_stmt *s = stmt(st, C_CONTACT_SESSIONS);

	sqlite3_bind_int64(s, 1, contact_id);
	sqlite3_bind_int64(s, 2, now);
	return one_int(st, C_CONTACT_SESSIONS, n) == 0 ? 0 : STORE_ERR;
}

int
sq_contact_reports(
    struct store *st, int64_t contact_id, store_report_cb cb, void *arg)
{
	sqlite3_stmt *s = stmt(st, C_CONTACT_REPORTS);
	struct store_report r;
	int rc;

	sqlite3_bind_int64(s, 1, contact_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		/* Pointers into the row stay valid until the next step. */
		memset(&r, 0, sizeof(r));
		r.id = sqlite3_column_int64(s, 0);
		r.contact_id = contact_id;
		r.status = (char *)col_text(s, 1);
		r.category = (char *)col_text(s, 2);
		r.created = sqlite3_column_int64(s, 3);
		if (r.status == NULL)
			continue;
		if (cb(arg, &r, NULL) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	return walk_end(st, C_CONTACT_REPORTS, rc);
}

/* Forgetting and retention. */

/* Reads what forgetting contact id will erase; sets *phone (caller frees). */
static int
forget_info(
    struct store *st, int64_t id, struct store_forgotten *out, char **phone)
{
	sqlite3_stmt *s = stmt(st, C_FORGET_INFO);
	int rc;

	sqlite3_bind_int64(s, 1, id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		out->fields = sqlite3_column_int64(s, 0);
		out->language = sqlite3_column_int(s, 1) != 0;
		*phone = store_column_dup(s, 2);
	}
	store_sql_done(s);
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	if (rc != SQLITE_ROW)
		return store_sql_fail(st, &council, C_FORGET_INFO, rc);
	return 0;
}

/*
 * Binds contact id as ?1, now as ?2 and phone as ?3 (those statement i
 * has) and steps it: *n is the rows it changed, or a SELECT's count.
 */
static int
forget_step(struct store *st, int i, int64_t id, int64_t now, const char *phone,
    int64_t *n)
{
	sqlite3_stmt *s = stmt(st, i);
	int np = sqlite3_bind_parameter_count(s);
	int64_t unused;

	sqlite3_bind_int64(s, 1, id);
	if (np >= 2)
		sqlite3_bind_int64(s, 2, now);
	if (np >= 3)
		store_bind_text(s, 3, phone);
	if (n == NULL)
		n = &unused;
	if (sqlite3_stmt_readonly(s))
		return one_int(st, i, n) == 0 ? 0 : STORE_ERR;
	return changed(st, i, n);
}

int
sq_contact_forget(
    struct store *st, int64_t id, int64_t now, struct store_forgotten *out)
{
	char *phone = NULL;
	int64_t blanked, parts;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = forget_info(st, id, out, &phone)) != 0)
		return rc;
	if (forget_step(st, C_FORGET_CANCEL, id, now, phone, &out->cancelled) !=
		0 ||
	    forget_step(st, C_FORGET_BLANK, id, now, phone, &blanked) != 0 ||
	    forget_step(
		st, C_FORGET_IN_FLIGHT, id, now, phone, &out->in_flight) != 0 ||
	    forget_step(st, C_FORGET_CHANLOG, id, now, phone, NULL) != 0 ||
	    forget_step(
		st, C_FORGET_MESSAGES, id, now, phone, &out->messages) != 0 ||
	    forget_step(st, C_FORGET_USSD, id, now, phone, NULL) != 0 ||
	    forget_step(
		st, C_FORGET_SESSIONS, id, now, phone, &out->sessions) != 0 ||
	    forget_step(st, C_FORGET_PARTS, id, now, phone, &parts) != 0 ||
	    forget_step(st, C_FORGET_PART_KEYS, id, now, phone, NULL) != 0 ||
	    forget_step(st, C_FORGET_SUBSCRIPTIONS, id, now, phone,
		&out->subscriptions) != 0 ||
	    forget_step(st, C_FORGET_REPORTS, id, now, phone, &out->reports) !=
		0 ||
	    forget_step(st, C_FORGET_CONTACT, id, now, phone, NULL) != 0) {
		free(phone);
		memset(out, 0, sizeof(*out));
		return STORE_ERR;
	}
	free(phone);
	out->texts = out->cancelled + blanked + parts;
	return 0;
}

int64_t
sq_privacy_purge(
    struct store *st, int64_t before, int64_t from, int64_t to, int64_t *left)
{
	int64_t n;

	sqlite3_bind_int64(stmt(st, C_PURGE), 1, before);
	sqlite3_bind_int64(stmt(st, C_PURGE), 2, from);
	sqlite3_bind_int64(stmt(st, C_PURGE), 3, to);
	if (changed(st, C_PURGE, &n) != 0)
		return STORE_ERR;
	sqlite3_bind_int64(stmt(st, C_PURGE_LEFT), 1, from);
	sqlite3_bind_int64(stmt(st, C_PURGE_LEFT), 2, to);
	if (one_int(st, C_PURGE_LEFT, left) != 0)
		return STORE_ERR;
	return n;
}

/* Reports. */

/* Binds v[0..n) as a JSON array of strings to parameter i, NULL when n is 0. */
static void
bind_strings(sqlite3_stmt *s, int i, const char *const *v, size_t n)
{
	char *txt = store_strings_json(v, n);

	if (txt == NULL)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_text(s, i, txt, -1, SQLITE_TRANSIENT);
	free(txt);
}

/* Binds v[0..n) as a JSON array of integers to parameter i, or NULL. */
static void
bind_ids(sqlite3_stmt *s, int i, const int64_t *v, size_t n)
{
	char *txt = store_ids_json(v, n);

	if (txt == NULL)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_text(s, i, txt, -1, SQLITE_TRANSIENT);
	free(txt);
}

int
sq_report_each(struct store *st, const struct store_report_filter *f,
    store_report_cb cb, void *arg)
{
	static const struct store_report_filter all;
	sqlite3_stmt *s = stmt(st, C_REPORT_LIST);
	struct store_report r;
	int rc;

	if (f == NULL)
		f = &all;
	bind_strings(s, 1, f->statuses, f->nstatuses);
	bind_strings(s, 2, f->categories, f->ncategories);
	bind_ids(s, 3, f->ids, f->nids);
	if (f->has_since)
		sqlite3_bind_int64(s, 4, f->since);
	if (f->has_until)
		sqlite3_bind_int64(s, 5, f->until);
	sqlite3_bind_int64(s, 6, f->limit > 0 ? (int64_t)f->limit : -1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
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
		if (cb(arg, &r, col_text(s, 9)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	return walk_end(st, C_REPORT_LIST, rc);
}

int
sq_report_events(struct store *st, int64_t id, size_t max,
    store_report_event_cb cb, void *arg)
{
	sqlite3_stmt *s = stmt(st, C_REPORT_EVENTS);
	int rc;

	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, (int64_t)max);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (cb(arg, sqlite3_column_int64(s, 0),
			col_text(s, 1) ? col_text(s, 1) : "",
			col_text(s, 2)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	return walk_end(st, C_REPORT_EVENTS, rc);
}

int
sq_report_last_note(struct store *st, int64_t id, char **note)
{
	sqlite3_stmt *s = stmt(st, C_REPORT_LAST_NOTE);
	int rc;

	*note = NULL;
	sqlite3_bind_int64(s, 1, id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*note = store_column_dup(s, 0);
	store_sql_done(s);
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	if (rc != SQLITE_ROW)
		return store_sql_fail(st, &council, C_REPORT_LAST_NOTE, rc);
	return 0;
}

int
sq_report_categories(struct store *st, size_t max, store_name_cb cb, void *arg)
{
	sqlite3_stmt *s = stmt(st, C_REPORT_CATEGORIES);
	int rc;

	sqlite3_bind_int64(s, 1, (int64_t)max);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (col_text(s, 0) != NULL && cb(arg, col_text(s, 0)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	return walk_end(st, C_REPORT_CATEGORIES, rc);
}

/* Figures. */

/* Walks the rows (text, text, count) of statement i. */
static int
tally(struct store *st, int i, store_tally_cb cb, void *arg)
{
	sqlite3_stmt *s = stmt(st, i);
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (cb(arg, col_text(s, 0) ? col_text(s, 0) : "",
			col_text(s, 1) ? col_text(s, 1) : "",
			sqlite3_column_int64(s, 2)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	return walk_end(st, i, rc);
}

int
sq_stats_messages(struct store *st, store_tally_cb cb, void *arg)
{
	return tally(st, C_STATS_MESSAGES, cb, arg);
}

int
sq_stats_reports(struct store *st, store_tally_cb cb, void *arg)
{
	return tally(st, C_STATS_REPORTS, cb, arg);
}

int
sq_stats_sessions(struct store *st, int64_t now, int64_t *n)
{
	sqlite3_bind_int64(stmt(st, C_STATS_SESSIONS), 1, now);
	return one_int(st, C_STATS_SESSIONS, n) == 0 ? 0 : STORE_ERR;
}

int
sq_stats_resolution(struct store *st, const double bounds[STORE_RES_BOUNDS],
    struct store_resolution *out)
{
	sqlite3_stmt *s = stmt(st, C_STATS_RESOLUTION);
	int i, rc;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < STORE_RES_BOUNDS; i++)
		sqlite3_bind_double(s, i + 1, bounds[i]);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->resolved = sqlite3_column_int64(s, 0);
		out->sum = sqlite3_column_double(s, 1);
		for (i = 0; i < STORE_RES_BOUNDS; i++)
			out->le[i] = (int64_t)sqlite3_column_double(s, i + 2);
	}
	store_sql_done(s);
	if (rc != SQLITE_ROW)
		return store_sql_fail(st, &council, C_STATS_RESOLUTION, rc);
	return 0;
}

int
sq_stats_failures(struct store *st, int limit, store_failure_cb cb, void *arg)
{
	sqlite3_stmt *s = stmt(st, C_STATS_FAILURES);
	struct store_failure f;
	int rc;

	sqlite3_bind_int(s, 1, limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		f.when = sqlite3_column_int64(s, 0);
		f.channel = col_text(s, 1);
		f.phone = col_text(s, 2);
		f.error = col_text(s, 3);
		if (cb(arg, &f) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	return walk_end(st, C_STATS_FAILURES, rc);
}

/* The time in ms of column col, or -1 for NULL. */
static int64_t
time_or_none(sqlite3_stmt *s, int col)
{
	if (sqlite3_column_type(s, col) == SQLITE_NULL)
		return -1;
	return sqlite3_column_int64(s, col);
}

int
sq_stats_modems(struct store *st, store_modem_cb cb, void *arg)
{
	sqlite3_stmt *s = stmt(st, C_STATS_MODEMS);
	struct store_modem m;
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((m.channel = col_text(s, 0)) == NULL)
			continue;
		m.up = sqlite3_column_int(s, 1);
		m.signal = sqlite3_column_int(s, 2);
		m.network = col_text(s, 3);
		m.balance = col_text(s, 4);
		m.balance_at = time_or_none(s, 5);
		m.last_error = col_text(s, 6);
		m.failures = sqlite3_column_int64(s, 7);
		m.restarts = sqlite3_column_int64(s, 8);
		m.updated = time_or_none(s, 9);
		if (cb(arg, &m) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	return walk_end(st, C_STATS_MODEMS, rc);
}

int
sq_stats_modem_known(struct store *st, const char *channel)
{
	int64_t one;

	store_bind_text(stmt(st, C_STATS_MODEM_KNOWN), 1, channel);
	return one_int(st, C_STATS_MODEM_KNOWN, &one);
}
