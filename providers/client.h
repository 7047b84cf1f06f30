/*
 * client.h: the HTTP client the providers share: libcurl's multi-socket
 * API driven by a libuv loop (one uv_timer_t for curl's timeouts, one
 * uv_poll_t per socket), so that many requests are in flight at once on
 * the loop thread and connections are kept and reused between requests.
 *
 * HTTP/1.1 only, http and https only, redirects are not followed, at most
 * CLIENT_MAX_HOST_CONNECTIONS connections per host (more requests wait in
 * curl's queue for a free one).
 *
 * The caller MUST call curl_global_init(CURL_GLOBAL_DEFAULT) once per
 * process before client_init, while no other thread runs, and may call
 * curl_global_cleanup after the last client has closed.
 *
 * Every function here runs on the loop thread only.
 */
#ifndef BARAZA_CLIENT_H
#define BARAZA_CLIENT_H

#include <stddef.h>

#include <curl/curl.h>
#include <uv.h>

#define CLIENT_BODY_MAX (256 * 1024)         /* default response body cap */
#define CLIENT_BODY_LIMIT (16 * 1024 * 1024) /* highest cap a request may ask */
#define CLIENT_TIMEOUT_MS 30000              /* default whole-request timeout */
#define CLIENT_CONNECT_TIMEOUT_MS 10000      /* connect phase, at most */
/*
 * Parallel connections per host at first: as many as a channel keeps
 * requests in flight (DISPATCH_MAX_INFLIGHT); the gateway raises it to its
 * fastest channel's (client_set_max_connections, dispatch_channel_inflight:
 * at most DISPATCH_INFLIGHT_CAP). A request beyond them waits inside curl,
 * which starts it over (its URL parsed again) each time a connection
 * frees: at 8 a host, dispatch from a long queue spent about half its
 * time so (docs/performance.md).
 */
#define CLIENT_MAX_HOST_CONNECTIONS 64
#define CLIENT_MAX_CONNECTS 128  /* idle connections kept for reuse */
#define CLIENT_MAX_INFLIGHT 4096 /* requests started, not yet done */
#define CLIENT_MAX_HEADERS 64    /* request headers per request */
#define CLIENT_IDLE_EASY 64      /* finished curl handles kept for reuse */
#define CLIENT_URLS 16           /* URLs kept parsed (a channel's API) */
#define CLIENT_EVENTS 64         /* socket events read at once */
#define CLIENT_MAX_FD (1 << 20)  /* highest socket number it watches */

/* What a delivery attempt came to; see client_outcome. */
enum client_outcome {
	CLIENT_OK = 0,   /* a 2xx answer */
	CLIENT_TEMPFAIL, /* worth retrying later */
	CLIENT_PERMFAIL, /* retrying will not help */
};

/*
 * One request. Everything is copied by client_request, so the caller may
 * free or reuse it as soon as client_request returns.
 */
struct client_req {
	const char *method;         /* "GET", "POST", "PUT", ...; NULL: POST
				       when there is a body, else GET */
	const char *url;            /* http:// or https:// URL */
	const char *const *headers; /* NULL-terminated "Name: value" list, or
				       NULL; give a Content-Type with a body */
	const char *body;           /* request body, or NULL */
	size_t body_len;            /* its length in bytes */
	const char *userpwd;        /* "user:password" for basic auth, or
				       NULL; the user part holds no ':' */
	long timeout_ms;            /* whole request; 0: CLIENT_TIMEOUT_MS */
	size_t max_body;            /* response cap; 0: CLIENT_BODY_MAX */
	int path_as_is;             /* 1: send the path exactly as given,
				       "." and ".." segments left in place
				       (CURLOPT_PATH_AS_IS) */
};

/*
 * What the done callback gets. All pointers are owned by the client and
 * valid only during the callback; copy what you keep.
 */
struct client_resp {
	long status;                 /* HTTP status, 0 on any transport error */
	CURLcode code;               /* CURLE_OK or the error that ended it */
	int cancelled;               /* 1 when client_shutdown cancelled it */
	const char *error;           /* "" on success, else a short text */
	const char *body;            /* response body, NUL-terminated, never
				     NULL ("" on error) */
	size_t body_len;             /* its length */
	const char *content_type;    /* Content-Type of the answer, or NULL */
	enum client_outcome outcome; /* client_outcome(status, code) */
};

typedef void (*client_done_cb)(const struct client_resp *resp, void *arg);

struct client;
typedef void (*client_closed_cb)(struct client *client, void *arg);

struct client_xfer;

/* A URL kept parsed for curl (CURLOPT_CURLU), see client.c. */
struct client_url {
	char *url;     /* as requests give it, or NULL: a free slot */
	int as_is;     /* parsed with CURLU_PATH_AS_IS */
	CURLU *parsed; /* curl's handle, read-only for transfers */
	size_t users;  /* transfers in flight that were given it */
};

/*
 * The client. Embed it anywhere that outlives the loop run; its memory
 * must stay valid until the closed callback of client_shutdown has run.
 */
struct client {
	uv_loop_t *loop;           /* the loop everything runs on */
	CURLM *multi;              /* curl's multi handle, keeps connections */
	uv_timer_t timer;          /* curl's single timeout */
	uv_poll_t poll;            /* watches epfd */
	int epfd;                  /* epoll set of curl's sockets */
	unsigned char *fds;        /* per socket, what curl waits for */
	size_t nfds;               /* length of fds */
	struct client_xfer *xfers; /* requests in flight */
	size_t nxfers;             /* length of xfers */
	CURL *idle[CLIENT_IDLE_EASY]; /* reset handles for the next requests */
	size_t nidle;                 /* of them held */
	struct client_url urls[CLIENT_URLS]; /* parsed URLs */
	size_t url_next;                     /* the slot to take next */
	int open_handles;                    /* uv handles not closed yet */
	int closing;                         /* client_shutdown was called */
	client_closed_cb on_closed; /* called when all handles are closed */
	void *closed_arg;           /* its argument */
};

/*
 * Sets up c on loop. Returns 0, or -1 when curl or libuv fails (then
 * nothing needs closing). After success client_shutdown MUST be called
 * before c is freed or the loop is closed.
 */
int client_init(struct client *c, uv_loop_t *loop);

/*
 * Caps the connections c keeps open at once, to every host together, at
 * max (0: no cap); requests beyond it wait in curl's queue. The gateway
 * sets it to the descriptors it keeps in reserve for outbound requests.
 * per_host > 0 also sets the connections to one host (at first
 * CLIENT_MAX_HOST_CONNECTIONS), and keeps as many idle ones for reuse (at
 * least CLIENT_MAX_CONNECTS): the largest number of requests a channel
 * keeps in flight. Returns 0, or -1 when curl refuses it.
 */
int client_set_max_connections(struct client *c, long max, long per_host);

/*
 * Starts req; cb(resp, arg) is called exactly once, always later from the
 * loop (never from inside client_request), when the answer is complete,
 * the request failed or the client shuts down. Returns 0, or -1 when the
 * request cannot be started (bad argument, invalid method or header, the
 * client closing, CLIENT_MAX_INFLIGHT reached, a curl failure), in which
 * case cb is never called. The callback may start new requests and may
 * call client_shutdown.
 */
int client_request(struct client *c, const struct client_req *req,
    client_done_cb cb, void *arg);

/*
 * Whether req is one client_request can start: a URL, a method of
 * upper-case letters (no body with GET or HEAD, no length without a
 * body), at most CLIENT_MAX_HEADERS headers of one "Name: value" line
 * each, a user:password on one line, a timeout not negative and a body
 * cap within CLIENT_BODY_LIMIT. 1 if so, else 0.
 */
int client_req_valid(const struct client_req *req);
/*
 * Cancels every request in flight (their callbacks run before this
 * returns, with cancelled = 1, code CURLE_ABORTED_BY_CALLBACK, error
 * "cancelled"), frees curl's state and closes the libuv handles; then,
 * from the loop, closed(c, arg) is called if not NULL, after which c may
 * be freed. Requests started after this fail. Calling it again does
 * nothing.
 */
void client_shutdown(struct client *c, client_closed_cb closed, void *arg);

/*
 * Classifies an attempt: OK for a 2xx; TEMPFAIL for 408, 429 and 5xx, and
 * for transport errors (timeouts, refused or reset connections, DNS, TLS,
 * cancellation); PERMFAIL for 1xx, 3xx and other 4xx, and for the
 * transport errors no retry cures (malformed URL, unsupported protocol, a
 * response over its size cap: the provider may have acted on the request,
 * so it is not sent again).
 */
enum client_outcome client_outcome(long status, CURLcode code);

/* "ok", "tempfail" or "permfail", a static string. */
const char *client_outcome_name(enum client_outcome);

#endif
