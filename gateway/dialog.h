/*
 * dialog.h: one turn of a conversation. An inbound SMS or USSD step from a
 * contact goes through the config's stop, start and restart words, the
 * session kept in the store and the flow engine; the engine's actions
 * (lookups, reports, subscriptions, saved fields, fetches) are carried out
 * here against the store and the HTTP client. The result is the reply text.
 *
 * Used by the webhooks and modems (through ingress) and by `baraza
 * simulate`, so both run the same code. The caller groups the store writes
 * of a turn in one transaction (store_begin before dialog_turn, commit in
 * the done callback).
 */
#ifndef BARAZA_DIALOG_H
#define BARAZA_DIALOG_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "flows/engine.h"
#include "store.h"

#define DIALOG_SMS_FETCH_MS 10000 /* fetch timeout in SMS sessions */
#define DIALOG_USSD_FETCH_MS 3000 /* fetch timeout in USSD sessions */
#define DIALOG_MAX_INPUT 4096	  /* bytes of one inbound text */

struct dialog;

/*
 * Called once when a turn is over. The dialog and its reply stay valid until
 * dialog_free; the callback may free it.
 */
typedef void (*dialog_done_cb)(struct dialog *, void *arg);

/*
 * The host's HTTP GET for `fetch`: MUST call cb exactly once (possibly
 * later, from the loop) with the status (0 on a transport error or
 * timeout) and the body, or return negative without calling it.
 */
typedef void (*dialog_fetch_done)(void *ctx, int status, const char *body,
    size_t len);
typedef int (*dialog_fetch_fn)(void *host, const char *url, int timeout_ms,
    dialog_fetch_done cb, void *ctx);

/* What a turn runs against; all borrowed, and must outlive the turn. */
struct dialog_env {
	struct store		*store;
	const struct config	*cfg;
	const struct flowset	*set;
	dialog_fetch_fn		 fetch;		/* NULL: every fetch fails */
	void			*fetch_host;	/* its first argument */
};

/* One inbound message or USSD step. Strings are copied. */
struct dialog_input {
	enum engine_channel	 kind;		/* SMS or USSD */
	const char		*channel;	/* channel name */
	const char		*phone;		/* E.164 */
	const char		*text;		/* SMS text, or the USSD input
						   (NULL on a new USSD session) */
	const char		*ussd_session;	/* provider's USSD session id */
	const char		*dialled;	/* new USSD session: the whole
						   dialled string, "*384*1#" */
	size_t			 ussd_max;	/* the channel's screen limit */
};

/* How the turn went. */
enum dialog_outcome {
	DIALOG_REPLY,	/* reply holds the text to send */
	DIALOG_SILENT,	/* nothing to send (no flow took an SMS...) */
};

/*
 * Starts a turn. Returns 0 and calls done (maybe before returning, maybe
 * later when a fetch is pending), or a negative value without calling it
 * (bad input: the reason is logged). *out is set to the dialog either way
 * when 0 is returned; free it with dialog_free after done.
 */
int	dialog_turn(const struct dialog_env *, const struct dialog_input *,
	    dialog_done_cb, void *, struct dialog **);

/* The outcome, reply (NULL when silent) and, for USSD, the end flag. */
enum dialog_outcome dialog_outcome(const struct dialog *);
const char *dialog_reply(const struct dialog *);
int	dialog_ended(const struct dialog *);
/* The flow that answered, or NULL. */
const char *dialog_flow(const struct dialog *);
/* 1 when a store write failed during the turn (the caller rolls back). */
int	dialog_failed(const struct dialog *);

void	dialog_free(struct dialog *);

/*
 * A dialog_fetch_fn over the shared HTTP client: host is a struct client *
 * (providers/client.h). GET with Accept: application/json, the answer
 * capped at DIALOG_MAX_FETCH bytes.
 */
#define DIALOG_MAX_FETCH (64 * 1024)
int	dialog_fetch_client(void *, const char *, int, dialog_fetch_done,
	    void *);

/* True when text (trimmed) is one of the words, compared case-insensitively. */
int	dialog_is_word(const struct config_words *, const char *text);

#endif
