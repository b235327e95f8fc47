/* Engine transitions, pure and with the clock injected: each case is a
 * runbook, a script of inputs and the states expected after each. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/diag.h"
#include "engine/engine.h"
#include "model/roster.h"
#include "model/runbook.h"
#include "common/xmalloc.h"

static const char roster_yaml[] =
    "members:\n"
    "  - {id: tanaka}\n  - {id: suzuki}\n  - {id: sato}\n  - {id: ito}\n"
    "roles:\n"
    "  - {id: lead, members: [tanaka, suzuki, sato]}\n"
    "  - {id: ops, members: [ito]}\n";

static const char rb_yaml[] =
    "runbook: t\n"
    "owner: role:lead\n"
    "vars: {site: osaka, skipme: \"\"}\n"
    "steps:\n"
    "  - id: decide\n"
    "    type: approval\n"
    "    assign: role:lead\n"
    "    escalate_after: 10m\n"
    "    remind: 4m\n"
    "    timeout: 1h\n"
    "    on_timeout: fail\n"
    "  - id: a\n"
    "    needs: [decide]\n"
    "    assign: role:ops\n"
    "  - id: b\n"
    "    needs: [decide]\n"
    "    when: {vars.skipme: {\"!=\": \"\"}}\n"
    "  - id: c\n"
    "    needs: [a, b]\n"
    "    type: notify\n"
    "    with: {text: \"done at {{vars.site}}\"}\n"
    "  - id: w\n"
    "    needs: [c]\n"
    "    type: wait\n"
    "    with: {duration: 5m}\n"
    "  - id: t\n"
    "    needs: [w]\n"
    "    assign: role:ops\n"
    "    timeout: 2m\n"
    "    on_timeout: skip\n"
    "  - id: z\n"
    "    needs: [t]\n";

/* A script line: "who act step [note]" or "timer kind step" or
 * "clock +SECONDS"; then "expect" with the states of all steps and the
 * status the input must return. */
struct line {
	const char	*input;
	int		 status;
	const char	*states;	/* decide a b c w t z, one letter each:
					   B R A N(running) D F S */
};

struct tcase {
	const char	*name;
	struct line	 lines[24];
};

static const struct tcase cases[] = {
	{ "happy path with when-skip, notify, wait, timeout-skip", {
		{ "start", 200, "RBBBBBB" },
		{ "tanaka approve decide", 200, "DRSBBBB" },
		{ "ito done a", 200, "DDSDRBB" },
		{ "timer wait w", 200, "DDSDDRB" },
		{ "timer timeout t", 200, "DDSDDSR" },
		{ NULL, 0, NULL } } },
	{ "escalation walks the deputies, then the owner", {
		{ "start", 200, "RBBBBBB" },
		{ "timer escalate decide", 200, "RBBBBBB" },
		{ "assignee decide suzuki", 0, NULL },
		{ "timer escalate decide", 200, "RBBBBBB" },
		{ "assignee decide sato", 0, NULL },
		{ "timer escalate decide", 200, "RBBBBBB" },
		{ "level decide 3", 0, NULL },
		{ NULL, 0, NULL } } },
	{ "ack stops escalation; timeout fails", {
		{ "start", 200, "RBBBBBB" },
		{ "suzuki ack decide", 200, "ABBBBBB" },
		{ "timer escalate decide", 200, "ABBBBBB" },
		{ "assignee decide tanaka", 0, NULL },
		{ "timer timeout decide", 200, "FBBBBBB" },
		{ NULL, 0, NULL } } },
	{ "permissions and wrong states", {
		{ "start", 200, "RBBBBBB" },
		{ "ito approve decide", 403, "RBBBBBB" },
		{ "admin approve decide", 403, "RBBBBBB" },
		{ "ito done a", 409, "RBBBBBB" },
		{ "tanaka done decide", 409, "RBBBBBB" },
		{ "tanaka ack nosuch", 404, "RBBBBBB" },
		{ "tanaka reject decide", 400, "RBBBBBB" },
		{ "tanaka reject decide 理由", 200, "FBBBBBB" },
		{ "tanaka approve decide", 409, "FBBBBBB" },
		{ "tanaka skip decide", 400, "FBBBBBB" },
		{ "tanaka skip decide 不要", 200, "SRSBBBB" },
		{ NULL, 0, NULL } } },
	{ "failed blocks dependents; skip unblocks", {
		{ "start", 200, "RBBBBBB" },
		{ "tanaka approve decide", 200, "DRSBBBB" },
		{ "ito fail a", 400, "DRSBBBB" },
		{ "ito fail a 回線断", 200, "DFSBBBB" },
		{ "ito done a", 200, "DDSDRBB" },
		{ NULL, 0, NULL } } },
	{ "stale timers are ignored", {
		{ "start", 200, "RBBBBBB" },
		{ "timer wait w", 200, "RBBBBBB" },
		{ "timer timeout a", 200, "RBBBBBB" },
		{ NULL, 0, NULL } } },
};

static char
letter(enum step_state s)
{
	return "BRANDFS"[s];
}

/* "start", "timer KIND STEP", "respond MEMBER ANSWER", "WHO assign STEP
 * MEMBER" or "WHO ACT STEP [NOTE]". */
static int
run_line(struct incident *inc, const struct roster *ro, const char *input,
    int64_t *now, struct effects *fx)
{
	char		 who[32], act[32], step[32], note[64];
	struct actx	 a;
	char		*why = NULL;
	int		 st, n;

	memset(&a, 0, sizeof a);
	a.roster = ro;
	a.now = *now;
	if (strcmp(input, "start") == 0) {
		a.actor = "root";
		a.admin = 1;
		return engine_activate(&a, inc, 0, fx, &why);
	}
	if ((n = sscanf(input, "%31s %31s %31s %63s", who, act, step,
	    note)) < 3)
		return -1;
	if (strcmp(who, "timer") == 0) {
		struct tkey k;

		a.actor = "keizokud";
		if (tkey_parse(act, step, &k) == -1)
			return -1;
		st = engine_timer(&a, inc, runbook_step_index(inc->rb, step),
		    &k, fx);
		tkey_free(&k);
		return st;
	}
	if (strcmp(who, "respond") == 0) {
		a.actor = act;
		st = engine_respond(&a, inc, act, (enum answer)answer_parse(
		    step), 0, NULL, fx, &why);
		free(why);
		return st;
	}
	a.actor = strcmp(who, "admin") == 0 ? "root" : who;
	a.admin = strcmp(who, "admin") == 0;
	if (strcmp(act, "assign") == 0) {
		st = engine_assign(&a, inc, step, n == 4 ? note : NULL, fx,
		    &why);
		free(why);
		return st;
	}
	{
		static const char *const acts[] = { "ack", "done", "skip",
		    "fail", "approve", "reject" };
		size_t i;

		for (i = 0; i < 6; i++)
			if (strcmp(acts[i], act) == 0)
				break;
		st = engine_step(&a, inc, step, (enum step_act)i, n == 4 ?
		    note : NULL, fx, &why);
	}
	free(why);
	return st;
}

/* Runs each case of a table on a fresh incident of rb_text; the number
 * of lines that did not go as expected. "assignee STEP MEMBER" ("-" for
 * nobody) and "level STEP N" check a step without an input. */
static int
run_cases(const char *ro_text, const char *rb_text, const struct tcase *tc,
    size_t ncases)
{
	struct diags		 d = { 0 };
	struct roster		*ro = roster_parse("r.yaml", ro_text,
	    strlen(ro_text), &d);
	struct rb_context	 ctx = { .roster = ro };
	struct runbook		*rb = runbook_parse("t.yaml", rb_text,
	    strlen(rb_text), &ctx, &d);
	size_t			 c, l, i;
	int			 fails = 0;

	if (rb == NULL)
		fprintf(stderr, "%s\n", d.msgs[0]);
	assert_non_null(rb);
	for (c = 0; c < ncases; c++) {
		struct incident	*inc = incident_new(rb, 0, NULL, rb->vars);
		int64_t		 now = 1700000000000;

		inc->id = 1;
		for (l = 0; tc[c].lines[l].input != NULL; l++) {
			const struct line	*ln = &tc[c].lines[l];
			struct effects		 fx = { 0 };
			char			 got[16], a1[32], a2[32], a3[32];
			int			 st;

			if (sscanf(ln->input, "%31s %31s %31s", a1, a2, a3) ==
			    3 && (strcmp(a1, "assignee") == 0 ||
			    strcmp(a1, "level") == 0)) {
				int		 k = runbook_step_index(rb, a2);
				const char	*as = inc->steps[k].assignee;
				char		 lv[16];

				snprintf(lv, sizeof lv, "%d",
				    inc->steps[k].esc_level);
				if (strcmp(strcmp(a1, "level") == 0 ? lv :
				    as ? as : "-", a3) != 0) {
					fprintf(stderr, "%s: line %zu: %s: "
					    "got %s\n", tc[c].name, l,
					    ln->input, strcmp(a1, "level") ==
					    0 ? lv : as ? as : "-");
					fails++;
				}
				continue;
			}
			now += 1000;
			st = run_line(inc, ro, ln->input, &now, &fx);
			for (i = 0; i < rb->nsteps; i++)
				got[i] = letter(inc->steps[i].state);
			got[i] = '\0';
			if (st != ln->status || strcmp(got, ln->states) != 0) {
				fprintf(stderr, "%s: line %zu \"%s\": status "
				    "%d (want %d), states %s (want %s)\n",
				    tc[c].name, l, ln->input, st,
				    ln->status, got, ln->states);
				fails++;
			}
			effects_free(&fx);
		}
		incident_free(inc);
	}
	runbook_unref(rb);
	roster_free(ro);
	diag_free(&d);
	return fails;
}

static void
test_cases(void **state)
{
	assert_int_equal(run_cases(roster_yaml, rb_yaml, cases,
	    sizeof cases / sizeof cases[0]), 0);
}

/* Tasks follow answers (SPEC §16's assignment rule, issue 14): steps of
 * a role spread over the members who can act, the fewest open steps
 * first, then call-out order; "unavailable" moves a member's steps at
 * once; keizoku assign pins a step to a member. */
static const char quake_roster[] =
    "members:\n"
    "  - {id: tanaka}\n  - {id: suzuki}\n  - {id: sato}\n  - {id: ito}\n"
    "  - {id: yamamoto}\n  - {id: kato}\n"
    "roles:\n"
    "  - {id: lead, members: [tanaka, suzuki]}\n"
    "  - {id: ops, members: [sato, ito, yamamoto, kato]}\n";

static const char quake_rb[] =
    "runbook: q\n"
    "owner: role:lead\n"
    "steps:\n"
    "  - id: assemble\n"
    "    type: assemble\n"
    "    with: {roles: {ops: 2}, escalate_after: 15m}\n"
    "    timeout: 2h\n"
    "    on_timeout: continue\n"
    "  - id: room\n"
    "    assign: role:ops\n"
    "    escalate_after: 15m\n"
    "  - id: power\n"
    "    assign: role:ops\n"
    "    escalate_after: 15m\n"
    "  - id: data\n"
    "    assign: role:ops\n"
    "    escalate_after: 15m\n"
    "  - id: compile\n"
    "    needs: [room, power, data]\n"
    "    assign: role:lead\n";

static const struct tcase assign_cases[] = {
	{ "spread before anyone answers; unavailable moves at once", {
		{ "start", 200, "RRRRB" },
		{ "assignee room sato", 0, NULL },
		{ "assignee power ito", 0, NULL },
		{ "assignee data yamamoto", 0, NULL },
		{ "respond sato unavailable", 200, "RRRRB" },
		{ "assignee room kato", 0, NULL },
		{ "assignee power ito", 0, NULL },
		{ "assignee data yamamoto", 0, NULL },
		{ NULL, 0, NULL } } },
	{ "steps follow those who answered available, spread", {
		{ "start", 200, "RRRRB" },
		{ "respond ito available", 200, "RRRRB" },
		{ "assignee room ito", 0, NULL },
		{ "assignee power ito", 0, NULL },
		{ "assignee data ito", 0, NULL },
		{ "respond kato arrived", 200, "DRRRB" },
		{ "assignee room kato", 0, NULL },
		{ "assignee power ito", 0, NULL },
		{ "assignee data ito", 0, NULL },
		{ "ito ack room", 200, "DARRB" },
		{ "respond ito unavailable", 200, "DRRRB" },
		{ "assignee room kato", 0, NULL },
		{ "assignee data kato", 0, NULL },
		{ "assignee power kato", 0, NULL },
		{ NULL, 0, NULL } } },
	{ "escalation skips who answered unavailable", {
		{ "start", 200, "RRRRB" },
		{ "respond ito unavailable", 200, "RRRRB" },
		{ "assignee power kato", 0, NULL },
		{ "timer escalate room", 200, "RRRRB" },
		{ "assignee room yamamoto", 0, NULL },
		{ "timer escalate room", 200, "RRRRB" },
		{ "assignee room kato", 0, NULL },
		{ "timer escalate room", 200, "RRRRB" },
		{ "level room 3", 0, NULL },
		{ NULL, 0, NULL } } },
	{ "assign: owner or admin, pinned until unavailable", {
		{ "start", 200, "RRRRB" },
		{ "sato assign room ito", 403, "RRRRB" },
		{ "tanaka assign room nobody", 404, "RRRRB" },
		{ "tanaka assign assemble ito", 409, "RRRRB" },
		{ "tanaka assign room ito", 200, "RRRRB" },
		{ "assignee room ito", 0, NULL },
		{ "admin assign compile sato", 200, "RRRRB" },
		{ "respond kato available", 200, "RRRRB" },
		{ "assignee room ito", 0, NULL },
		{ "assignee power kato", 0, NULL },
		{ "assignee data kato", 0, NULL },
		{ "respond ito unavailable", 200, "RRRRB" },
		{ "assignee room kato", 0, NULL },
		{ "tanaka assign data ito", 409, "RRRRB" },
		{ "kato done room 済", 200, "RDRRB" },
		{ "kato done power 済", 200, "RDDRB" },
		{ "kato done data 済", 200, "RDDDR" },
		{ "assignee compile sato", 0, NULL },
		{ "sato done compile 済", 200, "RDDDD" },
		{ NULL, 0, NULL } } },
};

/* The same with the leads called out too. */
static const char quake_rb2[] =
    "runbook: q\n"
    "owner: role:lead\n"
    "steps:\n"
    "  - id: assemble\n"
    "    type: assemble\n"
    "    with: {roles: {ops: 2, lead: 1}, escalate_after: 15m}\n"
    "  - id: room\n"
    "    assign: role:ops\n"
    "  - id: power\n"
    "    assign: role:ops\n"
    "  - id: data\n"
    "    assign: role:ops\n"
    "  - id: compile\n"
    "    needs: [room, power, data]\n"
    "    assign: role:lead\n";

static const struct tcase assign_cases2[] = {
	{ "a step handed outside its role, or before it is ready, moves "
	    "when its member cannot come", {
		{ "start", 200, "RRRRB" },
		{ "tanaka assign room suzuki", 200, "RRRRB" },
		{ "tanaka assign compile kato", 200, "RRRRB" },
		{ "assignee compile kato", 0, NULL },
		{ "respond suzuki unavailable", 200, "RRRRB" },
		{ "assignee room sato", 0, NULL },
		{ "respond kato unavailable", 200, "RRRRB" },
		{ "sato done room 済", 200, "RDRRB" },
		{ "ito done power 済", 200, "RDDRB" },
		{ "yamamoto done data 済", 200, "RDDDR" },
		{ "assignee compile tanaka", 0, NULL },
		{ NULL, 0, NULL } } },
};

static void
test_assignment(void **state)
{
	assert_int_equal(run_cases(quake_roster, quake_rb, assign_cases,
	    sizeof assign_cases / sizeof assign_cases[0]), 0);
	assert_int_equal(run_cases(quake_roster, quake_rb2, assign_cases2,
	    sizeof assign_cases2 / sizeof assign_cases2[0]), 0);
}

/* The effects of activation: events, timers from the injected clock,
 * the ready notification. */
static void
test_effects(void **state)
{
	struct diags		 d = { 0 };
	struct roster		*ro = roster_parse("r.yaml", roster_yaml,
	    strlen(roster_yaml), &d);
	struct rb_context	 ctx = { .roster = ro };
	struct runbook		*rb = runbook_parse("t.yaml", rb_yaml,
	    strlen(rb_yaml), &ctx, &d);
	struct incident		*inc = incident_new(rb, 0, NULL, rb->vars);
	struct effects		 fx = { 0 };
	struct actx		 a = { .roster = ro, .now = 1000000,
	    .actor = "root", .admin = 1 };
	char			*why = NULL;
	size_t			 i;
	int			 esc = 0, rem = 0, tmo = 0, ready = 0;

	assert_int_equal(engine_activate(&a, inc, 0, &fx, &why), 200);
	for (i = 0; i < fx.n; i++) {
		const struct effect *e = &fx.v[i];

		if (e->kind == EF_TIMER_SET && e->tk.kind == TK_ESCALATE)
			esc = e->due == 1000000 + 600000;
		if (e->kind == EF_TIMER_SET && e->tk.kind == TK_REMIND)
			rem = e->due == 1000000 + 240000;
		if (e->kind == EF_TIMER_SET && e->tk.kind == TK_TIMEOUT)
			tmo = e->due == 1000000 + 3600000;
		if (e->kind == EF_NOTIFY && e->ev == EV_STEP_READY)
			ready = e->to != NULL && strcmp(e->to, "role:lead") == 0;
	}
	assert_true(esc && rem && tmo && ready);
	assert_int_equal(inc->steps[0].deadline_at, 1000000 + 3600000);
	assert_string_equal(inc->steps[0].assignee, "tanaka");
	effects_free(&fx);
	incident_free(inc);
	runbook_unref(rb);
	roster_free(ro);
	diag_free(&d);
}

/* Notify steps made ready in one advance: a text naming no step renders
 * with the incident's context shared by the advance, a text naming
 * {{steps.*}} sees the states of the steps finished before it in that
 * same advance. */
static void
test_notify_texts(void **state)
{
	static const char	*rbt =
	    "runbook: chain\n"
	    "title: 連鎖 / Chain\n"
	    "vars: {site: 大阪}\n"
	    "steps:\n"
	    "  - {id: n1, title: \"一 {{vars.site}}\", type: notify,"
	    " with: {text: \"#{{incident.id}} {{vars.site}}\"}}\n"
	    "  - {id: n2, needs: [n1], type: notify,"
	    " with: {text: \"n1={{steps.n1.state}} n3={{steps.n3.state}}\"}}\n"
	    "  - {id: n3, needs: [n2], type: notify,"
	    " with: {text: \"{{incident.title}} {{vars.site}}\"}}\n";
	static const char	*want[] = { "#7 大阪", "n1=done n3=blocked",
	    "連鎖 / Chain 大阪" };
	struct diags		 d = { 0 };
	struct roster		*ro = roster_parse("r.yaml", roster_yaml,
	    strlen(roster_yaml), &d);
	struct rb_context	 ctx = { .roster = ro };
	struct runbook		*rb = runbook_parse("t.yaml", rbt, strlen(rbt),
	    &ctx, &d);
	struct incident		*inc;
	struct effects		 fx = { 0 };
	struct actx		 a = { .roster = ro, .now = 1000000,
	    .actor = "root", .admin = 1 };
	char			*why = NULL;
	size_t			 i, n = 0;

	if (rb == NULL)
		fprintf(stderr, "%s\n", d.msgs[0]);
	assert_non_null(rb);
	inc = incident_new(rb, 0, NULL, rb->vars);
	inc->id = 7;
	assert_int_equal(engine_activate(&a, inc, 0, &fx, &why), 200);
	for (i = 0; i < fx.n; i++) {
		const struct effect *e = &fx.v[i];

		if (e->kind != EF_NOTIFY || e->ev != EV_STEP_NOTIFY)
			continue;
		assert_true(n < 3);
		assert_string_equal(json_string_value(json_object_get(e->data,
		    "text")), want[n]);
		if (n == 0)
			assert_string_equal(json_string_value(json_object_get(
			    e->data, "title")), "一 大阪");
		n++;
	}
	assert_int_equal(n, 3);
	for (i = 0; i < 3; i++)
		assert_int_equal(inc->steps[i].state, SS_DONE);
	effects_free(&fx);
	incident_free(inc);
	runbook_unref(rb);
	roster_free(ro);
	diag_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_assignment),
		cmocka_unit_test(test_effects),
		cmocka_unit_test(test_notify_texts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
