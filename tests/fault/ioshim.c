/*
 * ioshim: an LD_PRELOAD library that makes writes and syncs of files
 * under one directory fail on demand, to test what keizokud does when
 * its disk fails (SQLITE_IOERR) or fills up (SQLITE_FULL).
 *
 * Environment:
 *   KZ_FAULT_CTL  the control file; no fault while it does not exist
 *   KZ_FAULT_DIR  only files under this directory fail (default: the
 *                 control file's directory); an absolute path without
 *                 symbolic links, as /proc/self/fd shows them
 *   KZ_FAULT_LOG  optional: one line per injected failure is appended
 *
 * The control file holds words separated by blanks or commas:
 *   an errno name   EIO (default), ENOSPC, EDQUOT, EROFS
 *   call names      write (write, writev), pwrite (pwrite, pwrite64,
 *                   pwritev, pwritev64), fsync, fdatasync, sync (both);
 *                   none named: all of them
 *   once            the first failure removes the control file
 *   skip=N          let N matching calls through first (counted from
 *                   when the control file was last changed)
 * e.g. "EIO fsync fdatasync", "ENOSPC write pwrite", "EIO pwrite once".
 *
 * "EMFILE accept" (or ENFILE) makes accept and accept4 fail as they do
 * when the process is out of descriptors, whatever the socket (the
 * directory does not apply); the connection stays queued, so a caller
 * that retries at once spins, as it would for real. accept is never
 * among the calls a fault covers unless it is named.
 *
 * The control file is looked at on every intercepted call, so a test
 * turns faults on and off while the process runs. The calls are those
 * the unix VFS of SQLite makes (nm -D libsqlite3.so: write, pwrite64,
 * fdatasync) and their relatives.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SHIM_WRITE	0x01
#define SHIM_PWRITE	0x02
#define SHIM_FSYNC	0x04
#define SHIM_FDATASYNC	0x08
#define SHIM_ALL	0x0f
#define SHIM_ACCEPT	0x10	/* only when named */

static const struct {
	const char	*name;
	int		 mask;
} shim_calls[] = {
	{ "write",	SHIM_WRITE },
	{ "pwrite",	SHIM_PWRITE },
	{ "fsync",	SHIM_FSYNC },
	{ "fdatasync",	SHIM_FDATASYNC },
	{ "sync",	SHIM_FSYNC | SHIM_FDATASYNC },
	{ "accept",	SHIM_ACCEPT },
};

static const struct {
	const char	*name;
	int		 value;
} shim_errnos[] = {
	{ "EIO",	EIO },
	{ "ENOSPC",	ENOSPC },
	{ "EDQUOT",	EDQUOT },
	{ "EROFS",	EROFS },
	{ "EMFILE",	EMFILE },
	{ "ENFILE",	ENFILE },
};

struct shim_rule {
	int	err;
	int	mask;
	int	once;
	long	skip;
};

typedef ssize_t	(*write_fn)(int, const void *, size_t);
typedef ssize_t	(*writev_fn)(int, const struct iovec *, int);
typedef ssize_t	(*pwrite_fn)(int, const void *, size_t, off_t);
typedef ssize_t	(*pwrite64_fn)(int, const void *, size_t, off64_t);
typedef ssize_t	(*pwritev_fn)(int, const struct iovec *, int, off_t);
typedef ssize_t	(*pwritev64_fn)(int, const struct iovec *, int, off64_t);
typedef int	(*sync_fn)(int);
typedef int	(*accept4_fn)(int, struct sockaddr *, socklen_t *, int);

/* Set while the shim itself does I/O, so that it is never injected into
 * its own calls (the log, /proc lookups). */
static __thread int	shim_busy;
/* The control file's identity when skip was last counted. */
static struct timespec	shim_mtime;
static ino_t		shim_ino;
static long		shim_seen;

static void *
shim_next(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);

	if (p == NULL) {
		/* Nothing sensible can follow: every intercepted call
		 * would fail. */
		fprintf(stderr, "ioshim: dlsym %s: %s\n", name, dlerror());
		abort();
	}
	return p;
}

static int
shim_word(struct shim_rule *r, const char *w)
{
	size_t		i;
	long		n;
	char		*end;

	for (i = 0; i < sizeof shim_errnos / sizeof shim_errnos[0]; i++)
		if (strcmp(w, shim_errnos[i].name) == 0) {
			r->err = shim_errnos[i].value;
			return 0;
		}
	for (i = 0; i < sizeof shim_calls / sizeof shim_calls[0]; i++)
		if (strcmp(w, shim_calls[i].name) == 0) {
			r->mask |= shim_calls[i].mask;
			return 0;
		}
	if (strcmp(w, "once") == 0) {
		r->once = 1;
		return 0;
	}
	if (strncmp(w, "skip=", 5) == 0) {
		errno = 0;
		n = strtol(w + 5, &end, 10);
		if (errno == 0 && *end == '\0' && end != w + 5 && n >= 0) {
			r->skip = n;
			return 0;
		}
	}
	return -1;
}

/* Reads the control file; 0 and the rule when a fault is on. */
static int
shim_rule(const char *ctl, struct shim_rule *r, struct stat *sb)
{
	static const char sep[] = " \t\r\n,";
	char	 text[512], *w;
	ssize_t	 n;
	size_t	 len;
	int	 fd;

	memset(r, 0, sizeof *r);
	r->err = EIO;
	if ((fd = open(ctl, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, sb) == -1) {
		close(fd);
		return -1;
	}
	n = read(fd, text, sizeof text - 1);
	close(fd);
	if (n < 0)
		return -1;
	text[n] = '\0';
	for (w = text + strspn(text, sep); *w != '\0';
	    w += len, w += strspn(w, sep)) {
		len = strcspn(w, sep);
		if (w[len] != '\0')
			w[len++] = '\0';
		if (shim_word(r, w) == -1) {
			fprintf(stderr, "ioshim: %s: unknown word \"%s\"\n",
			    ctl, w);
			return -1;
		}
	}
	if (r->mask == 0)
		r->mask = SHIM_ALL;
	return 0;
}

/* Whether fd names a file under dir (the path, for the log). */
static int
shim_under(int fd, const char *dir, char *path, size_t size)
{
	char	link[64];
	ssize_t	n;
	size_t	l = strlen(dir);

	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	if ((n = readlink(link, path, size - 1)) <= 0)
		return 0;
	path[n] = '\0';
	while (l > 1 && dir[l - 1] == '/')
		l--;
	return strncmp(path, dir, l) == 0 && (path[l] == '/' ||
	    path[l] == '\0');
}

static void
shim_log(const char *call, int err, const char *path)
{
	const char	*log = getenv("KZ_FAULT_LOG");
	char		 line[PATH_MAX + 64];
	int		 fd, n;

	if (log == NULL || *log == '\0')
		return;
	if ((fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0644)) == -1)
		return;
	n = snprintf(line, sizeof line, "%ld %s %s %s\n", (long)getpid(),
	    call, strerrorname_np(err) ? strerrorname_np(err) : "?", path);
	if (n > 0)
		(void)!write(fd, line, (size_t)n < sizeof line ? (size_t)n :
		    sizeof line - 1);
	close(fd);
}

/* Skip counts restart whenever the control file is written anew. */
static int
shim_skipped(const struct shim_rule *r, const struct stat *sb)
{
	if (sb->st_ino != shim_ino ||
	    sb->st_mtim.tv_sec != shim_mtime.tv_sec ||
	    sb->st_mtim.tv_nsec != shim_mtime.tv_nsec) {
		shim_ino = sb->st_ino;
		shim_mtime = sb->st_mtim;
		shim_seen = 0;
	}
	return shim_seen++ < r->skip;
}

/* 0 to let the call through; otherwise the errno to fail it with. */
static int
shim_fault(int fd, int mask, const char *call)
{
	const char	*ctl = getenv("KZ_FAULT_CTL"), *dir;
	char		 path[PATH_MAX], cdir[PATH_MAX], *slash;
	struct shim_rule r;
	struct stat	 sb;
	int		 err = 0, saved = errno;

	if (ctl == NULL || *ctl == '\0' || shim_busy)
		return 0;
	shim_busy = 1;
	if ((dir = getenv("KZ_FAULT_DIR")) == NULL || *dir == '\0') {
		snprintf(cdir, sizeof cdir, "%s", ctl);
		if ((slash = strrchr(cdir, '/')) != NULL)
			*slash = '\0';
		dir = cdir;
	}
	if (shim_rule(ctl, &r, &sb) == 0 && (r.mask & mask) &&
	    (mask == SHIM_ACCEPT ? snprintf(path, sizeof path, "socket %d",
	    fd) > 0 : shim_under(fd, dir, path, sizeof path)) &&
	    !shim_skipped(&r, &sb)) {
		err = r.err;
		if (r.once)
			unlink(ctl);
		shim_log(call, err, path);
	}
	shim_busy = 0;
	errno = saved;
	return err;
}

ssize_t
write(int fd, const void *buf, size_t n)
{
	static write_fn	next;
	int		err;

	if (next == NULL)
		next = (write_fn)shim_next("write");
	if ((err = shim_fault(fd, SHIM_WRITE, "write")) != 0) {
		errno = err;
		return -1;
	}
	return next(fd, buf, n);
}

ssize_t
writev(int fd, const struct iovec *iov, int iovcnt)
{
	static writev_fn	next;
	int			err;

	if (next == NULL)
		next = (writev_fn)shim_next("writev");
	if ((err = shim_fault(fd, SHIM_WRITE, "writev")) != 0) {
		errno = err;
		return -1;
	}
	return next(fd, iov, iovcnt);
}

ssize_t
pwrite(int fd, const void *buf, size_t n, off_t off)
{
	static pwrite_fn	next;
	int			err;

	if (next == NULL)
		next = (pwrite_fn)shim_next("pwrite");
	if ((err = shim_fault(fd, SHIM_PWRITE, "pwrite")) != 0) {
		errno = err;
		return -1;
	}
	return next(fd, buf, n, off);
}

ssize_t
pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
	static pwrite64_fn	next;
	int			err;

	if (next == NULL)
		next = (pwrite64_fn)shim_next("pwrite64");
	if ((err = shim_fault(fd, SHIM_PWRITE, "pwrite64")) != 0) {
		errno = err;
		return -1;
	}
	return next(fd, buf, n, off);
}

ssize_t
pwritev(int fd, const struct iovec *iov, int iovcnt, off_t off)
{
	static pwritev_fn	next;
	int			err;

	if (next == NULL)
		next = (pwritev_fn)shim_next("pwritev");
	if ((err = shim_fault(fd, SHIM_PWRITE, "pwritev")) != 0) {
		errno = err;
		return -1;
	}
	return next(fd, iov, iovcnt, off);
}

ssize_t
pwritev64(int fd, const struct iovec *iov, int iovcnt, off64_t off)
{
	static pwritev64_fn	next;
	int			err;

	if (next == NULL)
		next = (pwritev64_fn)shim_next("pwritev64");
	if ((err = shim_fault(fd, SHIM_PWRITE, "pwritev64")) != 0) {
		errno = err;
		return -1;
	}
	return next(fd, iov, iovcnt, off);
}

int
fsync(int fd)
{
	static sync_fn	next;
	int		err;

	if (next == NULL)
		next = (sync_fn)shim_next("fsync");
	if ((err = shim_fault(fd, SHIM_FSYNC, "fsync")) != 0) {
		errno = err;
		return -1;
	}
	return next(fd);
}

int
fdatasync(int fd)
{
	static sync_fn	next;
	int		err;

	if (next == NULL)
		next = (sync_fn)shim_next("fdatasync");
	if ((err = shim_fault(fd, SHIM_FDATASYNC, "fdatasync")) != 0) {
		errno = err;
		return -1;
	}
	return next(fd);
}

int
accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags)
{
	static accept4_fn	next;
	int			err;

	if (next == NULL)
		next = (accept4_fn)shim_next("accept4");
	if ((err = shim_fault(fd, SHIM_ACCEPT, "accept4")) != 0) {
		errno = err;
		return -1;
	}
	return next(fd, sa, len, flags);
}

int
accept(int fd, struct sockaddr *sa, socklen_t *len)
{
	return accept4(fd, sa, len, 0);
}
