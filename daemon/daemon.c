/* Start and stop of keizokud: everything is created here, the loop
 * runs, everything is freed (loading is core/load.c, the end of each
 * loop turn core/loop.c). */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/diag.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "core/apply.h"
#include "core/beat.h"
#include "core/curlev.h"
#include "core/leader.h"
#include "core/daemon.h"
#include "core/load.h"
#include "core/loop.h"
#include "core/maint.h"
#include "core/outbox.h"
#include "core/plan-due.h"
#include "core/plugin.h"
#include "core/rota-live.h"
#include "core/sdnotify.h"
#include "core/sources.h"
#include "core/timer.h"
#include "core/triggerlog.h"
#include "daemon.h"
#include "front/control.h"
#include "front/http.h"
#include "front/jma.h"
#include "front/listen.h"
#include "front/web.h"
#include "model/config.h"
#include "model/plan.h"
#include "model/roster.h"
#include "model/runbook.h"
#include "model/template.h"
#include "store/store.h"
#include "common/ytree.h"

/* After a reload: feeds and silences follow the config now in force
 * (kz_reload calls this; the polled feeds are a front end). */
static void
reloaded(struct kz_daemon *d)
{
	jma_stop(d);
	sources_arm(d);
	jma_start(d);
	kz_triggers_prune_soon(d);
	beat_start(d);
}

static int	started;	/* the start's own recovery has run */

/* What a start does and a new leader does again: actions that were
 * running are interrupted (retried or failed per their step), rotas'
 * turn boundaries armed, timers that fell due meanwhile fired. */
static void
catch_up(struct kz_daemon *d)
{
	kz_actions_recover(d);
	/* Rotas: covers and outs in force, a timer per turn boundary (one
	 * passed while down is due now and fires below). */
	kz_rota_arm(d);
	if (store_in_tx(d->store))
		kz_loop_flush(d);
	kz_timers_rearm(d);
	/* Timers that fell due while we were down fire now. */
	kz_timers_run(d);
	if (store_in_tx(d->store))
		kz_loop_flush(d);
}

/* Leadership taken or lost (core/leader.c). Taken after the start (a
 * takeover), the new leader does what a start does: actions left running
 * by the last leader are interrupted, timers that fell due fire, feeds
 * are polled, notifications delivered. */
static void
on_lead(struct kz_daemon *d, int leading)
{
	if (!leading) {
		jma_stop(d);
		outbox_pause(d);
		kz_timers_rearm(d);	/* disarms */
		return;
	}
	if (!started)
		return;		/* the start's sequence follows */
	catch_up(d);
	jma_start(d);
	outbox_rescan(d);
}

/*
 * A stop waits for the actions under way to end (their results are then
 * recorded, not called interrupted at the next start), up to
 * STOP_WAIT_MS; at least STOP_MIN_MS go by, for the replies of the last
 * commit to go out. Nothing new starts meanwhile (d->stopping).
 */
#define STOP_MIN_MS	200
#define STOP_WAIT_MS	10000
#define STOP_POLL_MS	50

static void
stop_wait(evutil_socket_t fd, short ev, void *arg)
{
	struct kz_daemon	*d = arg;
	static int64_t		 since;
	int64_t			 now = mono_ms();
	struct timeval		 tv = { 0, STOP_POLL_MS * 1000 };
	int			 n;

	if (fd == -1 && ev == 0)
		since = now;
	n = kz_actions_running();
	if (now - since >= STOP_MIN_MS && (n == 0 || now - since >=
	    STOP_WAIT_MS)) {
		if (n > 0)
			log_warnx("stopping with %d action%s still running: "
			    "called interrupted at the next start", n,
			    n == 1 ? "" : "s");
		event_base_loopexit(d->base, NULL);
		return;
	}
	event_base_once(d->base, -1, EV_TIMEOUT, stop_wait, d, &tv);
}

static void
signal_cb(evutil_socket_t sig, short ev, void *arg)
{
	struct kz_daemon	*d = arg;
	json_t			*errors = NULL;

	switch (sig) {
	case SIGHUP:
		kz_reload(d, &errors);
		json_decref(errors);
		break;
	case SIGTERM:
	case SIGINT:
		if (d->stopping) {
			/* A second one: no more waiting for actions. */
			log_warnx("%s again: exiting now", sig == SIGTERM ?
			    "SIGTERM" : "SIGINT");
			event_base_loopexit(d->base, NULL);
			break;
		}
		log_info("%s: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
		sd_notify_msg("STOPPING=1");
		d->stopping = 1;
		control_stop(d->control);
		kz_loop_flush(d);
		/* Requests still waiting for a batch: refused, to be sent
		 * again. */
		kz_later_flush(d);
		stop_wait(-1, 0, d);
		break;
	}
}

/*
 * The loop. libevent runs every callback that is ready before it looks
 * for I/O again; with many ready at once (a burst of webhooks) that
 * makes one long turn. Here it looks again after 2 ms of callbacks, so
 * signals, timers and new connections (/healthz) are seen; what was
 * ready stays queued in order, the batch commit after the requests that
 * were ready before it. How much work a batch takes in is bounded in
 * batch.c: past that, requests wait their turn cheaply (loop.c).
 */
static struct event_base *
loop_new(void)
{
	struct event_config	*cfg;
	struct event_base	*base;
	struct timeval		 tv = { 0, 2000 };

	if ((cfg = event_config_new()) == NULL ||
	    event_config_set_max_dispatch_interval(cfg, &tv, -1, 0) == -1 ||
	    (base = event_base_new_with_config(cfg)) == NULL)
		fatalx("cannot create the event loop");
	event_config_free(cfg);
	return base;
}

static void
watchdog_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct kz_daemon *d = arg;

	/* Only a loop that turns and a database that answers is alive. */
	if (store_ping(d->store) == 0)
		sd_notify_msg("WATCHDOG=1");
}

int
kz_daemon_run(const char *conf_path)
{
	struct kz_daemon	 dd, *d = &dd;
	struct diags		 dg = { 0 };
	struct event		*sigs[4], *wd = NULL, *drills_ev, *prune_ev;
	const int		 signos[4] = { SIGHUP, SIGTERM, SIGINT, 0 };
	char			*why = NULL, *dbpath;
	const char		*wdusec;
	size_t			 i;

	memset(d, 0, sizeof *d);
	d->conf_path = xstrdup(conf_path);
	d->reloaded = reloaded;
	d->started_at = clock_now();
	if ((d->conf = config_load(conf_path, &dg)) == NULL) {
		for (i = 0; i < dg.n; i++)
			log_warnx("%s", dg.msgs[i]);
		fatalx("%s: invalid config, not starting", conf_path);
	}
	/* Reports and notifications are written in the config's zone,
	 * whatever the service's environment says. */
	tz_set(d->conf->timezone);
	signal(SIGPIPE, SIG_IGN);
	if (mkdir(d->conf->state_dir, 0750) == -1 && errno != EEXIST)
		fatal("cannot create state directory %s", d->conf->state_dir);
	if (strcmp(d->conf->store_backend, "postgresql") == 0)
		dbpath = xstrdup(d->conf->store_dsn);
	else
		dbpath = xprintf("%s/keizoku.db", d->conf->state_dir);
	if ((d->store = store_open(d->conf->store_backend, dbpath, &why)) ==
	    NULL)
		fatalx("%s", why);
	log_info("database %s", strcmp(d->conf->store_backend, "sqlite") ==
	    0 ? dbpath : store_label(d->store));
	free(dbpath);
	d->base = loop_new();
	kz_loop_init(d);
	d->curl = curlev_new(d->base);
	d->plugins = plugins_load(d->conf->plugins, d->base, d->curl, &dg);
	kz_load(d, &dg);
	diag_free(&dg);
	if (maint_load(d) == -1)
		fatalx("cannot read the maintenance windows: %s",
		    store_errmsg(d->store));
	d->outbox = outbox_new(d);
	{
		struct kz_fdbudget fdb;

		kz_fdbudget(d->conf->http_max_conns, d->conf->ctl_max_clients,
		    &fdb);
		d->http_max = fdb.http_max;
		d->ctl_max = fdb.ctl_max;
	}
	if ((d->control = control_listen(d, d->conf->socket,
	    d->conf->socket_mode, &why)) == NULL)
		fatalx("%s", why);
	d->web = web_new(d);
	if (kz_http_start(d, &why) == -1)
		fatalx("%s", why);
	for (i = 0; signos[i] != 0; i++) {
		sigs[i] = evsignal_new(d->base, signos[i], signal_cb, d);
		evsignal_add(sigs[i], NULL);
	}
	/* On PostgreSQL: the lock is tried once now; the recovery below is
	 * the leader's (a follower's gates let nothing through). */
	leader_start(d, on_lead);
	catch_up(d);
	drills_ev = kz_plan_drills_start(d);
	sources_arm(d);
	if (store_in_tx(d->store))
		kz_loop_flush(d);
	prune_ev = kz_triggers_prune_start(d);
	if (store_in_tx(d->store))
		kz_loop_flush(d);
	jma_start(d);
	beat_start(d);
	if (store_in_tx(d->store))
		kz_loop_flush(d);
	outbox_kick(d);
	started = 1;
	if ((wdusec = getenv("WATCHDOG_USEC")) != NULL) {
		long long	us;
		struct timeval	tv;

		if (parse_i64(wdusec, &us) == 0 && us > 0) {
			tv.tv_sec = us / 2000000;
			tv.tv_usec = us / 2 % 1000000;
			wd = event_new(d->base, -1, EV_PERSIST, watchdog_cb, d);
			event_add(wd, &tv);
		}
	}
	log_info("keizokud %s ready: %zu runbooks, control %s%s%s", KZ_VERSION,
	    d->rbs->n, d->conf->socket, d->conf->http_listen &&
	    *d->conf->http_listen ? ", http " : "", d->conf->http_listen ?
	    d->conf->http_listen : "");
	sd_notify_msg("READY=1");
	event_base_dispatch(d->base);
	/* Stopping: nothing further is accepted; what was committed stays.
	 * Actions queued and not launched are recorded as not started. */
	kz_work_free(d);
	if (store_in_tx(d->store))
		kz_loop_flush(d);
	kz_http_stop(d);
	jma_stop(d);
	beat_stop(d);
	leader_stop(d);
	web_free(d->web);
	d->web = NULL;
	for (i = 0; signos[i] != 0; i++)
		event_free(sigs[i]);
	if (wd != NULL)
		event_free(wd);
	event_free(drills_ev);
	event_free(prune_ev);
	outbox_free(d->outbox);
	plugins_free(d->plugins);
	kz_actions_free();
	curlev_free(d->curl);
	control_close(d->control);
	kz_loop_free(d);
	event_base_free(d->base);
	rbset_free(d->rbs);
	for (i = 0; i < d->nrbcache; i++)
		runbook_unref(d->rbcache[i]);
	free(d->rbcache);
	roster_free(d->roster);
	tmpl_cache_clear();
	kz_rota_free(d);
	plan_free(d->plan);
	maint_free(d);
	sources_free(d);
	store_close(d->store);
	strv_free(d->load_errors);
	json_decref(d->metrics.triggers);
	config_free(d->conf);
	free(d->conf_path);
	log_info("stopped");
	return 0;
}
