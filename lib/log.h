/*
 * log.h: one line per event on stderr:
 *   2026-11-29T11:04:00.123Z INFO http: listening addr=127.0.0.1:8080
 * The module names the part of the gateway speaking; the message ends with
 * key=value pairs where there are any. Messages below the configured level
 * are dropped before they are formatted.
 *
 * Ownership: nothing is kept; a message is formatted and written at once.
 * log_phone and log_text write into the caller's buffer. The level is
 * process state.
 */
#ifndef BARAZA_LOG_H
#define BARAZA_LOG_H

#include <stddef.h>

#include "lib/util.h"

enum log_level {
	L_ERROR = 0,
	L_WARN,
	L_INFO,
	L_DEBUG,
};

/* Sets the level; messages above it (less severe) are dropped. */
void log_set_level(int);
int log_get_level(void);
/* Parses "error", "warn", "info", "debug"; returns the level or -1. */
int log_level_parse(const char *);
/* True when a message at this level would be printed. */
int log_would(int);

void log_msg(int, const char *, const char *, ...) PRINTFLIKE(3, 4);
#define log_error(mod, ...) log_msg(L_ERROR, mod, __VA_ARGS__)
#define log_warn(mod, ...) log_msg(L_WARN, mod, __VA_ARGS__)
#define log_info(mod, ...) log_msg(L_INFO, mod, __VA_ARGS__)
#define log_debug(mod, ...) log_msg(L_DEBUG, mod, __VA_ARGS__)

/*
 * Start-up failures and impossible states: print "baraza: MESSAGE" (fatal
 * adds strerror(errno)) and exit 1.
 */
NORETURN void fatal(const char *, ...) PRINTFLIKE(1, 2);
NORETURN void fatalx(const char *, ...) PRINTFLIKE(1, 2);

/*
 * Masks a phone number for logs at every level (scrub_phone: the first
 * four characters and the last two stay, "+254700000001" becomes
 * "+254*******01", short ones "****"). Writes into out (at least 32 bytes)
 * and returns it.
 */
const char *log_phone(const char *, char *, size_t);

/*
 * Scrubs free text for the log (a provider's error, a parser's complaint
 * quoting its input). At every level a control character (bytes below
 * 0x20, 0x7f, and the C1 controls U+0080 to U+009F) becomes a space and
 * '"' becomes '\'', so the text cannot forge a log line or a key=value
 * pair; other UTF-8 stays. Every digit run (see scrub.h:
 * digits with single spaces, dots or dashes between them) of seven or more
 * digits, or with six or more in a row, keeps its first and last two
 * digits only: "+254 712-999-888" becomes "+25* ***-***-*88". The text is
 * cut to outlen - 1 bytes, never inside a UTF-8 character. Returns out.
 */
const char *log_text(const char *, char *, size_t);

#endif
