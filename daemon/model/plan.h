/* The IT continuity plan (SPEC §9, guideline 2.3-2.9): loaded from YAML,
 * stored as JSON, checked against the guideline's rules and rendered.
 * Everything here is pure: no I/O, and the clock is passed in. */
#ifndef KZ_PLAN_H
#define KZ_PLAN_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common/duration.h"

struct diags;
struct ydoc;

/* An absent duration, date or cost. */
#define PLAN_NONE	INT64_MIN

/* Recovery priority groups of table 2.5-1, highest first. */
enum plan_prio { PRIO_S, PRIO_A, PRIO_B, PRIO_C, PRIO_D, PRIO_E, PLAN_NPRIO };
/* Supporting components of table 2.6-1. */
enum plan_comp {
	COMP_STAFF, COMP_OPERATIONS, COMP_FACILITY, COMP_NETWORK,
	COMP_PERIPHERALS, COMP_HARDWARE, COMP_SOFTWARE, COMP_SYSTEM_DATA,
	COMP_BUSINESS_DATA, COMP_CONTRACTORS, PLAN_NCOMP
};
/* Resources of the damage assumptions, tables 2.4-1..3. */
enum plan_res {
	RES_STAFF, RES_BUILDING, RES_TRANSPORT, RES_POWER, RES_WATER,
	RES_NETWORK, RES_HARDWARE, RES_DATA, RES_CONTRACTORS, PLAN_NRES
};
enum plan_kind { KIND_BUSINESS, KIND_INFRASTRUCTURE, KIND_EXTERNAL };
enum plan_etype { ETYPE_DISASTER, ETYPE_SECURITY, ETYPE_PANDEMIC,
	ETYPE_OTHER };
enum plan_status { CM_PLANNED, CM_IN_PROGRESS, CM_DONE, CM_CANCELLED };
enum plan_dtype { DRILL_WALKTHROUGH, DRILL_SCENARIO, DRILL_RESTORE,
	DRILL_SWITCHOVER };

/* NULL-terminated name tables, indexed by the enums above. */
extern const char *const plan_prio_names[];
extern const char *const plan_comp_names[];
extern const char *const plan_res_names[];
extern const char *const plan_kind_names[];
extern const char *const plan_etype_names[];
extern const char *const plan_status_names[];
extern const char *const plan_dtype_names[];

/* Durations are seconds, dates milliseconds at 00:00 UTC of the day,
 * levels 1-4 with 0 for "not given"; PLAN_NONE marks an absent value. */
struct plan_header {
	char	*organization;
	char	*title;
	char	*scope;
	int64_t	 review_every;
	int64_t	 last_review;
	char	*note;
};

struct plan_event {
	char	*id;
	int	 type;			/* enum plan_etype */
	char	*title;
	char	*assumptions[PLAN_NRES];
	char	*note;
};

struct plan_task {
	char	*id;
	char	*title;
	int64_t	 rto;
	char	*alternative;
	char	*note;
};

struct plan_system {
	char	 *id;
	char	 *title;
	int	  kind;			/* enum plan_kind */
	char	 *rlo;
	int64_t	  rto;			/* explicit; PLAN_NONE when derived */
	char	**supports;		/* task ids, NULL-terminated or NULL */
	char	**depends_on;		/* system ids */
	int	  components[PLAN_NCOMP];	/* current level, 0 = none */
	char	 *note;
};

struct plan_cm {
	char	*id;
	char	*title;
	char	*system;
	int	 component;		/* enum plan_comp */
	int	 target;
	int64_t	 due;
	int	 status;		/* enum plan_status */
	int64_t	 cost;
	char	*note;
};

struct plan_drill {
	int	 type;			/* enum plan_dtype */
	int64_t	 every;
	int64_t	 last;
	char	*note;
};

struct plan {
	struct plan_header	 hdr;
	int64_t			 prio_max[PLAN_NPRIO - 1]; /* S..D bounds */
	/* Target level ladders: row 0 is the default, row 1 + c the
	 * optional ladder of component c (0 = use the default). */
	int			 levels[PLAN_NCOMP + 1][PLAN_NPRIO];
	double			 max_s_share;
	struct plan_event	*events;
	size_t			 nevents;
	struct plan_task	*tasks;
	size_t			 ntasks;
	struct plan_system	*systems;
	size_t			 nsystems;
	struct plan_cm		*cms;
	size_t			 ncms;
	struct plan_drill	*drills;
	size_t			 ndrills;
};

/* plan.c: loading, storage and export. */
/* Returns NULL when the document has errors (all of them in diags).
 * Unknown references are not load errors: plan_check reports them. */
struct plan	*plan_load(const struct ydoc *, struct diags *);
struct plan	*plan_parse(const char *file, const char *text, size_t len,
		    struct diags *);
void		 plan_free(struct plan *);
/* YAML text that plan_parse reads back to the same plan; NULL only if
 * libyaml's emitter fails. */
char		*plan_export_yaml(const struct plan *);
/* The storage form (SQLite) and back; plan_from_json returns NULL with
 * *why (caller frees) when the JSON is not a plan. */
json_t		*plan_to_json(const struct plan *);
struct plan	*plan_from_json(const json_t *, char **why);

int		 plan_find_system(const struct plan *, const char *id);
int		 plan_find_task(const struct plan *, const char *id);
int		 plan_has_system(const struct plan *, const char *id);
const char	*plan_system_title(const struct plan *, const char *id);
/* True when the plan's names are Japanese (non-ASCII): reports follow. */
int		 plan_is_japanese(const struct plan *);

/* Durations as in SPEC, plus years ("1y" = 365d) for review cycles. */
int		 plan_duration_parse(const char *, int64_t *, const char **why);
/* Dates are exactly YYYY-MM-DD. buf needs 11 bytes. */
int		 plan_date_parse(const char *, int64_t *ms);
const char	*plan_date_fmt(int64_t ms, char *buf, size_t len);

/* plan-check.c: derivations (guideline 2.5.2-2.7.1) and checks. */
struct plan_sysinfo {
	int64_t	 derived_rto;	/* shortest RTO of its known tasks */
	int64_t	 rto;		/* effective: explicit or derived */
	int	 prio;		/* enum plan_prio, -1 without an RTO */
	int	 current;	/* weakest listed component, 0 if none */
	int	 target;	/* default ladder at prio, 0 without one */
	int	 targets[PLAN_NCOMP];	/* per listed component, or 0 */
	int	 reaches_task;	/* supports a task, directly or through
				   the systems that depend on it */
};
struct plan_gap {
	size_t	 sys;		/* index into plan->systems */
	const char *system;	/* its id (points into the plan) */
	int	 comp;
	int	 prio;
	int	 current;
	int	 target;
	int	 covered;	/* an open countermeasure reaches target */
};
struct plan_eval {
	struct plan_sysinfo	*sys;	/* one per plan->systems */
	struct plan_gap		*gaps;	/* highest priority first */
	size_t			 ngaps;
};
struct plan_eval *plan_eval(const struct plan *);
void		 plan_eval_free(struct plan_eval *);
int		 plan_priority(const struct plan *, int64_t rto);
int		 plan_target_level(const struct plan *, int comp, int prio);
/* The ids of the plan's systems, NULL-terminated (allocated array of
 * borrowed strings). */
char		**plan_system_ids(const struct plan *);
/* The system's effective RTO in seconds, -1 when unknown. */
int64_t		 plan_system_rto(const struct plan *, const char *id);
/* {"errors": [{"code","subject","message"}], "warnings": [...],
 *  "notes": [...]}: notes are the gaps, which are findings, not faults. */
json_t		*plan_check(const struct plan *, int64_t now_ms);
/* Parses a plan and runs plan_check on it: load errors and check errors
 * go to diags at the position of the record they concern (FILE:LINE:COL:
 * plan check: ...). NULL when there was any error; with *check (may be
 * NULL) the plan_check result, or {"errors": [load errors as code
 * "load"]} when the text did not load. */
struct plan	*plan_parse_checked(const char *file, const char *text,
		    size_t len, int64_t now_ms, struct diags *,
		    json_t **check);
/* Counts errors and warnings of a plan_check result. */
void		 plan_check_counts(const json_t *, size_t *errors,
		    size_t *warnings);

/* plan-report.c: what = tasks | systems | gaps | countermeasures |
 * events | drills; NULL with *why (static) for anything else. */
json_t		*plan_show(const struct plan *, const char *what,
		    const char **why);
/* format md (default when NULL) or html; NULL with *why (static). */
char		*plan_report(const struct plan *, const char *format,
		    int64_t now_ms, const char **why);

#endif
