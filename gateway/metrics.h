/*
 * metrics.h: what the gateway counts, for machines (GET /metrics in the
 * Prometheus text exposition format, every name prefixed baraza_) and for
 * a person (`baraza stats`, which reads the store and works whether or not
 * serve runs).
 *
 * The figures come from three places: counters the running gateway's
 * modules keep (serve, ingress, webhooks, modems, the dispatcher, the HTTP
 * server, the batch, and the webhook latencies recorded here), and GROUP BY queries on the store
 * (messages by channel, direction and state; reports; sessions). The
 * queries run again once the gateway has committed since, at most once per
 * METRICS_FRESH_MS, and at least once per METRICS_CACHE_MS: frequent
 * scrapes cost at most one query set a second. Those queries count every
 * message the store holds (a covering index read whole, about 0.2 s for
 * two million messages): GET /metrics runs them in the thread pool on a
 * connection of their own, and the scrape waits for them, not the loop.
 * A read that took long spaces the next ones out (METRICS_READ_SPACING).
 */
#ifndef BARAZA_METRICS_H
#define BARAZA_METRICS_H

#include <stdint.h>

#include "gateway/config.h"
#include "gateway/hooks.h"
#include "gateway/store.h"
#include "lib/util.h"

struct gateway;

#define METRICS_CACHE_MS 10000 /* store figures are this fresh */
#define METRICS_FRESH_MS 1000  /* ... or this, after our own writes */
#define METRICS_READ_SPACING \
	4                           /* reads this many times their length
				       apart, at least */
#define METRICS_MAX_WAITING 64      /* scrapes waiting for a read; more: 503 */
#define METRICS_MAX_BYTES (4 << 20) /* the largest /metrics answer */
#define METRICS_MAX_ROWS 4096       /* GROUP BY rows kept per query */
#define METRICS_MAX_ANSWERS 256     /* (channel, kind, status) kept */
#define METRICS_LAST_ERRORS 10      /* failures `baraza stats` lists */
#define METRICS_MAX_CATEGORIES 50   /* category labels, "other" included */
#define METRICS_CATEGORY_MAX_LEN 64 /* longer categories count as "other" */

/* The bounds of the time to resolution histogram, in seconds. */
#define METRICS_RES_BUCKETS STORE_RES_BOUNDS
extern const double metrics_res_bounds[METRICS_RES_BUCKETS];

/* One GROUP BY row of messages. */
struct metrics_msgrow {
	char *channel;         /* owned */
	char *state;           /* owned */
	const char *direction; /* "in" or "out" (static) */
	int64_t n;             /* messages */
};

/* One GROUP BY row of reports. */
struct metrics_reprow {
	char *category; /* owned, "" when none */
	char *status;   /* owned */
	int64_t n;      /* reports */
};

/* The store's figures, filled by metrics_collect. */
struct metrics_counts {
	struct metrics_msgrow *msgs; /* nmsgs rows, by channel, state */
	size_t nmsgs;
	struct metrics_reprow *reports; /* nreports rows */
	size_t nreports;
	int64_t sessions;                    /* not expired */
	int64_t resolved;                    /* reports resolved or closed */
	double res_sum;                      /* their seconds to resolution */
	int64_t res_le[METRICS_RES_BUCKETS]; /* cumulative bucket counts */
	int64_t feedback_yes;                /* reporters who said it was
						fixed */
	int64_t feedback_no;                 /* ... and who said not */
};

/*
 * Reads the store's figures at time now into *out (the caller frees it
 * with metrics_counts_free, also after a failure). Returns 0, or -1 when
 * a query failed. Rows beyond METRICS_MAX_ROWS are left out.
 */
int metrics_collect(struct store *, int64_t now, struct metrics_counts *out);
void metrics_counts_free(struct metrics_counts *);

/*
 * Records one answered webhook of the channel at index chan in
 * gw->cfg->channels and of kind, with its HTTP status and the seconds
 * from its first byte to the answer. Allocates gw->metrics on first use
 * (metrics_free releases it). An index past the channels or a kind past
 * HOOK_NKINDS, and pairs beyond the table's limits, are counted under
 * "other".
 */
void metrics_observe_webhook(struct gateway *, size_t chan, enum hook_kind kind,
    int status, double seconds);

/*
 * Appends the whole exposition to out (the caller owns out; its max should
 * be at least METRICS_MAX_BYTES), the store's figures read again on the
 * caller's thread when they are stale (tests; GET /metrics reads them in
 * the pool: metrics_answer). gw->dispatch and gw->flows may be NULL
 * (their series are then left out). Reports carry at most
 * METRICS_MAX_CATEGORIES category labels: the busiest keep theirs, the
 * rest (and any category named "other" or longer than
 * METRICS_CATEGORY_MAX_LEN) are summed by status under category="other";
 * every configured channel gets a queue depth sample, 0 included.
 * Returns 0, or -1 when out is full or the store failed (out then holds
 * what fitted).
 */
int metrics_render(struct gateway *, struct buf *out);

/* Told whether the store's figures could be read (ok 1) or not. */
typedef void (*metrics_ready_cb)(void *arg, int ok);

/*
 * Makes the store's figures fresh, then calls cb(arg, ok): at once when
 * they are; else they are read in the thread pool (on a connection of
 * its own, opened there the first time) and cb is called once they are
 * in, with every other caller that came meanwhile: the loop never waits
 * on them. A database in memory (":memory:"), or a gateway without a
 * loop, is read at once on the caller's thread. Returns 0, or -1 (cb not
 * called) when METRICS_MAX_WAITING callers wait already.
 */
int metrics_refresh(struct gateway *, metrics_ready_cb cb, void *arg);

/*
 * Answers GET /metrics on req: the whole exposition, as metrics_render,
 * once metrics_refresh has the store's figures; 503 when too many scrapes
 * wait already, 500 when the store cannot be read.
 */
void metrics_answer(struct gateway *, struct http_request *req);

/* Frees gw->metrics and sets it to NULL; safe when it was never made. */
void metrics_free(struct gateway *);

/*
 * Appends s to out escaped as a Prometheus label value (backslash, double
 * quote and newline get a backslash). Returns 0 or -1 when out is full.
 */
int metrics_escape(struct buf *out, const char *s);

/*
 * Writes a phone number masked for people and logs, whatever the log
 * level (scrub_phone): "+254700000001" becomes "+254*******01", short
 * ones "****". Returns out, which holds at least 32 bytes.
 */
const char *metrics_mask_phone(const char *, char *out, size_t outlen);

/*
 * `baraza stats`: counts by channel and state, queue depth, sessions,
 * reports and the last failures, read from the store. Exit status 0, 1
 * when the store fails, 2 on bad usage.
 */
int cli_stats(int, char **, struct config *);

#endif
