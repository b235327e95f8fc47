#!/bin/sh
# Runs every benchmark (tests/bench/bench_*.sh, each printing Markdown table
# rows "| figure | keizoku | baseline | ratio |") and writes
# tests/bench/RESULTS.md with the date and the machine. What follows the
# marker line "<!-- notes below: kept by make bench -->" in the old file
# (figures and profiles written down by hand, issue by issue) is kept.
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${KZ_BUILD:=$top/build}"
export KZ_BUILD KZ_TOP="$top"
out="$top/tests/bench/RESULTS.md"
tmp="$out.tmp"
{
	echo "# keizoku benchmarks"
	echo
	echo "Measured $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) x $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr)."
	echo "Each baseline is measured in the same run, on the same machine."
	echo
	echo "| figure | keizoku | baseline | ratio |"
	echo "|---|---|---|---|"
} >"$tmp"
status=0
for b in "$top"/tests/bench/bench_*.sh; do
	[ -f "$b" ] || continue
	echo "== $(basename "$b")" >&2
	if ! sh "$b" >>"$tmp"; then
		echo "| $(basename "$b" .sh) | FAILED | | |" >>"$tmp"
		status=1
	fi
done
marker='<!-- notes below: kept by make bench -->'
if [ -f "$out" ] && grep -qxF "$marker" "$out"; then
	{ echo; sed -n "/^$marker\$/,\$p" "$out"; } >>"$tmp"
fi
mv "$tmp" "$out"
cat "$out"
exit $status
