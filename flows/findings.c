/*
 * findings.c: the list of findings of a load (what `baraza check` prints
 * and reload logs): adding, sorting, formatting, printing and logging.
 * The parser, the checker, the flow set and the config loader all add to
 * one list; nothing here knows the flow language.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flows/flow.h"
#include "lib/log.h"

void
flow_findings_init(struct flow_findings *f)
{
	memset(f, 0, sizeof(*f));
}

void
flow_findings_free(struct flow_findings *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->v[i].file);
		free(f->v[i].msg);
	}
	free(f->v);
	memset(f, 0, sizeof(*f));
}

void
flow_findings_add(struct flow_findings *f, const char *file, unsigned line,
    unsigned col, enum flow_severity sev, const char *fmt, ...)
{
	struct flow_finding *x;
	va_list ap;

	if (sev == FINDING_ERROR)
		f->nerrors++;
	else
		f->nwarnings++;
	if (f->n >= FLOW_MAX_FINDINGS) {
		f->ndropped++;
		return;
	}
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 16;
		f->v = xrealloc(f->v, f->cap * sizeof(*f->v));
	}
	x = &f->v[f->n++];
	x->file = xstrdup(file ? file : "");
	x->line = line;
	x->col = col;
	x->severity = sev;
	x->seq = f->seq++;
	va_start(ap, fmt);
	x->msg = xvasprintf(fmt, ap);
	va_end(ap);
}

static int
finding_cmp(const void *a, const void *b)
{
	const struct flow_finding *x = a, *y = b;
	int c;

	if ((c = strcmp(x->file, y->file)) != 0)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void
flow_findings_sort(struct flow_findings *f)
{
	if (f->n > 1)
		qsort(f->v, f->n, sizeof(*f->v), finding_cmp);
}

char *
flow_finding_format(const struct flow_finding *x)
{
	const char *sev = x->severity == FINDING_ERROR ? "error" : "warning";

	if (x->file[0] == '\0')
		return xasprintf("%s: %s", sev, x->msg);
	if (x->line == 0)
		return xasprintf("%s: %s: %s", x->file, sev, x->msg);
	return xasprintf(
	    "%s:%u:%u: %s: %s", x->file, x->line, x->col, sev, x->msg);
}

size_t
flow_findings_print(const struct flow_findings *f, void *fp)
{
	size_t i;
	char *s;

	for (i = 0; i < f->n; i++) {
		s = flow_finding_format(&f->v[i]);
		fprintf(fp, "%s\n", s);
		free(s);
	}
	if (f->ndropped > 0)
		fprintf(fp, "... and %zu more findings\n", f->ndropped);
	return f->nerrors;
}

size_t
flow_findings_log(const struct flow_findings *f, const char *mod)
{
	size_t i;
	char *s;

	for (i = 0; i < f->n; i++) {
		s = flow_finding_format(&f->v[i]);
		if (f->v[i].severity == FINDING_ERROR)
			log_error(mod, "%s", s);
		else
			log_warn(mod, "%s", s);
		free(s);
	}
	if (f->ndropped > 0)
		log_warn(mod, "... and %zu more findings", f->ndropped);
	return f->nerrors;
}
