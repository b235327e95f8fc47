/* Printers of the monitoring sources and maintenance windows (SPEC §17):
 * `sources`, `maintenance add|list|end`. */
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "keizoku.h"

/* What a source is doing now, in a word or two. */
static char *
source_state(json_t *s)
{
	char *since;

	if (cli_getbool(s, "silent")) {
		since = cli_localtime(cli_getstr(s, "silent_since"));
		return xprintf("SILENT since %s", since);
	}
	if (cli_getbool(s, "failing"))
		return xstrdup("failing (/fail)");
	if (cli_getbool(s, "stale")) {
		since = cli_localtime(cli_getstr(s, "stale_since"));
		return xprintf("stale since %s", since);
	}
	return xstrdup("ok");
}

static void
source_row(struct cli_out *o, struct cli_table *t, json_t *s)
{
	char	*v;

	cli_table_row(t);
	v = cli_get(s, "name");
	cli_table_cell(t, v);
	free(v);
	v = cli_get(s, "format");
	cli_table_cell(t, v);
	free(v);
	v = cli_relative(o->now, cli_getstr(s, "last_heard_at"));
	/* "overdue 3m" reads oddly for the past: "3m ago". */
	if (strncmp(v, "overdue ", 8) == 0) {
		char *w = xprintf("%s ago", v + 8);

		free(v);
		v = w;
	}
	cli_table_cell(t, v);
	free(v);
	v = cli_seconds(json_object_get(s, "silent_after_s"));
	cli_table_cell(t, v);
	free(v);
	v = source_state(s);
	cli_table_cell(t, v);
	free(v);
	v = cli_join(json_object_get(s, "windows"), ",");
	cli_table_cell(t, v);
	free(v);
	v = cli_get(s, "on_silent");
	cli_table_cell(t, v);
	free(v);
}

void
cli_pr_sources(struct cli_out *o, json_t *body)
{
	static const char *const heads[] = { "SOURCE", "FORMAT", "HEARD",
	    "SILENT_AFTER", "STATE", "WINDOWS", "ON_SILENT" };
	struct cli_table	*t;
	json_t			*s;
	size_t			 i;

	if (!json_is_array(body)) {
		cli_print_generic(o, body, "");
		return;
	}
	if (json_array_size(body) == 0) {
		fputs("no sources are configured\n", o->out);
		return;
	}
	t = cli_table_new(7, heads);
	json_array_foreach(body, i, s)
		source_row(o, t, s);
	cli_table_print(t, o->out, "");
	cli_table_free(t);
}

/* {"labels.alertname": "X"} as labels.alertname=X, "*" for none. */
static char *
window_match(json_t *m)
{
	struct buf	 b = { 0 };
	const char	*k;
	json_t		*v;
	char		*s;

	if (json_object_size(m) == 0)
		return xstrdup("*");
	json_object_foreach(m, k, v) {
		s = cli_scalar(v);
		buf_printf(&b, "%s%s=%s", b.len ? " " : "", k, s);
		free(s);
	}
	return buf_steal(&b);
}

static void
window_row(struct cli_table *t, json_t *w)
{
	static const char *const keys[] = { "id", "state", "source" };
	size_t	 k;
	char	*v;

	cli_table_row(t);
	for (k = 0; k < 3; k++) {
		v = cli_get(w, keys[k]);
		cli_table_cell(t, v);
		free(v);
	}
	v = window_match(json_object_get(w, "match"));
	cli_table_cell(t, v);
	free(v);
	v = cli_localtime(cli_getstr(w, "from"));
	cli_table_cell(t, v);
	free(v);
	v = cli_localtime(cli_getstr(w, "until"));
	cli_table_cell(t, v);
	free(v);
	v = cli_get(w, "suppressed");
	cli_table_cell(t, v);
	free(v);
	v = cli_get(w, "by");
	cli_table_cell(t, v);
	free(v);
	v = cli_get(w, "note");
	cli_table_cell(t, v);
	free(v);
}

void
cli_pr_maint_list(struct cli_out *o, json_t *body)
{
	static const char *const heads[] = { "ID", "STATE", "SOURCE", "MATCH",
	    "FROM", "UNTIL", "HELD", "BY", "NOTE" };
	struct cli_table	*t;
	json_t			*w;
	size_t			 i;

	if (!json_is_array(body)) {
		cli_print_generic(o, body, "");
		return;
	}
	if (json_array_size(body) == 0) {
		fputs("no maintenance windows\n", o->out);
		return;
	}
	t = cli_table_new(9, heads);
	cli_table_align(t, 0, CLI_RIGHT);
	cli_table_align(t, 6, CLI_RIGHT);
	cli_table_flex(t, 8);
	json_array_foreach(body, i, w)
		window_row(t, w);
	cli_table_print(t, o->out, "");
	cli_table_free(t);
}

void
cli_pr_maint_state(struct cli_out *o, json_t *body)
{
	long long id;

	if (cli_getint(body, "id", &id) == -1) {
		cli_print_generic(o, body, "");
		return;
	}
	if (strcmp(o->cmd->name, "maintenance end") == 0)
		fprintf(o->out, "maintenance window %lld ended\n", id);
	else
		fprintf(o->out, "maintenance window %lld opened (keizoku "
		    "maintenance list; end it early with: keizoku maintenance "
		    "end %lld)\n", id, id);
}
