/* The daemon's context, handed explicitly to every module. The functions
 * of each module are declared in its own header (batch.h, loop.h,
 * apply.h, timer.h, notify.h, ...). */
#ifndef KZ_DAEMON_H
#define KZ_DAEMON_H

#include <jansson.h>
#include <stdint.h>

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
struct runbook;
struct src_table;
struct maint;
struct beat;
struct leader;
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
	struct leader		*leader;	/* core/leader.c */
	char			**load_errors;	/* from the last (re)load */
	struct event		*commit_ev;
	int			 commit_scheduled;
	struct event		*timer_ev;
	int64_t			 timer_due;	/* INT64_MAX: none armed */
	int			 timers_known;	/* timer_due is of the table
						   as timers_seen writes left
						   it (timer.c) */
	uint64_t		 timers_seen;
	int			 fanout_waiting;
	struct event		*work_ev;	/* the next batch of a large
						   call-out (a "fanout" timer),
						   on the next loop turn */
	struct deferred		*deferred;	/* replies awaiting COMMIT */
	struct postcommit	*post;		/* effects after COMMIT */
	struct postcommit	*op_post;	/* of the current operation */
	struct kz_work		*work;		/* heavy effects, sliced */
	int64_t			 started_at;
	int			 stopping;
	/* Called after a reload (kz_reload), by whoever started the
	 * daemon: what lives above the core follows the new config. */
	void			(*reloaded)(struct kz_daemon *);
	const char		*reply_next;	/* of the reply being sent */
	int			 http_max;	/* connections at once, from */
	int			 ctl_max;	/* the config and fd limit */
	/* Test clock: what `_clock --advance` runs besides the timers (the
	 * HTTP request deadline, front/httpconn.c). */
	void			(*on_clock)(struct kz_daemon *);
	/* The batch in progress (batch.c): the time its operations took,
	 * how many, and when the current one began. */
	int64_t			 batch_ns;
	int			 batch_ops;
	int64_t			 op_t0;
	struct kz_metrics	 metrics;
};

#endif
