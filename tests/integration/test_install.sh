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
    share/keizoku/runbooks/dc-failover.yaml; do
	check "installs $f" test -s "$T/root/opt/kz/$f"
done
check "the unit starts the installed binary" grep -q '^ExecStart=/opt/kz/sbin/keizokud ' "$T/root/opt/kz/lib/systemd/system/keizokud.service"
check "installed binaries run" "$T/root/opt/kz/sbin/keizokud" -V
check "man pages render" sh -c "man -l '$T/root/opt/kz/share/man/man1/keizoku.1' >/dev/null 2>&1 || test -s '$T/root/opt/kz/share/man/man1/keizoku.1'"
exit $_failed
