/*
 * open311.h: issue reports as open data, Open311 GeoReport v2 (JSON only).
 * The read side, without a token:
 *   GET /open311/v2/services.json        one service per report category
 *   GET /open311/v2/requests.json        reports, newest first, at most
 *                                        OPEN311_REQUESTS_MAX
 *   GET /open311/v2/requests/ID.json     one report, as a one-element array
 * Errors are GeoReport's array [{"code": N, "description": "..."}].
 *
 * Services come from the flows: each `report` step whose category is one
 * menu's variable ("{category}") gives one service per option of that menu
 * (service_code the option's value, service_name its default-language
 * text, keywords its translations, group the flow's title), then every
 * other category found in the reports. A request shows service_request_id,
 * status (open for open, acknowledged and in_progress; closed for resolved
 * and closed), status_notes (the last note), service_code, service_name,
 * description (the details), address (the location), requested_datetime
 * and updated_datetime (ISO 8601 UTC, "Z"). Never the reporter's phone
 * number or contact, and never a number typed in a text: in every text
 * field served (all but status and the times), each digit run of seven or
 * more digits becomes "[number removed]" (scrub_numbers in scrub.h).
 *
 * The write side, with an api_key of [open311] api_keys (compared in
 * constant time; missing or wrong: 403):
 *   POST /open311/v2/requests.json       form: api_key, service_code (one
 *       of the services listed, else 400), description, address_string
 *       (or address_id) and/or lat and long (a location is required),
 *       phone (optional; first_name, last_name, email, media_url and the
 *       rest are not kept). It opens a report as the flows' `report` step
 *       does (flow OPEN311_FLOW, category the service_code, location the
 *       address and/or "lat,long", details the description) and emits
 *       report.created; a phone number, normalised with country_code,
 *       finds or makes the contact, who then gets the status SMS of
 *       council/reports.h like any reporter. Answer, after the commit:
 *       201 [{"service_request_id": "N", "service_notice": "...",
 *       "account_id": null}]. POSTs are counted per api key and per client
 *       address (an IPv6 /64) against [open311] rate: beyond it 429 with
 *       Retry-After.
 */
#ifndef BARAZA_OPEN311_H
#define BARAZA_OPEN311_H

#include <stdint.h>

#include <jansson.h>

#include "flows/flow.h"
#include "gateway/store.h"
#include "lib/http.h"

#define OPEN311_REQUESTS_MAX 1000 /* requests in one answer */
#define OPEN311_SERVICES_MAX 500  /* services in the catalogue */
#define OPEN311_TEXT_MAX \
	4000                    /* bytes of a POST's description or
				     address_string */
#define OPEN311_RATE_KEYS 10000 /* api keys and addresses counted */
/* GETs an address may make a minute: each answer is built on the loop
   (up to OPEN311_REQUESTS_MAX requests), which webhooks wait for. */
#define OPEN311_READS 120
#define OPEN311_FLOW "open311" /* the flow a POSTed report names */

struct gateway;

/*
 * Parses an ISO 8601 time: YYYY-MM-DD, optionally followed by THH:MM,
 * :SS and .fraction, then Z, +HH:MM, +HHMM or +HH (or '-'); a space stands
 * for '+' (a '+' left unencoded in a query string). Without a zone the time
 * is UTC. Returns 0 and sets *ms (since the epoch), or -1.
 */
int open311_parse_time(const char *s, int64_t *ms);

/*
 * The services as a GeoReport JSON array, from set (may be NULL) and the
 * categories of the stored reports. Returns a new reference, or NULL when
 * the store failed.
 */
json_t *open311_services(struct store *, const struct flowset *set);

/*
 * Answers a requests query: query is the raw query string of
 * requests.json (service_request_id, status, service_code, start_date,
 * end_date; jurisdiction_id is ignored), or NULL when id is set: then
 * only report id. Returns the HTTP status (200, 400, 404 for an unknown
 * id, 503) and sets *out to the body: the array of requests on 200, else
 * GeoReport's error array. The caller owns *out.
 */
int open311_requests(struct store *, const struct flowset *set,
    const char *query, int64_t id, json_t **out);

/*
 * Handles /open311/v2/REST; rest is the path after "/open311/v2/". Needs
 * no token. POST requests.json (when [open311] api_keys is set; else 405,
 * as any other method) files a service request, see the top of this file.
 */
void open311_handle(struct gateway *, struct http_request *, const char *rest);

/*
 * The service (struct gateway_service) that counts POSTs by api key and by
 * address, and GETs by address (OPEN311_READS a minute; council/throttle.h,
 * at most OPEN311_RATE_KEYS of each): POSTs only with api_keys; stop
 * releases what start made.
 */
void open311_start(struct gateway *, void **state);
void open311_stop(struct gateway *, void **state);

#endif
