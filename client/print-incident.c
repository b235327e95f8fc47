/* Printers for incidents and their steps: what a responder looks at
 * during a crisis, so the next thing to do comes first and deadlines
 * read as "in 12m" / "overdue 3m" rather than as timestamps. */
#include <stdlib.h>
#include <string.h>

#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "keizoku.h"

#define DRILL_MARK	CLI_DRILL_MARK

/* Step states after which a deadline no longer matters. */
static const char *const final_states[] = { "done", "failed", "skipped",
    "closed", "dismissed", "recovered", NULL };

static int
is_final(const char *state)
{
	size_t i;

	for (i = 0; state != NULL && final_states[i] != NULL; i++)
		if (strcmp(state, final_states[i]) == 0)
			return 1;
	return 0;
}

/* activate, confirm, dismiss, close: {"incident": 7, "state": ...}. */
void
cli_pr_incident_state(struct cli_out *o, json_t *body)
{
	long long	 id;
	const char	*state = cli_getstr(body, "state");

	if (cli_getint(body, "incident", &id) == -1 || state == NULL) {
		cli_print_generic(o, body, "");
		return;
	}
	fprintf(o->out, "incident %lld %s%s\n", id, state,
	    cli_getbool(body, "drill") ? " " DRILL_MARK : "");
	if (strcmp(state, "pending") == 0)
		fprintf(o->out, "waiting for confirmation: keizoku confirm %lld "
		    "(or keizoku dismiss %lld)\n", id, id);
}

/* The title column, with drills marked so nobody mistakes one for a
 * real crisis. */
static char *
incident_title(json_t *inc)
{
	char *title = cli_get(inc, "title"), *s;

	if (!cli_getbool(inc, "drill"))
		return title;
	s = xprintf("%s %s", DRILL_MARK, title);
	free(title);
	return s;
}

static void
incident_row(struct cli_table *t, json_t *inc, int closed)
{
	char *s;

	cli_table_row(t);
	s = cli_get(inc, "id");
	cli_table_cell(t, s);
	free(s);
	s = cli_get(inc, "state");
	cli_table_cell(t, s);
	free(s);
	s = cli_get(inc, "runbook");
	cli_table_cell(t, s);
	free(s);
	s = cli_localtime(cli_getstr(inc, "started_at"));
	cli_table_cell(t, s);
	free(s);
	if (closed) {
		s = cli_localtime(cli_getstr(inc, "closed_at"));
		cli_table_cell(t, s);
		free(s);
	}
	s = incident_title(inc);
	cli_table_cell(t, s);
	free(s);
}

void
cli_incident_table(struct cli_out *o, json_t *array, const char *indent)
{
	static const char *const heads[] = { "ID", "STATE", "RUNBOOK",
	    "STARTED", "CLOSED", "TITLE" };
	static const char *const open_heads[] = { "ID", "STATE", "RUNBOOK",
	    "STARTED", "TITLE" };
	struct cli_table	*t;
	json_t			*inc;
	size_t			 i;
	int			 closed = 0;

	/* A CLOSED column only when something is closed. */
	json_array_foreach(array, i, inc)
		if (cli_getstr(inc, "closed_at") != NULL)
			closed = 1;
	t = closed ? cli_table_new(6, heads) : cli_table_new(5, open_heads);
	cli_table_align(t, 0, CLI_RIGHT);
	cli_table_flex(t, closed ? 5 : 4);
	json_array_foreach(array, i, inc)
		incident_row(t, inc, closed);
	cli_table_print(t, o->out, indent);
	cli_table_free(t);
}

void
cli_pr_incidents(struct cli_out *o, json_t *body)
{
	if (!json_is_array(body)) {
		cli_print_generic(o, body, "");
		return;
	}
	if (json_array_size(body) > 0)
		cli_incident_table(o, body, "");
	else if (cli_getbool(o->params, "all"))
		fputs("no incidents\n", o->out);
	else
		fputs("no open incidents (keizoku incidents --all lists closed "
		    "ones too)\n", o->out);
}

static void
show_line(struct cli_out *o, const char *label, const char *value)
{
	char *s;

	if (value == NULL)
		return;
	s = cli_oneline(value);
	fprintf(o->out, "  %-9s %s\n", label, s);
	free(s);
}

static void
show_header(struct cli_out *o, json_t *inc)
{
	const char	*key;
	json_t		*v;
	char		*s, *t;

	s = cli_get(inc, "id");
	t = incident_title(inc);
	fprintf(o->out, "incident %s: ", s);
	cli_print_text(o->out, "", t);
	free(t);
	free(s);
	show_line(o, "runbook:", cli_getstr(inc, "runbook"));
	show_line(o, "state:", cli_getstr(inc, "state"));
	s = cli_localtime(cli_getstr(inc, "started_at"));
	show_line(o, "started:", s);
	free(s);
	if (cli_getstr(inc, "closed_at") != NULL) {
		s = cli_localtime(cli_getstr(inc, "closed_at"));
		show_line(o, "closed:", s);
		free(s);
	}
	show_line(o, "by:", cli_getstr(inc, "activated_by"));
	show_line(o, "note:", cli_getstr(inc, "note"));
	json_object_foreach(json_object_get(inc, "vars"), key, v) {
		t = cli_scalar(v);
		s = xprintf("%s=%s", key, t);
		show_line(o, "var:", s);
		free(s);
		free(t);
	}
	v = json_object_get(inc, "trigger");
	if (json_is_object(v) || json_is_array(v)) {
		/* The document as people read JSON: indented, keys in the
		 * sender's order, decimals as sent (35.7). */
		s = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
		    JSON_REAL_PRECISION(15));
		fputs("  trigger:\n", o->out);
		cli_print_text(o->out, "    ", s != NULL ? s : "?");
		free(s);
	} else
		show_line(o, "trigger:", v == NULL || json_is_null(v) ?
		    "manual" : "?");
}

/* Who has the step: the one who finished it, else the one who took it. */
static char *
step_by(json_t *step)
{
	const char *by = cli_getstr(step, "done_by");

	if (by == NULL)
		by = cli_getstr(step, "acked_by");
	return xstrdup(by != NULL ? by : "-");
}

/* A closed incident has no live deadline: nothing is due any more. */
static int
incident_over(json_t *inc)
{
	const char *st = cli_getstr(inc, "state");

	return st != NULL && (strcmp(st, "closed") == 0 ||
	    strcmp(st, "dismissed") == 0);
}

static void
step_row(struct cli_out *o, struct cli_table *t, json_t *step, int over)
{
	const char	*state = cli_getstr(step, "state");
	long long	 esc;
	char		*s;

	cli_table_row(t);
	s = cli_get(step, "id");
	cli_table_cell(t, s);
	free(s);
	cli_table_cell(t, state);
	s = cli_get(step, "type");
	cli_table_cell(t, s);
	free(s);
	/* Who must act: the member it went to, else the role. */
	s = cli_getstr(step, "assignee") != NULL ? cli_get(step, "assignee") :
	    cli_get(step, "role");
	cli_table_cell(t, s);
	free(s);
	s = step_by(step);
	cli_table_cell(t, s);
	free(s);
	s = is_final(state) || over ? xstrdup("-") :
	    cli_relative(o->now, cli_getstr(step, "deadline_at"));
	cli_table_cell(t, s);
	free(s);
	if (cli_getint(step, "escalation_level", &esc) == 0 && esc > 0)
		cli_table_cellf(t, "%lld", esc);
	else
		cli_table_cell(t, "-");
	s = cli_get(step, "title");
	cli_table_cell(t, s);
	free(s);
}

static void
show_steps(struct cli_out *o, json_t *steps, int over)
{
	static const char *const heads[] = { "STEP", "STATE", "TYPE",
	    "ASSIGNEE", "BY", "DEADLINE", "ESC", "TITLE" };
	struct cli_table	*t;
	json_t			*step;
	size_t			 i;
	int			 notes = 0;

	if (json_array_size(steps) == 0)
		return;
	fputs("\nsteps:\n", o->out);
	t = cli_table_new(8, heads);
	cli_table_align(t, 6, CLI_RIGHT);
	cli_table_flex(t, 7);
	json_array_foreach(steps, i, step)
		step_row(o, t, step, over);
	cli_table_print(t, o->out, "  ");
	cli_table_free(t);
	json_array_foreach(steps, i, step) {
		if (cli_getstr(step, "note") == NULL)
			continue;
		if (!notes++)
			fputs("\nnotes:\n", o->out);
		fprintf(o->out, "  %s:\n", cli_getstr(step, "id") != NULL ?
		    cli_getstr(step, "id") : "?");
		cli_print_text(o->out, "    ", cli_getstr(step, "note"));
	}
}

/* "recovered 12:30 (met)", "in 1h20m", "overdue 5m". */
static char *
rto_clock(struct cli_out *o, json_t *sys, int over)
{
	const char	*rec = cli_getstr(sys, "recovered_at");
	const char	*dl = cli_getstr(sys, "deadline_at");
	int64_t		 r, d;
	char		*t, *s;

	if (rec == NULL && over)
		return xstrdup("stopped (incident closed)");
	if (rec == NULL)
		return cli_relative(o->now, dl);
	t = cli_localtime(rec);
	if (dl != NULL && rfc3339_parse(rec, &r) == 0 &&
	    rfc3339_parse(dl, &d) == 0)
		s = xprintf("recovered %s (%s)", t, r <= d ? "met" : "missed");
	else
		s = xprintf("recovered %s", t);
	free(t);
	return s;
}

static void
show_systems(struct cli_out *o, json_t *systems, int over)
{
	static const char *const heads[] = { "SYSTEM", "RTO", "CLOCK",
	    "STATE", "TITLE" };
	struct cli_table	*t;
	json_t			*sys;
	size_t			 i;
	char			*s;

	if (json_array_size(systems) == 0)
		return;
	fputs("\nRTO clocks:\n", o->out);
	t = cli_table_new(5, heads);
	cli_table_flex(t, 4);
	json_array_foreach(systems, i, sys) {
		cli_table_row(t);
		s = cli_get(sys, "id");
		cli_table_cell(t, s);
		free(s);
		s = cli_seconds(json_object_get(sys, "rto_s"));
		cli_table_cell(t, s);
		free(s);
		s = rto_clock(o, sys, over);
		cli_table_cell(t, s);
		free(s);
		s = cli_get(sys, "state");
		cli_table_cell(t, s);
		free(s);
		s = cli_get(sys, "title");
		cli_table_cell(t, s);
		free(s);
	}
	cli_table_print(t, o->out, "  ");
	cli_table_free(t);
}

static void
assembly_counts(struct cli_out *o, json_t *assembly)
{
	static const char *const heads[] = { "ROLE", "REQUIRED", "AVAILABLE",
	    "ARRIVED", "UNAVAILABLE" };
	static const char *const keys[] = { "required", "available",
	    "arrived", "unavailable" };
	struct cli_table	*t;
	const char		*role;
	json_t			*a;
	size_t			 k;
	char			*s;

	t = cli_table_new(5, heads);
	for (k = 1; k < 5; k++)
		cli_table_align(t, (int)k, CLI_RIGHT);
	json_object_foreach(assembly, role, a) {
		cli_table_row(t);
		cli_table_cell(t, role);
		for (k = 0; k < 4; k++) {
			s = cli_get(a, keys[k]);
			cli_table_cell(t, s);
			free(s);
		}
	}
	cli_table_print(t, o->out, "  ");
	cli_table_free(t);
}

/* Who was called and what they answered. */
static void
assembly_members(struct cli_out *o, json_t *assembly)
{
	static const char *const heads[] = { "ROLE", "MEMBER", "ANSWER",
	    "ETA", "CALLED" };
	struct cli_table	*t;
	const char		*role, *answer;
	json_t			*a, *m;
	size_t			 i;
	char			*s;

	t = cli_table_new(5, heads);
	json_object_foreach(assembly, role, a) {
		json_array_foreach(json_object_get(a, "members"), i, m) {
			cli_table_row(t);
			cli_table_cell(t, role);
			s = cli_get(m, "member");
			cli_table_cell(t, s);
			free(s);
			answer = cli_getstr(m, "answer");
			cli_table_cell(t, answer != NULL ? answer :
			    "(no answer)");
			s = cli_localtime(cli_getstr(m, "eta_at"));
			cli_table_cell(t, s);
			free(s);
			s = cli_localtime(cli_getstr(m, "called_at"));
			cli_table_cell(t, s);
			free(s);
		}
	}
	if (cli_table_rows(t) > 0) {
		fputc('\n', o->out);
		cli_table_print(t, o->out, "  ");
	}
	cli_table_free(t);
}

static void
show_exceptions(struct cli_out *o, json_t *exc, json_t *inc)
{
	char *ids, *id;

	if (json_array_size(exc) == 0)
		return;
	if (json_is_object(json_array_get(exc, 0))) {
		fputs("\nexceptions:\n", o->out);
		cli_print_objects(o, exc, NULL, "  ");
		return;
	}
	ids = cli_join(exc, ", ");
	id = cli_get(inc, "id");
	fprintf(o->out, "\nexceptions: %s (keizoku exceptions --incident %s "
	    "for details)\n", ids, id);
	free(id);
	free(ids);
}

void
cli_pr_show(struct cli_out *o, json_t *body)
{
	json_t *assembly;

	if (!json_is_object(body) || json_object_get(body, "steps") == NULL) {
		cli_print_generic(o, body, "");
		return;
	}
	show_header(o, body);
	show_steps(o, json_object_get(body, "steps"), incident_over(body));
	show_systems(o, json_object_get(body, "systems"),
	    incident_over(body));
	assembly = json_object_get(body, "assembly");
	if (json_object_size(assembly) > 0) {
		fputs("\nstaff assembly:\n", o->out);
		assembly_counts(o, assembly);
		assembly_members(o, assembly);
	}
	show_exceptions(o, json_object_get(body, "exceptions"), body);
}

/* ack, done, skip, fail, approve, reject: "decide: done". */
void
cli_pr_step(struct cli_out *o, json_t *body)
{
	const char *step = cli_getstr(body, "step");
	const char *state = cli_getstr(body, "state");

	if (step == NULL || state == NULL) {
		cli_print_generic(o, body, "");
		return;
	}
	fprintf(o->out, "%s: %s\n", step, state);
}

/* assign: "server-room: assigned to ito (ready)". */
void
cli_pr_assign(struct cli_out *o, json_t *body)
{
	const char *step = cli_getstr(body, "step");
	const char *who = cli_getstr(body, "assignee");

	if (step == NULL || who == NULL) {
		cli_print_generic(o, body, "");
		return;
	}
	fprintf(o->out, "%s: assigned to %s (%s)\n", step, who,
	    cli_getstr(body, "state") ? cli_getstr(body, "state") : "?");
}

void
cli_pr_respond(struct cli_out *o, json_t *body)
{
	char	*inc, *member, *answer, *eta;

	if (cli_getstr(body, "answer") == NULL) {
		cli_print_generic(o, body, "");
		return;
	}
	inc = cli_get(body, "incident");
	member = cli_get(body, "member");
	answer = cli_get(body, "answer");
	fprintf(o->out, "incident %s: %s %s", inc, member, answer);
	if (cli_getstr(body, "eta_at") != NULL) {
		eta = cli_localtime(cli_getstr(body, "eta_at"));
		fprintf(o->out, ", expected at %s", eta);
		free(eta);
	}
	fputc('\n', o->out);
	free(answer);
	free(member);
	free(inc);
}

static void
inbox_row(struct cli_out *o, struct cli_table *t, json_t *item)
{
	const char	*title = cli_getstr(item, "title");
	const char	*itl = cli_getstr(item, "incident_title");
	char		*s;

	cli_table_row(t);
	s = cli_get(item, "incident");
	cli_table_cell(t, s);
	free(s);
	s = cli_get(item, "kind");
	cli_table_cell(t, s);
	free(s);
	s = cli_get(item, "step");
	cli_table_cell(t, s);
	free(s);
	s = cli_get(item, "state");
	cli_table_cell(t, s);
	free(s);
	s = cli_relative(o->now, cli_getstr(item, "deadline_at"));
	cli_table_cell(t, s);
	free(s);
	if (title != NULL && itl != NULL)
		s = xprintf("%s (%s)", title, itl);
	else
		s = xstrdup(title != NULL ? title : itl != NULL ? itl : "-");
	{
		char *m = cli_drill_text(item, s);

		cli_table_cell(t, m);
		free(m);
	}
	free(s);
}

void
cli_pr_inbox(struct cli_out *o, json_t *body)
{
	static const char *const heads[] = { "INC", "KIND", "STEP", "STATE",
	    "DEADLINE", "TITLE" };
	struct cli_table	*t;
	json_t			*item;
	size_t			 i;

	if (!json_is_array(body)) {
		cli_print_generic(o, body, "");
		return;
	}
	if (json_array_size(body) == 0) {
		fputs("nothing waits for you\n", o->out);
		return;
	}
	t = cli_table_new(6, heads);
	cli_table_align(t, 0, CLI_RIGHT);
	cli_table_flex(t, 5);
	json_array_foreach(body, i, item)
		inbox_row(o, t, item);
	cli_table_print(t, o->out, "");
	cli_table_free(t);
}

static void
log_row(struct cli_table *t, json_t *ev)
{
	const char	*actor = cli_getstr(ev, "actor");
	const char	*behalf = cli_getstr(ev, "on_behalf");
	char		*s;

	cli_table_row(t);
	s = cli_localtime(cli_getstr(ev, "at"));
	cli_table_cell(t, s);
	free(s);
	/* actor typed it; on_behalf is the member it was done for. */
	if (behalf != NULL)
		cli_table_cellf(t, "%s on behalf of %s",
		    actor != NULL ? actor : "-", behalf);
	else
		cli_table_cell(t, actor);
	s = cli_get(ev, "type");
	cli_table_cell(t, s);
	free(s);
	s = cli_get(ev, "step");
	cli_table_cell(t, s);
	free(s);
	cli_table_cell(t, cli_getstr(ev, "text") != NULL ?
	    cli_getstr(ev, "text") : "");
}

void
cli_pr_log(struct cli_out *o, json_t *body)
{
	static const char *const heads[] = { "TIME", "ACTOR", "EVENT", "STEP",
	    "TEXT" };
	struct cli_table	*t;
	json_t			*ev;
	size_t			 i;

	if (!json_is_array(body)) {
		cli_print_generic(o, body, "");
		return;
	}
	if (json_array_size(body) == 0) {
		fputs("no events\n", o->out);
		return;
	}
	t = cli_table_new(5, heads);
	cli_table_flex(t, 4);
	json_array_foreach(body, i, ev)
		log_row(t, ev);
	cli_table_print(t, o->out, "");
	cli_table_free(t);
}
