/*
 * dialog.h: one turn of a conversation. An inbound SMS or USSD step from a
 * contact goes through the config's stop, start and restart words, the
 * session kept in the store and the flow engine; the engine's actions
 * (lookups, reports, subscriptions, saved fields, fetches) are carried out
 * here against the store and the HTTP client. The result is the reply text.
 *
 * Used by the webhooks and modems (through ingress) and by `baraza
 * simulate`, so both run the same code. A turn is synchronous: the caller
 * holds a store transaction (or savepoint) around it and commits the turn's
 * writes, the inbound message and the queued reply together.
 */
#ifndef BARAZA_DIALOG_H
#define BARAZA_DIALOG_H

#include <stddef.h>
#include <stdint.h>

#include "flows/engine.h"
#include "gateway/config.h"
#include "gateway/store.h"

#define DIALOG_SMS_FETCH_MS 10000 /* fetch timeout in SMS sessions */
#define DIALOG_USSD_FETCH_MS 3000 /* fetch timeout in USSD sessions */
#define DIALOG_MAX_INPUT 4096     /* bytes of one inbound text */

struct dialog;

/*
 * Answers the flows' `fetch` steps. A turn is synchronous and atomic (one
 * store transaction): when a flow reaches a fetch whose URL has no answer
 * in the cache yet, the turn stops with DIALOG_FETCH; the caller rolls its
 * writes back, fetches the URL (asynchronously, through the HTTP client),
 * adds the answer with dialog_cache_put and runs the whole turn again. The
 * engine is deterministic, so the rerun reaches the same fetch and takes the
 * answer from the cache. A crash between the two runs loses nothing: the
 * message is stored and handled again from the start.
 */
struct dialog_cache_entry {
	char *url;  /* owned */
	int status; /* HTTP status; 0 on a transport failure */
	char *body; /* owned, NUL-terminated */
	size_t len; /* bytes in body */
};

struct dialog_cache {
	struct dialog_cache_entry v[8]; /* answers, in fetch order */
	size_t n;                       /* entries used */
};

/* Adds an answer (copied). Returns -1 when the cache is full. */
int dialog_cache_put(struct dialog_cache *, const char *url, int status,
    const char *body, size_t len);
void dialog_cache_free(struct dialog_cache *);

/* What a turn runs against; all borrowed, and must outlive the turn. */
struct dialog_env {
	struct store *store;
	const struct config *cfg;
	const struct flowset *set;
	const struct dialog_cache *cache; /* fetch answers, or NULL */
	engine_step_cb on_step;           /* the engine's steps (coverage of
					     `baraza test`), or NULL */
	void *step_arg;                   /* on_step's argument */
};

/* One inbound message or USSD step. Strings are borrowed for the call. */
struct dialog_input {
	enum engine_channel kind; /* SMS or USSD */
	const char *channel;      /* channel name */
	const char *phone;        /* E.164 */
	const char *text;         /* SMS text, or the USSD input
						   (NULL on a new USSD session) */
	const char *ussd_session; /* provider's USSD session id */
	const char *dialled;      /* new USSD session: the whole
						   dialled string, "*384*1#" */
	size_t ussd_max;          /* the channel's screen limit */
	int resume;               /* USSD: 1 to keep the session
						   resumable and offer resume
						   (config ussd_resume) */
	/*
	 * The sender's contact as read in this transaction, which the turn
	 * takes over (*contact is cleared), or NULL or id 0: the turn reads
	 * it (store_contact_touch).
	 */
	struct store_contact *contact;
};

/*
 * USSD resume (config ussd_resume, resume_text; docs/flows.md). A USSD
 * session of a real channel (resume set) keeps its resume key, "CHANNEL
 * CODE" with the code its first step dialled, the time of its last step
 * and its last screen in its session row. When a new USSD session of the
 * same contact dials the same code within ussd_resume of such a session's
 * last step (the session was cut off: it never ended with END, or its row
 * would be gone), the cut session's row moves to the new session's key
 * with the resume menu showing, and the first screen is resume_text: "1"
 * shows the step's last screen again and the session goes on, "2" starts
 * the flow afresh for the code, anything else is invalid_choice_text and
 * the menu again.
 */
enum dialog_resume {
	DIALOG_RESUME_NONE = 0,  /* no resume menu in this turn */
	DIALOG_RESUME_OFFERED,   /* the resume menu was shown */
	DIALOG_RESUME_CONTINUED, /* "1": the cut session goes on */
	DIALOG_RESUME_RESTARTED, /* "2": started over */
};

/*
 * Report feedback: an SMS that answers the question a reporter got once
 * their report was resolved (see dialog_feedback_answer) within this long
 * of the question is kept with the report and starts no flow.
 */
#define DIALOG_FEEDBACK_WINDOW_MS (7 * 24 * 3600 * 1000LL)

/* How the turn went. */
enum dialog_outcome {
	DIALOG_REPLY,  /* reply holds the text to send */
	DIALOG_SILENT, /* nothing to send (no flow took an SMS...) */
	DIALOG_FETCH,  /* a fetch is needed: see dialog_fetch_url */
	DIALOG_FAILED, /* a store write failed: roll back, answer 503 */
};

/*
 * Runs one turn against the store (the caller holds a transaction open).
 * A USSD step for a session that another phone opened ends with the
 * config's error_text and leaves the session as it was (it belongs to the
 * phone that opened it). An SMS that answers a pending feedback question
 * (after the stop and start words, before any flow, unless a session
 * waits on an answer it asked for after the question) is kept with its
 * report and gets no reply. Returns 0 and sets *out (free it with
 * dialog_free), or a negative value for input that cannot be handled (no
 * phone, too long...; logged).
 */
int dialog_turn(
    const struct dialog_env *, const struct dialog_input *, struct dialog **);

enum dialog_outcome dialog_outcome(const struct dialog *);
/* The reply (DIALOG_REPLY), owned by the dialog. */
const char *dialog_reply(const struct dialog *);
/* USSD: 1 when the session ended (END), 0 when it goes on (CON). */
int dialog_ended(const struct dialog *);
/* USSD: what the turn did with the resume menu. */
enum dialog_resume dialog_resumed(const struct dialog *);
/* The contact's id. */
int64_t dialog_contact(const struct dialog *);
/* The flow that answered, or NULL. */
const char *dialog_flow(const struct dialog *);
/* DIALOG_FETCH: the URL to fetch, owned by the dialog. */
const char *dialog_fetch_url(const struct dialog *);
/* DIALOG_FETCH: the timeout, 3 s in USSD sessions, 10 s for SMS. */
int dialog_fetch_timeout(const struct dialog *);

void dialog_free(struct dialog *);

/*
 * Fetches url through the shared HTTP client at port (a client on the
 * caller's loop or on a thread of its own): GET with Accept:
 * application/json, the answer capped at DIALOG_MAX_FETCH bytes, and adds
 * the answer to cache before calling done(arg) on the caller's loop.
 * Returns -1 without calling done when the request cannot start.
 */
#define DIALOG_MAX_FETCH (64 * 1024)
struct client_port;
int
dialog_fetch(const struct client_port *port, const char *url, int timeout_ms,
    struct dialog_cache *cache, void (*done)(void *), void *arg);

/* True when text (trimmed) is one of the words, compared case-insensitively. */
int dialog_is_word(const struct config_words *, const char *text);

/*
 * Reads an answer to the feedback question: text, trimmed, in any case, is
 * "1", "yes", "ndiyo" or "ndio" (returns 1), "2", "no" or "hapana"
 * (returns 0); anything else returns -1.
 */
int dialog_feedback_answer(const char *text);

#endif
