/* Child processes for plugins (the core's spawn service of
 * keizoku-plugin.h), on the loop: started with posix_spawn (no fork of
 * the daemon's whole address space in the loop), at most a fixed number
 * running at once (the rest wait their turn, so that a burst of actions
 * can neither fork-bomb the host nor take the descriptors the front ends
 * count on), watched through pidfds and non-blocking pipes. */
#ifndef KZ_SPAWN_H
#define KZ_SPAWN_H

#include <stddef.h>

#include "keizoku-plugin.h"

struct event_base;
struct spawner;

#define SPAWN_MAX_RUNNING	32

struct spawner	*spawner_new(struct event_base *, int max_running);
/* Kills and reaps every child; returns how many were not cancelled. */
size_t		 spawner_free(struct spawner *);
/* As kz_core.spawn. A child beyond max_running waits; its timeout runs
 * from when it starts. */
struct kz_child	*spawner_spawn(struct spawner *, const char *const *argv,
		    const char *const *env, const char *cwd, long timeout_ms,
		    size_t max_output, kz_spawn_done_fn, void *arg,
		    char **why);
/* As kz_core.spawn_cancel. */
void		 spawner_cancel(struct spawner *, struct kz_child *);
/* Running and waiting. */
size_t		 spawner_running(const struct spawner *);
size_t		 spawner_waiting(const struct spawner *);

#endif
