/*
 * reports.h: the life of issue reports after a flow opened them: listing
 * and filtering, status changes kept as events, the SMS that tells the
 * reporter, and the JSON the admin API shows (reports.c), plus the
 * `baraza reports` and `baraza report` commands (cli_reports.c).
 *
 * A status change (or a note) is one event in report_events, with its time
 * and note. When the status really changes and the report has a reporter
 * who has not opted out, the reporter gets an SMS in their language, queued
 * in the same transaction as the event: an opt-out stops broadcasts and
 * notifications alike, so opted-out reporters are never told. The text is
 * the config's [reports] text for the status in the contact's language,
 * else in the default language, else a built-in one (English or Swahili);
 * texts use the flow template syntax with {id}, {status}, {category},
 * {location} and {note}.
 *
 * Feedback (issue 14): when a report becomes resolved and [reports] sets a
 * feedback_text, the reporter also gets that question (in their language,
 * else the default language's), after the status SMS and once per report,
 * ever; the answer is kept with the report (dialog.c) and shown by the
 * report's JSON ("feedback"), `baraza stats`, /metrics and the overview.
 */
#ifndef BARAZA_REPORTS_H
#define BARAZA_REPORTS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "gateway/config.h"
#include "gateway/store.h"
#include "lib/http.h"

#define REPORTS_LIST_MAX 1000    /* reports in one API answer */
#define REPORTS_EVENTS_MAX 1000  /* events shown for one report */
#define REPORTS_FILTER_MAX 100   /* values in one filter list */
#define REPORTS_NOTE_SMS_MAX 300 /* bytes of a note copied into the SMS */

struct gateway;

/*
 * Lists the reports that f matches (NULL: all), newest first, through the
 * store's walk (store_report_each()): cb gets each report and its last
 * non-empty note, valid only during the call; it MUST NOT list reports
 * itself, and returning non-zero stops the listing. Returns 0 (also when
 * the callback stopped it), STORE_EINVAL when a list is longer than
 * REPORTS_FILTER_MAX (ids: REPORTS_LIST_MAX), STORE_ERR on failure.
 */
int reports_each(struct store *, const struct store_report_filter *f,
    store_report_cb cb, void *arg);

/* One event of a report. */
struct reports_event {
	int64_t time; /* ms since the epoch */
	char *status; /* owned */
	char *note;   /* owned, or NULL */
};

/*
 * Loads up to REPORTS_EVENTS_MAX events of report id in time order into a
 * new array *out (the caller frees it with reports_events_free) of *n
 * entries. Returns 0 (an unknown report has no events) or STORE_ERR.
 */
int reports_events(
    struct store *, int64_t id, struct reports_event **out, size_t *n);
void reports_events_free(struct reports_event *, size_t);

/* The last non-empty note of report id, a new string, or NULL. */
char *reports_last_note(struct store *, int64_t id);

/* What reports_update did. */
struct reports_update_result {
	int changed;         /* 1 when the status changed */
	int64_t message_id;  /* the reporter's SMS, or 0 when none */
	int64_t feedback_id; /* the feedback question's SMS, or 0 */
	const char *no_sms;  /* static reason when no SMS was queued and
				 the status changed, else NULL */
	char old_status[16]; /* the status before the update */
};

/*
 * Adds an event to report id: status NULL keeps the current status (a
 * note alone), note NULL or "" adds none. When the status changes, the
 * reporter's SMS is queued (see the top of this file) on the contact's
 * last channel when cfg still has it, else cfg->default_channel. All of it
 * is atomic (a savepoint); the caller MUST hold a transaction (store_begin
 * or batch_begin) so that the event and the SMS commit together. Fills
 * *res when not NULL. Returns 0, STORE_NOTFOUND for an unknown report,
 * STORE_EINVAL for an unknown status, a note over STORE_TEXT_MAX bytes or
 * neither status nor note, STORE_ERR on failure (nothing written).
 */
int reports_update(struct store *, const struct config *cfg, int64_t id,
    const char *status, const char *note, int64_t now,
    struct reports_update_result *res);

/* The SMS a status change would send, as reports_preview() tells it. */
struct reports_preview {
	char *text;      /* the SMS, owned, or NULL when none would go */
	char *phone;     /* the reporter's number, owned (with text) */
	char *language;  /* the text's language, owned (with text) */
	const char *why; /* static, when text is NULL: "opted out", ... */
	char *feedback;  /* the feedback question that would follow it,
			    owned, or NULL (see the top of this file) */
};

/*
 * Works out, writing nothing, the SMS that reports_update() would queue
 * for the reporter if report id's status became status with note (may be
 * NULL): none when the status does not change, the report has no
 * reporter or the reporter opted out; and the feedback question after it
 * (resolved, feedback_text set, never asked before). Returns 0 and fills *out (free it
 * with reports_preview_free()), STORE_NOTFOUND, STORE_EINVAL for an
 * unknown status or a note over STORE_TEXT_MAX bytes, or STORE_ERR.
 */
int reports_preview(struct store *, const struct config *cfg, int64_t id,
    const char *status, const char *note, struct reports_preview *out);
void reports_preview_free(struct reports_preview *);

/*
 * Renders the text that tells the reporter about report r's new status in
 * language lang ("en", "sw"; others fall back to English), with note (may
 * be NULL; at most REPORTS_NOTE_SMS_MAX bytes of it are used). Returns a
 * new string the caller frees, or NULL for an unknown status.
 */
char *reports_sms_text(
    const struct store_report *r, const char *lang, const char *note);

/*
 * A report as the admin API shows it: id, status, category, location,
 * details, flow, contact_id, created, updated (ISO 8601 UTC) and
 * last_note. Never the phone number. Returns a new reference.
 */
json_t *reports_json(const struct store_report *, const char *last_note);

/* The events as a JSON array of {time, status, note}; a new reference. */
json_t *reports_events_json(const struct reports_event *, size_t);

/*
 * The admin API for one report; rest is the path after "/api/v1/"
 * ("reports/ID"): GET reports/ID (with events), PATCH reports/ID
 * {"status", "note"?} (answers after the commit with the updated report).
 * The lists (GET reports, reports.csv, PATCH reports, the preview) are
 * council/api_reports.c's, which calls this for the rest.
 */
void reports_api(struct gateway *, struct http_request *, const char *rest);

/*
 * The commands (cli_reports.c): `baraza reports [--status S]` prints a
 * table (id, status, category, location, age); `baraza report ID [--status
 * S] [--note TEXT]` shows one report with its events, or updates it first.
 * Exit 0 done, 1 the work failed (unknown report, store error), 2 bad usage
 * (an unknown status included).
 */
int cli_reports_list(int, char **, struct config *);
int cli_reports_show(int, char **, struct config *);

#endif
