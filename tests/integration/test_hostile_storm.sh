#!/bin/bash
# Issue 18, item 9 (storms and the triggers table): 300 repeats of an
# alert that has its incident are one message per channel at once and
# one summary per channel per triggers.repeat_summary, not 300 messages
# to every channel; every repeat is still on the timeline. Trigger rows
# older than triggers.retention are deleted (the incident keeps its own
# trigger), and a Standard Webhooks replay is still answered.
. "$(dirname "$0")/lib.sh"
. "$KZ_TOP/tests/fixtures/http/lib-http.sh"
KZA=$KZ_BUILD/tools/kzattack
export KZ_HOOK_TOKEN=tok-storm
write_config "sources:
  mon: {format: json, auth: {bearer: \"env:KZ_HOOK_TOKEN\"}}
channels:
  a: {type: slack, url: \"http://127.0.0.1:9/a\", retry: [1h]}
  b: {type: teams, url: \"http://127.0.0.1:9/b\", retry: [1h]}
triggers: {retention: 1d, repeat_summary: 5m}"
cat >"$T/runbooks/r.yaml" <<'YAML'
runbook: r
title: 嵐 / Storm
owner: role:it-lead
activation:
  - {source: mon, match: {alert: {exists: true}}, key: "one-key"}
steps:
  - {id: look, title: 確認, assign: role:it-lead}
YAML
KEIZOKU_TEST_CLOCK=2026-12-01T00:00:00Z start_kzd || exit 1
repeats() { "$KZ" --json notifications --limit 10000 | jq "[.[] | select(.event == \"trigger.repeated\" and .channel == \"$1\")] | length"; }

"$KZA" burst "$HTTP_PORT" /v1/hooks/mon "$KZ_HOOK_TOKEN" 301 20 >"$T/b"
expect_eq "301 triggers accepted" "$(sed 's/.* ok=\([0-9]*\).*/\1/' "$T/b")" 301
expect_eq "one incident" "$(sql "SELECT count(*) FROM incidents")" 1
expect_eq "300 repeats on its timeline" \
    "$("$KZ" --json log 1 --limit 10000 | jq '[.[] | select(.type == "trigger.repeated")] | length')" 300
expect_eq "channel a: the first repeat told at once, the rest held" "$(repeats a)" 1
expect_eq "channel b: the same" "$(repeats b)" 1
expect_rc "five minutes pass" 0 "$KZ" _clock --advance 5m
expect_eq "channel a: one summary of the other 299" "$(repeats a)" 2
expect_eq "channel b: the same" "$(repeats b)" 2
expect_eq "the summary counts them" \
    "$("$KZ" --json notifications | jq -r '[.[] | select(.event == "trigger.repeated" and .channel == "a")][1].text')" \
    "【再通知まとめ】#1 嵐 / Storm: 直近 300 秒に発動条件の通知がさらに 299 件届きました
Trigger repeated 299 more times in the last 300s for #1"
expect_rc "a quiet period" 0 "$KZ" _clock --advance 5m
expect_eq "nothing more while it is quiet" "$(repeats a)" 2
"$KZA" burst "$HTTP_PORT" /v1/hooks/mon "$KZ_HOOK_TOKEN" 1 1 >/dev/null
expect_eq "the next repeat after the quiet is told at once" "$(repeats a)" 3

# Retention: two days on, a reload deletes the rows past one day.
expect_eq "302 trigger rows" "$(sql "SELECT count(*) FROM triggers")" 302
expect_rc "two days pass" 0 "$KZ" _clock --advance 2d
expect_rc "a reload" 0 "$KZ" reload
gone() { [ "$(sql "SELECT count(*) FROM triggers")" = 0 ]; }
wait_for "the rows older than triggers.retention are deleted" 30 gone
expect_eq "the incident keeps its trigger" "$("$KZ" --json show 1 | jq -r '.trigger.alert | startswith("b")')" true
"$KZA" burst "$HTTP_PORT" /v1/hooks/mon "$KZ_HOOK_TOKEN" 1 1 >/dev/null
expect_eq "new rows are kept" "$(sql "SELECT count(*) FROM triggers")" 1
stop_clean
