/*
 * sig.h: request signatures and constant-time secret checks, all on
 * OpenSSL libcrypto.
 *
 * - The generic http channel signs requests both ways with
 *   "X-Baraza-Signature: t=UNIX,sha256=HEX": UNIX the signer's clock in
 *   seconds since the epoch, HEX the lower-case HMAC-SHA256 of UNIX, '.'
 *   and the raw body under the channel's signing_key. A signature whose
 *   UNIX is more than SIG_MAX_SKEW seconds away from the checker's clock
 *   is refused, so a captured request cannot be replayed later.
 * - Twilio signs webhooks with "X-Twilio-Signature": base64 of
 *   HMAC-SHA1(auth_token, URL + each POST parameter's name immediately
 *   followed by its value, parameters sorted by name).
 * - Bearer tokens and webhook secrets are compared with sig_equal, which
 *   reveals neither the secret's content nor its length through timing.
 *
 * Every check uses CRYPTO_memcmp on fixed-size digests. An empty key or
 * secret never verifies anything: a missing secret is a configuration
 * matter for the caller, not something to accept silently.
 *
 * Ownership: nothing is allocated or kept; keys, bodies and parameters stay
 * the caller's, results go into the caller's buffers.
 */
#ifndef BARAZA_SIG_H
#define BARAZA_SIG_H

#include <stddef.h>
#include <stdint.h>

#define SIG_SHA256_HEX_LEN 64 /* hex digits of an HMAC-SHA256 */
#define SIG_TIME_DIGITS 12    /* digits of UNIX in a signature, at most */
/* "t=" + UNIX + ",sha256=" + hex, at most. */
#define SIG_HEADER_LEN (2 + SIG_TIME_DIGITS + 8 + SIG_SHA256_HEX_LEN)
#define SIG_MAX_SKEW 300          /* seconds a signature's UNIX may be off */
#define SIG_TWILIO_LEN 28         /* base64 of an HMAC-SHA1 */
#define SIG_TWILIO_MAX_PARAMS 512 /* POST parameters signed at most */

/*
 * Writes the lower-case hex HMAC-SHA256 of data under key into out
 * (outlen >= SIG_SHA256_HEX_LEN + 1), NUL-terminated. Returns 0, or -1 on
 * an empty key, a short buffer or a libcrypto failure.
 */
int sig_hmac_sha256_hex(const void *key, size_t keylen, const void *data,
    size_t len, char *out, size_t outlen);

/*
 * Writes the header value "t=UNIX,sha256=HEX" for body under key (a
 * NUL-terminated signing_key) at time t (seconds since the epoch, 0 to
 * 999999999999) into out (outlen >= SIG_HEADER_LEN + 1). Returns 0, or -1
 * on an empty key, a t out of range, a short buffer or a libcrypto failure.
 */
int sig_http_sign(const char *key, int64_t t, const void *body, size_t len,
    char *out, size_t outlen);

/* sig_http_verify results. */
enum sig_verdict {
	SIG_VALID = 0,      /* well-formed, fresh and matching */
	SIG_MALFORMED = -1, /* NULL, or not exactly "t=UNIX,sha256=HEX" */
	SIG_STALE = -2,     /* UNIX more than SIG_MAX_SKEW s from now */
	SIG_MISMATCH = -3,  /* well-formed and fresh, but wrong */
};

/*
 * Checks header, a received "t=UNIX,sha256=HEX" value, against body under
 * key at time now (seconds since the epoch). The syntax is strict: "t=",
 * 1 to SIG_TIME_DIGITS digits without a leading zero, ",sha256=" and
 * exactly SIG_SHA256_HEX_LEN hex digits (either case), nothing else. The
 * MAC is compared in constant time. Returns SIG_VALID, or one of the
 * negative enum sig_verdict values (an empty or NULL key: SIG_MISMATCH).
 */
int sig_http_verify(const char *key, int64_t now, const void *body, size_t len,
    const char *header);

/* One decoded (not percent-encoded) form parameter. */
struct sig_param {
	const char *name;  /* parameter name, NUL-terminated */
	const char *value; /* its value, NUL-terminated */
};

/*
 * Computes Twilio's signature for a request to url (the full URL Twilio
 * called: scheme, host, path and query, exactly as configured) with the
 * n POST parameters params (any order; they are sorted by name, then by
 * value for repeated names, in byte order), into out (outlen >=
 * SIG_TWILIO_LEN + 1). Returns 0, or -1 on an empty token, more than
 * SIG_TWILIO_MAX_PARAMS parameters, a NULL name or value, a short buffer
 * or a libcrypto failure. params is not modified.
 */
int sig_twilio_sign(const char *auth_token, const char *url,
    const struct sig_param *params, size_t n, char *out, size_t outlen);

/*
 * Checks an X-Twilio-Signature header value in constant time. Returns 0
 * when it matches, -1 otherwise (including a NULL header or any failure of
 * sig_twilio_sign).
 */
int sig_twilio_verify(const char *auth_token, const char *url,
    const struct sig_param *params, size_t n, const char *header);

/*
 * Compares a received secret (bearer token, ?secret=) with the expected
 * one in time independent of where they differ and of the expected
 * secret's length: both are hashed with SHA-256 and the digests compared
 * with CRYPTO_memcmp. Returns 1 when equal, 0 otherwise; NULL or an empty
 * expected secret never matches.
 */
int sig_equal(const char *given, const char *expected);

#endif
