/* Templates: "{{path}}" in strings is replaced from a context object
 * (roots such as trigger, vars, incident, runbook, steps). Spaces inside
 * the braces are allowed: "{{ vars.site }}". Paths are made of
 * [A-Za-z0-9_.-]. There is no escape: every "{{" opens a hole, and text
 * without "{{" (a lone "}}" included) is literal.
 *
 * A hole may name a filter: "{{trigger.labels.host|url}}" percent-encodes
 * the value (RFC 3986: all but unreserved characters), "{{x|json}}"
 * writes it as a JSON value (a string quoted and escaped). There is no
 * shell filter: no action runs a shell. Where a value lands decides how
 * it is escaped besides (tmpl_render_in): in a URL, values past the host
 * are percent-encoded and only the runbook's vars may come before; in a
 * JSON text, a value inside a string is escaped as string content and
 * one outside is a JSON value; in a chat message, markup is escaped. */
#ifndef KZ_TEMPLATE_H
#define KZ_TEMPLATE_H

#include <jansson.h>

#include "model/matcher.h"	/* path_check_fn */

struct tmpl;

enum tmpl_filter { TF_NONE, TF_URL, TF_JSON };

/* Where a rendered string goes. */
enum tmpl_context {
	TC_TEXT,	/* as is (the filters only) */
	TC_URL,		/* an http(s) URL */
	TC_JSON,	/* a JSON document written as a string */
	TC_CHAT,	/* Slack / Teams text ({{mention}} is as written) */
};

/* Compiles s. An unterminated "{{", an empty or malformed path, or a
 * path the checker refuses is an error: NULL, *why allocated. */
struct tmpl	*tmpl_compile(const char *s, path_check_fn, void *arg,
		    char **why);
/* Renders against ctx; a missing value renders empty, strings as is,
 * numbers and booleans in JSON form, null empty, arrays and objects as
 * compact JSON. Never NULL. */
char		*tmpl_render(const struct tmpl *, json_t *ctx);
char		*tmpl_render_in(const struct tmpl *, json_t *ctx,
		    enum tmpl_context);
/* A ready-made text escaped as TC_CHAT escapes a value. */
char		*tmpl_chat_escape(const char *);
/* A URL template (load time): starts http:// or https://, and nothing but
 * {{vars.*}} comes before its path. 0, or -1 and *why. */
int		 tmpl_check_url(const char *, char **why);
/* The URL up to its path, rendered (for comparing where a request goes
 * with where the runbook's own vars would send it). */
char		*tmpl_url_origin(const struct tmpl *, json_t *ctx);
void		 tmpl_free(struct tmpl *);
/* Checks every string inside a JSON value (recursively) as a template;
 * returns 0 or -1 with *why allocated (naming the offending string). */
int		 tmpl_check_json(json_t *, path_check_fn, void *arg,
		    char **why);
/* Renders s (no check; a text that does not compile comes back as
 * written); for messages. The compiled text is kept, by its text, for
 * the next rendering of the same (a small table of copies). */
char		*tmpl_expand(const char *s, json_t *ctx);
char		*tmpl_expand_in(const char *s, json_t *ctx, enum tmpl_context);
/* Frees the kept compiled texts (at exit, for leak checkers). */
void		 tmpl_cache_clear(void);
/* Returns a deep copy of v with every string rendered as a template. */
json_t		*tmpl_render_json(json_t *v, json_t *ctx);

#endif
