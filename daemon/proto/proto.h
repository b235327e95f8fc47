/* The control protocol shared by keizokud and keizoku.
 *
 * A frame is a 4-byte big-endian length followed by that many bytes of
 * UTF-8 JSON. The client sends one request frame and reads one response
 * frame; a connection may carry several in turn.
 *
 *   request:  {"v": 1, "cmd": "ack", "params": {"incident": "7",
 *              "step": "decide", "note": "..."}, "as": "tanaka" | null}
 *   response: {"v": 1, "status": 200, "body": <JSON>}
 *
 * status follows HTTP (SPEC §11): 2xx done, 400 bad input, 403 not
 * allowed, 404 unknown, 409 wrong state, 503 storage unavailable; on an
 * error body is {"error": "message"}. The same command table
 * (commands.h, expanded in cmdtab.c) maps every command to its REST
 * route, so the HTTP API and the socket carry the same params and answer
 * the same bodies. */
#ifndef KZ_PROTO_H
#define KZ_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "proto/commands.h"

#define KZ_PROTO_VERSION	1
#define KZ_REQUEST_MAX		(4 * 1024 * 1024)
#define KZ_RESPONSE_MAX		(256 * 1024 * 1024)

/* Lists come in pages (--limit N --after CURSOR): at most KZ_PAGE_MAX
 * items, KZ_PAGE_DEFAULT when no limit is given. When more follow, the
 * response carries the cursor of the next page: "next" in the control
 * frame, the X-Keizoku-Next header (and a Link rel="next") over HTTP. */
#define KZ_PAGE_DEFAULT		1000
#define KZ_PAGE_MAX		10000

/* Flag kinds. */
#define KZ_F_BOOL	0	/* --drill            -> "drill": true */
#define KZ_F_STR	1	/* --note TEXT        -> "note": "TEXT" */
#define KZ_F_LIST	2	/* --var K=V (repeat) -> "var": ["K=V", ...] */

struct kz_flagspec {
	const char	*name;		/* without "--"; dashes become _ */
	int		 kind;
	const char	*help;
};

/* Every command's id (commands.h): indexes the specs, the daemon's
 * handlers and the client's printers. */
enum kz_cmd_id {
#define KZ_CMD_ID(id, ...)	KZ_CMD_##id,
	KZ_COMMANDS(KZ_CMD_ID)
#undef KZ_CMD_ID
	KZ_CMD_COUNT
};

struct kz_cmdspec {
	enum kz_cmd_id			 id;
	const char			*name;	/* "ack", "exception add" */
	const char			*args[3]; /* positional param names */
	int				 min_args;
	const struct kz_flagspec	*flags;	/* {NULL}-terminated */
	const char			*method; /* REST */
	const char			*path;	/* "/v1/incidents/{incident}" */
	const char			*readfile; /* param holding a path the
						    client reads into
						    "content" */
	int				 write;	/* changes state */
	const char			*help;
};

/* By id, in the order of commands.h, ended by an entry whose name is
 * NULL (kz_cmdspecs[KZ_CMD_COUNT]). */
extern const struct kz_cmdspec kz_cmdspecs[KZ_CMD_COUNT + 1];

/* Finds the command named by argv (one or two words); *used says how many
 * words the name took. NULL when unknown. */
const struct kz_cmdspec	*kz_cmdspec_find(int argc, char *const *argv,
			    int *used);
const struct kz_cmdspec	*kz_cmdspec_byname(const char *);
/* Writes 4-byte big-endian length. */
void			 kz_put_be32(unsigned char *, uint32_t);
uint32_t		 kz_get_be32(const unsigned char *);

#endif
