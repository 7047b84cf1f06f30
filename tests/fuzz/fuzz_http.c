/*
 * fuzz_http.c: the HTTP server's request parsing, without sockets.
 *
 * The first input byte picks how the input is cut into reads, whether the
 * limits are the spec's or tiny ones, and how the handler answers: at once,
 * later and out of order, or never (the requests are then orphaned and
 * answered after the "disconnect"). Every field of every request is read in
 * full so the sanitizers see any bad pointer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/http.h"
#include "lib/log.h"

#define MAXHELD 64

struct fuzz_state {
	int mode;                           /* 0 at once, 1 later, 2 never */
	struct http_request *held[MAXHELD]; /* not answered yet */
	size_t nheld;                       /* entries in held */
	size_t sum;                         /* keeps the reads alive */
};

static void
touch(struct fuzz_state *st, const char *s)
{
	st->sum += strlen(s);
}

static void
fuzz_handler(struct http_request *req, void *arg)
{
	struct fuzz_state *st = arg;
	size_t i;

	touch(st, req->method);
	touch(st, req->path);
	touch(st, req->query);
	touch(st, req->remote);
	for (i = 0; i < req->nheaders; i++) {
		touch(st, req->headers[i].name);
		touch(st, req->headers[i].value);
	}
	if (req->body[req->body_len] != '\0')
		abort();
	if (req->body_len > 0)
		st->sum += (unsigned char)req->body[req->body_len - 1];
	if (http_header(req, "content-type") != NULL)
		st->sum++;
	if (st->mode == 0 || st->nheld == MAXHELD) {
		http_respond_ex(req, 200 + (int)(st->sum % 300), "text/plain",
		    "X-Fuzz: 1", req->body, req->body_len);
		return;
	}
	st->held[st->nheld++] = req;
	/* Later: once two wait, answer the newest first, out of order. */
	if (st->mode == 1 && st->nheld >= 2) {
		while (st->nheld > 0)
			http_respond(st->held[--st->nheld], 204, NULL, NULL, 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t chunks[8] = {0, 1, 2, 3, 7, 16, 100, 4096};
	struct fuzz_state st;
	struct http_limits lim;
	struct buf out;
	size_t i;

	if (size < 1)
		return 0;
	log_set_level(L_ERROR);
	memset(&st, 0, sizeof(st));
	st.mode = (data[0] >> 3) % 3;
	http_limits_default(&lim);
	if (data[0] & 0x40) {
		lim.max_body = 64;
		lim.max_header = 256;
		lim.max_headers = 8;
		lim.max_pipelined = 2;
	}
	buf_init(&out, 1 << 20);
	http_parse_buffer(&lim, data + 1, size - 1, chunks[data[0] & 7],
	    fuzz_handler, &st, &out);
	/* After the disconnect: the answers are discarded. */
	for (i = 0; i < st.nheld; i++)
		http_respond(st.held[i], 200, NULL, "x", 1);
	buf_free(&out);
	return 0;
}
