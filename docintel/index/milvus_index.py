"""Chunk vectors in Milvus (``pymilvus``): a Milvus cluster by URI, or Milvus Lite in a local file.

One collection per corpus index (``vid`` INT64 primary key, ``vector`` FLOAT_VECTOR, exact ``FLAT`` index with
inner product, so results equal FAISS's exact search on the same vectors). The SQLite store decides which ids make up
the committed generation; Milvus may briefly hold more:
- ``add`` upserts at once: new ids are above every committed id, so a run killed before the store commits leaves
  only ids that no committed generation lists (the next run reuses the same ids and overwrites them);
- ``remove`` is deferred until ``committed()``: until the store has committed the new generation, the old one still
  has all of its vectors;
- ``search`` returns only ids of the generation it was opened for (``restrict_to``), asking Milvus for a few more
  than ``k`` to make room for ids of an uncommitted run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

from docintel.errors import BackendError, MissingExtraError

BATCH = 1_000  # rows per upsert request
MAX_TOPK = 16_384  # Milvus's limit on one search's result size
FILTER_LIMIT = 20_000  # above this many allowed ids, filter the results here instead of in the query
_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


def _pymilvus() -> Any:
    try:
        import pymilvus
    except ImportError as e:
        raise MissingExtraError("pymilvus", "milvus") from e
    return pymilvus


class _QuietUnimplemented(logging.Filter):
    """pymilvus 3 asks Milvus Lite for ``AllocTimestamp``, which Lite does not implement; the in-process gRPC
    server logs that as an ERROR with a traceback although the client carries on. Keep it off the user's stderr."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Method not implemented" not in record.getMessage() and "AllocTimestamp" not in str(record.exc_info)


def client_for(uri: str) -> Any:
    """One client per URI per process (Milvus Lite allows one opener of its file)."""
    with _clients_lock:
        if uri not in _clients:
            pymilvus = _pymilvus()
            logging.getLogger("grpc._server").addFilter(_QuietUnimplemented())
            token = os.environ.get("MILVUS_TOKEN", "") if uri.startswith(("http://", "https://")) else ""
            try:
                _clients[uri] = pymilvus.MilvusClient(uri=uri, token=token)
            except Exception as e:  # pymilvus raises its own MilvusException for an unreachable server
                raise BackendError(f"cannot reach Milvus at {uri}: {e}; check --vector-store") from None
        return _clients[uri]


def collection_name(directory: Path) -> str:
    """A stable, valid collection name for the corpus index in ``directory`` (letters, digits, underscores)."""
    return "docintel_" + hashlib.sha1(str(directory).encode("utf-8", "surrogateescape")).hexdigest()[:20]


class MilvusVectors:
    kind = "milvus"

    def __init__(self, client: Any, collection: str, dimension: int, uri: str) -> None:
        self._client = client
        self.collection = collection
        self.dimension = dimension
        self.uri = uri
        self._pending_removals: list[int] = []
        self._restrict: np.ndarray | None = None
        self._restrict_set: set[int] | None = None

    # -- opening ---------------------------------------------------------------------------------------------
    @classmethod
    def create(cls, uri: str, directory: Path, dimension: int) -> MilvusVectors:
        """A fresh, empty collection in the Milvus at ``uri`` for the index in ``directory`` (a first build or a
        rebuild: an old collection of this index is dropped)."""
        pymilvus = _pymilvus()
        directory.mkdir(parents=True, exist_ok=True)
        client = client_for(uri)
        name = collection_name(directory)
        if client.has_collection(name):
            client.drop_collection(name)
        schema = pymilvus.MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("vid", pymilvus.DataType.INT64, is_primary=True)
        schema.add_field("vector", pymilvus.DataType.FLOAT_VECTOR, dim=dimension)
        index_params = client.prepare_index_params()
        index_params.add_index(field_name="vector", index_type="FLAT", metric_type="IP")
        client.create_collection(name, schema=schema, index_params=index_params)
        return cls(client, name, dimension, uri)

    @classmethod
    def open(cls, uri: str, directory: Path, dimension: int) -> MilvusVectors:
        client = client_for(uri)
        name = collection_name(directory)
        if not client.has_collection(name):
            raise BackendError(
                f"Milvus at {uri} has no collection {name} for this index; run `docintel index` again to rebuild it"
            )
        client.load_collection(name)
        return cls(client, name, dimension, uri)

    def restrict_to(self, ids: np.ndarray) -> None:
        """Search only these ids (the committed generation's)."""
        self._restrict = np.asarray(ids, dtype=np.int64)
        self._restrict_set = {int(i) for i in self._restrict}

    # -- editing ---------------------------------------------------------------------------------------------
    def __len__(self) -> int:
        rows = self._client.query(self.collection, filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"]) if rows else 0

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        ids = np.asarray(ids, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        for lo in range(0, len(ids), BATCH):
            rows = [
                {"vid": int(i), "vector": v.tolist()}
                for i, v in zip(ids[lo : lo + BATCH], vectors[lo : lo + BATCH], strict=True)
            ]
            self._client.upsert(self.collection, rows)

    def remove(self, ids: np.ndarray) -> None:
        self._pending_removals.extend(int(i) for i in np.asarray(ids, dtype=np.int64))

    def rebuild(self, kind: Any) -> None:
        """Milvus keeps its own index structure: nothing to switch."""

    def save(self, path: Path) -> None:
        """Flush the upserts, then record where this generation's vectors live (the file the store keeps per
        generation; its presence means the generation's vectors were durable before the commit)."""
        self._client.flush(self.collection)
        self._client.load_collection(self.collection)
        tmp = path.with_name(path.name + f".tmp{os.getpid()}")
        tmp.write_text(json.dumps({"engine": "milvus", "uri": self.uri, "collection": self.collection}))
        os.replace(tmp, path)

    def committed(self) -> None:
        if self._pending_removals:
            for lo in range(0, len(self._pending_removals), BATCH):
                self._client.delete(self.collection, ids=self._pending_removals[lo : lo + BATCH])
            self._client.flush(self.collection)
            self._pending_removals = []

    # -- reading ---------------------------------------------------------------------------------------------
    def search(self, vector: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Best ``k`` (id, inner product), best first, among ``allowed`` and the committed generation's ids."""
        if k <= 0:
            return []
        query = np.asarray(vector, dtype=np.float32).reshape(-1).tolist()
        keep = self._restrict_set
        expr = ""
        if allowed is not None:
            allowed = np.asarray(allowed, dtype=np.int64)
            if not len(allowed):
                return []
            allowed_set = {int(i) for i in allowed}
            keep = allowed_set if keep is None else keep & allowed_set
            if len(allowed) <= FILTER_LIMIT:
                expr = f"vid in {sorted(allowed_set)}"
        limit = min(MAX_TOPK, k + 16 + k // 4)
        hits = self._client.search(
            self.collection,
            data=[query],
            limit=limit,
            filter=expr,
            output_fields=["vid"],
            search_params={"metric_type": "IP"},
        )[0]
        out = [(int(h["vid"]), float(h["distance"])) for h in hits]
        if keep is not None:
            out = [(i, s) for i, s in out if i in keep]
        return out[:k]
