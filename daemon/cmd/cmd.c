/* The daemon's command table: name (as in cmdtab.c) to handler. */
#include <stddef.h>

#include "cmd/cmd.h"
#include "core/daemon.h"
#include "core/exception.h"
#include "model/report.h"

const struct kz_cmd kz_cmds[] = {
	{ "status", cmd_status },
	{ "runbooks", cmd_runbooks },
	{ "activate", cmd_activate },
	{ "confirm", cmd_confirm },
	{ "dismiss", cmd_confirm },
	{ "incidents", cmd_incidents },
	{ "show", cmd_show },
	{ "ack", cmd_step },
	{ "done", cmd_step },
	{ "skip", cmd_step },
	{ "fail", cmd_step },
	{ "approve", cmd_step },
	{ "reject", cmd_step },
	{ "assign", cmd_assign },
	{ "close", cmd_close },
	{ "log", cmd_log },
	{ "roster", cmd_roster },
	{ "reload", cmd_reload },
	{ "verify", cmd_verify },
	{ "notifications", cmd_notifications },
	{ "inbox", cmd_inbox },
	{ "_clock", cmd_clock },
	{ "respond", cmd_respond },
	{ "safety", cmd_safety },
	{ "plan import", cmd_plan_import },
	{ "plan export", cmd_plan_export },
	{ "plan check", cmd_plan_check },
	{ "plan show", cmd_plan_show },
	{ "plan report", cmd_plan_report },
	{ "drill start", cmd_drill_start },
	{ "drill list", cmd_drill_list },
	{ "report", cmd_report },
	{ "exception add", cmd_exception_add },
	{ "exception approve", cmd_exception_decide },
	{ "exception reject", cmd_exception_decide },
	{ "exception resolve", cmd_exception_resolve },
	{ "exceptions", cmd_exceptions },
	{ "sitrep", cmd_sitrep },
	{ "oncall", cmd_oncall },
	{ "rota show", cmd_rota_show },
	{ "rota override", cmd_rota_override },
	{ "rota overrides", cmd_rota_overrides },
	{ "rota drop", cmd_rota_drop },
	{ "rota ics", cmd_rota_ics },
	{ "team out", cmd_team_out },
	{ "team back", cmd_team_back },
	{ NULL, NULL }
};
