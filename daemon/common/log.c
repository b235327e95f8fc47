#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

static const char	*log_name = "keizoku";
static int		 log_verbose;
static int		 log_journal;	/* stderr is journald: no timestamps, add <N> */

void
log_init(const char *name, int verbose)
{
	log_name = name;
	log_verbose = verbose;
	log_journal = getenv("JOURNAL_STREAM") != NULL;
}

void
log_setverbose(int v)
{
	log_verbose = v;
}

int
log_getverbose(void)
{
	return log_verbose;
}

/* Appends to a line being built; grows it past its first, stack-sized
 * buffer when needed. Not xmalloc.h's struct buf: its allocation failures
 * end in fatalx, which logs, and would come back here. */
struct logline {
	char	*s;
	size_t	 len, cap;
	int	 heap;
};

static void
ll_vadd(struct logline *l, const char *fmt, va_list ap)
{
	va_list	ap2;
	int	n;
	char	*t;

	va_copy(ap2, ap);
	n = vsnprintf(l->s + l->len, l->cap - l->len, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	if ((size_t)n >= l->cap - l->len) {
		size_t cap = l->len + (size_t)n + 64;

		if ((t = malloc(cap)) == NULL)
			return;
		memcpy(t, l->s, l->len);
		if (l->heap)
			free(l->s);
		l->s = t;
		l->cap = cap;
		l->heap = 1;
		vsnprintf(l->s + l->len, l->cap - l->len, fmt, ap);
	}
	l->len += (size_t)n;
}

static void
ll_add(struct logline *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ll_vadd(l, fmt, ap);
	va_end(ap);
}

/* One line, written with one write(2): lines of several writers (the
 * daemon, its plugins' children) do not interleave, and a line costs one
 * system call, not one per piece. */
static void
vlog(int prio, const char *level, const char *fmt, va_list ap, int with_errno)
{
	int		 saved = errno;
	char		 ts[32], buf[1024];
	struct timespec	 now;
	struct tm	 tm;
	struct logline	 l = { buf, 0, sizeof buf, 0 };
	size_t		 off;
	ssize_t		 w;

	if (log_journal)
		ll_add(&l, "<%d>", prio);
	else {
		clock_gettime(CLOCK_REALTIME, &now);
		gmtime_r(&now.tv_sec, &tm);
		strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
		ll_add(&l, "%s.%03ldZ %s[%ld] %s: ", ts,
		    now.tv_nsec / 1000000, log_name, (long)getpid(), level);
	}
	ll_vadd(&l, fmt, ap);
	if (with_errno)
		ll_add(&l, ": %s", strerror(saved));
	ll_add(&l, "\n");
	for (off = 0; off < l.len; ) {
		if ((w = write(STDERR_FILENO, l.s + off, l.len - off)) > 0)
			off += (size_t)w;
		else if (w == -1 && errno == EINTR)
			continue;
		else
			break;
	}
	if (l.heap)
		free(l.s);
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(4, "warning", fmt, ap, 1);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(4, "warning", fmt, ap, 0);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(6, "info", fmt, ap, 0);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_verbose < 1)
		return;
	va_start(ap, fmt);
	vlog(7, "debug", fmt, ap, 0);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(2, "fatal", fmt, ap, 1);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(2, "fatal", fmt, ap, 0);
	va_end(ap);
	exit(1);
}
