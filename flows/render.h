/*
 * render.h: how a reply looks on a phone, for SMS and for USSD.
 *
 * The flow engine builds a reply out of rendered templates (the "built
 * text") and, when it waits on a menu, a list of option texts. This module
 * lays them out:
 *
 *   SMS   the built text, then each option on its own line as "N. text".
 *   USSD  one screen of at most max characters (UTF-8 code points, not
 *         bytes). A menu that does not fit is split into pages, never cut:
 *         every page but the last ends with a "0. More" line, options keep
 *         their numbers across pages, and the header (built text and menu
 *         prompt) is shown on the first page only. The wire form of a
 *         screen is "CON " + screen while the session goes on, "END " +
 *         screen when it ends (Africa's Talking's convention); providers
 *         with another convention take the screen and the end flag apart.
 *
 * Everything here is pure string work: no I/O, no state.
 */
#ifndef BARAZA_RENDER_H
#define BARAZA_RENDER_H

#include <stddef.h>

#define RENDER_USSD_MAX_DEFAULT 182 /* characters on one USSD screen */
#define RENDER_USSD_MIN 40          /* smallest usable ussd_max */
#define RENDER_MORE "0. More"       /* the paging line of a USSD menu */
#define RENDER_MAX_OPTIONS 99       /* options in one menu */

/*
 * Lays out an SMS reply: text (may be NULL or empty), then, when noptions is
 * above zero, the options numbered from 1, one per line. Returns a new
 * string owned by the caller (free it).
 */
char *render_sms(const char *text, const char *const *options, size_t noptions);

/*
 * Lays out one USSD screen. header (may be NULL or empty) is shown first,
 * then the options starting at index first (numbered first + 1, ...), as
 * many as fit in max characters together with the header and, when some
 * remain after them, the "0. More" line. A page always holds at least one
 * option, so paging always moves on even when the header alone is over the
 * limit (the checker warns about such screens). With noptions zero the
 * screen is the header alone. *next (may be NULL) gets the index of the
 * first option not shown, or noptions when the page is the last. max of 0
 * means RENDER_USSD_MAX_DEFAULT. Returns a new string owned by the caller.
 */
char *render_ussd_page(const char *header, const char *const *options,
    size_t noptions, size_t first, size_t max, size_t *next);

/*
 * The Africa's Talking wire form of a screen: "CON " + screen when the
 * session goes on, "END " + screen when it ends. Returns a new string owned
 * by the caller.
 */
char *render_ussd_wire(const char *screen, int end);

/* Counts the UTF-8 code points of s (an invalid byte counts as one). */
size_t render_utf8_chars(const char *s);

/*
 * The length in bytes of the longest prefix of s (len bytes) that holds at
 * most maxchars code points and does not end inside a multi-byte sequence.
 */
size_t render_utf8_prefix(const char *s, size_t len, size_t maxchars);

#endif
