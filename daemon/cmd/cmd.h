/* Command handlers (cmd-*.c), collected in kz_cmds (cmd.c). */
#ifndef KZ_CMD_H
#define KZ_CMD_H

#include <jansson.h>

struct kz_daemon;
struct kz_req;
struct incident;
struct runbook;
struct actx;

#define CMD(n) int n(struct kz_daemon *, struct kz_req *, json_t **)
CMD(cmd_activate);
CMD(cmd_confirm);
CMD(cmd_close);
CMD(cmd_step);
CMD(cmd_assign);
CMD(cmd_incidents);
CMD(cmd_show);
CMD(cmd_log);
CMD(cmd_status);
CMD(cmd_runbooks);
CMD(cmd_roster);
CMD(cmd_reload);
CMD(cmd_verify);
CMD(cmd_notifications);
CMD(cmd_inbox);
CMD(cmd_clock);
CMD(cmd_respond);
CMD(cmd_plan_import);
CMD(cmd_plan_export);
CMD(cmd_plan_check);
CMD(cmd_plan_show);
CMD(cmd_plan_report);
CMD(cmd_drill_start);
CMD(cmd_drill_list);
CMD(cmd_sitrep);
CMD(cmd_oncall);
CMD(cmd_rota_show);
CMD(cmd_rota_override);
CMD(cmd_rota_overrides);
CMD(cmd_rota_drop);
CMD(cmd_rota_ics);
CMD(cmd_team_out);
CMD(cmd_team_back);
CMD(cmd_safety);
CMD(cmd_sources);
CMD(cmd_maint_add);
CMD(cmd_maint_list);
CMD(cmd_maint_end);
#undef CMD

json_t	*kz_show_json(struct kz_daemon *, struct incident *);
/* The line `log` prints for an event; allocated. */
char	*kz_event_text(const char *type, json_t *data);

#endif
