/* Durations ("45s", "15m", "2h", "1d", "1w", "1h30m") and sizes ("1MiB"). */
#ifndef KZ_DURATION_H
#define KZ_DURATION_H

#include <stdint.h>

/* Parses a duration into seconds. Returns 0, or -1 with *why set to a
 * static message. A bare "0" is accepted; other bare numbers are not. */
int	 duration_parse(const char *, int64_t *, const char **why);
/* Formats seconds as the shortest duration string ("1h30m", "0s"). */
char	*duration_fmt(int64_t);
/* A plan year: 365 days. */
#define DURATION_YEAR_S	(365 * 86400LL)
/* As duration_fmt, but in whole years and weeks where they divide it
 * ("1y", "2w"), as plans are written. */
char	*duration_fmt_years(int64_t);
/* Parses "1MiB", "512KiB", "100kB", "4096" into bytes. */
int	 size_parse(const char *, int64_t *, const char **why);

#endif
