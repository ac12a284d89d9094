"""What every local fake (SMTP, OIDC, WeCom, chat robots) shares: bind to a free port on
127.0.0.1, serve from a daemon thread, and stop on leaving the ``with`` block."""

from __future__ import annotations

import threading


class BackgroundServer:
    """Mix in before a ``socketserver`` server class (``super().__init__(handler)``) and use
    the instance as a context manager."""

    daemon_threads = True

    def __init__(self, handler):
        super().__init__(("127.0.0.1", 0), handler)
        self.base = f"http://127.0.0.1:{self.server_address[1]}"
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()
