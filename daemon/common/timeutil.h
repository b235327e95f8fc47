/* Wall-clock time in milliseconds since the epoch, and RFC 3339. */
#ifndef KZ_TIMEUTIL_H
#define KZ_TIMEUTIL_H

#include <jansson.h>
#include <stdint.h>

/* The daemon's notion of now. Real time, unless the test clock is on
 * (KEIZOKU_TEST_CLOCK=RFC3339 at start): then time stands still at that
 * instant until clock_advance() moves it, which makes reports and timer
 * tests deterministic. */
int64_t	 clock_now(void);
int	 clock_is_test(void);
void	 clock_advance(int64_t ms);
void	 clock_init(void);
/* A monotonic clock in ms, for budgets of work per loop turn (never the
 * test clock). */
int64_t	 mono_ms(void);

/* "2026-11-20T03:15:42Z" (milliseconds dropped when zero). */
char	*rfc3339(int64_t ms);
/* Writes into buf (at least 32 bytes). */
const char *rfc3339_buf(int64_t ms, char *buf, size_t len);
/* Parses RFC 3339 with optional fraction and offset; also "YYYY-MM-DD". */
int	 rfc3339_parse(const char *, int64_t *ms);
/* The time zone of what keizokud writes for people (reports,
 * notifications): an IANA name such as "Asia/Tokyo". tz_valid says
 * whether the system knows it (a file under TZDIR or
 * /usr/share/zoneinfo); tz_set makes it the zone of localtime. */
int	 tz_valid(const char *name);
void	 tz_set(const char *name);
/* "2026-11-20 12:15 JST" in that zone; allocated. */
char	*time_local_text(int64_t ms);
/* Times in JSON: an RFC 3339 string, or null for 0 (never set). */
json_t	*jtime(int64_t ms);

/* Local time in a named zone ("Asia/Tokyo"), without touching the
 * process's TZ: strftime fmt of the wall clock there, with %z the zone's
 * offset. The offsets are cached per zone and hour. */
const char *local_time_fmt(const char *zone, int64_t ms, const char *fmt,
	    char *buf, size_t len);

#endif
