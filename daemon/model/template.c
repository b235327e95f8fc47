/* Templates: a string cut once into literal text and {{path}} holes
 * (with an optional |filter), so load time can refuse unknown paths and
 * rendering is a single pass. A rendering has a context that decides how
 * a value is escaped where it lands (template.h). */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/template.h"
#include "common/xmalloc.h"

struct tpart {
	char		*text;		/* literal text, or the path of a hole */
	size_t		 len;
	int		 hole;
	enum tmpl_filter filter;
};

static const struct {
	const char		*name;
	enum tmpl_filter	 filter;
} tmpl_filters[] = {
	{ "url", TF_URL },
	{ "json", TF_JSON },
};

struct tmpl {
	struct tpart	*parts;
	size_t		 n;
};

/* Longest template text quoted in a message, in bytes. */
#define TMPL_QUOTE_MAX	80

static void
tmpl_add(struct tmpl *t, const char *s, size_t len, int hole,
    enum tmpl_filter filter)
{
	t->parts = xreallocarray(t->parts, t->n + 1, sizeof *t->parts);
	t->parts[t->n].text = xstrndup(s, len);
	t->parts[t->n].len = len;
	t->parts[t->n].filter = filter;
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
	const char	*p = open + 2, *close, *bad, *bar, *f;
	char		*path, *cwhy = NULL;
	size_t		 len, flen, i;
	enum tmpl_filter filter = TF_NONE;

	if ((close = strstr(p, "}}")) == NULL) {
		tmpl_err(why, s, "unterminated \"{{\"");
		return NULL;
	}
	while (p < close && (*p == ' ' || *p == '\t'))
		p++;
	len = (size_t)(close - p);
	/* A filter: "path | url". */
	if ((bar = memchr(p, '|', len)) != NULL) {
		f = bar + 1;
		while (f < close && (*f == ' ' || *f == '\t'))
			f++;
		flen = (size_t)(close - f);
		while (flen > 0 && (f[flen - 1] == ' ' || f[flen - 1] == '\t'))
			flen--;
		for (i = 0; i < sizeof tmpl_filters / sizeof tmpl_filters[0];
		    i++)
			if (strlen(tmpl_filters[i].name) == flen &&
			    strncmp(tmpl_filters[i].name, f, flen) == 0)
				filter = tmpl_filters[i].filter;
		if (filter == TF_NONE) {
			tmpl_err(why, s, "unknown filter \"%.*s\" (there are "
			    "|url and |json)", (int)flen, f);
			return NULL;
		}
		len = (size_t)(bar - p);
	}
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
	tmpl_add(t, p, len, 1, filter);
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
			tmpl_add(t, p, (size_t)(open - p), 0, TF_NONE);
		if ((p = tmpl_hole(t, s, open, check, arg, why)) == NULL) {
			tmpl_free(t);
			return NULL;
		}
	}
	if (*p != '\0')
		tmpl_add(t, p, strlen(p), 0, TF_NONE);
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

/* Percent-encodes everything but RFC 3986's unreserved characters; a
 * value that is all dots is encoded whole, so that it cannot become a
 * dot segment ("..") of the path. */
static void
tmpl_pct(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t	i;
	int	dots = n > 0 && strspn(s, ".") == n;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!dots && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
		    c == '~'))
			buf_addc(b, (char)c);
		else {
			buf_addc(b, '%');
			buf_addc(b, hex[c >> 4]);
			buf_addc(b, hex[c & 15]);
		}
	}
}

/* The text of a value under its filter. */
static void
tmpl_filtered(struct buf *b, json_t *v, enum tmpl_filter f)
{
	struct buf	 t = { 0 };
	char		*s;

	switch (f) {
	case TF_NONE:
		if (v != NULL)
			tmpl_value(b, v);
		break;
	case TF_URL:
		if (v != NULL)
			tmpl_value(&t, v);
		tmpl_pct(b, t.s != NULL ? t.s : "", t.len);
		buf_free(&t);
		break;
	case TF_JSON:
		s = v != NULL ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) :
		    NULL;
		buf_adds(b, s != NULL ? s : "null");
		free(s);
		break;
	}
}

/* Text as the inside of a JSON string. */
static void
tmpl_json_chars(struct buf *b, const char *s, size_t n)
{
	json_t	*j = json_stringn(s, n);
	char	*d = j != NULL ? json_dumps(j, JSON_ENCODE_ANY) : NULL;

	/* Not UTF-8: nothing rather than a broken document. */
	if (d != NULL && strlen(d) >= 2)
		buf_add(b, d + 1, strlen(d) - 2);
	free(d);
	json_decref(j);
}

/* Chat formats (SPEC §11): in values, &, < and > are Slack's and Teams'
 * markup (<!channel>, <https://x|text>, HTML), "](" closes a Markdown
 * link's text (Mattermost, Teams) and "@" starts a mention in
 * Mattermost and Rocket.Chat: escaped, or split with an invisible word
 * joiner (U+2060), so a value shows as written and does nothing. */
static void
tmpl_chat(struct buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '&':
			buf_adds(b, "&amp;");
			break;
		case '<':
			buf_adds(b, "&lt;");
			break;
		case '>':
			buf_adds(b, "&gt;");
			break;
		case '@':
			buf_adds(b, "@\xe2\x81\xa0");
			break;
		case ']':
			buf_addc(b, ']');
			if (i + 1 < n && s[i + 1] == '(')
				buf_adds(b, "\xe2\x81\xa0");
			break;
		default:
			buf_addc(b, s[i]);
		}
	}
}

char *
tmpl_chat_escape(const char *s)
{
	struct buf b = { 0 };

	tmpl_chat(&b, s, strlen(s));
	return buf_steal(&b);
}

/* Where a URL template is: before "://", in the authority, or past it
 * (path, query, fragment). Only literal text moves it on. */
enum tmpl_urlpos { TU_SCHEME, TU_AUTHORITY, TU_REST };

static enum tmpl_urlpos
tmpl_url_advance(enum tmpl_urlpos pos, const char *s, size_t n)
{
	const char *p;

	if (pos == TU_SCHEME) {
		if ((p = memmem(s, n, "://", 3)) == NULL)
			return pos;
		n -= (size_t)(p + 3 - s);
		s = p + 3;
		pos = TU_AUTHORITY;
	}
	if (pos == TU_AUTHORITY && strcspn(s, "/?#") < n)
		pos = TU_REST;
	return pos;
}

/* JSON text: whether the end of s (n bytes) is inside a string. */
static int
tmpl_json_advance(int in_string, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (in_string && s[i] == '\\')
			i++;
		else if (s[i] == '"')
			in_string = !in_string;
	}
	return in_string;
}

char *
tmpl_render_in(const struct tmpl *t, json_t *ctx, enum tmpl_context c)
{
	struct buf		 b = { 0 }, v = { 0 };
	enum tmpl_urlpos	 pos = TU_SCHEME;
	const struct tpart	*tp;
	json_t			*val;
	int			 in_string = 0;
	size_t			 i;

	for (i = 0; i < t->n; i++) {
		tp = &t->parts[i];
		if (!tp->hole) {
			buf_add(&b, tp->text, tp->len);
			pos = tmpl_url_advance(pos, tp->text, tp->len);
			in_string = tmpl_json_advance(in_string, tp->text,
			    tp->len);
			continue;
		}
		val = json_path(ctx, tp->text);
		v.len = 0;
		switch (c) {
		case TC_TEXT:
			tmpl_filtered(&b, val, tp->filter);
			break;
		case TC_URL:
			/* The authority only ever from the runbook's vars
			 * (tmpl_check_url), as written; past it, encoded. */
			if (pos != TU_REST)
				tmpl_filtered(&b, val, tp->filter);
			else if (tp->filter == TF_URL)
				tmpl_filtered(&b, val, TF_URL);
			else {
				tmpl_filtered(&v, val, tp->filter);
				tmpl_pct(&b, v.s != NULL ? v.s : "", v.len);
			}
			break;
		case TC_JSON:
			if (in_string) {
				tmpl_filtered(&v, val, tp->filter);
				tmpl_json_chars(&b, v.s != NULL ? v.s : "",
				    v.len);
			} else if (tp->filter == TF_URL) {
				/* Percent-encoded text needs no escape. */
				buf_addc(&b, '"');
				tmpl_filtered(&b, val, TF_URL);
				buf_addc(&b, '"');
			} else
				tmpl_filtered(&b, val, TF_JSON);
			break;
		case TC_CHAT:
			if (strcmp(tp->text, "mention") == 0) {
				/* From the roster, as its owners wrote it. */
				tmpl_filtered(&b, val, tp->filter);
				break;
			}
			tmpl_filtered(&v, val, tp->filter);
			tmpl_chat(&b, v.s != NULL ? v.s : "", v.len);
			break;
		}
	}
	buf_free(&v);
	return buf_steal(&b);
}

char *
tmpl_render(const struct tmpl *t, json_t *ctx)
{
	return tmpl_render_in(t, ctx, TC_TEXT);
}

int
tmpl_check_url(const char *s, char **why)
{
	struct tmpl		*t;
	enum tmpl_urlpos	 pos = TU_SCHEME;
	size_t			 i;
	int			 rc = 0;

	*why = NULL;
	if ((t = tmpl_compile(s, NULL, NULL, why)) == NULL)
		return -1;
	if (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0) {
		tmpl_err(why, s, "a URL template starts with http:// or "
		    "https:// as written");
		tmpl_free(t);
		return -1;
	}
	for (i = 0; i < t->n && rc == 0; i++) {
		const struct tpart *tp = &t->parts[i];

		if (!tp->hole) {
			pos = tmpl_url_advance(pos, tp->text, tp->len);
			continue;
		}
		if (pos != TU_REST && strncmp(tp->text, "vars.", 5) != 0) {
			tmpl_err(why, s, "{{%s}} would let it choose the host "
			    "or port; before the path a URL takes only the "
			    "runbook's own {{vars.*}} (values after the host "
			    "are encoded)", tp->text);
			rc = -1;
		}
	}
	tmpl_free(t);
	return rc;
}

/* The literal-and-vars part of a URL template up to its path, rendered:
 * where it sends a request ("" when the template has no hole before its
 * path: then the text is its own authority). */
char *
tmpl_url_origin(const struct tmpl *t, json_t *ctx)
{
	struct buf		 b = { 0 };
	enum tmpl_urlpos	 pos = TU_SCHEME;
	size_t			 i;

	for (i = 0; i < t->n && pos != TU_REST; i++) {
		const struct tpart *tp = &t->parts[i];

		if (tp->hole)
			tmpl_filtered(&b, json_path(ctx, tp->text), tp->filter);
		else {
			buf_add(&b, tp->text, tp->len);
			pos = tmpl_url_advance(pos, tp->text, tp->len);
		}
	}
	return buf_steal(&b);
}

/* The compiled texts of tmpl_expand, by their text: messages render the
 * same few texts again and again (an event's, a runbook's titles), and
 * compiling one cost as much as rendering it. A fixed table of copies
 * (a runbook reloaded or replaced leaves nothing pointing at it); a
 * text hashed to a taken slot replaces what was there. */
#define TMPL_CACHE	128

static struct {
	char		*s;
	uint64_t	 h;
	struct tmpl	*t;
} tmpl_cache[TMPL_CACHE];

static const struct tmpl *
tmpl_cached(const char *s)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;
	const char	*p;
	struct tmpl	*t;
	char		*why;
	size_t		 i;

	for (p = s; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	i = h % TMPL_CACHE;
	if (tmpl_cache[i].t != NULL && tmpl_cache[i].h == h &&
	    strcmp(tmpl_cache[i].s, s) == 0)
		return tmpl_cache[i].t;
	if ((t = tmpl_compile(s, NULL, NULL, &why)) == NULL) {
		free(why);
		return NULL;
	}
	tmpl_free(tmpl_cache[i].t);
	free(tmpl_cache[i].s);
	tmpl_cache[i].s = xstrdup(s);
	tmpl_cache[i].h = h;
	tmpl_cache[i].t = t;
	return t;
}

void
tmpl_cache_clear(void)
{
	size_t i;

	for (i = 0; i < TMPL_CACHE; i++) {
		tmpl_free(tmpl_cache[i].t);
		free(tmpl_cache[i].s);
		tmpl_cache[i].t = NULL;
		tmpl_cache[i].s = NULL;
	}
}

char *
tmpl_expand_in(const char *s, json_t *ctx, enum tmpl_context c)
{
	const struct tmpl *t;

	/* A message is better sent as written than not at all. */
	if ((t = tmpl_cached(s)) == NULL)
		return xstrdup(s);
	return tmpl_render_in(t, ctx, c);
}

char *
tmpl_expand(const char *s, json_t *ctx)
{
	return tmpl_expand_in(s, ctx, TC_TEXT);
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
