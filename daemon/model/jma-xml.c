/* The XML side of the JMA source: a parser that refuses what JMA never
 * sends (DTDs, entities), the Atom feed, and the common parts of every
 * document (Control, Head) before the earthquake and tsunami decoders
 * take the Body. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "model/jma-int.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"

#define JX_REFUSED	"a DTD or entity declaration is not allowed in a JMA " \
			"document (refused unread: no DTD is loaded, no " \
			"entity expanded)"

static const struct {
	enum jma_type	 type;
	const char	*name;
} jx_types[] = {
	{ JMA_VXSE51, "VXSE51" },
	{ JMA_VXSE52, "VXSE52" },
	{ JMA_VXSE53, "VXSE53" },
	{ JMA_VTSE41, "VTSE41" },
	{ JMA_VTSE51, "VTSE51" },
};

/* Control/Title of each type; the tsunami titles carry a version letter
 * ("津波警報・注意報・予報a"), so they are prefixes. */
static const struct {
	const char	*title;
	int		 prefix;
	enum jma_type	 type;
} jx_titles[] = {
	{ "震度速報", 0, JMA_VXSE51 },
	{ "震源に関する情報", 0, JMA_VXSE52 },
	{ "震源・震度に関する情報", 0, JMA_VXSE53 },
	{ "津波警報・注意報・予報", 1, JMA_VTSE41 },
	{ "津波情報", 1, JMA_VTSE51 },
};

#define NELEM(a)	(sizeof (a) / sizeof (a)[0])

const char *
jma_type_name(enum jma_type t)
{
	size_t i;

	for (i = 0; i < NELEM(jx_types); i++)
		if (jx_types[i].type == t)
			return jx_types[i].name;
	return "other";
}

enum jma_type
jma_type_from_url(const char *url)
{
	const char	*base, *p;
	char		 want[16];
	size_t		 i;

	if (url == NULL)
		return JMA_OTHER;
	base = (p = strrchr(url, '/')) != NULL ? p + 1 : url;
	for (i = 0; i < NELEM(jx_types); i++) {
		snprintf(want, sizeof want, "_%s_", jx_types[i].name);
		if (strstr(base, want) != NULL)
			return jx_types[i].type;
	}
	return JMA_OTHER;
}

/* SAX hooks that stop the parser at the first sign of a DTD: before the
 * internal subset is read, so no entity is ever declared. */
static void
jx_refuse(void *ctx)
{
	xmlParserCtxtPtr c = ctx;

	c->_private = (void *)JX_REFUSED;
	xmlStopParser(c);
}

static void
jx_refuse_subset(void *ctx, const xmlChar *name, const xmlChar *eid,
    const xmlChar *sid)
{
	jx_refuse(ctx);
}

static void
jx_refuse_entity(void *ctx, const xmlChar *name, int type,
    const xmlChar *pid, const xmlChar *sid, xmlChar *content)
{
	jx_refuse(ctx);
}

static xmlParserInputPtr
jx_no_loader(const char *url, const char *id, xmlParserCtxtPtr ctx)
{
	/* Nothing is ever read from outside the buffer. */
	return NULL;
}

xmlDoc *
jx_parse(const char *buf, size_t len, char **why)
{
	xmlParserCtxtPtr	 c;
	xmlDoc			*doc;
	const xmlError		*e;
	char			*msg;
	size_t			 n;

	*why = NULL;
	if (len > JMA_MAX_XML) {
		*why = xprintf("%zu bytes, more than the %d accepted", len,
		    JMA_MAX_XML);
		return NULL;
	}
	xmlSetExternalEntityLoader(jx_no_loader);
	if ((c = xmlNewParserCtxt()) == NULL)
		fatalx("xmlNewParserCtxt: out of memory");
	c->sax->internalSubset = jx_refuse_subset;
	c->sax->externalSubset = jx_refuse_subset;
	c->sax->entityDecl = jx_refuse_entity;
	/* No XML_PARSE_NOENT (no substitution), no DTDLOAD/DTDATTR/DTDVALID,
	 * no HUGE: libxml2's own size limits stay. */
	doc = xmlCtxtReadMemory(c, buf != NULL ? buf : "", (int)len,
	    "jma.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
	    XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
	if (c->_private != NULL) {
		*why = xstrdup(c->_private);
	} else if (doc == NULL || !c->wellFormed) {
		e = xmlCtxtGetLastError(c);
		if (e != NULL && e->message != NULL) {
			msg = xstrdup(e->message);
			n = strlen(msg);
			while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] ==
			    ' '))
				msg[--n] = '\0';
			*why = xprintf("XML error at line %d column %d: %s",
			    e->line, e->int2, msg);
			free(msg);
		} else
			*why = xstrdup("XML error: not well-formed");
	}
	xmlFreeParserCtxt(c);
	if (*why != NULL) {
		xmlFreeDoc(doc);
		return NULL;
	}
	return doc;
}

xmlNode *
jx_next(const xmlNode *n, const char *name)
{
	for (n = n != NULL ? n->next : NULL; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE &&
		    strcmp((const char *)n->name, name) == 0)
			return (xmlNode *)n;
	return NULL;
}

xmlNode *
jx_child(const xmlNode *p, const char *name)
{
	xmlNode *n;

	if (p == NULL)
		return NULL;
	for (n = p->children; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE &&
		    strcmp((const char *)n->name, name) == 0)
			return n;
	return NULL;
}

xmlNode *
jx_path(const xmlNode *p, const char *path)
{
	char	 name[64];
	size_t	 len;

	while (p != NULL && *path != '\0') {
		len = strcspn(path, "/");
		if (len >= sizeof name)
			return NULL;
		memcpy(name, path, len);
		name[len] = '\0';
		p = jx_child(p, name);
		path += len;
		if (*path == '/')
			path++;
	}
	return (xmlNode *)p;
}

char *
jx_text(const xmlNode *n)
{
	xmlChar	*c;
	char	*s;
	size_t	 a, b;

	if (n == NULL)
		return NULL;
	if ((c = xmlNodeGetContent(n)) == NULL)
		return xstrdup("");
	a = strspn((char *)c, " \t\r\n");
	b = strlen((char *)c);
	while (b > a && strchr(" \t\r\n", c[b - 1]) != NULL)
		b--;
	s = xstrndup((char *)c + a, b - a);
	xmlFree(c);
	return s;
}

json_t *
jx_jstr(const xmlNode *n)
{
	char	*s = jx_text(n);
	json_t	*v;

	/* libxml2 hands out UTF-8; anything else would be refused by
	 * jansson, and then "" is the honest answer. */
	v = json_string(s != NULL ? s : "");
	free(s);
	return v != NULL ? v : json_string("");
}

char *
jx_attr(const xmlNode *n, const char *name)
{
	xmlChar	*a;
	char	*s;

	if (n == NULL || (a = xmlGetProp(n, (const xmlChar *)name)) == NULL)
		return NULL;
	s = xstrdup((char *)a);
	xmlFree(a);
	return s;
}

json_t *
jx_p2ptime(const xmlNode *n)
{
	char		*s = jx_text(n), buf[32];
	int64_t		 ms;
	time_t		 t;
	struct tm	 tm;

	if (s == NULL || rfc3339_parse(s, &ms) == -1) {
		free(s);
		return json_null();
	}
	free(s);
	t = (time_t)(ms / 1000) + 9 * 3600;	/* JST, no summer time */
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, sizeof buf, "%Y/%m/%d %H:%M:%S", &tm) == 0)
		return json_null();
	return json_string(buf);
}

json_t *
jx_number(const xmlNode *n, double dflt)
{
	char	*s = jx_text(n), *end;
	double	 v;

	if (s == NULL || *s == '\0') {
		free(s);
		return json_real(dflt);
	}
	v = strtod(s, &end);
	if (*end != '\0' || !isfinite(v))
		v = dflt;
	free(s);
	return json_real(v);
}

int
jx_scale(const char *s)
{
	static const struct {
		const char	*jma;
		int		 p2p;
	} scales[] = {
		{ "1", 10 }, { "2", 20 }, { "3", 30 }, { "4", 40 },
		{ "5-", 45 }, { "5+", 50 }, { "6-", 55 }, { "6+", 60 },
		{ "7", 70 }, { "震度５弱以上未入電", 46 },
	};
	size_t i;

	for (i = 0; s != NULL && i < NELEM(scales); i++)
		if (strcmp(s, scales[i].jma) == 0)
			return scales[i].p2p;
	return -1;
}

static int64_t
jx_time_ms(const xmlNode *n)
{
	char	*s = jx_text(n);
	int64_t	 ms = 0;

	if (s == NULL || rfc3339_parse(s, &ms) == -1)
		ms = 0;
	free(s);
	return ms;
}

void
jma_feed_free(struct jma_feed *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->v[i].id);
		free(f->v[i].url);
		free(f->v[i].title);
	}
	free(f->v);
	memset(f, 0, sizeof *f);
}

/* The href of an entry's link: the alternate (or untyped) one first. */
static char *
jx_entry_link(const xmlNode *e)
{
	xmlNode	*l;
	char	*rel, *href;

	for (l = jx_child(e, "link"); l != NULL; l = jx_next(l, "link")) {
		rel = jx_attr(l, "rel");
		href = jx_attr(l, "href");
		if (href != NULL && (rel == NULL || strcmp(rel,
		    "alternate") == 0)) {
			free(rel);
			return href;
		}
		free(rel);
		free(href);
	}
	return NULL;
}

int
jma_feed_parse(const char *xml, size_t len, struct jma_feed *f, char **why)
{
	xmlDoc			*doc;
	xmlNode			*root, *e;
	struct jma_entry	*en;

	memset(f, 0, sizeof *f);
	if ((doc = jx_parse(xml, len, why)) == NULL)
		return -1;
	root = xmlDocGetRootElement(doc);
	if (root == NULL || strcmp((const char *)root->name, "feed") != 0) {
		*why = xstrdup("not an Atom feed (the root element is not "
		    "<feed>)");
		xmlFreeDoc(doc);
		return -1;
	}
	for (e = jx_child(root, "entry"); e != NULL; e = jx_next(e, "entry")) {
		char *id = jx_text(jx_child(e, "id"));
		char *url = jx_entry_link(e);

		if (url == NULL && id != NULL && (strncmp(id, "http://", 7) ==
		    0 || strncmp(id, "https://", 8) == 0))
			url = xstrdup(id);
		if (url == NULL || *url == '\0') {
			free(id);
			free(url);
			continue;
		}
		f->v = xreallocarray(f->v, f->n + 1, sizeof *f->v);
		en = &f->v[f->n++];
		en->id = id != NULL && *id != '\0' ? id : xstrdup(url);
		if (en->id != id)
			free(id);
		en->url = url;
		en->title = jx_text(jx_child(e, "title"));
		en->updated = jx_time_ms(jx_child(e, "updated"));
		en->type = jma_type_from_url(url);
		if (en->updated > f->newest)
			f->newest = en->updated;
	}
	xmlFreeDoc(doc);
	return 0;
}

static enum jma_type
jx_type_of(const char *title)
{
	size_t i, n;

	for (i = 0; title != NULL && i < NELEM(jx_titles); i++) {
		n = strlen(jx_titles[i].title);
		if (jx_titles[i].prefix ? strncmp(title, jx_titles[i].title,
		    n) == 0 : strcmp(title, jx_titles[i].title) == 0)
			return jx_titles[i].type;
	}
	return JMA_OTHER;
}

/* Serial is a number, empty for 震度速報 and the tsunami warnings. */
static json_t *
jx_serial(const xmlNode *n)
{
	char		*s = jx_text(n);
	long long	 v;
	json_t		*j = json_null();

	if (s != NULL && parse_i64(s, &v) == 0)
		j = json_integer(v);
	free(s);
	return j;
}

/* Reads Control and Head into r. -1 with *why when it is not a JMA
 * earthquake or tsunami document. */
static int
jx_report(xmlDoc *doc, struct jx_report *r, char **why)
{
	xmlNode	*root = xmlDocGetRootElement(doc);
	char	*title;
	int64_t	 ms;

	memset(r, 0, sizeof *r);
	r->doc = doc;
	if (root == NULL || strcmp((const char *)root->name, "Report") != 0 ||
	    (r->control = jx_child(root, "Control")) == NULL ||
	    (r->head = jx_child(root, "Head")) == NULL) {
		*why = xstrdup("not a JMA document (no Report with Control "
		    "and Head)");
		return -1;
	}
	r->body = jx_child(root, "Body");
	title = jx_text(jx_child(r->control, "Title"));
	r->type = jx_type_of(title);
	if (r->type == JMA_OTHER) {
		*why = xprintf("a JMA document of another kind (\"%s\"): only "
		    "VXSE51, VXSE52, VXSE53, VTSE41 and VTSE51 are read",
		    title != NULL ? title : "");
		free(title);
		return -1;
	}
	free(title);
	r->status = jx_text(jx_child(r->control, "Status"));
	r->info_type = jx_text(jx_child(r->head, "InfoType"));
	r->event_id = jx_text(jx_child(r->head, "EventID"));
	if (r->status == NULL || r->info_type == NULL) {
		*why = xstrdup("a JMA document without Control/Status or "
		    "Head/InfoType");
		return -1;
	}
	ms = jx_time_ms(jx_child(r->head, "ReportDateTime"));
	r->jma = json_pack("{s:s,s:s,s:s,s:s?,s:o,s:o,s:o,s:o,s:o}", "type",
	    jma_type_name(r->type), "status", r->status, "info_type",
	    r->info_type, "event_id", r->event_id, "serial",
	    jx_serial(jx_child(r->head, "Serial")), "title",
	    jx_jstr(jx_child(r->head, "Title")), "headline",
	    jx_jstr(jx_path(r->head, "Headline/Text")), "report_at",
	    ms != 0 ? jtime(ms) : json_null(), "office",
	    jx_jstr(jx_child(r->control, "EditorialOffice")));
	r->issue = json_pack("{s:o,s:o}", "source",
	    jx_jstr(jx_child(r->control, "PublishingOffice")), "time",
	    jx_p2ptime(jx_child(r->control, "DateTime")));
	if (r->jma == NULL || r->issue == NULL) {
		*why = xstrdup("a JMA document with text that is not UTF-8");
		return -1;
	}
	return 0;
}

static void
jx_report_free(struct jx_report *r)
{
	free(r->status);
	free(r->info_type);
	free(r->event_id);
	json_decref(r->issue);
	json_decref(r->jma);
	xmlFreeDoc(r->doc);
}

int
jma_decode(const char *xml, size_t len, struct trigger **out, size_t *n,
    char **why)
{
	struct jx_report	 r;
	struct trigger		*t;
	xmlDoc			*doc;
	json_t			*d;
	int			 rc;

	*out = NULL;
	*n = 0;
	if ((doc = jx_parse(xml, len, why)) == NULL)
		return -1;
	if (jx_report(doc, &r, why) == -1) {
		jx_report_free(&r);
		return -1;
	}
	t = xcalloc(1, sizeof *t);
	d = json_object();
	/* A drill or test telegram never starts a real activation. */
	t->drill = strcmp(r.status, "訓練") == 0 ||
	    strcmp(r.status, "試験") == 0;
	t->correction = strcmp(r.info_type, "訂正") == 0;
	t->cancelled = strcmp(r.info_type, "取消") == 0;
	if (r.type == JMA_VTSE41 || r.type == JMA_VTSE51)
		rc = jma_tsunami(&r, d, t, why);
	else
		rc = jma_quake(&r, d, t, why);
	if (rc == 0) {
		json_object_set(d, "issue", r.issue);
		json_object_set(d, "jma", r.jma);
		if (t->cancelled)
			json_object_set_new(d, "text", r.body != NULL ?
			    jx_jstr(jx_child(r.body, "Text")) :
			    json_string(""));
		t->doc = d;
		*out = t;
		*n = 1;
	} else {
		json_decref(d);
		free(t->fingerprint);
		free(t);
	}
	jx_report_free(&r);
	return rc;
}
