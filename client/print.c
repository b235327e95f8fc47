/* Turning answers into text: the table of per-command printers, the
 * helpers they share (local times, "in 12m", durations) and the generic
 * printer that shows any body sensibly, so a command added to the daemon
 * prints something useful before it gets a printer of its own. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/duration.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "keizoku.h"

static const struct {
	const char	*name;
	cli_printer	*print;
} printers[] = {
	{ "status", cli_pr_status },
	{ "runbooks", cli_pr_runbooks },
	{ "activate", cli_pr_incident_state },
	{ "confirm", cli_pr_incident_state },
	{ "dismiss", cli_pr_incident_state },
	{ "close", cli_pr_incident_state },
	{ "incidents", cli_pr_incidents },
	{ "show", cli_pr_show },
	{ "ack", cli_pr_step },
	{ "done", cli_pr_step },
	{ "skip", cli_pr_step },
	{ "fail", cli_pr_step },
	{ "approve", cli_pr_step },
	{ "reject", cli_pr_step },
	{ "assign", cli_pr_assign },
	{ "respond", cli_pr_respond },
	{ "inbox", cli_pr_inbox },
	{ "roster", cli_pr_roster },
	{ "log", cli_pr_log },
	{ "report", cli_print_content },
	{ "sitrep", cli_print_content },
	{ "rota ics", cli_print_content },
	{ "exception add", cli_pr_exception_state },
	{ "exception approve", cli_pr_exception_state },
	{ "exception reject", cli_pr_exception_state },
	{ "exception resolve", cli_pr_exception_state },
	{ "exceptions", cli_pr_exceptions },
	{ "notifications", cli_pr_notifications },
	{ "plan import", cli_pr_plan_import },
	{ "plan export", cli_print_content },
	{ "plan check", cli_pr_plan_check },
	{ "plan show", cli_pr_plan_show },
	{ "plan report", cli_print_content },
	{ "drill start", cli_pr_drill_start },
	{ "drill list", cli_pr_drill_list },
	{ "reload", cli_pr_reload },
	{ "verify", cli_pr_verify },
	{ "sources", cli_pr_sources },
	{ "maintenance add", cli_pr_maint_state },
	{ "maintenance end", cli_pr_maint_state },
	{ "maintenance list", cli_pr_maint_list },
};

/* Columns that read best on the left, in this order. */
static const char *const default_order[] = { "id", "seq", "name", "kind",
    "state", "system", "incident", "runbook", NULL };

void
cli_print_json(FILE *f, json_t *body)
{
	/* 15 significant digits: what a double holds of a decimal, so 35.7
	 * prints as 35.7, not 35.700000000000003. */
	json_dumpf(body, f, JSON_INDENT(2) | JSON_ENCODE_ANY |
	    JSON_REAL_PRECISION(15));
	fputc('\n', f);
}

int
cli_body_exit(const struct cli_out *o, json_t *body)
{
	json_t	*warnings;

	if (strcmp(o->cmd->name, "plan check") == 0) {
		if (json_array_size(json_object_get(body, "errors")) > 0)
			return CLI_EXIT_REFUSED;
		warnings = json_object_get(body, "warnings");
		if (json_is_true(json_object_get(o->params, "strict")) &&
		    json_array_size(warnings) > 0)
			return CLI_EXIT_REFUSED;
	}
	if (strcmp(o->cmd->name, "verify") == 0 &&
	    json_is_false(json_object_get(body, "ok")))
		return CLI_EXIT_REFUSED;
	return CLI_EXIT_OK;
}

int
cli_print(struct cli_out *o, json_t *body)
{
	const char	*now;
	int64_t		 ms;
	size_t		 i;

	/* The daemon's clock, when it tells us, keeps "in 12m" consistent
	 * with its deadlines (and with its test clock). */
	if ((now = cli_getstr(body, "now")) != NULL &&
	    rfc3339_parse(now, &ms) == 0)
		o->now = ms;
	for (i = 0; i < sizeof printers / sizeof printers[0]; i++) {
		if (strcmp(printers[i].name, o->cmd->name) == 0) {
			printers[i].print(o, body);
			break;
		}
	}
	if (i == sizeof printers / sizeof printers[0])
		cli_print_generic(o, body, "");
	return cli_body_exit(o, body);
}

const char *
cli_getstr(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

int
cli_getint(json_t *obj, const char *key, long long *v)
{
	json_t *j = json_object_get(obj, key);

	if (!json_is_integer(j))
		return -1;
	*v = (long long)json_integer_value(j);
	return 0;
}

int
cli_getbool(json_t *obj, const char *key)
{
	return json_is_true(json_object_get(obj, key));
}

char *
cli_join(json_t *array, const char *sep)
{
	struct buf	 b = { 0 };
	json_t		*v;
	size_t		 i;
	char		*s;

	if (!json_is_array(array) || json_array_size(array) == 0)
		return xstrdup("-");
	json_array_foreach(array, i, v) {
		s = cli_scalar(v);
		if (i > 0)
			buf_adds(&b, sep);
		buf_adds(&b, s);
		free(s);
	}
	return buf_steal(&b);
}

char *
cli_scalar(json_t *v)
{
	char *s;

	switch (v == NULL ? JSON_NULL : json_typeof(v)) {
	case JSON_STRING:
		return xstrdup(json_string_value(v));
	case JSON_INTEGER:
		return xprintf("%lld", (long long)json_integer_value(v));
	case JSON_REAL:
		return xprintf("%g", json_real_value(v));
	case JSON_TRUE:
		return xstrdup("true");
	case JSON_FALSE:
		return xstrdup("false");
	case JSON_ARRAY:
		return cli_join(v, ", ");
	case JSON_OBJECT:
		s = json_dumps(v, JSON_COMPACT);
		return s != NULL ? s : xstrdup("{}");
	case JSON_NULL:
	default:
		return xstrdup("-");
	}
}

char *
cli_drill_text(json_t *obj, const char *text)
{
	if (cli_getbool(obj, "drill"))
		return xprintf("%s %s", CLI_DRILL_MARK, text != NULL ? text :
		    "");
	return xstrdup(text != NULL ? text : "-");
}

char *
cli_get(json_t *obj, const char *key)
{
	return cli_scalar(json_object_get(obj, key));
}

char *
cli_localtime(const char *s)
{
	struct tm	tm;
	time_t		t;
	int64_t		ms;
	char		buf[64];

	if (s == NULL)
		return xstrdup("-");
	if (rfc3339_parse(s, &ms) == -1)
		return xstrdup(s);
	t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		return xstrdup(s);
	return xstrdup(buf);
}

/* "in 12m", "overdue 3m": seconds only in the last minute, hours once
 * it is days away; rounded to the nearest unit shown. */
char *
cli_relative(int64_t now, const char *s)
{
	int64_t	 ms, d, a, unit;
	char	*f, *r;

	if (s == NULL)
		return xstrdup("-");
	if (rfc3339_parse(s, &ms) == -1)
		return xstrdup(s);
	d = (ms - now) / 1000;
	if (d == 0)
		return xstrdup("now");
	a = d < 0 ? -d : d;
	unit = a >= 86400 ? 3600 : a >= 60 ? 60 : 1;
	f = duration_fmt((a + unit / 2) / unit * unit);
	r = xprintf(d > 0 ? "in %s" : "overdue %s", f);
	free(f);
	return r;
}

char *
cli_seconds(json_t *v)
{
	if (!json_is_integer(v))
		return cli_scalar(v);
	return duration_fmt((int64_t)json_integer_value(v));
}

static int
has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

/* A value formatted by what its key says it is (SPEC: *_at are times,
 * *_s are seconds). */
static char *
field(const char *key, json_t *v)
{
	if (has_suffix(key, "_at") && json_is_string(v))
		return cli_localtime(json_string_value(v));
	if (has_suffix(key, "_s") && json_is_integer(v))
		return cli_seconds(v);
	return cli_scalar(v);
}

/* "rto_s" -> "RTO", "deadline_at" -> "DEADLINE". */
static char *
header(const char *key)
{
	size_t	 n = strlen(key), i;
	char	*h;

	if (has_suffix(key, "_s"))
		n -= 2;
	else if (has_suffix(key, "_at"))
		n -= 3;
	h = xstrndup(key, n);
	for (i = 0; i < n; i++)
		h[i] = (char)toupper((unsigned char)h[i]);
	return h;
}

static int
is_scalarish(json_t *v)
{
	json_t	*item;
	size_t	 i;

	if (json_is_object(v))
		return 0;
	if (json_is_array(v)) {
		json_array_foreach(v, i, item)
			if (json_is_object(item) || json_is_array(item))
				return 0;
	}
	return 1;
}

static int
key_matches(const char *key, const char *name)
{
	size_t n = strlen(name);

	return strcmp(key, name) == 0 || (strncmp(key, name, n) == 0 &&
	    (strcmp(key + n, "_s") == 0 || strcmp(key + n, "_at") == 0));
}

/* Adds key to the column list unless there or unprintable. */
static void
add_column(const char ***cols, size_t *n, json_t *array, const char *key)
{
	json_t	*row;
	size_t	 i;

	for (i = 0; i < *n; i++)
		if (strcmp((*cols)[i], key) == 0)
			return;
	json_array_foreach(array, i, row)
		if (!is_scalarish(json_object_get(row, key)))
			return;
	*cols = xreallocarray(*cols, *n + 1, sizeof **cols);
	(*cols)[(*n)++] = key;
}

/* The columns of a generic table: order first, then the rest as met. */
static size_t
columns(json_t *array, const char *const *order, const char ***cols)
{
	json_t		*row, *v;
	const char	*key;
	size_t		 n = 0, i, k;

	*cols = NULL;
	for (k = 0; order != NULL && order[k] != NULL; k++) {
		json_array_foreach(array, i, row) {
			json_object_foreach(row, key, v) {
				if (key_matches(key, order[k]))
					add_column(cols, &n, array, key);
			}
		}
	}
	json_array_foreach(array, i, row) {
		json_object_foreach(row, key, v)
			add_column(cols, &n, array, key);
	}
	return n;
}

static int
all_integers(json_t *array, const char *key)
{
	json_t	*row, *v;
	size_t	 i;

	json_array_foreach(array, i, row) {
		v = json_object_get(row, key);
		if (!json_is_integer(v) && !json_is_null(v) && v != NULL)
			return 0;
	}
	return 1;
}

void
cli_print_objects(struct cli_out *o, json_t *array, const char *const *order,
    const char *indent)
{
	struct cli_table	 *t;
	const char		**cols;
	char			**heads, *s;
	json_t			 *row;
	size_t			  n, i, k;

	n = columns(array, order != NULL ? order : default_order, &cols);
	if (n == 0)
		return;
	heads = xcalloc(n, sizeof *heads);
	for (k = 0; k < n; k++)
		heads[k] = header(cols[k]);
	t = cli_table_new((int)n, (const char *const *)heads);
	for (k = 0; k < n; k++) {
		if (all_integers(array, cols[k]))
			cli_table_align(t, (int)k, CLI_RIGHT);
		if (strcmp(cols[k], "title") == 0 ||
		    strcmp(cols[k], "message") == 0)
			cli_table_flex(t, (int)k);
	}
	json_array_foreach(array, i, row) {
		cli_table_row(t);
		for (k = 0; k < n; k++) {
			s = field(cols[k], json_object_get(row, cols[k]));
			cli_table_cell(t, s);
			free(s);
		}
	}
	cli_table_print(t, o->out, indent);
	cli_table_free(t);
	for (k = 0; k < n; k++)
		free(heads[k]);
	free(heads);
	free(cols);
}

static int
all_objects(json_t *array)
{
	json_t	*v;
	size_t	 i;

	if (json_array_size(array) == 0)
		return 0;
	json_array_foreach(array, i, v)
		if (!json_is_object(v))
			return 0;
	return 1;
}

static void
print_member(struct cli_out *o, const char *key, json_t *v,
    const char *indent)
{
	char	*s, *in;

	if (json_is_object(v) || all_objects(v)) {
		s = cli_oneline(key);
		fprintf(o->out, "%s%s:\n", indent, s);
		free(s);
		in = xprintf("%s  ", indent);
		cli_print_generic(o, v, in);
		free(in);
		return;
	}
	s = field(key, v);
	in = cli_oneline(s);
	free(s);
	s = cli_oneline(key);
	fprintf(o->out, "%s%s: %s\n", indent, s, in);
	free(s);
	free(in);
}

void
cli_print_generic(struct cli_out *o, json_t *body, const char *indent)
{
	const char	*key;
	json_t		*v;
	size_t		 i;
	char		*s, *line;

	if (json_is_object(body)) {
		json_object_foreach(body, key, v)
			print_member(o, key, v, indent);
	} else if (all_objects(body))
		cli_print_objects(o, body, NULL, indent);
	else if (json_is_array(body)) {
		if (json_array_size(body) == 0)
			fprintf(o->out, "%s(none)\n", indent);
		json_array_foreach(body, i, v) {
			s = cli_scalar(v);
			line = cli_oneline(s);
			fprintf(o->out, "%s%s\n", indent, line);
			free(line);
			free(s);
		}
	} else if (!json_is_null(body)) {
		s = cli_scalar(body);
		fprintf(o->out, "%s%s\n", indent, s);
		free(s);
	}
}

/* Rendered documents (Markdown, HTML, YAML) print as they are. */
void
cli_print_content(struct cli_out *o, json_t *body)
{
	json_t		*v = json_object_get(body, "content");
	const char	*content;
	size_t		 n;

	/* report --format json answers the report object itself. */
	if (!json_is_string(v)) {
		cli_print_json(o->out, body);
		return;
	}
	content = json_string_value(v);
	n = json_string_length(v);
	fwrite(content, 1, n, o->out);
	if (n > 0 && content[n - 1] != '\n')
		fputc('\n', o->out);
}

/* Free text (notes, inject texts) keeps its lines, each indented and
 * with control characters made harmless. */
void
cli_print_text(FILE *f, const char *indent, const char *text)
{
	const char	*nl;
	char		*line, *safe;

	while (text != NULL && *text != '\0') {
		nl = strchr(text, '\n');
		line = nl != NULL ? xstrndup(text, (size_t)(nl - text)) :
		    xstrdup(text);
		safe = cli_oneline(line);
		fprintf(f, "%s%s\n", indent, safe);
		free(safe);
		free(line);
		text = nl != NULL ? nl + 1 : NULL;
	}
}
