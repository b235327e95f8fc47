/*
 * The outbox: delivers the rows of the notifications table.
 *
 * Every attempt is recorded before it is made (notifications.sending,
 * committed with the batch, the request started after the commit), and
 * its result is written soon after (OB_FLUSH_MS). After a kill -9, a row
 * whose last recorded attempt has no result may or may not have reached
 * its receiver: it is sent again as a resend (notifications.resend),
 * which Slack and Teams messages say ("(再送 resend)"; a webhook keeps
 * its webhook-id and body, for the receiver to drop it). A row that was
 * only queued is sent once, as usual: the common case is exactly once.
 *
 * The fast path (outbox_claim): a new row whose channel has room and no
 * older row waiting is written with its first attempt already recorded
 * (sending = 1, in the transaction of the event) and handed over in
 * memory, to start right after that commit: no read of the table and no
 * second commit between a trigger and its notification. After a kill -9
 * between that commit and the request it is a resend, like any row in
 * flight; at most OB_PER_CHANNEL rows a channel are. Likewise the
 * attempts of the next rows waiting for a channel are recorded ahead
 * (ob_ahead: OB_AHEAD of them, up to OB_AHEAD_MAX for a channel that
 * goes through them faster than results are written), so that a
 * finished request is followed at once by the next, not after another
 * commit.
 *
 * Due rows are read ahead into memory, sent through curlev, and their
 * results (delivered; pending with the time of the next attempt; dead)
 * are written back in batches inside the daemon's group commit, at most
 * OB_FLUSH_MS after they are known: a commit per delivery would bound
 * the rate by the disk, and rewrite each page many times. A crash
 * between a delivery and the commit of its result only sends it again,
 * with the same webhook-id and body: delivery is at least once, and the
 * repeats are the deliveries of the last OB_FLUSH_MS and those in
 * flight.
 *
 * While a row is in memory (read ahead, in flight, or with a result not
 * yet committed) no read returns it, so it is never sent twice at once.
 * Each channel has its own read-ahead queue and at most OB_PER_CHANNEL
 * requests in flight, so a hung receiver leaves room for the others.
 */
#include <sys/queue.h>

#include <event2/event.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>
#include <openssl/rand.h>

#include "model/config.h"
#include "core/curlev.h"
#include "core/daemon.h"
#include "core/leader.h"
#include "common/log.h"
#include "core/outbox.h"
#include "common/sig.h"
#include "store/store.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "core/batch.h"

#define OB_INFLIGHT	64	/* requests at once, all channels */
#define OB_PER_CHANNEL	32	/* requests at once to one channel */
#define OB_PREFETCH	2048	/* due rows read ahead per channel, */
#define OB_READ		512	/* ... at most this many a read */
#define OB_AHEAD	64	/* attempts recorded ahead per channel, */
#define OB_AHEAD_MAX	1024	/* ... up to this for a fast one */
#define OB_FLUSH_MS	50	/* results wait at most this to be written */
#define OB_RESEND	"(再送 resend) "
#define OB_FLUSH_MAX	1024	/* ... or until there are this many */
#define OB_AHEAD_STEP	256	/* attempts recorded ahead a flush */
#define OB_STORE_RETRY	1000	/* ms: results the disk refused, again */
#define OB_STORE_MAX	30000	/* ... backing off up to this */
#define OB_IDLE_MS	60000	/* look at the table at least this often */
#define OB_ERR_MAX	200	/* bytes of a response kept as the error */
#define OB_DEFAULT_RETRY 60	/* s, for a channel gone from the config */

struct ob_chan;

/* One notification from its read until its result is committed. */
struct ob_row {
	TAILQ_ENTRY(ob_row)	 entry;
	struct ob_chan		*ch;
	int64_t			 id;
	int64_t			 due;		/* next_attempt_at when read */
	int64_t			 created;	/* read on failure only: */
	int			 attempts;	/* -1, or made with this one */
	int			 resend;	/* may have been received */
	int			 recorded;	/* its attempt is on disk */
	uint64_t		 recording;	/* ... in this batch (seq) */
	char			*msg_id;
	char			*payload;
	struct curlev_xfer	*xfer;
	const char		*state;		/* the result */
	int64_t			 next;
	int64_t			 delivered_at;
	char			*error;
};
TAILQ_HEAD(ob_rows, ob_row);

struct ob_chan {
	struct outbox	*ob;
	char		*name;
	struct ob_rows	 ready;		/* read ahead, due */
	size_t		 nready;
	size_t		 ninflight;
	int		 more;		/* the last read hit its limit */
	int64_t		 cur_at;	/* the read cursor: */
	int64_t		 cur_id;	/* (next_attempt_at, id) of the last */
	int64_t		 hold_at;	/* rows in memory past the cursor */
	int64_t		 hold_id;	/* go no further than this */
	int		 backlog;	/* due rows may wait in the table */
	size_t		 ahead;		/* the window recorded ahead */
	size_t		 ahead_left;	/* ready rows recorded ahead */
	size_t		 ahead_pending;	/* ... being recorded */
	int64_t		 ahead_at;	/* the last recording (monotonic) */
	struct stdwh_key *key;		/* the channel's secret, set up */
	char		*key_secret;	/* ... from this secret */
};

/* Results and starts written in one operation, until its commit. */
struct ob_batch {
	TAILQ_ENTRY(ob_batch)	 entry;
	struct outbox		*ob;
	uint64_t		 seq;		/* rows recorded ahead */
	struct ob_rows		 rows;
	size_t			 n;
	struct ob_rows		 starts;	/* to start once committed */
};

struct outbox {
	struct kz_daemon	*d;
	struct event		*timer;		/* the next row falls due */
	int64_t			 timer_at;	/* INT64_MAX: not armed */
	struct event		*flush_ev;
	int			 flush_armed;
	int64_t			 store_backoff;	/* ms; 0: the disk takes them */
	struct ob_chan		**chans;
	size_t			 nchans;
	struct ob_rows		 inflight;
	size_t			 ninflight;	/* starts to record included */
	struct ob_rows		 starts;	/* attempts to record */
	size_t			 nstarts;
	struct ob_rows		 done;		/* results to write */
	size_t			 ndone;
	TAILQ_HEAD(, ob_batch)	 batches;	/* written, not committed */
	uint64_t		 seq;		/* of the last batch */
	int			 dirty;		/* rows may have become due */
	const struct config	*conf;		/* the config last seen */
};

/* A list of row ids (and times) for one statement of many rows. */
struct ob_ids {
	int64_t	*id;
	int64_t	*at;
	size_t	 n, size;
};

static void	ob_timer_cb(evutil_socket_t, short, void *);
static void	ob_flush_cb(evutil_socket_t, short, void *);
static void	ob_kick(struct outbox *);

struct outbox *
outbox_new(struct kz_daemon *d)
{
	struct outbox *ob = xcalloc(1, sizeof *ob);

	ob->d = d;
	ob->timer = evtimer_new(d->base, ob_timer_cb, ob);
	ob->timer_at = INT64_MAX;
	ob->flush_ev = evtimer_new(d->base, ob_flush_cb, ob);
	TAILQ_INIT(&ob->inflight);
	TAILQ_INIT(&ob->starts);
	TAILQ_INIT(&ob->done);
	TAILQ_INIT(&ob->batches);
	ob->dirty = 1;
	return ob;
}

static void
ob_row_free(struct ob_row *r)
{
	free(r->msg_id);
	free(r->payload);
	free(r->error);
	free(r);
}

static void
ob_rows_free(struct ob_rows *q)
{
	struct ob_row *r;

	while ((r = TAILQ_FIRST(q)) != NULL) {
		TAILQ_REMOVE(q, r, entry);
		ob_row_free(r);
	}
}

static struct ob_chan *
ob_chan_get(struct outbox *ob, const char *name)
{
	struct ob_chan	*c;
	size_t		 i;

	for (i = 0; i < ob->nchans; i++)
		if (strcmp(ob->chans[i]->name, name) == 0)
			return ob->chans[i];
	c = xcalloc(1, sizeof *c);
	c->ob = ob;
	c->name = xstrdup(name);
	c->cur_at = INT64_MIN;
	c->hold_at = INT64_MIN;
	c->backlog = 1;		/* until a read finds the table drained */
	c->ahead = OB_AHEAD;
	TAILQ_INIT(&c->ready);
	ob->chans = xreallocarray(ob->chans, ob->nchans + 1,
	    sizeof *ob->chans);
	ob->chans[ob->nchans++] = c;
	return c;
}

/* Drops what was read ahead for a channel (gone from the config): the
 * rows stay pending in the table. */
static void
ob_chan_drop(struct ob_chan *c)
{
	stdwh_key_free(c->key);
	c->key = NULL;
	free(c->key_secret);
	c->key_secret = NULL;
	ob_rows_free(&c->ready);
	c->nready = 0;
	c->ahead_left = c->ahead_pending = 0;
	c->more = 0;
	c->cur_at = INT64_MIN;
	c->cur_id = 0;
}

/* Moves mark to r's place in the order when r is further. */
static void
ob_mark(int64_t *at, int64_t *id, const struct ob_row *r)
{
	if (r->due > *at || (r->due == *at && r->id > *id)) {
		*at = r->due;
		*id = r->id;
	}
}

/* Reads start from the head of the table again: rows may have been left
 * behind the cursors (a result not written, a clock set back). */
static void
ob_rewind(struct outbox *ob)
{
	struct ob_chan	*c;
	struct ob_row	*r;
	struct ob_batch	*b;
	size_t		 i;

	for (i = 0; i < ob->nchans; i++) {
		c = ob->chans[i];
		c->cur_at = c->hold_at = INT64_MIN;
		c->cur_id = c->hold_id = 0;
		c->backlog = 1;
		TAILQ_FOREACH(r, &c->ready, entry)
			ob_mark(&c->hold_at, &c->hold_id, r);
	}
	TAILQ_FOREACH(r, &ob->inflight, entry)
		ob_mark(&r->ch->hold_at, &r->ch->hold_id, r);
	TAILQ_FOREACH(r, &ob->starts, entry)
		ob_mark(&r->ch->hold_at, &r->ch->hold_id, r);
	TAILQ_FOREACH(r, &ob->done, entry)
		ob_mark(&r->ch->hold_at, &r->ch->hold_id, r);
	TAILQ_FOREACH(b, &ob->batches, entry) {
		TAILQ_FOREACH(r, &b->rows, entry)
			ob_mark(&r->ch->hold_at, &r->ch->hold_id, r);
		TAILQ_FOREACH(r, &b->starts, entry)
			ob_mark(&r->ch->hold_at, &r->ch->hold_id, r);
	}
	ob->dirty = 1;
}

void
outbox_queued(struct outbox *ob)
{
	ob->dirty = 1;
}

/* ---- the timer of the next due row ---- */

static void
ob_arm(struct outbox *ob, int64_t at)
{
	int64_t		now = clock_now(), ms;
	struct timeval	tv;

	if (at > now + OB_IDLE_MS)
		at = now + OB_IDLE_MS;
	if (at >= ob->timer_at && evtimer_pending(ob->timer, NULL))
		return;
	ms = at > now ? at - now : 0;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = ms % 1000 * 1000;
	evtimer_add(ob->timer, &tv);
	ob->timer_at = at;
}

static void
ob_timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct outbox *ob = arg;

	ob->timer_at = INT64_MAX;
	ob_rewind(ob);
	ob_kick(ob);
}

/* Arms the timer for the earliest row due after now. */
static void
ob_arm_next(struct outbox *ob, int64_t now)
{
	int64_t at;

	if ((at = store_outbox_next(ob->d->store, now)) <= 0)
		at = now + OB_IDLE_MS;
	ob_arm(ob, at);
}

/* ---- reading due rows ---- */

/*
 * Rows are read in (next_attempt_at, id) order from a cursor past the
 * last row read, so a read does not walk again over the rows already in
 * memory. A row cannot fall due behind the cursor: a new one has the
 * largest id and now as its time, a failed one a time to come. What
 * can (a batch of results not written, a clock set back) rewinds the
 * cursors, and then the rows held in memory are left out by id.
 */

static int
ob_after(const struct ob_chan *c, const struct ob_row *r)
{
	return r->ch == c && (r->due > c->cur_at || (r->due == c->cur_at &&
	    r->id > c->cur_id));
}

static void
ob_ids_add(struct ob_ids *l, int64_t id, int64_t at)
{
	if (l->n == l->size) {
		l->size = l->size == 0 ? 64 : l->size * 2;
		l->id = xreallocarray(l->id, l->size, sizeof *l->id);
		l->at = xreallocarray(l->at, l->size, sizeof *l->at);
	}
	l->id[l->n] = id;
	l->at[l->n++] = at;
}

static void
ob_ids_free(struct ob_ids *l)
{
	free(l->id);
	free(l->at);
	memset(l, 0, sizeof *l);
}

static int
ob_id_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void
ob_held_add(struct ob_ids *h, struct ob_chan *c, struct ob_rows *q)
{
	struct ob_row *r;

	TAILQ_FOREACH(r, q, entry)
		if (ob_after(c, r))
			ob_ids_add(h, r->id, 0);
}

/* The ids of c's rows in memory past its cursor, sorted (a read passes
 * over them by a binary search: after a rewind they may be thousands). */
static void
ob_held(struct outbox *ob, struct ob_chan *c, struct ob_ids *h)
{
	struct ob_batch	*b;

	/* Past the rows held at the last rewind, none is after the cursor:
	 * the rows read since are all behind it. */
	if (c->cur_at > c->hold_at || (c->cur_at == c->hold_at &&
	    c->cur_id >= c->hold_id))
		return;
	ob_held_add(h, c, &c->ready);
	ob_held_add(h, c, &ob->inflight);
	ob_held_add(h, c, &ob->starts);
	ob_held_add(h, c, &ob->done);
	TAILQ_FOREACH(b, &ob->batches, entry) {
		ob_held_add(h, c, &b->rows);
		ob_held_add(h, c, &b->starts);
	}
	if (h->n > 1)
		qsort(h->id, h->n, sizeof *h->id, ob_id_cmp);
}

static struct ob_row *
ob_row_new(struct ob_chan *c, struct outbox_row *row)
{
	struct ob_row *r = xcalloc(1, sizeof *r);

	r->ch = c;
	r->id = row->id;
	r->due = row->due;
	r->attempts = -1;
	/* An attempt recorded and no result of it: it may have arrived. */
	r->resend = row->resend || row->sending > row->attempts;
	r->msg_id = row->msg_id;
	r->payload = row->payload;
	row->msg_id = row->payload = NULL;
	return r;
}

static void
ob_fetch(struct outbox *ob, struct ob_chan *c, int64_t now)
{
	struct ob_ids		 held = { 0 };
	struct outbox_row	*rows;
	struct ob_row		*r = NULL;
	size_t			 i, nrows, n = 0, limit;
	/* A read at a time is bounded: the loop turns between two. */
	size_t			 want = OB_PREFETCH - c->nready < OB_READ ?
				    OB_PREFETCH - c->nready : OB_READ;

	ob_held(ob, c, &held);
	limit = want + held.n;

	/* The rows held in memory are read too and passed over here. */
	if (store_outbox_due(ob->d->store, c->name, now, c->cur_at, c->cur_id,
	    limit, &rows, &nrows) == -1) {
		log_warnx("outbox: cannot read notifications: %s",
		    store_errmsg(ob->d->store));
		c->more = 1;	/* try again at the next kick */
		ob_ids_free(&held);
		return;
	}
	c->more = nrows == limit;
	/* Every due row is in memory now: a new one may take the fast
	 * path (outbox_claim) once these have gone. */
	if (!c->more)
		c->backlog = 0;
	for (i = 0; i < nrows; i++) {
		if (n == want || (held.n > 0 && bsearch(&rows[i].id, held.id,
		    held.n, sizeof *held.id, ob_id_cmp) != NULL))
			continue;
		n++;
		r = ob_row_new(c, &rows[i]);
		TAILQ_INSERT_TAIL(&c->ready, r, entry);
		c->nready++;
	}
	if (r != NULL) {
		c->cur_at = r->due;
		c->cur_id = r->id;
	}
	/* Every row of c due before now is in memory: the next read starts
	 * at now, not at the last row read, so that it does not walk again
	 * over the rows of the other channels (a channel with none would
	 * walk over all of them at every read). */
	if (!c->more && (c->cur_at < now - 1 || (c->cur_at == now - 1 &&
	    c->cur_id < INT64_MAX))) {
		c->cur_at = now - 1;
		c->cur_id = INT64_MAX;
	}
	store_outbox_rows_free(rows, nrows);
	ob_ids_free(&held);
}

/* Reads ahead for every configured channel that runs low, when rows
 * may have become due since the last look. Not inside a transaction:
 * its rows are not committed yet. */
static void
ob_refill(struct outbox *ob)
{
	const struct config	*conf = ob->d->conf;
	struct ob_chan		*c;
	int64_t			 now;
	size_t			 i;

	if (store_in_tx(ob->d->store))
		return;
	now = clock_now();
	if (now >= ob->timer_at)	/* the test clock jumped */
		ob->dirty = 1;
	if (ob->conf != conf) {		/* reloaded: channels may be back */
		ob->conf = conf;
		ob_rewind(ob);
	}
	for (i = 0; i < conf->nchannels; i++) {
		c = ob_chan_get(ob, conf->channels[i].name);
		if (!ob->dirty && !c->more)
			continue;
		if (c->nready < OB_PREFETCH / 2)
			ob_fetch(ob, c, now);
		else
			c->more = 1;	/* look again once it drains */
	}
	if (ob->dirty)
		ob_arm_next(ob, now);
	ob->dirty = 0;
}

/* ---- results ---- */

/* The delay before attempt n+1 from the channel's schedule (its last
 * entry repeats), less or more 20%, so that receivers coming back are
 * not hit by every retry at the same instant. */
static int64_t
ob_backoff_ms(const struct channel_conf *ch, int attempts)
{
	int64_t		base;
	uint32_t	r = 0;
	size_t		i = attempts > 0 ? (size_t)attempts - 1 : 0;

	if (ch == NULL || ch->nretry == 0)
		base = OB_DEFAULT_RETRY;
	else
		base = ch->retry_s[i < ch->nretry ? i : ch->nretry - 1];
	base *= 1000;
	if (RAND_bytes((unsigned char *)&r, sizeof r) != 1)
		r = 0;
	return base * 8 / 10 + (int64_t)(r % 1001) * base * 4 / 10 / 1000;
}

/* Retry-After: seconds or an HTTP date; 0 when absent or past. */
static int64_t
ob_retry_after_ms(const char *h)
{
	long long	s;
	time_t		at, now = time(NULL);

	if (h == NULL)
		return 0;
	if (parse_i64(h, &s) == 0)
		return s > 0 && s < 86400 * 7 ? s * 1000 : 0;
	if ((at = curl_getdate(h, NULL)) == -1 || at <= now)
		return 0;
	return ((int64_t)at - now) * 1000;
}

/* Length of the UTF-8 sequence at p (n bytes left); 0 if not one. */
static size_t
ob_utf8_len(const unsigned char *p, size_t n)
{
	size_t len, i;

	if (p[0] < 0x80)
		return 1;
	len = p[0] >= 0xc2 && p[0] <= 0xdf ? 2 : p[0] >= 0xe0 &&
	    p[0] <= 0xef ? 3 : p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : 0;
	if (len == 0 || len > n)
		return 0;
	for (i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

/* Appends at most n bytes of p as printable UTF-8 (a receiver's body
 * may be anything). */
static void
ob_add_text(struct buf *b, const char *s, size_t n)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i, k;

	for (i = 0; i < n; i += k) {
		if ((k = ob_utf8_len(p + i, n - i)) == 0) {
			buf_addc(b, '?');
			k = 1;
		} else if (k == 1 && (p[i] < 0x20 || p[i] == 0x7f))
			buf_addc(b, ' ');
		else
			buf_add(b, (const char *)p + i, k);
	}
}

/* What a failed attempt says: the transport error, or the status and
 * the start of the body. */
static char *
ob_error(const struct http_resp *resp)
{
	struct buf	 b = { 0 };
	const char	*e = resp->error != NULL ? resp->error : "no response";
	size_t		 i;
	json_t		*check;

	if (resp->status == 0)
		ob_add_text(&b, e, strlen(e) < OB_ERR_MAX ? strlen(e) :
		    OB_ERR_MAX);
	else {
		buf_printf(&b, "HTTP %ld", resp->status);
		if (resp->body != NULL && resp->body_len > 0) {
			buf_adds(&b, ": ");
			ob_add_text(&b, resp->body, resp->body_len <
			    OB_ERR_MAX ? resp->body_len : OB_ERR_MAX);
		}
	}
	while (b.len > 0 && b.s[b.len - 1] == ' ')
		b.s[--b.len] = '\0';
	if (b.len == 0)
		buf_adds(&b, "no response");
	/* Overlong forms and surrogates pass ob_utf8_len. */
	if ((check = json_string(b.s)) == NULL)
		for (i = 0; i < b.len; i++)
			if ((unsigned char)b.s[i] >= 0x80)
				b.s[i] = '?';
	json_decref(check);
	return buf_steal(&b);
}

/* Reads what only a failure needs: the attempts so far (this one
 * included) and the age. */
static void
ob_load_counts(struct outbox *ob, struct ob_row *r)
{
	int64_t attempts, created;

	if (r->attempts >= 0)
		return;
	if (store_notification_age(ob->d->store, r->id, &attempts,
	    &created) != 1) {
		/* Unreadable: not a reason to give up on it. */
		r->attempts = 1;
		r->created = clock_now();
	} else {
		r->attempts = 1 + (int)attempts;
		r->created = created;
	}
}

/* Decides what follows an attempt: delivered, another attempt (after
 * the schedule's delay or the receiver's Retry-After), or dead once the
 * notification is older than the channel's max_age. */
static void
ob_outcome(struct outbox *ob, struct ob_row *r, const struct http_resp *resp)
{
	const struct channel_conf	*ch;
	int64_t				 now = clock_now(), deadline, ra = 0;

	if (resp->status >= 200 && resp->status < 300) {
		r->state = "delivered";
		r->delivered_at = now;
		r->next = now;
		return;
	}
	ob_load_counts(ob, r);
	ch = config_channel(ob->d->conf, r->ch->name);
	free(r->error);
	r->error = ob_error(resp);
	r->next = now + ob_backoff_ms(ch, r->attempts);
	deadline = r->created + (ch != NULL ? ch->max_age_s : 86400) * 1000;
	if (resp->status == 429 || resp->status == 503)
		ra = ob_retry_after_ms(resp->retry_after);
	if (ra > 0 && now + ra > r->next)
		r->next = now + ra;
	else if (r->next > deadline && now < deadline)
		r->next = deadline;	/* one last attempt at max_age */
	r->state = "pending";
	if (now >= deadline) {
		r->state = "dead";
		log_warnx("notification %lld (%s) to channel %s is dead after "
		    "%d attempts over %llds: %s", (long long)r->id, r->msg_id,
		    r->ch->name, r->attempts, (long long)((now - r->created) /
		    1000), r->error);
	} else {
		log_debug("notification %lld to %s: attempt %d failed (%s); "
		    "next in %llds", (long long)r->id, r->ch->name,
		    r->attempts, r->error, (long long)((r->next - now) /
		    1000));
		ob_arm(ob, r->next);
	}
}

/* Arms the flush: OB_FLUSH_MS after the first result, or the backoff
 * while the disk refuses them. */
static void
ob_flush_later(struct outbox *ob)
{
	int64_t		ms = ob->store_backoff > 0 ? ob->store_backoff :
			    OB_FLUSH_MS;
	struct timeval	tv = { ms / 1000, ms % 1000 * 1000 };

	if (ob->flush_armed)
		return;
	evtimer_add(ob->flush_ev, &tv);
	ob->flush_armed = 1;
}

/* Attempts wait to be recorded: at the next turn (results due by then
 * go along), unless the disk is refusing writes. */
static void
ob_flush_soon(struct outbox *ob)
{
	struct timeval zero = { 0, 0 };

	if (ob->store_backoff > 0) {
		ob_flush_later(ob);
		return;
	}
	evtimer_add(ob->flush_ev, &zero);
	ob->flush_armed = 1;
}

static void	ob_start(struct outbox *, const struct channel_conf *,
		    struct ob_row *);

/* Rows whose attempt was not recorded go back to the head of their
 * channel's queue (in order), out of the in-flight count. */
static void
ob_unstart(struct outbox *ob, struct ob_rows *rows)
{
	struct ob_row *r;

	while ((r = TAILQ_LAST(rows, ob_rows)) != NULL) {
		TAILQ_REMOVE(rows, r, entry);
		TAILQ_INSERT_HEAD(&r->ch->ready, r, entry);
		r->ch->nready++;
		r->ch->ninflight--;
		ob->ninflight--;
	}
}

/* The results could not be written: they stay in memory (their rows in
 * no read), to be written once the disk takes them again. Sending them
 * again would only repeat deliveries the receivers have. */
static void
ob_store_failed(struct outbox *ob)
{
	if (ob->store_backoff == 0)
		log_warnx("outbox: cannot store delivery results (%s); "
		    "holding %zu of them and trying again", store_errmsg(
		    ob->d->store), ob->ndone);
	ob->store_backoff = ob->store_backoff == 0 ? OB_STORE_RETRY :
	    ob->store_backoff * 2 > OB_STORE_MAX ? OB_STORE_MAX :
	    ob->store_backoff * 2;
	if (ob->flush_armed) {
		evtimer_del(ob->flush_ev);
		ob->flush_armed = 0;
	}
	ob_flush_later(ob);
}

/* The rows of batch seq recorded ahead: on disk (ok), or not. */
static void
ob_ahead_settle(struct outbox *ob, uint64_t seq, int ok)
{
	struct ob_row	*r;
	size_t		 i;

	struct ob_chan	*c;

	for (i = 0; i < ob->nchans; i++) {
		c = ob->chans[i];
		TAILQ_FOREACH(r, &c->ready, entry) {
			if (r->recording != seq)
				continue;
			r->recording = 0;
			r->recorded |= ok;
			if (c->ahead_pending > 0)
				c->ahead_pending--;
			if (ok)
				c->ahead_left++;
		}
	}
}


/* Whether the rows of c recorded ahead run low (fewer than half its
 * window left while others wait): recording them then, not after each
 * start, takes a commit per half window of deliveries instead of one
 * per turn of the loop. From counts (a start must not walk the window):
 * were they ever off, a row not recorded still waits for its record
 * (ob_start_one), never goes without. */
static int
ob_ahead_low(struct outbox *ob, struct ob_chan *c)
{
	size_t covered = c->ahead_left + c->ahead_pending;

	return !ob->d->stopping && c->nready > covered &&
	    covered < c->ahead / 2;
}

/* Whether rows in the window of c wait to be recorded. */
static int
ob_ahead_wanted_chan(struct ob_chan *c)
{
	struct ob_row	*r;
	size_t		 n = 0;

	TAILQ_FOREACH(r, &c->ready, entry) {
		if (n++ >= c->ahead)
			break;
		if (!r->recorded && r->recording == 0 && !r->resend)
			return 1;
	}
	return 0;
}

/* The window of c, before a recording ahead: twice as wide when the
 * last one ran low within OB_FLUSH_MS (the rows go faster than results
 * are written: commits for starts alone would stall the loop on the
 * disk), half as wide after a quiet while. */
static size_t
ob_ahead_size(struct ob_chan *c)
{
	int64_t now = mono_ms();

	if (now - c->ahead_at < OB_FLUSH_MS && c->ahead < OB_AHEAD_MAX)
		c->ahead *= 2;
	else if (now - c->ahead_at > 4 * OB_FLUSH_MS && c->ahead > OB_AHEAD)
		c->ahead /= 2;
	c->ahead_at = now;
	return c->ahead;
}

/*
 * Records ahead the attempts of the rows waiting at the head of each
 * channel (its window), in the batch seq: when a request ends, the next
 * row goes at once instead of after a commit (a commit a row per slot
 * would bound the rate by the disk, and one per turn stall the loop on
 * it). After a kill -9 they count as in flight (sent as resends): at
 * most the window of a channel more (OB_AHEAD, OB_AHEAD_MAX for one
 * that delivers thousands a second).
 */
static void
ob_ahead(struct outbox *ob, uint64_t seq, struct ob_ids *ids)
{
	struct ob_chan	*c;
	struct ob_row	*r;
	size_t		 i, n, k, window;

	for (i = 0; !ob->d->stopping && i < ob->nchans; i++) {
		c = ob->chans[i];
		if (!ob_ahead_low(ob, c) && !ob_ahead_wanted_chan(c))
			continue;
		window = ob_ahead_size(c);
		/* The counts again from the rows (ob_ahead_low's); at most
		 * OB_AHEAD_STEP recorded at once (a bounded operation). */
		n = k = c->ahead_left = c->ahead_pending = 0;
		TAILQ_FOREACH(r, &c->ready, entry) {
			if (n++ < window && k < OB_AHEAD_STEP &&
			    !r->recorded && r->recording == 0 && !r->resend) {
				r->recording = seq;
				ob_ids_add(ids, r->id, 0);
				k++;
			}
			if (r->recorded)
				c->ahead_left++;
			else if (r->recording != 0)
				c->ahead_pending++;
		}
	}
}

static void
ob_batch_committed(struct kz_daemon *d, void *arg)
{
	struct ob_batch			*b = arg;
	struct outbox			*ob = b->ob;
	const struct channel_conf	*ch;
	struct ob_row			*r;
	struct ob_rows			 not_started;

	TAILQ_INIT(&not_started);
	TAILQ_REMOVE(&ob->batches, b, entry);
	ob_rows_free(&b->rows);
	ob_ahead_settle(ob, b->seq, 1);
	/* Their attempts are on disk: now they may go. */
	while ((r = TAILQ_FIRST(&b->starts)) != NULL) {
		TAILQ_REMOVE(&b->starts, r, entry);
		r->recorded = 1;
		if (d->stopping ||
		    (ch = config_channel(d->conf, r->ch->name)) == NULL) {
			TAILQ_INSERT_TAIL(&not_started, r, entry);
			continue;
		}
		ob_start(ob, ch, r);
	}
	ob_unstart(ob, &not_started);
	free(b);
	if (ob->store_backoff > 0) {
		log_info("outbox: delivery results are stored again");
		ob->store_backoff = 0;
		if (ob->ndone > 0)
			ob_flush_later(ob);
	}
	ob->dirty = 1;
}

static void
ob_batch_dropped(void *arg)
{
	struct ob_batch	*b = arg;
	struct outbox	*ob = b->ob;

	TAILQ_REMOVE(&ob->batches, b, entry);
	ob_ahead_settle(ob, b->seq, 0);
	TAILQ_CONCAT(&ob->done, &b->rows, entry);
	ob->ndone += b->n;
	ob_unstart(ob, &b->starts);
	free(b);
	ob_store_failed(ob);
}

/* A failed attempt's result. */
static int
ob_write(struct kz_daemon *d, struct ob_row *r)
{
	return store_notification_result(d->store, r->id, r->state,
	    r->attempts, r->next, r->error, r->delivered_at);
}

/* Records the attempts about to be made (the rows to start and those
 * recorded ahead, ids): sending = the attempt, and a row whose earlier
 * recorded attempt has no result becomes a resend. */
static int
ob_write_starts(struct kz_daemon *d, struct ob_rows *rows, struct ob_ids *ids)
{
	struct ob_row	*r;

	TAILQ_FOREACH(r, rows, entry)
		ob_ids_add(ids, r->id, 0);
	return store_notifications_sending(d->store, ids->id, ids->n);
}

/* Whether rows at the head of a channel wait to be recorded ahead. */
static int
ob_ahead_wanted(struct outbox *ob)
{
	size_t i;

	for (i = 0; !ob->d->stopping && i < ob->nchans; i++)
		if (ob_ahead_wanted_chan(ob->chans[i]))
			return 1;
	return 0;
}


/* Writes every result waiting and records the attempts about to be
 * made, as one operation of the batch. */
static void
ob_flush(struct outbox *ob)
{
	struct kz_daemon	*d = ob->d;
	struct ob_batch		*b;
	struct ob_row		*r;
	struct ob_ids		 ids = { 0 };
	int			 ok = 1;

	if (ob->flush_armed) {
		evtimer_del(ob->flush_ev);
		ob->flush_armed = 0;
	}
	if (ob->ndone == 0 && ob->nstarts == 0 && !ob_ahead_wanted(ob))
		return;
	if (kz_op_begin(d) == -1) {
		ob_unstart(ob, &ob->starts);
		ob->nstarts = 0;
		ob_store_failed(ob);
		return;
	}
	b = xcalloc(1, sizeof *b);
	b->ob = ob;
	b->seq = ++ob->seq;
	TAILQ_INIT(&b->rows);
	TAILQ_INIT(&b->starts);
	TAILQ_CONCAT(&b->rows, &ob->done, entry);
	b->n = ob->ndone;
	ob->ndone = 0;
	TAILQ_CONCAT(&b->starts, &ob->starts, entry);
	ob->nstarts = 0;
	TAILQ_INSERT_TAIL(&ob->batches, b, entry);
	ob_ahead(ob, b->seq, &ids);
	if (ob_write_starts(d, &b->starts, &ids) == -1)
		ok = 0;
	/* The deliveries in a few statements, the failures one by one. */
	ids.n = 0;
	TAILQ_FOREACH(r, &b->rows, entry) {
		if (r->delivered_at != 0)
			ob_ids_add(&ids, r->id, r->delivered_at);
		else if (ok && ob_write(d, r) == -1)
			ok = 0;
	}
	if (ok && store_notifications_delivered(d->store, ids.id, ids.at,
	    ids.n) == -1)
		ok = 0;
	ob_ids_free(&ids);
	kz_after_commit(d, ob_batch_committed, b, ob_batch_dropped);
	kz_op_end(d, ok, NULL, NULL);
}

static void
ob_flush_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct outbox *ob = arg;

	ob->flush_armed = 0;
	ob_flush(ob);
}

static void
ob_result(struct outbox *ob, struct ob_row *r, const struct http_resp *resp)
{
	ob_outcome(ob, r, resp);
	TAILQ_INSERT_TAIL(&ob->done, r, entry);
	if (++ob->ndone >= OB_FLUSH_MAX && ob->store_backoff == 0)
		ob_flush(ob);
	else
		ob_flush_later(ob);
}

/* ---- sending ---- */

static void
ob_done_cb(const struct http_resp *resp, void *arg)
{
	struct ob_row	*r = arg;
	struct ob_chan	*c = r->ch;
	struct outbox	*ob = c->ob;

	TAILQ_REMOVE(&ob->inflight, r, entry);
	ob->ninflight--;
	c->ninflight--;
	r->xfer = NULL;
	ob_result(ob, r, resp);
	ob_kick(ob);
}

/* The channel's signing key, set up once per secret (a reload may
 * change it); NULL without a secret or with a bad one. */
static const struct stdwh_key *
ob_key(struct ob_chan *c, const struct channel_conf *ch)
{
	if (ch->secret == NULL)
		return NULL;
	if (c->key_secret == NULL || strcmp(c->key_secret, ch->secret) != 0) {
		stdwh_key_free(c->key);
		free(c->key_secret);
		c->key = stdwh_key_new(ch->secret);
		c->key_secret = xstrdup(ch->secret);
	}
	return c->key;
}

/* The headers of one attempt: a fresh timestamp (real time: receivers
 * check it against theirs) and, with a secret, its signature. */
static void
ob_headers(const struct channel_conf *ch, const struct ob_row *r,
    char *h[3])
{
	const struct stdwh_key	*key = ob_key(r->ch, ch);
	int64_t			 ts = (int64_t)time(NULL);
	char			*sig;

	h[0] = xprintf("webhook-id: %s", r->msg_id);
	h[1] = xprintf("webhook-timestamp: %lld", (long long)ts);
	h[2] = NULL;
	if (key != NULL) {
		sig = stdwh_sign_key(key, r->msg_id, ts, r->payload,
		    strlen(r->payload));
		h[2] = xprintf("webhook-signature: %s", sig);
		free(sig);
	}
}

/* Sends r (taken off its channel's queue). */
/* A resend to a chat channel says so ahead of its text (Teams: in the
 * title too). A webhook's body stays as it was: its receiver has the
 * webhook-id to drop a repeat by. */
static void
ob_resend_label(const struct channel_conf *ch, struct ob_row *r)
{
	static const char *const keys[] = { "text", "title", "summary" };
	json_t		*p;
	const char	*v;
	char		*t;
	size_t		 i;

	if (strcmp(ch->type, "slack") != 0 && strcmp(ch->type, "teams") != 0)
		return;
	if ((p = json_loads(r->payload, 0, NULL)) == NULL)
		return;
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if ((v = json_string_value(json_object_get(p, keys[i]))) ==
		    NULL || strncmp(v, OB_RESEND, strlen(OB_RESEND)) == 0)
			continue;
		t = xprintf("%s%s", OB_RESEND, v);
		json_object_set_new(p, keys[i], json_string(t));
		free(t);
		if (strcmp(ch->type, "slack") == 0)
			break;
	}
	if ((t = json_dumps(p, JSON_COMPACT)) != NULL) {
		free(r->payload);
		r->payload = t;
	}
	json_decref(p);
}

static void
ob_start(struct outbox *ob, const struct channel_conf *ch, struct ob_row *r)
{
	struct http_req	 req;
	struct http_resp resp;
	const char	*hdrs[5], *why = NULL;
	char		*h[3];
	size_t		 i, nh = 0;

	if (r->resend)
		ob_resend_label(ch, r);
	if (strcmp(ch->type, "email") == 0)
		r->xfer = smtp_send(ob->d->curl, ch, r->payload, ob_done_cb, r,
		    &why);
	else {
		ob_headers(ch, r, h);
		hdrs[nh++] = "Content-Type: application/json";
		for (i = 0; i < 3; i++)
			if (h[i] != NULL)
				hdrs[nh++] = h[i];
		hdrs[nh] = NULL;
		memset(&req, 0, sizeof req);
		req.method = "POST";
		req.url = ch->url;
		req.headers = hdrs;
		req.body = r->payload;
		req.body_len = strlen(r->payload);
		req.timeout_ms = ch->timeout_s > 0 ? ch->timeout_s * 1000 :
		    10000;
		r->xfer = curlev_request(ob->d->curl, &req, ob_done_cb, r,
		    &why);
		for (i = 0; i < 3; i++)
			free(h[i]);
	}
	/* curlev has its copy; a retry reads the row again. */
	free(r->payload);
	r->payload = NULL;
	if (r->xfer == NULL) {
		/* Counts as a failed attempt, retried on the schedule. */
		ob->ninflight--;
		r->ch->ninflight--;
		memset(&resp, 0, sizeof resp);
		resp.error = why != NULL ? why : "cannot start the request";
		ob_result(ob, r, &resp);
		return;
	}
	TAILQ_INSERT_TAIL(&ob->inflight, r, entry);
}

/* Starts one row of c if it may; 1 when it did. */
static int
ob_start_one(struct outbox *ob, struct ob_chan *c)
{
	const struct channel_conf	*ch;
	struct ob_row			*r;

	if (c->ninflight >= OB_PER_CHANNEL ||
	    (r = TAILQ_FIRST(&c->ready)) == NULL)
		return 0;
	if ((ch = config_channel(ob->d->conf, c->name)) == NULL) {
		ob_chan_drop(c);	/* removed by a reload */
		return 0;
	}
	/* Its attempt is being recorded ahead: it goes once committed. */
	if (r->recording != 0)
		return 0;
	TAILQ_REMOVE(&c->ready, r, entry);
	c->nready--;
	ob->ninflight++;
	c->ninflight++;
	if (r->recorded) {
		/* Recorded ahead: it goes now; the next are recorded. */
		if (c->ahead_left > 0)
			c->ahead_left--;
		ob_start(ob, ch, r);
		if (ob_ahead_low(ob, c))
			ob_flush_soon(ob);
		return 1;
	}
	/* In flight from now on; sent once its attempt is recorded. */
	TAILQ_INSERT_TAIL(&ob->starts, r, entry);
	ob->nstarts++;
	ob_flush_soon(ob);
	return 1;
}

/* Starts what was read ahead, a row per channel in turn, up to the
 * limits. */
static void
ob_pump(struct outbox *ob)
{
	size_t	i;
	int	progress = 1;

	while (progress && ob->ninflight < OB_INFLIGHT) {
		progress = 0;
		for (i = 0; i < ob->nchans && ob->ninflight < OB_INFLIGHT; i++)
			progress |= ob_start_one(ob, ob->chans[i]);
	}
}

static void
ob_kick(struct outbox *ob)
{
	/* Only the leader delivers (leader.c). */
	if (ob->d->stopping || !kz_leading(ob->d))
		return;
	ob_refill(ob);
	ob_pump(ob);
}

/* ---- the fast path: a new row sent right after its commit ---- */

int
outbox_claim(struct kz_daemon *d, const char *channel)
{
	struct outbox	*ob = d->outbox;
	struct ob_chan	*c;

	if (ob == NULL || d->stopping || ob->store_backoff > 0 ||
	    !kz_in_op(d) || !kz_leading(d))
		return 0;
	c = ob_chan_get(ob, channel);
	/* Older rows first: once one waits, the rows after it wait too,
	 * until a read of the table finds none left behind. */
	if (c->backlog || c->nready > 0 || c->ninflight >= OB_PER_CHANNEL ||
	    ob->ninflight >= OB_INFLIGHT) {
		c->backlog = 1;
		return 0;
	}
	return 1;
}

static void
ob_fresh_go(struct kz_daemon *d, void *arg)
{
	struct ob_row			*r = arg;
	struct ob_chan			*c = r->ch;
	struct outbox			*ob = c->ob;
	const struct channel_conf	*ch;

	/* In memory past the cursor: no read returns it. */
	ob_mark(&c->hold_at, &c->hold_id, r);
	if (d->stopping || (ch = config_channel(d->conf, c->name)) == NULL) {
		/* Not sent: waits at the head of its channel, its attempt
		 * taken back if the daemon stops (ob_unrecord). */
		TAILQ_INSERT_TAIL(&c->ready, r, entry);
		c->nready++;
		c->ninflight--;
		ob->ninflight--;
		return;
	}
	ob_start(ob, ch, r);
}

static void
ob_fresh_drop(void *arg)
{
	struct ob_row	*r = arg;
	struct ob_chan	*c = r->ch;

	/* Rolled back: the row does not exist. */
	c->ninflight--;
	c->ob->ninflight--;
	ob_row_free(r);
}

void
outbox_claimed(struct kz_daemon *d, const char *channel, int64_t id,
    const char *msg_id, const char *payload, int64_t due)
{
	struct outbox	*ob = d->outbox;
	struct ob_chan	*c = ob_chan_get(ob, channel);
	struct ob_row	*r = xcalloc(1, sizeof *r);

	r->ch = c;
	r->id = id;
	r->due = due;
	r->attempts = -1;
	r->recorded = 1;
	r->msg_id = xstrdup(msg_id);
	r->payload = xstrdup(payload);
	/* Counted in flight from now: the room it was given is its own. */
	c->ninflight++;
	ob->ninflight++;
	kz_after_commit(d, ob_fresh_go, r, ob_fresh_drop);
}

/* Rows were withdrawn (cancelled): what was read ahead may hold some;
 * read again from the table, which no longer offers them. */
void
outbox_withdrawn(struct kz_daemon *d)
{
	struct outbox	*ob = d->outbox;
	size_t		 i;

	if (ob == NULL)
		return;
	for (i = 0; i < ob->nchans; i++) {
		ob_rows_free(&ob->chans[i]->ready);
		ob->chans[i]->nready = 0;
		ob->chans[i]->ahead_left = ob->chans[i]->ahead_pending = 0;
	}
	ob_rewind(ob);
}

/* Rows another instance wrote (the leader was woken by its commit): read
 * the table again from its head. */
void
outbox_rescan(struct kz_daemon *d)
{
	if (d->outbox == NULL)
		return;
	ob_rewind(d->outbox);
	ob_kick(d->outbox);
}

/* No longer the leader: what was read ahead waits in the table for the
 * next leader (rows in flight finish, their results are written). */
void
outbox_pause(struct kz_daemon *d)
{
	outbox_withdrawn(d);
	if (d->outbox != NULL)
		evtimer_del(d->outbox->timer);
}

void
outbox_kick(struct kz_daemon *d)
{
	if (d->outbox != NULL)
		ob_kick(d->outbox);
}

/* Stopping: rows whose attempt was recorded but that never left (the
 * stop came between the commit and their start) take it back, so that
 * they are not called resends after the restart. */
static void
ob_unrecord(struct outbox *ob)
{
	struct kz_daemon	*d = ob->d;
	struct ob_row		*r;
	json_t			*ids = json_array(), *v;
	size_t			 i;
	int			 ok;

	for (i = 0; i < ob->nchans; i++)
		TAILQ_FOREACH(r, &ob->chans[i]->ready, entry)
			if (r->recorded)
				json_array_append_new(ids,
				    json_integer(r->id));
	if (json_array_size(ids) == 0 || kz_op_begin(d) == -1) {
		json_decref(ids);
		return;
	}
	ok = 1;
	json_array_foreach(ids, i, v) {
		ok = store_notification_unsend(d->store,
		    json_integer_value(v)) == 0;
		if (!ok)
			break;
	}
	json_decref(ids);
	kz_op_end(d, ok, NULL, NULL);
}

void
outbox_free(struct outbox *ob)
{
	struct kz_daemon	*d;
	struct ob_row		*r;
	size_t			 i;

	if (ob == NULL)
		return;
	d = ob->d;
	if (d->outbox == ob)
		d->outbox = NULL;
	/* In flight: no result, so still pending; sent after restart (as a
	 * resend: it may have arrived). */
	while ((r = TAILQ_FIRST(&ob->inflight)) != NULL) {
		TAILQ_REMOVE(&ob->inflight, r, entry);
		curlev_cancel(d->curl, r->xfer);
		ob_row_free(r);
	}
	/* Not started: their attempts are not recorded, or taken back. */
	ob_unstart(ob, &ob->starts);
	ob->nstarts = 0;
	ob_unrecord(ob);
	ob_flush(ob);
	if (store_in_tx(d->store))
		kz_batch_settle(d, kz_batch_commit(d) == 0);
	/* What the disk refused is lost; sent again after restart. */
	ob_rows_free(&ob->done);
	for (i = 0; i < ob->nchans; i++) {
		ob_chan_drop(ob->chans[i]);
		free(ob->chans[i]->name);
		free(ob->chans[i]);
	}
	free(ob->chans);
	event_free(ob->timer);
	event_free(ob->flush_ev);
	free(ob);
}
