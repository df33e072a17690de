"""A local webhook receiver for the delivery tests: http.server on 127.0.0.1 in a thread,
answering with scripted statuses and recording what it was sent.

Besides a status, a script step may be TIMEOUT (answer 200 only after `slow_seconds`, by when
the sender has given up) or CLOSE (read the request, then close the connection without a
response)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TIMEOUT = "timeout"
CLOSE = "close"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    statuses: list[int | str] = field(default_factory=list)  # answers in order; then 200
    received: list[Received] = field(default_factory=list)
    redirect_to: str = ""
    slow_seconds: float = 2.0


@contextmanager
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            state.received.append(Received(self.path, dict(self.headers.items()), body))
            status = state.statuses.pop(0) if state.statuses else 200
            if status == CLOSE:
                self.close_connection = True
                return  # nothing written: the sender sees the connection end without an answer
            if status == TIMEOUT:
                time.sleep(state.slow_seconds)
                status = 200  # too late: the sender stopped waiting
            assert isinstance(status, int)
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", state.redirect_to or "http://127.0.0.1:1/")
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(f"status {status}".encode())

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
