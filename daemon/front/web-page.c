/* The personal page (/r/{token}) and the incident page (/i/{id}): phone
 * first, Japanese first with English beside it, plain forms that work
 * without JavaScript. A member answers the call-out (available with an
 * ETA, unavailable, arrived) and acts on their own steps (ack, done,
 * skip, fail with a note); every form is one command, run as the CLI's
 * (web_command), and answers with the page again (303 to it) or with the
 * command's own error. */
#include <event2/http.h>
#include <stdlib.h>
#include <string.h>

#define KZ_WEB_INTERNAL
#include "common/docfmt.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "core/batch.h"
#include "core/daemon.h"
#include "core/webstate.h"
#include "engine/engine.h"
#include "front/web.h"
#include "model/config.h"
#include "model/roster.h"
#include "model/runbook.h"
#include "store/store.h"
#include "core/apply.h"

/* The member's own steps: what they were called for or took. */
static int
page_mine(const struct incident *inc, size_t i, const char *me)
{
	const struct step_st *s = &inc->steps[i];

	if (s->state != SS_READY && s->state != SS_ACKED &&
	    s->state != SS_RUNNING)
		return 0;
	return (s->assignee != NULL && strcmp(s->assignee, me) == 0) ||
	    (s->acked_by != NULL && strcmp(s->acked_by, me) == 0);
}

static void
page_when(struct wreq *wr, struct buf *b, int64_t ms)
{
	char t[32];

	wh_esc(b, kz_local(wr->d, ms, 1, t, sizeof t));
}

/* A form of one button: hidden fields, then the button. */
static void
page_form_open(struct wreq *wr, struct buf *b)
{
	char *csrf = web_csrf(wr);

	buf_adds(b, "<form method=\"post\" action=\"");
	wh_esc(b, strchr(wr->self, '?') != NULL ? "" : wr->self);
	if (strchr(wr->self, '?') != NULL)
		buf_add(b, wr->self, (size_t)(strchr(wr->self, '?') -
		    wr->self));
	buf_adds(b, "\">");
	wh_hidden(b, "csrf", csrf);
	free(csrf);
}

static void
page_callout(struct wreq *wr, struct buf *b, const struct incident *inc)
{
	static const char *const etas[] = { "15m", "30m", "1h", "2h", "3h",
	    "6h", NULL };
	static const char *const etas_ja[] = { "15分", "30分", "1時間",
	    "2時間", "3時間", "6時間", NULL };
	const struct callout	*c = NULL;
	const struct role	*ro;
	size_t			 i;
	int			 open;

	for (i = 0; i < inc->ncallouts; i++)
		if (strcmp(inc->callouts[i].member, wr->member) == 0)
			c = &inc->callouts[i];
	if (c == NULL)
		return;
	ro = roster_role(wr->d->roster, c->role);
	open = inc->state == IS_ACTIVE;
	buf_adds(b, "<section class=\"card\" id=\"callout\">");
	wh_pair(b, "h2", "参集の依頼", "Call-out");
	buf_adds(b, "<p>役割 <small>Role</small>: <b>");
	wh_esc(b, ro != NULL && ro->title != NULL ? ro->title : c->role);
	buf_adds(b, "</b></p><p>あなたの回答 <small>Your answer</small>: "
	    "<b class=\"tag\">");
	wh_esc(b, wh_state_ja(answer_name(c->answer)));
	buf_adds(b, "</b> <small>");
	wh_esc(b, answer_name(c->answer));
	buf_adds(b, "</small>");
	if (c->eta_at != 0 && c->answer == AN_AVAILABLE) {
		buf_adds(b, " 到着予定 <small>ETA</small> ");
		page_when(wr, b, c->eta_at);
	}
	buf_adds(b, "</p>");
	if (!open) {
		buf_adds(b, "</section>");
		return;
	}
	page_form_open(wr, b);
	wh_hidden(b, "answer", "available");
	buf_adds(b, "<label>到着までの時間 <small>Time to arrive</small> "
	    "<select name=\"eta\">");
	for (i = 0; etas[i] != NULL; i++)
		buf_printf(b, "<option value=\"%s\"%s>%s</option>", etas[i],
		    i == 1 ? " selected" : "", etas_ja[i]);
	buf_adds(b, "</select></label><button class=\"go\">参集できる "
	    "<small>I can come</small></button></form>");
	page_form_open(wr, b);
	wh_hidden(b, "answer", "arrived");
	buf_adds(b, "<button class=\"go\">到着した <small>I have arrived</small>"
	    "</button></form>");
	page_form_open(wr, b);
	wh_hidden(b, "answer", "unavailable");
	buf_adds(b, "<button class=\"no\">参集できない <small>I cannot come"
	    "</small></button></form></section>");
}

/* The safety check (SPEC §18) that asked this member. */
static const char *const sf_status[] = { "safe", "injured", "unsafe", NULL };
static const char *const sf_status_ja[] = { "無事", "負傷", "要救助", NULL };
static const char *const sf_etas[] = { "30m", "1h", "2h", "3h", "6h", "12h",
    NULL };
static const int64_t sf_etas_s[] = { 1800, 3600, 7200, 10800, 21600, 43200 };
static const char *const sf_etas_ja[] = { "30分", "1時間", "2時間", "3時間",
    "6時間", "12時間", NULL };

/* As engine_safety_answer picks: the last step under way, else the
 * first that asked the member. */
static int
page_safety_better(const struct incident *inc, int si, int best)
{
	int r = inc->steps[si].state == SS_READY;
	int rb = inc->steps[best].state == SS_READY;

	if (r != rb)
		return r;
	return r ? si > best : si < best;
}

static json_t *
page_safety_row(struct wreq *wr, const struct incident *inc)
{
	json_t	*rows, *row, *pick = NULL;
	size_t	 i;
	int	 si, best = -1;

	rows = store_safety_heard(wr->d->store, inc->id, wr->member);
	json_array_foreach(rows, i, row) {
		si = runbook_step_index(inc->rb, json_string_value(
		    json_object_get(row, "step")));
		if (si < 0 || inc->rb->steps[si].type != ST_SAFETY)
			continue;
		if (best < 0 || page_safety_better(inc, si, best)) {
			pick = row;
			best = si;
		}
	}
	json_incref(pick);
	json_decref(rows);
	return pick;
}

static void
page_radio(struct buf *b, const char *name, const char *value,
    const char *ja, const char *en, int checked, int required)
{
	buf_printf(b, "<label class=\"opt\"><input type=\"radio\" name=\"%s\" "
	    "value=\"%s\"%s%s> ", name, value, checked ? " checked" : "",
	    required ? " required" : "");
	wh_esc(b, ja);
	buf_adds(b, " <small>");
	wh_esc(b, en);
	buf_adds(b, "</small></label>");
}

static void
page_safety(struct wreq *wr, struct buf *b, const struct incident *inc)
{
	json_t		*row = page_safety_row(wr, inc);
	const char	*st, *note;
	json_t		*cc;
	int64_t		 eta_s, at;
	size_t		 i;
	int		 answered, k;

	if (row == NULL)
		return;
	st = json_string_value(json_object_get(row, "status"));
	note = json_string_value(json_object_get(row, "note"));
	cc = json_object_get(row, "can_come");
	eta_s = json_integer_value(json_object_get(row, "eta_s"));
	at = json_integer_value(json_object_get(row, "answered_at"));
	answered = json_is_integer(json_object_get(row, "answered_at"));
	buf_adds(b, "<section class=\"card\" id=\"safety\">");
	wh_pair(b, "h2", "安否確認", "Safety check");
	buf_adds(b, "<p>あなたの回答 <small>Your answer</small>: ");
	if (!answered)
		buf_adds(b, "<b class=\"tag\">未回答</b> <small>not yet "
		    "answered</small>");
	else {
		for (k = 0; sf_status[k] != NULL; k++)
			if (st != NULL && strcmp(st, sf_status[k]) == 0)
				break;
		buf_adds(b, "<b class=\"tag\">");
		wh_esc(b, sf_status[k] != NULL ? sf_status_ja[k] : st);
		buf_adds(b, "</b> <small>");
		wh_esc(b, st != NULL ? st : "");
		buf_adds(b, "</small>");
		if (json_is_integer(cc) && json_integer_value(cc) == 1) {
			buf_adds(b, " ・ <b>参集可</b> <small>can come</small>");
			if (eta_s > 0) {
				buf_adds(b, " 到着まで <small>ETA</small> ");
				wh_duration(b, eta_s * 1000);
			}
		} else if (json_is_integer(cc))
			buf_adds(b, " ・ <b>参集不可</b> <small>cannot come"
			    "</small>");
		buf_adds(b, " ・ 回答 <small>answered</small> ");
		page_when(wr, b, at);
		if (note != NULL) {
			buf_adds(b, "</p><p class=\"meta\">メモ <small>Note"
			    "</small>: ");
			wh_esc(b, note);
		}
	}
	buf_adds(b, "</p>");
	if (inc->state != IS_ACTIVE) {
		buf_adds(b, "</section>");
		json_decref(row);
		return;
	}
	page_form_open(wr, b);
	wh_hidden(b, "form", "safety");
	buf_adds(b, "<fieldset><legend>あなたの状況 <small>How are you"
	    "</small></legend>");
	for (k = 0; sf_status[k] != NULL; k++)
		page_radio(b, "status", sf_status[k], sf_status_ja[k],
		    sf_status[k], st != NULL && strcmp(st, sf_status[k]) == 0,
		    k == 0);
	buf_adds(b, "</fieldset><fieldset><legend>参集 <small>Can you come"
	    "</small></legend>");
	page_radio(b, "come", "yes", "参集可", "I can come",
	    json_is_integer(cc) && json_integer_value(cc) == 1, 0);
	buf_adds(b, "<label>到着までの時間 <small>Time to arrive</small> "
	    "<select name=\"eta\"><option value=\"\">-</option>");
	for (i = 0; sf_etas[i] != NULL; i++)
		buf_printf(b, "<option value=\"%s\"%s>%s</option>", sf_etas[i],
		    sf_etas_s[i] == eta_s ? " selected" : "", sf_etas_ja[i]);
	buf_adds(b, "</select></label>");
	page_radio(b, "come", "no", "参集不可", "I cannot come",
	    json_is_integer(cc) && json_integer_value(cc) == 0, 0);
	buf_adds(b, "</fieldset><label>メモ <small>Note</small><textarea "
	    "name=\"note\" rows=\"2\"></textarea></label><button class=\"go\">"
	    "回答する <small>Send</small></button></form></section>");
	json_decref(row);
}

static void
page_step_form(struct wreq *wr, struct buf *b, const char *step,
    const char *act, const char *ja, const char *en, const char *cls,
    int note)
{
	page_form_open(wr, b);
	wh_hidden(b, "step", step);
	wh_hidden(b, "do", act);
	if (note)
		buf_printf(b, "<label>メモ <small>Note</small><textarea "
		    "name=\"note\" rows=\"2\"%s></textarea></label>",
		    note > 1 ? " required" : "");
	buf_printf(b, "<button class=\"%s\">", cls);
	wh_esc(b, ja);
	buf_adds(b, " <small>");
	wh_esc(b, en);
	buf_adds(b, "</small></button></form>");
}

static void
page_step(struct wreq *wr, struct buf *b, const struct incident *inc,
    size_t i, int64_t now)
{
	const struct rb_step	*rs = &inc->rb->steps[i];
	const struct step_st	*s = &inc->steps[i];
	int			 open = inc->state == IS_ACTIVE;
	/* A closed incident has no live deadline. */
	int			 late = open && s->deadline_at != 0 &&
				    s->deadline_at < now;
	char			*title = engine_step_title(inc, (int)i, NULL);

	buf_printf(b, "<div class=\"card%s\" id=\"step-", late ? " late" : "");
	wh_esc(b, rs->id);
	buf_adds(b, "\"><h3>");
	wh_esc(b, title);
	free(title);
	buf_adds(b, "</h3><p><span class=\"tag\">");
	wh_esc(b, wh_state_ja(step_state_name(s->state)));
	buf_adds(b, "</span> <small>");
	wh_esc(b, step_state_name(s->state));
	buf_adds(b, "</small>");
	if (s->deadline_at != 0 && open) {
		buf_adds(b, " 期限 <small>due</small> ");
		page_when(wr, b, s->deadline_at);
		if (late)
			buf_adds(b, " <b class=\"tag\">期限超過 LATE</b>");
	}
	buf_adds(b, "</p>");
	if (rs->note != NULL) {
		buf_adds(b, "<p class=\"meta\">");
		doc_html_esc(b, rs->note, 1);
		buf_adds(b, "</p>");
	}
	if (s->note != NULL) {
		buf_adds(b, "<p class=\"meta\">メモ <small>Note</small>: ");
		wh_esc(b, s->note);
		buf_adds(b, "</p>");
	}
	if (open && rs->type == ST_APPROVAL) {
		page_step_form(wr, b, rs->id, "approve", "承認", "Approve",
		    "go", 0);
		page_step_form(wr, b, rs->id, "reject", "却下", "Reject", "no",
		    2);
	} else if (open) {
		if (s->state == SS_READY)
			page_step_form(wr, b, rs->id, "ack", "着手する",
			    "Acknowledge", "", 0);
		page_step_form(wr, b, rs->id, "done", "完了にする",
		    "Mark done", "go", 1);
		buf_adds(b, "<details><summary>省略・失敗 <small>Skip or fail"
		    "</small></summary>");
		page_step_form(wr, b, rs->id, "skip", "省略する", "Skip", "",
		    1);
		page_step_form(wr, b, rs->id, "fail", "失敗として報告",
		    "Report failure", "no", 2);
		buf_adds(b, "</details>");
	}
	buf_adds(b, "</div>");
}

/* Every step, read-only, for a signed-in member. */
static void
page_overview(struct wreq *wr, struct buf *b, const struct incident *inc,
    int64_t now)
{
	size_t	i, done = 0;

	for (i = 0; i < inc->rb->nsteps; i++)
		if (inc->steps[i].state == SS_DONE ||
		    inc->steps[i].state == SS_SKIPPED)
			done++;
	buf_adds(b, "<section>");
	wh_pair(b, "h2", "全体の進捗", "All steps");
	buf_printf(b, "<p>完了 %zu / %zu <small>done</small></p>", done,
	    inc->rb->nsteps);
	if (wr->personal) {
		buf_adds(b, "</section>");
		return;
	}
	buf_adds(b, "<ul>");
	for (i = 0; i < inc->rb->nsteps; i++) {
		const struct step_st	*s = &inc->steps[i];
		int			 late = inc->state == IS_ACTIVE &&
					    s->deadline_at != 0 &&
					    s->deadline_at < now &&
					    (s->state == SS_READY ||
					    s->state == SS_ACKED);
		char			*title = engine_step_title(inc, (int)i,
					    NULL);

		buf_printf(b, "<li%s><span class=\"tag\">", late ?
		    " class=\"late\"" : "");
		wh_esc(b, wh_state_ja(step_state_name(s->state)));
		buf_adds(b, "</span> ");
		wh_esc(b, title);
		free(title);
		if (s->assignee != NULL) {
			buf_adds(b, " — ");
			wh_esc(b, web_member_name(wr->d, s->assignee));
		}
		if (late)
			buf_adds(b, " <b class=\"tag\">期限超過 LATE</b>");
		if (s->note != NULL) {
			buf_adds(b, " <small>");
			wh_esc(b, s->note);
			buf_adds(b, "</small>");
		}
		buf_adds(b, "</li>");
	}
	buf_adds(b, "</ul></section>");
}

static void
page_flash(struct wreq *wr, struct buf *b)
{
	const char *ok = strstr(wr->self, "?ok=");

	if (wr->flash != NULL) {
		buf_printf(b, "<p class=\"%s\" role=\"alert\">", wr->flash_bad ?
		    "bad" : "good");
		wh_esc(b, wr->flash);
		buf_adds(b, "</p>");
	} else if (ok != NULL)
		buf_adds(b, "<p class=\"good\" role=\"status\">受け付けました "
		    "<small>Recorded</small></p>");
}

void
page_incident(struct wreq *wr, int status)
{
	struct kz_daemon	*d = wr->d;
	struct incident		*inc;
	struct buf		 b = { 0 };
	char			*title, t[32];
	int64_t			 now = clock_now();
	size_t			 i, mine = 0;
	int			 st;

	if ((inc = kz_incident_load(d, wr->incident, &st)) == NULL) {
		web_error_page(wr, st == 404 ? 404 : 503, st == 404 ?
		    "その事案はありません" : "読み込めません", st == 404 ?
		    "no such incident" : KZ_STORAGE_UNAVAILABLE);
		return;
	}
	title = xprintf("%s#%lld %s", inc->drill ? "[訓練 DRILL] " : "",
	    (long long)inc->id, inc->title ? inc->title : inc->rb->title);
	wh_begin(&b, title, inc->drill ? "page drill" : "page", 0);
	free(title);
	buf_adds(&b, "<main>");
	if (inc->drill)
		buf_adds(&b, "<p class=\"drillmark\"><b class=\"tag\">訓練 DRILL"
		    "</b> これは訓練です <small>This is a drill</small></p>");
	page_flash(wr, &b);
	buf_adds(&b, "<p class=\"meta\">");
	wh_esc(&b, web_member_name(d, wr->member));
	buf_adds(&b, " さん <small>signed in as you</small> ・ ");
	wh_esc(&b, wh_state_ja(inc_state_name(inc->state)));
	buf_adds(&b, " <small>");
	wh_esc(&b, inc_state_name(inc->state));
	buf_adds(&b, "</small> ・ 発動 <small>since</small> ");
	page_when(wr, &b, inc->started_at);
	buf_adds(&b, "</p>");
	if (inc->state != IS_ACTIVE)
		buf_adds(&b, "<p class=\"bad\">この事案は受付を終えています "
		    "<small>This incident takes no more answers</small></p>");
	page_safety(wr, &b, inc);
	page_callout(wr, &b, inc);
	buf_adds(&b, "<section id=\"mine\">");
	wh_pair(&b, "h2", "あなたの手順", "Your steps");
	for (i = 0; i < inc->rb->nsteps; i++)
		if (page_mine(inc, i, wr->member)) {
			page_step(wr, &b, inc, i, now);
			mine++;
		}
	if (mine == 0)
		buf_adds(&b, "<p>いまはありません <small>Nothing for you now"
		    "</small></p>");
	buf_adds(&b, "</section>");
	page_overview(wr, &b, inc, now);
	buf_adds(&b, "<footer class=\"meta\">");
	if (wr->personal)
		buf_printf(&b, "<p>あなた専用のリンクです。転送しないでください"
		    "。<small>Your own link: do not forward it.</small> %s まで"
		    "有効 <small>valid until then</small></p>", kz_local(d,
		    wr->link_exp_s * 1000, 1, t, sizeof t));
	else
		buf_adds(&b, "<p><a href=\"/board\">状況ボード <small>Board"
		    "</small></a></p>");
	buf_adds(&b, "</footer></main>");
	wh_end(&b);
	incident_free(inc);
	web_html(wr, status, &b);
}

static void
page_done(struct wreq *wr, int status, json_t *body)
{
	char *to, *q;

	if (status < 300) {
		q = strchr(wr->self, '?');
		to = xprintf("%.*s?ok=1", q != NULL ? (int)(q - wr->self) :
		    (int)strlen(wr->self), wr->self);
		web_redirect(wr, to);
		free(to);
		return;
	}
	/* The command's own error, as the CLI prints it. */
	wr->flash = xstrdup(json_string_value(json_object_get(body,
	    "error")) ?: "failed");
	wr->flash_bad = 1;
	if (wr->req == NULL) {
		wreq_free(wr);
		return;
	}
	page_incident(wr, status);
}

/* The safety form: status, can come (with an ETA) or not, a note; run
 * as `keizoku safety` (cmd_safety) for the link's member. */
static void
page_post_safety(struct wreq *wr, json_t *form, json_t *p)
{
	const char	*st = json_string_value(json_object_get(form, "status"));
	const char	*come = json_string_value(json_object_get(form, "come"));
	const char	*eta = json_string_value(json_object_get(form, "eta"));
	size_t		 k;

	for (k = 0; st != NULL && sf_status[k] != NULL; k++)
		if (strcmp(st, sf_status[k]) == 0)
			break;
	if (st == NULL || sf_status[k] == NULL) {
		web_error_page(wr, 400, "状況 (無事・負傷・要救助) を選んでくださ"
		    "い", "choose how you are: status=safe, injured or unsafe");
		return;
	}
	json_object_set_new(p, "status", json_string(st));
	if (come != NULL && strcmp(come, "yes") == 0) {
		json_object_set_new(p, "can_come", json_true());
		if (eta != NULL && *eta != '\0')
			json_object_set_new(p, "eta", json_string(eta));
	} else if (come != NULL && strcmp(come, "no") == 0)
		json_object_set_new(p, "can_come", json_false());
	else if (come != NULL && *come != '\0') {
		web_error_page(wr, 400, "参集は「参集可」か「参集不可」です",
		    "come must be yes or no");
		return;
	}
	web_command(wr, KZ_CMD_SAFETY, p, page_done);
}

void
page_post(struct wreq *wr, json_t *form)
{
	const char	*answer = json_string_value(json_object_get(form,
			    "answer"));
	const char	*step = json_string_value(json_object_get(form,
			    "step"));
	const char	*act = json_string_value(json_object_get(form, "do"));
	const char	*note = json_string_value(json_object_get(form,
			    "note"));
	const char	*eta = json_string_value(json_object_get(form, "eta"));
	const char	*form_kind = json_string_value(json_object_get(form,
			    "form"));
	static const char *const answers[] = { "available", "unavailable",
	    "arrived", NULL };
	static const enum kz_cmd_id acts[] = { KZ_CMD_ACK, KZ_CMD_DONE,
	    KZ_CMD_SKIP, KZ_CMD_FAIL, KZ_CMD_APPROVE, KZ_CMD_REJECT };
	const size_t	 nacts = sizeof acts / sizeof acts[0];
	json_t		*p;
	size_t		 i;

	p = json_pack("{s:I}", "incident", (json_int_t)wr->incident);
	if (note != NULL && *note != '\0')
		json_object_set_new(p, "note", json_string(note));
	if (form_kind != NULL && strcmp(form_kind, "safety") == 0) {
		page_post_safety(wr, form, p);
		json_decref(p);
		return;
	}
	if (answer != NULL) {
		for (i = 0; answers[i] != NULL; i++)
			if (strcmp(answers[i], answer) == 0)
				break;
		if (answers[i] == NULL) {
			json_decref(p);
			web_error_page(wr, 400, "回答は available, unavailable, "
			    "arrived のどれかです", "answer must be available, "
			    "unavailable or arrived");
			return;
		}
		json_object_set_new(p, answer, json_true());
		if (eta != NULL && *eta != '\0' && strcmp(answer,
		    "available") == 0)
			json_object_set_new(p, "eta", json_string(eta));
		web_command(wr, KZ_CMD_RESPOND, p, page_done);
		json_decref(p);
		return;
	}
	for (i = 0; act != NULL && i < nacts; i++)
		if (strcmp(kz_cmdspecs[acts[i]].name, act) == 0)
			break;
	if (step == NULL || act == NULL || i == nacts) {
		json_decref(p);
		web_error_page(wr, 400, "フォームの内容が足りません (answer、"
		    "または step と do)", "the form needs answer, or step and "
		    "do=ack|done|skip|fail");
		return;
	}
	json_object_set_new(p, "step", json_string(step));
	web_command(wr, acts[i], p, page_done);
	json_decref(p);
}
