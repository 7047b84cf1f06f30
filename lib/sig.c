/*
 * sig.c: HMAC signatures and constant-time comparisons on OpenSSL 3
 * libcrypto (EVP_MAC for HMAC, CRYPTO_memcmp for comparing).
 */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "lib/sig.h"
#include "lib/util.h"

#define SHA256_LEN 32
#define SHA1_LEN 20

/*
 * An HMAC computation in progress: start it with hmac_begin, feed it with
 * hmac_update, end it with hmac_end. Computations on one thread do not
 * nest (each function below runs one from its begin to its end).
 */
struct hmac {
	EVP_MAC_CTX *ctx; /* the thread's keyed context, started again */
	int failed;       /* an update failed */
};

/*
 * Keyed contexts kept for reuse, a table per thread. Keying a context
 * (EVP_MAC_init with a key) fetches the digest by name and hashes the
 * key; a channel signs or checks every message with the same key, so a
 * computation starts the thread's context for that key again instead
 * (EVP_MAC_init without a key: HMAC's inner state copied back, no
 * allocation), where a copy of a shared context (EVP_MAC_CTX_dup) made
 * and freed eleven allocations each time. The keys are the
 * configuration's (channels' signing keys, event sinks' secrets, Twilio
 * auth tokens), never a request's; the table is bounded all the same:
 * when it is full the oldest entry goes, its key copy cleansed. A
 * thread's table is freed when the thread ends.
 */
#define HMAC_KEYED_MAX 16

struct keyed {
	char digest[8];     /* "SHA256" or "SHA1" */
	unsigned char *key; /* a copy, OPENSSL_clear_free'd */
	size_t keylen;
	EVP_MAC_CTX *ctx; /* keyed */
};

struct keyed_table {
	struct keyed k[HMAC_KEYED_MAX];
	size_t next; /* the slot to fill or replace next */
};

static EVP_MAC *hmac_alg; /* fetched once */
static pthread_key_t keyed_key;
static pthread_once_t keyed_once = PTHREAD_ONCE_INIT;
static int keyed_ready;

static void
keyed_free(struct keyed *k)
{
	EVP_MAC_CTX_free(k->ctx);
	OPENSSL_clear_free(k->key, k->keylen);
	memset(k, 0, sizeof(*k));
}

/* The thread ends: its table goes. */
static void
table_free(void *p)
{
	struct keyed_table *t = p;
	size_t i;

	for (i = 0; i < HMAC_KEYED_MAX; i++)
		keyed_free(&t->k[i]);
	free(t);
}

static void
keyed_setup(void)
{
	hmac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
	keyed_ready =
	    hmac_alg != NULL && pthread_key_create(&keyed_key, table_free) == 0;
}

/* This thread's table, made on its first use; NULL on failure. */
static struct keyed_table *
table_get(void)
{
	struct keyed_table *t;

	if (pthread_once(&keyed_once, keyed_setup) != 0 || !keyed_ready)
		return NULL;
	if ((t = pthread_getspecific(keyed_key)) != NULL)
		return t;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if (pthread_setspecific(keyed_key, t) != 0) {
		free(t);
		return NULL;
	}
	return t;
}

/* The thread's keyed context for digest and key, made if needed. */
static EVP_MAC_CTX *
keyed_ctx(const char *digest, const void *key, size_t keylen, int *fresh)
{
	OSSL_PARAM params[2];
	struct keyed_table *t;
	struct keyed *k;
	EVP_MAC_CTX *ctx;
	unsigned char *copy;
	size_t i;

	*fresh = 0;
	if ((t = table_get()) == NULL)
		return NULL;
	for (i = 0; i < HMAC_KEYED_MAX; i++) {
		k = &t->k[i];
		if (k->ctx != NULL && k->keylen == keylen &&
		    strcmp(k->digest, digest) == 0 &&
		    CRYPTO_memcmp(k->key, key, keylen) == 0)
			return k->ctx;
	}
	if (strlen(digest) >= sizeof(k->digest))
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(
	    OSSL_MAC_PARAM_DIGEST, (char *)digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((ctx = EVP_MAC_CTX_new(hmac_alg)) == NULL ||
	    EVP_MAC_init(ctx, key, keylen, params) != 1 ||
	    (copy = OPENSSL_memdup(key, keylen)) == NULL) {
		EVP_MAC_CTX_free(ctx);
		return NULL;
	}
	k = &t->k[t->next];
	t->next = (t->next + 1) % HMAC_KEYED_MAX;
	keyed_free(k);
	memcpy(k->digest, digest, strlen(digest) + 1);
	k->key = copy;
	k->keylen = keylen;
	k->ctx = ctx;
	*fresh = 1;
	return ctx;
}

static int
hmac_begin(struct hmac *h, const char *digest, const void *key, size_t keylen)
{
	EVP_MAC_CTX *ctx;
	int fresh;

	h->ctx = NULL;
	h->failed = 0;
	if (key == NULL || keylen == 0)
		return -1;
	if ((ctx = keyed_ctx(digest, key, keylen, &fresh)) == NULL)
		return -1;
	/* Keyed just now, or started again with the key it holds. */
	if (!fresh && EVP_MAC_init(ctx, NULL, 0, NULL) != 1)
		return -1;
	h->ctx = ctx;
	return 0;
}

static void
hmac_update(struct hmac *h, const void *data, size_t len)
{
	if (len > 0 && EVP_MAC_update(h->ctx, data, len) != 1)
		h->failed = 1;
}

/*
 * Writes the MAC (exactly outlen bytes long) into out. The context stays
 * the thread's, for the next computation with its key.
 */
static int
hmac_end(struct hmac *h, unsigned char *out, size_t outlen)
{
	size_t got = 0;
	int r = -1;

	if (!h->failed && EVP_MAC_final(h->ctx, out, &got, outlen) == 1 &&
	    got == outlen)
		r = 0;
	h->ctx = NULL;
	return r;
}

static int
hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
    unsigned char out[SHA256_LEN])
{
	struct hmac h;

	if (hmac_begin(&h, "SHA256", key, keylen) != 0)
		return -1;
	hmac_update(&h, data, len);
	return hmac_end(&h, out, SHA256_LEN);
}

static void
hex_encode(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

static int
hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes exactly 2 * len hex digits from in; returns 0 or -1. */
static int
hex_decode(const char *in, unsigned char *out, size_t len)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < len; i++) {
		if ((hi = hex_value((unsigned char)in[2 * i])) < 0 ||
		    (lo = hex_value((unsigned char)in[2 * i + 1])) < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return in[2 * len] == '\0' ? 0 : -1;
}

int
sig_hmac_sha256_hex(const void *key, size_t keylen, const void *data,
    size_t len, char *out, size_t outlen)
{
	unsigned char mac[SHA256_LEN];

	if (out == NULL || outlen < SIG_SHA256_HEX_LEN + 1 ||
	    (data == NULL && len > 0))
		return -1;
	if (hmac_sha256(key, keylen, data, len, mac) != 0)
		return -1;
	hex_encode(mac, sizeof(mac), out);
	OPENSSL_cleanse(mac, sizeof(mac));
	return 0;
}

/*
 * The MAC of "UNIX.BODY", UNIX the n digits at digits, into out.
 */
static int
http_mac(const char *key, const char *digits, size_t n, const void *body,
    size_t len, unsigned char out[SHA256_LEN])
{
	struct hmac h;

	if (hmac_begin(&h, "SHA256", key, strlen(key)) != 0)
		return -1;
	hmac_update(&h, digits, n);
	hmac_update(&h, ".", 1);
	hmac_update(&h, body, len);
	return hmac_end(&h, out, SHA256_LEN);
}

int
sig_http_sign(const char *key, int64_t t, const void *body, size_t len,
    char *out, size_t outlen)
{
	unsigned char mac[SHA256_LEN];
	char digits[FMT_U_SIZE];
	size_t n;

	if (key == NULL || out == NULL || outlen < SIG_HEADER_LEN + 1 ||
	    (body == NULL && len > 0) || t < 0 || t > INT64_C(999999999999))
		return -1;
	n = fmt_u(digits, (unsigned long long)t);
	if (http_mac(key, digits, n, body, len, mac) != 0)
		return -1;
	/* "t=" + digits + ",sha256=" + the hex fits (SIG_HEADER_LEN). */
	memcpy(out, "t=", 2);
	memcpy(out + 2, digits, n);
	memcpy(out + 2 + n, ",sha256=", 8);
	hex_encode(mac, sizeof(mac), out + 2 + n + 8);
	OPENSSL_cleanse(mac, sizeof(mac));
	return 0;
}

int
sig_http_verify(const char *key, int64_t now, const void *body, size_t len,
    const char *header)
{
	unsigned char want[SHA256_LEN], got[SHA256_LEN];
	const char *digits, *p;
	int64_t t = 0;
	size_t n;
	int r;

	if (header == NULL || strncmp(header, "t=", 2) != 0)
		return SIG_MALFORMED;
	/* The header is the sender's: read no further than it is valid. */
	digits = header + 2;
	for (n = 0; n < SIG_TIME_DIGITS && digits[n] >= '0' && digits[n] <= '9';
	     n++)
		t = t * 10 + (digits[n] - '0');
	p = digits + n;
	if (n == 0 || digits[0] == '0' || strncasecmp(p, ",sha256=", 8) != 0 ||
	    strlen(p + 8) != SIG_SHA256_HEX_LEN ||
	    hex_decode(p + 8, got, sizeof(got)) != 0)
		return SIG_MALFORMED;
	if (t < now - SIG_MAX_SKEW || t > now + SIG_MAX_SKEW)
		return SIG_STALE;
	if (key == NULL || key[0] == '\0' || (body == NULL && len > 0) ||
	    http_mac(key, digits, n, body, len, want) != 0)
		return SIG_MISMATCH;
	r = CRYPTO_memcmp(want, got, sizeof(want)) == 0 ? SIG_VALID
							: SIG_MISMATCH;
	OPENSSL_cleanse(want, sizeof(want));
	return r;
}

/* Orders parameters by name, then by value, in byte order. */
static int
param_cmp(const void *a, const void *b)
{
	const struct sig_param *pa = *(const struct sig_param *const *)a;
	const struct sig_param *pb = *(const struct sig_param *const *)b;
	int r;

	if ((r = strcmp(pa->name, pb->name)) != 0)
		return r;
	return strcmp(pa->value, pb->value);
}

int
sig_twilio_sign(const char *auth_token, const char *url,
    const struct sig_param *params, size_t n, char *out, size_t outlen)
{
	const struct sig_param *sorted[SIG_TWILIO_MAX_PARAMS];
	unsigned char mac[SHA1_LEN];
	struct hmac h;
	size_t i;

	if (auth_token == NULL || url == NULL || out == NULL ||
	    outlen < SIG_TWILIO_LEN + 1 || n > SIG_TWILIO_MAX_PARAMS ||
	    (params == NULL && n > 0))
		return -1;
	for (i = 0; i < n; i++) {
		if (params[i].name == NULL || params[i].value == NULL)
			return -1;
		sorted[i] = &params[i];
	}
	if (n > 1)
		qsort(sorted, n, sizeof(sorted[0]), param_cmp);

	if (hmac_begin(&h, "SHA1", auth_token, strlen(auth_token)) != 0)
		return -1;
	hmac_update(&h, url, strlen(url));
	for (i = 0; i < n; i++) {
		hmac_update(&h, sorted[i]->name, strlen(sorted[i]->name));
		hmac_update(&h, sorted[i]->value, strlen(sorted[i]->value));
	}
	if (hmac_end(&h, mac, sizeof(mac)) != 0)
		return -1;
	/* 20 bytes give 28 base64 characters and a NUL. */
	if (EVP_EncodeBlock((unsigned char *)out, mac, sizeof(mac)) !=
	    SIG_TWILIO_LEN)
		return -1;
	return 0;
}

int
sig_twilio_verify(const char *auth_token, const char *url,
    const struct sig_param *params, size_t n, const char *header)
{
	char want[SIG_TWILIO_LEN + 1];
	int r;

	/* The signature's length is public; only its content is secret. */
	if (header == NULL || strlen(header) != SIG_TWILIO_LEN)
		return -1;
	if (sig_twilio_sign(auth_token, url, params, n, want, sizeof(want)) !=
	    0)
		return -1;
	r = CRYPTO_memcmp(want, header, SIG_TWILIO_LEN) == 0 ? 0 : -1;
	OPENSSL_cleanse(want, sizeof(want));
	return r;
}

int
sig_equal(const char *given, const char *expected)
{
	unsigned char a[SHA256_LEN], b[SHA256_LEN];
	unsigned int alen = 0, blen = 0;
	int r;

	if (given == NULL || expected == NULL || expected[0] == '\0')
		return 0;
	/*
	 * Hashing both makes the comparison fixed-size: no early exit on a
	 * length mismatch, and CRYPTO_memcmp takes the same time wherever
	 * the digests differ. What remains is hashing time, which depends on
	 * the given string (known to the sender) and on the expected secret
	 * alone, the same for every attempt.
	 */
	if (EVP_Digest(given, strlen(given), a, &alen, EVP_sha256(), NULL) !=
		1 ||
	    EVP_Digest(expected, strlen(expected), b, &blen, EVP_sha256(),
		NULL) != 1 ||
	    alen != SHA256_LEN || blen != SHA256_LEN)
		return 0;
	r = CRYPTO_memcmp(a, b, sizeof(a)) == 0;
	OPENSSL_cleanse(b, sizeof(b));
	return r;
}
