/* Templates: a string cut once into literal text and {{path}} holes, so
 * load time can refuse unknown paths and rendering is a single pass. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/template.h"
#include "common/xmalloc.h"

struct tpart {
	char	*text;		/* literal text, or the path of a hole */
	size_t	 len;
	int	 hole;
};

struct tmpl {
	struct tpart	*parts;
	size_t		 n;
};

/* Longest template text quoted in a message, in bytes. */
#define TMPL_QUOTE_MAX	80

static void
tmpl_add(struct tmpl *t, const char *s, size_t len, int hole)
{
	t->parts = xreallocarray(t->parts, t->n + 1, sizeof *t->parts);
	t->parts[t->n].text = xstrndup(s, len);
	t->parts[t->n].len = len;
	t->parts[t->n++].hole = hole;
}

void
tmpl_free(struct tmpl *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		free(t->parts[i].text);
	free(t->parts);
	free(t);
}

/* Sets *why to the message followed by the (shortened) template text,
 * cut on a UTF-8 boundary so a Japanese message stays valid. */
static void __attribute__((format(printf, 3, 4)))
tmpl_err(char **why, const char *s, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;
	size_t	 n = strlen(s);
	int	 cut = 0;

	va_start(ap, fmt);
	msg = xvprintf(fmt, ap);
	va_end(ap);
	if (n > TMPL_QUOTE_MAX) {
		n = TMPL_QUOTE_MAX - 3;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
		cut = 1;
	}
	*why = xprintf("%s in \"%.*s%s\"", msg, (int)n, s, cut ? "..." : "");
	free(msg);
}

static int
tmpl_pathchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

/* Checks the trimmed text of one hole; returns a static reason or NULL. */
static const char *
tmpl_badpath(const char *p, size_t len)
{
	size_t i;

	if (len == 0)
		return "empty \"{{}}\"";
	for (i = 0; i < len; i++)
		if (!tmpl_pathchar(p[i]))
			return "bad path (use letters, digits, _, - and . "
			    "as in {{vars.site}})";
	if (p[0] == '.' || p[len - 1] == '.' || memmem(p, len, "..", 2))
		return "bad path (empty part between dots)";
	return NULL;
}

/* Parses one hole starting at open ("{{"); returns the text after it,
 * or NULL with *why set. */
static const char *
tmpl_hole(struct tmpl *t, const char *s, const char *open,
    path_check_fn check, void *arg, char **why)
{
	const char	*p = open + 2, *close, *bad;
	char		*path, *cwhy = NULL;
	size_t		 len;

	if ((close = strstr(p, "}}")) == NULL) {
		tmpl_err(why, s, "unterminated \"{{\"");
		return NULL;
	}
	while (p < close && (*p == ' ' || *p == '\t'))
		p++;
	len = (size_t)(close - p);
	while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	if ((bad = tmpl_badpath(p, len)) != NULL) {
		tmpl_err(why, s, "%s", bad);
		return NULL;
	}
	path = xstrndup(p, len);
	if (check != NULL && check(path, arg, &cwhy) == -1) {
		if (cwhy != NULL)
			tmpl_err(why, s, "%s", cwhy);
		else
			tmpl_err(why, s, "path \"%s\" not allowed here", path);
		free(cwhy);
		free(path);
		return NULL;
	}
	free(path);
	tmpl_add(t, p, len, 1);
	return close + 2;
}

struct tmpl *
tmpl_compile(const char *s, path_check_fn check, void *arg, char **why)
{
	struct tmpl	*t = xcalloc(1, sizeof *t);
	const char	*p = s, *open;

	*why = NULL;
	while ((open = strstr(p, "{{")) != NULL) {
		if (open > p)
			tmpl_add(t, p, (size_t)(open - p), 0);
		if ((p = tmpl_hole(t, s, open, check, arg, why)) == NULL) {
			tmpl_free(t);
			return NULL;
		}
	}
	if (*p != '\0')
		tmpl_add(t, p, strlen(p), 0);
	return t;
}

/* Appends v as text; reals in the shortest form that reads back exactly,
 * so 0.1 renders "0.1" and 2.0 renders "2". */
static void
tmpl_value(struct buf *b, json_t *v)
{
	char	 num[64];
	char	*s;
	double	 d;
	int	 prec;

	switch (json_typeof(v)) {
	case JSON_STRING:
		buf_add(b, json_string_value(v), strlen(json_string_value(v)));
		break;
	case JSON_INTEGER:
		buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		d = json_real_value(v);
		for (prec = 1; prec <= 17; prec++) {
			snprintf(num, sizeof num, "%.*g", prec, d);
			if (strtod(num, NULL) == d)
				break;
		}
		buf_adds(b, num);
		break;
	case JSON_TRUE:
		buf_adds(b, "true");
		break;
	case JSON_FALSE:
		buf_adds(b, "false");
		break;
	case JSON_NULL:
		break;
	case JSON_OBJECT:
	case JSON_ARRAY:
		if ((s = json_dumps(v, JSON_COMPACT)) != NULL) {
			buf_adds(b, s);
			free(s);
		}
		break;
	}
}

char *
tmpl_render(const struct tmpl *t, json_t *ctx)
{
	struct buf	 b = { 0 };
	json_t		*v;
	size_t		 i;

	for (i = 0; i < t->n; i++) {
		if (!t->parts[i].hole)
			buf_add(&b, t->parts[i].text, t->parts[i].len);
		else if ((v = json_path(ctx, t->parts[i].text)) != NULL)
			tmpl_value(&b, v);
	}
	return buf_steal(&b);
}

char *
tmpl_expand(const char *s, json_t *ctx)
{
	struct tmpl	*t;
	char		*why, *r;

	/* A message is better sent as written than not at all. */
	if ((t = tmpl_compile(s, NULL, NULL, &why)) == NULL) {
		free(why);
		return xstrdup(s);
	}
	r = tmpl_render(t, ctx);
	tmpl_free(t);
	return r;
}

/* Walks v; loc holds where we are ("body.site", "argv.2") for messages. */
static int
tmpl_check_walk(json_t *v, path_check_fn check, void *arg, struct buf *loc,
    char **why)
{
	struct tmpl	*t;
	const char	*key;
	json_t		*el;
	size_t		 i, saved = loc->len;
	char		*w;
	int		 r = 0;

	if (json_is_string(v)) {
		if ((t = tmpl_compile(json_string_value(v), check, arg,
		    &w)) == NULL) {
			*why = loc->len > 0 ? xprintf("%s: %s", loc->s, w) : w;
			if (*why != w)
				free(w);
			return -1;
		}
		tmpl_free(t);
		return 0;
	}
	if (json_is_object(v)) {
		json_object_foreach(v, key, el) {
			buf_printf(loc, "%s%s", saved > 0 ? "." : "", key);
			r = tmpl_check_walk(el, check, arg, loc, why);
			loc->len = saved;
			loc->s[saved] = '\0';
			if (r == -1)
				return -1;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, el) {
			buf_printf(loc, "%s%zu", saved > 0 ? "." : "", i);
			r = tmpl_check_walk(el, check, arg, loc, why);
			loc->len = saved;
			loc->s[saved] = '\0';
			if (r == -1)
				return -1;
		}
	}
	return 0;
}

int
tmpl_check_json(json_t *v, path_check_fn check, void *arg, char **why)
{
	struct buf	loc = { 0 };
	int		r;

	*why = NULL;
	r = tmpl_check_walk(v, check, arg, &loc, why);
	buf_free(&loc);
	return r;
}

json_t *
tmpl_render_json(json_t *v, json_t *ctx)
{
	json_t		*out, *el;
	const char	*key;
	char		*s;
	size_t		 i;

	if (v == NULL)
		return NULL;
	switch (json_typeof(v)) {
	case JSON_STRING:
		s = tmpl_expand(json_string_value(v), ctx);
		out = json_string(s);
		free(s);
		return out != NULL ? out : json_string("");
	case JSON_OBJECT:
		out = json_object();
		json_object_foreach(v, key, el)
			json_object_set_new(out, key, tmpl_render_json(el, ctx));
		return out;
	case JSON_ARRAY:
		out = json_array();
		json_array_foreach(v, i, el)
			json_array_append_new(out, tmpl_render_json(el, ctx));
		return out;
	default:
		return json_deep_copy(v);
	}
}
