/*
 * test_config.c: unit tests for gateway/config.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flows/template.h"
#include "gateway/config.h"
#include "lib/log.h"
#include "lib/util.h"

/* Parses text as "t.conf" in the folder "/base". */
static int
parse(const char *text, struct config **cfg, struct config_errors **errs)
{
	return config_parse_buffer(
	    text, strlen(text), "t.conf", "/base", cfg, errs);
}

/* Prints all findings, to show what a failing assertion saw. */
static void
dump(const struct config_errors *e)
{
	config_errors_print(e, stderr);
}

/* Asserts a finding on line whose message contains part. */
static void
assert_finding(const struct config_errors *e, int line, const char *part)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		if (e->v[i].line == line && strstr(e->v[i].message, part))
			return;
	dump(e);
	fail_msg("no finding at line %d containing \"%s\"", line, part);
}

/* Parses text expecting exactly one finding, at line, containing part. */
static void
expect_one(const char *text, int line, const char *part)
{
	struct config *cfg;
	struct config_errors *e;
	int n = parse(text, &cfg, &e);

	if (n != 1) {
		dump(e);
		fail_msg("expected 1 finding, got %d, for:\n%s", n, text);
	}
	assert_finding(e, line, part);
	config_free(cfg);
	config_errors_free(e);
}

/* Parses text expecting no finding; the caller frees *cfg. */
static struct config *
expect_ok(const char *text)
{
	struct config *cfg;
	struct config_errors *e;
	int n = parse(text, &cfg, &e);

	if (n != 0) {
		dump(e);
		fail_msg("expected no findings for:\n%s", text);
	}
	config_errors_free(e);
	assert_non_null(cfg);
	return cfg;
}

/* A temporary folder, removed by rm_tmpdir. */
static char *
make_tmpdir(void)
{
	char *d = xstrdup("/tmp/test_config.XXXXXX");

	assert_non_null(mkdtemp(d));
	return d;
}

static void
write_file(const char *path, const char *text, size_t len)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

/* The whole file at path, NUL-terminated; its length in *len. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "r");
	char *text = NULL;
	long n;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n >= 0);
	rewind(fp);
	text = xmalloc((size_t)n + 1);
	assert_int_equal(fread(text, 1, (size_t)n, fp), (size_t)n);
	text[n] = '\0';
	fclose(fp);
	*len = (size_t)n;
	return text;
}

/* Removes dir and the given file names in it. */
static void
rm_tmpdir(char *dir, const char *const *names)
{
	char *p;

	for (; names != NULL && *names != NULL; names++) {
		p = xasprintf("%s/%s", dir, *names);
		unlink(p);
		free(p);
	}
	assert_int_equal(rmdir(dir), 0);
	free(dir);
}

/* Five lines: webhooks must be authenticated (a webhook_secret here). */
#define AT_CHANNEL                                                         \
	"[channel at]\ntype = africastalking\nusername = u\napi_key = k\n" \
	"webhook_secret = w\n"

/*
 * Durations, rates and booleans.
 */

static void
test_duration(void **state)
{
	static const struct {
		const char *s;
		int64_t ms;
	} good[] = {
	    {"500ms", 500},
	    {"30s", 30000},
	    {"15m", 900000},
	    {"15min", 900000},
	    {"6h", 21600000},
	    {"2d", 172800000},
	    {"0s", 0},
	    {"0ms", 0},
	    {"007s", 7000},
	    {"106751991167d", INT64_C(106751991167) * 86400000},
	    {"9223372036854775807ms", INT64_MAX},
	};
	static const char *const bad[] = {"", "0", "15", "s", "ms", "-5s",
	    "+5s", "5 s", " 5s", "5s ", "5x", "5S", "1.5h", "5sec", "5ss",
	    "106751991168d", "9223372036854775808ms", "9223372036854776s",
	    "99999999999999999999999ms"};
	size_t i;
	int64_t ms;

	(void)state;
	for (i = 0; i < nitems(good); i++) {
		ms = -1;
		assert_int_equal(config_parse_duration(good[i].s, &ms), 0);
		assert_true(ms == good[i].ms);
	}
	for (i = 0; i < nitems(bad); i++) {
		if (config_parse_duration(bad[i], &ms) != -1)
			fail_msg("duration \"%s\" was accepted", bad[i]);
	}
	assert_int_equal(config_parse_duration(NULL, &ms), -1);
}

static void
test_rate(void **state)
{
	static const struct {
		const char *s;
		int64_t count, period;
	} good[] = {
	    {"20/s", 20, 1000},
	    {"5/sec", 5, 1000},
	    {"6/min", 6, 60000},
	    {"6/m", 6, 60000},
	    {"100/h", 100, 3600000},
	    {"100/hour", 100, 3600000},
	    {"3/d", 3, 86400000},
	    {"1/day", 1, 86400000},
	    {"1000000/s", 1000000, 1000},
	};
	static const char *const bad[] = {"", "20", "/s", "20/", "20/x",
	    "20 /s", "20/ s", "20/s ", "0/s", "-1/s", "1000001/s", "20/S",
	    "2.5/s", "20/ss", "20//s", "99999999999999999999999/s", "s/20"};
	struct rate r;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(good); i++) {
		memset(&r, 0, sizeof(r));
		assert_int_equal(config_parse_rate(good[i].s, &r), 0);
		assert_true(r.count == good[i].count);
		assert_true(r.period_ms == good[i].period);
	}
	for (i = 0; i < nitems(bad); i++) {
		if (config_parse_rate(bad[i], &r) != -1)
			fail_msg("rate \"%s\" was accepted", bad[i]);
	}
}

static void
test_bool(void **state)
{
	int b;

	(void)state;
	b = 0;
	assert_int_equal(config_parse_bool("yes", &b), 0);
	assert_int_equal(b, 1);
	assert_int_equal(config_parse_bool("TRUE", &b), 0);
	assert_int_equal(b, 1);
	assert_int_equal(config_parse_bool("on", &b), 0);
	assert_int_equal(config_parse_bool("0", &b), 0);
	assert_int_equal(b, 0);
	assert_int_equal(config_parse_bool("Off", &b), 0);
	assert_int_equal(b, 0);
	assert_int_equal(config_parse_bool("", &b), -1);
	assert_int_equal(config_parse_bool("2", &b), -1);
	assert_int_equal(config_parse_bool("yess", &b), -1);
}

/*
 * Defaults.
 */

static void
test_gateway_defaults(void **state)
{
	struct config *cfg = expect_ok("");

	(void)state;
	assert_string_equal(cfg->path, "t.conf");
	assert_string_equal(cfg->dir, "/base");
	assert_int_equal(cfg->gateway_line, 0);
	assert_string_equal(cfg->listen.host, "127.0.0.1");
	assert_int_equal(cfg->listen.port, 8080);
	assert_string_equal(cfg->database, "/base/baraza.db");
	assert_string_equal(cfg->flows, "/base/flows");
	assert_int_equal(cfg->languages.n, 1);
	assert_string_equal(cfg->languages.v[0], "en");
	assert_null(cfg->languages.v[1]);
	assert_true(cfg->session_timeout_ms == 15 * 60 * 1000);
	assert_null(cfg->admin_token);
	assert_null(cfg->admin_token_file);
	assert_int_equal(cfg->stop_words.n, 4);
	assert_string_equal(cfg->stop_words.v[3], "QUIT");
	assert_int_equal(cfg->start_words.n, 2);
	assert_string_equal(cfg->start_words.v[1], "UNSTOP");
	assert_int_equal(cfg->restart_words.n, 1);
	assert_string_equal(cfg->restart_words.v[0], "MENU");
	assert_string_equal(cfg->stop_text,
	    "You will get no more alerts. Text START to rejoin.");
	assert_string_equal(
	    cfg->start_text, "Welcome back. You will get alerts again.");
	assert_string_equal(cfg->error_text,
	    "Sorry, something went wrong. Please try again later.");
	assert_string_equal(cfg->invalid_choice_text,
	    "Please reply with one of the numbers shown.");
	assert_null(cfg->default_channel);
	assert_string_equal(cfg->country_code, "");
	assert_int_equal(cfg->durability, DURABILITY_FULL);
	assert_true(cfg->sender_limit.count == 20);
	assert_true(cfg->sender_limit.period_ms == 60000);
	assert_int_equal(cfg->retention_days, 365);
	assert_int_equal(cfg->log_level, L_INFO);
	assert_int_equal(cfg->nchannels, 0);
	config_free(cfg);
}

static void
test_channel_defaults(void **state)
{
	const struct channel_config *ch;
	struct config *cfg;

	(void)state;
	cfg = expect_ok(
	    "[gateway]\npublic_url = https://sms.example.org\n" AT_CHANNEL
	    "[channel sb]\ntype = africastalking\n"
	    "username = sandbox\napi_key = k\n"
	    "webhook_secret = w\n"
	    "[channel tw]\ntype = twilio\n"
	    "account_sid = AC1\nauth_token = t\n"
	    "[channel m]\ntype = gammu\ndevice = "
	    "/dev/ttyUSB0\n");
	assert_int_equal(cfg->nchannels, 4);
	/* Two or more channels: no default channel. */
	assert_null(cfg->default_channel);

	ch = config_channel(cfg, "at");
	assert_non_null(ch);
	assert_int_equal(ch->type, CHANNEL_AFRICASTALKING);
	assert_int_equal(ch->line, 3);
	assert_string_equal(ch->api_url, "https://api.africastalking.com");
	assert_true(ch->rate.count == 20 && ch->rate.period_ms == 1000);
	assert_true(ch->max_age_ms == INT64_C(24) * 3600 * 1000);
	assert_int_equal(ch->ussd_max, 182);
	assert_null(ch->sender);
	assert_null(ch->fallback);
	assert_true(ch->fallback_after_ms == 30000);
	assert_string_equal(ch->webhook_secret, "w");
	assert_int_equal(ch->allow_unsigned, 0);
	assert_null(ch->device);
	assert_null(ch->connection);

	ch = config_channel(cfg, "sb");
	assert_string_equal(
	    ch->api_url, "https://api.sandbox.africastalking.com");
	ch = config_channel(cfg, "tw");
	assert_string_equal(ch->api_url, "https://api.twilio.com");
	/* The gateway's public_url serves it; the channel has none. */
	assert_null(ch->public_url);

	ch = config_channel(cfg, "m");
	assert_int_equal(ch->type, CHANNEL_GAMMU);
	assert_int_equal(ch->line, 17);
	assert_null(ch->api_url);
	assert_string_equal(ch->device, "/dev/ttyUSB0");
	assert_string_equal(ch->connection, "at");
	assert_string_equal(ch->model, "");
	assert_null(ch->pin);
	assert_true(ch->rate.count == 6 && ch->rate.period_ms == 60000);
	assert_true(ch->poll_interval_ms == 5000);
	assert_true(ch->multipart_timeout_ms == 600000);
	assert_true(ch->balance_interval_ms == INT64_C(6) * 3600000);
	assert_int_equal(ch->balance_alert, 0);
	assert_null(ch->balance_ussd);

	assert_null(config_channel(cfg, "nope"));
	assert_null(config_channel(cfg, NULL));
	config_free(cfg);
}

static void
test_default_channel(void **state)
{
	struct config *cfg;

	(void)state;
	/* Exactly one channel: it is the default. */
	cfg = expect_ok(AT_CHANNEL);
	assert_string_equal(cfg->default_channel, "at");
	config_free(cfg);

	/* Explicit, and defined after [gateway]. */
	cfg = expect_ok("[gateway]\ndefault_channel = web\n" AT_CHANNEL
			"[channel web]\ntype = http\napi_url = "
			"http://127.0.0.1:9000/send/\nsigning_key = k\n");
	assert_string_equal(cfg->default_channel, "web");
	assert_string_equal(
	    config_channel(cfg, "web")->api_url, "http://127.0.0.1:9000/send");
	config_free(cfg);

	expect_one("[gateway]\ndefault_channel = nope\n" AT_CHANNEL, 2,
	    "default_channel: no channel named 'nope'");
}

/*
 * Values of every type, good and bad, with their messages.
 */

static void
test_gateway_values(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = expect_ok("[gateway]\n"
			"listen = [::1]:9090\n"
			"database = /var/lib/baraza/b.db\n"
			"flows = my flows\n"
			"languages = sw en  fr\n"
			"session_timeout = 90s\n"
			"admin_token = s3cret\n"
			"stop_words = ACHA STOP\n"
			"start_words =\n"
			"restart_words = MENU ANZA\n"
			"stop_text = Bye now\n"
			"country_code = 1\n"
			"durability = normal\n"
			"sender_limit = 100/h\n"
			"retention_days = 0\n"
			"log_level = debug\n");
	assert_int_equal(cfg->gateway_line, 1);
	assert_string_equal(cfg->listen.host, "::1");
	assert_int_equal(cfg->listen.port, 9090);
	assert_string_equal(cfg->database, "/var/lib/baraza/b.db");
	assert_string_equal(cfg->flows, "/base/my flows");
	assert_int_equal(cfg->languages.n, 3);
	assert_string_equal(cfg->languages.v[0], "sw");
	assert_string_equal(cfg->languages.v[2], "fr");
	assert_true(cfg->session_timeout_ms == 90000);
	assert_string_equal(cfg->admin_token, "s3cret");
	assert_int_equal(cfg->stop_words.n, 2);
	assert_string_equal(cfg->stop_words.v[0], "ACHA");
	assert_int_equal(cfg->start_words.n, 0);
	assert_non_null(cfg->start_words.v);
	assert_null(cfg->start_words.v[0]);
	assert_int_equal(cfg->restart_words.n, 2);
	assert_string_equal(cfg->stop_text, "Bye now");
	assert_string_equal(cfg->country_code, "1");
	assert_int_equal(cfg->durability, DURABILITY_NORMAL);
	assert_true(cfg->sender_limit.count == 100);
	assert_true(cfg->sender_limit.period_ms == 3600000);
	assert_int_equal(cfg->retention_days, 0);
	assert_int_equal(cfg->log_level, L_DEBUG);
	config_free(cfg);

	cfg = expect_ok("[gateway]\nlisten = localhost:80\n");
	assert_string_equal(cfg->listen.host, "localhost");
	assert_int_equal(cfg->listen.port, 80);
	config_free(cfg);
	cfg = expect_ok("[gateway]\nlisten = 0.0.0.0:65535\n");
	assert_int_equal(cfg->listen.port, 65535);
	config_free(cfg);
	/* Port 0 asks the system for a free port (tests, benchmarks). */
	cfg = expect_ok("[gateway]\nlisten = 127.0.0.1:0\n");
	assert_int_equal(cfg->listen.port, 0);
	config_free(cfg);
}

static void
test_bad_values(void **state)
{
	static const struct {
		const char *line;
		const char *msg;
	} bad[] = {
	    {"session_timeout = 15", "session_timeout: expected a duration "
				     "such as 30s, 15m, 6h"},
	    {"session_timeout = soon", "expected a duration"},
	    {"session_timeout = 1s", "session_timeout: must be between 30s "
				     "and 7d"},
	    {"session_timeout = 8d", "must be between 30s and 7d"},
	    {"session_timeout = 99999999999999999999d", "expected a duration"},
	    {"sender_limit = 20", "sender_limit: expected a rate such as "
				  "20/s, 6/min, 100/h"},
	    {"sender_limit = 0/s", "expected a rate"},
	    {"sender_limit = 1001/s", "must be between 1/day and 1000/s"},
	    {"listen = 127.0.0.1:99999",
		"listen: port 99999 is out of range: 0 to 65535"},
	    {"retention_days = abc", "retention_days: expected a whole number"},
	    {"retention_days = -1", "expected a whole number"},
	    {"retention_days = 1.5", "expected a whole number"},
	    {"retention_days = 36501", "must be between 0 and 36500"},
	    {"retention_days = 99999999999999999999999", "expected a whole"},
	    {"durability = fast", "durability: expected one of full, normal"},
	    {"log_level = INFO", "log_level: expected one of error, warn, "
				 "info, debug"},
	    {"listen = 127.0.0.1", "listen: expected host:port"},
	    {"listen = :8080", "expected host:port"},
	    {"listen = 127.0.0.1:65536", "port 65536 is out of range"},
	    {"listen = 127.0.0.1:http", "expected host:port"},
	    {"listen = 999.1.1.1:80", "expected host:port"},
	    {"listen = [::1:80", "expected host:port"},
	    {"listen = [nothex]:80", "expected host:port"},
	    {"listen = a host:80", "expected host:port"},
	    {"languages =", "languages: expected ISO 639-1 codes"},
	    {"languages = EN", "'EN' is not a two-letter lower-case"},
	    {"languages = eng", "'eng' is not a two-letter"},
	    {"languages = xx", "'xx' is not an ISO 639-1 code"},
	    {"languages = en sw en", "'en' is listed twice"},
	    {"country_code = +25", "country_code: expected 1 to 3 digits"},
	    {"country_code = 2544", "at most 3 characters"},
	    {"country_code = 0", "expected 1 to 3 digits"},
	    {"country_code = 25a", "expected 1 to 3 digits"},
	    {"admin_token =", "admin_token: must not be empty"},
	    {"stop_text =", "stop_text: must not be empty"},
	    {"stop_words = A B C D E F G H I J K L M N O P Q R S T U V W X Y "
	     "Z AA AB AC AD AE AF AG",
		"stop_words: at most 32 words"},
	    {"stop_words = ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFG",
		"words must be at most 32 characters"},
	    {"default_channel = abcdefghijklmnopqrstuvwxyzabcdefg",
		"default_channel: at most 32 characters"},
	};
	char *text;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(bad); i++) {
		text = xasprintf("; comment\n[gateway]\n%s\n", bad[i].line);
		expect_one(text, 3, bad[i].msg);
		free(text);
	}
}

static void
test_bad_channel_values(void **state)
{
	static const struct {
		const char *line;
		const char *msg;
	} bad[] = {
	    {"api_url = ftp://x", "api_url: expected a URL such as "
				  "https://example.org"},
	    {"api_url = https://", "expected a URL"},
	    {"api_url = http:///x", "expected a URL"},
	    {"api_url = http://a b", "expected a URL"},
	    {"rate = 1/x", "rate: expected a rate"},
	    {"rate = 200000/s", "rate: must be between 1/day and 100000/s"},
	    {"max_age = 1s", "max_age: must be between 1m and 30d"},
	    {"max_age = 1", "max_age: expected a duration"},
	    {"ussd_max = 183", "ussd_max: must be between 20 and 182"},
	    {"ussd_max = 0x10", "ussd_max: expected a whole number"},
	    {"sender =", "sender: must not be empty"},
	    {"webhook_secret =", "webhook_secret: must not be empty"},
	    {"webhook_secret = \" \"", "webhook_secret: white space only"},
	    {"webhook_secret = \"\t \"", "webhook_secret: white space only"},
	    {"type = smtp", "type: expected one of africastalking, twilio, "
			    "kannel, gammu, http, smpp, infobip, vonage"},
	};
	char *text;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(bad); i++) {
		text = xasprintf("[channel at]\ntype = africastalking\n"
				 "username = u\napi_key = k\n%s\n"
				 "allow_unsigned = yes\n",
		    bad[i].line);
		/* A bad type makes the section's keys unchecked. */
		if (strncmp(bad[i].line, "type", 4) == 0) {
			struct config *cfg;
			struct config_errors *e;

			assert_true(parse(text, &cfg, &e) >= 1);
			assert_finding(e, 5, "duplicate key 'type'");
			config_free(cfg);
			config_errors_free(e);
			free(text);
			text = xasprintf("[channel at]\n%s\n", bad[i].line);
			expect_one(text, 2, bad[i].msg);
		} else {
			expect_one(text, 5, bad[i].msg);
		}
		free(text);
	}
}

static void
test_gammu_values(void **state)
{
	const struct channel_config *ch;
	struct config *cfg;

	(void)state;
	cfg = expect_ok("[channel modem1]\n"
			"type = gammu\n"
			"device = spool\n"
			"connection = none\n"
			"model = dummy\n"
			"pin = 1234\n"
			"poll_interval = 2s\n"
			"multipart_timeout = 2m\n"
			"balance_ussd = *144#\n"
			"balance_interval = 1d\n"
			"balance_alert = 50\n"
			"rate = 30/h\n"
			"sender = +254700000001\n"
			"fallback = web\n"
			"fallback_after = 2m\n"
			"[channel web]\ntype = http\napi_url = "
			"https://example.org/x\nsigning_key = k\n");
	ch = config_channel(cfg, "modem1");
	assert_string_equal(ch->device, "/base/spool");
	assert_string_equal(ch->connection, "none");
	assert_string_equal(ch->model, "dummy");
	assert_string_equal(ch->pin, "1234");
	assert_true(ch->poll_interval_ms == 2000);
	assert_true(ch->multipart_timeout_ms == 120000);
	assert_string_equal(ch->balance_ussd, "*144#");
	assert_true(ch->balance_interval_ms == 86400000);
	assert_int_equal(ch->balance_alert, 50);
	assert_true(ch->rate.count == 30 && ch->rate.period_ms == 3600000);
	assert_string_equal(ch->sender, "+254700000001");
	assert_string_equal(ch->fallback, "web");
	assert_true(ch->fallback_after_ms == 120000);
	assert_string_equal(config_channel(cfg, "web")->signing_key, "k");
	config_free(cfg);

	/* 500ms is below poll_interval's minimum of 1s. */
	expect_one("[channel m]\ntype = gammu\ndevice = d\n"
		   "poll_interval = 500ms\n",
	    4, "poll_interval: must be between 1s and 1h");
}

/*
 * SMPP, Infobip and Vonage channels: their keys, defaults and bounds.
 */

static void
test_smpp_values(void **state)
{
	const struct channel_config *ch;
	struct config *cfg;

	(void)state;
	cfg = expect_ok("[channel smsc]\n"
			"type = smpp\n"
			"host = 127.0.0.1\n"
			"system_id = council\n"
			"password = secret\n");
	ch = config_channel(cfg, "smsc");
	assert_int_equal(ch->type, CHANNEL_SMPP);
	assert_int_equal(ch->port, 2775);
	assert_string_equal(ch->system_type, "");
	assert_int_equal(ch->bind, SMPP_BIND_MODE_TRX);
	assert_null(ch->source_addr);
	assert_int_equal(ch->source_ton, 0);
	assert_int_equal(ch->dest_ton, 1);
	assert_int_equal(ch->dest_npi, 1);
	assert_int_equal(ch->window, 10);
	assert_true(ch->enquire_link_ms == 30000);
	assert_int_equal(ch->long_mode, SMPP_LONG_UDH);
	config_free(cfg);

	cfg = expect_ok("[channel smsc]\n"
			"type = smpp\n"
			"host = smsc.example.org\n"
			"port = 2776\n"
			"system_id = council\n"
			"password = secret\n"
			"system_type = VMA\n"
			"bind = transmitter+receiver\n"
			"source_addr = 40404\n"
			"source_ton = 5\n"
			"source_npi = 0\n"
			"dest_ton = 0\n"
			"dest_npi = 9\n"
			"window = 50\n"
			"enquire_link = 1m\n"
			"long = payload\n");
	ch = config_channel(cfg, "smsc");
	assert_int_equal(ch->port, 2776);
	assert_string_equal(ch->system_type, "VMA");
	assert_int_equal(ch->bind, SMPP_BIND_MODE_SPLIT);
	assert_string_equal(ch->source_addr, "40404");
	assert_int_equal(ch->source_ton, 5);
	assert_int_equal(ch->dest_ton, 0);
	assert_int_equal(ch->dest_npi, 9);
	assert_int_equal(ch->window, 50);
	assert_true(ch->enquire_link_ms == 60000);
	assert_int_equal(ch->long_mode, SMPP_LONG_PAYLOAD);
	config_free(cfg);

	/* SMPP 3.4 bounds: system_id is at most 15 characters. */
	expect_one("[channel s]\ntype = smpp\nhost = h\npassword = p\n"
		   "system_id = abcdefghijklmnop\n",
	    5, "system_id: ");
	expect_one("[channel s]\ntype = smpp\nhost = h\npassword = p\n"
		   "system_id = c\nwindow = 0\n",
	    6, "window: must be between 1 and 1000");
	expect_one("[channel s]\ntype = smpp\nhost = h\npassword = p\n"
		   "system_id = c\nlong = split\n",
	    6, "long: expected one of udh, sar, payload");
	expect_one("[channel s]\ntype = smpp\nsystem_id = c\npassword = p\n", 1,
	    "host");
	/* A bind's password is at most 8 characters; 8 is fine. */
	expect_one("[channel s]\ntype = smpp\nhost = h\nsystem_id = c\n"
		   "password = 123456789\n",
	    5, "password: at most 8 characters for an SMPP bind");
	cfg = expect_ok("[channel s]\ntype = smpp\nhost = h\nsystem_id = c\n"
			"password = 12345678\n");
	config_free(cfg);
	/*
	 * Kannel's password has no such bound; its api_url defaults to the
	 * smsbox on the same host (interfaces.md's example names none).
	 */
	cfg = expect_ok("[channel k]\ntype = kannel\nusername = u\n"
			"password = a-long-kannel-password\nsender = 40404\n"
			"webhook_secret = s\n");
	assert_string_equal(
	    config_channel(cfg, "k")->api_url, "http://127.0.0.1:13013");
	config_free(cfg);

	/* Vonage: signed webhooks unless said otherwise; rest.nexmo.com. */
	cfg = expect_ok("[channel vg]\ntype = vonage\napi_key = k\n"
			"api_secret = s\nsender = COUNCIL\n"
			"signature_secret = x\n");
	ch = config_channel(cfg, "vg");
	assert_string_equal(ch->api_url, "https://rest.nexmo.com");
	/* No signature_method: the sig's length picks it (auto). */
	assert_int_equal(ch->signature_method, VONAGE_SIG_AUTO);
	config_free(cfg);
	cfg = expect_ok("[channel vg]\ntype = vonage\napi_key = k\n"
			"api_secret = s\nsender = COUNCIL\n"
			"signature_secret = x\nsignature_method = md5hash\n");
	assert_int_equal(
	    config_channel(cfg, "vg")->signature_method, VONAGE_SIG_MD5HASH);
	config_free(cfg);
	expect_one("[channel vg]\ntype = vonage\napi_key = k\n"
		   "api_secret = s\nsender = COUNCIL\n",
	    1, "signature_secret");

	/* Infobip: its own base URL, and a webhook_secret. */
	expect_one("[channel ib]\ntype = infobip\napi_key = k\n"
		   "api_url = https://xyz.api.infobip.com\n",
	    1, "webhook_secret");
}

/*
 * Quoting and comments.
 */

static void
test_quoting(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = expect_ok("[gateway]\n"
			"stop_text = \"You will; get \\\"no\\\" more ; "
			"alerts.\" ; a comment\n"
			"start_text = \"  spaced  \"\n"
			"error_text = \"back\\\\slash\";comment\n"
			"invalid_choice_text = Reply 1;2 ; comment\n"
			"admin_token = \"a;b\"\n");
	assert_string_equal(
	    cfg->stop_text, "You will; get \"no\" more ; alerts.");
	assert_string_equal(cfg->start_text, "  spaced  ");
	assert_string_equal(cfg->error_text, "back\\slash");
	/* Unquoted: ';' after white space starts a comment, else not. */
	assert_string_equal(cfg->invalid_choice_text, "Reply 1;2");
	assert_string_equal(cfg->admin_token, "a;b");
	config_free(cfg);

	/* A quoted empty string is empty. */
	expect_one(
	    "[gateway]\nstop_text = \"\"\n", 2, "stop_text: must not be empty");
	expect_one(
	    "[gateway]\nstop_text = \"open\n", 2, "unterminated quoted value");
	expect_one(
	    "[gateway]\nstop_text = \"a\\\"\n", 2, "unterminated quoted value");
	/* \n is a line break, which only a screen (resume_text) takes. */
	expect_one("[gateway]\nstop_text = \"a\\n\"\n", 2,
	    "stop_text: line breaks are not allowed here");
	expect_one("[gateway]\nstop_text = \"a\\t\"\n", 2, "bad escape");
	expect_one("[gateway]\nstop_text = \"a\" b\n", 2,
	    "unexpected text after the closing quote");
	/* A bad quoted value still counts as set: no other findings. */
	expect_one(AT_CHANNEL "sender = \"x\n", 6, "unterminated");
}

static void
test_syntax(void **state)
{
	struct config *cfg;

	(void)state;
	/* CRLF, a BOM, '#' comments, indented lines and ':' separators. */
	cfg = expect_ok("\xEF\xBB\xBF[gateway]\r\n"
			"# comment\r\n"
			"  ; comment\r\n"
			"\tlisten = 127.0.0.1:9000\r\n"
			"   log_level = warn\r\n"
			"retention_days: 30\r\n"
			"[ channel  at ]  ; trailing comment\n"
			"type = africastalking\nusername = u\napi_key = k\n"
			"webhook_secret = w");
	assert_int_equal(cfg->listen.port, 9000);
	/* An indented line is not a continuation of the previous one. */
	assert_int_equal(cfg->log_level, L_WARN);
	assert_int_equal(cfg->retention_days, 30);
	assert_non_null(config_channel(cfg, "at"));
	config_free(cfg);

	expect_one("[gateway]\nlisten\n", 2, "expected 'key = value'");
	expect_one("[gateway]\nlisten ; = 1\n", 2, "expected 'key = value'");
	expect_one("[gateway]\n= 1\n", 2, "missing key name");
	expect_one("[gateway\n", 1, "expected ']'");
	expect_one("[gateway] x\n", 1, "unexpected text after the section");
	{
		static const char nul[] = "[gateway]\nlog_level = info\0junk\n"
					  "retention_days = x\n";
		struct config_errors *e;

		assert_int_equal(config_parse_buffer(nul, sizeof(nul) - 1,
				     "t.conf", "/base", &cfg, &e),
		    2);
		assert_finding(e, 2, "line contains a NUL byte");
		assert_finding(e, 3, "retention_days: expected a whole number");
		assert_int_equal(cfg->log_level, L_INFO);
		config_free(cfg);
		config_errors_free(e);
	}
	expect_one(
	    "listen = 1.2.3.4:5\n", 1, "key 'listen' outside any section");
}

/*
 * Lines that start with white space other than blanks (\v, \f, \r) keep
 * the reading they had when inih lexed them (config.c, key_entry): every
 * bad line is still reported, each at its own line.
 */
static void
test_odd_white_space(void **state)
{
	struct config *cfg;
	struct config_errors *e;

	(void)state;
	/* Every syntax error of a file, not only the first. */
	assert_int_equal(
	    parse("[gateway]\nlisten\n= 1\n[x\nlog_level\n", &cfg, &e), 4);
	assert_finding(e, 2, "expected 'key = value'");
	assert_finding(e, 3, "missing key name");
	assert_finding(e, 4, "expected ']'");
	assert_finding(e, 5, "expected 'key = value'");
	config_free(cfg);
	config_errors_free(e);

	/* It continues the key written last, whatever its section. */
	assert_int_equal(
	    parse("[bogus]\nstop_text = x\n[gateway]\n\vfoo\v;bar=x\n"
		  "\fa = b\n",
		&cfg, &e),
	    3);
	assert_finding(e, 1, "unknown section [bogus]");
	assert_finding(e, 4, "stop_text: control characters are not allowed");
	assert_finding(e, 5, "duplicate key 'stop_text' (first set at line 4)");
	config_free(cfg);
	config_errors_free(e);

	/* Before any key: a comment, a section header or an entry. */
	cfg = expect_ok("[gateway]\n\v; x = 1\n\f[abc] = 1\n"
			"\rlog_level = warn\n");
	assert_int_equal(cfg->log_level, L_WARN);
	config_free(cfg);
	expect_one("[gateway]\n\v[abc = 1\n", 2, "syntax error");
	expect_one("[gateway]\nk\v;x = 1\n", 2, "syntax error");
	/* Only the first such line is reported. */
	assert_int_equal(
	    parse("[gateway]\nk\v;x = 1\nk\v;x = 2\n", &cfg, &e), 1);
	assert_finding(e, 2, "syntax error");
	config_free(cfg);
	config_errors_free(e);
	/* A second byte order mark on line 1 is white space there. */
	expect_one("\xEF\xBB\xBF\xEF\xBB\xBFlisten = 1.2.3.4:5\n", 1,
	    "key 'listen' outside any section");
}

/*
 * Findings of every kind, with lines.
 */

static void
test_findings(void **state)
{
	static const char text[] = "orphan = 1\n"              /* 1 */
				   "[gateway]\n"               /* 2 */
				   "listen = 127.0.0.1:8080\n" /* 3 */
				   "colour = blue\n"           /* 4 */
				   "rate = 5/s\n"              /* 5 */
				   "listen = 127.0.0.1:8081\n" /* 6 */
				   "session_timeout = 15\n"    /* 7 */
				   "[weird]\n"                 /* 8 */
				   "x = 1\n"                   /* 9 */
				   "[channel at]\n"            /* 10 */
				   "type = africastalking\n"   /* 11 */
				   "username = u\n"            /* 12 */
				   "device = /dev/ttyUSB0\n"   /* 13 */
				   "log_level = info\n"        /* 14 */
				   "nonsense\n"                /* 15 */
				   "[channel at]\n"            /* 16 */
				   "type = http\n"             /* 17 */
				   "[channel Bad!]\n"          /* 18 */
				   "[channel]\n"               /* 19 */
				   "[gateway]\n"               /* 20 */
				   "[channel kn]\n"            /* 21 */
				   "type = kannel\n"           /* 22 */
				   "signing_key = k\n"         /* 23 */
				   "[channel notype]\n"        /* 24 */
				   "sender = 1\n"              /* 25 */
				   "bogus = 2\n"               /* 26 */
				   "sender = 3\n";             /* 27 */
	struct config *cfg;
	struct config_errors *e;
	size_t i;
	int n;

	(void)state;
	n = parse(text, &cfg, &e);
	assert_non_null(cfg);
	assert_finding(e, 1, "key 'orphan' outside any section");
	assert_finding(e, 4, "unknown key 'colour' in [gateway]");
	assert_finding(e, 5,
	    "unknown key 'rate' in [gateway] (it belongs in "
	    "a [channel NAME] section)");
	assert_finding(e, 6, "duplicate key 'listen' (first set at line 3)");
	assert_finding(e, 7,
	    "session_timeout: expected a duration such as "
	    "30s, 15m, 6h");
	assert_finding(e, 8, "unknown section [weird]");
	assert_finding(e, 10,
	    "missing required key 'api_key' in [channel "
	    "at] (required for type africastalking)");
	assert_finding(e, 10,
	    "[channel at] would take webhooks from anyone: set "
	    "webhook_secret");
	assert_finding(e, 13,
	    "key 'device' is not valid for a channel of "
	    "type africastalking");
	assert_finding(e, 14,
	    "unknown key 'log_level' in [channel at] (it "
	    "belongs in [gateway])");
	assert_finding(e, 15, "expected 'key = value'");
	assert_finding(e, 16, "duplicate channel 'at' (first at line 10)");
	assert_finding(e, 18, "bad channel name 'Bad!'");
	assert_finding(e, 19, "missing channel name");
	assert_finding(e, 20, "duplicate section [gateway] (first at line 2)");
	assert_finding(e, 21, "missing required key 'username'");
	assert_finding(e, 21, "missing required key 'password'");
	assert_finding(e, 21, "[channel kn] would take webhooks from anyone");
	assert_finding(e, 23,
	    "key 'signing_key' is not valid for a channel "
	    "of type kannel");
	assert_finding(e, 24,
	    "missing required key 'type' in [channel "
	    "notype]");
	assert_finding(e, 26, "unknown key 'bogus' in [channel notype]");
	assert_finding(e, 27, "duplicate key 'sender' (first set at line 25)");
	/* The keys of [weird], the second [channel at] and the second
	 * [gateway] are not reported one by one. */
	assert_int_equal(n, 22);
	assert_int_equal(config_errors_count(e), 22);
	/* Sorted by line. */
	for (i = 1; i < e->n; i++)
		assert_true(e->v[i - 1].line <= e->v[i].line);
	/* Only the first [channel at] is kept. */
	assert_int_equal(cfg->nchannels, 3);
	assert_int_equal(
	    config_channel(cfg, "at")->type, CHANNEL_AFRICASTALKING);
	/* The first value of a duplicate key wins. */
	assert_int_equal(cfg->listen.port, 8080);
	config_free(cfg);
	config_errors_free(e);
}

static void
test_print(void **state)
{
	struct config *cfg;
	struct config_errors *e;
	char *out = NULL;
	size_t len = 0;
	FILE *fp;

	(void)state;
	assert_int_equal(parse("[gateway]\nx = 1\n\n[nope]\n", &cfg, &e), 2);
	fp = open_memstream(&out, &len);
	assert_non_null(fp);
	config_errors_print(e, fp);
	fclose(fp);
	assert_string_equal(out,
	    "t.conf:2: error: unknown key 'x' in [gateway]\n"
	    "t.conf:4: error: unknown section [nope]: expected [gateway], "
	    "[channel NAME], [reports], [campaign NAME], [event NAME] or "
	    "[open311]\n");
	free(out);
	config_free(cfg);
	config_errors_free(e);
}

static void
test_many_findings(void **state)
{
	struct buf b;
	struct config *cfg;
	struct config_errors *e;
	char *out = NULL;
	size_t len = 0;
	FILE *fp;
	int i;

	(void)state;
	buf_init(&b, 1 << 20);
	assert_int_equal(buf_puts(&b, "[gateway]\n"), 0);
	for (i = 0; i < 300; i++)
		assert_int_equal(buf_printf(&b, "k%d = 1\n", i), 0);
	assert_int_equal(
	    config_parse_buffer(b.data, b.len, "t.conf", "/base", &cfg, &e),
	    300);
	assert_int_equal(e->n, CONFIG_MAX_ERRORS);
	assert_int_equal(e->dropped, 300 - CONFIG_MAX_ERRORS);
	assert_finding(e, 2, "unknown key 'k0'");
	assert_finding(e, 201, "unknown key 'k199'");
	fp = open_memstream(&out, &len);
	config_errors_print(e, fp);
	fclose(fp);
	assert_non_null(strstr(out, "t.conf: error: 100 more errors not "
				    "shown\n"));
	free(out);
	buf_free(&b);
	config_free(cfg);
	config_errors_free(e);
}

/*
 * Channel types.
 */

static void
test_channel_types(void **state)
{
	struct config *cfg;
	struct config_errors *e;

	(void)state;
	assert_string_equal(config_channel_type_name(CHANNEL_TWILIO), "twilio");
	assert_string_equal(config_channel_type_name(CHANNEL_HTTP), "http");
	assert_string_equal(
	    config_channel_type_name((enum channel_type)99), "unknown");

	/* Each type's required keys, reported at the section line. */
	assert_int_equal(parse("\n[channel a]\ntype = africastalking\n"
			       "[channel b]\ntype = twilio\n"
			       "[channel c]\ntype = kannel\n"
			       "[channel d]\ntype = http\n"
			       "[channel e]\ntype = gammu\n",
			     &cfg, &e),
	    12);
	assert_finding(e, 2, "missing required key 'username' in [channel a]");
	assert_finding(e, 2, "missing required key 'api_key'");
	assert_finding(e, 4, "missing required key 'account_sid'");
	assert_finding(e, 4,
	    "missing required key 'auth_token' in [channel "
	    "b] (required for type twilio)");
	assert_finding(e, 6, "missing required key 'username'");
	assert_finding(e, 6, "missing required key 'password'");
	assert_finding(e, 8, "missing required key 'api_url' in [channel d]");
	assert_finding(e, 10, "missing required key 'device'");
	/* And what would authenticate their webhooks (gammu takes none). */
	assert_finding(e, 2, "set webhook_secret");
	assert_finding(e, 4, "set public_url, here or in [gateway]");
	assert_finding(e, 6, "set webhook_secret");
	assert_finding(e, 8, "set signing_key");
	config_free(cfg);
	config_errors_free(e);

	/* Type-only keys are refused elsewhere. */
	expect_one("[channel t]\ntype = twilio\naccount_sid = A\n"
		   "auth_token = t\nsigning_key = x\n"
		   "public_url = https://sms.example.org\n",
	    5, "key 'signing_key' is not valid for a channel of type twilio");
	expect_one("[channel h]\ntype = http\napi_url = http://h\n"
		   "username = u\nsigning_key = k\n",
	    4, "key 'username' is not valid for a channel of type http");
	expect_one("[channel g]\ntype = gammu\ndevice = d\napi_key = k\n", 4,
	    "key 'api_key' is not valid for a channel of type gammu");
	expect_one(AT_CHANNEL "pin = 1\n", 6,
	    "key 'pin' is not valid for a channel of type africastalking");
	/* node = on a modem only: a provider's webhooks reach any node. */
	expect_one(AT_CHANNEL "node = a\n", 6,
	    "key 'node' is not valid for a channel of type africastalking");
	cfg = expect_ok("[gateway]\nnode = nairobi-1\n"
			"[channel g]\ntype = gammu\ndevice = d\n"
			"node = nairobi-2\n");
	assert_string_equal(cfg->node, "nairobi-1");
	assert_string_equal(config_channel(cfg, "g")->node, "nairobi-2");
	config_free(cfg);
	/* Values a modem would only refuse at run time. */
	expect_one("[channel g]\ntype = gammu\ndevice = d\npin = abcd\n", 4,
	    "the SIM's PIN, 4 to 8 digits");
	expect_one("[channel g]\ntype = gammu\ndevice = d\n"
		   "balance_ussd = hello\n",
	    4, "such as *144#");
	expect_one("[channel g]\ntype = gammu\ndevice = d\n"
		   "[channel h]\ntype = gammu\ndevice = d\n",
	    6, "device: channel g has it already");
	cfg = expect_ok("[gateway]\nnode = a\n"
			"[channel g]\ntype = gammu\ndevice = d\nnode = a\n"
			"[channel h]\ntype = gammu\ndevice = d\nnode = b\n");
	config_free(cfg); /* the same path on two machines */
	assert_int_equal(parse("[channel g]\ntype = gammu\ndevice = d\n"
			       "balance_alert = 50\n",
			     &cfg, &e),
	    0);
	assert_int_equal(config_warnings_count(e), 1);
	assert_finding(e, 4, "no balance_ussd");
	config_free(cfg);
	config_errors_free(e);
	/* A modem for a node while [gateway] names none: a warning. */
	{
		assert_int_equal(parse("[channel g]\ntype = gammu\n"
				       "device = d\nnode = here\n",
				     &cfg, &e),
		    0);
		assert_int_equal(config_errors_count(e), 0);
		assert_int_equal(config_warnings_count(e), 1);
		assert_finding(e, 4, "[gateway] names no node");
		config_free(cfg);
		config_errors_free(e);
	}
	/* Keys that do nothing for the type: warnings. */
	assert_int_equal(parse("[channel g]\ntype = gammu\ndevice = d\n"
			       "sender = 40404\nwebhook_secret = w\n"
			       "[channel s]\ntype = smpp\nhost = h\n"
			       "system_id = x\npassword = y\n"
			       "api_url = http://127.0.0.1:9/\n",
			     &cfg, &e),
	    0);
	assert_int_equal(config_errors_count(e), 0);
	assert_int_equal(config_warnings_count(e), 3);
	assert_finding(e, 4, "sender: does nothing for type gammu");
	assert_finding(e, 5, "webhook_secret: does nothing for type gammu");
	assert_finding(e, 11, "api_url: does nothing for type smpp");
	config_free(cfg);
	config_errors_free(e);
	/* The type may come after other keys. */
	cfg = expect_ok("[channel k]\nusername = u\npassword = p\n"
			"api_url = http://127.0.0.1:13013/\n"
			"webhook_secret = w\ntype = kannel\n");
	assert_int_equal(config_channel(cfg, "k")->type, CHANNEL_KANNEL);
	assert_string_equal(
	    config_channel(cfg, "k")->api_url, "http://127.0.0.1:13013");
	config_free(cfg);
	/* An explicit api_url beats the default; twilio's public_url. */
	cfg = expect_ok("[channel tw]\ntype = twilio\naccount_sid = AC\n"
			"auth_token = t\napi_url = http://127.0.0.1:9/\n"
			"public_url = https://sms.example.org\n");
	assert_string_equal(
	    config_channel(cfg, "tw")->api_url, "http://127.0.0.1:9");
	assert_string_equal(
	    config_channel(cfg, "tw")->public_url, "https://sms.example.org");
	config_free(cfg);
}

static void
test_cross_checks(void **state)
{
	(void)state;
	expect_one(AT_CHANNEL "fallback = at\n", 6,
	    "fallback: a channel cannot fall back to itself");
	expect_one(AT_CHANNEL "fallback = modem\n", 6,
	    "fallback: no channel named 'modem'");
	expect_one("[gateway]\nadmin_token = x\nadmin_token_file = f\n", 3,
	    "set admin_token or admin_token_file, not both");
}

static void
test_channel_limit(void **state)
{
	struct buf b;
	struct config *cfg;
	struct config_errors *e;
	int i;

	(void)state;
	buf_init(&b, 1 << 20);
	for (i = 0; i < CONFIG_MAX_CHANNELS + 1; i++)
		assert_int_equal(buf_printf(&b,
				     "[channel c%d]\ntype = http\n"
				     "api_url = http://h\nsigning_key = k\n",
				     i),
		    0);
	assert_int_equal(
	    config_parse_buffer(b.data, b.len, "t.conf", "/base", &cfg, &e), 1);
	assert_finding(e, 4 * CONFIG_MAX_CHANNELS + 1, "too many channels");
	assert_int_equal(cfg->nchannels, CONFIG_MAX_CHANNELS);
	buf_free(&b);
	config_free(cfg);
	config_errors_free(e);
}

/*
 * Closed by default: a channel whose webhooks nothing authenticates is an
 * error at its section's line, unless it says allow_unsigned = yes (a
 * warning at that line, which does not count as an error).
 */
static void
test_unsigned_channels(void **state)
{
	static const struct {
		const char *section; /* 1 line header, then the keys */
		const char *key;     /* what config_channel_unsigned names */
		const char *fix;     /* the key line that authenticates it */
	} chans[] = {
	    {"[channel at]\ntype = africastalking\nusername = u\n"
	     "api_key = k\n",
		"webhook_secret", "webhook_secret = s\n"},
	    {"[channel kn]\ntype = kannel\nusername = u\npassword = p\n"
	     "api_url = http://127.0.0.1:13013\n",
		"webhook_secret", "webhook_secret = s\n"},
	    {"[channel web]\ntype = http\napi_url = http://127.0.0.1:9/\n",
		"signing_key", "signing_key = k\n"},
	    {"[channel tw]\ntype = twilio\naccount_sid = AC\n"
	     "auth_token = t\n",
		"public_url", "public_url = https://sms.example.org\n"},
	};
	struct config *cfg;
	struct config_errors *e;
	char *text, *out = NULL;
	size_t i, len = 0;
	FILE *fp;
	int line;

	(void)state;
	for (i = 0; i < nitems(chans); i++) {
		/* Nothing authenticates it: an error at the section. */
		assert_int_equal(parse(chans[i].section, &cfg, &e), 1);
		assert_finding(e, 1, "would take webhooks from anyone");
		assert_finding(e, 1, chans[i].key);
		assert_finding(e, 1, "or say allow_unsigned = yes");
		assert_int_equal(config_warnings_count(e), 0);
		assert_string_equal(
		    config_channel_unsigned(cfg, &cfg->channels[0]),
		    chans[i].key);
		config_free(cfg);
		config_errors_free(e);

		/* allow_unsigned = yes: a warning at its line, no error. */
		text = xasprintf("%sallow_unsigned = yes\n", chans[i].section);
		line = 0;
		for (len = 0; text[len] != '\0'; len++)
			line += text[len] == '\n';
		assert_int_equal(parse(text, &cfg, &e), 0);
		assert_int_equal(config_errors_count(e), 0);
		assert_int_equal(config_warnings_count(e), 1);
		assert_int_equal(e->n, 1);
		assert_true(e->v[0].warning);
		assert_finding(e, line,
		    "takes webhooks from anyone "
		    "(allow_unsigned = yes)");
		assert_int_equal(cfg->channels[0].allow_unsigned, 1);
		fp = open_memstream(&out, &len);
		config_errors_print(e, fp);
		fclose(fp);
		assert_non_null(strstr(out, "t.conf:"));
		assert_non_null(strstr(out, ": warning: [channel "));
		assert_null(strstr(out, "error"));
		free(out);
		out = NULL;
		config_free(cfg);
		config_errors_free(e);
		free(text);

		/* With its key, neither; allow_unsigned = no is the default. */
		text = xasprintf("%s%sallow_unsigned = no\n", chans[i].section,
		    chans[i].fix);
		assert_int_equal(parse(text, &cfg, &e), 0);
		assert_int_equal(e->n, 0);
		assert_null(config_channel_unsigned(cfg, &cfg->channels[0]));
		config_free(cfg);
		config_errors_free(e);
		free(text);
	}

	/* Twilio: the gateway's public_url serves too. */
	cfg = expect_ok("[gateway]\npublic_url = https://sms.example.org\n"
			"[channel tw]\ntype = twilio\naccount_sid = AC\n"
			"auth_token = t\n");
	assert_null(config_channel_unsigned(cfg, &cfg->channels[0]));
	config_free(cfg);
	/* A secret set beside allow_unsigned is still required: no warning. */
	cfg = expect_ok(AT_CHANNEL "allow_unsigned = yes\n");
	assert_null(config_channel_unsigned(cfg, &cfg->channels[0]));
	config_free(cfg);
	/* Gammu takes no webhooks: nothing needed, and no such key. */
	cfg = expect_ok("[channel m]\ntype = gammu\ndevice = d\n");
	assert_null(config_channel_unsigned(cfg, &cfg->channels[0]));
	config_free(cfg);
	expect_one("[channel m]\ntype = gammu\ndevice = d\n"
		   "allow_unsigned = yes\n",
	    4, "key 'allow_unsigned' is not valid for a channel of type gammu");
	expect_one(AT_CHANNEL "allow_unsigned = maybe\n", 6,
	    "allow_unsigned: expected yes or no");
	/* Warnings do not crowd out errors, nor count as them. */
	assert_int_equal(parse("[channel web]\ntype = http\n"
			       "api_url = http://h\nallow_unsigned = yes\n"
			       "[channel at]\ntype = africastalking\n"
			       "username = u\napi_key = k\n",
			     &cfg, &e),
	    1);
	assert_int_equal(config_warnings_count(e), 1);
	assert_finding(e, 4, "allow_unsigned = yes");
	assert_finding(e, 5, "[channel at] would take webhooks from anyone");
	config_free(cfg);
	config_errors_free(e);
}

/*
 * Files: admin_token_file, relative paths, size limits, default path.
 */

static void
test_admin_token_file(void **state)
{
	static const char *const names[] = {
	    "tok", "empty", "two", "b.conf", NULL};
	char *dir = make_tmpdir(), *path, *text;
	struct config *cfg;
	struct config_errors *e;

	(void)state;
	path = xasprintf("%s/tok", dir);
	write_file(path, "  s3cret-token \n\n", 17);
	free(path);
	path = xasprintf("%s/empty", dir);
	write_file(path, " \n", 2);
	free(path);
	path = xasprintf("%s/two", dir);
	write_file(path, "one two\n", 8);
	free(path);

	/* Relative to the config's folder, read and trimmed. */
	text = xstrdup("[gateway]\nadmin_token_file = tok\n");
	assert_int_equal(
	    config_parse_buffer(text, strlen(text), "t.conf", dir, &cfg, &e),
	    0);
	free(text);
	assert_string_equal(cfg->admin_token, "s3cret-token");
	path = xasprintf("%s/tok", dir);
	assert_string_equal(cfg->admin_token_file, path);
	free(path);
	config_free(cfg);
	config_errors_free(e);

	/* Through config_load, with an absolute path. */
	text = xasprintf("[gateway]\n\nadmin_token_file = %s/tok\n", dir);
	path = xasprintf("%s/b.conf", dir);
	write_file(path, text, strlen(text));
	assert_int_equal(config_load(path, &cfg, &e), 0);
	assert_string_equal(cfg->admin_token, "s3cret-token");
	config_free(cfg);
	config_errors_free(e);
	free(path);
	free(text);

	text = xstrdup("[gateway]\nadmin_token_file = empty\n");
	assert_int_equal(
	    config_parse_buffer(text, strlen(text), "t.conf", dir, &cfg, &e),
	    1);
	assert_finding(e, 2, "is empty");
	assert_null(cfg->admin_token);
	config_free(cfg);
	config_errors_free(e);
	free(text);

	text = xstrdup("[gateway]\nadmin_token_file = two\n");
	assert_int_equal(
	    config_parse_buffer(text, strlen(text), "t.conf", dir, &cfg, &e),
	    1);
	assert_finding(e, 2, "must hold one token without white space");
	config_free(cfg);
	config_errors_free(e);
	free(text);

	text = xstrdup("[gateway]\nadmin_token_file = missing\n");
	assert_int_equal(
	    config_parse_buffer(text, strlen(text), "t.conf", dir, &cfg, &e),
	    1);
	assert_finding(e, 2, "admin_token_file: cannot open");
	config_free(cfg);
	config_errors_free(e);
	free(text);

	/* A folder is not a token file. */
	text = xstrdup("[gateway]\nadmin_token_file = .\n");
	assert_int_equal(
	    config_parse_buffer(text, strlen(text), "t.conf", dir, &cfg, &e),
	    1);
	assert_finding(e, 2, "is not a regular file");
	config_free(cfg);
	config_errors_free(e);
	free(text);

	rm_tmpdir(dir, names);
}

/*
 * database: a PostgreSQL URI is kept as it is (not a path); its password
 * comes from database_password_file, which a SQLite database refuses.
 */
static void
test_database_postgres(void **state)
{
	static const char *const names[] = {"pw", NULL};
	char *dir = make_tmpdir(), *path, *text;
	struct config *cfg;
	struct config_errors *e;

	(void)state;
	path = xasprintf("%s/pw", dir);
	write_file(path, " pg-s3cret\n", 11);
	free(path);

	text = xstrdup("[gateway]\ndatabase = postgresql://baraza@db1/baraza\n"
		       "database_password_file = pw\n");
	assert_int_equal(
	    config_parse_buffer(text, strlen(text), "t.conf", dir, &cfg, &e),
	    0);
	free(text);
	assert_string_equal(cfg->database, "postgresql://baraza@db1/baraza");
	assert_string_equal(cfg->database_password, "pg-s3cret");
	config_free(cfg);
	config_errors_free(e);

	text = xstrdup("[gateway]\ndatabase = postgres://db1/baraza\n");
	assert_int_equal(
	    config_parse_buffer(text, strlen(text), "t.conf", dir, &cfg, &e),
	    0);
	free(text);
	assert_string_equal(cfg->database, "postgres://db1/baraza");
	assert_null(cfg->database_password);
	config_free(cfg);
	config_errors_free(e);

	text = xstrdup("[gateway]\ndatabase = b.db\n"
		       "database_password_file = pw\n");
	assert_int_equal(
	    config_parse_buffer(text, strlen(text), "t.conf", dir, &cfg, &e),
	    1);
	free(text);
	assert_finding(e, 3, "database_password_file: only for a PostgreSQL");
	assert_null(cfg->database_password);
	config_free(cfg);
	config_errors_free(e);

	text = xstrdup("[gateway]\ndatabase = postgresql:///baraza\n"
		       "database_password_file = nothere\n");
	assert_int_equal(
	    config_parse_buffer(text, strlen(text), "t.conf", dir, &cfg, &e),
	    1);
	free(text);
	assert_finding(e, 3, "database_password_file: cannot open");
	config_free(cfg);
	config_errors_free(e);

	rm_tmpdir(dir, names);
}

static void
test_load_paths(void **state)
{
	static const char *const names[] = {"baraza.conf", NULL};
	char *dir = make_tmpdir(), *path, *expect, cwd[4096];
	struct config *cfg;
	struct config_errors *e;
	static const char text[] = "[gateway]\ndatabase = data/b.db\n"
				   "[channel m]\ntype = gammu\n"
				   "device = /dev/ttyACM0\n";

	(void)state;
	path = xasprintf("%s/baraza.conf", dir);
	write_file(path, text, strlen(text));
	assert_int_equal(config_load(path, &cfg, &e), 0);
	assert_string_equal(cfg->path, path);
	/* mkdtemp's folder under /tmp is already absolute and real. */
	assert_string_equal(cfg->dir, dir);
	expect = xasprintf("%s/data/b.db", dir);
	assert_string_equal(cfg->database, expect);
	free(expect);
	expect = xasprintf("%s/flows", dir);
	assert_string_equal(cfg->flows, expect);
	free(expect);
	assert_string_equal(config_channel(cfg, "m")->device, "/dev/ttyACM0");
	assert_string_equal(cfg->default_channel, "m");
	config_free(cfg);
	config_errors_free(e);

	/* A relative config name resolves to an absolute folder. */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	assert_string_equal(config_default_path(), "./baraza.conf");
	assert_int_equal(config_load("baraza.conf", &cfg, &e), 0);
	assert_string_equal(cfg->dir, dir);
	config_free(cfg);
	config_errors_free(e);
	unlink("baraza.conf");
	assert_string_equal(config_default_path(), "/etc/baraza/baraza.conf");
	assert_int_equal(chdir(cwd), 0);

	/* Paths under the root folder, or with no folder given. */
	assert_int_equal(
	    config_parse_buffer("", 0, "t.conf", "/", &cfg, &e), 0);
	assert_string_equal(cfg->database, "/baraza.db");
	config_free(cfg);
	config_errors_free(e);
	assert_int_equal(
	    config_parse_buffer("", 0, "t.conf", NULL, &cfg, &e), 0);
	assert_string_equal(cfg->dir, ".");
	assert_string_equal(cfg->flows, "./flows");
	config_free(cfg);
	config_errors_free(e);

	/* Missing file: one finding without a line, no config. */
	assert_int_equal(config_load(path, &cfg, &e), 1);
	assert_null(cfg);
	assert_finding(e, 0, "cannot open: No such file or directory");
	config_errors_free(e);

	/* A folder. */
	assert_int_equal(config_load(dir, &cfg, &e), 1);
	assert_null(cfg);
	assert_finding(e, 0, "is a folder");
	config_errors_free(e);

	free(path);
	rm_tmpdir(dir, names);
}

static void
test_oversize(void **state)
{
	static const char *const names[] = {"big.conf", NULL};
	char line[CONFIG_MAX_LINE + 16], *text, *dir, *path;
	struct config *cfg;
	struct config_errors *e;
	size_t n;

	(void)state;
	/*
	 * A text of two SMS segments and more fits (inih's buffer stopped
	 * lines at 197 characters); so does a line of CONFIG_MAX_LINE with a
	 * comment after the longest value.
	 */
	n = (size_t)snprintf(line, sizeof(line), "stop_text = ");
	memset(line + n, 'a', 1000);
	line[n + 1000] = '\0';
	text = xasprintf("[gateway]\n%s\n", line);
	cfg = expect_ok(text);
	assert_int_equal(strlen(cfg->stop_text), 1000);
	config_free(cfg);
	free(text);
	n = (size_t)snprintf(line, sizeof(line), "stop_text = ");
	memset(line + n, 'a', 1000);
	n += 1000;
	n += (size_t)snprintf(line + n, sizeof(line) - n, " ;");
	memset(line + n, 'c', CONFIG_MAX_LINE - n);
	line[CONFIG_MAX_LINE] = '\0';
	text = xasprintf("[gateway]\n%s\n", line);
	cfg = expect_ok(text);
	assert_int_equal(strlen(cfg->stop_text), 1000);
	config_free(cfg);
	free(text);

	/* One more does not, and the line is neither split nor used; the
	 * lines after it keep their numbers. */
	line[CONFIG_MAX_LINE] = 'c';
	line[CONFIG_MAX_LINE + 1] = '\0';
	text = xasprintf("[gateway]\n%s\nbogus = 1\n", line);
	assert_int_equal(parse(text, &cfg, &e), 2);
	assert_finding(
	    e, 2, "line is too long (2049 characters, at most 2048)");
	assert_finding(e, 3, "unknown key 'bogus'");
	assert_string_equal(cfg->stop_text,
	    "You will get no more alerts. Text START to rejoin.");
	config_free(cfg);
	config_errors_free(e);
	free(text);

	/* A very long line, as inih would have read it in pieces. */
	text = xmalloc(5000);
	memcpy(text, "[gateway]\nstop_text = ", 22);
	memset(text + 22, 'x', 4000);
	strcpy(text + 4022, "\nlog_level = loud\n");
	assert_int_equal(parse(text, &cfg, &e), 2);
	assert_finding(e, 2, "line is too long");
	assert_finding(e, 3, "log_level: expected one of");
	config_free(cfg);
	config_errors_free(e);
	free(text);

	/* A file over 1 MiB is refused whole. */
	n = CONFIG_MAX_FILE + 1;
	text = xmalloc(n);
	memset(text, '\n', n);
	assert_int_equal(
	    config_parse_buffer(text, n, "t.conf", "/base", &cfg, &e), 1);
	assert_finding(e, 0, "file is larger than 1048576 bytes");
	assert_non_null(cfg);
	config_free(cfg);
	config_errors_free(e);
	/* Exactly 1 MiB is fine. */
	assert_int_equal(
	    config_parse_buffer(text, n - 1, "t.conf", "/base", &cfg, &e), 0);
	config_free(cfg);
	config_errors_free(e);

	dir = make_tmpdir();
	path = xasprintf("%s/big.conf", dir);
	write_file(path, text, n);
	assert_int_equal(config_load(path, &cfg, &e), 1);
	assert_finding(e, 0, "file is larger than");
	config_free(cfg);
	config_errors_free(e);
	free(path);
	free(text);
	rm_tmpdir(dir, names);
}

/*
 * The [reports] section: texts per status and language.
 */

/* The source of the [reports] text for (status, lang), or NULL. */
static const char *
report_src(const struct config *cfg, const char *status, const char *lang)
{
	const struct template *t = config_report_text(cfg, status, lang);

	return t != NULL ? t->src : NULL;
}

static void
test_reports_section(void **state)
{
	struct config *cfg;

	(void)state;
	/* [reports] may come before [gateway]: a key without .LL is for the
	 * first of languages, whichever line sets them. */
	cfg = expect_ok("[reports]\n"
			"in_progress = \"Ripoti {id}: {status} {note}\"\n"
			"in_progress.en = \"Report {id} ({category}) at "
			"{location} is {status}. {note}\"\n"
			"closed.sw = Imefungwa {id}\n"
			"open = \"{{{id}}} again\"\n"
			"[gateway]\n"
			"languages = sw en\n");
	assert_int_equal(cfg->reports_line, 1);
	assert_int_equal(cfg->nreport_texts, 4);
	assert_string_equal(report_src(cfg, "in_progress", "sw"),
	    "Ripoti {id}: {status} {note}");
	assert_string_equal(report_src(cfg, "in_progress", "en"),
	    "Report {id} ({category}) at {location} is {status}. {note}");
	assert_string_equal(report_src(cfg, "closed", "sw"), "Imefungwa {id}");
	assert_string_equal(report_src(cfg, "open", "sw"), "{{{id}}} again");
	assert_null(report_src(cfg, "closed", "en"));
	assert_null(report_src(cfg, "resolved", "sw"));
	assert_null(report_src(cfg, "in_progress", "fr"));
	assert_null(config_report_text(cfg, NULL, "sw"));
	assert_string_equal(cfg->report_texts[0].status, "in_progress");
	assert_string_equal(cfg->report_texts[0].lang, "sw");
	assert_int_equal(cfg->report_texts[0].line, 2);
	config_free(cfg);

	/* No section: no texts. */
	cfg = expect_ok("[gateway]\n");
	assert_int_equal(cfg->reports_line, 0);
	assert_int_equal(cfg->nreport_texts, 0);
	assert_null(report_src(cfg, "closed", "en"));
	config_free(cfg);
	/* An empty section is fine too. */
	cfg = expect_ok("[reports]\n");
	assert_int_equal(cfg->reports_line, 1);
	config_free(cfg);
}

static void
test_reports_findings(void **state)
{
	(void)state;
	expect_one("[reports]\ndone = x\n", 2,
	    "unknown key 'done' in [reports]: expected a status");
	expect_one("[reports]\nacknowledged_and_more = x\n", 2,
	    "unknown key 'acknowledged_and_more' in [reports]");
	expect_one("[reports]\nClosed = x\n", 2, "unknown key 'Closed'");
	expect_one("[reports]\n.en = x\n", 2, "unknown key '.en'");
	expect_one("[gateway]\nlanguages = en sw\n[reports]\n"
		   "closed.fr = Ferme\n",
	    4, "closed.fr: language 'fr' is not in languages (en sw)");
	expect_one("[reports]\nclosed. = x\n", 2,
	    "closed.: language '' is not in languages (en)");
	expect_one("[reports]\nresolved = \"Report {id\"\n", 2,
	    "resolved: bad template at column 8: ");
	expect_one("[reports]\nresolved = Done }\n", 2,
	    "resolved: bad template at column");
	expect_one("[reports]\nresolved = Report {id} for {phone}\n", 2,
	    "resolved: unknown placeholder '{phone}' at column 17: expected "
	    "{id}, {status}, {category}, {location} or {note}");
	expect_one("[reports]\nresolved = Report {id.x}\n", 2,
	    "unknown placeholder '{id.x}' at column 8");
	expect_one(
	    "[reports]\nresolved = \"\"\n", 2, "resolved: must not be empty");
	expect_one("[reports]\nclosed = x\nclosed = y\n", 3,
	    "duplicate key 'closed' (first set at line 2)");
	expect_one("[gateway]\nlanguages = sw en\n[reports]\nclosed = x\n"
		   "closed.sw = y\n",
	    5,
	    "duplicate key 'closed.sw' (first set at line 4 as 'closed': "
	    "sw is the default language)");
	/* A bad text still counts as set: its duplicate is reported. */
	{
		struct config *cfg;
		struct config_errors *e;

		assert_int_equal(
		    parse("[reports]\nclosed = {x}\nclosed = y\n", &cfg, &e),
		    2);
		assert_finding(e, 2, "unknown placeholder '{x}'");
		assert_finding(e, 3, "duplicate key 'closed'");
		/* And is not used. */
		assert_null(report_src(cfg, "closed", "en"));
		config_free(cfg);
		config_errors_free(e);
	}
	expect_one("[reports]\n[gateway]\n[reports]\n", 3,
	    "duplicate section [reports] (first at line 1)");
	expect_one("[report]\n", 1,
	    "unknown section [report]: expected [gateway], [channel NAME], "
	    "[reports], [campaign NAME], [event NAME] or [open311]");
	/* [reports] keys are not [gateway] keys and the other way round. */
	expect_one("[reports]\nlisten = 127.0.0.1:1\n", 2,
	    "unknown key 'listen' in [reports]");
	expect_one(
	    "[gateway]\nclosed = x\n", 2, "unknown key 'closed' in [gateway]");
}

/* [gateway] ussd_resume and resume_text (issue 14). */
static void
test_ussd_resume(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = expect_ok("[gateway]\n");
	assert_int_equal(cfg->ussd_resume_ms, 2 * 60 * 1000);
	assert_string_equal(
	    cfg->resume_text, "1. Continue where you left off\n2. Start again");
	config_free(cfg);
	/* 0 turns it off, with or without a unit. */
	cfg = expect_ok("[gateway]\nussd_resume = 0\n");
	assert_int_equal(cfg->ussd_resume_ms, 0);
	config_free(cfg);
	cfg = expect_ok("[gateway]\nussd_resume = 0s\nresume_text = \"1. "
			"Endelea\\n2. Anza upya\\\\\"\n");
	assert_int_equal(cfg->ussd_resume_ms, 0);
	assert_string_equal(cfg->resume_text, "1. Endelea\n2. Anza upya\\");
	config_free(cfg);
	cfg = expect_ok("[gateway]\nussd_resume = 90s\n");
	assert_int_equal(cfg->ussd_resume_ms, 90000);
	config_free(cfg);
	/* A bare number other than 0 still needs its unit. */
	expect_one("[gateway]\nussd_resume = 5\n", 2, "expected a duration");
	expect_one(
	    "[gateway]\nussd_resume = 2h\n", 2, "ussd_resume: must be between");
	expect_one("[gateway]\nresume_text = \"\"\n", 2,
	    "resume_text: must not be empty");
	expect_one("[gateway]\nresume_text = \"a\tb\x01\"\n", 2,
	    "control characters are not allowed");
	/* Other durations keep their unit. */
	expect_one(
	    "[gateway]\nsession_timeout = 0\n", 2, "expected a duration");
}

/* [gateway] stop_timeout: how long a stop may wait. */
static void
test_stop_timeout(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = expect_ok("[gateway]\n");
	assert_int_equal(cfg->stop_timeout_ms, 5000);
	config_free(cfg);
	cfg = expect_ok("[gateway]\nstop_timeout = 30s\n");
	assert_int_equal(cfg->stop_timeout_ms, 30000);
	config_free(cfg);
	expect_one("[gateway]\nstop_timeout = 0\n", 2, "expected a duration");
	expect_one("[gateway]\nstop_timeout = 500ms\n", 2,
	    "stop_timeout: must be between");
	expect_one("[gateway]\nstop_timeout = 1h\n", 2,
	    "stop_timeout: must be between");
}

/* [reports] feedback_text, in languages like the status texts. */
static void
test_feedback_text(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = expect_ok("[gateway]\nlanguages = en sw\n[reports]\n"
			"feedback_text = \"Report {id}: was it fixed? Reply 1 "
			"for yes, 2 for no.\"\n"
			"feedback_text.sw = Je, imerekebishwa? Jibu 1 au 2.\n");
	assert_string_equal(report_src(cfg, CONFIG_FEEDBACK_TEXT, "en"),
	    "Report {id}: was it fixed? Reply 1 for yes, 2 for no.");
	assert_string_equal(report_src(cfg, CONFIG_FEEDBACK_TEXT, "sw"),
	    "Je, imerekebishwa? Jibu 1 au 2.");
	config_free(cfg);
	/* None unless written. */
	cfg = expect_ok("[reports]\nresolved = Done\n");
	assert_null(report_src(cfg, CONFIG_FEEDBACK_TEXT, "en"));
	config_free(cfg);
	expect_one("[reports]\nfeedback_text = a\nfeedback_text.en = b\n", 3,
	    "duplicate key 'feedback_text.en'");
	expect_one("[reports]\nfeedback_text.fr = a\n", 2,
	    "language 'fr' is not in languages");
	expect_one("[reports]\nfeedback_text = Was {phone} fixed?\n", 2,
	    "unknown placeholder '{phone}'");
	expect_one("[reports]\nfeedback = x\n", 2,
	    "expected a status (open, acknowledged, in_progress, resolved or "
	    "closed) or feedback_text");
}

static void
test_example_file(void **state)
{
	const char *srcdir = getenv("srcdir");
	char *path = xasprintf("%s/baraza.conf.example", srcdir ? srcdir : ".");
	struct config *cfg;
	struct config_errors *e;
	char *text, *copy, *p;
	size_t i, len, placeholders = 0;

	(void)state;
	if (access(path, R_OK) != 0) {
		free(path);
		skip();
	}
	/* As shipped, every secret is a placeholder that check refuses. */
	assert_int_not_equal(config_load(path, &cfg, &e), 0);
	assert_true(config_errors_count(e) > 0);
	for (i = 0; i < config_errors_count(e); i++)
		if (strstr(e->v[i].message, "placeholder") != NULL)
			placeholders++;
	assert_int_equal(placeholders, 7);
	/* Only those: a placeholder refused is not also "from anyone". */
	assert_int_equal(config_errors_count(e), 7);
	config_free(cfg);
	config_errors_free(e);
	/* With real values in, it loads without a finding. */
	text = slurp(path, &len);
	while ((p = strstr(text, CONFIG_PLACEHOLDER)) != NULL)
		memcpy(p, "s3cr3t-ok", strlen(CONFIG_PLACEHOLDER));
	copy = xasprintf("%s/example-%d.conf", P_tmpdir, (int)getpid());
	write_file(copy, text, len);
	free(text);
	if (config_load(copy, &cfg, &e) != 0 || config_warnings_count(e) != 0) {
		dump(e);
		fail_msg("%s (placeholders replaced) has findings", path);
	}
	unlink(copy);
	free(copy);
	assert_int_equal(cfg->nchannels, 5);
	assert_string_equal(cfg->default_channel, "at");
	assert_string_equal(config_channel(cfg, "at")->fallback, "modem1");
	assert_int_equal(config_channel(cfg, "modem1")->balance_alert, 50);
	config_free(cfg);
	config_errors_free(e);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_duration),
	    cmocka_unit_test(test_rate),
	    cmocka_unit_test(test_bool),
	    cmocka_unit_test(test_gateway_defaults),
	    cmocka_unit_test(test_channel_defaults),
	    cmocka_unit_test(test_default_channel),
	    cmocka_unit_test(test_gateway_values),
	    cmocka_unit_test(test_bad_values),
	    cmocka_unit_test(test_bad_channel_values),
	    cmocka_unit_test(test_gammu_values),
	    cmocka_unit_test(test_smpp_values),
	    cmocka_unit_test(test_quoting),
	    cmocka_unit_test(test_syntax),
	    cmocka_unit_test(test_odd_white_space),
	    cmocka_unit_test(test_findings),
	    cmocka_unit_test(test_print),
	    cmocka_unit_test(test_many_findings),
	    cmocka_unit_test(test_channel_types),
	    cmocka_unit_test(test_cross_checks),
	    cmocka_unit_test(test_channel_limit),
	    cmocka_unit_test(test_unsigned_channels),
	    cmocka_unit_test(test_admin_token_file),
	    cmocka_unit_test(test_database_postgres),
	    cmocka_unit_test(test_load_paths),
	    cmocka_unit_test(test_oversize),
	    cmocka_unit_test(test_reports_section),
	    cmocka_unit_test(test_reports_findings),
	    cmocka_unit_test(test_ussd_resume),
	    cmocka_unit_test(test_stop_timeout),
	    cmocka_unit_test(test_feedback_text),
	    cmocka_unit_test(test_example_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
