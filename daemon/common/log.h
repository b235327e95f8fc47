/* Logging to stderr (journald under systemd), OpenBSD style. */
#ifndef KZ_LOG_H
#define KZ_LOG_H

#include <stdarg.h>

void	log_init(const char *progname, int verbose);
void	log_setverbose(int);
int	log_getverbose(void);
/* log_warn appends strerror(errno); log_warnx does not. */
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
