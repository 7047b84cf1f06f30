/*
 * test_http.c: the HTTP server in-process on 127.0.0.1, port 0.
 *
 * The loop runs in the test's thread; a client thread talks to the server
 * with blocking sockets (receive timeouts bound every wait) and records what
 * it saw; the assertions run after both have finished. Deferred answers are
 * given from uv timers on the loop.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "lib/http.h"
#include "lib/log.h"

#define MAXRESP 16
#define READER_MAX (128 * 1024)
#define BIG_ANSWER ((size_t)8 * 1024 * 1024) /* /big's body */

/* The byte at offset i of /big's body: no run repeats at a socket's size. */
static char
big_byte(size_t i)
{
	return (char)('a' + (i % 251) % 26);
}

/* One answer as the client read it. */
struct resp {
	int status;       /* 0 when none was read */
	char head[4096];  /* status line and headers */
	char *body;       /* NUL-terminated */
	size_t body_len;  /* bytes in body */
	int closed_after; /* the server closed the connection after it */
};

struct fixture;
struct in_prepare;
typedef void (*client_fn)(struct fixture *);

struct fixture {
	uv_loop_t loop;            /* the server's loop */
	struct http_server srv;    /* under test */
	struct http_limits limits; /* in force */
	uv_async_t stop;           /* the client thread is done */
	uv_async_t release;        /* the client lets /hold be answered */
	pthread_t thr;             /* client thread */
	client_fn client;          /* what the client thread does */
	int port;                  /* bound port */
	const char *headers;       /* for http_server_set_headers, or NULL */
	const char *json_errors;   /* for http_server_set_json_errors */
	int threaded;              /* http_server_init_thread */
	pthread_t owner;           /* the thread that runs the loop */
	struct http_request *kept; /* /keep, answered after the end */
	atomic_int kept_seen;      /* the handler has /keep */
	/* Loop side. */
	int done_called;              /* shutdown's callback ran */
	int order[64];                /* tags of deferred answers, as given */
	int norder;                   /* entries in order */
	struct in_prepare *prep;      /* closed at the end */
	atomic_int gone_seen;         /* the handler has /wait-gone */
	int gone_answered;            /* /wait-gone answered after disconnect */
	uint64_t gone_requests;       /* requests_total when it was answered */
	struct http_request *held[4]; /* /hold requests, not answered */
	atomic_int nheld;             /* entries in held */
	atomic_int nbig;              /* /big requests handled */
	/* Client side. */
	struct resp r[MAXRESP]; /* answers read */
	int flag[8];            /* client observations */
};

/*
 * Client helpers (client thread).
 */

struct reader {
	int fd;     /* socket */
	char *buf;  /* bytes read, not consumed */
	size_t len; /* bytes in buf */
};

static int
cl_connect(int port)
{
	struct sockaddr_in sin;
	struct timeval tv = {10, 0};
	int fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
cl_send(int fd, const void *p, size_t n)
{
	const char *s = p;
	ssize_t w;

	while (n > 0) {
		w = send(fd, s, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
cl_sends(int fd, const char *s)
{
	return cl_send(fd, s, strlen(s));
}

static void
rd_init(struct reader *r, int fd)
{
	r->fd = fd;
	r->buf = calloc(1, READER_MAX + 1);
	r->len = 0;
}

static void
rd_free(struct reader *r)
{
	if (r->fd >= 0)
		close(r->fd);
	free(r->buf);
	r->buf = NULL;
	r->fd = -1;
}

/* Reads more; returns bytes read, 0 at EOF, -1 on error or timeout. */
static ssize_t
rd_more(struct reader *r)
{
	ssize_t n;

	if (r->len >= READER_MAX)
		return -1;
	do
		n = recv(r->fd, r->buf + r->len, READER_MAX - r->len, 0);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		r->len += (size_t)n;
		r->buf[r->len] = '\0';
	}
	return n;
}

/* Reads one answer into out; returns 0 or -1. */
static int
rd_response(struct reader *r, struct resp *out)
{
	char *end, *cl;
	size_t hlen, blen = 0;

	memset(out, 0, sizeof(*out));
	while ((end = strstr(r->buf, "\r\n\r\n")) == NULL)
		if (rd_more(r) <= 0)
			return -1;
	hlen = (size_t)(end - r->buf) + 4;
	if (hlen >= sizeof(out->head))
		return -1;
	memcpy(out->head, r->buf, hlen);
	out->head[hlen] = '\0';
	if (sscanf(out->head, "HTTP/1.1 %d", &out->status) != 1)
		return -1;
	if ((cl = strcasestr(out->head, "\r\nContent-Length: ")) != NULL)
		blen = strtoul(cl + 18, NULL, 10);
	while (r->len < hlen + blen)
		if (rd_more(r) <= 0)
			return -1;
	out->body = malloc(blen + 1);
	memcpy(out->body, r->buf + hlen, blen);
	out->body[blen] = '\0';
	out->body_len = blen;
	memmove(r->buf, r->buf + hlen + blen, r->len - hlen - blen);
	r->len -= hlen + blen;
	r->buf[r->len] = '\0';
	return 0;
}

/* As rd_response, without a body (for HEAD). */
static int
rd_response_nobody(struct reader *r, struct resp *out)
{
	char *end;
	size_t hlen;

	memset(out, 0, sizeof(*out));
	while ((end = strstr(r->buf, "\r\n\r\n")) == NULL)
		if (rd_more(r) <= 0)
			return -1;
	hlen = (size_t)(end - r->buf) + 4;
	memcpy(out->head, r->buf, hlen);
	out->head[hlen] = '\0';
	sscanf(out->head, "HTTP/1.1 %d", &out->status);
	out->body = calloc(1, 1);
	memmove(r->buf, r->buf + hlen, r->len - hlen);
	r->len -= hlen;
	r->buf[r->len] = '\0';
	return 0;
}

/* True when the server closed the connection (EOF or reset). */
static int
rd_closed(struct reader *r)
{
	ssize_t n;

	for (;;) {
		r->len = 0;
		n = rd_more(r);
		if (n == 0)
			return 1;
		if (n < 0)
			return errno == ECONNRESET;
	}
}

static void
ms_sleep(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/*
 * Server side (loop thread).
 */

struct defer {
	uv_timer_t timer;         /* fires the answer */
	struct http_request *req; /* to answer */
	struct fixture *fx;       /* owner */
	int tag;                  /* recorded in fx->order */
	int polls;                /* for /wait-gone */
};

static void
on_defer_close(uv_handle_t *h)
{
	free(container_of((uv_timer_t *)h, struct defer, timer));
}

static void
on_defer(uv_timer_t *t)
{
	struct defer *d = container_of(t, struct defer, timer);
	struct fixture *fx = d->fx;
	char body[64];

	if (fx->norder < (int)nitems(fx->order))
		fx->order[fx->norder++] = d->tag;
	snprintf(body, sizeof(body), "%d %s", d->tag, d->req->query);
	http_respond(d->req, 200, "text/plain", body, strlen(body));
	uv_close((uv_handle_t *)&d->timer, on_defer_close);
}

static void
on_wait_gone(uv_timer_t *t)
{
	struct defer *d = container_of(t, struct defer, timer);
	struct fixture *fx = d->fx;
	struct http_stats st;

	/*
	 * A reset usually reaches the server as an error (the request is
	 * orphaned at once) but may read as EOF, a half-close: the connection
	 * then waits for this answer and closes when writing it fails. Both
	 * must be clean; wait a bounded time for the first.
	 */
	http_server_stats(&fx->srv, &st);
	if (st.conns_open != 0 && ++d->polls < 100)
		return;
	http_respond(d->req, 200, "text/plain", "late", 4);
	http_server_stats(&fx->srv, &st);
	fx->gone_answered = 1;
	fx->gone_requests = st.requests_total;
	uv_close((uv_handle_t *)&d->timer, on_defer_close);
}

/* Answers from a prepare callback, as the store does after its commit. */
struct in_prepare {
	uv_prepare_t prep;        /* runs before the loop polls */
	struct http_request *req; /* to answer */
};

static void
on_prepare_close(uv_handle_t *h)
{
	free(container_of((uv_prepare_t *)h, struct in_prepare, prep));
}

static void
on_prepare(uv_prepare_t *p)
{
	struct in_prepare *ip = container_of(p, struct in_prepare, prep);

	/* Stopped, not closed: a closing handle would wake the loop. */
	http_respond(ip->req, 201, "text/plain", "committed", 9);
	uv_prepare_stop(p);
}

static void
on_done(struct http_server *srv)
{
	struct fixture *fx = container_of(srv, struct fixture, srv);

	fx->done_called++;
}

static void
defer_answer(struct fixture *fx, struct http_request *req, int tag, int ms,
    uv_timer_cb cb, uint64_t repeat)
{
	struct defer *d = calloc(1, sizeof(*d));

	d->req = req;
	d->fx = fx;
	d->tag = tag;
	uv_timer_init(&fx->loop, &d->timer);
	uv_timer_start(&d->timer, cb, (uint64_t)ms, repeat);
}

/*
 * The prepare callback: leaves the path and where it ran (the owner's
 * thread or another) for the handler.
 */
static void
prepare(struct http_request *req, void *arg)
{
	struct fixture *fx = arg;
	char *p = NULL;

	assert_true(
	    asprintf(&p, "%s %s", req->path,
		pthread_equal(pthread_self(), fx->owner) ? "owner" : "other") >
	    0);
	req->prepared = p;
}

static void
handler(struct http_request *req, void *arg)
{
	struct fixture *fx = arg;
	struct buf b;
	struct http_stats st;
	const char *h, *x;
	char *prep = req->prepared;

	/* Every request was prepared; /prepared says how. */
	if (fx != NULL && strcmp(req->path, "/prepared") == 0) {
		http_respond(req, 200, "text/plain", prep ? prep : "none",
		    prep ? strlen(prep) : 4);
		free(prep);
		return;
	}
	free(prep);
	if (strcmp(req->path, "/echo") == 0) {
		buf_init(&b, 1 << 20);
		h = http_header(req, "host");
		x = http_header(req, "X-TEST");
		buf_printf(&b, "%s %s %s host=%s xtest=%s body=%s", req->method,
		    req->path, req->query, h ? h : "-", x ? x : "-", req->body);
		http_respond_ex(
		    req, 200, "text/plain", "X-Extra: yes", b.data, b.len);
		buf_free(&b);
	} else if (strncmp(req->path, "/defer/", 7) == 0) {
		int ms = atoi(req->path + 7);

		defer_answer(fx, req, ms, ms, on_defer, 0);
	} else if (strcmp(req->path, "/stats") == 0) {
		char body[64];

		http_server_stats(&fx->srv, &st);
		snprintf(body, sizeof(body), "%llu",
		    (unsigned long long)st.conns_open);
		http_respond(req, 200, "text/plain", body, strlen(body));
	} else if (strcmp(req->path, "/prepare") == 0) {
		struct in_prepare *ip = calloc(1, sizeof(*ip));

		ip->req = req;
		uv_prepare_init(&fx->loop, &ip->prep);
		uv_prepare_start(&ip->prep, on_prepare);
		fx->prep = ip;
	} else if (strcmp(req->path, "/wait-gone") == 0) {
		atomic_store(&fx->gone_seen, 1);
		defer_answer(fx, req, 0, 5, on_wait_gone, 5);
	} else if (strcmp(req->path, "/hold") == 0 &&
		   atomic_load(&fx->nheld) < (int)nitems(fx->held)) {
		/* Answered when the client sends fx->release. */
		fx->held[atomic_load(&fx->nheld)] = req;
		atomic_fetch_add(&fx->nheld, 1);
	} else if (strcmp(req->path, "/owner") == 0) {
		/* The handler runs on the owner's loop, whatever the server. */
		const char *who = pthread_equal(pthread_self(), fx->owner)
				      ? "owner"
				      : "other";

		http_respond(req, 200, "text/plain", who, strlen(who));
	} else if (strcmp(req->path, "/keep") == 0 && fx->kept == NULL) {
		fx->kept = req;
		atomic_store(&fx->kept_seen, 1);
	} else if (strcmp(req->path, "/cap") == 0) {
		/* Every connection from now on is over the descriptor cap. */
		http_server_set_cap(&fx->srv, 0, 1);
		http_respond(req, 200, "text/plain", "capped", 6);
	} else if (strcmp(req->path, "/big") == 0) {
		/* More than a socket takes at once: written in parts. */
		char *big = malloc(BIG_ANSWER);
		size_t i;

		atomic_fetch_add(&fx->nbig, 1);
		for (i = 0; i < BIG_ANSWER; i++)
			big[i] = big_byte(i);
		http_respond(
		    req, 200, "application/octet-stream", big, BIG_ANSWER);
		free(big);
	} else if (strcmp(req->path, "/shutdown") == 0) {
		http_server_shutdown(&fx->srv, on_done);
		defer_answer(fx, req, 100, 100, on_defer, 0);
	} else
		http_respond(req, 404, "text/plain", "no\n", 3);
}

/* Answers the held requests. */
static void
on_release(uv_async_t *a)
{
	struct fixture *fx = container_of(a, struct fixture, release);
	int i, n = atomic_load(&fx->nheld);

	for (i = 0; i < n; i++)
		if (fx->held[i] != NULL) {
			http_respond(fx->held[i], 200, "text/plain", "held", 4);
			fx->held[i] = NULL;
		}
}

static void
on_stop(uv_async_t *a)
{
	struct fixture *fx = container_of(a, struct fixture, stop);

	on_release(&fx->release);
	http_server_shutdown(&fx->srv, on_done);
	uv_close((uv_handle_t *)a, NULL);
	uv_close((uv_handle_t *)&fx->release, NULL);
	if (fx->prep != NULL)
		uv_close((uv_handle_t *)&fx->prep->prep, on_prepare_close);
}

static void *
client_main(void *arg)
{
	struct fixture *fx = arg;

	fx->client(fx);
	uv_async_send(&fx->stop);
	return NULL;
}

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	http_limits_default(&fx->limits);
	*state = fx;
	return 0;
}

/* The same, the server on a thread of its own. */
static int
setup_thread(void **state)
{
	setup(state);
	((struct fixture *)*state)->threaded = 1;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	int i;

	for (i = 0; i < MAXRESP; i++)
		free(fx->r[i].body);
	free(fx);
	return 0;
}

/* Runs the server until the client function has finished and it drained. */
static void
run(struct fixture *fx, client_fn fn)
{
	assert_int_equal(uv_loop_init(&fx->loop), 0);
	if (fx->threaded)
		assert_int_equal(http_server_init_thread(&fx->srv, &fx->loop,
				     &fx->limits, handler, fx),
		    0);
	else
		assert_int_equal(http_server_init(&fx->srv, &fx->loop,
				     &fx->limits, handler, fx),
		    0);
	if (fx->headers != NULL)
		assert_int_equal(
		    http_server_set_headers(&fx->srv, fx->headers), 0);
	http_server_set_json_errors(&fx->srv, fx->json_errors);
	http_server_set_prepare(&fx->srv, prepare, fx);
	assert_int_equal(http_server_listen(&fx->srv, "127.0.0.1:0"), 0);
	fx->port = http_server_port(&fx->srv);
	assert_true(fx->port > 0);
	assert_int_equal(uv_async_init(&fx->loop, &fx->stop, on_stop), 0);
	assert_int_equal(uv_async_init(&fx->loop, &fx->release, on_release), 0);
	fx->client = fn;
	fx->owner = pthread_self();
	assert_int_equal(pthread_create(&fx->thr, NULL, client_main, fx), 0);
	uv_run(&fx->loop, UV_RUN_DEFAULT);
	pthread_join(fx->thr, NULL);
	assert_int_equal(fx->done_called, 1);
	assert_int_equal(uv_loop_close(&fx->loop), 0);
}

/* Sends one request on a new connection and reads the answer into *out. */
static void
one_request(struct fixture *fx, const char *req, struct resp *out)
{
	struct reader r;

	rd_init(&r, cl_connect(fx->port));
	if (r.fd >= 0 && cl_sends(r.fd, req) == 0 && rd_response(&r, out) == 0)
		out->closed_after =
		    strcasestr(out->head, "Connection: close") && rd_closed(&r);
	rd_free(&r);
}

/*
 * Tests
 */

static void
cl_simple_get(struct fixture *fx)
{
	one_request(fx,
	    "GET /echo?x=1&y=%20 HTTP/1.1\r\nHost: example\r\n"
	    "X-Test:   spaced  \r\n\r\n",
	    &fx->r[0]);
	one_request(fx, "GET /nope HTTP/1.1\r\n\r\n", &fx->r[1]);
	one_request(fx, "GET http://example/echo HTTP/1.1\r\n\r\n", &fx->r[2]);
	/* Answered in a prepare callback: sent without waiting for I/O. */
	one_request(fx, "POST /prepare HTTP/1.1\r\n\r\n", &fx->r[3]);
}

static void
test_simple_get(void **state)
{
	struct fixture *fx = *state;

	run(fx, cl_simple_get);
	assert_int_equal(fx->r[0].status, 200);
	assert_string_equal(fx->r[0].body,
	    "GET /echo x=1&y=%20 host=example xtest=spaced body=");
	assert_non_null(strstr(fx->r[0].head, "Content-Length: 51\r\n"));
	assert_non_null(strstr(fx->r[0].head, "Content-Type: text/plain\r\n"));
	assert_non_null(strstr(fx->r[0].head, "\r\nX-Extra: yes\r\n"));
	assert_non_null(strstr(fx->r[0].head, "\r\nDate: "));
	assert_null(strstr(fx->r[0].head, "Connection: close"));
	assert_int_equal(fx->r[1].status, 404);
	assert_int_equal(fx->r[2].status, 200);
	assert_string_equal(fx->r[2].body, "GET /echo  host=- xtest=- body=");
	assert_int_equal(fx->r[3].status, 201);
	assert_string_equal(fx->r[3].body, "committed");
}

/*
 * An answer larger than the socket takes at once, to a client that reads
 * only later: the server writes what it can at once and the rest when the
 * socket drains, every byte once and in order, and the connection then
 * serves its next request.
 */
static void
cl_big_answer(struct fixture *fx)
{
	struct reader r;
	char *got = malloc(BIG_ANSWER), *end;
	size_t hlen, n = 0, i;
	ssize_t k;

	rd_init(&r, cl_connect(fx->port));
	if (r.fd < 0 || cl_sends(r.fd, "GET /big HTTP/1.1\r\n\r\n") != 0)
		goto out;
	ms_sleep(200); /* the server's first write fills the socket */
	while ((end = strstr(r.buf, "\r\n\r\n")) == NULL)
		if (rd_more(&r) <= 0)
			goto out;
	hlen = (size_t)(end - r.buf) + 4;
	fx->flag[0] = strstr(r.buf, "Content-Length: 8388608\r\n") != NULL;
	n = r.len - hlen;
	memcpy(got, r.buf + hlen, n);
	while (n < BIG_ANSWER) {
		k = recv(r.fd, got + n, BIG_ANSWER - n, 0);
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	fx->flag[1] = n == BIG_ANSWER;
	for (i = 0; i < n && got[i] == big_byte(i); i++)
		;
	fx->flag[2] = i == BIG_ANSWER;
	r.len = 0;
	r.buf[0] = '\0';
	if (cl_sends(r.fd, "GET /echo HTTP/1.1\r\n\r\n") == 0)
		(void)rd_response(&r, &fx->r[0]);
out:
	free(got);
	rd_free(&r);
}

static void
test_big_answer(void **state)
{
	struct fixture *fx = *state;

	run(fx, cl_big_answer);
	assert_true(fx->flag[0]);
	assert_true(fx->flag[1]);
	assert_true(fx->flag[2]);
	assert_int_equal(fx->r[0].status, 200);
	assert_string_equal(fx->r[0].body, "GET /echo  host=- xtest=- body=");
}

static void
cl_server_headers(struct fixture *fx)
{
	struct reader r;

	one_request(fx, "GET /echo HTTP/1.1\r\n\r\n", &fx->r[0]);
	one_request(fx, "GET /nope HTTP/1.1\r\n\r\n", &fx->r[1]);
	/* The server's own refusal. */
	one_request(fx, "BLAH\r\n\r\n", &fx->r[2]);
	rd_init(&r, cl_connect(fx->port));
	cl_sends(r.fd, "HEAD /echo HTTP/1.1\r\n\r\n");
	rd_response_nobody(&r, &fx->r[3]);
	rd_free(&r);
}

/* Counts the occurrences of needle in hay. */
static int
count_str(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

static void
test_server_headers(void **state)
{
	struct fixture *fx = *state;
	struct http_server srv;
	char big[HTTP_HEADERS_MAX + 8];
	int i;

	fx->headers = HTTP_SECURITY_HEADERS;
	run(fx, cl_server_headers);
	assert_int_equal(fx->r[0].status, 200);
	assert_int_equal(fx->r[1].status, 404);
	assert_int_equal(fx->r[2].status, 400);
	assert_int_equal(fx->r[3].status, 200);
	for (i = 0; i < 4; i++) {
		/* Once each, in the header, after the handler's own. */
		assert_int_equal(count_str(fx->r[i].head,
				     "\r\nContent-Security-Policy: default-src "
				     "'self'; script-src 'self'; "),
		    1);
		assert_int_equal(count_str(fx->r[i].head,
				     "\r\nX-Content-Type-Options: nosniff\r\n"),
		    1);
		assert_int_equal(count_str(fx->r[i].head,
				     "\r\nReferrer-Policy: same-origin\r\n"),
		    1);
		assert_int_equal(
		    count_str(fx->r[i].head, "\r\nX-Frame-Options: DENY\r\n"),
		    1);
		assert_non_null(
		    strstr(fx->r[i].head, "X-Frame-Options: DENY\r\n\r\n"));
	}
	assert_non_null(strstr(fx->r[0].head,
	    "X-Extra: yes\r\nCache-Control: no-store\r\nContent-Sec"));
	/* Each answer not cached, unless its handler says otherwise. */
	for (i = 0; i < 4; i++)
		assert_int_equal(count_str(fx->r[i].head, "Cache-Control:"), 1);
	assert_string_equal(fx->r[0].body, "GET /echo  host=- xtest=- body=");

	/* Only whole CRLF lines, never an empty one, within the size. */
	memset(&srv, 0, sizeof(srv));
	assert_int_equal(http_server_set_headers(&srv, "A: 1\r\nB: 2\r\n"), 0);
	assert_string_equal(srv.common, "A: 1\r\nB: 2\r\n");
	assert_int_equal(http_server_set_headers(&srv, "A: 1"), -1);
	assert_int_equal(http_server_set_headers(&srv, "A: 1\n"), -1);
	assert_int_equal(http_server_set_headers(&srv, "A: 1\rB: 2\r\n"), -1);
	assert_int_equal(http_server_set_headers(&srv, "\r\n"), -1);
	assert_int_equal(
	    http_server_set_headers(&srv, "A: 1\r\n\r\nB: 2\r\n"), -1);
	assert_int_equal(http_server_set_headers(&srv, "A: 1\r\nB: 2"), -1);
	memset(big, 'x', sizeof(big));
	memcpy(big, "A: ", 3);
	memcpy(big + HTTP_HEADERS_MAX - 2, "\r\n", 3);
	assert_int_equal(http_server_set_headers(&srv, big), -1);
	/* A refusal changes nothing. */
	assert_string_equal(srv.common, "A: 1\r\nB: 2\r\n");
	big[HTTP_HEADERS_MAX - 3] = '\r';
	big[HTTP_HEADERS_MAX - 2] = '\n';
	big[HTTP_HEADERS_MAX - 1] = '\0';
	assert_int_equal(http_server_set_headers(&srv, big), 0);
	assert_int_equal(http_server_set_headers(&srv, NULL), 0);
	assert_string_equal(srv.common, "");
}

static void
cl_keep_alive(struct fixture *fx)
{
	struct reader r;

	rd_init(&r, cl_connect(fx->port));
	cl_sends(r.fd, "GET /echo?n=1 HTTP/1.1\r\nHost: a\r\n\r\n");
	rd_response(&r, &fx->r[0]);
	cl_sends(r.fd, "POST /echo?n=2 HTTP/1.1\r\nHost: a\r\n"
		       "Content-Length: 3\r\n\r\nabc");
	rd_response(&r, &fx->r[1]);
	/* HEAD: a length but no body, and the connection goes on. */
	cl_sends(r.fd, "HEAD /echo HTTP/1.1\r\n\r\n");
	rd_response_nobody(&r, &fx->r[2]);
	cl_sends(r.fd, "GET /echo?n=4 HTTP/1.1\r\n\r\n");
	rd_response(&r, &fx->r[3]);
	rd_free(&r);

	/* HTTP/1.0 closes unless asked to keep alive. */
	one_request(fx, "GET /echo HTTP/1.0\r\n\r\n", &fx->r[4]);
	rd_init(&r, cl_connect(fx->port));
	cl_sends(
	    r.fd, "GET /echo?n=6 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
	rd_response(&r, &fx->r[5]);
	cl_sends(r.fd, "GET /echo?n=7 HTTP/1.1\r\nConnection: close\r\n\r\n");
	rd_response(&r, &fx->r[6]);
	fx->r[6].closed_after = rd_closed(&r);
	rd_free(&r);
}

static void
test_keep_alive(void **state)
{
	struct fixture *fx = *state;

	run(fx, cl_keep_alive);
	assert_int_equal(fx->r[0].status, 200);
	assert_string_equal(
	    fx->r[0].body, "GET /echo n=1 host=a xtest=- body=");
	assert_int_equal(fx->r[1].status, 200);
	assert_string_equal(
	    fx->r[1].body, "POST /echo n=2 host=a xtest=- body=abc");
	assert_int_equal(fx->r[2].status, 200);
	assert_non_null(strstr(fx->r[2].head, "Content-Length: 32\r\n"));
	assert_int_equal(fx->r[3].status, 200);
	assert_string_equal(
	    fx->r[3].body, "GET /echo n=4 host=- xtest=- body=");
	assert_int_equal(fx->r[4].status, 200);
	assert_true(fx->r[4].closed_after);
	assert_int_equal(fx->r[5].status, 200);
	assert_non_null(strstr(fx->r[5].head, "Connection: keep-alive\r\n"));
	assert_int_equal(fx->r[6].status, 200);
	assert_non_null(strstr(fx->r[6].head, "Connection: close\r\n"));
	assert_true(fx->r[6].closed_after);
}

/*
 * A client that pipelines requests and never reads: once the answers
 * waiting for it pass the high-water mark, no more of its requests are
 * handled (they cost memory and nothing else), until it reads.
 */
static void
cl_no_reader(struct fixture *fx)
{
	struct reader r;
	int i;

	rd_init(&r, cl_connect(fx->port));
	for (i = 0; i < 6; i++)
		if (cl_sends(r.fd, "GET /big HTTP/1.1\r\n\r\n") != 0)
			break;
	ms_sleep(500);
	fx->flag[0] = atomic_load(&fx->nbig);
	rd_free(&r);
}

static void
test_no_reader(void **state)
{
	struct fixture *fx = *state;

	run(fx, cl_no_reader);
	/* One 8 MiB answer is over the mark: the rest wait (all six were
	   handled, 48 MiB held, before). */
	assert_int_equal(fx->flag[0], 1);
}

/*
 * Many clients that never read: each holds one 8 MiB answer (its own mark),
 * but all of them together stop at OUT_TOTAL_HIGH (32 MiB): no connection
 * reads another request until they drain, and those whose write stalls for
 * OUT_SHED_MS are closed, so that a client that reads is answered.
 */
#define NO_READERS 8
static void
cl_many_no_readers(struct fixture *fx)
{
	struct reader r;
	struct resp rs;
	int fds[NO_READERS], i;

	for (i = 0; i < NO_READERS; i++) {
		fds[i] = cl_connect(fx->port);
		if (fds[i] >= 0)
			(void)cl_sends(fds[i], "GET /big HTTP/1.1\r\n\r\n"
					       "GET /big HTTP/1.1\r\n\r\n");
	}
	ms_sleep(500);
	fx->flag[0] = atomic_load(&fx->nbig);
	rd_init(&r, cl_connect(fx->port));
	if (r.fd >= 0 && cl_sends(r.fd, "GET /echo HTTP/1.1\r\n\r\n") == 0 &&
	    rd_response(&r, &rs) == 0) {
		fx->flag[1] = rs.status;
		free(rs.body);
	}
	rd_free(&r);
	for (i = 0; i < NO_READERS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

static void
test_many_no_readers(void **state)
{
	struct fixture *fx = *state;

	run(fx, cl_many_no_readers);
	/* Four 8 MiB answers reach 32 MiB: the other four connections' wait
	   (all eight were made before, 64 MiB held, more as they went on). */
	assert_in_range(fx->flag[0], 4, 5);
	/* The stalled ones closed, the reader is answered. */
	assert_int_equal(fx->flag[1], 200);
}

/*
 * More requests with the handler than HANDLING_HIGH (1024) pause reading
 * on every connection, and their answers end the pause, also when their
 * clients have reset the connections meanwhile (the server, reading
 * nothing while paused, sees them gone as it writes): a burst of slow
 * requests then gone does not leave it reading nothing for ever.
 */
#define ORPHANS 34 /* connections of 32 pipelined requests each */
static void
cl_orphans(struct fixture *fx)
{
	struct reader r;
	struct resp rs;
	char req[32 * 48];
	size_t n = 0;
	int fds[ORPHANS], i;

	for (i = 0; i < 32; i++)
		n += (size_t)snprintf(req + n, sizeof(req) - n,
		    "GET /defer/300?%d HTTP/1.1\r\n\r\n", i);
	for (i = 0; i < ORPHANS; i++)
		if ((fds[i] = cl_connect(fx->port)) >= 0)
			cl_send(fds[i], req, n);
	ms_sleep(100);
	/* Reset, not closed: the server sees them gone at once. */
	for (i = 0; i < ORPHANS; i++)
		if (fds[i] >= 0) {
			struct linger lg = {1, 0};

			setsockopt(
			    fds[i], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			close(fds[i]);
		}
	rd_init(&r, cl_connect(fx->port));
	if (r.fd >= 0 && cl_sends(r.fd, "GET /echo HTTP/1.1\r\n\r\n") == 0 &&
	    rd_response(&r, &rs) == 0) {
		fx->flag[0] = rs.status;
		free(rs.body);
	}
	rd_free(&r);
}

static void
test_orphans_end_pause(void **state)
{
	struct fixture *fx = *state;

	run(fx, cl_orphans);
	assert_int_equal(fx->flag[0], 200);
}

static void
cl_pipelined(struct fixture *fx)
{
	struct reader r;
	int i;

	rd_init(&r, cl_connect(fx->port));
	/* The second is answered first, then the third, then the first. */
	cl_sends(r.fd, "GET /defer/150?a HTTP/1.1\r\n\r\n"
		       "GET /defer/10?b HTTP/1.1\r\n\r\n"
		       "GET /defer/60?c HTTP/1.1\r\n\r\n");
	for (i = 0; i < 3; i++)
		rd_response(&r, &fx->r[i]);
	rd_free(&r);
}

static void
test_pipelined_order(void **state)
{
	struct fixture *fx = *state;

	run(fx, cl_pipelined);
	assert_int_equal(fx->norder, 3);
	assert_int_equal(fx->order[0], 10);
	assert_int_equal(fx->order[1], 60);
	assert_int_equal(fx->order[2], 150);
	assert_string_equal(fx->r[0].body, "150 a");
	assert_string_equal(fx->r[1].body, "10 b");
	assert_string_equal(fx->r[2].body, "60 c");
}

static void
cl_pipeline_limit(struct fixture *fx)
{
	struct reader r;
	char req[2048];
	size_t n = 0;
	int i;

	for (i = 0; i < 12; i++)
		n += (size_t)snprintf(req + n, sizeof(req) - n,
		    "GET /defer/%d?%d HTTP/1.1\r\n\r\n", 12 - i, i);
	rd_init(&r, cl_connect(fx->port));
	cl_send(r.fd, req, n);
	for (i = 0; i < 12; i++) {
		struct resp rs;

		if (rd_response(&r, &rs) == 0) {
			char want[32];

			snprintf(want, sizeof(want), "%d %d", 12 - i, i);
			if (strcmp(rs.body, want) == 0)
				fx->flag[0]++;
			free(rs.body);
		}
	}
	rd_free(&r);
}

static void
test_pipeline_limit(void **state)
{
	struct fixture *fx = *state;
	int i;

	/* Only two outstanding: reading pauses and resumes five times. */
	fx->limits.max_pipelined = 2;
	run(fx, cl_pipeline_limit);
	assert_int_equal(fx->flag[0], 12);
	assert_int_equal(fx->norder, 12);
	/* Never more than two were with the handler at once. */
	for (i = 0; i + 2 < fx->norder; i += 2)
		assert_true(fx->order[i] > fx->order[i + 2]);
}

static void
cl_too_large(struct fixture *fx)
{
	struct reader r;
	char *chunk;
	size_t sent;
	int i;

	/* Declared too large: 413 at once, before any body byte. */
	rd_init(&r, cl_connect(fx->port));
	cl_sends(
	    r.fd, "POST /echo HTTP/1.1\r\nContent-Length: 10485760\r\n\r\n");
	if (rd_response(&r, &fx->r[0]) == 0) {
		chunk = calloc(1, 1 << 20);
		memset(chunk, 'x', 1 << 20);
		/* The rest of the body is read and thrown away. */
		for (i = 0; i < 10; i++)
			if (cl_send(r.fd, chunk, 1 << 20) != 0)
				break;
		free(chunk);
		fx->r[0].closed_after = rd_closed(&r);
	}
	rd_free(&r);

	/* Chunked, 10 MiB: 413 once the limit is crossed. */
	rd_init(&r, cl_connect(fx->port));
	cl_sends(
	    r.fd, "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
	chunk = malloc(32768 + 16);
	memcpy(chunk, "8000\r\n", 6);
	memset(chunk + 6, 'y', 32768);
	memcpy(chunk + 6 + 32768, "\r\n", 2);
	for (sent = 0; sent < 10u << 20; sent += 32768)
		if (cl_send(r.fd, chunk, 32768 + 8) != 0)
			break;
	free(chunk);
	if (rd_response(&r, &fx->r[1]) == 0)
		fx->r[1].closed_after = rd_closed(&r);
	rd_free(&r);

	/* The server still answers. */
	one_request(fx, "GET /echo HTTP/1.1\r\n\r\n", &fx->r[2]);
}

static void
test_body_too_large(void **state)
{
	struct fixture *fx = *state;

	run(fx, cl_too_large);
	assert_int_equal(fx->r[0].status, 413);
	assert_non_null(strstr(fx->r[0].head, "Connection: close\r\n"));
	assert_true(fx->r[0].closed_after);
	assert_int_equal(fx->r[1].status, 413);
	assert_true(fx->r[1].closed_after);
	assert_int_equal(fx->r[2].status, 200);
}

static void
cl_json_refusals(struct fixture *fx)
{
	struct buf b;
	size_t i;

	one_request(fx,
	    "POST /api/v1/messages HTTP/1.1\r\nContent-Length: "
	    "10485760\r\n\r\n",
	    &fx->r[0]);
	one_request(fx,
	    "POST /echo HTTP/1.1\r\nContent-Length: 10485760\r\n\r\n",
	    &fx->r[1]);
	buf_init(&b, 1 << 20);
	(void)buf_puts(&b, "GET /api/v1/audit HTTP/1.1\r\n");
	for (i = 0; i < 200; i++)
		(void)buf_printf(&b, "X-Pad-%zu: %0100d\r\n", i, 0);
	(void)buf_puts(&b, "\r\n");
	one_request(fx, b.data, &fx->r[2]);
	buf_free(&b);
	/* A request refused before its path was read: plain text. */
	one_request(fx, "BR\x01KEN\r\n\r\n", &fx->r[3]);
}

/* The API's contract: its errors are JSON, the server's own refusals too. */
static void
test_json_refusals(void **state)
{
	struct fixture *fx = *state;

	fx->json_errors = "/api/";
	run(fx, cl_json_refusals);
	assert_int_equal(fx->r[0].status, 413);
	assert_non_null(
	    strstr(fx->r[0].head, "Content-Type: application/json\r\n"));
	assert_string_equal(
	    fx->r[0].body, "{\"error\": \"413 Payload Too Large\"}\n");
	assert_int_equal(fx->r[1].status, 413);
	assert_non_null(strstr(fx->r[1].head, "Content-Type: text/plain"));
	assert_int_equal(fx->r[2].status, 431);
	assert_non_null(
	    strstr(fx->r[2].head, "Content-Type: application/json\r\n"));
	assert_non_null(strstr(fx->r[2].body, "\"error\": \"431 "));
	assert_int_equal(fx->r[3].status, 400);
	assert_non_null(strstr(fx->r[3].head, "Content-Type: text/plain"));
}

static void
cl_headers(struct fixture *fx)
{
	struct buf b;
	int i;

	buf_init(&b, 1 << 20);
	buf_puts(&b, "GET /echo HTTP/1.1\r\n");
	for (i = 0; i < 1000; i++)
		buf_printf(&b, "X-H%d: %d\r\n", i, i);
	buf_puts(&b, "\r\n");
	one_request(fx, b.data, &fx->r[0]);
	buf_reset(&b);

	/* One header of 9 KiB. */
	buf_puts(&b, "GET /echo HTTP/1.1\r\nX-Big: ");
	for (i = 0; i < 9 * 1024; i++)
		buf_puts(&b, "z");
	buf_puts(&b, "\r\n\r\n");
	one_request(fx, b.data, &fx->r[1]);
	buf_reset(&b);

	/* A URL of 9 KiB. */
	buf_puts(&b, "GET /");
	for (i = 0; i < 9 * 1024; i++)
		buf_puts(&b, "u");
	buf_puts(&b, " HTTP/1.1\r\n\r\n");
	one_request(fx, b.data, &fx->r[3]);
	buf_reset(&b);

	/* Just under the limits is fine. */
	buf_puts(&b, "GET /echo HTTP/1.1\r\n");
	for (i = 0; i < 90; i++)
		buf_printf(&b, "X-H%d: %d\r\n", i, i);
	buf_puts(&b, "\r\n");
	one_request(fx, b.data, &fx->r[2]);
	buf_free(&b);
}

static void
test_too_many_headers(void **state)
{
	struct fixture *fx = *state;

	run(fx, cl_headers);
	assert_int_equal(fx->r[0].status, 431);
	assert_true(fx->r[0].closed_after);
	assert_int_equal(fx->r[1].status, 431);
	assert_true(fx->r[1].closed_after);
	assert_int_equal(fx->r[2].status, 200);
	assert_int_equal(fx->r[3].status, 414);
	assert_true(fx->r[3].closed_after);
}

static void
cl_slow(struct fixture *fx)
{
	static const char req[] = "GET /echo HTTP/1.1\r\nX-Slow: 1\r\n";
	struct reader a;
	struct pollfd pfd;
	int i;

	rd_init(&a, cl_connect(fx->port));
	cl_send(a.fd, req, 1);
	/* Another client is served while the first dribbles. */
	one_request(fx, "GET /echo?other HTTP/1.1\r\n\r\n", &fx->r[1]);
	for (i = 1; i < 400; i++) {
		pfd.fd = a.fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 0) == 1)
			break;
		if (cl_send(a.fd, req + (i % (sizeof(req) - 1)), 1) != 0)
			break;
		ms_sleep(25);
	}
	fx->flag[0] = i; /* bytes sent */
	if (rd_response(&a, &fx->r[0]) == 0)
		fx->r[0].closed_after = rd_closed(&a);
	rd_free(&a);

	/* A connection that sends nothing is closed too. */
	rd_init(&a, cl_connect(fx->port));
	fx->flag[1] = rd_closed(&a);
	rd_free(&a);
}

static void
test_request_timeout(void **state)
{
	struct fixture *fx = *state;

	fx->limits.request_timeout_ms = 300;
	run(fx, cl_slow);
	assert_int_equal(fx->r[0].status, 408);
	assert_true(fx->r[0].closed_after);
	assert_true(fx->flag[0] > 1);
	assert_int_equal(fx->r[1].status, 200);
	assert_string_equal(
	    fx->r[1].body, "GET /echo other host=- xtest=- body=");
	assert_true(fx->flag[1]);
}

static void
cl_idle(struct fixture *fx)
{
	struct reader r;

	rd_init(&r, cl_connect(fx->port));
	cl_sends(r.fd, "GET /echo HTTP/1.1\r\n\r\n");
	rd_response(&r, &fx->r[0]);
	/* Nothing more: the idle timeout closes the connection. */
	fx->r[0].closed_after = rd_closed(&r);
	rd_free(&r);
}

static void
test_idle_timeout(void **state)
{
	struct fixture *fx = *state;

	fx->limits.idle_timeout_ms = 200;
	run(fx, cl_idle);
	assert_int_equal(fx->r[0].status, 200);
	assert_null(strstr(fx->r[0].head, "Connection: close"));
	assert_true(fx->r[0].closed_after);
}

static void
cl_garbage(struct fixture *fx)
{
	one_request(fx, "\x01\x02 garbage\r\n\r\n", &fx->r[0]);
	one_request(fx,
	    "POST /echo HTTP/1.1\r\nContent-Length: 5\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	    &fx->r[1]);
	one_request(fx, "GET /echo HTTP/1.1\r\nBad Header\r\n\r\n", &fx->r[2]);
	one_request(fx, "GET /echo HTTP/2.0\r\n\r\n", &fx->r[3]);
	one_request(fx, "CONNECT example:443 HTTP/1.1\r\n\r\n", &fx->r[4]);
	/* A good request first, then garbage: answered in order. */
	one_request(
	    fx, "GET /echo HTTP/1.1\r\n\r\nBLAH BLAH\r\n\r\n", &fx->r[5]);
}

static void
test_garbage(void **state)
{
	struct fixture *fx = *state;

	run(fx, cl_garbage);
	assert_int_equal(fx->r[0].status, 400);
	assert_true(fx->r[0].closed_after);
	assert_int_equal(fx->r[1].status, 400);
	assert_true(fx->r[1].closed_after);
	assert_int_equal(fx->r[2].status, 400);
	assert_int_equal(fx->r[3].status, 505);
	assert_int_equal(fx->r[4].status, 405);
	assert_true(fx->r[4].closed_after);
	assert_int_equal(fx->r[5].status, 200);
}

static void
cl_chunked(struct fixture *fx)
{
	one_request(fx,
	    "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
	    &fx->r[0]);
}

static void
test_chunked_body(void **state)
{
	struct fixture *fx = *state;

	run(fx, cl_chunked);
	assert_int_equal(fx->r[0].status, 200);
	assert_string_equal(
	    fx->r[0].body, "POST /echo  host=- xtest=- body=hello world");
}

static void
cl_expect(struct fixture *fx)
{
	struct reader r;

	rd_init(&r, cl_connect(fx->port));
	cl_sends(r.fd, "POST /echo HTTP/1.1\r\nExpect: 100-continue\r\n"
		       "Content-Length: 5\r\n\r\n");
	/* The interim answer comes before any body byte is sent. */
	rd_response(&r, &fx->r[0]);
	cl_sends(r.fd, "hello");
	rd_response(&r, &fx->r[1]);
	rd_free(&r);

	one_request(fx,
	    "POST /echo HTTP/1.1\r\nExpect: 100-continue\r\n"
	    "Content-Length: 100000\r\n\r\n",
	    &fx->r[2]);
}

static void
test_expect_continue(void **state)
{
	struct fixture *fx = *state;

	run(fx, cl_expect);
	assert_int_equal(fx->r[0].status, 100);
	assert_int_equal(fx->r[1].status, 200);
	assert_string_equal(
	    fx->r[1].body, "POST /echo  host=- xtest=- body=hello");
	assert_int_equal(fx->r[2].status, 413);
	assert_true(fx->r[2].closed_after);
}

static void
cl_gone(struct fixture *fx)
{
	struct linger lg = {1, 0};
	struct reader r;
	int fd;

	/* A half-close still gets the answer, then the server closes. */
	rd_init(&r, cl_connect(fx->port));
	cl_sends(r.fd, "GET /defer/20?half HTTP/1.1\r\n\r\n");
	shutdown(r.fd, SHUT_WR);
	if (rd_response(&r, &fx->r[0]) == 0)
		fx->r[0].closed_after = rd_closed(&r);
	rd_free(&r);

	/* A reset before the answer: the request is orphaned. */
	fd = cl_connect(fx->port);
	cl_sends(fd, "GET /wait-gone HTTP/1.1\r\n\r\n");
	/* Reset only once the server has the request. */
	for (int i = 0; i < 1000 && !atomic_load(&fx->gone_seen); i++)
		ms_sleep(5);
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

static void
test_client_gone(void **state)
{
	struct fixture *fx = *state;

	run(fx, cl_gone);
	assert_int_equal(fx->r[0].status, 200);
	assert_string_equal(fx->r[0].body, "20 half");
	assert_non_null(strstr(fx->r[0].head, "Connection: close\r\n"));
	assert_true(fx->r[0].closed_after);
	/* Answered after the disconnect, without effect. */
	assert_int_equal(fx->gone_answered, 1);
	assert_true(fx->gone_requests == 1 || fx->gone_requests == 2);
}

static void
cl_shutdown(struct fixture *fx)
{
	struct reader idle, busy;

	rd_init(&idle, cl_connect(fx->port));
	cl_sends(idle.fd, "GET /echo HTTP/1.1\r\n\r\n");
	rd_response(&idle, &fx->r[1]);
	rd_init(&busy, cl_connect(fx->port));
	cl_sends(busy.fd, "GET /shutdown?z HTTP/1.1\r\n\r\n");
	if (rd_response(&busy, &fx->r[0]) == 0)
		fx->r[0].closed_after = rd_closed(&busy);
	fx->r[1].closed_after = rd_closed(&idle);
	rd_free(&idle);
	rd_free(&busy);
	/* No longer listening. */
	fx->flag[0] = cl_connect(fx->port);
	if (fx->flag[0] >= 0)
		close(fx->flag[0]);
}

static void
test_shutdown_drain(void **state)
{
	struct fixture *fx = *state;

	run(fx, cl_shutdown);
	assert_int_equal(fx->r[0].status, 200);
	assert_string_equal(fx->r[0].body, "100 z");
	assert_non_null(strstr(fx->r[0].head, "Connection: close\r\n"));
	assert_true(fx->r[0].closed_after);
	assert_int_equal(fx->r[1].status, 200);
	assert_true(fx->r[1].closed_after);
	assert_int_equal(fx->flag[0], -1);
}

#define NIDLE 2000

static void
cl_many(struct fixture *fx)
{
	struct reader *rs = calloc(NIDLE, sizeof(*rs));
	struct resp rp;
	int i;

	for (i = 0; i < NIDLE; i++) {
		rd_init(&rs[i], cl_connect(fx->port));
		if (rs[i].fd < 0)
			break;
		cl_sends(rs[i].fd, "GET /echo HTTP/1.1\r\n\r\n");
	}
	for (i = 0; i < NIDLE && rs[i].fd >= 0; i++)
		if (rd_response(&rs[i], &rp) == 0) {
			fx->flag[0] += rp.status == 200;
			free(rp.body);
		}
	/* All still open and idle; the server answers one more. */
	one_request(fx, "GET /stats HTTP/1.1\r\n\r\n", &fx->r[0]);
	for (i = 0; i < NIDLE; i++)
		rd_free(&rs[i]);
	free(rs);
}

static void
test_many_idle(void **state)
{
	struct fixture *fx = *state;

	run(fx, cl_many);
	assert_int_equal(fx->flag[0], NIDLE);
	assert_int_equal(fx->r[0].status, 200);
	assert_int_equal(atoi(fx->r[0].body), NIDLE + 1);
}

/* Sends req on the open connection r and reads the answer into *out. */
static void
again(struct reader *r, const char *req, struct resp *out)
{
	if (r->fd >= 0 && cl_sends(r->fd, req) == 0)
		rd_response(r, out);
}

static void
cl_max_conns(struct fixture *fx)
{
	struct reader a, b, c;

	rd_init(&a, cl_connect(fx->port));
	rd_init(&b, cl_connect(fx->port));
	again(&a, "GET /echo?a HTTP/1.1\r\n\r\n", &fx->r[0]);
	again(&b, "GET /echo?b HTTP/1.1\r\n\r\n", &fx->r[1]);
	/* a is used again: b is now the one idle the longest. */
	again(&a, "GET /echo?a2 HTTP/1.1\r\n\r\n", &fx->r[2]);
	/* The third is over the limit: b is closed to make room for it. */
	rd_init(&c, cl_connect(fx->port));
	again(&c, "GET /echo?c HTTP/1.1\r\n\r\n", &fx->r[3]);
	fx->flag[0] = rd_closed(&b);
	rd_free(&b);
	/* a was not idle the longest: it is still served. */
	again(&a, "GET /echo?a3 HTTP/1.1\r\n\r\n", &fx->r[4]);
	rd_free(&a);
	rd_free(&c);
}

static void
test_max_conns(void **state)
{
	struct fixture *fx = *state;
	struct http_stats st;

	fx->limits.max_conns = 2;
	/* Only shedding may close a connection while the test runs. */
	fx->limits.request_timeout_ms = 60000;
	run(fx, cl_max_conns);
	assert_int_equal(fx->r[0].status, 200);
	assert_int_equal(fx->r[1].status, 200);
	assert_int_equal(fx->r[2].status, 200);
	assert_int_equal(fx->r[3].status, 200);
	assert_string_equal(fx->r[3].body, "GET /echo c host=- xtest=- body=");
	assert_true(fx->flag[0]);
	assert_int_equal(fx->r[4].status, 200);
	assert_string_equal(fx->r[4].body, "GET /echo a3 host=- xtest=- body=");
	http_server_stats(&fx->srv, &st);
	assert_int_equal(st.conns_shed, 1);
	assert_int_equal(st.conns_refused, 0);
}

static void
cl_max_conns_busy(struct fixture *fx)
{
	struct reader a, b, c;
	int i;

	/* Both connections wait for an answer: neither is idle. */
	rd_init(&a, cl_connect(fx->port));
	rd_init(&b, cl_connect(fx->port));
	cl_sends(a.fd, "GET /hold?a HTTP/1.1\r\n\r\n");
	cl_sends(b.fd, "GET /hold?b HTTP/1.1\r\n\r\n");
	for (i = 0; i < 1000 && atomic_load(&fx->nheld) < 2; i++)
		ms_sleep(10);
	fx->flag[1] = atomic_load(&fx->nheld);
	/* So the third is refused: closed at once, not left waiting. */
	rd_init(&c, cl_connect(fx->port));
	fx->flag[0] = rd_closed(&c);
	rd_free(&c);
	/* The two waiting get their answers all the same. */
	uv_async_send(&fx->release);
	rd_response(&a, &fx->r[0]);
	rd_response(&b, &fx->r[1]);
	/* Once they are idle, a new connection is served again. */
	rd_init(&c, cl_connect(fx->port));
	again(&c, "GET /echo?c HTTP/1.1\r\n\r\n", &fx->r[2]);
	rd_free(&c);
	rd_free(&a);
	rd_free(&b);
}

static void
test_max_conns_busy(void **state)
{
	struct fixture *fx = *state;
	struct http_stats st;

	fx->limits.max_conns = 2;
	fx->limits.request_timeout_ms = 60000;
	run(fx, cl_max_conns_busy);
	assert_int_equal(fx->flag[1], 2);
	assert_true(fx->flag[0]);
	assert_int_equal(fx->r[0].status, 200);
	assert_string_equal(fx->r[0].body, "held");
	assert_int_equal(fx->r[1].status, 200);
	assert_int_equal(fx->r[2].status, 200);
	http_server_stats(&fx->srv, &st);
	assert_int_equal(st.conns_refused, 1);
	assert_int_equal(st.conns_shed, 1);
}

static void
cl_fd_cap(struct fixture *fx)
{
	struct reader a, b;

	rd_init(&a, cl_connect(fx->port));
	again(&a, "GET /cap HTTP/1.1\r\n\r\n", &fx->r[0]);
	/* Over the descriptor cap: a, idle, gives way to b. */
	rd_init(&b, cl_connect(fx->port));
	again(&b, "GET /echo?b HTTP/1.1\r\n\r\n", &fx->r[1]);
	fx->flag[0] = rd_closed(&a);
	rd_free(&a);
	rd_free(&b);
}

static void
test_fd_cap(void **state)
{
	struct fixture *fx = *state;
	struct http_stats st;

	fx->limits.request_timeout_ms = 60000;
	run(fx, cl_fd_cap);
	assert_int_equal(fx->r[0].status, 200);
	assert_int_equal(fx->r[1].status, 200);
	assert_true(fx->flag[0]);
	http_server_stats(&fx->srv, &st);
	assert_int_equal(st.conns_shed, 1);
	assert_int_equal(st.conns_refused, 0);
}

static void
cl_owner(struct fixture *fx)
{
	struct reader r;

	rd_init(&r, cl_connect(fx->port));
	again(&r, "GET /owner HTTP/1.1\r\n\r\n", &fx->r[0]);
	again(&r, "GET /prepared HTTP/1.1\r\n\r\n", &fx->r[1]);
	rd_free(&r);
}

static void
test_handler_thread(void **state)
{
	struct fixture *fx = *state;

	run(fx, cl_owner);
	assert_int_equal(fx->r[0].status, 200);
	assert_string_equal(fx->r[0].body, "owner");
	/* The prepare runs where the server runs: its thread, if it has one. */
	assert_int_equal(fx->r[1].status, 200);
	assert_string_equal(fx->r[1].body,
	    fx->threaded ? "/prepared other" : "/prepared owner");
}

static void
cl_keep(struct fixture *fx)
{
	struct linger lg = {1, 0};
	int fd, i;

	fd = cl_connect(fx->port);
	cl_sends(fd, "GET /keep HTTP/1.1\r\n\r\n");
	for (i = 0; i < 1000 && !atomic_load(&fx->kept_seen); i++)
		ms_sleep(5);
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

/*
 * A request whose client went away, answered after the server's done ran
 * and its loop is closed: freed, nothing touched (ASan and valgrind hold
 * the rest).
 */
static void
test_answer_after_done(void **state)
{
	struct fixture *fx = *state;

	run(fx, cl_keep);
	assert_int_equal(atomic_load(&fx->kept_seen), 1);
	assert_non_null(fx->kept);
	assert_string_equal(fx->kept->path, "/keep");
	http_respond(fx->kept, 200, "text/plain", "too late", 8);
	fx->kept = NULL;
}

/* init as the test asks: on loop, or on a thread of its own. */
static int
init_as(int threaded, struct http_server *srv, uv_loop_t *loop)
{
	if (threaded)
		return http_server_init_thread(srv, loop, NULL, handler, NULL);
	return http_server_init(srv, loop, NULL, handler, NULL);
}

static void
listen_addresses(int threaded)
{
	struct http_server a, b;
	uv_loop_t loop;
	int rc, port;

	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(init_as(threaded, &a, &loop), 0);
	assert_int_equal(init_as(threaded, &b, &loop), 0);
	assert_int_equal(http_server_listen(&a, "nonsense"), UV_EINVAL);
	assert_int_equal(http_server_listen(&a, "1.2.3:80"), UV_EINVAL);
	assert_int_equal(http_server_listen(&a, "127.0.0.1:99999"), UV_EINVAL);
	assert_int_equal(http_server_listen(&a, "127.0.0.1:8x"), UV_EINVAL);
	assert_int_equal(http_server_listen(&a, "::1:80"), UV_EINVAL);
	assert_int_equal(http_server_listen(&a, "[::1:80"), UV_EINVAL);
	assert_int_equal(http_server_port(&a), -1);
	assert_int_equal(http_server_listen(&a, "localhost:0"), 0);
	port = http_server_port(&a);
	assert_true(port > 0);
	{
		char addr[32];

		snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
		rc = http_server_listen(&b, addr);
		assert_int_equal(rc, UV_EADDRINUSE);
	}
	http_server_shutdown(&a, NULL);
	http_server_shutdown(&b, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);

	/* IPv6 where the machine has it. */
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(init_as(threaded, &a, &loop), 0);
	rc = http_server_listen(&a, "[::1]:0");
	assert_true(rc == 0 || rc == UV_EADDRNOTAVAIL || rc == UV_EAFNOSUPPORT);
	if (rc == 0)
		assert_true(http_server_port(&a) > 0);
	http_server_shutdown(&a, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void
test_listen_addresses(void **state)
{
	(void)state;
	listen_addresses(0);
}

/* The same on threads: a failed listen, then the shutdown, ends them. */
static void
test_thread_listen_addresses(void **state)
{
	(void)state;
	listen_addresses(1);
}

/* Socket-less parsing: the fuzz target's path. */
static void
sockless_handler(struct http_request *req, void *arg)
{
	size_t *n = arg;
	char body[256];

	(*n)++;
	snprintf(body, sizeof(body), "%s|%s|%s|%s|%zu%s", req->method,
	    req->path, req->query, req->body, req->body_len,
	    req->body[req->body_len] == '\0' ? "" : "|not terminated");
	http_respond(req, 200, NULL, body, strlen(body));
}

static struct http_request *held[4];
static size_t nheld;

static void
holding_handler(struct http_request *req, void *arg)
{
	(void)arg;
	if (strcmp(req->path, "/now") == 0) {
		http_respond(req, 200, NULL, "now", 3);
		return;
	}
	held[nheld++] = req;
	/* The second held one is answered before the first. */
	if (nheld == 2)
		http_respond(held[1], 200, NULL, "second", 6);
}

static void
test_parse_orphans(void **state)
{
	static const char in[] = "GET /a HTTP/1.1\r\n\r\n"
				 "GET /b HTTP/1.1\r\n\r\n"
				 "GET /now HTTP/1.1\r\n\r\n";
	struct buf out;
	size_t n;

	(void)state;
	buf_init(&out, 1 << 20);
	nheld = 0;
	n = http_parse_buffer(
	    NULL, in, sizeof(in) - 1, 5, holding_handler, NULL, &out);
	assert_int_equal(n, 3);
	assert_int_equal(nheld, 2);
	/* Nothing was sent: the first answer never came. */
	assert_int_equal(out.len, 0);
	/* The input is over (a disconnect); the late answer is discarded. */
	assert_string_equal(held[0]->path, "/a");
	http_respond(held[0], 200, NULL, "late", 4);
	assert_int_equal(out.len, 0);
	buf_free(&out);
}

static void
test_parse_buffer(void **state)
{
	static const char in[] =
	    "POST /a?b=c HTTP/1.1\r\nContent-Length: 4\r\n\r\nwxyz"
	    "GET /d HTTP/1.1\r\nHost: h\r\n\r\n"
	    "PUT /e HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "2\r\nhi\r\n0\r\nX-Trailer: ignored\r\n\r\n";
	struct buf out;
	size_t calls = 0, n, chunk;

	(void)state;
	for (chunk = 0; chunk < 8; chunk++) {
		buf_init(&out, 1 << 20);
		calls = 0;
		n = http_parse_buffer(NULL, in, sizeof(in) - 1, chunk,
		    sockless_handler, &calls, &out);
		assert_int_equal(n, 3);
		assert_int_equal(calls, 3);
		assert_non_null(strstr(out.data, "POST|/a|b=c|wxyz|4HTTP/1.1"));
		assert_true(out.len > 12);
		assert_string_equal(out.data + out.len - 12, "PUT|/e||hi|2");
		assert_true(strstr(out.data, "POST|/a|b=c|wxyz") <
			    strstr(out.data, "GET|/d||"));
		assert_true(strstr(out.data, "GET|/d||") <
			    strstr(out.data, "PUT|/e||hi"));
		buf_free(&out);
	}
	buf_init(&out, 1 << 20);
	n = http_parse_buffer(
	    NULL, "NOPE\r\n\r\n", 8, 0, sockless_handler, &calls, &out);
	assert_int_equal(n, 0);
	assert_non_null(strstr(out.data, "HTTP/1.1 400 Bad Request\r\n"));
	buf_free(&out);
}

#define PLAIN(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
#define THREAD(t)                                             \
	{                                                     \
		"thread_" #t, t, setup_thread, teardown, NULL \
	}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    PLAIN(test_simple_get),
	    PLAIN(test_json_refusals),
	    PLAIN(test_keep_alive),
	    PLAIN(test_server_headers),
	    PLAIN(test_big_answer),
	    PLAIN(test_pipelined_order),
	    PLAIN(test_no_reader),
	    PLAIN(test_many_no_readers),
	    PLAIN(test_orphans_end_pause),
	    PLAIN(test_pipeline_limit),
	    PLAIN(test_body_too_large),
	    PLAIN(test_too_many_headers),
	    PLAIN(test_request_timeout),
	    PLAIN(test_idle_timeout),
	    PLAIN(test_garbage),
	    PLAIN(test_chunked_body),
	    PLAIN(test_expect_continue),
	    PLAIN(test_client_gone),
	    PLAIN(test_shutdown_drain),
	    PLAIN(test_many_idle),
	    PLAIN(test_max_conns),
	    PLAIN(test_max_conns_busy),
	    PLAIN(test_fd_cap),
	    THREAD(test_simple_get),
	    THREAD(test_json_refusals),
	    THREAD(test_keep_alive),
	    THREAD(test_server_headers),
	    THREAD(test_big_answer),
	    THREAD(test_pipelined_order),
	    THREAD(test_pipeline_limit),
	    THREAD(test_body_too_large),
	    THREAD(test_too_many_headers),
	    THREAD(test_request_timeout),
	    THREAD(test_idle_timeout),
	    THREAD(test_garbage),
	    THREAD(test_chunked_body),
	    THREAD(test_expect_continue),
	    THREAD(test_client_gone),
	    THREAD(test_shutdown_drain),
	    THREAD(test_many_idle),
	    THREAD(test_max_conns),
	    THREAD(test_max_conns_busy),
	    THREAD(test_fd_cap),
	    PLAIN(test_handler_thread),
	    THREAD(test_handler_thread),
	    PLAIN(test_answer_after_done),
	    THREAD(test_answer_after_done),
	    cmocka_unit_test(test_listen_addresses),
	    cmocka_unit_test(test_thread_listen_addresses),
	    cmocka_unit_test(test_parse_buffer),
	    cmocka_unit_test(test_parse_orphans),
	};

	log_set_level(L_WARN);
	/* As baraza does (cli/main.c): a write to a client gone (no_reader
	   closes with answers due) is an error, not the end of the test. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
