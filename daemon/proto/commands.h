/* Every command of keizoku, declared once (in the manner of tmux's
 * cmd_entry). The line of a command says all that the client, the
 * daemon and the HTTP front end need to agree on:
 *
 *   C(ID, name, positional params, how many are required, flags,
 *     REST method, REST route, readfile, write, help,
 *     handler (daemon, cmd/), printer (client, client/print*.c))
 *
 * The list is expanded three times: into enum kz_cmd_id and the specs
 * (proto/cmdtab.c, shared), into the daemon's handler table (cmd/cmd.c)
 * and into the client's printer table (client/print.c). Each table is
 * indexed by the id with designated initializers, so a handler or
 * printer that does not exist fails the build, and a command cannot be
 * served by the handler of another.
 *
 * To add a command: a line here (its flags, if new, in cmdtab.c), a
 * handler in cmd/cmd-*.c declared in cmd/cmd.h, a printer in
 * client/print-*.c declared in client/keizoku.h (cli_print_generic_cmd
 * shows any body). Order here is the order of `keizoku --help`.
 *
 * readfile names a param holding a path the client reads into
 * "content". write: the command changes state (it runs inside an
 * operation and is answered after COMMIT). Names starting with "_" are
 * hidden test commands (only with KEIZOKU_TEST_CLOCK). */
#ifndef KZ_COMMANDS_H
#define KZ_COMMANDS_H

#define KZ_NOARGS	{ NULL }
#define KZ_ARGS(...)	{ __VA_ARGS__, NULL }
/* Three params fill args[3]: readers stop at 3 (no terminator). */
#define KZ_ARGS3(a, b, c)	{ a, b, c }
#define KZ_READ		0
#define KZ_WRITE	1

/* The step actions share their shape: INCIDENT STEP [--note]. */
#define KZ_STEP_CMD(C, id, n, help) \
	C(id, n, KZ_ARGS("incident", "step"), 2, f_note, "POST", \
	    "/v1/incidents/{incident}/steps/{step}/" n, NULL, KZ_WRITE, help, \
	    cmd_step, cli_pr_step)

#define KZ_COMMANDS(C)							\
	C(STATUS, "status", KZ_NOARGS, 0, f_none, "GET", "/v1/status",	\
	    NULL, KZ_READ, "daemon version, uptime, load errors, counts",	\
	    cmd_status, cli_pr_status)					\
	C(RUNBOOKS, "runbooks", KZ_NOARGS, 0, f_none, "GET",		\
	    "/v1/runbooks", NULL, KZ_READ, "loaded runbooks",		\
	    cmd_runbooks, cli_pr_runbooks)				\
	C(ACTIVATE, "activate", KZ_ARGS("runbook"), 1, f_activate,	\
	    "POST", "/v1/incidents", NULL, KZ_WRITE,			\
	    "start an incident from a runbook",				\
	    cmd_activate, cli_pr_incident_state)			\
	C(CONFIRM, "confirm", KZ_ARGS("incident"), 1, f_note, "POST",	\
	    "/v1/incidents/{incident}/confirm", NULL, KZ_WRITE,		\
	    "confirm a pending activation",				\
	    cmd_confirm, cli_pr_incident_state)				\
	C(DISMISS, "dismiss", KZ_ARGS("incident"), 1, f_note, "POST",	\
	    "/v1/incidents/{incident}/dismiss", NULL, KZ_WRITE,		\
	    "dismiss a pending activation",				\
	    cmd_confirm, cli_pr_incident_state)				\
	C(INCIDENTS, "incidents", KZ_NOARGS, 0, f_incidents, "GET",	\
	    "/v1/incidents", NULL, KZ_READ,				\
	    "open incidents (all with --all)",				\
	    cmd_incidents, cli_pr_incidents)				\
	C(SHOW, "show", KZ_ARGS("incident"), 1, f_none, "GET",		\
	    "/v1/incidents/{incident}", NULL, KZ_READ,			\
	    "an incident's steps, clocks and exceptions",		\
	    cmd_show, cli_pr_show)					\
	KZ_STEP_CMD(C, ACK, "ack", "take ownership of a step")		\
	KZ_STEP_CMD(C, DONE, "done", "mark a step done")		\
	KZ_STEP_CMD(C, SKIP, "skip", "skip a step (dependents go on)")	\
	KZ_STEP_CMD(C, FAIL, "fail",					\
	    "mark a step failed (dependents stay blocked)")		\
	KZ_STEP_CMD(C, APPROVE, "approve", "approve an approval step")	\
	KZ_STEP_CMD(C, REJECT, "reject", "reject an approval step")	\
	C(ASSIGN, "assign", KZ_ARGS3("incident", "step", "member"), 3,	\
	    f_none, "POST", "/v1/incidents/{incident}/steps/{step}/assign", \
	    NULL, KZ_WRITE,						\
	    "hand a step to a member (the runbook owner and admins)",	\
	    cmd_assign, cli_pr_assign)					\
	C(RESPOND, "respond", KZ_ARGS("incident"), 1, f_respond, "POST",	\
	    "/v1/incidents/{incident}/responses", NULL, KZ_WRITE,	\
	    "answer a staff call-out",					\
	    cmd_respond, cli_pr_respond)				\
	C(SAFETY, "safety", KZ_ARGS("incident"), 1, f_safety, "POST",	\
	    "/v1/incidents/{incident}/safety", NULL, KZ_WRITE,		\
	    "answer a safety check (安否確認), or page its members with "	\
	    "--list",							\
	    cmd_safety, cli_print_generic_cmd)				\
	C(INBOX, "inbox", KZ_NOARGS, 0, f_page, "GET", "/v1/inbox",	\
	    NULL, KZ_READ, "steps and call-outs waiting for me",	\
	    cmd_inbox, cli_pr_inbox)					\
	C(ROSTER, "roster", KZ_NOARGS, 0, f_none, "GET", "/v1/roster",	\
	    NULL, KZ_READ, "members and roles",				\
	    cmd_roster, cli_pr_roster)					\
	C(CLOSE, "close", KZ_ARGS("incident"), 1, f_close, "POST",	\
	    "/v1/incidents/{incident}/close", NULL, KZ_WRITE,		\
	    "deactivate the plan for an incident",			\
	    cmd_close, cli_pr_incident_state)				\
	C(LOG, "log", KZ_ARGS("incident"), 1, f_page, "GET",		\
	    "/v1/incidents/{incident}/log", NULL, KZ_READ,		\
	    "an incident's timeline",					\
	    cmd_log, cli_pr_log)					\
	C(REPORT, "report", KZ_ARGS("incident"), 1, f_report, "GET",	\
	    "/v1/incidents/{incident}/report", NULL, KZ_READ,		\
	    "post-incident review",					\
	    cmd_report, cli_print_content)				\
	C(SITREP, "sitrep", KZ_ARGS("incident"), 1, f_sitrep, "POST",	\
	    "/v1/incidents/{incident}/sitreps", NULL, KZ_WRITE,		\
	    "the next numbered situation report (第N報)",		\
	    cmd_sitrep, cli_print_content)				\
	C(EXCEPTION_ADD, "exception add", KZ_ARGS("incident"), 1,	\
	    f_exc_add, "POST", "/v1/incidents/{incident}/exceptions",	\
	    NULL, KZ_WRITE, "request an exception measure",		\
	    cmd_exception_add, cli_pr_exception_state)			\
	C(EXCEPTION_APPROVE, "exception approve", KZ_ARGS("id"), 1,	\
	    f_note, "POST", "/v1/exceptions/{id}/approve", NULL,	\
	    KZ_WRITE, "approve an exception measure",			\
	    cmd_exception_decide, cli_pr_exception_state)		\
	C(EXCEPTION_REJECT, "exception reject", KZ_ARGS("id"), 1,	\
	    f_note, "POST", "/v1/exceptions/{id}/reject", NULL,	\
	    KZ_WRITE, "reject an exception measure",			\
	    cmd_exception_decide, cli_pr_exception_state)		\
	C(EXCEPTION_RESOLVE, "exception resolve", KZ_ARGS("id"), 1,	\
	    f_exc_resolve, "POST", "/v1/exceptions/{id}/resolve", NULL,	\
	    KZ_WRITE, "dispose of an exception measure",		\
	    cmd_exception_resolve, cli_pr_exception_state)		\
	C(EXCEPTIONS, "exceptions", KZ_NOARGS, 0, f_exceptions, "GET",	\
	    "/v1/exceptions", NULL, KZ_READ, "exception measures",	\
	    cmd_exceptions, cli_pr_exceptions)				\
	C(NOTIFICATIONS, "notifications", KZ_NOARGS, 0,			\
	    f_notifications, "GET", "/v1/notifications", NULL, KZ_READ,	\
	    "outbound deliveries",					\
	    cmd_notifications, cli_pr_notifications)			\
	C(PLAN_IMPORT, "plan import", KZ_ARGS("file"), 1, f_none,	\
	    "POST", "/v1/plan", "file", KZ_WRITE,			\
	    "store a plan file as a new revision",			\
	    cmd_plan_import, cli_pr_plan_import)			\
	C(PLAN_EXPORT, "plan export", KZ_NOARGS, 0, f_none, "GET",	\
	    "/v1/plan/export", NULL, KZ_READ, "the current plan as YAML",	\
	    cmd_plan_export, cli_print_content)				\
	C(PLAN_CHECK, "plan check", KZ_ARGS("file"), 0, f_strict, "POST", \
	    "/v1/plan/check", "file", KZ_READ,				\
	    "check the plan in force, or FILE before importing it",	\
	    cmd_plan_check, cli_pr_plan_check)				\
	C(PLAN_SHOW, "plan show", KZ_ARGS("what"), 1, f_none, "GET",	\
	    "/v1/plan/show/{what}", NULL, KZ_READ,			\
	    "tasks, systems, gaps or countermeasures",			\
	    cmd_plan_show, cli_pr_plan_show)				\
	C(PLAN_REPORT, "plan report", KZ_NOARGS, 0, f_planrep, "GET",	\
	    "/v1/plan/report", NULL, KZ_READ,				\
	    "the whole plan as a printable document",			\
	    cmd_plan_report, cli_print_content)				\
	C(DRILL_START, "drill start", KZ_ARGS("scenario"), 1, f_none,	\
	    "POST", "/v1/drills", NULL, KZ_WRITE, "run a scenario drill",	\
	    cmd_drill_start, cli_pr_drill_start)			\
	C(DRILL_LIST, "drill list", KZ_NOARGS, 0, f_none, "GET",	\
	    "/v1/drills", NULL, KZ_READ, "scenarios and past drills",	\
	    cmd_drill_list, cli_pr_drill_list)				\
	C(ONCALL, "oncall", KZ_NOARGS, 0, f_oncall, "GET", "/v1/oncall",	\
	    NULL, KZ_READ, "who is on turn, and each role's call-out order", \
	    cmd_oncall, cli_print_generic_cmd)				\
	C(ROTA_ICS, "rota ics", KZ_ARGS("rota"), 1, f_rota_ics, "GET",	\
	    "/v1/rotas/{rota}.ics", NULL, KZ_READ,			\
	    "a rota's next 90 days as an iCalendar feed",		\
	    cmd_rota_ics, cli_print_content)				\
	C(ROTA_SHOW, "rota show", KZ_ARGS("rota"), 1, f_rota_show, "GET", \
	    "/v1/rotas/{rota}", NULL, KZ_READ, "a rota's coming turns",	\
	    cmd_rota_show, cli_print_generic_cmd)			\
	C(ROTA_OVERRIDE, "rota override", KZ_ARGS("rota"), 1,		\
	    f_rota_override, "POST", "/v1/rotas/{rota}/overrides", NULL,	\
	    KZ_WRITE, "a cover: one member in another's place for a time", \
	    cmd_rota_override, cli_print_generic_cmd)			\
	C(ROTA_OVERRIDES, "rota overrides", KZ_NOARGS, 0, f_none, "GET", \
	    "/v1/overrides", NULL, KZ_READ, "covers in force and to come", \
	    cmd_rota_overrides, cli_print_generic_cmd)			\
	C(ROTA_DROP, "rota drop", KZ_ARGS("id"), 1, f_none, "POST",	\
	    "/v1/overrides/{id}/drop", NULL, KZ_WRITE, "cancel a cover",	\
	    cmd_rota_drop, cli_print_generic_cmd)			\
	C(TEAM_OUT, "team out", KZ_ARGS("team"), 1, f_team_out, "POST",	\
	    "/v1/teams/{team}/out", NULL, KZ_WRITE,			\
	    "a whole team unavailable until a time; its steps move on",	\
	    cmd_team_out, cli_print_generic_cmd)			\
	C(TEAM_BACK, "team back", KZ_ARGS("team"), 1, f_none, "POST",	\
	    "/v1/teams/{team}/back", NULL, KZ_WRITE,			\
	    "a team out is available again",				\
	    cmd_team_back, cli_print_generic_cmd)			\
	C(SOURCES, "sources", KZ_NOARGS, 0, f_none, "GET", "/v1/sources",	\
	    NULL, KZ_READ,						\
	    "monitoring sources: last heard, silences, maintenance",	\
	    cmd_sources, cli_pr_sources)				\
	C(MAINT_ADD, "maintenance add", KZ_NOARGS, 0, f_maint_add,	\
	    "POST", "/v1/maintenance", NULL, KZ_WRITE,			\
	    "open a maintenance window: matching triggers start nothing", \
	    cmd_maint_add, cli_pr_maint_state)				\
	C(MAINT_LIST, "maintenance list", KZ_NOARGS, 0, f_maint_list,	\
	    "GET", "/v1/maintenance", NULL, KZ_READ,			\
	    "maintenance windows",					\
	    cmd_maint_list, cli_pr_maint_list)				\
	C(MAINT_END, "maintenance end", KZ_ARGS("id"), 1, f_none,	\
	    "POST", "/v1/maintenance/{id}/end", NULL, KZ_WRITE,		\
	    "end a maintenance window now",				\
	    cmd_maint_end, cli_pr_maint_state)				\
	C(RELOAD, "reload", KZ_NOARGS, 0, f_none, "POST", "/v1/reload",	\
	    NULL, KZ_WRITE, "re-read config, runbooks, plan and roster",	\
	    cmd_reload, cli_pr_reload)					\
	C(VERIFY, "verify", KZ_NOARGS, 0, f_none, "GET", "/v1/verify",	\
	    NULL, KZ_READ, "check the audit log's hash chain",		\
	    cmd_verify, cli_pr_verify)					\
	/* _clock is no write command: its timers run in their own	\
	 * operations. */						\
	C(CLOCK, "_clock", KZ_NOARGS, 0, f_clock, "POST", "/v1/_clock",	\
	    NULL, KZ_READ, "advance the test clock",			\
	    cmd_clock, cli_print_generic_cmd)

#endif
