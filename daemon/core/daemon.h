/* The daemon's context, handed explicitly to every module. */
#ifndef KZ_DAEMON_H
#define KZ_DAEMON_H

#include <jansson.h>
#include <stdint.h>

#include "engine/engine.h"
#include "proto/proto.h"

struct config;
struct roster;
struct rbset;
struct store;
struct control;
struct httpd;
struct web;
struct outbox;
struct curlev;
struct plugins;
struct plan;
struct rota_state;
struct jma_pollers;
struct src_table;
struct maint;
struct beat;
struct event_base;
struct event;

struct kz_metrics {
	json_t	*triggers;	/* {"source": {"accepted": n, "rejected": {reason: n}}} */
	uint64_t requests;
	uint64_t hist[12];	/* request latency buckets */
	double	 hist_sum;
	uint64_t commits;
	uint64_t commit_failures;
};

struct postcommit;
struct deferred;
struct kz_work;

struct kz_daemon {
	struct event_base	*base;
	char			*conf_path;
	struct config		*conf;
	struct roster		*roster;
	struct rbset		*rbs;
	struct runbook		**rbcache;	/* older versions, by hash */
	size_t			 nrbcache;
	struct store		*store;
	struct control		*control;
	struct httpd		*http;
	struct web		*web;		/* the pages (front/web.c) */
	struct outbox		*outbox;
	struct curlev		*curl;
	struct plugins		*plugins;
	struct plan		*plan;
	struct rota_state	*rota;		/* covers, teams out (rota-live.c) */
	struct jma_pollers	*jma;		/* polled feeds (front/jma.c) */
	struct src_table	*sources;	/* last heard (core/sources.c) */
	struct maint		*maint;		/* open windows (core/maint.c) */
	struct beat		*beat;		/* own heartbeat (core/beat.c) */
	char			**load_errors;	/* from the last (re)load */
	struct event		*commit_ev;
	int			 commit_scheduled;
	struct event		*timer_ev;
	int64_t			 timer_due;	/* INT64_MAX: none armed */
	struct event		*work_ev;	/* the next batch of a large
						   call-out (a "fanout" timer),
						   on the next loop turn */
	struct deferred		*deferred;	/* replies awaiting COMMIT */
	struct postcommit	*post;		/* effects after COMMIT */
	struct postcommit	*op_post;	/* of the current operation */
	struct kz_work		*work;		/* heavy effects, sliced */
	int64_t			 started_at;
	int			 stopping;
	const char		*reply_next;	/* of the reply being sent */
	int			 http_max;	/* connections at once, from */
	int			 ctl_max;	/* the config and fd limit */
	/* Test clock: what `_clock --advance` runs besides the timers (the
	 * HTTP request deadline, front/httpconn.c). */
	void			(*on_clock)(struct kz_daemon *);
	struct kz_metrics	 metrics;
};

/* A request from any front end (socket or HTTP). */
struct kz_req {
	const struct kz_cmdspec	*spec;
	json_t			*params;	/* object */
	char			*actor;		/* who is calling */
	char			*member;	/* --as: acting for */
	int			 admin;
	const char		*via;		/* "socket", "http" */
	char			*next;		/* set by a list: next page */
};

typedef void (*kz_reply_fn)(void *arg, int status, json_t *body);

/* Runs a command; the reply comes after its changes are committed (or
 * at once for a read). Takes a reference to nothing; body is passed to
 * the callback, which must json_decref it. */
void	 kz_dispatch(struct kz_daemon *, struct kz_req *, kz_reply_fn,
	    void *arg);
/* Queues fn(d, arg) to run once the current operation's batch commits;
 * dropped if it rolls back. */
void	 kz_after_commit(struct kz_daemon *, void (*fn)(struct kz_daemon *,
	    void *), void *arg, void (*drop)(void *));
/* The same for a heavy effect (starting an action): it runs from a queue
 * drained a few milliseconds per loop turn, after the replies. */
void	 kz_after_commit_queued(struct kz_daemon *,
	    void (*fn)(struct kz_daemon *, void *), void *arg,
	    void (*drop)(void *));
/* Whether this batch has taken in its share of work (or requests are
 * waiting already): a new write should wait its turn with kz_later,
 * which runs fn(d, arg) once a batch has room. */
int	 kz_batch_full(const struct kz_daemon *);
void	 kz_later(struct kz_daemon *, void (*fn)(struct kz_daemon *, void *),
	    void *arg);
void	 kz_later_flush(struct kz_daemon *);
void	 kz_work_init(struct kz_daemon *);
void	 kz_work_free(struct kz_daemon *);
size_t	 kz_work_pending(const struct kz_daemon *);
/* Operation scope for writers outside kz_dispatch (timers, webhooks,
 * action results): begin, then end with ok or not. Ending schedules the
 * batch commit; done(arg, status) (may be NULL) runs after it. */
int	 kz_op_begin(struct kz_daemon *);
int	 kz_op_end(struct kz_daemon *, int ok, kz_reply_fn done, void *arg);
/* Commits the batch now (shutdown). */
void	 kz_commit_now(struct kz_daemon *);
void	 kz_timers_rearm(struct kz_daemon *);
void	 kz_timers_run(struct kz_daemon *);
void	 kz_timers_run_all(struct kz_daemon *);
/* libevent callbacks, arg is the daemon. */
void	 kz_timer_cb(int, short, void *);
void	 kz_work_cb(int, short, void *);
void	 kz_commit_cb(int, short, void *);

/* The runbook of a version (current, cached or from the database); a new
 * reference. */
struct runbook *kz_runbook_by_hash(struct kz_daemon *, const char *hash);
struct incident *kz_incident_load(struct kz_daemon *, int64_t id,
	    int *status);
/* Starts an incident of rb inside the current operation (apply.c):
 * 200 with *id, or 503 with *why. */
int	 kz_start_incident(struct kz_daemon *, const struct actx *,
	    struct runbook *, int drill, json_t *trigger, json_t *vars,
	    const char *source, const char *key, int pending,
	    const char *confirm_by, const char *note, int64_t *id,
	    char **why);
/* Persists an incident and its effects inside the current operation. */
int	 kz_apply(struct kz_daemon *, const struct actx *, struct incident *,
	    struct effects *);
void	 kz_actx(struct kz_daemon *, const struct kz_req *, struct actx *);
/* The actor as the audit log records it: "tanaka", or "tanaka (web)"
 * for what was done on a page. */
const char *kz_who(const struct actx *, char *buf, size_t len);

int	 kz_reload(struct kz_daemon *, json_t **errors);
/* Exceptions (exception.c): an exception step became ready. */
int	 kz_exception_from_step(struct kz_daemon *, const struct actx *,
	    struct incident *, const struct effect *);
/* {"SYSTEM": rto_s} of the runbook's systems known to the plan; new
 * reference (an empty object without a plan). */
json_t	*kz_rtos(struct kz_daemon *, const struct runbook *);
int	 kz_daemon_run(const char *conf_path);
/* Starts an action whose start was never committed (after a restart). */
void	 kz_action_resume(struct kz_daemon *, int64_t incident, int step,
	    int attempt);
/* Frees the jobs of actions still running at exit (apply.c). */
void	 kz_actions_free(void);
void	 sd_notify_msg(const char *);
/* HTTP front end (http.c): webhooks, REST API, health, metrics. */
int	 kz_http_start(struct kz_daemon *, char **why);
void	 kz_http_stop(struct kz_daemon *);
json_t	*kz_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Commands (cmd-*.c): a handler per command name. */
struct kz_cmd {
	const char	*name;
	int		(*exec)(struct kz_daemon *, struct kz_req *,
			    json_t **body);
};
extern const struct kz_cmd kz_cmds[];

/* Parameters. */
const char	*req_str(const struct kz_req *, const char *);
int		 req_bool(const struct kz_req *, const char *);
int		 req_id(const struct kz_req *, const char *, int64_t *);
/* A list's page: limit (KZ_PAGE_DEFAULT if absent, 1..KZ_PAGE_MAX) and
 * the numeric cursor after (0: from the start). 0, or 400 with *body. */
int		 req_page(const struct kz_req *, int64_t *limit, int64_t *after,
		    json_t **body);
/* rows was read with limit + 1: when it has more than limit, the extra
 * one goes and r->next becomes the cursor of the last kept (key). */
void		 req_page_end(struct kz_req *, json_t *rows, int64_t limit,
		    const char *key);

/* Notifications (notify.c): render and queue in the outbox. */
int	 notify_enqueue(struct kz_daemon *, const struct incident *,
	    const struct effect *);
void	 outbox_kick(struct kz_daemon *);
/* The incident ended: its notifications still queued are withdrawn
 * (state cancelled, logged), except those about exception measures of a
 * real incident, which outlive it. Inside the operation. */
int	 notify_withdraw(struct kz_daemon *, const struct actx *,
	    const struct incident *);
/* After the commit of withdrawn rows: forget what was read ahead. */
void	 outbox_withdrawn(struct kz_daemon *);
/* Safety confirmation rows and messages (safety.c). */
int	 kz_safety_effect(struct kz_daemon *, const struct actx *,
	    struct incident *, const struct effect *);
/* Plan drills falling due (plan-due.c): check now, and hourly. */
void	 kz_plan_drills_check(struct kz_daemon *);
struct event *kz_plan_drills_start(struct kz_daemon *);
/* Repeats of an open incident's trigger (triggerlog.c): the first told,
 * the rest summed up every triggers.repeat_summary; its timer; the
 * retention of the triggers table. */
int	 kz_repeat_notify(struct kz_daemon *, const struct incident *,
	    const struct effect *);
int	 kz_repeat_timer(struct kz_daemon *, int64_t incident,
	    const char *kind, json_t *timer, int64_t now);
void	 kz_triggers_prune(struct kz_daemon *);
void	 kz_triggers_prune_soon(struct kz_daemon *);
struct event *kz_triggers_prune_start(struct kz_daemon *);
/* A notification about no incident; inside an operation. */
int	 notify_system(struct kz_daemon *, const char *event, json_t *data);
/* The same addressed to one member (their mention, their own channels). */
int	 notify_system_to(struct kz_daemon *, const char *event,
	    const char *member, json_t *data);
/* A mail of its own to one member (sign-in links, sitreps; notify.c). */
struct member;
int	 notify_mail(struct kz_daemon *, const char *channel,
	    const struct member *, int64_t incident, const char *event,
	    const char *subject, const char *text);

#endif
