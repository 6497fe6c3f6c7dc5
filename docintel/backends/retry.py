"""Bounded exponential backoff with full jitter, honouring a server's ``retry-after``; shared by remote backends.

Backends turn off their SDK's own retries and use this, so the number of attempts and the longest wait are
docintel settings (and tests can make the waits tiny) rather than SDK defaults.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Backoff:
    """``max_retries`` retries after the first try; the n-th wait is uniform in [0, min(cap, base * 2**n)]."""

    max_retries: int = 3
    base_s: float = 1.0
    cap_s: float = 30.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)

    def delay(self, retry: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``retry`` (0-based); a server's ``retry-after`` wins, capped."""
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, self.cap_s)
        return random.uniform(0.0, min(self.cap_s, self.base_s * 2**retry))

    def wait(self, retry: int, retry_after: float | None = None) -> float:
        seconds = self.delay(retry, retry_after)
        if seconds > 0:
            self.sleep(seconds)
        return seconds


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """``retry-after-ms`` or ``retry-after`` (seconds; an HTTP date is ignored) from response headers."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return float(value) * scale
        except ValueError:
            continue
    return None


def call_with_retries(
    fn: Callable[[], T],
    *,
    backoff: Backoff,
    retry_after: Callable[[Exception], float | bool | None],
) -> T:
    """Call ``fn``; on an exception for which ``retry_after(exc)`` is not False, wait and try again.

    ``retry_after`` returns False (do not retry: re-raise), None (retry after the backoff delay) or a number of
    seconds the server asked for. After ``backoff.max_retries`` retries the last exception is re-raised.
    """
    retry = 0
    while True:
        try:
            return fn()
        except Exception as exc:
            wanted = retry_after(exc)
            if wanted is False or retry >= backoff.max_retries:
                raise
            backoff.wait(retry, None if wanted is None or wanted is True else float(wanted))
            retry += 1
