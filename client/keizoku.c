/* keizoku: tell keizokud what happened and see what to do next.
 *
 * The command line is read with the shared command table (cmdtab.c): it
 * names each command, its positional params and its flags, so this file
 * only knows the global options. Params travel as a JSON object: the
 * positional args by name, --flags by name with dashes made underscores. */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "keizoku.h"

enum gopt { G_SOCKET, G_URL, G_TOKEN, G_CACERT, G_JSON, G_AS, G_HELP,
    G_VERSION };

/* Options that may appear before or after the command. */
static const struct {
	char		 letter;	/* 0: long form only */
	const char	*name;
	int		 value;
	enum gopt	 id;
	const char	*metavar;
	const char	*help;
} globals[] = {
	{ 's', "socket", 1, G_SOCKET, "SOCKET", "control socket (KEIZOKU_SOCKET, "
	    "default " CLI_DEFAULT_SOCKET ")" },
	{ 'u', "url", 1, G_URL, "URL", "reach keizokud over HTTP(S) instead "
	    "(KEIZOKU_URL)" },
	{ 'T', "token", 1, G_TOKEN, "TOKEN", "bearer token for -u "
	    "(KEIZOKU_TOKEN)" },
	{ 0, "cacert", 1, G_CACERT, "FILE", "CA certificate to trust for "
	    "https" },
	{ 0, "json", 0, G_JSON, NULL, "print the answer as one JSON document" },
	{ 0, "as", 1, G_AS, "MEMBER", "act on behalf of MEMBER (admins and "
	    "proxy roles)" },
	{ 'h', "help", 0, G_HELP, NULL, "show help (also: keizoku help "
	    "COMMAND)" },
	{ 'V', "version", 0, G_VERSION, NULL, "print the version" },
};
#define NGLOBALS	(sizeof globals / sizeof globals[0])

/* How values are named in usage lines, where the bare name says too
 * little. */
static const struct {
	const char	*name;
	const char	*metavar;
} metavars[] = {
	{ "incident", "INC" },
	{ "var", "K=V" },
	{ "note", "TEXT" },
	{ "title", "TEXT" },
	{ "reason", "TEXT" },
	{ "policy", "REF" },
	{ "eta", "DURATION" },
	{ "revert-by", "DURATION" },
	{ "format", "FORMAT" },
	{ "what", "tasks|systems|gaps|countermeasures" },
};

/* What the command line said. */
struct parse {
	struct cli_opts		 o;
	const char		*socket;	/* from -s */
	const char		*url;		/* from -u */
	const char		*token;		/* from -T */
	int			 help;
	int			 version;
	const struct kz_cmdspec	*cmd;
	json_t			*params;
	int			 nargs;
	char			*error;		/* first usage error */
};

/* The name of a value in usage lines; brief for the command overview. */
static char *
metavar(const char *name, int brief)
{
	size_t	 i;
	char	*s, *q;

	for (i = 0; i < sizeof metavars / sizeof metavars[0]; i++) {
		if (strcmp(metavars[i].name, name) == 0 &&
		    (!brief || strchr(metavars[i].metavar, '|') == NULL))
			return xstrdup(metavars[i].metavar);
	}
	s = xstrdup(name);
	for (q = s; *q != '\0'; q++)
		*q = *q == '-' ? '_' : (char)toupper((unsigned char)*q);
	return s;
}

static int
cmd_nargs(const struct kz_cmdspec *cmd)
{
	int n = 0;

	while (n < 3 && cmd->args[n] != NULL)
		n++;
	return n;
}

/* "ack INC STEP [--note TEXT]"; without flags for the overview. */
static void
print_synopsis(FILE *f, const struct kz_cmdspec *cmd, int flags)
{
	const struct kz_flagspec	*fl;
	int				 i, n = cmd_nargs(cmd);
	char				*mv;

	fputs(cmd->name, f);
	for (i = 0; i < n; i++) {
		mv = metavar(cmd->args[i], !flags);
		fprintf(f, i < cmd->min_args ? " %s" : " [%s]", mv);
		free(mv);
	}
	for (fl = cmd->flags; flags && fl->name != NULL; fl++) {
		fprintf(f, " [--%s", fl->name);
		if (fl->kind != KZ_F_BOOL) {
			mv = metavar(fl->name, 0);
			fprintf(f, " %s", mv);
			free(mv);
		}
		fputs(fl->kind == KZ_F_LIST ? "]..." : "]", f);
	}
}

/* "--var K=V" as the flag list shows it. */
static char *
flag_synopsis(const struct kz_flagspec *fl)
{
	char *mv, *s;

	if (fl->kind == KZ_F_BOOL)
		return xprintf("--%s", fl->name);
	mv = metavar(fl->name, 0);
	s = xprintf("--%s %s", fl->name, mv);
	free(mv);
	return s;
}

static void
usage_command(FILE *f, const struct kz_cmdspec *cmd)
{
	const struct kz_flagspec	*fl;
	size_t				 w = 0, len;
	char				*s;

	fputs("usage: keizoku ", f);
	print_synopsis(f, cmd, 1);
	fprintf(f, "\n\n%s.\n", cmd->help);
	for (fl = cmd->flags; fl->name != NULL; fl++) {
		s = flag_synopsis(fl);
		if ((len = strlen(s)) > w)
			w = len;
		free(s);
	}
	if (cmd->flags[0].name != NULL)
		fputs("\nflags:\n", f);
	for (fl = cmd->flags; fl->name != NULL; fl++) {
		s = flag_synopsis(fl);
		fprintf(f, "  %-*s  %s\n", (int)w, s, fl->help);
		free(s);
	}
	fputs("\nGlobal options (-s, -u, -T, --json, --as, ...) may come "
	    "before or after the\ncommand; see keizoku --help.\n", f);
}

static void
usage_globals(FILE *f)
{
	size_t	i;
	char	*s;

	fputs("\noptions:\n", f);
	for (i = 0; i < NGLOBALS; i++) {
		if (globals[i].letter != 0)
			s = xprintf("-%c, --%s%s%s", globals[i].letter,
			    globals[i].name, globals[i].value ? " " : "",
			    globals[i].value ? globals[i].metavar : "");
		else
			s = xprintf("    --%s%s%s", globals[i].name,
			    globals[i].value ? " " : "",
			    globals[i].value ? globals[i].metavar : "");
		fprintf(f, "  %-22s %s\n", s, globals[i].help);
		free(s);
	}
	fputs("\nexit status: 0 done, 1 keizokud refused or failed (reason on "
	    "stderr),\n2 usage error, 3 keizokud cannot be reached.\n", f);
}

static void
usage(FILE *f)
{
	const struct kz_cmdspec	*c;
	char			*s;
	size_t			 len;
	FILE			*mem;

	fputs("usage: keizoku [-s SOCKET] [-u URL -T TOKEN] [--cacert FILE] "
	    "[--json]\n               [--as MEMBER] COMMAND [ARGS] "
	    "[--FLAGS]\n\ncommands:\n", f);
	for (c = kz_cmdspecs; c->name != NULL; c++) {
		s = NULL;
		len = 0;
		if ((mem = open_memstream(&s, &len)) == NULL)
			fatal("open_memstream");
		print_synopsis(mem, c, 0);
		fclose(mem);
		fprintf(f, "  %-30s %s\n", s, c->help);
		free(s);
	}
	usage_globals(f);
	fputs("\nRun 'keizoku help COMMAND' for a command's flags.\n", f);
}

/* Commands whose first word is word ("plan" -> plan import, ...). */
static int
usage_group(FILE *f, const char *word)
{
	const struct kz_cmdspec	*c;
	size_t			 n = strlen(word);
	int			 found = 0;

	for (c = kz_cmdspecs; c->name != NULL; c++) {
		if (strncmp(c->name, word, n) != 0 || c->name[n] != ' ')
			continue;
		if (f == NULL) {	/* only counting */
			found++;
			continue;
		}
		if (!found++)
			fputs("usage:\n", f);
		fputs("  keizoku ", f);
		print_synopsis(f, c, 1);
		fputc('\n', f);
	}
	return found;
}

static void
parse_error(struct parse *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
parse_error(struct parse *p, const char *fmt, ...)
{
	va_list ap;

	if (p->error != NULL)
		return;
	va_start(ap, fmt);
	p->error = xvprintf(fmt, ap);
	va_end(ap);
}

static void
set_global(struct parse *p, enum gopt id, const char *value)
{
	switch (id) {
	case G_SOCKET:
		p->socket = value;
		break;
	case G_URL:
		p->url = value;
		break;
	case G_TOKEN:
		p->token = value;
		break;
	case G_CACERT:
		p->o.cacert = value;
		break;
	case G_JSON:
		p->o.json = 1;
		break;
	case G_AS:
		p->o.as = value;
		break;
	case G_HELP:
		p->help = 1;
		break;
	case G_VERSION:
		p->version = 1;
		break;
	}
}

/* Finds the global option argv[*i] names, long or short; 1 when it was
 * one (its value consumed too), 0 when not. */
static int
parse_global(struct parse *p, int argc, char **argv, int *i)
{
	const char	*arg = argv[*i], *value = NULL, *eq;
	size_t		 k, len;

	for (k = 0; k < NGLOBALS; k++) {
		if (arg[1] == '-') {
			eq = strchr(arg + 2, '=');
			len = eq != NULL ? (size_t)(eq - arg - 2) : strlen(arg + 2);
			if (strlen(globals[k].name) != len ||
			    strncmp(globals[k].name, arg + 2, len) != 0)
				continue;
			value = eq != NULL ? eq + 1 : NULL;
		} else {
			if (globals[k].letter == 0 || arg[1] != globals[k].letter)
				continue;
			value = arg[2] != '\0' ? arg + 2 : NULL;
		}
		break;
	}
	if (k == NGLOBALS)
		return 0;
	if (!globals[k].value && value != NULL)
		parse_error(p, "%.*s takes no value", (int)(strcspn(arg, "=")),
		    arg);
	else if (globals[k].value && value == NULL) {
		if (*i + 1 >= argc)
			parse_error(p, "%s needs a value: %s %s", arg, arg,
			    globals[k].metavar);
		else
			value = argv[++*i];
	}
	set_global(p, globals[k].id, value);
	return 1;
}

/* Flag names compare with dashes and underscores as equals. */
static const struct kz_flagspec *
find_flag(const struct kz_cmdspec *cmd, const char *name, size_t len)
{
	const struct kz_flagspec	*f;
	size_t				 i;

	for (f = cmd->flags; f->name != NULL; f++) {
		if (strlen(f->name) != len)
			continue;
		for (i = 0; i < len; i++) {
			if (f->name[i] != name[i] && !(strchr("-_",
			    f->name[i]) != NULL && strchr("-_", name[i]) != NULL))
				break;
		}
		if (i == len)
			return f;
	}
	return NULL;
}

/* A JSON string of an argument; jansson takes UTF-8 only, and so does
 * the daemon. */
static json_t *
arg_string(struct parse *p, const char *arg)
{
	json_t *v = json_string(arg);

	if (v == NULL)
		parse_error(p, "'%s' is not UTF-8 text: check the terminal's "
		    "encoding (LANG)", arg);
	return v;
}

static char *
param_name(const char *flag)
{
	char *s = xstrdup(flag), *q;

	for (q = s; *q != '\0'; q++)
		if (*q == '-')
			*q = '_';
	return s;
}

/* Adds --name[=value] (value from the next word when needed). */
static void
parse_flag(struct parse *p, int argc, char **argv, int *i)
{
	const char			*arg = argv[*i] + 2, *eq, *value;
	const struct kz_flagspec	*f;
	size_t				 len;
	char				*key;
	json_t				*list, *v;

	eq = strchr(arg, '=');
	len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
	if ((f = find_flag(p->cmd, arg, len)) == NULL) {
		parse_error(p, "%s: unknown flag --%.*s", p->cmd->name,
		    (int)len, arg);
		return;
	}
	value = eq != NULL ? eq + 1 : NULL;
	if (f->kind == KZ_F_BOOL && value != NULL) {
		parse_error(p, "--%s takes no value", f->name);
		return;
	}
	if (f->kind != KZ_F_BOOL && value == NULL) {
		if (*i + 1 >= argc) {
			parse_error(p, "--%s needs a value", f->name);
			return;
		}
		value = argv[++*i];
	}
	key = param_name(f->name);
	if (f->kind != KZ_F_LIST && json_object_get(p->params, key) != NULL)
		parse_error(p, "--%s given twice", f->name);
	else if (f->kind == KZ_F_BOOL)
		json_object_set_new(p->params, key, json_true());
	else if ((v = arg_string(p, value)) == NULL)
		;
	else if (f->kind == KZ_F_STR)
		json_object_set_new(p->params, key, v);
	else {
		if ((list = json_object_get(p->params, key)) == NULL) {
			list = json_array();
			json_object_set_new(p->params, key, list);
		}
		json_array_append_new(list, v);
	}
	free(key);
}

static void
parse_positional(struct parse *p, const char *arg)
{
	json_t *v;

	if (p->nargs >= cmd_nargs(p->cmd)) {
		parse_error(p, "%s: unexpected argument '%s'", p->cmd->name,
		    arg);
		return;
	}
	if ((v = arg_string(p, arg)) != NULL)
		json_object_set_new(p->params, p->cmd->args[p->nargs], v);
	p->nargs++;
}

/* Everything after the command name: flags, args and global options. */
static void
parse_command_line(struct parse *p, int argc, char **argv, int i)
{
	int	 dashdash = 0;
	char	*mv;

	for (; i < argc; i++) {
		if (dashdash || argv[i][0] != '-' || argv[i][1] == '\0')
			parse_positional(p, argv[i]);
		else if (strcmp(argv[i], "--") == 0)
			dashdash = 1;
		else if (parse_global(p, argc, argv, &i))
			continue;
		else if (argv[i][1] == '-')
			parse_flag(p, argc, argv, &i);
		else
			parse_error(p, "%s: unknown option %s", p->cmd->name,
			    argv[i]);
	}
	if (p->nargs < p->cmd->min_args) {
		/* parse_error keeps the first error, which says more. */
		mv = metavar(p->cmd->args[p->nargs], 0);
		parse_error(p, "%s: missing %s", p->cmd->name, mv);
		free(mv);
	}
}

/* A strict UTF-8 check: jansson refuses anything else. */
static int
read_text(const char *path, char **abs, json_t **content, char **cause)
{
	struct stat	 st;
	struct buf	 b = { 0 };
	char		 chunk[65536];
	ssize_t		 r;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1 || (*abs = realpath(path, NULL)) == NULL) {
		*cause = xprintf("cannot read %s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > KZ_REQUEST_MAX) {
		*cause = !S_ISREG(st.st_mode) ? xprintf("%s: not a regular "
		    "file", path) : xprintf("%s: too large (%lld bytes, at "
		    "most %d)", path, (long long)st.st_size, KZ_REQUEST_MAX);
		goto fail;
	}
	while ((r = read(fd, chunk, sizeof chunk)) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 || b.len + (size_t)r > KZ_REQUEST_MAX) {
			*cause = xprintf("cannot read %s: %s", path, r == -1 ?
			    strerror(errno) : "file grew too large");
			goto fail;
		}
		buf_add(&b, chunk, (size_t)r);
	}
	if ((*content = json_stringn(b.s == NULL ? "" : b.s, b.len)) == NULL) {
		*cause = xprintf("%s: not UTF-8 text", path);
		goto fail;
	}
	buf_free(&b);
	close(fd);
	return 0;
fail:
	buf_free(&b);
	free(*abs);
	*abs = NULL;
	close(fd);
	return -1;
}

/* "plan import FILE": the daemon may not be able to read our files, so
 * the file travels inside the request. */
static int
attach_file(struct parse *p)
{
	json_t		*v, *content = NULL;
	char		*abs = NULL, *cause = NULL;

	v = json_object_get(p->params, p->cmd->readfile);
	if (!json_is_string(v))
		return 0;
	if (read_text(json_string_value(v), &abs, &content, &cause) == -1) {
		fprintf(stderr, "keizoku: %s\n", cause);
		free(cause);
		return -1;
	}
	json_object_set_new(p->params, p->cmd->readfile, json_string(abs));
	json_object_set_new(p->params, "content", content);
	free(abs);
	return 0;
}

static const char *
env(const char *name)
{
	const char *s = getenv(name);

	return s != NULL && *s != '\0' ? s : NULL;
}

/* The command line wins over the environment; a -s on the command line
 * wins over a KEIZOKU_URL left in the environment. */
static int
pick_transport(struct parse *p)
{
	if (p->socket != NULL && p->url != NULL) {
		fputs("keizoku: -s and -u exclude each other: use the "
		    "socket or HTTP\n", stderr);
		return -1;
	}
	p->o.url = p->url;
	if (p->o.url == NULL && p->socket == NULL)
		p->o.url = env("KEIZOKU_URL");
	if (p->o.url != NULL && strncmp(p->o.url, "http://", 7) != 0 &&
	    strncmp(p->o.url, "https://", 8) != 0) {
		fprintf(stderr, "keizoku: %s: the URL must start with http:// "
		    "or https://\n", p->o.url);
		return -1;
	}
	p->o.socket = p->socket != NULL ? p->socket : env("KEIZOKU_SOCKET");
	if (p->o.socket == NULL)
		p->o.socket = CLI_DEFAULT_SOCKET;
	p->o.token = p->token != NULL ? p->token : env("KEIZOKU_TOKEN");
	if (p->o.url != NULL && p->o.token == NULL) {
		fprintf(stderr, "keizoku: %s needs a token: pass -T TOKEN or "
		    "set KEIZOKU_TOKEN\n", p->o.url);
		return -1;
	}
	if (p->o.as != NULL && *p->o.as == '\0') {
		fputs("keizoku: --as needs a member id\n", stderr);
		return -1;
	}
	return 0;
}

/* Reads global options before the command; returns the index of the
 * command word, or -1 after a usage error. */
static int
parse_leading(struct parse *p, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (argv[i][0] != '-' || argv[i][1] == '\0')
			break;
		if (strcmp(argv[i], "--") == 0)
			return i + 1;
		if (!parse_global(p, argc, argv, &i))
			parse_error(p, "unknown option %s (options come before "
			    "or after the command: keizoku --help)", argv[i]);
	}
	return i;
}

/* "keizoku help [COMMAND]". */
static int
help(int argc, char **argv)
{
	const struct kz_cmdspec	*cmd;
	int			 used;

	if (argc == 0) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if ((cmd = kz_cmdspec_find(argc, argv, &used)) != NULL) {
		usage_command(stdout, cmd);
		return CLI_EXIT_OK;
	}
	if (usage_group(stdout, argv[0]))
		return CLI_EXIT_OK;
	fprintf(stderr, "keizoku: no command '%s'; keizoku --help lists "
	    "them\n", argv[0]);
	return CLI_EXIT_USAGE;
}

/* Finds the command at argv[i] and parses the rest; 0 or an exit code. */
static int
parse_command(struct parse *p, int argc, char **argv, int i)
{
	int used;

	p->cmd = kz_cmdspec_find(argc - i, argv + i, &used);
	if (p->cmd != NULL) {
		parse_command_line(p, argc, argv, i + used);
		return 0;
	}
	if (usage_group(NULL, argv[i]) == 0)
		fprintf(stderr, "keizoku: no command '%s'; keizoku --help "
		    "lists them\n", argv[i]);
	else {
		if (argc - i < 2 || argv[i + 1][0] == '-')
			fprintf(stderr, "keizoku: %s needs a subcommand\n",
			    argv[i]);
		else
			fprintf(stderr, "keizoku: no command '%s %s'\n",
			    argv[i], argv[i + 1]);
		usage_group(stderr, argv[i]);
	}
	return CLI_EXIT_USAGE;
}

static int
refused(const struct parse *p, const struct cli_reply *r)
{
	const char *err = cli_getstr(r->body, "error");

	if (p->o.json)
		cli_print_json(stdout, r->body);
	if (err != NULL)
		fprintf(stderr, "keizoku: %s\n", err);
	else
		fprintf(stderr, "keizoku: keizokud failed with status %ld "
		    "without saying why; see its log\n", r->status);
	if (r->status == 401 && p->o.url != NULL)
		fputs("keizoku: check the token (-T or KEIZOKU_TOKEN)\n",
		    stderr);
	return CLI_EXIT_REFUSED;
}

/* Sends the request and prints the answer; returns the exit code. */
static int
run(struct parse *p)
{
	struct cli_reply	 r = { 0, NULL, NULL };
	struct cli_out		 out;
	char			*cause = NULL;
	int			 rc;

	if (p->o.url != NULL)
		rc = cli_send_http(&p->o, p->cmd, p->params, &r, &cause);
	else
		rc = cli_send_socket(&p->o, p->cmd, p->params, &r, &cause);
	if (rc != 0) {
		fprintf(stderr, "keizoku: %s\n", cause);
		free(cause);
		return rc;
	}
	memset(&out, 0, sizeof out);
	out.cmd = p->cmd;
	out.params = p->params;
	out.out = stdout;
	out.now = clock_now();
	if (r.status < 200 || r.status > 299)
		rc = refused(p, &r);
	else if (p->o.json) {
		cli_print_json(stdout, r.body);
		rc = cli_body_exit(&out, r.body);
	} else
		rc = cli_print(&out, r.body);
	/* A page of a longer list: say how to go on (stdout stays the
	 * list, for scripts). */
	if (r.next != NULL && rc == CLI_EXIT_OK)
		fprintf(stderr, "keizoku: more follow; for the next page, "
		    "run it again with --after %s\n", r.next);
	free(r.next);
	json_decref(r.body);
	return rc;
}

static int
finish(struct parse *p, int rc)
{
	json_decref(p->params);
	free(p->error);
	if (fflush(stdout) == EOF && rc == CLI_EXIT_OK) {
		fprintf(stderr, "keizoku: writing output: %s\n",
		    strerror(errno));
		rc = CLI_EXIT_REFUSED;
	}
	return rc;
}

int
main(int argc, char **argv)
{
	struct parse	p;
	int		i, rc;

	log_init("keizoku", 0);
	cli_locale_init();
	clock_init();
	memset(&p, 0, sizeof p);
	p.params = json_object();

	i = parse_leading(&p, argc, argv);
	if (p.error == NULL && i < argc && strcmp(argv[i], "help") == 0)
		return finish(&p, help(argc - i - 1, argv + i + 1));
	if (p.error == NULL && i == argc && (p.help || p.version)) {
		if (p.help)
			usage(stdout);
		else
			printf("keizoku %s\n", KZ_VERSION);
		return finish(&p, CLI_EXIT_OK);
	}
	if (p.error != NULL || i == argc) {
		if (p.error != NULL)
			fprintf(stderr, "keizoku: %s\n", p.error);
		else
			fputs("keizoku: no command given\n", stderr);
		fputs("usage: keizoku [-s SOCKET] [-u URL -T TOKEN] [--json] "
		    "[--as MEMBER] COMMAND ...\nkeizoku --help lists the "
		    "commands and options.\n", stderr);
		return finish(&p, CLI_EXIT_USAGE);
	}
	if ((rc = parse_command(&p, argc, argv, i)) != 0)
		return finish(&p, rc);
	if (p.help || p.version) {
		if (p.help)
			usage_command(stdout, p.cmd);
		else
			printf("keizoku %s\n", KZ_VERSION);
		return finish(&p, CLI_EXIT_OK);
	}
	if (p.error != NULL) {
		fprintf(stderr, "keizoku: %s\nusage: keizoku ", p.error);
		print_synopsis(stderr, p.cmd, 1);
		fprintf(stderr, "\n'keizoku help %s' explains the flags.\n",
		    p.cmd->name);
		return finish(&p, CLI_EXIT_USAGE);
	}
	if (pick_transport(&p) == -1)
		return finish(&p, CLI_EXIT_USAGE);
	if (p.cmd->readfile != NULL && attach_file(&p) == -1)
		return finish(&p, CLI_EXIT_REFUSED);
	return finish(&p, run(&p));
}
