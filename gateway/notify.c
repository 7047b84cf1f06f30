/*
 * notify.c: personal notifications from a CSV file, one message per row,
 * each rendered from a flow template with the row's columns.
 *
 * The CSV is read as import.c reads it: libcsv in strict mode, fed one
 * line at a time while the quote parity is tracked here, so that every
 * error names the line where its row starts. The whole run is one
 * transaction: the first error rolls back whatever the earlier rows
 * queued or created.
 */
#include "broadcast.h"

#include <sys/stat.h>

#include <csv.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "flows/template.h"
#include "log.h"
#include "outq.h"
#include "phone.h"
#include "util.h"

#define READ_CHUNK (64 * 1024)
#define CELLS_MAX (NOTIFY_MAX_COLUMNS * ((size_t)NOTIFY_MAX_FIELD + 1))
/* libcsv's field buffer may not grow past this (see import.c). */
#define CSV_BUFFER_MAX ((size_t)NOTIFY_MAX_FIELD + 4096)

static const unsigned char bom[3] = {0xef, 0xbb, 0xbf};

struct notify {
	struct store *st;                 /* where the messages go */
	const struct config *cfg;         /* channels, country code */
	const struct notify_request *req; /* what to send */
	struct template *tpl;             /* req->template, compiled */
	const char *channel;              /* the run's own channel */
	struct broadcast_summary *out;    /* the figures so far */
	int64_t now;                      /* time of the run */
	int txn;                          /* 1: BEGIN is ours, 2: savepoint */

	struct csv_parser csv; /* libcsv state */
	int csv_ready;         /* csv_init succeeded */
	uint64_t line;         /* line being fed, from 1 */
	uint64_t row_line;     /* line where the current row starts */
	int in_quotes;         /* quote parity at the current byte */
	size_t bom_seen;       /* BOM bytes matched at the start */
	int bom_done;          /* the start of input is past */

	int header_done;                   /* the header row was read */
	char *columns[NOTIFY_MAX_COLUMNS]; /* column names */
	size_t ncolumns;                   /* how many */
	size_t phone_index;                /* index of "phone" */
	struct buf cells;                  /* the row's fields, NUL-ended */
	size_t off[NOTIFY_MAX_COLUMNS];    /* each field's offset in cells */
	size_t len[NOTIFY_MAX_COLUMNS];    /* each field's length */
	size_t nfields;                    /* fields seen in the row */
	struct buf text;                   /* a rendered message */
	uint64_t rows;                     /* data rows seen */

	int err;      /* first failure, an enum broadcast_status, or 0 */
	char *errmsg; /* its message */
};

static void
notify_fail(struct notify *, int, const char *, ...) PRINTFLIKE(3, 4);

/* Records the first failure; later ones are consequences and dropped. */
static void
notify_fail(struct notify *nt, int err, const char *fmt, ...)
{
	va_list ap;

	if (nt->err != 0)
		return;
	nt->err = err;
	va_start(ap, fmt);
	nt->errmsg = xvasprintf(fmt, ap);
	va_end(ap);
}

/* Well-formed UTF-8 without NUL bytes (the rules of import.c). */
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

static const char *
field(const struct notify *nt, size_t i)
{
	return nt->cells.data + nt->off[i];
}

static int
column_index(const struct notify *nt, const char *name)
{
	size_t i;

	for (i = 0; i < nt->ncolumns; i++)
		if (strcmp(nt->columns[i], name) == 0)
			return (int)i;
	return -1;
}

/* libcsv's field callback: checks the field and keeps it for the row. */
static void
on_field(void *s, size_t n, void *arg)
{
	struct notify *nt = arg;
	size_t limit;

	if (nt->err != 0)
		return;
	limit = nt->header_done ? nt->ncolumns : NOTIFY_MAX_COLUMNS;
	if (nt->nfields >= limit) {
		if (!nt->header_done) {
			notify_fail(nt, BROADCAST_EINVAL,
			    "line %llu: more than %d columns",
			    (unsigned long long)nt->row_line,
			    NOTIFY_MAX_COLUMNS);
			return;
		}
		/* Too many fields: counted for the message at row end. */
		nt->nfields++;
		return;
	}
	if (n > NOTIFY_MAX_FIELD) {
		notify_fail(nt, BROADCAST_EINVAL,
		    "line %llu: field %zu is longer than %d bytes",
		    (unsigned long long)nt->row_line, nt->nfields + 1,
		    NOTIFY_MAX_FIELD);
		return;
	}
	if (s == NULL)
		s = "";
	if (!utf8_valid(s, n)) {
		notify_fail(nt, BROADCAST_EINVAL,
		    "line %llu: field %zu is not valid UTF-8 text",
		    (unsigned long long)nt->row_line, nt->nfields + 1);
		return;
	}
	nt->off[nt->nfields] = nt->cells.len;
	nt->len[nt->nfields] = n;
	if (buf_append(&nt->cells, s, n) < 0 ||
	    buf_append(&nt->cells, "", 1) < 0) {
		notify_fail(nt, BROADCAST_EINVAL, "line %llu: row too long",
		    (unsigned long long)nt->row_line);
		return;
	}
	nt->nfields++;
}

/*
 * Checks the header row and the template's placeholders against it, then
 * opens the transaction and records the run.
 */
static void
header_row(struct notify *nt)
{
	const struct template_part *p;
	size_t i, j;
	int phone = -1;

	for (i = 0; i < nt->nfields; i++) {
		if (nt->len[i] == 0) {
			notify_fail(nt, BROADCAST_EINVAL,
			    "line %llu: column %zu has no name",
			    (unsigned long long)nt->row_line, i + 1);
			return;
		}
		for (j = 0; j < i; j++)
			if (strcmp(field(nt, i), field(nt, j)) == 0) {
				notify_fail(nt, BROADCAST_EINVAL,
				    "line %llu: duplicate column name "
				    "\"%.64s\"",
				    (unsigned long long)nt->row_line,
				    field(nt, i));
				return;
			}
		if (strcmp(field(nt, i), "phone") == 0)
			phone = (int)i;
	}
	if (phone < 0) {
		notify_fail(nt, BROADCAST_EINVAL,
		    "line %llu: the header row has no \"phone\" column",
		    (unsigned long long)nt->row_line);
		return;
	}
	for (i = 0; i < nt->nfields; i++)
		nt->columns[i] = xstrndup(field(nt, i), nt->len[i]);
	nt->ncolumns = nt->nfields;
	nt->phone_index = (size_t)phone;
	nt->header_done = 1;

	for (i = 0; i < nt->tpl->nparts; i++) {
		p = &nt->tpl->parts[i];
		if (p->kind != TPART_VAR)
			continue;
		if (p->field != NULL || column_index(nt, p->root) < 0) {
			notify_fail(nt, BROADCAST_EINVAL,
			    "the template names {%.128s} but the CSV has no "
			    "such column (header on line %llu)",
			    p->text, (unsigned long long)nt->row_line);
			return;
		}
	}
	if (nt->req->dry_run)
		return;
	nt->txn = store_in_transaction(nt->st) ? 2 : 1;
	if ((nt->txn == 1 ? store_begin(nt->st) : store_savepoint(nt->st)) !=
	    0) {
		nt->txn = 0;
		notify_fail(nt, BROADCAST_ESTORE, "database error: %s",
		    store_errmsg(nt->st));
		return;
	}
	if (broadcast_record(nt->st, nt->req->template, NULL, nt->channel,
		nt->now, nt->out->send_at, &nt->out->id) != 0)
		notify_fail(nt, BROADCAST_ESTORE, "database error: %s",
		    store_errmsg(nt->st));
}

/* The template's resolver: a placeholder is a column of the row. */
static int
resolve(void *arg, const char *root, const char *fld, const char *path,
    struct buf *out)
{
	struct notify *nt = arg;
	int i;

	(void)fld;
	(void)path;
	if ((i = column_index(nt, root)) < 0)
		return 0;
	return buf_append(out, field(nt, (size_t)i), nt->len[i]) < 0 ? -1 : 0;
}

/* Checks a data row, renders its text and queues it. */
static void
data_row(struct notify *nt)
{
	struct store_contact c;
	struct gsm_info gi;
	char phone[PHONE_MAX];
	const char *channel;
	int rc;

	if (nt->nfields != nt->ncolumns) {
		notify_fail(nt, BROADCAST_EINVAL,
		    "line %llu: expected %zu fields, found %zu",
		    (unsigned long long)nt->row_line, nt->ncolumns,
		    nt->nfields);
		return;
	}
	if (++nt->rows > NOTIFY_MAX_ROWS) {
		notify_fail(nt, BROADCAST_ETOOBIG,
		    "line %llu: more than %d rows",
		    (unsigned long long)nt->row_line, NOTIFY_MAX_ROWS);
		return;
	}
	if ((rc = phone_normalize(field(nt, nt->phone_index),
		 nt->cfg->country_code, phone, sizeof(phone))) != 0) {
		notify_fail(nt, BROADCAST_EINVAL,
		    "line %llu: bad phone number \"%.32s\": %s",
		    (unsigned long long)nt->row_line,
		    field(nt, nt->phone_index), phone_strerror(rc));
		return;
	}
	buf_reset(&nt->text);
	if (template_render(nt->tpl, &nt->text, resolve, nt) != 0) {
		notify_fail(nt, BROADCAST_EINVAL,
		    "line %llu: the text is longer than %d bytes",
		    (unsigned long long)nt->row_line, BROADCAST_MAX_TEXT);
		return;
	}
	if (nt->text.len == 0) {
		notify_fail(nt, BROADCAST_EINVAL,
		    "line %llu: the text is empty",
		    (unsigned long long)nt->row_line);
		return;
	}

	memset(&c, 0, sizeof(c));
	if (nt->req->dry_run)
		rc = store_contact_find(nt->st, phone, &c);
	else
		rc = store_contact_get(nt->st, phone, nt->now, &c);
	if (rc < 0) {
		notify_fail(nt, BROADCAST_ESTORE,
		    "line %llu: database error: %s",
		    (unsigned long long)nt->row_line, store_errmsg(nt->st));
		return;
	}
	if (rc == 0 && c.opted_out) {
		nt->out->skipped++;
		store_contact_free(&c);
		return;
	}
	gsm_count(buf_cstr(&nt->text), &gi);
	channel = broadcast_channel_for(nt->cfg, c.last_channel, nt->channel);
	if (!nt->req->dry_run &&
	    outq_enqueue(nt->st, channel, phone, c.id, buf_cstr(&nt->text),
		nt->out->id, nt->out->send_at, nt->now, NULL) != 0)
		notify_fail(nt, BROADCAST_ESTORE,
		    "line %llu: database error: %s",
		    (unsigned long long)nt->row_line, store_errmsg(nt->st));
	store_contact_free(&c);
	if (nt->err != 0)
		return;
	nt->out->recipients++;
	nt->out->total_segments += (int64_t)gi.segments;
	if ((int64_t)gi.segments > nt->out->segments)
		nt->out->segments = (int64_t)gi.segments;
	if (gi.encoding == GSM_ENC_GSM7)
		nt->out->gsm7++;
	else {
		nt->out->ucs2++;
		nt->out->encoding = GSM_ENC_UCS2;
	}
}

/* libcsv's row callback. */
static void
on_row(int c, void *arg)
{
	struct notify *nt = arg;

	(void)c;
	if (nt->err == 0) {
		if (!nt->header_done)
			header_row(nt);
		else
			data_row(nt);
	}
	buf_reset(&nt->cells);
	nt->nfields = 0;
}

static void *
csv_realloc_capped(void *p, size_t n)
{
	if (n > CSV_BUFFER_MAX)
		return NULL;
	return realloc(p, n);
}

/* Reports a libcsv failure at line. */
static void
parse_failed(struct notify *nt, uint64_t line)
{
	int e = csv_error(&nt->csv);

	if (e == CSV_ENOMEM && csv_get_buffer_size(&nt->csv) > NOTIFY_MAX_FIELD)
		notify_fail(nt, BROADCAST_EINVAL,
		    "line %llu: field %zu is longer than %d bytes",
		    (unsigned long long)nt->row_line, nt->nfields + 1,
		    NOTIFY_MAX_FIELD);
	else if (e == CSV_EPARSE)
		notify_fail(nt, BROADCAST_EINVAL,
		    "line %llu: malformed CSV: a quote inside a field must be "
		    "doubled and the field quoted",
		    (unsigned long long)line);
	else
		notify_fail(nt, BROADCAST_EINVAL, "line %llu: %s",
		    (unsigned long long)line, csv_strerror(e));
}

/* Feeds p[0..n) to libcsv a line at a time, keeping line numbers. */
static void
feed_lines(struct notify *nt, const char *p, size_t n)
{
	while (n > 0 && nt->err == 0) {
		const char *nl = memchr(p, '\n', n);
		size_t k = nl != NULL ? (size_t)(nl - p) + 1 : n;
		const char *q;

		for (q = p; (q = memchr(q, '"', k - (size_t)(q - p))) != NULL;
		     q++)
			nt->in_quotes = !nt->in_quotes;
		if (csv_parse(&nt->csv, p, k, on_field, on_row, nt) != k) {
			parse_failed(nt, nt->line);
			return;
		}
		if (nl != NULL) {
			nt->line++;
			if (!nt->in_quotes)
				nt->row_line = nt->line;
		}
		p += k;
		n -= k;
	}
}

/* Feeds input, skipping a UTF-8 BOM at its very start. */
static void
feed(struct notify *nt, const char *p, size_t n)
{
	while (!nt->bom_done && n > 0) {
		if ((unsigned char)*p == bom[nt->bom_seen]) {
			p++;
			n--;
			if (++nt->bom_seen == sizeof(bom))
				nt->bom_done = 1;
			continue;
		}
		nt->bom_done = 1;
		feed_lines(nt, (const char *)bom, nt->bom_seen);
	}
	feed_lines(nt, p, n);
}

static void
finish(struct notify *nt)
{
	if (!nt->bom_done) {
		nt->bom_done = 1;
		feed_lines(nt, (const char *)bom, nt->bom_seen);
	}
	if (nt->err != 0)
		return;
	if (csv_fini(&nt->csv, on_field, on_row, nt) != 0) {
		if (csv_error(&nt->csv) == CSV_EPARSE)
			notify_fail(nt, BROADCAST_EINVAL,
			    "line %llu: quoted field not closed at the end of "
			    "the input",
			    (unsigned long long)nt->row_line);
		else
			parse_failed(nt, nt->line);
		return;
	}
	if (nt->err == 0 && !nt->header_done)
		notify_fail(
		    nt, BROADCAST_EINVAL, "no header row: the input is empty");
}

/* Checks the request and sets the run up. Returns 0 or nt->err. */
static int
notify_start(struct notify *nt, struct store *st, const struct config *cfg,
    const struct notify_request *req, int64_t now,
    struct broadcast_summary *out)
{
	struct template_error te;
	struct gsm_info gi;
	const struct channel_config *ch;
	const char *want;
	size_t n;

	memset(nt, 0, sizeof(*nt));
	memset(out, 0, sizeof(*out));
	nt->st = st;
	nt->cfg = cfg;
	nt->req = req;
	nt->out = out;
	nt->now = now;
	nt->line = 1;
	nt->row_line = 1;
	buf_init(&nt->cells, CELLS_MAX);
	buf_init(&nt->text, BROADCAST_MAX_TEXT);
	out->send_at = req->send_at > 0 ? req->send_at : now;
	out->encoding = GSM_ENC_GSM7;

	if (req->template == NULL || req->template[0] == '\0') {
		notify_fail(nt, BROADCAST_EINVAL, "the text is empty");
		return nt->err;
	}
	n = strnlen(req->template, TEMPLATE_MAX_SRC + 1);
	if (n > TEMPLATE_MAX_SRC) {
		notify_fail(nt, BROADCAST_EINVAL,
		    "the template is longer than %d bytes", TEMPLATE_MAX_SRC);
		return nt->err;
	}
	if (gsm_count(req->template, &gi) != 0 || gi.invalid) {
		notify_fail(
		    nt, BROADCAST_EINVAL, "the template is not valid UTF-8");
		return nt->err;
	}
	if (template_compile(req->template, n, &nt->tpl, &te) != 0) {
		notify_fail(nt, BROADCAST_EINVAL,
		    "the template, column %zu: %s", te.col, te.msg);
		return nt->err;
	}
	want = req->channel != NULL ? req->channel : cfg->default_channel;
	if (want == NULL) {
		notify_fail(nt, BROADCAST_EINVAL,
		    "no channel given and no default_channel in the config");
		return nt->err;
	}
	if ((ch = config_channel(cfg, want)) == NULL) {
		notify_fail(
		    nt, BROADCAST_EINVAL, "no channel named \"%.64s\"", want);
		return nt->err;
	}
	nt->channel = out->channel = ch->name;
	if (csv_init(&nt->csv, CSV_STRICT | CSV_STRICT_FINI) != 0) {
		notify_fail(
		    nt, BROADCAST_ESTORE, "cannot set up the CSV parser");
		return nt->err;
	}
	csv_set_realloc_func(&nt->csv, csv_realloc_capped);
	csv_set_free_func(&nt->csv, free);
	nt->csv_ready = 1;
	return 0;
}

/* Commits or rolls back, frees the run and hands the message over. */
static int
notify_end(struct notify *nt, char **errmsg)
{
	size_t i;

	if (nt->txn != 0 && nt->err == 0 &&
	    broadcast_record_done(nt->st, nt->out->id, nt->out->recipients,
		nt->out->segments) != 0)
		notify_fail(nt, BROADCAST_ESTORE, "database error: %s",
		    store_errmsg(nt->st));
	if (nt->txn != 0 && nt->err == 0 &&
	    (nt->txn == 1 ? store_commit(nt->st) : store_release(nt->st)) != 0)
		notify_fail(nt, BROADCAST_ESTORE, "database error: %s",
		    store_errmsg(nt->st));
	if (nt->txn != 0 && nt->err != 0) {
		if (nt->txn == 1)
			store_rollback(nt->st);
		else
			store_rollback_to(nt->st);
	}
	if (nt->csv_ready)
		csv_free(&nt->csv);
	template_free(nt->tpl);
	for (i = 0; i < nt->ncolumns; i++)
		free(nt->columns[i]);
	buf_free(&nt->cells);
	buf_free(&nt->text);
	if (nt->err != 0) {
		/* The message may hold a row's data: not at level info. */
		log_debug("notify", "refused error=\"%s\"", nt->errmsg);
		if (errmsg != NULL)
			*errmsg = nt->errmsg;
		else
			free(nt->errmsg);
		nt->out->id = 0;
		nt->out->recipients = 0;
		return nt->err;
	}
	if (!nt->req->dry_run)
		log_info("notify",
		    "queued id=%lld recipients=%lld skipped=%lld",
		    (long long)nt->out->id, (long long)nt->out->recipients,
		    (long long)nt->out->skipped);
	if (errmsg != NULL)
		*errmsg = NULL;
	return 0;
}

int
notify_csv_buf(struct store *st, const struct config *cfg,
    const struct notify_request *req, const void *data, size_t len, int64_t now,
    broadcast_progress_cb progress, void *arg, struct broadcast_summary *out,
    char **errmsg)
{
	struct notify nt;
	const char *p = data;
	size_t done = 0, k;

	if (notify_start(&nt, st, cfg, req, now, out) != 0)
		return notify_end(&nt, errmsg);
	if (len > NOTIFY_MAX_BYTES) {
		notify_fail(&nt, BROADCAST_ETOOBIG,
		    "the input is larger than %d MiB",
		    NOTIFY_MAX_BYTES / (1024 * 1024));
		return notify_end(&nt, errmsg);
	}
	while (done < len && nt.err == 0) {
		k = len - done < READ_CHUNK ? len - done : READ_CHUNK;
		feed(&nt, p + done, k);
		done += k;
		if (progress != NULL)
			progress(arg, done, len);
	}
	if (nt.err == 0)
		finish(&nt);
	return notify_end(&nt, errmsg);
}

int
notify_csv_file(struct store *st, const struct config *cfg,
    const struct notify_request *req, FILE *fp, int64_t now,
    broadcast_progress_cb progress, void *arg, struct broadcast_summary *out,
    char **errmsg)
{
	struct notify nt;
	struct stat sb;
	uint64_t total = 0, done = 0;
	char *chunk;
	size_t n;

	if (notify_start(&nt, st, cfg, req, now, out) != 0)
		return notify_end(&nt, errmsg);
	if (fstat(fileno(fp), &sb) == 0 && S_ISREG(sb.st_mode))
		total = (uint64_t)sb.st_size;
	if (total > NOTIFY_MAX_BYTES) {
		notify_fail(&nt, BROADCAST_ETOOBIG,
		    "the file is larger than %d MiB",
		    NOTIFY_MAX_BYTES / (1024 * 1024));
		return notify_end(&nt, errmsg);
	}
	chunk = xmalloc(READ_CHUNK);
	while (nt.err == 0) {
		n = fread(chunk, 1, READ_CHUNK, fp);
		if (n > 0) {
			if (done + n > NOTIFY_MAX_BYTES) {
				notify_fail(&nt, BROADCAST_ETOOBIG,
				    "the input is larger than %d MiB",
				    NOTIFY_MAX_BYTES / (1024 * 1024));
				break;
			}
			feed(&nt, chunk, n);
			done += n;
			if (progress != NULL)
				progress(arg, done, total);
		}
		if (n < READ_CHUNK) {
			if (ferror(fp))
				notify_fail(&nt, BROADCAST_EIO,
				    "read error: %s", strerror(errno));
			break;
		}
	}
	free(chunk);
	if (nt.err == 0)
		finish(&nt);
	return notify_end(&nt, errmsg);
}
