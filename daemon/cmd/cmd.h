/* Commands: a request from any front end, the dispatcher, and one
 * handler per line of the command list (proto/commands.h). */
#ifndef KZ_CMD_H
#define KZ_CMD_H

#include <jansson.h>
#include <stdint.h>

#include "core/batch.h"
#include "proto/proto.h"

struct kz_daemon;
struct incident;
struct runbook;
struct actx;

/* A request from any front end (socket or HTTP). */
struct kz_req {
	const struct kz_cmdspec	*spec;
	json_t			*params;	/* object */
	char			*actor;		/* who is calling */
	char			*member;	/* --as: acting for */
	int			 admin;
	const char		*via;		/* "socket", "http" */
	char			*next;		/* set by a list: next page */
};

/* Runs the command of r->spec; fn(arg, status, body) gets the answer
 * after its changes are committed (at once for a read, or a refusal).
 * body is the callback's, which must json_decref it. */
void	 kz_dispatch(struct kz_daemon *, struct kz_req *, kz_reply_fn,
	    void *arg);

/* Parameters. */
const char	*req_str(const struct kz_req *, const char *);
int		 req_bool(const struct kz_req *, const char *);
int		 req_id(const struct kz_req *, const char *, int64_t *);
/* A list's page: limit (KZ_PAGE_DEFAULT if absent, 1..KZ_PAGE_MAX) and
 * the numeric cursor after (0: from the start). 0, or 400 with *body. */
int		 req_page(const struct kz_req *, int64_t *limit, int64_t *after,
		    json_t **body);
/* rows was read with limit + 1: when it has more than limit, the extra
 * one goes and r->next becomes the cursor of the last kept (key). */
void		 req_page_end(struct kz_req *, json_t *rows, int64_t limit,
		    const char *key);
/* Who acts, when, on what roster: the engine's view of a request. */
void		 kz_actx(struct kz_daemon *, const struct kz_req *,
		    struct actx *);

/* Rows of the store as the commands show them: "drill" as a boolean,
 * each of times (NULL-terminated) in RFC 3339, null when unset. */
void		 kz_rows_view(json_t *rows, const char *const *times);

/* A handler answers an HTTP-like status and sets *body (an error body
 * {"error": ...} for >= 400; NULL is an empty object). */
typedef int kz_cmd_fn(struct kz_daemon *, struct kz_req *, json_t **body);

/* cmd-misc.c */
kz_cmd_fn	cmd_status, cmd_runbooks, cmd_roster, cmd_reload, cmd_verify,
		cmd_notifications, cmd_inbox, cmd_clock;
/* cmd-incident.c */
kz_cmd_fn	cmd_activate, cmd_confirm, cmd_close, cmd_step, cmd_assign,
		cmd_respond, cmd_incidents, cmd_show, cmd_log;
/* report.c */
kz_cmd_fn	cmd_report;
/* cmd-exception.c */
kz_cmd_fn	cmd_exception_add, cmd_exception_decide,
		cmd_exception_resolve, cmd_exceptions;
/* cmd-plan.c */
kz_cmd_fn	cmd_plan_import, cmd_plan_export, cmd_plan_check,
		cmd_plan_show, cmd_plan_report;
/* cmd-drill.c */
kz_cmd_fn	cmd_drill_start, cmd_drill_list;
/* cmd-sitrep.c */
kz_cmd_fn	cmd_sitrep;
/* cmd-rota.c */
kz_cmd_fn	cmd_oncall, cmd_rota_show, cmd_rota_override, cmd_rota_overrides,
		cmd_rota_drop, cmd_rota_ics, cmd_team_out, cmd_team_back;
/* cmd-safety.c */
kz_cmd_fn	cmd_safety;
/* cmd-maint.c */
kz_cmd_fn	cmd_sources, cmd_maint_add, cmd_maint_list, cmd_maint_end;

/* The handler of a command (never NULL for an id < KZ_CMD_COUNT). */
kz_cmd_fn	*kz_cmd_handler(enum kz_cmd_id);

/* An incident as `show` shows it (SPEC §5); a new reference. */
json_t	*kz_show_json(struct kz_daemon *, struct incident *);
/* The line `log` prints for an event; allocated. */
char	*kz_event_text(const char *type, json_t *data);

#endif
