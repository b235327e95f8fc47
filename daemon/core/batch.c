/* The transaction scope (batch.h): operations as savepoints of the loop
 * turn's batch, the replies and after-commit effects that wait for its
 * COMMIT. The loop owner (loop.c) decides when to commit.
 *
 * A batch takes in operations for KZ_BATCH_NS of work, and at least
 * KZ_BATCH_MIN_OPS of them (a commit's fsync is paid once for them all,
 * which matters most when the machine is slow); what comes while it is
 * full waits in the loop owner's queue (kz_later) for the next one. */
#include <event2/event.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "core/batch.h"
#include "core/daemon.h"
#include "core/loop.h"
#include "common/jsonutil.h"
#include "common/log.h"
#include "store/store.h"
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
	int		 queued;	/* heavy: into the loop's work queue */
	struct postcommit *next;
};

#define KZ_BATCH_NS	(3 * 1000000)	/* operations per batch */
#define KZ_BATCH_MIN_OPS 16

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int
kz_batch_has_room(const struct kz_daemon *d)
{
	return d->batch_ns < KZ_BATCH_NS || d->batch_ops < KZ_BATCH_MIN_OPS;
}

char *
kz_storage_why(struct kz_daemon *d)
{
	return xprintf(KZ_STORAGE_UNAVAILABLE ": %s", store_errmsg(d->store));
}

json_t *
kz_storage_error(struct kz_daemon *d)
{
	char	*why = kz_storage_why(d);
	json_t	*body = kz_error("%s", why);

	free(why);
	return body;
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
kz_in_op(const struct kz_daemon *d)
{
	return d->op_t0 != 0;
}

int
kz_op_begin(struct kz_daemon *d)
{
	d->op_t0 = mono_ns();
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

	if (d->op_t0 != 0) {
		d->batch_ns += mono_ns() - d->op_t0;
		d->batch_ops++;
		d->op_t0 = 0;
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

int
kz_batch_commit(struct kz_daemon *d)
{
	int ok;

	ok = store_commit(d->store) == 0;
	d->metrics.commits++;
	d->batch_ns = 0;
	d->batch_ops = 0;
	if (!ok) {
		d->metrics.commit_failures++;
		log_warnx("commit failed (%s): %s; nothing in this batch is "
		    "acknowledged", store_errmsg(d->store),
		    "the state on disk is as before it");
	}
	return ok ? 0 : -1;
}

void
kz_batch_settle(struct kz_daemon *d, int ok)
{
	struct deferred		*q = d->deferred;
	struct postcommit	*p = d->post;

	d->deferred = NULL;
	d->post = NULL;
	/* The replies first: what they acknowledge is on disk. */
	while (q != NULL) {
		struct deferred *next = q->next;

		if (ok)
			q->fn(q->arg, q->status, q->body);
		else {
			json_decref(q->body);
			q->fn(q->arg, 503, kz_storage_error(d));
		}
		free(q);
		q = next;
	}
	if (ok) {
		while (p != NULL) {
			struct postcommit *next = p->next;

			/* Heavy effects (starting an action) go to the loop
			 * owner's work queue, drained a slice per turn. */
			if (p->queued)
				kz_work_add(d, p->fn, p->arg, p->drop);
			else
				p->fn(d, p->arg);
			free(p);
			p = next;
		}
	} else
		post_drop(p);
}

void
kz_reply(struct kz_daemon *d, kz_reply_fn fn, void *arg, int status,
    json_t *body)
{
	if (store_in_tx(d->store)) {
		defer(d, fn, arg, status, body);
		schedule_commit(d);
	} else
		fn(arg, status, body);
}

