/*
 * memo.h: the session texts this thread serialised last, each with what
 * it stands for (memo.c). engine.c's load of a session reads back, at each
 * turn, the text the turn before stored; with the memo it takes the
 * session kept with that text instead of parsing the text again.
 */
#ifndef BARAZA_FLOWS_MEMO_H
#define BARAZA_FLOWS_MEMO_H

#include <stddef.h>

#define MEMO_SLOTS 512     /* texts kept per thread, at most (even) */
#define MEMO_TEXT_MAX 1024 /* bytes of a text kept; longer ones are not */

/*
 * The value stored for exactly these len bytes, now the caller's (the slot
 * is emptied: a session's text is read once, then replaced), or NULL.
 */
void *memo_take(const char *text, size_t len);

/*
 * Keeps value (taken over; drop frees it) as what these len bytes stand
 * for, in place of what the slot held. A text over MEMO_TEXT_MAX is not
 * kept (value is dropped at once). Nothing may change value afterwards.
 */
void memo_put(const char *text, size_t len, void *value, void (*drop)(void *));

/* Frees this thread's memo (tests, a thread's end). */
void memo_clear(void);

#endif
