#!/bin/bash
# Issue 18, items 5, 6 and part of 9: trigger data cannot reshape what
# keizokud sends. A label in a webhook URL is percent-encoded (no path
# traversal, no other host); a template may not put trigger data before
# the path (load error, FILE:LINE:COL), nor may --var move the host at
# run time; a JSON string body gets JSON-escaped values; an exec value
# cannot become an option; Slack and Teams texts escape &, < and > (no
# <!channel>, no disguised links) and mention only from the roster; the
# Markdown report neutralises terminal escapes and javascript: links.
. "$(dirname "$0")/lib.sh"
. "$KZ_TOP/tests/fixtures/http/lib-http.sh"
PY=/usr/bin/python3
SINK_PORT=$(free_port)
S=http://127.0.0.1:$SINK_PORT
cat >"$T/roster.yaml" <<'YAML'
members:
  - {id: tanaka, name: 田中 太郎, unix_user: "1101", contacts: [{channel: slack, mention: "<@U012AB3CD>"}]}
  - {id: suzuki, name: 鈴木 花子, unix_user: "1102"}
roles:
  - {id: it-lead, members: [tanaka, suzuki]}
YAML
write_config "sources:
  mon: {format: json, auth: {none: true}}
channels:
  slack: {type: slack, url: \"$S/slack\"}
  teams: {type: teams, url: \"$S/teams\"}
notify:
  - {channel: slack, events: [step.notify, incident.activated]}
  - {channel: teams, events: [step.notify]}"
cat >"$T/runbooks/r.yaml" <<YAML
runbook: r
title: 外部連携 / Outbound
owner: role:it-lead
activation:
  - {source: mon, match: {kind: {"=": web}}}
vars:
  api: 127.0.0.1:$SINK_PORT
steps:
  - id: restart
    title: 再起動 / Restart
    type: action
    action: webhook
    with:
      url: "http://{{vars.api}}/api/hosts/{{trigger.labels.host}}/restart"
      body: "{\"summary\": \"{{trigger.annotations.summary}}\", \"n\": {{trigger.n}}}"
  - id: tell
    title: 周知 / Tell
    type: notify
    with: {to: role:it-lead, text: "震源: {{trigger.labels.place}}"}
YAML
cat >"$T/runbooks/x.yaml" <<'YAML'
runbook: x
title: コマンド / Command
owner: role:it-lead
activation:
  - {source: mon, match: {kind: {"=": cmd}}}
steps:
  - id: run
    type: action
    action: exec
    with: {argv: [/bin/echo, "{{trigger.labels.host}}"]}
  - id: safe
    type: action
    action: exec
    with: {argv: [/bin/echo, "--", "{{trigger.labels.host}}"]}
YAML
$PY "$KZ_TOP/tests/integration/sink.py" --port "$SINK_PORT" --log "$T/sink.log" --ready "$T/sink.ready" &
_pids="$_pids $!"
for i in $(seq 100); do [ -f "$T/sink.ready" ] && break; sleep 0.05; done
touch "$T/sink.log"

# --- at load time: trigger data before the path is refused ---
mkdir -p "$T/bad"
cat >"$T/bad/h.yaml" <<'YAML'
runbook: h
steps:
  - id: a
    type: action
    action: webhook
    with:
      url: "http://{{trigger.labels.host}}/x"
YAML
sed "s|^runbooks: runbooks|runbooks: bad|" "$T/keizokud.yaml" >"$T/bad.yaml"
expect_rc "keizokud -t refuses a trigger value in a URL's host" 1 "$KZD" -t -c "$T/bad.yaml"
check "naming the file, line and column" grep -q "h.yaml:7:[0-9]*: .*would let it choose the host" "$T/out" "$T/err"
start_kzd || exit 1

# --- the attack of the issue ---
cat >"$T/t1.json" <<'JSON'
{"kind": "web", "n": 7,
 "labels": {"host": "../../admin/delete?confirm=yes&x=",
            "place": "<!channel> 緊急 <https://evil.example/login|気象庁の詳細はこちら> & [見る](javascript:alert(1)) @here"},
 "annotations": {"summary": "x\", \"admin\": true, \"y\": \""}}
JSON
st=$(post /v1/hooks/mon "$T/t1.json")
expect_eq "the trigger is accepted" "$st" 202
restarted() { grep -q '"path": "/api/hosts/' "$T/sink.log"; }
wait_for "the webhook action reaches the sink" 30 restarted
expect_eq "the label stays inside its path segment" \
    "$(jq -r 'select(.path | startswith("/api/")) | .path' "$T/sink.log")" \
    "/api/hosts/..%2F..%2Fadmin%2Fdelete%3Fconfirm%3Dyes%26x%3D/restart"
expect_eq "nothing went to /admin/delete" "$(grep -c '/admin/delete' "$T/sink.log")" 0
expect_eq "the JSON body has only the keys the runbook wrote" \
    "$(jq -r 'select(.path | startswith("/api/")) | .body | fromjson | keys | join(",")' "$T/sink.log")" "n,summary"
expect_eq "the summary arrived as one string" \
    "$(jq -r 'select(.path | startswith("/api/")) | .body | fromjson | .summary' "$T/sink.log")" 'x", "admin": true, "y": "'
chat() { jq -r "select(.path == \"/$1\") | .body | fromjson | $2" "$T/sink.log"; }
both() { [ "$(chat slack .text | grep -c 震源)" -ge 1 ] && [ "$(chat teams .text | grep -c 震源)" -ge 1 ]; }
wait_for "the notify step reaches Slack and Teams" 30 both
slack=$(chat slack .text | grep 震源)
teams=$(chat teams .text | grep 震源)
echo "# slack: $slack"
for ch in slack teams; do
	txt=$([ $ch = slack ] && echo "$slack" || echo "$teams")
	check "$ch: no live <!channel>" sh -c "! printf '%s' \"\$1\" | grep -q '<!channel>'" _ "$txt"
	check "$ch: escaped as &lt;!channel&gt;" sh -c "printf '%s' \"\$1\" | grep -q '&lt;!channel&gt;'" _ "$txt"
	check "$ch: no disguised link <https://…|…>" sh -c "! printf '%s' \"\$1\" | grep -q '<https://evil'" _ "$txt"
	check "$ch: & escaped" sh -c "printf '%s' \"\$1\" | grep -q ' &amp; '" _ "$txt"
	check "$ch: no Markdown link to javascript:" sh -c "! printf '%s' \"\$1\" | grep -q '\](javascript:'" _ "$txt"
	check "$ch: @here split from its mention" sh -c "! printf '%s' \"\$1\" | grep -q '@here'" _ "$txt"
done
check "the roster's own mention is as written" sh -c "printf '%s' \"\$1\" | grep -q '<@U012AB3CD>'" _ "$slack"

# --- --var may not move the host ---
expect_rc "activate with --var api moved elsewhere" 0 as_uid 1101 "$KZ" activate r --var "api=127.0.0.1:9"
failed() { [ "$("$KZ" --json show 2 | jq -r '.steps[0].state')" = failed ]; }
wait_for "its webhook action fails" 30 failed
check "saying where the runbook sends it" sh -c "'$KZ' --json show 2 | jq -r '.steps[0].note' | grep -q 'not to http://127.0.0.1:$SINK_PORT'"

# --- exec: a value that would be an option ---
printf '{"kind": "cmd", "labels": {"host": "-e \\\\x41"}}' >"$T/t2.json"
expect_eq "a command trigger is accepted" "$(post /v1/hooks/mon "$T/t2.json")" 202
settled() { [ "$("$KZ" --json show 3 | jq -r '[.steps[].state] | map(select(. == "done" or . == "failed")) | length')" = 2 ]; }
wait_for "its actions finish" 30 settled
expect_eq "the value cannot become an option: refused" "$("$KZ" --json show 3 | jq -r '.steps[0].state')" failed
check "saying why" sh -c "'$KZ' --json show 3 | jq -r '.steps[0].note' | grep -q 'begins with \"-\"'"
expect_eq "after a literal -- it is an argument" "$("$KZ" --json show 3 | jq -r '.steps[1].state')" done

# --- the Markdown report: no terminal escapes, no javascript: links ---
printf '{"kind": "web", "n": 1, "labels": {"host": "h", "place": "\\u001b[31m赤\\u001b]8;;javascript:x\\u0007 [ここ](javascript:alert(1)) \\u009b2J"}, "annotations": {"summary": "s"}}' >"$T/t3.json"
expect_eq "a trigger with escapes is accepted" "$(post /v1/hooks/mon "$T/t3.json")" 202
"$KZ" report 4 >"$T/report.md"
check "the report is written" grep -q '事後レビュー' "$T/report.md"
expect_eq "no ESC, BEL or C1 control reaches the terminal" \
    "$($PY -c 'import sys; d=open(sys.argv[1],"rb").read(); print(sum(d.count(c) for c in (b"\x1b", b"\x07", b"\xc2\x9b")))' "$T/report.md")" 0
check "they are shown as symbols" grep -q '␛' "$T/report.md"
# (In a fenced code block text is text: only what is outside counts.)
expect_eq "no Markdown link to javascript: outside code blocks" \
    "$(awk '/^```/ {code = !code; next} !code && /\]\(javascript:/' "$T/report.md" | wc -l)" 0
stop_clean
