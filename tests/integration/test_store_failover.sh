#!/bin/bash
# Issue 12 (SPEC §13), database failover: keizokud on a PostgreSQL
# primary with a synchronous standby (remote_apply: a commit waits until
# the standby has applied it), given both in a libpq multi-host DSN with
# target_session_attrs=read-write. Under a load of webhook POSTs and CLI
# step completions, the primary's postmaster is killed with -9 and the
# standby promoted. Every acknowledged change is in the promoted
# database; while no primary answers, requests get 503 / exit 1 with a
# clear message, never a false success; a change caught in flight at the
# kill fails; keizokud reconnects by itself (the time from the promotion
# to the first accepted change is printed); the hash chain verifies and a
# timer armed before the failover fires on the test clock after it.
. "$(dirname "$0")/lib.sh"
. "$KZ_TOP/tests/integration/lib-pg.sh"
pg_setup_pair
echo "# store: postgresql, primary + synchronous standby (this test always runs on it)"
HP=$(free_port)
KZ_HTTP_LISTEN="127.0.0.1:$HP"
write_config "node: tokyo-1
store: {backend: postgresql, dsn: \"env:KZ_TEST_DSN\"}
sources:
  gen: {format: json, auth: {none: true}}"
export KZ_TEST_DSN="$(pg_pair_dsn)"
{
	printf 'runbook: load\ntitle: 負荷 / load\nowner: role:it-lead\nsteps:\n'
	for i in $(seq 1 400); do
		printf '  - {id: s%d, title: 手順 %d, assign: role:operator}\n' "$i" "$i"
	done
	printf '  - {id: inflight, title: 途中, assign: role:operator}\n'
	printf '  - {id: after, title: 復旧後, assign: role:operator}\n'
	printf '  - {id: t, title: 期限つき, assign: role:operator, timeout: 30m, on_timeout: fail}\n'
} >"$T/runbooks/load.yaml"
# A read-only standby given as the only host: keizokud does not start,
# and says why; with target_session_attrs=read-write libpq refuses it
# before that. Nothing is written to it (it cannot be).
sa="host=127.0.0.1 port=$PG2_PORT dbname=keizoku user=postgres connect_timeout=5"
sed "s|env:KZ_TEST_DSN|$sa|" "$T/keizokud.yaml" >"$T/ro1.yaml"
"$KZD" -c "$T/ro1.yaml" >"$T/ro1.log" 2>&1
expect_eq "the standby as the only host: keizokud exits 1" "$?" 1
check "... saying the server is a read-only standby, and what to give instead" grep -q 'read-only standby: give keizokud the primary, or every node with target_session_attrs=read-write' "$T/ro1.log"
sed 's/^/# /' "$T/ro1.log" | head -3
sed "s|env:KZ_TEST_DSN|$sa target_session_attrs=read-write|" "$T/keizokud.yaml" >"$T/ro2.yaml"
"$KZD" -c "$T/ro2.yaml" >"$T/ro2.log" 2>&1
expect_eq "... with target_session_attrs=read-write: exits 1" "$?" 1
check "... saying it cannot connect to a read-write server" grep -qi 'cannot connect to PostgreSQL.*read-only\|cannot connect to PostgreSQL.*read-write' "$T/ro2.log"
sed 's/^/# /' "$T/ro2.log" | head -3

KEIZOKU_TEST_CLOCK=2026-11-20T03:12:00Z start_kzd || exit 1
id=$("$KZ" --json activate load | jq -r .incident)
expect_eq "activate: an incident on the primary" "$id" 1
expect_eq "the standby has it already (remote_apply)" "$(pg2_sql "SELECT count(*) FROM incidents WHERE id = $id")" 1

# The load: two loops, each recording what was acknowledged (and when)
# and what was refused (and how), until $T/stop exists; while $T/pause
# exists they send nothing (and say so in $T/load/idle.NAME).
mkdir -p "$T/load"
hook_loop() {
	n=0
	while [ ! -e "$T/stop" ]; do
		if [ -e "$T/pause" ]; then
			touch "$T/load/idle.hook"; sleep 0.05; continue
		fi
		n=$((n + 1))
		code=$(curl -s -m 60 -o "$T/load/h.$n" -w '%{http_code}' \
		    -H 'Content-Type: application/json' \
		    --data "{\"seq\": $n, \"site\": \"本社\"}" \
		    "http://127.0.0.1:$HP/v1/hooks/gen")
		if [ "$code" = 202 ]; then
			echo "$n $EPOCHREALTIME" >>"$T/load/hook.ok"
		else
			echo "$n $code $(tr -d '\n' <"$T/load/h.$n")" >>"$T/load/hook.fail"
			sleep 0.05
		fi
		rm -f "$T/load/h.$n"
	done
}
cli_loop() {
	n=0
	while [ ! -e "$T/stop" ] && [ $n -lt 400 ]; do
		if [ -e "$T/pause" ]; then
			touch "$T/load/idle.cli"; sleep 0.05; continue
		fi
		n=$((n + 1))
		if "$KZ" done "$id" "s$n" >/dev/null 2>"$T/load/c.err"; then
			echo "s$n $EPOCHREALTIME" >>"$T/load/cli.ok"
		else
			echo "s$n $? $(tr -d '\n' <"$T/load/c.err")" >>"$T/load/cli.fail"
			sleep 0.05
		fi
	done
}
lines() { [ -f "$1" ] && wc -l <"$1" || echo 0; }
# until_n FILE N: waits (up to 60 s) until FILE has N lines.
until_n() {
	_e=$((SECONDS + 60))
	while [ "$(lines "$1")" -lt "$2" ] && [ $SECONDS -le $_e ]; do sleep 0.05; done
	[ "$(lines "$1")" -ge "$2" ]
}
hook_loop & HOOK_PID=$!
cli_loop & CLI_PID=$!
_pids="$_pids $HOOK_PID $CLI_PID"
check "load: webhooks acknowledged" until_n "$T/load/hook.ok" 20
check "load: CLI step completions acknowledged" until_n "$T/load/cli.ok" 10

# A change in flight at the kill: the load paused, so that this change is
# the only one; replay paused on the standby, so that the primary's commit
# of it waits (remote_apply); kill -9 then.
touch "$T/pause"
_e=$((SECONDS + 60))
while ! { [ -e "$T/load/idle.hook" ] && [ -e "$T/load/idle.cli" ]; } &&
    [ $SECONDS -le $_e ]; do sleep 0.05; done
pg2_sql "SELECT pg_wal_replay_pause()" >/dev/null
"$KZ" done "$id" inflight >"$T/inflight.out" 2>"$T/inflight.err" &
INF_PID=$!
wait_for "a commit waits for the standby (SyncRep)" 60 \
    sh -c "[ \"\$(runuser -u postgres -- $PG_BIN/psql -h $PG_DIR/sock -p $PG_PORT -U postgres -qAt -c \"SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'\" postgres)\" -ge 1 ]"
hook_ok0=$(lines "$T/load/hook.ok"); cli_ok0=$(lines "$T/load/cli.ok")
pg_kill_primary
t_kill=$EPOCHREALTIME
rm -f "$T/pause"
wait "$INF_PID"
expect_eq "the change in flight at the kill fails (exit 1), no false success" "$?" 1
sed 's/^/# in flight: /' "$T/inflight.err"
check "... saying the store is unavailable" grep -qi 'unavailable\|PostgreSQL' "$T/inflight.err"

# No primary: every request fails, clearly.
hook_f0=$(lines "$T/load/hook.fail"); cli_f0=$(lines "$T/load/cli.fail")
check "no primary: webhooks refused" until_n "$T/load/hook.fail" $((hook_f0 + 3))
check "no primary: CLI changes refused" until_n "$T/load/cli.fail" $((cli_f0 + 3))
check "the daemon keeps running" kill -0 "$KZD_PID"
pg2_sql "SELECT pg_wal_replay_resume()" >/dev/null
t_promote0=$EPOCHREALTIME
check "pg_ctl promote: the standby is the primary" pg_promote
t_promote=$EPOCHREALTIME

# Back by itself: the loops get acknowledgements again.
# first_after FILE T: the time of the first line acknowledged after T.
first_after() { awk -v t="$2" '$2 > t { print $2; exit }' "$1" 2>/dev/null; }
_e=$((SECONDS + 60))
while [ $SECONDS -le $_e ]; do
	[ -n "$(first_after "$T/load/hook.ok" "$t_promote")" ] &&
	    [ -n "$(first_after "$T/load/cli.ok" "$t_promote")" ] && break
	sleep 0.05
done
h1=$(first_after "$T/load/hook.ok" "$t_promote")
c1=$(first_after "$T/load/cli.ok" "$t_promote")
check "after the promotion webhooks are accepted again (within 60 s)" test -n "$h1"
check "after the promotion CLI changes are accepted again (within 60 s)" test -n "$c1"
first=$(printf '%s\n%s\n' "$h1" "$c1" | grep . | sort -n | head -n 1)
# dt A B: B - A in seconds, two decimals.
dt() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
echo "# kill -9 of the primary -> promote started: $(dt "$t_kill" "$t_promote0") s (the test waits for refusals first)"
echo "# pg_ctl promote -w took $(dt "$t_promote0" "$t_promote") s"
[ -n "$first" ] && echo "# promote issued -> first accepted change: $(dt "$t_promote0" "$first") s (goal: 10 s)"
check "a few more after that" until_n "$T/load/hook.ok" $(($(lines "$T/load/hook.ok") + 5))
touch "$T/stop"
wait "$HOOK_PID" "$CLI_PID" 2>/dev/null
grep -q 'connected to PostgreSQL again' "$T/kzd.log" && ok "the reconnection is logged" || nok "the reconnection is logged"
echo "# acknowledged: $(lines "$T/load/hook.ok") webhooks, $(lines "$T/load/cli.ok") step completions; refused: $(lines "$T/load/hook.fail") webhooks, $(lines "$T/load/cli.fail") CLI"

# Every acknowledged change is in the promoted database.
kz_sql "SELECT doc FROM triggers WHERE source = 'gen'" | jq -r .seq | sort -n >"$T/db.seqs"
cut -d' ' -f1 "$T/load/hook.ok" | sort -n >"$T/ok.seqs"
expect_eq "every acknowledged webhook is a trigger in the promoted database" "$(comm -23 "$T/ok.seqs" "$T/db.seqs" | wc -l)" 0
expect_eq "... once each" "$(sort "$T/db.seqs" | uniq -d | wc -l)" 0
kz_sql "SELECT id FROM steps WHERE incident = $id AND state = 'done'" | sort >"$T/db.steps"
cut -d' ' -f1 "$T/load/cli.ok" | sort >"$T/ok.steps"
expect_eq "every acknowledged step completion is done in the promoted database" "$(comm -23 "$T/ok.steps" "$T/db.steps" | wc -l)" 0
expect_eq "... with one step.done event each" "$(kz_sql "SELECT count(*) FROM (SELECT step FROM events WHERE incident = $id AND type = 'step.done' GROUP BY step HAVING count(*) > 1) x")" 0
# The refusals: 503 with a JSON error, exit 1 with a message; nothing else.
expect_eq "every refused webhook got 503 with a JSON error" "$(awk '$2 != 503 || $3 !~ /"error"/' "$T/load/hook.fail" | wc -l)" 0
expect_eq "every refused CLI change exited 1 with a message" "$(awk '$2 != 1 || NF < 3' "$T/load/cli.fail" | wc -l)" 0
sed -n '1p' "$T/load/hook.fail" | cut -c1-200 | sed 's/^/# refused webhook: /'
sed -n '1p' "$T/load/cli.fail" | cut -c1-200 | sed 's/^/# refused CLI: /'
# The change in flight: refused to its client. Whether it is in the
# promoted database depends on whether its commit record had reached the
# standby before the kill: a 503 at a crash means "not known", never
# "done" (the client looks before trying again). It is there at most once.
st=$(kz_sql "SELECT state FROM steps WHERE incident = $id AND id = 'inflight'")
echo "# the change in flight at the kill is, in the promoted database: $st"
expect_eq "the change in flight is recorded at most once" "$(kz_sql "SELECT count(*) <= 1 FROM events WHERE incident = $id AND type = 'step.done' AND step = 'inflight'")" t

# Afterwards: changes, timers, the chain.
expect_rc "a step completed after the failover" 0 "$KZ" done "$id" after
advance 31m
expect_eq "the timer armed before the failover fires (test clock)" "$(kz_sql "SELECT state FROM steps WHERE incident = $id AND id = 't'")" failed
expect_rc "verify: the hash chain is whole" 0 "$KZ" verify
expect_eq "verify --json: ok" "$("$KZ" --json verify | jq -r .ok)" true
stop_kzd
expect_eq "SIGTERM exits 0" "$KZD_RC" 0
exit $_failed
