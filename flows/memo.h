/*
 * memo.h: the session texts this thread serialised or read last, each with
 * the JSON tree it stands for (memo.c). engine.c's load of a session reads
 * back, at each turn, the text the turn before stored; with the memo it
 * takes that tree instead of parsing the text again.
 */
#ifndef BARAZA_FLOWS_MEMO_H
#define BARAZA_FLOWS_MEMO_H

#include <stddef.h>

#include <jansson.h>

#define MEMO_SLOTS 512     /* texts kept per thread, at most (even) */
#define MEMO_TEXT_MAX 1024 /* bytes of a text kept; longer ones are not */

/*
 * The tree stored for exactly these len bytes (a new reference the caller
 * decrefs, and must not change: it is shared), or NULL.
 */
json_t *memo_get(const char *text, size_t len);

/*
 * Keeps tree (the caller's reference, taken over) as what these len bytes
 * stand for, in place of what the slot held. A text over MEMO_TEXT_MAX is
 * not kept (tree is released). Nothing may change tree afterwards.
 */
void memo_put(const char *text, size_t len, json_t *tree);

/* Frees this thread's memo (tests, a thread's end). */
void memo_clear(void);

#endif
