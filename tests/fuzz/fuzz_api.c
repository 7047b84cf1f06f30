/*
 * fuzz_api.c: the admin API's request handlers that read JSON bodies and
 * query strings (docs/http.md, "The console's API"), called for real on
 * requests the real HTTP parser builds from the input, without a running
 * loop.
 *
 * The gateway is a fake one: an in-memory store holding three contacts,
 * three reports and two users (opened afresh every REOPEN inputs: opening
 * one for every input would cost more than the input), a config parsed
 * once, a libuv loop that never runs and the turn's batch, flushed after each request as the
 * loop's check handle would. The handlers reached stay on the loop:
 * broadcasts (POST JSON, dry_run or queued), reports (GET with filters,
 * PATCH JSON, reports.csv, one report, its preview), messages (GET
 * search, ID/log, ID/retry), contacts (search, detail, forget), notify (a
 * CSV body, previewed or queued), tables/topics, and the console's me,
 * audit and users (POST and PATCH JSON, DELETE): the console's service is
 * not started, so a valid new password gets the 503 "not ready" where the
 * hashing would go to the thread pool, after every check of the body. Left
 * out because they go off the loop: the core's POST messages (the
 * dispatcher), simulate (the flows' fetches) and the sign-in form (refused
 * before it is read while the service is not started).
 *
 * Input: byte 0 picks the caller's role (bits 0-1: none, viewer, staff,
 * admin), whether it is the bearer token or a user (bit 2) and how the rest
 * is cut into reads (bits 3-4); the rest is one connection's bytes, any
 * number of pipelined requests. No transaction may stay open once the
 * batch is flushed, and the sanitizers watch the rest.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "council/api_common.h"
#include "council/broadcast.h"
#include "council/console_auth.h"
#include "council/users.h"
#include "gateway/auth.h"
#include "gateway/batch.h"
#include "gateway/config.h"
#include "gateway/gateway.h"
#include "gateway/store.h"
#include "lib/http.h"
#include "lib/log.h"
#include "lib/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define PREFIX "/api/v1/"
#define REOPEN 500 /* inputs that share one store */
#define HASH "scrypt$16$1$1$c2FsdHNhbHQ=$c2FsdHNhbHRzYWx0c2FsdA=="

static const char conf[] = "[gateway]\n"
			   "languages = en sw\n"
			   "admin_token = fuzz\n"
			   "currency = KES\n"
			   "[channel web]\n"
			   "type = http\n"
			   "api_url = http://127.0.0.1:9/send\n"
			   "signing_key = k\n"
			   "cost_per_segment = 0.80\n";

struct run {
	struct gateway *gw;   /* the fake gateway */
	struct principal who; /* the caller, for every request */
};

/* Opens a fresh store with a few contacts and reports in it. */
static struct store *
fresh_store(void)
{
	static const char *const phones[] = {
	    "+254700000001", "+254700000002", "+255700000003"};
	static const char *const cats[] = {"water", "roads", "waste"};
	struct store_contact c;
	struct store *st;
	char *err = NULL;
	int64_t id;
	size_t i;

	if (store_open(":memory:", 0, &st, &err) != 0)
		abort();
	for (i = 0; i < nitems(phones); i++) {
		if (store_contact_get(st, phones[i], 1000, &c) < 0)
			abort();
		(void)store_contact_set_field(st, c.id, "name", "Amina", 1000);
		if (store_report_create(st, c.id, "report", cats[i], "Ward 3",
			"pipe burst", 2000, &id) != 0)
			abort();
		store_contact_free(&c);
	}
	/* Two users (the hash is never checked: no sign-in here). */
	if (store_begin(st) != 0 ||
	    users_add(st, "wanjiru", ROLE_ADMIN, HASH, 1000, NULL) != 0 ||
	    users_add(st, "otieno", ROLE_VIEWER, HASH, 1000, NULL) != 0 ||
	    store_commit(st) != 0)
		abort();
	return st;
}

/* Routes req as council/council.c does, for the handlers named above. */
static void
route(struct gateway *gw, struct http_request *req, const char *rest)
{
	if (strncmp(rest, "broadcasts", 10) == 0)
		broadcast_api(gw, req, rest);
	else if (strncmp(rest, "reports", 7) == 0)
		api_reports(gw, req, rest);
	else if (strcmp(rest, "tables") == 0 && strcmp(req->method, "GET") == 0)
		api_tables(gw, req, rest);
	else if (strcmp(rest, "topics") == 0)
		api_topics(gw, req, rest);
	else if (strcmp(rest, "notify") == 0)
		api_notify(gw, req, rest);
	else if (strcmp(rest, "me") == 0 || strcmp(rest, "audit") == 0 ||
		 strncmp(rest, "users", 5) == 0)
		console_auth_api(gw, req, rest);
	else if (strncmp(rest, "contacts", 8) == 0)
		api_contacts(gw, req, rest);
	else if ((strcmp(rest, "messages") == 0 &&
		     strcmp(req->method, "GET") == 0) ||
		 (strncmp(rest, "messages/", 9) == 0 &&
		     strchr(rest + 9, '/') != NULL))
		api_messages(gw, req, rest);
	else
		http_respond(req, 404, "text/plain", "no such endpoint\n", 17);
}

static void
handler(struct http_request *req, void *arg)
{
	struct run *r = arg;

	req->udata = r->who.role != ROLE_NONE ? &r->who : NULL;
	if (strncmp(req->path, PREFIX, strlen(PREFIX)) != 0) {
		http_respond(req, 404, "text/plain", "no\n", 3);
		return;
	}
	route(r->gw, req, req->path + strlen(PREFIX));
	/* The end of the turn: commit, then the deferred answers. */
	batch_flush(&r->gw->batch);
	if (r->gw->batch.open)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t chunks[4] = {0, 1, 7, 4096};
	static const enum role roles[4] = {
	    ROLE_NONE, ROLE_VIEWER, ROLE_STAFF, ROLE_ADMIN};
	static struct config *cfg;
	static uv_loop_t loop;
	static struct store *st;
	static unsigned uses;
	struct config_errors *errs = NULL;
	struct gateway gw;
	struct run r;
	struct buf out;

	if (size < 1)
		return 0;
	if (cfg == NULL) {
		log_set_level(L_ERROR);
		if (config_parse_buffer(conf, sizeof(conf) - 1, "fuzz.conf",
			"/nonexistent", &cfg, &errs) != 0)
			abort();
		config_errors_free(errs);
		if (uv_loop_init(&loop) != 0)
			abort();
	}
	memset(&gw, 0, sizeof(gw));
	gw.loop = &loop;
	gw.cfg = cfg;
	gw.started_ms = 1;
	if (st == NULL || uses++ == REOPEN) {
		store_close(st);
		st = fresh_store();
		uses = 0;
	}
	gw.store = st;
	batch_init(&gw.batch, &loop, gw.store);

	memset(&r, 0, sizeof(r));
	r.gw = &gw;
	r.who.role = roles[data[0] & 3];
	r.who.token = (data[0] & 4) != 0;
	r.who.user_id = r.who.token ? 0 : 7;
	snprintf(r.who.name, sizeof(r.who.name), "%s",
	    r.who.token ? "token" : "fuzz");

	buf_init(&out, 1 << 20);
	http_parse_buffer(NULL, data + 1, size - 1, chunks[(data[0] >> 3) & 3],
	    handler, &r, &out);
	/* FUZZ_API_SHOW=1: the answers, to check what seeds reach. */
	if (getenv("FUZZ_API_SHOW") != NULL)
		fwrite(out.data, 1, out.len, stderr);
	buf_free(&out);

	batch_close(&gw.batch);
	/* Let the loop close the batch's check handle. */
	uv_run(&loop, UV_RUN_NOWAIT);
	return 0;
}
