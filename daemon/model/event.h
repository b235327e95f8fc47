/* The types of what happens to an incident: every event of the log and
 * every notification, declared once. The log stores and shows the name
 * ("step.ready"); the code uses the id (EV_STEP_READY), so a misspelt
 * type does not compile. */
#ifndef KZ_EVENT_H
#define KZ_EVENT_H

#define KZ_EVENT_TYPES(E)						\
	E(INCIDENT_PENDING, "incident.pending")				\
	E(INCIDENT_ACTIVATED, "incident.activated")			\
	E(INCIDENT_CONFIRMED, "incident.confirmed")			\
	E(INCIDENT_DISMISSED, "incident.dismissed")			\
	E(INCIDENT_CLOSED, "incident.closed")				\
	E(NOTIFICATIONS_CANCELLED, "notifications.cancelled")		\
	E(STEP_READY, "step.ready")					\
	E(STEP_ASSIGNED, "step.assigned")				\
	E(STEP_ACKED, "step.acked")					\
	E(STEP_DONE, "step.done")					\
	E(STEP_SKIPPED, "step.skipped")					\
	E(STEP_FAILED, "step.failed")					\
	E(STEP_APPROVED, "step.approved")				\
	E(STEP_REJECTED, "step.rejected")				\
	E(STEP_NOTIFY, "step.notify")					\
	E(STEP_ESCALATED, "step.escalated")				\
	E(STEP_REMINDER, "step.reminder")				\
	E(STEP_OVERDUE, "step.overdue")					\
	E(ACTION_STARTED, "action.started")				\
	E(ACTION_SUCCEEDED, "action.succeeded")				\
	E(ACTION_FAILED, "action.failed")				\
	E(ACTION_LATE, "action.late")					\
	E(ACTION_INTERRUPTED, "action.interrupted")			\
	E(TRIGGER_REPEATED, "trigger.repeated")				\
	E(TRIGGER_RESOLVED, "trigger.resolved")				\
	E(TRIGGER_CORRECTED, "trigger.corrected")			\
	E(TRIGGER_CANCELLED, "trigger.cancelled")			\
	E(ASSEMBLY_CALLED, "assembly.called")				\
	E(ASSEMBLY_CALLOUT, "assembly.callout")	/* notification */	\
	E(ASSEMBLY_NO_ANSWER, "assembly.no_answer")			\
	E(ASSEMBLY_RESPONSE, "assembly.response")			\
	E(ASSEMBLY_COMPLETE, "assembly.complete")			\
	E(ASSEMBLY_SHORT, "assembly.short")				\
	E(SAFETY_ASK, "safety.ask")		/* notification */	\
	E(SAFETY_ASKED, "safety.asked")					\
	E(SAFETY_ANSWERED, "safety.answered")				\
	E(SAFETY_REMINDED, "safety.reminded")				\
	E(SAFETY_COMPLETE, "safety.complete")				\
	E(SAFETY_SUMMARY, "safety.summary")				\
	E(RTO_STARTED, "rto.started")					\
	E(RTO_WARNING, "rto.warning")					\
	E(RTO_BREACHED, "rto.breached")					\
	E(SYSTEM_RECOVERED, "system.recovered")				\
	E(EXCEPTION_REQUESTED, "exception.requested")			\
	E(EXCEPTION_APPROVED, "exception.approved")			\
	E(EXCEPTION_REJECTED, "exception.rejected")			\
	E(EXCEPTION_RESOLVED, "exception.resolved")			\
	E(EXCEPTION_REMINDER, "exception.reminder")			\
	E(EXCEPTION_OVERDUE, "exception.overdue")			\
	E(EXCEPTION_DRILL_CLOSED, "exception.drill_closed")		\
	E(DRILL_SCENARIO, "drill.scenario")				\
	E(DRILL_INJECT, "drill.inject")					\
	E(PLAN_DRILL_DUE, "plan.drill_due")				\
	E(SOURCE_SILENT, "source.silent")				\
	E(SOURCE_HEARD, "source.heard")					\
	E(FEED_STALE, "feed.stale")					\
	E(FEED_FRESH, "feed.fresh")					\
	E(MAINTENANCE_SCHEDULED, "maintenance.scheduled")		\
	E(MAINTENANCE_STARTED, "maintenance.started")			\
	E(MAINTENANCE_ENDED, "maintenance.ended")			\
	E(SITREP_ISSUED, "sitrep.issued")				\
	E(ROTA_OVERRIDE, "rota.override")				\
	E(ROTA_DROP, "rota.drop")					\
	E(ROTA_TURN_STARTED, "rota.turn_started")			\
	E(ROTA_HANDOVER, "rota.handover")				\
	E(TEAM_OUT, "team.out")						\
	E(TEAM_BACK, "team.back")

enum kz_event {
#define KZ_EVENT_ID(id, name)	EV_##id,
	KZ_EVENT_TYPES(KZ_EVENT_ID)
#undef KZ_EVENT_ID
	EV_COUNT
};

/* "step.ready" of EV_STEP_READY. */
const char	*event_name(enum kz_event);
/* The id of a name; -1 for a name no code writes (an older log's, or a
 * config's typo). */
int		 event_parse(const char *);

#endif
