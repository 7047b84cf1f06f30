/*
 * budget.c: spend per channel per local day and the daily budgets of bulk
 * sends (budget.h). The store counts segments (store_spend.c); money is
 * worked out here from the channels' cost_per_segment.
 */
#include "council/budget.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "council/api_common.h"
#include "lib/util.h"

void
budget_add(struct budget_send *send, const struct config *cfg, const char *name,
    int64_t segments)
{
	size_t i;

	for (i = 0; name != NULL && i < cfg->nchannels; i++)
		if (strcmp(cfg->channels[i].name, name) == 0) {
			send->segments[i] += segments;
			return;
		}
}

int
budget_any(const struct config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->nchannels; i++)
		if (cfg->channels[i].daily_budget != NULL)
			return 1;
	return 0;
}

/*
 * The start (ms) of the local day holding ms, moved by `days` days.
 * Daylight saving changes are mktime()'s to handle.
 */
static int64_t
day_start(int64_t ms, int days)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	tm.tm_hour = 0;
	tm.tm_min = 0;
	tm.tm_sec = 0;
	tm.tm_mday += days;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm) * 1000;
}

int
budget_figures(struct store *st, const struct config *cfg, size_t ch,
    const struct budget_send *send, int64_t when, int64_t now,
    struct budget_figures *out)
{
	const struct channel_config *cc = &cfg->channels[ch];
	int64_t per, sent, queued, from, until, segments;

	memset(out, 0, sizeof(*out));
	segments = ch < CONFIG_MAX_CHANNELS ? send->segments[ch] : 0;
	out->channel = cc->name;
	out->currency = cfg->currency;
	out->segments = segments;
	if (when < now)
		when = now;
	store_local_day(when, out->day);
	if (config_channel_budget(cc, &out->budget) != 0)
		out->budget = -1;
	if (config_channel_cost(cc, &per) != 0)
		return 0; /* Nothing to count in money. */
	out->has_cost = 1;
	from = day_start(when, 0);
	until = day_start(when, 1);
	/* Today's backlog goes out today, however late it is. */
	if (from <= now)
		from = 0;
	if (store_spend_segments(st, cc->name, out->day, &sent) != 0 ||
	    store_spend_pending(st, cc->name, from, until, &queued) != 0)
		return STORE_ERR;
	if (send->queued)
		queued = queued > segments ? queued - segments : 0;
	out->spent = sent * per;
	out->queued = queued * per;
	out->cost = segments * per;
	out->over = out->budget >= 0 &&
		    out->spent + out->queued + out->cost > out->budget;
	return 0;
}

int
budget_check(struct store *st, const struct config *cfg,
    const struct budget_send *send, int64_t when, int64_t now,
    struct budget_figures *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < cfg->nchannels && i < CONFIG_MAX_CHANNELS; i++) {
		if (send->segments[i] <= 0 ||
		    cfg->channels[i].daily_budget == NULL)
			continue;
		if (budget_figures(st, cfg, i, send, when, now, out) != 0)
			return STORE_ERR;
		if (out->over)
			return BUDGET_OVER;
	}
	memset(out, 0, sizeof(*out));
	return 0;
}

char *
budget_money(int64_t micro, char *out, size_t outlen)
{
	char frac[8];
	int64_t whole, part;
	int neg = micro < 0, n;

	if (neg)
		micro = -micro;
	whole = micro / 1000000;
	part = micro % 1000000;
	snprintf(frac, sizeof(frac), "%06" PRId64, part);
	/* Two decimals at least, the rest only when they count. */
	for (n = 6; n > 2 && frac[n - 1] == '0'; n--)
		;
	frac[n] = '\0';
	snprintf(out, outlen, "%s%" PRId64 ".%s", neg ? "-" : "", whole, frac);
	return out;
}

char *
budget_message(const struct budget_figures *f, char *out, size_t outlen)
{
	char spent[32], queued[32], cost[32], budget[32];

	snprintf(out, outlen,
	    "the send would pass the daily budget of channel %s: spent %s%s%s "
	    "on %s, %s queued, this send %s, budget %s",
	    f->channel, budget_money(f->spent, spent, sizeof(spent)),
	    f->currency ? " " : "", f->currency ? f->currency : "", f->day,
	    budget_money(f->queued, queued, sizeof(queued)),
	    budget_money(f->cost, cost, sizeof(cost)),
	    budget_money(f->budget, budget, sizeof(budget)));
	return out;
}

/* Money as a JSON number in the currency. */
static json_t *
money(int64_t micro)
{
	return json_real((double)micro / 1e6);
}

json_t *
budget_json(const struct budget_figures *f)
{
	json_t *o = json_object();

	json_object_set_new(o, "channel", json_string(f->channel));
	json_object_set_new(o, "day", json_string(f->day));
	json_object_set_new(o, "segments", json_integer(f->segments));
	json_object_set_new(
	    o, "spent", f->has_cost ? money(f->spent) : json_null());
	json_object_set_new(
	    o, "queued", f->has_cost ? money(f->queued) : json_null());
	json_object_set_new(
	    o, "cost", f->has_cost ? money(f->cost) : json_null());
	json_object_set_new(
	    o, "budget", f->budget >= 0 ? money(f->budget) : json_null());
	json_object_set_new(o, "currency",
	    f->currency ? json_string(f->currency) : json_null());
	json_object_set_new(o, "over", json_boolean(f->over));
	return o;
}

json_t *
budget_json_all(struct store *st, const struct config *cfg,
    const struct budget_send *send, int64_t when, int64_t now)
{
	struct budget_figures f;
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < cfg->nchannels && i < CONFIG_MAX_CHANNELS; i++) {
		if (send->segments[i] <= 0)
			continue;
		if (budget_figures(st, cfg, i, send, when, now, &f) != 0) {
			json_decref(a);
			return NULL;
		}
		json_array_append_new(a, budget_json(&f));
	}
	return a;
}

void
budget_answer(struct http_request *req, const struct budget_figures *f)
{
	char msg[300];
	json_t *o = budget_json(f);

	json_object_set_new(
	    o, "error", json_string(budget_message(f, msg, sizeof(msg))));
	api_answer(req, 409, o);
}

int
budget_today(struct store *st, const struct config *cfg, const char *name,
    int64_t now, struct budget_today *out)
{
	const struct channel_config *cc = config_channel(cfg, name);
	char day[STORE_DAY_LEN];
	int64_t per;

	memset(out, 0, sizeof(*out));
	out->budget = -1;
	if (store_spend_segments(
		st, name, store_local_day(now, day), &out->segments) != 0)
		return STORE_ERR;
	if (config_channel_budget(cc, &out->budget) != 0)
		out->budget = -1;
	if (config_channel_cost(cc, &per) == 0) {
		out->has_cost = 1;
		out->spent = out->segments * per;
	}
	return 0;
}
