/* The planning module: loading, every rule of plan check with its exact
 * boundaries, show, report and the import -> export -> import round trip. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/diag.h"
#include "model/plan.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "common/ytree.h"

#define HEAD	"plan: {organization: Test, last_review: 2026-04-01}\n"

static int64_t
at(const char *when)
{
	int64_t ms;

	assert_int_equal(rfc3339_parse(when, &ms), 0);
	return ms;
}

/* A moment when the review of HEAD is not due. */
#define NOW	at("2026-06-01T00:00:00Z")

static struct plan *
load(const char *yaml)
{
	struct diags	 d = { 0 };
	struct plan	*p;
	size_t		 i;

	p = plan_parse("plan.yaml", yaml, strlen(yaml), &d);
	for (i = 0; p == NULL && i < d.n; i++)
		print_message("%s\n", d.msgs[i]);
	diag_free(&d);
	assert_non_null(p);
	return p;
}

static size_t
count(const json_t *r, const char *level, const char *code,
    const char *subject)
{
	const json_t	*f;
	size_t		 i, n = 0;

	json_array_foreach(json_object_get(r, level), i, f) {
		if (strcmp(json_string_value(json_object_get(f, "code")),
		    code) != 0)
			continue;
		if (subject == NULL || strcmp(json_string_value(
		    json_object_get(f, "subject")), subject) == 0)
			n++;
	}
	return n;
}

static const char *
message(const json_t *r, const char *level, const char *code)
{
	const json_t	*f;
	size_t		 i;

	json_array_foreach(json_object_get(r, level), i, f)
		if (strcmp(json_string_value(json_object_get(f, "code")),
		    code) == 0)
			return json_string_value(json_object_get(f,
			    "message"));
	return NULL;
}

static void
test_durations_and_dates(void **state)
{
	static const struct {
		const char	*in;
		int64_t		 secs;	/* -1: refused */
		const char	*out;
	} cases[] = {
		{ "3h", 3 * 3600, "3h" },
		{ "3h1s", 3 * 3600 + 1, "3h1s" },
		{ "2w", 14 * 86400, "2w" },
		{ "1w3d", 10 * 86400, "10d" },
		{ "1y", 365 * 86400, "1y" },
		{ "2y", 2 * 365 * 86400LL, "2y" },
		{ "1y2d", 367 * 86400, "1y2d" },
		{ "26w", 26 * 7 * 86400, "26w" },
		{ "0", 0, "0s" },
		{ "1y0", -1, NULL },
		{ "y", -1, NULL },
		{ "1x", -1, NULL },
		{ "1001y", -1, NULL },
		{ "", -1, NULL },
	};
	static const struct {
		const char	*in;
		int		 ok;
	} dates[] = {
		{ "2026-04-01", 1 }, { "2024-02-29", 1 }, { "2026-02-29", 0 },
		{ "2026-04-31", 0 }, { "2026-4-01", 0 }, { "20260401", 0 },
		{ "2026-04-01T00:00:00Z", 0 }, { "", 0 },
	};
	const char	*why;
	char		*s, buf[16];
	int64_t		 v;
	size_t		 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (cases[i].secs == -1) {
			assert_int_equal(plan_duration_parse(cases[i].in, &v,
			    &why), -1);
			assert_non_null(why);
			continue;
		}
		assert_int_equal(plan_duration_parse(cases[i].in, &v, &why),
		    0);
		assert_int_equal(v, cases[i].secs);
		s = duration_fmt_years(v);
		assert_string_equal(s, cases[i].out);
		free(s);
	}
	for (i = 0; i < sizeof dates / sizeof dates[0]; i++) {
		assert_int_equal(plan_date_parse(dates[i].in, &v) == 0,
		    dates[i].ok);
		if (dates[i].ok)
			assert_string_equal(plan_date_fmt(v, buf, sizeof buf),
			    dates[i].in);
	}
}

/* Table 2.5-1 with inclusive upper bounds, default and configured. */
static void
test_priority_boundaries(void **state)
{
	static const struct {
		const char	*priority;	/* the priority: line or "" */
		const char	*rto;
		const char	*group;
	} cases[] = {
		{ "", "0", "S" },
		{ "", "3h", "S" },
		{ "", "3h1s", "A" },
		{ "", "1d", "A" },
		{ "", "1d1s", "B" },
		{ "", "3d", "B" },
		{ "", "3d1s", "C" },
		{ "", "1w", "C" },
		{ "", "1w1s", "D" },
		{ "", "2w", "D" },
		{ "", "2w1s", "E" },
		{ "", "1y", "E" },
		{ "priority: {S: 1h}\n", "1h", "S" },
		{ "priority: {S: 1h}\n", "1h1s", "A" },
		{ "priority: {S: 1h, A: 12h, B: 2d, C: 5d, D: 10d}\n", "10d",
		  "D" },
		{ "priority: {S: 1h, A: 12h, B: 2d, C: 5d, D: 10d}\n", "10d1s",
		  "E" },
	};
	static const char groups[] = "SABCDE";
	struct plan	*p;
	json_t		*sys;
	char		*y;
	size_t		 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		y = xprintf(HEAD "%stasks: [{id: t, title: T, rto: %s}]\n"
		    "systems: [{id: s, title: S, kind: business, supports: "
		    "[t]}]\n", cases[i].priority, cases[i].rto);
		p = load(y);
		sys = plan_show(p, "systems", NULL);
		assert_string_equal(json_string_value(json_object_get(
		    json_array_get(sys, 0), "priority")), cases[i].group);
		assert_int_equal(plan_priority(p, p->tasks[0].rto),
		    strchr(groups, cases[i].group[0]) - groups);
		json_decref(sys);
		plan_free(p);
		free(y);
	}
}

/* 2.5.2(1)-3: the shortest task RTO; an explicit rto only tightens. */
static void
test_derived_rto(void **state)
{
	static const struct {
		const char	*system;
		int64_t		 rto;
		int		 error;
	} cases[] = {
		{ "supports: [slow, fast]", 3 * 3600, 0 },
		{ "supports: [slow]", 86400, 0 },
		{ "supports: [slow, fast], rto: 2h", 2 * 3600, 0 },
		{ "supports: [slow, fast], rto: 3h", 3 * 3600, 0 },
		{ "supports: [slow, fast], rto: 3h1s", 3 * 3600, 1 },
		{ "supports: [slow], rto: 2d", 86400, 1 },
		{ "rto: 5h", 5 * 3600, 0 },
		{ "supports: []", -1, 0 },
	};
	struct plan	*p;
	json_t		*r;
	char		*y;
	size_t		 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		y = xprintf(HEAD "tasks:\n"
		    "  - {id: fast, title: F, rto: 3h}\n"
		    "  - {id: slow, title: S, rto: 1d}\n"
		    "systems: [{id: s, title: S, kind: business, %s}]\n",
		    cases[i].system);
		p = load(y);
		assert_int_equal(plan_system_rto(p, "s"), cases[i].rto);
		r = plan_check(p, NOW);
		assert_int_equal(count(r, "errors", "rto-longer-than-derived",
		    "s"), cases[i].error);
		assert_int_equal(json_array_size(json_object_get(r, "errors")),
		    cases[i].error);
		json_decref(r);
		plan_free(p);
		free(y);
	}
	assert_int_equal(plan_system_rto(NULL, "s"), -1);
}

/* 2.5.2(1)-4: a dependency recovers strictly before its dependents. */
static void
test_dependency_rto(void **state)
{
	static const struct {
		const char	*infra;
		int		 errors;
		const char	*msg;
	} cases[] = {
		{ "rto: 2h", 0, NULL },
		{ "rto: 2h59m59s", 0, NULL },
		{ "rto: 3h", 1, "system \"app\" (RTO 3h) depends on \"db\" "
		  "(RTO 3h): a dependency's RTO must be strictly shorter" },
		{ "rto: 4h", 1, "system \"app\" (RTO 3h) depends on \"db\" "
		  "(RTO 4h)" },
		{ "note: none", 1, "depends on \"db\", which has no RTO" },
	};
	struct plan	*p;
	json_t		*r;
	char		*y;
	size_t		 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		y = xprintf(HEAD "tasks: [{id: t, title: T, rto: 3h}]\n"
		    "systems:\n"
		    "  - {id: app, title: A, kind: business, supports: [t],"
		    " depends_on: [db]}\n"
		    "  - {id: db, title: D, kind: infrastructure, %s}\n",
		    cases[i].infra);
		p = load(y);
		r = plan_check(p, NOW);
		assert_int_equal(count(r, "errors", "dependency-rto", "db"),
		    cases[i].errors);
		assert_int_equal(json_array_size(json_object_get(r, "errors")),
		    cases[i].errors);
		if (cases[i].msg != NULL)
			assert_non_null(strstr(message(r, "errors",
			    "dependency-rto"), cases[i].msg));
		/* The infrastructure serves a task through app. */
		assert_int_equal(count(r, "warnings", "no-task", NULL), 0);
		json_decref(r);
		plan_free(p);
		free(y);
	}
}

static void
test_dependency_cycles(void **state)
{
	static const struct {
		const char	*systems;
		size_t		 cycles;
		const char	*msg;
		const char	*subject;
	} cases[] = {
		{ "  - {id: a, title: A, kind: business, depends_on: [b]}\n"
		  "  - {id: b, title: B, kind: business, depends_on: [c]}\n"
		  "  - {id: c, title: C, kind: business, depends_on: [a]}\n",
		  1, "dependency cycle: a -> b -> c -> a", "a" },
		{ "  - {id: c, title: C, kind: business, depends_on: [a]}\n"
		  "  - {id: b, title: B, kind: business, depends_on: [c]}\n"
		  "  - {id: a, title: A, kind: business, depends_on: [b]}\n",
		  1, "dependency cycle: a -> b -> c -> a", "a" },
		{ "  - {id: a, title: A, kind: business, depends_on: [a]}\n",
		  1, "dependency cycle: a -> a", "a" },
		{ "  - {id: a, title: A, kind: business, depends_on: [b, c]}\n"
		  "  - {id: b, title: B, kind: business, depends_on: [d]}\n"
		  "  - {id: c, title: C, kind: business, depends_on: [d]}\n"
		  "  - {id: d, title: D, kind: business}\n", 0, NULL, NULL },
		{ "  - {id: a, title: A, kind: business, depends_on: [b]}\n"
		  "  - {id: b, title: B, kind: business, depends_on: [a, c]}\n"
		  "  - {id: c, title: C, kind: business, depends_on: [d]}\n"
		  "  - {id: d, title: D, kind: business, depends_on: [c]}\n",
		  2, "dependency cycle: a -> b -> a", "a" },
	};
	struct plan	*p;
	json_t		*r;
	char		*y;
	size_t		 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		y = xprintf(HEAD "systems:\n%s", cases[i].systems);
		p = load(y);
		r = plan_check(p, NOW);
		assert_int_equal(count(r, "errors", "dependency-cycle", NULL),
		    cases[i].cycles);
		if (cases[i].msg != NULL) {
			assert_string_equal(message(r, "errors",
			    "dependency-cycle"), cases[i].msg);
			assert_int_equal(count(r, "errors", "dependency-cycle",
			    cases[i].subject), 1);
		}
		json_decref(r);
		plan_free(p);
		free(y);
	}
}

/* Unknown references load (so the plan can be shown) but fail check. */
static void
test_unknown_references(void **state)
{
	static const struct {
		const char	*yaml;
		const char	*subject;
		const char	*msg;
	} cases[] = {
		{ "systems: [{id: s, title: S, kind: business, supports: "
		  "[nosuch]}]\n", "s",
		  "system \"s\" supports unknown task \"nosuch\"" },
		{ "tasks: [{id: t, title: T, rto: 1d}]\n"
		  "systems: [{id: s, title: S, kind: business, supports: [t], "
		  "depends_on: [dnss]}]\n", "s",
		  "system \"s\" depends on unknown system \"dnss\"" },
		{ "countermeasures: [{id: cm, system: ghost, component: "
		  "hardware, target: 3}]\n", "cm",
		  "countermeasure \"cm\" is for unknown system \"ghost\"" },
	};
	struct plan	*p;
	json_t		*r, *shown;
	char		*y;
	size_t		 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		y = xprintf(HEAD "%s", cases[i].yaml);
		p = load(y);
		r = plan_check(p, NOW);
		assert_int_equal(count(r, "errors", "unknown-reference",
		    cases[i].subject), 1);
		assert_string_equal(message(r, "errors", "unknown-reference"),
		    cases[i].msg);
		shown = plan_show(p, "countermeasures", NULL);
		assert_non_null(shown);
		json_decref(shown);
		json_decref(r);
		plan_free(p);
		free(y);
	}
}

static void
test_no_task(void **state)
{
	static const struct {
		const char	*systems;
		const char	*warned;	/* comma-free list of ids */
	} cases[] = {
		{ "  - {id: lone, title: L, kind: business}\n", "lone" },
		{ "  - {id: app, title: A, kind: business, supports: [t], "
		  "depends_on: [infra]}\n"
		  "  - {id: infra, title: I, kind: infrastructure, rto: 1h, "
		  "depends_on: [base]}\n"
		  "  - {id: base, title: B, kind: infrastructure, rto: 30m}\n",
		  "" },
		{ "  - {id: idle, title: I, kind: business, depends_on: "
		  "[infra]}\n"
		  "  - {id: infra, title: I, kind: infrastructure, rto: 1h}\n",
		  "idle infra" },
	};
	struct plan	*p;
	json_t		*r;
	char		*y;
	size_t		 i, k;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		y = xprintf(HEAD "tasks: [{id: t, title: T, rto: 3h}]\n"
		    "systems:\n%s", cases[i].systems);
		p = load(y);
		r = plan_check(p, NOW);
		for (k = 0; k < p->nsystems; k++)
			assert_int_equal(count(r, "warnings", "no-task",
			    p->systems[k].id), strstr(cases[i].warned,
			    p->systems[k].id) != NULL);
		json_decref(r);
		plan_free(p);
		free(y);
	}
}

/* 2.7.1(1)-1: the weakest component is the system's level; 2.6.2: the
 * target comes from the component's ladder, else the default one. */
static void
test_levels_and_gaps(void **state)
{
	static const char *yaml = HEAD
	    "max_s_share: 0.5\n"
	    "levels:\n"
	    "  hardware: {S: 4, A: 4}\n"
	    "tasks:\n"
	    "  - {id: urgent, title: U, rto: 1h}\n"
	    "  - {id: daily, title: D, rto: 1d}\n"
	    "systems:\n"
	    "  - {id: zeta, title: Z, kind: business, supports: [urgent],"
	    " components: {staff: 4, hardware: 3, software: 2}}\n"
	    "  - {id: beta, title: B, kind: business, supports: [daily],"
	    " components: {staff: 3, hardware: 3, business_data: 4}}\n"
	    "  - {id: alpha, title: A, kind: business, supports: [daily],"
	    " components: {contractors: 2, staff: 1}}\n"
	    "  - {id: none, title: N, kind: business, supports: [daily]}\n";
	static const struct {
		const char	*system;
		int		 current;
		int		 target;
	} levels[] = {
		{ "zeta", 2, 4 }, { "beta", 3, 3 }, { "alpha", 1, 3 },
		{ "none", 0, 3 },
	};
	static const struct {
		const char	*system;
		const char	*component;
		int		 current;
		int		 target;
	} gaps[] = {
		{ "zeta", "hardware", 3, 4 },
		{ "zeta", "software", 2, 4 },
		{ "alpha", "staff", 1, 3 },
		{ "alpha", "contractors", 2, 3 },
		{ "beta", "hardware", 3, 4 },
	};
	struct plan	*p = load(yaml);
	json_t		*sys, *g, *r, *s;
	size_t		 i;

	sys = plan_show(p, "systems", NULL);
	for (i = 0; i < sizeof levels / sizeof levels[0]; i++) {
		s = json_array_get(sys, i);
		assert_string_equal(json_string_value(json_object_get(s, "id")),
		    levels[i].system);
		if (levels[i].current == 0)
			assert_true(json_is_null(json_object_get(s,
			    "current_level")));
		else
			assert_int_equal(json_integer_value(json_object_get(s,
			    "current_level")), levels[i].current);
		assert_int_equal(json_integer_value(json_object_get(s,
		    "target_level")), levels[i].target);
	}
	g = plan_show(p, "gaps", NULL);
	assert_int_equal(json_array_size(g), sizeof gaps / sizeof gaps[0]);
	for (i = 0; i < sizeof gaps / sizeof gaps[0]; i++) {
		s = json_array_get(g, i);
		assert_string_equal(json_string_value(json_object_get(s,
		    "system")), gaps[i].system);
		assert_string_equal(json_string_value(json_object_get(s,
		    "component")), gaps[i].component);
		assert_int_equal(json_integer_value(json_object_get(s,
		    "current")), gaps[i].current);
		assert_int_equal(json_integer_value(json_object_get(s,
		    "target")), gaps[i].target);
	}
	r = plan_check(p, NOW);
	assert_int_equal(count(r, "notes", "gap", NULL), json_array_size(g));
	assert_int_equal(count(r, "warnings", "gap-without-countermeasure",
	    NULL), json_array_size(g));
	/* Warnings keep the gaps' order: highest priority first. */
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(r, "warnings"), 0), "subject")), "zeta");
	json_decref(r);
	json_decref(g);
	json_decref(sys);
	plan_free(p);
}

static void
test_gap_countermeasures(void **state)
{
	static const struct {
		const char	*cm;
		int		 warned;
		const char	*msg;
	} cases[] = {
		{ "", 1, "level 2 of 4 and no countermeasure planned" },
		{ "countermeasures: [{id: c, system: s, component: hardware, "
		  "target: 4}]\n", 0, NULL },
		{ "countermeasures: [{id: c, system: s, component: hardware, "
		  "target: 4, status: in_progress}]\n", 0, NULL },
		{ "countermeasures: [{id: c, system: s, component: hardware, "
		  "target: 3}]\n", 1, "aim at level 3, below the target 4" },
		{ "countermeasures: [{id: c, system: s, component: hardware, "
		  "target: 4, status: done}]\n", 1, "done or cancelled" },
		{ "countermeasures: [{id: c, system: s, component: software, "
		  "target: 4}]\n", 1, "no countermeasure planned" },
	};
	struct plan	*p;
	json_t		*r;
	char		*y;
	size_t		 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		y = xprintf(HEAD "tasks: [{id: t, title: T, rto: 1h}]\n"
		    "systems: [{id: s, title: S, kind: business, supports: "
		    "[t], components: {hardware: 2, software: 4}}]\n%s",
		    cases[i].cm);
		p = load(y);
		r = plan_check(p, NOW);
		assert_int_equal(count(r, "notes", "gap", "s"), 1);
		assert_int_equal(count(r, "warnings",
		    "gap-without-countermeasure", "s"), cases[i].warned);
		if (cases[i].msg != NULL)
			assert_non_null(strstr(message(r, "warnings",
			    "gap-without-countermeasure"), cases[i].msg));
		json_decref(r);
		plan_free(p);
		free(y);
	}
}

/* 2.5.2(2)-1: the share of S systems, equal to the limit is allowed. */
static void
test_s_share(void **state)
{
	static const struct {
		const char	*share;
		int		 nfast;		/* of 5 systems */
		int		 warned;
	} cases[] = {
		{ "", 1, 0 },
		{ "", 2, 1 },
		{ "max_s_share: 0.4\n", 2, 0 },
		{ "max_s_share: 0.4\n", 3, 1 },
		{ "max_s_share: 0\n", 1, 1 },
		{ "max_s_share: 1\n", 5, 0 },
	};
	struct buf	 b = { 0 };
	struct plan	*p;
	json_t		*r;
	char		*y;
	size_t		 i;
	int		 k;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		for (k = 0; k < 5; k++)
			buf_printf(&b, "  - {id: s%d, title: S, kind: "
			    "business, supports: [%s]}\n", k,
			    k < cases[i].nfast ? "fast" : "slow");
		y = xprintf(HEAD "%stasks: [{id: fast, title: F, rto: 1h}, "
		    "{id: slow, title: S, rto: 1d}]\nsystems:\n%s",
		    cases[i].share, b.s);
		buf_free(&b);
		p = load(y);
		r = plan_check(p, NOW);
		assert_int_equal(count(r, "warnings", "s-share", "plan"),
		    cases[i].warned);
		json_decref(r);
		plan_free(p);
		free(y);
	}
}

/* Review, drills and countermeasures are due on a day, and late from
 * the next one. */
static void
test_due_dates(void **state)
{
	static const struct {
		const char	*yaml;
		const char	*now;
		const char	*code;
		const char	*subject;
		int		 warned;
	} cases[] = {
		{ "plan: {organization: T, last_review: 2025-04-01}\n",
		  "2026-04-01T23:59:59Z", "review-overdue", "plan", 0 },
		{ "plan: {organization: T, last_review: 2025-04-01}\n",
		  "2026-04-02T00:00:00Z", "review-overdue", "plan", 1 },
		{ "plan: {organization: T, last_review: 2026-01-01, "
		  "review_every: 26w}\n", "2026-07-03T00:00:00Z",
		  "review-overdue", "plan", 1 },
		{ "plan: {organization: T}\n", "2026-01-01T00:00:00Z",
		  "review-overdue", "plan", 1 },
		{ HEAD "drills: [{type: restore, every: 26w, last: "
		  "2026-01-01}]\n", "2026-07-02T23:59:59Z", "drill-overdue",
		  "restore", 0 },
		{ HEAD "drills: [{type: restore, every: 26w, last: "
		  "2026-01-01}]\n", "2026-07-03T00:00:00Z", "drill-overdue",
		  "restore", 1 },
		{ HEAD "drills: [{type: switchover, every: 1y}]\n",
		  "2026-05-01T00:00:00Z", "drill-overdue", "switchover", 1 },
		{ HEAD "systems: [{id: s, title: S, kind: business}]\n"
		  "countermeasures: [{id: c, system: s, component: staff, "
		  "target: 2, due: 2026-05-31}]\n", "2026-05-31T12:00:00Z",
		  "countermeasure-overdue", "c", 0 },
		{ HEAD "systems: [{id: s, title: S, kind: business}]\n"
		  "countermeasures: [{id: c, system: s, component: staff, "
		  "target: 2, due: 2026-05-31}]\n", "2026-06-01T00:00:00Z",
		  "countermeasure-overdue", "c", 1 },
		{ HEAD "systems: [{id: s, title: S, kind: business}]\n"
		  "countermeasures: [{id: c, system: s, component: staff, "
		  "target: 2, due: 2026-05-31, status: done}]\n",
		  "2026-06-01T00:00:00Z", "countermeasure-overdue", "c", 0 },
	};
	struct plan	*p;
	json_t		*r;
	size_t		 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		p = load(cases[i].yaml);
		r = plan_check(p, at(cases[i].now));
		assert_int_equal(count(r, "warnings", cases[i].code,
		    cases[i].subject), cases[i].warned);
		json_decref(r);
		plan_free(p);
	}
}

/* Mistakes in the file: FILE:LINE:COL: and a message saying what. */
static void
test_bad_files(void **state)
{
	static const struct {
		const char	*yaml;
		const char	*diag;
	} cases[] = {
		{ "", "plan.yaml:1:1: a plan must be a map" },
		{ "tasks: []\n",
		  "plan.yaml:1:1: missing required key \"plan\"" },
		{ HEAD "colour: red\n",
		  "plan.yaml:2:1: unknown key \"colour\" in plan file" },
		{ "plan: {organisation: T}\n",
		  "plan.yaml:1:8: unknown key \"organisation\" in plan" },
		{ HEAD "tasks:\n  - id: t\n    title: T\n    rto: 3x\n",
		  "plan.yaml:5:10: bad duration \"3x\" for \"rto\"" },
		{ "plan: {organization: T, last_review: 2026-02-30}\n",
		  "plan.yaml:1:38: bad date \"2026-02-30\" for "
		  "\"last_review\": use YYYY-MM-DD" },
		{ "plan: {organization: T, review_every: 0}\n",
		  "plan.yaml:1:39: \"review_every\" must be longer than 0" },
		{ HEAD "systems:\n  - id: s\n    title: S\n    kind: business\n"
		  "    components: {hardware: 5}\n",
		  "plan.yaml:6:28: \"hardware\" must be a whole number from 1 "
		  "to 4" },
		{ HEAD "systems:\n  - id: s\n    title: S\n    kind: business\n"
		  "    components: {hardwear: 2}\n",
		  "plan.yaml:6:18: unknown key \"hardwear\" in components" },
		{ HEAD "systems: [{id: s, title: S, kind: mainframe}]\n",
		  "plan.yaml:2:35: unknown kind \"mainframe\" (use business, "
		  "infrastructure or external)" },
		{ HEAD "crisis_events: [{id: e, type: flood, title: E}]\n",
		  "plan.yaml:2:31: unknown type \"flood\" (use disaster, "
		  "security, pandemic or other)" },
		{ HEAD "crisis_events: [{id: e, type: disaster, title: E, "
		  "assumptions: {gas: none}}]\n",
		  "plan.yaml:2:65: unknown key \"gas\" in assumptions" },
		{ HEAD "countermeasures: [{id: c, system: s, component: staff, "
		  "target: 2, status: started}]\n",
		  "plan.yaml:2:75: unknown status \"started\"" },
		{ HEAD "drills: [{type: tabletop, every: 1y}]\n",
		  "plan.yaml:2:17: unknown type \"tabletop\" (use walkthrough, "
		  "scenario, restore or switchover)" },
		{ HEAD "tasks:\n  - {id: t, title: A, rto: 1h}\n"
		  "  - {id: u, title: B, rto: 1h}\n"
		  "  - {id: t, title: C, rto: 1h}\n",
		  "plan.yaml:5:10: duplicate task id \"t\" (first at line 3, "
		  "column 10)" },
		{ HEAD "systems: [{id: Web, title: W, kind: business}]\n",
		  "plan.yaml:2:16: bad id \"Web\" for \"id\"" },
		{ HEAD "systems: [{id: w, title: W, kind: business, supports: "
		  "[a, a]}]\n", "plan.yaml:2:59: \"a\" is listed twice" },
		{ HEAD "priority: {S: 3h, A: 2h}\n",
		  "plan.yaml:2:22: priority thresholds must increase: A (2h) "
		  "is not longer than S (3h)" },
		{ HEAD "max_s_share: 1.5\n",
		  "plan.yaml:2:14: \"max_s_share\" must be a number from 0 "
		  "to 1" },
		{ HEAD "levels: {default: {S: 0}}\n",
		  "plan.yaml:2:23: \"S\" must be a whole number from 1 to 4" },
		{ HEAD "tasks: [{id: t, title: T}]\n",
		  "plan.yaml:2:9: missing required key \"rto\"" },
		{ HEAD "tasks: {id: t}\n",
		  "plan.yaml:2:8: \"tasks\" must be a list" },
		{ HEAD "tasks: [t]\n",
		  "plan.yaml:2:9: each item of \"tasks\" must be a map" },
		{ HEAD "systems: [{id: s, title: \"x\", kind: [business]}]\n",
		  "plan.yaml:2:37: \"kind\" must be a value" },
		{ "plan: {organization: T\n", "plan.yaml:2:1: YAML syntax" },
	};
	struct diags	 d;
	struct plan	*p;
	size_t		 i, k;
	int		 found;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(&d, 0, sizeof d);
		p = plan_parse("plan.yaml", cases[i].yaml,
		    strlen(cases[i].yaml), &d);
		assert_null(p);
		assert_true(d.nerrors > 0);
		for (found = 0, k = 0; k < d.n; k++)
			if (strncmp(d.msgs[k], cases[i].diag,
			    strlen(cases[i].diag)) == 0)
				found = 1;
		if (!found) {
			for (k = 0; k < d.n; k++)
				print_message("got: %s\n", d.msgs[k]);
			fail_msg("case %zu: no \"%s\"", i, cases[i].diag);
		}
		diag_free(&d);
	}
}

static char *
example_text(size_t *len)
{
	const char	*dirs[] = { getenv("KZ_TOP"), getenv("KZ_SRCDIR"), ".",
			    "..", "../..", "../../.." };
	char		*path, *t;
	size_t		 i;

	/* tests/run.sh runs from the top and exports KZ_TOP. */
	for (i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		if (dirs[i] == NULL)
			continue;
		path = xprintf("%s/config/plan.yaml", dirs[i]);
		t = read_file(path, len);
		free(path);
		if (t != NULL)
			return t;
	}
	fail_msg("config/plan.yaml not found (set KZ_TOP)");
	return NULL;
}

static struct plan *
example(void)
{
	struct plan	*p;
	size_t		 len;
	char		*t = example_text(&len);

	p = load(t);
	free(t);
	return p;
}

/* The shipped plan checks clean and has the systems runbooks name. */
static void
test_example_plan(void **state)
{
	static const struct {
		const char	*id;
		const char	*title;
		int		 kind;
	} needed[] = {
		{ "portal", "業務ポータル", KIND_BUSINESS },
		{ "mail", "メール", KIND_BUSINESS },
		{ "web", "ホームページ", KIND_BUSINESS },
		{ "dns", NULL, KIND_INFRASTRUCTURE },
		{ "auth", "認証基盤", KIND_INFRASTRUCTURE },
		{ "network", "庁内LAN", KIND_INFRASTRUCTURE },
		{ "vpn", "リモートアクセスVPN", KIND_INFRASTRUCTURE },
		{ "file-server", "ファイルサーバ", KIND_BUSINESS },
		{ "backup", "バックアップ基盤", KIND_INFRASTRUCTURE },
	};
	struct plan	*p = example();
	json_t		*r;
	size_t		 i;
	int		 s;

	r = plan_check(p, at("2026-11-20T00:00:00Z"));
	assert_int_equal(json_array_size(json_object_get(r, "errors")), 0);
	for (i = 0; i < sizeof needed / sizeof needed[0]; i++) {
		assert_true(plan_has_system(p, needed[i].id));
		s = plan_find_system(p, needed[i].id);
		assert_int_equal(p->systems[s].kind, needed[i].kind);
		if (needed[i].title != NULL)
			assert_string_equal(plan_system_title(p,
			    needed[i].id), needed[i].title);
		assert_true(plan_system_rto(p, needed[i].id) > 0);
	}
	assert_null(plan_system_title(p, "nosuch"));
	assert_true(plan_is_japanese(p));
	for (i = 0; i < 3; i++)
		assert_int_equal(p->events[i].type, (int)i);
	json_decref(r);
	plan_free(p);
}

/* import -> export -> import gives the same plan, text and checks. */
static void
test_round_trip(void **state)
{
	static const char *extra = HEAD
	    "priority: {S: 1h, A: 12h, B: 2d, C: 5d, D: 10d}\n"
	    "levels: {default: {S: 4}, staff: {E: 2}}\n"
	    "max_s_share: 0.35\n"
	    "tasks:\n"
	    "  - id: \"null\"\n"
	    "    title: \"true\"\n"
	    "    rto: 1y2d\n"
	    "    alternative: \"12\"\n"
	    "    note: |\n"
	    "      two\n"
	    "      lines: with: colons\n"
	    "  - {id: t2, title: \"\", rto: 0, note: '# not a comment'}\n"
	    "systems: [{id: s, title: \"a: b\", kind: external, supports: "
	    "[\"null\", t2], rto: 30m, components: {contractors: 1}}]\n"
	    "countermeasures: [{id: c, system: s, component: contractors, "
	    "target: 2, cost: 0, status: cancelled}]\n";
	const char	*texts[2];
	struct plan	*p1, *p2, *p3;
	json_t		*r1, *r2, *j1, *j2, *j3;
	char		*y1, *y2, *y3, *why, *t;
	size_t		 len, i;

	texts[0] = t = example_text(&len);
	texts[1] = extra;
	for (i = 0; i < 2; i++) {
		p1 = load(texts[i]);
		y1 = plan_export_yaml(p1);
		assert_non_null(y1);
		p2 = load(y1);
		y2 = plan_export_yaml(p2);
		assert_string_equal(y1, y2);
		r1 = plan_check(p1, NOW);
		r2 = plan_check(p2, NOW);
		assert_true(json_equal(r1, r2));
		j1 = plan_to_json(p1);
		j2 = plan_to_json(p2);
		assert_true(json_equal(j1, j2));
		json_decref(j2);
		/* The storage form too: JSON -> plan -> the same YAML. */
		p3 = plan_from_json(j1, &why);
		if (p3 == NULL)
			fail_msg("plan_from_json: %s", why);
		y3 = plan_export_yaml(p3);
		assert_string_equal(y1, y3);
		j3 = plan_to_json(p3);
		assert_true(json_equal(j1, j3));
		json_decref(j1);
		json_decref(j3);
		json_decref(r1);
		json_decref(r2);
		free(y1);
		free(y2);
		free(y3);
		plan_free(p1);
		plan_free(p2);
		plan_free(p3);
	}
	free(t);
}

static void
test_from_json_refuses(void **state)
{
	static const char *const bad[] = {
		"[]",
		"{}",
		"{\"plan\": {\"organization\": 5}}",
		"{\"plan\": {\"organization\": \"T\"}, \"tasks\": [{\"id\": "
		"\"t\", \"title\": \"T\"}]}",
		"{\"plan\": {\"organization\": \"T\"}, \"systems\": [{\"id\": "
		"\"s\", \"title\": \"S\", \"kind\": \"x\"}]}",
		"{\"plan\": {\"organization\": \"T\"}, \"priority\": "
		"{\"S_s\": 100000}}",
		"{\"plan\": {\"organization\": \"T\"}, \"systems\": [{\"id\": "
		"\"s\", \"title\": \"S\", \"kind\": \"business\", "
		"\"components\": {\"cpu\": 1}}]}",
	};
	struct plan	*p;
	json_t		*j;
	char		*why;
	size_t		 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		j = json_loads(bad[i], 0, NULL);
		assert_non_null(j);
		p = plan_from_json(j, &why);
		assert_null(p);
		assert_non_null(why);
		free(why);
		json_decref(j);
	}
}

static void
test_show(void **state)
{
	static const char *const fields[] = { "id", "title", "kind", "rto_s",
	    "priority", "rlo", "current_level", "target_level", "depends_on",
	    "supports" };
	static const char *const whats[] = { "tasks", "systems", "gaps",
	    "countermeasures", "events", "drills" };
	struct plan	*p = example();
	json_t		*j, *web = NULL, *s;
	const char	*why = NULL;
	size_t		 i;

	for (i = 0; i < sizeof whats / sizeof whats[0]; i++) {
		j = plan_show(p, whats[i], &why);
		assert_true(json_is_array(j) && json_array_size(j) > 0);
		json_decref(j);
	}
	assert_null(plan_show(p, "budget", &why));
	assert_non_null(why);
	j = plan_show(p, "systems", NULL);
	json_array_foreach(j, i, s) {
		if (strcmp(json_string_value(json_object_get(s, "id")),
		    "web") == 0)
			web = s;
	}
	assert_non_null(web);
	for (i = 0; i < sizeof fields / sizeof fields[0]; i++)
		assert_non_null(json_object_get(web, fields[i]));
	assert_int_equal(json_integer_value(json_object_get(web, "rto_s")),
	    12 * 3600);
	assert_string_equal(json_string_value(json_object_get(web,
	    "priority")), "A");
	assert_string_equal(json_string_value(json_array_get(json_object_get(
	    web, "depends_on"), 0)), "dns");
	json_decref(j);
	plan_free(p);
}

static void
test_report(void **state)
{
	static const char *english = "plan: {organization: \"Acme <Corp> & "
	    "Co\"}\n"
	    "tasks: [{id: t, title: \"<script>alert(1)</script>\", rto: 1h}]\n"
	    "systems: [{id: s, title: \"A|B\", kind: business, supports: [t],"
	    " components: {hardware: 1}}]\n";
	static const struct {
		int		 example;
		const char	*format;
		const char	*has;
		int		 want;
	} cases[] = {
		{ 1, "md", "## 非常時優先業務", 1 },
		{ 1, "md", "## 事前対策計画", 1 },
		{ 1, "md", "| web | ホームページ |", 1 },
		{ 1, "html", "<meta charset=\"utf-8\">", 1 },
		{ 1, "html", "<html lang=\"ja\">", 1 },
		{ 1, "html", "@media print", 1 },
		{ 1, "html", "src=", 0 },
		{ 1, "html", "href=", 0 },
		{ 1, "html", "<h2>目標対策レベルとの差異</h2>", 1 },
		{ 0, "md", "## Priority business tasks", 1 },
		{ 0, "md", "A\\|B", 1 },
		{ 0, "md", "Acme \\<Corp> & Co", 1 },
		{ 0, "html", "<html lang=\"en\">", 1 },
		{ 0, "html", "&lt;script&gt;alert(1)&lt;/script&gt;", 1 },
		{ 0, "html", "<script>", 0 },
		{ 0, "html", "Acme &lt;Corp&gt; &amp; Co", 1 },
		{ 0, "html", "Gaps to the target levels", 1 },
	};
	struct plan	*ex = example(), *en = load(english), *p;
	const char	*why = NULL;
	char		*r;
	size_t		 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		p = cases[i].example ? ex : en;
		r = plan_report(p, cases[i].format, NOW, &why);
		assert_non_null(r);
		if ((strstr(r, cases[i].has) != NULL) != cases[i].want)
			fail_msg("case %zu: \"%s\" %s", i, cases[i].has,
			    cases[i].want ? "missing" : "present");
		free(r);
	}
	assert_null(plan_report(ex, "pdf", NOW, &why));
	assert_non_null(why);
	r = plan_report(ex, NULL, NOW, &why);
	assert_true(strncmp(r, "# ", 2) == 0);
	free(r);
	plan_free(ex);
	plan_free(en);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_durations_and_dates),
		cmocka_unit_test(test_priority_boundaries),
		cmocka_unit_test(test_derived_rto),
		cmocka_unit_test(test_dependency_rto),
		cmocka_unit_test(test_dependency_cycles),
		cmocka_unit_test(test_unknown_references),
		cmocka_unit_test(test_no_task),
		cmocka_unit_test(test_levels_and_gaps),
		cmocka_unit_test(test_gap_countermeasures),
		cmocka_unit_test(test_s_share),
		cmocka_unit_test(test_due_dates),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_example_plan),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_from_json_refuses),
		cmocka_unit_test(test_show),
		cmocka_unit_test(test_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
