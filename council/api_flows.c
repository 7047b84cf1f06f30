/*
 * api_flows.c: GET /api/v1/flows: every flow serving now with its
 * triggers, and what the checker finds in the flows folder as it is on
 * disk now (so an edit that a reload refused shows its errors here).
 * Files are named relative to the flows folder.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "council/api_common.h"
#include "flows/flow.h"
#include "gateway/answer.h"
#include "gateway/auth.h"
#include "gateway/gateway.h"
#include "lib/util.h"

/*
 * A flow file's name as the console shows it: relative to the flows
 * folder (the config's path to it is the server's business).
 */
static json_t *
file_json(const struct config *cfg, const char *file)
{
	size_t n = strlen(cfg->flows);

	if (file != NULL && strncmp(file, cfg->flows, n) == 0 && file[n] == '/')
		file += n + 1;
	return api_string(file);
}

/* A trigger as {"kind", "value"}. */
static json_t *
trigger_json(const struct flow_trigger *t)
{
	char *re;
	json_t *o;

	switch (t->kind) {
	case TRIGGER_KEYWORD:
		return json_pack("{s:s, s:o}", "kind", "keyword", "value",
		    api_string(t->word));
	case TRIGGER_USSD:
		return json_pack(
		    "{s:s, s:o}", "kind", "ussd", "value", api_string(t->word));
	case TRIGGER_MATCH:
		re = xasprintf(
		    "/%s/%s", t->re.src ? t->re.src : "", t->re.flags);
		o = json_pack(
		    "{s:s, s:o}", "kind", "match", "value", api_string(re));
		free(re);
		return o;
	case TRIGGER_DEFAULT:
	default:
		return json_pack("{s:s, s:n}", "kind", "default", "value");
	}
}

static json_t *
flow_json(const struct config *cfg, const struct flow *f)
{
	json_t *o, *triggers;
	size_t i;

	triggers = json_array();
	for (i = 0; i < f->ntriggers; i++)
		json_array_append_new(triggers, trigger_json(&f->triggers[i]));
	o = json_object();
	json_object_set_new(o, "name", api_string(f->name));
	json_object_set_new(o, "title",
	    f->has_title && f->title.tmpl != NULL
		? api_string(f->title.tmpl->src)
		: json_null());
	json_object_set_new(o, "file", file_json(cfg, f->pos.file));
	json_object_set_new(o, "line", json_integer(f->pos.line));
	json_object_set_new(o, "triggers", triggers);
	return o;
}

/* The checker's findings for the folder as it is now. */
static json_t *
findings_json(const struct config *cfg)
{
	struct flow_findings f;
	struct flowset *set = NULL;
	json_t *a;
	size_t i;

	flow_findings_init(&f);
	gateway_load_flows(cfg, &set, &f);
	flowset_free(set);
	a = json_array();
	for (i = 0; i < f.n; i++)
		json_array_append_new(a,
		    json_pack("{s:o, s:i, s:i, s:s, s:o}", "file",
			file_json(cfg, f.v[i].file), "line", (int)f.v[i].line,
			"col", (int)f.v[i].col, "severity",
			f.v[i].severity == FINDING_ERROR ? "error" : "warning",
			"message", api_string(f.v[i].msg)));
	flow_findings_free(&f);
	return a;
}

/* GET /api/v1/flows */
static void
flows(struct gateway *gw, struct http_request *req)
{
	const struct flowset *set = gw->flows != NULL ? gw->flows->set : NULL;
	json_t *a = json_array();
	size_t i;

	for (i = 0; set != NULL && i < set->nflows; i++)
		json_array_append_new(a, flow_json(gw->cfg, set->flows[i]));
	api_answer(req, 200,
	    json_pack(
		"{s:o, s:o}", "flows", a, "findings", findings_json(gw->cfg)));
}

void
api_flows(struct gateway *gw, struct http_request *req, const char *rest)
{
	if (strcmp(rest, "flows") != 0) {
		answer_error(req, 404, "no such API endpoint");
		return;
	}
	if (strcmp(req->method, "GET") != 0)
		answer_method(req, "GET");
	else if (auth_require(req, ROLE_VIEWER) == 0)
		flows(gw, req);
}
