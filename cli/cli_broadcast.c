/*
 * cli_broadcast.c: `baraza broadcast` and `baraza notify`.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "council/broadcast.h"
#include "gateway/store.h"
#include "lib/util.h"

/* Parses --at, or says why not. Returns 0 or -1. */
static int
parse_at(const char *s, int64_t *ms)
{
	return cli_parse_time("--at", s, ms);
}

/* An error after a progress bar that may not have ended its line. */
static void
print_error(const char *what, const char *err)
{
	if (isatty(STDERR_FILENO))
		fputc('\n', stderr);
	fprintf(stderr, "baraza: %s%s%s\n", what ? what : "", what ? ": " : "",
	    err ? err : "failed");
}

/* Prints a refusal by a daily budget, the figures in its message. */
static void
print_refused(const char *what, const char *err)
{
	print_error(what, err);
	fprintf(stderr, "baraza: an admin may send it anyway with --force\n");
}

/* Appends a topic's name to the list in arg (a struct buf): 400 bytes. */
static int
add_topic(void *arg, const char *name, int64_t n)
{
	struct buf *b = arg;

	(void)n;
	if (b->len > 0 && buf_puts(b, ", ") != 0)
		return 1;
	return buf_puts(b, name) != 0 || b->len > 400;
}

/*
 * A broadcast that reaches nobody (a topic mistyped, say) is not an error,
 * but it is said on stderr, with the topics that have subscribers.
 */
static void
nobody_warning(struct store *st, const char *topic)
{
	struct buf b;

	buf_init(&b, 1024);
	(void)store_console_topics(st, add_topic, &b);
	fprintf(stderr,
	    "baraza: warning: nobody is subscribed to '%s' (topics with "
	    "subscribers: %s)\n",
	    topic, b.len > 0 ? buf_cstr(&b) : "none yet");
	buf_free(&b);
}

/*
 * baraza broadcast TEXT --topic T [--at TIME] [--dry-run] [--channel N]
 * [--force]
 */
int
cli_broadcast(int argc, char **argv, struct config *cfg)
{
	static const struct option opts[] = {
	    {"topic", required_argument, NULL, 't'},
	    {"at", required_argument, NULL, 'a'},
	    {"dry-run", no_argument, NULL, 'n'},
	    {"channel", required_argument, NULL, 'c'},
	    {"force", no_argument, NULL, 'f'},
	    {NULL, 0, NULL, 0},
	};
	struct broadcast_request req;
	struct broadcast_summary sum;
	struct store *st;
	char when[32], *err = NULL;
	int ch, dry = 0, rc;

	memset(&req, 0, sizeof(req));
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 't':
			req.topic = optarg;
			break;
		case 'a':
			if (parse_at(optarg, &req.send_at) != 0)
				return 2;
			break;
		case 'n':
			dry = 1;
			break;
		case 'c':
			req.channel = optarg;
			break;
		case 'f':
			req.force = 1;
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 1 || req.topic == NULL)
		goto usage;
	req.text = argv[optind];
	/* An argument of the wrong form is bad usage (baraza.1). */
	if (broadcast_check(cfg, &req, &err) != 0) {
		fprintf(stderr, "baraza: %s\n", err ? err : "bad usage");
		free(err);
		return 2;
	}
	if ((st = cli_open_store(cfg)) == NULL)
		return 1;
	if (dry)
		rc = broadcast_plan(st, cfg, &req, &sum, &err);
	else
		rc = broadcast_queue(st, cfg, &req, now_ms(), cli_progress,
		    (void *)"queueing", &sum, &err);
	if (rc != 0) {
		store_close(st);
		if (rc == BROADCAST_EBUDGET)
			print_refused(NULL, err);
		else
			print_error(NULL, err);
		free(err);
		return 1;
	}
	if (!dry)
		printf("broadcast: %lld\n", (long long)sum.id);
	printf("recipients: %lld\n", (long long)sum.recipients);
	if (sum.recipients == 0)
		nobody_warning(st, req.topic);
	printf("encoding: %s\n", gsm_encoding_name(sum.encoding));
	printf("segments per message: %lld\n", (long long)sum.segments);
	printf("total segments: %lld\n", (long long)sum.total_segments);
	printf("channel: %s\n", sum.channel);
	iso8601_utc(sum.send_at, when, sizeof(when));
	printf("send at: %s\n", when);
	rc = 0;
	if (dry) {
		if (cli_print_costs(st, cfg, &sum.send, sum.send_at, 1) != 0) {
			fprintf(stderr, "baraza: %s\n", store_errmsg(st));
			rc = 1;
		}
		printf("dry run: nothing queued\n");
	}
	store_close(st);
	return rc;

usage:
	fprintf(stderr, "baraza: bad usage\nusage: baraza broadcast TEXT "
			"--topic T [--at TIME] "
			"[--dry-run] [--channel NAME] [--force]\n");
	return 2;
}

/* Prints the figures of a notify run. */
static void
print_notified(
    const struct notify_request *req, const struct broadcast_summary *sum)
{
	char when[32];

	if (req->dry_run)
		printf("would queue %lld, skip %lld opted out\n",
		    (long long)sum->recipients, (long long)sum->skipped);
	else {
		printf("queued %lld, skipped %lld opted out\n",
		    (long long)sum->recipients, (long long)sum->skipped);
		printf("broadcast: %lld\n", (long long)sum->id);
	}
	printf("encoding: GSM-7 %lld, UCS-2 %lld\n", (long long)sum->gsm7,
	    (long long)sum->ucs2);
	printf("largest message: %lld segment%s\n", (long long)sum->segments,
	    sum->segments == 1 ? "" : "s");
	printf("total segments: %lld\n", (long long)sum->total_segments);
	iso8601_utc(sum->send_at, when, sizeof(when));
	printf("send at: %s\n", when);
	if (req->dry_run)
		printf("dry run: nothing queued\n");
}

/* baraza notify FILE.csv --text TEMPLATE [--at TIME] [--dry-run] [...] */
int
cli_notify(int argc, char **argv, struct config *cfg)
{
	static const struct option opts[] = {
	    {"text", required_argument, NULL, 't'},
	    {"at", required_argument, NULL, 'a'},
	    {"dry-run", no_argument, NULL, 'n'},
	    {"channel", required_argument, NULL, 'c'},
	    {"force", no_argument, NULL, 'f'},
	    {NULL, 0, NULL, 0},
	};
	struct notify_request req;
	struct broadcast_summary sum;
	struct store *st;
	const char *path;
	char *err = NULL;
	FILE *fp;
	int ch, rc;

	memset(&req, 0, sizeof(req));
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 't':
			req.template = optarg;
			break;
		case 'a':
			if (parse_at(optarg, &req.send_at) != 0)
				return 2;
			break;
		case 'n':
			req.dry_run = 1;
			break;
		case 'c':
			req.channel = optarg;
			break;
		case 'f':
			req.force = 1;
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 1 || req.template == NULL)
		goto usage;
	path = argv[optind];
	if (notify_check(cfg, &req, &err) != 0) {
		fprintf(stderr, "baraza: %s\n", err ? err : "bad usage");
		free(err);
		return 2;
	}
	if ((fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb")) == NULL) {
		fprintf(stderr, "baraza: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if ((st = cli_open_store(cfg)) == NULL) {
		if (fp != stdin)
			fclose(fp);
		return 1;
	}
	rc = notify_csv_file(st, cfg, &req, fp, now_ms(), cli_progress,
	    (void *)"reading", &sum, &err);
	if (fp != stdin)
		fclose(fp);
	if (rc != 0) {
		store_close(st);
		if (rc == BROADCAST_EBUDGET)
			print_refused(path, err);
		else
			print_error(path, err);
		free(err);
		return 1;
	}
	print_notified(&req, &sum);
	rc = 0;
	if (req.dry_run &&
	    cli_print_costs(st, cfg, &sum.send, sum.send_at, 1) != 0) {
		fprintf(stderr, "baraza: %s\n", store_errmsg(st));
		rc = 1;
	}
	store_close(st);
	return rc;

usage:
	fprintf(stderr,
	    "baraza: bad usage\nusage: baraza notify FILE.csv --text TEMPLATE "
	    "[--at TIME] [--dry-run] [--channel NAME] [--force]\n");
	return 2;
}
