/* The post-incident review as a document: Markdown, or HTML that is
 * self-contained (no external assets) and prints on A4, since reviews
 * are filed on paper (guideline 2.9.2) and a printed copy must survive
 * the loss of the systems that made it. One walk over the report object
 * drives either writer through a small ops table. Headings carry both
 * languages; times are local, with their offset. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/jsonutil.h"
#include "common/duration.h"
#include "common/docfmt.h"
#include "model/report.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"

static const char none_text[] = "なし / None.";
static const char footer_text[] =
    "この報告は keizoku の監査ログ（ハッシュチェーン）から作成した。印刷した"
    "写しは上記のハッシュを keizoku verify および keizoku log の結果と照合"
    "して確認できる。 / Generated from keizoku's hash-chained audit log; "
    "check a printed copy by comparing the hashes above with keizoku verify "
    "and keizoku log.";

static const char html_style[] =
    "body{font-family:\"Noto Sans CJK JP\",\"Noto Sans JP\","
    "\"Hiragino Kaku Gothic ProN\",\"Yu Gothic\",Meiryo,sans-serif;"
    "font-size:10.5pt;line-height:1.5;margin:2em;color:#000;"
    "background:#fff}\n"
    "h1{font-size:17pt;border-bottom:2px solid #000;padding-bottom:.2em}\n"
    "h2{font-size:13pt;margin-top:1.6em;border-bottom:1px solid #444}\n"
    "table{border-collapse:collapse;width:100%;margin:.5em 0 1em}\n"
    "th,td{border:1px solid #444;padding:2px 6px;text-align:left;"
    "vertical-align:top;overflow-wrap:break-word}\n"
    "th{background:#e8e8e8}\n"
    "pre{background:#f4f4f4;border:1px solid #999;padding:.5em;"
    "white-space:pre-wrap;overflow-wrap:anywhere;font-size:9pt}\n"
    ".banner{border:3px solid #b00;color:#b00;font-weight:bold;"
    "padding:.4em .8em;margin:1em 0}\n"
    "footer{margin-top:2em;font-size:9pt;border-top:1px solid #444}\n"
    "@page{size:A4;margin:15mm}\n"
    "@media print{body{margin:0;font-size:8.5pt}"
    "h1,h2{break-after:avoid;page-break-after:avoid}"
    "tr,li{break-inside:avoid;page-break-inside:avoid}"
    "thead{display:table-header-group}"
    "th,.banner{-webkit-print-color-adjust:exact;"
    "print-color-adjust:exact}}\n";

/* A header row from a NULL-terminated list of labels. */
static void
head_row(struct doc *d, const char *const *labels)
{
	struct doc_row r = { { NULL }, 0 };

	doc_table(d, 1);
	for (; *labels != NULL; labels++)
		doc_cell(&r, "%s", *labels);
	doc_row_emit(d, &r, 1);
}

static const char *
dash(const char *s)
{
	return s != NULL && *s != '\0' ? s : "-";
}

/* "2026-11-20 12:12:00 +09:00" in the local zone; "-" for none. */
static char *
when(const char *rfc)
{
	struct tm	tm;
	time_t		t;
	int64_t		ms;
	char		base[32], off[8];

	if (rfc == NULL || rfc3339_parse(rfc, &ms) == -1)
		return xstrdup("-");
	t = (time_t)(ms / 1000);
	localtime_r(&t, &tm);
	strftime(base, sizeof base, "%Y-%m-%d %H:%M:%S", &tm);
	strftime(off, sizeof off, "%z", &tm);
	if (strlen(off) == 5)
		return xprintf("%s %.3s:%s", base, off, off + 3);
	return xprintf("%s %s", base, off);
}

static char *
when_of(json_t *o, const char *k)
{
	return when(jget_str(o, k));
}

/* Seconds as "1h30m"; "-" for null. */
static char *
secs(json_t *v)
{
	return json_is_integer(v) ? duration_fmt(json_integer_value(v)) :
	    xstrdup("-");
}

static char *
scalar(json_t *v)
{
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (v == NULL || json_is_null(v))
		return xstrdup("-");
	return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
}

/* "佐藤 次郎 (sato)": a person by name, with the id the log uses; the
 * id alone for who is not in the roster (root, keizokud, hook:...). */
static char *
who(json_t *rep, const char *id)
{
	const char *name = json_string_value(json_object_get(
	    json_object_get(rep, "people"), id != NULL ? id : ""));

	if (id == NULL || *id == '\0')
		return xstrdup("-");
	if (name == NULL)
		return xstrdup(id);
	return xprintf("%s (%s)", name, id);
}

/* "田中 太郎 (tanaka)" or "山田 (yamada)（伊藤 (ito) の代理 / on behalf
 * of ...）". */
static char *
actor(json_t *rep, json_t *e)
{
	const char	*b = jget_str(e, "on_behalf");
	char		*a = who(rep, jget_str(e, "actor")), *bb, *s;

	if (b == NULL)
		return a;
	bb = who(rep, b);
	s = xprintf("%s（%s の代理 / on behalf of %s）", a, bb, bb);
	free(a);
	free(bb);
	return s;
}

static void
kv(struct doc *d, const char *label, char *value)
{
	struct doc_row r = { { NULL }, 0 };

	doc_cell(&r, "%s", label);
	doc_cell_own(&r, value);
	doc_row_emit(d, &r, 0);
}

static void
summary(struct doc *d, json_t *rep)
{
	static const char *const heads[] = { "項目 / Item", "内容 / Value",
	    NULL };
	json_t		*inc = json_object_get(rep, "incident");
	const char	*ver = jget_str(inc, "runbook_version");

	if (json_is_true(json_object_get(inc, "drill")))
		doc_banner(d, "訓練 / DRILL — この報告は訓練のものであり、"
		    "実際の危機的事象ではない。 / This incident was a drill, "
		    "not a real crisis.");
	head_row(d, heads);
	kv(d, "インシデント / Incident", xprintf("#%lld",
	    (long long)json_integer_value(json_object_get(inc, "id"))));
	kv(d, "件名 / Title", xstrdup(dash(jget_str(inc, "title"))));
	kv(d, "状態 / State", xstrdup(dash(jget_str(inc, "state"))));
	/* The version prefix names the runbook text the incident ran. */
	kv(d, "ランブック / Runbook", ver != NULL ? xprintf("%s (%.12s) %s",
	    dash(jget_str(inc, "runbook")), ver, dash(jget_str(inc, "runbook_title"))) :
	    xstrdup(dash(jget_str(inc, "runbook"))));
	kv(d, "種別 / Kind", xstrdup(dash(jget_str(inc, "kind"))));
	kv(d, "作業実施責任者 / Owner", xstrdup(dash(jget_str(inc, "owner"))));
	kv(d, "開始 / Started", when_of(inc, "started_at"));
	kv(d, "解除 / Closed", jget_str(inc, "closed_at") ? when_of(inc,
	    "closed_at") : xstrdup("対応中 / still open"));
	kv(d, "所要時間 / Duration", secs(json_object_get(inc,
	    "duration_s")));
	kv(d, "備考 / Note", xstrdup(dash(jget_str(inc, "note"))));
	kv(d, "作成日時 / Generated", when_of(rep, "generated_at"));
	if (jget_str(rep, "timezone") != NULL)
		kv(d, "時刻の表記 / Times in", xstrdup(jget_str(rep,
		    "timezone")));
	doc_table(d, 0);
}

static const struct {
	const char	*kind;
	const char	*label;
} item_kinds[] = {
	{ "step", "ステップ / step" },
	{ "exception", "例外措置 / exception" },
	{ "notification", "通知 / notification" },
	{ "system", "システム / system" },
};

static void
open_items(struct doc *d, json_t *rep)
{
	json_t	*items = json_object_get(rep, "open_items"), *v;
	size_t	 i, k;

	doc_heading(d, 2, "未完了事項 / Open items");
	if (json_array_size(items) == 0) {
		doc_para(d, none_text);
		return;
	}
	doc_list(d, 1);
	json_array_foreach(items, i, v) {
		const char	*label = jget_str(v, "kind");
		char		*id = scalar(json_object_get(v, "id"));
		char		*due = when_of(v, "due_at"), *s;

		for (k = 0; k < sizeof item_kinds / sizeof item_kinds[0]; k++)
			if (strcmp(item_kinds[k].kind, label) == 0)
				label = item_kinds[k].label;
		s = xprintf("%s %s: %s (%s)%s%s", label, id, dash(jget_str(v,
		    "title")), dash(jget_str(v, "state")), jget_str(v, "due_at") ?
		    " — 期限 / due " : "", jget_str(v, "due_at") ? due : "");
		doc_item(d, s);
		free(s);
		free(due);
		free(id);
	}
	doc_list(d, 0);
}

/* "2026-… by tanaka" for an event reference; NULL if it did not happen. */
static char *
event_line(json_t *rep, json_t *ref)
{
	char *t, *s, *by;

	if (!json_is_object(ref))
		return NULL;
	t = when_of(ref, "at");
	by = who(rep, jget_str(ref, "by"));
	s = xprintf("%s — %s%s%s", t, by, jget_str(ref, "note") ? ": " : "",
	    jget_str(ref, "note") ? jget_str(ref, "note") : "");
	free(by);
	free(t);
	return s;
}

static void
activation(struct doc *d, json_t *rep)
{
	static const char *const heads[] = { "項目 / Item", "内容 / Value",
	    NULL };
	static const struct {
		const char	*key;
		const char	*label;
	} evs[] = {
		{ "pending", "発動基準の充足 / Criteria met (pending)" },
		{ "confirmed", "発動確認 / Confirmed" },
		{ "activated", "発動 / Activated" },
		{ "closed", "発動解除 / Closed" },
	};
	json_t	*a = json_object_get(rep, "activation");
	json_t	*trig = json_object_get(a, "trigger");
	size_t	 i;
	char	*s;

	doc_heading(d, 2, "発動 / Trigger and activation");
	head_row(d, heads);
	kv(d, "発動方法 / How", strcmp(dash(jget_str(a, "how")), "trigger") == 0 ?
	    xprintf("監視からの通知 / trigger from %s", dash(jget_str(a,
	    "source"))) : xstrdup("手動 / manual"));
	kv(d, "発動者 / Activated by", who(rep, jget_str(a, "activated_by")));
	if (jget_str(a, "confirm_by") != NULL)
		kv(d, "確認者 / Confirmed by role", xstrdup(jget_str(a,
		    "confirm_by")));
	for (i = 0; i < sizeof evs / sizeof evs[0]; i++)
		if ((s = event_line(rep, json_object_get(a, evs[i].key))) !=
		    NULL)
			kv(d, evs[i].label, s);
	kv(d, "再通知 / Trigger repeats", xprintf("%lld",
	    (long long)json_integer_value(json_object_get(a,
	    "trigger_repeats"))));
	doc_table(d, 0);
	if (json_is_object(trig) || json_is_array(trig)) {
		/* 15 digits: 35.7, not 35.700000000000003. */
		s = json_dumps(trig, JSON_INDENT(2) | JSON_SORT_KEYS |
		    JSON_REAL_PRECISION(15));
		doc_para(d, "発動条件の通知 / Trigger document:");
		doc_code(d, s);
		free(s);
	}
}

static const char *
step_result(json_t *s)
{
	json_t *w = json_object_get(s, "within_timeout");

	if (json_is_true(w))
		return "期限内 / within";
	if (json_is_false(w))
		return "超過 / over";
	if (json_is_true(json_object_get(s, "overdue")))
		return "期限超過中 / overdue";
	return "-";
}

static void
steps(struct doc *d, json_t *rep)
{
	static const char *const heads[] = { "ID", "件名 / Title",
	    "種別 / Type", "状態 / State", "実施者 / By", "着手可 / Ready",
	    "完了 / Done", "所要 / Took", "期限 / Timeout", "判定 / Result",
	    NULL };
	struct doc_row	 r = { { NULL }, 0 };
	json_t		*v;
	size_t		 i;
	int		 notes = 0;

	doc_heading(d, 2, "ステップ（着手可→完了の所要時間と期限） / Steps "
	    "(ready → done against timeouts)");
	head_row(d, heads);
	json_array_foreach(json_object_get(rep, "steps"), i, v) {
		doc_cell(&r, "%s", dash(jget_str(v, "id")));
		doc_cell(&r, "%s", dash(jget_str(v, "title")));
		doc_cell(&r, "%s", dash(jget_str(v, "type")));
		doc_cell(&r, "%s", dash(jget_str(v, "state")));
		doc_cell_own(&r, who(rep, jget_str(v, "done_by") ?
		    jget_str(v, "done_by") : jget_str(v, "acked_by") ?
		    jget_str(v, "acked_by") : jget_str(v,
		    "assignee")));
		doc_cell_own(&r, when_of(v, "ready_at"));
		doc_cell_own(&r, when_of(v, "done_at"));
		doc_cell_own(&r, secs(json_object_get(v, "duration_s")));
		doc_cell_own(&r, secs(json_object_get(v, "timeout_s")));
		doc_cell(&r, "%s", step_result(v));
		doc_row_emit(d, &r, 0);
	}
	doc_table(d, 0);
	json_array_foreach(json_object_get(rep, "steps"), i, v) {
		char *s;

		if (jget_str(v, "note") == NULL)
			continue;
		if (!notes++) {
			doc_para(d, "備考 / Notes:");
			doc_list(d, 1);
		}
		s = xprintf("%s: %s", dash(jget_str(v, "id")), jget_str(v, "note"));
		doc_item(d, s);
		free(s);
	}
	if (notes)
		doc_list(d, 0);
}

static void
timeline(struct doc *d, json_t *rep)
{
	static const char *const heads[] = { "#", "日時 / Time",
	    "実行者 / Actor", "イベント / Event", "ステップ / Step",
	    "内容 / Text", NULL };
	struct doc_row	 r = { { NULL }, 0 };
	json_t		*e;
	size_t		 i;

	doc_heading(d, 2, "タイムライン / Timeline");
	head_row(d, heads);
	json_array_foreach(json_object_get(rep, "timeline"), i, e) {
		doc_cell(&r, "%lld", (long long)json_integer_value(
		    json_object_get(e, "seq")));
		doc_cell_own(&r, when_of(e, "at"));
		doc_cell_own(&r, actor(rep, e));
		doc_cell(&r, "%s", dash(jget_str(e, "type")));
		doc_cell(&r, "%s", dash(jget_str(e, "step")));
		doc_cell(&r, "%s", dash(jget_str(e, "text")));
		doc_row_emit(d, &r, 0);
	}
	doc_table(d, 0);
}

static void
escalations(struct doc *d, json_t *rep)
{
	static const char *const heads[] = { "日時 / Time", "ステップ / Step",
	    "イベント / Event", "内容 / Text", NULL };
	json_t		*v, *esc = json_object_get(rep, "escalations");
	struct doc_row	 r = { { NULL }, 0 };
	size_t		 i;

	doc_heading(d, 2, "エスカレーションと期限超過 / Escalations and "
	    "overdue steps");
	if (json_array_size(esc) == 0) {
		doc_para(d, none_text);
		return;
	}
	head_row(d, heads);
	json_array_foreach(esc, i, v) {
		doc_cell_own(&r, when_of(v, "at"));
		doc_cell(&r, "%s", dash(jget_str(v, "step")));
		doc_cell(&r, "%s", dash(jget_str(v, "type")));
		doc_cell(&r, "%s", dash(jget_str(v, "text")));
		doc_row_emit(d, &r, 0);
	}
	doc_table(d, 0);
}

static void
assembly(struct doc *d, json_t *rep)
{
	static const char *const heads[] = { "役割 / Role", "必要 / Required",
	    "参集可 / Available", "到着 / Arrived", "不可 / Unavailable",
	    "応答なし / No answer", "充足 / Quota met", "充足まで / Time to "
	    "quota", NULL };
	static const char *const nums[] = { "required", "available",
	    "arrived", "unavailable", "no_answer" };
	json_t		*v, *a = json_object_get(rep, "assembly");
	struct doc_row	 r = { { NULL }, 0 };
	size_t		 i, k;

	if (json_array_size(a) == 0)
		return;
	doc_heading(d, 2, "参集 / Staff assembly");
	head_row(d, heads);
	json_array_foreach(a, i, v) {
		doc_cell(&r, "%s", dash(jget_str(v, "role")));
		for (k = 0; k < sizeof nums / sizeof nums[0]; k++)
			doc_cell(&r, "%lld", (long long)json_integer_value(
			    json_object_get(v, nums[k])));
		doc_cell_own(&r, when_of(v, "quota_met_at"));
		doc_cell_own(&r, secs(json_object_get(v, "time_to_quota_s")));
		doc_row_emit(d, &r, 0);
	}
	doc_table(d, 0);
}

static void
safety(struct doc *d, json_t *rep)
{
	static const char *const heads[] = { "手順 / Step", "対象 / Asked",
	    "回答 / Answered", "無事 / Safe", "負傷 / Injured",
	    "要救助 / In danger", "参集可 / Can come", "50%", "90%", "100%",
	    NULL };
	static const char *const nums[] = { "asked", "answered", "safe",
	    "injured", "unsafe", "can_come" };
	json_t		*v, *a = json_object_get(rep, "safety");
	struct doc_row	 r = { { NULL }, 0 };
	size_t		 i, k;

	if (json_array_size(a) == 0)
		return;
	doc_heading(d, 2, "安否確認 / Safety confirmation");
	head_row(d, heads);
	json_array_foreach(a, i, v) {
		doc_cell(&r, "%s", dash(jget_str(v, "step")));
		for (k = 0; k < sizeof nums / sizeof nums[0]; k++)
			doc_cell(&r, "%lld", (long long)json_integer_value(
			    json_object_get(v, nums[k])));
		doc_cell_own(&r, secs(json_object_get(v, "t50_s")));
		doc_cell_own(&r, secs(json_object_get(v, "t90_s")));
		doc_cell_own(&r, secs(json_object_get(v, "t100_s")));
		doc_row_emit(d, &r, 0);
	}
	doc_table(d, 0);
}

static const char *
rto_result(json_t *v)
{
	json_t *met = json_object_get(v, "met");

	if (json_is_true(met))
		return "達成 / met";
	if (json_is_false(met))
		return "未達 / missed";
	if (!json_is_integer(json_object_get(v, "rto_s")))
		return "RTO 未設定 / no RTO in the plan";
	return "-";
}

static void
systems(struct doc *d, json_t *rep)
{
	static const char *const heads[] = { "システム / System",
	    "目標 / RTO", "実績 / Achieved", "判定 / Result", "状態 / State",
	    "復旧 / Recovered", NULL };
	json_t		*v, *sys = json_object_get(rep, "systems");
	struct doc_row	 r = { { NULL }, 0 };
	size_t		 i;

	if (json_array_size(sys) == 0)
		return;
	doc_heading(d, 2, "システムごとの RTO / RTO per system");
	head_row(d, heads);
	json_array_foreach(sys, i, v) {
		doc_cell(&r, "%s", dash(jget_str(v, "id")));
		doc_cell_own(&r, secs(json_object_get(v, "rto_s")));
		doc_cell_own(&r, secs(json_object_get(v, "achieved_s")));
		doc_cell(&r, "%s", rto_result(v));
		doc_cell(&r, "%s", dash(jget_str(v, "state")));
		doc_cell_own(&r, when_of(v, "recovered_at"));
		doc_row_emit(d, &r, 0);
	}
	doc_table(d, 0);
}

static void
notifications(struct doc *d, json_t *rep)
{
	static const char *const heads[] = { "ID", "作成 / Created",
	    "チャネル / Channel", "イベント / Event", "状態 / State",
	    "試行 / Attempts", "配信 / Delivered", "エラー / Error", NULL };
	json_t		*v, *ns = json_object_get(rep, "notifications");
	struct doc_row	 r = { { NULL }, 0 };
	size_t		 i, n[4] = { 0, 0, 0, 0 };
	char		*s;

	doc_heading(d, 2, "通知と配信 / Notifications and their delivery");
	if (json_array_size(ns) == 0) {
		doc_para(d, none_text);
		return;
	}
	json_array_foreach(ns, i, v)
		n[strcmp(dash(jget_str(v, "state")), "delivered") == 0 ? 0 :
		    strcmp(dash(jget_str(v, "state")), "dead") == 0 ? 2 :
		    strcmp(dash(jget_str(v, "state")), "cancelled") == 0 ? 3 :
		    1]++;
	s = xprintf("配信済 %zu / delivered %zu、未配信 %zu / pending %zu、"
	    "配信失敗 %zu / dead %zu、取消 %zu / cancelled %zu", n[0], n[0],
	    n[1], n[1], n[2], n[2], n[3], n[3]);
	doc_para(d, s);
	free(s);
	head_row(d, heads);
	json_array_foreach(ns, i, v) {
		doc_cell(&r, "%lld", (long long)json_integer_value(
		    json_object_get(v, "id")));
		doc_cell_own(&r, when_of(v, "created_at"));
		doc_cell(&r, "%s", dash(jget_str(v, "channel")));
		doc_cell(&r, "%s", dash(jget_str(v, "event")));
		doc_cell(&r, "%s", dash(jget_str(v, "state")));
		doc_cell(&r, "%lld", (long long)json_integer_value(
		    json_object_get(v, "attempts")));
		doc_cell_own(&r, when_of(v, "delivered_at"));
		doc_cell(&r, "%s", dash(jget_str(v, "last_error")));
		doc_row_emit(d, &r, 0);
	}
	doc_table(d, 0);
}

static const struct {
	const char	*state;
	const char	*label;
} exc_states[] = {
	{ "requested", "承認待ち / requested" },
	{ "active", "実施中 / active" },
	{ "rejected", "却下 / rejected" },
	{ "reverted", "原状回復済 / reverted" },
	{ "adopted", "通常手順化 / adopted" },
	{ "drill-closed", "訓練終了により破棄 / closed with the drill" },
};

static char *
exc_state(json_t *v)
{
	const char	*st = dash(jget_str(v, "state"));
	size_t		 i;

	for (i = 0; i < sizeof exc_states / sizeof exc_states[0]; i++)
		if (strcmp(exc_states[i].state, st) == 0)
			st = exc_states[i].label;
	if (json_is_true(json_object_get(v, "overdue")))
		return xprintf("%s（期限超過 / overdue）", st);
	return xstrdup(st);
}

static void
exceptions(struct doc *d, json_t *rep)
{
	static const char *const heads[] = { "ID", "件名 / Title",
	    "ポリシー / Policy", "理由 / Reason", "処置 / Disposition",
	    "申請 / Requested by", "承認 / Approved by",
	    "期限 / Revert by", "有効期間 / In force", "処理 / Resolved",
	    "判断の備考・条件 / Decision note", "処理の備考 / Resolution note",
	    NULL };
	json_t		*v, *ex = json_object_get(rep, "exceptions");
	struct doc_row	 r = { { NULL }, 0 };
	size_t		 i;
	char		*t, *by;

	doc_heading(d, 2, "例外措置 / Exception measures");
	if (json_array_size(ex) == 0) {
		doc_para(d, none_text);
		return;
	}
	head_row(d, heads);
	json_array_foreach(ex, i, v) {
		doc_cell(&r, "%lld", (long long)json_integer_value(
		    json_object_get(v, "id")));
		doc_cell(&r, "%s", dash(jget_str(v, "title")));
		doc_cell(&r, "%s", dash(jget_str(v, "policy")));
		doc_cell(&r, "%s", dash(jget_str(v, "reason")));
		doc_cell_own(&r, exc_state(v));
		doc_cell_own(&r, who(rep, jget_str(v, "requested_by")));
		doc_cell_own(&r, who(rep, jget_str(v, "approved_by")));
		doc_cell_own(&r, when_of(v, "revert_by_at"));
		doc_cell_own(&r, secs(json_object_get(v, "in_force_s")));
		t = when_of(v, "resolved_at");
		by = jget_str(v, "resolved_by") ? who(rep, jget_str(v,
		    "resolved_by")) : NULL;
		doc_cell(&r, "%s%s%s", t, by ? " " : "", by ? by : "");
		free(by);
		free(t);
		doc_cell(&r, "%s", dash(jget_str(v, "decision_note")));
		doc_cell(&r, "%s", jget_str(v, "decision_note") != NULL &&
		    jget_str(v, "note") != NULL && strcmp(jget_str(v,
		    "decision_note"), jget_str(v, "note")) == 0 ? "-" :
		    dash(jget_str(v, "note")));
		doc_row_emit(d, &r, 0);
	}
	doc_table(d, 0);
}

/* Maintenance windows that held back triggers while the incident went
 * on (SPEC §17): shown only when there were some. */
static void
maintenance(struct doc *d, json_t *rep)
{
	static const char *const heads[] = { "ID", "監視元 / Source",
	    "条件 / Match", "期間 / From – until", "保留 / Held back",
	    "登録 / Opened by", "備考 / Note", NULL };
	json_t		*v, *mt = json_object_get(rep, "maintenance");
	struct doc_row	 r = { { NULL }, 0 };
	size_t		 i;
	char		*a, *b, *m;

	if (json_array_size(mt) == 0)
		return;
	doc_heading(d, 2, "計画作業による保留 / Maintenance windows that "
	    "held back triggers");
	head_row(d, heads);
	json_array_foreach(mt, i, v) {
		doc_cell(&r, "%lld", (long long)json_integer_value(
		    json_object_get(v, "id")));
		doc_cell(&r, "%s", dash(jget_str(v, "source")));
		m = json_object_size(json_object_get(v, "match")) > 0 ?
		    json_dumps(json_object_get(v, "match"), JSON_COMPACT |
		    JSON_SORT_KEYS) : xstrdup("*");
		doc_cell_own(&r, m);
		a = when_of(v, "from");
		b = when_of(v, "until");
		doc_cell(&r, "%s – %s", a, b);
		free(a);
		free(b);
		doc_cell(&r, "%lld", (long long)json_integer_value(
		    json_object_get(v, "held")));
		doc_cell(&r, "%s", dash(jget_str(v, "by")));
		doc_cell(&r, "%s", dash(jget_str(v, "note")));
		doc_row_emit(d, &r, 0);
	}
	doc_table(d, 0);
}

static void
audit(struct doc *d, json_t *rep)
{
	static const char *const heads[] = { "項目 / Item", "内容 / Value",
	    NULL };
	json_t	*ver = json_object_get(rep, "verify");
	json_t	*bad = json_object_get(ver, "first_bad");

	doc_heading(d, 2, "監査ログ / Audit log (hash chain)");
	if (!json_is_true(json_object_get(ver, "ok"))) {
		char *s = xprintf("監査ログの検証に失敗 / The audit log FAILS "
		    "verification at event %lld: %s",
		    (long long)json_integer_value(json_object_get(bad, "seq")),
		    dash(jget_str(bad, "reason")));

		doc_banner(d, s);
		free(s);
	}
	head_row(d, heads);
	kv(d, "この報告のイベント数 / Events in this report", xprintf("%zu",
	    json_array_size(json_object_get(rep, "timeline"))));
	kv(d, "最終イベントのハッシュ / Hash of the incident's last event",
	    xstrdup(dash(jget_str(rep, "head_hash"))));
	kv(d, "ログ全体の先頭 / Head of the whole log", xstrdup(dash(jget_str(rep,
	    "chain_head"))));
	kv(d, "検証 / Verification", json_is_true(json_object_get(ver, "ok")) ?
	    xprintf("ok (%lld events)", (long long)json_integer_value(
	    json_object_get(ver, "events"))) : xprintf("FAILED at seq %lld",
	    (long long)json_integer_value(json_object_get(bad, "seq"))));
	doc_table(d, 0);
}

static void
json_row(struct doc *d, json_t *cells, int head)
{
	struct doc_row	 r = { { NULL }, 0 };
	json_t		*v;
	size_t		 i;

	json_array_foreach(cells, i, v)
		doc_cell(&r, "%s", dash(json_string_value(v)));
	doc_row_emit(d, &r, head);
}

/* A section laid out as data elsewhere (report_score_doc). */
static void
section(struct doc *d, json_t *sec)
{
	json_t	*b, *t, *v, *row;
	size_t	 i, k;

	doc_heading(d, 2, dash(jget_str(sec, "heading")));
	json_array_foreach(json_object_get(sec, "blocks"), i, b) {
		if (jget_str(b, "para") != NULL)
			doc_para(d, jget_str(b, "para"));
		else if ((v = json_object_get(b, "list")) != NULL) {
			doc_list(d, 1);
			json_array_foreach(v, k, row)
				doc_item(d, dash(json_string_value(row)));
			doc_list(d, 0);
		} else if ((t = json_object_get(b, "table")) != NULL) {
			doc_table(d, 1);
			json_row(d, json_object_get(t, "head"), 1);
			json_array_foreach(json_object_get(t, "rows"), k, row)
				json_row(d, row, 0);
			doc_table(d, 0);
		}
	}
}

/* Japanese titles make a Japanese document (fonts, line breaking). */
static const char *
doc_lang(const char *title)
{
	for (; title != NULL && *title != '\0'; title++)
		if ((unsigned char)*title >= 0x80)
			return "ja";
	return "en";
}

char *
report_render(json_t *rep, const char *format, const char **why)
{
	struct doc	 d;
	json_t		*inc = json_object_get(rep, "incident");
	char		*title;

	memset(&d, 0, sizeof d);
	if (strcmp(format, "md") == 0)
		d.fmt = DOC_MD;
	else if (strcmp(format, "html") == 0)
		d.fmt = DOC_HTML;
	else {
		*why = "report: the formats are md, html and json";
		return NULL;
	}
	d.lang = doc_lang(jget_str(inc, "title"));
	d.style = html_style;
	d.footer = footer_text;
	title = xprintf("%s事後レビュー / Post-incident review: #%lld %s",
	    json_is_true(json_object_get(inc, "drill")) ? "[訓練 DRILL] " : "",
	    (long long)json_integer_value(json_object_get(inc, "id")),
	    dash(jget_str(inc, "title")));
	doc_begin(&d, title);
	free(title);
	summary(&d, rep);
	if (json_is_object(json_object_get(rep, "score"))) {
		json_t *sec = report_score_doc(json_object_get(rep, "score"));

		section(&d, sec);
		json_decref(sec);
	}
	open_items(&d, rep);
	activation(&d, rep);
	steps(&d, rep);
	escalations(&d, rep);
	assembly(&d, rep);
	safety(&d, rep);
	systems(&d, rep);
	notifications(&d, rep);
	exceptions(&d, rep);
	maintenance(&d, rep);
	timeline(&d, rep);
	audit(&d, rep);
	doc_end(&d);
	return buf_steal(&d.b);
}
