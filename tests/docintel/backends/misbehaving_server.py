"""A localhost HTTP server that misbehaves on purpose, for the backend fault tests.

Each route is a plain function ``(handler, body) -> None`` that writes whatever bytes the fault needs: an SSE
stream of keep-alive pings that never ends, an ``event: error`` after HTTP 200, lines that are not JSON, HTML where
JSON belongs. Every request is recorded, so tests can count what was sent.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Route = Callable[["Handler", dict[str, Any]], None]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _dispatch(self, method: str) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {}
        path = self.path.split("?", 1)[0]
        owner = self.server.owner
        owner.requests.append((method, path))
        owner.headers.append({k.lower(): v for k, v in self.headers.items()})
        route = owner.routes.get((method, path))
        if route is None:
            self.send_json(404, {"error": {"message": f"no route {method} {path}"}})
            return
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up: that is the point
            route(self, body)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    # --- writing helpers for routes --------------------------------------------------------------------------------
    def send_json(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def send_raw(self, status: int, content_type: str, data: bytes) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def start_sse(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()

    def chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def event(self, name: str | None, payload: Any) -> None:
        data = payload if isinstance(payload, str) else json.dumps(payload)
        self.chunk((f"event: {name}\n" if name else "").encode() + f"data: {data}\n\n".encode())

    def end_sse(self) -> None:
        self.chunk(b"")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: MisbehavingServer


@dataclass
class MisbehavingServer:
    routes: dict[tuple[str, str], Route] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)  # per request, names lower-cased
    stop_event: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> MisbehavingServer:
        self._httpd = _Server(("127.0.0.1", 0), Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_event.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def count(self, method: str, path: str) -> int:
        return sum(1 for r in self.requests if r == (method, path))

    def pings_forever(
        self, handler: Handler, interval_s: float, first: Callable[[Handler], None] | None = None
    ) -> None:
        """Keep the stream open with a ping every ``interval_s`` until the client leaves or the server stops."""
        if first is not None:
            first(handler)
        while not self.stop_event.is_set():
            time.sleep(interval_s)
            handler.event("ping", {"type": "ping"})
