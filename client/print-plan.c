/* Printers for the planning module and drills. */
#include <stdlib.h>
#include <string.h>

#include "common/duration.h"
#include "common/xmalloc.h"
#include "keizoku.h"

/* Columns of "plan show WHAT" (field names of docs/plan-format.md), in
 * the guideline's reading order: what it is, how fast it must come back,
 * how well it is protected. A field ending _s matches its name without
 * it and prints as a duration. Other fields stay in --json. */
static const struct {
	const char		*what;
	const char *const	 cols[12];
} plan_cols[] = {
	{ "tasks", { "id", "title", "rto", "priority", "alternative",
	    "systems", NULL } },
	{ "systems", { "id", "title", "kind", "rto", "priority", "rlo",
	    "current_level", "target_level", "depends_on", "supports", "gaps",
	    NULL } },
	{ "gaps", { "priority", "system", "title", "component", "current",
	    "target", "covered", "countermeasures", NULL } },
	{ "countermeasures", { "id", "priority", "system", "component",
	    "current", "target", "due", "status", "cost", "title", NULL } },
	{ "events", { "id", "type", "title", NULL } },
	{ "drills", { "type", "every", "last", "next_due", "note", NULL } },
};

static void
finding_lines(struct cli_out *o, json_t *list, const char *kind)
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
cli_pr_plan_import(struct cli_out *o, json_t *body)
{
	long long	 rev, tasks, systems;
	const char	*hash = cli_getstr(body, "hash");
	char		*file, *safe;
	size_t		 ne, nw;

	if (cli_getint(body, "revision", &rev) == -1 || hash == NULL) {
		cli_print_generic(o, body, "");
		return;
	}
	if (cli_getint(body, "tasks", &tasks) == -1)
		tasks = 0;
	if (cli_getint(body, "systems", &systems) == -1)
		systems = 0;
	file = cli_get(body, "file");
	safe = cli_oneline(file);
	if (cli_getbool(body, "unchanged"))
		fprintf(o->out, "plan unchanged: %s is revision %lld (sha256 "
		    "%.12s), %lld tasks, %lld systems\n", safe, rev, hash,
		    tasks, systems);
	else
		fprintf(o->out, "plan revision %lld imported from %s: %lld "
		    "tasks, %lld systems (sha256 %.12s)\n", rev, safe, tasks,
		    systems, hash);
	free(safe);
	free(file);
	finding_lines(o, json_object_get(body, "errors"), "error");
	finding_lines(o, json_object_get(body, "warnings"), "warning");
	ne = json_array_size(json_object_get(body, "errors"));
	nw = json_array_size(json_object_get(body, "warnings"));
	if (ne + nw > 0)
		fprintf(o->out, "plan check: %zu error%s, %zu warning%s\n", ne,
		    ne == 1 ? "" : "s", nw, nw == 1 ? "" : "s");
}

void
cli_pr_plan_check(struct cli_out *o, json_t *body)
{
	json_t	*errors = json_object_get(body, "errors");
	json_t	*warnings = json_object_get(body, "warnings");
	size_t	 ne, nw, nn;

	if (!json_is_array(errors) && !json_is_array(warnings)) {
		cli_print_generic(o, body, "");
		return;
	}
	/* A file's errors read best where they are: FILE:LINE:COL. */
	if (json_array_size(json_object_get(body, "diagnostics")) > 0) {
		json_t	*dv;
		size_t	 i;

		json_array_foreach(json_object_get(body, "diagnostics"), i, dv)
			cli_print_text(o->out, "", json_string_value(dv));
	} else
		finding_lines(o, errors, "error");
	finding_lines(o, warnings, "warning");
	ne = json_array_size(errors);
	nw = json_array_size(warnings);
	nn = json_array_size(json_object_get(body, "notes"));
	if (cli_getstr(body, "file") != NULL)
		fprintf(o->out, "%s: ", cli_getstr(body, "file"));
	if (ne == 0 && nw == 0)
		fputs("plan ok: no errors, no warnings", o->out);
	else
		fprintf(o->out, "%zu error%s, %zu warning%s%s", ne,
		    ne == 1 ? "" : "s", nw, nw == 1 ? "" : "s",
		    ne == 0 && (cli_getbool(o->params, "strict") ||
		    cli_getbool(body, "strict")) ?
		    " (--strict: warnings count as errors)" : "");
	/* Notes are the gaps: findings to plan for, not faults. */
	if (nn > 0)
		fprintf(o->out, "; %zu gap%s to the target levels (keizoku "
		    "plan show gaps)", nn, nn == 1 ? "" : "s");
	fputc('\n', o->out);
}

static int
col_matches(const char *key, const char *col)
{
	size_t n = strlen(col);

	return strcmp(key, col) == 0 || (strncmp(key, col, n) == 0 &&
	    strcmp(key + n, "_s") == 0);
}

/* The rows with only the listed columns, so the generic table does not
 * add every other field the daemon sends. Durations read as the plan
 * writes them ("1y", "26w"), not as days. */
static json_t *
only_cols(json_t *rows, const char *const *cols)
{
	json_t		*out = json_array(), *row, *o, *v;
	const char	*key;
	char		*s;
	size_t		 i, k;

	json_array_foreach(rows, i, row) {
		o = json_object();
		json_object_foreach(row, key, v) {
			for (k = 0; cols[k] != NULL; k++) {
				if (!col_matches(key, cols[k]))
					continue;
				if (strcmp(key, cols[k]) != 0 &&
				    json_is_integer(v)) {
					s = duration_fmt_years(
					    json_integer_value(v));
					json_object_set_new(o, key,
					    json_string(s));
					free(s);
				} else
					json_object_set(o, key, v);
			}
		}
		json_array_append_new(out, o);
	}
	return out;
}

/* Damage assumptions are a paragraph each: one block per event. */
static void
print_assumptions(struct cli_out *o, json_t *events)
{
	json_t		*e, *as, *v;
	const char	*key;
	char		*id, *title, *line, *safe;
	size_t		 i;

	json_array_foreach(events, i, e) {
		as = json_object_get(e, "assumptions");
		if (json_object_size(as) == 0)
			continue;
		id = cli_get(e, "id");
		title = cli_get(e, "title");
		line = xprintf("%s (%s):", id, title);
		safe = cli_oneline(line);
		fprintf(o->out, "\n%s\n", safe);
		free(safe);
		free(line);
		free(title);
		free(id);
		json_object_foreach(as, key, v) {
			line = cli_scalar(v);
			safe = xprintf("  %s: ", key);
			cli_print_text(o->out, safe, line);
			free(safe);
			free(line);
		}
	}
}

void
cli_pr_plan_show(struct cli_out *o, json_t *body)
{
	const char	*what = cli_getstr(o->params, "what");
	json_t		*rows;
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
	for (i = 0; i < sizeof plan_cols / sizeof plan_cols[0]; i++) {
		if (what == NULL || strcmp(plan_cols[i].what, what) != 0)
			continue;
		rows = only_cols(body, plan_cols[i].cols);
		cli_print_objects(o, rows, plan_cols[i].cols, "");
		json_decref(rows);
		if (strcmp(what, "events") == 0)
			print_assumptions(o, body);
		return;
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
