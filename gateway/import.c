/*
 * import.c: CSV to data table. libcsv does the RFC 4180 parsing; this file
 * keeps line numbers, checks the header and the rows, turns each row into a
 * JSON object and hands it to the store inside one transaction.
 *
 * libcsv reports a field only once it has ended, so it cannot say where a
 * row began. The importer feeds it one line at a time and tracks the quote
 * parity itself: a line end outside quotes ends a row, so the next row
 * starts on the next line (or later, when blank lines follow). In strict
 * mode a quote can only open a field, close it or be doubled inside it, so
 * the parity is exact for any input libcsv accepts.
 */
#include "import.h"

#include <sys/stat.h>

#include <csv.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store.h"
#include "util.h"

#define READ_CHUNK (64 * 1024)
/* Room for one row as JSON: every byte escaped as \u00XX, plus names. */
#define ROW_JSON_MAX \
	(IMPORT_MAX_COLUMNS * (6 * (size_t)IMPORT_MAX_FIELD * 2 + 8) + 16)
#define CELLS_MAX (IMPORT_MAX_COLUMNS * ((size_t)IMPORT_MAX_FIELD + 1))

/*
 * libcsv collects a field in a buffer that grows without bound; this cap
 * keeps one line of the input from taking memory up to the import limit.
 * Unquoted fields may carry trailing blanks that libcsv trims only at the
 * field's end, hence the headroom.
 */
#define CSV_BUFFER_MAX ((size_t)IMPORT_MAX_FIELD + 4096)

static const unsigned char bom[3] = {0xef, 0xbb, 0xbf};

struct import {
	struct store *st;       /* where the rows go */
	const char *table;      /* table name */
	const char *key_column; /* name of the key column */
	struct csv_parser csv;  /* libcsv state */
	uint64_t line;          /* line being fed, from 1 */
	uint64_t row_line;      /* line where the current row starts */
	int in_quotes;          /* quote parity at the current byte */
	size_t bom_seen;        /* BOM bytes matched at the start, up to 3 */
	int bom_done;           /* the start of input is past */
	int own_txn;            /* BEGIN was ours, else a savepoint */

	int header_done;                   /* the header row was read */
	char *columns[IMPORT_MAX_COLUMNS]; /* column names */
	size_t ncolumns;                   /* how many */
	size_t key_index;                  /* index of the key column */

	struct buf cells; /* the current row's fields, NUL-ended */
	size_t off[IMPORT_MAX_COLUMNS]; /* each field's offset in cells */
	size_t len[IMPORT_MAX_COLUMNS]; /* each field's length */
	size_t nfields;                 /* fields seen in the row, all */
	struct buf json;                /* scratch for the row's JSON */

	long rows;    /* rows stored */
	int64_t now;  /* time of the import */
	int err;      /* first failure, an enum import_status, or 0 */
	char *errmsg; /* its message */
};

static void
import_fail(struct import *, int, const char *, ...) PRINTFLIKE(3, 4);

/* Records the first failure; later ones are consequences and dropped. */
static void
import_fail(struct import *im, int err, const char *fmt, ...)
{
	va_list ap;

	if (im->err != 0)
		return;
	im->err = err;
	va_start(ap, fmt);
	im->errmsg = xvasprintf(fmt, ap);
	va_end(ap);
}

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

/*
 * Checks that s[0..n) is well-formed UTF-8 (no overlong forms, surrogates
 * or code points beyond U+10FFFF) without NUL bytes.
 */
static int
utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0, k, need;
	uint32_t cp, min;

	while (i < n) {
		unsigned char c = s[i];

		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
			min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
			min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
			min = 0x10000;
		} else
			return 0;
		if (n - i - 1 < need)
			return 0;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += need + 1;
	}
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
 * libcsv's field callback: checks the field and keeps a copy until the
 * row ends. s may be NULL for an empty field.
 */
static void
on_field(void *s, size_t n, void *arg)
{
	struct import *im = arg;
	size_t limit;

	if (im->err != 0)
		return;
	limit = im->header_done ? im->ncolumns : IMPORT_MAX_COLUMNS;
	if (im->nfields >= limit) {
		if (!im->header_done) {
			import_fail(im, IMPORT_EINVAL,
			    "line %llu: more than %d columns",
			    (unsigned long long)im->row_line,
			    IMPORT_MAX_COLUMNS);
			return;
		}
		/* Too many fields: count them for the message at row end. */
		im->nfields++;
		return;
	}
	if (n > IMPORT_MAX_FIELD) {
		import_fail(im, IMPORT_EINVAL,
		    "line %llu: field %zu is longer than %d bytes",
		    (unsigned long long)im->row_line, im->nfields + 1,
		    IMPORT_MAX_FIELD);
		return;
	}
	if (s == NULL)
		s = "";
	if (!utf8_valid(s, n)) {
		import_fail(im, IMPORT_EINVAL,
		    "line %llu: field %zu is not valid UTF-8 text",
		    (unsigned long long)im->row_line, im->nfields + 1);
		return;
	}
	im->off[im->nfields] = im->cells.len;
	im->len[im->nfields] = n;
	/* Cannot fail: cells has room for the maximum row. */
	if (buf_append(&im->cells, s, n) < 0 ||
	    buf_append(&im->cells, "", 1) < 0) {
		import_fail(im, IMPORT_EINVAL, "line %llu: row too long",
		    (unsigned long long)im->row_line);
		return;
	}
	im->nfields++;
}

/* A pointer to field i of the current row (NUL-terminated). */
static const char *
field(struct import *im, size_t i)
{
	return im->cells.data + im->off[i];
}

/* Checks the header row and starts replacing the table. */
static void
header_row(struct import *im)
{
	size_t i, j;
	int found = 0;

	for (i = 0; i < im->nfields; i++) {
		if (im->len[i] == 0) {
			import_fail(im, IMPORT_EINVAL,
			    "line %llu: column %zu has no name",
			    (unsigned long long)im->row_line, i + 1);
			return;
		}
		for (j = 0; j < i; j++)
			if (strcmp(field(im, i), field(im, j)) == 0) {
				import_fail(im, IMPORT_EINVAL,
				    "line %llu: duplicate column name \"%s\"",
				    (unsigned long long)im->row_line,
				    field(im, i));
				return;
			}
		if (strcmp(field(im, i), im->key_column) == 0) {
			im->key_index = i;
			found = 1;
		}
	}
	if (!found) {
		import_fail(im, IMPORT_EINVAL,
		    "key column \"%s\" is not in the header row (line %llu)",
		    im->key_column, (unsigned long long)im->row_line);
		return;
	}

	buf_reset(&im->json);
	buf_append(&im->json, "[", 1);
	for (i = 0; i < im->nfields; i++) {
		im->columns[i] = xstrndup(field(im, i), im->len[i]);
		if ((i > 0 && buf_append(&im->json, ",", 1) < 0) ||
		    json_put_string(&im->json, field(im, i), im->len[i]) < 0) {
			import_fail(im, IMPORT_EINVAL, "header row too long");
			return;
		}
	}
	buf_append(&im->json, "]", 1);
	im->ncolumns = im->nfields;
	im->header_done = 1;
	if (store_table_replace_begin(im->st, im->table, im->key_column,
		buf_cstr(&im->json), im->now) < 0)
		import_fail(im, IMPORT_ESTORE, "database error: %s",
		    store_errmsg(im->st));
}

/* Checks a data row and stores it. */
static void
data_row(struct import *im)
{
	size_t i, k = im->key_index;
	int rc;

	if (im->nfields != im->ncolumns) {
		import_fail(im, IMPORT_EINVAL,
		    "line %llu: expected %zu fields, found %zu",
		    (unsigned long long)im->row_line, im->ncolumns,
		    im->nfields);
		return;
	}
	if (im->len[k] == 0) {
		import_fail(im, IMPORT_EINVAL,
		    "line %llu: empty key (column %s)",
		    (unsigned long long)im->row_line, im->key_column);
		return;
	}

	buf_reset(&im->json);
	buf_append(&im->json, "{", 1);
	for (i = 0; i < im->ncolumns; i++) {
		if ((i > 0 && buf_append(&im->json, ",", 1) < 0) ||
		    json_put_string(&im->json, im->columns[i],
			strlen(im->columns[i])) < 0 ||
		    buf_append(&im->json, ":", 1) < 0 ||
		    json_put_string(&im->json, field(im, i), im->len[i]) < 0) {
			import_fail(im, IMPORT_EINVAL,
			    "line %llu: row too long",
			    (unsigned long long)im->row_line);
			return;
		}
	}
	if (buf_append(&im->json, "}", 1) < 0) {
		import_fail(im, IMPORT_EINVAL, "line %llu: row too long",
		    (unsigned long long)im->row_line);
		return;
	}

	rc = store_table_add_row(im->st, im->table, field(im, k), im->len[k],
	    im->json.data, im->json.len);
	if (rc == STORE_EDUP)
		import_fail(im, IMPORT_EINVAL,
		    "line %llu: duplicate key \"%.64s\"",
		    (unsigned long long)im->row_line, field(im, k));
	else if (rc < 0)
		import_fail(im, IMPORT_ESTORE, "database error: %s",
		    store_errmsg(im->st));
	else
		im->rows++;
}

/* libcsv's row callback (c is the terminator, or -1 at the end). */
static void
on_row(int c, void *arg)
{
	struct import *im = arg;

	(void)c;
	if (im->err == 0) {
		if (!im->header_done)
			header_row(im);
		else
			data_row(im);
	}
	buf_reset(&im->cells);
	im->nfields = 0;
}

/*
 * libcsv's allocator: refuses to grow a field's buffer past CSV_BUFFER_MAX,
 * which libcsv then reports as CSV_ENOMEM.
 */
static void *
csv_realloc_capped(void *p, size_t n)
{
	if (n > CSV_BUFFER_MAX)
		return NULL;
	return realloc(p, n);
}

/* Reports a libcsv failure at the current line. */
static void
parse_failed(struct import *im, uint64_t line)
{
	int e = csv_error(&im->csv);

	/* A refusal by csv_realloc_capped, rather than a real shortage. */
	if (e == CSV_ENOMEM && csv_get_buffer_size(&im->csv) > IMPORT_MAX_FIELD)
		import_fail(im, IMPORT_EINVAL,
		    "line %llu: field %zu is longer than %d bytes",
		    (unsigned long long)im->row_line, im->nfields + 1,
		    IMPORT_MAX_FIELD);
	else if (e == CSV_EPARSE)
		import_fail(im, IMPORT_EINVAL,
		    "line %llu: malformed CSV: a quote inside a field must be "
		    "doubled and the field quoted, and a closing quote must "
		    "end the field",
		    (unsigned long long)line);
	else
		import_fail(im, IMPORT_EINVAL, "line %llu: %s",
		    (unsigned long long)line, csv_strerror(e));
}

/* Feeds p[0..n) to libcsv a line at a time, keeping line numbers. */
static void
feed_lines(struct import *im, const char *p, size_t n)
{
	while (n > 0 && im->err == 0) {
		const char *nl = memchr(p, '\n', n);
		size_t k = nl != NULL ? (size_t)(nl - p) + 1 : n;
		const char *q;

		for (q = p; (q = memchr(q, '"', k - (size_t)(q - p))) != NULL;
		     q++)
			im->in_quotes = !im->in_quotes;
		if (csv_parse(&im->csv, p, k, on_field, on_row, im) != k) {
			parse_failed(im, im->line);
			return;
		}
		if (nl != NULL) {
			im->line++;
			if (!im->in_quotes)
				im->row_line = im->line;
		}
		p += k;
		n -= k;
	}
}

/* Feeds input, skipping a UTF-8 BOM at its very start. */
static void
feed(struct import *im, const char *p, size_t n)
{
	while (!im->bom_done && n > 0) {
		if ((unsigned char)*p == bom[im->bom_seen]) {
			p++;
			n--;
			if (++im->bom_seen == sizeof(bom))
				im->bom_done = 1;
			continue;
		}
		/* Not a BOM after all: what matched is data. */
		im->bom_done = 1;
		feed_lines(im, (const char *)bom, im->bom_seen);
	}
	feed_lines(im, p, n);
}

/* Ends the input: flushes libcsv and checks there was a header. */
static void
finish(struct import *im)
{
	if (!im->bom_done) {
		im->bom_done = 1;
		feed_lines(im, (const char *)bom, im->bom_seen);
	}
	if (im->err != 0)
		return;
	if (csv_fini(&im->csv, on_field, on_row, im) != 0) {
		if (csv_error(&im->csv) == CSV_EPARSE)
			import_fail(im, IMPORT_EINVAL,
			    "line %llu: quoted field not closed at the end of "
			    "the input",
			    (unsigned long long)im->row_line);
		else
			parse_failed(im, im->line);
		return;
	}
	if (im->err == 0 && !im->header_done)
		import_fail(
		    im, IMPORT_EINVAL, "no header row: the input is empty");
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
	im->line = 1;
	im->row_line = 1;
	im->now = now_ms();
	buf_init(&im->cells, CELLS_MAX);
	buf_init(&im->json, ROW_JSON_MAX);
	if (!import_table_name_valid(table)) {
		import_fail(im, IMPORT_EINVAL,
		    "bad table name \"%.64s\": use lowercase letters, digits "
		    "and _, not starting with a digit, at most %d bytes",
		    table != NULL ? table : "", IMPORT_MAX_TABLE_NAME);
		return im->err;
	}
	if (key_column == NULL || key_column[0] == '\0') {
		import_fail(im, IMPORT_EINVAL, "no key column given");
		return im->err;
	}
	if (csv_init(&im->csv, CSV_STRICT | CSV_STRICT_FINI) != 0) {
		import_fail(im, IMPORT_ESTORE, "cannot set up the CSV parser");
		return im->err;
	}
	csv_set_realloc_func(&im->csv, csv_realloc_capped);
	csv_set_free_func(&im->csv, free);
	/*
	 * BEGIN IMMEDIATE takes the write lock at once, waiting for other
	 * writers; inside the caller's transaction a savepoint nests.
	 */
	im->own_txn = !store_in_transaction(st);
	if ((im->own_txn ? store_begin(st) : store_savepoint(st)) < 0) {
		csv_free(&im->csv);
		import_fail(
		    im, IMPORT_ESTORE, "database error: %s", store_errmsg(st));
		return im->err;
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
	size_t i;
	long rc;

	if (started) {
		if (im->err == 0 &&
		    store_table_replace_end(im->st, im->table, im->rows) < 0)
			import_fail(im, IMPORT_ESTORE, "database error: %s",
			    store_errmsg(im->st));
		if (im->err == 0 && (im->own_txn ? store_commit(im->st)
						 : store_release(im->st)) < 0)
			import_fail(im, IMPORT_ESTORE, "database error: %s",
			    store_errmsg(im->st));
		if (im->err != 0) {
			if (im->own_txn)
				store_rollback(im->st);
			else
				store_rollback_to(im->st);
		}
		csv_free(&im->csv);
	}
	for (i = 0; i < im->ncolumns; i++)
		free(im->columns[i]);
	buf_free(&im->cells);
	buf_free(&im->json);
	if (im->err != 0) {
		log_info("import", "refused table=%s error=\"%s\"",
		    import_table_name_valid(im->table) ? im->table : "?",
		    log_text(im->errmsg, scrub, sizeof(scrub)));
		if (errmsg != NULL)
			*errmsg = im->errmsg;
		else
			free(im->errmsg);
		return im->err;
	}
	log_info(
	    "import", "table replaced table=%s rows=%ld", im->table, im->rows);
	if (errmsg != NULL)
		*errmsg = NULL;
	rc = im->rows;
	return rc;
}

long
import_csv_buf(struct store *st, const char *table, const char *key_column,
    const void *data, size_t len, import_progress_cb progress, void *arg,
    char **errmsg)
{
	struct import im;
	const char *p = data;
	size_t done = 0, k;

	if (len > IMPORT_MAX_BYTES) {
		if (errmsg != NULL)
			*errmsg = xasprintf("the input is larger than %d MiB",
			    IMPORT_MAX_BYTES / (1024 * 1024));
		return IMPORT_ETOOBIG;
	}
	if (import_start(&im, st, table, key_column) < 0)
		return import_end(&im, 0, errmsg);
	while (done < len && im.err == 0) {
		k = len - done < READ_CHUNK ? len - done : READ_CHUNK;
		feed(&im, p + done, k);
		done += k;
		if (progress != NULL)
			progress(arg, done, len);
	}
	finish(&im);
	return import_end(&im, 1, errmsg);
}

long
import_csv_file(struct store *st, const char *table, const char *key_column,
    FILE *fp, import_progress_cb progress, void *arg, char **errmsg)
{
	struct import im;
	struct stat sb;
	uint64_t total = 0, done = 0;
	char *chunk;
	size_t n;
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
	chunk = xmalloc(READ_CHUNK);
	while (im.err == 0) {
		n = fread(chunk, 1, READ_CHUNK, fp);
		if (n > 0) {
			if (done + n > IMPORT_MAX_BYTES) {
				import_fail(&im, IMPORT_ETOOBIG,
				    "the input is larger than %d MiB",
				    IMPORT_MAX_BYTES / (1024 * 1024));
				break;
			}
			feed(&im, chunk, n);
			done += n;
			if (progress != NULL)
				progress(arg, done, total);
		}
		if (n < READ_CHUNK) {
			if (ferror(fp))
				import_fail(&im, IMPORT_EIO, "read error: %s",
				    strerror(errno));
			break;
		}
	}
	free(chunk);
	if (im.err == 0)
		finish(&im);
	return import_end(&im, 1, errmsg);
}
