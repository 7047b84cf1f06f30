/*
 * fold.h: letters compared without regard to case, in any script, for the
 * flow language's keywords and menu answers ("Keywords are matched
 * case-insensitively": ÉCOLE, école and École are one keyword).
 *
 * Upper-casing is Unicode's simple case mapping, letter by letter, as the
 * C library's C.UTF-8 locale has it, whatever the environment's locale is
 * (one locale object, made once; without it, ASCII letters only). No
 * letter becomes two ("ß" stays "ß"). Bytes that are not UTF-8 are kept as
 * they are.
 *
 * Ownership: fold_upper's result is the caller's, freed with free().
 */
#ifndef BARAZA_FOLD_H
#define BARAZA_FOLD_H

#include <stddef.h>

/* The n bytes at s upper-cased, NUL-terminated, in a new string. */
char *fold_upper(const char *s, size_t n);

/* 1 when the NUL-terminated a and b are equal once upper-cased, else 0. */
int fold_equal(const char *a, const char *b);

#endif
