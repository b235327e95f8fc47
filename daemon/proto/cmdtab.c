/* The command table shared by the client and the daemon: names, usage,
 * params and REST routes. The client parses argv with it; the daemon's
 * HTTP front end maps routes back to commands with it. */
#include <string.h>

#include "proto/proto.h"

static const struct kz_flagspec f_none[] = { { NULL, 0, NULL } };
static const struct kz_flagspec f_note[] = {
	{ "note", KZ_F_STR, "a note recorded with the action" },
	{ NULL, 0, NULL }
};
static const struct kz_flagspec f_close[] = {
	{ "note", KZ_F_STR, "why the plan is deactivated (needed while steps "
	    "are open)" },
	{ "force", KZ_F_BOOL, "close with steps open and no note" },
	{ NULL, 0, NULL }
};
static const struct kz_flagspec f_activate[] = {
	{ "drill", KZ_F_BOOL, "run as a drill: notifications marked, actions dry" },
	{ "var", KZ_F_LIST, "set a runbook variable, K=V (repeatable)" },
	{ "note", KZ_F_STR, "why the plan is activated" },
	{ NULL, 0, NULL }
};
#define PAGE_FLAGS \
	{ "limit", KZ_F_STR, "at most this many (default 1000, at most " \
	    "10000)" }, \
	{ "after", KZ_F_STR, "the page after this one (the cursor printed " \
	    "when more follow)" }
static const struct kz_flagspec f_page[] = {
	PAGE_FLAGS,
	{ NULL, 0, NULL }
};
static const struct kz_flagspec f_incidents[] = {
	{ "all", KZ_F_BOOL, "include closed and dismissed incidents" },
	PAGE_FLAGS,
	{ NULL, 0, NULL }
};
static const struct kz_flagspec f_safety[] = {
	{ "safe", KZ_F_BOOL, "I am safe (無事)" },
	{ "injured", KZ_F_BOOL, "I am injured (負傷)" },
	{ "unsafe", KZ_F_BOOL, "I am in danger or need help (要救助)" },
	{ "can-come", KZ_F_BOOL, "I can come to work (参集可)" },
	{ "cannot-come", KZ_F_BOOL, "I cannot come (参集不可)" },
	{ "eta", KZ_F_STR, "with --can-come: when I can be there, e.g. 1h" },
	{ "note", KZ_F_STR, "a note" },
	{ "list", KZ_F_BOOL, "page the members asked and their answers" },
	{ "unanswered", KZ_F_BOOL, "with --list: only those not heard from" },
	{ "limit", KZ_F_STR, "with --list: at most N members (100)" },
	{ "after", KZ_F_STR, "with --list: the members after this one" },
	{ "step", KZ_F_STR, "with --list: this step (safety or assemble)" },
	{ NULL, 0, NULL }
};
static const struct kz_flagspec f_respond[] = {
	{ "available", KZ_F_BOOL, "I can come / work" },
	{ "unavailable", KZ_F_BOOL, "I cannot" },
	{ "arrived", KZ_F_BOOL, "I am on site" },
	{ "eta", KZ_F_STR, "when I expect to arrive, e.g. 30m" },
	{ "note", KZ_F_STR, "a note" },
	{ NULL, 0, NULL }
};
static const struct kz_flagspec f_report[] = {
	{ "format", KZ_F_STR, "md (default), html or json" },
	{ NULL, 0, NULL }
};
static const struct kz_flagspec f_exc_add[] = {
	{ "title", KZ_F_STR, "what is done differently" },
	{ "policy", KZ_F_STR, "the policy clause it departs from" },
	{ "reason", KZ_F_STR, "why it is needed" },
	{ "revert-by", KZ_F_STR, "deadline to revert, e.g. 72h" },
	{ "step", KZ_F_STR, "the step it belongs to" },
	{ NULL, 0, NULL }
};
static const struct kz_flagspec f_exc_resolve[] = {
	{ "reverted", KZ_F_BOOL, "the measure was undone" },
	{ "adopted", KZ_F_BOOL, "folded into normal procedure" },
	{ "note", KZ_F_STR, "how it was disposed of" },
	{ NULL, 0, NULL }
};
static const struct kz_flagspec f_exceptions[] = {
	{ "open", KZ_F_BOOL, "only those not yet disposed of" },
	{ "incident", KZ_F_STR, "only those of this incident" },
	PAGE_FLAGS,
	{ NULL, 0, NULL }
};
static const struct kz_flagspec f_notifications[] = {
	{ "pending", KZ_F_BOOL, "only those not yet delivered" },
	{ "incident", KZ_F_STR, "only those of this incident" },
	PAGE_FLAGS,
	{ NULL, 0, NULL }
};
static const struct kz_flagspec f_strict[] = {
	{ "strict", KZ_F_BOOL, "warnings count as errors" },
	{ NULL, 0, NULL }
};
static const struct kz_flagspec f_planrep[] = {
	{ "format", KZ_F_STR, "md (default) or html" },
	{ NULL, 0, NULL }
};

static const struct kz_flagspec f_sitrep[] = {
	{ "send", KZ_F_STR, "send it by this channel too" },
	{ "format", KZ_F_STR, "md (default) or html" },
	{ NULL, 0, NULL }
};

static const struct kz_flagspec f_maint_add[] = {
	{ "source", KZ_F_STR, "the source whose triggers are held back" },
	{ "match", KZ_F_LIST, "only triggers with PATH=VALUE (repeatable)" },
	{ "from", KZ_F_STR, "when it starts: a time, or a duration from now "
	    "(default: now)" },
	{ "until", KZ_F_STR, "when it ends: a time, or a duration from now" },
	{ "note", KZ_F_STR, "what the work is" },
	{ NULL, 0, NULL }
};
static const struct kz_flagspec f_maint_list[] = {
	{ "all", KZ_F_BOOL, "ended windows too" },
	{ NULL, 0, NULL }
};

static const struct kz_flagspec f_clock[] = {
	{ "advance", KZ_F_STR, "move the test clock forward by a duration" },
	{ NULL, 0, NULL }
};

static const struct kz_flagspec f_oncall[] = {
	{ "at", KZ_F_STR, "at this time instead of now (RFC 3339)" },
	{ NULL, 0, NULL }
};
static const struct kz_flagspec f_rota_show[] = {
	{ "days", KZ_F_STR, "how many days of turns (28)" },
	{ NULL, 0, NULL }
};
static const struct kz_flagspec f_rota_override[] = {
	{ "member", KZ_F_STR, "the member who covers" },
	{ "replaces", KZ_F_STR, "the member covered for" },
	{ "from", KZ_F_STR, "start (RFC 3339, local time or 2h; now)" },
	{ "until", KZ_F_STR, "end (RFC 3339, local time or a duration)" },
	{ "note", KZ_F_STR, "why" },
	{ NULL, 0, NULL }
};
static const struct kz_flagspec f_rota_ics[] = {
	{ "member", KZ_F_STR, "only this member's turns" },
	{ "link", KZ_F_BOOL, "a signed link to the member's feed instead" },
	{ NULL, 0, NULL }
};
static const struct kz_flagspec f_team_out[] = {
	{ "until", KZ_F_STR, "until when (RFC 3339, local time or 7d)" },
	{ "note", KZ_F_STR, "why (told to the owners)" },
	{ "force", KZ_F_BOOL, "even if a role is left with no one" },
	{ NULL, 0, NULL }
};

#define STEP_CMD(n, h) \
	{ n, { "incident", "step", NULL }, 2, f_note, "POST", \
	    "/v1/incidents/{incident}/steps/{step}/" n, NULL, 1, h }

const struct kz_cmdspec kz_cmdspecs[] = {
	{ "status", { NULL }, 0, f_none, "GET", "/v1/status", NULL, 0,
	    "daemon version, uptime, load errors, counts" },
	{ "runbooks", { NULL }, 0, f_none, "GET", "/v1/runbooks", NULL, 0,
	    "loaded runbooks" },
	{ "activate", { "runbook", NULL }, 1, f_activate, "POST",
	    "/v1/incidents", NULL, 1, "start an incident from a runbook" },
	{ "confirm", { "incident", NULL }, 1, f_note, "POST",
	    "/v1/incidents/{incident}/confirm", NULL, 1,
	    "confirm a pending activation" },
	{ "dismiss", { "incident", NULL }, 1, f_note, "POST",
	    "/v1/incidents/{incident}/dismiss", NULL, 1,
	    "dismiss a pending activation" },
	{ "incidents", { NULL }, 0, f_incidents, "GET", "/v1/incidents",
	    NULL, 0, "open incidents (all with --all)" },
	{ "show", { "incident", NULL }, 1, f_none, "GET",
	    "/v1/incidents/{incident}", NULL, 0,
	    "an incident's steps, clocks and exceptions" },
	STEP_CMD("ack", "take ownership of a step"),
	STEP_CMD("done", "mark a step done"),
	STEP_CMD("skip", "skip a step (dependents go on)"),
	STEP_CMD("fail", "mark a step failed (dependents stay blocked)"),
	STEP_CMD("approve", "approve an approval step"),
	STEP_CMD("reject", "reject an approval step"),
	{ "assign", { "incident", "step", "member" }, 3, f_none, "POST",
	    "/v1/incidents/{incident}/steps/{step}/assign", NULL, 1,
	    "hand a step to a member (the runbook owner and admins)" },
	{ "respond", { "incident", NULL }, 1, f_respond, "POST",
	    "/v1/incidents/{incident}/responses", NULL, 1,
	    "answer a staff call-out" },
	{ "safety", { "incident", NULL }, 1, f_safety, "POST",
	    "/v1/incidents/{incident}/safety", NULL, 1,
	    "answer a safety check (安否確認), or page its members with "
	    "--list" },
	{ "inbox", { NULL }, 0, f_page, "GET", "/v1/inbox", NULL, 0,
	    "steps and call-outs waiting for me" },
	{ "roster", { NULL }, 0, f_none, "GET", "/v1/roster", NULL, 0,
	    "members and roles" },
	{ "close", { "incident", NULL }, 1, f_close, "POST",
	    "/v1/incidents/{incident}/close", NULL, 1,
	    "deactivate the plan for an incident" },
	{ "log", { "incident", NULL }, 1, f_page, "GET",
	    "/v1/incidents/{incident}/log", NULL, 0, "an incident's timeline" },
	{ "report", { "incident", NULL }, 1, f_report, "GET",
	    "/v1/incidents/{incident}/report", NULL, 0,
	    "post-incident review" },
	{ "sitrep", { "incident", NULL }, 1, f_sitrep, "POST",
	    "/v1/incidents/{incident}/sitreps", NULL, 1,
	    "the next numbered situation report (第N報)" },
	{ "exception add", { "incident", NULL }, 1, f_exc_add, "POST",
	    "/v1/incidents/{incident}/exceptions", NULL, 1,
	    "request an exception measure" },
	{ "exception approve", { "id", NULL }, 1, f_note, "POST",
	    "/v1/exceptions/{id}/approve", NULL, 1,
	    "approve an exception measure" },
	{ "exception reject", { "id", NULL }, 1, f_note, "POST",
	    "/v1/exceptions/{id}/reject", NULL, 1,
	    "reject an exception measure" },
	{ "exception resolve", { "id", NULL }, 1, f_exc_resolve, "POST",
	    "/v1/exceptions/{id}/resolve", NULL, 1,
	    "dispose of an exception measure" },
	{ "exceptions", { NULL }, 0, f_exceptions, "GET", "/v1/exceptions",
	    NULL, 0, "exception measures" },
	{ "notifications", { NULL }, 0, f_notifications, "GET",
	    "/v1/notifications", NULL, 0, "outbound deliveries" },
	{ "plan import", { "file", NULL }, 1, f_none, "POST", "/v1/plan",
	    "file", 1, "store a plan file as a new revision" },
	{ "plan export", { NULL }, 0, f_none, "GET", "/v1/plan/export",
	    NULL, 0, "the current plan as YAML" },
	{ "plan check", { "file", NULL }, 0, f_strict, "POST",
	    "/v1/plan/check", "file", 0,
	    "check the plan in force, or FILE before importing it" },
	{ "plan show", { "what", NULL }, 1, f_none, "GET",
	    "/v1/plan/show/{what}", NULL, 0,
	    "tasks, systems, gaps or countermeasures" },
	{ "plan report", { NULL }, 0, f_planrep, "GET", "/v1/plan/report",
	    NULL, 0, "the whole plan as a printable document" },
	{ "drill start", { "scenario", NULL }, 1, f_none, "POST",
	    "/v1/drills", NULL, 1, "run a scenario drill" },
	{ "drill list", { NULL }, 0, f_none, "GET", "/v1/drills", NULL, 0,
	    "scenarios and past drills" },
	{ "oncall", { NULL }, 0, f_oncall, "GET", "/v1/oncall", NULL, 0,
	    "who is on turn, and each role's call-out order" },
	{ "rota ics", { "rota", NULL }, 1, f_rota_ics, "GET",
	    "/v1/rotas/{rota}.ics", NULL, 0,
	    "a rota's next 90 days as an iCalendar feed" },
	{ "rota show", { "rota", NULL }, 1, f_rota_show, "GET",
	    "/v1/rotas/{rota}", NULL, 0, "a rota's coming turns" },
	{ "rota override", { "rota", NULL }, 1, f_rota_override, "POST",
	    "/v1/rotas/{rota}/overrides", NULL, 1,
	    "a cover: one member in another's place for a time" },
	{ "rota overrides", { NULL }, 0, f_none, "GET", "/v1/overrides",
	    NULL, 0, "covers in force and to come" },
	{ "rota drop", { "id", NULL }, 1, f_none, "POST",
	    "/v1/overrides/{id}/drop", NULL, 1, "cancel a cover" },
	{ "team out", { "team", NULL }, 1, f_team_out, "POST",
	    "/v1/teams/{team}/out", NULL, 1,
	    "a whole team unavailable until a time; its steps move on" },
	{ "team back", { "team", NULL }, 1, f_none, "POST",
	    "/v1/teams/{team}/back", NULL, 1, "a team out is available again" },
	{ "sources", { NULL }, 0, f_none, "GET", "/v1/sources", NULL, 0,
	    "monitoring sources: last heard, silences, maintenance" },
	{ "maintenance add", { NULL }, 0, f_maint_add, "POST",
	    "/v1/maintenance", NULL, 1,
	    "open a maintenance window: matching triggers start nothing" },
	{ "maintenance list", { NULL }, 0, f_maint_list, "GET",
	    "/v1/maintenance", NULL, 0, "maintenance windows" },
	{ "maintenance end", { "id", NULL }, 1, f_none, "POST",
	    "/v1/maintenance/{id}/end", NULL, 1,
	    "end a maintenance window now" },
	{ "reload", { NULL }, 0, f_none, "POST", "/v1/reload", NULL, 1,
	    "re-read config, runbooks, plan and roster" },
	{ "verify", { NULL }, 0, f_none, "GET", "/v1/verify", NULL, 0,
	    "check the audit log's hash chain" },
	/* Hidden (names starting with _): only with KEIZOKU_TEST_CLOCK. */
	{ "_clock", { NULL }, 0, f_clock, "POST", "/v1/_clock", NULL, 0,
	    "advance the test clock" },
	{ NULL, { NULL }, 0, NULL, NULL, NULL, NULL, 0, NULL }
};

const struct kz_cmdspec *
kz_cmdspec_byname(const char *name)
{
	const struct kz_cmdspec *c;

	for (c = kz_cmdspecs; c->name != NULL; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

const struct kz_cmdspec *
kz_cmdspec_find(int argc, char *const *argv, int *used)
{
	const struct kz_cmdspec	*c;
	size_t			 n;

	if (argc < 1)
		return NULL;
	n = strlen(argv[0]);
	for (c = kz_cmdspecs; c->name != NULL; c++) {
		if (strcmp(c->name, argv[0]) == 0) {
			*used = 1;
			return c;
		}
		if (argc >= 2 && strncmp(c->name, argv[0], n) == 0 &&
		    c->name[n] == ' ' && strcmp(c->name + n + 1, argv[1]) == 0) {
			*used = 2;
			return c;
		}
	}
	return NULL;
}

void
kz_put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

uint32_t
kz_get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}
