#!/bin/sh
# Replays every fuzz corpus (seeds and kept crash reproducers) through
# its target built without libFuzzer: KZ_BUILD/fuzz-replay/NAME over
# tests/fuzz/corpus/NAME. Builds nothing (make unit does). Prints TAP:
# "ok N - NAME (K inputs)", or "not ok" with the output of a failure.
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${KZ_BUILD:=$top/build}"
# As libFuzzer's -rss_limit_mb (replay.c limits the address space when
# there is no ASan).
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}hard_rss_limit_mb=2048"
export ASAN_OPTIONS
i=0
bad=0
for d in "$top"/tests/fuzz/corpus/*/; do
	d=${d%/}
	name=$(basename "$d")
	i=$((i + 1))
	bin=$KZ_BUILD/fuzz-replay/$name
	if [ ! -x "$bin" ]; then
		echo "not ok $i - $name: $bin is not built"
		bad=1
		continue
	fi
	if out=$(cd "$top" && "$bin" "$d" 2>&1); then
		k=$(echo "$out" | sed -n 's/^\([0-9]*\) inputs$/\1/p' | tail -n 1)
		echo "ok $i - $name (${k:-?} inputs)"
	else
		echo "not ok $i - $name"
		echo "$out" | tail -n 40 | sed 's/^/# /'
		bad=1
	fi
done
echo "1..$i"
exit $bad
