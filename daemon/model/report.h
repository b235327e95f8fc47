/* The post-incident review (SPEC §8, guideline 2.9.2): an incident as a
 * report object (cmd/report.c builds it from the store), rendered as
 * Markdown or self-contained, printable HTML (report-html.c). Both documents are drawn from the
 * object alone, so `--format json` shows exactly what they say. */
#ifndef KZ_REPORT_H
#define KZ_REPORT_H

#include <jansson.h>
#include <stdint.h>


#define REPORT_VERSION	1

/* The evaluation of a report's incident (report-score.c): per step
 * {step, title, role, ready_at, done_at, took_s, timeout_s, within,
 * escalations, missed, result: "on time" | "late" | "missed" | "skipped"
 * | "n/a"}, per assembly role {role, step, required, time_to_quota_s,
 * met, short}, per system {system, rto_s, achieved_s, met}, per role
 * {role, steps, on_time, late, missed, skipped, no_timeout, escalations,
 * mean_took_s, text} and overall {steps, scored, on_time, late, missed,
 * skipped, no_timeout, escalations, score_pct, text}; drill and label say
 * whether it is a drill's. report_json adds it as "score" for drills. */
json_t	*report_score(json_t *report);
/* The evaluation as a document section: {"heading", "blocks": [{"para":
 * s} | {"list": [s]} | {"table": {"head": [s], "rows": [[s]]}}]}. */
json_t	*report_score_doc(json_t *score);
/* Renders a report object as "md" or "html" (times in the local time
 * zone); NULL with *why (static) for another format. Allocated. */
char	*report_render(json_t *report, const char *format,
	    const char **why);

#endif
