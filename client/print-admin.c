/* Printers for the daemon as a whole: status, runbooks, roster,
 * exception measures, notifications, reload and the audit check. */
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "keizoku.h"

/* "1 pending, 2 active, ..." from an object of counts, in its order. */
static char *
counts(json_t *obj)
{
	struct buf	 b = { 0 };
	const char	*key;
	json_t		*v;
	char		*s;

	if (!json_is_object(obj))
		return cli_scalar(obj);
	json_object_foreach(obj, key, v) {
		s = cli_scalar(v);
		buf_printf(&b, "%s%s %s", b.len > 0 ? ", " : "", s, key);
		free(s);
	}
	return b.len > 0 ? buf_steal(&b) : xstrdup("-");
}

/* One line per polled feed: when it last answered, how old its newest
 * document is, what became of its documents, silence and errors. */
static void
feeds(struct cli_out *o, json_t *list)
{
	json_t	*f, *docs;
	size_t	 i;
	char	*src, *ok, *age, *err;

	if (json_array_size(list) == 0)
		return;
	fprintf(o->out, "feeds:\n");
	json_array_foreach(list, i, f) {
		src = cli_get(f, "source");
		docs = json_object_get(f, "documents");
		if (!json_is_true(json_object_get(f, "enabled"))) {
			fprintf(o->out, "  %s: not polled (enabled: false)\n",
			    src);
			free(src);
			continue;
		}
		ok = cli_localtime(cli_getstr(f, "last_ok_at"));
		age = cli_seconds(json_object_get(f, "newest_doc_age_s"));
		fprintf(o->out, "  %s: last good poll %s, newest document %s "
		    "old, %lld taken, %lld pending, %lld failed, %lld too old%s"
		    "\n", src, ok, age, (long long)json_integer_value(
		    json_object_get(docs, "done")), (long long)
		    json_integer_value(json_object_get(docs, "pending")),
		    (long long)json_integer_value(json_object_get(docs,
		    "failed")), (long long)json_integer_value(json_object_get(
		    docs, "stale")), json_is_true(json_object_get(f, "silent")) ?
		    ", SILENT" : "");
		if (cli_getstr(f, "last_error") != NULL) {
			err = xprintf("last error (%lld in a row): %s",
			    (long long)json_integer_value(json_object_get(f,
			    "failures")), cli_getstr(f, "last_error"));
			cli_print_text(o->out, "    ", err);
			free(err);
		}
		free(age);
		free(ok);
		free(src);
	}
}

void
cli_pr_status(struct cli_out *o, json_t *body)
{
	json_t	*errs, *e;
	size_t	 i;
	char	*ver, *up, *since, *s;

	if (!json_is_object(body) || cli_getstr(body, "version") == NULL) {
		cli_print_generic(o, body, "");
		return;
	}
	ver = cli_get(body, "version");
	up = cli_seconds(json_object_get(body, "uptime_s"));
	since = cli_localtime(cli_getstr(body, "started_at"));
	fprintf(o->out, "keizokud %s, up %s (since %s)\n", ver, up, since);
	free(since);
	free(up);
	free(ver);
	s = cli_get(body, "db");
	fprintf(o->out, "database:      %s\n", s);
	free(s);
	s = cli_get(body, "runbooks");
	fprintf(o->out, "runbooks:      %s loaded\n", s);
	free(s);
	s = counts(json_object_get(body, "incidents"));
	fprintf(o->out, "incidents:     %s\n", s);
	free(s);
	s = counts(json_object_get(body, "notifications"));
	fprintf(o->out, "notifications: %s\n", s);
	free(s);
	feeds(o, json_object_get(body, "feeds"));
	errs = json_object_get(body, "load_errors");
	if (json_array_size(errs) == 0)
		return;
	fprintf(o->out, "load errors (previous versions stay in force; fix "
	    "and run keizoku reload):\n");
	json_array_foreach(errs, i, e) {
		s = cli_scalar(e);
		cli_print_text(o->out, "  ", s);
		free(s);
	}
}

/* "alertmanager (confirm), quake (auto)"; no triggers: manual only. */
static char *
triggers(json_t *list)
{
	struct buf	 b = { 0 };
	json_t		*t;
	size_t		 i;
	char		*src, *mode;

	json_array_foreach(list, i, t) {
		src = cli_get(t, "source");
		mode = cli_get(t, "mode");
		buf_printf(&b, "%s%s (%s)", i > 0 ? ", " : "", src, mode);
		free(mode);
		free(src);
	}
	return b.len > 0 ? buf_steal(&b) : xstrdup("manual");
}

void
cli_pr_runbooks(struct cli_out *o, json_t *body)
{
	static const char *const heads[] = { "ID", "KIND", "STEPS", "OWNER",
	    "TRIGGERS", "SYSTEMS", "TITLE" };
	static const char *const keys[] = { "id", "kind", "steps", "owner" };
	struct cli_table	*t;
	json_t			*rb;
	size_t			 i, k;
	char			*s;

	if (!json_is_array(body)) {
		cli_print_generic(o, body, "");
		return;
	}
	if (json_array_size(body) == 0) {
		fputs("no runbooks loaded (see keizoku status for load "
		    "errors)\n", o->out);
		return;
	}
	t = cli_table_new(7, heads);
	cli_table_align(t, 2, CLI_RIGHT);
	cli_table_flex(t, 6);
	json_array_foreach(body, i, rb) {
		cli_table_row(t);
		for (k = 0; k < 4; k++) {
			s = cli_get(rb, keys[k]);
			cli_table_cell(t, s);
			free(s);
		}
		s = triggers(json_object_get(rb, "triggers"));
		cli_table_cell(t, s);
		free(s);
		s = cli_join(json_object_get(rb, "systems"), ",");
		cli_table_cell(t, s);
		free(s);
		s = cli_get(rb, "title");
		cli_table_cell(t, s);
		free(s);
	}
	cli_table_print(t, o->out, "");
	cli_table_free(t);
}

static char *
contacts(json_t *list)
{
	struct buf	 b = { 0 };
	json_t		*c;
	size_t		 i;
	char		*ch, *m;

	json_array_foreach(list, i, c) {
		ch = cli_get(c, "channel");
		m = cli_get(c, "mention");
		buf_printf(&b, "%s%s %s", i > 0 ? ", " : "", ch, m);
		free(m);
		free(ch);
	}
	return b.len > 0 ? buf_steal(&b) : xstrdup("-");
}

static void
roster_members(struct cli_out *o, json_t *members)
{
	static const char *const heads[] = { "ID", "NAME", "UNIX", "SITE",
	    "CONTACTS" };
	static const char *const keys[] = { "id", "name", "unix_user",
	    "site" };
	struct cli_table	*t;
	json_t			*m;
	size_t			 i, k;
	char			*s;

	t = cli_table_new(5, heads);
	cli_table_flex(t, 4);
	json_array_foreach(members, i, m) {
		cli_table_row(t);
		for (k = 0; k < 4; k++) {
			s = cli_get(m, keys[k]);
			cli_table_cell(t, s);
			free(s);
		}
		s = contacts(json_object_get(m, "contacts"));
		cli_table_cell(t, s);
		free(s);
	}
	fputs("members:\n", o->out);
	cli_table_print(t, o->out, "  ");
	cli_table_free(t);
}

/* "1. tanaka (primary), 2. suzuki (deputy), ...": the order of
 * precedence is what matters in a crisis (代行順位). */
static void
roster_role(struct cli_out *o, json_t *role)
{
	struct buf	 b = { 0 };
	json_t		*m;
	size_t		 i;
	char		*id, *title, *s, *line;

	id = cli_get(role, "id");
	title = cli_get(role, "title");
	line = xprintf("%s  %s%s", id, title, cli_getbool(role, "proxy") ?
	    "  (proxy: may act on behalf of others)" : "");
	s = cli_oneline(line);
	fprintf(o->out, "  %s\n", s);
	free(s);
	free(line);
	json_array_foreach(json_object_get(role, "members"), i, m) {
		s = cli_scalar(m);
		buf_printf(&b, "%s%zu. %s (%s)", i > 0 ? ", " : "", i + 1, s,
		    i == 0 ? "primary" : "deputy");
		free(s);
	}
	s = cli_oneline(b.len > 0 ? b.s : "(no members)");
	fprintf(o->out, "    %s\n", s);
	free(s);
	buf_free(&b);
	free(title);
	free(id);
}

void
cli_pr_roster(struct cli_out *o, json_t *body)
{
	json_t	*members, *roles, *r;
	size_t	 i;

	members = json_object_get(body, "members");
	roles = json_object_get(body, "roles");
	if (!json_is_array(members) || !json_is_array(roles)) {
		cli_print_generic(o, body, "");
		return;
	}
	roster_members(o, members);
	fputs("\nroles (in order of precedence):\n", o->out);
	json_array_foreach(roles, i, r)
		roster_role(o, r);
}

/* Open measures show how long until they must be reverted; disposed
 * ones when that happened. */
static char *
exception_due(struct cli_out *o, json_t *e)
{
	const char	*resolved = cli_getstr(e, "resolved_at");
	char		*t, *s;

	if (resolved == NULL)
		return cli_relative(o->now, cli_getstr(e, "revert_by_at"));
	t = cli_localtime(resolved);
	s = xprintf("resolved %s", t);
	free(t);
	return s;
}

static void
exception_row(struct cli_out *o, struct cli_table *t, json_t *e)
{
	static const char *const keys[] = { "id", "incident", "state",
	    "requested_by", "approved_by" };
	size_t	 k;
	char	*s;

	cli_table_row(t);
	for (k = 0; k < 5; k++) {
		s = cli_get(e, keys[k]);
		cli_table_cell(t, s);
		free(s);
	}
	s = exception_due(o, e);
	cli_table_cell(t, s);
	free(s);
	s = cli_seconds(json_object_get(e, "in_force_s"));
	cli_table_cell(t, s);
	free(s);
	s = cli_get(e, "policy");
	cli_table_cell(t, s);
	free(s);
	s = cli_drill_text(e, cli_getstr(e, "title"));
	cli_table_cell(t, s);
	free(s);
}

static int
drill_closed(json_t *e)
{
	const char *st = cli_getstr(e, "state");

	return st != NULL && strcmp(st, "drill-closed") == 0;
}

/* The rows of body whose drill_closed() is apart (1) or not (0). */
static void
exception_table(struct cli_out *o, json_t *body, int apart,
    const char *indent)
{
	static const char *const heads[] = { "ID", "INC", "STATE",
	    "REQUESTED_BY", "APPROVED_BY", "REVERT_BY", "IN_FORCE", "POLICY",
	    "TITLE" };
	struct cli_table	*t;
	json_t			*e;
	size_t			 i;

	t = cli_table_new(9, heads);
	cli_table_align(t, 0, CLI_RIGHT);
	cli_table_align(t, 1, CLI_RIGHT);
	cli_table_flex(t, 8);
	json_array_foreach(body, i, e)
		if (drill_closed(e) == apart)
			exception_row(o, t, e);
	cli_table_print(t, o->out, indent);
	cli_table_free(t);
}

/* Each decision's note, apart: an approval's condition must not be
 * lost under the note of how the measure was later disposed of. */
static void
exception_notes(struct cli_out *o, json_t *body)
{
	json_t		*e;
	size_t		 i;
	int		 any = 0;
	const char	*dn, *rn, *st;

	json_array_foreach(body, i, e) {
		dn = cli_getstr(e, "decision_note");
		rn = cli_getstr(e, "resolution_note");
		st = cli_getstr(e, "state");
		if (dn == NULL && rn == NULL)
			continue;
		if (!any++)
			fputs("\nnotes:\n", o->out);
		fprintf(o->out, "  %lld:\n", (long long)json_integer_value(
		    json_object_get(e, "id")));
		if (dn != NULL)
			cli_print_text(o->out, cli_getstr(e, "approved_by") ?
			    "    approved: " : "    rejected: ", dn);
		if (rn != NULL && (dn == NULL || strcmp(dn, rn) != 0)) {
			char *label = xprintf("    %s: ", st != NULL ? st :
			    "note");

			cli_print_text(o->out, label, rn);
			free(label);
		}
	}
}

/* Measures a drill's end disposed of are listed apart: they were never
 * in force in the real world. */
void
cli_pr_exceptions(struct cli_out *o, json_t *body)
{
	json_t	*e;
	size_t	 i, napart = 0;

	if (!json_is_array(body)) {
		cli_print_generic(o, body, "");
		return;
	}
	json_array_foreach(body, i, e)
		napart += drill_closed(e);
	if (json_array_size(body) == 0) {
		fprintf(o->out, "no %sexception measures\n",
		    cli_getbool(o->params, "open") ? "open " : "");
		return;
	}
	if (napart < json_array_size(body))
		exception_table(o, body, 0, "");
	exception_notes(o, body);
	if (napart == 0)
		return;
	fprintf(o->out, "%sclosed with their drill (%zu) %s:\n",
	    napart < json_array_size(body) ? "\n" : "", napart,
	    CLI_DRILL_MARK);
	exception_table(o, body, 1, "  ");
}

void
cli_pr_exception_state(struct cli_out *o, json_t *body)
{
	long long	 id;
	const char	*state = cli_getstr(body, "state");

	if (cli_getint(body, "id", &id) == -1 || state == NULL) {
		cli_print_generic(o, body, "");
		return;
	}
	fprintf(o->out, "exception %lld %s\n", id, state);
	if (strcmp(state, "requested") == 0)
		fprintf(o->out, "an approver decides with: keizoku exception "
		    "approve %lld (or reject %lld --note WHY)\n", id, id);
}

static void
notification_row(struct cli_out *o, struct cli_table *t, json_t *n)
{
	static const char *const keys[] = { "id", "incident", "channel",
	    "event", "state", "attempts" };
	const char	*state = cli_getstr(n, "state");
	size_t		 k;
	char		*s;

	cli_table_row(t);
	for (k = 0; k < 6; k++) {
		s = strcmp(keys[k], "event") == 0 ? cli_drill_text(n,
		    cli_getstr(n, "event")) : cli_get(n, keys[k]);
		cli_table_cell(t, s);
		free(s);
	}
	s = state != NULL && strcmp(state, "pending") == 0 ?
	    cli_relative(o->now, cli_getstr(n, "next_attempt_at")) :
	    xstrdup("-");
	cli_table_cell(t, s);
	free(s);
	s = cli_localtime(cli_getstr(n, "created_at"));
	cli_table_cell(t, s);
	free(s);
	s = cli_get(n, "last_error");
	cli_table_cell(t, s);
	free(s);
}

void
cli_pr_notifications(struct cli_out *o, json_t *body)
{
	static const char *const heads[] = { "ID", "INC", "CHANNEL", "EVENT",
	    "STATE", "ATTEMPTS", "NEXT", "CREATED", "LAST_ERROR" };
	struct cli_table	*t;
	json_t			*n;
	size_t			 i;

	if (!json_is_array(body)) {
		cli_print_generic(o, body, "");
		return;
	}
	if (json_array_size(body) == 0) {
		fprintf(o->out, "no %snotifications\n",
		    cli_getbool(o->params, "pending") ? "pending " : "");
		return;
	}
	t = cli_table_new(9, heads);
	cli_table_align(t, 0, CLI_RIGHT);
	cli_table_align(t, 1, CLI_RIGHT);
	cli_table_align(t, 5, CLI_RIGHT);
	cli_table_flex(t, 8);
	json_array_foreach(body, i, n)
		notification_row(o, t, n);
	cli_table_print(t, o->out, "");
	cli_table_free(t);
}

/* A reload that fails keeps the old versions in force: not a failure of
 * the command, but the operator must see the errors. */
void
cli_pr_reload(struct cli_out *o, json_t *body)
{
	json_t	*errs = json_object_get(body, "errors"), *e;
	size_t	 i;
	char	*s;

	if (!json_is_object(body) || json_object_get(body, "ok") == NULL) {
		cli_print_generic(o, body, "");
		return;
	}
	if (json_array_size(errs) == 0) {
		fputs("reloaded\n", o->out);
		return;
	}
	fprintf(o->out, "reloaded with %zu error%s; the previous versions of "
	    "those files stay in force\n", json_array_size(errs),
	    json_array_size(errs) == 1 ? "" : "s");
	json_array_foreach(errs, i, e) {
		s = cli_scalar(e);
		cli_print_text(stderr, "keizoku: ", s);
		free(s);
	}
}

void
cli_pr_verify(struct cli_out *o, json_t *body)
{
	json_t	*bad = json_object_get(body, "first_bad");
	char	*events, *head, *seq, *inc, *why;

	if (!json_is_object(body) || json_object_get(body, "ok") == NULL) {
		cli_print_generic(o, body, "");
		return;
	}
	events = cli_get(body, "events");
	head = cli_get(body, "head");
	if (!json_is_false(json_object_get(body, "ok"))) {
		fprintf(o->out, "audit log intact: %s events, head %s\n",
		    events, head);
		free(head);
		free(events);
		return;
	}
	seq = cli_get(bad, "seq");
	inc = cli_get(bad, "incident");
	why = cli_get(bad, "reason");
	fprintf(o->out, "audit log BROKEN: %s events checked\n", events);
	fprintf(stderr, "keizoku: the hash chain breaks at event %s "
	    "(incident %s): %s; that event and every later one may have been "
	    "altered\n", seq, inc, why);
	free(why);
	free(inc);
	free(seq);
	free(head);
	free(events);
}
