/* Notifications: render the text of an event (Japanese and English, from
 * per-event templates the config may override), pick the channels the
 * config routes it to, and write one outbox row per channel in the same
 * transaction as the event that caused it. Delivery is outbox.c's. */
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "model/config.h"
#include "model/mail.h"
#include "core/webstate.h"
#include "core/apply.h"
#include "core/batch.h"
#include "core/daemon.h"
#include "common/log.h"
#include "core/notify.h"
#include "core/outbox.h"
#include "model/roster.h"
#include "common/sig.h"
#include "store/store.h"
#include "model/template.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "common/ytree.h"
#include "engine/engine.h"

#define NT_DRILL	"[訓練 DRILL] "

/* The default text of each event. {{mention}} is who is called (from
 * the roster's contacts), {{step.id}} and {{step.title}} the step of the
 * event, {{data.*}} what the event carries; the rest as in runbooks. */
static const struct {
	const char	*ja;
	const char	*en;
} nt_texts[EV_COUNT] = {
	[EV_INCIDENT_ACTIVATED] = {
	    "【発動】{{incident.title}}（#{{incident.id}}）を発動しました。"
	    "{{mention}}",
	    "Activated: {{incident.title}} (#{{incident.id}}) {{mention}}" },
	[EV_INCIDENT_PENDING] = {
	    "【発動確認】{{incident.title}}（#{{incident.id}}）の発動基準を"
	    "満たしました。{{mention}} 確認してください: keizoku confirm "
	    "{{incident.id}}",
	    "Pending confirmation: {{incident.title}} (#{{incident.id}}); "
	    "confirm with: keizoku confirm {{incident.id}} {{mention}}" },
	[EV_INCIDENT_DISMISSED] = {
	    "【発動見送り】{{incident.title}}（#{{incident.id}}）",
	    "Dismissed: {{incident.title}} (#{{incident.id}})" },
	[EV_INCIDENT_CLOSED] = {
	    "【発動解除】{{incident.title}}（#{{incident.id}}）を解除しました。",
	    "Closed: {{incident.title}} (#{{incident.id}})" },
	[EV_STEP_READY] = {
	    "【対応依頼】#{{incident.id}} {{step.title}} {{mention}}",
	    "To do: #{{incident.id}} {{step.title}} {{mention}}" },
	[EV_STEP_ASSIGNED] = {
	    "【担当】#{{incident.id}} {{step.title}} の担当になりました "
	    "{{mention}}",
	    "Assigned to you: #{{incident.id}} {{step.title}} {{mention}}" },
	[EV_STEP_ACKED] = {
	    "【着手】#{{incident.id}} {{step.title}}",
	    "Acknowledged: #{{incident.id}} {{step.title}}" },
	[EV_STEP_ESCALATED] = {
	    "【エスカレーション】#{{incident.id}} {{step.title}} は応答が"
	    "ないため {{mention}} に回しました",
	    "Escalated: #{{incident.id}} {{step.title}} (no answer) to "
	    "{{mention}}" },
	[EV_STEP_OVERDUE] = {
	    "【期限超過】#{{incident.id}} {{step.title}} {{mention}}",
	    "Overdue: #{{incident.id}} {{step.title}} {{mention}}" },
	[EV_STEP_FAILED] = {
	    "【失敗】#{{incident.id}} {{step.title}} {{mention}}",
	    "Failed: #{{incident.id}} {{step.title}} {{mention}}" },
	[EV_STEP_REMINDER] = {
	    "【リマインド】#{{incident.id}} {{step.title}} {{mention}}",
	    "Reminder: #{{incident.id}} {{step.title}} {{mention}}" },
	[EV_TRIGGER_REPEATED] = {
	    "【再通知】#{{incident.id}} {{incident.title}}: 発動条件の通知が"
	    "再度届きました（{{data.kind}}）",
	    "Trigger repeated for #{{incident.id}} ({{data.kind}})" },
	[EV_TRIGGER_CANCELLED] = {
	    "【取消】#{{incident.id}} {{incident.title}}: 発動のもとになった情報が"
	    "発表元により取り消されました。状況を確認し、発動の必要がなければ "
	    "keizoku close {{incident.id}} で発動を解除してください {{mention}}",
	    "Trigger withdrawn for #{{incident.id}} {{incident.title}}: its "
	    "sender cancelled the report. Check, and if the activation is not "
	    "needed, close it: keizoku close {{incident.id}} {{mention}}" },
	[EV_SOURCE_SILENT] = {
	    "【情報源 途絶】{{data.source}} から {{data.silent_for}} 以上、何も"
	    "届いていません（最後に受信: {{data.last_heard_at}}）。静かなのは"
	    "平穏だからとは限りません: 監視そのもの（Prometheus、Alertmanager、"
	    "回線、相手のサイト）が止まっていないか確かめてください。",
	    "Source silent: nothing heard from {{data.source}} for "
	    "{{data.silent_for}} (last heard {{data.last_heard_at}}). Silence "
	    "is not calm: check that the monitoring itself is alive." },
	[EV_SOURCE_HEARD] = {
	    "【情報源 復旧】{{data.source}} から再び受信しました"
	    "（途絶していた時間: {{data.silent_for}}）。",
	    "Source heard again: {{data.source}} (it was silent for "
	    "{{data.silent_for}})." },
	[EV_FEED_STALE] = {
	    "【情報源 更新なし】{{data.source}} のフィードは応答していますが、"
	    "{{data.stale_for}} 以上新しい情報がありません（最後の更新: "
	    "{{data.fresh_at}}）。情報源の停止を「地震・津波がない」と取り違え"
	    "ないよう、気象庁ホームページや報道で状況を確認してください。",
	    "Feed stale: {{data.source}} answers but has brought nothing new "
	    "for {{data.stale_for}} (last new entry {{data.fresh_at}}). A dead "
	    "feed is not a quiet earth: check another source." },
	[EV_FEED_FRESH] = {
	    "【情報源 更新再開】{{data.source}} のフィードに新しい情報が"
	    "届きました（更新のなかった時間: {{data.stale_for}}）。",
	    "Feed fresh again: {{data.source}} (nothing new for "
	    "{{data.stale_for}})." },
	[EV_MAINTENANCE_SCHEDULED] = {
	    "【計画作業 予定】{{data.source}} の計画作業（#{{data.id}}）: "
	    "{{data.from}} から {{data.until}} まで、該当する通知では発動しま"
	    "せん。{{data.note}}（登録: {{data.by}}）",
	    "Maintenance scheduled (#{{data.id}}) on {{data.source}} from "
	    "{{data.from}} until {{data.until}}: matching triggers will start "
	    "nothing. {{data.note}} (by {{data.by}})" },
	[EV_MAINTENANCE_STARTED] = {
	    "【計画作業 開始】{{data.source}} の計画作業（#{{data.id}}）を"
	    "開始しました。{{data.until}} まで、該当する通知では発動しません。"
	    "{{data.note}}（登録: {{data.by}}）",
	    "Maintenance started (#{{data.id}}) on {{data.source}} until "
	    "{{data.until}}: matching triggers start nothing. {{data.note}} "
	    "(by {{data.by}})" },
	[EV_MAINTENANCE_ENDED] = {
	    "【計画作業 終了】{{data.source}} の計画作業（#{{data.id}}）が"
	    "終わりました。通知は再び発動の対象です（保留した通知: "
	    "{{data.suppressed}} 件）。",
	    "Maintenance ended (#{{data.id}}) on {{data.source}}: triggers "
	    "count again ({{data.suppressed}} held back)." },
	[EV_ASSEMBLY_CALLOUT] = {
	    "【参集】#{{incident.id}} {{incident.title}}: {{data.role}} として"
	    "参集できるか回答してください: keizoku respond {{incident.id}} "
	    "--available / --unavailable {{mention}}",
	    "Call-out: #{{incident.id}} {{incident.title}}: can you come as "
	    "{{data.role}}? keizoku respond {{incident.id}} --available | "
	    "--unavailable {{mention}}" },
	[EV_SAFETY_ASK] = {
	    "【安否確認】#{{incident.id}} {{incident.title}}: {{data.title}}。"
	    "無事か、負傷か、要救助か、参集できるかを回答してください: "
	    "keizoku safety {{incident.id}} --safe --can-come --eta 1h "
	    "{{mention}}",
	    "Safety check: #{{incident.id}} {{incident.title}}: are you safe, "
	    "injured or in danger, and can you come? keizoku safety "
	    "{{incident.id}} --safe|--injured|--unsafe --can-come|--cannot-come "
	    "{{mention}}" },
	[EV_SAFETY_SUMMARY] = {
	    "【安否確認 集計】#{{incident.id}} {{data.title}}: 回答 "
	    "{{data.answered}}/{{data.asked}}（無事 {{data.safe}}、負傷 "
	    "{{data.injured}}、要救助 {{data.unsafe}}、参集可 {{data.can_come}}）"
	    "。未回答 {{data.not_heard_count}} 名: {{data.not_heard_text}} "
	    "{{mention}}",
	    "Safety check summary: #{{incident.id}} {{data.title}}: "
	    "{{data.answered}} of {{data.asked}} answered (safe {{data.safe}}, "
	    "injured {{data.injured}}, in danger {{data.unsafe}}, can come "
	    "{{data.can_come}}); {{data.not_heard_count}} not heard from "
	    "{{mention}}" },
	[EV_ASSEMBLY_COMPLETE] = {
	    "【参集完了】#{{incident.id}} {{step.title}}: 必要な人数がそろい"
	    "ました",
	    "Assembled: #{{incident.id}} {{step.title}}: every quota is met" },
	[EV_ASSEMBLY_SHORT] = {
	    "【参集不足】#{{incident.id}} {{step.title}}: 不足 {{data.short}} "
	    "{{mention}}",
	    "Short of staff: #{{incident.id}} {{step.title}}: missing "
	    "{{data.short}} {{mention}}" },
	[EV_RTO_WARNING] = {
	    "【RTO 警告】#{{incident.id}} {{data.system}} は目標復旧時間の "
	    "{{data.pct}}% を経過しました（期限 {{data.deadline_at}}）"
	    "{{mention}}",
	    "RTO warning: #{{incident.id}} {{data.system}} is at {{data.pct}}% "
	    "of its RTO (deadline {{data.deadline_at}}) {{mention}}" },
	[EV_RTO_BREACHED] = {
	    "【RTO 超過】#{{incident.id}} {{data.system}} は目標復旧時間を"
	    "超えました（期限 {{data.deadline_at}}）{{mention}}",
	    "RTO breached: #{{incident.id}} {{data.system}} missed its "
	    "deadline {{data.deadline_at}} {{mention}}" },
	[EV_SYSTEM_RECOVERED] = {
	    "【復旧】#{{incident.id}} {{data.system}} が復旧しました（経過 "
	    "{{data.elapsed_s}} 秒）",
	    "Recovered: #{{incident.id}} {{data.system}} after "
	    "{{data.elapsed_s}}s" },
	[EV_PLAN_DRILL_DUE] = { "【訓練期限】計画に定める{{data.type_ja}}"
	    "（{{data.every}}ごと）の実施期限 {{data.due}} を迎えました"
	    "（前回 {{data.last}}）。",
	    "Drill due: the plan's {{data.type}} drill (every {{data.every}}) "
	    "fell due on {{data.due}} (last held {{data.last}})." },
	[EV_ROTA_TURN_STARTED] = {
	    "【当番開始】{{data.rota_title}}: {{data.team_title}} の当番が"
	    "始まりました（{{data.until_local}} まで）{{mention}}",
	    "Your turn: {{data.rota}}: team {{data.team}} is on until "
	    "{{data.until}} {{mention}}" },
	[EV_ROTA_HANDOVER] = {
	    "【引き継ぎ】{{data.rota_title}}: {{data.team_title}} に交代しました。"
	    "{{mention}}\n{{data.text}}",
	    "Handover: {{data.rota}} passed to team {{data.team}} "
	    "{{mention}}\n{{data.text}}" },
	[EV_TEAM_OUT] = {
	    "【班の離脱】{{data.team_title}} は {{data.until_local}} まで"
	    "呼出し・割当ての対象外です（{{data.note}}）{{mention}}",
	    "Team out: {{data.team}} is unavailable until {{data.until}} "
	    "({{data.note}}) {{mention}}" },
	[EV_TEAM_BACK] = {
	    "【班の復帰】{{data.team_title}} が呼出し・割当ての対象に戻りました",
	    "Team back: {{data.team}} is available again" },
	[EV_DRILL_INJECT] = {
	    "【状況付与】#{{incident.id}} {{data.text}} {{mention}}",
	    "Inject for #{{incident.id}}: {{data.text}} {{mention}}" },
	[EV_EXCEPTION_REQUESTED] = {
	    "【例外措置 申請】#{{incident.id}} 例外措置 {{data.id}}"
	    "「{{data.title}}」（{{data.policy}}）の承認を求めています: "
	    "keizoku exception approve {{data.id}} {{mention}}",
	    "Exception requested: {{data.id}} {{data.title}} "
	    "({{data.policy}}); approve with: keizoku exception approve "
	    "{{data.id}} {{mention}}" },
	[EV_EXCEPTION_APPROVED] = {
	    "【例外措置 承認】例外措置 {{data.id}}「{{data.title}}」が"
	    "承認されました。{{data.revert_by_at}} までに解除してください。"
	    "{{data.note}} {{mention}}",
	    "Exception approved: {{data.id}} {{data.title}}; revert it by "
	    "{{data.revert_by_at}} {{data.note}} {{mention}}" },
	[EV_EXCEPTION_REJECTED] = {
	    "【例外措置 却下】例外措置 {{data.id}}「{{data.title}}」は"
	    "却下されました: {{data.note}} {{mention}}",
	    "Exception rejected: {{data.id}} {{data.title}}: {{data.note}} "
	    "{{mention}}" },
	[EV_EXCEPTION_RESOLVED] = {
	    "【例外措置 終了】例外措置 {{data.id}}「{{data.title}}」"
	    "（{{data.state}}）{{data.note}}",
	    "Exception resolved: {{data.id}} {{data.title}} ({{data.state}}) "
	    "{{data.note}}" },
	[EV_EXCEPTION_REMINDER] = {
	    "【例外措置 期限】例外措置 {{data.id}}「{{data.title}}」は "
	    "{{data.revert_by_at}} までに解除が必要です。{{mention}}",
	    "Exception {{data.id}} {{data.title}} must be reverted by "
	    "{{data.revert_by_at}} {{mention}}" },
	[EV_EXCEPTION_OVERDUE] = {
	    "【例外措置 期限超過】例外措置 {{data.id}}「{{data.title}}」は"
	    "解除期限（{{data.revert_by_at}}）を過ぎています。解除するか"
	    "恒久化してください。{{mention}}",
	    "Exception {{data.id}} {{data.title}} is past its revert-by "
	    "deadline ({{data.revert_by_at}}): revert or adopt it "
	    "{{mention}}" },
};

static const char *const nt_langs[] = { "ja", "en", NULL };

/* Whether a route's event pattern covers event: exact, "*", or a
 * prefix such as "step.*". */
static int
nt_pattern(const char *pat, const char *event)
{
	size_t l = strlen(pat);

	if (strcmp(pat, "*") == 0 || strcmp(pat, event) == 0)
		return 1;
	return l >= 2 && strcmp(pat + l - 2, ".*") == 0 &&
	    strncmp(pat, event, l - 1) == 0;
}

/* Whether the routes send event to channel. A channel no route names
 * hears every event (no routes at all: every channel hears everything);
 * a named one hears what its routes list. */
static int
nt_routed(const struct config *c, const char *channel, const char *event)
{
	size_t	i, j;
	int	named = 0;

	for (i = 0; i < c->nroutes; i++) {
		const struct route_conf *r = &c->routes[i];

		if (strcmp(r->channel, channel) != 0)
			continue;
		named = 1;
		if (r->events == NULL)
			return 1;
		for (j = 0; r->events[j] != NULL; j++)
			if (nt_pattern(r->events[j], event))
				return 1;
	}
	return !named;
}

/* A notify step's own channel list, when it has one. */
static int
nt_step_channel(json_t *chans, const char *channel, int *listed)
{
	size_t	i;

	*listed = json_is_array(chans) && json_array_size(chans) > 0;
	if (!*listed)
		return 0;
	for (i = 0; i < json_array_size(chans); i++) {
		const char *s = json_string_value(json_array_get(chans, i));

		if (s != NULL && strcmp(s, channel) == 0)
			return 1;
	}
	return 0;
}

static void
nt_add_mention(const struct roster *ro, struct buf *b, const char *member,
    const char *channel)
{
	const struct member	*m = roster_member(ro, member);
	size_t			 i;

	if (b->len > 0)
		buf_addc(b, ' ');
	for (i = 0; m != NULL && i < m->ncontacts; i++) {
		if (strcmp(m->contacts[i].channel, channel) == 0 &&
		    m->contacts[i].mention != NULL) {
			buf_adds(b, m->contacts[i].mention);
			return;
		}
	}
	buf_printf(b, "@%s", m != NULL && m->name != NULL ? m->name : member);
}

/* Who the event calls, as the channel writes mentions: the step's
 * current assignee when the event goes to the step's own assignment
 * (the primary, or the deputy it escalated to), else every candidate of
 * the target (a member, or a role in order of precedence). */
static char *
nt_mentions(struct kz_daemon *d, const struct incident *inc,
    const struct effect *e, const char *channel)
{
	struct buf	 b = { 0 };
	char *const	*cand;
	const char	*assignee = NULL;
	size_t		 n, i;

	if (e->to == NULL)
		return xstrdup("");
	if (e->step >= 0 && inc->rb->steps[e->step].assign != NULL &&
	    strcmp(inc->rb->steps[e->step].assign, e->to) == 0)
		assignee = inc->steps[e->step].assignee;
	if (assignee != NULL)
		nt_add_mention(d->roster, &b, assignee, channel);
	else {
		cand = roster_candidates(d->roster, e->to, &n);
		for (i = 0; i < n; i++)
			nt_add_mention(d->roster, &b, cand[i], channel);
	}
	return buf_steal(&b);
}

/* Repeats of a trigger summed up (triggerlog.c): a trigger.repeated
 * notification with data.kind "summary" has a text of its own, under a
 * name of its own in the config's templates. */
#define NT_SUMMARY	"trigger.repeated.summary"
static const char nt_summary_ja[] =
    "【再通知まとめ】#{{incident.id}} {{incident.title}}: 直近 "
    "{{data.period_s}} 秒に発動条件の通知がさらに {{data.count}} 件"
    "届きました";
static const char nt_summary_en[] =
    "Trigger repeated {{data.count}} more times in the last "
    "{{data.period_s}}s for #{{incident.id}}";

static int
nt_summary(const struct effect *e)
{
	const char *kind = json_string_value(json_object_get(e->data, "kind"));

	return e->ev == EV_TRIGGER_REPEATED && kind != NULL &&
	    strcmp(kind, "summary") == 0;
}

/* The template of event (or the summary of repeats) in lang: the
 * config's ({ja: ..., en: ...}), else the built-in one. */
static const char *
nt_template(struct kz_daemon *d, enum kz_event ev, int summary,
    const char *lang)
{
	json_t *o = json_object_get(d->conf->templates, summary ? NT_SUMMARY :
	    event_name(ev));

	if (json_is_string(json_object_get(o, lang)))
		return json_string_value(json_object_get(o, lang));
	if (summary)
		return strcmp(lang, "ja") == 0 ? nt_summary_ja : nt_summary_en;
	return strcmp(lang, "ja") == 0 ? nt_texts[ev].ja : nt_texts[ev].en;
}

/* Renders a message template for a channel: for chat formats (Slack and
 * the like, Teams) every value is escaped (template.h, TC_CHAT), since
 * titles, notes, labels and report texts come from triggers and members;
 * mentions come only from the roster ({{mention}}). */
static int
nt_chat(const struct channel_conf *ch)
{
	return strcmp(ch->type, "slack") == 0 || strcmp(ch->type, "teams") ==
	    0;
}

static char *
nt_expand(const char *s, json_t *ctx, const struct channel_conf *ch)
{
	return tmpl_expand_in(s, ctx, nt_chat(ch) ? TC_CHAT : TC_TEXT);
}

/* Appends a rendered line without the blanks an empty hole leaves. */
static void
nt_add_line(struct buf *b, const char *s, int *lines)
{
	size_t len = strlen(s);

	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\n'))
		len--;
	if (len == 0)
		return;
	if ((*lines)++ > 0)
		buf_addc(b, '\n');
	buf_add(b, s, len);
}

/* A line per language the channel wants, each with its mentions (a
 * sentence may need them; a chat service calls a person once however
 * often the message names them). */
static void
nt_event_text(struct kz_daemon *d, const struct effect *e,
    const struct channel_conf *ch, json_t *ctx, const char *mention,
    struct buf *b, int *lines)
{
	const char	*tp;
	int		 summary = nt_summary(e);
	const char	*name = summary ? NT_SUMMARY : event_name(e->ev);
	char		*t;
	size_t		 i;

	json_object_set_new(ctx, "mention", json_string(mention));
	/* The config's one text for every language is one line. */
	if (json_is_string(json_object_get(d->conf->templates, name))) {
		t = nt_expand(json_string_value(json_object_get(
		    d->conf->templates, name)), ctx, ch);
		nt_add_line(b, t, lines);
		free(t);
		return;
	}
	for (i = 0; nt_langs[i] != NULL; i++) {
		if (strcmp(ch->lang, "both") != 0 &&
		    strcmp(ch->lang, nt_langs[i]) != 0)
			continue;
		if ((tp = nt_template(d, e->ev, summary, nt_langs[i])) == NULL)
			continue;
		t = nt_expand(tp, ctx, ch);
		nt_add_line(b, t, lines);
		free(t);
	}
}

/* Events whose text is their data.text as it is: a notify step's
 * message, a situation report. */
static int
nt_verbatim(enum kz_event ev)
{
	return ev == EV_STEP_NOTIFY || ev == EV_SITREP_ISSUED;
}

/* The text of one event for one channel: the drill mark, then a notify
 * step's own message or the event's template. */
static char *
nt_render(struct kz_daemon *d, const struct incident *inc,
    const struct effect *e, const struct channel_conf *ch, json_t *ctx)
{
	struct buf	 b = { 0 };
	char		*m, *t, *r;
	const char	*s;
	int		 lines = 0;

	m = nt_mentions(d, inc, e, ch->name);
	if (inc != NULL && inc->drill)
		buf_adds(&b, NT_DRILL);
	if (nt_verbatim(e->ev)) {
		/* A notify step's text is rendered again for this channel
		 * (the event keeps it as plain text); a ready-made text (a
		 * situation report) is escaped whole for a chat. */
		s = e->ev == EV_STEP_NOTIFY && inc != NULL && e->step >= 0 ?
		    inc->rb->steps[e->step].u.notify.text : NULL;
		if (s != NULL)
			r = nt_expand(s, ctx, ch);
		else {
			s = json_string_value(json_object_get(e->data, "text"));
			r = nt_chat(ch) ? tmpl_chat_escape(s != NULL ? s : "") :
			    xstrdup(s != NULL ? s : "");
		}
		t = xprintf("%s%s%s", r, *m != '\0' ? " " : "", m);
		nt_add_line(&b, t, &lines);
		free(t);
		free(r);
	} else
		nt_event_text(d, e, ch, ctx, m, &b, &lines);
	if (lines == 0 && inc != NULL)	/* nobody wrote a text for it */
		buf_printf(&b, "%s #%lld", event_name(e->ev),
		    (long long)inc->id);
	else if (lines == 0)
		buf_adds(&b, event_name(e->ev));
	free(m);
	return buf_steal(&b);
}

static const char *
nt_color(const struct incident *inc, enum kz_event ev)
{
	if (inc != NULL && inc->drill)
		return "808080";
	switch (ev) {
	case EV_STEP_FAILED:
	case EV_STEP_OVERDUE:
	case EV_STEP_ESCALATED:
	case EV_RTO_BREACHED:
	case EV_ASSEMBLY_SHORT:
	case EV_EXCEPTION_OVERDUE:
		return "D70000";
	default:
		return "0076D7";
	}
}

/* What the body of a notification is made from. */
struct nt_msg {
	const char		*msg_id;
	const char		*page;		/* {base_url}/i/{id} or NULL */
	enum kz_event		 event;
	const struct incident	*inc;
	const char		*step;
	const char		*text;
	int64_t			 now;
};

/* Slack, Mattermost, Rocket.Chat: {"text": ...}. */
static json_t *
nt_slack(const struct nt_msg *m)
{
	json_t	*p;
	char	*t;

	if (m->page == NULL)
		return json_pack("{s:s}", "text", m->text);
	/* Slack's link syntax; the page asks for sign-in. */
	t = xprintf("%s\n<%s|#%lld を開く / Open #%lld>", m->text, m->page,
	    (long long)m->inc->id, (long long)m->inc->id);
	p = json_pack("{s:s}", "text", t);
	free(t);
	return p;
}

/* Teams: a MessageCard, the first line as its title. */
static json_t *
nt_teams(const struct nt_msg *m)
{
	const char	*nl = strchr(m->text, '\n');
	char		*title;
	json_t		*p;

	title = nl != NULL ? xstrndup(m->text, (size_t)(nl - m->text)) :
	    xstrdup(m->text);
	p = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "@type", "MessageCard",
	    "@context", "https://schema.org/extensions", "summary", title,
	    "themeColor", nt_color(m->inc, m->event), "title", title, "text",
	    nl != NULL ? nl + 1 : m->text);
	free(title);
	if (m->page != NULL)
		json_object_set_new(p, "potentialAction", json_pack("[{s:s,s:s,"
		    "s:[{s:s,s:s}]}]", "@type", "OpenUri", "name",
		    "開く / Open", "targets", "os", "default", "uri", m->page));
	return p;
}

/* Webhook: the envelope of SPEC §11. */
static json_t *
nt_webhook(const struct nt_msg *m)
{
	char ts[40];

	return json_pack("{s:s,s:s,s:s,s:b,s:o,s:s?,s:s}", "id", m->msg_id,
	    "type", event_name(m->event), "time", rfc3339_buf(m->now, ts,
	    sizeof ts),
	    "drill", m->inc != NULL && m->inc->drill, "incident",
	    m->inc != NULL ? json_integer(m->inc->id) : json_null(), "step",
	    m->step, "text", m->text);
}

static const struct {
	const char	*type;
	json_t		*(*body)(const struct nt_msg *);
} nt_types[] = {
	{ "slack", nt_slack },
	{ "teams", nt_teams },
	{ "webhook", nt_webhook },
};

/* The body a channel type posts (SPEC §11); NULL for an unknown type
 * (config.c refuses those). */
static json_t *
nt_payload(const struct channel_conf *ch, const struct nt_msg *m)
{
	size_t i;

	for (i = 0; i < sizeof nt_types / sizeof nt_types[0]; i++)
		if (strcmp(nt_types[i].type, ch->type) == 0)
			return nt_types[i].body(m);
	return NULL;
}

/* The webhook-id of a notification: the same on every attempt, so a
 * receiver can drop repeats. */
static void
nt_msg_id(char out[40])
{
	/* Drawn 32 ids at a time: RAND_bytes costs about as much for 512
	 * bytes as for 16, and an activation makes several ids. */
	static unsigned char	pool[16 * 32];
	static size_t		used = sizeof pool;
	char			hex[33];

	if (used == sizeof pool) {
		if (RAND_bytes(pool, sizeof pool) != 1)
			fatalx("RAND_bytes failed: no randomness for message "
			    "ids");
		used = 0;
	}
	hex_encode(pool + used, 16, hex);
	used += 16;
	snprintf(out, 40, "msg_%s", hex);
}

/* The one writer of an outbox row: incident 0 is about no incident,
 * step and recipient may be NULL (a shared channel has no recipient). */
static int
nt_insert_row(struct kz_daemon *d, int64_t incident, const char *step,
    const char *channel, const char *event, const char *id,
    const char *payload, const char *text, int drill, const char *to,
    int64_t now)
{
	struct notification_row	 n;
	int64_t			 nid;
	int			 rc, claim = outbox_claim(d, channel);

	/* Claimed: its first attempt is recorded with it (sending = 1), and
	 * it goes out as soon as this transaction commits. */
	memset(&n, 0, sizeof n);
	n.incident = incident;
	n.step = step;
	n.channel = channel;
	n.event = event;
	n.msg_id = id;
	n.payload = payload;
	n.text = text;
	n.drill = drill;
	n.created = now;
	n.recipient = to;
	n.sending = claim;
	rc = store_notification_add(d->store, &n, &nid);
	if (rc == 0 && claim)
		outbox_claimed(d, channel, nid, id,
		    payload, now);
	else if (rc == 0 && d->outbox != NULL)
		/* Left for a read of the table after the commit. A claimed
		 * row is in the outbox's memory: no read would find more. */
		outbox_queued(d->outbox);
	return rc;
}

/* One outbox row of a shared channel: the event rendered for ch (inc
 * NULL: about no incident). */
static int
nt_insert(struct kz_daemon *d, const struct incident *inc,
    const struct effect *e, const struct channel_conf *ch, json_t *ctx,
    int64_t now)
{
	struct nt_msg	 m;
	char		 id[40], *text, *body;
	json_t		*p;
	int		 rc;

	nt_msg_id(id);
	text = nt_render(d, inc, e, ch, ctx);
	memset(&m, 0, sizeof m);
	m.msg_id = id;
	m.event = e->ev;
	m.inc = inc;
	m.step = inc != NULL && e->step >= 0 ? inc->rb->steps[e->step].id :
	    NULL;
	m.text = text;
	m.now = now;
	m.page = inc != NULL && d->conf->web.base_url != NULL &&
	    d->conf->web.secret != NULL ? xprintf("%s/i/%lld",
	    d->conf->web.base_url, (long long)inc->id) : NULL;
	p = nt_payload(ch, &m);
	free((char *)m.page);
	body = p != NULL ? json_dumps(p, JSON_COMPACT) : NULL;
	json_decref(p);
	if (body == NULL) {
		/* Not worth undoing the event that caused it. */
		if (inc != NULL)
			log_warnx("incident %lld: cannot encode the %s "
			    "notification for channel %s; not sent",
			    (long long)inc->id, event_name(e->ev), ch->name);
		free(text);
		return 0;
	}
	rc = nt_insert_row(d, inc != NULL ? inc->id : 0, m.step, ch->name,
	    event_name(e->ev), id, body, text, inc != NULL && inc->drill, NULL,
	    now);
	free(body);
	free(text);
	return rc;
}

/* The event's data as people read it: times (fields ending _at) in the
 * configured time zone, "2026-11-20 12:15 JST" (the webhook envelope
 * keeps its RFC 3339 "time"). A new reference. */
static json_t *
nt_local_times(json_t *data)
{
	json_t		*o = json_deep_copy(data), *v;
	const char	*k;
	size_t		 l;
	int64_t		 ms;
	char		*t;

	json_object_foreach(data, k, v) {
		l = strlen(k);
		if (l < 3 || strcmp(k + l - 3, "_at") != 0 ||
		    !json_is_string(v) || rfc3339_parse(json_string_value(v),
		    &ms) == -1)
			continue;
		t = time_local_text(ms);
		json_object_set_new(o, k, json_string(t));
		free(t);
	}
	return o;
}

/* {{step.*}}: the event's step as the runbook has it. */
static json_t *
nt_step(const struct incident *inc, const struct effect *e, json_t *ctx)
{
	char	*title;
	json_t	*j;

	if (e->step < 0 || (size_t)e->step >= inc->rb->nsteps)
		return json_object();
	title = engine_step_title(inc, e->step, ctx);
	j = json_pack("{s:s,s:s}", "id", inc->rb->steps[e->step].id, "title",
	    title);
	free(title);
	return j;
}

/* Warns about a notify step naming a channel the config lacks: its
 * message would silently go nowhere. */
static void
nt_check_listed(struct kz_daemon *d, const struct incident *inc,
    json_t *chans)
{
	size_t i;

	for (i = 0; json_is_array(chans) && i < json_array_size(chans); i++) {
		const char *s = json_string_value(json_array_get(chans, i));

		if (s != NULL && config_channel(d->conf, s) == NULL)
			log_warnx("incident %lld: notify step names channel "
			    "\"%s\", which the config does not define",
			    (long long)inc->id, s);
	}
}

/* ---- personal delivery (SPEC §14) ----
 *
 * An email channel sends each addressed member a message of their own;
 * a channel that is a member's direct contact (a direct-message hook)
 * hears only what addresses that member. Both carry the member's
 * personal answer link when the event is a call-out or a step's, and
 * nothing else ever does: shared channels get the incident's page. */

static int
nt_is_personal(struct kz_daemon *d, const struct channel_conf *ch)
{
	return strcmp(ch->type, "email") == 0 ||
	    roster_direct(d->roster, ch->name) != NULL;
}

/* The members an event addresses, as nt_mentions finds them. */
static char **
nt_addressed(struct kz_daemon *d, const struct incident *inc,
    const struct effect *e, size_t *n)
{
	char *const	*cand;
	char		**out;
	size_t		 i;

	*n = 0;
	if (e->to == NULL)
		return NULL;
	if (e->step >= 0 && inc->rb->steps[e->step].assign != NULL &&
	    strcmp(inc->rb->steps[e->step].assign, e->to) == 0 &&
	    inc->steps[e->step].assignee != NULL) {
		out = xcalloc(1, sizeof *out);
		out[(*n)++] = inc->steps[e->step].assignee;
		return out;
	}
	cand = roster_candidates(d->roster, e->to, n);
	out = xcalloc(*n + 1, sizeof *out);
	for (i = 0; i < *n; i++)
		out[i] = cand[i];
	return out;
}

/* Whether the event lets its member act: a call-out or a step's. */
static int
nt_links(const struct incident *inc, enum kz_event ev)
{
	return (inc->state == IS_ACTIVE || inc->state == IS_PENDING) &&
	    (ev == EV_ASSEMBLY_CALLOUT || ev == EV_SAFETY_ASK ||
	    strncmp(event_name(ev), "step.", 5) == 0);
}

/* The event's lines for one member, the member's name as the mention
 * (with the drill mark in front). */
static char *
nt_personal_lines(struct kz_daemon *d, const struct incident *inc,
    const struct effect *e, const struct channel_conf *ch, json_t *ctx,
    const struct member *m)
{
	struct buf	 b = { 0 };
	const char	*s;
	int		 lines = 0;

	if (inc->drill)
		buf_adds(&b, NT_DRILL);
	if (nt_verbatim(e->ev)) {
		char *r;

		s = json_string_value(json_object_get(e->data, "text"));
		r = nt_chat(ch) ? tmpl_chat_escape(s != NULL ? s : "") :
		    xstrdup(s != NULL ? s : "");
		nt_add_line(&b, r, &lines);
		free(r);
	} else
		nt_event_text(d, e, ch, ctx, m->name != NULL ? m->name : m->id,
		    &b, &lines);
	if (lines == 0)
		buf_printf(&b, "%s #%lld", event_name(e->ev),
		    (long long)inc->id);
	return buf_steal(&b);
}

/* The text for one member: plain (what `notifications` shows), then the
 * links the member may use (links: the personal one). */
static char *
nt_personal_link(struct kz_daemon *d, const struct incident *inc,
    const char *plain, const struct member *m, int links)
{
	struct buf	 b = { 0 };
	char		*link, when[32];

	buf_adds(&b, plain);
	if (links && (link = web_answer_link(d, m->id, inc->id)) != NULL) {
		kz_local(d, clock_now() + d->conf->web.link_ttl_s * 1000, 1,
		    when, sizeof when);
		buf_printf(&b, "\n\n回答・操作はこちら（あなた専用のリンクです。"
		    "転送しないでください）/ Answer and act here (your own "
		    "link: do not forward it):\n%s\n（%s まで有効 / valid until "
		    "%s）", link, when, when);
		free(link);
	} else if (d->conf->web.base_url != NULL &&
	    d->conf->web.secret != NULL)
		buf_printf(&b, "\n\n#%lld の画面（要サインイン）/ Incident page "
		    "(sign-in): %s/i/%lld", (long long)inc->id,
		    d->conf->web.base_url, (long long)inc->id);
	return buf_steal(&b);
}

/* The outbox payload of one mail to member m by channel ch, or NULL (and
 * why, to free) when it cannot be composed. incident may be NULL. */
static char *
nt_mail_payload(const struct channel_conf *ch, const struct member *m,
    const char *id, const char *incident, const char *event,
    const char *subject, const char *text, int64_t now, char **why)
{
	struct mail	 ml;
	char		*msgid, *msg;
	json_t		*p;

	msgid = xprintf("%s@%s", id, mail_domain(ch->from));
	memset(&ml, 0, sizeof ml);
	ml.from = ch->from;
	ml.from_name = ch->from_name != NULL ? ch->from_name : "keizoku";
	ml.to = m->email;
	ml.to_name = m->name;
	ml.subject = subject;
	ml.text = text;
	ml.msg_id = msgid;
	ml.date_ms = now;
	ml.incident = incident;
	ml.event = event;
	msg = mail_compose(&ml, why);
	free(msgid);
	if (msg == NULL)
		return NULL;
	p = json_pack("{s:s,s:s}", "rcpt", m->email, "message", msg);
	free(msg);
	msg = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	return msg;
}

/* The message of an email channel to one member: subject from the first
 * line, the whole text as the body. */
static char *
nt_mail(const struct incident *inc, const char *event,
    const struct channel_conf *ch, const struct member *m, const char *id,
    const char *text, int64_t now)
{
	const char	*nl = strchr(text, '\n');
	char		*subject, *payload, *why = NULL, incs[24];

	subject = nl != NULL ? xstrndup(text, (size_t)(nl - text)) :
	    xstrdup(text);
	snprintf(incs, sizeof incs, "%lld", (long long)inc->id);
	payload = nt_mail_payload(ch, m, id, incs, event, subject, text, now,
	    &why);
	free(subject);
	if (payload == NULL) {
		log_warnx("incident %lld: no mail to %s: %s",
		    (long long)inc->id, m->id, why);
		free(why);
	}
	return payload;
}

/* Writes one personal message: text (with its links) to member m by
 * channel ch; plain is what `notifications` shows. step may be NULL (a
 * message about several). */
static int
nt_personal_write(struct kz_daemon *d, const struct incident *inc,
    enum kz_event ev, const char *step, const struct channel_conf *ch,
    const struct member *m, const char *text, const char *plain,
    int64_t now)
{
	struct nt_msg	 msg;
	char		 id[40], *payload = NULL;
	json_t		*p;
	int		 rc = 0;

	nt_msg_id(id);
	if (strcmp(ch->type, "email") == 0)
		payload = nt_mail(inc, event_name(ev), ch, m, id, text, now);
	else {
		memset(&msg, 0, sizeof msg);
		msg.msg_id = id;
		msg.event = ev;
		msg.inc = inc;
		msg.step = step;
		msg.text = text;
		msg.now = now;
		p = nt_payload(ch, &msg);
		payload = p != NULL ? json_dumps(p, JSON_COMPACT) : NULL;
		json_decref(p);
	}
	if (payload != NULL)
		rc = nt_insert_row(d, inc->id, step, ch->name, event_name(ev),
		    id, payload, plain, inc->drill, m->id, now);
	free(payload);
	return rc;
}

/* ---- one message per member per change ----
 *
 * The step messages a change makes for one member on one personal
 * channel (five steps assigned to them at once) are held until the
 * change's effects are all applied, then written as one message listing
 * them all, with one link: five mails where one would do were five
 * interruptions. A lone one is written as it was. A channel of type
 * webhook keeps one per step: its body names the step; a notify step's
 * message is its author's, written as it is. */
struct nt_held {
	const struct channel_conf *ch;
	const struct member	*m;
	enum kz_event		 ev;	/* the first's */
	char			*step;	/* the first's */
	struct buf		 lines;	/* each message's lines */
	int			 n;
};

static int
nt_holds(const struct channel_conf *ch, const struct incident *inc,
    const struct effect *e)
{
	return strcmp(ch->type, "webhook") != 0 && nt_links(inc, e->ev) &&
	    !nt_verbatim(e->ev) && strncmp(event_name(e->ev), "step.", 5) == 0;
}

static void
nt_hold(struct nt_batch *nb, const struct incident *inc,
    const struct effect *e, const struct channel_conf *ch,
    const struct member *m, const char *lines)
{
	struct nt_held	*h;
	size_t		 i;

	for (i = 0; i < nb->nheld; i++)
		if (nb->held[i].ch == ch && nb->held[i].m == m)
			break;
	if (i == nb->nheld) {
		nb->held = xreallocarray(nb->held, nb->nheld + 1,
		    sizeof *nb->held);
		h = &nb->held[nb->nheld++];
		memset(h, 0, sizeof *h);
		h->ch = ch;
		h->m = m;
		h->ev = e->ev;
		h->step = e->step >= 0 ?
		    xstrdup(inc->rb->steps[e->step].id) : NULL;
	}
	h = &nb->held[i];
	if (h->n++ > 0)
		buf_adds(&h->lines, "\n");
	buf_adds(&h->lines, lines);
}

int
notify_batch_flush(struct kz_daemon *d, const struct incident *inc,
    struct nt_batch *nb)
{
	size_t	i;
	int	rc = 0;
	int64_t	now = clock_now();

	for (i = 0; rc == 0 && i < nb->nheld; i++) {
		struct nt_held	*h = &nb->held[i];
		struct buf	 plain = { 0 };
		char		*text;

		if (h->n > 1) {
			/* A chat would read markup in the title. */
			char *title = nt_chat(h->ch) ?
			    tmpl_chat_escape(inc->rb->title) :
			    xstrdup(inc->rb->title);

			if (inc->drill)
				buf_adds(&plain, NT_DRILL);
			buf_printf(&plain, "#%lld %s: あなたの手順 %d 件 / %d "
			    "steps for you\n", (long long)inc->id, title, h->n,
			    h->n);
			free(title);
		}
		buf_adds(&plain, h->lines.s);
		text = nt_personal_link(d, inc, plain.s, h->m, 1);
		rc = nt_personal_write(d, inc, h->ev, h->n > 1 ? NULL :
		    h->step, h->ch, h->m, text, plain.s, now);
		free(text);
		buf_free(&plain);
	}
	notify_batch_free(nb);
	return rc;
}

void
notify_batch_free(struct nt_batch *nb)
{
	size_t i;

	for (i = 0; i < nb->nheld; i++) {
		free(nb->held[i].step);
		buf_free(&nb->held[i].lines);
	}
	free(nb->held);
	nb->held = NULL;
	nb->nheld = 0;
	json_decref(nb->base);
	nb->base = NULL;
}

static int
nt_personal_one(struct kz_daemon *d, const struct incident *inc,
    const struct effect *e, const struct channel_conf *ch, json_t *ctx,
    const struct member *m, int64_t now, struct nt_batch *nb)
{
	char	*plain, *text;
	int	 rc;

	plain = nt_personal_lines(d, inc, e, ch, ctx, m);
	if (nt_holds(ch, inc, e)) {
		nt_hold(nb, inc, e, ch, m, plain);
		free(plain);
		return 0;
	}
	text = nt_personal_link(d, inc, plain, m, nt_links(inc, e->ev));
	rc = nt_personal_write(d, inc, e->ev, e->step >= 0 ?
	    inc->rb->steps[e->step].id : NULL, ch, m, text, plain, now);
	free(text);
	free(plain);
	return rc;
}

static int
nt_personal(struct kz_daemon *d, const struct incident *inc,
    const struct effect *e, const struct channel_conf *ch, json_t *ctx,
    int64_t now, struct nt_batch *nb)
{
	const struct member	*direct = roster_direct(d->roster, ch->name);
	const struct member	*m;
	char			**to;
	size_t			 n, i;
	int			 rc = 0;

	to = nt_addressed(d, inc, e, &n);
	for (i = 0; rc == 0 && i < n; i++) {
		if ((m = roster_member(d->roster, to[i])) == NULL)
			continue;
		if (strcmp(ch->type, "email") == 0 ? m->email == NULL :
		    direct != m)
			continue;
		rc = nt_personal_one(d, inc, e, ch, ctx, m, now, nb);
	}
	free(to);
	return rc;
}

int
notify_enqueue(struct kz_daemon *d, const struct incident *inc,
    const struct effect *e)
{
	struct nt_batch	 nb = { 0 };
	int		 rc;

	rc = notify_enqueue_ctx(d, inc, e, &nb);
	if (rc == 0 && inc != NULL)
		rc = notify_batch_flush(d, inc, &nb);
	notify_batch_free(&nb);
	return rc;
}

/* Whether a template that may render into this incident's messages
 * names {{steps.*}} (engine_names_steps): the config's texts, the
 * runbook's step titles and notify texts. The built-in texts name none.
 * Without it the context leaves out the object of every step, a third
 * of a notification's cost in a runbook of twenty steps. */
static int
nt_uses_steps(const struct kz_daemon *d, const struct incident *inc)
{
	const char	*k, *lk;
	json_t		*v, *l;
	size_t		 i;

	json_object_foreach(d->conf->templates, k, v) {
		if (engine_names_steps(json_string_value(v)))
			return 1;
		json_object_foreach(v, lk, l)
			if (engine_names_steps(json_string_value(l)))
				return 1;
	}
	for (i = 0; i < inc->rb->nsteps; i++) {
		const struct rb_step *rs = &inc->rb->steps[i];

		if (engine_names_steps(rs->title) || (rs->type == ST_NOTIFY &&
		    engine_names_steps(rs->u.notify.text)))
			return 1;
	}
	return 0;
}

int
notify_enqueue_ctx(struct kz_daemon *d, const struct incident *inc,
    const struct effect *e, struct nt_batch *nb)
{
	json_t	*chans = json_object_get(e->data, "channels"), *ctx;
	int64_t	 now = clock_now();
	size_t	 i;
	int	 listed, rc = 0;

	if (d->conf->nchannels == 0)
		return 0;
	if (inc != NULL)
		nt_check_listed(d, inc, chans);
	/* No channel hears it: nothing to render. */
	for (i = 0; i < d->conf->nchannels; i++) {
		const char *ch = d->conf->channels[i].name;

		if (nt_step_channel(chans, ch, &listed) || (!listed &&
		    nt_routed(d->conf, ch, event_name(e->ev))))
			break;
	}
	if (i == d->conf->nchannels)
		return 0;
	if (inc != NULL) {
		/* The incident's context is made once per set of effects;
		 * each notification adds its step and data to a shallow
		 * copy. */
		if (nb->base == NULL)
			nb->base = engine_context_steps(inc,
			    nt_uses_steps(d, inc));
		ctx = json_copy(nb->base);
		json_object_set_new(ctx, "step", nt_step(inc, e, ctx));
	} else
		ctx = json_object();
	json_object_set_new(ctx, "data", nt_local_times(e->data));
	for (i = 0; rc == 0 && i < d->conf->nchannels; i++) {
		const struct channel_conf *ch = &d->conf->channels[i];

		if (!nt_step_channel(chans, ch->name, &listed) && (listed ||
		    !nt_routed(d->conf, ch->name, event_name(e->ev))))
			continue;
		/* A notice about no incident addresses nobody in person:
		 * every routed channel hears it as a shared one (an email
		 * channel has no shared body, so not that). */
		if (inc != NULL && nt_is_personal(d, ch))
			rc = nt_personal(d, inc, e, ch, ctx, now, nb);
		else
			rc = nt_insert(d, inc, e, ch, ctx, now);
	}
	json_decref(ctx);
	return rc;
}

int
notify_system(struct kz_daemon *d, enum kz_event ev, json_t *data)
{
	struct effect e;

	memset(&e, 0, sizeof e);
	e.kind = EF_NOTIFY;
	e.ev = ev;
	e.step = -1;
	e.data = data;
	return notify_enqueue(d, NULL, &e);
}

/* A rota's news for one member: rendered from the event's template with
 * {{data.*}} and their {{mention}}, routed like any event. It goes to
 * shared channels naming them, to their own direct channel and to their
 * e-mail, never to another's. */
int
notify_system_to(struct kz_daemon *d, enum kz_event ev, const char *member,
    json_t *data)
{
	struct effect		 e;
	json_t			*ctx, *p;
	int64_t			 now = clock_now();
	size_t			 i;
	int			 rc = 0;
	const struct member	*mem = member != NULL ?
				    roster_member(d->roster, member) : NULL;

	memset(&e, 0, sizeof e);
	e.kind = EF_NOTIFY;
	e.ev = ev;
	e.step = -1;
	e.data = data;
	ctx = json_pack("{s:o}", "data", nt_local_times(data));
	for (i = 0; rc == 0 && i < d->conf->nchannels; i++) {
		const struct channel_conf	*ch = &d->conf->channels[i];
		const struct member		*direct;
		struct nt_msg			 m;
		struct buf			 b = { 0 }, mb = { 0 };
		char				 id[40], *text, *body;
		int				 lines = 0;

		if (!nt_routed(d->conf, ch->name, event_name(ev)))
			continue;
		direct = roster_direct(d->roster, ch->name);
		if (strcmp(ch->type, "email") == 0 ? mem == NULL ||
		    mem->email == NULL : direct != NULL && direct != mem)
			continue;
		if (mem != NULL)
			nt_add_mention(d->roster, &mb, mem->id, ch->name);
		buf_addc(&mb, '\0');
		nt_event_text(d, &e, ch, ctx, mb.s, &b, &lines);
		free(mb.s);
		if (lines == 0)
			buf_adds(&b, event_name(ev));
		text = buf_steal(&b);
		if (strcmp(ch->type, "email") == 0) {
			char *subj = xstrndup(text, strcspn(text, "\n"));

			rc = notify_mail(d, ch->name, mem, 0, event_name(ev), subj,
			    text) == -1 ? -1 : 0;
			free(subj);
			free(text);
			continue;
		}
		nt_msg_id(id);
		memset(&m, 0, sizeof m);
		m.msg_id = id;
		m.event = ev;
		m.text = text;
		m.now = now;
		p = nt_payload(ch, &m);
		body = p != NULL ? json_dumps(p, JSON_COMPACT) : NULL;
		json_decref(p);
		if (body != NULL)
			rc = nt_insert_row(d, 0, NULL, ch->name, event_name(ev),
			    id, body, text, 0, member, now);
		free(body);
		free(text);
	}
	json_decref(ctx);
	return rc;
}

/* A message of its own to one member by an email channel (ch NULL: the
 * first one configured): sign-in links, situation reports. Inside an
 * operation; -1 when the store failed, 1 when no channel or address. */
int
notify_mail(struct kz_daemon *d, const char *chname, const struct member *m,
    int64_t incident, const char *event, const char *subject,
    const char *text)
{
	const struct channel_conf	*ch = NULL;
	char				 id[40], incs[24];
	char				*why = NULL, *payload;
	int64_t				 now = clock_now();
	size_t				 i;
	int				 rc;

	for (i = 0; ch == NULL && i < d->conf->nchannels; i++)
		if (strcmp(d->conf->channels[i].type, "email") == 0 &&
		    (chname == NULL || strcmp(d->conf->channels[i].name,
		    chname) == 0))
			ch = &d->conf->channels[i];
	if (ch == NULL || m->email == NULL)
		return 1;
	nt_msg_id(id);
	snprintf(incs, sizeof incs, "%lld", (long long)incident);
	payload = nt_mail_payload(ch, m, id, incident > 0 ? incs : NULL, event,
	    subject, text, now, &why);
	if (payload == NULL) {
		log_warnx("no mail to %s: %s", m->id, why);
		free(why);
		return 1;
	}
	rc = nt_insert_row(d, incident, NULL, ch->name, event, id, payload,
	    subject, 0, m->id, now);
	free(payload);
	return rc;
}

static void
nt_withdrawn_cb(struct kz_daemon *d, void *arg)
{
	outbox_withdrawn(d);
}

int
notify_withdraw(struct kz_daemon *d, const struct actx *a,
    const struct incident *inc)
{
	json_t	*p;
	int64_t	 n;
	char	*text, who[128];
	int	 rc;

	if ((n = store_notifications_withdraw(d->store, inc->id, inc->drill,
	    a->now)) == -1)
		return -1;
	if (n == 0)
		return 0;
	kz_after_commit(d, nt_withdrawn_cb, NULL, NULL);
	text = xprintf("%lld queued notification%s withdrawn (cancelled): the "
	    "incident ended", (long long)n, n == 1 ? "" : "s");
	rc = store_event(d->store, inc->id, a->now, kz_who(a, who, sizeof who),
	    a->member, event_name(EV_NOTIFICATIONS_CANCELLED), NULL,
	    p = json_pack("{s:I,s:s}",
	    "count", (json_int_t)n, "text", text));
	json_decref(p);
	free(text);
	return rc;
}
