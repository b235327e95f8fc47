#!/bin/bash
# Issue 7, items 2-4: the planning module end to end with the real
# binaries: the config's plan at start and on reload, plan import (admins
# only, revisions, diagnostics), check, show, export round trip, report.
. "$(dirname "$0")/lib.sh"
# A fixed day keeps the date-dependent warnings (reviews, drills) stable.
export KEIZOKU_TEST_CLOCK=2026-06-01T00:00:00Z
revs() { kz_sql 'select count(*) from plan_revisions'; }
cp "$KZ_TOP/config/plan.yaml" "$T/plan.yaml"

# Before any plan: readers say so.
write_config
start_kzd || exit 1
expect_rc "plan show without a plan exits 1" 1 "$KZ" plan show systems
grep -q "no plan imported yet" "$T/err" && ok "no plan: says so" || nok "no plan message: $(cat "$T/err")"
expect_rc "plan check without a plan exits 1" 1 "$KZ" plan check
stop_kzd

# The config's plan is imported at start.
write_config "plan: plan.yaml"
start_kzd || exit 1
expect_eq "the config's plan was imported at start" "$(revs)" 1
expect_eq "imported_by the daemon, from the config's file" "$(kz_sql 'select imported_by, file from plan_revisions')" "keizokud|$T/plan.yaml"

out=$("$KZ" --json plan import "$T/plan.yaml")
expect_eq "importing the same text is unchanged, same revision" "$(echo "$out" | jq -c '[.unchanged, .revision, .tasks, .systems]' | tr -d ' ')" '[true,1,8,14]'
expect_eq "the answer's hash is the file's sha256" "$(echo "$out" | jq -r '.hash')" "$(sha256sum "$T/plan.yaml" | cut -d' ' -f1)"
expect_eq "the answer carries the check's warnings" "$(echo "$out" | jq '(.warnings | length > 0) and (.warnings[0] | has("code") and has("subject") and has("message"))')" "true"
expect_eq "no new revision" "$(revs)" 1
check "text import names the revision" sh -c "'$KZ' plan import '$T/plan.yaml' | grep -q 'revision 1'"
expect_rc "tanaka (uid 1101, not an admin) may not import" 1 as_uid 1101 "$KZ" plan import "$T/plan.yaml"
grep -q "only admins may import a plan" "$T/err" && ok "refusal says admins only" || nok "refusal message: $(cat "$T/err")"
expect_rc "but tanaka may read the plan" 0 as_uid 1101 "$KZ" plan show tasks

# plan check
expect_rc "plan check: no errors, exit 0" 0 "$KZ" plan check
chk=$("$KZ" --json plan check)
expect_eq "check JSON: 0 errors, warnings present, strict false" "$(echo "$chk" | jq -c '[(.errors | length), (.warnings | length > 0), .strict]' | tr -d ' ')" '[0,true,false]'
expect_eq "findings have code, subject, message" "$(echo "$chk" | jq 'all((.warnings + .notes)[]; keys == ["code","message","subject"])')" "true"
expect_rc "plan check --strict exits 1 on warnings" 1 "$KZ" plan check --strict
grep -q "^warning: \[" "$T/out" && ok "--strict prints the warnings" || nok "--strict output: $(cat "$T/out")"
expect_eq "--strict is echoed" "$("$KZ" --json plan check --strict | jq '.strict')" "true"

# plan show
sys=$("$KZ" --json plan show systems)
expect_eq "systems have the SPEC §5 fields" "$(echo "$sys" | jq 'all(.[]; . as $s | all("id","title","kind","rto_s","priority","rlo","current_level","target_level","depends_on","supports"; . as $k | $s | has($k)))')" "true"
expect_eq "systems in the plan's order" "$(echo "$sys" | jq -c '[.[].id][:3]' | tr -d ' ')" '["anpi","network","dns"]'
expect_eq "priorities derived from the RTOs" "$(echo "$sys" | jq -c '[.[] | select(.id | IN("anpi","web","file-server","docflow","jinji","stats-db")) | {(.id): [.rto_s, .priority]}] | add' | tr -d ' ')" '{"anpi":[10800,"S"],"web":[43200,"A"],"file-server":[259200,"B"],"docflow":[604800,"C"],"jinji":[1209600,"D"],"stats-db":[2419200,"E"]}'
expect_eq "every priority matches table 2.5-1" "$(echo "$sys" | jq 'all(.[]; . as $s | ([10800,86400,259200,604800,1209600] | map(select($s.rto_s > .)) | length) as $i | $s.priority == "SABCDE"[$i:$i + 1])')" "true"
expect_eq "levels: anpi current 3, target 4" "$(echo "$sys" | jq -c '[.[] | select(.id == "anpi") | [.current_level, .target_level]][0]' | tr -d ' ')" '[3,4]'
gaps=$("$KZ" --json plan show gaps)
expect_eq "gaps: highest priority first" "$(echo "$gaps" | jq '[.[].priority as $p | "SABCDE" | index($p)] as $r | $r == ($r | sort) and length > 1')" "true"
expect_eq "the first gap is anpi (S)" "$(echo "$gaps" | jq -c '.[0] | [.system, .priority, .component]' | tr -d ' ')" '["anpi","S","operations"]'
expect_eq "tasks have rto_s and priority" "$("$KZ" --json plan show tasks | jq -c '.[0] | [.id, .rto_s, .priority]' | tr -d ' ')" '["safety-check",10800,"S"]'
expect_eq "countermeasures carry their system's priority" "$("$KZ" --json plan show countermeasures | jq -r '[.[] | select(.id == "fs-cloud") | .priority][0]')" "B"
for w in events drills; do
	expect_rc "plan show $w" 0 "$KZ" plan show $w
done
check "plan show systems prints a table with Japanese titles" sh -c "'$KZ' plan show systems | grep -q '^anpi .*安否確認サービス .* 3h *S '"
expect_rc "plan show of an unknown part exits 1" 1 "$KZ" plan show budget
grep -q "tasks, systems, gaps, countermeasures, events or drills" "$T/err" && ok "unknown part lists the valid ones" || nok "unknown part message: $(cat "$T/err")"

# Export, import the export: a new revision; the second export is the
# same text and imports unchanged.
"$KZ" plan export >"$T/export1.yaml"
check "export is YAML of the plan" grep -q '^plan:' "$T/export1.yaml"
expect_eq "export --json says yaml" "$("$KZ" --json plan export | jq -r '.format')" "yaml"
out=$("$KZ" --json plan import "$T/export1.yaml")
expect_eq "importing the export is a new revision" "$(echo "$out" | jq -c '[.unchanged, .revision]' | tr -d ' ')" '[false,2]'
expect_eq "the new revision is the export's hash" "$(echo "$out" | jq -r '.hash')" "$(sha256sum "$T/export1.yaml" | cut -d' ' -f1)"
"$KZ" plan export >"$T/export2.yaml"
check "export of the re-imported plan is the same text" cmp -s "$T/export1.yaml" "$T/export2.yaml"
expect_eq "the same systems after the round trip" "$("$KZ" --json plan show systems)" "$sys"
out=$("$KZ" --json plan import "$T/export2.yaml")
expect_eq "importing it again is unchanged with the same hash" "$(echo "$out" | jq -c '[.unchanged, .revision]' | tr -d ' ')" '[true,2]'
expect_eq "two revisions" "$(revs)" 2

# A broken file: every diagnostic, nothing stored, the plan stays.
cat >"$T/broken.yaml" <<'YAML'
plan: {organization: 壊れた計画}
tasks:
  - {id: t1, title: 業務, rto: 3x}
systems:
  - {id: s1, title: システム, kind: mainframe}
YAML
expect_rc "importing a broken plan exits 1" 1 "$KZ" plan import "$T/broken.yaml"
grep -q "$T/broken.yaml:3:[0-9]*: bad duration \"3x\"" "$T/err" && ok "FILE:LINE:COL for the bad duration" || nok "diagnostic: $(cat "$T/err")"
grep -q "$T/broken.yaml:5:[0-9]*: unknown kind \"mainframe\"" "$T/err" && ok "and for the second error" || nok "second diagnostic: $(cat "$T/err")"
expect_eq "--json: a diagnostics array" "$("$KZ" --json plan import "$T/broken.yaml" 2>/dev/null | jq '.diagnostics | length')" "2"
expect_eq "no revision stored" "$(revs)" 2
expect_eq "the previous plan is still in force" "$("$KZ" --json plan show systems)" "$sys"

# plan report
"$KZ" plan report >"$T/report.md"
check "report md: a Japanese title" grep -q '^# 〇〇省 情報システム運用継続計画' "$T/report.md"
check "report md: Japanese headings" grep -q '^## 非常時優先業務' "$T/report.md"
check "report md: systems by priority" grep -q '^## 情報システムと復旧優先度' "$T/report.md"
"$KZ" plan report --format html >"$T/report.html"
check "report html: meta charset" grep -q '<meta charset="utf-8">' "$T/report.html"
check "report html: Japanese headings" grep -q '<h2>計画の概要</h2>' "$T/report.html"
if grep -Eiq '(src|href)[[:space:]]*=[[:space:]]*["'\'']?(https?:)?//' "$T/report.html" ||
    grep -Eiq '<link|<script' "$T/report.html"; then
	nok "report html loads external assets"
else
	ok "report html is self-contained"
fi
expect_eq "report --json names its format" "$("$KZ" --json plan report --format html | jq -r '.format')" "html"
expect_rc "report in an unknown format exits 1" 1 "$KZ" plan report --format pdf

# Reload: the config's plan is imported again only when its file changed.
expect_rc "reload" 0 "$KZ" reload
expect_eq "unchanged file: no new revision" "$(revs)" 2
sed -i 's/（第3版）/（第4版）/' "$T/plan.yaml"
expect_rc "reload after editing the plan" 0 "$KZ" reload
expect_eq "changed file: a new revision" "$(revs)" 3
check "the edited plan is in force" sh -c "'$KZ' plan report | grep -q '第4版'"
expect_rc "reload again" 0 "$KZ" reload
expect_eq "no further revision" "$(revs)" 3
sed -i 's/review_every: 1y/review_every: 1x/' "$T/plan.yaml"
"$KZ" reload >/dev/null 2>&1
expect_eq "a broken config plan stores nothing" "$(revs)" 3
st=$("$KZ" --json status)
expect_eq "status shows its error as FILE:LINE:COL" "$(echo "$st" | jq --arg p "$T/plan.yaml:" 'any(.load_errors[]; startswith($p) and contains("bad duration"))')" "true"
expect_eq "and that the previous plan is kept" "$(echo "$st" | jq 'any(.load_errors[]; contains("keeping the previous plan in force"))')" "true"
check "the previous plan is still in force" sh -c "'$KZ' plan report | grep -q '第4版'"

# Restart with the broken file: the latest stored revision is in force.
stop_kzd
start_kzd || exit 1
expect_eq "restart: no new revision" "$(revs)" 3
check "restart: the stored plan is in force" sh -c "'$KZ' plan report | grep -q '第4版'"
st=$("$KZ" --json status)
expect_eq "restart: status shows the file's error" "$(echo "$st" | jq 'any(.load_errors[]; contains("bad duration"))')" "true"
expect_eq "and which stored revision is in force" "$(echo "$st" | jq 'any(.load_errors[]; contains("keeping the stored plan (revision 3) in force"))')" "true"
sed -i 's/review_every: 1x/review_every: 1y/' "$T/plan.yaml"
expect_rc "reload with the file fixed" 0 "$KZ" reload
expect_eq "fixed back to the imported text: no new revision" "$(revs)" 3
expect_eq "and no load errors" "$("$KZ" --json status | jq -c '.load_errors')" "[]"
stop_kzd
expect_eq "keizokud stopped cleanly" "${KZD_RC:-1}" 0
[ "$_failed" -eq 0 ]
