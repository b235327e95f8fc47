/* The exceptions table (exception.c): exception measures as stored, and
 * as `exceptions` shows them. Their rules are the engine's
 * (engine-exception.c); their changes are stored by kz_apply, with the
 * events, timers and notifications that go with them. */
#ifndef KZ_EXCEPTION_H
#define KZ_EXCEPTION_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct kz_daemon;
struct exc;

/* Exception id; NULL with *status 404 or 503. */
struct exc	*exc_get(struct kz_daemon *, int64_t id, int *status);
/* Stores a new measure and sets its id: 0, or -1. */
int		 exc_insert(struct kz_daemon *, struct exc *);
/* Stores the state of a measure that changed: 0, or -1. */
int		 exc_update(struct kz_daemon *, const struct exc *);
/* Exception id as SPEC §5 `exceptions` shows it (RFC 3339 times,
 * in_force_s and overdue measured at now); NULL with *status 404 or
 * 503. */
json_t		*exc_view(struct kz_daemon *, int64_t id, int64_t now,
		    int *status);
/* Every exception (incident 0) or those of one incident; open: only
 * requested and active ones. Oldest first, at most limit, past the
 * exception after (0: from the first). NULL when storage fails. */
json_t		*kz_exceptions_list(struct kz_daemon *, int64_t incident,
		    int open, int64_t now, int64_t after, int64_t limit);
/* The ids of the requested and active measures of incident, oldest
 * first (*ids allocated): 0, or -1 when storage fails. */
int		 exc_open_ids(struct kz_daemon *, int64_t incident,
		    int64_t **ids, size_t *n);

#endif
