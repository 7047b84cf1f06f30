/*
 * gateway.h: the state of a running gateway (`baraza serve`), shared by the
 * modules that the loop drives: the router, the webhooks, the queue, the
 * admin API and metrics. One loop thread owns all of it.
 */
#ifndef BARAZA_GATEWAY_H
#define BARAZA_GATEWAY_H

#include <stdint.h>

#include <uv.h>

#include "batch.h"
#include "checkpoint.h"
#include "client.h"
#include "config.h"
#include "flows/flow.h"
#include "http.h"
#include "ingress.h"
#include "store.h"
#include "strmap.h"

struct dispatcher;
struct modem;
struct metrics;

/*
 * The last heartbeat of a gammu channel, for metrics: the modem work fills
 * it; a channel with known 0 has no sample.
 */
struct gateway_modem {
	int known;     /* a heartbeat came */
	int up;        /* the modem answers */
	double signal; /* signal strength, 0 to 100 percent */
};

/*
 * A loaded flow set with a reference count: a conversation waiting on a
 * fetch keeps the set it started with while a reload swaps in a new one.
 */
struct flows_ref {
	struct flowset *set; /* owned */
	int refs;            /* holders, the gateway's own included */
};

struct gateway {
	uv_loop_t *loop;                /* the one loop */
	struct config *cfg;             /* borrowed from main */
	struct store *store;            /* owned */
	struct http_server http;        /* webhooks, API, metrics */
	struct batch batch;             /* one transaction per turn */
	struct checkpointer checkpoint; /* WAL checkpoints off the loop */
	struct client client;           /* providers and fetches */
	struct dispatcher *dispatch;    /* the outbound queue */
	struct ingress_flood flood;     /* the flood guard's windows */
	struct strmap ussd_seen;        /* AT USSD texts by session */
	char *public_base;              /* where providers reach us */
	struct flows_ref *flows;        /* the set serving now */
	uv_signal_t sigterm;            /* drain and stop */
	uv_signal_t sigint;             /* same */
	uv_signal_t sighup;             /* reload flows */
	uv_fs_event_t flows_watch;      /* edits in the flows folder */
	uv_timer_t reload_timer;        /* debounces flows_watch */
	uv_timer_t stop_timer;          /* the 5 s limit on draining */
	uv_timer_t housekeeping;        /* purges expired sessions */
	int watching;                   /* flows_watch started */
	int stopping;                   /* a stop signal came */
	int http_done;                  /* the server has drained */
	int dispatch_done;              /* no request in flight */
	int client_closing;             /* the last step of a stop */
	int64_t started_ms;             /* wall time at start */
	uint64_t reloads;               /* successful reloads */
	uint64_t reload_failures;       /* refused flow sets */
	uint64_t received;              /* inbound SMS stored */
	uint64_t duplicates;            /* provider retries dropped */
	uint64_t flooded;               /* stored, not answered */
	uint64_t ussd_steps;            /* USSD requests */
	uint64_t reports;               /* delivery reports */
	uint64_t hooks_bad;             /* webhooks refused 400 */
	uint64_t hooks_forbidden;       /* webhooks refused 403 */
	struct metrics *metrics;        /* metrics.c's state, or NULL;
						   metrics_free releases it */
	struct gateway_modem modems[CONFIG_MAX_CHANNELS]; /* by index in
						   cfg->channels (gammu) */
	struct modem **modem_list; /* one per gammu channel */
	size_t nmodems;
	const char *exe_path;     /* this program, for workers */
	uv_timer_t privacy_timer; /* daily retention purge */
	int privacy_started;      /* privacy_timer is open */
};

/*
 * Runs the gateway in the foreground until SIGTERM or SIGINT; exe_path
 * names this program for the modem workers (NULL: /proc/self/exe). Returns the
 * process exit status: 0 after a clean stop, 1 when it could not start
 * (the reason is on stderr as one line).
 */
int serve_main(struct config *, const char *exe_path);

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

/* Answers req with a JSON error body {"error": msg} and status. */
void router_error(struct http_request *, int, const char *);

/* Answers 405 with an Allow header listing allow ("GET, HEAD"). */
void router_method(struct http_request *, const char *allow);

#endif
