/*
 * kzattack: the hostile clients of issue 18, for the integration tests
 * (which check that keizokud survives them) and the benchmarks (which
 * measure how it fares). Everything goes to 127.0.0.1.
 *
 *   kzattack slowloris PORT CONNS INTERVAL_MS SECONDS
 *	Holds up to CONNS connections, each sending a request head one
 *	header line every INTERVAL_MS and never finishing it; a connection
 *	the server closes is opened again. Prints
 *	"opened=N failed=N closed=N max_open=N".
 *   kzattack get PORT PATH TIMEOUT_MS
 *	One GET; prints "STATUS MS" (status 0: no answer in time).
 *   kzattack burst PORT PATH TOKEN N CONC [PROBE_PATH]
 *	POSTs N JSON bodies {"alert": "bI-R"} over CONC connections at once
 *	(keep-alive), while a probe GETs PROBE_PATH every 10 ms on a
 *	connection of its own. Prints "replies=N ok=N last_ms=N
 *	probe_max_ms=N probe_p50_ms=N probes=N probe_fail=N".
 *   kzattack alerts PORT PATH TOKEN N [PROBE_PATH]
 *	One POST carrying N Alertmanager alerts; the same figures.
 *   kzattack ctlflood SOCKET CMD SECONDS [PARAMS_JSON]
 *	Writes request frames for CMD on the control socket as fast as
 *	they are taken, never reading a reply, for SECONDS. Prints
 *	"frames=N bytes=N".
 *
 * HTTP goes through libcurl (no hand-made parsing), except slowloris,
 * which never reads a reply.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static long
num(const char *s)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s) {
		fprintf(stderr, "kzattack: not a number: %s\n", s);
		exit(2);
	}
	return v;
}

static void *
need(void *p)
{
	if (p == NULL) {
		perror("kzattack");
		exit(1);
	}
	return p;
}

/* ---- slowloris ---- */

static int
tcp_open(int port)
{
	struct sockaddr_in	sin;
	int			fd;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) == -1 &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
slowloris(int argc, char **argv)
{
	int		 port, n, interval, i, nopen = 0, maxopen = 0;
	long		 opened = 0, failed = 0, closed = 0;
	double		 end, next = 0;
	int		*fds;
	char		*headed;	/* the request line went out */
	struct pollfd	*pfd;
	char		 buf[512];
	static const char head[] = "POST /v1/hooks/x HTTP/1.1\r\nHost: a\r\n";

	if (argc != 6)
		return 2;
	port = (int)num(argv[2]);
	n = (int)num(argv[3]);
	interval = (int)num(argv[4]);
	end = now_ms() + num(argv[5]) * 1e3;
	fds = need(calloc((size_t)n, sizeof *fds));
	pfd = need(calloc((size_t)n, sizeof *pfd));
	headed = need(calloc((size_t)n, 1));
	for (i = 0; i < n; i++)
		fds[i] = -1;
	while (now_ms() < end) {
		if (now_ms() >= next) {
			next = now_ms() + interval;
			for (i = 0; i < n; i++) {
				if (fds[i] == -1) {
					if ((fds[i] = tcp_open(port)) == -1) {
						failed++;
						continue;
					}
					opened++;
					nopen++;
					headed[i] = 0;
				}
				if (!headed[i]) {
					/* Not connected yet: next time. */
					if (send(fds[i], head, sizeof head - 1,
					    MSG_NOSIGNAL) > 0)
						headed[i] = 1;
				} else if (send(fds[i], "X-a: b\r\n", 8,
				    MSG_NOSIGNAL) == -1 && errno != EAGAIN) {
					close(fds[i]);
					fds[i] = -1;
					nopen--;
					closed++;
				}
			}
			if (nopen > maxopen)
				maxopen = nopen;
		}
		for (i = 0; i < n; i++) {
			pfd[i].fd = fds[i];
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		if (poll(pfd, (nfds_t)n, 50) <= 0)
			continue;
		for (i = 0; i < n; i++) {
			if (fds[i] == -1 || pfd[i].revents == 0)
				continue;
			if (read(fds[i], buf, sizeof buf) > 0)
				continue;	/* an answer: wait for the close */
			close(fds[i]);
			fds[i] = -1;
			nopen--;
			closed++;
		}
	}
	printf("opened=%ld failed=%ld closed=%ld max_open=%d\n", opened,
	    failed, closed, maxopen);
	for (i = 0; i < n; i++)
		if (fds[i] != -1)
			close(fds[i]);
	free(fds);
	free(pfd);
	free(headed);
	return 0;
}

/* ---- HTTP through libcurl ---- */

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	return size * n;
}

static CURL *
easy(const char *url, long timeout_ms)
{
	CURL *h = need(curl_easy_init());

	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	return h;
}

static int
get(int argc, char **argv)
{
	char	 url[512];
	CURL	*h;
	long	 status = 0;
	double	 t0;

	if (argc != 5)
		return 2;
	snprintf(url, sizeof url, "http://127.0.0.1:%ld%s", num(argv[2]),
	    argv[3]);
	h = easy(url, num(argv[4]));
	t0 = now_ms();
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	printf("%ld %.1f\n", status, now_ms() - t0);
	curl_easy_cleanup(h);
	return 0;
}

struct load {
	CURLM			*m;
	char			 base[128];
	const char		*path;
	const char		*probe;
	struct curl_slist	*hdrs;
	long			 n, sent, replies, ok;
	double			 t0, last;
	double			*probes;
	long			 nprobes, probe_fail;
	int			 probing;
	double			 probe_at;
	double			 probe_t0;
};

static void
load_post(struct load *l, char *body)
{
	char	 url[512];
	CURL	*h;

	snprintf(url, sizeof url, "%s%s", l->base, l->path);
	h = easy(url, 120000);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, l->hdrs);
	curl_easy_setopt(h, CURLOPT_COPYPOSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_PRIVATE, (char *)"post");
	curl_multi_add_handle(l->m, h);
	l->sent++;
}

static void
load_probe(struct load *l)
{
	char	 url[512];
	CURL	*h;

	snprintf(url, sizeof url, "%s%s", l->base, l->probe);
	h = easy(url, 60000);
	curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(h, CURLOPT_PRIVATE, (char *)"probe");
	curl_multi_add_handle(l->m, h);
	l->probing = 1;
	l->probe_t0 = now_ms();
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Runs the handles added so far (and those next() adds) to the end,
 * probing every 10 ms while posts are outstanding. */
static void
load_run(struct load *l, void (*next)(struct load *))
{
	CURLMsg	*msg;
	int	 running, left;
	char	*kind;
	long	 status;

	l->probes = need(calloc(100000, sizeof *l->probes));
	do {
		if (l->probe != NULL && !l->probing && now_ms() >= l->probe_at &&
		    l->nprobes < 100000)
			load_probe(l);
		curl_multi_perform(l->m, &running);
		while ((msg = curl_multi_info_read(l->m, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			    &kind);
			status = 0;
			curl_easy_getinfo(msg->easy_handle,
			    CURLINFO_RESPONSE_CODE, &status);
			if (strcmp(kind, "probe") == 0) {
				l->probes[l->nprobes++] = now_ms() -
				    l->probe_t0;
				if (msg->data.result != CURLE_OK ||
				    status != 200)
					l->probe_fail++;
				l->probing = 0;
				l->probe_at = now_ms() + 10;
			} else {
				l->replies++;
				l->ok += status >= 200 && status < 300;
				l->last = now_ms() - l->t0;
				if (next != NULL)
					next(l);
			}
			curl_multi_remove_handle(l->m, msg->easy_handle);
			curl_easy_cleanup(msg->easy_handle);
		}
		if (l->replies >= l->n && !l->probing)
			break;
		curl_multi_poll(l->m, NULL, 0, 5, NULL);
	} while (1);
	qsort(l->probes, (size_t)l->nprobes, sizeof *l->probes, cmp_double);
	printf("replies=%ld ok=%ld last_ms=%.0f probe_max_ms=%.1f "
	    "probe_p50_ms=%.1f probes=%ld probe_fail=%ld\n", l->replies, l->ok,
	    l->last, l->nprobes ? l->probes[l->nprobes - 1] : 0.0,
	    l->nprobes ? l->probes[l->nprobes / 2] : 0.0, l->nprobes,
	    l->probe_fail);
	free(l->probes);
}

static void
load_init(struct load *l, int argc, char **argv, int probe_arg)
{
	char auth[256];

	memset(l, 0, sizeof *l);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	l->m = need(curl_multi_init());
	snprintf(l->base, sizeof l->base, "http://127.0.0.1:%ld",
	    num(argv[2]));
	l->path = argv[3];
	snprintf(auth, sizeof auth, "Authorization: Bearer %s", argv[4]);
	l->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	l->hdrs = curl_slist_append(l->hdrs, auth);
	l->hdrs = curl_slist_append(l->hdrs, "Expect:");
	l->probe = argc > probe_arg ? argv[probe_arg] : NULL;
	l->t0 = now_ms();
}

static void
load_free(struct load *l)
{
	curl_slist_free_all(l->hdrs);
	curl_multi_cleanup(l->m);
	curl_global_cleanup();
}

static void
burst_next(struct load *l)
{
	char body[128];

	if (l->sent >= l->n)
		return;
	snprintf(body, sizeof body, "{\"alert\": \"b%ld-%ld\"}", l->sent,
	    (long)getpid());
	load_post(l, body);
}

static int
burst(int argc, char **argv)
{
	struct load	l;
	long		conc, i;

	if (argc != 7 && argc != 8)
		return 2;
	load_init(&l, argc, argv, 7);
	l.n = num(argv[5]);
	conc = num(argv[6]);
	curl_multi_setopt(l.m, CURLMOPT_MAXCONNECTS, conc + 4);
	for (i = 0; i < conc && i < l.n; i++)
		burst_next(&l);
	load_run(&l, burst_next);
	load_free(&l);
	return 0;
}

static int
alerts(int argc, char **argv)
{
	struct load	 l;
	size_t		 cap = 1 << 20, len = 0;
	char		*body;
	long		 i, n;

	if (argc != 6 && argc != 7)
		return 2;
	load_init(&l, argc, argv, 6);
	n = num(argv[5]);
	body = need(malloc(cap));
	len += (size_t)snprintf(body, cap, "{\"version\": \"4\", "
	    "\"status\": \"firing\", \"alerts\": [");
	for (i = 0; i < n; i++) {
		if (cap - len < 256)
			body = need(realloc(body, cap *= 2));
		len += (size_t)snprintf(body + len, cap - len, "%s{\"status\": "
		    "\"firing\", \"labels\": {\"alertname\": \"A%ld-%ld\"}, "
		    "\"fingerprint\": \"f%ld-%ld\"}", i ? ", " : "", i,
		    (long)getpid(), i, (long)getpid());
	}
	snprintf(body + len, cap - len, "]}");
	l.n = 1;
	load_post(&l, body);
	free(body);
	load_run(&l, NULL);
	load_free(&l);
	return 0;
}

/* ---- the control socket ---- */

static int
ctlflood(int argc, char **argv)
{
	struct sockaddr_un	 sun;
	char			 frame[4096];
	const char		*params = argc > 5 ? argv[5] : "{}";
	long			 frames = 0, bytes = 0;
	size_t			 len, off = 0;
	double			 end;
	int			 fd;
	ssize_t			 w;

	if (argc != 5 && argc != 6)
		return 2;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", argv[2]);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		perror("kzattack: connect");
		return 1;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	len = (size_t)snprintf(frame + 4, sizeof frame - 4, "{\"v\": 1, "
	    "\"cmd\": \"%s\", \"params\": %s, \"as\": null}", argv[3], params);
	frame[0] = (char)(len >> 24);
	frame[1] = (char)(len >> 16);
	frame[2] = (char)(len >> 8);
	frame[3] = (char)len;
	len += 4;
	end = now_ms() + num(argv[4]) * 1e3;
	while (now_ms() < end) {
		w = send(fd, frame + off, len - off, MSG_NOSIGNAL);
		if (w > 0) {
			bytes += w;
			off += (size_t)w;
			if (off == len) {
				off = 0;
				frames++;
			}
			continue;
		}
		if (w == -1 && errno != EAGAIN)
			break;	/* closed by the daemon */
		struct pollfd p = { fd, POLLOUT, 0 };
		poll(&p, 1, 50);
	}
	printf("frames=%ld bytes=%ld\n", frames, bytes);
	close(fd);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char	*name;
		int		(*fn)(int, char **);
	} cmds[] = {
		{ "slowloris", slowloris }, { "get", get }, { "burst", burst },
		{ "alerts", alerts }, { "ctlflood", ctlflood },
	};
	size_t	i;
	int	rc;

	for (i = 0; argc > 1 && i < sizeof cmds / sizeof cmds[0]; i++) {
		if (strcmp(argv[1], cmds[i].name) != 0)
			continue;
		if ((rc = cmds[i].fn(argc, argv)) == 2)
			break;
		return rc;
	}
	fprintf(stderr, "usage: kzattack slowloris|get|burst|alerts|ctlflood "
	    "... (see the comment at the top of tests/tools/kzattack.c)\n");
	return 2;
}
