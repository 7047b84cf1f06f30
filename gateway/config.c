/*
 * config.c: reads and checks the INI config file.
 *
 * Loading runs in two passes. The first, lex(), reads the file one physical
 * line at a time and keeps the sections and "key = value" entries, each
 * with its line; every line it cannot read is a finding at that line, and
 * it goes on with the next one, so one run reports every syntax error.
 *
 * Why our own lexer, not inih: inih could not give the findings `baraza
 * check` promises. It reports only the first bad line (its return value,
 * with no reason) and nothing of the others, splits lines longer than its
 * compiled-in buffer into two, reads an indented line as the continuation
 * of the previous value, tells nothing about a section without keys, cuts
 * a quoted value at a " ;" inside the quotes, and its behaviour depends on
 * how the system's library was compiled (line length, comments, the
 * handler's signature with INI_HANDLER_LINENO). The code that used it
 * pre-lexed every line itself and handed inih a rewritten one, so inih did
 * nothing for us but cost a dependency. The lexer below keeps every
 * finding and line number exactly as they were with Debian's inih 55 but
 * one: a line may hold 2,048 characters (CONFIG_MAX_LINE; inih's 200-byte
 * buffer allowed 197, too few for a text of two SMS segments), and, for the
 * odd lines that start with \v, \f or \r, inih's own reading (see
 * key_entry).
 *
 * The second pass walks the entries of each section against the key table
 * (config_keys[] below, the one place where keys are declared), parses and
 * stores typed values, then applies type-specific defaults and the cross
 * checks between keys and channels. The [reports] section has no fixed keys
 * (they are "STATUS" or "STATUS.LL"); apply_reports() checks it after
 * [gateway], whose languages it needs.
 */
#include "gateway/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flows/template.h"
#include "gateway/store.h"
#include "lib/log.h"
#include "lib/util.h"

#define MAX_WORDS 32        /* words in a word list */
#define MAX_WORD 32         /* characters in one word */
#define MAX_STRING 1024     /* characters in a string value */
#define SMPP_PASSWORD_MAX 8 /* an SMPP 3.4 bind's password, in characters */

/* Kinds of section a key can belong to. */
enum section_kind {
	SEC_GATEWAY,
	SEC_CHANNEL,
	SEC_REPORTS,  /* no keys in the table: see apply_reports() */
	SEC_CAMPAIGN, /* [campaign NAME]: see apply_campaigns() */
	SEC_EVENT,    /* [event NAME]: see apply_events() */
	SEC_OPEN311,  /* [open311]: see apply_open311() */
};

/* Value types of the key table. */
enum value_type {
	T_STRING,   /* any text */
	T_SCREEN,   /* text that may hold line breaks (a USSD screen) */
	T_SECRET,   /* text never echoed in messages, not empty */
	T_INT,      /* decimal integer, min..max */
	T_BOOL,     /* see config_parse_bool() */
	T_ENUM,     /* one of names[]; stored as its index */
	T_DURATION, /* see config_parse_duration(); min..max in ms */
	T_RATE,     /* see config_parse_rate(); min..max in events a day */
	T_WORDS,    /* white-space separated words; min..max words */
	T_PATH,     /* file name, relative to the config's folder */
	T_URL,      /* http:// or https:// URL */
	T_ADDR,     /* listen address host:port */
};

/* Channel type masks. */
#define CT(t) (1u << (t))
#define CT_AT CT(CHANNEL_AFRICASTALKING)
#define CT_TW CT(CHANNEL_TWILIO)
#define CT_KN CT(CHANNEL_KANNEL)
#define CT_GM CT(CHANNEL_GAMMU)
#define CT_HT CT(CHANNEL_HTTP)
#define CT_SM CT(CHANNEL_SMPP)
#define CT_IB CT(CHANNEL_INFOBIP)
#define CT_VG CT(CHANNEL_VONAGE)
#define CT_ALL (CT_AT | CT_TW | CT_KN | CT_GM | CT_HT | CT_SM | CT_IB | CT_VG)

struct config_key;

/* An extra check after a value parsed; returns NULL or a message to free. */
typedef char *(*config_check_fn)(const struct config_key *, const void *);

/* One declared key. */
struct config_key {
	enum section_kind kind;   /* [gateway] or [channel NAME] */
	const char *name;         /* as written in the file */
	enum value_type type;     /* how the value is parsed */
	const char *def;          /* default, parsed like a value; NULL: none */
	int64_t min, max;         /* bounds, in the type's unit (see above);
				    for strings, the length */
	unsigned types;           /* channel types that accept it */
	unsigned required;        /* channel types that require it */
	size_t offset;            /* field in struct config/channel_config */
	const char *const *names; /* T_ENUM: the values, NULL-terminated */
	config_check_fn check;    /* optional extra check */
	const char *expect;       /* what a good value looks like */
};

static const char *const channel_type_names[] = {"africastalking", "twilio",
    "kannel", "gammu", "http", "smpp", "infobip", "vonage", NULL};
static const char *const smpp_bind_names[] = {
    "transceiver", "transmitter+receiver", NULL};
static const char *const smpp_long_names[] = {"udh", "sar", "payload", NULL};
static const char *const vonage_sig_names[] = {
    "md5hash", "md5", "sha1", "sha256", "sha512", "auto", NULL};
static const char *const durability_names[] = {"full", "normal", NULL};
/* Indexes match enum log_level. */
static const char *const log_level_names[] = {
    "error", "warn", "info", "debug", NULL};

static char *check_languages(const struct config_key *, const void *);
static char *check_country_code(const struct config_key *, const void *);
static char *check_currency(const struct config_key *, const void *);
static char *check_decimal(const struct config_key *, const void *);
static char *check_pin(const struct config_key *, const void *);
static char *check_ussd_code(const struct config_key *, const void *);
static char *check_table_name(const struct config_key *, const void *);
static char *check_event_names(const struct config_key *, const void *);

#define DAY_MS INT64_C(86400000)
#define SEC INT64_C(1000)
#define MIN INT64_C(60000)
#define HOUR INT64_C(3600000)
/* Rate bounds are in events a day. */
#define PER_SEC 86400
#define PER_MIN 1440
#define PER_HOUR 24

#define GW(n, t, d, lo, hi, f, chk, ex)                       \
	{                                                     \
		SEC_GATEWAY, n, t, d, lo, hi, 0, 0,           \
		    offsetof(struct config, f), NULL, chk, ex \
	}
#define GWE(n, d, f, nm)                                       \
	{                                                      \
		SEC_GATEWAY, n, T_ENUM, d, 0, 0, 0, 0,         \
		    offsetof(struct config, f), nm, NULL, NULL \
	}
#define CP(n, lo, hi, f, chk)                                            \
	{                                                                \
		SEC_CAMPAIGN, n, T_STRING, NULL, lo, hi, 0, 0,           \
		    offsetof(struct config_campaign, f), NULL, chk, NULL \
	}
#define EV(n, t, d, lo, hi, f, chk, ex)                             \
	{                                                           \
		SEC_EVENT, n, t, d, lo, hi, 0, 0,                   \
		    offsetof(struct config_event, f), NULL, chk, ex \
	}
#define OP(n, t, d, lo, hi, f)                                   \
	{                                                        \
		SEC_OPEN311, n, t, d, lo, hi, 0, 0,              \
		    offsetof(struct config, f), NULL, NULL, NULL \
	}
#define CH(n, t, d, lo, hi, ty, rq, f)                                   \
	{                                                                \
		SEC_CHANNEL, n, t, d, lo, hi, ty, rq,                    \
		    offsetof(struct channel_config, f), NULL, NULL, NULL \
	}

/*
 * Every key, once. Defaults that depend on the channel type (api_url, rate)
 * are applied by channel_type_defaults(); the table holds the common one.
 */
static const struct config_key config_keys[] = {
    GW("listen", T_ADDR, "127.0.0.1:8080", 0, 0, listen, NULL, NULL),
    GW("database", T_PATH, "baraza.db", 1, MAX_STRING, database, NULL, NULL),
    GW("database_password_file", T_PATH, NULL, 1, MAX_STRING,
	database_password_file, NULL, NULL),
    GW("flows", T_PATH, "flows", 1, MAX_STRING, flows, NULL, NULL),
    GW("console_dir", T_PATH, NULL, 1, MAX_STRING, console_dir, NULL, NULL),
    GW("languages", T_WORDS, "en", 1, 16, languages, check_languages,
	"ISO 639-1 codes such as en sw"),
    GW("session_timeout", T_DURATION, "15m", 30 * SEC, 7 * DAY_MS,
	session_timeout_ms, NULL, NULL),
    GW("console_session", T_DURATION, "12h", 5 * MIN, 30 * DAY_MS,
	console_session_ms, NULL, NULL),
    GW("admin_token", T_SECRET, NULL, 1, MAX_STRING, admin_token, NULL, NULL),
    GW("admin_token_file", T_PATH, NULL, 1, MAX_STRING, admin_token_file, NULL,
	NULL),
    GW("stop_words", T_WORDS, "STOP UNSUBSCRIBE STOPALL QUIT", 0, MAX_WORDS,
	stop_words, NULL, NULL),
    GW("start_words", T_WORDS, "START UNSTOP", 0, MAX_WORDS, start_words, NULL,
	NULL),
    GW("restart_words", T_WORDS, "MENU", 0, MAX_WORDS, restart_words, NULL,
	NULL),
    GW("stop_text", T_STRING,
	"You will get no more alerts. Text START to rejoin.", 1, MAX_STRING,
	stop_text, NULL, NULL),
    GW("start_text", T_STRING, "Welcome back. You will get alerts again.", 1,
	MAX_STRING, start_text, NULL, NULL),
    GW("error_text", T_STRING,
	"Sorry, something went wrong. Please try again later.", 1, MAX_STRING,
	error_text, NULL, NULL),
    GW("invalid_choice_text", T_STRING,
	"Please reply with one of the numbers shown.", 1, MAX_STRING,
	invalid_choice_text, NULL, NULL),
    GW("default_channel", T_STRING, NULL, 1, CONFIG_MAX_NAME, default_channel,
	NULL, NULL),
    GW("country_code", T_STRING, "", 0, 3, country_code, check_country_code,
	NULL),
    GWE("durability", "full", durability, durability_names),
    GW("sender_limit", T_RATE, "20/min", 1, 1000 * PER_SEC, sender_limit, NULL,
	NULL),
    GW("retention_days", T_INT, "365", 0, 36500, retention_days, NULL, NULL),
    GWE("log_level", "info", log_level, log_level_names),
    GW("public_url", T_URL, NULL, 1, MAX_STRING, public_url, NULL, NULL),
    GW("node", T_STRING, NULL, 1, CONFIG_MAX_NAME, node, NULL, NULL),
    GW("currency", T_STRING, NULL, 1, 8, currency, check_currency,
	"an ISO 4217 code such as KES"),
    GW("channel_log_days", T_INT, "7", 0, 365, channel_log_days, NULL, NULL),
    GW("stop_timeout", T_DURATION, "5s", SEC, 10 * MIN, stop_timeout_ms, NULL,
	NULL),
    GW("ussd_resume", T_DURATION, "2m", 0, HOUR, ussd_resume_ms, NULL, NULL),
    GW("resume_text", T_SCREEN,
	"1. Continue where you left off\n2. Start again", 1, 182, resume_text,
	NULL, NULL),

    {SEC_CHANNEL, "type", T_ENUM, NULL, 0, 0, CT_ALL, CT_ALL,
	offsetof(struct channel_config, type), channel_type_names, NULL, NULL},
    CH("sender", T_STRING, NULL, 1, 64, CT_ALL, CT_VG, sender),
    CH("api_url", T_URL, NULL, 1, MAX_STRING, CT_ALL, CT_HT | CT_IB, api_url),
    CH("webhook_secret", T_SECRET, NULL, 1, MAX_STRING, CT_ALL, 0,
	webhook_secret),
    CH("webhook_secret_previous", T_SECRET, NULL, 1, MAX_STRING, CT_ALL, 0,
	webhook_secret_previous),
    CH("allow_unsigned", T_BOOL, "no", 0, 0,
	CT_AT | CT_TW | CT_KN | CT_HT | CT_IB | CT_VG, 0, allow_unsigned),
    CH("rate", T_RATE, "20/s", 1, (int64_t)100000 * PER_SEC, CT_ALL, 0, rate),
    CH("max_age", T_DURATION, "24h", MIN, 30 * DAY_MS, CT_ALL, 0, max_age_ms),
    CH("fallback", T_STRING, NULL, 1, CONFIG_MAX_NAME, CT_ALL, 0, fallback),
    CH("fallback_after", T_DURATION, "30s", SEC, DAY_MS, CT_ALL, 0,
	fallback_after_ms),
    CH("ussd_max", T_INT, "182", 20, 182, CT_ALL, 0, ussd_max),
    {SEC_CHANNEL, "cost_per_segment", T_STRING, NULL, 1, 32, CT_ALL, 0,
	offsetof(struct channel_config, cost_per_segment), NULL, check_decimal,
	"a decimal number such as 0.80"},
    {SEC_CHANNEL, "daily_budget", T_STRING, NULL, 1, 32, CT_ALL, 0,
	offsetof(struct channel_config, daily_budget), NULL, check_decimal,
	"a decimal number such as 5000"},
    CH("username", T_STRING, NULL, 1, MAX_STRING, CT_AT | CT_KN, CT_AT | CT_KN,
	username),
    CH("api_key", T_SECRET, NULL, 1, MAX_STRING, CT_AT | CT_IB | CT_VG,
	CT_AT | CT_IB | CT_VG, api_key),
    CH("password", T_SECRET, NULL, 1, MAX_STRING, CT_KN | CT_SM, CT_KN | CT_SM,
	password),
    CH("api_secret", T_SECRET, NULL, 1, MAX_STRING, CT_VG, CT_VG, api_secret),
    CH("signature_secret", T_SECRET, NULL, 1, MAX_STRING, CT_VG, 0,
	signature_secret),
    {SEC_CHANNEL, "signature_method", T_ENUM, "auto", 0, 0, CT_VG, 0,
	offsetof(struct channel_config, signature_method), vonage_sig_names,
	NULL, NULL},
    CH("account_sid", T_STRING, NULL, 1, MAX_STRING, CT_TW, CT_TW, account_sid),
    CH("auth_token", T_SECRET, NULL, 1, MAX_STRING, CT_TW, CT_TW, auth_token),
    CH("public_url", T_URL, NULL, 1, MAX_STRING, CT_ALL, 0, public_url),
    CH("signing_key", T_SECRET, NULL, 1, MAX_STRING, CT_HT, 0, signing_key),
    CH("signing_key_previous", T_SECRET, NULL, 1, MAX_STRING, CT_HT, 0,
	signing_key_previous),
    CH("device", T_PATH, NULL, 1, MAX_STRING, CT_GM, CT_GM, device),
    CH("node", T_STRING, NULL, 1, CONFIG_MAX_NAME, CT_GM, 0, node),
    CH("connection", T_STRING, "at", 1, 64, CT_GM, 0, connection),
    CH("model", T_STRING, "", 0, 64, CT_GM, 0, model),
    {SEC_CHANNEL, "pin", T_SECRET, NULL, 1, 16, CT_GM, 0,
	offsetof(struct channel_config, pin), NULL, check_pin,
	"the SIM's PIN, 4 to 8 digits"},
    CH("poll_interval", T_DURATION, "5s", SEC, HOUR, CT_GM, 0,
	poll_interval_ms),
    CH("multipart_timeout", T_DURATION, "10m", 10 * SEC, DAY_MS, CT_GM | CT_VG,
	0, multipart_timeout_ms),
    {SEC_CHANNEL, "balance_ussd", T_STRING, NULL, 1, 64, CT_GM, 0,
	offsetof(struct channel_config, balance_ussd), NULL, check_ussd_code,
	"a USSD code such as *144#"},
    CH("balance_interval", T_DURATION, "6h", MIN, 30 * DAY_MS, CT_GM, 0,
	balance_interval_ms),
    CH("balance_alert", T_INT, "0", 0, INT_MAX, CT_GM, 0, balance_alert),
    CH("delivery_reports", T_BOOL, "yes", 0, 0, CT_GM, 0, delivery_reports),
    CH("host", T_STRING, NULL, 1, 253, CT_SM, CT_SM, host),
    CH("port", T_INT, "2775", 1, 65535, CT_SM, 0, port),
    CH("system_id", T_STRING, NULL, 1, 15, CT_SM, CT_SM, system_id),
    CH("system_type", T_STRING, "", 0, 12, CT_SM, 0, system_type),
    {SEC_CHANNEL, "bind", T_ENUM, "transceiver", 0, 0, CT_SM, 0,
	offsetof(struct channel_config, bind), smpp_bind_names, NULL, NULL},
    CH("source_addr", T_STRING, NULL, 1, 20, CT_SM, 0, source_addr),
    CH("source_ton", T_INT, "0", 0, 6, CT_SM, 0, source_ton),
    CH("source_npi", T_INT, "0", 0, 18, CT_SM, 0, source_npi),
    CH("dest_ton", T_INT, "1", 0, 6, CT_SM, 0, dest_ton),
    CH("dest_npi", T_INT, "1", 0, 18, CT_SM, 0, dest_npi),
    CH("window", T_INT, "10", 1, 1000, CT_SM, 0, window),
    CH("enquire_link", T_DURATION, "30s", SEC, HOUR, CT_SM, 0, enquire_link_ms),
    {SEC_CHANNEL, "long", T_ENUM, "udh", 0, 0, CT_SM, 0,
	offsetof(struct channel_config, long_mode), smpp_long_names, NULL,
	NULL},

    /* [campaign NAME]: send and text are parsed by apply_campaign(). */
    CP("table", 1, 64, table, check_table_name),
    CP("phone", 1, 64, phone, NULL),
    CP("date", 1, 64, date, NULL),
    CP("send", 1, MAX_STRING, send, NULL),
    CP("text", 1, MAX_STRING, text, NULL),
    CP("channel", 1, CONFIG_MAX_NAME, channel, NULL),

    /* [event NAME]: url, signing_key and events are required. */
    EV("url", T_URL, NULL, 1, MAX_STRING, url, NULL, NULL),
    EV("signing_key", T_SECRET, NULL, 1, MAX_STRING, signing_key, NULL, NULL),
    EV("events", T_WORDS, NULL, 1, CONFIG_EVENT_NKINDS, names,
	check_event_names,
	"report.created, report.updated, message.in or message.failed"),
    EV("with_phone", T_BOOL, "no", 0, 0, with_phone, NULL, NULL),
    EV("max_age", T_DURATION, "24h", MIN, 30 * DAY_MS, max_age_ms, NULL, NULL),

    /* [open311]: api_keys is split by apply_open311(). */
    OP("api_keys", T_SECRET, NULL, 1, MAX_STRING, open311_api_keys),
    OP("rate", T_RATE, "30/min", 1, 1000 * PER_MIN, open311_rate),
};

#define NKEYS nitems(config_keys)

/* T_ENUM and T_INT fields are stored through an int lvalue. */
_Static_assert(sizeof(enum channel_type) == sizeof(int), "enum size");
_Static_assert(sizeof(enum config_durability) == sizeof(int), "enum size");

/* ISO 639-1 language codes. */
static const char iso639_1[] =
    "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca "
    "ce ch co cr cs cu cv cy da de dv dz ee el en eo es et eu fa ff fi fj "
    "fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii "
    "ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la "
    "lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng "
    "nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa "
    "sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk "
    "tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu";

/* A section header the first pass kept. */
struct section {
	enum section_kind kind;
	char *name;      /* channel name; NULL for [gateway] */
	int line;        /* line of the header */
	size_t first;    /* index of its first entry */
	size_t nentries; /* its entries are first..first+nentries-1 */
};

/* A "key = value" line of a kept section. */
struct entry {
	char *key;
	char *value; /* decoded; NULL when the line was already reported */
	int line;
	int tr; /* 1: a translation line `LL "text"` (key is LL) */
};

/* State of one load. */
struct parser {
	const char *file; /* name for findings */
	const char *dir;  /* folder for relative paths */
	struct config_errors *errs;

	/* Input, consumed by lex(). */
	const char *data;
	size_t len, pos;
	int line;          /* the line being read */
	char last_key[50]; /* the key written last, for key_entry */
	int syntax_line;   /* first line key_entry found bad, or 0 */

	/* Sections and entries. */
	struct section *sections;
	size_t nsections;
	long cur;       /* index of the current section, or CUR_* */
	int ngateway;   /* [gateway] sections seen */
	int nreports;   /* [reports] sections seen */
	size_t nchans;  /* [channel] sections kept */
	size_t ncamps;  /* [campaign] sections kept */
	size_t nevents; /* [event] sections kept */
	struct entry *entries;
	size_t nentries, entcap;
};

#define CUR_NONE (-1)    /* before the first section */
#define CUR_IGNORED (-2) /* in a section already reported */

/*
 * Findings.
 */

static void finding(struct parser *, int, const char *, ...) PRINTFLIKE(3, 4);
static void warning(struct parser *, int, const char *, ...) PRINTFLIKE(3, 4);

/*
 * Adds a finding at line (0: the whole file); past the limit, counts an
 * error and forgets a warning.
 */
static void
vfinding(struct parser *p, int line, int warn, const char *fmt, va_list ap)
{
	struct config_errors *e = p->errs;
	struct config_error *ce;

	if (e->n >= CONFIG_MAX_ERRORS) {
		if (!warn)
			e->dropped++;
		return;
	}
	if (e->n == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 16;
		e->v = xrealloc(e->v, e->cap * sizeof(*e->v));
	}
	ce = &e->v[e->n++];
	ce->file = xstrdup(p->file);
	ce->line = line;
	ce->warning = warn;
	ce->message = xvasprintf(fmt, ap);
	if (warn)
		e->nwarnings++;
}

/* Adds an error at line (0: the whole file). */
static void
finding(struct parser *p, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfinding(p, line, 0, fmt, ap);
	va_end(ap);
}

/* Adds a warning at line. */
static void
warning(struct parser *p, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfinding(p, line, 1, fmt, ap);
	va_end(ap);
}

static int
error_cmp(const void *a, const void *b)
{
	const struct config_error *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	/* Same line: keep the order found (messages were added in order). */
	return x < y ? -1 : (x > y);
}

void
config_errors_print(const struct config_errors *e, FILE *fp)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->n; i++) {
		const char *sev = e->v[i].warning ? "warning" : "error";

		if (e->v[i].line > 0)
			fprintf(fp, "%s:%d: %s: %s\n", e->v[i].file,
			    e->v[i].line, sev, e->v[i].message);
		else
			fprintf(fp, "%s: %s: %s\n", e->v[i].file, sev,
			    e->v[i].message);
	}
	if (e->dropped > 0 && e->n > 0)
		fprintf(fp, "%s: error: %zu more errors not shown\n",
		    e->v[0].file, e->dropped);
}

size_t
config_errors_count(const struct config_errors *e)
{
	return e == NULL ? 0 : e->n - e->nwarnings + e->dropped;
}

size_t
config_warnings_count(const struct config_errors *e)
{
	return e == NULL ? 0 : e->nwarnings;
}

void
config_errors_free(struct config_errors *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->n; i++) {
		free(e->v[i].file);
		free(e->v[i].message);
	}
	free(e->v);
	free(e);
}

/*
 * Value parsers shared with other modules.
 */

/* Reads decimal digits at *sp into *v; returns -1 on none or overflow. */
static int
parse_digits(const char **sp, int64_t *v)
{
	const char *s = *sp;
	int64_t n = 0;

	if (*s < '0' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9') {
		int d = *s - '0';

		if (n > (INT64_MAX - d) / 10)
			return -1;
		n = n * 10 + d;
		s++;
	}
	*sp = s;
	*v = n;
	return 0;
}

int
config_parse_duration(const char *s, int64_t *ms)
{
	static const struct {
		const char *unit;
		int64_t ms;
	} units[] = {
	    {"ms", 1},
	    {"s", SEC},
	    {"m", MIN},
	    {"min", MIN},
	    {"h", HOUR},
	    {"d", DAY_MS},
	};
	int64_t n;
	size_t i;

	if (s == NULL || parse_digits(&s, &n) < 0)
		return -1;
	for (i = 0; i < nitems(units); i++) {
		if (strcmp(s, units[i].unit) != 0)
			continue;
		if (n > INT64_MAX / units[i].ms)
			return -1;
		*ms = n * units[i].ms;
		return 0;
	}
	return -1;
}

int
config_parse_rate(const char *s, struct rate *r)
{
	static const struct {
		const char *unit;
		int64_t ms;
	} units[] = {
	    {"s", SEC},
	    {"sec", SEC},
	    {"second", SEC},
	    {"m", MIN},
	    {"min", MIN},
	    {"minute", MIN},
	    {"h", HOUR},
	    {"hour", HOUR},
	    {"d", DAY_MS},
	    {"day", DAY_MS},
	};
	int64_t n;
	size_t i;

	if (s == NULL || parse_digits(&s, &n) < 0)
		return -1;
	if (n < 1 || n > CONFIG_MAX_RATE_COUNT || *s++ != '/')
		return -1;
	for (i = 0; i < nitems(units); i++) {
		if (strcmp(s, units[i].unit) == 0) {
			r->count = n;
			r->period_ms = units[i].ms;
			return 0;
		}
	}
	return -1;
}

int
config_parse_bool(const char *s, int *b)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};
	size_t i;

	if (s == NULL)
		return -1;
	for (i = 0; i < nitems(yes); i++) {
		if (str_ieq(s, yes[i])) {
			*b = 1;
			return 0;
		}
		if (str_ieq(s, no[i])) {
			*b = 0;
			return 0;
		}
	}
	return -1;
}

int
config_parse_decimal(const char *s, int64_t *micro)
{
	int64_t whole = 0, frac = 0, scale = 1000000;
	size_t i = 0, digits = 0;

	if (s == NULL)
		return -1;
	for (; s[i] >= '0' && s[i] <= '9'; i++, digits++) {
		whole = whole * 10 + (s[i] - '0');
		if (whole > CONFIG_MAX_DECIMAL)
			return -1;
	}
	if (s[i] == '.') {
		for (i++; s[i] >= '0' && s[i] <= '9'; i++, digits++) {
			if (scale == 1)
				return -1; /* more than 6 decimals */
			scale /= 10;
			frac += (s[i] - '0') * scale;
		}
	}
	if (digits == 0 || s[i] != '\0')
		return -1;
	*micro = whole * 1000000 + frac;
	return 0;
}

int
config_channel_cost(const struct channel_config *ch, int64_t *micro)
{
	if (ch == NULL || ch->cost_per_segment == NULL)
		return -1;
	return config_parse_decimal(ch->cost_per_segment, micro);
}

int
config_channel_budget(const struct channel_config *ch, int64_t *micro)
{
	if (ch == NULL || ch->daily_budget == NULL)
		return -1;
	return config_parse_decimal(ch->daily_budget, micro);
}

/*
 * Formatting bounds for messages.
 */

/* Formats ms with the largest unit that divides it. */
static void
fmt_duration(int64_t ms, char *out, size_t len)
{
	if (ms != 0 && ms % DAY_MS == 0)
		snprintf(out, len, "%" PRId64 "d", ms / DAY_MS);
	else if (ms != 0 && ms % HOUR == 0)
		snprintf(out, len, "%" PRId64 "h", ms / HOUR);
	else if (ms != 0 && ms % MIN == 0)
		snprintf(out, len, "%" PRId64 "m", ms / MIN);
	else if (ms != 0 && ms % SEC == 0)
		snprintf(out, len, "%" PRId64 "s", ms / SEC);
	else
		snprintf(out, len, "%" PRId64 "ms", ms);
}

/* Formats a rate bound in events a day with the shortest period. */
static void
fmt_rate(int64_t per_day, char *out, size_t len)
{
	if (per_day % PER_SEC == 0)
		snprintf(out, len, "%" PRId64 "/s", per_day / PER_SEC);
	else if (per_day % PER_MIN == 0)
		snprintf(out, len, "%" PRId64 "/min", per_day / PER_MIN);
	else if (per_day % PER_HOUR == 0)
		snprintf(out, len, "%" PRId64 "/h", per_day / PER_HOUR);
	else
		snprintf(out, len, "%" PRId64 "/day", per_day);
}

/*
 * Typed values. parse_value() parses text for key k into a temporary and,
 * on success, replaces the field (freeing what it held). It returns NULL,
 * or a message without the key name for the caller to prefix and free.
 */

static void
words_free(struct config_words *w)
{
	size_t i;

	if (w->v != NULL)
		for (i = 0; i < w->n; i++)
			free(w->v[i]);
	free(w->v);
	w->v = NULL;
	w->n = 0;
}

static char *
parse_words(const struct config_key *k, const char *s, struct config_words *w)
{
	const char *p = s, *start;
	size_t n;

	w->v = xcalloc(MAX_WORDS + 1, sizeof(char *));
	w->n = 0;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		n = (size_t)(p - start);
		if (n > MAX_WORD)
			return xasprintf(
			    "words must be at most %d characters", MAX_WORD);
		if (w->n >= (size_t)k->max)
			return xasprintf("at most %" PRId64 " words", k->max);
		w->v[w->n++] = xstrndup(start, n);
	}
	if (w->n < (size_t)k->min)
		return xasprintf(
		    "expected %s", k->expect ? k->expect : "at least one word");
	return NULL;
}

/* Host names: letters, digits, '-' and '.', at most 253 characters. */
static int
valid_hostname(const char *h, size_t n)
{
	size_t i;

	if (n == 0 || n > 253 || h[0] == '-' || h[0] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		char c = h[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '-' || c == '.'))
			return 0;
	}
	return 1;
}

static char *
parse_addr(const char *s, struct config_addr *a)
{
	const char *colon = strrchr(s, ':'), *ps;
	char host[256];
	unsigned char bin[16];
	size_t hlen;
	int64_t port;

	if (colon == NULL)
		goto bad;
	hlen = (size_t)(colon - s);
	if (hlen == 0 || hlen >= sizeof(host))
		goto bad;
	ps = colon + 1;
	if (parse_digits(&ps, &port) < 0 || *ps != '\0' || port < 0)
		goto bad;
	if (port > 65535)
		return xasprintf("port %lld is out of range: 0 to 65535 (0: "
				 "any free port)",
		    (long long)port);
	if (s[0] == '[') {
		if (hlen < 3 || s[hlen - 1] != ']')
			goto bad;
		memcpy(host, s + 1, hlen - 2);
		host[hlen - 2] = '\0';
		if (inet_pton(AF_INET6, host, bin) != 1)
			goto bad;
	} else {
		memcpy(host, s, hlen);
		host[hlen] = '\0';
		if (inet_pton(AF_INET, host, bin) != 1 &&
		    !valid_hostname(host, hlen))
			goto bad;
		/* Dotted digits that are not an IPv4 address are not names. */
		if (inet_pton(AF_INET, host, bin) != 1 &&
		    strspn(host, "0123456789.") == hlen)
			goto bad;
	}
	a->host = xstrdup(host);
	a->port = (int)port;
	return NULL;
bad:
	return xstrdup("expected host:port such as 127.0.0.1:8080 or "
		       "[::1]:8080");
}

/* Accepts http:// and https:// URLs with a host; drops trailing '/'. */
static char *
parse_url(const char *s, char **out)
{
	const char *host;
	size_t n, i;

	if (strncmp(s, "http://", 7) == 0)
		host = s + 7;
	else if (strncmp(s, "https://", 8) == 0)
		host = s + 8;
	else
		goto bad;
	if (*host == '\0' || *host == '/')
		goto bad;
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			goto bad;
	n = strlen(s);
	while (n > (size_t)(host - s) && s[n - 1] == '/')
		n--;
	*out = xstrndup(s, n);
	return NULL;
bad:
	return xstrdup("expected a URL such as https://example.org");
}

/* Joins dir and s unless s is absolute (or a PostgreSQL URI). */
static char *
resolve_path(const char *dir, const char *s)
{
	size_t n = strlen(dir);

	if (s[0] == '/' || n == 0 || store_is_postgres(s))
		return xstrdup(s);
	return xasprintf("%s%s%s", dir, dir[n - 1] == '/' ? "" : "/", s);
}

/* Frees whatever the field of key k in base holds and clears it. */
static void
field_free(const struct config_key *k, void *base)
{
	void *f = (char *)base + k->offset;

	switch (k->type) {
	case T_STRING:
	case T_SCREEN:
	case T_SECRET:
	case T_PATH:
	case T_URL:
		free(*(char **)f);
		*(char **)f = NULL;
		break;
	case T_WORDS:
		words_free(f);
		break;
	case T_ADDR:
		free(((struct config_addr *)f)->host);
		((struct config_addr *)f)->host = NULL;
		break;
	default:
		break;
	}
}

/*
 * T_STRING, T_SECRET, T_PATH: text without control characters; T_SCREEN
 * may also hold line breaks.
 */
static char *
parse_text_value(
    struct parser *p, const struct config_key *k, const char *s, void *base)
{
	char *msg, *str;
	size_t i, n = strlen(s);

	if (n < (size_t)k->min)
		return xstrdup("must not be empty");
	if (n > (size_t)k->max)
		return xasprintf("at most %" PRId64 " characters", k->max);
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < ' ' && s[i] != '\t' &&
		    !(s[i] == '\n' && k->type == T_SCREEN))
			return xstrdup(s[i] == '\n'
					   ? "line breaks are not allowed here"
					   : "control characters are not "
					     "allowed");
	str = k->type == T_PATH ? resolve_path(p->dir, s) : xstrdup(s);
	if (k->check != NULL && (msg = k->check(k, &str)) != NULL) {
		free(str);
		return msg;
	}
	field_free(k, base);
	*(char **)((char *)base + k->offset) = str;
	return NULL;
}

/* T_URL */
static char *
parse_url_value(const struct config_key *k, const char *s, void *base)
{
	char *msg, *str = NULL;

	if ((msg = parse_url(s, &str)) != NULL)
		return msg;
	if (strlen(str) > (size_t)k->max) {
		free(str);
		return xasprintf("at most %" PRId64 " characters", k->max);
	}
	field_free(k, base);
	*(char **)((char *)base + k->offset) = str;
	return NULL;
}

/* T_ENUM: one of k->names, stored as its index. */
static char *
parse_enum_value(const struct config_key *k, const char *s, int *f)
{
	struct buf b;
	size_t i;

	for (i = 0; k->names[i] != NULL; i++) {
		if (strcmp(s, k->names[i]) == 0) {
			*f = (int)i;
			return NULL;
		}
	}
	buf_init(&b, 1024);
	buf_puts(&b, "expected one of");
	for (i = 0; k->names[i] != NULL; i++)
		buf_printf(&b, "%s %s", i ? "," : "", k->names[i]);
	return buf_steal(&b);
}

/* T_DURATION, within k->min..k->max milliseconds. */
static char *
parse_duration_value(const struct config_key *k, const char *s, int64_t *f)
{
	char b1[32], b2[32];
	int64_t v;

	/* A duration that may be 0 may say so without a unit. */
	if (k->min == 0 && strcmp(s, "0") == 0)
		v = 0;
	else if (config_parse_duration(s, &v) < 0)
		return xstrdup("expected a duration such as 30s, 15m, "
			       "6h");
	if (v < k->min || v > k->max) {
		fmt_duration(k->min, b1, sizeof(b1));
		fmt_duration(k->max, b2, sizeof(b2));
		return xasprintf("must be between %s and %s", b1, b2);
	}
	*f = v;
	return NULL;
}

/* T_RATE, within k->min..k->max events a day. */
static char *
parse_rate_value(const struct config_key *k, const char *s, struct rate *f)
{
	char b1[32], b2[32];
	struct rate r;

	if (config_parse_rate(s, &r) < 0)
		return xstrdup("expected a rate such as 20/s, 6/min, "
			       "100/h");
	if (r.count * DAY_MS < k->min * r.period_ms ||
	    r.count * DAY_MS > k->max * r.period_ms) {
		fmt_rate(k->min, b1, sizeof(b1));
		fmt_rate(k->max, b2, sizeof(b2));
		return xasprintf("must be between %s and %s", b1, b2);
	}
	*f = r;
	return NULL;
}

/* T_WORDS, then the key's own check. */
static char *
parse_words_value(const struct config_key *k, const char *s, void *base)
{
	struct config_words w = {NULL, 0};
	char *msg;

	if ((msg = parse_words(k, s, &w)) != NULL ||
	    (k->check != NULL && (msg = k->check(k, &w)) != NULL)) {
		words_free(&w);
		return msg;
	}
	field_free(k, base);
	*(struct config_words *)((char *)base + k->offset) = w;
	return NULL;
}

/* T_ADDR */
static char *
parse_addr_value(const struct config_key *k, const char *s, void *base)
{
	struct config_addr a = {NULL, 0};
	char *msg;

	if ((msg = parse_addr(s, &a)) != NULL)
		return msg;
	field_free(k, base);
	*(struct config_addr *)((char *)base + k->offset) = a;
	return NULL;
}

static char *
parse_value(
    struct parser *p, const struct config_key *k, const char *s, void *base)
{
	void *f = (char *)base + k->offset;
	const char *q = s;
	int64_t v;
	int bv;

	switch (k->type) {
	case T_SECRET:
		/*
		 * baraza.conf.example's secrets are published: a copy that
		 * keeps one would open the gateway to anyone who read it.
		 */
		if (strstr(s, CONFIG_PLACEHOLDER) != NULL)
			return xstrdup("still the example's placeholder: put "
				       "in the real value (for a secret of "
				       "your own, openssl rand -hex 32 prints "
				       "one)");
		/* Blank is no secret: anyone could guess it. */
		if (*s != '\0' && strspn(s, " \t") == strlen(s))
			return xstrdup("white space only: a secret is a "
				       "string no one can guess (openssl "
				       "rand -hex 32 prints one)");
		return parse_text_value(p, k, s, base);
	case T_STRING:
	case T_SCREEN:
	case T_PATH:
		return parse_text_value(p, k, s, base);
	case T_URL:
		return parse_url_value(k, s, base);
	case T_INT:
		if (parse_digits(&q, &v) < 0 || *q != '\0')
			return xstrdup("expected a whole number");
		if (v < k->min || v > k->max)
			return xasprintf("must be between %" PRId64
					 " and %" PRId64,
			    k->min, k->max);
		*(int *)f = (int)v;
		return NULL;
	case T_BOOL:
		if (config_parse_bool(s, &bv) < 0)
			return xstrdup("expected yes or no");
		*(int *)f = bv;
		return NULL;
	case T_ENUM:
		return parse_enum_value(k, s, f);
	case T_DURATION:
		return parse_duration_value(k, s, f);
	case T_RATE:
		return parse_rate_value(k, s, f);
	case T_WORDS:
		return parse_words_value(k, s, base);
	case T_ADDR:
		return parse_addr_value(k, s, base);
	}
	return NULL;
}

static char *
check_languages(const struct config_key *k, const void *f)
{
	const struct config_words *w = f;
	size_t i, j;
	const char *c;

	(void)k;
	for (i = 0; i < w->n; i++) {
		const char *l = w->v[i];

		if (strlen(l) != 2 || l[0] < 'a' || l[0] > 'z' || l[1] < 'a' ||
		    l[1] > 'z')
			return xasprintf("'%s' is not a two-letter lower-case "
					 "ISO 639-1 code",
			    l);
		/* The list is codes of two letters, each but the last
		 * followed by one space. */
		for (c = iso639_1; c != NULL; c = c[2] ? c + 3 : NULL)
			if (c[0] == l[0] && c[1] == l[1])
				break;
		if (c == NULL)
			return xasprintf("'%s' is not an ISO 639-1 code", l);
		for (j = 0; j < i; j++)
			if (strcmp(w->v[j], l) == 0)
				return xasprintf("'%s' is listed twice", l);
	}
	return NULL;
}

static char *
check_country_code(const struct config_key *k, const void *f)
{
	const char *s = *(char *const *)f;
	size_t n = strlen(s);

	(void)k;
	if (n == 0)
		return NULL;
	if (n > 3 || strspn(s, "0123456789") != n || s[0] == '0')
		return xstrdup("expected 1 to 3 digits such as 254, without "
			       "'+'");
	return NULL;
}

/* currency: an ISO 4217 code, three capital letters. */
static char *
check_currency(const struct config_key *k, const void *f)
{
	const char *s = *(char *const *)f;

	(void)k;
	if (strlen(s) != 3 || strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3)
		return xstrdup("expected an ISO 4217 code such as KES");
	return NULL;
}

/* cost_per_segment, daily_budget: a decimal number of at least 0. */
static char *
check_decimal(const struct config_key *k, const void *f)
{
	int64_t micro;

	(void)k;
	if (config_parse_decimal(*(char *const *)f, &micro) != 0)
		return xstrdup("expected a decimal number of at least 0 with "
			       "at most 6 decimals, such as 0.80");
	return NULL;
}

/* 1 when a and b are both NULL or equal strings. */
static int
str_eq_null(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/* pin: what a SIM takes, 4 to 8 digits (Gammu would send anything). */
static char *
check_pin(const struct config_key *k, const void *f)
{
	const char *s = *(char *const *)f;
	size_t n = strspn(s, "0123456789");

	(void)k;
	if (s[n] != '\0' || n < 4 || n > 8)
		return xstrdup("expected the SIM's PIN, 4 to 8 digits");
	return NULL;
}

/* balance_ussd: a code the network takes, "*144#", "*100*1#", "#123#". */
static char *
check_ussd_code(const struct config_key *k, const void *f)
{
	const char *s = *(char *const *)f;
	size_t n = strlen(s);

	(void)k;
	if (n < 3 || (s[0] != '*' && s[0] != '#') || s[n - 1] != '#' ||
	    strspn(s, "0123456789*#") != n)
		return xstrdup("expected a USSD code of digits, '*' and '#', "
			       "such as *144#");
	return NULL;
}

/* table: a data table's name, as `baraza import` takes it. */
static char *
check_table_name(const struct config_key *k, const void *f)
{
	const char *s = *(char *const *)f;
	size_t n = strlen(s);

	(void)k;
	if (n == 0 || n > 64 ||
	    !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_') ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") != n)
		return xstrdup("expected a table name: a-z, 0-9 and _, not "
			       "starting with a digit, at most 64 characters");
	return NULL;
}

/* Applies the table defaults of kind (and, for channels, of type). */
static void
apply_defaults(
    struct parser *p, enum section_kind kind, unsigned type_mask, void *base)
{
	size_t i;
	char *msg;

	for (i = 0; i < NKEYS; i++) {
		const struct config_key *k = &config_keys[i];

		if (k->kind != kind || k->def == NULL)
			continue;
		if (kind == SEC_CHANNEL && (k->types & type_mask) == 0)
			continue;
		if ((msg = parse_value(p, k, k->def, base)) != NULL)
			fatalx("config: bad default for %s: %s", k->name, msg);
	}
}

/*
 * First pass: the lexer. Each physical line is blank, a comment, a section
 * header or a "key = value" entry; sections and entries are kept for the
 * second pass, every other line is an error at its line.
 */

#define BOM "\xEF\xBB\xBF"

/* A blank: what may stand around keys, values and section names. */
static int
is_blank(int c)
{
	return c == ' ' || c == '\t';
}

/* Any white space, as isspace() in the C locale (see key_entry). */
static int
is_space(int c)
{
	return is_blank(c) || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/*
 * Where the text of s..e ends: at its first inline comment, a ';' right
 * after a character for which space() is true (never the first character),
 * or at e.
 */
static const char *
comment_start(const char *s, const char *e, int (*space)(int))
{
	const char *c;

	if (s == e)
		return e;
	for (c = s + 1; c < e; c++)
		if (*c == ';' && space((unsigned char)c[-1]))
			return c;
	return e;
}

/* The first '=' or ':' of s..e before an inline comment, or NULL. */
static const char *
find_sep(const char *s, const char *e, int (*space)(int))
{
	const char *end = comment_start(s, e, space), *c;

	for (c = s; c < end; c++)
		if (*c == '=' || *c == ':')
			return c;
	return NULL;
}

/* Trims white space (is_space) off both ends of s..*e; returns the start. */
static const char *
trim_space(const char *s, const char **e)
{
	while (s < *e && is_space((unsigned char)*s))
		s++;
	while (*e > s && is_space((unsigned char)(*e)[-1]))
		(*e)--;
	return s;
}

static int
valid_channel_name(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= CONFIG_MAX_NAME &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

/*
 * Checks a second [gateway] or [reports] (kind); returns -1 after reporting
 * a duplicate, else 0.
 */
static int
single_section(struct parser *p, enum section_kind kind, const char *name)
{
	size_t i;

	if ((kind == SEC_GATEWAY ? p->ngateway++ : p->nreports++) == 0)
		return 0;
	for (i = 0; i < p->nsections; i++)
		if (p->sections[i].kind == kind)
			break;
	finding(p, p->line, "duplicate section [%s] (first at line %d)", name,
	    p->sections[i].line);
	return -1;
}

/*
 * Checks the NAME of a named section, [WORD NAME] (name without leading
 * blanks) of kind: present, well formed, not a duplicate, not one past
 * max. Returns -1 after reporting what is wrong, else 0 and counts it in
 * *count.
 */
static int
named_section(struct parser *p, const char *name, int kind, const char *word,
    size_t *count, size_t max)
{
	size_t i;

	if (*name == '\0') {
		finding(p, p->line, "missing %s name: expected [%s NAME]", word,
		    word);
		return -1;
	}
	if (!valid_channel_name(name)) {
		finding(p, p->line,
		    "bad %s name '%s': expected [%s NAME], NAME 1 to %d of "
		    "a-z 0-9 _ -",
		    word, name, word, CONFIG_MAX_NAME);
		return -1;
	}
	for (i = 0; i < p->nsections; i++) {
		if ((int)p->sections[i].kind == kind &&
		    strcmp(p->sections[i].name, name) == 0) {
			finding(p, p->line,
			    "duplicate %s '%s' (first at line %d)", word, name,
			    p->sections[i].line);
			return -1;
		}
	}
	if (*count >= max) {
		finding(p, p->line, "too many %ss (at most %zu)", word, max);
		return -1;
	}
	(*count)++;
	return 0;
}

/* Checks a second [open311]; returns -1 after reporting it, else 0. */
static int
open311_section(struct parser *p)
{
	size_t i;

	for (i = 0; i < p->nsections; i++) {
		if (p->sections[i].kind == SEC_OPEN311) {
			finding(p, p->line,
			    "duplicate section [open311] (first at line %d)",
			    p->sections[i].line);
			return -1;
		}
	}
	return 0;
}

/* Handles a section header line [..] (without leading blanks). */
/*
 * When *name is word alone or word, blanks and more: moves *name past the
 * blanks and returns 1; else 0.
 */
static int
section_word(char **name, const char *word)
{
	size_t n = strlen(word);

	if (strncmp(*name, word, n) != 0 ||
	    ((*name)[n] != '\0' && !is_blank((*name)[n])))
		return 0;
	for (*name += n; is_blank(**name);)
		(*name)++;
	return 1;
}

static void
section_line(struct parser *p, const char *l, size_t n)
{
	const char *close = memchr(l, ']', n), *rest;
	char *inner, *name;
	enum section_kind kind = SEC_CHANNEL;

	p->cur = CUR_IGNORED;
	if (close == NULL) {
		finding(p, p->line, "expected ']' to close the section name");
		return;
	}
	for (rest = close + 1; rest < l + n && is_blank(*rest); rest++)
		;
	if (rest < l + n && *rest != ';' && *rest != '#') {
		finding(p, p->line, "unexpected text after the section name");
		return;
	}
	inner = xstrndup(l + 1, (size_t)(close - l - 1));
	name = str_trim(inner);
	if (strcmp(name, "gateway") == 0 || strcmp(name, "reports") == 0) {
		kind = name[0] == 'g' ? SEC_GATEWAY : SEC_REPORTS;
		if (single_section(p, kind, name) < 0)
			goto out;
	} else if (section_word(&name, "channel")) {
		if (named_section(p, name, SEC_CHANNEL, "channel", &p->nchans,
			CONFIG_MAX_CHANNELS) < 0)
			goto out;
	} else if (section_word(&name, "campaign")) {
		if (named_section(p, name, SEC_CAMPAIGN, "campaign", &p->ncamps,
			CONFIG_MAX_CAMPAIGNS) < 0)
			goto out;
		kind = SEC_CAMPAIGN;
	} else if (section_word(&name, "event")) {
		if (named_section(p, name, SEC_EVENT, "event", &p->nevents,
			CONFIG_MAX_EVENTS) < 0)
			goto out;
		kind = SEC_EVENT;
	} else if (strcmp(name, "open311") == 0) {
		if (open311_section(p) < 0)
			goto out;
		kind = SEC_OPEN311;
	} else {
		finding(p, p->line,
		    "unknown section [%s]: expected [gateway], "
		    "[channel NAME], [reports], [campaign NAME], "
		    "[event NAME] or [open311]",
		    name);
		goto out;
	}
	/* At most 2 + CONFIG_MAX_CHANNELS + CONFIG_MAX_CAMPAIGNS sections
	 * get here. */
	p->sections =
	    xrealloc(p->sections, (p->nsections + 1) * sizeof(*p->sections));
	p->sections[p->nsections].kind = kind;
	p->sections[p->nsections].name =
	    kind == SEC_CHANNEL || kind == SEC_CAMPAIGN || kind == SEC_EVENT
		? xstrdup(name)
		: NULL;
	p->sections[p->nsections].line = p->line;
	p->sections[p->nsections].first = p->nentries;
	p->sections[p->nsections].nentries = 0;
	p->cur = (long)p->nsections++;
out:
	free(inner);
}

/*
 * Decodes a quoted value starting at q (on its opening quote) up to end.
 * Returns the value, or NULL after reporting the problem.
 */
static char *
decode_quoted(struct parser *p, const char *q, const char *end)
{
	struct buf b;
	const char *s;

	buf_init(&b, (size_t)(end - q) + 1);
	for (s = q + 1; s < end && *s != '"'; s++) {
		if (*s == '\\') {
			if (s + 1 < end && s[1] == 'n') {
				/* A line break, which only screens take. */
				buf_append(&b, "\n", 1);
				s++;
				continue;
			}
			if (s + 1 < end && (s[1] == '"' || s[1] == '\\')) {
				s++;
			} else {
				finding(p, p->line,
				    "bad escape in quoted value: only \\\", "
				    "\\\\ and \\n are allowed");
				buf_free(&b);
				return NULL;
			}
		}
		buf_append(&b, s, 1);
	}
	if (s >= end) {
		finding(p, p->line, "unterminated quoted value");
		buf_free(&b);
		return NULL;
	}
	for (s++; s < end && (*s == ' ' || *s == '\t'); s++)
		;
	if (s < end && *s != ';' && *s != '#') {
		finding(p, p->line, "unexpected text after the closing quote");
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/*
 * Keeps the entry key = value (both owned; value NULL when it was already
 * reported) of the current line in the current section.
 */
static void
add_entry(struct parser *p, char *key, char *value)
{
	struct entry *e;

	if (p->cur == CUR_IGNORED)
		goto drop;
	if (p->cur == CUR_NONE) {
		finding(p, p->line,
		    "key '%s' outside any section: expected [gateway] or "
		    "[channel NAME] first",
		    key);
		goto drop;
	}
	if (key[0] == '\0') {
		finding(p, p->line, "missing key name before '='");
		goto drop;
	}
	if (p->nentries == p->entcap) {
		p->entcap = p->entcap ? p->entcap * 2 : 32;
		p->entries =
		    xrealloc(p->entries, p->entcap * sizeof(*p->entries));
	}
	e = &p->entries[p->nentries++];
	e->key = key;
	e->value = value;
	e->line = p->line;
	e->tr = 0;
	p->sections[p->cur].nentries++;
	return;
drop:
	free(key);
	free(value);
}

/*
 * Splits the key line l..e into its entry. quoted is the decoded value
 * (owned; NULL when it was malformed) when the value was in quotes, and e
 * then ends after the opening quote. An ordinary line is "key = value",
 * both trimmed, an inline comment cut from an unquoted value. The rest
 * keeps the reading inih 55 gave it, so that no finding changed when inih
 * went. White space other than blanks (\v, \f, \r) counts as white space
 * here: a line starting with it (or, on line 1, with a second byte order
 * mark) continues the value of the key written last, in whatever section;
 * before any key it is blank, a comment, a section header that is ignored
 * (without its ']' a syntax error) or an entry. A ';' after such white
 * space, before the '=', starts a comment that leaves no '=': a syntax
 * error. Only the first syntax error is reported (lex).
 */
static void
key_entry(
    struct parser *p, const char *l, const char *e, int is_quoted, char *quoted)
{
	const char *s = l, *sep, *name_end, *v;

	if (p->line == 1 && e - s >= 3 && memcmp(s, BOM, 3) == 0)
		s += 3;
	s = trim_space(s, &e);
	if (s == e || *s == ';' || *s == '#')
		goto out;
	if (s > l && p->last_key[0] != '\0') {
		add_entry(
		    p, xstrdup(p->last_key), xstrndup(s, (size_t)(e - s)));
		goto out;
	}
	if (*s == '[' &&
	    memchr(s, ']', (size_t)(comment_start(s + 1, e, is_space) - s)))
		goto out;
	if (*s == '[' || (sep = find_sep(s, e, is_space)) == NULL) {
		if (p->syntax_line == 0)
			p->syntax_line = p->line;
		goto out;
	}
	name_end = sep;
	while (name_end > s && is_space((unsigned char)name_end[-1]))
		name_end--;
	snprintf(
	    p->last_key, sizeof(p->last_key), "%.*s", (int)(name_end - s), s);
	if (!is_quoted) {
		e = comment_start(sep + 1, e, is_space);
		v = trim_space(sep + 1, &e);
		quoted = xstrndup(v, (size_t)(e - v));
	}
	add_entry(p, xstrndup(s, (size_t)(name_end - s)), quoted);
	return;
out:
	free(quoted);
}

/*
 * Handles a line that is neither blank, a comment nor a section header:
 * l[0..n), without leading blanks, must be "key = value" (or "key: value").
 * A value in double quotes is decoded, and what follows its closing quote
 * checked, by decode_quoted.
 */
static void
key_line(struct parser *p, const char *l, size_t n)
{
	const char *e = l + n, *sep, *v;
	char *quoted = NULL;
	int is_quoted = 0;

	if ((sep = find_sep(l, e, is_blank)) == NULL) {
		finding(p, p->line, "expected 'key = value'");
		return;
	}
	for (v = sep + 1; v < e && is_blank(*v); v++)
		;
	if (v < e && *v == '"') {
		quoted = decode_quoted(p, v, e);
		is_quoted = 1;
		e = v + 1;
	}
	key_entry(p, l, e, is_quoted, quoted);
}

/*
 * The one extension of the INI syntax (docs/baraza.conf.5): in a
 * [campaign NAME] section, an indented line `LL "text"` (two lower-case
 * letters, blanks, a quoted value) right after the text key or another
 * such line is a translation of the text, as in the flow language. Any
 * other indented line reads as it always did. l[0..n) is the line without
 * its leading blanks, which it had (indented). Returns 1 when the line was
 * a translation (kept, or reported), else 0.
 */
static int
translation_line(struct parser *p, const char *l, size_t n)
{
	const struct section *s;
	const struct entry *last;
	const char *q = l + 2;
	char *value;

	if (p->cur < 0 || p->sections[p->cur].kind != SEC_CAMPAIGN || n < 4 ||
	    l[0] < 'a' || l[0] > 'z' || l[1] < 'a' || l[1] > 'z' ||
	    !is_blank(l[2]))
		return 0;
	while (q < l + n && is_blank(*q))
		q++;
	if (q == l + n || *q != '"')
		return 0;
	s = &p->sections[p->cur];
	last = s->nentries > 0 ? &p->entries[p->nentries - 1] : NULL;
	if (last == NULL || (!last->tr && strcmp(last->key, "text") != 0)) {
		finding(p, p->line,
		    "a translation %.2s \"...\" must follow the text key "
		    "(or another translation)",
		    l);
		return 1;
	}
	value = decode_quoted(p, q, l + n);
	add_entry(p, xstrndup(l, 2), value);
	p->entries[p->nentries - 1].tr = 1;
	return 1;
}

/* Reads one physical line l[0..n) (without its '\n'). */
static void
lex_line(struct parser *p, const char *l, size_t n)
{
	int indented;

	if (n > 0 && l[n - 1] == '\r')
		n--;
	if (p->line == 1 && n >= 3 && memcmp(l, BOM, 3) == 0) {
		l += 3;
		n -= 3;
	}
	if (n > CONFIG_MAX_LINE) {
		finding(p, p->line,
		    "line is too long (%zu characters, at most "
		    "%d)",
		    n, CONFIG_MAX_LINE);
		return;
	}
	if (memchr(l, '\0', n) != NULL) {
		finding(p, p->line, "line contains a NUL byte");
		return;
	}
	indented = n > 0 && is_blank(*l);
	while (n > 0 && is_blank(*l)) {
		l++;
		n--;
	}
	if (n == 0 || *l == ';' || *l == '#')
		return;
	if (*l == '[')
		section_line(p, l, n);
	else if (!indented || !translation_line(p, l, n))
		key_line(p, l, n);
}

/* The first pass over the whole input. */
static void
lex(struct parser *p)
{
	const char *l, *nl;
	size_t n, i;

	while (p->pos < p->len) {
		l = p->data + p->pos;
		nl = memchr(l, '\n', p->len - p->pos);
		n = nl ? (size_t)(nl - l) : p->len - p->pos;
		p->pos += n + (nl != NULL);
		p->line++;
		lex_line(p, l, n);
	}
	/* The first syntax error of key_entry, unless its line has another. */
	if (p->syntax_line > 0) {
		for (i = 0; i < p->errs->n; i++)
			if (p->errs->v[i].line == p->syntax_line)
				return;
		finding(p, p->syntax_line, "syntax error");
	}
}

/*
 * Second pass.
 */

static const struct config_key *
find_key(enum section_kind kind, const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (config_keys[i].kind == kind &&
		    strcmp(config_keys[i].name, name) == 0)
			return &config_keys[i];
	return NULL;
}

/*
 * Applies one entry of a section to base. seen[] holds, per key, the line
 * where it was first set. type_mask is the channel's type (0 when the type
 * is unknown: then only unknown keys and duplicates are reported).
 */
static void
apply_entry(struct parser *p, const struct section *s, const struct entry *e,
    unsigned type_mask, int *seen, void *base)
{
	const struct config_key *k = find_key(s->kind, e->key);
	char *msg;
	size_t ki;

	if (k == NULL) {
		if (s->kind == SEC_GATEWAY &&
		    find_key(SEC_CHANNEL, e->key) != NULL)
			finding(p, e->line,
			    "unknown key '%s' in [gateway] (it belongs in a "
			    "[channel NAME] section)",
			    e->key);
		else if (s->kind == SEC_GATEWAY)
			finding(p, e->line, "unknown key '%s' in [gateway]",
			    e->key);
		else if (s->kind == SEC_CAMPAIGN)
			finding(p, e->line,
			    "unknown key '%s' in [campaign %s]: expected "
			    "table, phone, date, send, text or channel",
			    e->key, s->name);
		else if (s->kind == SEC_EVENT)
			finding(p, e->line,
			    "unknown key '%s' in [event %s]: expected url, "
			    "signing_key, events, with_phone or max_age",
			    e->key, s->name);
		else if (s->kind == SEC_OPEN311)
			finding(p, e->line,
			    "unknown key '%s' in [open311]: expected api_keys "
			    "or rate",
			    e->key);
		else if (find_key(SEC_GATEWAY, e->key) != NULL)
			finding(p, e->line,
			    "unknown key '%s' in [channel %s] (it belongs in "
			    "[gateway])",
			    e->key, s->name);
		else
			finding(p, e->line, "unknown key '%s' in [channel %s]",
			    e->key, s->name);
		return;
	}
	ki = (size_t)(k - config_keys);
	if (seen[ki] != 0) {
		finding(p, e->line, "duplicate key '%s' (first set at line %d)",
		    e->key, seen[ki]);
		return;
	}
	seen[ki] = e->line;
	if (s->kind == SEC_CHANNEL && strcmp(k->name, "type") == 0)
		return; /* parsed before the other keys */
	if (s->kind == SEC_CHANNEL && type_mask != 0 &&
	    (k->types & type_mask) == 0) {
		int t = 0;

		while ((type_mask & CT(t)) == 0)
			t++;
		finding(p, e->line,
		    "key '%s' is not valid for a channel of type %s", e->key,
		    channel_type_names[t]);
		return;
	}
	if (s->kind == SEC_CHANNEL && type_mask == 0)
		return;
	if (e->value == NULL)
		return; /* a bad quoted value, already reported */
	if ((msg = parse_value(p, k, e->value, base)) != NULL) {
		finding(p, e->line, "%s: %s", k->name, msg);
		free(msg);
	}
}

/*
 * Reads, trims and checks a secret file named by key (admin_token_file,
 * database_password_file) into *out: one token or password (what, for
 * messages) without white space, at most CONFIG_MAX_TOKEN_FILE - 1 bytes.
 * Findings name the key, never the secret.
 */
static void
read_secret_file(struct parser *p, int line, const char *key, const char *what,
    const char *path, char **out)
{
	char buf[CONFIG_MAX_TOKEN_FILE + 1], *t;
	struct stat st;
	ssize_t r;
	size_t n = 0;
	int fd;

	/* O_NONBLOCK: a FIFO or terminal named here must not hang us. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		finding(p, line, "%s: cannot open %s: %s", key, path,
		    strerror(errno));
		return;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		finding(p, line, "%s: %s is not a regular file", key, path);
		close(fd);
		return;
	}
	while (n < sizeof(buf) - 1) {
		r = read(fd, buf + n, sizeof(buf) - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			finding(p, line, "%s: cannot read %s: %s", key, path,
			    strerror(errno));
			close(fd);
			return;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (n >= sizeof(buf) - 1) {
		finding(p, line, "%s: %s is larger than %d bytes", key, path,
		    CONFIG_MAX_TOKEN_FILE - 1);
		return;
	}
	buf[n] = '\0';
	if (memchr(buf, '\0', n) != NULL) {
		finding(p, line, "%s: %s holds a NUL byte", key, path);
		return;
	}
	t = str_trim(buf);
	if (*t == '\0') {
		finding(p, line, "%s: %s is empty", key, path);
		return;
	}
	if (strlen(t) != strcspn(t, "\r\n\t ")) {
		finding(p, line, "%s: %s must hold one %s without white space",
		    key, path, what);
		return;
	}
	free(*out);
	*out = xstrdup(t);
}

static void
apply_gateway(struct parser *p, struct config *cfg)
{
	const struct section *s = NULL;
	int seen[NKEYS] = {0};
	size_t i;
	int tok, tokfile, pwfile;

	apply_defaults(p, SEC_GATEWAY, 0, cfg);
	for (i = 0; i < p->nsections; i++)
		if (p->sections[i].kind == SEC_GATEWAY)
			s = &p->sections[i];
	if (s == NULL)
		return;
	cfg->gateway_line = s->line;
	for (i = s->first; i < s->first + s->nentries; i++)
		apply_entry(p, s, &p->entries[i], 0, seen, cfg);

	tok = seen[find_key(SEC_GATEWAY, "admin_token") - config_keys];
	tokfile = seen[find_key(SEC_GATEWAY, "admin_token_file") - config_keys];
	if (tok != 0 && tokfile != 0)
		finding(p, tok > tokfile ? tok : tokfile,
		    "set admin_token or admin_token_file, not both");
	else if (cfg->admin_token_file != NULL)
		read_secret_file(p, tokfile, "admin_token_file", "token",
		    cfg->admin_token_file, &cfg->admin_token);
	pwfile =
	    seen[find_key(SEC_GATEWAY, "database_password_file") - config_keys];
	if (cfg->database_password_file == NULL)
		return;
	if (!store_is_postgres(cfg->database))
		finding(p, pwfile,
		    "database_password_file: only for a PostgreSQL database "
		    "(database = postgresql://...)");
	else
		read_secret_file(p, pwfile, "database_password_file",
		    "password", cfg->database_password_file,
		    &cfg->database_password);
}

/* Defaults that depend on the channel's type and on other keys. */
static void
channel_type_defaults(struct channel_config *ch, const int *seen)
{
	const struct config_key *k;

	k = find_key(SEC_CHANNEL, "api_url");
	if (!seen[k - config_keys] && ch->api_url == NULL) {
		if (ch->type == CHANNEL_AFRICASTALKING)
			ch->api_url = xstrdup(
			    ch->username && strcmp(ch->username, "sandbox") == 0
				? "https://api.sandbox.africastalking.com"
				: "https://api.africastalking.com");
		else if (ch->type == CHANNEL_TWILIO)
			ch->api_url = xstrdup("https://api.twilio.com");
		else if (ch->type == CHANNEL_VONAGE)
			ch->api_url = xstrdup("https://rest.nexmo.com");
		else if (ch->type == CHANNEL_KANNEL)
			/* smsbox's sendsms-port in Kannel's own examples */
			ch->api_url = xstrdup("http://127.0.0.1:13013");
	}
	k = find_key(SEC_CHANNEL, "rate");
	if (!seen[k - config_keys] && ch->type == CHANNEL_GAMMU) {
		ch->rate.count = 6;
		ch->rate.period_ms = MIN;
	}
}

static int
entry_line(const struct parser *p, const struct section *s, const char *key)
{
	size_t i;

	for (i = s->first; i < s->first + s->nentries; i++)
		if (strcmp(p->entries[i].key, key) == 0)
			return p->entries[i].line;
	return s->line;
}

const char *
config_channel_unsigned(
    const struct config *cfg, const struct channel_config *ch)
{
	switch (ch->type) {
	case CHANNEL_AFRICASTALKING:
	case CHANNEL_KANNEL:
		return ch->webhook_secret == NULL ? "webhook_secret" : NULL;
	case CHANNEL_HTTP:
		return ch->signing_key == NULL ? "signing_key" : NULL;
	case CHANNEL_TWILIO:
		return ch->public_url == NULL &&
			       (cfg == NULL || cfg->public_url == NULL)
			   ? "public_url"
			   : NULL;
	case CHANNEL_INFOBIP:
		return ch->webhook_secret == NULL ? "webhook_secret" : NULL;
	case CHANNEL_VONAGE:
		return ch->signature_secret == NULL ? "signature_secret" : NULL;
	case CHANNEL_GAMMU:
	case CHANNEL_SMPP:
		break;
	}
	return NULL;
}

/*
 * Closed by default: a channel whose webhooks nothing authenticates is an
 * error at its section's line, unless it says allow_unsigned = yes, which
 * is a warning at that key's line.
 */
static void
channel_auth_check(struct parser *p, const struct config *cfg,
    const struct section *s, const struct channel_config *ch)
{
	const char *key = config_channel_unsigned(cfg, ch);
	const char *how;

	if (key == NULL)
		return;
	/* Written but refused (the example's placeholder, say): its own
	   error says why; "from anyone" would contradict it. */
	if (entry_line(p, s, key) != s->line)
		return;
	how = ch->type == CHANNEL_TWILIO
		  ? "set public_url, here or in [gateway], to the URL Twilio "
		    "calls (its signatures are checked against it)"
	      : ch->type == CHANNEL_HTTP
		  ? "set signing_key (requests must carry X-Baraza-Signature)"
	      : ch->type == CHANNEL_VONAGE
		  ? "set signature_secret and signature_method as in Vonage's "
		    "dashboard (its webhooks' sig is checked)"
		  : "set webhook_secret (webhooks must carry it as ?secret= "
		    "or X-Baraza-Secret)";
	if (ch->allow_unsigned)
		warning(p, entry_line(p, s, "allow_unsigned"),
		    "[channel %s] takes webhooks from anyone (allow_unsigned "
		    "= yes): %s",
		    ch->name, how);
	else
		finding(p, s->line,
		    "[channel %s] would take webhooks from anyone: %s, or "
		    "say allow_unsigned = yes",
		    ch->name, how);
}

static void
apply_channel(struct parser *p, const struct config *cfg,
    const struct section *s, struct channel_config *ch)
{
	const struct config_key *tk = find_key(SEC_CHANNEL, "type");
	const struct entry *te = NULL;
	int seen[NKEYS] = {0};
	unsigned mask = 0;
	size_t i;
	char *msg;

	ch->name = xstrdup(s->name);
	ch->line = s->line;
	for (i = s->first; i < s->first + s->nentries; i++) {
		if (strcmp(p->entries[i].key, "type") == 0) {
			te = &p->entries[i];
			break;
		}
	}
	if (te == NULL) {
		finding(p, s->line,
		    "missing required key 'type' in [channel %s]: expected "
		    "one of africastalking, twilio, kannel, gammu, http, "
		    "smpp, infobip, vonage",
		    s->name);
	} else if (te->value != NULL) {
		if ((msg = parse_value(p, tk, te->value, ch)) != NULL) {
			finding(p, te->line, "type: %s", msg);
			free(msg);
		} else {
			mask = CT(ch->type);
		}
	}
	if (mask != 0)
		apply_defaults(p, SEC_CHANNEL, mask, ch);
	for (i = s->first; i < s->first + s->nentries; i++)
		apply_entry(p, s, &p->entries[i], mask, seen, ch);
	if (mask == 0)
		return;
	for (i = 0; i < NKEYS; i++) {
		const struct config_key *k = &config_keys[i];

		if (k->kind == SEC_CHANNEL && (k->required & mask) != 0 &&
		    seen[i] == 0 && k != tk)
			finding(p, s->line,
			    "missing required key '%s' in [channel %s] "
			    "(required for type %s)",
			    k->name, s->name, channel_type_names[ch->type]);
	}
	channel_type_defaults(ch, seen);
	channel_auth_check(p, cfg, s, ch);
	/* SMPP 3.4's bind holds a password of at most 8 characters. */
	if (ch->type == CHANNEL_SMPP && ch->password != NULL &&
	    strlen(ch->password) > SMPP_PASSWORD_MAX)
		finding(p, entry_line(p, s, "password"),
		    "password: at most %d characters for an SMPP bind "
		    "(SMPP 3.4), got %zu",
		    SMPP_PASSWORD_MAX, strlen(ch->password));
	/* A budget is counted in money: it needs the price of a segment. */
	if (ch->daily_budget != NULL && ch->cost_per_segment == NULL)
		warning(p, entry_line(p, s, "daily_budget"),
		    "[channel %s] has a daily_budget but no cost_per_segment: "
		    "the budget holds nothing back",
		    ch->name);
}

/* Checks between keys and channels, once everything is parsed. */
/*
 * Keys every channel type takes but that do nothing on some: a modem and
 * an SMPP link take no webhooks and make no HTTP requests, and a modem
 * sends from its SIM's number. Warned of, so that an operator does not
 * count on them.
 */
static void
idle_keys(
    struct parser *p, const struct section *s, const struct channel_config *ch)
{
	const struct {
		const char *key;
		int set;
		unsigned types;
		const char *why;
	} keys[] = {
	    {"webhook_secret", ch->webhook_secret != NULL, CT_GM | CT_SM,
		"this type takes no webhooks"},
	    {"webhook_secret_previous", ch->webhook_secret_previous != NULL,
		CT_GM | CT_SM, "this type takes no webhooks"},
	    {"api_url", ch->api_url != NULL, CT_GM | CT_SM,
		"this type makes no HTTP requests"},
	    {"sender", ch->sender != NULL, CT_GM,
		"a modem sends from its SIM's number"},
	};
	size_t i;

	for (i = 0; i < nitems(keys); i++)
		if (keys[i].set && (CT(ch->type) & keys[i].types) != 0)
			warning(p, entry_line(p, s, keys[i].key),
			    "%s: does nothing for type %s: %s", keys[i].key,
			    config_channel_type_name(ch->type), keys[i].why);
}

static void
cross_checks(struct parser *p, struct config *cfg)
{
	const struct section *gw = NULL;
	size_t i, ci = 0;

	for (i = 0; i < p->nsections; i++)
		if (p->sections[i].kind == SEC_GATEWAY)
			gw = &p->sections[i];
	if (cfg->default_channel != NULL &&
	    config_channel(cfg, cfg->default_channel) == NULL)
		finding(p, gw ? entry_line(p, gw, "default_channel") : 0,
		    "default_channel: no channel named '%s'",
		    cfg->default_channel);
	if (cfg->default_channel == NULL && cfg->nchannels == 1)
		cfg->default_channel = xstrdup(cfg->channels[0].name);

	for (i = 0; i < p->nsections; i++) {
		const struct section *s = &p->sections[i];
		const struct channel_config *ch;

		if (s->kind != SEC_CHANNEL)
			continue;
		ch = &cfg->channels[ci++];
		idle_keys(p, s, ch);
		if (ch->type == CHANNEL_GAMMU && ch->balance_alert > 0 &&
		    ch->balance_ussd == NULL)
			warning(p, entry_line(p, s, "balance_alert"),
			    "balance_alert: no balance_ussd to check it with");
		if (ch->type == CHANNEL_GAMMU && ch->device != NULL) {
			size_t k;

			/* One phone, one worker: two would fight over it. */
			for (k = 0; k + 1 < ci; k++)
				if (cfg->channels[k].type == CHANNEL_GAMMU &&
				    cfg->channels[k].device != NULL &&
				    strcmp(cfg->channels[k].device,
					ch->device) == 0 &&
				    str_eq_null(
					cfg->channels[k].node, ch->node))
					finding(p, entry_line(p, s, "device"),
					    "device: channel %s has it already",
					    cfg->channels[k].name);
		}
		/* A modem for a node while this config names none: no node
		 * runs it here, and on a single gateway its queue waits. */
		if (ch->node != NULL && cfg->node == NULL)
			warning(p, entry_line(p, s, "node"),
			    "node: this channel runs only on node '%s', and "
			    "[gateway] names no node: this gateway never runs "
			    "it",
			    ch->node);
		if (ch->fallback == NULL)
			continue;
		if (strcmp(ch->fallback, ch->name) == 0)
			finding(p, entry_line(p, s, "fallback"),
			    "fallback: a channel cannot fall back to itself");
		else if (config_channel(cfg, ch->fallback) == NULL)
			finding(p, entry_line(p, s, "fallback"),
			    "fallback: no channel named '%s'", ch->fallback);
	}
}

/* Report statuses a [reports] key may name (store.h's STORE_REPORT_*). */
static const char *const report_statuses[] = {
    "open", "acknowledged", "in_progress", "resolved", "closed", NULL};

/* Placeholders a [reports] text may use. */
static const char *const report_placeholders[] = {
    "id", "status", "category", "location", "note", NULL};

/* 1 when s is one of the NULL-terminated names. */
static int
name_in(const char *const *names, const char *s)
{
	size_t i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], s) == 0)
			return 1;
	return 0;
}

/*
 * Compiles a text of the config into *t: not empty, at most MAX_STRING,
 * no control characters but tabs. Returns NULL, or a message without the
 * key name for the caller to free.
 */
static char *
compile_text(const char *s, struct template **t)
{
	struct template_error terr;
	size_t i, n = strlen(s);

	*t = NULL;
	if (n == 0)
		return xstrdup("must not be empty");
	if (n > MAX_STRING)
		return xasprintf("at most %d characters", MAX_STRING);
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < ' ' && s[i] != '\t')
			return xstrdup("control characters are not allowed");
	if (template_compile(s, n, t, &terr) != 0)
		return xasprintf(
		    "bad template at column %zu: %s", terr.col, terr.msg);
	return NULL;
}

/*
 * Checks and compiles a [reports] text; returns NULL and sets *out to the
 * template, or a message without the key name for the caller to free.
 */
static char *
compile_report_text(const char *s, struct template **out)
{
	struct template *t;
	char *msg;
	size_t i;

	*out = NULL;
	if ((msg = compile_text(s, &t)) != NULL)
		return msg;
	for (i = 0; i < t->nparts; i++) {
		const struct template_part *tp = &t->parts[i];

		if (tp->kind != TPART_VAR ||
		    (tp->field == NULL &&
			name_in(report_placeholders, tp->root)))
			continue;
		msg = xasprintf("unknown placeholder '{%s}' at column %zu: "
				"expected {id}, {status}, {category}, "
				"{location} or {note}",
		    tp->text, tp->col);
		template_free(t);
		return msg;
	}
	*out = t;
	return NULL;
}

/* The key of the entry on line, for messages about an earlier key. */
static const char *
key_on_line(const struct parser *p, int line)
{
	size_t i;

	for (i = 0; i < p->nentries; i++)
		if (p->entries[i].line == line)
			return p->entries[i].key;
	return "?";
}

/* Checks one "STATUS[.LL] = TEXT" entry of [reports] and keeps it. */
static void
apply_report_entry(struct parser *p, struct config *cfg, const struct entry *e)
{
	const char *dot = strchr(e->key, '.'), *lang, *first;
	struct config_report_text *rt;
	struct template *t = NULL;
	char status[16], *msg;
	size_t i, n = dot ? (size_t)(dot - e->key) : strlen(e->key);

	if (n >= sizeof(status)) {
		status[0] = '\0';
	} else {
		memcpy(status, e->key, n);
		status[n] = '\0';
	}
	if (!name_in(report_statuses, status) &&
	    strcmp(status, CONFIG_FEEDBACK_TEXT) != 0) {
		finding(p, e->line,
		    "unknown key '%s' in [reports]: expected a status (open, "
		    "acknowledged, in_progress, resolved or closed) or "
		    "feedback_text, optionally followed by .LL for a "
		    "language",
		    e->key);
		return;
	}
	first = cfg->languages.n > 0 ? cfg->languages.v[0] : "en";
	lang = dot ? dot + 1 : first;
	for (i = 0; dot && i < cfg->languages.n; i++)
		if (strcmp(cfg->languages.v[i], lang) == 0)
			break;
	if (dot && i == cfg->languages.n) {
		struct buf b;

		buf_init(&b, 1024);
		for (i = 0; i < cfg->languages.n; i++)
			buf_printf(
			    &b, "%s%s", i ? " " : "", cfg->languages.v[i]);
		finding(p, e->line,
		    "%s: language '%s' is not in languages (%s)", e->key, lang,
		    b.data ? b.data : "");
		buf_free(&b);
		return;
	}
	for (i = 0; i < cfg->nreport_texts; i++) {
		rt = &cfg->report_texts[i];
		if (strcmp(rt->status, status) != 0 ||
		    strcmp(rt->lang, lang) != 0)
			continue;
		if (strcmp(key_on_line(p, rt->line), e->key) == 0)
			finding(p, e->line,
			    "duplicate key '%s' (first set at line %d)", e->key,
			    rt->line);
		else
			finding(p, e->line,
			    "duplicate key '%s' (first set at line %d as "
			    "'%s': %s is the default language)",
			    e->key, rt->line, key_on_line(p, rt->line), first);
		return;
	}
	if (e->value != NULL &&
	    (msg = compile_report_text(e->value, &t)) != NULL) {
		finding(p, e->line, "%s: %s", e->key, msg);
		free(msg);
	}
	/* A bad text still counts as set, for the duplicate check. At most
	 * one entry per (status, language) gets here: 5 * 16. */
	cfg->report_texts = xrealloc(cfg->report_texts,
	    (cfg->nreport_texts + 1) * sizeof(*cfg->report_texts));
	rt = &cfg->report_texts[cfg->nreport_texts++];
	rt->status = xstrdup(status);
	rt->lang = xstrdup(lang);
	rt->src = t != NULL ? xstrdup(e->value) : NULL;
	rt->tmpl = t;
	rt->line = e->line;
}

/* The [reports] section, once languages is known. */
static void
apply_reports(struct parser *p, struct config *cfg)
{
	size_t i, j;

	for (i = 0; i < p->nsections; i++) {
		const struct section *s = &p->sections[i];

		if (s->kind != SEC_REPORTS)
			continue;
		cfg->reports_line = s->line;
		for (j = s->first; j < s->first + s->nentries; j++)
			apply_report_entry(p, cfg, &p->entries[j]);
	}
}

const struct template *
config_report_text(
    const struct config *cfg, const char *status, const char *lang)
{
	size_t i;

	if (cfg == NULL || status == NULL || lang == NULL)
		return NULL;
	for (i = 0; i < cfg->nreport_texts; i++)
		if (cfg->report_texts[i].tmpl != NULL &&
		    strcmp(cfg->report_texts[i].status, status) == 0 &&
		    strcmp(cfg->report_texts[i].lang, lang) == 0)
			return cfg->report_texts[i].tmpl;
	return NULL;
}

int
config_parse_send(
    const char *s, struct config_campaign_send *out, const char **why)
{
	const char *dummy;
	int sign = 1, days = 0, hour = 0, minute, nd = 0;

	if (why == NULL)
		why = &dummy;
	*why = "expected OFFSETd HH:MM, such as -3d 09:00";
	if (s == NULL)
		return -1;
	if (*s == '-' || *s == '+')
		sign = *s++ == '-' ? -1 : 1;
	for (; *s >= '0' && *s <= '9'; s++, nd++) {
		if (nd == 3) {
			*why = "the offset is more than 366 days";
			return -1;
		}
		days = days * 10 + (*s - '0');
	}
	if (nd == 0 || *s++ != 'd')
		return -1;
	if (days > CONFIG_MAX_OFFSET) {
		*why = "the offset is more than 366 days";
		return -1;
	}
	if (!is_blank(*s))
		return -1;
	while (is_blank(*s))
		s++;
	for (nd = 0; *s >= '0' && *s <= '9' && nd < 2; s++, nd++)
		hour = hour * 10 + (*s - '0');
	if (nd == 0 || *s++ != ':' || s[0] < '0' || s[0] > '9' || s[1] < '0' ||
	    s[1] > '9' || s[2] != '\0')
		return -1;
	minute = (s[0] - '0') * 10 + (s[1] - '0');
	if (hour > 23 || minute > 59) {
		*why = "the time of day must be 00:00 to 23:59";
		return -1;
	}
	out->days = sign * days;
	out->minute = hour * 60 + minute;
	return 0;
}

/* Parses the send list of campaign c (written on line) into c->sends. */
static void
campaign_sends(struct parser *p, struct config_campaign *c, int line)
{
	char *copy = xstrdup(c->send), *v[CONFIG_MAX_SENDS + 1];
	struct config_campaign_send snd;
	const char *why;
	int n = str_split_commas(copy, v, nitems(v));
	size_t i, j;

	if (n < 1 || (n == 1 && v[0][0] == '\0')) {
		finding(p, line,
		    "send: expected OFFSETd HH:MM, such as "
		    "-3d 09:00, 0d 08:00");
		goto out;
	}
	if (n > CONFIG_MAX_SENDS) {
		finding(p, line, "send: at most %d entries", CONFIG_MAX_SENDS);
		goto out;
	}
	c->sends = xcalloc((size_t)n, sizeof(*c->sends));
	for (i = 0; i < (size_t)n; i++) {
		if (config_parse_send(v[i], &snd, &why) != 0) {
			finding(p, line, "send: '%.32s': %s", v[i], why);
			continue;
		}
		for (j = 0; j < c->nsends; j++)
			if (c->sends[j].days == snd.days)
				break;
		if (j < c->nsends) {
			finding(p, line,
			    "send: the offset %+dd is listed twice (each "
			    "offset sends once per row and date)",
			    snd.days);
			continue;
		}
		c->sends[c->nsends++] = snd;
	}
out:
	free(copy);
}

/*
 * Checks and compiles a campaign text; returns NULL and sets *out to the
 * template, or a message for the caller to free.
 */
static char *
compile_campaign_text(const char *s, struct template **out)
{
	struct template *t;
	char *msg;
	size_t i;

	*out = NULL;
	if ((msg = compile_text(s, &t)) != NULL)
		return msg;
	for (i = 0; i < t->nparts; i++) {
		const struct template_part *tp = &t->parts[i];

		if (tp->kind != TPART_VAR || tp->field == NULL)
			continue;
		msg = xasprintf("placeholder '{%s}' at column %zu: a "
				"campaign's placeholders are columns of its "
				"table, without dots, such as {balance}",
		    tp->text, tp->col);
		template_free(t);
		return msg;
	}
	*out = t;
	return NULL;
}

/* Keeps a compiled text of campaign c (the template is moved in). */
static void
campaign_add_text(
    struct config_campaign *c, const char *lang, struct template *t, int line)
{
	struct config_campaign_text *ct;

	c->texts = xrealloc(c->texts, (c->ntexts + 1) * sizeof(*c->texts));
	ct = &c->texts[c->ntexts++];
	ct->lang = xstrdup(lang);
	ct->tmpl = t;
	ct->line = line;
}

/* Checks and keeps the translation e of campaign c. */
static void
campaign_translation(struct parser *p, const struct config *cfg,
    struct config_campaign *c, const struct entry *e, const char *first,
    int *seen)
{
	struct template *t = NULL;
	char *msg;
	size_t i;

	for (i = 0; i < cfg->languages.n; i++)
		if (strcmp(cfg->languages.v[i], e->key) == 0)
			break;
	if (i == cfg->languages.n) {
		struct buf b;

		buf_init(&b, 1024);
		for (i = 0; i < cfg->languages.n; i++)
			buf_printf(
			    &b, "%s%s", i ? " " : "", cfg->languages.v[i]);
		finding(p, e->line,
		    "translation: language '%s' is not in languages (%s)",
		    e->key, b.data ? b.data : "");
		buf_free(&b);
		return;
	}
	if (strcmp(e->key, first) == 0) {
		finding(p, e->line,
		    "translation: '%s' is the default language, which the "
		    "text itself is in",
		    e->key);
		return;
	}
	if (seen[i] != 0) {
		finding(p, e->line,
		    "duplicate translation '%s' (first at line %d)", e->key,
		    seen[i]);
		return;
	}
	seen[i] = e->line;
	if (e->value == NULL)
		return; /* a bad quoted value, already reported */
	if ((msg = compile_campaign_text(e->value, &t)) != NULL) {
		finding(p, e->line, "translation %s: %s", e->key, msg);
		free(msg);
		return;
	}
	if (c->texts != NULL)
		campaign_add_text(c, e->key, t, e->line);
	else
		template_free(t);
}

/* One [campaign NAME] section, once languages and channels are known. */
static void
apply_campaign(struct parser *p, const struct config *cfg,
    const struct section *s, struct config_campaign *c)
{
	static const char *const required[] = {
	    "table", "phone", "date", "send", "text", NULL};
	const char *first = cfg->languages.n > 0 ? cfg->languages.v[0] : "en";
	struct template *t = NULL;
	int seen[NKEYS] = {0}, lang_seen[MAX_WORDS] = {0};
	size_t i;
	char *msg;

	c->name = xstrdup(s->name);
	c->line = s->line;
	for (i = s->first; i < s->first + s->nentries; i++)
		if (!p->entries[i].tr)
			apply_entry(p, s, &p->entries[i], 0, seen, c);
	for (i = 0; required[i] != NULL; i++)
		if (!seen[find_key(SEC_CAMPAIGN, required[i]) - config_keys])
			finding(p, s->line,
			    "missing required key '%s' in [campaign %s]",
			    required[i], s->name);
	if (c->send != NULL)
		campaign_sends(p, c, entry_line(p, s, "send"));
	if (c->text != NULL) {
		int line = entry_line(p, s, "text");

		if ((msg = compile_campaign_text(c->text, &t)) != NULL) {
			finding(p, line, "text: %s", msg);
			free(msg);
		} else {
			campaign_add_text(c, first, t, line);
		}
	}
	for (i = s->first; i < s->first + s->nentries; i++)
		if (p->entries[i].tr)
			campaign_translation(
			    p, cfg, c, &p->entries[i], first, lang_seen);
	if (c->channel != NULL && config_channel(cfg, c->channel) == NULL)
		finding(p, entry_line(p, s, "channel"),
		    "channel: no channel named '%s'", c->channel);
	else if (c->channel == NULL && cfg->default_channel == NULL)
		finding(p, s->line,
		    "[campaign %s] has no channel: set channel here, or "
		    "default_channel in [gateway]",
		    s->name);
}

/* The [campaign NAME] sections. */
static void
apply_campaigns(struct parser *p, struct config *cfg)
{
	size_t i;

	cfg->campaigns =
	    xcalloc(p->ncamps ? p->ncamps : 1, sizeof(*cfg->campaigns));
	for (i = 0; i < p->nsections; i++) {
		if (p->sections[i].kind != SEC_CAMPAIGN)
			continue;
		apply_campaign(p, cfg, &p->sections[i],
		    &cfg->campaigns[cfg->ncampaigns++]);
	}
}

const struct config_campaign *
config_campaign(const struct config *cfg, const char *name)
{
	size_t i;

	if (cfg == NULL || name == NULL)
		return NULL;
	for (i = 0; i < cfg->ncampaigns; i++)
		if (strcmp(cfg->campaigns[i].name, name) == 0)
			return &cfg->campaigns[i];
	return NULL;
}

const struct template *
config_campaign_text(const struct config_campaign *c, const char *lang)
{
	size_t i;

	if (c == NULL || c->ntexts == 0)
		return NULL;
	for (i = 1; lang != NULL && i < c->ntexts; i++)
		if (strcmp(c->texts[i].lang, lang) == 0)
			return c->texts[i].tmpl;
	return c->texts[0].tmpl;
}

/* The events an [event NAME] may name, by enum config_event_kind. */
static const char *const event_names[] = {
    "report.created", "report.updated", "message.in", "message.failed", NULL};

_Static_assert(nitems(event_names) == CONFIG_EVENT_NKINDS + 1, "events");

#define OPEN311_KEY_MIN 16  /* characters of an Open311 api key, at least */
#define OPEN311_KEYS_MAX 32 /* keys in api_keys */

static char *
check_event_names(const struct config_key *k, const void *f)
{
	const struct config_words *w = f;
	size_t i;

	(void)k;
	for (i = 0; i < w->n; i++)
		if (!name_in(event_names, w->v[i]))
			return xasprintf("unknown event '%s': expected "
					 "report.created, report.updated, "
					 "message.in or message.failed",
			    w->v[i]);
	return NULL;
}

/* One [event NAME] section. */
static void
apply_event(struct parser *p, const struct section *s, struct config_event *ev)
{
	static const char *const required[] = {"url", "events", NULL};
	int seen[NKEYS] = {0};
	size_t i, k;

	ev->name = xstrdup(s->name);
	ev->line = s->line;
	apply_defaults(p, SEC_EVENT, 0, ev);
	for (i = s->first; i < s->first + s->nentries; i++)
		apply_entry(p, s, &p->entries[i], 0, seen, ev);
	for (i = 0; required[i] != NULL; i++)
		if (!seen[find_key(SEC_EVENT, required[i]) - config_keys])
			finding(p, s->line,
			    "missing required key '%s' in [event %s]",
			    required[i], s->name);
	/* Closed by default: a receiver must be able to tell it was us. */
	if (!seen[find_key(SEC_EVENT, "signing_key") - config_keys])
		finding(p, s->line,
		    "[event %s] would send events unsigned: set signing_key "
		    "(each request carries X-Baraza-Signature made with it)",
		    s->name);
	for (i = 0; i < ev->names.n; i++)
		for (k = 0; k < CONFIG_EVENT_NKINDS; k++)
			if (strcmp(ev->names.v[i], event_names[k]) == 0)
				ev->mask |= 1u << k;
}

/* The [event NAME] sections. */
static void
apply_events(struct parser *p, struct config *cfg)
{
	size_t i;

	cfg->events =
	    xcalloc(p->nevents ? p->nevents : 1, sizeof(*cfg->events));
	for (i = 0; i < p->nsections; i++)
		if (p->sections[i].kind == SEC_EVENT)
			apply_event(
			    p, &p->sections[i], &cfg->events[cfg->nevents++]);
}

/* Splits api_keys into cfg->open311_keys; line is the key's. */
static void
open311_keys(struct parser *p, struct config *cfg, int line)
{
	struct config_words *w = &cfg->open311_keys;
	const char *q = cfg->open311_api_keys, *start;
	size_t n;
	int warned = 0;

	w->v = xcalloc(OPEN311_KEYS_MAX + 1, sizeof(char *));
	for (;;) {
		while (is_blank(*q))
			q++;
		if (*q == '\0')
			break;
		for (start = q; *q != '\0' && !is_blank(*q); q++)
			;
		n = (size_t)(q - start);
		/* The contract takes any key; a short one is said, once. */
		if (n < OPEN311_KEY_MIN && !warned) {
			warning(p, line,
			    "api_keys: a key shorter than %d characters is "
			    "easy to guess",
			    OPEN311_KEY_MIN);
			warned = 1;
		}
		if (w->n == OPEN311_KEYS_MAX) {
			finding(p, line, "api_keys: at most %d keys",
			    OPEN311_KEYS_MAX);
			return;
		}
		w->v[w->n++] = xstrndup(start, n);
	}
}

/* The [open311] section: the keys that may file reports (Open311 POST). */
static void
apply_open311(struct parser *p, struct config *cfg)
{
	const struct section *s = NULL;
	int seen[NKEYS] = {0};
	size_t i;

	apply_defaults(p, SEC_OPEN311, 0, cfg);
	cfg->open311_keys.v = NULL;
	for (i = 0; i < p->nsections; i++)
		if (p->sections[i].kind == SEC_OPEN311)
			s = &p->sections[i];
	if (s == NULL) {
		cfg->open311_keys.v = xcalloc(1, sizeof(char *));
		return;
	}
	cfg->open311_line = s->line;
	for (i = s->first; i < s->first + s->nentries; i++)
		apply_entry(p, s, &p->entries[i], 0, seen, cfg);
	if (cfg->open311_api_keys == NULL) {
		finding(p, s->line,
		    "missing required key 'api_keys' in [open311] (the keys "
		    "that may file reports)");
		cfg->open311_keys.v = xcalloc(1, sizeof(char *));
		return;
	}
	open311_keys(p, cfg, entry_line(p, s, "api_keys"));
}

const char *
config_event_name(enum config_event_kind k)
{
	if ((unsigned)k >= CONFIG_EVENT_NKINDS)
		return NULL;
	return event_names[k];
}

int
config_event_wants(const struct config_event *ev, enum config_event_kind k)
{
	return ev != NULL && (unsigned)k < CONFIG_EVENT_NKINDS &&
	       (ev->mask & (1u << k)) != 0;
}

static void
parser_free(struct parser *p)
{
	size_t i;

	for (i = 0; i < p->nsections; i++)
		free(p->sections[i].name);
	free(p->sections);
	for (i = 0; i < p->nentries; i++) {
		free(p->entries[i].key);
		free(p->entries[i].value);
	}
	free(p->entries);
}

/* Runs both passes over data into a new config. */
static struct config *
parse(struct parser *p, const char *data, size_t len)
{
	struct config *cfg = xcalloc(1, sizeof(*cfg));
	size_t i, ci = 0;

	if (p->dir == NULL)
		p->dir = ".";
	cfg->path = xstrdup(p->file);
	cfg->dir = xstrdup(p->dir);
	p->data = data;
	p->len = len;
	p->cur = CUR_NONE;
	lex(p);
	apply_gateway(p, cfg);
	cfg->channels =
	    xcalloc(p->nchans ? p->nchans : 1, sizeof(*cfg->channels));
	for (i = 0; i < p->nsections; i++) {
		if (p->sections[i].kind != SEC_CHANNEL)
			continue;
		apply_channel(p, cfg, &p->sections[i], &cfg->channels[ci++]);
		cfg->nchannels = ci;
	}
	cross_checks(p, cfg);
	apply_reports(p, cfg);
	apply_campaigns(p, cfg);
	apply_events(p, cfg);
	apply_open311(p, cfg);
	return cfg;
}

static struct config_errors *
errors_new(void)
{
	return xcalloc(1, sizeof(struct config_errors));
}

static int
finish(struct parser *p, struct config_errors **errsp)
{
	struct config_errors *e = p->errs;

	parser_free(p);
	if (e->n > 1)
		qsort(e->v, e->n, sizeof(*e->v), error_cmp);
	*errsp = e;
	return (int)config_errors_count(e);
}

int
config_parse_buffer(const char *data, size_t len, const char *name,
    const char *dir, struct config **cfgp, struct config_errors **errsp)
{
	struct parser p;

	memset(&p, 0, sizeof(p));
	p.file = name;
	p.dir = dir;
	p.errs = errors_new();
	if (len > CONFIG_MAX_FILE) {
		finding(&p, 0, "file is larger than %d bytes", CONFIG_MAX_FILE);
		/* Still return a config of defaults, as promised. */
		*cfgp = parse(&p, "", 0);
	} else {
		*cfgp = parse(&p, data, len);
	}
	return finish(&p, errsp);
}

/* The absolute folder of path, or its plain dirname when that fails. */
static char *
folder_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir, *real;

	if (slash == NULL)
		dir = xstrdup(".");
	else if (slash == path)
		dir = xstrdup("/");
	else
		dir = xstrndup(path, (size_t)(slash - path));
	if ((real = realpath(dir, NULL)) != NULL) {
		free(dir);
		dir = xstrdup(real);
		free(real);
	}
	return dir;
}

int
config_load(
    const char *path, struct config **cfgp, struct config_errors **errsp)
{
	struct parser p;
	struct stat st;
	char *data = NULL, *dir;
	size_t n = 0;
	ssize_t r;
	int fd, count;

	*cfgp = NULL;
	memset(&p, 0, sizeof(p));
	p.file = path;
	p.errs = errors_new();
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		finding(&p, 0, "cannot open: %s", strerror(errno));
		return finish(&p, errsp);
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		finding(&p, 0, "is a folder, not a config file");
		close(fd);
		return finish(&p, errsp);
	}
	/* Read at most one byte more than allowed, to detect larger files. */
	data = xmalloc(CONFIG_MAX_FILE + 1);
	while (n < CONFIG_MAX_FILE + 1) {
		r = read(fd, data + n, CONFIG_MAX_FILE + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			finding(&p, 0, "cannot read: %s", strerror(errno));
			close(fd);
			free(data);
			return finish(&p, errsp);
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	config_errors_free(p.errs);
	dir = folder_of(path);
	count = config_parse_buffer(data, n, path, dir, cfgp, errsp);
	free(dir);
	free(data);
	return count;
}

static void
free_fields(enum section_kind kind, void *base)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (config_keys[i].kind == kind)
			field_free(&config_keys[i], base);
}

void
config_free(struct config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->nchannels; i++) {
		free_fields(SEC_CHANNEL, &cfg->channels[i]);
		free(cfg->channels[i].name);
	}
	free(cfg->channels);
	for (i = 0; i < cfg->nreport_texts; i++) {
		free(cfg->report_texts[i].status);
		free(cfg->report_texts[i].lang);
		free(cfg->report_texts[i].src);
		template_free(cfg->report_texts[i].tmpl);
	}
	free(cfg->report_texts);
	for (i = 0; i < cfg->ncampaigns; i++) {
		struct config_campaign *c = &cfg->campaigns[i];
		size_t j;

		free_fields(SEC_CAMPAIGN, c);
		free(c->name);
		free(c->sends);
		for (j = 0; j < c->ntexts; j++) {
			free(c->texts[j].lang);
			template_free(c->texts[j].tmpl);
		}
		free(c->texts);
	}
	free(cfg->campaigns);
	for (i = 0; i < cfg->nevents; i++) {
		free_fields(SEC_EVENT, &cfg->events[i]);
		free(cfg->events[i].name);
	}
	free(cfg->events);
	free_fields(SEC_OPEN311, cfg);
	words_free(&cfg->open311_keys);
	free_fields(SEC_GATEWAY, cfg);
	if (cfg->database_password != NULL)
		explicit_bzero(
		    cfg->database_password, strlen(cfg->database_password));
	free(cfg->database_password);
	free(cfg->path);
	free(cfg->dir);
	free(cfg);
}

const struct channel_config *
config_channel(const struct config *cfg, const char *name)
{
	size_t i;

	if (cfg == NULL || name == NULL)
		return NULL;
	for (i = 0; i < cfg->nchannels; i++)
		if (cfg->channels[i].name != NULL &&
		    strcmp(cfg->channels[i].name, name) == 0)
			return &cfg->channels[i];
	return NULL;
}

int
config_runs_here(const struct config *cfg, const struct channel_config *cc)
{
	return cc->node == NULL ||
	       (cfg->node != NULL && strcmp(cc->node, cfg->node) == 0);
}

const char *
config_channel_type_name(enum channel_type t)
{
	if ((unsigned)t >= nitems(channel_type_names) - 1)
		return "unknown";
	return channel_type_names[t];
}

const char *
config_default_path(void)
{
	if (access("./baraza.conf", F_OK) == 0)
		return "./baraza.conf";
	return "/etc/baraza/baraza.conf";
}
