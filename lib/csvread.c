/*
 * csvread.c: the strict CSV reader. libcsv does the RFC 4180 parsing; this
 * file keeps line numbers, checks the header and the fields, and hands
 * whole rows to its caller.
 *
 * libcsv reports a field only once it has ended, so it cannot say where a
 * row began. The reader feeds it one line at a time and tracks the quote
 * parity itself: a line end outside quotes ends a row, so the next row
 * starts on the next line (or later, when blank lines follow). In strict
 * mode a quote can only open a field, close it or be doubled inside it, so
 * the parity is exact for any input libcsv accepts.
 */
#include "lib/csvread.h"

#include <csv.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

#define READ_CHUNK (64 * 1024)
#define MIB (1024 * 1024)

/*
 * libcsv collects a field in a buffer that grows without bound; a cap keeps
 * one line of the input from taking memory up to the input's limit.
 * Unquoted fields may carry trailing blanks that libcsv trims only at the
 * field's end, hence the headroom past max_field.
 */
#define BUFFER_HEADROOM 4096

static const unsigned char bom[3] = {0xef, 0xbb, 0xbf};

struct csvread {
	struct csvread_params par; /* the limits */
	csvread_row_cb on_header;  /* called with the header */
	csvread_row_cb on_data;    /* called with each data row */
	void *arg;                 /* their argument */

	struct csv_parser csv; /* libcsv state */
	size_t buffer_max;     /* cap on libcsv's field buffer */
	uint64_t line;         /* line being fed, from 1 */
	uint64_t row_line;     /* line where the current row starts */
	int in_quotes;         /* quote parity at the current byte */
	size_t bom_seen;       /* BOM bytes matched at the start, up to 3 */
	int bom_done;          /* the start of input is past */
	uint64_t bytes;        /* bytes fed so far */
	int finished;          /* csvread_finish ran */

	struct buf cells;   /* the current row's fields, NUL-ended */
	size_t *off;        /* each field's offset in cells */
	size_t *len;        /* each field's length */
	const char **field; /* each field, set when the row ends */
	size_t nfields;     /* fields seen in the row, all */

	int header_done;           /* the header row was read */
	char **names;              /* the header's copy of its fields */
	size_t *name_len;          /* their lengths */
	struct csvread_row header; /* the header, over names */

	int err;      /* first failure, an enum csvread_status, or 0 */
	char *errmsg; /* its message */
};

/*
 * The reader inside libcsv right now, for the allocator below (libcsv
 * gives it no argument). Saved and restored around each call into libcsv.
 */
static _Thread_local const struct csvread *parsing;

static void fail(struct csvread *, int, const char *, ...) PRINTFLIKE(3, 4);
static void fail_row(struct csvread *, const char *, ...) PRINTFLIKE(2, 3);

/* Records the first failure; later ones are consequences and dropped. */
static void
fail(struct csvread *r, int err, const char *fmt, ...)
{
	va_list ap;

	if (r->err != 0)
		return;
	r->err = err;
	va_start(ap, fmt);
	r->errmsg = xvasprintf(fmt, ap);
	va_end(ap);
}

static void
fail_line(struct csvread *, uint64_t, const char *, va_list) PRINTFLIKE(3, 0);

/* Records a CSVREAD_EINVAL at line, as "line N: MESSAGE". */
static void
fail_line(struct csvread *r, uint64_t line, const char *fmt, va_list ap)
{
	char *msg;

	if (r->err != 0)
		return;
	msg = xvasprintf(fmt, ap);
	fail(r, CSVREAD_EINVAL, "line %llu: %s", (unsigned long long)line, msg);
	free(msg);
}

/* Records a CSVREAD_EINVAL at the line where the current row starts. */
static void
fail_row(struct csvread *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fail_line(r, r->row_line, fmt, ap);
	va_end(ap);
}

/* The same at the line being fed. */
static void fail_here(struct csvread *, const char *, ...) PRINTFLIKE(2, 3);

static void
fail_here(struct csvread *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fail_line(r, r->line, fmt, ap);
	va_end(ap);
}

/* Refuses input past max_bytes, in MiB when it is a whole number of them. */
static void
fail_too_big(struct csvread *r)
{
	if (r->par.max_bytes % MIB == 0)
		fail(r, CSVREAD_ETOOBIG, "the input is larger than %llu MiB",
		    (unsigned long long)(r->par.max_bytes / MIB));
	else
		fail(r, CSVREAD_ETOOBIG, "the input is larger than %llu bytes",
		    (unsigned long long)r->par.max_bytes);
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

/*
 * libcsv's field callback: checks the field and keeps a copy until the
 * row ends. s may be NULL for an empty field.
 */
static void
on_field(void *s, size_t n, void *arg)
{
	struct csvread *r = arg;
	size_t limit;

	if (r->err != 0)
		return;
	limit = r->header_done ? r->header.nfields : r->par.max_columns;
	if (r->nfields >= limit) {
		if (!r->header_done) {
			fail_row(
			    r, "more than %zu columns", r->par.max_columns);
			return;
		}
		/* Too many fields: count them for the message at row end. */
		r->nfields++;
		return;
	}
	if (n > r->par.max_field) {
		fail_row(r, "field %zu is longer than %zu bytes",
		    r->nfields + 1, r->par.max_field);
		return;
	}
	if (s == NULL)
		s = "";
	if (!utf8_valid(s, n)) {
		fail_row(
		    r, "field %zu is not valid UTF-8 text", r->nfields + 1);
		return;
	}
	r->off[r->nfields] = r->cells.len;
	r->len[r->nfields] = n;
	/* Cannot fail: cells has room for the maximum row. */
	if (buf_append(&r->cells, s, n) < 0 ||
	    buf_append(&r->cells, "", 1) < 0) {
		fail_row(r, "row too long");
		return;
	}
	r->nfields++;
}

/* Checks the header's names, keeps a copy and hands it over. */
static void
header_row(struct csvread *r, const struct csvread_row *row)
{
	size_t i, j;

	for (i = 0; i < row->nfields; i++) {
		if (row->lens[i] == 0) {
			fail_row(r, "column %zu has no name", i + 1);
			return;
		}
		for (j = 0; j < i; j++)
			if (strcmp(row->fields[i], row->fields[j]) == 0) {
				if (r->par.name_max > 0)
					fail_row(r,
					    "duplicate column name \"%.*s\"",
					    r->par.name_max, row->fields[i]);
				else
					fail_row(r,
					    "duplicate column name \"%s\"",
					    row->fields[i]);
				return;
			}
	}
	r->names = xcalloc(row->nfields, sizeof(*r->names));
	r->name_len = xcalloc(row->nfields, sizeof(*r->name_len));
	for (i = 0; i < row->nfields; i++) {
		r->names[i] = xstrndup(row->fields[i], row->lens[i]);
		r->name_len[i] = row->lens[i];
	}
	r->header.line = row->line;
	r->header.nfields = row->nfields;
	r->header.fields = (const char *const *)r->names;
	r->header.lens = r->name_len;
	r->header_done = 1;
	if (r->on_header(r->arg, &r->header) != 0)
		fail(r, CSVREAD_ESTOP, "stopped");
}

/* Checks a data row's field count and hands it over. */
static void
data_row(struct csvread *r, const struct csvread_row *row)
{
	if (row->nfields != r->header.nfields) {
		fail_row(r, "expected %zu fields, found %zu", r->header.nfields,
		    row->nfields);
		return;
	}
	if (r->on_data(r->arg, row) != 0)
		fail(r, CSVREAD_ESTOP, "stopped");
}

/* libcsv's row callback (c is the terminator, or -1 at the end). */
static void
on_row(int c, void *arg)
{
	struct csvread *r = arg;
	struct csvread_row row;
	size_t i, kept;

	(void)c;
	if (r->err == 0) {
		kept = r->header_done && r->nfields > r->header.nfields
			   ? r->header.nfields
			   : r->nfields;
		for (i = 0; i < kept; i++)
			r->field[i] = r->cells.data + r->off[i];
		row.line = r->row_line;
		row.nfields = r->nfields;
		row.fields = r->field;
		row.lens = r->len;
		if (!r->header_done)
			header_row(r, &row);
		else
			data_row(r, &row);
	}
	buf_reset(&r->cells);
	r->nfields = 0;
}

/*
 * libcsv's allocator: refuses to grow a field's buffer past the reader's
 * cap, which libcsv then reports as CSV_ENOMEM.
 */
static void *
realloc_capped(void *p, size_t n)
{
	size_t max = parsing != NULL
			 ? parsing->buffer_max
			 : (size_t)CSVREAD_MAX_FIELD + BUFFER_HEADROOM;

	if (n > max)
		return NULL;
	return realloc(p, n);
}

/* Reports a libcsv failure. */
static void
parse_failed(struct csvread *r)
{
	int e = csv_error(&r->csv);

	/* A refusal by realloc_capped, rather than a real shortage. */
	if (e == CSV_ENOMEM && csv_get_buffer_size(&r->csv) > r->par.max_field)
		fail_row(r, "field %zu is longer than %zu bytes",
		    r->nfields + 1, r->par.max_field);
	else if (e == CSV_EPARSE &&
		 (r->par.flags & CSVREAD_QUOTE_HINT_SHORT) != 0)
		fail_here(r, "malformed CSV: a quote inside a field must be "
			     "doubled and the field quoted");
	else if (e == CSV_EPARSE)
		fail_here(r, "malformed CSV: a quote inside a field must be "
			     "doubled and the field quoted, and a closing "
			     "quote must end the field");
	else
		fail_here(r, "%s", csv_strerror(e));
}

/* Feeds p[0..n) to libcsv a line at a time, keeping line numbers. */
static void
feed_lines(struct csvread *r, const char *p, size_t n)
{
	const struct csvread *saved = parsing;

	parsing = r;
	while (n > 0 && r->err == 0) {
		const char *nl = memchr(p, '\n', n);
		size_t k = nl != NULL ? (size_t)(nl - p) + 1 : n;
		const char *q;

		for (q = p; (q = memchr(q, '"', k - (size_t)(q - p))) != NULL;
		     q++)
			r->in_quotes = !r->in_quotes;
		if (csv_parse(&r->csv, p, k, on_field, on_row, r) != k) {
			parse_failed(r);
			break;
		}
		if (nl != NULL) {
			r->line++;
			if (!r->in_quotes)
				r->row_line = r->line;
		}
		p += k;
		n -= k;
	}
	parsing = saved;
}

struct csvread *
csvread_new(const struct csvread_params *par, csvread_row_cb on_header,
    csvread_row_cb on_row_cb, void *arg)
{
	struct csvread *r;

	if (par == NULL || on_header == NULL || on_row_cb == NULL ||
	    par->max_columns < 1 || par->max_columns > CSVREAD_MAX_COLUMNS ||
	    par->max_field < 1 || par->max_field > CSVREAD_MAX_FIELD ||
	    par->max_bytes < 1 || par->name_max < 0)
		return NULL;
	r = xcalloc(1, sizeof(*r));
	if (csv_init(&r->csv, CSV_STRICT | CSV_STRICT_FINI) != 0) {
		free(r);
		return NULL;
	}
	csv_set_realloc_func(&r->csv, realloc_capped);
	csv_set_free_func(&r->csv, free);
	r->par = *par;
	r->on_header = on_header;
	r->on_data = on_row_cb;
	r->arg = arg;
	r->buffer_max = par->max_field + BUFFER_HEADROOM;
	r->line = 1;
	r->row_line = 1;
	buf_init(&r->cells, par->max_columns * (par->max_field + 1));
	r->off = xcalloc(par->max_columns, sizeof(*r->off));
	r->len = xcalloc(par->max_columns, sizeof(*r->len));
	r->field = xcalloc(par->max_columns, sizeof(*r->field));
	return r;
}

void
csvread_free(struct csvread *r)
{
	size_t i;

	if (r == NULL)
		return;
	csv_free(&r->csv);
	buf_free(&r->cells);
	free(r->off);
	free(r->len);
	free(r->field);
	for (i = 0; i < r->header.nfields; i++)
		free(r->names[i]);
	free(r->names);
	free(r->name_len);
	free(r->errmsg);
	free(r);
}

int
csvread_feed(struct csvread *r, const void *data, size_t n)
{
	const char *p = data;

	if (r->err != 0 || n == 0)
		return r->err;
	if (r->finished) {
		fail(r, CSVREAD_EINVAL, "input after the end of the input");
		return r->err;
	}
	if (n > r->par.max_bytes - r->bytes) {
		fail_too_big(r);
		return r->err;
	}
	r->bytes += n;
	/* Skip a UTF-8 BOM at the very start, which may come in pieces. */
	while (!r->bom_done && n > 0) {
		if ((unsigned char)*p == bom[r->bom_seen]) {
			p++;
			n--;
			if (++r->bom_seen == sizeof(bom))
				r->bom_done = 1;
			continue;
		}
		/* Not a BOM after all: what matched is data. */
		r->bom_done = 1;
		feed_lines(r, (const char *)bom, r->bom_seen);
	}
	feed_lines(r, p, n);
	return r->err;
}

int
csvread_finish(struct csvread *r)
{
	const struct csvread *saved = parsing;
	int rc;

	if (!r->bom_done) {
		r->bom_done = 1;
		feed_lines(r, (const char *)bom, r->bom_seen);
	}
	if (r->err != 0 || r->finished)
		return r->err;
	r->finished = 1;
	parsing = r;
	rc = csv_fini(&r->csv, on_field, on_row, r);
	parsing = saved;
	if (rc != 0) {
		if (csv_error(&r->csv) == CSV_EPARSE)
			fail_row(r, "quoted field not closed at the end of the "
				    "input");
		else
			parse_failed(r);
		return r->err;
	}
	if (r->err == 0 && !r->header_done)
		fail(r, CSVREAD_EINVAL, "no header row: the input is empty");
	return r->err;
}

int
csvread_buf(struct csvread *r, const void *data, size_t len,
    csvread_progress_cb progress, void *arg)
{
	const char *p = data;
	size_t done = 0, k;

	if (len > r->par.max_bytes - r->bytes) {
		fail_too_big(r);
		return r->err;
	}
	while (done < len && r->err == 0) {
		k = len - done < READ_CHUNK ? len - done : READ_CHUNK;
		csvread_feed(r, p + done, k);
		done += k;
		if (progress != NULL)
			progress(arg, done, len);
	}
	return csvread_finish(r);
}

int
csvread_file(struct csvread *r, FILE *fp, uint64_t total,
    csvread_progress_cb progress, void *arg)
{
	uint64_t done = 0;
	char *chunk;
	size_t n;

	chunk = xmalloc(READ_CHUNK);
	while (r->err == 0) {
		n = fread(chunk, 1, READ_CHUNK, fp);
		if (n > 0) {
			if (csvread_feed(r, chunk, n) == CSVREAD_ETOOBIG)
				break;
			done += n;
			if (progress != NULL)
				progress(arg, done, total);
		}
		if (n < READ_CHUNK) {
			if (ferror(fp))
				fail(r, CSVREAD_EIO, "read error: %s",
				    strerror(errno));
			break;
		}
	}
	free(chunk);
	return csvread_finish(r);
}

int
csvread_status(const struct csvread *r)
{
	return r->err;
}

const char *
csvread_errmsg(const struct csvread *r)
{
	return r->err != 0 && r->err != CSVREAD_ESTOP ? r->errmsg : NULL;
}

const struct csvread_row *
csvread_header(const struct csvread *r)
{
	return r->header_done ? &r->header : NULL;
}
