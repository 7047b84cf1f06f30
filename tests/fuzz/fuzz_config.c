/*
 * fuzz_config.c: libFuzzer target for the config parser (config.c), fed
 * whole files from memory. Every input must end in a config and a list of
 * findings that free cleanly, whatever it holds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gateway/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct config *cfg = NULL;
	struct config_errors *errs = NULL;
	size_t i;
	int n;

	if (devnull == NULL && (devnull = fopen("/dev/null", "w")) == NULL)
		return 0;
	/* Relative paths resolve under a folder that does not exist. */
	n = config_parse_buffer(
	    (const char *)data, size, "fuzz.conf", "/nonexistent", &cfg, &errs);
	if (cfg == NULL || errs == NULL || n < 0 ||
	    (size_t)n != config_errors_count(errs))
		__builtin_trap();
	config_errors_print(errs, devnull);
	/* Walk what was built, as the gateway would. */
	for (i = 0; i < cfg->nchannels; i++)
		if (config_channel(cfg, cfg->channels[i].name) == NULL)
			__builtin_trap();
	if (n == 0 && cfg->languages.n == 0)
		__builtin_trap();
	config_free(cfg);
	config_errors_free(errs);
	return 0;
}
