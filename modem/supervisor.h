/*
 * supervisor.h: the loop side of a GSM modem channel (type = gammu).
 *
 * The gateway never calls libGammu. For each modem channel it starts one
 * supervisor, which spawns a worker process (`EXE modem-worker --fd 3`,
 * see worker.c) with uv_spawn and talks to it over a socket with the
 * framed protocol of proto.h. The supervisor uses libuv only and runs on
 * the gateway's loop thread.
 *
 * Contract:
 * - A worker that exits, closes its pipe, sends a bad frame or sends
 *   nothing for MODEM_WATCHDOG_MS is killed (SIGKILL) and started again
 *   after a backoff that starts at 1 s and doubles up to 60 s (back to 1 s
 *   once a worker has lived for a minute).
 * - Sending: modem_send() hands one message over; at most one message is
 *   in the worker at a time, the others wait in the supervisor (at most
 *   MODEM_MAX_QUEUE) and leave no faster than the channel's rate. Every
 *   accepted message gets exactly one on_sent() call, later, never from
 *   inside modem_send(). When the worker dies or the modem goes down,
 *   waiting messages come back as TEMPFAIL ("not attempted"); the one in
 *   the worker comes back as TEMPFAIL too, and when the worker had already
 *   handed a part of it to the modem the error says so: that message MAY
 *   have gone out, and retrying it MAY send it twice. That window is one
 *   message wide (see supervisor.c for why it cannot be closed entirely).
 * - Receiving: on_inbound() gets each message once per worker life. The
 *   gateway stores and commits it, then calls modem_ack(); only then does
 *   the worker delete it from the phone. A message not acknowledged before
 *   its worker died is offered again, with a new id but the same key: the
 *   gateway drops it when it already holds that key for this channel.
 * - Callbacks run on the loop thread. They may call modem_send(),
 *   modem_ack() and modem_supervisor_stop(); after modem_supervisor_stop()
 *   no callback runs any more.
 */
#ifndef BARAZA_MODEM_SUPERVISOR_H
#define BARAZA_MODEM_SUPERVISOR_H

#include <stdint.h>
#include <uv.h>

#include "lib/channel.h"
#include "modem/proto.h"

#define MODEM_WATCHDOG_MS 30000    /* silence after which a worker is killed */
#define MODEM_BACKOFF_MIN_MS 1000  /* first restart delay */
#define MODEM_BACKOFF_MAX_MS 60000 /* longest restart delay */
#define MODEM_MAX_QUEUE 1000       /* messages waiting in the supervisor */
#define MODEM_STOP_GRACE_MS 3000   /* for a worker to exit after `stop` */
#define MODEM_BALANCE_FIRST_MS 10000 /* first balance check after coming up */

struct modem_supervisor;

/*
 * One received message, valid only during the on_inbound call. total is
 * more than parts when multipart_timeout handed over a partial text.
 */
struct modem_inbound {
	uint64_t id;      /* pass to modem_ack() once committed */
	const char *key;  /* stable over worker restarts: dedup on it */
	const char *from; /* sender as the network gave it (E.164 or name) */
	const char *text; /* UTF-8 */
	const char *time; /* SMSC time stamp, ISO 8601 UTC, or NULL */
	int parts;        /* parts received */
	int total;        /* parts announced */
};

typedef void (*modem_inbound_cb)(
    struct modem_supervisor *, const struct modem_inbound *, void *arg);

/*
 * A delivery report read from the phone, valid only during the on_report
 * call: like a message, it leaves the phone after modem_ack(id).
 */
struct modem_report {
	uint64_t id;           /* pass to modem_ack() once committed */
	const char *reference; /* the message reference it is about */
	int delivered;         /* 1: delivered, 0: failed */
	const char *error;     /* why it failed, or NULL */
};

typedef void (*modem_report_cb)(
    struct modem_supervisor *, const struct modem_report *, void *arg);
/*
 * The outcome of a send; reference is the network's message reference of
 * its last part (what a delivery report names), or NULL.
 */
typedef void (*modem_sent_cb)(struct modem_supervisor *, int64_t msg_id,
    enum modem_outcome, const char *error, const char *reference, void *arg);
typedef void (*modem_state_cb)(
    struct modem_supervisor *, int up, int signal, void *arg);
typedef void (*modem_balance_cb)(
    struct modem_supervisor *, const char *text, void *arg);
typedef void (*modem_restart_cb)(
    struct modem_supervisor *, const char *why, void *arg);
typedef void (*modem_error_cb)(
    struct modem_supervisor *, const char *error, void *arg);

struct modem_callbacks {
	modem_inbound_cb on_inbound; /* required */
	modem_sent_cb on_sent;       /* required */
	modem_state_cb on_state;     /* up/down and signal changes, or NULL */
	modem_balance_cb on_balance; /* USSD balance answers, or NULL */
	modem_restart_cb on_restart; /* a worker died, restart due, or NULL */
	modem_error_cb on_error;     /* modem errors, failed balance checks */
	modem_report_cb on_report;   /* delivery reports; NULL acks them */
	void *arg;                   /* passed to every callback */
};

/*
 * Starts supervising the modem of channel cc (type gammu; the strings are
 * copied). exe_path is the program to run as `exe_path modem-worker ...`;
 * NULL means /proc/self/exe. The worker starts at once; when it cannot be
 * spawned that is logged and retried with the backoff. Returns the
 * supervisor, which the caller ends with modem_supervisor_stop(), or NULL
 * when cc has no device or a required callback is missing.
 */
struct modem_supervisor *
modem_supervisor_start(uv_loop_t *loop, const struct channel_config *cc,
    const char *exe_path, const struct modem_callbacks *cb);

/*
 * Queues a message for sending (report: ask for a delivery report). The
 * strings are copied. Returns 0 (on_sent follows), -1 when the modem is
 * down or the queue is full (keep the message queued or use the fallback
 * channel), or -2 when the message can never be sent this way (empty or
 * too long number, text over MODEM_PROTO_MAX_TEXT bytes).
 */
int modem_send(struct modem_supervisor *, int64_t msg_id, const char *to,
    const char *text, int report);

/*
 * Tells the worker that inbound message id is committed, so it deletes it
 * from the phone. Returns 0, or -1 when id belongs to a worker that has
 * died since (the message will be offered again) or is unknown.
 */
int modem_ack(struct modem_supervisor *, uint64_t id);

/*
 * Asks the worker to dial the balance code now; the answer comes through
 * on_balance. Returns 0, or -1 when no worker is running. The supervisor
 * also asks on its own when balance_ussd is set: MODEM_BALANCE_FIRST_MS
 * after the modem comes up (later when the last check is more recent than
 * balance_interval), then every balance_interval while it stays up.
 */
int modem_balance(struct modem_supervisor *);

/* 1 when the worker runs and reports the modem connected. */
int modem_supervisor_up(const struct modem_supervisor *);

/* The worker's process id, or 0 when none runs (for tests and logs). */
int modem_supervisor_pid(const struct modem_supervisor *);

/*
 * The network state of the last heartbeat ("home", "roaming", ...), or
 * NULL before the first one. The string belongs to the supervisor and is
 * valid until the next callback.
 */
const char *modem_supervisor_network(const struct modem_supervisor *);

/*
 * Stops the worker (a `stop` frame, SIGKILL after MODEM_STOP_GRACE_MS) and
 * closes every handle; the supervisor frees itself in the last close
 * callback, so the caller runs the loop until it is done. Messages still
 * queued or in the worker get no on_sent: the gateway finds them unsent in
 * its store at the next start. NULL is a no-op.
 */
void modem_supervisor_stop(struct modem_supervisor *);

/*
 * The worker process's main (`baraza modem-worker --fd N [--name NAME]
 * [--log-level LEVEL]`): speaks proto.h over descriptor N until `stop` or
 * end of file. Returns the exit status. Defined in worker.c, the only file
 * that uses libGammu.
 */
int modem_worker_main(int argc, char **argv);

/*
 * The first amount in a balance answer (text, NUL-ended): a run of digits
 * (with a '.', and ',' before three digits as a thousands separator) that
 * is not part of a USSD code ("*144#"), a date or a time ("31/12",
 * "2026-12-31", "08:00"), copied into num (size bytes, at least 2); else
 * num is empty.
 */
void modem_balance_amount(const char *text, char *num, size_t size);

#endif
