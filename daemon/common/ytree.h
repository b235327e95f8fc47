/* A YAML document as a tree of nodes that remember their positions, so
 * every loader can say FILE:LINE:COL. Parsing is libyaml's; this only
 * reshapes its document graph and offers typed getters that report. */
#ifndef KZ_YTREE_H
#define KZ_YTREE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct diags;

enum ytype { Y_SCALAR, Y_MAP, Y_SEQ };

struct ynode {
	enum ytype	  type;
	int		  line;		/* 1-based */
	int		  col;		/* 1-based */
	char		 *str;		/* scalar text (NUL-terminated) */
	int		  plain;	/* unquoted scalar: may be a number etc. */
	size_t		  n;		/* items (seq) or pairs (map) */
	struct ynode	**items;	/* seq items, or map values */
	struct ynode	**keys;		/* map keys (scalars) */
};

struct ydoc {
	char		*file;
	struct ynode	*root;		/* NULL for an empty document */
};

/* Parse text; syntax errors, non-scalar and duplicate keys go to diags.
 * Returns NULL when the text is not usable YAML. */
struct ydoc	*ydoc_parse(const char *file, const char *text, size_t len,
		    struct diags *);
struct ydoc	*ydoc_load(const char *path, struct diags *);
void		 ydoc_free(struct ydoc *);
/* Reads a whole file; NULL with errno set on failure. */
char		*read_file(const char *path, size_t *len);

const char	*ytype_name(enum ytype);
struct ynode	*ymap_get(const struct ynode *, const char *key);
const char	*yscalar(const struct ynode *);
/* Plain scalars become null/bool/integer/real where they look like one
 * (YAML 1.2 core schema); quoted scalars are always strings. */
json_t		*ynode_json(const struct ynode *);

/* Reports every key of map not in allowed (NULL-terminated); returns how
 * many. `what` names the map in messages ("step", "runbook"). */
int	 ycheck_keys(struct diags *, const char *file, const struct ynode *map,
	    const char *const *allowed, const char *what);
/* Each getter: absent key -> returns 0 and leaves *out (error if required);
 * wrong type -> error, returns -1; found -> 1. */
int	 yget_node(struct diags *, const char *file, const struct ynode *map,
	    const char *key, enum ytype, int required, struct ynode **out);
int	 yget_str(struct diags *, const char *file, const struct ynode *map,
	    const char *key, int required, const char **out);
int	 yget_duration(struct diags *, const char *file,
	    const struct ynode *map, const char *key, int required,
	    int64_t *out);
int	 yget_bool(struct diags *, const char *file, const struct ynode *map,
	    const char *key, int required, int *out);
int	 yget_int(struct diags *, const char *file, const struct ynode *map,
	    const char *key, int required, long long min, long long max,
	    long long *out);
/* A list of scalars (a single scalar is accepted as a one-item list);
 * *out is a NULL-terminated array the caller frees with strv_free. */
int	 yget_strlist(struct diags *, const char *file,
	    const struct ynode *map, const char *key, int required,
	    char ***out, size_t *n);
/* Checks an identifier: [a-z0-9][a-z0-9_-]* */
int	 valid_id(const char *);
void	 strv_free(char **);
size_t	 strv_len(char *const *);
int	 strv_has(char *const *, const char *);

#endif
