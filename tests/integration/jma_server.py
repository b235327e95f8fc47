#!/usr/bin/python3
"""A stand-in for JMA's XML feed server, for the JMA source tests.

    jma_server.py DIR

Serves DIR/feed.xml at /feed.xml (and DIR/long.xml at /long.xml, the
backfill feed) with an ETag and Last-Modified, answering 304 to a
matching If-None-Match, and DIR/docs/NAME at /data/NAME. Its behaviour
for the feeds is read from DIR/mode at each request:

    ok       serve normally (the default)
    500      answer 500 Internal Server Error
    garbage  answer 200 with a body that is not XML
    hang     accept and never answer (until the client gives up: each
             held request is logged in DIR/held.log as "HOLD PATH" and,
             once the client has closed the connection, "GONE PATH")
    304      answer 304 Not Modified whatever was asked

Every request is appended to DIR/requests.log as "METHOD PATH INM" (INM:
the If-None-Match header or -), so that tests can count fetches. Binds
127.0.0.1 on a free port and writes it to DIR/port once listening.
"""
import hashlib
import http.server
import os
import sys
import threading
import time

D = sys.argv[1]


def read(name):
    try:
        with open(os.path.join(D, name), "rb") as f:
            return f.read()
    except OSError:
        return None


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def held(self, what):
        with open(os.path.join(D, "held.log"), "a") as f:
            f.write("%s %s\n" % (what, self.path))

    def do_GET(self):
        inm = self.headers.get("If-None-Match") or "-"
        with open(os.path.join(D, "requests.log"), "a") as f:
            f.write("%s %s %s\n" % (self.command, self.path, inm))
        if self.path.startswith("/data/"):
            body = read(os.path.join("docs", os.path.basename(self.path)))
            if body is None:
                return self.send(404, b"no such document")
            return self.send(200, body, [("Content-Type", "application/xml")])
        if self.path not in ("/feed.xml", "/long.xml"):
            return self.send(404, b"not found")
        mode = (read("mode") or b"ok").strip().decode()
        if mode == "hang":
            self.held("HOLD")
            try:
                while self.connection.recv(4096):
                    pass
            except OSError:
                pass
            self.held("GONE")
            self.close_connection = True
            return None
        if mode == "500":
            return self.send(500, b"internal error")
        if mode == "garbage":
            return self.send(200, b"<<<not xml at all",
                             [("Content-Type", "application/xml")])
        body = read(self.path[1:]) or b""
        etag = '"%s"' % hashlib.sha256(body).hexdigest()[:16]
        if mode == "304" or inm == etag:
            return self.send(304, b"", [("ETag", etag)])
        return self.send(200, body, [
            ("Content-Type", "application/atom+xml"), ("ETag", etag),
            ("Last-Modified", "Wed, 18 Nov 2026 00:00:00 GMT")])


class S(http.server.ThreadingHTTPServer):
    daemon_threads = True


srv = S(("127.0.0.1", 0), H)
with open(os.path.join(D, "port.tmp"), "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(os.path.join(D, "port.tmp"), os.path.join(D, "port"))
threading.Thread(target=srv.serve_forever, daemon=True).start()
try:
    while True:
        time.sleep(3600)
except KeyboardInterrupt:
    pass
