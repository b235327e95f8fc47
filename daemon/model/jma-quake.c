/* JMA earthquake documents (VXSE51 震度速報, VXSE52 震源に関する情報,
 * VXSE53 震源・震度に関する情報) as the P2P地震情報 551 report they are
 * relayed as: the same members, the same scale codes, the same times,
 * so that one runbook matcher reads either source. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "model/jma-int.h"
#include "common/xmalloc.h"

/* P2P's issue.type of each document (遠地地震 is a VXSE53 too). */
static const char *
jq_issue_type(const struct jx_report *r)
{
	char		*title = jx_text(jx_child(r->head, "Title"));
	const char	*t;

	if (title != NULL && strcmp(title, "遠地地震に関する情報") == 0)
		t = "Foreign";
	else if (r->type == JMA_VXSE51)
		t = "ScalePrompt";
	else if (r->type == JMA_VXSE52)
		t = "Destination";
	else
		t = "DetailScale";
	free(title);
	return t;
}

/* What a correction (訂正) corrects, in P2P's words. */
static const char *
jq_correct(const struct jx_report *r, const char *itype)
{
	if (strcmp(r->info_type, "訂正") != 0)
		return "None";
	if (strcmp(itype, "ScalePrompt") == 0)
		return "ScaleOnly";
	if (strcmp(itype, "Destination") == 0)
		return "DestinationOnly";
	return "ScaleAndDestination";
}

/* "+37.6+141.6-50000/": latitude, longitude, depth in metres below
 * sea level (absent when unknown); P2P's -200 / -1 when not given. */
static void
jq_coordinate(const xmlNode *c, json_t *h)
{
	char	*s = jx_text(c), *p, *e;
	double	 lat, lon, dep;

	json_object_set_new(h, "latitude", json_real(-200));
	json_object_set_new(h, "longitude", json_real(-200));
	json_object_set_new(h, "depth", json_integer(-1));
	if (s == NULL || (*s != '+' && *s != '-')) {
		free(s);
		return;
	}
	lat = strtod(s, &p);
	if (p == s || (*p != '+' && *p != '-')) {
		free(s);
		return;
	}
	lon = strtod(p, &e);
	if (e == p || lat < -90 || lat > 90 || lon < -180 || lon > 180) {
		free(s);
		return;
	}
	json_object_set_new(h, "latitude", json_real(lat));
	json_object_set_new(h, "longitude", json_real(lon));
	if (*e == '+' || *e == '-') {
		dep = strtod(e, &p);
		if (p != e && dep <= 0 && dep > -1e7)
			json_object_set_new(h, "depth", json_integer(
			    (json_int_t)(-dep / 1000)));
	}
	free(s);
}

static json_t *
jq_hypocenter(const xmlNode *eq)
{
	xmlNode	*area = jx_path(eq, "Hypocenter/Area");
	xmlNode	*name = jx_child(area, "DetailedName");
	json_t	*h;

	if (name == NULL)
		name = jx_child(area, "Name");
	h = json_pack("{s:o,s:o}", "name", jx_jstr(name), "magnitude",
	    jx_number(jx_child(eq, "Magnitude"), -1));
	jq_coordinate(jx_child(area, "Coordinate"), h);
	return h;
}

/* Tsunami comment codes of the earthquake reports (固定付加文), as P2P's
 * domesticTsunami. */
static const char *
jq_tsunami(const struct jx_report *r, const char *itype)
{
	static const struct {
		const char	*code;
		const char	*p2p;
	} codes[] = {
		{ "0215", "None" }, { "0230", "None" },
		{ "0212", "NonEffective" }, { "0213", "NonEffective" },
		{ "0214", "NonEffective" }, { "0211", "Warning" },
		{ "0217", "Checking" }, { "0229", "Checking" },
	};
	char		*c;
	const char	*v = "Unknown";
	size_t		 i;

	if (strcmp(itype, "ScalePrompt") == 0)
		return "Checking";
	c = jx_text(jx_path(r->body, "Comments/ForecastComment/Code"));
	for (i = 0; c != NULL && i < sizeof codes / sizeof codes[0]; i++)
		if (strstr(c, codes[i].code) != NULL) {
			v = codes[i].p2p;
			break;
		}
	free(c);
	return v;
}

static void
jq_point(json_t *points, json_t *pref, const xmlNode *name, const char *si,
    int area)
{
	char	*addr = jx_text(name), *star;
	json_t	*a;

	/* ＊ marks a local government's station; P2P drops it. */
	while (addr != NULL && (star = strstr(addr, "＊")) != NULL)
		memmove(star, star + strlen("＊"), strlen(star + strlen("＊")) +
		    1);
	a = json_string(addr != NULL ? addr : "");
	json_array_append_new(points, json_pack("{s:O,s:o,s:i,s:b}", "pref",
	    pref, "addr", a != NULL ? a : json_string(""), "scale",
	    jx_scale(si), "isArea", area));
	free(addr);
}

/* Stations of one city; a city with none yet but a condition ("震度５弱
 * 以上未入電") stands for itself. */
static void
jq_city(json_t *points, json_t *pref, const xmlNode *city)
{
	xmlNode	*st;
	char	*si;

	for (st = jx_child(city, "IntensityStation"); st != NULL;
	    st = jx_next(st, "IntensityStation")) {
		si = jx_text(jx_child(st, "Int"));
		jq_point(points, pref, jx_child(st, "Name"), si, 0);
		free(si);
	}
}

/* VXSE53: one point per station; VXSE51: one per area (isArea), as P2P
 * lists them. */
static json_t *
jq_points(const struct jx_report *r)
{
	json_t	*points = json_array(), *pref;
	xmlNode	*p, *a, *c, *obs;
	char	*si;

	obs = jx_path(r->body, "Intensity/Observation");
	for (p = jx_child(obs, "Pref"); p != NULL; p = jx_next(p, "Pref")) {
		pref = jx_jstr(jx_child(p, "Name"));
		for (a = jx_child(p, "Area"); a != NULL; a = jx_next(a,
		    "Area")) {
			if (r->type == JMA_VXSE51 || jx_child(a, "City") ==
			    NULL) {
				si = jx_text(jx_child(a, "MaxInt"));
				if (si == NULL)
					si = jx_text(jx_child(a,
					    "Condition"));
				jq_point(points, pref, jx_child(a, "Name"), si,
				    1);
				free(si);
				continue;
			}
			for (c = jx_child(a, "City"); c != NULL;
			    c = jx_next(c, "City"))
				jq_city(points, pref, c);
		}
		json_decref(pref);
	}
	return points;
}

/* P2P's earthquake.time: when the shaking began (ArrivalTime), else the
 * origin time, else (震度速報) the head's target time. */
static json_t *
jq_time(const struct jx_report *r, const xmlNode *eq)
{
	json_t *t = jx_p2ptime(jx_child(eq, "ArrivalTime"));

	if (json_is_null(t)) {
		json_decref(t);
		t = jx_p2ptime(jx_child(eq, "OriginTime"));
	}
	if (json_is_null(t)) {
		json_decref(t);
		t = jx_p2ptime(jx_child(r->head, "TargetDateTime"));
	}
	return t;
}

/* "quake:" + the minute of the time, or of the event id
 * (YYYYMMDDhhmmss) when the document has no time (a cancellation). */
static char *
jq_key(const struct jx_report *r, const json_t *time)
{
	char	*k = hook_quake_key(json_string_value(time)), t[24];
	const char *e = r->event_id;

	if (k != NULL)
		return k;
	if (e != NULL && strspn(e, "0123456789") >= 12) {
		snprintf(t, sizeof t, "%.4s/%.2s/%.2s %.2s:%.2s:00", e, e + 4,
		    e + 6, e + 8, e + 10);
		if ((k = hook_quake_key(t)) != NULL)
			return k;
	}
	return xprintf("jma:%s", e != NULL && *e != '\0' ? e : "unknown");
}

int
jma_quake(struct jx_report *r, json_t *d, struct trigger *t, char **why)
{
	xmlNode		*eq = jx_child(r->body, "Earthquake");
	const char	*itype = jq_issue_type(r);
	json_t		*time, *h, *max;
	char		*mi;

	json_object_set_new(d, "code", json_integer(551));
	json_object_set_new(r->issue, "type", json_string(itype));
	json_object_set_new(r->issue, "correct", json_string(jq_correct(r,
	    itype)));
	if (t->cancelled) {
		/* 取消: only the event id says what is withdrawn. */
		t->fingerprint = jq_key(r, NULL);
		json_object_set_new(d, "cancelled", json_true());
		return 0;
	}
	if (r->body == NULL) {
		*why = xstrdup("a JMA earthquake document without Body");
		return -1;
	}
	if (r->type != JMA_VXSE51 && eq == NULL) {
		*why = xprintf("%s without Body/Earthquake",
		    jma_type_name(r->type));
		return -1;
	}
	time = jq_time(r, eq);
	h = eq != NULL ? jq_hypocenter(eq) : json_pack("{s:s,s:f,s:f,s:i,"
	    "s:f}", "name", "", "latitude", -200.0, "longitude", -200.0,
	    "depth", -1, "magnitude", -1.0);
	mi = jx_text(jx_path(r->body, "Intensity/Observation/MaxInt"));
	max = json_integer(jx_scale(mi));
	free(mi);
	json_object_set_new(d, "earthquake", json_pack("{s:O,s:o,s:o,s:s,"
	    "s:s}", "time", time, "hypocenter", h, "maxScale", max,
	    "domesticTsunami", jq_tsunami(r, itype), "foreignTsunami",
	    strcmp(itype, "Foreign") == 0 ? "Checking" : "Unknown"));
	json_object_set_new(d, "points", jq_points(r));
	json_object_set_new(d, "cancelled", json_false());
	t->fingerprint = jq_key(r, time);
	json_decref(time);
	return 0;
}
