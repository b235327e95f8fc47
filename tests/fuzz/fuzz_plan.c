/* Fuzzes the continuity plan loader (plan_parse) and everything the
 * daemon does with a plan it loaded: checks, derivations, the storage
 * form and its way back, the YAML export (which must load again) and
 * the reports. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/diag.h"
#include "model/plan.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* 2026-11-20T00:00:00Z: reports and checks take the clock as input. */
#define FUZZ_PLAN_NOW	1795132800000LL

static const char *const fuzz_plan_shows[] = {
	"tasks", "systems", "gaps", "countermeasures", "events", "drills",
	NULL
};

/* The storage form must load back, and to the same storage form. */
static void
fuzz_plan_json(const struct plan *p)
{
	json_t		*j = plan_to_json(p), *j2;
	struct plan	*back;
	char		*why = NULL;

	if ((back = plan_from_json(j, &why)) == NULL)
		abort();
	j2 = plan_to_json(back);
	if (!json_equal(j, j2))
		abort();
	json_decref(j2);
	plan_free(back);
	json_decref(j);
}

/* The export must load again (plan.h promises the same plan). */
static void
fuzz_plan_export(const struct plan *p)
{
	struct diags	 d = { 0 };
	struct plan	*back;
	char		*text;
	json_t		*a, *b;

	if ((text = plan_export_yaml(p)) == NULL)
		abort();
	if ((back = plan_parse("export.yaml", text, strlen(text), &d)) == NULL)
		abort();
	a = plan_to_json(p);
	b = plan_to_json(back);
	if (!json_equal(a, b))
		abort();
	json_decref(a);
	json_decref(b);
	plan_free(back);
	diag_free(&d);
	free(text);
}

static void
fuzz_plan_reports(const struct plan *p)
{
	const char	*why;
	size_t		 i, nerr, nwarn;
	json_t		*j;

	j = plan_check(p, FUZZ_PLAN_NOW);
	plan_check_counts(j, &nerr, &nwarn);
	json_decref(j);
	plan_eval_free(plan_eval(p));
	for (i = 0; fuzz_plan_shows[i] != NULL; i++) {
		if ((j = plan_show(p, fuzz_plan_shows[i], &why)) == NULL)
			abort();
		json_decref(j);
	}
	free(plan_report(p, "md", FUZZ_PLAN_NOW, &why));
	free(plan_report(p, "html", FUZZ_PLAN_NOW, &why));
	for (i = 0; i < p->nsystems; i++)
		plan_system_rto(p, p->systems[i].id);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diags	 d = { 0 };
	struct plan	*p;

	p = plan_parse("plan.yaml", (const char *)data, size, &d);
	if (p != NULL) {
		fuzz_plan_json(p);
		fuzz_plan_export(p);
		fuzz_plan_reports(p);
		plan_free(p);
	} else if (d.nerrors == 0)
		abort();
	diag_free(&d);
	return 0;
}
