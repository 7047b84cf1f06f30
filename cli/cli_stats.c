/*
 * cli_stats.c: `baraza stats`, the figures of /metrics for a person: per
 * channel the messages by direction and state and the queue depth, the
 * active sessions, the modems (their state as the running gateway last
 * kept it), the reports, and the last failures with their reasons (numbers
 * masked). It reads the store only, so it works whether or not
 * serve runs.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/config.h"
#include "gateway/metrics.h"
#include "gateway/store.h"
#include "lib/log.h"
#include "lib/util.h"

/* The latest failed outbound messages. */
static const char sql_last_errors[] =
    "SELECT updated, channel, phone, coalesce(error, '') FROM messages"
    " WHERE state = 'failed' ORDER BY updated DESC, id DESC LIMIT ?1";

/* The last known state of each modem, as the gateway keeps it. */
static const char sql_modems[] =
    "SELECT channel, up, signal, network, balance, balance_at, last_error,"
    " failures, restarts, updated FROM modem_state ORDER BY channel";
static const char sql_modem_known[] =
    "SELECT 1 FROM modem_state WHERE channel = ?1";

static const char *const in_states[] = {"received", "handled", "ignored"};
static const char *const out_states[] = {
    "queued", "sending", "sent", "delivered", "failed"};

/* Prints one direction's counts of channel; returns the count printed. */
static int64_t
print_direction(const struct metrics_counts *c, const char *channel,
    const char *dir, const char *const *states, size_t nstates)
{
	int64_t total = 0;
	size_t i, j;
	int any = 0;

	for (j = 0; j < nstates; j++)
		for (i = 0; i < c->nmsgs; i++)
			if (strcmp(c->msgs[i].channel, channel) == 0 &&
			    strcmp(c->msgs[i].state, states[j]) == 0)
				total += c->msgs[i].n;
	if (total == 0)
		return 0;
	printf("    %-4s", dir);
	for (j = 0; j < nstates; j++)
		for (i = 0; i < c->nmsgs; i++)
			if (strcmp(c->msgs[i].channel, channel) == 0 &&
			    strcmp(c->msgs[i].state, states[j]) == 0) {
				printf("%s%s %lld", any ? ", " : " ", states[j],
				    (long long)c->msgs[i].n);
				any = 1;
			}
	printf("\n");
	return total;
}

static void
print_channel(
    const struct metrics_counts *c, const char *name, const char *type)
{
	int64_t depth = 0, n = 0;
	size_t i;

	printf("  %s%s%s%s\n", name, type ? " (" : "", type ? type : "",
	    type ? ")" : "");
	n += print_direction(c, name, "in", in_states, nitems(in_states));
	n += print_direction(c, name, "out", out_states, nitems(out_states));
	if (n == 0)
		printf("    no messages\n");
	for (i = 0; i < c->nmsgs; i++)
		if (strcmp(c->msgs[i].channel, name) == 0 &&
		    (strcmp(c->msgs[i].state, "queued") == 0 ||
			strcmp(c->msgs[i].state, "sending") == 0))
			depth += c->msgs[i].n;
	printf("    queue depth %lld\n", (long long)depth);
}

/* Writes s as the log would: numbers masked, control characters out. */
static void
print_masked(const char *s)
{
	char clean[1024];

	fputs(log_text(s, clean, sizeof(clean)), stdout);
}

static int
print_last_errors(struct store *st)
{
	sqlite3_stmt *s = store_stmt(st, sql_last_errors);
	int rc, n = 0;

	printf("Last errors\n");
	sqlite3_bind_int(s, 1, METRICS_LAST_ERRORS);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *ch = (const char *)sqlite3_column_text(s, 1);
		const char *ph = (const char *)sqlite3_column_text(s, 2);
		const char *err = (const char *)sqlite3_column_text(s, 3);
		char when[32], masked[32];

		iso8601_utc(sqlite3_column_int64(s, 0), when, sizeof(when));
		printf("  %s  %s  %s  ", when, ch ? ch : "-",
		    metrics_mask_phone(ph, masked, sizeof(masked)));
		print_masked(err && *err ? err : "(no reason given)");
		printf("\n");
		n++;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (n == 0 && rc == SQLITE_DONE)
		printf("  none\n");
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Prints the time in ms of column col as ISO 8601, or "-" when NULL. */
static void
print_time(sqlite3_stmt *s, int col)
{
	char when[32];

	if (sqlite3_column_type(s, col) == SQLITE_NULL) {
		printf("-");
		return;
	}
	iso8601_utc(sqlite3_column_int64(s, col), when, sizeof(when));
	printf("%s", when);
}

/*
 * The modems section: per gammu channel up or down, signal, the last
 * balance answer and when, restarts and failed sends, the last error.
 * Left out when no modem is configured or kept.
 */
static int
print_modems(struct store *st, const struct config *cfg)
{
	sqlite3_stmt *s = store_stmt(st, sql_modems);
	int rc, n = 0;
	size_t i;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *ch = (const char *)sqlite3_column_text(s, 0);
		const char *net = (const char *)sqlite3_column_text(s, 3);
		const char *bal = (const char *)sqlite3_column_text(s, 4);
		const char *err = (const char *)sqlite3_column_text(s, 6);

		if (ch == NULL)
			continue;
		printf("%s  ", n++ == 0 ? "Modems\n" : "");
		print_masked(ch);
		printf("%s  %s  %ssignal %d%%",
		    config_channel(cfg, ch) == NULL ? " (not configured)" : "",
		    sqlite3_column_int(s, 1) ? "up" : "down",
		    sqlite3_column_int(s, 1) ? "" : "last ",
		    sqlite3_column_int(s, 2));
		if (net != NULL && *net != '\0') {
			printf(" (");
			print_masked(net);
			printf(")");
		}
		printf("  as of ");
		print_time(s, 9);
		printf("\n    balance ");
		if (bal != NULL) {
			printf("\"");
			print_masked(bal);
			printf("\" at ");
			print_time(s, 5);
		} else
			printf("not checked yet");
		printf("\n    restarts %lld, failed sends %lld\n",
		    (long long)sqlite3_column_int64(s, 8),
		    (long long)sqlite3_column_int64(s, 7));
		printf("    last error ");
		print_masked(err != NULL && *err != '\0' ? err : "none");
		printf("\n");
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return -1;
	/* Modem channels the gateway has not run yet. */
	for (i = 0; i < cfg->nchannels; i++) {
		if (cfg->channels[i].type != CHANNEL_GAMMU)
			continue;
		s = store_stmt(st, sql_modem_known);
		sqlite3_bind_text(
		    s, 1, cfg->channels[i].name, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
		if (rc == SQLITE_ROW)
			continue;
		if (rc != SQLITE_DONE)
			return -1;
		printf("%s  %s  no state kept yet\n",
		    n++ == 0 ? "Modems\n" : "", cfg->channels[i].name);
	}
	return 0;
}

static void
print_reports(const struct metrics_counts *c)
{
	static const char *const statuses[] = {STORE_REPORT_OPEN,
	    STORE_REPORT_ACKNOWLEDGED, STORE_REPORT_IN_PROGRESS,
	    STORE_REPORT_RESOLVED, STORE_REPORT_CLOSED};
	int64_t total = 0, n;
	size_t i, j;
	int any = 0;

	for (i = 0; i < c->nreports; i++)
		total += c->reports[i].n;
	printf("Reports %lld\n", (long long)total);
	if (total == 0)
		return;
	printf("  by status:");
	for (j = 0; j < nitems(statuses); j++) {
		for (n = 0, i = 0; i < c->nreports; i++)
			if (strcmp(c->reports[i].status, statuses[j]) == 0)
				n += c->reports[i].n;
		if (n > 0) {
			printf("%s %s %lld", any ? "," : "", statuses[j],
			    (long long)n);
			any = 1;
		}
	}
	printf("\n  by category:");
	/* Rows come sorted by category: sum each run. */
	for (any = 0, i = 0; i < c->nreports; i = j) {
		for (n = 0, j = i;
		     j < c->nreports && strcmp(c->reports[j].category,
					    c->reports[i].category) == 0;
		     j++)
			n += c->reports[j].n;
		printf("%s ", any ? "," : "");
		print_masked(*c->reports[i].category ? c->reports[i].category
						     : "(none)");
		printf(" %lld", (long long)n);
		any = 1;
	}
	printf("\n");
	if (c->resolved > 0) {
		double avg = c->res_sum / (double)c->resolved;

		printf("  resolved or closed %lld, average time to resolution "
		       "%.1f h\n",
		    (long long)c->resolved, avg / 3600.0);
	}
}

int
cli_stats(int argc, char **argv, struct config *cfg)
{
	struct metrics_counts c;
	struct store *st = NULL;
	char *err = NULL;
	size_t i, j;
	int rc = 0;

	if (getopt(argc, argv, "") != -1 || optind != argc) {
		fprintf(stderr, "usage: baraza stats\n");
		return 2;
	}
	if (store_open(cfg->database, cfg->durability == DURABILITY_FULL, &st,
		&err) != 0) {
		fprintf(stderr, "baraza: %s\n", err ? err : cfg->database);
		free(err);
		return 1;
	}
	if (metrics_collect(st, now_ms(), &c) != 0) {
		fprintf(stderr, "baraza: %s\n", store_errmsg(st));
		metrics_counts_free(&c);
		store_close(st);
		return 1;
	}

	printf("Messages by channel\n");
	for (i = 0; i < cfg->nchannels; i++)
		print_channel(&c, cfg->channels[i].name,
		    config_channel_type_name(cfg->channels[i].type));
	/* Channels in the store that the config no longer names. */
	for (i = 0; i < c.nmsgs; i++) {
		int seen = config_channel(cfg, c.msgs[i].channel) != NULL;

		for (j = 0; j < i && !seen; j++)
			seen =
			    strcmp(c.msgs[j].channel, c.msgs[i].channel) == 0;
		if (!seen)
			print_channel(&c, c.msgs[i].channel, "not configured");
	}
	if (cfg->nchannels == 0 && c.nmsgs == 0)
		printf("  none\n");
	printf("Sessions active %lld\n", (long long)c.sessions);
	if (print_modems(st, cfg) != 0) {
		fprintf(stderr, "baraza: %s\n", store_errmsg(st));
		rc = 1;
	}
	print_reports(&c);
	if (print_last_errors(st) != 0) {
		fprintf(stderr, "baraza: %s\n", store_errmsg(st));
		rc = 1;
	}
	metrics_counts_free(&c);
	store_close(st);
	return rc;
}
