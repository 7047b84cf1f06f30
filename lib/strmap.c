/*
 * strmap.c: a bounded string-keyed hash map that forgets its least recently
 * used entry when full. Chained buckets; every entry is also on a list in
 * use order, newest first, so eviction and expiry cost O(1) per entry.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "lib/log.h"
#include "lib/strmap.h"
#include "lib/util.h"

#define STRMAP_MIN_BUCKETS 64

struct strmap_entry {
	struct strmap_entry *next;  /* the next in its bucket */
	struct strmap_entry *newer; /* toward m->newest, or NULL */
	struct strmap_entry *older; /* toward m->oldest, or NULL */
	uint64_t hash;              /* of key, under the map's key */
	void *value;                /* owned by the map */
	char key[];                 /* NUL-terminated */
};

/*
 * SipHash-2-4, written from the reference description ("SipHash: a fast
 * short-input PRF", Aumasson and Bernstein, 2012). It guards the map's
 * buckets against chosen collisions; it protects no secret, so a small
 * local version serves (OpenSSL's EVP_MAC would allocate on every lookup).
 */
#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                   \
	do {                       \
		v0 += v1;          \
		v1 = ROTL(v1, 13); \
		v1 ^= v0;          \
		v0 = ROTL(v0, 32); \
		v2 += v3;          \
		v3 = ROTL(v3, 16); \
		v3 ^= v2;          \
		v0 += v3;          \
		v3 = ROTL(v3, 21); \
		v3 ^= v0;          \
		v2 += v1;          \
		v1 = ROTL(v1, 17); \
		v1 ^= v2;          \
		v2 = ROTL(v2, 32); \
	} while (0)

static uint64_t
le64(const unsigned char *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
	       (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 |
	       (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
	       (uint64_t)p[7] << 56;
}

static uint64_t
siphash(uint64_t k0, uint64_t k1, const void *data, size_t len)
{
	const unsigned char *p = data, *end = p + (len & ~(size_t)7);
	uint64_t v0 = 0x736f6d6570736575ULL ^ k0;
	uint64_t v1 = 0x646f72616e646f6dULL ^ k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k0;
	uint64_t v3 = 0x7465646279746573ULL ^ k1;
	uint64_t m, b = (uint64_t)len << 56;

	for (; p != end; p += 8) {
		m = le64(p);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	switch (len & 7) {
	case 7:
		b |= (uint64_t)p[6] << 48;
		/* FALLTHROUGH */
	case 6:
		b |= (uint64_t)p[5] << 40;
		/* FALLTHROUGH */
	case 5:
		b |= (uint64_t)p[4] << 32;
		/* FALLTHROUGH */
	case 4:
		b |= (uint64_t)p[3] << 24;
		/* FALLTHROUGH */
	case 3:
		b |= (uint64_t)p[2] << 16;
		/* FALLTHROUGH */
	case 2:
		b |= (uint64_t)p[1] << 8;
		/* FALLTHROUGH */
	case 1:
		b |= (uint64_t)p[0];
		break;
	default:
		break;
	}
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t
strmap_siphash(const unsigned char key[16], const void *data, size_t len)
{
	return siphash(le64(key), le64(key + 8), data, len);
}

static uint64_t
hash(const struct strmap *m, const char *key)
{
	return siphash(m->k0, m->k1, key, strlen(key));
}

void
strmap_init(struct strmap *m, size_t max, void (*free_value)(void *))
{
	unsigned char seed[16];
	size_t got = 0;
	ssize_t r;

	memset(m, 0, sizeof(*m));
	while (got < sizeof(seed)) {
		r = getrandom(seed + got, sizeof(seed) - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			fatal("strmap: getrandom");
		got += (size_t)r;
	}
	m->k0 = le64(seed);
	m->k1 = le64(seed + 8);
	m->nb = STRMAP_MIN_BUCKETS;
	m->b = xcalloc(m->nb, sizeof(*m->b));
	m->max = max > 0 ? max : 1;
	m->free_value = free_value;
}

/* Takes e off the use list. */
static void
unlink_use(struct strmap *m, struct strmap_entry *e)
{
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		m->newest = e->older;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		m->oldest = e->newer;
	e->newer = e->older = NULL;
}

/* Puts e at the newest end of the use list. */
static void
push_newest(struct strmap *m, struct strmap_entry *e)
{
	e->newer = NULL;
	e->older = m->newest;
	if (m->newest != NULL)
		m->newest->newer = e;
	else
		m->oldest = e;
	m->newest = e;
}

/* The link that points at key's entry, or at the chain's NULL end. */
static struct strmap_entry **
find(const struct strmap *m, const char *key, uint64_t h)
{
	struct strmap_entry **pe = &m->b[h & (m->nb - 1)];

	for (; *pe != NULL; pe = &(*pe)->next)
		if ((*pe)->hash == h && strcmp((*pe)->key, key) == 0)
			break;
	return pe;
}

/* Unlinks the entry *pe points at from both lists and frees it. */
static void *
remove_at(struct strmap *m, struct strmap_entry **pe)
{
	struct strmap_entry *e = *pe;
	void *v = e->value;

	*pe = e->next;
	unlink_use(m, e);
	free(e);
	m->n--;
	return v;
}

/* Removes e (found again through its bucket) and releases its value. */
static void
drop(struct strmap *m, struct strmap_entry *e)
{
	struct strmap_entry **pe = &m->b[e->hash & (m->nb - 1)];
	void *v;

	while (*pe != e)
		pe = &(*pe)->next;
	v = remove_at(m, pe);
	if (m->free_value != NULL)
		m->free_value(v);
}

/* Doubles the buckets when there are more entries than buckets. */
static void
grow(struct strmap *m)
{
	struct strmap_entry **nb, *e;
	size_t n = m->nb * 2;

	nb = xcalloc(n, sizeof(*nb));
	for (e = m->oldest; e != NULL; e = e->newer) {
		e->next = nb[e->hash & (n - 1)];
		nb[e->hash & (n - 1)] = e;
	}
	free(m->b);
	m->b = nb;
	m->nb = n;
}

void
strmap_free(struct strmap *m)
{
	struct strmap_entry *e, *older;

	for (e = m->newest; e != NULL; e = older) {
		older = e->older;
		if (m->free_value != NULL)
			m->free_value(e->value);
		free(e);
	}
	free(m->b);
	m->b = NULL;
	m->newest = m->oldest = NULL;
	m->nb = m->n = 0;
}

void *
strmap_peek(const struct strmap *m, const char *key)
{
	struct strmap_entry *e = *find(m, key, hash(m, key));

	return e != NULL ? e->value : NULL;
}

void *
strmap_get(struct strmap *m, const char *key)
{
	struct strmap_entry *e = *find(m, key, hash(m, key));

	if (e == NULL)
		return NULL;
	if (m->newest != e) {
		unlink_use(m, e);
		push_newest(m, e);
	}
	return e->value;
}

int
strmap_put(struct strmap *m, const char *key, void *value)
{
	uint64_t h = hash(m, key);
	struct strmap_entry **pe = find(m, key, h), *e;
	size_t len;
	int evicted = 0;

	if ((e = *pe) != NULL) {
		if (e->value != value && m->free_value != NULL)
			m->free_value(e->value);
		e->value = value;
		unlink_use(m, e);
		push_newest(m, e);
		return 0;
	}
	if (m->n >= m->max) {
		drop(m, m->oldest);
		m->evicted++;
		evicted = 1;
	}
	if (m->n >= m->nb && m->nb < SIZE_MAX / 2 / sizeof(*m->b))
		grow(m);
	len = strlen(key);
	e = xmalloc(sizeof(*e) + len + 1);
	memcpy(e->key, key, len + 1);
	e->hash = h;
	e->value = value;
	e->next = m->b[h & (m->nb - 1)];
	m->b[h & (m->nb - 1)] = e;
	push_newest(m, e);
	m->n++;
	return evicted;
}

void *
strmap_del(struct strmap *m, const char *key)
{
	struct strmap_entry **pe = find(m, key, hash(m, key));

	return *pe != NULL ? remove_at(m, pe) : NULL;
}

void
strmap_sweep(
    struct strmap *m, int (*fn)(void *, const char *, void *), void *arg)
{
	struct strmap_entry *e, *newer;

	for (e = m->oldest; e != NULL; e = newer) {
		newer = e->newer;
		if (fn(arg, e->key, e->value) == 1)
			drop(m, e);
	}
}

void
strmap_expire(
    struct strmap *m, int (*fn)(void *, const char *, void *), void *arg)
{
	while (
	    m->oldest != NULL && fn(arg, m->oldest->key, m->oldest->value) == 1)
		drop(m, m->oldest);
}
