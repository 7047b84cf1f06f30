/*
 * main.c: the baraza command: option parsing and subcommand dispatch.
 */
#include <curl/curl.h>
#include <gammu.h>
#include <jansson.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "cli/cli.h"
#include "council/broadcast.h"
#include "council/campaign.h"
#include "council/council.h"
#include "council/privacy.h"
#include "council/reports.h"
#include "council/users.h"
#include "gateway/config.h"
#include "gateway/gateway.h"
#include "gateway/metrics.h"
#include "gateway/store.h"
#include "lib/log.h"
#include "lib/util.h"
#include "modem/supervisor.h"

/*
 * A subcommand. Commands that need the config get it loaded and valid:
 * main exits 2 on any config finding before they run.
 */
struct command {
	const char *name;                          /* the subcommand */
	int (*run)(int, char **, struct config *); /* argc, argv, cfg */
	int needs_config;                          /* load the config first */
	const char *usage;                         /* its arguments */
};

static int cmd_version(int, char **, struct config *);
static int cmd_serve(int, char **, struct config *);

static const struct command commands[] = {
    {"serve", cmd_serve, 1, ""},
    {"check", NULL, 0, ""},
    {"simulate", simulate_main, 1,
	"[--ussd CODE | --sms] [--phone NUM] [--lang LL] [--now TIME]"},
    {"test", cli_test, 1, "[PATH...] [--junit FILE] [--coverage]"},
    {"send", cli_send, 1, "NUM TEXT [--channel NAME]"},
    {"broadcast", cli_broadcast, 1,
	"TEXT --topic T [--at TIME] [--dry-run] [--channel NAME] [--force]"},
    {"notify", cli_notify, 1,
	"FILE.csv --text TEMPLATE [--at TIME] [--dry-run] [--channel NAME] "
	"[--force]"},
    {"import", cli_import, 1, "TABLE FILE.csv --key COLUMN"},
    {"campaigns", cli_campaigns, 1, "[--dry-run NAME | --run] [--now TIME]"},
    {"reports", cli_reports_list, 1, "[--status S]"},
    {"report", cli_reports_show, 1, "ID [--status S] [--note TEXT]"},
    {"contact", privacy_contact_main, 1, "NUM [--forget]"},
    {"stats", cli_stats, 1, ""},
    {"backup", cli_backup, 1, "FILE"},
    {"restore", cli_restore, 1, "FILE"},
    {"migrate", cli_migrate, 1, ""},
    {"copy-store", cli_copy_store, 0, "FROM TO"},
    {"user", cli_user, 1,
	"add NAME --role admin|staff|viewer | passwd NAME | remove NAME | "
	"list"},
    {"version", cmd_version, 0, ""},
};

static void
usage(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: baraza [-c FILE] COMMAND [ARGS]\n\ncommands:\n");
	for (i = 0; i < nitems(commands); i++)
		fprintf(fp, "  baraza %s %s\n", commands[i].name,
		    commands[i].usage);
}

/* The command called name, or NULL. */
static const struct command *
find_command(const char *name)
{
	size_t i;

	for (i = 0; i < nitems(commands); i++)
		if (strcmp(name, commands[i].name) == 0)
			return &commands[i];
	return NULL;
}

/*
 * `baraza help CMD`, `baraza CMD --help` or `-h`: the command's usage on
 * stdout, before any config is read (an operator asks before there is
 * one). 0, or 2 for a command that does not exist.
 */
static int
command_help(const char *name)
{
	const struct command *c = find_command(name);

	if (c == NULL) {
		fprintf(stderr, "baraza: unknown command '%s'\n", name);
		usage(stderr);
		return 2;
	}
	printf("usage: baraza [-c FILE] %s%s%s\n", c->name,
	    *c->usage ? " " : "", c->usage);
	printf("The config is -c FILE, else ./baraza.conf when there is one, "
	       "else\n/etc/baraza/baraza.conf. See baraza(1) for what it "
	       "does.\n");
	return 0;
}

/* 1 when the command's first argument asks for its usage. */
static int
asks_help(int argc, char **argv)
{
	return argc >= 2 &&
	       (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
}

static int
cmd_version(int argc, char **argv, struct config *cfg)
{
	char pcre2[64] = "?";
	curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);

	(void)argv;
	(void)cfg;
	if (argc > 1) {
		fprintf(stderr, "baraza: bad usage\nusage: baraza version\n");
		return 2;
	}
	pcre2_config(PCRE2_CONFIG_VERSION, pcre2);
	printf("baraza %s\n", PACKAGE_VERSION);
	printf("libuv %s\n", uv_version_string());
	printf("libcurl %s\n", cv->version);
	printf("%s\n", store_library_version());
	printf("PCRE2 %s\n", pcre2);
	printf("libGammu %s\n", GetGammuVersion());
	printf("jansson %s\n", jansson_version_str());
	return 0;
}

static int
cmd_serve(int argc, char **argv, struct config *cfg)
{
	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "baraza: bad usage\nusage: baraza serve\n");
		return 2;
	}
	return serve_main(cfg, NULL, &council_ext);
}

/*
 * A note per flow that never runs: no trigger, and no flow that runs jumps
 * to it. A note, not a warning: a flow kept for later is not a mistake.
 */
static void
unstarted_notes(const struct flowset *set, FILE *fp)
{
	unsigned char *on;
	size_t i;

	if (set->nflows == 0)
		return;
	on = xcalloc(set->nflows, 1);
	flow_mark_reachable(set, -1, on);
	for (i = 0; i < set->nflows; i++)
		if (!on[i])
			fprintf(fp,
			    "%s:%u:%u: note: flow '%s' never runs (it has no "
			    "trigger, and no flow that runs jumps to it)\n",
			    set->flows[i]->pos.file, set->flows[i]->pos.line,
			    set->flows[i]->pos.col, set->flows[i]->name);
	free(on);
}

/*
 * A SQLite database in a folder that does not exist: `serve` would fail on
 * its lock file. A warning (a config may be written before its machine is
 * set up): 1 when said, else 0.
 */
static size_t
database_folder(const struct config *cfg, const char *path, FILE *fp)
{
	struct stat sb;
	char *copy, *dir;
	size_t n = 0;

	if (cfg->database == NULL || strcmp(cfg->database, ":memory:") == 0 ||
	    store_is_postgres(cfg->database))
		return 0;
	copy = xstrdup(cfg->database);
	dir = dirname(copy);
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		fprintf(fp,
		    "%s: warning: database: the folder %s does not exist: "
		    "make it (owned by the user the gateway runs as, mode "
		    "0700) before serve\n",
		    path, dir);
		n = 1;
	}
	free(copy);
	return n;
}

/*
 * `baraza check`: every finding of the config and the flows, gcc-style on
 * stderr; exit 1 when any is an error. Finding errors is its work, so bad
 * config here is 1, not 2.
 */
static int
cmd_check(int argc, const char *path)
{
	struct config *cfg = NULL;
	struct config_errors *errs = NULL;
	struct flow_findings f;
	struct flowset *set = NULL;
	size_t nerr, nwarn;
	int rc;

	if (argc > 1) {
		fprintf(stderr, "baraza: bad usage\nusage: baraza check\n");
		return 2;
	}
	config_load(path, &cfg, &errs);
	config_errors_print(errs, stderr);
	nerr = config_errors_count(errs);
	nwarn = config_warnings_count(errs);
	config_errors_free(errs);
	if (cfg == NULL)
		return 1;
	nwarn += database_folder(cfg, path, stderr);
	flow_findings_init(&f);
	rc = gateway_load_flows(cfg, &set, &f);
	flow_findings_sort(&f);
	flow_findings_print(&f, stderr);
	nerr += f.nerrors;
	nwarn += f.nwarnings;
	/* Lookups in tables not imported yet: warnings. */
	if (rc == 0 && set != NULL)
		nwarn += cli_check_tables(cfg, set, stderr, &nerr);
	/* Flows that never run and flows no test starts: notes, which change
	   neither count. */
	if (rc == 0 && set != NULL) {
		unstarted_notes(set, stderr);
		(void)cli_test_notes(cfg, set, stderr);
	}
	if (nerr == 0)
		printf("%s: ok, %zu flow%s in %zu file%s, %zu warning%s\n",
		    path, set->nflows, set->nflows == 1 ? "" : "s", set->nfiles,
		    set->nfiles == 1 ? "" : "s", nwarn, nwarn == 1 ? "" : "s");
	else
		fprintf(stderr, "baraza: %zu error%s, %zu warning%s\n", nerr,
		    nerr == 1 ? "" : "s", nwarn, nwarn == 1 ? "" : "s");
	(void)rc;
	flowset_free(set);
	flow_findings_free(&f);
	config_free(cfg);
	return nerr ? 1 : 0;
}

/*
 * Loads the config for a command. Any finding is fatal here: the findings
 * go to stderr and the exit status is 2.
 */
static struct config *
load_config(const char *path)
{
	struct config *cfg = NULL;
	struct config_errors *errs = NULL;

	if (config_load(path, &cfg, &errs) != 0 || cfg == NULL) {
		size_t n = config_errors_count(errs);

		config_errors_print(errs, stderr);
		fprintf(stderr, "baraza: %s: the config has %zu error%s\n",
		    path, n ? n : 1, n == 1 || n == 0 ? "" : "s");
		config_errors_free(errs);
		config_free(cfg);
		exit(2);
	}
	config_errors_free(errs);
	return cfg;
}

int
main(int argc, char **argv)
{
	const char *conf = NULL;
	size_t i;
	int ch;

	/*
	 * Everything the gateway creates is private: the database and its
	 * -wal and -shm files (SQLite gives these the database's mode), and
	 * whatever else a command writes.
	 */
	umask(077);
	/*
	 * A write to a closed socket or to the pipe of a modem worker that
	 * just died is an error to handle, not a reason to die.
	 */
	signal(SIGPIPE, SIG_IGN);
	/* Before the first store: the database library's process set-up. */
	(void)store_library_init();
	if (argc >= 2 && strcmp(argv[1], "--version") == 0)
		return cmd_version(1, argv + 1, NULL);
	/* What an operator types first: as -h. */
	if (argc == 2 &&
	    (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0)) {
		usage(stdout);
		return 0;
	}
	/* getopt's messages start with argv[0]: "baraza: ...", as ours do. */
	if (argc >= 1)
		argv[0] = (char *)"baraza";
	while ((ch = getopt(argc, argv, "+c:h")) != -1) {
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	/* The hidden subcommand a modem's worker process runs. */
	if (argc >= 2 && strcmp(argv[1], "modem-worker") == 0)
		return modem_worker_main(argc - 1, argv + 1);
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		fprintf(stderr, "baraza: no command given\n");
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[0], "help") == 0) {
		if (argc == 1) {
			usage(stdout);
			return 0;
		}
		return command_help(argv[1]);
	}
	if (asks_help(argc, argv) && find_command(argv[0]) != NULL)
		return command_help(argv[0]);
	if (conf == NULL)
		conf = config_default_path();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (strcmp(argv[0], "check") == 0)
		return cmd_check(argc, conf);
	for (i = 0; i < nitems(commands); i++) {
		if (strcmp(argv[0], commands[i].name) == 0) {
			struct config *cfg = NULL;
			int rc;

			optind = 0; /* GNU getopt: start afresh */
			/* Without a config (copy-store): warnings too. */
			if (strcmp(argv[0], "serve") != 0)
				log_set_level(L_WARN);
			if (commands[i].needs_config) {
				cfg = load_config(conf);
				/*
				 * A command's stderr is for its errors (and
				 * test's and simulate's output is on the
				 * terminal): the config's level, warnings and
				 * worse. The gateway's own log is serve's.
				 */
				if (strcmp(argv[0], "serve") != 0)
					log_set_level(cfg->log_level < L_WARN
							  ? cfg->log_level
							  : L_WARN);
			}
			/* The command's own getopt says "baraza: ..." too. */
			argv[0] = (char *)"baraza";
			rc = commands[i].run(argc, argv, cfg);
			config_free(cfg);
			return rc;
		}
	}
	fprintf(stderr, "baraza: unknown command '%s'\n", argv[0]);
	usage(stderr);
	return 2;
}
