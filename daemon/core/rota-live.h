/* Rotas in the daemon (SPEC §16): covers and teams out in force, turn
 * boundaries and their handover. See rota-live.c. */
#ifndef KZ_ROTA_LIVE_H
#define KZ_ROTA_LIVE_H

#include <jansson.h>
#include <stdint.h>

#include "engine/tkey.h"

struct kz_daemon;

#define ROTA_TURN_TIMER	tkey_name(TK_ROTA_TURN)

/* Reads the covers and outs in force into d->rota (roster->live). */
int	 kz_rota_load(struct kz_daemon *);
void	 kz_rota_free(struct kz_daemon *);
/* Loads, and sets each rota's timer at its next boundary (start, reload:
 * inside the caller's operation if there is one). */
void	 kz_rota_arm(struct kz_daemon *);
/* The timer of rota fell due: hands over once per turn. In an op. */
int	 kz_rota_turn(struct kz_daemon *, const char *rota, int64_t now);
/* After a team out: open steps held by those out move on; appends
 * {incident, step, from, to} to moved. In an op. */
int	 kz_rota_moves(struct kz_daemon *, const char *actor, json_t *moved);

#endif
