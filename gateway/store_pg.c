/*
 * store_pg.c: the PostgreSQL store's connection, its statements, parameters
 * and results (store_pg.h), and its transactions. Opened by store_open()
 * on a postgresql:// URI: connects (pg.c), migrates, and from then on every
 * store_* call of the program runs here and in the store_pg_*.c files.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "gateway/pg.h"
#include "gateway/store_int.h"
#include "gateway/store_pg.h"
#include "lib/log.h"
#include "lib/util.h"

enum {
	C_BEGIN,
	C_COMMIT,
	C_ROLLBACK,
	C_SAVEPOINT,
	C_RELEASE,
	C_ROLLBACK_TO,
	C_PING,
	C_GUARD,
	C_UNGUARD_OK,
	C_UNGUARD_FAIL,
	C_COUNT
};

static const char *const core_sql[C_COUNT] = {
    [C_BEGIN] = "BEGIN",
    [C_COMMIT] = "COMMIT",
    [C_ROLLBACK] = "ROLLBACK",
    [C_SAVEPOINT] = "SAVEPOINT s",
    [C_RELEASE] = "RELEASE SAVEPOINT s",
    [C_ROLLBACK_TO] = "ROLLBACK TO SAVEPOINT s",
    [C_PING] = "SELECT 1",
    [C_GUARD] = "SAVEPOINT pgs_guard",
    [C_UNGUARD_OK] = "RELEASE SAVEPOINT pgs_guard",
    [C_UNGUARD_FAIL] = "ROLLBACK TO SAVEPOINT pgs_guard",
};

static const struct pgs_sql core = {PGS_PART_CORE, core_sql, C_COUNT};

/*
 * Parameters
 */

void
pgs_p_init(struct pgs_params *p)
{
	memset(p, 0, sizeof(*p));
}

static int
p_slot(struct pgs_params *p)
{
	if (p->n >= PGS_PARAMS_MAX)
		fatalx("store: more than %d parameters", PGS_PARAMS_MAX);
	return p->n++;
}

void
pgs_p_text(struct pgs_params *p, const char *v)
{
	int i = p_slot(p);

	p->v[i] = v;
}

void
pgs_p_int(struct pgs_params *p, int64_t v)
{
	int i = p_slot(p);

	snprintf(p->num[i], sizeof(p->num[i]), "%" PRId64, v);
	p->v[i] = p->num[i];
}

void
pgs_p_double(struct pgs_params *p, double v)
{
	int i = p_slot(p);

	snprintf(p->num[i], sizeof(p->num[i]), "%.17g", v);
	p->v[i] = p->num[i];
}

void
pgs_p_bytes(struct pgs_params *p, const void *v, size_t len)
{
	int i = p_slot(p);

	p->v[i] = v != NULL ? v : "";
	p->len[i] = (int)len;
	p->fmt[i] = 1;
}

/*
 * Running statements
 */

static struct pgstore *
pgs(struct store *st)
{
	return st->pg;
}

/* Keeps the failure of r (or of the connection) for store_errmsg(). */
static void
failed(struct store *st, const PGresult *r, const char *what)
{
	struct pgstore *g = pgs(st);
	const char *msg = r != NULL ? PQresultErrorMessage(r) : "";
	const char *state =
	    r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	size_t n;

	if (msg == NULL || *msg == '\0')
		msg = PQerrorMessage(g->conn);
	snprintf(g->err, sizeof(g->err), "%s", msg);
	n = strlen(g->err);
	while (n > 0 && (g->err[n - 1] == '\n' || g->err[n - 1] == ' '))
		g->err[--n] = '\0';
	/*
	 * A statement in a transaction ended already (25P02) keeps the
	 * SQLSTATE of what ended it: store_transient() reads the cause.
	 */
	if (state == NULL || strcmp(state, "25P02") != 0 ||
	    g->sqlstate[0] == '\0')
		snprintf(g->sqlstate, sizeof(g->sqlstate), "%s",
		    state != NULL ? state : "");
	log_warn("store",
	    "postgresql failed sqlstate=%s what=\"%.80s\" "
	    "error=\"%s\"",
	    state != NULL && *state != '\0' ? state : "-", what, g->err);
}

/* Prepares statement i of tab on this connection, once. */
static int
prepare(
    struct store *st, const struct pgs_sql *tab, int i, char *name, size_t len)
{
	struct pgstore *g = pgs(st);
	PGresult *r;

	snprintf(name, len, "p%d_%d", (int)tab->part, i);
	if ((size_t)i >= tab->n || (size_t)i >= PGS_PART_MAX ||
	    tab->sql[i] == NULL)
		fatalx("store: no statement %d in part %d", i, (int)tab->part);
	if (g->prepared[tab->part][i])
		return 0;
	r = PQprepare(g->conn, name, tab->sql[i], 0, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		failed(st, r, tab->sql[i]);
		PQclear(r);
		return STORE_ERR;
	}
	PQclear(r);
	g->prepared[tab->part][i] = 1;
	return 0;
}

PGresult *
pgs_run(struct store *st, const struct pgs_sql *tab, int i,
    const struct pgs_params *p)
{
	struct pgstore *g = pgs(st);
	static const struct pgs_params none;
	char name[32];
	PGresult *r;
	ExecStatusType s;

	if (p == NULL)
		p = &none;
	if (prepare(st, tab, i, name, sizeof(name)) != 0)
		return NULL;
	r = PQexecPrepared(g->conn, name, p->n, p->v, p->len, p->fmt, 0);
	s = PQresultStatus(r);
	if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK) {
		failed(st, r, tab->sql[i]);
		PQclear(r);
		return NULL;
	}
	g->sqlstate[0] = '\0';
	return r;
}

int
pgs_exec(struct store *st, const struct pgs_sql *tab, int i,
    const struct pgs_params *p, int64_t *changed)
{
	PGresult *r = pgs_run(st, tab, i, p);
	const char *n;

	if (r == NULL)
		return STORE_ERR;
	if (changed != NULL) {
		n = PQcmdTuples(r);
		*changed = n != NULL && *n != '\0' ? strtoll(n, NULL, 10) : 0;
	}
	PQclear(r);
	return 0;
}

const char *
pgs_sqlstate(struct store *st)
{
	return pgs(st)->sqlstate;
}

/*
 * Results
 */

int
pgs_isnull(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col);
}

int64_t
pgs_get_int(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return 0;
	return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

double
pgs_get_double(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return 0.0;
	return strtod(PQgetvalue(r, row, col), NULL);
}

char *
pgs_get_dup(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return NULL;
	return xstrdup(PQgetvalue(r, row, col));
}

long
pgs_get_bytes(const PGresult *r, int row, int col, void *out, size_t max)
{
	unsigned char *b;
	size_t n;

	if (PQgetisnull(r, row, col))
		return -1;
	b = PQunescapeBytea((const unsigned char *)PQgetvalue(r, row, col), &n);
	if (b == NULL || n > max) {
		PQfreemem(b);
		return -1;
	}
	memcpy(out, b, n);
	PQfreemem(b);
	return (long)n;
}

/*
 * Opening and closing
 */

int
pgs_peek_tables(const char *uri, const char *password,
    int (*cb)(void *, const char *name), void *arg, char **errmsg)
{
	PGconn *c;
	PGresult *r;
	const char *state;
	char *name;
	int i, rc = 0;

	if (errmsg != NULL)
		*errmsg = NULL;
	if ((c = pg_connect(uri, password, errmsg)) == NULL)
		return STORE_ERR;
	/* Read only, no migration: check must not change a live database. */
	r = PQexec(
	    c, "SELECT name FROM data_tables ORDER BY name COLLATE \"C\"");
	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		for (i = 0; i < PQntuples(r); i++)
			if (cb(arg, PQgetvalue(r, i, 0)) != 0)
				break;
	} else {
		state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		/* 42P01: no such table, a database not migrated yet. */
		if (state != NULL && strcmp(state, "42P01") == 0)
			rc = STORE_NOTFOUND;
		else {
			name = pg_redact(uri);
			errmsg_set(errmsg, "cannot read %s: %s", name,
			    PQerrorMessage(c));
			free(name);
			rc = STORE_ERR;
		}
	}
	PQclear(r);
	PQfinish(c);
	return rc;
}

int
pgs_open(const char *uri, const char *password, int durability_full,
    struct store **out, char **errmsg)
{
	struct store *st;
	char *name;
	PGconn *c;

	*out = NULL;
	if ((c = pg_connect(uri, password, errmsg)) == NULL)
		return STORE_ERR;
	name = pg_redact(uri);
	if (pg_migrate(c, name, NULL, NULL, NULL, NULL, errmsg) != 0) {
		free(name);
		PQfinish(c);
		return STORE_ERR;
	}
	free(name);
	st = xcalloc(1, sizeof(*st));
	st->pg = xcalloc(1, sizeof(*st->pg));
	st->pg->conn = c;
	st->pg->uri = xstrdup(uri);
	st->pg->password = password != NULL ? xstrdup(password) : NULL;
	st->pg->durable_full = durability_full;
	*out = st;
	return 0;
}

void
pgs_close(struct store *st)
{
	if (st == NULL)
		return;
	PQfinish(st->pg->conn);
	if (st->pg->side != NULL)
		PQfinish(st->pg->side);
	free(st->pg->uri);
	if (st->pg->password != NULL) {
		OPENSSL_cleanse(st->pg->password, strlen(st->pg->password));
		free(st->pg->password);
	}
	free(st->pg);
	free(st);
}

PGresult *
pgs_side_run(struct store *st, const char *sql, const struct pgs_params *p)
{
	struct pgstore *g = pgs(st);
	static const struct pgs_params none;
	char *err = NULL;
	PGresult *r;
	ExecStatusType s;

	if (p == NULL)
		p = &none;
	if (g->side != NULL && PQstatus(g->side) != CONNECTION_OK) {
		PQfinish(g->side);
		g->side = NULL;
	}
	if (g->side == NULL) {
		if ((g->side = pg_connect(g->uri, g->password, &err)) == NULL) {
			log_warn("store", "postgresql side connection: %s",
			    err ? err : "failed");
			free(err);
			return NULL;
		}
		PQclear(PQexec(g->side, "SET synchronous_commit = off"));
	}
	r = PQexecParams(g->side, sql, p->n, NULL, p->v, p->len, p->fmt, 0);
	s = PQresultStatus(r);
	if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK) {
		log_warn("store",
		    "postgresql failed what=\"%.80s\" error=\"%s\"", sql,
		    PQresultErrorMessage(r));
		PQclear(r);
		return NULL;
	}
	return r;
}

const char *
pgs_errmsg(struct store *st)
{
	return pgs(st)->err[0] != '\0' ? pgs(st)->err
				       : PQerrorMessage(pgs(st)->conn);
}

int
pgs_ping(struct store *st)
{
	/* A connection lost (a restarted server) is made again here. */
	if (PQstatus(pgs(st)->conn) != CONNECTION_OK) {
		PQreset(pgs(st)->conn);
		memset(pgs(st)->prepared, 0, sizeof(pgs(st)->prepared));
		if (PQstatus(pgs(st)->conn) != CONNECTION_OK)
			return STORE_ERR;
	}
	return pgs_exec(st, &core, C_PING, NULL, NULL);
}

/* SQLite's WAL: nothing to do on PostgreSQL. */
int
pgs_autocheckpoint(struct store *st, int pages)
{
	(void)st;
	(void)pages;
	return 0;
}

void
pgs_wal_hook(struct store *st, int (*fn)(void *, int frames), void *arg)
{
	(void)st;
	(void)fn;
	(void)arg;
}

/*
 * Transactions
 */

int
pgs_begin(struct store *st)
{
	if (PQstatus(pgs(st)->conn) != CONNECTION_OK && pgs_ping(st) != 0)
		return STORE_ERR;
	return pgs_exec(st, &core, C_BEGIN, NULL, NULL);
}

int
pgs_commit(struct store *st)
{
	PGresult *r = pgs_run(st, &core, C_COMMIT, NULL);
	int ok;

	if (r == NULL)
		/* No answer: on a connection now gone, the COMMIT may have
		 * reached the server and landed. */
		return PQstatus(pgs(st)->conn) != CONNECTION_OK ? STORE_EDOUBT
								: STORE_ERR;
	/* COMMIT of a failed transaction answers "ROLLBACK". */
	ok = strcmp(PQcmdStatus(r), "COMMIT") == 0;
	PQclear(r);
	if (!ok) {
		snprintf(pgs(st)->err, sizeof(pgs(st)->err),
		    "the transaction failed and was rolled back");
		return STORE_ERR;
	}
	pgs(st)->savepoints = 0;
	pgs(st)->sp_began = 0;
	return 0;
}

int
pgs_rollback(struct store *st)
{
	pgs(st)->savepoints = 0;
	pgs(st)->sp_began = 0;
	if (PQtransactionStatus(pgs(st)->conn) == PQTRANS_IDLE)
		return 0;
	return pgs_exec(st, &core, C_ROLLBACK, NULL, NULL);
}

int
pgs_in_transaction(struct store *st)
{
	PGTransactionStatusType t = PQtransactionStatus(pgs(st)->conn);

	return t == PQTRANS_INTRANS || t == PQTRANS_INERROR;
}

/*
 * SQLite's SAVEPOINT outside a transaction starts one, which its RELEASE
 * commits: the same here, so a store call that holds a savepoint of its
 * own (a report and its first event) is atomic with or without the
 * caller's transaction.
 */
int
pgs_savepoint(struct store *st)
{
	struct pgstore *g = pgs(st);

	if (g->savepoints == 0) {
		g->sp_began = PQtransactionStatus(g->conn) == PQTRANS_IDLE;
		if (g->sp_began &&
		    pgs_exec(st, &core, C_BEGIN, NULL, NULL) != 0)
			return STORE_ERR;
	}
	if (pgs_exec(st, &core, C_SAVEPOINT, NULL, NULL) != 0)
		return STORE_ERR;
	g->savepoints++;
	return 0;
}

/* After the outermost savepoint: the transaction it began ends. */
static int
sp_end(struct store *st)
{
	struct pgstore *g = pgs(st);

	if (--g->savepoints > 0 || !g->sp_began)
		return 0;
	g->sp_began = 0;
	return pgs_commit(st);
}

int
pgs_release(struct store *st)
{
	if (pgs_exec(st, &core, C_RELEASE, NULL, NULL) != 0)
		return STORE_ERR;
	return sp_end(st);
}

int
pgs_rollback_to(struct store *st)
{
	if (PQtransactionStatus(pgs(st)->conn) == PQTRANS_IDLE) {
		pgs(st)->savepoints = 0;
		return 0;
	}
	if (pgs_exec(st, &core, C_ROLLBACK_TO, NULL, NULL) != 0)
		return STORE_ERR;
	return pgs_release(st);
}

int
pgs_guard(struct store *st)
{
	/* Outside a transaction a failed statement ends nothing else. */
	pgs(st)->unguarded = PQtransactionStatus(pgs(st)->conn) == PQTRANS_IDLE;
	if (pgs(st)->unguarded)
		return 0;
	return pgs_exec(st, &core, C_GUARD, NULL, NULL);
}

int
pgs_unguard(struct store *st, int ok)
{
	char state[sizeof(pgs(st)->sqlstate)];
	int rc;

	if (pgs(st)->unguarded) {
		pgs(st)->unguarded = 0;
		return 0;
	}
	/* The failure's SQLSTATE outlives the rollback to the guard. */
	memcpy(state, pgs(st)->sqlstate, sizeof(state));
	if (!ok && pgs_exec(st, &core, C_UNGUARD_FAIL, NULL, NULL) != 0)
		return STORE_ERR;
	rc = pgs_exec(st, &core, C_UNGUARD_OK, NULL, NULL);
	memcpy(pgs(st)->sqlstate, state, sizeof(state));
	return rc;
}
