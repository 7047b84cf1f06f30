/*
 * store_pg_core.c: contacts, sessions, reports, subscriptions and the data
 * tables of lookups on PostgreSQL, as store.c does them on SQLite.
 *
 * Where two nodes may write the same row at once (a new number's contact,
 * a table's row), the statement says ON CONFLICT rather than failing: on
 * PostgreSQL a failed statement ends the whole transaction, the webhooks of
 * the loop turn with it. A contact's fields are changed in C (jansson) under
 * the row's lock, so the text keeps SQLite's json_set() form: compact, keys
 * in the order they came.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gateway/store_check.h"
#include "gateway/store_pg.h"
#include "lib/util.h"

enum {
	S_CONTACT_INSERT,
	S_CONTACT_INSERT_CHANNEL,
	S_CONTACT_BY_PHONE,
	S_CONTACT_SET_LANGUAGE,
	S_CONTACT_FIELDS,
	S_CONTACT_SET_FIELDS,
	S_CONTACT_SET_OPTED_OUT,
	S_CONTACT_SET_LAST_CHANNEL,
	S_SESSION_LOAD,
	S_SESSION_SAVE,
	S_SESSION_DELETE,
	S_SESSION_PURGE,
	S_SESSION_PURGE_MOVE,
	S_SESSION_PUT,
	S_SESSION_RESUMABLE,
	S_REPORT_INSERT,
	S_REPORT_GET,
	S_REPORT_SET_STATUS,
	S_REPORT_EVENT_INSERT,
	S_SUBSCRIBE,
	S_UNSUBSCRIBE,
	S_SUBSCRIBED,
	S_TABLE_INFO,
	S_TABLE_LOOKUP_KEY,
	S_TABLE_LOOKUP_SCAN,
	S_TABLE_UPSERT,
	S_TABLE_DELETE_ROWS,
	S_TABLE_INSERT_ROW,
	S_TABLE_SET_ROWS,
	S_COUNT
};

#define SESSION_COLS                                                        \
	"contact_id, flow, state, expires, coalesce(last_step, 0), resume," \
	" screen, menu"

static const char *const core_sql[S_COUNT] = {
    [S_CONTACT_INSERT] =
	"INSERT INTO contacts (phone, fields, created, updated)"
	" VALUES ($1, '{}', $2, $2)"
	" ON CONFLICT (phone) DO NOTHING",
    /* Another node may create the same number at the same moment. */
    [S_CONTACT_INSERT_CHANNEL] =
	"INSERT INTO contacts (phone, fields, last_channel, created, updated)"
	" VALUES ($1, '{}', $2, $3, $3) ON CONFLICT (phone) DO NOTHING"
	" RETURNING id",
    [S_CONTACT_BY_PHONE] = "SELECT id, phone, language, opted_out, fields,"
			   " last_channel, created, updated"
			   " FROM contacts WHERE phone = $1",
    [S_CONTACT_SET_LANGUAGE] = "UPDATE contacts SET language = $2, updated = $3"
			       " WHERE id = $1",
    [S_CONTACT_FIELDS] = "SELECT fields FROM contacts WHERE id = $1"
			 " FOR UPDATE",
    [S_CONTACT_SET_FIELDS] = "UPDATE contacts SET fields = $2, updated = $3"
			     " WHERE id = $1",
    [S_CONTACT_SET_OPTED_OUT] = "UPDATE contacts SET opted_out = $2,"
				" updated = $3 WHERE id = $1",
    [S_CONTACT_SET_LAST_CHANNEL] = "UPDATE contacts SET last_channel = $2,"
				   " updated = $3 WHERE id = $1",
    [S_SESSION_LOAD] = "SELECT " SESSION_COLS " FROM sessions"
		       " WHERE key = $1 AND expires > $2",
    /*
     * A new session's purge_after is its expires; a step leaves it (see
     * SQLite's migration 16), so that an update changes no indexed column
     * and PostgreSQL can keep it on the row's page (a HOT update).
     */
    [S_SESSION_SAVE] = "INSERT INTO sessions (key, contact_id, flow, state,"
		       " expires, purge_after) VALUES ($1, $2, $3, $4, $5, $5)"
		       " ON CONFLICT (key) DO UPDATE SET"
		       " contact_id = excluded.contact_id,"
		       " flow = excluded.flow, state = excluded.state,"
		       " expires = excluded.expires",
    [S_SESSION_DELETE] = "DELETE FROM sessions WHERE key = $1",
    [S_SESSION_PURGE] = "DELETE FROM sessions WHERE purge_after <= $1"
			" AND expires <= $1",
    /*
     * A session a step of this or another node holds locked is passed
     * over (the next housekeeping moves it): the housekeeping never
     * waits on a row a turn's transaction holds, in whatever order.
     */
    [S_SESSION_PURGE_MOVE] = "UPDATE sessions SET purge_after = expires"
			     " WHERE key IN (SELECT key FROM sessions"
			     " WHERE purge_after <= $1 AND expires > $1"
			     " FOR UPDATE SKIP LOCKED)",
    [S_SESSION_PUT] = "INSERT INTO sessions (key, contact_id, flow, state,"
		      " expires, last_step, resume, screen, menu, purge_after)"
		      " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $5)"
		      " ON CONFLICT (key) DO UPDATE SET"
		      " contact_id = excluded.contact_id,"
		      " flow = excluded.flow, state = excluded.state,"
		      " expires = excluded.expires,"
		      " last_step = excluded.last_step,"
		      " resume = excluded.resume, screen = excluded.screen,"
		      " menu = excluded.menu",
    [S_SESSION_RESUMABLE] = "SELECT key, " SESSION_COLS " FROM sessions"
			    " WHERE contact_id = $1 AND resume = $2"
			    " AND last_step > $3 AND expires > $4"
			    " ORDER BY last_step DESC LIMIT 1",
    [S_REPORT_INSERT] = "INSERT INTO reports (contact_id, flow, category,"
			" location, details, status, created, updated)"
			" VALUES ($1, $2, $3, $4, $5, 'open', $6, $6)"
			" RETURNING id",
    [S_REPORT_GET] = "SELECT id, contact_id, flow, category, location,"
		     " details, status, created, updated"
		     " FROM reports WHERE id = $1",
    [S_REPORT_SET_STATUS] = "UPDATE reports SET status = $2, updated = $3"
			    " WHERE id = $1",
    [S_REPORT_EVENT_INSERT] = "INSERT INTO report_events (report_id, time,"
			      " status, note) VALUES ($1, $2, $3, $4)",
    [S_SUBSCRIBE] = "INSERT INTO subscriptions (contact_id, topic, created)"
		    " VALUES ($1, $2, $3)"
		    " ON CONFLICT (contact_id, topic) DO NOTHING",
    [S_UNSUBSCRIBE] = "DELETE FROM subscriptions"
		      " WHERE contact_id = $1 AND topic = $2",
    [S_SUBSCRIBED] = "SELECT 1 FROM subscriptions"
		     " WHERE contact_id = $1 AND topic = $2",
    /* The key column, and whether $2 is one of the table's columns. */
    [S_TABLE_INFO] = "SELECT key_column, EXISTS (SELECT 1 FROM"
		     " json_array_elements_text(data_tables.columns::json) AS c"
		     " WHERE c = $2::text)"
		     " FROM data_tables WHERE name = $1",
    [S_TABLE_LOOKUP_KEY] = "SELECT row FROM data_rows"
			   " WHERE table_name = $1 AND key = $2",
    /*
     * ->> takes any key, as json_each does on SQLite. The first row in
     * the order it was imported: a replace writes every row afresh, so
     * the rows' physical order is theirs.
     */
    [S_TABLE_LOOKUP_SCAN] = "SELECT row FROM data_rows"
			    " WHERE table_name = $1"
			    " AND (row::json ->> $2::text) = $3"
			    " ORDER BY ctid LIMIT 1",
    [S_TABLE_UPSERT] = "INSERT INTO data_tables (name, key_column, columns,"
		       " rows, updated) VALUES ($1, $2, $3, 0, $4)"
		       " ON CONFLICT (name) DO UPDATE SET"
		       " key_column = excluded.key_column,"
		       " columns = excluded.columns, rows = 0,"
		       " updated = excluded.updated",
    [S_TABLE_DELETE_ROWS] = "DELETE FROM data_rows WHERE table_name = $1",
    /* A key twice in one file: nothing inserted, told as STORE_EDUP. */
    [S_TABLE_INSERT_ROW] = "INSERT INTO data_rows (table_name, key, row)"
			   " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    [S_TABLE_SET_ROWS] = "UPDATE data_tables SET rows = $2 WHERE name = $1",
};

_Static_assert(S_COUNT <= PGS_PART_MAX, "too many statements");

static const struct pgs_sql core = {PGS_PART_CONTACTS, core_sql, S_COUNT};

/* Runs statement i and returns the rows it changed, or STORE_ERR. */
static int64_t
changes(struct store *st, int i, const struct pgs_params *p)
{
	int64_t n = 0;

	if (pgs_exec(st, &core, i, p, &n) != 0)
		return STORE_ERR;
	return n;
}

/* An UPDATE of one row: 0, STORE_NOTFOUND when none changed, STORE_ERR. */
static int
update_one(struct store *st, int i, const struct pgs_params *p)
{
	int64_t n = changes(st, i, p);

	if (n < 0)
		return STORE_ERR;
	return n > 0 ? 0 : STORE_NOTFOUND;
}

/*
 * A write whose value a CHECK (JSON) or a foreign key may refuse: under a
 * guard, so a refusal leaves the transaction usable and is the caller's
 * mistake (STORE_EINVAL), as SQLite's SQLITE_CONSTRAINT_CHECK is.
 */
static int
guarded(struct store *st, int i, const struct pgs_params *p)
{
	const char *state;
	int rc;

	if (pgs_guard(st) != 0)
		return STORE_ERR;
	rc = pgs_exec(st, &core, i, p, NULL);
	if (pgs_unguard(st, rc == 0) != 0)
		return STORE_ERR;
	if (rc == 0)
		return 0;
	state = pgs_sqlstate(st);
	/* 22xxx: data (a bad JSON text); 23514: a CHECK. */
	if (strncmp(state, "22", 2) == 0 || strcmp(state, "23514") == 0)
		return STORE_EINVAL;
	return STORE_ERR;
}

/*
 * Contacts
 */

static void
contact_fill(const PGresult *r, struct store_contact *c)
{
	c->id = pgs_get_int(r, 0, 0);
	c->phone = pgs_get_dup(r, 0, 1);
	c->language = pgs_get_dup(r, 0, 2);
	c->opted_out = pgs_get_int(r, 0, 3) != 0;
	c->fields = pgs_get_dup(r, 0, 4);
	if (c->fields == NULL)
		c->fields = xstrdup("{}");
	c->last_channel = pgs_get_dup(r, 0, 5);
	c->created = pgs_get_int(r, 0, 6);
	c->updated = pgs_get_int(r, 0, 7);
}

int
pgs_contact_find(struct store *st, const char *phone, struct store_contact *out)
{
	struct pgs_params p;
	PGresult *r;
	int rc = STORE_NOTFOUND;

	memset(out, 0, sizeof(*out));
	if (!store_valid_e164(phone))
		return STORE_EINVAL;
	pgs_p_init(&p);
	pgs_p_text(&p, phone);
	if ((r = pgs_run(st, &core, S_CONTACT_BY_PHONE, &p)) == NULL)
		return STORE_ERR;
	if (PQntuples(r) > 0) {
		contact_fill(r, out);
		rc = 0;
	}
	PQclear(r);
	return rc;
}

int
pgs_contact_get(
    struct store *st, const char *phone, int64_t now, struct store_contact *out)
{
	struct pgs_params p;
	int64_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!store_valid_e164(phone))
		return STORE_EINVAL;
	/* Most messages come from known numbers: look first. */
	rc = pgs_contact_find(st, phone, out);
	if (rc != STORE_NOTFOUND)
		return rc < 0 ? rc : 0;
	pgs_p_init(&p);
	pgs_p_text(&p, phone);
	pgs_p_int(&p, now);
	if ((n = changes(st, S_CONTACT_INSERT, &p)) < 0)
		return STORE_ERR;
	rc = pgs_contact_find(st, phone, out);
	if (rc == STORE_NOTFOUND) /* Inserted, yet gone: impossible. */
		return STORE_ERR;
	if (rc < 0)
		return rc;
	return n > 0 ? 1 : 0;
}

int
pgs_contact_find_or_add(struct store *st, const char *phone,
    const char *channel, int64_t now, struct store_contact *out)
{
	struct pgs_params p;
	PGresult *r;
	int rc, made;

	rc = pgs_contact_find(st, phone, out);
	if (rc == STORE_NOTFOUND) {
		/* A new number: one statement creates it with its channel. */
		pgs_p_init(&p);
		pgs_p_text(&p, phone);
		pgs_p_text(&p, channel);
		pgs_p_int(&p, now);
		if ((r = pgs_run(st, &core, S_CONTACT_INSERT_CHANNEL, &p)) ==
		    NULL)
			return STORE_ERR;
		made = PQntuples(r) > 0;
		if (made) {
			memset(out, 0, sizeof(*out));
			out->id = pgs_get_int(r, 0, 0);
		}
		PQclear(r);
		if (made) {
			out->phone = xstrdup(phone);
			out->fields = xstrdup("{}");
			out->last_channel = channel ? xstrdup(channel) : NULL;
			out->created = out->updated = now;
			return 1;
		}
		/* Another node made it just now: that one. */
		rc = pgs_contact_find(st, phone, out);
	}
	return rc == STORE_NOTFOUND ? STORE_ERR : rc;
}

int
pgs_contact_set_language(
    struct store *st, int64_t id, const char *lang, int64_t now)
{
	struct pgs_params p;

	if (lang != NULL && (lang[0] == '\0' || store_too_long(lang, 35)))
		return STORE_EINVAL;
	pgs_p_init(&p);
	pgs_p_int(&p, id);
	pgs_p_text(&p, lang);
	pgs_p_int(&p, now);
	return update_one(st, S_CONTACT_SET_LANGUAGE, &p);
}

int
pgs_contact_set_field(struct store *st, int64_t id, const char *name,
    const char *value, int64_t now)
{
	struct pgs_params p;
	json_t *fields;
	PGresult *r;
	char *text;
	int rc;

	if (!store_valid_name(name) || store_too_long(value, STORE_VALUE_MAX))
		return STORE_EINVAL;
	pgs_p_init(&p);
	pgs_p_int(&p, id);
	if ((r = pgs_run(st, &core, S_CONTACT_FIELDS, &p)) == NULL)
		return STORE_ERR;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return STORE_NOTFOUND;
	}
	fields = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
	PQclear(r);
	if (!json_is_object(fields)) { /* the CHECK allows no other */
		json_decref(fields);
		fields = json_object();
	}
	if (value != NULL)
		json_object_set_new(fields, name, json_string(value));
	else
		json_object_del(fields, name);
	text = json_dumps(fields, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(fields);
	if (text == NULL) /* a value that is not UTF-8 */
		return STORE_EINVAL;
	pgs_p_init(&p);
	pgs_p_int(&p, id);
	pgs_p_text(&p, text);
	pgs_p_int(&p, now);
	rc = update_one(st, S_CONTACT_SET_FIELDS, &p);
	free(text);
	return rc;
}

int
pgs_contact_set_opted_out(
    struct store *st, int64_t id, int opted_out, int64_t now)
{
	struct pgs_params p;

	pgs_p_init(&p);
	pgs_p_int(&p, id);
	pgs_p_int(&p, opted_out != 0);
	pgs_p_int(&p, now);
	return update_one(st, S_CONTACT_SET_OPTED_OUT, &p);
}

int
pgs_contact_set_last_channel(
    struct store *st, int64_t id, const char *channel, int64_t now)
{
	struct pgs_params p;

	if (store_too_long(channel, STORE_NAME_MAX))
		return STORE_EINVAL;
	pgs_p_init(&p);
	pgs_p_int(&p, id);
	pgs_p_text(&p, channel);
	pgs_p_int(&p, now);
	return update_one(st, S_CONTACT_SET_LAST_CHANNEL, &p);
}

/*
 * Sessions
 */

/* Reads a session's columns from column c on (contact_id first). */
static void
session_row(const PGresult *r, int c, struct store_session *out)
{
	out->contact_id = pgs_get_int(r, 0, c);
	out->flow = pgs_get_dup(r, 0, c + 1);
	out->state = pgs_get_dup(r, 0, c + 2);
	out->expires = pgs_get_int(r, 0, c + 3);
	out->last = pgs_get_int(r, 0, c + 4);
	out->resume = pgs_get_dup(r, 0, c + 5);
	out->screen = pgs_get_dup(r, 0, c + 6);
	out->menu = (int)pgs_get_int(r, 0, c + 7);
}

int
pgs_session_load(
    struct store *st, const char *key, int64_t now, struct store_session *out)
{
	struct pgs_params p;
	PGresult *r;
	int rc = STORE_NOTFOUND;

	memset(out, 0, sizeof(*out));
	if (key == NULL || store_too_long(key, STORE_KEY_MAX))
		return STORE_EINVAL;
	pgs_p_init(&p);
	pgs_p_text(&p, key);
	pgs_p_int(&p, now);
	if ((r = pgs_run(st, &core, S_SESSION_LOAD, &p)) == NULL)
		return STORE_ERR;
	if (PQntuples(r) > 0) {
		session_row(r, 0, out);
		rc = 0;
	}
	PQclear(r);
	return rc;
}

int
pgs_session_put(
    struct store *st, const char *key, const struct store_session *ss)
{
	struct pgs_params p;

	if (key == NULL || key[0] == '\0' ||
	    store_too_long(key, STORE_KEY_MAX) || ss->flow == NULL ||
	    store_too_long(ss->flow, STORE_NAME_MAX) || ss->state == NULL ||
	    store_too_long(ss->state, STORE_STATE_MAX) ||
	    store_too_long(ss->resume, STORE_TEXT_MAX) ||
	    store_too_long(ss->screen, STORE_TEXT_MAX))
		return STORE_EINVAL;
	pgs_p_init(&p);
	pgs_p_text(&p, key);
	pgs_p_int(&p, ss->contact_id);
	pgs_p_text(&p, ss->flow);
	pgs_p_text(&p, ss->state);
	pgs_p_int(&p, ss->expires);
	pgs_p_int(&p, ss->last);
	pgs_p_text(&p, ss->resume);
	pgs_p_text(&p, ss->screen);
	pgs_p_int(&p, ss->menu ? 1 : 0);
	return guarded(st, S_SESSION_PUT, &p);
}

int
pgs_session_resumable(struct store *st, int64_t contact_id, const char *resume,
    int64_t since, int64_t now, char **key, struct store_session *out)
{
	struct pgs_params p;
	PGresult *r;
	int rc = STORE_NOTFOUND;

	memset(out, 0, sizeof(*out));
	*key = NULL;
	if (resume == NULL || store_too_long(resume, STORE_TEXT_MAX))
		return STORE_EINVAL;
	pgs_p_init(&p);
	pgs_p_int(&p, contact_id);
	pgs_p_text(&p, resume);
	pgs_p_int(&p, since);
	pgs_p_int(&p, now);
	if ((r = pgs_run(st, &core, S_SESSION_RESUMABLE, &p)) == NULL)
		return STORE_ERR;
	if (PQntuples(r) > 0) {
		*key = pgs_get_dup(r, 0, 0);
		session_row(r, 1, out);
		rc = 0;
	}
	PQclear(r);
	return rc;
}

int
pgs_session_save(struct store *st, const char *key, int64_t contact_id,
    const char *flow, const char *state, int64_t expires)
{
	struct pgs_params p;

	if (key == NULL || key[0] == '\0' ||
	    store_too_long(key, STORE_KEY_MAX) || flow == NULL ||
	    store_too_long(flow, STORE_NAME_MAX) || state == NULL ||
	    store_too_long(state, STORE_STATE_MAX))
		return STORE_EINVAL;
	pgs_p_init(&p);
	pgs_p_text(&p, key);
	pgs_p_int(&p, contact_id);
	pgs_p_text(&p, flow);
	pgs_p_text(&p, state);
	pgs_p_int(&p, expires);
	return guarded(st, S_SESSION_SAVE, &p);
}

int
pgs_session_delete(struct store *st, const char *key)
{
	struct pgs_params p;

	if (key == NULL)
		return STORE_EINVAL;
	pgs_p_init(&p);
	pgs_p_text(&p, key);
	return pgs_exec(st, &core, S_SESSION_DELETE, &p, NULL);
}

int
pgs_session_purge(struct store *st, int64_t now)
{
	struct pgs_params p;
	int64_t n;

	pgs_p_init(&p);
	pgs_p_int(&p, now);
	if ((n = changes(st, S_SESSION_PURGE, &p)) < 0 ||
	    changes(st, S_SESSION_PURGE_MOVE, &p) < 0)
		return STORE_ERR;
	return (int)n;
}

/*
 * Reports
 */

/* Inserts one report event; the caller holds a savepoint. */
static int
report_event(struct store *st, int64_t id, const char *status, const char *note,
    int64_t now)
{
	struct pgs_params p;

	pgs_p_init(&p);
	pgs_p_int(&p, id);
	pgs_p_int(&p, now);
	pgs_p_text(&p, status);
	pgs_p_text(&p, note);
	return pgs_exec(st, &core, S_REPORT_EVENT_INSERT, &p, NULL);
}

int
pgs_report_create(struct store *st, int64_t contact_id, const char *flow,
    const char *category, const char *location, const char *details,
    int64_t now, int64_t *id)
{
	struct pgs_params p;
	PGresult *r;
	int64_t rid;

	*id = 0;
	if (store_too_long(flow, STORE_NAME_MAX) ||
	    store_too_long(category, STORE_TEXT_MAX) ||
	    store_too_long(location, STORE_TEXT_MAX) ||
	    store_too_long(details, STORE_TEXT_MAX))
		return STORE_EINVAL;
	if (pgs_savepoint(st) < 0)
		return STORE_ERR;
	pgs_p_init(&p);
	if (contact_id > 0)
		pgs_p_int(&p, contact_id);
	else
		pgs_p_text(&p, NULL);
	pgs_p_text(&p, flow);
	pgs_p_text(&p, category);
	pgs_p_text(&p, location);
	pgs_p_text(&p, details);
	pgs_p_int(&p, now);
	if ((r = pgs_run(st, &core, S_REPORT_INSERT, &p)) == NULL)
		goto fail;
	rid = pgs_get_int(r, 0, 0);
	PQclear(r);
	if (report_event(st, rid, STORE_REPORT_OPEN, NULL, now) < 0)
		goto fail;
	if (pgs_release(st) < 0)
		goto fail;
	*id = rid;
	return 0;
fail:
	pgs_rollback_to(st);
	return STORE_ERR;
}

int
pgs_report_get(struct store *st, int64_t id, struct store_report *out)
{
	struct pgs_params p;
	PGresult *r;
	int rc = STORE_NOTFOUND;

	memset(out, 0, sizeof(*out));
	pgs_p_init(&p);
	pgs_p_int(&p, id);
	if ((r = pgs_run(st, &core, S_REPORT_GET, &p)) == NULL)
		return STORE_ERR;
	if (PQntuples(r) > 0) {
		out->id = pgs_get_int(r, 0, 0);
		out->contact_id = pgs_get_int(r, 0, 1);
		out->flow = pgs_get_dup(r, 0, 2);
		out->category = pgs_get_dup(r, 0, 3);
		out->location = pgs_get_dup(r, 0, 4);
		out->details = pgs_get_dup(r, 0, 5);
		out->status = pgs_get_dup(r, 0, 6);
		out->created = pgs_get_int(r, 0, 7);
		out->updated = pgs_get_int(r, 0, 8);
		rc = 0;
	}
	PQclear(r);
	return rc;
}

int
pgs_report_add_event(struct store *st, int64_t id, const char *status,
    const char *note, int64_t now)
{
	struct pgs_params p;
	int64_t n;

	if (!store_report_status_valid(status) ||
	    store_too_long(note, STORE_TEXT_MAX))
		return STORE_EINVAL;
	if (pgs_savepoint(st) < 0)
		return STORE_ERR;
	pgs_p_init(&p);
	pgs_p_int(&p, id);
	pgs_p_text(&p, status);
	pgs_p_int(&p, now);
	if ((n = changes(st, S_REPORT_SET_STATUS, &p)) < 0)
		goto fail;
	if (n == 0) {
		pgs_rollback_to(st);
		return STORE_NOTFOUND;
	}
	if (report_event(st, id, status, note, now) < 0)
		goto fail;
	if (pgs_release(st) < 0)
		goto fail;
	return 0;
fail:
	pgs_rollback_to(st);
	return STORE_ERR;
}

/*
 * Subscriptions
 */

/* The parameters of a subscription statement. */
static void
p_sub(struct pgs_params *p, int64_t contact_id, const char *topic)
{
	pgs_p_init(p);
	pgs_p_int(p, contact_id);
	pgs_p_text(p, topic);
}

int
pgs_subscribe(
    struct store *st, int64_t contact_id, const char *topic, int64_t now)
{
	struct pgs_params p;

	if (!store_valid_topic(topic))
		return STORE_EINVAL;
	p_sub(&p, contact_id, topic);
	pgs_p_int(&p, now);
	return pgs_exec(st, &core, S_SUBSCRIBE, &p, NULL);
}

int
pgs_unsubscribe(struct store *st, int64_t contact_id, const char *topic)
{
	struct pgs_params p;

	if (!store_valid_topic(topic))
		return STORE_EINVAL;
	p_sub(&p, contact_id, topic);
	return pgs_exec(st, &core, S_UNSUBSCRIBE, &p, NULL);
}

int
pgs_subscribed(struct store *st, int64_t contact_id, const char *topic)
{
	struct pgs_params p;
	PGresult *r;
	int rc;

	if (!store_valid_topic(topic))
		return STORE_EINVAL;
	p_sub(&p, contact_id, topic);
	if ((r = pgs_run(st, &core, S_SUBSCRIBED, &p)) == NULL)
		return STORE_ERR;
	rc = PQntuples(r) > 0 ? 0 : STORE_NOTFOUND;
	PQclear(r);
	return rc;
}

/*
 * Data tables
 */

int
pgs_lookup(struct store *st, const char *table, const char *column,
    const char *value, char **row_json)
{
	struct pgs_params p;
	PGresult *r;
	int is_key, has_column, i, rc = STORE_NOTFOUND;

	*row_json = NULL;
	if (table == NULL || column == NULL || value == NULL)
		return STORE_EINVAL;
	pgs_p_init(&p);
	pgs_p_text(&p, table);
	pgs_p_text(&p, column);
	if ((r = pgs_run(st, &core, S_TABLE_INFO, &p)) == NULL)
		return STORE_ERR;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return STORE_ENOTABLE;
	}
	is_key = strcmp(PQgetvalue(r, 0, 0), column) == 0;
	has_column = strcmp(PQgetvalue(r, 0, 1), "t") == 0;
	PQclear(r);
	if (!is_key && !has_column)
		return STORE_EINVAL;
	i = is_key ? S_TABLE_LOOKUP_KEY : S_TABLE_LOOKUP_SCAN;
	pgs_p_init(&p);
	pgs_p_text(&p, table);
	if (!is_key)
		pgs_p_text(&p, column);
	pgs_p_text(&p, value);
	if ((r = pgs_run(st, &core, i, &p)) == NULL)
		return STORE_ERR;
	if (PQntuples(r) > 0) {
		*row_json = pgs_get_dup(r, 0, 0);
		rc = 0;
	}
	PQclear(r);
	return rc;
}

int
pgs_table_replace_begin(struct store *st, const char *table,
    const char *key_column, const char *columns_json, int64_t now)
{
	struct pgs_params p;

	pgs_p_init(&p);
	pgs_p_text(&p, table);
	pgs_p_text(&p, key_column);
	pgs_p_text(&p, columns_json);
	pgs_p_int(&p, now);
	if (pgs_exec(st, &core, S_TABLE_UPSERT, &p, NULL) != 0)
		return STORE_ERR;
	pgs_p_init(&p);
	pgs_p_text(&p, table);
	return pgs_exec(st, &core, S_TABLE_DELETE_ROWS, &p, NULL);
}

int
pgs_table_add_row(struct store *st, const char *table, const char *key,
    size_t keylen, const char *row_json, size_t rowlen)
{
	struct pgs_params p;
	char *k, *row;
	int64_t n;

	if (keylen > INT32_MAX || rowlen > INT32_MAX)
		return STORE_EINVAL;
	/* Text parameters end at their NUL: copies of the given lengths. */
	k = xstrndup(key, keylen);
	row = xstrndup(row_json, rowlen);
	pgs_p_init(&p);
	pgs_p_text(&p, table);
	pgs_p_text(&p, k);
	pgs_p_text(&p, row);
	n = changes(st, S_TABLE_INSERT_ROW, &p);
	free(k);
	free(row);
	if (n < 0)
		return STORE_ERR;
	return n > 0 ? 0 : STORE_EDUP;
}

int
pgs_table_replace_end(struct store *st, const char *table, int64_t rows)
{
	struct pgs_params p;

	pgs_p_init(&p);
	pgs_p_text(&p, table);
	pgs_p_int(&p, rows);
	return pgs_exec(st, &core, S_TABLE_SET_ROWS, &p, NULL);
}
