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

#include "engine/tkey.h"
#include "model/event.h"
#include "common/strmap.h"
#include "model/runbook.h"

struct roster;
struct scenario;
struct plan_drill;

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
	int		 cursor;	/* asked (or reminded) so far; assemble
					   steps: the next position in the
					   call-out order of fingerprint
					   rounds (every member before it
					   was called in the step) */
	int		 rounds;	/* reminder rounds started; assemble
					   steps: the order's fingerprint
					   (rota_order_memo) */
	int		 dirty;
	int		 stored;	/* the store has its row: a step as it
					   began (blocked, nothing set) has
					   none until it changes */
};

/* Staff assembly (SPEC §6): one row per member called for a role of an
 * assemble step. */
enum answer { AN_CALLED, AN_NOANSWER, AN_AVAILABLE, AN_UNAVAILABLE,
	AN_ARRIVED };
#define AN_COUNT	5

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
	int		 counted;	/* partial load: in cpart's counts */
	enum answer	 counted_as;	/* with this answer */
};

/*
 * A partial load (an answer to a large call-out): callouts holds only
 * member's call-outs, and t the counts by answer of every stored
 * call-out per step and role. What needs the whole list (calling more
 * people, listing members, the answers of others) sets need_full: the
 * caller throws the result away, loads the whole incident and runs
 * again. An answer that leaves the quota where it was costs no pass
 * over the call-outs.
 */
struct ctally {
	int	 step;
	char	*role;
	int	 n[AN_COUNT];
};
struct cpart {
	char		*member;	/* whose call-outs are loaded, or NULL */
	struct ctally	*t;
	size_t		 nt;
	int		 need_full;
	/* A fan-out batch's load (engine_fanout_slice): the call-outs of
	 * the members at positions [cursor, slice_end) of step
	 * slice_step's call-out order (fingerprint slice_fp) are loaded
	 * too; loaded holds them (keys: keys[0..nkeys)). */
	int		 sliced;	/* 0: none */
	int		 slice_step;
	size_t		 slice_end;
	unsigned	 slice_fp;
	struct strmap	 loaded;
	char		**keys;
	size_t		 nkeys;
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
	size_t		 nindexed;	/* call-outs in cidx so far */
	struct cpart	*part;		/* NULL: every call-out is loaded */
	/* RTO clocks: {"SYSTEM": {"rto_s", "deadline_at", "recovered_at"}}
	 * with times in ms; null rto_s when the plan does not know it. */
	json_t		*systems;
	int		 dirty;
	int		 is_new;
	/* The store's: the trigger and vars its row holds (referenced).
	 * The engine replaces them, never changes them in place, so a
	 * save rewrites them only when the pointers differ. */
	json_t		*stored_trigger;
	json_t		*stored_vars;
	/* While a new incident is started: its trigger as the ingest
	 * serialized it for the triggers table (borrowed), so that the
	 * incident's row does not serialize it again; else NULL. */
	const char	*trigger_text;
};

/* Members called (or asked) per engine call: a larger call-out goes on
 * in batches, each from a TK_FANOUT timer due at once and committed on
 * its own, so that no loop turn is held long (SPEC §18, scale). */
#define ENGINE_FANOUT_BATCH	100

/* An exception measure (例外措置, SPEC §7): a temporary departure from
 * the security policy, requested (by a person or an exception step),
 * decided by someone with the authority, and in force until it is
 * reverted or adopted. It belongs to an incident (its events go into
 * that incident's log) but outlives it: its reminders go on after the
 * incident is closed. */
enum exc_state { EXS_REQUESTED, EXS_ACTIVE, EXS_REJECTED, EXS_REVERTED,
	EXS_ADOPTED, EXS_DRILL_CLOSED };

struct exc {
	int64_t		 id;		/* 0 until stored */
	int64_t		 incident;
	char		*step;		/* NULL: the incident's */
	char		*title;
	char		*policy;
	char		*reason;
	enum exc_state	 state;
	char		*requested_by;	/* the member it is asked for */
	char		*requested_actor; /* who typed the request (a proxy
					   with --as); NULL: the same */
	int64_t		 requested_at;
	char		*approved_by;
	int64_t		 approved_at;
	int64_t		 revert_by_at;	/* 0: none */
	char		*resolved_by;
	int64_t		 resolved_at;
	char		*note;		/* the disposition's */
	char		*decision_note;	/* the approval's (a condition) or
					   the rejection's */
	int		 drill;
	json_t		*measure;	/* a new one: what was asked, as the
					   request event records it */
};

/* What the config says about exception measures. */
struct exc_policy {
	const char	*approver_role;	/* "role:" + this decides; NULL or
					   "": the runbook's owner */
	const int64_t	*remind_s;	/* reminders this long before the
					   revert-by deadline; none: a day */
	size_t		 nremind;
};

enum eff_kind {
	EF_EVENT,		/* log ev (incident NULL: the system's) */
	EF_NOTIFY,		/* queue notification ev for to */
	EF_TIMER_SET,		/* set timer tk, due */
	EF_TIMER_CLEAR,		/* clear timer tk (TK_ANY: the step's) */
	EF_ACTION,		/* start the step's action once committed */
	EF_EXCEPTION,		/* store the new measure exc, then request
				   it (engine_exception_requested) */
	EF_EXC_SAVE,		/* store the changed measure exc */
	EF_META,		/* remember data.value under data.key */
	EF_WITHDRAW,		/* the incident's notifications still
				   queued are withdrawn (cancelled), before
				   its closing notice is queued */
	EF_DRILL_CLOSED,	/* a drill ended: its exception measures
				   not yet disposed of end with it
				   (engine_exception_drill_closed) */
	EF_SAFETY,		/* rows of the safety table: op says
				   which (data.member for ask, remind) */
};

/* What an EF_SAFETY effect writes. */
enum safety_op { SFO_ASK, SFO_REMIND, SFO_ANSWER, SFO_SUMMARY };

struct effect {
	enum eff_kind	 kind;
	enum kz_event	 ev;		/* EF_EVENT, EF_NOTIFY: the type */
	int		 step;		/* index, -1: the incident */
	int64_t		 due;		/* timers; EF_ACTION: the attempt */
	struct tkey	 tk;		/* EF_TIMER_*: which timer (TK_ANY
					   with EF_TIMER_CLEAR: every timer
					   of the step, or of the incident) */
	json_t		*data;		/* owned; a timer's row data when
					   not empty */
	char		*to;		/* notify: "role:X" / member */
	struct exc	*exc;		/* EF_EXCEPTION, EF_EXC_SAVE (owned) */
	enum safety_op	 op;		/* EF_SAFETY */
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
	struct exc_policy	 excp;
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
/* A new call-out of step at the end of inc's list, zeroed but for step,
 * role and member (copied); the step's member index is not touched. */
struct callout	*incident_callout_push(struct incident *, int step,
		    const char *role, const char *member);
/* Partial loads (struct cpart): count n call-outs of step and role with
 * answer; free. */
void		 incident_part_count(struct cpart *, int step,
		    const char *role, enum answer, int n);
void		 incident_part_free(struct cpart *);
/* Whether inc is a partial load that cannot serve a look at every
 * call-out (or at member's, if member is not the one loaded): then
 * need_full is set, and the caller loads the whole incident again. */
int		 incident_partial(const struct incident *, const char *member);
/* A fan-out batch of assemble step on a partial load (the counts, no
 * call-outs: store_incident_load_head): the members whose call-outs the
 * batch needs (the next positions of the call-out order from the step's
 * cursor), marked loaded, for the caller to load (store_callouts_load)
 * before engine_timer. NULL when it needs the whole incident (the order
 * changed since the cursor was kept, or the batch ends the step); *n
 * may be 0 (all of them loaded already). The array is the caller's to
 * free, its strings the roster's. */
const char	**engine_fanout_slice(const struct actx *, struct incident *,
		    int step, size_t *n);

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
/* A timer of a step (or of the incident, step -1) fired. Stale timers
 * are ignored (200). */
int	 engine_timer(const struct actx *, struct incident *, int step,
	    const struct tkey *, struct effects *);
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
/* A scenario drill starts on inc (just activated): its injects become
 * timers, revealed when due (engine_inject). */
void	 engine_drill_start(const struct actx *, struct incident *,
	    const struct scenario *, struct effects *);
/* A scenario drill's inject fell due: reveal it (data: {n, text, to}). */
int	 engine_inject(const struct actx *, struct incident *, json_t *data,
	    struct effects *);

/* Exception measures (engine-exception.c). Each returns an HTTP-like
 * status with *why (allocated) on error, like the step actions. */
struct exc	*exc_new(void);
struct exc	*exc_dup(const struct exc *);
void		 exc_free(struct exc *);
const char	*exc_state_name(enum exc_state);
int		 exc_state_parse(const char *);
/* Who decides exceptions of inc ("role:X" or a member), allocated; NULL
 * when nobody may. */
char		*exc_approver(const struct actx *, const struct incident *);
/* `exception add`: a measure requested by a person on inc (title,
 * policy, reason, revert_by_at and step filled in); takes exc. */
int	 engine_exception_add(const struct actx *, struct incident *,
	    struct exc *, struct effects *, char **why);
/* A new measure was stored (it has its id): log the request and ask the
 * approver. */
void	 engine_exception_requested(const struct actx *,
	    const struct incident *, const struct exc *, struct effects *);
/* `exception approve|reject`: note is required to reject. */
int	 engine_exception_decide(const struct actx *, struct incident *,
	    struct exc *, int approved, const char *note, struct effects *,
	    char **why);
/* `exception resolve`: how is EXS_REVERTED or EXS_ADOPTED. */
int	 engine_exception_resolve(const struct actx *, struct incident *,
	    struct exc *, enum exc_state how, const char *note,
	    struct effects *, char **why);
/* A reminder of exc fell due (tk: TK_EXC_BEFORE or TK_EXC_AFTER). */
void	 engine_exception_timer(const struct actx *, const struct incident *,
	    struct exc *, const struct tkey *, struct effects *);
/* The drill inc closed (EF_DRILL_CLOSED): exc, if not yet disposed of,
 * is closed with it (drill-closed, logged, reminders off). */
void	 engine_exception_drill_closed(const struct actx *,
	    const struct incident *, struct exc *, struct effects *);

/* A drill the plan requires (guideline 2.9.1, engine-plan.c): when it
 * has fallen due at a->now and seen (the due date last announced, or
 * NULL) is not that date, the announcement: a notification, an event
 * of no incident and the mark (EF_META) that it was made. Returns 1
 * then, else 0; *due is the date it fell due (for the log). */
int	 engine_plan_drill(const struct actx *, const struct plan_drill *,
	    const char *seen, struct effects *, char due[16]);
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
/* The same without {{steps.*}} when with_steps is 0 (an object of every
 * step: the costly part, for templates that name none). */
json_t	*engine_context_steps(const struct incident *, int with_steps);
/* Whether template text t (NULL: none) may name {{steps.*}}, by the word:
 * what decides whether a context needs every step. */
int	 engine_names_steps(const char *t);
void	 effects_free(struct effects *);

/* SPEC §16: moves open steps held through a role by a member who is out
 * (and, with handover, by one off turn in the role's rota) to the first
 * of the role's call-out order; appends {incident, step, from, to} to
 * moved. Returns how many moved. */
int	 engine_rota_moves(const struct actx *, struct incident *,
	    int handover, json_t *moved, struct effects *);

#endif
