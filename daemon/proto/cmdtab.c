/* The command table shared by the client and the daemon: names, usage,
 * params and REST routes, from the one list in commands.h. The client
 * parses argv with it; the daemon's HTTP front end maps routes back to
 * commands with it. */
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

/* The specs, by id (commands.h). The handler and printer columns are
 * the daemon's and the client's business. */
const struct kz_cmdspec kz_cmdspecs[KZ_CMD_COUNT + 1] = {
#define KZ_CMD_SPEC(id, n, args, min, flags, method, path, readfile,	\
    write, help, exec, print)						\
	[KZ_CMD_##id] = { KZ_CMD_##id, n, args, min, flags, method, path,	\
	    readfile, write, help },
	KZ_COMMANDS(KZ_CMD_SPEC)
#undef KZ_CMD_SPEC
	[KZ_CMD_COUNT] = { KZ_CMD_COUNT, NULL, { NULL }, 0, NULL, NULL, NULL,
	    NULL, 0, NULL }
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
