/* Matchers (SPEC §3): a map from a dotted path to a value (equality) or
 * an operator map: =, !=, =~, !~ (POSIX ERE, whole string), >, >=, <, <=,
 * in, not_in, exists, any. All entries must hold. */
#ifndef KZ_MATCHER_H
#define KZ_MATCHER_H

#include <jansson.h>

struct diags;
struct ynode;
struct matcher;

/* Decides whether a top-level path may be used; returns 0 when it may,
 * else -1 with *why set to an allocated message. Paths inside `any` are
 * relative to the array element and are not checked. */
typedef int (*path_check_fn)(const char *path, void *arg, char **why);

/* Compiles the matcher at node (must be a map). Problems go to diags with
 * their positions in file; returns NULL if there were any. check may be
 * NULL (any path allowed). */
struct matcher	*matcher_compile(const struct ynode *, const char *file,
		    struct diags *, path_check_fn check, void *arg);
/* Compiles from JSON (no positions); for matchers stored in the database.
 * Returns NULL and sets *why (allocated) on error. */
struct matcher	*matcher_compile_json(json_t *, char **why);
/* True (1) when every entry holds against ctx, else 0. A missing path
 * fails every operator except != , not_in and exists: false. */
int		 matcher_eval(const struct matcher *, json_t *ctx);
void		 matcher_free(struct matcher *);

/* Looks up a dotted path ("labels.alertname", "points.0.scale") in ctx:
 * object keys, and decimal indexes into arrays. NULL when absent. */
json_t		*json_path(json_t *ctx, const char *path);

#endif
