/*
 * worker.c: the modem worker, one process per modem, the only code that
 * calls libGammu.
 *
 * libGammu keeps static buffers and a shared model table, so two state
 * machines in one process race; a crash inside it must not take the
 * gateway down either. The supervisor (supervisor.c) therefore runs this
 * code as `baraza modem-worker --fd N` and speaks the framed protocol of
 * proto.h over the socket N.
 *
 * The worker is a single-threaded poll() loop: it reads frames from the
 * gateway, keeps the modem connected (reconnecting with backoff after a
 * modem error), sends one queued message at a time, polls the phone's
 * inbox every poll_interval, and emits a heartbeat every few seconds, also
 * from inside long operations, so a worker that stops emitting them is
 * stuck and the supervisor kills it.
 *
 * Inbound: every poll reads the whole inbox (GSM_GetNextSMS). Parts are
 * grouped by (sender, concatenation reference, part count) from the UDH
 * bytes themselves, so parts of different senders sharing a reference are
 * never joined (GSM_LinkSMS can join them, restarts its scan after every
 * match, and cannot tell a complete message from an incomplete one, so it
 * is not used). A message is handed over (`inbound`) when all its parts
 * are there, or when multipart_timeout has passed since its first part was
 * seen (then with the parts there are). It is deleted from the phone only
 * when the gateway answers `ack`; until then later polls skip its parts,
 * and it is offered again (same id and key) every W_REOFFER_MS.
 * A message handed over but never acknowledged (the worker died) is handed
 * over again by the next worker: the `key` member, derived from the
 * message's content and SMSC time stamp, lets the gateway drop it.
 *
 * Outbound: GSM_EncodeMultiPartSMS in GSM-7 unless the text needs UCS-2
 * (gsm_count decides, as it does for the gateway's segment counts), our own
 * 8-bit concatenation reference counter (libGammu's repeats within a
 * second), a send-status callback and a timeout per part.
 */
#include <gammu.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/queue.h>
#include <time.h>
#include <unistd.h>

#include "lib/gsm.h"
#include "lib/log.h"
#include "lib/util.h"
#include "modem/proto.h"
#include "modem/supervisor.h"

#define W_HEARTBEAT_MS 5000       /* between heartbeats */
#define W_PART_TIMEOUT_MS 20000   /* to wait for one part's send status */
#define W_USSD_TIMEOUT_MS 20000   /* to wait for a USSD answer */
#define W_BACKOFF_MIN_MS 1000     /* first reconnect delay */
#define W_BACKOFF_MAX_MS 60000    /* longest reconnect delay */
#define W_CONFIG_TIMEOUT_MS 30000 /* for the config frame at start */
#define W_WRITE_TIMEOUT_MS 30000  /* for the gateway to drain the pipe */
#define W_MAX_PENDING 20000       /* inbound messages held at once */
#define W_MAX_OUTQ 1000           /* send requests queued */
#define W_MAX_EXTRA 64            /* duplicate parts kept per message */
#define W_REOFFER_MS 300000       /* offer an unacked message again */
#define W_IDLE_MS 1000            /* longest sleep while connected */

/* Where one SMS sits on the phone, to delete it. */
struct loc {
	int folder;            /* libGammu folder */
	int location;          /* libGammu location, -1 once deleted */
	GSM_MemoryType memory; /* SIM or phone memory */
};

/* One part of an inbound message. */
struct part {
	int present;    /* 1 when this part has been read */
	struct loc loc; /* where it sits on the phone */
	char *text;     /* UTF-8 */
};

/* An inbound message being assembled, or handed over and not yet acked. */
struct inmsg {
	TAILQ_ENTRY(inmsg) entry; /* in the worker's list, arrival order */
	char *from;               /* sender, UTF-8 */
	long ref;                 /* concatenation reference, -1 for single */
	int total;                /* parts announced, 1 for single */
	int nparts;               /* parts present */
	struct part *parts;       /* total slots, by part number - 1 */
	struct loc *extra;  /* duplicate copies of parts, deleted on ack */
	int nextra;         /* their number */
	int64_t first_seen; /* mono_ms when the first part was read */
	char time[40];      /* SMSC time stamp of the first part read */
	int64_t id;         /* worker-local id once handed over, else 0 */
	int64_t handed_at;  /* mono_ms of the last handover */
	int acked;          /* 1: ack came, deleting failed, retry */
	int report;         /* 1: a delivery report, not a message */
	int msg_ref;        /* report: the reference of the message sent */
	int tp_status;      /* report: its TP-Status */
};

/* A send request. */
struct outmsg {
	STAILQ_ENTRY(outmsg) entry; /* in the worker's queue */
	int64_t id;                 /* the gateway's message id */
	char *to;                   /* recipient, UTF-8 */
	char *text;                 /* UTF-8 */
	int report;                 /* ask for a delivery report */
};

struct worker {
	int fd;         /* the protocol socket */
	int configured; /* the config frame came */
	int quit;       /* leave the main loop */
	int status;     /* exit status: 1 after a protocol error */
	char *name;     /* channel name, for logs */
	/* Config, from the config frame. */
	char *device, *connection, *model, *pin, *balance_ussd;
	int64_t poll_ms;       /* poll_interval */
	int64_t mp_timeout_ms; /* multipart_timeout */
	int dummy;             /* model = dummy */

	GSM_StateMachine *sm; /* NULL while disconnected */
	int64_t reconnect_at; /* mono_ms of the next connect attempt */
	int64_t backoff_ms;   /* next reconnect delay */
	int64_t next_poll;    /* mono_ms of the next inbox poll */
	int64_t next_hb;      /* mono_ms of the next heartbeat */
	int poll_now;         /* incoming SMS callback fired */
	int signal;           /* last signal percent */
	const char *network;  /* last network state */
	char smsc[64];        /* SMS centre, UTF-8, or "" */

	int send_status;          /* -2 pending, else the status callback's */
	int send_ref;             /* message reference of the last part */
	int ussd_done;            /* the USSD callback fired */
	char *ussd_text;          /* its answer, UTF-8 */
	unsigned next_concat_ref; /* our concatenation reference counter */

	struct modem_proto_reader rd; /* frames from the gateway */
	TAILQ_HEAD(, inmsg) in;       /* inbound messages, arrival order */
	int nin;                      /* their number */
	int64_t next_in_id;           /* last inbound id given */
	STAILQ_HEAD(, outmsg) outq;   /* send requests, oldest first */
	int noutq;                    /* their number */
	int balance_pending;          /* the gateway asked for the balance */
	GSM_MultiSMSMessage *ms;      /* scratch, 260 KB, allocated once */
};

static void w_send_frame(struct worker *, const struct modem_msg *);
static void w_heartbeat(struct worker *, int query);

/* Replaces invalid UTF-8 sequences in place by '?'. */
static void
utf8_sanitize(char *s)
{
	unsigned char *p = (unsigned char *)s;
	unsigned long cp;
	int n, i;

	while (*p != '\0') {
		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((*p & 0xe0) == 0xc0) {
			n = 1;
			cp = *p & 0x1f;
		} else if ((*p & 0xf0) == 0xe0) {
			n = 2;
			cp = *p & 0x0f;
		} else if ((*p & 0xf8) == 0xf0) {
			n = 3;
			cp = *p & 0x07;
		} else {
			*p++ = '?';
			continue;
		}
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				break;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if (i <= n || (n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff)) {
			*p++ = '?';
			continue;
		}
		p += n + 1;
	}
}

/* Cuts s to at most max bytes without splitting a UTF-8 sequence. */
static void
utf8_truncate(char *s, size_t max)
{
	size_t len = strlen(s);

	if (len <= max)
		return;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	s[max] = '\0';
}

/* libGammu's UCS-2 (big-endian, NUL-terminated) to UTF-8, owned by caller. */
static char *
w_utf8(const unsigned char *ucs)
{
	size_t n = 0;
	char *out;

	while (ucs[2 * n] != 0 || ucs[2 * n + 1] != 0)
		n++;
	out = xmalloc(3 * n + 4);
	EncodeUTF8(out, ucs);
	utf8_sanitize(out);
	return out;
}

/* UTF-8 to libGammu's UCS-2; the caller frees the result. */
static unsigned char *
w_ucs(const char *utf8)
{
	size_t len = strlen(utf8);
	unsigned char *out;

	out = xcalloc(2 * (len + 2), 1);
	DecodeUTF8(out, utf8, len);
	return out;
}

/* True for errors that mean the link to the modem is gone. */
static int
w_link_error(GSM_Error e)
{
	switch (e) {
	case ERR_DEVICEOPENERROR:
	case ERR_DEVICELOCKED:
	case ERR_DEVICENOTEXIST:
	case ERR_DEVICEBUSY:
	case ERR_DEVICENOPERMISSION:
	case ERR_DEVICENODRIVER:
	case ERR_DEVICENOTWORK:
	case ERR_DEVICEDTRRTSERROR:
	case ERR_DEVICECHANGESPEEDERROR:
	case ERR_DEVICEWRITEERROR:
	case ERR_DEVICEREADERROR:
	case ERR_DEVICEPARITYERROR:
	case ERR_TIMEOUT:
	case ERR_NOTCONNECTED:
	case ERR_NOSIM:
		return 1;
	default:
		return 0;
	}
}

/* Sends an `error` frame. */
static void
w_error(struct worker *w, const char *what, GSM_Error e)
{
	struct modem_msg m;
	char text[256];

	snprintf(text, sizeof(text), "%s: %s", what, GSM_ErrorString(e));
	log_warn("modem", "%s name=%s", text, w->name);
	memset(&m, 0, sizeof(m));
	m.type = MODEM_MSG_ERROR;
	m.error = text;
	m.code = (int)e;
	w_send_frame(w, &m);
}

/* Closes the connection to the modem, if any. */
static void
w_disconnect(struct worker *w)
{
	if (w->sm == NULL)
		return;
	GSM_TerminateConnection(w->sm);
	GSM_FreeStateMachine(w->sm);
	w->sm = NULL;
}

/*
 * Schedules the next connect attempt after the current delay, doubles the
 * delay (up to W_BACKOFF_MAX_MS) and sends a heartbeat.
 */
static void
w_retry(struct worker *w)
{
	w->reconnect_at = mono_ms() + w->backoff_ms;
	w->backoff_ms *= 2;
	if (w->backoff_ms > W_BACKOFF_MAX_MS)
		w->backoff_ms = W_BACKOFF_MAX_MS;
	w_heartbeat(w, 0);
}

/* A modem error: report it, disconnect and schedule a reconnect. */
static void
w_fail(struct worker *w, const char *what, GSM_Error e)
{
	w_error(w, what, e);
	w_disconnect(w);
	log_info("modem", "reconnecting name=%s in_ms=%lld", w->name,
	    (long long)w->backoff_ms);
	w_retry(w);
}

/* Writes all of data to the socket, waiting while it is full. */
static int
w_write_all(struct worker *w, const char *data, size_t len)
{
	struct pollfd pfd;
	ssize_t n;

	while (len > 0) {
		n = write(w->fd, data, len);
		if (n > 0) {
			data += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			pfd.fd = w->fd;
			pfd.events = POLLOUT;
			if (poll(&pfd, 1, W_WRITE_TIMEOUT_MS) <= 0)
				return -1;
			continue;
		}
		return -1;
	}
	return 0;
}

/* Encodes m and writes it; a dead pipe makes the worker quit. */
static void
w_send_frame(struct worker *w, const struct modem_msg *m)
{
	struct buf b;

	buf_init(&b, MODEM_PROTO_MAX_FRAME + 4);
	if (modem_proto_encode(m, &b) < 0) {
		log_error("modem", "cannot encode frame type=%s",
		    modem_proto_type_name(m->type));
		buf_free(&b);
		return;
	}
	if (w_write_all(w, b.data, b.len) < 0) {
		log_warn("modem", "pipe to gateway lost name=%s", w->name);
		w->quit = 1;
	}
	buf_free(&b);
}

/* Name of a network state. */
static const char *
w_network_name(GSM_NetworkInfo_State st)
{
	switch (st) {
	case GSM_HomeNetwork:
		return "home";
	case GSM_RoamingNetwork:
		return "roaming";
	case GSM_NoNetwork:
		return "none";
	case GSM_RegistrationDenied:
		return "denied";
	case GSM_RequestingNetwork:
		return "searching";
	default:
		return "unknown";
	}
}

/*
 * Sends a heartbeat. With query set (and the modem connected and idle),
 * first asks the modem for its signal and network, which also checks the
 * link; otherwise the last known values are sent.
 */
static void
w_heartbeat(struct worker *w, int query)
{
	struct modem_msg m;
	GSM_SignalQuality sig;
	GSM_NetworkInfo ni;
	GSM_Error e;

	if (query && w->sm != NULL) {
		memset(&sig, 0, sizeof(sig));
		e = GSM_GetSignalQuality(w->sm, &sig);
		if (e == ERR_NONE) {
			w->signal = sig.SignalPercent;
			if (w->signal < 0)
				w->signal = 0;
			if (w->signal > 100)
				w->signal = 100;
		} else if (w_link_error(e)) {
			w_fail(w, "signal quality", e);
			return;
		}
		memset(&ni, 0, sizeof(ni));
		e = GSM_GetNetworkInfo(w->sm, &ni);
		if (e == ERR_NONE)
			w->network = w_network_name(ni.State);
		else if (w_link_error(e)) {
			w_fail(w, "network info", e);
			return;
		}
	}
	memset(&m, 0, sizeof(m));
	m.type = MODEM_MSG_HEARTBEAT;
	m.up = w->sm != NULL;
	m.signal = w->sm != NULL ? w->signal : 0;
	m.network = w->sm != NULL ? w->network : "none";
	w_send_frame(w, &m);
	w->next_hb = mono_ms() + W_HEARTBEAT_MS;
}

/* A heartbeat from inside a long operation, with cached values. */
static void
w_keepalive(struct worker *w)
{
	if (mono_ms() >= w->next_hb)
		w_heartbeat(w, 0);
}

static void
on_send_status(GSM_StateMachine *sm, int status, int ref, void *arg)
{
	struct worker *w = arg;

	(void)sm;
	w->send_status = status;
	w->send_ref = ref;
}

static void
on_incoming_sms(GSM_StateMachine *sm, GSM_SMSMessage *sms, void *arg)
{
	struct worker *w = arg;

	(void)sm;
	(void)sms;
	w->poll_now = 1;
}

static void
on_ussd(GSM_StateMachine *sm, GSM_USSDMessage *ussd, void *arg)
{
	struct worker *w = arg;

	(void)sm;
	free(w->ussd_text);
	w->ussd_text = w_utf8(ussd->Text);
	w->ussd_done = 1;
}

/*
 * Makes the state machine for the configured device and connects it.
 * Returns 0, or -1 after reporting (w->sm is then NULL).
 */
static int
w_open(struct worker *w)
{
	GSM_Config *cfg;
	GSM_Error e;

	w->sm = GSM_AllocStateMachine();
	if (w->sm == NULL)
		fatalx("out of memory");
	cfg = GSM_GetConfig(w->sm, 0);
	/* libGammu frees these strings in GSM_FreeStateMachine. */
	cfg->Device = xstrdup(w->device);
	cfg->Connection = xstrdup(w->connection);
	cfg->DebugFile = NULL;
	snprintf(cfg->Model, sizeof(cfg->Model), "%s", w->model);
	cfg->DebugLevel[0] = '\0';
	cfg->SyncTime = FALSE;
	cfg->LockDevice = FALSE;
	cfg->StartInfo = FALSE;
	cfg->UseGlobalDebugFile = FALSE;
	GSM_SetConfigNum(w->sm, 1);

	e = GSM_InitConnection(w->sm, 1);
	if (e != ERR_NONE) {
		w_error(w, "connect", e);
		GSM_FreeStateMachine(w->sm);
		w->sm = NULL;
		return -1;
	}
	/* GSM_InitConnection clears the callbacks: set them only now. */
	GSM_SetSendSMSStatusCallback(w->sm, on_send_status, w);
	GSM_SetIncomingSMSCallback(w->sm, on_incoming_sms, w);
	GSM_SetIncomingUSSDCallback(w->sm, on_ussd, w);
	return 0;
}

/* Enters the PIN when the SIM asks for it. Returns 0, or -1 after reporting. */
static int
w_unlock(struct worker *w)
{
	GSM_SecurityCodeType sec;
	GSM_SecurityCode code;
	GSM_Error e;

	e = GSM_GetSecurityStatus(w->sm, &sec);
	if (e != ERR_NONE || sec == SEC_None)
		return 0;
	if (sec != SEC_Pin) {
		w_error(w, "SIM asks for a code other than the PIN",
		    ERR_SECURITYERROR);
		return -1;
	}
	if (w->pin == NULL) {
		w_error(
		    w, "SIM asks for a PIN and none is set", ERR_SECURITYERROR);
		return -1;
	}
	memset(&code, 0, sizeof(code));
	code.Type = SEC_Pin;
	snprintf(code.Code, sizeof(code.Code), "%s", w->pin);
	e = GSM_EnterSecurityCode(w->sm, &code);
	if (e != ERR_NONE) {
		w_error(w, "entering the PIN", e);
		return -1;
	}
	return 0;
}

/* Tells the gateway which modem is connected: hello, then a heartbeat. */
static void
w_hello(struct worker *w)
{
	struct modem_msg m;
	GSM_SMSC smsc;
	char imei[GSM_MAX_IMEI_LENGTH + 1], model[GSM_MAX_MODEL_LENGTH + 1];
	char *s;

	imei[0] = model[0] = '\0';
	if (GSM_GetIMEI(w->sm, imei) != ERR_NONE)
		imei[0] = '\0';
	if (GSM_GetModel(w->sm, model) != ERR_NONE)
		model[0] = '\0';
	imei[sizeof(imei) - 1] = model[sizeof(model) - 1] = '\0';
	memset(&smsc, 0, sizeof(smsc));
	smsc.Location = 1;
	w->smsc[0] = '\0';
	if (GSM_GetSMSC(w->sm, &smsc) == ERR_NONE) {
		s = w_utf8(smsc.Number);
		utf8_truncate(s, MODEM_PROTO_MAX_NUMBER);
		snprintf(w->smsc, sizeof(w->smsc), "%s", s);
		free(s);
	}
	utf8_sanitize(imei);
	utf8_sanitize(model);
	log_info("modem", "connected name=%s model=%s imei=%s", w->name, model,
	    imei);
	w->backoff_ms = W_BACKOFF_MIN_MS;
	w->next_poll = mono_ms();
	memset(&m, 0, sizeof(m));
	m.type = MODEM_MSG_HELLO;
	m.model = model;
	m.imei = imei;
	m.smsc = w->smsc[0] != '\0' ? w->smsc : NULL;
	w_send_frame(w, &m);
	w_heartbeat(w, 1);
}

/* Connects to the modem; on success sends hello and a heartbeat. */
static void
w_connect(struct worker *w)
{
	if (w_open(w) < 0) {
		w_retry(w);
		return;
	}
	if (w_unlock(w) < 0) {
		w_disconnect(w);
		w_retry(w);
		return;
	}
	/* Failures here are not fatal: not every phone supports them. */
	(void)GSM_SetIncomingSMS(w->sm, TRUE);
	(void)GSM_SetIncomingUSSD(w->sm, TRUE);
	w_hello(w);
}

/*
 * Reads the concatenation header from the UDH bytes: fills *ref (16-bit
 * references are offset by 0x10000 to keep them apart from 8-bit ones),
 * *total and *seq and returns 1, or returns 0 for a single message.
 */
static int
w_concat(const GSM_UDHHeader *udh, long *ref, int *total, int *seq)
{
	const unsigned char *t = udh->Text;
	int len, i, iei, ielen;

	if (udh->Type == UDH_NoUDH || udh->Length < 2)
		return 0;
	len = t[0] + 1;
	if (len > udh->Length)
		len = udh->Length;
	for (i = 1; i + 1 < len; i += 2 + ielen) {
		iei = t[i];
		ielen = t[i + 1];
		if (i + 2 + ielen > len)
			break;
		if (iei == 0x00 && ielen == 3) {
			*ref = t[i + 2];
			*total = t[i + 3];
			*seq = t[i + 4];
		} else if (iei == 0x08 && ielen == 4) {
			*ref = 0x10000L + (t[i + 2] << 8 | t[i + 3]);
			*total = t[i + 4];
			*seq = t[i + 5];
		} else
			continue;
		return *total > 1 && *seq >= 1 && *seq <= *total;
	}
	return 0;
}

/* True when the SMS at (folder, location) already belongs to a message. */
static int
w_known(const struct worker *w, int folder, int location)
{
	const struct inmsg *im;
	int i;

	TAILQ_FOREACH(im, &w->in, entry)
	{
		for (i = 0; i < im->total; i++)
			if (im->parts[i].present &&
			    im->parts[i].loc.folder == folder &&
			    im->parts[i].loc.location == location)
				return 1;
		for (i = 0; i < im->nextra; i++)
			if (im->extra[i].folder == folder &&
			    im->extra[i].location == location)
				return 1;
	}
	return 0;
}

/* Formats a libGammu time as ISO 8601 UTC; "" when unset. */
static void
w_time(const GSM_DateTime *dt, char *out, size_t outlen)
{
	struct tm tm;
	time_t t;

	out[0] = '\0';
	if (dt->Year < 1970 || dt->Month < 1 || dt->Month > 12 || dt->Day < 1 ||
	    dt->Day > 31)
		return;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = dt->Year - 1900;
	tm.tm_mon = dt->Month - 1;
	tm.tm_mday = dt->Day;
	tm.tm_hour = dt->Hour;
	tm.tm_min = dt->Minute;
	tm.tm_sec = dt->Second;
	t = timegm(&tm) - dt->Timezone;
	iso8601_utc((int64_t)t * 1000, out, outlen);
}

static void
w_free_inmsg(struct inmsg *im)
{
	int i;

	for (i = 0; i < im->total; i++)
		free(im->parts[i].text);
	free(im->parts);
	free(im->extra);
	free(im->from);
	free(im);
}

/*
 * Files a status report read from the phone: a final one (delivered or
 * failed) is handed over like a message and deleted once the gateway has
 * committed it; one saying the SMSC is still trying is deleted at once.
 */
static void
w_take_report(struct worker *w, GSM_SMSMessage *sms, const struct loc *loc)
{
	struct inmsg *im;

	if (modem_report_outcome(sms->DeliveryStatus) == MODEM_TEMPFAIL) {
		log_debug("modem", "status report pending name=%s ref=%d",
		    w->name, sms->MessageReference);
		if (GSM_DeleteSMS(w->sm, sms) != ERR_NONE)
			log_warn("modem", "cannot delete status report name=%s",
			    w->name);
		return;
	}
	if (w->nin >= W_MAX_PENDING) {
		log_warn("modem", "too many messages held name=%s", w->name);
		return;
	}
	im = xcalloc(1, sizeof(*im));
	im->from = w_utf8(sms->Number);
	im->ref = -1;
	im->total = 1;
	im->nparts = 1;
	im->parts = xcalloc(1, sizeof(*im->parts));
	im->parts[0].present = 1;
	im->parts[0].loc = *loc;
	im->parts[0].text = xstrdup("");
	im->first_seen = mono_ms();
	im->report = 1;
	im->msg_ref = sms->MessageReference;
	im->tp_status = sms->DeliveryStatus;
	TAILQ_INSERT_TAIL(&w->in, im, entry);
	w->nin++;
}

/* Files one SMS read from the phone into its message. */
static void
w_take(struct worker *w, GSM_SMSMessage *sms)
{
	struct inmsg *im;
	struct loc loc; /* where it sits on the phone */
	char *from, *text;
	long ref = -1;
	int total = 1, seq = 1;

	if (!sms->InboxFolder)
		return;
	if (w_known(w, sms->Folder, sms->Location))
		return;
	loc.folder = sms->Folder;
	loc.location = sms->Location;
	loc.memory = sms->Memory;
	if (sms->PDU == SMS_Status_Report) {
		w_take_report(w, sms, &loc);
		return;
	}
	if (sms->PDU != SMS_Deliver)
		return;
	if (w->nin >= W_MAX_PENDING) {
		log_warn("modem", "too many messages held name=%s", w->name);
		return;
	}
	if (!w_concat(&sms->UDH, &ref, &total, &seq)) {
		ref = -1;
		total = seq = 1;
	}
	from = w_utf8(sms->Number);
	utf8_truncate(from, MODEM_PROTO_MAX_NUMBER);
	if (sms->Coding == SMS_Coding_8bit)
		text = xstrdup(""); /* binary data: no text to pass on */
	else
		text = w_utf8(sms->Text);

	/* Find the message this part belongs to: same sender first. */
	TAILQ_FOREACH(im, &w->in, entry)
	{
		if (im->id != 0 || im->ref != ref || ref == -1 ||
		    im->total != total || strcmp(im->from, from) != 0)
			continue;
		if (!im->parts[seq - 1].present)
			break;
		if (strcmp(im->parts[seq - 1].text, text) == 0 &&
		    im->nextra < W_MAX_EXTRA) {
			/* The same part twice: delete the copy on ack. */
			im->extra = xrealloc(
			    im->extra, (im->nextra + 1) * sizeof(*im->extra));
			im->extra[im->nextra++] = loc;
			free(from);
			free(text);
			return;
		}
		/* Another message reusing the reference: keep looking. */
	}
	if (im == NULL) {
		im = xcalloc(1, sizeof(*im));
		im->from = from;
		from = NULL;
		im->ref = ref;
		im->total = total;
		im->parts = xcalloc((size_t)total, sizeof(*im->parts));
		im->first_seen = mono_ms();
		w_time(&sms->DateTime, im->time, sizeof(im->time));
		TAILQ_INSERT_TAIL(&w->in, im, entry);
		w->nin++;
	}
	free(from);
	im->parts[seq - 1].present = 1;
	im->parts[seq - 1].loc = loc;
	im->parts[seq - 1].text = text;
	im->nparts++;
}

/* A stable key for deduplication: FNV-1a 64 of the message's content. */
static void
w_key(const struct inmsg *im, const char *text, char *out, size_t outlen)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	char tmp[64];
	const char *fields[4];
	size_t f;
	const unsigned char *p;

	snprintf(tmp, sizeof(tmp), "%ld/%d", im->ref, im->total);
	fields[0] = im->from;
	fields[1] = im->time;
	fields[2] = tmp;
	fields[3] = text;
	for (f = 0; f < nitems(fields); f++) {
		for (p = (const unsigned char *)fields[f]; *p != '\0'; p++) {
			h ^= *p;
			h *= 0x100000001b3ULL;
		}
		h ^= 0xff; /* field separator */
		h *= 0x100000001b3ULL;
	}
	snprintf(out, outlen, "%016llx", (unsigned long long)h);
}

/* Hands a delivery report over to the gateway. */
static void
w_handover_report(struct worker *w, struct inmsg *im)
{
	struct modem_msg m;
	char ref[16], error[48];

	if (im->id == 0)
		im->id = ++w->next_in_id;
	im->handed_at = mono_ms();
	snprintf(ref, sizeof(ref), "%d", im->msg_ref);
	memset(&m, 0, sizeof(m));
	m.type = MODEM_MSG_REPORT;
	m.id = im->id;
	m.reference = ref;
	m.outcome = modem_report_outcome(im->tp_status);
	if (m.outcome != MODEM_OK) {
		snprintf(error, sizeof(error), "status report 0x%02x",
		    (unsigned)im->tp_status & 0xffu);
		m.error = error;
	}
	w_send_frame(w, &m);
}

/* Hands a message over to the gateway. */
static void
w_handover(struct worker *w, struct inmsg *im)
{
	struct modem_msg m;
	struct buf text, frame;
	char key[32];
	int i;

	if (im->report) {
		w_handover_report(w, im);
		return;
	}

	buf_init(&text, MODEM_PROTO_MAX_TEXT);
	for (i = 0; i < im->total; i++) {
		if (!im->parts[i].present)
			continue;
		if (buf_puts(&text, im->parts[i].text) < 0) {
			log_warn("modem", "inbound text cut name=%s", w->name);
			break;
		}
	}
	if (text.data == NULL)
		buf_puts(&text, "");
	/* buf_puts keeps whole parts; cut a part boundary cleanly. */
	utf8_truncate(text.data, MODEM_PROTO_MAX_TEXT);
	if (im->id == 0)
		im->id = ++w->next_in_id;
	im->handed_at = mono_ms();
	w_key(im, text.data, key, sizeof(key));

	memset(&m, 0, sizeof(m));
	m.type = MODEM_MSG_INBOUND;
	m.id = im->id;
	m.key = key;
	m.from = im->from;
	m.text = text.data;
	m.time = im->time[0] != '\0' ? im->time : NULL;
	m.parts = im->nparts;
	m.total = im->total;
	/* JSON escapes can make a long text too big for one frame. */
	buf_init(&frame, MODEM_PROTO_MAX_FRAME + 4);
	while (modem_proto_encode(&m, &frame) < 0 && strlen(text.data) > 0)
		utf8_truncate(text.data, strlen(text.data) / 2);
	buf_free(&frame);
	if (im->nparts < im->total)
		log_warn("modem",
		    "incomplete message handed over name=%s id=%lld parts=%d "
		    "total=%d",
		    w->name, (long long)im->id, im->nparts, im->total);
	w_send_frame(w, &m);
	buf_free(&text);
}

/* Deletes an acknowledged message's parts; 0 when all are gone. */
static int
w_delete(struct worker *w, struct inmsg *im)
{
	GSM_SMSMessage *sms = &w->ms->SMS[0];
	GSM_Error e;
	int i, failed = 0;

	for (i = 0; i < im->total + im->nextra; i++) {
		struct loc *l;

		if (i < im->total) {
			if (!im->parts[i].present)
				continue;
			l = &im->parts[i].loc;
		} else
			l = &im->extra[i - im->total];
		if (l->location < 0)
			continue; /* deleted before */
		memset(sms, 0, sizeof(*sms));
		sms->Folder = l->folder;
		sms->Location = l->location;
		sms->Memory = l->memory;
		e = GSM_DeleteSMS(w->sm, sms);
		if (e == ERR_NONE || e == ERR_EMPTY)
			l->location = -1;
		else {
			failed = 1;
			if (w_link_error(e)) {
				w_fail(w, "deleting a message", e);
				return -1;
			}
			log_warn("modem", "cannot delete message name=%s: %s",
			    w->name, GSM_ErrorString(e));
		}
	}
	return failed ? -1 : 0;
}

/* Removes im from the inbound list and frees it. */
static void
w_drop(struct worker *w, struct inmsg *im)
{
	TAILQ_REMOVE(&w->in, im, entry);
	w->nin--;
	w_free_inmsg(im);
}

/* The gateway committed inbound message id: delete it from the phone. */
static void
w_ack(struct worker *w, int64_t id)
{
	struct inmsg *im;

	TAILQ_FOREACH(im, &w->in, entry)
	if (im->id == id)
		break;
	if (im == NULL) {
		log_debug("modem", "ack for unknown id name=%s id=%lld",
		    w->name, (long long)id);
		return;
	}
	im->acked = 1;
	if (w->sm == NULL)
		return; /* deleted after reconnecting */
	if (w_delete(w, im) == 0)
		w_drop(w, im);
}

/* Reads the whole inbox and hands over what is ready. */
static void
w_poll_inbox(struct worker *w)
{
	struct inmsg *im, *next;
	GSM_Error e;
	int64_t now;
	gboolean start = TRUE;
	int i, n = 0;

	w->poll_now = 0;
	/* First retry deleting acknowledged messages. */
	for (im = TAILQ_FIRST(&w->in); im != NULL && w->sm != NULL; im = next) {
		next = TAILQ_NEXT(im, entry);
		if (im->acked && w_delete(w, im) == 0)
			w_drop(w, im);
	}
	if (w->sm == NULL)
		return;
	memset(&w->ms->SMS[0], 0, sizeof(w->ms->SMS[0]));
	w->ms->Number = 0;
	for (;;) {
		e = GSM_GetNextSMS(w->sm, w->ms, start);
		start = FALSE;
		if (e == ERR_EMPTY)
			break;
		if (e != ERR_NONE) {
			if (w_link_error(e)) {
				w_fail(w, "reading messages", e);
				return;
			}
			log_warn("modem", "reading messages name=%s: %s",
			    w->name, GSM_ErrorString(e));
			break;
		}
		for (i = 0; i < w->ms->Number && i < GSM_MAX_MULTI_SMS; i++)
			w_take(w, &w->ms->SMS[i]);
		if (++n % 32 == 0)
			w_keepalive(w);
		if (w->quit)
			return;
	}
	now = mono_ms();
	for (im = TAILQ_FIRST(&w->in); im != NULL && !w->quit;
	     im = TAILQ_NEXT(im, entry)) {
		if (im->id != 0) {
			/* Not acked for long: the gateway may have lost it. */
			if (!im->acked && now - im->handed_at >= W_REOFFER_MS)
				w_handover(w, im);
		} else if (im->nparts == im->total ||
			   now - im->first_seen >= w->mp_timeout_ms)
			w_handover(w, im);
		w_keepalive(w);
	}
}

/* Maps a send status (a +CMS ERROR code for AT modems) to an outcome. */
static enum modem_outcome
w_status_outcome(int status)
{
	switch (status) {
	case 1:   /* unassigned number */
	case 8:   /* operator determined barring */
	case 10:  /* call barred */
	case 21:  /* short message transfer rejected */
	case 29:  /* facility rejected */
	case 30:  /* unknown subscriber */
	case 50:  /* requested facility not subscribed */
	case 96:  /* invalid mandatory information */
	case 304: /* invalid PDU mode parameter */
	case 305: /* invalid text mode parameter */
		return MODEM_PERMFAIL;
	default:
		return MODEM_TEMPFAIL;
	}
}

static void
w_sent(struct worker *w, int64_t id, enum modem_outcome o, const char *error,
    const char *reference)
{
	struct modem_msg m;

	memset(&m, 0, sizeof(m));
	m.type = MODEM_MSG_SENT;
	m.id = id;
	m.outcome = o;
	m.error = error;
	m.reference = reference;
	w_send_frame(w, &m);
}

/*
 * Encodes o's text into w->ms: GSM-7 unless it needs UCS-2, in as many
 * concatenated parts as it takes. Returns 0, or -1 after reporting o.
 */
static int
w_encode(struct worker *w, const struct outmsg *o)
{
	GSM_MultiPartSMSInfo info;
	struct gsm_info gi;
	unsigned char *utext;
	char err[160];
	GSM_Error e;

	gsm_count(o->text, &gi);
	utext = w_ucs(o->text);
	GSM_ClearMultiPartSMSInfo(&info);
	info.EntriesNum = 1;
	info.Class = -1;
	info.UnicodeCoding = gi.encoding == GSM_ENC_UCS2;
	info.Entries[0].ID = SMS_ConcatenatedTextLong;
	info.Entries[0].Buffer = utext;
	memset(w->ms, 0, sizeof(*w->ms));
	e = GSM_EncodeMultiPartSMS(NULL, &info, w->ms);
	free(utext);
	if (e != ERR_NONE || w->ms->Number < 1) {
		snprintf(
		    err, sizeof(err), "cannot encode: %s", GSM_ErrorString(e));
		w_sent(w, o->id, MODEM_PERMFAIL, err, NULL);
		return -1;
	}
	return 0;
}

/*
 * Addresses part p of w->ms to unum (UCS-2) through our SMS centre, with
 * our concatenation reference ref, asking for a report when report is set.
 */
static void
w_address(struct worker *w, GSM_SMSMessage *p, int ref,
    const unsigned char *unum, int report)
{
	unsigned char *us;

	if (w->ms->Number > 1 && p->UDH.Type == UDH_ConcatenatedMessages &&
	    p->UDH.Length >= 6 && p->UDH.Text[1] == 0x00) {
		p->UDH.Text[3] = (unsigned char)ref;
		p->UDH.ID8bit = ref;
	}
	CopyUnicodeString(p->Number, unum);
	if (w->smsc[0] != '\0') {
		us = w_ucs(w->smsc);
		CopyUnicodeString(p->SMSC.Number, us);
		free(us);
		p->SMSC.Location = 0;
	} else
		p->SMSC.Location = 1;
	/* libGammu asks for a report when PDU is a status report. */
	p->PDU = report ? SMS_Status_Report : SMS_Submit;
}

/*
 * Sends part i of w->ms for o and waits for its send status. Returns 0
 * (the part's reference is then in w->send_ref), or -1 after reporting
 * o's outcome.
 */
static int
w_send_part(struct worker *w, const struct outmsg *o, int i)
{
	int n = w->ms->Number;
	struct modem_msg m;
	char err[160];
	int64_t deadline;
	GSM_Error e;

	memset(&m, 0, sizeof(m));
	m.type = MODEM_MSG_SENDING;
	m.id = o->id;
	m.part = i + 1;
	m.parts = n;
	w_send_frame(w, &m);

	w->send_status = -2;
	w->send_ref = -1;
	e = GSM_SendSMS(w->sm, &w->ms->SMS[i]);
	if (e != ERR_NONE) {
		snprintf(err, sizeof(err), "part %d/%d: %s", i + 1, n,
		    GSM_ErrorString(e));
		w_sent(w, o->id,
		    e == ERR_INVALIDDATA ? MODEM_PERMFAIL : MODEM_TEMPFAIL, err,
		    NULL);
		if (w_link_error(e))
			w_fail(w, "sending", e);
		return -1;
	}
	deadline = mono_ms() + W_PART_TIMEOUT_MS;
	while (w->send_status == -2 && mono_ms() < deadline && !w->quit) {
		GSM_ReadDevice(w->sm, TRUE);
		w_keepalive(w);
	}
	if (w->send_status == -2) {
		snprintf(err, sizeof(err), "part %d/%d: no send status in time",
		    i + 1, n);
		w_sent(w, o->id, MODEM_TEMPFAIL, err, NULL);
		w_fail(w, "sending", ERR_TIMEOUT);
		return -1;
	}
	if (w->send_status != 0) {
		snprintf(err, sizeof(err), "part %d/%d: status %d", i + 1, n,
		    w->send_status);
		w_sent(w, o->id, w_status_outcome(w->send_status), err, NULL);
		return -1;
	}
	return 0;
}

/*
 * The dummy driver records nothing on send: files a copy of the sent part
 * p in its Outbox folder (sms/2) for tests.
 */
static void
w_dummy_outbox(struct worker *w, const GSM_SMSMessage *p)
{
	GSM_SMSMessage copy = *p;

	copy.Folder = 2;
	copy.Location = 0;
	copy.State = SMS_Sent;
	copy.PDU = SMS_Submit;
	copy.InboxFolder = FALSE;
	(void)GSM_AddSMS(w->sm, &copy);
}

/* Sends one message, all its parts, and reports the outcome. */
static void
w_send(struct worker *w, struct outmsg *o)
{
	char refs[16];
	unsigned char *unum;
	int i, ref;

	if (w->sm == NULL) {
		w_sent(w, o->id, MODEM_TEMPFAIL, "modem not connected", NULL);
		return;
	}
	if (w_encode(w, o) < 0)
		return;
	unum = w_ucs(o->to);
	/* Our own reference: libGammu's repeats within a second. */
	ref = (int)(w->next_concat_ref++ & 0xff);
	refs[0] = '\0';
	for (i = 0; i < w->ms->Number; i++) {
		w_address(w, &w->ms->SMS[i], ref, unum, o->report);
		if (w_send_part(w, o, i) < 0) {
			free(unum);
			return;
		}
		if (w->dummy)
			w_dummy_outbox(w, &w->ms->SMS[i]);
	}
	free(unum);
	/* A delivery report names the last part's reference. */
	if (w->send_ref >= 0)
		snprintf(refs, sizeof(refs), "%d", w->send_ref);
	log_debug("modem", "sent name=%s id=%lld parts=%d", w->name,
	    (long long)o->id, w->ms->Number);
	w_sent(w, o->id, MODEM_OK, NULL, refs[0] != '\0' ? refs : NULL);
}

/* Dials the balance code and reports the answer. */
static void
w_balance(struct worker *w)
{
	struct modem_msg m;
	char *code, err[160];
	int64_t deadline;
	GSM_Error e;

	w->balance_pending = 0;
	memset(&m, 0, sizeof(m));
	m.type = MODEM_MSG_BALANCE;
	if (w->balance_ussd == NULL) {
		m.error = "no balance_ussd configured";
		w_send_frame(w, &m);
		return;
	}
	if (w->sm == NULL) {
		m.error = "modem not connected";
		w_send_frame(w, &m);
		return;
	}
	w->ussd_done = 0;
	code = xstrdup(w->balance_ussd);
	e = GSM_DialService(w->sm, code);
	free(code);
	if (e != ERR_NONE) {
		snprintf(err, sizeof(err), "dialling: %s", GSM_ErrorString(e));
		m.error = err;
		w_send_frame(w, &m);
		if (w_link_error(e))
			w_fail(w, "dialling the balance code", e);
		return;
	}
	deadline = mono_ms() + W_USSD_TIMEOUT_MS;
	while (!w->ussd_done && mono_ms() < deadline && !w->quit) {
		GSM_ReadDevice(w->sm, TRUE);
		w_keepalive(w);
	}
	if (!w->ussd_done) {
		m.error = "no answer in time";
		w_send_frame(w, &m);
		return;
	}
	utf8_truncate(w->ussd_text, MODEM_PROTO_MAX_STRING);
	m.text = w->ussd_text;
	w_send_frame(w, &m);
}

/* Handles one frame from the gateway. */
static int
w_on_msg(const struct modem_msg *m, void *arg)
{
	struct worker *w = arg;
	struct outmsg *o;

	switch (m->type) {
	case MODEM_MSG_CONFIG:
		if (w->configured) {
			log_warn("modem", "second config frame ignored");
			break;
		}
		w->device = xstrdup(m->device);
		w->connection = xstrdup(m->connection);
		w->model = xstrdup(m->model);
		w->pin = m->pin != NULL ? xstrdup(m->pin) : NULL;
		w->balance_ussd =
		    m->balance_ussd != NULL ? xstrdup(m->balance_ussd) : NULL;
		w->poll_ms = m->poll_interval_ms;
		w->mp_timeout_ms = m->multipart_timeout_ms;
		w->dummy = str_ieq(w->model, "dummy");
		w->configured = 1;
		break;
	case MODEM_MSG_SEND:
		if (w->noutq >= W_MAX_OUTQ) {
			w_sent(w, m->id, MODEM_TEMPFAIL, "worker queue full",
			    NULL);
			break;
		}
		o = xcalloc(1, sizeof(*o));
		o->id = m->id;
		o->to = xstrdup(m->to);
		o->text = xstrdup(m->text);
		o->report = m->report;
		STAILQ_INSERT_TAIL(&w->outq, o, entry);
		w->noutq++;
		break;
	case MODEM_MSG_ACK:
		w_ack(w, m->id);
		break;
	case MODEM_MSG_BALANCE:
		w->balance_pending = 1;
		break;
	case MODEM_MSG_STOP:
		w->quit = 1;
		break;
	default:
		log_warn("modem", "unexpected frame type=%s",
		    modem_proto_type_name(m->type));
		break;
	}
	return 0;
}

/* Reads what the socket holds; sets quit on EOF or a bad frame. */
static void
w_read(struct worker *w)
{
	char data[16384];
	ssize_t n;

	for (;;) {
		n = read(w->fd, data, sizeof(data));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			if (n < 0)
				log_warn(
				    "modem", "pipe read: %s", strerror(errno));
			w->quit = 1;
			return;
		}
		if (modem_proto_feed(&w->rd, data, (size_t)n, w_on_msg, w) <
		    0) {
			log_error(
			    "modem", "bad frame from gateway: %s", w->rd.error);
			w->status = 1;
			w->quit = 1;
			return;
		}
		if (w->quit)
			return;
	}
}

/* Milliseconds until the next timed task, for poll(). */
static int
w_timeout(struct worker *w)
{
	int64_t now = mono_ms(), next = w->next_hb;

	if (w->noutq > 0 || w->balance_pending || w->poll_now)
		return 0;
	if (w->configured && w->sm == NULL && w->reconnect_at < next)
		next = w->reconnect_at;
	if (w->sm != NULL && w->next_poll < next)
		next = w->next_poll;
	/* Wake up now and then to read the modem's unsolicited lines. */
	if (w->sm != NULL && now + W_IDLE_MS < next)
		next = now + W_IDLE_MS;
	if (next <= now)
		return 0;
	if (next - now > 60000)
		return 60000;
	return (int)(next - now);
}

static void
w_usage(void)
{
	fprintf(stderr, "usage: baraza modem-worker --fd N [--name NAME] "
			"[--log-level LEVEL]\n");
}

/*
 * Reads the command line into w and *fdp. Returns 0, or 2 after printing
 * the usage.
 */
static int
w_args(struct worker *w, int argc, char **argv, int *fdp)
{
	char *end;
	long fd = -1;
	int i, level;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--fd") == 0 && i + 1 < argc) {
			errno = 0;
			fd = strtol(argv[++i], &end, 10);
			if (errno != 0 || *end != '\0' || fd < 0 ||
			    fd > INT_MAX) {
				w_usage();
				return 2;
			}
		} else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
			w->name = argv[++i];
		else if (strcmp(argv[i], "--log-level") == 0 && i + 1 < argc) {
			level = log_level_parse(argv[++i]);
			if (level < 0) {
				w_usage();
				return 2;
			}
			log_set_level(level);
		} else {
			w_usage();
			return 2;
		}
	}
	if (fd < 0) {
		w_usage();
		return 2;
	}
	*fdp = (int)fd;
	return 0;
}

/* Waits for the config frame, which must come first. */
static void
w_wait_config(struct worker *w)
{
	struct pollfd pfd;
	int64_t start = mono_ms();

	while (!w->configured && !w->quit) {
		if (mono_ms() - start > W_CONFIG_TIMEOUT_MS) {
			log_error("modem", "no config from gateway");
			w->status = 1;
			w->quit = 1;
			break;
		}
		pfd.fd = w->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 1000) > 0)
			w_read(w);
	}
}

static void
w_free_outmsg(struct outmsg *o)
{
	free(o->to);
	free(o->text);
	free(o);
}

/*
 * Sends the oldest queued message (one per turn keeps the pipe answered),
 * or, while the modem is not connected, fails every queued one.
 */
static void
w_send_queued(struct worker *w)
{
	struct outmsg *o;

	if (w->sm != NULL) {
		o = STAILQ_FIRST(&w->outq);
		STAILQ_REMOVE_HEAD(&w->outq, entry);
		w->noutq--;
		w_send(w, o);
		w_free_outmsg(o);
		return;
	}
	while ((o = STAILQ_FIRST(&w->outq)) != NULL) {
		STAILQ_REMOVE_HEAD(&w->outq, entry);
		w_sent(w, o->id, MODEM_TEMPFAIL, "modem not connected", NULL);
		w_free_outmsg(o);
	}
	w->noutq = 0;
}

/* One turn of the main loop: frames, the connection, then due work. */
static void
w_turn(struct worker *w)
{
	struct pollfd pfd;

	pfd.fd = w->fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (poll(&pfd, 1, w_timeout(w)) > 0)
		w_read(w);
	if (w->quit)
		return;
	if (w->sm == NULL && mono_ms() >= w->reconnect_at)
		w_connect(w);
	if (w->sm != NULL)
		(void)GSM_ReadDevice(w->sm, FALSE); /* fires callbacks */
	if (!STAILQ_EMPTY(&w->outq))
		w_send_queued(w);
	if (w->balance_pending && !w->quit)
		w_balance(w);
	if (w->sm != NULL && !w->quit &&
	    (w->poll_now || mono_ms() >= w->next_poll)) {
		w_poll_inbox(w);
		w->next_poll = mono_ms() + w->poll_ms;
	}
	if (!w->quit && mono_ms() >= w->next_hb)
		w_heartbeat(w, 1);
}

/* Frees what the worker holds, after the modem is disconnected. */
static void
w_free(struct worker *w)
{
	struct outmsg *o;
	struct inmsg *im;

	while ((o = STAILQ_FIRST(&w->outq)) != NULL) {
		STAILQ_REMOVE_HEAD(&w->outq, entry);
		w_free_outmsg(o);
	}
	while ((im = TAILQ_FIRST(&w->in)) != NULL) {
		TAILQ_REMOVE(&w->in, im, entry);
		w_free_inmsg(im);
	}
	modem_proto_reader_free(&w->rd);
	free(w->ms);
	free(w->ussd_text);
	free(w->device);
	free(w->connection);
	free(w->model);
	free(w->pin);
	free(w->balance_ussd);
}

int
modem_worker_main(int argc, char **argv)
{
	struct worker w;
	int fd, flags, rc;

	memset(&w, 0, sizeof(w));
	w.name = "modem";
	if ((rc = w_args(&w, argc, argv, &fd)) != 0)
		return rc;
	w.fd = fd;
	/* Run as /proc/self/exe (the gateway's own binary, even replaced
	   by an upgrade since): named for ps and top, not "exe". */
	(void)prctl(PR_SET_NAME, "baraza-modem", 0, 0, 0);
	flags = fcntl(w.fd, F_GETFL);
	if (flags < 0 || fcntl(w.fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		log_error("modem", "bad --fd %d: %s", w.fd, strerror(errno));
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	modem_proto_reader_init(&w.rd);
	TAILQ_INIT(&w.in);
	STAILQ_INIT(&w.outq);
	w.ms = xcalloc(1, sizeof(*w.ms));
	w.backoff_ms = W_BACKOFF_MIN_MS;
	w.network = "unknown";
	w.next_in_id = 0;
	w.next_concat_ref = (unsigned)(getpid() ^ (unsigned)now_ms());

	w_wait_config(&w);
	w.reconnect_at = mono_ms();
	w.next_hb = mono_ms();
	while (!w.quit)
		w_turn(&w);

	log_info("modem", "worker exiting name=%s", w.name);
	w_disconnect(&w);
	w_free(&w);
	return w.status;
}
