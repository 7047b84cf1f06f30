/*
 * serve.c: `baraza serve`: start-up, signals, flow reloads and the drained
 * stop of the gateway.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flows/memo.h"
#include "gateway/channel.h"
#include "gateway/dispatch.h"
#include "gateway/gateway.h"
#include "gateway/hooks.h"
#include "gateway/ingress.h"
#include "gateway/metrics.h"
#include "gateway/modems.h"
#include "lib/log.h"
#include "lib/util.h"
#include "providers/provider.h"

#define STOP_EXIT_MS 500       /* of stop_timeout, kept for the exit itself */
#define RELOAD_DEBOUNCE_MS 200 /* edits closer than this reload once */
#define HOUSEKEEPING_MS (5 * 60 * 1000)         /* expired sessions purged */
#define NODE_FORGET_MS (7 * 24 * 3600 * 1000LL) /* a node gone so long */

/*
 * Descriptors kept out of the HTTP server's reach, beyond those open when
 * it starts taking connections (counted then): the store's later ones (the
 * checkpointer's WAL, the WAL opened to sync it, SQLite's own), outbound
 * requests (curl's cache of 32 connections and its resolver; plus its
 * parallel connections to each provider's host), each modem (its worker's
 * socket and the pipes of a restart) and some slack (log rotation,
 * /dev/urandom, a CSV export). The last FD_GUARD descriptors never carry
 * an HTTP connection, whatever the count says.
 */
#define FD_RESERVE_STORE 8
#define FD_RESERVE_OUTBOUND 32
#define FD_RESERVE_MODEM 4
#define FD_RESERVE_SLACK 16
#define FD_GUARD 16
/* The HTTP server keeps at least this many connections however few. */
#define FD_MIN_CONNS 4

/*
 * Reloads every flow at once. A set with errors is refused whole: the old
 * one keeps serving and the errors are logged.
 */
static void
reload_flows(struct gateway *gw, const char *why)
{
	struct flow_findings f;
	struct flowset *set;
	struct flows_ref *fr;

	flow_findings_init(&f);
	if (gateway_load_flows(gw->cfg, &set, &f) != 0) {
		flow_findings_log(&f, "flows");
		log_error("flows",
		    "reload refused, the previous flows keep serving "
		    "reason=%s errors=%zu",
		    why, f.nerrors);
		gw->serve.reload_failures++;
		flow_findings_free(&f);
		return;
	}
	flow_findings_log(&f, "flows");
	flow_findings_free(&f);
	fr = xcalloc(1, sizeof(*fr));
	fr->set = set;
	fr->refs = 1;
	flows_unref(gw->flows);
	gw->flows = fr;
	gw->serve.reloads++;
	log_info("flows", "reloaded reason=%s flows=%zu files=%zu", why,
	    set->nflows, set->nfiles);
}

static void
on_reload_timer(uv_timer_t *t)
{
	struct serve *sv = container_of(t, struct serve, reload_timer);
	struct gateway *gw = container_of(sv, struct gateway, serve);

	reload_flows(gw, "change");
}

static void
on_flows_changed(uv_fs_event_t *h, const char *name, int events, int status)
{
	struct serve *sv = container_of(h, struct serve, flows_watch);

	(void)events;
	if (status < 0) {
		log_warn("flows", "watching the folder failed error=%s",
		    uv_strerror(status));
		return;
	}
	/* Editors write temporary files; only *.flow files matter. */
	if (name != NULL) {
		size_t n = strlen(name);

		if (n < 5 || strcmp(name + n - 5, ".flow") != 0)
			return;
	}
	uv_timer_start(
	    &sv->reload_timer, on_reload_timer, RELOAD_DEBOUNCE_MS, 0);
}

/* The config file's size and modification time, as text ("" if none). */
static void
conf_stamp(const struct config *cfg, char *out, size_t size)
{
	struct stat sb;

	out[0] = '\0';
	if (cfg->path != NULL && stat(cfg->path, &sb) == 0)
		snprintf(out, size, "%lld.%lld.%ld", (long long)sb.st_size,
		    (long long)sb.st_mtim.tv_sec, (long)sb.st_mtim.tv_nsec);
}

static void
on_sighup(uv_signal_t *s, int signum)
{
	struct serve *sv = container_of(s, struct serve, sighup);
	struct gateway *gw = container_of(sv, struct gateway, serve);
	char now[sizeof(sv->conf_seen)];

	(void)signum;
	/* The config is read at start only: a change to it is said. */
	conf_stamp(gw->cfg, now, sizeof(now));
	if (strcmp(now, sv->conf_seen) != 0) {
		log_warn("gateway",
		    "the config changed since the start: a reload takes the "
		    "flows only, restart to apply it path=%s",
		    gw->cfg->path);
		memcpy(sv->conf_seen, now, sizeof(now));
	}
	reload_flows(gw, "SIGHUP");
}

static void
on_closed(uv_handle_t *h)
{
	(void)h;
}

/* Every few minutes: expired sessions go (abandoned USSD ones above all). */
static void
on_housekeeping(uv_timer_t *t)
{
	struct serve *sv = container_of(t, struct serve, housekeeping);
	struct gateway *gw = container_of(sv, struct gateway, serve);
	int n;

	if (gw->stopping || batch_begin(&gw->batch) != 0)
		return;
	if ((n = store_session_purge(gw->store, now_ms())) > 0)
		log_debug("gateway", "expired sessions removed count=%d", n);
	/* USSD texts on both stores; flood windows and nodes on PostgreSQL. */
	{
		int64_t now = now_ms(), m;

		m = store_shared_purge(gw->store,
		    now - gw->cfg->sender_limit.period_ms,
		    now - INGRESS_USSD_KEEP_MS, now - NODE_FORGET_MS);
		if (m > 0)
			log_debug("gateway",
			    "passed flood windows, USSD texts and nodes "
			    "removed count=%lld",
			    (long long)m);
	}
}

/*
 * Nodes on one PostgreSQL database: says every STORE_NODE_BEAT_MS that
 * this node lives, and queues again what a node not heard from for
 * STORE_NODE_LEASE_MS (killed, its machine lost) left "sending".
 */
static void
on_beat(uv_timer_t *t)
{
	struct serve *sv = container_of(t, struct serve, beat);
	struct gateway *gw = container_of(sv, struct gateway, serve);
	int64_t now = now_ms(), other = 0;
	int n;

	if (gw->stopping || batch_begin(&gw->batch) != 0 ||
	    store_node_beat(gw->store, sv->instance, now, &other) != 0)
		return;
	if (other > 0 && now - other < STORE_NODE_LEASE_MS &&
	    (sv->twin_warned == 0 || now - sv->twin_warned >= 60000)) {
		sv->twin_warned = now;
		log_warn("gateway",
		    "another gateway serves this database under this node's "
		    "name: give each node its own name (node = in [gateway]) "
		    "node=%s",
		    gw->cfg->node ? gw->cfg->node : "(default)");
	}
	if ((n = store_queue_sweep(gw->store, now, STORE_NODE_LEASE_MS)) > 0)
		log_warn("gateway",
		    "messages a stopped node was sending are queued again "
		    "count=%d",
		    n);
	ingress_adopt(gw);
}

static char *listen_string(const struct config_addr *);

/*
 * This node's name: node = in [gateway], else HOST/ADDRESS:PORT, which
 * two gateways on one machine cannot share.
 */
static char *
node_name(const struct config *cfg)
{
	char host[256], *addr, *name;

	if (cfg->node != NULL)
		return xstrdup(cfg->node);
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	addr = listen_string(&cfg->listen);
	name = xasprintf("%s/%s", host, addr);
	free(addr);
	return name;
}

/*
 * Names this node in the store (its claims carry the name), and on
 * PostgreSQL says it lives before it takes back its own claims, warning
 * when another gateway seems to serve under the same name.
 */
static void
node_start(struct gateway *gw)
{
	struct serve *sv = &gw->serve;
	char *name = node_name(gw->cfg);
	int64_t now = now_ms(), other = 0;

	store_set_node(gw->store, name);
	sv->instance = xasprintf("%ld.%lld", (long)getpid(), (long long)now);
	if (store_is_postgres(gw->cfg->database)) {
		if (store_node_beat(gw->store, sv->instance, now, &other) ==
			0 &&
		    other > 0 && now - other < STORE_NODE_LEASE_MS) {
			sv->twin_warned = now;
			log_warn("gateway",
			    "this node's name was heard from %lld ms ago: if "
			    "that is not this node's last run, give each node "
			    "its own name (node = in [gateway]) node=%s",
			    (long long)(now - other), name);
		}
		log_info("gateway", "node=%s", name);
	}
	free(name);
}

/* The client is closed: nothing is in flight; close the rest. */
static void
on_client_closed(struct client *c, void *arg)
{
	struct gateway *gw = arg;
	size_t i;

	(void)c;
	batch_close(&gw->batch);
	store_checkpoint_stop(&gw->checkpoint);
	dispatch_free(gw->dispatch);
	gw->dispatch = NULL;
	uv_close((uv_handle_t *)&gw->serve.sigterm, on_closed);
	uv_close((uv_handle_t *)&gw->serve.sigint, on_closed);
	uv_close((uv_handle_t *)&gw->serve.sighup, on_closed);
	uv_close((uv_handle_t *)&gw->serve.reload_timer, on_closed);
	uv_close((uv_handle_t *)&gw->serve.stop_timer, on_closed);
	uv_close((uv_handle_t *)&gw->serve.housekeeping, on_closed);
	uv_close((uv_handle_t *)&gw->serve.beat, on_closed);
	parts_stop(gw);
	for (i = 0; gw->ext != NULL && i < gw->ext->nservices; i++)
		if (gw->ext->services[i].stop != NULL)
			gw->ext->services[i].stop(gw, &gw->services[i]);
	if (gw->serve.watching)
		uv_close((uv_handle_t *)&gw->serve.flows_watch, on_closed);
}

/*
 * The stop goes in two steps: the HTTP server drains (requests in flight
 * are answered after their commit) while the dispatcher lets its requests
 * to providers finish; when both are done the client closes (cancelling
 * fetches, whose messages were stored and are handled at the next start),
 * the last batch commits, and the loop runs out of handles.
 */
static void
on_client_out_closed(void *arg)
{
	struct gateway *gw = arg;

	gw->outbound = NULL;
	gw->out.ct = NULL;
	client_shutdown(&gw->client, on_client_closed, gw);
}

static void
maybe_closed(struct gateway *gw)
{
	struct serve *sv = &gw->serve;

	if (sv->http_done && sv->dispatch_done && sv->smpp_done &&
	    !sv->client_closing) {
		sv->client_closing = 1;
		/* The providers' thread first (idle by now), then the rest. */
		if (gw->outbound != NULL)
			client_thread_shutdown(
			    gw->outbound, on_client_out_closed, gw);
		else
			client_shutdown(&gw->client, on_client_closed, gw);
		batch_flush(&gw->batch);
	}
}

static void
on_http_done(struct http_server *srv)
{
	struct gateway *gw = container_of(srv, struct gateway, http);

	gw->serve.http_done = 1;
	maybe_closed(gw);
}

static void
on_dispatch_stopped(void *arg)
{
	struct gateway *gw = arg;

	gw->serve.dispatch_done = 1;
	maybe_closed(gw);
}

static void
on_smpp_stopped(struct gateway *gw)
{
	gw->serve.smpp_done = 1;
	maybe_closed(gw);
}

static void
on_stop_timer(uv_timer_t *t)
{
	struct serve *sv = container_of(t, struct serve, stop_timer);
	struct gateway *gw = container_of(sv, struct gateway, serve);

	/*
	 * Requests did not finish in time. Every acknowledged message is
	 * committed already, so leaving now loses nothing; messages still
	 * "sending" are queued again at the next start.
	 */
	log_warn("gateway", "stop timed out, exiting with requests in flight");
	store_close(gw->store);
	exit(0);
}

static void
on_stop_signal(uv_signal_t *s, int signum)
{
	struct gateway *gw = s->data;

	if (gw->stopping)
		return;
	gw->stopping = 1;
	log_info("gateway", "stopping signal=%s",
	    signum == SIGTERM ? "SIGTERM" : "SIGINT");
	uv_timer_start(&gw->serve.stop_timer, on_stop_timer,
	    (uint64_t)(gw->cfg->stop_timeout_ms - STOP_EXIT_MS), 0);
	http_server_shutdown(&gw->http, on_http_done);
	dispatch_stop(gw->dispatch, on_dispatch_stopped, gw);
	modems_stop(gw);
	smscs_stop(gw, on_smpp_stopped);
}

static void
on_walk_left(uv_handle_t *h, void *arg)
{
	(void)arg;
	log_warn("gateway", "handle left open type=%s closing=%d",
	    uv_handle_type_name(uv_handle_get_type(h)), uv_is_closing(h));
}

/* The soft open-file limit, capped to what an int holds. */
static long long
nofile_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -1;
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (rlim_t)INT_MAX)
		return INT_MAX;
	return (long long)rl.rlim_cur;
}

/*
 * Raises the soft open-file limit to the hard one (the usual soft limit of
 * 1,024 is far below the HTTP server's 10,000 connections). Where the hard
 * limit is unlimited or above what the kernel allows, the first of 2^20,
 * 2^19, ... that it takes.
 */
static void
raise_nofile(void)
{
	struct rlimit rl;
	rlim_t was, want;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		log_warn("gateway", "cannot read the open files limit error=%s",
		    strerror(errno));
		return;
	}
	was = rl.rlim_cur;
	want = rl.rlim_max;
	while (want > was) {
		rl.rlim_cur = want;
		if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
			break;
		want = want > ((rlim_t)1 << 20) ? (rlim_t)1 << 20 : want / 2;
	}
	log_info("gateway", "open files limit=%lld was=%lld", nofile_limit(),
	    was == RLIM_INFINITY ? -1LL : (long long)was);
}

/* Descriptors open now (Linux, or probed up to the first 4,096 elsewhere). */
static int
count_open_fds(void)
{
	struct dirent *e;
	DIR *d;
	int n = 0, fd;

	if ((d = opendir("/proc/self/fd")) != NULL) {
		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] != '.')
				n++;
		closedir(d);
		return n > 0 ? n - 1 : 0; /* the folder's own */
	}
	for (fd = 0; fd < 4096; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			n++;
	return n;
}

/*
 * Caps the HTTP server's connections to what the open-file limit leaves
 * once the rest of the gateway has its descriptors: min(max_conns, limit -
 * reserve). Called when everything else has started.
 */
static void
cap_connections(struct gateway *gw)
{
	const struct config *cfg = gw->cfg;
	struct http_limits l;
	long long nofile = nofile_limit(), avail, cap;
	int used, keep, nmodems = 0, capped, n;
	long hosts = 0, per_host = CLIENT_MAX_HOST_CONNECTIONS;
	size_t i;

	if (nofile < 0) {
		log_warn("gateway", "open files limit unknown, connections "
				    "capped at max_conns only");
		return;
	}
	/*
	 * Each provider's channel keeps up to its requests in flight
	 * (dispatch_channel_inflight), a connection each: never fewer than
	 * CLIENT_MAX_HOST_CONNECTIONS, a fast channel more.
	 */
	_Static_assert(DISPATCH_MAX_INFLIGHT >= CLIENT_MAX_HOST_CONNECTIONS,
	    "a channel's least in flight covers curl's first cap to a host");
	for (i = 0; i < cfg->nchannels; i++) {
		if (cfg->channels[i].type == CHANNEL_GAMMU) {
			nmodems++;
			continue;
		}
		n = dispatch_channel_inflight(&cfg->channels[i]);
		hosts += n;
		if (n > per_host)
			per_host = n;
	}
	used = count_open_fds();
	keep = FD_RESERVE_STORE + FD_RESERVE_OUTBOUND + (int)hosts +
	       nmodems * FD_RESERVE_MODEM + FD_RESERVE_SLACK;
	avail = nofile - used - keep;
	if (avail < FD_MIN_CONNS) {
		log_warn("gateway",
		    "open files limit too low, raise it (LimitNOFILE=, "
		    "ulimit -n) limit=%lld open=%d reserve=%d",
		    nofile, used, keep);
		avail = FD_MIN_CONNS;
	}
	/*
	 * Outbound requests stay within their share of the reserve: the
	 * providers' hosts' connections and the rest (fetches, events), on
	 * the requests' thread when it runs, else on the loop's client.
	 */
	if (gw->outbound == NULL)
		capped = client_set_max_connections(
		    &gw->client, FD_RESERVE_OUTBOUND + hosts, per_host);
	else
		capped = client_thread_set_max_connections(
		    gw->outbound, FD_RESERVE_OUTBOUND + hosts, per_host);
	if (capped != 0)
		log_warn("gateway", "cannot cap outbound connections");
	http_limits_default(&l);
	cap = avail < (long long)l.max_conns ? avail : (long long)l.max_conns;
	http_server_set_cap(&gw->http, (unsigned)cap,
	    nofile > 2 * FD_GUARD ? (int)(nofile - FD_GUARD) : 0);
	log_info("http",
	    "connections capped max=%lld files=%lld open=%d reserve=%d", cap,
	    nofile, used, keep);
}

/*
 * The database and its -wal and -shm files are created 0600. One that
 * others may read was made so by hand or before that: it is left as it is
 * (an operator may want a backup group to read it) and logged.
 */
static void
warn_loose_modes(const char *db)
{
	static const char *const suffix[] = {"", "-wal", "-shm"};
	struct stat st;
	char *path;
	size_t i;

	if (strcmp(db, ":memory:") == 0)
		return;
	for (i = 0; i < nitems(suffix); i++) {
		path = xasprintf("%s%s", db, suffix[i]);
		if (stat(path, &st) == 0 && (st.st_mode & 077) != 0)
			log_warn("store",
			    "the database is readable by others, chmod 600 "
			    "it unless that is meant path=%s mode=%04o",
			    path, (unsigned)(st.st_mode & 07777));
		free(path);
	}
}

/* Formats the configured listen address for http_server_listen. */
static char *
listen_string(const struct config_addr *a)
{
	if (strchr(a->host, ':') != NULL)
		return xasprintf("[%s]:%d", a->host, a->port);
	return xasprintf("%s:%d", a->host, a->port);
}

/*
 * Loads the flows, then opens the store (queueing again what was in
 * flight at the last stop): flows with errors refuse the start before the
 * database is created or migrated. Returns 0, or -1 with the reason on
 * stderr and nothing left open.
 */
static int
open_store_flows(struct gateway *gw)
{
	const struct config *cfg = gw->cfg;
	struct flow_findings f;
	struct flowset *set;
	char *err = NULL;
	int rc;

	flow_findings_init(&f);
	if (gateway_load_flows(cfg, &set, &f) != 0) {
		flow_findings_sort(&f);
		flow_findings_print(&f, stderr);
		fprintf(stderr, "baraza: the flows in %s have %zu error%s\n",
		    cfg->flows, f.nerrors, f.nerrors == 1 ? "" : "s");
		flow_findings_free(&f);
		return -1;
	}
	/*
	 * With durability full, the gateway syncs the WAL itself from the
	 * thread pool before anything is acknowledged (group commit, see
	 * batch.h): its connection does not fsync inside COMMIT.
	 */
	if (store_open_db(cfg->database, cfg->database_password, 0, &gw->store,
		&err) != 0) {
		fprintf(stderr, "baraza: %s\n", err ? err : cfg->database);
		free(err);
		flow_findings_free(&f);
		flowset_free(set);
		return -1;
	}
	warn_loose_modes(cfg->database);
	node_start(gw);
	if ((rc = store_queue_recover(gw->store, now_ms())) > 0)
		log_warn("gateway",
		    "messages in flight at the last stop are queued again "
		    "count=%d",
		    rc);
	flow_findings_log(&f, "flows");
	flow_findings_free(&f);
	gw->flows = xcalloc(1, sizeof(*gw->flows));
	gw->flows->set = set;
	gw->flows->refs = 1;
	return 0;
}

/*
 * Starts the HTTP server on the configured address. Returns 0, or -1 with
 * the reason on stderr and the store and flows closed again.
 */
static int
start_http(struct gateway *gw)
{
	char *addr;
	int rc;

	/*
	 * The sockets on a thread of their own (issue 13): accepting, reading,
	 * parsing and writing never wait for the store or the flows.
	 */
	if ((rc = http_server_init_thread(
		 &gw->http, gw->loop, NULL, router_handle, gw)) != 0) {
		log_warn("http",
		    "the server stays on the loop: its thread cannot start "
		    "error=%s",
		    uv_strerror(rc));
		if ((rc = http_server_init(
			 &gw->http, gw->loop, NULL, router_handle, gw)) != 0)
			fatalx("http: %s", uv_strerror(rc));
	}
	(void)http_server_set_headers(&gw->http, HTTP_SECURITY_HEADERS);
	/* interfaces.md: the admin API's errors are JSON, its 413s too. */
	http_server_set_json_errors(&gw->http, "/api/");
	/* Webhooks are decoded (signatures too) where they are read. */
	http_server_set_prepare(&gw->http, hooks_prepare, (void *)gw->cfg);
	addr = listen_string(&gw->cfg->listen);
	if ((rc = http_server_listen(&gw->http, addr)) != 0) {
		fprintf(stderr, "baraza: cannot listen on %s: %s\n", addr,
		    uv_strerror(rc));
		free(addr);
		/* The server holds handles: close them, then leave. */
		http_server_shutdown(&gw->http, NULL);
		uv_run(gw->loop, UV_RUN_DEFAULT);
		flows_unref(gw->flows);
		store_close(gw->store);
		return -1;
	}
	free(addr);
	return 0;
}

/* The signals, the timers and the watch of the flows folder. */
static void
start_handles(struct gateway *gw)
{
	struct serve *sv = &gw->serve;
	int rc;

	conf_stamp(gw->cfg, sv->conf_seen, sizeof(sv->conf_seen));
	uv_signal_init(gw->loop, &sv->sigterm);
	uv_signal_init(gw->loop, &sv->sigint);
	uv_signal_init(gw->loop, &sv->sighup);
	sv->sigterm.data = sv->sigint.data = gw;
	uv_signal_start(&sv->sigterm, on_stop_signal, SIGTERM);
	uv_signal_start(&sv->sigint, on_stop_signal, SIGINT);
	uv_signal_start(&sv->sighup, on_sighup, SIGHUP);
	uv_timer_init(gw->loop, &sv->reload_timer);
	uv_timer_init(gw->loop, &sv->stop_timer);
	uv_timer_init(gw->loop, &sv->housekeeping);
	uv_timer_start(&sv->housekeeping, on_housekeeping, HOUSEKEEPING_MS,
	    HOUSEKEEPING_MS);
	uv_unref((uv_handle_t *)&sv->housekeeping);
	parts_start(gw);
	uv_timer_init(gw->loop, &sv->beat);
	if (store_is_postgres(gw->cfg->database)) {
		uv_timer_start(
		    &sv->beat, on_beat, STORE_NODE_BEAT_MS, STORE_NODE_BEAT_MS);
		uv_unref((uv_handle_t *)&sv->beat);
	}
	if (uv_fs_event_init(gw->loop, &sv->flows_watch) == 0) {
		sv->watching = 1;
		if ((rc = uv_fs_event_start(&sv->flows_watch, on_flows_changed,
			 gw->cfg->flows, 0)) != 0)
			log_warn("flows",
			    "cannot watch the folder, reload with SIGHUP "
			    "dir=%s error=%s",
			    gw->cfg->flows, uv_strerror(rc));
	}
}

/*
 * The core: the batch (after the HTTP server, so that the commit runs
 * before its flush), checkpoints, the client, the dispatcher and what
 * carries its channels, the ingress, then the services above the core.
 */
static void
start_core(struct gateway *gw)
{
	const struct config *cfg = gw->cfg;
	const struct gateway_ext *ext = gw->ext;
	size_t i;

	batch_init(&gw->batch, gw->loop, gw->store);
	/*
	 * A SQLite file's WAL: synced by the gateway (group commit) and
	 * checkpointed in the thread pool, not inside a webhook's commit.
	 * PostgreSQL's COMMIT is durable on its own (synchronous_commit on).
	 */
	if (store_is_postgres(cfg->database))
		;
	else if (cfg->durability == DURABILITY_FULL) {
		char *wal = xasprintf("%s-wal", cfg->database);

		batch_sync_wal(&gw->batch, wal);
		free(wal);
	}
	if (!store_is_postgres(cfg->database) &&
	    store_checkpoint_start(&gw->checkpoint, gw->loop, cfg->database) ==
		0)
		store_wal_hook(
		    gw->store, store_checkpoint_kick, &gw->checkpoint);
	client_init(&gw->client, gw->loop);
	if (cfg->public_url != NULL)
		gw->public_base = xstrdup(cfg->public_url);
	else
		gw->public_base =
		    xasprintf(strchr(cfg->listen.host, ':') ? "http://[%s]:%d"
							    : "http://%s:%d",
			cfg->listen.host, http_server_port(&gw->http));
	gw->dispatch = dispatch_new(gw->loop, cfg, gw->store, &gw->batch);
	/*
	 * Every outbound request (providers' sends, flows' fetches, event
	 * webhooks) runs on a thread of its own: the second core (issue 13),
	 * and no socket waits while the loop waits on the store (issue 16).
	 */
	gw->out.client = &gw->client;
	gw->out.ct = gw->outbound = client_thread_start(gw->loop);
	if (gw->outbound == NULL)
		log_warn("gateway", "outbound requests stay on the loop: "
				    "their thread cannot start");
	channel_open_providers(gw->dispatch, cfg, &gw->out, gw->public_base);
	ingress_init(&gw->ingress);
	gw->ingress.shared = store_is_postgres(cfg->database);
	modems_start(gw);
	smscs_start(gw);
	gw->services = xcalloc(
	    (ext != NULL ? ext->nservices : 0) + 1, sizeof(*gw->services));
	for (i = 0; ext != NULL && i < ext->nservices; i++)
		if (ext->services[i].start != NULL)
			ext->services[i].start(gw, &gw->services[i]);
	ingress_recover(gw);
}

/* The lines that say the gateway runs, and how. */
static void
log_started(struct gateway *gw)
{
	const struct config *cfg = gw->cfg;
	size_t i;

	log_info("http", "listening addr=%s:%d",
	    strchr(cfg->listen.host, ':') ? "[::]" : cfg->listen.host,
	    http_server_port(&gw->http));
	log_info("gateway", "started version=%s flows=%zu channels=%zu",
	    PACKAGE_VERSION, gw->flows->set->nflows, cfg->nchannels);
	for (i = 0; i < cfg->nchannels; i++) {
		const char *key =
		    config_channel_unsigned(cfg, &cfg->channels[i]);

		if (key != NULL)
			log_warn("gateway",
			    "channel takes unauthenticated webhooks "
			    "(allow_unsigned = yes) channel=%s missing=%s",
			    cfg->channels[i].name, key);
	}
}

void *
gateway_service_state(
    const struct gateway *gw, void (*start)(struct gateway *, void **))
{
	size_t i;

	for (i = 0;
	     gw->ext != NULL && gw->services != NULL && i < gw->ext->nservices;
	     i++)
		if (gw->ext->services[i].start == start)
			return gw->services[i];
	return NULL;
}

int
serve_main(
    struct config *cfg, const char *exe_path, const struct gateway_ext *ext)
{
	struct gateway gw;
	char *err = NULL;
	int lock_fd, rc;

	memset(&gw, 0, sizeof(gw));
	gw.cfg = cfg;
	gw.ext = ext;
	gw.exe_path = exe_path;
	gw.loop = uv_default_loop();
	gw.started_ms = now_ms();
	log_set_level(cfg->log_level);

	/*
	 * The lock that tells `baraza restore` a gateway serves this
	 * database, held shared until the process ends (store.h).
	 */
	if ((rc = store_lock(cfg->database, 0, &lock_fd, &err)) != 0) {
		if (rc == STORE_LOCKED)
			fprintf(stderr,
			    "baraza: %s is being restored (%s.lock is held); "
			    "start the gateway once the restore is done\n",
			    cfg->database, cfg->database);
		else
			fprintf(stderr, "baraza: %s\n", err);
		free(err);
		return 1;
	}
	if ((rc = store_lock_serving(lock_fd)) != 0) {
		if (rc == STORE_SERVED)
			fprintf(stderr,
			    "baraza: another gateway serves %s (it holds "
			    "%s.lock): stop it first, or give this one a "
			    "database of its own\n",
			    cfg->database, cfg->database);
		else
			fprintf(stderr, "baraza: %s.lock: cannot lock: %s\n",
			    cfg->database, strerror(errno));
		close(lock_fd);
		return 1;
	}
	if (open_store_flows(&gw) != 0) {
		if (lock_fd >= 0)
			close(lock_fd);
		return 1;
	}
	/* Here, so that a start that fails on its config says one line. */
	raise_nofile();
	if (start_http(&gw) != 0) {
		if (lock_fd >= 0)
			close(lock_fd);
		return 1;
	}
	start_handles(&gw);
	start_core(&gw);
	cap_connections(&gw);
	log_started(&gw);

	uv_run(gw.loop, UV_RUN_DEFAULT);

	ingress_free(&gw.ingress);
	memo_clear(); /* the sessions the loop read and wrote (flows/memo.c) */
	metrics_free(&gw);
	flows_unref(gw.flows);
	store_close(gw.store);
	free(gw.public_base);
	free(gw.services);
	free(gw.serve.instance);
	if (uv_loop_close(gw.loop) != 0) {
		uv_walk(gw.loop, on_walk_left, NULL);
		log_warn("gateway", "handles left open at exit");
	}
	log_info("gateway", "stopped");
	if (lock_fd >= 0)
		close(lock_fd);
	return 0;
}
