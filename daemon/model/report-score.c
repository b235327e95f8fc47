/* The drill evaluation (SPEC §10; guideline 2.9.1: drills are evaluated
 * against metrics). It is drawn from the report's own sections, so it
 * cannot disagree with them: each step's ready → done time against its
 * timeout, with the escalations it needed; staff assembly against its
 * quota; each system against its RTO; then a line per role and an
 * overall score. report_score_doc() lays the evaluation out as a
 * document section, which report-html.c renders like any other. */
#include <stdlib.h>
#include <string.h>

#include "common/jsonutil.h"
#include "common/duration.h"
#include "model/event.h"
#include "model/report.h"
#include "common/xmalloc.h"

enum sc_result { SC_ON_TIME, SC_LATE, SC_MISSED, SC_SKIPPED, SC_NA,
	SC_NRESULTS };

/* Names in the JSON, labels in the documents, and how the per-role
 * line counts each result after the steps on time. */
static const struct {
	const char	*name;
	const char	*label;
	const char	*ja;	/* "、1件超過" */
	const char	*en;	/* ", 1 late" */
} sc_results[SC_NRESULTS] = {
	{ "on time", "期限内 / on time", NULL, NULL },
	{ "late", "超過 / late", "件超過", " late" },
	{ "missed", "未完了 / missed", "件未完了", " missed" },
	{ "skipped", "対象外（when） / skipped (when)", "件対象外",
	    " skipped" },
	{ "n/a", "期限なし / no timeout", "件期限なし", " without a timeout" },
};

/* What one role (NULL: steps assigned to no one) achieved. */
struct sc_role {
	const char	*role;
	size_t		 steps;
	size_t		 n[SC_NRESULTS];
	size_t		 escalations;
	int64_t		 took_sum;
	size_t		 took_n;
};

struct sc_roles {
	struct sc_role	*v;
	size_t		 n;
};

static int
same(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/* "role:it-lead" is scored as "it-lead"; a member stays as written. */
static const char *
role_name(const char *assign)
{
	if (assign != NULL && strncmp(assign, "role:", 5) == 0)
		return assign + 5;
	return assign;
}

/* Per step id, from the log: {"escalations": n, "when": skipped by its
 * `when` rather than by a person or a timeout}. */
static json_t *
step_facts(json_t *timeline)
{
	json_t		*facts = json_object(), *e, *f;
	const char	*type, *step;
	size_t		 i;

	json_array_foreach(timeline, i, e) {
		type = jget_str(e, "type");
		if ((step = jget_str(e, "step")) == NULL || type == NULL)
			continue;
		if ((f = json_object_get(facts, step)) == NULL) {
			f = json_pack("{s:i,s:b}", "escalations", 0, "when", 0);
			json_object_set_new(facts, step, f);
		}
		if (event_parse(type) == EV_STEP_ESCALATED)
			json_object_set_new(f, "escalations", json_integer(
			    json_integer_value(json_object_get(f,
			    "escalations")) + 1));
		else if (event_parse(type) == EV_STEP_SKIPPED)
			json_object_set_new(f, "when", json_boolean(same(jget_str(
			    json_object_get(e, "data"), "reason"), "when")));
	}
	return facts;
}

/* Only a finished step is judged against its timeout: a step skipped by
 * a person or a timeout, failed, or never finished was missed. */
static enum sc_result
step_result(json_t *s, int when_skipped, json_t **within)
{
	const char	*state = jget_str(s, "state");
	json_t		*took = json_object_get(s, "duration_s");
	json_t		*timeout = json_object_get(s, "timeout_s");
	int		 in;

	*within = json_null();
	if (same(state, "skipped") && when_skipped)
		return SC_SKIPPED;
	if (!same(state, "done"))
		return SC_MISSED;
	if (!json_is_integer(took) || !json_is_integer(timeout))
		return SC_NA;
	in = json_integer_value(took) <= json_integer_value(timeout);
	*within = json_boolean(in);
	return in ? SC_ON_TIME : SC_LATE;
}

static struct sc_role *
role_get(struct sc_roles *rs, const char *role)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		if (same(rs->v[i].role, role))
			return &rs->v[i];
	rs->v = xreallocarray(rs->v, rs->n + 1, sizeof *rs->v);
	memset(&rs->v[rs->n], 0, sizeof *rs->v);
	rs->v[rs->n].role = role;
	return &rs->v[rs->n++];
}

static void
role_add(struct sc_role *t, enum sc_result res, json_t *took, size_t esc)
{
	t->steps++;
	t->n[res]++;
	t->escalations += esc;
	if (res != SC_MISSED && res != SC_SKIPPED && json_is_integer(took)) {
		t->took_sum += json_integer_value(took);
		t->took_n++;
	}
}

static json_t *
score_step(json_t *s, json_t *facts, struct sc_roles *rs,
    struct sc_role *all)
{
	json_t		*f = json_object_get(facts, jget_str(s, "id"));
	json_t		*took = json_object_get(s, "duration_s"), *within;
	const char	*role = role_name(jget_str(s, "role"));
	size_t		 esc = json_integer_value(json_object_get(f,
			    "escalations"));
	enum sc_result	 res;

	res = step_result(s, json_is_true(json_object_get(f, "when")),
	    &within);
	role_add(role_get(rs, role), res, took, esc);
	role_add(all, res, took, esc);
	return json_pack("{s:O,s:O,s:s?,s:O,s:O,s:O,s:O,s:o,s:I,s:b,s:s}",
	    "step", json_object_get(s, "id"), "title", json_object_get(s,
	    "title"), "role", role, "ready_at", json_object_get(s,
	    "ready_at"), "done_at", json_object_get(s, "done_at"), "took_s",
	    took, "timeout_s", json_object_get(s, "timeout_s"), "within",
	    within, "escalations", (json_int_t)esc, "missed", res ==
	    SC_MISSED, "result", sc_results[res].name);
}

/* "it-lead: 3手順中 2件期限内、1件超過、エスカレーション1回 / it-lead: 2 of 3
 * steps on time, 1 late, 1 escalation": zero counts are left out. */
static char *
role_line(const struct sc_role *t)
{
	struct buf	ja = { 0 }, en = { 0 };
	char		*ja_s, *en_s, *line;
	size_t		 k;

	buf_printf(&ja, "%s: %zu手順中 %zu件期限内", t->role ? t->role :
	    "担当なし", t->steps, t->n[SC_ON_TIME]);
	buf_printf(&en, "%s: %zu of %zu steps on time", t->role ? t->role :
	    "unassigned", t->n[SC_ON_TIME], t->steps);
	for (k = SC_ON_TIME + 1; k < SC_NRESULTS; k++) {
		if (t->n[k] == 0)
			continue;
		buf_printf(&ja, "、%zu%s", t->n[k], sc_results[k].ja);
		buf_printf(&en, ", %zu%s", t->n[k], sc_results[k].en);
	}
	if (t->escalations > 0) {
		buf_printf(&ja, "、エスカレーション%zu回", t->escalations);
		buf_printf(&en, ", %zu escalation%s", t->escalations,
		    t->escalations == 1 ? "" : "s");
	}
	ja_s = buf_steal(&ja);
	en_s = buf_steal(&en);
	line = xprintf("%s / %s", ja_s, en_s);
	free(ja_s);
	free(en_s);
	return line;
}

static json_t *
role_json(const struct sc_role *t)
{
	json_t	*mean = json_null();
	char	*line = role_line(t);
	json_t	*o;

	if (t->took_n > 0)	/* rounded half up */
		mean = json_integer((t->took_sum * 2 + (int64_t)t->took_n) /
		    (2 * (int64_t)t->took_n));
	o = json_pack("{s:s?,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:s}", "role",
	    t->role, "steps", (json_int_t)t->steps, "on_time",
	    (json_int_t)t->n[SC_ON_TIME], "late", (json_int_t)t->n[SC_LATE],
	    "missed", (json_int_t)t->n[SC_MISSED], "skipped",
	    (json_int_t)t->n[SC_SKIPPED], "no_timeout",
	    (json_int_t)t->n[SC_NA], "escalations", (json_int_t)t->escalations,
	    "mean_took_s", mean, "text", line);
	free(line);
	return o;
}

/* Named roles in runbook order, then the steps no one was assigned. */
static json_t *
roles_json(const struct sc_roles *rs)
{
	json_t	*out = json_array();
	size_t	 i;

	for (i = 0; i < rs->n; i++)
		if (rs->v[i].role != NULL)
			json_array_append_new(out, role_json(&rs->v[i]));
	for (i = 0; i < rs->n; i++)
		if (rs->v[i].role == NULL)
			json_array_append_new(out, role_json(&rs->v[i]));
	return out;
}

static json_t *
overall_json(const struct sc_role *all)
{
	size_t	 scored = all->n[SC_ON_TIME] + all->n[SC_LATE] +
		    all->n[SC_MISSED];
	json_t	*pct = json_null();
	char	*text;
	json_t	*o;

	if (scored > 0)		/* rounded half up */
		pct = json_integer((json_int_t)((all->n[SC_ON_TIME] * 200 +
		    scored) / (2 * scored)));
	text = json_is_integer(pct) ? xprintf("総合: 評価対象%zu手順中 %zu"
	    "件期限内（%lld%%）、%zu件超過、%zu件未完了 / Overall: %zu of %zu "
	    "scored steps on time (%lld%%), %zu late, %zu missed", scored,
	    all->n[SC_ON_TIME], (long long)json_integer_value(pct),
	    all->n[SC_LATE], all->n[SC_MISSED], all->n[SC_ON_TIME], scored,
	    (long long)json_integer_value(pct), all->n[SC_LATE],
	    all->n[SC_MISSED]) : xstrdup("総合: 期限のある手順なし / Overall: "
	    "no step with a timeout to score");
	o = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:s}", "steps",
	    (json_int_t)all->steps, "scored", (json_int_t)scored, "on_time",
	    (json_int_t)all->n[SC_ON_TIME], "late", (json_int_t)all->n[SC_LATE],
	    "missed", (json_int_t)all->n[SC_MISSED], "skipped",
	    (json_int_t)all->n[SC_SKIPPED], "no_timeout",
	    (json_int_t)all->n[SC_NA], "escalations",
	    (json_int_t)all->escalations, "score_pct", pct, "text", text);
	free(text);
	return o;
}

/* Time to quota per role; short: how many people the quota still
 * lacked when it was never met (0 once met). */
static json_t *
assembly_json(json_t *assembly)
{
	json_t		*out = json_array(), *a;
	json_int_t	 need, have;
	size_t		 i;

	json_array_foreach(assembly, i, a) {
		int met = jget_str(a, "quota_met_at") != NULL;

		need = json_integer_value(json_object_get(a, "required"));
		have = json_integer_value(json_object_get(a, "available")) +
		    json_integer_value(json_object_get(a, "arrived"));
		json_array_append_new(out, json_pack("{s:O,s:O,s:I,s:O,s:b,"
		    "s:I}", "role", json_object_get(a, "role"), "step",
		    json_object_get(a, "step"), "required", need,
		    "time_to_quota_s", json_object_get(a, "time_to_quota_s"),
		    "met", met, "short", met || have >= need ? (json_int_t)0 :
		    need - have));
	}
	return out;
}

/* A system not recovered by the end of the incident missed its RTO even
 * if the deadline had not yet come. */
static json_t *
systems_json(json_t *systems, int over)
{
	json_t	*out = json_array(), *s, *met;
	size_t	 i;

	json_array_foreach(systems, i, s) {
		met = json_object_get(s, "met");
		if (met == NULL)
			met = json_null();
		if (json_is_null(met) && over && json_is_integer(
		    json_object_get(s, "rto_s")) && jget_str(s, "recovered_at") ==
		    NULL)
			met = json_false();
		json_array_append_new(out, json_pack("{s:O,s:O,s:O,s:O}",
		    "system", json_object_get(s, "id"), "rto_s",
		    json_object_get(s, "rto_s"), "achieved_s",
		    json_object_get(s, "achieved_s"), "met", met));
	}
	return out;
}

json_t *
report_score(json_t *rep)
{
	json_t		*inc = json_object_get(rep, "incident"), *s, *steps;
	json_t		*facts = step_facts(json_object_get(rep, "timeline"));
	struct sc_roles	 rs = { NULL, 0 };
	struct sc_role	 all;
	size_t		 i;
	int		 drill = json_is_true(json_object_get(inc, "drill"));
	json_t		*out;

	memset(&all, 0, sizeof all);
	steps = json_array();
	json_array_foreach(json_object_get(rep, "steps"), i, s)
		json_array_append_new(steps, score_step(s, facts, &rs, &all));
	out = json_pack("{s:b,s:s,s:o,s:o,s:o,s:o,s:o}", "drill", drill,
	    "label", drill ? "訓練評価 / Drill evaluation" :
	    "評価 / Evaluation", "steps", steps, "roles", roles_json(&rs),
	    "assembly", assembly_json(json_object_get(rep, "assembly")),
	    "systems", systems_json(json_object_get(rep, "systems"),
	    !same(jget_str(inc, "state"), "active") && !same(jget_str(inc, "state"),
	    "pending")), "overall", overall_json(&all));
	free(rs.v);
	json_decref(facts);
	return out;
}

/* A table cell: seconds as "1h30m", "-" for null. */
static json_t *
sc_secs(json_t *v)
{
	char	*s = json_is_integer(v) ? duration_fmt(json_integer_value(v)) :
		    xstrdup("-");
	json_t	*j = json_string(s);

	free(s);
	return j;
}

static json_t *
sc_text(const char *s)
{
	return json_string(s != NULL && *s != '\0' ? s : "-");
}

static json_t *
sc_table(const char *const *heads, json_t *rows)
{
	json_t *h = json_array();

	for (; *heads != NULL; heads++)
		json_array_append_new(h, json_string(*heads));
	return json_pack("{s:{s:o,s:o}}", "table", "head", h, "rows", rows);
}

static const char *
result_label(const char *name)
{
	size_t i;

	for (i = 0; i < SC_NRESULTS; i++)
		if (same(sc_results[i].name, name))
			return sc_results[i].label;
	return "-";
}

static json_t *
steps_table(json_t *score)
{
	static const char *const heads[] = { "ステップ / Step",
	    "件名 / Title", "役割 / Role", "所要 / Took", "期限 / Timeout",
	    "エスカレーション / Escalations", "判定 / Result", NULL };
	json_t	*rows = json_array(), *s;
	size_t	 i;

	json_array_foreach(json_object_get(score, "steps"), i, s)
		json_array_append_new(rows, json_pack("[o,o,o,o,o,o,s]",
		    sc_text(jget_str(s, "step")), sc_text(jget_str(s, "title")),
		    sc_text(jget_str(s, "role")), sc_secs(json_object_get(s,
		    "took_s")), sc_secs(json_object_get(s, "timeout_s")),
		    json_sprintf("%lld", (long long)json_integer_value(
		    json_object_get(s, "escalations"))), result_label(jget_str(s,
		    "result"))));
	return sc_table(heads, rows);
}

static json_t *
assembly_table(json_t *score)
{
	static const char *const heads[] = { "役割 / Role",
	    "ステップ / Step", "必要 / Required", "充足まで / Time to quota",
	    "不足 / Short", NULL };
	json_t	*rows = json_array(), *a;
	size_t	 i;

	json_array_foreach(json_object_get(score, "assembly"), i, a)
		json_array_append_new(rows, json_pack("[o,o,o,o,o]",
		    sc_text(jget_str(a, "role")), sc_text(jget_str(a, "step")),
		    json_sprintf("%lld", (long long)json_integer_value(
		    json_object_get(a, "required"))), json_is_true(
		    json_object_get(a, "met")) ? sc_secs(json_object_get(a,
		    "time_to_quota_s")) : json_string("未充足 / never met"),
		    json_sprintf("%lld", (long long)json_integer_value(
		    json_object_get(a, "short")))));
	return sc_table(heads, rows);
}

static json_t *
systems_table(json_t *score)
{
	static const char *const heads[] = { "システム / System",
	    "目標 / RTO", "実績 / Achieved", "判定 / Result", NULL };
	json_t		*rows = json_array(), *s, *met;
	const char	*res;
	size_t		 i;

	json_array_foreach(json_object_get(score, "systems"), i, s) {
		met = json_object_get(s, "met");
		res = json_is_true(met) ? "達成 / met" : json_is_false(met) ?
		    "未達 / missed" : !json_is_integer(json_object_get(s,
		    "rto_s")) ? "RTO 未設定 / no RTO in the plan" :
		    "未確定 / not yet known";
		json_array_append_new(rows, json_pack("[o,o,o,s]",
		    sc_text(jget_str(s, "system")), sc_secs(json_object_get(s,
		    "rto_s")), sc_secs(json_object_get(s, "achieved_s")), res));
	}
	return sc_table(heads, rows);
}

json_t *
report_score_doc(json_t *score)
{
	json_t	*blocks = json_array(), *lines = json_array(), *r;
	size_t	 i;

	json_array_append_new(blocks, json_pack("{s:O}", "para",
	    json_object_get(json_object_get(score, "overall"), "text")));
	json_array_foreach(json_object_get(score, "roles"), i, r)
		json_array_append(lines, json_object_get(r, "text"));
	if (json_array_size(lines) > 0) {
		json_array_append_new(blocks, json_pack("{s:s}", "para",
		    "役割ごと / Per role:"));
		json_array_append_new(blocks, json_pack("{s:O}", "list",
		    lines));
	}
	json_decref(lines);
	json_array_append_new(blocks, steps_table(score));
	if (json_array_size(json_object_get(score, "assembly")) > 0) {
		json_array_append_new(blocks, json_pack("{s:s}", "para",
		    "参集（充足までの時間） / Staff assembly (time to quota):"));
		json_array_append_new(blocks, assembly_table(score));
	}
	if (json_array_size(json_object_get(score, "systems")) > 0) {
		json_array_append_new(blocks, json_pack("{s:s}", "para",
		    "システムごとの RTO / RTO per system:"));
		json_array_append_new(blocks, systems_table(score));
	}
	return json_pack("{s:O,s:o}", "heading", json_object_get(score,
	    "label"), "blocks", blocks);
}
