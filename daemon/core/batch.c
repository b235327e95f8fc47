/* Group commit. Every change made while handling the events of one loop
 * turn goes into one SQLite transaction; each operation inside it is a
 * savepoint. The commit event runs after the turn's other callbacks;
 * only when COMMIT returns are the replies sent, then the after-commit
 * effects started: bookkeeping at once, the heavy ones (starting
 * actions: loading the incident, a child process, an HTTP request) from
 * a queue drained a few milliseconds per loop turn, so that a burst
 * delays no reply, no /healthz and no signal by more than that.
 *
 * A batch takes in operations for KZ_BATCH_NS of work, and at least
 * KZ_BATCH_MIN_OPS of them (a commit's fsync is paid once for them all,
 * which matters most when the machine is slow); requests that come while
 * it is full wait in arrival order (kz_later) and go into the next one. */
#include <event2/event.h>
#include <time.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/daemon.h"
#include "model/roster.h"
#include "common/log.h"
#include "store/store.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"

struct deferred {
	kz_reply_fn	 fn;
	void		*arg;
	int		 status;
	json_t		*body;
	struct deferred	*next;
};

struct postcommit {
	void		(*fn)(struct kz_daemon *, void *);
	void		(*drop)(void *);
	void		*arg;
	int		 queued;	/* heavy: into the work queue */
	struct postcommit *next;
};

static void	post_drop(struct postcommit *);

/* The work queue of heavy effects, in commit order. */
#define KZ_SLICE_NS	(3 * 1000000)	/* work per loop turn */
#define KZ_BATCH_NS	(3 * 1000000)	/* operations per batch */
#define KZ_BATCH_MIN_OPS 16

struct kz_work {
	struct postcommit	*head;
	struct postcommit	**tail;
	size_t			 n;
	struct event		*ev;
	/* Requests waiting for a batch with room. */
	struct postcommit	*later;
	struct postcommit	**later_tail;
	size_t			 nlater;
	struct event		*later_ev;
	int64_t			 batch_ns;	/* spent in this batch's ops */
	int			 batch_ops;
	int64_t			 op_t0;
};

json_t *
kz_error(const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;
	json_t	*j;

	va_start(ap, fmt);
	msg = xvprintf(fmt, ap);
	va_end(ap);
	j = json_pack("{s:s}", "error", msg);
	free(msg);
	return j;
}

static void
after_commit(struct kz_daemon *d, void (*fn)(struct kz_daemon *, void *),
    void *arg, void (*drop)(void *), int queued)
{
	struct postcommit *p = xcalloc(1, sizeof *p);

	p->fn = fn;
	p->arg = arg;
	p->drop = drop;
	p->queued = queued;
	p->next = d->op_post;
	d->op_post = p;
}

void
kz_after_commit(struct kz_daemon *d, void (*fn)(struct kz_daemon *, void *),
    void *arg, void (*drop)(void *))
{
	after_commit(d, fn, arg, drop, 0);
}

void
kz_after_commit_queued(struct kz_daemon *d,
    void (*fn)(struct kz_daemon *, void *), void *arg, void (*drop)(void *))
{
	after_commit(d, fn, arg, drop, 1);
}

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Runs queued effects for at most KZ_SLICE_NS, then yields to the loop
 * (a zero timeout comes after the next poll for I/O). */
static void
work_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct kz_daemon	*d = arg;
	struct kz_work		*w = d->work;
	struct postcommit	*p;
	int64_t			 end = mono_ns() + KZ_SLICE_NS;
	struct timeval		 zero = { 0, 0 };

	while (!d->stopping && (p = w->head) != NULL) {
		if ((w->head = p->next) == NULL)
			w->tail = &w->head;
		w->n--;
		p->fn(d, p->arg);
		free(p);
		if (mono_ns() >= end)
			break;
	}
	if (w->head != NULL && !d->stopping)
		evtimer_add(w->ev, &zero);
}

int
kz_batch_full(const struct kz_daemon *d)
{
	const struct kz_work *w = d->work;

	return w != NULL && ((w->batch_ns >= KZ_BATCH_NS &&
	    w->batch_ops >= KZ_BATCH_MIN_OPS) || w->later != NULL);
}

static void
later_arm(struct kz_daemon *d)
{
	struct timeval zero = { 0, 0 };

	if (d->work->later != NULL)
		evtimer_add(d->work->later_ev, &zero);
}

/* Runs waiting requests while the batch has room; the rest wait for the
 * next (the commit re-arms this). */
static void
later_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct kz_daemon	*d = arg;
	struct kz_work		*w = d->work;
	struct postcommit	*p;

	while ((p = w->later) != NULL && (d->stopping ||
	    w->batch_ns < KZ_BATCH_NS || w->batch_ops < KZ_BATCH_MIN_OPS)) {
		if ((w->later = p->next) == NULL)
			w->later_tail = &w->later;
		w->nlater--;
		p->fn(d, p->arg);
		free(p);
	}
	/* Nothing opened a batch (every one was answered at once): go on at
	 * the next turn rather than wait for a commit. */
	if (w->later != NULL && !store_in_tx(d->store))
		later_arm(d);
}

void
kz_later(struct kz_daemon *d, void (*fn)(struct kz_daemon *, void *),
    void *arg)
{
	struct kz_work		*w = d->work;
	struct postcommit	*p = xcalloc(1, sizeof *p);

	p->fn = fn;
	p->arg = arg;
	*w->later_tail = p;
	w->later_tail = &p->next;
	if (w->nlater++ == 0 && !store_in_tx(d->store))
		later_arm(d);
}

/* Shutting down: every waiting request is answered now (they see
 * d->stopping and refuse). */
void
kz_later_flush(struct kz_daemon *d)
{
	if (d->work != NULL)
		later_cb(-1, 0, d);
}

void
kz_work_init(struct kz_daemon *d)
{
	d->work = xcalloc(1, sizeof *d->work);
	d->work->tail = &d->work->head;
	d->work->ev = evtimer_new(d->base, work_cb, d);
	d->work->later_tail = &d->work->later;
	d->work->later_ev = evtimer_new(d->base, later_cb, d);
}

size_t
kz_work_pending(const struct kz_daemon *d)
{
	return d->work != NULL ? d->work->n : 0;
}

/* What is still queued at exit is dropped: its state is on disk, and a
 * restart takes it up (actions not started are started then). */
void
kz_work_free(struct kz_daemon *d)
{
	struct kz_work *w = d->work;

	if (w == NULL)
		return;
	kz_later_flush(d);
	post_drop(w->head);
	event_free(w->ev);
	event_free(w->later_ev);
	free(w);
	d->work = NULL;
}

static void
work_add(struct kz_daemon *d, struct postcommit *p)
{
	struct kz_work	*w = d->work;
	struct timeval	 zero = { 0, 0 };

	p->next = NULL;
	*w->tail = p;
	w->tail = &p->next;
	if (w->n++ == 0)
		evtimer_add(w->ev, &zero);
}

static void
post_drop(struct postcommit *p)
{
	while (p != NULL) {
		struct postcommit *next = p->next;

		if (p->drop != NULL)
			p->drop(p->arg);
		free(p);
		p = next;
	}
}

static void
defer(struct kz_daemon *d, kz_reply_fn fn, void *arg, int status,
    json_t *body)
{
	struct deferred *q = xcalloc(1, sizeof *q), **pp;

	q->fn = fn;
	q->arg = arg;
	q->status = status;
	q->body = body;
	for (pp = &d->deferred; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = q;
}

static void
schedule_commit(struct kz_daemon *d)
{
	if (store_in_tx(d->store) && !d->commit_scheduled) {
		d->commit_scheduled = 1;
		event_active(d->commit_ev, 0, 0);
	}
}

int
kz_op_begin(struct kz_daemon *d)
{
	if (d->work != NULL)
		d->work->op_t0 = mono_ns();
	if (store_op_begin(d->store) == -1) {
		/* Operations earlier in the batch may wait for its commit to
		 * be answered: never roll it back here (their 200s would go
		 * out for changes no longer there); the commit fails them
		 * all if the transaction was lost. */
		schedule_commit(d);
		return -1;
	}
	return 0;
}

int
kz_op_end(struct kz_daemon *d, int ok, kz_reply_fn done, void *arg)
{
	int rc = store_op_end(d->store, ok);

	if (d->work != NULL && d->work->op_t0 != 0) {
		d->work->batch_ns += mono_ns() - d->work->op_t0;
		d->work->batch_ops++;
		d->work->op_t0 = 0;
	}

	if (ok && rc == 0) {
		/* Keep the operation's effects, in the order queued. */
		struct postcommit *p = d->op_post, *rev = NULL;

		while (p != NULL) {
			struct postcommit *next = p->next;

			p->next = rev;
			rev = p;
			p = next;
		}
		while (rev != NULL) {
			struct postcommit *next = rev->next, **pp;

			rev->next = NULL;
			for (pp = &d->post; *pp != NULL; pp = &(*pp)->next)
				;
			*pp = rev;
			rev = next;
		}
	} else
		post_drop(d->op_post);
	d->op_post = NULL;
	if (done != NULL) {
		if (store_in_tx(d->store))
			defer(d, done, arg, ok && rc == 0 ? 200 : 503, NULL);
		else
			done(arg, ok && rc == 0 ? 200 : 503, NULL);
	}
	schedule_commit(d);
	return ok ? rc : 0;
}

void
kz_commit_now(struct kz_daemon *d)
{
	struct deferred		*q;
	struct postcommit	*p;
	int			 ok;

	ok = store_commit(d->store) == 0;
	d->metrics.commits++;
	if (d->work != NULL) {
		d->work->batch_ns = 0;
		d->work->batch_ops = 0;
		later_arm(d);
	}
	if (!ok) {
		d->metrics.commit_failures++;
		log_warnx("commit failed (%s): %s; nothing in this batch is "
		    "acknowledged", store_errmsg(d->store),
		    "the state on disk is as before it");
	}
	q = d->deferred;
	d->deferred = NULL;
	p = d->post;
	d->post = NULL;
	/* The replies first: what they acknowledge is on disk. */
	while (q != NULL) {
		struct deferred *next = q->next;

		if (ok)
			q->fn(q->arg, q->status, q->body);
		else {
			json_decref(q->body);
			q->fn(q->arg, 503, kz_error("storage unavailable: %s",
			    store_errmsg(d->store)));
		}
		free(q);
		q = next;
	}
	if (ok) {
		while (p != NULL) {
			struct postcommit *next = p->next;

			if (p->queued && d->work != NULL)
				work_add(d, p);
			else {
				p->fn(d, p->arg);
				free(p);
			}
			p = next;
		}
	} else
		post_drop(p);
	kz_timers_rearm(d);
	outbox_kick(d);
}


void
kz_commit_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct kz_daemon *d = arg;

	d->commit_scheduled = 0;
	kz_commit_now(d);
}

void
kz_actx(struct kz_daemon *d, const struct kz_req *r, struct actx *a)
{
	memset(a, 0, sizeof *a);
	a->roster = d->roster;
	a->now = clock_now();
	a->actor = r->actor;
	a->member = r->member;
	a->admin = r->admin;
	a->via = r->via;
}

const char *
kz_who(const struct actx *a, char *buf, size_t len)
{
	if (a->via == NULL || strcmp(a->via, "web") != 0 || a->actor == NULL)
		return a->actor;
	snprintf(buf, len, "%s (web)", a->actor);
	return buf;
}

const char *
req_str(const struct kz_req *r, const char *k)
{
	return json_string_value(json_object_get(r->params, k));
}

int
req_bool(const struct kz_req *r, const char *k)
{
	json_t *v = json_object_get(r->params, k);

	if (json_is_string(v))
		return strcmp(json_string_value(v), "true") == 0 ||
		    strcmp(json_string_value(v), "1") == 0;
	return json_is_true(v);
}

int
req_id(const struct kz_req *r, const char *k, int64_t *out)
{
	json_t		*v = json_object_get(r->params, k);
	long long	 n;

	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return *out > 0 ? 0 : -1;
	}
	if (!json_is_string(v) || parse_i64(json_string_value(v), &n) == -1 ||
	    n <= 0)
		return -1;
	*out = n;
	return 0;
}

int
req_page(const struct kz_req *r, int64_t *limit, int64_t *after,
    json_t **body)
{
	*limit = KZ_PAGE_DEFAULT;
	*after = 0;
	if (json_object_get(r->params, "limit") != NULL &&
	    (req_id(r, "limit", limit) == -1 || *limit > KZ_PAGE_MAX)) {
		*body = kz_error("--limit takes a number from 1 to %d",
		    KZ_PAGE_MAX);
		return 400;
	}
	if (json_object_get(r->params, "after") != NULL &&
	    req_id(r, "after", after) == -1) {
		*body = kz_error("--after takes the cursor a previous page "
		    "ended with (a positive number)");
		return 400;
	}
	return 0;
}

void
req_page_end(struct kz_req *r, json_t *rows, int64_t limit, const char *key)
{
	json_t *last;

	if (rows == NULL || (int64_t)json_array_size(rows) <= limit)
		return;
	json_array_remove(rows, (size_t)limit);
	last = json_object_get(json_array_get(rows, (size_t)limit - 1), key);
	free(r->next);
	r->next = xprintf("%lld", (long long)json_integer_value(last));
}

static const struct kz_cmd *
find_cmd(const char *name)
{
	const struct kz_cmd *c;

	for (c = kz_cmds; c->name != NULL; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

/* --as: only admins and proxies, and only for a real member. */
static int
check_as(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	if (r->member == NULL)
		return 0;
	if (!r->admin && !roster_is_proxy(d->roster, r->actor)) {
		*body = kz_error("%s may not act on behalf of others (only "
		    "admins and members of proxy roles may use --as)",
		    r->actor ? r->actor : "this caller");
		return 403;
	}
	if (roster_member(d->roster, r->member) == NULL) {
		*body = kz_error("--as %s: no such member in the roster",
		    r->member);
		return 400;
	}
	if (r->actor != NULL && strcmp(r->actor, r->member) == 0) {
		free(r->member);
		r->member = NULL;
	}
	return 0;
}

static void	dispatch(struct kz_daemon *, struct kz_req *, kz_reply_fn,
		    void *);

/* A write request waiting for a batch with room: its own copy. */
struct waiting_req {
	struct kz_req	 r;
	kz_reply_fn	 fn;
	void		*arg;
};

static void
waiting_run(struct kz_daemon *d, void *arg)
{
	struct waiting_req *q = arg;

	dispatch(d, &q->r, q->fn, q->arg);
	free(q->r.actor);
	free(q->r.member);
	json_decref(q->r.params);
	free(q);
}

void
kz_dispatch(struct kz_daemon *d, struct kz_req *r, kz_reply_fn fn, void *arg)
{
	struct waiting_req *q;

	if (r->spec == NULL || !r->spec->write || d->stopping ||
	    !kz_batch_full(d)) {
		dispatch(d, r, fn, arg);
		return;
	}
	q = xcalloc(1, sizeof *q);
	q->r = *r;
	q->r.actor = r->actor != NULL ? xstrdup(r->actor) : NULL;
	q->r.member = r->member != NULL ? xstrdup(r->member) : NULL;
	q->r.params = json_incref(r->params);
	q->fn = fn;
	q->arg = arg;
	kz_later(d, waiting_run, q);
}

static void
dispatch(struct kz_daemon *d, struct kz_req *r, kz_reply_fn fn, void *arg)
{
	const struct kz_cmd	*c = r->spec ? find_cmd(r->spec->name) : NULL;
	json_t			*body = NULL;
	int			 status;

	if (c == NULL) {
		fn(arg, 404, kz_error("unknown command"));
		return;
	}
	if ((status = check_as(d, r, &body)) != 0) {
		fn(arg, status, body);
		return;
	}
	if (d->stopping && r->spec->write) {
		fn(arg, 503, kz_error("keizokud is shutting down"));
		return;
	}
	if (r->spec->write && kz_op_begin(d) == -1) {
		fn(arg, 503, kz_error("storage unavailable: %s",
		    store_errmsg(d->store)));
		return;
	}
	status = c->exec(d, r, &body);
	if (body == NULL)
		body = json_object();
	if (r->spec->write) {
		int ok = status < 400;

		if (kz_op_end(d, ok, NULL, NULL) == -1 && ok) {
			json_decref(body);
			status = 503;
			body = kz_error("storage unavailable: %s",
			    store_errmsg(d->store));
		}
	}
	if (store_in_tx(d->store)) {
		defer(d, fn, arg, status, body);
		schedule_commit(d);
	} else {
		d->reply_next = status < 300 ? r->next : NULL;
		fn(arg, status, body);
		d->reply_next = NULL;
	}
	free(r->next);
	r->next = NULL;
}
