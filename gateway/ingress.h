/*
 * ingress.h: the one path of every inbound message, whatever brought it
 * (a provider's webhook, a modem): number normalised to E.164, duplicate
 * check on (channel, provider id), stored; then the flood guard, the flow
 * (through dialog.c) and the reply queued, all in the loop turn's one
 * transaction (batch.c). The caller's callback runs after the commit: only
 * then may a webhook answer 200. A message whose flow waits on a `fetch`
 * is committed first (state "received") and handled when the answer is in;
 * a crash in between handles it again at start-up.
 */
#ifndef BARAZA_INGRESS_H
#define BARAZA_INGRESS_H

#include <stdint.h>

#include "gateway/store.h"
#include "lib/phone.h"
#include "lib/strmap.h"

struct gateway;
struct rate;

#define INGRESS_FLOOD_MAX 100000 /* numbers the flood guard tracks */
#define INGRESS_USSD_KEEP_MS (10 * 60 * 1000) /* a USSD text kept, ms */

/*
 * The flood guard: at most rate.count messages from one number in each
 * window of rate.period_ms (from that number's first message); the rest
 * are stored but not answered. It tracks at most max numbers: a number
 * whose window has passed is forgotten, and when the map is still full the
 * least recently seen number is, so a new number is always counted and a
 * number that keeps flooding stays throttled.
 */
struct ingress_flood {
	struct strmap map; /* phone -> its window, least recently seen last */
	int64_t warned;    /* when eviction was last logged, ms */
};

/*
 * What became of an inbound message, in the ingress's own words; the
 * webhook layer (hooks.c) alone turns them into HTTP answers, a modem
 * (modems.c) into whether the phone may delete the message.
 */
enum ingress_status {
	INGRESS_STORED = 0,    /* kept and committed (a USSD step handled, a
				  delivery report recorded or for an unknown
				  message) */
	INGRESS_DUPLICATE = 1, /* an SMS stored before (a provider's retry):
				  committed already, nothing ran again */
	INGRESS_BAD = -1,      /* refused at once, never worth a retry: not a
				  phone number, text missing or too long */
	INGRESS_BUSY = -2,     /* the store cannot begin or failed: nothing
				  was kept, the sender should retry */
};

/*
 * The outcome for the caller, after the commit: status is INGRESS_STORED,
 * INGRESS_DUPLICATE or INGRESS_BUSY. id is the stored message's id (0 when
 * none). For USSD, screen is the text to show and end says END or CON.
 */
struct ingress_result {
	enum ingress_status status;
	int64_t id;
	const char *screen; /* USSD: owned by the ingress */
	int end;            /* USSD */
};

/* What the ingress counts, for metrics. */
struct ingress_counters {
	uint64_t received;   /* inbound SMS stored */
	uint64_t duplicates; /* provider retries dropped */
	uint64_t flooded;    /* stored, not answered */
	uint64_t ussd_steps; /* USSD requests */
	uint64_t reports;    /* delivery reports */
	uint64_t resumes[3]; /* USSD resume menus offered, then taken up
				("1") and declined ("2"): by enum
				dialog_resume - 1 */
};

/* The ingress's state, embedded in struct gateway (gw->ingress). */
struct ingress {
	struct ingress_flood flood; /* the flood guard's windows */
	struct ingress_counters n;  /* for metrics */
	int shared; /* nodes share the store (PostgreSQL): the flood
		       guard lives there, not above (USSD texts live in the
		       store on both) */
};

typedef void (*ingress_cb)(void *arg, const struct ingress_result *);

/* An inbound SMS. Strings are copied. */
struct ingress_sms {
	const char *channel;     /* channel name */
	const char *from;        /* as the provider gave it */
	const char *text;        /* UTF-8 */
	const char *provider_id; /* for dedup, or NULL */
	/* One part of a long message (struct provider_inbound's part_*;
	 * for parts_sms): part_total 0 for a whole one. */
	const char *part_ref;
	int part_total;
	int part_seq;
};

/* One USSD step. */
struct ingress_ussd {
	const char *channel;
	const char *from;
	const char *session; /* provider's session id */
	const char *code;    /* service code dialled, "*384#" */
	const char *text;    /* the input; cumulative when set below */
	int cumulative;      /* Africa's Talking: inputs joined by '*' */
};

/*
 * Each returns 0 when cb will be called (after the commit), or, with
 * *reason set (a static string), INGRESS_BAD or INGRESS_BUSY when the
 * input is refused at once (cb is then never called).
 */
int ingress_sms(struct gateway *, const struct ingress_sms *, ingress_cb,
    void *, const char **reason);
int ingress_ussd(struct gateway *, const struct ingress_ussd *, ingress_cb,
    void *, const char **reason);

/*
 * For gateway/parts.c: the checks of ingress_sms (the sender into phone,
 * normalized; the text's length) and the turn's batch_begin(). 0, or
 * INGRESS_BAD or INGRESS_BUSY with *reason.
 */
int ingress_sms_admit(struct gateway *, const struct ingress_sms *,
    char phone[PHONE_MAX], const char **reason);

/*
 * For gateway/parts.c, in a turn that batch_begin() opened: stores a whole
 * SMS from phone (normalized already) and runs its flow, cb(arg) after the
 * commit. Returns 1 stored, 0 stored before (a duplicate of provider_id),
 * -1 when it could not be stored (cb then hears INGRESS_BUSY).
 */
int ingress_sms_whole(struct gateway *, const char *channel, const char *phone,
    const char *text, const char *provider_id, ingress_cb cb, void *arg);

/* Tells cb(arg) status and id after the turn's commit (INGRESS_BUSY if
 * the commit fails). */
void ingress_answer(struct gateway *, ingress_cb cb, void *arg,
    enum ingress_status status, int64_t id);

/*
 * A delivery report: the outbound message whose id is the provider's id
 * (or, by_own_id, ours in decimal) becomes state (sent, delivered or
 * failed) with error, unless its state is final already.
 */
struct ingress_report {
	const char *channel; /* channel name */
	const char *id;      /* the message's id as the report names it */
	int by_own_id;       /* 1: id is ours, else the provider's */
	enum msg_state state;
	const char *error; /* the provider's reason, or NULL */
};

int ingress_status(struct gateway *, const struct ingress_report *, ingress_cb,
    void *, const char **reason);

/* Start-up: handles inbound messages stored but not handled (a crash). */
void ingress_recover(struct gateway *);

/*
 * Nodes on one database, on each heartbeat: handles the inbound messages
 * that a node not heard from for STORE_NODE_LEASE_MS stored and did not
 * handle (store_msg_adopt_received).
 */
void ingress_adopt(struct gateway *);

/* An empty flood guard for max numbers; ingress_flood_free releases it. */
void ingress_flood_init(struct ingress_flood *, size_t max);
void ingress_flood_free(struct ingress_flood *);
/*
 * Counts one message from phone (E.164) at time now (ms) against lim.
 * Returns 1 when it is one too many for the number's window (logged once
 * per window, masked), else 0.
 */
int ingress_flood_check(struct ingress_flood *, const struct rate *lim,
    const char *phone, int64_t now);

/* Sets up and tears down the ingress's state. */
void ingress_init(struct ingress *);
void ingress_free(struct ingress *);

/*
 * Africa's Talking's cumulative USSD text: the new input is what follows
 * the previous request's text and one '*' (inputs may contain '*'). prev
 * may be NULL (the first request). Returns a pointer into text.
 */
const char *ingress_ussd_input(const char *prev, const char *text);

#endif
