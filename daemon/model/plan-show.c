/* The plan as data (`plan show WHAT`): one JSON array per part, with
 * what plan_eval derives (effective RTO, priority group, levels, gaps)
 * next to what the file says. Fields as docs/plan-format.md lists them. */
#include <stdlib.h>
#include <string.h>

#include "common/jsonutil.h"
#include "model/plan.h"
#include "common/xmalloc.h"
#include "common/ytree.h"

static json_t *
jsecs(int64_t v)
{
	return v == PLAN_NONE ? json_null() : json_integer(v);
}

static json_t *
jdate(int64_t ms)
{
	char buf[16];

	return ms == PLAN_NONE ? json_null() :
	    json_string(plan_date_fmt(ms, buf, sizeof buf));
}

static json_t *
jprio(int prio)
{
	return prio < 0 ? json_null() : json_string(plan_prio_names[prio]);
}

static json_t *
jlevel(int level)
{
	return level == 0 ? json_null() : json_integer(level);
}

static json_t *
jids(char *const *v)
{
	json_t	*a = json_array();
	size_t	 i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		json_array_append_new(a, jstr_or_null(v[i]));
	return a;
}

static json_t *
show_tasks(const struct plan *p, const struct plan_eval *ev)
{
	const struct plan_task	*t;
	json_t			*a = json_array(), *sys;
	size_t			 i, k;

	for (i = 0; i < p->ntasks; i++) {
		t = &p->tasks[i];
		sys = json_array();
		for (k = 0; k < p->nsystems; k++)
			if (strv_has(p->systems[k].supports, t->id))
				json_array_append_new(sys,
				    jstr_or_null(p->systems[k].id));
		json_array_append_new(a, json_pack("{s:o, s:o, s:o, s:o, s:o,"
		    " s:o, s:o}", "id", jstr_or_null(t->id), "title", jstr_or_null(t->title),
		    "rto_s", jsecs(t->rto), "priority",
		    jprio(plan_priority(p, t->rto)), "alternative",
		    jstr_or_null(t->alternative), "note", jstr_or_null(t->note), "systems",
		    sys));
	}
	return a;
}

static json_t *
show_system(const struct plan *p, const struct plan_eval *ev, size_t i)
{
	const struct plan_system	*s = &p->systems[i];
	const struct plan_sysinfo	*si = &ev->sys[i];
	json_t				*comps = json_object(), *gaps;
	int				 c;

	gaps = json_array();
	for (c = 0; c < PLAN_NCOMP; c++) {
		if (s->components[c] == 0)
			continue;
		json_object_set_new(comps, plan_comp_names[c],
		    json_pack("{s:i, s:o}", "current", s->components[c],
		    "target", jlevel(si->targets[c])));
		if (si->targets[c] > s->components[c])
			json_array_append_new(gaps,
			    json_string(plan_comp_names[c]));
	}
	return json_pack("{s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o,"
	    " s:o, s:o, s:o, s:o, s:o}", "id", jstr_or_null(s->id), "title",
	    jstr_or_null(s->title), "kind", plan_kind_names[s->kind], "rto_s",
	    jsecs(si->rto), "rto_derived_s", jsecs(si->derived_rto),
	    "rto_explicit_s", jsecs(s->rto), "priority", jprio(si->prio),
	    "rlo", jstr_or_null(s->rlo), "current_level", jlevel(si->current),
	    "target_level", jlevel(si->target), "depends_on",
	    jids(s->depends_on), "supports", jids(s->supports), "components",
	    comps, "gaps", gaps, "note", jstr_or_null(s->note));
}

static json_t *
show_systems(const struct plan *p, const struct plan_eval *ev)
{
	json_t	*a = json_array();
	size_t	 i;

	for (i = 0; i < p->nsystems; i++)
		json_array_append_new(a, show_system(p, ev, i));
	return a;
}

static json_t *
cms_for(const struct plan *p, const char *system, int comp)
{
	json_t	*a = json_array();
	size_t	 i;

	for (i = 0; i < p->ncms; i++)
		if (strcmp(p->cms[i].system, system) == 0 &&
		    p->cms[i].component == comp)
			json_array_append_new(a, jstr_or_null(p->cms[i].id));
	return a;
}

static json_t *
show_gaps(const struct plan *p, const struct plan_eval *ev)
{
	const struct plan_gap	*g;
	json_t			*a = json_array();
	size_t			 i;

	for (i = 0; i < ev->ngaps; i++) {
		g = &ev->gaps[i];
		json_array_append_new(a, json_pack("{s:o, s:o, s:o, s:s, s:i,"
		    " s:i, s:b, s:o}", "system", jstr_or_null(g->system), "title",
		    jstr_or_null(p->systems[g->sys].title), "priority", jprio(g->prio),
		    "component", plan_comp_names[g->comp], "current",
		    g->current, "target", g->target, "covered", g->covered,
		    "countermeasures", cms_for(p, g->system, g->comp)));
	}
	return a;
}

static json_t *
show_cms(const struct plan *p, const struct plan_eval *ev)
{
	const struct plan_cm	*cm;
	json_t			*a = json_array();
	size_t			 i;
	int			 s, prio, cur;

	for (i = 0; i < p->ncms; i++) {
		cm = &p->cms[i];
		s = plan_find_system(p, cm->system);
		prio = s == -1 ? -1 : ev->sys[s].prio;
		cur = s == -1 ? 0 : p->systems[s].components[cm->component];
		json_array_append_new(a, json_pack("{s:o, s:o, s:o, s:s, s:o,"
		    " s:o, s:i, s:o, s:s, s:o, s:o}", "id", jstr_or_null(cm->id),
		    "title", jstr_or_null(cm->title), "system", jstr_or_null(cm->system),
		    "component", plan_comp_names[cm->component], "priority",
		    jprio(prio), "current", jlevel(cur), "target", cm->target,
		    "due", jdate(cm->due), "status",
		    plan_status_names[cm->status], "cost", jsecs(cm->cost),
		    "note", jstr_or_null(cm->note)));
	}
	return a;
}

static json_t *
show_events(const struct plan *p, const struct plan_eval *ev)
{
	const struct plan_event	*e;
	json_t			*a = json_array(), *as;
	size_t			 i;
	int			 r;

	for (i = 0; i < p->nevents; i++) {
		e = &p->events[i];
		as = json_object();
		for (r = 0; r < PLAN_NRES; r++)
			if (e->assumptions[r] != NULL)
				json_object_set_new(as, plan_res_names[r],
				    jstr_or_null(e->assumptions[r]));
		json_array_append_new(a, json_pack("{s:o, s:s, s:o, s:o, s:o}",
		    "id", jstr_or_null(e->id), "type", plan_etype_names[e->type],
		    "title", jstr_or_null(e->title), "assumptions", as, "note",
		    jstr_or_null(e->note)));
	}
	return a;
}

static json_t *
show_drills(const struct plan *p, const struct plan_eval *ev)
{
	const struct plan_drill	*d;
	json_t			*a = json_array();
	size_t			 i;

	for (i = 0; i < p->ndrills; i++) {
		d = &p->drills[i];
		json_array_append_new(a, json_pack("{s:s, s:I, s:o, s:o, s:o}",
		    "type", plan_dtype_names[d->type], "every_s",
		    (json_int_t)d->every, "last", jdate(d->last), "next_due",
		    jdate(d->last == PLAN_NONE ? PLAN_NONE :
		    d->last + d->every * 1000), "note", jstr_or_null(d->note)));
	}
	return a;
}

static const struct {
	const char	*what;
	json_t		*(*fn)(const struct plan *, const struct plan_eval *);
} show_table[] = {
	{ "tasks", show_tasks },
	{ "systems", show_systems },
	{ "gaps", show_gaps },
	{ "countermeasures", show_cms },
	{ "events", show_events },
	{ "drills", show_drills },
};

json_t *
plan_show(const struct plan *p, const char *what, const char **why)
{
	struct plan_eval	*ev;
	json_t			*j;
	size_t			 i;

	for (i = 0; i < sizeof show_table / sizeof show_table[0]; i++) {
		if (what == NULL || strcmp(what, show_table[i].what) != 0)
			continue;
		ev = plan_eval(p);
		j = show_table[i].fn(p, ev);
		plan_eval_free(ev);
		return j;
	}
	if (why != NULL)
		*why = "use tasks, systems, gaps, countermeasures, events "
		    "or drills";
	return NULL;
}
