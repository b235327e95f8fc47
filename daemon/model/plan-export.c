/* YAML export of a plan through libyaml's emitter: keys in table order,
 * defaults written out, durations in their shortest form, so exporting an
 * exported plan gives the same text. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "model/plan.h"
#include "model/plan-int.h"
#include "common/xmalloc.h"
#include "common/ytree.h"

struct emit {
	yaml_emitter_t	 e;
	yaml_event_t	 ev;
	int		 err;
};

static int
emit_write(void *arg, unsigned char *data, size_t size)
{
	buf_add(arg, (const char *)data, size);
	return 1;
}

static void
emit_ev(struct emit *em, int ok)
{
	if (!ok || !yaml_emitter_emit(&em->e, &em->ev))
		em->err = 1;
}

static void
emit_scalar(struct emit *em, const char *s, yaml_scalar_style_t style)
{
	if (em->err)
		return;
	emit_ev(em, yaml_scalar_event_initialize(&em->ev, NULL, NULL,
	    (yaml_char_t *)(uintptr_t)s, (int)strlen(s), 1, 1, style));
}

/* Text that the loader (or another YAML reader) would take for null, a
 * boolean or a number is quoted; multi-line text becomes a block. */
static void
emit_text(struct emit *em, const char *s)
{
	static const char *const bools[] = { "yes", "no", "on", "off",
	    "y", "n" };
	struct ynode	 tmp = { .type = Y_SCALAR, .str = (char *)(uintptr_t)s,
			    .plain = 1 };
	json_t		*j = ynode_json(&tmp);
	int		 typed = !json_is_string(j);
	size_t		 i;

	json_decref(j);
	for (i = 0; i < sizeof bools / sizeof bools[0]; i++)
		if (strcasecmp(s, bools[i]) == 0)
			typed = 1;
	if (strchr(s, '\n') != NULL)
		emit_scalar(em, s, YAML_LITERAL_SCALAR_STYLE);
	else
		emit_scalar(em, s, typed ? YAML_DOUBLE_QUOTED_SCALAR_STYLE :
		    YAML_ANY_SCALAR_STYLE);
}

static void
emit_collection(struct emit *em, int map, int start, int flow)
{
	if (em->err)
		return;
	if (map && start)
		emit_ev(em, yaml_mapping_start_event_initialize(&em->ev, NULL,
		    NULL, 1, flow ? YAML_FLOW_MAPPING_STYLE :
		    YAML_BLOCK_MAPPING_STYLE));
	else if (map)
		emit_ev(em, yaml_mapping_end_event_initialize(&em->ev));
	else if (start)
		emit_ev(em, yaml_sequence_start_event_initialize(&em->ev,
		    NULL, NULL, 1, flow ? YAML_FLOW_SEQUENCE_STYLE :
		    YAML_BLOCK_SEQUENCE_STYLE));
	else
		emit_ev(em, yaml_sequence_end_event_initialize(&em->ev));
}

static void
fmt_share(double v, char *buf, size_t len)
{
	int prec;

	/* The shortest text that reads back as the same double. */
	for (prec = 1; prec < 17; prec++) {
		snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
	snprintf(buf, len, "%.17g", v);
}

static void	emit_record(struct emit *, const struct precord *,
		    const void *, int);

static void
emit_map_field(struct emit *em, const struct pfield *f, const char *p)
{
	char	num[16];
	size_t	i;

	emit_collection(em, 1, 1, f->flow);
	for (i = 0; f->names[i] != NULL; i++) {
		if (f->type == PF_LEVELMAP && ((const int *)p)[i] != 0) {
			emit_scalar(em, f->names[i], YAML_PLAIN_SCALAR_STYLE);
			snprintf(num, sizeof num, "%d", ((const int *)p)[i]);
			emit_scalar(em, num, YAML_PLAIN_SCALAR_STYLE);
		} else if (f->type == PF_TEXTMAP &&
		    ((char *const *)p)[i] != NULL) {
			emit_scalar(em, f->names[i], YAML_PLAIN_SCALAR_STYLE);
			emit_text(em, ((char *const *)p)[i]);
		}
	}
	emit_collection(em, 1, 0, f->flow);
}

static void
emit_field(struct emit *em, const struct pfield *f, const void *base)
{
	const char	*p = AT(base, f), *items;
	char		 num[40], *s;
	size_t		 i, n;

	emit_scalar(em, f->key, YAML_PLAIN_SCALAR_STYLE);
	switch (f->type) {
	case PF_ID:
	case PF_TEXT:
		emit_text(em, *(char *const *)p);
		break;
	case PF_DURATION:
		s = duration_fmt_years(*(const int64_t *)p);
		emit_scalar(em, s, YAML_PLAIN_SCALAR_STYLE);
		free(s);
		break;
	case PF_DATE:
		plan_date_fmt(*(const int64_t *)p, num, sizeof num);
		emit_scalar(em, num, YAML_PLAIN_SCALAR_STYLE);
		break;
	case PF_LEVEL:
	case PF_ENUM:
		if (f->type == PF_ENUM)
			emit_scalar(em, f->names[*(const int *)p],
			    YAML_PLAIN_SCALAR_STYLE);
		else {
			snprintf(num, sizeof num, "%d", *(const int *)p);
			emit_scalar(em, num, YAML_PLAIN_SCALAR_STYLE);
		}
		break;
	case PF_COST:
		snprintf(num, sizeof num, "%lld",
		    (long long)*(const int64_t *)p);
		emit_scalar(em, num, YAML_PLAIN_SCALAR_STYLE);
		break;
	case PF_SHARE:
		fmt_share(*(const double *)p, num, sizeof num);
		emit_scalar(em, num, YAML_PLAIN_SCALAR_STYLE);
		break;
	case PF_IDLIST:
		emit_collection(em, 0, 1, f->flow);
		for (i = 0; (*(char **const *)p)[i] != NULL; i++)
			emit_text(em, (*(char **const *)p)[i]);
		emit_collection(em, 0, 0, f->flow);
		break;
	case PF_LEVELMAP:
	case PF_TEXTMAP:
		emit_map_field(em, f, p);
		break;
	case PF_RECORD:
		emit_record(em, f->sub, p, f->flow);
		break;
	case PF_LIST:
		items = *(char *const *)p;
		n = *(const size_t *)((const char *)base + f->noff);
		emit_collection(em, 0, 1, 0);
		for (i = 0; i < n; i++)
			emit_record(em, f->sub, items + i * f->sub->size, 0);
		emit_collection(em, 0, 0, 0);
		break;
	}
}

static void
emit_record(struct emit *em, const struct precord *rec, const void *base,
    int flow)
{
	const struct pfield *f;

	emit_collection(em, 1, 1, flow);
	for (f = rec->fields; f->key != NULL; f++)
		if (plan_field_present(f, base))
			emit_field(em, f, base);
	emit_collection(em, 1, 0, flow);
}

char *
plan_export_yaml(const struct plan *p)
{
	struct emit	em;
	struct buf	b = { 0 };

	memset(&em, 0, sizeof em);
	if (!yaml_emitter_initialize(&em.e))
		return NULL;
	yaml_emitter_set_output(&em.e, emit_write, &b);
	yaml_emitter_set_unicode(&em.e, 1);
	yaml_emitter_set_width(&em.e, -1);
	yaml_emitter_set_indent(&em.e, 2);
	emit_ev(&em, yaml_stream_start_event_initialize(&em.ev,
	    YAML_UTF8_ENCODING));
	if (!em.err)
		emit_ev(&em, yaml_document_start_event_initialize(&em.ev,
		    NULL, NULL, NULL, 1));
	emit_record(&em, &plan_file_rec, p, 0);
	if (!em.err)
		emit_ev(&em, yaml_document_end_event_initialize(&em.ev, 1));
	if (!em.err)
		emit_ev(&em, yaml_stream_end_event_initialize(&em.ev));
	if (!em.err && !yaml_emitter_flush(&em.e))
		em.err = 1;
	yaml_emitter_delete(&em.e);
	if (em.err) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}
