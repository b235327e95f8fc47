/* A map from strings to indices (open addressing, FNV-1a): the lookups
 * that must stay O(1) when a roster or a call-out has tens of thousands
 * of members. Keys are borrowed: they must outlive the map. */
#ifndef KZ_STRMAP_H
#define KZ_STRMAP_H

#include <stddef.h>

struct strmap {
	const char	**keys;
	size_t		 *vals;
	size_t		  cap;		/* a power of two, or 0 */
	size_t		  n;
};

/* Adds key (or replaces its value). */
void	strmap_put(struct strmap *, const char *key, size_t val);
/* 1 and *val when present, else 0. */
int	strmap_get(const struct strmap *, const char *key, size_t *val);
void	strmap_clear(struct strmap *);

#endif
