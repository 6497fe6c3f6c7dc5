"""Embeddings shared by content: one cache per embedding model under ``$DOCINTEL_HOME/embeddings/``, keyed by the
hash of the exact text the model read, shared by every corpus.

Indexing a sub-folder, a single file or a copy of an indexed corpus finds every vector here and embeds nothing
(the embedding input does not depend on where the corpus root is: see ``docintel.index.chunks.Chunk.embed_text``).
One SQLite file per model in WAL mode: each write is one transaction (atomic), concurrent writers wait on SQLite's
lock (``busy_timeout``) and ``INSERT OR IGNORE`` makes a race between two writers of the same text harmless (both
computed the same vector). ``DOCINTEL_EMBED_CACHE=0`` turns it off.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from docintel.index.embedder import Embedder

ENV_ENABLED = "DOCINTEL_EMBED_CACHE"
_LOOKUP_BATCH = 500  # keys per SELECT (SQLite's default limit on host parameters is 32766; stay far below)


def enabled() -> bool:
    return os.environ.get(ENV_ENABLED, "1") not in ("0", "false", "no", "off")


def text_key(text: str) -> str:
    """The cache key of one embedding input (the same hash the index stores per chunk)."""
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


def cache_path(model_id: str) -> Path:
    from docintel.config import home

    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", model_id).strip("-")[:60] or "model"
    digest = hashlib.sha256(model_id.encode()).hexdigest()[:12]
    return home() / "embeddings" / f"{slug}-{digest}.sqlite"


class EmbeddingCache:
    """Vectors of one model by text hash. Use as a context manager, or call ``close()``."""

    def __init__(self, model_id: str, dimension: int, path: Path | None = None) -> None:
        self.model_id = model_id
        self.dimension = dimension
        self.path = path or cache_path(model_id)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, dim INTEGER NOT NULL, vector BLOB NOT NULL)"
            " WITHOUT ROWID"
        )

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> EmbeddingCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0])

    def get_many(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """The cached vectors among ``keys`` (float32, normalized as they were stored)."""
        import numpy as np

        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), _LOOKUP_BATCH):
            batch = unique[start : start + _LOOKUP_BATCH]
            marks = ",".join("?" * len(batch))
            for key, dim, blob in self._db.execute(
                f"SELECT key, dim, vector FROM vectors WHERE key IN ({marks})", batch
            ):
                if dim == self.dimension and len(blob) == 4 * dim:
                    found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        """Store ``vectors[i]`` under ``keys[i]``, all in one transaction."""
        import numpy as np

        rows = [
            (key, self.dimension, np.ascontiguousarray(vector, dtype=np.float32).tobytes())
            for key, vector in zip(keys, vectors, strict=True)
        ]
        if not rows:
            return
        with self._db:  # BEGIN ... COMMIT; waits for another writer up to the timeout
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("INSERT OR IGNORE INTO vectors (key, dim, vector) VALUES (?, ?, ?)", rows)


def embed_with_cache(
    embedder: Embedder,
    texts: Sequence[str],
    *,
    progress: Callable[[int, int], None] | None = None,
    keys: Sequence[str] | None = None,
) -> tuple[np.ndarray, int]:
    """Vectors of ``texts`` (rows L2-normalized), taking what the model's cache holds and embedding (and caching)
    only the rest. Returns the vectors and how many were computed. ``keys`` are ``text_key`` of each text when the
    caller has them already. ``progress(done, total)`` counts cached texts as done at once."""
    import numpy as np

    keys = list(keys) if keys is not None else [text_key(t) for t in texts]
    if not enabled() or not texts:
        vectors = embedder.embed(texts, progress=progress) if texts else np.zeros((0, embedder.dimension), np.float32)
        return vectors, len(texts)
    with EmbeddingCache(embedder.model_id, embedder.dimension) as cache:
        cached = cache.get_many(keys)
        out = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
        missing: dict[str, int] = {}  # key -> first row with that text (a text repeated in a corpus embeds once)
        for row, key in enumerate(keys):
            if key in cached:
                out[row] = cached[key]
            else:
                missing.setdefault(key, row)
        hits = len(texts) - sum(1 for k in keys if k in missing)
        if progress:
            progress(hits, len(texts))
        if missing:
            rows = list(missing.values())

            def report(done: int, _total: int) -> None:
                if progress:
                    progress(hits + done, len(texts))

            computed = embedder.embed([texts[r] for r in rows], progress=report)
            cache.put_many(list(missing), computed)
            by_key = dict(zip(missing, computed, strict=True))
            for row, key in enumerate(keys):
                if key in by_key:
                    out[row] = by_key[key]
        return out, len(missing)
