/*
 * fuzz_csvread.c: the strict CSV reader alone.
 *
 * The first byte picks the limits (tiny ones reach every limit quickly) and
 * how the rest is cut into pieces. Whatever the input, the reader must give
 * the same rows, status and message whether fed whole or in pieces; every
 * row it hands over must keep its promises (as many fields as the header,
 * each NUL-terminated at its length, valid UTF-8 within max_field, lines
 * that never go back); and a refusal must come with a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/csvread.h"
#include "lib/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct run {
	const struct csvread_params *par; /* the limits in force */
	struct buf out;                   /* rows seen, serialized */
	size_t ncolumns;                  /* the header's width */
	uint64_t last_line;               /* the previous row's line */
	int headers;                      /* header calls */
	long stop_at;                     /* refuse data row N, 0: never */
	long rows;                        /* data rows seen */
};

/* Well-formed UTF-8 without NUL, checked independently of the reader. */
static int
utf8_ok(const unsigned char *s, size_t n)
{
	size_t i = 0, need, k;
	uint32_t cp;

	while (i < n) {
		if (s[i] == 0)
			return 0;
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0)
			need = 1, cp = s[i] & 0x1f;
		else if ((s[i] & 0xf0) == 0xe0)
			need = 2, cp = s[i] & 0x0f;
		else if ((s[i] & 0xf8) == 0xf0)
			need = 3, cp = s[i] & 0x07;
		else
			return 0;
		if (i + need >= n)
			return 0;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((need == 1 && cp < 0x80) || (need == 2 && cp < 0x800) ||
		    (need == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += need + 1;
	}
	return 1;
}

static void
check_row(struct run *r, const struct csvread_row *row)
{
	size_t i;

	if (row->line < r->last_line || row->line == 0)
		abort();
	r->last_line = row->line;
	for (i = 0; i < row->nfields; i++) {
		if (strlen(row->fields[i]) != row->lens[i] ||
		    row->lens[i] > r->par->max_field ||
		    !utf8_ok(
			(const unsigned char *)row->fields[i], row->lens[i]))
			abort();
		if (buf_append(&r->out, row->fields[i], row->lens[i] + 1) < 0)
			abort();
	}
	if (buf_printf(&r->out, "@%llu\n", (unsigned long long)row->line) < 0)
		abort();
}

static int
on_header(void *arg, const struct csvread_row *row)
{
	struct run *r = arg;
	size_t i, j;

	if (r->headers++ != 0 || row->nfields == 0 ||
	    row->nfields > r->par->max_columns)
		abort();
	/* Names are non-empty and unique. */
	for (i = 0; i < row->nfields; i++) {
		if (row->lens[i] == 0)
			abort();
		for (j = 0; j < i; j++)
			if (strcmp(row->fields[i], row->fields[j]) == 0)
				abort();
	}
	r->ncolumns = row->nfields;
	check_row(r, row);
	return 0;
}

static int
on_row(void *arg, const struct csvread_row *row)
{
	struct run *r = arg;

	if (r->headers != 1 || row->nfields != r->ncolumns)
		abort();
	check_row(r, row);
	return ++r->rows == r->stop_at ? -1 : 0;
}

/* Reads p[0..n) with cut bytes per piece (0: whole); fills r, msg. */
static int
read_all(const struct csvread_params *par, long stop_at, const uint8_t *p,
    size_t n, size_t cut, struct run *r, char **msg)
{
	struct csvread *rd;
	size_t done = 0, k;
	int rc;

	memset(r, 0, sizeof(*r));
	r->par = par;
	r->stop_at = stop_at;
	buf_init(&r->out, 8u << 20);
	if ((rd = csvread_new(par, on_header, on_row, r)) == NULL)
		abort();
	if (cut == 0)
		rc = csvread_buf(rd, p, n, NULL, NULL);
	else {
		while (done < n) {
			k = n - done < cut ? n - done : cut;
			csvread_feed(rd, p + done, k);
			done += k;
		}
		rc = csvread_finish(rd);
	}
	if (rc != csvread_status(rd) || rc > 0)
		abort();
	/* A refusal of the reader's own comes with a message. */
	if ((rc != 0 && rc != CSVREAD_ESTOP) != (csvread_errmsg(rd) != NULL))
		abort();
	if (rc == CSVREAD_ESTOP && r->rows != stop_at)
		abort();
	if (rc == 0 && r->headers != 1)
		abort();
	*msg = csvread_errmsg(rd) != NULL ? xstrdup(csvread_errmsg(rd)) : NULL;
	if (*msg != NULL && (*msg)[0] == '\0')
		abort();
	csvread_free(rd);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t cuts[] = {1, 2, 3, 7, 64, 4096};
	struct csvread_params par;
	struct run a, b;
	char *ma = NULL, *mb = NULL;
	uint8_t sel;
	long stop_at;
	int ra, rb;

	if (size < 1)
		return 0;
	sel = data[0];
	data++;
	size--;
	memset(&par, 0, sizeof(par));
	if (sel & 0x80) {
		/* The limits of `baraza import`. */
		par.max_columns = 64;
		par.max_field = 8192;
		par.max_bytes = 64 * 1024 * 1024;
	} else {
		par.max_columns = 1 + (sel & 0x3);
		par.max_field = 1 + ((sel >> 2) & 0x7) * 3;
		par.max_bytes = 512;
	}
	par.name_max = (sel & 0x40) ? 8 : 0;
	par.flags = (sel & 0x20) ? CSVREAD_QUOTE_HINT_SHORT : 0;
	stop_at = (sel & 0x10) ? 2 : 0;

	ra = read_all(&par, stop_at, data, size, 0, &a, &ma);
	rb = read_all(
	    &par, stop_at, data, size, cuts[sel % nitems(cuts)], &b, &mb);
	if (ra == CSVREAD_ETOOBIG) {
		/* A buffer past max_bytes is refused before it is read. */
		if (size <= par.max_bytes || a.headers != 0 || a.out.len != 0)
			abort();
	} else {
		/* Whole or in pieces: the same rows, status and message. */
		if (ra != rb || a.out.len != b.out.len ||
		    (a.out.len > 0 &&
			memcmp(a.out.data, b.out.data, a.out.len) != 0))
			abort();
		if ((ma == NULL) != (mb == NULL) ||
		    (ma != NULL && strcmp(ma, mb) != 0))
			abort();
	}
	free(ma);
	free(mb);
	buf_free(&a.out);
	buf_free(&b.out);
	return 0;
}
