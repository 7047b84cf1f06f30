/*
 * router.c: maps each request to its handler by path and method:
 *   /healthz                 liveness of the store
 *   /metrics                 Prometheus text
 *   /hooks/CHANNEL/KIND      provider webhooks
 *   /api/v1/...              admin API (bearer token)
 *   /open311/v2/...          open data
 * The core serves the first four (of the API: messages); the layers above
 * it register the rest (struct gateway_route).
 * Unknown paths get 404, known paths with another method 405 with Allow.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gateway/answer.h"
#include "gateway/api.h"
#include "gateway/gateway.h"
#include "gateway/hooks.h"
#include "gateway/metrics.h"
#include "lib/log.h"
#include "lib/sig.h"
#include "lib/util.h"

static int
is_method(const struct http_request *req, const char *m)
{
	return strcmp(req->method, m) == 0;
}

static void
route_healthz(struct gateway *gw, struct http_request *req)
{
	if (!is_method(req, "GET") && !is_method(req, "HEAD")) {
		answer_method(req, "GET, HEAD");
		return;
	}
	if (store_ping(gw->store) != 0) {
		http_respond(req, 503, "text/plain", "store unavailable\n", 18);
		return;
	}
	http_respond(req, 200, "text/plain", "ok\n", 3);
}

static void
route_metrics(struct gateway *gw, struct http_request *req)
{
	struct buf b;

	if (!is_method(req, "GET")) {
		answer_method(req, "GET");
		return;
	}
	buf_init(&b, METRICS_MAX_BYTES);
	if (metrics_render(gw, &b) != 0)
		answer_error(req, 500, "metrics unavailable");
	else
		http_respond(
		    req, 200, "text/plain; version=0.0.4", b.data, b.len);
	buf_free(&b);
}

/* /hooks/CHANNEL/KIND: filled by the channels work. */
static void
route_hooks(struct gateway *gw, struct http_request *req, const char *rest)
{
	char name[64];
	const char *kind, *slash = strchr(rest, '/');
	const struct channel_config *ch;
	size_t n;

	if (slash == NULL || (n = (size_t)(slash - rest)) == 0 ||
	    n >= sizeof(name)) {
		answer_error(req, 404, "no such webhook");
		return;
	}
	memcpy(name, rest, n);
	name[n] = '\0';
	kind = slash + 1;
	if ((ch = config_channel(gw->cfg, name)) == NULL) {
		answer_error(req, 404, "no such channel");
		return;
	}
	if (strcmp(kind, "sms") != 0 && strcmp(kind, "ussd") != 0 &&
	    strcmp(kind, "status") != 0) {
		answer_error(req, 404, "no such webhook kind");
		return;
	}
	hooks_handle(gw, req, ch, kind);
}

/*
 * The registered route for path under base, or NULL: the first whose name
 * is "" or the segment that follows base.
 */
static const struct gateway_route *
find_route(const struct gateway *gw, const char *base, const char *rest)
{
	const struct gateway_route *r;
	size_t i, n;

	for (i = 0; gw->ext != NULL && i < gw->ext->nroutes; i++) {
		r = &gw->ext->routes[i];
		if (strcmp(r->base, base) != 0)
			continue;
		n = strlen(r->name);
		if (n == 0 || (strncmp(rest, r->name, n) == 0 &&
				  (rest[n] == '\0' || rest[n] == '/')))
			return r;
	}
	return NULL;
}

/* /api/v1/...: the admin API, behind the bearer token. */
static void
route_api(struct gateway *gw, struct http_request *req, const char *rest)
{
	const struct gateway_route *r;
	const char *auth = http_header(req, "Authorization");

	/* Without a configured token no request is authorised. */
	if (gw->cfg->admin_token == NULL || auth == NULL ||
	    strncmp(auth, "Bearer ", 7) != 0 ||
	    !sig_equal(auth + 7, gw->cfg->admin_token)) {
		http_respond_ex(req, 401, "application/json",
		    "WWW-Authenticate: Bearer\r\n",
		    "{\"error\":\"a valid bearer token is required\"}",
		    strlen("{\"error\":\"a valid bearer token is required\"}"));
		return;
	}
	if ((r = find_route(gw, "/api/v1/", rest)) != NULL)
		r->handle(gw, req, rest);
	else
		api_handle(gw, req, rest);
}

void
router_handle(struct http_request *req, void *arg)
{
	struct gateway *gw = arg;
	const struct gateway_route *r;
	const char *p = req->path;

	if (strcmp(p, "/healthz") == 0)
		route_healthz(gw, req);
	else if (strcmp(p, "/metrics") == 0)
		route_metrics(gw, req);
	else if (strncmp(p, "/hooks/", 7) == 0)
		route_hooks(gw, req, p + 7);
	else if (strncmp(p, "/api/v1/", 8) == 0)
		route_api(gw, req, p + 8);
	else if (strncmp(p, "/open311/v2/", 12) == 0 &&
		 (r = find_route(gw, "/open311/v2/", p + 12)) != NULL)
		r->handle(gw, req, p + 12);
	else
		answer_error(req, 404, "not found");
}
