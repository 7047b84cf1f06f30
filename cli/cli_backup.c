/*
 * cli_backup.c: `baraza backup FILE`, a consistent copy of the database
 * while the gateway serves, and `baraza restore FILE`, which puts one in
 * its place while no gateway serves (docs/operations.md, "Backups").
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "gateway/store.h"
#include "lib/util.h"

/* Answers 1 when file and the database are the same file. */
static int
same_file(const char *file, const char *database)
{
	struct stat a, b;

	return stat(file, &a) == 0 && stat(database, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/*
 * path with its folder resolved (symbolic links, "..": realpath(3)) and
 * its last name as it is, which need not exist; NULL if the folder does
 * not. Free it.
 */
static char *
realpath_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir, *real, *out;

	if (slash == NULL)
		dir = xstrdup(".");
	else if (slash == path)
		dir = xstrdup("/");
	else
		dir = xasprintf("%.*s", (int)(slash - path), path);
	real = realpath(dir, NULL);
	free(dir);
	if (real == NULL)
		return NULL;
	out = xasprintf("%s/%s", strcmp(real, "/") == 0 ? "" : real,
	    slash != NULL ? slash + 1 : path);
	free(real);
	return out;
}

/*
 * Answers the name of the database's companion file that file is (its
 * WAL, shared memory, rollback journal or the gateway's lock), or NULL.
 * A backup written over one of them would be taken by SQLite for its own
 * (a WAL replayed into the database, the lock a restore asks for gone),
 * so the path is compared as written and resolved, and the file itself
 * when it exists.
 */
static const char *
companion(const char *file, const char *database)
{
	static const char *const ends[] = {"-wal", "-shm", "-journal", ".lock"};
	char *rf = realpath_dir(file), *rd = realpath_dir(database);
	const char *found = NULL;
	size_t i;

	for (i = 0; i < sizeof(ends) / sizeof(ends[0]) && found == NULL; i++) {
		char *side = xasprintf("%s%s", database, ends[i]);
		char *rside = xasprintf("%s%s", rd ? rd : database, ends[i]);

		if (strcmp(file, side) == 0 || same_file(file, side) ||
		    (rf != NULL && strcmp(rf, rside) == 0))
			found = ends[i];
		free(side);
		free(rside);
	}
	free(rf);
	free(rd);
	return found;
}

/*
 * The argument FILE of `baraza NAME FILE` (no options), or NULL after the
 * usage line on stderr.
 */
static const char *
one_file(int argc, char **argv, const char *name)
{
	static const struct option opts[] = {{NULL, 0, NULL, 0}};

	if (getopt_long(argc, argv, "", opts, NULL) != -1 ||
	    argc - optind != 1 || argv[optind][0] == '\0') {
		fprintf(
		    stderr, "baraza: bad usage\nusage: baraza %s FILE\n", name);
		return NULL;
	}
	return argv[optind];
}

/* baraza backup FILE */
/*
 * The FILE of `baraza CMD FILE` when the command can run on cfg's database
 * (SQLite, on disk, not FILE itself); else NULL after saying why (exit 2).
 * pg says what to use for a PostgreSQL database instead.
 */
static const char *
usable_file(int argc, char **argv, const struct config *cfg, const char *cmd,
    const char *pg)
{
	const char *file, *end;
	struct stat st;

	if ((file = one_file(argc, argv, cmd)) == NULL)
		return NULL;
	if (store_is_postgres(cfg->database)) {
		fprintf(stderr, "baraza: the database is PostgreSQL: %s\n", pg);
		return NULL;
	}
	if (strcmp(cfg->database, ":memory:") == 0) {
		fprintf(stderr, "baraza: the database is in memory\n");
		return NULL;
	}
	if (same_file(file, cfg->database)) {
		fprintf(stderr, "baraza: %s is the database itself\n", file);
		return NULL;
	}
	if ((end = companion(file, cfg->database)) != NULL) {
		fprintf(stderr,
		    "baraza: %s is the database's own %s file: name another\n",
		    file, end + 1);
		return NULL;
	}
	if (stat(file, &st) == 0 && S_ISDIR(st.st_mode)) {
		fprintf(stderr, "baraza: %s is a folder: name a file\n", file);
		return NULL;
	}
	return file;
}

int
cli_backup(int argc, char **argv, struct config *cfg)
{
	struct store_backup_info info;
	const char *file;
	char *err = NULL;

	if ((file = usable_file(
		 argc, argv, cfg, "backup", "back it up with pg_dump")) == NULL)
		return 2;
	if (store_backup(cfg->database, file, cli_progress, (void *)"backup",
		&info, &err) != 0) {
		fprintf(stderr, "baraza: backup failed: %s\n",
		    err ? err : "unknown error");
		free(err);
		return 1;
	}
	printf("%s: backed up to %s: schema version %d, ", cfg->database, file,
	    info.schema_version);
	if (info.messages >= 0)
		printf("%lld message%s, ", (long long)info.messages,
		    info.messages == 1 ? "" : "s");
	printf("%lld pages, %lld KiB\n", (long long)info.pages,
	    (long long)((info.bytes + 1023) / 1024));
	return 0;
}

/* baraza restore FILE */
int
cli_restore(int argc, char **argv, struct config *cfg)
{
	struct store_backup_info info;
	const char *file;
	char *err = NULL;
	int fd, rc;

	if ((file = usable_file(argc, argv, cfg, "restore",
		 "restore a pg_dump with pg_restore or psql")) == NULL)
		return 2;
	rc = store_lock(cfg->database, 1, &fd, &err);
	if (rc == STORE_LOCKED) {
		fprintf(stderr,
		    "baraza: a gateway serves %s (it holds %s.lock): stop it "
		    "before a restore\n",
		    cfg->database, cfg->database);
		return 1;
	}
	if (rc != 0) {
		fprintf(stderr, "baraza: %s\n", err ? err : cfg->database);
		free(err);
		return 1;
	}
	rc = store_restore(file, cfg->database, &info, &err);
	close(fd);
	if (rc != 0) {
		fprintf(stderr, "baraza: restore %s: %s\n",
		    rc == STORE_EINVAL ? "refused" : "failed",
		    err ? err : "unknown error");
		free(err);
		return 1;
	}
	printf("%s: restored from %s: schema version %d", cfg->database, file,
	    info.schema_version);
	if (info.messages >= 0)
		printf(", %lld message%s", (long long)info.messages,
		    info.messages == 1 ? "" : "s");
	if (info.schema_version < store_schema_version())
		printf(" (the next start migrates it to version %d)",
		    store_schema_version());
	printf("\n");
	return 0;
}
