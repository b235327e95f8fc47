/* Exception measures (例外措置, SPEC §7): the exceptions table, their
 * reminder timers and their notifications (exception.c), and the
 * commands that request, decide and dispose of them (cmd-exception.c).
 *
 * An exception belongs to an incident (its events go into that
 * incident's log) but outlives it: closing the incident leaves it and
 * its reminders in place until it is reverted or adopted. */
#ifndef KZ_EXCEPTION_H
#define KZ_EXCEPTION_H

#include <jansson.h>
#include <stdint.h>

struct kz_daemon;
struct kz_req;
struct incident;

/* Reminder timers: step "exception:ID" of the exception's incident. */
#define EXC_STEP_PREFIX	"exception:"
#define EXC_KIND_BEFORE	"exc-before"	/* revert_by minus each remind */
#define EXC_KIND_AFTER	"exc-after"	/* revert_by, then every day */

/* The row of exception id as stored (times in ms); NULL with *status
 * 404 or 503. */
json_t	*exc_load(struct kz_daemon *, int64_t id, int *status);
/* A stored row as SPEC §5 `exceptions` shows it (RFC 3339 times,
 * in_force_s and overdue measured at now); a new reference. */
json_t	*exc_json(json_t *row, int64_t now);
/* Every exception (incident 0) or those of one incident; open: only
 * requested and active ones. Oldest first, at most limit, past the
 * exception after (0: from the first). NULL when storage fails. */
json_t	*kz_exceptions_list(struct kz_daemon *, int64_t incident, int open,
	    int64_t now, int64_t after, int64_t limit);
/* Who decides exceptions of inc: "role:" + exceptions.approver_role,
 * else the runbook owner; NULL when neither is set. Allocated. */
char	*exc_approver(struct kz_daemon *, const struct incident *);
/* Queues notification type (static) about row to ref. */
int	 exc_notify(struct kz_daemon *, const struct incident *,
	    const char *type, const char *to, json_t *row);
/* Arms the reminders of an active exception (row as stored). */
int	 exc_arm(struct kz_daemon *, json_t *row, int64_t now);
/* Removes its reminders (rejected or disposed of). */
int	 exc_disarm(struct kz_daemon *, int64_t incident, int64_t id);
/* A reminder timer of step "exception:ID" fell due; runs inside the
 * timer's operation. 0, or -1 when storage failed. */
int	 kz_exception_timer(struct kz_daemon *, int64_t incident,
	    const char *step, const char *kind, int64_t now);

/* A drill closed: its measures not yet disposed of are closed with it
 * (state drill-closed, logged, reminders off). */
int	 kz_exceptions_drill_closed(struct kz_daemon *, const struct actx *,
	    const struct incident *);

/* Commands (cmd-exception.c). */
int	 cmd_exception_add(struct kz_daemon *, struct kz_req *, json_t **);
int	 cmd_exception_decide(struct kz_daemon *, struct kz_req *, json_t **);
int	 cmd_exception_resolve(struct kz_daemon *, struct kz_req *,
	    json_t **);
int	 cmd_exceptions(struct kz_daemon *, struct kz_req *, json_t **);

#endif
