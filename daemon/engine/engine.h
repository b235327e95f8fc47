/* The engine: pure state transitions of an incident. Given a runbook, the
 * incident's state, an input (an action, a timer, a result) and the time,
 * it changes the state in memory and returns effects (events to log,
 * notifications to queue, timers to set or clear, actions to start). It
 * does no I/O and reads no clock; the caller persists the state and the
 * effects in one transaction. */
#ifndef KZ_ENGINE_H
#define KZ_ENGINE_H

#include <jansson.h>
#include <stdint.h>

#include "common/strmap.h"
#include "model/runbook.h"

struct roster;

enum step_state {
	SS_BLOCKED, SS_READY, SS_ACKED, SS_RUNNING, SS_DONE, SS_FAILED,
	SS_SKIPPED,
};
enum inc_state { IS_PENDING, IS_ACTIVE, IS_CLOSED, IS_DISMISSED };

struct step_st {
	enum step_state	 state;
	char		*assignee;	/* member currently called */
	char		*acked_by;
	char		*done_by;
	char		*note;
	int64_t		 ready_at;
	int64_t		 acked_at;
	int64_t		 done_at;
	int64_t		 deadline_at;	/* ready_at + timeout; 0 none */
	int		 esc_level;	/* 0: primary; n: nth deputy */
	int		 attempts;	/* action attempts started */
	int		 pinned;	/* handed to assignee by name
					   (keizoku assign) */
	/* safety steps (SPEC §18) */
	int		 asked;		/* members to ask */
	int		 answered;	/* of them, heard from */
	int		 cursor;	/* asked (or reminded) so far */
	int		 rounds;	/* reminder rounds started */
	int		 dirty;
};

/* Staff assembly (SPEC §6): one row per member called for a role of an
 * assemble step. */
enum answer { AN_CALLED, AN_NOANSWER, AN_AVAILABLE, AN_UNAVAILABLE,
	AN_ARRIVED };

struct callout {
	int		 step;
	char		*role;
	char		*member;
	enum answer	 answer;
	int64_t		 eta_at;
	int64_t		 called_at;
	int64_t		 answered_at;
	char		*entered_by;	/* who typed the answer (proxy) */
	int		 dirty;
	int		 is_new;
};

struct incident {
	int64_t		 id;
	struct runbook	*rb;		/* the version it started with */
	enum inc_state	 state;
	int		 drill;
	char		*title;
	char		*note;
	char		*activated_by;
	char		*source;	/* trigger source or NULL (manual) */
	char		*dedup_key;
	char		*confirm_by;	/* who may confirm a pending one */
	json_t		*trigger;	/* object or null */
	json_t		*vars;		/* object */
	int64_t		 started_at;
	int64_t		 closed_at;
	struct step_st	*steps;		/* rb->nsteps */
	struct callout	*callouts;
	size_t		 ncallouts;
	size_t		 ccap;		/* allocated */
	struct strmap	*cidx;		/* per step: member -> callout, built
					   when first needed (engine) */
	/* RTO clocks: {"SYSTEM": {"rto_s", "deadline_at", "recovered_at"}}
	 * with times in ms; null rto_s when the plan does not know it. */
	json_t		*systems;
	int		 dirty;
	int		 is_new;
};

/* Members called (or asked) per engine call: a larger call-out goes on
 * in batches, each from a "fanout" timer due at once and committed on its
 * own, so that no loop turn is held long (SPEC §18, scale). */
#define ENGINE_FANOUT_BATCH	100

/* EF_WITHDRAW: the incident's notifications still queued are withdrawn
 * (cancelled), before its closing notice is queued. EF_DRILL_CLOSED: a
 * drill ended; its exception measures are disposed of with it. */
enum eff_kind { EF_EVENT, EF_NOTIFY, EF_TIMER_SET, EF_TIMER_CLEAR,
	EF_ACTION, EF_EXCEPTION, EF_WITHDRAW, EF_DRILL_CLOSED,
	EF_SAFETY,	/* type "ask", "remind" (data.member), "answer",
			   "summary": rows of the safety table */
};

struct effect {
	enum eff_kind	 kind;
	const char	*type;		/* event type, notify event, timer kind
					   (static strings) */
	int		 step;		/* index, -1: the incident */
	int64_t		 due;		/* timers */
	json_t		*data;		/* owned */
	char		*to;		/* notify: "role:X" / member */
	char		*key;		/* timers: a dynamic kind, owned */
};

struct effects {
	struct effect	*v;
	size_t		 n;
};

/* Who does it, when, on what roster. */
struct actx {
	const struct roster	*roster;
	int64_t			 now;
	const char		*actor;		/* who typed it (or "keizokud") */
	const char		*member;	/* on whose behalf, for
						   permission; NULL: actor */
	int			 admin;		/* the actor is an admin */
	json_t			*rtos;		/* {"SYSTEM": rto_s} from the
						   plan, or NULL */
	const char		*via;		/* "web" for the pages: the
						   audit log says so */
};

enum step_act { SA_ACK, SA_DONE, SA_SKIP, SA_FAIL, SA_APPROVE, SA_REJECT };

const char	*step_state_name(enum step_state);
const char	*inc_state_name(enum inc_state);
int		 inc_state_parse(const char *);
int		 step_state_parse(const char *);
const char	*step_act_name(enum step_act);

/* A new incident (state not yet decided) with steps blocked. */
struct incident	*incident_new(struct runbook *, int drill, json_t *trigger,
		    json_t *vars);
void		 incident_free(struct incident *);

/* Each returns an HTTP-like status: 200 ok, 403 not allowed, 404 unknown
 * step, 409 wrong state, with *why (allocated) on error. */
int	 engine_activate(const struct actx *, struct incident *, int pending,
	    struct effects *, char **why);
int	 engine_confirm(const struct actx *, struct incident *, int confirm,
	    const char *note, struct effects *, char **why);
/* Closing with steps still open needs a note saying why, or force. */
int	 engine_close(const struct actx *, struct incident *, const char *note,
	    int force, struct effects *, char **why);
int	 engine_step(const struct actx *, struct incident *, const char *step,
	    enum step_act, const char *note, struct effects *, char **why);
/* A timer of kind on step fired. Stale timers are ignored (200). */
int	 engine_timer(const struct actx *, struct incident *, int step,
	    const char *kind, struct effects *);
/* A plugin action finished (attempt is the attempt number it was). */
int	 engine_action_done(const struct actx *, struct incident *, int step,
	    int attempt, int ok, const char *note, struct effects *);
/* An action that was in flight when the daemon stopped. */
int	 engine_action_interrupted(const struct actx *, struct incident *,
	    int step, struct effects *);
/* A repeat of the trigger joined this incident. */
void	 engine_trigger_repeat(const struct actx *, struct incident *,
	    json_t *doc, int resolved, int correction, struct effects *);
/* Its sender withdrew the report that started (or joined) this incident
 * (JMA 取消, a cancelled EEW): on the timeline and to the owner, who
 * decides whether to close; the incident itself is left as it is. */
void	 engine_trigger_cancelled(const struct actx *, struct incident *,
	    json_t *doc, struct effects *);

/* Hands a step to a member by name (the runbook owner or an admin). */
int	 engine_assign(const struct actx *, struct incident *, const char *step,
	    const char *member, struct effects *, char **why);
/* A staff-assembly answer from member (SPEC §6). eta_at 0: none. */
int	 engine_respond(const struct actx *, struct incident *,
	    const char *member, enum answer, int64_t eta_at, const char *note,
	    struct effects *, char **why);
/* An exception measure requested by an exception step was decided. */
int	 engine_exception_decided(const struct actx *, struct incident *,
	    int step, int64_t exception, int approved, const char *note,
	    struct effects *);
/* A scenario drill's inject fell due: reveal it (data: {n, text, to}). */
int	 engine_inject(const struct actx *, struct incident *, json_t *data,
	    struct effects *);
/* A safety answer (SPEC §18). heard[i] for each step: 0 the member was
 * not asked there, 1 asked and not yet heard from, 2 already answered.
 * status: safe, injured or unsafe; can_come -1 unsaid, 0, 1; eta_s 0
 * none. */
int	 engine_safety_answer(const struct actx *, struct incident *,
	    const char *member, const int *heard, const char *status,
	    int can_come, int64_t eta_s, const char *note, struct effects *,
	    char **why);
int		 safety_status_parse(const char *);
const char	*answer_name(enum answer);
int		 answer_parse(const char *);
/* Assembly as in SPEC §5 `show`. */
json_t	*engine_assembly_json(const struct incident *);
json_t	*engine_systems_json(const struct incident *, int64_t now);

/* A step's title with its templates rendered ({{vars.site}} ...) in ctx
 * (engine_context's; NULL: built here). Allocated. */
char	*engine_step_title(const struct incident *, int step, json_t *ctx);
/* Builds the render context {trigger, vars, incident, runbook, steps}. */
json_t	*engine_context(const struct incident *);
void	 effects_free(struct effects *);

/* SPEC §16: moves open steps held through a role by a member who is out
 * (and, with handover, by one off turn in the role's rota) to the first
 * of the role's call-out order; appends {incident, step, from, to} to
 * moved. Returns how many moved. */
int	 engine_rota_moves(const struct actx *, struct incident *,
	    int handover, json_t *moved, struct effects *);

#endif
