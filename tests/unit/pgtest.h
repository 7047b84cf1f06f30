/*
 * pgtest.h: the PostgreSQL store in unit tests. The first test that asks
 * starts a throwaway server (scripts/pg-tmp, stopped at exit) unless
 * BARAZA_TEST_PG names one already; each pgtest_open() empties the schema
 * of the program's own database, so tests start from nothing and never
 * depend on each other. Without PostgreSQL installed the tests skip.
 *
 * pgtest_pair() opens the same empty store twice, in SQLite (":memory:")
 * and in PostgreSQL, for tests that run the same calls on both and expect
 * the same answers; pgtest_same() does the whole of such a test: a script
 * that writes each call's answer to a buffer runs on both, and the two
 * transcripts must be equal.
 */
#ifndef BARAZA_PGTEST_H
#define BARAZA_PGTEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "gateway/store.h"
#include "lib/util.h"

static char pgtest_dir[512];
static char pgtest_server[512]; /* the server's own database URI */
static char pgtest_db[600];     /* this program's database URI */
static int pgtest_state;        /* 0 not tried, 1 up, -1 none */

static inline void
pgtest_stop(void)
{
	char cmd[1200];
	const char *src = getenv("SRCDIR");

	if (pgtest_dir[0] == '\0')
		return;
	snprintf(cmd, sizeof(cmd),
	    "'%s/scripts/pg-tmp' stop '%s' >/dev/null 2>&1",
	    src != NULL ? src : ".", pgtest_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "# pgtest: could not stop %s\n", pgtest_dir);
}

/* Runs sql on uri; 0 or -1 (printed). */
static inline int
pgtest_sql(const char *uri, const char *sql)
{
	PGconn *c = PQconnectdb(uri);
	PGresult *r;
	int rc = 0;

	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "# pgtest: %s", PQerrorMessage(c));
		PQfinish(c);
		return -1;
	}
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK &&
	    PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "# pgtest: %s: %s", sql, PQerrorMessage(c));
		rc = -1;
	}
	PQclear(r);
	PQfinish(c);
	return rc;
}

/* The URI of this program's database, or NULL when there is no server. */
static inline const char *
pgtest_uri(void)
{
	const char *given = getenv("BARAZA_TEST_PG"), *src = getenv("SRCDIR");
	char cmd[600], line[1100], sql[200], name[64];
	FILE *f;

	if (pgtest_state != 0)
		return pgtest_state > 0 ? pgtest_db : NULL;
	pgtest_state = -1;
	if (given != NULL && given[0] != '\0')
		snprintf(pgtest_server, sizeof(pgtest_server), "%s", given);
	else {
		snprintf(cmd, sizeof(cmd), "'%s/scripts/pg-tmp' start 2>&1",
		    src != NULL ? src : ".");
		if ((f = popen(cmd, "r")) == NULL)
			return NULL;
		if (fgets(line, sizeof(line), f) == NULL)
			line[0] = '\0';
		if (pclose(f) != 0 || sscanf(line, "%511s %511s", pgtest_dir,
					  pgtest_server) != 2) {
			fprintf(stderr, "# pgtest: no server: %s", line);
			pgtest_dir[0] = '\0';
			return NULL;
		}
		atexit(pgtest_stop);
	}
	/* A database of this program's own, so programs run side by side. */
	snprintf(name, sizeof(name), "t%ld", (long)getpid());
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
	if (pgtest_sql(pgtest_server, sql) != 0)
		return NULL;
	/* The server's URI ends in /DBNAME: the same with ours. */
	snprintf(pgtest_db, sizeof(pgtest_db), "%s", pgtest_server);
	if (strrchr(pgtest_db, '/') == NULL)
		return NULL;
	snprintf(strrchr(pgtest_db, '/') + 1,
	    sizeof(pgtest_db) -
		(size_t)(strrchr(pgtest_db, '/') + 1 - pgtest_db),
	    "%s", name);
	pgtest_state = 1;
	return pgtest_db;
}

/*
 * A PostgreSQL store on an empty schema (migrated by store_open), or NULL
 * when there is no PostgreSQL here (the caller skips).
 */
static inline struct store *
pgtest_open(void)
{
	const char *uri = pgtest_uri();
	struct store *st = NULL;
	char *err = NULL;

	if (uri == NULL)
		return NULL;
	if (pgtest_sql(
		uri, "DROP SCHEMA public CASCADE; CREATE SCHEMA public") != 0)
		return NULL;
	if (store_open(uri, 0, &st, &err) != 0) {
		fprintf(stderr, "# pgtest: %s\n", err ? err : "open failed");
		free(err);
		return NULL;
	}
	return st;
}

/* Both stores, empty; 0, or -1 when there is no PostgreSQL (skip). */
static inline int
pgtest_pair(struct store **sq, struct store **pg)
{
	char *err = NULL;

	*sq = *pg = NULL;
	if ((*pg = pgtest_open()) == NULL)
		return -1;
	if (store_open(":memory:", 0, sq, &err) != 0) {
		fprintf(stderr, "# pgtest: %s\n", err ? err : "open failed");
		free(err);
		store_close(*pg);
		*pg = NULL;
		return -1;
	}
	return 0;
}

/*
 * Runs fn on a SQLite and a PostgreSQL store, both empty, each writing its
 * answers to a buffer of size bytes, and fails the test unless the two
 * transcripts are equal. Returns 0 with the SQLite transcript in *out (for
 * the caller to check that the answers are the ones meant, not two equal
 * mistakes; free it with buf_free), or -1 when there is no PostgreSQL
 * (skip).
 */
static inline int
pgtest_same(
    void (*fn)(struct store *, struct buf *), size_t size, struct buf *out)
{
	struct store *sq, *pg;
	struct buf b;

	if (pgtest_pair(&sq, &pg) != 0)
		return -1;
	buf_init(out, size);
	buf_init(&b, size);
	fn(sq, out);
	fn(pg, &b);
	assert_string_equal(buf_cstr(&b), buf_cstr(out));
	buf_free(&b);
	store_close(sq);
	store_close(pg);
	return 0;
}

#endif
