#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/duration.h"
#include "common/xmalloc.h"

static const struct {
	char	unit;
	int64_t	secs;
} units[] = {
	{ 'w', 7 * 86400 }, { 'd', 86400 }, { 'h', 3600 }, { 'm', 60 },
	{ 's', 1 },
};

int
duration_parse(const char *s, int64_t *out, const char **why)
{
	int64_t		 total = 0;
	int		 last = -1;
	const char	*p = s;

	*why = NULL;
	if (s == NULL || *s == '\0') {
		*why = "empty duration";
		return -1;
	}
	if (strcmp(s, "0") == 0) {
		*out = 0;
		return 0;
	}
	while (*p != '\0') {
		int64_t	n = 0;
		size_t	i;
		int	digits = 0;

		while (isdigit((unsigned char)*p)) {
			if (n > (INT64_MAX - 9) / 10) {
				*why = "duration too large";
				return -1;
			}
			n = n * 10 + (*p++ - '0');
			digits++;
		}
		if (digits == 0) {
			*why = "expected a number such as 45s, 15m, 2h, 1d, 1w or 1h30m";
			return -1;
		}
		for (i = 0; i < sizeof units / sizeof units[0]; i++)
			if (units[i].unit == *p)
				break;
		if (i == sizeof units / sizeof units[0]) {
			*why = *p == '\0' ? "missing unit (s, m, h, d or w)" :
			    "unknown unit (use s, m, h, d or w)";
			return -1;
		}
		if ((int)i <= last) {
			*why = "units must go from largest to smallest, each once";
			return -1;
		}
		last = (int)i;
		if (n > INT64_MAX / units[i].secs ||
		    total > INT64_MAX - n * units[i].secs) {
			*why = "duration too large";
			return -1;
		}
		total += n * units[i].secs;
		p++;
	}
	*out = total;
	return 0;
}

char *
duration_fmt(int64_t secs)
{
	struct buf	b = { 0 };
	size_t		i;
	int		neg = secs < 0;

	if (secs == 0)
		return xstrdup("0s");
	if (secs == INT64_MIN)
		secs = INT64_MIN + 1;	/* -INT64_MIN overflows */
	if (neg) {
		buf_addc(&b, '-');
		secs = -secs;
	}
	/* Weeks read badly in reports ("1w2d"); stop at days. */
	for (i = 1; i < sizeof units / sizeof units[0]; i++) {
		if (secs >= units[i].secs) {
			buf_printf(&b, "%lld%c",
			    (long long)(secs / units[i].secs), units[i].unit);
			secs %= units[i].secs;
		}
	}
	return buf_steal(&b);
}

int
size_parse(const char *s, int64_t *out, const char **why)
{
	static const struct {
		const char	*suffix;
		int64_t		 mult;
	} sfx[] = {
		{ "", 1 }, { "B", 1 }, { "KiB", 1024 }, { "MiB", 1024 * 1024 },
		{ "GiB", 1024LL * 1024 * 1024 }, { "kB", 1000 }, { "KB", 1000 },
		{ "MB", 1000 * 1000 }, { "GB", 1000LL * 1000 * 1000 },
	};
	int64_t		 n = 0;
	const char	*p = s;
	size_t		 i;

	*why = NULL;
	if (s == NULL || !isdigit((unsigned char)*s)) {
		*why = "expected a size such as 1MiB or 65536";
		return -1;
	}
	while (isdigit((unsigned char)*p)) {
		if (n > (INT64_MAX - 9) / 10) {
			*why = "size too large";
			return -1;
		}
		n = n * 10 + (*p++ - '0');
	}
	for (i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
		if (strcmp(p, sfx[i].suffix) == 0) {
			if (n > INT64_MAX / sfx[i].mult) {
				*why = "size too large";
				return -1;
			}
			*out = n * sfx[i].mult;
			return 0;
		}
	}
	*why = "unknown size unit (use B, KiB, MiB, GiB, kB, MB or GB)";
	return -1;
}

/* Whole years and weeks are how plans are written ("1y", "2w"). */
char *
duration_fmt_years(int64_t s)
{
	char	*rest, *out;

	if (s > 0 && s % (7 * 86400) == 0 && s < DURATION_YEAR_S)
		return xprintf("%lldw", (long long)(s / (7 * 86400)));
	if (s < DURATION_YEAR_S)
		return duration_fmt(s);
	if (s % DURATION_YEAR_S == 0)
		return xprintf("%lldy", (long long)(s / DURATION_YEAR_S));
	rest = duration_fmt(s % DURATION_YEAR_S);
	out = xprintf("%lldy%s", (long long)(s / DURATION_YEAR_S), rest);
	free(rest);
	return out;
}
