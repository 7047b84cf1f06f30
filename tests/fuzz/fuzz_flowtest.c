/*
 * fuzz_flowtest.c: the .flowtest parser over one in-memory file. Any input
 * must give findings or a parsed file, never a crash, leak or hang.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flows/flowtest.h"

/* Resolves every placeholder to a fixed short value. */
static int
resolve_cb(void *arg, const char *root, const char *field, const char *path,
    struct buf *out)
{
	(void)arg;
	(void)root;
	(void)field;
	(void)path;
	return buf_puts(out, "v");
}

/* Renders the texts of a list and matches its regexes, as the runner does. */
static void
walk(const struct flowtest_case *c, struct buf *b)
{
	size_t i, k;

	for (i = 0; i < c->nstmt; i++) {
		const struct flowtest_stmt *st = &c->stmt[i];

		buf_reset(b);
		if (st->text != NULL)
			(void)template_render(st->text, b, resolve_cb, NULL);
		if (st->note != NULL)
			(void)template_render(st->note, b, resolve_cb, NULL);
		for (k = 0; k < st->npairs; k++)
			(void)template_render(
			    st->pairs[k].value, b, resolve_cb, NULL);
		if (st->re.code != NULL)
			(void)flow_regex_match(
			    &st->re, "CON Enter 1234567", 17, NULL);
		(void)flowtest_kind_name(st->kind);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flow_findings f;
	struct flowtest_file *ft = NULL;
	struct buf b;
	size_t i;

	flow_findings_init(&f);
	if (flowtest_parse(
		"fuzz.flowtest", (const char *)data, size, &ft, &f) == 0) {
		buf_init(&b, 4096);
		walk(&ft->head, &b);
		for (i = 0; i < ft->ntests; i++)
			walk(&ft->tests[i], &b);
		buf_free(&b);
		flowtest_free(ft);
	}
	flow_findings_sort(&f);
	for (i = 0; i < f.n; i++) {
		char *s = flow_finding_format(&f.v[i]);

		free(s);
	}
	flow_findings_free(&f);
	return 0;
}
