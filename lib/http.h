/*
 * http.h: the gateway's HTTP/1.1 server (webhooks, admin API, metrics).
 *
 * One libuv loop thread owns the server and all its connections (the
 * caller's, or one of the server's own: http_server_init_thread). Requests
 * are parsed with http-parser into one bounded arena each and handed to a
 * single handler once complete. The handler MAY answer at once or later
 * (for example after the store's commit at the end of the loop turn); the
 * answers of one connection go out in request order (pipelining), batched
 * once per loop turn.
 *
 * Limits (struct http_limits) are enforced on every connection: a body over
 * max_body gets 413 (at once when Content-Length declares it, without
 * reading the body), headers over max_header or more than max_headers lines
 * get 431 (a URL alone over max_header gets 414), a request not complete
 * within request_timeout_ms of its first byte gets 408, anything malformed
 * gets 400 (505 for a version other than 1.x, 405 for CONNECT); after such
 * an answer the connection closes. A new connection that sends nothing for
 * request_timeout_ms, or a keep-alive one idle for idle_timeout_ms, is closed
 * silently. A slow or hostile client never blocks the others.
 *
 * Every answer carries Content-Length (except 204) and Date, and
 * "Connection: close" when the connection closes after it. Expect:
 * 100-continue gets "100 Continue" unless the declared body is over the
 * limit. A client's half-close (EOF) still gets the answers it is owed.
 *
 * Connections are capped (max_conns, and fd_high for the descriptor a new
 * connection lands on) so that the rest of the process keeps descriptors:
 * a new connection over the cap closes the connection idle the longest
 * (one with no request in progress and no answer owed, in the order they
 * became idle) and is served; when none is idle the new one is closed at
 * once. Either is logged at most once a minute, with counts.
 *
 * Ownership: the caller owns the memory of a struct http_server (it may be
 * embedded) and keeps it until http_server_shutdown's done callback has
 * run. The server owns its connections and every request with all it
 * points to, valid until the request is answered; http_respond copies the
 * body and extra headers it is given and frees the request.
 */
#ifndef BARAZA_HTTP_H
#define BARAZA_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include <uv.h>

#include "lib/util.h"

struct http_request;

/*
 * Called once per complete request. The handler MUST eventually call
 * http_respond or http_respond_ex exactly once for it, now or from a later
 * loop callback; the request and everything it points to stay valid until
 * then, even when the client has disconnected meanwhile (the answer is then
 * discarded).
 */
typedef void (*http_handler_cb)(struct http_request *, void *arg);

struct http_server;

/* Called once when http_server_shutdown has closed every connection. */
typedef void (*http_done_cb)(struct http_server *);

/*
 * Hard limits; http_limits_default gives the defaults of docs/http.md,
 * "Limits".
 */
struct http_limits {
	size_t max_body;    /* request body bytes (64 KiB) */
	size_t max_header;  /* request line plus header bytes (8 KiB) */
	size_t max_headers; /* header lines (100) */
	uint64_t request_timeout_ms; /* first byte to last byte (10 s) */
	uint64_t idle_timeout_ms; /* keep-alive idle, stalled writes (60 s) */
	unsigned max_conns;       /* open connections (10000) */
	unsigned max_pipelined;   /* unanswered requests per connection (32) */
	int fd_high; /* connections on descriptors >= it: over the cap */
};

/* One request header as received; name and value are NUL-terminated. */
struct http_hdr {
	const char *name;  /* as sent, compare with str_ieq */
	const char *value; /* without surrounding white space */
};

/*
 * A complete request. All strings live in the request's own arena, owned by
 * the server, and stay valid until the request is answered.
 */
struct http_request {
	const char *method; /* "GET", "POST", ... */
	const char *path;   /* raw path, not percent-decoded, no query */
	const char *query;  /* raw query without '?', "" when none */
	const struct http_hdr *headers; /* in arrival order */
	size_t nheaders;                /* entries in headers */
	const char *body;               /* NUL-terminated, "" when none */
	size_t body_len;                /* bytes in body, without the NUL */
	unsigned http_major;            /* 1 */
	unsigned http_minor;            /* 0 or 1 */
	char remote[48];                /* peer address, "127.0.0.1" or "::1" */
	int64_t start_ms; /* mono_ms() at the request's first byte */
	void *udata;      /* free for the handler's use */
	void *owned;      /* the handler's, free()d with the request */
	int private_view; /* the handler's: its answers hide private data */
	void *prepared;   /* what the prepare callback left: the handler's */
};

/* Counters for metrics. */
struct http_stats {
	uint64_t conns_open;     /* connections open now */
	uint64_t conns_total;    /* connections accepted since start */
	uint64_t requests_total; /* requests answered (to a live client) */
	uint64_t errors_total;   /* refusals (400, 408, 413, 431...) it sent */
	uint64_t conns_shed;     /* idle connections closed to make room */
	uint64_t conns_refused;  /* new connections closed: no room */
	uint64_t conns_stalled;  /* closed: answers held, output stalled */
};

struct http_conn;

/* Bytes of the header block every answer carries (with its NUL). */
#define HTTP_HEADERS_MAX 1024

/*
 * The security headers every answer of the gateway carries
 * (docs/security.md): no script, style or frame from elsewhere and no
 * inline script, no content sniffing, no referrer beyond this origin.
 */
#define HTTP_SECURITY_HEADERS                                              \
	"Content-Security-Policy: default-src 'self'; script-src 'self'; " \
	"style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; " \
	"base-uri 'none'; form-action 'self'\r\n"                          \
	"X-Content-Type-Options: nosniff\r\n"                              \
	"Referrer-Policy: same-origin\r\n"                                 \
	"X-Frame-Options: DENY\r\n"

/*
 * The server. The caller owns the memory (it may be embedded); its members
 * are private. After http_server_init succeeds it must not be freed before
 * the done callback of http_server_shutdown has run.
 */
struct http_server {
	uv_tcp_t tcp;              /* listening socket */
	uv_check_t flush;          /* writes batched answers after poll */
	uv_idle_t wake;            /* keeps poll from blocking while dirty */
	uv_loop_t *loop;           /* NULL for a socket-less test server */
	struct http_limits limits; /* in force */
	http_handler_cb handler;   /* called per complete request */
	void *arg;                 /* handler's argument */
	http_handler_cb prepare;   /* called just before, or NULL */
	void *prepare_arg;         /* prepare's argument */
	TAILQ_HEAD(, http_conn) conns; /* open connections */
	TAILQ_HEAD(, http_conn) dirty; /* connections with work to flush */
	TAILQ_HEAD(, http_conn) idle;  /* idle connections, longest first */
	unsigned nlive;                /* connections open, not closing */
	struct http_stats stats;       /* counters */
	int64_t pressure_ms;           /* when shedding was last logged */
	uint64_t shed_unlogged;        /* shed since then */
	uint64_t refused_unlogged;     /* refused since then */
	int pressure_logged;           /* pressure_ms is set */
	size_t out_held;               /* answers formatted, not yet written */
	unsigned handling;             /* requests with the handler */
	int out_paused;                /* out_held or handling went too high */
	int64_t held_ms;               /* when the pause was last logged */
	http_done_cb done;             /* shutdown's callback */
	int shutting_down;             /* http_server_shutdown was called */
	int handles_open;              /* own handles not yet closed */
	int handles_closing;           /* flush and wake are closing */
	int64_t date_sec;              /* second of the cached Date */
	char date[40];                 /* cached "Date: ..." value */
	char common[HTTP_HEADERS_MAX]; /* header lines of every answer */
	char json_prefix[32];          /* refusals under this path are JSON */
	struct http_bridge *bridge;    /* on a thread of its own, or NULL */
	int port;                      /* bound port, kept for a thread's */
	char rbuf[65536];              /* shared read buffer */
};

/* Fills limits with the defaults (docs/http.md, "Limits"). */
void http_limits_default(struct http_limits *);

/*
 * Prepares srv on loop; limits NULL means the defaults (they are copied).
 * handler is called with arg for each complete request. Returns 0 or a
 * negative libuv error. After success, http_server_shutdown must be called
 * before the loop ends.
 */
int http_server_init(struct http_server *srv, uv_loop_t *loop,
    const struct http_limits *limits, http_handler_cb handler, void *arg);

/*
 * As http_server_init, but srv runs on a thread of its own (named
 * "baraza-http") with a loop of its own, so that accepting, reading,
 * parsing, timeouts and writing never wait for the owner's loop (and the
 * owner's work never waits for them). handler is called on owner's loop
 * thread; complete requests cross over in batches, once per turn of the
 * thread's loop, and answers given with http_respond go back the same way
 * at the end of the owner's turn: no lock per request. Everything else
 * holds as for http_server_init: the handler may answer later, the limits,
 * the order of answers, the shutdown's drain; done is called on owner's
 * loop once the thread has ended. The thread starts its loop when
 * http_server_listen succeeds (or at http_server_shutdown): call
 * http_server_set_headers and http_server_set_json_errors before that.
 * http_server_stats returns the counters as of the thread's last turn.
 * Call every function of this file from owner's loop thread. Returns 0 or
 * a negative libuv error, with nothing left open.
 */
int http_server_init_thread(struct http_server *srv, uv_loop_t *owner,
    const struct http_limits *limits, http_handler_cb handler, void *arg);

/*
 * Binds and listens on "HOST:PORT", "[V6ADDR]:PORT" or ":PORT" (all IPv4
 * interfaces); HOST is a numeric address or "localhost". Port 0 picks a free
 * port (see http_server_port). Returns 0 or a negative libuv error
 * (UV_EADDRINUSE, UV_EINVAL for a bad address, ...).
 */
int http_server_listen(struct http_server *srv, const char *addr);

/* The bound port, or -1 when not listening. */
int http_server_port(struct http_server *srv);

/*
 * Stops accepting, closes idle connections, lets the requests already handed
 * to the handler be answered (each such connection closes after its last
 * answer) and calls done once every connection and the server's own handles
 * are closed. Calling it again has no effect. Requests whose client is gone
 * stay valid until answered even after done.
 */
void http_server_shutdown(struct http_server *srv, http_done_cb done);

/*
 * Changes the connection cap of a running server: at most max_conns open
 * (0 keeps the current one) and none on a descriptor at or above fd_high (0:
 * no such check). Connections already open stay; the cap applies to new
 * ones.
 */
void
http_server_set_cap(struct http_server *srv, unsigned max_conns, int fd_high);

/*
 * Sets the header lines (each "Name: value\r\n") that every answer of srv
 * carries from now on, its own refusals (400, 408, 413...) too; NULL or ""
 * for none. The text is copied. Returns 0, or -1 and changes nothing when
 * it is HTTP_HEADERS_MAX bytes or longer, or is not whole lines that each
 * end in CRLF with no bare CR or LF and no empty line.
 */
int http_server_set_headers(struct http_server *srv, const char *headers);

/*
 * The server's own refusals (400, 408, 413, 414, 431) of a request whose
 * path starts with prefix (the request line read that far) are answered
 * as JSON {"error": "413 Payload Too Large"} instead of plain text, for an
 * API whose contract says its errors are JSON. NULL or "" for none; at
 * most 31 bytes (longer is cut).
 */
void http_server_set_json_errors(struct http_server *srv, const char *prefix);

/*
 * Sets a callback that sees each complete request just before the
 * handler, on the server's own loop thread: with http_server_init_thread,
 * on the server's thread, so that work which needs nothing but the request
 * (and data that never changes while the server runs, such as the config)
 * is done off the owner's loop. It must not answer the request; whatever it
 * leaves in req->prepared is the handler's to use and free. Call it before
 * http_server_listen; NULL for none.
 */
void http_server_set_prepare(
    struct http_server *srv, http_handler_cb prepare, void *arg);

/* Copies the counters into st. */
void http_server_stats(const struct http_server *srv, struct http_stats *st);

/* Finds the first header named name (ASCII case-insensitive); NULL if none. */
const char *http_header(const struct http_request *req, const char *name);

/*
 * Answers req with status, an optional Content-Type (NULL for none) and a
 * body of len bytes (copied; body may be NULL when len is 0). The server
 * adds Content-Length, Date and Connection. After the call req is freed and
 * must not be used.
 */
void http_respond(struct http_request *req, int status,
    const char *content_type, const void *body, size_t len);

/*
 * As http_respond, with extra header lines (each "Name: value\r\n", the
 * last CRLF optional) or NULL. The caller keeps ownership of extra.
 */
void http_respond_ex(struct http_request *req, int status,
    const char *content_type, const char *extra, const void *body, size_t len);

/* The reason phrase of status ("Not Found"), "Unknown" when not known. */
const char *http_reason(int status);

/*
 * For fuzzing and tests: parses data as the input of one connection of a
 * socket-less server with these limits (NULL for the defaults), in pieces
 * of at most chunk bytes (0: all at once), calls handler for each complete
 * request and appends whatever the server would send to out (bounded by
 * out's max). Requests the handler has not answered when the input is
 * consumed are then orphaned as on a disconnect: answering them later is
 * allowed and discarded. Returns the number of requests handed to the
 * handler.
 */
size_t http_parse_buffer(const struct http_limits *limits, const void *data,
    size_t len, size_t chunk, http_handler_cb handler, void *arg,
    struct buf *out);

#endif
