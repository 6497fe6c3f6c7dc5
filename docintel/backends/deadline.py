"""A total deadline per HTTP call, for the SDK clients of remote backends.

HTTP clients time out per read: a server that sends a keep-alive ping every 2 s (as the Messages API does while a
model thinks) never trips a 600 s read timeout, and the call hangs for as long as the server likes. This transport
gives every request a total budget from the moment it is sent: connect, write and each read wait at most that
long, and the response body is cut as soon as any bytes arrive after the budget ran out. A call therefore ends
within the deadline while the server talks (pings included), and within twice the deadline if it falls silent near
the end; with retries, within the deadline times the number of attempts.

Works with ``httpx`` (the OpenAI SDK) and ``httpx2`` (the Anthropic SDK): the module is passed in, never imported
here, so this stays light.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from types import ModuleType
from typing import Any

DEFAULT_TIMEOUT_S = 600.0  # a long-context answer from a slow model can take minutes; a hang should not take hours


def deadline_message(seconds: float) -> str:
    return f"no complete answer within the {seconds:g} s deadline (--timeout)"


def deadline_transport(httpx: ModuleType, seconds: float, inner: Any = None) -> Any:
    """An ``httpx.BaseTransport`` (of the given httpx module) that enforces ``seconds`` per request in total."""

    class DeadlineStream(httpx.SyncByteStream):  # type: ignore[name-defined]
        """The response body, cut with a timeout error once the deadline has passed."""

        def __init__(self, body: Any, ends: float, request: Any) -> None:
            self._body = body
            self._ends = ends
            self._request = request

        def __iter__(self) -> Iterator[bytes]:
            for chunk in self._body:
                if time.monotonic() > self._ends:
                    raise httpx.ReadTimeout(deadline_message(seconds), request=self._request)
                yield chunk

        def close(self) -> None:
            self._body.close()

    class DeadlineTransport(httpx.BaseTransport):  # type: ignore[name-defined]
        def __init__(self) -> None:
            self._inner = inner if inner is not None else httpx.HTTPTransport()

        def handle_request(self, request: Any) -> Any:
            ends = time.monotonic() + seconds
            timeouts = dict(request.extensions.get("timeout") or {})
            request.extensions["timeout"] = {
                key: seconds if timeouts.get(key) is None else min(float(timeouts[key]), seconds)
                for key in ("connect", "read", "write", "pool")
            }
            response = self._inner.handle_request(request)
            return httpx.Response(
                status_code=response.status_code,
                headers=response.headers,
                stream=DeadlineStream(response.stream, ends, request),
                extensions=response.extensions,
                request=request,
            )

        def close(self) -> None:
            self._inner.close()

    return DeadlineTransport()
