/*
 * import.c: CSV to data table. csvread.c reads and checks the CSV; this
 * file checks the key column, turns each row into a JSON object and hands
 * it to the store inside one transaction.
 */
#include "council/import.h"

#include <sys/stat.h>

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "council/csvfail.h"
#include "gateway/answer.h"
#include "gateway/api.h"
#include "gateway/auth.h"
#include "gateway/gateway.h"
#include "gateway/store.h"
#include "lib/csvread.h"
#include "lib/form.h"
#include "lib/log.h"
#include "lib/util.h"

/* Room for one row as JSON: every byte escaped as \u00XX, plus names. */
#define ROW_JSON_MAX \
	(IMPORT_MAX_COLUMNS * (6 * (size_t)IMPORT_MAX_FIELD * 2 + 8) + 16)

/* What the reader accepts. */
static const struct csvread_params csv_params = {
    .max_columns = IMPORT_MAX_COLUMNS,
    .max_field = IMPORT_MAX_FIELD,
    .max_bytes = IMPORT_MAX_BYTES,
    .name_max = 0,
    .flags = 0,
};

struct import {
	struct store *st;       /* where the rows go */
	const char *table;      /* table name */
	const char *key_column; /* name of the key column */
	struct csvread *csv;    /* the reader */
	int own_txn;            /* BEGIN was ours, else a savepoint */
	size_t key_index;       /* index of the key column */
	struct buf json;        /* scratch for the row's JSON */

	long rows;           /* rows stored */
	int64_t now;         /* time of the import */
	struct csvfail fail; /* the first, an enum import_status */
};

int
import_table_name_valid(const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0' ||
	    strnlen(s, IMPORT_MAX_TABLE_NAME + 1) > IMPORT_MAX_TABLE_NAME)
		return 0;
	if (!(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z')))
		return 0;
	for (i = 1; s[i] != '\0'; i++)
		if (!(s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') ||
			(s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

/* Appends s[0..n) as a JSON string. Returns 0, or -1 past the buffer max. */
static int
json_put_string(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, start = 0;
	char esc[7];

	if (buf_append(b, "\"", 1) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *e = NULL;
		size_t elen = 2;

		if (c == '"')
			e = "\\\"";
		else if (c == '\\')
			e = "\\\\";
		else if (c == '\n')
			e = "\\n";
		else if (c == '\r')
			e = "\\r";
		else if (c == '\t')
			e = "\\t";
		else if (c < 0x20) {
			esc[0] = '\\';
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			e = esc;
			elen = 6;
		}
		if (e == NULL)
			continue;
		if (buf_append(b, s + start, i - start) < 0 ||
		    buf_append(b, e, elen) < 0)
			return -1;
		start = i + 1;
	}
	if (buf_append(b, s + start, n - start) < 0 ||
	    buf_append(b, "\"", 1) < 0)
		return -1;
	return 0;
}

/*
 * The reader's header callback: finds the key column and starts replacing
 * the table.
 */
static int
on_header(void *arg, const struct csvread_row *h)
{
	struct import *im = arg;
	size_t i;
	int found = 0;

	for (i = 0; i < h->nfields; i++)
		if (strcmp(h->fields[i], im->key_column) == 0) {
			im->key_index = i;
			found = 1;
		}
	if (!found && h->nfields == 1 &&
	    (strchr(h->fields[0], ';') != NULL ||
		strchr(h->fields[0], '\t') != NULL)) {
		/* A spreadsheet's export in a locale that separates with ';'
		   (or a tab): one column whose name holds them all. */
		csvfail_set(&im->fail, IMPORT_EINVAL,
		    "key column \"%s\" is not in the header row (line %llu): "
		    "it is one column, with '%c' in its name; the file must "
		    "separate columns with commas (save it as CSV with ',' as "
		    "the separator)",
		    im->key_column, (unsigned long long)h->line,
		    strchr(h->fields[0], ';') != NULL ? ';' : '\t');
		return -1;
	}
	if (!found) {
		csvfail_set(&im->fail, IMPORT_EINVAL,
		    "key column \"%s\" is not in the header row (line %llu)",
		    im->key_column, (unsigned long long)h->line);
		return -1;
	}

	buf_reset(&im->json);
	buf_append(&im->json, "[", 1);
	for (i = 0; i < h->nfields; i++) {
		if ((i > 0 && buf_append(&im->json, ",", 1) < 0) ||
		    json_put_string(&im->json, h->fields[i], h->lens[i]) < 0) {
			csvfail_set(
			    &im->fail, IMPORT_EINVAL, "header row too long");
			return -1;
		}
	}
	buf_append(&im->json, "]", 1);
	if (store_table_replace_begin(im->st, im->table, im->key_column,
		buf_cstr(&im->json), im->now) < 0) {
		csvfail_set(&im->fail, IMPORT_ESTORE, "database error: %s",
		    store_errmsg(im->st));
		return -1;
	}
	return 0;
}

/* The reader's row callback: checks the key and stores the row. */
static int
on_row(void *arg, const struct csvread_row *row)
{
	struct import *im = arg;
	const struct csvread_row *h = csvread_header(im->csv);
	size_t i, k = im->key_index;
	int rc;

	if (row->lens[k] == 0) {
		csvfail_set(&im->fail, IMPORT_EINVAL,
		    "line %llu: empty key (column %s)",
		    (unsigned long long)row->line, im->key_column);
		return -1;
	}

	buf_reset(&im->json);
	buf_append(&im->json, "{", 1);
	for (i = 0; i < h->nfields; i++) {
		if ((i > 0 && buf_append(&im->json, ",", 1) < 0) ||
		    json_put_string(&im->json, h->fields[i], h->lens[i]) < 0 ||
		    buf_append(&im->json, ":", 1) < 0 ||
		    json_put_string(&im->json, row->fields[i], row->lens[i]) <
			0) {
			csvfail_set(&im->fail, IMPORT_EINVAL,
			    "line %llu: row too long",
			    (unsigned long long)row->line);
			return -1;
		}
	}
	if (buf_append(&im->json, "}", 1) < 0) {
		csvfail_set(&im->fail, IMPORT_EINVAL, "line %llu: row too long",
		    (unsigned long long)row->line);
		return -1;
	}

	rc = store_table_add_row(im->st, im->table, row->fields[k],
	    row->lens[k], im->json.data, im->json.len);
	if (rc == STORE_EDUP)
		csvfail_set(&im->fail, IMPORT_EINVAL,
		    "line %llu: duplicate key \"%.64s\"",
		    (unsigned long long)row->line, row->fields[k]);
	else if (rc < 0)
		csvfail_set(&im->fail, IMPORT_ESTORE, "database error: %s",
		    store_errmsg(im->st));
	else {
		im->rows++;
		return 0;
	}
	return -1;
}

/*
 * Sets up an import and opens its transaction (a savepoint when the caller
 * already holds one). Returns 0 or a negative enum import_status.
 */
static int
import_start(struct import *im, struct store *st, const char *table,
    const char *key_column)
{
	memset(im, 0, sizeof(*im));
	im->st = st;
	im->table = table;
	im->key_column = key_column;
	im->now = now_ms();
	buf_init(&im->json, ROW_JSON_MAX);
	if (!import_table_name_valid(table)) {
		csvfail_set(&im->fail, IMPORT_EINVAL,
		    "bad table name \"%.64s\": use " IMPORT_TABLE_NAME_RULE,
		    table != NULL ? table : "");
		return im->fail.err;
	}
	if (key_column == NULL || key_column[0] == '\0') {
		csvfail_set(&im->fail, IMPORT_EINVAL, "no key column given");
		return im->fail.err;
	}
	im->csv = csvread_new(&csv_params, on_header, on_row, im);
	if (im->csv == NULL) {
		csvfail_set(
		    &im->fail, IMPORT_ESTORE, "cannot set up the CSV parser");
		return im->fail.err;
	}
	/*
	 * BEGIN IMMEDIATE takes the write lock at once, waiting for other
	 * writers; inside the caller's transaction a savepoint nests.
	 */
	im->own_txn = !store_in_transaction(st);
	if ((im->own_txn ? store_begin(st) : store_savepoint(st)) < 0) {
		csvfail_set(&im->fail, IMPORT_ESTORE, "database error: %s",
		    store_errmsg(st));
		return im->fail.err;
	}
	return 0;
}

/*
 * Commits or rolls back, frees the import and returns the row count or the
 * failure, handing the message to the caller.
 */
static long
import_end(struct import *im, int started, char **errmsg)
{
	char scrub[300];

	if (started) {
		if (im->fail.err == 0 &&
		    store_table_replace_end(im->st, im->table, im->rows) < 0)
			csvfail_set(&im->fail, IMPORT_ESTORE,
			    "database error: %s", store_errmsg(im->st));
		if (im->fail.err == 0 &&
		    (im->own_txn ? store_commit(im->st)
				 : store_release(im->st)) < 0)
			csvfail_set(&im->fail, IMPORT_ESTORE,
			    "database error: %s", store_errmsg(im->st));
		if (im->fail.err != 0) {
			if (im->own_txn)
				store_rollback(im->st);
			else
				store_rollback_to(im->st);
		}
	}
	csvread_free(im->csv);
	buf_free(&im->json);
	if (im->fail.err != 0) {
		log_info("import", "refused table=%s error=\"%s\"",
		    import_table_name_valid(im->table) ? im->table : "?",
		    log_text(im->fail.errmsg, scrub, sizeof(scrub)));
		return csvfail_end(&im->fail, errmsg);
	}
	log_info(
	    "import", "table replaced table=%s rows=%ld", im->table, im->rows);
	csvfail_end(&im->fail, errmsg);
	return im->rows;
}

long
import_csv_buf(struct store *st, const char *table, const char *key_column,
    const void *data, size_t len, import_progress_cb progress, void *arg,
    char **errmsg)
{
	struct import im;

	if (len > IMPORT_MAX_BYTES) {
		if (errmsg != NULL)
			*errmsg = xasprintf("the input is larger than %d MiB",
			    IMPORT_MAX_BYTES / (1024 * 1024));
		return IMPORT_ETOOBIG;
	}
	if (import_start(&im, st, table, key_column) < 0)
		return import_end(&im, 0, errmsg);
	csvfail_read(&im.fail, im.csv,
	    csvread_buf(im.csv, data, len, progress, arg), IMPORT_ETOOBIG,
	    IMPORT_EIO, IMPORT_EINVAL);
	return import_end(&im, 1, errmsg);
}

long
import_csv_file(struct store *st, const char *table, const char *key_column,
    FILE *fp, import_progress_cb progress, void *arg, char **errmsg)
{
	struct import im;
	struct stat sb;
	uint64_t total = 0;
	long pos;

	if (fstat(fileno(fp), &sb) == 0 && S_ISREG(sb.st_mode)) {
		pos = ftell(fp);
		total = (uint64_t)sb.st_size;
		if (pos > 0 && (uint64_t)pos <= total)
			total -= (uint64_t)pos;
		if (total > IMPORT_MAX_BYTES) {
			if (errmsg != NULL)
				*errmsg =
				    xasprintf("the file is larger than %d MiB",
					IMPORT_MAX_BYTES / (1024 * 1024));
			return IMPORT_ETOOBIG;
		}
	}
	if (import_start(&im, st, table, key_column) < 0)
		return import_end(&im, 0, errmsg);
	csvfail_read(&im.fail, im.csv,
	    csvread_file(im.csv, fp, total, progress, arg), IMPORT_ETOOBIG,
	    IMPORT_EIO, IMPORT_EINVAL);
	return import_end(&im, 1, errmsg);
}

/* The admin API: PUT /api/v1/tables/NAME. */

struct table_put {
	struct http_request *req;
	char *name;
	long rows;
};

static void
on_table_committed(void *arg, int ok)
{
	struct table_put *tp = arg;

	if (!ok)
		answer_error(tp->req, 503, "the store failed; try again");
	else
		answer_json(tp->req, 200,
		    json_pack("{s:s, s:i}", "table", tp->name, "rows",
			(int)tp->rows));
	free(tp->name);
	free(tp);
}

/* PUT /api/v1/tables/NAME?key=COLUMN with a CSV body: replace the table. */
static void
put_table(struct gateway *gw, struct http_request *req, const char *name)
{
	struct table_put *tp;
	struct form q;
	const char *key, *why = NULL;
	char *err = NULL, object[80], detail[32];
	long rows;

	if (auth_require(req, ROLE_ADMIN) != 0)
		return;
	if (!import_table_name_valid(name)) {
		answer_error(
		    req, 404, "a table name is " IMPORT_TABLE_NAME_RULE);
		return;
	}
	memset(&q, 0, sizeof(q));
	if (form_parse(&q, req->query, strlen(req->query), &why) != 0 ||
	    (key = form_get(&q, "key")) == NULL || *key == '\0') {
		form_free(&q);
		answer_error(
		    req, 400, "the query must name the key: ?key=COLUMN");
		return;
	}
	/* The import and its audit entry: one savepoint. */
	if (batch_begin(&gw->batch) != 0 || store_savepoint(gw->store) != 0) {
		form_free(&q);
		answer_error(req, 503, "the store failed; try again");
		return;
	}
	/* Inside the turn's transaction the import is a savepoint. */
	rows = import_csv_buf(
	    gw->store, name, key, req->body, req->body_len, NULL, NULL, &err);
	form_free(&q);
	snprintf(object, sizeof(object), "table/%s", name);
	snprintf(detail, sizeof(detail), "rows=%ld", rows);
	if (rows >= 0 &&
	    (audit_record(gw, req, "table.replace", object, detail) != 0 ||
		store_release(gw->store) != 0))
		rows = IMPORT_ESTORE;
	if (rows < 0) {
		store_rollback_to(gw->store);
		answer_error(req,
		    rows == IMPORT_ETOOBIG  ? 413
		    : rows == IMPORT_ESTORE ? 503
					    : 400,
		    err                     ? err
		    : rows == IMPORT_ESTORE ? "the store failed; try again"
					    : "the CSV was refused");
		free(err);
		return;
	}
	tp = xmalloc(sizeof(*tp));
	tp->req = req;
	tp->name = xstrdup(name);
	tp->rows = rows;
	batch_defer(&gw->batch, on_table_committed, tp);
}

void
import_api(struct gateway *gw, struct http_request *req, const char *rest)
{
	if (strncmp(rest, "tables/", 7) != 0) {
		answer_error(req, 404, "no such table");
		return;
	}
	if (strcmp(req->method, "PUT") != 0) {
		answer_method(req, "PUT");
		return;
	}
	put_table(gw, req, rest + 7);
}
