"""The identity index of a corpus, kept on disk between commands.

Building it reads every word of every document (the rarity of a party's name in the documents' text): ~1 s of CPU
on a 1M-token corpus, which was most of a warm ``docintel ask``. The built index depends only on the corpus's
content and on the code that builds it, so it is pickled under ``$DOCINTEL_HOME/identity/`` keyed by both; a
changed document, or an edit to the scope or identity code, makes a new key. A missing, unreadable or foreign file
costs one rebuild, never a wrong index. Set ``DOCINTEL_INGEST_CACHE=0`` to keep nothing on disk.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from docintel.atomic import pickle_atomically

FORMAT = 1
KEEP = 32  # identity files kept (newest first); one is ~1 MB for 100 contracts


@lru_cache(maxsize=1)
def _code_fingerprint() -> str:
    """Hash of the code that shapes an identity index."""
    from docintel.ingest import identity
    from docintel.ingest.cache import _code_fingerprint as ingest_code
    from docintel.routers import scope

    h = hashlib.sha256(f"{FORMAT}:{ingest_code()}".encode())  # the ingest code shapes kinds and definitions
    for module in (scope, identity):
        h.update(Path(module.__file__ or "").read_bytes())
    return h.hexdigest()[:24]


def _folder() -> Path:
    from docintel.config import home

    return home() / "identity"


def _enabled() -> bool:
    return os.environ.get("DOCINTEL_INGEST_CACHE", "1") not in ("0", "false", "no", "off")


def cached(content_hash: str, build: Callable[[], Any]) -> Any:
    """The index stored for ``content_hash`` by this code, else ``build()`` (stored for next time)."""
    if not _enabled():
        return build()
    key = hashlib.sha256(f"{content_hash}:{_code_fingerprint()}".encode()).hexdigest()[:32]
    path = _folder() / f"{key}.pickle"
    try:
        with open(path, "rb") as f:
            stored = pickle.load(f)
        if isinstance(stored, dict) and stored.get("key") == key:
            os.utime(path)  # recently used: kept by the pruning below
            return stored["index"]
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError, KeyError):
        pass
    index = build()
    _store(path, key, index)
    return index


def _store(path: Path, key: str, index: Any) -> None:
    try:
        pickle_atomically(path, {"key": key, "index": index}, prefix=".identity-")  # readers: old or whole new
        files = sorted(path.parent.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in files[KEEP:]:
            with contextlib.suppress(OSError):
                old.unlink()
    except (OSError, pickle.PicklingError):
        pass  # a read-only home (or an object that will not pickle) only costs speed
