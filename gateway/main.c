/*
 * main.c: the baraza command: option parsing and subcommand dispatch.
 */
#include "config.h"

#include <curl/curl.h>
#include <gammu.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "log.h"
#include "util.h"

struct command {
	const char	*name;	/* the subcommand */
	int	(*run)(int, char **, const char *);	/* argc, argv, config path */
	const char	*usage;	/* one line of arguments */
};

static int cmd_version(int, char **, const char *);
static int cmd_later(int, char **, const char *);

static const struct command commands[] = {
	{ "serve", cmd_later, "" },
	{ "check", cmd_later, "" },
	{ "simulate", cmd_later, "[--ussd CODE | --sms] [--phone NUM] [--lang LL]" },
	{ "send", cmd_later, "NUM TEXT [--channel NAME]" },
	{ "broadcast", cmd_later, "TEXT --topic T [--at TIME] [--dry-run]" },
	{ "notify", cmd_later, "FILE.csv --text TEMPLATE [--at TIME] [--dry-run]" },
	{ "import", cmd_later, "TABLE FILE.csv --key COLUMN" },
	{ "reports", cmd_later, "[--status S]" },
	{ "report", cmd_later, "ID [--status S] [--note TEXT]" },
	{ "contact", cmd_later, "NUM [--forget]" },
	{ "stats", cmd_later, "" },
	{ "version", cmd_version, "" },
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

static int
cmd_version(int argc, char **argv, const char *conf)
{
	char pcre2[64] = "?";
	curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);

	(void)argv;
	(void)conf;
	if (argc > 1) {
		fprintf(stderr, "usage: baraza version\n");
		return 2;
	}
	pcre2_config(PCRE2_CONFIG_VERSION, pcre2);
	printf("baraza %s\n", PACKAGE_VERSION);
	printf("libuv %s\n", uv_version_string());
	printf("libcurl %s\n", cv->version);
	printf("SQLite %s\n", sqlite3_libversion());
	printf("PCRE2 %s\n", pcre2);
	printf("libGammu %s\n", GetGammuVersion());
	printf("jansson %s\n", jansson_version_str());
	return 0;
}

static int
cmd_later(int argc, char **argv, const char *conf)
{
	(void)argc;
	(void)conf;
	fprintf(stderr, "baraza: %s: not implemented yet\n", argv[0]);
	return 1;
}

int
main(int argc, char **argv)
{
	const char *conf = NULL;
	size_t i;
	int ch;

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
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[0], "--version") == 0)
		argv[0] = "version";
	for (i = 0; i < nitems(commands); i++) {
		if (strcmp(argv[0], commands[i].name) == 0) {
			optind = 1;
			return commands[i].run(argc, argv, conf);
		}
	}
	fprintf(stderr, "baraza: unknown command '%s'\n", argv[0]);
	usage(stderr);
	return 2;
}
