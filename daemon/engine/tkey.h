/* The kinds of durable timers, declared once. A timer row is (incident,
 * step, kind, due, data); kind and step are text in the database, as
 * they always were:
 *
 *   escalate, remind, timeout, wait, retry     a step's
 *   callout:ROLE:MEMBER                        a staff call-out awaiting
 *                                              an answer (assemble step)
 *   rtoPCT:SYSTEM                              an RTO clock (incident)
 *   inject:N                                   a drill inject (incident)
 *   exc-before, exc-after                      an exception's reminders,
 *                                              step "exception:ID"
 *   source-silent                              a source's silence,
 *                                              step the source's name
 *                                              (incident 0)
 *   rota-turn                                  a rota's next turn
 *                                              boundary, step the
 *                                              rota's id (incident 0)
 *   repeats                                    a trigger's repeats
 *                                              summed up (incident,
 *                                              step "")
 *   fanout                                     the next batch of a
 *                                              large call-out or safety
 *                                              check, due at once (run
 *                                              a loop turn at a time)
 *   sremind                                    a safety check's next
 *                                              reminder round
 *   maint-start, maint-end                     a maintenance window
 *                                              opens or ends, step the
 *                                              window's id (incident 0)
 *
 * The code sees a struct tkey: tkey_format writes the text, tkey_parse
 * reads it; nothing else builds or takes apart a kind. */
#ifndef KZ_TKEY_H
#define KZ_TKEY_H

#include <stdint.h>

#define KZ_TIMER_KINDS(T)						\
	T(ESCALATE, "escalate")						\
	T(REMIND, "remind")						\
	T(TIMEOUT, "timeout")						\
	T(WAIT, "wait")							\
	T(RETRY, "retry")						\
	T(CALLOUT, "callout")						\
	T(RTO, "rto")							\
	T(INJECT, "inject")						\
	T(EXC_BEFORE, "exc-before")					\
	T(EXC_AFTER, "exc-after")					\
	T(SOURCE_SILENT, "source-silent")				\
	T(REPEATS, "repeats")						\
	T(ROTA_TURN, "rota-turn")					\
	T(FANOUT, "fanout")						\
	T(SREMIND, "sremind")						\
	T(MAINT_START, "maint-start")					\
	T(MAINT_END, "maint-end")

enum tk_kind {
	TK_ANY,		/* clearing: every timer of the step/incident */
#define KZ_TIMER_KIND_ID(id, name)	TK_##id,
	KZ_TIMER_KINDS(KZ_TIMER_KIND_ID)
#undef KZ_TIMER_KIND_ID
	TK_COUNT
};

/* The step column of an exception's reminders. */
#define TK_EXC_STEP	"exception:"

struct tkey {
	enum tk_kind	 kind;
	int64_t		 n;	/* RTO: percent; INJECT: number; EXC_*:
				   the exception's id */
	char		*a;	/* CALLOUT: role; RTO: system (owned) */
	char		*b;	/* CALLOUT: member (owned) */
};

/* The kind column of a kind that carries nothing else (not CALLOUT, RTO
 * or INJECT); static. */
const char *tkey_name(enum tk_kind);
/* The kind column of k, allocated; NULL for TK_ANY. */
char	*tkey_format(const struct tkey *);
/* The step column of k's timer, allocated: "exception:ID" for an
 * exception's reminders, else step ("" for the incident). */
char	*tkey_step(const struct tkey *, const char *step);
/* Reads a row's kind and step into k: 0, or -1 for a row no code writes
 * (k is then TK_ANY). Free with tkey_free. */
int	 tkey_parse(const char *kind, const char *step, struct tkey *);
void	 tkey_free(struct tkey *);
int	 tkey_is_exception(enum tk_kind);

#endif
