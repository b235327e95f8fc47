/* Durations, sizes and RFC 3339 times: the forms runbooks and the
 * database use, and the mistakes people make writing them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/duration.h"
#include "common/timeutil.h"

#define NITEMS(a) (sizeof (a) / sizeof (a)[0])

/* 2026-11-20T01:02:03Z in milliseconds since the epoch. */
#define TD_T0	1795136523000LL

static void
test_duration_good(void **state)
{
	static const struct {
		const char	*in;
		int64_t		 want;
	} cases[] = {
		{ "0", 0 },
		{ "0s", 0 },
		{ "45s", 45 },
		{ "15m", 900 },
		{ "2h", 7200 },
		{ "1d", 86400 },
		{ "1w", 604800 },
		{ "1h30m", 5400 },
		{ "90m", 5400 },
		{ "1w2d3h4m5s", 788645 },
		{ "72h", 259200 },
		{ "15250284452471w", 15250284452471LL * 604800 },
	};
	const char	*why;
	int64_t		 v;
	size_t		 i;

	for (i = 0; i < NITEMS(cases); i++) {
		v = -1;
		if (duration_parse(cases[i].in, &v, &why) != 0)
			fail_msg("\"%s\": %s", cases[i].in, why);
		if (v != cases[i].want)
			fail_msg("\"%s\": got %lld", cases[i].in,
			    (long long)v);
	}
}

static void
test_duration_bad(void **state)
{
	static const struct {
		const char	*in;
		const char	*why;	/* prefix */
	} cases[] = {
		{ "", "empty duration" },
		{ "10", "missing unit" },
		{ "5x", "unknown unit" },
		{ "5S", "unknown unit" },
		{ "1m1h", "units must go from largest to smallest" },
		{ "1h1h", "units must go from largest to smallest" },
		{ "h", "expected a number" },
		{ "-5s", "expected a number" },
		{ " 5s", "expected a number" },
		{ "5s ", "expected a number" },
		{ "1.5h", "unknown unit" },
		{ "99999999999999999999s", "duration too large" },
		{ "15250284452472w", "duration too large" },
		{ "15250284452471w6d", "duration too large" },
	};
	const char	*why;
	int64_t		 v;
	size_t		 i;

	for (i = 0; i < NITEMS(cases); i++) {
		if (duration_parse(cases[i].in, &v, &why) != -1)
			fail_msg("\"%s\" should not parse", cases[i].in);
		if (why == NULL || strncmp(why, cases[i].why,
		    strlen(cases[i].why)) != 0)
			fail_msg("\"%s\": got \"%s\"", cases[i].in,
			    why ? why : "(null)");
	}
	assert_int_equal(duration_parse(NULL, &v, &why), -1);
}

static void
test_duration_fmt(void **state)
{
	static const struct {
		int64_t		 in;
		const char	*want;
	} cases[] = {
		{ 0, "0s" },
		{ 45, "45s" },
		{ 900, "15m" },
		{ 5400, "1h30m" },
		{ 86400, "1d" },
		{ 604800, "7d" },
		{ 90061, "1d1h1m1s" },
		{ 3601, "1h1s" },
		{ -90, "-1m30s" },
	};
	static const int64_t trips[] = {
		0, 1, 59, 60, 61, 3599, 3600, 5400, 86399, 86400, 788645,
		31536000, INT64_MAX,
	};
	const char	*why;
	char		*s;
	int64_t		 v;
	size_t		 i;

	for (i = 0; i < NITEMS(cases); i++) {
		s = duration_fmt(cases[i].in);
		assert_string_equal(s, cases[i].want);
		free(s);
	}
	for (i = 0; i < NITEMS(trips); i++) {
		s = duration_fmt(trips[i]);
		if (duration_parse(s, &v, &why) != 0 || v != trips[i])
			fail_msg("%lld -> \"%s\" does not read back",
			    (long long)trips[i], s);
		free(s);
	}
}

static void
test_size(void **state)
{
	static const struct {
		const char	*in;
		int64_t		 want;	/* -1: error */
	} cases[] = {
		{ "1MiB", 1048576 },
		{ "512KiB", 524288 },
		{ "1GiB", 1073741824 },
		{ "100kB", 100000 },
		{ "2MB", 2000000 },
		{ "4096", 4096 },
		{ "10B", 10 },
		{ "0", 0 },
		{ "", -1 },
		{ "MiB", -1 },
		{ "1.5MiB", -1 },
		{ "1 MiB", -1 },
		{ "1mib", -1 },
		{ "10XB", -1 },
		{ "-1", -1 },
		{ "99999999999GiB", -1 },
		{ "99999999999999999999", -1 },
	};
	const char	*why;
	int64_t		 v;
	size_t		 i;
	int		 r;

	for (i = 0; i < NITEMS(cases); i++) {
		r = size_parse(cases[i].in, &v, &why);
		if (cases[i].want == -1) {
			if (r != -1 || why == NULL)
				fail_msg("\"%s\" should not parse",
				    cases[i].in);
			continue;
		}
		if (r != 0 || v != cases[i].want)
			fail_msg("\"%s\": r=%d v=%lld", cases[i].in, r,
			    (long long)v);
	}
}

static void
test_rfc3339_parse(void **state)
{
	static const struct {
		const char	*in;
		int64_t		 want;
	} cases[] = {
		{ "2026-11-20T01:02:03.456Z", TD_T0 + 456 },
		{ "2026-11-20T01:02:03Z", TD_T0 },
		{ "2026-11-20T10:02:03+09:00", TD_T0 },
		{ "2026-11-19T19:32:03-05:30", TD_T0 },
		{ "2026-11-20t01:02:03z", TD_T0 },
		{ "2026-11-20 01:02:03Z", TD_T0 },
		{ "2026-11-20T01:02:03.4Z", TD_T0 + 400 },
		{ "2026-11-20T01:02:03.456789Z", TD_T0 + 456 },
		{ "2026-11-20T10:02:03.5+09:00", TD_T0 + 500 },
		{ "2026-04-01", 1775001600000LL },
		{ "1970-01-01T00:00:00Z", 0 },
		{ "2028-02-29T00:00:00Z", 1835395200000LL },
	};
	int64_t	ms;
	size_t	i;

	for (i = 0; i < NITEMS(cases); i++) {
		ms = -1;
		if (rfc3339_parse(cases[i].in, &ms) != 0)
			fail_msg("\"%s\" does not parse", cases[i].in);
		if (ms != cases[i].want)
			fail_msg("\"%s\": got %lld, want %lld", cases[i].in,
			    (long long)ms, (long long)cases[i].want);
	}
}

static void
test_rfc3339_bad(void **state)
{
	static const char *cases[] = {
		"", "x", "2026", "2026-11", "2026-11-2", "2026/11/20",
		"2026-11-20x", "2026-11-20Z", "2026-11-20T", "2026-11-20T01:02Z",
		"2026-11-20T01:02:03", "2026-11-20T01:02:03.Z",
		"2026-11-20T01:02:03+0900", "2026-11-20T01:02:03+09",
		"2026-11-20T01:02:03ZZ", "2026-13-01", "2026-00-10",
		"2026-11-00", "2026-11-32", "2026-11-20T24:00:00Z",
		"2026-11-20T01:60:00Z", "2026-11-20T01:02:61Z",
		"２０２６-11-20", "2026-11-20T01:02:03 Z",
	};
	int64_t	ms;
	size_t	i;

	for (i = 0; i < NITEMS(cases); i++)
		if (rfc3339_parse(cases[i], &ms) != -1)
			fail_msg("\"%s\" should not parse", cases[i]);
}

static void
test_rfc3339_fmt(void **state)
{
	static const struct {
		int64_t		 in;
		const char	*want;
	} cases[] = {
		{ TD_T0, "2026-11-20T01:02:03Z" },
		{ TD_T0 + 456, "2026-11-20T01:02:03.456Z" },
		{ TD_T0 + 7, "2026-11-20T01:02:03.007Z" },
		{ 0, "1970-01-01T00:00:00Z" },
		{ -1, "1969-12-31T23:59:59.999Z" },
		{ -1000, "1969-12-31T23:59:59Z" },
	};
	char	*s, buf[40];
	int64_t	 ms;
	size_t	 i;

	for (i = 0; i < NITEMS(cases); i++) {
		s = rfc3339(cases[i].in);
		assert_string_equal(s, cases[i].want);
		assert_string_equal(rfc3339_buf(cases[i].in, buf, sizeof buf),
		    cases[i].want);
		assert_int_equal(rfc3339_parse(s, &ms), 0);
		assert_int_equal(ms, cases[i].in);
		free(s);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_good),
		cmocka_unit_test(test_duration_bad),
		cmocka_unit_test(test_duration_fmt),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_rfc3339_parse),
		cmocka_unit_test(test_rfc3339_bad),
		cmocka_unit_test(test_rfc3339_fmt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
