/* keizokud's start, loop and stop (daemon.c), called by main.c. */
#ifndef KZ_DAEMON_RUN_H
#define KZ_DAEMON_RUN_H

/* Runs keizokud on the config at conf_path until SIGTERM or SIGINT;
 * exits (fatalx) when it cannot start. */
int	 kz_daemon_run(const char *conf_path);

#endif
