/*
 * cli_campaigns.c: `baraza campaigns`: each campaign with its next send
 * and count, the dry run of one (--dry-run NAME: who gets what in the next
 * CAMPAIGN_DRY_DAYS days) and one run at a given time (--run [--now TIME]),
 * which queues for a running gateway to send (docs/campaigns.md).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "council/campaign.h"
#include "gateway/store.h"
#include "lib/util.h"

#define USAGE                                                                  \
	"baraza: bad usage\nusage: baraza campaigns [--dry-run NAME | --run] " \
	"[--now TIME]\n"

/* Formats ms as local "YYYY-MM-DD HH:MM +ZZZZ" into out. */
static void
local_time(int64_t ms, char *out, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(out, len, "%Y-%m-%d %H:%M %z", &tm) == 0)
		snprintf(out, len, "?");
}

/* The list: each campaign, its next send and how many then. */
static int
list(struct store *st, const struct config *cfg, int64_t at)
{
	char when[64];
	int64_t next, count, sent;
	size_t i;
	int rc, ret = 0;

	printf("%-20s %-20s %-24s %8s %8s\n", "campaign", "table", "next send",
	    "messages", "sent");
	for (i = 0; i < cfg->ncampaigns; i++) {
		const struct config_campaign *c = &cfg->campaigns[i];

		rc = campaign_next(st, c, at, &next, &count);
		if (store_campaign_sent(st, c->name, &sent) != 0)
			rc = STORE_ERR;
		if (rc == STORE_ENOTABLE)
			snprintf(when, sizeof(when), "(table not imported)");
		else if (rc != 0) {
			fprintf(stderr, "baraza: %s: %s\n", c->name,
			    store_errmsg(st));
			ret = 1;
			continue;
		} else if (next < 0)
			snprintf(when, sizeof(when), "-");
		else
			local_time(next, when, sizeof(when));
		printf("%-20s %-20s %-24s %8lld %8lld\n", c->name, c->table,
		    when, (long long)count, (long long)sent);
	}
	return ret;
}

/* A message of a dry run or a run: time, number, text (or why not). */
static void
print_message(void *arg, const struct campaign_message *m)
{
	char when[64];

	(void)arg;
	local_time(m->due, when, sizeof(when));
	if (m->text != NULL)
		printf("%s\t%s\t%s\n", when, m->phone, m->text);
	else
		printf("%s\t%s\t(skipped: %s)\n", when,
		    m->phone[0] ? m->phone : "-", m->skipped);
}

/* Prints a campaign's figures after a run or a dry run. */
static void
print_totals(
    const struct config_campaign *c, const struct campaign_totals *t, int dry)
{
	if (t->no_table)
		printf("%s: nothing %s: %s\n", c->name,
		    dry ? "would be sent" : "sent", t->problem);
	else if (t->held)
		printf("%s: held by the daily budget: %lld message%s "
		       "(%lld segment%s) not queued%s%s\n",
		    c->name, (long long)t->queued, t->queued == 1 ? "" : "s",
		    (long long)t->segments, t->segments == 1 ? "" : "s",
		    t->held_why[0] ? ": " : "", t->held_why);
	else
		printf("%s: %s %lld (%lld segment%s), skipped %lld opted out, "
		       "%lld bad\n",
		    c->name, dry ? "would queue" : "queued",
		    (long long)t->queued, (long long)t->segments,
		    t->segments == 1 ? "" : "s", (long long)t->opted_out,
		    (long long)t->bad);
}

/* --dry-run NAME: the next CAMPAIGN_DRY_DAYS days of one campaign. */
static int
dry_run(
    struct store *st, const struct config *cfg, const char *name, int64_t at)
{
	const struct config_campaign *c = config_campaign(cfg, name);
	struct campaign_totals t;
	int64_t bad = 0;

	if (c == NULL) {
		fprintf(stderr, "baraza: no campaign named '%s'\n", name);
		return 1;
	}
	if (campaign_plan(st, cfg, c, at,
		at + (int64_t)CAMPAIGN_DRY_DAYS * 86400 * 1000, print_message,
		NULL, &t) != 0) {
		fprintf(stderr, "baraza: %s\n", store_errmsg(st));
		return 1;
	}
	print_totals(c, &t, 1);
	if (!t.no_table && cli_print_costs(st, cfg, &t.send, at, 0) != 0) {
		fprintf(stderr, "baraza: %s\n", store_errmsg(st));
		return 1;
	}
	if (!t.no_table &&
	    store_campaign_bad_dates(st, c->table, c->date, &bad) == 0 &&
	    bad > 0)
		printf("note: %lld row%s of %s %s no YYYY-MM-DD date in "
		       "column %s\n",
		    (long long)bad, bad == 1 ? "" : "s", c->table,
		    bad == 1 ? "has" : "have", c->date);
	printf("dry run: nothing queued\n");
	return 0;
}

/* --run: every campaign once at `at`. */
static int
run(struct store *st, const struct config *cfg, int64_t at)
{
	struct campaign_totals *t;
	size_t i;
	int rc;

	t = xcalloc(cfg->ncampaigns ? cfg->ncampaigns : 1, sizeof(*t));
	rc = campaign_run(st, cfg, at, now_ms(), NULL, NULL, t);
	for (i = 0; i < cfg->ncampaigns; i++)
		print_totals(&cfg->campaigns[i], &t[i], 0);
	free(t);
	if (rc != 0) {
		fprintf(stderr, "baraza: a campaign failed: %s\n",
		    store_errmsg(st));
		return 1;
	}
	return 0;
}

/* baraza campaigns [--dry-run NAME | --run] [--now TIME] */
int
cli_campaigns(int argc, char **argv, struct config *cfg)
{
	static const struct option opts[] = {
	    {"dry-run", required_argument, NULL, 'n'},
	    {"run", no_argument, NULL, 'r'},
	    {"now", required_argument, NULL, 't'},
	    {NULL, 0, NULL, 0},
	};
	const char *dry = NULL;
	struct store *st;
	int64_t at = now_ms();
	int ch, do_run = 0, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			dry = optarg;
			break;
		case 'r':
			do_run = 1;
			break;
		case 't':
			if (cli_parse_time("--now", optarg, &at) != 0)
				return 2;
			break;
		default:
			fputs(USAGE, stderr);
			return 2;
		}
	}
	if (optind != argc || (dry != NULL && do_run)) {
		fputs(USAGE, stderr);
		return 2;
	}
	/* None is an empty list, not a failure (a cron job's --run too);
	   a campaign asked for by name is not there, though. */
	if (cfg->ncampaigns == 0 && dry == NULL) {
		printf(
		    "no campaigns: the config has no [campaign NAME] section "
		    "(docs/campaigns.md)\n");
		return 0;
	}
	if ((st = cli_open_store(cfg)) == NULL)
		return 1;
	if (dry != NULL)
		rc = dry_run(st, cfg, dry, at);
	else if (do_run)
		rc = run(st, cfg, at);
	else
		rc = list(st, cfg, at);
	store_close(st);
	return rc;
}
