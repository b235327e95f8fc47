/* The crisis HQ board (/board, SPEC §14): open incidents with their steps
 * by state (late ones marked in words, not by colour alone), assembly by
 * role against quota with who is on the way, RTO clocks, open exception
 * measures with the time left to revert-by, and the last trigger of each
 * monitoring source; drills marked. Names and local time, not ids and UTC.
 *
 * A board of a thousand incidents must not hold the loop: it is rendered
 * in slices of at most BOARD_SLICE_US, each sent as a chunk, with a turn
 * of the loop between them. Boards hear of changes through server-sent
 * events (/board/events): after each commit, at most every
 * BOARD_PUSH_MS, an event "change" tells the page's script to fetch the
 * board's main part again (/board?fragment=1). */
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KZ_WEB_INTERNAL
#include "common/log.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "core/daemon.h"
#include "core/maint.h"
#include "core/sources.h"
#include "core/webstate.h"
#include "engine/engine.h"
#include "front/httpconn.h"
#include "front/web.h"
#include "model/config.h"
#include "model/roster.h"
#include "store/store.h"
#include "core/apply.h"

#define BOARD_SLICE_US	250	/* render at most this long per turn */
#define BOARD_BATCH	16	/* incident ids read at a time */
#define BOARD_PUSH_MS	500	/* changes pushed at most this often */
#define BOARD_TICK_MS	30000	/* and this often anyway (clocks move) */
#define BOARD_PING_MS	15000	/* a comment keeps proxies and evhttp up */
/* Silent readers: a render waits while this much of it lies unread (the
 * rest would only pile up; evhttp's write timeout, http.timeout, ends a
 * client that reads nothing), and an event stream this far behind is
 * dropped. The streams are bounded in number: each holds a connection
 * that no deadline ends, so together at most a quarter of the HTTP
 * connections (http.max_connections under the descriptor limit), at most SSE_PER_MEMBER a member. */
#define BOARD_HWM	(256 * 1024)
#define BOARD_WAIT_MS	20
#define SSE_HWM		(64 * 1024)
#define SSE_PER_MEMBER	4
#define BOARD_MEMBERS	100	/* members listed per role; counts beyond */

struct sse {
	TAILQ_ENTRY(sse)	 entry;
	struct web		*w;
	struct wreq		*wr;
};

struct board_job {
	struct board_job *link;		/* web's renders under way */
	struct wreq	*wr;
	struct event	*ev;
	int64_t		 incs[BOARD_BATCH];	/* the next batch of ids */
	size_t		 nincs;
	size_t		 next;		/* in incs */
	int64_t		 cur_drill;	/* the read cursor: real ones (0) first, */
	int64_t		 cur_id;	/* the newest first in each */
	int		 more;		/* ids may follow the batch */
	int		 fragment;
	int		 forms;		/* a session: the forms work */
	struct buf	 b;
	int64_t		 now;
	int64_t		 started_us;
	uint64_t	 waits;		/* slices put off for a silent reader */
	int64_t		 max_slice_us;
};

static int64_t
board_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The loop's own CPU time: on a loaded machine a slice's wall time also
 * counts the time the process waited to run, which no slicing prevents. */
static int64_t
board_cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
board_measure(struct board_job *j, int64_t t0, int64_t c0)
{
	struct web	*w = j->wr->w;
	int64_t		 dt = board_mono_us() - t0, dc = board_cpu_us() - c0;

	if (dt > j->max_slice_us)
		j->max_slice_us = dt;
	if (dc > w->max_slice_cpu_us)
		w->max_slice_cpu_us = dc;
	w->cpu_hist[dc / 100 < WEB_HIST - 1 ? dc / 100 : WEB_HIST - 1]++;
	if (dt > 1000)
		w->slices_over_1ms++;
	w->slices++;
}

static void
board_when(struct board_job *j, int64_t ms)
{
	char t[32];

	wh_esc(&j->b, kz_local(j->wr->d, ms, 1, t, sizeof t));
}

/* "残り 1時間20分 left" or "超過 LATE 10分". */
static void
board_left(struct board_job *j, int64_t at)
{
	if (at >= j->now) {
		buf_adds(&j->b, "残り ");
		wh_duration(&j->b, at - j->now);
		buf_adds(&j->b, " <small>left</small>");
	} else {
		buf_adds(&j->b, "<b class=\"tag\">超過 LATE</b> ");
		wh_duration(&j->b, j->now - at);
	}
}

static int
step_open(enum step_state s)
{
	return s == SS_READY || s == SS_ACKED || s == SS_RUNNING;
}

/* Steps: late first, then the open ones, then the blocked; what is
 * finished as counts, failures named. */
static void
board_steps(struct board_job *j, const struct incident *inc)
{
	static const enum step_state order[] = { SS_READY, SS_ACKED,
	    SS_RUNNING, SS_BLOCKED, SS_FAILED };
	struct buf	*b = &j->b;
	size_t		 i, k, ndone = 0, nskip = 0;
	int		 pass;
	char		*title;

	buf_adds(b, "<div>");
	wh_pair(b, "h3", "手順", "Steps");
	buf_adds(b, "<table><thead><tr><th>状態</th><th>手順</th><th>担当"
	    "</th><th>期限</th></tr></thead><tbody>");
	/* pass 0: late ones; then by state */
	for (pass = 0; pass <= (int)(sizeof order / sizeof order[0]); pass++)
		for (i = 0; i < inc->rb->nsteps; i++) {
			const struct step_st	*s = &inc->steps[i];
			int			 late = step_open(s->state) &&
						    s->deadline_at != 0 &&
						    s->deadline_at < j->now;

			if (pass == 0 ? !late : late || s->state !=
			    order[pass - 1])
				continue;
			buf_printf(b, "<tr%s><td><span class=\"tag\">", late ?
			    " class=\"late\"" : "");
			wh_esc(b, wh_state_ja(step_state_name(s->state)));
			buf_adds(b, "</span>");
			if (late)
				buf_adds(b, " <b class=\"tag\">期限超過 LATE</b>");
			buf_adds(b, "</td><td>");
			title = engine_step_title(inc, (int)i, NULL);
			wh_esc(b, title);
			free(title);
			buf_adds(b, "</td><td data-l=\"担当\">");
			wh_esc(b, s->acked_by != NULL ? web_member_name(
			    j->wr->d, s->acked_by) : s->assignee != NULL ?
			    web_member_name(j->wr->d, s->assignee) : "-");
			buf_adds(b, "</td><td data-l=\"期限\">");
			if (s->deadline_at != 0 && step_open(s->state))
				board_left(j, s->deadline_at);
			else
				buf_adds(b, "-");
			buf_adds(b, "</td></tr>");
		}
	for (k = 0; k < inc->rb->nsteps; k++) {
		ndone += inc->steps[k].state == SS_DONE;
		nskip += inc->steps[k].state == SS_SKIPPED;
	}
	buf_printf(b, "</tbody></table><p class=\"meta\">完了 %zu・省略 %zu / "
	    "全 %zu <small>done, skipped of all</small></p></div>", ndone,
	    nskip, inc->rb->nsteps);
}

/* Safety checks (SPEC §18): the tally, never the list. */
static void
board_safety(struct board_job *j, const struct incident *inc)
{
	struct buf	*b = &j->b;
	size_t		 i;
	json_t		*t;

	for (i = 0; i < inc->rb->nsteps; i++) {
		if (inc->rb->steps[i].type != ST_SAFETY)
			continue;
		t = store_safety_tally(j->wr->d->store, inc->id,
		    inc->rb->steps[i].id);
		if (t == NULL)
			continue;
		buf_adds(b, "<div>");
		wh_pair(b, "h3", "安否確認", "Safety check");
		buf_printf(b, "<p>回答 <small>answered</small> <b>%lld / %lld"
		    "</b> — 無事 <small>safe</small> %lld、負傷 <small>injured"
		    "</small> %lld、要救助 <small>in danger</small> %lld、"
		    "参集可 <small>can come</small> %lld</p></div>",
		    (long long)json_integer_value(json_object_get(t,
		    "answered")), (long long)json_integer_value(json_object_get(
		    t, "asked")), (long long)json_integer_value(json_object_get(
		    t, "safe")), (long long)json_integer_value(json_object_get(
		    t, "injured")), (long long)json_integer_value(
		    json_object_get(t, "unsafe")), (long long)json_integer_value(
		    json_object_get(t, "can_come")));
		json_decref(t);
	}
}

static void
board_assembly(struct board_job *j, const struct incident *inc)
{
	struct buf	*b = &j->b;
	size_t		 i, k;
	int		 any = 0;

	for (i = 0; i < inc->rb->nsteps; i++) {
		const struct rb_step	*rs = &inc->rb->steps[i];
		size_t			 r;

		if (rs->type != ST_ASSEMBLE)
			continue;
		if (!any++) {
			buf_adds(b, "<div>");
			wh_pair(b, "h3", "参集", "Assembly");
		}
		for (r = 0; r < rs->u.assemble.nroles; r++) {
			const struct rb_quota	*q = &rs->u.assemble.roles[r];
			const char		*role = q->role;
			const struct role	*ro;
			int			 quota = q->quota, have = 0, shown;

			ro = roster_role(j->wr->d->roster, role);

			for (k = 0; k < inc->ncallouts; k++) {
				const struct callout *c = &inc->callouts[k];

				have += c->step == (int)i && strcmp(c->role,
				    role) == 0 && (c->answer == AN_AVAILABLE ||
				    c->answer == AN_ARRIVED);
			}
			buf_adds(b, "<p><b>");
			wh_esc(b, ro != NULL && ro->title != NULL ? ro->title :
			    role);
			buf_printf(b, "</b> %d / %d %s</p><ul>", have, quota,
			    have >= quota ? "<span class=\"tag\">充足 "
			    "met</span>" : "<b class=\"tag\">不足 short</b>");
			shown = 0;
			for (k = 0; k < inc->ncallouts; k++) {
				const struct callout *c = &inc->callouts[k];

				if (c->step != (int)i || strcmp(c->role, role))
					continue;
				/* A tally, not a list, beyond the first
				 * BOARD_MEMBERS (SPEC §18). */
				if (shown++ == BOARD_MEMBERS)
					buf_adds(b, "<li>…</li>");
				if (shown > BOARD_MEMBERS)
					continue;
				buf_adds(b, "<li>");
				wh_esc(b, web_member_name(j->wr->d,
				    c->member));
				buf_adds(b, " — ");
				wh_esc(b, wh_state_ja(answer_name(c->answer)));
				if (c->answer == AN_AVAILABLE &&
				    c->eta_at != 0) {
					buf_adds(b, " 到着予定 <small>ETA"
					    "</small> ");
					board_when(j, c->eta_at);
				}
				buf_adds(b, "</li>");
			}
			buf_adds(b, "</ul>");
		}
	}
	if (any)
		buf_adds(b, "</div>");
}

static void
board_rto(struct board_job *j, const struct incident *inc)
{
	struct buf	*b = &j->b;
	const char	*sys;
	json_t		*v;

	if (json_object_size(inc->systems) == 0)
		return;
	buf_adds(b, "<div>");
	wh_pair(b, "h3", "RTO（目標復旧時間）", "RTO clocks");
	buf_adds(b, "<ul>");
	json_object_foreach(inc->systems, sys, v) {
		json_t *dl = json_object_get(v, "deadline_at");
		json_t *rec = json_object_get(v, "recovered_at");

		buf_adds(b, "<li>");
		wh_esc(b, sys);
		buf_adds(b, ": ");
		if (json_integer_value(rec) > 0) {
			buf_adds(b, "<span class=\"tag\">復旧 recovered</span> ");
			board_when(j, json_integer_value(rec));
		} else if (json_integer_value(dl) > 0) {
			buf_adds(b, "期限 ");
			board_when(j, json_integer_value(dl));
			buf_adds(b, " ");
			board_left(j, json_integer_value(dl));
		} else
			buf_adds(b, "RTO 未設定 <small>unknown</small>");
		buf_adds(b, "</li>");
	}
	buf_adds(b, "</ul></div>");
}

/* The trigger, briefly: labels people wrote in their monitoring. */
static void
board_trigger(struct board_job *j, const struct incident *inc)
{
	char *t;

	if (!json_is_object(inc->trigger) || json_object_size(inc->trigger) ==
	    0)
		return;
	t = json_dumps(inc->trigger, JSON_COMPACT);
	if (t == NULL)
		return;
	if (strlen(t) > 300) {
		size_t k = 297;

		while (k > 0 && ((unsigned char)t[k] & 0xc0) == 0x80)
			k--;	/* not inside a UTF-8 character */
		memcpy(t + k, "...", 4);
	}
	buf_adds(&j->b, "<p class=\"meta\">契機 <small>trigger</small> ");
	wh_esc(&j->b, inc->source);
	buf_adds(&j->b, ": <code>");
	wh_esc(&j->b, t);
	buf_adds(&j->b, "</code></p>");
	free(t);
}

static void
board_incident(struct board_job *j, const struct incident *inc)
{
	struct buf		*b = &j->b;
	struct sitrep_head	 last;
	char			*csrf, key[24];

	buf_printf(b, "<section class=\"inc%s\" id=\"inc-%lld\"><h2>",
	    inc->drill ? " drill" : "", (long long)inc->id);
	if (inc->drill)
		buf_adds(b, "<b class=\"tag drillmark\">訓練 DRILL</b> ");
	buf_printf(b, "<a href=\"/i/%lld\">#%lld</a> ", (long long)inc->id,
	    (long long)inc->id);
	wh_esc(b, inc->title != NULL ? inc->title : inc->rb->title);
	buf_adds(b, " <span class=\"tag\">");
	wh_esc(b, wh_state_ja(inc_state_name(inc->state)));
	buf_adds(b, "</span></h2><p class=\"meta\">発動 <small>since</small> ");
	board_when(j, inc->started_at);
	buf_adds(b, "（経過 ");
	wh_duration(b, j->now - inc->started_at);
	buf_adds(b, " <small>elapsed</small>）");
	if (inc->activated_by != NULL) {
		buf_adds(b, " ・ ");
		wh_esc(b, web_member_name(j->wr->d, inc->activated_by));
	}
	buf_adds(b, "</p>");
	board_trigger(j, inc);
	buf_adds(b, "<div class=\"grid\">");
	board_steps(j, inc);
	board_assembly(j, inc);
	board_safety(j, inc);
	board_rto(j, inc);
	buf_adds(b, "</div>");
	snprintf(key, sizeof key, "%lld", (long long)inc->id);
	/* The latest report's number (0: none yet) for the links. */
	if (store_sitrep_last(j->wr->d->store, inc->id, &last) != 1)
		last.n = 0;
	if (j->forms) {
		csrf = web_csrf(j->wr);
		buf_adds(b, "<form method=\"post\" action=\"/board/sitrep\">");
		wh_hidden(b, "csrf", csrf);
		wh_hidden(b, "incident", key);
		buf_printf(b, "<button>第%lld報を作成 <small>Issue situation "
		    "report %lld</small></button></form>",
		    (long long)last.n + 1, (long long)last.n + 1);
		free(csrf);
	}
	if (last.n > 0)
		buf_printf(b, "<p><a href=\"/i/%lld/sitrep/%lld\">最新 第%lld報 "
		    "<small>latest report</small></a></p>", (long long)inc->id,
		    (long long)last.n, (long long)last.n);
	buf_adds(b, "</section>\n");
}

static void
board_exceptions(struct board_job *j)
{
	struct buf	*b = &j->b;
	json_t		*rows, *r;
	size_t		 i;

	rows = store_board_exceptions(j->wr->d->store);
	buf_adds(b, "<section>");
	wh_pair(b, "h2", "例外措置（未解除）", "Open exception measures");
	if (json_array_size(rows) == 0)
		buf_adds(b, "<p>なし <small>none</small></p>");
	else
		buf_adds(b, "<table><thead><tr><th>#</th><th>措置</th><th>状態"
		    "</th><th>解除期限</th></tr></thead><tbody>");
	json_array_foreach(rows, i, r) {
		int64_t rb = json_integer_value(json_object_get(r,
		    "revert_by_at"));
		int late = rb != 0 && rb < j->now;

		buf_printf(b, "<tr%s><td>%lld</td><td>", late ?
		    " class=\"late\"" : "", (long long)json_integer_value(
		    json_object_get(r, "id")));
		/* A drill's measure must not read as a real departure. */
		if (json_integer_value(json_object_get(r, "drill")))
			buf_adds(b, "<b class=\"tag drillmark\">訓練 DRILL</b> ");
		wh_esc(b, json_string_value(json_object_get(r, "title")));
		if (json_integer_value(json_object_get(r, "incident")) > 0)
			buf_printf(b, " <small>#%lld</small>",
			    (long long)json_integer_value(json_object_get(r,
			    "incident")));
		buf_adds(b, "</td><td>");
		wh_esc(b, wh_state_ja(json_string_value(json_object_get(r,
		    "state")) ?: ""));
		buf_adds(b, "</td><td>");
		if (rb != 0) {
			board_when(j, rb);
			buf_adds(b, " ");
			board_left(j, rb);
		} else
			buf_adds(b, "-");
		buf_adds(b, "</td></tr>");
	}
	if (json_array_size(rows) > 0)
		buf_adds(b, "</tbody></table>");
	buf_adds(b, "</section>");
	json_decref(rows);
}

/* One source: whether it is heard (a silence marked in words, late's
 * colour), maintenance in force, and its last trigger. */
static void
board_source(struct board_job *j, const char *name, json_t *st, json_t *w)
{
	struct kz_daemon	*d = j->wr->d;
	struct buf		*b = &j->b;
	struct trigger_last	 last;
	json_t			*p;
	int64_t			 ms;
	int			 silent = json_is_true(json_object_get(st,
				    "silent")), seen;
	size_t			 i;

	seen = store_trigger_last(d->store, name, &last) == 1;
	buf_printf(b, "<tr%s><td>", silent ? " class=\"late\"" : "");
	wh_esc(b, name);
	buf_adds(b, "</td><td>");
	if (silent) {
		buf_adds(b, "<b class=\"tag\">途絶 SILENT</b> ");
		if (rfc3339_parse(json_string_value(json_object_get(st,
		    "silent_since")), &ms) == 0)
			board_when(j, ms);
	} else if (json_string_value(json_object_get(st, "last_heard_at")) !=
	    NULL)
		buf_adds(b, "受信中 <small>heard</small>");
	else
		buf_adds(b, "-");	/* never heard, not watched */
	json_array_foreach(w, i, p)
		buf_printf(b, " <span class=\"tag\">計画作業 maintenance "
		    "#%lld</span>", (long long)json_integer_value(p));
	buf_adds(b, "</td><td>");
	if (rfc3339_parse(json_string_value(json_object_get(st,
	    "last_heard_at")), &ms) == 0)
		board_when(j, ms);
	else
		buf_adds(b, "未受信 <small>never</small>");
	buf_adds(b, "</td><td>");
	if (seen) {
		board_when(j, last.received_at);
		buf_adds(b, " ");
		wh_esc(b, last.status);
		if (last.incident)
			buf_printf(b, " #%lld", (long long)last.incident);
		free(last.status);
	} else
		buf_adds(b, "-");
	buf_adds(b, "</td></tr>");
}

static void
board_sources(struct board_job *j)
{
	struct kz_daemon	*d = j->wr->d;
	struct buf		*b = &j->b;
	json_t			*st, *w;
	size_t			 i;

	buf_adds(b, "<section>");
	wh_pair(b, "h2", "監視元", "Monitoring sources");
	if (d->conf->nsources == 0) {
		buf_adds(b, "<p>なし <small>no sources</small></p></section>");
		return;
	}
	buf_adds(b, "<table><thead><tr><th>監視元</th><th>状態</th>"
	    "<th>最後に受信</th><th>最新の通知・結果</th></tr></thead>"
	    "<tbody>");
	st = sources_state(d);
	for (i = 0; i < d->conf->nsources; i++) {
		const char *name = d->conf->sources[i].name;

		w = maint_in_force(d, name, j->now);
		board_source(j, name, json_object_get(st, name), w);
		json_decref(w);
	}
	json_decref(st);
	buf_adds(b, "</tbody></table></section>");
}

static void
board_job_free(struct board_job *j)
{
	struct board_job **pp;

	for (pp = &j->wr->w->jobs; *pp != NULL; pp = &(*pp)->link)
		if (*pp == j) {
			*pp = j->link;
			break;
		}
	event_free(j->ev);
	buf_free(&j->b);
	free(j);
}

static void
board_gone(struct wreq *wr)
{
	/* The job notices at its next slice (wr->req is NULL). */
}

/* Sends what the slice rendered. */
static void
board_flush(struct board_job *j)
{
	struct evbuffer *out;

	if (j->wr->req == NULL || j->b.len == 0)
		return;
	if ((out = evbuffer_new()) == NULL)
		fatalx("evbuffer_new: out of memory");
	evbuffer_add(out, j->b.s, j->b.len);
	evhttp_send_reply_chunk(j->wr->req, out);
	evbuffer_free(out);
	j->b.len = 0;
}

static void
board_finish(struct board_job *j, int64_t t0, int64_t c0)
{
	struct web	*w = j->wr->w;
	struct wreq	*wr;

	if (j->wr->req != NULL) {
		board_exceptions(j);
		board_sources(j);
		if (!j->fragment) {
			buf_adds(&j->b, "</main>");
			wh_end(&j->b);
		}
		board_flush(j);
		kz_http_closecb(j->wr->evcon, NULL, NULL);
		evhttp_send_reply_end(j->wr->req);
	}
	board_measure(j, t0, c0);
	w->renders++;
	w->last_render_us = board_mono_us() - j->started_us;
	w->last_max_slice_us = j->max_slice_us;
	if (j->max_slice_us > w->max_slice_us)
		w->max_slice_us = j->max_slice_us;
	wr = j->wr;
	board_job_free(j);
	wreq_free(wr);
}

/* Reads the next batch of open incident ids (a keyset cursor: a render
 * never holds the whole list); how many. */
static size_t
board_batch(struct board_job *j)
{
	size_t	n;

	for (;;) {
		j->nincs = j->next = 0;
		if (!j->more)
			return 0;
		/* A failed read shows as none (the page still renders). */
		if (store_board_incidents(j->wr->d->store, j->cur_drill,
		    j->cur_id, j->incs, BOARD_BATCH, &j->nincs) == -1)
			j->nincs = 0;
		n = j->nincs;
		if (n > 0)
			j->cur_id = j->incs[n - 1];
		if (n < BOARD_BATCH) {		/* the drills follow */
			j->more = j->cur_drill == 0;
			j->cur_drill = 1;
			j->cur_id = INT64_MAX;
		}
		if (n > 0)
			return n;
	}
}

/* Bytes of the reply written but not yet taken by the client. */
static size_t
board_unread(const struct wreq *wr)
{
	struct evhttp_connection	*evcon;
	struct bufferevent		*bev;

	if (wr->req == NULL ||
	    (evcon = evhttp_request_get_connection(wr->req)) == NULL ||
	    (bev = evhttp_connection_get_bufferevent(evcon)) == NULL)
		return 0;
	return evbuffer_get_length(bufferevent_get_output(bev));
}

static void
board_slice(evutil_socket_t fd, short ev, void *arg)
{
	struct board_job	*j = arg;
	struct incident		*inc;
	int64_t			 t0 = board_mono_us(), c0 = board_cpu_us();
	struct timeval		 zero = { 0, 0 };
	int			 st;

	if (j->wr->req == NULL) {
		struct wreq *wr = j->wr;

		board_job_free(j);
		wreq_free(wr);
		return;
	}
	if (board_unread(j->wr) > BOARD_HWM) {
		struct timeval wait = { 0, BOARD_WAIT_MS * 1000 };

		j->waits++;
		j->wr->w->render_waits++;
		evtimer_add(j->ev, &wait);
		return;
	}
	j->now = clock_now();
	for (;;) {
		if (j->next >= j->nincs && board_batch(j) == 0)
			break;
		inc = kz_incident_load(j->wr->d, j->incs[j->next++], &st);
		if (inc != NULL) {
			board_incident(j, inc);
			incident_free(inc);
		}
		if (board_mono_us() - t0 >= BOARD_SLICE_US)
			break;
	}
	if (j->next >= j->nincs && !j->more) {
		board_finish(j, t0, c0);	/* frees j */
		return;
	}
	board_flush(j);
	board_measure(j, t0, c0);
	/* A timer, not event_active: the loop polls for I/O in between. */
	evtimer_add(j->ev, &zero);
}

void
board_get(struct wreq *wr, int fragment)
{
	struct kz_daemon	*d = wr->d;
	struct board_job	*j = xcalloc(1, sizeof *j);
	char			 t[32];
	int64_t			 t0 = board_mono_us(), c0 = board_cpu_us();
	long long		 nopen;
	struct timeval		 zero = { 0, 0 };

	j->wr = wr;
	j->fragment = fragment;
	j->forms = !wr->bearer && wr->binding != NULL;
	j->started_us = t0;
	j->now = clock_now();
	j->ev = evtimer_new(d->base, board_slice, j);
	/* Real incidents first, then drills; the newest first in each. */
	j->more = 1;
	j->cur_drill = 0;
	j->cur_id = INT64_MAX;
	if ((nopen = store_open_count(d->store)) < 0)
		nopen = 0;
	wr->gone = board_gone;
	j->link = wr->w->jobs;
	wr->w->jobs = j;
	if (!fragment) {
		wh_begin(&j->b, "状況ボード Crisis HQ board", "board", 1);
		buf_adds(&j->b, "<nav class=\"meta\"><span>");
		wh_esc(&j->b, web_member_name(d, wr->member));
		buf_adds(&j->b, "</span><span id=\"live\" class=\"live\">"
		    "</span>");
		if (j->forms) {
			char *csrf = web_csrf(wr);

			buf_adds(&j->b, "<form method=\"post\" action=\"/logout\""
			    " class=\"noprint\">");
			wh_hidden(&j->b, "csrf", csrf);
			buf_adds(&j->b, "<button>サインアウト <small>Sign out"
			    "</small></button></form>");
			free(csrf);
		}
		buf_adds(&j->b, "</nav><main id=\"board\">");
	}
	buf_printf(&j->b, "<p class=\"meta\">");
	wh_esc(&j->b, kz_local(d, j->now, 1, t, sizeof t));
	buf_adds(&j->b, " (");
	wh_esc(&j->b, kz_timezone(d));
	buf_printf(&j->b, ") 現在 <small>as of</small> ・ 発動中 %lld 件 <small>"
	    "open incidents</small></p>", nopen);
	if (nopen == 0)
		buf_adds(&j->b, "<p>発動中の事案はありません <small>No open "
		    "incidents</small></p>");
	web_std_headers(wr, "text/html; charset=utf-8");
	evhttp_send_reply_start(wr->req, 200, "OK");
	web_watch(wr);		/* a client that leaves ends the render */
	board_flush(j);
	board_measure(j, t0, c0);
	/* The first incidents at the next turn: the loop polls in between. */
	evtimer_add(j->ev, &zero);
}

/* ---- server-sent events ---- */

static void
sse_free(struct sse *s)
{
	TAILQ_REMOVE(&s->w->clients, s, entry);
	s->w->nclients--;
	wreq_free(s->wr);
	free(s);
}

static void
sse_closed(struct evhttp_connection *evcon, void *arg)
{
	struct sse *s = arg;

	/* A stream the client left is detached and left to us to free;
	 * one closed by evhttp_free goes with its connection. */
	if (s->wr->req != NULL &&
	    evhttp_request_get_connection(s->wr->req) == NULL)
		evhttp_request_free(s->wr->req);
	s->wr->req = NULL;
	sse_free(s);
}

/* 0, or -1 when the client has left so much unread that the stream is
 * to be dropped (sse_drop). */
static int
sse_send(struct sse *s, const char *text)
{
	struct evbuffer *out;

	if (s->wr->req == NULL)
		return 0;
	if (board_unread(s->wr) > SSE_HWM)
		return -1;
	if ((out = evbuffer_new()) == NULL)
		fatalx("evbuffer_new: out of memory");
	evbuffer_add(out, text, strlen(text));
	evhttp_send_reply_chunk(s->wr->req, out);
	evbuffer_free(out);
	return 0;
}

/* Ends a stream whose client reads nothing: its connection goes as one
 * that timed out (sse_closed frees s). */
static void
sse_drop(struct sse *s)
{
	s->w->streams_dropped++;
	log_info("web: a board event stream of %s was dropped: its client "
	    "left %d KiB unread", s->wr->member != NULL ? s->wr->member : "-",
	    SSE_HWM / 1024);
	if (s->wr->req != NULL && kz_http_drop(s->wr->evcon) == 0)
		return;
	/* (Not a connection httpconn.c knows: end the reply instead.) */
	if (s->wr->req != NULL) {
		kz_http_closecb(s->wr->evcon, NULL, NULL);
		evhttp_send_reply_end(s->wr->req);
	}
	sse_free(s);
}

static size_t
sse_max(const struct web *w)
{
	int n = w->d->http_max / 4;

	return n > 0 ? (size_t)n : 1;
}

void
board_events(struct wreq *wr)
{
	struct web	*w = wr->w;
	struct sse	*s;
	size_t		 mine = 0;

	TAILQ_FOREACH(s, &w->clients, entry)
		if (s->wr->member != NULL && wr->member != NULL &&
		    strcmp(s->wr->member, wr->member) == 0)
			mine++;
	if (w->nclients >= sse_max(w) || mine >= SSE_PER_MEMBER) {
		w->streams_refused++;
		if (wr->req != NULL)
			evhttp_add_header(evhttp_request_get_output_headers(
			    wr->req), "Retry-After", "30");
		web_error_page(wr, 503, mine >= SSE_PER_MEMBER ?
		    "ボードの自動更新を開きすぎています" :
		    "ボードの自動更新が満員です",
		    mine >= SSE_PER_MEMBER ? "too many live boards open by "
		    "this member; close some" : "too many live boards open; "
		    "try again later");
		return;
	}
	s = xcalloc(1, sizeof *s);
	s->w = w;
	s->wr = wr;
	TAILQ_INSERT_TAIL(&w->clients, s, entry);
	w->nclients++;
	web_std_headers(wr, "text/event-stream; charset=utf-8");
	evhttp_add_header(evhttp_request_get_output_headers(wr->req),
	    "X-Accel-Buffering", "no");
	evhttp_send_reply_start(wr->req, 200, "OK");
	kz_http_closecb(wr->evcon, sse_closed, s);
	sse_send(s, "retry: 2000\n: keizoku board\n\n");
}

void
board_tick(struct web *w)
{
	struct sse	*s, *next;
	int64_t		 now = board_mono_us() / 1000;
	const char	*msg = NULL;
	char		 text[64];

	if (TAILQ_EMPTY(&w->clients)) {
		w->seen_commits = w->d->metrics.commits;
		return;
	}
	if ((w->d->metrics.commits != w->seen_commits &&
	    now - w->last_push_ms >= BOARD_PUSH_MS) ||
	    now - w->last_push_ms >= BOARD_TICK_MS) {
		w->seen_commits = w->d->metrics.commits;
		w->last_push_ms = now;
		snprintf(text, sizeof text, "event: change\ndata: %llu\n\n",
		    (unsigned long long)w->seen_commits);
		msg = text;
	} else if (now - w->last_tick_ms >= BOARD_PING_MS)
		msg = ": ping\n\n";
	if (msg == NULL)
		return;
	w->last_tick_ms = now;
	for (s = TAILQ_FIRST(&w->clients); s != NULL; s = next) {
		next = TAILQ_NEXT(s, entry);
		if (sse_send(s, msg) == -1)
			sse_drop(s);	/* frees s, no other */
	}
}

void
board_free_clients(struct web *w)
{
	struct sse	*s;
	struct wreq	*wr;

	while (w->jobs != NULL) {
		wr = w->jobs->wr;
		if (wr->req != NULL) {
			kz_http_closecb(wr->evcon, NULL, NULL);
			evhttp_send_reply_end(wr->req);
		}
		board_job_free(w->jobs);
		wreq_free(wr);
	}

	while ((s = TAILQ_FIRST(&w->clients)) != NULL) {
		if (s->wr->req != NULL) {
			kz_http_closecb(s->wr->evcon, NULL,
			    NULL);
			evhttp_send_reply_end(s->wr->req);
		}
		sse_free(s);
	}
}

/* The slice CPU time under which a share q of slices stayed (us). */
static int64_t
board_quantile(const struct web *w, double q)
{
	uint64_t	total = 0, seen = 0;
	size_t		i;

	for (i = 0; i < WEB_HIST; i++)
		total += w->cpu_hist[i];
	for (i = 0; i < WEB_HIST; i++) {
		seen += w->cpu_hist[i];
		if (total > 0 && (double)seen >= q * (double)total)
			return (int64_t)(i + 1) * 100;
	}
	return 0;
}

void
board_stats(struct wreq *wr)
{
	struct web	*w = wr->w;
	json_t		*o;
	char		*s;

	o = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:i,s:I,s:I,s:I}",
	    "renders",
	    (json_int_t)w->renders, "slices", (json_int_t)w->slices,
	    "slices_over_1ms", (json_int_t)w->slices_over_1ms,
	    "max_slice_cpu_us", (json_int_t)w->max_slice_cpu_us,
	    "max_slice_us", (json_int_t)w->max_slice_us, "last_render_us",
	    (json_int_t)w->last_render_us, "last_max_slice_us",
	    (json_int_t)w->last_max_slice_us, "slice_budget_us",
	    (json_int_t)BOARD_SLICE_US, "clients", (int)w->nclients,
	    "render_waits", (json_int_t)w->render_waits, "streams_refused",
	    (json_int_t)w->streams_refused, "streams_dropped",
	    (json_int_t)w->streams_dropped);
	json_object_set_new(o, "slice_cpu_p99_us",
	    json_integer(board_quantile(w, .99)));
	json_object_set_new(o, "slice_cpu_p999_us",
	    json_integer(board_quantile(w, .999)));
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	web_reply(wr, 200, "application/json; charset=utf-8", s, strlen(s));
	free(s);
}

/* ---- situation reports from the board ---- */

static void
sitrep_done(struct wreq *wr, int status, json_t *body)
{
	char *to;

	if (status >= 300) {
		web_error_page(wr, status, json_string_value(json_object_get(
		    body, "error")) ?: "failed", "the report was not issued");
		return;
	}
	to = xprintf("/i/%lld/sitrep/%lld", (long long)json_integer_value(
	    json_object_get(body, "incident")), (long long)json_integer_value(
	    json_object_get(body, "n")));
	web_redirect(wr, to);
	free(to);
}

void
sitrep_post(struct wreq *wr, json_t *form)
{
	const char	*inc = json_string_value(json_object_get(form,
			    "incident"));
	long long	 id;
	json_t		*p;

	if (inc == NULL || parse_i64(inc, &id) == -1 || id <= 0) {
		web_error_page(wr, 400, "事案の番号がありません",
		    "the form needs incident=ID");
		return;
	}
	p = json_pack("{s:I,s:s}", "incident", (json_int_t)id, "format",
	    "html");
	web_command(wr, KZ_CMD_SITREP, p, sitrep_done);
	json_decref(p);
}

void
sitrep_get(struct wreq *wr, int64_t incident, int64_t n)
{
	char	*html;

	html = store_sitrep_html(wr->d->store, incident, n);
	if (html == NULL)
		web_error_page(wr, 404, "その報告はありません",
		    "no such report");
	else {
		wr->inline_style = 1;
		web_reply(wr, 200, "text/html; charset=utf-8", html,
		    strlen(html));
	}
	free(html);
}
