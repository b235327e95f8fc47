/* Scenario drills (シナリオ非提示型訓練, SPEC §10): a runbook run as a drill
 * with injects revealed to participants only when they fall due. */
#ifndef KZ_SCENARIO_H
#define KZ_SCENARIO_H

#include <jansson.h>
#include <stdint.h>

struct diags;
struct rbset;
struct roster;

struct inject {
	int64_t	 at_s;		/* offset from the start of the drill */
	char	*text;
	char	*to;		/* "role:X", member, or NULL: everyone */
};

struct scenario {
	char		*id;
	char		*title;
	char		*runbook;
	json_t		*trigger;	/* object or NULL */
	json_t		*vars;		/* object or NULL */
	struct inject	*injects;
	size_t		 ninjects;
	char		*file;
};

/* Loads and checks one scenario; references are checked against the
 * runbooks and roster when given. NULL on errors (in diags). */
struct scenario	*scenario_load(const char *path, const struct rbset *,
		    const struct roster *, struct diags *);
void		 scenario_free(struct scenario *);
/* Checks every *.yaml in dir; returns how many loaded. */
size_t		 scenario_check_dir(const char *dir, const struct rbset *,
		    const struct roster *, struct diags *);
/* Finds scenario NAME (its id, or its file name without .yaml) in dir. */
struct scenario	*scenario_find(const char *dir, const char *name,
		    const struct rbset *, const struct roster *,
		    struct diags *);
/* [{"id","title","runbook","file","injects"}] of every valid one. */
json_t		*scenario_list(const char *dir, const struct rbset *,
		    const struct roster *);

#endif
