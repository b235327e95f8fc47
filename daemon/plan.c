/* The continuity plan's data: loading plan.yaml, the JSON storage form and
 * YAML export. One declarative table per record (as tmux's options-table)
 * drives all four walks, so a key added to a table is loaded, stored,
 * exported and freed without touching the walkers. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "diag.h"
#include "duration.h"
#include "plan.h"
#include "timeutil.h"
#include "xmalloc.h"
#include "ytree.h"

const char *const plan_prio_names[] = { "S", "A", "B", "C", "D", "E", NULL };
const char *const plan_comp_names[] = {
	"staff", "operations", "facility", "network", "peripherals",
	"hardware", "software", "system_data", "business_data", "contractors",
	NULL
};
const char *const plan_res_names[] = {
	"staff", "building", "transport", "power", "water", "network",
	"hardware", "data", "contractors", NULL
};
const char *const plan_kind_names[] = {
	"business", "infrastructure", "external", NULL
};
const char *const plan_etype_names[] = {
	"disaster", "security", "pandemic", "other", NULL
};
const char *const plan_status_names[] = {
	"planned", "in_progress", "done", "cancelled", NULL
};
const char *const plan_dtype_names[] = {
	"walkthrough", "scenario", "restore", "switchover", NULL
};

#define YEAR_S		(365 * 86400LL)
#define MAX_YEARS	1000
#define MAX_COST	1000000000000000LL	/* 10^15, in any currency */

enum pf_type {
	PF_ID,		/* char *, [a-z0-9][a-z0-9_-]* */
	PF_TEXT,	/* char * */
	PF_DURATION,	/* int64_t seconds */
	PF_DATE,	/* int64_t ms, YYYY-MM-DD */
	PF_LEVEL,	/* int 1-4, 0 when absent */
	PF_COST,	/* int64_t >= 0 */
	PF_SHARE,	/* double 0-1 */
	PF_ENUM,	/* int index into names */
	PF_IDLIST,	/* char **, NULL-terminated */
	PF_LEVELMAP,	/* int[] indexed like names */
	PF_TEXTMAP,	/* char *[] indexed like names */
	PF_RECORD,	/* an embedded struct described by sub */
	PF_LIST		/* an array of sub, count at noff */
};

struct precord;

struct pfield {
	const char		*key;
	enum pf_type		 type;
	size_t			 off;
	int			 required;
	int			 positive;	/* durations: 0 is refused */
	int			 flow;		/* exported on one line */
	const char *const	*names;
	const struct precord	*sub;
	size_t			 noff;
};

struct precord {
	const char		*what;
	size_t			 size;
	const struct pfield	*fields;
};

#define F(k, t, s, m)	{ .key = k, .type = t, .off = offsetof(s, m) }
#define R(k, t, s, m)	{ .key = k, .type = t, .off = offsetof(s, m), \
			  .required = 1 }
#define FEND		{ .key = NULL }

static const struct pfield header_fields[] = {
	R("organization", PF_TEXT, struct plan_header, organization),
	F("title", PF_TEXT, struct plan_header, title),
	F("scope", PF_TEXT, struct plan_header, scope),
	{ .key = "review_every", .type = PF_DURATION, .positive = 1,
	  .off = offsetof(struct plan_header, review_every) },
	F("last_review", PF_DATE, struct plan_header, last_review),
	F("note", PF_TEXT, struct plan_header, note),
	FEND
};
static const struct precord header_rec = {
	"plan", sizeof(struct plan_header), header_fields
};

#define THRESHOLD(p) { .key = #p, .type = PF_DURATION, \
	.off = PRIO_##p * sizeof(int64_t) }
static const struct pfield prio_fields[] = {
	THRESHOLD(S), THRESHOLD(A), THRESHOLD(B), THRESHOLD(C), THRESHOLD(D),
	FEND
};
static const struct precord prio_rec = {
	"priority", sizeof(int64_t[PLAN_NPRIO - 1]), prio_fields
};

#define LADDER(k, row) { .key = k, .type = PF_LEVELMAP, .flow = 1, \
	.off = (row) * sizeof(int[PLAN_NPRIO]), .names = plan_prio_names }
static const struct pfield levels_fields[] = {
	LADDER("default", 0),
	LADDER("staff", 1 + COMP_STAFF),
	LADDER("operations", 1 + COMP_OPERATIONS),
	LADDER("facility", 1 + COMP_FACILITY),
	LADDER("network", 1 + COMP_NETWORK),
	LADDER("peripherals", 1 + COMP_PERIPHERALS),
	LADDER("hardware", 1 + COMP_HARDWARE),
	LADDER("software", 1 + COMP_SOFTWARE),
	LADDER("system_data", 1 + COMP_SYSTEM_DATA),
	LADDER("business_data", 1 + COMP_BUSINESS_DATA),
	LADDER("contractors", 1 + COMP_CONTRACTORS),
	FEND
};
static const struct precord levels_rec = {
	"levels", sizeof(int[PLAN_NCOMP + 1][PLAN_NPRIO]), levels_fields
};

static const struct pfield event_fields[] = {
	R("id", PF_ID, struct plan_event, id),
	{ .key = "type", .type = PF_ENUM, .required = 1,
	  .off = offsetof(struct plan_event, type),
	  .names = plan_etype_names },
	R("title", PF_TEXT, struct plan_event, title),
	{ .key = "assumptions", .type = PF_TEXTMAP,
	  .off = offsetof(struct plan_event, assumptions),
	  .names = plan_res_names },
	F("note", PF_TEXT, struct plan_event, note),
	FEND
};
static const struct precord event_rec = {
	"crisis event", sizeof(struct plan_event), event_fields
};

static const struct pfield task_fields[] = {
	R("id", PF_ID, struct plan_task, id),
	R("title", PF_TEXT, struct plan_task, title),
	R("rto", PF_DURATION, struct plan_task, rto),
	F("alternative", PF_TEXT, struct plan_task, alternative),
	F("note", PF_TEXT, struct plan_task, note),
	FEND
};
static const struct precord task_rec = {
	"task", sizeof(struct plan_task), task_fields
};

static const struct pfield system_fields[] = {
	R("id", PF_ID, struct plan_system, id),
	R("title", PF_TEXT, struct plan_system, title),
	{ .key = "kind", .type = PF_ENUM, .required = 1,
	  .off = offsetof(struct plan_system, kind),
	  .names = plan_kind_names },
	F("rlo", PF_TEXT, struct plan_system, rlo),
	F("rto", PF_DURATION, struct plan_system, rto),
	{ .key = "supports", .type = PF_IDLIST, .flow = 1,
	  .off = offsetof(struct plan_system, supports) },
	{ .key = "depends_on", .type = PF_IDLIST, .flow = 1,
	  .off = offsetof(struct plan_system, depends_on) },
	{ .key = "components", .type = PF_LEVELMAP, .flow = 1,
	  .off = offsetof(struct plan_system, components),
	  .names = plan_comp_names },
	F("note", PF_TEXT, struct plan_system, note),
	FEND
};
static const struct precord system_rec = {
	"system", sizeof(struct plan_system), system_fields
};

static const struct pfield cm_fields[] = {
	R("id", PF_ID, struct plan_cm, id),
	F("title", PF_TEXT, struct plan_cm, title),
	R("system", PF_ID, struct plan_cm, system),
	{ .key = "component", .type = PF_ENUM, .required = 1,
	  .off = offsetof(struct plan_cm, component),
	  .names = plan_comp_names },
	R("target", PF_LEVEL, struct plan_cm, target),
	F("due", PF_DATE, struct plan_cm, due),
	{ .key = "status", .type = PF_ENUM,
	  .off = offsetof(struct plan_cm, status),
	  .names = plan_status_names },
	F("cost", PF_COST, struct plan_cm, cost),
	F("note", PF_TEXT, struct plan_cm, note),
	FEND
};
static const struct precord cm_rec = {
	"countermeasure", sizeof(struct plan_cm), cm_fields
};

static const struct pfield drill_fields[] = {
	{ .key = "type", .type = PF_ENUM, .required = 1,
	  .off = offsetof(struct plan_drill, type),
	  .names = plan_dtype_names },
	{ .key = "every", .type = PF_DURATION, .required = 1, .positive = 1,
	  .off = offsetof(struct plan_drill, every) },
	F("last", PF_DATE, struct plan_drill, last),
	F("note", PF_TEXT, struct plan_drill, note),
	FEND
};
static const struct precord drill_rec = {
	"drill", sizeof(struct plan_drill), drill_fields
};

#define LIST(k, rec, m) { .key = k, .type = PF_LIST, .sub = &rec, \
	.off = offsetof(struct plan, m), .noff = offsetof(struct plan, n##m) }
static const struct pfield plan_fields[] = {
	{ .key = "plan", .type = PF_RECORD, .required = 1, .sub = &header_rec,
	  .off = offsetof(struct plan, hdr) },
	{ .key = "priority", .type = PF_RECORD, .flow = 1, .sub = &prio_rec,
	  .off = offsetof(struct plan, prio_max) },
	{ .key = "levels", .type = PF_RECORD, .sub = &levels_rec,
	  .off = offsetof(struct plan, levels) },
	F("max_s_share", PF_SHARE, struct plan, max_s_share),
	LIST("crisis_events", event_rec, events),
	LIST("tasks", task_rec, tasks),
	LIST("systems", system_rec, systems),
	LIST("countermeasures", cm_rec, cms),
	LIST("drills", drill_rec, drills),
	FEND
};
static const struct precord plan_rec = {
	"plan file", sizeof(struct plan), plan_fields
};

#define AT(base, f)	((char *)(base) + (f)->off)

static size_t
names_len(const char *const *names)
{
	size_t n = 0;

	while (names[n] != NULL)
		n++;
	return n;
}

static int
name_index(const char *const *names, const char *s)
{
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

/* "business, infrastructure or external" for messages. */
static char *
names_list(const char *const *names)
{
	struct buf	b = { 0 };
	size_t		i, n = names_len(names);

	for (i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i == 0 ? "" : i + 1 == n ? " or " :
		    ", ", names[i]);
	return buf_steal(&b);
}

int
plan_duration_parse(const char *s, int64_t *out, const char **why)
{
	const char	*p = s;
	long long	 years = 0;
	int64_t		 rest = 0;

	if (s == NULL || !isdigit((unsigned char)*s))
		return duration_parse(s, out, why);
	while (isdigit((unsigned char)*p))
		p++;
	if (*p != 'y')
		return duration_parse(s, out, why);
	*why = NULL;
	while (s < p) {
		years = years * 10 + (*s++ - '0');
		if (years > MAX_YEARS) {
			*why = "duration too large";
			return -1;
		}
	}
	p++;
	if (*p != '\0') {
		if (!isdigit((unsigned char)*p) || strcmp(p, "0") == 0) {
			*why = "expected a number such as 45s, 15m, 2h, 1d, "
			    "1w, 1y or 1h30m";
			return -1;
		}
		if (duration_parse(p, &rest, why) == -1)
			return -1;
		if (rest > INT64_MAX - years * YEAR_S) {
			*why = "duration too large";
			return -1;
		}
	}
	*out = years * YEAR_S + rest;
	return 0;
}

/* Whole years and weeks are how plans are written ("1y", "2w"). */
char *
plan_duration_fmt(int64_t s)
{
	char	*rest, *out;

	if (s > 0 && s % (7 * 86400) == 0 && s < YEAR_S)
		return xprintf("%lldw", (long long)(s / (7 * 86400)));
	if (s < YEAR_S)
		return duration_fmt(s);
	if (s % YEAR_S == 0)
		return xprintf("%lldy", (long long)(s / YEAR_S));
	rest = duration_fmt(s % YEAR_S);
	out = xprintf("%lldy%s", (long long)(s / YEAR_S), rest);
	free(rest);
	return out;
}

int
plan_date_parse(const char *s, int64_t *ms)
{
	char	buf[40];

	/* rfc3339_parse lets 02-30 roll over; formatting back refuses it. */
	if (strlen(s) != 10 || rfc3339_parse(s, ms) == -1)
		return -1;
	rfc3339_buf(*ms, buf, sizeof buf);
	return strncmp(buf, s, 10) == 0 ? 0 : -1;
}

const char *
plan_date_fmt(int64_t ms, char *buf, size_t len)
{
	char	tmp[40];

	rfc3339_buf(ms, tmp, sizeof tmp);
	tmp[10] = '\0';
	snprintf(buf, len, "%s", tmp);
	return buf;
}

/* Initialises absent values; lists start empty. */
static void
record_init(const struct precord *rec, void *base)
{
	const struct pfield *f;

	for (f = rec->fields; f->key != NULL; f++) {
		switch (f->type) {
		case PF_DURATION:
		case PF_DATE:
		case PF_COST:
			*(int64_t *)AT(base, f) = PLAN_NONE;
			break;
		case PF_RECORD:
			record_init(f->sub, AT(base, f));
			break;
		default:
			break;
		}
	}
}

static void
record_free(const struct precord *rec, void *base)
{
	const struct pfield	*f;
	char			*p, *items;
	size_t			 i, n;

	for (f = rec->fields; f->key != NULL; f++) {
		p = AT(base, f);
		switch (f->type) {
		case PF_ID:
		case PF_TEXT:
			free(*(char **)p);
			break;
		case PF_IDLIST:
			strv_free(*(char ***)p);
			break;
		case PF_TEXTMAP:
			for (i = 0; f->names[i] != NULL; i++)
				free(((char **)p)[i]);
			break;
		case PF_RECORD:
			record_free(f->sub, p);
			break;
		case PF_LIST:
			items = *(char **)p;
			n = *(size_t *)((char *)base + f->noff);
			for (i = 0; i < n; i++)
				record_free(f->sub, items + i * f->sub->size);
			free(items);
			break;
		default:
			break;
		}
	}
}

static struct plan *
plan_new(void)
{
	static const int64_t	 prio[] = { 3 * 3600, 86400, 3 * 86400,
				    7 * 86400, 14 * 86400 };
	static const int	 ladder[] = { 4, 3, 3, 2, 2, 1 };
	struct plan		*p = xcalloc(1, sizeof *p);

	record_init(&plan_rec, p);
	p->hdr.review_every = YEAR_S;
	memcpy(p->prio_max, prio, sizeof p->prio_max);
	memcpy(p->levels[0], ladder, sizeof p->levels[0]);
	p->max_s_share = 0.2;
	return p;
}

void
plan_free(struct plan *p)
{
	if (p == NULL)
		return;
	record_free(&plan_rec, p);
	free(p);
}

/* Loading. */

struct lctx {
	struct diags	*d;
	const char	*file;
};

static void	load_record(struct lctx *, const struct ynode *,
		    const struct precord *, void *);

static void
load_idlist(struct lctx *c, const struct ynode *map, const struct pfield *f,
    char ***out)
{
	struct ynode	*n = ymap_get(map, f->key), *one[1], **items;
	char		**v;
	size_t		  i, j, cnt;

	if (n == NULL || (n->type == Y_SCALAR && n->plain &&
	    (*n->str == '\0' || strcmp(n->str, "~") == 0 ||
	    strcmp(n->str, "null") == 0)))
		return;
	if (n->type == Y_MAP) {
		diag_node(c->d, c->file, n, "\"%s\" must be a list of ids",
		    f->key);
		return;
	}
	if (n->type == Y_SCALAR) {
		one[0] = n;
		items = one;
		cnt = 1;
	} else {
		items = n->items;
		cnt = n->n;
	}
	v = xcalloc(cnt + 1, sizeof *v);
	for (i = 0, j = 0; i < cnt; i++) {
		if (items[i]->type != Y_SCALAR || !valid_id(items[i]->str)) {
			diag_node(c->d, c->file, items[i], "items of \"%s\" "
			    "must be ids ([a-z0-9][a-z0-9_-]*)", f->key);
			continue;
		}
		if (strv_has(v, items[i]->str)) {
			diag_node(c->d, c->file, items[i],
			    "\"%s\" is listed twice in \"%s\"",
			    items[i]->str, f->key);
			continue;
		}
		v[j++] = xstrdup(items[i]->str);
	}
	*out = v;
}

static void
load_map(struct lctx *c, const struct ynode *map, const struct pfield *f,
    char *p)
{
	struct ynode	*n;
	const char	*s;
	long long	 lv;
	size_t		 i;

	if (yget_node(c->d, c->file, map, f->key, Y_MAP, f->required,
	    &n) != 1)
		return;
	ycheck_keys(c->d, c->file, n, f->names, f->key);
	for (i = 0; f->names[i] != NULL; i++) {
		if (f->type == PF_LEVELMAP) {
			if (yget_int(c->d, c->file, n, f->names[i], 0, 1, 4,
			    &lv) == 1)
				((int *)p)[i] = (int)lv;
		} else if (yget_str(c->d, c->file, n, f->names[i], 0,
		    &s) == 1)
			((char **)p)[i] = xstrdup(s);
	}
}

/* Reports a second use of an id, naming where the first one was. */
static void
check_dup_ids(struct lctx *c, const struct ynode *seq,
    const struct precord *rec, char *items, size_t n)
{
	struct ynode	*a, *b;
	const char	*x, *y;
	size_t		 i, j;

	if (rec->fields[0].type != PF_ID)
		return;
	for (i = 1; i < n; i++) {
		if ((x = *(char **)AT(items + i * rec->size,
		    &rec->fields[0])) == NULL)
			continue;
		for (j = 0; j < i; j++) {
			y = *(char **)AT(items + j * rec->size,
			    &rec->fields[0]);
			if (y == NULL || strcmp(x, y) != 0)
				continue;
			a = ymap_get(seq->items[j], rec->fields[0].key);
			b = ymap_get(seq->items[i], rec->fields[0].key);
			diag_node(c->d, c->file, b, "duplicate %s id \"%s\" "
			    "(first at line %d, column %d)", rec->what, x,
			    a->line, a->col);
			break;
		}
	}
}

static void
load_list(struct lctx *c, const struct ynode *map, const struct pfield *f,
    void *base)
{
	const struct precord	*rec = f->sub;
	struct ynode		*seq;
	char			*items;
	size_t			 i;

	if (yget_node(c->d, c->file, map, f->key, Y_SEQ, f->required,
	    &seq) != 1)
		return;
	items = xcalloc(seq->n, rec->size);
	for (i = 0; i < seq->n; i++) {
		record_init(rec, items + i * rec->size);
		if (seq->items[i]->type != Y_MAP) {
			diag_node(c->d, c->file, seq->items[i], "each item "
			    "of \"%s\" must be a map (a %s)", f->key,
			    rec->what);
			continue;
		}
		load_record(c, seq->items[i], rec, items + i * rec->size);
	}
	*(char **)AT(base, f) = items;
	*(size_t *)((char *)base + f->noff) = seq->n;
	check_dup_ids(c, seq, rec, items, seq->n);
}

static void
load_scalar(struct lctx *c, const struct ynode *map, const struct pfield *f,
    char *p)
{
	const char	*s, *why;
	char		*end, *list;
	struct ynode	*n = ymap_get(map, f->key);
	int64_t		 v;
	double		 dbl;
	int		 i;

	if (yget_str(c->d, c->file, map, f->key, f->required, &s) != 1)
		return;
	switch (f->type) {
	case PF_ID:
		if (!valid_id(s))
			diag_node(c->d, c->file, n, "bad id \"%s\" for \"%s\":"
			    " use [a-z0-9][a-z0-9_-]*", s, f->key);
		else
			*(char **)p = xstrdup(s);
		break;
	case PF_TEXT:
		*(char **)p = xstrdup(s);
		break;
	case PF_DURATION:
		if (plan_duration_parse(s, &v, &why) == -1)
			diag_node(c->d, c->file, n, "bad duration \"%s\" for "
			    "\"%s\": %s", s, f->key, why);
		else if (v == 0 && f->positive)
			diag_node(c->d, c->file, n, "\"%s\" must be longer "
			    "than 0", f->key);
		else
			*(int64_t *)p = v;
		break;
	case PF_DATE:
		if (plan_date_parse(s, &v) == -1)
			diag_node(c->d, c->file, n, "bad date \"%s\" for "
			    "\"%s\": use YYYY-MM-DD", s, f->key);
		else
			*(int64_t *)p = v;
		break;
	case PF_SHARE:
		errno = 0;
		dbl = strtod(s, &end);
		if (errno != 0 || end == s || *end != '\0' || !isfinite(dbl) ||
		    dbl < 0 || dbl > 1)
			diag_node(c->d, c->file, n, "\"%s\" must be a number "
			    "from 0 to 1, not \"%s\"", f->key, s);
		else
			*(double *)p = dbl;
		break;
	case PF_ENUM:
		if ((i = name_index(f->names, s)) == -1) {
			list = names_list(f->names);
			diag_node(c->d, c->file, n, "unknown %s \"%s\" (use "
			    "%s)", f->key, s, list);
			free(list);
		} else
			*(int *)p = i;
		break;
	default:
		break;
	}
}

static void
load_field(struct lctx *c, const struct ynode *map, const struct pfield *f,
    void *base)
{
	char		*p = AT(base, f);
	struct ynode	*n;
	long long	 v;

	switch (f->type) {
	case PF_LEVEL:
	case PF_COST:
		if (yget_int(c->d, c->file, map, f->key, f->required,
		    f->type == PF_LEVEL ? 1 : 0, f->type == PF_LEVEL ? 4 :
		    MAX_COST, &v) != 1)
			break;
		if (f->type == PF_LEVEL)
			*(int *)p = (int)v;
		else
			*(int64_t *)p = v;
		break;
	case PF_IDLIST:
		load_idlist(c, map, f, (char ***)p);
		break;
	case PF_LEVELMAP:
	case PF_TEXTMAP:
		load_map(c, map, f, p);
		break;
	case PF_RECORD:
		if (yget_node(c->d, c->file, map, f->key, Y_MAP, f->required,
		    &n) == 1)
			load_record(c, n, f->sub, p);
		break;
	case PF_LIST:
		load_list(c, map, f, base);
		break;
	default:
		load_scalar(c, map, f, p);
		break;
	}
}

static void
load_record(struct lctx *c, const struct ynode *map,
    const struct precord *rec, void *base)
{
	const struct pfield	 *f;
	const char		**keys;
	size_t			  n = 0;

	for (f = rec->fields; f->key != NULL; f++)
		n++;
	keys = xcalloc(n + 1, sizeof *keys);
	for (n = 0, f = rec->fields; f->key != NULL; f++)
		keys[n++] = f->key;
	ycheck_keys(c->d, c->file, map, keys, rec->what);
	free(keys);
	for (f = rec->fields; f->key != NULL; f++)
		load_field(c, map, f, base);
}

/* The thresholds must climb, or a group would be empty or inverted.
 * Returns the first group out of order, or -1. */
static int
thresholds_bad(const struct plan *p)
{
	int i;

	for (i = 1; i < PLAN_NPRIO - 1; i++)
		if (p->prio_max[i] <= p->prio_max[i - 1])
			return i;
	return -1;
}

struct plan *
plan_load(const struct ydoc *doc, struct diags *d)
{
	struct lctx	 c = { d, doc->file };
	struct plan	*p;
	struct ynode	*pr;
	size_t		 before = d->nerrors;
	char		*a, *b;
	int		 i;

	if (doc->root == NULL || doc->root->type != Y_MAP) {
		diag_error(d, doc->file, doc->root ? doc->root->line : 1,
		    doc->root ? doc->root->col : 1, "a plan must be a map "
		    "with at least the key \"plan\"");
		return NULL;
	}
	p = plan_new();
	load_record(&c, doc->root, &plan_rec, p);
	if ((i = thresholds_bad(p)) != -1) {
		pr = ymap_get(doc->root, "priority");
		if (ymap_get(pr, plan_prio_names[i]) != NULL)
			pr = ymap_get(pr, plan_prio_names[i]);
		a = plan_duration_fmt(p->prio_max[i]);
		b = plan_duration_fmt(p->prio_max[i - 1]);
		diag_node(d, doc->file, pr, "priority thresholds must "
		    "increase: %s (%s) is not longer than %s (%s)",
		    plan_prio_names[i], a, plan_prio_names[i - 1], b);
		free(a);
		free(b);
	}
	if (d->nerrors > before) {
		plan_free(p);
		return NULL;
	}
	return p;
}

struct plan *
plan_parse(const char *file, const char *text, size_t len, struct diags *d)
{
	struct ydoc	*doc;
	struct plan	*p;
	size_t		 before = d->nerrors;

	if ((doc = ydoc_parse(file, text, len, d)) == NULL)
		return NULL;
	p = d->nerrors > before ? NULL : plan_load(doc, d);
	ydoc_free(doc);
	return p;
}

/* Lookups. */

int
plan_find_system(const struct plan *p, const char *id)
{
	size_t i;

	for (i = 0; id != NULL && i < p->nsystems; i++)
		if (p->systems[i].id != NULL &&
		    strcmp(p->systems[i].id, id) == 0)
			return (int)i;
	return -1;
}

int
plan_find_task(const struct plan *p, const char *id)
{
	size_t i;

	for (i = 0; id != NULL && i < p->ntasks; i++)
		if (p->tasks[i].id != NULL && strcmp(p->tasks[i].id, id) == 0)
			return (int)i;
	return -1;
}

int
plan_has_system(const struct plan *p, const char *id)
{
	return p != NULL && plan_find_system(p, id) != -1;
}

const char *
plan_system_title(const struct plan *p, const char *id)
{
	int i;

	if (p == NULL || (i = plan_find_system(p, id)) == -1)
		return NULL;
	return p->systems[i].title;
}

static int
has_non_ascii(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return 1;
	return 0;
}

int
plan_is_japanese(const struct plan *p)
{
	size_t i;

	if (has_non_ascii(p->hdr.organization) || has_non_ascii(p->hdr.title))
		return 1;
	for (i = 0; i < p->ntasks; i++)
		if (has_non_ascii(p->tasks[i].title))
			return 1;
	for (i = 0; i < p->nsystems; i++)
		if (has_non_ascii(p->systems[i].title))
			return 1;
	return 0;
}

/* YAML export through libyaml's emitter. */

struct emit {
	yaml_emitter_t	 e;
	yaml_event_t	 ev;
	int		 err;
};

static int
emit_write(void *arg, unsigned char *data, size_t size)
{
	buf_add(arg, (const char *)data, size);
	return 1;
}

static void
emit_ev(struct emit *em, int ok)
{
	if (!ok || !yaml_emitter_emit(&em->e, &em->ev))
		em->err = 1;
}

static void
emit_scalar(struct emit *em, const char *s, yaml_scalar_style_t style)
{
	if (em->err)
		return;
	emit_ev(em, yaml_scalar_event_initialize(&em->ev, NULL, NULL,
	    (yaml_char_t *)(uintptr_t)s, (int)strlen(s), 1, 1, style));
}

/* Text that the loader (or another YAML reader) would take for null, a
 * boolean or a number is quoted; multi-line text becomes a block. */
static void
emit_text(struct emit *em, const char *s)
{
	static const char *const bools[] = { "yes", "no", "on", "off",
	    "y", "n" };
	struct ynode	 tmp = { .type = Y_SCALAR, .str = (char *)(uintptr_t)s,
			    .plain = 1 };
	json_t		*j = ynode_json(&tmp);
	int		 typed = !json_is_string(j);
	size_t		 i;

	json_decref(j);
	for (i = 0; i < sizeof bools / sizeof bools[0]; i++)
		if (strcasecmp(s, bools[i]) == 0)
			typed = 1;
	if (strchr(s, '\n') != NULL)
		emit_scalar(em, s, YAML_LITERAL_SCALAR_STYLE);
	else
		emit_scalar(em, s, typed ? YAML_DOUBLE_QUOTED_SCALAR_STYLE :
		    YAML_ANY_SCALAR_STYLE);
}

static void
emit_collection(struct emit *em, int map, int start, int flow)
{
	if (em->err)
		return;
	if (map && start)
		emit_ev(em, yaml_mapping_start_event_initialize(&em->ev, NULL,
		    NULL, 1, flow ? YAML_FLOW_MAPPING_STYLE :
		    YAML_BLOCK_MAPPING_STYLE));
	else if (map)
		emit_ev(em, yaml_mapping_end_event_initialize(&em->ev));
	else if (start)
		emit_ev(em, yaml_sequence_start_event_initialize(&em->ev,
		    NULL, NULL, 1, flow ? YAML_FLOW_SEQUENCE_STYLE :
		    YAML_BLOCK_SEQUENCE_STYLE));
	else
		emit_ev(em, yaml_sequence_end_event_initialize(&em->ev));
}

static void
fmt_share(double v, char *buf, size_t len)
{
	int prec;

	/* The shortest text that reads back as the same double. */
	for (prec = 1; prec < 17; prec++) {
		snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
	snprintf(buf, len, "%.17g", v);
}

static void	emit_record(struct emit *, const struct precord *,
		    const void *, int);

/* Whether a field has a value worth writing. */
static int
field_present(const struct pfield *f, const void *base)
{
	const char	*p = AT(base, f);
	size_t		 i;

	switch (f->type) {
	case PF_ID:
	case PF_TEXT:
		return *(char *const *)p != NULL;
	case PF_DURATION:
	case PF_DATE:
	case PF_COST:
		return *(const int64_t *)p != PLAN_NONE;
	case PF_LEVEL:
		return *(const int *)p != 0;
	case PF_IDLIST:
		return *(char **const *)p != NULL && **(char **const *)p !=
		    NULL;
	case PF_LEVELMAP:
	case PF_TEXTMAP:
		for (i = 0; f->names[i] != NULL; i++)
			if (f->type == PF_LEVELMAP ? ((const int *)p)[i] != 0 :
			    ((char *const *)p)[i] != NULL)
				return 1;
		return 0;
	case PF_LIST:
		return *(const size_t *)((const char *)base + f->noff) != 0;
	default:
		return 1;
	}
}

static void
emit_map_field(struct emit *em, const struct pfield *f, const char *p)
{
	char	num[16];
	size_t	i;

	emit_collection(em, 1, 1, f->flow);
	for (i = 0; f->names[i] != NULL; i++) {
		if (f->type == PF_LEVELMAP && ((const int *)p)[i] != 0) {
			emit_scalar(em, f->names[i], YAML_PLAIN_SCALAR_STYLE);
			snprintf(num, sizeof num, "%d", ((const int *)p)[i]);
			emit_scalar(em, num, YAML_PLAIN_SCALAR_STYLE);
		} else if (f->type == PF_TEXTMAP &&
		    ((char *const *)p)[i] != NULL) {
			emit_scalar(em, f->names[i], YAML_PLAIN_SCALAR_STYLE);
			emit_text(em, ((char *const *)p)[i]);
		}
	}
	emit_collection(em, 1, 0, f->flow);
}

static void
emit_field(struct emit *em, const struct pfield *f, const void *base)
{
	const char	*p = AT(base, f), *items;
	char		 num[40], *s;
	size_t		 i, n;

	emit_scalar(em, f->key, YAML_PLAIN_SCALAR_STYLE);
	switch (f->type) {
	case PF_ID:
	case PF_TEXT:
		emit_text(em, *(char *const *)p);
		break;
	case PF_DURATION:
		s = plan_duration_fmt(*(const int64_t *)p);
		emit_scalar(em, s, YAML_PLAIN_SCALAR_STYLE);
		free(s);
		break;
	case PF_DATE:
		plan_date_fmt(*(const int64_t *)p, num, sizeof num);
		emit_scalar(em, num, YAML_PLAIN_SCALAR_STYLE);
		break;
	case PF_LEVEL:
	case PF_ENUM:
		if (f->type == PF_ENUM)
			emit_scalar(em, f->names[*(const int *)p],
			    YAML_PLAIN_SCALAR_STYLE);
		else {
			snprintf(num, sizeof num, "%d", *(const int *)p);
			emit_scalar(em, num, YAML_PLAIN_SCALAR_STYLE);
		}
		break;
	case PF_COST:
		snprintf(num, sizeof num, "%lld",
		    (long long)*(const int64_t *)p);
		emit_scalar(em, num, YAML_PLAIN_SCALAR_STYLE);
		break;
	case PF_SHARE:
		fmt_share(*(const double *)p, num, sizeof num);
		emit_scalar(em, num, YAML_PLAIN_SCALAR_STYLE);
		break;
	case PF_IDLIST:
		emit_collection(em, 0, 1, f->flow);
		for (i = 0; (*(char **const *)p)[i] != NULL; i++)
			emit_text(em, (*(char **const *)p)[i]);
		emit_collection(em, 0, 0, f->flow);
		break;
	case PF_LEVELMAP:
	case PF_TEXTMAP:
		emit_map_field(em, f, p);
		break;
	case PF_RECORD:
		emit_record(em, f->sub, p, f->flow);
		break;
	case PF_LIST:
		items = *(char *const *)p;
		n = *(const size_t *)((const char *)base + f->noff);
		emit_collection(em, 0, 1, 0);
		for (i = 0; i < n; i++)
			emit_record(em, f->sub, items + i * f->sub->size, 0);
		emit_collection(em, 0, 0, 0);
		break;
	}
}

static void
emit_record(struct emit *em, const struct precord *rec, const void *base,
    int flow)
{
	const struct pfield *f;

	emit_collection(em, 1, 1, flow);
	for (f = rec->fields; f->key != NULL; f++)
		if (field_present(f, base))
			emit_field(em, f, base);
	emit_collection(em, 1, 0, flow);
}

char *
plan_export_yaml(const struct plan *p)
{
	struct emit	em;
	struct buf	b = { 0 };

	memset(&em, 0, sizeof em);
	if (!yaml_emitter_initialize(&em.e))
		return NULL;
	yaml_emitter_set_output(&em.e, emit_write, &b);
	yaml_emitter_set_unicode(&em.e, 1);
	yaml_emitter_set_width(&em.e, -1);
	yaml_emitter_set_indent(&em.e, 2);
	emit_ev(&em, yaml_stream_start_event_initialize(&em.ev,
	    YAML_UTF8_ENCODING));
	if (!em.err)
		emit_ev(&em, yaml_document_start_event_initialize(&em.ev,
		    NULL, NULL, NULL, 1));
	emit_record(&em, &plan_rec, p, 0);
	if (!em.err)
		emit_ev(&em, yaml_document_end_event_initialize(&em.ev, 1));
	if (!em.err)
		emit_ev(&em, yaml_stream_end_event_initialize(&em.ev));
	if (!em.err && !yaml_emitter_flush(&em.e))
		em.err = 1;
	yaml_emitter_delete(&em.e);
	if (em.err) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/* The JSON storage form: the YAML's keys, durations as seconds in keys
 * ending "_s" (SPEC conventions), absent values null. */

static const char *
json_key(const struct pfield *f, char *buf, size_t len)
{
	if (f->type != PF_DURATION)
		return f->key;
	snprintf(buf, len, "%s_s", f->key);
	return buf;
}

static json_t *
jstr(const char *s)
{
	json_t *j = s != NULL ? json_string(s) : NULL;

	return j != NULL ? j : json_null();
}

static json_t	*record_json(const struct precord *, const void *);

static json_t *
field_json(const struct pfield *f, const void *base)
{
	const char	*p = AT(base, f), *items;
	char		 date[16];
	json_t		*j;
	size_t		 i, n;

	if (!field_present(f, base) && f->type != PF_IDLIST &&
	    f->type != PF_LIST && f->type != PF_LEVELMAP &&
	    f->type != PF_TEXTMAP)
		return json_null();
	switch (f->type) {
	case PF_ID:
	case PF_TEXT:
		return jstr(*(char *const *)p);
	case PF_DURATION:
	case PF_COST:
		return json_integer(*(const int64_t *)p);
	case PF_DATE:
		return jstr(plan_date_fmt(*(const int64_t *)p, date,
		    sizeof date));
	case PF_LEVEL:
		return json_integer(*(const int *)p);
	case PF_ENUM:
		return json_string(f->names[*(const int *)p]);
	case PF_SHARE:
		return json_real(*(const double *)p);
	case PF_IDLIST:
		j = json_array();
		for (i = 0; *(char **const *)p != NULL &&
		    (*(char **const *)p)[i] != NULL; i++)
			json_array_append_new(j, jstr((*(char **const *)p)[i]));
		return j;
	case PF_LEVELMAP:
	case PF_TEXTMAP:
		j = json_object();
		for (i = 0; f->names[i] != NULL; i++) {
			if (f->type == PF_LEVELMAP && ((const int *)p)[i] != 0)
				json_object_set_new(j, f->names[i],
				    json_integer(((const int *)p)[i]));
			else if (f->type == PF_TEXTMAP &&
			    ((char *const *)p)[i] != NULL)
				json_object_set_new(j, f->names[i],
				    jstr(((char *const *)p)[i]));
		}
		return j;
	case PF_RECORD:
		return record_json(f->sub, p);
	case PF_LIST:
		items = *(char *const *)p;
		n = *(const size_t *)((const char *)base + f->noff);
		j = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(j, record_json(f->sub,
			    items + i * f->sub->size));
		return j;
	}
	return json_null();
}

static json_t *
record_json(const struct precord *rec, const void *base)
{
	const struct pfield	*f;
	json_t			*o = json_object();
	char			 key[64];

	for (f = rec->fields; f->key != NULL; f++)
		json_object_set_new(o, json_key(f, key, sizeof key),
		    field_json(f, base));
	return o;
}

json_t *
plan_to_json(const struct plan *p)
{
	json_t *j = record_json(&plan_rec, p);

	json_object_set_new(j, "format", json_integer(1));
	return j;
}

static int	record_from_json(const json_t *, const struct precord *,
		    void *, char **);

static int
map_from_json(const json_t *v, const struct pfield *f, char *p, char **why)
{
	const char	*k;
	json_t		*x;
	int		 i;

	if (!json_is_object(v))
		return -1;
	json_object_foreach((json_t *)(uintptr_t)v, k, x) {
		if ((i = name_index(f->names, k)) == -1) {
			*why = xprintf("unknown key \"%s\" in \"%s\"", k,
			    f->key);
			return -1;
		}
		if (f->type == PF_LEVELMAP && json_is_integer(x) &&
		    json_integer_value(x) >= 1 && json_integer_value(x) <= 4)
			((int *)p)[i] = (int)json_integer_value(x);
		else if (f->type == PF_TEXTMAP && json_is_string(x))
			((char **)p)[i] = xstrdup(json_string_value(x));
		else
			return -1;
	}
	return 0;
}

static int
list_from_json(const json_t *v, const struct pfield *f, void *base,
    char **why)
{
	const struct precord	*rec = f->sub;
	char			*items;
	size_t			 i, n;

	if (!json_is_array(v))
		return -1;
	n = json_array_size(v);
	items = xcalloc(n, rec->size);
	for (i = 0; i < n; i++)
		record_init(rec, items + i * rec->size);
	*(char **)AT(base, f) = items;
	*(size_t *)((char *)base + f->noff) = n;
	for (i = 0; i < n; i++)
		if (record_from_json(json_array_get(v, i), rec,
		    items + i * rec->size, why) == -1)
			return -1;
	return 0;
}

/* Returns 0, or -1 for a value of the wrong shape (*why may be set). */
static int
field_from_json(const json_t *v, const struct pfield *f, void *base,
    char **why)
{
	char		*p = AT(base, f);
	const char	*s = json_string_value(v);
	json_int_t	 i = json_integer_value(v);
	size_t		 k;
	int64_t		 ms;

	switch (f->type) {
	case PF_ID:
	case PF_TEXT:
		if (s == NULL || (f->type == PF_ID && !valid_id(s)))
			return -1;
		*(char **)p = xstrdup(s);
		return 0;
	case PF_DURATION:
	case PF_COST:
		if (!json_is_integer(v) || i < (f->positive ? 1 : 0))
			return -1;
		*(int64_t *)p = i;
		return 0;
	case PF_DATE:
		if (s == NULL || plan_date_parse(s, &ms) == -1)
			return -1;
		*(int64_t *)p = ms;
		return 0;
	case PF_LEVEL:
		if (!json_is_integer(v) || i < 1 || i > 4)
			return -1;
		*(int *)p = (int)i;
		return 0;
	case PF_ENUM:
		if (s == NULL || name_index(f->names, s) == -1)
			return -1;
		*(int *)p = name_index(f->names, s);
		return 0;
	case PF_SHARE:
		if (!json_is_number(v) || json_number_value(v) < 0 ||
		    json_number_value(v) > 1)
			return -1;
		*(double *)p = json_number_value(v);
		return 0;
	case PF_IDLIST:
		if (!json_is_array(v))
			return -1;
		*(char ***)p = xcalloc(json_array_size(v) + 1, sizeof(char *));
		for (k = 0; k < json_array_size(v); k++) {
			s = json_string_value(json_array_get(v, k));
			if (s == NULL || !valid_id(s))
				return -1;
			(*(char ***)p)[k] = xstrdup(s);
		}
		return 0;
	case PF_LEVELMAP:
	case PF_TEXTMAP:
		return map_from_json(v, f, p, why);
	case PF_RECORD:
		return record_from_json(v, f->sub, p, why);
	case PF_LIST:
		return list_from_json(v, f, base, why);
	}
	return -1;
}

static int
record_from_json(const json_t *o, const struct precord *rec, void *base,
    char **why)
{
	const struct pfield	*f;
	const json_t		*v;
	char			 key[64];

	if (!json_is_object(o)) {
		*why = xprintf("a %s must be an object", rec->what);
		return -1;
	}
	for (f = rec->fields; f->key != NULL; f++) {
		v = json_object_get(o, json_key(f, key, sizeof key));
		if (v == NULL || json_is_null(v)) {
			if (!f->required)
				continue;
			*why = xprintf("%s: missing \"%s\"", rec->what, key);
			return -1;
		}
		if (field_from_json(v, f, base, why) == -1) {
			if (*why == NULL)
				*why = xprintf("%s: bad \"%s\"", rec->what,
				    key);
			return -1;
		}
	}
	return 0;
}

struct plan *
plan_from_json(const json_t *j, char **why)
{
	struct plan	*p = plan_new();
	int		 i;

	*why = NULL;
	if (record_from_json(j, &plan_rec, p, why) == -1) {
		plan_free(p);
		return NULL;
	}
	if ((i = thresholds_bad(p)) != -1) {
		*why = xprintf("priority thresholds must increase (%s)",
		    plan_prio_names[i]);
		plan_free(p);
		return NULL;
	}
	return p;
}
