/*
 * idem.h: the Idempotency-Key of admin writes (POST /api/v1/messages and
 * /api/v1/broadcasts).
 *
 * A client that did not get an answer (a timeout, a 503 on a full disk
 * whose write reached the disk anyway, a crash) retries with the same key.
 * The first successful answer is kept in the store, in the same transaction
 * as the write it answers, for IDEM_TTL_MS: a retry within that time gets
 * that answer again (the same id) and queues nothing, across restarts too.
 * A key is scoped to its endpoint; reusing one with a different body is a
 * client error (422), as Stripe and the IETF draft answer it.
 */
#ifndef BARAZA_IDEM_H
#define BARAZA_IDEM_H

#include <stdint.h>

#include <jansson.h>

#include "lib/http.h"

struct gateway;
struct store;

#define IDEM_KEY_MAX 255                    /* bytes of a key */
#define IDEM_TTL_MS (24LL * 60 * 60 * 1000) /* how long an answer is kept */
#define IDEM_HEADER "Idempotency-Key"

/* One request's key, filled by idem_begin(). */
struct idem {
	const char *endpoint;   /* "messages", "broadcasts" (static) */
	const char *key;        /* the header's value in the request, or NULL */
	unsigned char hash[32]; /* SHA-256 of the request body */
};

/*
 * Looks at req's Idempotency-Key for endpoint (a static string). Returns 0
 * when the handler goes on: out->key is NULL when the request has no key,
 * else the write must be recorded with idem_record() in the same turn.
 * Returns 1 when req has been (or will be, after the turn's commit)
 * answered: a replay gets the first answer; a malformed key 400, a key
 * reused with another body 422, a store failure 503. The handler then does
 * nothing more with req.
 */
int idem_begin(struct gateway *, struct http_request *req, const char *endpoint,
    struct idem *out);

/*
 * Keeps answer (status and JSON, not consumed) for id's key in the turn's
 * open transaction (batch_begin() first), and now and then drops answers
 * older than IDEM_TTL_MS. Returns 0, or a negative value when the store
 * fails (the handler answers 503; the transaction is rolled back by then).
 * A request without a key (id->key NULL) records nothing and returns 0.
 */
int idem_record(struct gateway *, const struct idem *id, int status,
    const json_t *answer, int64_t now);

/* Drops answers created before now - IDEM_TTL_MS. Returns how many, or a
 * negative value on a store failure. */
int64_t idem_purge(struct store *, int64_t now);

#endif
