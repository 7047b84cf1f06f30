/*
 * sidedb.h: a unit test's own SQLite connection to its store's database
 * file, for raw SQL set-up and checks: the store keeps its connection to
 * itself (gateway/store.h leaks no SQLite type).
 *
 * sidedb_open() makes a fresh database file under /tmp, opens the store on
 * it and a second connection beside it (WAL: each sees what the other has
 * committed, never what is still in an open transaction; a write waits up
 * to 10 s for the other's lock). sidedb_close() closes both and removes
 * the files. Include it after cmocka.h.
 */
#ifndef BARAZA_TEST_SIDEDB_H
#define BARAZA_TEST_SIDEDB_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <sqlite3.h>

#include "gateway/store.h"
#include "lib/util.h"

struct sidedb {
	char path[64]; /* the database file */
	sqlite3 *db;   /* the test's own connection */
};

/* Opens the store (*st) on a new file and the side connection to it. */
static inline void
sidedb_open(struct sidedb *d, int durability_full, struct store **st)
{
	char *err = NULL;
	int fd;

	snprintf(d->path, sizeof(d->path), "/tmp/baraza-test-XXXXXX");
	fd = mkstemp(d->path);
	assert_true(fd >= 0);
	close(fd);
	if (store_open(d->path, durability_full, st, &err) != 0)
		fail_msg("store_open: %s", err);
	assert_int_equal(sqlite3_open(d->path, &d->db), SQLITE_OK);
	sqlite3_busy_timeout(d->db, 10000);
}

/* Closes the store and the side connection and removes the files. */
static inline void
sidedb_close(struct sidedb *d, struct store *st)
{
	static const char *const sfx[] = {"", "-wal", "-shm"};
	char path[80];
	size_t i;

	store_close(st);
	sqlite3_close(d->db);
	d->db = NULL;
	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", d->path, sfx[i]);
		unlink(path);
	}
}

/* Runs sql (several statements may follow each other), or fails. */
static inline void
sidedb_exec(struct sidedb *d, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(d->db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
}

/* The first column of sql's first row as an integer; -1 without a row. */
static inline int64_t
sidedb_int(struct sidedb *d, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v = -1;

	assert_int_equal(
	    sqlite3_prepare_v2(d->db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* The first column of sql's first row as a new string, or NULL. */
static inline char *
sidedb_text(struct sidedb *d, const char *sql)
{
	sqlite3_stmt *s;
	char *v = NULL;

	assert_int_equal(
	    sqlite3_prepare_v2(d->db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		v = xstrdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return v;
}

#endif
