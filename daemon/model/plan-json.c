/* The JSON storage form of a plan: the YAML's keys, durations as seconds
 * in keys ending "_s" (SPEC conventions), absent values null, and
 * "format": 1. Walks the same record tables as the loader. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsonutil.h"
#include "model/plan.h"
#include "model/plan-int.h"
#include "common/xmalloc.h"
#include "common/ytree.h"

static const char *
json_key(const struct pfield *f, char *buf, size_t len)
{
	if (f->type != PF_DURATION)
		return f->key;
	snprintf(buf, len, "%s_s", f->key);
	return buf;
}

static json_t	*record_json(const struct precord *, const void *);

static json_t *
field_json(const struct pfield *f, const void *base)
{
	const char	*p = AT(base, f), *items;
	char		 date[16];
	json_t		*j;
	size_t		 i, n;

	if (!plan_field_present(f, base) && f->type != PF_IDLIST &&
	    f->type != PF_LIST && f->type != PF_LEVELMAP &&
	    f->type != PF_TEXTMAP)
		return json_null();
	switch (f->type) {
	case PF_ID:
	case PF_TEXT:
		return jstr_or_null(*(char *const *)p);
	case PF_DURATION:
	case PF_COST:
		return json_integer(*(const int64_t *)p);
	case PF_DATE:
		return jstr_or_null(plan_date_fmt(*(const int64_t *)p, date,
		    sizeof date));
	case PF_LEVEL:
		return json_integer(*(const int *)p);
	case PF_ENUM:
		return json_string(f->names[*(const int *)p]);
	case PF_SHARE:
		return json_real(*(const double *)p);
	case PF_IDLIST:
		j = json_array();
		for (i = 0; *(char **const *)p != NULL &&
		    (*(char **const *)p)[i] != NULL; i++)
			json_array_append_new(j, jstr_or_null((*(char **const *)p)[i]));
		return j;
	case PF_LEVELMAP:
	case PF_TEXTMAP:
		j = json_object();
		for (i = 0; f->names[i] != NULL; i++) {
			if (f->type == PF_LEVELMAP && ((const int *)p)[i] != 0)
				json_object_set_new(j, f->names[i],
				    json_integer(((const int *)p)[i]));
			else if (f->type == PF_TEXTMAP &&
			    ((char *const *)p)[i] != NULL)
				json_object_set_new(j, f->names[i],
				    jstr_or_null(((char *const *)p)[i]));
		}
		return j;
	case PF_RECORD:
		return record_json(f->sub, p);
	case PF_LIST:
		items = *(char *const *)p;
		n = *(const size_t *)((const char *)base + f->noff);
		j = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(j, record_json(f->sub,
			    items + i * f->sub->size));
		return j;
	}
	return json_null();
}

static json_t *
record_json(const struct precord *rec, const void *base)
{
	const struct pfield	*f;
	json_t			*o = json_object();
	char			 key[64];

	for (f = rec->fields; f->key != NULL; f++)
		json_object_set_new(o, json_key(f, key, sizeof key),
		    field_json(f, base));
	return o;
}

json_t *
plan_to_json(const struct plan *p)
{
	json_t *j = record_json(&plan_file_rec, p);

	json_object_set_new(j, "format", json_integer(1));
	return j;
}

static int	record_from_json(const json_t *, const struct precord *,
		    void *, char **);

static int
map_from_json(const json_t *v, const struct pfield *f, char *p, char **why)
{
	const char	*k;
	json_t		*x;
	int		 i;

	if (!json_is_object(v))
		return -1;
	json_object_foreach((json_t *)(uintptr_t)v, k, x) {
		if ((i = plan_name_index(f->names, k)) == -1) {
			*why = xprintf("unknown key \"%s\" in \"%s\"", k,
			    f->key);
			return -1;
		}
		if (f->type == PF_LEVELMAP && json_is_integer(x) &&
		    json_integer_value(x) >= 1 && json_integer_value(x) <= 4)
			((int *)p)[i] = (int)json_integer_value(x);
		else if (f->type == PF_TEXTMAP && json_is_string(x))
			((char **)p)[i] = xstrdup(json_string_value(x));
		else
			return -1;
	}
	return 0;
}

static int
list_from_json(const json_t *v, const struct pfield *f, void *base,
    char **why)
{
	const struct precord	*rec = f->sub;
	char			*items;
	size_t			 i, n;

	if (!json_is_array(v))
		return -1;
	n = json_array_size(v);
	items = xcalloc(n, rec->size);
	for (i = 0; i < n; i++)
		plan_record_init(rec, items + i * rec->size);
	*(char **)AT(base, f) = items;
	*(size_t *)((char *)base + f->noff) = n;
	for (i = 0; i < n; i++)
		if (record_from_json(json_array_get(v, i), rec,
		    items + i * rec->size, why) == -1)
			return -1;
	return 0;
}

/* Returns 0, or -1 for a value of the wrong shape (*why may be set). */
static int
field_from_json(const json_t *v, const struct pfield *f, void *base,
    char **why)
{
	char		*p = AT(base, f);
	const char	*s = json_string_value(v);
	json_int_t	 i = json_integer_value(v);
	size_t		 k;
	int64_t		 ms;

	switch (f->type) {
	case PF_ID:
	case PF_TEXT:
		if (s == NULL || (f->type == PF_ID && !valid_id(s)))
			return -1;
		*(char **)p = xstrdup(s);
		return 0;
	case PF_DURATION:
	case PF_COST:
		if (!json_is_integer(v) || i < (f->positive ? 1 : 0))
			return -1;
		*(int64_t *)p = i;
		return 0;
	case PF_DATE:
		if (s == NULL || plan_date_parse(s, &ms) == -1)
			return -1;
		*(int64_t *)p = ms;
		return 0;
	case PF_LEVEL:
		if (!json_is_integer(v) || i < 1 || i > 4)
			return -1;
		*(int *)p = (int)i;
		return 0;
	case PF_ENUM:
		if (s == NULL || plan_name_index(f->names, s) == -1)
			return -1;
		*(int *)p = plan_name_index(f->names, s);
		return 0;
	case PF_SHARE:
		if (!json_is_number(v) || json_number_value(v) < 0 ||
		    json_number_value(v) > 1)
			return -1;
		*(double *)p = json_number_value(v);
		return 0;
	case PF_IDLIST:
		if (!json_is_array(v))
			return -1;
		*(char ***)p = xcalloc(json_array_size(v) + 1, sizeof(char *));
		for (k = 0; k < json_array_size(v); k++) {
			s = json_string_value(json_array_get(v, k));
			if (s == NULL || !valid_id(s))
				return -1;
			(*(char ***)p)[k] = xstrdup(s);
		}
		return 0;
	case PF_LEVELMAP:
	case PF_TEXTMAP:
		return map_from_json(v, f, p, why);
	case PF_RECORD:
		return record_from_json(v, f->sub, p, why);
	case PF_LIST:
		return list_from_json(v, f, base, why);
	}
	return -1;
}

static int
record_from_json(const json_t *o, const struct precord *rec, void *base,
    char **why)
{
	const struct pfield	*f;
	const json_t		*v;
	char			 key[64];

	if (!json_is_object(o)) {
		*why = xprintf("a %s must be an object", rec->what);
		return -1;
	}
	for (f = rec->fields; f->key != NULL; f++) {
		v = json_object_get(o, json_key(f, key, sizeof key));
		if (v == NULL || json_is_null(v)) {
			if (!f->required)
				continue;
			*why = xprintf("%s: missing \"%s\"", rec->what, key);
			return -1;
		}
		if (field_from_json(v, f, base, why) == -1) {
			if (*why == NULL)
				*why = xprintf("%s: bad \"%s\"", rec->what,
				    key);
			return -1;
		}
	}
	return 0;
}

struct plan *
plan_from_json(const json_t *j, char **why)
{
	struct plan	*p = plan_new();
	int		 i;

	*why = NULL;
	if (record_from_json(j, &plan_file_rec, p, why) == -1) {
		plan_free(p);
		return NULL;
	}
	if ((i = plan_thresholds_bad(p)) != -1) {
		*why = xprintf("priority thresholds must increase (%s)",
		    plan_prio_names[i]);
		plan_free(p);
		return NULL;
	}
	return p;
}
