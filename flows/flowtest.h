/*
 * flowtest.h: `.flowtest` files, what `baraza test` runs (the contract is
 * docs/flows.md, "Flow tests"). A file states what phones send and what
 * they must see back:
 *
 *	table bills from "bills.csv" key account
 *	at 2026-12-01T08:00
 *	phone +254700000001
 *
 *	test "balance in one SMS"
 *	  sms "BAL 1234567"
 *	  reply "Amina Odhiambo, account 1234567: ..."
 *
 * The lexical rules (lines, `#` comments, strings, TEXTs with {name}
 * placeholders, regexes) are the flow language's, read by its own lexer
 * (flow.h, flow_lex_*). The parser is pure: it reads one file of at most
 * FLOW_MAX_FILE bytes and builds the statements below; the runner
 * (cli/cli_test.c) carries them out against a throwaway store. Nothing of
 * the config is known here: phone numbers, languages and report statuses
 * are the runner's to check.
 *
 * Ownership: a struct flowtest_file owns everything it points to, until
 * flowtest_free().
 */
#ifndef BARAZA_FLOWTEST_H
#define BARAZA_FLOWTEST_H

#include <stddef.h>
#include <stdint.h>

#include "flows/flow.h"
#include "flows/template.h"

#define FLOWTEST_MAX_TESTS 1000 /* tests in one file */
#define FLOWTEST_MAX_STMTS \
	2000                   /* statements in one test or before the \
				   first */
#define FLOWTEST_MAX_TABLES 16 /* tables in one file */
#define FLOWTEST_MAX_PAIRS 5   /* FIELD "VALUE" pairs of one `report` */
#define FLOWTEST_MAX_WAIT_MS (366LL * 24 * 3600 * 1000) /* one `wait` */

/* The statements. */
enum flowtest_kind {
	FT_TABLE,        /* table NAME from "FILE" key COLUMN (first) */
	FT_AT,           /* at TIME (before the first test) */
	FT_PHONE,        /* phone NUM */
	FT_LANG,         /* lang LL */
	FT_STUB,         /* stub /url-re/ STATUS "BODY" */
	FT_SMS,          /* sms "TEXT" */
	FT_REPLY,        /* reply "TEXT" | reply /re/ | reply none */
	FT_DIAL,         /* dial CODE */
	FT_SEND,         /* send "INPUT" */
	FT_SCREEN,       /* screen "TEXT" | screen /re/ */
	FT_WAIT,         /* wait DURATION */
	FT_REPORT,       /* report FIELD "VALUE"... */
	FT_SUBSCRIBED,   /* subscribed TOPIC */
	FT_UNSUBSCRIBED, /* unsubscribed TOPIC */
	FT_OPTED_OUT,    /* opted out */
	FT_OPTED_IN,     /* opted in */
	FT_SENT,         /* sent NUM "TEXT" | sent NUM /re/ */
	FT_UPDATE,       /* update report ID STATUS ["NOTE"] */
};

/* How reply, screen and sent compare. */
enum flowtest_match {
	FT_MATCH_TEXT,  /* exactly the text */
	FT_MATCH_REGEX, /* the regex matches somewhere */
	FT_MATCH_NONE,  /* reply none: no reply */
};

/* The fields `report` compares. */
enum flowtest_field {
	FT_FIELD_CATEGORY,
	FT_FIELD_STATUS,
	FT_FIELD_LOCATION,
	FT_FIELD_DETAILS,
	FT_FIELD_ID,
};

/* One FIELD "VALUE" of `report`. */
struct flowtest_pair {
	enum flowtest_field field;
	struct template *value; /* owned */
};

/*
 * One statement. Members a kind does not use are zero. TEXTs are
 * templates whose {name} placeholders are variables caught by named groups
 * of earlier regexes (and {{ }} literal braces).
 */
/*
 * A translation line `LL "text"` under a statement's TEXT, as in the flow
 * language: the text used when the current phone's contact has language
 * LL (see flowtest_text).
 */
struct flowtest_tr {
	char lang[4];          /* lower case, NUL-terminated */
	struct template *text; /* owned */
};

struct flowtest_stmt {
	enum flowtest_kind kind;
	unsigned line;  /* of the statement */
	unsigned col;   /* of its keyword, in characters */
	unsigned col2;  /* of its argument (NUM, LL, CODE...), for the
			   runner's errors */
	char *word;     /* owned: TABLE the NAME, PHONE and SENT the number,
			   LANG the code, DIAL the code, UPDATE the status,
			   as written */
	char *file;     /* owned: TABLE the FILE as written */
	char *key;      /* owned: TABLE the key COLUMN */
	char *body;     /* owned: STUB the BODY (bodylen bytes, NUL after) */
	size_t bodylen; /* bytes in body */
	int status;     /* STUB: the HTTP status, 0 (the fetch fails as on a
			   timeout) or 100 to 599 */
	int64_t ms;     /* AT the time (ms since the epoch), WAIT the
			   duration (ms) */
	struct template *text;  /* owned: SMS, SEND, the TEXT of REPLY, SCREEN
				  and SENT, the TOPIC of (UN)SUBSCRIBED, the
				  ID of UPDATE */
	struct template *note;  /* owned: UPDATE's NOTE, or NULL */
	struct flowtest_tr *tr; /* owned: translations of text (SMS, SEND,
				   and REPLY, SCREEN, SENT with a TEXT), ntr */
	size_t ntr;
	enum flowtest_match match; /* REPLY, SCREEN, SENT */
	struct flow_regex re;      /* REPLY, SCREEN, SENT with a regex;
				       STUB the URL's (code NULL when unused) */
	struct flowtest_pair pairs[FLOWTEST_MAX_PAIRS]; /* REPORT */
	size_t npairs;
};

/* A list of statements: a test, or what comes before the first. */
struct flowtest_case {
	char *name;                 /* owned: test "NAME"; NULL before the
				       first test */
	unsigned line;              /* of `test` */
	struct flowtest_stmt *stmt; /* owned, nstmt of them, in order */
	size_t nstmt, cap;
};

struct flowtest_file {
	char *path;                  /* owned: as given */
	struct flowtest_case head;   /* before the first test: table, at,
					phone, lang, stub (every test starts
					with these) */
	struct flowtest_case *tests; /* owned, ntests of them, in order */
	size_t ntests, cap;
};

/*
 * Parses the text of a .flowtest file (data, len bytes, need not be
 * NUL-terminated) named path, adding every error to findings as
 * FILE:LINE:COL (it resyncs at the next line and goes on). Returns 0 and
 * sets *out (the caller frees it with flowtest_free) when there is no
 * error; -1 with *out NULL otherwise.
 */
int flowtest_parse(const char *path, const char *data, size_t len,
    struct flowtest_file **out, struct flow_findings *findings);

/*
 * Reads the file at path (at most FLOW_MAX_FILE bytes) and parses it as
 * flowtest_parse does; a file that cannot be read is an error in findings.
 * Returns 0 and sets *out, or -1 with *out NULL.
 */
int flowtest_load(
    const char *path, struct flowtest_file **out, struct flow_findings *);

/* Frees a file and everything it owns; NULL is a no-op. */
void flowtest_free(struct flowtest_file *);

/*
 * The TEXT of st for a contact of language lang (NULL or "" for the
 * default): its translation into lang when it has one, else st->text.
 */
const struct template *
flowtest_text(const struct flowtest_stmt *st, const char *lang);

/* The name of a statement ("sms", "opted out"...), a static string. */
const char *flowtest_kind_name(enum flowtest_kind);

/* The name of a report field ("category"...), a static string. */
const char *flowtest_field_name(enum flowtest_field);

#endif
