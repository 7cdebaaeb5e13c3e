"""A real SMTP server for Gatehouse's tests: aiosmtpd on a loopback port.

Binds a free port of its own choosing (no other process can take it between
choosing and binding), prints {"ready": port} once it listens, then one JSON
line per message it accepts: envelope, raw header block, and both bodies
decoded by Python's own email parser (a second opinion on what Gatehouse put
on the wire).

With --down-first it prints {"down": port} and holds the port bound but not
listening, so connections are refused as by a server that is down, until a
line arrives on stdin; then it listens and prints {"ready": port}.

    python3 tests/api/support/smtp_sink.py [--down-first] [--user U --password P]
"""

import argparse
import asyncio
import json
import socket
import sys
import warnings
from email import policy
from email.parser import BytesParser

from aiosmtpd.smtp import SMTP, AuthResult


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


def announce(state, port):
    print(json.dumps({state: port}), flush=True)


async def serve(args):
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
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    loop = asyncio.get_running_loop()
    if args.down_first:
        announce("down", port)
        await loop.run_in_executor(None, sys.stdin.readline)
    sock.listen()
    # A fixed name in the greeting: the default looks up this host's FQDN.
    server = await loop.create_server(lambda: SMTP(Sink(), hostname="sink.test", **options), sock=sock)
    announce("ready", port)
    # Runs until the test kills it.
    await server.serve_forever()


def main():
    # aiosmtpd warns that AUTH without TLS is unsafe: true, and on loopback
    # in a test, intended.
    warnings.filterwarnings("ignore")
    parser = argparse.ArgumentParser()
    parser.add_argument("--down-first", action="store_true")
    parser.add_argument("--user")
    parser.add_argument("--password")
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
