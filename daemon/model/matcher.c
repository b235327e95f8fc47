/* Matchers: compiled once at load (regexes included), evaluated against
 * trigger payloads and incident context many times. The same compiler
 * reads YAML (with positions, for load errors) and JSON (from the
 * database), walking the ytree in step with its JSON form. */
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/diag.h"
#include "model/matcher.h"
#include "common/xmalloc.h"
#include "common/ytree.h"

/* A number from JSON or from a numeric string; integers stay exact. */
struct num {
	int		 isint;
	long long	 i;
	double		 d;
};

enum marg { A_VALUE, A_REGEX, A_NUMBER, A_LIST, A_BOOL, A_MATCHER };

struct mcond;
typedef int (*mop_fn)(const struct mcond *, json_t *);

struct mop {
	const char	*name;
	enum marg	 arg;
	mop_fn		 eval;
};

struct mcond {
	const struct mop *op;
	json_t		*arg;		/* =, !=, in, not_in */
	struct num	 num;		/* >, >=, <, <= */
	regex_t		 re;		/* =~, !~ */
	int		 has_re;
	int		 want;		/* exists */
	struct matcher	*sub;		/* any */
};

struct mentry {
	char		*path;
	struct mcond	*conds;
	size_t		 nconds;
};

struct matcher {
	struct mentry	*entries;
	size_t		 n;
};

/* Where compile errors go: diags (YAML) or the first message (JSON). */
struct mcomp {
	const char	*file;
	struct diags	*d;
	char		*why;
	int		 errors;
	path_check_fn	 check;
	void		*arg;
};

/* One key/value of a map, with its nodes when compiling YAML. */
struct mpair {
	const char		*key;
	json_t			*val;
	const struct ynode	*ky;
	const struct ynode	*vy;
};

static int	op_eq(const struct mcond *, json_t *);
static int	op_ne(const struct mcond *, json_t *);
static int	op_re(const struct mcond *, json_t *);
static int	op_nre(const struct mcond *, json_t *);
static int	op_gt(const struct mcond *, json_t *);
static int	op_ge(const struct mcond *, json_t *);
static int	op_lt(const struct mcond *, json_t *);
static int	op_le(const struct mcond *, json_t *);
static int	op_in(const struct mcond *, json_t *);
static int	op_notin(const struct mcond *, json_t *);
static int	op_exists(const struct mcond *, json_t *);
static int	op_any(const struct mcond *, json_t *);

static const struct mop mops[] = {
	{ "=",		A_VALUE,	op_eq },
	{ "!=",		A_VALUE,	op_ne },
	{ "=~",		A_REGEX,	op_re },
	{ "!~",		A_REGEX,	op_nre },
	{ ">",		A_NUMBER,	op_gt },
	{ ">=",		A_NUMBER,	op_ge },
	{ "<",		A_NUMBER,	op_lt },
	{ "<=",		A_NUMBER,	op_le },
	{ "in",		A_LIST,		op_in },
	{ "not_in",	A_LIST,		op_notin },
	{ "exists",	A_BOOL,		op_exists },
	{ "any",	A_MATCHER,	op_any },
};
#define NMOPS (sizeof mops / sizeof mops[0])

static struct matcher	*compile_map(struct mcomp *, const struct ynode *,
			    json_t *, int);

json_t *
json_path(json_t *ctx, const char *path)
{
	json_t		*cur = ctx;
	const char	*p = path, *dot;
	size_t		 len, i, idx;

	if (ctx == NULL || path == NULL || *path == '\0')
		return NULL;
	for (;;) {
		dot = strchr(p, '.');
		len = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (len == 0)
			return NULL;
		if (json_is_object(cur))
			cur = json_object_getn(cur, p, len);
		else if (json_is_array(cur)) {
			/* Nine digits cannot overflow and index any real array. */
			if (len > 9)
				return NULL;
			for (i = 0, idx = 0; i < len; i++) {
				if (p[i] < '0' || p[i] > '9')
					return NULL;
				idx = idx * 10 + (size_t)(p[i] - '0');
			}
			cur = json_array_get(cur, idx);
		} else
			return NULL;
		if (cur == NULL || dot == NULL)
			return cur;
		p = dot + 1;
	}
}

/* Payloads often carry numbers as strings (Alertmanager labels always
 * do), so "55" must compare as 55; " 55", "0x37" and "inf" must not. */
static int
num_str(const char *s, struct num *n)
{
	const char	*p;
	char		*end;
	double		 d;

	p = (*s == '-' || *s == '+') ? s + 1 : s;
	if (*p == '.')
		p++;
	if (*p < '0' || *p > '9')
		return -1;
	for (p = s; *p != '\0'; p++)
		if (strchr("0123456789+-.eE", *p) == NULL)
			return -1;
	if (parse_i64(s, &n->i) == 0) {
		n->isint = 1;
		n->d = (double)n->i;
		return 0;
	}
	errno = 0;
	d = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(d))
		return -1;
	n->isint = 0;
	n->d = d;
	return 0;
}

static int
num_of(json_t *v, struct num *n)
{
	if (json_is_integer(v)) {
		n->isint = 1;
		n->i = json_integer_value(v);
		n->d = (double)n->i;
		return 0;
	}
	if (json_is_real(v)) {
		n->isint = 0;
		n->d = json_real_value(v);
		return 0;
	}
	if (json_is_string(v))
		return num_str(json_string_value(v), n);
	return -1;
}

static int
num_cmp(const struct num *a, const struct num *b)
{
	if (a->isint && b->isint)
		return (a->i > b->i) - (a->i < b->i);
	return (a->d > b->d) - (a->d < b->d);
}

/* Equality as a runbook author means it: 55 equals "55", true equals
 * "true"; two strings compare bytewise, so "1.0" is not "1". */
static int
val_equal(json_t *a, json_t *b)
{
	struct num	 na, nb;
	json_t		*s, *o;

	if (json_is_string(a) && json_is_string(b))
		return json_equal(a, b);
	if ((json_is_number(a) || json_is_number(b)) &&
	    num_of(a, &na) == 0 && num_of(b, &nb) == 0)
		return num_cmp(&na, &nb) == 0;
	if (json_is_boolean(a) && json_is_string(b)) {
		s = b;
		o = a;
	} else if (json_is_boolean(b) && json_is_string(a)) {
		s = a;
		o = b;
	} else
		return json_equal(a, b);
	return strcmp(json_string_value(s), json_is_true(o) ? "true" :
	    "false") == 0;
}

/* The text a regex sees: scalars only; NULL for null, arrays, objects. */
static const char *
val_text(json_t *v, char *buf, size_t len)
{
	double	d;
	int	prec;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return json_string_value(v);
	case JSON_INTEGER:
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		return buf;
	case JSON_REAL:
		d = json_real_value(v);
		for (prec = 1; prec < 17; prec++) {
			snprintf(buf, len, "%.*g", prec, d);
			if (strtod(buf, NULL) == d)
				return buf;
		}
		snprintf(buf, len, "%.17g", d);
		return buf;
	case JSON_TRUE:
		return "true";
	case JSON_FALSE:
		return "false";
	default:
		return NULL;
	}
}

static int
op_eq(const struct mcond *c, json_t *v)
{
	return v != NULL && val_equal(v, c->arg);
}

static int
op_ne(const struct mcond *c, json_t *v)
{
	return v == NULL || !val_equal(v, c->arg);
}

/* Both regex operators need a value: a missing path fails !~ too. */
static int
mre_match(const struct mcond *c, json_t *v, int *match)
{
	char		 buf[64];
	const char	*s;

	if (v == NULL || (s = val_text(v, buf, sizeof buf)) == NULL)
		return -1;
	*match = regexec(&c->re, s, 0, NULL, 0) == 0;
	return 0;
}

static int
op_re(const struct mcond *c, json_t *v)
{
	int m;

	return mre_match(c, v, &m) == 0 && m;
}

static int
op_nre(const struct mcond *c, json_t *v)
{
	int m;

	return mre_match(c, v, &m) == 0 && !m;
}

/* Compares v with the operand: -1/0/1, or -2 when v is not a number. */
static int
cmp_num(const struct mcond *c, json_t *v)
{
	struct num n;

	if (v == NULL || num_of(v, &n) == -1)
		return -2;
	return num_cmp(&n, &c->num);
}

static int
op_gt(const struct mcond *c, json_t *v)
{
	return cmp_num(c, v) == 1;
}

static int
op_ge(const struct mcond *c, json_t *v)
{
	int r = cmp_num(c, v);

	return r == 0 || r == 1;
}

static int
op_lt(const struct mcond *c, json_t *v)
{
	return cmp_num(c, v) == -1;
}

static int
op_le(const struct mcond *c, json_t *v)
{
	int r = cmp_num(c, v);

	return r == 0 || r == -1;
}

static int
in_list(const struct mcond *c, json_t *v)
{
	size_t	 i;
	json_t	*item;

	json_array_foreach(c->arg, i, item) {
		if (val_equal(v, item))
			return 1;
	}
	return 0;
}

static int
op_in(const struct mcond *c, json_t *v)
{
	return v != NULL && in_list(c, v);
}

static int
op_notin(const struct mcond *c, json_t *v)
{
	return v == NULL || !in_list(c, v);
}

/* A present null counts as existing: the key is there. */
static int
op_exists(const struct mcond *c, json_t *v)
{
	return (v != NULL) == c->want;
}

static int
op_any(const struct mcond *c, json_t *v)
{
	size_t	 i;
	json_t	*el;

	if (!json_is_array(v))
		return 0;
	json_array_foreach(v, i, el) {
		if (matcher_eval(c->sub, el))
			return 1;
	}
	return 0;
}

int
matcher_eval(const struct matcher *m, json_t *ctx)
{
	const struct mentry	*e;
	json_t			*v;
	size_t			 i, j;

	if (m == NULL)
		return 1;
	for (i = 0; i < m->n; i++) {
		e = &m->entries[i];
		v = json_path(ctx, e->path);
		for (j = 0; j < e->nconds; j++)
			if (!e->conds[j].op->eval(&e->conds[j], v))
				return 0;
	}
	return 1;
}

void
matcher_free(struct matcher *m)
{
	struct mcond	*c;
	size_t		 i, j;

	if (m == NULL)
		return;
	for (i = 0; i < m->n; i++) {
		for (j = 0; j < m->entries[i].nconds; j++) {
			c = &m->entries[i].conds[j];
			json_decref(c->arg);
			if (c->has_re)
				regfree(&c->re);
			matcher_free(c->sub);
		}
		free(m->entries[i].conds);
		free(m->entries[i].path);
	}
	free(m->entries);
	free(m);
}

static void __attribute__((format(printf, 3, 4)))
merr(struct mcomp *mc, const struct ynode *n, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	msg = xvprintf(fmt, ap);
	va_end(ap);
	mc->errors++;
	if (mc->d != NULL) {
		diag_node(mc->d, mc->file, n, "%s", msg);
		free(msg);
	} else if (mc->why == NULL)
		mc->why = msg;
	else
		free(msg);
}

static const char *
jtype_name(json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "a map";
	case JSON_ARRAY:
		return "a list";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "?";
}

/* The pairs of a map in document order; from the ytree when there is
 * one (for positions), else from the JSON object. NULL if not a map. */
static struct mpair *
mpairs(const struct ynode *y, json_t *j, size_t *np)
{
	struct mpair	*p;
	const char	*key;
	json_t		*val;
	size_t		 i = 0;

	*np = 0;
	if (y != NULL) {
		if (y->type != Y_MAP)
			return NULL;
		p = xcalloc(y->n, sizeof *p);
		for (i = 0; i < y->n; i++) {
			p[i].key = y->keys[i]->str;
			p[i].val = json_object_get(j, p[i].key);
			p[i].ky = y->keys[i];
			p[i].vy = y->items[i];
		}
		*np = y->n;
		return p;
	}
	if (!json_is_object(j))
		return NULL;
	p = xcalloc(json_object_size(j), sizeof *p);
	json_object_foreach(j, key, val) {
		p[i].key = key;
		p[i++].val = val;
	}
	*np = i;
	return p;
}

static const struct mop *
mop_find(const char *name)
{
	size_t i;

	for (i = 0; i < NMOPS; i++)
		if (strcmp(mops[i].name, name) == 0)
			return &mops[i];
	return NULL;
}

static char *
mop_names(void)
{
	struct buf	b = { 0 };
	size_t		i;

	for (i = 0; i < NMOPS; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", mops[i].name);
	return buf_steal(&b);
}

/*
 * glibc's regcomp expands bounded repeats: stacked quantifiers ("a++++")
 * or nested bounds ("((a{1,100}){1,100}){1,100}") make it allocate
 * gigabytes, which a runbook must not be able to do to the daemon. This
 * estimates the expansion, the product of the repeat bounds along the
 * deepest nesting, and refuses what is out of reason. NULL: acceptable.
 */
#define RE_MAX_COST	1000
#define RE_MAX_DEPTH	16

static const char *
regex_too_costly(const char *re)
{
	long long	 stack[RE_MAX_DEPTH + 1], last = 1, bound, lo, hi;
	int		 sp = 0, prev_quant = 0;
	const char	*p = re;
	char		*end;

	stack[0] = 1;
	for (; *p != '\0'; p++) {
		switch (*p) {
		case '\\':
			if (p[1] != '\0')
				p++;
			last = 1;
			prev_quant = 0;
			continue;
		case '[':
			p++;
			if (*p == '^')
				p++;
			if (*p == ']')
				p++;
			while (*p != '\0' && *p != ']')
				p++;
			if (*p == '\0')
				return NULL;	/* regcomp reports it */
			last = 1;
			prev_quant = 0;
			continue;
		case '(':
			if (sp == RE_MAX_DEPTH)
				return "groups nested too deeply";
			stack[++sp] = 1;
			prev_quant = 0;
			continue;
		case ')':
			if (sp == 0)
				return NULL;
			last = stack[sp--];
			if (last > stack[sp])
				stack[sp] = last;
			prev_quant = 0;
			continue;
		case '*':
		case '+':
		case '?':
		case '{':
			if (prev_quant)
				return "a repetition of a repetition";
			if (*p == '{') {
				lo = strtoll(p + 1, &end, 10);
				hi = lo;
				if (*end == ',')
					hi = end[1] == '}' ? (lo > 2 ? lo : 2) :
					    strtoll(end + 1, &end, 10);
				if (*end == ',' || *end == '}')
					p = strchr(end, '}') ? strchr(end,
					    '}') : end;
				bound = hi > 0 ? hi : 1;
			} else
				bound = *p == '?' ? 1 : 2;
			if (bound > RE_MAX_COST || last * bound > RE_MAX_COST)
				return "repetitions that expand too far";
			last *= bound;
			if (last > stack[sp])
				stack[sp] = last;
			prev_quant = 1;
			continue;
		default:
			last = 1;
			prev_quant = 0;
			continue;
		}
	}
	return NULL;
}

static void
compile_regex(struct mcomp *mc, struct mcond *c, const struct mpair *op,
    const char *path)
{
	const char	*re = NULL, *err_cost;
	char		*full, err[256], num[64];
	int		 r;

	/* "=~: 55" means the text "55", whether it comes from YAML or
	 * from the JSON that YAML became. */
	if (json_is_null(op->val))
		re = NULL;
	else if (op->vy != NULL && op->vy->type == Y_SCALAR)
		re = op->vy->str;
	else
		re = val_text(op->val, num, sizeof num);
	if (re == NULL) {
		merr(mc, op->vy, "\"%s\" for \"%s\" needs a regular "
		    "expression, not %s", op->key, path, jtype_name(op->val));
		return;
	}
	if ((err_cost = regex_too_costly(re)) != NULL) {
		merr(mc, op->vy, "regular expression \"%s\" for \"%s\" is too "
		    "costly to compile: %s (simplify it)", re, path, err_cost);
		return;
	}
	/* Whole-string semantics: "Site" must not match "PrimarySiteDown". */
	full = xprintf("^(%s)$", re);
	if ((r = regcomp(&c->re, full, REG_EXTENDED | REG_NOSUB)) != 0) {
		regerror(r, &c->re, err, sizeof err);
		merr(mc, op->vy, "bad regular expression \"%s\" for \"%s\": %s",
		    re, path, err);
	} else
		c->has_re = 1;
	free(full);
}

static void
compile_list(struct mcomp *mc, struct mcond *c, const struct mpair *op,
    const char *path)
{
	size_t	 i;
	json_t	*item;

	if (!json_is_array(op->val)) {
		merr(mc, op->vy, "\"%s\" for \"%s\" needs a list, not %s",
		    op->key, path, jtype_name(op->val));
		return;
	}
	json_array_foreach(op->val, i, item) {
		if (json_is_object(item) || json_is_array(item)) {
			merr(mc, op->vy != NULL && i < op->vy->n ?
			    op->vy->items[i] : op->vy, "items of \"%s\" for "
			    "\"%s\" must be plain values, not %s", op->key,
			    path, jtype_name(item));
			return;
		}
	}
	c->arg = json_incref(op->val);
}

/* Fills c from one operator of an operator map. */
static void
compile_op(struct mcomp *mc, struct mcond *c, const struct mpair *op,
    const char *path)
{
	if (json_is_object(op->val) && c->op->arg != A_MATCHER) {
		merr(mc, op->vy, "\"%s\" for \"%s\" takes a value, not a map "
		    "(only \"any\" takes a nested matcher)", op->key, path);
		return;
	}
	switch (c->op->arg) {
	case A_VALUE:
		c->arg = json_incref(op->val);
		break;
	case A_REGEX:
		compile_regex(mc, c, op, path);
		break;
	case A_NUMBER:
		if (num_of(op->val, &c->num) == -1)
			merr(mc, op->vy, "\"%s\" for \"%s\" needs a number, "
			    "not %s", op->key, path, jtype_name(op->val));
		break;
	case A_LIST:
		compile_list(mc, c, op, path);
		break;
	case A_BOOL:
		if (!json_is_boolean(op->val))
			merr(mc, op->vy, "\"%s\" for \"%s\" must be true or "
			    "false, not %s", op->key, path,
			    jtype_name(op->val));
		c->want = json_is_true(op->val);
		break;
	case A_MATCHER:
		if (!json_is_object(op->val)) {
			merr(mc, op->vy, "\"any\" for \"%s\" needs a map of "
			    "paths inside each item, not %s", path,
			    jtype_name(op->val));
			break;
		}
		c->sub = compile_map(mc, op->vy, op->val, 0);
		break;
	}
}

static void
compile_ops(struct mcomp *mc, struct mentry *e, const struct mpair *pr)
{
	struct mpair	*ops;
	size_t		 i, n;
	char		*known;

	ops = mpairs(pr->vy, pr->val, &n);
	if (n == 0) {
		merr(mc, pr->vy, "empty operator map for \"%s\"", e->path);
		free(ops);
		return;
	}
	e->conds = xcalloc(n, sizeof *e->conds);
	for (i = 0; i < n; i++) {
		if (ops[i].val == NULL) {
			merr(mc, ops[i].ky, "operator is not valid UTF-8");
			continue;
		}
		if ((e->conds[e->nconds].op = mop_find(ops[i].key)) == NULL) {
			known = mop_names();
			merr(mc, ops[i].ky, "unknown operator \"%s\" for \"%s\" "
			    "(known: %s)", ops[i].key, e->path, known);
			free(known);
			continue;
		}
		compile_op(mc, &e->conds[e->nconds++], &ops[i], e->path);
	}
	free(ops);
}

/* A path is dot-separated non-empty parts. */
static int
path_ok(const char *p)
{
	size_t len = strlen(p);

	return len > 0 && p[0] != '.' && p[len - 1] != '.' &&
	    strstr(p, "..") == NULL;
}

static void
compile_entry(struct mcomp *mc, struct mentry *e, const struct mpair *pr,
    int top)
{
	char *why = NULL;

	e->path = xstrdup(pr->key);
	if (pr->val == NULL) {
		merr(mc, pr->ky, "path is not valid UTF-8");
		return;
	}
	if (!path_ok(pr->key)) {
		merr(mc, pr->ky, "bad path \"%s\": use names separated by "
		    "dots, such as labels.alertname or points.0.scale",
		    pr->key);
		return;
	}
	if (top && mc->check != NULL &&
	    mc->check(pr->key, mc->arg, &why) == -1) {
		merr(mc, pr->ky, "%s", why != NULL ? why :
		    "path not allowed here");
		free(why);
		return;
	}
	if (json_is_object(pr->val)) {
		compile_ops(mc, e, pr);
		return;
	}
	e->conds = xcalloc(1, sizeof *e->conds);
	e->conds[0].op = mop_find("=");
	e->conds[0].arg = json_incref(pr->val);
	e->nconds = 1;
}

/* Compiles a map of path -> value or operators. Always returns a matcher
 * (possibly partial); mc->errors says whether it is usable. */
static struct matcher *
compile_map(struct mcomp *mc, const struct ynode *y, json_t *j, int top)
{
	struct matcher	*m;
	struct mpair	*prs;
	size_t		 i, n;

	m = xcalloc(1, sizeof *m);
	if ((prs = mpairs(y, j, &n)) == NULL) {
		merr(mc, y, "a matcher must be a map of paths, not %s",
		    y != NULL ? ytype_name(y->type) : jtype_name(j));
		return m;
	}
	if (n == 0) {
		merr(mc, y, "empty matcher: give at least one path");
		free(prs);
		return m;
	}
	m->entries = xcalloc(n, sizeof *m->entries);
	for (i = 0; i < n; i++)
		compile_entry(mc, &m->entries[m->n++], &prs[i], top);
	free(prs);
	return m;
}

struct matcher *
matcher_compile(const struct ynode *node, const char *file,
    struct diags *d, path_check_fn check, void *arg)
{
	struct mcomp	 mc = { file, d, NULL, 0, check, arg };
	struct matcher	*m;
	json_t		*j;

	if (node == NULL) {
		merr(&mc, NULL, "missing matcher");
		return NULL;
	}
	j = ynode_json(node);
	m = compile_map(&mc, node, j, 1);
	json_decref(j);
	if (mc.errors > 0) {
		matcher_free(m);
		return NULL;
	}
	return m;
}

struct matcher *
matcher_compile_json(json_t *j, char **why)
{
	struct mcomp	 mc = { NULL, NULL, NULL, 0, NULL, NULL };
	struct matcher	*m;

	*why = NULL;
	if (j == NULL) {
		*why = xstrdup("missing matcher");
		return NULL;
	}
	m = compile_map(&mc, NULL, j, 1);
	if (mc.errors > 0) {
		matcher_free(m);
		*why = mc.why;
		return NULL;
	}
	return m;
}
