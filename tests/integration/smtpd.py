#!/usr/bin/python3
"""A real SMTP server for the e-mail tests (aiosmtpd from Debian).

Writes one JSON line per message to --log: the envelope (mail_from,
rcpt_tos), the raw message, and what a mail client shows: the decoded
Subject, From, To and body. --tls CERT KEY offers STARTTLS; --auth U:P
requires AUTH (only after STARTTLS when --tls is given). --fail N answers
451 to the first N messages (the outbox retries)."""
import argparse, asyncio, email, email.header, email.policy, json, ssl, sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--log", required=True)
ap.add_argument("--ready", required=True)
ap.add_argument("--tls", nargs=2)
ap.add_argument("--auth")
ap.add_argument("--fail", type=int, default=0)
a = ap.parse_args()
failures = [a.fail]


class Handler:
    async def handle_DATA(self, server, session, envelope):
        if failures[0] > 0:
            failures[0] -= 1
            return "451 4.3.0 try again later"
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",))
        rec = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "subject": str(msg["Subject"]),
            "from": str(msg["From"]),
            "to": str(msg["To"]),
            "message_id": str(msg["Message-ID"]),
            "headers": [k for k in msg.keys()],
            "raw_headers": raw.split(b"\r\n\r\n", 1)[0].decode("ascii", "replace"),
            "body": body.get_content() if body is not None else "",
            "tls": session.ssl is not None,
            "auth": session.authenticated,
        }
        with open(a.log, "a", encoding="utf-8") as f:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
        return "250 OK"


def authenticator(server, session, envelope, mechanism, auth_data):
    user, pw = a.auth.split(":", 1)
    ok = isinstance(auth_data, LoginPassword) and \
        auth_data.login.decode() == user and auth_data.password.decode() == pw
    return AuthResult(success=ok)


kw = {}
if a.tls:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(a.tls[0], a.tls[1])
    kw["tls_context"] = ctx
    kw["require_starttls"] = True
if a.auth:
    kw["authenticator"] = authenticator
    kw["auth_required"] = True
    kw["auth_require_tls"] = bool(a.tls)
c = Controller(Handler(), hostname="127.0.0.1", port=a.port, **kw)
c.start()
open(a.ready, "w").close()
try:
    asyncio.get_event_loop().run_forever() if False else __import__("signal").pause()
except KeyboardInterrupt:
    pass
c.stop()
