/*
 * throttle.c: failures by key over a window, in a bounded map.
 */
#include "council/throttle.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/util.h"

#define WARN_MS 60000 /* a full map is logged at most this often */

/*
 * A key's failures. With a limit of THROTTLE_RING or less (sign-ins) the
 * times of the last limit failures, oldest first: the window slides, so
 * five failures within any ten minutes lock the key until ten minutes
 * after the first of them, wherever they fall. With a larger limit (an
 * API's rate) a fixed window from its first failure and a count.
 */
struct throttle_entry {
	int64_t start;            /* fixed: the window's first failure */
	int count;                /* fixed: failures since; ring: times */
	int64_t noted;            /* the lock throttle_note said 1 of */
	int64_t t[THROTTLE_RING]; /* ring: the last failures' times */
};

void
throttle_init(struct throttle *t, size_t max, int limit, int64_t window_ms)
{
	strmap_init(&t->map, max, free);
	t->limit = limit;
	t->window_ms = window_ms;
	t->warned = 0;
}

void
throttle_free(struct throttle *t)
{
	strmap_free(&t->map);
}

/* Whether t keeps each failure's time (a small limit). */
static int
ring(const struct throttle *t)
{
	return t->limit <= THROTTLE_RING;
}

/* The time the key's lock (or window) counts from. */
static int64_t
since(const struct throttle *t, const struct throttle_entry *e)
{
	if (!ring(t))
		return e->start;
	/* Locked by its last limit failures: from the first of them. */
	return e->count >= t->limit ? e->t[0]
	       : e->count > 0       ? e->t[e->count - 1]
				    : 0;
}

/* The time stale() compares against. */
struct clock {
	int64_t now;
	const struct throttle *t;
};

/* True for an entry whose last failure is a window old. */
static int
stale(void *arg, const char *key, void *value)
{
	const struct clock *c = arg;
	const struct throttle_entry *e = value;
	int64_t last =
	    ring(c->t) ? (e->count > 0 ? e->t[e->count - 1] : 0) : e->start;

	(void)key;
	return c->now - last >= c->t->window_ms;
}

int64_t
throttle_wait(struct throttle *t, const char *key, int64_t now)
{
	struct throttle_entry *e = strmap_get(&t->map, key);
	int64_t from;

	if (e == NULL || e->count < t->limit)
		return 0;
	from = since(t, e);
	if (now - from >= t->window_ms)
		return 0;
	return from + t->window_ms - now;
}

void
throttle_fail(struct throttle *t, const char *key, int64_t now)
{
	struct clock c = {now, t};
	struct throttle_entry *e;

	/* The least recently used keys whose window has passed go first. */
	strmap_expire(&t->map, stale, &c);
	if ((e = strmap_get(&t->map, key)) == NULL) {
		e = xcalloc(1, sizeof(*e));
		e->start = now;
		if (strmap_put(&t->map, key, e) == 1 &&
		    (t->warned == 0 || now - t->warned >= WARN_MS)) {
			t->warned = now;
			log_warn("auth",
			    "sign-in throttle full: forgetting the least "
			    "recently used keys tracked=%zu forgotten=%llu",
			    t->map.n, (unsigned long long)t->map.evicted);
		}
	}
	if (ring(t)) {
		if (e->count == t->limit) {
			memmove(e->t, e->t + 1,
			    (size_t)(t->limit - 1) * sizeof(e->t[0]));
			e->count--;
		}
		e->t[e->count++] = now;
		return;
	}
	if (e->count == 0 || now - e->start >= t->window_ms) {
		e->start = now;
		e->count = 0;
	}
	e->count++;
}

int
throttle_note(struct throttle *t, const char *key, int64_t now)
{
	struct throttle_entry *e = strmap_peek(&t->map, key);
	int64_t from;

	if (e == NULL || e->count < t->limit)
		return 0;
	from = since(t, e);
	if (now - from >= t->window_ms || e->noted == from + 1)
		return 0;
	e->noted = from + 1; /* never 0: a lock from time 0 counts too */
	return 1;
}

void
throttle_undo(struct throttle *t, const char *key)
{
	struct throttle_entry *e = strmap_peek(&t->map, key);

	/* The last failure: the attempt being taken back (a fixed
	 * window whose count falls to 0 starts again at the next). */
	if (e != NULL && e->count > 0)
		e->count--;
}

void
throttle_clear(struct throttle *t, const char *key)
{
	free(strmap_del(&t->map, key));
}

void
throttle_addr_key(const char *remote, char *out, size_t outlen)
{
	unsigned char a[16];
	char s[INET6_ADDRSTRLEN];

	if (inet_pton(AF_INET6, remote, a) == 1 &&
	    !IN6_IS_ADDR_V4MAPPED((struct in6_addr *)a)) {
		memset(a + 8, 0, 8);
		if (inet_ntop(AF_INET6, a, s, sizeof(s)) != NULL) {
			snprintf(out, outlen, "a:%s/64", s);
			return;
		}
	}
	snprintf(out, outlen, "a:%s", remote);
}
