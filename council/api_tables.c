/*
 * api_tables.c: GET /api/v1/tables (the data tables with their key,
 * columns, row count and last import) and GET /api/v1/topics (each topic
 * with the subscribers a broadcast to it reaches). Replacing a table (PUT
 * /api/v1/tables/NAME) stays council/import.c's, behind the admin role.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "council/api_common.h"
#include "council/import.h"
#include "gateway/answer.h"
#include "gateway/auth.h"
#include "gateway/gateway.h"
#include "lib/util.h"

static int
table_cb(void *arg, const struct store_table_info *t)
{
	json_t *cols = json_loads(t->columns, 0, NULL);

	if (cols == NULL || !json_is_array(cols)) {
		json_decref(cols);
		cols = json_array();
	}
	json_array_append_new(arg,
	    json_pack("{s:o, s:o, s:o, s:I, s:o}", "name", api_string(t->name),
		"key", api_string(t->key), "columns", cols, "rows",
		(json_int_t)t->rows, "updated", api_time(t->updated)));
	return 0;
}

void
api_tables(struct gateway *gw, struct http_request *req, const char *rest)
{
	json_t *a;

	if (strcmp(rest, "tables") != 0) {
		/* tables/NAME: replacing one (an admin's: import.c asks). */
		import_api(gw, req, rest);
		return;
	}
	if (strcmp(req->method, "GET") != 0) {
		answer_method(req, "GET");
		return;
	}
	if (auth_require(req, ROLE_VIEWER) != 0)
		return;
	a = json_array();
	if (store_console_tables(gw->store, table_cb, a) != 0) {
		json_decref(a);
		api_store_failed(req);
		return;
	}
	api_answer(req, 200, json_pack("{s:o}", "tables", a));
}

static int
topic_cb(void *arg, const char *name, int64_t n)
{
	json_array_append_new(
	    arg, json_pack("{s:o, s:I}", "topic", api_string(name),
		     "subscribers", (json_int_t)n));
	return 0;
}

void
api_topics(struct gateway *gw, struct http_request *req, const char *rest)
{
	json_t *a;

	if (strcmp(rest, "topics") != 0) {
		answer_error(req, 404, "no such API endpoint");
		return;
	}
	if (strcmp(req->method, "GET") != 0) {
		answer_method(req, "GET");
		return;
	}
	if (auth_require(req, ROLE_VIEWER) != 0)
		return;
	a = json_array();
	if (store_console_topics(gw->store, topic_cb, a) != 0) {
		json_decref(a);
		api_store_failed(req);
		return;
	}
	api_answer(req, 200, json_pack("{s:o}", "topics", a));
}
