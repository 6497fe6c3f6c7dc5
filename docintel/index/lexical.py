"""The lexical index: BM25 (bm25s) over chunk texts, with code identifiers split.

``getUserName`` and ``get_user_name`` are indexed as the whole identifier *and* its parts (get, user, name), so
the question "where is the user name read?" finds them, and so does the identifier typed exactly. Words are
lower-cased, English stop words dropped and the rest stemmed (Snowball via PyStemmer), for questions in prose
about contracts and transcripts ("terminate" finds "termination").
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

_WORD = re.compile(r"\w+")
# camelCase / PascalCase / ACRONYMWord / digits: "parseHTTPResponse2" -> parse, HTTP, Response, 2
_HUMP = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+|[^\W\d_]+")


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    """bm25s's English stop words, read from its (import-free) stopwords.py without importing the bm25s
    package, whose __init__ pulls in scipy.sparse: a question's tokenizing must not pay that."""
    import importlib.util

    spec = importlib.util.find_spec("bm25s")
    locations = list(spec.submodule_search_locations or []) if spec else []
    source = Path(locations[0]) / "stopwords.py" if locations else None
    if source is None or not source.exists():
        from bm25s.stopwords import STOPWORDS_EN

        return frozenset(STOPWORDS_EN)
    namespace: dict[str, Any] = {}
    exec(compile(source.read_text(encoding="utf-8"), str(source), "exec"), namespace)
    return frozenset(namespace["STOPWORDS_EN"])


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def split_identifier(word: str) -> list[str]:
    """The parts of an identifier, lower-cased: ``getUserName`` / ``get_user_name`` -> [get, user, name]."""
    parts: list[str] = []
    for piece in word.split("_"):
        if piece:
            parts.extend(h.lower() for h in _HUMP.findall(piece))
    return parts


def words(text: str) -> list[str]:
    """Index terms before stemming: each word lower-cased, plus its parts when it is a compound identifier."""
    stop = _stopwords()
    out: list[str] = []
    for match in _WORD.finditer(text):
        word = match.group(0)
        whole = word.strip("_").lower()
        if len(whole) > 1 and whole not in stop:
            out.append(whole)
        parts = split_identifier(word)
        if len(parts) > 1:
            out.extend(p for p in parts if len(p) > 1 and p not in stop)
    return out


def tokenize(text: str) -> list[str]:
    """The BM25 terms of ``text`` (the same function for documents and queries)."""
    terms = words(text)
    return _stemmer().stemWords(terms) if terms else []


class LexicalIndex:
    """BM25 over a fixed list of texts; rows are positions in that list."""

    _saved: _SavedScores | None = None  # set by load(): the saved matrix, scored without bm25s

    def __init__(self, texts: Sequence[str], *, k1: float = 1.2, b: float = 0.75) -> None:
        import bm25s

        self.size = len(texts)
        self._bm25 = bm25s.BM25(k1=k1, b=b, method="lucene")
        if self.size:
            self._bm25.index([tokenize(t) for t in texts], show_progress=False)

    def save(self, path: Path) -> None:
        """Write to a temp folder, then rename it to ``path`` (which must not exist)."""
        tmp = path.with_name(path.name + f".tmp{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        (tmp / "size").write_text(str(self.size))
        if self.size:
            self._bm25.save(str(tmp), show_progress=False)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> LexicalIndex:
        index = cls.__new__(cls)
        index.size = int((path / "size").read_text())
        index._saved = _SavedScores.read(path) if index.size else None
        if index._saved is None:  # another scoring method, or empty: through bm25s itself
            import bm25s

            index._bm25 = bm25s.BM25.load(str(path), mmap=False, show_progress=False) if index.size else bm25s.BM25()
        return index

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every row for ``query`` (zeros where no query term occurs)."""
        if not self.size:
            return np.zeros(0, dtype=np.float32)
        saved = self._saved
        vocab = saved.vocab if saved is not None else self._bm25.vocab_dict
        terms = [t for t in tokenize(query) if t in vocab]
        if not terms:
            return np.zeros(self.size, dtype=np.float32)
        if saved is not None:
            return saved.scores([vocab[t] for t in terms], self.size)
        return np.asarray(self._bm25.get_scores(terms), dtype=np.float32)

    def top(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Best ``k`` rows with a positive score, best first; ``allowed`` is an optional boolean row mask."""
        scores = self.scores(query)
        if allowed is not None and scores.size:
            scores = np.where(allowed, scores, 0.0)
        positive = int(np.count_nonzero(scores > 0))
        k = min(k, positive)
        if k <= 0:
            return []
        rows = np.argpartition(-scores, k - 1)[:k]
        rows = rows[np.argsort(-scores[rows], kind="stable")]
        return [(int(r), float(scores[r])) for r in rows]


class _SavedScores:
    """A saved bm25s index read with numpy alone: importing bm25s pulls in scipy.sparse (~0.3 s of CPU), which a
    CLI question pays on every run. bm25s stores each term's precomputed BM25 contributions as a CSC matrix (term
    -> documents); a query's score per document is the sum over its terms, as ``bm25s.BM25.get_scores`` computes
    for the ``lucene`` method (the one ``LexicalIndex`` builds; others go through bm25s)."""

    def __init__(self, vocab: dict[str, int], data: np.ndarray, indices: np.ndarray, indptr: np.ndarray) -> None:
        self.vocab, self.data, self.indices, self.indptr = vocab, data, indices, indptr

    @classmethod
    def read(cls, path: Path) -> _SavedScores | None:
        import json

        try:
            params = json.loads((path / "params.index.json").read_text())
            if params.get("method") != "lucene" or params.get("backend", "numpy") != "numpy":
                return None
            vocab = json.loads((path / "vocab.index.json").read_text())
            arrays = [np.load(path / f"{name}.csc.index.npy") for name in ("data", "indices", "indptr")]
        except (OSError, ValueError):
            return None
        return cls(vocab, *arrays)

    def scores(self, term_ids: list[int], size: int) -> np.ndarray:
        out = np.zeros(size, dtype=np.float32)
        for term in term_ids:  # repeated query terms count again, as in bm25s
            start, end = int(self.indptr[term]), int(self.indptr[term + 1])
            np.add.at(out, self.indices[start:end], self.data[start:end])
        return out
