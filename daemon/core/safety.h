/* Safety confirmation (safety.c): the rows of the safety table an
 * EF_SAFETY effect asks for, stored by kz_apply, with the messages to
 * each member asked (or reminded) and the owner's summary. */
#ifndef KZ_CORE_SAFETY_H
#define KZ_CORE_SAFETY_H

struct kz_daemon;
struct actx;
struct incident;
struct effect;

/* Inside the operation: 0, or -1 when the storage failed. */
int	 kz_safety_effect(struct kz_daemon *, const struct actx *,
	    struct incident *, const struct effect *);

#endif
