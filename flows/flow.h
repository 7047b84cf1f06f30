/*
 * flow.h: the compiled form of the flow language (docs/flows.md, and
 * baraza-flows(5) for the reference), the parser, the checker and the flow
 * set the engine runs.
 *
 * Life of a flow set:
 *   flowset_load(dir, cfg, &set, &findings)   parse every *.flow in name
 *                                              order, resolve targets, build
 *                                              the trigger indexes, check
 *   ... the engine reads the set (never writes it) ...
 *   flowset_free(set)
 * A set is immutable once built: the gateway swaps whole sets on reload and
 * frees the old one when no session still points into it. Every pointer into
 * a set (flows, steps, texts, regexes) stays valid until flowset_free.
 *
 * Files, each calling only the ones after it: flowset.c (loading a folder,
 * indexes, lookups, flowset_*), flow_check.c (the checker, flow_check),
 * flow_parse.c (lexer and parser, flow_parse_buffer, flow_free), flow.c
 * (step kind names, text picking, labels, regex matching) and findings.c
 * (the findings list, flow_findings_* and flow_finding_format).
 */
#ifndef BARAZA_FLOW_H
#define BARAZA_FLOW_H

#include <stddef.h>
#include <stdint.h>

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>

#include "flows/template.h"
#include "lib/util.h"

/* Hard limits on input; going beyond one is a clear error, never a crash. */
#define FLOW_MAX_FILE (1024 * 1024) /* bytes in one .flow file */
#define FLOW_MAX_LINE 4096          /* bytes in one line */
#define FLOW_MAX_STRING 2048        /* bytes in one string, unescaped */
#define FLOW_MAX_NAME 64            /* bytes in a NAME */
#define FLOW_MAX_WORD 64            /* bytes in a keyword or USSD code */
#define FLOW_MAX_STEPS 2000         /* steps in one flow */
#define FLOW_MAX_OPTIONS 99         /* options in one menu */
#define FLOW_MAX_CHECKS 16          /* check clauses on one ask */
#define FLOW_MAX_TRIGGERS 256       /* triggers in one flow */
#define FLOW_MAX_FLOWS 1000         /* flows in one set */
#define FLOW_MAX_FILES 1000         /* .flow files in one folder */
#define FLOW_MAX_LANGS 16           /* languages in the config */
#define FLOW_MAX_FINDINGS 10000     /* findings kept (more are counted) */
#define FLOW_DEFAULT_TRIES 3        /* tries when an ask has no tries clause */
#define FLOW_DEFAULT_USSD_LIMIT 182 /* USSD screen limit in characters */

/*
 * Bounds on one regex match (see flow_regex_match), so that a message sent
 * against a pattern that backtracks badly cannot hold the loop.
 */
#define FLOW_REGEX_MATCH_LIMIT 100000   /* pcre2_set_match_limit */
#define FLOW_REGEX_DEPTH_LIMIT 100000   /* pcre2_set_depth_limit */
#define FLOW_REGEX_HEAP_LIMIT_KIB 16384 /* pcre2_set_heap_limit, KiB */
#define FLOW_REGEX_JIT_STACK_MIN 32768  /* JIT stack, bytes at start */
#define FLOW_REGEX_JIT_STACK_MAX 524288 /* JIT stack, bytes at most */
#define FLOW_REGEX_WARN_MS 60000 /* at most one limit warning this often */

/*
 * Where a statement, clause or token sits. file points to a string owned by
 * the flow set (one per file), valid as long as the set. line and col are
 * 1-based; col counts characters (UTF-8 code points), not bytes.
 */
struct flow_pos {
	const char *file;
	unsigned line;
	unsigned col;
};

/*
 * Note: in templates that belong to a flow set, the parser rewrites every
 * template_part.col to the column of the part in the .flow file's line (so
 * the checker and the engine's logs can point at FILE:LINE:COL); the line is
 * the pos.line of the flow_text or flow_tr holding the template.
 */

/* A translation line `LL "text"` under a TEXT. */
struct flow_tr {
	char lang[4];          /* ISO 639-1 code, lower case, NUL-terminated */
	struct template *tmpl; /* compiled text, owned */
	struct flow_pos pos;   /* of the language code */
};

/*
 * A TEXT: the default-language template plus its translations. tmpl is NULL
 * only in an optional TEXT that is absent (see the has_* and present flags
 * below).
 */
struct flow_text {
	struct template *tmpl; /* default-language text, owned */
	struct flow_tr *tr;    /* translations, owned, ntr of them */
	size_t ntr;
	struct flow_pos pos; /* of the opening quote */
};

/*
 * A regex, compiled once at load in UTF mode (PCRE2_UTF | PCRE2_UCP, plus
 * PCRE2_CASELESS for flag i and PCRE2_EXTENDED for x), JIT-compiled when
 * PCRE2 supports it (a JIT failure is not an error: jit stays 0 and the
 * interpreter runs). `on match` regexes also get PCRE2_ANCHORED |
 * PCRE2_ENDANCHORED since the whole text must match.
 *
 * Match data strategy: the set is shared and read-only, so it owns no match
 * data. Use flow_regex_match below, which takes a caller-owned match data
 * block (create it with pcre2_match_data_create_from_pattern(re->code, NULL)
 * and keep it as long as you like) or allocates a temporary one.
 */
struct flow_regex {
	char *src;           /* the pattern between the slashes, owned */
	char flags[4];       /* the flags as written: "", "i", "x", "ix" */
	uint32_t options;    /* PCRE2 compile options used */
	pcre2_code *code;    /* owned; NULL only when compiling failed (a set
			      with errors is never handed out) */
	int jit;             /* 1 when JIT compiled */
	struct flow_pos pos; /* of the opening slash */
};

/* Where a jump goes: a step of the same flow or another flow. */
enum flow_target_kind {
	TARGET_NONE = 0, /* no target (an option or clause without ->) */
	TARGET_STEP,     /* -> NAME */
	TARGET_FLOW,     /* -> flow NAME */
};

struct flow_target {
	enum flow_target_kind kind;
	char *name;  /* the step or flow NAME, owned; NULL for NONE */
	size_t step; /* TARGET_STEP: index into flow->steps of
				     the `step NAME` label (resolved at
				     flowset_finish) */
	const struct flow *flow; /* TARGET_FLOW: the flow (resolved at
				     flowset_finish); for TARGET_STEP the
				     flow that holds the step */
	struct flow_pos pos;     /* of the target NAME (or of `flow`) */
};

/*
 * A clause `missing TEXT [-> TARGET]` or `failed TEXT [-> TARGET]`. When
 * present and target is TARGET_NONE: say text and end the session; with a
 * target: say text (the reply being built keeps it) and jump. present is 0
 * when the clause was not written: a missing lookup row or report then says
 * nothing and ends; a missing/failed fetch sends the config's error_text and
 * ends (the engine's defaults).
 */
struct flow_outcome {
	int present;               /* the clause was written */
	struct flow_text text;     /* what to say */
	struct flow_target target; /* TARGET_NONE: say text and end */
	struct flow_pos pos;       /* of the clause keyword */
};

/* A check clause on an ask. */
enum flow_check_kind {
	CHECK_REGEX,  /* check /re/ TEXT */
	CHECK_NUMBER, /* check number MIN MAX TEXT */
};

struct flow_check {
	enum flow_check_kind kind;
	struct flow_regex re;  /* CHECK_REGEX (not anchored: a match anywhere
				 passes unless the pattern anchors) */
	double min, max;       /* CHECK_NUMBER: inclusive bounds, min <= max */
	struct flow_text text; /* sent when the answer fails the check */
	struct flow_pos pos;   /* of `check` */
};

/* One `option TEXT [= "value"] [-> TARGET]` of a menu. */
struct flow_option {
	struct flow_text text;     /* shown, numbered from 1 */
	char *value;               /* owned, literal; NULL when absent: the
				      menu NAME gets the text's default-language
				      source (text.tmpl->src) */
	struct flow_target target; /* TARGET_NONE: continue after the menu */
	struct flow_pos pos;       /* of `option` */
};

/* The seven condition forms of `if COND -> TARGET`. */
enum flow_cond_kind {
	COND_EQ,    /* NAME = "x" (string compare, exact) */
	COND_NE,    /* NAME != "x" */
	COND_MATCH, /* NAME ~ /re/ */
	COND_LT,    /* NAME < N (numeric; a non-number value is false) */
	COND_GT,    /* NAME > N */
	COND_SET,   /* NAME is set */
	COND_EMPTY, /* NAME is empty (unset or "") */
};

struct flow_cond {
	enum flow_cond_kind kind;
	char *var;               /* the NAME, owned; may be dotted
				   ("bill.balance", "contact.ward") */
	struct template *value;  /* COND_EQ/NE: the string, compiled as a
				   template (may hold {placeholders}) */
	struct flow_regex re;    /* COND_MATCH */
	double number;           /* COND_LT/GT */
	struct flow_pos var_pos; /* of the NAME */
};

/*
 * Every statement of the language. Labels are steps too (execution falls
 * through).
 */
enum flow_step_kind {
	STEP_SAY,      /* say TEXT */
	STEP_ASK,      /* ask NAME TEXT + check/tries clauses */
	STEP_MENU,     /* menu NAME TEXT + option clauses */
	STEP_SET,      /* set NAME = TEXT */
	STEP_SAVE,     /* save FIELD = TEXT */
	STEP_LANGUAGE, /* language TEXT */
	STEP_IF,       /* if COND -> TARGET */
	STEP_GOTO,     /* goto TARGET */
	STEP_LABEL,    /* step NAME */
	STEP_END,      /* end [TEXT] */
	STEP_LOOKUP,   /* lookup NAME in TABLE where COLUMN = TEXT + missing */
	STEP_FETCH,    /* fetch NAME from TEXT + missing/failed */
	STEP_REPORT,   /* report NAME + category/location/details */
	STEP_FIND_REPORT, /* find report NAME TEXT + missing */
	STEP_SUBSCRIBE,   /* subscribe TEXT */
	STEP_UNSUBSCRIBE, /* unsubscribe TEXT */
};

/*
 * One step. name is the NAME of ask, menu, set, save (the FIELD), label,
 * lookup, fetch, report and find report; NULL for the others. text is the
 * main TEXT: say, ask/menu prompt, set/save value, language, end (optional,
 * has_text), fetch URL, find report number, subscribe/unsubscribe topic.
 */
struct flow_step {
	enum flow_step_kind kind;
	struct flow_pos pos; /* of the statement keyword */
	char *name;          /* owned, see above */
	int has_text;        /* 1 when text holds a TEXT */
	struct flow_text text;

	union {
		struct {
			struct flow_check *checks; /* owned, nchecks */
			size_t nchecks;
			int tries;          /* >= 1; FLOW_DEFAULT_TRIES when
						    no tries clause */
			int has_tries_text; /* a tries clause was written */
			struct flow_text tries_text; /* said before ending */
			struct flow_pos tries_pos;
		} ask;
		struct {
			struct flow_option *options; /* owned, noptions >= 1 */
			size_t noptions;
		} menu;
		struct {
			struct flow_cond cond;
			struct flow_target target;
		} cond; /* STEP_IF */
		struct {
			struct flow_target target;
		} go; /* STEP_GOTO */
		struct {
			char *table;          /* owned */
			char *column;         /* owned */
			struct flow_text key; /* the TEXT after '=' */
			struct flow_outcome missing;
		} lookup;
		struct {
			/* The URL is step.text; values rendered into it must be
			   URL-encoded by the engine. The checker makes every
			   template of it start with a literal http:// or
			   https://, host and optional port. */
			struct flow_outcome missing; /* 404 */
			struct flow_outcome
			    failed; /* absent: error_text, end */
		} fetch;
		struct {
			int has_category, has_location, has_details;
			struct flow_text category;
			struct flow_text location;
			struct flow_text details;
		} report;
		struct {
			/* The number is step.text. */
			struct flow_outcome missing;
		} find;
	} u;
};

/* Trigger kinds. */
enum flow_trigger_kind {
	TRIGGER_KEYWORD, /* on keyword WORD... (one trigger per WORD) */
	TRIGGER_MATCH,   /* on match /re/ */
	TRIGGER_USSD,    /* on ussd CODE */
	TRIGGER_DEFAULT, /* on default */
};

struct flow_trigger {
	enum flow_trigger_kind kind;
	char *word; /* KEYWORD: upper-cased (lib/fold.h); USSD: the code
				 as written ("*384*1#"); owned; else NULL */
	struct flow_regex re; /* MATCH */
	struct flow_pos pos;  /* of the WORD / regex / `default` */
};

struct flow {
	char *name; /* owned */
	int has_title;
	struct flow_text title;        /* `flow NAME TEXT` */
	struct flow_trigger *triggers; /* owned, in line order */
	size_t ntriggers;
	struct flow_step *steps; /* owned, in order */
	size_t nsteps;
	struct flow_pos pos; /* of the `flow` keyword */
	size_t index;        /* position in set->flows */
};

/* One keyword of the keyword index. */
struct flowset_keyword {
	const char *word; /* upper-cased, points into the trigger */
	const struct flow *flow;
};

/* One match trigger of the match index, in file-name then line order. */
struct flowset_match {
	const struct flow_regex *re;
	const struct flow *flow;
};

/* One USSD code of the USSD index. */
struct flowset_ussd {
	const char *code;  /* as written, "*384*1#" */
	size_t prefix_len; /* bytes of code without a trailing '#' */
	const struct flow *flow;
};

/* The set configuration: languages (first is the default) and USSD limit. */
struct flow_config {
	const char *const *languages; /* lower-case ISO 639-1 codes */
	size_t nlanguages;            /* 0 means {"en"} */
	size_t ussd_limit;            /* characters; 0 means 182 */
};

struct flowset {
	char **files; /* file names as given, owned, nfiles */
	size_t nfiles;
	struct flow **flows; /* owned, in file-name then line order */
	size_t nflows;
	char **languages; /* owned copy; languages[0] is the default */
	size_t nlanguages;
	size_t ussd_limit;
	struct flowset_match *matches; /* match triggers, in order */
	size_t nmatches;
	struct flowset_keyword *keywords; /* sorted by word (strcmp) */
	size_t nkeywords;
	struct flowset_ussd *ussd; /* sorted by prefix_len, longest first */
	size_t nussd;
	const struct flow *default_flow; /* the one `on default`, or NULL */
	int finished;                    /* flowset_finish ran */
	size_t nerrors;                  /* errors this set produced (parse,
				       resolve, check) */
};

/* Severity of a finding. */
enum flow_severity {
	FINDING_ERROR,
	FINDING_WARNING,
};

struct flow_finding {
	char *file; /* owned; may be "" for findings with no file */
	unsigned line, col;
	enum flow_severity severity;
	char *msg;  /* owned, no trailing newline */
	size_t seq; /* insertion order, keeps the sort stable */
};

/*
 * Collected findings of a run, kept until flow_findings_free. Anything may
 * add to it (the config loader too). At most FLOW_MAX_FINDINGS are kept;
 * further ones are only counted in ndropped (and nerrors/nwarnings).
 */
struct flow_findings {
	struct flow_finding *v;
	size_t n, cap;
	size_t nerrors, nwarnings; /* all added, kept or not */
	size_t ndropped;
	size_t seq;
};

/* ---- findings.c ---- */

/* Initialises an empty findings list. */
void flow_findings_init(struct flow_findings *);

/* Releases everything a findings list owns; it may be re-initialised. */
void flow_findings_free(struct flow_findings *);

/*
 * Adds one finding. file may be NULL (treated as ""); line/col 0 mean
 * "whole file". The message is formatted and copied.
 */
void flow_findings_add(struct flow_findings *, const char *file, unsigned line,
    unsigned col, enum flow_severity, const char *fmt, ...) PRINTFLIKE(6, 7);

/* Sorts findings by file, line, column, then insertion order. */
void flow_findings_sort(struct flow_findings *);

/*
 * Formats finding i as "FILE:LINE:COL: error: MESSAGE" (no newline) into a
 * string the caller frees.
 */
char *flow_finding_format(const struct flow_finding *);

/*
 * Writes every finding, one per line, in the order held (call
 * flow_findings_sort first), to the FILE * fp (a FILE *, passed as void * so
 * this header needs no stdio.h). Returns the number of errors.
 */
size_t flow_findings_print(const struct flow_findings *, void *fp);

/*
 * Logs every finding through log.h under module mod (errors with log_error,
 * warnings with log_warn), for reload, which refuses a set with errors.
 * Returns the number of errors.
 */
size_t flow_findings_log(const struct flow_findings *, const char *mod);

/* ---- flow_parse.c ---- */

/*
 * Parses one file's text (data, len bytes; need not be NUL-terminated) named
 * file into set (which must not be finished), adding its flows and every
 * syntax error of the file to findings (it resyncs at the next line and keeps
 * going). Returns 0 when the file had no error, -1 otherwise; flows parsed
 * before and after an error are still added (broken statements are dropped).
 */
int flow_parse_buffer(struct flowset *set, const char *file, const char *data,
    size_t len, struct flow_findings *findings);

/*
 * Frees a flow and everything it owns (flowset_free calls it for every flow
 * of a set); NULL is a no-op.
 */
void flow_free(struct flow *);

/*
 * The lexer, for other files written by the flow language's lexical rules
 * (`.flowtest` files): lines, blanks, `#` comments, words, NAMEs, strings,
 * texts and regexes read exactly as in a .flow file, with the same error
 * messages. Errors go to findings as FILE:LINE:COL (COL in characters).
 */
struct flow_lexer {
	const char *file;               /* named in findings (copied there) */
	unsigned line;                  /* the line, 1-based */
	const char *s;                  /* the line, without its newline */
	size_t len;                     /* bytes in the line */
	size_t i;                       /* the current byte */
	struct flow_findings *findings; /* where errors go */
	size_t errors;                  /* errors reported so far */
};

/* Called with each line that is good to read; lx->i is 0. */
typedef void (*flow_line_cb)(void *arg, struct flow_lexer *lx);

/*
 * Splits data (len bytes, need not be NUL-terminated) named file into lines
 * as the flow parser does (a UTF-8 byte order mark skipped, LF or CRLF, at
 * most FLOW_MAX_FILE bytes, lines of at most FLOW_MAX_LINE bytes of valid
 * UTF-8 without control characters but tab) and calls cb for every good
 * line; a bad line is an error and is not passed on. Returns the number of
 * errors: bad lines and those the callback reported through lx.
 */
size_t flow_lex_lines(const char *file, const char *data, size_t len,
    struct flow_findings *findings, flow_line_cb cb, void *arg);

/* Reports an error at byte at of the line. Returns -1. */
int flow_lex_error(struct flow_lexer *, size_t at, const char *fmt, ...)
    PRINTFLIKE(3, 4);

/* The 1-based column in characters of byte at of the line. */
unsigned flow_lex_col(const struct flow_lexer *, size_t at);

/* Skips blanks and a comment; 1 when nothing else is left on the line. */
int flow_lex_end(struct flow_lexer *);

/*
 * Reads a run of non-blank bytes after blanks: sets *start to its first
 * byte and returns its length (0 at the end of the line).
 */
size_t flow_lex_word(struct flow_lexer *, size_t *start);

/*
 * Consumes the word kw (lower case; the line's word is compared ASCII
 * case-insensitively) when it comes next. Returns 1 when it did, else 0.
 */
int flow_lex_keyword(struct flow_lexer *, const char *kw);

/*
 * The readers: a NAME, a string (\" \\ \n escapes; *out NUL-terminated,
 * *outlen bytes), a TEXT (a string compiled as a template) and a regex
 * (/.../flags, compiled in UTF mode, not anchored). Each returns 0 and sets
 * its result (the caller owns it: free, template_free, flow_regex_free), or
 * -1 after reporting an error (what names the thing expected).
 */
int flow_lex_name(struct flow_lexer *, const char *what, char **out);
int flow_lex_string(
    struct flow_lexer *, const char *what, char **out, size_t *outlen);
int
flow_lex_template(struct flow_lexer *, const char *what, struct template **out);
int flow_lex_regex(struct flow_lexer *, struct flow_regex *);

/* Frees what a regex holds and clears it. */
void flow_regex_free(struct flow_regex *);

/* ---- flow.c ---- */

/*
 * Matches subject (len bytes) against re, using md (a match data block the
 * caller owns, made with pcre2_match_data_create_from_pattern(re->code,
 * NULL)) or, when md is NULL, a temporary one. Every match runs with one
 * match context, made on first use and kept for the process: match limit
 * FLOW_REGEX_MATCH_LIMIT, depth limit FLOW_REGEX_DEPTH_LIMIT, heap limit
 * FLOW_REGEX_HEAP_LIMIT_KIB and, for JIT code, a JIT stack of at most
 * FLOW_REGEX_JIT_STACK_MAX bytes. A match that hits any of them counts as no
 * match and is logged (a warning naming the regex's file and line, never
 * the subject, at most once per FLOW_REGEX_WARN_MS). Returns 1 on a match,
 * 0 on none (a limit hit included), -1 on another match error (bad UTF-8 in
 * the subject...). Loop thread only: the context is shared.
 */
int flow_regex_match(const struct flow_regex *re, const char *subject,
    size_t len, pcre2_match_data *md);

/* How many matches hit a limit since the process started. */
uint64_t flow_regex_limit_hits(void);

/*
 * After flow_regex_match returned 1 with md, calls cb for every named group
 * that took part in the match, with the group's name and value (value is not
 * NUL-terminated; vlen bytes). Stops at and returns the first negative cb
 * return; otherwise returns 0.
 */
typedef int (*flow_group_cb)(
    void *arg, const char *name, const char *value, size_t vlen);
int flow_regex_groups(const struct flow_regex *re, const char *subject,
    pcre2_match_data *md, flow_group_cb cb, void *arg);

/*
 * Picks the template of text for language lang (a translation when there is
 * one, else the default). Never NULL for a present text.
 */
const struct template *
flow_text_pick(const struct flow_text *text, const char *lang);

/*
 * Finds the index of label `step NAME` in flow; returns 0 and sets *idx, or
 * -1.
 */
int flow_find_label(const struct flow *flow, const char *name, size_t *idx);

/* Name of a step kind as written ("say", "find report"...), static string. */
const char *flow_step_kind_name(enum flow_step_kind);

/* ---- flow_check.c ---- */

/*
 * Runs the whole-set checks on a set whose files are all parsed and whose
 * targets are resolved (flowset_finish calls it): unknown targets are
 * reported by flowset_finish; this adds duplicate and consistency errors
 * and the warnings (unassigned variables, unreachable steps, USSD screens).
 */
void flow_check(const struct flowset *set, struct flow_findings *findings);

/*
 * Marks in on[] (set->nflows entries) every flow that the flows already
 * marked reach by `-> flow NAME` or `goto flow NAME`, directly or not.
 */
void flow_mark_jumps(const struct flowset *set, unsigned char *on);

/*
 * Marks in on[] the flows that can run: those with a trigger of kind want
 * (a enum flow_trigger_kind, or -1 for any) and the flows they reach.
 */
void
flow_mark_reachable(const struct flowset *set, int want, unsigned char *on);

/* ---- flowset.c ---- */

/* A new, empty set for cfg (copied). Free with flowset_free. */
struct flowset *flowset_new(const struct flow_config *cfg);

/*
 * Reads and parses the file at path (at most FLOW_MAX_FILE bytes) into set.
 * file names in findings and positions are path as given. Returns 0, or -1
 * with the reason in findings.
 */
int flowset_add_file(
    struct flowset *set, const char *path, struct flow_findings *findings);

/*
 * Resolves targets (unknown ones are errors), builds the trigger indexes and
 * runs flow_check. Returns 0 when this set (its files, added since
 * flowset_new, and this call) produced no error, -1 otherwise; errors added
 * to findings by others do not count. Call once, after every file is added;
 * the set is then immutable.
 */
int flowset_finish(struct flowset *set, struct flow_findings *findings);

/*
 * Loads every `*.flow` file of dir (not recursive; names starting with '.'
 * skipped) in name (strcmp) order into a new set, finishes it and sorts
 * findings. Returns 0 and sets *out (owned by the caller, flowset_free) when
 * there is no error; returns -1 with *out NULL otherwise. All findings
 * (errors and warnings) are in findings either way.
 */
int flowset_load(const char *dir, const struct flow_config *cfg,
    struct flowset **out, struct flow_findings *findings);

/*
 * Same, from one in-memory file named name (for tests, the fuzzer and
 * tools). Returns 0 and sets *out, or -1 with *out NULL.
 */
int flowset_load_buffer(const char *name, const char *data, size_t len,
    const struct flow_config *cfg, struct flowset **out,
    struct flow_findings *findings);

/* Frees a set and everything in it; NULL is a no-op. */
void flowset_free(struct flowset *);

/* The flow named name, or NULL. */
const struct flow *flowset_find(const struct flowset *, const char *name);

/*
 * The flow whose `on keyword` list holds word (compared ASCII
 * case-insensitively; word is one word, no spaces), or NULL.
 */
const struct flow *flowset_keyword(const struct flowset *, const char *word);

/*
 * The flow whose `on ussd` code is the longest prefix of dialled (a full
 * dialled string such as "*384*1*1234567#"): a code "*384*1#" matches
 * "*384*1#" and "*384*1*...". Sets *rest to the digits dialled beyond the
 * code without the separating '*' and the trailing '#' ("1234567", pointing
 * into dialled) and *restlen to their length (0 when none); the engine
 * splits them on '*' into queued answers. Returns NULL when no code matches.
 */
const struct flow *flowset_ussd(const struct flowset *, const char *dialled,
    const char **rest, size_t *restlen);

/* The index of lang in the set's languages, or -1. */
int flowset_language(const struct flowset *, const char *lang);

#endif
