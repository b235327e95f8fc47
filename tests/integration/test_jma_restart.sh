#!/bin/bash
# Issue 17 (SPEC §15, §12): JMA feed progress across restarts. Documents
# published while keizokud was down are taken when it comes back, even
# once the high-frequency feed has rolled them off (the backfill feed);
# nothing is taken twice, even after a kill -9 in the middle of a
# document. Two kinds of quiet, each notified once, durably, with the
# time keizokud was down counted: a feed that answers but brings nothing
# new for stale_after is stale (feed.stale, SPEC §15), and a source with
# no successful poll for silent_after is silent (source.silent, §17).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-jma.sh"

write_feed feed.xml
write_feed long.xml
write_config "sources:
  jma:
    format: jma
    feed: \"$BASE/feed.xml\"
    backfill: \"$BASE/long.xml\"
    interval: 1s
    timeout: 5s
    silent_after: 4h
    stale_after: 2h
channels:
  ops: {type: webhook, url: \"http://127.0.0.1:9/hooks\", retry: [1h]}"
cat >"$T/runbooks/quake.yaml" <<'YAML'
runbook: quake
title: 地震対応 / Earthquake response
kind: staff-assembly
owner: role:it-lead
activation:
  - source: jma
    match: {earthquake.maxScale: {">=": 30}}
steps:
  - {id: check, title: 被害確認 / Check, assign: role:it-lead}
YAML
cat >"$T/runbooks/tsunami.yaml" <<'YAML'
runbook: tsunami
title: 津波対応 / Tsunami response
kind: generic
owner: role:it-lead
activation:
  - source: jma
    match: {areas: {any: {grade: {in: [MajorWarning, Warning]}}}}
steps:
  - {id: evacuate, title: 避難 / Evacuate, assign: role:it-lead}
YAML
export KEIZOKU_TEST_CLOCK=2026-11-20T00:00:00Z
notes() { "$KZ" --json notifications | jq "[.[] | select(.event == \"$1\")] | length"; }
trig_events() { "$KZ" --json log "$1" | jq '[.[] | select(.type | startswith("trigger."))] | length'; }
start_kzd || exit 1

A=20090811050900_0_VXSE51_010000.xml
publish $A 32-35_01_01_100806_VXSE51.xml 2026-11-19T23:40:00Z 震度速報
write_feed long.xml
wait_for "A (震度6弱) is taken" 20 docs_settled 1
expect_eq "A started incident 1" "$(ninc)" 1

# --- published while keizokud is down; the short feed rolls them off ---
kill9_kzd
B=20110311144810_0_VXSE51_010000.xml
C=20110311144900_0_VTSE41_010000.xml
publish $B 32-39_11_01_120615_VXSE51.xml 2026-11-19T23:50:00Z 震度速報
publish $C 32-39_11_02_250206_VTSE41.xml 2026-11-19T23:51:00Z 津波警報・注意報・予報a
write_feed long.xml
# The high-frequency feed now lists only C; B is in the long feed alone.
ENTRIES=$(printf '%s\n' "$ENTRIES" | awk -v c="$C" 'BEGIN{RS="  </entry>\n"; ORS="  </entry>\n"} index($0, c)')
write_feed feed.xml
check "the short feed lists C only" sh -c "! grep -q '$B' '$S/feed.xml' && grep -q '$C' '$S/feed.xml'"
start_kzd || exit 1
wait_for "B and C are taken after the restart" 30 docs_settled 3
expect_eq "B (from the backfill feed) and C started their incidents" \
    "$("$KZ" --json incidents | jq -r '[.[] | .runbook] | join(",")')" "quake,quake,tsunami"
expect_eq "A was not fetched again" "$(fetches $A)" 1
expect_eq "B and C were fetched once" "$(fetches $B)/$(fetches $C)" 1/1
expect_eq "the long feed was read at start" "$(grep -c ' /long.xml ' "$S/requests.log" | awk '{print ($1 >= 2)}')" 1
expect_eq "C's areas by grade: 大津波警報 in 岩手県, 宮城県, 福島県" \
    "$("$KZ" --json show 3 | jq -r '[.trigger.areas[] | select(.grade == "MajorWarning") | .name] | join(",")')" \
    "岩手県,宮城県,福島県"

# --- kill -9 in the middle of a document: taken once, whatever the moment ---
D=20100125162000_0_VXSE53_010000.xml
publish $D 32-35_04_04_240613_VXSE53.xml 2026-11-19T23:55:00Z 震源・震度に関する情報
_i=0
while [ "$(fetches $D)" -eq 0 ] && [ $_i -lt 400 ]; do sleep 0.01; _i=$((_i + 1)); done
kill9_kzd
start_kzd || exit 1
wait_for "D is taken after the crash" 30 docs_settled 4
expect_eq "D started exactly one incident" "$(ninc)" 4
# D's incident is the newest; on PostgreSQL its id may be past 4 (an
# identity value taken by the transaction the kill cut short is not
# given again).
dinc=$("$KZ" --json incidents | jq -r 'max_by(.id) | .id')
expect_eq "and was not taken twice (no repeat on its timeline)" "$(trig_events "$dinc")" 0
expect_eq "no incident has a repeated trigger" "$(trig_events 1)$(trig_events 2)$(trig_events 3)" 000

# --- staleness: it answers, nothing new; once per staleness, durable ---
polls() { feed .polls; }
# polled_since N: a poll after the N-th has succeeded.
polled_since() { [ "$(polls)" -gt "$1" ] && [ "$(feed .failures)" -eq 0 ]; }
p=$(polls); "$KZ" _clock --advance 1h >/dev/null
wait_for "a poll after 1h without news" 20 polled_since "$p"
expect_eq "1h without news: neither stale nor silent" "$(feed .stale)/$(feed .silent)/$(notes feed.stale)" false/false/0
p=$(polls); "$KZ" _clock --advance 90m >/dev/null
wait_for "2h30m without news: the next poll finds the feed stale" 20 sh -c "[ \"\$('$KZ' --json status | jq -r '.feeds[0].stale')\" = true ]"
expect_eq "stale, notified once; polled fine, so not silent" "$(notes feed.stale)/$(feed .silent)/$(notes source.silent)" 1/false/0
expect_eq "stale since the last news + stale_after" "$(feed .stale_since)" "2026-11-20T02:00:00Z"
p=$(polls); "$KZ" _clock --advance 3h >/dev/null
wait_for "a poll 3h later" 20 polled_since "$p"
expect_eq "still stale: notified once only" "$(notes feed.stale)" 1
stop_kzd
KEIZOKU_TEST_CLOCK=2026-11-20T06:00:00Z start_kzd || exit 1
p=$(polls)
wait_for "a poll after the restart" 20 polled_since "$p"
expect_eq "a restart neither repeats nor forgets the staleness" "$(feed .stale)/$(notes feed.stale)" true/1
E=20261120055900_0_VXSE52_010000.xml
publish $E 32-35_04_03_240613_VXSE52.xml 2026-11-20T05:59:00Z 震源に関する情報
wait_for "a new document ends the staleness" 20 sh -c "[ \"\$('$KZ' --json status | jq -r '.feeds[0].stale')\" = false ]"
expect_eq "feed.fresh once" "$(notes feed.fresh)" 1
stop_kzd
# Three hours later, nothing new was published meanwhile.
KEIZOKU_TEST_CLOCK=2026-11-20T09:00:00Z start_kzd || exit 1
wait_for "down past stale_after: the first poll finds it stale" 20 sh -c "[ \"\$('$KZ' --json status | jq -r '.feeds[0].stale')\" = true ]"
expect_eq "notified a second time" "$(notes feed.stale)" 2
expect_eq "since the news + 2h" "$(feed .stale_since)" "2026-11-20T08:00:00Z"
nid=$("$KZ" --json notifications | jq -r '[.[] | select(.event == "feed.stale")][1].id')
expect_eq "the staleness carries the source and how long" \
    "$(kz_sql "SELECT text FROM notifications WHERE id = $nid" | grep -c 'jma のフィードは応答していますが、3h 以上')" 1

# --- silence: no successful poll for silent_after ---
mode 500
wait_for "polls fail" 20 sh -c "[ \"\$('$KZ' --json status | jq -r '.feeds[0].failures')\" -ge 1 ]"
# (silent_after is longer than any jump of the test clock above: a
# jump is an instant without polls.)
"$KZ" _clock --advance 3h59m >/dev/null
expect_eq "3h59m of failed polls: not silent yet" "$(feed .silent)/$(notes source.silent)" false/0
"$KZ" _clock --advance 2m >/dev/null
expect_eq "4h01m without a successful poll: silent, notified once" "$(feed .silent)/$(notes source.silent)" true/1
expect_eq "silent since the last successful poll + 4h" "$(feed .silent_since)" "2026-11-20T13:00:00Z"
expect_eq "keizoku sources says so" "$("$KZ" --json sources | jq -r '.[] | select(.name == "jma") | "\(.silent)/\(.stale)"')" true/true
mode ok
wait_for "a successful poll ends the silence" 40 sh -c "[ \"\$('$KZ' --json status | jq -r '.feeds[0].silent')\" = false ]"
expect_eq "source.heard once" "$(notes source.heard)" 1
stop_kzd
expect_eq "keizokud stops cleanly" "$KZD_RC" 0
if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$T/kzd.log"; then
	nok "sanitizer report in the log"
else
	ok "no sanitizer report"
fi
exit $_failed
