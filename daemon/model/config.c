#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/config.h"
#include "common/diag.h"
#include "common/duration.h"
#include "common/timeutil.h"
#include "model/hooks.h"
#include "model/mail.h"
#include "common/xmalloc.h"
#include "common/ytree.h"

static const char *const top_keys[] = {
	"state_dir", "runbooks", "plugins", "plan", "roster", "admins",
	"control", "http", "tokens", "sources", "channels", "notify",
	"exceptions", "templates", "scenarios", "web", "timezone", "triggers",
	"heartbeat", "maintenance", "node", "store", NULL
};
static const char *const store_keys[] = { "backend", "dsn", NULL };
static const char *const web_keys[] = {
	"base_url", "secret", "link_ttl", "session_ttl", "login_ttl", NULL
};
static const char *const triggers_keys[] = {
	"retention", "repeat_summary", NULL
};
static const char *const control_keys[] = {
	"socket", "mode", "max_clients", NULL
};
static const char *const http_keys[] = {
	"listen", "tls", "max_body", "timeout", "request_timeout",
	"max_connections", NULL
};
static const char *const tls_keys[] = { "cert", "key", NULL };
static const char *const token_keys[] = { "member", "sha256", NULL };
static const char *const source_keys[] = {
	"format", "auth", "drill", "drill_label", "silent_after", "feed",
	"backfill", "interval", "timeout", "max_age", "enabled", "heartbeat",
	"on_silent", "stale_after", NULL
};
/* Keys only a pull source takes. */
static const char *const pull_keys[] = {
	"feed", "backfill", "interval", "timeout", "max_age", "enabled", NULL
};
static const char *const auth_keys[] = {
	"bearer", "hmac", "standard_webhooks", "none", NULL
};
static const char *const hmac_keys[] = {
	"secret", "header", "timestamp_header", "window", NULL
};
static const char *const channel_keys[] = {
	"type", "url", "secret", "timeout", "retry", "max_age", "lang",
	"smtp_url", "from", "from_name", "username", "password", "tls_ca", NULL
};
static const char *const route_keys[] = { "channel", "events", NULL };
static const char *const exc_keys[] = { "approver_role", "remind", NULL };
static const char *const channel_types[] = {
	"slack", "teams", "webhook", "email", NULL
};

/* Joins a relative path to the config's directory. */
static char *
resolve_path(const char *dir, const char *p)
{
	if (p[0] == '/' || dir == NULL)
		return xstrdup(p);
	return xprintf("%s/%s", dir, p);
}

char *
secret_resolve(const char *spec, const char *dir, int *literal, char **why)
{
	*literal = 0;
	if (strncmp(spec, "env:", 4) == 0) {
		const char *v = getenv(spec + 4);

		if (v == NULL || *v == '\0') {
			*why = xprintf("environment variable %s is not set",
			    spec + 4);
			return NULL;
		}
		return xstrdup(v);
	}
	if (strncmp(spec, "file:", 5) == 0) {
		char	*path = resolve_path(dir, spec + 5), *text;
		size_t	 len;

		if ((text = read_file(path, &len)) == NULL) {
			*why = xprintf("cannot read secret file %s: %s", path,
			    strerror(errno));
			free(path);
			return NULL;
		}
		free(path);
		while (len > 0 && (text[len - 1] == '\n' ||
		    text[len - 1] == '\r' || text[len - 1] == ' '))
			text[--len] = '\0';
		return text;
	}
	*literal = 1;
	return xstrdup(spec);
}

static char *
get_secret(struct diags *d, const char *file, const struct ynode *at,
    const char *spec, const char *dir)
{
	char	*why = NULL, *v;
	int	 literal;

	if ((v = secret_resolve(spec, dir, &literal, &why)) == NULL) {
		diag_node(d, file, at, "%s", why);
		free(why);
		return NULL;
	}
	if (literal)
		diag_node_warn(d, file, at, "a literal secret in the config "
		    "file; prefer env:NAME or file:PATH");
	return v;
}

/* node: and store: (SPEC §13). */
static void
parse_store(struct diags *d, const char *file, const struct ynode *root,
    struct config *c)
{
	struct ynode	*n;
	const char	*v;
	char		 host[256];

	if (yget_str(d, file, root, "node", 0, &v) == 1) {
		if (*v == '\0' || strlen(v) > 64 || strspn(v, "abcdefghijklmno"
		    "pqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
		    strlen(v))
			diag_node(d, file, ymap_get(root, "node"), "node: a "
			    "name of up to 64 letters, digits, '.', '_' or "
			    "'-'");
		c->node = xstrdup(v);
	} else if (gethostname(host, sizeof host) == 0) {
		host[sizeof host - 1] = '\0';
		c->node = xstrdup(host);
	} else
		c->node = xstrdup("keizokud");
	c->store_backend = xstrdup("sqlite");
	if (yget_node(d, file, root, "store", Y_MAP, 0, &n) != 1)
		return;
	ycheck_keys(d, file, n, store_keys, "store");
	if (yget_str(d, file, n, "backend", 0, &v) == 1) {
		if (strcmp(v, "sqlite") != 0 && strcmp(v, "postgresql") != 0)
			diag_node(d, file, ymap_get(n, "backend"), "backend: "
			    "\"%s\" is not a store backend (sqlite or "
			    "postgresql)", v);
		else {
			free(c->store_backend);
			c->store_backend = xstrdup(v);
		}
	}
	if (yget_str(d, file, n, "dsn", 0, &v) == 1) {
		char	*why = NULL;
		int	 literal;

		if (strcmp(c->store_backend, "postgresql") != 0)
			diag_node(d, file, ymap_get(n, "dsn"), "dsn: only for "
			    "backend: postgresql");
		else if ((c->store_dsn = secret_resolve(v, c->dir, &literal,
		    &why)) == NULL) {
			diag_node(d, file, ymap_get(n, "dsn"), "dsn: %s", why);
			free(why);
		} else if (literal && strstr(v, "password") != NULL)
			diag_node_warn(d, file, ymap_get(n, "dsn"), "a "
			    "password "
			    "in the config file; prefer env:NAME or file:PATH "
			    "(or a ~/.pgpass)");
	} else if (strcmp(c->store_backend, "postgresql") == 0)
		diag_node(d, file, n, "store: backend postgresql needs a dsn "
		    "(a libpq connection string, e.g. \"host=db "
		    "dbname=keizoku user=keizoku\", or env:NAME)");
}

static void
get_path(struct diags *d, const char *file, const struct ynode *root,
    const char *key, const char *dir, const char *def, char **out)
{
	const char *s;

	if (yget_str(d, file, root, key, 0, &s) == 1)
		*out = resolve_path(dir, s);
	else if (def != NULL)
		*out = resolve_path(dir, def);
}

/* A feed URL: http or https, nothing else. */
static void
get_url(struct diags *d, const char *file, const struct ynode *n,
    const char *key, int required, char **out)
{
	const char *v;

	if (yget_str(d, file, n, key, required, &v) != 1)
		return;
	if (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0)
		diag_node(d, file, ymap_get(n, key), "%s must start with "
		    "http:// or https://", key);
	*out = xstrdup(v);
}

/* format: jma (SPEC §15): a feed polled by keizokud; no auth. */
static void
load_pull(struct config *c, const char *file, const char *name,
    const struct ynode *n, struct source_conf *s, struct diags *d)
{
	int b;

	s->pull = 1;
	s->enabled = 1;
	s->interval_s = 60;
	s->timeout_s = 30;
	s->max_age_s = 6 * 3600;
	/* Silent: no successful poll for this long (SPEC §17; a poll
	 * backs off to at most 10 minutes). Stale: no new document in the
	 * feed for this long, though it answers (SPEC §15). */
	s->silent_after_s = 30 * 60;
	s->stale_after_s = 2 * 3600;
	if (ymap_get(n, "auth") != NULL)
		diag_node(d, file, ymap_get(n, "auth"), "source \"%s\" is "
		    "polled by keizokud (format %s): it takes no auth", name,
		    s->format);
	get_url(d, file, n, "feed", 1, &s->feed);
	get_url(d, file, n, "backfill", 0, &s->backfill);
	if (yget_bool(d, file, n, "enabled", 0, &b) == 1)
		s->enabled = b;
	yget_duration(d, file, n, "interval", 0, &s->interval_s);
	yget_duration(d, file, n, "timeout", 0, &s->timeout_s);
	yget_duration(d, file, n, "max_age", 0, &s->max_age_s);
	if (s->interval_s < 1)
		diag_node(d, file, ymap_get(n, "interval"), "interval must "
		    "be at least 1s");
	if (s->timeout_s < 1)
		diag_node(d, file, ymap_get(n, "timeout"), "timeout must be "
		    "at least 1s");
}

static void
load_auth(struct config *c, const char *file, const char *name,
    const struct ynode *n, struct source_conf *s, struct diags *d)
{
	struct ynode	*auth, *h;
	const char	*v;
	size_t		 i;

	for (i = 0; pull_keys[i] != NULL; i++)
		if (ymap_get(n, pull_keys[i]) != NULL)
			diag_node(d, file, ymap_get(n, pull_keys[i]), "%s is "
			    "only for a polled source (format jma)",
			    pull_keys[i]);
	if (yget_node(d, file, n, "auth", Y_MAP, 0, &auth) != 1) {
		diag_node(d, file, n, "source \"%s\" has no auth; anyone who "
		    "can reach the port can start runbooks (write auth: "
		    "{none: true} to mean it)", name);
		return;
	}
	ycheck_keys(d, file, auth, auth_keys, "auth");
	if (auth->n != 1) {
		diag_node(d, file, auth, "auth takes exactly one of bearer, "
		    "hmac, standard_webhooks or none");
		return;
	}
	if (yget_str(d, file, auth, "bearer", 0, &v) == 1) {
		s->auth = AUTH_BEARER;
		s->secret = get_secret(d, file, ymap_get(auth, "bearer"), v,
		    c->dir);
	} else if (yget_str(d, file, auth, "standard_webhooks", 0, &v) == 1) {
		s->auth = AUTH_STDWH;
		s->secret = get_secret(d, file,
		    ymap_get(auth, "standard_webhooks"), v, c->dir);
	} else if (yget_node(d, file, auth, "hmac", Y_MAP, 0, &h) == 1) {
		s->auth = AUTH_HMAC;
		ycheck_keys(d, file, h, hmac_keys, "hmac");
		if (yget_str(d, file, h, "secret", 1, &v) == 1)
			s->secret = get_secret(d, file, ymap_get(h, "secret"),
			    v, c->dir);
		s->header = xstrdup(yget_str(d, file, h, "header", 0, &v) ==
		    1 ? v : "X-Grafana-Alerting-Signature");
		if (yget_str(d, file, h, "timestamp_header", 0, &v) == 1)
			s->ts_header = xstrdup(v);
		yget_duration(d, file, h, "window", 0, &s->window_s);
	} else if (ymap_get(auth, "none") != NULL)
		s->auth = AUTH_NONE;
}

/* type: email (SPEC §14): SMTP through libcurl. */
static void
load_email(struct config *c, const char *file, struct channel_conf *ch,
    const struct ynode *n, struct diags *d)
{
	const char *v;

	if (ymap_get(n, "url") != NULL)
		diag_node(d, file, ymap_get(n, "url"), "an email channel takes "
		    "smtp_url, not url");
	if (yget_str(d, file, n, "smtp_url", 1, &v) == 1) {
		if (strncmp(v, "smtp://", 7) != 0 &&
		    strncmp(v, "smtps://", 8) != 0)
			diag_node(d, file, ymap_get(n, "smtp_url"), "smtp_url "
			    "must start with smtp:// (STARTTLS when offered) "
			    "or smtps://");
		ch->url = xstrdup(v);
	}
	if (yget_str(d, file, n, "from", 1, &v) == 1) {
		if (!mail_addr_ok(v))
			diag_node(d, file, ymap_get(n, "from"), "from must be "
			    "a plain address such as keizoku@example.go.jp");
		ch->from = xstrdup(v);
	}
	if (yget_str(d, file, n, "from_name", 0, &v) == 1)
		ch->from_name = xstrdup(v);
	if (yget_str(d, file, n, "username", 0, &v) == 1)
		ch->username = get_secret(d, file, ymap_get(n, "username"), v,
		    c->dir);
	if (yget_str(d, file, n, "password", 0, &v) == 1)
		ch->password = get_secret(d, file, ymap_get(n, "password"), v,
		    c->dir);
	if ((ymap_get(n, "username") == NULL) !=
	    (ymap_get(n, "password") == NULL))
		diag_node(d, file, n, "username and password go together "
		    "(SMTP AUTH)");
	get_path(d, file, n, "tls_ca", c->dir, NULL, &ch->tls_ca);
	/* An SMTP conversation takes longer than a webhook. */
	ch->timeout_s = 60;
}

/* web: (SPEC §14). */
static void
load_web(struct config *c, const char *file, const struct ynode *root,
    struct diags *d)
{
	struct web_conf	*w = &c->web;
	struct ynode	*n;
	const char	*v;
	size_t		 len;

	w->link_ttl_s = 72 * 3600;
	w->session_ttl_s = 12 * 3600;
	w->login_ttl_s = 15 * 60;
	if (yget_node(d, file, root, "web", Y_MAP, 0, &n) != 1)
		return;
	ycheck_keys(d, file, n, web_keys, "web");
	if (yget_str(d, file, n, "base_url", 0, &v) == 1) {
		if (strncmp(v, "http://", 7) != 0 &&
		    strncmp(v, "https://", 8) != 0)
			diag_node(d, file, ymap_get(n, "base_url"), "base_url "
			    "must start with http:// or https://");
		w->base_url = xstrdup(v);
		len = strlen(w->base_url);
		while (len > 0 && w->base_url[len - 1] == '/')
			w->base_url[--len] = '\0';
	}
	if (yget_str(d, file, n, "secret", 1, &v) == 1) {
		w->secret = get_secret(d, file, ymap_get(n, "secret"), v,
		    c->dir);
		if (w->secret != NULL && strlen(w->secret) < 16)
			diag_node(d, file, ymap_get(n, "secret"), "the web "
			    "secret must be at least 16 characters (e.g. "
			    "openssl rand -base64 32)");
	}
	yget_duration(d, file, n, "link_ttl", 0, &w->link_ttl_s);
	yget_duration(d, file, n, "session_ttl", 0, &w->session_ttl_s);
	yget_duration(d, file, n, "login_ttl", 0, &w->login_ttl_s);
	if (w->link_ttl_s <= 0 || w->session_ttl_s <= 0 ||
	    w->login_ttl_s <= 0)
		diag_node(d, file, n, "link_ttl, session_ttl and login_ttl "
		    "must be positive durations");
}

static void
load_source(struct config *c, const char *file, const char *name,
    const struct ynode *n, struct diags *d)
{
	struct source_conf	*s;
	const char		*v;
	int			 b;

	if (n->type != Y_MAP) {
		diag_node(d, file, n, "source \"%s\" must be a map", name);
		return;
	}
	ycheck_keys(d, file, n, source_keys, "source");
	c->sources = xreallocarray(c->sources, c->nsources + 1,
	    sizeof *c->sources);
	s = &c->sources[c->nsources++];
	memset(s, 0, sizeof *s);
	s->name = xstrdup(name);
	s->window_s = 300;
	if (yget_str(d, file, n, "format", 1, &v) == 1) {
		if (!hook_source_format_known(v))
			diag_node(d, file, ymap_get(n, "format"), "unknown "
			    "format \"%s\" (alertmanager, grafana, p2pquake, "
			    "json, jma or heartbeat)", v);
		s->format = xstrdup(v);
	} else
		s->format = xstrdup("json");
	if (yget_bool(d, file, n, "drill", 0, &b) == 1)
		s->drill = b;
	if (yget_str(d, file, n, "drill_label", 0, &v) == 1)
		s->drill_label = xstrdup(v);
	s->pings = strcmp(s->format, "heartbeat") == 0;
	if (strcmp(s->format, "jma") == 0)
		load_pull(c, file, name, n, s, d);
	else
		load_auth(c, file, name, n, s, d);
	yget_duration(d, file, n, "silent_after", 0, &s->silent_after_s);
	config_load_watch(c, file, n, s, d);
}

static void
load_channel(struct config *c, const char *file, const char *name,
    const struct ynode *n, struct diags *d)
{
	static const int64_t defretry[] = { 5, 30, 120, 600, 1800, 3600 };
	struct channel_conf	*ch;
	struct ynode		*r;
	const char		*v;
	size_t			 i;

	if (n->type != Y_MAP) {
		diag_node(d, file, n, "channel \"%s\" must be a map", name);
		return;
	}
	ycheck_keys(d, file, n, channel_keys, "channel");
	c->channels = xreallocarray(c->channels, c->nchannels + 1,
	    sizeof *c->channels);
	ch = &c->channels[c->nchannels++];
	memset(ch, 0, sizeof *ch);
	ch->name = xstrdup(name);
	ch->timeout_s = 10;
	ch->max_age_s = 86400;
	ch->lang = xstrdup("both");
	if (yget_str(d, file, n, "type", 1, &v) == 1) {
		for (i = 0; channel_types[i] != NULL; i++)
			if (strcmp(channel_types[i], v) == 0)
				break;
		if (channel_types[i] == NULL)
			diag_node(d, file, ymap_get(n, "type"), "unknown "
			    "channel type \"%s\" (slack, teams, webhook or "
			    "email)",
			    v);
		ch->type = xstrdup(v);
	} else
		ch->type = xstrdup("webhook");
	if (strcmp(ch->type, "email") == 0)
		load_email(c, file, ch, n, d);
	else if (yget_str(d, file, n, "url", 1, &v) == 1) {
		if (strncmp(v, "http://", 7) != 0 &&
		    strncmp(v, "https://", 8) != 0)
			diag_node(d, file, ymap_get(n, "url"), "url must start "
			    "with http:// or https://");
		ch->url = xstrdup(v);
	}
	if (yget_str(d, file, n, "secret", 0, &v) == 1)
		ch->secret = get_secret(d, file, ymap_get(n, "secret"), v,
		    c->dir);
	if (yget_str(d, file, n, "lang", 0, &v) == 1) {
		if (strcmp(v, "ja") != 0 && strcmp(v, "en") != 0 &&
		    strcmp(v, "both") != 0)
			diag_node(d, file, ymap_get(n, "lang"), "lang must be "
			    "ja, en or both");
		free(ch->lang);
		ch->lang = xstrdup(v);
	}
	yget_duration(d, file, n, "timeout", 0, &ch->timeout_s);
	yget_duration(d, file, n, "max_age", 0, &ch->max_age_s);
	if (yget_node(d, file, n, "retry", Y_SEQ, 0, &r) == 1 && r->n > 0) {
		ch->retry_s = xcalloc(r->n, sizeof *ch->retry_s);
		for (i = 0; i < r->n; i++) {
			const char *why;

			if (r->items[i]->type != Y_SCALAR ||
			    duration_parse(r->items[i]->str, &ch->retry_s[i],
			    &why) == -1)
				diag_node(d, file, r->items[i], "retry delays "
				    "must be durations such as 30s");
		}
		ch->nretry = r->n;
	} else {
		ch->nretry = sizeof defretry / sizeof defretry[0];
		ch->retry_s = xcalloc(ch->nretry, sizeof *ch->retry_s);
		memcpy(ch->retry_s, defretry, sizeof defretry);
	}
}

static void
load_lists(struct config *c, const char *file, const struct ynode *root,
    struct diags *d)
{
	struct ynode	*n;
	const char	*v;
	size_t		 i;

	if (yget_node(d, file, root, "tokens", Y_SEQ, 0, &n) == 1) {
		for (i = 0; i < n->n; i++) {
			const char *m, *h;

			ycheck_keys(d, file, n->items[i], token_keys, "token");
			if (yget_str(d, file, n->items[i], "member", 1, &m) !=
			    1 || yget_str(d, file, n->items[i], "sha256", 1,
			    &h) != 1)
				continue;
			if (strlen(h) != 64 || strspn(h,
			    "0123456789abcdefABCDEF") != 64) {
				diag_node(d, file, ymap_get(n->items[i],
				    "sha256"), "sha256 must be 64 hex digits "
				    "(the token's hash: printf %%s TOKEN | "
				    "sha256sum)");
				continue;
			}
			c->tokens = xreallocarray(c->tokens, c->ntokens + 1,
			    sizeof *c->tokens);
			c->tokens[c->ntokens].member = xstrdup(m);
			c->tokens[c->ntokens].line = ymap_get(n->items[i],
			    "member")->line;
			c->tokens[c->ntokens].col = ymap_get(n->items[i],
			    "member")->col;
			for (size_t k = 0; k < 65; k++)
				c->tokens[c->ntokens].sha256[k] = (char)(h[k] >=
				    'A' && h[k] <= 'F' ? h[k] + 32 : h[k]);
			c->ntokens++;
		}
	}
	if (yget_node(d, file, root, "sources", Y_MAP, 0, &n) == 1)
		for (i = 0; i < n->n; i++) {
			if (!valid_id(n->keys[i]->str))
				diag_node(d, file, n->keys[i], "source name "
				    "must match [a-z0-9][a-z0-9_-]*");
			load_source(c, file, n->keys[i]->str, n->items[i], d);
		}
	c->source_names = xcalloc(c->nsources + 1, sizeof *c->source_names);
	c->point_sources = xcalloc(c->nsources + 1, sizeof *c->point_sources);
	for (i = 0; i < c->nsources; i++) {
		size_t np = strv_len(c->point_sources);

		c->source_names[i] = xstrdup(c->sources[i].name);
		/* Their triggers carry seismic intensity by place. */
		if (c->sources[i].format != NULL &&
		    (strcmp(c->sources[i].format, "p2pquake") == 0 ||
		    strcmp(c->sources[i].format, "jma") == 0))
			c->point_sources[np] = xstrdup(c->sources[i].name);
	}
	if (yget_node(d, file, root, "channels", Y_MAP, 0, &n) == 1)
		for (i = 0; i < n->n; i++)
			load_channel(c, file, n->keys[i]->str, n->items[i], d);
	if (yget_node(d, file, root, "notify", Y_SEQ, 0, &n) == 1) {
		for (i = 0; i < n->n; i++) {
			struct route_conf *r;

			ycheck_keys(d, file, n->items[i], route_keys,
			    "notify");
			if (yget_str(d, file, n->items[i], "channel", 1, &v) !=
			    1)
				continue;
			if (config_channel(c, v) == NULL)
				diag_node(d, file, ymap_get(n->items[i],
				    "channel"), "unknown channel \"%s\"", v);
			c->routes = xreallocarray(c->routes, c->nroutes + 1,
			    sizeof *c->routes);
			r = &c->routes[c->nroutes++];
			r->channel = xstrdup(v);
			r->events = NULL;
			yget_strlist(d, file, n->items[i], "events", 0,
			    &r->events, NULL);
		}
	}
}

static void
load_misc(struct config *c, const char *file, const struct ynode *root,
    struct diags *d)
{
	struct ynode	*n, *t;
	const char	*v;
	long long	 ll;
	size_t		 i;

	c->socket_mode = 0660;
	c->ctl_max_clients = 64;
	if (yget_node(d, file, root, "control", Y_MAP, 0, &n) == 1) {
		ycheck_keys(d, file, n, control_keys, "control");
		if (yget_int(d, file, n, "max_clients", 0, 1, 100000, &ll) == 1)
			c->ctl_max_clients = (int)ll;
		get_path(d, file, n, "socket", c->dir, NULL, &c->socket);
		if (yget_str(d, file, n, "mode", 0, &v) == 1) {
			char *end;
			long  m = strtol(v, &end, 8);

			if (*end != '\0' || m < 0 || m > 0777)
				diag_node(d, file, ymap_get(n, "mode"), "mode "
				    "must be octal such as \"0660\"");
			else
				c->socket_mode = (int)m;
		}
	}
	if (c->socket == NULL)
		c->socket = xstrdup("/run/keizoku/keizoku.sock");
	c->max_body = 1024 * 1024;
	c->http_timeout_s = 30;
	c->http_request_timeout_s = 10;
	c->http_max_conns = 512;
	if (yget_node(d, file, root, "http", Y_MAP, 0, &n) == 1) {
		ycheck_keys(d, file, n, http_keys, "http");
		if (yget_int(d, file, n, "max_connections", 0, 1, 1000000,
		    &ll) == 1)
			c->http_max_conns = (int)ll;
		if (yget_duration(d, file, n, "request_timeout", 0,
		    &c->http_request_timeout_s) == 1 &&
		    c->http_request_timeout_s < 1)
			diag_node(d, file, ymap_get(n, "request_timeout"),
			    "request_timeout: at least 1s");
		if (yget_str(d, file, n, "listen", 0, &v) == 1)
			c->http_listen = xstrdup(v);
		if (yget_node(d, file, n, "tls", Y_MAP, 0, &t) == 1) {
			ycheck_keys(d, file, t, tls_keys, "tls");
			get_path(d, file, t, "cert", c->dir, NULL,
			    &c->tls_cert);
			get_path(d, file, t, "key", c->dir, NULL, &c->tls_key);
			if ((c->tls_cert == NULL) != (c->tls_key == NULL))
				diag_node(d, file, t, "tls needs both cert and "
				    "key");
		}
		if (yget_str(d, file, n, "max_body", 0, &v) == 1) {
			const char *why;

			if (size_parse(v, &c->max_body, &why) == -1)
				diag_node(d, file, ymap_get(n, "max_body"),
				    "max_body: %s", why);
		}
		yget_duration(d, file, n, "timeout", 0, &c->http_timeout_s);
	}
	if (yget_node(d, file, root, "exceptions", Y_MAP, 0, &n) == 1) {
		ycheck_keys(d, file, n, exc_keys, "exceptions");
		if (yget_str(d, file, n, "approver_role", 0, &v) == 1) {
			c->approver_role = xstrdup(v);
			c->approver_line = ymap_get(n, "approver_role")->line;
			c->approver_col = ymap_get(n, "approver_role")->col;
		}
		if (yget_node(d, file, n, "remind", Y_SEQ, 0, &t) == 1) {
			c->exc_remind_s = xcalloc(t->n + 1, sizeof(int64_t));
			for (i = 0; i < t->n; i++) {
				const char *why;

				if (t->items[i]->type != Y_SCALAR ||
				    duration_parse(t->items[i]->str,
				    &c->exc_remind_s[i], &why) == -1)
					diag_node(d, file, t->items[i],
					    "remind: durations before "
					    "revert_by, such as 24h");
			}
			c->nexc_remind = t->n;
		}
	}
	if (yget_node(d, file, root, "templates", Y_MAP, 0, &n) == 1)
		c->templates = ynode_json(n);
	c->trigger_retention_s = 90 * 86400;
	c->repeat_summary_s = 300;
	if (yget_node(d, file, root, "triggers", Y_MAP, 0, &n) == 1) {
		ycheck_keys(d, file, n, triggers_keys, "triggers");
		yget_duration(d, file, n, "retention", 0,
		    &c->trigger_retention_s);
		yget_duration(d, file, n, "repeat_summary", 0,
		    &c->repeat_summary_s);
	}
}

struct config *
config_load(const char *path, struct diags *d)
{
	struct ydoc	*doc;
	struct config	*c;
	struct ynode	*root;
	const char	*v;
	char		*slash;
	size_t		 before = d->nerrors;

	if ((doc = ydoc_load(path, d)) == NULL)
		return NULL;
	c = xcalloc(1, sizeof *c);
	c->path = xstrdup(path);
	c->dir = xstrdup(path);
	if ((slash = strrchr(c->dir, '/')) != NULL)
		*slash = '\0';
	else {
		free(c->dir);
		c->dir = xstrdup(".");
	}
	root = doc->root;
	if (root == NULL || root->type != Y_MAP) {
		diag_node(d, path, root, "the config must be a map");
		goto out;
	}
	ycheck_keys(d, path, root, top_keys, "config");
	get_path(d, path, root, "state_dir", c->dir, "/var/lib/keizoku",
	    &c->state_dir);
	parse_store(d, path, root, c);
	get_path(d, path, root, "runbooks", c->dir, "runbooks", &c->runbooks);
	get_path(d, path, root, "plugins", c->dir, KZ_PREFIX
	    "/lib/keizoku/plugins", &c->plugins);
	get_path(d, path, root, "plan", c->dir, NULL, &c->plan);
	get_path(d, path, root, "roster", c->dir, "roster.yaml", &c->roster);
	get_path(d, path, root, "scenarios", c->dir, NULL, &c->scenarios);
	if (c->scenarios == NULL)
		c->scenarios = xprintf("%s/scenarios", c->runbooks);
	c->timezone = xstrdup("Asia/Tokyo");
	if (yget_str(d, path, root, "timezone", 0, &v) == 1) {
		if (!tz_valid(v))
			diag_node(d, path, ymap_get(root, "timezone"),
			    "unknown time zone \"%s\" (an IANA name such as "
			    "Asia/Tokyo, as under /usr/share/zoneinfo)", v);
		free(c->timezone);
		c->timezone = xstrdup(v);
	}
	if (yget_strlist(d, path, root, "admins", 0, &c->admins, NULL) != 1)
		c->admins = xcalloc(1, sizeof *c->admins);
	load_misc(c, path, root, d);
	load_lists(c, path, root, d);
	load_web(c, path, root, d);
	config_load_beat(c, path, root, d);
out:
	ydoc_free(doc);
	if (d->nerrors > before) {
		config_free(c);
		return NULL;
	}
	return c;
}

void
config_free(struct config *c)
{
	size_t i;

	if (c == NULL)
		return;
	config_free_watch(c);
	for (i = 0; i < c->nsources; i++) {
		free(c->sources[i].name);
		free(c->sources[i].format);
		free(c->sources[i].secret);
		free(c->sources[i].header);
		free(c->sources[i].ts_header);
		free(c->sources[i].drill_label);
		free(c->sources[i].feed);
		free(c->sources[i].backfill);
	}
	for (i = 0; i < c->nchannels; i++) {
		free(c->channels[i].name);
		free(c->channels[i].type);
		free(c->channels[i].url);
		free(c->channels[i].secret);
		free(c->channels[i].retry_s);
		free(c->channels[i].lang);
		free(c->channels[i].from);
		free(c->channels[i].from_name);
		free(c->channels[i].username);
		free(c->channels[i].password);
		free(c->channels[i].tls_ca);
	}
	for (i = 0; i < c->nroutes; i++) {
		free(c->routes[i].channel);
		strv_free(c->routes[i].events);
	}
	for (i = 0; i < c->ntokens; i++)
		free(c->tokens[i].member);
	free(c->sources);
	strv_free(c->source_names);
	strv_free(c->point_sources);
	free(c->channels);
	free(c->routes);
	free(c->tokens);
	free(c->path);
	free(c->dir);
	free(c->state_dir);
	free(c->node);
	free(c->store_backend);
	free(c->store_dsn);
	free(c->runbooks);
	free(c->plugins);
	free(c->plan);
	free(c->roster);
	free(c->scenarios);
	free(c->timezone);
	strv_free(c->admins);
	free(c->socket);
	free(c->http_listen);
	free(c->tls_cert);
	free(c->tls_key);
	free(c->approver_role);
	free(c->exc_remind_s);
	json_decref(c->templates);
	free(c->web.base_url);
	free(c->web.secret);
	free(c);
}

const struct source_conf *
config_source(const struct config *c, const char *name)
{
	size_t i;

	for (i = 0; c != NULL && i < c->nsources; i++)
		if (strcmp(c->sources[i].name, name) == 0)
			return &c->sources[i];
	return NULL;
}

const struct channel_conf *
config_channel(const struct config *c, const char *name)
{
	size_t i;

	for (i = 0; c != NULL && i < c->nchannels; i++)
		if (strcmp(c->channels[i].name, name) == 0)
			return &c->channels[i];
	return NULL;
}

char **
config_channel_names(const struct config *c)
{
	char	**v = xcalloc(c->nchannels + 1, sizeof *v);
	size_t	  i;

	for (i = 0; i < c->nchannels; i++)
		v[i] = c->channels[i].name;
	return v;
}
