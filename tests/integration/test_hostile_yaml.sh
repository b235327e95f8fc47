#!/bin/bash
# Issue 18, item 8: hostile YAML is refused while it is parsed, with a
# position, at a cost linear in its size: nesting past 64 levels, a map
# of 40,000 keys with a duplicate, an alias bomb, a file over 4 MiB, a
# runbook of more than 1,000 steps. A reload that meets them keeps the
# previous version in force, and /healthz answers throughout.
. "$(dirname "$0")/lib.sh"
. "$KZ_TOP/tests/fixtures/http/lib-http.sh"
PY=/usr/bin/python3
KZA=$KZ_BUILD/tools/kzattack
write_config
cat >"$T/runbooks/r.yaml" <<'YAML'
runbook: r
title: 正常 / Fine
steps:
  - {id: a, title: 確認}
YAML
mkdir -p "$T/hostile"
$PY - "$T/hostile" <<'PY'
import os, sys
d = sys.argv[1]
def w(name, text):
    open(os.path.join(d, name), "w").write(text)
w("nest.yaml", "runbook: nest\nsteps: " + "[" * 40000 + "]" * 40000 + "\n")
w("keys.yaml", "runbook: keys\nvars:\n" + "".join("  k%d: v\n" % i for i in range(40000)) + "  k5: again\nsteps:\n  - {id: a}\n")
laughs = ["runbook: lol", "vars:", "  a: &a [x, x, x, x, x, x, x, x, x, x]"]
for i in range(1, 9):
    laughs.append("  l%d: &l%d [%s]" % (i, i, ", ".join(["*%s" % ("a" if i == 1 else "l%d" % (i - 1))] * 10)))
w("lol.yaml", "\n".join(laughs) + "\nsteps:\n  - {id: a}\n")
w("huge.yaml", "runbook: huge\nsteps:\n  - {id: a}\nvars:\n  pad: \"" + "x" * (4 * 1024 * 1024) + "\"\n")
w("steps.yaml", "runbook: steps\nsteps:\n" + "".join("  - {id: s%d}\n" % i for i in range(1001)))
PY
# check FILE EXPECTED: keizokud -t on a config whose runbooks are just FILE.
t_check() {
	rm -rf "$T/one"; mkdir -p "$T/one"; cp "$T/hostile/$1" "$T/one/"
	sed "s|^runbooks: runbooks|runbooks: one|" "$T/keizokud.yaml" >"$T/one.yaml"
	expect_rc "$1 is refused by keizokud -t" 1 "$KZD" -t -c "$T/one.yaml"
	check "$1: $2" grep -q "$2" "$T/out" "$T/err"
}
t_check nest.yaml "nest.yaml:2:[0-9]*: nesting too deep"
t_check keys.yaml "keys.yaml:40003:3: duplicate key \"k5\" (first at line 8)"
t_check lol.yaml "lol.yaml:[0-9]*:[0-9]*: document too large (alias expansion?)"
t_check huge.yaml "huge.yaml:0:0: file too large ([0-9]* bytes; at most 4194304)"
t_check steps.yaml "steps.yaml:3:3: 1001 steps; a runbook has at most 1000"

# The same on a reload, while /healthz is asked every 10 ms.
start_kzd || exit 1
cp "$T/hostile/"*.yaml "$T/runbooks/"
kill -HUP "$KZD_PID" &
for i in $(seq 40); do
	set -- $("$KZA" get "$HTTP_PORT" /healthz 30000)
	[ "$1" = 200 ] || { nok "/healthz during the reload answered $1"; break; }
done
[ "${1:-}" = 200 ] && ok "/healthz answered throughout the reload"
"$KZ" --json status >"$T/status"
for f in nest keys lol huge steps; do
	check "status shows the load error of $f.yaml" grep -q "$f.yaml" "$T/status"
done
expect_eq "the valid runbook is still loaded" "$("$KZ" --json runbooks | jq -r '[.[].id] | join(",")')" r
expect_rc "and works" 0 "$KZ" activate r
stop_clean
