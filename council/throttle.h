/*
 * throttle.h: counting failed sign-ins by key (a user name, an address)
 * over a window, to refuse a key that failed too often (console.md,
 * "Signing in": five failures within 10 minutes, then 429 for the rest of
 * those 10 minutes). A limit of THROTTLE_RING or less keeps each failure's
 * time, so the window slides: limit failures within any window_ms lock
 * the key until window_ms after the first of them (five at the end of one
 * window and five at the start of the next lock it as well). A larger
 * limit (an API's rate) counts in a fixed window from its first failure.
 *
 * The keys are whatever a stranger sends, so the map is bounded
 * (lib/strmap.h: a random hash key, the least recently used entry
 * forgotten when full). A key under attack is looked up at every attempt
 * and so stays among the most recently used: to push it out an attacker
 * must make max other keys fail within one window, which the per-address
 * count and the cost of each attempt make slow.
 *
 * Ownership: the caller owns struct throttle (it may be embedded) and
 * releases it with throttle_free().
 */
#ifndef BARAZA_THROTTLE_H
#define BARAZA_THROTTLE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/strmap.h"

#define THROTTLE_RING 8 /* limits up to this slide (each failure's time) */

struct throttle {
	struct strmap map; /* key -> struct throttle_entry */
	int limit;         /* failures allowed within a window */
	int64_t window_ms; /* the window, from the first failure */
	int64_t warned;    /* when a full map was last logged, ms */
};

/* An empty throttle of at most max keys, limit failures a window. */
void throttle_init(struct throttle *, size_t max, int limit, int64_t window_ms);

/* Releases every key. */
void throttle_free(struct throttle *);

/*
 * 0 when key may try at now; otherwise the milliseconds until its lock
 * ends (it has failed limit times within window_ms).
 */
int64_t throttle_wait(struct throttle *, const char *key, int64_t now);

/*
 * Counts a failure (or an attempt whose outcome is not known yet) of key
 * at now; a fixed window that has passed starts afresh.
 */
void throttle_fail(struct throttle *, const char *key, int64_t now);

/*
 * 1 the first time it is called for a lock of key (to record a lock once,
 * not at every refused attempt), 0 after, when key is not locked and for
 * unknown keys.
 */
int throttle_note(struct throttle *, const char *key, int64_t now);

/* Takes back one failure of key (an attempt that succeeded). */
void throttle_undo(struct throttle *, const char *key);

/*
 * The key of a client's address remote: an IPv6 address counts by its
 * /64 (one host's share of a network), anything else whole ("a:" first).
 */
void throttle_addr_key(const char *remote, char *out, size_t outlen);

/* Forgets key altogether. */
void throttle_clear(struct throttle *, const char *key);

#endif
