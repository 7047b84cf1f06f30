/*
 * events.c: events written to the store for the [event NAME] sections that
 * ask for them, and the JSON they carry (see events.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/answer.h"
#include "gateway/events.h"
#include "lib/log.h"
#include "lib/scrub.h"
#include "lib/util.h"

static struct events_counters counters;

/*
 * The sender of this process, when one runs (council/event_sender.c). Every
 * event is written on the loop thread that owns it.
 */
static void (*wake_fn)(void *);
static void *wake_arg;

void
events_set_wake(void (*wake)(void *), void *arg)
{
	wake_fn = wake;
	wake_arg = wake != NULL ? arg : NULL;
}

struct events_counters *
events_counters(void)
{
	return &counters;
}

/* 1 when a section of cfg asks for events of kind k. */
static int
wanted(const struct config *cfg, enum config_event_kind k)
{
	size_t i;

	for (i = 0; cfg != NULL && i < cfg->nevents; i++)
		if (config_event_wants(&cfg->events[i], k))
			return 1;
	return 0;
}

/* 1 when a section asking for events of kind k wants phone numbers. */
static int
wanted_with_phone(const struct config *cfg, enum config_event_kind k)
{
	size_t i;

	for (i = 0; i < cfg->nevents; i++)
		if (config_event_wants(&cfg->events[i], k) &&
		    cfg->events[i].with_phone)
			return 1;
	return 0;
}

/* A text someone typed: whole with_phone, else its numbers removed. */
static json_t *
typed(const char *s, int with_phone)
{
	char *c;
	json_t *j;

	if (with_phone || s == NULL)
		return answer_string(s);
	c = scrub_numbers(s);
	j = answer_string(c);
	free(c);
	return j;
}

static json_t *
jtime(int64_t ms)
{
	char t[32];

	iso8601_utc(ms, t, sizeof(t));
	return json_string(t);
}

static json_t *
jid(int64_t id)
{
	return id > 0 ? json_integer(id) : json_null();
}

json_t *
events_report_json(const struct store_report *r, const char *phone, int updated,
    const char *previous, const char *note, int with_phone)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer(r->id));
	json_object_set_new(o, "status", answer_string(r->status));
	if (updated) {
		json_object_set_new(
		    o, "previous_status", answer_string(previous));
		json_object_set_new(o, "note", typed(note, with_phone));
	}
	json_object_set_new(o, "category", typed(r->category, with_phone));
	json_object_set_new(o, "location", typed(r->location, with_phone));
	json_object_set_new(o, "details", typed(r->details, with_phone));
	json_object_set_new(o, "flow", answer_string(r->flow));
	json_object_set_new(o, "contact_id", jid(r->contact_id));
	json_object_set_new(o, "created", jtime(r->created));
	json_object_set_new(o, "updated", jtime(r->updated));
	if (with_phone && phone != NULL)
		json_object_set_new(o, "phone", answer_string(phone));
	return o;
}

json_t *
events_message_json(const struct store_event_msg *m, int failed, int with_phone)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer(m->id));
	json_object_set_new(o, "channel", answer_string(m->channel));
	json_object_set_new(
	    o, "kind", json_string(m->kind == MSG_USSD ? "ussd" : "sms"));
	json_object_set_new(o, "contact_id", jid(m->contact_id));
	json_object_set_new(o, "text", typed(m->text, with_phone));
	if (failed) {
		/* A provider's error can name the number (Twilio's 21211). */
		json_object_set_new(o, "error", typed(m->error, with_phone));
		json_object_set_new(o, "attempts", json_integer(m->attempts));
	}
	json_object_set_new(o, "created", jtime(m->created));
	if (with_phone && m->phone != NULL)
		json_object_set_new(o, "phone", answer_string(m->phone));
	return o;
}

char *
events_body(const char *event, int64_t id, int64_t at, const char *data)
{
	char t[32];
	json_t *name = answer_string(event);
	char *n = json_dumps(name, JSON_ENCODE_ANY), *s;

	json_decref(name);
	iso8601_utc(at, t, sizeof(t));
	s = xasprintf("{\"event\":%s,\"id\":%" PRId64 ",\"at\":\"%s\","
		      "\"data\":%s}",
	    n != NULL ? n : "null", id, t, data);
	free(n);
	return s;
}

/* Builds an event's data for sections with or without phone numbers. */
typedef json_t *(*build_fn)(void *arg, int with_phone);

/*
 * Writes event k, its data built by build, for each section of cfg that
 * asks for it. Returns 0 or the first failed write's code.
 */
static int
emit(struct store *st, const struct config *cfg, enum config_event_kind k,
    build_fn build, void *arg, int64_t now)
{
	const char *name = config_event_name(k);
	char *data[2] = {NULL, NULL};
	size_t i, n = 0;
	json_t *j;
	int rc = 0, w;

	for (i = 0; i < cfg->nevents && rc == 0; i++) {
		const struct config_event *ev = &cfg->events[i];

		if (!config_event_wants(ev, k))
			continue;
		w = ev->with_phone != 0;
		if (data[w] == NULL) {
			j = build(arg, w);
			data[w] = json_dumps(j, JSON_COMPACT);
			json_decref(j);
			if (data[w] == NULL)
				fatalx("events: cannot encode %s", name);
		}
		rc = store_event_insert(st, ev->name, name, data[w], now, NULL);
		if (rc == 0)
			n++;
		else
			log_warn("events",
			    "cannot keep an event event=%s "
			    "sink=%s error=\"%s\"",
			    name, ev->name, store_errmsg(st));
	}
	free(data[0]);
	free(data[1]);
	if (rc != 0)
		return rc;
	if (n > 0 && wake_fn != NULL)
		wake_fn(wake_arg);
	return 0;
}

/* A report event's parts. */
struct report_ev {
	struct store_report r;
	char *phone; /* the reporter's, or NULL */
	int updated;
	const char *previous, *note;
};

static json_t *
build_report(void *arg, int with_phone)
{
	struct report_ev *e = arg;

	return events_report_json(
	    &e->r, e->phone, e->updated, e->previous, e->note, with_phone);
}

/* Loads report id (and its reporter's number when wanted) and emits. */
static int
report_event(struct store *st, const struct config *cfg,
    enum config_event_kind k, struct report_ev *e, int64_t id, int64_t now)
{
	struct store_contact c;
	int rc;

	if ((rc = store_report_get(st, id, &e->r)) != 0)
		return rc < 0 ? rc : STORE_ERR;
	if (e->r.contact_id > 0 && wanted_with_phone(cfg, k) &&
	    store_contact_by_id(st, e->r.contact_id, &c) == 0) {
		e->phone = c.phone;
		c.phone = NULL;
		store_contact_free(&c);
	}
	rc = emit(st, cfg, k, build_report, e, now);
	store_report_free(&e->r);
	free(e->phone);
	return rc;
}

int
events_report_created(
    struct store *st, const struct config *cfg, int64_t id, int64_t now)
{
	struct report_ev e = {.updated = 0};

	if (!wanted(cfg, CONFIG_EVENT_REPORT_CREATED))
		return 0;
	return report_event(st, cfg, CONFIG_EVENT_REPORT_CREATED, &e, id, now);
}

int
events_report_updated(struct store *st, const struct config *cfg, int64_t id,
    const char *previous, const char *note, int64_t now)
{
	struct report_ev e = {.updated = 1, .previous = previous, .note = note};

	if (!wanted(cfg, CONFIG_EVENT_REPORT_UPDATED))
		return 0;
	return report_event(st, cfg, CONFIG_EVENT_REPORT_UPDATED, &e, id, now);
}

/* A message event's parts. */
struct msg_ev {
	struct store_event_msg m;
	int failed;
};

static json_t *
build_message(void *arg, int with_phone)
{
	struct msg_ev *e = arg;

	return events_message_json(&e->m, e->failed, with_phone);
}

int
events_message(struct store *st, const struct config *cfg,
    enum config_event_kind k, int64_t msg_id, int64_t now)
{
	struct msg_ev e;
	int rc;

	if ((k != CONFIG_EVENT_MESSAGE_IN &&
		k != CONFIG_EVENT_MESSAGE_FAILED) ||
	    !wanted(cfg, k))
		return 0;
	if ((rc = store_event_msg_get(st, msg_id, &e.m)) != 0)
		return rc < 0 ? rc : STORE_ERR;
	e.failed = k == CONFIG_EVENT_MESSAGE_FAILED;
	rc = 0;
	if (!e.failed || (e.m.direction == MSG_OUT && e.m.state == MSG_FAILED))
		rc = emit(st, cfg, k, build_message, &e, now);
	store_event_msg_free(&e.m);
	return rc;
}

int
events_delivery_failed(struct store *st, const struct config *cfg,
    const char *channel, const char *id, int by_own_id, int64_t now)
{
	long long own;
	int64_t mid = 0;
	char *end;
	int rc;

	if (!wanted(cfg, CONFIG_EVENT_MESSAGE_FAILED) || id == NULL)
		return 0;
	if (by_own_id) {
		own = strtoll(id, &end, 10);
		if (*id == '\0' || *end != '\0' || own <= 0)
			return 0;
		mid = own;
	} else if ((rc = store_queue_newest(st, channel, id, &mid)) != 0)
		return rc == STORE_NOTFOUND ? 0 : rc;
	return events_message(st, cfg, CONFIG_EVENT_MESSAGE_FAILED, mid, now);
}
