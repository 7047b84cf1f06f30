/*
 * client_thread.h: the shared HTTP client (client.h) on a thread of its
 * own, so that the providers' requests (curl, the sockets, TLS) use the
 * second core while the owner's loop keeps the store, the flows and the
 * webhooks.
 *
 * The owner's loop hands requests over and gets answers back in batches:
 * requests made during one turn of the owner's loop cross to the client's
 * thread at the end of that turn (before the loop waits), under one lock
 * and with one uv_async_send; answers cross back the same way at the end
 * of the client thread's turn. No lock is taken per request.
 *
 * Every function here runs on the owner's loop thread only, and every
 * callback is called there; nothing the caller gives is touched on the
 * other thread (each request is copied whole). The owner's data therefore
 * needs no lock.
 *
 * The caller MUST call curl_global_init once per process before
 * client_thread_start, as for client_init.
 */
#ifndef BARAZA_CLIENT_THREAD_H
#define BARAZA_CLIENT_THREAD_H

#include <uv.h>

#include "providers/client.h"

struct client_thread;

/*
 * Starts the client's thread for owner (a loop that outlives it). Returns
 * the client, or NULL when a thread, loop or client cannot be made (then
 * nothing needs closing). After success client_thread_shutdown MUST run
 * before owner's loop ends: the client keeps owner alive until then.
 */
struct client_thread *client_thread_start(uv_loop_t *owner);

/*
 * client_set_max_connections on the thread's client, applied before the
 * next request starts there. Returns 0, or -1 for a negative max or
 * per_host.
 */
int client_thread_set_max_connections(
    struct client_thread *, long max, long per_host);

/*
 * As client_request: req is checked at once (client_req_valid), copied,
 * and started on the client's thread; cb(resp, arg) is called exactly
 * once, later, on the owner's loop. Returns -1 (cb never called) for a
 * request client_req_valid refuses or when shutting down. A request that
 * passes the check but that the thread's client cannot start (too many in
 * flight, curl failing) ends through cb with status 0, code
 * CURLE_FAILED_INIT, outcome CLIENT_TEMPFAIL and the error "the request
 * cannot start".
 */
int client_thread_request(struct client_thread *, const struct client_req *req,
    client_done_cb cb, void *arg);

/*
 * A request made and read on the client's thread, so that the owner's
 * loop does neither: build fills *req (its strings kept in arg until
 * parse), returning 0, or -1 when there is nothing to send; parse gets the
 * answer (as client_request's callback would, cancelled and "cannot
 * start" included), or NULL after a build that returned -1; done then
 * runs on the owner's loop, exactly once. arg belongs to the thread from
 * the call until done: the owner MUST NOT touch it meanwhile, and build
 * and parse MUST touch nothing else that the owner changes.
 */
struct client_job_ops {
	int (*build)(void *arg, struct client_req *req);
	void (*parse)(void *arg, const struct client_resp *resp);
	void (*done)(void *arg);
};

/*
 * Starts a job (above). Returns 0, or -1 when shutting down (nothing of
 * ops is called). A request that build makes but client_req_valid refuses
 * ends as one that cannot start.
 */
int client_thread_job(
    struct client_thread *, const struct client_job_ops *ops, void *arg);

/*
 * Cancels what is in flight (each callback runs with cancelled = 1, code
 * CURLE_ABORTED_BY_CALLBACK, error "cancelled", as client_shutdown's, but
 * later, from the owner's loop), stops the thread and joins it, closes the
 * client's handles on owner, then calls closed(arg) if not NULL, after
 * which the client is freed. Requests made after this, and before closed
 * runs, fail; calling it again then does nothing. After closed the
 * pointer is gone.
 */
void client_thread_shutdown(
    struct client_thread *, void (*closed)(void *arg), void *arg);

/* Where requests go: a client on this loop, or one on its own thread. */
struct client_port {
	struct client *client;    /* a client on the caller's loop, or */
	struct client_thread *ct; /* one on its own thread */
};

/* Starts req at port p: client_request or client_thread_request. */
int client_port_request(const struct client_port *p,
    const struct client_req *req, client_done_cb cb, void *arg);

/*
 * Runs a job at port p: client_thread_job, or, on a client of the
 * caller's loop, build at once and parse and done from its callback
 * (both at once, before this returns, when build fails or the request
 * cannot start). Returns 0, or -1 as client_thread_job.
 */
int client_port_job(
    const struct client_port *p, const struct client_job_ops *ops, void *arg);

#endif
