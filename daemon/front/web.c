/* The pages' routes, requests, sign-in, sessions and CSRF (see web.h).
 *
 * Credentials, strongest first: a personal link (/r/{token}: signed,
 * bound to one member and one incident, until link_ttl); a session
 * cookie (HttpOnly, SameSite=Strict, Secure under TLS) made by a
 * one-time sign-in link mailed to the member or by an API token; an API
 * token as a bearer header (wall screens and scripts, /board only). Every
 * POST carries a CSRF value bound to the credential it was rendered for,
 * which works once: its nonce is recorded in the same batch as the
 * command it let through. */
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define KZ_WEB_INTERNAL
#include "common/log.h"
#include "common/sig.h"
#include "common/timeutil.h"
#include "common/weblink.h"
#include "common/xmalloc.h"
#include "common/ytree.h"
#include "cmd/cmd.h"
#include "core/daemon.h"
#include "core/webstate.h"
#include "front/httpconn.h"
#include "front/web.h"
#include "model/config.h"
#include "model/roster.h"
#include "store/store.h"
#include "core/batch.h"
#include "core/notify.h"

#define WEB_COOKIE	"kz_session"
#define WEB_PRE		"kz_pre"	/* binds the sign-in form's CSRF */
#define WEB_TICK_MS	250

static void
web_tick_cb(evutil_socket_t fd, short ev, void *arg)
{
	board_tick(arg);
}

struct web *
web_new(struct kz_daemon *d)
{
	struct web	*w = xcalloc(1, sizeof *w);
	struct timeval	 tv = { 0, WEB_TICK_MS * 1000 };

	w->d = d;
	TAILQ_INIT(&w->clients);
	w->login_mails = json_object();
	w->seen_commits = d->metrics.commits;
	w->tick = event_new(d->base, -1, EV_PERSIST, web_tick_cb, w);
	event_add(w->tick, &tv);
	return w;
}

void
web_free(struct web *w)
{
	if (w == NULL)
		return;
	board_free_clients(w);
	event_free(w->tick);
	json_decref(w->login_mails);
	free(w);
}

void
wreq_free(struct wreq *wr)
{
	free(wr->member);
	free(wr->binding);
	free(wr->self);
	free(wr->token);
	free(wr->flash);
	free(wr);
}

static void
web_gone_cb(struct evhttp_connection *evcon, void *arg)
{
	struct wreq *wr = arg;

	/* A reply under way (a board's chunks) is left to us by evhttp once
	 * detached from its connection; otherwise evhttp frees it. */
	if (wr->req != NULL && evhttp_request_get_connection(wr->req) == NULL)
		evhttp_request_free(wr->req);
	wr->req = NULL;
	if (wr->gone != NULL)
		wr->gone(wr);
}

void
web_watch(struct wreq *wr)
{
	if (wr->req != NULL)
		kz_http_closecb(wr->evcon, web_gone_cb, wr);
}

static const char *
web_header(struct wreq *wr, const char *name)
{
	return wr->req != NULL ? evhttp_find_header(
	    evhttp_request_get_input_headers(wr->req), name) : NULL;
}

static void
web_add_header(struct wreq *wr, const char *name, const char *value)
{
	if (wr->req != NULL)
		evhttp_add_header(evhttp_request_get_output_headers(wr->req),
		    name, value);
}

/* Headers every page gets: no caching of pages with personal data, no
 * framing, no Referer (a personal link must not leak through it), and a
 * policy that allows our own style sheet and script only. */
void
web_std_headers(struct wreq *wr, const char *ctype)
{
	web_add_header(wr, "Content-Type", ctype);
	web_add_header(wr, "Cache-Control", "no-store");
	web_add_header(wr, "X-Content-Type-Options", "nosniff");
	web_add_header(wr, "X-Frame-Options", "DENY");
	web_add_header(wr, "Referrer-Policy", "no-referrer");
	/* A stored report stands alone: its style sheet is inline. */
	web_add_header(wr, "Content-Security-Policy", wr->inline_style ?
	    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors "
	    "'none'; base-uri 'none'; form-action 'none'" : "default-src "
	    "'none'; style-src 'self'; script-src 'self'; connect-src 'self'; "
	    "img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
	    "base-uri 'none'");
}

void
web_reply(struct wreq *wr, int status, const char *ctype, const char *body,
    size_t len)
{
	struct evbuffer *buf;

	if (wr->req != NULL) {
		kz_http_closecb(wr->evcon, NULL, NULL);
		web_std_headers(wr, ctype);
		if ((buf = evbuffer_new()) == NULL)
			fatalx("evbuffer_new: out of memory");
		evbuffer_add(buf, body, len);
		evhttp_send_reply(wr->req, status, NULL, buf);
		evbuffer_free(buf);
	}
	wreq_free(wr);
}

void
web_html(struct wreq *wr, int status, struct buf *b)
{
	web_reply(wr, status, "text/html; charset=utf-8", b->s ? b->s : "",
	    b->len);
	buf_free(b);
}

void
web_redirect(struct wreq *wr, const char *to)
{
	struct buf b = { 0 };

	web_add_header(wr, "Location", to);
	buf_adds(&b, "<!DOCTYPE html><title>303</title><a href=\"");
	wh_esc(&b, to);
	buf_adds(&b, "\">続ける / Continue</a>\n");
	web_html(wr, 303, &b);
}

void
web_error_page(struct wreq *wr, int status, const char *ja, const char *en)
{
	struct buf b = { 0 };

	wh_begin(&b, "keizoku", "msg", 0);
	buf_adds(&b, "<main><p class=\"bad\" role=\"alert\">");
	wh_pair(&b, "span", ja, en);
	buf_adds(&b, "</p><p><a href=\"/login\">サインイン / Sign in</a></p>"
	    "</main>");
	wh_end(&b);
	web_html(wr, status, &b);
}

const char *
web_member_name(struct kz_daemon *d, const char *id)
{
	const struct member *m = id != NULL ? roster_member(d->roster, id) :
	    NULL;

	return m != NULL && m->name != NULL ? m->name : id != NULL ? id : "-";
}

/* ---- credentials ---- */

/* The value of cookie name in the request (allocated), or NULL. */
static char *
web_cookie(struct wreq *wr, const char *name)
{
	const char	*h = web_header(wr, "Cookie"), *p;
	size_t		 n = strlen(name), len;

	for (p = h; p != NULL && *p != '\0'; ) {
		p += strspn(p, " ;");
		len = strcspn(p, ";");
		if (len > n && strncmp(p, name, n) == 0 && p[n] == '=')
			return xstrndup(p + n + 1, len - n - 1);
		p += len;
	}
	return NULL;
}

static void
web_set_cookie(struct wreq *wr, const char *name, const char *value,
    int64_t max_age_s)
{
	char *c = xprintf("%s=%s; Path=/; HttpOnly; SameSite=Strict; "
	    "Max-Age=%lld%s", name, value, (long long)max_age_s,
	    wr->d->conf->tls_cert != NULL ? "; Secure" : "");

	web_add_header(wr, "Set-Cookie", c);
	free(c);
}

/* The member of an API token given as a bearer header; NULL if none.
 * *given says whether there was a header at all. */
static const char *
web_bearer(struct wreq *wr, const char *h)
{
	const struct config	*c = wr->d->conf;
	const char		*who = NULL;
	char			 hex[65];
	size_t			 i;

	if (h == NULL)
		return NULL;
	sha256_hex(h, strlen(h), hex);
	for (i = 0; i < c->ntokens; i++)
		if (ct_equal(hex, 64, c->tokens[i].sha256, 64) && who == NULL)
			who = c->tokens[i].member;
	return who != NULL && roster_member(wr->d->roster, who) != NULL ?
	    who : NULL;
}

/* Signs the request in from its session cookie or bearer header. 0, or
 * the status of the refusal already sent. */
static int
web_signin(struct wreq *wr, int bearer_ok)
{
	const char	*auth = web_header(wr, "Authorization"), *who;
	char		*cookie, *next;
	struct buf	 b = { 0 };

	if (auth != NULL && strncasecmp(auth, "Bearer ", 7) == 0 &&
	    bearer_ok) {
		if ((who = web_bearer(wr, auth + 7 + strspn(auth + 7, " ")))
		    == NULL) {
			web_add_header(wr, "WWW-Authenticate",
			    "Bearer realm=\"keizoku\"");
			web_error_page(wr, 401, "トークンが正しくありません",
			    "bad bearer token");
			return 401;
		}
		wr->member = xstrdup(who);
		wr->bearer = 1;
		return 0;
	}
	if ((cookie = web_cookie(wr, WEB_COOKIE)) != NULL &&
	    (wr->member = web_session_member(wr->d, cookie)) != NULL) {
		char bind[23];

		wl_binding(cookie, bind);
		wr->binding = xstrdup(bind);
		free(cookie);
		return 0;
	}
	free(cookie);
	/* SameSite=Strict keeps the cookie off a navigation that starts on
	 * another site (a chat message's link): one same-site step fetches
	 * the page again, this time with it. Nothing of the page is here. */
	if (strstr(wr->self, "?r=1") == NULL && strchr(wr->self, '?') == NULL &&
	    wr->req != NULL &&
	    evhttp_request_get_command(wr->req) == EVHTTP_REQ_GET) {
		next = xprintf("%s?r=1", wr->self);
		web_add_header(wr, "WWW-Authenticate", "Bearer realm=\"keizoku\"");
		wh_begin(&b, "サインイン / Sign in", "msg", 0);
		buf_adds(&b, "<meta http-equiv=\"refresh\" content=\"0;url=");
		wh_esc(&b, next);
		buf_adds(&b, "\"><main><p><a href=\"");
		wh_esc(&b, next);
		buf_adds(&b, "\">続ける / Continue</a></p></main>");
		wh_end(&b);
		free(next);
		web_html(wr, 401, &b);
		return 401;
	}
	if (wr->req != NULL &&
	    evhttp_request_get_command(wr->req) == EVHTTP_REQ_GET) {
		char *p = xstrdup(wr->self), *q = strchr(p, '?');

		if (q != NULL)
			*q = '\0';
		next = xprintf("/login?next=%s", p);
		free(p);
		web_redirect(wr, next);
		free(next);
		return 303;
	}
	web_add_header(wr, "WWW-Authenticate", "Bearer realm=\"keizoku\"");
	web_error_page(wr, 401, "サインインしてください", "sign in first");
	return 401;
}

char *
web_csrf(struct wreq *wr)
{
	struct wl_claims	c;

	memset(&c, 0, sizeof c);
	c.kind = 'c';
	kz_strlcpy(c.subject, wr->member != NULL ? wr->member : "-",
	    sizeof c.subject);
	kz_strlcpy(c.scope, wr->binding != NULL ? wr->binding : "-",
	    sizeof c.scope);
	c.expires_s = clock_now() / 1000 + wr->d->conf->web.session_ttl_s;
	return wl_sign(wr->d->conf->web.secret, &c);
}

/* Checks the form's csrf value and records it used, in an operation of
 * the current batch. 0, or the status of the refusal already sent. */
static int
web_csrf_use(struct wreq *wr, json_t *form)
{
	const char		*v = json_string_value(json_object_get(form,
				    "csrf")), *why;
	struct wl_claims	 c;
	int			 rc;

	if (v == NULL) {
		web_error_page(wr, 403, "フォームの確認値 (csrf) がありません。"
		    "ページを開き直してください", "the form has no csrf value: "
		    "open the page again");
		return 403;
	}
	if (wl_verify(wr->d->conf->web.secret, v, 'c', clock_now() / 1000, &c,
	    &why) == -1 || strcmp(c.subject, wr->member ? wr->member : "-") !=
	    0 || strcmp(c.scope, wr->binding ? wr->binding : "-") != 0) {
		web_error_page(wr, 403, "フォームの確認値 (csrf) が正しくありま"
		    "せん。ページを開き直してください", "the form's csrf value "
		    "is not valid for you: open the page again");
		return 403;
	}
	if (kz_op_begin(wr->d) == -1) {
		web_error_page(wr, 503, "保存できません", KZ_STORAGE_UNAVAILABLE);
		return 503;
	}
	rc = web_nonce_use(wr->d, c.nonce, "csrf", wr->member,
	    c.expires_s * 1000);
	kz_op_end(wr->d, rc == 0, NULL, NULL);
	if (rc == 1) {
		web_error_page(wr, 409, "このフォームは送信済みです（二重送信は"
		    "受け付けません）。ページを開き直してください", "this form "
		    "was already sent (a replay changes nothing): open the "
		    "page again");
		return 409;
	}
	if (rc == -1) {
		web_error_page(wr, 503, "保存できません", KZ_STORAGE_UNAVAILABLE);
		return 503;
	}
	return 0;
}

static int
utf8_ok(const char *s)
{
	json_t	*j = json_string(s);
	int	 ok = j != NULL;

	json_decref(j);
	return ok;
}

/* The POST body as an object of strings; NULL after replying. */
static json_t *
web_form(struct wreq *wr)
{
	struct evbuffer		*in = evhttp_request_get_input_buffer(wr->req);
	const char		*ct = web_header(wr, "Content-Type");
	struct evkeyvalq	 kv;
	struct evkeyval		*e;
	size_t			 len = evbuffer_get_length(in);
	char			*body;
	json_t			*o, *v;

	if (len > 0 && (ct == NULL || strncasecmp(ct,
	    "application/x-www-form-urlencoded", 33) != 0)) {
		web_error_page(wr, 415, "フォームの形式が違います",
		    "Content-Type must be application/x-www-form-urlencoded");
		return NULL;
	}
	body = xmalloc(len + 1);
	evbuffer_copyout(in, body, len);
	body[len] = '\0';
	TAILQ_INIT(&kv);
	if (strlen(body) != len || evhttp_parse_query_str(body, &kv) == -1) {
		free(body);
		web_error_page(wr, 400, "フォームを読めません",
		    "malformed form");
		return NULL;
	}
	free(body);
	o = json_object();
	TAILQ_FOREACH(e, &kv, next) {
		if ((v = json_string(e->value)) == NULL || !utf8_ok(e->key)) {
			json_decref(v);
			json_decref(o);
			evhttp_clear_headers(&kv);
			web_error_page(wr, 400, "フォームが UTF-8 ではありません",
			    "the form is not UTF-8");
			return NULL;
		}
		json_object_set_new(o, e->key, v);
	}
	evhttp_clear_headers(&kv);
	return o;
}

/* ---- commands ---- */

struct wcmd {
	struct wreq	*wr;
	void		(*done)(struct wreq *, int, json_t *);
};

static void
web_command_reply(void *arg, int status, json_t *body)
{
	struct wcmd *c = arg;

	c->done(c->wr, status, body);
	json_decref(body);
	free(c);
}

void
web_command(struct wreq *wr, enum kz_cmd_id id, json_t *params,
    void (*done)(struct wreq *, int, json_t *))
{
	struct kz_daemon	*d = wr->d;
	const struct member	*m = roster_member(d->roster, wr->member);
	struct wcmd		*c = xcalloc(1, sizeof *c);
	struct kz_req		 r;

	c->wr = wr;
	c->done = done;
	memset(&r, 0, sizeof r);
	r.spec = &kz_cmdspecs[id];
	r.params = params;
	r.actor = xstrdup(wr->member);
	r.admin = m != NULL && m->unix_user != NULL &&
	    strv_has(d->conf->admins, m->unix_user);
	r.via = "web";
	if (wr->req != NULL)
		kz_http_closecb(wr->evcon, web_gone_cb, wr);
	kz_dispatch(d, &r, web_command_reply, c);
	free(r.actor);
}

/* ---- sign-in ---- */

/* A next= that stays on this site's pages. */
static const char *
web_next(const char *n)
{
	if (n != NULL && (strcmp(n, "/board") == 0 || (strncmp(n, "/i/", 3) ==
	    0 && strspn(n + 3, "0123456789") == strlen(n + 3) && n[3] !=
	    '\0')))
		return n;
	return "/board";
}

static char *
web_query_get(struct wreq *wr, const char *key)
{
	const struct evhttp_uri	*u = evhttp_request_get_evhttp_uri(wr->req);
	const char		*q = u != NULL ? evhttp_uri_get_query(u) : NULL;
	struct evkeyvalq	 kv;
	const char		*v;
	char			*out = NULL;

	TAILQ_INIT(&kv);
	if (q == NULL || evhttp_parse_query_str(q, &kv) == -1)
		return NULL;
	if ((v = evhttp_find_header(&kv, key)) != NULL)
		out = xstrdup(v);
	evhttp_clear_headers(&kv);
	return out;
}

static void
login_form(struct wreq *wr, int status, const char *next)
{
	struct buf	 b = { 0 };
	char		*csrf;

	csrf = web_csrf(wr);
	wh_begin(&b, "サインイン / Sign in", "login", 0);
	buf_adds(&b, "<main>");
	if (wr->flash != NULL) {
		buf_printf(&b, "<p class=\"%s\" role=\"status\">",
		    wr->flash_bad ? "bad" : "good");
		wh_esc(&b, wr->flash);
		buf_adds(&b, "</p>");
	}
	buf_adds(&b, "<section><h2>メールでサインイン <small>Sign in by "
	    "e-mail</small></h2><form method=\"post\" action=\"/login\">");
	wh_hidden(&b, "csrf", csrf);
	wh_hidden(&b, "next", next);
	wh_hidden(&b, "do", "mail");
	buf_adds(&b, "<label>職員 ID またはメールアドレス <small>Member id or "
	    "e-mail</small><input name=\"who\" autocomplete=\"username\" "
	    "required></label><button>リンクを送る / Mail me a link</button>"
	    "</form></section>");
	free(csrf);
	csrf = web_csrf(wr);
	buf_adds(&b, "<section><h2>API トークンでサインイン <small>Sign in "
	    "with an API token</small></h2><form method=\"post\" "
	    "action=\"/login\">");
	wh_hidden(&b, "csrf", csrf);
	wh_hidden(&b, "next", next);
	wh_hidden(&b, "do", "token");
	buf_adds(&b, "<label>トークン <small>Token</small><input name=\"token\" "
	    "type=\"password\" autocomplete=\"current-password\" required>"
	    "</label><button>サインイン / Sign in</button></form></section>"
	    "</main>");
	free(csrf);
	wh_end(&b);
	web_html(wr, status, &b);
}

static void
login_get(struct wreq *wr)
{
	char	*pre = web_cookie(wr, WEB_PRE), *next, bind[23];

	if (pre == NULL || strlen(pre) != 22) {
		free(pre);
		pre = wl_random(16);
		web_set_cookie(wr, WEB_PRE, pre, 3600);
	}
	wl_binding(pre, bind);
	wr->binding = xstrdup(bind);
	free(pre);
	next = web_query_get(wr, "next");
	login_form(wr, 200, web_next(next));
	free(next);
}

/* After the session's commit: the cookie, then the page. */
struct login_done {
	struct wreq	*wr;
	char		*cookie;
	char		*next;
};

static void
login_committed(void *arg, int status, json_t *body)
{
	struct login_done *l = arg;

	json_decref(body);
	if (status >= 300) {
		if (l->wr->req != NULL)
			kz_http_closecb(l->wr->evcon, NULL, NULL);
		web_error_page(l->wr, 503, "保存できません",
		    KZ_STORAGE_UNAVAILABLE);
	} else {
		web_set_cookie(l->wr, WEB_COOKIE, l->cookie,
		    l->wr->d->conf->web.session_ttl_s);
		web_set_cookie(l->wr, WEB_PRE, "-", 0);
		web_redirect(l->wr, l->next);
	}
	free(l->cookie);
	free(l->next);
	free(l);
}

static void
login_session(struct wreq *wr, const char *member, const char *via,
    const char *nonce, int64_t nonce_exp, const char *next)
{
	struct login_done	*l;
	char			*cookie = NULL;
	int			 ok, used = 0;

	if (kz_op_begin(wr->d) == -1) {
		web_error_page(wr, 503, "保存できません", KZ_STORAGE_UNAVAILABLE);
		return;
	}
	if (nonce != NULL)
		used = web_nonce_use(wr->d, nonce, "login", member, nonce_exp);
	ok = used == 0 && web_session_new(wr->d, member, via, &cookie) == 0;
	if (used == 1) {
		kz_op_end(wr->d, 0, NULL, NULL);
		web_error_page(wr, 409, "このサインインのリンクは使用済みです。"
		    "もう一度リンクを送ってください", "this sign-in link was "
		    "already used: ask for a new one");
		return;
	}
	l = xcalloc(1, sizeof *l);
	l->wr = wr;
	l->cookie = cookie;
	l->next = xstrdup(next);
	kz_http_closecb(wr->evcon, web_gone_cb, wr);
	kz_op_end(wr->d, ok, login_committed, l);
}

static void
login_post(struct wreq *wr)
{
	char		*pre = web_cookie(wr, WEB_PRE), bind[23], *link, *text;
	json_t		*form;
	const char	*what, *who, *next;
	const struct member *m = NULL;
	size_t		 i;

	if (pre != NULL) {
		wl_binding(pre, bind);
		wr->binding = xstrdup(bind);
		free(pre);
	}
	if ((form = web_form(wr)) == NULL)
		return;
	if (web_csrf_use(wr, form) != 0) {
		json_decref(form);
		return;
	}
	what = json_string_value(json_object_get(form, "do"));
	next = web_next(json_string_value(json_object_get(form, "next")));
	if (what != NULL && strcmp(what, "token") == 0) {
		const char *tok = json_string_value(json_object_get(form,
		    "token"));

		if ((who = web_bearer(wr, tok)) == NULL) {
			wr->flash = xstrdup("トークンが正しくありません / bad "
			    "token");
			wr->flash_bad = 1;
			login_form(wr, 401, next);
		} else
			login_session(wr, who, "token", NULL, 0, next);
		json_decref(form);
		return;
	}
	who = json_string_value(json_object_get(form, "who"));
	for (i = 0; who != NULL && i < wr->d->roster->nmembers; i++) {
		const struct member *x = &wr->d->roster->members[i];

		if (strcmp(x->id, who) == 0 || (x->email != NULL &&
		    strcasecmp(x->email, who) == 0))
			m = x;
	}
	/* The same answer, known or not: the form tells nobody who is in
	 * the roster. One mail a minute per member at most. */
	if (m != NULL && clock_now() - json_integer_value(json_object_get(
	    wr->w->login_mails, m->id)) < 60000)
		m = NULL;
	if (m != NULL && m->email != NULL &&
	    (link = web_login_link(wr->d, m->id)) != NULL) {
		json_object_set_new(wr->w->login_mails, m->id,
		    json_integer(clock_now()));
		text = xprintf("keizoku にサインインするには次のリンクを開いて"
		    "ください（%lld 分間、一度だけ有効）。\nTo sign in to "
		    "keizoku, open this link (once, within %lld minutes):\n\n"
		    "%s\n\n心当たりがなければこのメールは無視してください。\n"
		    "If you did not ask for it, ignore this mail.\n",
		    (long long)wr->d->conf->web.login_ttl_s / 60,
		    (long long)wr->d->conf->web.login_ttl_s / 60, link);
		if (kz_op_begin(wr->d) == 0)
			kz_op_end(wr->d, notify_mail(wr->d, NULL, m, 0,
			    "web.login", "keizoku サインイン / Sign in",
			    text) != -1, NULL, NULL);
		free(text);
		free(link);
	}
	wr->flash = xstrdup("登録されたアドレスがあれば、サインインのリンクを"
	    "送りました / If the address is known, a sign-in link is on its "
	    "way");
	login_form(wr, 200, next);
	json_decref(form);
}

static int
login_token(struct wreq *wr, const char *tok, struct wl_claims *c)
{
	const char *why;

	if (wl_verify(wr->d->conf->web.secret, tok, 'l', clock_now() / 1000,
	    c, &why) == -1 || roster_member(wr->d->roster, c->subject) ==
	    NULL) {
		web_error_page(wr, 401, "このサインインのリンクは無効か期限切れ"
		    "です", "this sign-in link is not valid or has expired");
		return -1;
	}
	return 0;
}

static void
login_link_get(struct wreq *wr, const char *tok)
{
	struct wl_claims	 c;
	struct buf		 b = { 0 };
	char			*csrf, bind[23];

	if (login_token(wr, tok, &c) == -1)
		return;
	wl_binding(tok, bind);
	wr->binding = xstrdup(bind);
	csrf = web_csrf(wr);
	/* A button, not a GET that signs in: mail scanners open links. */
	wh_begin(&b, "サインイン / Sign in", "login", 0);
	buf_adds(&b, "<main><p>");
	wh_esc(&b, web_member_name(wr->d, c.subject));
	buf_adds(&b, " さんとしてサインインします / Sign in as this member"
	    "</p><form method=\"post\">");
	wh_hidden(&b, "csrf", csrf);
	buf_adds(&b, "<button>サインイン / Sign in</button></form></main>");
	wh_end(&b);
	free(csrf);
	web_html(wr, 200, &b);
}

static void
login_link_post(struct wreq *wr, const char *tok)
{
	struct wl_claims	 c;
	json_t			*form;
	char			 bind[23];

	if (login_token(wr, tok, &c) == -1)
		return;
	wl_binding(tok, bind);
	wr->binding = xstrdup(bind);
	if ((form = web_form(wr)) == NULL)
		return;
	if (web_csrf_use(wr, form) == 0)
		login_session(wr, c.subject, "mail", c.nonce,
		    c.expires_s * 1000, "/board");
	json_decref(form);
}

static void
logout_post(struct wreq *wr)
{
	json_t	*form;
	char	*cookie;

	if (web_signin(wr, 0) != 0)
		return;
	if ((form = web_form(wr)) == NULL)
		return;
	if (web_csrf_use(wr, form) == 0) {
		cookie = web_cookie(wr, WEB_COOKIE);
		if (cookie != NULL && kz_op_begin(wr->d) == 0)
			kz_op_end(wr->d, web_session_end(wr->d, cookie) == 0,
			    NULL, NULL);
		free(cookie);
		web_set_cookie(wr, WEB_COOKIE, "-", 0);
		web_redirect(wr, "/login");
	}
	json_decref(form);
}

/* ---- the personal link and incident pages ---- */

static int
answer_token(struct wreq *wr, const char *tok)
{
	struct wl_claims	 c;
	const char		*why;
	long long		 id;
	char			 bind[23];

	if (wl_verify(wr->d->conf->web.secret, tok, 'r', clock_now() / 1000,
	    &c, &why) == -1 || parse_i64(c.scope, &id) == -1 || id <= 0 ||
	    roster_member(wr->d->roster, c.subject) == NULL) {
		if (why != NULL && strcmp(why, "expired") == 0)
			web_error_page(wr, 401, "このリンクは期限切れです。"
			    "事務局に連絡するか、サインインしてください",
			    "this link has expired: call the secretariat or "
			    "sign in");
		else
			web_error_page(wr, 401, "このリンクは無効です",
			    "this link is not valid");
		return -1;
	}
	wr->member = xstrdup(c.subject);
	wr->incident = id;
	wr->personal = 1;
	wr->link_exp_s = c.expires_s;
	wr->token = xstrdup(tok);
	wl_binding(tok, bind);
	wr->binding = xstrdup(bind);
	return 0;
}

/* An incident page once its reader is known: shown, or a form posted
 * to it (with its CSRF token) carried out. */
static void
page_serve(struct wreq *wr, int post)
{
	json_t *form;

	if (!post) {
		page_incident(wr, 200);
		return;
	}
	if ((form = web_form(wr)) == NULL)
		return;
	if (web_csrf_use(wr, form) == 0)
		page_post(wr, form);
	json_decref(form);
}

static void
r_page(struct wreq *wr, const char *tok, int post)
{
	if (answer_token(wr, tok) == 0)
		page_serve(wr, post);
}

static void
i_page(struct wreq *wr, const char *ids, int post)
{
	long long	 id;

	if (parse_i64(ids, &id) == -1 || id <= 0) {
		web_error_page(wr, 404, "そのページはありません",
		    "no such page");
		return;
	}
	wr->incident = id;
	if (web_signin(wr, 1) == 0)
		page_serve(wr, post);
}

/* ---- routing ---- */

static void
static_file(struct wreq *wr, const char *name)
{
	if (strcmp(name, "web.css") == 0)
		web_reply(wr, 200, "text/css; charset=utf-8", wh_css,
		    strlen(wh_css));
	else if (strcmp(name, "board.js") == 0)
		web_reply(wr, 200, "text/javascript; charset=utf-8", wh_js,
		    strlen(wh_js));
	else
		web_error_page(wr, 404, "そのページはありません",
		    "no such page");
}

/* Splits path into at most 4 segments (in a copy); the count. */
static int
web_segments(char *p, char *seg[4])
{
	int n = 0;

	while (*p == '/' && n < 4) {
		*p++ = '\0';
		seg[n++] = p;
		p += strcspn(p, "/");
	}
	return *p == '\0' ? n : -1;
}

static void
web_route(struct wreq *wr, int post, char **seg, int n)
{
	long long	inc, num;

	if (n == 1 && strcmp(seg[0], "login") == 0)
		post ? login_post(wr) : login_get(wr);
	else if (n == 2 && strcmp(seg[0], "login") == 0)
		post ? login_link_post(wr, seg[1]) : login_link_get(wr, seg[1]);
	else if (n == 1 && strcmp(seg[0], "logout") == 0 && post)
		logout_post(wr);
	else if (n == 2 && strcmp(seg[0], "r") == 0)
		r_page(wr, seg[1], post);
	else if (n == 2 && strcmp(seg[0], "i") == 0)
		i_page(wr, seg[1], post);
	else if (n == 4 && strcmp(seg[0], "i") == 0 && strcmp(seg[2],
	    "sitrep") == 0 && !post && parse_i64(seg[1], &inc) == 0 &&
	    parse_i64(seg[3], &num) == 0) {
		if (web_signin(wr, 1) == 0)
			sitrep_get(wr, inc, num);
	} else if (n == 1 && strcmp(seg[0], "board") == 0 && !post) {
		if (web_signin(wr, 1) == 0)
			board_get(wr, strstr(wr->self, "fragment=1") != NULL);
	} else if (n == 2 && strcmp(seg[0], "board") == 0 && strcmp(seg[1],
	    "events") == 0 && !post) {
		if (web_signin(wr, 1) == 0)
			board_events(wr);
	} else if (n == 2 && strcmp(seg[0], "board") == 0 && strcmp(seg[1],
	    "stats") == 0 && !post) {
		if (web_signin(wr, 1) == 0)
			board_stats(wr);
	} else if (n == 2 && strcmp(seg[0], "board") == 0 && strcmp(seg[1],
	    "sitrep") == 0 && post) {
		json_t *form;

		if (web_signin(wr, 0) != 0 || (form = web_form(wr)) == NULL)
			return;
		if (web_csrf_use(wr, form) == 0)
			sitrep_post(wr, form);
		json_decref(form);
	} else if (n == 2 && strcmp(seg[0], "static") == 0 && !post)
		static_file(wr, seg[1]);
	else
		web_error_page(wr, post ? 405 : 404, "そのページはありません",
		    "no such page");
}

static const char *const web_prefixes[] = {
	"/r/", "/i/", "/board", "/login", "/logout", "/static/", NULL
};

int
web_handle(struct kz_daemon *d, struct evhttp_request *req, const char *path)
{
	const struct evhttp_uri	*u = evhttp_request_get_evhttp_uri(req);
	enum evhttp_cmd_type	 m = evhttp_request_get_command(req);
	struct wreq		*wr;
	char			*copy, *seg[4];
	const char		*q;
	size_t			 i;
	int			 n;

	if (d->web == NULL || d->conf->web.secret == NULL)
		return 0;
	for (i = 0; web_prefixes[i] != NULL; i++)
		if (strncmp(path, web_prefixes[i], strlen(web_prefixes[i])) ==
		    0)
			break;
	if (web_prefixes[i] == NULL)
		return 0;
	wr = xcalloc(1, sizeof *wr);
	wr->d = d;
	wr->w = d->web;
	wr->req = req;
	wr->evcon = evhttp_request_get_connection(req);
	q = u != NULL ? evhttp_uri_get_query(u) : NULL;
	wr->self = q != NULL ? xprintf("%s?%s", path, q) : xstrdup(path);
	if (m != EVHTTP_REQ_GET && m != EVHTTP_REQ_POST) {
		web_add_header(wr, "Allow", "GET, POST");
		web_error_page(wr, 405, "使えない操作です",
		    "method not allowed");
		return 1;
	}
	copy = xstrdup(path);
	if ((n = web_segments(copy, seg)) <= 0)
		web_error_page(wr, 404, "そのページはありません",
		    "no such page");
	else
		web_route(wr, m == EVHTTP_REQ_POST, seg, n);
	free(copy);
	return 1;
}
