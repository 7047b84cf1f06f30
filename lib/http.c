/*
 * http.c: HTTP/1.1 server on libuv and http-parser.
 *
 * Each connection (struct http_conn) embeds its socket and one timer and is
 * freed only when both are closed. Each request (struct http_txn) holds one
 * bounded arena with its URL, headers and body. A connection keeps the
 * requests handed to the handler in arrival order; an answer is formatted
 * into its request when the handler calls http_respond, and moved to the
 * connection's output once every earlier request is answered too. Dirty
 * connections are flushed from a uv_check_t (a uv_try_write, and a uv_write
 * for what the socket did not take at once), while a uv_idle_t keeps the
 * poll phase from sleeping on pending output, so answers given anywhere in
 * a loop turn leave in that turn.
 *
 * Parser callbacks never call the handler: on_message_complete pauses the
 * parser and conn_feed hands the request over once http_parser_execute has
 * returned. A connection whose client goes away while the handler still has
 * a request orphans it (txn->conn = NULL); answering it later frees it.
 */
#include "lib/http.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <http_parser.h>

#include "lib/log.h"

/* Input is discarded this long after the last answer before closing. */
#define LINGER_MS 2000
/* Reading pauses while this much output waits for a slow client. */
#define OUT_HIGH_WATER (1024 * 1024)
/*
 * Answers formatted but not yet written, on all connections together: past
 * this no connection reads or parses another request, and a write that has
 * not finished within OUT_SHED_MS closes its connection (a client that does
 * not read its answers), until they fall under half of it. Per connection,
 * OUT_HIGH_WATER; without a bound on the sum, many connections that never
 * read could each hold theirs (docs/http.md, "Limits").
 */
#define OUT_TOTAL_HIGH ((size_t)32 * 1024 * 1024)
#define OUT_SHED_MS 1000
/*
 * Requests with the handler, on all connections together, whose answers
 * are not known yet: past this no connection reads another either (and
 * again under half of it), so that what they answer stays bounded too.
 */
#define HANDLING_HIGH 1024
/* Hard limit on one connection's pending output. */
#define OUT_MAX ((size_t)256 * 1024 * 1024)
/* Hard limit on one formatted answer. */
#define RESP_MAX ((size_t)64 * 1024 * 1024)
/* Listen backlog. */
#define BACKLOG 1024
/* Connection pressure is logged at most this often. */
#define PRESSURE_LOG_MS (60 * 1000)
/* Idle connections closed when accept runs out of descriptors anyway. */
#define SHED_ON_EMFILE 8

enum txn_state {
	TXN_PARSING,  /* being read */
	TXN_HANDLER,  /* handed to the handler, not answered */
	TXN_ANSWERED, /* answer formatted, waiting for its turn */
};

enum last_cb {
	LAST_NONE,  /* nothing yet */
	LAST_URL,   /* URL piece */
	LAST_FIELD, /* header name piece */
	LAST_VALUE, /* header value piece */
};

struct http_txn {
	struct http_request req;     /* the part the handler sees */
	struct http_conn *conn;      /* NULL once the connection is gone */
	TAILQ_ENTRY(http_txn) entry; /* in conn->txns */
	enum txn_state state;        /* where it is in its life */
	struct buf arena;            /* URL, headers, path, query, body */
	size_t *hoff;                /* arena offsets: name0, value0, ... */
	size_t hcap;                 /* header pairs hoff can hold */
	size_t nhdr;                 /* header pairs seen */
	enum last_cb last;           /* last data callback, to join pieces */
	size_t url_len;              /* URL bytes, at arena offset 0 */
	size_t hdr_bytes;            /* request line and header bytes */
	size_t path_off;             /* arena offset of the path */
	size_t query_off;            /* arena offset of the query */
	size_t body_off;             /* arena offset of the body */
	size_t body_len;             /* body bytes so far */
	struct http_hdr *hdrs;       /* built when complete */
	int in_body;     /* headers done: header callbacks are trailers */
	int keep_alive;  /* the connection may carry on after it */
	int head;        /* HEAD: answer without the body */
	struct buf resp; /* the formatted answer */
	/* A server on its own thread (http_server_init_thread) only. */
	struct http_bridge *bridge; /* its bridge, set at creation */
	struct http_txn *bnext;     /* in one of the bridge's lists */
	struct http_staged *staged; /* the owner's answer, to format */
	int owner_answered;         /* the owner has answered it */
};

TAILQ_HEAD(txn_list, http_txn);

struct http_conn {
	uv_tcp_t tcp;                  /* the socket */
	uv_timer_t timer;              /* the nearest deadline */
	uv_write_t wreq;               /* the write in flight */
	uv_shutdown_t sreq;            /* half-close after the last answer */
	struct http_server *srv;       /* owner */
	http_parser parser;            /* request parser, data = this */
	TAILQ_ENTRY(http_conn) entry;  /* in srv->conns */
	TAILQ_ENTRY(http_conn) dentry; /* in srv->dirty while dirty */
	TAILQ_ENTRY(http_conn) ientry; /* in srv->idle while idle */
	struct txn_list txns;          /* handed out or answered, in order */
	struct http_txn *cur;          /* request being parsed */
	struct http_txn *ready;        /* complete, to hand to the handler */
	unsigned npending;             /* entries in txns */
	struct buf out;                /* answers waiting for a write */
	struct buf wbuf;               /* bytes of the write in flight */
	struct buf inq;                /* input read but not parsed yet */
	struct buf *sink;              /* socket-less: output goes here */
	char remote[48];               /* peer address */
	int64_t opened_ms;             /* accepted */
	int64_t active_ms;             /* last request or write done */
	int64_t write_ms;              /* write in flight started */
	int64_t linger_ms;             /* half-close started */
	uint64_t nrequests;            /* requests handed to the handler */
	size_t held;                   /* its share of srv->out_held */
	int err_status;                /* set by a failing parser callback */
	int nhandles;                  /* handles not yet closed */
	unsigned reading : 1;          /* uv_read_start in force */
	unsigned writing : 1;          /* a uv_write is in flight */
	unsigned dirty : 1;            /* in srv->dirty */
	unsigned stop_parse : 1;       /* no more requests will be read */
	unsigned eof : 1;              /* the client half-closed */
	unsigned lingering : 1;        /* half-closed, discarding input */
	unsigned closing : 1;          /* being closed */
	unsigned idle : 1;             /* in srv->idle */
};

/* An answer given on the owner's loop, formatted on the server's. */
struct http_staged {
	int status;        /* as given */
	size_t len;        /* body bytes */
	const char *ctype; /* Content-Type, or NULL */
	const char *extra; /* extra header lines, or NULL */
	char data[];       /* the body, then the strings */
};

/*
 * A server on a thread of its own (http_server_init_thread). The server,
 * its connections and its loop belong to the thread; the caller's handler
 * runs on the owner's loop. Complete requests wait in a thread-side list
 * until the end of the thread's turn (a prepare and a check handle), then
 * move to the shared list under the mutex and the owner is woken; answers
 * go back the same way at the end of the owner's turn. A request keeps its
 * bridge pointer: requests with the owner and the server each hold one
 * reference (refs, the owner's side only), so a request orphaned and
 * answered after the shutdown's done still finds it.
 */
struct http_bridge {
	struct http_server *srv; /* the server it carries */
	http_handler_cb handler; /* the caller's, on the owner's loop */
	void *arg;               /* handler's argument */
	http_done_cb done;       /* shutdown's, on the owner's loop */

	/* The owner's side: its loop thread only. */
	uv_loop_t *owner;
	uv_async_t owner_async;  /* requests, or the thread's end */
	uv_prepare_t owner_prep; /* end of turn: hand answers over */
	uv_check_t owner_check;  /* the same, after I/O */
	struct http_txn *ans_head, *ans_tail; /* answered this turn */
	unsigned refs;     /* requests with the owner, + 1 until closed */
	int started;       /* the thread was let run (listen or shutdown) */
	int stopping;      /* http_server_shutdown ran */
	int joined;        /* the thread is joined */
	int owner_handles; /* owner handles not yet closed */

	/* The thread's side: that thread only, once it runs. */
	uv_thread_t thread;
	uv_sem_t go; /* posted once srv listens, or is shut down */
	uv_loop_t loop;
	uv_async_t io_async;  /* answers, a cap or the stop */
	uv_prepare_t io_prep; /* end of turn: hand requests over */
	uv_check_t io_check;  /* the same, after I/O */
	struct http_txn *req_head, *req_tail; /* complete this turn */
	struct http_stats seen;               /* the counters last published */
	int io_stopping;                      /* the stop was seen */

	/* Shared, under mu. */
	uv_mutex_t mu;
	struct http_txn *sh_req_head, *sh_req_tail;
	struct http_txn *sh_ans_head, *sh_ans_tail;
	struct http_stats sh_stats; /* the server's counters, per turn */
	int sh_stop;                /* the owner asks the server to stop */
	int sh_done;                /* the thread has handed its last over */
	int sh_cap;                 /* a cap to apply: */
	unsigned sh_max_conns;      /* its max_conns */
	int sh_fd_high;             /* its fd_high */
};

enum deadline_kind {
	DL_NONE,    /* no timer */
	DL_FIRST,   /* nothing received since accept */
	DL_REQUEST, /* request started, not complete */
	DL_IDLE,    /* keep-alive idle */
	DL_WRITE,   /* output stalled */
	DL_LINGER,  /* lingering close */
};

static int on_message_begin(http_parser *);
static int on_url(http_parser *, const char *, size_t);
static int on_header_field(http_parser *, const char *, size_t);
static int on_header_value(http_parser *, const char *, size_t);
static int on_headers_complete(http_parser *);
static int on_body(http_parser *, const char *, size_t);
static int on_message_complete(http_parser *);

static const http_parser_settings parser_settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

static void conn_close(struct http_conn *);
static void conn_sync(struct http_conn *);
static void conn_mark_dirty(struct http_conn *);
static void held_more(struct http_conn *, size_t);
static void srv_maybe_done(struct http_server *);
static void on_flush(uv_check_t *);
static void bridge_go(struct http_server *);

void
http_limits_default(struct http_limits *l)
{
	l->max_body = 64 * 1024;
	l->max_header = 8 * 1024;
	l->max_headers = 100;
	l->request_timeout_ms = 10 * 1000;
	l->idle_timeout_ms = 60 * 1000;
	l->max_conns = 10000;
	l->max_pipelined = 32;
	l->fd_high = 0;
}

const char *
http_reason(int status)
{
	switch (status) {
	case 100:
		return "Continue";
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 202:
		return "Accepted";
	case 204:
		return "No Content";
	case 301:
		return "Moved Permanently";
	case 302:
		return "Found";
	case 303:
		return "See Other";
	case 304:
		return "Not Modified";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 409:
		return "Conflict";
	case 410:
		return "Gone";
	case 411:
		return "Length Required";
	case 413:
		return "Payload Too Large";
	case 414:
		return "URI Too Long";
	case 415:
		return "Unsupported Media Type";
	case 422:
		return "Unprocessable Entity";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Unknown";
	}
}

/* The current "Date:" value, formatted at most once a second. */
static const char *
srv_date(struct http_server *srv)
{
	static const char days[7][4] = {
	    "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t t = time(NULL);
	struct tm tm;

	if (srv->date_sec == (int64_t)t && srv->date[0] != '\0')
		return srv->date;
	gmtime_r(&t, &tm);
	snprintf(srv->date, sizeof(srv->date),
	    "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7],
	    tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
	srv->date_sec = (int64_t)t;
	return srv->date;
}

/*
 * Requests
 */

static struct http_txn *
txn_new(struct http_conn *c)
{
	const struct http_limits *l = &c->srv->limits;
	struct http_txn *t = xcalloc(1, sizeof(*t));
	size_t max;

	t->conn = c;
	t->state = TXN_PARSING;
	/*
	 * Room for the URL and headers, one NUL after each, copies of the
	 * path and query (no longer than the URL) and the body.
	 */
	max = 2 * l->max_header + 2 * l->max_headers + l->max_body + 64;
	buf_init(&t->arena, max);
	buf_init(&t->resp, RESP_MAX);
	t->req.start_ms = mono_ms();
	memcpy(t->req.remote, c->remote, sizeof(t->req.remote));
	t->bridge = c->srv->bridge;
	return t;
}

static void
txn_free(struct http_txn *t)
{
	if (t == NULL)
		return;
	buf_free(&t->arena);
	buf_free(&t->resp);
	free(t->req.owned);
	free(t->hoff);
	free(t->hdrs);
	free(t->staged);
	free(t);
}

/* Formats the answer into t->resp; close adds "Connection: close". */
static void
txn_format(struct http_txn *t, struct http_server *srv, int status,
    const char *ctype, const char *extra, const void *body, size_t len,
    int close)
{
	struct buf *b = &t->resp;
	int rc, nobody, nolength;

	if (status < 200 || status > 599) {
		log_error(
		    "http", "handler gave a bad status status=%d", status);
		status = 500;
		ctype = NULL;
		extra = NULL;
		len = 0;
	}
	nolength = status == 204;
	nobody = t->head || status == 204 || status == 304;
	buf_reset(b);
	/* Every answer passes here: pieces, not printf. */
	rc = buf_puts(b, "HTTP/1.1 ");
	if (rc == 0)
		rc = buf_putu(b, (unsigned)status);
	if (rc == 0)
		rc = buf_puts(b, " ");
	if (rc == 0)
		rc = buf_puts(b, http_reason(status));
	if (rc == 0)
		rc = buf_puts(b, "\r\nDate: ");
	if (rc == 0)
		rc = buf_puts(b, srv_date(srv));
	if (rc == 0)
		rc = buf_puts(b, "\r\n");
	if (rc == 0 && ctype != NULL) {
		rc = buf_puts(b, "Content-Type: ");
		if (rc == 0)
			rc = buf_puts(b, ctype);
		if (rc == 0)
			rc = buf_puts(b, "\r\n");
	}
	if (rc == 0 && !nolength) {
		rc = buf_puts(b, "Content-Length: ");
		if (rc == 0)
			rc = buf_putu(b, len);
		if (rc == 0)
			rc = buf_puts(b, "\r\n");
	}
	if (rc == 0 && close)
		rc = buf_puts(b, "Connection: close\r\n");
	else if (rc == 0 && t->req.http_minor == 0)
		rc = buf_puts(b, "Connection: keep-alive\r\n");
	if (rc == 0 && extra != NULL && extra[0] != '\0') {
		size_t n = strlen(extra);

		rc = buf_append(b, extra, n);
		if (rc == 0 && (n < 2 || memcmp(extra + n - 2, "\r\n", 2) != 0))
			rc = buf_puts(b, "\r\n");
	}
	/* Answers are private and of the moment (an API's, a CSRF token):
	 * kept by no cache unless the handler says otherwise. */
	if (rc == 0 &&
	    (extra == NULL || strcasestr(extra, "Cache-Control:") == NULL))
		rc = buf_puts(b, "Cache-Control: no-store\r\n");
	if (rc == 0)
		rc = buf_puts(b, srv->common);
	if (rc == 0)
		rc = buf_puts(b, "\r\n");
	if (rc == 0 && !nobody && len > 0)
		rc = buf_append(b, body, len);
	if (rc == -1) {
		log_error("http", "answer too large len=%zu", len);
		buf_reset(b);
		buf_printf(b,
		    "HTTP/1.1 500 Internal Server Error\r\nDate: %s\r\n"
		    "Content-Length: 0\r\n%s%s\r\n",
		    srv_date(srv), close ? "Connection: close\r\n" : "",
		    srv->common);
	}
}

/* Appends n bytes to the arena; the limits were checked by the caller. */
static int
txn_put(struct http_txn *t, const void *p, size_t n)
{
	return buf_append(&t->arena, p, n);
}

/* Terminates the current URL, name or value with a NUL. */
static int
txn_terminate(struct http_txn *t)
{
	return txn_put(t, "", 1);
}

/* Builds the public view once the request is complete. */
static void
txn_finish(struct http_txn *t)
{
	char *base = t->arena.data;
	size_t i;

	t->hdrs = xcalloc(t->nhdr ? t->nhdr : 1, sizeof(*t->hdrs));
	for (i = 0; i < t->nhdr; i++) {
		t->hdrs[i].name = base + t->hoff[2 * i];
		t->hdrs[i].value = base + t->hoff[2 * i + 1];
	}
	t->req.headers = t->hdrs;
	t->req.nheaders = t->nhdr;
	t->req.path = base + t->path_off;
	t->req.query = base + t->query_off;
	t->req.body = base + t->body_off;
	t->req.body_len = t->body_len;
}

const char *
http_header(const struct http_request *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->nheaders; i++)
		if (str_ieq(req->headers[i].name, name))
			return req->headers[i].value;
	return NULL;
}

/*
 * Parser callbacks. They record a failure's status in c->err_status and
 * return -1; conn_feed then answers with it.
 */

static int
cb_fail(struct http_conn *c, int status)
{
	if (c->err_status == 0)
		c->err_status = status;
	return -1;
}

static int
on_message_begin(http_parser *p)
{
	struct http_conn *c = p->data;

	txn_free(c->cur);
	c->cur = txn_new(c);
	return 0;
}

/* Counts header bytes against the limit. */
static int
count_header(struct http_conn *c, size_t n)
{
	struct http_txn *t = c->cur;

	t->hdr_bytes += n;
	return t->hdr_bytes > c->srv->limits.max_header ? -1 : 0;
}

static int
on_url(http_parser *p, const char *at, size_t len)
{
	struct http_conn *c = p->data;
	struct http_txn *t = c->cur;

	if (t == NULL || (t->last != LAST_NONE && t->last != LAST_URL))
		return cb_fail(c, 400);
	if (count_header(c, len) == -1)
		return cb_fail(c, 414);
	if (txn_put(t, at, len) == -1)
		return cb_fail(c, 414);
	t->url_len += len;
	t->last = LAST_URL;
	return 0;
}

static int
on_header_field(http_parser *p, const char *at, size_t len)
{
	struct http_conn *c = p->data;
	struct http_txn *t = c->cur;

	if (t == NULL)
		return cb_fail(c, 400);
	if (t->in_body) {
		/* A trailer of a chunked body: counted, then ignored. */
		return count_header(c, len + 4) == -1 ? cb_fail(c, 431) : 0;
	}
	if (t->last != LAST_FIELD) {
		/* A new header line: ": " and CRLF count too. */
		if (++t->nhdr > c->srv->limits.max_headers)
			return cb_fail(c, 431);
		if (count_header(c, 4) == -1 || txn_terminate(t) == -1)
			return cb_fail(c, 431);
		if (t->nhdr > t->hcap) {
			t->hcap = t->hcap ? 2 * t->hcap : 8;
			t->hoff =
			    xrealloc(t->hoff, 2 * t->hcap * sizeof(size_t));
		}
		t->hoff[2 * (t->nhdr - 1)] = t->arena.len;
		t->hoff[2 * (t->nhdr - 1) + 1] = t->arena.len;
		t->last = LAST_FIELD;
	}
	if (count_header(c, len) == -1 || txn_put(t, at, len) == -1)
		return cb_fail(c, 431);
	return 0;
}

static int
on_header_value(http_parser *p, const char *at, size_t len)
{
	struct http_conn *c = p->data;
	struct http_txn *t = c->cur;

	if (t == NULL)
		return cb_fail(c, 400);
	if (t->in_body)
		return count_header(c, len) == -1 ? cb_fail(c, 431) : 0;
	if (t->nhdr == 0)
		return cb_fail(c, 400);
	if (t->last == LAST_FIELD) {
		if (txn_terminate(t) == -1)
			return cb_fail(c, 431);
		t->hoff[2 * (t->nhdr - 1) + 1] = t->arena.len;
		t->last = LAST_VALUE;
	} else if (t->last != LAST_VALUE)
		return cb_fail(c, 400);
	if (count_header(c, len) == -1 || txn_put(t, at, len) == -1)
		return cb_fail(c, 431);
	return 0;
}

/* Copies the path and query of the URL into the arena. */
static int
txn_split_url(struct http_txn *t)
{
	struct http_parser_url u;
	char *url;
	size_t poff = 0, plen = 0, qoff = 0, qlen = 0;
	int rc = -1;

	if (t->url_len == 0)
		return -1;
	/* A copy: appending to the arena may move the URL. */
	url = xmalloc(t->url_len + 2);
	memcpy(url, t->arena.data, t->url_len);
	url[t->url_len] = '\0';
	if (t->url_len == 1 && url[0] == '*') {
		/* "OPTIONS *": the path is the asterisk. */
		plen = 1;
	} else {
		http_parser_url_init(&u);
		if (http_parser_parse_url(url, t->url_len, 0, &u) != 0)
			goto out;
		if (u.field_set & (1 << UF_PATH)) {
			poff = u.field_data[UF_PATH].off;
			plen = u.field_data[UF_PATH].len;
		} else {
			/* An absolute URL without a path means "/". */
			url[t->url_len + 1] = '/';
			poff = t->url_len + 1;
			plen = 1;
		}
		if (u.field_set & (1 << UF_QUERY)) {
			qoff = u.field_data[UF_QUERY].off;
			qlen = u.field_data[UF_QUERY].len;
		}
	}
	t->path_off = t->arena.len;
	if (txn_put(t, url + poff, plen) == -1 || txn_terminate(t) == -1)
		goto out;
	t->query_off = t->arena.len;
	if (txn_put(t, url + qoff, qlen) == -1 || txn_terminate(t) == -1)
		goto out;
	rc = 0;
out:
	free(url);
	return rc;
}

/* Trims trailing white space of every header value in place. */
static void
txn_trim_values(struct http_txn *t)
{
	size_t i, n;
	char *v;

	for (i = 0; i < t->nhdr; i++) {
		v = t->arena.data + t->hoff[2 * i + 1];
		n = strlen(v);
		while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
			v[--n] = '\0';
	}
}

/* The value of header name while parsing, or NULL. */
static const char *
txn_find_header(const struct http_txn *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->nhdr; i++)
		if (str_ieq(t->arena.data + t->hoff[2 * i], name))
			return t->arena.data + t->hoff[2 * i + 1];
	return NULL;
}

static int
on_headers_complete(http_parser *p)
{
	struct http_conn *c = p->data;
	struct http_txn *t = c->cur;
	const struct http_limits *l = &c->srv->limits;
	const char *expect;

	if (t == NULL)
		return cb_fail(c, 400);
	/* Terminate the last piece; a name without a value gets "". */
	if (txn_terminate(t) == -1)
		return cb_fail(c, 431);
	if (t->last == LAST_FIELD) {
		t->hoff[2 * (t->nhdr - 1) + 1] = t->arena.len;
		if (txn_terminate(t) == -1)
			return cb_fail(c, 431);
	}
	t->req.method = http_method_str((enum http_method)p->method);
	t->req.http_major = p->http_major;
	t->req.http_minor = p->http_minor;
	if (p->http_major != 1)
		return cb_fail(c, 505);
	if (p->method == HTTP_CONNECT)
		return cb_fail(c, 405);
	t->keep_alive = http_should_keep_alive(p) && !p->upgrade;
	t->head = p->method == HTTP_HEAD;
	if (txn_split_url(t) == -1)
		return cb_fail(c, 400);
	txn_trim_values(t);
	if ((p->flags & F_CONTENTLENGTH) && p->content_length > l->max_body)
		return cb_fail(c, 413);
	expect = txn_find_header(t, "Expect");
	if (expect != NULL && str_ieq(expect, "100-continue") &&
	    p->http_minor >= 1 &&
	    ((p->flags & F_CHUNKED) ||
		((p->flags & F_CONTENTLENGTH) && p->content_length > 0)) &&
	    TAILQ_EMPTY(&c->txns)) {
		/*
		 * Only when no earlier answer is due: an interim answer must
		 * not overtake one. Clients send the body anyway after a
		 * while, so omitting it is allowed (RFC 7231 5.1.1).
		 */
		size_t before = c->out.len;

		if (buf_puts(&c->out, "HTTP/1.1 100 Continue\r\n\r\n") == 0) {
			held_more(c, c->out.len - before);
			conn_mark_dirty(c);
		}
	}
	t->body_off = t->arena.len;
	t->in_body = 1;
	return 0;
}

static int
on_body(http_parser *p, const char *at, size_t len)
{
	struct http_conn *c = p->data;
	struct http_txn *t = c->cur;

	if (t == NULL)
		return cb_fail(c, 400);
	if (len > c->srv->limits.max_body ||
	    t->body_len > c->srv->limits.max_body - len)
		return cb_fail(c, 413);
	if (txn_put(t, at, len) == -1)
		return cb_fail(c, 413);
	t->body_len += len;
	return 0;
}

static int
on_message_complete(http_parser *p)
{
	struct http_conn *c = p->data;
	struct http_txn *t = c->cur;

	if (t == NULL)
		return cb_fail(c, 400);
	/* Make sure the body is NUL-terminated even when empty. */
	if (txn_put(t, "", 0) == -1)
		return cb_fail(c, 413);
	txn_finish(t);
	c->ready = t;
	c->cur = NULL;
	/* Hand it over once http_parser_execute has returned. */
	http_parser_pause(p, 1);
	return 0;
}

/*
 * Connections
 */

static void
on_wake(uv_idle_t *h)
{
	(void)h;
}

static void
conn_mark_dirty(struct http_conn *c)
{
	struct http_server *srv = c->srv;

	if (c->dirty || c->closing)
		return;
	c->dirty = 1;
	TAILQ_INSERT_TAIL(&srv->dirty, c, dentry);
	if (srv->loop != NULL && !srv->handles_closing) {
		uv_check_start(&srv->flush, on_flush);
		uv_idle_start(&srv->wake, on_wake);
	}
}

/*
 * Pauses or resumes reading on every connection as the answers held for all
 * of them cross OUT_TOTAL_HIGH, or the requests with the handler
 * HANDLING_HIGH, and once both fall under half of theirs: each connection
 * is looked at again (reading, its write's deadline, OUT_SHED_MS while
 * paused).
 */
static void
srv_check_pause(struct http_server *srv)
{
	struct http_conn *c;
	int64_t now = mono_ms();
	int on;

	if (srv->out_paused)
		on = srv->out_held >= OUT_TOTAL_HIGH / 2 ||
		     srv->handling >= HANDLING_HIGH / 2;
	else
		on = srv->out_held >= OUT_TOTAL_HIGH ||
		     srv->handling >= HANDLING_HIGH;
	if (on == srv->out_paused)
		return;
	srv->out_paused = on;
	if (on &&
	    (srv->held_ms == 0 || now - srv->held_ms >= PRESSURE_LOG_MS)) {
		srv->held_ms = now;
		log_warn("http",
		    "answers held for clients that do not read them, or "
		    "requests waiting: no request is read until they drain "
		    "held=%zu handling=%u open=%u",
		    srv->out_held, srv->handling, srv->nlive);
	}
	TAILQ_FOREACH(c, &srv->conns, entry)
	if (!c->closing)
		conn_mark_dirty(c);
}

/* Counts n bytes more of answers c holds (formatted, not yet written). */
static void
held_more(struct http_conn *c, size_t n)
{
	struct http_server *srv = c->srv;

	if (c->closing || c->sink != NULL || n == 0)
		return;
	c->held += n;
	srv->out_held += n;
	srv_check_pause(srv);
}

/* Counts n bytes of c's answers written, or dropped. */
static void
held_less(struct http_conn *c, size_t n)
{
	struct http_server *srv = c->srv;

	if (n > c->held)
		n = c->held;
	c->held -= n;
	srv->out_held -= n;
	srv_check_pause(srv);
}

/* Moves the answers now due, in request order, to the output. */
static void
conn_advance(struct http_conn *c)
{
	struct http_txn *t;

	while (
	    (t = TAILQ_FIRST(&c->txns)) != NULL && t->state == TXN_ANSWERED) {
		TAILQ_REMOVE(&c->txns, t, entry);
		c->npending--;
		if (buf_append(&c->out, t->resp.data, t->resp.len) == -1) {
			log_warn("http", "output limit reached remote=%s",
			    c->remote);
			txn_free(t);
			conn_close(c);
			return;
		}
		txn_free(t);
	}
	conn_mark_dirty(c);
}

/* Answers with a server error status and stops reading requests. */
/* Whether the request being read asks for JSON refusals: its URL (so far)
 * starts with the server's json_prefix. */
static int
refusal_is_json(const struct http_conn *c)
{
	const struct http_txn *t = c->cur;
	size_t n = strlen(c->srv->json_prefix);

	return n > 0 && t != NULL && t->url_len >= n && t->arena.data != NULL &&
	       memcmp(t->arena.data, c->srv->json_prefix, n) == 0;
}

static void
conn_fail(struct http_conn *c, int status)
{
	struct http_txn *t;
	char body[80];
	int json = refusal_is_json(c);

	log_debug(
	    "http", "request refused status=%d remote=%s", status, c->remote);
	txn_free(c->cur);
	c->cur = NULL;
	t = txn_new(c);
	t->req.http_minor = 1;
	snprintf(body, sizeof(body),
	    json ? "{\"error\": \"%d %s\"}\n" : "%d %s\n", status,
	    http_reason(status));
	txn_format(t, c->srv, status,
	    json ? "application/json" : "text/plain; charset=utf-8", NULL, body,
	    strlen(body), 1);
	t->state = TXN_ANSWERED;
	held_more(c, t->resp.len);
	TAILQ_INSERT_TAIL(&c->txns, t, entry);
	c->npending++;
	c->stop_parse = 1;
	buf_free(&c->inq);
	c->srv->stats.errors_total++;
	conn_advance(c);
}

/* Hands the request just parsed to the handler. */
static void
conn_dispatch(struct http_conn *c)
{
	struct http_server *srv = c->srv;
	struct http_txn *t = c->ready;

	if (t == NULL)
		return;
	c->ready = NULL;
	t->state = TXN_HANDLER;
	TAILQ_INSERT_TAIL(&c->txns, t, entry);
	c->npending++;
	c->nrequests++;
	c->active_ms = mono_ms();
	srv->handling++;
	srv_check_pause(srv);
	/* Decide before the handler runs: it may answer and free t. */
	if (!t->keep_alive)
		c->stop_parse = 1;
	if (srv->prepare != NULL)
		srv->prepare(&t->req, srv->prepare_arg);
	srv->handler(&t->req, srv->arg);
}

/* 1 while c's answers not yet written reach OUT_HIGH_WATER, or all
   connections' reach OUT_TOTAL_HIGH: no more input is read or parsed until
   they drain. */
static int
out_full(const struct http_conn *c)
{
	return c->held >= OUT_HIGH_WATER || c->srv->out_paused;
}

/*
 * Parses input until it is used up, the pipeline is full or no more
 * requests are to be read. Returns the bytes consumed; the rest must be
 * fed again later. Input after the last request is dropped (counted as
 * consumed).
 */
static size_t
conn_feed(struct http_conn *c, const char *data, size_t len)
{
	size_t done = 0, n;
	enum http_errno err;

	while (done < len && !c->stop_parse && !c->closing) {
		/* Full, or answers waiting for a client that does not read
		 * them: the rest waits (bounded memory per connection). */
		if (c->npending >= c->srv->limits.max_pipelined || out_full(c))
			return done;
		n = http_parser_execute(
		    &c->parser, &parser_settings, data + done, len - done);
		done += n;
		err = HTTP_PARSER_ERRNO(&c->parser);
		if (err == HPE_PAUSED) {
			http_parser_pause(&c->parser, 0);
			conn_dispatch(c);
			continue;
		}
		if (err != HPE_OK) {
			if (c->err_status == 0)
				log_debug("http",
				    "bad request error=%s remote=%s",
				    http_errno_name(err), c->remote);
			if (c->err_status == 0 && err == HPE_HEADER_OVERFLOW)
				c->err_status = 431;
			conn_fail(c, c->err_status ? c->err_status : 400);
			break;
		}
		if (c->parser.upgrade || n == 0) {
			/* Another protocol follows; we do not speak it. */
			c->stop_parse = 1;
			break;
		}
	}
	return len;
}

/* Parses held input again once the pipeline and the output have room. */
static void
conn_feed_held(struct http_conn *c)
{
	size_t n;

	if (c->inq.len == 0 || c->stop_parse || c->closing ||
	    c->npending >= c->srv->limits.max_pipelined || out_full(c))
		return;
	n = conn_feed(c, c->inq.data, c->inq.len);
	if (c->closing)
		return;
	if (n >= c->inq.len || c->stop_parse) {
		buf_free(&c->inq);
		return;
	}
	memmove(c->inq.data, c->inq.data + n, c->inq.len - n);
	c->inq.len -= n;
	c->inq.data[c->inq.len] = '\0';
}

/* Keeps input that could not be parsed yet. */
static void
conn_hold(struct http_conn *c, const char *p, size_t n)
{
	if (n == 0 || c->stop_parse || c->closing)
		return;
	if (buf_append(&c->inq, p, n) == -1)
		conn_fail(c, 400);
}

/* A write to c's client failed (it went away): the connection ends. */
static void
write_failed(struct http_conn *c, int status)
{
	log_debug("http", "write failed error=%s remote=%s",
	    uv_strerror(status), c->remote);
	conn_close(c);
}

static void
on_write(uv_write_t *req, int status)
{
	struct http_conn *c = container_of(req, struct http_conn, wreq);

	c->writing = 0;
	if (!c->closing)
		held_less(c, c->wbuf.len);
	buf_free(&c->wbuf);
	if (c->closing)
		return;
	if (status < 0) {
		write_failed(c, status);
		return;
	}
	c->active_ms = mono_ms();
	if (c->out.len > 0)
		conn_mark_dirty(c);
	conn_sync(c);
}

/* Starts one write of everything in the output buffer. */
static void
conn_write(struct http_conn *c)
{
	uv_buf_t b;
	size_t done;
	int rc;

	if (c->writing || c->closing || c->out.len == 0)
		return;
	if (c->sink != NULL) {
		(void)buf_append(c->sink, c->out.data, c->out.len);
		held_less(c, c->out.len);
		buf_free(&c->out);
		return;
	}
	/*
	 * Written at once when the socket takes it all, as an answer mostly
	 * is: a uv_write that completes costs an epoll_ctl besides.
	 */
	b = uv_buf_init(c->out.data, (unsigned int)c->out.len);
	rc = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
	if (rc == (int)c->out.len) {
		held_less(c, c->out.len);
		buf_free(&c->out);
		c->active_ms = mono_ms();
		return;
	}
	if (rc < 0 && rc != UV_EAGAIN) {
		write_failed(c, rc);
		return;
	}
	done = rc < 0 ? 0 : (size_t)rc;
	c->wbuf = c->out;
	buf_init(&c->out, OUT_MAX);
	b = uv_buf_init(
	    c->wbuf.data + done, (unsigned int)(c->wbuf.len - done));
	rc = uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_write);
	if (rc < 0) {
		buf_free(&c->wbuf);
		conn_close(c);
		return;
	}
	c->writing = 1;
	c->write_ms = mono_ms();
}

/* Flushes one dirty connection: held input first, then output. */
static void
conn_service(struct http_conn *c)
{
	if (c->closing)
		return;
	conn_feed_held(c);
	if (c->closing)
		return;
	conn_write(c);
	conn_sync(c);
}

static void
on_flush(uv_check_t *h)
{
	struct http_server *srv = container_of(h, struct http_server, flush);
	struct http_conn *c;

	uv_check_stop(&srv->flush);
	uv_idle_stop(&srv->wake);
	while ((c = TAILQ_FIRST(&srv->dirty)) != NULL) {
		TAILQ_REMOVE(&srv->dirty, c, dentry);
		c->dirty = 0;
		conn_service(c);
	}
}

static void
on_shutdown(uv_shutdown_t *req, int status)
{
	struct http_conn *c = container_of(req, struct http_conn, sreq);

	if (!c->closing && status < 0)
		conn_close(c);
}

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct http_conn *c = container_of(h, struct http_conn, tcp);

	(void)hint;
	/* Reads are consumed at once, so one buffer serves every socket. */
	*b = uv_buf_init(c->srv->rbuf, sizeof(c->srv->rbuf));
}

static void
on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
	struct http_conn *c = container_of(s, struct http_conn, tcp);
	size_t n;

	if (c->closing || nread == 0)
		return;
	if (nread < 0) {
		if (nread == UV_EOF && !c->lingering) {
			c->eof = 1;
			c->reading = 0;
			conn_sync(c);
		} else
			conn_close(c);
		return;
	}
	if (c->lingering || c->stop_parse)
		return;
	n = conn_feed(c, b->base, (size_t)nread);
	conn_hold(c, b->base + n, (size_t)nread - n);
	conn_sync(c);
}

/* The next deadline of c and what it is for. */
static int64_t
conn_deadline(struct http_conn *c, enum deadline_kind *kind)
{
	const struct http_limits *l = &c->srv->limits;

	if (c->lingering) {
		*kind = DL_LINGER;
		return c->linger_ms + LINGER_MS;
	}
	if (c->writing) {
		*kind = DL_WRITE;
		/* Answers held past the high water: slow readers go first. */
		if (c->srv->out_paused && l->idle_timeout_ms > OUT_SHED_MS)
			return c->write_ms + OUT_SHED_MS;
		return c->write_ms + (int64_t)l->idle_timeout_ms;
	}
	if (c->cur != NULL && !c->stop_parse && c->reading) {
		*kind = DL_REQUEST;
		return c->cur->req.start_ms + (int64_t)l->request_timeout_ms;
	}
	if (!c->stop_parse && c->npending == 0 && c->out.len == 0 &&
	    c->inq.len == 0) {
		if (c->nrequests == 0) {
			*kind = DL_FIRST;
			return c->opened_ms + (int64_t)l->request_timeout_ms;
		}
		*kind = DL_IDLE;
		return c->active_ms + (int64_t)l->idle_timeout_ms;
	}
	*kind = DL_NONE;
	return 0;
}

static void
on_timer(uv_timer_t *h)
{
	struct http_conn *c = container_of(h, struct http_conn, timer);
	enum deadline_kind kind;
	int64_t when = conn_deadline(c, &kind);

	if (c->closing || kind == DL_NONE)
		return;
	if (when > mono_ms()) {
		conn_sync(c);
		return;
	}
	switch (kind) {
	case DL_REQUEST:
		conn_fail(c, 408);
		conn_sync(c);
		break;
	case DL_WRITE:
		log_debug(
		    "http", "write stalled, closing remote=%s", c->remote);
		if (c->srv->out_paused)
			c->srv->stats.conns_stalled++;
		conn_close(c);
		break;
	default:
		conn_close(c);
		break;
	}
}

/*
 * True when c may be closed to make room: no request in progress, no answer
 * owed or being written, still reading (a keep-alive connection between
 * requests, or a new one that has sent nothing yet).
 */
static int
conn_is_idle(const struct http_conn *c)
{
	return !c->closing && c->sink == NULL && !c->stop_parse && !c->eof &&
	       !c->lingering && !c->writing && c->cur == NULL &&
	       c->ready == NULL && c->npending == 0 && c->out.len == 0 &&
	       c->wbuf.len == 0 && c->inq.len == 0;
}

/*
 * Keeps srv->idle in the order connections became idle: one enters at the
 * tail when it becomes idle and leaves when it is busy again or closes.
 */
static void
conn_track_idle(struct http_conn *c)
{
	struct http_server *srv = c->srv;
	int idle = conn_is_idle(c);

	if (idle && !c->idle) {
		TAILQ_INSERT_TAIL(&srv->idle, c, ientry);
		c->idle = 1;
	} else if (!idle && c->idle) {
		TAILQ_REMOVE(&srv->idle, c, ientry);
		c->idle = 0;
	}
}

static void conn_sync_state(struct http_conn *);

/*
 * Brings reading, the half-close, the timer and the idle list in line with
 * the state. Called after every change.
 */
static void
conn_sync(struct http_conn *c)
{
	conn_sync_state(c);
	conn_track_idle(c);
}

static void
conn_sync_state(struct http_conn *c)
{
	const struct http_limits *l = &c->srv->limits;
	enum deadline_kind kind;
	int64_t when, now;
	int want, rc;

	if (c->closing || c->sink != NULL)
		return;
	if (c->eof && c->inq.len == 0 && !c->stop_parse) {
		/* The client sent all it will; a partial request is dropped. */
		txn_free(c->cur);
		c->cur = NULL;
		c->stop_parse = 1;
	}
	if (c->inq.len > 0 && !c->stop_parse &&
	    c->npending < l->max_pipelined && !out_full(c))
		conn_mark_dirty(c);
	if (c->stop_parse && !c->lingering && c->npending == 0 && !c->writing &&
	    c->out.len == 0) {
		/* Everything answered: close, lingering unless at EOF. */
		if (c->eof || c->srv->shutting_down) {
			conn_close(c);
			return;
		}
		c->lingering = 1;
		c->linger_ms = mono_ms();
		rc = uv_shutdown(&c->sreq, (uv_stream_t *)&c->tcp, on_shutdown);
		if (rc < 0) {
			conn_close(c);
			return;
		}
	}
	if (c->eof)
		want = 0;
	else if (c->lingering)
		want = 1;
	else
		want = !c->stop_parse && c->inq.len == 0 &&
		       c->npending < l->max_pipelined && !out_full(c);
	if (want && !c->reading) {
		rc = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
		if (rc < 0) {
			conn_close(c);
			return;
		}
		c->reading = 1;
	} else if (!want && c->reading) {
		uv_read_stop((uv_stream_t *)&c->tcp);
		c->reading = 0;
	}
	when = conn_deadline(c, &kind);
	if (kind == DL_NONE) {
		uv_timer_stop(&c->timer);
		return;
	}
	now = mono_ms();
	uv_timer_start(
	    &c->timer, on_timer, when > now ? (uint64_t)(when - now) : 0, 0);
}

static void
conn_release(struct http_conn *c)
{
	struct http_server *srv = c->srv;

	if (--c->nhandles > 0)
		return;
	TAILQ_REMOVE(&srv->conns, c, entry);
	srv->stats.conns_open--;
	buf_free(&c->out);
	buf_free(&c->wbuf);
	buf_free(&c->inq);
	free(c);
	srv_maybe_done(srv);
}

static void
on_tcp_close(uv_handle_t *h)
{
	conn_release(container_of(h, struct http_conn, tcp));
}

static void
on_timer_close(uv_handle_t *h)
{
	conn_release(container_of(h, struct http_conn, timer));
}

/*
 * Closes c: requests still with the handler are orphaned, the rest freed.
 * The memory goes in the close callbacks, so callers up the stack may
 * still look at c (c->closing is set).
 */
static void
conn_close(struct http_conn *c)
{
	struct http_txn *t;

	if (c->closing)
		return;
	/* Its answers go with it. */
	held_less(c, c->held);
	c->closing = 1;
	if (c->sink == NULL)
		c->srv->nlive--;
	if (c->dirty) {
		TAILQ_REMOVE(&c->srv->dirty, c, dentry);
		c->dirty = 0;
	}
	if (c->idle) {
		TAILQ_REMOVE(&c->srv->idle, c, ientry);
		c->idle = 0;
	}
	txn_free(c->cur);
	c->cur = NULL;
	txn_free(c->ready);
	c->ready = NULL;
	while ((t = TAILQ_FIRST(&c->txns)) != NULL) {
		TAILQ_REMOVE(&c->txns, t, entry);
		if (t->state == TXN_HANDLER) {
			/* Its answer will be dropped: no longer counted. */
			t->conn = NULL;
			c->srv->handling--;
		} else
			txn_free(t);
	}
	c->npending = 0;
	/* Fewer requests with the handler may end a pause. */
	srv_check_pause(c->srv);
	if (c->sink != NULL)
		return;
	uv_close((uv_handle_t *)&c->tcp, on_tcp_close);
	uv_close((uv_handle_t *)&c->timer, on_timer_close);
}

/* Allocates a connection of srv (no handles yet). */
static struct http_conn *
conn_new(struct http_server *srv)
{
	struct http_conn *c = xcalloc(1, sizeof(*c));

	c->srv = srv;
	TAILQ_INIT(&c->txns);
	http_parser_init(&c->parser, HTTP_REQUEST);
	c->parser.data = c;
	buf_init(&c->out, OUT_MAX);
	buf_init(&c->wbuf, OUT_MAX);
	buf_init(&c->inq, sizeof(srv->rbuf));
	c->opened_ms = c->active_ms = mono_ms();
	return c;
}

static void
conn_peer(struct http_conn *c)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);

	snprintf(c->remote, sizeof(c->remote), "?");
	if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) != 0)
		return;
	if (ss.ss_family == AF_INET)
		uv_ip4_name(
		    (struct sockaddr_in *)&ss, c->remote, sizeof(c->remote));
	else if (ss.ss_family == AF_INET6)
		uv_ip6_name(
		    (struct sockaddr_in6 *)&ss, c->remote, sizeof(c->remote));
}

/* True at most once every 10 s, so a flood does not flood the log. */
static int
warn_due(void)
{
	static int64_t last;
	int64_t now = mono_ms();

	if (last != 0 && now - last < 10000)
		return 0;
	last = now;
	return 1;
}

/*
 * Logs connection pressure at most once a minute, with what was shed and
 * refused since the last time.
 */
static void
srv_log_pressure(struct http_server *srv)
{
	int64_t now = mono_ms();

	if (srv->pressure_logged && now - srv->pressure_ms < PRESSURE_LOG_MS)
		return;
	srv->pressure_logged = 1;
	srv->pressure_ms = now;
	log_warn("http",
	    "connections short: idle ones closed, new ones refused "
	    "shed=%llu refused=%llu open=%u max=%u",
	    (unsigned long long)srv->shed_unlogged,
	    (unsigned long long)srv->refused_unlogged, srv->nlive,
	    srv->limits.max_conns);
	srv->shed_unlogged = 0;
	srv->refused_unlogged = 0;
}

/* Closes the connection idle the longest. Returns 0, or -1 if none is. */
static int
srv_shed_one(struct http_server *srv)
{
	struct http_conn *c = TAILQ_FIRST(&srv->idle);

	if (c == NULL)
		return -1;
	log_debug(
	    "http", "idle connection closed to make room remote=%s", c->remote);
	conn_close(c);
	srv->stats.conns_shed++;
	srv->shed_unlogged++;
	return 0;
}

/* True when the new connection c puts srv over its cap. */
static int
srv_over_cap(struct http_server *srv, struct http_conn *c)
{
	uv_os_fd_t fd;

	if (srv->nlive > srv->limits.max_conns)
		return 1;
	return srv->limits.fd_high > 0 &&
	       uv_fileno((uv_handle_t *)&c->tcp, &fd) == 0 &&
	       fd >= srv->limits.fd_high;
}

static void
on_connection(uv_stream_t *s, int status)
{
	struct http_server *srv = container_of(s, struct http_server, tcp);
	struct http_conn *c;
	int i;

	if (status == UV_EMFILE || status == UV_ENFILE) {
		/*
		 * Out of descriptors all the same (libuv closed the waiting
		 * connections): make room for the next ones.
		 */
		for (i = 0; i < SHED_ON_EMFILE; i++)
			if (srv_shed_one(srv) != 0)
				break;
		srv->stats.conns_refused++;
		srv->refused_unlogged++;
		srv_log_pressure(srv);
		return;
	}
	if (status < 0) {
		if (warn_due())
			log_warn("http", "accept failed error=%s",
			    uv_strerror(status));
		return;
	}
	c = conn_new(srv);
	uv_tcp_init(srv->loop, &c->tcp);
	uv_timer_init(srv->loop, &c->timer);
	c->nhandles = 2;
	TAILQ_INSERT_TAIL(&srv->conns, c, entry);
	srv->nlive++;
	srv->stats.conns_open++;
	srv->stats.conns_total++;
	if (uv_accept(s, (uv_stream_t *)&c->tcp) != 0) {
		conn_close(c);
		return;
	}
	conn_peer(c);
	if (srv->shutting_down) {
		conn_close(c);
		return;
	}
	if (srv_over_cap(srv, c)) {
		if (srv_shed_one(srv) != 0) {
			/*
			 * Nothing idle gives way: refuse the new one rather
			 * than starve the rest of the process of descriptors.
			 */
			srv->stats.conns_refused++;
			srv->refused_unlogged++;
			conn_close(c);
			srv_log_pressure(srv);
			return;
		}
		srv_log_pressure(srv);
	}
	uv_tcp_nodelay(&c->tcp, 1);
	conn_sync(c);
}

/*
 * Server
 */

int
http_server_init(struct http_server *srv, uv_loop_t *loop,
    const struct http_limits *limits, http_handler_cb handler, void *arg)
{
	int rc;

	memset(srv, 0, sizeof(*srv));
	if (limits != NULL)
		srv->limits = *limits;
	else
		http_limits_default(&srv->limits);
	if (srv->limits.max_pipelined == 0)
		srv->limits.max_pipelined = 1;
	srv->loop = loop;
	srv->handler = handler;
	srv->arg = arg;
	TAILQ_INIT(&srv->conns);
	TAILQ_INIT(&srv->dirty);
	TAILQ_INIT(&srv->idle);
	if ((rc = uv_tcp_init(loop, &srv->tcp)) != 0)
		return rc;
	uv_check_init(loop, &srv->flush);
	uv_idle_init(loop, &srv->wake);
	srv->tcp.data = srv;
	srv->flush.data = srv;
	srv->wake.data = srv;
	srv->handles_open = 3;
	return 0;
}

int
http_server_listen(struct http_server *srv, const char *addr)
{
	struct sockaddr_storage ss;
	char host[64];
	const char *hs, *he, *ps, *q;
	unsigned long port = 0;
	size_t hl;
	int rc;

	if (addr == NULL)
		return UV_EINVAL;
	if (addr[0] == '[') {
		hs = addr + 1;
		if ((he = strchr(hs, ']')) == NULL || he[1] != ':')
			return UV_EINVAL;
		ps = he + 2;
	} else {
		hs = addr;
		if ((he = strrchr(addr, ':')) == NULL)
			return UV_EINVAL;
		ps = he + 1;
		if (memchr(hs, ':', (size_t)(he - hs)) != NULL)
			return UV_EINVAL; /* IPv6 needs brackets */
	}
	if (*ps == '\0' || strlen(ps) > 5)
		return UV_EINVAL;
	for (q = ps; *q != '\0'; q++) {
		if (*q < '0' || *q > '9')
			return UV_EINVAL;
		port = port * 10 + (unsigned long)(*q - '0');
	}
	if (port > 65535)
		return UV_EINVAL;
	hl = (size_t)(he - hs);
	if (hl >= sizeof(host))
		return UV_EINVAL;
	memcpy(host, hs, hl);
	host[hl] = '\0';
	if (hl == 0 && addr[0] != '[')
		snprintf(host, sizeof(host), "0.0.0.0");
	else if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	if (uv_ip4_addr(host, (int)port, (struct sockaddr_in *)&ss) != 0 &&
	    uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)&ss) != 0)
		return UV_EINVAL;
	if (srv->bridge != NULL && srv->bridge->started)
		return UV_EBUSY;
	if ((rc = uv_tcp_bind(&srv->tcp, (struct sockaddr *)&ss, 0)) != 0)
		return rc;
	rc = uv_listen((uv_stream_t *)&srv->tcp, BACKLOG, on_connection);
	if (rc == 0 && srv->bridge != NULL)
		bridge_go(srv);
	return rc;
}

/* The port srv's socket is bound to, or -1. */
static int
tcp_port(struct http_server *srv)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);

	if (uv_tcp_getsockname(&srv->tcp, (struct sockaddr *)&ss, &len) != 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -1;
}

int
http_server_port(struct http_server *srv)
{
	/* A server on its thread: read before the thread ran. */
	if (srv->port != 0)
		return srv->port;
	return tcp_port(srv);
}

static void
on_srv_handle_close(uv_handle_t *h)
{
	struct http_server *srv = h->data;

	if (--srv->handles_open == 0 && srv->done != NULL)
		srv->done(srv);
}

/* Closes the server's own handles once the last connection is gone. */
static void
srv_maybe_done(struct http_server *srv)
{
	if (!srv->shutting_down || !TAILQ_EMPTY(&srv->conns) ||
	    srv->loop == NULL || srv->handles_closing)
		return;
	srv->handles_closing = 1;
	uv_close((uv_handle_t *)&srv->flush, on_srv_handle_close);
	uv_close((uv_handle_t *)&srv->wake, on_srv_handle_close);
}

static void
srv_shutdown(struct http_server *srv, http_done_cb done)
{
	struct http_conn *c, *next;

	if (srv->shutting_down)
		return;
	srv->shutting_down = 1;
	srv->done = done;
	uv_close((uv_handle_t *)&srv->tcp, on_srv_handle_close);
	for (c = TAILQ_FIRST(&srv->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->closing)
			continue;
		if (c->lingering ||
		    (c->npending == 0 && !c->writing && c->out.len == 0)) {
			conn_close(c);
			continue;
		}
		/* In flight: answer what the handler has, then close. */
		txn_free(c->cur);
		c->cur = NULL;
		c->stop_parse = 1;
		buf_free(&c->inq);
		conn_sync(c);
	}
	srv_maybe_done(srv);
}

static void
srv_set_cap(struct http_server *srv, unsigned max_conns, int fd_high)
{
	if (max_conns > 0)
		srv->limits.max_conns = max_conns;
	srv->limits.fd_high = fd_high > 0 ? fd_high : 0;
}

void
http_server_set_json_errors(struct http_server *srv, const char *prefix)
{
	if (srv->bridge != NULL && srv->bridge->started) {
		log_error("http", "JSON refusals set after the thread started");
		return;
	}
	snprintf(srv->json_prefix, sizeof(srv->json_prefix), "%s",
	    prefix != NULL ? prefix : "");
}

int
http_server_set_headers(struct http_server *srv, const char *headers)
{
	const char *p;
	size_t n;

	if (srv->bridge != NULL && srv->bridge->started)
		return -1;
	if (headers == NULL)
		headers = "";
	if ((n = strlen(headers)) >= sizeof(srv->common))
		return -1;
	/* Whole lines only: a stray CR or LF would end the header early. */
	for (p = headers; *p != '\0'; p++) {
		if (*p == '\r' && p[1] != '\n')
			return -1;
		if (*p == '\n' && (p == headers || p[-1] != '\r'))
			return -1;
		if (*p == '\n' && (p == headers + 1 || p[-2] == '\n'))
			return -1;
	}
	if (n > 0 && headers[n - 1] != '\n')
		return -1;
	memcpy(srv->common, headers, n + 1);
	return 0;
}

void
http_server_set_prepare(
    struct http_server *srv, http_handler_cb prepare, void *arg)
{
	if (srv->bridge != NULL && srv->bridge->started) {
		log_error("http", "prepare set after the thread started");
		return;
	}
	srv->prepare = prepare;
	srv->prepare_arg = arg;
}

void
http_server_stats(const struct http_server *srv, struct http_stats *st)
{
	struct http_bridge *b = srv->bridge;

	if (b == NULL) {
		*st = srv->stats;
		return;
	}
	uv_mutex_lock(&b->mu);
	*st = b->sh_stats;
	uv_mutex_unlock(&b->mu);
}

void
http_respond(struct http_request *req, int status, const char *content_type,
    const void *body, size_t len)
{
	http_respond_ex(req, status, content_type, NULL, body, len);
}

/* Gives t its answer on the server's loop: formatted, then due in turn. */
static void
txn_answer(struct http_txn *t, int status, const char *content_type,
    const char *extra, const void *body, size_t len)
{
	struct http_conn *c = t->conn;
	int close;

	if (c == NULL) {
		/* The client is gone; the answer has nowhere to go. */
		txn_free(t);
		return;
	}
	/* The last answer before the connection stops carries the close. */
	close = !t->keep_alive ||
		(c->stop_parse && t == TAILQ_LAST(&c->txns, txn_list));
	txn_format(t, c->srv, status, content_type, extra, body, len, close);
	t->state = TXN_ANSWERED;
	c->srv->handling--;
	held_more(c, t->resp.len);
	srv_check_pause(c->srv);
	c->srv->stats.requests_total++;
	conn_advance(c);
}

static void bridge_answer(
    struct http_txn *, int, const char *, const char *, const void *, size_t);

void
http_respond_ex(struct http_request *req, int status, const char *content_type,
    const char *extra, const void *body, size_t len)
{
	struct http_txn *t = container_of(req, struct http_txn, req);

	if (t->bridge != NULL) {
		bridge_answer(t, status, content_type, extra, body, len);
		return;
	}
	/* Catches a second answer while the first still waits its turn. */
	if (t->state != TXN_HANDLER) {
		log_error("http", "request answered twice");
		return;
	}
	txn_answer(t, status, content_type, extra, body, len);
}

/*
 * The server on a thread of its own
 */

/* Appends t to the list head..tail. */
static void
tl_append(struct http_txn **head, struct http_txn **tail, struct http_txn *t)
{
	t->bnext = NULL;
	if (*tail != NULL)
		(*tail)->bnext = t;
	else
		*head = t;
	*tail = t;
}

/* Moves the list from..ftail to the end of head..tail. */
static void
tl_splice(struct http_txn **head, struct http_txn **tail,
    struct http_txn **from, struct http_txn **ftail)
{
	if (*from == NULL)
		return;
	if (*tail != NULL)
		(*tail)->bnext = *from;
	else
		*head = *from;
	*tail = *ftail;
	*from = *ftail = NULL;
}

static void
tl_free(struct http_txn *t)
{
	struct http_txn *next;

	for (; t != NULL; t = next) {
		next = t->bnext;
		txn_free(t);
	}
}

static void
bridge_unref(struct http_bridge *b)
{
	if (--b->refs > 0)
		return;
	uv_mutex_destroy(&b->mu);
	uv_sem_destroy(&b->go);
	free(b);
}

/* The thread's side ------------------------------------------------------ */

/* The server's handler on the thread: the request waits for the turn's end. */
static void
io_on_request(struct http_request *req, void *arg)
{
	struct http_bridge *b = arg;

	tl_append(&b->req_head, &b->req_tail,
	    container_of(req, struct http_txn, req));
}

/* Hands this turn's requests and counters over (with last: the very last). */
static void
io_publish(struct http_bridge *b, int last)
{
	int changed = memcmp(&b->seen, &b->srv->stats, sizeof(b->seen)) != 0;

	if (b->req_head == NULL && !changed && !last)
		return;
	uv_mutex_lock(&b->mu);
	if (changed)
		b->sh_stats = b->seen = b->srv->stats;
	if (b->req_head != NULL || last) {
		tl_splice(&b->sh_req_head, &b->sh_req_tail, &b->req_head,
		    &b->req_tail);
		if (last)
			b->sh_done = 1;
		/* Under the lock: once done is seen, owner_async may close. */
		uv_async_send(&b->owner_async);
	}
	uv_mutex_unlock(&b->mu);
}

static void
io_on_prep(uv_prepare_t *h)
{
	io_publish(h->data, 0);
}

static void
io_on_check(uv_check_t *h)
{
	io_publish(h->data, 0);
}

/* Closes the bridge's handles on the thread's loop. */
static void
io_close(struct http_bridge *b)
{
	uv_close((uv_handle_t *)&b->io_async, NULL);
	uv_close((uv_handle_t *)&b->io_prep, NULL);
	uv_close((uv_handle_t *)&b->io_check, NULL);
}

static void
io_on_srv_done(struct http_server *srv)
{
	struct http_bridge *b = srv->bridge;

	io_publish(b, 1);
	io_close(b);
}

static void
io_on_async(uv_async_t *h)
{
	struct http_bridge *b = h->data;
	struct http_txn *t, *next;
	struct http_staged *st;
	unsigned max_conns = 0;
	int stop, cap, fd_high = 0;

	uv_mutex_lock(&b->mu);
	t = b->sh_ans_head;
	b->sh_ans_head = b->sh_ans_tail = NULL;
	stop = b->sh_stop;
	if ((cap = b->sh_cap) != 0) {
		max_conns = b->sh_max_conns;
		fd_high = b->sh_fd_high;
		b->sh_cap = 0;
	}
	uv_mutex_unlock(&b->mu);
	/* A cap before the answers given after it. */
	if (cap)
		srv_set_cap(b->srv, max_conns, fd_high);
	for (; t != NULL; t = next) {
		next = t->bnext;
		st = t->staged;
		t->staged = NULL;
		txn_answer(
		    t, st->status, st->ctype, st->extra, st->data, st->len);
		free(st);
	}
	if (stop && !b->io_stopping) {
		b->io_stopping = 1;
		srv_shutdown(b->srv, io_on_srv_done);
	}
}

static void
io_run(void *arg)
{
	struct http_bridge *b = arg;

#ifdef __linux__
	/* Named for top -H and bench/e2e's share of each thread. */
	(void)pthread_setname_np(pthread_self(), "baraza-http");
#endif
	uv_sem_wait(&b->go);
	uv_run(&b->loop, UV_RUN_DEFAULT);
}

/* Lets the thread run: srv listens, or is being shut down. */
static void
bridge_go(struct http_server *srv)
{
	struct http_bridge *b = srv->bridge;

	if (b->started)
		return;
	b->started = 1;
	if (srv->port == 0)
		srv->port = tcp_port(srv);
	uv_sem_post(&b->go);
}

/* The owner's side ------------------------------------------------------- */

/* Hands this turn's answers to the thread, or frees them once it ended. */
static void
owner_flush(struct http_bridge *b)
{
	struct http_txn *left = NULL;

	if (b->ans_head == NULL)
		return;
	uv_mutex_lock(&b->mu);
	if (!b->sh_done) {
		tl_splice(&b->sh_ans_head, &b->sh_ans_tail, &b->ans_head,
		    &b->ans_tail);
		/* Not done: io_async is open. */
		uv_async_send(&b->io_async);
	} else
		left = b->ans_head;
	uv_mutex_unlock(&b->mu);
	b->ans_head = b->ans_tail = NULL;
	/* Every connection is closed: these were orphans. */
	tl_free(left);
}

static void
owner_on_prep(uv_prepare_t *h)
{
	owner_flush(h->data);
}

static void
owner_on_check(uv_check_t *h)
{
	owner_flush(h->data);
}

static void
owner_on_closed(uv_handle_t *h)
{
	struct http_bridge *b = h->data;
	struct http_server *srv = b->srv;
	http_done_cb done = b->done;

	if (--b->owner_handles > 0)
		return;
	bridge_unref(b);
	if (done != NULL)
		done(srv);
}

static void
owner_close(struct http_bridge *b)
{
	uv_close((uv_handle_t *)&b->owner_async, owner_on_closed);
	uv_close((uv_handle_t *)&b->owner_prep, owner_on_closed);
	uv_close((uv_handle_t *)&b->owner_check, owner_on_closed);
}

static void
owner_on_async(uv_async_t *h)
{
	struct http_bridge *b = h->data;
	struct http_txn *t, *next, *left;
	int done;

	uv_mutex_lock(&b->mu);
	t = b->sh_req_head;
	b->sh_req_head = b->sh_req_tail = NULL;
	done = b->sh_done;
	uv_mutex_unlock(&b->mu);
	for (; t != NULL; t = next) {
		next = t->bnext;
		b->refs++;
		b->handler(&t->req, b->arg);
	}
	if (!done || b->joined)
		return;
	b->joined = 1;
	uv_thread_join(&b->thread);
	/* Answers the thread did not take: orphans, as in owner_flush. */
	left = b->sh_ans_head;
	b->sh_ans_head = b->sh_ans_tail = NULL;
	tl_free(left);
	owner_flush(b);
	(void)uv_loop_close(&b->loop);
	/* From now on the counters are the server's own again. */
	b->srv->stats = b->sh_stats;
	b->srv->bridge = NULL;
	owner_close(b);
}

/* An answer on the owner's loop: staged for the thread's next turn. */
static void
bridge_answer(struct http_txn *t, int status, const char *ctype,
    const char *extra, const void *body, size_t len)
{
	struct http_bridge *b = t->bridge;
	size_t nc = ctype != NULL ? strlen(ctype) + 1 : 0;
	size_t ne = extra != NULL ? strlen(extra) + 1 : 0;
	struct http_staged *st;

	if (t->owner_answered) {
		log_error("http", "request answered twice");
		return;
	}
	t->owner_answered = 1;
	if (b->joined) {
		/* The server is gone, and the client with it. */
		txn_free(t);
		bridge_unref(b);
		return;
	}
	st = xmalloc(sizeof(*st) + len + nc + ne);
	st->status = status;
	st->len = len;
	if (len > 0)
		memcpy(st->data, body, len);
	st->ctype = nc ? memcpy(st->data + len, ctype, nc) : NULL;
	st->extra = ne ? memcpy(st->data + len + nc, extra, ne) : NULL;
	t->staged = st;
	tl_append(&b->ans_head, &b->ans_tail, t);
	/* The thread owns it again; the server's own reference remains. */
	b->refs--;
}

/* Closes what init made on the thread's loop, never run, and the loop. */
static void
io_close_unrun(struct http_bridge *b)
{
	srv_shutdown(b->srv, NULL);
	io_close(b);
	uv_run(&b->loop, UV_RUN_DEFAULT);
	(void)uv_loop_close(&b->loop);
}

int
http_server_init_thread(struct http_server *srv, uv_loop_t *owner,
    const struct http_limits *limits, http_handler_cb handler, void *arg)
{
	struct http_bridge *b = xcalloc(1, sizeof(*b));
	int rc;

	memset(srv, 0, sizeof(*srv));
	if ((rc = uv_mutex_init(&b->mu)) != 0) {
		free(b);
		return rc;
	}
	if ((rc = uv_sem_init(&b->go, 0)) != 0) {
		uv_mutex_destroy(&b->mu);
		free(b);
		return rc;
	}
	b->refs = 1;
	if ((rc = uv_loop_init(&b->loop)) != 0) {
		bridge_unref(b);
		return rc;
	}
	if ((rc = http_server_init(srv, &b->loop, limits, io_on_request, b)) !=
	    0) {
		(void)uv_loop_close(&b->loop);
		bridge_unref(b);
		return rc;
	}
	b->srv = srv;
	b->handler = handler;
	b->arg = arg;
	b->owner = owner;
	uv_async_init(&b->loop, &b->io_async, io_on_async);
	uv_prepare_init(&b->loop, &b->io_prep);
	uv_check_init(&b->loop, &b->io_check);
	b->io_async.data = b->io_prep.data = b->io_check.data = b;
	uv_prepare_start(&b->io_prep, io_on_prep);
	uv_check_start(&b->io_check, io_on_check);
	uv_unref((uv_handle_t *)&b->io_prep);
	uv_unref((uv_handle_t *)&b->io_check);
	if ((rc = uv_async_init(owner, &b->owner_async, owner_on_async)) != 0) {
		io_close_unrun(b);
		bridge_unref(b);
		return rc;
	}
	uv_prepare_init(owner, &b->owner_prep);
	uv_check_init(owner, &b->owner_check);
	b->owner_async.data = b->owner_prep.data = b->owner_check.data = b;
	b->owner_handles = 3;
	if ((rc = uv_thread_create(&b->thread, io_run, b)) != 0) {
		io_close_unrun(b);
		owner_close(b);
		return rc;
	}
	uv_prepare_start(&b->owner_prep, owner_on_prep);
	uv_check_start(&b->owner_check, owner_on_check);
	uv_unref((uv_handle_t *)&b->owner_prep);
	uv_unref((uv_handle_t *)&b->owner_check);
	/* Only then does srv say it is on a thread. */
	srv->bridge = b;
	return 0;
}

void
http_server_shutdown(struct http_server *srv, http_done_cb done)
{
	struct http_bridge *b = srv->bridge;

	if (b == NULL) {
		srv_shutdown(srv, done);
		return;
	}
	if (b->stopping)
		return;
	b->stopping = 1;
	b->done = done;
	owner_flush(b);
	uv_mutex_lock(&b->mu);
	b->sh_stop = 1;
	/* Under the lock: the thread closes io_async once it has stopped. */
	uv_async_send(&b->io_async);
	uv_mutex_unlock(&b->mu);
	bridge_go(srv);
}

void
http_server_set_cap(struct http_server *srv, unsigned max_conns, int fd_high)
{
	struct http_bridge *b = srv->bridge;

	if (b == NULL || !b->started) {
		srv_set_cap(srv, max_conns, fd_high);
		return;
	}
	if (b->stopping)
		return;
	uv_mutex_lock(&b->mu);
	b->sh_cap = 1;
	b->sh_max_conns = max_conns;
	b->sh_fd_high = fd_high;
	uv_async_send(&b->io_async);
	uv_mutex_unlock(&b->mu);
}

size_t
http_parse_buffer(const struct http_limits *limits, const void *data,
    size_t len, size_t chunk, http_handler_cb handler, void *arg,
    struct buf *out)
{
	struct http_server *srv = xcalloc(1, sizeof(*srv));
	struct http_conn *c;
	const char *p = data;
	size_t off = 0, n, piece, nreq;

	if (limits != NULL)
		srv->limits = *limits;
	else
		http_limits_default(&srv->limits);
	if (srv->limits.max_pipelined == 0)
		srv->limits.max_pipelined = 1;
	srv->handler = handler;
	srv->arg = arg;
	TAILQ_INIT(&srv->conns);
	TAILQ_INIT(&srv->dirty);
	TAILQ_INIT(&srv->idle);
	c = conn_new(srv);
	c->sink = out;
	snprintf(c->remote, sizeof(c->remote), "127.0.0.1");
	if (chunk == 0)
		chunk = len ? len : 1;
	while (off < len && !c->closing && !c->stop_parse) {
		piece = len - off < chunk ? len - off : chunk;
		if (c->inq.len > 0) {
			if (buf_append(&c->inq, p + off, piece) == -1)
				break;
		} else {
			n = conn_feed(c, p + off, piece);
			conn_hold(c, p + off + n, piece - n);
		}
		off += piece;
		/* What the flush does at the end of a loop turn. */
		while (!c->closing) {
			size_t before = c->inq.len;

			if (c->dirty) {
				TAILQ_REMOVE(&srv->dirty, c, dentry);
				c->dirty = 0;
			}
			conn_feed_held(c);
			conn_write(c);
			if (c->inq.len == 0 || c->inq.len == before)
				break;
		}
	}
	if (!c->closing)
		conn_write(c);
	nreq = (size_t)c->nrequests;
	/* End of input: as a disconnect. */
	conn_close(c);
	buf_free(&c->out);
	buf_free(&c->wbuf);
	buf_free(&c->inq);
	free(c);
	free(srv);
	return nreq;
}
