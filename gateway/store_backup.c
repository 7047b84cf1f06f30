/*
 * store_backup.c: copies of the database while it serves (SQLite's online
 * backup), their restore in its place, and the lock that keeps a restore
 * and a serving gateway apart (docs/operations.md, "Backups").
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gateway/store_int.h"
#include "lib/util.h"

#define BACKUP_STEP_PAGES 1024 /* pages per step: 4 MiB of 4 KiB pages */
#define BACKUP_BUSY_MS 10      /* the wait before a busy step is retried */
#define BACKUP_BUSY_TRIES 500  /* busy steps in a row before giving up */
#define COPY_BUF (64 * 1024)

int
store_lock(const char *database, int exclusive, int *fd, char **errmsg)
{
	char *path;
	int f;

	*fd = -1;
	if (errmsg != NULL)
		*errmsg = NULL;
	/* Nothing to lock: in memory, or PostgreSQL (nodes share it). */
	if (strcmp(database, ":memory:") == 0 || store_is_postgres(database))
		return 0;
	path = xasprintf("%s.lock", database);
	f = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	/* One made by another user: reading is enough for a lock. */
	if (f < 0 && errno == EACCES)
		f = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (f < 0 && errno == ENOENT) {
		char *copy = xstrdup(database);

		errmsg_set(errmsg,
		    "%s: the database's folder %s does not exist: make it "
		    "first",
		    database, dirname(copy));
		free(copy);
		free(path);
		return STORE_ERR;
	}
	if (f < 0) {
		errmsg_set(errmsg, "%s: cannot open the lock file: %s", path,
		    strerror(errno));
		free(path);
		return STORE_ERR;
	}
	while (flock(f, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK) {
			close(f);
			free(path);
			return STORE_LOCKED;
		}
		errmsg_set(
		    errmsg, "%s: cannot lock: %s", path, strerror(errno));
		close(f);
		free(path);
		return STORE_ERR;
	}
	free(path);
	*fd = f;
	return 0;
}

int
store_lock_serving(int fd)
{
	struct flock fl;

	if (fd < 0)
		return 0;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	fl.l_start = 1; /* a byte of its own: flock() does not see it */
	fl.l_len = 1;
	while (fcntl(fd, F_OFD_SETLK, &fl) != 0) {
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EACCES)
			return STORE_SERVED;
		/* Opened read-only (another user's file): cannot tell. */
		if (errno == EBADF)
			return 0;
		return STORE_ERR;
	}
	return 0;
}

/* Syncs the folder that holds path, so that a rename in it lasts. */
static int
sync_dir(const char *path)
{
	char *copy = xstrdup(path);
	int fd, rc;

	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Syncs the file at path to disk. 0 or -1 (errno). */
static int
sync_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc, e;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

/*
 * Makes an empty private (0600) temporary file beside path ("PATH.WHAT-
 * XXXXXX") and returns its name, or NULL with errno.
 */
static char *
temp_beside(const char *path, const char *what)
{
	char *tmp = xasprintf("%s.%s-XXXXXX", path, what);
	int fd, e;

	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		e = errno;
		free(tmp);
		errno = e;
		return NULL;
	}
	(void)fchmod(fd, 0600);
	close(fd);
	return tmp;
}

/* The messages db holds, or -1 when it cannot tell (no such table yet). */
static int64_t
count_messages(sqlite3 *db)
{
	int64_t n;

	return store_query_int(db, "SELECT count(*) FROM messages", &n) ==
		       SQLITE_OK
		   ? n
		   : -1;
}

/*
 * Copies src (in the read transaction the caller opened) into the empty
 * file dest, step by step. 0 or STORE_ERR with *errmsg.
 */
static int
copy_pages(sqlite3 *src, const char *dest,
    void (*progress)(void *, uint64_t, uint64_t), void *arg,
    struct store_backup_info *info, char **errmsg)
{
	sqlite3 *db = NULL;
	sqlite3_backup *bk;
	int rc, busy = 0, total, left;

	rc = sqlite3_open_v2(dest, &db, SQLITE_OPEN_READWRITE, NULL);
	if (rc != SQLITE_OK) {
		errmsg_set(errmsg, "%s: %s", dest,
		    db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return STORE_ERR;
	}
	/* A temporary file, synced once at the end: no journal, no syncs. */
	(void)sqlite3_exec(db, "PRAGMA journal_mode = OFF", NULL, NULL, NULL);
	(void)sqlite3_exec(db, "PRAGMA synchronous = OFF", NULL, NULL, NULL);
	if ((bk = sqlite3_backup_init(db, "main", src, "main")) == NULL) {
		errmsg_set(errmsg, "%s: %s", dest, sqlite3_errmsg(db));
		sqlite3_close(db);
		return STORE_ERR;
	}
	/*
	 * The source's read transaction stays open between steps: each step
	 * reads the same snapshot, so writes of the gateway (which go on, in
	 * WAL mode a reader blocks no writer) do not restart the copy.
	 */
	for (;;) {
		rc = sqlite3_backup_step(bk, BACKUP_STEP_PAGES);
		total = sqlite3_backup_pagecount(bk);
		left = sqlite3_backup_remaining(bk);
		if (rc == SQLITE_DONE)
			break;
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
			if (++busy > BACKUP_BUSY_TRIES)
				break;
			sqlite3_sleep(BACKUP_BUSY_MS);
			continue;
		}
		if (rc != SQLITE_OK)
			break;
		busy = 0;
		if (progress != NULL && left > 0)
			progress(
			    arg, (uint64_t)(total - left), (uint64_t)total);
	}
	(void)sqlite3_backup_finish(bk);
	if (rc != SQLITE_DONE) {
		errmsg_set(errmsg, "copying the pages: %s", sqlite3_errstr(rc));
		sqlite3_close(db);
		return STORE_ERR;
	}
	if (progress != NULL)
		progress(arg, (uint64_t)total, (uint64_t)total);
	info->pages = total;
	/*
	 * The copy of a WAL database's first page says WAL: make the copy
	 * one file of its own (rollback journal), which any sqlite3 reads
	 * without creating files beside it. The gateway switches it back.
	 */
	(void)sqlite3_exec(
	    db, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
	if (sqlite3_close(db) != SQLITE_OK) {
		errmsg_set(errmsg, "%s: %s", dest, sqlite3_errmsg(db));
		return STORE_ERR;
	}
	return 0;
}

int
store_backup(const char *path, const char *dest,
    void (*progress)(void *, uint64_t, uint64_t), void *arg,
    struct store_backup_info *info, char **errmsg)
{
	sqlite3 *src = NULL;
	struct stat sb;
	char *tmp = NULL;
	int64_t v;
	int rc;

	if (errmsg != NULL)
		*errmsg = NULL;
	memset(info, 0, sizeof(*info));
	info->messages = -1;
	/* Never creates the database: a backup of nothing is an error. */
	rc = sqlite3_open_v2(path, &src, SQLITE_OPEN_READWRITE, NULL);
	if (rc != SQLITE_OK) {
		errmsg_set(errmsg, "%s: cannot open the database: %s", path,
		    src != NULL ? sqlite3_errmsg(src) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_busy_timeout(src, 5000);
	/* One snapshot for the version, the count and every page. */
	if (sqlite3_exec(src, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    store_query_int(src, "PRAGMA user_version", &v) != SQLITE_OK) {
		errmsg_set(errmsg, "%s: %s", path, sqlite3_errmsg(src));
		goto fail;
	}
	info->schema_version = (int)v;
	info->messages = count_messages(src);
	if ((tmp = temp_beside(dest, "tmp")) == NULL) {
		errmsg_set(errmsg, "%s: cannot create a file beside it: %s",
		    dest, strerror(errno));
		goto fail;
	}
	if (copy_pages(src, tmp, progress, arg, info, errmsg) != 0)
		goto fail;
	(void)sqlite3_exec(src, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(src);
	src = NULL;
	if (sync_file(tmp) != 0 || stat(tmp, &sb) != 0) {
		errmsg_set(errmsg, "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	info->bytes = (int64_t)sb.st_size;
	if (rename(tmp, dest) != 0) {
		errmsg_set(errmsg, "%s: %s", dest, strerror(errno));
		goto fail;
	}
	free(tmp);
	(void)sync_dir(dest);
	return 0;
fail:
	if (tmp != NULL) {
		char *journal = xasprintf("%s-journal", tmp);

		(void)unlink(journal);
		free(journal);
		(void)unlink(tmp);
		free(tmp);
	}
	sqlite3_close(src);
	return STORE_ERR;
}

/*
 * Checks the copy at tmp (ours: it may be opened read-write): it opens,
 * passes quick_check, holds a schema this program can serve. Fills
 * info. 0, or STORE_EINVAL with *errmsg (named after file, the user's).
 */
static int
check_copy(const char *tmp, const char *file, struct store_backup_info *info,
    char **errmsg)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	const char *ok = NULL;
	int64_t v;
	int rc;

	rc = sqlite3_open_v2(tmp, &db, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &s, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		ok = (const char *)sqlite3_column_text(s, 0);
		rc = SQLITE_OK;
	}
	if ((rc & 0xff) == SQLITE_NOTADB) {
		errmsg_set(errmsg, "%s: not a SQLite database", file);
		goto invalid;
	}
	if (rc != SQLITE_OK) {
		errmsg_set(errmsg, "%s: cannot read it: %s", file,
		    db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		goto invalid;
	}
	if (ok == NULL || strcmp(ok, "ok") != 0) {
		errmsg_set(errmsg, "%s: damaged (quick_check: %s)", file,
		    ok != NULL ? ok : "no answer");
		goto invalid;
	}
	sqlite3_finalize(s);
	s = NULL;
	if (store_query_int(db, "PRAGMA user_version", &v) != SQLITE_OK) {
		errmsg_set(errmsg, "%s: %s", file, sqlite3_errmsg(db));
		goto invalid;
	}
	if (v < 1 || count_messages(db) < 0) {
		errmsg_set(
		    errmsg, "%s: not a baraza database (no schema)", file);
		goto invalid;
	}
	if (v > store_schema_version()) {
		errmsg_set(errmsg,
		    "%s: schema version %lld is newer than this baraza "
		    "understands (%d); upgrade baraza first",
		    file, (long long)v, store_schema_version());
		goto invalid;
	}
	info->schema_version = (int)v;
	info->messages = count_messages(db);
	if (store_query_int(db, "PRAGMA page_count", &info->pages) != SQLITE_OK)
		info->pages = 0;
	sqlite3_close(db);
	return 0;
invalid:
	sqlite3_finalize(s);
	sqlite3_close(db);
	return STORE_EINVAL;
}

/* Copies the file in to the file out (open), synced. 0 or -1 (errno). */
static int
copy_file(int in, int out)
{
	char *buf = xmalloc(COPY_BUF);
	ssize_t n, w, off;
	int rc = 0;

	for (;;) {
		n = read(in, buf, COPY_BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -1 : 0;
			break;
		}
		for (off = 0; off < n; off += w)
			if ((w = write(out, buf + off, (size_t)(n - off))) <
			    0) {
				if (errno == EINTR) {
					w = 0;
					continue;
				}
				rc = -1;
				goto done;
			}
	}
	if (rc == 0)
		rc = fsync(out);
done:
	free(buf);
	return rc;
}

/*
 * Lets go of the old database at path before the copy takes its name: what
 * its WAL holds is checkpointed when it can be (it may be damaged: that is
 * why it is restored), then its -wal, -shm and -journal are removed, which
 * would otherwise be applied to the copy.
 */
static void
retire_old(const char *path)
{
	static const char *const suffix[] = {"-wal", "-shm", "-journal"};
	sqlite3 *db = NULL;
	char *side;
	size_t i;

	if (access(path, F_OK) == 0 &&
	    sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) ==
		SQLITE_OK)
		(void)sqlite3_exec(
		    db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	sqlite3_close(db);
	for (i = 0; i < nitems(suffix); i++) {
		side = xasprintf("%s%s", path, suffix[i]);
		(void)unlink(side);
		free(side);
	}
}

int
store_restore(const char *file, const char *path,
    struct store_backup_info *info, char **errmsg)
{
	struct stat old;
	char *tmp = NULL;
	int in = -1, out = -1, rc = STORE_ERR;

	if (errmsg != NULL)
		*errmsg = NULL;
	memset(info, 0, sizeof(*info));
	info->messages = -1;
	if ((in = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
		errmsg_set(errmsg, "%s: %s", file, strerror(errno));
		return STORE_ERR;
	}
	if ((tmp = temp_beside(path, "restore")) == NULL) {
		errmsg_set(errmsg, "%s: cannot create a file beside it: %s",
		    path, strerror(errno));
		goto done;
	}
	if ((out = open(tmp, O_WRONLY | O_CLOEXEC)) < 0 ||
	    copy_file(in, out) != 0) {
		errmsg_set(
		    errmsg, "%s: copying %s: %s", tmp, file, strerror(errno));
		goto done;
	}
	/* The new database keeps the old one's owner (a restore by root). */
	if (geteuid() == 0 && stat(path, &old) == 0)
		(void)fchown(out, old.st_uid, old.st_gid);
	close(out);
	out = -1;
	/* The very bytes that take the database's name are checked. */
	if ((rc = check_copy(tmp, file, info, errmsg)) != 0)
		goto done;
	rc = STORE_ERR;
	if (sync_file(tmp) != 0) {
		errmsg_set(errmsg, "%s: %s", tmp, strerror(errno));
		goto done;
	}
	retire_old(path);
	if (rename(tmp, path) != 0) {
		errmsg_set(errmsg, "%s: %s", path, strerror(errno));
		goto done;
	}
	(void)sync_dir(path);
	free(tmp);
	tmp = NULL;
	rc = 0;
done:
	if (out >= 0)
		close(out);
	close(in);
	if (tmp != NULL) {
		char *side;

		side = xasprintf("%s-wal", tmp);
		(void)unlink(side);
		free(side);
		side = xasprintf("%s-shm", tmp);
		(void)unlink(side);
		free(side);
		(void)unlink(tmp);
		free(tmp);
	}
	return rc;
}
