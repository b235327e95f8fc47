/* Internal to the engine (engine*.c): effect builders and step helpers. */
#ifndef KZ_ENGINE_INT_H
#define KZ_ENGINE_INT_H

#include "engine/engine.h"

struct effect	*eng_emit(struct effects *, enum eff_kind, int step,
		    json_t *data);
void		 eng_event(struct effects *, enum kz_event, int step,
		    json_t *data);
void		 eng_notify(struct effects *, enum kz_event, int step,
		    const char *to, json_t *data);
/* A step's timer (escalate, remind, timeout, wait, retry). */
void		 eng_timer_set(struct effects *, enum tk_kind, int step,
		    int64_t due);
/* TK_ANY: every timer of the step (or of the incident, step -1). */
void		 eng_timer_clear(struct effects *, enum tk_kind, int step);
/* Timers whose key carries names (call-outs, RTO clocks); the effect
 * takes the key's strings. */
void		 eng_timer_set_key(struct effects *, struct tkey, int step,
		    int64_t due);
void		 eng_timer_clear_key(struct effects *, struct tkey, int step);
void		 eng_set_str(char **, const char *);
/* The index of s in a NULL-terminated list of names, or -1. */
int		 eng_lookup(const char *const *names, const char *s);
const char	*eng_who(const struct actx *);
json_t		*eng_step_data(const struct incident *, int);
void		 eng_advance(const struct actx *, struct incident *,
		    struct effects *);
void		 eng_finish(const struct actx *, struct incident *, int,
		    enum step_state, const char *by, const char *note,
		    struct effects *);

/* engine-assemble.c */
void		 eng_assemble_start(const struct actx *, struct incident *,
		    int step, struct effects *);
void		 eng_assemble_more(const struct actx *, struct incident *,
		    int step, struct effects *);
void		 eng_assemble_timer(const struct actx *, struct incident *,
		    int step, const struct tkey *, struct effects *);
int		 eng_assemble_out(const struct actx *, struct incident *,
		    int, struct effects *);
void		 eng_assemble_shortage(const struct actx *, struct incident *,
		    int step, struct effects *);
/* engine-exception.c */
void		 eng_exception_from_step(const struct actx *,
		    struct incident *, int step, struct effects *);
/* engine-assign.c: who holds a step assigned through a role. */
char		**eng_callout_order(const struct actx *, const char *role,
		    size_t *n);
enum answer	 eng_answer_of(const struct incident *, const char *member);
const char	*eng_holder(const struct step_st *);
const char	*eng_pick(const struct actx *, const struct incident *, int);
const char	*eng_next_deputy(const struct actx *, const struct incident *,
		    int);
void		 eng_move(const struct actx *, struct incident *, int,
		    const char *to, const char *reason, struct effects *);
void		 eng_rebalance(const struct actx *, struct incident *,
		    const char *role, const char *unavailable,
		    struct effects *);
const char	*eng_responsible(const struct actx *,
		    const struct incident *, const char *ref);
void		 eng_answer_moves(const struct actx *, struct incident *,
		    const char *member, enum answer, struct effects *);
/* engine-safety.c */
void		 eng_safety_start(const struct actx *, struct incident *,
		    int step, struct effects *);
void		 eng_safety_timer(const struct actx *, struct incident *,
		    int step, enum tk_kind, struct effects *);
void		 eng_safety_timeout(const struct actx *, struct incident *,
		    int step, struct effects *);
/* engine-rto.c */
void		 eng_rto_start(const struct actx *, struct incident *,
		    struct effects *);
void		 eng_rto_timer(const struct actx *, struct incident *,
		    const struct tkey *, struct effects *);
void		 eng_rto_restored(const struct actx *, struct incident *,
		    int step, struct effects *);
void		 eng_rto_stop(struct incident *, struct effects *);

#endif
