/*
 * keizoku action plugin ABI.
 *
 * A plugin is a shared object in keizokud's plugin directory that
 * exports one function:
 *
 *	const struct kz_plugin *keizoku_plugin(void);
 *
 * returning a constant descriptor. keizokud refuses a plugin whose
 * abi_major differs from KZ_PLUGIN_ABI_MAJOR or whose struct_size is
 * smaller than the 1.0 descriptor. Within one major version every
 * structure here is append-only: new members go at the end, and the
 * struct_size each side fills in tells the other which members exist.
 * A plugin built against 1.N runs on any keizokud speaking 1.M; it must
 * check core->struct_size (or abi_minor) before using a member added
 * after 1.0.
 *
 * Plugins do not link against keizokud. Everything they need from the
 * daemon comes through struct kz_core. They may link libjansson (the
 * `with:` documents are json_t) and libcrypto, both of which keizokud
 * itself uses.
 *
 * Threading and the loop: keizokud is one thread around one libevent
 * loop. Every function of a plugin is called from that loop and must
 * not block (no sleep, no blocking I/O, no waitpid without WNOHANG):
 * use the core's asynchronous HTTP, process and timer services.
 *
 * Memory: strings a plugin hands to keizokud through a `char **why` or
 * a returned `char *` are allocated with malloc(3) and freed by
 * keizokud with free(3). Strings keizokud passes to a plugin callback
 * are valid during the call only.
 */
#ifndef KEIZOKU_PLUGIN_H
#define KEIZOKU_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define KZ_PLUGIN_ABI_MAJOR	1
#define KZ_PLUGIN_ABI_MINOR	0
#define KZ_PLUGIN_SYMBOL	"keizoku_plugin"

enum kz_log_level {
	KZ_LOG_DEBUG,
	KZ_LOG_INFO,
	KZ_LOG_WARN,
};

/* ---- core services ---- */

struct kz_core;
struct kz_http;		/* an HTTP request in flight */
struct kz_child;	/* a child process */
struct kz_timer;	/* a one-shot timer */

struct kz_http_req {
	const char		 *method;	/* "POST" when NULL */
	const char		 *url;		/* http:// or https:// only */
	const char *const	 *headers;	/* "Name: value", then NULL */
	const char		 *body;		/* may be NULL */
	size_t			  body_len;
	long			  timeout_ms;	/* whole request; 0: 10 s */
};

struct kz_http_resp {
	long		 status;	/* 0 when no HTTP response */
	const char	*body;		/* first 64 KiB, NUL-terminated */
	size_t		 body_len;
	const char	*retry_after;	/* Retry-After header value or NULL */
	const char	*error;		/* transport error text or NULL */
	long		 elapsed_ms;
};

/* Called once per request, from the loop, never from inside
 * http_request. The response is valid during the call only. */
typedef void (*kz_http_done_fn)(const struct kz_http_resp *, void *arg);

struct kz_spawn_result {
	int		 exit_status;	/* when the child exited, else -1 */
	int		 signal;	/* signal that killed it, else 0 */
	int		 timed_out;	/* killed because timeout_ms passed */
	const char	*output;	/* stdout and stderr interleaved, NUL-
					   terminated; ends "…[truncated]"
					   when longer than max_output */
	size_t		 output_len;
	const char	*error;		/* could not be executed, else NULL */
	long		 elapsed_ms;
};

/* Called once per child, from the loop, after the child has been
 * reaped. The result is valid during the call only. */
typedef void (*kz_spawn_done_fn)(const struct kz_spawn_result *,
		    void *arg);
typedef void (*kz_timer_fn)(void *arg);

/*
 * The table keizokud hands to init(). Every function takes the table
 * itself first. A function returning a handle returns NULL when it
 * cannot start and sets *why (static text for http_request, malloc'd
 * for spawn); its callback is then never called.
 */
struct kz_core {
	int		 abi_major;
	int		 abi_minor;
	size_t		 struct_size;

	void		 (*log)(const struct kz_core *, enum kz_log_level,
			    const char *fmt, ...)
			    __attribute__((format(printf, 3, 4)));

	/* Asynchronous HTTP(S); no redirects; the request is copied. */
	struct kz_http	*(*http_request)(const struct kz_core *,
			    const struct kz_http_req *, kz_http_done_fn,
			    void *arg, const char **why);
	/* Aborts a request; its callback is not called. */
	void		 (*http_cancel)(const struct kz_core *,
			    struct kz_http *);

	/*
	 * Runs argv[0] (searched in env's PATH when it has no slash; no
	 * shell) with env as its whole environment (NULL: PATH=/usr/bin:/bin
	 * only), in cwd (NULL: keizokud's), stdin from /dev/null, stdout and
	 * stderr into one capture of at most max_output bytes. After
	 * timeout_ms (0: none) its process group gets SIGTERM, and SIGKILL
	 * 2 s later.
	 */
	struct kz_child	*(*spawn)(const struct kz_core *,
			    const char *const *argv, const char *const *env,
			    const char *cwd, long timeout_ms, size_t max_output,
			    kz_spawn_done_fn, void *arg, char **why);
	/* Kills the child's process group; its callback is not called. */
	void		 (*spawn_cancel)(const struct kz_core *,
			    struct kz_child *);

	/* Calls cb once after ms; the handle is invalid after the call. */
	struct kz_timer	*(*timer_add)(const struct kz_core *, long ms,
			    kz_timer_fn cb, void *arg);
	void		 (*timer_cancel)(const struct kz_core *,
			    struct kz_timer *);
};

/* ---- what a plugin provides ---- */

/* How a run ends. ok: 1 success, 0 failure. note: a short account for
 * the step note (status, exit code, output); copied by keizokud. */
typedef void (*kz_done_fn)(void *done_arg, int ok, const char *note);

struct kz_action {
	size_t		 struct_size;	/* sizeof(struct kz_action) */
	const char	*name;		/* [a-z0-9][a-z0-9_-]*, unique */

	/*
	 * Validates a step's `with:` when a runbook loads (and again before
	 * each start). Unknown keys and wrong types are errors; the message
	 * names the key. Returns 0, or -1 and *why (malloc'd).
	 */
	int		 (*check)(json_t *with, char **why);

	/*
	 * Starts a run with `with` already checked and rendered. Must not
	 * block and must not call done before returning: call it later,
	 * from the loop, exactly once (unless cancel comes first), and
	 * forget the run afterwards. timeout_ms (> 0) is the time the step
	 * allows: finish by then, as a failure saying what was last seen;
	 * keizokud cancels runs that overstay it by a few seconds. Returns
	 * the run handle, or NULL and *why (malloc'd).
	 */
	void		*(*start)(void *state, json_t *with, int64_t timeout_ms,
			    kz_done_fn done, void *done_arg, char **why);

	/* Stops a run that has not called done; done is not called. */
	void		 (*cancel)(void *state, void *run);

	/*
	 * Optional (may be NULL): what a run would do, for dry runs and
	 * drills, without the leading "would": "POST https://x/y". Returns a
	 * malloc'd string. keizokud reports "dry run: would " + it.
	 */
	char		*(*describe)(json_t *with);
};

struct kz_plugin {
	int		 abi_major;	/* KZ_PLUGIN_ABI_MAJOR */
	int		 abi_minor;	/* KZ_PLUGIN_ABI_MINOR */
	size_t		 struct_size;	/* sizeof(struct kz_plugin) */
	const char	*name;
	const char	*version;

	/* Called once after loading. *state is passed to start/cancel.
	 * core stays valid until fini. Returns 0, or -1 to be refused. */
	int		 (*init)(const struct kz_core *core, void **state);
	/* Called before unloading, after every run has been cancelled. */
	void		 (*fini)(void *state);

	/* NULL-terminated. */
	const struct kz_action *const *actions;
};

const struct kz_plugin	*keizoku_plugin(void);

/* The size of the 1.0 structures, for the checks of either side. */
#define KZ_CORE_SIZE_1_0	(offsetof(struct kz_core, timer_cancel) + \
				    sizeof(void (*)(void)))
#define KZ_ACTION_SIZE_1_0	(offsetof(struct kz_action, describe) + \
				    sizeof(void (*)(void)))
#define KZ_PLUGIN_SIZE_1_0	(offsetof(struct kz_plugin, actions) + \
				    sizeof(void *))

#endif
