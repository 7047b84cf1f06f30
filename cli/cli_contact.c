/*
 * cli_contact.c: `baraza contact NUM [--forget]`: what the gateway keeps
 * about a person, or forgetting it (council/privacy.h tells the rules).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "council/privacy.h"
#include "gateway/store.h"
#include "lib/phone.h"
#include "lib/util.h"

/* Prints one topic of the subscriptions line. */
static int
topic_cb(void *arg, const char *topic)
{
	int *n = arg;

	printf("%s %s", (*n)++ ? "," : "", topic);
	return 0;
}

/* Prints one count of the messages line. */
static int
count_cb(void *arg, const struct store_contact_count *c)
{
	int *n = arg;

	printf("%s %s %s %lld (%lld with text)", (*n)++ ? "," : "",
	    c->direction, c->state, (long long)c->n, (long long)c->with_text);
	return 0;
}

/* Prints one report of the reports line. */
static int
report_cb(void *arg, const struct store_report *r, const char *last_note)
{
	const char *cat = r->category != NULL ? r->category : "";
	char when[32];
	int *n = arg;

	(void)last_note;
	iso8601_utc(r->created, when, sizeof(when));
	printf("%s #%lld %s%s%s %s", (*n)++ ? "," : "", (long long)r->id,
	    r->status, *cat ? " " : "", cat, when);
	return 0;
}

/* Prints the contact and what is kept about it; 0 or -1. */
static int
show(struct store *st, const struct store_contact *c)
{
	char when[32];
	int64_t sessions;
	int rc, n;

	printf("phone        %s\n", c->phone);
	printf("language     %s\n", c->language ? c->language : "-");
	printf("opted out    %s\n", c->opted_out ? "yes" : "no");
	printf("fields       %s\n", c->fields);
	printf("last channel %s\n", c->last_channel ? c->last_channel : "-");
	iso8601_utc(c->created, when, sizeof(when));
	printf("first seen   %s\n", when);

	printf("subscriptions");
	n = 0;
	rc = store_contact_topics(st, c->id, topic_cb, &n);
	printf("%s\n", n ? "" : " none");
	if (rc != 0)
		return -1;
	printf("messages");
	n = 0;
	rc = store_contact_messages(st, c->id, c->phone, count_cb, &n);
	printf("%s\n", n ? "" : " none");
	if (rc != 0 ||
	    store_contact_sessions(st, c->id, now_ms(), &sessions) != 0)
		return -1;
	printf("sessions     %lld active\n", (long long)sessions);
	printf("reports");
	n = 0;
	rc = store_contact_reports(st, c->id, report_cb, &n);
	printf("%s\n", n ? "" : " none");
	return rc == 0 ? 0 : -1;
}

static void
print_forgotten(const char *phone, const struct store_forgotten *f)
{
	printf("forgot %s:\n", phone);
	printf("  message texts erased  %lld", (long long)f->texts);
	if (f->cancelled > 0)
		printf(" (%lld queued cancelled)", (long long)f->cancelled);
	printf("\n");
	printf("  messages deleted      %lld\n", (long long)f->messages);
	if (f->in_flight > 0)
		printf("  being sent now, kept until the next purge  "
		       "%lld\n",
		    (long long)f->in_flight);
	printf("  sessions deleted      %lld\n", (long long)f->sessions);
	printf("  subscriptions deleted %lld\n", (long long)f->subscriptions);
	printf("  reports unlinked      %lld\n", (long long)f->reports);
	printf("  fields erased         %lld\n", (long long)f->fields);
	printf("  language erased       %s\n", f->language ? "yes" : "no");
	printf("kept: the number and its opt-out (a STOP is still honoured)\n");
}

int
privacy_contact_main(int argc, char **argv, struct config *cfg)
{
	static const struct option opts[] = {
	    {"forget", no_argument, NULL, 'f'},
	    {NULL, 0, NULL, 0},
	};
	struct store_contact c;
	struct store_forgotten f;
	struct store *st;
	char phone[PHONE_MAX];
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
		return 2; /* a wrong argument: bad usage */
	}
	if ((st = cli_open_store(cfg)) == NULL)
		return 1;
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
	fprintf(stderr,
	    "baraza: bad usage\nusage: baraza contact NUM [--forget]\n");
	return 2;
}
