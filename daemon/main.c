/* keizokud: runs an organisation's IT continuity plan. */
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/config.h"
#include "core/curlev.h"
#include "daemon.h"
#include "common/diag.h"
#include "common/log.h"
#include "model/plan.h"
#include "core/plugin.h"
#include "model/roster.h"
#include "model/runbook.h"
#include "model/safety.h"
#include "model/scenario.h"
#include "model/xref.h"
#include "store/store.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "common/ytree.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: keizokud [-c CONFIG] [-t] [-v] [-V]\n"
	    "       keizokud -c CONFIG --import-sqlite FILE\n"
	    "  -c CONFIG  config file (default /etc/keizoku/keizokud.yaml)\n"
	    "  -t         check config, roster, plan, plugins and every "
	    "runbook; print\n"
	    "             FILE:LINE:COL: message for each problem; exit 0 "
	    "if all valid\n"
	    "  -v         more logging (repeatable)\n"
	    "  -V         print the version\n"
	    "  --import-sqlite FILE\n"
	    "             copy a SQLite state file (keizoku.db) into the "
	    "empty\n"
	    "             PostgreSQL store of CONFIG, in one transaction, "
	    "and exit\n"
	    "See keizokud(8).\n");
}

/* The config's plan file checked as a reload would take it. */
static struct plan *
check_plan(const char *path, struct diags *dg)
{
	struct plan	*p;
	char		*text;
	size_t		 len;

	if ((text = read_file(path, &len)) == NULL) {
		diag_error(dg, path, 0, 0, "cannot read the plan: %s",
		    strerror(errno));
		return NULL;
	}
	p = plan_parse_checked(path, text, len, clock_now(), dg, NULL);
	free(text);
	return p;
}

/* -t: every problem of every file, then 0 or 1. */
static int
check(const char *path)
{
	struct diags		 dg = { 0 };
	struct config		*c;
	struct roster		*ro = NULL;
	struct plugins		*pl = NULL;
	struct rbset		*set = NULL;
	struct plan		*plan = NULL;
	struct rb_context	 ctx;
	char			**chans = NULL, **systems = NULL;
	size_t			 i, nerr = 0;

	memset(&ctx, 0, sizeof ctx);
	if ((c = config_load(path, &dg)) != NULL) {
		ro = roster_load(c->roster, &dg);
		xref_config(c, ro, &dg);
		xref_roster(ro, c, &dg);
		for (i = 0; ro != NULL && i < ro->nmembers; i++)
			if (ro->members[i].area != NULL &&
			    !safety_area_known(ro->members[i].area))
				diag_warn(&dg, c->roster, 0, 0, "member %s: "
				    "area \"%s\" is no prefecture or place "
				    "that an earthquake report names: a safety "
				    "check by area never asks this member",
				    ro->members[i].id, ro->members[i].area);
		pl = plugins_load(c->plugins, NULL, NULL, &dg);
		if (c->plan != NULL)
			plan = check_plan(c->plan, &dg);
		chans = config_channel_names(c);
		systems = plan != NULL ? plan_system_ids(plan) : NULL;
		ctx.roster = ro;
		ctx.check_action = pl != NULL ?
		    plugins_check_action : NULL;
		ctx.check_arg = pl;
		ctx.sources = c->source_names;
		ctx.channels = chans;
		ctx.systems = systems;
		ctx.point_sources = c->point_sources;
		set = rbset_load(c->runbooks, &ctx, NULL);
		config_check_runbooks(c, set, &dg);
		scenario_check_dir(c->scenarios, set, ro, &dg);
	}
	for (i = 0; i < dg.n; i++)
		printf("%s\n", dg.msgs[i]);
	nerr = dg.nerrors;
	for (i = 0; set != NULL && i < set->nerrors; i++) {
		printf("%s\n", set->errors[i]);
		if (strstr(set->errors[i], ": warning: ") == NULL)
			nerr++;
	}
	if (nerr == 0)
		fprintf(stderr, "%s: ok (%zu runbooks)\n", path,
		    set ? set->n : 0);
	else
		fprintf(stderr, "%s: %zu error%s\n", path, nerr, nerr == 1 ?
		    "" : "s");
	free(chans);
	free(systems);
	plan_free(plan);
	rbset_free(set);
	plugins_free(pl);
	roster_free(ro);
	config_free(c);
	diag_free(&dg);
	return nerr == 0 ? 0 : 1;
}

/* --import-sqlite FILE: into the config's PostgreSQL store, then exit. */
static int
import_sqlite(const char *path, const char *file)
{
	struct diags	 dg = { 0 };
	struct config	*c;
	char		*why = NULL;
	size_t		 i;
	int		 rc = 1;

	if ((c = config_load(path, &dg)) == NULL) {
		for (i = 0; i < dg.n; i++)
			fprintf(stderr, "%s\n", dg.msgs[i]);
		fprintf(stderr, "keizokud: %s: invalid config, nothing "
		    "imported\n", path);
		diag_free(&dg);
		return 1;
	}
	diag_free(&dg);
	if (strcmp(c->store_backend, "postgresql") != 0)
		fprintf(stderr, "keizokud: --import-sqlite copies into "
		    "PostgreSQL, but %s has store backend %s (set store: "
		    "{backend: postgresql, dsn: ...})\n", path,
		    c->store_backend);
	else if (store_import_sqlite(file, c->store_dsn, stdout, &why) == -1)
		fprintf(stderr, "keizokud: %s\n", why);
	else
		rc = 0;
	free(why);
	config_free(c);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "import-sqlite", required_argument, NULL, 'I' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*conf = "/etc/keizoku/keizokud.yaml", *import = NULL;
	int		 ch, test = 0, verbose = 0;

	setlocale(LC_CTYPE, "C.UTF-8");
	while ((ch = getopt_long(argc, argv, "c:htvV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		case 't':
			test = 1;
			break;
		case 'v':
			verbose++;
			break;
		case 'V':
			printf("keizokud %s\n", KZ_VERSION);
			return 0;
		case 'I':
			import = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	log_init("keizokud", verbose);
	clock_init();
	if (test)
		return check(conf);
	if (import != NULL)
		return import_sqlite(conf, import);
	return kz_daemon_run(conf);
}
