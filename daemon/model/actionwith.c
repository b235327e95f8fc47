/* An action's `with:` rendered for where each value goes (actionwith.h). */
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "model/actionwith.h"
#include "model/template.h"

int
action_with_check(json_t *with, char **why)
{
	json_t	*url = json_object_get(with, "url");
	char	*w;

	*why = NULL;
	if (!json_is_string(url) || strstr(json_string_value(url), "{{") ==
	    NULL)
		return 0;
	if (tmpl_check_url(json_string_value(url), &w) == -1) {
		*why = xprintf("url: %s", w);
		free(w);
		return -1;
	}
	return 0;
}

static char *
aw_url(const char *s, json_t *ctx, json_t *rbctx, char **origin, char **why)
{
	struct tmpl	*t;
	char		*out, *mine, *theirs;

	if ((t = tmpl_compile(s, NULL, NULL, why)) == NULL)
		return NULL;
	mine = tmpl_url_origin(t, ctx);
	theirs = tmpl_url_origin(t, rbctx);
	if (strcmp(mine, theirs) != 0) {
		*why = xprintf("url: the request would go to %s, not to %s as "
		    "the runbook's vars say (a --var given at activation may "
		    "not move it)", mine, theirs);
		free(mine);
		free(theirs);
		tmpl_free(t);
		return NULL;
	}
	out = tmpl_render_in(t, ctx, TC_URL);
	free(mine);
	*origin = theirs;
	tmpl_free(t);
	return out;
}

static char *
aw_body(const char *s, json_t *ctx, char **why)
{
	struct tmpl	*t;
	json_error_t	 err;
	json_t		*check;
	char		*out;

	if ((t = tmpl_compile(s, NULL, NULL, why)) == NULL)
		return NULL;
	out = tmpl_render_in(t, ctx, TC_JSON);
	tmpl_free(t);
	if ((check = json_loads(out, JSON_DECODE_ANY, &err)) == NULL) {
		*why = xprintf("body: the JSON it renders is not valid (%s at "
		    "column %d); check the quotes around each {{...}}",
		    err.text, err.column);
		free(out);
		return NULL;
	}
	json_decref(check);
	return out;
}

/* Whether s (a template) begins with a hole, so that a value decides
 * its first character. */
static int
aw_starts_with_hole(const char *s)
{
	return strncmp(s, "{{", 2) == 0;
}

static json_t *
aw_argv(json_t *argv, json_t *ctx, char **why)
{
	json_t		*out = json_array(), *el;
	const char	*s;
	char		*r;
	size_t		 i;
	int		 dashdash = 0;

	json_array_foreach(argv, i, el) {
		if (!json_is_string(el)) {
			json_array_append(out, el);
			continue;
		}
		s = json_string_value(el);
		r = tmpl_expand(s, ctx);
		if (i > 0 && !dashdash && r[0] == '-' &&
		    aw_starts_with_hole(s)) {
			*why = xprintf("argv.%zu: the value of %s begins with "
			    "\"-\" and would be taken for an option (\"%.40s\"); "
			    "write \"--\" before such arguments, or the option "
			    "with its value in one (--name={{...}})", i, s, r);
			free(r);
			json_decref(out);
			return NULL;
		}
		if (strcmp(s, "--") == 0)
			dashdash = 1;
		json_array_append_new(out, json_string(r));
		free(r);
	}
	return out;
}

json_t *
action_with_render(json_t *with, json_t *ctx, json_t *rbctx, char **origin,
    char **why)
{
	json_t		*out, *v, *r;
	const char	*key, *s;
	char		*text;

	*why = NULL;
	if (origin != NULL)
		*origin = NULL;
	if (!json_is_object(with))
		return tmpl_render_json(with, ctx);
	out = json_object();
	json_object_foreach(with, key, v) {
		s = json_string_value(v);
		text = NULL;
		r = NULL;
		if (strcmp(key, "url") == 0 && s != NULL) {
			char *o = NULL;

			if ((text = aw_url(s, ctx, rbctx, &o, why)) == NULL)
				goto fail;
			if (origin != NULL)
				*origin = o;
			else
				free(o);
		} else if (strcmp(key, "body") == 0 && s != NULL &&
		    strchr("{[", s[strspn(s, " \t\r\n")]) != NULL &&
		    s[strspn(s, " \t\r\n")] != '\0') {
			if ((text = aw_body(s, ctx, why)) == NULL)
				goto fail;
		} else if (strcmp(key, "argv") == 0 && json_is_array(v)) {
			if ((r = aw_argv(v, ctx, why)) == NULL)
				goto fail;
		} else
			r = tmpl_render_json(v, ctx);
		if (text != NULL) {
			r = json_string(text);
			free(text);
			if (r == NULL) {
				*why = xprintf("%s: not UTF-8 once rendered",
				    key);
				goto fail;
			}
		}
		json_object_set_new(out, key, r);
	}
	return out;
fail:
	if (origin != NULL) {
		free(*origin);
		*origin = NULL;
	}
	json_decref(out);
	return NULL;
}
