/* keizokud's own dead-man's switch (SPEC §17): every `every`, while the
 * loop turns, a tiny write is committed to the store; once it is, a GET
 * goes to heartbeat.url, and when it cannot be, to url + "/fail"
 * (Healthchecks' convention). The request goes through the loop's
 * libcurl (curlev.c) and never blocks; a failing ping is logged once per
 * change of state. Under the test clock the pings follow it: `_clock
 * --advance` runs them (beat_tick from kz_timers_run). */
#ifndef KZ_BEAT_H
#define KZ_BEAT_H

#include <jansson.h>

#include "core/daemon.h"

/* Starts, or follows a reload of, the heartbeat (none without url). */
void	 beat_start(struct kz_daemon *);
void	 beat_stop(struct kz_daemon *);
/* Pings when due. */
void	 beat_tick(struct kz_daemon *);
/* For `keizoku status`: {"url", "every_s", "last_ping_at", "last_ok_at",
 * "failing", "store_failing"} with the URL's path left out, or null. */
json_t	*beat_status(struct kz_daemon *);

#endif
