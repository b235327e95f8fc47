/* Diagnostics collected while loading files: "FILE:LINE:COL: message". */
#ifndef KZ_DIAG_H
#define KZ_DIAG_H

#include <stddef.h>

struct ynode;

struct diags {
	char	**msgs;
	size_t	  n;
	size_t	  nerrors;	/* warnings are in msgs too, prefixed */
};

void	 diag_error(struct diags *, const char *file, int line, int col,
	    const char *, ...) __attribute__((format(printf, 5, 6)));
void	 diag_warn(struct diags *, const char *file, int line, int col,
	    const char *, ...) __attribute__((format(printf, 5, 6)));
/* At a node's position (line/col 0 when node is NULL). */
void	 diag_node(struct diags *, const char *file, const struct ynode *,
	    const char *, ...) __attribute__((format(printf, 4, 5)));
void	 diag_node_warn(struct diags *, const char *file,
	    const struct ynode *, const char *, ...)
	    __attribute__((format(printf, 4, 5)));
void	 diag_merge(struct diags *, struct diags *from);
void	 diag_free(struct diags *);

#endif
