/*
 * flows_ref.c: loading the config's flows folder, and the reference-counted
 * flow set that serve swaps on reload while conversations that started on
 * the old set finish on it.
 */
#include <stdlib.h>
#include <string.h>

#include "flows/flow.h"
#include "gateway/gateway.h"

int
gateway_load_flows(const struct config *cfg, struct flowset **out,
    struct flow_findings *findings)
{
	struct flow_config fc;
	size_t i, limit = 0;

	memset(&fc, 0, sizeof(fc));
	fc.languages = (const char *const *)cfg->languages.v;
	fc.nlanguages = cfg->languages.n;
	/* The checker warns against the smallest screen of any channel. */
	for (i = 0; i < cfg->nchannels; i++)
		if (cfg->channels[i].ussd_max > 0 &&
		    (limit == 0 || (size_t)cfg->channels[i].ussd_max < limit))
			limit = (size_t)cfg->channels[i].ussd_max;
	fc.ussd_limit = limit;
	return flowset_load(cfg->flows, &fc, out, findings);
}

struct flows_ref *
flows_ref(struct gateway *gw)
{
	gw->flows->refs++;
	return gw->flows;
}

void
flows_unref(struct flows_ref *fr)
{
	if (fr == NULL || --fr->refs > 0)
		return;
	flowset_free(fr->set);
	free(fr);
}
