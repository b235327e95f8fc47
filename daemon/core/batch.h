/* The transaction scope (group commit). Every change made while handling
 * the callbacks of one loop turn goes into one SQLite transaction, the
 * batch; each change inside it is an operation (a savepoint) that is kept
 * or undone as a whole. Replies and after-commit effects wait for the
 * batch to commit. When that happens is the loop owner's business
 * (loop.c): an operation only asks for it (d->commit_ev). */
#ifndef KZ_BATCH_H
#define KZ_BATCH_H

#include <jansson.h>

struct kz_daemon;

typedef void (*kz_reply_fn)(void *arg, int status, json_t *body);

/* Operation scope: begin, then end with ok or not. -1 from begin: the
 * storage failed (nothing was started). Ending asks for the batch
 * commit; done(arg, status) (may be NULL) runs after it, with 200 or
 * 503. kz_op_end returns -1 when ok but the savepoint could not be
 * released (the operation is lost). */
int	 kz_op_begin(struct kz_daemon *);
int	 kz_op_end(struct kz_daemon *, int ok, kz_reply_fn done, void *arg);
/* Whether an operation is open (between kz_op_begin and kz_op_end). */
int	 kz_in_op(const struct kz_daemon *);
/* Queues fn(d, arg) to run once the current operation's batch commits;
 * drop(arg) instead if it rolls back. */
void	 kz_after_commit(struct kz_daemon *, void (*fn)(struct kz_daemon *,
	    void *), void *arg, void (*drop)(void *));
/* The same for a heavy effect (starting an action): it runs from the
 * loop owner's work queue, drained a few milliseconds per loop turn,
 * after the replies. */
void	 kz_after_commit_queued(struct kz_daemon *,
	    void (*fn)(struct kz_daemon *, void *), void *arg,
	    void (*drop)(void *));
/* Whether the batch in progress can take in more work (its operations
 * took less than its share of time, or were few). */
int	 kz_batch_has_room(const struct kz_daemon *);
/* Answers fn(arg, status, body) once the batch in progress commits (a
 * failed COMMIT turns it into 503), or at once outside a batch. */
void	 kz_reply(struct kz_daemon *, kz_reply_fn, void *arg, int status,
	    json_t *body);

/* What a page or a reply says when the storage failed. */
#define KZ_STORAGE_UNAVAILABLE	"storage unavailable"

/* The body of a 503 when the storage failed (the one spelling):
 * {"error": "storage unavailable: WHAT SQLITE SAID"}. */
json_t	*kz_storage_error(struct kz_daemon *);
/* The same as a message for *why (caller frees). */
char	*kz_storage_why(struct kz_daemon *);

/* For the loop owner: COMMIT the batch (0, or -1 when it was lost), then
 * settle it: send the replies (all of them 503 when !ok), then run the
 * after-commit effects (or drop them; the heavy ones go to the work
 * queue, kz_work_add). */
int	 kz_batch_commit(struct kz_daemon *);
void	 kz_batch_settle(struct kz_daemon *, int ok);

#endif
