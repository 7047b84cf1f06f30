/*
 * console.h: the staff console's files (docs/console.md): the pages and
 * assets under /console/, served as they are from the console folder.
 */
#ifndef BARAZA_CONSOLE_H
#define BARAZA_CONSOLE_H

#include "gateway/gateway.h"
#include "lib/http.h"

/* Bytes of the largest file the console serves. */
#define CONSOLE_FILE_MAX (1024 * 1024)

/*
 * Answers GET and HEAD of /console/REST (rest: the path after "/console/",
 * raw): each page's URL gets its HTML (no-cache), "assets/..." the file
 * (max-age, then revalidated), both with an ETag and 304 to a matching
 * If-None-Match. A file with a FILE.gz beside it (make install writes
 * them) goes out compressed to a client that accepts gzip. Anything else
 * under /console/ is 404 (a path with "..", a percent sign, a backslash, a
 * hidden name or a file outside the folder among them); other methods 405.
 */
void console_files(struct gateway *, struct http_request *, const char *rest);

/*
 * The folder the console's files are served from, or NULL when none is
 * found: the config's console_dir when set; else, when this program runs
 * from its build tree, the build tree's console-staged (the files with
 * their gzip copies, made by make) or the source tree's web/console;
 * else the installed $(pkgdatadir)/console, else the source tree's.
 * Returns cfg's string or a static one.
 */
const char *console_dir(const struct config *cfg);

#endif
