/* The plan as a printable document (`plan report`): the guideline wants
 * paper copies kept off-site (1.1.5), so the HTML is self-contained and
 * prints on A4. Markdown and HTML share one walk over the plan through a
 * small writer ops table. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/docfmt.h"
#include "model/plan.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "common/ytree.h"

enum label {
	L_DOC_TITLE, L_OVERVIEW, L_ORG, L_SCOPE, L_REVIEW_EVERY,
	L_LAST_REVIEW, L_NEXT_REVIEW, L_GENERATED, L_CHECK, L_ERRORS,
	L_WARNINGS, L_SEP, L_FINDINGS, L_ERROR, L_WARNING, L_CRITERIA,
	L_GROUP, L_RTO, L_DEFAULT_LADDER, L_EVENTS, L_RESOURCE, L_ASSUMPTION,
	L_TYPE, L_TASKS, L_ID, L_TITLE, L_PRIORITY, L_ALTERNATIVE,
	L_SYSTEMS_USED, L_SYSTEMS, L_KIND, L_RLO, L_DEPENDS, L_SUPPORTS,
	L_LEVEL, L_COMPONENTS, L_MATRIX_NOTE, L_SYSTEM, L_GAPS, L_COMPONENT,
	L_CURRENT, L_TARGET, L_COUNTERMEASURES, L_NONE, L_CMS, L_DUE,
	L_STATUS, L_COST, L_DRILLS, L_EVERY, L_LAST, L_NEXT, L_OVERDUE,
	L_NEVER, L_OK, L_NOTE, L_OFFSITE, L_NO_ITEMS, L_NOT_SET, L_ITEM,
	L_VALUE
};

static const struct {
	const char	*en;
	const char	*ja;
} labels[] = {
	[L_DOC_TITLE] = { "IT continuity plan", "情報システム運用継続計画" },
	[L_OVERVIEW] = { "Overview", "計画の概要" },
	[L_ORG] = { "Organization", "組織" },
	[L_SCOPE] = { "Scope", "適用範囲" },
	[L_REVIEW_EVERY] = { "Review cycle", "見直し周期" },
	[L_LAST_REVIEW] = { "Last review", "前回見直し日" },
	[L_NEXT_REVIEW] = { "Next review due", "次回見直し期限" },
	[L_GENERATED] = { "Generated", "作成日時" },
	[L_CHECK] = { "Check", "点検結果" },
	[L_ERRORS] = { "errors", "エラー" },
	[L_WARNINGS] = { "warnings", "警告" },
	[L_SEP] = { ", ", "、" },
	[L_FINDINGS] = { "Findings", "点検で見つかった事項" },
	[L_ERROR] = { "error", "エラー" },
	[L_WARNING] = { "warning", "警告" },
	[L_CRITERIA] = { "Recovery priority and target levels",
	    "復旧優先度と目標対策レベル" },
	[L_GROUP] = { "Group", "復旧優先度" },
	[L_RTO] = { "RTO", "RTO（目標復旧時間）" },
	[L_DEFAULT_LADDER] = { "Target level", "目標対策レベル" },
	[L_EVENTS] = { "Crisis events and damage assumptions",
	    "危機的事象と被害想定" },
	[L_RESOURCE] = { "Resource", "被害想定対象" },
	[L_ASSUMPTION] = { "Assumption", "被害想定" },
	[L_TYPE] = { "Type", "種別" },
	[L_TASKS] = { "Priority business tasks", "非常時優先業務" },
	[L_ID] = { "ID", "ID" },
	[L_TITLE] = { "Title", "名称" },
	[L_PRIORITY] = { "Priority", "復旧優先度" },
	[L_ALTERNATIVE] = { "Alternative means", "代替手段" },
	[L_SYSTEMS_USED] = { "Systems", "利用する情報システム" },
	[L_SYSTEMS] = { "Information systems", "情報システムと復旧優先度" },
	[L_KIND] = { "Kind", "区分" },
	[L_RLO] = { "RLO", "RLO（目標復旧レベル）" },
	[L_DEPENDS] = { "Depends on", "依存先" },
	[L_SUPPORTS] = { "Supports", "支える業務" },
	[L_LEVEL] = { "Level (current/target)", "対策レベル（現状/目標）" },
	[L_COMPONENTS] = { "Countermeasure level per component",
	    "構成要素ごとの対策レベル" },
	[L_MATRIX_NOTE] = { "Each cell is current/target level; * marks a "
	    "gap; - a component not listed.", "各欄は「現状/目標」の対策レベル"
	    "。* は目標未達、- は対象外。" },
	[L_SYSTEM] = { "System", "情報システム" },
	[L_GAPS] = { "Gaps to the target levels", "目標対策レベルとの差異" },
	[L_COMPONENT] = { "Component", "構成要素" },
	[L_CURRENT] = { "Current", "現状" },
	[L_TARGET] = { "Target", "目標" },
	[L_COUNTERMEASURES] = { "Countermeasures", "事前対策" },
	[L_NONE] = { "none", "なし" },
	[L_CMS] = { "Pre-countermeasure plan", "事前対策計画" },
	[L_DUE] = { "Due", "期限" },
	[L_STATUS] = { "Status", "状況" },
	[L_COST] = { "Cost", "費用" },
	[L_DRILLS] = { "Training and drills", "教育訓練" },
	[L_EVERY] = { "Cycle", "実施周期" },
	[L_LAST] = { "Last held", "前回実施日" },
	[L_NEXT] = { "Next due", "次回期限" },
	[L_OVERDUE] = { "overdue", "期限超過" },
	[L_NEVER] = { "never held", "未実施" },
	[L_OK] = { "ok", "期限内" },
	[L_NOTE] = { "Note", "備考" },
	[L_OFFSITE] = { "Keep printed copies of this plan where the same "
	    "disaster will not reach them (guideline 1.1.5).",
	    "本計画は印刷し、同時に被災しない場所にも保管すること（ガイドライン"
	    " 1.1.5）。" },
	[L_NO_ITEMS] = { "None.", "なし。" },
	[L_NOT_SET] = { "-", "-" },
	[L_ITEM] = { "Item", "項目" },
	[L_VALUE] = { "Value", "内容" },
};

/* Names of the enums in each language, indexed like the name tables. */
static const char *const comp_en[] = { "Staff", "Operations", "Facility",
	"Network", "Peripherals", "Hardware", "Software", "System area",
	"Data area", "Contractors" };
static const char *const comp_ja[] = { "要員", "運用体制", "施設",
	"情報通信ネットワーク", "周辺機器", "ハードウェア", "ソフトウェア",
	"システム領域", "データ領域", "委託先" };
static const char *const res_en[] = { "Staff", "Building", "Transport",
	"Power", "Water", "Network", "Hardware", "Data", "Contractors" };
static const char *const res_ja[] = { "要員", "建物・設備", "交通インフラ",
	"電力", "水道", "情報通信ネットワーク", "情報システム機器", "データ",
	"委託先" };
static const char *const kind_ja[] = { "業務系", "基盤系", "外部サービス" };
static const char *const etype_ja[] = { "大規模災害",
	"情報セキュリティインシデント", "感染症", "その他" };
static const char *const status_ja[] = { "計画", "実施中", "完了", "中止" };
static const char *const dtype_ja[] = { "手順書確認訓練",
	"シナリオ非提示型訓練", "情報システム復旧訓練", "切替訓練" };

#define T(d, l)		((d)->ja ? labels[l].ja : labels[l].en)

static const char *
name_in(const struct doc *d, const char *const *en, const char *const *ja,
    int i)
{
	return d->ja ? ja[i] : en[i];
}

static const char html_style[] =
    "body{font-family:\"Noto Sans CJK JP\",\"Hiragino Kaku Gothic ProN\","
    "\"Yu Gothic\",Meiryo,sans-serif;font-size:10.5pt;line-height:1.5;"
    "margin:2em;color:#000;background:#fff}\n"
    "h1{font-size:18pt;border-bottom:2px solid #000;padding-bottom:.2em}\n"
    "h2{font-size:14pt;margin-top:1.6em;border-bottom:1px solid #444}\n"
    "h3{font-size:12pt;margin-top:1.2em}\n"
    "table{border-collapse:collapse;width:100%;margin:.5em 0 1em}\n"
    "th,td{border:1px solid #444;padding:2px 6px;text-align:left;"
    "vertical-align:top}\n"
    "th{background:#e8e8e8}\n"
    "footer{margin-top:2em;font-size:9pt;border-top:1px solid #444}\n"
    "@page{size:A4;margin:15mm}\n"
    "@media print{body{margin:0;font-size:9pt}"
    "h1,h2,h3{break-after:avoid;page-break-after:avoid}"
    "tr,li{break-inside:avoid;page-break-inside:avoid}"
    "thead{display:table-header-group}"
    "th{-webkit-print-color-adjust:exact;print-color-adjust:exact}}\n";

static const char *
or_dash(const struct doc *d, const char *s)
{
	return s != NULL && *s != '\0' ? s : T(d, L_NOT_SET);
}

static void
cell_dur(const struct doc *d, struct doc_row *r, int64_t v)
{
	char *s;

	if (v == PLAN_NONE) {
		doc_cell(r, "%s", T(d, L_NOT_SET));
		return;
	}
	s = duration_fmt_years(v);
	doc_cell(r, "%s", s);
	free(s);
}

static void
cell_date(const struct doc *d, struct doc_row *r, int64_t ms)
{
	char buf[16];

	doc_cell(r, "%s", ms == PLAN_NONE ? T(d, L_NOT_SET) :
	    plan_date_fmt(ms, buf, sizeof buf));
}

static void
cell_ids(const struct doc *d, struct doc_row *r, char *const *v)
{
	struct buf	b = { 0 };
	size_t		i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", v[i]);
	doc_cell(r, "%s", b.s != NULL ? b.s : T(d, L_NOT_SET));
	buf_free(&b);
}

static void
head_row(struct doc *d, const enum label *cols, size_t n)
{
	struct doc_row	r = { .n = 0 };
	size_t		i;

	doc_table(d, 1);
	for (i = 0; i < n; i++)
		doc_cell(&r, "%s", T(d, cols[i]));
	doc_row_emit(d, &r, 1);
}

static void
kv_row(struct doc *d, enum label k, const char *v)
{
	struct doc_row r = { .n = 0 };

	doc_cell(&r, "%s", T(d, k));
	doc_cell(&r, "%s", or_dash(d, v));
	doc_row_emit(d, &r, 0);
}

struct rctx {
	struct doc		*d;
	const struct plan	*p;
	struct plan_eval	*ev;
	json_t			*check;
	int64_t			 now;
};

static void
sec_overview(struct rctx *c)
{
	const struct plan_header	*h = &c->p->hdr;
	struct doc			*d = c->d;
	static const enum label		 cols[] = { L_ITEM, L_VALUE };
	char				 d1[16], d2[16], *every, *res;
	size_t				 ne, nw;

	doc_heading(d, 2, T(d, L_OVERVIEW));
	head_row(d, cols, 2);
	kv_row(d, L_ORG, h->organization);
	kv_row(d, L_SCOPE, h->scope);
	every = duration_fmt_years(h->review_every);
	kv_row(d, L_REVIEW_EVERY, every);
	free(every);
	kv_row(d, L_LAST_REVIEW, h->last_review == PLAN_NONE ? NULL :
	    plan_date_fmt(h->last_review, d1, sizeof d1));
	kv_row(d, L_NEXT_REVIEW, h->last_review == PLAN_NONE ? NULL :
	    plan_date_fmt(h->last_review + h->review_every * 1000, d2,
	    sizeof d2));
	res = rfc3339(c->now);
	kv_row(d, L_GENERATED, res);
	free(res);
	plan_check_counts(c->check, &ne, &nw);
	res = xprintf("%s %zu%s%s %zu", T(d, L_ERRORS), ne, T(d, L_SEP),
	    T(d, L_WARNINGS), nw);
	kv_row(d, L_CHECK, res);
	free(res);
	doc_table(d, 0);
	if (h->note != NULL)
		doc_para(d, h->note);
}

static void
sec_findings(struct rctx *c)
{
	static const char *const kinds[] = { "errors", "warnings" };
	static const enum label	 lab[] = { L_ERROR, L_WARNING };
	struct doc		*d = c->d;
	const json_t		*arr, *f;
	char			*s;
	size_t			 k, i, ne, nw;

	plan_check_counts(c->check, &ne, &nw);
	if (ne + nw == 0)
		return;
	doc_heading(d, 2, T(d, L_FINDINGS));
	doc_list(d, 1);
	for (k = 0; k < 2; k++) {
		arr = json_object_get(c->check, kinds[k]);
		json_array_foreach(arr, i, f) {
			s = xprintf("%s [%s] %s", T(d, lab[k]),
			    json_string_value(json_object_get(f, "code")),
			    json_string_value(json_object_get(f, "message")));
			doc_item(d, s);
			free(s);
		}
	}
	doc_list(d, 0);
}

static int
has_ladder(const struct plan *p, int comp)
{
	int g;

	for (g = 0; g < PLAN_NPRIO; g++)
		if (p->levels[1 + comp][g] != 0)
			return 1;
	return 0;
}

/* Table 2.5-1 and 2.6-2 as this plan configures them. */
static void
sec_criteria(struct rctx *c)
{
	struct doc	*d = c->d;
	struct doc_row	 r = { .n = 0 };
	char		*lo, *hi;
	int		 g, k;

	doc_heading(d, 2, T(d, L_CRITERIA));
	doc_table(d, 1);
	doc_cell(&r, "%s", T(d, L_GROUP));
	doc_cell(&r, "%s", T(d, L_RTO));
	doc_cell(&r, "%s", T(d, L_DEFAULT_LADDER));
	for (k = 0; k < PLAN_NCOMP; k++)
		if (has_ladder(c->p, k))
			doc_cell(&r, "%s", name_in(d, comp_en, comp_ja, k));
	doc_row_emit(d, &r, 1);
	for (g = 0; g < PLAN_NPRIO; g++) {
		doc_cell(&r, "%s", plan_prio_names[g]);
		lo = g == 0 ? xstrdup("0") : duration_fmt_years(c->p->prio_max[
		    g - 1]);
		hi = g < PRIO_E ? duration_fmt_years(c->p->prio_max[g]) : NULL;
		if (hi != NULL)
			doc_cell(&r, "%s - %s", lo, hi);
		else
			doc_cell(&r, "> %s", lo);
		free(lo);
		free(hi);
		doc_cell(&r, "%d", c->p->levels[0][g]);
		for (k = 0; k < PLAN_NCOMP; k++)
			if (has_ladder(c->p, k))
				doc_cell(&r, "%d", plan_target_level(c->p, k, g));
		doc_row_emit(d, &r, 0);
	}
	doc_table(d, 0);
}

static void
sec_events(struct rctx *c)
{
	static const enum label	 cols[] = { L_RESOURCE, L_ASSUMPTION };
	const struct plan_event	*e;
	struct doc		*d = c->d;
	struct doc_row		 r = { .n = 0 };
	char			*s;
	size_t			 i;
	int			 k;

	if (c->p->nevents == 0)
		return;
	doc_heading(d, 2, T(d, L_EVENTS));
	for (i = 0; i < c->p->nevents; i++) {
		e = &c->p->events[i];
		s = xprintf("%s (%s: %s)", e->title, e->id,
		    name_in(d, plan_etype_names, etype_ja, e->type));
		doc_heading(d, 3, s);
		free(s);
		head_row(d, cols, 2);
		for (k = 0; k < PLAN_NRES; k++) {
			if (e->assumptions[k] == NULL)
				continue;
			doc_cell(&r, "%s", name_in(d, res_en, res_ja, k));
			doc_cell(&r, "%s", e->assumptions[k]);
			doc_row_emit(d, &r, 0);
		}
		doc_table(d, 0);
		if (e->note != NULL)
			doc_para(d, e->note);
	}
}

static void
sec_tasks(struct rctx *c)
{
	static const enum label	 cols[] = { L_ID, L_TITLE, L_RTO, L_PRIORITY,
				    L_ALTERNATIVE, L_SYSTEMS_USED };
	const struct plan_task	*t;
	struct doc		*d = c->d;
	struct doc_row		 r = { .n = 0 };
	struct buf		 b = { 0 };
	size_t			 i, k;
	int			 g;

	doc_heading(d, 2, T(d, L_TASKS));
	if (c->p->ntasks == 0) {
		doc_para(d, T(d, L_NO_ITEMS));
		return;
	}
	head_row(d, cols, 6);
	for (i = 0; i < c->p->ntasks; i++) {
		t = &c->p->tasks[i];
		doc_cell(&r, "%s", t->id);
		doc_cell(&r, "%s", t->title);
		cell_dur(d, &r, t->rto);
		g = plan_priority(c->p, t->rto);
		doc_cell(&r, "%s", g < 0 ? T(d, L_NOT_SET) : plan_prio_names[g]);
		doc_cell(&r, "%s", or_dash(d, t->alternative));
		for (k = 0; k < c->p->nsystems; k++)
			if (strv_has(c->p->systems[k].supports, t->id))
				buf_printf(&b, "%s%s", b.len ? ", " : "",
				    c->p->systems[k].id);
		doc_cell(&r, "%s", b.s != NULL ? b.s : T(d, L_NOT_SET));
		buf_free(&b);
		doc_row_emit(d, &r, 0);
	}
	doc_table(d, 0);
}

struct order {
	int	 prio;
	size_t	 i;
};

static int
order_cmp(const void *a, const void *b)
{
	const struct order *x = a, *y = b;

	/* Highest priority first, unknown last, then as the plan lists. */
	if (x->prio != y->prio)
		return (unsigned)x->prio < (unsigned)y->prio ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

static struct order *
systems_by_priority(const struct rctx *c)
{
	struct order	*o = xcalloc(c->p->nsystems, sizeof *o);
	size_t		 i;

	for (i = 0; i < c->p->nsystems; i++) {
		o[i].prio = c->ev->sys[i].prio;
		o[i].i = i;
	}
	if (c->p->nsystems > 1)
		qsort(o, c->p->nsystems, sizeof *o, order_cmp);
	return o;
}

static void
sec_systems(struct rctx *c)
{
	static const enum label		 cols[] = { L_ID, L_TITLE, L_KIND,
					    L_RTO, L_PRIORITY, L_RLO,
					    L_DEPENDS, L_SUPPORTS, L_LEVEL };
	const struct plan_system	*s;
	const struct plan_sysinfo	*si;
	struct doc			*d = c->d;
	struct doc_row			 r = { .n = 0 };
	struct order			*o;
	size_t				 i;

	doc_heading(d, 2, T(d, L_SYSTEMS));
	if (c->p->nsystems == 0) {
		doc_para(d, T(d, L_NO_ITEMS));
		return;
	}
	o = systems_by_priority(c);
	head_row(d, cols, 9);
	for (i = 0; i < c->p->nsystems; i++) {
		s = &c->p->systems[o[i].i];
		si = &c->ev->sys[o[i].i];
		doc_cell(&r, "%s", s->id);
		doc_cell(&r, "%s", s->title);
		doc_cell(&r, "%s", name_in(d, plan_kind_names, kind_ja, s->kind));
		cell_dur(d, &r, si->rto);
		doc_cell(&r, "%s", si->prio < 0 ? T(d, L_NOT_SET) :
		    plan_prio_names[si->prio]);
		doc_cell(&r, "%s", or_dash(d, s->rlo));
		cell_ids(d, &r, s->depends_on);
		cell_ids(d, &r, s->supports);
		if (si->current == 0 && si->target == 0)
			doc_cell(&r, "%s", T(d, L_NOT_SET));
		else if (si->current == 0)
			doc_cell(&r, "-/%d", si->target);
		else
			doc_cell(&r, "%d/%d", si->current, si->target);
		doc_row_emit(d, &r, 0);
	}
	doc_table(d, 0);
	free(o);
}

/* Table 2.6-1 by system: where each one falls short at a glance. */
static void
sec_matrix(struct rctx *c)
{
	const struct plan_system	*s;
	struct doc			*d = c->d;
	struct doc_row			 r = { .n = 0 };
	struct order			*o;
	size_t				 i;
	int				 k, t;

	if (c->p->nsystems == 0)
		return;
	doc_heading(d, 2, T(d, L_COMPONENTS));
	doc_para(d, T(d, L_MATRIX_NOTE));
	doc_table(d, 1);
	doc_cell(&r, "%s", T(d, L_SYSTEM));
	for (k = 0; k < PLAN_NCOMP; k++)
		doc_cell(&r, "%s", name_in(d, comp_en, comp_ja, k));
	doc_row_emit(d, &r, 1);
	o = systems_by_priority(c);
	for (i = 0; i < c->p->nsystems; i++) {
		s = &c->p->systems[o[i].i];
		doc_cell(&r, "%s", s->id);
		for (k = 0; k < PLAN_NCOMP; k++) {
			t = c->ev->sys[o[i].i].targets[k];
			if (s->components[k] == 0)
				doc_cell(&r, "-");
			else if (t == 0)
				doc_cell(&r, "%d", s->components[k]);
			else
				doc_cell(&r, "%d/%d%s", s->components[k], t,
				    s->components[k] < t ? " *" : "");
		}
		doc_row_emit(d, &r, 0);
	}
	doc_table(d, 0);
	free(o);
}

static void
sec_gaps(struct rctx *c)
{
	static const enum label	 cols[] = { L_PRIORITY, L_SYSTEM, L_COMPONENT,
				    L_CURRENT, L_TARGET, L_COUNTERMEASURES };
	const struct plan_gap	*g;
	struct doc		*d = c->d;
	struct doc_row		 r = { .n = 0 };
	struct buf		 b = { 0 };
	size_t			 i, k;

	doc_heading(d, 2, T(d, L_GAPS));
	if (c->ev->ngaps == 0) {
		doc_para(d, T(d, L_NO_ITEMS));
		return;
	}
	head_row(d, cols, 6);
	for (i = 0; i < c->ev->ngaps; i++) {
		g = &c->ev->gaps[i];
		doc_cell(&r, "%s", plan_prio_names[g->prio]);
		doc_cell(&r, "%s (%s)", c->p->systems[g->sys].title, g->system);
		doc_cell(&r, "%s", name_in(d, comp_en, comp_ja, g->comp));
		doc_cell(&r, "%d", g->current);
		doc_cell(&r, "%d", g->target);
		for (k = 0; k < c->p->ncms; k++)
			if (strcmp(c->p->cms[k].system, g->system) == 0 &&
			    c->p->cms[k].component == g->comp)
				buf_printf(&b, "%s%s", b.len ? ", " : "",
				    c->p->cms[k].id);
		doc_cell(&r, "%s", b.s != NULL ? b.s : T(d, L_NONE));
		buf_free(&b);
		doc_row_emit(d, &r, 0);
	}
	doc_table(d, 0);
}

/* 45000000 reads as 45,000,000 on paper. */
static void
cell_cost(struct doc_row *r, int64_t cost)
{
	char	digits[24], out[32];
	size_t	i, n, k = 0;

	snprintf(digits, sizeof digits, "%lld", (long long)cost);
	n = strlen(digits);
	for (i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			out[k++] = ',';
		out[k++] = digits[i];
	}
	out[k] = '\0';
	doc_cell(r, "%s", out);
}

static int
cm_prio(const struct rctx *c, const struct plan_cm *cm)
{
	int s = plan_find_system(c->p, cm->system);

	return s == -1 ? -1 : c->ev->sys[s].prio;
}

static void
cm_row(struct rctx *c, const struct plan_cm *cm, int prio)
{
	struct doc	*d = c->d;
	struct doc_row	 r = { .n = 0 };

	doc_cell(&r, "%s", prio < 0 ? T(d, L_NOT_SET) : plan_prio_names[prio]);
	doc_cell(&r, "%s", cm->id);
	doc_cell(&r, "%s", or_dash(d, cm->title));
	doc_cell(&r, "%s", cm->system);
	doc_cell(&r, "%s", name_in(d, comp_en, comp_ja, cm->component));
	doc_cell(&r, "%d", cm->target);
	cell_date(d, &r, cm->due);
	doc_cell(&r, "%s", name_in(d, plan_status_names, status_ja, cm->status));
	if (cm->cost == PLAN_NONE)
		doc_cell(&r, "%s", T(d, L_NOT_SET));
	else
		cell_cost(&r, cm->cost);
	doc_row_emit(d, &r, 0);
}

/* 2.7.2(1)-2: the plan lists high-priority systems first. */
static void
sec_countermeasures(struct rctx *c)
{
	static const enum label	 cols[] = { L_PRIORITY, L_ID, L_TITLE,
				    L_SYSTEM, L_COMPONENT, L_TARGET, L_DUE,
				    L_STATUS, L_COST };
	struct doc		*d = c->d;
	struct order		*o;
	size_t			 i;

	doc_heading(d, 2, T(d, L_CMS));
	if (c->p->ncms == 0) {
		doc_para(d, T(d, L_NO_ITEMS));
		return;
	}
	o = xcalloc(c->p->ncms, sizeof *o);
	for (i = 0; i < c->p->ncms; i++) {
		o[i].prio = cm_prio(c, &c->p->cms[i]);
		o[i].i = i;
	}
	qsort(o, c->p->ncms, sizeof *o, order_cmp);
	head_row(d, cols, 9);
	for (i = 0; i < c->p->ncms; i++)
		cm_row(c, &c->p->cms[o[i].i], o[i].prio);
	doc_table(d, 0);
	free(o);
}

static void
sec_drills(struct rctx *c)
{
	static const enum label	 cols[] = { L_TYPE, L_EVERY, L_LAST, L_NEXT,
				    L_STATUS };
	const struct plan_drill	*dr;
	struct doc		*d = c->d;
	struct doc_row		 r = { .n = 0 };
	int64_t			 next;
	size_t			 i;

	if (c->p->ndrills == 0)
		return;
	doc_heading(d, 2, T(d, L_DRILLS));
	head_row(d, cols, 5);
	for (i = 0; i < c->p->ndrills; i++) {
		dr = &c->p->drills[i];
		next = dr->last == PLAN_NONE ? PLAN_NONE :
		    dr->last + dr->every * 1000;
		doc_cell(&r, "%s", name_in(d, plan_dtype_names, dtype_ja,
		    dr->type));
		cell_dur(d, &r, dr->every);
		cell_date(d, &r, dr->last);
		cell_date(d, &r, next);
		doc_cell(&r, "%s", next == PLAN_NONE ? T(d, L_NEVER) :
		    c->now >= next + 86400 * 1000LL ? T(d, L_OVERDUE) :
		    T(d, L_OK));
		doc_row_emit(d, &r, 0);
	}
	doc_table(d, 0);
}

static void (*const sections[])(struct rctx *) = {
	sec_overview,
	sec_findings,
	sec_criteria,
	sec_events,
	sec_tasks,
	sec_systems,
	sec_matrix,
	sec_gaps,
	sec_countermeasures,
	sec_drills,
};

char *
plan_report(const struct plan *p, const char *format, int64_t now_ms,
    const char **why)
{
	struct doc	 d = { .ja = plan_is_japanese(p) };
	struct rctx	 c = { &d, p, NULL, NULL, now_ms };
	char		*title;
	size_t		 i;

	if (format == NULL || strcmp(format, "md") == 0)
		d.fmt = DOC_MD;
	else if (strcmp(format, "html") == 0)
		d.fmt = DOC_HTML;
	else {
		if (why != NULL)
			*why = "plan report: the format is md or html";
		return NULL;
	}
	d.lang = d.ja ? "ja" : "en";
	d.style = html_style;
	d.footer = T(&d, L_OFFSITE);
	d.br = 1;
	c.ev = plan_eval(p);
	c.check = plan_check(p, now_ms);
	title = p->hdr.title != NULL ? xstrdup(p->hdr.title) :
	    xprintf("%s %s", p->hdr.organization, T(&d, L_DOC_TITLE));
	doc_begin(&d, title);
	free(title);
	for (i = 0; i < sizeof sections / sizeof sections[0]; i++)
		sections[i](&c);
	doc_end(&d);
	plan_eval_free(c.ev);
	json_decref(c.check);
	return buf_steal(&d.b);
}
