#!/usr/bin/env python3
"""A recording HTTP sink for integration tests.

Every request is appended to the log file as one JSON line:
  {"t": unix time, "method", "path", "headers": {lower-case name: value},
   "body": text, "status": what it answered (0: hung up without one)}
It verifies nothing itself: tests read the log and check what they need
(Standard Webhooks signatures with hmac, for instance).

Behaviour per path prefix (the longest matching prefix wins), counting
attempts per path, or per webhook-id with --each:
  --fail PATH=N          answer 500 to the first N attempts
  --r429 PATH=N:SECONDS  answer 429 with Retry-After: SECONDS to the first N
  --r503 PATH=N:SECONDS  the same with 503
  --hang PATH=N          hold the first N attempts without an answer
                         (until the client gives up); N may be "all"
  --hang-after PATH=N    answer the first N attempts, hold every later one
  --delay PATH=MS        wait MS before answering (every attempt)
Usage: sink.py --port P --log FILE [--ready FILE] [--each] [rules...]
The ready file receives the port once the socket listens.
"""
import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
counts = {}
rules = {}
args = None
stop = threading.Event()


def parse_rule(kind, spec):
    path, _, val = spec.partition("=")
    r = rules.setdefault(path, {})
    if kind in ("r429", "r503"):
        n, _, secs = val.partition(":")
        r[kind] = (int(n), secs or "1")
    elif kind == "hang":
        r[kind] = 10 ** 9 if val == "all" else int(val)
    elif kind == "hang_after":
        r[kind] = int(val)
    else:
        r[kind] = int(val)


def rule_for(path):
    best = None
    for p in rules:
        if path.startswith(p) and (best is None or len(p) > len(best)):
            best = p
    return rules.get(best, {}) if best is not None else {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def record(self, body, status):
        rec = {"t": time.time(), "method": self.command, "path": self.path,
               "headers": {k.lower(): v for k, v in self.headers.items()},
               "body": body.decode("utf-8", "replace"), "status": status}
        with lock:
            with open(args.log, "a", encoding="utf-8") as f:
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")

    def answer(self, status, extra=None, text=b"ok"):
        try:
            self.send_response(status)
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)
        except OSError:
            # The client gave up (timeout, or it was killed).
            self.close_connection = True

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n > 0 else b""
        rule = rule_for(self.path)
        key = self.path
        if args.each:
            key += "#" + (self.headers.get("webhook-id") or body.decode(
                "utf-8", "replace"))
        with lock:
            counts[key] = counts.get(key, 0) + 1
            attempt = counts[key]
        if attempt <= rule.get("hang", 0) or \
                attempt > rule.get("hang_after", 10 ** 18):
            self.record(body, 0)
            # Hold the connection until the client gives up or we stop.
            stop.wait(600)
            self.close_connection = True
            return
        if "delay" in rule:
            time.sleep(rule["delay"] / 1000.0)
        for kind, code in (("r429", 429), ("r503", 503)):
            if kind in rule and attempt <= rule[kind][0]:
                self.record(body, code)
                self.answer(code, {"Retry-After": rule[kind][1]},
                            b"slow down")
                return
        if attempt <= rule.get("fail", 0):
            self.record(body, 500)
            self.answer(500, text="シンク: 失敗 %d\n".encode() % attempt)
            return
        self.record(body, 200)
        self.answer(200)

    do_POST = handle_any
    do_PUT = handle_any
    do_GET = handle_any


def main():
    global args
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--log", required=True)
    ap.add_argument("--ready")
    ap.add_argument("--each", action="store_true")
    kinds = ("fail", "r429", "r503", "hang", "hang_after", "delay")
    for k in kinds:
        ap.add_argument("--" + k.replace("_", "-"), dest=k, action="append",
                        default=[])
    args = ap.parse_args()
    for k in kinds:
        for spec in getattr(args, k):
            parse_rule(k, spec)
    ThreadingHTTPServer.daemon_threads = True
    # A client that vanishes mid-request is part of the tests.
    ThreadingHTTPServer.handle_error = lambda self, req, addr: None
    ThreadingHTTPServer.request_queue_size = 1024
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    if args.ready:
        with open(args.ready + ".tmp", "w") as f:
            f.write(str(srv.server_address[1]))
        import os
        os.rename(args.ready + ".tmp", args.ready)
    try:
        srv.serve_forever(poll_interval=0.05)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
    return 0


if __name__ == "__main__":
    sys.exit(main())
