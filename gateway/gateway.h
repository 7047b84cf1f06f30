/*
 * gateway.h: the state of a running gateway (`baraza serve`), shared by the
 * modules that the loop drives: the router, the webhooks, the queue, the
 * admin API and metrics. One loop thread owns all of it.
 */
#ifndef BARAZA_GATEWAY_H
#define BARAZA_GATEWAY_H

#include <stdint.h>

#include <uv.h>

#include "flows/flow.h"
#include "gateway/answer.h"
#include "gateway/batch.h"
#include "gateway/config.h"
#include "gateway/hooks.h"
#include "gateway/ingress.h"
#include "gateway/modems.h"
#include "gateway/parts.h"
#include "gateway/smsc.h"
#include "gateway/store.h"
#include "gateway/store_checkpoint.h"
#include "lib/http.h"
#include "lib/strmap.h"
#include "providers/client.h"
#include "providers/client_thread.h"

struct dispatcher;
struct metrics;

/*
 * A loaded flow set with a reference count: a conversation waiting on a
 * fetch keeps the set it started with while a reload swaps in a new one.
 */
struct flows_ref {
	struct flowset *set; /* owned */
	int refs;            /* holders, the gateway's own included */
};

/*
 * serve.c's own state: the signals, the flows folder's watch and the
 * timers of a running gateway, and the steps of its stop.
 */
struct serve {
	uv_signal_t sigterm;       /* drain and stop */
	uv_signal_t sigint;        /* same */
	uv_signal_t sighup;        /* reload flows */
	uv_fs_event_t flows_watch; /* edits in the flows folder */
	uv_timer_t reload_timer;   /* debounces flows_watch */
	uv_timer_t stop_timer;     /* the 5 s limit on draining */
	uv_timer_t housekeeping;   /* purges expired sessions */
	uv_timer_t beat;           /* the node's heartbeat (PostgreSQL) */
	char *instance;            /* this run, in the nodes table */
	int64_t twin_warned;       /* when a namesake node was last logged */
	int watching;              /* flows_watch started */
	int http_done;             /* the server has drained */
	int dispatch_done;         /* no request in flight */
	int smpp_done;             /* the SMPP links are closed */
	int client_closing;        /* the last step of a stop */
	uint64_t reloads;          /* successful reloads */
	uint64_t reload_failures;  /* refused flow sets */
	char conf_seen[64];        /* the config file's size and mtime */
};

/*
 * A running gateway: the shared parts (loop, config, store, batch, HTTP
 * server and client, dispatcher, flow set) and the modules, each with its
 * state in a struct of its own that its file alone changes. A handle
 * callback gets back to its module with container_of, and from there to
 * the gateway.
 */
struct gateway {
	uv_loop_t *loop;                /* the one loop */
	struct config *cfg;             /* borrowed from main */
	const char *exe_path;           /* this program, for workers */
	const struct gateway_ext *ext;  /* routes and services above the core */
	struct store *store;            /* owned */
	struct http_server http;        /* webhooks, API, metrics */
	struct batch batch;             /* one transaction per turn */
	struct checkpointer checkpoint; /* WAL checkpoints off the loop */
	struct client client;           /* every request when outbound is
					   NULL */
	struct client_thread *outbound; /* requests on a thread of their
					   own (providers' sends, flows'
					   fetches, event webhooks), or NULL */
	struct client_port out;         /* where requests go: one of those */
	struct dispatcher *dispatch;    /* the outbound queue */
	char *public_base;              /* where providers reach us */
	struct flows_ref *flows;        /* the set serving now */
	int64_t started_ms;             /* wall time at start */
	int stopping;                   /* a stop signal came */
	struct serve serve;             /* serve.c */
	struct ingress ingress;         /* ingress.c */
	struct parts parts;             /* parts.c */
	struct hooks hooks;             /* hooks.c */
	struct modems modems;           /* modems.c */
	struct smscs smscs;             /* smsc.c: SMPP links */
	struct metrics *metrics;        /* metrics.c's state, or NULL;
					   metrics_free releases it */
	void **services;                /* each ext service's state, as its
					   start set it (see gateway_service) */
};

/*
 * HTTP handlers above the core (council/) are registered, not called by
 * name, so the core never includes the layers built on it. A route serves
 * the paths under base whose next segment is name ("reports" takes
 * "/api/v1/reports" and "/api/v1/reports/7"; "" takes everything under
 * base); handle gets rest, the path after base. Everything under
 * "/api/v1/" is behind the admin token before any route is tried.
 */
struct gateway_route {
	const char *base; /* "/api/v1/", "/open311/v2/" */
	const char *name; /* first segment after base, or "" */
	void (*handle)(
	    struct gateway *, struct http_request *, const char *rest);
};

/*
 * A service above the core that runs while serve does (a timer, say):
 * start once the core has started, stop when the gateway stops (it closes
 * its handles; the loop then runs out). The service keeps its own state
 * behind *state, which the gateway holds for it (NULL at first): start
 * sets it, stop releases it and sets it back to NULL.
 */
struct gateway_service {
	const char *name;                              /* for the log */
	void (*start)(struct gateway *, void **state); /* may be NULL */
	void (*stop)(struct gateway *, void **state);  /* may be NULL */
};

/*
 * The state of the running service whose start function is start (as it
 * set *state), or NULL when it is not running (not started, stopped).
 */
void *gateway_service_state(
    const struct gateway *, void (*start)(struct gateway *, void **));

/* What the layers above the core add to serve. */
struct gateway_ext {
	const struct gateway_route *routes; /* nroutes of them */
	size_t nroutes;
	const struct gateway_service *services; /* nservices of them */
	size_t nservices;
};

/*
 * Runs the gateway in the foreground until SIGTERM or SIGINT; exe_path
 * names this program for the modem workers (NULL: /proc/self/exe); ext
 * (may be NULL) adds routes and services. Returns the process exit status:
 * 0 after a clean stop, 1 when it could not start (the reason is on stderr
 * as one line).
 */
int serve_main(
    struct config *, const char *exe_path, const struct gateway_ext *ext);

/*
 * Loads the flows folder of cfg into a new set. Findings (errors and
 * warnings) go to findings. Returns 0 and sets *out (the caller frees it
 * with flowset_free), or -1 when the set has errors.
 */
int gateway_load_flows(
    const struct config *, struct flowset **, struct flow_findings *);

/* Takes a reference on the current flow set; release it with flows_unref. */
struct flows_ref *flows_ref(struct gateway *);
void flows_unref(struct flows_ref *);

/* The HTTP handler: routes every request (router.c). arg is the gateway. */
void router_handle(struct http_request *, void *);

#endif
