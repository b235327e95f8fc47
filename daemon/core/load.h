/* Loading what keizokud runs on (load.c). */
#ifndef KZ_LOAD_H
#define KZ_LOAD_H

#include <jansson.h>

struct kz_daemon;
struct diags;

/* Loads the roster, the runbooks and the plan named by d->conf; what
 * fails to load keeps its previous version in force. Every problem goes
 * to dg and to d->load_errors (which `status` shows). */
void	 kz_load(struct kz_daemon *, struct diags *dg);
/* Re-reads the config (the socket, state dir and listeners stay as
 * started), then kz_load, then checks the plan's drills, then calls
 * d->reloaded (the daemon's: feeds and silences follow the new config).
 * *errors: the problems, a new array. */
int	 kz_reload(struct kz_daemon *, json_t **errors);

#endif
