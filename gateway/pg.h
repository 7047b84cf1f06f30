/*
 * pg.h: PostgreSQL connections and PostgreSQL's own schema migrations
 * (issue 16, docs/postgresql.md). Like store_int.h, seen only by the
 * store's files: the rest of the program speaks store.h.
 */
#ifndef BARAZA_PG_H
#define BARAZA_PG_H

#include <libpq-fe.h>

#include "gateway/store.h"

/*
 * Connects to uri (any libpq connection URI) with password (NULL: the
 * URI's, PGPASSFILE's or none). NULL on failure, with *errmsg set (the URI
 * shown without its password).
 */
PGconn *pg_connect(const char *uri, const char *password, char **errmsg);

/* The URI without its password (user:PASSWORD@, ?password=), allocated. */
char *pg_redact(const char *uri);

/* Runs sql, which returns no rows. 0, or -1 with *errmsg set. */
int pg_exec(PGconn *, const char *sql, char **errmsg);

/* The version the newest PostgreSQL migration brings a database to. */
int pg_schema_version(void);

/*
 * Brings the PostgreSQL schema up to date, one migration per transaction
 * under an advisory lock (two nodes starting at once migrate once); each
 * migration applied goes to report. *from and *to (either may be NULL) get
 * the versions before and after. 0, or -1 with *errmsg set.
 */
int pg_migrate(PGconn *, const char *name, store_migrate_fn *report, void *arg,
    int *from, int *to, char **errmsg);

#endif
