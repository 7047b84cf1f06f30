/*
 * council.c: the council's routes and services, registered with the core
 * (struct gateway_ext) so that the core never names the layer above it.
 */
#include "council/broadcast.h"
#include "council/council.h"
#include "council/import.h"
#include "council/open311.h"
#include "council/privacy.h"
#include "council/reports.h"
#include "lib/util.h"

static const struct gateway_route routes[] = {
    {"/api/v1/", "broadcasts", broadcast_api},
    {"/api/v1/", "reports", reports_api},
    {"/api/v1/", "tables", import_api},
    {"/open311/v2/", "", open311_handle},
};

static const struct gateway_service services[] = {
    {"privacy", privacy_start, privacy_stop},
};

const struct gateway_ext council_ext = {
    routes,
    nitems(routes),
    services,
    nitems(services),
};
