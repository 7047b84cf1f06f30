/*
 * cli_reports.c: `baraza reports [--status S]` and `baraza report ID
 * [--status S] [--note TEXT]`.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "council/reports.h"
#include "gateway/config.h"
#include "gateway/store.h"
#include "lib/gsm.h"
#include "lib/log.h"
#include "lib/util.h"

static const char statuses_help[] =
    "open, acknowledged, in_progress, resolved or closed";

/* "40s", "12m", "5h", "3d": how long ago ms was. */
static void
age(int64_t ms, int64_t now, char *out, size_t len)
{
	int64_t s = (now - ms) / 1000;

	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(out, len, "%" PRId64 "s", s);
	else if (s < 3600)
		snprintf(out, len, "%" PRId64 "m", s / 60);
	else if (s < 86400)
		snprintf(out, len, "%" PRId64 "h", s / 3600);
	else
		snprintf(out, len, "%" PRId64 "d", s / 86400);
}

/*
 * Prints at most width bytes of s on one line, padded with spaces to width
 * when pad is set: line breaks become spaces and a cut never splits a UTF-8
 * sequence.
 */
static void
print_cell(const char *s, size_t width, int pad)
{
	char cell[256];
	size_t n, i;

	if (s == NULL || *s == '\0')
		s = "-";
	n = strlen(s);
	if (width >= sizeof(cell))
		width = sizeof(cell) - 1;
	if (n > width) {
		n = width;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(cell, s, n);
	cell[n] = '\0';
	for (i = 0; i < n; i++)
		if (cell[i] == '\n' || cell[i] == '\r' || cell[i] == '\t')
			cell[i] = ' ';
	fputs(cell, stdout);
	for (; pad && n < width; n++)
		putchar(' ');
}

struct table {
	int64_t now;
	size_t rows;
};

static int
row_cb(void *arg, const struct store_report *r, const char *last_note)
{
	struct table *t = arg;
	char a[32];

	(void)last_note;
	age(r->created, t->now, a, sizeof(a));
	printf("%6" PRId64 "  %-12s  ", r->id, r->status);
	print_cell(r->category, 16, 1);
	fputs("  ", stdout);
	print_cell(r->location, 30, 1);
	printf("  %s\n", a);
	t->rows++;
	return 0;
}

/* baraza reports [--status S] */
int
cli_reports_list(int argc, char **argv, struct config *cfg)
{
	static const struct option opts[] = {
	    {"status", required_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	const char *status = NULL;
	struct store_report_filter f;
	struct table t;
	struct store *st;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 's')
			goto usage;
		status = optarg;
	}
	if (argc != optind)
		goto usage;
	if (status != NULL && !store_report_status_valid(status)) {
		fprintf(stderr, "baraza: unknown status %s: use %s\n", status,
		    statuses_help);
		return 2;
	}
	memset(&f, 0, sizeof(f));
	if (status != NULL) {
		f.statuses = &status;
		f.nstatuses = 1;
	}
	if ((st = cli_open_store(cfg)) == NULL)
		return 1;
	t.now = now_ms();
	t.rows = 0;
	printf("%6s  %-12s  %-16s  %-30s  %s\n", "ID", "STATUS", "CATEGORY",
	    "LOCATION", "AGE");
	rc = reports_each(st, &f, row_cb, &t);
	if (rc != 0) {
		fprintf(stderr, "baraza: %s\n", store_errmsg(st));
		store_close(st);
		return 1;
	}
	store_close(st);
	return 0;

usage:
	fprintf(
	    stderr, "baraza: bad usage\nusage: baraza reports [--status S]\n");
	return 2;
}

/* Prints report id with its events; returns 0 or an exit status. */
static int
show(struct store *st, int64_t id)
{
	struct reports_event *ev;
	struct store_report r;
	char t[32];
	size_t n, i;
	int rc;

	if ((rc = store_report_get(st, id, &r)) != 0) {
		if (rc == STORE_NOTFOUND)
			fprintf(stderr, "baraza: no report %" PRId64 "\n", id);
		else
			fprintf(stderr, "baraza: %s\n", store_errmsg(st));
		return 1;
	}
	printf("report    %" PRId64 "\n", r.id);
	printf("status    %s\n", r.status);
	printf("category  %s\n", r.category ? r.category : "-");
	printf("location  %s\n", r.location ? r.location : "-");
	printf("details   %s\n", r.details ? r.details : "-");
	printf("flow      %s\n", r.flow ? r.flow : "-");
	iso8601_utc(r.created, t, sizeof(t));
	printf("opened    %s\n", t);
	iso8601_utc(r.updated, t, sizeof(t));
	printf("updated   %s\n", t);
	store_report_free(&r);
	if (reports_events(st, id, &ev, &n) != 0) {
		fprintf(stderr, "baraza: %s\n", store_errmsg(st));
		return 1;
	}
	printf("events\n");
	for (i = 0; i < n; i++) {
		iso8601_utc(ev[i].time, t, sizeof(t));
		if (ev[i].note != NULL && *ev[i].note != '\0')
			printf(
			    "  %s  %-12s  %s\n", t, ev[i].status, ev[i].note);
		else
			printf("  %s  %s\n", t, ev[i].status);
	}
	reports_events_free(ev, n);
	return 0;
}

/* baraza report ID [--status S] [--note TEXT] */
int
cli_reports_show(int argc, char **argv, struct config *cfg)
{
	static const struct option opts[] = {
	    {"status", required_argument, NULL, 's'},
	    {"note", required_argument, NULL, 'n'},
	    {NULL, 0, NULL, 0},
	};
	struct reports_update_result res;
	const char *status = NULL, *note = NULL;
	struct gsm_info gi;
	struct store *st;
	int64_t id;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 's')
			status = optarg;
		else if (ch == 'n')
			note = optarg;
		else
			goto usage;
	}
	if (argc - optind != 1)
		goto usage;
	if ((id = str_id(argv[optind])) < 0) {
		fprintf(
		    stderr, "baraza: %s: not a report number\n", argv[optind]);
		return 2;
	}
	if (status != NULL && !store_report_status_valid(status)) {
		fprintf(stderr, "baraza: unknown status %s: use %s\n", status,
		    statuses_help);
		return 2;
	}
	if (note != NULL && strlen(note) > STORE_TEXT_MAX) {
		fprintf(stderr, "baraza: the note is longer than %d bytes\n",
		    STORE_TEXT_MAX);
		return 2;
	}
	if (note != NULL && (gsm_count(note, &gi) != 0 || gi.invalid)) {
		fprintf(stderr, "baraza: the note is not valid UTF-8\n");
		return 2;
	}
	if (note != NULL && *note == '\0' && status == NULL) {
		fprintf(stderr, "baraza: the note is empty\n");
		return 2;
	}
	if ((st = cli_open_store(cfg)) == NULL)
		return 1;
	if (status != NULL || note != NULL) {
		rc = store_begin(st);
		if (rc == 0)
			rc = reports_update(
			    st, cfg, id, status, note, now_ms(), &res);
		if (rc == 0)
			rc = store_commit(st);
		else if (store_in_transaction(st))
			store_rollback(st);
		if (rc == STORE_NOTFOUND) {
			fprintf(stderr, "baraza: no report %" PRId64 "\n", id);
			store_close(st);
			return 1;
		}
		if (rc != 0) {
			fprintf(stderr, "baraza: %s\n", store_errmsg(st));
			store_close(st);
			return 1;
		}
		if (res.message_id > 0)
			fprintf(stderr,
			    "baraza: the reporter is told by SMS (message "
			    "%" PRId64 ")\n",
			    res.message_id);
		else if (res.no_sms != NULL)
			fprintf(stderr, "baraza: no SMS to the reporter: %s\n",
			    res.no_sms);
	}
	rc = show(st, id);
	store_close(st);
	return rc;

usage:
	fprintf(stderr, "baraza: bad usage\nusage: baraza report ID [--status "
			"S] [--note TEXT]\n");
	return 2;
}
