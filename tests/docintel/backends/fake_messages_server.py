"""A localhost server that speaks Anthropic's Messages API wire format, for testing the real SDK without a key.

It serves ``POST /v1/messages`` (JSON, or SSE when ``"stream": true``) and ``POST /v1/messages/count_tokens``,
accepts the key as ``x-api-key`` or ``Authorization: Bearer``, records every request, and accounts for prompt
caching the way the API reports it: the prefix up to a ``cache_control`` block that was written within its TTL
is read (``cache_read_input_tokens``); the rest of the prefix up to the last breakpoint is written
(``cache_creation_input_tokens``); what follows is plain ``input_tokens``. At most 4 breakpoints.

Faults are queued per request: an HTTP status N times (429/529/401, with ``retry-after``), a stream cut before
``message_stop`` (the connection aborted, or closed cleanly), "prompt is too long". Token counts are cl100k
(docintel.tokens): deterministic, which is all the accounting tests need.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from docintel.tokens import count_tokens

TTL_SECONDS = {"5m": 300.0, "1h": 3600.0}
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class Fault:
    kind: Literal["status", "cut_stream"]
    status: int = 0
    message: str = ""
    retry_after: float | None = None
    after_deltas: int = 0  # cut_stream: text deltas sent before the cut
    mode: Literal["abort", "eof"] = "abort"  # abort: drop the connection mid-body; eof: end the body cleanly
    path: str = "/v1/messages"


@dataclass
class _Block:
    text: str
    where: str  # "system" | "user" | "assistant"
    ttl: str | None  # the block's cache_control TTL, None when it carries no breakpoint


@dataclass
class FakeMessagesServer:
    api_key: str = "sk-ant-test-key"
    reply: str | Callable[[dict[str, Any]], str] = (
        "The retry limit is set in config.py [1], and the client reads it on start [2]."
    )
    min_cacheable_tokens: int = 0  # below this, a breakpoint caches nothing (as the API does per model)
    max_input_tokens: int | None = None  # above this, 400 "prompt is too long"
    delta_delay_s: float = 0.0
    requests: list[RecordedRequest] = field(default_factory=list)
    reported_usage: list[dict[str, Any]] = field(default_factory=list)  # the final usage of each message sent
    faults: list[Fault] = field(default_factory=list)
    clock_offset_s: float = 0.0
    _cache: dict[str, float] = field(default_factory=dict)  # prefix hash -> expiry (server clock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # ---- lifecycle ------------------------------------------------------------------------------------
    def start(self) -> FakeMessagesServer:
        handler = _make_handler(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-messages", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeMessagesServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # ---- scripting -------------------------------------------------------------------------------------
    def fail(self, status: int, *, times: int = 1, retry_after: float | None = None, message: str = "") -> None:
        for _ in range(times):
            self.faults.append(Fault("status", status=status, retry_after=retry_after, message=message))

    def prompt_too_long(self, *, tokens: int = 1_234_567, maximum: int = 1_000_000) -> None:
        self.fail(400, message=f"prompt is too long: {tokens} tokens > {maximum} maximum")

    def cut_stream(self, *, after_deltas: int = 1, mode: Literal["abort", "eof"] = "abort") -> None:
        self.faults.append(Fault("cut_stream", after_deltas=after_deltas, mode=mode))

    def advance(self, seconds: float) -> None:
        """Move the server's clock forward (to expire cache entries)."""
        self.clock_offset_s += seconds

    def now(self) -> float:
        return time.monotonic() + self.clock_offset_s

    def message_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == "/v1/messages"]

    # ---- the API's accounting --------------------------------------------------------------------------
    def input_tokens(self, body: dict[str, Any]) -> int:
        return sum(count_tokens(b.text) for b in _blocks(body))

    def usage(self, body: dict[str, Any]) -> dict[str, Any]:
        """Usage for one request, updating the cache as the API would."""
        blocks = _blocks(body)
        tokens = [count_tokens(b.text) for b in blocks]
        total = sum(tokens)
        breakpoints = [i for i, b in enumerate(blocks) if b.ttl is not None]
        if len(breakpoints) > 4:
            raise _APIError(400, f"A maximum of 4 blocks with cache_control may be provided. Found {len(breakpoints)}.")
        read = write = 0
        ttl_of_write = "5m"
        with self._lock:
            now = self.now()
            keys = {i: _prefix_key(body.get("model", ""), blocks[: i + 1]) for i in breakpoints}
            prefix_tokens = {i: sum(tokens[: i + 1]) for i in breakpoints}
            hit = next((i for i in reversed(breakpoints) if self._cache.get(keys[i], -1.0) > now), None)
            if hit is not None:
                read = prefix_tokens[hit]
            if breakpoints:
                last = breakpoints[-1]
                if prefix_tokens[last] >= self.min_cacheable_tokens and hit != last:
                    write = prefix_tokens[last] - read
                    ttl_of_write = blocks[last].ttl or "5m"
                for i in breakpoints:
                    if prefix_tokens[i] >= self.min_cacheable_tokens:
                        self._cache[keys[i]] = now + TTL_SECONDS.get(blocks[i].ttl or "5m", 300.0)
        return {
            "input_tokens": total - read - write,
            "cache_creation_input_tokens": write,
            "cache_read_input_tokens": read,
            "cache_creation": {
                "ephemeral_5m_input_tokens": write if ttl_of_write == "5m" else 0,
                "ephemeral_1h_input_tokens": write if ttl_of_write == "1h" else 0,
            },
            "output_tokens": 0,
            "service_tier": "standard",
        }

    def reply_for(self, body: dict[str, Any]) -> str:
        return self.reply(body) if callable(self.reply) else self.reply

    def next_fault(self, path: str) -> Fault | None:
        with self._lock:
            for i, fault in enumerate(self.faults):
                if fault.path == path:
                    return self.faults.pop(i)
        return None


class _APIError(Exception):
    def __init__(self, status: int, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


def _blocks(body: dict[str, Any]) -> list[_Block]:
    """The request's content in the order the API caches it: system, then messages."""
    out: list[_Block] = []

    def add(content: Any, where: str) -> None:
        if isinstance(content, str):
            out.append(_Block(content, where, None))
            return
        for part in content or []:
            cc = part.get("cache_control")
            ttl = (cc.get("ttl") or "5m") if isinstance(cc, dict) else None
            out.append(_Block(str(part.get("text", "")), where, ttl))

    add(body.get("system", []), "system")
    for message in body.get("messages", []):
        add(message.get("content", []), str(message.get("role", "user")))
    # A top-level cache_control marks the last block (automatic caching).
    top = body.get("cache_control")
    if isinstance(top, dict) and out:
        out[-1].ttl = top.get("ttl") or "5m"
    return out


def _prefix_key(model: str, blocks: list[_Block]) -> str:
    h = hashlib.sha256(model.encode())
    for b in blocks:
        h.update(b"\x00" + b.where.encode() + b"\x00" + b.text.encode())
    return h.hexdigest()


def _make_handler(server: FakeMessagesServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            raw = self.rfile.read(length) if length else b"{}"
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                body = {}
            path = self.path.split("?", 1)[0]
            server.requests.append(RecordedRequest(path, {k.lower(): v for k, v in self.headers.items()}, body))
            try:
                self._authenticate()
                fault = server.next_fault(path)
                if fault is not None and fault.kind == "status":
                    message = fault.message or {529: "Overloaded", 429: "Rate limited"}.get(fault.status, "error")
                    raise _APIError(fault.status, message, fault.retry_after)
                if path == "/v1/messages/count_tokens":
                    self._json(200, {"input_tokens": server.input_tokens(body)})
                elif path == "/v1/messages":
                    total = server.input_tokens(body)
                    if server.max_input_tokens is not None and total > server.max_input_tokens:
                        raise _APIError(400, f"prompt is too long: {total} tokens > {server.max_input_tokens} maximum")
                    usage = server.usage(body)
                    if body.get("stream"):
                        self._stream(body, usage, fault)
                    else:
                        self._message(body, usage)
                else:
                    raise _APIError(404, f"no route for {path}")
            except _APIError as e:
                self._error(e)

        def _authenticate(self) -> None:
            bearer = self.headers.get("authorization", "")
            key = self.headers.get("x-api-key") or (bearer[7:] if bearer.lower().startswith("bearer ") else "")
            if key != server.api_key:
                raise _APIError(401, "invalid x-api-key")

        def _json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.send_header("request-id", f"req_fake_{next(server._ids)}")
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def _error(self, e: _APIError) -> None:
            headers = {"x-should-retry": "true" if e.status in (429, 529, 500) else "false"}
            if e.retry_after is not None:
                headers["retry-after"] = str(e.retry_after)
            payload = {"type": "error", "error": {"type": ERROR_TYPES.get(e.status, "api_error"), "message": e.message}}
            self._json(e.status, payload, headers)

        def _message_json(self, body: dict[str, Any], usage: dict[str, Any], text: str) -> dict[str, Any]:
            return {
                "id": f"msg_fake_{next(server._ids)}",
                "type": "message",
                "role": "assistant",
                "model": body.get("model", ""),
                "content": [{"type": "text", "text": text}] if text else [],
                "stop_reason": "end_turn" if text else None,
                "stop_sequence": None,
                "usage": usage,
            }

        def _message(self, body: dict[str, Any], usage: dict[str, Any]) -> None:
            text = server.reply_for(body)
            usage["output_tokens"] = count_tokens(text)
            server.reported_usage.append(usage)
            self._json(200, self._message_json(body, usage, text))

        def _chunk(self, data: bytes) -> None:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        def _event(self, name: str, payload: dict[str, Any]) -> None:
            self._chunk(f"event: {name}\ndata: {json.dumps(payload)}\n\n".encode())

        def _stream(self, body: dict[str, Any], usage: dict[str, Any], fault: Fault | None) -> None:
            text = server.reply_for(body)
            pieces = re.findall(r"\S+\s*", text) or [text]
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("cache-control", "no-cache")
            self.send_header("transfer-encoding", "chunked")
            self.send_header("request-id", f"req_fake_{next(server._ids)}")
            self.end_headers()
            start_usage = dict(usage, output_tokens=1)
            self._event(
                "message_start", {"type": "message_start", "message": self._message_json(body, start_usage, "")}
            )
            self._event(
                "content_block_start",
                {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
            )
            self._event("ping", {"type": "ping"})
            for n, piece in enumerate(pieces):
                if fault is not None and fault.kind == "cut_stream" and n == fault.after_deltas:
                    self._cut(fault)
                    return
                if server.delta_delay_s:
                    time.sleep(server.delta_delay_s)
                self._event(
                    "content_block_delta",
                    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}},
                )
            if fault is not None and fault.kind == "cut_stream":
                self._cut(fault)
                return
            self._event("content_block_stop", {"type": "content_block_stop", "index": 0})
            self._event(
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                    "usage": {"output_tokens": count_tokens(text)},
                },
            )
            self._event("message_stop", {"type": "message_stop"})
            server.reported_usage.append(dict(usage, output_tokens=count_tokens(text)))
            self._chunk(b"")  # the terminating zero-length chunk

        def _cut(self, fault: Fault) -> None:
            if fault.mode == "eof":
                self._chunk(b"")
                return
            self.close_connection = True
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)

    return Handler
