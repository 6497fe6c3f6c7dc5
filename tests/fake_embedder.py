"""A small deterministic embedder for index tests that do not test embeddings (registered like any other embedder
in ``docintel.index.embedder.REGISTRY``, the way simonw/llm's conftest registers its ``embed-demo`` model).

Feature hashing of words and identifier parts: texts that share words get similar vectors, so lexical-looking
retrieval still works, and it costs microseconds per text with no model to load. Tests that measure retrieval
quality or the real model keep the real model (they do not use the ``hash_embedder`` fixture).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

DIMENSION = 256
_WORD = re.compile(r"[A-Za-z]+|\d+")
_CAMEL = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def _features(text: str) -> Counter[str]:
    words: Counter[str] = Counter()
    for token in re.findall(r"\w+", text):
        lower = token.lower()
        words[lower] += 1
        parts = [p.lower() for p in _CAMEL.findall(token)] if not token.islower() else _WORD.findall(lower)
        if len(parts) > 1:  # do_login -> do, login; HttpClient -> http, client
            words.update(p for p in parts if p != lower)
    return words


def _slot(feature: str) -> tuple[int, float]:
    digest = hashlib.blake2b(feature.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    value = int.from_bytes(digest, "little")
    return value % DIMENSION, 1.0 if value >> 63 else -1.0


class HashEmbedder:
    """Deterministic across processes and runs (blake2b, not Python's salted ``hash``); rows L2-normalized."""

    def __init__(self, spec: str | None = None) -> None:
        self.model_id = f"test-hash-{DIMENSION}"

    @property
    def dimension(self) -> int:
        return DIMENSION

    def embed(self, texts: Sequence[str], *, progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        for row, text in enumerate(texts):
            for feature, count in _features(text).items():
                slot, sign = _slot(feature)
                out[row, slot] += sign * (1.0 + math.log(count))
            norm = float(np.linalg.norm(out[row]))
            if norm == 0.0:  # no words at all: one fixed direction, still a unit vector
                out[row, 0] = 1.0
            else:
                out[row] /= norm
        if progress:
            progress(len(texts), len(texts))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]
