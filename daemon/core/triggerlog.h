/* The upkeep of what triggers leave behind (triggerlog.c): repeats of an
 * open incident's trigger summed up, and the retention of the triggers
 * table. */
#ifndef KZ_TRIGGERLOG_H
#define KZ_TRIGGERLOG_H

#include <jansson.h>
#include <stdint.h>

struct kz_daemon;
struct effect;
struct event;
struct incident;

/* A trigger.repeated notification of inc (from kz_apply): the first of a
 * run is told, the rest counted in the incident's repeats timer. 0, or
 * -1 when the storage failed. */
int	 kz_repeat_notify(struct kz_daemon *, const struct incident *,
	    const struct effect *);
/* The repeats timer t of incident fell due (inside its operation): the
 * summary of what came, and another period. */
int	 kz_repeat_timer(struct kz_daemon *, int64_t incident, json_t *t,
	    int64_t now);
/* Deletes rows of the triggers table past triggers.retention, a bounded
 * batch per operation; _soon: at the next turn (after a reload); _start:
 * now and every hour (the event is the caller's to free). */
void	 kz_triggers_prune(struct kz_daemon *);
void	 kz_triggers_prune_soon(struct kz_daemon *);
struct event *kz_triggers_prune_start(struct kz_daemon *);

#endif
