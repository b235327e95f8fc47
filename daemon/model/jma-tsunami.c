/* JMA tsunami documents (VTSE41 津波警報・注意報・予報, VTSE51 津波情報)
 * as P2P地震情報's 552 report: the areas under a major warning, a
 * warning or an advisory, each with its grade, plus what P2P leaves out
 * (the JMA kind name and code, the earthquake, VTSE51's observations). */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "model/jma-int.h"
#include "common/xmalloc.h"

/* 警報等情報要素／津波警報・注意報・予報 codes that put an area under a
 * warning or advisory; every other code (予報, 解除, 津波なし) does
 * not. */
static const struct {
	const char	*code;
	const char	*grade;
} jt_grades[] = {
	{ "52", "MajorWarning" },	/* 大津波警報 */
	{ "53", "MajorWarning" },	/* 大津波警報：発表 */
	{ "51", "Warning" },		/* 津波警報 */
	{ "62", "Watch" },		/* 津波注意報 */
};

static const char *
jt_grade(const xmlNode *kind)
{
	char		*c = jx_text(jx_child(kind, "Code"));
	const char	*g = NULL;
	size_t		 i;

	for (i = 0; c != NULL && i < sizeof jt_grades / sizeof jt_grades[0];
	    i++)
		if (strcmp(c, jt_grades[i].code) == 0)
			g = jt_grades[i].grade;
	free(c);
	return g;
}

static json_t *
jt_first(const xmlNode *fh)
{
	json_t	*o = json_object(), *t;
	char	*c;

	t = jx_p2ptime(jx_child(fh, "ArrivalTime"));
	if (!json_is_null(t))
		json_object_set_new(o, "arrivalTime", t);
	else
		json_decref(t);
	if ((c = jx_text(jx_child(fh, "Condition"))) != NULL) {
		json_object_set_new(o, "condition", jx_jstr(jx_child(fh,
		    "Condition")));
		free(c);
	}
	return o;
}

static int
jt_immediate(const xmlNode *fh)
{
	char	*c = jx_text(jx_child(fh, "Condition"));
	int	 i;

	i = c != NULL && (strcmp(c, "ただちに津波来襲と予測") == 0 ||
	    strcmp(c, "津波到達中と推測") == 0);
	free(c);
	return i;
}

static json_t *
jt_height(const xmlNode *mh)
{
	xmlNode	*h = jx_child(mh, "TsunamiHeight");
	char	*desc = jx_attr(h, "description"), *cond;
	json_t	*o;

	o = json_pack("{s:o,s:o}", "description", json_string(desc != NULL ?
	    desc : ""), "value", jx_number(h, 0));
	if (json_object_get(o, "description") == NULL)
		json_object_set_new(o, "description", json_string(""));
	if ((cond = jx_attr(h, "condition")) != NULL ||
	    (cond = jx_text(jx_child(mh, "Condition"))) != NULL) {
		json_object_set_new(o, "condition", json_string(cond));
		free(cond);
	}
	free(desc);
	return o;
}

/* Forecast items: the graded areas, and whether every warning and
 * advisory was lifted (some area had one before, none has now: P2P's
 * "cancelled", which is a resolution, not a withdrawal). */
static json_t *
jt_areas(const xmlNode *fc, int *lifted)
{
	json_t		*areas = json_array();
	xmlNode		*it, *cat;
	const char	*g;
	int		 before = 0;

	for (it = jx_child(fc, "Item"); it != NULL; it = jx_next(it, "Item")) {
		cat = jx_child(it, "Category");
		if (jt_grade(jx_child(cat, "LastKind")) != NULL)
			before = 1;
		if ((g = jt_grade(jx_child(cat, "Kind"))) == NULL)
			continue;
		json_array_append_new(areas, json_pack("{s:o,s:o,s:s,s:o,s:o,"
		    "s:b,s:o,s:o}", "name", jx_jstr(jx_path(it, "Area/Name")),
		    "code", jx_jstr(jx_path(it, "Area/Code")), "grade", g,
		    "kind", jx_jstr(jx_path(cat, "Kind/Name")), "kind_code",
		    jx_jstr(jx_path(cat, "Kind/Code")), "immediate",
		    jt_immediate(jx_child(it, "FirstHeight")), "firstHeight",
		    jt_first(jx_child(it, "FirstHeight")), "maxHeight",
		    jt_height(jx_child(it, "MaxHeight"))));
	}
	*lifted = before && json_array_size(areas) == 0;
	return areas;
}

/* VTSE51: the heights observed at tide stations. */
static json_t *
jt_observations(const xmlNode *obs)
{
	json_t	*v = json_array(), *t;
	xmlNode	*it, *st, *fh;

	for (it = jx_child(obs, "Item"); it != NULL; it = jx_next(it, "Item"))
		for (st = jx_child(it, "Station"); st != NULL;
		    st = jx_next(st, "Station")) {
			fh = jx_child(st, "FirstHeight");
			t = jx_p2ptime(jx_child(fh, "ArrivalTime"));
			json_array_append_new(v, json_pack("{s:o,s:o,s:o,s:o,"
			    "s:o,s:o}", "area", jx_jstr(jx_path(it,
			    "Area/Name")), "name", jx_jstr(jx_child(st,
			    "Name")), "code", jx_jstr(jx_child(st, "Code")),
			    "arrivalTime", t, "initial", jx_jstr(jx_child(fh,
			    "Initial")), "maxHeight", jt_height(jx_child(st,
			    "MaxHeight"))));
		}
	return v;
}

static json_t *
jt_earthquake(const xmlNode *eq)
{
	xmlNode	*area = jx_path(eq, "Hypocenter/Area");
	json_t	*t = jx_p2ptime(jx_child(eq, "ArrivalTime"));

	if (json_is_null(t)) {
		json_decref(t);
		t = jx_p2ptime(jx_child(eq, "OriginTime"));
	}
	return json_pack("{s:o,s:{s:o,s:o}}", "time", t, "hypocenter",
	    "name", jx_jstr(jx_child(area, "Name")), "magnitude",
	    jx_number(jx_child(eq, "Magnitude"), -1));
}

int
jma_tsunami(struct jx_report *r, json_t *d, struct trigger *t, char **why)
{
	xmlNode	*ts = jx_child(r->body, "Tsunami"), *eq;
	int	 lifted = 0;

	json_object_set_new(d, "code", json_integer(552));
	json_object_set_new(r->issue, "type", json_string("Focus"));
	t->fingerprint = xstrdup(HOOK_TSUNAMI_KEY);
	if (t->cancelled) {
		json_object_set_new(d, "cancelled", json_false());
		json_object_set_new(d, "areas", json_array());
		return 0;
	}
	if (ts == NULL) {
		*why = xprintf("%s without Body/Tsunami",
		    jma_type_name(r->type));
		return -1;
	}
	json_object_set_new(d, "areas", jt_areas(jx_child(ts, "Forecast"),
	    &lifted));
	json_object_set_new(d, "cancelled", json_boolean(lifted));
	t->resolved = lifted;
	if (r->type == JMA_VTSE51)
		json_object_set_new(d, "observations", jt_observations(
		    jx_child(ts, "Observation")));
	if ((eq = jx_child(r->body, "Earthquake")) != NULL)
		json_object_set_new(d, "earthquake", jt_earthquake(eq));
	return 0;
}
