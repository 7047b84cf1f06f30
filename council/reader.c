/*
 * reader.c: the council's reads in the thread pool (see reader.h).
 */
#include <string.h>

#include "council/reader.h"
#include "gateway/config.h"

void
council_reader_start(struct gateway *gw, void **state)
{
	const struct config *cfg = gw->cfg;

	*state = NULL;
	if (gw->loop == NULL || cfg == NULL || cfg->database == NULL ||
	    strcmp(cfg->database, ":memory:") == 0)
		return;
	*state = pool_reader_new(
	    gw->loop, cfg->database, cfg->database_password, "reader");
}

void
council_reader_stop(struct gateway *gw, void **state)
{
	(void)gw;
	pool_reader_stop(*state);
	*state = NULL;
}

int
council_read(
    struct gateway *gw, pool_read_fn read, pool_done_fn done, void *arg)
{
	struct pool_reader *r = gateway_service_state(gw, council_reader_start);

	if (r == NULL) {
		read(gw->store, arg);
		done(arg);
		return 0;
	}
	return pool_reader_submit(r, read, done, arg);
}
