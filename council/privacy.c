/*
 * privacy.c: `baraza contact NUM [--forget]`, forgetting a contact, and
 * the daily retention purge of message texts.
 */
#include "council/privacy.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gateway.h"
#include "gateway/metrics.h"
#include "lib/log.h"
#include "lib/phone.h"
#include "lib/util.h"

/* Showing a contact. */
static const char sql_msg_counts[] =
    "SELECT direction, state, count(*), count(text) FROM messages"
    " WHERE contact_id = ?1 OR phone = ?2 GROUP BY 1, 2 ORDER BY 1, 2";
static const char sql_subs[] =
    "SELECT topic FROM subscriptions WHERE contact_id = ?1 ORDER BY topic";
static const char sql_reports[] =
    "SELECT id, status, coalesce(category, ''), created FROM reports"
    " WHERE contact_id = ?1 ORDER BY id";
static const char sql_sessions[] =
    "SELECT count(*) FROM sessions WHERE contact_id = ?1 AND expires > ?2";

/*
 * Forgetting. A contact's messages are those linked to it and those to or
 * from its number (`baraza send` queues without a link). Queued messages
 * would go out without a text: they are cancelled.
 */
static const char sql_cancel[] =
    "UPDATE messages SET state = 'failed', error = 'forgotten', text = NULL,"
    " next_attempt = NULL, updated = ?2"
    " WHERE (contact_id = ?1 OR phone = ?3) AND state = 'queued'";
static const char sql_blank[] =
    "UPDATE messages SET text = NULL WHERE (contact_id = ?1 OR phone = ?3)"
    " AND text IS NOT NULL AND state <> 'sending'";
static const char sql_in_flight[] =
    "SELECT count(*) FROM messages WHERE (contact_id = ?1 OR phone = ?3)"
    " AND text IS NOT NULL AND state = 'sending'";
static const char sql_del_sessions[] =
    "DELETE FROM sessions WHERE contact_id = ?1";
static const char sql_del_subs[] =
    "DELETE FROM subscriptions WHERE contact_id = ?1";
static const char sql_unlink[] =
    "UPDATE reports SET contact_id = NULL WHERE contact_id = ?1";
static const char sql_contact_info[] =
    "SELECT (SELECT count(*) FROM json_each(fields)), language IS NOT NULL,"
    " phone FROM contacts WHERE id = ?1";
static const char sql_clear_contact[] =
    "UPDATE contacts SET fields = '{}', language = NULL, last_channel = NULL,"
    " updated = ?2 WHERE id = ?1";

/* Retention. */
static const char sql_purge[] =
    "UPDATE messages SET text = NULL WHERE created < ?1"
    " AND text IS NOT NULL AND state NOT IN ('queued', 'sending')";

/*
 * Runs one statement of sql with contact id as ?1, now as ?2 and phone as
 * ?3 where it has them; returns the rows changed, or STORE_ERR.
 */
static int64_t
run(struct store *st, const char *sql, int64_t id, int64_t now,
    const char *phone)
{
	sqlite3_stmt *s = store_stmt(st, sql);
	int np = sqlite3_bind_parameter_count(s), rc;

	sqlite3_bind_int64(s, 1, id);
	if (np >= 2)
		sqlite3_bind_int64(s, 2, now);
	if (np >= 3)
		sqlite3_bind_text(s, 3, phone, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE) {
		log_warn("privacy", "store write failed error=\"%s\"",
		    store_errmsg(st));
		return STORE_ERR;
	}
	return sqlite3_changes64(store_db(st));
}

/*
 * One row of a query of contact id (?1) and phone (?3, where the query has
 * it): its first two integer columns, and its third as text into phone
 * (PHONE_MAX bytes) when the query has one.
 */
static int
row2(struct store *st, const char *sql, int64_t id, int64_t *a, int64_t *b,
    char *phone)
{
	sqlite3_stmt *s = store_stmt(st, sql);
	const unsigned char *t;
	int rc;

	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_bind_parameter_count(s) >= 3)
		sqlite3_bind_text(s, 3, phone, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*a = sqlite3_column_int64(s, 0);
		if (b != NULL)
			*b = sqlite3_column_int64(s, 1);
		if (sqlite3_column_count(s) >= 3 &&
		    (t = sqlite3_column_text(s, 2)) != NULL)
			snprintf(phone, PHONE_MAX, "%s", (const char *)t);
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	return rc == SQLITE_ROW ? 0 : STORE_ERR;
}

int
privacy_forget(
    struct store *st, int64_t id, int64_t now, struct privacy_forgotten *out)
{
	char phone[PHONE_MAX] = "";
	int64_t n, lang = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (store_begin(st) != 0)
		return STORE_ERR;
	rc = row2(st, sql_contact_info, id, &out->fields, &lang, phone);
	if (rc != 0)
		goto fail;
	out->language = lang != 0;
	rc = STORE_ERR;
	if ((out->cancelled = run(st, sql_cancel, id, now, phone)) < 0 ||
	    (n = run(st, sql_blank, id, now, phone)) < 0)
		goto fail;
	out->texts = out->cancelled + n;
	if (row2(st, sql_in_flight, id, &out->in_flight, NULL, phone) != 0 ||
	    (out->sessions = run(st, sql_del_sessions, id, now, phone)) < 0 ||
	    (out->subscriptions = run(st, sql_del_subs, id, now, phone)) < 0 ||
	    (out->reports = run(st, sql_unlink, id, now, phone)) < 0 ||
	    run(st, sql_clear_contact, id, now, phone) < 0)
		goto fail;
	if (store_commit(st) != 0)
		goto fail;
	return 0;

fail:
	store_rollback(st);
	memset(out, 0, sizeof(*out));
	return rc;
}

int64_t
privacy_purge(struct store *st, int days, int64_t now)
{
	sqlite3_stmt *s;
	int rc;

	if (days <= 0)
		return 0;
	if (days > PRIVACY_MAX_DAYS)
		days = PRIVACY_MAX_DAYS;
	s = store_stmt(st, sql_purge);
	sqlite3_bind_int64(s, 1, now - (int64_t)days * 86400 * 1000);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE) {
		log_warn(
		    "privacy", "purge failed error=\"%s\"", store_errmsg(st));
		return STORE_ERR;
	}
	return sqlite3_changes64(store_db(st));
}

/* The purge's result, after the batch's commit. */
struct purge_job {
	int64_t n; /* texts blanked */
	int days;  /* retention_days */
};

static void
on_purge_committed(void *arg, int ok)
{
	struct purge_job *j = arg;

	if (ok)
		log_info("privacy", "message texts purged count=%lld days=%d",
		    (long long)j->n, j->days);
	else
		log_warn("privacy", "purge rolled back, next try in a day");
	free(j);
}

static void
on_privacy_timer(uv_timer_t *t)
{
	struct gateway *gw = container_of(t, struct gateway, privacy_timer);
	struct purge_job *j;
	int64_t n;

	if (gw->stopping)
		return;
	if (batch_begin(&gw->batch) != 0) {
		log_warn("privacy", "purge skipped: the store is busy");
		return;
	}
	if ((n = privacy_purge(gw->store, gw->cfg->retention_days, now_ms())) <
	    0)
		return; /* Logged; the batch commits the turn's other work. */
	j = xmalloc(sizeof(*j));
	j->n = n;
	j->days = gw->cfg->retention_days;
	batch_defer(&gw->batch, on_purge_committed, j);
}

void
privacy_start(struct gateway *gw)
{
	if (gw->cfg->retention_days <= 0 || gw->privacy_started)
		return;
	uv_timer_init(gw->loop, &gw->privacy_timer);
	uv_timer_start(&gw->privacy_timer, on_privacy_timer,
	    PRIVACY_FIRST_RUN_MS, PRIVACY_PERIOD_MS);
	/* A daily timer must not hold a stopping gateway's loop open. */
	uv_unref((uv_handle_t *)&gw->privacy_timer);
	gw->privacy_started = 1;
	log_info("privacy", "message texts are purged daily days=%d",
	    gw->cfg->retention_days);
}

void
privacy_stop(struct gateway *gw)
{
	if (!gw->privacy_started)
		return;
	gw->privacy_started = 0;
	uv_close((uv_handle_t *)&gw->privacy_timer, NULL);
}

/* `baraza contact NUM`: prints the contact. */
static int
show(struct store *st, const struct store_contact *c)
{
	sqlite3_stmt *s;
	char when[32];
	int rc, n;

	printf("phone        %s\n", c->phone);
	printf("language     %s\n", c->language ? c->language : "-");
	printf("opted out    %s\n", c->opted_out ? "yes" : "no");
	printf("fields       %s\n", c->fields);
	printf("last channel %s\n", c->last_channel ? c->last_channel : "-");
	iso8601_utc(c->created, when, sizeof(when));
	printf("first seen   %s\n", when);

	s = store_stmt(st, sql_subs);
	sqlite3_bind_int64(s, 1, c->id);
	printf("subscriptions");
	for (n = 0; (rc = sqlite3_step(s)) == SQLITE_ROW; n++)
		printf("%s %s", n ? "," : "", sqlite3_column_text(s, 0));
	printf("%s\n", n ? "" : " none");
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE)
		return -1;

	s = store_stmt(st, sql_msg_counts);
	sqlite3_bind_int64(s, 1, c->id);
	sqlite3_bind_text(s, 2, c->phone, -1, SQLITE_STATIC);
	printf("messages");
	for (n = 0; (rc = sqlite3_step(s)) == SQLITE_ROW; n++)
		printf("%s %s %s %lld (%lld with text)", n ? "," : "",
		    sqlite3_column_text(s, 0), sqlite3_column_text(s, 1),
		    (long long)sqlite3_column_int64(s, 2),
		    (long long)sqlite3_column_int64(s, 3));
	printf("%s\n", n ? "" : " none");
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE)
		return -1;

	s = store_stmt(st, sql_sessions);
	sqlite3_bind_int64(s, 1, c->id);
	sqlite3_bind_int64(s, 2, now_ms());
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		printf("sessions     %lld active\n",
		    (long long)sqlite3_column_int64(s, 0));
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_ROW)
		return -1;

	s = store_stmt(st, sql_reports);
	sqlite3_bind_int64(s, 1, c->id);
	printf("reports");
	for (n = 0; (rc = sqlite3_step(s)) == SQLITE_ROW; n++) {
		const char *cat = (const char *)sqlite3_column_text(s, 2);

		iso8601_utc(sqlite3_column_int64(s, 3), when, sizeof(when));
		printf("%s #%lld %s%s%s %s", n ? "," : "",
		    (long long)sqlite3_column_int64(s, 0),
		    sqlite3_column_text(s, 1), *cat ? " " : "", cat, when);
	}
	printf("%s\n", n ? "" : " none");
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

static void
print_forgotten(const char *phone, const struct privacy_forgotten *f)
{
	printf("forgot %s:\n", phone);
	printf("  message texts erased  %lld", (long long)f->texts);
	if (f->cancelled > 0)
		printf(" (%lld queued cancelled)", (long long)f->cancelled);
	printf("\n");
	if (f->in_flight > 0)
		printf("  being sent now, text kept until the next purge  "
		       "%lld\n",
		    (long long)f->in_flight);
	printf("  sessions deleted      %lld\n", (long long)f->sessions);
	printf("  subscriptions deleted %lld\n", (long long)f->subscriptions);
	printf("  reports unlinked      %lld\n", (long long)f->reports);
	printf("  fields erased         %lld\n", (long long)f->fields);
	printf("  language erased       %s\n", f->language ? "yes" : "no");
	printf("kept: the number, its opt-out and the message counts\n");
}

int
privacy_contact_main(int argc, char **argv, struct config *cfg)
{
	static const struct option opts[] = {
	    {"forget", no_argument, NULL, 'f'},
	    {NULL, 0, NULL, 0},
	};
	struct store_contact c;
	struct privacy_forgotten f;
	struct store *st = NULL;
	char phone[PHONE_MAX], *err = NULL;
	int ch, forget = 0, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'f')
			goto usage;
		forget = 1;
	}
	if (argc - optind != 1)
		goto usage;
	if (phone_normalize(
		argv[optind], cfg->country_code, phone, sizeof(phone)) != 0) {
		fprintf(
		    stderr, "baraza: %s: not a phone number\n", argv[optind]);
		return 1;
	}
	if (store_open(cfg->database, cfg->durability == DURABILITY_FULL, &st,
		&err) != 0) {
		fprintf(stderr, "baraza: %s\n", err ? err : cfg->database);
		free(err);
		return 1;
	}
	memset(&c, 0, sizeof(c));
	rc = store_contact_find(st, phone, &c);
	if (rc == STORE_NOTFOUND) {
		fprintf(stderr, "baraza: no contact %s\n", phone);
		store_close(st);
		return 1;
	}
	if (rc != 0)
		goto fail;
	if (!forget) {
		rc = show(st, &c);
	} else if ((rc = privacy_forget(st, c.id, now_ms(), &f)) == 0) {
		print_forgotten(c.phone, &f);
	}
	store_contact_free(&c);
	if (rc != 0)
		goto fail;
	store_close(st);
	return 0;

fail:
	fprintf(stderr, "baraza: %s\n", store_errmsg(st));
	store_close(st);
	return 1;

usage:
	fprintf(stderr, "usage: baraza contact NUM [--forget]\n");
	return 2;
}
