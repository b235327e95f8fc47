/* Durable timer kinds (tkey.h): the only place that writes or reads the
 * text of a timer's kind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "engine/tkey.h"

static const char *const names[TK_COUNT] = {
	[TK_ANY] = NULL,
#define KZ_TIMER_KIND_NAME(id, name)	[TK_##id] = name,
	KZ_TIMER_KINDS(KZ_TIMER_KIND_NAME)
#undef KZ_TIMER_KIND_NAME
};

int
tkey_is_exception(enum tk_kind k)
{
	return k == TK_EXC_BEFORE || k == TK_EXC_AFTER;
}

const char *
tkey_name(enum tk_kind k)
{
	return (unsigned)k < TK_COUNT ? names[k] : NULL;
}

char *
tkey_format(const struct tkey *k)
{
	switch (k->kind) {
	case TK_ANY:
	case TK_COUNT:
		return NULL;
	case TK_CALLOUT:
		return xprintf("callout:%s:%s", k->a, k->b);
	case TK_RTO:
		return xprintf("rto%lld:%s", (long long)k->n, k->a);
	case TK_INJECT:
		return xprintf("inject:%lld", (long long)k->n);
	default:
		return xstrdup(names[k->kind]);
	}
}

char *
tkey_step(const struct tkey *k, const char *step)
{
	if (tkey_is_exception(k->kind))
		return xprintf(TK_EXC_STEP "%lld", (long long)k->n);
	return xstrdup(step != NULL ? step : "");
}

int
tkey_parse(const char *kind, const char *step, struct tkey *k)
{
	const char	*p;
	long long	 n;
	int		 i;

	memset(k, 0, sizeof *k);
	if (kind == NULL)
		return -1;
	if (strncmp(kind, "callout:", 8) == 0 &&
	    (p = strchr(kind + 8, ':')) != NULL) {
		k->kind = TK_CALLOUT;
		k->a = xstrndup(kind + 8, (size_t)(p - (kind + 8)));
		k->b = xstrdup(p + 1);
		return 0;
	}
	if (strncmp(kind, "rto", 3) == 0 &&
	    (p = strchr(kind, ':')) != NULL) {
		char *pct = xstrndup(kind + 3, (size_t)(p - (kind + 3)));

		i = parse_i64(pct, &n);
		free(pct);
		if (i == -1)
			return -1;
		k->kind = TK_RTO;
		k->n = n;
		k->a = xstrdup(p + 1);
		return 0;
	}
	if (strncmp(kind, "inject:", 7) == 0) {
		if (parse_i64(kind + 7, &n) == -1)
			return -1;
		k->kind = TK_INJECT;
		k->n = n;
		return 0;
	}
	for (i = TK_ANY + 1; i < TK_COUNT; i++) {
		if (i == TK_CALLOUT || i == TK_RTO || i == TK_INJECT ||
		    strcmp(names[i], kind) != 0)
			continue;
		if (tkey_is_exception(i)) {
			if (step == NULL || strncmp(step, TK_EXC_STEP,
			    strlen(TK_EXC_STEP)) != 0 || parse_i64(step +
			    strlen(TK_EXC_STEP), &n) == -1)
				return -1;
			k->n = n;
		}
		k->kind = i;
		return 0;
	}
	return -1;
}

void
tkey_free(struct tkey *k)
{
	free(k->a);
	free(k->b);
	k->a = k->b = NULL;
}
