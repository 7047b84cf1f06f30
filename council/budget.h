/*
 * budget.h: what the channels cost and the daily budgets of bulk sends
 * (interfaces.md, "Operators' tools"; docs/operations.md "Spend").
 *
 * Spend is the segments sent on a channel (every segment: broadcasts,
 * notifications, campaigns and the replies to residents) times its
 * cost_per_segment, counted per local day in the store (store_spend.c).
 * A channel with a daily_budget refuses a bulk send (a broadcast, a notify
 * run, a campaign) that would take the day past it: what was sent that
 * day, plus what the queue holds for that day, plus the send. Replies are
 * never held back: they only count. An admin may force a send past it.
 *
 * Money is in millionths of the [gateway] currency (0.80 is 800000), as
 * config_parse_decimal() reads it.
 */
#ifndef BARAZA_BUDGET_H
#define BARAZA_BUDGET_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "gateway/config.h"
#include "gateway/store.h"
#include "lib/http.h"

#define BUDGET_OVER 1 /* budget_check(): the send would pass a budget */

/* A bulk send's segments by channel: segments[i] go on cfg->channels[i]. */
struct budget_send {
	int64_t segments[CONFIG_MAX_CHANNELS];
	int queued; /* 1: its messages are in the queue already (queued in
		       the caller's open transaction): not counted twice */
};

/* One channel's day, as a send would change it. */
struct budget_figures {
	const char *channel;     /* the channel (owned by the config) */
	const char *currency;    /* [gateway] currency, or NULL */
	char day[STORE_DAY_LEN]; /* the local day, YYYY-MM-DD */
	int64_t segments;        /* the send's segments on the channel */
	int has_cost;            /* 0: no cost_per_segment, the money
				    figures are 0 and no budget holds */
	int64_t spent;           /* sent that day */
	int64_t queued;          /* queued to go out that day */
	int64_t cost;            /* the send's cost */
	int64_t budget;          /* daily_budget, or -1 when none */
	int over;                /* 1: spent + queued + cost > budget */
};

/*
 * Adds segments on the channel called name (ignored when cfg has none) to
 * send.
 */
void budget_add(struct budget_send *send, const struct config *cfg,
    const char *name, int64_t segments);

/*
 * Fills *out with the figures of cfg->channels[ch] on the local day
 * holding when (ms) for send's segments on it: what was sent that day, and
 * what the queue holds for it (from the start of that day, or everything
 * due by its end when it is the day of now), less the send's own when
 * send->queued. Returns 0 or STORE_ERR.
 */
int budget_figures(struct store *, const struct config *cfg, size_t ch,
    const struct budget_send *send, int64_t when, int64_t now,
    struct budget_figures *out);

/*
 * Checks send against the daily budgets of the channels it uses, on the
 * day of when (the time it goes out; now for at once). Returns 0 when it
 * passes none, BUDGET_OVER with the first such channel's figures in *out,
 * or STORE_ERR. Campaigns, broadcasts and notify runs call it before they
 * queue, in their transaction, unless forced by an admin.
 */
int budget_check(struct store *, const struct config *cfg,
    const struct budget_send *send, int64_t when, int64_t now,
    struct budget_figures *out);

/* 1 when some channel of cfg has a daily_budget (else checks are moot). */
int budget_any(const struct config *cfg);

/*
 * Writes micro as a decimal into out ("12.80": at least two decimals, at
 * most six) and returns out.
 */
char *budget_money(int64_t micro, char *out, size_t outlen);

/*
 * Writes why f refuses a send, with its figures, into out: "the send
 * would pass the daily budget of channel at: spent 4000.00 KES today,
 * 0.00 queued, this send 1600.00, budget 5000.00". Returns out.
 */
char *budget_message(const struct budget_figures *f, char *out, size_t outlen);

/*
 * The figures as JSON, amounts in the currency: {"channel", "day",
 * "segments", "spent", "queued", "cost", "budget", "currency", "over"}
 * (money null without a cost_per_segment, budget null without a budget).
 * A new reference.
 */
json_t *budget_json(const struct budget_figures *f);

/*
 * The figures of every channel send uses, as a JSON array of
 * budget_json() objects (a new reference), or NULL when the store failed.
 */
json_t *budget_json_all(struct store *, const struct config *cfg,
    const struct budget_send *send, int64_t when, int64_t now);

/*
 * Answers req 409 with the refusal and its figures: {"error", "channel",
 * "day", "segments", "spent", "queued", "cost", "budget", "currency",
 * "over"}, amounts in the currency.
 */
void budget_answer(struct http_request *req, const struct budget_figures *f);

/* Spend today per channel, for `baraza stats` and the overview. */
struct budget_today {
	int64_t segments; /* sent today */
	int has_cost;     /* 0: no cost_per_segment */
	int64_t spent;    /* their cost */
	int64_t budget;   /* daily_budget, or -1 */
};

/* Fills *out for the channel called name on the local day of now. */
int budget_today(struct store *, const struct config *cfg, const char *name,
    int64_t now, struct budget_today *out);

#endif
