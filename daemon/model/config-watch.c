/* The config keys of SPEC §17, silence as a signal: per source
 * heartbeat: {match}, on_silent and (polled sources) stale_after; the
 * top-level heartbeat: (keizokud's own dead-man's switch, outward) and
 * maintenance: (who may open windows). Kept apart from config.c, which
 * calls in here for each source and once for the file. */
#include <stdlib.h>
#include <string.h>

#include "common/diag.h"
#include "common/xmalloc.h"
#include "common/ytree.h"
#include "model/config.h"
#include "model/hooks.h"
#include "model/matcher.h"
#include "model/runbook.h"

static const char *const beat_keys[] = { "url", "every", "token", NULL };
static const char *const maint_keys[] = { "role", NULL };
static const char *const hb_keys[] = { "match", NULL };

/* A heartbeat matcher's paths must be ones the format has. */
static int
cw_path_check(const char *path, void *arg, char **why)
{
	const char *format = arg;

	if (hook_path_known(format, path))
		return 0;
	*why = xprintf("a trigger of format %s never has \"%s\"", format,
	    path);
	return -1;
}

static void
cw_heartbeat(const char *file, const struct ynode *n, struct source_conf *s,
    struct diags *d)
{
	struct ynode *hb, *m;

	if (yget_node(d, file, n, "heartbeat", Y_MAP, 0, &hb) != 1)
		return;
	if (s->pull || s->pings) {
		diag_node(d, file, hb, "heartbeat: picks the alerts that only "
		    "mean \"alive\" out of a webhook source; every %s of a "
		    "format %s source is heard already", s->pull ? "poll" :
		    "request", s->format);
		return;
	}
	ycheck_keys(d, file, hb, hb_keys, "heartbeat");
	if (yget_node(d, file, hb, "match", Y_MAP, 1, &m) == 1)
		s->heartbeat = matcher_compile(m, file, d, cw_path_check,
		    s->format);
}

void
config_load_watch(struct config *c, const char *file, const struct ynode *n,
    struct source_conf *s, struct diags *d)
{
	struct ynode	*at;
	const char	*v;

	cw_heartbeat(file, n, s, d);
	if (s->silent_after_s < 0 || (ymap_get(n, "silent_after") != NULL &&
	    s->silent_after_s == 0))
		diag_node(d, file, ymap_get(n, "silent_after"), "silent_after "
		    "must be a positive duration (leave it out: never silent)");
	if (yget_str(d, file, n, "on_silent", 0, &v) == 1) {
		at = ymap_get(n, "on_silent");
		if (!valid_id(v))
			diag_node(d, file, at, "on_silent names a runbook: "
			    "[a-z0-9][a-z0-9_-]*, not \"%s\"", v);
		else if (s->silent_after_s <= 0)
			diag_node(d, file, at, "on_silent needs silent_after "
			    "(how long without hearing anything is a "
			    "silence)");
		s->on_silent = xstrdup(v);
		s->on_silent_line = at->line;
		s->on_silent_col = at->col;
	}
	at = ymap_get(n, "stale_after");
	if (at != NULL && !s->pull)
		diag_node(d, file, at, "stale_after is only for a polled source "
		    "(format jma): a webhook source's silent_after says it");
	else if (s->pull && yget_duration(d, file, n, "stale_after", 0,
	    &s->stale_after_s) == 1 && s->stale_after_s <= 0)
		diag_node(d, file, at, "stale_after must be a positive "
		    "duration");
}

/* heartbeat.url: a secret like the others (a push URL is as good as a
 * password), but written in the file it is no cause for a warning. */
static void
cw_beat_url(struct config *c, const char *file, const struct ynode *n,
    struct diags *d)
{
	struct ynode	*at = ymap_get(n, "url");
	const char	*v;
	char		*why = NULL, *url;
	int		 literal;

	if (yget_str(d, file, n, "url", 1, &v) != 1)
		return;
	if ((url = secret_resolve(v, c->dir, &literal, &why)) == NULL) {
		diag_node(d, file, at, "heartbeat url: %s", why);
		free(why);
		return;
	}
	if (strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "https://", 8) != 0) {
		diag_node(d, file, at, "heartbeat url must start with http:// "
		    "or https://%s", literal ? "" : " (as read from the "
		    "environment or file)");
		free(url);
		return;
	}
	/* url + "/fail" must stay a URL of the same endpoint. */
	while (strlen(url) > 8 && url[strlen(url) - 1] == '/')
		url[strlen(url) - 1] = '\0';
	c->heartbeat.url = url;
}

void
config_load_beat(struct config *c, const char *file, const struct ynode *root,
    struct diags *d)
{
	struct ynode	*n;
	const char	*v;
	char		*why = NULL;
	int		 literal;

	c->heartbeat.every_s = 60;
	if (yget_node(d, file, root, "heartbeat", Y_MAP, 0, &n) == 1) {
		ycheck_keys(d, file, n, beat_keys, "heartbeat");
		cw_beat_url(c, file, n, d);
		if (yget_duration(d, file, n, "every", 0,
		    &c->heartbeat.every_s) == 1 && c->heartbeat.every_s < 1)
			diag_node(d, file, ymap_get(n, "every"), "every must "
			    "be at least 1s");
		if (yget_str(d, file, n, "token", 0, &v) == 1) {
			c->heartbeat.token = secret_resolve(v, c->dir,
			    &literal, &why);
			if (c->heartbeat.token == NULL) {
				diag_node(d, file, ymap_get(n, "token"),
				    "heartbeat token: %s", why);
				free(why);
			} else if (literal)
				diag_node_warn(d, file, ymap_get(n, "token"),
				    "a literal secret in the config file; "
				    "prefer env:NAME or file:PATH");
		}
	}
	if (yget_node(d, file, root, "maintenance", Y_MAP, 0, &n) == 1) {
		ycheck_keys(d, file, n, maint_keys, "maintenance");
		if (yget_str(d, file, n, "role", 0, &v) == 1) {
			if (!valid_id(v))
				diag_node(d, file, ymap_get(n, "role"), "role "
				    "must be a role id of the roster");
			c->maint_role = xstrdup(v);
		}
	}
}

void
config_free_watch(struct config *c)
{
	size_t i;

	for (i = 0; i < c->nsources; i++) {
		matcher_free(c->sources[i].heartbeat);
		free(c->sources[i].on_silent);
	}
	free(c->heartbeat.url);
	free(c->heartbeat.token);
	free(c->maint_role);
}

void
config_check_runbooks(const struct config *c, const struct rbset *set,
    struct diags *d)
{
	const struct source_conf	*s;
	size_t				 i;

	for (i = 0; c != NULL && i < c->nsources; i++) {
		s = &c->sources[i];
		if (s->on_silent == NULL || !valid_id(s->on_silent) ||
		    (set != NULL && rbset_find(set, s->on_silent) != NULL))
			continue;
		diag_error(d, c->path, s->on_silent_line, s->on_silent_col,
		    "on_silent: no runbook \"%s\" is loaded from %s (source "
		    "%s)", s->on_silent, c->runbooks, s->name);
	}
}
