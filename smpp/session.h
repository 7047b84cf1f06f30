/*
 * session.h: one SMPP 3.4 link as an ESME sees it, without I/O: bytes in
 * (smpp_session_read), bytes out (the write callback), time as an argument
 * (smpp_session_tick). It binds, answers enquire_link, unbind and what it
 * does not know (generic_nack ESME_RINVCMDID), keeps the link alive with
 * enquire_link when it is idle, sends submit_sm within a window, resends a
 * part the SMSC throttled (ESME_RTHROTTLED, ESME_RMSGQFUL) after a backoff,
 * joins the parts of MO messages, and hands every deliver_sm up, to be
 * answered (smpp_session_ack) only once the owner has committed it.
 *
 * The owner (gateway/smsc.c) holds the socket and the timer; keeping the
 * state machine apart lets the fuzz target drive it with any sequence of
 * PDUs, and the unit tests with a clock of their own.
 *
 * Callbacks run from inside smpp_session_read, _tick, _submit and _free;
 * none of them may call smpp_session_free. After the close callback the
 * session reads and writes nothing more: the owner closes the link and
 * then frees the session, which ends the messages still in it as
 * SMPP_SUBMIT_LOST.
 */
#ifndef BARAZA_SMPP_SESSION_H
#define BARAZA_SMPP_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "smpp/pdu.h"

#define SMPP_QUEUE_MAX 1024 /* messages a session holds */
#define SMPP_JOINS_MAX 64   /* MO messages being joined at once */
#define SMPP_BACKOFF_FIRST_MS 1000
#define SMPP_BACKOFF_MAX_MS 30000

struct smpp_session;

/* How one submitted message ended. */
enum smpp_submit_result {
	SMPP_SUBMIT_OK = 0, /* every part accepted; message_id the last's */
	SMPP_SUBMIT_FAILED, /* a part refused with status (not throttling) */
	SMPP_SUBMIT_LOST,   /* the link ended first: it may be sent again */
};

/*
 * A deliver_sm (or, for an MO message in parts, all of them) for the
 * owner. The strings and seqs are borrowed for the time of the callback;
 * the owner keeps a copy of seqs to answer them with smpp_session_ack.
 */
struct smpp_inbound {
	enum smpp_deliver_kind kind;
	const char *from; /* source_addr */
	int from_ton;     /* its type of number (1: international) */
	const char *to;   /* destination_addr */
	const char *text; /* MO: the whole text, parts joined in order */
	int partial;      /* MO: 1 when parts were still missing after
			     join_ms (or the join table was full) */
	const char *id;   /* receipt: the receipted message's id */
	enum smpp_receipt_state state; /* receipt */
	const char *error;             /* receipt: why it failed, or "" */
	const uint32_t *seqs;          /* the deliver_sm PDUs it came in */
	size_t nseqs;
};

struct smpp_session_cb {
	/* Sends len bytes on the link. */
	void (*write)(void *arg, const void *data, size_t len);
	/* The bind was accepted: messages may be submitted. */
	void (*bound)(void *arg, const char *system_id);
	/* The session is done with the link (reason in words). */
	void (*close)(void *arg, const char *reason);
	/* One submitted message ended (ctx as given to smpp_session_submit). */
	void (*submitted)(void *arg, void *ctx, enum smpp_submit_result,
	    uint32_t status, const char *message_id);
	/* An MO message or a receipt arrived. */
	void (*deliver)(void *arg, const struct smpp_inbound *);
	/* Something worth a log line (may be NULL). */
	void (*log)(void *arg, const char *what);
};

struct smpp_session_config {
	uint32_t bind_cmd;         /* SMPP_BIND_TRANSCEIVER, _TRANSMITTER
				      or _RECEIVER */
	struct smpp_bind bind;     /* borrowed for the session's life */
	struct smpp_submit submit; /* ton, npi, long_mode, source and
				      registered_delivery; dest_addr and
				      ref are set per message */
	int window;                /* submit_sm awaiting an answer, >= 1 */
	int64_t enquire_link_ms;   /* idle time before an enquire_link */
	int64_t response_ms;       /* wait for any answer before giving
				      the link up */
	int64_t join_ms;           /* MO parts wait this long for the rest */
};

/*
 * A session for a link that has just connected, at time now (a monotonic
 * clock in ms): it writes its bind at once. cfg is copied (its strings
 * are borrowed). Returns the session (smpp_session_free).
 */
struct smpp_session *smpp_session_new(const struct smpp_session_config *cfg,
    const struct smpp_session_cb *cb, void *arg, int64_t now);

/* Feeds len bytes read from the link. */
void smpp_session_read(
    struct smpp_session *, const void *data, size_t len, int64_t now);

/*
 * Runs the timers due at now: enquire_link, answers overdue, throttling
 * backoff over, MO parts waiting too long. Returns the monotonic time at
 * which it wants to run again.
 */
int64_t smpp_session_tick(struct smpp_session *, int64_t now);

/* 1 when the link is bound for sending and holds fewer than
   SMPP_QUEUE_MAX messages, else 0. */
int smpp_session_ready(const struct smpp_session *);

/*
 * Queues text (UTF-8) to dest (E.164 digits without '+') and sends what
 * the window allows; ctx comes back in exactly one submitted callback
 * (also on smpp_session_free). Returns 0, or -1 with a reason when the
 * session is not ready (nothing will come back) or the text cannot be
 * encoded (ditto; the message can never go out this way).
 */
int smpp_session_submit(struct smpp_session *, void *ctx, const char *dest,
    const char *text, int64_t now, struct buf *reason);

/*
 * Answers the deliver_sm PDUs seqs (as an inbound callback gave them)
 * with status: ESME_ROK once the message is committed, ESME_RX_T_APPN for
 * the SMSC to deliver it again later. Nothing is written once the session
 * has closed.
 */
void smpp_session_ack(
    struct smpp_session *, const uint32_t *seqs, size_t n, uint32_t status);

/* Unbinds: no more submits; the close callback follows the answer. */
void smpp_session_unbind(struct smpp_session *, int64_t now);

/* 1 once the close callback has run. */
int smpp_session_closed(const struct smpp_session *);

/* Messages submitted and not yet ended. */
size_t smpp_session_pending(const struct smpp_session *);

/* Ends what is still queued as SMPP_SUBMIT_LOST and frees the session. */
void smpp_session_free(struct smpp_session *);

#endif
