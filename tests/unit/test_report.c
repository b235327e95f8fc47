/* Rendering the post-incident review (report-html.c): formats, escaping,
 * language, drill labels, code fences, verification warnings and local
 * times, from small report objects. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <jansson.h>

#include "model/report.h"

#define MAXS	6

struct render_case {
	const char	*name;
	const char	*format;
	const char	*report;	/* JSON */
	const char	*must[MAXS];	/* substrings of the output */
	const char	*mustnot[MAXS];
};

#define INC(extra) "\"incident\": {\"id\": 7, \"title\": " extra "}"

static const struct render_case cases[] = {
	{ "md title and sections", "md",
	    "{" INC("\"障害対応 / Outage\", \"state\": \"closed\"") "}",
	    { "# 事後レビュー / Post-incident review: #7 障害対応 / Outage\n",
	      "## 未完了事項 / Open items\n\nなし / None.",
	      "## タイムライン / Timeline", "## 監査ログ / Audit log" },
	    { "訓練", "<html" } },
	{ "html is a whole document, Japanese", "html",
	    "{" INC("\"障害対応\"") "}",
	    { "<!DOCTYPE html>", "<html lang=\"ja\">",
	      "<meta charset=\"utf-8\">", "@media print", "</html>\n" },
	    { "<script", "src=", "href=" } },
	{ "html in English when the title is", "html",
	    "{" INC("\"Outage\"") "}",
	    { "<html lang=\"en\">" }, { "lang=\"ja\"" } },
	{ "html escapes titles and cells", "html",
	    "{" INC("\"<script>alert('x')</script> & \\\"q\\\"\"") ", "
	    "\"steps\": [{\"id\": \"a\", \"title\": \"<b>太字</b>\", "
	    "\"note\": \"1行目\\n2行目\"}]}",
	    { "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; "
	      "&quot;q&quot;", "<td>&lt;b&gt;太字&lt;/b&gt;</td>",
	      "<li>a: 1行目<br>2行目</li>" },
	    { "<script>", "<b>" } },
	{ "md escapes pipes and markup in cells", "md",
	    "{" INC("\"a|b\"") ", \"steps\": [{\"id\": \"x|y\", \"title\": "
	    "\"<i>t</i>\\nnext\"}]}",
	    { "| x\\|y | \\<i>t\\</i> next |", "#7 a\\|b" }, { "| <i>" } },
	{ "drills are labelled", "md",
	    "{" INC("\"訓練の件\", \"drill\": true") "}",
	    { "# [訓練 DRILL] 事後レビュー", "> **訓練 / DRILL" }, { NULL } },
	{ "drills are labelled in html", "html",
	    "{" INC("\"訓練の件\", \"drill\": true") "}",
	    { "<title>[訓練 DRILL] 事後レビュー", "<p class=\"banner\">訓練 / "
	      "DRILL" }, { NULL } },
	{ "a trigger with backticks gets a longer fence", "md",
	    "{" INC("\"t\"") ", \"activation\": {\"how\": \"trigger\", "
	    "\"source\": \"am\", \"trigger\": {\"m\": \"```x```\"}}}",
	    { "監視からの通知 / trigger from am", "````\n{\n  \"m\": "
	      "\"```x```\"\n}\n````\n" }, { NULL } },
	{ "a failed verification is a banner", "md",
	    "{" INC("\"t\"") ", \"verify\": {\"ok\": false, \"events\": 9, "
	    "\"first_bad\": {\"seq\": 4, \"reason\": \"edited\"}}, "
	    "\"head_hash\": \"abc\"}",
	    { "> **監査ログの検証に失敗 / The audit log FAILS verification at "
	      "event 4: edited**", "| 検証 / Verification | FAILED at seq 4 |",
	      "| abc |" }, { "ok (" } },
	{ "times are local, with their offset", "md",
	    "{" INC("\"t\", \"started_at\": \"2026-11-20T03:12:00Z\", "
	    "\"duration_s\": 5400") "}",
	    { "| 開始 / Started | 2026-11-20 12:12:00 +09:00 |",
	      "| 所要時間 / Duration | 1h30m |",
	      "| 解除 / Closed | 対応中 / still open |" }, { NULL } },
	{ "exceptions with dispositions", "md",
	    "{" INC("\"t\"") ", \"exceptions\": [{\"id\": 3, \"title\": "
	    "\"入室\", \"state\": \"active\", \"overdue\": true, "
	    "\"in_force_s\": 90000}, {\"id\": 4, \"title\": \"持出\", "
	    "\"state\": \"adopted\", \"in_force_s\": 60}]}",
	    { "実施中 / active（期限超過 / overdue）", "| 1d1h |",
	      "通常手順化 / adopted", "| 1m |" }, { NULL } },
	{ "sections shown only when present", "md",
	    "{" INC("\"t\"") ", \"assembly\": [], \"systems\": []}",
	    { "## 例外措置 / Exception measures\n\nなし / None." },
	    { "参集 / Staff assembly", "RTO per system" } },
	{ "RTO met and missed", "md",
	    "{" INC("\"t\"") ", \"systems\": [{\"id\": \"portal\", \"rto_s\": "
	    "1800, \"achieved_s\": 1200, \"met\": true}, {\"id\": \"mail\", "
	    "\"rto_s\": 600, \"achieved_s\": 700, \"met\": false}]}",
	    { "| portal | 30m | 20m | 達成 / met |",
	      "| mail | 10m | 11m40s | 未達 / missed |" }, { NULL } },
};

static char *
render(const struct render_case *c)
{
	json_error_t	 err;
	json_t		*rep = json_loads(c->report, 0, &err);
	const char	*why = NULL;
	char		*out;

	if (rep == NULL)
		fail_msg("%s: bad JSON in the case: %s", c->name, err.text);
	out = report_render(rep, c->format, &why);
	json_decref(rep);
	if (out == NULL)
		fail_msg("%s: %s", c->name, why ? why : "NULL");
	return out;
}

static void
test_render_cases(void **state)
{
	size_t i, k;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *out = render(&cases[i]);

		for (k = 0; k < MAXS && cases[i].must[k] != NULL; k++)
			if (strstr(out, cases[i].must[k]) == NULL)
				fail_msg("%s: missing \"%s\" in:\n%s",
				    cases[i].name, cases[i].must[k], out);
		for (k = 0; k < MAXS && cases[i].mustnot[k] != NULL; k++)
			if (strstr(out, cases[i].mustnot[k]) != NULL)
				fail_msg("%s: unwanted \"%s\" in:\n%s",
				    cases[i].name, cases[i].mustnot[k], out);
		free(out);
	}
}

static void
test_unknown_format(void **state)
{
	static const char *const bad[] = { "pdf", "json", "", "MD" };
	json_t		*rep = json_pack("{s:{s:i,s:s}}", "incident", "id", 1,
			    "title", "t");
	const char	*why;
	size_t		 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		why = NULL;
		assert_null(report_render(rep, bad[i], &why));
		assert_non_null(why);
	}
	json_decref(rep);
}

/* Open items come first, whatever their kind. */
static void
test_open_items_first(void **state)
{
	static const struct render_case c = { "open items", "md",
	    "{" INC("\"t\"") ", \"open_items\": [{\"kind\": \"exception\", "
	    "\"id\": 2, \"title\": \"入室\", \"state\": \"overdue\", "
	    "\"due_at\": \"2026-11-23T03:12:00Z\"}, {\"kind\": \"step\", "
	    "\"id\": \"verify\", \"title\": \"確認\", \"state\": \"ready\", "
	    "\"due_at\": null}], \"timeline\": [{\"seq\": 1, \"at\": "
	    "\"2026-11-20T03:12:00Z\", \"actor\": \"yamada\", \"on_behalf\": "
	    "\"ito\", \"type\": \"step.done\", \"step\": \"a\", \"text\": "
	    "\"x\"}]}", { NULL }, { NULL } };
	char *out = render(&c), *items, *first_section;

	items = strstr(out, "## 未完了事項 / Open items");
	first_section = strstr(out, "## ");
	assert_non_null(items);
	assert_ptr_equal(items, first_section);
	assert_non_null(strstr(out, "- 例外措置 / exception 2: 入室 (overdue) — "
	    "期限 / due 2026-11-23 12:12:00 +09:00\n- ステップ / step verify: "
	    "確認 (ready)\n"));
	assert_non_null(strstr(out, "| 1 | 2026-11-20 12:12:00 +09:00 | "
	    "yamada（ito の代理 / on behalf of ito） | step.done | a | x |"));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_cases),
		cmocka_unit_test(test_unknown_format),
		cmocka_unit_test(test_open_items_first),
	};

	setenv("TZ", "JST-9", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
