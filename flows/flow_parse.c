/*
 * flow_parse.c: the lexer and parser of the flow language.
 *
 * A file is read line by line; each line is one statement, one clause, one
 * translation, a comment or blank. A line is parsed by a small cursor that
 * knows the lexical rules (strings, regexes, comments, words). The first
 * word picks the line's syntax from two tables, `statements` and `clauses`:
 * each entry names the step kind it builds or follows and the function that
 * reads the rest of the line. Each statement is built in a local struct and
 * only added to its flow when the whole line parsed, so an error drops the
 * statement, reports FILE:LINE:COL and parsing resumes at the next line.
 * Findings go to findings.c; the parser calls nothing else of flows/.
 */
#include "flows/flow.h"
#include "lib/fold.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The cursor over one line. */
struct cur {
	const char *s; /* the line, without its newline */
	size_t len;    /* bytes in the line */
	size_t i;      /* current byte */
};

/* What a clause line may attach to. */
struct parser {
	struct flowset *set;
	const char *file; /* interned in set->files */
	struct flow_findings *f;
	unsigned line;               /* current line number */
	int errors;                  /* errors reported in this file */
	struct flow *flow;           /* the flow being parsed, or NULL */
	size_t steps_cap, trig_cap;  /* capacities of flow's arrays */
	int steps_full;              /* "too many steps" already reported */
	struct flow_text *last_text; /* where a translation line attaches */
	int last_is_step;            /* the last statement line was a step
					 (so clauses attach to the last one) */
	int stmt_broken;             /* the last statement had an error: its
					 clauses and translations are skipped
					 silently (no cascade of errors) */
	int tr_broken;               /* the last text-bearing line had an
					 error: its translations are skipped */
	struct flow *orphan;         /* a flow whose `flow` line had an
					 error: parsed for errors, not kept */
	struct flow_step scratch;    /* a broken statement's kind: its
					 clauses are parsed into it for their
					 own errors, then dropped */
	int has_scratch;
	struct cur *c; /* the line being parsed */
};

static void free_text(struct flow_text *);
static void free_regex(struct flow_regex *);
static void free_step(struct flow_step *);

/* ---- reporting ---- */

static unsigned
col_at(const struct cur *c, size_t i)
{
	if (i > c->len)
		i = c->len;
	return (unsigned)template_utf8_chars(c->s, i) + 1;
}

static int perr(struct parser *, size_t, const char *, ...) PRINTFLIKE(3, 4);
static int perr_pos(struct parser *, const struct flow_pos *, const char *, ...)
    PRINTFLIKE(3, 4);

/* Reports an error at byte i of the current line. Always returns -1. */
static int
perr(struct parser *p, size_t i, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	flow_findings_add(p->f, p->file, p->line, p->c ? col_at(p->c, i) : 1,
	    FINDING_ERROR, "%s", msg);
	free(msg);
	p->errors++;
	return -1;
}

/* Reports an error at a recorded position. Always returns -1. */
static int
perr_pos(struct parser *p, const struct flow_pos *pos, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	flow_findings_add(
	    p->f, p->file, pos->line, pos->col, FINDING_ERROR, "%s", msg);
	free(msg);
	p->errors++;
	return -1;
}

/* The config's languages, "en sw", into out (size bytes). */
static void
langs_known(const struct parser *p, char *out, size_t size)
{
	size_t i, n = 0;

	out[0] = '\0';
	if (p->set->nlanguages == 0)
		snprintf(out, size, "en");
	for (i = 0; i < p->set->nlanguages && n + 1 < size; i++)
		n += (size_t)snprintf(out + n, size - n, "%s%s", i ? " " : "",
		    p->set->languages[i]);
}

/* ---- the cursor ---- */

static int
is_ws(int ch)
{
	return ch == ' ' || ch == '\t';
}

/*
 * Skips white space; a '#' at the start of the line or after white space
 * starts a comment that runs to the end of the line.
 */
static void
skip_ws(struct cur *c)
{
	while (c->i < c->len && is_ws((unsigned char)c->s[c->i]))
		c->i++;
	if (c->i < c->len && c->s[c->i] == '#' &&
	    (c->i == 0 || is_ws((unsigned char)c->s[c->i - 1])))
		c->i = c->len;
}

static int
at_end(struct cur *c)
{
	skip_ws(c);
	return c->i == c->len;
}

/* Reads a run of non-blank bytes; returns its length (0 at the end). */
static size_t
read_word(struct cur *c, size_t *start)
{
	skip_ws(c);
	*start = c->i;
	while (c->i < c->len && !is_ws((unsigned char)c->s[c->i]))
		c->i++;
	return c->i - *start;
}

/*
 * The length of the word at byte i (up to a blank or the end of the line),
 * at most 40 bytes: what error messages quote.
 */
static int
word_len(const struct cur *c, size_t i)
{
	size_t j = i;

	while (j < c->len && j - i < 40 && !is_ws((unsigned char)c->s[j]))
		j++;
	return (int)(j - i);
}

/* True when s[0..n) equals the keyword kw, ASCII case-insensitively. */
static int
word_is(const char *s, size_t n, const char *kw)
{
	size_t i;

	if (strlen(kw) != n)
		return 0;
	for (i = 0; i < n; i++)
		if (tolower((unsigned char)s[i]) != kw[i])
			return 0;
	return 1;
}

/* Consumes the keyword kw (followed by a blank or the end) if it is next. */
static int
accept_kw(struct cur *c, const char *kw)
{
	size_t save = c->i, start, n;

	n = read_word(c, &start);
	if (n > 0 && word_is(c->s + start, n, kw))
		return 1;
	c->i = save;
	return 0;
}

/* Requires the keyword kw next; reports what was found otherwise. */
static int
expect_kw(struct parser *p, const char *kw, const char *after)
{
	struct cur *c = p->c;
	size_t start, n;

	if (accept_kw(c, kw))
		return 0;
	n = read_word(c, &start);
	if (n == 0)
		return perr(p, start, "expected '%s' after %s", kw, after);
	return perr(p, start, "expected '%s' after %s, found '%.*s'", kw, after,
	    (int)(n > 40 ? 40 : n), c->s + start);
}

/* Consumes the punctuation tok (no blank needed after it) if it is next. */
static int
accept_tok(struct cur *c, const char *tok)
{
	size_t n = strlen(tok);

	skip_ws(c);
	if (c->len - c->i >= n && memcmp(c->s + c->i, tok, n) == 0) {
		c->i += n;
		return 1;
	}
	return 0;
}

static int
is_ident_char(int ch)
{
	return isalnum(ch) || ch == '_' || ch == '-' || ch == '.' || ch >= 0x80;
}

/* True when s[0..n) is a NAME: [a-z_][a-z0-9_]*. */
static int
valid_name(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return 0;
	for (i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
			(s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

/*
 * Reads a NAME (what names it in errors). With dotted, NAME(.FIELD)* is
 * accepted, FIELD as in templates. Sets *out (caller frees) and *at.
 */
static int
read_name(
    struct parser *p, const char *what, int dotted, char **out, size_t *at)
{
	struct cur *c = p->c;
	size_t start, n, i, seg;

	skip_ws(c);
	start = c->i;
	while (c->i < c->len && is_ident_char((unsigned char)c->s[c->i]))
		c->i++;
	n = c->i - start;
	if (at != NULL)
		*at = start;
	if (n == 0)
		return perr(p, start, "expected %s", what);
	if (n > FLOW_MAX_NAME)
		return perr(p, start, "%s too long (at most %d bytes)", what,
		    FLOW_MAX_NAME);
	/* The first component is a NAME; with dotted, fields follow. */
	for (seg = start; seg < c->i && c->s[seg] != '.'; seg++)
		;
	if (!valid_name(c->s + start, seg - start) || (!dotted && seg != c->i))
		return perr(p, start,
		    "bad name '%.*s': a NAME is [a-z_][a-z0-9_]*", (int)n,
		    c->s + start);
	for (i = seg; i < c->i; i++) {
		if (c->s[i] == '.' && (i + 1 == c->i || c->s[i + 1] == '.'))
			return perr(p, i, "bad name '%.*s': empty field",
			    (int)n, c->s + start);
		if (c->s[i] != '.' && !(isalnum((unsigned char)c->s[i]) ||
					  c->s[i] == '_' || c->s[i] == '-'))
			return perr(p, i,
			    "bad name '%.*s': bad character "
			    "in a field",
			    (int)n, c->s + start);
	}
	*out = xstrndup(c->s + start, n);
	return 0;
}

/*
 * Reads a double-quoted string with \" \\ \n escapes into *out (caller
 * frees, NUL-terminated, *outlen bytes). *at is the opening quote's byte.
 */
static int
read_string(
    struct parser *p, const char *what, char **out, size_t *outlen, size_t *at)
{
	struct cur *c = p->c;
	struct buf b;
	size_t start;

	skip_ws(c);
	start = c->i;
	if (at != NULL)
		*at = start;
	if (c->i >= c->len || c->s[c->i] != '"') {
		if (c->i >= c->len)
			return perr(
			    p, start, "expected %s (a \"string\")", what);
		return perr(p, start,
		    "expected %s (a \"string\"), found "
		    "'%.*s'",
		    what, word_len(c, start), c->s + start);
	}
	c->i++;
	buf_init(&b, FLOW_MAX_STRING);
	for (;;) {
		char ch;

		if (c->i >= c->len) {
			buf_free(&b);
			return perr(p, start, "unterminated string");
		}
		ch = c->s[c->i];
		if (ch == '"')
			break;
		if (ch == '\\') {
			if (c->i + 1 >= c->len) {
				buf_free(&b);
				return perr(p, start, "unterminated string");
			}
			ch = c->s[c->i + 1];
			if (ch == 'n')
				ch = '\n';
			else if (ch != '"' && ch != '\\') {
				buf_free(&b);
				return perr(p, c->i,
				    "unknown escape '\\%c' (use \\\", \\\\ "
				    "or \\n)",
				    isprint((unsigned char)ch) ? ch : '?');
			}
			c->i++;
		}
		if (buf_append(&b, &ch, 1) < 0) {
			buf_free(&b);
			return perr(p, start,
			    "string too long (at most %d "
			    "bytes)",
			    FLOW_MAX_STRING);
		}
		c->i++;
	}
	c->i++; /* the closing quote */
	*outlen = b.len;
	*out = buf_steal(&b);
	return 0;
}

/*
 * Maps byte offset off of an unescaped string back to the byte of the line
 * it came from; q is the opening quote's byte.
 */
static size_t
string_src_byte(const struct cur *c, size_t q, size_t off)
{
	size_t i = q + 1, n = 0;

	while (i < c->len && c->s[i] != '"' && n < off) {
		i += c->s[i] == '\\' ? 2 : 1;
		n++;
	}
	return i;
}

/*
 * Rewrites the columns of t's parts from columns in the unescaped string to
 * columns of the file line; q is the opening quote's byte.
 */
static void
fix_cols(const struct cur *c, size_t q, struct template *t)
{
	size_t i, off, chars;

	for (i = 0; i < t->nparts; i++) {
		/* Find the byte offset of the part's column in t->src. */
		off = 0;
		chars = 1;
		while (t->src[off] != '\0' && chars < t->parts[i].col) {
			off++;
			while (((unsigned char)t->src[off] & 0xC0) == 0x80)
				off++;
			chars++;
		}
		t->parts[i].col = col_at(c, string_src_byte(c, q, off));
	}
}

/* Reads a TEXT: a string compiled as a template. */
static int
read_text(struct parser *p, const char *what, struct flow_text *t)
{
	struct template_error err;
	char *s;
	size_t n, q;

	memset(t, 0, sizeof(*t));
	if (read_string(p, what, &s, &n, &q) < 0)
		return -1;
	t->pos.file = p->file;
	t->pos.line = p->line;
	t->pos.col = col_at(p->c, q);
	if (template_compile(s, n, &t->tmpl, &err) < 0) {
		free(s);
		return perr(
		    p, string_src_byte(p->c, q, err.offset), "%s", err.msg);
	}
	free(s);
	fix_cols(p->c, q, t->tmpl);
	return 0;
}

/* Fills *pos with the current file and line and the column of byte i. */
static void
set_pos(struct parser *p, struct flow_pos *pos, size_t i)
{
	pos->file = p->file;
	pos->line = p->line;
	pos->col = col_at(p->c, i);
}

/*
 * Reads a regex /.../flags and compiles it. anchored makes the whole subject
 * match (on match triggers).
 */
static int
read_regex(struct parser *p, struct flow_regex *re, int anchored)
{
	struct cur *c = p->c;
	size_t start, end, nf = 0;
	int inclass = 0, errcode;
	PCRE2_SIZE erroff;
	PCRE2_UCHAR msg[256];

	memset(re, 0, sizeof(*re));
	skip_ws(c);
	start = c->i;
	if (c->i >= c->len || c->s[c->i] != '/')
		return perr(p, start, "expected a regex (/.../)");
	set_pos(p, &re->pos, start);
	for (end = start + 1; end < c->len; end++) {
		char ch = c->s[end];

		if (ch == '\\') {
			end++;
			continue;
		}
		if (ch == '[' && !inclass)
			inclass = 1;
		else if (ch == ']' && inclass)
			inclass = 0;
		else if (ch == '/' && !inclass)
			break;
	}
	if (end >= c->len)
		return perr(p, start, "unterminated regex (no closing '/')");
	if (end - start - 1 > FLOW_MAX_STRING)
		return perr(p, start, "regex too long (at most %d bytes)",
		    FLOW_MAX_STRING);
	c->i = end + 1;
	re->options = PCRE2_UTF | PCRE2_UCP;
	if (anchored)
		re->options |= PCRE2_ANCHORED | PCRE2_ENDANCHORED;
	while (c->i < c->len && !is_ws((unsigned char)c->s[c->i])) {
		char fl = c->s[c->i];

		if (fl == 'i' && !strchr(re->flags, 'i'))
			re->options |= PCRE2_CASELESS;
		else if (fl == 'x' && !strchr(re->flags, 'x'))
			re->options |= PCRE2_EXTENDED;
		else
			return perr(p, c->i,
			    "unknown or repeated regex flag "
			    "'%c' (flags are i and x)",
			    isprint((unsigned char)fl) ? fl : '?');
		re->flags[nf++] = fl;
		c->i++;
	}
	re->src = xstrndup(c->s + start + 1, end - start - 1);
	re->code = pcre2_compile((PCRE2_SPTR)re->src, end - start - 1,
	    re->options, &errcode, &erroff, NULL);
	if (re->code == NULL) {
		pcre2_get_error_message(errcode, msg, sizeof(msg));
		free(re->src);
		re->src = NULL;
		return perr(p, start + 1 + erroff,
		    "bad regex: %s (at offset %zu)", (const char *)msg,
		    (size_t)erroff);
	}
	re->jit = pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE) == 0;
	return 0;
}

/* Reads a number (a decimal, optionally signed and with a fraction). */
static int
read_number(struct parser *p, const char *what, double *out)
{
	struct cur *c = p->c;
	size_t start, n;
	char tmp[64], *end;

	n = read_word(c, &start);
	if (n == 0)
		return perr(p, start, "expected %s (a number)", what);
	if (n >= sizeof(tmp))
		return perr(p, start, "bad %s: number too long", what);
	memcpy(tmp, c->s + start, n);
	tmp[n] = '\0';
	errno = 0;
	*out = strtod(tmp, &end);
	if (*end != '\0' || end == tmp || errno != 0 || !isfinite(*out) ||
	    !(isdigit((unsigned char)tmp[0]) || tmp[0] == '-' || tmp[0] == '+'))
		return perr(
		    p, start, "bad %s '%s': expected a number", what, tmp);
	/* Plain decimals only, as a resident's answer is read: no 0x10, 1e3. */
	if (!str_plain_decimal(tmp))
		return perr(p, start,
		    "bad %s '%s': write it as a plain decimal number (such as "
		    "18 or 2.5), as residents' answers are read",
		    what, tmp);
	return 0;
}

/* Reads the TARGET after `->` or `goto`: NAME or flow NAME. */
static int
read_target_name(struct parser *p, struct flow_target *t)
{
	struct cur *c = p->c;

	skip_ws(c);
	set_pos(p, &t->pos, c->i);
	if (accept_kw(c, "flow")) {
		t->kind = TARGET_FLOW;
		return read_name(p, "a flow NAME", 0, &t->name, NULL);
	}
	t->kind = TARGET_STEP;
	return read_name(p, "a step NAME or 'flow NAME'", 0, &t->name, NULL);
}

/* Reads `-> TARGET` when present (optional) or required. */
static int
read_target(struct parser *p, struct flow_target *t, int required)
{
	struct cur *c = p->c;
	size_t at;

	memset(t, 0, sizeof(*t));
	skip_ws(c);
	at = c->i;
	if (!accept_tok(c, "->")) {
		if (!required)
			return 0;
		if (c->i >= c->len)
			return perr(p, at, "expected '-> TARGET'");
		return perr(p, at, "expected '-> TARGET', found '%.*s'",
		    word_len(c, at), c->s + at);
	}
	return read_target_name(p, t);
}

/* Requires the end of the line (a comment may follow). */
static int
expect_eol(struct parser *p, const char *after)
{
	struct cur *c = p->c;
	size_t start, n;

	if (at_end(c))
		return 0;
	start = c->i;
	n = read_word(c, &start);
	return perr(p, start, "unexpected '%.*s' after %s",
	    (int)(n > 40 ? 40 : n), c->s + start, after);
}

/* Names that flows may not assign: the built-ins. */
static int
check_assignable(struct parser *p, const char *name, size_t at)
{
	if (strcmp(name, "contact") == 0 || strcmp(name, "rest") == 0 ||
	    strcmp(name, "input") == 0)
		return perr(p, at,
		    "'%s' is a built-in name and cannot be "
		    "assigned",
		    name);
	return 0;
}

/* ---- freeing ---- */

static void
free_text(struct flow_text *t)
{
	size_t i;

	template_free(t->tmpl);
	for (i = 0; i < t->ntr; i++)
		template_free(t->tr[i].tmpl);
	free(t->tr);
	memset(t, 0, sizeof(*t));
}

static void
free_regex(struct flow_regex *re)
{
	pcre2_code_free(re->code);
	free(re->src);
	memset(re, 0, sizeof(*re));
}

static void
free_target(struct flow_target *t)
{
	free(t->name);
	t->name = NULL;
}

static void
free_outcome(struct flow_outcome *o)
{
	free_text(&o->text);
	free_target(&o->target);
}

static void
free_step(struct flow_step *st)
{
	size_t i;

	free(st->name);
	free_text(&st->text);
	switch (st->kind) {
	case STEP_ASK:
		for (i = 0; i < st->u.ask.nchecks; i++) {
			free_regex(&st->u.ask.checks[i].re);
			free_text(&st->u.ask.checks[i].text);
		}
		free(st->u.ask.checks);
		free_text(&st->u.ask.tries_text);
		break;
	case STEP_MENU:
		for (i = 0; i < st->u.menu.noptions; i++) {
			free_text(&st->u.menu.options[i].text);
			free(st->u.menu.options[i].value);
			free_target(&st->u.menu.options[i].target);
		}
		free(st->u.menu.options);
		break;
	case STEP_IF:
		free(st->u.cond.cond.var);
		template_free(st->u.cond.cond.value);
		free_regex(&st->u.cond.cond.re);
		free_target(&st->u.cond.target);
		break;
	case STEP_GOTO:
		free_target(&st->u.go.target);
		break;
	case STEP_LOOKUP:
		free(st->u.lookup.table);
		free(st->u.lookup.column);
		free_text(&st->u.lookup.key);
		free_outcome(&st->u.lookup.missing);
		break;
	case STEP_FETCH:
		free_outcome(&st->u.fetch.missing);
		free_outcome(&st->u.fetch.failed);
		break;
	case STEP_REPORT:
		free_text(&st->u.report.category);
		free_text(&st->u.report.location);
		free_text(&st->u.report.details);
		break;
	case STEP_FIND_REPORT:
		free_outcome(&st->u.find.missing);
		break;
	default:
		break;
	}
	memset(st, 0, sizeof(*st));
}

void
flow_free(struct flow *fl)
{
	size_t i;

	if (fl == NULL)
		return;
	for (i = 0; i < fl->ntriggers; i++) {
		free(fl->triggers[i].word);
		free_regex(&fl->triggers[i].re);
	}
	free(fl->triggers);
	for (i = 0; i < fl->nsteps; i++)
		free_step(&fl->steps[i]);
	free(fl->steps);
	free_text(&fl->title);
	free(fl->name);
	free(fl);
}

/* ---- statements ---- */

/* Adds a trigger to the current flow (taking over what *tr owns). */
static int
add_trigger(struct parser *p, struct flow_trigger *tr)
{
	struct flow *fl = p->flow;

	if (fl->ntriggers >= FLOW_MAX_TRIGGERS) {
		struct flow_pos pos = tr->pos;

		free(tr->word);
		free_regex(&tr->re);
		return perr_pos(p, &pos,
		    "too many triggers in flow '%s' (at "
		    "most %d)",
		    fl->name, FLOW_MAX_TRIGGERS);
	}
	if (fl->ntriggers == p->trig_cap) {
		p->trig_cap = p->trig_cap ? p->trig_cap * 2 : 4;
		fl->triggers =
		    xrealloc(fl->triggers, p->trig_cap * sizeof(*fl->triggers));
	}
	fl->triggers[fl->ntriggers++] = *tr;
	return 0;
}

/* True when s is a USSD code: '*' digits ('*' digits)* '#'. */
static int
valid_ussd(const char *s, size_t n)
{
	size_t i;
	int digits = 0;

	if (n < 3 || s[0] != '*' || s[n - 1] != '#')
		return 0;
	for (i = 1; i < n - 1; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else if (s[i] == '*' && digits > 0)
			digits = 0;
		else
			return 0;
	}
	return digits > 0;
}

/* on keyword WORD...: one trigger per WORD, upper-cased. */
static int
parse_on_keyword(struct parser *p)
{
	struct cur *c = p->c;
	struct flow_trigger tr;
	size_t start, n;
	int count = 0;

	for (;;) {
		n = read_word(c, &start);
		if (n == 0)
			break;
		if (n > FLOW_MAX_WORD)
			return perr(p, start,
			    "keyword too long (at "
			    "most %d bytes)",
			    FLOW_MAX_WORD);
		if (c->s[start] == '"' || c->s[start] == '/')
			return perr(p, start,
			    "a keyword is a plain "
			    "word, not a string or regex");
		memset(&tr, 0, sizeof(tr));
		tr.kind = TRIGGER_KEYWORD;
		tr.word = fold_upper(c->s + start, n);
		set_pos(p, &tr.pos, start);
		if (add_trigger(p, &tr) < 0)
			return -1;
		count++;
	}
	if (count == 0)
		return perr(p, c->i,
		    "expected at least one WORD "
		    "after 'on keyword'");
	return 0;
}

/*
 * A match's named groups set variables of their names (flows.md): one
 * named as a built-in would set nothing a flow could read ({rest},
 * {input} and {contact...} are the gateway's), so it is refused.
 */
static int
match_groups_ok(struct parser *p, const struct flow_regex *re)
{
	uint32_t count = 0, size = 0, i;
	PCRE2_SPTR table;
	const char *name;

	if (re->code == NULL ||
	    pcre2_pattern_info(re->code, PCRE2_INFO_NAMECOUNT, &count) != 0)
		return 0;
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMEENTRYSIZE, &size);
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMETABLE, &table);
	for (i = 0; i < count; i++) {
		name = (const char *)table + (size_t)i * size + 2;
		if (strcmp(name, "contact") == 0 || strcmp(name, "rest") == 0 ||
		    strcmp(name, "input") == 0)
			return perr_pos(p, &re->pos,
			    "the group '%s' is named as a built-in, which a "
			    "match cannot set: name it otherwise",
			    name);
	}
	return 0;
}

/* on match /re/: the whole message must match. */
static int
parse_on_match(struct parser *p)
{
	struct flow_trigger tr;

	memset(&tr, 0, sizeof(tr));
	tr.kind = TRIGGER_MATCH;
	if (read_regex(p, &tr.re, 1) < 0)
		return -1;
	tr.pos = tr.re.pos;
	if (expect_eol(p, "the regex") < 0 || match_groups_ok(p, &tr.re) < 0) {
		free_regex(&tr.re);
		return -1;
	}
	return add_trigger(p, &tr);
}

/* on ussd CODE */
static int
parse_on_ussd(struct parser *p)
{
	struct cur *c = p->c;
	struct flow_trigger tr;
	size_t start, n, hash = c->i;

	while (hash < c->len && (c->s[hash] == ' ' || c->s[hash] == '\t'))
		hash++;
	n = read_word(c, &start);
	if (n == 0 && hash < c->len && c->s[hash] == '#')
		return perr(p, hash,
		    "expected a USSD code after 'on ussd' ('#' after white "
		    "space starts a comment; a code starts with '*', such as "
		    "*384#)");
	if (n == 0)
		return perr(p, start,
		    "expected a USSD code after "
		    "'on ussd'");
	if (n > FLOW_MAX_WORD || !valid_ussd(c->s + start, n))
		return perr(p, start,
		    "bad USSD code '%.*s': expected "
		    "a code such as *384*1#",
		    (int)(n > 40 ? 40 : n), c->s + start);
	if (expect_eol(p, "the USSD code") < 0)
		return -1;
	memset(&tr, 0, sizeof(tr));
	tr.kind = TRIGGER_USSD;
	tr.word = xstrndup(c->s + start, n);
	set_pos(p, &tr.pos, start);
	return add_trigger(p, &tr);
}

/* on keyword WORD... | on match /re/ | on ussd CODE | on default */
static int
parse_on(struct parser *p, size_t kwat)
{
	struct cur *c = p->c;
	struct flow_trigger tr;
	size_t start, n;

	if (p->flow->nsteps > 0)
		return perr(p, kwat,
		    "trigger after the first step (triggers "
		    "come before the steps of a flow)");
	if (accept_kw(c, "keyword"))
		return parse_on_keyword(p);
	if (accept_kw(c, "match"))
		return parse_on_match(p);
	if (accept_kw(c, "ussd"))
		return parse_on_ussd(p);
	skip_ws(c);
	start = c->i;
	if (accept_kw(c, "default")) {
		if (expect_eol(p, "'on default'") < 0)
			return -1;
		memset(&tr, 0, sizeof(tr));
		tr.kind = TRIGGER_DEFAULT;
		set_pos(p, &tr.pos, start);
		return add_trigger(p, &tr);
	}
	n = read_word(c, &start);
	if (n == 0)
		return perr(p, start,
		    "expected keyword, match, ussd or "
		    "default after 'on'");
	return perr(p, start,
	    "unknown trigger '%.*s' (expected keyword, "
	    "match, ussd or default)",
	    (int)(n > 40 ? 40 : n), c->s + start);
}

/* flow NAME [TEXT] */
static int
parse_flow(struct parser *p, size_t kwat)
{
	struct flow *fl;
	char *name;

	if (read_name(p, "a flow NAME", 0, &name, NULL) < 0)
		goto orphan;
	fl = xcalloc(1, sizeof(*fl));
	fl->name = name;
	set_pos(p, &fl->pos, kwat);
	skip_ws(p->c);
	if (p->c->i < p->c->len) {
		if (read_text(p, "the flow's title", &fl->title) < 0 ||
		    expect_eol(p, "the title") < 0) {
			flow_free(fl);
			goto orphan;
		}
		fl->has_title = 1;
	}
	if (p->set->nflows >= FLOW_MAX_FLOWS) {
		flow_free(fl);
		perr(p, kwat, "too many flows (at most %d)", FLOW_MAX_FLOWS);
		goto orphan;
	}
	p->set->flows = xrealloc(
	    p->set->flows, (p->set->nflows + 1) * sizeof(*p->set->flows));
	fl->index = p->set->nflows;
	p->set->flows[p->set->nflows++] = fl;
	p->flow = fl;
	p->steps_cap = p->trig_cap = 0;
	p->steps_full = 0;
	p->last_text = fl->has_title ? &fl->title : NULL;
	return 0;

orphan:
	/*
	 * Parse what follows into a flow that is not kept, so its lines are
	 * still checked without a cascade of "before the first flow" errors.
	 */
	fl = xcalloc(1, sizeof(*fl));
	fl->name = xstrdup("?");
	set_pos(p, &fl->pos, kwat);
	p->orphan = fl;
	p->flow = fl;
	p->steps_cap = p->trig_cap = 0;
	p->steps_full = 0;
	p->last_text = NULL;
	return -1;
}

/* The last step of the current flow, when the last statement was a step. */
static struct flow_step *
last_step(struct parser *p)
{
	if (p->flow == NULL || !p->last_is_step || p->flow->nsteps == 0)
		return NULL;
	return &p->flow->steps[p->flow->nsteps - 1];
}

/* Appends a finished step (taking over what *st owns). */
static int
add_step(struct parser *p, struct flow_step *st)
{
	struct flow *fl = p->flow;

	if (fl->nsteps >= FLOW_MAX_STEPS) {
		struct flow_pos pos = st->pos;

		free_step(st);
		if (p->steps_full)
			return -1;
		p->steps_full = 1;
		return perr_pos(p, &pos,
		    "too many steps in flow '%s' (at most "
		    "%d)",
		    fl->name, FLOW_MAX_STEPS);
	}
	if (st->kind == STEP_LABEL) {
		size_t i;

		for (i = 0; i < fl->nsteps; i++)
			if (fl->steps[i].kind == STEP_LABEL &&
			    strcmp(fl->steps[i].name, st->name) == 0) {
				unsigned first = fl->steps[i].pos.line;
				struct flow_pos pos = st->pos;
				int rc;

				rc = perr_pos(p, &pos,
				    "duplicate step '%s' "
				    "(first at line %u)",
				    st->name, first);
				free_step(st);
				return rc;
			}
	}
	if (fl->nsteps == p->steps_cap) {
		p->steps_cap = p->steps_cap ? p->steps_cap * 2 : 8;
		fl->steps =
		    xrealloc(fl->steps, p->steps_cap * sizeof(*fl->steps));
	}
	fl->steps[fl->nsteps++] = *st;
	p->last_is_step = 1;
	/* Translations attach to the step's main TEXT or its key. */
	st = &fl->steps[fl->nsteps - 1];
	if (st->has_text)
		p->last_text = &st->text;
	else if (st->kind == STEP_LOOKUP)
		p->last_text = &st->u.lookup.key;
	else
		p->last_text = NULL;
	return 0;
}

/* The literal language code of a language step, checked against the set. */
static int
check_language_literal(struct parser *p, const struct flow_text *t)
{
	const struct template *tm = t->tmpl;
	char known[FLOW_MAX_LANGS * 3 + 1];
	size_t i;

	if (tm->nvars > 0 || tm->nparts != 1)
		return 0; /* {placeholders}: checked at run time */
	for (i = 0; i < p->set->nlanguages; i++)
		if (str_ieq(tm->src, p->set->languages[i]))
			return 0;
	langs_known(p, known, sizeof(known));
	return perr_pos(p, &t->pos,
	    "language '%s' is not in languages (%s): add it to the config's "
	    "languages",
	    tm->src, known);
}

/*
 * Statements. The table `statements` below maps each keyword to its step
 * kind and to the function that reads the rest of the line for that shape;
 * its strings name the parts in error messages. parse_step builds the step
 * in a local struct and adds it only when the whole line parsed.
 */
struct statement;

/* Reads the line after the keyword into st (kind and pos already set). */
typedef int (*statement_fn)(
    struct parser *, const struct statement *, struct flow_step *);

struct statement {
	const char *kw;           /* the keyword, lower case */
	enum flow_step_kind kind; /* the step it builds */
	statement_fn parse;       /* reads the rest of the line */
	const char *name;         /* the NAME in errors, NULL when none */
	int assigns;              /* the NAME is a variable the step sets:
				     built-in names are refused */
	const char *text;         /* the main TEXT in errors, NULL when none */
};

/* Reads the statement's NAME into st->name. */
static int
read_step_name(
    struct parser *p, const struct statement *sx, struct flow_step *st)
{
	size_t at;

	if (read_name(p, sx->name, 0, &st->name, &at) < 0)
		return -1;
	return sx->assigns ? check_assignable(p, st->name, at) : 0;
}

/* if NAME = "x" | != "x" | ~ /re/ | < N | > N | is set | is empty -> T */
static int
parse_if(struct parser *p, const struct statement *sx, struct flow_step *st)
{
	struct cur *c = p->c;
	struct flow_cond *cd = &st->u.cond.cond;
	struct template_error err;
	size_t at, q, n;
	char *s;

	(void)sx;
	if (read_name(p, "a NAME to test", 1, &cd->var, &at) < 0)
		return -1;
	set_pos(p, &cd->var_pos, at);
	skip_ws(c);
	at = c->i;
	if (accept_tok(c, "!=") || accept_tok(c, "=")) {
		cd->kind = c->s[at] == '!' ? COND_NE : COND_EQ;
		if (read_string(p, "the value to compare", &s, &n, &q) < 0)
			return -1;
		if (template_compile(s, n, &cd->value, &err) < 0) {
			free(s);
			return perr(p, string_src_byte(c, q, err.offset), "%s",
			    err.msg);
		}
		free(s);
		fix_cols(c, q, cd->value);
	} else if (accept_tok(c, "~")) {
		cd->kind = COND_MATCH;
		if (read_regex(p, &cd->re, 0) < 0)
			return -1;
	} else if (accept_tok(c, "<") || accept_tok(c, ">")) {
		cd->kind = c->s[at] == '<' ? COND_LT : COND_GT;
		if (read_number(p, "N", &cd->number) < 0)
			return -1;
	} else if (accept_kw(c, "is")) {
		if (accept_kw(c, "set"))
			cd->kind = COND_SET;
		else if (accept_kw(c, "empty"))
			cd->kind = COND_EMPTY;
		else {
			skip_ws(c);
			return perr(p, c->i,
			    "expected 'set' or 'empty' after "
			    "'is'");
		}
	} else {
		return perr(p, at,
		    "expected a condition: = \"x\", != \"x\", "
		    "~ /re/, < N, > N, is set or is empty");
	}
	if (read_target(p, &st->u.cond.target, 1) < 0)
		return -1;
	return expect_eol(p, "the target");
}

/* say TEXT | language TEXT | subscribe TEXT | unsubscribe TEXT */
static int
parse_text_stmt(
    struct parser *p, const struct statement *sx, struct flow_step *st)
{
	if (read_text(p, sx->text, &st->text) < 0)
		return -1;
	st->has_text = 1;
	if (expect_eol(p, "the text") < 0)
		return -1;
	if (st->kind == STEP_LANGUAGE)
		return check_language_literal(p, &st->text);
	return 0;
}

/* ask NAME TEXT | menu NAME TEXT (their clauses follow on later lines) */
static int
parse_prompt(struct parser *p, const struct statement *sx, struct flow_step *st)
{
	if (st->kind == STEP_ASK)
		st->u.ask.tries = FLOW_DEFAULT_TRIES;
	if (read_step_name(p, sx, st) < 0 ||
	    read_text(p, sx->text, &st->text) < 0)
		return -1;
	st->has_text = 1;
	return expect_eol(p, sx->text);
}

/* set NAME = TEXT | save FIELD = TEXT */
static int
parse_assign(struct parser *p, const struct statement *sx, struct flow_step *st)
{
	struct cur *c = p->c;

	size_t at = c->i;

	if (read_step_name(p, sx, st) < 0)
		return -1;
	/* {contact.phone} and {contact.language} are the contact's own. */
	if (st->kind == STEP_SAVE && st->name != NULL &&
	    (strcmp(st->name, "phone") == 0 ||
		strcmp(st->name, "language") == 0)) {
		while (at < c->len && (c->s[at] == ' ' || c->s[at] == '\t'))
			at++;
		return perr(p, at,
		    "'%s' is the contact's own (%s), not a field to save",
		    st->name,
		    strcmp(st->name, "phone") == 0
			? "{contact.phone}"
			: "set it with the language step");
	}
	skip_ws(c);
	if (!accept_tok(c, "="))
		return perr(p, c->i, "expected '=' after the name");
	if (read_text(p, sx->text, &st->text) < 0)
		return -1;
	st->has_text = 1;
	return expect_eol(p, sx->text);
}

/* goto TARGET */
static int
parse_goto(struct parser *p, const struct statement *sx, struct flow_step *st)
{
	(void)sx;
	if (read_target_name(p, &st->u.go.target) < 0)
		return -1;
	return expect_eol(p, "the target");
}

/* step NAME */
static int
parse_label(struct parser *p, const struct statement *sx, struct flow_step *st)
{
	if (read_step_name(p, sx, st) < 0)
		return -1;
	return expect_eol(p, "the step name");
}

/* end [TEXT] */
static int
parse_end(struct parser *p, const struct statement *sx, struct flow_step *st)
{
	if (at_end(p->c))
		return 0;
	if (read_text(p, sx->text, &st->text) < 0 ||
	    expect_eol(p, "the text") < 0)
		return -1;
	st->has_text = 1;
	return 0;
}

/*
 * Reads the TABLE or COLUMN name of a lookup ([A-Za-z0-9_-]+, what) that
 * follows the keyword after, into *out (caller frees).
 */
static int
read_column(struct parser *p, const char *what, const char *after, char **out)
{
	struct cur *c = p->c;
	size_t start, n;

	(void)read_word(c, &start);
	c->i = start;
	while (c->i < c->len && (isalnum((unsigned char)c->s[c->i]) ||
				    c->s[c->i] == '_' || c->s[c->i] == '-'))
		c->i++;
	n = c->i - start;
	if (n == 0 || n > FLOW_MAX_NAME)
		return perr(
		    p, start, "expected a %s name after '%s'", what, after);
	*out = xstrndup(c->s + start, n);
	return 0;
}

/* lookup NAME in TABLE where COLUMN = TEXT (its missing clause follows) */
static int
parse_lookup(struct parser *p, const struct statement *sx, struct flow_step *st)
{
	struct cur *c = p->c;

	if (read_step_name(p, sx, st) < 0 ||
	    expect_kw(p, "in", "the lookup NAME") < 0 ||
	    read_column(p, "TABLE", "in", &st->u.lookup.table) < 0 ||
	    expect_kw(p, "where", "the TABLE") < 0 ||
	    read_column(p, "COLUMN", "where", &st->u.lookup.column) < 0)
		return -1;
	skip_ws(c);
	if (!accept_tok(c, "="))
		return perr(p, c->i, "expected '=' after the COLUMN");
	if (read_text(p, sx->text, &st->u.lookup.key) < 0)
		return -1;
	return expect_eol(p, sx->text);
}

/* fetch NAME from TEXT (its missing and failed clauses follow) */
static int
parse_fetch(struct parser *p, const struct statement *sx, struct flow_step *st)
{
	if (read_step_name(p, sx, st) < 0 ||
	    expect_kw(p, "from", "the fetch NAME") < 0 ||
	    read_text(p, sx->text, &st->text) < 0)
		return -1;
	st->has_text = 1;
	return expect_eol(p, sx->text);
}

/* report NAME (its category, location and details clauses follow) */
static int
parse_report(struct parser *p, const struct statement *sx, struct flow_step *st)
{
	if (read_step_name(p, sx, st) < 0)
		return -1;
	return expect_eol(p, "the report NAME");
}

/* find report NAME TEXT (its missing clause follows) */
static int
parse_find(struct parser *p, const struct statement *sx, struct flow_step *st)
{
	if (expect_kw(p, "report", "'find'") < 0 ||
	    read_step_name(p, sx, st) < 0 ||
	    read_text(p, sx->text, &st->text) < 0)
		return -1;
	st->has_text = 1;
	return expect_eol(p, sx->text);
}

static const struct statement statements[] = {
    {"say", STEP_SAY, parse_text_stmt, NULL, 0, "the text to say"},
    {"ask", STEP_ASK, parse_prompt, "a NAME", 1, "the question"},
    {"menu", STEP_MENU, parse_prompt, "a NAME", 1, "the question"},
    {"set", STEP_SET, parse_assign, "a NAME", 1, "the value"},
    {"save", STEP_SAVE, parse_assign, "a FIELD", 0, "the value"},
    {"language", STEP_LANGUAGE, parse_text_stmt, NULL, 0, "a language code"},
    {"if", STEP_IF, parse_if, NULL, 0, NULL},
    {"goto", STEP_GOTO, parse_goto, NULL, 0, NULL},
    {"step", STEP_LABEL, parse_label, "a step NAME", 0, NULL},
    {"end", STEP_END, parse_end, NULL, 0, "the last words"},
    {"lookup", STEP_LOOKUP, parse_lookup, "a NAME", 1, "the key"},
    {"fetch", STEP_FETCH, parse_fetch, "a NAME", 1, "the URL"},
    {"report", STEP_REPORT, parse_report, "a NAME", 1, NULL},
    {"find", STEP_FIND_REPORT, parse_find, "a NAME", 1, "the report number"},
    {"subscribe", STEP_SUBSCRIBE, parse_text_stmt, NULL, 0, "a topic"},
    {"unsubscribe", STEP_UNSUBSCRIBE, parse_text_stmt, NULL, 0, "a topic"},
};

/* The statement whose keyword is kw (lower case), or NULL. */
static const struct statement *
find_statement(const char *kw)
{
	size_t i;

	for (i = 0; i < nitems(statements); i++)
		if (strcmp(kw, statements[i].kw) == 0)
			return &statements[i];
	return NULL;
}

/* Parses a step statement of syntax sx whose keyword is at byte kwat. */
static int
parse_step(struct parser *p, const struct statement *sx, size_t kwat)
{
	struct flow_step st;

	memset(&st, 0, sizeof(st));
	set_pos(p, &st.pos, kwat);
	st.kind = sx->kind;
	if (sx->parse(p, sx, &st) < 0) {
		free_step(&st);
		return -1;
	}
	return add_step(p, &st);
}

/*
 * Clauses. The table `clauses` below maps each keyword to the step kinds it
 * may follow and to the function that reads the rest of the line into that
 * step; parse_clause refuses a clause that follows no such step.
 */
struct clause;

/* Reads the line after the keyword (at byte kwat) into st. */
typedef int (*clause_fn)(
    struct parser *, const struct clause *, struct flow_step *, size_t kwat);

struct clause {
	const char *kw;    /* the keyword, lower case */
	unsigned follows;  /* the step kinds it belongs to, STEP_BIT()s */
	const char *after; /* those kinds, as the error names them */
	clause_fn parse;   /* reads the rest of the line */
};

#define STEP_BIT(k) (1u << (k))

/* Appends an element to a clause array, growing it by one. */
#define APPEND(arr, n, elem)                                         \
	do {                                                         \
		(arr) = xrealloc((arr), ((n) + 1) * sizeof(*(arr))); \
		(arr)[(n)++] = (elem);                               \
	} while (0)

/* The test of a check clause: /re/ or number MIN MAX. */
static int
read_check_test(struct parser *p, struct flow_check *ck)
{
	struct cur *c = p->c;
	size_t at;

	skip_ws(c);
	if (c->i < c->len && c->s[c->i] == '/') {
		ck->kind = CHECK_REGEX;
		return read_regex(p, &ck->re, 0);
	}
	if (!accept_kw(c, "number"))
		return perr(p, c->i,
		    "expected /regex/ or 'number' "
		    "after 'check'");
	ck->kind = CHECK_NUMBER;
	if (read_number(p, "MIN", &ck->min) < 0)
		return -1;
	skip_ws(c);
	at = c->i;
	if (read_number(p, "MAX", &ck->max) < 0)
		return -1;
	if (ck->min > ck->max)
		return perr(
		    p, at, "MIN %g is greater than MAX %g", ck->min, ck->max);
	return 0;
}

/* check /re/ TEXT | check number MIN MAX TEXT */
static int
parse_check(struct parser *p, const struct clause *cl, struct flow_step *st,
    size_t kwat)
{
	struct flow_check ck;

	(void)cl;
	memset(&ck, 0, sizeof(ck));
	set_pos(p, &ck.pos, kwat);
	if (st->u.ask.nchecks >= FLOW_MAX_CHECKS)
		return perr(
		    p, kwat, "too many checks (at most %d)", FLOW_MAX_CHECKS);
	if (read_check_test(p, &ck) < 0 ||
	    read_text(p, "the retry text", &ck.text) < 0 ||
	    expect_eol(p, "the text") < 0) {
		free_regex(&ck.re);
		free_text(&ck.text);
		return -1;
	}
	APPEND(st->u.ask.checks, st->u.ask.nchecks, ck);
	p->last_text = &st->u.ask.checks[st->u.ask.nchecks - 1].text;
	return 0;
}

/* tries N TEXT */
static int
parse_tries(struct parser *p, const struct clause *cl, struct flow_step *st,
    size_t kwat)
{
	struct cur *c = p->c;
	struct flow_text t;
	double n;
	size_t at;

	(void)cl;
	if (st->u.ask.has_tries_text)
		return perr(p, kwat, "duplicate 'tries' clause");
	skip_ws(c);
	at = c->i;
	if (read_number(p, "N", &n) < 0)
		return -1;
	if (n != floor(n) || n > 1000)
		return perr(p, at, "tries must be a whole number up to 1000");
	if (n < 1)
		return perr(p, at, "tries must be at least 1");
	if (read_text(p, "the text said after the last try", &t) < 0)
		return -1;
	if (expect_eol(p, "the text") < 0) {
		free_text(&t);
		return -1;
	}
	st->u.ask.tries = (int)n;
	st->u.ask.tries_text = t;
	st->u.ask.has_tries_text = 1;
	set_pos(p, &st->u.ask.tries_pos, kwat);
	p->last_text = &st->u.ask.tries_text;
	return 0;
}

/* option TEXT [= "value"] [-> TARGET] */
static int
parse_option(struct parser *p, const struct clause *cl, struct flow_step *st,
    size_t kwat)
{
	struct flow_option o;
	size_t n;

	(void)cl;
	if (st->u.menu.noptions >= FLOW_MAX_OPTIONS)
		return perr(
		    p, kwat, "too many options (at most %d)", FLOW_MAX_OPTIONS);
	memset(&o, 0, sizeof(o));
	set_pos(p, &o.pos, kwat);
	if (read_text(p, "the option's text", &o.text) < 0 ||
	    (accept_tok(p->c, "=") &&
		read_string(p, "the option's value", &o.value, &n, NULL) < 0) ||
	    read_target(p, &o.target, 0) < 0 ||
	    expect_eol(p, "the option") < 0) {
		free_text(&o.text);
		free(o.value);
		free_target(&o.target);
		return -1;
	}
	APPEND(st->u.menu.options, st->u.menu.noptions, o);
	p->last_text = &st->u.menu.options[st->u.menu.noptions - 1].text;
	return 0;
}

/* Reads `TEXT [-> TARGET]` of a missing/failed clause into o. */
static int
parse_outcome(
    struct parser *p, struct flow_outcome *o, const char *kw, size_t kwat)
{
	struct flow_outcome tmp;

	if (o->present)
		return perr(p, kwat, "duplicate '%s' clause", kw);
	memset(&tmp, 0, sizeof(tmp));
	set_pos(p, &tmp.pos, kwat);
	if (read_text(p, "the text", &tmp.text) < 0 ||
	    read_target(p, &tmp.target, 0) < 0 ||
	    expect_eol(p, tmp.target.kind ? "the target" : "the text") < 0) {
		free_outcome(&tmp);
		return -1;
	}
	tmp.present = 1;
	*o = tmp;
	p->last_text = &o->text;
	return 0;
}

/* missing TEXT [-> TARGET], after lookup, fetch or find report */
static int
parse_missing(struct parser *p, const struct clause *cl, struct flow_step *st,
    size_t kwat)
{
	struct flow_outcome *o;

	if (st->kind == STEP_LOOKUP)
		o = &st->u.lookup.missing;
	else if (st->kind == STEP_FETCH)
		o = &st->u.fetch.missing;
	else
		o = &st->u.find.missing;
	return parse_outcome(p, o, cl->kw, kwat);
}

/* failed TEXT [-> TARGET], after fetch */
static int
parse_failed(struct parser *p, const struct clause *cl, struct flow_step *st,
    size_t kwat)
{
	return parse_outcome(p, &st->u.fetch.failed, cl->kw, kwat);
}

/* category TEXT | location TEXT | details TEXT, after report */
static int
parse_report_text(struct parser *p, const struct clause *cl,
    struct flow_step *st, size_t kwat)
{
	struct flow_text *t;
	int *has;

	if (cl->kw[0] == 'c') {
		t = &st->u.report.category;
		has = &st->u.report.has_category;
	} else if (cl->kw[0] == 'l') {
		t = &st->u.report.location;
		has = &st->u.report.has_location;
	} else {
		t = &st->u.report.details;
		has = &st->u.report.has_details;
	}
	if (*has)
		return perr(p, kwat, "duplicate '%s' clause", cl->kw);
	if (read_text(p, "the text", t) < 0)
		return -1;
	if (expect_eol(p, "the text") < 0) {
		free_text(t);
		return -1;
	}
	*has = 1;
	p->last_text = t;
	return 0;
}

static const struct clause clauses[] = {
    {"check", STEP_BIT(STEP_ASK), "an 'ask'", parse_check},
    {"tries", STEP_BIT(STEP_ASK), "an 'ask'", parse_tries},
    {"option", STEP_BIT(STEP_MENU), "a 'menu'", parse_option},
    {"missing",
	STEP_BIT(STEP_LOOKUP) | STEP_BIT(STEP_FETCH) |
	    STEP_BIT(STEP_FIND_REPORT),
	"a 'lookup', 'fetch' or 'find report'", parse_missing},
    {"failed", STEP_BIT(STEP_FETCH), "a 'fetch'", parse_failed},
    {"category", STEP_BIT(STEP_REPORT), "a 'report'", parse_report_text},
    {"location", STEP_BIT(STEP_REPORT), "a 'report'", parse_report_text},
    {"details", STEP_BIT(STEP_REPORT), "a 'report'", parse_report_text},
};

/* The clause whose keyword is kw (lower case), or NULL. */
static const struct clause *
find_clause(const char *kw)
{
	size_t i;

	for (i = 0; i < nitems(clauses); i++)
		if (strcmp(kw, clauses[i].kw) == 0)
			return &clauses[i];
	return NULL;
}

/*
 * Parses a clause line of syntax cl whose keyword is at byte kwat; it
 * belongs to the step before it, which must be of a kind cl follows.
 */
static int
parse_clause(struct parser *p, const struct clause *cl, size_t kwat)
{
	struct flow_step *st = last_step(p);

	if (st == NULL || (cl->follows & STEP_BIT(st->kind)) == 0)
		return perr(p, kwat,
		    "'%s' must follow %s (a clause belongs to the statement "
		    "before it)",
		    cl->kw, cl->after);
	return cl->parse(p, cl, st, kwat);
}

/* LL "text": a translation of the TEXT before it. */
static int
parse_translation(struct parser *p, size_t at)
{
	struct flow_text *t = p->last_text;
	struct flow_tr tr;
	char lang[3];
	size_t i;
	int known = 0;

	lang[0] = (char)tolower((unsigned char)p->c->s[at]);
	lang[1] = (char)tolower((unsigned char)p->c->s[at + 1]);
	lang[2] = '\0';
	if (t == NULL)
		return perr(
		    p, at, "translation '%s' without a TEXT before it", lang);
	for (i = 0; i < p->set->nlanguages; i++)
		if (strcmp(p->set->languages[i], lang) == 0)
			known = 1;
	if (!known) {
		char langs[FLOW_MAX_LANGS * 3 + 1];

		langs_known(p, langs, sizeof(langs));
		return perr(p, at,
		    "language '%s' is not in languages (%s): add it to the "
		    "config's languages, or remove the translation",
		    lang, langs);
	}
	for (i = 0; i < t->ntr; i++)
		if (strcmp(t->tr[i].lang, lang) == 0)
			return perr(p, at,
			    "duplicate '%s' translation (first "
			    "at line %u)",
			    lang, t->tr[i].pos.line);
	memset(&tr, 0, sizeof(tr));
	memcpy(tr.lang, lang, 3);
	set_pos(p, &tr.pos, at);
	{
		struct flow_text tmp;

		if (read_text(p, "the translated text", &tmp) < 0)
			return -1;
		tr.tmpl = tmp.tmpl;
	}
	if (expect_eol(p, "the translation") < 0) {
		template_free(tr.tmpl);
		return -1;
	}
	t->tr = xrealloc(t->tr, (t->ntr + 1) * sizeof(*t->tr));
	t->tr[t->ntr++] = tr;
	return 0;
}

/*
 * True when the line's first word (n bytes at start) begins a translation:
 * two letters other than the keywords on and if, then blanks and a string.
 * Leaves the cursor where it was.
 */
static int
is_translation(struct cur *c, size_t start, size_t n)
{
	size_t save = c->i;
	int yes;

	if (n != 2 || !isalpha((unsigned char)c->s[start]) ||
	    !isalpha((unsigned char)c->s[start + 1]) ||
	    word_is(c->s + start, 2, "on") || word_is(c->s + start, 2, "if"))
		return 0;
	skip_ws(c);
	yes = c->i < c->len && c->s[c->i] == '"' && save < c->i;
	c->i = save;
	return yes;
}

/* Drops the scratch step of a broken statement, if any. */
static void
drop_scratch(struct parser *p)
{
	if (p->has_scratch)
		free_step(&p->scratch);
	memset(&p->scratch, 0, sizeof(p->scratch));
	p->has_scratch = 0;
}

/*
 * Forgets the statement before: what follows cannot attach to it (the
 * translations of a broken statement are skipped silently; its clauses
 * are checked on a scratch step, see parse_line).
 */
static void
new_statement(struct parser *p)
{
	p->last_is_step = 0;
	p->last_text = NULL;
	drop_scratch(p);
}

/* Parses one line (already checked for length and UTF-8). */
static void
parse_line(struct parser *p)
{
	struct cur *c = p->c;
	const struct statement *sx;
	const struct clause *cl;
	char kw[16];
	size_t start, n, i;
	int broken;

	if (at_end(c))
		return;
	n = read_word(c, &start);
	if (is_translation(c, start, n)) {
		if (!p->tr_broken)
			parse_translation(p, start);
		return;
	}
	if (n >= sizeof(kw)) {
		perr(p, start, "unknown statement '%.*s'",
		    (int)(n > 40 ? 40 : n), c->s + start);
		return;
	}
	for (i = 0; i < n; i++)
		kw[i] = (char)tolower((unsigned char)c->s[start + i]);
	kw[n] = '\0';

	if (strcmp(kw, "flow") == 0) {
		new_statement(p);
		flow_free(p->orphan);
		p->orphan = NULL;
		p->flow = NULL;
		broken = parse_flow(p, start) < 0;
		p->stmt_broken = p->tr_broken = broken;
		return;
	}
	sx = find_statement(kw);
	cl = find_clause(kw);
	if (sx == NULL && cl == NULL && strcmp(kw, "on") != 0) {
		/* Two letters: most likely a translation without its text. */
		if (n == 2 && isalpha((unsigned char)kw[0]) &&
		    isalpha((unsigned char)kw[1]))
			perr(p, start,
			    "unknown statement '%s' (a translation is LL "
			    "\"TEXT\", its text in double quotes)",
			    kw);
		else
			perr(p, start, "unknown statement '%.*s'",
			    (int)(n > 40 ? 40 : n), c->s + start);
		new_statement(p);
		p->stmt_broken = p->tr_broken = 1;
		return;
	}
	if (p->flow == NULL) {
		perr(p, start, "'%s' before the first 'flow' line", kw);
		return;
	}
	if (cl != NULL) {
		if (p->stmt_broken) {
			/*
			 * The clause of a broken statement: its own errors
			 * (a bad regex, a language not declared) are found
			 * on a scratch step of the statement's kind, which
			 * is not kept; one of an unknown statement is
			 * skipped (no cascade of errors).
			 */
			if (!p->has_scratch)
				return;
			if ((cl->follows & STEP_BIT(p->scratch.kind)) == 0)
				broken = perr(p, start,
					     "'%s' must follow %s (a clause "
					     "belongs to "
					     "the statement before it)",
					     cl->kw, cl->after) < 0;
			else
				broken =
				    cl->parse(p, cl, &p->scratch, start) < 0;
			if (broken)
				p->last_text = NULL;
			p->tr_broken = broken;
			return;
		}
		broken = parse_clause(p, cl, start) < 0;
		if (broken)
			p->last_text = NULL;
		p->tr_broken = broken;
		return;
	}
	/* A statement: a broken one takes its clauses with it. */
	new_statement(p);
	if (sx != NULL)
		broken = parse_step(p, sx, start) < 0;
	else
		broken = parse_on(p, start) < 0;
	p->stmt_broken = p->tr_broken = broken;
	if (broken && sx != NULL) {
		p->scratch.kind = sx->kind;
		set_pos(p, &p->scratch.pos, start);
		p->has_scratch = 1;
	}
}

/*
 * Checks that s[0..n) is valid UTF-8 without NUL or control bytes other than
 * tab; returns the byte offset of the first bad byte, or -1.
 */
static long
bad_utf8(const char *s, size_t n)
{
	size_t i = 0, k, need;
	unsigned cp;

	while (i < n) {
		unsigned char b = (unsigned char)s[i];

		if (b < 0x80) {
			if ((b < 0x20 && b != '\t') || b == 0x7f)
				return (long)i;
			i++;
			continue;
		}
		if (b >= 0xC2 && b <= 0xDF) {
			need = 1;
			cp = b & 0x1F;
		} else if (b >= 0xE0 && b <= 0xEF) {
			need = 2;
			cp = b & 0x0F;
		} else if (b >= 0xF0 && b <= 0xF4) {
			need = 3;
			cp = b & 0x07;
		} else
			return (long)i;
		for (k = 1; k <= need; k++) {
			if (i + k >= n ||
			    ((unsigned char)s[i + k] & 0xC0) != 0x80)
				return (long)i;
			cp = (cp << 6) | ((unsigned char)s[i + k] & 0x3F);
		}
		if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
		    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return (long)i;
		i += need + 1;
	}
	return -1;
}

/* Interns file in set->files; returns the set's copy. */
static const char *
intern_file(struct flowset *set, const char *file)
{
	size_t i;

	for (i = 0; i < set->nfiles; i++)
		if (strcmp(set->files[i], file) == 0)
			return set->files[i];
	set->files =
	    xrealloc(set->files, (set->nfiles + 1) * sizeof(*set->files));
	set->files[set->nfiles] = xstrdup(file);
	return set->files[set->nfiles++];
}

int
flow_parse_buffer(struct flowset *set, const char *file, const char *data,
    size_t len, struct flow_findings *findings)
{
	struct parser p;
	struct cur c;
	size_t pos = 0, eol, n;
	long bad;

	memset(&p, 0, sizeof(p));
	p.set = set;
	p.f = findings;
	p.file = intern_file(set, file);
	if (set->finished) {
		flow_findings_add(findings, p.file, 0, 0, FINDING_ERROR,
		    "internal: the flow set is already finished");
		set->nerrors++;
		return -1;
	}
	if (len > FLOW_MAX_FILE) {
		flow_findings_add(findings, p.file, 1, 1, FINDING_ERROR,
		    "file too large (%zu bytes, at most %d)", len,
		    FLOW_MAX_FILE);
		set->nerrors++;
		return -1;
	}
	/* A UTF-8 byte order mark is allowed and skipped. */
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		pos = 3;
	while (pos < len) {
		const char *nl = memchr(data + pos, '\n', len - pos);

		eol = nl ? (size_t)(nl - data) : len;
		n = eol - pos;
		if (n > 0 && data[pos + n - 1] == '\r')
			n--;
		p.line++;
		memset(&c, 0, sizeof(c));
		c.s = data + pos;
		c.len = n;
		p.c = &c;
		if (n > FLOW_MAX_LINE) {
			c.len = FLOW_MAX_LINE;
			perr(&p, FLOW_MAX_LINE,
			    "line too long (at most %d "
			    "bytes)",
			    FLOW_MAX_LINE);
			p.last_is_step = 0;
			p.last_text = NULL;
			drop_scratch(&p);
			p.stmt_broken = p.tr_broken = 1;
		} else if ((bad = bad_utf8(c.s, c.len)) >= 0) {
			perr(&p, (size_t)bad,
			    "invalid UTF-8 or control "
			    "character");
			p.last_is_step = 0;
			p.last_text = NULL;
			drop_scratch(&p);
			p.stmt_broken = p.tr_broken = 1;
		} else
			parse_line(&p);
		p.c = NULL;
		pos = eol + 1;
	}
	flow_free(p.orphan);
	drop_scratch(&p);
	set->nerrors += (size_t)p.errors;
	return p.errors > 0 ? -1 : 0;
}

/* ---- the lexer for other files written by the same rules ---- */

/* A parser and a cursor standing for lx, for the readers above. */
static void
lex_enter(const struct flow_lexer *lx, struct parser *p, struct cur *c)
{
	memset(p, 0, sizeof(*p));
	c->s = lx->s;
	c->len = lx->len;
	c->i = lx->i;
	p->f = lx->findings;
	p->file = lx->file;
	p->line = lx->line;
	p->c = c;
}

/* Takes the cursor and the errors back into lx; returns rc. */
static int
lex_leave(
    struct flow_lexer *lx, const struct parser *p, const struct cur *c, int rc)
{
	lx->i = c->i;
	lx->errors += (size_t)p->errors;
	return rc;
}

size_t
flow_lex_lines(const char *file, const char *data, size_t len,
    struct flow_findings *findings, flow_line_cb cb, void *arg)
{
	struct flow_lexer lx;
	size_t pos = 0, eol, n;
	long bad;

	if (len > FLOW_MAX_FILE) {
		flow_findings_add(findings, file, 1, 1, FINDING_ERROR,
		    "file too large (%zu bytes, at most %d)", len,
		    FLOW_MAX_FILE);
		return 1;
	}
	memset(&lx, 0, sizeof(lx));
	lx.file = file;
	lx.findings = findings;
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		pos = 3;
	while (pos < len) {
		const char *nl = memchr(data + pos, '\n', len - pos);

		eol = nl ? (size_t)(nl - data) : len;
		n = eol - pos;
		if (n > 0 && data[pos + n - 1] == '\r')
			n--;
		lx.line++;
		lx.s = data + pos;
		lx.len = n;
		lx.i = 0;
		if (n > FLOW_MAX_LINE) {
			lx.len = FLOW_MAX_LINE;
			flow_lex_error(&lx, FLOW_MAX_LINE,
			    "line too long (at most %d bytes)", FLOW_MAX_LINE);
		} else if ((bad = bad_utf8(lx.s, lx.len)) >= 0)
			flow_lex_error(&lx, (size_t)bad,
			    "invalid UTF-8 or control character");
		else
			cb(arg, &lx);
		pos = eol + 1;
	}
	return lx.errors;
}

int
flow_lex_error(struct flow_lexer *lx, size_t at, const char *fmt, ...)
{
	struct cur c = {lx->s, lx->len, lx->i};
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	flow_findings_add(lx->findings, lx->file, lx->line, col_at(&c, at),
	    FINDING_ERROR, "%s", msg);
	free(msg);
	lx->errors++;
	return -1;
}

unsigned
flow_lex_col(const struct flow_lexer *lx, size_t at)
{
	struct cur c = {lx->s, lx->len, lx->i};

	return col_at(&c, at);
}

int
flow_lex_end(struct flow_lexer *lx)
{
	struct cur c = {lx->s, lx->len, lx->i};
	int end = at_end(&c);

	lx->i = c.i;
	return end;
}

size_t
flow_lex_word(struct flow_lexer *lx, size_t *start)
{
	struct cur c = {lx->s, lx->len, lx->i};
	size_t n = read_word(&c, start);

	lx->i = c.i;
	return n;
}

int
flow_lex_keyword(struct flow_lexer *lx, const char *kw)
{
	struct cur c = {lx->s, lx->len, lx->i};
	int ok = accept_kw(&c, kw);

	lx->i = c.i;
	return ok;
}

int
flow_lex_name(struct flow_lexer *lx, const char *what, char **out)
{
	struct parser p;
	struct cur c;

	*out = NULL;
	lex_enter(lx, &p, &c);
	return lex_leave(lx, &p, &c, read_name(&p, what, 0, out, NULL));
}

int
flow_lex_string(
    struct flow_lexer *lx, const char *what, char **out, size_t *outlen)
{
	struct parser p;
	struct cur c;

	*out = NULL;
	lex_enter(lx, &p, &c);
	return lex_leave(lx, &p, &c, read_string(&p, what, out, outlen, NULL));
}

int
flow_lex_template(
    struct flow_lexer *lx, const char *what, struct template **out)
{
	struct parser p;
	struct cur c;
	struct flow_text t;
	int rc;

	*out = NULL;
	lex_enter(lx, &p, &c);
	rc = read_text(&p, what, &t);
	if (rc == 0)
		*out = t.tmpl;
	return lex_leave(lx, &p, &c, rc);
}

int
flow_lex_regex(struct flow_lexer *lx, struct flow_regex *re)
{
	struct parser p;
	struct cur c;

	lex_enter(lx, &p, &c);
	return lex_leave(lx, &p, &c, read_regex(&p, re, 0));
}

void
flow_regex_free(struct flow_regex *re)
{
	free_regex(re);
}
