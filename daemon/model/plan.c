/* The continuity plan's data: the record tables, loading plan.yaml and
 * lookups. The tables (plan-int.h) also drive the YAML export
 * (plan-export.c) and the JSON storage form (plan-json.c). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/diag.h"
#include "common/duration.h"
#include "model/plan.h"
#include "model/plan-int.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "common/ytree.h"

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

#define MAX_YEARS	1000
#define MAX_COST	1000000000000000LL	/* 10^15, in any currency */

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
const struct precord plan_file_rec = {
	"plan file", sizeof(struct plan), plan_fields
};

static size_t
names_len(const char *const *names)
{
	size_t n = 0;

	while (names[n] != NULL)
		n++;
	return n;
}

int
plan_name_index(const char *const *names, const char *s)
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
		if (rest > INT64_MAX - years * DURATION_YEAR_S) {
			*why = "duration too large";
			return -1;
		}
	}
	*out = years * DURATION_YEAR_S + rest;
	return 0;
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
void
plan_record_init(const struct precord *rec, void *base)
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
			plan_record_init(f->sub, AT(base, f));
			break;
		default:
			break;
		}
	}
}

/* Whether a field has a value worth writing. */
int
plan_field_present(const struct pfield *f, const void *base)
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

struct plan *
plan_new(void)
{
	static const int64_t	 prio[] = { 3 * 3600, 86400, 3 * 86400,
				    7 * 86400, 14 * 86400 };
	static const int	 ladder[] = { 4, 3, 3, 2, 2, 1 };
	struct plan		*p = xcalloc(1, sizeof *p);

	plan_record_init(&plan_file_rec, p);
	p->hdr.review_every = DURATION_YEAR_S;
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
	record_free(&plan_file_rec, p);
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
		plan_record_init(rec, items + i * rec->size);
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
		if ((i = plan_name_index(f->names, s)) == -1) {
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
int
plan_thresholds_bad(const struct plan *p)
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
	load_record(&c, doc->root, &plan_file_rec, p);
	if ((i = plan_thresholds_bad(p)) != -1) {
		pr = ymap_get(doc->root, "priority");
		if (ymap_get(pr, plan_prio_names[i]) != NULL)
			pr = ymap_get(pr, plan_prio_names[i]);
		a = duration_fmt_years(p->prio_max[i]);
		b = duration_fmt_years(p->prio_max[i - 1]);
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

char **
plan_system_ids(const struct plan *p)
{
	char	**v = xcalloc(p->nsystems + 1, sizeof *v);
	size_t	  i, n = 0;

	for (i = 0; i < p->nsystems; i++)
		if (p->systems[i].id != NULL)
			v[n++] = p->systems[i].id;
	return v;
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
