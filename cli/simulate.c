/*
 * simulate.c: `baraza simulate`: the real flows, engine and store, with a
 * phone played in the terminal instead of a provider. On a terminal a USSD
 * session is drawn as a phone screen and SMS replies as messages with their
 * segment counts; with stdin not a terminal, each line is one input and each
 * reply is printed as it comes (for scripts and golden transcripts).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "cli/cli.h"
#include "gateway/dialog.h"
#include "gateway/gateway.h"
#include "lib/gsm.h"
#include "lib/log.h"
#include "lib/phone.h"
#include "lib/util.h"
#include "providers/client.h"
#include "providers/client_thread.h"

#define SCREEN_WIDTH 30 /* characters inside the drawn phone screen */

struct sim {
	struct dialog_env env;
	struct dialog_input in;
	struct dialog_cache cache; /* fetch answers of the current turn */
	struct client_port port;   /* for fetch: a client on the loop */
	int tty;                   /* draw for a person */
	int fetched;               /* the fetch callback ran */
	int ended;                 /* the USSD session ended */
};

static void
on_fetched(void *arg)
{
	struct sim *sim = arg;

	sim->fetched = 1;
	/*
	 * The answer may come within a timer's callback (a kept connection
	 * answers at once): UV_RUN_ONCE would still wait for I/O then, and
	 * none is coming. Stopping makes that wait return at once.
	 */
	uv_stop(uv_default_loop());
}

/* Prints s wrapped to width characters per line inside a screen frame. */
static void
draw_lines(const char *s)
{
	const char *p = s;

	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		size_t take = n, chars = 0, i;

		/* Break at the last space that fits, or hard at the width. */
		for (i = 0; i < n && chars < SCREEN_WIDTH; i++)
			if (((unsigned char)p[i] & 0xc0) != 0x80)
				chars++;
		if (chars >= SCREEN_WIDTH && i < n) {
			size_t j = i;

			while (j > 0 && p[j] != ' ')
				j--;
			take = j > 0 ? j : i;
		}
		{
			size_t k, shown = 0;

			printf("  | ");
			for (k = 0; k < take; k++) {
				putchar(p[k]);
				if (((unsigned char)p[k] & 0xc0) != 0x80)
					shown++;
			}
			for (; shown < SCREEN_WIDTH; shown++)
				putchar(' ');
			printf(" |\n");
		}
		p += take;
		if (*p == ' ' || (*p == '\n' && take == n))
			p++;
	}
}

static void
draw_ussd(const char *screen, int ended)
{
	int i;

	printf("  +");
	for (i = 0; i < SCREEN_WIDTH + 2; i++)
		putchar('-');
	printf("+\n");
	draw_lines(*screen ? screen : " ");
	printf("  +");
	for (i = 0; i < SCREEN_WIDTH + 2; i++)
		putchar('-');
	printf("+\n");
	printf(ended ? "  (session ended)\n"
		     : "  [ reply, or empty to cancel ]\n");
}

static void
draw_sms(const char *text)
{
	struct gsm_info gi;

	gsm_count(text, &gi);
	printf("<< %s\n   (%zu character%s, %s, %zu segment%s)\n", text,
	    gi.chars, gi.chars == 1 ? "" : "s",
	    gi.encoding == GSM_ENC_GSM7 ? "GSM-7" : "UCS-2", gi.segments,
	    gi.segments == 1 ? "" : "s");
}

/*
 * Runs one turn in a transaction. A turn that needs a fetch is rolled
 * back, the URL fetched through the loop, and the turn run again with the
 * answer, as the gateway does. Returns the dialog, or NULL after an error.
 */
static struct dialog *
run_turn(struct sim *sim)
{
	struct dialog *d = NULL;
	struct store *st = sim->env.store;

	for (;;) {
		if (store_begin(st) != 0) {
			fprintf(
			    stderr, "baraza: store: %s\n", store_errmsg(st));
			return NULL;
		}
		if (dialog_turn(&sim->env, &sim->in, &d) != 0) {
			store_rollback(st);
			fprintf(stderr, "baraza: the input was refused\n");
			return NULL;
		}
		if (dialog_outcome(d) != DIALOG_FETCH)
			break;
		store_rollback(st);
		if (sim->cache.n >= nitems(sim->cache.v)) {
			dialog_free(d);
			fprintf(
			    stderr, "baraza: too many fetches in one turn\n");
			return NULL;
		}
		sim->fetched = 0;
		if (dialog_fetch(&sim->port, dialog_fetch_url(d),
			dialog_fetch_timeout(d), &sim->cache, on_fetched,
			sim) != 0)
			dialog_cache_put(
			    &sim->cache, dialog_fetch_url(d), 0, NULL, 0);
		else
			while (!sim->fetched)
				uv_run(uv_default_loop(), UV_RUN_ONCE);
		dialog_free(d);
	}
	if (dialog_outcome(d) == DIALOG_FAILED) {
		store_rollback(st);
		fprintf(stderr, "baraza: store: %s\n", store_errmsg(st));
	} else if (store_commit(st) != 0) {
		fprintf(stderr, "baraza: store: %s\n", store_errmsg(st));
	}
	return d;
}

/* One input (NULL: dial the USSD code) and its reply on the screen. */
static int
turn(struct sim *sim, const char *text)
{
	struct dialog *d;
	const char *reply;

	sim->in.text = text;
	d = run_turn(sim);
	dialog_cache_free(&sim->cache);
	if (d == NULL)
		return -1;
	reply = dialog_reply(d);
	if (sim->in.kind == ENGINE_USSD) {
		sim->ended = dialog_ended(d);
		/* Without a terminal, the screen as the provider gets it. */
		if (sim->tty)
			draw_ussd(reply ? reply : "", sim->ended);
		else
			printf("%s %s\n", sim->ended ? "END" : "CON",
			    reply ? reply : "");
	} else if (reply != NULL) {
		if (sim->tty)
			draw_sms(reply);
		else
			printf("%s\n", reply);
	} else if (sim->tty) {
		printf("   (no reply)\n");
	}
	fflush(stdout);
	dialog_free(d);
	/* After the first step of a USSD session, inputs are answers. */
	sim->in.dialled = NULL;
	return 0;
}

static void
sim_usage(void)
{
	fprintf(stderr,
	    "baraza: bad usage\nusage: baraza simulate [--ussd CODE | --sms] "
	    "[--phone NUM] [--lang LL] [--now TIME]\n");
}

/* What the command line asks for. */
struct sim_opts {
	const char *ussd;      /* the code to dial, or NULL: SMS */
	const char *lang;      /* the contact's language, or NULL */
	const char *num;       /* --phone as given, or NULL */
	char phone[PHONE_MAX]; /* the phone played, E.164 */
};

/*
 * Reads the options into *o (--now sets the clock). Returns 0, or the exit
 * status after saying why not.
 */
static int
sim_options(int argc, char **argv, struct sim_opts *o)
{
	static const struct option opts[] = {
	    {"ussd", required_argument, NULL, 'u'},
	    {"sms", no_argument, NULL, 's'},
	    {"phone", required_argument, NULL, 'p'},
	    {"lang", required_argument, NULL, 'l'},
	    {"now", required_argument, NULL, 'n'},
	    {NULL, 0, NULL, 0},
	};
	int64_t at;
	int ch, sms = 0;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'u':
			o->ussd = optarg;
			break;
		case 's':
			sms = 1;
			break;
		case 'p':
			o->num = optarg;
			break;
		case 'l':
			o->lang = optarg;
			break;
		case 'n':
			if (cli_parse_time("--now", optarg, &at) != 0)
				return 2;
			clock_set(at);
			break;
		default:
			sim_usage();
			return 2;
		}
	}
	if (optind != argc) {
		sim_usage();
		return 2;
	}
	if (sms && o->ussd != NULL) {
		fprintf(stderr, "baraza: simulate: --ussd and --sms are "
				"alternatives, give one\n");
		sim_usage();
		return 2;
	}
	return 0;
}

/*
 * Normalises the phone (a default one when none was given) into o->phone
 * and checks the language against cfg. Returns 0, or 2 after saying why.
 */
static int
sim_check(const struct config *cfg, struct sim_opts *o)
{
	const char *num = o->num;
	size_t i;

	if (num == NULL)
		num = cfg->country_code[0] ? "0700000000" : "+15555550100";
	if (phone_normalize(
		num, cfg->country_code, o->phone, sizeof(o->phone)) != 0) {
		fprintf(
		    stderr, "baraza: --phone %s: not a phone number\n", num);
		return 2;
	}
	if (o->lang == NULL)
		return 0;
	for (i = 0; i < cfg->languages.n; i++)
		if (strcmp(cfg->languages.v[i], o->lang) == 0)
			return 0;
	fprintf(stderr,
	    "baraza: --lang %s: not one of the config's "
	    "languages\n",
	    o->lang);
	return 2;
}

/*
 * Loads the flows and opens the store, and sets the contact's language
 * when asked. Returns 0, or 1 after saying why not.
 */
static int
sim_open(const struct config *cfg, const struct sim_opts *o,
    struct flowset **set, struct store **store)
{
	struct flow_findings f;
	struct store_contact c;

	flow_findings_init(&f);
	if (gateway_load_flows(cfg, set, &f) != 0) {
		flow_findings_sort(&f);
		flow_findings_print(&f, stderr);
		fprintf(stderr, "baraza: the flows have errors; see baraza "
				"check\n");
		flow_findings_free(&f);
		return 1;
	}
	flow_findings_free(&f);
	if ((*store = cli_open_store(cfg)) == NULL) {
		flowset_free(*set);
		*set = NULL;
		return 1;
	}
	if (o->lang != NULL) {
		memset(&c, 0, sizeof(c));
		if (store_contact_get(*store, o->phone, now_ms(), &c) >= 0)
			store_contact_set_language(
			    *store, c.id, o->lang, now_ms());
		store_contact_free(&c);
	}
	return 0;
}

/*
 * Plays the phone: dials the USSD code first when there is one, then one
 * turn per line of stdin until its end, the session's end, or an empty
 * line on a USSD screen (cancel). Returns 0, or 1 after a failed turn.
 */
static int
sim_run(struct sim *sim, const char *ussd)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;

	if (sim->tty)
		printf("baraza simulate: %s as %s; Ctrl-D ends\n",
		    ussd ? "USSD" : "SMS", sim->in.phone);
	if (ussd != NULL) {
		if (sim->tty)
			printf(">> dial %s\n", ussd);
		if (turn(sim, NULL) != 0)
			rc = 1;
	}
	while (rc == 0 && !(ussd != NULL && sim->ended)) {
		if (sim->tty) {
			printf(ussd ? "> " : ">> ");
			fflush(stdout);
		}
		if ((n = getline(&line, &cap, stdin)) < 0)
			break;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (sim->tty && ussd != NULL && n == 0)
			break; /* cancel, as on a phone */
		if (turn(sim, line) != 0)
			rc = 1;
	}
	free(line);
	return rc;
}

int
simulate_main(int argc, char **argv, struct config *cfg)
{
	struct sim_opts o;
	struct sim sim;
	struct client client;
	struct flowset *set = NULL;
	struct store *store = NULL;
	char sid[64];
	int rc;

	memset(&o, 0, sizeof(o));
	if ((rc = sim_options(argc, argv, &o)) != 0 ||
	    (rc = sim_check(cfg, &o)) != 0)
		return rc;
	if (sim_open(cfg, &o, &set, &store) != 0)
		return 1;

	memset(&sim, 0, sizeof(sim));
	sim.tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	sim.env.store = store;
	sim.env.cfg = cfg;
	sim.env.set = set;
	client_init(&client, uv_default_loop());
	sim.port.client = &client;
	sim.port.ct = NULL;
	sim.env.cache = &sim.cache;
	sim.in.kind = o.ussd ? ENGINE_USSD : ENGINE_SMS;
	sim.in.channel = "simulate";
	sim.in.phone = o.phone;
	snprintf(sid, sizeof(sid), "sim-%ld-%lld", (long)getpid(),
	    (long long)now_ms());
	sim.in.ussd_session = sid;
	sim.in.dialled = o.ussd;
	sim.in.ussd_max = 0;

	rc = sim_run(&sim, o.ussd);
	client_shutdown(&client, NULL, NULL);
	uv_run(uv_default_loop(), UV_RUN_DEFAULT);
	store_close(store);
	flowset_free(set);
	return rc;
}
