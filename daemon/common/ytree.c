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

/* Converts libyaml's node graph; depth bounds alias bombs and recursion. */
static struct ynode *
convert(yaml_document_t *ydoc, yaml_node_t *yn, const char *file,
    struct diags *d, int depth, size_t *budget)
{
	struct ynode	*n;
	size_t		 i;

	if (depth > 64) {
		diag_error(d, file, (int)yn->start_mark.line + 1,
		    (int)yn->start_mark.column + 1, "nesting too deep");
		return NULL;
	}
	if (*budget == 0) {
		diag_error(d, file, (int)yn->start_mark.line + 1,
		    (int)yn->start_mark.column + 1,
		    "document too large (alias expansion?)");
		return NULL;
	}
	(*budget)--;
	n = xcalloc(1, sizeof *n);
	n->line = (int)yn->start_mark.line + 1;
	n->col = (int)yn->start_mark.column + 1;
	switch (yn->type) {
	case YAML_SCALAR_NODE:
		n->type = Y_SCALAR;
		n->str = xstrndup((const char *)yn->data.scalar.value,
		    yn->data.scalar.length);
		if (strlen(n->str) != yn->data.scalar.length) {
			diag_error(d, file, n->line, n->col,
			    "NUL byte in a string");
			ynode_free(n);
			return NULL;
		}
		n->plain = yn->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		break;
	case YAML_SEQUENCE_NODE: {
		yaml_node_item_t *it;

		n->type = Y_SEQ;
		for (it = yn->data.sequence.items.start;
		    it < yn->data.sequence.items.top; it++) {
			struct ynode *c = convert(ydoc,
			    yaml_document_get_node(ydoc, *it), file, d,
			    depth + 1, budget);
			if (c == NULL) {
				ynode_free(n);
				return NULL;
			}
			n->items = xreallocarray(n->items, n->n + 1,
			    sizeof *n->items);
			n->items[n->n++] = c;
		}
		break;
	}
	case YAML_MAPPING_NODE: {
		yaml_node_pair_t *pr;

		n->type = Y_MAP;
		for (pr = yn->data.mapping.pairs.start;
		    pr < yn->data.mapping.pairs.top; pr++) {
			struct ynode *k, *v;

			k = convert(ydoc, yaml_document_get_node(ydoc,
			    pr->key), file, d, depth + 1, budget);
			if (k == NULL) {
				ynode_free(n);
				return NULL;
			}
			if (k->type != Y_SCALAR) {
				diag_error(d, file, k->line, k->col,
				    "a key must be a plain string");
				ynode_free(k);
				ynode_free(n);
				return NULL;
			}
			for (i = 0; i < n->n; i++) {
				if (strcmp(n->keys[i]->str, k->str) == 0) {
					diag_error(d, file, k->line, k->col,
					    "duplicate key \"%s\" (first at "
					    "line %d)", k->str,
					    n->keys[i]->line);
					break;
				}
			}
			v = convert(ydoc, yaml_document_get_node(ydoc,
			    pr->value), file, d, depth + 1, budget);
			if (v == NULL) {
				ynode_free(k);
				ynode_free(n);
				return NULL;
			}
			n->keys = xreallocarray(n->keys, n->n + 1,
			    sizeof *n->keys);
			n->items = xreallocarray(n->items, n->n + 1,
			    sizeof *n->items);
			n->keys[n->n] = k;
			n->items[n->n++] = v;
		}
		break;
	}
	default:
		ynode_free(n);
		return NULL;
	}
	return n;
}

struct ydoc *
ydoc_parse(const char *file, const char *text, size_t len, struct diags *d)
{
	yaml_parser_t	 parser;
	yaml_document_t	 ydoc;
	yaml_node_t	*root;
	struct ydoc	*doc;
	size_t		 budget = 1000000;
	size_t		 before = d->nerrors;

	if (!yaml_parser_initialize(&parser)) {
		diag_error(d, file, 0, 0, "cannot initialise the YAML parser");
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text,
	    len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	if (!yaml_parser_load(&parser, &ydoc)) {
		const yaml_mark_t *m = parser.problem != NULL ?
		    &parser.problem_mark : &parser.context_mark;

		diag_error(d, file, (int)m->line + 1, (int)m->column + 1,
		    "YAML syntax: %s%s%s", parser.problem ? parser.problem :
		    "error", parser.context ? " " : "",
		    parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		return NULL;
	}
	doc = xcalloc(1, sizeof *doc);
	doc->file = xstrdup(file);
	root = yaml_document_get_root_node(&ydoc);
	if (root != NULL)
		doc->root = convert(&ydoc, root, file, d, 0, &budget);
	yaml_document_delete(&ydoc);
	/* A second document in the stream is a mistake worth reporting. */
	if (root != NULL && yaml_parser_load(&parser, &ydoc)) {
		root = yaml_document_get_root_node(&ydoc);
		if (root != NULL)
			diag_error(d, file, (int)root->start_mark.line + 1,
			    (int)root->start_mark.column + 1,
			    "only one YAML document per file is allowed");
		yaml_document_delete(&ydoc);
	}
	yaml_parser_delete(&parser);
	if (d->nerrors > before && doc->root == NULL) {
		ydoc_free(doc);
		return NULL;
	}
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
