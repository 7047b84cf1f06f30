/*
 * engine.c: runs flows for one session at a time (see engine.h).
 *
 * A call (route, start, input, resume) runs steps from the session's current
 * step until one of them waits for the contact (ask, menu), the flow ends,
 * or a step needs the host (lookup, fetch, report, find report, subscribe,
 * unsubscribe, save, language). The text built by say and friends stays in
 * the session (s->out) until it goes out with a WAIT or END, so an action in
 * the middle of a reply loses nothing.
 *
 * Everything the session holds is plain data (names, an index, strings), so
 * it serialises to JSON and survives a reload of the flow set: each call
 * finds the flow by name again and checks that the step it waited at is
 * still the same kind of step with the same NAME.
 */
#include "flows/engine.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "flows/memo.h"
#include "flows/render.h"
#include "lib/fold.h"
#include "lib/log.h"
#include "lib/util.h"

/* What a session waits for between two calls. */
enum wait_kind {
	WAIT_NONE,   /* not in a flow yet, running, or done */
	WAIT_INPUT,  /* an answer to the ask or menu at pc */
	WAIT_ACTION, /* the host's reply to the action of the step at pc */
};

struct flow_session {
	enum engine_channel channel; /* SMS or USSD layout */
	size_t ussd_max;             /* USSD screen limit; 0: the set's */
	char *phone;                 /* the contact's number, or NULL */
	char *language;              /* the contact's language, or NULL */
	json_t *fields;              /* contact fields: name -> string */
	json_t *vars;                /* variables, records as "name.field" */
	char *flow;          /* current flow's name; NULL before start */
	size_t pc;           /* index of the current step */
	enum wait_kind wait; /* what the session waits for */
	enum flow_step_kind wait_step; /* kind of the step waited at */
	char *wait_name;               /* that step's NAME, or NULL */
	int tries;                     /* failed answers to the ask at pc */
	size_t menu_next;              /* USSD: first option of the next page */
	char *queue[ENGINE_MAX_QUEUE]; /* queued USSD answers, oldest first */
	size_t nqueue;
	char *rest;       /* {rest}: the text after the keyword */
	char *input;      /* {input}: the last raw answer */
	struct buf out;   /* text built for the next reply */
	unsigned steps;   /* steps run since the last input */
	unsigned actions; /* actions asked since the last input */
	int done;         /* the session is over */
};

/* The state of one call. */
struct run {
	const struct engine *eng;
	struct flow_session *s;
	const struct flow *flow; /* the flow named by s->flow */
	struct engine_result *r;
	int urlencode; /* templates render values URL-encoded */
};

/* How a step or an answer leaves the run. */
enum {
	RUN_NEXT, /* go on with the step at s->pc */
	RUN_STOP, /* the result is set: return to the host */
	RUN_AGAIN /* an answer that leaves the session waiting (screen set) */
};

/* Which screen a waiting step shows. */
enum screen_kind {
	SCREEN_PROMPT,  /* built text, prompt (and the menu's first page) */
	SCREEN_RETRY,   /* built text, the failed check's text, prompt */
	SCREEN_INVALID, /* built text, invalid_choice_text, prompt, menu */
	SCREEN_PAGE,    /* built text and the next page of the menu */
};

struct screen {
	enum screen_kind kind;
	size_t check; /* SCREEN_RETRY: index of the failed check */
};

/* ---- small helpers ---- */

static const char *
error_text(const struct engine *eng)
{
	return eng->error_text ? eng->error_text : ENGINE_DEFAULT_ERROR_TEXT;
}

static const char *
invalid_text(const struct engine *eng)
{
	return eng->invalid_choice_text ? eng->invalid_choice_text
					: ENGINE_DEFAULT_INVALID_CHOICE_TEXT;
}

/* Replaces the owned string *dst with a copy of src (may be NULL). */
static void
replace_str(char **dst, const char *src)
{
	char *v = src ? xstrdup(src) : NULL;

	free(*dst);
	*dst = v;
}

/*
 * A copy of s (len bytes) that is valid UTF-8 of at most max bytes: broken
 * bytes become '?', and a longer text is cut at a character boundary. Input
 * from outside goes through this before it reaches a regex or JSON.
 */
static char *
clean_utf8(const char *s, size_t len, size_t max)
{
	char *out = xmalloc((len < max ? len : max) + 1);
	size_t i = 0, o = 0;

	while (i < len) {
		size_t n = utf8_seq(s + i, len - i);

		if (n == 0 || s[i] == '\0') {
			if (o + 1 > max)
				break;
			out[o++] = '?';
			i++;
			continue;
		}
		if (o + n > max)
			break;
		memcpy(out + o, s + i, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
	return out;
}

/* Trims ASCII white space at both ends of the owned string v, in place. */
static char *
trim_in_place(char *v)
{
	char *p = str_trim(v);

	if (p != v)
		memmove(v, p, strlen(p) + 1);
	return v;
}

/* A trimmed copy of s (ASCII white space); the caller frees it. */
static char *
trimmed(const char *s)
{
	return trim_in_place(xstrdup(s ? s : ""));
}

/*
 * Parses a decimal number that is the whole of s (white space around it
 * allowed). Returns 0 and sets *out, or -1.
 */
static int
parse_number(const char *s, double *out)
{
	char *t = trimmed(s), *end;
	double d;
	int rc = -1;

	if (str_plain_decimal(t)) {
		errno = 0;
		d = strtod(t, &end);
		if (errno == 0 && *end == '\0' && end != t && isfinite(d)) {
			*out = d;
			rc = 0;
		}
	}
	free(t);
	return rc;
}

/* The language texts render in: the contact's if the set knows it. */
static const char *
cur_lang(const struct run *run)
{
	const struct flowset *set = run->eng->set;

	if (run->s->language != NULL &&
	    flowset_language(set, run->s->language) >= 0)
		return run->s->language;
	if (set->nlanguages > 0)
		return set->languages[0];
	return "en";
}

static size_t
ussd_max(const struct run *run)
{
	if (run->s->ussd_max > 0)
		return run->s->ussd_max;
	if (run->eng->set->ussd_limit > 0)
		return run->eng->set->ussd_limit;
	return RENDER_USSD_MAX_DEFAULT;
}

/* ---- variables ---- */

static const char *
var_get(const struct flow_session *s, const char *path)
{
	json_t *v = json_object_get(s->vars, path);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/*
 * Sets variable path to value (len bytes, cleaned and bounded). Returns 0,
 * or -1 when path is over ENGINE_MAX_KEY bytes or the session already holds
 * ENGINE_MAX_VARS others.
 */
static int
var_setn(
    struct flow_session *s, const char *path, const char *value, size_t len)
{
	char *key, *v;
	json_t *j;

	if (strlen(path) > ENGINE_MAX_KEY)
		return -1;
	if (json_object_get(s->vars, path) == NULL &&
	    json_object_size(s->vars) >= ENGINE_MAX_VARS)
		return -1;
	key = clean_utf8(path, strlen(path), ENGINE_MAX_VALUE);
	v = clean_utf8(value, len, ENGINE_MAX_VALUE);
	j = json_string(v);
	if (j == NULL || json_object_set_new(s->vars, key, j) == -1)
		fatalx("engine: cannot store a variable");
	free(key);
	free(v);
	return 0;
}

static int
var_set(struct flow_session *s, const char *path, const char *value)
{
	return var_setn(s, path, value, strlen(value));
}

/* Removes every "name.*" key: a record about to be replaced. */
static void
record_clear(struct flow_session *s, const char *name)
{
	const char *key;
	json_t *v;
	void *tmp;
	size_t n = strlen(name);

	json_object_foreach_safe(s->vars, tmp, key, v)
	{
		(void)v;
		if (strncmp(key, name, n) == 0 && key[n] == '.')
			json_object_del(s->vars, key);
	}
}

/* True when a record "name.*" has any field. */
static int
record_present(const struct flow_session *s, const char *name)
{
	const char *key;
	json_t *v;
	size_t n = strlen(name);

	json_object_foreach(s->vars, key, v)
	{
		if (strncmp(key, name, n) == 0 && key[n] == '.')
			return 1;
	}
	return 0;
}

/*
 * The value a placeholder or condition names: root is the first part of the
 * path, field the rest or NULL, path the whole. NULL when not set.
 */
static const char *
value_of(const struct run *run, const char *root, const char *field,
    const char *path)
{
	const struct flow_session *s = run->s;

	if (strcmp(root, "contact") == 0) {
		json_t *v;

		if (field == NULL)
			return NULL;
		if (strcmp(field, "phone") == 0)
			return s->phone;
		if (strcmp(field, "language") == 0)
			return cur_lang(run);
		v = json_object_get(s->fields, field);
		return json_is_string(v) ? json_string_value(v) : NULL;
	}
	if (field == NULL && strcmp(root, "rest") == 0)
		return s->rest;
	if (field == NULL && strcmp(root, "input") == 0)
		return s->input;
	return var_get(s, path);
}

/* The same for a whole dotted path ("bill.balance"). */
static const char *
value_of_path(const struct run *run, const char *path)
{
	const char *dot = strchr(path, '.');
	char root[FLOW_MAX_NAME + 1];
	size_t n;

	if (dot == NULL)
		return value_of(run, path, NULL, path);
	n = (size_t)(dot - path);
	if (n >= sizeof(root))
		return NULL;
	memcpy(root, path, n);
	root[n] = '\0';
	return value_of(run, root, dot + 1, path);
}

/* ---- templates ---- */

/*
 * Appends v percent-encoded: every byte but the RFC 3986 unreserved
 * characters (A-Z a-z 0-9 - . _ ~) becomes %XX, so a value never brings a
 * '/', '?', '#' or '%' of its own into a URL. A value that is exactly "." or
 * ".." has its dots encoded too ("%2E", "%2E%2E"): it stays a segment of
 * its own and never becomes a dot segment that moves the path up. That is
 * enough: a value's own '/' is encoded, so a segment that holds part of a
 * value holds all of it, and a "." or ".." segment can only hold a value
 * that is "." or "..". libcurl sends %2E as it is, never as a dot.
 */
static int
urlencode_append(struct buf *out, const char *v)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;
	int dots = strcmp(v, ".") == 0 || strcmp(v, "..") == 0;

	for (p = (const unsigned char *)v; *p != '\0'; p++) {
		char enc[3];

		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' ||
		    (*p == '.' && !dots) || *p == '_' || *p == '~') {
			if (buf_append(out, p, 1) == -1)
				return -1;
			continue;
		}
		enc[0] = '%';
		enc[1] = hex[*p >> 4];
		enc[2] = hex[*p & 15];
		if (buf_append(out, enc, 3) == -1)
			return -1;
	}
	return 0;
}

static int
resolve_cb(void *arg, const char *root, const char *field, const char *path,
    struct buf *out)
{
	struct run *run = arg;
	const char *v = value_of(run, root, field, path);

	if (v == NULL)
		return 0;
	if (run->urlencode)
		return urlencode_append(out, v);
	return buf_puts(out, v);
}

/* Renders a template into a new string; NULL when over ENGINE_MAX_VALUE. */
static char *
render_tmpl_str(struct run *run, const struct template *tmpl)
{
	struct buf b;

	buf_init(&b, ENGINE_MAX_VALUE);
	if (tmpl != NULL && template_render(tmpl, &b, resolve_cb, run) < 0) {
		buf_free(&b);
		return NULL;
	}
	if (b.data == NULL)
		return xstrdup("");
	return buf_steal(&b);
}

static char *
render_str(struct run *run, const struct flow_text *t)
{
	return render_tmpl_str(run, flow_text_pick(t, cur_lang(run)));
}

/* ---- results ---- */

void
engine_result_free(struct engine_result *r)
{
	struct engine_action *a = &r->action;

	free(r->text);
	free(r->error);
	free(a->table);
	free(a->column);
	free(a->value);
	free(a->url);
	free(a->category);
	free(a->location);
	free(a->details);
	free(a->id);
	free(a->topic);
	free(a->field);
	free(a->language);
	memset(r, 0, sizeof(*r));
}

/* Ends the session on a run-time failure at step st (may be NULL). */
static int fail(struct run *, const struct flow_step *, const char *, ...)
    PRINTFLIKE(3, 4);

static int
fail(struct run *run, const struct flow_step *st, const char *fmt, ...)
{
	struct flow_session *s = run->s;
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	engine_result_free(run->r);
	run->r->status = ENGINE_ERROR;
	run->r->text = xstrdup(error_text(run->eng));
	if (st != NULL)
		run->r->error =
		    xasprintf("%s:%u: %s", st->pos.file, st->pos.line, msg);
	else
		run->r->error =
		    xasprintf("flow %s: %s", s->flow ? s->flow : "-", msg);
	free(msg);
	buf_reset(&s->out);
	s->wait = WAIT_NONE;
	s->done = 1;
	return RUN_STOP;
}

/* Ends a session whose flow or step vanished in a reload. */
static int
stale(struct run *run, const char *why)
{
	struct flow_session *s = run->s;

	engine_result_free(run->r);
	run->r->status = ENGINE_STALE;
	run->r->text = xstrdup(error_text(run->eng));
	run->r->error = xasprintf("flow %s: %s after a reload; session ended",
	    s->flow ? s->flow : "-", why);
	buf_reset(&s->out);
	s->wait = WAIT_NONE;
	s->done = 1;
	return RUN_STOP;
}

/* Appends one piece of text to the reply being built, on its own line. */
static int
out_add(struct run *run, const struct flow_step *st, const char *text)
{
	struct buf *out = &run->s->out;

	if (text == NULL || text[0] == '\0')
		return 0;
	if ((out->len > 0 && buf_puts(out, "\n") == -1) ||
	    buf_puts(out, text) == -1) {
		fail(run, st, "reply longer than %d bytes", ENGINE_MAX_REPLY);
		return -1;
	}
	return 0;
}

/* Renders a TEXT onto the reply being built. */
static int
out_text(struct run *run, const struct flow_step *st, const struct flow_text *t)
{
	char *v = render_str(run, t);
	int rc;

	if (v == NULL) {
		fail(run, st, "text longer than %d bytes", ENGINE_MAX_VALUE);
		return -1;
	}
	rc = out_add(run, st, v);
	free(v);
	return rc;
}

/* Ends the session with the built text plus extra (may be NULL). */
static int
finish(struct run *run, const struct flow_step *st, const char *extra)
{
	struct flow_session *s = run->s;

	if (out_add(run, st, extra) == -1)
		return RUN_STOP;
	engine_result_free(run->r);
	run->r->status = ENGINE_END;
	run->r->text = xstrdup(buf_cstr(&s->out) ? buf_cstr(&s->out) : "");
	buf_reset(&s->out);
	s->wait = WAIT_NONE;
	s->done = 1;
	return RUN_STOP;
}

/* The same with a TEXT. */
static int
finish_text(
    struct run *run, const struct flow_step *st, const struct flow_text *t)
{
	if (out_text(run, st, t) == -1)
		return RUN_STOP;
	return finish(run, st, NULL);
}

/* Hands an action to the host; the session waits for engine_resume. */
static int
action(struct run *run, const struct flow_step *st, enum engine_action_kind k)
{
	struct flow_session *s = run->s;

	if (++s->actions > ENGINE_MAX_ACTIONS)
		return fail(run, st, "more than %d actions without waiting",
		    ENGINE_MAX_ACTIONS);
	run->r->status = ENGINE_ACTION;
	run->r->action.kind = k;
	run->r->action.file = st->pos.file;
	run->r->action.line = st->pos.line;
	s->wait = WAIT_ACTION;
	s->wait_step = st->kind;
	replace_str(&s->wait_name, st->name);
	return RUN_STOP;
}

/* ---- jumps ---- */

static int
jump(struct run *run, const struct flow_step *st, const struct flow_target *t)
{
	struct flow_session *s = run->s;
	const struct flow *f;

	switch (t->kind) {
	case TARGET_NONE:
		s->pc++;
		return RUN_NEXT;
	case TARGET_STEP:
		if (t->step >= run->flow->nsteps)
			return fail(run, st, "unresolved target %s",
			    t->name ? t->name : "?");
		s->pc = t->step;
		return RUN_NEXT;
	case TARGET_FLOW:
		f = t->name ? flowset_find(run->eng->set, t->name) : NULL;
		if (f == NULL)
			return fail(
			    run, st, "no flow %s", t->name ? t->name : "?");
		run->flow = f;
		replace_str(&s->flow, f->name);
		s->pc = 0;
		return RUN_NEXT;
	}
	return fail(run, st, "bad target");
}

/*
 * What a `missing` or `failed` clause does: say its text, then jump, or end
 * when it has no target. An absent clause ends the session: with the
 * config's error_text when absent_error is set (fetch), else with only the
 * text built so far (lookup, find report), as flow.h documents.
 */
static int
outcome(struct run *run, const struct flow_step *st,
    const struct flow_outcome *o, int absent_error)
{
	if (!o->present)
		return finish(
		    run, st, absent_error ? error_text(run->eng) : NULL);
	if (o->text.tmpl != NULL && out_text(run, st, &o->text) == -1)
		return RUN_STOP;
	if (o->target.kind == TARGET_NONE)
		return finish(run, st, NULL);
	return jump(run, st, &o->target);
}

/* ---- conditions and checks ---- */

static int
regex_test(const struct flow_regex *re, const char *v)
{
	if (re->code == NULL)
		return 0;
	return flow_regex_match(re, v, strlen(v), NULL) == 1;
}

/* The index of the first check v fails, or nchecks when all pass. */
static size_t
first_failed_check(const struct flow_step *st, const char *v)
{
	size_t i;

	for (i = 0; i < st->u.ask.nchecks; i++) {
		const struct flow_check *c = &st->u.ask.checks[i];
		double d;

		if (c->kind == CHECK_REGEX && !regex_test(&c->re, v))
			return i;
		if (c->kind == CHECK_NUMBER &&
		    (parse_number(v, &d) == -1 || d < c->min || d > c->max))
			return i;
	}
	return st->u.ask.nchecks;
}

/*
 * Evaluates an if's condition: 1, 0, or -1 on a failure (result set).
 * "is set" holds for a non-empty value or a record with any field; "is
 * empty" is its negation.
 */
static int
cond_holds(struct run *run, const struct flow_step *st)
{
	const struct flow_cond *c = &st->u.cond.cond;
	const char *v = value_of_path(run, c->var);
	char *want;
	double d;
	int eq, set;

	switch (c->kind) {
	case COND_EQ:
	case COND_NE:
		want = render_tmpl_str(run, c->value);
		if (want == NULL) {
			fail(run, st, "value longer than %d bytes",
			    ENGINE_MAX_VALUE);
			return -1;
		}
		eq = strcmp(v ? v : "", want) == 0;
		free(want);
		return c->kind == COND_EQ ? eq : !eq;
	case COND_MATCH:
		return regex_test(&c->re, v ? v : "");
	case COND_LT:
		return v && parse_number(v, &d) == 0 && d < c->number;
	case COND_GT:
		return v && parse_number(v, &d) == 0 && d > c->number;
	case COND_SET:
	case COND_EMPTY:
		set = (v != NULL && v[0] != '\0') ||
		      (strchr(c->var, '.') == NULL &&
			  record_present(run->s, c->var));
		return c->kind == COND_SET ? set : !set;
	}
	return 0;
}

/* ---- waiting: asks and menus ---- */

/* The options of a menu rendered in the current language. */
static char **
menu_options(struct run *run, const struct flow_step *st)
{
	size_t i, n = st->u.menu.noptions;
	char **v = xcalloc(n ? n : 1, sizeof(*v));

	for (i = 0; i < n; i++) {
		v[i] = render_str(run, &st->u.menu.options[i].text);
		if (v[i] == NULL)
			v[i] = xstrdup("?");
	}
	return v;
}

static void
free_options(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/*
 * Sends the screen of the step at pc (an ask or menu) and leaves the
 * session waiting for an input.
 */
static int
show(struct run *run, const struct flow_step *st, struct screen sc)
{
	struct flow_session *s = run->s;
	char **opts = NULL;
	size_t n = 0, first = 0;
	char *text;

	switch (sc.kind) {
	case SCREEN_PROMPT:
		if (out_text(run, st, &st->text) == -1)
			return RUN_STOP;
		break;
	case SCREEN_RETRY:
		if (out_text(run, st, &st->u.ask.checks[sc.check].text) == -1 ||
		    out_text(run, st, &st->text) == -1)
			return RUN_STOP;
		break;
	case SCREEN_INVALID:
		if (out_add(run, st, invalid_text(run->eng)) == -1 ||
		    out_text(run, st, &st->text) == -1)
			return RUN_STOP;
		break;
	case SCREEN_PAGE:
		first = s->menu_next;
		break;
	}
	if (st->kind == STEP_MENU && sc.kind != SCREEN_RETRY) {
		n = st->u.menu.noptions;
		opts = menu_options(run, st);
	}
	if (s->channel == ENGINE_USSD) {
		text = render_ussd_page(buf_cstr(&s->out),
		    (const char *const *)opts, n, first, ussd_max(run),
		    &s->menu_next);
	} else {
		text =
		    render_sms(buf_cstr(&s->out), (const char *const *)opts, n);
		s->menu_next = n;
	}
	free_options(opts, n);
	engine_result_free(run->r);
	run->r->status = ENGINE_WAIT;
	run->r->text = text;
	buf_reset(&s->out);
	return RUN_STOP;
}

/* The chosen option for a menu answer, or -1. */
static long
menu_choice(struct run *run, const struct flow_step *st, const char *ans)
{
	size_t i, n = st->u.menu.noptions;
	const char *p;

	for (p = ans; *p != '\0' && isdigit((unsigned char)*p); p++)
		;
	if (ans[0] != '\0' && *p == '\0' && p - ans <= 3) {
		long k = strtol(ans, NULL, 10);

		return k >= 1 && (size_t)k <= n ? k - 1 : -1;
	}
	if (run->s->channel != ENGINE_SMS || ans[0] == '\0')
		return -1;
	/* SMS: an option's text, in the contact's language or the default. */
	for (i = 0; i < n; i++) {
		const struct flow_text *t = &st->u.menu.options[i].text;
		char *a = render_str(run, t);
		char *b = render_tmpl_str(run, t->tmpl);
		int hit =
		    (a && fold_equal(a, ans)) || (b && fold_equal(b, ans));

		free(a);
		free(b);
		if (hit)
			return (long)i;
	}
	return -1;
}

/*
 * Gives an answer to the step at pc, which waits for one. RUN_NEXT: the
 * answer was taken and pc moved on. RUN_AGAIN: the step still waits, *sc
 * says what to show. RUN_STOP: the session ended (tries) or failed.
 */
static int
answer(struct run *run, const char *raw, struct screen *sc)
{
	struct flow_session *s = run->s;
	const struct flow_step *st = &run->flow->steps[s->pc];
	char *ans;
	int rc;

	replace_str(&s->input, raw);
	ans = trimmed(raw);
	if (st->kind == STEP_ASK) {
		size_t bad = first_failed_check(st, ans);

		if (bad == st->u.ask.nchecks) {
			rc = var_set(s, st->name, ans) == -1
				 ? fail(run, st, "too many variables")
				 : RUN_NEXT;
			s->wait = WAIT_NONE;
			s->pc++;
			free(ans);
			return rc;
		}
		free(ans);
		if (++s->tries >= st->u.ask.tries) {
			if (st->u.ask.has_tries_text)
				return finish_text(
				    run, st, &st->u.ask.tries_text);
			return finish(run, st, error_text(run->eng));
		}
		sc->kind = SCREEN_RETRY;
		sc->check = bad;
		return RUN_AGAIN;
	}

	/* A menu. */
	if (s->channel == ENGINE_USSD && strcmp(ans, "0") == 0 &&
	    s->menu_next < st->u.menu.noptions) {
		free(ans);
		sc->kind = SCREEN_PAGE;
		return RUN_AGAIN;
	}
	{
		long k = menu_choice(run, st, ans);
		const struct flow_option *o;
		char *v;

		free(ans);
		if (k < 0) {
			sc->kind = SCREEN_INVALID;
			return RUN_AGAIN;
		}
		o = &st->u.menu.options[k];
		v = o->value ? xstrdup(o->value)
			     : render_tmpl_str(run, o->text.tmpl);
		rc = v == NULL || var_set(s, st->name, v) == -1;
		free(v);
		if (rc)
			return fail(run, st, "cannot store the choice");
		s->wait = WAIT_NONE;
		return jump(run, st, &o->target);
	}
}

/*
 * The step at pc waits for an input: take queued answers first (USSD digits
 * dialled beyond the code), then show sc and wait. A queued answer skips
 * its screen, as a USSD shortcut does: the text built for that screen is
 * dropped, and the reply holds only what the flow says after it.
 */
static int
await(struct run *run, const struct flow_step *st, struct screen sc)
{
	struct flow_session *s = run->s;

	s->wait = WAIT_INPUT;
	s->wait_step = st->kind;
	replace_str(&s->wait_name, st->name);
	while (s->nqueue > 0) {
		char *a = s->queue[0];
		int rc;

		memmove(s->queue, s->queue + 1,
		    (s->nqueue - 1) * sizeof(s->queue[0]));
		s->nqueue--;
		buf_reset(&s->out);
		rc = answer(run, a, &sc);
		free(a);
		if (rc != RUN_AGAIN)
			return rc;
	}
	return show(run, st, sc);
}

/* ---- steps ---- */

static int
step_ask(struct run *run, const struct flow_step *st)
{
	struct flow_session *s = run->s;
	const char *v = var_get(s, st->name);
	struct screen sc = {SCREEN_PROMPT, 0};

	if (v != NULL && v[0] != '\0' &&
	    first_failed_check(st, v) == st->u.ask.nchecks) {
		s->pc++;
		return RUN_NEXT;
	}
	s->tries = 0;
	return await(run, st, sc);
}

/*
 * Where the first page of a USSD menu would end: a queued "0" pages on from
 * there, as it would had the page been shown.
 */
static size_t
menu_first_page_end(struct run *run, const struct flow_step *st)
{
	size_t n = st->u.menu.noptions, next = n;
	char **opts = menu_options(run, st);
	char *prompt = render_str(run, &st->text), *page;

	page = render_ussd_page(prompt ? prompt : "", (const char *const *)opts,
	    n, 0, ussd_max(run), &next);
	free(page);
	free(prompt);
	free_options(opts, n);
	return next;
}

static int
step_menu(struct run *run, const struct flow_step *st)
{
	struct screen sc = {SCREEN_PROMPT, 0};

	run->s->tries = 0;
	run->s->menu_next = 0;
	if (run->s->channel == ENGINE_USSD && run->s->nqueue > 0)
		run->s->menu_next = menu_first_page_end(run, st);
	return await(run, st, sc);
}

static int
step_set(struct run *run, const struct flow_step *st)
{
	char *v = render_str(run, &st->text);
	int rc;

	if (v == NULL)
		return fail(
		    run, st, "value longer than %d bytes", ENGINE_MAX_VALUE);
	rc = var_set(run->s, st->name, v);
	free(v);
	if (rc == -1)
		return fail(run, st, "more than %d variables", ENGINE_MAX_VARS);
	run->s->pc++;
	return RUN_NEXT;
}

static int
step_save(struct run *run, const struct flow_step *st)
{
	char *v = render_str(run, &st->text);

	if (v == NULL)
		return fail(
		    run, st, "value longer than %d bytes", ENGINE_MAX_VALUE);
	if (engine_session_set_field(run->s, st->name, v) == -1) {
		free(v);
		return fail(run, st, "cannot save contact field %s", st->name);
	}
	run->r->action.field = xstrdup(st->name);
	run->r->action.value = v;
	return action(run, st, ACTION_SAVE);
}

static int
step_language(struct run *run, const struct flow_step *st)
{
	char *v = render_str(run, &st->text), *p;

	if (v == NULL)
		return fail(run, st, "language too long");
	trim_in_place(v);
	for (p = v; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	if (flowset_language(run->eng->set, v) < 0) {
		int rc = fail(run, st, "unknown language \"%s\"", v);

		free(v);
		return rc;
	}
	replace_str(&run->s->language, v);
	run->r->action.language = v;
	return action(run, st, ACTION_LANGUAGE);
}

static int
step_lookup(struct run *run, const struct flow_step *st)
{
	char *v = render_str(run, &st->u.lookup.key);

	if (v == NULL)
		return fail(
		    run, st, "key longer than %d bytes", ENGINE_MAX_VALUE);
	run->r->action.table = xstrdup(st->u.lookup.table);
	run->r->action.column = xstrdup(st->u.lookup.column);
	run->r->action.value = v;
	return action(run, st, ACTION_LOOKUP);
}

static int
step_fetch(struct run *run, const struct flow_step *st)
{
	char *v;

	run->urlencode = 1;
	v = render_str(run, &st->text);
	run->urlencode = 0;
	if (v == NULL)
		return fail(
		    run, st, "URL longer than %d bytes", ENGINE_MAX_VALUE);
	run->r->action.url = v;
	return action(run, st, ACTION_FETCH);
}

static int
step_report(struct run *run, const struct flow_step *st)
{
	struct engine_action *a = &run->r->action;

	a->category = st->u.report.has_category
			  ? render_str(run, &st->u.report.category)
			  : xstrdup("");
	a->location = st->u.report.has_location
			  ? render_str(run, &st->u.report.location)
			  : xstrdup("");
	a->details = st->u.report.has_details
			 ? render_str(run, &st->u.report.details)
			 : xstrdup("");
	if (a->category == NULL || a->location == NULL || a->details == NULL)
		return fail(run, st, "report text longer than %d bytes",
		    ENGINE_MAX_VALUE);
	return action(run, st, ACTION_REPORT);
}

static int
step_find(struct run *run, const struct flow_step *st)
{
	char *v = render_str(run, &st->text);

	if (v == NULL)
		return fail(
		    run, st, "number longer than %d bytes", ENGINE_MAX_VALUE);
	trim_in_place(v);
	run->r->action.id = v;
	return action(run, st, ACTION_FIND_REPORT);
}

static int
step_topic(
    struct run *run, const struct flow_step *st, enum engine_action_kind k)
{
	char *v = render_str(run, &st->text);

	if (v == NULL)
		return fail(
		    run, st, "topic longer than %d bytes", ENGINE_MAX_VALUE);
	run->r->action.topic = v;
	return action(run, st, k);
}

/* Runs one step. */
static int
step(struct run *run, const struct flow_step *st)
{
	struct flow_session *s = run->s;
	int c;

	switch (st->kind) {
	case STEP_SAY:
		if (out_text(run, st, &st->text) == -1)
			return RUN_STOP;
		s->pc++;
		return RUN_NEXT;
	case STEP_ASK:
		return step_ask(run, st);
	case STEP_MENU:
		return step_menu(run, st);
	case STEP_SET:
		return step_set(run, st);
	case STEP_SAVE:
		return step_save(run, st);
	case STEP_LANGUAGE:
		return step_language(run, st);
	case STEP_IF:
		c = cond_holds(run, st);
		if (c < 0)
			return RUN_STOP;
		if (!c) {
			s->pc++;
			return RUN_NEXT;
		}
		return jump(run, st, &st->u.cond.target);
	case STEP_GOTO:
		return jump(run, st, &st->u.go.target);
	case STEP_LABEL:
		s->pc++;
		return RUN_NEXT;
	case STEP_END:
		if (st->has_text)
			return finish_text(run, st, &st->text);
		return finish(run, st, NULL);
	case STEP_LOOKUP:
		return step_lookup(run, st);
	case STEP_FETCH:
		return step_fetch(run, st);
	case STEP_REPORT:
		return step_report(run, st);
	case STEP_FIND_REPORT:
		return step_find(run, st);
	case STEP_SUBSCRIBE:
		return step_topic(run, st, ACTION_SUBSCRIBE);
	case STEP_UNSUBSCRIBE:
		return step_topic(run, st, ACTION_UNSUBSCRIBE);
	}
	return fail(run, st, "unknown step kind %d", (int)st->kind);
}

/*
 * Runs steps from s->pc until one stops the run. A run that takes more
 * than ENGINE_MAX_STEPS steps since the last input (a goto cycle with no
 * wait, say) is stopped with a run-time error naming the step.
 */
static int
run_steps(struct run *run)
{
	struct flow_session *s = run->s;

	for (;;) {
		const struct flow_step *st;
		int rc;

		if (s->pc >= run->flow->nsteps)
			return finish(run, NULL, NULL);
		st = &run->flow->steps[s->pc];
		if (++s->steps > ENGINE_MAX_STEPS)
			return fail(run, st,
			    "more than %d steps without waiting (a loop?)",
			    ENGINE_MAX_STEPS);
		if (run->eng->on_step != NULL)
			run->eng->on_step(run->eng->step_arg, run->flow, s->pc);
		rc = step(run, st);
		if (rc == RUN_STOP)
			return rc;
	}
}

/* ---- resuming after an action ---- */

/* Sets the record field "name.field" to value. */
static int
record_set(
    struct run *run, const char *name, const char *field, const char *value)
{
	char *key = xasprintf("%s.%s", name, field);
	int rc = var_set(run->s, key, value);

	free(key);
	return rc;
}

/* Sets "name.field" for every field of a reply. */
static int
record_fill(struct run *run, const char *name, const struct engine_reply *rep)
{
	size_t i;

	for (i = 0; i < rep->nfields; i++) {
		char *key;
		int rc;

		if (rep->fields[i].name == NULL ||
		    rep->fields[i].name[0] == '\0')
			continue;
		key = xasprintf("%s.%s", name, rep->fields[i].name);
		rc = var_set(run->s, key,
		    rep->fields[i].value ? rep->fields[i].value : "");
		free(key);
		if (rc == -1)
			return -1;
	}
	return 0;
}

/*
 * Flattens a fetched JSON value into "prefix.a.b" variables. Depth and
 * count are bounded; what is beyond is left out. null is left unset.
 */
static void
flatten(struct run *run, const char *prefix, json_t *v, int depth)
{
	char num[64];
	const char *key;
	json_t *child;
	size_t i;

	if (depth > ENGINE_MAX_JSON_DEPTH)
		return;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		json_object_foreach(v, key, child)
		{
			char *p = xasprintf("%s.%s", prefix, key);

			flatten(run, p, child, depth + 1);
			free(p);
		}
		break;
	case JSON_ARRAY:
		json_array_foreach(v, i, child)
		{
			char *p = xasprintf("%s.%zu", prefix, i);

			flatten(run, p, child, depth + 1);
			free(p);
		}
		break;
	case JSON_STRING:
		(void)var_setn(run->s, prefix, json_string_value(v),
		    json_string_length(v));
		break;
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		(void)var_set(run->s, prefix, num);
		break;
	case JSON_REAL:
		snprintf(num, sizeof(num), "%.15g", json_real_value(v));
		(void)var_set(run->s, prefix, num);
		break;
	case JSON_TRUE:
		(void)var_set(run->s, prefix, "true");
		break;
	case JSON_FALSE:
		(void)var_set(run->s, prefix, "false");
		break;
	case JSON_NULL:
		break;
	}
}

/* Takes the host's reply for the action of step st and runs on. */
static int
resume_step(
    struct run *run, const struct flow_step *st, const struct engine_reply *rep)
{
	struct flow_session *s = run->s;
	json_t *j;

	switch (st->kind) {
	case STEP_LOOKUP:
		if (rep->kind == REPLY_NOT_FOUND) {
			record_clear(s, st->name);
			return outcome(run, st, &st->u.lookup.missing, 0);
		}
		if (rep->kind != REPLY_FOUND)
			break;
		record_clear(s, st->name);
		if (record_fill(run, st->name, rep) == -1)
			return fail(
			    run, st, "more than %d variables", ENGINE_MAX_VARS);
		s->pc++;
		return RUN_NEXT;
	case STEP_FETCH:
		record_clear(s, st->name);
		if (rep->kind == REPLY_NOT_FOUND)
			return outcome(run, st, &st->u.fetch.missing, 1);
		j = NULL;
		if (rep->kind == REPLY_FETCHED && rep->body != NULL &&
		    rep->bodylen <= ENGINE_MAX_BODY)
			j = json_loadb(rep->body, rep->bodylen, 0, NULL);
		if (!json_is_object(j)) {
			json_decref(j);
			return outcome(run, st, &st->u.fetch.failed, 1);
		}
		flatten(run, st->name, j, 0);
		json_decref(j);
		s->pc++;
		return RUN_NEXT;
	case STEP_REPORT:
		if (rep->kind != REPLY_OK || rep->id == NULL ||
		    rep->id[0] == '\0')
			break;
		record_clear(s, st->name);
		if (record_set(run, st->name, "id", rep->id) == -1)
			return fail(run, st, "too many variables");
		s->pc++;
		return RUN_NEXT;
	case STEP_FIND_REPORT:
		if (rep->kind == REPLY_NOT_FOUND) {
			record_clear(s, st->name);
			return outcome(run, st, &st->u.find.missing, 0);
		}
		if (rep->kind != REPLY_FOUND)
			break;
		record_clear(s, st->name);
		/* {NAME.id} is the number asked for, unless the host says. */
		{
			char *id = render_str(run, &st->text);

			if (id != NULL) {
				(void)record_set(
				    run, st->name, "id", trim_in_place(id));
				free(id);
			}
		}
		if (record_fill(run, st->name, rep) == -1)
			return fail(run, st, "too many variables");
		s->pc++;
		return RUN_NEXT;
	case STEP_SUBSCRIBE:
	case STEP_UNSUBSCRIBE:
	case STEP_SAVE:
	case STEP_LANGUAGE:
		if (rep->kind != REPLY_OK)
			break;
		s->pc++;
		return RUN_NEXT;
	default:
		break;
	}
	return fail(run, st, "%s failed", flow_step_kind_name(st->kind));
}

/* ---- finding the session's place in the set ---- */

/* Step kinds that wait for the contact. */
static int
waits_for_input(enum flow_step_kind k)
{
	return k == STEP_ASK || k == STEP_MENU;
}

/* Step kinds that hand an action to the host. */
static int
waits_for_host(enum flow_step_kind k)
{
	switch (k) {
	case STEP_SAVE:
	case STEP_LANGUAGE:
	case STEP_LOOKUP:
	case STEP_FETCH:
	case STEP_REPORT:
	case STEP_FIND_REPORT:
	case STEP_SUBSCRIBE:
	case STEP_UNSUBSCRIBE:
		return 1;
	default:
		return 0;
	}
}

/*
 * Finds the session's flow and the step it waits at in the current set.
 * The step must be the same kind with the same NAME; if the flow was edited
 * and the index moved, a unique step of that kind and NAME is taken.
 * Returns 0, or RUN_STOP with a STALE result.
 */
static int
locate(struct run *run)
{
	struct flow_session *s = run->s;
	const struct flow *f;
	size_t i, hits = 0, at = 0;

	f = s->flow ? flowset_find(run->eng->set, s->flow) : NULL;
	if (f == NULL)
		return stale(run, "the flow is gone");
	run->flow = f;
	if (s->pc < f->nsteps && f->steps[s->pc].kind == s->wait_step &&
	    ((s->wait_name == NULL && f->steps[s->pc].name == NULL) ||
		(s->wait_name != NULL && f->steps[s->pc].name != NULL &&
		    strcmp(s->wait_name, f->steps[s->pc].name) == 0)))
		return 0;
	if (s->wait_name != NULL) {
		for (i = 0; i < f->nsteps; i++) {
			if (f->steps[i].kind == s->wait_step &&
			    f->steps[i].name != NULL &&
			    strcmp(f->steps[i].name, s->wait_name) == 0) {
				hits++;
				at = i;
			}
		}
	}
	if (hits != 1)
		return stale(run, "the waiting step is gone");
	s->pc = at;
	return 0;
}

/* ---- public entry points ---- */

/*
 * A language code as the session keeps it: lower case ASCII letters (and
 * '-'), at most 15 of them; anything else is no language (NULL).
 */
static char *
language_code(const char *lang)
{
	char *v;
	size_t i, n;

	if (lang == NULL || lang[0] == '\0' || (n = strlen(lang)) > 15)
		return NULL;
	v = xstrdup(lang);
	for (i = 0; i < n; i++) {
		if (!isalpha((unsigned char)v[i]) && v[i] != '-') {
			free(v);
			return NULL;
		}
		v[i] = (char)tolower((unsigned char)v[i]);
	}
	return v;
}

struct flow_session *
engine_session_new(enum engine_channel channel, const char *phone,
    const char *language, size_t ussd_max)
{
	struct flow_session *s = xcalloc(1, sizeof(*s));

	s->channel = channel;
	s->ussd_max = ussd_max;
	if (phone != NULL)
		s->phone = clean_utf8(phone, strlen(phone), 64);
	s->language = language_code(language);
	s->fields = json_object();
	s->vars = json_object();
	if (s->fields == NULL || s->vars == NULL)
		fatalx("engine: out of memory");
	buf_init(&s->out, ENGINE_MAX_REPLY);
	return s;
}

void
engine_session_free(struct flow_session *s)
{
	size_t i;

	if (s == NULL)
		return;
	free(s->phone);
	free(s->language);
	json_decref(s->fields);
	json_decref(s->vars);
	free(s->flow);
	free(s->wait_name);
	for (i = 0; i < s->nqueue; i++)
		free(s->queue[i]);
	free(s->rest);
	free(s->input);
	buf_free(&s->out);
	free(s);
}

int
engine_session_set_field(
    struct flow_session *s, const char *name, const char *value)
{
	const char *p;
	char *v;
	json_t *j;

	if (name == NULL || name[0] == '\0' || strlen(name) > FLOW_MAX_NAME)
		return -1;
	for (p = name; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
			return -1;
	if (json_object_get(s->fields, name) == NULL &&
	    json_object_size(s->fields) >= ENGINE_MAX_FIELDS)
		return -1;
	if (value == NULL)
		value = "";
	if (strlen(value) > ENGINE_MAX_VALUE)
		return -1;
	v = clean_utf8(value, strlen(value), ENGINE_MAX_VALUE);
	j = json_string(v);
	free(v);
	if (j == NULL || json_object_set_new(s->fields, name, j) == -1)
		return -1;
	return 0;
}

const char *
engine_session_var(const struct flow_session *s, const char *path)
{
	return var_get(s, path);
}

const char *
engine_session_flow(const struct flow_session *s)
{
	return s->flow;
}

const char *
engine_session_language(const struct flow_session *s)
{
	return s->language;
}

enum engine_channel
engine_session_channel(const struct flow_session *s)
{
	return s->channel;
}

int
engine_session_done(const struct flow_session *s)
{
	return s->done;
}

/* Starts flow f on the new session s and runs it. */
static int
start(const struct engine *eng, struct flow_session *s, const struct flow *f,
    struct engine_result *r)
{
	struct run run = {eng, s, f, r, 0};

	engine_result_free(r);
	replace_str(&s->flow, f->name);
	s->pc = 0;
	s->steps = 0;
	s->actions = 0;
	s->wait = WAIT_NONE;
	run_steps(&run);
	return 0;
}

static int
group_cb(void *arg, const char *name, const char *value, size_t vlen)
{
	struct flow_session *s = arg;

	return var_setn(s, name, value, vlen);
}

/* The first word of t (white-space separated), copied into word. */
static const char *
first_word(const char *t, char *word, size_t wordsz)
{
	size_t n = strcspn(t, " \t\r\n\v\f");

	if (n == 0 || n >= wordsz)
		return NULL;
	memcpy(word, t, n);
	word[n] = '\0';
	return t + n;
}

int
engine_route_sms(const struct engine *eng, struct flow_session *s,
    const char *text, struct engine_result *r)
{
	const struct flowset *set = eng->set;
	const struct flow *f = NULL;
	char word[FLOW_MAX_WORD + 1];
	const char *after;
	char *t, *tt;
	size_t i;

	if (s->flow != NULL || s->done || text == NULL)
		return -1;
	t = clean_utf8(text, strlen(text), ENGINE_MAX_VALUE);
	tt = trimmed(t);
	after = first_word(tt, word, sizeof(word));

	/* on match, in file-name then line order. */
	for (i = 0; i < set->nmatches && f == NULL; i++) {
		const struct flow_regex *re = set->matches[i].re;
		pcre2_match_data *md;

		if (re->code == NULL)
			continue;
		md = pcre2_match_data_create_from_pattern(re->code, NULL);
		if (md == NULL)
			fatalx("engine: out of memory");
		if (flow_regex_match(re, tt, strlen(tt), md) == 1) {
			f = set->matches[i].flow;
			(void)flow_regex_groups(re, tt, md, group_cb, s);
			/* A keyword of the same flow still gives {rest}. */
			if (after == NULL || flowset_keyword(set, word) != f)
				after = NULL;
		}
		pcre2_match_data_free(md);
	}
	/* on keyword: the first word. */
	if (f == NULL && after != NULL) {
		f = flowset_keyword(set, word);
		if (f == NULL)
			after = NULL;
	}
	if (f != NULL && after != NULL) {
		char *rest = trimmed(after);

		replace_str(&s->rest, rest);
		free(rest);
	}
	/* on default. */
	if (f == NULL)
		f = set->default_flow;
	if (f == NULL) {
		free(t);
		free(tt);
		return 0;
	}
	replace_str(&s->input, t);
	free(t);
	free(tt);
	start(eng, s, f, r);
	return 1;
}

int
engine_route_ussd(const struct engine *eng, struct flow_session *s,
    const char *dialled, struct engine_result *r)
{
	const struct flow *f;
	const char *rest = NULL, *p;
	size_t restlen = 0;
	char *d;

	if (s->flow != NULL || s->done || dialled == NULL)
		return -1;
	d = clean_utf8(dialled, strlen(dialled), FLOW_MAX_LINE);
	trim_in_place(d);
	f = flowset_ussd(eng->set, d, &rest, &restlen);
	if (f == NULL) {
		free(d);
		return 0;
	}
	/* Queue the parts dialled beyond the code: "1*2" -> "1", "2". */
	for (p = rest; p != NULL && p < rest + restlen;) {
		size_t n = strcspn(p, "*#");

		if (n > (size_t)(rest + restlen - p))
			n = (size_t)(rest + restlen - p);
		if (n > 0 && s->nqueue < ENGINE_MAX_QUEUE)
			s->queue[s->nqueue++] = xstrndup(p, n);
		p += n + 1;
	}
	free(d);
	start(eng, s, f, r);
	return 1;
}

int
engine_start(const struct engine *eng, struct flow_session *s, const char *name,
    struct engine_result *r)
{
	const struct flow *f;

	if (s->flow != NULL || s->done || name == NULL)
		return -1;
	f = flowset_find(eng->set, name);
	if (f == NULL)
		return -1;
	return start(eng, s, f, r);
}

int
engine_input(const struct engine *eng, struct flow_session *s, const char *text,
    struct engine_result *r)
{
	struct run run = {eng, s, NULL, r, 0};
	struct screen sc = {SCREEN_PROMPT, 0};
	char *t;
	int rc;

	if (s->done || s->wait != WAIT_INPUT || text == NULL ||
	    !waits_for_input(s->wait_step))
		return -1;
	engine_result_free(r);
	if (locate(&run) == RUN_STOP)
		return 0;
	s->steps = 0;
	s->actions = 0;
	t = clean_utf8(text, strlen(text), ENGINE_MAX_VALUE);
	rc = answer(&run, t, &sc);
	free(t);
	if (rc == RUN_AGAIN)
		show(&run, &run.flow->steps[s->pc], sc);
	else if (rc == RUN_NEXT)
		run_steps(&run);
	return 0;
}

int
engine_resume(const struct engine *eng, struct flow_session *s,
    const struct engine_reply *reply, struct engine_result *r)
{
	struct run run = {eng, s, NULL, r, 0};
	static const struct engine_reply failed = {.kind = REPLY_FAILED};

	if (s->done || s->wait != WAIT_ACTION || !waits_for_host(s->wait_step))
		return -1;
	engine_result_free(r);
	if (locate(&run) == RUN_STOP)
		return 0;
	s->wait = WAIT_NONE;
	if (resume_step(&run, &run.flow->steps[s->pc],
		reply ? reply : &failed) == RUN_NEXT)
		run_steps(&run);
	return 0;
}

/* ---- serialisation ---- */

static const char *const wait_names[] = {"none", "input", "action"};

/* Step kinds by name, for the session's record of where it waits. */
static const char *const step_names[] = {
    [STEP_SAY] = "say",
    [STEP_ASK] = "ask",
    [STEP_MENU] = "menu",
    [STEP_SET] = "set",
    [STEP_SAVE] = "save",
    [STEP_LANGUAGE] = "language",
    [STEP_IF] = "if",
    [STEP_GOTO] = "goto",
    [STEP_LABEL] = "step",
    [STEP_END] = "end",
    [STEP_LOOKUP] = "lookup",
    [STEP_FETCH] = "fetch",
    [STEP_REPORT] = "report",
    [STEP_FIND_REPORT] = "find report",
    [STEP_SUBSCRIBE] = "subscribe",
    [STEP_UNSUBSCRIBE] = "unsubscribe",
};

/* A session's text being written: b, and whether anything failed. */
struct writer {
	struct buf *b;
	int bad;
};

/* Appends the literal text lit. */
static void
put_lit(struct writer *w, const char *lit)
{
	if (buf_append(w->b, lit, strlen(lit)) == -1)
		w->bad = 1;
}

static void
put_uint(struct writer *w, unsigned long long v)
{
	if (buf_putu(w->b, v) == -1)
		w->bad = 1;
}

/* Appends s (len bytes) as a JSON string. */
static void
put_strn(struct writer *w, const char *s, size_t len)
{
	if (buf_json_string(w->b, s, len) == -1)
		w->bad = 1;
}

/* Appends s as a JSON string, or null when s is NULL. */
static void
put_str(struct writer *w, const char *s)
{
	if (s == NULL)
		put_lit(w, "null");
	else
		put_strn(w, s, strlen(s));
}

/* Appends the string map o (fields, variables) as a JSON object. */
static void
put_map(struct writer *w, json_t *o)
{
	const char *key, *sep = "{";
	size_t klen;
	json_t *v;

	json_object_keylen_foreach(o, key, klen, v)
	{
		if (!json_is_string(v))
			w->bad = 1;
		put_lit(w, sep);
		put_strn(w, key, klen);
		put_lit(w, ":");
		put_strn(w, json_string_value(v), json_string_length(v));
		sep = ",";
	}
	put_lit(w, *sep == '{' ? "{}" : "}");
}

/*
 * Writes the session's text into b: the members in a fixed order, as
 * json_dumps(JSON_COMPACT) wrote the tree this used to build, byte for
 * byte (test_engine compares the two). Writing it directly spares a USSD
 * step the tree, its copies and jansson's encoder, a fifth of the loop's
 * instructions a step (docs/performance.md). -1: a string that is not
 * valid UTF-8, a value that is not a string in a map, or an unnamed step.
 */
static int
session_write(const struct flow_session *s, struct buf *b)
{
	struct writer w = {b, step_names[s->wait_step] == NULL};
	size_t i;

	put_lit(&w, "{\"v\":1,\"channel\":");
	put_lit(&w, s->channel == ENGINE_USSD ? "\"ussd\"" : "\"sms\"");
	put_lit(&w, ",\"ussd_max\":");
	put_uint(&w, s->ussd_max);
	put_lit(&w, ",\"phone\":");
	put_str(&w, s->phone);
	put_lit(&w, ",\"language\":");
	put_str(&w, s->language);
	put_lit(&w, ",\"fields\":");
	put_map(&w, s->fields);
	put_lit(&w, ",\"vars\":");
	put_map(&w, s->vars);
	put_lit(&w, ",\"flow\":");
	put_str(&w, s->flow);
	put_lit(&w, ",\"pc\":");
	put_uint(&w, s->pc);
	put_lit(&w, ",\"wait\":");
	put_str(&w, wait_names[s->wait]);
	put_lit(&w, ",\"step\":");
	put_str(&w, step_names[s->wait_step]);
	put_lit(&w, ",\"name\":");
	put_str(&w, s->wait_name);
	put_lit(&w, ",\"tries\":");
	if (s->tries < 0)
		put_lit(&w, "-");
	put_uint(&w, s->tries < 0 ? 0ULL - (unsigned long long)s->tries
				  : (unsigned long long)s->tries);
	put_lit(&w, ",\"menu_next\":");
	put_uint(&w, s->menu_next);
	put_lit(&w, ",\"queue\":[");
	for (i = 0; i < s->nqueue; i++) {
		if (i > 0)
			put_lit(&w, ",");
		put_str(&w, s->queue[i]);
	}
	put_lit(&w, "],\"rest\":");
	put_str(&w, s->rest);
	put_lit(&w, ",\"input\":");
	put_str(&w, s->input);
	put_lit(&w, ",\"out\":");
	put_str(&w, buf_cstr(&s->out) ? buf_cstr(&s->out) : "");
	put_lit(&w, ",\"steps\":");
	put_uint(&w, s->steps);
	put_lit(&w, ",\"actions\":");
	put_uint(&w, s->actions);
	put_lit(&w, s->done ? ",\"done\":true}" : ",\"done\":false}");
	return w.bad ? -1 : 0;
}

/* Checks that o is an object of at most max string members. */
static int
string_map_ok(json_t *o, size_t max)
{
	const char *key;
	json_t *v;

	if (!json_is_object(o) || json_object_size(o) > max)
		return -1;
	json_object_foreach(o, key, v)
	{
		if (!json_is_string(v) ||
		    json_string_length(v) > ENGINE_MAX_VALUE)
			return -1;
	}
	return 0;
}

/* strlen(s) <= max, or s is NULL. */
static int
fits(const char *s, size_t max)
{
	return s == NULL || strlen(s) <= max;
}

/*
 * What engine_session_load asks of a session once read: every bound and
 * every link between the members. 0, or -1. The dump asks it too before
 * the memo keeps a session, so a session taken from the memo is one that
 * reading its text would have given.
 */
static int
session_ok(const struct flow_session *s)
{
	size_t i;

	if (s->ussd_max > 100000 || s->pc > FLOW_MAX_STEPS ||
	    s->menu_next > FLOW_MAX_OPTIONS ||
	    s->steps > ENGINE_MAX_STEPS + 1 ||
	    s->actions > ENGINE_MAX_ACTIONS + 1 || s->tries < 0 ||
	    s->tries > 1000 || s->nqueue > ENGINE_MAX_QUEUE ||
	    (unsigned)s->wait >= nitems(wait_names) ||
	    (unsigned)s->wait_step >= nitems(step_names) ||
	    step_names[s->wait_step] == NULL ||
	    string_map_ok(s->fields, ENGINE_MAX_FIELDS) == -1 ||
	    string_map_ok(s->vars, ENGINE_MAX_VARS) == -1 ||
	    !fits(s->phone, 64) || !fits(s->language, 16) ||
	    !fits(s->flow, FLOW_MAX_NAME) ||
	    !fits(s->wait_name, FLOW_MAX_NAME) ||
	    !fits(s->rest, ENGINE_MAX_VALUE) ||
	    !fits(s->input, ENGINE_MAX_VALUE) ||
	    s->out.len > ENGINE_MAX_REPLY ||
	    (s->out.len > 0 && strlen(s->out.data) != s->out.len))
		return -1;
	for (i = 0; i < s->nqueue; i++)
		if (!fits(s->queue[i], ENGINE_MAX_VALUE))
			return -1;
	if (s->wait != WAIT_NONE && s->flow == NULL)
		return -1;
	if ((s->wait == WAIT_INPUT && !waits_for_input(s->wait_step)) ||
	    (s->wait == WAIT_ACTION && !waits_for_host(s->wait_step)))
		return -1;
	return 0;
}

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* A copy of s that shares nothing with it. */
static struct flow_session *
session_clone(const struct flow_session *s)
{
	struct flow_session *c = xcalloc(1, sizeof(*c));
	size_t i;

	*c = *s;
	c->phone = dup_or_null(s->phone);
	c->language = dup_or_null(s->language);
	c->fields = json_deep_copy(s->fields);
	c->vars = json_deep_copy(s->vars);
	if (c->fields == NULL || c->vars == NULL)
		fatalx("engine: out of memory");
	c->flow = dup_or_null(s->flow);
	c->wait_name = dup_or_null(s->wait_name);
	for (i = 0; i < s->nqueue; i++)
		c->queue[i] = xstrdup(s->queue[i]);
	c->rest = dup_or_null(s->rest);
	c->input = dup_or_null(s->input);
	buf_init(&c->out, ENGINE_MAX_REPLY);
	if (s->out.len > 0 &&
	    buf_append(&c->out, s->out.data, s->out.len) == -1)
		fatalx("engine: cannot copy a session");
	return c;
}

static void
drop_session(void *s)
{
	engine_session_free(s);
}

/* The session's text, in b (buf_steal it). */
static void
session_text(const struct flow_session *s, struct buf *b)
{
	buf_init(b, SIZE_MAX / 2);
	if (session_write(s, b) == -1)
		fatalx("engine: cannot serialise a session");
}

char *
engine_session_dump(const struct flow_session *s)
{
	struct buf b;

	session_text(s, &b);
	/*
	 * The memo keeps a copy with the text (the next turn reads that text
	 * back): the session's own members change in later turns.
	 */
	if (b.len <= MEMO_TEXT_MAX && session_ok(s) == 0)
		memo_put(b.data, b.len, session_clone(s), drop_session);
	return buf_steal(&b);
}

char *
engine_session_stow(struct flow_session *s)
{
	struct buf b;

	session_text(s, &b);
	if (session_ok(s) == 0)
		memo_put(b.data, b.len, s, drop_session);
	else
		engine_session_free(s);
	return buf_steal(&b);
}

/* Reads an optional string member: 0 (NULL when absent or null), -1. */
static int
load_str(json_t *o, const char *key, size_t max, char **out)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) || json_string_length(v) > max ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return -1;
	*out = xstrdup(json_string_value(v));
	return 0;
}

static int
lookup_name(const char *const *names, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (names[i] != NULL && strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

int
engine_session_load(const char *json, size_t len, struct flow_session **out)
{
	struct flow_session *s = NULL;
	json_t *o, *fields, *vars, *queue, *q;
	const char *channel, *wait, *stepname, *outtext;
	json_int_t v, ussd, pc, menu_next, steps, actions;
	int tries, done, wi, si;
	size_t i;

	*out = NULL;
	if (json == NULL || len > ENGINE_MAX_SESSION)
		return -1;
	/* The text a turn stored is usually the one read back next turn. */
	if ((*out = memo_take(json, len)) != NULL)
		return 0;
	if ((o = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return -1;
	if (json_unpack(o,
		"{s:I, s:s, s:I, s:o, s:o, s:I, s:s, s:s, s:i, s:I, s:o, "
		"s:s, s:I, s:I, s:b}",
		"v", &v, "channel", &channel, "ussd_max", &ussd, "fields",
		&fields, "vars", &vars, "pc", &pc, "wait", &wait, "step",
		&stepname, "tries", &tries, "menu_next", &menu_next, "queue",
		&queue, "out", &outtext, "steps", &steps, "actions", &actions,
		"done", &done) != 0)
		goto bad;
	wi = lookup_name(wait_names, nitems(wait_names), wait);
	si = lookup_name(step_names, nitems(step_names), stepname);
	if (v != 1 || wi < 0 || si < 0 || ussd < 0 || ussd > 100000 || pc < 0 ||
	    pc > FLOW_MAX_STEPS || menu_next < 0 ||
	    menu_next > FLOW_MAX_OPTIONS || steps < 0 ||
	    steps > ENGINE_MAX_STEPS + 1 || actions < 0 ||
	    actions > ENGINE_MAX_ACTIONS + 1 ||
	    (strcmp(channel, "sms") != 0 && strcmp(channel, "ussd") != 0) ||
	    !json_is_object(fields) || !json_is_object(vars) ||
	    !json_is_array(queue) || json_array_size(queue) > ENGINE_MAX_QUEUE)
		goto bad;

	s = engine_session_new(
	    strcmp(channel, "ussd") == 0 ? ENGINE_USSD : ENGINE_SMS, NULL, NULL,
	    (size_t)ussd);
	json_decref(s->fields);
	json_decref(s->vars);
	/* Taken over: the parsed tree is freed below, nothing else holds them. */
	s->fields = json_incref(fields);
	s->vars = json_incref(vars);
	if (load_str(o, "phone", 64, &s->phone) == -1 ||
	    load_str(o, "language", 16, &s->language) == -1 ||
	    load_str(o, "flow", FLOW_MAX_NAME, &s->flow) == -1 ||
	    load_str(o, "name", FLOW_MAX_NAME, &s->wait_name) == -1 ||
	    load_str(o, "rest", ENGINE_MAX_VALUE, &s->rest) == -1 ||
	    load_str(o, "input", ENGINE_MAX_VALUE, &s->input) == -1)
		goto bad;
	json_array_foreach(queue, i, q)
	{
		if (!json_is_string(q) ||
		    json_string_length(q) > ENGINE_MAX_VALUE)
			goto bad;
		s->queue[s->nqueue++] = xstrdup(json_string_value(q));
	}
	if (strlen(outtext) > ENGINE_MAX_REPLY ||
	    buf_puts(&s->out, outtext) == -1)
		goto bad;
	s->pc = (size_t)pc;
	s->wait = (enum wait_kind)wi;
	s->wait_step = (enum flow_step_kind)si;
	s->tries = tries;
	s->menu_next = (size_t)menu_next;
	s->steps = (unsigned)steps;
	s->actions = (unsigned)actions;
	s->done = done;
	if (session_ok(s) == -1)
		goto bad;
	json_decref(o);
	*out = s;
	return 0;
bad:
	engine_session_free(s);
	json_decref(o);
	return -1;
}

/* ---- names ---- */

const char *
engine_status_name(enum engine_status st)
{
	switch (st) {
	case ENGINE_WAIT:
		return "wait";
	case ENGINE_END:
		return "end";
	case ENGINE_ACTION:
		return "action";
	case ENGINE_ERROR:
		return "error";
	case ENGINE_STALE:
		return "stale";
	}
	return "?";
}

const char *
engine_action_name(enum engine_action_kind k)
{
	switch (k) {
	case ACTION_LOOKUP:
		return "lookup";
	case ACTION_FETCH:
		return "fetch";
	case ACTION_REPORT:
		return "report";
	case ACTION_FIND_REPORT:
		return "find report";
	case ACTION_SUBSCRIBE:
		return "subscribe";
	case ACTION_UNSUBSCRIBE:
		return "unsubscribe";
	case ACTION_SAVE:
		return "save";
	case ACTION_LANGUAGE:
		return "language";
	}
	return "?";
}
