"""The vector-store seam: where a corpus index keeps its chunk vectors.

Two engines behind one interface (``add``, ``remove``, ``search``, ``save``, ``committed``, ``len``):
- ``faiss`` (the embedded default): a FAISS file per index generation under ``$DOCINTEL_HOME``
  (``docintel.index.vector_index``);
- ``milvus``: a Milvus collection (``docintel.index.milvus_index``): a Milvus cluster by URI for a team that indexes
  every repository of a company, or Milvus Lite (a real local Milvus that ``pymilvus`` starts) for one machine and
  tests.

Chosen by ``--vector-store`` or ``$DOCINTEL_VECTOR_STORE``:

    faiss                          FAISS files (default)
    milvus://HOST:PORT             a Milvus server or cluster over HTTP (token from $MILVUS_TOKEN)
    milvus+https://HOST:PORT       the same over TLS
    milvus-lite                    Milvus Lite in the corpus's index folder (milvus.db)
    milvus-lite:///PATH/FILE.db    Milvus Lite in that file

The SQLite store stays the source of truth for chunks, ids and generations; lexical search (BM25) stays local in
both cases (Milvus's own BM25 functions would need the chunk texts moved into Milvus too; see docs/scaling.md).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from docintel.errors import UsageError

if TYPE_CHECKING:
    import numpy as np

ENV_VECTOR_STORE = "DOCINTEL_VECTOR_STORE"
EngineName = Literal["faiss", "milvus"]


class Vectors(Protocol):
    """One generation's vectors, as the corpus index reads and edits them."""

    dimension: int

    @property
    def kind(self) -> str:
        """``flat`` / ``hnsw`` (FAISS) or ``milvus``: what the index records."""
        ...

    def __len__(self) -> int: ...

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None: ...

    def remove(self, ids: np.ndarray) -> None: ...

    def rebuild(self, kind: Any) -> None: ...

    def search(self, vector: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]: ...

    def save(self, path: Path) -> None:
        """Make this generation durable (before the store commits it)."""
        ...

    def committed(self) -> None:
        """The store committed this generation: drop what only older generations used."""
        ...

    def restrict_to(self, ids: np.ndarray) -> None:
        """Searches return only these ids (the generation the reader opened)."""
        ...


@dataclass(frozen=True)
class VectorStoreSpec:
    """A parsed ``--vector-store`` value."""

    engine: EngineName
    uri: str = ""  # for Milvus: what MilvusClient connects to (an http(s) URL or a Lite .db path; "" = per index)

    @property
    def label(self) -> str:
        """What the index records (and compares to decide a rebuild): never a token or password."""
        if self.engine == "faiss":
            return "faiss"
        if self.lite:
            return f"milvus-lite:{self.uri}" if self.uri else "milvus-lite"
        return f"milvus:{self.uri}"

    @property
    def lite(self) -> bool:
        return self.engine == "milvus" and not self.uri.startswith(("http://", "https://"))


def parse_vector_store(value: str | None = None) -> VectorStoreSpec:
    """``value`` (or ``$DOCINTEL_VECTOR_STORE``, or ``faiss``) as a spec; a usage error names the accepted forms."""
    raw = (value or os.environ.get(ENV_VECTOR_STORE) or "faiss").strip()
    if raw == "faiss":
        return VectorStoreSpec("faiss")
    if raw == "milvus-lite":
        return VectorStoreSpec("milvus", "")
    if raw.startswith("milvus-lite://"):
        path = raw.removeprefix("milvus-lite://")
        if not path.endswith(".db"):
            raise UsageError(f"--vector-store {raw}: a Milvus Lite file must end in .db")
        return VectorStoreSpec("milvus", str(Path(path).expanduser().resolve()))
    for scheme, http in (("milvus+https://", "https://"), ("milvus://", "http://")):
        if raw.startswith(scheme):
            host = raw.removeprefix(scheme).rstrip("/")
            if not host:
                raise UsageError(f"--vector-store {raw}: name the Milvus server, e.g. milvus://localhost:19530")
            return VectorStoreSpec("milvus", http + host)
    raise UsageError(
        f"--vector-store {raw!r}: use faiss, milvus://HOST:PORT, milvus+https://HOST:PORT, milvus-lite or "
        "milvus-lite:///PATH.db"
    )


def spec_from_label(label: str) -> VectorStoreSpec:
    """The spec an index recorded (``VectorStoreSpec.label``): a later command without ``--vector-store`` keeps
    using the store the index was built with."""
    if label.startswith("milvus-lite"):
        return VectorStoreSpec("milvus", label.removeprefix("milvus-lite").removeprefix(":"))
    if label.startswith("milvus:"):
        return VectorStoreSpec("milvus", label.removeprefix("milvus:"))
    return VectorStoreSpec("faiss")


def chosen_vector_store(value: str | None, recorded: str | None) -> VectorStoreSpec:
    """``--vector-store``, else ``$DOCINTEL_VECTOR_STORE``, else what the index recorded, else FAISS."""
    if value or os.environ.get(ENV_VECTOR_STORE) or not recorded:
        return parse_vector_store(value)
    return spec_from_label(recorded)


def milvus_uri(spec: VectorStoreSpec, directory: Path) -> str:
    """What MilvusClient connects to: the spec's server or file, else Milvus Lite in the index's own folder."""
    return spec.uri or str(directory / "milvus.db")


def new_vectors(spec: VectorStoreSpec, dimension: int, *, directory: Path) -> Vectors:
    """An empty vector set for a first build or a rebuild of the index in ``directory``."""
    if spec.engine == "faiss":
        from docintel.index.vector_index import VectorIndex

        return VectorIndex(dimension, "flat")
    from docintel.index.milvus_index import MilvusVectors

    return MilvusVectors.create(milvus_uri(spec, directory), directory, dimension)


def load_vectors(spec: VectorStoreSpec, path: Path, kind: str, *, directory: Path, dimension: int) -> Vectors:
    """The vectors of the generation saved at ``path``."""
    if spec.engine == "faiss":
        from docintel.index.vector_index import VectorIndex

        return VectorIndex.load(path, kind)
    from docintel.index.milvus_index import MilvusVectors

    return MilvusVectors.open(milvus_uri(spec, directory), directory, dimension)
