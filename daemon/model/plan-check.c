/* What the guideline derives from a plan (2.5.2 RTO and priority, 2.6.2
 * target levels, 2.7.1 current levels and gaps) and the rules a plan is
 * checked against. Pure: the clock comes in as now_ms. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/diag.h"
#include "model/plan.h"
#include "common/xmalloc.h"
#include "common/ytree.h"

#define DAY_MS	(86400 * 1000LL)

int
plan_priority(const struct plan *p, int64_t rto)
{
	int i;

	if (rto == PLAN_NONE || rto < 0)
		return -1;
	/* Table 2.5-1: each group's upper bound belongs to it. */
	for (i = 0; i < PLAN_NPRIO - 1; i++)
		if (rto <= p->prio_max[i])
			return i;
	return PRIO_E;
}

int
plan_target_level(const struct plan *p, int comp, int prio)
{
	if (prio < 0 || prio >= PLAN_NPRIO)
		return 0;
	if (comp >= 0 && comp < PLAN_NCOMP && p->levels[1 + comp][prio] != 0)
		return p->levels[1 + comp][prio];
	return p->levels[0][prio];
}

/* The shortest RTO of the known tasks a system supports; *task gets the
 * task that sets it. */
static int64_t
derived_rto(const struct plan *p, const struct plan_system *s, int *task)
{
	int64_t	rto = PLAN_NONE;
	size_t	i;
	int	t;

	*task = -1;
	for (i = 0; s->supports != NULL && s->supports[i] != NULL; i++) {
		if ((t = plan_find_task(p, s->supports[i])) == -1)
			continue;
		if (rto == PLAN_NONE || p->tasks[t].rto < rto) {
			rto = p->tasks[t].rto;
			*task = t;
		}
	}
	return rto;
}

static int64_t
effective_rto(const struct plan_system *s, int64_t derived)
{
	if (s->rto != PLAN_NONE && (derived == PLAN_NONE || s->rto < derived))
		return s->rto;
	return derived;
}

int64_t
plan_system_rto(const struct plan *p, const char *id)
{
	int64_t	rto;
	int	i, t;

	if (p == NULL || (i = plan_find_system(p, id)) == -1)
		return -1;
	rto = effective_rto(&p->systems[i], derived_rto(p, &p->systems[i],
	    &t));
	return rto == PLAN_NONE ? -1 : rto;
}

static void
eval_system(const struct plan *p, size_t i, struct plan_sysinfo *si)
{
	const struct plan_system	*s = &p->systems[i];
	int				 c, t;

	si->derived_rto = derived_rto(p, s, &t);
	si->rto = effective_rto(s, si->derived_rto);
	si->prio = plan_priority(p, si->rto);
	si->target = plan_target_level(p, -1, si->prio);
	for (c = 0; c < PLAN_NCOMP; c++) {
		if (s->components[c] == 0)
			continue;
		if (si->current == 0 || s->components[c] < si->current)
			si->current = s->components[c];
		si->targets[c] = plan_target_level(p, c, si->prio);
	}
}

/* A system reaches a task when it supports one or something that reaches
 * one depends on it: infrastructure supports tasks through its users. */
static void
eval_reach(const struct plan *p, struct plan_sysinfo *si)
{
	size_t	*work, nwork = 0, i, k;
	int	 j;

	work = xcalloc(p->nsystems, sizeof *work);
	for (i = 0; i < p->nsystems; i++) {
		if (strv_len(p->systems[i].supports) > 0) {
			si[i].reaches_task = 1;
			work[nwork++] = i;
		}
	}
	while (nwork > 0) {
		i = work[--nwork];
		for (k = 0; p->systems[i].depends_on != NULL &&
		    p->systems[i].depends_on[k] != NULL; k++) {
			j = plan_find_system(p, p->systems[i].depends_on[k]);
			if (j == -1 || si[j].reaches_task)
				continue;
			si[j].reaches_task = 1;
			work[nwork++] = (size_t)j;
		}
	}
	free(work);
}

static int
gap_cmp(const void *a, const void *b)
{
	const struct plan_gap	*x = a, *y = b;
	int			 r;

	if (x->prio != y->prio)
		return x->prio < y->prio ? -1 : 1;
	if ((r = strcmp(x->system, y->system)) != 0)
		return r;
	return x->comp - y->comp;
}

/* An open countermeasure that reaches the target closes the gap. */
static int
gap_covered(const struct plan *p, const struct plan_gap *g)
{
	const struct plan_cm	*cm;
	size_t			 i;

	for (i = 0; i < p->ncms; i++) {
		cm = &p->cms[i];
		if (cm->system != NULL && strcmp(cm->system, g->system) == 0 &&
		    cm->component == g->comp && cm->target >= g->target &&
		    (cm->status == CM_PLANNED || cm->status == CM_IN_PROGRESS))
			return 1;
	}
	return 0;
}

static void
eval_gaps(const struct plan *p, struct plan_eval *ev)
{
	const struct plan_system	*s;
	struct plan_gap			*g;
	size_t				 i;
	int				 c;

	for (i = 0; i < p->nsystems; i++) {
		s = &p->systems[i];
		for (c = 0; c < PLAN_NCOMP; c++) {
			if (s->components[c] == 0 ||
			    s->components[c] >= ev->sys[i].targets[c])
				continue;
			ev->gaps = xreallocarray(ev->gaps, ev->ngaps + 1,
			    sizeof *ev->gaps);
			g = &ev->gaps[ev->ngaps++];
			g->sys = i;
			g->system = s->id;
			g->comp = c;
			g->prio = ev->sys[i].prio;
			g->current = s->components[c];
			g->target = ev->sys[i].targets[c];
			g->covered = gap_covered(p, g);
		}
	}
	if (ev->ngaps > 1)
		qsort(ev->gaps, ev->ngaps, sizeof *ev->gaps, gap_cmp);
}

struct plan_eval *
plan_eval(const struct plan *p)
{
	struct plan_eval	*ev = xcalloc(1, sizeof *ev);
	size_t			 i;

	ev->sys = xcalloc(p->nsystems, sizeof *ev->sys);
	for (i = 0; i < p->nsystems; i++)
		eval_system(p, i, &ev->sys[i]);
	eval_reach(p, ev->sys);
	eval_gaps(p, ev);
	return ev;
}

void
plan_eval_free(struct plan_eval *ev)
{
	if (ev == NULL)
		return;
	free(ev->sys);
	free(ev->gaps);
	free(ev);
}

/* The checks. Each rule appends findings; the table gives their order. */

struct cctx {
	const struct plan	*p;
	const struct plan_eval	*ev;
	int64_t			 now;
	json_t			*errors;
	json_t			*warnings;
	json_t			*notes;
};

static void
finding(json_t *to, const char *code, const char *subject,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
finding(json_t *to, const char *code, const char *subject,
    const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;
	json_t	*m;

	va_start(ap, fmt);
	msg = xvprintf(fmt, ap);
	va_end(ap);
	/* Text from the plan is valid UTF-8, but never lose a finding. */
	if ((m = json_string(msg)) == NULL)
		m = json_string("(message not valid UTF-8)");
	json_array_append_new(to, json_pack("{s:s, s:s?, s:o}", "code", code,
	    "subject", subject, "message", m));
	free(msg);
}

static int
str_ptr_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Ids are the first member of each record; sorting finds repeats. */
static void
dup_ids(struct cctx *c, const void *items, size_t n, size_t size,
    const char *what)
{
	const char	**ids = xcalloc(n, sizeof *ids);
	size_t		  i, k = 0;

	for (i = 0; i < n; i++)
		if ((ids[k] = *(char *const *)((const char *)items +
		    i * size)) != NULL)
			k++;
	if (k > 1)
		qsort(ids, k, sizeof *ids, str_ptr_cmp);
	for (i = 1; i < k; i++)
		if (strcmp(ids[i], ids[i - 1]) == 0 &&
		    (i == 1 || strcmp(ids[i], ids[i - 2]) != 0))
			finding(c->errors, "duplicate-id", ids[i],
			    "%s id \"%s\" is used more than once", what,
			    ids[i]);
	free(ids);
}

static void
rule_duplicates(struct cctx *c)
{
	const struct plan *p = c->p;

	dup_ids(c, p->events, p->nevents, sizeof *p->events, "crisis event");
	dup_ids(c, p->tasks, p->ntasks, sizeof *p->tasks, "task");
	dup_ids(c, p->systems, p->nsystems, sizeof *p->systems, "system");
	dup_ids(c, p->cms, p->ncms, sizeof *p->cms, "countermeasure");
}

static void
rule_references(struct cctx *c)
{
	const struct plan		*p = c->p;
	const struct plan_system	*s;
	size_t				 i, k;

	for (i = 0; i < p->nsystems; i++) {
		s = &p->systems[i];
		for (k = 0; s->supports != NULL && s->supports[k] != NULL; k++)
			if (plan_find_task(p, s->supports[k]) == -1)
				finding(c->errors, "unknown-reference", s->id,
				    "system \"%s\" supports unknown task "
				    "\"%s\"", s->id, s->supports[k]);
		for (k = 0; s->depends_on != NULL &&
		    s->depends_on[k] != NULL; k++)
			if (plan_find_system(p, s->depends_on[k]) == -1)
				finding(c->errors, "unknown-reference", s->id,
				    "system \"%s\" depends on unknown system "
				    "\"%s\"", s->id, s->depends_on[k]);
	}
	for (i = 0; i < p->ncms; i++)
		if (plan_find_system(p, p->cms[i].system) == -1)
			finding(c->errors, "unknown-reference", p->cms[i].id,
			    "countermeasure \"%s\" is for unknown system "
			    "\"%s\"", p->cms[i].id, p->cms[i].system);
}

/* 2.5.2(1)-3: a system serves its most urgent task; an explicit RTO may
 * tighten that, never relax it. */
static void
rule_explicit_rto(struct cctx *c)
{
	const struct plan_system	*s;
	char				*a, *b;
	size_t				 i;
	int				 t;

	for (i = 0; i < c->p->nsystems; i++) {
		s = &c->p->systems[i];
		if (s->rto == PLAN_NONE || c->ev->sys[i].derived_rto ==
		    PLAN_NONE || s->rto <= c->ev->sys[i].derived_rto)
			continue;
		derived_rto(c->p, s, &t);
		a = duration_fmt_years(s->rto);
		b = duration_fmt_years(c->ev->sys[i].derived_rto);
		finding(c->errors, "rto-longer-than-derived", s->id,
		    "system \"%s\" has rto %s, longer than the %s of task "
		    "\"%s\" it supports (an explicit rto may only be shorter)",
		    s->id, a, b, c->p->tasks[t].id);
		free(a);
		free(b);
	}
}

/* 2.5.2(1)-4: what a system depends on must be back strictly first. */
static void
rule_dependency_rto(struct cctx *c)
{
	const struct plan_system	*s;
	int64_t				 mine, theirs;
	char				*a, *b;
	size_t				 i, k;
	int				 j;

	for (i = 0; i < c->p->nsystems; i++) {
		s = &c->p->systems[i];
		if ((mine = c->ev->sys[i].rto) == PLAN_NONE)
			continue;
		for (k = 0; s->depends_on != NULL &&
		    s->depends_on[k] != NULL; k++) {
			j = plan_find_system(c->p, s->depends_on[k]);
			if (j == -1 || (size_t)j == i)
				continue;
			theirs = c->ev->sys[j].rto;
			a = duration_fmt_years(mine);
			if (theirs == PLAN_NONE)
				finding(c->errors, "dependency-rto",
				    c->p->systems[j].id, "system \"%s\" (RTO "
				    "%s) depends on \"%s\", which has no RTO: "
				    "give it an rto shorter than %s", s->id, a,
				    c->p->systems[j].id, a);
			else if (theirs >= mine) {
				b = duration_fmt_years(theirs);
				finding(c->errors, "dependency-rto",
				    c->p->systems[j].id, "system \"%s\" (RTO "
				    "%s) depends on \"%s\" (RTO %s): a "
				    "dependency's RTO must be strictly shorter",
				    s->id, a, c->p->systems[j].id, b);
				free(b);
			}
			free(a);
		}
	}
}

static void
report_cycle(struct cctx *c, const size_t *path, size_t n)
{
	struct buf	b = { 0 };
	size_t		i, first = 0;

	/* Start at the smallest id so a cycle always reads the same. */
	for (i = 1; i < n; i++)
		if (strcmp(c->p->systems[path[i]].id,
		    c->p->systems[path[first]].id) < 0)
			first = i;
	for (i = 0; i <= n; i++)
		buf_printf(&b, "%s%s", i ? " -> " : "",
		    c->p->systems[path[(first + i) % n]].id);
	finding(c->errors, "dependency-cycle", c->p->systems[path[first]].id,
	    "dependency cycle: %s", b.s);
	buf_free(&b);
}

/* Depth-first search with an explicit stack (a long chain of systems
 * must not exhaust the C stack); a grey target closes a cycle. */
static void
rule_cycles(struct cctx *c)
{
	const struct plan	*p = c->p;
	size_t			 n = p->nsystems, *node, *edge, *path;
	size_t			 sp, root, k;
	char			*color, **deps;
	int			 j;

	node = xcalloc(n, sizeof *node);
	edge = xcalloc(n, sizeof *edge);
	path = xcalloc(n, sizeof *path);
	color = xcalloc(n, 1);
	for (root = 0; root < n; root++) {
		if (color[root] != 0)
			continue;
		sp = 0;
		node[sp] = root;
		edge[sp++] = 0;
		color[root] = 1;
		while (sp > 0) {
			deps = p->systems[node[sp - 1]].depends_on;
			if (deps == NULL || deps[edge[sp - 1]] == NULL) {
				color[node[--sp]] = 2;
				continue;
			}
			j = plan_find_system(p, deps[edge[sp - 1]++]);
			if (j == -1)
				continue;
			if (color[j] == 0) {
				color[j] = 1;
				node[sp] = (size_t)j;
				edge[sp++] = 0;
			} else if (color[j] == 1) {
				for (k = sp; node[k - 1] != (size_t)j; k--)
					;
				memcpy(path, node + k - 1,
				    (sp - k + 1) * sizeof *path);
				report_cycle(c, path, sp - k + 1);
			}
		}
	}
	free(node);
	free(edge);
	free(path);
	free(color);
}

static void
rule_no_task(struct cctx *c)
{
	size_t i;

	for (i = 0; i < c->p->nsystems; i++)
		if (!c->ev->sys[i].reaches_task)
			finding(c->warnings, "no-task", c->p->systems[i].id,
			    "system \"%s\" supports no task, directly or "
			    "through the systems that depend on it",
			    c->p->systems[i].id);
}

/* 2.5.2(2)-1: keep the top group small or nothing is really first. */
static void
rule_s_share(struct cctx *c)
{
	size_t	i, n = 0, s = 0;
	double	share;

	for (i = 0; i < c->p->nsystems; i++) {
		if (c->ev->sys[i].prio < 0)
			continue;
		n++;
		if (c->ev->sys[i].prio == PRIO_S)
			s++;
	}
	if (n == 0)
		return;
	share = (double)s / (double)n;
	if (share > c->p->max_s_share)
		finding(c->warnings, "s-share", "plan", "%zu of %zu systems "
		    "(%.0f%%) are in group S, more than max_s_share (%.0f%%): "
		    "choose the top group sparingly", s, n, share * 100,
		    c->p->max_s_share * 100);
}

static void
gap_warning(struct cctx *c, const struct plan_gap *g, const char *what)
{
	const struct plan_cm	*cm;
	size_t			 i;
	int			 open = 0, closed = 0;

	for (i = 0; i < c->p->ncms; i++) {
		cm = &c->p->cms[i];
		if (cm->system == NULL || strcmp(cm->system, g->system) != 0 ||
		    cm->component != g->comp)
			continue;
		if (cm->status == CM_PLANNED || cm->status == CM_IN_PROGRESS)
			open = cm->target > open ? cm->target : open;
		else
			closed = 1;
	}
	if (open > 0)
		finding(c->warnings, "gap-without-countermeasure", g->system,
		    "%s: the open countermeasures aim at level %d, below the "
		    "target %d", what, open, g->target);
	else if (closed)
		finding(c->warnings, "gap-without-countermeasure", g->system,
		    "%s: its countermeasures are done or cancelled but the "
		    "level is still %d of %d: update the current level or "
		    "plan another", what, g->current, g->target);
	else
		finding(c->warnings, "gap-without-countermeasure", g->system,
		    "%s: level %d of %d and no countermeasure planned", what,
		    g->current, g->target);
}

/* 2.7.1-2.7.2: every shortfall, highest priority first. */
static void
rule_gaps(struct cctx *c)
{
	const struct plan_gap	*g;
	char			*what;
	size_t			 i;

	for (i = 0; i < c->ev->ngaps; i++) {
		g = &c->ev->gaps[i];
		what = xprintf("%s/%s (group %s)", g->system,
		    plan_comp_names[g->comp], plan_prio_names[g->prio]);
		finding(c->notes, "gap", g->system, "%s: current level %d, "
		    "target %d", what, g->current, g->target);
		if (!g->covered)
			gap_warning(c, g, what);
		free(what);
	}
}

static int
overdue(int64_t date, int64_t every_s, int64_t now)
{
	/* Dates are whole days: the due day itself is still in time. */
	return now >= date + every_s * 1000 + DAY_MS;
}

static void
rule_countermeasures_due(struct cctx *c)
{
	const struct plan_cm	*cm;
	char			 date[16];
	size_t			 i;

	for (i = 0; i < c->p->ncms; i++) {
		cm = &c->p->cms[i];
		if ((cm->status != CM_PLANNED &&
		    cm->status != CM_IN_PROGRESS) || cm->due == PLAN_NONE ||
		    !overdue(cm->due, 0, c->now))
			continue;
		finding(c->warnings, "countermeasure-overdue", cm->id,
		    "countermeasure \"%s\" was due %s and is still %s", cm->id,
		    plan_date_fmt(cm->due, date, sizeof date),
		    plan_status_names[cm->status]);
	}
}

/* 2.9.2: the plan is reviewed every review_every. */
static void
rule_review(struct cctx *c)
{
	const struct plan_header	*h = &c->p->hdr;
	char				 d1[16], d2[16], *every;

	if (h->last_review == PLAN_NONE) {
		finding(c->warnings, "review-overdue", "plan", "no review "
		    "recorded: set plan.last_review");
		return;
	}
	if (!overdue(h->last_review, h->review_every, c->now))
		return;
	every = duration_fmt_years(h->review_every);
	finding(c->warnings, "review-overdue", "plan", "last reviewed %s, "
	    "the next review was due %s (every %s)",
	    plan_date_fmt(h->last_review, d1, sizeof d1),
	    plan_date_fmt(h->last_review + h->review_every * 1000, d2,
	    sizeof d2), every);
	free(every);
}

/* 2.9.1: each required kind of drill is held within its cycle. */
static void
rule_drills(struct cctx *c)
{
	const struct plan_drill	*d;
	char			 d1[16], d2[16], *every;
	size_t			 i;

	for (i = 0; i < c->p->ndrills; i++) {
		d = &c->p->drills[i];
		every = duration_fmt_years(d->every);
		if (d->last == PLAN_NONE)
			finding(c->warnings, "drill-overdue",
			    plan_dtype_names[d->type], "%s drill (every %s) "
			    "has never been held", plan_dtype_names[d->type],
			    every);
		else if (overdue(d->last, d->every, c->now))
			finding(c->warnings, "drill-overdue",
			    plan_dtype_names[d->type], "%s drill (every %s) "
			    "last held %s, due %s", plan_dtype_names[d->type],
			    every, plan_date_fmt(d->last, d1, sizeof d1),
			    plan_date_fmt(d->last + d->every * 1000, d2,
			    sizeof d2));
		free(every);
	}
}

static void (*const plan_rules[])(struct cctx *) = {
	rule_duplicates,
	rule_references,
	rule_explicit_rto,
	rule_dependency_rto,
	rule_cycles,
	rule_no_task,
	rule_s_share,
	rule_gaps,
	rule_countermeasures_due,
	rule_review,
	rule_drills,
};

json_t *
plan_check(const struct plan *p, int64_t now_ms)
{
	struct plan_eval	*ev = plan_eval(p);
	struct cctx		 c = { p, ev, now_ms, json_array(),
				    json_array(), json_array() };
	size_t			 i;

	for (i = 0; i < sizeof plan_rules / sizeof plan_rules[0]; i++)
		plan_rules[i](&c);
	plan_eval_free(ev);
	return json_pack("{s:o, s:o, s:o}", "errors", c.errors, "warnings",
	    c.warnings, "notes", c.notes);
}

void
plan_check_counts(const json_t *r, size_t *errors, size_t *warnings)
{
	if (errors != NULL)
		*errors = json_array_size(json_object_get(r, "errors"));
	if (warnings != NULL)
		*warnings = json_array_size(json_object_get(r, "warnings"));
}

/* The `id:` node of the record named id in the plan text, or NULL. */
static const struct ynode *
subject_node(const struct ydoc *doc, const char *id)
{
	static const char *const sections[] = { "systems", "tasks",
	    "crisis_events", "countermeasures", NULL };
	const struct ynode	*sec, *n;
	size_t			 i, k;

	for (i = 0; id != NULL && sections[i] != NULL; i++) {
		if ((sec = ymap_get(doc->root, sections[i])) == NULL ||
		    sec->type != Y_SEQ)
			continue;
		for (k = 0; k < sec->n; k++) {
			n = ymap_get(sec->items[k], "id");
			if (yscalar(n) != NULL && strcmp(yscalar(n), id) == 0)
				return n;
		}
	}
	return NULL;
}

struct plan *
plan_parse_checked(const char *file, const char *text, size_t len,
    int64_t now_ms, struct diags *d, json_t **check)
{
	struct diags	 ld = { 0 };
	struct ydoc	*doc;
	struct plan	*p = NULL;
	json_t		*r = NULL, *e;
	size_t		 i;

	if ((doc = ydoc_parse(file, text, len, &ld)) != NULL &&
	    ld.nerrors == 0)
		p = plan_load(doc, &ld);
	if (p == NULL && ld.nerrors == 0)
		diag_error(&ld, file, 1, 1, "not a plan");
	if (p != NULL) {
		r = plan_check(p, now_ms);
		json_array_foreach(json_object_get(r, "errors"), i, e) {
			const char *subj = json_string_value(json_object_get(e,
			    "subject"));
			const struct ynode *at = subject_node(doc, subj);

			diag_node(&ld, file, at != NULL ? at : doc->root,
			    "plan check: %s (%s)", json_string_value(
			    json_object_get(e, "message")), json_string_value(
			    json_object_get(e, "code")));
		}
		if (json_array_size(json_object_get(r, "errors")) > 0) {
			plan_free(p);
			p = NULL;
		}
	} else {
		r = json_pack("{s:[],s:[],s:[]}", "errors", "warnings",
		    "notes");
		for (i = 0; i < ld.n; i++)
			json_array_append_new(json_object_get(r, "errors"),
			    json_pack("{s:s,s:s,s:s}", "code", "load",
			    "subject", file, "message", ld.msgs[i]));
	}
	ydoc_free(doc);
	diag_merge(d, &ld);
	if (check != NULL)
		*check = r;
	else
		json_decref(r);
	return p;
}
