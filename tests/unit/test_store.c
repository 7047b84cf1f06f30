/*
 * test_store.c: the SQLite store: opening, migrations, pragmas, every call
 * the flow engine's host uses, and the smaller tables of store_misc.c. A
 * test of the store's insides: it reads its connection (store_int.h) for
 * the per-connection pragmas and raw checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "gateway/store.h"
#include "gateway/store_int.h"
#include "lib/util.h"

/* A temporary folder per test, removed with its files afterwards. */
struct fixture {
	char dir[64];     /* the folder */
	char path[128];   /* dir/baraza.db */
	struct store *st; /* opened on path, or NULL */
};

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_store.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/baraza.db", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char *cmd;

	store_close(f->st);
	cmd = xasprintf("rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(f);
	return 0;
}

/* Opens the fixture's store, failing the test on error. */
static struct store *
open_ok(struct fixture *f, int full)
{
	char *err = NULL;

	if (store_open(f->path, full, &f->st, &err) != 0)
		fail_msg("store_open: %s", err);
	assert_null(err);
	return f->st;
}

/* Runs one query returning one integer on the store's connection. */
static int64_t
query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/*
 * What takes a store of the current schema back to an older one, for the
 * tests of a migration: the schema changes of 16 and 15 undone.
 */
#define UNDO_17 "DROP TABLE sms_parts;"
#define UNDO_16                                         \
	"DROP INDEX sessions_purge;"                    \
	"ALTER TABLE sessions DROP COLUMN purge_after;" \
	"CREATE INDEX sessions_expires ON sessions(expires);"
#define UNDO_15                        \
	"DROP INDEX messages_created;" \
	"CREATE INDEX messages_dir_created ON messages(direction, created);"

/* Creates a raw database file with this SQL, outside the store. */
static void
make_raw(const char *path, const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void
test_open_creates_schema(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_ok(f, 1);
	sqlite3 *db = st->db;

	assert_int_equal(access(f->path, F_OK), 0);
	assert_true(store_schema_version() >= 1);
	assert_int_equal(
	    query_int(db, "PRAGMA user_version"), store_schema_version());
	assert_int_equal(
	    query_int(db, "SELECT count(*) FROM sqlite_schema WHERE "
			  "type = 'table' AND name IN ('contacts', "
			  "'messages', 'sessions', 'reports', "
			  "'report_events', 'subscriptions', "
			  "'data_tables', 'data_rows', 'broadcasts')"),
	    9);
	assert_int_equal(
	    query_int(db, "SELECT count(*) FROM sqlite_schema WHERE "
			  "type = 'index' AND name IN ('messages_inbound',"
			  " 'messages_queue', 'data_rows_key')"),
	    3);
	assert_int_equal(store_ping(st), 0);
}

static void
test_pragmas_full(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db = open_ok(f, 1)->db;
	sqlite3_stmt *s;

	assert_int_equal(
	    sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	assert_int_equal(query_int(db, "PRAGMA synchronous"), 2); /* FULL */
	assert_int_equal(query_int(db, "PRAGMA foreign_keys"), 1);
	assert_int_equal(query_int(db, "PRAGMA busy_timeout"), 5000);
}

static void
test_pragmas_normal(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db = open_ok(f, 0)->db;

	assert_int_equal(query_int(db, "PRAGMA synchronous"), 1); /* NORMAL */
}

/*
 * Migration 10 writes messages.state's CHECK as comparisons: it still
 * refuses an unknown state, and a statement that sets the state builds no
 * in-memory index for an IN list (OpenEphemeral) on the store's own
 * connection, which read the rewritten schema.
 */
static void
test_state_check_without_in_list(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db = open_ok(f, 1)->db;
	sqlite3_stmt *s;
	int ephemeral = 0;

	assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_schema"
				       " WHERE name = 'messages'"
				       " AND instr(sql, 'state IN (') > 0"),
	    0);
	assert_int_equal(
	    sqlite3_prepare_v2(db,
		"EXPLAIN UPDATE messages SET state = ?1 WHERE id = ?2", -1, &s,
		NULL),
	    SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW)
		if (strcmp((const char *)sqlite3_column_text(s, 1),
			"OpenEphemeral") == 0)
			ephemeral++;
	sqlite3_finalize(s);
	assert_int_equal(ephemeral, 0);
	assert_int_equal(sqlite3_exec(db,
			     "INSERT INTO messages (direction, channel, phone,"
			     " state, created, updated)"
			     " VALUES ('in', 'c', '+1', 'bogus', 1, 1)",
			     NULL, NULL, NULL),
	    SQLITE_CONSTRAINT_CHECK);
	assert_int_equal(sqlite3_exec(db,
			     "INSERT INTO messages (direction, channel, phone,"
			     " state, created, updated)"
			     " VALUES ('in', 'c', '+1', 'handled', 1, 1)",
			     NULL, NULL, NULL),
	    SQLITE_OK);
}

/*
 * The query plan of the store's prepared statement whose text holds key:
 * its EXPLAIN QUERY PLAN details joined by "; " into out.
 */
static void
plan_of(sqlite3 *db, const char *key, char *out, size_t size)
{
	sqlite3_stmt *p = NULL, *s;
	char *sql;
	size_t n = 0;

	out[0] = '\0';
	while ((p = sqlite3_next_stmt(db, p)) != NULL)
		if (strstr(sqlite3_sql(p), key) != NULL)
			break;
	assert_non_null(p);
	sql = xasprintf("EXPLAIN QUERY PLAN %s", sqlite3_sql(p));
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW && n + 1 < size)
		n += (size_t)snprintf(out + n, size - n, "%s; ",
		    (const char *)sqlite3_column_text(s, 3));
	sqlite3_finalize(s);
	free(sql);
}

/* A long message's set is read along its index, not the channel's parts. */
static void
test_parts_by_set_index(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_ok(f, 1);
	struct store_sms_part *v = NULL;
	size_t n = 0;
	char plan[512];

	assert_int_equal(
	    store_parts_get(st, "vg", "+254700000001", "7", &v, &n), 0);
	store_parts_free(v, n);
	plan_of(st->db, "FROM sms_parts INDEXED BY", plan, sizeof(plan));
	assert_non_null(strstr(plan,
	    "sms_parts_set (channel=? AND phone=? AND ref=? AND joined=?)"));
}

static void
test_migrates_from_zero(void **state)
{
	struct fixture *f = *state;

	/* An existing, empty database at version 0 (say, made by hand). */
	make_raw(f->path, "PRAGMA user_version = 0; CREATE TABLE other (x);");
	open_ok(f, 1);
	assert_int_equal(query_int(f->st->db, "PRAGMA user_version"),
	    store_schema_version());
	assert_int_equal(
	    query_int(f->st->db, "SELECT count(*) FROM contacts"), 0);
}

static void
test_failed_migration_is_atomic(void **state)
{
	struct fixture *f = *state;
	struct store *st = NULL;
	char *err = NULL;
	sqlite3 *db;

	/* A table in the way makes the first migration fail part way. */
	make_raw(f->path, "CREATE TABLE subscriptions (x);");
	assert_true(store_open(f->path, 1, &st, &err) < 0);
	assert_null(st);
	assert_non_null(err);
	assert_non_null(strstr(err, "already exists"));
	free(err);

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(query_int(db, "PRAGMA user_version"), 0);
	assert_int_equal(
	    query_int(db, "SELECT count(*) FROM sqlite_schema WHERE "
			  "name = 'contacts'"),
	    0);
	sqlite3_close(db);
}

/* Collects what store_migrate() reports. */
struct applied {
	int n;       /* migrations reported */
	int last;    /* the last version reported */
	char *first; /* what the first one does */
};

static void
on_applied(void *arg, int version, const char *what)
{
	struct applied *a = arg;

	if (a->n++ == 0)
		a->first = xstrdup(what);
	assert_int_equal(version, a->last + 1);
	a->last = version;
}

/* baraza migrate on SQLite: each migration reported once, then none. */
static void
test_migrate_reports(void **state)
{
	struct fixture *f = *state;
	struct applied a = {0, 0, NULL};
	int from = -1, to = -1;
	char *err = NULL, sql[64];

	assert_int_equal(
	    store_migrate(f->path, NULL, on_applied, &a, &from, &to, &err), 0);
	assert_null(err);
	assert_int_equal(a.n, store_schema_version());
	assert_int_equal(a.last, store_schema_version());
	assert_non_null(strstr(a.first, "contacts"));
	assert_int_equal(from, 0);
	assert_int_equal(to, store_schema_version());
	free(a.first);

	/*
	 * A migration that fails says why: the file claims version 8, but
	 * migration 9's table spend is there already.
	 */
	make_raw(f->path, "PRAGMA user_version = 8");
	assert_int_equal(
	    store_migrate(f->path, NULL, NULL, NULL, &from, &to, &err), -1);
	assert_non_null(strstr(err, "spend already exists"));
	free(err);
	err = NULL;

	/* Up to date: nothing reported, from == to. */
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
	    store_schema_version());
	make_raw(f->path, sql);
	memset(&a, 0, sizeof(a));
	assert_int_equal(
	    store_migrate(f->path, NULL, on_applied, &a, &from, &to, &err), 0);
	assert_int_equal(a.n, 0);
	assert_int_equal(from, store_schema_version());
	assert_int_equal(to, store_schema_version());
}

/* A PostgreSQL URI: told apart from a file; shown without a password. */
static void
test_postgres_uri(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"postgresql://baraza@db1/baraza",
		"postgresql://baraza@db1/baraza"},
	    {"postgresql://baraza:s3cret@db1:5432/baraza",
		"postgresql://baraza:***@db1:5432/baraza"},
	    {"postgres://u:p@h/d?sslmode=require&password=x&a=b",
		"postgres://u:***@h/d?sslmode=require&password=***&a=b"},
	    {"postgresql:///baraza?password=",
		"postgresql:///baraza?password=***"},
	    {"postgresql://h/d?xpassword=1", "postgresql://h/d?xpassword=1"},
	    {"postgresql://u@h/d?x=a:b@c", "postgresql://u@h/d?x=a:b@c"},
	};
	struct store *st = NULL;
	char *err = NULL, *r;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(cases); i++) {
		assert_true(store_is_postgres(cases[i].in));
		r = store_redact(cases[i].in);
		assert_string_equal(r, cases[i].out);
		free(r);
	}
	assert_false(store_is_postgres("baraza.db"));
	assert_false(store_is_postgres("/var/lib/baraza/postgresql://x"));
	assert_false(store_is_postgres(":memory:"));
	assert_false(store_is_postgres(NULL));

	/* No server there: a clear refusal that hides the password. */
	assert_true(store_open("postgresql://u:s3cret@127.0.0.1:1/d", 1, &st,
			&err) < 0);
	assert_null(st);
	assert_non_null(strstr(err, "cannot connect"));
	assert_null(strstr(err, "s3cret"));
	free(err);
}

static void
test_refuses_newer_schema(void **state)
{
	struct fixture *f = *state;
	struct store *st = NULL;
	char *err = NULL, *want;

	make_raw(f->path, "PRAGMA user_version = 1000;");
	assert_true(store_open(f->path, 1, &st, &err) < 0);
	assert_null(st);
	want = xasprintf("database schema version 1000 is newer than this "
			 "baraza understands (%d); upgrade baraza",
	    store_schema_version());
	assert_string_equal(err, want);
	free(want);
	free(err);
}

static void
test_unwritable_paths(void **state)
{
	struct fixture *f = *state;
	struct store *st = NULL;
	char *err = NULL, *path;
	FILE *fp;

	/* A folder that does not exist. */
	assert_true(
	    store_open("/nonexistent-baraza/sub/baraza.db", 1, &st, &err) < 0);
	assert_null(st);
	assert_non_null(strstr(err, "/nonexistent-baraza/sub/baraza.db"));
	assert_non_null(strstr(err, "cannot open database"));
	free(err);

	/* A "folder" that is a regular file. */
	path = xasprintf("%s/file", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("not a folder\n", fp);
	fclose(fp);
	free(path);
	path = xasprintf("%s/file/baraza.db", f->dir);
	err = NULL;
	assert_true(store_open(path, 1, &st, &err) < 0);
	assert_non_null(err);
	free(err);
	free(path);

	/* The database path is a folder. */
	err = NULL;
	assert_true(store_open(f->dir, 1, &st, &err) < 0);
	assert_non_null(err);
	free(err);

	/* A file that is not a database. */
	path = xasprintf("%s/file", f->dir);
	err = NULL;
	assert_true(store_open(path, 1, &st, &err) < 0);
	assert_non_null(err);
	assert_non_null(strstr(err, "not a SQLite database"));
	free(err);
	free(path);

	/* errmsg may be NULL. */
	assert_true(store_open("/nonexistent-baraza/x.db", 1, &st, NULL) < 0);
	assert_true(store_open("", 1, &st, NULL) < 0);
}

static void
test_reopen_keeps_data(void **state)
{
	struct fixture *f = *state;
	struct store_contact c;
	struct store_report r;
	int64_t id;

	open_ok(f, 1);
	assert_int_equal(
	    store_contact_get(f->st, "+254700000001", 1000, &c), 1);
	assert_int_equal(
	    store_contact_set_language(f->st, c.id, "sw", 2000), 0);
	assert_int_equal(store_report_create(f->st, c.id, "potholes", "roads",
			     "Kibera", "Deep hole", 3000, &id),
	    0);
	store_contact_free(&c);
	store_close(f->st);
	f->st = NULL;

	open_ok(f, 0);
	assert_int_equal(store_contact_find(f->st, "+254700000001", &c), 0);
	assert_string_equal(c.language, "sw");
	assert_int_equal(store_report_get(f->st, id, &r), 0);
	assert_string_equal(r.details, "Deep hole");
	assert_int_equal(r.contact_id, c.id);
	store_report_free(&r);
	store_contact_free(&c);
}

/*
 * A USSD step is stored with its contact (store_msg_in.contact_id), and
 * migration 14 links the steps stored before to the contact of their
 * number: a contact's conversation holds what was keyed in. Other inbound
 * messages without a contact stay so.
 */
static void
test_ussd_steps_linked(void **state)
{
	struct fixture *f = *state;
	struct store_msg_in m = {.channel = "at",
	    .kind = MSG_USSD,
	    .phone = "+254700000001",
	    .text = "1",
	    .state = MSG_HANDLED};
	struct store_contact c;
	char sql[160];
	sqlite3 *db;
	int64_t id, a, b, d, e, cid;

	open_ok(f, 1);
	db = f->st->db;
	assert_int_equal(
	    store_contact_get(f->st, "+254700000001", 1000, &c), 1);
	m.contact_id = cid = c.id;
	store_contact_free(&c);
	assert_int_equal(store_msg_insert_inbound(f->st, &m, 2000, &id), 0);
	assert_int_equal(
	    store_msg_insert_inbound_contact(f->st, &m, 2000, &d, &c), 0);
	store_contact_free(&c);
	m.contact_id = 0;
	assert_int_equal(store_msg_insert_inbound(f->st, &m, 2000, &a), 0);
	m.phone = "+254700000002"; /* no contact */
	assert_int_equal(store_msg_insert_inbound(f->st, &m, 2000, &b), 0);
	m.phone = "+254700000001";
	m.kind = MSG_SMS; /* an SMS left unlinked is not the migration's */
	assert_int_equal(store_msg_insert_inbound(f->st, &m, 2000, &e), 0);
	snprintf(sql, sizeof(sql),
	    "SELECT count(contact_id) FROM messages WHERE id = %lld",
	    (long long)id);
	assert_int_equal(query_int(db, sql), 1);
	assert_int_equal(
	    query_int(db, "SELECT count(contact_id) FROM messages"), 2);
	store_close(f->st);
	f->st = NULL;

	/* Version 13's schema: what migrations 15 and 16 change. */
	make_raw(f->path, UNDO_17 UNDO_16 UNDO_15 "PRAGMA user_version = 13");
	open_ok(f, 0);
	db = f->st->db;
	assert_int_equal(
	    query_int(db, "PRAGMA user_version"), store_schema_version());
	snprintf(sql, sizeof(sql),
	    "SELECT count(*) FROM messages WHERE id IN (%lld, %lld, %lld)"
	    " AND contact_id = %lld",
	    (long long)id, (long long)d, (long long)a, (long long)cid);
	assert_int_equal(query_int(db, sql), 3);
	assert_int_equal(
	    query_int(db, "SELECT count(contact_id) FROM messages"), 3);
	(void)b;
	(void)e;
}

/*
 * Migration 15: messages_created (created, direction) takes the place of
 * messages_dir_created (direction, created), so that a message and its
 * reply add to one tail; the overview's counts and the time bounds of a
 * search read it, covering, without the table.
 */
static void
test_messages_created(void **state)
{
	struct fixture *f = *state;
	struct store_msg_in m = {.channel = "at",
	    .phone = "+254700000001",
	    .text = "BAL",
	    .state = MSG_HANDLED};
	int64_t id, nin = -1, nout = -1;
	sqlite3 *db;

	open_ok(f, 1);
	assert_int_equal(store_msg_insert_inbound(f->st, &m, 1000, &id), 0);
	m.text = "BAL 1";
	assert_int_equal(store_msg_insert_inbound(f->st, &m, 3000, &id), 0);
	store_close(f->st);
	f->st = NULL;
	make_raw(f->path, UNDO_17 UNDO_16 UNDO_15 "PRAGMA user_version = 14");

	open_ok(f, 0);
	db = f->st->db;
	assert_int_equal(
	    query_int(db, "PRAGMA user_version"), store_schema_version());
	assert_int_equal(
	    query_int(db, "SELECT count(*) FROM sqlite_master WHERE"
			  " name = 'messages_dir_created'"),
	    0);
	assert_int_equal(
	    query_int(db, "SELECT group_concat(name, ',') = 'created,direction'"
			  " FROM pragma_index_info('messages_created')"),
	    1);
	assert_int_equal(
	    query_int(db, "SELECT count(*) FROM messages"
			  " INDEXED BY messages_created WHERE created >= 0"),
	    2);
	assert_int_equal(store_console_counts(f->st, 0, 2000, &nin, &nout), 0);
	assert_int_equal(nin, 1);
	assert_int_equal(nout, 0);
	assert_int_equal(store_console_first_id(f->st, 2000, &id), 0);
	assert_int_equal(id, 2);
}

/*
 * Migration 16: a session's steps leave purge_after (the expiry it began
 * with) and its index entry alone; the housekeeping finds the expired
 * ones past it, keeps the live ones (moving their purge_after up to their
 * expires once), and the count of live sessions reads both.
 */
/*
 * The parts of long SMS: kept once by their id, a set read by seq (the
 * waiting parts only), found due, joined, purged; a reference used again
 * once its set is joined makes a new set.
 */
static void
test_sms_parts(void **state)
{
	struct fixture *f = *state;
	struct store_sms_part p = {.seq = 2,
	    .total = 3,
	    .provider_id = "m2",
	    .text = "two",
	    .received = 1000};
	struct store_sms_part *v;
	struct store_part_set *sets;
	size_t n;

	open_ok(f, 1);
	assert_int_equal(store_part_seen(f->st, "vg", "m2"), 0);
	assert_int_equal(
	    store_part_put(f->st, "vg", "+254700000001", "9", &p), 1);
	assert_int_equal(store_part_seen(f->st, "vg", "m2"), 1);
	assert_int_equal(store_part_seen(f->st, "at", "m2"), 0);
	p.text = "two again";
	assert_int_equal(
	    store_part_put(f->st, "vg", "+254700000001", "9", &p), 0);
	p.seq = 1;
	p.provider_id = "m1";
	p.text = "one";
	p.received = 1500;
	assert_int_equal(
	    store_part_put(f->st, "vg", "+254700000001", "9", &p), 1);
	/* Another sender's set of the same ref, later. */
	p.provider_id = "m3";
	p.received = 5000;
	assert_int_equal(
	    store_part_put(f->st, "vg", "+254700000002", "9", &p), 1);

	assert_int_equal(
	    store_parts_get(f->st, "vg", "+254700000001", "9", &v, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].seq, 1);
	assert_string_equal(v[0].provider_id, "m1");
	assert_string_equal(v[0].text, "one");
	assert_int_equal(v[1].seq, 2);
	assert_int_equal(v[1].total, 3);
	assert_string_equal(v[1].provider_id, "m2");
	assert_string_equal(v[1].text, "two");
	assert_int_equal(v[1].received, 1000);
	assert_int_equal(v[1].joined, 0);
	store_parts_free(v, n);

	assert_int_equal(store_parts_due(f->st, "vg", 2000, 10, &sets, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(sets[0].phone, "+254700000001");
	assert_string_equal(sets[0].ref, "9");
	store_part_sets_free(sets, n);
	assert_int_equal(store_parts_due(f->st, "at", 9000, 10, &sets, &n), 0);
	assert_int_equal(n, 0);
	store_part_sets_free(sets, n);
	assert_int_equal(store_parts_due(f->st, "vg", 9000, 1, &sets, &n), 0);
	assert_int_equal(n, 1);
	store_part_sets_free(sets, n);

	assert_int_equal(
	    store_parts_joined(f->st, "vg", "+254700000001", "9"), 2);
	assert_int_equal(
	    store_parts_joined(f->st, "vg", "+254700000001", "9"), 0);
	assert_int_equal(query_int(f->st->db,
			     "SELECT count(*) FROM sms_parts WHERE joined = 1"
			     " AND text = '' AND phone = '+254700000001'"),
	    2);
	/* Joined, the parts belong to no set: the reference is free. */
	assert_int_equal(
	    store_parts_get(f->st, "vg", "+254700000001", "9", &v, &n), 0);
	assert_int_equal(n, 0);
	store_parts_free(v, n);
	assert_int_equal(store_parts_due(f->st, "vg", 2000, 10, &sets, &n), 0);
	assert_int_equal(n, 0);
	store_part_sets_free(sets, n);
	p.provider_id = "m4";
	p.received = 6000;
	assert_int_equal(
	    store_part_put(f->st, "vg", "+254700000001", "9", &p), 1);
	assert_int_equal(
	    store_parts_get(f->st, "vg", "+254700000001", "9", &v, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].provider_id, "m4");
	store_parts_free(v, n);

	/* Joined ones go once old enough; waiting ones stay. */
	assert_int_equal(store_parts_purge(f->st, 999), 0);
	assert_int_equal(store_parts_purge(f->st, 1000), 1);
	assert_int_equal(store_parts_purge(f->st, 9000), 1);
	assert_int_equal(
	    query_int(f->st->db, "SELECT count(*) FROM sms_parts"), 2);
}

static void
test_session_purge_after(void **state)
{
	struct fixture *f = *state;
	struct store_session ss;
	struct store_contact c;
	int64_t n = -1;
	sqlite3 *db;

	open_ok(f, 1);
	assert_int_equal(
	    store_contact_get(f->st, "+254700000001", 1000, &c), 1);
	memset(&ss, 0, sizeof(ss));
	ss.contact_id = c.id;
	ss.flow = "menu";
	ss.state = "{}";
	ss.expires = 2000;
	ss.last = 1000;
	assert_int_equal(store_session_put(f->st, "at:live", &ss), 0);
	assert_int_equal(store_session_put(f->st, "at:gone", &ss), 0);
	/* A step of the first: expires moves, purge_after stays. */
	ss.expires = 6000;
	ss.last = 1500;
	assert_int_equal(store_session_put(f->st, "at:live", &ss), 0);
	db = f->st->db;
	assert_int_equal(
	    query_int(db, "SELECT purge_after * 10000 + expires FROM sessions"
			  " WHERE key = 'at:live'"),
	    2000 * 10000 + 6000);

	assert_int_equal(store_stats_sessions(f->st, 3000, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_session_purge(f->st, 3000), 1);
	assert_int_equal(
	    query_int(
		db, "SELECT count(*) FROM sessions WHERE key = 'at:gone'"),
	    0);
	/* Found alive past its first expiry: moved up to its expires. */
	assert_int_equal(query_int(db, "SELECT purge_after FROM sessions"
				       " WHERE key = 'at:live'"),
	    6000);
	assert_int_equal(store_stats_sessions(f->st, 3000, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_session_purge(f->st, 5999), 0);
	assert_int_equal(store_session_purge(f->st, 6000), 1);
	assert_int_equal(store_stats_sessions(f->st, 6000, &n), 0);
	assert_int_equal(n, 0);

	/* A store of version 15: each session's purge_after is its expires. */
	ss.expires = 8000;
	assert_int_equal(store_session_put(f->st, "at:old", &ss), 0);
	store_contact_free(&c);
	store_close(f->st);
	f->st = NULL;
	make_raw(f->path, UNDO_17 UNDO_16 "PRAGMA user_version = 15");
	open_ok(f, 0);
	db = f->st->db;
	assert_int_equal(
	    query_int(db, "PRAGMA user_version"), store_schema_version());
	assert_int_equal(query_int(db, "SELECT purge_after FROM sessions"
				       " WHERE key = 'at:old'"),
	    8000);
	assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master"
				       " WHERE name = 'sessions_expires'"),
	    0);
	assert_int_equal(store_session_purge(f->st, 8000), 1);
}

static void
test_transactions(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_ok(f, 1);
	struct store_contact c;

	assert_false(store_in_transaction(st));
	assert_int_equal(store_begin(st), 0);
	assert_true(store_in_transaction(st));
	assert_int_equal(store_contact_get(st, "+254700000002", 1, &c), 1);
	store_contact_free(&c);
	assert_int_equal(store_rollback(st), 0);
	assert_false(store_in_transaction(st));
	assert_int_equal(
	    store_contact_find(st, "+254700000002", &c), STORE_NOTFOUND);

	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_contact_get(st, "+254700000002", 1, &c), 1);
	store_contact_free(&c);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(store_contact_find(st, "+254700000002", &c), 0);
	store_contact_free(&c);
	/* A rollback outside a transaction is harmless. */
	assert_int_equal(store_rollback(st), 0);
}

static void
test_contacts(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_ok(f, 1);
	struct store_contact c, d;
	char big[STORE_VALUE_MAX + 2];

	assert_int_equal(store_contact_get(st, "+254700000001", 100, &c), 1);
	assert_true(c.id > 0);
	assert_string_equal(c.phone, "+254700000001");
	assert_null(c.language);
	assert_int_equal(c.opted_out, 0);
	assert_string_equal(c.fields, "{}");
	assert_null(c.last_channel);
	assert_int_equal(c.created, 100);
	assert_int_equal(c.updated, 100);

	/* The second time it exists. */
	assert_int_equal(store_contact_get(st, "+254700000001", 200, &d), 0);
	assert_int_equal(d.id, c.id);
	assert_int_equal(d.created, 100);
	store_contact_free(&d);

	assert_int_equal(store_contact_set_language(st, c.id, "sw", 300), 0);
	assert_int_equal(
	    store_contact_set_field(st, c.id, "ward", "Central", 310), 0);
	assert_int_equal(store_contact_set_field(
			     st, c.id, "name", "Amina \"Mama\" Wanjiru", 320),
	    0);
	assert_int_equal(
	    store_contact_set_field(st, c.id, "ward", "North", 330), 0);
	assert_int_equal(store_contact_set_opted_out(st, c.id, 1, 340), 0);
	assert_int_equal(
	    store_contact_set_last_channel(st, c.id, "at", 350), 0);
	assert_int_equal(store_contact_find(st, "+254700000001", &d), 0);
	assert_string_equal(d.language, "sw");
	assert_string_equal(d.fields,
	    "{\"ward\":\"North\",\"name\":\"Amina \\\"Mama\\\" Wanjiru\"}");
	assert_int_equal(d.opted_out, 1);
	assert_string_equal(d.last_channel, "at");
	assert_int_equal(d.updated, 350);
	store_contact_free(&d);

	/* Removing a field, clearing the language, opting back in. */
	assert_int_equal(
	    store_contact_set_field(st, c.id, "ward", NULL, 400), 0);
	assert_int_equal(store_contact_set_language(st, c.id, NULL, 410), 0);
	assert_int_equal(store_contact_set_opted_out(st, c.id, 0, 420), 0);
	assert_int_equal(store_contact_find(st, "+254700000001", &d), 0);
	assert_string_equal(
	    d.fields, "{\"name\":\"Amina \\\"Mama\\\" Wanjiru\"}");
	assert_null(d.language);
	assert_int_equal(d.opted_out, 0);
	store_contact_free(&d);

	/* Bad arguments. */
	assert_int_equal(
	    store_contact_set_field(st, c.id, "a.b", "x", 1), STORE_EINVAL);
	assert_int_equal(
	    store_contact_set_field(st, c.id, "Ward", "x", 1), STORE_EINVAL);
	assert_int_equal(
	    store_contact_set_field(st, c.id, "", "x", 1), STORE_EINVAL);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(
	    store_contact_set_field(st, c.id, "big", big, 1), STORE_EINVAL);
	assert_int_equal(
	    store_contact_set_language(st, c.id, "", 1), STORE_EINVAL);
	assert_int_equal(
	    store_contact_get(st, "0700000001", 1, &d), STORE_EINVAL);
	assert_int_equal(
	    store_contact_get(st, "+2547000000011234", 1, &d), STORE_EINVAL);
	assert_int_equal(
	    store_contact_get(st, "+25470000a001", 1, &d), STORE_EINVAL);
	assert_int_equal(store_contact_get(st, "+0123", 1, &d), STORE_EINVAL);

	/* Unknown ids and numbers. */
	assert_int_equal(store_contact_set_language(st, c.id + 100, "en", 1),
	    STORE_NOTFOUND);
	assert_int_equal(store_contact_set_field(st, c.id + 100, "a", "b", 1),
	    STORE_NOTFOUND);
	assert_int_equal(
	    store_contact_set_opted_out(st, c.id + 100, 1, 1), STORE_NOTFOUND);
	assert_int_equal(
	    store_contact_find(st, "+254700000009", &d), STORE_NOTFOUND);
	assert_null(d.phone);
	store_contact_free(&c);
}

static void
test_sessions(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_ok(f, 1);
	struct store_contact c;
	struct store_session s;
	const char *key = "sms:+254700000001";

	assert_int_equal(store_contact_get(st, "+254700000001", 1, &c), 1);
	assert_int_equal(store_session_load(st, key, 1000, &s), STORE_NOTFOUND);
	assert_null(s.state);
	assert_null(s.flow);

	assert_int_equal(
	    store_session_save(st, key, c.id, "bills",
		"{\"step\":2,\"vars\":{\"account\":\"123456\"}}", 5000),
	    0);
	assert_int_equal(store_session_load(st, key, 1000, &s), 0);
	assert_string_equal(s.flow, "bills");
	assert_string_equal(
	    s.state, "{\"step\":2,\"vars\":{\"account\":\"123456\"}}");
	assert_int_equal(s.contact_id, c.id);
	assert_int_equal(s.expires, 5000);
	store_session_free(&s);

	/* Saving again replaces. */
	assert_int_equal(
	    store_session_save(st, key, c.id, "report", "{}", 9000), 0);
	assert_int_equal(store_session_load(st, key, 1000, &s), 0);
	assert_string_equal(s.flow, "report");
	assert_string_equal(s.state, "{}");
	store_session_free(&s);

	/* Expired at its expiry time. */
	assert_int_equal(store_session_load(st, key, 9000, &s), STORE_NOTFOUND);
	assert_null(s.state);

	/* A second session, purged when expired; the live one stays. */
	assert_int_equal(
	    store_session_save(st, "ussd:at:ATU1", c.id, "menu", "[]", 2000),
	    0);
	assert_int_equal(store_session_purge(st, 3000), 1);
	assert_int_equal(
	    store_session_load(st, "ussd:at:ATU1", 0, &s), STORE_NOTFOUND);
	assert_int_equal(store_session_load(st, key, 3000, &s), 0);
	store_session_free(&s);

	assert_int_equal(store_session_delete(st, key), 0);
	assert_int_equal(store_session_load(st, key, 0, &s), STORE_NOTFOUND);
	assert_int_equal(store_session_delete(st, key), 0);

	/* Bad state JSON, an unknown contact. */
	assert_int_equal(
	    store_session_save(st, key, c.id, "f", "{nope", 1), STORE_EINVAL);
	assert_int_equal(
	    store_session_save(st, key, c.id, "f", NULL, 1), STORE_EINVAL);
	assert_int_equal(
	    store_session_save(st, key, c.id + 99, "f", "{}", 1), STORE_ERR);
	store_contact_free(&c);
}

/*
 * USSD resume's columns: a session saved whole (store_session_put) is
 * found again by its contact and resume key while its last step is within
 * the window and it has not expired; the newest one wins.
 */
static void
test_sessions_resumable(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_ok(f, 1);
	struct store_contact c, other;
	struct store_session s, row;
	char *key = NULL;

	assert_int_equal(store_contact_get(st, "+254700000001", 1, &c), 1);
	assert_int_equal(store_contact_get(st, "+254700000002", 1, &other), 1);
	memset(&row, 0, sizeof(row));
	row.contact_id = c.id;
	row.flow = "menu";
	row.state = "{\"step\":1}";
	row.expires = 10000;
	row.last = 1000;
	row.resume = "at *384#";
	row.screen = "Pick one:\n1. Water\n2. Roads";
	assert_int_equal(store_session_put(st, "ussd:at:A", &row), 0);
	assert_int_equal(store_session_load(st, "ussd:at:A", 2000, &s), 0);
	assert_int_equal(s.last, 1000);
	assert_string_equal(s.resume, "at *384#");
	assert_string_equal(s.screen, "Pick one:\n1. Water\n2. Roads");
	assert_int_equal(s.menu, 0);
	store_session_free(&s);

	/* Found by contact and resume key after since, before expiry. */
	assert_int_equal(
	    store_session_resumable(st, c.id, "at *384#", 500, 2000, &key, &s),
	    0);
	assert_string_equal(key, "ussd:at:A");
	assert_string_equal(s.state, "{\"step\":1}");
	assert_int_equal(s.contact_id, c.id);
	free(key);
	store_session_free(&s);
	/* Not after its last step's window, nor once expired. */
	assert_int_equal(
	    store_session_resumable(st, c.id, "at *384#", 1000, 2000, &key, &s),
	    STORE_NOTFOUND);
	assert_null(key);
	assert_int_equal(
	    store_session_resumable(st, c.id, "at *384#", 500, 10000, &key, &s),
	    STORE_NOTFOUND);
	/* Another contact, another code, another channel: none. */
	assert_int_equal(store_session_resumable(
			     st, other.id, "at *384#", 500, 2000, &key, &s),
	    STORE_NOTFOUND);
	assert_int_equal(store_session_resumable(
			     st, c.id, "at *384*1#", 500, 2000, &key, &s),
	    STORE_NOTFOUND);
	assert_int_equal(
	    store_session_resumable(st, c.id, "web *384#", 500, 2000, &key, &s),
	    STORE_NOTFOUND);

	/* The newest of two; put replaces every column, menu included. */
	row.last = 1500;
	row.menu = 1;
	row.screen = NULL;
	assert_int_equal(store_session_put(st, "ussd:at:B", &row), 0);
	assert_int_equal(
	    store_session_resumable(st, c.id, "at *384#", 500, 2000, &key, &s),
	    0);
	assert_string_equal(key, "ussd:at:B");
	assert_int_equal(s.menu, 1);
	assert_null(s.screen);
	free(key);
	store_session_free(&s);

	/*
	 * A step again (its contact's: the update), every column replaced;
	 * a bad state refused there too, the row left as it was; the key
	 * taken by another contact (the upsert): the row is theirs.
	 */
	row.last = 1600;
	row.menu = 0;
	row.screen = "Again";
	row.state = "{\"step\":2}";
	assert_int_equal(store_session_put(st, "ussd:at:B", &row), 0);
	row.state = "{nope";
	assert_int_equal(
	    store_session_put(st, "ussd:at:B", &row), STORE_EINVAL);
	assert_int_equal(store_session_load(st, "ussd:at:B", 2000, &s), 0);
	assert_int_equal(s.contact_id, c.id);
	assert_string_equal(s.state, "{\"step\":2}");
	assert_int_equal(s.last, 1600);
	assert_int_equal(s.menu, 0);
	assert_string_equal(s.screen, "Again");
	store_session_free(&s);
	row.contact_id = other.id;
	row.state = "{\"step\":3}";
	assert_int_equal(store_session_put(st, "ussd:at:B", &row), 0);
	assert_int_equal(store_session_load(st, "ussd:at:B", 2000, &s), 0);
	assert_int_equal(s.contact_id, other.id);
	assert_string_equal(s.state, "{\"step\":3}");
	store_session_free(&s);
	assert_int_equal(store_session_resumable(
			     st, other.id, "at *384#", 500, 2000, &key, &s),
	    0);
	assert_string_equal(key, "ussd:at:B");
	free(key);
	store_session_free(&s);
	row.contact_id = c.id;
	row.state = "{\"step\":1}";
	row.last = 1500;
	row.menu = 1;
	row.screen = NULL;
	assert_int_equal(store_session_put(st, "ussd:at:B", &row), 0);

	/* Saving the old way (the simulators) keeps the other columns. */
	assert_int_equal(
	    store_session_save(st, "ussd:at:B", c.id, "menu", "{}", 10000), 0);
	assert_int_equal(store_session_load(st, "ussd:at:B", 2000, &s), 0);
	assert_int_equal(s.last, 1500);
	store_session_free(&s);
	assert_int_equal(store_session_delete(st, "ussd:at:A"), 0);
	assert_int_equal(store_session_delete(st, "ussd:at:B"), 0);
	assert_int_equal(
	    store_session_resumable(st, c.id, "at *384#", 500, 2000, &key, &s),
	    STORE_NOTFOUND);

	/* Bad input. */
	row.state = "{nope";
	assert_int_equal(
	    store_session_put(st, "ussd:at:C", &row), STORE_EINVAL);
	row.state = "{}";
	assert_int_equal(store_session_put(st, "", &row), STORE_EINVAL);
	assert_int_equal(
	    store_session_resumable(st, c.id, NULL, 0, 0, &key, &s),
	    STORE_EINVAL);
	store_contact_free(&c);
	store_contact_free(&other);
}

static void
test_reports(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_ok(f, 1);
	struct store_contact c;
	struct store_report r;
	int64_t id1, id2, id3;

	assert_int_equal(store_contact_get(st, "+254700000001", 1, &c), 1);
	assert_int_equal(store_report_create(st, c.id, "water", "leak",
			     "Gate 4", "Pipe burst", 1000, &id1),
	    0);
	assert_int_equal(
	    store_report_create(st, 0, NULL, NULL, NULL, NULL, 1100, &id2), 0);
	assert_int_equal(id1, 1);
	assert_int_equal(id2, 2);

	assert_int_equal(store_report_get(st, id1, &r), 0);
	assert_int_equal(r.id, 1);
	assert_int_equal(r.contact_id, c.id);
	assert_string_equal(r.flow, "water");
	assert_string_equal(r.category, "leak");
	assert_string_equal(r.location, "Gate 4");
	assert_string_equal(r.details, "Pipe burst");
	assert_string_equal(r.status, "open");
	assert_int_equal(r.created, 1000);
	assert_int_equal(r.updated, 1000);
	store_report_free(&r);

	assert_int_equal(store_report_get(st, id2, &r), 0);
	assert_int_equal(r.contact_id, 0);
	assert_null(r.category);
	store_report_free(&r);

	assert_int_equal(
	    store_report_add_event(st, id1, "in_progress", "Crew sent", 2000),
	    0);
	assert_int_equal(store_report_get(st, id1, &r), 0);
	assert_string_equal(r.status, "in_progress");
	assert_int_equal(r.updated, 2000);
	assert_int_equal(r.created, 1000);
	store_report_free(&r);
	assert_int_equal(query_int(st->db, "SELECT count(*) FROM report_events "
					   "WHERE report_id = 1"),
	    2);
	assert_int_equal(
	    query_int(st->db, "SELECT count(*) FROM report_events WHERE "
			      "report_id = 1 AND status = 'in_progress' AND "
			      "note = 'Crew sent' AND time = 2000"),
	    1);

	/* Bad status, unknown report: nothing recorded. */
	assert_int_equal(
	    store_report_add_event(st, id1, "done", NULL, 1), STORE_EINVAL);
	assert_int_equal(
	    store_report_add_event(st, 99, "closed", NULL, 1), STORE_NOTFOUND);
	assert_int_equal(
	    query_int(st->db, "SELECT count(*) FROM report_events"), 3);
	assert_int_equal(store_report_get(st, 99, &r), STORE_NOTFOUND);
	assert_null(r.status);

	/* Inside the caller's transaction, a rollback undoes a report. */
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(
	    store_report_create(st, c.id, "w", "x", NULL, NULL, 3000, &id3), 0);
	assert_int_equal(store_rollback(st), 0);
	assert_int_equal(store_report_get(st, id3, &r), STORE_NOTFOUND);

	assert_true(store_report_status_valid("acknowledged"));
	assert_false(store_report_status_valid("Open"));
	assert_false(store_report_status_valid(NULL));
	store_contact_free(&c);
}

static void
test_subscriptions(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_ok(f, 1);
	struct store_contact c;

	assert_int_equal(store_contact_get(st, "+254700000001", 1, &c), 1);
	assert_int_equal(store_subscribed(st, c.id, "water"), STORE_NOTFOUND);
	assert_int_equal(store_subscribe(st, c.id, "water", 10), 0);
	assert_int_equal(store_subscribe(st, c.id, "water", 20), 0);
	assert_int_equal(store_subscribe(st, c.id, "ward:central", 20), 0);
	assert_int_equal(store_subscribed(st, c.id, "water"), 0);
	assert_int_equal(
	    query_int(st->db, "SELECT count(*) FROM subscriptions"), 2);
	assert_int_equal(store_unsubscribe(st, c.id, "water"), 0);
	assert_int_equal(store_unsubscribe(st, c.id, "water"), 0);
	assert_int_equal(store_subscribed(st, c.id, "water"), STORE_NOTFOUND);
	assert_int_equal(store_subscribed(st, c.id, "ward:central"), 0);
	assert_int_equal(store_subscribe(st, c.id, "", 1), STORE_EINVAL);
	/* A contact that does not exist breaks the foreign key. */
	assert_int_equal(store_subscribe(st, c.id + 5, "water", 1), STORE_ERR);
	store_contact_free(&c);
}

static void
test_lookup(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_ok(f, 1);
	const char *r1 = "{\"account\":\"100200\",\"balance\":\"350\"}";
	const char *r2 = "{\"account\":\"100300\",\"balance\":\"0\"}";
	const char *r3 = "{\"account\":\"100400\",\"balance\":\"350\"}";
	char *row = (char *)"unchanged";

	assert_int_equal(store_lookup(st, "bills", "account", "100200", &row),
	    STORE_ENOTABLE);
	assert_null(row);

	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_table_replace_begin(st, "bills", "account",
			     "[\"account\",\"balance\"]", 5),
	    0);
	assert_int_equal(
	    store_table_add_row(st, "bills", "100200", 6, r1, strlen(r1)), 0);
	assert_int_equal(
	    store_table_add_row(st, "bills", "100300", 6, r2, strlen(r2)), 0);
	assert_int_equal(
	    store_table_add_row(st, "bills", "100400", 6, r3, strlen(r3)), 0);
	assert_int_equal(
	    store_table_add_row(st, "bills", "100200", 6, r1, strlen(r1)),
	    STORE_EDUP);
	assert_int_equal(store_table_replace_end(st, "bills", 3), 0);
	assert_int_equal(store_commit(st), 0);

	/* By the key column. */
	assert_int_equal(
	    store_lookup(st, "bills", "account", "100300", &row), 0);
	assert_string_equal(row, r2);
	free(row);
	assert_int_equal(
	    store_lookup(st, "bills", "account", "999", &row), STORE_NOTFOUND);
	assert_null(row);

	/* By another column: the first match in import order. */
	assert_int_equal(store_lookup(st, "bills", "balance", "350", &row), 0);
	assert_string_equal(row, r1);
	free(row);
	assert_int_equal(
	    store_lookup(st, "bills", "balance", "7", &row), STORE_NOTFOUND);

	/* A column the table lacks is an error, not a miss. */
	assert_int_equal(
	    store_lookup(st, "bills", "due", "1", &row), STORE_EINVAL);
	assert_int_equal(query_int(st->db, "SELECT rows FROM data_tables "
					   "WHERE name = 'bills'"),
	    3);
}

static void
test_idempotency(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_ok(f, 0);
	unsigned char h1[STORE_IDEM_HASH], h2[STORE_IDEM_HASH];
	struct store_idem r;

	memset(h1, 0xa5, sizeof(h1));
	memset(h2, 0x5a, sizeof(h2));
	assert_int_equal(
	    store_idem_get(st, "messages", "k1", &r), STORE_NOTFOUND);
	assert_null(r.answer);
	assert_int_equal(
	    store_idem_put(st, "messages", "k1", h1, 202, "{\"id\":7}", 1000),
	    0);
	assert_int_equal(
	    store_idem_put(st, "broadcasts", "k1", h2, 202, "{\"id\":8}", 2000),
	    0);
	/* A key is scoped to its endpoint. */
	assert_int_equal(store_idem_get(st, "messages", "k1", &r), 0);
	assert_int_equal(r.hash_len, STORE_IDEM_HASH);
	assert_memory_equal(r.hash, h1, STORE_IDEM_HASH);
	assert_int_equal(r.status, 202);
	assert_string_equal(r.answer, "{\"id\":7}");
	assert_int_equal(r.created, 1000);
	store_idem_free(&r);
	assert_null(r.answer);
	assert_int_equal(store_idem_get(st, "broadcasts", "k1", &r), 0);
	assert_memory_equal(r.hash, h2, STORE_IDEM_HASH);
	store_idem_free(&r);
	/* Put again: replaced. */
	assert_int_equal(
	    store_idem_put(st, "messages", "k1", h2, 503, "{}", 1500), 0);
	assert_int_equal(store_idem_get(st, "messages", "k1", &r), 0);
	assert_memory_equal(r.hash, h2, STORE_IDEM_HASH);
	assert_int_equal(r.status, 503);
	assert_int_equal(r.created, 1500);
	store_idem_free(&r);
	/* A hash of another length is told as such. */
	assert_int_equal(sqlite3_exec(st->db,
			     "UPDATE idempotency SET request_hash = x'0102'"
			     " WHERE endpoint = 'broadcasts'",
			     NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(store_idem_get(st, "broadcasts", "k1", &r), 0);
	assert_int_equal(r.hash_len, 2);
	store_idem_free(&r);
	/* Purged: what was created before the bound. */
	assert_int_equal(store_idem_purge(st, 1500), 0);
	assert_int_equal(store_idem_purge(st, 1501), 1);
	assert_int_equal(
	    store_idem_get(st, "messages", "k1", &r), STORE_NOTFOUND);
	assert_int_equal(store_idem_get(st, "broadcasts", "k1", &r), 0);
	store_idem_free(&r);
}

/* What store_modem_state_get() saw; the texts are copied. */
struct modem_seen {
	int calls;
	struct store_modem m;
	char channel[32], network[32], balance[32], last_error[32];
};

static void
copy_text(char *dst, size_t n, const char *s)
{
	snprintf(dst, n, "%s", s != NULL ? s : "(null)");
}

static int
on_modem(void *arg, const struct store_modem *m)
{
	struct modem_seen *seen = arg;

	seen->calls++;
	seen->m = *m;
	copy_text(seen->channel, sizeof(seen->channel), m->channel);
	copy_text(seen->network, sizeof(seen->network), m->network);
	copy_text(seen->balance, sizeof(seen->balance), m->balance);
	copy_text(seen->last_error, sizeof(seen->last_error), m->last_error);
	return 0;
}

static void
test_modem_state(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_ok(f, 0);
	struct store_modem m;
	struct modem_seen seen;

	memset(&seen, 0, sizeof(seen));
	assert_int_equal(store_modem_state_get(st, "modem1", on_modem, &seen),
	    STORE_NOTFOUND);
	assert_int_equal(seen.calls, 0);
	memset(&m, 0, sizeof(m));
	m.channel = "modem1";
	m.up = 1;
	m.signal = 42;
	m.network = "home";
	m.failures = 3;
	m.restarts = 2;
	m.updated = 5000;
	assert_int_equal(store_modem_state_put(st, &m), 0);
	assert_int_equal(
	    store_modem_state_get(st, "modem1", on_modem, &seen), 0);
	assert_int_equal(seen.calls, 1);
	assert_string_equal(seen.channel, "modem1");
	assert_int_equal(seen.m.up, 1);
	assert_int_equal(seen.m.signal, 42);
	assert_string_equal(seen.network, "home");
	assert_string_equal(seen.balance, "(null)");
	assert_int_equal(seen.m.balance_at, -1);
	assert_string_equal(seen.last_error, "(null)");
	assert_int_equal(seen.m.failures, 3);
	assert_int_equal(seen.m.restarts, 2);
	assert_int_equal(seen.m.updated, 5000);
	/* The one row of the channel, replaced whole. */
	m.up = 0;
	m.network = NULL;
	m.balance = "KSh 10";
	m.balance_at = 6000;
	m.last_error = "no carrier";
	m.updated = 7000;
	assert_int_equal(store_modem_state_put(st, &m), 0);
	assert_int_equal(
	    store_modem_state_get(st, "modem1", on_modem, &seen), 0);
	assert_int_equal(seen.calls, 2);
	assert_int_equal(seen.m.up, 0);
	assert_string_equal(seen.network, "(null)");
	assert_string_equal(seen.balance, "KSh 10");
	assert_int_equal(seen.m.balance_at, 6000);
	assert_string_equal(seen.last_error, "no carrier");
	assert_int_equal(seen.m.updated, 7000);
	assert_int_equal(
	    query_int(st->db, "SELECT count(*) FROM modem_state"), 1);
	assert_int_equal(store_modem_state_get(st, "modem2", on_modem, &seen),
	    STORE_NOTFOUND);
	assert_int_equal(seen.calls, 2);
}

static void
test_library_version(void **state)
{
	char want[64];

	(void)state;
	snprintf(want, sizeof(want), "SQLite %s", sqlite3_libversion());
	assert_string_equal(store_library_version(), want);
	/* The library is in use already: too late to set it up. */
	assert_int_equal(store_library_init(), STORE_ERR);
}

/* The permission bits of path, or -1 when it does not exist. */
static int
file_mode(const char *dir, const char *name)
{
	struct stat st;
	char *path = xasprintf("%s/%s", dir, name);
	int rc = stat(path, &st);

	free(path);
	return rc == 0 ? (int)(st.st_mode & 07777) : -1;
}

static void
test_private_files(void **state)
{
	struct fixture *f = *state;
	mode_t old = umask(022);
	struct store *st = open_ok(f, 0);

	/* Created 0600 whatever the umask; SQLite's -wal and -shm follow. */
	assert_int_equal(
	    sqlite3_exec(st->db, "CREATE TABLE t(x)", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(file_mode(f->dir, "baraza.db"), 0600);
	assert_int_equal(file_mode(f->dir, "baraza.db-wal"), 0600);
	assert_int_equal(file_mode(f->dir, "baraza.db-shm"), 0600);
	store_close(st);
	f->st = NULL;
	/* An existing database keeps the mode its operator gave it. */
	assert_int_equal(chmod(f->path, 0640), 0);
	open_ok(f, 0);
	assert_int_equal(file_mode(f->dir, "baraza.db"), 0640);
	umask(old);
}

/* The progress of a backup, which writes to the source between steps. */
struct backup_probe {
	struct store *st; /* another connection to the source */
	int steps;        /* calls before the last */
	int writes;       /* rows written meanwhile */
	int last;         /* calls with done == total */
};

static void
backup_write_between(void *arg, uint64_t done, uint64_t total)
{
	struct backup_probe *p = arg;

	assert_true(total > 0 && done <= total);
	if (done == total) {
		p->last++;
		return;
	}
	/* The gateway goes on writing: none of it is in the copy. */
	if (p->steps++ < 3 && ++p->writes > 0)
		assert_int_equal(sqlite3_exec(p->st->db,
				     "INSERT INTO t VALUES (randomblob(5000))",
				     NULL, NULL, NULL),
		    SQLITE_OK);
}

static void
test_backup_snapshot(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_ok(f, 0);
	struct store_backup_info info;
	struct backup_probe probe = {st, 0, 0, 0};
	char *dest = xasprintf("%s/copy.db", f->dir), *err = NULL;
	sqlite3 *db;

	/* Some 2,500 pages: the copy takes three steps of 1,024. */
	assert_int_equal(sqlite3_exec(st->db,
			     "CREATE TABLE t(b);"
			     "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
			     "SELECT i + 1 FROM n WHERE i < 20) "
			     "INSERT INTO t SELECT randomblob(500000) FROM n",
			     NULL, NULL, NULL),
	    SQLITE_OK);
	if (store_backup(
		f->path, dest, backup_write_between, &probe, &info, &err) != 0)
		fail_msg("store_backup: %s", err);
	assert_true(probe.steps >= 2);
	assert_int_equal(probe.last, 1);
	assert_int_equal(info.schema_version, store_schema_version());
	assert_int_equal(info.messages, 0);
	assert_true(info.pages > 2048);
	assert_int_equal(
	    query_int(st->db, "SELECT count(*) FROM t"), 20 + probe.writes);
	assert_int_equal(file_mode(f->dir, "copy.db"), 0600);

	/* The copy is the snapshot of the start, whole, one file. */
	assert_int_equal(
	    sqlite3_open_v2(dest, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(query_int(db, "SELECT count(*) FROM t"), 20);
	assert_int_equal(
	    query_int(db, "PRAGMA user_version"), store_schema_version());
	assert_int_equal(query_int(db, "SELECT count(*) FROM pragma_"
				       "integrity_check WHERE integrity_check "
				       "= 'ok'"),
	    1);
	sqlite3_close(db);
	assert_int_equal(file_mode(f->dir, "copy.db-wal"), -1);
	free(dest);
}

static void
test_restore_checks(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_ok(f, 0);
	struct store_backup_info info;
	char *copy = xasprintf("%s/copy.db", f->dir), *err = NULL;
	char *other = xasprintf("%s/other.db", f->dir);
	sqlite3 *db;
	FILE *fp;
	char *cmd;
	int i;

	assert_int_equal(sqlite3_exec(st->db,
			     "INSERT INTO messages(direction, channel, phone, "
			     "state, created, updated) VALUES ('in', 'web', "
			     "'+1', 'received', 1, 1)",
			     NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(
	    store_backup(f->path, copy, NULL, NULL, &info, &err), 0);
	store_close(st);
	f->st = NULL;

	/* A good copy restores into a new database. */
	assert_int_equal(store_restore(copy, other, &info, &err), 0);
	assert_null(err);
	assert_int_equal(info.schema_version, store_schema_version());
	assert_int_equal(info.messages, 1);
	assert_int_equal(file_mode(f->dir, "other.db"), 0600);

	/* A newer schema is refused, the database untouched. */
	assert_int_equal(
	    sqlite3_open_v2(copy, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db, "PRAGMA user_version = 1000", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(
	    store_restore(copy, f->path, &info, &err), STORE_EINVAL);
	assert_non_null(strstr(err, "newer"));
	free(err);
	err = NULL;

	/* Text is no database; an empty file holds no schema. */
	assert_non_null(fp = fopen(copy, "w"));
	for (i = 0; i < 100; i++)
		fputs("not a database at all\n", fp);
	fclose(fp);
	assert_int_equal(
	    store_restore(copy, f->path, &info, &err), STORE_EINVAL);
	assert_non_null(strstr(err, "not a SQLite database"));
	free(err);
	err = NULL;
	assert_non_null(fp = fopen(copy, "w"));
	fclose(fp);
	assert_int_equal(
	    store_restore(copy, f->path, &info, &err), STORE_EINVAL);
	assert_non_null(strstr(err, "not a baraza database"));
	free(err);
	err = NULL;

	/* None of the refusals touched the database or left a file. */
	st = open_ok(f, 0);
	assert_int_equal(query_int(st->db, "SELECT count(*) FROM messages"), 1);
	cmd = xasprintf("test $(ls '%s' | grep -c restore-) = 0", f->dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(copy);
	free(other);
}

static void
test_lock(void **state)
{
	struct fixture *f = *state;
	char *err = NULL;
	int a, b, c;

	/* Gateways share it; a restore excludes them, and they it. */
	assert_int_equal(store_lock(f->path, 0, &a, &err), 0);
	assert_int_equal(store_lock(f->path, 0, &b, &err), 0);
	assert_int_equal(store_lock(f->path, 1, &c, &err), STORE_LOCKED);
	close(a);
	close(b);
	assert_int_equal(store_lock(f->path, 1, &a, &err), 0);
	assert_int_equal(store_lock(f->path, 0, &b, &err), STORE_LOCKED);
	assert_int_equal(b, -1);
	close(a);
	assert_int_equal(file_mode(f->dir, "baraza.db.lock"), 0600);
	/* An in-memory database has no lock. */
	assert_int_equal(store_lock(":memory:", 1, &a, &err), 0);
	assert_int_equal(a, -1);
	/* A folder that cannot hold it is an error, said. */
	assert_int_equal(
	    store_lock("/nonexistent/baraza.db", 0, &a, &err), STORE_ERR);
	assert_non_null(strstr(err, "the database's folder /nonexistent does "
				    "not exist"));
	free(err);
	/* One serving gateway a database: the second's byte is taken. */
	assert_int_equal(store_lock(f->path, 0, &a, &err), 0);
	assert_int_equal(store_lock(f->path, 0, &b, &err), 0);
	assert_int_equal(store_lock_serving(a), 0);
	assert_int_equal(store_lock_serving(b), STORE_SERVED);
	close(a);
	assert_int_equal(store_lock_serving(b), 0);
	close(b);
	assert_int_equal(store_lock_serving(-1), 0);
}

/* What store_on_undo reported: the marks given, last first. */
struct undos {
	uint64_t since[8];
	int n;
};

static void
record_undo(void *arg, uint64_t since)
{
	struct undos *u = arg;

	if (u->n < 8)
		u->since[u->n] = since;
	u->n++;
}

/*
 * store_mark and store_on_undo: a savepoint's rollback reports what was
 * marked after that savepoint opened (nested ones count), a release or a
 * commit nothing, a transaction's rollback everything.
 */
static void
test_undo_marks(void **state)
{
	struct fixture *f = *state;
	struct undos u = {0};
	uint64_t m1, m2, m3, m4;
	char *err = NULL;

	assert_int_equal(store_open(f->path, 0, &f->st, &err), 0);
	store_on_undo(f->st, record_undo, &u);
	assert_int_equal(store_begin(f->st), 0);
	m1 = store_mark(f->st);
	assert_int_equal(store_savepoint(f->st), 0); /* A */
	m2 = store_mark(f->st);
	assert_int_equal(store_savepoint(f->st), 0); /* B, in A */
	m3 = store_mark(f->st);
	assert_true(m1 < m2 && m2 < m3);
	assert_int_equal(store_rollback_to(f->st), 0); /* B: m3 undone */
	assert_int_equal(u.n, 1);
	assert_true(u.since[0] >= m2 && u.since[0] < m3);
	assert_int_equal(store_savepoint(f->st), 0); /* C, in A */
	m4 = store_mark(f->st);
	assert_int_equal(store_release(f->st), 0); /* C kept */
	assert_int_equal(u.n, 1);
	assert_int_equal(store_rollback_to(f->st), 0); /* A: m2, m4 undone */
	assert_int_equal(u.n, 2);
	assert_true(u.since[1] >= m1 && u.since[1] < m2 && m4 > u.since[1]);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(u.n, 2);
	/* A transaction rolled back: all of it. */
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_savepoint(f->st), 0);
	assert_true(store_mark(f->st) > m4);
	assert_int_equal(store_rollback(f->st), 0);
	assert_int_equal(u.n, 3);
	assert_int_equal(u.since[2], 0);
	/* None set: nothing is told. */
	store_on_undo(f->st, NULL, NULL);
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_rollback(f->st), 0);
	assert_int_equal(u.n, 3);
}

/*
 * The steps of full table scans of every statement prepared on db since
 * the last reset (reset: from now on).
 */
static int64_t
scan_steps(sqlite3 *db, int reset)
{
	sqlite3_stmt *s = NULL;
	int64_t n = 0;

	while ((s = sqlite3_next_stmt(db, s)) != NULL)
		n += sqlite3_stmt_status(
		    s, SQLITE_STMTSTATUS_FULLSCAN_STEP, reset);
	return n;
}

static int
count_any(void *arg, const char *name, int64_t n)
{
	(void)name;
	*(int64_t *)arg += n;
	return 0;
}

static int
received_any(void *arg, const struct store_msg_received *m)
{
	(void)m;
	++*(int *)arg;
	return 0;
}

static int
failure_any(void *arg, const struct store_failure *m)
{
	(void)m;
	++*(int *)arg;
	return 0;
}

/*
 * The queue's and the outcomes' queries read ranges of indexes, never the
 * whole table (the claim runs at every look at the queue, the outcomes at
 * each view of the console's overview): a change of messages_queue or of
 * a query that SQLite could no longer answer from it fails here.
 */
static void
test_queue_reads_indexes(void **state)
{
	struct fixture *f = *state;
	struct store_msg_in in = {.channel = "at",
	    .kind = MSG_SMS,
	    .phone = "+254700000001",
	    .text = "BAL 1",
	    .state = MSG_HANDLED};
	struct store_msg_out out = {.channel = "at",
	    .kind = MSG_SMS,
	    .phone = "+254700000001",
	    .text = "Balance",
	    .state = MSG_QUEUED,
	    .segments = 1,
	    .next_attempt = 1000};
	struct store_queue_msg *q = NULL;
	struct store_channel_health h;
	struct store_outcomes o;
	int64_t id, n = 0;
	size_t nq = 0;
	int i, received = 0, failures = 0;

	open_ok(f, 0);
	assert_int_equal(store_begin(f->st), 0);
	/* 200 of each way; out: queued, sent, failed, sending in turn. */
	for (i = 0; i < 200; i++) {
		in.state = i == 7 ? MSG_RECEIVED : MSG_HANDLED;
		assert_int_equal(
		    store_msg_insert_inbound(f->st, &in, 1000 + i, &id), 0);
		out.state = i % 4 == 0 ? MSG_QUEUED : MSG_SENDING;
		out.next_attempt = 1000 + i;
		assert_int_equal(
		    store_msg_insert_outbound(f->st, &out, 1000 + i, &id), 0);
		if (out.state == MSG_SENDING && i % 4 == 1)
			assert_int_equal(
			    store_queue_sent(f->st, id, NULL, 2000), 0);
		else if (out.state == MSG_SENDING && i % 4 == 2)
			assert_int_equal(
			    store_queue_fail(f->st, id, "no", 2000), 0);
	}
	assert_int_equal(store_commit(f->st), 0);
	(void)scan_steps(f->st->db, 1);

	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(
	    store_queue_claim_upto(f->st, "at", 1100, 10, INT64_MAX, &q, &nq),
	    0);
	assert_int_equal(nq, 10);
	store_queue_msgs_free(q, nq);
	assert_true(store_queue_next_due(f->st, "at") > 0);
	assert_true(store_queue_move(f->st, "at", "tw", 1050, 1050) >= 0);
	assert_true(store_queue_recover(f->st, 3000) > 0);
	assert_true(store_queue_sweep(f->st, 3000, 1000) >= 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(
	    store_msg_each_received(f->st, received_any, &received), 0);
	assert_int_equal(received, 1);
	assert_int_equal(store_spend_pending(f->st, "at", 0, 5000, &n), 0);
	assert_true(n > 0);
	memset(&o, 0, sizeof(o));
	assert_int_equal(store_console_outcomes(f->st, "at", 0, 0, &o), 0);
	assert_int_equal(o.failed, 50);
	assert_int_equal(o.done, 100);
	n = 0;
	assert_int_equal(store_console_queued(f->st, count_any, &n), 0);
	assert_true(n > 0);
	assert_int_equal(store_console_channel(f->st, "at", &h), 0);
	store_channel_health_free(&h);
	assert_int_equal(
	    store_stats_failures(f->st, 5, failure_any, &failures), 0);
	assert_int_equal(failures, 5);
	assert_int_equal(scan_steps(f->st->db, 0), 0);
}

static int
msg_count(void *arg, const struct store_msg_row *m)
{
	(void)m;
	++*(int *)arg;
	return 0;
}

/*
 * As the queue's: the overview's counts by day, a search's time bounds,
 * the sessions' housekeeping and their count read messages_created and
 * sessions_purge, never a whole table (migrations 15 and 16).
 */
static void
test_times_and_sessions_read_indexes(void **state)
{
	struct fixture *f = *state;
	struct store_msg_in in = {.channel = "at",
	    .kind = MSG_SMS,
	    .phone = "+254700000001",
	    .text = "BAL 1",
	    .state = MSG_HANDLED};
	struct store_msg_query q = {.has_since = 1,
	    .since = 1050,
	    .has_until = 1,
	    .until = 1059,
	    .limit = 100};
	struct store_session ss;
	struct store_contact c;
	char key[32];
	int64_t id, nin = 0, nout = 0, next = 0;
	int i, rows = 0;

	open_ok(f, 0);
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_contact_get(f->st, in.phone, 1000, &c), 1);
	memset(&ss, 0, sizeof(ss));
	ss.contact_id = c.id;
	ss.flow = "menu";
	ss.state = "{}";
	for (i = 0; i < 200; i++) {
		assert_int_equal(
		    store_msg_insert_inbound(f->st, &in, 1000 + i, &id), 0);
		snprintf(key, sizeof(key), "at:s%d", i);
		ss.expires = 2000 + i; /* then a step moves it on */
		assert_int_equal(store_session_put(f->st, key, &ss), 0);
		ss.expires = i % 2 ? 5000 : 2000 + i;
		assert_int_equal(store_session_put(f->st, key, &ss), 0);
	}
	assert_int_equal(store_commit(f->st), 0);
	store_contact_free(&c);
	(void)scan_steps(f->st->db, 1);

	assert_int_equal(
	    store_console_counts(f->st, 1100, 1150, &nin, &nout), 0);
	assert_int_equal(nin, 50);
	assert_int_equal(nout, 0);
	assert_int_equal(store_console_first_id(f->st, 1150, &id), 0);
	assert_int_equal(id, 151);
	assert_int_equal(
	    store_console_messages(f->st, &q, msg_count, &rows, &next), 0);
	assert_int_equal(rows, 10);
	assert_int_equal(store_stats_sessions(f->st, 3000, &id), 0);
	assert_int_equal(id, 100);
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_session_purge(f->st, 3000), 100);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(store_stats_sessions(f->st, 3000, &id), 0);
	assert_int_equal(id, 100);
	assert_int_equal(scan_steps(f->st->db, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_open_creates_schema, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pragmas_full, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_undo_marks, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_queue_reads_indexes, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_times_and_sessions_read_indexes, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_pragmas_normal, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_state_check_without_in_list, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_parts_by_set_index, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_migrates_from_zero, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_failed_migration_is_atomic, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_refuses_newer_schema, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_unwritable_paths, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_reopen_keeps_data, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_ussd_steps_linked, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_messages_created, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_session_purge_after, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sms_parts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_contacts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sessions, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_sessions_resumable, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reports, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_subscriptions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lookup, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_idempotency, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_modem_state, setup, teardown),
	    cmocka_unit_test(test_library_version),
	    cmocka_unit_test(test_postgres_uri),
	    cmocka_unit_test_setup_teardown(
		test_migrate_reports, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_private_files, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_backup_snapshot, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_restore_checks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
