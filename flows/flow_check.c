/*
 * flow_check.c: the whole-set checks of the flow language: duplicates
 * across flows and files, menus without options, fetch URLs whose host is
 * not written out, variables used but never assigned, unreachable steps and
 * USSD screens over the limit. It reads the compiled form (flow.h) and adds
 * to a findings list (findings.c); it never calls the parser.
 */
#include "flows/flow.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * A set of names (pointers into the flow set, not owned). While built it is
 * a plain list; names_seal sorts it and drops duplicates, then names_has
 * searches it in O(log n).
 */
struct names {
	const char **v;
	size_t n, cap;
	int sealed; /* sorted and unique */
};

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
names_has(const struct names *s, const char *name)
{
	size_t i;

	if (s->sealed)
		return bsearch(&name, s->v, s->n, sizeof(*s->v), name_cmp) !=
		       NULL;
	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i], name) == 0)
			return 1;
	return 0;
}

/* Appends name (an unsealed set; duplicates go at names_seal). */
static void
names_add(struct names *s, const char *name)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = name;
}

static void
names_seal(struct names *s)
{
	size_t i, j = 0;

	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), name_cmp);
	for (i = 0; i < s->n; i++)
		if (j == 0 || strcmp(s->v[j - 1], s->v[i]) != 0)
			s->v[j++] = s->v[i];
	s->n = j;
	s->sealed = 1;
}

/* The run of a check: the set, where findings go, per-flow state. */
struct checker {
	const struct flowset *set;
	struct flow_findings *f;
	struct names *own;     /* per flow (by flow->index): what the flow
				   assigns itself, sealed */
	struct names *carried; /* per flow: names found carried over from
				   a flow that jumps here (a cache; owns
				   copies of the names) */
	struct names *missing; /* per flow: names found not carried over
				   (a cache; owns copies) */
	size_t **preds;        /* per flow: the flows that jump to it */
	size_t *npreds;
	unsigned *seen; /* per flow: BFS generation stamp */
	unsigned gen;
	size_t *queue; /* BFS queue, nflows entries */
	size_t nerrors;
};

static void report(struct checker *, const struct flow_pos *,
    enum flow_severity, const char *, ...) PRINTFLIKE(4, 5);

/* Adds a finding at pos. */
static void
report(struct checker *ck, const struct flow_pos *pos, enum flow_severity sev,
    const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	flow_findings_add(
	    ck->f, pos->file, pos->line, pos->col, sev, "%s", msg);
	free(msg);
	if (sev == FINDING_ERROR)
		ck->nerrors++;
}

/* Calls fn for every target of a step. */
static void
step_targets(const struct flow_step *st,
    void (*fn)(void *, const struct flow_target *), void *arg)
{
	size_t i;

	switch (st->kind) {
	case STEP_MENU:
		for (i = 0; i < st->u.menu.noptions; i++)
			fn(arg, &st->u.menu.options[i].target);
		break;
	case STEP_IF:
		fn(arg, &st->u.cond.target);
		break;
	case STEP_GOTO:
		fn(arg, &st->u.go.target);
		break;
	case STEP_LOOKUP:
		fn(arg, &st->u.lookup.missing.target);
		break;
	case STEP_FETCH:
		fn(arg, &st->u.fetch.missing.target);
		fn(arg, &st->u.fetch.failed.target);
		break;
	case STEP_FIND_REPORT:
		fn(arg, &st->u.find.missing.target);
		break;
	default:
		break;
	}
}

/* Duplicate flow names, keywords, USSD codes and defaults. */
struct trig_ref {
	const struct flow_trigger *t;
	const struct flow *flow;
	size_t order;
};

static int
trig_ref_cmp(const void *a, const void *b)
{
	const struct trig_ref *x = a, *y = b;
	int c = strcmp(x->t->word, y->t->word);

	if (c != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void
check_duplicates(struct checker *ck)
{
	const struct flowset *set = ck->set;
	const struct flow *fl, *first_default = NULL;
	const struct flow_trigger *first_trig = NULL;
	struct trig_ref *refs;
	size_t i, j, n = 0, order = 0;
	int pass;

	for (i = 0; i < set->nflows; i++)
		for (j = 0; j < i; j++)
			if (strcmp(set->flows[i]->name, set->flows[j]->name) ==
			    0) {
				report(ck, &set->flows[i]->pos, FINDING_ERROR,
				    "duplicate flow '%s' (first defined at "
				    "%s:%u)",
				    set->flows[i]->name,
				    set->flows[j]->pos.file,
				    set->flows[j]->pos.line);
				break;
			}

	for (i = 0; i < set->nflows; i++)
		n += set->flows[i]->ntriggers;
	refs = xcalloc(n ? n : 1, sizeof(*refs));
	for (pass = 0; pass < 2; pass++) {
		enum flow_trigger_kind kind =
		    pass ? TRIGGER_USSD : TRIGGER_KEYWORD;

		n = 0;
		for (i = 0; i < set->nflows; i++) {
			fl = set->flows[i];
			for (j = 0; j < fl->ntriggers; j++)
				if (fl->triggers[j].kind == kind) {
					refs[n].t = &fl->triggers[j];
					refs[n].flow = fl;
					refs[n].order = order++;
					n++;
				}
		}
		qsort(refs, n, sizeof(*refs), trig_ref_cmp);
		for (i = 1; i < n; i++) {
			for (j = i; j > 0 && strcmp(refs[j - 1].t->word,
						 refs[i].t->word) == 0;
			     j--)
				;
			if (j == i)
				continue;
			/* refs[j] is the first claim of this word. The same
			   flow twice is harmless: a warning. */
			if (refs[j].flow == refs[i].flow) {
				report(ck, &refs[i].t->pos, FINDING_WARNING,
				    "%s '%s' is written twice in flow '%s' "
				    "(first at line %u)",
				    pass ? "USSD code" : "keyword",
				    refs[i].t->word, refs[i].flow->name,
				    refs[j].t->pos.line);
				continue;
			}
			report(ck, &refs[i].t->pos, FINDING_ERROR,
			    "%s '%s' already used by flow '%s' (%s:%u)",
			    pass ? "USSD code" : "keyword", refs[i].t->word,
			    refs[j].flow->name, refs[j].t->pos.file,
			    refs[j].t->pos.line);
		}
	}
	free(refs);

	for (i = 0; i < set->nflows; i++) {
		fl = set->flows[i];
		for (j = 0; j < fl->ntriggers; j++) {
			if (fl->triggers[j].kind != TRIGGER_DEFAULT)
				continue;
			if (first_default == NULL) {
				first_default = fl;
				first_trig = &fl->triggers[j];
				continue;
			}
			report(ck, &fl->triggers[j].pos, FINDING_ERROR,
			    "more than one 'on default' (first in flow '%s' "
			    "at %s:%u)",
			    first_default->name, first_trig->pos.file,
			    first_trig->pos.line);
		}
	}
}

/* Menus without options. */
/*
 * A fetch URL template (one language of it, written at `at`) must start with
 * a literal http:// or https://, a host and an optional port: nothing a
 * resident sends may pick the server. The authority ends at the first '/',
 * '?' or '#' after the scheme, or at the end of the text; no placeholder may
 * come before that.
 */
static void
check_fetch_url(struct checker *ck, const struct flow *fl,
    const struct template *tm, const struct flow_pos *at)
{
	const struct template_part *p0;
	struct flow_pos pos;
	size_t skip, auth;

	if (tm == NULL)
		return;
	pos.file = fl->pos.file;
	pos.line = at->line;
	pos.col = tm->nparts > 0 ? (unsigned)tm->parts[0].col : at->col;
	p0 = tm->nparts > 0 ? &tm->parts[0] : NULL;
	if (p0 == NULL || p0->kind != TPART_LITERAL) {
		report(ck, &pos, FINDING_ERROR,
		    "the fetch URL must start with http:// or https:// and "
		    "a host written out (a placeholder cannot give the "
		    "scheme, host or port)");
		return;
	}
	if (strncasecmp(p0->text, "http://", 7) == 0)
		skip = 7;
	else if (strncasecmp(p0->text, "https://", 8) == 0)
		skip = 8;
	else {
		report(ck, &pos, FINDING_ERROR,
		    "the fetch URL must start with http:// or https:// and "
		    "a host written out");
		return;
	}
	auth = strcspn(p0->text + skip, "/?#");
	if (skip + auth == p0->len && tm->nparts > 1) {
		pos.col = (unsigned)tm->parts[1].col;
		report(ck, &pos, FINDING_ERROR,
		    "placeholder '{%s}' in the host or port of the fetch "
		    "URL (placeholders may only come after the host, in the "
		    "path or query)",
		    tm->parts[1].text);
		return;
	}
	if (auth == 0)
		report(ck, &pos, FINDING_ERROR, "the fetch URL has no host");
}

static void
check_steps(struct checker *ck, const struct flow *fl)
{
	size_t i, j;

	for (i = 0; i < fl->nsteps; i++) {
		const struct flow_step *st = &fl->steps[i];

		if (st->kind == STEP_MENU && st->u.menu.noptions == 0)
			report(ck, &st->pos, FINDING_ERROR,
			    "menu '%s' has no options", st->name);
		if (st->kind == STEP_FETCH) {
			check_fetch_url(ck, fl, st->text.tmpl, &st->text.pos);
			for (j = 0; j < st->text.ntr; j++)
				check_fetch_url(ck, fl, st->text.tr[j].tmpl,
				    &st->text.tr[j].pos);
		}
	}
}

/* ---- variables ---- */

/* Adds the named groups of a regex to a names set. */
static void
regex_groups(struct names *s, const struct flow_regex *re)
{
	uint32_t count = 0, size = 0, i;
	PCRE2_SPTR table;

	if (re->code == NULL ||
	    pcre2_pattern_info(re->code, PCRE2_INFO_NAMECOUNT, &count) != 0)
		return;
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMEENTRYSIZE, &size);
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMETABLE, &table);
	for (i = 0; i < count; i++)
		names_add(s, (const char *)table + (size_t)i * size + 2);
}

/* What a flow assigns by itself. */
static void
own_assignments(struct names *s, const struct flow *fl)
{
	size_t i;

	names_add(s, "rest");
	names_add(s, "input");
	names_add(s, "contact");
	for (i = 0; i < fl->ntriggers; i++)
		if (fl->triggers[i].kind == TRIGGER_MATCH)
			regex_groups(s, &fl->triggers[i].re);
	for (i = 0; i < fl->nsteps; i++) {
		const struct flow_step *st = &fl->steps[i];

		switch (st->kind) {
		case STEP_ASK:
		case STEP_MENU:
		case STEP_SET:
		case STEP_LOOKUP:
		case STEP_FETCH:
		case STEP_REPORT:
		case STEP_FIND_REPORT:
			names_add(s, st->name);
			break;
		default:
			break;
		}
	}
}

/* Adds an edge pred -> flow of a `-> flow` target. */
struct edges {
	struct checker *ck;
	size_t from;
};

static void
add_pred(void *arg, const struct flow_target *t)
{
	struct edges *e = arg;
	struct checker *ck = e->ck;
	size_t to, k;

	if (t->kind != TARGET_FLOW || t->flow == NULL)
		return;
	to = t->flow->index;
	if (to == e->from)
		return;
	for (k = 0; k < ck->npreds[to]; k++)
		if (ck->preds[to][k] == e->from)
			return;
	ck->preds[to] = xrealloc(
	    ck->preds[to], (ck->npreds[to] + 1) * sizeof(*ck->preds[to]));
	ck->preds[to][ck->npreds[to]++] = e->from;
}

/*
 * Builds what each flow assigns itself and the graph of `-> flow` jumps
 * (reversed: who jumps to each flow).
 */
static void
compute_assigned(struct checker *ck)
{
	const struct flowset *set = ck->set;
	size_t i, j, n = set->nflows ? set->nflows : 1;
	struct edges e;

	ck->own = xcalloc(n, sizeof(*ck->own));
	ck->carried = xcalloc(n, sizeof(*ck->carried));
	ck->missing = xcalloc(n, sizeof(*ck->missing));
	ck->preds = xcalloc(n, sizeof(*ck->preds));
	ck->npreds = xcalloc(n, sizeof(*ck->npreds));
	ck->seen = xcalloc(n, sizeof(*ck->seen));
	ck->queue = xcalloc(n, sizeof(*ck->queue));
	for (i = 0; i < set->nflows; i++) {
		own_assignments(&ck->own[i], set->flows[i]);
		names_seal(&ck->own[i]);
	}
	e.ck = ck;
	for (i = 0; i < set->nflows; i++) {
		e.from = i;
		for (j = 0; j < set->flows[i]->nsteps; j++)
			step_targets(&set->flows[i]->steps[j], add_pred, &e);
	}
}

static void
free_assigned(struct checker *ck)
{
	size_t i, j;

	for (i = 0; i < ck->set->nflows; i++) {
		free(ck->own[i].v);
		for (j = 0; j < ck->carried[i].n; j++)
			free((char *)ck->carried[i].v[j]);
		free(ck->carried[i].v);
		for (j = 0; j < ck->missing[i].n; j++)
			free((char *)ck->missing[i].v[j]);
		free(ck->missing[i].v);
		free(ck->preds[i]);
	}
	free(ck->own);
	free(ck->carried);
	free(ck->missing);
	free(ck->preds);
	free(ck->npreds);
	free(ck->seen);
	free(ck->queue);
}

/*
 * True when name is assigned in flow fl: by fl itself, or by any flow from
 * which a chain of `-> flow` jumps leads to fl (session variables carry
 * over). The answer for a carried name is cached per flow.
 */
static int
is_assigned(struct checker *ck, const struct flow *fl, const char *name)
{
	size_t head = 0, tail = 0, cur, k, idx = fl->index;
	int found = 0;

	if (names_has(&ck->own[idx], name) ||
	    names_has(&ck->carried[idx], name))
		return 1;
	if (names_has(&ck->missing[idx], name))
		return 0;
	/* Walk backwards over the jumps into fl. */
	if (++ck->gen == 0) {
		memset(ck->seen, 0, ck->set->nflows * sizeof(*ck->seen));
		ck->gen = 1;
	}
	ck->seen[idx] = ck->gen;
	ck->queue[tail++] = idx;
	while (head < tail && !found) {
		cur = ck->queue[head++];
		for (k = 0; k < ck->npreds[cur]; k++) {
			size_t p = ck->preds[cur][k];

			if (ck->seen[p] == ck->gen)
				continue;
			ck->seen[p] = ck->gen;
			if (names_has(&ck->own[p], name)) {
				found = 1;
				break;
			}
			ck->queue[tail++] = p;
		}
	}
	/* The caches own copies: name may live on the caller's stack. */
	names_add(found ? &ck->carried[idx] : &ck->missing[idx], xstrdup(name));
	return found;
}

/* Warns for every placeholder of tm whose root is never assigned. */
static void
check_template(struct checker *ck, const struct flow *fl,
    const struct template *tm, unsigned line)
{
	struct flow_pos pos;
	size_t i;

	if (tm == NULL)
		return;
	for (i = 0; i < tm->nparts; i++) {
		const struct template_part *p = &tm->parts[i];

		if (p->kind != TPART_VAR || is_assigned(ck, fl, p->root))
			continue;
		pos.file = fl->pos.file;
		pos.line = line;
		pos.col = (unsigned)p->col;
		report(ck, &pos, FINDING_WARNING,
		    "variable '%s' is used but "
		    "never assigned in flow '%s'",
		    p->root, fl->name);
	}
}

static void
check_text(struct checker *ck, const struct flow *fl, const struct flow_text *t)
{
	size_t i;

	if (t->tmpl == NULL)
		return;
	check_template(ck, fl, t->tmpl, t->pos.line);
	for (i = 0; i < t->ntr; i++)
		check_template(ck, fl, t->tr[i].tmpl, t->tr[i].pos.line);
}

/* Warns for variables used in a flow's texts and conditions, unassigned. */
static void
check_variables(struct checker *ck, const struct flow *fl)
{
	size_t i, j;

	check_text(ck, fl, &fl->title);
	for (i = 0; i < fl->nsteps; i++) {
		const struct flow_step *st = &fl->steps[i];

		if (st->has_text)
			check_text(ck, fl, &st->text);
		switch (st->kind) {
		case STEP_ASK:
			for (j = 0; j < st->u.ask.nchecks; j++)
				check_text(ck, fl, &st->u.ask.checks[j].text);
			check_text(ck, fl, &st->u.ask.tries_text);
			break;
		case STEP_MENU:
			for (j = 0; j < st->u.menu.noptions; j++)
				check_text(ck, fl, &st->u.menu.options[j].text);
			break;
		case STEP_IF: {
			const struct flow_cond *cd = &st->u.cond.cond;
			size_t n = strcspn(cd->var, ".");
			char root[FLOW_MAX_NAME + 1];

			snprintf(root, sizeof(root), "%.*s", (int)n, cd->var);
			if (!is_assigned(ck, fl, root))
				report(ck, &cd->var_pos, FINDING_WARNING,
				    "variable '%s' is used but never assigned "
				    "in flow '%s'",
				    root, fl->name);
			if (cd->value != NULL)
				check_template(ck, fl, cd->value, st->pos.line);
			break;
		}
		case STEP_LOOKUP:
			check_text(ck, fl, &st->u.lookup.key);
			check_text(ck, fl, &st->u.lookup.missing.text);
			break;
		case STEP_FETCH:
			check_text(ck, fl, &st->u.fetch.missing.text);
			check_text(ck, fl, &st->u.fetch.failed.text);
			break;
		case STEP_REPORT:
			check_text(ck, fl, &st->u.report.category);
			check_text(ck, fl, &st->u.report.location);
			check_text(ck, fl, &st->u.report.details);
			break;
		case STEP_FIND_REPORT:
			check_text(ck, fl, &st->u.find.missing.text);
			break;
		default:
			break;
		}
	}
}

/* ---- unreachable steps and flows ---- */

/* A breadth-first walk over flows: seen is the caller's on[]. */
struct reach {
	unsigned char *seen;
	size_t *queue;
	size_t nq;
};

static void
reach_target(void *arg, const struct flow_target *t)
{
	struct reach *r = arg;

	if (t->kind == TARGET_FLOW && t->flow != NULL &&
	    !r->seen[t->flow->index]) {
		r->seen[t->flow->index] = 1;
		r->queue[r->nq++] = t->flow->index;
	}
}

void
flow_mark_jumps(const struct flowset *set, unsigned char *on)
{
	struct reach r = {on, NULL, 0};
	size_t i, j, head = 0;

	if (set->nflows == 0)
		return;
	r.queue = xcalloc(set->nflows, sizeof(*r.queue));
	for (i = 0; i < set->nflows; i++)
		if (on[i])
			r.queue[r.nq++] = i;
	while (head < r.nq) {
		const struct flow *fl = set->flows[r.queue[head++]];

		for (j = 0; j < fl->nsteps; j++)
			step_targets(&fl->steps[j], reach_target, &r);
	}
	free(r.queue);
}

/* A flow starts only from a trigger or a jump. */
void
flow_mark_reachable(const struct flowset *set, int want, unsigned char *on)
{
	size_t i, j;

	for (i = 0; i < set->nflows; i++)
		for (j = 0; j < set->flows[i]->ntriggers; j++)
			if (want < 0 || set->flows[i]->triggers[j].kind ==
					    (enum flow_trigger_kind)want)
				on[i] = 1;
	flow_mark_jumps(set, on);
}

/* Steps of one flow reachable from its first step. */
struct walk {
	const struct flow *fl;
	unsigned char *seen; /* fl->nsteps */
	size_t *queue;
	size_t nq;
};

static void
walk_push(struct walk *w, size_t i)
{
	if (i < w->fl->nsteps && !w->seen[i]) {
		w->seen[i] = 1;
		w->queue[w->nq++] = i;
	}
}

static void
walk_target(void *arg, const struct flow_target *t)
{
	struct walk *w = arg;

	if (t->kind == TARGET_STEP && t->flow == w->fl)
		walk_push(w, t->step);
}

/*
 * Whether the step after st can run after it: not after goto and end, nor
 * after a menu whose options all jump. (An ask or menu that runs out of
 * tries ends the session, but a right answer goes on.)
 */
static int
falls_through(const struct flow_step *st)
{
	size_t i;

	switch (st->kind) {
	case STEP_GOTO:
	case STEP_END:
		return 0;
	case STEP_MENU:
		for (i = 0; i < st->u.menu.noptions; i++)
			if (st->u.menu.options[i].target.kind == TARGET_NONE)
				return 1;
		return st->u.menu.noptions == 0; /* an error of its own */
	default:
		return 1;
	}
}

/*
 * One warning per run of steps that nothing reaches: after a step that does
 * not fall through, and not jumped to from a step that runs.
 */
static void
check_unreachable(struct checker *ck, const struct flow *fl)
{
	struct walk w;
	size_t i, head = 0;

	if (fl->nsteps == 0)
		return;
	w.fl = fl;
	w.seen = xcalloc(fl->nsteps, 1);
	w.queue = xcalloc(fl->nsteps, sizeof(*w.queue));
	w.nq = 0;
	walk_push(&w, 0);
	while (head < w.nq) {
		const struct flow_step *st = &fl->steps[w.queue[head++]];
		size_t at = (size_t)(st - fl->steps);

		step_targets(st, walk_target, &w);
		if (falls_through(st))
			walk_push(&w, at + 1);
	}
	for (i = 1; i < fl->nsteps; i++) {
		const struct flow_step *st = &fl->steps[i];
		const struct flow_step *prev = &fl->steps[i - 1];

		if (w.seen[i] || !w.seen[i - 1])
			continue; /* reached, or not the first of its run */
		if (st->kind == STEP_LABEL)
			report(ck, &st->pos, FINDING_WARNING,
			    "unreachable step '%s' (nothing that runs jumps "
			    "to it, and the '%s' on line %u does not go on "
			    "to it)",
			    st->name, flow_step_kind_name(prev->kind),
			    prev->pos.line);
		else if (prev->kind == STEP_MENU)
			report(ck, &st->pos, FINDING_WARNING,
			    "unreachable '%s' (every option of the 'menu' on "
			    "line %u jumps, and no 'step' label before it)",
			    flow_step_kind_name(st->kind), prev->pos.line);
		else
			report(ck, &st->pos, FINDING_WARNING,
			    "unreachable '%s' (after the '%s' on line %u and "
			    "no 'step' label before it)",
			    flow_step_kind_name(st->kind),
			    flow_step_kind_name(prev->kind), prev->pos.line);
	}
	free(w.seen);
	free(w.queue);
}

/* ---- USSD screens ---- */

/* Length in characters of text t in language lang (0 when absent). */
static size_t
text_chars(const struct flow_text *t, const char *lang)
{
	const struct template *tm;

	if (t->tmpl == NULL)
		return 0;
	tm = flow_text_pick(t, lang);
	return template_literal_chars(tm);
}

/* Joins a built text (acc characters so far) and a new text of n. */
static size_t
join(size_t acc, size_t n)
{
	if (acc == 0)
		return n;
	if (n == 0)
		return acc;
	return acc + 1 + n;
}

/* The worst screen found at one step, across languages. */
struct screen {
	size_t chars;
	const char *lang;
};

static void
screen_note(struct screen *sc, size_t chars, const char *lang)
{
	if (chars > sc->chars) {
		sc->chars = chars;
		sc->lang = lang;
	}
}

/*
 * The USSD screens, estimated per language: the text built since the last
 * wait plus the prompt at each ask or menu (options aside), the built text
 * plus the last words at each end, a check's text with its prompt, a
 * clause's text where it ends the session. The built text follows every
 * way a step goes on: the next step, `if` and `goto` targets, a `missing`
 * or `failed` clause's target (with the clause's text), another flow's
 * first step; an ask or a menu starts the next screen empty. Placeholders
 * count 0. A run of steps that loops without waiting is counted up to
 * USSD_SCREEN_CAP times the limit, where the propagation stops.
 */
#define USSD_SCREEN_CAP 4

struct screens {
	const struct flowset *set;
	const char *lang;
	size_t cap;
	size_t **entry;        /* per flow and step: built text on entry + 1,
				   0 when not reached */
	struct screen **worst; /* per flow and step, across languages */
	size_t (*queue)[2];    /* flow, step: waiting to be looked at */
	size_t nq, qcap;
	unsigned char **queued; /* per flow and step */
};

/* Arrives at step i of flow f with acc characters built. */
static void
screens_reach(struct screens *sc, size_t f, size_t i, size_t acc)
{
	const struct flow *fl = sc->set->flows[f];

	if (acc > sc->cap)
		acc = sc->cap;
	if (i >= fl->nsteps) {
		/* Falling off the end shows what was built. */
		if (acc > 0 && fl->nsteps > 0)
			screen_note(
			    &sc->worst[f][fl->nsteps - 1], acc, sc->lang);
		return;
	}
	if (sc->entry[f][i] > acc)
		return;
	sc->entry[f][i] = acc + 1;
	if (sc->queued[f][i])
		return;
	sc->queued[f][i] = 1;
	if (sc->nq == sc->qcap) {
		sc->qcap = sc->qcap ? sc->qcap * 2 : 64;
		sc->queue = xrealloc(sc->queue, sc->qcap * sizeof(*sc->queue));
	}
	sc->queue[sc->nq][0] = f;
	sc->queue[sc->nq][1] = i;
	sc->nq++;
}

/* Goes on to a target (none: the next step) with acc characters built. */
static void
screens_go(struct screens *sc, size_t f, size_t i, const struct flow_target *t,
    size_t acc)
{
	if (t->kind == TARGET_STEP && t->flow != NULL)
		screens_reach(sc, t->flow->index, t->step, acc);
	else if (t->kind == TARGET_FLOW && t->flow != NULL)
		screens_reach(sc, t->flow->index, 0, acc);
	else
		screens_reach(sc, f, i + 1, acc);
}

/* A missing or failed clause: its text, then its target or the end. */
static void
screens_outcome(struct screens *sc, size_t f, size_t i,
    const struct flow_outcome *o, size_t acc)
{
	size_t said;

	if (!o->present) {
		screen_note(&sc->worst[f][i], acc, sc->lang);
		return;
	}
	said = join(acc, text_chars(&o->text, sc->lang));
	if (o->target.kind == TARGET_NONE)
		screen_note(&sc->worst[f][i], said, sc->lang);
	else
		screens_go(sc, f, i, &o->target, said);
}

/* One step, reached with acc characters built: its screens, its ways on. */
static void
screens_step(struct screens *sc, size_t f, size_t i, size_t acc)
{
	const struct flow_step *st = &sc->set->flows[f]->steps[i];
	struct screen *w = &sc->worst[f][i];
	const char *lang = sc->lang;
	size_t prompt, j;

	switch (st->kind) {
	case STEP_SAY:
		screens_reach(
		    sc, f, i + 1, join(acc, text_chars(&st->text, lang)));
		break;
	case STEP_ASK:
		prompt = text_chars(&st->text, lang);
		screen_note(w, join(acc, prompt), lang);
		for (j = 0; j < st->u.ask.nchecks; j++)
			screen_note(w,
			    join(text_chars(&st->u.ask.checks[j].text, lang),
				prompt),
			    lang);
		if (st->u.ask.has_tries_text)
			screen_note(
			    w, text_chars(&st->u.ask.tries_text, lang), lang);
		screens_reach(sc, f, i + 1, 0);
		break;
	case STEP_MENU:
		screen_note(w, join(acc, text_chars(&st->text, lang)), lang);
		for (j = 0; j < st->u.menu.noptions; j++)
			screens_go(sc, f, i, &st->u.menu.options[j].target, 0);
		break;
	case STEP_END:
		screen_note(w, join(acc, text_chars(&st->text, lang)), lang);
		break;
	case STEP_GOTO:
		screens_go(sc, f, i, &st->u.go.target, acc);
		break;
	case STEP_IF:
		screens_go(sc, f, i, &st->u.cond.target, acc);
		screens_reach(sc, f, i + 1, acc);
		break;
	case STEP_LOOKUP:
		screens_outcome(sc, f, i, &st->u.lookup.missing, acc);
		screens_reach(sc, f, i + 1, acc);
		break;
	case STEP_FETCH:
		screens_outcome(sc, f, i, &st->u.fetch.missing, acc);
		screens_outcome(sc, f, i, &st->u.fetch.failed, acc);
		screens_reach(sc, f, i + 1, acc);
		break;
	case STEP_FIND_REPORT:
		screens_outcome(sc, f, i, &st->u.find.missing, acc);
		screens_reach(sc, f, i + 1, acc);
		break;
	default:
		screens_reach(sc, f, i + 1, acc);
		break;
	}
}

/* Checks the screens of every flow a USSD session can run. */
static void
check_ussd(struct checker *ck)
{
	const struct flowset *set = ck->set;
	struct screens sc;
	size_t f, i, l, limit = set->ussd_limit;

	if (set->nflows == 0)
		return;
	memset(&sc, 0, sizeof(sc));
	sc.set = set;
	sc.cap = limit * USSD_SCREEN_CAP + 1;
	sc.entry = xcalloc(set->nflows, sizeof(*sc.entry));
	sc.worst = xcalloc(set->nflows, sizeof(*sc.worst));
	sc.queued = xcalloc(set->nflows, sizeof(*sc.queued));
	for (f = 0; f < set->nflows; f++) {
		size_t n = set->flows[f]->nsteps + 1;

		sc.entry[f] = xcalloc(n, sizeof(**sc.entry));
		sc.worst[f] = xcalloc(n, sizeof(**sc.worst));
		sc.queued[f] = xcalloc(n, 1);
	}
	for (l = 0; l < set->nlanguages; l++) {
		sc.lang = set->languages[l];
		for (f = 0; f < set->nflows; f++)
			memset(sc.entry[f], 0,
			    (set->flows[f]->nsteps + 1) * sizeof(**sc.entry));
		for (f = 0; f < set->nflows; f++)
			for (i = 0; i < set->flows[f]->ntriggers; i++)
				if (set->flows[f]->triggers[i].kind ==
				    TRIGGER_USSD)
					screens_reach(&sc, f, 0, 0);
		while (sc.nq > 0) {
			size_t qf = sc.queue[sc.nq - 1][0],
			       qi = sc.queue[sc.nq - 1][1];

			sc.nq--;
			sc.queued[qf][qi] = 0;
			screens_step(&sc, qf, qi, sc.entry[qf][qi] - 1);
		}
	}
	for (f = 0; f < set->nflows; f++) {
		for (i = 0; i < set->flows[f]->nsteps; i++)
			if (sc.worst[f][i].chars > limit)
				report(ck, &set->flows[f]->steps[i].pos,
				    FINDING_WARNING,
				    "USSD screen of %zu characters (language "
				    "%s) is over the limit of %zu",
				    sc.worst[f][i].chars, sc.worst[f][i].lang,
				    limit);
		free(sc.entry[f]);
		free(sc.worst[f]);
		free(sc.queued[f]);
	}
	free(sc.entry);
	free(sc.worst);
	free(sc.queued);
	free(sc.queue);
}

void
flow_check(const struct flowset *set, struct flow_findings *findings)
{
	struct checker ck;
	size_t i;

	memset(&ck, 0, sizeof(ck));
	ck.set = set;
	ck.f = findings;
	check_duplicates(&ck);
	compute_assigned(&ck);
	for (i = 0; i < set->nflows; i++) {
		check_steps(&ck, set->flows[i]);
		check_variables(&ck, set->flows[i]);
		check_unreachable(&ck, set->flows[i]);
	}
	check_ussd(&ck);
	free_assigned(&ck);
}
