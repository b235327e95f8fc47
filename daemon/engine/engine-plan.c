/* The plan's required drills (guideline 2.9.1, SPEC §10): when one falls
 * due, the daemon says so once, and records that it did (the mark
 * "drill_due:TYPE" = the due date), so restarts and reloads do not repeat
 * it. Pure: the caller looks the mark up and stores the effects. */
#include <stdlib.h>
#include <string.h>

#include "common/duration.h"
#include "common/xmalloc.h"
#include "engine/engine-int.h"
#include "model/plan.h"

#define DAY_MS	(86400LL * 1000)

static const char *const dtype_ja[] = {
	"手順確認訓練", "シナリオ非提示型訓練", "復旧訓練", "切替訓練"
};

int
engine_plan_drill(const struct actx *a, const struct plan_drill *dr,
    const char *seen, struct effects *fx, char due[16])
{
	const char	*type = plan_dtype_names[dr->type];
	char		 last[16], *every, *key;
	json_t		*data;

	if (dr->every <= 0)
		return 0;
	if (dr->last == PLAN_NONE) {
		kz_strlcpy(due, "never held", 16);
		kz_strlcpy(last, "-", sizeof last);
	} else {
		/* Dates are whole days: the due day itself is still in
		 * time. */
		if (a->now < dr->last + dr->every * 1000 + DAY_MS)
			return 0;
		plan_date_fmt(dr->last + dr->every * 1000, due, 16);
		plan_date_fmt(dr->last, last, sizeof last);
	}
	if (seen != NULL && strcmp(seen, due) == 0)
		return 0;
	every = duration_fmt_years(dr->every);
	data = json_pack("{s:s,s:s,s:s,s:s,s:s}", "type", type, "type_ja",
	    dr->type >= 0 && dr->type < 4 ? dtype_ja[dr->type] : type,
	    "every", every, "due", due, "last", last);
	free(every);
	eng_notify(fx, EV_PLAN_DRILL_DUE, -1, NULL, json_deep_copy(data));
	eng_event(fx, EV_PLAN_DRILL_DUE, -1, data);
	key = xprintf("drill_due:%s", type);
	eng_emit(fx, EF_META, -1, json_pack("{s:s,s:s}", "key", key, "value",
	    due));
	free(key);
	return 1;
}
