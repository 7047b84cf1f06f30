/*
 * users.c: names, roles and scrypt password hashes of the console's users,
 * and the management calls `baraza user` and /api/v1/users share.
 */
#include "council/users.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "lib/util.h"

#define SALT_LEN 16
#define KEY_LEN 32
#define KEY_MIN 16               /* bytes of a stored key, at least */
#define KEY_MAX 64               /* and at most */
#define SCRYPT_MAXMEM (64 << 20) /* scrypt's memory, at most */

int
users_name_valid(const char *name)
{
	size_t i;

	if (name == NULL || name[0] == '\0')
		return 0;
	for (i = 0; name[i] != '\0'; i++) {
		if (i >= AUTH_NAME_MAX)
			return 0;
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
			(name[i] >= '0' && name[i] <= '9') || name[i] == '.' ||
			name[i] == '_' || name[i] == '-'))
			return 0;
	}
	return 1;
}

const char *
users_password_problem(const char *pw)
{
	size_t i, chars = 0;

	if (pw == NULL)
		return "a password is required";
	for (i = 0; pw[i] != '\0'; i++) {
		if (i >= USERS_PASSWORD_MAX)
			return "a password has at most 1024 bytes";
		/* Count the bytes that start a UTF-8 character. */
		if (((unsigned char)pw[i] & 0xc0) != 0x80)
			chars++;
	}
	if (chars < USERS_PASSWORD_MIN)
		return "a password has at least 10 characters";
	return NULL;
}

/* scrypt of password into key. 0 or -1. */
static int
scrypt(const char *pw, const unsigned char *salt, size_t saltlen, uint64_t n,
    uint64_t r, uint64_t p, unsigned char *key, size_t keylen)
{
	return EVP_PBE_scrypt(pw, strlen(pw), salt, saltlen, n, r, p,
		   SCRYPT_MAXMEM, key, keylen) == 1
		   ? 0
		   : -1;
}

int
users_hash(const char *pw, char out[USERS_HASH_MAX])
{
	unsigned char salt[SALT_LEN], key[KEY_LEN];
	char s64[4 * ((SALT_LEN + 2) / 3) + 1],
	    k64[4 * ((KEY_LEN + 2) / 3) + 1];
	int rc = -1;

	if (RAND_bytes(salt, sizeof(salt)) != 1 ||
	    scrypt(pw, salt, sizeof(salt), USERS_SCRYPT_N, USERS_SCRYPT_R,
		USERS_SCRYPT_P, key, sizeof(key)) != 0)
		goto out;
	EVP_EncodeBlock((unsigned char *)s64, salt, sizeof(salt));
	EVP_EncodeBlock((unsigned char *)k64, key, sizeof(key));
	if (snprintf(out, USERS_HASH_MAX, "scrypt$%d$%d$%d$%s$%s",
		USERS_SCRYPT_N, USERS_SCRYPT_R, USERS_SCRYPT_P, s64,
		k64) < USERS_HASH_MAX)
		rc = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

/*
 * Reads a decimal field of the hash ending at '$' into *v (1 to max).
 * Returns the text after the '$', or NULL.
 */
static const char *
field(const char *s, uint64_t max, uint64_t *v)
{
	char *end;

	if (*s < '1' || *s > '9')
		return NULL;
	errno = 0;
	*v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '$' || *v > max)
		return NULL;
	return end + 1;
}

/*
 * Decodes len bytes of base64 at s into out (at most max bytes). Returns
 * the bytes, or -1.
 */
static int
unbase64(const char *s, size_t len, unsigned char *out, size_t max)
{
	unsigned char tmp[3 * (4 * ((KEY_MAX + 2) / 3)) / 4 + 3];
	int n, pad = 0;

	if (len == 0 || len % 4 != 0 || len > 4 * ((KEY_MAX + 2) / 3))
		return -1;
	if (s[len - 1] == '=')
		pad++;
	if (s[len - 2] == '=')
		pad++;
	n = EVP_DecodeBlock(tmp, (const unsigned char *)s, (int)len);
	if (n < 0 || n - pad <= 0 || (size_t)(n - pad) > max)
		return -1;
	memcpy(out, tmp, (size_t)(n - pad));
	return n - pad;
}

int
users_verify(const char *pw, const char *hash)
{
	unsigned char salt[KEY_MAX], key[KEY_MAX], got[KEY_MAX];
	uint64_t n, r, p;
	const char *s, *k;
	int saltlen, keylen, ok;

	if (pw == NULL || hash == NULL || strncmp(hash, "scrypt$", 7) != 0)
		return -1;
	if ((s = field(hash + 7, UINT64_C(1) << 20, &n)) == NULL ||
	    (s = field(s, 32, &r)) == NULL || (s = field(s, 16, &p)) == NULL)
		return -1;
	/* N a power of two above 1; the memory scrypt needs within bounds. */
	if (n < 2 || (n & (n - 1)) != 0 ||
	    128 * r * (n + 2) + 128 * r * p > SCRYPT_MAXMEM)
		return -1;
	if ((k = strchr(s, '$')) == NULL ||
	    (saltlen = unbase64(s, (size_t)(k - s), salt, sizeof(salt))) < 1 ||
	    (keylen = unbase64(k + 1, strlen(k + 1), key, sizeof(key))) <
		KEY_MIN)
		return -1;
	if (scrypt(pw, salt, (size_t)saltlen, n, r, p, got, (size_t)keylen) !=
	    0)
		return -1;
	ok = CRYPTO_memcmp(got, key, (size_t)keylen) == 0;
	OPENSSL_cleanse(got, sizeof(got));
	return ok;
}

void
users_verify_dummy(const char *pw)
{
	static const unsigned char salt[SALT_LEN] = "baraza-no-user!";
	unsigned char got[KEY_LEN];

	(void)scrypt(pw != NULL ? pw : "", salt, sizeof(salt), USERS_SCRYPT_N,
	    USERS_SCRYPT_R, USERS_SCRYPT_P, got, sizeof(got));
	OPENSSL_cleanse(got, sizeof(got));
}

/* Maps a store result onto enum users_status. */
static int
status(int rc)
{
	switch (rc) {
	case 0:
		return USERS_OK;
	case STORE_NOTFOUND:
		return USERS_ENOTFOUND;
	case STORE_EDUP:
		return USERS_EEXIST;
	case STORE_EINVAL:
		return USERS_EINVAL;
	default:
		return USERS_ESTORE;
	}
}

int
users_add(struct store *st, const char *name, enum role role, const char *hash,
    int64_t now, const char **why)
{
	const char *dummy;

	if (why == NULL)
		why = &dummy;
	if (!users_name_valid(name)) {
		*why = "a name is 1 to 64 of a-z, 0-9, '.', '_' and '-'";
		return USERS_EINVAL;
	}
	if (role < ROLE_VIEWER || role > ROLE_ADMIN) {
		*why = "a role is admin, staff or viewer";
		return USERS_EINVAL;
	}
	if (hash == NULL || strncmp(hash, "scrypt$", 7) != 0) {
		*why = "no password hash";
		return USERS_EINVAL;
	}
	return status(
	    store_user_insert(st, name, role_name(role), hash, now, NULL));
}

/*
 * USERS_ELASTADMIN when the user called name is the only admin, else 0
 * (also for no such user: the caller's next call says so).
 */
static int
last_admin(struct store *st, const char *name)
{
	struct store_user u;
	int64_t n;
	int rc, is_admin;

	if ((rc = store_user_get(st, name, &u)) != 0)
		return rc == STORE_NOTFOUND ? 0 : USERS_ESTORE;
	is_admin = strcmp(u.role, "admin") == 0;
	store_user_free(&u);
	if (!is_admin)
		return 0;
	if (store_user_count_role(st, "admin", &n) != 0)
		return USERS_ESTORE;
	return n <= 1 ? USERS_ELASTADMIN : 0;
}

int
users_set_role(struct store *st, const char *name, enum role role,
    int keep_admin, int64_t now)
{
	int rc;

	if (role < ROLE_VIEWER || role > ROLE_ADMIN)
		return USERS_EINVAL;
	if (keep_admin && role != ROLE_ADMIN &&
	    (rc = last_admin(st, name)) != 0)
		return rc;
	return status(store_user_set_role(st, name, role_name(role), now));
}

int
users_set_hash(
    struct store *st, const char *name, const char *hash, int64_t now)
{
	struct store_user u;
	int rc;

	if (hash == NULL || strncmp(hash, "scrypt$", 7) != 0)
		return USERS_EINVAL;
	if ((rc = store_user_get(st, name, &u)) != 0)
		return status(rc);
	rc = store_user_set_hash(st, name, hash, now);
	/* A new password ends every session signed in with the old one. */
	if (rc == 0 && store_web_session_delete_user(st, u.id) < 0)
		rc = STORE_ERR;
	store_user_free(&u);
	return status(rc);
}

int
users_remove(struct store *st, const char *name, int keep_admin)
{
	int rc;

	if (keep_admin && (rc = last_admin(st, name)) != 0)
		return rc;
	return status(store_user_delete(st, name));
}
