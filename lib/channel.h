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
	CHANNEL_SMPP,
	CHANNEL_INFOBIP,
	CHANNEL_VONAGE,
};

/* bind = for an smpp channel. */
enum smpp_bind_mode {
	SMPP_BIND_MODE_TRX = 0, /* one bind_transceiver link */
	SMPP_BIND_MODE_SPLIT,   /* a transmitter and a receiver link */
};

/* long = for an smpp channel: how a message over one segment goes out. */
enum smpp_long {
	SMPP_LONG_UDH = 0, /* parts with a concatenation UDH */
	SMPP_LONG_SAR,     /* parts with the sar_* TLVs */
	SMPP_LONG_PAYLOAD, /* one submit_sm with message_payload */
};

/* signature_method = for a vonage channel (its dashboard's choice). */
enum vonage_sig {
	VONAGE_SIG_MD5HASH = 0, /* md5 of the sorted parameters and secret */
	VONAGE_SIG_MD5,         /* HMAC-MD5 */
	VONAGE_SIG_SHA1,        /* HMAC-SHA1 */
	VONAGE_SIG_SHA256,      /* HMAC-SHA256 */
	VONAGE_SIG_SHA512,      /* HMAC-SHA512 */
	VONAGE_SIG_AUTO,        /* unset: by the sig's length, 32 md5hash */
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
	char *webhook_secret_previous; /* also taken while a provider moves
					  to webhook_secret, or NULL */
	int allow_unsigned;        /* 1: the channel may lack what authenticates
				 its webhooks (config_channel_unsigned) */
	struct rate rate;          /* outbound throttle: 20/s, gammu 6/min */
	int64_t max_age_ms;        /* stop retrying after this; 24h */
	char *fallback;            /* name of another channel, or NULL */
	int64_t fallback_after_ms; /* down this long: the queue goes there */
	int ussd_max;              /* characters in a USSD screen; 182 */
	/* A decimal in [gateway] currency, or NULL (config_channel_cost()). */
	char *cost_per_segment;
	/* A decimal in [gateway] currency, or NULL: no budget
	   (config_channel_budget()). */
	char *daily_budget;

	/* africastalking and kannel. */
	char *username; /* required for both */
	/* africastalking, infobip and vonage. */
	char *api_key; /* required */
	/* kannel and smpp. */
	char *password; /* required (kannel also requires api_url) */
	/* vonage. */
	char *api_secret;       /* required */
	char *signature_secret; /* checks its webhooks' sig */
	int signature_method;   /* enum vonage_sig; sha256 */
	/* twilio. */
	char *account_sid; /* required */
	char *auth_token;  /* required */
	char *public_url;  /* scheme and host the provider calls (Twilio
			      signatures, delivery report URLs), or NULL */
	/* http. */
	char
	    *signing_key; /* HMAC-SHA256 key, or NULL (http requires api_url) */
	char *signing_key_previous; /* also checks webhooks while the sender
				       moves to signing_key, or NULL */
	/* gammu. */
	char *device;                 /* required; resolved like a path */
	char *connection;             /* Gammu connection; "at" */
	char *node;                   /* the node that runs it, or NULL */
	char *model;                  /* Gammu model; "" */
	char *pin;                    /* SIM PIN, or NULL */
	int64_t poll_interval_ms;     /* 5s */
	int64_t multipart_timeout_ms; /* 10m */
	char *balance_ussd;           /* airtime check code, or NULL */
	int64_t balance_interval_ms;  /* 6h */
	int balance_alert;            /* warn below this balance; 0 = never */
	int delivery_reports;         /* ask the network for them; yes */
	/* smpp. */
	char *host;              /* the SMSC's host name or address; required */
	int port;                /* 2775 */
	char *system_id;         /* required, at most 15 characters */
	char *system_type;       /* "" */
	int bind;                /* enum smpp_bind_mode; transceiver */
	char *source_addr;       /* or NULL: the sender, else the SMSC's */
	int source_ton;          /* 0 */
	int source_npi;          /* 0 */
	int dest_ton;            /* 1 */
	int dest_npi;            /* 1 */
	int window;              /* submit_sm awaiting their resp; 10 */
	int64_t enquire_link_ms; /* enquire_link after this idle; 30s */
	int long_mode;           /* enum smpp_long; udh */
};

#endif
