#include <stdlib.h>
#include <string.h>

#include "common/docfmt.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "model/sitrep.h"

/* One writer, two forms: what differs is the markup. */
struct sw {
	struct buf	 b;
	int		 html;
	const char	*zone;
	json_t		*names;
};

static const char *
sw_s(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "";
}

static void
sw_head(struct sw *w, int level, const char *ja, const char *en)
{
	char *t = xprintf("%s / %s", ja, en);

	if (w->html) {
		buf_printf(&w->b, "<h%d>", level);
		doc_html_esc(&w->b, t, 0);
		buf_printf(&w->b, "</h%d>\n", level);
	} else {
		buf_printf(&w->b, "\n%.*s ", level, "######");
		doc_md_text(&w->b, t, 0);
		buf_adds(&w->b, "\n\n");
	}
	free(t);
}

static void
sw_item(struct sw *w, const char *s)
{
	if (w->html)
		doc_html_item(&w->b, s);
	else
		doc_md_item(&w->b, s);
}

static void
sw_list(struct sw *w, int open)
{
	if (w->html)
		buf_adds(&w->b, open ? "<ul>\n" : "</ul>\n");
	else if (!open)
		buf_addc(&w->b, '\n');
}

static void
sw_row(struct sw *w, char *const *cells, size_t n, int head)
{
	if (w->html) {
		if (head)
			buf_adds(&w->b, "<table>\n");
		doc_html_row(&w->b, cells, n, head);
	} else
		doc_md_row(&w->b, cells, n, head);
}

static void
sw_table_end(struct sw *w)
{
	buf_adds(&w->b, w->html ? "</tbody></table>\n" : "\n");
}

static void
sw_para(struct sw *w, const char *s)
{
	if (w->html) {
		buf_adds(&w->b, "<p>");
		doc_html_esc(&w->b, s, 1);
		buf_adds(&w->b, "</p>\n");
	} else {
		doc_md_text(&w->b, s, 0);
		buf_adds(&w->b, "\n\n");
	}
}

/* A time in the zone, from ms or an RFC 3339 string. */
static char *
sw_when(struct sw *w, json_t *v)
{
	char	t[40];
	int64_t	ms = 0;

	if (json_is_integer(v))
		ms = json_integer_value(v);
	else if (!json_is_string(v) || rfc3339_parse(json_string_value(v),
	    &ms) == -1)
		return xstrdup("-");
	if (ms == 0)
		return xstrdup("-");
	return xstrdup(local_time_fmt(w->zone, ms, "%m/%d %H:%M", t,
	    sizeof t));
}

static const char *
sw_name(struct sw *w, const char *id)
{
	const char *n = json_string_value(json_object_get(w->names, id));

	return n != NULL ? n : id != NULL && *id != '\0' ? id : "-";
}

static void
sw_changes(struct sw *w, json_t *in)
{
	json_t	*c;
	size_t	 i;
	char	*at, *line;

	if (json_is_null(json_object_get(in, "prev_at")))
		sw_head(w, 2, "発動からの経過", "Since activation");
	else {
		char	*since = sw_when(w, json_object_get(in, "prev_at"));
		char	*ja = xprintf("前報（%s）からの変化", since);

		sw_head(w, 2, ja, "Changes since the previous report");
		free(ja);
		free(since);
	}
	if (json_array_size(json_object_get(in, "changes")) == 0) {
		sw_para(w, "変化なし / No change");
		return;
	}
	sw_list(w, 1);
	json_array_foreach(json_object_get(in, "changes"), i, c) {
		at = sw_when(w, json_object_get(c, "at"));
		line = xprintf("%s %s: %s", at, sw_s(c, "who"), sw_s(c,
		    "text"));
		sw_item(w, line);
		free(line);
		free(at);
	}
	sw_list(w, 0);
}

static void
sw_assembly(struct sw *w, json_t *in, json_t *inc)
{
	json_t		*asm_ = json_object_get(inc, "assembly"), *v;
	json_t		*roles = json_object_get(in, "roles");
	const char	*role;
	char		 req[16], av[16], ar[16], un[16];

	if (json_object_size(asm_) == 0)
		return;
	sw_head(w, 2, "参集状況", "Assembly");
	{
		const char *h[] = { "役割 Role", "必要 Quota", "参集可 Available",
		    "到着 Arrived", "参集不可 Unavailable" };
		sw_row(w, (char *const *)h, 5, 1);
	}
	json_object_foreach(asm_, role, v) {
		const char *title = json_string_value(json_object_get(roles,
		    role));
		char *cells[5];

		snprintf(req, sizeof req, "%lld", (long long)
		    json_integer_value(json_object_get(v, "required")));
		snprintf(av, sizeof av, "%lld", (long long)
		    json_integer_value(json_object_get(v, "available")));
		snprintf(ar, sizeof ar, "%lld", (long long)
		    json_integer_value(json_object_get(v, "arrived")));
		snprintf(un, sizeof un, "%lld", (long long)
		    json_integer_value(json_object_get(v, "unavailable")));
		cells[0] = (char *)(title != NULL ? title : role);
		cells[1] = req;
		cells[2] = av;
		cells[3] = ar;
		cells[4] = un;
		sw_row(w, cells, 5, 0);
	}
	sw_table_end(w);
}

static void
sw_steps(struct sw *w, json_t *inc, int64_t now)
{
	json_t	*s;
	size_t	 i;
	int	 any;
	char	*line, *t;

	sw_head(w, 2, "完了した手順", "Steps done");
	any = 0;
	json_array_foreach(json_object_get(inc, "steps"), i, s) {
		if (strcmp(sw_s(s, "state"), "done") != 0 &&
		    strcmp(sw_s(s, "state"), "skipped") != 0)
			continue;
		if (!any++)
			sw_list(w, 1);
		t = sw_when(w, json_object_get(s, "done_at"));
		line = xprintf("%s（%s）%s %s", sw_s(s, "title"),
		    strcmp(sw_s(s, "state"), "done") == 0 ? "完了 done" :
		    "省略 skipped", sw_name(w, sw_s(s, "done_by")), t);
		sw_item(w, line);
		free(line);
		free(t);
	}
	if (any)
		sw_list(w, 0);
	else
		sw_para(w, "なし / None");
	sw_head(w, 2, "未完了の手順", "Steps open");
	any = 0;
	json_array_foreach(json_object_get(inc, "steps"), i, s) {
		const char	*st = sw_s(s, "state");
		int64_t		 dl = 0;
		int		 late;

		if (strcmp(st, "done") == 0 || strcmp(st, "skipped") == 0)
			continue;
		if (!any++)
			sw_list(w, 1);
		if (json_is_string(json_object_get(s, "deadline_at")))
			rfc3339_parse(sw_s(s, "deadline_at"), &dl);
		late = dl != 0 && dl < now && strcmp(st, "blocked") != 0 &&
		    strcmp(st, "failed") != 0;
		t = sw_when(w, json_object_get(s, "deadline_at"));
		line = xprintf("%s%s — %s — %s — 期限 due %s", late ?
		    "【期限超過 LATE】" : "", sw_s(s, "title"), st,
		    sw_name(w, sw_s(s, "assignee")), t);
		sw_item(w, line);
		free(line);
		free(t);
	}
	if (any)
		sw_list(w, 0);
	else
		sw_para(w, "なし / None");
}

static void
sw_rto(struct sw *w, json_t *inc, int64_t now)
{
	json_t	*s;
	size_t	 i;

	if (json_array_size(json_object_get(inc, "systems")) == 0)
		return;
	sw_head(w, 2, "目標復旧時間", "RTO clocks");
	{
		const char *h[] = { "システム System", "期限 Deadline",
		    "状態 State" };
		sw_row(w, (char *const *)h, 3, 1);
	}
	json_array_foreach(json_object_get(inc, "systems"), i, s) {
		char	*cells[3];
		int64_t	 dl = 0;

		cells[0] = (char *)sw_s(s, "id");
		cells[1] = sw_when(w, json_object_get(s, "deadline_at"));
		if (json_is_string(json_object_get(s, "recovered_at"))) {
			char *t = sw_when(w, json_object_get(s,
			    "recovered_at"));

			cells[2] = xprintf("復旧 recovered %s", t);
			free(t);
		} else if (json_is_string(json_object_get(s, "deadline_at")) &&
		    rfc3339_parse(sw_s(s, "deadline_at"), &dl) == 0 &&
		    dl < now)
			cells[2] = xstrdup("超過 BREACHED");
		else
			cells[2] = xstrdup("復旧待ち running");
		sw_row(w, cells, 3, 0);
		free(cells[1]);
		free(cells[2]);
	}
	sw_table_end(w);
}

static void
sw_exceptions(struct sw *w, json_t *in)
{
	json_t	*e;
	size_t	 i;

	sw_head(w, 2, "例外措置", "Exception measures");
	if (json_array_size(json_object_get(in, "exceptions")) == 0) {
		sw_para(w, "なし / None");
		return;
	}
	{
		const char *h[] = { "#", "措置 Measure", "状態 State",
		    "解除期限 Revert by" };
		sw_row(w, (char *const *)h, 4, 1);
	}
	json_array_foreach(json_object_get(in, "exceptions"), i, e) {
		char id[24], *cells[4];

		snprintf(id, sizeof id, "%lld", (long long)json_integer_value(
		    json_object_get(e, "id")));
		cells[0] = id;
		cells[1] = (char *)sw_s(e, "title");
		cells[2] = (char *)sw_s(e, "state");
		cells[3] = sw_when(w, json_object_get(e, "revert_by_at"));
		sw_row(w, cells, 4, 0);
		free(cells[3]);
	}
	sw_table_end(w);
}

static const char sw_style[] =
    "body{font-family:\"Noto Sans CJK JP\",sans-serif;margin:1.5rem;"
    "max-width:50rem;line-height:1.5}\n"
    "table{border-collapse:collapse;margin:.5rem 0}\n"
    "th,td{border:1px solid #888;padding:.2rem .5rem;text-align:left}\n"
    ".drill{border:2px dashed #000;padding:.2rem .5rem;font-weight:bold}\n"
    "@media print{body{margin:0}}\n";

char *
sitrep_render(json_t *in, const char *format)
{
	struct sw	 w;
	json_t		*inc = json_object_get(in, "incident");
	int64_t		 now = json_integer_value(json_object_get(in, "now"));
	long long	 n = json_integer_value(json_object_get(in, "n"));
	char		*title, *when, *line;

	memset(&w, 0, sizeof w);
	w.html = strcmp(format, "html") == 0;
	w.zone = json_string_value(json_object_get(in, "zone"));
	if (w.zone == NULL)
		w.zone = "Asia/Tokyo";
	w.names = json_object_get(in, "names");
	title = xprintf("%s第%lld報 #%lld %s", json_is_true(json_object_get(inc,
	    "drill")) ? "【訓練 DRILL】" : "", n, (long long)
	    json_integer_value(json_object_get(inc, "id")), sw_s(inc,
	    "title"));
	if (w.html)
		doc_html_begin(&w.b, "ja", title, 0, sw_style);
	else {
		buf_adds(&w.b, "# ");
		doc_md_text(&w.b, title, 0);
		buf_adds(&w.b, "\n\n");
	}
	if (json_is_true(json_object_get(inc, "drill")))
		sw_para(&w, "訓練 DRILL: これは訓練の報告です / This report is "
		    "of a drill");
	when = sw_when(&w, json_object_get(in, "issued_at"));
	line = xprintf("%s（%s）発表 %s ・ 状況報告 第%lld報 / Situation "
	    "report %lld, issued %s by %s", when, w.zone, sw_s(in,
	    "issued_by"), n, n, when, sw_s(in, "issued_by"));
	sw_para(&w, line);
	free(line);
	free(when);
	sw_changes(&w, in);
	sw_assembly(&w, in, inc);
	sw_steps(&w, inc, now);
	sw_rto(&w, inc, now);
	sw_exceptions(&w, in);
	if (w.html)
		buf_adds(&w.b, "</body>\n</html>\n");
	free(title);
	return buf_steal(&w.b);
}
