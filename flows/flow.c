/*
 * flow.c: what the parser, the checker and the engine share about the
 * compiled form of a flow set: the names of step kinds, picking a text's
 * template for a language, finding a label, and matching a regex within
 * bounded limits. It depends on nothing else of flows/.
 */
#include <inttypes.h>
#include <string.h>

#include "flows/flow.h"
#include "lib/log.h"

/*
 * The one match context every match runs with, made on first use and kept
 * for the life of the process: it bounds the steps, the backtracking depth
 * and the heap of the interpreter, and gives JIT code a stack of bounded
 * size (the match limit binds JIT code too; the depth and heap limits do
 * not, the JIT stack does that). Matches run on the loop thread only.
 */
static pcre2_match_context *regex_mctx;
static pcre2_jit_stack *regex_jit_stack;

/* Rate limit of the warning for a match that hit a limit. */
static uint64_t regex_limit_hits;       /* every hit since start */
static uint64_t regex_limit_unsaid;     /* hits since the last warning */
static int64_t regex_limit_warned = -1; /* mono_ms() of it, -1: never */

static pcre2_match_context *
regex_context(void)
{
	if (regex_mctx != NULL)
		return regex_mctx;
	regex_mctx = pcre2_match_context_create(NULL);
	if (regex_mctx == NULL)
		fatalx("flows: out of memory");
	pcre2_set_match_limit(regex_mctx, FLOW_REGEX_MATCH_LIMIT);
	pcre2_set_depth_limit(regex_mctx, FLOW_REGEX_DEPTH_LIMIT);
	pcre2_set_heap_limit(regex_mctx, FLOW_REGEX_HEAP_LIMIT_KIB);
	/* NULL when PCRE2 has no JIT: then no code is JIT compiled either. */
	regex_jit_stack = pcre2_jit_stack_create(
	    FLOW_REGEX_JIT_STACK_MIN, FLOW_REGEX_JIT_STACK_MAX, NULL);
	if (regex_jit_stack != NULL)
		pcre2_jit_stack_assign(regex_mctx, NULL, regex_jit_stack);
	return regex_mctx;
}

/* True for the match errors that mean a limit was hit. */
static int
is_limit_error(int rc)
{
	return rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	       rc == PCRE2_ERROR_HEAPLIMIT ||
	       rc == PCRE2_ERROR_JIT_STACKLIMIT || rc == PCRE2_ERROR_NOMEMORY;
}

/*
 * Counts a match that hit a limit and warns about it, at most once per
 * FLOW_REGEX_WARN_MS: the regex's file and line, never the subject (it holds
 * what a resident sent).
 */
static void
limit_hit(const struct flow_regex *re)
{
	int64_t now = mono_ms();

	regex_limit_hits++;
	regex_limit_unsaid++;
	if (regex_limit_warned >= 0 &&
	    now - regex_limit_warned < FLOW_REGEX_WARN_MS)
		return;
	log_warn("flows",
	    "regex hit its match limit, counted as no match: %s:%u "
	    "hits=%" PRIu64,
	    re->pos.file ? re->pos.file : "?", re->pos.line,
	    regex_limit_unsaid);
	regex_limit_warned = now;
	regex_limit_unsaid = 0;
}

uint64_t
flow_regex_limit_hits(void)
{
	return regex_limit_hits;
}

int
flow_regex_match(const struct flow_regex *re, const char *subject, size_t len,
    pcre2_match_data *md)
{
	pcre2_match_data *own = NULL;
	int rc;

	if (re->code == NULL)
		return -1;
	if (md == NULL) {
		own = pcre2_match_data_create_from_pattern(re->code, NULL);
		if (own == NULL)
			return -1;
		md = own;
	}
	rc = pcre2_match(
	    re->code, (PCRE2_SPTR)subject, len, 0, 0, md, regex_context());
	pcre2_match_data_free(own);
	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (is_limit_error(rc)) {
		limit_hit(re);
		return 0;
	}
	return -1;
}

int
flow_regex_groups(const struct flow_regex *re, const char *subject,
    pcre2_match_data *md, flow_group_cb cb, void *arg)
{
	uint32_t count = 0, size = 0, i;
	PCRE2_SPTR table;
	PCRE2_SIZE *ov;
	uint32_t npairs;
	int rc;

	if (pcre2_pattern_info(re->code, PCRE2_INFO_NAMECOUNT, &count) != 0 ||
	    count == 0)
		return 0;
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMEENTRYSIZE, &size);
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMETABLE, &table);
	ov = pcre2_get_ovector_pointer(md);
	npairs = pcre2_get_ovector_count(md);
	for (i = 0; i < count; i++) {
		PCRE2_SPTR e = table + (size_t)i * size;
		uint32_t g = ((uint32_t)e[0] << 8) | e[1];

		if (g >= npairs || ov[2 * g] == PCRE2_UNSET)
			continue;
		rc = cb(arg, (const char *)e + 2, subject + ov[2 * g],
		    ov[2 * g + 1] - ov[2 * g]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

const struct template *
flow_text_pick(const struct flow_text *text, const char *lang)
{
	size_t i;

	if (lang != NULL)
		for (i = 0; i < text->ntr; i++)
			if (strcmp(text->tr[i].lang, lang) == 0)
				return text->tr[i].tmpl;
	return text->tmpl;
}

int
flow_find_label(const struct flow *flow, const char *name, size_t *idx)
{
	size_t i;

	for (i = 0; i < flow->nsteps; i++)
		if (flow->steps[i].kind == STEP_LABEL &&
		    strcmp(flow->steps[i].name, name) == 0) {
			*idx = i;
			return 0;
		}
	return -1;
}

const char *
flow_step_kind_name(enum flow_step_kind k)
{
	switch (k) {
	case STEP_SAY:
		return "say";
	case STEP_ASK:
		return "ask";
	case STEP_MENU:
		return "menu";
	case STEP_SET:
		return "set";
	case STEP_SAVE:
		return "save";
	case STEP_LANGUAGE:
		return "language";
	case STEP_IF:
		return "if";
	case STEP_GOTO:
		return "goto";
	case STEP_LABEL:
		return "step";
	case STEP_END:
		return "end";
	case STEP_LOOKUP:
		return "lookup";
	case STEP_FETCH:
		return "fetch";
	case STEP_REPORT:
		return "report";
	case STEP_FIND_REPORT:
		return "find report";
	case STEP_SUBSCRIBE:
		return "subscribe";
	case STEP_UNSUBSCRIBE:
		return "unsubscribe";
	}
	return "?";
}
