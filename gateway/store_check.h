/*
 * store_check.h: what the store accepts from its callers, and the texts it
 * builds for a statement's lists and searches: shared by the SQLite store
 * (store*.c) and the PostgreSQL one (store_pg*.c), so that both refuse and
 * match exactly alike.
 */
#ifndef BARAZA_STORE_CHECK_H
#define BARAZA_STORE_CHECK_H

#include <stddef.h>
#include <stdint.h>

/* 1 when s (may be NULL) is longer than max bytes. */
int store_too_long(const char *s, size_t max);

/* A flow or field NAME: [a-z_][a-z0-9_]*, 1 to STORE_NAME_MAX bytes. */
int store_valid_name(const char *s);

/* E.164: '+', a non-zero digit, then up to 14 more digits. */
int store_valid_e164(const char *s);

/* A topic: non-empty, at most STORE_NAME_MAX bytes. */
int store_valid_topic(const char *s);

/* A console user's role: viewer, staff or admin. */
int store_valid_role(const char *s);

/* Non-empty and at most max bytes. */
int store_valid_text(const char *s, size_t max);

/*
 * A LIKE pattern that matches v anywhere, its %, _ and \ escaped with \
 * (the statements say ESCAPE '\'); NULL for NULL. The caller frees it.
 */
char *store_like_pattern(const char *v);

/* v[0..n) as a JSON array of strings, or NULL when n is 0; free it. */
char *store_strings_json(const char *const *v, size_t n);

/* v[0..n) as a JSON array of integers, or NULL when n is 0; free it. */
char *store_ids_json(const int64_t *v, size_t n);

#endif
