#!/bin/bash
# make install honours PREFIX and DESTDIR and installs binaries, plugins,
# man pages, systemd units and the examples.
. "$(dirname "$0")/lib.sh"
make -s -C "$KZ_TOP" install BUILD="$KZ_BUILD" DESTDIR="$T/root" PREFIX=/opt/kz >"$T/install.log" 2>&1
check "make install succeeds" test $? -eq 0
for f in sbin/keizokud bin/keizoku lib/keizoku/plugins/exec.so \
    lib/keizoku/plugins/webhook.so lib/keizoku/plugins/http_check.so \
    include/keizoku/keizoku-plugin.h share/man/man1/keizoku.1 \
    share/man/man5/keizoku-runbook.5 share/man/man8/keizokud.8 \
    lib/systemd/system/keizokud.service lib/sysusers.d/keizoku.conf \
    lib/tmpfiles.d/keizoku.conf share/keizoku/examples/keizokud.yaml \
    share/keizoku/runbooks/dc-failover.yaml \
    share/man/man5/keizokud.yaml.5 share/man/man5/keizoku-roster.5 \
    share/man/man5/keizoku-scenario.5 share/doc/keizoku/api.md \
    share/keizoku/examples/roster.yaml share/keizoku/examples/plan.yaml \
    share/keizoku/examples/alertmanager-v4.json \
    share/keizoku/examples/grafana-v1.json \
    share/keizoku/examples/p2pquake-551.json \
    share/keizoku/runbooks/scenarios/tokyo-quake.yaml; do
	check "installs $f" test -s "$T/root/opt/kz/$f"
done
check "the unit starts the installed binary" grep -q '^ExecStart=/opt/kz/sbin/keizokud ' "$T/root/opt/kz/lib/systemd/system/keizokud.service"
check "installed binaries run" "$T/root/opt/kz/sbin/keizokud" -V
check "man pages render" sh -c "man -l '$T/root/opt/kz/share/man/man1/keizoku.1' >/dev/null 2>&1 || test -s '$T/root/opt/kz/share/man/man1/keizoku.1'"
for f in share/man/man5/keizokud.yaml.5 share/man/man5/keizoku-roster.5 \
    share/man/man5/keizoku-scenario.5; do
	check "$f renders without warnings" sh -c "groff -k -mandoc -Tutf8 -ww -z '$T/root/opt/kz/$f' 2>&1 | grep -c . | grep -qx 0"
done

# Issue 14, item 11: the installed example configuration runs as
# installed: its paths are those of the installed layout (plugins,
# runbooks, scenarios under PREFIX), so keizokud -t accepts it with the
# secrets it reads from the environment set.
make -s -C "$KZ_TOP" install BUILD="$KZ_BUILD" PREFIX="$T/prefix" >"$T/install2.log" 2>&1
check "make install PREFIX=... (no DESTDIR) succeeds" test $? -eq 0
conf="$T/prefix/share/keizoku/examples/keizokud.yaml"
check "the installed config names the installed plugins" grep -q "^plugins: $T/prefix/lib/keizoku/plugins" "$conf"
check "nothing in it points into the source tree" sh -c "! grep -E '^[a-z_]+: \.\./|socket: \.\./' '$conf'"
expect_rc "keizokud -t accepts the installed config as installed" 0 env \
    KEIZOKU_AM_TOKEN=t KEIZOKU_GRAFANA_SECRET=g KEIZOKU_WEB_SECRET=web-secret-0123456789 \
    KEIZOKU_QUAKE_SECRET="whsec_$(printf 'quake-demo-key-0123456789' | base64)" \
    "$T/prefix/sbin/keizokud" -t -c "$conf"
check "with every shipped runbook" grep -q "($(ls "$KZ_TOP"/runbooks/*.yaml | wc -l) runbooks)" "$T/err"
exit $_failed
