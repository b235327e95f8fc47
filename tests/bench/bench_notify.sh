#!/bin/sh
# Issue 4: notification deliveries per second (a backlog drained after
# kill -9) and trigger POST -> first notification at the sink (p50/p99),
# keizokud against a bare libcurl-multi client in the same run, to the
# same sink (tests/bench/bench_notify.c). Prints the table rows.
set -e
: "${KZ_BUILD:?}"
bin=$KZ_BUILD/bench/bench_notify
if [ ! -x "$bin" ]; then
	echo "bench_notify.sh: $bin is not built (make bench builds it)" >&2
	exit 1
fi
exec "$bin" -n "${BENCH_NOTIFY_N:-10000}" -l "${BENCH_NOTIFY_LAT:-500}" "$KZ_BUILD"
