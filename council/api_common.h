/*
 * api_common.h: the admin API endpoints the staff console needs
 * (docs/http.md, "The console's API"), usable by any client with the
 * bearer token, and what they share: paging, query strings, JSON answers
 * given now or after the turn's commit.
 *
 * Lists are paged on the server: `limit` (API_LIMIT_DEFAULT, at most
 * API_LIMIT_MAX) and `cursor`, an opaque string from the previous page's
 * "next"; the answer is {"items": [...], "next": CURSOR or null}.
 *
 * Every handler first asks gateway/auth.h for its role (GET viewer, writes
 * staff, forgetting and tables admin), shows phone numbers through
 * auth_phone() and keeps each write in the audit log in the transaction of
 * the write itself.
 */
#ifndef BARAZA_API_COMMON_H
#define BARAZA_API_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lib/form.h"
#include "lib/http.h"

struct gateway;

#define API_LIMIT_DEFAULT 50 /* items in a page when no limit is asked */
#define API_LIMIT_MAX 200    /* items in a page at most */

/* A page asked for: its size and where it starts. */
struct api_page {
	size_t limit;   /* 1 to API_LIMIT_MAX */
	int64_t before; /* the cursor: ids below it; 0 from the newest */
};

/*
 * Parses req's query string into *q (the caller frees it with form_free()
 * either way). Returns 0, or answers 400 and returns -1.
 */
int api_query(struct http_request *req, struct form *q);

/*
 * Reads `limit` and `cursor` from q into *out. Returns 0, or answers 400
 * and returns -1.
 */
int
api_page(struct http_request *req, const struct form *q, struct api_page *out);

/* {"items": items (taken), "next": next as a cursor, or null when 0}. */
json_t *api_paged(json_t *items, int64_t next);

/*
 * Answers req with the JSON value o (whose reference it takes); reals are
 * written with at most 15 significant digits (0.8, not
 * 0.80000000000000004).
 */
void api_answer(struct http_request *req, int status, json_t *o);

/*
 * Answers req with o (taken) after the turn's transaction commits, or 503
 * when it is rolled back. The caller has called batch_begin().
 */
void api_answer_after_commit(
    struct gateway *, struct http_request *req, int status, json_t *o);

/* Answers 503 "the store failed; try again". */
void api_store_failed(struct http_request *req);

/* The body as a JSON object (a new reference), or answers 400: NULL. */
json_t *api_body_object(struct http_request *req);

/* A time in ms as an ISO 8601 UTC JSON string, or null when ms < 0. */
json_t *api_time(int64_t ms);

/*
 * A viewer's words to search text with (name is the parameter): 0 when
 * they may be used, else -1 with req answered 403. Viewers see numbers
 * masked (console.md); a search matches the whole text, so words with a
 * digit would tell the masked ones, one request at a time.
 */
int
api_viewer_words(struct http_request *req, const char *name, const char *words);

/* A JSON string of s, or null for NULL (bytes of bad UTF-8 become '?'). */
json_t *api_string(const char *s);

/* An amount in millionths as a JSON real (800000 gives 0.8). */
json_t *api_money(int64_t micro);

/*
 * Reads a time bound: ISO 8601 as `--at` takes it, or a date YYYY-MM-DD,
 * which means the start of that local day (end 0) or its last millisecond
 * (end 1). Returns 0 and sets *ms, or -1.
 */
int api_parse_time(const char *s, int end, int64_t *ms);

struct store_msg_query;

/*
 * Lists the messages q matches as req's principal may see them, into
 * *out: {"items": [...], "next": ...}. Returns 0, or -1 when the store
 * failed.
 */
int api_message_items(struct gateway *, struct http_request *req,
    const struct store_msg_query *q, json_t **out);

/*
 * The handlers, registered in council/council.c; rest is the path after
 * "/api/v1/".
 */

/*
 * "messages": GET (search), POST (the core's send); "messages/ID": GET
 * (the core's, numbers masked for viewers); "messages/ID/retry": POST.
 */
void api_messages(struct gateway *, struct http_request *, const char *rest);

/* "contacts" (search), "contacts/ID", "contacts/ID/forget". */
void api_contacts(struct gateway *, struct http_request *, const char *rest);

/* "overview": the console's first page. */
void api_overview(struct gateway *, struct http_request *, const char *rest);

/*
 * The overview's service: its reads shared by the callers that come
 * during one, in the thread pool by the council's reader (reader.h).
 */
void api_overview_start(struct gateway *, void **state);
void api_overview_stop(struct gateway *, void **state);

#define API_OVERVIEW_MAX_WAITING 64 /* callers waiting for one read */

/* Told the overview (taken over: decref it), or NULL: the store failed. */
typedef void (*api_overview_cb)(void *arg, json_t *overview);

/*
 * GET /api/v1/overview's document: read in the thread pool while the
 * service runs, with a loop and a database file (cb is called later, on
 * the loop, with every caller that came during the same read), or here
 * (cb is called before this returns). -1 when API_OVERVIEW_MAX_WAITING
 * callers wait already (cb is not called); 0 otherwise.
 */
int api_overview_read(struct gateway *, api_overview_cb cb, void *arg);

/* "flows": the flows serving now and the checker's findings. */
void api_flows(struct gateway *, struct http_request *, const char *rest);

/* "simulate": the real flows in a sandbox. */
void api_simulate(struct gateway *, struct http_request *, const char *rest);

/*
 * "reports" (GET the list, PATCH several), "reports.csv", and
 * "reports/ID/preview"; one report is council/reports.c's.
 */
void api_reports(struct gateway *, struct http_request *, const char *rest);

/* "notify": a CSV of personal messages, previewed or queued. */
void api_notify(struct gateway *, struct http_request *, const char *rest);

/* "tables": GET lists them; the rest is council/import.c's (admin). */
void api_tables(struct gateway *, struct http_request *, const char *rest);

/* "topics": GET, each topic with its audience. */
void api_topics(struct gateway *, struct http_request *, const char *rest);

/*
 * The simulator's service (council/council.c): start makes the map of
 * its conversations, stop forgets them.
 */
void api_simulate_start(struct gateway *, void **state);
void api_simulate_stop(struct gateway *, void **state);

#endif
