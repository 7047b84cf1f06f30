/*
 * strmap.c: a bounded string-keyed hash map.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"
#include "util.h"

struct strmap_slot {
	char *key; /* NULL: empty or tombstone */
	void *value;
	int dead; /* a tombstone */
};

static uint64_t
hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

void
strmap_init(struct strmap *m, size_t max)
{
	m->cap = 64;
	m->v = xcalloc(m->cap, sizeof(*m->v));
	m->n = m->used = 0;
	m->max = max;
}

void
strmap_free(struct strmap *m, void (*free_value)(void *))
{
	size_t i;

	for (i = 0; i < m->cap; i++) {
		if (m->v[i].key == NULL)
			continue;
		if (free_value != NULL)
			free_value(m->v[i].value);
		free(m->v[i].key);
	}
	free(m->v);
	m->v = NULL;
	m->cap = m->n = m->used = 0;
}

/* The slot of key, or of where it would go (NULL only when full). */
static struct strmap_slot *
find(const struct strmap *m, const char *key, int for_insert)
{
	size_t mask = m->cap - 1, i = (size_t)hash(key) & mask, k;
	struct strmap_slot *tomb = NULL;

	for (k = 0; k < m->cap; k++, i = (i + 1) & mask) {
		struct strmap_slot *s = &m->v[i];

		if (s->key == NULL) {
			if (s->dead) {
				if (tomb == NULL)
					tomb = s;
				continue;
			}
			return for_insert && tomb != NULL ? tomb : s;
		}
		if (strcmp(s->key, key) == 0)
			return s;
	}
	return for_insert ? tomb : NULL;
}

static void
grow(struct strmap *m)
{
	struct strmap_slot *old = m->v;
	size_t oldcap = m->cap, i;

	/* Rehash into a table twice as big when half full with entries. */
	if (m->n * 2 >= m->cap)
		m->cap *= 2;
	m->v = xcalloc(m->cap, sizeof(*m->v));
	m->used = m->n;
	for (i = 0; i < oldcap; i++) {
		if (old[i].key != NULL) {
			struct strmap_slot *s = find(m, old[i].key, 1);

			s->key = old[i].key;
			s->value = old[i].value;
		}
	}
	free(old);
}

void *
strmap_get(const struct strmap *m, const char *key)
{
	struct strmap_slot *s = find(m, key, 0);

	return s != NULL && s->key != NULL ? s->value : NULL;
}

int
strmap_put(struct strmap *m, const char *key, void *value)
{
	struct strmap_slot *s = find(m, key, 0);

	if (s != NULL && s->key != NULL) {
		s->value = value;
		return 0;
	}
	if (m->n >= m->max)
		return -1;
	if ((m->used + 1) * 4 >= m->cap * 3)
		grow(m);
	s = find(m, key, 1);
	if (!s->dead)
		m->used++;
	s->key = xstrdup(key);
	s->value = value;
	s->dead = 0;
	m->n++;
	return 0;
}

void *
strmap_del(struct strmap *m, const char *key)
{
	struct strmap_slot *s = find(m, key, 0);
	void *v;

	if (s == NULL || s->key == NULL)
		return NULL;
	v = s->value;
	free(s->key);
	s->key = NULL;
	s->value = NULL;
	s->dead = 1;
	m->n--;
	return v;
}

void
strmap_sweep(
    struct strmap *m, int (*fn)(void *, const char *, void *), void *arg)
{
	size_t i;

	for (i = 0; i < m->cap; i++) {
		struct strmap_slot *s = &m->v[i];

		if (s->key == NULL || fn(arg, s->key, s->value) != 1)
			continue;
		free(s->key);
		s->key = NULL;
		s->value = NULL;
		s->dead = 1;
		m->n--;
	}
}
