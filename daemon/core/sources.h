/* Per-source health (SPEC §15, §17): when each configured source was last
 * heard, and whether it has gone silent. Every accepted request of a
 * webhook or heartbeat source and every successful poll of a polled one
 * is heard. One table (source_state) and one durable timer per source
 * with silent_after; a silence is one source.silent event and
 * notification (and with on_silent one activation), its end one
 * source.heard, and neither is repeated or forgotten across a restart.
 *
 * The trigger path must not pay for this: what was last heard is kept in
 * memory and written at most once a second per source (SRC_WRITE_MS);
 * the silence timer is not moved on every request, it re-arms itself
 * when it finds the source was heard since. */
#ifndef KZ_SOURCES_H
#define KZ_SOURCES_H

#include <jansson.h>
#include <stdint.h>

#include "core/daemon.h"
#include "engine/tkey.h"

/* Its timer's kind (engine/tkey.h), dispatched by timer.c. */
#define SOURCE_SILENT_TIMER	tkey_name(TK_SOURCE_SILENT)
/* How stale last_heard_at may be on disk, in milliseconds. */
#define SRC_WRITE_MS		1000

/* The source was heard at `at`. Inside an operation; 0 or -1 (storage). */
int	 source_heard(struct kz_daemon *, const char *source, int64_t at);
/* A heartbeat source's peer says its store cannot commit (a ping to
 * .../fail): not heard; logged once per change. */
void	 source_failing(struct kz_daemon *, const char *source, int failing);
/* After (re)load: a state row and a timer for every source with
 * silent_after, none for the others. Runs its own operation. */
void	 sources_arm(struct kz_daemon *);
void	 sources_free(struct kz_daemon *);
/* Another instance committed: sources are read from the table again. */
void	 sources_forget(struct kz_daemon *);
/* The silence timer of a source fired (inside the timer's operation). */
int	 source_silence_due(struct kz_daemon *, const char *source,
	    int64_t now);
/* {"SOURCE": {"last_heard_at", "silent", "silent_since"}} of every
 * configured source. */
json_t	*sources_state(struct kz_daemon *);
/* `keizoku sources`: [{"name", "format", "last_heard_at", "silent",
 * "silent_since", "suppressed", "windows", "silent_after_s",
 * "on_silent", "heartbeat", "failing"}] in config order; polled sources
 * add "stale" and "stale_since". */
json_t	*sources_list(struct kz_daemon *);
/* Every polled feed: [{"source", "feed", "enabled", "last_poll_at",
 * "last_ok_at", "last_error", "failures", "polls", "newest_doc_at",
 * "newest_doc_age_s", "documents": {state: n}, "last_heard_at",
 * "silent", "silent_since", "stale", "stale_since"}]. */
json_t	*sources_feeds(struct kz_daemon *);

#endif
