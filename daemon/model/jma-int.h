/* Shared by the JMA decoders (jma-xml.c, jma-quake.c, jma-tsunami.c):
 * the refusing parser and small helpers over libxml2's tree. */
#ifndef KZ_JMA_INT_H
#define KZ_JMA_INT_H

#include <jansson.h>
#include <libxml/tree.h>

#include "model/jma.h"

/* One parsed document and what every decoder reads from it. */
struct jx_report {
	xmlDoc		*doc;
	xmlNode		*control, *head, *body;
	enum jma_type	 type;
	char		*status;	/* Control/Status: 通常 訓練 試験 */
	char		*info_type;	/* Head/InfoType: 発表 訂正 取消 */
	char		*event_id;	/* Head/EventID */
	json_t		*issue;		/* P2P-style issue (source, time) */
	json_t		*jma;		/* the "jma" member */
};

/* Parses with the network off and refuses any DTD; NULL and *why. */
xmlDoc	*jx_parse(const char *buf, size_t len, char **why);
/* The first element child (or, for jx_next, the next element sibling)
 * with this local name, whatever its namespace; NULL if none. */
xmlNode	*jx_child(const xmlNode *, const char *name);
xmlNode	*jx_next(const xmlNode *, const char *name);
/* jx_child down a path of names separated by '/'. */
xmlNode	*jx_path(const xmlNode *, const char *path);
/* The trimmed text of a node, allocated; NULL for no node. */
char	*jx_text(const xmlNode *);
/* The trimmed text as a JSON string ("" for no node). */
json_t	*jx_jstr(const xmlNode *);
/* An attribute, allocated, or NULL. */
char	*jx_attr(const xmlNode *, const char *name);
/* An ISO 8601 time with offset as P2P writes times: "YYYY/MM/DD
 * hh:mm:ss" in JST; json null when absent or unparsable. */
json_t	*jx_p2ptime(const xmlNode *);
/* A number that JSON can hold, or dflt (NaN, "不明", garbage). */
json_t	*jx_number(const xmlNode *, double dflt);
/* JMA's seismic intensity ("5-", "6+", "震度５弱以上未入電") as P2P's
 * scale code (45, 60, 46); -1 when unknown. */
int	 jx_scale(const char *);

int	 jma_quake(struct jx_report *, json_t *doc, struct trigger *,
	    char **why);
int	 jma_tsunami(struct jx_report *, json_t *doc, struct trigger *,
	    char **why);

#endif
