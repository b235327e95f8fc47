/* Runbook loading and validation. Every problem is reported with its
 * position; a runbook with any error is not loaded. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/diag.h"
#include "common/duration.h"
#include "common/log.h"
#include "model/matcher.h"
#include "model/roster.h"
#include "model/actionwith.h"
#include "model/safety.h"
#include "model/runbook.h"
#include "common/sig.h"
#include "model/template.h"
#include "common/xmalloc.h"
#include "common/ytree.h"

static const char *const top_keys[] = {
	"runbook", "title", "kind", "owner", "activators", "systems",
	"activation", "vars", "steps", "description", NULL
};
static const char *const act_keys[] = {
	"source", "match", "mode", "confirm_by", "key", "window", NULL
};
static const char *const step_keys[] = {
	"id", "title", "type", "needs", "when", "assign", "escalate_after",
	"timeout", "on_timeout", "remind", "action", "with", "retry", "drill",
	"note", "restores", NULL
};
static const char *const retry_keys[] = { "attempts", "backoff", NULL };
static const char *const kinds[] = {
	"staff-assembly", "failover", "telework", "security", "generic", NULL
};

static const struct {
	const char		*name;
	enum step_type		 type;
	const char *const	*with_keys;	/* NULL: no `with` allowed */
	const char		*required;	/* a required `with` key */
} step_types[] = {
	{ "task", ST_TASK, NULL, NULL },
	{ "approval", ST_APPROVAL, NULL, NULL },
	{ "action", ST_ACTION, NULL, NULL },	/* checked by the plugin */
	{ "notify", ST_NOTIFY, (const char *const[]){ "channels", "to",
	    "text", NULL }, "text" },
	{ "assemble", ST_ASSEMBLE, (const char *const[]){ "roles",
	    "escalate_after", NULL }, "roles" },
	{ "wait", ST_WAIT, (const char *const[]){ "duration", NULL },
	    "duration" },
	{ "exception", ST_EXCEPTION, (const char *const[]){ "title",
	    "policy", "reason", "revert_by", NULL }, "title" },
	{ "safety", ST_SAFETY, (const char *const[]){ "roles", "areas",
	    "remind", "max_reminders", "done_at", NULL }, "roles" },
};

static const struct {
	const char	*name;
	enum on_timeout	 v;
} timeouts[] = {
	{ "escalate", OT_ESCALATE }, { "fail", OT_FAIL }, { "skip", OT_SKIP },
	{ "continue", OT_CONTINUE },
};

const char *
step_type_name(enum step_type t)
{
	size_t i;

	for (i = 0; i < sizeof step_types / sizeof step_types[0]; i++)
		if (step_types[i].type == t)
			return step_types[i].name;
	return "?";
}

const char *
on_timeout_name(enum on_timeout o)
{
	size_t i;

	for (i = 0; i < sizeof timeouts / sizeof timeouts[0]; i++)
		if (timeouts[i].v == o)
			return timeouts[i].name;
	return "?";
}

/* What a template or `when` path in this runbook may refer to. */
struct pathctx {
	json_t		 *vars;
	char		**step_ids;
};

static int
rb_path_check(const char *path, void *arg, char **why)
{
	static const char *const inc_fields[] = { "id", "title", "drill",
	    "started_at", "runbook", "note", "activated_by", "state", NULL };
	static const char *const rb_fields[] = { "id", "title", "kind",
	    "owner", NULL };
	static const char *const step_fields[] = { "state", "by", "note",
	    "done_at", "title", NULL };
	struct pathctx	*pc = arg;
	const char	*dot = strchr(path, '.');
	size_t		 rootlen = dot ? (size_t)(dot - path) : strlen(path);
	const char	*rest = dot ? dot + 1 : NULL;
	char		*name;
	size_t		 i;

#define ROOT(s) (rootlen == strlen(s) && strncmp(path, s, rootlen) == 0)
	if (ROOT("trigger"))
		return 0;
	if (ROOT("vars")) {
		if (rest == NULL) {
			*why = xstrdup("\"vars\" needs a variable name "
			    "(vars.NAME)");
			return -1;
		}
		name = xstrndup(rest, strcspn(rest, "."));
		if (json_object_get(pc->vars, name) == NULL) {
			*why = xprintf("unknown variable \"%s\" (declare it "
			    "under vars:)", name);
			free(name);
			return -1;
		}
		free(name);
		return 0;
	}
	if (ROOT("incident") || ROOT("runbook")) {
		const char *const *f = ROOT("incident") ? inc_fields :
		    rb_fields;

		for (i = 0; rest != NULL && f[i] != NULL; i++)
			if (strcmp(rest, f[i]) == 0)
				return 0;
		*why = xprintf("unknown field \"%s\" (known: %s)", path,
		    ROOT("incident") ? "incident.id, .title, .drill, "
		    ".started_at, .runbook, .note, .activated_by, .state" :
		    "runbook.id, .title, .kind, .owner");
		return -1;
	}
	if (ROOT("steps")) {
		const char *f;

		if (rest == NULL || (f = strchr(rest, '.')) == NULL) {
			*why = xprintf("\"%s\": write steps.ID.state, .by or "
			    ".note", path);
			return -1;
		}
		name = xstrndup(rest, (size_t)(f - rest));
		if (!strv_has(pc->step_ids, name)) {
			*why = xprintf("unknown step \"%s\" in \"%s\"", name,
			    path);
			free(name);
			return -1;
		}
		free(name);
		for (i = 0; step_fields[i] != NULL; i++)
			if (strcmp(f + 1, step_fields[i]) == 0)
				return 0;
		*why = xprintf("unknown step field in \"%s\" (known: state, "
		    "by, note, done_at, title)", path);
		return -1;
	}
#undef ROOT
	*why = xprintf("unknown template root \"%.*s\" (use trigger, vars, "
	    "incident, runbook or steps)", (int)rootlen, path);
	return -1;
}

/* Checks every string under node as a template, reporting at the
 * position of the string itself. */
static void
check_templates(struct diags *d, const char *file, const struct ynode *n,
    struct pathctx *pc)
{
	struct tmpl	*t;
	char		*why = NULL;
	size_t		 i;

	if (n == NULL)
		return;
	if (n->type == Y_SCALAR) {
		if (strstr(n->str, "{{") == NULL)
			return;
		if ((t = tmpl_compile(n->str, rb_path_check, pc, &why)) ==
		    NULL) {
			diag_node(d, file, n, "template: %s", why);
			free(why);
			return;
		}
		tmpl_free(t);
		return;
	}
	for (i = 0; i < n->n; i++)
		check_templates(d, file, n->items[i], pc);
}

static void
check_ref(struct diags *d, const char *file, const struct ynode *at,
    const char *ref, const struct rb_context *ctx, const char *what)
{
	char *why = NULL;

	if (ctx == NULL || ctx->roster == NULL)
		return;
	if (roster_check_ref(ctx->roster, ref, &why) == -1) {
		diag_node(d, file, at, "%s: %s", what, why);
		free(why);
	}
}

static void
load_activation(struct runbook *rb, const char *file, const struct ynode *n,
    const struct rb_context *ctx, struct pathctx *pc, struct diags *d)
{
	struct rb_activation	*a;
	struct ynode		*m;
	const char		*s;
	char			*why = NULL;

	if (n->type != Y_MAP) {
		diag_node(d, file, n, "an activation entry must be a map");
		return;
	}
	ycheck_keys(d, file, n, act_keys, "activation");
	rb->acts = xreallocarray(rb->acts, rb->nacts + 1, sizeof *rb->acts);
	a = &rb->acts[rb->nacts++];
	memset(a, 0, sizeof *a);
	a->line = n->line;
	a->window_s = 6 * 3600;
	if (yget_str(d, file, n, "source", 1, &s) == 1) {
		a->source = xstrdup(s);
		if (ctx != NULL && ctx->sources != NULL &&
		    !strv_has(ctx->sources, s))
			diag_node(d, file, ymap_get(n, "source"),
			    "unknown source \"%s\" (not under sources: in "
			    "the config)", s);
	}
	if (yget_node(d, file, n, "match", Y_MAP, 1, &m) == 1) {
		a->match = matcher_compile(m, file, d, NULL, NULL);
		a->match_json = ynode_json(m);
	}
	if (yget_str(d, file, n, "mode", 0, &s) == 1) {
		if (strcmp(s, "auto") == 0)
			a->mode = AM_AUTO;
		else if (strcmp(s, "confirm") == 0)
			a->mode = AM_CONFIRM;
		else
			diag_node(d, file, ymap_get(n, "mode"),
			    "mode must be auto or confirm, not \"%s\"", s);
	}
	if (yget_str(d, file, n, "confirm_by", 0, &s) == 1) {
		a->confirm_by = xstrdup(s);
		check_ref(d, file, ymap_get(n, "confirm_by"), s, ctx,
		    "confirm_by");
	} else if (a->mode == AM_CONFIRM && rb->owner == NULL)
		diag_node(d, file, n, "mode: confirm needs confirm_by (or a "
		    "runbook owner)");
	if (yget_str(d, file, n, "key", 0, &s) == 1) {
		/* The key sees the trigger only. */
		if ((a->key = tmpl_compile(s, rb_path_check, pc, &why)) ==
		    NULL) {
			diag_node(d, file, ymap_get(n, "key"), "key: %s", why);
			free(why);
		}
	}
	yget_duration(d, file, n, "window", 0, &a->window_s);
}

static const char *const areas_keys[] = { "min_scale", NULL };

/* A safety step (SPEC §18): roles is a list of roles, areas.min_scale a
 * seismic intensity, remind a duration, done_at a share. */
static void
check_safety(const char *file, const struct ynode *w, struct rb_step *st,
    const struct rb_context *ctx, struct diags *d)
{
	struct ynode	*roles, *areas;
	char		**rl = NULL;
	size_t		 i, n = 0;
	long long	 m = 3;
	json_t		*v;

	st->u.safety.min_scale = -1;
	st->u.safety.done_pct = 100;
	if (yget_strlist(d, file, w, "roles", 1, &rl, &n) == 1) {
		roles = ymap_get(w, "roles");
		for (i = 0; i < n; i++)
			if (ctx != NULL && ctx->roster != NULL &&
			    roster_role(ctx->roster, rl[i]) == NULL)
				diag_node(d, file, roles->type == Y_SEQ ?
				    roles->items[i] : roles,
				    "unknown role \"%s\"", rl[i]);
		st->u.safety.roles = rl;
	}
	if (yget_node(d, file, w, "areas", Y_MAP, 0, &areas) == 1) {
		ycheck_keys(d, file, areas, areas_keys, "areas");
		st->u.safety.areas = ynode_json(areas);
		st->u.safety.min_scale = safety_scale_parse(json_object_get(
		    st->u.safety.areas, "min_scale"));
		if (st->u.safety.min_scale < 0)
			diag_node(d, file, ymap_get(areas, "min_scale") ?
			    ymap_get(areas, "min_scale") : areas,
			    "areas.min_scale must be a seismic intensity: a "
			    "P2P scale code (10 20 30 40 45 50 55 60 70) or "
			    "1 2 3 4 5弱 5強 6弱 6強 7");
	}
	yget_duration(d, file, w, "remind", 0, &st->u.safety.remind_s);
	if (yget_int(d, file, w, "max_reminders", 0, 0, 100, &m) == 1)
		st->u.safety.max_reminders = (int)m;
	else
		st->u.safety.max_reminders = 3;
	if (ymap_get(w, "done_at") != NULL) {
		v = ynode_json(ymap_get(w, "done_at"));
		st->u.safety.done_pct = safety_done_pct(v);
		json_decref(v);
		if (st->u.safety.done_pct < 0)
			diag_node(d, file, ymap_get(w, "done_at"), "done_at "
			    "must be a share of those asked, from 1%% to "
			    "100%%, such as 95%%");
	}
}

static void
load_with(struct rb_step *st, const char *file, const struct ynode *n,
    size_t ti, const struct rb_context *ctx, struct diags *d)
{
	struct ynode	*w = ymap_get(n, "with");
	char		*why = NULL;

	if (st->type == ST_ACTION) {
		const char *s;

		if (yget_str(d, file, n, "action", 1, &s) != 1)
			return;
		st->action = xstrdup(s);
		if (w != NULL && w->type != Y_MAP) {
			diag_node(d, file, w, "\"with\" must be a map");
			return;
		}
		st->with = w ? ynode_json(w) : json_object();
		if (action_with_check(st->with, &why) == -1) {
			diag_node(d, file, ymap_get(w, "url"), "action %s: %s",
			    s, why);
			free(why);
			why = NULL;
		}
		if (ctx != NULL && ctx->check_action != NULL &&
		    ctx->check_action(ctx->check_arg, s, st->with,
		    &why) == -1) {
			diag_node(d, file, w ? w : ymap_get(n, "action"),
			    "action %s: %s", s, why);
			free(why);
		}
		return;
	}
	if (ymap_get(n, "action") != NULL)
		diag_node(d, file, ymap_get(n, "action"),
		    "\"action\" is only for steps of type action");
	if (step_types[ti].with_keys == NULL) {
		if (w != NULL)
			diag_node(d, file, w, "a %s step takes no \"with\"",
			    step_types[ti].name);
		return;
	}
	if (w == NULL || w->type != Y_MAP) {
		diag_node(d, file, w ? w : n, "a %s step needs \"with: {%s: "
		    "...}\"", step_types[ti].name, step_types[ti].required);
		return;
	}
	ycheck_keys(d, file, w, step_types[ti].with_keys, "with");
	if (ymap_get(w, step_types[ti].required) == NULL)
		diag_node(d, file, w, "missing required key \"%s\" in with",
		    step_types[ti].required);
	switch (st->type) {
	case ST_WAIT:
		yget_duration(d, file, w, "duration", 1,
		    &st->u.wait.duration_s);
		break;
	case ST_ASSEMBLE: {
		struct ynode	*roles;
		size_t		 i;

		st->u.assemble.callout_s = st->escalate_after_s;
		yget_duration(d, file, w, "escalate_after", 0,
		    &st->u.assemble.callout_s);
		if (yget_node(d, file, w, "roles", Y_MAP, 1, &roles) != 1)
			break;
		st->u.assemble.roles = xcalloc(roles->n + 1,
		    sizeof *st->u.assemble.roles);
		for (i = 0; i < roles->n; i++) {
			struct rb_quota	*q = &st->u.assemble.roles[i];
			long long	 v;

			if (parse_i64(roles->items[i]->str ?
			    roles->items[i]->str : "", &v) == -1 || v < 1 ||
			    v > 100000)
				diag_node(d, file, roles->items[i],
				    "quota for role \"%s\" must be a whole "
				    "number from 1", roles->keys[i]->str);
			if (ctx != NULL && ctx->roster != NULL &&
			    roster_role(ctx->roster, roles->keys[i]->str) ==
			    NULL)
				diag_node(d, file, roles->keys[i],
				    "unknown role \"%s\"", roles->keys[i]->str);
			q->role = xstrdup(roles->keys[i]->str);
			q->quota = (int)v;
			st->u.assemble.nroles++;
		}
		break;
	}
	case ST_EXCEPTION:
		yget_duration(d, file, w, "revert_by", 1,
		    &st->u.exception.revert_by_s);
		st->with = ynode_json(w);
		break;
	case ST_SAFETY:
		check_safety(file, w, st, ctx, d);
		break;
	case ST_NOTIFY: {
		const char	*v;
		char		**chans = NULL;
		size_t		  i;

		if (yget_str(d, file, w, "text", 0, &v) == 1)
			st->u.notify.text = xstrdup(v);
		if (yget_str(d, file, w, "to", 0, &v) == 1) {
			st->u.notify.to = xstrdup(v);
			check_ref(d, file, ymap_get(w, "to"), v, ctx, "to");
		}
		if (yget_strlist(d, file, w, "channels", 0, &chans, NULL) == 1 &&
		    ctx != NULL && ctx->channels != NULL)
			for (i = 0; chans[i] != NULL; i++)
				if (!strv_has(ctx->channels, chans[i]))
					diag_node(d, file, ymap_get(w,
					    "channels"), "unknown channel "
					    "\"%s\" (not under channels: in the "
					    "config)", chans[i]);
		strv_free(chans);
		if (ymap_get(w, "channels") != NULL)
			st->u.notify.channels = ynode_json(ymap_get(w,
			    "channels"));
		break;
	}
	default:
		break;
	}
}

static void
load_step(struct runbook *rb, const char *file, const struct ynode *n,
    const struct rb_context *ctx, struct pathctx *pc, struct diags *d)
{
	struct rb_step	*st;
	struct ynode	*rn, *wn;
	const char	*s;
	size_t		 i, ti = 0;

	rb->steps = xreallocarray(rb->steps, rb->nsteps + 1,
	    sizeof *rb->steps);
	st = &rb->steps[rb->nsteps++];
	memset(st, 0, sizeof *st);
	st->line = n->line;
	st->retry_attempts = 1;
	st->needs = xcalloc(1, sizeof *st->needs);
	ycheck_keys(d, file, n, step_keys, "step");
	if (yget_str(d, file, n, "id", 1, &s) == 1) {
		st->id = xstrdup(s);
		if (!valid_id(s))
			diag_node(d, file, ymap_get(n, "id"), "step id \"%s\" "
			    "must match [a-z0-9][a-z0-9_-]*", s);
		for (i = 0; i + 1 < rb->nsteps; i++)
			if (rb->steps[i].id != NULL &&
			    strcmp(rb->steps[i].id, s) == 0)
				diag_node(d, file, ymap_get(n, "id"),
				    "duplicate step id \"%s\" (first at line "
				    "%d)", s, rb->steps[i].line);
	} else
		st->id = xprintf("#%zu", rb->nsteps);
	st->title = xstrdup(yget_str(d, file, n, "title", 0, &s) == 1 ? s :
	    st->id);
	if (yget_str(d, file, n, "note", 0, &s) == 1)
		st->note = xstrdup(s);
	if (yget_str(d, file, n, "type", 0, &s) == 1) {
		for (ti = 0; ti < sizeof step_types / sizeof step_types[0];
		    ti++)
			if (strcmp(step_types[ti].name, s) == 0)
				break;
		if (ti == sizeof step_types / sizeof step_types[0]) {
			diag_node(d, file, ymap_get(n, "type"), "unknown step "
			    "type \"%s\" (task, approval, action, notify, "
			    "assemble, wait, exception or safety)", s);
			ti = 0;
		}
	}
	st->type = step_types[ti].type;
	strv_free(st->needs);
	st->needs = NULL;
	if (yget_strlist(d, file, n, "needs", 0, &st->needs, &st->nneeds) != 1)
		st->needs = xcalloc(1, sizeof *st->needs);
	if ((wn = ymap_get(n, "when")) != NULL) {
		if (wn->type != Y_MAP)
			diag_node(d, file, wn, "\"when\" must be a matcher "
			    "map");
		else
			st->when = matcher_compile(wn, file, d, rb_path_check,
			    pc);
	}
	if (yget_str(d, file, n, "assign", 0, &s) == 1) {
		st->assign = xstrdup(s);
		check_ref(d, file, ymap_get(n, "assign"), s, ctx, "assign");
	}
	yget_duration(d, file, n, "escalate_after", 0, &st->escalate_after_s);
	yget_duration(d, file, n, "timeout", 0, &st->timeout_s);
	yget_duration(d, file, n, "remind", 0, &st->remind_s);
	if (yget_str(d, file, n, "on_timeout", 0, &s) == 1) {
		for (i = 0; i < sizeof timeouts / sizeof timeouts[0]; i++)
			if (strcmp(timeouts[i].name, s) == 0)
				break;
		if (i == sizeof timeouts / sizeof timeouts[0])
			diag_node(d, file, ymap_get(n, "on_timeout"),
			    "on_timeout must be escalate, fail, skip or "
			    "continue, not \"%s\"", s);
		else
			st->on_timeout = timeouts[i].v;
		if (st->timeout_s == 0)
			diag_node(d, file, ymap_get(n, "on_timeout"),
			    "on_timeout without a timeout never happens");
	}
	if ((st->escalate_after_s != 0 || st->remind_s != 0) &&
	    st->assign == NULL && st->type != ST_ASSEMBLE)
		diag_node(d, file, n, "step \"%s\": escalate_after and remind "
		    "need assign", st->id);
	if (yget_str(d, file, n, "drill", 0, &s) == 1) {
		if (strcmp(s, "run") == 0)
			st->drill_run = 1;
		else if (strcmp(s, "dry") != 0)
			diag_node(d, file, ymap_get(n, "drill"),
			    "drill must be run or dry, not \"%s\"", s);
	}
	if (yget_node(d, file, n, "retry", Y_MAP, 0, &rn) == 1) {
		long long a;

		ycheck_keys(d, file, rn, retry_keys, "retry");
		if (yget_int(d, file, rn, "attempts", 0, 1, 100, &a) == 1)
			st->retry_attempts = (int)a;
		yget_duration(d, file, rn, "backoff", 0, &st->retry_backoff_s);
		if (st->type != ST_ACTION)
			diag_node(d, file, rn, "retry is only for action "
			    "steps");
	}
	if (yget_strlist(d, file, n, "restores", 0, &st->restores, NULL) == 1) {
		for (i = 0; st->restores[i] != NULL; i++)
			if (!strv_has(rb->systems, st->restores[i]))
				diag_node(d, file, ymap_get(n, "restores"),
				    "step restores \"%s\", which is not in "
				    "the runbook's systems", st->restores[i]);
	}
	load_with(st, file, n, ti, ctx, d);
	check_templates(d, file, ymap_get(n, "with"), pc);
	check_templates(d, file, ymap_get(n, "title"), pc);
}

/* needs must name steps and form a DAG; report one cycle by its path. */
static void
check_graph(struct runbook *rb, const char *file, struct ynode *const *steps,
    struct diags *d)
{
	int	*color, *stack, *next;
	size_t	 i, j, sp;

	for (i = 0; i < rb->nsteps; i++) {
		struct rb_step *st = &rb->steps[i];

		st->need_idx = xcalloc(st->nneeds + 1, sizeof *st->need_idx);
		for (j = 0; j < st->nneeds; j++) {
			int k = runbook_step_index(rb, st->needs[j]);

			if (k < 0) {
				diag_node(d, file, ymap_get(steps[i],
				    "needs"), "step \"%s\" needs unknown step "
				    "\"%s\"", st->id, st->needs[j]);
				st->need_idx[j] = -1;
			} else if ((size_t)k == i) {
				diag_node(d, file, ymap_get(steps[i],
				    "needs"), "step \"%s\" needs itself",
				    st->id);
				st->need_idx[j] = -1;
			} else
				st->need_idx[j] = k;
		}
	}
	/* Iterative DFS: color 0 white, 1 on stack, 2 done; next[v] is how
	 * far v's needs have been followed (each step is entered once). */
	color = xcalloc(rb->nsteps + 1, sizeof *color);
	stack = xcalloc(rb->nsteps + 1, sizeof *stack);
	next = xcalloc(rb->nsteps + 1, sizeof *next);
	for (i = 0; i < rb->nsteps; i++) {
		if (color[i] != 0)
			continue;
		sp = 0;
		stack[sp++] = (int)i;
		color[i] = 1;
		while (sp > 0) {
			int		 v = stack[sp - 1];
			struct rb_step	*st = &rb->steps[v];

			if ((size_t)next[v] >= st->nneeds) {
				color[v] = 2;
				sp--;
				continue;
			}
			j = (size_t)st->need_idx[next[v]++];
			if ((int)j < 0)
				continue;
			if (color[j] == 0) {
				color[j] = 1;
				stack[sp++] = (int)j;
			} else if (color[j] == 1) {
				struct buf	b = { 0 };
				size_t		k = sp;

				while (k > 0 && stack[k - 1] != (int)j)
					k--;
				for (; k <= sp; k++)
					buf_printf(&b, "%s -> ",
					    rb->steps[stack[k - 1]].id);
				buf_adds(&b, rb->steps[j].id);
				diag_node(d, file, ymap_get(steps[j],
				    "needs"), "needs form a cycle: %s", b.s);
				buf_free(&b);
				goto out;
			}
		}
	}
out:
	free(next);
	free(color);
	free(stack);
}

static void
runbook_free(struct runbook *rb)
{
	size_t i, j;

	if (rb == NULL)
		return;
	for (i = 0; i < rb->nacts; i++) {
		free(rb->acts[i].source);
		matcher_free(rb->acts[i].match);
		json_decref(rb->acts[i].match_json);
		free(rb->acts[i].confirm_by);
		tmpl_free(rb->acts[i].key);
	}
	free(rb->acts);
	for (i = 0; i < rb->nsteps; i++) {
		struct rb_step *st = &rb->steps[i];

		free(st->id);
		free(st->title);
		free(st->note);
		strv_free(st->needs);
		free(st->need_idx);
		matcher_free(st->when);
		free(st->assign);
		free(st->action);
		json_decref(st->with);
		switch (st->type) {
		case ST_NOTIFY:
			free(st->u.notify.text);
			free(st->u.notify.to);
			json_decref(st->u.notify.channels);
			break;
		case ST_ASSEMBLE:
			for (j = 0; j < st->u.assemble.nroles; j++)
				free(st->u.assemble.roles[j].role);
			free(st->u.assemble.roles);
			break;
		case ST_SAFETY:
			strv_free(st->u.safety.roles);
			json_decref(st->u.safety.areas);
			break;
		default:
			break;
		}
		strv_free(st->restores);
	}
	free(rb->steps);
	free(rb->id);
	free(rb->title);
	free(rb->kind);
	free(rb->owner);
	strv_free(rb->activators);
	strv_free(rb->systems);
	json_decref(rb->vars);
	free(rb->file);
	free(rb->source);
	free(rb);
}

struct runbook *
runbook_ref(struct runbook *rb)
{
	rb->refs++;
	return rb;
}

void
runbook_unref(struct runbook *rb)
{
	if (rb != NULL && --rb->refs <= 0)
		runbook_free(rb);
}

static void
load_top(struct runbook *rb, const char *file, const struct ynode *root,
    const struct rb_context *ctx, struct diags *d)
{
	const char	*s;
	size_t		 i;

	ycheck_keys(d, file, root, top_keys, "runbook");
	if (yget_str(d, file, root, "runbook", 1, &s) == 1) {
		rb->id = xstrdup(s);
		if (!valid_id(s))
			diag_node(d, file, ymap_get(root, "runbook"), "runbook "
			    "id \"%s\" must match [a-z0-9][a-z0-9_-]*", s);
	}
	rb->title = xstrdup(yget_str(d, file, root, "title", 0, &s) == 1 ? s :
	    rb->id ? rb->id : "");
	rb->kind = xstrdup("generic");
	if (yget_str(d, file, root, "kind", 0, &s) == 1) {
		for (i = 0; kinds[i] != NULL; i++)
			if (strcmp(kinds[i], s) == 0)
				break;
		if (kinds[i] == NULL)
			diag_node(d, file, ymap_get(root, "kind"), "unknown "
			    "kind \"%s\" (staff-assembly, failover, telework, "
			    "security or generic)", s);
		free(rb->kind);
		rb->kind = xstrdup(s);
	}
	if (yget_str(d, file, root, "owner", 0, &s) == 1) {
		rb->owner = xstrdup(s);
		check_ref(d, file, ymap_get(root, "owner"), s, ctx, "owner");
	}
	if (yget_strlist(d, file, root, "systems", 0, &rb->systems, NULL) != 1)
		rb->systems = xcalloc(1, sizeof *rb->systems);
	for (i = 0; ctx != NULL && ctx->systems != NULL &&
	    rb->systems[i] != NULL; i++)
		if (!strv_has(ctx->systems, rb->systems[i]))
			diag_node(d, file, ymap_get(root, "systems"), "unknown "
			    "system \"%s\" (not among the plan's systems)",
			    rb->systems[i]);
	if (yget_strlist(d, file, root, "activators", 0, &rb->activators,
	    NULL) == 1) {
		if (rb->activators[0] == NULL)
			diag_node(d, file, ymap_get(root, "activators"),
			    "activators: name at least one role:X or member "
			    "(leave it out for the owner)");
		for (i = 0; rb->activators[i] != NULL; i++)
			check_ref(d, file, ymap_get(root, "activators"),
			    rb->activators[i], ctx, "activators");
	}
}

/* A safety step limited to shaken areas needs a trigger that says which
 * places were shaken: an activation by a P2P or JMA source. */
static void
check_areas(const struct runbook *rb, const char *file,
    const struct ynode *steps, const struct rb_context *ctx,
    struct diags *d)
{
	size_t i, j;

	if (ctx == NULL || ctx->point_sources == NULL || steps == NULL)
		return;
	for (j = 0; j < rb->nacts; j++)
		if (rb->acts[j].source != NULL &&
		    strv_has(ctx->point_sources, rb->acts[j].source))
			return;
	for (i = 0; i < rb->nsteps && i < steps->n; i++)
		if (rb->steps[i].type == ST_SAFETY &&
		    rb->steps[i].u.safety.areas != NULL)
			diag_node(d, file, ymap_get(ymap_get(steps->items[i],
			    "with"), "areas"), "step \"%s\": areas need a "
			    "trigger with seismic intensity by place: activate "
			    "this runbook from a P2P (p2pquake) or JMA source",
			    rb->steps[i].id);
}

struct runbook *
runbook_parse(const char *file, const char *text, size_t len,
    const struct rb_context *ctx, struct diags *d)
{
	struct ydoc	*doc;
	struct runbook	*rb;
	struct ynode	*steps = NULL, *acts = NULL, *vars = NULL, *root;
	struct pathctx	 pc = { NULL, NULL };
	struct ynode	**snodes;
	size_t		 i, before = d->nerrors;

	if ((doc = ydoc_parse(file, text, len, d)) == NULL)
		return NULL;
	rb = xcalloc(1, sizeof *rb);
	rb->refs = 1;
	rb->file = xstrdup(file);
	rb->source = xstrndup(text, len);
	sha256_hex(text, len, rb->hash);
	root = doc->root;
	if (root == NULL || root->type != Y_MAP) {
		diag_node(d, file, root, "a runbook is a map starting with "
		    "\"runbook: ID\"");
		goto out;
	}
	load_top(rb, file, root, ctx, d);
	rb->vars = json_object();
	if (yget_node(d, file, root, "vars", Y_MAP, 0, &vars) == 1) {
		for (i = 0; i < vars->n; i++) {
			if (vars->items[i]->type != Y_SCALAR)
				diag_node(d, file, vars->items[i], "variable "
				    "\"%s\" must be a plain value",
				    vars->keys[i]->str);
			json_object_set_new(rb->vars, vars->keys[i]->str,
			    json_string(vars->items[i]->str ?
			    vars->items[i]->str : ""));
		}
	}
	pc.vars = rb->vars;
	if (yget_node(d, file, root, "steps", Y_SEQ, 1, &steps) == 1 &&
	    steps->n > RB_MAX_STEPS) {
		/* Checked before any work on them: what a runbook can make
		 * the loader (and every incident of it) do stays bounded. */
		diag_node(d, file, steps, "%zu steps; a runbook has at most "
		    "%d (split it into several)", steps->n, RB_MAX_STEPS);
	} else if (steps != NULL) {
		if (steps->n == 0)
			diag_node(d, file, steps, "a runbook needs at least "
			    "one step");
		pc.step_ids = xcalloc(steps->n + 1, sizeof *pc.step_ids);
		for (i = 0; i < steps->n; i++) {
			const char *id = yscalar(ymap_get(steps->items[i],
			    "id"));

			pc.step_ids[i] = xstrdup(id ? id : "");
		}
		/* The node of each loaded step, for positions in
		 * check_graph (steps that are not maps are left out). */
		snodes = xcalloc(steps->n + 1, sizeof *snodes);
		for (i = 0; i < steps->n; i++) {
			if (steps->items[i]->type != Y_MAP) {
				diag_node(d, file, steps->items[i], "a step "
				    "must be a map");
				continue;
			}
			snodes[rb->nsteps] = steps->items[i];
			load_step(rb, file, steps->items[i], ctx, &pc, d);
		}
		/* Even after other errors: every problem in one run. */
		check_graph(rb, file, snodes, d);
		free(snodes);
	}
	if (yget_node(d, file, root, "activation", Y_SEQ, 0, &acts) == 1)
		for (i = 0; i < acts->n; i++)
			load_activation(rb, file, acts->items[i], ctx, &pc, d);
	check_areas(rb, file, steps, ctx, d);
out:
	strv_free(pc.step_ids);
	ydoc_free(doc);
	if (d->nerrors > before) {
		runbook_free(rb);
		return NULL;
	}
	return rb;
}

struct runbook *
runbook_load(const char *path, const struct rb_context *ctx,
    struct diags *d)
{
	char		*text;
	size_t		 len;
	struct runbook	*rb;

	if ((text = read_file(path, &len)) == NULL) {
		diag_error(d, path, 0, 0, "cannot read: %s", strerror(errno));
		return NULL;
	}
	rb = runbook_parse(path, text, len, ctx, d);
	free(text);
	return rb;
}

int
runbook_step_index(const struct runbook *rb, const char *id)
{
	size_t i;

	for (i = 0; i < rb->nsteps; i++)
		if (strcmp(rb->steps[i].id, id) == 0)
			return (int)i;
	return -1;
}

json_t *
runbook_json(const struct runbook *rb)
{
	json_t	*trig = json_array(), *sys = json_array(), *act = json_array();
	size_t	 i;

	for (i = 0; i < rb->nacts; i++)
		json_array_append_new(trig, json_pack("{s:s,s:s,s:O}",
		    "source", rb->acts[i].source, "mode",
		    rb->acts[i].mode == AM_CONFIRM ? "confirm" : "auto",
		    "match", rb->acts[i].match_json));
	for (i = 0; rb->systems[i] != NULL; i++)
		json_array_append_new(sys, json_string(rb->systems[i]));
	for (i = 0; rb->activators != NULL && rb->activators[i] != NULL; i++)
		json_array_append_new(act, json_string(rb->activators[i]));
	if (rb->activators == NULL && rb->owner != NULL)
		json_array_append_new(act, json_string(rb->owner));
	return json_pack("{s:s,s:s,s:s,s:s?,s:o,s:s,s:s,s:I,s:o,s:o}", "id",
	    rb->id, "kind", rb->kind, "title", rb->title, "owner", rb->owner,
	    "activators", act, "file", rb->file, "hash", rb->hash, "steps",
	    (json_int_t)rb->nsteps, "triggers", trig, "systems", sys);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static struct runbook *
prev_for_file(const struct rbset *prev, const char *path)
{
	size_t i;

	for (i = 0; prev != NULL && i < prev->n; i++)
		if (strcmp(prev->v[i]->file, path) == 0)
			return prev->v[i];
	return NULL;
}

static void
rbset_add(struct rbset *set, struct runbook *rb)
{
	set->v = xreallocarray(set->v, set->n + 1, sizeof *set->v);
	set->v[set->n++] = rb;
}

struct rbset *
rbset_load(const char *dir, const struct rb_context *ctx,
    const struct rbset *prev)
{
	struct rbset	*set = xcalloc(1, sizeof *set);
	struct diags	 d = { 0 };
	DIR		*dp;
	struct dirent	*de;
	char		**names = NULL;
	size_t		 nn = 0, i, j;

	if ((dp = opendir(dir)) == NULL) {
		diag_error(&d, dir, 0, 0, "cannot open runbook directory: %s",
		    strerror(errno));
		goto done;
	}
	while ((de = readdir(dp)) != NULL) {
		size_t l = strlen(de->d_name);

		if (de->d_name[0] == '.' || l < 6 ||
		    (strcmp(de->d_name + l - 5, ".yaml") != 0 &&
		    strcmp(de->d_name + l - 4, ".yml") != 0))
			continue;
		names = xreallocarray(names, nn + 1, sizeof *names);
		names[nn++] = xprintf("%s/%s", dir, de->d_name);
	}
	closedir(dp);
	if (nn > 0)
		qsort(names, nn, sizeof *names, cmp_str);
	for (i = 0; i < nn; i++) {
		struct runbook	*rb = runbook_load(names[i], ctx, &d), *old;

		if (rb == NULL && (old = prev_for_file(prev, names[i])) !=
		    NULL) {
			diag_warn(&d, names[i], 0, 0, "keeping the previous "
			    "version of runbook \"%s\" in force", old->id);
			rb = runbook_ref(old);
		}
		if (rb == NULL)
			continue;
		for (j = 0; j < set->n; j++) {
			if (strcmp(set->v[j]->id, rb->id) == 0) {
				diag_error(&d, names[i], 1, 1, "duplicate "
				    "runbook id \"%s\" (also in %s); skipped",
				    rb->id, set->v[j]->file);
				runbook_unref(rb);
				rb = NULL;
				break;
			}
		}
		if (rb != NULL)
			rbset_add(set, rb);
	}
	for (i = 0; i < nn; i++)
		free(names[i]);
	free(names);
done:
	set->errors = d.msgs;
	set->nerrors = d.n;
	return set;
}

void
rbset_free(struct rbset *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->n; i++)
		runbook_unref(set->v[i]);
	for (i = 0; i < set->nerrors; i++)
		free(set->errors[i]);
	free(set->errors);
	free(set->v);
	free(set);
}

struct runbook *
rbset_find(const struct rbset *set, const char *id)
{
	size_t i;

	for (i = 0; set != NULL && i < set->n; i++)
		if (strcmp(set->v[i]->id, id) == 0)
			return set->v[i];
	return NULL;
}

int
runbook_may_activate(const struct runbook *rb, const struct roster *ro,
    const char *member, int admin)
{
	size_t i;

	if (admin)
		return 1;
	if (rb->activators == NULL)
		return rb->owner == NULL || roster_matches(ro, rb->owner,
		    member);
	for (i = 0; rb->activators[i] != NULL; i++)
		if (roster_matches(ro, rb->activators[i], member))
			return 1;
	return 0;
}

char *
runbook_activators_text(const struct runbook *rb)
{
	struct buf	b = { 0 };
	size_t		i;

	if (rb->activators == NULL)
		return xstrdup(rb->owner != NULL ? rb->owner : "anyone");
	for (i = 0; rb->activators[i] != NULL; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", rb->activators[i]);
	return buf_steal(&b);
}
