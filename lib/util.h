/*
 * util.h: allocation that dies on out-of-memory, bounded growable buffers,
 * clocks and small string helpers shared by every module.
 *
 * Ownership: what the x* functions and buf_steal return is the caller's to
 * free; a struct buf owns its data until buf_free or buf_steal; str_trim
 * works in place. The wall clock is process state, set only by clock_set.
 */
#ifndef BARAZA_UTIL_H
#define BARAZA_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr)-offsetof(type, member)))
#define nitems(a) (sizeof(a) / sizeof((a)[0]))

/* libGammu's headers define NORETURN and UNUSED the same way. */
#if defined(__GNUC__)
#define PRINTFLIKE(f, a) __attribute__((format(printf, f, a)))
#ifndef NORETURN
#define NORETURN __attribute__((noreturn))
#endif
#ifndef UNUSED
#define UNUSED __attribute__((unused))
#endif
#else
#define PRINTFLIKE(f, a)
#define NORETURN
#define UNUSED
#endif

/*
 * Allocation wrappers: they never return NULL; on out-of-memory they log and
 * abort (internal allocations may die; anything sized by network input must
 * first be checked against a hard limit by its caller). The caller owns and
 * frees what they return.
 */
void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xrealloc(void *, size_t);
char *xstrdup(const char *);
char *xstrndup(const char *, size_t);
char *xasprintf(const char *, ...) PRINTFLIKE(1, 2);
/* The strings up to a NULL one, joined, without printf (hot paths). */
char *xconcat(const char *, ...);
char *xvasprintf(const char *, va_list) PRINTFLIKE(1, 0);

/*
 * Sets *errmsg (when errmsg is not NULL) to a formatted message, freeing
 * the one it held: a function that reports through errmsg sets *errmsg to
 * NULL first.
 */
void errmsg_set(char **errmsg, const char *fmt, ...) PRINTFLIKE(2, 3);

/*
 * A growable byte buffer with a hard maximum (curl's dynbuf). The data is
 * always NUL-terminated after a successful append, so it can be read as a C
 * string. buf_append and buf_printf return 0, or -1 when the result would
 * exceed max (the buffer is then left unchanged). The buffer owns data;
 * buf_free releases it, buf_steal hands it to the caller.
 */
struct buf {
	char *data; /* NULL until the first append */
	size_t len; /* bytes in use, without the NUL */
	size_t cap; /* bytes allocated */
	size_t max; /* hard limit on len */
};

void buf_init(struct buf *, size_t max);
int buf_append(struct buf *, const void *, size_t);
int buf_puts(struct buf *, const char *);
int buf_printf(struct buf *, const char *, ...) PRINTFLIKE(2, 3);
/* Appends v in decimal, without printf (hot paths). */
int buf_putu(struct buf *, unsigned long long v);

/* Room for any unsigned long long in decimal, with its NUL. */
#define FMT_U_SIZE 21
/* Writes v in decimal and a NUL to out; returns the digits' count. */
size_t fmt_u(char out[FMT_U_SIZE], unsigned long long v);
void buf_reset(struct buf *);
/* Cuts b back to its first len bytes (no-op when it is not longer). */
void buf_truncate(struct buf *, size_t len);
void buf_free(struct buf *);
char *buf_steal(struct buf *);
const char *buf_cstr(const struct buf *);

/*
 * Appends s (len bytes, NULs allowed) to b as a JSON string, quotes
 * included, escaped byte for byte as jansson's json_dumps does without
 * flags: \" and \\, \b \f \n \r \t, \u00XX for the other control
 * characters, everything else (UTF-8 too) as it is. Returns 0, or -1 when
 * s is not valid UTF-8 or b would pass its maximum (b may then hold part
 * of the string). For texts written on the hot path (a session, a USSD
 * answer) without building a tree for jansson to dump.
 */
int buf_json_string(struct buf *b, const char *s, size_t len);

/*
 * The length in bytes (1 to 4) of the valid UTF-8 character at s (len bytes
 * available), or 0 when len is 0 or the bytes there are not valid UTF-8
 * (overlong forms, surrogates and truncated sequences are invalid).
 */
size_t utf8_seq(const char *s, size_t len);

/*
 * Whether t is a plain decimal number: an optional sign, digits with at most
 * one '.', at least one digit. No hexadecimal, exponent, inf or nan, which
 * strtod would take: a resident's "0x14" or "2e1" is not an age of 20, nor
 * a flow's `if v > 0x10` a comparison with 16.
 */
int str_plain_decimal(const char *t);

/* Clocks in milliseconds: wall time since the epoch, and a monotonic one. */
int64_t now_ms(void);
int64_t mono_ms(void);

/*
 * Sets the wall clock of this process: from now on now_ms() reads ms and
 * advances with real time. For `simulate --now` and flow tests, which run
 * as if on a given day; the gateway never calls it.
 */
void clock_set(int64_t ms);

/*
 * Stops the wall clock of this process at ms: from now on now_ms() reads
 * exactly ms, however much real time passes, until the next clock_freeze
 * or clock_set. For `baraza test`, whose clock moves only when a test says
 * `wait`; the gateway never calls it.
 */
void clock_freeze(int64_t ms);

/* Formats a wall time in ms as ISO 8601 UTC ("2026-11-29T11:04:00Z") into out. */
void iso8601_utc(int64_t ms, char *out, size_t outlen);

/* Trims ASCII white space at both ends in place and returns s. */
char *str_trim(char *s);

/*
 * Splits the comma list s (modified in place) into at most max items in v,
 * each pointing into s, in order, without the white space at either end
 * ("open, closed" gives "open" and "closed"); empty items are skipped.
 * Returns the count, or -1 when there are more than max.
 */
int str_split_commas(char *s, char **v, size_t max);

/*
 * Reads an id (a message, report or broadcast number): decimal digits
 * only, 1 to 2^53 (exact in JSON). Returns it, or -1 for anything else,
 * NULL included.
 */
int64_t str_id(const char *);

/* ASCII case-insensitive equality. */
int str_ieq(const char *, const char *);

#endif
