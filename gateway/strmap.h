/*
 * strmap.h: a small hash map from strings to pointers, with a hard limit on
 * its size, for the loop's short-lived in-memory state (the flood guard's
 * counters, Africa's Talking's USSD text per session). Open addressing with
 * tombstones; keys are copied and owned by the map, values are not.
 */
#ifndef BARAZA_STRMAP_H
#define BARAZA_STRMAP_H

#include <stddef.h>

struct strmap_slot;

struct strmap {
	struct strmap_slot *v; /* cap slots */
	size_t cap;            /* a power of two */
	size_t n;              /* live entries */
	size_t used;           /* live entries and tombstones */
	size_t max;            /* refuse inserts beyond this */
};

/* An empty map holding at most max entries. */
void strmap_init(struct strmap *, size_t max);
/* Frees the map's keys and slots; free_value (may be NULL) gets each value. */
void strmap_free(struct strmap *, void (*free_value)(void *));
/* The value for key, or NULL. */
void *strmap_get(const struct strmap *, const char *key);
/* Sets key to value (not NULL). Returns 0, or -1 when the map is full. */
int strmap_put(struct strmap *, const char *key, void *value);
/* Removes key and returns its value, or NULL. */
void *strmap_del(struct strmap *, const char *key);
/*
 * Calls fn for every entry; when fn returns 1 the entry is removed (after
 * fn has released the value if it must).
 */
void strmap_sweep(struct strmap *,
    int (*fn)(void *arg, const char *key, void *value), void *arg);

#endif
