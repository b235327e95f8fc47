/* JMA disaster-prevention XML (気象庁防災情報XML, SPEC §15): the Atom feed
 * that lists the documents, and the decoders that turn earthquake and
 * tsunami documents into triggers shaped like P2P地震情報's reports. Pure:
 * libxml2 and jansson only, no I/O, no clock.
 *
 * Every document is parsed with the network off, no DTD loaded and no
 * entity substituted; a document that declares a DTD at all (internal
 * subset, external subset or entity) is refused before any of it is
 * expanded, so neither billion laughs nor an external entity (XXE) can
 * get anywhere. JMA's documents never carry one. */
#ifndef KZ_JMA_H
#define KZ_JMA_H

#include <stddef.h>
#include <stdint.h>

#include "model/hooks.h"

/* The largest feed or document accepted (a 震源・震度に関する情報 of a
 * great earthquake lists thousands of stations: 400 KB and more). */
#define JMA_MAX_XML	(8 * 1024 * 1024)

enum jma_type {
	JMA_OTHER,
	JMA_VXSE51,	/* 震度速報 */
	JMA_VXSE52,	/* 震源に関する情報 */
	JMA_VXSE53,	/* 震源・震度に関する情報 */
	JMA_VTSE41,	/* 津波警報・注意報・予報 */
	JMA_VTSE51,	/* 津波情報 */
};

struct jma_entry {
	char		*id;		/* Atom id */
	char		*url;		/* the document (link href, else id) */
	char		*title;
	int64_t		 updated;	/* ms; 0 when the entry has none */
	enum jma_type	 type;		/* from the file name of url */
};

struct jma_feed {
	struct jma_entry	*v;
	size_t			 n;
	int64_t			 newest;	/* the latest entry's updated */
};

/* Parses an Atom feed. 0, or -1 with *why ("XML error at line L column
 * C: ...", "not an Atom feed", "a DTD is not allowed ..."). Entries
 * without a URL are skipped; every other one is listed, whatever its
 * type. */
int		 jma_feed_parse(const char *xml, size_t len, struct jma_feed *,
		    char **why);
void		 jma_feed_free(struct jma_feed *);

/* "VXSE53" as JMA names its files (…_VXSE53_…xml): JMA_OTHER for any
 * other name. */
enum jma_type	 jma_type_from_url(const char *url);
const char	*jma_type_name(enum jma_type);

/* Decodes one earthquake or tsunami document into one trigger (*n = 1).
 * The type is read from the document itself (Control/Title); a document
 * of any other kind, malformed XML or a refused DTD is -1 with *why. The
 * trigger's document:
 *   quake (VXSE51/52/53): {code: 551, issue, earthquake: {time,
 *     hypocenter: {name, latitude, longitude, depth, magnitude},
 *     maxScale, domesticTsunami, foreignTsunami}, points: [{pref, addr,
 *     scale, isArea}], jma}
 *   tsunami (VTSE41/51): {code: 552, issue, cancelled, areas: [{name,
 *     code, grade, kind, immediate, firstHeight, maxHeight}],
 *     earthquake?, observations (VTSE51), jma}
 *   jma: {type, status, info_type, event_id, serial, title, headline,
 *     report_at}
 * with P2P's scale codes (10 … 70; 46: 5弱 or more, not yet received)
 * and P2P's times ("YYYY/MM/DD hh:mm:ss", JST). Control/Status 訓練 or
 * 試験 marks a drill, Head/InfoType 訂正 a correction, 取消 a
 * cancellation (its document carries only issue, jma and text). */
int		 jma_decode(const char *xml, size_t len, struct trigger **out,
		    size_t *n, char **why);

#endif
