/* Runbooks (SPEC §3): the declarative plan of one kind of response. A
 * loaded runbook is immutable; incidents keep the version (by content
 * hash) they started with. */
#ifndef KZ_RUNBOOK_H
#define KZ_RUNBOOK_H

#include <jansson.h>
#include <stdint.h>

struct diags;
struct matcher;
struct tmpl;
struct roster;

enum step_type {
	ST_TASK, ST_APPROVAL, ST_ACTION, ST_NOTIFY, ST_ASSEMBLE, ST_WAIT,
	ST_EXCEPTION, ST_SAFETY,
};
enum on_timeout { OT_ESCALATE, OT_FAIL, OT_SKIP, OT_CONTINUE };
enum act_mode { AM_AUTO, AM_CONFIRM };

struct rb_activation {
	char		*source;
	struct matcher	*match;
	json_t		*match_json;	/* for `runbooks` and storage */
	enum act_mode	 mode;
	char		*confirm_by;	/* "role:X" or member id, or NULL */
	struct tmpl	*key;		/* NULL: the format's fingerprint */
	int64_t		 window_s;	/* dedup window; default 6h */
	int		 line;
};

/* A role's quota in an assemble step. */
struct rb_quota {
	char		*role;
	int		 quota;
};

struct rb_step {
	char		*id;
	char		*title;
	char		*note;
	enum step_type	 type;
	char		**needs;	/* NULL-terminated */
	int		*need_idx;	/* indexes of needs */
	size_t		 nneeds;
	struct matcher	*when;
	char		*assign;	/* "role:X", "member" or NULL */
	int64_t		 escalate_after_s; /* 0: none */
	int64_t		 timeout_s;	/* 0: none */
	enum on_timeout	 on_timeout;
	int64_t		 remind_s;	/* 0: none */
	char		*action;	/* type action */
	/* with: as written, templated strings inside: an action's (its
	 * plugin's keys) and an exception's (the measure); NULL for the
	 * other types, whose with: is typed and checked at load (u). */
	json_t		*with;
	union {
		struct {
			char	*text;		/* a template */
			char	*to;		/* "role:X", member or NULL */
			json_t	*channels;	/* as written, or NULL */
		} notify;
		struct {
			int64_t	 duration_s;
		} wait;
		struct {
			struct rb_quota	*roles;	/* in the order written */
			size_t		 nroles;
			int64_t		 callout_s; /* how long a call-out
						      waits for an answer
						      (with.escalate_after,
						      else escalate_after);
						      0: for ever */
		} assemble;
		struct {
			int64_t	 revert_by_s;
		} exception;
		struct {
			char	**roles;	/* NULL-terminated */
			json_t	*areas;		/* as written, for the
						   log; NULL: everyone */
			int	 min_scale;	/* P2P scale; -1: no
						   areas */
			int64_t	 remind_s;	/* 0: no reminders */
			int	 max_reminders;	/* default 3 */
			int	 done_pct;	/* 1..100, default 100 */
		} safety;
	} u;
	int		 drill_run;	/* run the action for real in drills */
	int		 retry_attempts; /* total attempts, >= 1 */
	int64_t		 retry_backoff_s;
	char		**restores;	/* systems whose RTO clock it stops */
	int		 line;
};

/* A runbook has at most this many steps (checked before any is loaded,
 * so that a hostile file costs little; real ones have tens). */
#define RB_MAX_STEPS	1000

struct runbook {
	char			*id;
	char			*title;
	char			*kind;
	char			*owner;		/* "role:X" or member id */
	char			**activators;	/* who may activate (refs);
						   NULL: the owner */
	char			**systems;
	struct rb_activation	*acts;
	size_t			 nacts;
	json_t			*vars;		/* defaults (object) */
	struct rb_step		*steps;
	size_t			 nsteps;
	char			*file;
	char			*source;	/* the YAML text, for storage */
	char			 hash[65];	/* sha256 of source */
	int			 refs;
};

/* Things the loader checks references against; any may be NULL. */
struct rb_context {
	const struct roster	*roster;
	char *const		*sources;	/* configured source names */
	char *const		*channels;	/* configured channel names */
	char *const		*systems;	/* the plan's system ids */
	/* those whose triggers carry seismic intensity by place (P2P,
	 * JMA): a safety step's areas need one; NULL: not checked */
	char *const		*point_sources;
	/* Checks an action step's "with" (the plugins know their keys):
	 * 0, or -1 with *why (caller frees). NULL: not checked. */
	int			(*check_action)(const void *arg,
				    const char *action, json_t *with,
				    char **why);
	const void		*check_arg;
};

/* Loads a runbook from text; NULL when it has errors (in diags). */
struct runbook	*runbook_parse(const char *file, const char *text, size_t len,
		    const struct rb_context *, struct diags *);
struct runbook	*runbook_load(const char *path, const struct rb_context *,
		    struct diags *);
struct runbook	*runbook_ref(struct runbook *);
void		 runbook_unref(struct runbook *);
int		 runbook_step_index(const struct runbook *, const char *id);
/* Whether member may activate rb (its activators:, else its owner);
 * admins always may. */
int		 runbook_may_activate(const struct runbook *,
		    const struct roster *, const char *member, int admin);
/* "role:it-lead, role:ciso" (allocated), for messages. */
char		*runbook_activators_text(const struct runbook *);
const char	*step_type_name(enum step_type);
const char	*on_timeout_name(enum on_timeout);
/* The runbooks summary of SPEC §5 `runbooks`. */
json_t		*runbook_json(const struct runbook *);

/* The set of current runbooks, swapped whole on reload. */
struct rbset {
	struct runbook	**v;
	size_t		  n;
	char		**errors;	/* load errors, FILE:LINE:COL: ... */
	size_t		  nerrors;
};
/* Loads every *.yaml in dir (sorted). Invalid runbooks are skipped and
 * their errors kept; with prev, a file that fails keeps its previous
 * version in force (by runbook id / file). Duplicate ids are errors. */
struct rbset	*rbset_load(const char *dir, const struct rb_context *,
		    const struct rbset *prev);
void		 rbset_free(struct rbset *);
struct runbook	*rbset_find(const struct rbset *, const char *id);

#endif
