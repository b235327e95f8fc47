/* The engine tested as data, in the manner of curl's tests/data: every
 * file tests/engine/NAME.case is a runbook, a script of inputs (commands,
 * answers, action results, clock advances) and the transcript they must
 * produce: the events, notifications, refusals and states the engine
 * decides. No daemon, no database, no clock: the driver keeps the
 * incident, its timers and its exception measures in memory and applies
 * the engine's effects as kz_apply would (tests/engine/README.md).
 *
 * KZ_ENGINE_UPDATE=1 rewrites each case's transcript with what the engine
 * does now; review the diff before committing it. */
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/diag.h"
#include "common/duration.h"
#include "common/xmalloc.h"
#include "engine/engine.h"
#include "model/roster.h"
#include "model/runbook.h"
#include "model/scenario.h"

#define START_MS	1767225600000LL	/* 2026-01-01T00:00:00Z */
#define MAX_WORDS	64

static const char default_roster[] =
    "members:\n"
    "  - {id: tanaka}\n  - {id: suzuki}\n  - {id: sato}\n"
    "  - {id: ito}\n  - {id: yamamoto}\n  - {id: yamada}\n"
    "roles:\n"
    "  - {id: lead, members: [tanaka, suzuki, sato]}\n"
    "  - {id: ops, members: [ito, yamamoto]}\n"
    "  - {id: secretariat, members: [yamada], proxy: true}\n";

/* A case file: its sections by name. */
struct tcase {
	char		*path;
	char		*text;		/* the whole file */
	char		*roster, *runbook, *config, *injects, *script, *log;
	size_t		 log_at;	/* offset of the log section's body */
};

struct timer {
	int64_t		 id;
	char		*step;
	char		*kind;
	int64_t		 due;
	json_t		*data;
};

/* The world of one case. */
struct world {
	struct roster	*roster;
	struct runbook	*rb;
	struct incident	*inc;
	int64_t		 now;
	json_t		*rtos;
	struct exc_policy excp;
	int64_t		 remind[8];
	char		*approver;
	struct scenario	 sc;
	struct timer	*timers;
	size_t		 ntimers;
	int64_t		 timer_seq;
	struct exc	**excs;
	size_t		 nexcs;
	struct buf	 out;		/* the transcript */
};

static void
say(struct world *w, const char *fmt, ...) __attribute__((format(printf, 2,
    3)));

/* One transcript line, stamped with the time since the start. */
static void
say(struct world *w, const char *fmt, ...)
{
	va_list	 ap;
	char	*off = duration_fmt((w->now - START_MS) / 1000), *s, *h;

	va_start(ap, fmt);
	s = xvprintf(fmt, ap);
	va_end(ap);
	/* A runbook's version is its hash: the same in every case would be
	 * noise, a changed one a false failure. */
	while ((h = strstr(s, w->rb->hash)) != NULL) {
		memcpy(h, "HASH", 4);
		memmove(h + 4, h + 64, strlen(h + 64) + 1);
	}
	buf_printf(&w->out, "+%s %s\n", off, s);
	free(off);
	free(s);
}

static const char *
step_name(const struct world *w, int i)
{
	return i >= 0 && w->inc != NULL ? w->inc->rb->steps[i].id : "-";
}

/* ---- the in-memory store ---- */

static struct timer *
timer_find(struct world *w, const char *step, const char *kind)
{
	size_t i;

	for (i = 0; i < w->ntimers; i++)
		if (strcmp(w->timers[i].step, step) == 0 &&
		    strcmp(w->timers[i].kind, kind) == 0)
			return &w->timers[i];
	return NULL;
}

static void
timer_remove(struct world *w, size_t i)
{
	free(w->timers[i].step);
	free(w->timers[i].kind);
	json_decref(w->timers[i].data);
	w->timers[i] = w->timers[--w->ntimers];
}

/* As store_timer_set and store_timer_clear: one timer per step and
 * kind; an update keeps its id. */
static void
timer_effect(struct world *w, const struct effect *e)
{
	char		*step = tkey_step(&e->tk, e->step >= 0 ?
			    w->rb->steps[e->step].id : NULL);
	char		*kind = tkey_format(&e->tk);
	struct timer	*t;
	size_t		 i;

	if (e->kind == EF_TIMER_SET) {
		if ((t = timer_find(w, step, kind)) == NULL) {
			w->timers = xreallocarray(w->timers, w->ntimers + 1,
			    sizeof *w->timers);
			t = &w->timers[w->ntimers++];
			t->id = ++w->timer_seq;
			t->step = step;
			t->kind = kind;
			step = kind = NULL;
		} else
			json_decref(t->data);
		t->due = e->due;
		t->data = json_object_size(e->data) > 0 ?
		    json_incref(e->data) : NULL;
	} else {
		for (i = 0; i < w->ntimers; ) {
			if (strcmp(w->timers[i].step, step) == 0 &&
			    (kind == NULL || strcmp(w->timers[i].kind,
			    kind) == 0))
				timer_remove(w, i);
			else
				i++;
		}
	}
	free(step);
	free(kind);
}

static struct exc *
exc_find(struct world *w, int64_t id)
{
	size_t i;

	for (i = 0; i < w->nexcs; i++)
		if (w->excs[i]->id == id)
			return w->excs[i];
	return NULL;
}

static void apply(struct world *, const struct actx *, struct effects *);

/* The effects, in order, as kz_apply stores them. */
static void
apply(struct world *w, const struct actx *a, struct effects *fx)
{
	struct effects	 sub;
	struct exc	*x;
	char		*s;
	size_t		 i;

	for (i = 0; i < fx->n; i++) {
		const struct effect *e = &fx->v[i];

		switch (e->kind) {
		case EF_EVENT:
			s = json_dumps(e->data, JSON_COMPACT | JSON_SORT_KEYS);
			say(w, "%s%s%s %s %s %s", a->actor, a->member ? "/" :
			    "", a->member ? a->member : "", event_name(e->ev),
			    step_name(w, e->step), s);
			free(s);
			break;
		case EF_NOTIFY:
			say(w, "notify %s %s -> %s", event_name(e->ev),
			    step_name(w, e->step), e->to ? e->to : "-");
			break;
		case EF_TIMER_SET:
		case EF_TIMER_CLEAR:
			timer_effect(w, e);
			break;
		case EF_ACTION:
			say(w, "run %s attempt %lld", step_name(w, e->step),
			    (long long)e->due);
			break;
		case EF_EXCEPTION:
			e->exc->id = (int64_t)w->nexcs + 1;
			w->excs = xreallocarray(w->excs, w->nexcs + 1,
			    sizeof *w->excs);
			w->excs[w->nexcs++] = exc_dup(e->exc);
			memset(&sub, 0, sizeof sub);
			engine_exception_requested(a, w->inc, e->exc, &sub);
			apply(w, a, &sub);
			effects_free(&sub);
			break;
		case EF_EXC_SAVE:
			if ((x = exc_find(w, e->exc->id)) != NULL) {
				size_t k;

				for (k = 0; w->excs[k] != x; k++)
					;
				exc_free(x);
				w->excs[k] = exc_dup(e->exc);
			}
			break;
		case EF_META:
			break;
		case EF_WITHDRAW:
			say(w, "withdraw queued notifications");
			break;
		case EF_SAFETY:
			say(w, "safety row %d %s", (int)e->op,
			    step_name(w, e->step));
			break;
		case EF_DRILL_CLOSED: {
			size_t k;

			for (k = 0; k < w->nexcs; k++) {
				memset(&sub, 0, sizeof sub);
				x = exc_dup(w->excs[k]);
				engine_exception_drill_closed(a, w->inc, x,
				    &sub);
				exc_free(x);
				apply(w, a, &sub);
				effects_free(&sub);
			}
			break;
		}
		}
	}
}

/* ---- inputs ---- */

static void
actx_for(struct world *w, struct actx *a, const char *who, char *member)
{
	memset(a, 0, sizeof *a);
	a->roster = w->roster;
	a->now = w->now;
	a->actor = who;
	a->member = member;
	a->admin = strcmp(who, "root") == 0;
	a->rtos = w->rtos;
	a->excp = w->excp;
}

static int
firing_cmp(const void *x, const void *y)
{
	const struct timer *a = x, *b = y;

	if (a->due != b->due)
		return a->due < b->due ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

/* `_clock --advance`: the clock moves, then every timer due by then
 * fires at the new time, oldest due first, each an operation of its own
 * (a timer cleared by an earlier one of the batch still fires, as in the
 * daemon; the engine ignores what is stale). */
static void
advance(struct world *w, int64_t secs)
{
	struct timer	*due = NULL;
	struct actx	 a;
	size_t		 n = 0, i, k;

	w->now += secs * 1000;
	for (i = 0; i < w->ntimers; i++) {
		if (w->timers[i].due > w->now)
			continue;
		due = xreallocarray(due, n + 1, sizeof *due);
		due[n] = w->timers[i];
		due[n].step = xstrdup(due[n].step);
		due[n].kind = xstrdup(due[n].kind);
		if (due[n].data != NULL)
			json_incref(due[n].data);
		n++;
	}
	if (n > 0)
		qsort(due, n, sizeof *due, firing_cmp);
	for (i = 0; i < n; i++) {
		struct effects	 fx = { 0 };
		struct tkey	 tk;
		struct exc	*x;

		for (k = 0; k < w->ntimers; k++)
			if (w->timers[k].id == due[i].id) {
				timer_remove(w, k);
				break;
			}
		actx_for(w, &a, "keizokud", NULL);
		if (tkey_parse(due[i].kind, due[i].step, &tk) == -1)
			;
		else if (tkey_is_exception(tk.kind)) {
			if ((x = exc_find(w, tk.n)) != NULL) {
				x = exc_dup(x);
				engine_exception_timer(&a, w->inc, x, &tk, &fx);
				exc_free(x);
			}
		} else if (tk.kind == TK_INJECT) {
			json_t *data = due[i].data ? json_incref(due[i].data) :
			    json_object();

			engine_inject(&a, w->inc, data, &fx);
			json_decref(data);
		} else
			engine_timer(&a, w->inc, *due[i].step ?
			    runbook_step_index(w->rb, due[i].step) : -1, &tk,
			    &fx);
		apply(w, &a, &fx);
		effects_free(&fx);
		tkey_free(&tk);
		free(due[i].step);
		free(due[i].kind);
		json_decref(due[i].data);
	}
	free(due);
}

static char *
rest(char **word, int from, int n)
{
	struct buf	b = { 0 };
	int		i;

	if (from >= n)
		return NULL;
	for (i = from; i < n; i++)
		buf_printf(&b, "%s%s", i > from ? " " : "", word[i]);
	return buf_steal(&b);
}

static void
print_states(struct world *w)
{
	struct buf	b = { 0 };
	char		*s;
	size_t		 i;

	for (i = 0; i < w->rb->nsteps; i++)
		buf_printf(&b, " %s=%s", w->rb->steps[i].id,
		    step_state_name(w->inc->steps[i].state));
	s = buf_steal(&b);
	say(w, "states %s%s", inc_state_name(w->inc->state), s);
	free(s);
}

static void
print_timers(struct world *w)
{
	struct timer	*t = xcalloc(w->ntimers + 1, sizeof *t);
	struct buf	 b = { 0 };
	char		*s;
	size_t		 i;

	if (w->ntimers > 0)
		memcpy(t, w->timers, w->ntimers * sizeof *t);
	qsort(t, w->ntimers, sizeof *t, firing_cmp);
	for (i = 0; i < w->ntimers; i++) {
		s = duration_fmt((t[i].due - START_MS) / 1000);
		buf_printf(&b, " %s@%s:+%s", t[i].kind, *t[i].step ?
		    t[i].step : "-", s);
		free(s);
	}
	s = buf_steal(&b);
	say(w, "timers%s", s != NULL ? s : "");
	free(s);
	free(t);
}

static int
step_act(const char *verb)
{
	static const char *const acts[] = { "ack", "done", "skip", "fail",
	    "approve", "reject", NULL };
	int i;

	for (i = 0; acts[i] != NULL; i++)
		if (strcmp(acts[i], verb) == 0)
			return i;
	return -1;
}

/* WHO exception add REVERT_BY [step=ID] [policy=X] [reason=Y] TITLE... */
static int
exception_add(struct world *w, const struct actx *a, char **word, int n,
    struct effects *fx, char **why)
{
	struct exc	*x = exc_new();
	const char	*err;
	int64_t		 secs;
	int		 i = 4;

	if (n < 5 || duration_parse(word[3], &secs, &err) == -1)
		fail_msg("exception add REVERT_BY [step=..] TITLE...");
	x->policy = xstrdup("policy");
	x->reason = xstrdup("reason");
	for (; i < n && strchr(word[i], '=') != NULL; i++) {
		char **f = strncmp(word[i], "step=", 5) == 0 ? &x->step :
		    strncmp(word[i], "policy=", 7) == 0 ? &x->policy :
		    strncmp(word[i], "reason=", 7) == 0 ? &x->reason : NULL;

		if (f == NULL)
			fail_msg("exception add: unknown %s", word[i]);
		free(*f);
		*f = xstrdup(strchr(word[i], '=') + 1);
	}
	x->title = rest(word, i, n);
	x->revert_by_at = w->now + secs * 1000;
	x->measure = json_pack("{s:s,s:s,s:s,s:s}", "title", x->title,
	    "policy", x->policy, "reason", x->reason, "revert_by", word[3]);
	return engine_exception_add(a, w->inc, x, fx, why);
}

static int
exception_cmd(struct world *w, const struct actx *a, char **word, int n,
    struct effects *fx, char **why)
{
	long long	 id;
	struct exc	*x;
	char		*note;
	int		 st;

	if (strcmp(word[2], "add") == 0)
		return exception_add(w, a, word, n, fx, why);
	if (n < 4 || parse_i64(word[3], &id) == -1)
		fail_msg("exception %s ID", word[2]);
	if ((x = exc_find(w, id)) == NULL) {
		*why = xprintf("no exception %lld", id);
		return 404;
	}
	x = exc_dup(x);
	if (strcmp(word[2], "resolve") == 0) {
		note = rest(word, 5, n);
		st = engine_exception_resolve(a, w->inc, x, n > 4 &&
		    strcmp(word[4], "adopted") == 0 ? EXS_ADOPTED :
		    EXS_REVERTED, note, fx, why);
	} else {
		note = rest(word, 4, n);
		st = engine_exception_decide(a, w->inc, x, strcmp(word[2],
		    "approve") == 0, note, fx, why);
	}
	free(note);
	exc_free(x);
	return st;
}

static void
start(struct world *w, const struct actx *a, char **word, int n,
    struct effects *fx, char **why)
{
	int pending = 0, drill = 0, i;

	for (i = 2; i < n; i++) {
		if (strcmp(word[i], "pending") == 0)
			pending = 1;
		else if (strcmp(word[i], "drill") == 0)
			drill = 1;
	}
	w->inc = incident_new(w->rb, drill, NULL, w->rb->vars);
	w->inc->id = 1;
	w->inc->started_at = w->now;
	w->inc->is_new = 0;
	engine_activate(a, w->inc, pending, fx, why);
	if (drill && w->sc.ninjects > 0)
		engine_drill_start(a, w->inc, &w->sc, fx);
}

static void
run_line(struct world *w, char *line)
{
	char		*word[MAX_WORDS], *p, *who, *member, *note = NULL;
	char		*why = NULL;
	struct effects	 fx = { 0 };
	struct actx	 a;
	int64_t		 secs;
	const char	*err;
	int		 n = 0, st = 200, act, i;

	for (p = strtok(line, " \t"); p != NULL && n < MAX_WORDS;
	    p = strtok(NULL, " \t"))
		word[n++] = p;
	if (n == 0 || word[0][0] == '#')
		return;
	if (word[0][0] == '+') {
		if (duration_parse(word[0] + 1, &secs, &err) == -1)
			fail_msg("%s: %s", word[0], err);
		advance(w, secs);
		return;
	}
	if (strcmp(word[0], "states") == 0) {
		print_states(w);
		return;
	}
	if (strcmp(word[0], "timers") == 0) {
		print_timers(w);
		return;
	}
	if (n < 2)
		fail_msg("\"%s\": WHO VERB ...", word[0]);
	who = word[0];
	member = strchr(who, '/');
	if (member != NULL)
		*member++ = '\0';
	actx_for(w, &a, who, member);
	if (strcmp(word[1], "start") == 0)
		start(w, &a, word, n, &fx, &why);
	else if (w->inc == NULL)
		fail_msg("%s before start", word[1]);
	else if (strcmp(word[1], "confirm") == 0 ||
	    strcmp(word[1], "dismiss") == 0) {
		note = rest(word, 2, n);
		st = engine_confirm(&a, w->inc, word[1][0] == 'c', note, &fx,
		    &why);
	} else if (strcmp(word[1], "close") == 0) {
		int force = n > 2 && strcmp(word[2], "--force") == 0;

		note = rest(word, 2 + force, n);
		st = engine_close(&a, w->inc, note, force, &fx, &why);
	} else if ((act = step_act(word[1])) >= 0) {
		note = rest(word, 3, n);
		st = engine_step(&a, w->inc, n > 2 ? word[2] : "", act, note,
		    &fx, &why);
	} else if (strcmp(word[1], "assign") == 0) {
		st = engine_assign(&a, w->inc, n > 2 ? word[2] : "", n > 3 ?
		    word[3] : NULL, &fx, &why);
	} else if (strcmp(word[1], "respond") == 0) {
		int64_t eta = 0;

		act = n > 2 ? answer_parse(word[2]) : -1;
		if (act < 0)
			fail_msg("respond available|unavailable|arrived");
		i = 3;
		if (n > 4 && strcmp(word[3], "eta") == 0) {
			if (duration_parse(word[4], &eta, &err) == -1)
				fail_msg("eta %s: %s", word[4], err);
			eta = w->now + eta * 1000;
			i = 5;
		}
		note = rest(word, i, n);
		st = engine_respond(&a, w->inc, member ? member : who, act,
		    eta, note, &fx, &why);
	} else if (strcmp(word[1], "result") == 0 && n > 3) {
		/* keizokud result STEP ok|fail [note]: a plugin's answer. */
		i = runbook_step_index(w->rb, word[2]);
		note = rest(word, 4, n);
		st = engine_action_done(&a, w->inc, i, i >= 0 ?
		    w->inc->steps[i].attempts : 0, strcmp(word[3], "ok") == 0,
		    note, &fx);
	} else if (strcmp(word[1], "interrupted") == 0 && n > 2) {
		if ((i = runbook_step_index(w->rb, word[2])) < 0)
			fail_msg("interrupted %s: no such step", word[2]);
		st = engine_action_interrupted(&a, w->inc, i, &fx);
	}
	else if (strcmp(word[1], "trigger") == 0 && n > 2) {
		json_t *doc = json_pack("{s:s}", "status", word[2]);

		engine_trigger_repeat(&a, w->inc, doc, strcmp(word[2],
		    "resolved") == 0, strcmp(word[2], "corrected") == 0, &fx);
		json_decref(doc);
	} else if (strcmp(word[1], "exception") == 0 && n > 2)
		st = exception_cmd(w, &a, word, n, &fx, &why);
	else
		fail_msg("unknown input \"%s %s\"", word[0], word[1]);
	if (st >= 400)
		say(w, "%s refused %d: %s", word[0], st, why ? why : "?");
	else
		apply(w, &a, &fx);
	effects_free(&fx);
	free(why);
	free(note);
}

/* ---- case files ---- */

static char *
slurp(const char *path)
{
	FILE	*f = fopen(path, "r");
	char	*s = NULL;
	size_t	 len = 0;

	if (f == NULL)
		fail_msg("%s: cannot open", path);
	if (getdelim(&s, &len, '\0', f) == -1) {
		free(s);
		s = xstrdup("");
	}
	fclose(f);
	return s;
}

/* Sections start with a line "--- NAME"; lines before the first are the
 * case's description. */
static void
tcase_load(struct tcase *c, const char *path)
{
	char	*p, *next, *name, **sec;
	size_t	 len;

	memset(c, 0, sizeof *c);
	c->path = xstrdup(path);
	c->text = slurp(path);
	for (p = c->text; *p != '\0'; p = next) {
		next = strchr(p, '\n');
		next = next != NULL ? next + 1 : p + strlen(p);
		if (strncmp(p, "--- ", 4) != 0)
			continue;
		name = p + 4;
		len = strcspn(name, "\n");
#define SEC(s)	(len == strlen(s) && strncmp(name, s, len) == 0)
		sec = SEC("roster") ? &c->roster : SEC("runbook") ?
		    &c->runbook : SEC("config") ? &c->config : SEC("injects") ?
		    &c->injects : SEC("script") ? &c->script : SEC("log") ?
		    &c->log : NULL;
#undef SEC
		if (sec == NULL)
			fail_msg("%s: unknown section \"%.*s\"", path,
			    (int)len, name);
		*sec = next;
		if (sec == &c->log)
			c->log_at = (size_t)(p - c->text);
		/* The section before ends where this one begins. */
		*p = '\0';
	}
	if (c->runbook == NULL || c->script == NULL)
		fail_msg("%s: needs --- runbook and --- script", path);
}

static void
tcase_free(struct tcase *c)
{
	free(c->path);
	free(c->text);
}

/* config lines: "rto SYSTEM DURATION", "approver_role ROLE",
 * "remind DURATION...". */
static void
load_config(struct world *w, char *text)
{
	char		*line, *save = NULL, *word[8];
	const char	*err;
	int		 n, i;

	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char *q, *s2 = NULL;

		n = 0;
		for (q = strtok_r(line, " \t", &s2); q != NULL && n < 8;
		    q = strtok_r(NULL, " \t", &s2))
			word[n++] = q;
		if (n == 0 || word[0][0] == '#')
			continue;
		if (strcmp(word[0], "rto") == 0 && n == 3) {
			int64_t s;

			if (duration_parse(word[2], &s, &err) == -1)
				fail_msg("rto %s: %s", word[2], err);
			json_object_set_new(w->rtos, word[1], json_integer(s));
		} else if (strcmp(word[0], "approver_role") == 0 && n == 2) {
			w->approver = xstrdup(word[1]);
			w->excp.approver_role = w->approver;
		} else if (strcmp(word[0], "remind") == 0) {
			for (i = 1; i < n && i <= 8; i++)
				if (duration_parse(word[i], &w->remind[i - 1],
				    &err) == -1)
					fail_msg("remind %s: %s", word[i], err);
			w->excp.remind_s = w->remind;
			w->excp.nremind = (size_t)n - 1;
		} else
			fail_msg("config: \"%s\"", word[0]);
	}
}

/* inject lines: "AT TO TEXT..." (TO "-": everyone). */
static void
load_injects(struct world *w, char *text)
{
	char		*line, *save = NULL, *to, *msg = NULL;
	const char	*err;

	w->sc.id = xstrdup("case");
	w->sc.title = xstrdup("case");
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		struct inject *in;

		if (*line == '#' || *line == '\0')
			continue;
		w->sc.injects = xreallocarray(w->sc.injects, w->sc.ninjects + 1,
		    sizeof *w->sc.injects);
		in = &w->sc.injects[w->sc.ninjects++];
		memset(in, 0, sizeof *in);
		if ((to = strchr(line, ' ')) == NULL ||
		    (msg = strchr(to + 1, ' ')) == NULL)
			fail_msg("inject: AT TO TEXT");
		*to++ = '\0';
		*msg++ = '\0';
		if (duration_parse(line, &in->at_s, &err) == -1)
			fail_msg("inject at %s: %s", line, err);
		in->to = strcmp(to, "-") == 0 ? NULL : xstrdup(to);
		in->text = xstrdup(msg);
	}
}

static void
world_free(struct world *w)
{
	size_t i;

	incident_free(w->inc);
	runbook_unref(w->rb);
	roster_free(w->roster);
	json_decref(w->rtos);
	free(w->approver);
	for (i = 0; i < w->ntimers; i++) {
		free(w->timers[i].step);
		free(w->timers[i].kind);
		json_decref(w->timers[i].data);
	}
	free(w->timers);
	for (i = 0; i < w->nexcs; i++)
		exc_free(w->excs[i]);
	free(w->excs);
	for (i = 0; i < w->sc.ninjects; i++) {
		free(w->sc.injects[i].to);
		free(w->sc.injects[i].text);
	}
	free(w->sc.injects);
	free(w->sc.id);
	free(w->sc.title);
	buf_free(&w->out);
}

/* Writes the file again with the transcript the engine made: what came
 * before its log section (len bytes), then the new log. */
static void
update(const char *path, const char *orig, size_t len, const char *got)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		fail_msg("%s: cannot write", path);
	fwrite(orig, 1, len, f);
	if (len > 0 && orig[len - 1] != '\n')
		fputc('\n', f);
	fputs("--- log\n", f);
	fputs(got, f);
	fclose(f);
}

static void
test_case(void **state)
{
	const char		*path = *state;
	struct tcase		 c;
	struct world		 w;
	struct diags		 dg = { 0 };
	struct rb_context	 ctx;
	char			*line, *save = NULL, *orig, *got;
	const char		*ros;
	size_t			 i;

	memset(&w, 0, sizeof w);
	tcase_load(&c, path);
	orig = slurp(path);
	ros = c.roster != NULL ? c.roster : default_roster;
	w.roster = roster_parse("roster.yaml", ros, strlen(ros), &dg);
	memset(&ctx, 0, sizeof ctx);
	ctx.roster = w.roster;
	w.rb = runbook_parse(path, c.runbook, strlen(c.runbook), &ctx, &dg);
	for (i = 0; i < dg.n; i++)
		fprintf(stderr, "%s\n", dg.msgs[i]);
	if (w.roster == NULL || w.rb == NULL || dg.nerrors > 0)
		fail_msg("%s: the roster or runbook does not load", path);
	diag_free(&dg);
	w.now = START_MS;
	w.rtos = json_object();
	if (c.config != NULL)
		load_config(&w, c.config);
	if (c.injects != NULL)
		load_injects(&w, c.injects);
	for (line = strtok_r(c.script, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		run_line(&w, line);
	got = w.out.s != NULL ? w.out.s : (char *)"";
	if (getenv("KZ_ENGINE_UPDATE") != NULL)
		update(path, orig, c.log != NULL ? c.log_at : strlen(orig),
		    got);
	else if (c.log == NULL || strcmp(c.log, got) != 0) {
		fprintf(stderr, "%s: the transcript differs.\n--- expected\n"
		    "%s--- got\n%s", path, c.log ? c.log : "", got);
		fail_msg("%s", path);
	}
	free(orig);
	world_free(&w);
	tcase_free(&c);
}

int
main(void)
{
	struct CMUnitTest	*tests;
	glob_t			 g;
	size_t			 i;
	int			 rc;

	if (glob("tests/engine/*.case", 0, NULL, &g) != 0 ||
	    g.gl_pathc == 0) {
		fprintf(stderr, "no tests/engine/*.case (run from the top of "
		    "the tree)\n");
		return 1;
	}
	tests = xcalloc(g.gl_pathc, sizeof *tests);
	for (i = 0; i < g.gl_pathc; i++) {
		const char *base = strrchr(g.gl_pathv[i], '/') + 1;

		tests[i].name = base;
		tests[i].test_func = test_case;
		tests[i].initial_state = g.gl_pathv[i];
	}
	rc = _cmocka_run_group_tests("engine data", tests, g.gl_pathc, NULL,
	    NULL);
	free(tests);
	globfree(&g);
	return rc;
}
