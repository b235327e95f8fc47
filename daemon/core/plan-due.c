/* The plan's required drills (guideline 2.9.1, SPEC §10): when one falls
 * due, the daemon says so once, through the outbox, and records that it
 * did (meta "drill_due:TYPE" = the due date), so restarts and reloads do
 * not repeat it. Checked at start, after every (re)load and hourly. */
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "core/daemon.h"
#include "core/plan-due.h"
#include "common/log.h"
#include "model/plan.h"
#include "store/store.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "core/batch.h"
#include "core/notify.h"

#define DAY_MS	(86400LL * 1000)

static const char *const dtype_ja[] = {
	"手順確認訓練", "シナリオ非提示型訓練", "復旧訓練", "切替訓練"
};

static int
already(struct kz_daemon *d, const char *key, const char *due)
{
	json_t	*p = json_pack("[s]", key);
	json_t	*rows = store_query(d->store, "SELECT value FROM meta WHERE "
	    "key = ?", p);
	int	 seen;

	json_decref(p);
	seen = rows != NULL && json_array_size(rows) == 1 &&
	    strcmp(json_string_value(json_object_get(json_array_get(rows, 0),
	    "value")) ?: "", due) == 0;
	json_decref(rows);
	return seen;
}

static void
announce(struct kz_daemon *d, const struct plan_drill *dr, const char *due,
    const char *last)
{
	char	*key = xprintf("drill_due:%s", plan_dtype_names[dr->type]);
	char	*every = duration_fmt_years(dr->every);
	json_t	*data, *p = NULL;
	int	 ok;

	if (already(d, key, due) || kz_op_begin(d) == -1) {
		free(key);
		free(every);
		return;
	}
	data = json_pack("{s:s,s:s,s:s,s:s,s:s}", "type",
	    plan_dtype_names[dr->type], "type_ja", dr->type >= 0 && dr->type <
	    4 ? dtype_ja[dr->type] : plan_dtype_names[dr->type], "every",
	    every, "due", due, "last", last);
	ok = notify_system(d, EV_PLAN_DRILL_DUE, data) == 0 &&
	    store_event(d->store, 0, clock_now(), "keizokud", NULL,
	    "plan.drill_due", NULL, data) == 0 &&
	    store_exec(d->store, "INSERT INTO meta(key, value) VALUES (?, ?) "
	    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	    p = json_pack("[s,s]", key, due)) == 0;
	json_decref(p);
	if (ok)
		log_info("plan: the %s drill fell due on %s", plan_dtype_names[
		    dr->type], due);
	kz_op_end(d, ok, NULL, NULL);
	json_decref(data);
	free(key);
	free(every);
}

void
kz_plan_drills_check(struct kz_daemon *d)
{
	int64_t	now = clock_now();
	size_t	i;

	for (i = 0; d->plan != NULL && i < d->plan->ndrills; i++) {
		const struct plan_drill	*dr = &d->plan->drills[i];
		char			 due[16], last[16];

		if (dr->every <= 0)
			continue;
		if (dr->last == PLAN_NONE) {
			announce(d, dr, "never held", "-");
			continue;
		}
		/* Dates are whole days: the due day itself is still in time. */
		if (now < dr->last + dr->every * 1000 + DAY_MS)
			continue;
		plan_date_fmt(dr->last + dr->every * 1000, due, sizeof due);
		plan_date_fmt(dr->last, last, sizeof last);
		announce(d, dr, due, last);
	}
}

static void
daily_cb(evutil_socket_t fd, short ev, void *arg)
{
	kz_plan_drills_check(arg);
}

/* The hourly check; the result of each check is durable (meta), this
 * timer is only when to look again. */
struct event *
kz_plan_drills_start(struct kz_daemon *d)
{
	struct timeval	 tv = { 3600, 0 };
	struct event	*ev = event_new(d->base, -1, EV_PERSIST, daily_cb, d);

	event_add(ev, &tv);
	kz_plan_drills_check(d);
	return ev;
}
