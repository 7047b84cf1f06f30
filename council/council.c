/*
 * council.c: the council's routes and services, registered with the core
 * (struct gateway_ext) so that the core never names the layer above it.
 */
#include "council/api_common.h"
#include "council/broadcast.h"
#include "council/campaign.h"
#include "council/console.h"
#include "council/console_auth.h"
#include "council/council.h"
#include "council/event_sender.h"
#include "council/import.h"
#include "council/open311.h"
#include "council/privacy.h"
#include "council/reader.h"
#include "council/reports.h"
#include "lib/util.h"

static const struct gateway_route routes[] = {
    {"/api/v1/", "broadcasts", broadcast_api},
    {"/api/v1/", "reports", api_reports},
    {"/api/v1/", "reports.csv", api_reports},
    {"/api/v1/", "tables", api_tables},
    /* Search and retry; sending and one message stay the core's. */
    {"/api/v1/", "messages", api_messages},
    {"/api/v1/", "contacts", api_contacts},
    {"/api/v1/", "overview", api_overview},
    {"/api/v1/", "flows", api_flows},
    {"/api/v1/", "simulate", api_simulate},
    {"/api/v1/", "notify", api_notify},
    {"/api/v1/", "topics", api_topics},
    {"/api/v1/", "me", console_auth_api},
    {"/api/v1/", "audit", console_auth_api},
    {"/api/v1/", "users", console_auth_api},
    {"/open311/v2/", "", open311_handle},
    /* Before the console's pages: POST login and logout are ours. */
    {"/console/", "login", console_auth_console},
    {"/console/", "logout", console_auth_console},
    {"/console/", "", console_files},
};

static const struct gateway_service services[] = {
    {"privacy", privacy_start, privacy_stop},
    {"console_auth", console_auth_start, console_auth_stop},
    {"simulate", api_simulate_start, api_simulate_stop},
    {"events", event_sender_start, event_sender_stop},
    {"open311", open311_start, open311_stop},
    {"campaign", campaign_start, campaign_stop},
    {"broadcast", broadcast_pump_start, broadcast_pump_stop},
    /* Before the overview: its reads go through the reader. */
    {"reader", council_reader_start, council_reader_stop},
    {"overview", api_overview_start, api_overview_stop},
};

const struct gateway_ext council_ext = {
    routes,
    nitems(routes),
    services,
    nitems(services),
};
