/* The control socket: framed JSON requests from keizoku (proto.h), with
 * the caller identified by SO_PEERCRED. */
#ifndef KZ_CONTROL_H
#define KZ_CONTROL_H

struct kz_daemon;
struct control;

struct control	*control_listen(struct kz_daemon *, const char *path, int mode,
		    char **why);
/* Stops listening; the connections open get their replies. */
void		 control_stop(struct control *);
void		 control_close(struct control *);

#endif
