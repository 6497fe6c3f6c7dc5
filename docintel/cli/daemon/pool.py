"""The corpora the background process keeps open between commands, re-read when a file under them changed."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from docintel.session import BackendConfig, Session

MAX_OPEN = 2  # a 1M-token corpus with its index is a few hundred MB

_active = threading.Event()
_sessions: OrderedDict[tuple[str, ...], Session] = OrderedDict()


def activate() -> None:
    """Called once by the background process: from now on sessions opened by the CLI are kept."""
    _active.set()


def active() -> bool:
    return _active.is_set()


def session(
    path: Path, config: BackendConfig, options: tuple[str | None, ...], opener: Callable[[], Session]
) -> tuple[Session, bool]:
    """The kept session of ``path`` (with ``options``: model, vector store, Ray address) when its files are
    unchanged, else a new one from ``opener``; and whether it was new. The caller must not close it."""
    key = (str(path.expanduser().resolve()), *(o or "" for o in options))
    kept = _sessions.pop(key, None)
    if kept is not None and not kept.is_stale():
        kept.configure(config)  # checked as a new session would be (a missing key is still one line)
        kept._backends.clear()  # a backend holds the caller's environment (API keys, base URLs): build it again
        kept.report = None  # nothing was read or indexed for this command
        _sessions[key] = kept
        return kept, False
    if kept is not None:
        kept.close()
    opened = opener()
    _sessions[key] = opened
    while len(_sessions) > MAX_OPEN:
        _, old = _sessions.popitem(last=False)
        old.close()
    return opened, True


def close_all() -> None:
    while _sessions:
        _, s = _sessions.popitem()
        s.close()
