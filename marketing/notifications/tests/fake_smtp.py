"""A tiny SMTP server on 127.0.0.1 for timeout tests. ``mode``: "ok" answers everything at
once; "late_dot" answers the final dot only after ``delay`` seconds (after the client's
data timeout); "stall_rcpt" stalls on RCPT (before the message is handed over)."""

from __future__ import annotations

import socketserver
import time

from .fake_server import BackgroundServer


class _Handler(socketserver.StreamRequestHandler):
    def handle(self):
        server = self.server
        self.wfile.write(b"220 fake ESMTP\r\n")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.wfile.write(b"250-fake\r\n250 8BITMIME\r\n")
            elif verb == b"MAIL":
                self.wfile.write(b"250 ok\r\n")
            elif verb == b"RCPT":
                if server.mode == "stall_rcpt":
                    time.sleep(server.delay)
                self.wfile.write(b"250 ok\r\n")
            elif verb == b"DATA":
                self.wfile.write(b"354 go\r\n")
                data = b""
                while not data.endswith(b"\r\n.\r\n"):
                    chunk = self.rfile.readline()
                    if not chunk:
                        return
                    data += chunk
                server.received.append(data)
                if server.mode == "late_dot":
                    time.sleep(server.delay)  # the message is queued here; the answer comes too late
                try:
                    self.wfile.write(b"250 queued\r\n")
                except OSError:
                    return
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            elif verb == b"RSET" or verb == b"NOOP":
                self.wfile.write(b"250 ok\r\n")
            else:
                self.wfile.write(b"502 no\r\n")


class FakeSMTP(BackgroundServer, socketserver.ThreadingTCPServer):
    allow_reuse_address = True

    def __init__(self, mode="ok", delay=0.0):
        super().__init__(_Handler)
        self.mode, self.delay, self.received = mode, delay, []

    @property
    def port(self) -> int:
        return self.server_address[1]
