#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/diag.h"
#include "model/roster.h"
#include "model/runbook.h"
#include "model/scenario.h"
#include "common/xmalloc.h"
#include "common/ytree.h"

static const char *const top_keys[] = {
	"scenario", "title", "runbook", "trigger", "vars", "injects", NULL
};
static const char *const inject_keys[] = { "at", "text", "to", NULL };

void
scenario_free(struct scenario *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->ninjects; i++) {
		free(s->injects[i].text);
		free(s->injects[i].to);
	}
	free(s->injects);
	free(s->id);
	free(s->title);
	free(s->runbook);
	json_decref(s->trigger);
	json_decref(s->vars);
	free(s->file);
	free(s);
}

static void
load_injects(struct scenario *s, const char *file, const struct ynode *seq,
    const struct roster *ro, struct diags *d)
{
	size_t i;

	for (i = 0; i < seq->n; i++) {
		const struct ynode	*n = seq->items[i];
		struct inject		*in;
		const char		*v;
		char			*why = NULL;

		if (n->type != Y_MAP) {
			diag_node(d, file, n, "an inject is a map {at, text, "
			    "to}");
			continue;
		}
		ycheck_keys(d, file, n, inject_keys, "inject");
		s->injects = xreallocarray(s->injects, s->ninjects + 1,
		    sizeof *s->injects);
		in = &s->injects[s->ninjects++];
		memset(in, 0, sizeof *in);
		yget_duration(d, file, n, "at", 1, &in->at_s);
		if (yget_str(d, file, n, "text", 1, &v) == 1)
			in->text = xstrdup(v);
		else
			in->text = xstrdup("");
		if (yget_str(d, file, n, "to", 0, &v) == 1) {
			in->to = xstrdup(v);
			if (ro != NULL && roster_check_ref(ro, v, &why) == -1) {
				diag_node(d, file, ymap_get(n, "to"), "to: %s",
				    why);
				free(why);
			}
		}
	}
}

struct scenario *
scenario_load(const char *path, const struct rbset *rbs,
    const struct roster *ro, struct diags *d)
{
	struct ydoc	*doc = ydoc_load(path, d);
	struct scenario	*s;
	struct ynode	*root, *n;
	const char	*v;
	size_t		 before = d->nerrors;

	if (doc == NULL)
		return NULL;
	s = xcalloc(1, sizeof *s);
	s->file = xstrdup(path);
	root = doc->root;
	if (root == NULL || root->type != Y_MAP) {
		diag_node(d, path, root, "a scenario is a map starting with "
		    "\"scenario: ID\"");
		goto out;
	}
	ycheck_keys(d, path, root, top_keys, "scenario");
	if (yget_str(d, path, root, "scenario", 1, &v) == 1) {
		s->id = xstrdup(v);
		if (!valid_id(v))
			diag_node(d, path, ymap_get(root, "scenario"),
			    "scenario id \"%s\" must match [a-z0-9][a-z0-9_-]*",
			    v);
	}
	s->title = xstrdup(yget_str(d, path, root, "title", 0, &v) == 1 ? v :
	    s->id ? s->id : "");
	if (yget_str(d, path, root, "runbook", 1, &v) == 1) {
		s->runbook = xstrdup(v);
		if (rbs != NULL && rbset_find(rbs, v) == NULL)
			diag_node(d, path, ymap_get(root, "runbook"), "unknown "
			    "runbook \"%s\"", v);
	}
	if (yget_node(d, path, root, "trigger", Y_MAP, 0, &n) == 1)
		s->trigger = ynode_json(n);
	if (yget_node(d, path, root, "vars", Y_MAP, 0, &n) == 1)
		s->vars = ynode_json(n);
	if (yget_node(d, path, root, "injects", Y_SEQ, 0, &n) == 1)
		load_injects(s, path, n, ro, d);
out:
	ydoc_free(doc);
	if (d->nerrors > before) {
		scenario_free(s);
		return NULL;
	}
	return s;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.yaml files of dir, sorted; NULL-terminated. */
static char **
list_files(const char *dir)
{
	DIR		*dp;
	struct dirent	*de;
	char		**v = xcalloc(1, sizeof *v);
	size_t		 n = 0;

	if (dir == NULL || (dp = opendir(dir)) == NULL)
		return v;
	while ((de = readdir(dp)) != NULL) {
		size_t l = strlen(de->d_name);

		if (de->d_name[0] == '.' || l < 6 ||
		    strcmp(de->d_name + l - 5, ".yaml") != 0)
			continue;
		v = xreallocarray(v, n + 2, sizeof *v);
		v[n++] = xprintf("%s/%s", dir, de->d_name);
		v[n] = NULL;
	}
	closedir(dp);
	qsort(v, n, sizeof *v, cmp_str);
	return v;
}

size_t
scenario_check_dir(const char *dir, const struct rbset *rbs,
    const struct roster *ro, struct diags *d)
{
	char	**files = list_files(dir);
	size_t	  i, ok = 0;

	for (i = 0; files[i] != NULL; i++) {
		struct scenario *s = scenario_load(files[i], rbs, ro, d);

		if (s != NULL)
			ok++;
		scenario_free(s);
	}
	strv_free(files);
	return ok;
}

struct scenario *
scenario_find(const char *dir, const char *name, const struct rbset *rbs,
    const struct roster *ro, struct diags *d)
{
	char		**files = list_files(dir);
	struct scenario	 *s = NULL;
	size_t		  i, len = strlen(name);

	for (i = 0; files[i] != NULL; i++) {
		const char	*base = strrchr(files[i], '/') + 1;
		struct diags	 tmp = { 0 };
		int		 byfile = strncmp(base, name, len) == 0 &&
				    strcmp(base + len, ".yaml") == 0;

		s = scenario_load(files[i], rbs, ro, &tmp);
		if (byfile || (s != NULL && strcmp(s->id, name) == 0)) {
			diag_merge(d, &tmp);	/* why a match is unusable */
			break;
		}
		scenario_free(s);
		s = NULL;
		diag_free(&tmp);
	}
	strv_free(files);
	return s;
}

json_t *
scenario_list(const char *dir, const struct rbset *rbs,
    const struct roster *ro)
{
	char	**files = list_files(dir);
	json_t	 *out = json_array();
	size_t	  i;

	for (i = 0; files[i] != NULL; i++) {
		struct diags	 d = { 0 };
		struct scenario	*s = scenario_load(files[i], rbs, ro, &d);

		if (s != NULL)
			json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:s,"
			    "s:s,s:I}", "id", s->id, "name", s->id, "title",
			    s->title, "runbook", s->runbook, "file", s->file,
			    "injects", (json_int_t)s->ninjects));
		else
			json_array_append_new(out, json_pack("{s:s,s:s}",
			    "file", files[i], "error", d.n > 0 ? d.msgs[0] :
			    "invalid"));
		scenario_free(s);
		diag_free(&d);
	}
	strv_free(files);
	return out;
}
