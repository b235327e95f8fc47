/* Runbook validation: a table of broken runbooks, each with the exact
 * message and position keizokud -t must print. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "common/diag.h"
#include "model/roster.h"
#include "model/runbook.h"

static const char roster_yaml[] =
    "members:\n"
    "  - {id: tanaka}\n"
    "  - {id: suzuki}\n"
    "roles:\n"
    "  - {id: it-lead, members: [tanaka, suzuki]}\n";

static const struct {
	const char	*name;
	const char	*yaml;
	const char	*want;	/* substring of the first diagnostic */
} bad[] = {
	{ "unknown top key",
	  "runbook: a\nstepz: []\nsteps:\n  - id: x\n",
	  "rb.yaml:2:1: unknown key \"stepz\" in runbook" },
	{ "unknown step key",
	  "runbook: a\nsteps:\n  - id: x\n    asign: role:it-lead\n",
	  "rb.yaml:4:5: unknown key \"asign\" in step" },
	{ "bad duration",
	  "runbook: a\nsteps:\n  - id: x\n    assign: role:it-lead\n"
	  "    escalate_after: 10 minutes\n",
	  "rb.yaml:5:21: bad duration \"10 minutes\" for \"escalate_after\"" },
	{ "unknown step in needs",
	  "runbook: a\nsteps:\n  - id: x\n  - id: y\n    needs: [z]\n",
	  "rb.yaml:5:12: step \"y\" needs unknown step \"z\"" },
	{ "cycle",
	  "runbook: a\nsteps:\n  - id: x\n    needs: [z]\n  - id: y\n"
	  "    needs: [x]\n  - id: z\n    needs: [y]\n",
	  "needs form a cycle: x -> z -> y -> x" },
	{ "self need",
	  "runbook: a\nsteps:\n  - id: x\n    needs: [x]\n",
	  "rb.yaml:4:12: step \"x\" needs itself" },
	{ "unknown template root",
	  "runbook: a\nsteps:\n  - id: x\n    type: notify\n"
	  "    with: {text: \"hello {{foo.bar}}\"}\n",
	  "rb.yaml:5:18: template: unknown template root \"foo\"" },
	{ "undeclared variable",
	  "runbook: a\nsteps:\n  - id: x\n    type: notify\n"
	  "    with: {text: \"{{vars.site}}\"}\n",
	  "unknown variable \"site\" (declare it under vars:)" },
	{ "bad matcher operator",
	  "runbook: a\nvars: {a: b}\nsteps:\n  - id: x\n"
	  "    when: {vars.a: {\"~=\": 1}}\n",
	  "rb.yaml:5:21: unknown operator \"~=\"" },
	{ "bad regex",
	  "runbook: a\nvars: {a: b}\nsteps:\n  - id: x\n"
	  "    when: {vars.a: {\"=~\": \"(\"}}\n",
	  "rb.yaml:5:" },
	{ "duplicate step id",
	  "runbook: a\nsteps:\n  - id: x\n  - id: x\n",
	  "rb.yaml:4:9: duplicate step id \"x\" (first at line 3)" },
	{ "duplicate yaml key",
	  "runbook: a\nrunbook: b\nsteps:\n  - id: x\n",
	  "rb.yaml:2:1: duplicate key \"runbook\"" },
	{ "unknown step type",
	  "runbook: a\nsteps:\n  - id: x\n    type: chore\n",
	  "rb.yaml:4:11: unknown step type \"chore\"" },
	{ "unknown role",
	  "runbook: a\nsteps:\n  - id: x\n    assign: role:nobody\n",
	  "rb.yaml:4:13: assign: unknown role \"nobody\"" },
	{ "bad on_timeout",
	  "runbook: a\nsteps:\n  - id: x\n    timeout: 5m\n"
	  "    on_timeout: panic\n",
	  "rb.yaml:5:17: on_timeout must be escalate, fail, skip or continue" },
	{ "missing runbook id",
	  "title: x\nsteps:\n  - id: x\n",
	  "rb.yaml:1:1: missing required key \"runbook\"" },
	{ "yaml syntax",
	  "runbook: a\nsteps:\n  - id: [x\n",
	  "rb.yaml:4:1: YAML syntax" },
	{ "wait without duration",
	  "runbook: a\nsteps:\n  - id: x\n    type: wait\n    with: {}\n",
	  "missing required key \"duration\" in with" },
	{ "bad step id",
	  "runbook: a\nsteps:\n  - id: Bad Id\n",
	  "rb.yaml:3:9: step id \"Bad Id\" must match" },
	{ "restores a system not listed",
	  "runbook: a\nsystems: [mail]\nsteps:\n  - id: x\n"
	  "    restores: [portal]\n",
	  "step restores \"portal\", which is not in the runbook's systems" },
	{ "activation with bad mode",
	  "runbook: a\nactivation:\n  - source: am\n    match: {a: b}\n"
	  "    mode: maybe\nsteps:\n  - id: x\n",
	  "rb.yaml:5:11: mode must be auto or confirm" },
	{ "regex that would make regcomp allocate gigabytes",
	  "runbook: a\nvars: {a: b}\nsteps:\n  - id: x\n"
	  "    when: {vars.a: {\"=~\": \"((a{1,100}){1,100}){1,100}\"}}\n",
	  "rb.yaml:5:27: regular expression \"((a{1,100}){1,100}){1,100}\" for "
	  "\"vars.a\" is too costly" },
	{ "stacked quantifiers",
	  "runbook: a\nvars: {a: b}\nsteps:\n  - id: x\n"
	  "    when: {vars.a: {\"=~\": \"d+++++\"}}\n",
	  "a repetition of a repetition" },
	{ "a key given twice in a matcher (once plain, once an operator map)",
	  "runbook: a\nvars: {a: b}\nsteps:\n  - id: x\n"
	  "    when: {vars.a: b, vars.a: {\"!=\": c}}\n",
	  "duplicate key \"vars.a\"" },
	{ "escalate without assign",
	  "runbook: a\nsteps:\n  - id: x\n    escalate_after: 5m\n",
	  "escalate_after and remind need assign" },
};

static struct roster *
test_roster(void)
{
	struct diags	 d = { 0 };
	struct roster	*r = roster_parse("roster.yaml", roster_yaml,
	    strlen(roster_yaml), &d);

	assert_non_null(r);
	diag_free(&d);
	return r;
}

static void
test_bad_runbooks(void **state)
{
	struct roster		*ro = test_roster();
	struct rb_context	 ctx = { .roster = ro };
	size_t			 i, j;
	int			 fails = 0;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct diags	 d = { 0 };
		struct runbook	*rb = runbook_parse("rb.yaml", bad[i].yaml,
		    strlen(bad[i].yaml), &ctx, &d);
		int		 found = 0;

		for (j = 0; j < d.n; j++)
			if (strstr(d.msgs[j], bad[i].want) != NULL)
				found = 1;
		if (rb != NULL || !found) {
			fprintf(stderr, "case \"%s\": want \"%s\"; got:\n",
			    bad[i].name, bad[i].want);
			for (j = 0; j < d.n; j++)
				fprintf(stderr, "  %s\n", d.msgs[j]);
			fails++;
		}
		runbook_unref(rb);
		diag_free(&d);
	}
	roster_free(ro);
	assert_int_equal(fails, 0);
}

static void
test_good_runbook(void **state)
{
	static const char y[] =
	    "runbook: dc-failover\n"
	    "title: 切り替え / Fail over\n"
	    "kind: failover\n"
	    "owner: role:it-lead\n"
	    "systems: [portal]\n"
	    "vars: {alt_site: osaka}\n"
	    "activation:\n"
	    "  - source: am\n"
	    "    match: {labels.alertname: PrimarySiteDown}\n"
	    "    mode: confirm\n"
	    "    confirm_by: role:it-lead\n"
	    "    key: \"{{trigger.groupKey}}\"\n"
	    "    window: 6h\n"
	    "steps:\n"
	    "  - id: decide\n"
	    "    type: approval\n"
	    "    assign: role:it-lead\n"
	    "    escalate_after: 10m\n"
	    "    timeout: 30m\n"
	    "    on_timeout: escalate\n"
	    "  - id: tell\n"
	    "    needs: [decide]\n"
	    "    type: notify\n"
	    "    with: {text: \"{{steps.decide.by}} decided: {{vars.alt_site}}\"}\n"
	    "  - id: verify\n"
	    "    needs: [tell]\n"
	    "    when: {vars.alt_site: {\"!=\": \"\"}}\n"
	    "    restores: [portal]\n"
	    "    remind: 5m\n"
	    "    assign: tanaka\n";
	struct roster		*ro = test_roster();
	struct rb_context	 ctx = { .roster = ro };
	struct diags		 d = { 0 };
	struct runbook		*rb = runbook_parse("ok.yaml", y, strlen(y),
	    &ctx, &d);

	if (rb == NULL)
		fprintf(stderr, "%s\n", d.n ? d.msgs[0] : "?");
	assert_non_null(rb);
	assert_int_equal(rb->nsteps, 3);
	assert_int_equal(rb->steps[0].escalate_after_s, 600);
	assert_int_equal(rb->steps[0].timeout_s, 1800);
	assert_int_equal(rb->steps[1].need_idx[0], 0);
	assert_int_equal(rb->nacts, 1);
	assert_int_equal(rb->acts[0].mode, AM_CONFIRM);
	assert_int_equal(rb->acts[0].window_s, 6 * 3600);
	assert_string_equal(rb->steps[2].restores[0], "portal");
	assert_int_equal(strlen(rb->hash), 64);
	runbook_unref(rb);
	roster_free(ro);
	diag_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_runbooks),
		cmocka_unit_test(test_good_runbook),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
