/*
 * engine.h: the flow engine. It runs the compiled flows of a flow set
 * (flow.h) for one conversation at a time and does no I/O: it takes a
 * session and an input and returns what to do next, as RapidPro's goflow
 * does. The gateway (the host) carries out the actions, stores the session
 * and sends the replies.
 *
 * How a host drives it:
 *
 *	struct engine eng = { set, error_text, invalid_choice_text };
 *	struct engine_result r = { 0 };
 *	struct flow_session *s;
 *
 *	// A new SMS from a contact with no waiting session:
 *	s = engine_session_new(ENGINE_SMS, phone, language, 0);
 *	engine_session_set_field(s, "ward", "central");	// contact fields
 *	if (engine_route_sms(&eng, s, text, &r) == 0)
 *		... no flow takes it ...
 *	// An answer to a waiting session (loaded from the store):
 *	if (engine_session_load(json, strlen(json), &s) == 0)
 *		engine_input(&eng, s, text, &r);
 *	// Either way, carry out actions until the engine waits or ends:
 *	while (r.status == ENGINE_ACTION) {
 *		struct engine_reply rep = { 0 };
 *		... do r.action, fill rep ...
 *		engine_resume(&eng, s, &rep, &r);
 *	}
 *	// WAIT: send r.text, store engine_session_dump(s).
 *	// END, ERROR, STALE: send r.text (if not empty), drop the session;
 *	// for ERROR and STALE log r.error (it names FILE:LINE).
 *	engine_result_free(&r);
 *	engine_session_free(s);
 *
 * For USSD, r.text is the screen; render_ussd_wire (render.h) turns it into
 * "CON ..." (WAIT) or "END ..." (anything else) for Africa's Talking.
 *
 * The flow set may be swapped (reload) between two calls on one session: a
 * session names its flow and step, and each call finds them again in the set
 * it is given (by index, else the only step of the same kind and NAME). If
 * they are gone, the call answers ENGINE_STALE.
 *
 * Behaviour where docs/flows.md leaves a choice (the tests pin each one):
 * - Texts said in a row, the prompt and the menu go on separate lines.
 * - A failed check sends only the check's TEXT (it is the new prompt, as in
 *   "... Try again:"). After `tries` failed answers (3 when there is no
 *   tries clause) the session ends with the tries TEXT, or with error_text
 *   when no tries clause was written.
 * - A menu has no tries limit; a wrong answer repeats its first page after
 *   invalid_choice_text. Any option's number is taken, even one on a page
 *   not shown. An option without a value gives its default-language text.
 * - USSD pages after the first show the options alone (and "0. More").
 * - A queued USSD answer skips its screen, as a USSD shortcut does: the
 *   text built for that screen is dropped.
 * - An absent `missing` clause of lookup or find report ends the session
 *   with the text built so far; an absent `missing` or `failed` clause of
 *   fetch ends it with error_text (flow.h, struct flow_outcome).
 * - `NAME is set` holds for a non-empty value, or for a lookup, fetch or
 *   report record with any field; `NAME is empty` is its negation. An ask
 *   is skipped when its NAME holds a non-empty value passing its checks.
 * - A language step with a code not in the set's languages, a store error
 *   (REPLY_FAILED for anything but fetch), a reply over ENGINE_MAX_REPLY
 *   bytes, or more than ENGINE_MAX_STEPS steps or ENGINE_MAX_ACTIONS actions
 *   since the last input are run-time errors (ENGINE_ERROR).
 * - A fetch URL's placeholder values are percent-encoded (all but RFC 3986
 *   unreserved characters), and a value that is "." or ".." has its dots
 *   encoded too, so a value stays inside its path segment or query.
 * - Regexes (on match, check, if ~) run bounded (flow_regex_match): one
 *   that hits its limit counts as no match.
 * - Fetched JSON is flattened: {NAME.a.b} for objects, {NAME.list.0} for
 *   arrays; numbers, true and false as text; null is not set.
 * - `find report` sets {NAME.id} to the number asked for, then the fields
 *   the host gives; `report` sets {NAME.id} to the host's number.
 */
#ifndef BARAZA_ENGINE_H
#define BARAZA_ENGINE_H

#include <stddef.h>

#include "flows/flow.h"

#define ENGINE_MAX_STEPS 1000     /* steps run in one turn without waiting */
#define ENGINE_MAX_ACTIONS 100    /* actions asked in one turn */
#define ENGINE_MAX_REPLY 4096     /* bytes of text built for one reply */
#define ENGINE_MAX_VALUE 4096     /* bytes of one variable or field value */
#define ENGINE_MAX_VARS 512       /* session variables (flat keys) */
#define ENGINE_MAX_KEY 256        /* bytes of one variable's name */
#define ENGINE_MAX_BODY 262144    /* bytes of a fetched answer */
#define ENGINE_MAX_FIELDS 128     /* contact fields */
#define ENGINE_MAX_QUEUE 16       /* queued USSD answers */
#define ENGINE_MAX_JSON_DEPTH 8   /* nesting flattened from a fetch answer */
#define ENGINE_MAX_SESSION 262144 /* bytes of a serialised session */

/* Used when the host gives no text of its own. */
#define ENGINE_DEFAULT_ERROR_TEXT \
	"Sorry, something went wrong. Please try again later."
#define ENGINE_DEFAULT_INVALID_CHOICE_TEXT \
	"Please reply with one of the numbers shown."

/*
 * Told of every step the engine runs, as it starts running it: the flow and
 * the step's index in flow->steps. For `baraza test --coverage`; it MUST
 * NOT call the engine.
 */
typedef void (*engine_step_cb)(void *arg, const struct flow *, size_t step);

/*
 * What the engine runs against: the flow set (borrowed, must outlive the
 * call) and the config's texts (borrowed; NULL means the defaults above).
 * The host fills it; it is small and may live on the stack.
 */
struct engine {
	const struct flowset *set;       /* the flows */
	const char *error_text;          /* config error_text */
	const char *invalid_choice_text; /* config invalid_choice_text */
	engine_step_cb on_step;          /* each step run, or NULL */
	void *step_arg;                  /* on_step's argument */
};

/* The channel kind of a session: it decides the layout of replies. */
enum engine_channel {
	ENGINE_SMS,
	ENGINE_USSD,
};

/* What a call left the session in, and what the host does next. */
enum engine_status {
	ENGINE_WAIT,   /* send text; the session waits for the next input */
	ENGINE_END,    /* send text (may be empty); the session is over */
	ENGINE_ACTION, /* carry out action, then call engine_resume */
	ENGINE_ERROR,  /* run-time failure: send text (error_text), log
			  error (FILE:LINE: ...); the session is over */
	ENGINE_STALE,  /* the session's flow or step is gone after a reload:
			  send text (error_text), log error; session over */
};

/* The things a flow asks the host to do. */
enum engine_action_kind {
	ACTION_LOOKUP,      /* find a row: table, column = value */
	ACTION_FETCH,       /* HTTP GET url, expect a JSON object */
	ACTION_REPORT,      /* create a report: category, location, details */
	ACTION_FIND_REPORT, /* load report number id */
	ACTION_SUBSCRIBE,   /* subscribe the contact to topic */
	ACTION_UNSUBSCRIBE, /* unsubscribe the contact from topic */
	ACTION_SAVE,        /* store contact field = value */
	ACTION_LANGUAGE,    /* store the contact's language */
};

/*
 * One action. The strings are owned by the result that holds the action;
 * members that an action kind does not use are NULL.
 */
struct engine_action {
	enum engine_action_kind kind;
	char *table;      /* LOOKUP */
	char *column;     /* LOOKUP */
	char *value;      /* LOOKUP: the key; SAVE: the field's value */
	char *url;        /* FETCH: values already URL-encoded */
	char *category;   /* REPORT ("" when the clause is absent) */
	char *location;   /* REPORT */
	char *details;    /* REPORT */
	char *id;         /* FIND_REPORT: the report number as rendered */
	char *topic;      /* SUBSCRIBE, UNSUBSCRIBE */
	char *field;      /* SAVE: the field name */
	char *language;   /* LANGUAGE: a code of the set's languages */
	const char *file; /* the step's flow file, owned by the set */
	unsigned line;    /* the step's line, for the host's logs */
};

/*
 * The answer of one call. Initialise with { 0 }; free with
 * engine_result_free.
 */
struct engine_result {
	enum engine_status status;
	char *text;                  /* WAIT, END, ERROR, STALE: the reply */
	struct engine_action action; /* ACTION */
	char *error;                 /* ERROR, STALE: for the log */
};

/* How an action went, as the host tells engine_resume. */
enum engine_reply_kind {
	REPLY_OK,        /* done; REPORT: id holds the new number */
	REPLY_FOUND,     /* LOOKUP: the row's fields; FIND_REPORT: the
			    report's fields (status, category, updated...) */
	REPLY_NOT_FOUND, /* LOOKUP: no row; FETCH: 404; FIND_REPORT: none */
	REPLY_FETCHED,   /* FETCH: a 2xx answer, body is its text */
	REPLY_FAILED,    /* FETCH: timeout, non-2xx; others: a store error */
};

/* One name = value pair of a row or report (borrowed). */
struct engine_field {
	const char *name;
	const char *value;
};

/* The host's answer to an action; everything is borrowed for the call. */
struct engine_reply {
	enum engine_reply_kind kind;
	const struct engine_field *fields; /* FOUND */
	size_t nfields;
	const char *body; /* FETCHED: the answer (need not end in NUL) */
	size_t bodylen;
	const char *id; /* OK after REPORT: the new report's number */
};

/* An opaque conversation state; see engine.c. */
struct flow_session;

/*
 * A new session for a contact, not yet in any flow: phone (copied, may be
 * NULL), language (copied; NULL or a code the set does not know means the
 * set's default when rendering) and, for USSD, the channel's screen limit in
 * characters (0: the set's ussd_limit). The caller owns the session and frees
 * it with engine_session_free.
 */
struct flow_session *engine_session_new(enum engine_channel channel,
    const char *phone, const char *language, size_t ussd_max);

/* Frees a session; NULL is a no-op. */
void engine_session_free(struct flow_session *);

/*
 * Sets a contact field ({contact.NAME}) from the host's store, before a
 * run. Returns 0, or -1 when the name or value is too long or there are
 * too many fields.
 */
int engine_session_set_field(
    struct flow_session *, const char *name, const char *value);

/*
 * Reads a session variable or record field by path ("account",
 * "bill.balance"). Returns a pointer valid until the next call that changes
 * the session, or NULL when it is not set.
 */
const char *engine_session_var(const struct flow_session *, const char *path);

/* The name of the session's current flow, or NULL before a start. */
const char *engine_session_flow(const struct flow_session *);

/* The contact's language as the session knows it now (NULL: default). */
const char *engine_session_language(const struct flow_session *);

/* The channel the session runs on. */
enum engine_channel engine_session_channel(const struct flow_session *);

/* True when the session ended (END, ERROR, STALE): nothing more to run. */
int engine_session_done(const struct flow_session *);

/*
 * Serialises a session (between two inputs: after a WAIT) to a JSON string
 * the caller owns and frees. The contact's fields are included.
 */
char *engine_session_dump(const struct flow_session *);

/*
 * engine_session_dump's text, and s is gone: the memo (flows/memo.h)
 * keeps it, so the next engine_session_load of that very text on this
 * thread takes it back without parsing. For a host that is done with s
 * once it is stored (the gateway's dialog).
 */
char *engine_session_stow(struct flow_session *s);

/*
 * Reads a session back from engine_session_dump's text (len bytes; need not
 * end in NUL). Returns 0 and sets *out (the caller owns it), or -1 with *out
 * NULL when the text is not a valid session or is over ENGINE_MAX_SESSION.
 * Whether its flow and step still exist is checked at the next call.
 */
int
engine_session_load(const char *json, size_t len, struct flow_session **out);

/*
 * Offers an SMS outside a session to the triggers: `on match` (files in
 * name order, then line order; named groups set variables), then `on
 * keyword` (the first word, case-insensitive; {rest} is the trimmed text
 * after it), then `on default`. s must be new (never started). Returns 1
 * when a flow took the message: it has run and r holds its first result.
 * Returns 0 when no trigger fires (r untouched), -1 on misuse.
 */
int engine_route_sms(const struct engine *, struct flow_session *s,
    const char *text, struct engine_result *r);

/*
 * Starts the flow whose `on ussd` code is the longest prefix of dialled
 * ("*384*1*1234567#" matches "*384*1#"), queueing the parts dialled beyond
 * the code ("1234567", split on '*') as the first answers. s must be new.
 * Returns 1 with r set, 0 when no code matches, -1 on misuse.
 */
int engine_route_ussd(const struct engine *, struct flow_session *s,
    const char *dialled, struct engine_result *r);

/*
 * Starts the flow named name on a new session (simulators, tests, the
 * gateway's own uses). Returns 0 with r set, -1 when there is no such flow
 * or s was already started.
 */
int engine_start(const struct engine *, struct flow_session *s,
    const char *name, struct engine_result *r);

/*
 * Gives an input (an SMS or a USSD answer, as received) to a session waiting
 * after ENGINE_WAIT, and runs on. Returns 0 with r set (ENGINE_STALE when
 * the flow or step vanished), or -1 when the session is not waiting for an
 * input (r untouched).
 */
int engine_input(const struct engine *, struct flow_session *s,
    const char *text, struct engine_result *r);

/*
 * Gives the outcome of the pending action (after ENGINE_ACTION) and runs on.
 * A reply kind that does not fit the action counts as REPLY_FAILED. Returns
 * 0 with r set, or -1 when no action is pending (r untouched).
 */
int engine_resume(const struct engine *, struct flow_session *s,
    const struct engine_reply *reply, struct engine_result *r);

/* Frees what a result holds and zeroes it; it may be reused. */
void engine_result_free(struct engine_result *);

/* Names of statuses and action kinds for logs and tests: static strings. */
const char *engine_status_name(enum engine_status);
const char *engine_action_name(enum engine_action_kind);

#endif
