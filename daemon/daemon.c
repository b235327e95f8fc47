/* Start, reload and stop of keizokud. */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/config.h"
#include "front/control.h"
#include "front/jma.h"
#include "front/web.h"
#include "front/listen.h"
#include "core/beat.h"
#include "core/curlev.h"
#include "core/daemon.h"
#include "common/diag.h"
#include "engine/engine.h"
#include "common/log.h"
#include "core/maint.h"
#include "core/outbox.h"
#include "model/plan.h"
#include "core/plan-store.h"
#include "core/plugin.h"
#include "model/roster.h"
#include "model/runbook.h"
#include "core/sources.h"
#include "store/store.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "core/rota-live.h"
#include "common/ytree.h"
#include "model/xref.h"

static void
set_errors(struct kz_daemon *d, struct diags *dg)
{
	size_t i;

	strv_free(d->load_errors);
	d->load_errors = xcalloc(dg->n + (d->rbs ? d->rbs->nerrors : 0) + 1,
	    sizeof *d->load_errors);
	for (i = 0; i < dg->n; i++)
		d->load_errors[i] = xstrdup(dg->msgs[i]);
	for (size_t j = 0; d->rbs != NULL && j < d->rbs->nerrors; j++)
		d->load_errors[i++] = xstrdup(d->rbs->errors[j]);
	for (i = 0; d->load_errors[i] != NULL; i++)
		log_warnx("%s", d->load_errors[i]);
}

/* The roster; on reload, one that fails to load or whose references
 * into the config fail keeps the previous one in force. */
static void
load_roster(struct kz_daemon *d, struct diags *dg, int reload)
{
	struct roster *ro = roster_load(d->conf->roster, dg);

	if (ro != NULL && xref_roster(ro, d->conf, dg) > 0 && reload &&
	    d->roster != NULL) {
		roster_free(ro);
		ro = NULL;
	}
	if (ro != NULL) {
		roster_free(d->roster);
		d->roster = ro;
	} else if (d->roster != NULL)
		diag_warn(dg, d->conf->roster, 0, 0, "keeping the previous "
		    "roster in force");
	else
		d->roster = xcalloc(1, sizeof *d->roster);
}

/* Runbooks, checked against the roster, sources, channels and plan in
 * force; a runbook that fails keeps its previous version. */
static void
load_runbooks(struct kz_daemon *d)
{
	struct rbset		*set;
	struct rb_context	 ctx;
	char			**chans, **systems;
	size_t			 i;

	memset(&ctx, 0, sizeof ctx);
	chans = config_channel_names(d->conf);
	systems = d->plan != NULL ? plan_system_ids(d->plan) : NULL;
	ctx.roster = d->roster;
	ctx.check_action = d->plugins != NULL ?
		    plugins_check_action : NULL;
	ctx.check_arg = d->plugins;
	ctx.sources = d->conf->source_names;
	ctx.channels = chans;
	ctx.systems = systems;
	ctx.point_sources = d->conf->point_sources;
	set = rbset_load(d->conf->runbooks, &ctx, d->rbs);
	free(chans);
	free(systems);
	for (i = 0; i < set->n; i++)
		if (store_put_runbook(d->store, set->v[i]) == -1)
			log_warnx("cannot store runbook %s: %s", set->v[i]->id,
			    store_errmsg(d->store));
	rbset_free(d->rbs);
	d->rbs = set;
	log_info("loaded %zu runbooks from %s", set->n, d->conf->runbooks);
}

/* A new config whose references into the roster it names fail is
 * refused like one that does not load. */
static struct config *
reload_config(struct kz_daemon *d, struct diags *dg)
{
	struct diags	 tmp = { 0 };
	struct config	*c;
	struct roster	*ro;

	if ((c = config_load(d->conf_path, dg)) == NULL)
		return NULL;
	ro = roster_load(c->roster, &tmp);	/* its errors come later */
	diag_free(&tmp);
	if (xref_config(c, ro != NULL ? ro : d->roster, dg) > 0) {
		config_free(c);
		c = NULL;
	}
	roster_free(ro);
	return c;
}

int
kz_reload(struct kz_daemon *d, json_t **errors)
{
	struct diags	 dg = { 0 };
	struct config	*c;
	size_t		 i;

	log_info("reloading %s", d->conf_path);
	if ((c = reload_config(d, &dg)) != NULL) {
		/* The socket, state dir and listeners stay as started. */
		free(c->socket);
		c->socket = xstrdup(d->conf->socket);
		free(c->state_dir);
		c->state_dir = xstrdup(d->conf->state_dir);
		config_free(d->conf);
		d->conf = c;
		tz_set(d->conf->timezone);
	} else
		diag_warn(&dg, d->conf_path, 0, 0, "keeping the previous "
		    "config in force");
	load_roster(d, &dg, 1);
	kz_rota_arm(d);
	plan_store_load(d, &dg);
	load_runbooks(d);
	/* A silence's runbook must be one of them (SPEC §17). */
	config_check_runbooks(d->conf, d->rbs, &dg);
	set_errors(d, &dg);
	kz_plan_drills_check(d);
	/* Feeds and silences follow the config now in force. */
	jma_stop(d);
	sources_arm(d);
	jma_start(d);
	kz_triggers_prune_soon(d);
	beat_start(d);
	*errors = json_array();
	for (i = 0; d->load_errors[i] != NULL; i++)
		json_array_append_new(*errors, json_string(d->load_errors[i]));
	diag_free(&dg);
	return 0;
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
		log_info("%s: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
		sd_notify_msg("STOPPING=1");
		d->stopping = 1;
		control_stop(d->control);
		kz_commit_now(d);
		/* Requests still waiting for a batch: refused, to be sent
		 * again. */
		kz_later_flush(d);
		{
			/* A moment for replies of the last commit to go out. */
			struct timeval tv = { 0, 200000 };

			event_base_loopexit(d->base, &tv);
		}
		break;
	}
}

/* After a restart: actions whose start was committed were running when
 * the daemon stopped and are interrupted (the engine re-runs or fails
 * them per the step); those whose start was not never ran, and start
 * now. */
static void
recover_actions(struct kz_daemon *d)
{
	json_t	*rows = store_running_steps(d->store);
	size_t	 i;

	for (i = 0; rows != NULL && i < json_array_size(rows); i++) {
		json_t		*r = json_array_get(rows, i);
		struct incident	*inc;
		struct effects	 fx = { 0 };
		struct actx	 a;
		int		 status, ok = 0;

		if (json_integer_value(json_object_get(r, "started")) <
		    json_integer_value(json_object_get(r, "attempts"))) {
			kz_action_resume(d, json_integer_value(json_object_get(r,
			    "incident")), (int)json_integer_value(
			    json_object_get(r, "idx")), (int)json_integer_value(
			    json_object_get(r, "attempts")));
			continue;
		}
		memset(&a, 0, sizeof a);
		a.roster = d->roster;
		a.now = clock_now();
		a.actor = "keizokud";
		if (kz_op_begin(d) == -1)
			break;
		inc = kz_incident_load(d, json_integer_value(json_object_get(r,
		    "incident")), &status);
		if (inc != NULL) {
			engine_action_interrupted(&a, inc, (int)
			    json_integer_value(json_object_get(r, "idx")), &fx);
			ok = kz_apply(d, &a, inc, &fx) == 0;
			incident_free(inc);
		}
		effects_free(&fx);
		kz_op_end(d, ok, NULL, NULL);
	}
	json_decref(rows);
}

/*
 * The loop. libevent runs every callback that is ready before it looks
 * for I/O again; with many ready at once (a burst of webhooks) that
 * makes one long turn. Here it looks again after 2 ms of callbacks, so
 * signals, timers and new connections (/healthz) are seen; what was
 * ready stays queued in order, the batch commit after the requests that
 * were ready before it. How much work a batch takes in is bounded in
 * batch.c: past that, requests wait their turn cheaply.
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
	dbpath = xprintf("%s/keizoku.db", d->conf->state_dir);
	if ((d->store = store_open(dbpath, &why)) == NULL)
		fatalx("%s", why);
	log_info("database %s", dbpath);
	free(dbpath);
	d->base = loop_new();
	d->commit_ev = event_new(d->base, -1, 0, kz_commit_cb, d);
	d->timer_ev = evtimer_new(d->base, kz_timer_cb, d);
	kz_work_init(d);
	d->work_ev = evtimer_new(d->base, kz_work_cb, d);
	d->curl = curlev_new(d->base);
	d->plugins = plugins_load(d->conf->plugins, d->base, d->curl, &dg);
	/* At start every problem is reported and the daemon runs with
	 * what loads (a crisis is no time to refuse to start). */
	load_roster(d, &dg, 0);
	xref_config(d->conf, d->roster, &dg);
	plan_store_load(d, &dg);
	load_runbooks(d);
	/* A silence's runbook must be one of them (SPEC §17). */
	config_check_runbooks(d->conf, d->rbs, &dg);
	set_errors(d, &dg);
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
	recover_actions(d);
	/* Rotas: covers and outs in force, a timer per turn boundary (one
	 * passed while down is due now and fires below). */
	kz_rota_arm(d);
	if (store_in_tx(d->store))
		kz_commit_now(d);
	kz_timers_rearm(d);
	/* Timers that fell due while we were down fire now. */
	kz_timers_run(d);
	if (store_in_tx(d->store))
		kz_commit_now(d);
	drills_ev = kz_plan_drills_start(d);
	sources_arm(d);
	if (store_in_tx(d->store))
		kz_commit_now(d);
	prune_ev = kz_triggers_prune_start(d);
	if (store_in_tx(d->store))
		kz_commit_now(d);
	jma_start(d);
	beat_start(d);
	if (store_in_tx(d->store))
		kz_commit_now(d);
	outbox_kick(d);
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
		kz_commit_now(d);
	kz_http_stop(d);
	jma_stop(d);
	beat_stop(d);
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
	event_free(d->commit_ev);
	event_free(d->timer_ev);
	event_free(d->work_ev);
	event_base_free(d->base);
	rbset_free(d->rbs);
	for (i = 0; i < d->nrbcache; i++)
		runbook_unref(d->rbcache[i]);
	free(d->rbcache);
	roster_free(d->roster);
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
