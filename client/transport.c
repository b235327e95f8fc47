/* The two ways to reach keizokud: the control socket (one framed JSON
 * request, one framed JSON response, daemon/proto.h) and HTTP(S) with a
 * bearer token, where the command table gives each command its route.
 * Both hand back the same {status, body}. Blocking I/O is fine here: the
 * client does one thing and waits for it. */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common/xmalloc.h"
#include "keizoku.h"

/* What to tell a user who cannot connect, by errno. */
static const struct {
	int		 err;
	const char	*hint;
} connect_hints[] = {
	{ ENOENT, "is keizokud running? set KEIZOKU_SOCKET or -s to its "
	    "control socket" },
	{ ECONNREFUSED, "is keizokud running? set KEIZOKU_SOCKET or -s to its "
	    "control socket" },
	{ EACCES, "the socket is open to its group only: ask an admin to add "
	    "you, or use -u URL -T TOKEN" },
	{ EPERM, "the socket is open to its group only: ask an admin to add "
	    "you, or use -u URL -T TOKEN" },
};

static char *
connect_error(const char *path, int err)
{
	size_t i;

	for (i = 0; i < sizeof connect_hints / sizeof connect_hints[0]; i++)
		if (connect_hints[i].err == err)
			return xprintf("cannot reach keizokud at %s: %s (%s)",
			    path, strerror(err), connect_hints[i].hint);
	return xprintf("cannot reach keizokud at %s: %s", path, strerror(err));
}

static char *
io_error(const char *what, int err)
{
	if (err == EAGAIN || err == EWOULDBLOCK)
		return xprintf("keizokud did not answer within %ds; the change "
		    "may or may not have been made: check before retrying",
		    CLI_REPLY_TIMEOUT);
	if (err == 0)
		return xprintf("keizokud closed the connection while %s; "
		    "the change may or may not have been made: check its log",
		    what);
	return xprintf("lost keizokud while %s: %s", what, strerror(err));
}

static int
write_all(int fd, const void *p, size_t n)
{
	const char	*s = p;
	ssize_t		 r;

	while (n > 0) {
		r = send(fd, s, n, MSG_NOSIGNAL);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		s += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Reads exactly n bytes; -1 with errno set, or errno 0 on early EOF. */
static int
read_all(int fd, void *p, size_t n)
{
	char	*s = p;
	ssize_t	 r;

	while (n > 0) {
		r = read(fd, s, n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == 0)
			errno = 0;
		if (r <= 0)
			return -1;
		s += r;
		n -= (size_t)r;
	}
	return 0;
}

static int
socket_open(const char *path, char **cause)
{
	struct sockaddr_un	sun;
	struct timeval		tv = { CLI_REPLY_TIMEOUT, 0 };
	int			fd, r;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (kz_strlcpy(sun.sun_path, path, sizeof sun.sun_path) >=
	    sizeof sun.sun_path) {
		*cause = xprintf("cannot reach keizokud at %s: socket path "
		    "longer than %zu bytes", path, sizeof sun.sun_path - 1);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		*cause = connect_error(path, errno);
		return -1;
	}
	do
		r = connect(fd, (struct sockaddr *)&sun, sizeof sun);
	while (r == -1 && errno == EINTR);
	if (r == -1) {
		*cause = connect_error(path, errno);
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	return fd;
}

/* Checks a response frame and takes status and body out of it. */
static int
socket_decode(const char *data, size_t len, struct cli_reply *reply,
    char **cause)
{
	json_t		*resp, *v, *status;
	json_error_t	 err;

	resp = json_loadb(data, len, 0, &err);
	if (resp == NULL) {
		*cause = xprintf("keizokud sent a malformed answer: %s at "
		    "byte %d", err.text, err.position);
		return -1;
	}
	v = json_object_get(resp, "v");
	status = json_object_get(resp, "status");
	if (!json_is_integer(v) || json_integer_value(v) != KZ_PROTO_VERSION) {
		*cause = xprintf("keizokud speaks control protocol version "
		    "%lld, this keizoku speaks %d: use the keizoku of the same "
		    "release", json_is_integer(v) ?
		    (long long)json_integer_value(v) : 0LL, KZ_PROTO_VERSION);
		json_decref(resp);
		return -1;
	}
	if (!json_is_integer(status)) {
		*cause = xstrdup("keizokud sent an answer without a status");
		json_decref(resp);
		return -1;
	}
	reply->status = (long)json_integer_value(status);
	if (json_is_string(json_object_get(resp, "next")))
		reply->next = xstrdup(json_string_value(json_object_get(resp,
		    "next")));
	reply->body = json_object_get(resp, "body");
	if (reply->body == NULL)
		reply->body = json_null();
	json_incref(reply->body);
	json_decref(resp);
	return 0;
}

int
cli_send_socket(const struct cli_opts *o, const struct kz_cmdspec *cmd,
    json_t *params, struct cli_reply *reply, char **cause)
{
	json_t		*req;
	char		*text, *data = NULL;
	unsigned char	 hdr[4];
	size_t		 len;
	uint32_t	 rlen;
	int		 fd, rc = CLI_EXIT_UNREACHABLE;

	req = json_pack("{s:i, s:s, s:O, s:s?}", "v", KZ_PROTO_VERSION,
	    "cmd", cmd->name, "params", params, "as", o->as);
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (text == NULL) {
		*cause = xstrdup("cannot encode the request (not UTF-8?)");
		return CLI_EXIT_REFUSED;
	}
	len = strlen(text);
	if (len > KZ_REQUEST_MAX) {
		*cause = xprintf("request of %zu bytes is over the limit of "
		    "%d", len, KZ_REQUEST_MAX);
		free(text);
		return CLI_EXIT_REFUSED;
	}
	if ((fd = socket_open(o->socket, cause)) == -1) {
		free(text);
		return CLI_EXIT_UNREACHABLE;
	}
	kz_put_be32(hdr, (uint32_t)len);
	if (write_all(fd, hdr, sizeof hdr) == -1 ||
	    write_all(fd, text, len) == -1) {
		*cause = io_error("sending the request", errno);
		goto out;
	}
	if (read_all(fd, hdr, sizeof hdr) == -1) {
		*cause = io_error("waiting for the answer", errno);
		goto out;
	}
	rlen = kz_get_be32(hdr);
	if (rlen == 0 || rlen > KZ_RESPONSE_MAX) {
		*cause = xprintf("keizokud sent a frame of %lu bytes (limit "
		    "%d): is that really keizokud?", (unsigned long)rlen,
		    KZ_RESPONSE_MAX);
		rc = CLI_EXIT_REFUSED;
		goto out;
	}
	data = xmalloc(rlen);
	if (read_all(fd, data, rlen) == -1) {
		*cause = io_error("reading the answer", errno);
		goto out;
	}
	rc = socket_decode(data, rlen, reply, cause) == 0 ? 0 :
	    CLI_EXIT_REFUSED;
out:
	close(fd);
	free(data);
	free(text);
	return rc;
}

char *
cli_expand_path(const char *path, json_t *params, char *(*escape)(const char *),
    char **cause)
{
	struct buf	 b = { 0 };
	const char	*p, *end;
	char		*name, *esc;
	json_t		*v;

	for (p = path; *p != '\0'; p++) {
		if (*p != '{' || (end = strchr(p, '}')) == NULL) {
			buf_addc(&b, *p);
			continue;
		}
		name = xstrndup(p + 1, (size_t)(end - p - 1));
		v = json_object_get(params, name);
		if (!json_is_string(v)) {
			*cause = xprintf("missing parameter %s", name);
			free(name);
			buf_free(&b);
			return NULL;
		}
		esc = escape(json_string_value(v));
		buf_adds(&b, esc);
		free(esc);
		json_object_del(params, name);
		free(name);
		p = end;
	}
	return buf_steal(&b);
}

/* The handle curl_easy_escape wants; set while a request is built. */
static CURL *http_curl;

static char *
http_escape(const char *s)
{
	char	*e, *copy;

	e = curl_easy_escape(http_curl, s, 0);
	if (e == NULL)
		return xstrdup("");
	copy = xstrdup(e);
	curl_free(e);
	return copy;
}

static void
query_add(struct buf *b, const char *key, const char *value)
{
	char *k = http_escape(key), *v = http_escape(value);

	buf_printf(b, "%c%s=%s", b->len == 0 ? '?' : '&', k, v);
	free(k);
	free(v);
}

/* GET params as a query string: bools as name=true, lists repeated. */
static char *
http_query(json_t *params)
{
	struct buf	 b = { 0 };
	const char	*key;
	json_t		*v, *item;
	size_t		 i;
	char		*s;

	json_object_foreach(params, key, v) {
		if (json_is_array(v)) {
			json_array_foreach(v, i, item) {
				s = cli_scalar(item);
				query_add(&b, key, s);
				free(s);
			}
		} else if (json_is_false(v) || json_is_null(v))
			continue;
		else {
			s = cli_scalar(v);
			query_add(&b, key, s);
			free(s);
		}
	}
	return buf_steal(&b);
}

static size_t
http_write(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	if (b->len + size * n > KZ_RESPONSE_MAX)
		return 0;
	buf_add(b, p, size * n);
	return size * n;
}

static struct curl_slist *
http_headers(const struct cli_opts *o, int body)
{
	struct curl_slist	*h = NULL;
	char			*s;

	h = curl_slist_append(h, "Accept: application/json");
	if (body)
		h = curl_slist_append(h, "Content-Type: application/json");
	if (o->token != NULL) {
		s = xprintf("Authorization: Bearer %s", o->token);
		h = curl_slist_append(h, s);
		free(s);
	}
	if (o->as != NULL) {
		s = xprintf("X-Keizoku-As: %s", o->as);
		h = curl_slist_append(h, s);
		free(s);
	}
	return h;
}

/* TLS failures and what usually causes them. */
static const struct {
	CURLcode	 code;
	const char	*hint;
} tls_hints[] = {
	{ CURLE_PEER_FAILED_VERIFICATION, " (for a private CA, pass its "
	    "certificate with --cacert FILE)" },
	{ CURLE_SSL_CONNECT_ERROR, " (does that port speak https?)" },
	{ CURLE_SSL_CACERT_BADFILE, "" },
	{ CURLE_SSL_CERTPROBLEM, "" },
	{ CURLE_SSL_ISSUER_ERROR, "" },
};

/* Turns a transfer error into a message and an exit code. */
static int
http_failure(const char *url, CURLcode code, const char *errbuf,
    char **cause)
{
	const char	*msg = *errbuf != '\0' ? errbuf :
			    curl_easy_strerror(code);
	size_t		 i;

	if (code == CURLE_WRITE_ERROR) {
		*cause = xprintf("answer from %s is over the limit of %d "
		    "bytes", url, KZ_RESPONSE_MAX);
		return CLI_EXIT_REFUSED;
	}
	for (i = 0; i < sizeof tls_hints / sizeof tls_hints[0]; i++) {
		if (tls_hints[i].code == code) {
			*cause = xprintf("TLS failed with %s: %s%s", url, msg,
			    tls_hints[i].hint);
			return CLI_EXIT_UNREACHABLE;
		}
	}
	if (code == CURLE_OPERATION_TIMEDOUT)
		*cause = xprintf("keizokud at %s did not answer in time (%s); "
		    "the change may or may not have been made: check before "
		    "retrying", url, msg);
	else
		*cause = xprintf("cannot reach keizokud at %s: %s", url, msg);
	return CLI_EXIT_UNREACHABLE;
}

/* A body that is not JSON: a proxy's error page, or something else that
 * is not keizokud at all. */
static int
http_decode(const char *url, long status, struct buf *b,
    struct cli_reply *reply, char **cause)
{
	json_error_t	 err;
	char		*cut, *line, *msg, *nl;

	reply->status = status;
	if (b->len == 0) {
		reply->body = json_null();
		return 0;
	}
	reply->body = json_loadb(b->s, b->len, JSON_DECODE_ANY, &err);
	if (reply->body != NULL)
		return 0;
	if (status >= 200 && status < 300) {
		*cause = xprintf("%s answered %ld with something that is not "
		    "JSON (%s): is that keizokud?", url, status, err.text);
		return -1;
	}
	buf_addc(b, '\0');
	if ((nl = strchr(b->s, '\n')) != NULL)
		*nl = '\0';
	cut = cli_truncate(b->s, 200);
	line = cli_oneline(cut);
	msg = xprintf("HTTP %ld from %s, not an answer of keizokud (a proxy "
	    "in between?): %s", status, url, line);
	reply->body = json_pack("{s:s}", "error", msg);
	free(msg);
	free(line);
	free(cut);
	return 0;
}

int
cli_send_http(const struct cli_opts *o, const struct kz_cmdspec *cmd,
    json_t *params, struct cli_reply *reply, char **cause)
{
	CURL			*c;
	struct curl_slist	*hdrs;
	struct buf		 resp = { 0 };
	char			 errbuf[CURL_ERROR_SIZE] = "";
	char			*path, *url, *query = NULL, *body = NULL;
	const char		*base = o->url;
	size_t			 blen = strlen(base);
	long			 status = 0;
	int			 get = strcmp(cmd->method, "GET") == 0, rc = 0;
	CURLcode		 code;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
	    (c = curl_easy_init()) == NULL) {
		*cause = xstrdup("cannot initialise libcurl");
		return CLI_EXIT_UNREACHABLE;
	}
	http_curl = c;
	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	if ((path = cli_expand_path(cmd->path, params, http_escape,
	    cause)) == NULL) {
		curl_easy_cleanup(c);
		return CLI_EXIT_USAGE;
	}
	if (get)
		query = http_query(params);
	else
		body = json_dumps(params, JSON_COMPACT);
	url = xprintf("%.*s%s%s", (int)blen, base, path, get ? query : "");
	hdrs = http_headers(o, !get);

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)CLI_CONNECT_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)CLI_REPLY_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "keizoku/" KZ_VERSION);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
	if (o->cacert != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, o->cacert);
	if (get)
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	else {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, cmd->method);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}

	code = curl_easy_perform(c);
	if (code != CURLE_OK)
		rc = http_failure(url, code, errbuf, cause);
	else {
		struct curl_header *h;

		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		if (http_decode(url, status, &resp, reply, cause) == -1)
			rc = CLI_EXIT_REFUSED;
		else if (curl_easy_header(c, "X-Keizoku-Next", 0, CURLH_HEADER,
		    -1, &h) == CURLHE_OK)
			reply->next = xstrdup(h->value);
	}
	http_curl = NULL;
	curl_easy_cleanup(c);
	curl_slist_free_all(hdrs);
	curl_global_cleanup();
	buf_free(&resp);
	free(url);
	free(path);
	free(query);
	free(body);
	return rc;
}
