#!/bin/bash
# Issue 2, items 2, 6 and 7: keizokud -t; SIGHUP and `keizoku reload`
# swap runbooks atomically, a broken file keeps its previous version, an
# incident keeps the version it started with; the hash chain catches a row
# edited behind the daemon's back.
. "$(dirname "$0")/lib.sh"
write_config
cat >"$T/runbooks/r.yaml" <<'YAML'
runbook: r
title: 版1 / Version 1
steps:
  - id: one
    title: 一つ目
YAML
expect_rc "keizokud -t accepts a valid setup" 0 "$KZD" -t -c "$T/keizokud.yaml"
cat >"$T/runbooks/bad.yaml" <<'YAML'
runbook: bad
steps:
  - id: a
    needs: [b]
    timeout: soon
  - id: b
    needs: [a]
    colour: red
YAML
expect_rc "keizokud -t rejects a broken runbook" 1 "$KZD" -t -c "$T/keizokud.yaml"
grep -q "bad.yaml:5:14: bad duration \"soon\"" "$T/out" && ok "-t reports the bad duration with its position" || nok "-t output: $(cat "$T/out")"
grep -q "bad.yaml:8:5: unknown key \"colour\" in step" "$T/out" && ok "-t reports the unknown key with its position" || nok "-t unknown key"
printf 'state_dir: state\nbogus: 1\n' >"$T/broken.yaml"
expect_rc "an invalid config is fatal for -t" 1 "$KZD" -t -c "$T/broken.yaml"
grep -q "broken.yaml:2:1: unknown key \"bogus\" in config" "$T/out" && ok "-t reports the config key" || nok "-t config: $(cat "$T/out")"
expect_rc "an invalid config is fatal at start" 1 "$KZD" -c "$T/broken.yaml"
rm "$T/runbooks/bad.yaml"

start_kzd || exit 1
"$KZ" activate r >/dev/null
v1=$("$KZ" --json show 1 | jq -r '.runbook_version')
cat >"$T/runbooks/r.yaml" <<'YAML'
runbook: r
title: 版2 / Version 2
steps:
  - id: one
    title: 一つ目
  - id: two
    title: 二つ目
    needs: [one]
YAML
kill -HUP "$KZD_PID"
wait_for "SIGHUP loads the new version" 5 sh -c "'$KZ' --json runbooks | grep -q '版2'"
"$KZ" activate r >/dev/null
expect_eq "a new incident uses version 2" "$("$KZ" --json show 2 | jq '.steps | length')" "2"
expect_eq "the running incident keeps version 1" "$("$KZ" --json show 1 | jq -c '[(.steps | length), .runbook_version]' | tr -d ' ')" "[1,\"$v1\"]"
printf 'runbook: r\nsteps:\n  - id: one\n    when: {nosuch.x: 1}\n' >"$T/runbooks/r.yaml"
expect_rc "keizoku reload succeeds even when a file is broken" 0 "$KZ" reload
grep -q "r.yaml:4:12" "$T/err" && ok "reload prints the error with its position" || nok "reload errors: $(cat "$T/err" "$T/out")"
expect_eq "the broken file keeps its previous version" "$("$KZ" --json runbooks | jq -r '.[0].title')" "版2 / Version 2"
expect_eq "status shows the load error" "$("$KZ" --json status | jq 'any(.load_errors[]; contains("r.yaml:4:12"))')" "true"
expect_rc "incident 1 still works on its version" 0 "$KZ" done 1 one
stop_kzd
start_kzd || exit 1
expect_eq "after a restart incident 1 still has version 1" "$("$KZ" --json show 1 | jq -c '[(.steps | length), .steps[0].state]' | tr -d ' ')" '[1,"done"]'
expect_rc "verify passes" 0 "$KZ" verify
stop_kzd
kz_sql "UPDATE events SET actor = 'mallory' WHERE seq = 3"
start_kzd || exit 1
expect_rc "verify fails after an edit behind the daemon's back" 1 "$KZ" verify
grep -q "3" "$T/err" "$T/out" && ok "verify names the edited event" || nok "verify output: $(cat "$T/out" "$T/err")"
expect_eq "verify --json names seq 3" "$("$KZ" --json verify | jq -r '.first_bad.seq')" "3"
stop_kzd
kz_sql "UPDATE events SET actor = 'root' WHERE seq = 3; DELETE FROM events WHERE seq = 4"
start_kzd || exit 1
expect_eq "a deleted event is caught too" "$("$KZ" --json verify | jq -r '.first_bad.seq')" "5"
exit $_failed
