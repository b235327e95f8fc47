/* Placeholder until the HTTP front end lands: HTTP disabled. */
#include "daemon.h"
#include "log.h"

int
kz_http_start(struct kz_daemon *d, char **why)
{
	return 0;
}

void
kz_http_stop(struct kz_daemon *d)
{
}
