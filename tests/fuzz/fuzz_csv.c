/*
 * fuzz_csv.c: the CSV import path, into an in-memory database (checked
 * through the store's connection: store_int.h).
 *
 * Each input is imported as table "t" keyed by "id". Whatever the input,
 * the import must end without a transaction left open, the table's
 * recorded row count must match its stored rows, and a failed import must
 * leave the previous table exactly as it was.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "council/import.h"
#include "gateway/store.h"
#include "gateway/store_int.h"
#include "lib/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct store *st;

/* Runs a one-integer query; -1 when there is no row. */
static int64_t
query_int(const char *sql)
{
	sqlite3_stmt *s;
	int64_t v = -1;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		abort();
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t before, after, stored;
	char *err = NULL, *row = NULL;
	long n;

	if (st == NULL) {
		log_set_level(L_ERROR);
		if (store_open(":memory:", 0, &st, &err) != 0)
			abort();
	}
	before = query_int("SELECT total(length(row)) + count(*) FROM "
			   "data_rows WHERE table_name = 't'");
	n = import_csv_buf(st, "t", "id", data, size, NULL, NULL, &err);
	if (store_in_transaction(st))
		abort();
	if (n < 0) {
		/* Refused: a message, and nothing changed. */
		if (err == NULL || err[0] == '\0')
			abort();
		free(err);
		after = query_int("SELECT total(length(row)) + count(*) FROM "
				  "data_rows WHERE table_name = 't'");
		if (after != before)
			abort();
		return 0;
	}
	if (err != NULL)
		abort();
	stored = query_int("SELECT count(*) FROM data_rows "
			   "WHERE table_name = 't'");
	if (stored != n || query_int("SELECT rows FROM data_tables "
				     "WHERE name = 't'") != n)
		abort();
	/* Both lookup paths on what was just imported. */
	if (store_lookup(st, "t", "id", "1", &row) < 0)
		abort();
	free(row);
	row = NULL;
	if (store_lookup(st, "t", "id", "", &row) != STORE_NOTFOUND)
		abort();
	(void)store_lookup(st, "t", "name", "x", &row);
	free(row);
	return 0;
}
