/* keizoku, the command-line client of keizokud.
 *
 * keizoku.c parses argv with the shared command table (proto/commands.h)
 * into a params object, transport.c carries it over the control socket or
 * HTTP, and the print-*.c files turn the answer into text. Every symbol
 * here is prefixed cli_ because the client links against the daemon's
 * static library and must not collide with it. */
#ifndef KZ_CLIENT_H
#define KZ_CLIENT_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "proto/proto.h"

#ifndef KZ_VERSION
#define KZ_VERSION	"0.1.0"
#endif

#define CLI_DEFAULT_SOCKET	"/run/keizoku/keizoku.sock"
/* What marks a drill in every table and line (SPEC §10). */
#define CLI_DRILL_MARK		"[訓練 DRILL]"

/* Exit codes (SPEC §5). */
#define CLI_EXIT_OK		0
#define CLI_EXIT_REFUSED	1
#define CLI_EXIT_USAGE		2
#define CLI_EXIT_UNREACHABLE	3

/* Seconds to wait for keizokud before giving up. */
#define CLI_CONNECT_TIMEOUT	10
#define CLI_REPLY_TIMEOUT	120

/* Where and how to reach the daemon. */
struct cli_opts {
	const char	*socket;
	const char	*url;
	const char	*token;
	const char	*cacert;
	const char	*as;
	int		 json;
};

struct cli_reply {
	long		 status;
	json_t		*body;		/* never NULL after success */
	char		*next;		/* a list's next page, or NULL */
};

/* transport.c: both return 0 with *reply filled, or an exit code
 * (CLI_EXIT_REFUSED, CLI_EXIT_UNREACHABLE) with *cause set (caller frees). */
int	 cli_send_socket(const struct cli_opts *, const struct kz_cmdspec *,
	    json_t *params, struct cli_reply *, char **cause);
int	 cli_send_http(const struct cli_opts *, const struct kz_cmdspec *,
	    json_t *params, struct cli_reply *, char **cause);
/* Expands "{name}" in a REST path with escaped params, removing them from
 * params; escape is applied to each value. Returns NULL with *cause set
 * when a placeholder has no string param. */
char	*cli_expand_path(const char *path, json_t *params,
	    char *(*escape)(const char *), char **cause);

/* table.c: aligned text tables that measure East Asian wide characters. */
#define CLI_LEFT	0
#define CLI_RIGHT	1

struct cli_table;

void	 cli_locale_init(void);
/* Display width of a UTF-8 string in terminal columns. */
size_t	 cli_width(const char *);
/* Copy with control characters made harmless for one line of output. */
char	*cli_oneline(const char *);
/* Prefix of s at most width columns wide, with "…" when cut. */
char	*cli_truncate(const char *s, size_t width);

struct cli_table *cli_table_new(int ncols, const char *const *headers);
void	 cli_table_align(struct cli_table *, int col, int align);
/* The column that gives way when the table is wider than the terminal. */
void	 cli_table_flex(struct cli_table *, int col);
void	 cli_table_row(struct cli_table *);
void	 cli_table_cell(struct cli_table *, const char *);
void	 cli_table_cellf(struct cli_table *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	 cli_table_rows(const struct cli_table *);
void	 cli_table_print(struct cli_table *, FILE *, const char *indent);
void	 cli_table_free(struct cli_table *);

/* print.c: what the printers share. */
struct cli_out {
	const struct kz_cmdspec	*cmd;
	json_t			*params;
	int64_t			 now;	/* ms, for "in 12m" / "overdue 3m" */
	FILE			*out;
};

/* Prints a 2xx body for a human and returns the exit code. */
int	 cli_print(struct cli_out *, json_t *body);
/* Prints body as --json does. */
void	 cli_print_json(FILE *, json_t *body);
/* Exit code of a 2xx body (plan check, verify can fail). */
int	 cli_body_exit(const struct cli_out *, json_t *body);

/* Formatting helpers; each returns a newly allocated string. */
char	*cli_scalar(json_t *);		/* "-" for null and missing */
char	*cli_get(json_t *obj, const char *key);
char	*cli_localtime(const char *rfc3339);
char	*cli_relative(int64_t now, const char *rfc3339);
char	*cli_seconds(json_t *);		/* duration of a *_s field */
char	*cli_join(json_t *array, const char *sep);
const char *cli_getstr(json_t *obj, const char *key);	/* NULL if not */
int	 cli_getint(json_t *obj, const char *key, long long *);
int	 cli_getbool(json_t *obj, const char *key);

/* Generic printers, used by the others and for unknown bodies. */
void	 cli_print_generic(struct cli_out *, json_t *body, const char *indent);
void	 cli_print_objects(struct cli_out *, json_t *array,
	    const char *const *order, const char *indent);
void	 cli_print_content(struct cli_out *, json_t *body);
void	 cli_print_text(FILE *, const char *indent, const char *text);

/* The per-command printers of print-*.c, named in proto/commands.h. */
typedef void cli_printer(struct cli_out *, json_t *);

/* The printer of a command (never NULL for an id < KZ_CMD_COUNT). */
cli_printer	*cli_printer_of(enum kz_cmd_id);
/* cli_print_generic as a printer, for commands without their own. */
cli_printer	cli_print_generic_cmd;

cli_printer	cli_pr_status, cli_pr_runbooks, cli_pr_roster,
		cli_pr_exceptions, cli_pr_exception_state,
		cli_pr_notifications, cli_pr_reload, cli_pr_verify;
cli_printer	cli_pr_incident_state, cli_pr_incidents, cli_pr_show,
		cli_pr_step, cli_pr_assign, cli_pr_respond, cli_pr_inbox, cli_pr_log;
cli_printer	cli_pr_plan_import, cli_pr_plan_check, cli_pr_plan_show,
		cli_pr_drill_list, cli_pr_drill_start;
cli_printer	cli_pr_sources, cli_pr_maint_list, cli_pr_maint_state;

/* "[訓練 DRILL] text" when obj has "drill": true, else text; allocated. */
char	*cli_drill_text(json_t *obj, const char *text);
/* Prints incident rows (incidents, drill list). */
void	 cli_incident_table(struct cli_out *, json_t *array, const char *);

#endif
