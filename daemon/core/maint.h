/* Maintenance windows (SPEC §17): for a time, the triggers of a source
 * that match the window's matchers (all of them when it has none) are
 * accepted, recorded as held back by the window, and activate nothing;
 * running incidents are not touched and heartbeats still count. The
 * truth is the maintenance table; the windows not yet ended are kept in
 * memory with their compiled matchers, so that the trigger path asks
 * memory, not the database. A window starts and ends by itself through
 * durable timers (kinds maint-start and maint-end, step = its id). */
#ifndef KZ_MAINT_H
#define KZ_MAINT_H

#include <jansson.h>
#include <stdint.h>

#include "core/daemon.h"
#include "engine/tkey.h"

struct actx;

#define MAINT_MAX_S		(30 * 86400LL)	/* the longest window */

/* What `maintenance add` asks for. match: {"PATH": "VALUE"} or NULL. */
struct maint_req {
	const char	*source;
	json_t		*match;
	int64_t		 from;		/* ms */
	int64_t		 until;		/* ms */
	const char	*note;
};

/* Loads the windows not yet ended (start-up). 0 or -1 (storage). */
int	 maint_load(struct kz_daemon *);
void	 maint_free(struct kz_daemon *);
/* The id of the window in force at now that holds back doc, a trigger
 * of source; 0 when none does. */
int64_t	 maint_holds(struct kz_daemon *, const char *source, json_t *doc,
	    int64_t now);
/* Counts one trigger held back by window id (inside an operation). */
int	 maint_held(struct kz_daemon *, int64_t id);
/* Ids of the windows of source in force at now (an array). */
json_t	*maint_in_force(struct kz_daemon *, const char *source, int64_t now);
/* Whether the caller may open and end windows: admins and members of
 * maintenance.role. */
int	 maint_may(struct kz_daemon *, const struct actx *);
/* Opens a window (inside the command's operation): 200 with *id, or a
 * status with *err ({"error": ...}). */
int	 maint_add(struct kz_daemon *, const struct actx *,
	    const struct maint_req *, int64_t *id, json_t **err);
/* Ends a window now: 200, 404 or 409 with *err. */
int	 maint_end(struct kz_daemon *, const struct actx *, int64_t id,
	    json_t **err);
/* [{"id", "source", "match", "from", "until", "note", "by", "suppressed",
 * "state", "ended_at", "ended_by"}], newest first; every window with
 * all, else those not ended. NULL when storage fails. */
json_t	*maint_list(struct kz_daemon *, int all, int64_t now);
/* The windows that held back triggers received in [from, to], with
 * "held": how many in that time. NULL when storage fails. */
json_t	*maint_during(struct kz_daemon *, int64_t from, int64_t to);
/* A window's timer fired (inside the timer's operation). */
int	 maint_timer(struct kz_daemon *, const char *step, enum tk_kind,
	    int64_t now);

#endif
