/* Safety confirmation (安否確認, SPEC §18): who a safety step asks. Pure:
 * the roster, the step's typed with: and the trigger in, members out. */
#ifndef KZ_SAFETY_H
#define KZ_SAFETY_H

#include <jansson.h>
#include <stddef.h>

struct roster;

/* The members a safety step asks, in roster order of its roles
 * (NULL-terminated), each once: with min_scale >= 0 (areas.min_scale),
 * only those whose `area` had at least that
 * scale (P2P scale codes: 45 is 震度5弱, 50 震度5強) among the trigger's
 * points (a point names its prefecture, `pref`, and its place, `addr`).
 * *why (static) says why everyone was asked although areas were given
 * (the trigger has no points), else NULL. The array is allocated; its
 * strings belong to the roster. */
const char	**safety_members(const struct roster *, char *const *roles,
		    int min_scale, json_t *trigger, size_t *n,
		    const char **why);
/* The same list, kept by the roster (the last few asked for, keyed by
 * roles, min_scale and the trigger's points): a safety check's batches
 * each take a slice of it, so that asking N members costs O(N), not a
 * new list of N per batch of ENGINE_FANOUT_BATCH. The array belongs to
 * the roster and lasts until the roster is freed or SAFETY_MEMO further
 * different lists were asked for. */
#define SAFETY_MEMO	4
struct safety_memo;
const char *const *safety_members_memo(const struct roster *,
		    char *const *roles, int min_scale, json_t *trigger,
		    size_t *n, const char **why);
void		 safety_memo_free(struct safety_memo *);
/* A done_at value: "95%" or 95 -> 95; NULL -> 100; -1 when
 * malformed. */
int		 safety_done_pct(json_t *);
/* The P2P scale of a 震度 label or code ("5-", "5弱", 45) or -1. */
int		 safety_scale_parse(json_t *);

/* Whether a point of JMA or P2P could name this area: a prefecture, or
 * a place (市 区 町 村 郡) or JMA region (地方, 北部, 南部, ...). */
int		 safety_area_known(const char *);

#endif
