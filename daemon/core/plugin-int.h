/* Internal to the plugin host (plugin.c: loading and runs; plugin-core.c:
 * the services the core gives plugins). */
#ifndef KZ_PLUGIN_INT_H
#define KZ_PLUGIN_INT_H

#include <sys/queue.h>
#include <sys/types.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "common/xmalloc.h"
#include "core/plugin.h"
#include "keizoku-plugin.h"

#define PL_DEFAULT_TIMEOUT	(5 * 60 * 1000)	/* a step without timeout */
#define PL_GRACE_MS		5000		/* past it: cancelled */
#define PL_NOTE_MAX		8192
#define PL_TRUNCATED		"…[truncated]"

struct plugin {
	char			*path;
	void			*dl;
	const struct kz_plugin	*desc;
	void			*state;
};

struct action_ent {
	const char		*name;
	const struct kz_action	*act;
	struct plugin		*pl;
};

struct kz_http {
	TAILQ_ENTRY(kz_http)	 entry;
	struct plugins		*ps;
	struct curlev_xfer	*xfer;
	kz_http_done_fn		 cb;
	void			*arg;
};

struct kz_timer {
	TAILQ_ENTRY(kz_timer)	 entry;
	struct plugins		*ps;
	struct event		 ev;
	kz_timer_fn		 cb;
	void			*arg;
};

struct action_run {
	TAILQ_ENTRY(action_run)	 entry;
	struct plugins		*ps;
	const struct action_ent	*ae;
	void			*prun;		/* the plugin's handle */
	int64_t			 timeout_ms;
	int			 finished;	/* result known */
	int			 ok;
	char			*note;
	struct event		 deadline;
	struct event		 deliver;
	action_done_fn		 done;
	void			*arg;
};

struct plugins {
	struct kz_core			 core;	/* plugins hold &core */
	struct event_base		*base;
	struct curlev			*curl;
	struct spawner			*sp;	/* children (spawn.c) */
	struct plugin			**pl;
	size_t				 npl;
	struct action_ent		*acts;
	size_t				 nacts;
	TAILQ_HEAD(, action_run)	 runs;
	TAILQ_HEAD(, kz_http)		 https;
	TAILQ_HEAD(, kz_timer)		 timers;
};

/* plugin-core.c */
/* Fills the services of ps->core (log, HTTP, timers, children). */
void	 core_init(struct kz_core *);
/* Cancels what the plugins left behind (requests, timers, children);
 * returns how many there were. */
size_t	 core_reap(struct plugins *);
void	 pl_ms_tv(int64_t ms, struct timeval *);
/* A copy of a note that is valid UTF-8, at most PL_NOTE_MAX bytes. */
char	*pl_note_clean(const char *);

#endif
