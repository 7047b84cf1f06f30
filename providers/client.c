/*
 * client.c: HTTP requests on libcurl's multi-socket API inside a libuv
 * loop, in the shape of curl's docs/examples/multi-uv.c with every failure
 * checked.
 *
 * curl tells us through sock_cb which sockets to watch for what, and
 * through timer_cb when it next wants to be called. The sockets go into an
 * epoll set of the client's own, which libuv watches as one descriptor;
 * libuv tells us when that set has events (on_poll) or the time has come
 * (on_timeout), and we hand each back to curl_multi_socket_action.
 * Finished transfers are collected by check_done after each such call,
 * outside every curl callback, so the done callbacks may start new
 * requests or shut the client down.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <unistd.h>

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
	char *copy;                      /* one block: the header list's
					    nodes, their lines and the body */
	const char *body_copy;           /* the body in it, or NULL */
	struct client_url *url;          /* its parsed URL, or NULL */
	struct buf body;                 /* response body, capped */
	int too_big;                     /* the body went over its cap */
	client_done_cb cb;               /* done callback */
	void *arg;                       /* its argument */
	char errbuf[CURL_ERROR_SIZE];    /* curl's error text */
	struct client_xfer *prev, *next; /* c->xfers */
};

/*
 * What fds[fd] holds for a socket of curl's: what curl wants to hear of
 * it, and whether the epoll set will tell us once more.
 */
#define SOCK_IN 0x1    /* curl waits for it to be readable */
#define SOCK_OUT 0x2   /* curl waits for it to be writable */
#define SOCK_ARMED 0x4 /* registered for SOCK_IN and SOCK_OUT, not fired */

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

/*
 * Registers fd in the epoll set for what curl wants of it, once
 * (EPOLLONESHOT): one epoll_ctl a change, where a uv_poll_t per socket
 * made five and an ioctl for each request on a kept connection. Returns 0,
 * or -1 when the kernel refuses it.
 */
static int
sock_arm(struct client *c, curl_socket_t fd)
{
	struct epoll_event ev;
	unsigned char *f = &c->fds[fd];

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLONESHOT | ((*f & SOCK_IN) ? EPOLLIN : 0u) |
		    ((*f & SOCK_OUT) ? EPOLLOUT : 0u);
	ev.data.fd = fd;
	/* Not in the set: a new socket, or a number curl closed and reused. */
	if (epoll_ctl(c->epfd, EPOLL_CTL_MOD, fd, &ev) != 0 &&
	    (errno != ENOENT ||
		epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &ev) != 0))
		return -1;
	*f |= SOCK_ARMED;
	return 0;
}

/* Makes room in c->fds for fd. Returns 0, or -1 if fd is out of range. */
static int
fds_grow(struct client *c, curl_socket_t fd)
{
	size_t n = c->nfds;

	if (fd < 0 || fd >= CLIENT_MAX_FD)
		return -1;
	if ((size_t)fd < n)
		return 0;
	while (n <= (size_t)fd)
		n = n < 64 ? 64 : n * 2;
	c->fds = xrealloc(c->fds, n);
	memset(c->fds + c->nfds, 0, n - c->nfds);
	c->nfds = n;
	return 0;
}

/* Hands one event of the epoll set to curl and arms its socket again. */
static void
sock_event(struct client *c, const struct epoll_event *ev)
{
	curl_socket_t fd = ev->data.fd;
	int flags = 0, running;

	if (fd < 0 || (size_t)fd >= c->nfds)
		return;
	c->fds[fd] &= (unsigned char)~SOCK_ARMED;
	/* A socket curl let go of: it is disarmed now, and stays so. */
	if ((c->fds[fd] & (SOCK_IN | SOCK_OUT)) == 0)
		return;
	if (ev->events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP))
		flags |= CURL_CSELECT_IN;
	if (ev->events & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (ev->events & EPOLLERR)
		flags |= CURL_CSELECT_ERR;
	curl_multi_socket_action(c->multi, fd, flags, &running);
	/* curl said nothing new of it (or a new socket took its number). */
	if (!c->closing && (c->fds[fd] & (SOCK_IN | SOCK_OUT)) != 0 &&
	    (c->fds[fd] & SOCK_ARMED) == 0 && sock_arm(c, fd) != 0)
		log_warn("client", "cannot poll socket fd=%d errno=%d", (int)fd,
		    errno);
}

/* libuv: the epoll set has events; hand them to curl. */
static void
on_poll(uv_poll_t *h, int status, int events)
{
	struct client *c = container_of(h, struct client, poll);
	struct epoll_event ev[CLIENT_EVENTS];
	int i, n;

	(void)events;
	/* libuv stops watching a descriptor that failed: say so. */
	if (status < 0)
		log_warn(
		    "client", "epoll set failed error=%s", uv_strerror(status));
	/* More than fit: the set stays readable, libuv calls again. */
	n = epoll_wait(c->epfd, ev, (int)nitems(ev), 0);
	for (i = 0; i < n && !c->closing; i++)
		sock_event(c, &ev[i]);
	if (!c->closing)
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

/*
 * curl (CURLMOPT_SOCKETFUNCTION): watch s for what, or stop watching it.
 * CURL_POLL_REMOVE comes both for a connection kept for later and for one
 * about to be closed; either way the registration is left as it is: a
 * closed socket leaves the set with its last descriptor, and a kept one
 * fires at most once more (EPOLLONESHOT), to be ignored.
 */
static int
sock_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct client *c = userp;

	(void)easy;
	(void)socketp;
	if (c->closing)
		return 0;
	if (fds_grow(c, s) != 0) {
		if (what == CURL_POLL_REMOVE)
			return 0;
		log_warn("client", "cannot poll socket fd=%d", (int)s);
		return -1;
	}
	c->fds[s] &= (unsigned char)~(SOCK_IN | SOCK_OUT);
	if (what == CURL_POLL_REMOVE)
		return 0;
	if (what & CURL_POLL_IN)
		c->fds[s] |= SOCK_IN;
	if (what & CURL_POLL_OUT)
		c->fds[s] |= SOCK_OUT;
	if (sock_arm(c, s) != 0) {
		log_warn("client", "cannot poll socket fd=%d errno=%d", (int)s,
		    errno);
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

/*
 * The parsed URL for req, from c->urls or parsed there, or NULL when curl
 * refuses it or every slot is in use by a transfer (then CURLOPT_URL: curl
 * parses it itself, and reports what it refuses). curl parses a string URL
 * at every transfer (about 5,000 instructions); a channel sends all its
 * messages to one URL. Parsed with the flags curl's own parse uses, so a
 * transfer sees the same URL either way. A slot is taken over only when
 * no transfer in flight was given it: curl reads the handle until the
 * transfer ends.
 */
static struct client_url *
url_get(struct client *c, const struct client_req *req)
{
	struct client_url *u;
	unsigned int flags = CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME;
	size_t i;

	for (i = 0; i < CLIENT_URLS; i++) {
		u = &c->urls[i];
		if (u->url != NULL && u->as_is == (req->path_as_is != 0) &&
		    strcmp(u->url, req->url) == 0)
			return u;
	}
	for (i = 0; i < CLIENT_URLS; i++) {
		u = &c->urls[(c->url_next + i) % CLIENT_URLS];
		if (u->users == 0)
			break;
	}
	if (i == CLIENT_URLS)
		return NULL;
	c->url_next = (size_t)(u - c->urls + 1) % CLIENT_URLS;
	free(u->url);
	u->url = NULL;
	if (u->parsed == NULL && (u->parsed = curl_url()) == NULL)
		return NULL;
	if (req->path_as_is)
		flags |= CURLU_PATH_AS_IS;
	if (curl_url_set(u->parsed, CURLUPART_URL, req->url, flags) !=
	    CURLUE_OK)
		return NULL;
	u->url = xstrdup(req->url);
	u->as_is = req->path_as_is != 0;
	return u;
}

static void
urls_free(struct client *c)
{
	size_t i;

	for (i = 0; i < CLIENT_URLS; i++) {
		free(c->urls[i].url);
		curl_url_cleanup(c->urls[i].parsed);
		memset(&c->urls[i], 0, sizeof(c->urls[i]));
	}
}

static void
xfer_free(struct client_xfer *x)
{
	if (x->url != NULL)
		x->url->users--;
	easy_put(x->c, x->easy);
	free(x->copy);
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
client_set_max_connections(struct client *c, long max, long per_host)
{
	if (c == NULL || c->multi == NULL || max < 0 || per_host < 0)
		return -1;
	if (curl_multi_setopt(c->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, max) !=
	    CURLM_OK)
		return -1;
	if (per_host == 0)
		return 0;
	return curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
		   per_host) == CURLM_OK &&
		       curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS,
			   per_host > CLIENT_MAX_CONNECTS
			       ? per_host
			       : (long)CLIENT_MAX_CONNECTS) == CURLM_OK
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
	/*
	 * The epoll set first: uv_poll_init registers nothing when it fails.
	 * A new timer, and polling a descriptor no other handle watches,
	 * cannot fail in libuv.
	 */
	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (c->epfd < 0) {
		curl_multi_cleanup(m);
		return -1;
	}
	if (uv_poll_init(loop, &c->poll, c->epfd) != 0) {
		close(c->epfd);
		curl_multi_cleanup(m);
		return -1;
	}
	if (uv_timer_init(loop, &c->timer) != 0 ||
	    uv_poll_start(&c->poll, UV_READABLE, on_poll) != 0)
		fatalx("client: libuv refused a timer or a new descriptor");
	c->multi = m;
	c->open_handles = 2;
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

/* Sent unless the request has a User-Agent of its own. */
#define USER_AGENT "User-Agent: baraza"

/* Whether the header line is a name's (case aside). */
static int
header_is(const char *line, const char *name)
{
	size_t n = strlen(name);

	return strncasecmp(line, name, n) == 0 && line[n] == ':';
}

/*
 * Copies req's header lines and body into one block that x keeps until
 * it ends, curl reading both from there: the list's nodes, then the
 * lines, then the body. One allocation, where curl_slist_append made two
 * a line and COPYPOSTFIELDS one more. Besides req's lines the list holds
 * "Expect:" before a body (no "Expect: 100-continue" round trip) and the
 * gateway's User-Agent unless req names one.
 */
static void
copy_request(
    struct client_xfer *x, const struct client_req *req, const char *method)
{
	const char *lines[CLIENT_MAX_HEADERS + 2];
	struct curl_slist *nodes;
	int body, agent = 1;
	size_t n = 0, i, len, size;
	char *p;

	body = req->body != NULL || strcmp(method, "POST") == 0;
	if (body)
		lines[n++] = "Expect:";
	for (i = 0; req->headers != NULL && req->headers[i] != NULL; i++) {
		if (header_is(req->headers[i], "User-Agent"))
			agent = 0;
		lines[n++] = req->headers[i];
	}
	if (agent)
		lines[n++] = USER_AGENT;
	size = n * sizeof(*nodes) + (body ? req->body_len + 1 : 0);
	for (i = 0; i < n; i++)
		size += strlen(lines[i]) + 1;
	x->copy = xmalloc(size > 0 ? size : 1);
	nodes = (struct curl_slist *)(void *)x->copy;
	p = x->copy + n * sizeof(*nodes);
	for (i = 0; i < n; i++) {
		len = strlen(lines[i]) + 1;
		memcpy(p, lines[i], len);
		nodes[i].data = p;
		nodes[i].next = i + 1 < n ? &nodes[i + 1] : NULL;
		p += len;
	}
	x->headers = n > 0 ? nodes : NULL;
	if (body) {
		if (req->body_len > 0)
			memcpy(p, req->body, req->body_len);
		p[req->body_len] = '\0';
		x->body_copy = p;
	}
}

int
client_request(struct client *c, const struct client_req *req,
    client_done_cb cb, void *arg)
{
	struct client_xfer *x;
	const char *method;
	long timeout;
	size_t cap;
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

	if ((x->url = url_get(c, req)) != NULL) {
		x->url->users++;
		SETOPT(e, CURLOPT_CURLU, x->url->parsed);
	} else
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
	copy_request(x, req, method);
	if (x->body_copy != NULL) {
		/* The size first: with it, curl sends the bytes as they are. */
		SETOPT(
		    e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		SETOPT(e, CURLOPT_POSTFIELDS, x->body_copy);
	}
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

static void
on_poll_closed(uv_handle_t *h)
{
	struct client *c = container_of(h, struct client, poll);

	close(c->epfd);
	c->epfd = -1;
	free(c->fds);
	c->fds = NULL;
	c->nfds = 0;
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
	 * Closing the multi handle closes its cached connections, and so
	 * takes them out of the epoll set, which closes after it.
	 */
	curl_multi_cleanup(c->multi);
	c->multi = NULL;
	while (c->nidle > 0)
		curl_easy_cleanup(c->idle[--c->nidle]);
	urls_free(c);
	uv_poll_stop(&c->poll);
	uv_close((uv_handle_t *)&c->poll, on_poll_closed);
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
