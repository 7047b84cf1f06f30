/*
 * router.c: maps each request to its handler by path and method:
 *   /healthz                 liveness of the store
 *   /metrics                 Prometheus text
 *   /hooks/CHANNEL/KIND      provider webhooks
 *   /api/v1/...              API (bearer token or console session)
 *   /open311/v2/...          open data
 *   /console/...             the staff console ("/" redirects there)
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
#include "gateway/auth.h"
#include "gateway/gateway.h"
#include "gateway/hooks.h"
#include "gateway/metrics.h"
#include "lib/log.h"
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
	/* The body is exactly "ok", as the contract writes it. */
	http_respond(req, 200, "text/plain", "ok", 2);
}

static void
route_metrics(struct gateway *gw, struct http_request *req)
{
	if (!is_method(req, "GET")) {
		answer_method(req, "GET");
		return;
	}
	metrics_answer(gw, req);
}

/* /hooks/CHANNEL/KIND: the provider webhooks (hooks.c). */
static void
route_hooks(struct gateway *gw, struct http_request *req, const char *rest)
{
	const struct channel_config *ch;
	enum hook_kind kind;
	const char *why = hooks_route(gw->cfg, rest, &ch, &kind);

	if (why != NULL) {
		answer_error(req, 404, why);
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

/*
 * /api/v1/...: the API, behind the bearer token or a console session
 * (gateway/auth.h). The principal lives as long as the request (owned by
 * it): handlers read it through req->udata, answers given after a read in
 * the pool or after a commit too.
 */
static void
route_api(struct gateway *gw, struct http_request *req, const char *rest)
{
	const struct gateway_route *r;
	struct principal *who = xmalloc(sizeof(*who));

	if (auth_request(gw, req, who) != 0) {
		free(who);
		return;
	}
	free(req->owned);
	req->owned = who;
	req->udata = who;
	req->private_view = who->role == ROLE_VIEWER;
	if ((r = find_route(gw, "/api/v1/", rest)) != NULL)
		r->handle(gw, req, rest);
	else
		api_handle(gw, req, rest);
}

/*
 * The route registered for p under a base other than /api/v1/ (whose
 * requests need no principal), or NULL; sets *rest to the path after it.
 */
static const struct gateway_route *
find_other(const struct gateway *gw, const char *p, const char **rest)
{
	const struct gateway_route *r;
	size_t i, n;

	for (i = 0; gw->ext != NULL && i < gw->ext->nroutes; i++) {
		r = &gw->ext->routes[i];
		n = strlen(r->base);
		if (strcmp(r->base, "/api/v1/") == 0 ||
		    strncmp(p, r->base, n) != 0)
			continue;
		if ((r = find_route(gw, gw->ext->routes[i].base, p + n)) !=
		    NULL) {
			*rest = p + n;
			return r;
		}
	}
	return NULL;
}

void
router_handle(struct http_request *req, void *arg)
{
	struct gateway *gw = arg;
	const struct gateway_route *r;
	const char *p = req->path, *rest;

	req->udata = NULL; /* no principal outside the API */
	if (strcmp(p, "/healthz") == 0)
		route_healthz(gw, req);
	else if (strcmp(p, "/metrics") == 0)
		route_metrics(gw, req);
	else if (strncmp(p, "/hooks/", 7) == 0)
		route_hooks(gw, req, p + 7);
	else if (strncmp(p, "/api/v1/", 8) == 0)
		route_api(gw, req, p + 8);
	else if (strcmp(p, "/") == 0 && (strcmp(req->method, "GET") == 0 ||
					    strcmp(req->method, "HEAD") == 0))
		http_respond_ex(
		    req, 303, NULL, "Location: /console/\r\n", NULL, 0);
	else if ((r = find_other(gw, p, &rest)) != NULL)
		r->handle(gw, req, rest);
	else
		answer_error(req, 404, "not found");
}
