/* The HTML around the pages: the head, one style sheet (phone first,
 * printable), escaping (docfmt's), Japanese first with English beside
 * it, and the board's one small script, which only makes updates live:
 * every page works without it. */
#include <string.h>

#define KZ_WEB_INTERNAL
#include "common/docfmt.h"
#include "common/xmalloc.h"
#include "front/web.h"

void
wh_esc(struct buf *b, const char *s)
{
	doc_html_esc(b, s != NULL ? s : "", 0);
}

void
wh_begin(struct buf *b, const char *title, const char *bodyclass,
    int script)
{
	buf_adds(b, "<!DOCTYPE html>\n<html lang=\"ja\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\">\n"
	    "<meta name=\"referrer\" content=\"no-referrer\">\n<title>");
	wh_esc(b, title);
	buf_adds(b, "</title>\n<link rel=\"stylesheet\" "
	    "href=\"/static/web.css\">\n");
	if (script)
		buf_adds(b, "<script src=\"/static/board.js\" defer></script>\n");
	buf_printf(b, "</head>\n<body class=\"%s\">\n<header><h1>", bodyclass);
	wh_esc(b, title);
	buf_adds(b, "</h1></header>\n");
}

void
wh_end(struct buf *b)
{
	buf_adds(b, "\n</body>\n</html>\n");
}

/* "日本語 English" with the English smaller, in tag. */
void
wh_pair(struct buf *b, const char *tag, const char *ja, const char *en)
{
	buf_printf(b, "<%s>", tag);
	wh_esc(b, ja);
	buf_adds(b, " <small lang=\"en\">");
	wh_esc(b, en);
	buf_printf(b, "</small></%s>", tag);
}

void
wh_hidden(struct buf *b, const char *name, const char *value)
{
	buf_printf(b, "<input type=\"hidden\" name=\"%s\" value=\"", name);
	wh_esc(b, value);
	buf_adds(b, "\">");
}

static const struct {
	const char	*state;
	const char	*ja;
} wh_states[] = {
	{ "blocked", "待機" }, { "ready", "未着手" }, { "acked", "対応中" },
	{ "running", "実行中" }, { "done", "完了" }, { "failed", "失敗" },
	{ "skipped", "省略" }, { "pending", "発動確認待ち" },
	{ "active", "発動中" }, { "closed", "解除" }, { "dismissed", "見送り" },
	{ "called", "回答待ち" }, { "no_answer", "応答なし" },
	{ "available", "参集可" }, { "unavailable", "参集不可" },
	{ "arrived", "到着" }, { "requested", "申請中" },
	{ "rejected", "却下" }, { "reverted", "解除済" }, { "adopted", "恒久化" },
};

const char *
wh_state_ja(const char *state)
{
	size_t i;

	for (i = 0; i < sizeof wh_states / sizeof wh_states[0]; i++)
		if (strcmp(wh_states[i].state, state) == 0)
			return wh_states[i].ja;
	return state;
}

/* "1時間20分" style, for time left or late. */
void
wh_duration(struct buf *b, int64_t ms)
{
	int64_t m = (ms < 0 ? -ms : ms) / 60000;

	if (m >= 24 * 60)
		buf_printf(b, "%lld日%lld時間", (long long)(m / 1440),
		    (long long)(m % 1440 / 60));
	else if (m >= 60)
		buf_printf(b, "%lld時間%lld分", (long long)(m / 60),
		    (long long)(m % 60));
	else
		buf_printf(b, "%lld分", (long long)m);
}

const char wh_css[] =
":root{--fg:#111;--bg:#fff;--mute:#555;--line:#bbb;--bad:#a00;--ok:#064;"
"--warn:#fff3c4;--drill:#e8e8ff}\n"
"*{box-sizing:border-box}\n"
"html{-webkit-text-size-adjust:100%}\n"
"body{margin:0;font:16px/1.5 \"Noto Sans CJK JP\",\"Hiragino Sans\","
"\"Yu Gothic\",Meiryo,sans-serif;color:var(--fg);background:var(--bg);"
"overflow-wrap:anywhere;word-break:break-word}\n"
"header{padding:.5rem .75rem;background:#123;color:#fff}\n"
"header h1{font-size:1.1rem;margin:0}\n"
"main{padding:.5rem .75rem;max-width:60rem}\n"
"h2{font-size:1.05rem;margin:1rem 0 .4rem;border-bottom:1px solid "
"var(--line)}\n"
"h3{font-size:1rem;margin:.8rem 0 .3rem}\n"
"small{color:var(--mute);font-size:.8em}\n"
"header small{color:#ccd}\n"
"p,ul{margin:.4rem 0}\n"
"ul{padding-left:1.2rem}\n"
"form{margin:.4rem 0}\n"
"label{display:block;margin:.3rem 0}\n"
"fieldset{border:1px solid var(--line);border-radius:.4rem;margin:.4rem 0;"
"padding:.2rem .6rem}\n"
"label.opt{padding:.35rem 0}\n"
"input[type=radio]{width:1.3rem;height:1.3rem;vertical-align:middle;"
"margin:0 .4rem 0 0}\n"
"input,select,textarea{font:inherit;max-width:100%;padding:.3rem}\n"
"input[name=who],input[name=token],textarea{width:100%}\n"
"button{font:inherit;font-weight:bold;min-height:2.75rem;padding:.4rem "
".9rem;margin:.2rem .2rem .2rem 0;border:2px solid #123;border-radius:"
".4rem;background:#eef;color:#000;max-width:100%}\n"
"button.go{background:#064;color:#fff;border-color:#064}\n"
"button small{color:inherit}\n"
"nav{padding:.3rem .75rem;display:flex;flex-wrap:wrap;gap:.3rem .8rem;"
"align-items:center}\n"
"nav form{margin:0}\n"
"button.no{background:#fff;color:#a00;border-color:#a00}\n"
".card{border:1px solid var(--line);border-radius:.4rem;padding:.5rem "
".6rem;margin:.5rem 0}\n"
".bad{color:var(--bad);font-weight:bold}\n"
".good{color:var(--ok);font-weight:bold}\n"
".tag{display:inline-block;border:1px solid currentColor;border-radius:"
".3rem;padding:0 .3rem;font-size:.85em;font-weight:bold}\n"
".late{background:var(--warn)}\n"
".late .tag{color:var(--bad)}\n"
".drill{background:var(--drill)}\n"
".drillmark{color:#33a}\n"
"table{border-collapse:collapse;width:100%;margin:.3rem 0}\n"
"th,td{border:1px solid var(--line);padding:.2rem .35rem;text-align:left;"
"vertical-align:top}\n"
"th{background:#eee}\n"
".grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(18rem,"
"1fr));gap:.6rem}\n"
".inc{border:2px solid #123;border-radius:.4rem;padding:.4rem .6rem;"
"margin:.6rem 0}\n"
".inc.drill{border-style:dashed}\n"
".meta{color:var(--mute);font-size:.9em}\n"
".live{font-size:.85em}\n"
"@media (max-width:40rem){table,thead,tbody,tr,th,td{display:block}"
"thead{display:none}td{border:0;padding:.1rem 0}tr{border-top:1px solid "
"var(--line);padding:.3rem 0}td[data-l]::before{content:attr(data-l) "
"\"：\";color:var(--mute)}}\n"
"@media print{header{background:none;color:#000}header small{color:#000}"
"form,.noprint,.live{display:none}.inc{break-inside:avoid}"
"body{font-size:11pt}.late{background:none;outline:2px solid #000}"
"a{color:#000;text-decoration:none}}\n";

/* Live updates: on each "change" the board's main part is fetched again
 * and swapped in. Old browsers without EventSource keep the page as it
 * is; the <noscript>-free page reloads by hand. */
const char wh_js[] =
"(function(){\n"
"var live=document.getElementById('live');\n"
"if(!window.EventSource||!window.XMLHttpRequest||!live)return;\n"
"var busy=false,again=false;\n"
"function load(){\n"
" if(busy){again=true;return;}\n"
" busy=true;var x=new XMLHttpRequest();\n"
" x.open('GET','/board?fragment=1');\n"
" x.onload=function(){busy=false;\n"
"  if(x.status===200){document.getElementById('board').innerHTML="
"x.responseText;\n"
"   live.textContent='自動更新中 / live';}\n"
"  if(again){again=false;load();}};\n"
" x.onerror=function(){busy=false;};\n"
" x.send();}\n"
"var es=new EventSource('/board/events');\n"
"es.addEventListener('change',load);\n"
"es.onopen=function(){live.textContent='自動更新中 / live';};\n"
"es.onerror=function(){live.textContent='再接続中 / reconnecting';};\n"
"})();\n";
