/* systemd's notify protocol without libsystemd (sdnotify.c). */
#ifndef KZ_SDNOTIFY_H
#define KZ_SDNOTIFY_H

/* Sends msg ("READY=1", "WATCHDOG=1") to $NOTIFY_SOCKET, if set. */
void	 sd_notify_msg(const char *msg);

#endif
