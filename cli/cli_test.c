/*
 * cli_test.c: `baraza test [PATH...] [--junit FILE] [--coverage]`, which
 * runs `.flowtest` files (flows/flowtest.h) against the configured flows,
 * and the note `baraza check` prints for flows that no test starts.
 *
 * Each test runs in a fresh SQLite store in memory that holds only its
 * file's tables, with the clock frozen at the file's `at` (lib/util.h
 * clock_freeze; only `wait` moves it). The real database is never opened
 * and no provider is ever called. A phone's SMS or USSD step goes through
 * gateway/dialog.c exactly as `baraza simulate` sends it: the config's stop,
 * start and restart words, sessions and their timeout, the engine and its
 * actions are the gateway's own code. What ingress adds around a turn is
 * left out: the inbound message and the reply are not stored (`reply` and
 * `screen` read the turn's answer), so every message in the test's store
 * was queued by something else (a report's status SMS after `update
 * report`), which is what `sent` reads; there is no flood guard and no
 * duplicate detection. A `fetch` is answered by the test's stubs (the
 * last one whose regex matches the URL); a fetch without one fails the
 * test.
 *
 * Results go to stdout: one line per failure (FILE:LINE: expected ...,
 * got ...), the errors of a file that does not parse (FILE:LINE:COL:
 * error: ..., the file counts as one failed test), the coverage with
 * --coverage, then "N passed, N failed". The log (warnings and worse) goes
 * to stderr.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "council/import.h"
#include "council/reports.h"
#include "flows/engine.h"
#include "flows/flowtest.h"
#include "gateway/dialog.h"
#include "gateway/gateway.h"
#include "lib/log.h"
#include "lib/phone.h"
#include "lib/util.h"

#define TEST_MAX_FILES 1000 /* .flowtest files in one run */
#define TEST_MAX_PHONES 64  /* phones in one test */
#define TEST_MAX_VARS 256   /* variables caught in one test */
#define TEST_MAX_TEXT 8192  /* bytes of a rendered TEXT */
#define TEST_MAX_SENT 1000  /* messages `sent` looks at */
#define TEST_MAX_STUBS 256  /* stubs in force in one test */
#define TEST_MAX_SHOWN 2000 /* bytes of a text shown in a failure */
#define TEST_CHANNEL "test" /* the channel's name when the config has none */

/* What waits for `reply` or `screen` after a turn. */
enum slot_state {
	SLOT_EMPTY, /* nothing since the last check (or no turn yet) */
	SLOT_NONE,  /* the last turn answered nothing */
	SLOT_TEXT,  /* the last turn's answer */
};

struct slot {
	enum slot_state state;
	char *text; /* owned, SLOT_TEXT */
};

/* A phone that spoke in a test. */
struct phone {
	char num[PHONE_MAX]; /* E.164 */
	struct slot reply;   /* its last SMS reply */
	struct slot screen;  /* its last USSD screen, "CON ..." or "END ..." */
	char session[32];    /* its open USSD session, "" when none */
};

struct var {
	char *name;  /* owned */
	char *value; /* owned */
};

/* A file of the run and what was read for it. */
struct tfile {
	const char *path;                /* as found (the run's list owns it) */
	struct flowtest_file *ft;        /* NULL when it does not parse */
	char *errors;                    /* owned: its error lines, or NULL */
	char *data[FLOWTEST_MAX_TABLES]; /* its tables' CSV, owned */
	size_t len[FLOWTEST_MAX_TABLES];
};

/* The outcome of one test, for --junit. */
struct result {
	const char *file; /* borrowed from the run's list of files */
	char *name;       /* owned; NULL for a file that does not parse */
	char *failure;    /* owned; NULL when it passed */
};

/* The whole run. */
struct runner {
	const struct config *cfg;
	const struct flowset *set;
	const char *channel;     /* the channel turns come in on */
	size_t ussd_max;         /* its USSD screen limit */
	int64_t start;           /* the clock of a file without `at` */
	unsigned char **reached; /* --coverage: per flow, per step */
	struct result *res;      /* every test's outcome, in order */
	size_t nres, cap;
	size_t passed, failed;
};

/* One test being run. */
struct trun {
	struct runner *r;
	struct tfile *tf;
	struct store *st;
	struct phone phones[TEST_MAX_PHONES];
	size_t nphones;
	struct phone *cur; /* the phone that speaks */
	const char *lang;  /* the language a new contact gets, or NULL */
	const struct flowtest_stmt *stubs[TEST_MAX_STUBS];
	size_t nstubs;
	struct var vars[TEST_MAX_VARS];
	size_t nvars;
	int64_t seen[TEST_MAX_SENT]; /* messages `sent` already matched */
	size_t nseen;
	unsigned sessions; /* USSD sessions opened */
	const char *unset; /* a placeholder with no value, while rendering */
	char *failure;     /* owned: the failure line, or NULL */
};

/* ---- showing texts ---- */

/*
 * Appends s as it would be written in a .flowtest file: in double quotes,
 * with \" \\ \n escapes and braces doubled, so a failure's text can be
 * pasted into a test. Longer texts are cut after TEST_MAX_SHOWN bytes.
 */
static void
show(struct buf *b, const char *s)
{
	size_t i;

	buf_puts(b, "\"");
	/* Cut at a character's start. */
	for (i = 0; s[i] != '\0' && (i < TEST_MAX_SHOWN ||
					((unsigned char)s[i] & 0xC0) == 0x80);
	     i++) {
		switch (s[i]) {
		case '"':
			buf_puts(b, "\\\"");
			break;
		case '\\':
			buf_puts(b, "\\\\");
			break;
		case '\n':
			buf_puts(b, "\\n");
			break;
		case '{':
			buf_puts(b, "{{");
			break;
		case '}':
			buf_puts(b, "}}");
			break;
		default:
			buf_append(b, &s[i], 1);
		}
	}
	buf_puts(b, s[i] != '\0' ? "...\"" : "\"");
}

static void
show_regex(struct buf *b, const struct flow_regex *re)
{
	buf_printf(b, "/%s/%s", re->src, re->flags);
}

/* ---- failures ---- */

static int fail(struct trun *, const struct flowtest_stmt *, const char *, ...)
    PRINTFLIKE(3, 4);

/*
 * Records the test's failure at st's line (the first one counts). Returns
 * -1.
 */
static int
fail(struct trun *t, const struct flowtest_stmt *st, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (t->failure != NULL)
		return -1;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	t->failure = xasprintf("%s:%u: %s", t->tf->path, st->line, msg);
	free(msg);
	return -1;
}

/* A failure whose expected and got parts are in buffers. */
static int
fail_bufs(struct trun *t, const struct flowtest_stmt *st, struct buf *want,
    struct buf *got)
{
	return fail(
	    t, st, "expected %s, got %s", buf_cstr(want), buf_cstr(got));
}

/* ---- variables and texts ---- */

static const char *
var_get(const struct trun *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->nvars; i++)
		if (strcmp(t->vars[i].name, name) == 0)
			return t->vars[i].value;
	return NULL;
}

static int
var_set(struct trun *t, const char *name, const char *value, size_t len)
{
	size_t i;

	for (i = 0; i < t->nvars; i++)
		if (strcmp(t->vars[i].name, name) == 0)
			break;
	if (i == t->nvars) {
		if (t->nvars >= TEST_MAX_VARS)
			return -1;
		t->vars[t->nvars++].name = xstrdup(name);
	} else
		free(t->vars[i].value);
	t->vars[i].value = xstrndup(value, len);
	return 0;
}

static int
resolve_cb(void *arg, const char *root, const char *field, const char *path,
    struct buf *out)
{
	struct trun *t = arg;
	const char *v = var_get(t, path);

	(void)root;
	(void)field;
	if (v == NULL) {
		t->unset = path;
		return -2;
	}
	return buf_puts(out, v);
}

/*
 * Renders a TEXT of st with the test's variables into a new string (the
 * caller frees it). Returns NULL after failing the test when a placeholder
 * has no value.
 */
static char *
render(
    struct trun *t, const struct flowtest_stmt *st, const struct template *tmpl)
{
	struct buf b;
	int rc;

	buf_init(&b, TEST_MAX_TEXT);
	t->unset = NULL;
	rc = template_render(tmpl, &b, resolve_cb, t);
	if (rc == -2 && t->unset != NULL) {
		fail(t, st,
		    "expected a value for {%s} (a named group of an earlier "
		    "regex), got none",
		    t->unset);
		buf_free(&b);
		return NULL;
	}
	if (rc != 0) {
		fail(t, st, "expected a text of at most %d bytes, got more",
		    TEST_MAX_TEXT);
		buf_free(&b);
		return NULL;
	}
	if (b.data == NULL)
		return xstrdup("");
	return buf_steal(&b);
}

static int
group_cb(void *arg, const char *name, const char *value, size_t vlen)
{
	return var_set(arg, name, value, vlen);
}

/*
 * Whether text matches st's expectation (a regex catches its named groups
 * as variables). Returns 1 or 0, or -1 after failing the test.
 */
static int
matches(struct trun *t, const struct flowtest_stmt *st, const char *text,
    const char *want)
{
	pcre2_match_data *md;
	int rc;

	if (st->match == FT_MATCH_TEXT)
		return strcmp(text, want) == 0;
	md = pcre2_match_data_create_from_pattern(st->re.code, NULL);
	rc = flow_regex_match(&st->re, text, strlen(text), md);
	if (rc == 1 && flow_regex_groups(&st->re, text, md, group_cb, t) < 0) {
		pcre2_match_data_free(md);
		return fail(t, st, "expected at most %d variables, got more",
		    TEST_MAX_VARS);
	}
	pcre2_match_data_free(md);
	return rc == 1;
}

/* What st expects, shown: "TEXT" or /re/. */
static void
show_want(struct buf *b, const struct flowtest_stmt *st, const char *want)
{
	if (st->match == FT_MATCH_REGEX)
		show_regex(b, &st->re);
	else
		show(b, want);
}

/* ---- phones and contacts ---- */

static void
slot_set(struct slot *s, const char *text)
{
	free(s->text);
	s->text = text != NULL ? xstrdup(text) : NULL;
	s->state = text != NULL ? SLOT_TEXT : SLOT_NONE;
}

static void
slot_clear(struct slot *s)
{
	free(s->text);
	s->text = NULL;
	s->state = SLOT_EMPTY;
}

/* The phone num (E.164), added when it is new; NULL when too many. */
static struct phone *
phone_get(struct trun *t, const char *num)
{
	size_t i;

	for (i = 0; i < t->nphones; i++)
		if (strcmp(t->phones[i].num, num) == 0)
			return &t->phones[i];
	if (t->nphones >= TEST_MAX_PHONES)
		return NULL;
	memset(&t->phones[i], 0, sizeof(t->phones[i]));
	snprintf(t->phones[i].num, sizeof(t->phones[i].num), "%s", num);
	t->nphones++;
	return &t->phones[i];
}

/* Normalizes num with the config's country code into out (PHONE_MAX). */
static int
normalize(const struct runner *r, const char *num, char *out)
{
	return phone_normalize(num, r->cfg->country_code, out, PHONE_MAX);
}

/* The current phone's contact, created with the test's language if new. */
static int
contact_prepare(struct trun *t, const struct flowtest_stmt *st)
{
	struct store_contact c;
	int rc;

	if (t->lang == NULL)
		return 0;
	memset(&c, 0, sizeof(c));
	rc = store_contact_find(t->st, t->cur->num, &c);
	store_contact_free(&c);
	if (rc != STORE_NOTFOUND)
		return 0;
	memset(&c, 0, sizeof(c));
	if (store_begin(t->st) != 0 ||
	    store_contact_get(t->st, t->cur->num, now_ms(), &c) < 0 ||
	    store_contact_set_language(t->st, c.id, t->lang, now_ms()) != 0 ||
	    store_commit(t->st) != 0) {
		if (store_in_transaction(t->st))
			store_rollback(t->st);
		store_contact_free(&c);
		return fail(t, st, "expected a contact, got a store error: %s",
		    store_errmsg(t->st));
	}
	store_contact_free(&c);
	return 0;
}

/* ---- turns ---- */

/* The stub that answers url: the last one in force whose regex matches. */
static const struct flowtest_stmt *
stub_for(const struct trun *t, const char *url)
{
	size_t i;

	for (i = t->nstubs; i > 0; i--)
		if (flow_regex_match(
			&t->stubs[i - 1]->re, url, strlen(url), NULL) == 1)
			return t->stubs[i - 1];
	return NULL;
}

static void
on_step(void *arg, const struct flow *f, size_t step)
{
	struct runner *r = arg;

	if (r->reached != NULL && f->index < r->set->nflows &&
	    r->set->flows[f->index] == f && step < f->nsteps)
		r->reached[f->index][step] = 1;
}

/*
 * One turn of the current phone through the dialog, in a transaction, with
 * fetches answered by the stubs. Sets *reply (owned by the caller, NULL
 * when the turn answered nothing) and *ended. Returns 0, or -1 after
 * failing the test.
 */
static int
turn(struct trun *t, const struct flowtest_stmt *st,
    const struct dialog_input *in, char **reply, int *ended)
{
	struct runner *r = t->r;
	struct dialog_cache cache;
	struct dialog_env env = {.store = t->st,
	    .cfg = r->cfg,
	    .set = r->set,
	    .cache = &cache,
	    .on_step = on_step,
	    .step_arg = r};
	const struct flowtest_stmt *stub;
	struct dialog *d = NULL;
	const char *url;

	*reply = NULL;
	*ended = 1;
	memset(&cache, 0, sizeof(cache));
	for (;;) {
		if (store_begin(t->st) != 0)
			return fail(t, st, "expected a store, got: %s",
			    store_errmsg(t->st));
		if (dialog_turn(&env, in, &d) != 0) {
			store_rollback(t->st);
			dialog_cache_free(&cache);
			return fail(t, st,
			    "expected the input to be taken, got it refused "
			    "(too long?)");
		}
		if (dialog_outcome(d) != DIALOG_FETCH)
			break;
		store_rollback(t->st);
		url = dialog_fetch_url(d);
		if ((stub = stub_for(t, url)) == NULL) {
			struct buf b;

			buf_init(&b, TEST_MAX_TEXT);
			show(&b, url);
			fail(t, st,
			    "expected a stub for the fetch of %s, got none",
			    buf_cstr(&b));
			buf_free(&b);
			dialog_free(d);
			dialog_cache_free(&cache);
			return -1;
		}
		if (dialog_cache_put(&cache, url, stub->status, stub->body,
			stub->bodylen) != 0) {
			dialog_free(d);
			dialog_cache_free(&cache);
			return fail(t, st,
			    "expected at most %zu fetches in one turn, got "
			    "more",
			    nitems(cache.v));
		}
		dialog_free(d);
	}
	dialog_cache_free(&cache);
	if (dialog_outcome(d) == DIALOG_FAILED) {
		store_rollback(t->st);
		dialog_free(d);
		return fail(t, st, "expected the turn to be stored, got: %s",
		    store_errmsg(t->st));
	}
	if (store_commit(t->st) != 0) {
		dialog_free(d);
		return fail(t, st, "expected the turn to be stored, got: %s",
		    store_errmsg(t->st));
	}
	if (dialog_reply(d) != NULL)
		*reply = xstrdup(dialog_reply(d));
	*ended = dialog_ended(d);
	dialog_free(d);
	return 0;
}

/*
 * The language whose translation of a TEXT a test uses for the contact at
 * num: the contact's own; for a number not yet a contact, the one a new
 * contact gets (`lang`); "" for the default.
 */
static const char *
lang_of(struct trun *t, const char *num, char out[4])
{
	struct store_contact c;
	int rc;

	memset(&c, 0, sizeof(c));
	out[0] = '\0';
	rc = store_contact_find(t->st, num, &c);
	if (rc == 0 && c.language != NULL)
		snprintf(out, 4, "%s", c.language);
	else if (rc != 0 && t->lang != NULL)
		snprintf(out, 4, "%s", t->lang);
	store_contact_free(&c);
	return out;
}

/* sms "TEXT" */
static int
do_sms(struct trun *t, const struct flowtest_stmt *st)
{
	struct dialog_input in = {
	    .kind = ENGINE_SMS, .channel = t->r->channel, .phone = t->cur->num};
	char *text, *reply, lang[4];
	int ended, rc;

	if ((text = render(t, st,
		 flowtest_text(st, lang_of(t, t->cur->num, lang)))) == NULL ||
	    contact_prepare(t, st) != 0) {
		free(text);
		return -1;
	}
	in.text = text;
	rc = turn(t, st, &in, &reply, &ended);
	free(text);
	if (rc != 0)
		return -1;
	slot_set(&t->cur->reply, reply);
	free(reply);
	return 0;
}

/* dial CODE and send "INPUT": one USSD step, its screen kept */
static int
do_ussd(struct trun *t, const struct flowtest_stmt *st)
{
	struct dialog_input in = {.kind = ENGINE_USSD,
	    .channel = t->r->channel,
	    .phone = t->cur->num,
	    .ussd_max = t->r->ussd_max};
	char *text = NULL, *reply, *screen, lang[4];
	int ended, rc;

	if (st->kind == FT_DIAL) {
		if (contact_prepare(t, st) != 0)
			return -1;
		snprintf(t->cur->session, sizeof(t->cur->session),
		    "flowtest-%u", ++t->sessions);
		in.dialled = st->word;
	} else {
		if (t->cur->session[0] == '\0')
			return fail(t, st,
			    "expected an open USSD session for %s (dial "
			    "first), got none",
			    t->cur->num);
		if ((text = render(t, st,
			 flowtest_text(st, lang_of(t, t->cur->num, lang)))) ==
		    NULL)
			return -1;
		in.text = text;
	}
	in.ussd_session = t->cur->session;
	rc = turn(t, st, &in, &reply, &ended);
	free(text);
	if (rc != 0)
		return -1;
	screen = xasprintf("%s %s", ended ? "END" : "CON", reply ? reply : "");
	slot_set(&t->cur->screen, screen);
	free(screen);
	free(reply);
	if (ended)
		t->cur->session[0] = '\0';
	return 0;
}

/* reply ... and screen ...: the answer the current phone got last */
static int
do_expect(struct trun *t, const struct flowtest_stmt *st)
{
	struct slot *s =
	    st->kind == FT_REPLY ? &t->cur->reply : &t->cur->screen;
	const char *what = st->kind == FT_REPLY ? "reply" : "screen";
	struct buf want, got;
	char lang[4];
	char *text = NULL;
	int ok;

	if (st->match == FT_MATCH_TEXT &&
	    (text = render(t, st,
		 flowtest_text(st, lang_of(t, t->cur->num, lang)))) == NULL)
		return -1;
	buf_init(&want, TEST_MAX_TEXT);
	buf_init(&got, TEST_MAX_TEXT);
	if (st->match == FT_MATCH_NONE) {
		ok = s->state != SLOT_TEXT;
		buf_puts(&want, "no reply");
	} else {
		ok = s->state == SLOT_TEXT ? matches(t, st, s->text, text) : 0;
		show_want(&want, st, text);
	}
	if (s->state == SLOT_TEXT)
		show(&got, s->text);
	else
		buf_printf(&got, "no %s", what);
	slot_clear(s);
	if (ok == 0)
		fail_bufs(t, st, &want, &got);
	buf_free(&want);
	buf_free(&got);
	free(text);
	return ok == 1 ? 0 : -1;
}

/* ---- the store's state ---- */

static int
newest_report_cb(void *arg, const struct store_report *r, const char *note)
{
	struct store_report *out = arg;

	(void)note;
	out->id = r->id;
	out->status = xstrdup(r->status ? r->status : "");
	out->category = xstrdup(r->category ? r->category : "");
	out->location = xstrdup(r->location ? r->location : "");
	out->details = xstrdup(r->details ? r->details : "");
	return 1;
}

/* report FIELD "VALUE"...: the newest report (the store is the test's) */
static int
do_report(struct trun *t, const struct flowtest_stmt *st)
{
	struct store_report_filter f = {.limit = 1};
	struct store_report rp;
	char id[32], *want;
	const char *got = NULL;
	struct buf w, g;
	size_t i;
	int rc = 0;

	memset(&rp, 0, sizeof(rp));
	if (store_report_each(t->st, &f, newest_report_cb, &rp) != 0)
		return fail(t, st, "expected a report, got a store error: %s",
		    store_errmsg(t->st));
	if (rp.id == 0)
		return fail(t, st, "expected a report, got none");
	snprintf(id, sizeof(id), "%" PRId64, rp.id);
	for (i = 0; i < st->npairs && rc == 0; i++) {
		switch (st->pairs[i].field) {
		case FT_FIELD_CATEGORY:
			got = rp.category;
			break;
		case FT_FIELD_STATUS:
			got = rp.status;
			break;
		case FT_FIELD_LOCATION:
			got = rp.location;
			break;
		case FT_FIELD_DETAILS:
			got = rp.details;
			break;
		case FT_FIELD_ID:
			got = id;
			break;
		}
		if ((want = render(t, st, st->pairs[i].value)) == NULL) {
			rc = -1;
			break;
		}
		if (strcmp(want, got) != 0) {
			buf_init(&w, TEST_MAX_TEXT);
			buf_init(&g, TEST_MAX_TEXT);
			buf_printf(&w, "report %s %s ",
			    flowtest_field_name(st->pairs[i].field), id);
			show(&w, want);
			show(&g, got);
			rc = fail_bufs(t, st, &w, &g);
			buf_free(&w);
			buf_free(&g);
		}
		free(want);
	}
	store_report_free(&rp);
	return rc;
}

/* subscribed, unsubscribed, opted out, opted in: the current contact */
static int
do_contact(struct trun *t, const struct flowtest_stmt *st)
{
	struct store_contact c;
	char *topic = NULL;
	int rc, found, yes;

	memset(&c, 0, sizeof(c));
	rc = store_contact_find(t->st, t->cur->num, &c);
	if (rc < 0) {
		store_contact_free(&c);
		return fail(t, st, "expected a contact, got a store error: %s",
		    store_errmsg(t->st));
	}
	found = rc == 0;
	if (st->kind == FT_OPTED_OUT || st->kind == FT_OPTED_IN) {
		yes = found && c.opted_out;
		store_contact_free(&c);
		if (yes == (st->kind == FT_OPTED_OUT))
			return 0;
		return fail(t, st, "expected %s opted %s, got opted %s",
		    t->cur->num, st->kind == FT_OPTED_OUT ? "out" : "in",
		    yes ? "out" : "in");
	}
	if ((topic = render(t, st, st->text)) == NULL) {
		store_contact_free(&c);
		return -1;
	}
	yes = 0;
	if (found) {
		rc = store_subscribed(t->st, c.id, topic);
		if (rc < 0) {
			store_contact_free(&c);
			free(topic);
			return fail(t, st,
			    "expected a subscription, got a store error: %s",
			    store_errmsg(t->st));
		}
		yes = rc == 0;
	}
	store_contact_free(&c);
	rc = 0;
	if (yes != (st->kind == FT_SUBSCRIBED))
		rc = fail(t, st, "expected %s %ssubscribed to \"%s\", got %s",
		    t->cur->num, st->kind == FT_SUBSCRIBED ? "" : "not ", topic,
		    yes ? "subscribed" : "not subscribed");
	free(topic);
	return rc;
}

/* The messages to one number, oldest first. */
struct sent_list {
	int64_t id[TEST_MAX_SENT];
	char *text[TEST_MAX_SENT];
	size_t n;
	size_t total; /* seen by the walk, kept or not */
};

static int
sent_cb(void *arg, const struct store_msg_row *m)
{
	struct sent_list *l = arg;

	l->total++;
	if (l->n >= TEST_MAX_SENT)
		return 0;
	l->id[l->n] = m->id;
	l->text[l->n] = xstrdup(m->text ? m->text : "");
	l->n++;
	return 0;
}

static int
seen(const struct trun *t, int64_t id)
{
	size_t i;

	for (i = 0; i < t->nseen; i++)
		if (t->seen[i] == id)
			return 1;
	return 0;
}

/*
 * sent NUM "TEXT" | /re/: a message to NUM that no earlier `sent` matched.
 * Replies are not stored by the runner, so every outbound message of the
 * test's store is one.
 */
static int
do_sent(struct trun *t, const struct flowtest_stmt *st)
{
	struct store_msg_query q = {.direction = "out", .limit = 100};
	struct sent_list *l = xcalloc(1, sizeof(*l));
	char num[PHONE_MAX], *want = NULL, lang[4];
	struct buf w, g;
	int64_t next = 0;
	size_t i, j, shown = 0;
	int ok = 0, rc = 0;

	normalize(t->r, st->word, num);
	q.phone = num;
	do {
		q.before = next;
		if (store_console_messages(t->st, &q, sent_cb, l, &next) != 0) {
			rc = fail(t, st,
			    "expected the messages, got a store error: %s",
			    store_errmsg(t->st));
			goto out;
		}
	} while (next != 0 && l->total < TEST_MAX_SENT);
	/* The walk is newest first: turn it around. */
	for (i = 0, j = l->n; i + 1 < j; i++, j--) {
		int64_t id = l->id[i];
		char *s = l->text[i];

		l->id[i] = l->id[j - 1];
		l->text[i] = l->text[j - 1];
		l->id[j - 1] = id;
		l->text[j - 1] = s;
	}
	if (st->match == FT_MATCH_TEXT &&
	    (want = render(t, st, flowtest_text(st, lang_of(t, num, lang)))) ==
		NULL) {
		rc = -1;
		goto out;
	}
	for (i = 0; i < l->n && !ok; i++) {
		if (seen(t, l->id[i]))
			continue;
		if ((ok = matches(t, st, l->text[i], want)) < 0) {
			rc = -1;
			goto out;
		}
		if (ok && t->nseen < TEST_MAX_SENT)
			t->seen[t->nseen++] = l->id[i];
	}
	if (!ok) {
		buf_init(&w, TEST_MAX_TEXT);
		buf_init(&g, TEST_MAX_TEXT * 4);
		buf_printf(&w, "a message to %s ", num);
		show_want(&w, st, want);
		for (i = 0; i < l->n; i++) {
			if (seen(t, l->id[i]))
				continue;
			buf_puts(&g, shown++ ? ", " : "");
			show(&g, l->text[i]);
		}
		if (shown == 0)
			buf_puts(&g, "none");
		rc = fail_bufs(t, st, &w, &g);
		buf_free(&w);
		buf_free(&g);
	}
out:
	for (i = 0; i < l->n; i++)
		free(l->text[i]);
	free(l);
	free(want);
	return rc;
}

/* update report ID STATUS ["NOTE"]: as staff do (`baraza report`) */
static int
do_update(struct trun *t, const struct flowtest_stmt *st)
{
	char *id = NULL, *note = NULL;
	int64_t n;
	int rc;

	if ((id = render(t, st, st->text)) == NULL ||
	    (st->note != NULL && (note = render(t, st, st->note)) == NULL)) {
		free(id);
		return -1;
	}
	if ((n = str_id(id)) < 0) {
		rc = fail(t, st, "expected a report number, got \"%s\"", id);
		goto out;
	}
	if (store_begin(t->st) != 0) {
		rc = fail(
		    t, st, "expected a store, got: %s", store_errmsg(t->st));
		goto out;
	}
	rc =
	    reports_update(t->st, t->r->cfg, n, st->word, note, now_ms(), NULL);
	if (rc != 0) {
		store_rollback(t->st);
		if (rc == STORE_NOTFOUND)
			rc = fail(t, st, "expected report %s, got none", id);
		else
			rc = fail(t, st,
			    "expected report %s updated, got a store error: %s",
			    id, store_errmsg(t->st));
		goto out;
	}
	if (store_commit(t->st) != 0)
		rc = fail(t, st, "expected report %s updated, got: %s", id,
		    store_errmsg(t->st));
out:
	free(id);
	free(note);
	return rc;
}

/* ---- running a test ---- */

/* Carries out one statement. Returns 0, or -1 when the test failed. */
static int
run_stmt(struct trun *t, const struct flowtest_stmt *st)
{
	char num[PHONE_MAX];

	switch (st->kind) {
	case FT_TABLE:
	case FT_AT:
		return 0; /* done before the first statement */
	case FT_PHONE:
		normalize(t->r, st->word, num);
		if ((t->cur = phone_get(t, num)) == NULL)
			return fail(t, st,
			    "expected at most %d phones, got more",
			    TEST_MAX_PHONES);
		return 0;
	case FT_LANG:
		t->lang = st->word;
		return 0;
	case FT_STUB:
		if (t->nstubs >= TEST_MAX_STUBS)
			return fail(t, st,
			    "expected at most %d stubs, got more",
			    TEST_MAX_STUBS);
		t->stubs[t->nstubs++] = st;
		return 0;
	case FT_SMS:
		return do_sms(t, st);
	case FT_DIAL:
	case FT_SEND:
		return do_ussd(t, st);
	case FT_REPLY:
	case FT_SCREEN:
		return do_expect(t, st);
	case FT_WAIT:
		clock_freeze(now_ms() + st->ms);
		return 0;
	case FT_REPORT:
		return do_report(t, st);
	case FT_SUBSCRIBED:
	case FT_UNSUBSCRIBED:
	case FT_OPTED_OUT:
	case FT_OPTED_IN:
		return do_contact(t, st);
	case FT_SENT:
		return do_sent(t, st);
	case FT_UPDATE:
		return do_update(t, st);
	}
	return fail(t, st, "expected a statement, got kind %d", (int)st->kind);
}

/* The clock a test of ft starts at: its `at`, else the run's start. */
static int64_t
start_time(const struct runner *r, const struct flowtest_file *ft)
{
	size_t i;

	for (i = 0; i < ft->head.nstmt; i++)
		if (ft->head.stmt[i].kind == FT_AT)
			return ft->head.stmt[i].ms;
	return r->start;
}

/*
 * Opens a fresh store in memory and loads the file's tables into it.
 * Returns it, or NULL with *why set (the caller frees it) and *bad the
 * table that would not load (NULL when the store would not open).
 */
static struct store *
fresh_store(
    const struct tfile *tf, const struct flowtest_stmt **bad, char **why)
{
	const struct flowtest_case *h = &tf->ft->head;
	struct store *st = NULL;
	char *err = NULL;
	size_t i, k = 0;

	*why = NULL;
	*bad = NULL;
	if (store_open(":memory:", 0, &st, &err) != 0) {
		*why = xasprintf(
		    "cannot open a store in memory: %s", err ? err : "?");
		free(err);
		return NULL;
	}
	for (i = 0; i < h->nstmt; i++) {
		const struct flowtest_stmt *s = &h->stmt[i];

		if (s->kind != FT_TABLE)
			continue;
		if (import_csv_buf(st, s->word, s->key, tf->data[k], tf->len[k],
			NULL, NULL, &err) < 0) {
			*why = xasprintf("table %s: %s: %s", s->word, s->file,
			    err ? err : "?");
			*bad = s;
			free(err);
			store_close(st);
			return NULL;
		}
		k++;
	}
	return st;
}

static void
add_result(
    struct runner *r, const char *file, const char *name, const char *failure)
{
	struct result *res;

	if (r->nres == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		r->res = xrealloc(r->res, r->cap * sizeof(*r->res));
	}
	res = &r->res[r->nres++];
	res->file = file;
	res->name = name ? xstrdup(name) : NULL;
	res->failure = failure ? xstrdup(failure) : NULL;
	if (failure == NULL)
		r->passed++;
	else
		r->failed++;
}

static void
run_test(struct runner *r, struct tfile *tf, const struct flowtest_case *tc)
{
	const struct flowtest_stmt *bad;
	struct trun t;
	char num[PHONE_MAX], *why;
	size_t i;

	memset(&t, 0, sizeof(t));
	t.r = r;
	t.tf = tf;
	clock_freeze(start_time(r, tf->ft));
	if ((t.st = fresh_store(tf, &bad, &why)) == NULL) {
		t.failure = xasprintf("%s:%u: expected a fresh store, got: %s",
		    tf->path, tc->line, why);
		free(why);
	} else {
		normalize(r,
		    r->cfg->country_code[0] ? "0700000000" : "+15555550100",
		    num);
		t.cur = phone_get(&t, num);
		for (i = 0; i < tf->ft->head.nstmt && t.failure == NULL; i++)
			run_stmt(&t, &tf->ft->head.stmt[i]);
		for (i = 0; i < tc->nstmt && t.failure == NULL; i++)
			run_stmt(&t, &tc->stmt[i]);
		store_close(t.st);
	}
	if (t.failure != NULL)
		printf("%s\n", t.failure);
	add_result(r, tf->path, tc->name, t.failure);
	free(t.failure);
	for (i = 0; i < t.nphones; i++) {
		slot_clear(&t.phones[i].reply);
		slot_clear(&t.phones[i].screen);
	}
	for (i = 0; i < t.nvars; i++) {
		free(t.vars[i].name);
		free(t.vars[i].value);
	}
}

/* ---- preparing a file ---- */

/* The folder of path, with a trailing '/', or "" (a new string). */
static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? xstrndup(path, (size_t)(slash - path) + 1) : xstrdup("");
}

/* Reads a table's CSV file (relative to the test file) into tf. */
static int
read_table(struct tfile *tf, const struct flowtest_stmt *s, size_t k,
    struct flow_findings *f)
{
	char *dir = dir_of(tf->path), *path;
	struct buf b;
	char chunk[65536];
	size_t n;
	FILE *fp;
	int rc = 0;

	path = s->file[0] == '/' ? xstrdup(s->file)
				 : xasprintf("%s%s", dir, s->file);
	free(dir);
	if ((fp = fopen(path, "rb")) == NULL) {
		flow_findings_add(f, tf->path, s->line, s->col, FINDING_ERROR,
		    "table %s: cannot read %s: %s", s->word, path,
		    strerror(errno));
		free(path);
		return -1;
	}
	buf_init(&b, IMPORT_MAX_BYTES);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (buf_append(&b, chunk, n) != 0) {
			flow_findings_add(f, tf->path, s->line, s->col,
			    FINDING_ERROR, "table %s: %s is too large", s->word,
			    path);
			rc = -1;
			break;
		}
	if (rc == 0 && ferror(fp)) {
		flow_findings_add(f, tf->path, s->line, s->col, FINDING_ERROR,
		    "table %s: cannot read %s", s->word, path);
		rc = -1;
	}
	fclose(fp);
	free(path);
	tf->len[k] = b.len;
	tf->data[k] = buf_steal(&b);
	if (tf->data[k] == NULL)
		tf->data[k] = xstrdup("");
	return rc;
}

/* Checks a statement against the config: numbers, languages, statuses. */
static void
check_stmt(const struct runner *r, const struct tfile *tf,
    const struct flowtest_stmt *s, struct flow_findings *f)
{
	char num[PHONE_MAX];
	size_t i;

	switch (s->kind) {
	case FT_PHONE:
	case FT_SENT:
		if (normalize(r, s->word, num) != 0)
			flow_findings_add(f, tf->path, s->line, s->col2,
			    FINDING_ERROR,
			    "'%s' is not a phone number (with the config's "
			    "country_code '%s')",
			    s->word, r->cfg->country_code);
		break;
	case FT_LANG:
		for (i = 0; i < r->cfg->languages.n; i++)
			if (strcmp(r->cfg->languages.v[i], s->word) == 0)
				return;
		flow_findings_add(f, tf->path, s->line, s->col2, FINDING_ERROR,
		    "language '%s' is not one of the config's languages",
		    s->word);
		break;
	case FT_UPDATE:
		if (!store_report_status_valid(s->word))
			flow_findings_add(f, tf->path, s->line, s->col2,
			    FINDING_ERROR,
			    "unknown report status '%s' (open, acknowledged, "
			    "in_progress, resolved or closed)",
			    s->word);
		break;
	default:
		break;
	}
}

/*
 * Parses tf->path, checks it against the config and reads its tables (and
 * loads them once into a scratch store, so a bad CSV is the file's error,
 * not every test's). On any error tf->ft is NULL and tf->errors holds the
 * lines.
 */
static void
prepare(const struct runner *r, struct tfile *tf)
{
	const struct flowtest_stmt *bad;
	struct flow_findings f;
	struct store *st;
	char *why;
	size_t i, j, k = 0;

	flow_findings_init(&f);
	if (flowtest_load(tf->path, &tf->ft, &f) == 0) {
		const struct flowtest_case *h = &tf->ft->head;

		for (i = 0; i < h->nstmt; i++) {
			check_stmt(r, tf, &h->stmt[i], &f);
			if (h->stmt[i].kind == FT_TABLE)
				read_table(tf, &h->stmt[i], k++, &f);
		}
		for (i = 0; i < tf->ft->ntests; i++)
			for (j = 0; j < tf->ft->tests[i].nstmt; j++)
				check_stmt(
				    r, tf, &tf->ft->tests[i].stmt[j], &f);
		if (f.nerrors == 0 && k > 0) {
			if ((st = fresh_store(tf, &bad, &why)) == NULL) {
				flow_findings_add(&f, tf->path,
				    bad ? bad->line : 0, bad ? bad->col : 0,
				    FINDING_ERROR, "%s", why);
				free(why);
			} else
				store_close(st);
		}
	}
	if (f.nerrors > 0) {
		struct buf b;

		flowtest_free(tf->ft);
		tf->ft = NULL;
		flow_findings_sort(&f);
		buf_init(&b, 4 * 1024 * 1024);
		for (i = 0; i < f.n; i++) {
			char *line = flow_finding_format(&f.v[i]);

			buf_printf(&b, "%s\n", line);
			free(line);
		}
		if (f.ndropped > 0)
			buf_printf(
			    &b, "%s: %zu more errors\n", tf->path, f.ndropped);
		tf->errors = buf_steal(&b);
	}
	flow_findings_free(&f);
}

static void
tfile_free(struct tfile *tf)
{
	size_t i;

	flowtest_free(tf->ft);
	for (i = 0; i < FLOWTEST_MAX_TABLES; i++)
		free(tf->data[i]);
	free(tf->errors);
}

/* ---- finding the files ---- */

struct file_list {
	char **v;
	size_t n, cap;
};

static void
list_add(struct file_list *l, char *path)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = path;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
is_flowtest(const char *name)
{
	size_t n = strlen(name);

	return n > 9 && name[0] != '.' &&
	       strcmp(name + n - 9, ".flowtest") == 0;
}

/*
 * Adds path (a .flowtest file, or a folder: its *.flowtest files in name
 * order, not recursive) to l. Returns 0, or -1 after saying why not.
 */
static int
collect(struct file_list *l, const char *path, int quiet)
{
	struct file_list dl = {NULL, 0, 0};
	struct dirent *de;
	struct stat sb;
	size_t i, n = strlen(path);
	DIR *d;

	if (stat(path, &sb) != 0) {
		if (!quiet)
			fprintf(
			    stderr, "baraza: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		list_add(l, xstrdup(path));
		return 0;
	}
	if ((d = opendir(path)) == NULL) {
		if (!quiet)
			fprintf(
			    stderr, "baraza: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL && dl.n <= TEST_MAX_FILES)
		if (is_flowtest(de->d_name))
			list_add(
			    &dl, xasprintf("%s%s%s", path,
				     n > 0 && path[n - 1] == '/' ? "" : "/",
				     de->d_name));
	closedir(d);
	if (dl.n > 1) /* an empty folder has no array to sort */
		qsort(dl.v, dl.n, sizeof(*dl.v), cmp_str);
	for (i = 0; i < dl.n; i++)
		list_add(l, dl.v[i]);
	free(dl.v);
	return 0;
}

char *
cli_test_default_dir(const struct config *cfg)
{
	struct stat sb;
	char *flows = xstrdup(cfg->flows), *beside, *slash;
	size_t n = strlen(flows);

	while (n > 1 && flows[n - 1] == '/')
		flows[--n] = '\0';
	/* The folder beside flows (interfaces.md), else the one inside. */
	if ((slash = strrchr(flows, '/')) == NULL)
		beside = xstrdup("tests");
	else if (slash == flows)
		beside = xstrdup("/tests");
	else
		beside = xasprintf("%.*s/tests", (int)(slash - flows), flows);
	if (stat(beside, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		char *inside = xasprintf("%s/tests", flows);

		if (stat(inside, &sb) == 0 && S_ISDIR(sb.st_mode)) {
			free(beside);
			beside = inside;
		} else
			free(inside);
	}
	free(flows);
	return beside;
}

/* ---- the reports: JUnit and coverage ---- */

/*
 * Writes s escaped for XML: markup characters as entities, and what XML
 * 1.0 cannot hold (control characters, bytes that are not UTF-8) as '?'.
 */
static void
xml_text(FILE *fp, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t k, need;

	while (*p != '\0') {
		if (*p < 0x80) {
			switch (*p) {
			case '&':
				fputs("&amp;", fp);
				break;
			case '<':
				fputs("&lt;", fp);
				break;
			case '>':
				fputs("&gt;", fp);
				break;
			case '"':
				fputs("&quot;", fp);
				break;
			case '\n':
				fputs("&#10;", fp);
				break;
			default:
				fputc(*p < 0x20 && *p != '\t' ? '?' : *p, fp);
			}
			p++;
			continue;
		}
		need = *p >= 0xC2 && *p <= 0xDF   ? 1
		       : *p >= 0xE0 && *p <= 0xEF ? 2
		       : *p >= 0xF0 && *p <= 0xF4 ? 3
						  : 0;
		for (k = 1; k <= need; k++)
			if ((p[k] & 0xC0) != 0x80)
				break;
		if (need == 0 || k <= need) {
			fputc('?', fp);
			p++;
			continue;
		}
		fwrite(p, 1, need + 1, fp);
		p += need + 1;
	}
}

/* Writes the results as JUnit XML: a testsuite per file. */
static int
write_junit(const struct runner *r, const char *path)
{
	FILE *fp;
	size_t i, j, n, nf;

	if ((fp = fopen(path, "w")) == NULL) {
		fprintf(
		    stderr, "baraza: --junit %s: %s\n", path, strerror(errno));
		return -1;
	}
	fprintf(fp, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(fp,
	    "<testsuites name=\"baraza test\" tests=\"%zu\" "
	    "failures=\"%zu\" errors=\"0\">\n",
	    r->passed + r->failed, r->failed);
	for (i = 0; i < r->nres; i = j) {
		for (j = i, n = 0, nf = 0;
		     j < r->nres && r->res[j].file == r->res[i].file; j++) {
			n++;
			nf += r->res[j].failure != NULL;
		}
		fprintf(fp, "  <testsuite name=\"");
		xml_text(fp, r->res[i].file);
		fprintf(fp, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\">\n",
		    n, nf);
		for (n = i; n < j; n++) {
			const struct result *res = &r->res[n];

			fprintf(fp, "    <testcase classname=\"");
			xml_text(fp, res->file);
			fprintf(fp, "\" name=\"");
			xml_text(fp, res->name ? res->name : "(the file)");
			if (res->failure == NULL) {
				fprintf(fp, "\"/>\n");
				continue;
			}
			fprintf(fp, "\">\n      <failure message=\"");
			xml_text(fp, res->failure);
			fprintf(fp, "\">");
			xml_text(fp, res->failure);
			fprintf(fp, "</failure>\n    </testcase>\n");
		}
		fprintf(fp, "  </testsuite>\n");
	}
	fprintf(fp, "</testsuites>\n");
	if (fclose(fp) != 0) {
		fprintf(
		    stderr, "baraza: --junit %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Prints, per flow, how many steps ran and the ones that never did. */
static void
print_coverage(const struct runner *r)
{
	const struct flowset *set = r->set;
	size_t i, k, n;

	for (i = 0; i < set->nflows; i++) {
		const struct flow *fl = set->flows[i];

		for (k = 0, n = 0; k < fl->nsteps; k++)
			n += r->reached[i][k];
		printf("coverage: flow %s (%s): %zu of %zu step%s reached\n",
		    fl->name, fl->pos.file, n, fl->nsteps,
		    fl->nsteps == 1 ? "" : "s");
		for (k = 0; k < fl->nsteps; k++) {
			const struct flow_step *st = &fl->steps[k];

			if (r->reached[i][k])
				continue;
			printf("  %s:%u:%u: %s%s%s not reached\n", st->pos.file,
			    st->pos.line, st->pos.col,
			    flow_step_kind_name(st->kind), st->name ? " " : "",
			    st->name ? st->name : "");
		}
	}
}

/* ---- the command ---- */

static void
test_usage(void)
{
	fprintf(stderr,
	    "baraza: bad usage\nusage: baraza test [PATH...] [--junit FILE] "
	    "[--coverage]\n");
}

/* The channel turns come in on: default_channel, the first, or "test". */
static void
pick_channel(struct runner *r)
{
	const struct config *cfg = r->cfg;
	const struct channel_config *cc;

	r->channel = TEST_CHANNEL;
	if (cfg->default_channel != NULL)
		r->channel = cfg->default_channel;
	else if (cfg->nchannels > 0)
		r->channel = cfg->channels[0].name;
	cc = config_channel(cfg, r->channel);
	r->ussd_max = cc != NULL && cc->ussd_max > 0 ? (size_t)cc->ussd_max : 0;
}

/*
 * Loads the flows; 0, or -1 after printing their findings on standard
 * output (the run's failures go there) with their error count in *nerrors.
 */
static int
load_flows(const struct config *cfg, struct flowset **set, size_t *nerrors)
{
	struct flow_findings f;
	int rc = 0;

	flow_findings_init(&f);
	if (gateway_load_flows(cfg, set, &f) != 0) {
		flow_findings_sort(&f);
		flow_findings_print(&f, stdout);
		*nerrors = f.nerrors > 0 ? f.nerrors : 1;
		rc = -1;
	}
	flow_findings_free(&f);
	return rc;
}

/* One test (name NULL: a whole file) failed because the flows do not load. */
static void
fail_one(struct runner *r, const char *file, unsigned line, const char *name,
    size_t nerrors)
{
	char at[16] = "";
	char *why;

	if (line > 0)
		snprintf(at, sizeof(at), ":%u", line);
	why = xasprintf("%s%s: expected the flows to load, got %zu error%s\n",
	    file, at, nerrors, nerrors == 1 ? "" : "s");
	fputs(why, stdout);
	add_result(r, file, name, why);
	free(why);
}

/*
 * Flows that do not load: no test can run, so each one fails (a file that
 * does not parse, once), with a line that says why.
 */
static void
fail_files(struct runner *r, struct file_list *l, size_t nerrors)
{
	struct flow_findings f;
	struct flowtest_file *ft;
	size_t i, k;

	for (i = 0; i < l->n; i++) {
		flow_findings_init(&f);
		if (flowtest_load(l->v[i], &ft, &f) != 0)
			fail_one(r, l->v[i], 0, NULL, nerrors);
		else
			for (k = 0; k < ft->ntests; k++)
				fail_one(r, l->v[i], ft->tests[k].line,
				    ft->tests[k].name, nerrors);
		flowtest_free(ft);
		flow_findings_free(&f);
	}
}

/* Runs every file of l; the results are in r. */
static void
run_files(struct runner *r, struct file_list *l)
{
	struct tfile tf;
	size_t i, k;

	for (i = 0; i < l->n; i++) {
		memset(&tf, 0, sizeof(tf));
		tf.path = l->v[i];
		prepare(r, &tf);
		if (tf.ft == NULL) {
			/* Its errors, and one failed test for the file. */
			fputs(tf.errors, stdout);
			add_result(r, tf.path, NULL, tf.errors);
		} else
			for (k = 0; k < tf.ft->ntests; k++)
				run_test(r, &tf, &tf.ft->tests[k]);
		tfile_free(&tf);
	}
}

int
cli_test(int argc, char **argv, struct config *cfg)
{
	static const struct option opts[] = {
	    {"junit", required_argument, NULL, 'j'},
	    {"coverage", no_argument, NULL, 'c'},
	    {NULL, 0, NULL, 0},
	};
	const char *junit = NULL;
	struct file_list l = {NULL, 0, 0};
	struct flowset *set = NULL;
	struct runner r;
	size_t i, nerrors = 0;
	int ch, coverage = 0, rc = 0;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			junit = optarg;
			break;
		case 'c':
			coverage = 1;
			break;
		default:
			test_usage();
			return 2;
		}
	}
	if (optind == argc) {
		char *dir = cli_test_default_dir(cfg);

		rc = collect(&l, dir, 0);
		free(dir);
	}
	for (i = (size_t)optind; i < (size_t)argc && rc == 0; i++)
		rc = collect(&l, argv[i], 0);
	if (rc == 0 && l.n == 0) {
		fprintf(stderr, "baraza: no .flowtest files to run\n");
		rc = -1;
	}
	if (rc == 0 && l.n > TEST_MAX_FILES) {
		fprintf(stderr, "baraza: more than %d .flowtest files\n",
		    TEST_MAX_FILES);
		rc = -1;
	}
	if (rc != 0) {
		for (i = 0; i < l.n; i++)
			free(l.v[i]);
		free(l.v);
		return 2;
	}
	memset(&r, 0, sizeof(r));
	r.cfg = cfg;
	r.start = now_ms();
	if (load_flows(cfg, &set, &nerrors) != 0) {
		fail_files(&r, &l, nerrors);
		fprintf(stderr,
		    "baraza: the flows have errors; see baraza check\n");
	} else {
		r.set = set;
		pick_channel(&r);
		if (coverage) {
			r.reached =
			    xcalloc(set->nflows + 1, sizeof(*r.reached));
			for (i = 0; i < set->nflows; i++)
				r.reached[i] =
				    xcalloc(set->flows[i]->nsteps + 1, 1);
		}
		run_files(&r, &l);
		if (coverage)
			print_coverage(&r);
	}
	printf("%zu passed, %zu failed\n", r.passed, r.failed);
	fflush(stdout);
	rc = r.failed > 0 ? 1 : 0;
	if (junit != NULL && write_junit(&r, junit) != 0)
		rc = 2;

	for (i = 0; i < r.nres; i++) {
		free(r.res[i].name);
		free(r.res[i].failure);
	}
	free(r.res);
	if (r.reached != NULL) {
		for (i = 0; i < set->nflows; i++)
			free(r.reached[i]);
		free(r.reached);
	}
	for (i = 0; i < l.n; i++)
		free(l.v[i]);
	free(l.v);
	flowset_free(set);
	return rc;
}

/* ---- baraza check: flows that no test starts ---- */

/* Marks the flow that an SMS text or a dialled code of st would start. */
static void
mark_trigger(const struct flowset *set, const struct flowtest_stmt *st,
    unsigned char *on)
{
	struct engine eng = {.set = set};
	struct engine_result res = {0};
	struct flow_session *s;
	const struct flow *fl = NULL;
	const char *rest;
	size_t restlen;
	struct buf b;

	if (st->kind == FT_DIAL)
		fl = flowset_ussd(set, st->word, &rest, &restlen);
	if (st->kind == FT_SMS) {
		/* Placeholders render empty: "STATUS {n}" is "STATUS ". */
		buf_init(&b, TEST_MAX_TEXT);
		template_render(st->text, &b, NULL, NULL);
		s = engine_session_new(ENGINE_SMS, NULL, NULL, 0);
		if (engine_route_sms(&eng, s, buf_cstr(&b), &res) == 1 &&
		    engine_session_flow(s) != NULL)
			fl = flowset_find(set, engine_session_flow(s));
		engine_result_free(&res);
		engine_session_free(s);
		buf_free(&b);
	}
	if (fl != NULL && fl->index < set->nflows)
		on[fl->index] = 1;
}

size_t
cli_test_notes(const struct config *cfg, const struct flowset *set, FILE *fp)
{
	struct file_list l = {NULL, 0, 0};
	struct flow_findings f;
	struct flowtest_file *ft;
	unsigned char *on;
	char *dir = cli_test_default_dir(cfg);
	size_t i, k, j, n = 0;

	on = xcalloc(set->nflows + 1, 1);
	(void)collect(&l, dir, 1);
	for (i = 0; i < l.n; i++) {
		flow_findings_init(&f);
		if (flowtest_load(l.v[i], &ft, &f) == 0) {
			for (k = 0; k < ft->ntests; k++)
				for (j = 0; j < ft->tests[k].nstmt; j++)
					mark_trigger(
					    set, &ft->tests[k].stmt[j], on);
			flowtest_free(ft);
		} else
			fprintf(fp,
			    "%s: note: not read for the flows it tests "
			    "(errors; see baraza test)\n",
			    l.v[i]);
		flow_findings_free(&f);
		free(l.v[i]);
	}
	free(l.v);
	flow_mark_jumps(set, on);
	for (i = 0; i < set->nflows; i++) {
		const struct flow *fl = set->flows[i];

		if (on[i])
			continue;
		fprintf(fp,
		    "%s:%u:%u: note: flow '%s' has no test (no .flowtest "
		    "file in %s starts it)\n",
		    fl->pos.file, fl->pos.line, fl->pos.col, fl->name, dir);
		n++;
	}
	free(on);
	free(dir);
	return n;
}
