"""A real SMTP server for Gatehouse's tests: aiosmtpd on a loopback port.

Prints {"ready": port} once it listens, then one JSON line per message it
accepts: envelope, raw header block, and both bodies decoded by Python's own
email parser (a second opinion on what Gatehouse put on the wire).

    python3 tests/api/support/smtp_sink.py --port 2525 [--user U --password P]
"""

import argparse
import json
import sys
import threading
import warnings
from email import policy
from email.parser import BytesParser

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Sink:
    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        message = BytesParser(policy=policy.default).parsebytes(raw)
        text = message.get_body(("plain",))
        html = message.get_body(("html",))
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "raw_headers": raw.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace"),
            "headers": [[k, str(v)] for k, v in message.items()],
            "text": text.get_content() if text else None,
            "html": html.get_content() if html else None,
            "authenticated_as": (
                session.auth_data.login.decode() if getattr(session.auth_data, "login", None) else None
            ),
        }
        print(json.dumps(record), flush=True)
        return "250 Message accepted for delivery"


def main():
    # aiosmtpd warns that AUTH without TLS is unsafe: true, and on loopback
    # in a test, intended.
    warnings.filterwarnings("ignore")
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--user")
    parser.add_argument("--password")
    args = parser.parse_args()

    options = {}
    if args.user:
        def authenticate(server, session, envelope, mechanism, auth_data):
            ok = auth_data.login == args.user.encode() and auth_data.password == args.password.encode()
            return AuthResult(success=ok, auth_data=auth_data)

        options = {
            "authenticator": authenticate,
            "auth_required": True,
            # Loopback only: the tests speak plain SMTP.
            "auth_require_tls": False,
        }
    controller = Controller(Sink(), hostname="127.0.0.1", port=args.port, **options)
    controller.start()
    print(json.dumps({"ready": args.port}), flush=True)
    # Runs until the test kills it.
    threading.Event().wait()


if __name__ == "__main__":
    sys.exit(main())
