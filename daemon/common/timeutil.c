#include <sys/stat.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"

static int	test_clock;
static int64_t	test_now;

void
clock_init(void)
{
	const char *s = getenv("KEIZOKU_TEST_CLOCK");

	if (s == NULL || *s == '\0')
		return;
	if (rfc3339_parse(s, &test_now) == -1)
		fatalx("KEIZOKU_TEST_CLOCK: not an RFC 3339 time: %s", s);
	test_clock = 1;
}

int
clock_is_test(void)
{
	return test_clock;
}

void
clock_advance(int64_t ms)
{
	test_now += ms;
}

int64_t
clock_now(void)
{
	struct timespec ts;

	if (test_clock)
		return test_now;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *
rfc3339_buf(int64_t ms, char *buf, size_t len)
{
	time_t		t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	int		frac = (int)(ms - (int64_t)t * 1000);
	struct tm	tm;
	char		base[24];

	gmtime_r(&t, &tm);
	strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
	if (frac != 0)
		snprintf(buf, len, "%s.%03dZ", base, frac);
	else
		snprintf(buf, len, "%sZ", base);
	return buf;
}

char *
rfc3339(int64_t ms)
{
	char buf[40];

	return xstrdup(rfc3339_buf(ms, buf, sizeof buf));
}

static int
days_in_month(int y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
	    31 };

	return d[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) ||
	    y % 400 == 0));
}

static int
digits(const char **p, int n, int *out)
{
	int v = 0;

	while (n-- > 0) {
		if (!isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (*(*p)++ - '0');
	}
	*out = v;
	return 0;
}

int
rfc3339_parse(const char *s, int64_t *ms)
{
	const char	*p = s;
	struct tm	 tm;
	int		 y, mo, d, h = 0, mi = 0, sec = 0, frac = 0, off = 0;
	time_t		 t;

	if (s == NULL)		/* an absent time, e.g. JSON null */
		return -1;
	memset(&tm, 0, sizeof tm);
	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) ||
	    *p++ != '-' || digits(&p, 2, &d))
		return -1;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) ||
		    *p++ != ':' || digits(&p, 2, &sec))
			return -1;
		if (*p == '.') {
			int scale = 100;

			p++;
			if (!isdigit((unsigned char)*p))
				return -1;
			while (isdigit((unsigned char)*p)) {
				frac += (*p - '0') * scale;
				scale /= 10;
				p++;
			}
		}
		if (*p == 'Z' || *p == 'z')
			p++;
		else if (*p == '+' || *p == '-') {
			int sign = *p++ == '-' ? -1 : 1, oh, om;

			if (digits(&p, 2, &oh) || *p++ != ':' ||
			    digits(&p, 2, &om) || oh > 23 || om > 59)
				return -1;
			off = sign * (oh * 3600 + om * 60);
		} else
			return -1;
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 ||
	    d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	*ms = ((int64_t)t - off) * 1000 + frac;
	return 0;
}

/* Times in JSON: RFC 3339 or null. */
json_t *
jtime(int64_t ms)
{
	char buf[40];

	return ms != 0 ? json_string(rfc3339_buf(ms, buf, sizeof buf)) :
	    json_null();
}

/* The UTC offset of zone at t (seconds): glibc knows zones only through
 * TZ, so TZ is switched for the look-up and put back; a small cache keeps
 * that off the common path (a page with a thousand times asks a few
 * hours at most). */
static long
zone_offset(const char *zone, time_t t)
{
	static struct {
		char	zone[64];
		time_t	hour;
		long	off;
	}		 cache[32];
	static size_t	 next;
	char		*old;
	struct tm	 tm;
	time_t		 hour = t / 3600;
	size_t		 i;
	long		 off;

	for (i = 0; i < sizeof cache / sizeof cache[0]; i++)
		if (cache[i].hour == hour && strcmp(cache[i].zone, zone) == 0)
			return cache[i].off;
	old = getenv("TZ") != NULL ? xstrdup(getenv("TZ")) : NULL;
	setenv("TZ", zone, 1);
	tzset();
	off = localtime_r(&t, &tm) != NULL ? tm.tm_gmtoff : 0;
	if (old != NULL)
		setenv("TZ", old, 1);
	else
		unsetenv("TZ");
	tzset();
	free(old);
	i = next++ % (sizeof cache / sizeof cache[0]);
	kz_strlcpy(cache[i].zone, zone, sizeof cache[i].zone);
	cache[i].hour = hour;
	cache[i].off = off;
	return off;
}

const char *
local_time_fmt(const char *zone, int64_t ms, const char *fmt, char *buf,
    size_t len)
{
	time_t		t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	long		off = zone_offset(zone, t);
	time_t		lt = t + off;
	struct tm	tm;

	gmtime_r(&lt, &tm);
	tm.tm_gmtoff = off;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	if (strftime(buf, len, fmt, &tm) == 0 && len > 0)
		buf[0] = '\0';
#pragma GCC diagnostic pop
	return buf;
}

int
tz_valid(const char *name)
{
	const char	*dir = getenv("TZDIR");
	struct stat	 st;
	char		*path;
	int		 ok;

	if (name == NULL || *name == '\0' || name[0] == '/' ||
	    strstr(name, "..") != NULL)
		return 0;
	if (strcmp(name, "UTC") == 0)
		return 1;
	path = xprintf("%s/%s", dir != NULL && *dir != '\0' ? dir :
	    "/usr/share/zoneinfo", name);
	ok = stat(path, &st) == 0 && S_ISREG(st.st_mode);
	free(path);
	return ok;
}

void
tz_set(const char *name)
{
	if (name == NULL || setenv("TZ", name, 1) == -1)
		return;
	tzset();
}

char *
time_local_text(int64_t ms)
{
	time_t		t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	struct tm	tm;
	char		buf[64];

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M %Z", &tm) == 0)
		return rfc3339(ms);
	return xstrdup(buf);
}

int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
