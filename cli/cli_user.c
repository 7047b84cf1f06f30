/*
 * cli_user.c: `baraza user add|passwd|remove|list`: the staff console's
 * users (council/users.h). A password is read from the terminal without
 * echo, twice, or as one line of stdin when stdin is not a terminal; it
 * is never an argument (argv is visible to every user of the machine).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli/cli.h"
#include "council/users.h"
#include "gateway/store.h"
#include "lib/util.h"

#define LINE_MAX_BYTES (USERS_PASSWORD_MAX + 3) /* a line, its \r\n, NUL */

static int
usage(void)
{
	fprintf(stderr, "baraza: bad usage\nusage: baraza user add NAME --role "
			"admin|staff|viewer\n"
			"       baraza user passwd NAME\n"
			"       baraza user remove NAME\n"
			"       baraza user list\n");
	return 2;
}

/*
 * Reads one line of fp into buf without its line end. Returns 0, or -1 at
 * the end of input or for a line longer than a password may be.
 */
static int
read_line(FILE *fp, char buf[LINE_MAX_BYTES], const char **why)
{
	size_t n;

	if (fgets(buf, LINE_MAX_BYTES, fp) == NULL) {
		*why = "no password given";
		return -1;
	}
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	else if (!feof(fp)) {
		*why = "a password has at most 1024 bytes";
		return -1;
	}
	if (n > 0 && buf[n - 1] == '\r')
		buf[--n] = '\0';
	return 0;
}

/* Reads a line from the terminal on stdin with echo off. */
static int
read_hidden(const char *prompt, char buf[LINE_MAX_BYTES], const char **why)
{
	struct termios old, quiet;
	int rc;

	fputs(prompt, stderr);
	fflush(stderr);
	if (tcgetattr(STDIN_FILENO, &old) != 0) {
		*why = "cannot read the terminal";
		return -1;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	quiet.c_lflag |= ECHONL;
	(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	rc = read_line(stdin, buf, why);
	(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	return rc;
}

/*
 * Reads the new password of name into pw and checks it. Returns 0, or -1
 * after saying why on stderr.
 */
static int
read_password(const char *name, char pw[LINE_MAX_BYTES])
{
	char again[LINE_MAX_BYTES], prompt[128];
	const char *why = NULL;
	int rc = -1;

	if (!isatty(STDIN_FILENO)) {
		if (read_line(stdin, pw, &why) == 0)
			rc = 0;
	} else {
		snprintf(prompt, sizeof(prompt), "Password for %s: ", name);
		if (read_hidden(prompt, pw, &why) == 0 &&
		    read_hidden("Again: ", again, &why) == 0) {
			if (strcmp(pw, again) == 0)
				rc = 0;
			else
				why = "the passwords do not match";
		}
		OPENSSL_cleanse(again, sizeof(again));
	}
	if (rc == 0 && (why = users_password_problem(pw)) != NULL)
		rc = -1;
	if (rc != 0) {
		OPENSSL_cleanse(pw, LINE_MAX_BYTES);
		fprintf(stderr, "baraza: %s\n", why);
	}
	return rc;
}

/* Says what a users_* failure means; returns the exit status 1. */
static int
failed(const char *name, int rc, const char *why)
{
	switch (rc) {
	case USERS_ENOTFOUND:
		fprintf(stderr, "baraza: no user called %s\n", name);
		break;
	case USERS_EEXIST:
		fprintf(stderr, "baraza: a user called %s exists\n", name);
		break;
	case USERS_EINVAL:
		fprintf(stderr, "baraza: %s\n", why ? why : "refused");
		break;
	default:
		fprintf(stderr, "baraza: the store failed\n");
	}
	return 1;
}

/*
 * Runs a change in one transaction with its audit entry (by "-", the
 * command line). Returns the users_* result.
 */
static int
change(struct store *st, int op, const char *name, enum role role,
    const char *hash, const char **why)
{
	char object[AUTH_NAME_MAX + 8], detail[64];
	const char *action;
	int64_t now = now_ms();
	int rc;

	if (store_begin(st) != 0)
		return USERS_ESTORE;
	detail[0] = '\0';
	switch (op) {
	case 'a':
		action = "user.add";
		rc = users_add(st, name, role, hash, now, why);
		snprintf(detail, sizeof(detail), "role=%s, by the command line",
		    role_name(role));
		break;
	case 'p':
		action = "user.update";
		rc = users_set_hash(st, name, hash, now);
		snprintf(detail, sizeof(detail),
		    "password reset, by the command line");
		break;
	default:
		action = "user.remove";
		rc = users_remove(st, name, 0);
		snprintf(detail, sizeof(detail), "by the command line");
		break;
	}
	snprintf(object, sizeof(object), "user/%s", name);
	if (rc == 0 &&
	    store_audit_insert(st, now, "-", action, object, detail) != 0)
		rc = USERS_ESTORE;
	if (rc == 0 && store_commit(st) != 0)
		rc = USERS_ESTORE;
	if (rc != 0)
		store_rollback(st);
	return rc;
}

static int
print_user(void *arg, const struct store_user *u)
{
	char when[32];

	(void)arg;
	if (u->last_login >= 0)
		iso8601_utc(u->last_login, when, sizeof(when));
	else
		snprintf(when, sizeof(when), "never");
	printf("%-24s %-7s %s\n", u->name, u->role, when);
	return 0;
}

/* baraza user add|passwd|remove|list ... */
int
cli_user(int argc, char **argv, struct config *cfg)
{
	char pw[LINE_MAX_BYTES], hash[USERS_HASH_MAX];
	const char *sub, *name = NULL, *rname = NULL, *why = NULL;
	enum role role = ROLE_NONE;
	struct store_user u;
	struct store *st;
	int i, rc;

	if (argc < 2)
		return usage();
	sub = argv[1];
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
			rname = argv[++i];
		else if (strncmp(argv[i], "--role=", 7) == 0)
			rname = argv[i] + 7;
		else if (argv[i][0] == '-' || name != NULL)
			return usage();
		else
			name = argv[i];
	}
	if (strcmp(sub, "list") == 0) {
		if (name != NULL || rname != NULL)
			return usage();
		if ((st = cli_open_store(cfg)) == NULL)
			return 1;
		printf("%-24s %-7s %s\n", "NAME", "ROLE", "LAST LOGIN");
		rc = store_user_each(st, print_user, NULL);
		store_close(st);
		if (rc != 0)
			return failed("", USERS_ESTORE, NULL);
		return 0;
	}
	if (strcmp(sub, "add") != 0 && strcmp(sub, "passwd") != 0 &&
	    strcmp(sub, "remove") != 0)
		return usage();
	if (name == NULL || (rname != NULL) != (strcmp(sub, "add") == 0))
		return usage();
	if (!users_name_valid(name)) {
		fprintf(stderr,
		    "baraza: %.64s: a name is 1 to 64 of a-z, 0-9, '.', '_' "
		    "and '-'\n",
		    name);
		return 2;
	}
	if (rname != NULL && role_parse(rname, &role) != 0) {
		fprintf(stderr, "baraza: --role is admin, staff or viewer\n");
		return 2;
	}
	if ((st = cli_open_store(cfg)) == NULL)
		return 1;
	if (strcmp(sub, "remove") == 0) {
		rc = change(st, 'r', name, role, NULL, &why);
		store_close(st);
		if (rc != 0)
			return failed(name, rc, why);
		printf("removed %s\n", name);
		return 0;
	}
	/* Before asking for a password: whether it can be used. */
	rc = store_user_get(st, name, &u);
	store_user_free(&u);
	if (rc < 0 || (rc == 0) != (sub[0] == 'p')) {
		store_close(st);
		return failed(name,
		    rc < 0          ? USERS_ESTORE
		    : sub[0] == 'p' ? USERS_ENOTFOUND
				    : USERS_EEXIST,
		    NULL);
	}
	if (read_password(name, pw) != 0) {
		store_close(st);
		return 1;
	}
	rc = users_hash(pw, hash);
	OPENSSL_cleanse(pw, sizeof(pw));
	if (rc != 0) {
		store_close(st);
		fprintf(stderr, "baraza: the password could not be hashed\n");
		return 1;
	}
	rc = change(st, sub[0] == 'a' ? 'a' : 'p', name, role, hash, &why);
	store_close(st);
	if (rc != 0)
		return failed(name, rc, why);
	if (sub[0] == 'a')
		printf("added %s (%s)\n", name, role_name(role));
	else
		printf("password of %s changed; their sessions have ended\n",
		    name);
	return 0;
}
