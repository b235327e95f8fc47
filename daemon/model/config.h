/* keizokud.yaml (SPEC §2). Relative paths resolve against the config
 * file's directory; secrets ("env:NAME", "file:PATH") are resolved at
 * load time. */
#ifndef KZ_CONFIG_H
#define KZ_CONFIG_H

#include <jansson.h>
#include <stdint.h>

struct diags;
struct ynode;
struct matcher;
struct rbset;

enum auth_kind { AUTH_NONE, AUTH_BEARER, AUTH_HMAC, AUTH_STDWH };

struct source_conf {
	char		*name;
	char		*format;
	enum auth_kind	 auth;
	char		*secret;	/* token, hmac secret or whsec_ */
	char		*header;	/* hmac signature header */
	char		*ts_header;	/* hmac timestamp header, optional */
	int64_t		 window_s;	/* replay window / tolerance */
	int		 drill;		/* everything from here is a drill */
	char		*drill_label;	/* label/field that marks a drill */
	int64_t		 silent_after_s; /* nothing heard for this long:
					   silent (0: never) */
	/* SPEC §17: alerts that only mean "alive" (heard, never
	 * activate), the runbook a silence starts, and format heartbeat
	 * (pings only: every request is heard, nothing else). */
	struct matcher	*heartbeat;
	char		*on_silent;
	int		 on_silent_line, on_silent_col;
	int		 pings;		/* format heartbeat */
	int64_t		 stale_after_s;	/* a pull source: no new document
					   for this long (0: never) */
	/* A pull source (format jma, SPEC §15): keizokud fetches, nobody
	 * posts. */
	int		 pull;
	int		 enabled;	/* 0: configured, but not polled */
	char		*feed;		/* Atom feed URL */
	char		*backfill;	/* longer feed read after a gap, or NULL */
	int64_t		 interval_s;	/* between polls (>= 1) */
	int64_t		 timeout_s;	/* one request */
	int64_t		 max_age_s;	/* older documents are not acted on */
};

struct channel_conf {
	char		*name;
	char		*type;		/* slack | teams | webhook | email */
	char		*url;		/* email: smtp_url */
	char		*secret;	/* webhook: whsec_ */
	int64_t		 timeout_s;
	int64_t		*retry_s;	/* delays between attempts */
	size_t		 nretry;
	int64_t		 max_age_s;
	char		*lang;		/* "ja", "en" or "both" */
	/* type email (SPEC §14) */
	char		*from;		/* the sender's address */
	char		*from_name;	/* its display name */
	char		*username;	/* SMTP AUTH, or NULL */
	char		*password;
	char		*tls_ca;	/* CA file for the MTA's certificate */
};

/* web: the pages of SPEC §14. Without a secret there are no pages. */
struct web_conf {
	char		*base_url;	/* "https://host:port", no slash at
					   the end; NULL: links not sent */
	char		*secret;	/* signs links, sessions, CSRF */
	int64_t		 link_ttl_s;	/* personal links (72h) */
	int64_t		 session_ttl_s;	/* sign-in sessions (12h) */
	int64_t		 login_ttl_s;	/* a mailed sign-in link (15m) */
};

struct route_conf {
	char	 *channel;
	char	**events;		/* NULL-terminated; NULL: all */
};

/* heartbeat: keizokud's own dead-man's switch (SPEC §17), outward. */
struct heartbeat_conf {
	char		*url;		/* NULL: none */
	char		*token;		/* Authorization: Bearer, or NULL */
	int64_t		 every_s;
};

struct token_conf {
	char	*member;
	char	 sha256[65];
	int	 line, col;		/* of member, for -t */
};

struct config {
	char			*path;
	char			*dir;
	char			*state_dir;
	char			*node;		/* this instance's name */
	char			*store_backend;	/* "sqlite", "postgresql" */
	char			*store_dsn;	/* postgresql: libpq DSN */
	char			*runbooks;
	char			*plugins;
	char			*plan;
	char			*roster;
	char			**admins;
	char			*socket;
	int			 socket_mode;
	char			*http_listen;	/* NULL or "" : no HTTP */
	char			*tls_cert;
	char			*tls_key;
	int64_t			 max_body;
	int64_t			 http_timeout_s;	/* idle, per byte */
	int64_t			 http_request_timeout_s; /* head + body */
	int			 http_max_conns;
	int			 ctl_max_clients;
	struct token_conf	*tokens;
	size_t			 ntokens;
	struct source_conf	*sources;
	size_t			 nsources;
	char			**source_names;
	char			**point_sources; /* p2pquake and jma ones */
	struct channel_conf	*channels;
	size_t			 nchannels;
	struct route_conf	*routes;
	size_t			 nroutes;
	char			*approver_role;
	int			 approver_line, approver_col;
	int64_t			*exc_remind_s;	/* before revert_by */
	size_t			 nexc_remind;
	json_t			*templates;	/* event -> text overrides */
	int64_t			 trigger_retention_s;	/* 0: kept */
	int64_t			 repeat_summary_s;	/* 0: every repeat */
	char			*scenarios;	/* drill scenario dir */
	struct web_conf		 web;
	char			*timezone;	/* of reports, notifications */
	struct heartbeat_conf	 heartbeat;
	char			*maint_role;	/* may open maintenance
						   windows */
};

struct config		*config_load(const char *path, struct diags *);
/* The names of the configured channels, NULL-terminated (allocated
 * array of borrowed strings). */
char			**config_channel_names(const struct config *);
void			 config_free(struct config *);
const struct source_conf *config_source(const struct config *, const char *);
const struct channel_conf *config_channel(const struct config *,
			    const char *);
/* The keys of SPEC §17 (config-watch.c): a source's heartbeat,
 * on_silent and stale_after, and the top-level heartbeat: and
 * maintenance:. */
void			 config_load_watch(struct config *, const char *file,
			    const struct ynode *src, struct source_conf *,
			    struct diags *);
void			 config_load_beat(struct config *, const char *file,
			    const struct ynode *root, struct diags *);
void			 config_free_watch(struct config *);
/* Every on_silent names a loaded runbook: errors at its position. */
void			 config_check_runbooks(const struct config *,
			    const struct rbset *, struct diags *);
/* Resolves "env:NAME", "file:PATH" or a literal; NULL and *why when the
 * variable or file is missing. */
char			*secret_resolve(const char *spec, const char *dir,
			    int *literal, char **why);

#endif
