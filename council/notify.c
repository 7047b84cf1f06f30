/*
 * notify.c: personal notifications from a CSV file, one message per row,
 * each rendered from a flow template with the row's columns.
 *
 * The CSV is read by csvread.c, as for import.c, so that every error
 * names the line where its row starts. The whole run is one transaction:
 * the first error rolls back whatever the earlier rows queued or created.
 */
#include "council/broadcast.h"

#include <sys/stat.h>

#include <stdlib.h>
#include <string.h>

#include "council/csvfail.h"
#include "flows/template.h"
#include "gateway/outq.h"
#include "lib/csvread.h"
#include "lib/log.h"
#include "lib/phone.h"
#include "lib/util.h"

/*
 * What the reader accepts. The messages keep notify's own wording: a
 * duplicate column name quoted to 64 bytes, the shorter quote hint.
 */
static const struct csvread_params csv_params = {
    .max_columns = NOTIFY_MAX_COLUMNS,
    .max_field = NOTIFY_MAX_FIELD,
    .max_bytes = NOTIFY_MAX_BYTES,
    .name_max = 64,
    .flags = CSVREAD_QUOTE_HINT_SHORT,
};

struct notify {
	struct store *st;                 /* where the messages go */
	const struct config *cfg;         /* channels, country code */
	const struct notify_request *req; /* what to send */
	struct template *tpl;             /* req->template, compiled */
	const char *channel;              /* the run's own channel */
	struct broadcast_summary *out;    /* the figures so far */
	int64_t now;                      /* time of the run */
	int txn;                          /* 1: BEGIN is ours, 2: savepoint */

	struct csvread *csv;              /* the reader */
	const struct csvread_row *header; /* its header, once read */
	const struct csvread_row *row;    /* the data row at hand */
	size_t phone_index;               /* index of "phone" */
	struct buf text;                  /* a rendered message */
	uint64_t rows;                    /* data rows seen */

	struct csvfail fail; /* the first, an enum broadcast_status */

	notify_message_cb on_message; /* told of each message, or NULL */
	void *arg;                    /* its argument */
};

/* The index of the column named name, or -1. */
static int
column_index(const struct notify *nt, const char *name)
{
	size_t i;

	for (i = 0; i < nt->header->nfields; i++)
		if (strcmp(nt->header->fields[i], name) == 0)
			return (int)i;
	return -1;
}

/*
 * Checks the header row and the template's placeholders against it, then
 * opens the transaction and records the run.
 */
static void
header_row(struct notify *nt, const struct csvread_row *h)
{
	const struct template_part *p;
	size_t i;
	int phone = -1;

	for (i = 0; i < h->nfields; i++)
		if (strcmp(h->fields[i], "phone") == 0)
			phone = (int)i;
	if (phone < 0) {
		csvfail_set(&nt->fail, BROADCAST_EINVAL,
		    "line %llu: the header row has no \"phone\" column",
		    (unsigned long long)h->line);
		return;
	}
	nt->header = h;
	nt->phone_index = (size_t)phone;

	for (i = 0; i < nt->tpl->nparts; i++) {
		p = &nt->tpl->parts[i];
		if (p->kind != TPART_VAR)
			continue;
		if (p->field != NULL || column_index(nt, p->root) < 0) {
			csvfail_set(&nt->fail, BROADCAST_EINVAL,
			    "the template names {%.128s} but the CSV has no "
			    "such column (header on line %llu)",
			    p->text, (unsigned long long)h->line);
			return;
		}
	}
	if (nt->req->dry_run)
		return;
	nt->txn = store_in_transaction(nt->st) ? 2 : 1;
	if ((nt->txn == 1 ? store_begin(nt->st) : store_savepoint(nt->st)) !=
	    0) {
		nt->txn = 0;
		csvfail_set(&nt->fail, BROADCAST_ESTORE, "database error: %s",
		    store_errmsg(nt->st));
		return;
	}
	if (store_broadcast_insert(nt->st, nt->req->template, NULL, nt->channel,
		nt->now, nt->out->send_at, &nt->out->id) != 0)
		csvfail_set(&nt->fail, BROADCAST_ESTORE, "database error: %s",
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
	return buf_append(out, nt->row->fields[i], nt->row->lens[i]) < 0 ? -1
									 : 0;
}

/* Checks a data row, renders its text and queues it. */
static void
data_row(struct notify *nt, const struct csvread_row *row)
{
	struct store_contact c;
	struct outq_msg m;
	struct gsm_info gi;
	char phone[PHONE_MAX];
	const char *channel;
	int rc;

	nt->row = row;
	if (++nt->rows > NOTIFY_MAX_ROWS) {
		csvfail_set(&nt->fail, BROADCAST_ETOOBIG,
		    "line %llu: more than %d rows",
		    (unsigned long long)row->line, NOTIFY_MAX_ROWS);
		return;
	}
	if ((rc = phone_normalize(row->fields[nt->phone_index],
		 nt->cfg->country_code, phone, sizeof(phone))) != 0) {
		csvfail_set(&nt->fail, BROADCAST_EINVAL,
		    "line %llu: bad phone number \"%.32s\": %s",
		    (unsigned long long)row->line, row->fields[nt->phone_index],
		    phone_strerror(rc));
		return;
	}
	buf_reset(&nt->text);
	if (template_render(nt->tpl, &nt->text, resolve, nt) != 0) {
		csvfail_set(&nt->fail, BROADCAST_EINVAL,
		    "line %llu: the text is longer than %d bytes",
		    (unsigned long long)row->line, BROADCAST_MAX_TEXT);
		return;
	}
	if (nt->text.len == 0) {
		csvfail_set(&nt->fail, BROADCAST_EINVAL,
		    "line %llu: the text is empty",
		    (unsigned long long)row->line);
		return;
	}

	memset(&c, 0, sizeof(c));
	if (nt->req->dry_run)
		rc = store_contact_find(nt->st, phone, &c);
	else
		rc = store_contact_get(nt->st, phone, nt->now, &c);
	if (rc < 0) {
		csvfail_set(&nt->fail, BROADCAST_ESTORE,
		    "line %llu: database error: %s",
		    (unsigned long long)row->line, store_errmsg(nt->st));
		return;
	}
	if (rc == 0 && c.opted_out) {
		nt->out->skipped++;
		store_contact_free(&c);
		return;
	}
	gsm_count(buf_cstr(&nt->text), &gi);
	channel = broadcast_channel_for(nt->cfg, c.last_channel, nt->channel);
	m.channel = channel;
	m.phone = phone;
	m.text = buf_cstr(&nt->text);
	m.contact_id = c.id;
	m.broadcast_id = nt->out->id;
	m.not_before = nt->out->send_at;
	if (!nt->req->dry_run && outq_enqueue(nt->st, &m, nt->now, NULL) != 0)
		csvfail_set(&nt->fail, BROADCAST_ESTORE,
		    "line %llu: database error: %s",
		    (unsigned long long)row->line, store_errmsg(nt->st));
	store_contact_free(&c);
	if (nt->fail.err != 0)
		return;
	if (nt->on_message != NULL)
		nt->on_message(nt->arg, phone, buf_cstr(&nt->text), &gi);
	nt->out->recipients++;
	budget_add(&nt->out->send, nt->cfg, channel, (int64_t)gi.segments);
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

/* The reader's header callback. */
static int
on_header(void *arg, const struct csvread_row *h)
{
	struct notify *nt = arg;

	header_row(nt, h);
	return nt->fail.err != 0 ? -1 : 0;
}

/* The reader's row callback. */
static int
on_row(void *arg, const struct csvread_row *row)
{
	struct notify *nt = arg;

	data_row(nt, row);
	nt->row = NULL;
	return nt->fail.err != 0 ? -1 : 0;
}

/* Checks the request and sets the run up. Returns 0 or nt->fail.err. */
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
	buf_init(&nt->text, BROADCAST_MAX_TEXT);
	out->send_at = req->send_at > 0 ? req->send_at : now;
	out->encoding = GSM_ENC_GSM7;

	if (req->template == NULL || req->template[0] == '\0') {
		csvfail_set(&nt->fail, BROADCAST_EINVAL, "the text is empty");
		return nt->fail.err;
	}
	n = strnlen(req->template, TEMPLATE_MAX_SRC + 1);
	if (n > TEMPLATE_MAX_SRC) {
		csvfail_set(&nt->fail, BROADCAST_EINVAL,
		    "the template is longer than %d bytes", TEMPLATE_MAX_SRC);
		return nt->fail.err;
	}
	if (gsm_count(req->template, &gi) != 0 || gi.invalid) {
		csvfail_set(&nt->fail, BROADCAST_EINVAL,
		    "the template is not valid UTF-8");
		return nt->fail.err;
	}
	if (template_compile(req->template, n, &nt->tpl, &te) != 0) {
		csvfail_set(&nt->fail, BROADCAST_EINVAL,
		    "the template, column %zu: %s", te.col, te.msg);
		return nt->fail.err;
	}
	want = req->channel != NULL ? req->channel : cfg->default_channel;
	if (want == NULL) {
		csvfail_set(&nt->fail, BROADCAST_EINVAL,
		    "no channel given and no default_channel in the config");
		return nt->fail.err;
	}
	if ((ch = config_channel(cfg, want)) == NULL) {
		csvfail_set(&nt->fail, BROADCAST_EINVAL,
		    "no channel named \"%.64s\"", want);
		return nt->fail.err;
	}
	nt->channel = out->channel = ch->name;
	nt->csv = csvread_new(&csv_params, on_header, on_row, nt);
	if (nt->csv == NULL) {
		csvfail_set(&nt->fail, BROADCAST_ESTORE,
		    "cannot set up the CSV parser");
		return nt->fail.err;
	}
	return 0;
}

int
notify_check(
    const struct config *cfg, const struct notify_request *req, char **errmsg)
{
	struct broadcast_summary out;
	struct notify nt;

	notify_start(&nt, NULL, cfg, req, 0, &out);
	csvread_free(nt.csv);
	template_free(nt.tpl);
	buf_free(&nt.text);
	return csvfail_end(&nt.fail, errmsg);
}

/*
 * Refuses a run that would pass a channel's daily budget, in its open
 * transaction, unless forced.
 */
static void
check_budget(struct notify *nt)
{
	char msg[300];
	int rc;

	if (nt->txn == 0 || nt->fail.err != 0 || nt->req->force ||
	    !budget_any(nt->cfg))
		return;
	/* The run's messages are in the queue already: not twice. */
	nt->out->send.queued = 1;
	rc = budget_check(nt->st, nt->cfg, &nt->out->send, nt->out->send_at,
	    nt->now, &nt->out->over);
	if (rc == BUDGET_OVER)
		csvfail_set(&nt->fail, BROADCAST_EBUDGET, "%s",
		    budget_message(&nt->out->over, msg, sizeof(msg)));
	else if (rc != 0)
		csvfail_set(&nt->fail, BROADCAST_ESTORE, "database error: %s",
		    store_errmsg(nt->st));
}

/* Commits or rolls back, frees the run and hands the message over. */
static int
notify_end(struct notify *nt, char **errmsg)
{
	check_budget(nt);
	if (nt->txn != 0 && nt->fail.err == 0 &&
	    store_broadcast_set_totals(nt->st, nt->out->id, nt->out->recipients,
		nt->out->segments) != 0)
		csvfail_set(&nt->fail, BROADCAST_ESTORE, "database error: %s",
		    store_errmsg(nt->st));
	if (nt->txn != 0 && nt->fail.err == 0 &&
	    (nt->txn == 1 ? store_commit(nt->st) : store_release(nt->st)) != 0)
		csvfail_set(&nt->fail, BROADCAST_ESTORE, "database error: %s",
		    store_errmsg(nt->st));
	if (nt->txn != 0 && nt->fail.err != 0) {
		if (nt->txn == 1)
			store_rollback(nt->st);
		else
			store_rollback_to(nt->st);
	}
	csvread_free(nt->csv);
	template_free(nt->tpl);
	buf_free(&nt->text);
	if (nt->fail.err != 0) {
		/* The message may hold a row's data: not at level info. */
		log_debug("notify", "refused error=\"%s\"", nt->fail.errmsg);
		nt->out->id = 0;
		nt->out->recipients = 0;
		return csvfail_end(&nt->fail, errmsg);
	}
	if (!nt->req->dry_run)
		log_info("notify",
		    "queued id=%lld recipients=%lld skipped=%lld",
		    (long long)nt->out->id, (long long)nt->out->recipients,
		    (long long)nt->out->skipped);
	return csvfail_end(&nt->fail, errmsg);
}

int
notify_csv_buf(struct store *st, const struct config *cfg,
    const struct notify_request *req, const void *data, size_t len, int64_t now,
    broadcast_progress_cb progress, void *arg, struct broadcast_summary *out,
    char **errmsg)
{
	struct notify nt;

	if (notify_start(&nt, st, cfg, req, now, out) != 0)
		return notify_end(&nt, errmsg);
	/* The reader refuses len beyond NOTIFY_MAX_BYTES before reading. */
	csvfail_read(&nt.fail, nt.csv,
	    csvread_buf(nt.csv, data, len, progress, arg), BROADCAST_ETOOBIG,
	    BROADCAST_EIO, BROADCAST_EINVAL);
	return notify_end(&nt, errmsg);
}

int
notify_csv_each(struct store *st, const struct config *cfg,
    const struct notify_request *req, const void *data, size_t len, int64_t now,
    notify_message_cb on_message, void *arg, struct broadcast_summary *out,
    char **errmsg)
{
	struct notify nt;

	if (notify_start(&nt, st, cfg, req, now, out) != 0)
		return notify_end(&nt, errmsg);
	nt.on_message = on_message;
	nt.arg = arg;
	csvfail_read(&nt.fail, nt.csv,
	    csvread_buf(nt.csv, data, len, NULL, NULL), BROADCAST_ETOOBIG,
	    BROADCAST_EIO, BROADCAST_EINVAL);
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
	uint64_t total = 0;

	if (notify_start(&nt, st, cfg, req, now, out) != 0)
		return notify_end(&nt, errmsg);
	if (fstat(fileno(fp), &sb) == 0 && S_ISREG(sb.st_mode))
		total = (uint64_t)sb.st_size;
	if (total > NOTIFY_MAX_BYTES) {
		csvfail_set(&nt.fail, BROADCAST_ETOOBIG,
		    "the file is larger than %d MiB",
		    NOTIFY_MAX_BYTES / (1024 * 1024));
		return notify_end(&nt, errmsg);
	}
	csvfail_read(&nt.fail, nt.csv,
	    csvread_file(nt.csv, fp, total, progress, arg), BROADCAST_ETOOBIG,
	    BROADCAST_EIO, BROADCAST_EINVAL);
	return notify_end(&nt, errmsg);
}
