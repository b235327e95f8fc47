#!/bin/bash
# Issue 9, item 2: kill -9 at random moments under load, 50 times, then
# the invariants: every acknowledged change on disk, every queued
# notification delivered, every timer fired, keizoku verify and
# PRAGMA integrity_check clean. See tests/fault/crash.py; it prints its
# seed: KZ_CRASH_SEED=S replays the same choices, KZ_CRASH_KILLS=N sets
# the number of kills. On failure its directory (logs, database) is kept.
: "${KZ_BUILD:?set KZ_BUILD (make test does)}"
top=$(cd "$(dirname "$0")/../.." && pwd)
# /usr/bin/python3 starts fast; python3 on PATH may be a slow shim.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
exec "$PY" "$top/tests/fault/crash.py" --build "$KZ_BUILD" \
    --kills "${KZ_CRASH_KILLS:-50}" ${KZ_CRASH_SEED:+--seed "$KZ_CRASH_SEED"}
