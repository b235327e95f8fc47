/*
 * bench_notify: notification delivery, keizokud against a bare client.
 *
 * One run, one machine, one sink (an evhttp server on its own thread in
 * this process, recording arrival times):
 *
 *  - rate: a backlog of N notifications (activations of a runbook of 100
 *    notify steps, queued while the channel's receiver holds every
 *    connection unanswered, then keizokud stopped) drained by a
 *    restarted keizokud, against a bare libcurl-multi client posting
 *    payloads of the same shape, made beforehand and signed per request
 *    as keizokud signs each attempt (the key set up once, as keizokud sets
 *    up a channel's), with the same concurrency (32, the
 *    outbox's limit per channel). Rate = N / (last arrival - first
 *    arrival); the rounds (5) alternate the two and each round prints
 *    its own ratio: the goal (>= 0.7 of bare) must hold in every round.
 *  - latency: POST /v1/hooks/bench -> incident activated -> its
 *    notification at the sink, one trigger at a time; against the bare
 *    client posting one payload at a time on a warm connection, and
 *    against a real Prometheus Alertmanager (group_wait 0s) from its
 *    API post to its webhook at the same sink (KZ_ALERTMANAGER, default
 *    /usr/bin/prometheus-alertmanager; skipped when absent).
 *
 *  - stalls (issue 23): one more drain of N with a thread sending GET
 *    /healthz over one connection every 2 ms; the longest round trip
 *    beside that of the idle daemon polled for as long right after.
 *
 * Prints table rows "| figure | keizoku | baseline | ratio |" on stdout
 * and a summary on stderr. Blocking calls are fine here: this is a
 * client, not the daemon.
 *
 * usage: bench_notify [-n NOTIFICATIONS] [-l LATENCY_SAMPLES] [-r ROUNDS]
 *	  BUILD_DIR
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>
#include <openssl/rand.h>

#include "common/sig.h"
#include "common/xmalloc.h"

#define BN_CONCURRENCY	32
#define BN_STEPS	100	/* notify steps per activation */
#define BN_SECRET	"whsec_YmVuY2gta2Vpem9rdS1ub3RpZnktc2VjcmV0"
#define BN_WAIT_S	120

enum { P_BENCH, P_LAT, P_BARE, P_BARELAT, P_AM, P_N };
static const char *const bn_paths[P_N] = { "/bench", "/lat", "/bare",
	"/barelat", "/am" };

struct bn_sink {
	struct event_base	*base;
	struct evhttp		*http;
	struct event		*tick;
	pthread_t		 th;
	int			 port;
	atomic_int		 stop;
	atomic_uint_fast64_t	 n[P_N];
	atomic_int_fast64_t	 first[P_N];
	atomic_int_fast64_t	 last[P_N];
	/* The main thread sleeps until a count it waits for is reached:
	 * polling would take the CPU the measured side needs. */
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	atomic_int		 want_path;
	atomic_uint_fast64_t	 want_n;
};

static char	*bn_dir;
static char	*bn_build;
static pid_t	 bn_kzd = -1;
static pid_t	 bn_am = -1;
static int	 bn_http_port;

static int64_t
bn_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
bn_sleep_us(long us)
{
	struct timespec ts = { us / 1000000, us % 1000000 * 1000 };

	nanosleep(&ts, NULL);
}

/* ---- the sink ---- */

static void
bn_sink_req(struct evhttp_request *req, void *arg)
{
	struct bn_sink	*s = arg;
	const char	*path = evhttp_request_get_uri(req);
	int64_t		 t = bn_now_ns(), zero = 0;
	size_t		 i;

	for (i = 0; i < P_N; i++) {
		if (strcmp(path, bn_paths[i]) != 0)
			continue;
		atomic_compare_exchange_strong(&s->first[i], &zero, t);
		atomic_store(&s->last[i], t);
		if (atomic_fetch_add(&s->n[i], 1) + 1 >=
		    atomic_load(&s->want_n) &&
		    atomic_load(&s->want_path) == (int)i) {
			pthread_mutex_lock(&s->mu);
			pthread_cond_signal(&s->cv);
			pthread_mutex_unlock(&s->mu);
		}
	}
	evhttp_send_reply(req, 200, "OK", NULL);
}

static void
bn_sink_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct bn_sink *s = arg;

	if (atomic_load(&s->stop))
		event_base_loopbreak(s->base);
}

static void *
bn_sink_main(void *arg)
{
	struct bn_sink	*s = arg;

	event_base_dispatch(s->base);
	return NULL;
}

static int
bn_sock_port(int fd)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof sin;

	if (getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		return -1;
	return ntohs(sin.sin_port);
}

static void
bn_sink_start(struct bn_sink *s)
{
	struct evhttp_bound_socket	*bs;
	struct timeval			 tv = { 0, 20000 };

	memset(s, 0, sizeof *s);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	atomic_store(&s->want_path, -1);
	if ((s->base = event_base_new()) == NULL ||
	    (s->http = evhttp_new(s->base)) == NULL)
		errx(1, "sink: cannot create the loop");
	evhttp_set_gencb(s->http, bn_sink_req, s);
	if ((bs = evhttp_bind_socket_with_handle(s->http, "127.0.0.1", 0)) ==
	    NULL)
		errx(1, "sink: cannot listen");
	s->port = bn_sock_port(evhttp_bound_socket_get_fd(bs));
	s->tick = event_new(s->base, -1, EV_PERSIST, bn_sink_tick, s);
	event_add(s->tick, &tv);
	if (pthread_create(&s->th, NULL, bn_sink_main, s) != 0)
		errx(1, "sink: cannot start its thread");
}

static void
bn_sink_stop(struct bn_sink *s)
{
	atomic_store(&s->stop, 1);
	pthread_join(s->th, NULL);
	event_free(s->tick);
	evhttp_free(s->http);
	event_base_free(s->base);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
}

/* Forgets what path saw (no request to it may be on its way). */
static void
bn_sink_reset(struct bn_sink *s, int path)
{
	atomic_store(&s->n[path], 0);
	atomic_store(&s->first[path], 0);
	atomic_store(&s->last[path], 0);
}

/* Waits until path has seen n requests; 0, or -1 after BN_WAIT_S. */
static int
bn_sink_wait(struct bn_sink *s, int path, uint64_t n)
{
	struct timespec	end;
	int		rc = 0;

	clock_gettime(CLOCK_REALTIME, &end);
	end.tv_sec += BN_WAIT_S;
	pthread_mutex_lock(&s->mu);
	atomic_store(&s->want_path, path);
	atomic_store(&s->want_n, n);
	while (rc == 0 && atomic_load(&s->n[path]) < n)
		rc = pthread_cond_timedwait(&s->cv, &s->mu, &end);
	atomic_store(&s->want_path, -1);
	pthread_mutex_unlock(&s->mu);
	return atomic_load(&s->n[path]) < n ? -1 : 0;
}

/* ---- payloads, as keizokud's webhook channel writes them ---- */

static char *
bn_payload(int i, char id[40])
{
	unsigned char	r[16];
	char		hex[33], *body;
	json_t		*p;

	if (RAND_bytes(r, sizeof r) != 1)
		errx(1, "RAND_bytes");
	hex_encode(r, sizeof r, hex);
	snprintf(id, 40, "msg_%s", hex);
	p = json_pack("{s:s,s:s,s:s,s:b,s:i,s:s,s:s+}", "id", id, "type",
	    "step.notify", "time", "2026-11-26T00:00:00.123Z", "drill", 0,
	    "incident", 1 + i / BN_STEPS, "step", "n0", "text", "一斉連絡 ",
	    "/ broadcast #1");
	body = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	return body;
}

struct bn_xfer {
	CURL			*easy;
	struct curl_slist	*hdrs;
};

/* The payloads, made before the clock starts: keizokud's were rendered
 * when they were queued. */
static char	**bn_bodies;
static char	(*bn_ids)[40];
static int	  bn_nbodies;
/* The secret set up once, as keizokud sets up a channel's. */
static struct stdwh_key *bn_key;

static void
bn_make_payloads(int n)
{
	int i;

	bn_bodies = xcalloc((size_t)n, sizeof *bn_bodies);
	bn_ids = xcalloc((size_t)n, sizeof *bn_ids);
	for (i = 0; i < n; i++)
		bn_bodies[i] = bn_payload(i, bn_ids[i]);
	bn_nbodies = n;
	if ((bn_key = stdwh_key_new(BN_SECRET)) == NULL)
		errx(1, "bad secret");
}

static void
bn_free_payloads(void)
{
	int i;

	for (i = 0; i < bn_nbodies; i++)
		free(bn_bodies[i]);
	free(bn_bodies);
	free(bn_ids);
	stdwh_key_free(bn_key);
}

/* A signed POST of a fresh payload to path, added to multi. */
static struct bn_xfer *
bn_post(CURLM *multi, int port, const char *path, int i)
{
	struct bn_xfer	*x = xcalloc(1, sizeof *x);
	const char	*id = bn_ids[i % bn_nbodies];
	const char	*body = bn_bodies[i % bn_nbodies];
	char		*h, *sig, url[128];
	int64_t		 ts = (int64_t)time(NULL);

	sig = stdwh_sign_key(bn_key, id, ts, body, strlen(body));
	x->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	x->hdrs = curl_slist_append(x->hdrs, "Expect:");
	h = xprintf("webhook-id: %s", id);
	x->hdrs = curl_slist_append(x->hdrs, h);
	free(h);
	h = xprintf("webhook-timestamp: %lld", (long long)ts);
	x->hdrs = curl_slist_append(x->hdrs, h);
	free(h);
	h = xprintf("webhook-signature: %s", sig);
	x->hdrs = curl_slist_append(x->hdrs, h);
	free(h);
	free(sig);
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
	x->easy = curl_easy_init();
	curl_easy_setopt(x->easy, CURLOPT_URL, url);
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->hdrs);
	curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)strlen(body));
	curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, (char *)x);
	curl_multi_add_handle(multi, x->easy);
	return x;
}

static void
bn_xfer_free(CURLM *multi, struct bn_xfer *x)
{
	curl_multi_remove_handle(multi, x->easy);
	curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->hdrs);
	free(x);
}

/* Runs multi until `want` transfers have finished in all; starts a new
 * one (while `total` allows) for each that finishes. */
static void
bn_multi_run(CURLM *multi, int port, const char *path, int *started,
    int total, int *finished, int want)
{
	CURLMsg		*m;
	int		 running, left;
	char		*priv;

	while (*finished < want) {
		curl_multi_perform(multi, &running);
		while ((m = curl_multi_info_read(multi, &left)) != NULL) {
			if (m->msg != CURLMSG_DONE)
				continue;
			if (m->data.result != CURLE_OK)
				errx(1, "bare client: %s",
				    curl_easy_strerror(m->data.result));
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE,
			    &priv);
			bn_xfer_free(multi, (struct bn_xfer *)priv);
			(*finished)++;
			if (*started < total)
				bn_post(multi, port, path, (*started)++);
		}
		if (*finished < want)
			curl_multi_poll(multi, NULL, 0, 100, NULL);
	}
}

/* CPU time of this thread, µs. */
static double
bn_thread_cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
	    ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

/* CPU time of a process (user + system), µs; from /proc. */
static double
bn_proc_cpu_us(pid_t pid)
{
	char			 path[64], buf[1024], *p;
	unsigned long long	 ut, st;
	FILE			*f;
	size_t			 len;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	len = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[len] = '\0';
	/* After the command name in parentheses: fields 3.., utime 14th. */
	if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 2,
	    "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
	    &ut, &st) != 2)
		return 0;
	return (double)(ut + st) * 1e6 / (double)sysconf(_SC_CLK_TCK);
}

/* Returns the rate; *cpu the client's CPU per request, µs. */
static double
bn_bare_rate(struct bn_sink *s, int n, double *cpu)
{
	CURLM	*multi = curl_multi_init();
	int	 started = 0, finished = 0;
	double	 secs, c0 = bn_thread_cpu_us();

	bn_sink_reset(s, P_BARE);
	while (started < BN_CONCURRENCY && started < n)
		bn_post(multi, s->port, "/bare", started++);
	bn_multi_run(multi, s->port, "/bare", &started, n, &finished, n);
	*cpu = (bn_thread_cpu_us() - c0) / n;
	curl_multi_cleanup(multi);
	if (bn_sink_wait(s, P_BARE, (uint64_t)n) == -1)
		errx(1, "bare client: the sink did not see %d requests", n);
	secs = (double)(atomic_load(&s->last[P_BARE]) -
	    atomic_load(&s->first[P_BARE])) / 1e9;
	return n / secs;
}

/* One payload at a time on a warm connection: send -> arrival. */
static void
bn_bare_latency(struct bn_sink *s, double *lat, int n)
{
	CURLM	*multi = curl_multi_init();
	int	 started = 0, finished = 0, i;
	int64_t	 t0;

	for (i = -1; i < n; i++) {	/* -1: warm the connection */
		t0 = bn_now_ns();
		bn_post(multi, s->port, "/barelat", started++);
		bn_multi_run(multi, s->port, "/barelat", &started, 0,
		    &finished, i + 2);
		if (bn_sink_wait(s, P_BARELAT, (uint64_t)(i + 2)) == -1)
			errx(1, "bare client: no arrival");
		if (i >= 0)
			lat[i] = (double)(atomic_load(&s->last[P_BARELAT]) -
			    t0) / 1e6;
	}
	curl_multi_cleanup(multi);
}

/* ---- keizokud ---- */

static void
bn_write(const char *name, const char *text)
{
	char	*path = xprintf("%s/%s", bn_dir, name);
	FILE	*f = fopen(path, "w");

	if (f == NULL || fputs(text, f) == EOF || fclose(f) == EOF)
		err(1, "%s", path);
	free(path);
}

static void
bn_write_runbooks(void)
{
	struct buf	b = { 0 };
	char		*d = xprintf("%s/runbooks", bn_dir);
	int		i;

	if (mkdir(d, 0755) == -1 && errno != EEXIST)
		err(1, "%s", d);
	free(d);
	buf_adds(&b, "runbook: bulk\ntitle: 一斉連絡 / Broadcast\n"
	    "owner: role:ops\nsteps:\n");
	for (i = 0; i < BN_STEPS; i++)
		buf_printf(&b, "  - {id: n%d, type: notify, with: {text: "
		    "\"一斉連絡 %d / broadcast #{{incident.id}}\"}}\n", i, i);
	bn_write("runbooks/bulk.yaml", b.s);
	buf_free(&b);
	bn_write("runbooks/lat.yaml", "runbook: lat\ntitle: 遅延測定 / "
	    "Latency\nowner: role:ops\nactivation:\n  - source: bench\n"
	    "    match: {kind: bench}\n    key: \"{{trigger.seq}}\"\nsteps:\n"
	    "  - {id: look, title: 確認, assign: role:ops}\n");
	bn_write("roster.yaml", "members:\n  - {id: op, name: 当番}\n"
	    "roles:\n  - {id: ops, title: 運用, members: [op]}\n");
}

/* The config; bench_port receives the bulk notifications; the channel
 * for latency only with lat (not while staging: the bulk activations
 * would go there). */
static void
bn_write_config(int bench_port, int sink_port, const char *timeout, int lat)
{
	struct passwd	*pw = getpwuid(getuid());
	char		*c;

	if (pw == NULL)
		errx(1, "who am I? (uid %ld has no name)", (long)getuid());
	c = xprintf("state_dir: state\nrunbooks: runbooks\n"
	    "plugins: %s/plugins\nroster: roster.yaml\nadmins: [\"%s\"]\n"
	    "control: {socket: kz.sock, mode: \"0600\"}\n"
	    "http: {listen: \"127.0.0.1:%d\"}\n"
	    "sources:\n  bench: {format: json, auth: {none: true}}\n"
	    "channels:\n"
	    "  bench: {type: webhook, url: \"http://127.0.0.1:%d/bench\", "
	    "secret: \"env:KZ_BENCH_SECRET\", timeout: %s}\n"
	    "%s%d%s"
	    "notify:\n  - {channel: bench, events: [step.notify]}\n"
	    "%s", bn_build, pw->pw_name, bn_http_port, bench_port, timeout,
	    lat ? "  lat: {type: webhook, url: \"http://127.0.0.1:" : "#",
	    sink_port, lat ? "/lat\", secret: \"env:KZ_BENCH_SECRET\"}\n" :
	    "\n", lat ? "  - {channel: lat, events: [incident.activated]}\n" :
	    "");
	bn_write("keizokud.yaml", c);
	free(c);
}

/* Runs argv, output to the log; its exit status. */
static int
bn_run(char *const argv[])
{
	pid_t	pid;
	int	status, fd;
	char	*log = xprintf("%s/cmd.log", bn_dir);

	if ((pid = fork()) == 0) {
		if ((fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644)) != -1) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	free(log);
	if (pid == -1 || waitpid(pid, &status, 0) == -1)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int
bn_kz(const char *a, const char *b)
{
	char	*kz = xprintf("%s/keizoku", bn_build);
	char	*sock = xprintf("%s/kz.sock", bn_dir);
	char	*argv[] = { kz, (char *)"-s", sock, (char *)a, (char *)b,
	    NULL };
	int	 rc = bn_run(argv);

	free(kz);
	free(sock);
	return rc;
}

static void
bn_kzd_start(void)
{
	char	*kzd = xprintf("%s/keizokud", bn_build);
	char	*conf = xprintf("%s/keizokud.yaml", bn_dir);
	char	*log = xprintf("%s/kzd.log", bn_dir);
	int	 i, fd;

	if ((bn_kzd = fork()) == 0) {
		if ((fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644)) != -1) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(kzd, kzd, "-c", conf, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 400; i++) {
		if (bn_kz("status", NULL) == 0)
			break;
		bn_sleep_us(25000);
	}
	if (i == 400)
		errx(1, "keizokud did not start (see %s)", log);
	free(kzd);
	free(conf);
	free(log);
}

static void
bn_kzd_stop(int sig)
{
	if (bn_kzd == -1)
		return;
	kill(bn_kzd, sig);
	waitpid(bn_kzd, NULL, 0);
	bn_kzd = -1;
}

/* A port that accepts connections (the kernel's backlog) and never
 * answers: deliveries to it hang. */
static int
bn_blackhole(int *port)
{
	struct sockaddr_in	sin;
	int			fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    listen(fd, 4096) == -1)
		err(1, "blackhole");
	*port = bn_sock_port(fd);
	return fd;
}

static int
bn_free_port(void)
{
	int fd, port;

	fd = bn_blackhole(&port);
	close(fd);
	return port;
}

/* Queues n notifications that cannot be delivered, and stops. */
static void
bn_stage(struct bn_sink *s, int n)
{
	int hole, port, i;

	hole = bn_blackhole(&port);
	bn_write_config(port, s->port, "1h", 0);
	bn_kzd_start();
	for (i = 0; i < n / BN_STEPS; i++)
		if (bn_kz("activate", "bulk") != 0)
			errx(1, "activate bulk failed");
	/* A clean stop: its write-ahead log is folded into the database,
	 * which would otherwise be the first thing the drain does. */
	bn_kzd_stop(SIGTERM);
	close(hole);
}

/* BENCH_PERF=FILE: `perf record --call-graph dwarf` on keizokud while it
 * drains (from its start: the drain begins at once), into FILE; each
 * round overwrites it, so the last round's profile is left. Figures of
 * such a run are not comparable with those of a run without it. */
static pid_t
bn_perf_start(void)
{
	const char	*out = getenv("BENCH_PERF");
	char		 pid[32];
	pid_t		 p;

	if (out == NULL || *out == '\0')
		return -1;
	snprintf(pid, sizeof pid, "%ld", (long)bn_kzd);
	if ((p = fork()) == 0) {
		execlp("perf", "perf", "record", "-q", "--call-graph",
		    "dwarf,16384", "-F", "2000", "-o", out, "-p", pid,
		    (char *)NULL);
		_exit(127);
	}
	return p;
}

static void
bn_perf_stop(pid_t p)
{
	if (p <= 0)
		return;
	kill(p, SIGINT);
	waitpid(p, NULL, 0);
}

/* Returns the rate; *cpu keizokud's CPU per delivery, µs, between the
 * first and the last arrival. */
static double
bn_kz_rate(struct bn_sink *s, int n, double *cpu)
{
	double	c0;
	pid_t	perf;

	bn_sink_reset(s, P_BENCH);
	bn_write_config(s->port, s->port, "10s", 1);
	bn_kzd_start();
	perf = bn_perf_start();
	if (bn_sink_wait(s, P_BENCH, 1) == -1)
		errx(1, "keizokud delivered nothing");
	c0 = bn_proc_cpu_us(bn_kzd);
	if (bn_sink_wait(s, P_BENCH, (uint64_t)n) == -1)
		errx(1, "keizokud delivered %ju of %d",
		    (uintmax_t)atomic_load(&s->n[P_BENCH]), n);
	*cpu = (bn_proc_cpu_us(bn_kzd) - c0) / (n - 1);
	bn_perf_stop(perf);
	return n / ((double)(atomic_load(&s->last[P_BENCH]) -
	    atomic_load(&s->first[P_BENCH])) / 1e9);
}

static size_t
bn_discard(char *p, size_t size, size_t n, void *arg)
{
	return size * n;
}

/* ---- the loop's stalls (issue 23): GET /healthz over one connection,
 * every 2 ms, the longest round trip ---- */

struct bn_poll {
	pthread_t	th;
	atomic_int	stop;
	double		worst;		/* ms */
	long		n;
};

static void *
bn_poll_main(void *arg)
{
	struct bn_poll	*p = arg;
	CURL		*easy = curl_easy_init();
	char		 url[128];
	long		 code = 0;
	int64_t		 t0;
	double		 ms;

	snprintf(url, sizeof url, "http://127.0.0.1:%d/healthz", bn_http_port);
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, bn_discard);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	while (!atomic_load(&p->stop)) {
		t0 = bn_now_ns();
		if (curl_easy_perform(easy) != CURLE_OK ||
		    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code) !=
		    CURLE_OK || code != 200)
			errx(1, "GET /healthz failed (HTTP %ld)", code);
		ms = (double)(bn_now_ns() - t0) / 1e6;
		if (p->n++ > 0 && ms > p->worst)	/* 0: connecting */
			p->worst = ms;
		bn_sleep_us(2000);
	}
	curl_easy_cleanup(easy);
	return NULL;
}

static void
bn_poll_start(struct bn_poll *p)
{
	memset(p, 0, sizeof *p);
	if (pthread_create(&p->th, NULL, bn_poll_main, p) != 0)
		errx(1, "cannot start the poller");
}

static double
bn_poll_stop(struct bn_poll *p)
{
	atomic_store(&p->stop, 1);
	pthread_join(p->th, NULL);
	return p->worst;
}

/* A drain of n with the poller watching, then the idle daemon for as
 * long: the longest round trip of each (ms). */
static void
bn_kz_stall(struct bn_sink *s, int n, double *drain, double *idle)
{
	struct bn_poll	p;
	int64_t		t0;

	bn_stage(s, n);
	bn_sink_reset(s, P_BENCH);
	bn_write_config(s->port, s->port, "10s", 1);
	t0 = bn_now_ns();
	bn_kzd_start();
	bn_poll_start(&p);
	if (bn_sink_wait(s, P_BENCH, (uint64_t)n) == -1)
		errx(1, "keizokud delivered %ju of %d",
		    (uintmax_t)atomic_load(&s->n[P_BENCH]), n);
	*drain = bn_poll_stop(&p);
	bn_poll_start(&p);
	bn_sleep_us((long)((bn_now_ns() - t0) / 1000));
	*idle = bn_poll_stop(&p);
	bn_kzd_stop(SIGTERM);
}

/* POST a trigger -> first notification at the sink, one at a time. */
static void
bn_kz_latency(struct bn_sink *s, double *lat, int n)
{
	CURL		*easy = curl_easy_init();
	struct curl_slist *h = curl_slist_append(NULL,
			    "Content-Type: application/json");
	char		 url[128], body[64];
	long		 code = 0;
	int64_t		 t0, t1;
	uint64_t	 n0;
	int		 i;

	snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/hooks/bench",
	    bn_http_port);
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, bn_discard);
	for (i = -1; i < n; i++) {	/* -1: warm up */
		snprintf(body, sizeof body, "{\"kind\":\"bench\",\"seq\":%d}",
		    i);
		curl_easy_setopt(easy, CURLOPT_COPYPOSTFIELDS, body);
		n0 = atomic_load(&s->n[P_LAT]);
		t0 = bn_now_ns();
		if (curl_easy_perform(easy) != CURLE_OK ||
		    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code) !=
		    CURLE_OK || code != 202)
			errx(1, "POST /v1/hooks/bench failed (HTTP %ld)", code);
		t1 = bn_now_ns();
		if (bn_sink_wait(s, P_LAT, n0 + 1) == -1)
			errx(1, "no notification for trigger %d", i);
		if (i >= 0) {
			lat[i] = (double)(atomic_load(&s->last[P_LAT]) - t0) /
			    1e6;
			if (getenv("BENCH_DEBUG") != NULL)
				fprintf(stderr, "%d reply %.3f arrival %.3f\n", i,
				    (double)(t1 - t0) / 1e6, lat[i]);
		}
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(easy);
}

/* ---- Alertmanager, the baseline of trigger -> notification ---- */

/* Starts a real Prometheus Alertmanager routing every alert at once
 * (group_wait 0s, one group per alertname) to the sink's /am; its port,
 * or 0 when it is not installed. */
static int
bn_am_start(struct bn_sink *s)
{
	const char	*bin = getenv("KZ_ALERTMANAGER");
	char		*conf, *store, *listen, *log, *url;
	CURL		*easy;
	long		 code = 0;
	int		 port, i, fd;

	if (bin == NULL)
		bin = "/usr/bin/prometheus-alertmanager";
	if (access(bin, X_OK) == -1)
		return 0;
	port = bn_free_port();
	conf = xprintf("route:\n  receiver: sink\n  group_by: [alertname]\n"
	    "  group_wait: 0s\n  group_interval: 1s\n  repeat_interval: 1h\n"
	    "receivers:\n  - name: sink\n    webhook_configs:\n"
	    "      - url: http://127.0.0.1:%d/am\n", s->port);
	bn_write("am.yml", conf);
	free(conf);
	conf = xprintf("--config.file=%s/am.yml", bn_dir);
	store = xprintf("--storage.path=%s/am", bn_dir);
	listen = xprintf("--web.listen-address=127.0.0.1:%d", port);
	log = xprintf("%s/am.log", bn_dir);
	if ((bn_am = fork()) == 0) {
		if ((fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644)) != -1) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(bin, bin, conf, store, listen, "--cluster.listen-address=",
		    (char *)NULL);
		_exit(127);
	}
	free(conf);
	free(store);
	free(listen);
	url = xprintf("http://127.0.0.1:%d/-/ready", port);
	easy = curl_easy_init();
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, bn_discard);
	for (i = 0; i < 400; i++) {
		if (curl_easy_perform(easy) == CURLE_OK &&
		    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code) ==
		    CURLE_OK && code == 200)
			break;
		bn_sleep_us(25000);
	}
	curl_easy_cleanup(easy);
	free(url);
	if (i == 400)
		errx(1, "alertmanager did not start (see %s)", log);
	free(log);
	return port;
}

static void
bn_am_stop(void)
{
	if (bn_am == -1)
		return;
	kill(bn_am, SIGTERM);
	waitpid(bn_am, NULL, 0);
	bn_am = -1;
}

/* POST /api/v2/alerts (a new alertname each time) -> its webhook at the
 * sink, one alert at a time on a warm connection. */
static void
bn_am_latency(struct bn_sink *s, int port, double *lat, int n)
{
	CURL		*easy = curl_easy_init();
	struct curl_slist *h = curl_slist_append(NULL,
			    "Content-Type: application/json");
	char		 url[128], body[128];
	long		 code = 0;
	int64_t		 t0;
	uint64_t	 n0;
	int		 i;

	snprintf(url, sizeof url, "http://127.0.0.1:%d/api/v2/alerts", port);
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, bn_discard);
	for (i = -1; i < n; i++) {	/* -1: warm up */
		snprintf(body, sizeof body, "[{\"labels\":{\"alertname\":"
		    "\"bench%d\",\"severity\":\"critical\"}}]", i);
		curl_easy_setopt(easy, CURLOPT_COPYPOSTFIELDS, body);
		n0 = atomic_load(&s->n[P_AM]);
		t0 = bn_now_ns();
		if (curl_easy_perform(easy) != CURLE_OK ||
		    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code) !=
		    CURLE_OK || code != 200)
			errx(1, "POST /api/v2/alerts failed (HTTP %ld)", code);
		if (bn_sink_wait(s, P_AM, n0 + 1) == -1)
			errx(1, "no webhook from alertmanager for alert %d", i);
		if (i >= 0)
			lat[i] = (double)(atomic_load(&s->last[P_AM]) - t0) /
			    1e6;
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(easy);
}

/* ---- the report ---- */

static int
bn_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
bn_pct(double *v, int n, int pct)
{
	int i = n * pct / 100;

	qsort(v, (size_t)n, sizeof *v, bn_cmp);
	return v[i < n ? i : n - 1];
}

static void
bn_cleanup(void)
{
	char *argv[] = { (char *)"/bin/rm", (char *)"-rf", bn_dir, NULL };

	bn_kzd_stop(SIGKILL);
	bn_am_stop();
	if (bn_dir != NULL && getenv("BENCH_KEEP") == NULL)
		bn_run(argv);
}

static void
bn_usage(void)
{
	fprintf(stderr, "usage: bench_notify [-n notifications] "
	    "[-l latency-samples] [-r rounds] build-dir\n");
	exit(2);
}

static double
bn_min(const double *v, int n)
{
	double	m = v[0];
	int	i;

	for (i = 1; i < n; i++)
		if (v[i] < m)
			m = v[i];
	return m;
}

int
main(int argc, char **argv)
{
	struct bn_sink	 s;
	char		 tmpl[] = "/tmp/kz-bench-notify.XXXXXX";
	double		 krate[9], brate[9], kcpu[9], bcpu[9], kc, bc;
	double		*klat, *blat;
	double		 k50, k99, b50, b99, a50, a99, *alat = NULL;
	double		 stall, idle;
	long long	 v;
	int		 n = 5000, nlat = 500, rounds = 5, c, i, met, amport;

	while ((c = getopt(argc, argv, "n:l:r:")) != -1) {
		if (parse_i64(optarg, &v) == -1 || v < 1 || v > 10000000)
			bn_usage();
		if (c == 'n')
			n = (int)((v + BN_STEPS - 1) / BN_STEPS * BN_STEPS);
		else if (c == 'l')
			nlat = (int)v;
		else if (c == 'r' && v <= 9)
			rounds = (int)v;
		else
			bn_usage();
	}
	if (optind != argc - 1)
		bn_usage();
	bn_build = argv[optind];
	if (mkdtemp(tmpl) == NULL)
		err(1, "mkdtemp");
	bn_dir = xstrdup(tmpl);		/* for the atexit cleanup */
	atexit(bn_cleanup);
	signal(SIGPIPE, SIG_IGN);
	setenv("KZ_BENCH_SECRET", BN_SECRET, 1);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	bn_http_port = bn_free_port();
	bn_write_runbooks();
	bn_sink_start(&s);
	klat = xcalloc((size_t)nlat, sizeof *klat);
	blat = xcalloc((size_t)nlat, sizeof *blat);
	bn_make_payloads(n);

	/* Rounds alternate the two; each round is reported with its own
	 * ratio (the goal holds in every round, not only the best). */
	for (i = 0; i < rounds; i++) {
		brate[i] = bn_bare_rate(&s, n, &bcpu[i]);
		bn_stage(&s, n);
		krate[i] = bn_kz_rate(&s, n, &kcpu[i]);
		fprintf(stderr, "round %d: keizokud %.0f/s (%.1f us CPU each), "
		    "bare %.0f/s (%.1f us)\n", i + 1, krate[i], kcpu[i],
		    brate[i], bcpu[i]);
		if (i < rounds - 1)
			bn_kzd_stop(SIGTERM);
	}
	bn_bare_latency(&s, blat, nlat);
	bn_kz_latency(&s, klat, nlat);
	bn_kzd_stop(SIGTERM);
	bn_kz_stall(&s, n, &stall, &idle);
	fprintf(stderr, "longest GET /healthz: %.1f ms during a drain, %.1f ms "
	    "idle\n", stall, idle);
	if ((amport = bn_am_start(&s)) != 0) {
		alat = xcalloc((size_t)nlat, sizeof *alat);
		bn_am_latency(&s, amport, alat, nlat);
		bn_am_stop();
	}
	bn_sink_stop(&s);

	kc = bn_min(kcpu, rounds);
	bc = bn_min(bcpu, rounds);
	k50 = bn_pct(klat, nlat, 50);
	k99 = bn_pct(klat, nlat, 99);
	b50 = bn_pct(blat, nlat, 50);
	b99 = bn_pct(blat, nlat, 99);
	for (i = 0, met = 0; i < rounds; i++)
		met += krate[i] / brate[i] >= 0.7;
	for (i = 0; i < rounds; i++)
		printf("| notifications: deliveries/s to a local sink, round %d "
		    "of %d (%d signed webhooks drained after a restart, %d at "
		    "once; target >= 0.7 of bare libcurl-multi in every round) "
		    "| %.0f | %.0f | %.2f |\n", i + 1, rounds, n,
		    BN_CONCURRENCY, krate[i], brate[i], krate[i] / brate[i]);
	printf("| notifications: rounds at >= 0.7 of bare | %d of %d | - | - "
	    "|\n", met, rounds);
	printf("| notifications: longest GET /healthz round trip while %d are "
	    "drained vs the idle daemon for as long (ms; target <= 50) | %.1f "
	    "| %.1f | %.2f |\n", n, stall, idle, stall / idle);
	printf("| notifications: CPU per delivery (us; keizokud's process, "
	    "the bare client's thread; least of %d) | %.1f | %.1f | %.2f |\n",
	    rounds, kc, bc, kc / bc);
	printf("| notifications: trigger POST -> first notification at the "
	    "sink vs a bare client's post -> arrival, p50 (ms) | %.2f | %.2f | "
	    "%.2f |\n", k50, b50, k50 / b50);
	printf("| notifications: trigger POST -> first notification at the "
	    "sink vs a bare client's post -> arrival, p99 (ms) | %.2f | %.2f | "
	    "%.2f |\n", k99, b99, k99 / b99);
	if (alat != NULL) {
		a50 = bn_pct(alat, nlat, 50);
		a99 = bn_pct(alat, nlat, 99);
		fprintf(stderr, "alertmanager API -> webhook: p50 %.2f ms, p99 "
		    "%.2f ms\n", a50, a99);
		printf("| trigger -> notification at the same sink vs "
		    "Alertmanager (group_wait 0s) API post -> webhook, p50 (ms; "
		    "target <= 1.2x) | %.2f | %.2f | %.2f |\n", k50, a50,
		    k50 / a50);
		printf("| trigger -> notification at the same sink vs "
		    "Alertmanager (group_wait 0s) API post -> webhook, p99 (ms; "
		    "target <= 1x) | %.2f | %.2f | %.2f |\n", k99, a99,
		    k99 / a99);
		free(alat);
	} else
		printf("| trigger -> notification vs Alertmanager | "
		    "prometheus-alertmanager not installed | | |\n");
	free(klat);
	free(blat);
	bn_free_payloads();
	curl_global_cleanup();
	return 0;
}
