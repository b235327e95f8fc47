#!/bin/sh
# Issue 18: how keizokud fares under the attacks the integration tests
# (test_hostile_*.sh) check it survives. Prints table rows; the figures of
# the build before the fixes were measured with the same script by
# pointing KZ_BUILD at that build (KZATTACK at this one's tool).
#
#   ATTACKS="slow burst ctl list yaml replay" (default: all)
set -e
: "${KZ_BUILD:?}"
KZA=${KZATTACK:-$KZ_BUILD/tools/kzattack}
ATTACKS=${ATTACKS:-slow burst alerts ctl list yaml replay}
T=$(mktemp -d /tmp/kz-bench-attack.XXXXXX)
pid=
sink=
trap 'kill $pid $sink 2>/dev/null || true; rm -rf "$T"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(port)
SINKPORT=$(port)

# setup [extra config]: a fresh state dir, runbook r (one task step, an
# incident per alert key) and runbook a (three action steps).
setup() {
	rm -rf "$T/state" "$T/runbooks"
	mkdir -p "$T/runbooks" "$T/state"
	printf 'members:\n  - {id: op, unix_user: "%s"}\nroles:\n  - {id: ops, members: [op]}\n' "$(id -u)" >"$T/roster.yaml"
	cat >"$T/runbooks/r.yaml" <<'YAML'
runbook: r
title: 切り替え / A runbook with a few steps
steps:
  - {id: one, title: 最初 / First, assign: role:ops, timeout: 1h}
  - {id: two, title: 次 / Next, needs: [one], assign: role:ops}
  - {id: three, title: 最後 / Last, needs: [two], assign: role:ops}
YAML
	cat >"$T/keizokud.yaml" <<YAML
state_dir: state
runbooks: runbooks
plugins: $KZ_BUILD/plugins
roster: roster.yaml
admins: [root]
control: {socket: kz.sock}
http: {listen: "127.0.0.1:$PORT"}
sources:
  mon: {format: json, auth: {bearer: "env:BENCH_TOKEN"}}
  am: {format: alertmanager, auth: {bearer: "env:BENCH_TOKEN"}}
${1:-}
YAML
}
start() {	# [ulimit -n]
	( [ -n "${1:-}" ] && ulimit -n "$1"
	  exec env BENCH_TOKEN=t "$KZ_BUILD/keizokud" -c "$T/keizokud.yaml" \
	    2>"$T/log" ) &
	pid=$!
	i=0
	until curl -s "http://127.0.0.1:$PORT/healthz" >/dev/null; do
		sleep 0.05; i=$((i + 1)); [ $i -lt 400 ] || { cat "$T/log"; exit 1; }
	done
}
stop() { kill $pid 2>/dev/null; wait $pid 2>/dev/null || true; pid=; }
rss_kb() { awk '/VmRSS/ {print $2}' /proc/$pid/status; }
ctl_ok() { KEIZOKU_SOCKET=$T/kz.sock timeout 10 "$KZ_BUILD/keizoku" status >/dev/null 2>&1 && echo yes || echo no; }
hook_ok() {
	st=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer t' \
	    -H 'Content-Type: application/json' --data '{"alert": "probe"}' \
	    "http://127.0.0.1:$PORT/v1/hooks/mon" || true)
	[ "$st" = 202 ] && echo yes || echo "no ($st)"
}

# 1. 1,100 connections trickling a header line every 2 s at ulimit -n 1024.
if echo "$ATTACKS" | grep -qw slow; then
	setup
	start 1024
	"$KZA" slowloris "$PORT" 1100 2000 14 >"$T/sl" &
	sl=$!
	sleep 6
	l0=$(wc -l <"$T/log")
	h=$("$KZA" get "$PORT" /healthz 5000)
	c=$(ctl_ok)
	w=$(hook_ok)
	sleep 2
	l1=$(wc -l <"$T/log")
	wait $sl
	stop
	echo "| slow clients: 1,100 trickling connections at ulimit -n 1024: /healthz status, ms | $h | - | - |"
	echo "| ... the control socket answers / a webhook is accepted | $c / $w | - | - |"
	echo "| ... log lines written in those seconds ($(cat "$T/sl")) | $((l1 - l0)) | - | - |"
fi

# 2. 500 triggers at once (50 connections) of a runbook with three action
# steps, /healthz probed every 10 ms meanwhile.
actions_runbook() {
	cat >"$T/runbooks/a.yaml" <<YAML
runbook: a
activation:
  - source: ${1:-mon}
    match: {${2:-alert}: {exists: true}}
steps:
  - {id: one, type: action, action: exec, with: {argv: [/bin/true]}}
  - {id: two, type: action, action: webhook, with: {url: "http://127.0.0.1:$SINKPORT/x"}}
  - {id: three, type: action, action: exec, with: {argv: [/bin/true]}}
YAML
}
if echo "$ATTACKS" | grep -qw burst; then
	setup
	actions_runbook
	"$KZ_BUILD/bench/bare_evhttp" "$SINKPORT" & sink=$!
	start
	r=$("$KZA" burst "$PORT" /v1/hooks/mon t 500 50 /healthz)
	stop
	echo "| burst: 500 triggers (3 action steps each), 50 at once: last 202 (ms) | $(echo "$r" | sed 's/.*last_ms=\([0-9]*\).*/\1/') | - | - |"
	echo "| ... /healthz during it, max / p50 (ms) | $(echo "$r" | sed 's/.*probe_max_ms=\([0-9.]*\) probe_p50_ms=\([0-9.]*\).*/\1 \/ \2/') | - | - |"
	# Again, with SIGTERM 1 s into it.
	setup
	actions_runbook
	start
	"$KZA" burst "$PORT" /v1/hooks/mon t 2000 50 >/dev/null 2>&1 &
	b=$!
	sleep 1
	t0=$(date +%s%N)
	kill -TERM $pid
	wait $pid 2>/dev/null || true
	t1=$(date +%s%N)
	pid=
	wait $b || true
	kill $sink; sink=
	echo "| ... SIGTERM 1 s into a burst of 2,000: exit in (ms) | $(( (t1 - t0) / 1000000 )) | - | - |"
fi
if echo "$ATTACKS" | grep -qw alerts; then
	setup
	actions_runbook am labels.alertname
	"$KZ_BUILD/bench/bare_evhttp" "$SINKPORT" & sink=$!
	start
	r=$("$KZA" alerts "$PORT" /v1/hooks/am t 1000 /healthz)
	stop
	kill $sink; sink=
	echo "| one request with 1,000 alerts (3 action steps each): its 202 (ms) | $(echo "$r" | sed 's/.*last_ms=\([0-9]*\).*/\1/') | - | - |"
	echo "| ... /healthz during it, max (ms) | $(echo "$r" | sed 's/.*probe_max_ms=\([0-9.]*\).*/\1/') | - | - |"
fi

# 3. A control client pipelining `show` and reading nothing, 15 s.
if echo "$ATTACKS" | grep -qw ctl; then
	setup
	start
	KEIZOKU_SOCKET=$T/kz.sock "$KZ_BUILD/keizoku" activate r >/dev/null 2>&1 || true
	r0=$(rss_kb)
	f=$("$KZA" ctlflood "$T/kz.sock" show 15 '{"incident": "1"}')
	r1=$(rss_kb)
	stop
	echo "| a control client pipelining show, never reading, 15 s: RSS growth (MiB; $f) | $(( (r1 - r0) / 1024 )) | - | - |"
fi

# 4. GET /v1/notifications with 10,000 incidents (20,000 notifications).
if echo "$ATTACKS" | grep -qw list; then
	setup "tokens:
  - {member: op, sha256: \"$(printf tok | sha256sum | cut -d' ' -f1)\"}
channels:
  ops: {type: slack, url: \"http://127.0.0.1:1/none\"}"
	start
	stop
	# Fill the database directly: 10,000 closed incidents, 2 rows each.
	sqlite3 "$T/state/keizoku.db" <<'SQL'
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
INSERT INTO notifications(incident, channel, event, msg_id, payload, text, state, attempts, created_at, next_attempt_at)
SELECT (i + 1) / 2, 'ops', 'incident.activated', 'msg_' || i, '{"text": "' || hex(randomblob(2000)) || '"}', hex(randomblob(2000)), 'dead', 5, 0, 0 FROM n;
SQL
	start
	r0=$(rss_kb)
	t=$(curl -s -o "$T/body" -w '%{time_total}' -H 'Authorization: Bearer tok' "http://127.0.0.1:$PORT/v1/notifications")
	r1=$(rss_kb)
	stop
	echo "| GET /v1/notifications with 20,000 rows: reply size (KiB) / time (s) | $(( $(stat -c %s "$T/body") / 1024 )) / $t | - | - |"
	echo "| ... RSS growth (MiB) | $(( (r1 - r0) / 1024 )) | - | - |"
fi

# 8. Hostile YAML: 40,000 nested [, a map of 40,000 keys; a 200 KB runbook
# reloaded with SIGHUP while /healthz is probed.
if echo "$ATTACKS" | grep -qw yaml; then
	setup
	python3 -c 'print("runbook: n\nsteps: " + "[" * 40000 + "]" * 40000)' >"$T/nest.yaml"
	python3 -c 'print("runbook: k\nvars:\n" + "".join("  k%d: v\n" % i for i in range(40000)))' >"$T/keys.yaml"
	ms() { s=$(date +%s%N); "$@" >/dev/null 2>&1 || true; echo $(( ($(date +%s%N) - s) / 1000000 )); }
	base=$(ms env BENCH_TOKEN=t "$KZ_BUILD/keizokud" -t -c "$T/keizokud.yaml")
	for f in nest keys; do
		cp "$T/$f.yaml" "$T/runbooks/"
		t=$(ms env BENCH_TOKEN=t "$KZ_BUILD/keizokud" -t -c "$T/keizokud.yaml")
		rm "$T/runbooks/$f.yaml"
		echo "| hostile YAML: $f.yaml ($(( $(stat -c %s "$T/$f.yaml") / 1024 )) KiB) checked by keizokud -t, over an empty check (ms) | $((t - base)) | - | - |"
	done
	# 200 KB: 12,700 bare steps (past the cap: refused early) or 990
	# steps with long notes, each needing the one before (valid).
	python3 - "$T/runbooks/big.yaml" "${BIG:-valid}" <<'PY'
import sys
out = ["runbook: big", "title: big", "steps:"]
i = 0
while sum(len(l) + 1 for l in out) < 200 * 1024:
    if sys.argv[2] == "bare":
        out.append("  - {id: s%d}" % i)
    else:
        need = ", needs: [s%d]" % (i - 1) if i else ""
        out.append("  - {id: s%d, title: \"手順 %d\", note: \"%s\"%s}" % (i, i, "n" * 150, need))
    i += 1
open(sys.argv[1], "w").write("\n".join(out) + "\n")
PY
	mv "$T/runbooks/big.yaml" "$T/big.yaml"
	start
	mv "$T/big.yaml" "$T/runbooks/big.yaml"
	"$KZA" get "$PORT" /healthz 2000 >/dev/null
	( sleep 0.2; kill -HUP $pid ) &
	max=0
	end=$(( $(date +%s) + 6 ))
	while [ "$(date +%s)" -lt $end ]; do
		set -- $("$KZA" get "$PORT" /healthz 60000)
		max=$(echo "$max $2" | awk '{print ($2 > $1) ? $2 : $1}')
		sleep 0.01
	done
	stop
	echo "| a 200 KB runbook (${BIG:-valid}) reloaded (SIGHUP): longest /healthz wait (ms) | $max | - | - |"
fi

# 9. The Standard Webhooks replay lookup with 100,000 trigger rows.
if echo "$ATTACKS" | grep -qw replay; then
	setup
	start
	stop
	sqlite3 "$T/state/keizoku.db" <<'SQL'
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
INSERT INTO triggers(source, received_at, key, status, doc, idem)
SELECT 'quake', i, 'k' || i, 'unmatched', '{}', 'msg_' || i FROM n;
SQL
	old="SELECT incident FROM triggers WHERE source = 'quake' AND (idem = 'msg_x' OR substr(idem, 1, length('msg_x' || char(31))) = 'msg_x' || char(31)) ORDER BY id"
	new="SELECT 1 FROM triggers WHERE source = 'quake' AND idem = 'msg_x'; SELECT count(*) FROM triggers WHERE source = 'quake' AND idem >= 'msg_x' AND idem < 'msg_x' || char(32)"
	per() {	# SQL -> us per run, over 200 runs in one process
		for i in $(seq 200); do echo "$1;"; done >"$T/q.sql"
		t0=$(date +%s%N)
		sqlite3 "$T/state/keizoku.db" <"$T/q.sql" >/dev/null
		t1=$(date +%s%N)
		echo "$(( (t1 - t0) / 200000 ))"
	}
	echo "| Standard Webhooks replay lookup, 100,000 trigger rows (us per lookup; baseline: the old query, which scanned) | $(per "$new") | $(per "$old") | - |"
fi
exit 0
