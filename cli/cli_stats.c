/*
 * cli_stats.c: `baraza stats`, the figures of /metrics for a person: per
 * channel the messages by direction and state and the queue depth, the
 * spend today, the active sessions, the modems (their state as the running gateway last
 * kept it), the reports (with the reporters' satisfaction once some have
 * answered the feedback question), and the last failures with their
 * reasons (numbers masked). It reads the store only, so it works whether
 * or not serve runs.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "council/budget.h"
#include "gateway/config.h"
#include "gateway/metrics.h"
#include "gateway/store.h"
#include "lib/log.h"
#include "lib/util.h"

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

/*
 * Spend today: per channel the segments sent on this local day and, with
 * a cost_per_segment, what they cost, against the daily budget.
 */
static int
print_spend(struct store *st, const struct config *cfg, int64_t now)
{
	struct budget_today t;
	char day[STORE_DAY_LEN], a[32], b[32];
	size_t i;

	printf("Spend today (%s)\n", store_local_day(now, day));
	if (cfg->nchannels == 0)
		printf("  none\n");
	for (i = 0; i < cfg->nchannels; i++) {
		if (budget_today(st, cfg, cfg->channels[i].name, now, &t) != 0)
			return -1;
		printf("  %s  %lld segment%s", cfg->channels[i].name,
		    (long long)t.segments, t.segments == 1 ? "" : "s");
		if (t.has_cost)
			printf(", %s%s%s", budget_money(t.spent, a, sizeof(a)),
			    cfg->currency ? " " : "",
			    cfg->currency ? cfg->currency : "");
		else
			printf(", cost not known (no cost_per_segment)");
		if (t.budget >= 0)
			printf(" of a daily budget of %s",
			    budget_money(t.budget, b, sizeof(b)));
		printf("\n");
	}
	return 0;
}

/* Writes s as the log would: numbers masked, control characters out. */
static void
print_masked(const char *s)
{
	char clean[1024];

	fputs(log_text(s, clean, sizeof(clean)), stdout);
}

/* Prints one failure of the last errors. */
static int
failure_cb(void *arg, const struct store_failure *f)
{
	char when[32], masked[32];
	int *n = arg;

	iso8601_utc(f->when, when, sizeof(when));
	printf("  %s  %s  %s  ", when, f->channel ? f->channel : "-",
	    metrics_mask_phone(f->phone, masked, sizeof(masked)));
	print_masked(*f->error ? f->error : "(no reason given)");
	printf("\n");
	(*n)++;
	return 0;
}

static int
print_last_errors(struct store *st)
{
	int n = 0;

	printf("Last errors\n");
	if (store_stats_failures(st, METRICS_LAST_ERRORS, failure_cb, &n) != 0)
		return -1;
	if (n == 0)
		printf("  none\n");
	return 0;
}

/* Prints a time in ms as ISO 8601, or "-" when there is none (-1). */
static void
print_time(int64_t ms)
{
	char when[32];

	if (ms == -1) {
		printf("-");
		return;
	}
	iso8601_utc(ms, when, sizeof(when));
	printf("%s", when);
}

/* What the modems section needs: the config, and the modems printed. */
struct modems_seen {
	const struct config *cfg;
	int n;
};

/* Prints one kept modem state. */
static int
modem_cb(void *arg, const struct store_modem *m)
{
	struct modems_seen *ms = arg;

	printf("%s  ", ms->n++ == 0 ? "Modems\n" : "");
	print_masked(m->channel);
	printf("%s  %s  %ssignal %d%%",
	    config_channel(ms->cfg, m->channel) == NULL ? " (not configured)"
							: "",
	    m->up ? "up" : "down", m->up ? "" : "last ", m->signal);
	if (m->network != NULL && *m->network != '\0') {
		printf(" (");
		print_masked(m->network);
		printf(")");
	}
	printf("  as of ");
	print_time(m->updated);
	printf("\n    balance ");
	if (m->balance != NULL) {
		printf("\"");
		print_masked(m->balance);
		printf("\" at ");
		print_time(m->balance_at);
	} else
		printf("not checked yet");
	printf("\n    restarts %lld, failed sends %lld\n",
	    (long long)m->restarts, (long long)m->failures);
	printf("    last error ");
	print_masked(m->last_error != NULL && *m->last_error != '\0'
			 ? m->last_error
			 : "none");
	printf("\n");
	return 0;
}

/*
 * The modems section: per gammu channel up or down, signal, the last
 * balance answer and when, restarts and failed sends, the last error.
 * Left out when no modem is configured or kept.
 */
static int
print_modems(struct store *st, const struct config *cfg)
{
	struct modems_seen ms = {cfg, 0};
	size_t i;
	int rc;

	if (store_stats_modems(st, modem_cb, &ms) != 0)
		return -1;
	/* Modem channels the gateway has not run yet. */
	for (i = 0; i < cfg->nchannels; i++) {
		if (cfg->channels[i].type != CHANNEL_GAMMU)
			continue;
		rc = store_stats_modem_known(st, cfg->channels[i].name);
		if (rc == 0)
			continue;
		if (rc != STORE_NOTFOUND)
			return -1;
		printf("%s  %s  no state kept yet\n",
		    ms.n++ == 0 ? "Modems\n" : "", cfg->channels[i].name);
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
	/* The answers to "was it fixed?", once there are some. */
	if (c->feedback_yes + c->feedback_no > 0)
		printf("  satisfaction %.0f%% (%lld answers: %lld yes, %lld "
		       "no)\n",
		    100.0 * (double)c->feedback_yes /
			(double)(c->feedback_yes + c->feedback_no),
		    (long long)(c->feedback_yes + c->feedback_no),
		    (long long)c->feedback_yes, (long long)c->feedback_no);
}

int
cli_stats(int argc, char **argv, struct config *cfg)
{
	struct metrics_counts c;
	struct store *st;
	size_t i, j;
	int rc = 0;

	if (getopt(argc, argv, "") != -1 || optind != argc) {
		fprintf(stderr, "baraza: bad usage\nusage: baraza stats\n");
		return 2;
	}
	if ((st = cli_open_store(cfg)) == NULL)
		return 1;
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
	if (print_spend(st, cfg, now_ms()) != 0) {
		fprintf(stderr, "baraza: %s\n", store_errmsg(st));
		rc = 1;
	}
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
