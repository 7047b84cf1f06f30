/*
 * test_dialog.c: unit tests for gateway/dialog.c's USSD resume, report
 * feedback (issue 14) and the contact a turn is given, turn by turn against an in-memory store and a flow
 * set loaded from a string, with the clock moved by clock_freeze() instead of
 * waited for.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flows/flow.h"
#include "gateway/config.h"
#include "gateway/dialog.h"
#include "gateway/store.h"
#include "lib/log.h"
#include "lib/util.h"

#define T0 INT64_C(1796112000000) /* 2026-12-01T08:00:00Z */
#define MIN_MS INT64_C(60000)
#define DAY_MS INT64_C(86400000)

static const char flows_src[] = "flow signup \"Sign up\"\n"
				"  on ussd *500#\n"
				"  on keyword SIGNUP\n"
				"\n"
				"  ask name \"Your name?\"\n"
				"  ask town \"Your town?\"\n"
				"  end \"Thanks {name} of {town}.\"\n"
				"\n"
				"flow help \"Help\"\n"
				"  on default\n"
				"  say \"Help text.\"\n";

struct fx {
	struct store *st;
	struct config *cfg;
	struct flowset *set;
	struct dialog_env env;
};

static int
setup_with(void **state, const char *conf)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	struct config_errors *errs;
	struct flow_findings fi;
	struct flow_config fc = {NULL, 0, 0};

	assert_int_equal(store_open(":memory:", 0, &f->st, NULL), 0);
	assert_int_equal(config_parse_buffer(conf, strlen(conf), "t.conf", NULL,
			     &f->cfg, &errs),
	    0);
	config_errors_free(errs);
	flow_findings_init(&fi);
	assert_int_equal(flowset_load_buffer("t.flow", flows_src,
			     strlen(flows_src), &fc, &f->set, &fi),
	    0);
	flow_findings_free(&fi);
	f->env.store = f->st;
	f->env.cfg = f->cfg;
	f->env.set = f->set;
	clock_freeze(T0);
	*state = f;
	return 0;
}

static int
setup(void **state)
{
	return setup_with(state, "[gateway]\n");
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	flowset_free(f->set);
	config_free(f->cfg);
	store_close(f->st);
	free(f);
	return 0;
}

/* What one turn answered. */
struct said {
	char text[512];
	int ended;
	enum dialog_resume resumed;
	enum dialog_outcome outcome;
};

/*
 * One USSD step of session sid from phone on channel "at": text NULL dials
 * code, as the ingress does (resume set unless sim).
 */
static struct said
ussd_on(struct fx *f, const char *channel, const char *phone, const char *sid,
    const char *text, int sim)
{
	struct dialog_input in;
	struct dialog *d = NULL;
	struct said s;

	memset(&in, 0, sizeof(in));
	memset(&s, 0, sizeof(s));
	in.kind = ENGINE_USSD;
	in.channel = channel;
	in.phone = phone;
	in.text = text != NULL ? text : "";
	in.ussd_session = sid;
	in.dialled = "*500#";
	in.resume = !sim;
	assert_int_equal(dialog_turn(&f->env, &in, &d), 0);
	s.outcome = dialog_outcome(d);
	snprintf(s.text, sizeof(s.text), "%s",
	    dialog_reply(d) ? dialog_reply(d) : "");
	s.ended = dialog_ended(d);
	s.resumed = dialog_resumed(d);
	dialog_free(d);
	return s;
}

static struct said
ussd(struct fx *f, const char *phone, const char *sid, const char *text)
{
	return ussd_on(f, "at", phone, sid, text, 0);
}

/* One SMS from phone; the reply or "" when none. */
static struct said
sms(struct fx *f, const char *phone, const char *text)
{
	struct dialog_input in;
	struct dialog *d = NULL;
	struct said s;

	memset(&in, 0, sizeof(in));
	memset(&s, 0, sizeof(s));
	in.kind = ENGINE_SMS;
	in.channel = "at";
	in.phone = phone;
	in.text = text;
	assert_int_equal(dialog_turn(&f->env, &in, &d), 0);
	s.outcome = dialog_outcome(d);
	snprintf(s.text, sizeof(s.text), "%s",
	    dialog_reply(d) ? dialog_reply(d) : "");
	dialog_free(d);
	return s;
}

#define MENU "1. Continue where you left off\n2. Start again"
#define PA "+254700000001"
#define PB "+254700000002"

static void
test_feedback_answer(void **state)
{
	static const char *const yes[] = {
	    "1", "yes", "YES", " Yes ", "ndiyo", "NDIYO", "Ndio", "\t1\n"};
	static const char *const no[] = {"2", "no", "No", " hapana", "HAPANA "};
	static const char *const other[] = {"", " ", "3", "12", "yes please",
	    "y", "n", "1.", "ndiyo sana", "nope", "10"};
	size_t i;

	(void)state;
	for (i = 0; i < nitems(yes); i++)
		assert_int_equal(dialog_feedback_answer(yes[i]), 1);
	for (i = 0; i < nitems(no); i++)
		assert_int_equal(dialog_feedback_answer(no[i]), 0);
	for (i = 0; i < nitems(other); i++)
		assert_int_equal(dialog_feedback_answer(other[i]), -1);
	assert_int_equal(dialog_feedback_answer(NULL), -1);
}

/* Cut mid-way, dialled again: the menu, then 1 goes on where it was. */
static void
test_resume_continue(void **state)
{
	struct fx *f = *state;
	struct said s;

	s = ussd(f, PA, "s1", NULL);
	assert_string_equal(s.text, "Your name?");
	assert_int_equal(s.resumed, DIALOG_RESUME_NONE);
	assert_string_equal(ussd(f, PA, "s1", "Amina").text, "Your town?");
	clock_freeze(T0 + MIN_MS);
	s = ussd(f, PA, "s2", NULL);
	assert_string_equal(s.text, MENU);
	assert_int_equal(s.ended, 0);
	assert_int_equal(s.resumed, DIALOG_RESUME_OFFERED);
	s = ussd(f, PA, "s2", " 1 ");
	assert_string_equal(s.text, "Your town?");
	assert_int_equal(s.resumed, DIALOG_RESUME_CONTINUED);
	s = ussd(f, PA, "s2", "Nairobi");
	assert_string_equal(s.text, "Thanks Amina of Nairobi.");
	assert_int_equal(s.ended, 1);
	assert_int_equal(s.resumed, DIALOG_RESUME_NONE);
	/* Ended with END: nothing to resume. */
	s = ussd(f, PA, "s3", NULL);
	assert_string_equal(s.text, "Your name?");
}

/* 2 starts over; a wrong answer repeats the menu; a cut menu resumes. */
static void
test_resume_restart(void **state)
{
	struct fx *f = *state;
	struct said s;

	ussd(f, PA, "s1", NULL);
	ussd(f, PA, "s1", "Amina");
	s = ussd(f, PA, "s2", NULL);
	assert_string_equal(s.text, MENU);
	s = ussd(f, PA, "s2", "3");
	assert_string_equal(
	    s.text, "Please reply with one of the numbers shown.\n" MENU);
	assert_int_equal(s.resumed, DIALOG_RESUME_NONE);
	/* Cut while the menu shows: the menu again on the next dial. */
	s = ussd(f, PA, "s3", NULL);
	assert_string_equal(s.text, MENU);
	s = ussd(f, PA, "s3", "2");
	assert_string_equal(s.text, "Your name?");
	assert_int_equal(s.resumed, DIALOG_RESUME_RESTARTED);
	assert_string_equal(ussd(f, PA, "s3", "Baraka").text, "Your town?");
	assert_string_equal(
	    ussd(f, PA, "s3", "Kisumu").text, "Thanks Baraka of Kisumu.");
}

/*
 * Not offered: after the window, to another phone, on another channel,
 * from a simulator (resume unset), for an SMS.
 */
static void
test_resume_not_offered(void **state)
{
	struct fx *f = *state;

	ussd(f, PA, "s1", NULL);
	ussd(f, PA, "s1", "Amina");
	assert_string_equal(ussd(f, PB, "b1", NULL).text, "Your name?");
	assert_string_equal(
	    ussd_on(f, "web", PA, "w1", NULL, 0).text, "Your name?");
	assert_string_equal(
	    ussd_on(f, "at", PA, "x1", NULL, 1).text, "Your name?");
	assert_string_equal(sms(f, PA, "SIGNUP").text, "Your name?");
	/* Two minutes after the last step the window has closed. */
	clock_freeze(T0 + 2 * MIN_MS);
	assert_string_equal(ussd(f, PA, "s2", NULL).text, "Your name?");
	/* Just inside it, it is offered. */
	ussd(f, PA, "s2", "Dede");
	clock_freeze(T0 + 4 * MIN_MS - 1);
	assert_string_equal(ussd(f, PA, "s3", NULL).text, MENU);
}

/* ussd_resume = 0 turns it off; the menu's text is the config's. */
static void
test_resume_off(void **state)
{
	struct fx *f;

	setup_with(state, "[gateway]\nussd_resume = 0\n");
	f = *state;
	ussd(f, PA, "s1", NULL);
	ussd(f, PA, "s1", "Amina");
	assert_string_equal(ussd(f, PA, "s2", NULL).text, "Your name?");
	teardown(state);
	setup_with(state, "[gateway]\nussd_resume = 30s\n"
			  "resume_text = \"1 Endelea\\n2 Anza upya\"\n");
	f = *state;
	ussd(f, PA, "s1", NULL);
	ussd(f, PA, "s1", "Amina");
	clock_freeze(T0 + 29000);
	assert_string_equal(
	    ussd(f, PA, "s2", NULL).text, "1 Endelea\n2 Anza upya");
	teardown(state);
}

/* Opens a report by contact phone, asked at the current clock. */
static int64_t
asked_report(struct fx *f, const char *phone)
{
	struct store_contact c;
	int64_t id;

	assert_true(store_contact_get(f->st, phone, now_ms(), &c) >= 0);
	assert_int_equal(store_report_create(f->st, c.id, "signup", "water",
			     NULL, NULL, now_ms(), &id),
	    0);
	store_contact_free(&c);
	assert_int_equal(store_feedback_ask(f->st, id, now_ms()), 0);
	return id;
}

static const char *
answer_of(struct fx *f, int64_t id, char *buf)
{
	struct store_feedback fb;

	assert_int_equal(store_feedback_get(f->st, id, &fb), 0);
	strcpy(buf, fb.answer);
	return buf;
}

/*
 * An answer to a pending question is kept and starts no flow; other text
 * and late answers go to the flows; a session that asked after the
 * question takes the answer.
 */
static void
test_feedback_turns(void **state)
{
	struct fx *f = *state;
	char buf[8];
	int64_t r1, r2;
	struct said s;

	/* No question: "1" is an SMS like any other. */
	assert_string_equal(sms(f, PA, "1").text, "Help text.");
	r1 = asked_report(f, PA);
	clock_freeze(T0 + MIN_MS);
	assert_string_equal(sms(f, PA, "thanks").text, "Help text.");
	assert_string_equal(answer_of(f, r1, buf), "");
	s = sms(f, PA, " Hapana ");
	assert_int_equal(s.outcome, DIALOG_SILENT);
	assert_string_equal(answer_of(f, r1, buf), "no");
	/* Answered: the next one goes to the flows. */
	assert_string_equal(sms(f, PA, "yes").text, "Help text.");
	assert_string_equal(answer_of(f, r1, buf), "no");

	/* A session started after the question takes its answers. */
	r2 = asked_report(f, PB);
	clock_freeze(T0 + 2 * MIN_MS);
	assert_string_equal(sms(f, PB, "SIGNUP").text, "Your name?");
	clock_freeze(T0 + 3 * MIN_MS);
	assert_string_equal(sms(f, PB, "1").text, "Your town?");
	assert_string_equal(answer_of(f, r2, buf), "");
	/* A question newer than the session's last step takes the answer. */
	clock_freeze(T0 + 4 * MIN_MS);
	asked_report(f, PB);
	assert_int_equal(sms(f, PB, "yes").outcome, DIALOG_SILENT);
	assert_string_equal(answer_of(f, r2, buf), "");
	assert_string_equal(answer_of(f, r2 + 1, buf), "yes");

	/* After the 7 days' window the answer goes to the flows. */
	clock_freeze(T0 + MIN_MS + DIALOG_FEEDBACK_WINDOW_MS + 1);
	assert_string_equal(sms(f, PB, "2").text, "Help text.");
	assert_string_equal(answer_of(f, r2, buf), "");
}

/* An SMS's turn on channel with the contact given as read (c may be NULL). */
static int64_t
sms_given(struct fx *f, const char *phone, const char *channel,
    struct store_contact *c, char *reply, size_t size)
{
	struct dialog_input in;
	struct dialog *d = NULL;
	int64_t id;

	memset(&in, 0, sizeof(in));
	in.kind = ENGINE_SMS;
	in.channel = channel;
	in.phone = phone;
	in.text = "hello";
	in.contact = c;
	assert_int_equal(dialog_turn(&f->env, &in, &d), 0);
	snprintf(reply, size, "%s", dialog_reply(d) ? dialog_reply(d) : "");
	id = dialog_contact(d);
	dialog_free(d);
	return id;
}

/*
 * The contact read with the message (store_msg_insert_inbound_contact) is
 * taken over by the turn, which records a new channel as the contact's
 * last; an unknown number's turn creates the contact itself.
 */
static void
test_contact_given(void **state)
{
	struct fx *f = *state;
	struct store_msg_in m = {.channel = "web",
	    .kind = MSG_SMS,
	    .phone = PA,
	    .text = "hello",
	    .state = MSG_HANDLED};
	struct store_contact c, now;
	char reply[64];
	int64_t id, mid;

	assert_int_equal(store_contact_touch(f->st, PA, "at", T0, &c), 1);
	id = c.id;
	store_contact_free(&c);
	assert_int_equal(
	    store_contact_set_field(f->st, id, "name", "Amina", T0), 0);

	assert_int_equal(
	    store_msg_insert_inbound_contact(f->st, &m, T0, &mid, &c), 0);
	assert_int_equal(c.id, id);
	assert_string_equal(c.phone, PA);
	assert_string_equal(c.last_channel, "at");
	assert_non_null(strstr(c.fields, "Amina"));
	assert_int_equal(sms_given(f, PA, "web", &c, reply, sizeof(reply)), id);
	assert_string_equal(reply, "Help text.");
	/* Taken: nothing left for the caller to free. */
	assert_int_equal(c.id, 0);
	assert_null(c.phone);
	assert_null(c.fields);
	assert_int_equal(store_contact_find(f->st, PA, &now), 0);
	assert_string_equal(now.last_channel, "web");
	store_contact_free(&now);

	/* A number with no contact yet: id 0, and the turn makes one. */
	m.phone = PB;
	assert_int_equal(
	    store_msg_insert_inbound_contact(f->st, &m, T0, &mid, &c), 0);
	assert_int_equal(c.id, 0);
	assert_null(c.phone);
	id = sms_given(f, PB, "web", &c, reply, sizeof(reply));
	assert_true(id > 0);
	assert_int_equal(store_contact_find(f->st, PB, &now), 0);
	assert_int_equal(now.id, id);
	assert_string_equal(now.last_channel, "web");
	store_contact_free(&now);
	store_contact_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_feedback_answer),
	    cmocka_unit_test_setup_teardown(
		test_resume_continue, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_resume_restart, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_resume_not_offered, setup, teardown),
	    cmocka_unit_test(test_resume_off),
	    cmocka_unit_test_setup_teardown(
		test_feedback_turns, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_contact_given, setup, teardown),
	};

	log_set_level(L_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
