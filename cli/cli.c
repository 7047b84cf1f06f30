/*
 * cli.c: what the subcommands share (opening the store, the progress bar)
 * and the smaller ones: import and send.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "council/budget.h"
#include "council/import.h"
#include "flows/flow.h"
#include "gateway/outq.h"
#include "gateway/store.h"
#include "lib/gsm.h"
#include "lib/log.h"
#include "lib/phone.h"
#include "lib/timeparse.h"
#include "lib/util.h"

void
cli_progress(void *arg, uint64_t done, uint64_t total)
{
	static int64_t last;
	const char *label = arg;
	int64_t now;
	int i, filled;

	if (!isatty(STDERR_FILENO) || total == 0)
		return;
	/* Redraw at most ten times a second, and always at the end. */
	now = mono_ms();
	if (done < total && now - last < 100)
		return;
	last = now;
	filled = (int)(done * 30 / total);
	fprintf(stderr, "\r%s [", label);
	for (i = 0; i < 30; i++)
		fputc(i < filled ? '#' : ' ', stderr);
	fprintf(stderr, "] %3d%%", (int)(done * 100 / total));
	if (done >= total)
		fputc('\n', stderr);
	fflush(stderr);
}

/* The data tables of the store, as store_peek_tables gives them. */
struct names {
	char **v;
	size_t n;
};

static int
add_name(void *arg, const char *name)
{
	struct names *l = arg;

	if (l->n >= 4096)
		return 1; /* more tables than any council imports */
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = xstrdup(name != NULL ? name : "");
	return 0;
}

size_t
cli_check_tables(
    const struct config *cfg, const struct flowset *set, FILE *fp, size_t *nerr)
{
	struct names have = {NULL, 0};
	char *err = NULL, *shown;
	size_t i, j, k, n = 0;
	int rc;

	rc = store_peek_tables(
	    cfg->database, cfg->database_password, add_name, &have, &err);
	/* A URI is shown without its password. */
	shown = store_is_postgres(cfg->database) ? store_redact(cfg->database)
						 : xstrdup(cfg->database);
	if (rc == STORE_EINVAL) {
		fprintf(fp, "%s: error: %s\n", shown,
		    err != NULL ? err : "a schema this baraza does not know");
		free(err);
		free(shown);
		++*nerr;
		return 0;
	}
	if (rc == STORE_ERR) {
		/* Not the flows' fault: say so, and warn about nothing. */
		fprintf(fp, "%s: note: tables not checked: %s\n", shown,
		    err != NULL ? err : "cannot read the database");
		free(err);
		free(shown);
		return 0;
	}
	for (i = 0; i < set->nflows; i++) {
		const struct flow *fl = set->flows[i];

		for (j = 0; j < fl->nsteps; j++) {
			const struct flow_step *st = &fl->steps[j];
			const char *t;

			if (st->kind != STEP_LOOKUP)
				continue;
			t = st->u.lookup.table;
			for (k = 0; k < have.n && strcmp(have.v[k], t) != 0;
			     k++)
				;
			if (k < have.n)
				continue;
			fprintf(fp,
			    "%s:%u:%u: warning: lookup table '%s' is not in "
			    "the "
			    "store yet (%s); import it: baraza import %s "
			    "FILE.csv --key COLUMN\n",
			    st->pos.file, st->pos.line, st->pos.col, t,
			    rc == STORE_NOTFOUND ? "no database yet" : shown,
			    t);
			n++;
		}
	}
	for (k = 0; k < have.n; k++)
		free(have.v[k]);
	free(have.v);
	free(shown);
	return n;
}

struct store *
cli_open_store(const struct config *cfg)
{
	struct store *st = NULL;
	char *err = NULL;

	if (store_open_db(cfg->database, cfg->database_password,
		cfg->durability == DURABILITY_FULL, &st, &err) != 0) {
		fprintf(stderr, "baraza: %s\n", err ? err : cfg->database);
		free(err);
		return NULL;
	}
	return st;
}

/* baraza import TABLE FILE.csv --key COLUMN */
int
cli_import(int argc, char **argv, struct config *cfg)
{
	static const struct option opts[] = {
	    {"key", required_argument, NULL, 'k'},
	    {NULL, 0, NULL, 0},
	};
	const char *key = NULL, *table, *path;
	struct store *st;
	char *err = NULL;
	FILE *fp;
	long rows;
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'k')
			goto usage;
		key = optarg;
	}
	if (argc - optind != 2 || key == NULL)
		goto usage;
	table = argv[optind];
	path = argv[optind + 1];
	if (!import_table_name_valid(table)) {
		fprintf(stderr,
		    "baraza: %s: a table name is " IMPORT_TABLE_NAME_RULE "\n",
		    table);
		return 2;
	}
	if ((fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb")) == NULL) {
		fprintf(stderr, "baraza: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if ((st = cli_open_store(cfg)) == NULL) {
		if (fp != stdin)
			fclose(fp);
		return 1;
	}
	rows = import_csv_file(
	    st, table, key, fp, cli_progress, (void *)"importing", &err);
	if (fp != stdin)
		fclose(fp);
	store_close(st);
	if (rows < 0) {
		fprintf(stderr, "baraza: %s: %s\n", path,
		    err ? err : "import failed");
		free(err);
		return 1;
	}
	printf("%s: %ld row%s imported from %s\n", table, rows,
	    rows == 1 ? "" : "s", path);
	return 0;

usage:
	fprintf(stderr, "baraza: bad usage\nusage: baraza import TABLE "
			"FILE.csv --key COLUMN\n");
	return 2;
}

/* baraza send NUM TEXT [--channel NAME] */
int
cli_send(int argc, char **argv, struct config *cfg)
{
	static const struct option opts[] = {
	    {"channel", required_argument, NULL, 'c'},
	    {NULL, 0, NULL, 0},
	};
	const char *channel = cfg->default_channel, *text;
	char phone[PHONE_MAX], *why;
	struct gsm_info gi;
	struct store *st;
	int64_t id;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'c')
			goto usage;
		channel = optarg;
	}
	if (argc - optind != 2)
		goto usage;
	text = argv[optind + 1];
	/* A wrong argument is bad usage (2), as a wrong option is. */
	if (phone_normalize(
		argv[optind], cfg->country_code, phone, sizeof(phone)) != 0) {
		fprintf(
		    stderr, "baraza: %s: not a phone number\n", argv[optind]);
		return 2;
	}
	if (*text == '\0' || strlen(text) > OUTQ_MAX_TEXT) {
		fprintf(stderr,
		    "baraza: the text is empty or longer than %d "
		    "bytes\n",
		    OUTQ_MAX_TEXT);
		return 2;
	}
	if (gsm_count(text, &gi) != 0 || gi.invalid) {
		fprintf(stderr, "baraza: the text is not valid UTF-8\n");
		return 2;
	}
	if (channel == NULL) {
		fprintf(stderr, "baraza: no --channel and no default_channel "
				"in the config\n");
		return 2;
	}
	if (config_channel(cfg, channel) == NULL) {
		fprintf(stderr, "baraza: no channel named %s\n", channel);
		return 2;
	}
	if ((st = cli_open_store(cfg)) == NULL)
		return 1;
	rc = store_begin(st);
	if (rc == 0)
		rc = outq_enqueue_one(st,
		    &(struct outq_msg){
			.channel = channel, .phone = phone, .text = text},
		    now_ms(), &id);
	if (rc == 0)
		rc = store_commit(st);
	/* The store's message before a rollback resets it. */
	why = xstrdup(rc != 0 ? store_errmsg(st) : "");
	if (rc != 0)
		store_rollback(st);
	if (rc == OUTQ_OPTED_OUT) {
		fprintf(
		    stderr, "baraza: %s has opted out: nothing sent\n", phone);
		store_close(st);
		free(why);
		return 1;
	}
	if (rc != 0) {
		fprintf(stderr, "baraza: %s\n", why);
		store_close(st);
		free(why);
		return 1;
	}
	free(why);
	store_close(st);
	printf("%lld\n", (long long)id);
	return 0;

usage:
	fprintf(stderr, "baraza: bad usage\nusage: baraza send NUM TEXT "
			"[--channel NAME]\n");
	return 2;
}

int
cli_print_costs(struct store *st, const struct config *cfg,
    const struct budget_send *send, int64_t when, int day)
{
	struct budget_figures f;
	char a[32], b[32], c[32], d[32];
	size_t i;

	for (i = 0; i < cfg->nchannels && i < CONFIG_MAX_CHANNELS; i++) {
		if (send->segments[i] <= 0)
			continue;
		if (budget_figures(st, cfg, i, send, when, now_ms(), &f) != 0)
			return STORE_ERR;
		printf("channel %s: %lld segment%s", f.channel,
		    (long long)f.segments, f.segments == 1 ? "" : "s");
		if (!f.has_cost) {
			printf(", cost not known (no cost_per_segment)\n");
			continue;
		}
		printf(", cost %s%s%s", budget_money(f.cost, a, sizeof(a)),
		    f.currency ? " " : "", f.currency ? f.currency : "");
		if (day) {
			printf("; on %s spent %s, queued %s", f.day,
			    budget_money(f.spent, b, sizeof(b)),
			    budget_money(f.queued, c, sizeof(c)));
			if (f.budget >= 0)
				printf(", budget %s: %s",
				    budget_money(f.budget, d, sizeof(d)),
				    f.over ? "this send would pass it"
					   : "within it");
			else
				printf(", no daily budget");
		}
		printf("\n");
	}
	return 0;
}

int
cli_parse_time(const char *option, const char *s, int64_t *ms)
{
	int rc = timeparse_iso8601(s, ms);

	if (rc == 0)
		return 0;
	fprintf(stderr, "baraza: %s %.64s: %s\n", option, s,
	    rc == TIMEPARSE_SKIPPED
		? "no such local time here (a daylight saving change skips "
		  "it): give a later one, or one with its offset such as "
		  "2026-12-01T08:00+03:00"
		: "not an ISO 8601 time (2026-12-01T08:00 in local time, "
		  "2026-12-01T05:00Z or 2026-12-01T08:00+03:00)");
	return -1;
}
