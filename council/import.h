/*
 * import.h: loading a CSV file into a data table that flows `lookup`, for
 * `baraza import TABLE FILE.csv --key COLUMN` and
 * `PUT /api/v1/tables/NAME?key=COLUMN`.
 *
 * The CSV is RFC 4180, parsed by libcsv in strict mode: fields separated by
 * commas, optionally in double quotes (which may hold commas, newlines and
 * doubled quotes), rows ending in CRLF or LF. A UTF-8 byte order mark at the
 * start is skipped, blank lines are skipped, and spaces and tabs around an
 * unquoted field are trimmed (libcsv's default). The first row names the
 * columns: non-empty and unique. Every other row must have as many fields,
 * be valid UTF-8 without NUL bytes, and hold a non-empty key that no other
 * row holds. Each row is stored as a JSON object of column name to string.
 *
 * The table is replaced in one transaction: on any error nothing changes.
 * When the caller already holds a transaction, the import runs in a
 * savepoint inside it instead. Line numbers in messages count LF-ended
 * lines from 1 and name the line where the offending row starts.
 */
#ifndef BARAZA_IMPORT_H
#define BARAZA_IMPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct store;

/* Hard limits on one import. */
#define IMPORT_MAX_COLUMNS 64
#define IMPORT_MAX_FIELD (8 * 1024)         /* bytes in one field */
#define IMPORT_MAX_BYTES (64 * 1024 * 1024) /* bytes in one import */
#define IMPORT_MAX_TABLE_NAME 64
/* What import_table_name_valid() asks, for messages. */
#define IMPORT_TABLE_NAME_RULE                                                 \
	"lowercase letters, digits and _, not starting with a digit, at most " \
	"64 bytes"

/* Failures, so that callers can pick an exit status or an HTTP status. */
enum import_status {
	IMPORT_EINVAL = -1,  /* bad CSV or a bad argument: 400, exit 1 */
	IMPORT_ETOOBIG = -2, /* beyond IMPORT_MAX_BYTES: 413 */
	IMPORT_EIO = -3,     /* reading the FILE failed */
	IMPORT_ESTORE = -4,  /* the database failed: 500 */
};

/*
 * Called after each chunk of input with the bytes read so far and the
 * total (0 when unknown, as for a pipe). It MUST NOT use the store.
 */
typedef void (*import_progress_cb)(void *arg, uint64_t done, uint64_t total);

/*
 * Replaces table (a name matching [a-z_][a-z0-9_]*, at most
 * IMPORT_MAX_TABLE_NAME bytes) with the rows of the CSV in data[0..len),
 * keyed by the column named key_column. progress may be NULL.
 *
 * Returns the number of rows imported (0 for a header alone), or a
 * negative enum import_status and, when errmsg is not NULL, sets *errmsg
 * to a message the caller frees ("line 17: expected 4 fields, found 3").
 */
long import_csv_buf(struct store *, const char *table, const char *key_column,
    const void *data, size_t len, import_progress_cb progress, void *arg,
    char **errmsg);

/*
 * Like import_csv_buf(), reading fp to its end (the caller keeps and
 * closes fp). The total given to progress is the file's remaining size
 * when fp is a regular file.
 */
long import_csv_file(struct store *, const char *table, const char *key_column,
    FILE *fp, import_progress_cb progress, void *arg, char **errmsg);

/* Returns 1 if name is a valid table name, else 0. */
int import_table_name_valid(const char *name);

struct gateway;
struct http_request;

/*
 * The admin API's tables: rest is the path after "/api/v1/"
 * ("tables/NAME"); PUT with a CSV body replaces the table (a route of
 * council/council.c).
 */
void import_api(struct gateway *, struct http_request *, const char *rest);

#endif
