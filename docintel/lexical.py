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
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


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
        import bm25s

        index = cls.__new__(cls)
        index.size = int((path / "size").read_text())
        index._bm25 = bm25s.BM25.load(str(path), mmap=False, show_progress=False) if index.size else bm25s.BM25()
        return index

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every row for ``query`` (zeros where no query term occurs)."""
        if not self.size:
            return np.zeros(0, dtype=np.float32)
        vocab = self._bm25.vocab_dict
        terms = [t for t in tokenize(query) if t in vocab]
        if not terms:
            return np.zeros(self.size, dtype=np.float32)
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
