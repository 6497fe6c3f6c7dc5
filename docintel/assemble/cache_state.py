"""Which corpus prefix was last sent to which backend/model, and when: is it probably still in the prompt cache?

A small JSON file under ``docintel.config.home()``. Providers keep a cached prefix for a TTL after its last use
(Anthropic: 5 min, refreshed on each hit), so "sent within the TTL" means "probably warm". The router reads this
to price a full pass at the cache-read rate instead of the cache-write rate.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from docintel.atomic import replace_atomically
from docintel.config import home

STATE_FILE = "cache_state.json"
MAX_ENTRIES = 200  # oldest records are dropped beyond this


@dataclass(frozen=True)
class CacheStatus:
    warm: bool
    age_s: float | None  # seconds since the prefix was last sent; None if never
    ttl_s: int


_override: Path | None = None


def _path() -> Path:
    return _override or home() / STATE_FILE


@contextmanager
def record_file(path: Path) -> Iterator[None]:
    """Keep the record in ``path`` while the block runs (evaluation runs use a throwaway record per strategy,
    so they neither read nor warm the user's own)."""
    global _override
    previous, _override = _override, path
    try:
        yield
    finally:
        _override = previous


def _key(prefix_hash: str, backend: str, model: str) -> str:
    return f"{backend}|{model}|{prefix_hash}"


def _load() -> dict[str, float]:
    try:
        data = json.loads(_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): float(v) for k, v in data.items()} if isinstance(data, dict) else {}


def record_sent(prefix_hash: str, backend: str, model: str, *, at: float | None = None) -> None:
    """Remember that ``prefix_hash`` was just sent to ``backend``/``model`` (written atomically)."""
    entries = _load()
    entries[_key(prefix_hash, backend, model)] = time.time() if at is None else at
    newest = dict(sorted(entries.items(), key=lambda kv: -kv[1])[:MAX_ENTRIES])
    text = json.dumps(newest, indent=0, sort_keys=True)
    replace_atomically(_path(), lambda f: f.write(text.encode("utf-8")), prefix=".cache_state.")


def cache_status(prefix_hash: str, backend: str, model: str, *, ttl_s: int, now: float | None = None) -> CacheStatus:
    """Whether the prefix was sent to this backend/model within ``ttl_s`` seconds."""
    sent = _load().get(_key(prefix_hash, backend, model))
    if sent is None:
        return CacheStatus(False, None, ttl_s)
    age = (time.time() if now is None else now) - sent
    return CacheStatus(0 <= age < ttl_s, age, ttl_s)
