/* The web pages of SPEC §14 on the daemon's own evhttp: personal answer
 * pages (/r/{token}), incident pages (/i/{id}), the crisis HQ board
 * (/board, live through server-sent events), situation reports and
 * sign-in (/login). Every change made on a page is a command run through
 * kz_dispatch, as the CLI's are: the same permissions, the same errors,
 * and the audit log says "MEMBER (web)".
 *
 *   web.c        routes, requests, sign-in, sessions, CSRF
 *   web-page.c   the personal and incident pages (phone first, no JS)
 *   board.c      the board: rendered in slices across loop turns, SSE
 *   web-html.c   the HTML around them: head, style sheet, escaping
 */
#ifndef KZ_WEB_H
#define KZ_WEB_H

#include <jansson.h>
#include <stdint.h>

#include "common/xmalloc.h"
#include "proto/proto.h"

struct kz_daemon;
struct evhttp_request;
struct evhttp_connection;
struct incident;
struct web;

/* http.c hands every request here first: 1 when it is a page (handled
 * now or later), 0 when it is not ours. */
int	 web_handle(struct kz_daemon *, struct evhttp_request *,
	    const char *path);
struct web *web_new(struct kz_daemon *);
void	 web_free(struct web *);

#ifdef KZ_WEB_INTERNAL

#include <sys/queue.h>
#include <time.h>

/* One page request between its arrival and its reply. */
struct wreq {
	struct kz_daemon		*d;
	struct web			*w;
	struct evhttp_request		*req;	/* NULL: the client left */
	struct evhttp_connection	*evcon;
	char				*member;	/* signed in as */
	char				*binding;	/* CSRF binding */
	char				*self;		/* the page's URL path */
	char				*token;		/* /r/{token} */
	int64_t				 incident;
	int				 personal;	/* via /r/ */
	int64_t				 link_exp_s;
	int				 bearer;	/* API token, no cookie */
	int				 inline_style;	/* a stored document */
	char				*flash;		/* a message to show */
	int				 flash_bad;
	void				(*gone)(struct wreq *);
	void				*job;		/* board.c */
};

struct sse;
struct board_job;
struct web {
	struct kz_daemon	*d;
	struct event		*tick;
	uint64_t		 seen_commits;
	int64_t			 last_push_ms;
	int64_t			 last_tick_ms;
	TAILQ_HEAD(, sse)	 clients;
	size_t			 nclients;
	struct board_job	*jobs;		/* renders under way */
	json_t			*login_mails;	/* {member: ms}: one a minute */
	/* render statistics for make bench: GET /board/stats */
	uint64_t		 renders;
	uint64_t		 slices;
	int64_t			 max_slice_us;	/* wall */
	int64_t			 max_slice_cpu_us;
	uint64_t		 slices_over_1ms;	/* wall */
#define WEB_HIST	50
	uint64_t		 cpu_hist[WEB_HIST];	/* by 100 us */
	int64_t			 last_render_us;
	int64_t			 last_max_slice_us;
	uint64_t		 render_waits;	/* for a silent reader */
	uint64_t		 streams_refused;
	uint64_t		 streams_dropped;
};

/* web.c */
void	 web_std_headers(struct wreq *, const char *ctype);
void	 web_reply(struct wreq *, int status, const char *ctype,
	    const char *body, size_t len);
void	 web_html(struct wreq *, int status, struct buf *);
void	 web_redirect(struct wreq *, const char *to);
void	 web_error_page(struct wreq *, int status, const char *ja,
	    const char *en);
char	*web_csrf(struct wreq *);
void	 wreq_free(struct wreq *);
/* Notices when the client goes (wr->req becomes NULL, wr->gone runs). */
void	 web_watch(struct wreq *);
const char *web_member_name(struct kz_daemon *, const char *id);

/* web-html.c */
void	 wh_begin(struct buf *, const char *title, const char *bodyclass,
	    int script);
void	 wh_end(struct buf *);
void	 wh_esc(struct buf *, const char *);
void	 wh_pair(struct buf *, const char *tag, const char *ja,
	    const char *en);
void	 wh_hidden(struct buf *, const char *name, const char *value);
const char *wh_state_ja(const char *state);
void	 wh_duration(struct buf *, int64_t ms);
extern const char wh_css[];
extern const char wh_js[];

/* web-page.c */
void	 page_incident(struct wreq *, int status);
void	 page_post(struct wreq *, json_t *form);

/* board.c */
void	 board_get(struct wreq *, int fragment);
void	 board_events(struct wreq *);
void	 board_stats(struct wreq *);
void	 board_tick(struct web *);
void	 board_free_clients(struct web *);	/* and renders */
void	 sitrep_post(struct wreq *, json_t *form);
void	 sitrep_get(struct wreq *, int64_t incident, int64_t n);

/* A command on behalf of the request's member, as the CLI's; done gets
 * the reply (the request may be gone: wr->req NULL). */
void	 web_command(struct wreq *, enum kz_cmd_id, json_t *params,
	    void (*done)(struct wreq *, int status, json_t *body));

#endif
#endif
