/*
 * supervisor.c: spawns and watches one modem worker process per modem
 * channel, and turns its frames into callbacks (see supervisor.h).
 *
 * Life of a worker run: spawn() opens the process handle and the pipe,
 * writes the `config` frame and starts the watchdog. The run ends when
 * both handles are closed (the process exited, or was killed, and the pipe
 * is shut); worker_gone() then hands back the messages it held and arms
 * the restart timer. Handles are embedded here and the supervisor is
 * freed in the last close callback once stopping.
 *
 * Duplicates on a crash: the worker announces each part with a `sending`
 * frame just before GSM_SendSMS and reports `sent` right after the send
 * status, so when a worker dies only the one message between those two
 * frames has an unknown fate. It is returned as TEMPFAIL with an error
 * saying it may have gone out; the gateway retries it (at least once).
 * Closing the window entirely would need the modem to tell whether a
 * submit reached the SMSC after the link broke, which it cannot; a
 * journal in the worker would only move the same window.
 */
#include "modem/supervisor.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "lib/log.h"
#include "lib/util.h"

/* A message waiting to go to the worker, or in it. */
struct send_item {
	STAILQ_ENTRY(send_item) entry; /* in the supervisor's queue */
	int64_t id;                    /* the gateway's message id */
	char *to;                      /* recipient */
	char *text;                    /* UTF-8 */
	int report;                    /* ask for a delivery report */
};

/* A frame being written; freed in its write callback. */
struct wreq {
	uv_write_t req; /* req.data is the supervisor */
	size_t len;     /* bytes in data */
	char data[];    /* len bytes */
};

struct modem_supervisor {
	uv_loop_t *loop;           /* the gateway's loop */
	struct modem_callbacks cb; /* the caller's callbacks */
	/* Copied from the channel config. */
	char *name, *exe, *device, *connection, *model, *pin, *balance_ussd;
	int64_t poll_ms;             /* poll_interval */
	int64_t mp_timeout_ms;       /* multipart_timeout */
	int64_t balance_interval_ms; /* balance_interval */
	int balance_alert;           /* balance_alert */
	int64_t rate_gap_ms;         /* between two messages, 0 for no limit */

	uv_timer_t watchdog; /* worker silence */
	uv_timer_t restart;  /* backoff before the next spawn */
	uv_timer_t pace;     /* rate limit */
	uv_timer_t balance;  /* periodic balance check */
	uv_timer_t grace;    /* for a stopping worker to exit */
	int timers_open;     /* timer handles not yet closed */

	uv_process_t proc; /* the worker process */
	uv_pipe_t pipe;    /* its protocol socket (fd 3 there) */
	int worker;        /* a worker run is in progress */
	int proc_open;     /* proc handle not closed yet */
	int pipe_open;     /* pipe handle not closed yet */
	int proc_exited;   /* exit callback seen */
	int killed;        /* the current worker is being killed */
	int pid;
	uint32_t gen;       /* worker run number, high half of inbound ids */
	int64_t backoff_ms; /* next restart delay */
	int64_t spawned_at; /* mono_ms of the last spawn */
	int up;             /* the modem is connected, per the last heartbeat */
	int signal;         /* percent, per the last heartbeat */
	char *network;      /* per the last heartbeat, or NULL */
	char why[128];      /* why the current worker run ends, or "" */
	int64_t exit_status;   /* of the current worker, when it exited */
	int exit_signal;       /* same */
	int64_t balance_asked; /* mono_ms of the last balance request, or 0 */
	struct modem_proto_reader rd; /* frames from the worker */
	char rbuf[16384];             /* read buffer */

	STAILQ_HEAD(send_queue, send_item) queue; /* waiting, oldest first */
	int q_len;                                /* waiting messages */
	struct send_item *inflight;               /* in the worker, or NULL */
	int inflight_started; /* a part of it reached the modem */
	int64_t last_send_at; /* mono_ms of the last dispatch */

	int stopping; /* modem_supervisor_stop was called */
};

static void spawn(struct modem_supervisor *);
static void kill_worker(struct modem_supervisor *, const char *why);
static void dispatch(struct modem_supervisor *);
static void on_restart(uv_timer_t *);

static void
item_free(struct send_item *it)
{
	free(it->to);
	free(it->text);
	free(it);
}

static void
on_write(uv_write_t *req, int status)
{
	struct wreq *w = container_of(req, struct wreq, req);
	struct modem_supervisor *sup = req->data;

	if (status < 0 && status != UV_ECANCELED && !sup->stopping) {
		log_warn("modem", "write to worker failed name=%s: %s",
		    sup->name, uv_strerror(status));
		kill_worker(sup, "write failed");
	}
	free(w);
}

/* Writes one frame to the worker; 0 or -1. */
static int
write_frame(struct modem_supervisor *sup, const struct modem_msg *m)
{
	struct buf b;
	struct wreq *w;
	uv_buf_t ub;
	int r;

	if (!sup->worker || !sup->pipe_open ||
	    uv_is_closing((uv_handle_t *)&sup->pipe))
		return -1;
	buf_init(&b, MODEM_PROTO_MAX_FRAME + 4);
	if (modem_proto_encode(m, &b) < 0) {
		buf_free(&b);
		log_warn("modem", "cannot encode frame name=%s type=%s",
		    sup->name, modem_proto_type_name(m->type));
		return -1;
	}
	w = xmalloc(sizeof(*w) + b.len);
	w->len = b.len;
	memcpy(w->data, b.data, b.len);
	buf_free(&b);
	w->req.data = sup;
	ub = uv_buf_init(w->data, (unsigned)w->len);
	r = uv_write(&w->req, (uv_stream_t *)&sup->pipe, &ub, 1, on_write);
	if (r < 0) {
		free(w);
		log_warn("modem", "write to worker failed name=%s: %s",
		    sup->name, uv_strerror(r));
		kill_worker(sup, "write failed");
		return -1;
	}
	return 0;
}

static void
on_timer_close(uv_handle_t *h)
{
	struct modem_supervisor *sup = h->data;

	if (--sup->timers_open > 0)
		return;
	modem_proto_reader_free(&sup->rd);
	free(sup->name);
	free(sup->exe);
	free(sup->device);
	free(sup->connection);
	free(sup->model);
	free(sup->pin);
	free(sup->balance_ussd);
	free(sup->network);
	free(sup);
}

static void
close_timers(struct modem_supervisor *sup)
{
	uv_timer_t *t[] = {&sup->watchdog, &sup->restart, &sup->pace,
	    &sup->balance, &sup->grace};
	size_t i;

	for (i = 0; i < nitems(t); i++)
		uv_close((uv_handle_t *)t[i], on_timer_close);
}

/* Hands every waiting message back as TEMPFAIL (not attempted). */
static void
fail_queue(struct modem_supervisor *sup, const char *why)
{
	struct send_queue list = STAILQ_HEAD_INITIALIZER(list);
	struct send_item *it;

	/* Taken off first: on_sent may queue again. */
	STAILQ_CONCAT(&list, &sup->queue);
	sup->q_len = 0;
	while ((it = STAILQ_FIRST(&list)) != NULL) {
		STAILQ_REMOVE_HEAD(&list, entry);
		if (!sup->stopping)
			sup->cb.on_sent(sup, it->id, MODEM_TEMPFAIL, why, NULL,
			    sup->cb.arg);
		item_free(it);
	}
}

/* Both handles of a worker run are closed: clean up, maybe restart. */
static void
worker_gone(struct modem_supervisor *sup)
{
	struct send_item *it;
	int was_up = sup->up;
	int64_t delay;

	/*
	 * sup->worker stays set through the callbacks below, so that a
	 * modem_supervisor_stop() from one of them takes the worker path
	 * and leaves closing the timers to the end of this function.
	 */
	sup->up = 0;
	sup->signal = 0;
	sup->pid = 0;
	uv_timer_stop(&sup->watchdog);
	uv_timer_stop(&sup->pace);
	uv_timer_stop(&sup->balance);
	if ((it = sup->inflight) != NULL) {
		sup->inflight = NULL;
		if (!sup->stopping)
			sup->cb.on_sent(sup, it->id, MODEM_TEMPFAIL,
			    sup->inflight_started
				? "modem worker died while sending: the "
				  "message may have gone out"
				: "modem worker died before sending",
			    NULL, sup->cb.arg);
		item_free(it);
	}
	fail_queue(sup, "modem worker died: not attempted");
	if (!sup->stopping && was_up && sup->cb.on_state != NULL)
		sup->cb.on_state(sup, 0, 0, sup->cb.arg);
	sup->worker = 0;
	uv_timer_stop(&sup->grace);
	if (sup->stopping) {
		close_timers(sup);
		return;
	}
	if (mono_ms() - sup->spawned_at >= 60000)
		sup->backoff_ms = MODEM_BACKOFF_MIN_MS;
	delay = sup->backoff_ms;
	sup->backoff_ms *= 2;
	if (sup->backoff_ms > MODEM_BACKOFF_MAX_MS)
		sup->backoff_ms = MODEM_BACKOFF_MAX_MS;
	log_info("modem", "restarting worker name=%s in_ms=%lld", sup->name,
	    (long long)delay);
	uv_timer_start(&sup->restart, on_restart, (uint64_t)delay, 0);
	if (sup->cb.on_restart != NULL) {
		char why[256];

		if (sup->proc_exited &&
		    (sup->exit_status != 0 || sup->exit_signal != 0))
			snprintf(why, sizeof(why),
			    "modem worker died: %s (status %lld, signal %d)",
			    sup->why[0] != '\0' ? sup->why : "exited",
			    (long long)sup->exit_status, sup->exit_signal);
		else
			snprintf(why, sizeof(why), "modem worker died: %s",
			    sup->why[0] != '\0' ? sup->why : "exited");
		/* May stop the supervisor: the restart timer is then closed. */
		sup->cb.on_restart(sup, why, sup->cb.arg);
	}
}

static void
maybe_gone(struct modem_supervisor *sup)
{
	if (sup->worker && !sup->proc_open && !sup->pipe_open)
		worker_gone(sup);
}

static void
on_proc_close(uv_handle_t *h)
{
	struct modem_supervisor *sup =
	    container_of((uv_process_t *)h, struct modem_supervisor, proc);

	sup->proc_open = 0;
	maybe_gone(sup);
}

static void
on_pipe_close(uv_handle_t *h)
{
	struct modem_supervisor *sup =
	    container_of((uv_pipe_t *)h, struct modem_supervisor, pipe);

	sup->pipe_open = 0;
	maybe_gone(sup);
}

static void
close_pipe(struct modem_supervisor *sup)
{
	if (sup->pipe_open && !uv_is_closing((uv_handle_t *)&sup->pipe))
		uv_close((uv_handle_t *)&sup->pipe, on_pipe_close);
}

static void
kill_worker(struct modem_supervisor *sup, const char *why)
{
	if (!sup->worker)
		return;
	if (!sup->killed)
		log_warn("modem", "killing worker name=%s pid=%d: %s",
		    sup->name, sup->pid, why);
	if (sup->why[0] == '\0')
		snprintf(sup->why, sizeof(sup->why), "%s", why);
	sup->killed = 1;
	if (sup->proc_open && !sup->proc_exited)
		uv_process_kill(&sup->proc, SIGKILL);
	close_pipe(sup);
}

static void
on_exit_cb(uv_process_t *proc, int64_t status, int sig)
{
	struct modem_supervisor *sup =
	    container_of(proc, struct modem_supervisor, proc);

	sup->proc_exited = 1;
	sup->exit_status = status;
	sup->exit_signal = sig;
	if (sig != 0 || status != 0 || !sup->stopping)
		log_info("modem",
		    "worker exited name=%s pid=%d status=%lld "
		    "signal=%d",
		    sup->name, sup->pid, (long long)status, sig);
	uv_close((uv_handle_t *)proc, on_proc_close);
	close_pipe(sup);
}

static void
on_watchdog(uv_timer_t *t)
{
	struct modem_supervisor *sup =
	    container_of(t, struct modem_supervisor, watchdog);

	kill_worker(sup, "no heartbeat");
}

static void
on_grace(uv_timer_t *t)
{
	struct modem_supervisor *sup =
	    container_of(t, struct modem_supervisor, grace);

	kill_worker(sup, "did not stop in time");
}

static void
on_restart(uv_timer_t *t)
{
	struct modem_supervisor *sup =
	    container_of(t, struct modem_supervisor, restart);

	if (!sup->stopping && !sup->worker)
		spawn(sup);
}

static void
on_pace(uv_timer_t *t)
{
	dispatch(container_of(t, struct modem_supervisor, pace));
}

static void
on_balance_timer(uv_timer_t *t)
{
	(void)modem_balance(container_of(t, struct modem_supervisor, balance));
}

/*
 * The modem came up: the first balance check comes MODEM_BALANCE_FIRST_MS
 * later, or when balance_interval has passed since the last one, then
 * every balance_interval.
 */
static void
arm_balance(struct modem_supervisor *sup)
{
	int64_t delay = MODEM_BALANCE_FIRST_MS, due;

	if (sup->balance_ussd == NULL || sup->balance_interval_ms <= 0)
		return;
	if (sup->balance_asked != 0) {
		due = sup->balance_asked + sup->balance_interval_ms - mono_ms();
		if (due > delay)
			delay = due;
	}
	uv_timer_start(&sup->balance, on_balance_timer, (uint64_t)delay,
	    (uint64_t)sup->balance_interval_ms);
}

/*
 * 1 when the character at c (step -1: the one before a number, not before
 * text; 1: the one after it) joins the number to a USSD code ('*', '#')
 * or, with a digit beyond it, to a date or a time ('/', ':', '-': "31/12",
 * "08:00"; "KES -5" is an amount).
 */
static int
joined(const char *text, const char *c, int step)
{
	if (*c == '*' || *c == '#')
		return 1;
	if (*c == '\0' || strchr("/:-", *c) == NULL || (step < 0 && c == text))
		return 0;
	return c[step] >= '0' && c[step] <= '9';
}

void
modem_balance_amount(const char *text, char *num, size_t size)
{
	const char *p = text, *start;
	size_t n;

	num[0] = '\0';
	while (*p != '\0') {
		if (!(*p >= '0' && *p <= '9')) {
			p++;
			continue;
		}
		start = p;
		n = 0;
		for (; *p != '\0' && n < size - 1; p++) {
			if (*p == ',' && p[1] >= '0' && p[1] <= '9' &&
			    p[2] >= '0' && p[2] <= '9' && p[3] >= '0' &&
			    p[3] <= '9' && !(p[4] >= '0' && p[4] <= '9'))
				continue;
			if (*p == '.' && !(p[1] >= '0' && p[1] <= '9'))
				break; /* a full stop after the number */
			if (!((*p >= '0' && *p <= '9') || *p == '.'))
				break;
			num[n++] = *p;
		}
		num[n] = '\0';
		if ((start > text && joined(text, start - 1, -1)) ||
		    joined(text, p, 1)) {
			num[0] = '\0'; /* a code, a date or a time */
			continue;
		}
		return;
	}
}

/* Warns when the first amount in a balance answer is below the alert. */
static void
check_balance(struct modem_supervisor *sup, const char *text)
{
	char *end, num[64];
	double v;

	if (sup->balance_alert <= 0)
		return;
	modem_balance_amount(text, num, sizeof(num));
	if (num[0] == '\0')
		return;
	v = strtod(num, &end);
	if (end != num && v < sup->balance_alert)
		log_warn("modem", "balance low name=%s balance=%g alert=%d",
		    sup->name, v, sup->balance_alert);
}

/* Hands the next waiting message to the worker when allowed. */
static void
dispatch(struct modem_supervisor *sup)
{
	struct send_item *it;
	struct modem_msg m;
	int64_t now, wait;

	if (sup->stopping || !sup->worker || !sup->up ||
	    sup->inflight != NULL || STAILQ_EMPTY(&sup->queue))
		return;
	now = mono_ms();
	if (sup->rate_gap_ms > 0 && sup->last_send_at != 0) {
		wait = sup->last_send_at + sup->rate_gap_ms - now;
		if (wait > 0) {
			if (!uv_is_active((uv_handle_t *)&sup->pace))
				uv_timer_start(
				    &sup->pace, on_pace, (uint64_t)wait, 0);
			return;
		}
	}
	it = STAILQ_FIRST(&sup->queue);
	STAILQ_REMOVE_HEAD(&sup->queue, entry);
	sup->q_len--;
	sup->inflight = it;
	sup->inflight_started = 0;
	sup->last_send_at = now;
	memset(&m, 0, sizeof(m));
	m.type = MODEM_MSG_SEND;
	m.id = it->id;
	m.to = it->to;
	m.text = it->text;
	m.report = it->report;
	(void)write_frame(sup, &m); /* on failure the worker is killed */
}

/* A heartbeat: the modem's state, which may start or stop sending. */
static void
on_heartbeat(struct modem_supervisor *sup, const struct modem_msg *m)
{
	int changed, was_up;

	was_up = sup->up;
	changed = sup->up != m->up || sup->signal != m->signal;
	sup->up = m->up;
	sup->signal = m->signal;
	if (m->network != NULL &&
	    (sup->network == NULL || strcmp(sup->network, m->network) != 0)) {
		free(sup->network);
		sup->network = xstrdup(m->network);
	}
	if (was_up && !m->up) {
		uv_timer_stop(&sup->balance);
		fail_queue(sup, "modem down: not attempted");
	} else if (!was_up && m->up)
		arm_balance(sup);
	if (changed && sup->cb.on_state != NULL && !sup->stopping)
		sup->cb.on_state(sup, sup->up, sup->signal, sup->cb.arg);
	dispatch(sup);
}

/* An inbound message. Returns non-zero to stop reading. */
static int
on_inbound_frame(struct modem_supervisor *sup, const struct modem_msg *m)
{
	struct modem_inbound in;

	if (m->id > UINT32_MAX) {
		kill_worker(sup, "inbound id out of range");
		return 1;
	}
	memset(&in, 0, sizeof(in));
	in.id = (uint64_t)sup->gen << 32 | (uint64_t)m->id;
	in.key = m->key;
	in.from = m->from;
	in.text = m->text;
	in.time = m->time;
	in.parts = m->parts;
	in.total = m->total;
	sup->cb.on_inbound(sup, &in, sup->cb.arg);
	return 0;
}

/* A delivery report: the gateway records it, then acks. */
static int
on_report_frame(struct modem_supervisor *sup, const struct modem_msg *m)
{
	struct modem_report r;

	if (m->id > UINT32_MAX) {
		kill_worker(sup, "report id out of range");
		return 1;
	}
	memset(&r, 0, sizeof(r));
	r.id = (uint64_t)sup->gen << 32 | (uint64_t)m->id;
	r.reference = m->reference;
	r.delivered = m->outcome == MODEM_OK;
	r.error = m->error;
	if (sup->cb.on_report != NULL)
		sup->cb.on_report(sup, &r, sup->cb.arg);
	else
		modem_ack(sup, r.id);
	return 0;
}

/* The outcome of the message in flight; the next one may go. */
static void
on_sent_frame(struct modem_supervisor *sup, const struct modem_msg *m)
{
	struct send_item *it;

	if (sup->inflight == NULL || sup->inflight->id != m->id) {
		log_warn("modem",
		    "outcome for unknown message name=%s "
		    "id=%lld",
		    sup->name, (long long)m->id);
		return;
	}
	it = sup->inflight;
	sup->inflight = NULL;
	sup->cb.on_sent(sup, it->id, m->outcome, m->error,
	    m->outcome == MODEM_OK ? m->reference : NULL, sup->cb.arg);
	item_free(it);
	dispatch(sup);
}

/* The answer to a balance check, or why there is none. */
static void
on_balance_frame(struct modem_supervisor *sup, const struct modem_msg *m)
{
	char e[256];

	if (m->text == NULL) {
		log_warn("modem", "balance check failed name=%s: %s", sup->name,
		    m->error != NULL ? m->error : "?");
		if (sup->cb.on_error != NULL) {
			snprintf(e, sizeof(e), "balance check failed: %s",
			    m->error != NULL ? m->error : "?");
			sup->cb.on_error(sup, e, sup->cb.arg);
		}
		return;
	}
	log_info("modem", "balance name=%s text=%s", sup->name, m->text);
	check_balance(sup, m->text);
	if (sup->cb.on_balance != NULL)
		sup->cb.on_balance(sup, m->text, sup->cb.arg);
}

/* One frame from the worker. Returns non-zero to stop reading. */
static int
on_frame(const struct modem_msg *m, void *arg)
{
	struct modem_supervisor *sup = arg;

	if (sup->killed)
		return 1;
	uv_timer_start(&sup->watchdog, on_watchdog, MODEM_WATCHDOG_MS, 0);
	if (sup->stopping)
		return 0;
	switch (m->type) {
	case MODEM_MSG_HELLO:
		log_info("modem",
		    "modem ready name=%s model=%s imei=%s smsc=%s", sup->name,
		    m->model, m->imei, m->smsc != NULL ? m->smsc : "-");
		break;
	case MODEM_MSG_HEARTBEAT:
		on_heartbeat(sup, m);
		break;
	case MODEM_MSG_INBOUND:
		if (on_inbound_frame(sup, m) != 0)
			return 1;
		break;
	case MODEM_MSG_REPORT:
		if (on_report_frame(sup, m) != 0)
			return 1;
		break;
	case MODEM_MSG_SENDING:
		if (sup->inflight != NULL && sup->inflight->id == m->id)
			sup->inflight_started = 1;
		break;
	case MODEM_MSG_SENT:
		on_sent_frame(sup, m);
		break;
	case MODEM_MSG_BALANCE:
		on_balance_frame(sup, m);
		break;
	case MODEM_MSG_ERROR:
		log_warn(
		    "modem", "modem error name=%s: %s", sup->name, m->error);
		if (sup->cb.on_error != NULL && m->error != NULL)
			sup->cb.on_error(sup, m->error, sup->cb.arg);
		break;
	default:
		kill_worker(sup, "unexpected frame type");
		return 1;
	}
	return sup->killed ? 1 : 0;
}

static void
on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct modem_supervisor *sup =
	    container_of((uv_pipe_t *)h, struct modem_supervisor, pipe);

	(void)suggested;
	*b = uv_buf_init(sup->rbuf, sizeof(sup->rbuf));
}

static void
on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
	struct modem_supervisor *sup =
	    container_of((uv_pipe_t *)s, struct modem_supervisor, pipe);

	if (nread == 0)
		return;
	if (nread < 0) {
		if (nread != UV_EOF)
			log_warn("modem", "read from worker name=%s: %s",
			    sup->name, uv_strerror((int)nread));
		if (sup->stopping)
			close_pipe(sup); /* the grace timer kills if needed */
		else
			kill_worker(sup, "pipe closed");
		return;
	}
	if (modem_proto_feed(&sup->rd, b->base, (size_t)nread, on_frame, sup) ==
	    -1) {
		log_error("modem", "bad frame from worker name=%s: %s",
		    sup->name, sup->rd.error);
		kill_worker(sup, "bad frame");
	}
}

static const char *
level_name(int level)
{
	switch (level) {
	case L_ERROR:
		return "error";
	case L_WARN:
		return "warn";
	case L_DEBUG:
		return "debug";
	default:
		return "info";
	}
}

/* Starts a worker run. On failure the run ends at once (restart later). */
static void
spawn(struct modem_supervisor *sup)
{
	uv_process_options_t opt;
	uv_stdio_container_t stdio[4];
	struct modem_msg m;
	char *args[10];
	int r;

	sup->gen++;
	sup->worker = 1;
	sup->proc_exited = 0;
	sup->killed = 0;
	sup->up = 0;
	sup->signal = 0;
	sup->why[0] = '\0';
	sup->exit_status = 0;
	sup->exit_signal = 0;
	sup->spawned_at = mono_ms();
	modem_proto_reader_free(&sup->rd);
	modem_proto_reader_init(&sup->rd);

	uv_pipe_init(sup->loop, &sup->pipe, 0);
	sup->pipe_open = 1;
	/* As ps shows it: the file run is sup->exe. */
	args[0] = (char *)"baraza";
	args[1] = "modem-worker";
	args[2] = "--fd";
	args[3] = "3";
	args[4] = "--name";
	args[5] = sup->name;
	args[6] = "--log-level";
	args[7] = (char *)level_name(log_get_level());
	args[8] = NULL;
	memset(&opt, 0, sizeof(opt));
	memset(stdio, 0, sizeof(stdio));
	stdio[0].flags = UV_IGNORE;
	/* The worker logs to stderr; its stdout goes there too. */
	stdio[1].flags = UV_INHERIT_FD;
	stdio[1].data.fd = 2;
	stdio[2].flags = UV_INHERIT_FD;
	stdio[2].data.fd = 2;
	stdio[3].flags = UV_CREATE_PIPE | UV_READABLE_PIPE | UV_WRITABLE_PIPE;
	stdio[3].data.stream = (uv_stream_t *)&sup->pipe;
	opt.file = sup->exe;
	opt.args = args;
	opt.stdio = stdio;
	opt.stdio_count = 4;
	opt.exit_cb = on_exit_cb;
	sup->proc_open = 1;
	r = uv_spawn(sup->loop, &sup->proc, &opt);
	if (r < 0) {
		log_error("modem", "cannot start worker name=%s exe=%s: %s",
		    sup->name, sup->exe, uv_strerror(r));
		snprintf(sup->why, sizeof(sup->why), "cannot start: %s",
		    uv_strerror(r));
		sup->proc_exited = 1;
		uv_close((uv_handle_t *)&sup->proc, on_proc_close);
		close_pipe(sup);
		return;
	}
	sup->pid = sup->proc.pid;
	log_info("modem", "worker started name=%s pid=%d", sup->name, sup->pid);
	memset(&m, 0, sizeof(m));
	m.type = MODEM_MSG_CONFIG;
	m.device = sup->device;
	m.connection = sup->connection;
	m.model = sup->model;
	m.pin = sup->pin;
	m.poll_interval_ms = sup->poll_ms;
	m.multipart_timeout_ms = sup->mp_timeout_ms;
	m.balance_ussd = sup->balance_ussd;
	if (write_frame(sup, &m) < 0)
		return;
	r = uv_read_start((uv_stream_t *)&sup->pipe, on_alloc, on_read);
	if (r < 0) {
		kill_worker(sup, "cannot read the pipe");
		return;
	}
	uv_timer_start(&sup->watchdog, on_watchdog, MODEM_WATCHDOG_MS, 0);
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

struct modem_supervisor *
modem_supervisor_start(uv_loop_t *loop, const struct channel_config *cc,
    const char *exe_path, const struct modem_callbacks *cb)
{
	struct modem_supervisor *sup;
	uv_timer_t *t[5];
	size_t i;

	if (cc == NULL || cb == NULL || cb->on_inbound == NULL ||
	    cb->on_sent == NULL || cc->device == NULL) {
		log_error("modem", "modem channel without device or callbacks");
		return NULL;
	}
	sup = xcalloc(1, sizeof(*sup));
	sup->loop = loop;
	sup->cb = *cb;
	sup->name = xstrdup(cc->name != NULL ? cc->name : "modem");
	sup->exe = xstrdup(exe_path != NULL ? exe_path : "/proc/self/exe");
	sup->device = xstrdup(cc->device);
	sup->connection =
	    xstrdup(cc->connection != NULL ? cc->connection : "at");
	sup->model = xstrdup(cc->model != NULL ? cc->model : "");
	sup->pin = dup_or_null(cc->pin);
	sup->balance_ussd = dup_or_null(cc->balance_ussd);
	sup->poll_ms =
	    cc->poll_interval_ms >= 100 ? cc->poll_interval_ms : 5000;
	if (sup->poll_ms > INT32_MAX)
		sup->poll_ms = INT32_MAX;
	sup->mp_timeout_ms =
	    cc->multipart_timeout_ms >= 0 ? cc->multipart_timeout_ms : 600000;
	if (sup->mp_timeout_ms > INT64_MAX / 4)
		sup->mp_timeout_ms = INT64_MAX / 4;
	sup->balance_interval_ms = cc->balance_interval_ms;
	sup->balance_alert = cc->balance_alert;
	if (cc->rate.count > 0 && cc->rate.period_ms > 0)
		sup->rate_gap_ms = cc->rate.period_ms / cc->rate.count;
	sup->backoff_ms = MODEM_BACKOFF_MIN_MS;
	STAILQ_INIT(&sup->queue);
	modem_proto_reader_init(&sup->rd);

	t[0] = &sup->watchdog;
	t[1] = &sup->restart;
	t[2] = &sup->pace;
	t[3] = &sup->balance;
	t[4] = &sup->grace;
	for (i = 0; i < nitems(t); i++) {
		uv_timer_init(loop, t[i]);
		t[i]->data = sup;
	}
	sup->timers_open = (int)nitems(t);
	/* The balance timer starts when the modem comes up (arm_balance). */
	spawn(sup);
	return sup;
}

int
modem_send(struct modem_supervisor *sup, int64_t msg_id, const char *to,
    const char *text, int report)
{
	struct send_item *it;

	if (to == NULL || text == NULL || to[0] == '\0' ||
	    strlen(to) > MODEM_PROTO_MAX_NUMBER ||
	    strlen(text) > MODEM_PROTO_MAX_TEXT)
		return -2;
	if (sup->stopping || !sup->worker || !sup->up ||
	    sup->q_len >= MODEM_MAX_QUEUE)
		return -1;
	it = xcalloc(1, sizeof(*it));
	it->id = msg_id;
	it->to = xstrdup(to);
	it->text = xstrdup(text);
	it->report = report != 0;
	STAILQ_INSERT_TAIL(&sup->queue, it, entry);
	sup->q_len++;
	/* Never call on_sent from here: dispatch only writes a frame. */
	dispatch(sup);
	return 0;
}

int
modem_ack(struct modem_supervisor *sup, uint64_t id)
{
	struct modem_msg m;

	if (sup->stopping || !sup->worker || (uint32_t)(id >> 32) != sup->gen ||
	    (id & 0xffffffffu) == 0)
		return -1;
	memset(&m, 0, sizeof(m));
	m.type = MODEM_MSG_ACK;
	m.id = (int64_t)(id & 0xffffffffu);
	return write_frame(sup, &m);
}

int
modem_balance(struct modem_supervisor *sup)
{
	struct modem_msg m;

	if (sup->stopping || !sup->worker)
		return -1;
	memset(&m, 0, sizeof(m));
	m.type = MODEM_MSG_BALANCE;
	sup->balance_asked = mono_ms();
	return write_frame(sup, &m);
}

int
modem_supervisor_up(const struct modem_supervisor *sup)
{
	return sup->worker && sup->up && !sup->stopping;
}

int
modem_supervisor_pid(const struct modem_supervisor *sup)
{
	return sup->worker ? sup->pid : 0;
}

const char *
modem_supervisor_network(const struct modem_supervisor *sup)
{
	return sup->network;
}

void
modem_supervisor_stop(struct modem_supervisor *sup)
{
	struct send_item *it;
	struct modem_msg m;

	if (sup == NULL || sup->stopping)
		return;
	sup->stopping = 1;
	uv_timer_stop(&sup->restart);
	uv_timer_stop(&sup->pace);
	uv_timer_stop(&sup->balance);
	/* No callbacks from now on: drop what is queued silently. */
	while ((it = STAILQ_FIRST(&sup->queue)) != NULL) {
		STAILQ_REMOVE_HEAD(&sup->queue, entry);
		item_free(it);
	}
	sup->q_len = 0;
	if (sup->inflight != NULL) {
		item_free(sup->inflight);
		sup->inflight = NULL;
	}
	if (!sup->worker) {
		close_timers(sup);
		return;
	}
	memset(&m, 0, sizeof(m));
	m.type = MODEM_MSG_STOP;
	(void)write_frame(sup, &m);
	uv_timer_start(&sup->grace, on_grace, MODEM_STOP_GRACE_MS, 0);
}
