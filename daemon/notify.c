/* Notifications: render the text of an event (Japanese and English, from
 * per-event templates the config may override), pick the channels the
 * config routes it to, and write one outbox row per channel in the same
 * transaction as the event that caused it. */
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "daemon.h"
#include "roster.h"
#include "sig.h"
#include "store.h"
#include "template.h"
#include "timeutil.h"
#include "xmalloc.h"
#include "ytree.h"

static const struct {
	const char	*event;
	const char	*ja;
	const char	*en;
} texts[] = {
	{ "incident.activated", "【発動】{{incident.title}}（#{{incident.id}}）"
	    "を発動しました。{{mention}}",
	    "Activated: {{incident.title}} (#{{incident.id}})" },
	{ "incident.pending", "【発動確認】{{incident.title}}（#{{incident.id}}）"
	    "の発動基準を満たしました。{{mention}} 確認してください: keizoku "
	    "confirm {{incident.id}}",
	    "Pending confirmation: {{incident.title}} (#{{incident.id}}); "
	    "confirm with: keizoku confirm {{incident.id}}" },
	{ "incident.dismissed", "【発動見送り】{{incident.title}}"
	    "（#{{incident.id}}）",
	    "Dismissed: {{incident.title}} (#{{incident.id}})" },
	{ "incident.closed", "【発動解除】{{incident.title}}（#{{incident.id}}）"
	    "を解除しました。",
	    "Closed: {{incident.title}} (#{{incident.id}})" },
	{ "step.ready", "【対応依頼】#{{incident.id}} {{step.title}} "
	    "{{mention}}",
	    "To do: #{{incident.id}} {{step.title}}" },
	{ "step.acked", "【着手】#{{incident.id}} {{step.title}}",
	    "Acknowledged: #{{incident.id}} {{step.title}}" },
	{ "step.escalated", "【エスカレーション】#{{incident.id}} "
	    "{{step.title}} は応答がないため {{mention}} に回しました",
	    "Escalated: #{{incident.id}} {{step.title}} (no answer)" },
	{ "step.overdue", "【期限超過】#{{incident.id}} {{step.title}} "
	    "{{mention}}",
	    "Overdue: #{{incident.id}} {{step.title}}" },
	{ "step.failed", "【失敗】#{{incident.id}} {{step.title}} "
	    "{{mention}}",
	    "Failed: #{{incident.id}} {{step.title}}" },
	{ "step.reminder", "【リマインド】#{{incident.id}} {{step.title}} "
	    "{{mention}}",
	    "Reminder: #{{incident.id}} {{step.title}}" },
	{ "trigger.repeated", "【再通知】#{{incident.id}} "
	    "{{incident.title}}: 発動条件の通知が再度届きました"
	    "（{{data.kind}}）",
	    "Trigger repeated for #{{incident.id}} ({{data.kind}})" },
	{ NULL, NULL, NULL }
};

/* The channels an event goes to: a notify step's own list, else the
 * routes (no routes: every channel). */
static int
routed(const struct config *c, const char *channel, const char *event)
{
	size_t i, j;

	if (c->nroutes == 0)
		return 1;
	for (i = 0; i < c->nroutes; i++) {
		const struct route_conf *r = &c->routes[i];

		if (strcmp(r->channel, channel) != 0)
			continue;
		if (r->events == NULL)
			return 1;
		for (j = 0; r->events[j] != NULL; j++) {
			size_t l = strlen(r->events[j]);

			if (strcmp(r->events[j], event) == 0 ||
			    strcmp(r->events[j], "*") == 0 ||
			    (l > 2 && strcmp(r->events[j] + l - 2, ".*") == 0 &&
			    strncmp(r->events[j], event, l - 1) == 0))
				return 1;
		}
	}
	return 0;
}

static void
add_mention(struct kz_daemon *d, struct buf *b, const char *member,
    const char *channel)
{
	const struct member	*m = roster_member(d->roster, member);
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

static char *
mentions(struct kz_daemon *d, const char *to, const char *assignee,
    const char *channel)
{
	struct buf	 b = { 0 };
	char *const	*cand;
	size_t		 n, i;

	if (assignee != NULL)
		add_mention(d, &b, assignee, channel);
	else if (to != NULL) {
		cand = roster_candidates(d->roster, to, &n);
		for (i = 0; i < n; i++)
			add_mention(d, &b, cand[i], channel);
	}
	return buf_steal(&b);
}

static const char *
template_for(struct kz_daemon *d, const char *event, const char *lang)
{
	json_t	*o = d->conf->templates ? json_object_get(d->conf->templates,
	    event) : NULL;
	size_t	 i;

	if (json_is_string(o))
		return json_string_value(o);
	if (json_is_object(o) && json_is_string(json_object_get(o, lang)))
		return json_string_value(json_object_get(o, lang));
	for (i = 0; texts[i].event != NULL; i++)
		if (strcmp(texts[i].event, event) == 0)
			return strcmp(lang, "ja") == 0 ? texts[i].ja :
			    texts[i].en;
	return NULL;
}

static char *
render(struct kz_daemon *d, const struct incident *inc, const struct effect *e,
    const struct channel_conf *ch, const char *assignee)
{
	json_t		*ctx = engine_context(inc);
	struct buf	 b = { 0 };
	char		*m, *t;
	const char	*langs[2] = { "ja", "en" }, *tp;
	size_t		 i;

	m = mentions(d, e->to, assignee, ch->name);
	json_object_set_new(ctx, "mention", json_string(m));
	json_object_set(ctx, "step", e->data);
	json_object_set(ctx, "data", e->data);
	if (inc->drill)
		buf_adds(&b, "[訓練 DRILL] ");
	if (strcmp(e->type, "step.notify") == 0) {
		buf_adds(&b, json_string_value(json_object_get(e->data,
		    "text")));
		if (*m != '\0')
			buf_printf(&b, " %s", m);
	} else {
		for (i = 0; i < 2; i++) {
			if (strcmp(ch->lang, "both") != 0 &&
			    strcmp(ch->lang, langs[i]) != 0)
				continue;
			if ((tp = template_for(d, e->type, langs[i])) == NULL)
				continue;
			t = tmpl_expand(tp, ctx);
			if (b.len > 0 && (!inc->drill || b.len > 19))
				buf_addc(&b, '\n');
			buf_adds(&b, t);
			free(t);
		}
	}
	free(m);
	json_decref(ctx);
	return buf_steal(&b);
}

static json_t *
payload(const struct channel_conf *ch, const char *msg_id, const char *event,
    const struct incident *inc, const char *step, const char *text,
    int64_t now)
{
	char ts[40];

	if (strcmp(ch->type, "slack") == 0)
		return json_pack("{s:s}", "text", text);
	if (strcmp(ch->type, "teams") == 0) {
		const char *nl = strchr(text, '\n');
		char *title = nl ? xstrndup(text, (size_t)(nl - text)) :
		    xstrdup(text);
		json_t *p = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "@type",
		    "MessageCard", "@context", "https://schema.org/extensions",
		    "summary", title, "themeColor", inc->drill ? "808080" :
		    strstr(event, "failed") || strstr(event, "overdue") ||
		    strstr(event, "escalated") ? "D70000" : "0076D7", "title",
		    title, "text", nl ? nl + 1 : text);

		free(title);
		return p;
	}
	return json_pack("{s:s,s:s,s:s,s:b,s:I,s:s?,s:s}", "id", msg_id,
	    "type", event, "time", rfc3339_buf(now, ts, sizeof ts), "drill",
	    inc->drill, "incident", (json_int_t)inc->id, "step", step, "text",
	    text);
}

static void
new_msg_id(char out[40])
{
	unsigned char	r[16];
	char		hex[33];

	if (RAND_bytes(r, sizeof r) != 1)
		memset(r, 0, sizeof r);
	hex_encode(r, sizeof r, hex);
	snprintf(out, 40, "msg_%s", hex);
}

int
notify_enqueue(struct kz_daemon *d, const struct incident *inc,
    const struct effect *e)
{
	json_t		*chans = json_object_get(e->data, "channels");
	const char	*step = e->step >= 0 ? inc->rb->steps[e->step].id :
			    NULL;
	const char	*assignee = NULL;
	int64_t		 now = clock_now();
	size_t		 i;

	if (e->step >= 0 && e->to != NULL && strncmp(e->to, "role:", 5) == 0)
		assignee = inc->steps[e->step].assignee;
	for (i = 0; i < d->conf->nchannels; i++) {
		const struct channel_conf	*ch = &d->conf->channels[i];
		char				 id[40], *text, *body;
		json_t				*p;
		int				 rc;

		if (json_is_array(chans) && json_array_size(chans) > 0) {
			size_t	j;
			int	found = 0;

			for (j = 0; j < json_array_size(chans); j++)
				if (strcmp(json_string_value(json_array_get(
				    chans, j)) ?: "", ch->name) == 0)
					found = 1;
			if (!found)
				continue;
		} else if (!routed(d->conf, ch->name, e->type))
			continue;
		new_msg_id(id);
		text = render(d, inc, e, ch, assignee);
		p = payload(ch, id, e->type, inc, step, text, now);
		body = json_dumps(p, JSON_COMPACT);
		json_decref(p);
		rc = store_exec(d->store, "INSERT INTO notifications(incident, "
		    "step, channel, event, msg_id, payload, text, drill, state, "
		    "attempts, created_at, next_attempt_at) VALUES (?, ?, ?, ?, "
		    "?, ?, ?, ?, 'pending', 0, ?, ?)", p = json_pack(
		    "[I,s?,s,s,s,s,s,b,I,I]", (json_int_t)inc->id, step,
		    ch->name, e->type, id, body, text, inc->drill,
		    (json_int_t)now, (json_int_t)now));
		json_decref(p);
		free(body);
		free(text);
		if (rc == -1)
			return -1;
	}
	return 0;
}
