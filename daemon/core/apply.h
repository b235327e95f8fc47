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

/* The runbook of a version (current, cached or from the database); a new
 * reference, or NULL. */
struct runbook	*kz_runbook_by_hash(struct kz_daemon *, const char *hash);
/* NULL with *status 404 (no such incident) or 503. */
struct incident	*kz_incident_load(struct kz_daemon *, int64_t id,
		    int *status);
/* {"SYSTEM": rto_s} of the runbook's systems known to the plan; a new
 * reference (an empty object without a plan). */
json_t		*kz_rtos(struct kz_daemon *, const struct runbook *);
/* Persists an incident and its effects inside the current operation:
 * 0, or -1 when the storage failed (the caller ends the operation not
 * ok). */
int		 kz_apply(struct kz_daemon *, const struct actx *,
		    struct incident *, struct effects *);
/* Starts an incident of rb inside the current operation (activate,
 * webhooks, drills): an HTTP-like status, *id set on 200, *why (caller
 * frees) otherwise. */
int		 kz_start_incident(struct kz_daemon *, const struct actx *,
		    struct runbook *, int drill, json_t *trigger, json_t *vars,
		    const char *source, const char *key, int pending,
		    const char *confirm_by, const char *note, int64_t *id,
		    char **why);
/* After a restart: actions that were running when the daemon stopped
 * are interrupted; the engine re-runs or fails them per the step. */
void		 kz_actions_recover(struct kz_daemon *);
/* The actor as the audit log records it: "tanaka", or "tanaka (web)"
 * for what was done on a page. */
const char	*kz_who(const struct actx *, char *buf, size_t len);
/* Frees the jobs of actions still running at exit. */
void		 kz_actions_free(void);

#endif
