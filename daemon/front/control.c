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
#include "front/listen.h"
#include "core/daemon.h"
#include "proto/frame.h"
#include "common/log.h"
#include "model/roster.h"
#include "common/xmalloc.h"
#include "common/ytree.h"
#include "common/jsonutil.h"

/*
 * Replies wait in a connection's output until its client reads them. A
 * client that sends requests and reads nothing must not grow the daemon:
 * past CTL_OUT_HWM of unread replies no further request of that
 * connection is read (the client's writes block in the kernel), reading
 * resumes once the output is down to CTL_OUT_LWM, and a connection whose
 * client takes nothing for CTL_WRITE_TIMEOUT_S is closed. Each uid may
 * hold a share of the connections, so one local user cannot lock out the
 * others.
 */
#define CTL_OUT_HWM		(256 * 1024)
#define CTL_OUT_LWM		(64 * 1024)
#define CTL_WRITE_TIMEOUT_S	60

struct control {
	struct kz_daemon	*d;
	struct evconnlistener	*lev;
	struct lguard		*lg;
	char			*path;
	struct conn		*conns;
	int			 n;
};

struct conn {
	struct control		*ctl;
	struct bufferevent	*bev;
	uid_t			 uid;
	char			*user;
	int			 busy;		/* a request is being served */
	int			 closed;	/* peer gone; free on reply */
	int			 closing;	/* close once the reply is out */
	int			 processing;	/* inside conn_process */
	struct conn		*next;
};

static void	conn_process(struct conn *);

static void
conn_free(struct conn *c)
{
	struct conn **pp;

	for (pp = &c->ctl->conns; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	c->ctl->n--;
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	free(c->user);
	free(c);
}

static size_t
conn_unread(struct conn *c)
{
	return evbuffer_get_length(bufferevent_get_output(c->bev));
}

static void
send_frame(struct conn *c, int status, json_t *body)
{
	json_t		*msg = json_pack("{s:i,s:i,s:o}", "v", KZ_PROTO_VERSION,
	    "status", status, "body", body ? body : json_object());
	char		*text;

	/* A list with more to follow: where the next page starts. */
	if (c->ctl->d->reply_next != NULL)
		json_object_set_new(msg, "next",
		    json_string(c->ctl->d->reply_next));
	text = json_dumps(msg, JSON_COMPACT);
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
	/* A reply after the commit: go on with what the client sent
	 * meanwhile (a reply given at once returns into the loop). */
	if (!c->processing)
		conn_process(c);
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
	kz_dispatch(d, &r, reply_cb, c);
	free(r.actor);
	free(r.member);
	json_decref(r.params);
}

/* Serves the requests that have arrived, one at a time, while the client
 * keeps up with the replies. */
static void
conn_process(struct conn *c)
{
	struct evbuffer	*in = bufferevent_get_input(c->bev);
	json_t		*msg;
	char		*why;
	size_t		 used, len;
	int		 rc;

	c->processing = 1;
	while (!c->busy && !c->closing && conn_unread(c) < CTL_OUT_HWM &&
	    (len = evbuffer_get_length(in)) >= 4) {
		/* A whole frame is contiguous once it has arrived. */
		why = NULL;
		msg = NULL;
		rc = frame_decode(evbuffer_pullup(in, -1), len, &used, &msg,
		    &why);
		if (rc == 0)
			break;
		if (rc == -1 && used == 0) {
			log_warnx("control: uid %lu: %s", (unsigned long)c->uid,
			    why);
			send_frame(c, 413, kz_error("%s", why));
			free(why);
			evbuffer_drain(in, len);
			/* The stream cannot be resynchronised: close it once
			 * the answer has gone out. */
			c->closing = 1;
			break;
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
	c->processing = 0;
	/* Read more only when there is room for its replies. */
	if (c->busy || c->closing || conn_unread(c) >= CTL_OUT_HWM)
		bufferevent_disable(c->bev, EV_READ);
	else
		bufferevent_enable(c->bev, EV_READ);
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	conn_process(arg);
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	if (what & BEV_EVENT_TIMEOUT)
		log_warnx("control: uid %lu: %zu bytes of replies unread for "
		    "%ds; closing the connection", (unsigned long)c->uid,
		    conn_unread(c), CTL_WRITE_TIMEOUT_S);
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) {
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
	else if (!c->busy && !c->closing)
		conn_process(c);	/* the client caught up */
}

/* Refuses a connection over the caps, saying why, and closes it. */
static void
refuse(int fd, const char *why)
{
	json_t		*msg = json_pack("{s:i,s:i,s:{s:s}}", "v",
			    KZ_PROTO_VERSION, "status", 503, "body", "error",
			    why);
	char		*text = json_dumps(msg, JSON_COMPACT);
	unsigned char	 hdr[4];
	size_t		 len = strlen(text);

	kz_put_be32(hdr, (uint32_t)len);
	/* A new socket's buffer takes this much without blocking. */
	if (send(fd, hdr, sizeof hdr, MSG_DONTWAIT | MSG_NOSIGNAL) == 4)
		(void)send(fd, text, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	free(text);
	json_decref(msg);
	close(fd);
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

	struct conn	*o;
	int		 mine = 0, share;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		log_warn("control: SO_PEERCRED");
		close(fd);
		return;
	}
	for (o = ctl->conns; o != NULL; o = o->next)
		mine += o->uid == cred.uid;
	share = ctl->d->ctl_max / 4 > 2 ? ctl->d->ctl_max / 4 : 2;
	if (ctl->n >= ctl->d->ctl_max || mine >= share) {
		refuse(fd, ctl->n >= ctl->d->ctl_max ? "too many control "
		    "connections; try again" : "too many control connections "
		    "from this user; close some");
		return;
	}
	c = xcalloc(1, sizeof *c);
	c->ctl = ctl;
	c->next = ctl->conns;
	ctl->conns = c;
	ctl->n++;
	c->uid = cred.uid;
	if (getpwuid_r(cred.uid, &pw, pwbuf, sizeof pwbuf, &pwp) == 0 &&
	    pwp != NULL)
		c->user = xstrdup(pw.pw_name);
	c->bev = bufferevent_socket_new(ctl->d->base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(c->bev, read_cb, write_cb, event_cb, c);
	/* write_cb when the replies are down to the low mark; no more input
	 * kept than the largest request. */
	bufferevent_setwatermark(c->bev, EV_WRITE, CTL_OUT_LWM, 0);
	bufferevent_setwatermark(c->bev, EV_READ, 0, KZ_REQUEST_MAX + 4);
	{
		struct timeval wtv = { CTL_WRITE_TIMEOUT_S, 0 };

		bufferevent_set_timeouts(c->bev, NULL, &wtv);
	}
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
	ctl->lg = lguard_new(d->base, ctl->lev, "control");
	return ctl;
}

/* Stops taking connections (SIGTERM); those open get their replies. */
void
control_stop(struct control *ctl)
{
	if (ctl == NULL || ctl->lev == NULL)
		return;
	lguard_free(ctl->lg);
	ctl->lg = NULL;
	evconnlistener_free(ctl->lev);
	ctl->lev = NULL;
	unlink(ctl->path);
}

void
control_close(struct control *ctl)
{
	if (ctl == NULL)
		return;
	control_stop(ctl);
	while (ctl->conns != NULL)
		conn_free(ctl->conns);
	free(ctl->path);
	free(ctl);
}
