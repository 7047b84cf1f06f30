/*
 * throttle.c: failures by key over a fixed window, in a bounded map.
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

/* A key's failures in its current window. */
struct throttle_entry {
	int64_t start; /* the window's first failure, ms */
	int count;     /* failures since */
	int noted;     /* throttle_note said 1 in this window */
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

/* The time stale() compares against. */
struct clock {
	int64_t now;
	int64_t window_ms;
};

/* True for an entry whose window has passed. */
static int
stale(void *arg, const char *key, void *value)
{
	const struct clock *c = arg;
	const struct throttle_entry *e = value;

	(void)key;
	return c->now - e->start >= c->window_ms;
}

int64_t
throttle_wait(struct throttle *t, const char *key, int64_t now)
{
	struct throttle_entry *e = strmap_get(&t->map, key);

	if (e == NULL || e->count < t->limit || now - e->start >= t->window_ms)
		return 0;
	return e->start + t->window_ms - now;
}

void
throttle_fail(struct throttle *t, const char *key, int64_t now)
{
	struct clock c = {now, t->window_ms};
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
	if (now - e->start >= t->window_ms) {
		e->start = now;
		e->count = 0;
		e->noted = 0;
	}
	e->count++;
}

int
throttle_note(struct throttle *t, const char *key, int64_t now)
{
	struct throttle_entry *e = strmap_peek(&t->map, key);

	if (e == NULL || e->noted || now - e->start >= t->window_ms)
		return 0;
	e->noted = 1;
	return 1;
}

void
throttle_undo(struct throttle *t, const char *key)
{
	struct throttle_entry *e = strmap_peek(&t->map, key);

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
