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

#include "common/duration.h"
#include "common/docfmt.h"
#include "model/report.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"

struct rdoc;

struct rdoc_ops {
	void	(*begin)(struct rdoc *, const char *title);
	void	(*end)(struct rdoc *);
	void	(*heading)(struct rdoc *, const char *);
	void	(*para)(struct rdoc *, const char *);
	void	(*banner)(struct rdoc *, const char *);	/* stands out */
	void	(*list)(struct rdoc *, int start);
	void	(*item)(struct rdoc *, const char *);
	void	(*table)(struct rdoc *, int start);
	void	(*row)(struct rdoc *, char *const *cells, size_t n, int head);
	void	(*code)(struct rdoc *, const char *);
};

struct rdoc {
	const struct rdoc_ops	*ops;
	struct buf		 b;
	const char		*lang;
	json_t			*people;	/* {"sato": "佐藤 次郎"} */
};

#define ROW_MAX	12

/* A table row being built; cells are owned until emitted. */
struct row {
	char	*c[ROW_MAX];
	size_t	 n;
};

static const char none_text[] = "なし / None.";
static const char footer_text[] =
    "この報告は keizoku の監査ログ（ハッシュチェーン）から作成した。印刷した"
    "写しは上記のハッシュを keizoku verify および keizoku log の結果と照合"
    "して確認できる。 / Generated from keizoku's hash-chained audit log; "
    "check a printed copy by comparing the hashes above with keizoku verify "
    "and keizoku log.";

static void
md_begin(struct rdoc *d, const char *title)
{
	buf_adds(&d->b, "# ");
	doc_md_text(&d->b, title, 1);
	buf_adds(&d->b, "\n\n");
}

static void
md_end(struct rdoc *d)
{
	buf_printf(&d->b, "---\n\n%s\n", footer_text);
}

static void
md_heading(struct rdoc *d, const char *s)
{
	buf_adds(&d->b, "## ");
	doc_md_text(&d->b, s, 1);
	buf_adds(&d->b, "\n\n");
}

static void
md_para(struct rdoc *d, const char *s)
{
	doc_md_text(&d->b, s, 0);
	buf_adds(&d->b, "\n\n");
}

static void
md_banner(struct rdoc *d, const char *s)
{
	buf_adds(&d->b, "> **");
	doc_md_text(&d->b, s, 1);
	buf_adds(&d->b, "**\n\n");
}

static void
md_list(struct rdoc *d, int start)
{
	if (!start)
		buf_addc(&d->b, '\n');
}

static void
md_item(struct rdoc *d, const char *s)
{
	doc_md_item(&d->b, s);
}

static void
md_table(struct rdoc *d, int start)
{
	if (!start)
		buf_addc(&d->b, '\n');
}

static void
md_row(struct rdoc *d, char *const *cells, size_t n, int head)
{
	doc_md_row(&d->b, cells, n, head);
}

/* A fence longer than any run of backticks inside cannot be closed by
 * the text it holds. */
static void
md_code(struct rdoc *d, const char *s)
{
	size_t	run = 0, max = 0, i;
	char	fence[64];

	for (i = 0; s[i] != '\0'; i++) {
		run = s[i] == '`' ? run + 1 : 0;
		if (run > max)
			max = run;
	}
	max = max < 3 ? 3 : max + 1;
	if (max >= sizeof fence)
		max = sizeof fence - 1;
	memset(fence, '`', max);
	fence[max] = '\0';
	buf_printf(&d->b, "%s\n", fence);
	doc_md_safe(&d->b, s);
	buf_printf(&d->b, "\n%s\n\n", fence);
}

static const struct rdoc_ops md_ops = {
	md_begin, md_end, md_heading, md_para, md_banner, md_list, md_item,
	md_table, md_row, md_code
};


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

static void
html_begin(struct rdoc *d, const char *title)
{
	doc_html_begin(&d->b, d->lang, title, 0, html_style);
}

static void
html_end(struct rdoc *d)
{
	buf_adds(&d->b, "<footer><p>");
	doc_html_esc(&d->b, footer_text, 0);
	buf_adds(&d->b, "</p></footer>\n</body>\n</html>\n");
}

static void
html_heading(struct rdoc *d, const char *s)
{
	buf_adds(&d->b, "<h2>");
	doc_html_esc(&d->b, s, 0);
	buf_adds(&d->b, "</h2>\n");
}

static void
html_para(struct rdoc *d, const char *s)
{
	buf_adds(&d->b, "<p>");
	doc_html_esc(&d->b, s, 1);
	buf_adds(&d->b, "</p>\n");
}

static void
html_banner(struct rdoc *d, const char *s)
{
	buf_adds(&d->b, "<p class=\"banner\">");
	doc_html_esc(&d->b, s, 1);
	buf_adds(&d->b, "</p>\n");
}

static void
html_list(struct rdoc *d, int start)
{
	buf_adds(&d->b, start ? "<ul>\n" : "</ul>\n");
}

static void
html_item(struct rdoc *d, const char *s)
{
	doc_html_item(&d->b, s);
}

static void
html_table(struct rdoc *d, int start)
{
	buf_adds(&d->b, start ? "<table>\n" : "</tbody>\n</table>\n");
}

static void
html_row(struct rdoc *d, char *const *cells, size_t n, int head)
{
	doc_html_row(&d->b, cells, n, head);
}

static void
html_code(struct rdoc *d, const char *s)
{
	buf_adds(&d->b, "<pre>");
	doc_html_esc(&d->b, s, 0);
	buf_adds(&d->b, "</pre>\n");
}

static const struct rdoc_ops html_ops = {
	html_begin, html_end, html_heading, html_para, html_banner, html_list,
	html_item, html_table, html_row, html_code
};

static void
cell(struct row *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
cell(struct row *r, const char *fmt, ...)
{
	va_list ap;

	if (r->n >= ROW_MAX)
		return;
	va_start(ap, fmt);
	r->c[r->n++] = xvprintf(fmt, ap);
	va_end(ap);
}

/* Takes s (allocated) as the next cell. */
static void
cell_own(struct row *r, char *s)
{
	if (r->n >= ROW_MAX) {
		free(s);
		return;
	}
	r->c[r->n++] = s;
}

static void
emit(struct rdoc *d, struct row *r, int head)
{
	size_t i;

	d->ops->row(d, r->c, r->n, head);
	for (i = 0; i < r->n; i++)
		free(r->c[i]);
	r->n = 0;
}

/* A header row from a NULL-terminated list of labels. */
static void
head_row(struct rdoc *d, const char *const *labels)
{
	struct row r = { { NULL }, 0 };

	d->ops->table(d, 1);
	for (; *labels != NULL; labels++)
		cell(&r, "%s", *labels);
	emit(d, &r, 1);
}

static const char *
str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
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
	return when(str(o, k));
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
who(const struct rdoc *d, const char *id)
{
	const char *name = json_string_value(json_object_get(d->people,
	    id != NULL ? id : ""));

	if (id == NULL || *id == '\0')
		return xstrdup("-");
	if (name == NULL)
		return xstrdup(id);
	return xprintf("%s (%s)", name, id);
}

/* "田中 太郎 (tanaka)" or "山田 (yamada)（伊藤 (ito) の代理 / on behalf
 * of ...）". */
static char *
actor(const struct rdoc *d, json_t *e)
{
	const char	*b = str(e, "on_behalf");
	char		*a = who(d, str(e, "actor")), *bb, *s;

	if (b == NULL)
		return a;
	bb = who(d, b);
	s = xprintf("%s（%s の代理 / on behalf of %s）", a, bb, bb);
	free(a);
	free(bb);
	return s;
}

static void
kv(struct rdoc *d, const char *label, char *value)
{
	struct row r = { { NULL }, 0 };

	cell(&r, "%s", label);
	cell_own(&r, value);
	emit(d, &r, 0);
}

static void
summary(struct rdoc *d, json_t *rep)
{
	static const char *const heads[] = { "項目 / Item", "内容 / Value",
	    NULL };
	json_t		*inc = json_object_get(rep, "incident");
	const char	*ver = str(inc, "runbook_version");

	if (json_is_true(json_object_get(inc, "drill")))
		d->ops->banner(d, "訓練 / DRILL — この報告は訓練のものであり、"
		    "実際の危機的事象ではない。 / This incident was a drill, "
		    "not a real crisis.");
	head_row(d, heads);
	kv(d, "インシデント / Incident", xprintf("#%lld",
	    (long long)json_integer_value(json_object_get(inc, "id"))));
	kv(d, "件名 / Title", xstrdup(dash(str(inc, "title"))));
	kv(d, "状態 / State", xstrdup(dash(str(inc, "state"))));
	/* The version prefix names the runbook text the incident ran. */
	kv(d, "ランブック / Runbook", ver != NULL ? xprintf("%s (%.12s) %s",
	    dash(str(inc, "runbook")), ver, dash(str(inc, "runbook_title"))) :
	    xstrdup(dash(str(inc, "runbook"))));
	kv(d, "種別 / Kind", xstrdup(dash(str(inc, "kind"))));
	kv(d, "作業実施責任者 / Owner", xstrdup(dash(str(inc, "owner"))));
	kv(d, "開始 / Started", when_of(inc, "started_at"));
	kv(d, "解除 / Closed", str(inc, "closed_at") ? when_of(inc,
	    "closed_at") : xstrdup("対応中 / still open"));
	kv(d, "所要時間 / Duration", secs(json_object_get(inc,
	    "duration_s")));
	kv(d, "備考 / Note", xstrdup(dash(str(inc, "note"))));
	kv(d, "作成日時 / Generated", when_of(rep, "generated_at"));
	if (str(rep, "timezone") != NULL)
		kv(d, "時刻の表記 / Times in", xstrdup(str(rep, "timezone")));
	d->ops->table(d, 0);
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
open_items(struct rdoc *d, json_t *rep)
{
	json_t	*items = json_object_get(rep, "open_items"), *v;
	size_t	 i, k;

	d->ops->heading(d, "未完了事項 / Open items");
	if (json_array_size(items) == 0) {
		d->ops->para(d, none_text);
		return;
	}
	d->ops->list(d, 1);
	json_array_foreach(items, i, v) {
		const char	*label = str(v, "kind");
		char		*id = scalar(json_object_get(v, "id"));
		char		*due = when_of(v, "due_at"), *s;

		for (k = 0; k < sizeof item_kinds / sizeof item_kinds[0]; k++)
			if (strcmp(item_kinds[k].kind, label) == 0)
				label = item_kinds[k].label;
		s = xprintf("%s %s: %s (%s)%s%s", label, id, dash(str(v,
		    "title")), dash(str(v, "state")), str(v, "due_at") ?
		    " — 期限 / due " : "", str(v, "due_at") ? due : "");
		d->ops->item(d, s);
		free(s);
		free(due);
		free(id);
	}
	d->ops->list(d, 0);
}

/* "2026-… by tanaka" for an event reference; NULL if it did not happen. */
static char *
event_line(const struct rdoc *d, json_t *ref)
{
	char *t, *s, *by;

	if (!json_is_object(ref))
		return NULL;
	t = when_of(ref, "at");
	by = who(d, str(ref, "by"));
	s = xprintf("%s — %s%s%s", t, by, str(ref, "note") ? ": " : "",
	    str(ref, "note") ? str(ref, "note") : "");
	free(by);
	free(t);
	return s;
}

static void
activation(struct rdoc *d, json_t *rep)
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

	d->ops->heading(d, "発動 / Trigger and activation");
	head_row(d, heads);
	kv(d, "発動方法 / How", strcmp(dash(str(a, "how")), "trigger") == 0 ?
	    xprintf("監視からの通知 / trigger from %s", dash(str(a,
	    "source"))) : xstrdup("手動 / manual"));
	kv(d, "発動者 / Activated by", who(d, str(a, "activated_by")));
	if (str(a, "confirm_by") != NULL)
		kv(d, "確認者 / Confirmed by role", xstrdup(str(a,
		    "confirm_by")));
	for (i = 0; i < sizeof evs / sizeof evs[0]; i++)
		if ((s = event_line(d, json_object_get(a, evs[i].key))) !=
		    NULL)
			kv(d, evs[i].label, s);
	kv(d, "再通知 / Trigger repeats", xprintf("%lld",
	    (long long)json_integer_value(json_object_get(a,
	    "trigger_repeats"))));
	d->ops->table(d, 0);
	if (json_is_object(trig) || json_is_array(trig)) {
		/* 15 digits: 35.7, not 35.700000000000003. */
		s = json_dumps(trig, JSON_INDENT(2) | JSON_SORT_KEYS |
		    JSON_REAL_PRECISION(15));
		d->ops->para(d, "発動条件の通知 / Trigger document:");
		d->ops->code(d, s);
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
steps(struct rdoc *d, json_t *rep)
{
	static const char *const heads[] = { "ID", "件名 / Title",
	    "種別 / Type", "状態 / State", "実施者 / By", "着手可 / Ready",
	    "完了 / Done", "所要 / Took", "期限 / Timeout", "判定 / Result",
	    NULL };
	struct row	 r = { { NULL }, 0 };
	json_t		*v;
	size_t		 i;
	int		 notes = 0;

	d->ops->heading(d, "ステップ（着手可→完了の所要時間と期限） / Steps "
	    "(ready → done against timeouts)");
	head_row(d, heads);
	json_array_foreach(json_object_get(rep, "steps"), i, v) {
		cell(&r, "%s", dash(str(v, "id")));
		cell(&r, "%s", dash(str(v, "title")));
		cell(&r, "%s", dash(str(v, "type")));
		cell(&r, "%s", dash(str(v, "state")));
		cell_own(&r, who(d, str(v, "done_by") ? str(v, "done_by") :
		    str(v, "acked_by") ? str(v, "acked_by") : str(v,
		    "assignee")));
		cell_own(&r, when_of(v, "ready_at"));
		cell_own(&r, when_of(v, "done_at"));
		cell_own(&r, secs(json_object_get(v, "duration_s")));
		cell_own(&r, secs(json_object_get(v, "timeout_s")));
		cell(&r, "%s", step_result(v));
		emit(d, &r, 0);
	}
	d->ops->table(d, 0);
	json_array_foreach(json_object_get(rep, "steps"), i, v) {
		char *s;

		if (str(v, "note") == NULL)
			continue;
		if (!notes++) {
			d->ops->para(d, "備考 / Notes:");
			d->ops->list(d, 1);
		}
		s = xprintf("%s: %s", dash(str(v, "id")), str(v, "note"));
		d->ops->item(d, s);
		free(s);
	}
	if (notes)
		d->ops->list(d, 0);
}

static void
timeline(struct rdoc *d, json_t *rep)
{
	static const char *const heads[] = { "#", "日時 / Time",
	    "実行者 / Actor", "イベント / Event", "ステップ / Step",
	    "内容 / Text", NULL };
	struct row	 r = { { NULL }, 0 };
	json_t		*e;
	size_t		 i;

	d->ops->heading(d, "タイムライン / Timeline");
	head_row(d, heads);
	json_array_foreach(json_object_get(rep, "timeline"), i, e) {
		cell(&r, "%lld", (long long)json_integer_value(
		    json_object_get(e, "seq")));
		cell_own(&r, when_of(e, "at"));
		cell_own(&r, actor(d, e));
		cell(&r, "%s", dash(str(e, "type")));
		cell(&r, "%s", dash(str(e, "step")));
		cell(&r, "%s", dash(str(e, "text")));
		emit(d, &r, 0);
	}
	d->ops->table(d, 0);
}

static void
escalations(struct rdoc *d, json_t *rep)
{
	static const char *const heads[] = { "日時 / Time", "ステップ / Step",
	    "イベント / Event", "内容 / Text", NULL };
	json_t		*v, *esc = json_object_get(rep, "escalations");
	struct row	 r = { { NULL }, 0 };
	size_t		 i;

	d->ops->heading(d, "エスカレーションと期限超過 / Escalations and "
	    "overdue steps");
	if (json_array_size(esc) == 0) {
		d->ops->para(d, none_text);
		return;
	}
	head_row(d, heads);
	json_array_foreach(esc, i, v) {
		cell_own(&r, when_of(v, "at"));
		cell(&r, "%s", dash(str(v, "step")));
		cell(&r, "%s", dash(str(v, "type")));
		cell(&r, "%s", dash(str(v, "text")));
		emit(d, &r, 0);
	}
	d->ops->table(d, 0);
}

static void
assembly(struct rdoc *d, json_t *rep)
{
	static const char *const heads[] = { "役割 / Role", "必要 / Required",
	    "参集可 / Available", "到着 / Arrived", "不可 / Unavailable",
	    "応答なし / No answer", "充足 / Quota met", "充足まで / Time to "
	    "quota", NULL };
	static const char *const nums[] = { "required", "available",
	    "arrived", "unavailable", "no_answer" };
	json_t		*v, *a = json_object_get(rep, "assembly");
	struct row	 r = { { NULL }, 0 };
	size_t		 i, k;

	if (json_array_size(a) == 0)
		return;
	d->ops->heading(d, "参集 / Staff assembly");
	head_row(d, heads);
	json_array_foreach(a, i, v) {
		cell(&r, "%s", dash(str(v, "role")));
		for (k = 0; k < sizeof nums / sizeof nums[0]; k++)
			cell(&r, "%lld", (long long)json_integer_value(
			    json_object_get(v, nums[k])));
		cell_own(&r, when_of(v, "quota_met_at"));
		cell_own(&r, secs(json_object_get(v, "time_to_quota_s")));
		emit(d, &r, 0);
	}
	d->ops->table(d, 0);
}

static void
safety(struct rdoc *d, json_t *rep)
{
	static const char *const heads[] = { "手順 / Step", "対象 / Asked",
	    "回答 / Answered", "無事 / Safe", "負傷 / Injured",
	    "要救助 / In danger", "参集可 / Can come", "50%", "90%", "100%",
	    NULL };
	static const char *const nums[] = { "asked", "answered", "safe",
	    "injured", "unsafe", "can_come" };
	json_t		*v, *a = json_object_get(rep, "safety");
	struct row	 r = { { NULL }, 0 };
	size_t		 i, k;

	if (json_array_size(a) == 0)
		return;
	d->ops->heading(d, "安否確認 / Safety confirmation");
	head_row(d, heads);
	json_array_foreach(a, i, v) {
		cell(&r, "%s", dash(str(v, "step")));
		for (k = 0; k < sizeof nums / sizeof nums[0]; k++)
			cell(&r, "%lld", (long long)json_integer_value(
			    json_object_get(v, nums[k])));
		cell_own(&r, secs(json_object_get(v, "t50_s")));
		cell_own(&r, secs(json_object_get(v, "t90_s")));
		cell_own(&r, secs(json_object_get(v, "t100_s")));
		emit(d, &r, 0);
	}
	d->ops->table(d, 0);
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
systems(struct rdoc *d, json_t *rep)
{
	static const char *const heads[] = { "システム / System",
	    "目標 / RTO", "実績 / Achieved", "判定 / Result", "状態 / State",
	    "復旧 / Recovered", NULL };
	json_t		*v, *sys = json_object_get(rep, "systems");
	struct row	 r = { { NULL }, 0 };
	size_t		 i;

	if (json_array_size(sys) == 0)
		return;
	d->ops->heading(d, "システムごとの RTO / RTO per system");
	head_row(d, heads);
	json_array_foreach(sys, i, v) {
		cell(&r, "%s", dash(str(v, "id")));
		cell_own(&r, secs(json_object_get(v, "rto_s")));
		cell_own(&r, secs(json_object_get(v, "achieved_s")));
		cell(&r, "%s", rto_result(v));
		cell(&r, "%s", dash(str(v, "state")));
		cell_own(&r, when_of(v, "recovered_at"));
		emit(d, &r, 0);
	}
	d->ops->table(d, 0);
}

static void
notifications(struct rdoc *d, json_t *rep)
{
	static const char *const heads[] = { "ID", "作成 / Created",
	    "チャネル / Channel", "イベント / Event", "状態 / State",
	    "試行 / Attempts", "配信 / Delivered", "エラー / Error", NULL };
	json_t		*v, *ns = json_object_get(rep, "notifications");
	struct row	 r = { { NULL }, 0 };
	size_t		 i, n[4] = { 0, 0, 0, 0 };
	char		*s;

	d->ops->heading(d, "通知と配信 / Notifications and their delivery");
	if (json_array_size(ns) == 0) {
		d->ops->para(d, none_text);
		return;
	}
	json_array_foreach(ns, i, v)
		n[strcmp(dash(str(v, "state")), "delivered") == 0 ? 0 :
		    strcmp(dash(str(v, "state")), "dead") == 0 ? 2 :
		    strcmp(dash(str(v, "state")), "cancelled") == 0 ? 3 : 1]++;
	s = xprintf("配信済 %zu / delivered %zu、未配信 %zu / pending %zu、"
	    "配信失敗 %zu / dead %zu、取消 %zu / cancelled %zu", n[0], n[0],
	    n[1], n[1], n[2], n[2], n[3], n[3]);
	d->ops->para(d, s);
	free(s);
	head_row(d, heads);
	json_array_foreach(ns, i, v) {
		cell(&r, "%lld", (long long)json_integer_value(
		    json_object_get(v, "id")));
		cell_own(&r, when_of(v, "created_at"));
		cell(&r, "%s", dash(str(v, "channel")));
		cell(&r, "%s", dash(str(v, "event")));
		cell(&r, "%s", dash(str(v, "state")));
		cell(&r, "%lld", (long long)json_integer_value(
		    json_object_get(v, "attempts")));
		cell_own(&r, when_of(v, "delivered_at"));
		cell(&r, "%s", dash(str(v, "last_error")));
		emit(d, &r, 0);
	}
	d->ops->table(d, 0);
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
	const char	*st = dash(str(v, "state"));
	size_t		 i;

	for (i = 0; i < sizeof exc_states / sizeof exc_states[0]; i++)
		if (strcmp(exc_states[i].state, st) == 0)
			st = exc_states[i].label;
	if (json_is_true(json_object_get(v, "overdue")))
		return xprintf("%s（期限超過 / overdue）", st);
	return xstrdup(st);
}

static void
exceptions(struct rdoc *d, json_t *rep)
{
	static const char *const heads[] = { "ID", "件名 / Title",
	    "ポリシー / Policy", "理由 / Reason", "処置 / Disposition",
	    "申請 / Requested by", "承認 / Approved by",
	    "期限 / Revert by", "有効期間 / In force", "処理 / Resolved",
	    "判断の備考・条件 / Decision note", "処理の備考 / Resolution note",
	    NULL };
	json_t		*v, *ex = json_object_get(rep, "exceptions");
	struct row	 r = { { NULL }, 0 };
	size_t		 i;
	char		*t, *by;

	d->ops->heading(d, "例外措置 / Exception measures");
	if (json_array_size(ex) == 0) {
		d->ops->para(d, none_text);
		return;
	}
	head_row(d, heads);
	json_array_foreach(ex, i, v) {
		cell(&r, "%lld", (long long)json_integer_value(
		    json_object_get(v, "id")));
		cell(&r, "%s", dash(str(v, "title")));
		cell(&r, "%s", dash(str(v, "policy")));
		cell(&r, "%s", dash(str(v, "reason")));
		cell_own(&r, exc_state(v));
		cell_own(&r, who(d, str(v, "requested_by")));
		cell_own(&r, who(d, str(v, "approved_by")));
		cell_own(&r, when_of(v, "revert_by_at"));
		cell_own(&r, secs(json_object_get(v, "in_force_s")));
		t = when_of(v, "resolved_at");
		by = str(v, "resolved_by") ? who(d, str(v, "resolved_by")) :
		    NULL;
		cell(&r, "%s%s%s", t, by ? " " : "", by ? by : "");
		free(by);
		free(t);
		cell(&r, "%s", dash(str(v, "decision_note")));
		cell(&r, "%s", str(v, "decision_note") != NULL && str(v,
		    "note") != NULL && strcmp(str(v, "decision_note"), str(v,
		    "note")) == 0 ? "-" : dash(str(v, "note")));
		emit(d, &r, 0);
	}
	d->ops->table(d, 0);
}

/* Maintenance windows that held back triggers while the incident went
 * on (SPEC §17): shown only when there were some. */
static void
maintenance(struct rdoc *d, json_t *rep)
{
	static const char *const heads[] = { "ID", "監視元 / Source",
	    "条件 / Match", "期間 / From – until", "保留 / Held back",
	    "登録 / Opened by", "備考 / Note", NULL };
	json_t		*v, *mt = json_object_get(rep, "maintenance");
	struct row	 r = { { NULL }, 0 };
	size_t		 i;
	char		*a, *b, *m;

	if (json_array_size(mt) == 0)
		return;
	d->ops->heading(d, "計画作業による保留 / Maintenance windows that "
	    "held back triggers");
	head_row(d, heads);
	json_array_foreach(mt, i, v) {
		cell(&r, "%lld", (long long)json_integer_value(
		    json_object_get(v, "id")));
		cell(&r, "%s", dash(str(v, "source")));
		m = json_object_size(json_object_get(v, "match")) > 0 ?
		    json_dumps(json_object_get(v, "match"), JSON_COMPACT |
		    JSON_SORT_KEYS) : xstrdup("*");
		cell_own(&r, m);
		a = when_of(v, "from");
		b = when_of(v, "until");
		cell(&r, "%s – %s", a, b);
		free(a);
		free(b);
		cell(&r, "%lld", (long long)json_integer_value(
		    json_object_get(v, "held")));
		cell(&r, "%s", dash(str(v, "by")));
		cell(&r, "%s", dash(str(v, "note")));
		emit(d, &r, 0);
	}
	d->ops->table(d, 0);
}

static void
audit(struct rdoc *d, json_t *rep)
{
	static const char *const heads[] = { "項目 / Item", "内容 / Value",
	    NULL };
	json_t	*ver = json_object_get(rep, "verify");
	json_t	*bad = json_object_get(ver, "first_bad");

	d->ops->heading(d, "監査ログ / Audit log (hash chain)");
	if (!json_is_true(json_object_get(ver, "ok"))) {
		char *s = xprintf("監査ログの検証に失敗 / The audit log FAILS "
		    "verification at event %lld: %s",
		    (long long)json_integer_value(json_object_get(bad, "seq")),
		    dash(str(bad, "reason")));

		d->ops->banner(d, s);
		free(s);
	}
	head_row(d, heads);
	kv(d, "この報告のイベント数 / Events in this report", xprintf("%zu",
	    json_array_size(json_object_get(rep, "timeline"))));
	kv(d, "最終イベントのハッシュ / Hash of the incident's last event",
	    xstrdup(dash(str(rep, "head_hash"))));
	kv(d, "ログ全体の先頭 / Head of the whole log", xstrdup(dash(str(rep,
	    "chain_head"))));
	kv(d, "検証 / Verification", json_is_true(json_object_get(ver, "ok")) ?
	    xprintf("ok (%lld events)", (long long)json_integer_value(
	    json_object_get(ver, "events"))) : xprintf("FAILED at seq %lld",
	    (long long)json_integer_value(json_object_get(bad, "seq"))));
	d->ops->table(d, 0);
}

static void
json_row(struct rdoc *d, json_t *cells, int head)
{
	struct row	 r = { { NULL }, 0 };
	json_t		*v;
	size_t		 i;

	json_array_foreach(cells, i, v)
		cell(&r, "%s", dash(json_string_value(v)));
	emit(d, &r, head);
}

/* A section laid out as data elsewhere (report_score_doc). */
static void
section(struct rdoc *d, json_t *sec)
{
	json_t	*b, *t, *v, *row;
	size_t	 i, k;

	d->ops->heading(d, dash(str(sec, "heading")));
	json_array_foreach(json_object_get(sec, "blocks"), i, b) {
		if (str(b, "para") != NULL)
			d->ops->para(d, str(b, "para"));
		else if ((v = json_object_get(b, "list")) != NULL) {
			d->ops->list(d, 1);
			json_array_foreach(v, k, row)
				d->ops->item(d, dash(json_string_value(row)));
			d->ops->list(d, 0);
		} else if ((t = json_object_get(b, "table")) != NULL) {
			d->ops->table(d, 1);
			json_row(d, json_object_get(t, "head"), 1);
			json_array_foreach(json_object_get(t, "rows"), k, row)
				json_row(d, row, 0);
			d->ops->table(d, 0);
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
	struct rdoc	 d;
	json_t		*inc = json_object_get(rep, "incident");
	char		*title;

	memset(&d, 0, sizeof d);
	if (strcmp(format, "md") == 0)
		d.ops = &md_ops;
	else if (strcmp(format, "html") == 0)
		d.ops = &html_ops;
	else {
		*why = "report: the formats are md, html and json";
		return NULL;
	}
	d.lang = doc_lang(str(inc, "title"));
	d.people = json_object_get(rep, "people");
	title = xprintf("%s事後レビュー / Post-incident review: #%lld %s",
	    json_is_true(json_object_get(inc, "drill")) ? "[訓練 DRILL] " : "",
	    (long long)json_integer_value(json_object_get(inc, "id")),
	    dash(str(inc, "title")));
	d.ops->begin(&d, title);
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
	d.ops->end(&d);
	return buf_steal(&d.b);
}
