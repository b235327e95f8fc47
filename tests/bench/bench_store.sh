#!/bin/bash
# Issue 12: the PostgreSQL backend beside SQLite, same run, same machine.
# Through keizokud's own driver (storebench): one statement in a
# transaction and one group commit (what a loop turn with one change
# blocks for); then `done` round trips over the control socket with
# keizokud on each backend. PostgreSQL on loopback TCP, fsync on,
# synchronous_commit on (a throw-away cluster, lib-pg.sh).
set -eu
: "${KZ_BUILD:?}"
top=$(cd "$(dirname "$0")/../.." && pwd)
KZD=$KZ_BUILD/keizokud KZ=$KZ_BUILD/keizoku CB=$KZ_BUILD/bench/ctlbench
SB=$KZ_BUILD/bench/storebench
T=$(mktemp -d /tmp/kz-bench.XXXXXX)
chmod 755 "$T"
pid=""
free_port() {
	while :; do
		# sh has no $RANDOM (it was empty: every port 20000, and the
		# proxy's loop never ended once PostgreSQL had it).
		_p=$((20000 + $(od -An -N4 -tu4 /dev/urandom) % 12000))
		grep -q ":$(printf %04X "$_p") " /proc/net/tcp && continue
		echo "$_p"; return 0
	done
}
. "$top/tests/integration/lib-pg.sh"
proxy=""
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; [ -n "$proxy" ] && kill $proxy 2>/dev/null; pg_teardown; rm -rf "$T"' EXIT
pg_setup >/dev/null
# The same server behind a link of 1 ms each way (2 ms round trip: two
# data centres of one region): what a turn costs when the primary is at
# the other site.
FAR=$(free_port)
/usr/bin/python3 "$top/tests/bench/delayproxy.py" "$FAR" "$PG_PORT" 1 "$T/proxy.ready" &
proxy=$!
until [ -s "$T/proxy.ready" ]; do sleep 0.05; done
# A database of its own: the rounds' `done`s are of incidents 1 to 50.
pg_sql "CREATE DATABASE keizoku_far" >/dev/null
far_dsn="host=127.0.0.1 port=$FAR dbname=keizoku_far user=postgres"
mkdir -p "$T/runbooks"
printf 'members:\n  - {id: op}\nroles:\n  - {id: ops, members: [op]}\n' >"$T/roster.yaml"
{
	echo "runbook: big"
	echo "steps:"
	for i in $(seq 1 20); do
		printf '  - {id: s%d, title: "手順 %d", assign: role:ops, timeout: 1w}\n' $i $i
	done
} >"$T/runbooks/big.yaml"
export KEIZOKU_SOCKET=$T/kz.sock
# round TAG BACKEND [DSN]: `done` p50/p99 with keizokud on the backend;
# beside it ($T/trips.TAG, $T/trig.TAG) the round trips per `done` and
# the triggers accepted per second, each starting an incident (wrk, 50
# keep-alive connections, 4 s).
round() {	# TAG BACKEND [DSN]
	{
		echo "state_dir: state-$1"
		echo "runbooks: runbooks"
		echo "plugins: $KZ_BUILD/plugins"
		echo "roster: roster.yaml"
		echo "admins: [root]"
		echo "control: {socket: kz.sock, mode: \"0600\"}"
		[ "$2" = postgresql ] && echo "store: {backend: postgresql, dsn: \"${3:-$(pg_dsn)}\"}"
		echo "http: {listen: 127.0.0.1:$HP}"
		echo "sources:"
		echo "  mon: {format: json, auth: {bearer: \"env:BENCH_TOKEN\"}}"
	} >"$T/keizokud.yaml"
	# Its stdout is not this function's (a $(round ...)): a round that
	# fails would otherwise wait for keizokud forever.
	BENCH_TOKEN=bench-token "$KZD" -c "$T/keizokud.yaml" >/dev/null \
	    2>>"$T/log" &
	pid=$!
	trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null' EXIT
	until "$KZ" status >/dev/null 2>&1; do sleep 0.01; done
	"$CB" activate "$T/kz.sock" big 50 >/dev/null
	t0=$(trips)
	"$CB" ctl "$T/kz.sock" 50 20
	# Round trips to the server per `done` (the store's own count:
	# what the loop waits for on a far network, whatever the load).
	[ "$2" = postgresql ] && echo "$t0 $(trips)" |
	    awk '{printf "%.1f\n", ($2 - $1) / 1000}' >"$T/trips.$1"
	if command -v wrk >/dev/null; then
		wrk -t2 -c50 -d4s -s "$T/post.lua" \
		    "http://127.0.0.1:$HP/v1/hooks/mon" >"$T/w" 2>&1
		awk '/Requests\/sec/ {print $2}' "$T/w" >"$T/trig.$1"
	else
		echo "(wrk not installed)" >"$T/trig.$1"
	fi
	kill -TERM $pid; wait $pid || true; pid=""
}
cat >"$T/post.lua" <<'LUA'
local n = 0
request = function()
  n = n + 1
  local body = '{"alert": "a' .. n .. '-' .. math.random(1, 1e9) .. '"}'
  return wrk.format("POST", "/v1/hooks/mon", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer bench-token"}, body)
end
LUA
{
	echo "runbook: r"
	echo "activation:"
	echo "  - source: mon"
	echo "    match: {alert: {exists: true}}"
	echo "    key: \"{{trigger.alert}}\""
	echo "steps:"
	echo "  - {id: s, assign: role:ops, timeout: 1h}"
} >"$T/runbooks/r.yaml"
HP=$(free_port)
trips() {
	curl -s "http://127.0.0.1:$HP/metrics" |
	    awk '$1 == "keizoku_store_round_trips_total" {print $2}'
}
val() { echo "$2" | grep "$1" | sed "s/.*$3=\([0-9.]*\).*/\1/"; }
s=$("$SB" sqlite "$T/bench.db" 2000)
p=$("$SB" postgresql "$(pg_dsn)" 2000)
f=$("$SB" postgresql "$far_dsn" 200)
rs=$(round sqlite sqlite)
rp=$(round local postgresql)
rf=$(round far postgresql "$far_dsn")
# The same server as the primary of a synchronous standby (on this
# machine): a commit waits until the standby has applied it.
kill "$proxy" 2>/dev/null; proxy=""
pg_teardown; rm -rf "$T/pg"
pg_setup_pair >"$T/pair.log" 2>&1 || { cat "$T/pair.log" >&2; exit 1; }
rr=$(round sync postgresql)
ss=$("$SB" postgresql "$(pg_dsn)" 1000)
row() {	# what, pg line, sqlite line
	p50=$(echo "$2" | sed 's/.*p50=\([0-9.]*\).*/\1/'); p99=$(echo "$2" | sed 's/.*p99=\([0-9.]*\).*/\1/')
	b50=$(echo "$3" | sed 's/.*p50=\([0-9.]*\).*/\1/'); b99=$(echo "$3" | sed 's/.*p99=\([0-9.]*\).*/\1/')
	echo "| $1, PostgreSQL (loopback), p50 / p99 | $p50 / $p99 ms | SQLite $b50 / $b99 ms | $(echo "$p50 $b50" | awk '{printf "%.1fx", $1/$2}') |"
}
row "one INSERT in a transaction (the driver)" "$(echo "$p" | grep insert)" "$(echo "$s" | grep insert)"
row "one SELECT by key (the driver)" "$(echo "$p" | grep select)" "$(echo "$s" | grep select)"
row "one group commit: BEGIN, SAVEPOINT, INSERT, RELEASE, COMMIT (a loop turn blocks this long)" "$(echo "$p" | grep commit)" "$(echo "$s" | grep commit)"
row "\`done\` round trip over the control socket" "$rp" "$rs"
row "one group commit, PostgreSQL 2 ms round trip away" "$(echo "$f" | grep commit)" "$(echo "$s" | grep commit)"
row "\`done\` round trip, PostgreSQL 2 ms round trip away (the loop is held this long)" "$rf" "$rs"
echo "| round trips to PostgreSQL per \`done\` (the store's count, /metrics keizoku_store_round_trips_total; each holds the loop one network round trip) | $(cat "$T/trips.local") | - | - |"
row "\`done\` round trip, PostgreSQL with a synchronous standby (remote_apply, same machine)" "$rr" "$rs"
row "one group commit, PostgreSQL with a synchronous standby" "$(echo "$ss" | grep commit)" "$(echo "$s" | grep commit)"
trig() { awk -v a="$(cat "$T/trig.$1")" -v b="$(cat "$T/trig.sqlite")" 'BEGIN { if (b + 0 > 0) printf "%.2fx", a / b; else print "-" }'; }
echo "| triggers accepted per second, each starting an incident (50 keep-alive connections), PostgreSQL (loopback) | $(cat "$T/trig.local") | SQLite $(cat "$T/trig.sqlite") | $(trig local) |"
echo "| the same, PostgreSQL with a synchronous standby | $(cat "$T/trig.sync") | SQLite $(cat "$T/trig.sqlite") | $(trig sync) |"
echo "| the same, PostgreSQL 2 ms round trip away | $(cat "$T/trig.far") | SQLite $(cat "$T/trig.sqlite") | $(trig far) |"
