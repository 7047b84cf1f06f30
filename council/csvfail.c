/*
 * csvfail.c: the first failure of a run over a CSV file.
 */
#include "council/csvfail.h"

#include <stdarg.h>
#include <stdlib.h>

void
csvfail_set(struct csvfail *f, int err, const char *fmt, ...)
{
	va_list ap;

	if (f->err != 0)
		return;
	f->err = err;
	va_start(ap, fmt);
	f->errmsg = xvasprintf(fmt, ap);
	va_end(ap);
}

void
csvfail_read(struct csvfail *f, const struct csvread *csv, int rc, int etoobig,
    int eio, int einval)
{
	switch (rc) {
	case 0:
	case CSVREAD_ESTOP:
		return;
	case CSVREAD_ETOOBIG:
		csvfail_set(f, etoobig, "%s", csvread_errmsg(csv));
		break;
	case CSVREAD_EIO:
		csvfail_set(f, eio, "%s", csvread_errmsg(csv));
		break;
	default:
		csvfail_set(f, einval, "%s", csvread_errmsg(csv));
		break;
	}
}

int
csvfail_end(struct csvfail *f, char **errmsg)
{
	if (errmsg != NULL)
		*errmsg = f->errmsg;
	else
		free(f->errmsg);
	f->errmsg = NULL;
	return f->err;
}
