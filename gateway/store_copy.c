/*
 * store_copy.c: `baraza copy-store FROM TO`, every row of one store into
 * another, empty one, each a SQLite file or a PostgreSQL database.
 *
 * Rows move by column name, table by table in an order where what a row
 * refers to is already there (contacts before messages). Values keep their
 * kind: integers, text, bytes (BLOB, BYTEA) and NULL. Ids are kept (a
 * report's number has been sent to its resident), and so is where each id
 * sequence stands: PostgreSQL's identity sequences and SQLite's
 * sqlite_sequence (AUTOINCREMENT) are set to at least the source's.
 *
 * The source is read in one snapshot (a read transaction; REPEATABLE READ
 * on PostgreSQL); the target is written in one transaction, so a copy that
 * fails leaves it empty.
 */
#include "gateway/store_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/pg.h"
#include "lib/log.h"
#include "lib/util.h"

/* PostgreSQL type OIDs (pg_type.h, stable since forever). */
#define OID_BOOL 16
#define OID_BYTEA 17
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_FLOAT4 700
#define OID_FLOAT8 701
#define OID_NUMERIC 1700

#define PROGRESS_EVERY 1000

/*
 * Every table of the store, in an order where each table comes after the
 * tables it refers to; seq: its id comes from a sequence.
 */
static const struct {
	const char *name;
	int seq;
} tables[] = {
    {"contacts", 1},
    {"broadcasts", 1},
    {"messages", 1},
    {"sessions", 0},
    {"reports", 1},
    {"report_events", 1},
    {"subscriptions", 0},
    {"data_tables", 0},
    {"data_rows", 0},
    {"modem_state", 0},
    {"idempotency", 0},
    {"users", 1},
    {"web_sessions", 0},
    {"audit", 1},
    {"campaign_sent", 0},
    {"campaign_runs", 0},
    {"events", 1},
    {"spend", 0},
    {"channel_log", 1},
    {"nodes", 0},
    {"flood", 0},
    {"ussd_seen", 0},
    {"sms_parts", 0},
};

/* One end of the copy. */
struct end {
	char *name;        /* for messages: the path, or the URI redacted */
	struct store *st;  /* SQLite */
	PGconn *pg;        /* PostgreSQL */
	char **cols;       /* the current table's columns (names) */
	size_t ncols;      /* entries in cols */
	sqlite3_stmt *stm; /* SQLite: the current table's statement */
	int pending;       /* PostgreSQL: inserts sent, results not read */
};

/* One value on its way. */
struct val {
	int type;              /* SQLITE_INTEGER, _FLOAT, _TEXT, _BLOB, _NULL */
	int64_t i;             /* SQLITE_INTEGER */
	double d;              /* SQLITE_FLOAT */
	const void *p;         /* SQLITE_TEXT (NUL-terminated), SQLITE_BLOB */
	size_t n;              /* bytes at p */
	unsigned char *freeme; /* PQunescapeBytea's, or NULL */
};

/* The driver's last message, without a trailing newline (static). */
static const char *
end_error(const struct end *e)
{
	static char msg[512];
	size_t n;

	snprintf(msg, sizeof(msg), "%s",
	    e->pg != NULL ? PQerrorMessage(e->pg) : sqlite3_errmsg(e->st->db));
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	return msg;
}

static void
end_cols_free(struct end *e)
{
	size_t i;

	for (i = 0; i < e->ncols; i++)
		free(e->cols[i]);
	free(e->cols);
	e->cols = NULL;
	e->ncols = 0;
}

static void
end_close(struct end *e)
{
	end_cols_free(e);
	sqlite3_finalize(e->stm);
	e->stm = NULL;
	if (e->pg != NULL)
		PQfinish(e->pg);
	store_close(e->st);
	free(e->name);
	memset(e, 0, sizeof(*e));
}

static int
end_int(struct end *, const char *, const char *, int64_t *, char **);

/*
 * Whether the SQLite file at path holds a baraza store (a schema version
 * above 0), read without changing it.
 */
static int
sqlite_has_store(const char *path)
{
	sqlite3 *db = NULL;
	int64_t v = 0;

	if (access(path, F_OK) == 0 &&
	    sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK)
		(void)store_query_int(db, "PRAGMA user_version", &v);
	sqlite3_close(db);
	return v > 0;
}

/*
 * Opens and migrates database into e. The source must hold a store
 * already (a misspelt FROM must not be created and copied as empty). 0,
 * or -1 with *errmsg set.
 */
static int
end_open(struct end *e, const char *database, int source, char **errmsg)
{
	int64_t n;

	memset(e, 0, sizeof(*e));
	if (store_is_postgres(database)) {
		e->name = pg_redact(database);
		if ((e->pg = pg_connect(database, NULL, errmsg)) == NULL)
			return -1;
		if (source) {
			if (end_int(e,
				"SELECT count(*) FROM pg_tables WHERE "
				"schemaname = current_schema() AND "
				"tablename = 'baraza_schema'",
				NULL, &n, errmsg) < 0)
				return -1;
			if (n == 0) {
				errmsg_set(errmsg, "%s holds no baraza store",
				    e->name);
				return -1;
			}
		}
		return pg_migrate(
		    e->pg, e->name, NULL, NULL, NULL, NULL, errmsg);
	}
	e->name = xstrdup(database);
	if (source && strcmp(database, ":memory:") != 0 &&
	    !sqlite_has_store(database)) {
		errmsg_set(errmsg, "%s: %s", database,
		    access(database, F_OK) != 0 ? "no such file"
						: "holds no baraza store");
		return -1;
	}
	if (strcmp(database, ":memory:") == 0) {
		errmsg_set(errmsg,
		    "copy-store: %s: a database in memory is gone "
		    "when the command ends",
		    database);
		return -1;
	}
	return store_open(database, 1, &e->st, errmsg);
}

/* Runs sql (no rows) on e. 0, or -1 with *errmsg set. */
static int
end_exec(struct end *e, const char *sql, char **errmsg)
{
	if (e->pg != NULL)
		return pg_exec(e->pg, sql, errmsg);
	if (sqlite3_exec(e->st->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		errmsg_set(errmsg, "%s: %s", e->name, end_error(e));
		return -1;
	}
	return 0;
}

/*
 * One integer that sql answers on e (its first column of its first row;
 * 0 for no row or NULL) into *out. sql has at most one parameter, $1 or ?,
 * bound to arg (NULL: none). 0, or -1 with *errmsg set.
 */
static int
end_int(struct end *e, const char *sql, const char *arg, int64_t *out,
    char **errmsg)
{
	sqlite3_stmt *s = NULL;
	PGresult *r;
	int rc;

	*out = 0;
	if (e->pg != NULL) {
		r = PQexecParams(
		    e->pg, sql, arg != NULL ? 1 : 0, NULL, &arg, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			errmsg_set(errmsg, "%s: %s", e->name, end_error(e));
			PQclear(r);
			return -1;
		}
		if (PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
			*out = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		PQclear(r);
		return 0;
	}
	rc = sqlite3_prepare_v2(e->st->db, sql, -1, &s, NULL);
	if (rc == SQLITE_OK && arg != NULL)
		rc = sqlite3_bind_text(s, 1, arg, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int64(s, 0);
			rc = SQLITE_DONE;
		}
	}
	if (rc != SQLITE_DONE) {
		errmsg_set(errmsg, "%s: %s", e->name, end_error(e));
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_finalize(s);
	return 0;
}

/* Whether name is one of tables[]. */
static int
known_table(const char *name)
{
	size_t i;

	for (i = 0; i < nitems(tables); i++)
		if (strcmp(tables[i].name, name) == 0)
			return 1;
	return 0;
}

/*
 * Checks that e holds exactly the tables copy-store knows (a table it did
 * not know would be left behind). 0, or -1 with *errmsg set.
 */
static int
end_check_tables(struct end *e, char **errmsg)
{
	const char *sql = e->pg != NULL
			      ? "SELECT tablename FROM pg_tables WHERE "
				"schemaname = current_schema() AND "
				"tablename <> 'baraza_schema'"
			      : "SELECT name FROM sqlite_master WHERE type = "
				"'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE "
				"'\\'";
	size_t seen = 0;
	char *bad = NULL;

	if (e->pg != NULL) {
		PGresult *r = PQexec(e->pg, sql);
		int n;

		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			errmsg_set(errmsg, "%s: %s", e->name, end_error(e));
			PQclear(r);
			return -1;
		}
		for (n = 0; n < PQntuples(r); n++) {
			if (known_table(PQgetvalue(r, n, 0)))
				seen++;
			else if (bad == NULL)
				bad = xstrdup(PQgetvalue(r, n, 0));
		}
		PQclear(r);
	} else {
		sqlite3_stmt *s = NULL;
		int rc = sqlite3_prepare_v2(e->st->db, sql, -1, &s, NULL);

		while (
		    rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
			const char *t = (const char *)sqlite3_column_text(s, 0);

			if (known_table(t))
				seen++;
			else if (bad == NULL)
				bad = xstrdup(t);
			rc = SQLITE_OK;
		}
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE) {
			errmsg_set(errmsg, "%s: %s", e->name, end_error(e));
			free(bad);
			return -1;
		}
	}
	if (bad != NULL) {
		errmsg_set(errmsg,
		    "%s: table %s is not one copy-store knows; this baraza is "
		    "older than the database",
		    e->name, bad);
		free(bad);
		return -1;
	}
	if (seen != nitems(tables)) {
		errmsg_set(errmsg,
		    "%s: %zu of the store's %zu tables are missing", e->name,
		    nitems(tables) - seen, nitems(tables));
		return -1;
	}
	return 0;
}

/*
 * Reads the columns of table on e into e->cols. 0, or -1 with *errmsg set.
 */
static int
end_columns(struct end *e, const char *table, char **errmsg)
{
	char *sql = xasprintf("SELECT * FROM \"%s\" LIMIT 0", table);
	size_t i;

	end_cols_free(e);
	if (e->pg != NULL) {
		PGresult *r = PQexec(e->pg, sql);

		free(sql);
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			errmsg_set(errmsg, "%s: %s", e->name, end_error(e));
			PQclear(r);
			return -1;
		}
		e->ncols = (size_t)PQnfields(r);
		e->cols = xcalloc(e->ncols ? e->ncols : 1, sizeof(char *));
		for (i = 0; i < e->ncols; i++)
			e->cols[i] = xstrdup(PQfname(r, (int)i));
		PQclear(r);
		return 0;
	} else {
		sqlite3_stmt *s = NULL;

		if (sqlite3_prepare_v2(e->st->db, sql, -1, &s, NULL) !=
		    SQLITE_OK) {
			free(sql);
			errmsg_set(errmsg, "%s: %s", e->name, end_error(e));
			return -1;
		}
		free(sql);
		e->ncols = (size_t)sqlite3_column_count(s);
		e->cols = xcalloc(e->ncols ? e->ncols : 1, sizeof(char *));
		for (i = 0; i < e->ncols; i++)
			e->cols[i] = xstrdup(sqlite3_column_name(s, (int)i));
		sqlite3_finalize(s);
		return 0;
	}
}

/*
 * Prepares the insert of table's rows on the target with the source's
 * columns, which the target must have, all of them and no other.
 */
static int
prepare_insert(
    struct end *to, const struct end *from, const char *table, char **errmsg)
{
	struct buf sql;
	size_t i, j;
	int rc = 0;

	if (end_columns(to, table, errmsg) < 0)
		return -1;
	for (i = 0; i < from->ncols; i++) {
		for (j = 0; j < to->ncols; j++)
			if (strcmp(from->cols[i], to->cols[j]) == 0)
				break;
		if (j == to->ncols) {
			errmsg_set(errmsg, "%s: table %s has no column %s",
			    to->name, table, from->cols[i]);
			return -1;
		}
	}
	if (from->ncols != to->ncols) {
		errmsg_set(errmsg, "%s: table %s has %zu columns, %s's has %zu",
		    to->name, table, to->ncols, from->name, from->ncols);
		return -1;
	}
	buf_init(&sql, 1 << 16);
	buf_printf(&sql, "INSERT INTO \"%s\" (", table);
	for (i = 0; i < from->ncols; i++)
		buf_printf(&sql, "%s\"%s\"", i ? ", " : "", from->cols[i]);
	buf_printf(&sql, ") VALUES (");
	for (i = 0; i < from->ncols; i++) {
		if (to->pg != NULL)
			buf_printf(&sql, "%s$%zu", i ? ", " : "", i + 1);
		else
			buf_printf(&sql, "%s?", i ? ", " : "");
	}
	if (buf_printf(&sql, ")") < 0) {
		errmsg_set(
		    errmsg, "%s: table %s: too many columns", to->name, table);
		buf_free(&sql);
		return -1;
	}
	if (to->pg != NULL) {
		PGresult *r;
		char *name = xasprintf("copy_%s", table);

		r = PQprepare(to->pg, name, sql.data, (int)from->ncols, NULL);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			errmsg_set(errmsg, "%s: %s", to->name, end_error(to));
			rc = -1;
		}
		PQclear(r);
		free(name);
	} else {
		sqlite3_finalize(to->stm);
		to->stm = NULL;
		if (sqlite3_prepare_v2(to->st->db, sql.data, -1, &to->stm,
			NULL) != SQLITE_OK) {
			errmsg_set(errmsg, "%s: %s", to->name, end_error(to));
			rc = -1;
		}
	}
	buf_free(&sql);
	return rc;
}

/* Reads value col of a PostgreSQL row (text format) into v. */
static int
pg_value(PGresult *r, int col, struct val *v)
{
	const char *s;

	memset(v, 0, sizeof(*v));
	if (PQgetisnull(r, 0, col)) {
		v->type = SQLITE_NULL;
		return 0;
	}
	s = PQgetvalue(r, 0, col);
	switch (PQftype(r, col)) {
	case OID_INT8:
	case OID_INT4:
	case OID_INT2:
		v->type = SQLITE_INTEGER;
		v->i = strtoll(s, NULL, 10);
		break;
	case OID_BOOL:
		v->type = SQLITE_INTEGER;
		v->i = s[0] == 't';
		break;
	case OID_FLOAT4:
	case OID_FLOAT8:
	case OID_NUMERIC:
		v->type = SQLITE_FLOAT;
		v->d = strtod(s, NULL);
		break;
	case OID_BYTEA:
		v->type = SQLITE_BLOB;
		v->freeme = PQunescapeBytea((const unsigned char *)s, &v->n);
		if (v->freeme == NULL)
			return -1;
		v->p = v->freeme;
		break;
	default:
		v->type = SQLITE_TEXT;
		v->p = s;
		v->n = (size_t)PQgetlength(r, 0, col);
		break;
	}
	return 0;
}

/* Reads value col of the SQLite row s into v. */
static void
sqlite_value(sqlite3_stmt *s, int col, struct val *v)
{
	memset(v, 0, sizeof(*v));
	v->type = sqlite3_column_type(s, col);
	switch (v->type) {
	case SQLITE_INTEGER:
		v->i = sqlite3_column_int64(s, col);
		break;
	case SQLITE_FLOAT:
		v->d = sqlite3_column_double(s, col);
		break;
	case SQLITE_TEXT:
		v->p = sqlite3_column_text(s, col);
		v->n = (size_t)sqlite3_column_bytes(s, col);
		break;
	case SQLITE_BLOB:
		v->p = sqlite3_column_blob(s, col);
		v->n = (size_t)sqlite3_column_bytes(s, col);
		break;
	default:
		v->type = SQLITE_NULL;
		break;
	}
}

/*
 * Reads the results of the inserts sent in pipeline mode, up to a sync
 * point it sends. The first error is the one reported (the inserts after
 * it are aborted). 0, or -1 with *errmsg set.
 */
static int
pg_sync(struct end *to, const char *table, char **errmsg)
{
	PGresult *r;
	int rc = 0, synced = 0;

	if (to->pending == 0)
		return 0;
	if (!PQpipelineSync(to->pg)) {
		errmsg_set(
		    errmsg, "%s: %s: %s", to->name, table, end_error(to));
		return -1;
	}
	while (!synced) {
		r = PQgetResult(to->pg);
		if (r == NULL)
			continue; /* the end of one insert's results */
		switch (PQresultStatus(r)) {
		case PGRES_COMMAND_OK:
		case PGRES_PIPELINE_ABORTED:
			break;
		case PGRES_PIPELINE_SYNC:
			synced = 1;
			break;
		default:
			if (rc == 0)
				errmsg_set(errmsg, "%s: %s: %s", to->name,
				    table, PQresultErrorMessage(r));
			rc = -1;
			break;
		}
		PQclear(r);
		if (PQstatus(to->pg) == CONNECTION_BAD) {
			if (rc == 0)
				errmsg_set(errmsg, "%s: %s: %s", to->name,
				    table, end_error(to));
			return -1;
		}
	}
	to->pending = 0;
	return rc;
}

/*
 * Writes one row (n values) into the table being copied on to. 0, or -1
 * with *errmsg set.
 */
static int
write_row(struct end *to, const char *table, const struct val *v, size_t n,
    char **errmsg)
{
	size_t i;
	int rc = SQLITE_OK;

	if (to->pg != NULL) {
		const char **vals = xcalloc(n ? n : 1, sizeof(char *));
		int *lens = xcalloc(n ? n : 1, sizeof(int));
		int *fmts = xcalloc(n ? n : 1, sizeof(int));
		char(*num)[32] = xcalloc(n ? n : 1, sizeof(*num));
		char *name = xasprintf("copy_%s", table);
		int ret = 0;

		for (i = 0; i < n && ret == 0; i++) {
			switch (v[i].type) {
			case SQLITE_INTEGER:
				snprintf(
				    num[i], sizeof(num[i]), "%" PRId64, v[i].i);
				vals[i] = num[i];
				break;
			case SQLITE_FLOAT:
				snprintf(
				    num[i], sizeof(num[i]), "%.17g", v[i].d);
				vals[i] = num[i];
				break;
			case SQLITE_TEXT:
				if (memchr(v[i].p, '\0', v[i].n) != NULL) {
					errmsg_set(errmsg,
					    "%s: a text in column %s holds a "
					    "NUL byte, which PostgreSQL cannot "
					    "keep",
					    table, to->cols[i]);
					ret = -1;
				}
				vals[i] = v[i].p;
				break;
			case SQLITE_BLOB:
				vals[i] = v[i].n ? v[i].p : "";
				lens[i] = (int)v[i].n;
				fmts[i] = 1;
				break;
			default:
				vals[i] = NULL;
				break;
			}
		}
		/* In pipeline mode: the result is read by pg_sync(). */
		if (ret == 0 && !PQsendQueryPrepared(to->pg, name, (int)n, vals,
				    lens, fmts, 0)) {
			errmsg_set(errmsg, "%s: %s: %s", to->name, table,
			    end_error(to));
			ret = -1;
		}
		if (ret == 0 && ++to->pending >= PROGRESS_EVERY)
			ret = pg_sync(to, table, errmsg);
		free(name);
		free(num);
		free(fmts);
		free(lens);
		free(vals);
		return ret;
	}
	sqlite3_reset(to->stm);
	sqlite3_clear_bindings(to->stm);
	for (i = 0; i < n && rc == SQLITE_OK; i++) {
		int c = (int)i + 1;

		switch (v[i].type) {
		case SQLITE_INTEGER:
			rc = sqlite3_bind_int64(to->stm, c, v[i].i);
			break;
		case SQLITE_FLOAT:
			rc = sqlite3_bind_double(to->stm, c, v[i].d);
			break;
		case SQLITE_TEXT:
			rc = sqlite3_bind_text64(to->stm, c, v[i].p, v[i].n,
			    SQLITE_STATIC, SQLITE_UTF8);
			break;
		case SQLITE_BLOB:
			rc = sqlite3_bind_blob64(
			    to->stm, c, v[i].p, v[i].n, SQLITE_STATIC);
			break;
		default:
			rc = sqlite3_bind_null(to->stm, c);
			break;
		}
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_step(to->stm);
	if (rc != SQLITE_DONE) {
		errmsg_set(
		    errmsg, "%s: %s: %s", to->name, table, end_error(to));
		return -1;
	}
	return 0;
}

struct copy {
	struct end from, to;
	void (*progress)(void *, const char *, int64_t, int64_t);
	void *arg;
};

/*
 * Counts one more row of table copied, telling progress every
 * PROGRESS_EVERY rows (total counted before the copy; rows written since
 * in a live FROM are past it, so the bar never shows done as all).
 */
static void
row_copied(struct copy *cp, const char *table, int64_t *done, int64_t total)
{
	if (++*done % PROGRESS_EVERY == 0 && cp->progress != NULL)
		cp->progress(
		    cp->arg, table, *done, total > *done ? total : *done + 1);
}

/* Copies every row of table. 0, or -1 with *errmsg set. */
static int
copy_table(struct copy *cp, const char *table, char **errmsg)
{
	struct end *from = &cp->from;
	struct val *v = NULL;
	int64_t total, done = 0;
	char *sql;
	size_t i;
	int rc = 0;

	sql = xasprintf("SELECT count(*) FROM \"%s\"", table);
	rc = end_int(from, sql, NULL, &total, errmsg);
	free(sql);
	if (rc < 0 || end_columns(from, table, errmsg) < 0 ||
	    prepare_insert(&cp->to, from, table, errmsg) < 0)
		return -1;
	if (cp->to.pg != NULL && !PQenterPipelineMode(cp->to.pg)) {
		errmsg_set(errmsg, "%s: %s", cp->to.name, end_error(&cp->to));
		return -1;
	}
	v = xcalloc(from->ncols ? from->ncols : 1, sizeof(*v));
	sql = xasprintf("SELECT * FROM \"%s\"", table);
	if (from->pg != NULL) {
		PGresult *r;

		if (!PQsendQuery(from->pg, sql) ||
		    !PQsetSingleRowMode(from->pg)) {
			errmsg_set(
			    errmsg, "%s: %s", from->name, end_error(from));
			rc = -1;
		}
		while (rc == 0 && (r = PQgetResult(from->pg)) != NULL) {
			if (PQresultStatus(r) == PGRES_SINGLE_TUPLE) {
				for (i = 0; i < from->ncols && rc == 0; i++)
					if (pg_value(r, (int)i, &v[i]) < 0) {
						errmsg_set(errmsg,
						    "%s: out of memory", table);
						rc = -1;
					}
				if (rc == 0)
					rc = write_row(&cp->to, table, v,
					    from->ncols, errmsg);
				for (i = 0; i < from->ncols; i++) {
					PQfreemem(v[i].freeme);
					v[i].freeme = NULL;
				}
				if (rc == 0)
					row_copied(cp, table, &done, total);
			} else if (PQresultStatus(r) != PGRES_TUPLES_OK) {
				errmsg_set(errmsg, "%s: %s", from->name,
				    end_error(from));
				rc = -1;
			}
			PQclear(r);
		}
		/* After a failure: read what is left so the connection is
		 * ready (it is closed next anyway). */
		while (rc < 0 && (r = PQgetResult(from->pg)) != NULL)
			PQclear(r);
	} else {
		sqlite3_stmt *s = NULL;
		int src;

		if (sqlite3_prepare_v2(from->st->db, sql, -1, &s, NULL) !=
		    SQLITE_OK) {
			errmsg_set(
			    errmsg, "%s: %s", from->name, end_error(from));
			rc = -1;
		}
		while (rc == 0 && (src = sqlite3_step(s)) == SQLITE_ROW) {
			for (i = 0; i < from->ncols; i++)
				sqlite_value(s, (int)i, &v[i]);
			rc = write_row(&cp->to, table, v, from->ncols, errmsg);
			if (rc == 0)
				row_copied(cp, table, &done, total);
		}
		if (rc == 0 && src != SQLITE_DONE) {
			errmsg_set(
			    errmsg, "%s: %s", from->name, end_error(from));
			rc = -1;
		}
		sqlite3_finalize(s);
	}
	free(sql);
	free(v);
	if (cp->to.pg != NULL) {
		if (pg_sync(&cp->to, table, rc == 0 ? errmsg : NULL) < 0)
			rc = -1;
		if (!PQexitPipelineMode(cp->to.pg) && rc == 0) {
			errmsg_set(
			    errmsg, "%s: %s", cp->to.name, end_error(&cp->to));
			rc = -1;
		}
	}
	if (rc == 0 && cp->progress != NULL)
		cp->progress(cp->arg, table, done, done);
	return rc;
}

/*
 * Where the id sequence of table stands on e: the last id given (SQLite:
 * sqlite_sequence for an AUTOINCREMENT table, else its largest id). 0, or
 * -1 with *errmsg set.
 */
static int
sequence_of(struct end *e, const char *table, int64_t *out, char **errmsg)
{
	int64_t seq = 0, max = 0;
	char *sql;
	int rc;

	if (e->pg != NULL) {
		PGresult *r;
		char *name;

		sql = xasprintf(
		    "SELECT pg_get_serial_sequence('%s', 'id')", table);
		r = PQexec(e->pg, sql);
		free(sql);
		if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1 ||
		    PQgetisnull(r, 0, 0)) {
			errmsg_set(errmsg, "%s: %s: no id sequence: %s",
			    e->name, table, end_error(e));
			PQclear(r);
			return -1;
		}
		name = xstrdup(PQgetvalue(r, 0, 0));
		PQclear(r);
		sql = xasprintf("SELECT CASE WHEN is_called THEN last_value "
				"ELSE 0 END FROM %s",
		    name);
		free(name);
		rc = end_int(e, sql, NULL, &seq, errmsg);
		free(sql);
		if (rc < 0)
			return -1;
	} else if (end_int(e, "SELECT seq FROM sqlite_sequence WHERE name = ?",
		       table, &seq, errmsg) < 0)
		return -1;
	sql = xasprintf("SELECT max(id) FROM \"%s\"", table);
	rc = end_int(e, sql, NULL, &max, errmsg);
	free(sql);
	*out = seq > max ? seq : max;
	return rc;
}

/* Sets the id sequence of table on e to at least seq. */
static int
sequence_set(struct end *e, const char *table, int64_t seq, char **errmsg)
{
	int64_t ai;
	char *sql;
	int rc;

	if (seq <= 0)
		return 0;
	if (e->pg != NULL) {
		sql = xasprintf("SELECT setval(pg_get_serial_sequence('%s', "
				"'id'), %" PRId64 ")",
		    table, seq);
		rc = end_exec(e, sql, errmsg);
		free(sql);
		return rc;
	}
	/* SQLite keeps a sequence for AUTOINCREMENT tables only. */
	if (end_int(e,
		"SELECT count(*) FROM sqlite_master WHERE name = ? AND "
		"sql LIKE '%AUTOINCREMENT%'",
		table, &ai, errmsg) < 0)
		return -1;
	if (ai == 0)
		return 0;
	sql = xasprintf("UPDATE sqlite_sequence SET seq = %" PRId64
			" WHERE name = '%s' AND seq < %" PRId64 ";"
			"INSERT INTO sqlite_sequence (name, seq) SELECT '%s', "
			"%" PRId64 " WHERE NOT EXISTS (SELECT 1 FROM "
			"sqlite_sequence WHERE name = '%s')",
	    seq, table, seq, table, seq, table);
	rc = end_exec(e, sql, errmsg);
	free(sql);
	return rc;
}

/* Checks that no table of e holds a row. */
static int
end_check_empty(struct end *e, char **errmsg)
{
	int64_t any;
	char *sql;
	size_t i;
	int rc;

	for (i = 0; i < nitems(tables); i++) {
		sql = xasprintf("SELECT count(*) FROM (SELECT 1 FROM \"%s\" "
				"LIMIT 1) AS x",
		    tables[i].name);
		rc = end_int(e, sql, NULL, &any, errmsg);
		free(sql);
		if (rc < 0)
			return -1;
		if (any) {
			errmsg_set(errmsg,
			    "%s is not empty (table %s holds rows): "
			    "copy-store copies into an empty store only",
			    e->name, tables[i].name);
			return -1;
		}
	}
	return 0;
}

int
store_copy(const char *from, const char *to,
    void (*progress)(void *, const char *, int64_t, int64_t), void *arg,
    char **errmsg)
{
	struct copy cp;
	size_t i;
	int64_t seq;
	int rc = -1;

	if (errmsg != NULL)
		*errmsg = NULL;
	memset(&cp, 0, sizeof(cp));
	cp.progress = progress;
	cp.arg = arg;
	if (end_open(&cp.from, from, 1, errmsg) < 0 ||
	    end_open(&cp.to, to, 0, errmsg) < 0 ||
	    end_check_tables(&cp.from, errmsg) < 0 ||
	    end_check_tables(&cp.to, errmsg) < 0)
		goto out;
	if (end_exec(&cp.from,
		cp.from.pg != NULL
		    ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
		    : "BEGIN",
		errmsg) < 0)
		goto out;
	if (end_exec(&cp.to, cp.to.pg != NULL ? "BEGIN" : "BEGIN IMMEDIATE",
		errmsg) < 0)
		goto out;
	if (end_check_empty(&cp.to, errmsg) < 0)
		goto out;
	for (i = 0; i < nitems(tables); i++)
		if (copy_table(&cp, tables[i].name, errmsg) < 0)
			goto out;
	for (i = 0; i < nitems(tables); i++) {
		if (!tables[i].seq)
			continue;
		if (sequence_of(&cp.from, tables[i].name, &seq, errmsg) < 0 ||
		    sequence_set(&cp.to, tables[i].name, seq, errmsg) < 0)
			goto out;
	}
	if (end_exec(&cp.to, "COMMIT", errmsg) < 0)
		goto out;
	rc = 0;
	log_info("store", "copied from=%s to=%s", cp.from.name, cp.to.name);
out:
	if (rc < 0 && cp.to.pg != NULL)
		PQclear(PQexec(cp.to.pg, "ROLLBACK"));
	else if (rc < 0 && cp.to.st != NULL &&
		 !sqlite3_get_autocommit(cp.to.st->db))
		sqlite3_exec(cp.to.st->db, "ROLLBACK", NULL, NULL, NULL);
	if (cp.from.pg != NULL)
		PQclear(PQexec(cp.from.pg, "ROLLBACK"));
	else if (cp.from.st != NULL && !sqlite3_get_autocommit(cp.from.st->db))
		sqlite3_exec(cp.from.st->db, "ROLLBACK", NULL, NULL, NULL);
	end_close(&cp.from);
	end_close(&cp.to);
	return rc;
}
