/*
 * council.h: what a council does with the core, as the core sees it: the
 * routes (admin API endpoints, Open311) and the services (the retention
 * purge) that `baraza serve` adds to the gateway.
 */
#ifndef BARAZA_COUNCIL_H
#define BARAZA_COUNCIL_H

#include "gateway/gateway.h"

/* The council's routes and services, for serve_main (static, never freed). */
extern const struct gateway_ext council_ext;

#endif
