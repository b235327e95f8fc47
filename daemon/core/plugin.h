/* The daemon side of action plugins (plugins/keizoku-plugin.h is the
 * ABI): loading, validation of `with:`, running actions. */
#ifndef KZ_PLUGIN_H
#define KZ_PLUGIN_H

#include <jansson.h>
#include <stdint.h>

struct event_base;
struct curlev;
struct diags;
struct plugins;
struct action_run;

/* Loads every *.so in dir. A plugin of another abi_major, a world- or
 * group-writable file (or directory), or one that fails init is refused
 * with a message in diags (file name, reason); the others load. A
 * missing dir is a warning. */
struct plugins	*plugins_load(const char *dir, struct event_base *,
		    struct curlev *, struct diags *);
void		 plugins_free(struct plugins *);
/* Names of loaded actions, for `status`: JSON array of
 * {"action","plugin","version","file"}. */
json_t		*plugins_list(const struct plugins *);
int		 plugins_has(const struct plugins *, const char *action);
/* Validates a step's `with:` at runbook load time: 0, or -1 and *why
 * (allocated). Unknown action: -1. */
int		 plugins_check(const struct plugins *, const char *action,
		    json_t *with, char **why);
/* plugins_check for struct rb_context's check_action (arg: the plugins). */
int		 plugins_check_action(const void *, const char *action,
		    json_t *with, char **why);

/* ok: 1 success, 0 failure. note: what happened (output, status),
 * already truncated to a few KiB; valid during the call only. */
typedef void (*action_done_fn)(void *arg, int ok, const char *note);

/* Starts action with `with` (templates already rendered). dry_run: do
 * nothing real; report what would have been done (ok=1). The callback
 * is called exactly once, later, from the loop, unless cancelled.
 * timeout_ms bounds the whole run (0: the plugin's default). Returns
 * NULL and *why (allocated) when it cannot start. */
struct action_run *plugins_start(struct plugins *, const char *action,
		    json_t *with, int64_t timeout_ms, int dry_run,
		    action_done_fn, void *arg, char **why);
/* Stops a running action (daemon exit, incident closed); no callback. */
void		 plugins_cancel(struct plugins *, struct action_run *);

#endif
