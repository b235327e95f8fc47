/* Group commit. Every change made while handling the events of one loop
 * turn goes into one SQLite transaction; each operation inside it is a
 * savepoint. The commit event runs after the turn's other callbacks;
 * only when COMMIT returns are the replies sent and the after-commit
 * effects (timers, actions, deliveries) started. */
#include <event2/event.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/daemon.h"
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
	struct postcommit *next;
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

void
kz_after_commit(struct kz_daemon *d, void (*fn)(struct kz_daemon *, void *),
    void *arg, void (*drop)(void *))
{
	struct postcommit *p = xcalloc(1, sizeof *p);

	p->fn = fn;
	p->arg = arg;
	p->drop = drop;
	p->next = d->op_post;
	d->op_post = p;
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
	if (ok) {
		while (p != NULL) {
			struct postcommit *next = p->next;

			p->fn(d, p->arg);
			free(p);
			p = next;
		}
	} else
		post_drop(p);
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
	kz_timers_rearm(d);
	outbox_kick(d);
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

void
kz_commit_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct kz_daemon *d = arg;

	d->commit_scheduled = 0;
	kz_commit_now(d);
}

const char *
kz_who(const struct actx *a, char *buf, size_t len)
{
	if (a->via == NULL || strcmp(a->via, "web") != 0 || a->actor == NULL)
		return a->actor;
	snprintf(buf, len, "%s (web)", a->actor);
	return buf;
}
