#!/bin/sh
# Issue 20: `keizoku oncall` for 1,000 members, 50 teams and 20 rotas over
# a year of turns and covers (tests/bench/bench_rota.c); the roster's own
# JSON, computed in the same run, is the baseline. Fails above 5 ms a call.
set -e
: "${KZ_BUILD:?}"
bin=$KZ_BUILD/bench/bench_rota
if [ ! -x "$bin" ]; then
	echo "bench_rota.sh: $bin is not built (make bench builds it)" >&2
	exit 1
fi
exec "$bin" -n "${BENCH_ROTA_N:-2000}"
