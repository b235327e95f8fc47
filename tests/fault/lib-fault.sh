# Helpers for the fault tests (test_fault_*.sh); sourced after lib.sh and
# tests/fixtures/http/lib-http.sh. A ledger ($T/ledger) records every
# write the tests make and whether keizokud acknowledged it; ledger_check
# compares it with the database.
FAULT_DIR="$KZ_TOP/tests/fault"
SINK="$KZ_TOP/tests/integration/sink.py"
export KZ_HOOK_TOKEN="fault-token-障害-0123456789"
# The shim comes before the ASan runtime in LD_PRELOAD; tell ASan that is
# fine (no effect on other builds).
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}:verify_asan_link_order=0"
: >"$T/ledger"

# fault_shim: prints the path of ioshim.so, built by make or, failing
# that, here.
fault_shim() {
	if [ -f "$KZ_BUILD/fault/ioshim.so" ]; then
		echo "$KZ_BUILD/fault/ioshim.so"
		return 0
	fi
	${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -Wall -fPIC -shared \
	    -o "$T/ioshim.so" "$FAULT_DIR/ioshim.c" -ldl >&2 || return 1
	echo "$T/ioshim.so"
}

# start_sink [rules...]: the recording receiver, on $SINK_PORT.
start_sink() {
	rm -f "$T/sink.ready"
	"$PY" "$SINK" --port "$SINK_PORT" --log "$T/sink.log" \
	    --ready "$T/sink.ready" "$@" &
	_pids="$_pids $!"
	wait_file "$T/sink.ready"
	touch "$T/sink.log"
}
SINK_PORT=$(free_port)

# fault_config [extra yaml]: a json source with bearer auth, a webhook
# channel to the sink, and the runbooks the fault tests share.
fault_config() {
	write_config "sources:
  json:
    format: json
    auth: {bearer: \"env:KZ_HOOK_TOKEN\"}
channels:
  sink: {type: webhook, url: \"http://127.0.0.1:$SINK_PORT/n\", retry: [1s], timeout: 5s}
${1:-}"
	cat >"$T/runbooks/work.yaml" <<'YAML'
runbook: work
title: 障害対応 / Fault work
owner: role:it-lead
activation:
  - source: json
    match: {kind: work}
    key: "{{trigger.n}}"
    window: 1h
steps:
  - {id: a, title: 一次確認 / First check, assign: role:operator}
  - id: tell
    title: 連絡 / Tell
    type: notify
    with: {text: "障害 #{{incident.id}} / incident {{incident.id}}"}
YAML
	cat >"$T/runbooks/slow.yaml" <<'YAML'
runbook: slow
title: 待機 / Wait
owner: role:it-lead
steps:
  - {id: pause, title: 待つ / Wait, type: wait, with: {duration: 2s}}
YAML
}

# act NOTE [RUNBOOK]: activates (default runbook work) and records the
# outcome; the CLI's exit status is returned, stderr left in $T/err.
act() {
	_o=$(mktemp "$T/act.XXXXXX")
	"$KZ" --json activate "${2:-work}" --note "$1" >"$_o" 2>"$_o.err"
	_rc=$?
	if [ $_rc -eq 0 ]; then
		echo "act ok $1 $(jq -r '.incident' <"$_o")" >>"$T/ledger"
	else
		echo "act no $1" >>"$T/ledger"
	fi
	cat "$_o.err" >"$T/err"
	rm -f "$_o" "$_o.err"
	return $_rc
}
# acked_id NOTE: the incident an acknowledged activation created.
acked_id() { grep " $1 " "$T/ledger" | cut -d' ' -f4; }

# hook N [KIND]: POSTs a trigger with id N to /v1/hooks/json; prints
# the HTTP status and records the outcome. The reply is in $T/resp.
hook() {
	printf '{"kind": "%s", "n": "%s", "message": "監視 %s"}' \
	    "${2:-work}" "$1" "$1" >"$T/hook.json"
	_st=$(post /v1/hooks/json "$T/hook.json" \
	    -H "Authorization: Bearer $KZ_HOOK_TOKEN")
	case $_st in
	2*) echo "hook ok $1 $(jq -r '.incidents[0] // 0' <"$T/resp")" >>"$T/ledger" ;;
	*) echo "hook no $1" >>"$T/ledger" ;;
	esac
	echo "$_st"
}

# ledger_check [strict]: every acknowledged write is in the database;
# with strict, nothing refused is. Prints what is wrong.
ledger_check() {
	"$PY" - "$T/ledger" "$T/state/keizoku.db" "${1:-}" <<'PY'
import sqlite3, sys
ledger, db, strict = sys.argv[1], sys.argv[2], sys.argv[3] == "strict"
con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
notes = {}
for i, note in con.execute("SELECT id, note FROM incidents"):
    notes.setdefault(note, []).append(i)
trig = {}
for n, inc in con.execute("SELECT json_extract(doc, '$.n'), incident "
                          "FROM triggers WHERE source = 'json'"):
    trig.setdefault(n, []).append(inc)
bad = []
for line in open(ledger, encoding="utf-8"):
    w = line.split()
    kind, ok, key = w[0], w[1] == "ok", w[2]
    have = notes.get(key) if kind == "act" else trig.get(key)
    if ok:
        want = [int(w[3])] if kind == "act" or w[3] != "0" else [None]
        if have != want:
            bad.append(f"acknowledged {kind} {key} -> {w[3]}: on disk {have}")
    elif strict and have:
        bad.append(f"refused {kind} {key}: on disk as {have}")
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
PY
}

# commit_failures: how many batches failed to commit so far.
commit_failures() { grep -c 'commit failed' "$T/kzd.log"; }
# sql_ro QUERY: a read-only query against the daemon's database.
sql_ro() {
	"$PY" - "$T/state/keizoku.db" "$1" <<'PY'
import sqlite3, sys
con = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=10)
for r in con.execute(sys.argv[2]):
    print("|".join("" if v is None else str(v) for v in r))
PY
}
no_pending() { [ "$(sql_ro "SELECT count(*) FROM notifications WHERE state != 'delivered'")" = 0 ]; }
# most_sent FROM_LINE: the most times one webhook-id was answered 200
# in the sink's log after line FROM_LINE.
most_sent() {
	tail -n +"$(($1 + 1))" "$T/sink.log" | jq -s '[.[] | select(.status == 200) |
	    .headers["webhook-id"]] | group_by(.) | map(length) | max // 0'
}
sink_lines() { wc -l <"$T/sink.log"; }
alive() { kill -0 "$KZD_PID" 2>/dev/null; }
step_state() { "$KZ" --json show "$1" | jq -r --arg s "$2" '[.steps[] | select(.id == $s) | .state][0]'; }
# integrity: PRAGMA integrity_check, read-only.
integrity() { [ "$(sql_ro 'PRAGMA integrity_check')" = ok ]; }
