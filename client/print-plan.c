/* Printers for the planning module and drills. */
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "keizoku.h"

/* Column orders for "plan show WHAT": the guideline's reading order
 * (what it is, how fast it must come back, how well it is protected). */
static const struct {
	const char		*what;
	const char *const	 order[11];
} plan_orders[] = {
	{ "tasks", { "id", "title", "rto", "priority", "alternative", NULL } },
	{ "systems", { "id", "title", "kind", "rto", "priority", "rlo",
	    "current_level", "target_level", "depends_on", "supports", NULL } },
	{ "gaps", { "system", "component", "priority", "current_level",
	    "current", "target_level", "target", "countermeasures",
	    "countermeasure", NULL } },
	{ "countermeasures", { "id", "system", "component", "target", "due",
	    "status", "cost", NULL } },
};

void
cli_pr_plan_import(struct cli_out *o, json_t *body)
{
	json_t	*w;
	size_t	 i;
	char	*rev, *hash, *tasks, *systems, *s;

	if (!json_is_object(body) || json_object_get(body, "revision") == NULL) {
		cli_print_generic(o, body, "");
		return;
	}
	rev = cli_get(body, "revision");
	hash = cli_get(body, "hash");
	tasks = cli_get(body, "tasks");
	systems = cli_get(body, "systems");
	fprintf(o->out, "plan revision %s imported: %s tasks, %s systems "
	    "(sha256 %.12s)\n", rev, tasks, systems, hash);
	json_array_foreach(json_object_get(body, "warnings"), i, w) {
		s = cli_scalar(w);
		cli_print_text(o->out, "warning: ", s);
		free(s);
	}
	free(systems);
	free(tasks);
	free(hash);
	free(rev);
}

static void
check_lines(struct cli_out *o, json_t *list, const char *kind)
{
	json_t	*e;
	size_t	 i;
	char	*code, *subject, *msg, *line, *safe;

	json_array_foreach(list, i, e) {
		if (!json_is_object(e)) {
			msg = cli_scalar(e);
			line = xprintf("%s: %s", kind, msg);
		} else {
			code = cli_get(e, "code");
			subject = cli_get(e, "subject");
			msg = cli_get(e, "message");
			line = xprintf("%s: [%s] %s: %s", kind, code, subject,
			    msg);
			free(subject);
			free(code);
		}
		safe = cli_oneline(line);
		fprintf(o->out, "%s\n", safe);
		free(safe);
		free(line);
		free(msg);
	}
}

void
cli_pr_plan_check(struct cli_out *o, json_t *body)
{
	json_t	*errors = json_object_get(body, "errors");
	json_t	*warnings = json_object_get(body, "warnings");
	size_t	 ne, nw;

	if (!json_is_array(errors) && !json_is_array(warnings)) {
		cli_print_generic(o, body, "");
		return;
	}
	check_lines(o, errors, "error");
	check_lines(o, warnings, "warning");
	ne = json_array_size(errors);
	nw = json_array_size(warnings);
	if (ne == 0 && nw == 0) {
		fputs("plan ok: no errors, no warnings\n", o->out);
		return;
	}
	fprintf(o->out, "%zu error%s, %zu warning%s%s\n", ne,
	    ne == 1 ? "" : "s", nw, nw == 1 ? "" : "s",
	    ne == 0 && nw > 0 && cli_getbool(o->params, "strict") ?
	    " (--strict: warnings count as errors)" : "");
}

void
cli_pr_plan_show(struct cli_out *o, json_t *body)
{
	const char	*what = cli_getstr(o->params, "what");
	size_t		 i;

	if (!json_is_array(body)) {
		cli_print_generic(o, body, "");
		return;
	}
	if (json_array_size(body) == 0) {
		fprintf(o->out, "no %s in the current plan\n",
		    what != NULL ? what : "entries");
		return;
	}
	for (i = 0; i < sizeof plan_orders / sizeof plan_orders[0]; i++) {
		if (what != NULL && strcmp(plan_orders[i].what, what) == 0) {
			cli_print_objects(o, body, plan_orders[i].order, "");
			return;
		}
	}
	cli_print_generic(o, body, "");
}

void
cli_pr_drill_list(struct cli_out *o, json_t *body)
{
	static const char *const order[] = { "name", "runbook", "file", NULL };
	json_t	*scenarios = json_object_get(body, "scenarios");
	json_t	*drills = json_object_get(body, "drills");

	if (!json_is_array(scenarios) && !json_is_array(drills)) {
		cli_print_generic(o, body, "");
		return;
	}
	fputs("scenarios:\n", o->out);
	if (json_array_size(scenarios) == 0)
		fputs("  (none)\n", o->out);
	else
		cli_print_objects(o, scenarios, order, "  ");
	fputs("\ndrills:\n", o->out);
	if (json_array_size(drills) == 0)
		fputs("  (none yet: keizoku drill start SCENARIO, or keizoku "
		    "activate RUNBOOK --drill)\n", o->out);
	else
		cli_incident_table(o, drills, "  ");
}

void
cli_pr_drill_start(struct cli_out *o, json_t *body)
{
	long long	 id;
	const char	*state = cli_getstr(body, "state");

	if (cli_getint(body, "incident", &id) == -1 || state == NULL) {
		cli_print_generic(o, body, "");
		return;
	}
	fprintf(o->out, "drill started: incident %lld %s [訓練 DRILL]\n"
	    "follow it with: keizoku show %lld\n", id, state, id);
}
