/*
 * campaign.h: campaigns keyed to dates ([campaign NAME], docs/campaigns.md).
 * A campaign sends a message to the phone of each row of a data table (one
 * `baraza import` made) at each of its send times, an offset in days from
 * the row's date column and a local time of day: "-3d 09:00" is 09:00 three
 * days before the date, in the time zone of the process (TZ).
 *
 * A run looks at one window of time, (start, at]: every (row, send) whose
 * time falls in it and that was never sent is queued, rendered with the
 * row's columns in the contact's language, unless the contact opted out
 * (skipped and counted) or the number is bad (logged and skipped). The
 * store marks each (campaign, row key, offset, date) in the transaction
 * that queues its message, so nothing goes out twice: not after a restart,
 * a second run at the same time, or a re-import with the same date; a row
 * whose date changes gets the new date's messages.
 *
 * The window starts at the campaign's last run (kept in the store) but
 * never before the local midnight of at: after an outage, what fell due
 * earlier the same day still goes out, a day missed is not sent late. A
 * campaign that never ran looks back one tick (CAMPAIGN_TICK_MS), so a new
 * campaign does not send reminders for times already past. When the clock
 * goes back (at before the last run), the window is empty.
 *
 * A table that was never imported, or that lacks a column the campaign
 * names, is logged when a send falls due and the campaign sends nothing
 * then: it is not an error of the config, whose check cannot see the data.
 *
 * Times are ms since the epoch; local dates are counted in days since
 * 1970-01-01 (negative before).
 */
#ifndef BARAZA_CAMPAIGN_H
#define BARAZA_CAMPAIGN_H

#include <stdint.h>

#include <uv.h>

#include "council/budget.h"
#include "gateway/config.h"
#include "gateway/store.h"

struct gateway;

#define CAMPAIGN_TICK_MS 60000     /* serve runs the campaigns this often */
#define CAMPAIGN_FIRST_RUN_MS 1000 /* the first run after serve starts */
#define CAMPAIGN_DRY_DAYS 7        /* what a dry run shows ahead */
#define CAMPAIGN_MAX_TEXT 1600     /* bytes in one rendered message */

/*
 * Parses a date "YYYY-MM-DD" (years 1900 to 9999, a real calendar day)
 * into days since 1970-01-01. Returns 0, or -1 for anything else.
 */
int campaign_parse_date(const char *s, int64_t *days);

/* Formats days since 1970-01-01 as "YYYY-MM-DD" into out (11 bytes). */
void campaign_format_date(int64_t days, char out[11]);

/*
 * The local date (days since 1970-01-01) and, when minute is not NULL,
 * the minute of the day (0 to 1439) of time ms. Returns 0 or -1.
 */
int campaign_local_day(int64_t ms, int64_t *days, int *minute);

/*
 * The time of local date days at minute of the day (0 to 1439). A local
 * time that a daylight saving change repeats is its first occurrence; one
 * that the change skips is as far after the change as it is after the
 * last minute before it (02:30 on a day that jumps from 02:00 to 03:00
 * is 03:30). Returns 0 and sets *ms, or -1.
 */
int campaign_local_ms(int64_t days, int minute, int64_t *ms);

/*
 * When send s of a row dated row_date (days) falls due: the local date
 * row_date + s->days at s->minute. Returns 0 and sets *ms, or -1.
 */
int campaign_due_ms(
    int64_t row_date, const struct config_campaign_send *s, int64_t *ms);

/*
 * The start of a run's window at time at, given the campaign's last run
 * (-1 when it never ran), by the rules above: the window is (start, at].
 */
int64_t campaign_window_start(int64_t last_run, int64_t at);

/* One message of a run or a dry run, valid during the callback. */
struct campaign_message {
	const struct config_campaign *campaign; /* owned by the config */
	int64_t due;                            /* when it falls due, ms */
	const char *phone;   /* E.164; the column's text when it is bad */
	const char *text;    /* rendered; NULL when skipped */
	const char *skipped; /* NULL, or why it is not sent: "opted out",
				"bad phone number", ... */
	const char *channel; /* the channel it goes out on, or NULL */
};
typedef void (*campaign_message_cb)(void *arg, const struct campaign_message *);

/* What one campaign's run queued or skipped. */
struct campaign_totals {
	int64_t queued;    /* messages queued (or that a dry run would) */
	int64_t segments;  /* their SMS parts */
	int64_t opted_out; /* rows skipped: the contact opted out */
	int64_t bad;       /* rows skipped: bad number, empty text... */
	int no_table;      /* 1: the table or a column it names is missing */
	char problem[160]; /* then which */
	struct budget_send send; /* the segments queued, by channel */
	int held;           /* 1: the day's budget held the messages back */
	char held_why[256]; /* then why, with the figures */
};

/*
 * Runs every campaign of cfg once at time at (the campaigns' clock):
 * queues what falls due in each one's window and records at as its last
 * run. Messages are created and due at now (the wall clock, which is at
 * but for `baraza campaigns --run --now`). Each campaign's writes are
 * atomic on their own: a savepoint inside the caller's transaction when
 * one is open (serve's batch), else a transaction of its own. cb (may be
 * NULL) is told of each message queued or skipped; totals (may be NULL)
 * gets cfg->ncampaigns entries, in config order. Returns 0, or STORE_ERR
 * when a campaign's writes failed (they were rolled back; the others
 * stand).
 */
int
campaign_run(struct store *, const struct config *cfg, int64_t at, int64_t now,
    campaign_message_cb cb, void *arg, struct campaign_totals *totals);

/*
 * The dry run of campaign c: tells cb of each message that would fall due
 * in (from, to], in time order, without writing anything (a contact not
 * yet known counts as not opted out, in the default language). Fills
 * *totals. Returns 0, or STORE_ERR.
 */
int campaign_plan(struct store *, const struct config *cfg,
    const struct config_campaign *c, int64_t from, int64_t to,
    campaign_message_cb cb, void *arg, struct campaign_totals *totals);

/*
 * The next time after at when campaign c sends, and how many messages
 * then (rows not sent yet; opted-out contacts count). Returns 0 and sets
 * *next and *count (*next -1 and *count 0 when no row falls due later),
 * STORE_ENOTABLE when the table was never imported, or STORE_ERR.
 */
int campaign_next(struct store *, const struct config_campaign *c, int64_t at,
    int64_t *next, int64_t *count);

/* The campaigns while serve runs: a timer and the gateway it serves. */
struct campaign_service {
	uv_timer_t timer;   /* CAMPAIGN_FIRST_RUN_MS after the start, then
			       one second past each minute */
	struct gateway *gw; /* borrowed */
	int64_t *held_day;  /* per campaign, the local day its last hold by
			       the budget was logged as a warning */
};

/*
 * The gateway service of the campaigns (struct gateway_service).
 * campaign_start runs campaign_run on gw's loop, first
 * CAMPAIGN_FIRST_RUN_MS after the call, then once a minute, each inside
 * the loop turn's batch transaction, and sets *state to its struct
 * campaign_service. It does nothing when the config has no campaign or
 * *state is set. The timer does not keep the loop alive; campaign_stop
 * closes it and frees the state once closed.
 */
void campaign_start(struct gateway *, void **state);
void campaign_stop(struct gateway *, void **state);

/* The CLI command (cli/cli_campaigns.c), as cli.h describes it. */
int cli_campaigns(int, char **, struct config *);

#endif
