/*
 * csvread.h: the strict CSV reader behind `baraza import` (data tables)
 * and `baraza notify` (personal notifications).
 *
 * The CSV is RFC 4180, parsed by libcsv in strict mode: fields separated by
 * commas, optionally in double quotes (which may hold commas, newlines and
 * doubled quotes), rows ending in CRLF or LF. A UTF-8 byte order mark at the
 * very start is skipped, blank lines are skipped, and spaces and tabs around
 * an unquoted field are trimmed (libcsv's default). The first row is the
 * header: at most max_columns names, each non-empty and unique. Every data
 * row must have as many fields as the header. Every field is valid UTF-8
 * without NUL bytes and at most max_field bytes long; the whole input is at
 * most max_bytes long.
 *
 * The reader is fed bytes (a buffer, a FILE, or pieces of either) and
 * calls back once with the header and once per data row, each with the
 * line where the row starts (LF-ended lines counted from 1). It stops at
 * the first error; its message starts with "line N: " naming the line
 * where the offending row starts, when there is one.
 *
 * Ownership: the caller owns a reader (csvread_new, csvread_free) and the
 * FILE or buffer it reads; the reader owns every row it passes to a
 * callback, its header and its message. A data row lives only during its
 * callback, the header and the message until csvread_free.
 */
#ifndef BARAZA_CSVREAD_H
#define BARAZA_CSVREAD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Hard bounds on the limits a caller may choose. */
#define CSVREAD_MAX_COLUMNS 1024
#define CSVREAD_MAX_FIELD (1024 * 1024)

/*
 * The malformed-quote message leaves out "and a closing quote must end the
 * field" (the wording `baraza notify` has always used).
 */
#define CSVREAD_QUOTE_HINT_SHORT 0x1

/* What a reader accepts. */
struct csvread_params {
	size_t max_columns; /* columns, 1 to CSVREAD_MAX_COLUMNS */
	size_t max_field;   /* bytes in one field, 1 to CSVREAD_MAX_FIELD */
	uint64_t max_bytes; /* bytes in the whole input, at least 1 */
	int name_max;       /* bytes of a duplicate column name that its
			       message quotes; 0 for the whole name */
	unsigned flags;     /* CSVREAD_QUOTE_HINT_SHORT or 0 */
};

/* Failures: 0 or one of these from the calls below. */
enum csvread_status {
	CSVREAD_EINVAL = -1,  /* the CSV breaks a rule or a limit */
	CSVREAD_ETOOBIG = -2, /* the input is longer than max_bytes */
	CSVREAD_EIO = -3,     /* reading the FILE failed */
	CSVREAD_ESTOP = -4,   /* a callback returned nonzero: no message */
};

/*
 * One row: nfields fields, each NUL-terminated (a field holds no NUL) with
 * its length in lens. The reader owns it all.
 */
struct csvread_row {
	uint64_t line;             /* the line where the row starts */
	size_t nfields;            /* fields in the row */
	const char *const *fields; /* the fields */
	const size_t *lens;        /* their lengths in bytes */
};

/*
 * Called with the header (once its names are checked) and then with each
 * data row (once its field count is checked). A header stays valid until
 * csvread_free(); a data row only during the call. Returns 0 to go on, or
 * nonzero to stop the reading with CSVREAD_ESTOP: the callback keeps its
 * own account of why.
 */
typedef int (*csvread_row_cb)(void *arg, const struct csvread_row *row);

/*
 * Called after each chunk of input with the bytes read so far and the
 * total (0 when unknown).
 */
typedef void (*csvread_progress_cb)(void *arg, uint64_t done, uint64_t total);

/*
 * A new reader calling on_header and on_row with arg. Returns NULL when a
 * limit is out of its bounds or libcsv cannot be set up. The caller frees
 * it with csvread_free().
 */
struct csvread *csvread_new(const struct csvread_params *,
    csvread_row_cb on_header, csvread_row_cb on_row, void *arg);

/* Frees a reader (NULL is fine) with its header and message. */
void csvread_free(struct csvread *);

/*
 * Feeds p[0..n), which may end anywhere (inside a field, a line or the
 * BOM). Input past max_bytes in all is refused whole with CSVREAD_ETOOBIG.
 * Returns 0, or the reader's first failure (then nothing more is read).
 */
int csvread_feed(struct csvread *, const void *p, size_t n);

/*
 * Ends the input: the last row without a line end, an unclosed quote, no
 * header at all. Returns 0 or the reader's first failure.
 */
int csvread_finish(struct csvread *);

/*
 * Reads data[0..len) whole and finishes, calling progress (may be NULL)
 * after each 64 KiB chunk with len as the total. A len beyond max_bytes is
 * refused before anything is read. Returns 0 or the first failure.
 */
int csvread_buf(struct csvread *, const void *data, size_t len,
    csvread_progress_cb progress, void *arg);

/*
 * Reads fp to its end (the caller keeps and closes fp) and finishes,
 * calling progress (may be NULL) after each chunk with total as given.
 * Returns 0 or the first failure.
 */
int csvread_file(struct csvread *, FILE *fp, uint64_t total,
    csvread_progress_cb progress, void *arg);

/* The first failure, an enum csvread_status, or 0. */
int csvread_status(const struct csvread *);

/*
 * The first failure's message ("line 4: expected 3 fields, found 2"), or
 * NULL when there is none or a callback stopped the reading. The reader
 * owns it.
 */
const char *csvread_errmsg(const struct csvread *);

/*
 * The header once its names passed the checks (even when on_header then
 * stopped the reading), else NULL. The reader owns it.
 */
const struct csvread_row *csvread_header(const struct csvread *);

#endif
