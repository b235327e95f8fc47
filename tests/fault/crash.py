#!/usr/bin/env python3
"""kill -9 harness for keizokud (issue 9, item 2).

Runs a load of activations (the keizoku CLI), inbound triggers (POST
/v1/hooks/json, a json-format source with bearer auth), step acks and
dones (the CLI), notifications (a webhook channel to tests/integration/
sink.py) and timers (a wait step, a step timeout) against a keizokud, and
SIGKILLs the daemon at random moments, restarting it each time. Every
reply that acknowledged something (CLI exit 0, HTTP 2xx) is recorded
with what it acknowledged. At the end, with the daemon up once more and
the load stopped, it waits for the work to settle and checks:

  - every acknowledged activation, trigger, ack and done is on disk;
  - every queued notification was delivered at least once (its
    webhook-id reached the sink with a 200) and is marked delivered;
    each incident has the notification of its notify step;
  - every timer fired: no timer is overdue, every wait step is done and
    every timed-out step skipped;
  - keizoku verify passes; SIGTERM exits 0; PRAGMA integrity_check and
    foreign_key_check are clean (database opened read-only).

Prints TAP lines ("ok N - ...", "not ok N - ...") and exits non-zero on
any failure. The seed is printed; --seed replays the same choices (the
timing of the daemon still varies).

  crash.py [--build DIR] [--kills N] [--seed S] [--max-delay MS]
           [--long-every N] [--workers N] [--dir DIR] [--keep]
           [--budget SECONDS]

Each kill comes a random 0..max-delay ms (default 300) after the daemon
answers; one in ten comes during start-up instead, and every
long-every-th run (default 8) lasts 1-2.5 s so that timers also fire and
deliveries are retried in a running daemon before it is killed.
"""
import argparse
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

TOKEN = "crash-token-東京-0123456789"
SOURCE = "json"

RUNBOOK = """\
runbook: work
title: 障害対応（クラッシュ試験） / Crash-test work
owner: role:it-lead
activation:
  - source: json
    match: {kind: work}
    key: "{{trigger.n}}"
    window: 1h
steps:
  - {id: a, title: 一次確認 / First check, assign: role:operator}
  - id: tell
    title: 関係者へ連絡 / Tell everyone
    type: notify
    with: {text: "障害 #{{incident.id}} が発生しました / incident {{incident.id}}"}
  - {id: pause, title: 待機 / Wait, type: wait, with: {duration: 1s}}
  - {id: b, title: 期限付き確認 / Timed check, assign: role:operator, timeout: 2s, on_timeout: skip}
  - id: after
    title: 完了連絡 / Tell it is done
    needs: [a]
    type: notify
    with: {text: "一次確認 完了 #{{incident.id}} / first check done"}
"""

ROSTER = """\
members:
  - {id: tanaka, name: 田中 太郎, unix_user: "1101"}
  - {id: sato, name: 佐藤 次郎, unix_user: "1103"}
  - {id: ito, name: 伊藤 一郎, unix_user: "1105"}
roles:
  - {id: it-lead, title: 情報システム責任者, members: [tanaka]}
  - {id: operator, title: 担当者, members: [sato, ito]}
"""

CONFIG = """\
state_dir: state
runbooks: runbooks
plugins: {plugins}
roster: roster.yaml
admins: [root]
control: {{socket: keizoku.sock, mode: "0666"}}
http: {{listen: "127.0.0.1:{http_port}"}}
sources:
  json:
    format: json
    auth: {{bearer: "env:KZ_CRASH_TOKEN"}}
channels:
  sink: {{type: webhook, url: "http://127.0.0.1:{sink_port}/n", retry: [1s], timeout: 5s}}
"""


def free_port():
    """A port below the kernel's ephemeral range (no outgoing connection
    takes it meanwhile) that nothing is bound to now."""
    rng = random.SystemRandom()
    while True:
        port = rng.randrange(20000, 32000)
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            s.close()
        return port


class Tap:
    """TAP lines; remembers whether anything failed."""

    def __init__(self):
        self.n = 0
        self.failed = 0

    def check(self, cond, what, detail=None):
        self.n += 1
        if cond:
            print(f"ok {self.n} - {what}", flush=True)
        else:
            self.failed += 1
            print(f"not ok {self.n} - {what}", flush=True)
            for line in (detail or "").splitlines()[:40]:
                print(f"# {line}", flush=True)
        return cond

    @staticmethod
    def note(msg):
        print(f"# {msg}", flush=True)


class Ledger:
    """What the daemon acknowledged, and the incidents to work on."""

    def __init__(self):
        self.lock = threading.Lock()
        self.activations = []   # (incident, note)
        self.hooks = []         # (n, kind, incidents)
        self.acks = []          # incident
        self.dones = []         # incident
        self.pool = {}          # incident -> "new" | "acked" | "unsure"
        self.counts = {}        # (op, outcome) -> n

    def count(self, op, outcome):
        with self.lock:
            k = (op, outcome)
            self.counts[k] = self.counts.get(k, 0) + 1

    def add_incident(self, inc):
        with self.lock:
            self.pool.setdefault(inc, "new")

    def pick(self, rng):
        with self.lock:
            if not self.pool:
                return None, None
            inc = rng.choice(list(self.pool))
            return inc, self.pool[inc]

    def set_state(self, inc, state):
        with self.lock:
            if state is None:
                self.pool.pop(inc, None)
            else:
                self.pool[inc] = state


class Harness:
    def __init__(self, args):
        self.args = args
        self.build = os.path.abspath(args.build)
        self.kz = os.path.join(self.build, "keizoku")
        self.kzd = os.path.join(self.build, "keizokud")
        self.dir = args.dir or tempfile.mkdtemp(prefix="kz-crash.")
        self.state = os.path.join(self.dir, "state")
        self.db = os.path.join(self.state, "keizoku.db")
        self.sock = os.path.join(self.dir, "keizoku.sock")
        self.log = os.path.join(self.dir, "kzd.log")
        self.sink_log = os.path.join(self.dir, "sink.log")
        self.http_port = free_port()
        self.env = dict(os.environ, KEIZOKU_SOCKET=self.sock,
                        KZ_CRASH_TOKEN=TOKEN)
        for k in ("KEIZOKU_URL", "KEIZOKU_TOKEN"):
            self.env.pop(k, None)
        self.proc = None
        self.sink = None
        self.stop = threading.Event()
        self.ledger = Ledger()
        self.tap = Tap()
        self.seq = 0
        self.seq_lock = threading.Lock()
        self.restarts = 0
        self.kills = 0

    # ---- set-up ----

    def write_files(self, sink_port):
        os.makedirs(os.path.join(self.dir, "runbooks"), exist_ok=True)
        os.makedirs(self.state, exist_ok=True)
        os.chmod(self.dir, 0o755)
        with open(os.path.join(self.dir, "runbooks", "work.yaml"), "w",
                  encoding="utf-8") as f:
            f.write(RUNBOOK)
        with open(os.path.join(self.dir, "roster.yaml"), "w",
                  encoding="utf-8") as f:
            f.write(ROSTER)
        with open(os.path.join(self.dir, "keizokud.yaml"), "w",
                  encoding="utf-8") as f:
            f.write(CONFIG.format(plugins=os.path.join(self.build, "plugins"),
                                  http_port=self.http_port,
                                  sink_port=sink_port))

    def start_sink(self):
        here = os.path.dirname(os.path.abspath(__file__))
        sink = os.path.join(here, "..", "integration", "sink.py")
        ready = os.path.join(self.dir, "sink.ready")
        self.sink = subprocess.Popen(
            [sys.executable, sink, "--port", "0", "--log", self.sink_log,
             "--ready", ready], stdin=subprocess.DEVNULL)
        for _ in range(200):
            if os.path.exists(ready):
                with open(ready) as f:
                    return int(f.read())
            time.sleep(0.05)
        raise RuntimeError("the sink did not start")

    # ---- the daemon ----

    def spawn(self):
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [self.kzd, "-c", os.path.join(self.dir, "keizokud.yaml")],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                env=self.env)
        self.restarts += 1

    def ready(self, timeout=30.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                return False
            r = subprocess.run([self.kz, "status"], env=self.env,
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
            if r.returncode == 0:
                return True
            time.sleep(0.02)
        return False

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.kills += 1

    def terminate(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return "hung"

    def log_tail(self, n=40):
        try:
            with open(self.log, encoding="utf-8", errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    # ---- the load ----

    def uid(self):
        with self.seq_lock:
            self.seq += 1
            return f"u{self.args.seed}-{self.seq}"

    def cli(self, *argv):
        try:
            r = subprocess.run([self.kz, *argv], env=self.env,
                               capture_output=True, timeout=20)
        except subprocess.TimeoutExpired:
            return 124, "", "timeout"
        return (r.returncode, r.stdout.decode("utf-8", "replace"),
                r.stderr.decode("utf-8", "replace"))

    def op_activate(self):
        note = f"クラッシュ試験 {self.uid()}"
        rc, out, _ = self.cli("--json", "activate", "work", "--note", note)
        if rc != 0:
            self.ledger.count("activate", "refused" if rc == 1 else
                              "unreachable")
            return rc
        inc = json.loads(out)["incident"]
        with self.ledger.lock:
            self.ledger.activations.append((inc, note))
        self.ledger.add_incident(inc)
        self.ledger.count("activate", "acknowledged")
        return 0

    def op_hook(self, rng):
        n = self.uid()
        kind = "work" if rng.random() < 0.8 else "other"
        body = json.dumps({"kind": kind, "n": n,
                           "message": f"監視からの通知 {n}"},
                          ensure_ascii=False).encode()
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.http_port}/v1/hooks/{SOURCE}",
            data=body, method="POST",
            # The token is UTF-8: bytes, or http.client sends latin-1.
            headers={"Authorization": f"Bearer {TOKEN}".encode(),
                     "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=20) as r:
                status, reply = r.status, r.read()
        except urllib.error.HTTPError as e:
            self.ledger.count("hook", f"http {e.code}")
            return 1
        except (OSError, ValueError):
            self.ledger.count("hook", "unreachable")
            return 3
        if not 200 <= status < 300:
            self.ledger.count("hook", f"http {status}")
            return 1
        incs = json.loads(reply)["incidents"]
        with self.ledger.lock:
            self.ledger.hooks.append((n, kind, incs))
        for inc in incs:
            self.ledger.add_incident(inc)
        self.ledger.count("hook", "acknowledged")
        return 0

    def op_step(self, rng):
        inc, state = self.ledger.pick(rng)
        if inc is None:
            return self.op_activate()
        verb = "ack" if state == "new" else "done"
        rc, _, _ = self.cli(verb, str(inc), "a")
        if rc == 0:
            with self.ledger.lock:
                (self.ledger.acks if verb == "ack" else
                 self.ledger.dones).append(inc)
            self.ledger.set_state(inc, "acked" if verb == "ack" else None)
            self.ledger.count(verb, "acknowledged")
        elif rc == 1:
            # Refused: an ack cut off by a kill may have been committed
            # (then a second ack conflicts); try done next.
            self.ledger.set_state(inc, "unsure" if verb == "ack" else None)
            self.ledger.count(verb, "refused")
        else:
            self.ledger.count(verb, "unreachable")
        return rc

    def worker(self, i):
        rng = random.Random(self.args.seed * 1000 + i)
        while not self.stop.is_set():
            r = rng.random()
            if i == 0 or r < 0.3:
                rc = self.op_hook(rng)
            elif r < 0.6:
                rc = self.op_activate()
            else:
                rc = self.op_step(rng)
            if rc not in (0, 1):
                time.sleep(0.01)   # the daemon is down

    # ---- the run ----

    def kill_loop(self, rng):
        a = self.args
        deadline = time.monotonic() + a.budget
        cycle = 0
        while self.kills < a.kills:
            if time.monotonic() > deadline:
                self.tap.note(f"time budget spent after {self.kills} kills")
                break
            self.spawn()
            cycle += 1
            # One kill in ten lands during start-up (overdue timers
            # firing, the outbox resuming); the rest after it answers.
            if rng.random() >= 0.1 and not self.ready():
                return False
            # Every long_every-th run lasts long enough for timers to
            # fall due and deliveries to be retried while it runs.
            if a.long_every and cycle % a.long_every == 0:
                delay = rng.uniform(1.0, 2.5)
            else:
                delay = rng.uniform(0, a.max_delay / 1000.0)
            time.sleep(delay)
            self.kill9()
        return True

    def settle(self, timeout=60.0):
        """Waits until nothing is pending: deliveries, timers, steps."""
        end = time.monotonic() + timeout
        last = None
        while time.monotonic() < end:
            try:
                con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True,
                                      timeout=5)
                try:
                    now = int(time.time() * 1000)
                    pending = con.execute(
                        "SELECT count(*) FROM notifications WHERE state "
                        "!= 'delivered'").fetchone()[0]
                    overdue = con.execute(
                        "SELECT count(*) FROM timers WHERE due <= ?",
                        (now,)).fetchone()[0]
                    waiting = con.execute(
                        "SELECT count(*) FROM steps WHERE (id = 'pause' "
                        "AND state != 'done') OR (id = 'b' AND state NOT "
                        "IN ('skipped', 'done'))").fetchone()[0]
                finally:
                    con.close()
                last = (pending, overdue, waiting)
                if last == (0, 0, 0):
                    return True, last
            except sqlite3.Error as e:
                last = str(e)
            time.sleep(0.25)
        return False, last

    def run(self):
        a = self.args
        tap = self.tap
        tap.note(f"seed {a.seed} (replay with --seed {a.seed}); "
                 f"{a.kills} kills, delays 0-{a.max_delay} ms "
                 f"(every {a.long_every}th 1-2.5 s), "
                 f"{a.workers} workers; dir {self.dir}")
        t0 = time.monotonic()
        self.write_files(self.start_sink())
        rng = random.Random(a.seed)
        self.spawn()
        if not tap.check(self.ready(), "keizokud starts"):
            tap.note(self.log_tail())
            return
        threads = [threading.Thread(target=self.worker, args=(i,),
                                    daemon=True) for i in range(a.workers)]
        for t in threads:
            t.start()
        time.sleep(0.3)
        self.kill9()
        ok = self.kill_loop(rng)
        tap.check(ok, "keizokud came back after every kill -9",
                  self.log_tail())
        tap.check(self.kills >= a.kills,
                  f"{self.kills} kills with SIGKILL (wanted {a.kills})")
        self.spawn()
        up = self.ready()
        time.sleep(0.5)
        self.stop.set()
        for t in threads:
            t.join(timeout=30)
        if not tap.check(up, "keizokud starts after the last kill",
                         self.log_tail()):
            return
        tap.note(f"kill phase took {time.monotonic() - t0:.1f}s; "
                 f"outcomes: " + ", ".join(
                     f"{op} {out}: {n}" for (op, out), n in
                     sorted(self.ledger.counts.items())))
        settled, last = self.settle()
        tap.check(settled, "the work settles: every notification delivered,"
                  " no timer overdue, wait and timed steps finished",
                  f"pending/overdue/waiting: {last}")
        rc, out, err = self.cli("verify")
        tap.check(rc == 0, "keizoku verify passes", out + err)
        vj = self.cli("--json", "verify")[1]
        try:
            tap.note(f"audit log: {json.loads(vj)}")
        except ValueError:
            pass
        rc = self.terminate()
        tap.check(rc == 0, f"SIGTERM: keizokud exits 0 (got {rc})",
                  self.log_tail())
        self.check_disk()
        self.check_log()
        tap.note(f"total {time.monotonic() - t0:.1f}s, "
                 f"{self.restarts} starts")

    # ---- the invariants ----

    def sink_ids(self):
        ids = set()
        try:
            with open(self.sink_log, encoding="utf-8") as f:
                for line in f:
                    try:
                        r = json.loads(line)
                    except ValueError:
                        continue
                    if r.get("status") == 200:
                        ids.add(r["headers"].get("webhook-id"))
        except OSError:
            pass
        return ids

    def check_disk(self):
        tap, L = self.tap, self.ledger
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        q = lambda sql, *p: con.execute(sql, p).fetchall()
        try:
            ic = q("PRAGMA integrity_check")
            tap.check(ic == [("ok",)], "PRAGMA integrity_check is ok",
                      repr(ic[:10]))
            fk = q("PRAGMA foreign_key_check")
            tap.check(fk == [], "PRAGMA foreign_key_check is clean",
                      repr(fk[:10]))

            incs = {r[0]: r for r in q(
                "SELECT id, runbook, note, dedup_key, state FROM incidents")}
            bad = [(i, n) for i, n in L.activations
                   if i not in incs or incs[i][2] != n or
                   incs[i][1] != "work"]
            tap.check(L.activations and not bad,
                      f"all {len(L.activations)} acknowledged activations "
                      f"are on disk", f"missing or wrong: {bad[:20]}")

            trig = {}
            for n, status, inc in q(
                    "SELECT json_extract(doc, '$.n'), status, incident "
                    "FROM triggers WHERE source = ?", SOURCE):
                trig.setdefault(n, []).append((status, inc))
            bad = []
            for n, kind, got in L.hooks:
                rows = trig.get(n, [])
                if kind == "work":
                    want = [("matched", got[0])] if len(got) == 1 else None
                    if (want is None or rows != want or got[0] not in incs
                            or incs[got[0]][3] != n):
                        bad.append((n, got, rows))
                elif rows != [("unmatched", None)] or got:
                    bad.append((n, got, rows))
            tap.check(L.hooks and not bad,
                      f"all {len(L.hooks)} acknowledged triggers (202) are "
                      f"on disk with their incidents", f"bad: {bad[:20]}")

            steps = {(r[0], r[1]): r[2] for r in q(
                "SELECT incident, id, state FROM steps")}
            evs = set(q("SELECT incident, type FROM events WHERE step = 'a'"))
            bad = [i for i in L.acks if steps.get((i, "a")) not in
                   ("acked", "done") or (i, "step.acked") not in evs]
            tap.check(L.acks and not bad,
                      f"all {len(L.acks)} acknowledged acks are on disk",
                      f"bad: {bad[:20]}")
            bad = [i for i in L.dones if steps.get((i, "a")) != "done" or
                   (i, "step.done") not in evs]
            tap.check(L.dones and not bad,
                      f"all {len(L.dones)} acknowledged dones are on disk",
                      f"bad: {bad[:20]}")

            notes = q("SELECT id, incident, step, msg_id, state FROM "
                      "notifications")
            told = {(r[1], r[2]) for r in notes}
            bad = [i for i in incs if (i, "tell") not in told]
            tap.check(notes and not bad,
                      f"every incident ({len(incs)}) queued its notify "
                      f"step's notification", f"without: {bad[:20]}")
            bad = [i for i in L.dones if (i, "after") not in told]
            tap.check(not bad, "every acknowledged done queued the "
                      "notification of the step it unblocked",
                      f"without: {bad[:20]}")
            got = self.sink_ids()
            bad = [r for r in notes if r[4] != "delivered" or
                   r[3] not in got]
            tap.check(not bad,
                      f"every queued notification ({len(notes)}) was "
                      f"delivered at least once", f"not: {bad[:20]}")

            now = int(time.time() * 1000)
            overdue = q("SELECT incident, step, kind, due FROM timers "
                        "WHERE due <= ?", now)
            tap.check(not overdue, "no timer is left overdue",
                      repr(overdue[:20]))
            bad = [(k, s) for k, s in steps.items()
                   if (k[1] == "pause" and s != "done") or
                   (k[1] == "b" and s not in ("skipped", "done"))]
            tap.check(not bad, "every timer fired: each wait step is done "
                      "and each timed-out step skipped", repr(bad[:20]))
            evn, seqmax = q("SELECT count(*), max(seq) FROM events")[0]
            tap.check(evn == seqmax, f"the event log has no gaps "
                      f"({evn} events)", f"count {evn}, max seq {seqmax}")
        finally:
            con.close()

    def check_log(self):
        with open(self.log, encoding="utf-8", errors="replace") as f:
            text = f.read()
        bad = [m for m in ("AddressSanitizer", "LeakSanitizer",
                           "runtime error:", "fatal:") if m in text]
        self.tap.check(not bad, "no sanitizer report or fatal error in "
                       "keizokud's log", "found: " + ", ".join(bad))

    def cleanup(self):
        for p in (self.proc, self.sink):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
        if not self.args.keep and not self.tap.failed and \
                self.args.dir is None:
            shutil.rmtree(self.dir, ignore_errors=True)
        elif self.tap.failed or self.args.keep:
            self.tap.note(f"kept {self.dir}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.environ.get("KZ_BUILD", "build"))
    ap.add_argument("--kills", type=int, default=50)
    ap.add_argument("--seed", type=int,
                    default=int.from_bytes(os.urandom(4), "big"))
    ap.add_argument("--max-delay", type=int, default=300,
                    help="ms; each kill waits a random 0..max-delay")
    ap.add_argument("--long-every", type=int, default=8,
                    help="every Nth run lasts 1-2.5 s before its kill "
                    "(0: never)")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--dir", help="work here (default: a new temp dir)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the directory even when all passed")
    # A guard against a hang, not a speed limit: a loaded machine (or
    # the sanitizers) may need minutes for the 50 restarts.
    ap.add_argument("--budget", type=float, default=400,
                    help="seconds for the kill phase at most")
    args = ap.parse_args()
    # A timeout's SIGTERM: clean up (the daemon, the sink) all the same.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    h = Harness(args)
    try:
        h.run()
    except Exception as e:  # report, do not hide the daemon's log
        h.tap.check(False, f"the harness failed: {e!r}", h.log_tail())
    finally:
        h.cleanup()
    print(f"1..{h.tap.n}")
    return 1 if h.tap.failed else 0


if __name__ == "__main__":
    sys.exit(main())
