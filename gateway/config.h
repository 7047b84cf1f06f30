/*
 * config.h: the gateway's INI config file (baraza.conf(5),
 * docs/baraza.conf.5).
 *
 * The file holds one [gateway] section, any number of [channel NAME]
 * sections and at most one [reports] section (the texts that tell a
 * reporter about a status change, see struct config_report_text) and any
 * number of [campaign NAME] sections (struct config_campaign). Every
 * key is declared once, in the static key table of config.c, with its
 * type, default and bounds. Loading checks everything it can (syntax,
 * unknown sections and keys, keys not valid for a channel type,
 * duplicates, bad values, missing required keys, cross references, channels
 * whose webhooks nothing authenticates) and collects every finding as
 * "FILE:LINE: error: message" (or "warning:", which does not make the file
 * bad: allow_unsigned = yes), so `baraza check` can show them all at once.
 *
 * Ownership: a struct config and everything it points to (strings, word
 * lists, the channel array) belong to the config and live until
 * config_free(). Callers may keep pointers into it for as long as they keep
 * the config; they never free its members themselves.
 */
#ifndef BARAZA_CONFIG_H
#define BARAZA_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/channel.h"

#define CONFIG_MAX_FILE (1024 * 1024) /* bytes in a config file */
#define CONFIG_MAX_LINE 2048          /* characters in a line */
#define CONFIG_MAX_CHANNELS 64        /* [channel NAME] sections */
#define CONFIG_MAX_NAME 32            /* characters in a channel name */
/*
 * What every secret of baraza.conf.example holds: a secret containing it is
 * a config error, so a copied example never serves with a published one.
 */
#define CONFIG_PLACEHOLDER "change-me"
#define CONFIG_MAX_ERRORS 200         /* findings kept; more are counted */
#define CONFIG_MAX_TOKEN_FILE 4096    /* bytes in an admin_token_file */
#define CONFIG_MAX_RATE_COUNT 1000000 /* the N of "N/period" */

/* A white-space separated list of words, in the order written. */
struct config_words {
	char **v; /* n words, then NULL; never NULL itself after loading */
	size_t n; /* number of words */
};

/* A listen address, "host:port" or "[v6addr]:port". */
struct config_addr {
	char *host; /* IPv4 literal, IPv6 literal (no brackets) or name */
	int port;   /* 0 to 65535; 0 picks a free port */
};

/* [gateway] durability. */
enum config_durability {
	DURABILITY_FULL = 0, /* fsync before any acknowledgement */
	DURABILITY_NORMAL, /* faster, may lose the last writes on power loss */
};

struct template;

/*
 * One key of [reports]: the SMS that tells a reporter their report reached
 * status, for contacts speaking lang. The key is the status name, optionally
 * followed by ".LL" for a language of languages; without it, lang is the
 * default language (the first of languages). The key feedback_text
 * (CONFIG_FEEDBACK_TEXT, with ".LL" likewise) is the question asked once a
 * report is resolved. The text is in the flow template syntax with the
 * placeholders {id}, {status}, {category}, {location} and {note}, compiled
 * once while loading.
 */
#define CONFIG_FEEDBACK_TEXT "feedback_text" /* its "status" */

struct config_report_text {
	char *status;          /* "acknowledged", "in_progress", ...,
				  or CONFIG_FEEDBACK_TEXT */
	char *lang;            /* ISO 639-1 code */
	char *src;             /* the text as written */
	struct template *tmpl; /* compiled; owned by the config */
	int line;              /* line of the key */
};

#define CONFIG_MAX_CAMPAIGNS 64 /* [campaign NAME] sections */
#define CONFIG_MAX_SENDS 16     /* entries of a campaign's send list */
#define CONFIG_MAX_OFFSET 366   /* days before or after a row's date */

/* One entry of a campaign's send list, "-3d 09:00". */
struct config_campaign_send {
	int days;   /* offset from the row's date, -366 to 366 */
	int minute; /* local time of day in minutes, 0 to 1439 */
};

/* A campaign's text in one language (docs/campaigns.md). */
struct config_campaign_text {
	char *lang;            /* ISO 639-1 code */
	struct template *tmpl; /* compiled; owned by the config */
	int line;              /* line of the text or translation */
};

/*
 * A [campaign NAME] section: a message to the phone of each row of a data
 * table, at each of the send times relative to the row's date. The text is
 * in the flow template syntax; its placeholders name columns of the table
 * ({name}, {balance}), which can only be checked when it runs.
 */
struct config_campaign {
	char *name;    /* [a-z0-9_-], 1 to CONFIG_MAX_NAME characters */
	int line;      /* line of the section */
	char *table;   /* the data table ([a-z_][a-z0-9_]*) */
	char *phone;   /* the column holding the phone number */
	char *date;    /* the column holding the date, YYYY-MM-DD */
	char *send;    /* the send list as written */
	char *text;    /* the default language's text as written */
	char *channel; /* a channel of the config, or NULL: the contact's
			  last channel, else default_channel */
	struct config_campaign_send *sends; /* nsends, as written */
	size_t nsends;
	struct config_campaign_text *texts; /* ntexts: the default
					       language's first, then the
					       translations; NULL when the
					       text is bad */
	size_t ntexts;
};

/* The events an [event NAME] section may ask for (config_event_name()). */
enum config_event_kind {
	CONFIG_EVENT_REPORT_CREATED, /* "report.created" */
	CONFIG_EVENT_REPORT_UPDATED, /* "report.updated" */
	CONFIG_EVENT_MESSAGE_IN,     /* "message.in" */
	CONFIG_EVENT_MESSAGE_FAILED, /* "message.failed" */
	CONFIG_EVENT_NKINDS
};

#define CONFIG_MAX_EVENTS 16 /* [event NAME] sections */

/*
 * An [event NAME] section: the events it names go to url as signed JSON
 * POSTs (docs/http.md, "Event webhooks"). Closed by default: url,
 * signing_key and events are required, and a phone number goes out only
 * with with_phone = yes.
 */
struct config_event {
	char *name;                /* [a-z0-9_-], 1 to CONFIG_MAX_NAME */
	int line;                  /* line of the section */
	char *url;                 /* http:// or https:// */
	char *signing_key;         /* signs X-Baraza-Signature */
	struct config_words names; /* the events as written */
	unsigned mask;             /* 1u << enum config_event_kind, each */
	int with_phone;            /* 1: numbers (and whole texts) go out */
	int64_t max_age_ms;        /* an event older than this is dropped */
};

/* The whole file. */
struct config {
	char *path;       /* the file as named to config_load, or the name
			      given to config_parse_buffer */
	char *dir;        /* its folder; relative paths are resolved here */
	int gateway_line; /* line of [gateway], 0 when the file has none */

	struct config_addr listen;         /* 127.0.0.1:8080 */
	char *database;                    /* SQLite file (baraza.db) or a
					      postgresql:// URI */
	char *database_password_file;      /* resolved path, or NULL */
	char *database_password;           /* its trimmed contents */
	char *flows;                       /* folder of *.flow files; flows */
	char *console_dir;                 /* the console's files; NULL: the
					      installed ones (console.c) */
	struct config_words languages;     /* ISO 639-1 codes, first is the
					    default; "en" */
	int64_t session_timeout_ms;        /* 15m */
	int64_t console_session_ms;        /* a console sign-in lasts this
					      long without use; 12h */
	char *admin_token;                 /* bearer token for /api/, from
					    admin_token or the trimmed
					    contents of admin_token_file;
					    NULL when neither is set */
	char *admin_token_file;            /* resolved path, or NULL */
	struct config_words stop_words;    /* STOP UNSUBSCRIBE STOPALL QUIT */
	struct config_words start_words;   /* START UNSTOP */
	struct config_words restart_words; /* MENU */
	char *stop_text;                   /* confirms opting out */
	char *start_text;                  /* confirms opting back in */
	char *error_text;                  /* when a flow fails */
	char *invalid_choice_text;         /* when a menu answer is wrong */
	char *default_channel;             /* channel for messages that are
					      not replies; the only channel
					      when unset and there is
					      exactly one; else NULL */
	char *country_code;                /* 1-3 digits, or "" meaning
					      numbers must be international */
	enum config_durability durability; /* full */
	struct rate sender_limit;          /* 20/min */
	int retention_days;                /* 365; 0 = keep forever */
	int log_level;                     /* enum log_level from log.h;
					       info */
	char *node;                        /* this node's name (node =), or
					      NULL: runs every modem */
	char *public_url;                  /* scheme and host where providers
					      reach the gateway (delivery
					      report URLs), or NULL: the
					      listen address over http */
	char *currency;                    /* ISO 4217 code of the channels'
					      cost_per_segment, or NULL */
	int channel_log_days;              /* the channel log is kept this
					      long; 7; 0 = not kept */
	int64_t ussd_resume_ms;            /* a USSD session cut off without
					      END may be taken up again this
					      long after its last step; 0:
					      never; 2m */
	char *resume_text;                 /* the resume menu's screen, may
					      hold line breaks */
	int64_t stop_timeout_ms;           /* a stop (SIGTERM) exits within
					      this long; 5s */

	struct channel_config *channels; /* nchannels, in file order */
	size_t nchannels;

	int reports_line; /* line of [reports], 0 when the file has none */
	struct config_report_text *report_texts; /* nreport_texts, in file
						    order, at most one per
						    (status, lang) */
	size_t nreport_texts;

	struct config_campaign *campaigns; /* ncampaigns, in file order */
	size_t ncampaigns;

	struct config_event *events; /* nevents [event NAME], in file order */
	size_t nevents;

	int open311_line;                 /* line of [open311], 0 when none */
	char *open311_api_keys;           /* the api_keys value as written */
	struct config_words open311_keys; /* its keys; n 0: no Open311 write */
	struct rate open311_rate;         /* POSTs per api key and per client
					  address; 30/min */
};

/* One finding. */
struct config_error {
	char *file;    /* the config file's name */
	int line;      /* 1-based; 0 for the whole file */
	char *message; /* without the "FILE:LINE: error: " prefix */
	int warning;   /* 1: a warning, which does not make the file bad */
};

/* All findings of one load, errors and warnings, sorted by line. */
struct config_errors {
	struct config_error *v; /* n findings */
	size_t n;
	size_t cap;
	size_t dropped;   /* errors beyond CONFIG_MAX_ERRORS, not kept
			     (warnings beyond it are not counted) */
	size_t nwarnings; /* warnings among the n kept */
};

/*
 * Loads the config file at path. Returns the number of errors (0 when
 * the file is good; warnings do not count). *errsp is always set to a
 * list the caller frees with config_errors_free(). *cfgp is set to a config the caller frees with
 * config_free(): with findings it is a best effort (bad values keep their
 * defaults) that only `baraza check` should use; it is NULL only when the
 * file could not be read at all.
 */
int config_load(
    const char *path, struct config **cfgp, struct config_errors **errsp);

/*
 * Same as config_load() for a file already in memory (len bytes, need not
 * be NUL-terminated): name is used in findings, dir resolves relative
 * paths (NULL: "."). The fuzz target uses this. *cfgp is never NULL.
 */
int config_parse_buffer(const char *data, size_t len, const char *name,
    const char *dir, struct config **cfgp, struct config_errors **errsp);

/* Frees a config and everything it owns; NULL is a no-op. */
void config_free(struct config *);

/*
 * Prints each finding as "FILE:LINE: error: message" (or "warning:") to
 * fp.
 */
void config_errors_print(const struct config_errors *, FILE *fp);

/* Number of errors, including the ones not kept; warnings do not count. */
size_t config_errors_count(const struct config_errors *);

/* Number of warnings kept. */
size_t config_warnings_count(const struct config_errors *);

/* Frees a list of findings; NULL is a no-op. */
void config_errors_free(struct config_errors *);

/* The channel called name, or NULL. The result is owned by cfg. */
const struct channel_config *
config_channel(const struct config *cfg, const char *name);

/*
 * 1 when this gateway runs channel cc's device: it names no node, or the
 * node [gateway] names (several nodes on one PostgreSQL database: a modem
 * is plugged into one machine).
 */
int config_runs_here(const struct config *cfg, const struct channel_config *cc);

/*
 * The compiled [reports] text for (status, lang) exactly, or NULL when the
 * file sets none (there is no fallback here: the caller picks the order).
 * The result is owned by cfg.
 */
const struct template *config_report_text(
    const struct config *cfg, const char *status, const char *lang);

/* The campaign called name, or NULL. The result is owned by cfg. */
const struct config_campaign *
config_campaign(const struct config *cfg, const char *name);

/*
 * The compiled text of campaign c for contacts speaking lang (NULL: the
 * default language): its translation into lang when it has one, else the
 * default language's text; NULL only for a campaign whose text is bad.
 * The result is owned by the config.
 */
const struct template *
config_campaign_text(const struct config_campaign *c, const char *lang);

/*
 * Parses one entry of a campaign's send list: an offset in days from the
 * row's date ("-3d", "0d", "+1d", at most CONFIG_MAX_OFFSET either way),
 * blanks, and a local time of day "HH:MM" (or "H:MM", 24-hour clock).
 * Returns 0 and fills *out, or -1 and sets *why (when not NULL) to a
 * static string saying what is wrong.
 */
int config_parse_send(
    const char *s, struct config_campaign_send *out, const char **why);

/* "report.created", ... (static strings); NULL past the kinds. */
const char *config_event_name(enum config_event_kind);

/* 1 when section ev (may be NULL) asks for events of kind, else 0. */
int config_event_wants(const struct config_event *ev, enum config_event_kind);

/*
 * Whether the webhooks of ch (a channel of cfg) are authenticated
 * (docs/security.md: closed by default). Returns NULL when they are, or
 * when the channel's type takes no webhooks (gammu); else the name of the
 * key that would authenticate them (a static string): "webhook_secret"
 * for africastalking and kannel, "signing_key" for http, "public_url" for
 * twilio (on the channel or in [gateway]). A config with such a channel
 * loads only when the channel says allow_unsigned = yes.
 */
const char *config_channel_unsigned(
    const struct config *cfg, const struct channel_config *ch);

/* "africastalking", "twilio", ... (static strings). */
const char *config_channel_type_name(enum channel_type);

/*
 * The config file used without -c: "./baraza.conf" if it exists, else
 * "/etc/baraza/baraza.conf". Returns a static string.
 */
const char *config_default_path(void);

/*
 * Parses a duration: digits then a unit, one of ms, s, m (or min), h, d:
 * "500ms", "30s", "15m", "6h", "2d". The unit is required, even for 0.
 * Returns 0 and stores milliseconds in *ms, or -1 on junk or overflow.
 */
int config_parse_duration(const char *s, int64_t *ms);

/*
 * Parses a rate "N/UNIT" with UNIT s (sec, second), m (min, minute),
 * h (hour) or d (day), and 1 <= N <= CONFIG_MAX_RATE_COUNT: "20/s",
 * "6/min", "100/h". Returns 0 and fills *r, or -1.
 */
int config_parse_rate(const char *s, struct rate *r);

/*
 * Parses a boolean: yes/no, true/false, on/off, 1/0 (any case). Returns 0
 * and stores 1 or 0 in *b, or -1.
 */
int config_parse_bool(const char *s, int *b);

#define CONFIG_MAX_DECIMAL 1000000000 /* whole part of a decimal, at most */

/*
 * Parses a decimal number of at least 0: digits, optionally a point and at
 * most 6 more digits ("0.80", "2", ".5"), the whole part at most
 * CONFIG_MAX_DECIMAL. Returns 0 and stores millionths in *micro (0.80
 * gives 800000), or -1.
 */
int config_parse_decimal(const char *s, int64_t *micro);

/*
 * A channel's cost_per_segment in millionths of the [gateway] currency:
 * returns 0 and sets *micro, or -1 when the channel (may be NULL) sets
 * none.
 */
int config_channel_cost(const struct channel_config *, int64_t *micro);

/*
 * A channel's daily_budget in millionths of the [gateway] currency:
 * returns 0 and sets *micro, or -1 when the channel (may be NULL) sets
 * none.
 */
int config_channel_budget(const struct channel_config *, int64_t *micro);

#endif
