/*
 * idem.c: Idempotency-Key for admin writes (see idem.h). The answers live
 * in the table idempotency, written in the same transaction as the write
 * they answer, so a key is kept exactly when its write is.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "gateway/answer.h"
#include "gateway/api.h"
#include "gateway/gateway.h"
#include "gateway/idem.h"
#include "lib/log.h"
#include "lib/util.h"

#define IDEM_PURGE_EVERY_MS (60LL * 60 * 1000) /* idem_record's purge */

_Static_assert(sizeof(((struct idem *)0)->hash) == STORE_IDEM_HASH,
    "the store keeps a SHA-256");

/* A replayed answer, sent after the turn's commit. */
struct replay {
	struct http_request *req; /* answered in on_replay */
	int status;               /* the first answer's */
	char *answer;             /* its JSON body, owned */
};

static void
on_replay(void *arg, int ok)
{
	struct replay *r = arg;

	if (!ok)
		answer_error(r->req, 503, "the store failed; try again");
	else
		http_respond_ex(r->req, r->status, "application/json",
		    "Idempotent-Replayed: true\r\n", r->answer,
		    strlen(r->answer));
	free(r->answer);
	free(r);
}

/* A key is 1 to IDEM_KEY_MAX visible ASCII characters (RFC 9110 token-ish;
 * UUIDs, ULIDs and the like fit). */
static int
key_valid(const char *k)
{
	size_t n = strlen(k);

	if (n == 0 || n > IDEM_KEY_MAX)
		return 0;
	for (; *k != '\0'; k++)
		if ((unsigned char)*k < 0x21 || (unsigned char)*k > 0x7e)
			return 0;
	return 1;
}

int
idem_begin(struct gateway *gw, struct http_request *req, const char *endpoint,
    struct idem *out)
{
	const char *key = http_header(req, IDEM_HEADER);
	struct store_idem kept;
	struct replay *r;
	int rc;

	memset(out, 0, sizeof(*out));
	out->endpoint = endpoint;
	if (key == NULL)
		return 0;
	if (!key_valid(key)) {
		answer_error(req, 400,
		    "Idempotency-Key must be 1 to 255 visible ASCII "
		    "characters");
		return 1;
	}
	if (EVP_Digest(req->body, req->body_len, out->hash, NULL, EVP_sha256(),
		NULL) != 1) {
		answer_error(req, 500, "cannot hash the request");
		return 1;
	}
	/*
	 * The lookup goes through the turn's transaction, so a key recorded
	 * earlier in this turn is seen too; every answer (a replay included)
	 * waits for the commit.
	 */
	if (batch_begin(&gw->batch) != 0) {
		answer_error(req, 503, "the store failed; try again");
		return 1;
	}
	rc = store_idem_get(gw->store, endpoint, key, &kept);
	if (rc == STORE_NOTFOUND ||
	    (rc == 0 && kept.created < now_ms() - IDEM_TTL_MS)) {
		store_idem_free(&kept);
		out->key = key;
		return 0;
	}
	if (rc != 0) {
		log_warn("api", "idempotency lookup failed error=\"%s\"",
		    store_errmsg(gw->store));
		answer_error(req, 503, "the store failed; try again");
		return 1;
	}
	/*
	 * The contract: the same key within 24 h returns the first answer.
	 * A different body is most likely a client's bug (a key reused), so
	 * it is logged, but it is answered like any retry: nothing more is
	 * queued and the client sees the id it already has.
	 */
	if (kept.hash_len != sizeof(out->hash) ||
	    memcmp(kept.hash, out->hash, sizeof(out->hash)) != 0)
		log_warn("api",
		    "idempotency key reused with another body endpoint=%s; "
		    "answered with the first answer",
		    endpoint);
	r = xmalloc(sizeof(*r));
	r->req = req;
	r->status = kept.status;
	r->answer = kept.answer; /* taken over */
	log_info("api", "idempotent replay endpoint=%s", endpoint);
	batch_defer(&gw->batch, on_replay, r);
	return 1;
}

int
idem_record(struct gateway *gw, const struct idem *id, int status,
    const json_t *answer, int64_t now)
{
	static int64_t last_purge;
	char *body;
	int rc;

	if (id->key == NULL)
		return 0;
	if (now - last_purge > IDEM_PURGE_EVERY_MS) {
		if (idem_purge(gw->store, now) < 0)
			return STORE_ERR;
		last_purge = now;
	}
	if ((body = json_dumps(answer, JSON_COMPACT)) == NULL)
		fatalx("idem: cannot encode an answer");
	rc = store_idem_put(
	    gw->store, id->endpoint, id->key, id->hash, status, body, now);
	free(body);
	if (rc != 0) {
		log_warn("api", "idempotency record failed error=\"%s\"",
		    store_errmsg(gw->store));
		return STORE_ERR;
	}
	return 0;
}

int64_t
idem_purge(struct store *st, int64_t now)
{
	int64_t n = store_idem_purge(st, now - IDEM_TTL_MS);

	if (n < 0)
		log_warn("api", "idempotency purge failed error=\"%s\"",
		    store_errmsg(st));
	return n;
}
