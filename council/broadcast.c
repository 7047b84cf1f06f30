/*
 * broadcast.c: the audience of a topic, queueing it in chunks of INSERT ...
 * SELECT inside one transaction, the dry run's figures, counts by state and
 * the admin API for broadcasts.
 */
#include "council/broadcast.h"
#include "gateway/answer.h"
#include "gateway/api.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "gateway/dispatch.h"
#include "gateway/gateway.h"
#include "gateway/idem.h"
#include "lib/log.h"
#include "lib/timeparse.h"
#include "lib/util.h"

/* The audience: subscribers of ?1 who have not opted out. */
static const char sql_count[] =
    "SELECT count(*) FROM subscriptions s CROSS JOIN contacts c"
    " ON c.id = s.contact_id WHERE s.topic = ?1 AND c.opted_out = 0";
/*
 * One chunk of the audience, in contact order after contact ?9. The
 * channel is the contact's last one when it is among the configured names
 * (?1, a JSON array), else the broadcast's (?2). CROSS JOIN keeps the
 * subscriptions index (topic, contact_id) as the outer loop, so rows come
 * in contact order and the last one inserted ends the chunk.
 */
static const char sql_queue_chunk[] =
    "INSERT INTO messages (direction, channel, kind, contact_id, phone,"
    " text, state, segments, next_attempt, broadcast_id, created, updated)"
    " SELECT 'out', CASE WHEN c.last_channel IN"
    " (SELECT value FROM json_each(?1)) THEN c.last_channel ELSE ?2 END,"
    " 'sms', c.id, c.phone, ?3, 'queued', ?4, ?5, ?6, ?7, ?7"
    " FROM subscriptions s CROSS JOIN contacts c ON c.id = s.contact_id"
    " WHERE s.topic = ?8 AND s.contact_id > ?9 AND c.opted_out = 0"
    " ORDER BY s.contact_id LIMIT ?10";
static const char sql_last_contact[] =
    "SELECT contact_id FROM messages WHERE id = ?1";
static const char sql_record[] =
    "INSERT INTO broadcasts (text, topic, channel, created, send_at,"
    " recipients, segments) VALUES (?1, ?2, ?3, ?4, ?5, 0, 0)";
static const char sql_record_done[] =
    "UPDATE broadcasts SET recipients = ?2, segments = ?3 WHERE id = ?1";
static const char sql_get[] =
    "SELECT id, text, topic, channel, created, send_at, recipients,"
    " segments FROM broadcasts WHERE id = ?1";
static const char sql_states[] =
    "SELECT state, count(*) FROM messages WHERE broadcast_id = ?1"
    " GROUP BY state";

static void set_err(char **errmsg, const char *fmt, ...) PRINTFLIKE(2, 3);

static void
set_err(char **errmsg, const char *fmt, ...)
{
	va_list ap;

	if (errmsg == NULL)
		return;
	va_start(ap, fmt);
	*errmsg = xvasprintf(fmt, ap);
	va_end(ap);
}

const char *
broadcast_channel_for(
    const struct config *cfg, const char *last_channel, const char *fallback)
{
	const struct channel_config *ch;

	if (last_channel != NULL &&
	    (ch = config_channel(cfg, last_channel)) != NULL)
		return ch->name;
	return fallback;
}

/*
 * The broadcast's own channel: the one asked for, else default_channel; it
 * must be configured. Returns it (owned by cfg) or NULL with *errmsg set.
 */
static const char *
pick_channel(const struct config *cfg, const char *want, char **errmsg)
{
	const struct channel_config *ch;

	if (want == NULL)
		want = cfg->default_channel;
	if (want == NULL) {
		set_err(errmsg, "no channel given and no default_channel in "
				"the config");
		return NULL;
	}
	if ((ch = config_channel(cfg, want)) == NULL) {
		set_err(errmsg, "no channel named \"%.64s\"", want);
		return NULL;
	}
	return ch->name;
}

/* Checks a request and fills the figures that do not need the store. */
static int
check_request(const struct config *cfg, const struct broadcast_request *req,
    int64_t now, struct broadcast_summary *out, char **errmsg)
{
	struct gsm_info gi;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (req->text == NULL || req->text[0] == '\0') {
		set_err(errmsg, "the text is empty");
		return BROADCAST_EINVAL;
	}
	if ((n = strnlen(req->text, BROADCAST_MAX_TEXT + 1)) >
	    BROADCAST_MAX_TEXT) {
		set_err(errmsg, "the text is longer than %d bytes",
		    BROADCAST_MAX_TEXT);
		return BROADCAST_EINVAL;
	}
	if (req->topic == NULL || req->topic[0] == '\0' ||
	    strnlen(req->topic, STORE_NAME_MAX + 1) > STORE_NAME_MAX) {
		set_err(
		    errmsg, "the topic must be 1 to %d bytes", STORE_NAME_MAX);
		return BROADCAST_EINVAL;
	}
	gsm_count(req->topic, &gi);
	if (gi.invalid) {
		set_err(errmsg, "the topic is not valid UTF-8");
		return BROADCAST_EINVAL;
	}
	gsm_count(req->text, &gi);
	if (gi.invalid) {
		set_err(errmsg, "the text is not valid UTF-8");
		return BROADCAST_EINVAL;
	}
	if ((out->channel = pick_channel(cfg, req->channel, errmsg)) == NULL)
		return BROADCAST_EINVAL;
	out->encoding = gi.encoding;
	out->segments = (int64_t)gi.segments;
	out->send_at = req->send_at > 0 ? req->send_at : now;
	return 0;
}

/* The audience's size into *n. */
static int
count_audience(struct store *st, const char *topic, int64_t *n)
{
	sqlite3_stmt *s = store_stmt(st, sql_count);
	int rc;

	sqlite3_bind_text(s, 1, topic, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	*n = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW) {
		log_warn(
		    "broadcast", "count failed error=\"%s\"", store_errmsg(st));
		return STORE_ERR;
	}
	return 0;
}

/* Fills the totals once the recipients are known. */
static void
totals(struct broadcast_summary *out)
{
	out->total_segments = out->recipients * out->segments;
	if (out->encoding == GSM_ENC_GSM7)
		out->gsm7 = out->recipients;
	else
		out->ucs2 = out->recipients;
}

int
broadcast_plan(struct store *st, const struct config *cfg,
    const struct broadcast_request *req, struct broadcast_summary *out,
    char **errmsg)
{
	int rc;

	if (errmsg != NULL)
		*errmsg = NULL;
	if ((rc = check_request(cfg, req, now_ms(), out, errmsg)) != 0)
		return rc;
	if (count_audience(st, req->topic, &out->recipients) != 0) {
		set_err(errmsg, "database error: %s", store_errmsg(st));
		return BROADCAST_ESTORE;
	}
	totals(out);
	return 0;
}

int
broadcast_record(struct store *st, const char *text, const char *topic,
    const char *channel, int64_t now, int64_t send_at, int64_t *id)
{
	sqlite3_stmt *s = store_stmt(st, sql_record);
	int rc;

	sqlite3_bind_text(s, 1, text, -1, SQLITE_STATIC);
	if (topic != NULL)
		sqlite3_bind_text(s, 2, topic, -1, SQLITE_STATIC);
	if (channel != NULL)
		sqlite3_bind_text(s, 3, channel, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, now);
	sqlite3_bind_int64(s, 5, send_at);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		log_warn("broadcast", "record failed error=\"%s\"",
		    store_errmsg(st));
		return STORE_ERR;
	}
	*id = sqlite3_last_insert_rowid(store_db(st));
	return 0;
}

int
broadcast_record_done(
    struct store *st, int64_t id, int64_t recipients, int64_t segments)
{
	sqlite3_stmt *s = store_stmt(st, sql_record_done);
	int rc;

	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, recipients);
	sqlite3_bind_int64(s, 3, segments);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		log_warn("broadcast", "update failed error=\"%s\"",
		    store_errmsg(st));
		return STORE_ERR;
	}
	return 0;
}

/* The configured channel names as a JSON array text (caller frees). */
static char *
channel_names(const struct config *cfg)
{
	json_t *a = json_array();
	char *s;
	size_t i;

	for (i = 0; i < cfg->nchannels; i++)
		json_array_append_new(a, json_string(cfg->channels[i].name));
	s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	if (s == NULL)
		fatalx("out of memory");
	return s;
}

/*
 * Switches the connection's foreign key checks on or off; a no-op inside a
 * transaction, so only called around one of our own.
 */
static void
foreign_keys(struct store *st, int on)
{
	if (sqlite3_exec(store_db(st),
		on ? "PRAGMA foreign_keys = ON" : "PRAGMA foreign_keys = OFF",
		NULL, NULL, NULL) != SQLITE_OK)
		log_warn("broadcast", "foreign_keys failed error=\"%s\"",
		    store_errmsg(st));
}

/*
 * Queues one chunk of at most BROADCAST_CHUNK recipients after contact
 * *after; sets *n to the rows queued and *after to the last contact.
 */
static int
queue_chunk(struct store *st, const char *names,
    const struct broadcast_request *req, const struct broadcast_summary *sum,
    int64_t now, int64_t *after, int64_t *n)
{
	sqlite3_stmt *s = store_stmt(st, sql_queue_chunk);
	sqlite3 *db = store_db(st);
	int rc;

	sqlite3_bind_text(s, 1, names, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, sum->channel, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, req->text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, sum->segments);
	sqlite3_bind_int64(s, 5, sum->send_at);
	sqlite3_bind_int64(s, 6, sum->id);
	sqlite3_bind_int64(s, 7, now);
	sqlite3_bind_text(s, 8, req->topic, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 9, *after);
	sqlite3_bind_int64(s, 10, BROADCAST_CHUNK);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return STORE_ERR;
	*n = sqlite3_changes(db);
	if (*n == 0)
		return 0;
	s = store_stmt(st, sql_last_contact);
	sqlite3_bind_int64(s, 1, sqlite3_last_insert_rowid(db));
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*after = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : STORE_ERR;
}

int
broadcast_queue(struct store *st, const struct config *cfg,
    const struct broadcast_request *req, int64_t now,
    broadcast_progress_cb progress, void *arg, struct broadcast_summary *out,
    char **errmsg)
{
	int64_t total = 0, after = 0, n = 0;
	char *names = NULL;
	int own, rc;

	if (errmsg != NULL)
		*errmsg = NULL;
	if ((rc = check_request(cfg, req, now, out, errmsg)) != 0)
		return rc;
	/*
	 * The rows' references hold by construction: each contact comes from
	 * the join and the broadcast row is inserted first, in the same
	 * transaction. When the transaction is ours, the foreign key checks
	 * (two B-tree lookups a row, a third of the time) are off for it.
	 * BEGIN IMMEDIATE takes the write lock before the count.
	 */
	own = !store_in_transaction(st);
	if (own)
		foreign_keys(st, 0);
	if ((own ? store_begin(st) : store_savepoint(st)) != 0)
		goto fail;
	/* Only a progress bar needs the total. */
	if ((progress != NULL && count_audience(st, req->topic, &total) != 0) ||
	    broadcast_record(st, req->text, req->topic, out->channel, now,
		out->send_at, &out->id) != 0)
		goto undo;
	names = channel_names(cfg);
	if (progress != NULL)
		progress(arg, 0, (uint64_t)total);
	do {
		if (queue_chunk(st, names, req, out, now, &after, &n) != 0)
			goto undo;
		out->recipients += n;
		if (progress != NULL && out->recipients < total)
			progress(
			    arg, (uint64_t)out->recipients, (uint64_t)total);
	} while (n == BROADCAST_CHUNK);
	if (broadcast_record_done(
		st, out->id, out->recipients, out->segments) != 0)
		goto undo;
	if ((own ? store_commit(st) : store_release(st)) != 0)
		goto undo;
	if (own)
		foreign_keys(st, 1);
	free(names);
	if (progress != NULL)
		progress(arg, (uint64_t)total, (uint64_t)total);
	totals(out);
	log_info("broadcast",
	    "queued id=%lld topic=%s recipients=%lld segments=%lld",
	    (long long)out->id, req->topic, (long long)out->recipients,
	    (long long)out->segments);
	return 0;

undo:
	set_err(errmsg, "database error: %s", store_errmsg(st));
	if (own) {
		store_rollback(st);
		foreign_keys(st, 1);
	} else
		store_rollback_to(st);
	free(names);
	out->id = 0;
	out->recipients = 0;
	return BROADCAST_ESTORE;
fail:
	set_err(errmsg, "database error: %s", store_errmsg(st));
	if (own)
		foreign_keys(st, 1);
	return BROADCAST_ESTORE;
}

static char *
col_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t != NULL ? xstrdup((const char *)t) : NULL;
}

int
broadcast_get(struct store *st, int64_t id, struct broadcast_info *out)
{
	sqlite3_stmt *s = store_stmt(st, sql_get);
	const char *state;
	int64_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	sqlite3_bind_int64(s, 1, id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		out->id = sqlite3_column_int64(s, 0);
		out->text = col_dup(s, 1);
		out->topic = col_dup(s, 2);
		out->channel = col_dup(s, 3);
		out->created = sqlite3_column_int64(s, 4);
		out->send_at = sqlite3_column_int64(s, 5);
		out->recipients = sqlite3_column_int64(s, 6);
		out->segments = sqlite3_column_int64(s, 7);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	if (rc != SQLITE_ROW)
		goto fail;

	s = store_stmt(st, sql_states);
	sqlite3_bind_int64(s, 1, id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		state = (const char *)sqlite3_column_text(s, 0);
		n = sqlite3_column_int64(s, 1);
		if (state == NULL)
			continue;
		if (strcmp(state, "queued") == 0)
			out->queued = n;
		else if (strcmp(state, "sending") == 0)
			out->sending = n;
		else if (strcmp(state, "sent") == 0)
			out->sent = n;
		else if (strcmp(state, "delivered") == 0)
			out->delivered = n;
		else if (strcmp(state, "failed") == 0)
			out->failed = n;
	}
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return 0;
fail:
	log_warn("broadcast", "get failed error=\"%s\"", store_errmsg(st));
	broadcast_info_free(out);
	return STORE_ERR;
}

void
broadcast_info_free(struct broadcast_info *b)
{
	free(b->text);
	free(b->topic);
	free(b->channel);
	memset(b, 0, sizeof(*b));
}

/* The admin API. */

/* A POST waiting for the loop's commit. */
struct pending {
	struct gateway *gw;       /* for the dispatcher */
	struct http_request *req; /* answered in on_queued */
	json_t *answer;           /* the 202 answer, owned */
};

static void
on_queued(void *arg, int ok)
{
	struct pending *p = arg;

	if (!ok) {
		answer_error(p->req, 503, "the store failed; try again");
		json_decref(p->answer);
	} else {
		answer_json(p->req, 202, p->answer);
		dispatch_kick(p->gw->dispatch);
	}
	free(p);
}

static void
respond_plan(struct http_request *req, const struct broadcast_summary *s)
{
	answer_json(req, 200,
	    json_pack("{s:b, s:I, s:s, s:I, s:I, s:s}", "dry_run", 1,
		"recipients", (json_int_t)s->recipients, "encoding",
		gsm_encoding_name(s->encoding), "segments",
		(json_int_t)s->segments, "total_segments",
		(json_int_t)s->total_segments, "channel", s->channel));
}

/* POST /api/v1/broadcasts */
static void
post_broadcast(struct gateway *gw, struct http_request *req)
{
	struct broadcast_request br;
	struct broadcast_summary sum;
	struct pending *p;
	struct idem idem;
	json_error_t e;
	json_t *o, *at, *dry, *answer;
	char *err = NULL, msg[200];
	int64_t now;
	int rc;

	if (idem_begin(gw, req, "broadcasts", &idem) != 0)
		return;
	o = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &e);
	if (o == NULL || !json_is_object(o)) {
		snprintf(msg, sizeof(msg), "the body must be a JSON object%s%s",
		    o == NULL ? ": " : "", o == NULL ? e.text : "");
		json_decref(o);
		answer_error(req, 400, msg);
		return;
	}
	memset(&br, 0, sizeof(br));
	br.text = json_string_value(json_object_get(o, "text"));
	br.topic = json_string_value(json_object_get(o, "topic"));
	br.channel = json_string_value(json_object_get(o, "channel"));
	at = json_object_get(o, "at");
	dry = json_object_get(o, "dry_run");
	if (br.text == NULL || br.topic == NULL) {
		answer_error(
		    req, 400, "\"text\" and \"topic\" are required strings");
		goto out;
	}
	if ((json_object_get(o, "channel") != NULL && br.channel == NULL) ||
	    (dry != NULL && !json_is_boolean(dry))) {
		answer_error(req, 400,
		    "\"channel\" must be a string and \"dry_run\" a boolean");
		goto out;
	}
	if (at != NULL &&
	    (!json_is_string(at) ||
		timeparse_iso8601(json_string_value(at), &br.send_at) != 0)) {
		answer_error(req, 400,
		    "\"at\" must be an ISO 8601 time such as "
		    "2026-12-01T08:00:00Z");
		goto out;
	}
	if (json_is_true(dry)) {
		if ((rc = broadcast_plan(
			 gw->store, gw->cfg, &br, &sum, &err)) != 0)
			answer_error(
			    req, rc == BROADCAST_EINVAL ? 400 : 503, err);
		else
			respond_plan(req, &sum);
		goto out;
	}
	/* The broadcast and its Idempotency-Key answer: one savepoint. */
	now = now_ms();
	if (batch_begin(&gw->batch) != 0 || store_savepoint(gw->store) != 0) {
		answer_error(req, 503, "the store failed; try again");
		goto out;
	}
	if ((rc = broadcast_queue(
		 gw->store, gw->cfg, &br, now, NULL, NULL, &sum, &err)) != 0) {
		store_rollback_to(gw->store);
		answer_error(req, rc == BROADCAST_EINVAL ? 400 : 503, err);
		goto out;
	}
	answer = json_pack("{s:I, s:I, s:I}", "id", (json_int_t)sum.id,
	    "recipients", (json_int_t)sum.recipients, "segments",
	    (json_int_t)sum.segments);
	if (idem_record(gw, &idem, 202, answer, now) != 0 ||
	    store_release(gw->store) != 0) {
		store_rollback_to(gw->store);
		json_decref(answer);
		answer_error(req, 503, "the store failed; try again");
		goto out;
	}
	p = xmalloc(sizeof(*p));
	p->gw = gw;
	p->req = req;
	p->answer = answer;
	batch_defer(&gw->batch, on_queued, p);
out:
	free(err);
	json_decref(o);
}

/* GET /api/v1/broadcasts/ID */
static void
get_broadcast(struct gateway *gw, struct http_request *req, int64_t id)
{
	struct broadcast_info b;
	char created[32], send_at[32];
	json_t *o;
	int rc;

	if ((rc = broadcast_get(gw->store, id, &b)) != 0) {
		if (rc == STORE_NOTFOUND)
			answer_error(req, 404, "no such broadcast");
		else
			answer_error(req, 503, "the store failed; try again");
		return;
	}
	iso8601_utc(b.created, created, sizeof(created));
	iso8601_utc(b.send_at, send_at, sizeof(send_at));
	o = json_pack("{s:I, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I,"
		      " s:I}",
	    "id", (json_int_t)b.id, "text", b.text ? b.text : "", "created",
	    created, "send_at", send_at, "recipients", (json_int_t)b.recipients,
	    "segments", (json_int_t)b.segments, "queued", (json_int_t)b.queued,
	    "sending", (json_int_t)b.sending, "sent", (json_int_t)b.sent,
	    "delivered", (json_int_t)b.delivered, "failed",
	    (json_int_t)b.failed);
	if (o == NULL) {
		broadcast_info_free(&b);
		answer_error(req, 500, "the broadcast cannot be shown");
		return;
	}
	json_object_set_new(
	    o, "topic", b.topic ? json_string(b.topic) : json_null());
	json_object_set_new(
	    o, "channel", b.channel ? json_string(b.channel) : json_null());
	broadcast_info_free(&b);
	answer_json(req, 200, o);
}

void
broadcast_api(struct gateway *gw, struct http_request *req, const char *rest)
{
	int64_t id;

	if (strcmp(rest, "broadcasts") == 0) {
		if (strcmp(req->method, "POST") != 0) {
			answer_method(req, "POST");
			return;
		}
		post_broadcast(gw, req);
		return;
	}
	if (strncmp(rest, "broadcasts/", 11) != 0 ||
	    (id = str_id(rest + 11)) < 0) {
		answer_error(req, 404, "no such broadcast");
		return;
	}
	if (strcmp(req->method, "GET") != 0) {
		answer_method(req, "GET");
		return;
	}
	get_broadcast(gw, req, id);
}
