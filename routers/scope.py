"""Which documents a question names: "In meeting Bed002: ...", "(…_Cooperation Agreement)", "Kenway's NDA".

A question that names a document is about that document; reading it whole is both cheaper than the whole
corpus and more complete than retrieval. Names are matched against path words, weighted by how rare each word
is among the corpus's paths, so "agreement" (in every contract's name) counts for little and "kenway" for much.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import PurePosixPath

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_WORD = re.compile(r"[a-z0-9]+")
_PROPER = re.compile(r"(?<![\w])[A-Z][A-Za-z0-9]+|[A-Z]{2,}[A-Za-z0-9]*")
_DISTINCT_STEM = re.compile(r"[0-9_\-. ]|%20|[a-z][A-Z]")


@dataclass(frozen=True)
class ScopeMatch:
    paths: tuple[str, ...]
    words: tuple[str, ...]  # the path words the question shares with the chosen documents
    score: float


def path_words(path: str) -> set[str]:
    """Words of a file's name: the stem split on separators, %20 and camelCase."""
    stem = PurePosixPath(path.replace("%20", " ")).stem
    words = set(_WORD.findall(stem.lower())) | set(_WORD.findall(_CAMEL.sub(" ", stem).lower()))
    return {w for w in words if len(w) >= 3 and not w.isdigit()}


def question_words(question: str) -> set[str]:
    return set(_WORD.findall(question.lower())) | set(_WORD.findall(_CAMEL.sub(" ", question).lower()))


class DocumentNames:
    """Per corpus: each document's name words and how many documents' text uses each word.

    A word's weight is its IDF over the documents' *text*: "agreement" or "confidential" occur in nearly every
    contract and weigh nothing; "kenway" occurs in one and weighs much.
    """

    def __init__(self, documents: list[tuple[str, str, str]]) -> None:
        self.paths = [p for p, _, _ in documents]
        # Code files are named by their path, not by prose: "the JSON provider" is a concept, not a file name.
        self.words_of = {p: path_words(p) for p, _, kind in documents if kind != "code"}
        vocabulary = set().union(*self.words_of.values()) if self.words_of else set()
        df: Counter[str] = Counter()
        for _, text, _ in documents:
            df.update(vocabulary & set(_WORD.findall(text.lower())))
        self.n = len(documents)
        self.idf = {w: math.log((self.n + 1) / (df[w] + 1)) for w in vocabulary}
        stems = Counter(PurePosixPath(p).stem.lower() for p in self.paths)
        # An exact stem counts only when it looks like a name ("Bed002", "Acme_NDA"), not a word ("tests").
        self.distinct_stems = {
            p: PurePosixPath(p).stem
            for p in self.paths
            if stems[PurePosixPath(p).stem.lower()] == 1
            and len(PurePosixPath(p).stem) >= 5
            and _DISTINCT_STEM.search(PurePosixPath(p).stem)
        }

    def match(self, question: str, *, min_score: float = 2.5) -> ScopeMatch | None:
        """The document the question names, or None when it names none clearly.

        An exact distinctive file stem in the question wins outright; otherwise a document's score is the summed
        weight of its name words found in the question, and the best must clearly beat the runner-up.
        """
        if self.n < 2:
            return None
        lowered = question.lower().replace("%20", " ")
        exact = [p for p, stem in self.distinct_stems.items() if _stem_in(stem, lowered)]
        if exact:
            longest = max(len(self.distinct_stems[p]) for p in exact)
            chosen = tuple(sorted(p for p in exact if len(self.distinct_stems[p]) == longest))
            return ScopeMatch(chosen, (self.distinct_stems[chosen[0]].lower(),), float("inf"))
        asked = question_words(question)
        proper = {m.group(0).lower() for m in _PROPER.finditer(question) if m.start() > 0}
        scored = []
        for p, ws in self.words_of.items():
            shared = ws & asked
            # One shared word is a coincidence ("caching") unless the question writes it as a name ("Kenway's").
            if len(shared) < 2 and not shared & proper:
                continue
            scored.append((sum(self.idf[w] for w in shared), p, shared))
        scored.sort(key=lambda t: (-t[0], t[1]))
        if not scored:
            return None
        best_score, best_path, best_words = scored[0]
        runner_up = scored[1][0] if len(scored) > 1 else 0.0
        # A word found in one document's text only is a name even in a small corpus.
        threshold = min(min_score, 0.9 * math.log((self.n + 1) / 2))
        if best_score < threshold or best_score < 1.5 * runner_up:
            return None
        return ScopeMatch((best_path,), tuple(sorted(best_words)), round(best_score, 2))


_cache: dict[str, DocumentNames] = {}


def named_documents(
    question: str, documents: list[tuple[str, str, str]], *, key: str | None = None
) -> ScopeMatch | None:
    """The document(s) ``question`` names among ``documents`` (path, text, kind); ``key`` caches the table."""
    if key is None:
        return DocumentNames(documents).match(question)
    if key not in _cache:
        if len(_cache) > 8:
            _cache.clear()
        _cache[key] = DocumentNames(documents)
    return _cache[key].match(question)


def _stem_in(stem: str, lowered_question: str) -> bool:
    s = stem.lower().replace("%20", " ")
    i = lowered_question.find(s)
    if i < 0:
        return False
    before = lowered_question[i - 1] if i > 0 else " "
    after = lowered_question[i + len(s)] if i + len(s) < len(lowered_question) else " "
    return not before.isalnum() and not after.isalnum()
