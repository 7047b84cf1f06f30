/*
 * cli_store.c: `baraza migrate`, the schema brought up to date ahead of a
 * start, and `baraza copy-store FROM TO`, a store moved into an empty one
 * of either kind, SQLite or PostgreSQL (docs/postgresql.md).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "gateway/store.h"
#include "lib/util.h"

/* Prints one migration applied. */
static void
print_migration(void *arg, int version, const char *what)
{
	(void)arg;
	printf("  applied %d: %s\n", version, what);
}

/* The database as it may be shown: a URI without its password. */
static char *
shown(const char *database)
{
	return store_is_postgres(database) ? store_redact(database)
					   : xstrdup(database);
}

/* baraza migrate */
int
cli_migrate(int argc, char **argv, struct config *cfg)
{
	char *err = NULL, *name;
	int from = 0, to = 0;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "baraza: bad usage\nusage: baraza migrate\n");
		return 2;
	}
	name = shown(cfg->database);
	printf("%s: %s\n", name,
	    store_is_postgres(cfg->database) ? "PostgreSQL" : "SQLite");
	fflush(stdout);
	if (store_migrate(cfg->database, cfg->database_password,
		print_migration, NULL, &from, &to, &err) != 0) {
		fprintf(stderr, "baraza: migrate: %s\n",
		    err ? err : "unknown error");
		free(err);
		free(name);
		return 1;
	}
	if (from == to)
		printf("%s: up to date, schema version %d\n", name, to);
	else
		printf("%s: migrated from schema version %d to %d\n", name,
		    from, to);
	free(name);
	return 0;
}

/* The copy's progress: a bar per table on a terminal, a line at its end. */
static void
copy_progress(void *arg, const char *table, int64_t done, int64_t total)
{
	(void)arg;
	cli_progress((void *)table, (uint64_t)done, (uint64_t)total);
	if (done == total)
		printf("  %-14s %" PRId64 " row%s\n", table, done,
		    done == 1 ? "" : "s");
}

/* baraza copy-store FROM TO */
int
cli_copy_store(int argc, char **argv, struct config *cfg)
{
	static const struct option opts[] = {{NULL, 0, NULL, 0}};
	char *err = NULL, *from, *to;
	int rc = 0;

	(void)cfg;
	if (getopt_long(argc, argv, "", opts, NULL) != -1 ||
	    argc - optind != 2 || argv[optind][0] == '\0' ||
	    argv[optind + 1][0] == '\0') {
		fprintf(stderr,
		    "baraza: bad usage\nusage: baraza copy-store FROM TO\n");
		return 2;
	}
	from = shown(argv[optind]);
	to = shown(argv[optind + 1]);
	printf("copying %s into %s\n", from, to);
	fflush(stdout);
	if (store_copy(argv[optind], argv[optind + 1], copy_progress, NULL,
		&err) != 0) {
		fprintf(stderr,
		    "baraza: copy-store failed (%s is left as it "
		    "was): %s\n",
		    to, err ? err : "unknown error");
		rc = 1;
	} else
		printf("copied %s into %s\n", from, to);
	free(err);
	free(from);
	free(to);
	return rc;
}
