/*
 * strmap.h: a small hash map from strings to pointers, with a hard limit on
 * its size, for the loop's short-lived in-memory state keyed by what a
 * sender controls (the flood guard's counters, Africa's Talking's USSD text
 * per session).
 *
 * Closed by default: a full map never refuses a new key (that would let
 * the key's sender past whatever the map guards); it forgets its least
 * recently used entry instead. The buckets come from SipHash-2-4 keyed by
 * 128 random bits drawn for each map, so a sender cannot pick keys that
 * all land in one bucket. Keys are copied and owned by the map; a value
 * belongs to the map once put, and the map releases it with the free_value
 * given to strmap_init when it removes the entry (eviction, sweep, free).
 */
#ifndef BARAZA_STRMAP_H
#define BARAZA_STRMAP_H

#include <stddef.h>
#include <stdint.h>

struct strmap_entry;

struct strmap {
	struct strmap_entry **b;     /* nb bucket chains */
	size_t nb;                   /* buckets, a power of two */
	size_t n;                    /* live entries */
	size_t max;                  /* entries kept at most */
	struct strmap_entry *newest; /* most recently used */
	struct strmap_entry *oldest; /* least recently used: evicted first */
	void (*free_value)(void *);  /* releases a removed value, or NULL */
	uint64_t k0, k1;             /* the SipHash key, random */
	uint64_t evicted;            /* entries forgotten to make room */
};

/*
 * An empty map holding at most max entries (at least 1), with a fresh
 * random hash key; free_value (may be NULL) releases removed values. Dies
 * when the system has no random bytes to give.
 */
void strmap_init(struct strmap *, size_t max, void (*free_value)(void *));
/* Releases every entry's key and value, and the buckets. */
void strmap_free(struct strmap *);
/* The value for key, or NULL; the entry becomes the most recently used. */
void *strmap_get(struct strmap *, const char *key);
/* The value for key, or NULL, leaving the use order as it is. */
void *strmap_peek(const struct strmap *, const char *key);
/*
 * Sets key to value (not NULL) and makes it the most recently used entry;
 * a value it replaces (not value itself) is released. When key is new and
 * the map holds max entries, the least recently used entry is removed
 * first. Returns 0, or 1 when an entry was evicted for room.
 */
int strmap_put(struct strmap *, const char *key, void *value);
/* Removes key and returns its value (now the caller's), or NULL. */
void *strmap_del(struct strmap *, const char *key);
/*
 * Calls fn for every entry, least recently used first; when fn returns 1
 * the entry is removed and its value released.
 */
void strmap_sweep(struct strmap *,
    int (*fn)(void *arg, const char *key, void *value), void *arg);
/*
 * Like strmap_sweep, but stops at the first entry for which fn returns 0:
 * the cheap way to drop stale entries when staleness follows use order.
 */
void strmap_expire(struct strmap *,
    int (*fn)(void *arg, const char *key, void *value), void *arg);

/*
 * SipHash-2-4 of len bytes at data under the 16-byte key (the reference
 * algorithm of Aumasson and Bernstein, little-endian key and result).
 */
uint64_t
strmap_siphash(const unsigned char key[16], const void *data, size_t len);

#endif
