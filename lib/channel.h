/*
 * channel.h: what a configured channel is, as plain data: the one
 * definition that the config loader (gateway/config.c) fills and that the
 * provider layer (providers/) and the modem layer (modem/) read. It sits in
 * lib/ because those two layers are peers and neither may include the
 * gateway; it holds no code.
 *
 * Ownership: the strings belong to the struct config that holds the
 * channel (config_free() releases them).
 */
#ifndef BARAZA_CHANNEL_H
#define BARAZA_CHANNEL_H

#include <stdint.h>

/* An event rate: at most count events per period_ms milliseconds. */
struct rate {
	int64_t count;     /* events, at least 1 */
	int64_t period_ms; /* period: 1000, 60000, 3600000 or 86400000 */
};

/* Channel types; config_channel_type_name() gives their names. */
enum channel_type {
	CHANNEL_AFRICASTALKING = 0,
	CHANNEL_TWILIO,
	CHANNEL_KANNEL,
	CHANNEL_GAMMU,
	CHANNEL_HTTP,
};

/*
 * One [channel NAME] section. Keys that do not apply to the channel's type
 * keep NULL or 0. Strings that are unset and have no default are NULL.
 */
struct channel_config {
	char *name;             /* the NAME of [channel NAME], [a-z0-9_-]+ */
	enum channel_type type; /* type = */
	int line;               /* line of the section header */

	/* Keys valid for every type. */
	char *sender;         /* shortcode or sender id, or NULL */
	char *api_url;        /* provider base URL without trailing '/', or
				 NULL (gammu); africastalking and twilio have
				 defaults */
	char *webhook_secret; /* webhooks must carry ?secret=... or the
				 header X-Baraza-Secret, or NULL */
	int allow_unsigned;   /* 1: the channel may lack what authenticates
				 its webhooks (config_channel_unsigned) */
	struct rate rate;     /* outbound throttle: 20/s, gammu 6/min */
	int64_t max_age_ms;   /* stop retrying after this; 24h */
	char *fallback;       /* name of another channel, or NULL */
	int ussd_max;         /* characters in a USSD screen; 182 */
	/* A decimal in [gateway] currency, or NULL (config_channel_cost()). */
	char *cost_per_segment;
	/* A decimal in [gateway] currency, or NULL: no budget
	   (config_channel_budget()). */
	char *daily_budget;

	/* africastalking and kannel. */
	char *username; /* required for both */
	/* africastalking. */
	char *api_key; /* required */
	/* kannel. */
	char *password; /* required (kannel also requires api_url) */
	/* twilio. */
	char *account_sid; /* required */
	char *auth_token;  /* required */
	char *public_url;  /* scheme and host the provider calls (Twilio
			      signatures, delivery report URLs), or NULL */
	/* http. */
	char
	    *signing_key; /* HMAC-SHA256 key, or NULL (http requires api_url) */
	/* gammu. */
	char *device;                 /* required; resolved like a path */
	char *connection;             /* Gammu connection; "at" */
	char *model;                  /* Gammu model; "" */
	char *pin;                    /* SIM PIN, or NULL */
	int64_t poll_interval_ms;     /* 5s */
	int64_t multipart_timeout_ms; /* 10m */
	char *balance_ussd;           /* airtime check code, or NULL */
	int64_t balance_interval_ms;  /* 6h */
	int balance_alert;            /* warn below this balance; 0 = never */
	int delivery_reports;         /* ask the network for them; yes */
};

#endif
