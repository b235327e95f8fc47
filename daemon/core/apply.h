/* Between the pure engine and the world (apply.c): incidents loaded with
 * the runbook version they started with, the engine's effects persisted
 * inside the current operation, actions started once that commits. */
#ifndef KZ_APPLY_H
#define KZ_APPLY_H

#include <jansson.h>
#include <stdint.h>

struct kz_daemon;
struct actx;
struct effects;
struct incident;
struct runbook;
struct scenario;

/* The runbook of a version (current, cached or from the database); a new
 * reference, or NULL. */
struct runbook	*kz_runbook_by_hash(struct kz_daemon *, const char *hash);
/* NULL with *status 404 (no such incident) or 503. */
struct incident	*kz_incident_load(struct kz_daemon *, int64_t id,
		    int *status);
/* Partial: member's call-outs only (store_incident_load_for). */
struct incident	*kz_incident_load_for(struct kz_daemon *, int64_t id,
		    const char *member, int *status);
/* Its counts and no call-out (store_incident_load_head). */
struct incident	*kz_incident_load_head(struct kz_daemon *, int64_t id,
		    int *status);
/* {"SYSTEM": rto_s} of the runbook's systems known to the plan; a new
 * reference (an empty object without a plan). */
json_t		*kz_rtos(struct kz_daemon *, const struct runbook *);
/* The engine's context for an operation at now by actor (a member, a
 * user, or "keizokud"): the roster and the config's exception policy. */
void		 kz_actx_init(struct kz_daemon *, struct actx *, int64_t now,
		    const char *actor);
/* The one path by which the engine's decisions are stored: the incident
 * (inc NULL: effects about no incident, such as a plan drill falling
 * due) and its effects in order, inside the current operation. 0, or -1
 * when the storage failed (the caller ends the operation not ok). */
int		 kz_apply(struct kz_daemon *, const struct actx *,
		    struct incident *, struct effects *);

/* What starts an incident. */
struct kz_start {
	struct runbook		*rb;
	int			 drill;
	int			 pending;	/* awaits confirmation */
	json_t			*trigger;	/* the trigger's doc, or NULL */
	const char		*trigger_text;	/* it serialized, or NULL */
	json_t			*vars;
	const char		*source;	/* trigger source, or NULL */
	const char		*key;		/* its dedup key */
	const char		*confirm_by;
	const char		*note;
	const struct scenario	*scenario;	/* a scenario drill's */
};

/* Starts an incident inside the current operation (activate, webhooks,
 * drills): an HTTP-like status, *id set on 200, *why (caller frees)
 * otherwise. */
int		 kz_start_incident(struct kz_daemon *, const struct actx *,
		    const struct kz_start *, int64_t *id, char **why);
/* After a restart: actions whose start was committed were running when
 * the daemon stopped and are interrupted (the engine re-runs or fails
 * them per the step); those whose start was not never ran, and start
 * now. */
void		 kz_actions_recover(struct kz_daemon *);
/* The leader: starts the actions another instance made due. */
void		 kz_actions_adopt(struct kz_daemon *);
/* Starts an action whose start was never committed (after a restart). */
void		 kz_action_resume(struct kz_daemon *, int64_t incident, int step,
		    int attempt);
/* The actor as the audit log records it: "tanaka", or "tanaka (web)"
 * for what was done on a page. */
const char	*kz_who(const struct actx *, char *buf, size_t len);
/* How many actions were handed to a plugin and have not ended (a stop
 * waits a while for them). */
int		 kz_actions_running(void);
/* Frees the jobs of actions still running at exit. */
void		 kz_actions_free(void);

#endif
