/*
 * fuzz_flow.c: the flow parser and checker over one in-memory .flow file.
 * Any input must give findings or a set, never a crash, leak or hang.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flows/flow.h"

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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const langs[] = {"en", "sw"};
	static const struct flow_config cfg = {langs, 2, 60};
	struct flow_findings f;
	struct flowset *set = NULL;
	const char *rest;
	size_t restlen, i, j;
	struct buf b;

	flow_findings_init(&f);
	if (flowset_load_buffer(
		"fuzz.flow", (const char *)data, size, &cfg, &set, &f) == 0) {
		/* Exercise the indexes and render every step's text. */
		(void)flowset_keyword(set, "BILL");
		(void)flowset_ussd(set, "*384*1*1234#", &rest, &restlen);
		buf_init(&b, 4096);
		for (i = 0; i < set->nflows; i++)
			for (j = 0; j < set->flows[i]->nsteps; j++) {
				const struct flow_step *st =
				    &set->flows[i]->steps[j];

				if (!st->has_text)
					continue;
				buf_reset(&b);
				(void)template_render(
				    flow_text_pick(&st->text, "sw"), &b,
				    resolve_cb, NULL);
			}
		for (i = 0; i < set->nmatches; i++)
			(void)flow_regex_match(
			    set->matches[i].re, "BAL 1234567", 11, NULL);
		buf_free(&b);
		flowset_free(set);
	}
	flow_findings_sort(&f);
	for (i = 0; i < f.n; i++) {
		char *s = flow_finding_format(&f.v[i]);

		free(s);
	}
	flow_findings_free(&f);
	return 0;
}
