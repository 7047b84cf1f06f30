/*
 * csvfail.h: the first failure of a run over a CSV file (an import, a
 * notify run). The reader's callbacks and the run record failures as they
 * meet them; only the first is kept, since later ones are its
 * consequences. Codes are the caller's own negative enum.
 */
#ifndef BARAZA_CSVFAIL_H
#define BARAZA_CSVFAIL_H

#include "lib/csvread.h"
#include "lib/util.h"

struct csvfail {
	int err;      /* the first failure, a negative code, or 0 */
	char *errmsg; /* its message, owned until csvfail_end() */
};

/* Records failure err with its message unless one is recorded already. */
void
csvfail_set(struct csvfail *, int err, const char *fmt, ...) PRINTFLIKE(3, 4);

/*
 * Takes the reader's result rc as the failure (unless a callback recorded
 * its own first): CSVREAD_ETOOBIG becomes etoobig, CSVREAD_EIO eio and any
 * other failure einval, with csv's message. 0 and CSVREAD_ESTOP (a
 * callback stopped it, having recorded why) add nothing.
 */
void csvfail_read(struct csvfail *, const struct csvread *csv, int rc,
    int etoobig, int eio, int einval);

/*
 * Ends the run's failure: returns its code (0 when none) and hands its
 * message to *errmsg (NULL when none), or frees it when errmsg is NULL.
 */
int csvfail_end(struct csvfail *, char **errmsg);

#endif
