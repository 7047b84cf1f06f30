/*
 * bare.c: the floor bench/e2e measures baraza against. A libuv +
 * http-parser + SQLite program that does, per inbound SMS webhook, only
 * what the gateway must do, and nothing else:
 *
 *   - parse an HTTP/1.1 POST /hooks/web/sms (keep-alive, pipelining
 *     answered in order), check its X-Baraza-Signature when a key is given
 *     (HMAC-SHA256 of "UNIX.BODY", UNIX within 300 s), take "id", "from"
 *     and "text" from the JSON body (a scan for three string fields, not a
 *     JSON parser);
 *   - insert the message row, and for "PING rest" the reply row "PONG
 *     rest", into a WAL database with synchronous = FULL, one transaction
 *     per loop turn: BEGIN IMMEDIATE at the turn's first request, COMMIT
 *     (and so the fsync) in a uv_prepare_t before the loop sleeps; a
 *     provider retry of a stored id is answered and not stored again;
 *   - answer 200 {"id": N} only after that commit;
 *   - send each committed reply as the generic http channel does (POST
 *     JSON {"id","to","text"}, signed) over a pool of --pool keep-alive
 *     uv_tcp_t connections, one request in flight on each (the gateway's
 *     libcurl uses 64 per host, no pipelining), and mark the sent ones in
 *     a batch, in the next turn's transaction.
 *
 * No contacts, no sessions, no flow engine, no claim before a send (a
 * crash between a send and its mark sends it again: at least once).
 *
 *   bare --port-file FILE --db FILE --provider HOST:PORT [--path PATH]
 *       [--signing-key KEY] [--pool N]
 *
 * It listens on 127.0.0.1 on a free port, written to the port file (a
 * temporary file, then a rename). On SIGTERM or SIGINT it commits what is
 * open, prints its counters on stderr and exits 0.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <time.h>

#include <http_parser.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sqlite3.h>
#include <uv.h>

/* Limits on what a client sends, as the gateway's (interfaces.md "HTTP"). */
#define BODY_MAX (64 * 1024)
#define HEAD_MAX (8 * 1024)
#define URL_MAX 256
/* Inbound connections at once; more are closed at once. */
#define CONNS_MAX 4096
/*
 * Keep-alive connections to the provider: as many as the gateway opens to
 * the host of a channel whose rate is 128/s or more, the benches' (its
 * requests in flight, gateway/dispatch.h DISPATCH_INFLIGHT_CAP), unless
 * --pool says otherwise.
 */
#define POOL_DEFAULT 128
#define POOL_MAX 256
/* A lost provider connection is opened again after this long. */
#define RECONNECT_MS 100
/* A reply the provider refuses is tried this many times, then dropped. */
#define ATTEMPTS_MAX 5
/* Signatures older or newer than this many seconds are refused. */
#define SIG_SKEW 300
/* The value of X-Baraza-Signature: "t=" 20 digits ",sha256=" 64 hex. */
#define SIG_MAX 128

#define container_of(p, type, member) \
	((type *)(void *)((char *)(p)-offsetof(type, member)))

struct bare;

/* One inbound client connection. */
struct conn {
	uv_tcp_t tcp;            /* the client's connection */
	http_parser parser;      /* HTTP_REQUEST */
	struct bare *bare;       /* owner */
	char url[URL_MAX];       /* request target */
	size_t url_len;          /* bytes in url */
	char field[32];          /* the header name being read */
	size_t field_len;        /* bytes in field */
	int in_value;            /* the last callback was a header value */
	char sig[SIG_MAX];       /* X-Baraza-Signature */
	size_t sig_len;          /* bytes in sig */
	char *body;              /* BODY_MAX + 1 bytes, owned */
	size_t body_len;         /* bytes in body */
	size_t head_len;         /* bytes of url and headers */
	int too_big;             /* the body or head passed its maximum */
	int nrefs;               /* answers waiting for this connection */
	int closed;              /* its handle is closed */
	int closing;             /* uv_close was called */
	TAILQ_ENTRY(conn) entry; /* in bare->conns */
};

/* An answer written once the turn's transaction is committed. */
struct answer {
	struct conn *conn;         /* where it goes, referenced */
	int status;                /* 200, 400, 403, 404 or 413 */
	int close;                 /* close the connection once written */
	int64_t id;                /* the stored message's id */
	TAILQ_ENTRY(answer) entry; /* in bare->answers */
};

/* A reply row to send. */
struct reply {
	int64_t id;               /* its row */
	char *phone;              /* inside the allocation */
	char *text;               /* inside the allocation */
	int attempts;             /* refusals so far */
	TAILQ_ENTRY(reply) entry; /* in bare->fresh or bare->queue */
};

TAILQ_HEAD(reply_list, reply);

/* A write of one buffer, freed when done. */
struct wbuf {
	uv_write_t req;    /* the write */
	struct conn *conn; /* closed after it when set */
	size_t len;        /* bytes in data */
	char data[];       /* the bytes */
};

/* One keep-alive connection to the provider. */
struct out {
	uv_tcp_t tcp;       /* to the provider */
	uv_connect_t creq;  /* connecting */
	uv_timer_t retry;   /* reconnects after RECONNECT_MS */
	http_parser parser; /* HTTP_RESPONSE */
	struct bare *bare;  /* owner */
	struct reply *cur;  /* in flight, owned, or NULL */
	int connected;      /* tcp is connected */
	int open;           /* tcp is initialized and not closed */
	int done;           /* cur's answer is complete */
	int keepalive;      /* the answer keeps the connection */
};

struct bare {
	uv_loop_t *loop;              /* the default loop */
	uv_tcp_t listener;            /* 127.0.0.1:0 */
	uv_prepare_t prepare;         /* commits the turn */
	uv_signal_t sigterm;          /* clean exit */
	uv_signal_t sigint;           /* clean exit */
	http_parser_settings req_cb;  /* inbound parser callbacks */
	http_parser_settings resp_cb; /* provider answer callbacks */
	sqlite3 *db;                  /* the database */
	sqlite3_stmt *begin;          /* BEGIN IMMEDIATE */
	sqlite3_stmt *commit;         /* COMMIT */
	sqlite3_stmt *ins_in;         /* inbound row */
	sqlite3_stmt *ins_out;        /* reply row */
	sqlite3_stmt *dup;            /* the id of a stored provider id */
	sqlite3_stmt *mark;           /* a reply is sent */
	int in_txn;                   /* a transaction is open */
	int64_t turn_ms;              /* wall clock at the turn's BEGIN */
	TAILQ_HEAD(, conn) conns;     /* open inbound connections */
	unsigned nconns;              /* entries in conns */
	TAILQ_HEAD(, answer) answers; /* written after the commit */
	struct reply_list fresh;      /* stored this turn, not committed */
	struct reply_list queue;      /* committed, waiting for a sender */
	int64_t *sent;                /* sent ids to mark, owned */
	size_t nsent;                 /* entries in sent */
	size_t sent_cap;              /* room in sent */
	struct out pool[POOL_MAX];    /* provider connections */
	int npool;                    /* of them in use */
	struct sockaddr_in provider;  /* its address */
	const char *host;             /* its HOST:PORT, for Host */
	const char *path;             /* its path */
	const char *key;              /* signing key or NULL */
	char rbuf[64 * 1024];         /* every read lands here */
	/* "UNIX.BODY" to sign; an outbound BODY is under BODY_MAX + 128. */
	char scratch[BODY_MAX + 256];
	uint64_t received;   /* messages stored */
	uint64_t duplicates; /* provider retries answered */
	uint64_t refused;    /* webhooks answered non-200 */
	uint64_t delivered;  /* replies the provider took */
	uint64_t dropped;    /* replies given up */
	uint64_t commits;    /* transactions committed */
};

static void out_next(struct out *);
static void out_connect(struct out *);

static void *
xmalloc(size_t n)
{
	void *p = malloc(n);

	if (p == NULL) {
		fprintf(stderr, "bare: out of memory\n");
		exit(1);
	}
	return p;
}

static void
fatal_db(struct bare *b, const char *what)
{
	fprintf(stderr, "bare: %s: %s\n", what, sqlite3_errmsg(b->db));
	exit(1);
}

static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Signatures
 */

static void
hex(const unsigned char *md, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[2 * n] = '\0';
}

/* HEX of the HMAC-SHA256 of "t.body" into out (65 bytes). */
static void
sign_hex(struct bare *b, long long t, const char *body, size_t len, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int n;

	n = snprintf(b->scratch, sizeof(b->scratch), "%lld.", t);
	memcpy(b->scratch + n, body, len);
	HMAC(EVP_sha256(), b->key, (int)strlen(b->key),
	    (unsigned char *)b->scratch, (size_t)n + len, md, &mdlen);
	hex(md, mdlen, out);
}

/* 0 when sig is "t=UNIX,sha256=HEX" for body at this clock, else -1. */
static int
sig_check(struct bare *b, const char *sig, const char *body, size_t len)
{
	char want[65];
	long long t, now = wall_ms() / 1000;
	char *end;

	if (strncmp(sig, "t=", 2) != 0)
		return -1;
	errno = 0;
	t = strtoll(sig + 2, &end, 10);
	if (errno != 0 || end == sig + 2 || strncmp(end, ",sha256=", 8) != 0 ||
	    strlen(end + 8) != 64 || t < now - SIG_SKEW || t > now + SIG_SKEW)
		return -1;
	sign_hex(b, t, body, len, want);
	return CRYPTO_memcmp(want, end + 8, 64) == 0 ? 0 : -1;
}

/*
 * The body: the string values of three fields.
 */

/*
 * Finds the string value of "name" in the JSON object s: *val points into
 * s, escapes left as they are (so it goes back into JSON unchanged). 0, or
 * -1 when absent or not a string.
 */
static int
field(
    const char *s, size_t len, const char *name, const char **val, size_t *vlen)
{
	size_t nl = strlen(name), i = 0, j;

	while (i + nl + 2 < len) {
		if (s[i] == '"' && memcmp(s + i + 1, name, nl) == 0 &&
		    s[i + 1 + nl] == '"') {
			j = i + nl + 2;
			while (j < len && (s[j] == ' ' || s[j] == '\t'))
				j++;
			if (j < len && s[j] == ':') {
				j++;
				while (j < len && (s[j] == ' ' || s[j] == '\t'))
					j++;
				if (j >= len || s[j] != '"')
					return -1;
				*val = s + ++j;
				while (j < len && s[j] != '"')
					j += s[j] == '\\' ? 2 : 1;
				if (j >= len)
					return -1;
				*vlen = (size_t)(s + j - *val);
				return 0;
			}
		}
		i++;
	}
	return -1;
}

/*
 * The store
 */

static sqlite3_stmt *
prepare(struct bare *b, const char *sql)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v3(b->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
		NULL) != SQLITE_OK)
		fatal_db(b, sql);
	return st;
}

static void
step_done(struct bare *b, sqlite3_stmt *st, const char *what)
{
	if (sqlite3_step(st) != SQLITE_DONE)
		fatal_db(b, what);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static void
txn_begin(struct bare *b)
{
	if (b->in_txn)
		return;
	step_done(b, b->begin, "BEGIN");
	b->in_txn = 1;
	b->turn_ms = wall_ms();
}

/* A reply of phone and text, copied. */
static struct reply *
reply_new(
    int64_t id, const char *phone, size_t plen, const char *text, size_t tlen)
{
	struct reply *r = xmalloc(sizeof(*r) + plen + tlen + 2);

	r->id = id;
	r->attempts = 0;
	r->phone = (char *)(r + 1);
	memcpy(r->phone, phone, plen);
	r->phone[plen] = '\0';
	r->text = r->phone + plen + 1;
	memcpy(r->text, text, tlen);
	r->text[tlen] = '\0';
	return r;
}

static void
db_open(struct bare *b, const char *path)
{
	static const char schema[] =
	    "PRAGMA journal_mode = WAL;"
	    "PRAGMA synchronous = FULL;"
	    "PRAGMA busy_timeout = 5000;"
	    "CREATE TABLE IF NOT EXISTS messages ("
	    " id INTEGER PRIMARY KEY, direction TEXT NOT NULL,"
	    " ext_id TEXT, phone TEXT NOT NULL, text TEXT NOT NULL,"
	    " state TEXT NOT NULL, created INTEGER NOT NULL,"
	    " updated INTEGER NOT NULL);"
	    "CREATE UNIQUE INDEX IF NOT EXISTS messages_ext ON messages "
	    "(ext_id)"
	    " WHERE ext_id IS NOT NULL;";
	struct reply *r;
	sqlite3_stmt *st;

	if (sqlite3_open(path, &b->db) != SQLITE_OK)
		fatal_db(b, path);
	if (sqlite3_exec(b->db, schema, NULL, NULL, NULL) != SQLITE_OK)
		fatal_db(b, "schema");
	b->begin = prepare(b, "BEGIN IMMEDIATE");
	b->commit = prepare(b, "COMMIT");
	b->ins_in = prepare(b,
	    "INSERT INTO messages (direction, ext_id, phone, text, state,"
	    " created, updated) VALUES ('in', ?1, ?2, ?3, 'received', ?4, ?4)"
	    " ON CONFLICT DO NOTHING");
	b->ins_out = prepare(b,
	    "INSERT INTO messages (direction, phone, text, state, created,"
	    " updated) VALUES ('out', ?1, ?2, 'queued', ?3, ?3)");
	b->dup = prepare(b, "SELECT id FROM messages WHERE ext_id = ?1");
	b->mark = prepare(b,
	    "UPDATE messages SET state = 'sent', updated = ?2 WHERE id = ?1");

	/* Replies committed but not sent before a restart go out now. */
	st = prepare(b, "SELECT id, phone, text FROM messages"
			" WHERE direction = 'out' AND state = 'queued'"
			" ORDER BY id");
	while (sqlite3_step(st) == SQLITE_ROW) {
		/* Not inside TAILQ_INSERT_TAIL: it uses its element twice. */
		r = reply_new(sqlite3_column_int64(st, 0),
		    (const char *)sqlite3_column_text(st, 1),
		    (size_t)sqlite3_column_bytes(st, 1),
		    (const char *)sqlite3_column_text(st, 2),
		    (size_t)sqlite3_column_bytes(st, 2));
		TAILQ_INSERT_TAIL(&b->queue, r, entry);
	}
	sqlite3_finalize(st);
}

/*
 * Inbound connections
 */

static void
conn_unref(struct conn *c)
{
	if (--c->nrefs == 0 && c->closed) {
		free(c->body);
		free(c);
	}
}

static void
on_conn_close(uv_handle_t *h)
{
	struct conn *c = container_of(h, struct conn, tcp);

	c->closed = 1;
	c->nrefs++;
	conn_unref(c);
}

static void
conn_close(struct conn *c)
{
	if (c->closing)
		return;
	c->closing = 1;
	TAILQ_REMOVE(&c->bare->conns, c, entry);
	c->bare->nconns--;
	uv_close((uv_handle_t *)&c->tcp, on_conn_close);
}

static void
on_write(uv_write_t *req, int status)
{
	struct wbuf *w = container_of(req, struct wbuf, req);

	if (w->conn != NULL) {
		conn_close(w->conn);
		conn_unref(w->conn);
	}
	free(w);
}

static void
answer_write(struct answer *a)
{
	struct conn *c = a->conn;
	struct wbuf *w;
	const char *reason;
	char body[48];
	uv_buf_t buf;
	int blen;

	if (c->closing)
		return;
	switch (a->status) {
	case 200:
		reason = "OK";
		break;
	case 403:
		reason = "Forbidden";
		break;
	case 404:
		reason = "Not Found";
		break;
	case 413:
		reason = "Payload Too Large";
		break;
	default:
		reason = "Bad Request";
		break;
	}
	if (a->status == 200)
		blen = snprintf(
		    body, sizeof(body), "{\"id\": %lld}", (long long)a->id);
	else
		blen =
		    snprintf(body, sizeof(body), "{\"error\": \"%s\"}", reason);
	w = xmalloc(sizeof(*w) + 256);
	w->conn = NULL;
	w->len = (size_t)snprintf(w->data, 256,
	    "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
	    "Content-Length: %d\r\n%s\r\n%s",
	    a->status, reason, blen, a->close ? "Connection: close\r\n" : "",
	    body);
	if (a->close) {
		w->conn = c;
		c->nrefs++;
	}
	buf = uv_buf_init(w->data, (unsigned int)w->len);
	if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &buf, 1, on_write) != 0) {
		if (w->conn != NULL)
			conn_unref(c);
		free(w);
		conn_close(c);
	}
}

/* Queues the answer of the request just parsed on c. */
static void
answer_queue(struct conn *c, int status, int64_t id, int close)
{
	struct answer *a = xmalloc(sizeof(*a));

	a->conn = c;
	a->status = status;
	a->id = id;
	a->close = close;
	c->nrefs++;
	TAILQ_INSERT_TAIL(&c->bare->answers, a, entry);
	if (status != 200)
		c->bare->refused++;
}

/* Stores the message of a parsed webhook; returns its answer's status. */
static int
store(struct conn *c, int64_t *id)
{
	struct bare *b = c->bare;
	const char *ext, *from, *text;
	size_t elen, flen, tlen;
	struct reply *r;

	if (field(c->body, c->body_len, "id", &ext, &elen) == -1 ||
	    field(c->body, c->body_len, "from", &from, &flen) == -1 ||
	    field(c->body, c->body_len, "text", &text, &tlen) == -1 ||
	    elen == 0 || flen == 0)
		return 400;
	txn_begin(b);
	sqlite3_bind_text(b->ins_in, 1, ext, (int)elen, SQLITE_STATIC);
	sqlite3_bind_text(b->ins_in, 2, from, (int)flen, SQLITE_STATIC);
	sqlite3_bind_text(b->ins_in, 3, text, (int)tlen, SQLITE_STATIC);
	sqlite3_bind_int64(b->ins_in, 4, b->turn_ms);
	step_done(b, b->ins_in, "insert inbound");
	if (sqlite3_changes(b->db) == 0) {
		/* A provider retry: answered with the stored id. */
		sqlite3_bind_text(b->dup, 1, ext, (int)elen, SQLITE_STATIC);
		*id = sqlite3_step(b->dup) == SQLITE_ROW
			  ? sqlite3_column_int64(b->dup, 0)
			  : 0;
		sqlite3_reset(b->dup);
		sqlite3_clear_bindings(b->dup);
		b->duplicates++;
		return 200;
	}
	*id = sqlite3_last_insert_rowid(b->db);
	b->received++;
	if (tlen < 4 || strncasecmp(text, "PING", 4) != 0 ||
	    (tlen > 4 && text[4] != ' '))
		return 200;
	/* The keyword flow's reply: "PONG {rest}". */
	r = reply_new(0, from, flen, text, tlen);
	memcpy(r->text, "PONG", 4);
	sqlite3_bind_text(b->ins_out, 1, r->phone, (int)flen, SQLITE_STATIC);
	sqlite3_bind_text(b->ins_out, 2, r->text, (int)tlen, SQLITE_STATIC);
	sqlite3_bind_int64(b->ins_out, 3, b->turn_ms);
	step_done(b, b->ins_out, "insert reply");
	r->id = sqlite3_last_insert_rowid(b->db);
	TAILQ_INSERT_TAIL(&b->fresh, r, entry);
	return 200;
}

static int
on_req_begin(http_parser *p)
{
	struct conn *c = p->data;

	c->url_len = c->field_len = c->sig_len = c->body_len = 0;
	c->head_len = 0;
	c->in_value = 0;
	c->too_big = 0;
	return 0;
}

static int
on_req_url(http_parser *p, const char *at, size_t len)
{
	struct conn *c = p->data;

	if ((c->head_len += len) > HEAD_MAX || c->url_len + len >= URL_MAX)
		return 1;
	memcpy(c->url + c->url_len, at, len);
	c->url_len += len;
	return 0;
}

static int
on_req_field(http_parser *p, const char *at, size_t len)
{
	struct conn *c = p->data;

	if ((c->head_len += len) > HEAD_MAX)
		return 1;
	if (c->in_value) {
		c->in_value = 0;
		c->field_len = 0;
	}
	if (c->field_len + len < sizeof(c->field))
		memcpy(c->field + c->field_len, at, len);
	c->field_len += len;
	return 0;
}

static int
on_req_value(http_parser *p, const char *at, size_t len)
{
	struct conn *c = p->data;

	if ((c->head_len += len) > HEAD_MAX)
		return 1;
	c->in_value = 1;
	if (c->field_len == strlen("X-Baraza-Signature") &&
	    strncasecmp(c->field, "X-Baraza-Signature", c->field_len) == 0) {
		if (c->sig_len + len >= SIG_MAX)
			len = SIG_MAX - 1 - c->sig_len;
		memcpy(c->sig + c->sig_len, at, len);
		c->sig_len += len;
	}
	return 0;
}

static int
on_req_body(http_parser *p, const char *at, size_t len)
{
	struct conn *c = p->data;

	if (c->body_len + len > BODY_MAX) {
		c->too_big = 1;
		return 0;
	}
	memcpy(c->body + c->body_len, at, len);
	c->body_len += len;
	return 0;
}

static int
on_req_complete(http_parser *p)
{
	struct conn *c = p->data;
	struct bare *b = c->bare;
	int64_t id = 0;
	int status, keep = http_should_keep_alive(p);

	c->sig[c->sig_len] = '\0';
	c->body[c->body_len] = '\0';
	if (c->too_big)
		status = 413, keep = 0;
	else if (p->method != HTTP_POST ||
		 c->url_len != strlen("/hooks/web/sms") ||
		 memcmp(c->url, "/hooks/web/sms", c->url_len) != 0)
		status = 404;
	else if (b->key != NULL &&
		 sig_check(b, c->sig, c->body, c->body_len) == -1)
		status = 403;
	else
		status = store(c, &id);
	answer_queue(c, status, id, !keep);
	return 0;
}

static void
on_conn_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct conn *c = container_of(h, struct conn, tcp);

	buf->base = c->bare->rbuf;
	buf->len = sizeof(c->bare->rbuf);
}

static void
on_conn_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct conn *c = container_of(s, struct conn, tcp);
	size_t n;

	if (nread == 0)
		return;
	if (nread < 0) {
		conn_close(c);
		return;
	}
	n = http_parser_execute(
	    &c->parser, &c->bare->req_cb, buf->base, (size_t)nread);
	if (c->parser.http_errno != HPE_OK || n != (size_t)nread)
		conn_close(c);
}

static void
on_connection(uv_stream_t *s, int status)
{
	struct bare *b = container_of(s, struct bare, listener);
	struct conn *c;

	if (status < 0)
		return;
	c = xmalloc(sizeof(*c));
	memset(c, 0, sizeof(*c));
	c->bare = b;
	c->body = xmalloc(BODY_MAX + 1);
	uv_tcp_init(b->loop, &c->tcp);
	TAILQ_INSERT_TAIL(&b->conns, c, entry);
	b->nconns++;
	http_parser_init(&c->parser, HTTP_REQUEST);
	c->parser.data = c;
	if (uv_accept(s, (uv_stream_t *)&c->tcp) != 0 ||
	    b->nconns > CONNS_MAX) {
		conn_close(c);
		return;
	}
	uv_tcp_nodelay(&c->tcp, 1);
	if (uv_read_start(
		(uv_stream_t *)&c->tcp, on_conn_alloc, on_conn_read) != 0)
		conn_close(c);
}

/*
 * The provider pool
 */

static void
on_out_write(uv_write_t *req, int status)
{
	free(container_of(req, struct wbuf, req));
}

static void
on_retry(uv_timer_t *t)
{
	out_connect(container_of(t, struct out, retry));
}

static void
on_out_close(uv_handle_t *h)
{
	struct out *o = container_of(h, struct out, tcp);

	uv_timer_start(&o->retry, on_retry, RECONNECT_MS, 0);
}

/* The connection is lost: its reply goes back first in the queue. */
static void
out_fail(struct out *o)
{
	if (o->cur != NULL) {
		TAILQ_INSERT_HEAD(&o->bare->queue, o->cur, entry);
		o->cur = NULL;
	}
	if (o->open) {
		o->open = 0;
		o->connected = 0;
		uv_close((uv_handle_t *)&o->tcp, on_out_close);
	}
}

/* The answer to cur is complete: it is sent, retried or dropped. */
static void
out_done(struct out *o)
{
	struct bare *b = o->bare;
	struct reply *r = o->cur;
	int status = o->parser.status_code;

	o->cur = NULL;
	o->done = 0;
	if (status >= 200 && status < 300) {
		if (b->nsent == b->sent_cap) {
			b->sent_cap = b->sent_cap ? 2 * b->sent_cap : 1024;
			b->sent =
			    realloc(b->sent, b->sent_cap * sizeof(*b->sent));
			if (b->sent == NULL) {
				fprintf(stderr, "bare: out of memory\n");
				exit(1);
			}
		}
		b->sent[b->nsent++] = r->id;
		b->delivered++;
		free(r);
	} else if (++r->attempts < ATTEMPTS_MAX) {
		TAILQ_INSERT_TAIL(&b->queue, r, entry);
	} else {
		fprintf(stderr, "bare: reply id=%lld dropped status=%d\n",
		    (long long)r->id, status);
		b->dropped++;
		free(r);
	}
	if (!o->keepalive)
		out_fail(o);
	else
		out_next(o);
}

static int
on_resp_complete(http_parser *p)
{
	struct out *o = p->data;

	o->done = 1;
	o->keepalive = http_should_keep_alive(p);
	return 0;
}

static void
on_out_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct out *o = container_of(s, struct out, tcp);
	size_t n;

	if (nread == 0)
		return;
	if (nread < 0 || o->cur == NULL) {
		out_fail(o);
		return;
	}
	n = http_parser_execute(
	    &o->parser, &o->bare->resp_cb, buf->base, (size_t)nread);
	if (o->parser.http_errno != HPE_OK || n != (size_t)nread) {
		out_fail(o);
		return;
	}
	if (o->done)
		out_done(o);
}

static void
on_out_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct out *o = container_of(h, struct out, tcp);

	buf->base = o->bare->rbuf;
	buf->len = sizeof(o->bare->rbuf);
}

/* Sends the first queued reply when o is connected and idle. */
static void
out_next(struct out *o)
{
	struct bare *b = o->bare;
	struct reply *r;
	struct wbuf *w;
	char body[BODY_MAX + 128], sig[65], hdr[128];
	size_t cap;
	uv_buf_t buf;
	long long t;
	int blen;

	if (!o->connected || o->cur != NULL ||
	    (r = TAILQ_FIRST(&b->queue)) == NULL)
		return;
	TAILQ_REMOVE(&b->queue, r, entry);
	o->cur = r;
	blen = snprintf(body, sizeof(body),
	    "{\"id\":%lld,\"to\":\"%s\",\"text\":\"%s\"}", (long long)r->id,
	    r->phone, r->text);
	if (blen < 0 || (size_t)blen >= sizeof(body)) {
		o->cur = NULL;
		b->dropped++;
		free(r);
		return;
	}
	hdr[0] = '\0';
	if (b->key != NULL) {
		t = wall_ms() / 1000;
		sign_hex(b, t, body, (size_t)blen, sig);
		snprintf(hdr, sizeof(hdr),
		    "X-Baraza-Signature: t=%lld,sha256=%s\r\n", t, sig);
	}
	cap = (size_t)blen + strlen(b->path) + strlen(b->host) + 512;
	w = xmalloc(sizeof(*w) + cap);
	w->conn = NULL;
	w->len = (size_t)snprintf(w->data, cap,
	    "POST %s HTTP/1.1\r\nHost: %s\r\n"
	    "Content-Type: application/json\r\nAccept: application/json\r\n"
	    "%sContent-Length: %d\r\n\r\n%s",
	    b->path, b->host, hdr, blen, body);
	http_parser_init(&o->parser, HTTP_RESPONSE);
	o->parser.data = o;
	buf = uv_buf_init(w->data, (unsigned int)w->len);
	if (uv_write(&w->req, (uv_stream_t *)&o->tcp, &buf, 1, on_out_write) !=
	    0) {
		free(w);
		out_fail(o);
	}
}

static void
on_out_connect(uv_connect_t *req, int status)
{
	struct out *o = container_of(req, struct out, creq);

	if (!o->open)
		return;
	if (status < 0) {
		out_fail(o);
		return;
	}
	o->connected = 1;
	uv_tcp_nodelay(&o->tcp, 1);
	if (uv_read_start((uv_stream_t *)&o->tcp, on_out_alloc, on_out_read) !=
	    0) {
		out_fail(o);
		return;
	}
	out_next(o);
}

static void
out_connect(struct out *o)
{
	uv_tcp_init(o->bare->loop, &o->tcp);
	o->open = 1;
	if (uv_tcp_connect(&o->creq, &o->tcp,
		(struct sockaddr *)&o->bare->provider, on_out_connect) != 0)
		out_fail(o);
}

/*
 * The turn
 */

/*
 * Before the loop sleeps: mark the replies sent since the last turn,
 * commit, then answer the webhooks and hand the committed replies to the
 * pool.
 */
static void
on_prepare(uv_prepare_t *h)
{
	struct bare *b = container_of(h, struct bare, prepare);
	struct answer *a;
	struct reply *r;
	size_t i;

	if (b->nsent > 0) {
		txn_begin(b);
		for (i = 0; i < b->nsent; i++) {
			sqlite3_bind_int64(b->mark, 1, b->sent[i]);
			sqlite3_bind_int64(b->mark, 2, b->turn_ms);
			step_done(b, b->mark, "mark sent");
		}
		b->nsent = 0;
	}
	if (b->in_txn) {
		step_done(b, b->commit, "COMMIT");
		b->in_txn = 0;
		b->commits++;
	}
	while ((a = TAILQ_FIRST(&b->answers)) != NULL) {
		TAILQ_REMOVE(&b->answers, a, entry);
		answer_write(a);
		conn_unref(a->conn);
		free(a);
	}
	while ((r = TAILQ_FIRST(&b->fresh)) != NULL) {
		TAILQ_REMOVE(&b->fresh, r, entry);
		TAILQ_INSERT_TAIL(&b->queue, r, entry);
	}
	for (i = 0; i < (size_t)b->npool && !TAILQ_EMPTY(&b->queue); i++)
		out_next(&b->pool[i]);
}

static void
on_signal(uv_signal_t *h, int signum)
{
	struct bare *b = h->data;

	on_prepare(&b->prepare);
	fprintf(stderr,
	    "bare: received=%llu duplicates=%llu refused=%llu delivered=%llu "
	    "dropped=%llu commits=%llu\n",
	    (unsigned long long)b->received, (unsigned long long)b->duplicates,
	    (unsigned long long)b->refused, (unsigned long long)b->delivered,
	    (unsigned long long)b->dropped, (unsigned long long)b->commits);
	uv_stop(b->loop);
}

/* Writes port into path through a temporary file and a rename. */
static void
write_port_file(const char *path, int port)
{
	char tmp[4096];
	FILE *fp;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fp = fopen(tmp, "w")) == NULL || fprintf(fp, "%d\n", port) < 0 ||
	    fclose(fp) != 0 || rename(tmp, path) != 0) {
		fprintf(stderr, "bare: %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

static void
usage(void)
{
	fprintf(stderr, "usage: bare --port-file FILE --db FILE "
			"--provider HOST:PORT [--path PATH] "
			"[--signing-key KEY] [--pool N]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static struct bare bare;
	struct bare *b = &bare;
	const char *port_file = NULL, *db = NULL;
	struct sockaddr_in sa;
	char host[64];
	const char *colon;
	int i, namelen;

	b->path = "/send";
	b->npool = POOL_DEFAULT;
	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--port-file") == 0)
			port_file = argv[i + 1];
		else if (strcmp(argv[i], "--db") == 0)
			db = argv[i + 1];
		else if (strcmp(argv[i], "--provider") == 0)
			b->host = argv[i + 1];
		else if (strcmp(argv[i], "--path") == 0)
			b->path = argv[i + 1];
		else if (strcmp(argv[i], "--signing-key") == 0)
			b->key = argv[i + 1];
		else if (strcmp(argv[i], "--pool") == 0)
			b->npool = atoi(argv[i + 1]);
		else
			usage();
	}
	if (i != argc || port_file == NULL || b->npool < 1 ||
	    b->npool > POOL_MAX || db == NULL || b->host == NULL ||
	    (colon = strrchr(b->host, ':')) == NULL ||
	    (size_t)(colon - b->host) >= sizeof(host))
		usage();
	memcpy(host, b->host, (size_t)(colon - b->host));
	host[colon - b->host] = '\0';
	if (uv_ip4_addr(host, atoi(colon + 1), &b->provider) != 0)
		usage();

	b->loop = uv_default_loop();
	TAILQ_INIT(&b->conns);
	TAILQ_INIT(&b->answers);
	TAILQ_INIT(&b->fresh);
	TAILQ_INIT(&b->queue);
	db_open(b, db);

	b->req_cb.on_message_begin = on_req_begin;
	b->req_cb.on_url = on_req_url;
	b->req_cb.on_header_field = on_req_field;
	b->req_cb.on_header_value = on_req_value;
	b->req_cb.on_body = on_req_body;
	b->req_cb.on_message_complete = on_req_complete;
	b->resp_cb.on_message_complete = on_resp_complete;

	uv_prepare_init(b->loop, &b->prepare);
	uv_prepare_start(&b->prepare, on_prepare);
	uv_signal_init(b->loop, &b->sigterm);
	uv_signal_init(b->loop, &b->sigint);
	b->sigterm.data = b->sigint.data = b;
	uv_signal_start(&b->sigterm, on_signal, SIGTERM);
	uv_signal_start(&b->sigint, on_signal, SIGINT);
	for (i = 0; i < b->npool; i++) {
		b->pool[i].bare = b;
		uv_timer_init(b->loop, &b->pool[i].retry);
		out_connect(&b->pool[i]);
	}

	uv_tcp_init(b->loop, &b->listener);
	uv_ip4_addr("127.0.0.1", 0, &sa);
	if (uv_tcp_bind(&b->listener, (struct sockaddr *)&sa, 0) != 0 ||
	    uv_listen((uv_stream_t *)&b->listener, 511, on_connection) != 0) {
		fprintf(stderr, "bare: cannot listen\n");
		return 1;
	}
	namelen = sizeof(sa);
	uv_tcp_getsockname(&b->listener, (struct sockaddr *)&sa, &namelen);
	write_port_file(port_file, ntohs(sa.sin_port));

	uv_run(b->loop, UV_RUN_DEFAULT);

	/* Exits from here: the handles go with the process. */
	sqlite3_finalize(b->begin);
	sqlite3_finalize(b->commit);
	sqlite3_finalize(b->ins_in);
	sqlite3_finalize(b->ins_out);
	sqlite3_finalize(b->dup);
	sqlite3_finalize(b->mark);
	if (sqlite3_close(b->db) != SQLITE_OK)
		fprintf(stderr, "bare: close: %s\n", sqlite3_errmsg(b->db));
	return 0;
}
