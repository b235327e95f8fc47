/*
 * exec: run a command, no shell (SPEC §3).
 *
 *   with: {argv: [cmd, arg...], env: {NAME: value}, cwd: /abs/dir}
 *
 * The environment is PATH=/usr/bin:/bin plus env; nothing of the
 * daemon's leaks in. Exit 0 is success; the note is "exit N" and the
 * output (stdout and stderr, at most 4 KiB). At the step's timeout the
 * command's process group gets SIGTERM, then SIGKILL.
 */
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keizoku-plugin.h"

#define EX_MAX_OUTPUT	4096
#define EX_PATH		"PATH=/usr/bin:/bin"

struct ex_state {
	const struct kz_core	*core;
};

struct ex_run {
	struct ex_state		*st;
	struct kz_child		*child;
	long			 timeout_ms;
	kz_done_fn		 done;
	void			*done_arg;
};

/* Out of memory: give up as keizokud itself would. */
static void *
ex_need(void *p)
{
	if (p == NULL)
		abort();
	return p;
}

static char *
ex_strdup(const char *s)
{
	return ex_need(strdup(s));
}

static char *
ex_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
ex_printf(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 rc;

	va_start(ap, fmt);
	rc = vasprintf(&s, fmt, ap);
	va_end(ap);
	return ex_need(rc == -1 ? NULL : s);
}

static void
ex_strv_free(char **v)
{
	size_t	i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* ---- with: ---- */

static char *
ex_check_argv(json_t *v)
{
	json_t	*a;
	size_t	 i;

	if (!json_is_array(v) || json_array_size(v) == 0)
		return ex_strdup("argv: must be a non-empty list of strings "
		    "(no shell: one item per word)");
	json_array_foreach(v, i, a) {
		if (!json_is_string(a))
			return ex_printf("argv[%zu]: must be a string", i);
	}
	if (*json_string_value(json_array_get(v, 0)) == '\0')
		return ex_strdup("argv[0]: must name a command");
	return NULL;
}

static int
ex_env_name_ok(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return 0;
	for (s++; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

static char *
ex_check_env(json_t *v)
{
	const char	*k;
	json_t		*ev;

	if (!json_is_object(v))
		return ex_strdup("env: must be a map of variable names to "
		    "values");
	json_object_foreach(v, k, ev) {
		if (!ex_env_name_ok(k))
			return ex_printf("env: \"%s\" is not a valid variable "
			    "name", k);
		if (!json_is_string(ev) && !json_is_integer(ev))
			return ex_printf("env.%s: must be a string", k);
	}
	return NULL;
}

static char *
ex_check_cwd(json_t *v)
{
	if (!json_is_string(v) || json_string_value(v)[0] != '/')
		return ex_strdup("cwd: must be an absolute path");
	return NULL;
}

static const struct {
	const char	*key;
	int		 required;
	char		*(*valid)(json_t *);
} ex_keys[] = {
	{ "argv",	1, ex_check_argv },
	{ "env",	0, ex_check_env },
	{ "cwd",	0, ex_check_cwd },
};
#define EX_NKEYS	(sizeof ex_keys / sizeof ex_keys[0])

static int
ex_check(json_t *with, char **why)
{
	const char	*k;
	json_t		*v;
	size_t		 i;

	*why = NULL;
	if (with != NULL && !json_is_object(with)) {
		*why = ex_strdup("with: must be a map");
		return -1;
	}
	json_object_foreach(with, k, v) {
		for (i = 0; i < EX_NKEYS; i++)
			if (strcmp(k, ex_keys[i].key) == 0)
				break;
		if (i == EX_NKEYS) {
			*why = ex_printf("unknown key \"%s\" (exec takes argv, "
			    "env, cwd)", k);
			return -1;
		}
		if ((*why = ex_keys[i].valid(v)) != NULL)
			return -1;
	}
	for (i = 0; i < EX_NKEYS; i++) {
		if (ex_keys[i].required &&
		    json_object_get(with, ex_keys[i].key) == NULL) {
			*why = ex_printf("missing required key \"%s\"",
			    ex_keys[i].key);
			return -1;
		}
	}
	return 0;
}

/* ---- runs ---- */

static char **
ex_argv(json_t *with)
{
	json_t	*a = json_object_get(with, "argv"), *v;
	char	**argv;
	size_t	 i;

	argv = ex_need(calloc(json_array_size(a) + 1, sizeof *argv));
	json_array_foreach(a, i, v)
		argv[i] = ex_strdup(json_string_value(v));
	return argv;
}

/* PATH first (env may replace it), then env's variables. */
static char **
ex_env(json_t *with)
{
	json_t		*e = json_object_get(with, "env"), *v;
	const char	*k;
	char		**env;
	size_t		 n = 0;

	env = ex_need(calloc(json_object_size(e) + 2, sizeof *env));
	if (json_object_get(e, "PATH") == NULL)
		env[n++] = ex_strdup(EX_PATH);
	json_object_foreach(e, k, v) {
		if (json_is_integer(v))
			env[n++] = ex_printf("%s=%lld", k,
			    (long long)json_integer_value(v));
		else
			env[n++] = ex_printf("%s=%s", k, json_string_value(v));
	}
	return env;
}

static char *
ex_describe(json_t *with)
{
	json_t	*a = json_object_get(with, "argv"), *v;
	char	*s = ex_strdup("run"), *t;
	size_t	 i;

	json_array_foreach(a, i, v) {
		if (strpbrk(json_string_value(v), " \t\"'") != NULL)
			t = ex_printf("%s '%s'", s, json_string_value(v));
		else
			t = ex_printf("%s %s", s, json_string_value(v));
		free(s);
		s = t;
	}
	return s;
}

static char *
ex_ms_text(long ms)
{
	if (ms % 1000 == 0)
		return ex_printf("%lds", ms / 1000);
	return ex_printf("%ldms", ms);
}

/* "exit 3", "timed out after 5s (killed by SIGTERM)", ... */
static char *
ex_outcome(const struct ex_run *r, const struct kz_spawn_result *res)
{
	const char	*sig = NULL;
	char		*dur, *s;

	if (res->error != NULL)
		return ex_strdup(res->error);
	if (res->signal != 0 && (sig = sigabbrev_np(res->signal)) == NULL)
		sig = "?";
	if (res->timed_out) {
		dur = ex_ms_text(r->timeout_ms);
		if (sig != NULL)
			s = ex_printf("timed out after %s (killed by SIG%s)",
			    dur, sig);
		else
			s = ex_printf("timed out after %s (exit %d)", dur,
			    res->exit_status);
		free(dur);
		return s;
	}
	if (sig != NULL)
		return ex_printf("killed by signal %d (SIG%s)", res->signal,
		    sig);
	return ex_printf("exit %d", res->exit_status);
}

static void
ex_child_done(const struct kz_spawn_result *res, void *arg)
{
	struct ex_run	*r = arg;
	char		*outcome, *note;
	int		 ok;

	ok = res->error == NULL && !res->timed_out && res->signal == 0 &&
	    res->exit_status == 0;
	outcome = ex_outcome(r, res);
	if (res->output_len > 0)
		note = ex_printf("%s\n%s", outcome, res->output);
	else
		note = ex_strdup(outcome);
	r->done(r->done_arg, ok, note);
	free(note);
	free(outcome);
	free(r);
}

static void *
ex_start(void *state, json_t *with, int64_t timeout_ms, kz_done_fn done,
    void *done_arg, char **why)
{
	struct ex_state	*st = state;
	struct ex_run	*r;
	json_t		*cwd = json_object_get(with, "cwd");
	char		**argv, **env;

	r = ex_need(calloc(1, sizeof *r));
	r->st = st;
	r->done = done;
	r->done_arg = done_arg;
	r->timeout_ms = timeout_ms < LONG_MAX ? (long)timeout_ms : LONG_MAX;
	argv = ex_argv(with);
	env = ex_env(with);
	r->child = st->core->spawn(st->core, (const char *const *)argv,
	    (const char *const *)env, json_is_string(cwd) ?
	    json_string_value(cwd) : NULL, r->timeout_ms, EX_MAX_OUTPUT,
	    ex_child_done, r, why);
	ex_strv_free(argv);
	ex_strv_free(env);
	if (r->child == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

static void
ex_cancel(void *state, void *run)
{
	struct ex_state	*st = state;
	struct ex_run	*r = run;

	st->core->spawn_cancel(st->core, r->child);
	free(r);
}

/* ---- the plugin ---- */

static int
ex_init(const struct kz_core *core, void **state)
{
	struct ex_state	*st;

	if (core->struct_size < KZ_CORE_SIZE_1_0)
		return -1;
	st = ex_need(calloc(1, sizeof *st));
	st->core = core;
	*state = st;
	return 0;
}

static void
ex_fini(void *state)
{
	free(state);
}

static const struct kz_action ex_action = {
	.struct_size = sizeof(struct kz_action),
	.name = "exec",
	.check = ex_check,
	.start = ex_start,
	.cancel = ex_cancel,
	.describe = ex_describe,
};

static const struct kz_action *const ex_actions[] = { &ex_action, NULL };

static const struct kz_plugin ex_plugin = {
	.abi_major = KZ_PLUGIN_ABI_MAJOR,
	.abi_minor = KZ_PLUGIN_ABI_MINOR,
	.struct_size = sizeof(struct kz_plugin),
	.name = "exec",
	.version = "1.0.0",
	.init = ex_init,
	.fini = ex_fini,
	.actions = ex_actions,
};

const struct kz_plugin *
keizoku_plugin(void)
{
	return &ex_plugin;
}
