/*
 * client.c: HTTP requests on libcurl's multi-socket API inside a libuv
 * loop, in the shape of curl's docs/examples/multi-uv.c with every failure
 * checked.
 *
 * curl tells us through sock_cb which sockets to watch for what, and
 * through timer_cb when it next wants to be called; libuv tells us when a
 * socket is ready (on_poll) or the time has come (on_timeout), and we hand
 * that back to curl_multi_socket_action. Finished transfers are collected
 * by check_done after each such call, outside every curl callback, so the
 * done callbacks may start new requests or shut the client down.
 */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <uv.h>

#include "lib/log.h"
#include "lib/util.h"
#include "providers/client.h"

/* One request in flight. */
struct client_xfer {
	struct client *c;                /* owner */
	CURL *easy;                      /* curl's handle for it */
	struct curl_slist *headers;      /* request headers, or NULL */
	struct buf body;                 /* response body, capped */
	int too_big;                     /* the body went over its cap */
	client_done_cb cb;               /* done callback */
	void *arg;                       /* its argument */
	char errbuf[CURL_ERROR_SIZE];    /* curl's error text */
	struct client_xfer *prev, *next; /* c->xfers */
};

/* One socket curl wants watched; freed only in its close callback. */
struct client_sock {
	uv_poll_t poll;                  /* watches fd */
	curl_socket_t fd;                /* curl's socket */
	struct client *c;                /* owner */
	struct client_sock *prev, *next; /* c->socks */
};

static void check_done(struct client *);

/* Calls the closed callback once the last handle has closed. */
static void
maybe_closed(struct client *c)
{
	client_closed_cb cb;

	if (c->closing && c->open_handles == 0 && c->on_closed != NULL) {
		cb = c->on_closed;
		c->on_closed = NULL;
		cb(c, c->closed_arg);
	}
}

static void
on_sock_closed(uv_handle_t *h)
{
	struct client_sock *sk = container_of(h, struct client_sock, poll);
	struct client *c = sk->c;

	free(sk);
	c->open_handles--;
	maybe_closed(c);
}

/* Stops watching sk and frees it once libuv has let go of it. */
static void
sock_close(struct client_sock *sk)
{
	struct client *c = sk->c;

	if (sk->prev != NULL)
		sk->prev->next = sk->next;
	else
		c->socks = sk->next;
	if (sk->next != NULL)
		sk->next->prev = sk->prev;
	sk->prev = sk->next = NULL;
	uv_poll_stop(&sk->poll);
	uv_close((uv_handle_t *)&sk->poll, on_sock_closed);
}

/* libuv: a socket is ready, or failed; tell curl. */
static void
on_poll(uv_poll_t *h, int status, int events)
{
	struct client_sock *sk = container_of(h, struct client_sock, poll);
	struct client *c = sk->c;
	int flags = 0, running;

	if (c->closing)
		return;
	if (status < 0)
		flags = CURL_CSELECT_ERR;
	else {
		if (events & UV_READABLE)
			flags |= CURL_CSELECT_IN;
		if (events & UV_WRITABLE)
			flags |= CURL_CSELECT_OUT;
	}
	curl_multi_socket_action(c->multi, sk->fd, flags, &running);
	check_done(c);
}

/* libuv: curl's timeout has come. */
static void
on_timeout(uv_timer_t *t)
{
	struct client *c = container_of(t, struct client, timer);
	int running;

	if (c->closing)
		return;
	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(c);
}

/* curl (CURLMOPT_SOCKETFUNCTION): watch s for what, or stop watching it. */
static int
sock_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct client *c = userp;
	struct client_sock *sk = socketp;
	int events = 0;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (sk != NULL) {
			sock_close(sk);
			if (!c->closing)
				curl_multi_assign(c->multi, s, NULL);
		}
		return 0;
	}
	if (c->closing)
		return 0;
	if (sk == NULL) {
		sk = xcalloc(1, sizeof(*sk));
		sk->fd = s;
		sk->c = c;
		if (uv_poll_init_socket(c->loop, &sk->poll, s) != 0) {
			log_warn("client", "cannot watch socket fd=%d", (int)s);
			free(sk);
			return -1;
		}
		c->open_handles++;
		sk->next = c->socks;
		if (c->socks != NULL)
			c->socks->prev = sk;
		c->socks = sk;
		if (curl_multi_assign(c->multi, s, sk) != CURLM_OK) {
			sock_close(sk);
			return -1;
		}
	}
	if (what & CURL_POLL_IN)
		events |= UV_READABLE;
	if (what & CURL_POLL_OUT)
		events |= UV_WRITABLE;
	if (uv_poll_start(&sk->poll, events, on_poll) != 0) {
		log_warn("client", "cannot poll socket fd=%d", (int)s);
		return -1;
	}
	return 0;
}

/* curl (CURLMOPT_TIMERFUNCTION): call me back in timeout_ms, or never. */
static int
timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct client *c = userp;

	(void)multi;
	if (c->closing)
		return 0;
	if (timeout_ms < 0)
		uv_timer_stop(&c->timer);
	else if (uv_timer_start(
		     &c->timer, on_timeout, (uint64_t)timeout_ms, 0) != 0)
		return -1;
	return 0;
}

/* curl (CURLOPT_WRITEFUNCTION): keep the body, up to its cap. */
static size_t
write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	struct client_xfer *x = userp;
	size_t n = size * nmemb;

	if (buf_append(&x->body, data, n) != 0) {
		x->too_big = 1;
		return 0; /* anything but n ends the transfer */
	}
	return n;
}

static void
xfer_unlink(struct client_xfer *x)
{
	struct client *c = x->c;

	if (x->prev != NULL)
		x->prev->next = x->next;
	else
		c->xfers = x->next;
	if (x->next != NULL)
		x->next->prev = x->prev;
	x->prev = x->next = NULL;
	c->nxfers--;
}

/*
 * A curl handle for a new request: a finished one reset, or a new one.
 * Reuse spares curl_easy_init's and curl_easy_cleanup's work (about a
 * tenth of the providers' thread's instructions per message); the
 * connections themselves are the multi handle's either way.
 */
static CURL *
easy_get(struct client *c)
{
	if (c->nidle > 0)
		return c->idle[--c->nidle];
	return curl_easy_init();
}

/* Keeps e for a later request, reset to curl's defaults, or frees it. */
static void
easy_put(struct client *c, CURL *e)
{
	if (e == NULL)
		return;
	if (c->closing || c->nidle >= CLIENT_IDLE_EASY) {
		curl_easy_cleanup(e);
		return;
	}
	curl_easy_reset(e);
	c->idle[c->nidle++] = e;
}

static void
xfer_free(struct client_xfer *x)
{
	easy_put(x->c, x->easy);
	curl_slist_free_all(x->headers);
	buf_free(&x->body);
	free(x);
}

/*
 * Ends x with code: takes it out of curl and the list, calls its callback
 * and frees it.
 */
static void
xfer_finish(struct client_xfer *x, CURLcode code, int cancelled)
{
	struct client *c = x->c;
	struct client_resp resp;
	char *ctype = NULL, toobig[64];
	long status = 0;

	memset(&resp, 0, sizeof(resp));
	if (code == CURLE_OK) {
		if (curl_easy_getinfo(
			x->easy, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK)
			status = 0;
		if (curl_easy_getinfo(x->easy, CURLINFO_CONTENT_TYPE, &ctype) !=
		    CURLE_OK)
			ctype = NULL;
	}
	if (c->multi != NULL)
		curl_multi_remove_handle(c->multi, x->easy);
	xfer_unlink(x);

	resp.status = status;
	resp.code = code;
	resp.cancelled = cancelled;
	resp.content_type = ctype;
	if (cancelled)
		resp.error = "cancelled";
	else if (code == CURLE_FILESIZE_EXCEEDED ||
		 (code == CURLE_WRITE_ERROR && x->too_big)) {
		snprintf(toobig, sizeof(toobig), "response body over %zu bytes",
		    x->body.max);
		resp.error = toobig;
	} else if (code != CURLE_OK)
		resp.error =
		    x->errbuf[0] != '\0' ? x->errbuf : curl_easy_strerror(code);
	else
		resp.error = "";
	if (code == CURLE_OK && x->body.data != NULL) {
		resp.body = x->body.data;
		resp.body_len = x->body.len;
	} else {
		resp.body = "";
		resp.body_len = 0;
	}
	resp.outcome = client_outcome(status, code);

	x->cb(&resp, x->arg);
	xfer_free(x);
}

/* Collects the transfers curl has finished and ends them. */
static void
check_done(struct client *c)
{
	struct client_xfer *x;
	CURLMsg *msg;
	CURLcode code;
	char *priv;
	int pending;

	/* A callback may shut the client down: stop looking then. */
	while (!c->closing &&
	       (msg = curl_multi_info_read(c->multi, &pending)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		code = msg->data.result;
		if (curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			&priv) != CURLE_OK ||
		    priv == NULL)
			fatalx("client: transfer without its context");
		x = (struct client_xfer *)(void *)priv;
		xfer_finish(x, code, 0);
	}
}

int
client_set_max_connections(struct client *c, long max)
{
	if (c == NULL || c->multi == NULL || max < 0)
		return -1;
	return curl_multi_setopt(
		   c->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, max) == CURLM_OK
		   ? 0
		   : -1;
}

int
client_init(struct client *c, uv_loop_t *loop)
{
	CURLM *m;

	if (c == NULL || loop == NULL)
		return -1;
	memset(c, 0, sizeof(*c));
	c->loop = loop;
	if ((m = curl_multi_init()) == NULL)
		return -1;
	if (curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, sock_cb) !=
		CURLM_OK ||
	    curl_multi_setopt(m, CURLMOPT_SOCKETDATA, c) != CURLM_OK ||
	    curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, timer_cb) !=
		CURLM_OK ||
	    curl_multi_setopt(m, CURLMOPT_TIMERDATA, c) != CURLM_OK ||
	    curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS,
		(long)CLIENT_MAX_HOST_CONNECTIONS) != CURLM_OK ||
	    curl_multi_setopt(m, CURLMOPT_MAXCONNECTS,
		(long)CLIENT_MAX_CONNECTS) != CURLM_OK ||
	    curl_multi_setopt(m, CURLMOPT_PIPELINING, (long)CURLPIPE_NOTHING) !=
		CURLM_OK) {
		curl_multi_cleanup(m);
		return -1;
	}
	if (uv_timer_init(loop, &c->timer) != 0) {
		curl_multi_cleanup(m);
		return -1;
	}
	c->multi = m;
	c->open_handles = 1;
	return 0;
}

/* A method is a short run of upper-case letters. */
static int
method_ok(const char *m)
{
	size_t i;

	for (i = 0; m[i] != '\0'; i++) {
		if (m[i] < 'A' || m[i] > 'Z' || i >= 16)
			return 0;
	}
	return i > 0;
}

/* A header is "Name: value" on one line. */
static int
header_ok(const char *h)
{
	const char *colon = strchr(h, ':');

	return colon != NULL && colon != h && strpbrk(h, "\r\n") == NULL;
}

#define SETOPT(e, opt, val)                                          \
	do {                                                         \
		if (curl_easy_setopt((e), (opt), (val)) != CURLE_OK) \
			goto fail;                                   \
	} while (0)

int
client_req_valid(const struct client_req *req)
{
	const char *method;
	size_t i;

	if (req == NULL || req->url == NULL)
		return 0;
	if (req->body == NULL && req->body_len > 0)
		return 0;
	method = req->method;
	if (method == NULL)
		method = req->body != NULL ? "POST" : "GET";
	if (!method_ok(method))
		return 0;
	if (req->body != NULL &&
	    (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0))
		return 0;
	if (req->timeout_ms < 0 || req->max_body > CLIENT_BODY_LIMIT)
		return 0;
	if (req->userpwd != NULL && strpbrk(req->userpwd, "\r\n") != NULL)
		return 0;
	for (i = 0; req->headers != NULL && req->headers[i] != NULL; i++) {
		if (i >= CLIENT_MAX_HEADERS || !header_ok(req->headers[i]))
			return 0;
	}
	return 1;
}

int
client_request(struct client *c, const struct client_req *req,
    client_done_cb cb, void *arg)
{
	struct client_xfer *x;
	const char *method;
	long timeout;
	size_t i, cap;
	CURL *e;

	if (c == NULL || cb == NULL || c->closing ||
	    c->nxfers >= CLIENT_MAX_INFLIGHT || !client_req_valid(req))
		return -1;
	method = req->method;
	if (method == NULL)
		method = req->body != NULL ? "POST" : "GET";
	timeout = req->timeout_ms > 0 ? req->timeout_ms : CLIENT_TIMEOUT_MS;
	cap = req->max_body > 0 ? req->max_body : CLIENT_BODY_MAX;

	if ((e = easy_get(c)) == NULL)
		return -1;
	x = xcalloc(1, sizeof(*x));
	x->c = c;
	x->easy = e;
	x->cb = cb;
	x->arg = arg;
	buf_init(&x->body, cap);

	SETOPT(e, CURLOPT_URL, req->url);
	SETOPT(e, CURLOPT_PRIVATE, (char *)(void *)x);
	SETOPT(e, CURLOPT_ERRORBUFFER, x->errbuf);
	SETOPT(e, CURLOPT_WRITEFUNCTION, write_cb);
	SETOPT(e, CURLOPT_WRITEDATA, x);
	SETOPT(e, CURLOPT_NOSIGNAL, 1L);
	SETOPT(e, CURLOPT_TIMEOUT_MS, timeout);
	SETOPT(e, CURLOPT_CONNECTTIMEOUT_MS,
	    timeout < CLIENT_CONNECT_TIMEOUT_MS ? timeout
						: CLIENT_CONNECT_TIMEOUT_MS);
	SETOPT(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
#if LIBCURL_VERSION_NUM >= 0x075500
	SETOPT(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	SETOPT(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	SETOPT(e, CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)cap);
	SETOPT(e, CURLOPT_USERAGENT, "baraza");
	SETOPT(e, CURLOPT_TCP_KEEPALIVE, 1L);
	/* A flow's fetch: the gateway built the path, curl leaves it be. */
	if (req->path_as_is)
		SETOPT(e, CURLOPT_PATH_AS_IS, 1L);

	if (strcmp(method, "GET") == 0)
		SETOPT(e, CURLOPT_HTTPGET, 1L);
	else if (strcmp(method, "HEAD") == 0)
		SETOPT(e, CURLOPT_NOBODY, 1L);
	else if (strcmp(method, "POST") != 0)
		SETOPT(e, CURLOPT_CUSTOMREQUEST, method);
	if (req->body != NULL || strcmp(method, "POST") == 0) {
		/* The size first: COPYPOSTFIELDS copies that many bytes. */
		SETOPT(
		    e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		SETOPT(e, CURLOPT_COPYPOSTFIELDS,
		    req->body != NULL ? req->body : "");
		/* No "Expect: 100-continue" round trip before the body. */
		if ((x->headers = curl_slist_append(x->headers, "Expect:")) ==
		    NULL)
			goto fail;
	}
	for (i = 0; req->headers != NULL && req->headers[i] != NULL; i++) {
		struct curl_slist *l;

		if ((l = curl_slist_append(x->headers, req->headers[i])) ==
		    NULL)
			goto fail;
		x->headers = l;
	}
	if (x->headers != NULL)
		SETOPT(e, CURLOPT_HTTPHEADER, x->headers);
	if (req->userpwd != NULL) {
		SETOPT(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		SETOPT(e, CURLOPT_USERPWD, req->userpwd);
	}

	/* This arms curl's timer; the transfer starts from the loop. */
	if (curl_multi_add_handle(c->multi, e) != CURLM_OK)
		goto fail;
	x->next = c->xfers;
	if (c->xfers != NULL)
		c->xfers->prev = x;
	c->xfers = x;
	c->nxfers++;
	return 0;

fail:
	xfer_free(x);
	return -1;
}

static void
on_timer_closed(uv_handle_t *h)
{
	struct client *c = container_of(h, struct client, timer);

	c->open_handles--;
	maybe_closed(c);
}

void
client_shutdown(struct client *c, client_closed_cb closed, void *arg)
{
	struct client_xfer *x;

	if (c == NULL || c->closing)
		return;
	c->closing = 1;
	c->on_closed = closed;
	c->closed_arg = arg;

	/* Callbacks may not start requests now, so this loop ends. */
	while ((x = c->xfers) != NULL)
		xfer_finish(x, CURLE_ABORTED_BY_CALLBACK, 1);

	/*
	 * Closing the multi handle closes its cached connections; curl may
	 * tell sock_cb to stop watching them as it does. Whatever is still
	 * watched afterwards is closed here.
	 */
	curl_multi_cleanup(c->multi);
	c->multi = NULL;
	while (c->nidle > 0)
		curl_easy_cleanup(c->idle[--c->nidle]);
	while (c->socks != NULL)
		sock_close(c->socks);
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->timer, on_timer_closed);
}

enum client_outcome
client_outcome(long status, CURLcode code)
{
	switch (code) {
	case CURLE_OK:
		break;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_NOT_BUILT_IN:
	case CURLE_BAD_FUNCTION_ARGUMENT:
	case CURLE_FILESIZE_EXCEEDED:
	case CURLE_WRITE_ERROR:
	case CURLE_TOO_MANY_REDIRECTS:
		return CLIENT_PERMFAIL;
	default:
		/* Timeouts, refused or reset connections, DNS, TLS, cancel. */
		return CLIENT_TEMPFAIL;
	}
	if (status >= 200 && status <= 299)
		return CLIENT_OK;
	if (status == 408 || status == 429 || (status >= 500 && status <= 599))
		return CLIENT_TEMPFAIL;
	if (status == 0)
		return CLIENT_TEMPFAIL; /* no answer at all */
	return CLIENT_PERMFAIL;
}

const char *
client_outcome_name(enum client_outcome o)
{
	switch (o) {
	case CLIENT_OK:
		return "ok";
	case CLIENT_TEMPFAIL:
		return "tempfail";
	default:
		return "permfail";
	}
}
