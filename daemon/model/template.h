/* Templates: "{{path}}" in strings is replaced from a context object
 * (roots such as trigger, vars, incident, runbook, steps). Spaces inside
 * the braces are allowed: "{{ vars.site }}". Paths are made of
 * [A-Za-z0-9_.-]. There is no escape: every "{{" opens a hole, and text
 * without "{{" (a lone "}}" included) is literal. */
#ifndef KZ_TEMPLATE_H
#define KZ_TEMPLATE_H

#include <jansson.h>

#include "model/matcher.h"	/* path_check_fn */

struct tmpl;

/* Compiles s. An unterminated "{{", an empty or malformed path, or a
 * path the checker refuses is an error: NULL, *why allocated. */
struct tmpl	*tmpl_compile(const char *s, path_check_fn, void *arg,
		    char **why);
/* Renders against ctx; a missing value renders empty, strings as is,
 * numbers and booleans in JSON form, null empty, arrays and objects as
 * compact JSON. Never NULL. */
char		*tmpl_render(const struct tmpl *, json_t *ctx);
void		 tmpl_free(struct tmpl *);
/* Checks every string inside a JSON value (recursively) as a template;
 * returns 0 or -1 with *why allocated (naming the offending string). */
int		 tmpl_check_json(json_t *, path_check_fn, void *arg,
		    char **why);
/* One-shot: compile and render s (no check); for messages. */
char		*tmpl_expand(const char *s, json_t *ctx);
/* Returns a deep copy of v with every string rendered as a template. */
json_t		*tmpl_render_json(json_t *v, json_t *ctx);

#endif
