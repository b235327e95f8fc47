#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/config.h"
#include "front/control.h"
#include "cmd/cmd.h"
#include "core/daemon.h"
#include "proto/frame.h"
#include "common/log.h"
#include "model/roster.h"
#include "common/xmalloc.h"
#include "common/ytree.h"
#include "common/jsonutil.h"

struct control {
	struct kz_daemon	*d;
	struct evconnlistener	*lev;
	char			*path;
};

struct conn {
	struct control		*ctl;
	struct bufferevent	*bev;
	uid_t			 uid;
	char			*user;
	int			 busy;		/* a request is being served */
	int			 closed;	/* peer gone; free on reply */
	int			 closing;	/* close once the reply is out */
};

static void
conn_free(struct conn *c)
{
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	free(c->user);
	free(c);
}

static void
send_frame(struct conn *c, int status, json_t *body)
{
	json_t		*msg = json_pack("{s:i,s:i,s:o}", "v", KZ_PROTO_VERSION,
	    "status", status, "body", body ? body : json_object());
	char		*text = json_dumps(msg, JSON_COMPACT);
	unsigned char	 hdr[4];
	size_t		 len = strlen(text);

	kz_put_be32(hdr, (uint32_t)len);
	bufferevent_write(c->bev, hdr, sizeof hdr);
	bufferevent_write(c->bev, text, len);
	free(text);
	json_decref(msg);
}

static void
reply_cb(void *arg, int status, json_t *body)
{
	struct conn *c = arg;

	c->busy = 0;
	if (c->closed) {
		json_decref(body);
		conn_free(c);
		return;
	}
	send_frame(c, status, body);
	bufferevent_enable(c->bev, EV_READ);
}

static int
is_admin(const struct config *conf, const char *user, uid_t uid)
{
	return user != NULL && strv_has(conf->admins, user);
}

static void
handle(struct conn *c, json_t *msg)
{
	struct kz_daemon	*d = c->ctl->d;
	struct kz_req		 r;
	const struct member	*m;
	json_t			*params, *as;
	const char		*cmd;

	/* frame_decode checked the version and the shape. */
	memset(&r, 0, sizeof r);
	cmd = json_string_value(json_object_get(msg, "cmd"));
	params = json_object_get(msg, "params");
	as = json_object_get(msg, "as");
	if (cmd == NULL || (r.spec = kz_cmdspec_byname(cmd)) == NULL) {
		send_frame(c, 404, kz_error("unknown command \"%s\"",
		    cmd ? cmd : ""));
		return;
	}
	r.admin = is_admin(d->conf, c->user, c->uid);
	m = roster_by_unix(d->roster, c->user, c->uid);
	if (m == NULL && !r.admin) {
		send_frame(c, 403, kz_error("unix user %s (uid %lu) is not in "
		    "the roster and not an admin", c->user ? c->user : "?",
		    (unsigned long)c->uid));
		return;
	}
	r.actor = xstrdup(m != NULL ? m->id : c->user);
	r.member = json_is_string(as) ? xstrdup(json_string_value(as)) : NULL;
	r.params = params ? json_incref(params) : json_object();
	r.via = "socket";
	c->busy = 1;
	bufferevent_disable(c->bev, EV_READ);
	kz_dispatch(d, &r, reply_cb, c);
	free(r.actor);
	free(r.member);
	json_decref(r.params);
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct conn	*c = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	json_t		*msg;
	char		*why;
	size_t		 used, len;
	int		 rc;

	while (!c->busy && (len = evbuffer_get_length(in)) >= 4) {
		/* A whole frame is contiguous once it has arrived. */
		why = NULL;
		msg = NULL;
		rc = frame_decode(evbuffer_pullup(in, -1), len, &used, &msg,
		    &why);
		if (rc == 0)
			return;
		if (rc == -1 && used == 0) {
			log_warnx("control: uid %lu: %s", (unsigned long)c->uid,
			    why);
			send_frame(c, 413, kz_error("%s", why));
			free(why);
			evbuffer_drain(in, len);
			bufferevent_disable(bev, EV_READ);
			/* The stream cannot be resynchronised: close it once
			 * the answer has gone out. */
			c->closing = 1;
			return;
		}
		evbuffer_drain(in, used);
		if (rc == -1) {
			send_frame(c, 400, kz_error("%s", why));
			free(why);
			continue;
		}
		handle(c, msg);
		json_decref(msg);
	}
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		if (c->busy) {
			/* The reply is still coming; free the conn then. */
			c->closed = 1;
			bufferevent_free(c->bev);
			c->bev = NULL;
			return;
		}
		conn_free(c);
	}
}

static void
write_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (c->closing && !c->busy &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		conn_free(c);
}

static void
accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct control	*ctl = arg;
	struct conn	*c;
	struct ucred	 cred;
	socklen_t	 len = sizeof cred;
	struct passwd	 pw, *pwp = NULL;
	char		 pwbuf[4096];

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		log_warn("control: SO_PEERCRED");
		close(fd);
		return;
	}
	c = xcalloc(1, sizeof *c);
	c->ctl = ctl;
	c->uid = cred.uid;
	if (getpwuid_r(cred.uid, &pw, pwbuf, sizeof pwbuf, &pwp) == 0 &&
	    pwp != NULL)
		c->user = xstrdup(pw.pw_name);
	c->bev = bufferevent_socket_new(ctl->d->base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(c->bev, read_cb, write_cb, event_cb, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

struct control *
control_listen(struct kz_daemon *d, const char *path, int mode, char **why)
{
	struct control		*ctl;
	struct sockaddr_un	 sun;
	int			 fd;
	mode_t			 old;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		*why = xprintf("control socket path too long: %s", path);
		return NULL;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	/* A stale socket from a crash: remove it only if nobody answers. */
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) != -1) {
		if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0) {
			close(fd);
			*why = xprintf("%s: another keizokud is running", path);
			return NULL;
		}
		close(fd);
	}
	if (unlink(path) == -1 && errno != ENOENT) {
		*why = xprintf("cannot remove stale socket %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	ctl = xcalloc(1, sizeof *ctl);
	ctl->d = d;
	ctl->path = xstrdup(path);
	old = umask(0177);
	ctl->lev = evconnlistener_new_bind(d->base, accept_cb, ctl,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 64,
	    (struct sockaddr *)&sun, sizeof sun);
	umask(old);
	if (ctl->lev == NULL) {
		*why = xprintf("cannot listen on %s: %s", path,
		    strerror(errno));
		free(ctl->path);
		free(ctl);
		return NULL;
	}
	if (chmod(path, (mode_t)mode) == -1)
		log_warn("chmod %s", path);
	return ctl;
}

void
control_close(struct control *ctl)
{
	if (ctl == NULL)
		return;
	evconnlistener_free(ctl->lev);
	unlink(ctl->path);
	free(ctl->path);
	free(ctl);
}
