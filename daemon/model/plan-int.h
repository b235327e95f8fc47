/* Internal to the plan module: the declarative record tables that drive
 * loading (plan.c), YAML export (plan-export.c) and the JSON storage form
 * (plan-json.c). One table per record, as tmux's options-table, so a key
 * added to a table is loaded, stored, exported and freed without touching
 * the walkers. */
#ifndef KZ_PLAN_INT_H
#define KZ_PLAN_INT_H

#include <stddef.h>

#include "model/plan.h"

enum pf_type {
	PF_ID,		/* char *, [a-z0-9][a-z0-9_-]* */
	PF_TEXT,	/* char * */
	PF_DURATION,	/* int64_t seconds */
	PF_DATE,	/* int64_t ms, YYYY-MM-DD */
	PF_LEVEL,	/* int 1-4, 0 when absent */
	PF_COST,	/* int64_t >= 0 */
	PF_SHARE,	/* double 0-1 */
	PF_ENUM,	/* int index into names */
	PF_IDLIST,	/* char **, NULL-terminated */
	PF_LEVELMAP,	/* int[] indexed like names */
	PF_TEXTMAP,	/* char *[] indexed like names */
	PF_RECORD,	/* an embedded struct described by sub */
	PF_LIST		/* an array of sub, count at noff */
};

struct precord;

struct pfield {
	const char		*key;
	enum pf_type		 type;
	size_t			 off;
	int			 required;
	int			 positive;	/* durations: 0 is refused */
	int			 flow;		/* exported on one line */
	const char *const	*names;
	const struct precord	*sub;
	size_t			 noff;
};

struct precord {
	const char		*what;
	size_t			 size;
	const struct pfield	*fields;
};

/* The address of a field inside the record at base. */
#define AT(base, f)	((char *)(base) + (f)->off)

/* The whole plan file. */
extern const struct precord plan_file_rec;

/* A plan with every default in place and no lists. */
struct plan	*plan_new(void);
/* Initialises absent values; lists start empty. */
void		 plan_record_init(const struct precord *, void *);
/* Whether a field has a value worth writing. */
int		 plan_field_present(const struct pfield *, const void *);
/* Index of s in a NULL-terminated name table, or -1. */
int		 plan_name_index(const char *const *, const char *);
/* The first priority group whose bound does not climb, or -1. */
int		 plan_thresholds_bad(const struct plan *);

#endif
