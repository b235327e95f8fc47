/* The plan's required drills falling due (plan-due.c). */
#ifndef KZ_PLAN_DUE_H
#define KZ_PLAN_DUE_H

struct kz_daemon;
struct event;

/* Says once, through the outbox, that a drill the plan requires fell
 * due (at start, after every (re)load and hourly). */
void		 kz_plan_drills_check(struct kz_daemon *);
/* Checks now and starts the hourly check; the caller frees the event. */
struct event	*kz_plan_drills_start(struct kz_daemon *);

#endif
