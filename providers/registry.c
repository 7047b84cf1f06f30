/*
 * registry.c: the provider of each channel type. Apart from provider.c so
 * that the shared helpers there and the providers that use them do not
 * call each other in a circle.
 */
#include <stddef.h>

#include "providers/provider.h"

const struct provider_ops *
provider_for(enum channel_type type)
{
	switch (type) {
	case CHANNEL_AFRICASTALKING:
		return &provider_africastalking;
	case CHANNEL_TWILIO:
		return &provider_twilio;
	case CHANNEL_KANNEL:
		return &provider_kannel;
	case CHANNEL_HTTP:
		return &provider_http;
	case CHANNEL_INFOBIP:
		return &provider_infobip;
	case CHANNEL_VONAGE:
		return &provider_vonage;
	case CHANNEL_GAMMU:
	case CHANNEL_SMPP:
		break;
	}
	return NULL;
}
