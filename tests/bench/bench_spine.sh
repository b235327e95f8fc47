#!/bin/sh
# Issue 2: `keizoku done` round trip (p50/p99) against a raw SQLite commit
# with the same durability settings; start-up with 1,000 open incidents of
# 20 steps each (20,000 armed timers) and the daemon's RSS.
set -e
: "${KZ_BUILD:?}"
KZD=$KZ_BUILD/keizokud KZ=$KZ_BUILD/keizoku CB=$KZ_BUILD/bench/ctlbench
T=$(mktemp -d /tmp/kz-bench.XXXXXX)
trap 'kill -9 $pid 2>/dev/null || true; rm -rf "$T"' EXIT
mkdir -p "$T/runbooks"
printf 'members:\n  - {id: op}\nroles:\n  - {id: ops, members: [op]}\n' >"$T/roster.yaml"
{
	echo "runbook: big"
	echo "steps:"
	i=1; while [ $i -le 20 ]; do
		printf '  - {id: s%d, title: "手順 %d", assign: role:ops, timeout: 1w}\n' $i $i
		i=$((i + 1))
	done
} >"$T/runbooks/big.yaml"
cat >"$T/keizokud.yaml" <<YAML
state_dir: state
runbooks: runbooks
plugins: $KZ_BUILD/plugins
roster: roster.yaml
admins: [root]
control: {socket: kz.sock, mode: "0600"}
YAML
export KEIZOKU_SOCKET=$T/kz.sock
start() {
	t0=$(date +%s%N)
	"$KZD" -c "$T/keizokud.yaml" 2>>"$T/log" &
	pid=$!
	until "$KZ" status >/dev/null 2>&1; do sleep 0.002; done
	t1=$(date +%s%N)
}
start
"$CB" activate "$T/kz.sock" big 1000
timers=$("$KZ" --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["timers"])')
kill -TERM $pid; wait $pid || true
start
startup_ms=$(( (t1 - t0) / 1000000 ))
rss_kb=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
ctl=$("$CB" ctl "$T/kz.sock" 100 20)
base=$("$CB" sqlite "$T" 2000)
# The CLI: process start-up, connect, request, commit, reply.
cli=$(i=0; while [ $i -lt 200 ]; do
	a=$(date +%s%N); "$KZ" done $((101 + i / 20)) s$((i % 20 + 1)) >/dev/null; b=$(date +%s%N)
	echo $(( (b - a) / 1000 )); i=$((i + 1)); done | sort -n | awk '{v[NR]=$1} END {printf "p50=%.3f p99=%.3f", v[int(NR/2)]/1000, v[int(NR*0.99)]/1000}')
kill -TERM $pid; wait $pid || true
p50=$(echo "$ctl" | sed 's/.*p50=\([0-9.]*\).*/\1/'); p99=$(echo "$ctl" | sed 's/.*p99=\([0-9.]*\).*/\1/')
b50=$(echo "$base" | sed 's/.*p50=\([0-9.]*\).*/\1/'); b99=$(echo "$base" | sed 's/.*p99=\([0-9.]*\).*/\1/')
c50=$(echo "$cli" | sed 's/.*p50=\([0-9.]*\).*/\1/'); c99=$(echo "$cli" | sed 's/.*p99=\([0-9.]*\).*/\1/')
echo "| \`done\` round trip over the control socket, p50 / p99 (target p50 < 2 ms) | $p50 / $p99 ms | raw SQLite commit (WAL, synchronous=FULL) $b50 / $b99 ms | $(echo "$p50 $b50" | awk '{printf "%.1fx", $1/$2}') |"
echo "| \`keizoku done\` as a process (start, connect, commit, reply), p50 / p99 | $c50 / $c99 ms | - | - |"
echo "| start-up with 1,000 open incidents x 20 steps, $timers armed timers (target < 1 s) | $startup_ms ms | - | - |"
echo "| RSS after that start-up (target < 64 MiB) | $((rss_kb / 1024)) MiB | - | - |"
