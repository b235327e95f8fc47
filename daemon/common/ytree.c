#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "common/diag.h"
#include "common/duration.h"
#include "common/xmalloc.h"
#include "common/ytree.h"

char *
read_file(const char *path, size_t *lenp)
{
	int		 fd;
	struct stat	 st;
	struct buf	 b = { 0 };
	char		 tmp[65536];
	ssize_t		 r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		errno = EISDIR;
		return NULL;
	}
	for (;;) {
		r = read(fd, tmp, sizeof tmp);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			int saved = errno;

			close(fd);
			buf_free(&b);
			errno = saved;
			return NULL;
		}
		if (r == 0)
			break;
		buf_add(&b, tmp, (size_t)r);
	}
	close(fd);
	if (lenp != NULL)
		*lenp = b.len;
	return buf_steal(&b);
}

static void
ynode_free(struct ynode *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->n; i++) {
		ynode_free(n->items[i]);
		if (n->keys != NULL)
			ynode_free(n->keys[i]);
	}
	free(n->items);
	free(n->keys);
	free(n->str);
	free(n);
}

void
ydoc_free(struct ydoc *doc)
{
	if (doc == NULL)
		return;
	ynode_free(doc->root);
	free(doc->file);
	free(doc);
}

/*
 * Parsing is libyaml's event API, the tree built as the events come, so
 * that every limit holds while parsing rather than after: the size of
 * the text (YDOC_MAX_BYTES), the nesting (YDOC_MAX_DEPTH, checked at
 * each opening event: a document of 40,000 "[" stops at the 65th), and
 * the nodes made, aliases expanded included (YDOC_MAX_NODES: no
 * billion laughs). Keys of a large map are checked for duplicates with a
 * hash table, not against every earlier key. Whatever the input, the
 * work is linear in its size.
 */
#define YDOC_MAX_BYTES	(4 * 1024 * 1024)
#define YDOC_MAX_DEPTH	64
#define YDOC_MAX_NODES	500000
#define YDOC_HASH_FROM	8	/* keys before a map gets its hash table */

/* A set of strings by FNV-1a hash, open addressing; slots hold index + 1
 * into the caller's array of strings. */
struct yset {
	size_t	*slot;
	size_t	 cap;		/* power of two, or 0 */
	size_t	 n;
};

static uint64_t
yhash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void yset_put(struct yset *, const char *, size_t idx,
    const char *(*name)(void *, size_t), void *arg);

static void
yset_grow(struct yset *set, const char *(*name)(void *, size_t), void *arg)
{
	struct yset	 bigger = { 0 };
	size_t		 i;

	bigger.cap = set->cap == 0 ? 32 : set->cap * 2;
	bigger.slot = xcalloc(bigger.cap, sizeof *bigger.slot);
	for (i = 0; i < set->cap; i++)
		if (set->slot[i] != 0)
			yset_put(&bigger, name(arg, set->slot[i] - 1),
			    set->slot[i] - 1, name, arg);
	free(set->slot);
	*set = bigger;
}

/* Index of the entry named s, or (size_t)-1. */
static size_t
yset_get(const struct yset *set, const char *s,
    const char *(*name)(void *, size_t), void *arg)
{
	size_t i;

	if (set->cap == 0)
		return (size_t)-1;
	for (i = yhash(s) & (set->cap - 1); set->slot[i] != 0;
	    i = (i + 1) & (set->cap - 1))
		if (strcmp(name(arg, set->slot[i] - 1), s) == 0)
			return set->slot[i] - 1;
	return (size_t)-1;
}

/* Adds (or, for a name already there, replaces) idx. */
static void
yset_put(struct yset *set, const char *s, size_t idx,
    const char *(*name)(void *, size_t), void *arg)
{
	size_t i;

	if (set->cap == 0 || (set->n + 1) * 2 > set->cap)
		yset_grow(set, name, arg);
	for (i = yhash(s) & (set->cap - 1); set->slot[i] != 0;
	    i = (i + 1) & (set->cap - 1))
		if (strcmp(name(arg, set->slot[i] - 1), s) == 0) {
			set->slot[i] = idx + 1;
			return;
		}
	set->slot[i] = idx + 1;
	set->n++;
}

/* A container being built. */
struct yframe {
	struct ynode	*node;
	size_t		 cap;
	struct ynode	*key;		/* a map's key awaiting its value */
	struct yset	 keys;		/* a large map's keys */
};

struct yanchor {
	char		*name;
	struct ynode	*node;
};

struct yparse {
	const char	*file;
	struct diags	*d;
	struct yframe	 stack[YDOC_MAX_DEPTH + 2];
	int		 depth;
	size_t		 budget;
	struct ynode	*root;
	struct yanchor	*anchors;
	size_t		 nanchors;
	struct yset	 anchor_set;
	int		 failed;
};

static const char *
ykey_name(void *arg, size_t i)
{
	return ((struct ynode *)arg)->keys[i]->str;
}

static const char *
yanchor_name(void *arg, size_t i)
{
	return ((struct yparse *)arg)->anchors[i].name;
}

static void
yfail(struct yparse *yp, const yaml_mark_t *m, const char *msg)
{
	if (!yp->failed)
		diag_error(yp->d, yp->file, (int)m->line + 1,
		    (int)m->column + 1, "%s", msg);
	yp->failed = 1;
}

static struct ynode *
ynew(struct yparse *yp, enum ytype type, const yaml_mark_t *m)
{
	struct ynode *n;

	if (yp->budget == 0) {
		yfail(yp, m, "document too large (alias expansion?)");
		return NULL;
	}
	yp->budget--;
	n = xcalloc(1, sizeof *n);
	n->type = type;
	n->line = (int)m->line + 1;
	n->col = (int)m->column + 1;
	return n;
}

/* A copy of an anchored node for an alias, within the budget. */
static struct ynode *
ycopy(struct yparse *yp, const struct ynode *src, const yaml_mark_t *m)
{
	struct ynode	*n;
	size_t		 i;

	if ((n = ynew(yp, src->type, m)) == NULL)
		return NULL;
	n->line = src->line;
	n->col = src->col;
	n->plain = src->plain;
	if (src->str != NULL)
		n->str = xstrdup(src->str);
	if (src->n == 0)
		return n;
	n->items = xcalloc(src->n, sizeof *n->items);
	if (src->keys != NULL)
		n->keys = xcalloc(src->n, sizeof *n->keys);
	for (; n->n < src->n; n->n++) {
		i = n->n;
		if ((n->items[i] = ycopy(yp, src->items[i], m)) == NULL ||
		    (src->keys != NULL && (n->keys[i] = ycopy(yp,
		    src->keys[i], m)) == NULL)) {
			if (n->items[i] != NULL)
				n->n++;		/* freed with n */
			ynode_free(n);
			return NULL;
		}
	}
	return n;
}

static void
yframe_push(struct yframe *f, struct ynode *item, struct ynode *key)
{
	struct ynode *n = f->node;

	if (n->n == f->cap) {
		f->cap = f->cap == 0 ? 4 : f->cap * 2;
		n->items = xreallocarray(n->items, f->cap, sizeof *n->items);
		if (key != NULL)
			n->keys = xreallocarray(n->keys, f->cap,
			    sizeof *n->keys);
	}
	n->items[n->n] = item;
	if (key != NULL)
		n->keys[n->n] = key;
	n->n++;
}

/* Puts a finished node where it belongs: the root, an item, a key or a
 * value. Takes n (freed on error). */
static void
yplace(struct yparse *yp, struct ynode *n)
{
	struct yframe	*f;
	size_t		 i, first = (size_t)-1;

	if (yp->depth == 0) {
		yp->root = n;
		return;
	}
	f = &yp->stack[yp->depth - 1];
	if (f->node->type == Y_SEQ) {
		yframe_push(f, n, NULL);
		return;
	}
	if (f->key != NULL) {
		yframe_push(f, n, f->key);
		f->key = NULL;
		/* From YDOC_HASH_FROM keys on, every key is in the set. */
		if (f->node->n == YDOC_HASH_FROM)
			for (i = 0; i < f->node->n; i++)
				yset_put(&f->keys, f->node->keys[i]->str, i,
				    ykey_name, f->node);
		else if (f->node->n > YDOC_HASH_FROM)
			yset_put(&f->keys, f->node->keys[f->node->n - 1]->str,
			    f->node->n - 1, ykey_name, f->node);
		return;
	}
	if (n->type != Y_SCALAR) {
		diag_error(yp->d, yp->file, n->line, n->col,
		    "a key must be a plain string");
		yp->failed = 1;
		ynode_free(n);
		return;
	}
	if (f->node->n >= YDOC_HASH_FROM)
		first = yset_get(&f->keys, n->str, ykey_name, f->node);
	else
		for (i = 0; i < f->node->n && first == (size_t)-1; i++)
			if (strcmp(f->node->keys[i]->str, n->str) == 0)
				first = i;
	if (first != (size_t)-1)
		diag_error(yp->d, yp->file, n->line, n->col, "duplicate key "
		    "\"%s\" (first at line %d)", n->str,
		    f->node->keys[first]->line);
	f->key = n;
}

static void
yanchor_add(struct yparse *yp, const yaml_char_t *name, struct ynode *n)
{
	if (name == NULL)
		return;
	yp->anchors = xreallocarray(yp->anchors, yp->nanchors + 1,
	    sizeof *yp->anchors);
	yp->anchors[yp->nanchors].name = xstrdup((const char *)name);
	yp->anchors[yp->nanchors].node = n;
	yset_put(&yp->anchor_set, (const char *)name, yp->nanchors++,
	    yanchor_name, yp);
}

/* One event; 0 at the end of the stream, -1 on an error. */
static int
yevent(struct yparse *yp, yaml_event_t *ev, int *docs)
{
	const yaml_mark_t	*m = &ev->start_mark;
	struct ynode		*n;
	struct yframe		*f;
	size_t			 i;

	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		return 0;
	case YAML_DOCUMENT_START_EVENT:
		if (++*docs > 1 && yp->root != NULL) {
			yfail(yp, m, "only one YAML document per file is "
			    "allowed");
			return -1;
		}
		return 1;
	case YAML_SCALAR_EVENT:
		if ((n = ynew(yp, Y_SCALAR, m)) == NULL)
			return -1;
		n->str = xstrndup((const char *)ev->data.scalar.value,
		    ev->data.scalar.length);
		if (strlen(n->str) != ev->data.scalar.length) {
			ynode_free(n);
			yfail(yp, m, "NUL byte in a string");
			return -1;
		}
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		yanchor_add(yp, ev->data.scalar.anchor, n);
		yplace(yp, n);
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (yp->depth >= YDOC_MAX_DEPTH) {
			yfail(yp, m, "nesting too deep");
			return -1;
		}
		if ((n = ynew(yp, ev->type == YAML_SEQUENCE_START_EVENT ?
		    Y_SEQ : Y_MAP, m)) == NULL)
			return -1;
		yanchor_add(yp, ev->type == YAML_SEQUENCE_START_EVENT ?
		    ev->data.sequence_start.anchor :
		    ev->data.mapping_start.anchor, n);
		f = &yp->stack[yp->depth++];
		memset(f, 0, sizeof *f);
		f->node = n;
		break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		f = &yp->stack[--yp->depth];
		ynode_free(f->key);
		free(f->keys.slot);
		yplace(yp, f->node);
		break;
	case YAML_ALIAS_EVENT:
		i = yset_get(&yp->anchor_set, (const char *)
		    ev->data.alias.anchor, yanchor_name, yp);
		if (i == (size_t)-1) {
			yfail(yp, m, "alias to an unknown anchor");
			return -1;
		}
		if ((n = ycopy(yp, yp->anchors[i].node, m)) == NULL)
			return -1;
		yplace(yp, n);
		break;
	default:
		break;
	}
	return yp->failed ? -1 : 1;
}

struct ydoc *
ydoc_parse(const char *file, const char *text, size_t len, struct diags *d)
{
	yaml_parser_t	 parser;
	yaml_event_t	 ev;
	struct yparse	 yp;
	struct ydoc	*doc = NULL;
	size_t		 i, before = d->nerrors;
	int		 rc = 1, docs = 0;

	if (len > YDOC_MAX_BYTES) {
		diag_error(d, file, 0, 0, "file too large (%zu bytes; at most "
		    "%d)", len, YDOC_MAX_BYTES);
		return NULL;
	}
	if (!yaml_parser_initialize(&parser)) {
		diag_error(d, file, 0, 0, "cannot initialise the YAML parser");
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text,
	    len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	memset(&yp, 0, sizeof yp);
	yp.file = file;
	yp.d = d;
	yp.budget = YDOC_MAX_NODES;
	while (rc == 1) {
		if (!yaml_parser_parse(&parser, &ev)) {
			const yaml_mark_t *m = parser.problem != NULL ?
			    &parser.problem_mark : &parser.context_mark;

			diag_error(d, file, (int)m->line + 1,
			    (int)m->column + 1, "YAML syntax: %s%s%s",
			    parser.problem ? parser.problem : "error",
			    parser.context ? " " : "", parser.context ?
			    parser.context : "");
			rc = -1;
			break;
		}
		rc = yevent(&yp, &ev, &docs);
		yaml_event_delete(&ev);
	}
	/* Whatever was left open when parsing stopped. */
	while (yp.depth > 0) {
		struct yframe *f = &yp.stack[--yp.depth];

		ynode_free(f->key);
		free(f->keys.slot);
		ynode_free(f->node);
	}
	for (i = 0; i < yp.nanchors; i++)
		free(yp.anchors[i].name);
	free(yp.anchors);
	free(yp.anchor_set.slot);
	yaml_parser_delete(&parser);
	if (rc == -1 || d->nerrors > before) {
		/* A tree with errors is still handed back when complete, so
		 * that loaders can report more (duplicate keys); not one cut
		 * short. */
		if (rc == -1) {
			ynode_free(yp.root);
			return NULL;
		}
	}
	doc = xcalloc(1, sizeof *doc);
	doc->file = xstrdup(file);
	doc->root = yp.root;
	return doc;
}

struct ydoc *
ydoc_load(const char *path, struct diags *d)
{
	char		*text;
	size_t		 len;
	struct ydoc	*doc;

	if ((text = read_file(path, &len)) == NULL) {
		diag_error(d, path, 0, 0, "cannot read: %s", strerror(errno));
		return NULL;
	}
	doc = ydoc_parse(path, text, len, d);
	free(text);
	return doc;
}

const char *
ytype_name(enum ytype t)
{
	switch (t) {
	case Y_SCALAR:
		return "a value";
	case Y_MAP:
		return "a map";
	case Y_SEQ:
		return "a list";
	}
	return "?";
}

struct ynode *
ymap_get(const struct ynode *map, const char *key)
{
	size_t i;

	if (map == NULL || map->type != Y_MAP)
		return NULL;
	for (i = 0; i < map->n; i++)
		if (strcmp(map->keys[i]->str, key) == 0)
			return map->items[i];
	return NULL;
}

const char *
yscalar(const struct ynode *n)
{
	return n != NULL && n->type == Y_SCALAR ? n->str : NULL;
}

static json_t *
scalar_json(const struct ynode *n)
{
	const char	*s = n->str;
	char		*end;
	long long	 ll;
	double		 dbl;

	if (!n->plain)
		return json_string(s);
	if (*s == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	    strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0)
		return json_null();
	if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 ||
	    strcmp(s, "TRUE") == 0)
		return json_true();
	if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 ||
	    strcmp(s, "FALSE") == 0)
		return json_false();
	if (parse_i64(s, &ll) == 0)
		return json_integer(ll);
	if ((s[0] >= '0' && s[0] <= '9') || ((s[0] == '-' || s[0] == '+' ||
	    s[0] == '.') && s[1] >= '0' && s[1] <= '9')) {
		errno = 0;
		dbl = strtod(s, &end);
		if (errno == 0 && *end == '\0')
			return json_real(dbl);
	}
	return json_string(s);
}

json_t *
ynode_json(const struct ynode *n)
{
	json_t	*j;
	size_t	 i;

	if (n == NULL)
		return json_null();
	switch (n->type) {
	case Y_SCALAR:
		j = scalar_json(n);
		/* Invalid UTF-8 makes json_string fail: keep a placeholder. */
		return j != NULL ? j : json_string("");
	case Y_SEQ:
		j = json_array();
		for (i = 0; i < n->n; i++)
			json_array_append_new(j, ynode_json(n->items[i]));
		return j;
	case Y_MAP:
		j = json_object();
		for (i = 0; i < n->n; i++)
			json_object_set_new(j, n->keys[i]->str,
			    ynode_json(n->items[i]));
		return j;
	}
	return json_null();
}

int
ycheck_keys(struct diags *d, const char *file, const struct ynode *map,
    const char *const *allowed, const char *what)
{
	size_t	i, j;
	int	bad = 0;

	if (map == NULL || map->type != Y_MAP)
		return 0;
	for (i = 0; i < map->n; i++) {
		for (j = 0; allowed[j] != NULL; j++)
			if (strcmp(allowed[j], map->keys[i]->str) == 0)
				break;
		if (allowed[j] == NULL) {
			struct buf b = { 0 };

			for (j = 0; allowed[j] != NULL; j++)
				buf_printf(&b, "%s%s", j ? ", " : "",
				    allowed[j]);
			diag_node(d, file, map->keys[i],
			    "unknown key \"%s\" in %s (known: %s)",
			    map->keys[i]->str, what, b.s ? b.s : "");
			buf_free(&b);
			bad++;
		}
	}
	return bad;
}

int
yget_node(struct diags *d, const char *file, const struct ynode *map,
    const char *key, enum ytype type, int required, struct ynode **out)
{
	struct ynode *n = ymap_get(map, key);

	if (n == NULL || (n->type == Y_SCALAR && n->plain &&
	    (strcmp(n->str, "") == 0 || strcmp(n->str, "~") == 0 ||
	    strcmp(n->str, "null") == 0) && type != Y_SCALAR)) {
		if (required)
			diag_node(d, file, map, "missing required key \"%s\"",
			    key);
		return 0;
	}
	if (n->type != type) {
		diag_node(d, file, n, "\"%s\" must be %s, not %s", key,
		    ytype_name(type), ytype_name(n->type));
		return -1;
	}
	*out = n;
	return 1;
}

int
yget_str(struct diags *d, const char *file, const struct ynode *map,
    const char *key, int required, const char **out)
{
	struct ynode	*n;
	int		 r;

	if ((r = yget_node(d, file, map, key, Y_SCALAR, required, &n)) != 1)
		return r;
	if (n->plain && (strcmp(n->str, "~") == 0 ||
	    strcmp(n->str, "null") == 0)) {
		if (required) {
			diag_node(d, file, n, "\"%s\" must not be empty", key);
			return -1;
		}
		return 0;
	}
	*out = n->str;
	return 1;
}

int
yget_duration(struct diags *d, const char *file, const struct ynode *map,
    const char *key, int required, int64_t *out)
{
	const char	*s, *why;
	int		 r;

	if ((r = yget_str(d, file, map, key, required, &s)) != 1)
		return r;
	if (duration_parse(s, out, &why) == -1) {
		diag_node(d, file, ymap_get(map, key),
		    "bad duration \"%s\" for \"%s\": %s", s, key, why);
		return -1;
	}
	return 1;
}

int
yget_bool(struct diags *d, const char *file, const struct ynode *map,
    const char *key, int required, int *out)
{
	const char	*s;
	int		 r;

	if ((r = yget_str(d, file, map, key, required, &s)) != 1)
		return r;
	if (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0)
		*out = 1;
	else if (strcmp(s, "false") == 0 || strcmp(s, "no") == 0)
		*out = 0;
	else {
		diag_node(d, file, ymap_get(map, key),
		    "\"%s\" must be true or false, not \"%s\"", key, s);
		return -1;
	}
	return 1;
}

int
yget_int(struct diags *d, const char *file, const struct ynode *map,
    const char *key, int required, long long min, long long max,
    long long *out)
{
	const char	*s;
	long long	 v;
	int		 r;

	if ((r = yget_str(d, file, map, key, required, &s)) != 1)
		return r;
	if (parse_i64(s, &v) == -1 || v < min || v > max) {
		diag_node(d, file, ymap_get(map, key),
		    "\"%s\" must be a whole number from %lld to %lld, not "
		    "\"%s\"", key, min, max, s);
		return -1;
	}
	*out = v;
	return 1;
}

int
yget_strlist(struct diags *d, const char *file, const struct ynode *map,
    const char *key, int required, char ***out, size_t *np)
{
	struct ynode	*n = ymap_get(map, key);
	char		**v;
	size_t		 i;

	if (n == NULL) {
		if (required)
			diag_node(d, file, map, "missing required key \"%s\"",
			    key);
		return 0;
	}
	if (n->type == Y_MAP) {
		diag_node(d, file, n, "\"%s\" must be a list, not a map", key);
		return -1;
	}
	if (n->type == Y_SCALAR) {
		v = xcalloc(2, sizeof *v);
		v[0] = xstrdup(n->str);
		*out = v;
		if (np != NULL)
			*np = 1;
		return 1;
	}
	v = xcalloc(n->n + 1, sizeof *v);
	for (i = 0; i < n->n; i++) {
		if (n->items[i]->type != Y_SCALAR) {
			diag_node(d, file, n->items[i],
			    "items of \"%s\" must be plain values", key);
			strv_free(v);
			return -1;
		}
		v[i] = xstrdup(n->items[i]->str);
	}
	*out = v;
	if (np != NULL)
		*np = n->n;
	return 1;
}

int
valid_id(const char *s)
{
	const char *p;

	if (s == NULL || !((*s >= 'a' && *s <= 'z') || (*s >= '0' &&
	    *s <= '9')))
		return 0;
	for (p = s; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '_' || *p == '-'))
			return 0;
	return p - s <= 128;
}

void
strv_free(char **v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

size_t
strv_len(char *const *v)
{
	size_t n = 0;

	while (v != NULL && v[n] != NULL)
		n++;
	return n;
}

int
strv_has(char *const *v, const char *s)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}
