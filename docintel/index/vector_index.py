"""The vector index: FAISS, inner product over normalized vectors (= cosine), keyed by int64 vector ids.

Exact (``IndexIDMap2(IndexFlatIP)``) below ``HNSW_THRESHOLD`` vectors, HNSW above it (chosen by the caller with
``kind_for``, recorded in the store). HNSW cannot remove ids, so a removal there rebuilds the graph from the
stored vectors. Files are written to a temp name and renamed into place: a reader never sees half a file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import numpy as np

VectorKind = Literal["flat", "hnsw"]
HNSW_THRESHOLD = 50_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128


def kind_for(count: int, threshold: int = HNSW_THRESHOLD) -> VectorKind:
    return "hnsw" if count >= threshold else "flat"


def _faiss() -> Any:
    import faiss

    return faiss


class VectorIndex:
    def __init__(self, dimension: int, kind: VectorKind = "flat", *, _index: Any = None) -> None:
        self.dimension = dimension
        self.kind: VectorKind = kind
        self._index = _index if _index is not None else self._empty(dimension, kind)

    @staticmethod
    def _empty(dimension: int, kind: VectorKind) -> Any:
        faiss = _faiss()
        if kind == "hnsw":
            inner = faiss.IndexHNSWFlat(dimension, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            inner.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            inner.hnsw.efSearch = HNSW_EF_SEARCH
        else:
            inner = faiss.IndexFlatIP(dimension)
        return faiss.IndexIDMap2(inner)

    @classmethod
    def load(cls, path: Path, kind: str) -> VectorIndex:
        index = _faiss().read_index(str(path))
        return cls(index.d, "hnsw" if kind == "hnsw" else "flat", _index=index)

    def save(self, path: Path) -> None:
        """Write atomically: temp file, fsync, rename."""
        tmp = path.with_name(path.name + f".tmp{os.getpid()}")
        _faiss().write_index(self._index, str(tmp))
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)

    def committed(self) -> None:
        """Nothing to do: each generation is its own file, and the store removes the stale ones."""

    def restrict_to(self, ids: np.ndarray) -> None:
        """Nothing to do: a generation's file holds exactly that generation's ids."""

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def ids(self) -> np.ndarray:
        return np.asarray(_faiss().vector_to_array(self._index.id_map), dtype=np.int64)

    def vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """All (ids, vectors) in storage order."""
        n = len(self)
        if n == 0:
            return np.zeros(0, dtype=np.int64), np.zeros((0, self.dimension), dtype=np.float32)
        return self.ids(), np.asarray(self._index.index.reconstruct_n(0, n), dtype=np.float32)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, np.int64))

    def remove(self, ids: np.ndarray) -> None:
        if not len(ids):
            return
        if self.kind == "flat":
            self._index.remove_ids(np.asarray(ids, dtype=np.int64))
            return
        keep_ids, keep_vectors = self.vectors()
        mask = ~np.isin(keep_ids, np.asarray(ids, dtype=np.int64))
        self.rebuild(self.kind, keep_ids[mask], keep_vectors[mask])

    def rebuild(self, kind: VectorKind, ids: np.ndarray | None = None, vectors: np.ndarray | None = None) -> None:
        """Switch to ``kind`` (keeping the vectors unless new ones are given)."""
        if ids is None or vectors is None:
            ids, vectors = self.vectors()
        self.kind = kind
        self._index = self._empty(self.dimension, kind)
        self.add(ids, vectors)

    def search(self, vector: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Best ``k`` (id, inner product), best first; ``allowed``: optional array of ids to search among."""
        if k <= 0 or len(self) == 0:
            return []
        faiss = _faiss()
        params = None
        if allowed is not None:
            if not len(allowed):
                return []
            selector = faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64))
            if self.kind == "hnsw":
                params = faiss.SearchParametersHNSW(sel=selector, efSearch=max(HNSW_EF_SEARCH, k))
            else:
                params = faiss.SearchParameters(sel=selector)
        elif self.kind == "hnsw":
            params = faiss.SearchParametersHNSW(efSearch=max(HNSW_EF_SEARCH, k))
        query = np.ascontiguousarray(vector.reshape(1, -1), dtype=np.float32)
        scores, ids = self._index.search(query, min(k, len(self)), params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]
