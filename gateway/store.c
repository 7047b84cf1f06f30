/*
 * store.c: the SQLite store: opening, schema migrations, the statement
 * table and the calls the flow engine's host needs.
 */
#include "gateway/store_check.h"
#include "gateway/store_int.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/pg.h"
#include "lib/log.h"
#include "lib/util.h"

/*
 * Schema migrations, in order. migrations[i] takes the database from
 * version i to version i + 1 (PRAGMA user_version). Never edit a released
 * script: append a new one.
 */
static const char *const migrations[] = {
    /* 0 -> 1: the first schema. */
    "CREATE TABLE contacts ("
    "  id INTEGER PRIMARY KEY,"
    "  phone TEXT NOT NULL UNIQUE,"
    "  language TEXT,"
    "  opted_out INTEGER NOT NULL DEFAULT 0 CHECK (opted_out IN (0, 1)),"
    "  fields TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(fields)),"
    "  last_channel TEXT,"
    "  created INTEGER NOT NULL,"
    "  updated INTEGER NOT NULL"
    ");"
    "CREATE TABLE broadcasts ("
    "  id INTEGER PRIMARY KEY,"
    "  text TEXT NOT NULL,"
    "  topic TEXT,"
    "  channel TEXT,"
    "  created INTEGER NOT NULL,"
    "  send_at INTEGER NOT NULL,"
    "  recipients INTEGER NOT NULL DEFAULT 0,"
    "  segments INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE TABLE messages ("
    "  id INTEGER PRIMARY KEY,"
    "  direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),"
    "  channel TEXT NOT NULL,"
    "  kind TEXT NOT NULL DEFAULT 'sms' CHECK (kind IN ('sms', 'ussd')),"
    "  contact_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL,"
    "  phone TEXT NOT NULL,"
    "  text TEXT,"
    "  state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent',"
    "    'delivered', 'failed', 'received', 'handled', 'ignored')),"
    "  provider_id TEXT,"
    "  segments INTEGER NOT NULL DEFAULT 1,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_attempt INTEGER,"
    "  error TEXT,"
    "  broadcast_id INTEGER REFERENCES broadcasts(id) ON DELETE SET NULL,"
    "  created INTEGER NOT NULL,"
    "  updated INTEGER NOT NULL"
    ");"
    /* A provider retry of an inbound message already stored is a no-op. */
    "CREATE UNIQUE INDEX messages_inbound ON messages(channel, provider_id)"
    "  WHERE direction = 'in' AND provider_id IS NOT NULL;"
    /* Delivery reports find the outbound message by its provider id. */
    "CREATE INDEX messages_outbound ON messages(channel, provider_id)"
    "  WHERE direction = 'out' AND provider_id IS NOT NULL;"
    /* The outbound queue: what is due, in order. */
    "CREATE INDEX messages_queue ON messages(state, channel, next_attempt);"
    "CREATE INDEX messages_contact ON messages(contact_id);"
    "CREATE INDEX messages_broadcast ON messages(broadcast_id)"
    "  WHERE broadcast_id IS NOT NULL;"
    "CREATE TABLE sessions ("
    "  key TEXT PRIMARY KEY,"
    "  contact_id INTEGER NOT NULL REFERENCES contacts(id)"
    "    ON DELETE CASCADE,"
    "  flow TEXT NOT NULL,"
    "  state TEXT NOT NULL CHECK (json_valid(state)),"
    "  expires INTEGER NOT NULL"
    ");"
    "CREATE INDEX sessions_expires ON sessions(expires);"
    "CREATE INDEX sessions_contact ON sessions(contact_id);"
    "CREATE TABLE reports ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  contact_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL,"
    "  flow TEXT,"
    "  category TEXT,"
    "  location TEXT,"
    "  details TEXT,"
    "  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open',"
    "    'acknowledged', 'in_progress', 'resolved', 'closed')),"
    "  created INTEGER NOT NULL,"
    "  updated INTEGER NOT NULL"
    ");"
    "CREATE INDEX reports_status ON reports(status);"
    "CREATE INDEX reports_contact ON reports(contact_id);"
    "CREATE TABLE report_events ("
    "  id INTEGER PRIMARY KEY,"
    "  report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,"
    "  time INTEGER NOT NULL,"
    "  status TEXT NOT NULL,"
    "  note TEXT"
    ");"
    "CREATE INDEX report_events_report ON report_events(report_id);"
    "CREATE TABLE subscriptions ("
    "  contact_id INTEGER NOT NULL REFERENCES contacts(id)"
    "    ON DELETE CASCADE,"
    "  topic TEXT NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  PRIMARY KEY (contact_id, topic)"
    ") WITHOUT ROWID;"
    /* A broadcast finds a topic's subscribers. */
    "CREATE INDEX subscriptions_topic ON subscriptions(topic, contact_id);"
    "CREATE TABLE data_tables ("
    "  name TEXT PRIMARY KEY,"
    "  key_column TEXT NOT NULL,"
    "  columns TEXT NOT NULL CHECK (json_valid(columns)),"
    "  rows INTEGER NOT NULL DEFAULT 0,"
    "  updated INTEGER NOT NULL"
    ");"
    "CREATE TABLE data_rows ("
    "  table_name TEXT NOT NULL REFERENCES data_tables(name)"
    "    ON DELETE CASCADE,"
    "  key TEXT NOT NULL,"
    "  row TEXT NOT NULL"
    ");"
    /* Unique: the importer relies on it to refuse duplicate keys. */
    "CREATE UNIQUE INDEX data_rows_key ON data_rows(table_name, key);",
    /*
     * 1 -> 2: the last known state of each GSM modem channel, written by
     * the running gateway (modems.c) for `baraza stats`.
     */
    "CREATE TABLE modem_state ("
    "  channel TEXT PRIMARY KEY,"
    "  up INTEGER,"
    "  signal INTEGER,"
    "  network TEXT,"
    "  balance TEXT,"
    "  balance_at INTEGER,"
    "  last_error TEXT,"
    "  failures INTEGER,"
    "  restarts INTEGER,"
    "  updated INTEGER"
    ");",
    /*
     * 2 -> 3: the first answer to each Idempotency-Key of an admin POST
     * (idem.c), kept 24 hours.
     */
    "CREATE TABLE idempotency ("
    "  endpoint TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  request_hash BLOB NOT NULL,"
    "  status INTEGER NOT NULL,"
    "  answer TEXT NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  PRIMARY KEY (endpoint, key)"
    ") WITHOUT ROWID;"
    "CREATE INDEX idempotency_created ON idempotency(created);",
    /*
     * 3 -> 4: the staff console's users, their sessions (id: SHA-256 of
     * the cookie's value, so the table holds nothing a thief could send)
     * and the audit log of every write through the API.
     */
    "CREATE TABLE users ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  role TEXT NOT NULL CHECK (role IN ('viewer', 'staff', 'admin')),"
    "  hash TEXT NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  updated INTEGER NOT NULL,"
    "  last_login INTEGER"
    ");"
    "CREATE TABLE web_sessions ("
    "  id BLOB PRIMARY KEY,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  csrf TEXT NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  last_seen INTEGER NOT NULL,"
    "  expires INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE INDEX web_sessions_user ON web_sessions(user_id);"
    "CREATE INDEX web_sessions_expires ON web_sessions(expires);"
    "CREATE TABLE audit ("
    "  id INTEGER PRIMARY KEY,"
    "  time INTEGER NOT NULL,"
    "  user TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  object TEXT,"
    "  detail TEXT"
    ");",
    /*
     * 4 -> 5: the staff console. Messages by direction and creation time
     * (store_console.c): the overview counts a day of messages as one
     * range of it, and a search turns its time bounds into id bounds with
     * two seeks. Both columns never change, and new rows land at the end
     * of each direction's range: an insert adds one append to a hot page,
     * a state change costs nothing. And the outbound messages queued to a
     * number without a contact (POST /api/v1/messages, `baraza send`), so
     * that a conversation finds them: a partial index that no inbound
     * message, reply or broadcast enters.
     */
    "CREATE INDEX messages_dir_created ON messages(direction, created);"
    "CREATE INDEX messages_unlinked ON messages(phone)"
    "  WHERE contact_id IS NULL AND direction = 'out';",
    /*
     * 5 -> 6: campaigns keyed to dates (store_campaign.c): each (campaign, row
     * key, offset, date) sent once, ever, marked in the transaction that
     * queues its message; and each campaign's last run, where its next
     * run starts looking.
     */
    "CREATE TABLE campaign_sent ("
    "  campaign TEXT NOT NULL,"
    "  row_key TEXT NOT NULL,"
    "  offset_days INTEGER NOT NULL,"
    "  date TEXT NOT NULL,"
    "  message_id INTEGER,"
    "  created INTEGER NOT NULL,"
    "  PRIMARY KEY (campaign, row_key, offset_days, date)"
    ") WITHOUT ROWID;"
    "CREATE TABLE campaign_runs ("
    "  campaign TEXT PRIMARY KEY,"
    "  last_run INTEGER NOT NULL"
    ") WITHOUT ROWID;",
    /*
     * 6 -> 7: outbound event webhooks ([event NAME], store_events.c):
     * one row per event and receiving section, written in the transaction
     * of what caused it, kept until the receiver takes it or it is older
     * than the section's max_age. AUTOINCREMENT: an id is never given
     * twice, so a receiver may drop a repeat by its id.
     */
    "CREATE TABLE events ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  sink TEXT NOT NULL,"
    "  event TEXT NOT NULL,"
    "  data TEXT NOT NULL CHECK (json_valid(data)),"
    "  created INTEGER NOT NULL,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_attempt INTEGER NOT NULL,"
    "  error TEXT"
    ");"
    "CREATE INDEX events_due ON events(sink, next_attempt);",
    /*
     * 7 -> 8: USSD resume and report feedback (issue 14). A session keeps
     * its last step's time, its resume key ("CHANNEL CODE" of a USSD
     * session's first step), the last screen shown and whether the resume
     * menu shows (dialog.c): a USSD session cut off without END is found
     * again by its contact and resume key. A report keeps when its
     * reporter was asked whether it was fixed (once), and the answer
     * (store_feedback.c); the partial indexes hold only the reports asked
     * and not answered, and those answered.
     */
    "ALTER TABLE sessions ADD COLUMN last_step INTEGER;"
    "ALTER TABLE sessions ADD COLUMN resume TEXT;"
    "ALTER TABLE sessions ADD COLUMN screen TEXT;"
    "ALTER TABLE sessions ADD COLUMN menu INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE reports ADD COLUMN feedback_asked INTEGER;"
    "ALTER TABLE reports ADD COLUMN feedback TEXT"
    "  CHECK (feedback IN ('yes', 'no'));"
    "ALTER TABLE reports ADD COLUMN feedback_at INTEGER;"
    "CREATE INDEX reports_feedback_pending"
    "  ON reports(contact_id, feedback_asked)"
    "  WHERE feedback_asked IS NOT NULL AND feedback IS NULL;"
    "CREATE INDEX reports_feedback ON reports(feedback)"
    "  WHERE feedback IS NOT NULL;",
    /*
     * 8 -> 9: spend and the channel log (issue 14). spend counts the
     * segments sent on each channel on each local day (YYYY-MM-DD), one
     * row a channel a day, added to where a message is marked sent
     * (store_msg.c), so today's spend is one lookup (store_spend.c).
     * channel_log keeps each request to a provider and its answer
     * (store_chanlog.c), found by message; rows come in time order, so
     * the purge deletes a range of ids.
     */
    "CREATE TABLE spend ("
    "  channel TEXT NOT NULL,"
    "  day TEXT NOT NULL,"
    "  segments INTEGER NOT NULL,"
    "  PRIMARY KEY (channel, day)"
    ") WITHOUT ROWID;"
    "CREATE TABLE channel_log ("
    "  id INTEGER PRIMARY KEY,"
    "  time INTEGER NOT NULL,"
    "  channel TEXT NOT NULL,"
    "  message_id INTEGER,"
    "  status INTEGER NOT NULL,"
    "  ms INTEGER NOT NULL,"
    "  request TEXT,"
    "  error TEXT,"
    "  answer TEXT"
    ");"
    "CREATE INDEX channel_log_message ON channel_log(message_id);",
    /*
     * 9 -> 10: the same CHECK on messages.state, written as comparisons
     * (rewrite_state_check() below). SQLite builds an in-memory index for
     * an IN list of more than two values each time a statement that sets
     * the column runs: about a fifth of every insert and state change of
     * a message, five per message answered.
     */
    "",
    /*
     * 10 -> 11: what several nodes on one PostgreSQL database share, in
     * both stores so that a store copies between them column for column
     * (store_copy.c). messages.node names the node whose claim made a
     * message "sending", and nodes when each node was last heard from
     * (store_node_beat): a node takes back only its own claims at its
     * start and a dead node's later. flood holds the flood guard's
     * window of each number, ussd_seen the last cumulative USSD text of
     * each session (store_flood_hit, store_ussd_seen). A SQLite file has
     * one gateway: it keeps the flood guard in memory (and, before
     * 2026-12-07, the USSD texts: a restart lost them) and leaves node
     * NULL.
     * spend gets a row per node too ('' on SQLite): one row a channel a
     * day that every node's every send adds to would hold two nodes'
     * transactions in turn, and deadlock them.
     */
    "ALTER TABLE messages ADD COLUMN node TEXT;"
    "CREATE TABLE spend_by_node ("
    "  channel TEXT NOT NULL,"
    "  day TEXT NOT NULL,"
    "  node TEXT NOT NULL DEFAULT '',"
    "  segments INTEGER NOT NULL,"
    "  PRIMARY KEY (channel, day, node)"
    ") WITHOUT ROWID;"
    "INSERT INTO spend_by_node (channel, day, segments)"
    "  SELECT channel, day, segments FROM spend;"
    "DROP TABLE spend;"
    "ALTER TABLE spend_by_node RENAME TO spend;"
    "CREATE TABLE nodes ("
    "  name TEXT PRIMARY KEY,"
    "  instance TEXT NOT NULL,"
    "  started INTEGER NOT NULL,"
    "  seen INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE TABLE flood ("
    "  phone TEXT PRIMARY KEY,"
    "  since INTEGER NOT NULL,"
    "  count INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE INDEX flood_since ON flood(since);"
    "CREATE TABLE ussd_seen ("
    "  key TEXT PRIMARY KEY,"
    "  text TEXT NOT NULL,"
    "  at INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE INDEX ussd_seen_at ON ussd_seen(at);",
    /*
     * 11 -> 12: the answer to a session's last USSD text beside it, so
     * that a network's retry of the same request (same session, same
     * text) gets the same screen on whichever node it reaches.
     */
    ("ALTER TABLE ussd_seen ADD COLUMN screen TEXT;"
     "ALTER TABLE ussd_seen ADD COLUMN screen_end INTEGER NOT NULL DEFAULT 0;"),
    /*
     * 12 -> 13: a broadcast sent through the API is queued a chunk of its
     * audience a loop turn (council/broadcast.c): queued_upto holds the
     * last contact queued so far, and NULL once every one is (as for each
     * broadcast before, and those of `baraza broadcast`, queued at once).
     */
    "ALTER TABLE broadcasts ADD COLUMN queued_upto INTEGER;",
    /*
     * 13 -> 14: a USSD step is stored with its contact, as its screen was
     * (ingress.c keep_ussd()): a contact's conversation (messages_contact)
     * holds what the resident keyed in, not only the screens. The steps
     * stored before are linked to the contact of their number.
     */
    ("UPDATE messages SET contact_id = (SELECT c.id FROM contacts c"
     "  WHERE c.phone = messages.phone)"
     " WHERE direction = 'in' AND kind = 'ussd' AND contact_id IS NULL;"),
    /*
     * 14 -> 15: messages by creation time, then direction, in place of
     * (direction, created). An inbound message and its reply, a USSD
     * step and its screen, are created together: in one index they
     * land on the same last page, where (direction, created) kept two
     * tails and a commit wrote a page of each. The overview counts a
     * day's range once for both directions; a time bound becomes an id
     * bound with one seek instead of one per direction.
     */
    ("DROP INDEX messages_dir_created;"
     "CREATE INDEX messages_created ON messages(created, direction);"),
    /*
     * 15 -> 16: expired sessions found by purge_after, not expires. A
     * session's expires moves at each of its steps, and with it its entry
     * in sessions_expires: a delete and an insert in an index, a page of
     * the commit, for every USSD step. purge_after is the expiry a
     * session was created with and never moves with a step; expires only
     * grows (each step sets now + session_timeout), so every expired
     * session has purge_after <= expires <= now and the housekeeping
     * finds it in that range. A session that lives past its first expiry
     * has its purge_after moved up to its expires by the housekeeping
     * that finds it alive (store_session_purge), once.
     */
    ("ALTER TABLE sessions ADD COLUMN purge_after INTEGER NOT NULL"
     " DEFAULT 0;"
     "UPDATE sessions SET purge_after = expires;"
     "DROP INDEX sessions_expires;"
     "CREATE INDEX sessions_purge ON sessions(purge_after);"),
    /*
     * 16 -> 17: the parts of long SMS that a provider delivers one
     * webhook a part (Vonage), kept until they are joined into one
     * message (gateway/parts.c). A part is known by its own provider id
     * (a retry carries it again); a set by its sender and the reference
     * the phone gave it, which phones reuse, so only the parts waiting
     * (joined = 0) make a set. A joined part keeps its key, not its
     * text, for a while, so that a provider's retry of it is known.
     */
    ("CREATE TABLE sms_parts ("
     "  channel TEXT NOT NULL,"
     "  provider_id TEXT NOT NULL,"
     "  phone TEXT NOT NULL,"
     "  ref TEXT NOT NULL,"
     "  seq INTEGER NOT NULL,"
     "  total INTEGER NOT NULL,"
     "  text TEXT NOT NULL,"
     "  received INTEGER NOT NULL,"
     "  joined INTEGER NOT NULL DEFAULT 0,"
     "  PRIMARY KEY (channel, provider_id)"
     ") WITHOUT ROWID;"
     "CREATE INDEX sms_parts_set ON sms_parts(channel, phone, ref, joined);"
     "CREATE INDEX sms_parts_joined ON sms_parts(joined, received);"),
};

/* What each migration does, for `baraza migrate`. */
static const char *const migration_what[] = {
    ("the first schema: contacts, messages, sessions, reports, "
     "subscriptions, data tables"),
    "the state of each GSM modem",
    "idempotency keys of admin POSTs",
    "the console's users, their sessions and the audit log",
    "indexes for the console: messages by time, unlinked numbers",
    "campaigns keyed to dates",
    "outbound event webhooks",
    "USSD resume and report feedback",
    "spend by channel and day, the channel log",
    "the check on messages.state as comparisons",
    ("several nodes: claims' owners, nodes, flood windows, USSD texts, "
     "spend by node"),
    "the answer to a USSD session's last text, for a repeated request",
    "a broadcast queued a chunk a loop turn: the last contact queued",
    "USSD steps linked to their contacts",
    "messages by creation time, then direction (one tail, not two)",
    "expired sessions found by the expiry they began with (purge_after)",
    "the parts of long SMS delivered a webhook a part, until joined",
};
_Static_assert(sizeof(migration_what) / sizeof(migration_what[0]) ==
		   sizeof(migrations) / sizeof(migrations[0]),
    "one description per migration");

/* The migration that rewrite_state_check() completes. */
#define MIGRATION_STATE_CHECK 9
#define STATE_CHECK_IN                                                     \
	"state IN ('queued', 'sending', 'sent',    'delivered', 'failed'," \
	" 'received', 'handled', 'ignored')"
#define STATE_CHECK_OR                                                      \
	"state = 'queued' OR state = 'sending' OR state = 'sent' OR"        \
	" state = 'delivered' OR state = 'failed' OR state = 'received' OR" \
	" state = 'handled' OR state = 'ignored'"

/*
 * The statement table: every statement the store runs, prepared once when
 * the store opens and kept until it closes.
 */
enum stmt_id {
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_SAVEPOINT,
	S_RELEASE,
	S_ROLLBACK_TO,
	S_PING,
	S_CONTACT_INSERT,
	S_CONTACT_INSERT_CHANNEL,
	S_CONTACT_BY_PHONE,
	S_CONTACT_SET_LANGUAGE,
	S_CONTACT_SET_FIELD,
	S_CONTACT_DEL_FIELD,
	S_CONTACT_SET_OPTED_OUT,
	S_CONTACT_SET_LAST_CHANNEL,
	S_SESSION_LOAD,
	S_SESSION_SAVE,
	S_SESSION_DELETE,
	S_SESSION_PURGE,
	S_SESSION_PURGE_MOVE,
	S_SESSION_PUT,
	S_SESSION_PUT_SAME,
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

static const char *const stmt_sql[S_COUNT] = {
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_SAVEPOINT] = "SAVEPOINT store_sp",
    [S_RELEASE] = "RELEASE store_sp",
    [S_ROLLBACK_TO] = "ROLLBACK TO store_sp",
    [S_PING] = "SELECT count(*) FROM sqlite_schema",
    [S_CONTACT_INSERT] =
	"INSERT INTO contacts (phone, fields, created, updated)"
	" VALUES (?1, '{}', ?2, ?2)"
	" ON CONFLICT (phone) DO NOTHING",
    [S_CONTACT_INSERT_CHANNEL] =
	"INSERT INTO contacts (phone, fields, last_channel, created, updated)"
	" VALUES (?1, '{}', ?2, ?3, ?3) RETURNING id",
    [S_CONTACT_BY_PHONE] = "SELECT id, phone, language, opted_out, fields,"
			   " last_channel, created, updated"
			   " FROM contacts WHERE phone = ?1",
    [S_CONTACT_SET_LANGUAGE] = "UPDATE contacts SET language = ?2, updated = ?3"
			       " WHERE id = ?1",
    [S_CONTACT_SET_FIELD] = "UPDATE contacts SET fields = json_set(fields,"
			    " '$.' || ?2, ?3), updated = ?4 WHERE id = ?1",
    [S_CONTACT_DEL_FIELD] = "UPDATE contacts SET fields = json_remove(fields,"
			    " '$.' || ?2), updated = ?3 WHERE id = ?1",
    [S_CONTACT_SET_OPTED_OUT] = "UPDATE contacts SET opted_out = ?2,"
				" updated = ?3 WHERE id = ?1",
    [S_CONTACT_SET_LAST_CHANNEL] = "UPDATE contacts SET last_channel = ?2,"
				   " updated = ?3 WHERE id = ?1",
    [S_SESSION_LOAD] = "SELECT contact_id, flow, state, expires, last_step,"
		       " resume, screen, menu FROM sessions"
		       " WHERE key = ?1 AND expires > ?2",
    /*
     * A new session's purge_after is its expires; a step leaves it (see
     * migration 16), so that sessions_purge's entry stays as it is.
     */
    [S_SESSION_SAVE] = "INSERT INTO sessions (key, contact_id, flow, state,"
		       " expires, purge_after) VALUES (?1, ?2, ?3, ?4, ?5, ?5)"
		       " ON CONFLICT (key) DO UPDATE SET"
		       " contact_id = excluded.contact_id,"
		       " flow = excluded.flow, state = excluded.state,"
		       " expires = excluded.expires",
    [S_SESSION_DELETE] = "DELETE FROM sessions WHERE key = ?1",
    /* Both along sessions_purge: the sessions past their first expiry. */
    [S_SESSION_PURGE] = "DELETE FROM sessions WHERE purge_after <= ?1"
			" AND expires <= ?1",
    [S_SESSION_PURGE_MOVE] = "UPDATE sessions SET purge_after = expires"
			     " WHERE purge_after <= ?1 AND expires > ?1",
    /*
     * A step of a session its contact already holds: contact_id out of
     * the SET, so that sessions_contact's entry is left as it is (SQLite
     * rewrites the entries of every index on a column set, even to the
     * same value). A session new, or another contact's: S_SESSION_PUT.
     */
    [S_SESSION_PUT_SAME] = "UPDATE sessions SET flow = ?3, state = ?4,"
			   " expires = ?5, last_step = ?6, resume = ?7,"
			   " screen = ?8, menu = ?9"
			   " WHERE key = ?1 AND contact_id = ?2",
    [S_SESSION_PUT] = "INSERT INTO sessions (key, contact_id, flow, state,"
		      " expires, last_step, resume, screen, menu, purge_after)"
		      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?5)"
		      " ON CONFLICT (key) DO UPDATE SET"
		      " contact_id = excluded.contact_id,"
		      " flow = excluded.flow, state = excluded.state,"
		      " expires = excluded.expires,"
		      " last_step = excluded.last_step,"
		      " resume = excluded.resume, screen = excluded.screen,"
		      " menu = excluded.menu",
    /* A contact has few sessions: sessions_contact finds them. */
    [S_SESSION_RESUMABLE] = "SELECT key, contact_id, flow, state, expires,"
			    " last_step, resume, screen, menu FROM sessions"
			    " WHERE contact_id = ?1 AND resume = ?2"
			    " AND last_step > ?3 AND expires > ?4"
			    " ORDER BY last_step DESC LIMIT 1",
    [S_REPORT_INSERT] = "INSERT INTO reports (contact_id, flow, category,"
			" location, details, status, created, updated)"
			" VALUES (?1, ?2, ?3, ?4, ?5, 'open', ?6, ?6)",
    [S_REPORT_GET] = "SELECT id, contact_id, flow, category, location,"
		     " details, status, created, updated"
		     " FROM reports WHERE id = ?1",
    [S_REPORT_SET_STATUS] = "UPDATE reports SET status = ?2, updated = ?3"
			    " WHERE id = ?1",
    [S_REPORT_EVENT_INSERT] = "INSERT INTO report_events (report_id, time,"
			      " status, note) VALUES (?1, ?2, ?3, ?4)",
    [S_SUBSCRIBE] = "INSERT INTO subscriptions (contact_id, topic, created)"
		    " VALUES (?1, ?2, ?3)"
		    " ON CONFLICT (contact_id, topic) DO NOTHING",
    [S_UNSUBSCRIBE] = "DELETE FROM subscriptions"
		      " WHERE contact_id = ?1 AND topic = ?2",
    [S_SUBSCRIBED] = "SELECT 1 FROM subscriptions"
		     " WHERE contact_id = ?1 AND topic = ?2",
    /* The key column, and whether ?2 is one of the table's columns. */
    [S_TABLE_INFO] = "SELECT key_column, EXISTS (SELECT 1"
		     " FROM json_each(data_tables.columns) WHERE value = ?2)"
		     " FROM data_tables WHERE name = ?1",
    [S_TABLE_LOOKUP_KEY] = "SELECT row FROM data_rows"
			   " WHERE table_name = ?1 AND key = ?2",
    /*
     * json_each rather than json_extract: a column name may hold
     * characters that a JSON path cannot express.
     */
    [S_TABLE_LOOKUP_SCAN] = "SELECT r.row FROM data_rows AS r,"
			    " json_each(r.row) AS e"
			    " WHERE r.table_name = ?1 AND e.key = ?2"
			    " AND e.value = ?3 ORDER BY r.rowid LIMIT 1",
    [S_TABLE_UPSERT] = "INSERT INTO data_tables (name, key_column, columns,"
		       " rows, updated) VALUES (?1, ?2, ?3, 0, ?4)"
		       " ON CONFLICT (name) DO UPDATE SET"
		       " key_column = excluded.key_column,"
		       " columns = excluded.columns, rows = 0,"
		       " updated = excluded.updated",
    [S_TABLE_DELETE_ROWS] = "DELETE FROM data_rows WHERE table_name = ?1",
    [S_TABLE_INSERT_ROW] = "INSERT INTO data_rows (table_name, key, row)"
			   " VALUES (?1, ?2, ?3)",
    [S_TABLE_SET_ROWS] = "UPDATE data_tables SET rows = ?2 WHERE name = ?1",
};

/* store.c's statements, prepared when the store opens. */
struct store_core {
	sqlite3_stmt *stmt[S_COUNT]; /* see stmt_sql */
};

/* Returns the prepared statement id, ready to bind. */
static sqlite3_stmt *
stmt(struct store *st, enum stmt_id id)
{
	return st->core->stmt[id];
}

/* Resets a statement after use and drops its bindings. */
static void
done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

sqlite3_stmt *
store_sql(struct store *st, const struct store_sql *tab, int i)
{
	sqlite3_stmt **slot;
	int rc;

	if (i < 0 || (size_t)i >= tab->n || tab->n > STORE_PART_MAX)
		fatalx("store: statement %d of part %d out of range", i,
		    (int)tab->part);
	slot = &st->part[tab->part][i];
	if (*slot == NULL) {
		rc = sqlite3_prepare_v3(st->db, tab->sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, slot, NULL);
		if (rc != SQLITE_OK)
			fatalx("store: cannot prepare \"%.60s\": %s",
			    tab->sql[i], sqlite3_errmsg(st->db));
		return *slot;
	}
	return *slot;
}

void
store_sql_done(sqlite3_stmt *s)
{
	done(s);
}

int
store_sql_fail(struct store *st, const struct store_sql *tab, int i, int rc)
{
	log_warn("store", "statement failed sql=\"%.48s\" rc=%d error=\"%s\"",
	    tab->sql[i], rc, sqlite3_errmsg(st->db));
	return STORE_ERR;
}

int
store_sql_exec(struct store *st, const struct store_sql *tab, int i)
{
	sqlite3_stmt *s = store_sql(st, tab, i);
	int rc = sqlite3_step(s);

	done(s);
	if (rc != SQLITE_DONE)
		return store_sql_fail(st, tab, i, rc);
	return 0;
}

/* Logs a failure of statement id and returns STORE_ERR. */
static int
fail(struct store *st, enum stmt_id id, int rc)
{
	log_warn("store", "statement failed sql=\"%.48s\" rc=%d error=\"%s\"",
	    stmt_sql[id], rc, sqlite3_errmsg(st->db));
	return STORE_ERR;
}

/*
 * Runs a statement that returns no rows (bindings already made), resets it
 * and returns 0 or STORE_ERR.
 */
static int
exec_stmt(struct store *st, enum stmt_id id)
{
	sqlite3_stmt *s = stmt(st, id);
	int rc = sqlite3_step(s);

	done(s);
	if (rc != SQLITE_DONE)
		return fail(st, id, rc);
	return 0;
}

int
store_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		return sqlite3_bind_null(s, i);
	return sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

char *
store_column_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	if (t == NULL)
		return NULL;
	return xstrndup((const char *)t, (size_t)sqlite3_column_bytes(s, i));
}

#define bind_text store_bind_text
#define column_dup store_column_dup

/* Runs SQL text without results; on failure sets *errmsg and returns -1. */
static int
exec_sql(sqlite3 *db, const char *path, const char *sql, char **errmsg)
{
	char *e = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &e) != SQLITE_OK) {
		errmsg_set(
		    errmsg, "%s: %s", path, e != NULL ? e : sqlite3_errmsg(db));
		sqlite3_free(e);
		return -1;
	}
	return 0;
}

int
store_query_int(sqlite3 *db, const char *sql, int64_t *v)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL)) != SQLITE_OK)
		return rc;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*v = sqlite3_column_int64(s, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	return rc;
}

/* Reads an integer pragma (user_version) into *out. Returns 0 or -1. */
static int
pragma_int(sqlite3 *db, const char *sql, int *out)
{
	int64_t v;

	if (store_query_int(db, sql, &v) != SQLITE_OK)
		return -1;
	*out = (int)v;
	return 0;
}

/*
 * Migration 9 -> 10, inside its transaction: the messages table's CHECK on
 * state, the same values as comparisons. A CHECK that every row already
 * meets is changed in place, as SQLite's documentation describes for
 * schema changes that do not touch the stored rows ("Making Other Kinds Of
 * Table Schema Changes"): the schema text, then the schema version so
 * that every connection reads it again.
 */
static int
rewrite_state_check(sqlite3 *db, const char *path, char **errmsg)
{
	sqlite3_stmt *s = NULL;
	char *sql;
	int v, rc = -1;

	if (pragma_int(db, "PRAGMA schema_version", &v) < 0) {
		errmsg_set(errmsg, "%s: %s", path, sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 0, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_WRITABLE_SCHEMA, 1, NULL);
	if (sqlite3_prepare_v2(db,
		"UPDATE sqlite_schema SET sql = replace(sql, ?1, ?2)"
		" WHERE type = 'table' AND name = 'messages'",
		-1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_text(s, 1, STATE_CHECK_IN, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, STATE_CHECK_OR, -1, SQLITE_STATIC);
		if (sqlite3_step(s) == SQLITE_DONE)
			rc = 0;
	}
	sqlite3_finalize(s);
	if (rc == 0) {
		sql = xasprintf("PRAGMA schema_version = %d", v + 1);
		rc = exec_sql(db, path, sql, errmsg);
		free(sql);
	} else {
		errmsg_set(errmsg, "%s: %s", path, sqlite3_errmsg(db));
	}
	sqlite3_db_config(db, SQLITE_DBCONFIG_WRITABLE_SCHEMA, 0, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	return rc;
}

/* Checks a schema version read from the file; sets *errmsg if refused. */
static int
version_ok(int version, const char *path, char **errmsg)
{
	const int latest = (int)nitems(migrations);

	if (version < 0) {
		errmsg_set(errmsg, "%s: bad database schema version %d", path,
		    version);
		return 0;
	}
	if (version > latest) {
		errmsg_set(errmsg,
		    "database schema version %d is newer than this baraza "
		    "understands (%d); upgrade baraza",
		    version, latest);
		return 0;
	}
	return 1;
}

/*
 * Brings the schema up to date, one migration per transaction. When work
 * is due, the version is read again inside each write transaction, so two
 * processes opening the same new database at once do not both migrate.
 */
static int
migrate(sqlite3 *db, const char *path, store_migrate_fn *report, void *arg,
    char **errmsg)
{
	const int latest = (int)nitems(migrations);
	int version;
	char *sql;

	/* The usual case, up to date, needs no write lock. */
	if (pragma_int(db, "PRAGMA user_version", &version) < 0) {
		errmsg_set(errmsg, "%s: %s", path, sqlite3_errmsg(db));
		return -1;
	}
	if (!version_ok(version, path, errmsg))
		return -1;
	if (version == latest)
		return 0;

	for (;;) {
		if (exec_sql(db, path, "BEGIN IMMEDIATE", errmsg) < 0)
			return -1;
		if (pragma_int(db, "PRAGMA user_version", &version) < 0) {
			errmsg_set(errmsg, "%s: %s", path, sqlite3_errmsg(db));
			goto fail;
		}
		if (!version_ok(version, path, errmsg))
			goto fail;
		if (version == latest)
			return exec_sql(db, path, "COMMIT", errmsg);
		if (exec_sql(db, path, migrations[version], errmsg) < 0)
			goto fail;
		if (version == MIGRATION_STATE_CHECK &&
		    rewrite_state_check(db, path, errmsg) < 0)
			goto fail;
		sql = xasprintf("PRAGMA user_version = %d", version + 1);
		if (exec_sql(db, path, sql, errmsg) < 0) {
			free(sql);
			goto fail;
		}
		free(sql);
		if (exec_sql(db, path, "COMMIT", errmsg) < 0)
			goto fail;
		log_info("store", "schema migrated path=%s version=%d", path,
		    version + 1);
		if (report != NULL)
			report(arg, version + 1, migration_what[version]);
	}
fail:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/*
 * Explains a failure to open or first use the database: the system's
 * reason when there is one ("Permission denied"), else SQLite's.
 */
static void
open_error(
    sqlite3 *db, int rc, const char *path, const char *what, char **errmsg)
{
	int syserr = db != NULL ? sqlite3_system_errno(db) : 0;

	if ((rc & 0xff) == SQLITE_NOTADB)
		errmsg_set(errmsg, "%s: %s: the file is not a SQLite database",
		    path, what);
	else if (syserr != 0)
		errmsg_set(errmsg, "%s: %s: %s (%s)", path, what,
		    db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc),
		    strerror(syserr));
	else
		errmsg_set(errmsg, "%s: %s: %s", path, what,
		    db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

int
store_schema_version(void)
{
	return (int)nitems(migrations);
}

int
store_is_postgres(const char *database)
{
	return database != NULL &&
	       (strncmp(database, "postgresql://", 13) == 0 ||
		   strncmp(database, "postgres://", 11) == 0);
}

static int open_db(
    const char *, int, store_migrate_fn *, void *, struct store **, char **);

/* store_migrate()'s report, which also keeps the first version reached. */
struct migrate_report {
	store_migrate_fn *report;
	void *arg;
	int first; /* the first version reached, 0 before any */
};

static void
note_migration(void *arg, int version, const char *what)
{
	struct migrate_report *mr = arg;

	if (mr->first == 0)
		mr->first = version;
	if (mr->report != NULL)
		mr->report(mr->arg, version, what);
}

char *
store_redact(const char *uri)
{
	return pg_redact(uri);
}

int
store_migrate(const char *database, const char *password,
    store_migrate_fn *report, void *arg, int *from, int *to, char **errmsg)
{
	struct migrate_report mr;
	struct store *st;
	PGconn *c;
	int rc;

	if (errmsg != NULL)
		*errmsg = NULL;
	if (store_is_postgres(database)) {
		char *name = pg_redact(database);

		if ((c = pg_connect(database, password, errmsg)) == NULL) {
			free(name);
			return -1;
		}
		rc = pg_migrate(c, name, report, arg, from, to, errmsg);
		PQfinish(c);
		free(name);
		return rc;
	}
	mr.report = report;
	mr.arg = arg;
	mr.first = 0;
	if (open_db(database, 1, note_migration, &mr, &st, errmsg) < 0)
		return -1;
	if (from != NULL)
		*from = mr.first > 0 ? mr.first - 1 : (int)nitems(migrations);
	if (to != NULL)
		*to = (int)nitems(migrations);
	sq_close(st);
	return 0;
}

/*
 * Creates the database file mode 0600 if it does not exist yet, whatever
 * the umask: SQLite gives its -wal and -shm files the database's own mode.
 * An existing file is left as it is. A failure here is SQLite's to report.
 */
static void
create_private(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd >= 0)
		close(fd);
}

int
sq_peek_tables(const char *path, int (*cb)(void *, const char *name), void *arg,
    char **errmsg)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int rc;

	if (errmsg != NULL)
		*errmsg = NULL;
	if (path == NULL || strcmp(path, ":memory:") == 0 ||
	    access(path, F_OK) != 0)
		return STORE_NOTFOUND;
	/* Read-only, no migration: check must not change a live database. */
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(db, 2000);
		/* A database a newer baraza migrated: serve would refuse it. */
		rc =
		    sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL);
		if (rc == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW &&
		    !version_ok(sqlite3_column_int(s, 0), path, errmsg)) {
			sqlite3_finalize(s);
			sqlite3_close(db);
			return STORE_EINVAL;
		}
		sqlite3_finalize(s);
		s = NULL;
		rc = sqlite3_prepare_v2(db,
		    "SELECT name FROM data_tables ORDER BY name", -1, &s, NULL);
	}
	if (rc != SQLITE_OK) {
		errmsg_set(errmsg, "cannot read %s: %s", path,
		    db != NULL ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_finalize(s);
		sqlite3_close(db);
		return STORE_ERR;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (cb(arg, (const char *)sqlite3_column_text(s, 0)) != 0)
			break;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		errmsg_set(
		    errmsg, "cannot read %s: %s", path, sqlite3_errmsg(db));
		rc = STORE_ERR;
	} else
		rc = 0;
	sqlite3_finalize(s);
	sqlite3_close(db);
	return rc;
}

/* sq_open(), telling report of each migration applied. */
static int
open_db(const char *path, int durability_full, store_migrate_fn *report,
    void *arg, struct store **out, char **errmsg)
{
	struct store *st;
	sqlite3 *db = NULL;
	char mode[16] = "";
	sqlite3_stmt *s;
	int rc, i, memory;

	*out = NULL;
	if (errmsg != NULL)
		*errmsg = NULL;
	if (path == NULL || path[0] == '\0') {
		errmsg_set(errmsg, "no database path given");
		return -1;
	}
	if (store_is_postgres(path)) {
		char *name = pg_redact(path);

		errmsg_set(errmsg,
		    "%s: serving from PostgreSQL is not built yet; `baraza "
		    "migrate` and `baraza copy-store` work with it "
		    "(docs/postgresql.md)",
		    name);
		free(name);
		return -1;
	}
	memory = strcmp(path, ":memory:") == 0;
	if (!memory)
		create_private(path);
	rc = sqlite3_open_v2(path, &db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_EXRESCODE,
	    NULL);
	if (rc != SQLITE_OK) {
		open_error(db, rc, path, "cannot open database", errmsg);
		sqlite3_close(db);
		return -1;
	}
	/* Refuse double-quoted string literals and writes to the schema. */
	sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DML, 0, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DDL, 0, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_busy_timeout(db, 5000);

	/*
	 * journal_mode=WAL is the first statement to touch the file: an
	 * unreadable file, a non-database or a folder where the -wal file
	 * cannot be created fail here.
	 */
	rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &s, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			snprintf(mode, sizeof(mode), "%s",
			    (const char *)sqlite3_column_text(s, 0));
			rc = SQLITE_OK;
		}
		sqlite3_finalize(s);
	}
	if (rc != SQLITE_OK) {
		open_error(db, sqlite3_extended_errcode(db), path,
		    "cannot use database", errmsg);
		goto fail;
	}
	if (!memory && strcmp(mode, "wal") != 0) {
		errmsg_set(errmsg,
		    "%s: cannot switch to WAL mode (journal mode is %s; is "
		    "the folder writable?)",
		    path, mode);
		goto fail;
	}
	if (exec_sql(db, path,
		durability_full ? "PRAGMA synchronous = FULL"
				: "PRAGMA synchronous = NORMAL",
		errmsg) < 0)
		goto fail;
	if (exec_sql(db, path, "PRAGMA foreign_keys = ON", errmsg) < 0)
		goto fail;
	/*
	 * A page cache of 4 MiB keeps the hot indexes in memory. temp_store
	 * stays the default: a savepoint's journal is then kept in one block
	 * of memory up to 64 KiB (a file past that), where MEMORY would keep
	 * it in blocks of 1 KiB, four allocations for each page a message
	 * touches; and a large sort or temporary table spills to a file
	 * rather than grow the process.
	 */
	if (exec_sql(db, path, "PRAGMA cache_size = -4096", errmsg) < 0)
		goto fail;
	if (migrate(db, path, report, arg, errmsg) < 0)
		goto fail;
	/*
	 * Checkpoint what an earlier run left in the WAL (a full disk makes
	 * the checkpoint at close fail): otherwise the WAL grows on to the
	 * 1,000 pages of the automatic checkpoint before it is reused, and
	 * space freed after a full disk is used up again at once. A failure
	 * (still no space, another connection busy) is harmless.
	 */
	if (!memory)
		(void)sqlite3_wal_checkpoint_v2(
		    db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);

	st = xcalloc(1, sizeof(*st));
	st->core = xcalloc(1, sizeof(*st->core));
	st->db = db;
	for (i = 0; i < S_COUNT; i++) {
		rc = sqlite3_prepare_v3(db, stmt_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &st->core->stmt[i], NULL);
		if (rc != SQLITE_OK) {
			errmsg_set(errmsg, "%s: preparing statement %d: %s",
			    path, i, sqlite3_errmsg(db));
			sq_close(st);
			return -1;
		}
	}
	*out = st;
	return 0;
fail:
	sqlite3_close(db);
	return -1;
}

int
sq_open(
    const char *path, int durability_full, struct store **out, char **errmsg)
{
	return open_db(path, durability_full, NULL, NULL, out, errmsg);
}

void
sq_close(struct store *st)
{
	int i;

	if (st == NULL)
		return;
	for (i = 0; i < S_COUNT; i++)
		sqlite3_finalize(st->core->stmt[i]);
	free(st->core);
	for (i = 0; i < STORE_NPARTS * STORE_PART_MAX; i++)
		sqlite3_finalize(
		    st->part[i / STORE_PART_MAX][i % STORE_PART_MAX]);
	if (sqlite3_close(st->db) != SQLITE_OK)
		log_warn("store", "close failed error=\"%s\"",
		    sqlite3_errmsg(st->db));
	free(st);
}

static int
on_wal(void *arg, sqlite3 *db, const char *name, int frames)
{
	const struct store *st = arg;
	int log = 0, done = 0;

	if (st->wal_fn(st->wal_arg, frames) == 1)
		(void)sqlite3_wal_checkpoint_v2(
		    db, name, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
	return SQLITE_OK;
}

void
sq_wal_hook(struct store *st, int (*fn)(void *, int frames), void *arg)
{
	st->wal_fn = fn;
	st->wal_arg = arg;
	/* Replaces SQLite's automatic checkpoint, which is a WAL hook too. */
	sqlite3_wal_hook(st->db, fn != NULL ? on_wal : NULL, st);
}

int
sq_autocheckpoint(struct store *st, int pages)
{
	return sqlite3_wal_autocheckpoint(st->db, pages) == SQLITE_OK
		   ? 0
		   : STORE_ERR;
}

const char *
sq_errmsg(struct store *st)
{
	return sqlite3_errmsg(st->db);
}

int
sq_ping(struct store *st)
{
	sqlite3_stmt *s = stmt(st, S_PING);
	int rc = sqlite3_step(s);

	done(s);
	return rc == SQLITE_ROW ? 0 : fail(st, S_PING, rc);
}

int
sq_begin(struct store *st)
{
	return exec_stmt(st, S_BEGIN);
}

int
sq_commit(struct store *st)
{
	int rc;

	/*
	 * The spend this transaction added, one row a channel a day; none if
	 * a failure already rolled it back (the COMMIT then fails).
	 */
	if (sqlite3_get_autocommit(st->db))
		store_spend_drop(st);
	else if (store_spend_flush(st) != 0)
		return STORE_ERR;
	rc = exec_stmt(st, S_COMMIT);
#ifndef NDEBUG
	/*
	 * A statement left stepping holds a read snapshot: the WAL can then
	 * never be reset and grows until the disk is full. Say which.
	 */
	for (sqlite3_stmt *s = sqlite3_next_stmt(st->db, NULL); s != NULL;
	     s = sqlite3_next_stmt(st->db, s))
		if (sqlite3_stmt_busy(s))
			log_warn("store", "statement left open sql=\"%.60s\"",
			    sqlite3_sql(s));
#endif
	return rc;
}

int
sq_rollback(struct store *st)
{
	store_spend_drop(st);
	/* A failed statement may already have rolled the transaction back. */
	if (sqlite3_get_autocommit(st->db))
		return 0;
	return exec_stmt(st, S_ROLLBACK);
}

int
sq_in_transaction(struct store *st)
{
	return !sqlite3_get_autocommit(st->db);
}

int
sq_savepoint(struct store *st)
{
	/*
	 * The spend held is written before, so that what a ROLLBACK TO
	 * undoes is exactly what was added after it (store_spend.c).
	 */
	if (store_spend_flush(st) != 0)
		return STORE_ERR;
	return exec_stmt(st, S_SAVEPOINT);
}

int
sq_release(struct store *st)
{
	return exec_stmt(st, S_RELEASE);
}

int
sq_rollback_to(struct store *st)
{
	/*
	 * Some failures (an I/O error, a full disk) roll the whole transaction
	 * back on their own, taking the savepoint with it.
	 */
	store_spend_drop(st); /* all of it came after the savepoint */
	if (sqlite3_get_autocommit(st->db))
		return 0;
	/* ROLLBACK TO keeps the savepoint open; RELEASE then closes it. */
	if (exec_stmt(st, S_ROLLBACK_TO) < 0)
		return STORE_ERR;
	return exec_stmt(st, S_RELEASE);
}

/* Fills *c from the current row of S_CONTACT_BY_PHONE. */
static void
contact_fill(sqlite3_stmt *s, struct store_contact *c)
{
	c->id = sqlite3_column_int64(s, 0);
	c->phone = column_dup(s, 1);
	c->language = column_dup(s, 2);
	c->opted_out = sqlite3_column_int(s, 3) != 0;
	c->fields = column_dup(s, 4);
	if (c->fields == NULL)
		c->fields = xstrdup("{}");
	c->last_channel = column_dup(s, 5);
	c->created = sqlite3_column_int64(s, 6);
	c->updated = sqlite3_column_int64(s, 7);
}

int
sq_contact_find(struct store *st, const char *phone, struct store_contact *out)
{
	sqlite3_stmt *s = stmt(st, S_CONTACT_BY_PHONE);
	int rc;

	memset(out, 0, sizeof(*out));
	if (!store_valid_e164(phone))
		return STORE_EINVAL;
	bind_text(s, 1, phone);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		contact_fill(s, out);
	done(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	return fail(st, S_CONTACT_BY_PHONE, rc);
}

int
sq_contact_get(
    struct store *st, const char *phone, int64_t now, struct store_contact *out)
{
	sqlite3_stmt *s = stmt(st, S_CONTACT_INSERT);
	int rc, created;

	memset(out, 0, sizeof(*out));
	if (!store_valid_e164(phone))
		return STORE_EINVAL;
	/* Most messages come from known numbers: look first. */
	rc = sq_contact_find(st, phone, out);
	if (rc != STORE_NOTFOUND)
		return rc < 0 ? rc : 0;
	bind_text(s, 1, phone);
	sqlite3_bind_int64(s, 2, now);
	rc = sqlite3_step(s);
	created = rc == SQLITE_DONE && sqlite3_changes(st->db) > 0;
	done(s);
	if (rc != SQLITE_DONE)
		return fail(st, S_CONTACT_INSERT, rc);
	rc = sq_contact_find(st, phone, out);
	if (rc == STORE_NOTFOUND) /* Inserted, yet gone: impossible. */
		return STORE_ERR;
	if (rc < 0)
		return rc;
	return created ? 1 : 0;
}

int
sq_contact_find_or_add(struct store *st, const char *phone, const char *channel,
    int64_t now, struct store_contact *out)
{
	sqlite3_stmt *s;
	int rc;

	rc = sq_contact_find(st, phone, out);
	if (rc != STORE_NOTFOUND)
		return rc;
	/* A new number: one statement creates it with its channel. */
	s = stmt(st, S_CONTACT_INSERT_CHANNEL);
	bind_text(s, 1, phone);
	bind_text(s, 2, channel);
	sqlite3_bind_int64(s, 3, now);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		done(s);
		return fail(st, S_CONTACT_INSERT_CHANNEL, rc);
	}
	memset(out, 0, sizeof(*out));
	out->id = sqlite3_column_int64(s, 0);
	/* RETURNING rows are all read before the statement completes. */
	sqlite3_step(s);
	done(s);
	out->phone = xstrdup(phone);
	out->fields = xstrdup("{}");
	out->last_channel = channel ? xstrdup(channel) : NULL;
	out->created = out->updated = now;
	return 1;
}

void
store_contact_free(struct store_contact *c)
{
	if (c == NULL)
		return;
	free(c->phone);
	free(c->language);
	free(c->fields);
	free(c->last_channel);
	memset(c, 0, sizeof(*c));
}

/* Runs an UPDATE of one contact and maps "no row changed" to NOTFOUND. */
static int
contact_update(struct store *st, enum stmt_id id)
{
	if (exec_stmt(st, id) < 0)
		return STORE_ERR;
	return sqlite3_changes(st->db) > 0 ? 0 : STORE_NOTFOUND;
}

int
sq_contact_set_language(
    struct store *st, int64_t id, const char *lang, int64_t now)
{
	sqlite3_stmt *s = stmt(st, S_CONTACT_SET_LANGUAGE);

	if (lang != NULL && (lang[0] == '\0' || store_too_long(lang, 35)))
		return STORE_EINVAL;
	sqlite3_bind_int64(s, 1, id);
	bind_text(s, 2, lang);
	sqlite3_bind_int64(s, 3, now);
	return contact_update(st, S_CONTACT_SET_LANGUAGE);
}

int
sq_contact_set_field(struct store *st, int64_t id, const char *name,
    const char *value, int64_t now)
{
	enum stmt_id sid =
	    value != NULL ? S_CONTACT_SET_FIELD : S_CONTACT_DEL_FIELD;
	sqlite3_stmt *s = stmt(st, sid);

	/* The name becomes part of a JSON path, hence the strict rule. */
	if (!store_valid_name(name) || store_too_long(value, STORE_VALUE_MAX))
		return STORE_EINVAL;
	sqlite3_bind_int64(s, 1, id);
	bind_text(s, 2, name);
	if (value != NULL) {
		bind_text(s, 3, value);
		sqlite3_bind_int64(s, 4, now);
	} else
		sqlite3_bind_int64(s, 3, now);
	return contact_update(st, sid);
}

int
sq_contact_set_opted_out(
    struct store *st, int64_t id, int opted_out, int64_t now)
{
	sqlite3_stmt *s = stmt(st, S_CONTACT_SET_OPTED_OUT);

	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, opted_out != 0);
	sqlite3_bind_int64(s, 3, now);
	return contact_update(st, S_CONTACT_SET_OPTED_OUT);
}

int
sq_contact_set_last_channel(
    struct store *st, int64_t id, const char *channel, int64_t now)
{
	sqlite3_stmt *s = stmt(st, S_CONTACT_SET_LAST_CHANNEL);

	if (store_too_long(channel, STORE_NAME_MAX))
		return STORE_EINVAL;
	sqlite3_bind_int64(s, 1, id);
	bind_text(s, 2, channel);
	sqlite3_bind_int64(s, 3, now);
	return contact_update(st, S_CONTACT_SET_LAST_CHANNEL);
}

/* Reads a session's columns from column c on (contact_id first). */
static void
session_row(sqlite3_stmt *s, int c, struct store_session *out)
{
	out->contact_id = sqlite3_column_int64(s, c);
	out->flow = column_dup(s, c + 1);
	out->state = column_dup(s, c + 2);
	out->expires = sqlite3_column_int64(s, c + 3);
	out->last = sqlite3_column_int64(s, c + 4);
	out->resume = column_dup(s, c + 5);
	out->screen = column_dup(s, c + 6);
	out->menu = sqlite3_column_int(s, c + 7);
}

int
sq_session_load(
    struct store *st, const char *key, int64_t now, struct store_session *out)
{
	sqlite3_stmt *s = stmt(st, S_SESSION_LOAD);
	int rc;

	memset(out, 0, sizeof(*out));
	if (key == NULL || store_too_long(key, STORE_KEY_MAX))
		return STORE_EINVAL;
	bind_text(s, 1, key);
	sqlite3_bind_int64(s, 2, now);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		session_row(s, 0, out);
	done(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	return fail(st, S_SESSION_LOAD, rc);
}

int
sq_session_put(
    struct store *st, const char *key, const struct store_session *ss)
{
	enum stmt_id id = S_SESSION_PUT_SAME;
	sqlite3_stmt *s;
	int rc;

	if (key == NULL || key[0] == '\0' ||
	    store_too_long(key, STORE_KEY_MAX) || ss->flow == NULL ||
	    store_too_long(ss->flow, STORE_NAME_MAX) || ss->state == NULL ||
	    store_too_long(ss->state, STORE_STATE_MAX) ||
	    store_too_long(ss->resume, STORE_TEXT_MAX) ||
	    store_too_long(ss->screen, STORE_TEXT_MAX))
		return STORE_EINVAL;
	/* The update first (most steps), then the upsert if no row was it. */
	for (;;) {
		s = stmt(st, id);
		bind_text(s, 1, key);
		sqlite3_bind_int64(s, 2, ss->contact_id);
		bind_text(s, 3, ss->flow);
		bind_text(s, 4, ss->state);
		sqlite3_bind_int64(s, 5, ss->expires);
		sqlite3_bind_int64(s, 6, ss->last);
		bind_text(s, 7, ss->resume);
		bind_text(s, 8, ss->screen);
		sqlite3_bind_int(s, 9, ss->menu ? 1 : 0);
		rc = sqlite3_step(s);
		done(s);
		if (rc == SQLITE_CONSTRAINT_CHECK)
			return STORE_EINVAL;
		if (rc != SQLITE_DONE)
			return fail(st, id, rc);
		if (id == S_SESSION_PUT || sqlite3_changes(st->db) > 0)
			return 0;
		id = S_SESSION_PUT;
	}
}

int
sq_session_resumable(struct store *st, int64_t contact_id, const char *resume,
    int64_t since, int64_t now, char **key, struct store_session *out)
{
	sqlite3_stmt *s = stmt(st, S_SESSION_RESUMABLE);
	int rc;

	memset(out, 0, sizeof(*out));
	*key = NULL;
	if (resume == NULL || store_too_long(resume, STORE_TEXT_MAX))
		return STORE_EINVAL;
	sqlite3_bind_int64(s, 1, contact_id);
	bind_text(s, 2, resume);
	sqlite3_bind_int64(s, 3, since);
	sqlite3_bind_int64(s, 4, now);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*key = column_dup(s, 0);
		session_row(s, 1, out);
	}
	done(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	return fail(st, S_SESSION_RESUMABLE, rc);
}

int
sq_session_save(struct store *st, const char *key, int64_t contact_id,
    const char *flow, const char *state, int64_t expires)
{
	sqlite3_stmt *s = stmt(st, S_SESSION_SAVE);
	int rc;

	if (key == NULL || key[0] == '\0' ||
	    store_too_long(key, STORE_KEY_MAX) || flow == NULL ||
	    store_too_long(flow, STORE_NAME_MAX) || state == NULL ||
	    store_too_long(state, STORE_STATE_MAX))
		return STORE_EINVAL;
	bind_text(s, 1, key);
	sqlite3_bind_int64(s, 2, contact_id);
	bind_text(s, 3, flow);
	bind_text(s, 4, state);
	sqlite3_bind_int64(s, 5, expires);
	rc = sqlite3_step(s);
	done(s);
	if (rc == SQLITE_DONE)
		return 0;
	/* Invalid JSON fails the CHECK: the caller's mistake. */
	if (rc == SQLITE_CONSTRAINT_CHECK)
		return STORE_EINVAL;
	return fail(st, S_SESSION_SAVE, rc);
}

int
sq_session_delete(struct store *st, const char *key)
{
	sqlite3_stmt *s = stmt(st, S_SESSION_DELETE);

	if (key == NULL)
		return STORE_EINVAL;
	bind_text(s, 1, key);
	return exec_stmt(st, S_SESSION_DELETE);
}

int
sq_session_purge(struct store *st, int64_t now)
{
	int n;

	sqlite3_bind_int64(stmt(st, S_SESSION_PURGE), 1, now);
	if (exec_stmt(st, S_SESSION_PURGE) < 0)
		return STORE_ERR;
	n = sqlite3_changes(st->db);
	sqlite3_bind_int64(stmt(st, S_SESSION_PURGE_MOVE), 1, now);
	if (exec_stmt(st, S_SESSION_PURGE_MOVE) < 0)
		return STORE_ERR;
	return n;
}

void
store_session_free(struct store_session *ss)
{
	if (ss == NULL)
		return;
	free(ss->flow);
	free(ss->state);
	free(ss->resume);
	free(ss->screen);
	memset(ss, 0, sizeof(*ss));
}

int
store_report_status_valid(const char *name)
{
	static const char *const names[] = {
	    STORE_REPORT_OPEN,
	    STORE_REPORT_ACKNOWLEDGED,
	    STORE_REPORT_IN_PROGRESS,
	    STORE_REPORT_RESOLVED,
	    STORE_REPORT_CLOSED,
	};
	size_t i;

	if (name == NULL)
		return 0;
	for (i = 0; i < nitems(names); i++)
		if (strcmp(name, names[i]) == 0)
			return 1;
	return 0;
}

/* Inserts one report event; the caller holds a savepoint. */
static int
report_event(struct store *st, int64_t id, const char *status, const char *note,
    int64_t now)
{
	sqlite3_stmt *s = stmt(st, S_REPORT_EVENT_INSERT);

	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	bind_text(s, 3, status);
	bind_text(s, 4, note);
	return exec_stmt(st, S_REPORT_EVENT_INSERT);
}

int
sq_report_create(struct store *st, int64_t contact_id, const char *flow,
    const char *category, const char *location, const char *details,
    int64_t now, int64_t *id)
{
	sqlite3_stmt *s = stmt(st, S_REPORT_INSERT);
	int64_t rid;

	*id = 0;
	if (store_too_long(flow, STORE_NAME_MAX) ||
	    store_too_long(category, STORE_TEXT_MAX) ||
	    store_too_long(location, STORE_TEXT_MAX) ||
	    store_too_long(details, STORE_TEXT_MAX))
		return STORE_EINVAL;
	if (sq_savepoint(st) < 0)
		return STORE_ERR;
	if (contact_id > 0)
		sqlite3_bind_int64(s, 1, contact_id);
	else
		sqlite3_bind_null(s, 1);
	bind_text(s, 2, flow);
	bind_text(s, 3, category);
	bind_text(s, 4, location);
	bind_text(s, 5, details);
	sqlite3_bind_int64(s, 6, now);
	if (exec_stmt(st, S_REPORT_INSERT) < 0)
		goto fail;
	rid = sqlite3_last_insert_rowid(st->db);
	if (report_event(st, rid, STORE_REPORT_OPEN, NULL, now) < 0)
		goto fail;
	if (sq_release(st) < 0)
		goto fail;
	*id = rid;
	return 0;
fail:
	sq_rollback_to(st);
	return STORE_ERR;
}

int
sq_report_get(struct store *st, int64_t id, struct store_report *out)
{
	sqlite3_stmt *s = stmt(st, S_REPORT_GET);
	int rc;

	memset(out, 0, sizeof(*out));
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(s, 0);
		out->contact_id = sqlite3_column_int64(s, 1);
		out->flow = column_dup(s, 2);
		out->category = column_dup(s, 3);
		out->location = column_dup(s, 4);
		out->details = column_dup(s, 5);
		out->status = column_dup(s, 6);
		out->created = sqlite3_column_int64(s, 7);
		out->updated = sqlite3_column_int64(s, 8);
	}
	done(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	return fail(st, S_REPORT_GET, rc);
}

void
store_report_free(struct store_report *r)
{
	if (r == NULL)
		return;
	free(r->flow);
	free(r->category);
	free(r->location);
	free(r->details);
	free(r->status);
	memset(r, 0, sizeof(*r));
}

int
sq_report_add_event(struct store *st, int64_t id, const char *status,
    const char *note, int64_t now)
{
	sqlite3_stmt *s = stmt(st, S_REPORT_SET_STATUS);

	if (!store_report_status_valid(status) ||
	    store_too_long(note, STORE_TEXT_MAX))
		return STORE_EINVAL;
	if (sq_savepoint(st) < 0)
		return STORE_ERR;
	sqlite3_bind_int64(s, 1, id);
	bind_text(s, 2, status);
	sqlite3_bind_int64(s, 3, now);
	if (exec_stmt(st, S_REPORT_SET_STATUS) < 0)
		goto fail;
	if (sqlite3_changes(st->db) == 0) {
		sq_rollback_to(st);
		return STORE_NOTFOUND;
	}
	if (report_event(st, id, status, note, now) < 0)
		goto fail;
	if (sq_release(st) < 0)
		goto fail;
	return 0;
fail:
	sq_rollback_to(st);
	return STORE_ERR;
}

int
sq_subscribe(
    struct store *st, int64_t contact_id, const char *topic, int64_t now)
{
	sqlite3_stmt *s = stmt(st, S_SUBSCRIBE);

	if (!store_valid_topic(topic))
		return STORE_EINVAL;
	sqlite3_bind_int64(s, 1, contact_id);
	bind_text(s, 2, topic);
	sqlite3_bind_int64(s, 3, now);
	return exec_stmt(st, S_SUBSCRIBE);
}

int
sq_unsubscribe(struct store *st, int64_t contact_id, const char *topic)
{
	sqlite3_stmt *s = stmt(st, S_UNSUBSCRIBE);

	if (!store_valid_topic(topic))
		return STORE_EINVAL;
	sqlite3_bind_int64(s, 1, contact_id);
	bind_text(s, 2, topic);
	return exec_stmt(st, S_UNSUBSCRIBE);
}

int
sq_subscribed(struct store *st, int64_t contact_id, const char *topic)
{
	sqlite3_stmt *s = stmt(st, S_SUBSCRIBED);
	int rc;

	if (!store_valid_topic(topic))
		return STORE_EINVAL;
	sqlite3_bind_int64(s, 1, contact_id);
	bind_text(s, 2, topic);
	rc = sqlite3_step(s);
	done(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	return fail(st, S_SUBSCRIBED, rc);
}

int
sq_lookup(struct store *st, const char *table, const char *column,
    const char *value, char **row_json)
{
	sqlite3_stmt *s = stmt(st, S_TABLE_INFO);
	enum stmt_id sid;
	int rc, is_key = 0, has_column = 0;

	*row_json = NULL;
	if (table == NULL || column == NULL || value == NULL)
		return STORE_EINVAL;
	bind_text(s, 1, table);
	bind_text(s, 2, column);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(s, 0);

		is_key = k != NULL && strcmp(k, column) == 0;
		has_column = sqlite3_column_int(s, 1);
	}
	done(s);
	if (rc == SQLITE_DONE)
		return STORE_ENOTABLE;
	if (rc != SQLITE_ROW)
		return fail(st, S_TABLE_INFO, rc);
	if (!is_key && !has_column)
		return STORE_EINVAL;

	sid = is_key ? S_TABLE_LOOKUP_KEY : S_TABLE_LOOKUP_SCAN;
	s = stmt(st, sid);
	bind_text(s, 1, table);
	if (is_key)
		bind_text(s, 2, value);
	else {
		bind_text(s, 2, column);
		bind_text(s, 3, value);
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*row_json = column_dup(s, 0);
	done(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	return fail(st, sid, rc);
}

int
sq_table_replace_begin(struct store *st, const char *table,
    const char *key_column, const char *columns_json, int64_t now)
{
	sqlite3_stmt *s = stmt(st, S_TABLE_UPSERT);

	bind_text(s, 1, table);
	bind_text(s, 2, key_column);
	bind_text(s, 3, columns_json);
	sqlite3_bind_int64(s, 4, now);
	if (exec_stmt(st, S_TABLE_UPSERT) < 0)
		return STORE_ERR;
	s = stmt(st, S_TABLE_DELETE_ROWS);
	bind_text(s, 1, table);
	return exec_stmt(st, S_TABLE_DELETE_ROWS);
}

int
sq_table_add_row(struct store *st, const char *table, const char *key,
    size_t keylen, const char *row_json, size_t rowlen)
{
	sqlite3_stmt *s = stmt(st, S_TABLE_INSERT_ROW);
	int rc;

	if (keylen > INT32_MAX || rowlen > INT32_MAX)
		return STORE_EINVAL;
	bind_text(s, 1, table);
	sqlite3_bind_text(s, 2, key, (int)keylen, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, row_json, (int)rowlen, SQLITE_STATIC);
	rc = sqlite3_step(s);
	done(s);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		return STORE_EDUP;
	return fail(st, S_TABLE_INSERT_ROW, rc);
}

int
sq_table_replace_end(struct store *st, const char *table, int64_t rows)
{
	sqlite3_stmt *s = stmt(st, S_TABLE_SET_ROWS);

	bind_text(s, 1, table);
	sqlite3_bind_int64(s, 2, rows);
	return exec_stmt(st, S_TABLE_SET_ROWS);
}

/* Here, below both stores' files, so that each may call it. */
void
store_ussd_last_free(struct store_ussd_last *l)
{
	free(l->text);
	free(l->screen);
	memset(l, 0, sizeof(*l));
}

void
store_parts_free(struct store_sms_part *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].provider_id);
		free(v[i].text);
	}
	free(v);
}

void
store_part_sets_free(struct store_part_set *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].phone);
		free(v[i].ref);
	}
	free(v);
}
