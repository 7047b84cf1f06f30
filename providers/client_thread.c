/*
 * client_thread.c: client.h's client on a thread of its own (see
 * client_thread.h).
 *
 * Two loops, two queues. Requests made on the owner's loop wait in an
 * owner-side list until the end of that turn (a prepare and a check
 * handle flush it), then move to the shared list under the mutex and the
 * thread is woken (io_async). The thread starts them on its client; each
 * answer is copied into one block and waits in a thread-side list until
 * the end of the thread's turn, then moves to the shared list the same
 * way and the owner is woken (owner_async), which calls the callbacks.
 *
 * The stop: the owner sets stop under the mutex and wakes the thread (also
 * under the mutex, so the thread cannot have closed io_async meanwhile).
 * The thread cancels what it has, shuts its client down, hands the last
 * answers over with done set (under the mutex, waking the owner there
 * too), and closes its handles, which ends its loop and the thread. The
 * owner calls the last callbacks, joins the thread and closes its own
 * handles; the last close calls closed and frees everything.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <uv.h>

#include "lib/log.h"
#include "lib/util.h"
#include "providers/client_thread.h"

#define START_FAILED "the request cannot start"

/* A request on its way to the thread: one block holding every string. */
struct ct_req {
	struct ct_req *next;
	struct client_req req;
	client_done_cb cb;
	const struct client_job_ops *job; /* a job: no req, no cb */
	void *arg;
	struct client_thread *ct;
	const char *headers[CLIENT_MAX_HEADERS + 1];
	char data[]; /* the strings req points to */
};

/* An answer on its way back: one block holding its strings. */
struct ct_resp {
	struct ct_resp *next;
	struct client_resp resp;
	client_done_cb cb;
	const struct client_job_ops *job; /* a job's done: no resp */
	void *arg;
	char data[]; /* error, body, content type */
};

struct client_thread {
	/* The owner's side: its loop thread only. */
	uv_loop_t *owner;
	uv_async_t owner_async;             /* answers, or the thread's end */
	uv_prepare_t owner_prep;            /* end of turn: flush */
	uv_check_t owner_check;             /* the same, after I/O */
	struct ct_req *out_head, *out_tail; /* made this turn */
	size_t inflight;                    /* requests without an answer */
	int closing;                        /* client_thread_shutdown ran */
	int joined;                         /* the thread is joined */
	int owner_handles;                  /* owner handles not closed */
	void (*closed)(void *);
	void *closed_arg;

	/* The thread's side: that thread only, once it runs. */
	uv_thread_t thread;
	uv_loop_t loop;
	struct client client;
	uv_async_t io_async;                   /* requests, or the stop */
	uv_prepare_t io_prep;                  /* end of turn: flush */
	uv_check_t io_check;                   /* the same, after I/O */
	struct ct_resp *done_head, *done_tail; /* answered this turn */
	int stopping;                          /* the stop was seen */

	/* Shared, under mu. */
	uv_mutex_t mu;
	struct ct_req *sh_req_head, *sh_req_tail;
	struct ct_resp *sh_resp_head, *sh_resp_tail;
	int sh_stop;  /* the owner asks the thread to end */
	int sh_done;  /* the thread has handed its last answer over */
	long sh_max;  /* a connection cap to apply, or -1 */
	long sh_host; /* and the cap to a host (0: as it is) */
};

/* Copies s (may be NULL) to *p, moving it on; returns the copy or NULL. */
static const char *
put(char **p, const char *s, size_t n)
{
	char *out = *p;

	if (s == NULL)
		return NULL;
	memcpy(out, s, n);
	out[n] = '\0';
	*p += n + 1;
	return out;
}

/* put for a string that may be NULL. */
static const char *
put_str(char **p, const char *s)
{
	return put(p, s, s != NULL ? strlen(s) : 0);
}

static size_t
len0(const char *s)
{
	return s != NULL ? strlen(s) + 1 : 0;
}

/* The thread's side ------------------------------------------------------ */

/* Adds a to this turn's answers. */
static void
done_append(struct client_thread *ct, struct ct_resp *a)
{
	if (ct->done_tail != NULL)
		ct->done_tail->next = a;
	else
		ct->done_head = a;
	ct->done_tail = a;
}

static void
io_keep(struct client_thread *ct, client_done_cb cb, void *arg,
    const struct client_resp *r)
{
	size_t need = r->body_len + 1 + len0(r->error) + len0(r->content_type);
	struct ct_resp *a = xmalloc(sizeof(*a) + need);
	char *p = a->data;

	a->next = NULL;
	a->cb = cb;
	a->job = NULL;
	a->arg = arg;
	a->resp = *r;
	a->resp.body = put(&p, r->body, r->body_len);
	a->resp.error = put_str(&p, r->error);
	a->resp.content_type = put_str(&p, r->content_type);
	if (a->resp.error == NULL)
		a->resp.error = "";
	done_append(ct, a);
}

/* Queues a job's done for the owner. */
static void
io_keep_job(
    struct client_thread *ct, const struct client_job_ops *job, void *arg)
{
	struct ct_resp *a = xcalloc(1, sizeof(*a));

	a->job = job;
	a->arg = arg;
	done_append(ct, a);
}

/* q's answer: a job reads it here, a request takes a copy home. */
static void
io_answer(
    struct client_thread *ct, struct ct_req *q, const struct client_resp *r)
{
	if (q->job != NULL) {
		q->job->parse(q->arg, r);
		io_keep_job(ct, q->job, q->arg);
	} else
		io_keep(ct, q->cb, q->arg, r);
	free(q);
}

/* An answer made here: a request cancelled or one that cannot start. */
static void
made_answer(struct client_resp *r, int cancelled)
{
	memset(r, 0, sizeof(*r));
	r->cancelled = cancelled;
	r->code = cancelled ? CURLE_ABORTED_BY_CALLBACK : CURLE_FAILED_INIT;
	r->error = cancelled ? "cancelled" : START_FAILED;
	r->body = "";
	r->outcome = client_outcome(0, r->code);
}

static void
io_fail(struct client_thread *ct, struct ct_req *q, int cancelled)
{
	struct client_resp r;

	made_answer(&r, cancelled);
	io_answer(ct, q, &r);
}

static void
io_on_done(const struct client_resp *r, void *arg)
{
	struct ct_req *q = arg;

	io_answer(q->ct, q, r);
}

/* Starts q on the thread's client: a job builds its request first. */
static void
io_start(struct client_thread *ct, struct ct_req *q)
{
	struct client_req built;
	const struct client_req *req = &q->req;

	if (q->job != NULL) {
		memset(&built, 0, sizeof(built));
		if (q->job->build(q->arg, &built) != 0) {
			q->job->parse(q->arg, NULL);
			io_keep_job(ct, q->job, q->arg);
			free(q);
			return;
		}
		req = &built;
	}
	if (client_request(&ct->client, req, io_on_done, q) != 0)
		io_fail(ct, q, 0);
}

/* Hands this turn's answers to the owner (with last: the very last). */
static void
io_flush(struct client_thread *ct, int last)
{
	if (ct->done_head == NULL && !last)
		return;
	uv_mutex_lock(&ct->mu);
	if (ct->done_head != NULL) {
		if (ct->sh_resp_tail != NULL)
			ct->sh_resp_tail->next = ct->done_head;
		else
			ct->sh_resp_head = ct->done_head;
		ct->sh_resp_tail = ct->done_tail;
		ct->done_head = ct->done_tail = NULL;
	}
	if (last)
		ct->sh_done = 1;
	/* Under the lock: once done is seen, owner_async may close. */
	uv_async_send(&ct->owner_async);
	uv_mutex_unlock(&ct->mu);
}

static void
io_on_prep(uv_prepare_t *h)
{
	io_flush(container_of(h, struct client_thread, io_prep), 0);
}

static void
io_on_check(uv_check_t *h)
{
	io_flush(container_of(h, struct client_thread, io_check), 0);
}

static void
io_on_client_closed(struct client *c, void *arg)
{
	struct client_thread *ct = arg;

	(void)c;
	io_flush(ct, 1);
	uv_close((uv_handle_t *)&ct->io_async, NULL);
	uv_close((uv_handle_t *)&ct->io_prep, NULL);
	uv_close((uv_handle_t *)&ct->io_check, NULL);
}

static void
io_on_async(uv_async_t *h)
{
	struct client_thread *ct =
	    container_of(h, struct client_thread, io_async);
	struct ct_req *q, *next;
	long max, host;
	int stop;

	uv_mutex_lock(&ct->mu);
	q = ct->sh_req_head;
	ct->sh_req_head = ct->sh_req_tail = NULL;
	stop = ct->sh_stop;
	max = ct->sh_max;
	host = ct->sh_host;
	ct->sh_max = -1;
	uv_mutex_unlock(&ct->mu);
	if (max >= 0 && !ct->stopping &&
	    client_set_max_connections(&ct->client, max, host) != 0)
		log_warn("client", "cannot cap connections max=%ld", max);
	for (; q != NULL; q = next) {
		next = q->next;
		if (stop || ct->stopping)
			io_fail(ct, q, 1);
		else
			io_start(ct, q);
	}
	if (stop && !ct->stopping) {
		ct->stopping = 1;
		/* Cancels what is in flight: io_on_done for each. */
		client_shutdown(&ct->client, io_on_client_closed, ct);
	}
}

static void
io_run(void *arg)
{
	struct client_thread *ct = arg;

#ifdef __linux__
	/* Named for top -H and bench/e2e's share of each thread. */
	(void)pthread_setname_np(pthread_self(), "baraza-out");
#endif
	uv_run(&ct->loop, UV_RUN_DEFAULT);
}

/* The owner's side ------------------------------------------------------- */

/* Hands this turn's requests to the thread. */
static void
owner_flush(struct client_thread *ct)
{
	if (ct->out_head == NULL)
		return;
	uv_mutex_lock(&ct->mu);
	if (ct->sh_req_tail != NULL)
		ct->sh_req_tail->next = ct->out_head;
	else
		ct->sh_req_head = ct->out_head;
	ct->sh_req_tail = ct->out_tail;
	uv_mutex_unlock(&ct->mu);
	ct->out_head = ct->out_tail = NULL;
	/* The stop has not been sent: io_async is open. */
	uv_async_send(&ct->io_async);
}

static void
owner_on_prep(uv_prepare_t *h)
{
	owner_flush(container_of(h, struct client_thread, owner_prep));
}

static void
owner_on_check(uv_check_t *h)
{
	owner_flush(container_of(h, struct client_thread, owner_check));
}

static void
owner_on_closed(uv_handle_t *h)
{
	struct client_thread *ct = h->data;
	void (*closed)(void *);
	void *arg;

	if (--ct->owner_handles > 0)
		return;
	closed = ct->closed;
	arg = ct->closed_arg;
	uv_mutex_destroy(&ct->mu);
	free(ct);
	if (closed != NULL)
		closed(arg);
}

static void
owner_on_async(uv_async_t *h)
{
	struct client_thread *ct =
	    container_of(h, struct client_thread, owner_async);
	struct ct_resp *a, *next;
	int done;

	uv_mutex_lock(&ct->mu);
	a = ct->sh_resp_head;
	ct->sh_resp_head = ct->sh_resp_tail = NULL;
	done = ct->sh_done;
	uv_mutex_unlock(&ct->mu);
	for (; a != NULL; a = next) {
		next = a->next;
		if (ct->inflight > 0 && --ct->inflight == 0 && !ct->closing)
			uv_unref((uv_handle_t *)&ct->owner_async);
		if (a->job != NULL)
			a->job->done(a->arg);
		else
			a->cb(&a->resp, a->arg);
		free(a);
	}
	if (!done || ct->joined)
		return;
	ct->joined = 1;
	uv_thread_join(&ct->thread);
	uv_loop_close(&ct->loop);
	uv_close((uv_handle_t *)&ct->owner_async, owner_on_closed);
	uv_close((uv_handle_t *)&ct->owner_prep, owner_on_closed);
	uv_close((uv_handle_t *)&ct->owner_check, owner_on_closed);
}

/* Closes what client_thread_start made on the thread's loop, unrun. */
static void
io_close_unrun(struct client_thread *ct, int handles)
{
	client_shutdown(&ct->client, NULL, NULL);
	if (handles) {
		uv_close((uv_handle_t *)&ct->io_async, NULL);
		uv_close((uv_handle_t *)&ct->io_prep, NULL);
		uv_close((uv_handle_t *)&ct->io_check, NULL);
	}
	uv_run(&ct->loop, UV_RUN_DEFAULT);
	uv_loop_close(&ct->loop);
}

/* The same, and ct itself, when nothing was made on the owner's loop. */
static void
io_undo(struct client_thread *ct, int handles)
{
	io_close_unrun(ct, handles);
	uv_mutex_destroy(&ct->mu);
	free(ct);
}

struct client_thread *
client_thread_start(uv_loop_t *owner)
{
	struct client_thread *ct = xcalloc(1, sizeof(*ct));

	ct->owner = owner;
	ct->sh_max = -1;
	if (uv_mutex_init(&ct->mu) != 0) {
		free(ct);
		return NULL;
	}
	if (uv_loop_init(&ct->loop) != 0) {
		uv_mutex_destroy(&ct->mu);
		free(ct);
		return NULL;
	}
	if (client_init(&ct->client, &ct->loop) != 0) {
		uv_loop_close(&ct->loop);
		uv_mutex_destroy(&ct->mu);
		free(ct);
		return NULL;
	}
	if (uv_async_init(&ct->loop, &ct->io_async, io_on_async) != 0) {
		io_undo(ct, 0);
		return NULL;
	}
	uv_prepare_init(&ct->loop, &ct->io_prep);
	uv_check_init(&ct->loop, &ct->io_check);
	uv_prepare_start(&ct->io_prep, io_on_prep);
	uv_check_start(&ct->io_check, io_on_check);
	uv_unref((uv_handle_t *)&ct->io_prep);
	uv_unref((uv_handle_t *)&ct->io_check);
	if (uv_async_init(owner, &ct->owner_async, owner_on_async) != 0) {
		io_undo(ct, 1);
		return NULL;
	}
	/* Only requests in flight keep the owner's loop alive. */
	uv_unref((uv_handle_t *)&ct->owner_async);
	uv_prepare_init(owner, &ct->owner_prep);
	uv_check_init(owner, &ct->owner_check);
	ct->owner_async.data = ct->owner_prep.data = ct->owner_check.data = ct;
	ct->owner_handles = 3;
	if (uv_thread_create(&ct->thread, io_run, ct) != 0) {
		/* Closed on owner later; the thread's loop is closed now. */
		log_error("client", "cannot start the client's thread");
		ct->joined = 1;
		io_close_unrun(ct, 1);
		uv_close((uv_handle_t *)&ct->owner_async, owner_on_closed);
		uv_close((uv_handle_t *)&ct->owner_prep, owner_on_closed);
		uv_close((uv_handle_t *)&ct->owner_check, owner_on_closed);
		return NULL;
	}
	uv_prepare_start(&ct->owner_prep, owner_on_prep);
	uv_check_start(&ct->owner_check, owner_on_check);
	uv_unref((uv_handle_t *)&ct->owner_prep);
	uv_unref((uv_handle_t *)&ct->owner_check);
	return ct;
}

int
client_thread_set_max_connections(
    struct client_thread *ct, long max, long per_host)
{
	if (ct == NULL || max < 0 || per_host < 0 || ct->closing)
		return -1;
	uv_mutex_lock(&ct->mu);
	ct->sh_max = max;
	ct->sh_host = per_host;
	uv_mutex_unlock(&ct->mu);
	uv_async_send(&ct->io_async);
	return 0;
}

/* Adds q to this turn's requests. */
static void
owner_queue(struct client_thread *ct, struct ct_req *q)
{
	if (ct->out_tail != NULL)
		ct->out_tail->next = q;
	else
		ct->out_head = q;
	ct->out_tail = q;
	if (ct->inflight++ == 0)
		uv_ref((uv_handle_t *)&ct->owner_async);
}

int
client_thread_request(struct client_thread *ct, const struct client_req *req,
    client_done_cb cb, void *arg)
{
	struct ct_req *q;
	size_t need, i, n;
	char *p;

	if (ct == NULL || cb == NULL || ct->closing || !client_req_valid(req))
		return -1;
	need = len0(req->method) + len0(req->url) + len0(req->userpwd) +
	       req->body_len + 1;
	for (i = 0; req->headers != NULL && req->headers[i] != NULL; i++)
		need += len0(req->headers[i]);
	q = xmalloc(sizeof(*q) + need);
	q->next = NULL;
	q->cb = cb;
	q->job = NULL;
	q->arg = arg;
	q->ct = ct;
	q->req = *req;
	p = q->data;
	q->req.method = put_str(&p, req->method);
	q->req.url = put_str(&p, req->url);
	q->req.userpwd = put_str(&p, req->userpwd);
	q->req.body = put(&p, req->body, req->body_len);
	q->req.headers = NULL;
	if (req->headers != NULL) {
		for (n = 0; req->headers[n] != NULL; n++)
			q->headers[n] = put_str(&p, req->headers[n]);
		q->headers[n] = NULL;
		q->req.headers = q->headers;
	}
	owner_queue(ct, q);
	return 0;
}

int
client_thread_job(
    struct client_thread *ct, const struct client_job_ops *ops, void *arg)
{
	struct ct_req *q;

	if (ct == NULL || ops == NULL || ct->closing)
		return -1;
	q = xcalloc(1, sizeof(*q));
	q->job = ops;
	q->arg = arg;
	q->ct = ct;
	owner_queue(ct, q);
	return 0;
}

void
client_thread_shutdown(
    struct client_thread *ct, void (*closed)(void *arg), void *arg)
{
	if (ct == NULL || ct->closing)
		return;
	ct->closing = 1;
	ct->closed = closed;
	ct->closed_arg = arg;
	/* Until the thread is joined, the owner's loop waits for it. */
	if (ct->inflight == 0)
		uv_ref((uv_handle_t *)&ct->owner_async);
	owner_flush(ct);
	uv_mutex_lock(&ct->mu);
	ct->sh_stop = 1;
	/* Under the lock: the thread closes io_async once it sees stop. */
	uv_async_send(&ct->io_async);
	uv_mutex_unlock(&ct->mu);
}

int
client_port_request(const struct client_port *p, const struct client_req *req,
    client_done_cb cb, void *arg)
{
	if (p->ct != NULL)
		return client_thread_request(p->ct, req, cb, arg);
	return client_request(p->client, req, cb, arg);
}

/* A job on a client of the caller's loop: parse and done from here. */
struct plain_job {
	const struct client_job_ops *ops;
	void *arg;
};

static void
plain_done(const struct client_resp *r, void *arg)
{
	struct plain_job pj = *(struct plain_job *)arg;

	free(arg);
	pj.ops->parse(pj.arg, r);
	pj.ops->done(pj.arg);
}

int
client_port_job(
    const struct client_port *p, const struct client_job_ops *ops, void *arg)
{
	struct client_req req;
	struct client_resp r;
	struct plain_job *pj;

	if (p->ct != NULL)
		return client_thread_job(p->ct, ops, arg);
	memset(&req, 0, sizeof(req));
	if (ops->build(arg, &req) != 0) {
		ops->parse(arg, NULL);
		ops->done(arg);
		return 0;
	}
	pj = xmalloc(sizeof(*pj));
	pj->ops = ops;
	pj->arg = arg;
	if (client_request(p->client, &req, plain_done, pj) != 0) {
		free(pj);
		made_answer(&r, 0);
		ops->parse(arg, &r);
		ops->done(arg);
	}
	return 0;
}
