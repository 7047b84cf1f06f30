/*
 * modems.c: the gateway's side of its GSM modems. Each `type = gammu`
 * channel gets a supervisor (modem/supervisor.c) that runs its worker
 * process; this file connects it to the rest of the gateway: inbound
 * messages go through ingress (and are deleted from the phone only after
 * their commit), the dispatcher sends the channel's queue through it, and
 * its state feeds the dispatcher (a down modem's queue waits or goes to the
 * fallback channel) and the metrics.
 */
#include <stdlib.h>
#include <string.h>

#include "dispatch.h"
#include "gateway.h"
#include "ingress.h"
#include "log.h"
#include "modem/supervisor.h"
#include "modems.h"
#include "util.h"

struct modem {
	struct gateway			*gw;
	const struct channel_config	*cc;
	size_t				 index;	/* in cfg->channels */
	struct modem_supervisor		*sup;
};

/* An inbound message waiting for its commit, to be acked to the worker. */
struct pending_ack {
	struct modem	*m;
	uint64_t	 id;
};

static void
on_committed(void *arg, const struct ingress_result *res)
{
	struct pending_ack *p = arg;

	/* Only a durable message may leave the phone. */
	if (res->status == 200 && p->m->sup != NULL)
		modem_ack(p->m->sup, p->id);
	free(p);
}

static void
on_inbound(struct modem_supervisor *sup, const struct modem_inbound *in,
    void *arg)
{
	struct modem *m = arg;
	struct ingress_sms sms;
	struct pending_ack *p;
	const char *why = NULL;
	int rc;

	(void)sup;
	memset(&sms, 0, sizeof(sms));
	sms.channel = m->cc->name;
	sms.from = in->from;
	sms.text = in->text;
	sms.provider_id = in->key; /* stable across worker restarts */
	p = xmalloc(sizeof(*p));
	p->m = m;
	p->id = in->id;
	rc = ingress_sms(m->gw, &sms, on_committed, p, &why);
	if (rc == -400) {
		/*
		 * A sender that is no phone number (a network's name) can
		 * never be answered: drop it from the phone, after a log line.
		 */
		log_warn("modem", "message refused channel=%s reason=\"%s\"",
		    m->cc->name, why ? why : "-");
		modem_ack(m->sup, in->id);
		free(p);
	} else if (rc != 0) {
		/* The store is unavailable: the worker offers it again. */
		free(p);
	}
}

static void
on_sent(struct modem_supervisor *sup, int64_t msg_id, enum modem_outcome oc,
    const char *error, void *arg)
{
	struct modem *m = arg;
	enum provider_outcome po = oc == MODEM_OK ? PROVIDER_OK :
	    oc == MODEM_TEMPFAIL		    ? PROVIDER_TEMPFAIL :
						      PROVIDER_PERMFAIL;

	(void)sup;
	dispatch_done(m->gw->dispatch, m->cc->name, msg_id, po, NULL, error);
}

static void
on_state(struct modem_supervisor *sup, int up, int signal, void *arg)
{
	struct modem *m = arg;
	struct gateway_modem *gm = &m->gw->modems[m->index];

	(void)sup;
	if (!gm->known || gm->up != up)
		log_info("modem", "modem %s channel=%s signal=%d",
		    up ? "up" : "down", m->cc->name, signal);
	gm->known = 1;
	gm->up = up;
	gm->signal = signal;
	dispatch_set_up(m->gw->dispatch, m->cc->name, up);
}

static void
on_balance(struct modem_supervisor *sup, const char *text, void *arg)
{
	struct modem *m = arg;

	(void)sup;
	/* The operator's text holds no one's message; it is kept short. */
	log_info("modem", "airtime balance channel=%s answer=\"%.120s\"",
	    m->cc->name, text ? text : "");
}

static int
send_cb(void *arg, int64_t id, const char *to, const char *text)
{
	struct modem *m = arg;

	return modem_send(m->sup, id, to, text, 0) == 0 ? 0 : -1;
}

void
modems_start(struct gateway *gw)
{
	const struct config *cfg = gw->cfg;
	size_t i;

	gw->modem_list = xcalloc(cfg->nchannels + 1, sizeof(*gw->modem_list));
	for (i = 0; i < cfg->nchannels; i++) {
		const struct channel_config *cc = &cfg->channels[i];
		struct modem_callbacks cb;
		struct modem *m;

		if (cc->type != CHANNEL_GAMMU)
			continue;
		m = xcalloc(1, sizeof(*m));
		m->gw = gw;
		m->cc = cc;
		m->index = i;
		memset(&cb, 0, sizeof(cb));
		cb.on_inbound = on_inbound;
		cb.on_sent = on_sent;
		cb.on_state = on_state;
		cb.on_balance = on_balance;
		cb.arg = m;
		m->sup = modem_supervisor_start(gw->loop, cc, gw->exe_path, &cb);
		if (m->sup == NULL) {
			log_error("modem", "cannot supervise channel=%s",
			    cc->name);
			free(m);
			continue;
		}
		dispatch_set_sender(gw->dispatch, cc->name, send_cb, m);
		gw->modem_list[gw->nmodems++] = m;
	}
}

void
modems_stop(struct gateway *gw)
{
	size_t i;

	for (i = 0; i < gw->nmodems; i++) {
		modem_supervisor_stop(gw->modem_list[i]->sup);
		gw->modem_list[i]->sup = NULL;
		free(gw->modem_list[i]);
	}
	free(gw->modem_list);
	gw->modem_list = NULL;
	gw->nmodems = 0;
}
