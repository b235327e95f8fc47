#include <stdlib.h>
#include <string.h>

#include "common/strmap.h"
#include "common/xmalloc.h"
#include "model/roster.h"
#include "model/safety.h"

static const struct {
	const char	*label;
	int		 scale;
} scales[] = {
	{ "1", 10 }, { "2", 20 }, { "3", 30 }, { "4", 40 },
	{ "5-", 45 }, { "5弱", 45 }, { "5+", 50 }, { "5強", 50 },
	{ "6-", 55 }, { "6弱", 55 }, { "6+", 60 }, { "6強", 60 },
	{ "7", 70 },
};

int
safety_scale_parse(json_t *v)
{
	size_t	 i;
	char	*end;

	if (json_is_string(v) && *json_string_value(v) >= '0' &&
	    *json_string_value(v) <= '9') {
		long n = strtol(json_string_value(v), &end, 10);

		if (*end == '\0' && n >= 10) {
			for (i = 0; i < sizeof scales / sizeof scales[0]; i++)
				if (scales[i].scale == n)
					return (int)n;
			return -1;
		}
	}
	if (json_is_integer(v)) {
		json_int_t n = json_integer_value(v);

		for (i = 0; i < sizeof scales / sizeof scales[0]; i++)
			if (scales[i].scale == n)
				return (int)n;
		return -1;
	}
	for (i = 0; json_is_string(v) && i < sizeof scales / sizeof scales[0];
	    i++)
		if (strcmp(scales[i].label, json_string_value(v)) == 0)
			return scales[i].scale;
	return -1;
}

int
safety_done_pct(json_t *v)
{
	const char	*s;
	char		*end;
	long		 n;

	if (v == NULL)
		return 100;
	if (json_is_integer(v))
		n = (long)json_integer_value(v);
	else if ((s = json_string_value(v)) != NULL) {
		n = strtol(s, &end, 10);
		if (end == s || (*end != '\0' && strcmp(end, "%") != 0))
			return -1;
	} else
		return -1;
	return n >= 1 && n <= 100 ? (int)n : -1;
}

/* The highest scale per place named by the trigger's points. */
static void
shaken(json_t *trigger, struct strmap *m, int **scalev, size_t *ns)
{
	json_t	*points = json_object_get(trigger, "points"), *p;
	size_t	 i, k;

	json_array_foreach(points, i, p) {
		const char	*names[2] = {
			json_string_value(json_object_get(p, "pref")),
			json_string_value(json_object_get(p, "addr")) };
		int		 sc = (int)json_integer_value(json_object_get(p,
				    "scale"));
		size_t		 j;

		for (j = 0; j < 2; j++) {
			if (names[j] == NULL || *names[j] == '\0')
				continue;
			if (strmap_get(m, names[j], &k)) {
				if (sc > (*scalev)[k])
					(*scalev)[k] = sc;
				continue;
			}
			*scalev = xreallocarray(*scalev, *ns + 1,
			    sizeof **scalev);
			(*scalev)[*ns] = sc;
			strmap_put(m, names[j], (*ns)++);
		}
	}
}

const char **
safety_members(const struct roster *r, char *const *roles, int min_scale,
    json_t *trigger, size_t *n, const char **why)
{
	struct strmap	 seen = { 0 }, places = { 0 };
	const char	**out = NULL;
	int		*scalev = NULL, min = -1;
	size_t		 i, k, ns = 0, cap = 0;

	*n = 0;
	*why = NULL;
	if (min_scale >= 0) {
		min = min_scale;
		if (!json_is_array(json_object_get(trigger, "points"))) {
			*why = "the trigger has no points (seismic intensity "
			    "by place): everyone is asked";
			min = -1;
		} else
			shaken(trigger, &places, &scalev, &ns);
	}
	for (i = 0; roles != NULL && roles[i] != NULL; i++) {
		const struct role *ro = roster_role(r, roles[i]);

		for (k = 0; ro != NULL && k < ro->nmembers; k++) {
			const struct member	*m;
			size_t			 pi;

			if (strmap_get(&seen, ro->members[k], NULL))
				continue;
			strmap_put(&seen, ro->members[k], 0);
			if (min >= 0) {
				m = roster_member(r, ro->members[k]);
				if (m == NULL || m->area == NULL ||
				    !strmap_get(&places, m->area, &pi) ||
				    scalev[pi] < min)
					continue;
			}
			if (*n >= cap) {
				cap = cap * 2 + 64;
				out = xreallocarray(out, cap, sizeof *out);
			}
			out[(*n)++] = ro->members[k];
		}
	}
	strmap_clear(&seen);
	strmap_clear(&places);
	free(scalev);
	return out;
}

struct safety_memo {
	struct {
		char		 *key;
		const char	**m;
		size_t		  n;
		const char	 *why;
	}		 e[SAFETY_MEMO];
	size_t		 next;		/* the entry replaced next */
};

static char *
memo_key(char *const *roles, int min_scale, json_t *trigger)
{
	char	*pts = NULL, *key, *k2;
	size_t	 i;

	if (min_scale >= 0)
		pts = json_dumps(json_object_get(trigger, "points"),
		    JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	key = xprintf("%d\n%s", min_scale, pts != NULL ? pts : "");
	free(pts);
	for (i = 0; roles != NULL && roles[i] != NULL; i++) {
		k2 = xprintf("%s\n%s", key, roles[i]);
		free(key);
		key = k2;
	}
	return key;
}

const char *const *
safety_members_memo(const struct roster *r, char *const *roles,
    int min_scale, json_t *trigger, size_t *n, const char **why)
{
	struct safety_memo	*mm;
	char			*key;
	size_t			 i;

	*n = 0;
	*why = NULL;
	if (r == NULL)		/* no roster: nobody to ask */
		return NULL;
	mm = r->smemo;
	key = memo_key(roles, min_scale, trigger);
	if (mm == NULL)
		mm = ((struct roster *)r)->smemo = xcalloc(1, sizeof *mm);
	for (i = 0; i < SAFETY_MEMO; i++)
		if (mm->e[i].key != NULL && strcmp(mm->e[i].key, key) == 0) {
			free(key);
			*n = mm->e[i].n;
			*why = mm->e[i].why;
			return mm->e[i].m;
		}
	i = mm->next;
	mm->next = (i + 1) % SAFETY_MEMO;
	free(mm->e[i].key);
	free(mm->e[i].m);
	mm->e[i].key = key;
	mm->e[i].m = safety_members(r, roles, min_scale, trigger,
	    &mm->e[i].n, &mm->e[i].why);
	*n = mm->e[i].n;
	*why = mm->e[i].why;
	return mm->e[i].m;
}

void
safety_memo_free(struct safety_memo *mm)
{
	size_t i;

	if (mm == NULL)
		return;
	for (i = 0; i < SAFETY_MEMO; i++) {
		free(mm->e[i].key);
		free(mm->e[i].m);
	}
	free(mm);
}

static const char *const prefs[] = {
	"北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県",
	"茨城県", "栃木県", "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県",
	"新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県", "岐阜県",
	"静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府", "兵庫県",
	"奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県",
	"徳島県", "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県",
	"熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県", NULL
};
static const char *const place_ends[] = {
	"市", "区", "町", "村", "郡", "地方", "北部", "南部", "東部", "西部",
	"中部", "島", NULL
};

int
safety_area_known(const char *a)
{
	size_t i, n = strlen(a), k;

	for (i = 0; prefs[i] != NULL; i++)
		if (strcmp(prefs[i], a) == 0)
			return 1;
	for (i = 0; place_ends[i] != NULL; i++) {
		k = strlen(place_ends[i]);
		if (n > k && strcmp(a + n - k, place_ends[i]) == 0)
			return 1;
	}
	return 0;
}
