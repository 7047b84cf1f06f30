/*
 * test_client.c: the libcurl-on-libuv client against a small HTTP/1.1
 * server that runs on the same loop, on 127.0.0.1 only. Every test runs
 * twice: with the client on the test's loop (client.h), and with it on a
 * thread of its own (client_thread.h), the server staying on the test's
 * loop; then every callback must come on the test's thread.
 *
 * The server answers by path:
 *   /ok     200 "hello"            /429  429      /500  500
 *   /404    404                    /301  301 (must not be followed)
 *   /echo   200, the request as received (head and body); so do
 *           /echo?QUERY and /echo/MORE
 *   /big    200 with a Content-Length over the client's cap
 *   /chunky 200 chunked, more than the cap, with no length given
 *   /slow   never answers          /close closes the connection at once
 * It keeps connections alive and counts the ones it accepted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <uv.h>

#include "lib/util.h"
#include "providers/client.h"
#include "providers/client_thread.h"

#define SRV_BUF 65536
#define BIG_LEN (300 * 1024)

struct srv;

struct conn {
	uv_tcp_t tcp;             /* accepted connection */
	struct srv *s;            /* server */
	char buf[SRV_BUF];        /* unparsed request bytes */
	size_t len;               /* bytes in buf */
	int closing;              /* uv_close called */
	struct conn *prev, *next; /* s->conns */
};

struct srv {
	uv_tcp_t tcp;                  /* listener */
	int port;                      /* its port */
	int accepted;                  /* connections accepted */
	int requests;                  /* requests parsed */
	int slow;                      /* /slow requests waiting */
	struct conn *conns;            /* open connections */
	void (*on_slow)(struct srv *); /* called on each /slow request */
	void *data;                    /* for the test */
};

struct wreq {
	uv_write_t req; /* the write */
	char *data;     /* what it writes, freed with it */
};

static void
on_conn_closed(uv_handle_t *h)
{
	struct conn *cn = container_of(h, struct conn, tcp);

	free(cn);
}

static void
conn_close(struct conn *cn)
{
	if (cn->closing)
		return;
	cn->closing = 1;
	if (cn->prev != NULL)
		cn->prev->next = cn->next;
	else
		cn->s->conns = cn->next;
	if (cn->next != NULL)
		cn->next->prev = cn->prev;
	uv_close((uv_handle_t *)&cn->tcp, on_conn_closed);
}

static void
on_written(uv_write_t *req, int status)
{
	struct wreq *w = container_of(req, struct wreq, req);

	(void)status;
	free(w->data);
	free(w);
}

static void
conn_write(struct conn *cn, char *data, size_t len)
{
	struct wreq *w = xcalloc(1, sizeof(*w));
	uv_buf_t b = uv_buf_init(data, (unsigned int)len);

	w->data = data;
	if (uv_write(&w->req, (uv_stream_t *)&cn->tcp, &b, 1, on_written) !=
	    0) {
		free(data);
		free(w);
	}
}

/* Writes the whole answer s as it is. */
static void
conn_write_str(struct conn *cn, const char *s)
{
	conn_write(cn, xstrdup(s), strlen(s));
}

static void
respond(struct conn *cn, int status, const char *body, size_t len)
{
	char *head = xasprintf("HTTP/1.1 %d X\r\nContent-Type: text/plain\r\n"
			       "Content-Length: %zu\r\n\r\n",
	    status, len);
	size_t hl = strlen(head);
	char *all = xmalloc(hl + len);

	memcpy(all, head, hl);
	memcpy(all + hl, body, len);
	free(head);
	conn_write(cn, all, hl + len);
}

/* Handles one complete request of total bytes; returns 0, or -1 if closed. */
static int
handle(struct conn *cn, const char *path, size_t total)
{
	struct srv *s = cn->s;

	s->requests++;
	if (strcmp(path, "/ok") == 0)
		respond(cn, 200, "hello", 5);
	else if (strcmp(path, "/bye") == 0)
		/* Answered, then the connection is not kept. */
		conn_write_str(cn, "HTTP/1.1 200 OK\r\nConnection: close\r\n"
				   "Content-Length: 5\r\n\r\nhello");
	else if (strcmp(path, "/429") == 0)
		respond(cn, 429, "slow down", 9);
	else if (strcmp(path, "/500") == 0)
		respond(cn, 500, "oops", 4);
	else if (strcmp(path, "/404") == 0)
		respond(cn, 404, "no such thing", 13);
	else if (strcmp(path, "/301") == 0)
		conn_write_str(cn, "HTTP/1.1 301 Moved\r\nLocation: /ok\r\n"
				   "Content-Length: 0\r\n\r\n");
	else if (strncmp(path, "/echo", 5) == 0 &&
		 (path[5] == '\0' || path[5] == '?' || path[5] == '/'))
		respond(cn, 200, cn->buf, total);
	else if (strcmp(path, "/big") == 0) {
		char *body = xmalloc(BIG_LEN);

		memset(body, 'x', BIG_LEN);
		respond(cn, 200, body, BIG_LEN);
		free(body);
	} else if (strcmp(path, "/chunky") == 0) {
		const char *h = "HTTP/1.1 200 OK\r\n"
				"Transfer-Encoding: chunked\r\n\r\n";
		struct buf b;
		char chunk[4096];
		int i;

		buf_init(&b, 2 * BIG_LEN);
		memset(chunk, 'y', sizeof(chunk));
		buf_puts(&b, h);
		for (i = 0; i < BIG_LEN / (int)sizeof(chunk); i++) {
			buf_printf(&b, "%zx\r\n", sizeof(chunk));
			buf_append(&b, chunk, sizeof(chunk));
			buf_puts(&b, "\r\n");
		}
		buf_puts(&b, "0\r\n\r\n");
		{
			size_t n = b.len;

			conn_write(cn, buf_steal(&b), n);
		}
	} else if (strcmp(path, "/slow") == 0) {
		s->slow++;
		if (s->on_slow != NULL)
			s->on_slow(s);
	} else if (strcmp(path, "/close") == 0) {
		conn_close(cn);
		return -1;
	} else
		respond(cn, 400, "bad path", 8);
	return 0;
}

/* Parses as many complete requests as buf holds. */
static void
parse(struct conn *cn)
{
	char *end, *cl, path[256];
	size_t head, body, total;

	while (!cn->closing &&
	       (end = memmem(cn->buf, cn->len, "\r\n\r\n", 4)) != NULL) {
		head = (size_t)(end - cn->buf) + 4;
		body = 0;
		*end = '\0';
		for (cl = cn->buf; (cl = strchr(cl, '\n')) != NULL;) {
			cl++;
			if (strncasecmp(cl, "Content-Length:", 15) == 0)
				body = strtoul(cl + 15, NULL, 10);
		}
		*end = '\r';
		total = head + body;
		if (total > sizeof(cn->buf)) {
			conn_close(cn);
			return;
		}
		if (cn->len < total)
			return;
		if (sscanf(cn->buf, "%*s %255s", path) != 1) {
			conn_close(cn);
			return;
		}
		if (handle(cn, path, total) != 0)
			return;
		memmove(cn->buf, cn->buf + total, cn->len - total);
		cn->len -= total;
	}
}

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct conn *cn = container_of(h, struct conn, tcp);

	(void)hint;
	*b = uv_buf_init(
	    cn->buf + cn->len, (unsigned int)(sizeof(cn->buf) - cn->len));
}

static void
on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
	struct conn *cn = container_of(st, struct conn, tcp);

	(void)b;
	if (n < 0 || (n == 0 && cn->len == sizeof(cn->buf))) {
		conn_close(cn);
		return;
	}
	cn->len += (size_t)n;
	parse(cn);
}

static void
on_connection(uv_stream_t *l, int status)
{
	struct srv *s = container_of(l, struct srv, tcp);
	struct conn *cn;

	assert_int_equal(status, 0);
	cn = xcalloc(1, sizeof(*cn));
	cn->s = s;
	assert_int_equal(uv_tcp_init(l->loop, &cn->tcp), 0);
	if (uv_accept(l, (uv_stream_t *)&cn->tcp) != 0) {
		uv_close((uv_handle_t *)&cn->tcp, on_conn_closed);
		return;
	}
	s->accepted++;
	cn->next = s->conns;
	if (s->conns != NULL)
		s->conns->prev = cn;
	s->conns = cn;
	assert_int_equal(
	    uv_read_start((uv_stream_t *)&cn->tcp, on_alloc, on_read), 0);
}

static void
srv_start(struct srv *s, uv_loop_t *loop)
{
	struct sockaddr_in sin;
	struct sockaddr_storage ss;
	int len = sizeof(ss);

	memset(s, 0, sizeof(*s));
	assert_int_equal(uv_tcp_init(loop, &s->tcp), 0);
	assert_int_equal(uv_ip4_addr("127.0.0.1", 0, &sin), 0);
	assert_int_equal(uv_tcp_bind(&s->tcp, (struct sockaddr *)&sin, 0), 0);
	assert_int_equal(
	    uv_listen((uv_stream_t *)&s->tcp, 128, on_connection), 0);
	assert_int_equal(
	    uv_tcp_getsockname(&s->tcp, (struct sockaddr *)&ss, &len), 0);
	s->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static void
srv_stop(struct srv *s)
{
	while (s->conns != NULL)
		conn_close(s->conns);
	if (!uv_is_closing((uv_handle_t *)&s->tcp))
		uv_close((uv_handle_t *)&s->tcp, NULL);
}

/*
 * One test's world: a loop, the server, the client, a watchdog that ends
 * a test gone wrong instead of hanging, and the results.
 */
#define MAXRES (CLIENT_MAX_HOST_CONNECTIONS + 16)

struct result {
	int done;                    /* callback ran */
	long status;                 /* resp->status */
	CURLcode code;               /* resp->code */
	int cancelled;               /* resp->cancelled */
	enum client_outcome outcome; /* resp->outcome */
	char body[512];              /* start of resp->body */
	size_t body_len;             /* resp->body_len */
	char error[128];             /* resp->error */
	char ctype[64];              /* resp->content_type */
};

struct world {
	uv_loop_t loop;            /* the loop */
	struct srv srv;            /* the server */
	struct client client;      /* what is tested, or */
	struct client_thread *ct;  /* with threaded, this */
	uv_timer_t watchdog;       /* ends a stuck test */
	int closed;                /* client's closed callback ran */
	int expect;                /* callbacks expected before finishing */
	int ndone;                 /* callbacks so far */
	int watchdog_fired;        /* the test got stuck */
	int finished;              /* finish() ran */
	struct result res[MAXRES]; /* per request */
	int seq_left;              /* sequential test: requests to go */
	const char *seq_path;      /* and their path */
};

struct slot {
	struct world *w; /* owner */
	int i;           /* index into w->res */
};

static struct slot slots[MAXRES];
static int threaded;            /* the group on a thread of its own */
static uv_thread_t test_thread; /* where every callback must run */

static void
on_client_closed(struct client *c, void *arg)
{
	struct world *w = arg;

	assert_ptr_equal(c, &w->client);
	w->closed++;
}

/*
 * The threaded client has closed: only now does the server stop, so that
 * no answer (nor a closed connection) can reach the client's thread
 * before it has taken in its shutdown and cancelled what is in flight.
 */
static void
on_thread_closed(void *arg)
{
	struct world *w = arg;

	w->closed++;
	srv_stop(&w->srv);
}

/* Starts req on the world's client, whichever it is. */
static int
request(
    struct world *w, const struct client_req *req, client_done_cb cb, void *arg)
{
	struct client_port p = {&w->client, w->ct};

	return client_port_request(&p, req, cb, arg);
}

/* Ends the test: shuts the client and the server down. */
static void
finish(struct world *w)
{
	if (w->finished)
		return;
	w->finished = 1;
	if (w->ct != NULL)
		client_thread_shutdown(w->ct, on_thread_closed, w);
	else {
		client_shutdown(&w->client, on_client_closed, w);
		srv_stop(&w->srv);
	}
	uv_timer_stop(&w->watchdog);
	uv_close((uv_handle_t *)&w->watchdog, NULL);
}

static void
on_watchdog(uv_timer_t *t)
{
	struct world *w = container_of(t, struct world, watchdog);

	w->watchdog_fired = 1;
	finish(w);
}

static void
world_init(struct world *w)
{
	memset(w, 0, sizeof(*w));
	assert_int_equal(uv_loop_init(&w->loop), 0);
	srv_start(&w->srv, &w->loop);
	w->srv.data = w;
	if (threaded)
		assert_non_null(w->ct = client_thread_start(&w->loop));
	else
		assert_int_equal(client_init(&w->client, &w->loop), 0);
	assert_int_equal(uv_timer_init(&w->loop, &w->watchdog), 0);
	/* A bound on a broken test, not a timing assertion. */
	assert_int_equal(
	    uv_timer_start(&w->watchdog, on_watchdog, 20000, 0), 0);
}

/* Runs the loop until everything has closed, then checks nothing leaked. */
static void
world_run(struct world *w)
{
	assert_int_equal(uv_run(&w->loop, UV_RUN_DEFAULT), 0);
	assert_false(w->watchdog_fired);
	assert_int_equal(w->closed, 1);
	assert_int_equal(uv_loop_close(&w->loop), 0);
}

static void
record(const struct client_resp *r, struct result *res)
{
	uv_thread_t self = uv_thread_self();

	assert_true(uv_thread_equal(&self, &test_thread));
	assert_false(res->done);
	res->done = 1;
	res->status = r->status;
	res->code = r->code;
	res->cancelled = r->cancelled;
	res->outcome = r->outcome;
	res->body_len = r->body_len;
	assert_non_null(r->body);
	assert_int_equal(strlen(r->body), r->body_len);
	snprintf(res->body, sizeof(res->body), "%s", r->body);
	snprintf(res->error, sizeof(res->error), "%s", r->error);
	snprintf(res->ctype, sizeof(res->ctype), "%s",
	    r->content_type ? r->content_type : "");
}

static void
on_done(const struct client_resp *r, void *arg)
{
	struct slot *sl = arg;
	struct world *w = sl->w;

	record(r, &w->res[sl->i]);
	if (++w->ndone == w->expect)
		finish(w);
}

/* Starts a request for path on the test server into result slot i. */
static int
start(struct world *w, int i, const char *path, long timeout_ms)
{
	struct client_req req;
	char url[128];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", w->srv.port, path);
	memset(&req, 0, sizeof(req));
	req.url = url;
	req.timeout_ms = timeout_ms;
	slots[i].w = w;
	slots[i].i = i;
	return request(w, &req, on_done, &slots[i]);
}

static void
test_outcome_table(void **state)
{
	(void)state;
	assert_int_equal(client_outcome(200, CURLE_OK), CLIENT_OK);
	assert_int_equal(client_outcome(201, CURLE_OK), CLIENT_OK);
	assert_int_equal(client_outcome(299, CURLE_OK), CLIENT_OK);
	assert_int_equal(client_outcome(429, CURLE_OK), CLIENT_TEMPFAIL);
	assert_int_equal(client_outcome(408, CURLE_OK), CLIENT_TEMPFAIL);
	assert_int_equal(client_outcome(500, CURLE_OK), CLIENT_TEMPFAIL);
	assert_int_equal(client_outcome(503, CURLE_OK), CLIENT_TEMPFAIL);
	assert_int_equal(client_outcome(599, CURLE_OK), CLIENT_TEMPFAIL);
	assert_int_equal(client_outcome(400, CURLE_OK), CLIENT_PERMFAIL);
	assert_int_equal(client_outcome(401, CURLE_OK), CLIENT_PERMFAIL);
	assert_int_equal(client_outcome(404, CURLE_OK), CLIENT_PERMFAIL);
	assert_int_equal(client_outcome(100, CURLE_OK), CLIENT_PERMFAIL);
	assert_int_equal(client_outcome(301, CURLE_OK), CLIENT_PERMFAIL);
	assert_int_equal(client_outcome(304, CURLE_OK), CLIENT_PERMFAIL);
	assert_int_equal(
	    client_outcome(0, CURLE_OPERATION_TIMEDOUT), CLIENT_TEMPFAIL);
	assert_int_equal(
	    client_outcome(0, CURLE_COULDNT_CONNECT), CLIENT_TEMPFAIL);
	assert_int_equal(
	    client_outcome(0, CURLE_COULDNT_RESOLVE_HOST), CLIENT_TEMPFAIL);
	assert_int_equal(client_outcome(0, CURLE_GOT_NOTHING), CLIENT_TEMPFAIL);
	assert_int_equal(client_outcome(0, CURLE_RECV_ERROR), CLIENT_TEMPFAIL);
	assert_int_equal(
	    client_outcome(0, CURLE_SSL_CONNECT_ERROR), CLIENT_TEMPFAIL);
	assert_int_equal(
	    client_outcome(0, CURLE_ABORTED_BY_CALLBACK), CLIENT_TEMPFAIL);
	assert_int_equal(
	    client_outcome(0, CURLE_URL_MALFORMAT), CLIENT_PERMFAIL);
	assert_int_equal(
	    client_outcome(0, CURLE_UNSUPPORTED_PROTOCOL), CLIENT_PERMFAIL);
	assert_int_equal(
	    client_outcome(0, CURLE_FILESIZE_EXCEEDED), CLIENT_PERMFAIL);
	assert_string_equal(client_outcome_name(CLIENT_OK), "ok");
	assert_string_equal(client_outcome_name(CLIENT_TEMPFAIL), "tempfail");
	assert_string_equal(client_outcome_name(CLIENT_PERMFAIL), "permfail");
}

static void
test_answers(void **state)
{
	static const char *paths[] = {
	    "/ok", "/429", "/500", "/404", "/301", "/close", "/big", "/chunky"};
	struct world *w = xcalloc(1, sizeof(*w));
	int i, n = (int)nitems(paths);

	(void)state;
	world_init(w);
	w->expect = n;
	for (i = 0; i < n; i++)
		assert_int_equal(start(w, i, paths[i], 10000), 0);
	/* Nothing is answered from inside client_request. */
	assert_int_equal(w->ndone, 0);
	world_run(w);

	assert_int_equal(w->res[0].status, 200);
	assert_int_equal(w->res[0].code, CURLE_OK);
	assert_int_equal(w->res[0].outcome, CLIENT_OK);
	assert_string_equal(w->res[0].body, "hello");
	assert_int_equal(w->res[0].body_len, 5);
	assert_string_equal(w->res[0].error, "");
	assert_string_equal(w->res[0].ctype, "text/plain");

	assert_int_equal(w->res[1].status, 429);
	assert_int_equal(w->res[1].outcome, CLIENT_TEMPFAIL);
	assert_string_equal(w->res[1].body, "slow down");
	assert_int_equal(w->res[2].status, 500);
	assert_int_equal(w->res[2].outcome, CLIENT_TEMPFAIL);
	assert_int_equal(w->res[3].status, 404);
	assert_int_equal(w->res[3].outcome, CLIENT_PERMFAIL);
	assert_string_equal(w->res[3].body, "no such thing");
	/* A redirect is not followed and counts as permanent. */
	assert_int_equal(w->res[4].status, 301);
	assert_int_equal(w->res[4].outcome, CLIENT_PERMFAIL);

	/* A connection closed without an answer: transport error. */
	assert_int_equal(w->res[5].status, 0);
	assert_int_not_equal(w->res[5].code, CURLE_OK);
	assert_int_equal(w->res[5].outcome, CLIENT_TEMPFAIL);
	assert_string_not_equal(w->res[5].error, "");

	/* Bodies over the cap, announced or not, are errors. */
	for (i = 6; i <= 7; i++) {
		assert_int_equal(w->res[i].status, 0);
		assert_int_equal(w->res[i].outcome, CLIENT_PERMFAIL);
		assert_int_equal(w->res[i].body_len, 0);
		assert_non_null(strstr(w->res[i].error, "response body over"));
	}
	assert_int_equal(w->res[6].code, CURLE_FILESIZE_EXCEEDED);
	assert_int_equal(w->res[7].code, CURLE_WRITE_ERROR);
	free(w);
}

static void
test_request_shape(void **state)
{
	static const char *const hdrs[] = {
	    "Content-Type: application/x-www-form-urlencoded", "X-Test: 1",
	    NULL};
	static const char *const agent[] = {"user-agent: probe/1", NULL};
	struct world *w = xcalloc(1, sizeof(*w));
	struct client_req req;
	char url[128], body[] = "a=1&b=2";
	const char *ua;

	(void)state;
	world_init(w);
	w->expect = 4;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/echo", w->srv.port);
	memset(&req, 0, sizeof(req));
	req.url = url;
	req.headers = hdrs;
	req.body = body;
	req.body_len = strlen(body);
	req.userpwd = "user:pa:ss";
	slots[0].w = w;
	slots[0].i = 0;
	assert_int_equal(request(w, &req, on_done, &slots[0]), 0);
	/* The request was copied: changing the caller's body does nothing. */
	memset(body, 'z', strlen(body));

	memset(&req, 0, sizeof(req));
	req.url = url;
	req.method = "DELETE";
	slots[1].w = w;
	slots[1].i = 1;
	assert_int_equal(request(w, &req, on_done, &slots[1]), 0);

	req.method = "PUT";
	req.body = "{}";
	req.body_len = 2;
	slots[2].w = w;
	slots[2].i = 2;
	assert_int_equal(request(w, &req, on_done, &slots[2]), 0);

	/* A User-Agent of the request's own replaces the gateway's. */
	memset(&req, 0, sizeof(req));
	req.url = url;
	req.headers = agent;
	req.body = "x=1&y";
	req.body_len = 3;
	slots[3].w = w;
	slots[3].i = 3;
	assert_int_equal(request(w, &req, on_done, &slots[3]), 0);
	world_run(w);

	assert_int_equal(w->res[0].status, 200);
	assert_true(
	    strncmp(w->res[0].body, "POST /echo HTTP/1.1\r\n", 21) == 0);
	/* base64("user:pa:ss") */
	assert_non_null(strstr(
	    w->res[0].body, "\r\nAuthorization: Basic dXNlcjpwYTpzcw==\r\n"));
	assert_non_null(strstr(w->res[0].body, "\r\nX-Test: 1\r\n"));
	assert_non_null(strstr(w->res[0].body,
	    "\r\nContent-Type: application/x-www-form-urlencoded\r\n"));
	assert_non_null(strstr(w->res[0].body, "\r\nContent-Length: 7\r\n"));
	assert_null(strstr(w->res[0].body, "Expect:"));
	assert_non_null(strstr(w->res[0].body, "\r\n\r\na=1&b=2"));
	ua = strstr(w->res[0].body, "\r\nUser-Agent: baraza\r\n");
	assert_non_null(ua);
	assert_null(strstr(ua + 3, "User-Agent:"));

	assert_true(
	    strncmp(w->res[1].body, "DELETE /echo HTTP/1.1\r\n", 23) == 0);
	assert_null(strstr(w->res[1].body, "Authorization:"));
	assert_true(strncmp(w->res[2].body, "PUT /echo HTTP/1.1\r\n", 20) == 0);
	assert_non_null(strstr(w->res[2].body, "\r\n\r\n{}"));
	assert_non_null(strstr(w->res[2].body, "\r\nUser-Agent: baraza\r\n"));

	/* Only body_len bytes of the body, and one User-Agent: its own. */
	assert_true(
	    strncmp(w->res[3].body, "POST /echo HTTP/1.1\r\n", 21) == 0);
	assert_non_null(strstr(w->res[3].body, "\r\nuser-agent: probe/1\r\n"));
	assert_null(strstr(w->res[3].body, "baraza"));
	assert_non_null(strstr(w->res[3].body, "\r\nContent-Length: 3\r\n"));
	assert_string_equal(strstr(w->res[3].body, "\r\n\r\n"), "\r\n\r\nx=1");
	free(w);
}

/*
 * URLs kept parsed (CURLOPT_CURLU): a URL and its path taken as it is are
 * two; more URLs in flight than slots are parsed by curl; a URL curl
 * refuses fails the transfer as it would without the slots. Each request
 * reaches the path it named.
 */
static void
test_urls_parsed(void **state)
{
	struct world *w = xcalloc(1, sizeof(*w));
	struct client_req req;
	char url[128], want[128];
	const char *line;
	int i, n = 0, distinct = CLIENT_URLS + 4;

	(void)state;
	world_init(w);
	w->expect = 5 + distinct;
	snprintf(
	    url, sizeof(url), "http://127.0.0.1:%d/echo/../echo", w->srv.port);
	for (i = 0; i < 4; i++, n++) {
		memset(&req, 0, sizeof(req));
		req.url = url;
		req.path_as_is = i % 2;
		slots[n].w = w;
		slots[n].i = n;
		assert_int_equal(request(w, &req, on_done, &slots[n]), 0);
	}
	memset(&req, 0, sizeof(req));
	req.url = "http://[::1/echo";
	slots[n].w = w;
	slots[n].i = n;
	assert_int_equal(request(w, &req, on_done, &slots[n]), 0);
	n++;
	for (i = 0; i < distinct; i++, n++) {
		snprintf(url, sizeof(url), "http://127.0.0.1:%d/echo?i=%d",
		    w->srv.port, i);
		memset(&req, 0, sizeof(req));
		req.url = url;
		slots[n].w = w;
		slots[n].i = n;
		assert_int_equal(request(w, &req, on_done, &slots[n]), 0);
	}
	world_run(w);

	for (i = 0; i < 4; i++) {
		assert_int_equal(w->res[i].status, 200);
		line = i % 2 ? "GET /echo/../echo HTTP/1.1\r\n"
			     : "GET /echo HTTP/1.1\r\n";
		assert_true(strncmp(w->res[i].body, line, strlen(line)) == 0);
	}
	assert_int_equal(w->res[4].status, 0);
	assert_int_equal(w->res[4].code, CURLE_URL_MALFORMAT);
	for (i = 0; i < distinct; i++) {
		snprintf(want, sizeof(want), "GET /echo?i=%d HTTP/1.1\r\n", i);
		assert_int_equal(w->res[5 + i].status, 200);
		assert_true(
		    strncmp(w->res[5 + i].body, want, strlen(want)) == 0);
	}
	free(w);
}

static void
test_bad_requests(void **state)
{
	static const char *const crlf[] = {"X-A: 1\r\nX-B: 2", NULL};
	static const char *const nocolon[] = {"X-A 1", NULL};
	struct world *w = xcalloc(1, sizeof(*w));
	struct client_req req;
	char url[128];

	(void)state;
	world_init(w);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/ok", w->srv.port);
	slots[0].w = w;
	slots[0].i = 0;

	memset(&req, 0, sizeof(req));
	assert_int_equal(request(w, &req, on_done, &slots[0]), -1); /* no URL */
	req.url = url;
	assert_int_equal(request(w, &req, NULL, NULL), -1);
	assert_int_equal(request(w, NULL, on_done, NULL), -1);
	req.method = "G ET";
	assert_int_equal(request(w, &req, on_done, &slots[0]), -1);
	req.method = "get";
	assert_int_equal(request(w, &req, on_done, &slots[0]), -1);
	req.method = "GET";
	req.body = "x";
	req.body_len = 1;
	assert_int_equal(
	    request(w, &req, on_done, &slots[0]), -1); /* a GET with a body */
	req.method = NULL;
	req.body = NULL;
	assert_int_equal(request(w, &req, on_done, &slots[0]),
	    -1); /* a length without a body */
	req.body_len = 0;
	req.headers = crlf;
	assert_int_equal(request(w, &req, on_done, &slots[0]), -1);
	req.headers = nocolon;
	assert_int_equal(request(w, &req, on_done, &slots[0]), -1);
	req.headers = NULL;
	req.userpwd = "u:p\r\nX: y";
	assert_int_equal(request(w, &req, on_done, &slots[0]), -1);
	req.userpwd = NULL;
	req.max_body = CLIENT_BODY_LIMIT + 1;
	assert_int_equal(request(w, &req, on_done, &slots[0]), -1);
	req.max_body = 0;
	req.timeout_ms = -1;
	assert_int_equal(request(w, &req, on_done, &slots[0]), -1);

	/*
	 * A URL curl refuses to fetch fails later, through the callback, as
	 * a permanent failure.
	 */
	req.timeout_ms = 0;
	req.url = "ftp://127.0.0.1/x";
	w->expect = 1;
	assert_int_equal(request(w, &req, on_done, &slots[0]), 0);
	world_run(w);
	assert_int_equal(w->ndone, 1);
	assert_int_equal(w->res[0].code, CURLE_UNSUPPORTED_PROTOCOL);
	assert_int_equal(w->res[0].outcome, CLIENT_PERMFAIL);
	free(w);
}

static void
test_concurrent(void **state)
{
	struct world *w = xcalloc(1, sizeof(*w));
	int i, n = 50;

	(void)state;
	world_init(w);
	w->expect = n;
	for (i = 0; i < n; i++)
		assert_int_equal(
		    start(w, i, i % 2 ? "/ok" : "/echo", 10000), 0);
	world_run(w);
	assert_int_equal(w->ndone, n);
	for (i = 0; i < n; i++) {
		assert_true(w->res[i].done);
		assert_int_equal(w->res[i].status, 200);
		assert_int_equal(w->res[i].outcome, CLIENT_OK);
	}
	assert_int_equal(w->srv.requests, n);
	/* Never more connections to one host than the limit. */
	assert_true(w->srv.accepted >= 1);
	assert_true(w->srv.accepted <= CLIENT_MAX_HOST_CONNECTIONS);
	free(w);
}

static void on_seq_done(const struct client_resp *r, void *arg);

/* Sequential test: the next request to w->seq_path. */
static void
seq_next(struct world *w)
{
	struct client_req req;
	char url[128];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", w->srv.port,
	    w->seq_path);
	memset(&req, 0, sizeof(req));
	req.url = url;
	assert_int_equal(request(w, &req, on_seq_done, w), 0);
}

/* Sequential test: each answer starts the next request. */
static void
on_seq_done(const struct client_resp *r, void *arg)
{
	struct world *w = arg;

	assert_int_equal(r->status, 200);
	assert_string_equal(r->body, "hello");
	w->ndone++;
	if (--w->seq_left > 0)
		seq_next(w);
	else
		finish(w); /* client_shutdown from inside a done callback */
}

/*
 * Sends 20 requests to path one after the other (each from the last one's
 * callback) and checks how many connections the server accepted.
 */
static void
sequence(const char *path, int connections)
{
	struct world *w = xcalloc(1, sizeof(*w));

	world_init(w);
	w->seq_left = 20;
	w->seq_path = path;
	seq_next(w);
	world_run(w);
	assert_int_equal(w->ndone, 20);
	assert_int_equal(w->srv.requests, 20);
	assert_int_equal(w->srv.accepted, connections);
	free(w);
}

/* A kept connection carries every request. */
static void
test_reuse(void **state)
{
	(void)state;
	sequence("/ok", 1);
}

/*
 * A provider that closes each connection after its answer: curl closes
 * its socket too, and the next request's new socket (most often with the
 * same number) must be watched afresh.
 */
static void
test_reuse_closed(void **state)
{
	(void)state;
	sequence("/bye", 20);
}

static void
test_timeout_and_refused(void **state)
{
	struct world *w = xcalloc(1, sizeof(*w));
	struct client_req req;
	struct sockaddr_in sin;
	struct sockaddr_storage ss;
	uv_tcp_t tmp;
	int len = sizeof(ss), port;
	char url[128];

	(void)state;
	world_init(w);

	/* A port that was free a moment ago, now closed: refused. */
	assert_int_equal(uv_tcp_init(&w->loop, &tmp), 0);
	assert_int_equal(uv_ip4_addr("127.0.0.1", 0, &sin), 0);
	assert_int_equal(uv_tcp_bind(&tmp, (struct sockaddr *)&sin, 0), 0);
	assert_int_equal(
	    uv_tcp_getsockname(&tmp, (struct sockaddr *)&ss, &len), 0);
	port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	uv_close((uv_handle_t *)&tmp, NULL);

	w->expect = 3;
	assert_int_equal(start(w, 0, "/slow", 200), 0);
	assert_int_equal(start(w, 1, "/slow", 300), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/ok", port);
	memset(&req, 0, sizeof(req));
	req.url = url;
	slots[2].w = w;
	slots[2].i = 2;
	assert_int_equal(request(w, &req, on_done, &slots[2]), 0);
	world_run(w);

	assert_int_equal(w->res[0].code, CURLE_OPERATION_TIMEDOUT);
	assert_int_equal(w->res[0].status, 0);
	assert_int_equal(w->res[0].outcome, CLIENT_TEMPFAIL);
	assert_false(w->res[0].cancelled);
	assert_int_equal(w->res[1].code, CURLE_OPERATION_TIMEDOUT);
	assert_int_equal(w->res[2].code, CURLE_COULDNT_CONNECT);
	assert_int_equal(w->res[2].status, 0);
	assert_int_equal(w->res[2].outcome, CLIENT_TEMPFAIL);
	assert_int_equal(w->srv.slow, 2);
	free(w);
}

/* Shutdown test: cancelled callbacks may not start new requests. */
static void
on_cancelled(const struct client_resp *r, void *arg)
{
	struct slot *sl = arg;
	struct world *w = sl->w;
	struct client_req req;

	record(r, &w->res[sl->i]);
	w->ndone++;
	memset(&req, 0, sizeof(req));
	req.url = "http://127.0.0.1:1/";
	assert_int_equal(request(w, &req, on_done, sl), -1);
}

/* Once the server holds as many /slow requests as can reach it: stop. */
static void
on_slow_arrived(struct srv *s)
{
	struct world *w = s->data;

	if (s->slow == CLIENT_MAX_HOST_CONNECTIONS)
		finish(w);
}

static void
test_shutdown_in_flight(void **state)
{
	struct world *w = xcalloc(1, sizeof(*w));
	struct client_req req;
	char url[128];
	int i, n = CLIENT_MAX_HOST_CONNECTIONS + 4;

	(void)state;
	world_init(w);
	w->srv.on_slow = on_slow_arrived;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/slow", w->srv.port);
	memset(&req, 0, sizeof(req));
	req.url = url;
	for (i = 0; i < n; i++) {
		slots[i].w = w;
		slots[i].i = i;
		assert_int_equal(request(w, &req, on_cancelled, &slots[i]), 0);
	}
	world_run(w);
	/* All cancelled: those on the wire and those waiting in curl. */
	assert_int_equal(w->ndone, n);
	for (i = 0; i < n; i++) {
		assert_true(w->res[i].cancelled);
		assert_int_equal(w->res[i].status, 0);
		assert_int_equal(w->res[i].code, CURLE_ABORTED_BY_CALLBACK);
		assert_int_equal(w->res[i].outcome, CLIENT_TEMPFAIL);
		assert_string_equal(w->res[i].error, "cancelled");
	}
	/* Shutting down twice does nothing; requests now fail. */
	if (!threaded) {
		client_shutdown(&w->client, on_client_closed, w);
		assert_int_equal(w->closed, 1);
		assert_int_equal(request(w, &req, on_done, &slots[0]), -1);
	}
	free(w);
}

static void
count_closed(struct client *c, void *arg)
{
	(void)c;
	(*(int *)arg)++;
}

static void
test_idle_shutdown(void **state)
{
	uv_loop_t loop;
	struct client c;
	int closed = 0;

	(void)state;
	assert_int_equal(client_init(NULL, NULL), -1);
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(client_init(&c, &loop), 0);
	client_shutdown(&c, count_closed, &closed);
	/* The closed callback comes from the loop, not from shutdown. */
	assert_int_equal(closed, 0);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(closed, 1);
	assert_int_equal(uv_loop_close(&loop), 0);

	/* And without a closed callback. */
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(client_init(&c, &loop), 0);
	client_shutdown(&c, NULL, NULL);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void
count_thread_closed(void *arg)
{
	(*(int *)arg)++;
}

/* The thread's client started and stopped with nothing asked of it. */
static void
test_thread_idle_shutdown(void **state)
{
	struct client_thread *ct;
	uv_loop_t loop;
	int closed = 0;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_non_null(ct = client_thread_start(&loop));
	/* An idle client does not keep the loop running. */
	assert_int_equal(uv_run(&loop, UV_RUN_NOWAIT), 0);
	client_thread_shutdown(ct, count_thread_closed, &closed);
	/* Again before closed: nothing. */
	client_thread_shutdown(ct, count_thread_closed, &closed);
	assert_int_equal(closed, 0);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(closed, 1);
	assert_int_equal(uv_loop_close(&loop), 0);
	assert_int_equal(client_thread_request(NULL, NULL, on_done, NULL), -1);
	assert_int_equal(client_thread_set_max_connections(NULL, 1, 0), -1);
}

/*
 * The thread's own limit: a request it cannot start (CLIENT_MAX_INFLIGHT in flight already) ends
 * through its callback, not as a -1 (it was already taken).
 */
#define FLOOD (CLIENT_MAX_INFLIGHT + 1)

struct flood {
	struct world *w;
	int done, cancelled, failed;
};

static void
on_flood_done(const struct client_resp *r, void *arg)
{
	struct flood *fl = arg;
	uv_thread_t self = uv_thread_self();

	assert_true(uv_thread_equal(&self, &test_thread));
	fl->done++;
	if (r->cancelled)
		fl->cancelled++;
	else if (r->code != CURLE_FAILED_INIT) {
		/*
		 * The server closes at finish(), before the thread has seen
		 * the stop: a connection being made may be refused first.
		 */
		assert_true(fl->failed == 1 && r->status == 0);
		assert_int_equal(r->outcome, CLIENT_TEMPFAIL);
	} else {
		assert_int_equal(r->code, CURLE_FAILED_INIT);
		assert_int_equal(r->outcome, CLIENT_TEMPFAIL);
		assert_string_equal(r->error, "the request cannot start");
		fl->failed++;
		/* Taken at the thread: every other request is in its curl. */
		finish(fl->w);
	}
}

static void
test_thread_limits(void **state)
{
	struct world *w = xcalloc(1, sizeof(*w));
	struct flood fl = {w, 0, 0, 0};
	struct client_req req;
	char url[128];
	int i;

	(void)state;
	world_init(w);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/slow", w->srv.port);
	memset(&req, 0, sizeof(req));
	req.url = url;
	for (i = 0; i < FLOOD; i++)
		assert_int_equal(
		    client_thread_request(w->ct, &req, on_flood_done, &fl), 0);
	world_run(w);
	assert_int_equal(fl.done, FLOOD);
	assert_int_equal(fl.failed, 1);
	/* The rest cancelled, but for the few refused as the server closed. */
	assert_true(fl.cancelled >= FLOOD - 1 - CLIENT_MAX_HOST_CONNECTIONS);
	free(w);
}

static void
test_thread_cap(void **state)
{
	struct world *w = xcalloc(1, sizeof(*w));
	int i, n = 20;

	(void)state;
	world_init(w);
	assert_int_equal(client_thread_set_max_connections(w->ct, 1, 0), 0);
	assert_int_equal(client_thread_set_max_connections(w->ct, -1, 0), -1);
	w->expect = n;
	for (i = 0; i < n; i++)
		assert_int_equal(
		    start(w, i, i % 2 ? "/ok" : "/echo", 10000), 0);
	world_run(w);
	for (i = 0; i < n; i++)
		assert_int_equal(w->res[i].status, 200);
	/* The cap reached the thread's client: one connection for all. */
	assert_int_equal(w->srv.accepted, 1);
	assert_int_equal(w->srv.requests, n);
	free(w);
}

/*
 * A cap to a host (a fast channel's requests in flight): ten requests that
 * hang, three connections at most; each ends by its timeout, the seven
 * that wait for a connection before the three that hold one (so that none
 * of them gets a connection freed by a timeout).
 */
static void
test_thread_per_host(void **state)
{
	struct world *w = xcalloc(1, sizeof(*w));
	int i, n = 10;

	(void)state;
	world_init(w);
	assert_int_equal(client_thread_set_max_connections(w->ct, 100, -1), -1);
	assert_int_equal(client_thread_set_max_connections(w->ct, 100, 3), 0);
	w->expect = n;
	for (i = 0; i < n; i++)
		assert_int_equal(start(w, i, "/slow", i < 3 ? 1000 : 300), 0);
	world_run(w);
	for (i = 0; i < n; i++)
		assert_int_equal(w->res[i].outcome, CLIENT_TEMPFAIL);
	assert_int_equal(w->srv.accepted, 3);
	assert_int_equal(w->srv.slow, 3);
	free(w);
}

/*
 * Jobs: build and parse where the client runs (the client's thread, or
 * the test's loop), done on the test's thread after parse; a build that
 * fails gets parse(NULL) then done; a job caught by the stop is parsed
 * as cancelled.
 */
struct job {
	struct world *w;
	const char *path; /* NULL: build fails */
	char url[128];
	int built, parsed, done;
	int parse_here; /* parse ran on the test's thread */
	int had_resp;   /* parse got an answer */
	long status;
	int cancelled;
	char body[64];
};

static int
job_build(void *arg, struct client_req *req)
{
	struct job *j = arg;

	j->built++;
	if (j->path == NULL)
		return -1;
	snprintf(j->url, sizeof(j->url), "http://127.0.0.1:%d%s",
	    j->w->srv.port, j->path);
	req->url = j->url;
	return 0;
}

static void
job_parse(void *arg, const struct client_resp *r)
{
	struct job *j = arg;
	uv_thread_t self = uv_thread_self();

	j->parsed++;
	j->parse_here = uv_thread_equal(&self, &test_thread);
	if (r != NULL) {
		j->had_resp = 1;
		j->status = r->status;
		j->cancelled = r->cancelled;
		snprintf(j->body, sizeof(j->body), "%s", r->body);
	}
}

static void
job_done(void *arg)
{
	struct job *j = arg;
	uv_thread_t self = uv_thread_self();

	assert_true(uv_thread_equal(&self, &test_thread));
	assert_int_equal(j->parsed, 1);
	j->done++;
	if (++j->w->ndone == j->w->expect)
		finish(j->w);
}

static const struct client_job_ops job_ops = {job_build, job_parse, job_done};

static void
test_jobs(void **state)
{
	struct world *w = xcalloc(1, sizeof(*w));
	struct job j[3];
	struct client_port p;
	int i;

	(void)state;
	world_init(w);
	p.client = &w->client;
	p.ct = w->ct;
	memset(j, 0, sizeof(j));
	j[0].path = "/ok";
	j[1].path = NULL;
	j[2].path = "/slow";
	/* The two that end by themselves end the test; /slow is cancelled. */
	w->expect = 2;
	for (i = 0; i < 3; i++) {
		j[i].w = w;
		assert_int_equal(client_port_job(&p, &job_ops, &j[i]), 0);
	}
	world_run(w);
	for (i = 0; i < 3; i++) {
		assert_int_equal(j[i].built, 1);
		assert_int_equal(j[i].parsed, 1);
		assert_int_equal(j[i].done, 1);
		/* Parsed where the client runs. */
		assert_int_equal(j[i].parse_here, !threaded);
	}
	assert_true(j[0].had_resp);
	assert_int_equal(j[0].status, 200);
	assert_string_equal(j[0].body, "hello");
	assert_false(j[1].had_resp);
	assert_true(j[2].had_resp);
	assert_true(j[2].cancelled);
	free(w);
}

static int
plain(void **state)
{
	(void)state;
	threaded = 0;
	return 0;
}

static int
thread(void **state)
{
	(void)state;
	threaded = 1;
	return 0;
}

/* A test of the client on the loop, and the same on its own thread. */
#define PLAIN(t)                         \
	{                                \
#t, t, plain, NULL, NULL \
	}
#define THREAD(t)                                   \
	{                                           \
		"thread_" #t, t, thread, NULL, NULL \
	}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    PLAIN(test_outcome_table),
	    PLAIN(test_answers),
	    PLAIN(test_request_shape),
	    PLAIN(test_urls_parsed),
	    PLAIN(test_bad_requests),
	    PLAIN(test_concurrent),
	    PLAIN(test_reuse),
	    PLAIN(test_reuse_closed),
	    PLAIN(test_timeout_and_refused),
	    PLAIN(test_shutdown_in_flight),
	    PLAIN(test_idle_shutdown),
	    PLAIN(test_jobs),
	    THREAD(test_answers),
	    THREAD(test_request_shape),
	    THREAD(test_urls_parsed),
	    THREAD(test_bad_requests),
	    THREAD(test_concurrent),
	    THREAD(test_reuse),
	    THREAD(test_reuse_closed),
	    THREAD(test_timeout_and_refused),
	    THREAD(test_shutdown_in_flight),
	    THREAD(test_thread_idle_shutdown),
	    THREAD(test_thread_limits),
	    THREAD(test_thread_cap),
	    THREAD(test_thread_per_host),
	    THREAD(test_jobs),
	};
	int r;

	/* The caller's job, once per process (client.h). */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	test_thread = uv_thread_self();
	r = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return r;
}
