/* The HTTP front end (http.c): webhooks, the REST API (routes from the
 * command table), health and metrics, over HTTP or HTTPS. */
#ifndef KZ_HTTP_H
#define KZ_HTTP_H

struct kz_daemon;

/* Listens on the config's http.listen (nothing when unset): 0, or -1
 * with *why (caller frees). */
int	 kz_http_start(struct kz_daemon *, char **why);
void	 kz_http_stop(struct kz_daemon *);

#endif
