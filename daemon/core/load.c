/* Loading what keizokud runs on (load.h): the config, the roster, the
 * runbooks (each version stored), the plan; and reloading them. */
#include <stdlib.h>
#include <string.h>

#include "common/diag.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "core/daemon.h"
#include "core/load.h"
#include "core/plan-due.h"
#include "core/plan-store.h"
#include "core/plugin.h"
#include "core/rota-live.h"
#include "model/config.h"
#include "model/plan.h"
#include "model/xref.h"
#include "model/roster.h"
#include "model/runbook.h"
#include "store/store.h"
#include "common/ytree.h"

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

/* The roster, then the plan (the runbooks are checked against its
 * systems), then the runbooks. At start every problem is reported and
 * the daemon runs with what loads (a crisis is no time to refuse to
 * start); on reload what fails keeps its previous version. */
static void
load_all(struct kz_daemon *d, struct diags *dg, int reload)
{
	load_roster(d, dg, reload);
	if (!reload)
		xref_config(d->conf, d->roster, dg);
	else
		kz_rota_arm(d);	/* at start, once actions are recovered */
	plan_store_load(d, dg);
	load_runbooks(d);
	/* A silence's runbook must be one of them (SPEC §17). */
	config_check_runbooks(d->conf, d->rbs, dg);
	set_errors(d, dg);
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
	load_all(d, &dg, 1);
	kz_plan_drills_check(d);
	if (d->reloaded != NULL)
		d->reloaded(d);
	*errors = json_array();
	for (i = 0; d->load_errors[i] != NULL; i++)
		json_array_append_new(*errors, json_string(d->load_errors[i]));
	diag_free(&dg);
	return 0;
}

void
kz_load(struct kz_daemon *d, struct diags *dg)
{
	load_all(d, dg, 0);
}
