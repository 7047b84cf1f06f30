/*
 * users.h: the people who use the staff console: their names, roles and
 * passwords (interfaces.md, "Users and the staff console").
 *
 * A password is kept only as an scrypt hash (OpenSSL's EVP_PBE_scrypt,
 * N=32768, r=8, p=1, a 16-byte random salt, a 32-byte key), written
 * "scrypt$N$r$p$SALT$KEY" with SALT and KEY in base64. Hashing one takes
 * about a tenth of a second and 32 MiB on purpose: the loop never hashes
 * (council/console_auth.c does it in the thread pool); the command line
 * may.
 *
 * Ownership: the functions write into the caller's buffers; nothing they
 * return needs freeing.
 */
#ifndef BARAZA_USERS_H
#define BARAZA_USERS_H

#include <stddef.h>
#include <stdint.h>

#include "gateway/auth.h"
#include "gateway/config.h"
#include "gateway/store.h"

#define USERS_PASSWORD_MIN 10   /* characters of a password, at least */
#define USERS_PASSWORD_MAX 1024 /* bytes of a password, at most */
#define USERS_HASH_MAX 160      /* bytes of a hash text, with its NUL */

/* The scrypt parameters of new hashes. */
#define USERS_SCRYPT_N 32768
#define USERS_SCRYPT_R 8
#define USERS_SCRYPT_P 1

/* 1 when name is a user name: 1 to 64 of [a-z0-9._-]. */
int users_name_valid(const char *name);

/*
 * Why password cannot be one, a static sentence ("a password has at least
 * 10 characters"), or NULL when it can. Characters are UTF-8 code points.
 */
const char *users_password_problem(const char *password);

/*
 * Hashes password with a new random salt into out (USERS_HASH_MAX bytes).
 * Returns 0, or -1 when random bytes or scrypt failed.
 */
int users_hash(const char *password, char out[USERS_HASH_MAX]);

/*
 * Checks password against a hash text in constant time (the key
 * comparison). Returns 1 when it matches, 0 when not, -1 for a hash text
 * that is not one of ours (or asks scrypt for more than 64 MiB).
 */
int users_verify(const char *password, const char *hash);

/*
 * Performs the same work as users_verify against a hash of no one, for
 * a name that does not exist: the answer takes as long either way.
 */
void users_verify_dummy(const char *password);

/* Results of the management calls below, beside enum store_status. */
enum users_status {
	USERS_OK = 0,
	USERS_ENOTFOUND = 1,  /* no such user */
	USERS_ESTORE = -1,    /* the store failed */
	USERS_EINVAL = -2,    /* a bad name, role or password (see why) */
	USERS_EEXIST = -3,    /* the name is taken */
	USERS_ELASTADMIN = -4 /* it would leave no admin */
};

/*
 * User management, shared by `baraza user` and /api/v1/users. Each runs
 * in the caller's transaction; hash is a users_hash() text. On
 * USERS_EINVAL *why (when not NULL) is set to a static sentence.
 *
 * users_add: a new user. users_set_role: keep_admin set refuses to take
 * the last admin's role (USERS_ELASTADMIN). users_set_hash: a new password
 * hash; every session of the user ends. users_remove: the user and their
 * sessions; keep_admin as above.
 */
int users_add(struct store *, const char *name, enum role, const char *hash,
    int64_t now, const char **why);
int users_set_role(
    struct store *, const char *name, enum role, int keep_admin, int64_t now);
int
users_set_hash(struct store *, const char *name, const char *hash, int64_t now);
int users_remove(struct store *, const char *name, int keep_admin);

/* The CLI command (cli/cli_user.c), as cli.h describes them. */
int cli_user(int, char **, struct config *);

#endif
