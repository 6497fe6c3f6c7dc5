"""Which documents a question is about: the ones it names by identity, or the ones its content points at.

A question that names a document ("the Endorsement Agreement between Mossimo, Inc. and David Duval Enterprises",
"Boston Consulting Group's NDA", "In meeting Bed002") is about that document; reading it whole is cheaper than the
whole corpus and more complete than retrieval. Names are matched against each document's identity
(``docintel.ingest.identity``: title, parties, short forms, acronyms, participants, path) — exactly, by acronym
("BCG" <-> "Boston Consulting Group") and fuzzily ("Employer's" ~ "employee") — each word weighted by how rare it is
among the identities, so "agreement" (in every contract's title) counts for little and "Mossimo" for much.

A code corpus is different: ordinary question words ("order", "effects", "test") are not names, and a doc page that
shares a fixture's name is not what a code question asks about. There a question is scoped only by a path it
writes out exactly.

When a question names nothing, ``rank_documents`` ranks documents by their retrieved chunks: one clear winner is
read whole, several equally likely ones are reported as candidates (the question is ambiguous).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import Any

from docintel.corpus import Corpus, Document
from docintel.ingest.identity import PREAMBLE_CHARS, Identity, acronym, document_identity, path_words, text_words
from docintel.routers import identity_cache

_WORD = re.compile(r"[A-Za-z0-9]+")
_CAPITALISED = re.compile(r"(?<![\w])(?:[A-Z][\w'’&.-]*)(?:[ \t]+(?:(?:of|and|&)[ \t]+)?[A-Z][\w'’&.-]*)*")
_DISTINCT_STEM = re.compile(r"[0-9_\-. ]|%20|[a-z][A-Z]")
_PATHLIKE = re.compile(r"[\w.-]+(?:/[\w.-]+)+|[\w-]+\.[A-Za-z]{1,5}\b")
FUZZY_PREFIX = 5  # words sharing their first five letters (and close in length) match fuzzily
FUZZY_WEIGHT = 0.7
LOWERCASE_WEIGHT = 0.5  # a name word the question writes in lower case may be an ordinary word
CLEAR_MARGIN = 1.5  # the best document must score this many times the runner-up
MAX_TIED = 3  # up to this many equally named documents are read together; more is an ambiguity
MAX_CANDIDATES = 12


@dataclass(frozen=True)
class ScopeMatch:
    paths: tuple[str, ...]  # the documents the plan reads (empty: the question is ambiguous, see candidates)
    words: tuple[str, ...]  # the identity words the question shares with them
    score: float
    how: str = "identity"  # path | stem | identity | ranked
    candidates: tuple[str, ...] = ()  # equally likely documents when the question does not single one out
    scores: dict[str, float] = field(default_factory=dict, compare=False)
    # The documents were chosen on a guess (a title several contracts share, fuzzy words, the content ranking), not
    # by an exact identity: the plan also sends what retrieval finds in the rest of the corpus.
    guess: bool = False


def question_words(question: str) -> set[str]:
    return text_words(question)


def _capitalised_words(question: str) -> set[str]:
    """Words the question writes as names: capitalised anywhere but its first word, or all in capitals."""
    out: set[str] = set()
    for m in _WORD.finditer(question):
        w = m.group(0)
        if (m.start() > 0 and w[0].isupper()) or (len(w) >= 2 and w.isupper()):
            out |= text_words(w)
    return out


def _question_acronyms(question: str) -> tuple[set[str], set[str]]:
    """Acronyms the question writes ("BCG"), and the initials of the names it writes out ("Boston Consulting
    Group" -> bcg). The first match a document's words or acronyms, the second only its words (a short form or
    file name "BCG-Mutual-NDA"): initials of a name the document also writes out would count the name twice."""
    written = {w.lower() for w in _WORD.findall(question) if len(w) >= 2 and w.isupper() and not w.isdigit()}
    initials = set()
    for m in _CAPITALISED.finditer(question):
        a = acronym(m.group(0))
        if a and len(a) >= 3:  # two initials ("Receiving Party" -> rp) are too easily a coincidence
            initials.add(a)
    return written, initials - written


# A title the question writes ("the MARKETING AND TRANSPORTATION SERVICES AGREEMENT"): capitalised words ending in a
# document type. The documents whose preamble writes the same words are the ones it names.
_TITLE_TYPES = {"agreement", "contract", "undertaking", "license", "licence", "lease", "memorandum", "nda", "addendum",
                "amendment"}  # fmt: skip
_TITLE_LINKS = {"and", "of", "for", "&"}
_NOT_TITLE = {"what", "does", "do", "did", "is", "are", "was", "which", "who", "when", "where", "how", "why", "under",
              "in", "per", "according", "can", "may", "must", "should", "will", "would", "has", "have", "if", "a",
              "an", "the", "this", "that", "each", "any", "every", "our", "their", "its", "my"}  # fmt: skip
_TITLE_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’-]*|&")


def title_phrases(question: str) -> list[tuple[str, ...]]:
    """The titles ``question`` writes, as lower-case word tuples, longest first: a run of capitalised words (joined
    by "and", "of", "for", "&") that ends in a document type ("Agreement", "NDA", "License"...), with at least one
    word that is not a document type ("the Agreement" names no title)."""
    tokens = _TITLE_TOKEN.findall(question)
    out: list[tuple[str, ...]] = []
    for i, tok in enumerate(tokens):
        if tok.lower() not in _TITLE_TYPES or not tok[0].isupper():
            continue
        j = i
        while j > 0:
            prev = tokens[j - 1]
            if prev[0].isupper() or prev[0].isdigit():
                j -= 1
            elif prev.lower() in _TITLE_LINKS and j > 1 and (tokens[j - 2][0].isupper() or tokens[j - 2][0].isdigit()):
                j -= 2
            else:
                break
        run = [t.replace("’", "'") for t in tokens[j : i + 1]]
        # a possessive names a party, not the title: "APIC's Confidentiality Agreement" -> "Confidentiality Agreement"
        owner = max((n + 1 for n, t in enumerate(run[:-1]) if t.lower().endswith("'s") or t.endswith("'")), default=0)
        words = [w.lower() for w in run[owner:]]
        while words and (words[0] in _NOT_TITLE or words[0] in _TITLE_LINKS):
            words.pop(0)
        words = [w for part in words for w in _WORD.findall(part)]
        if any(w not in _TITLE_TYPES and w not in _TITLE_LINKS for w in words):
            out.append(tuple(words))
    return sorted(set(out), key=lambda t: (-len(t), t))


def _without(question: str, title: tuple[str, ...]) -> str:
    """``question`` with the title it writes cut out (its words and initials then name nothing else)."""
    pattern = r"(?<![A-Za-z0-9])" + r"[^A-Za-z0-9]+".join(re.escape(w) for w in title) + r"(?![A-Za-z0-9])"
    return re.sub(pattern, " ; ", question, flags=re.IGNORECASE)


def _head_words(text: str) -> str:
    return " " + " ".join(w.lower() for w in _WORD.findall(text[:PREAMBLE_CHARS])) + " "


CODE_SHARE = 0.25


def is_code_corpus(kinds: Iterable[str]) -> bool:
    """A repository: at least a quarter of its documents are code (the rest docs, templates, assets, data)."""
    counts = Counter(kinds)
    total = sum(counts.values())
    return bool(total) and counts["code"] >= CODE_SHARE * total


class IdentityIndex:
    """Per corpus: each document's identity words, their weights, and the exact paths a question may write."""

    def __init__(
        self, identities: Sequence[Identity], texts: dict[str, str] | None = None, code_names: Iterable[str] = ()
    ) -> None:
        texts = texts or {}
        self.identities = {i.path: i for i in identities}
        self.n = len(identities)
        self.code = is_code_corpus(i.kind for i in identities)
        basenames = Counter(PurePosixPath(i.path).name.lower() for i in identities)
        self.exact_paths = {i.path.lower(): i.path for i in identities}
        for i in identities:
            name = PurePosixPath(i.path).name.lower()
            if basenames[name] == 1:  # "app.py" names a file only when one file has that name
                self.exact_paths.setdefault(name, i.path)
        prose = [] if self.code else [i for i in identities if i.kind != "code"]
        self.words_of = {i.path: i.words() for i in prose}
        self.heads = {i.path: _head_words(texts.get(i.path, "")) for i in prose}
        self.acronyms_of = {i.path: {a for a in i.acronyms if len(a) >= 3} for i in prose}
        # A fuzzy match on a word of a document's name (file stem, title) also weighs its rarity among the names:
        # "employee" is in many NDAs' text but in one NDA's name ("Employer's NDA" -> nda-employee-template).
        self.name_words_of = {i.path: path_words(i.path) | text_words(i.title or "") for i in prose}
        vocabulary: set[str] = set()
        for path in self.words_of:
            vocabulary |= self.words_of[path] | self.acronyms_of[path]
        # A word's weight is its rarity in the documents' *text*: "receiving" or "confidential" are in every NDA and
        # weigh nothing even when one NDA's preamble capitalises them; "mossimo" is in one contract and weighs much.
        df: Counter[str] = Counter()
        for i in prose:
            own = self.words_of[i.path] | self.acronyms_of[i.path]
            df.update(vocabulary & (text_words(texts.get(i.path, "")) | own))
        self.m = max(1, len(prose))
        self.idf = {w: math.log((self.m + 1) / (c + 1)) for w, c in df.items()}
        name_df: Counter[str] = Counter()
        for words in self.name_words_of.values():
            name_df.update(words)
        self.name_idf = {w: math.log((self.m + 1) / (c + 1)) for w, c in name_df.items()}
        self.by_prefix: dict[str, set[str]] = {}
        for w in df:
            if len(w) >= FUZZY_PREFIX and w.isalpha():
                self.by_prefix.setdefault(w[:FUZZY_PREFIX], set()).add(w)
        # An exact stem counts only when it looks like a name ("Bed002", "Acme_NDA"), not a word ("tests"), and, in
        # a repository, when the code does not use it as an identifier (a doc page named after the tmp_path fixture).
        named_in_code = {n.lower() for n in code_names} | {s.lower() for i in identities for s in i.symbols}
        stems = Counter(PurePosixPath(i.path).stem.lower() for i in identities)
        self.distinct_stems = {
            p: PurePosixPath(p).stem
            for p in (i.path for i in identities if i.kind != "code")
            if stems[PurePosixPath(p).stem.lower()] == 1
            and PurePosixPath(p).stem.lower() not in named_in_code
            and len(PurePosixPath(p).stem) >= 5
            and _DISTINCT_STEM.search(PurePosixPath(p).stem)
        }

    # -------------------------------------------------------------------------------------------------- match
    def match(self, question: str) -> ScopeMatch | None:
        """The document(s) the question names, or None when it names none clearly (then ``candidates`` of the
        result of :meth:`scores` may still say which documents it might mean)."""
        if self.n < 2:
            return None
        by_path = self._paths_written(question)
        if by_path:
            return ScopeMatch(by_path, by_path, math.inf, "path")
        lowered = question.lower().replace("%20", " ")
        exact = [p for p, stem in self.distinct_stems.items() if _stem_in(stem, lowered)]
        if exact:
            longest = max(len(self.distinct_stems[p]) for p in exact)
            chosen = tuple(sorted(p for p in exact if len(self.distinct_stems[p]) == longest))
            return ScopeMatch(chosen, (self.distinct_stems[chosen[0]].lower(),), math.inf, "stem")
        if self.code:
            return None
        titled, title = self.titled(question)
        if not titled:
            return self._by_identity(question)
        named = self._by_identity(_without(question, title))  # the parties, if it names them too
        # The question writes a title some preambles write too: those documents are the ones it names, unless its
        # other words (the parties) single one out.
        words = tuple(sorted(set(title)))
        scores = named.scores if named is not None else {}
        if named is not None and named.paths:
            inside = tuple(p for p in named.paths if p in titled)
            if len(named.paths) == 1:  # named by its parties (a guess unless by a name as rare as one)
                return named
            # the names agree with the title on some of their documents; else the names win (a title is written
            # many ways, a party's name one)
            return replace(named, paths=inside or named.paths, guess=True)
        if len(titled) == 1:
            return ScopeMatch(titled, words, math.inf, "title", scores=scores)
        # the words besides the title, too weak to name a document in the whole corpus, may single out one of these
        # ("Employer's Non-Disclosure Agreement" -> the employee NDA): on a guess
        stripped = _without(question, title)
        caps = {c[:FUZZY_PREFIX] for c in _capitalised_words(stripped)}
        rest = {
            p: (score, found)
            for p, (score, found) in self.scores(stripped).items()
            if p in titled and any(f[:FUZZY_PREFIX] in caps for f in found)  # by a word written as a name
        }
        if len(rest) == 1:
            ((path, (score, found)),) = rest.items()
            return ScopeMatch((path,), tuple(sorted(found)), round(score, 2), "identity", scores=scores, guess=True)
        if len(titled) <= MAX_CANDIDATES:
            return ScopeMatch(titled, words, 0.0, "title-group", titled, scores, guess=True)
        return ScopeMatch((), words, 0.0, "identity-many", titled[:MAX_CANDIDATES], scores, guess=True)

    def titled(self, question: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The documents whose preamble writes a title the question writes (the longest one some preamble writes),
        and that title's words; nothing when no preamble writes any of its titles."""
        for phrase in title_phrases(question):
            found = self._with_head(phrase)
            if found:
                return found, phrase
        return (), ()

    def _with_head(self, phrase: tuple[str, ...]) -> tuple[str, ...]:
        needle = " " + " ".join(phrase) + " "
        return tuple(sorted(p for p, head in self.heads.items() if needle in head))

    def _by_identity(self, question: str) -> ScopeMatch | None:
        """The document(s) the question's identity words name; ``guess`` unless the best document is named by a
        word as rare as a name (exact, written as a name, or an acronym)."""
        scored = self.scores(question)
        if not scored:
            return None
        ranked = sorted(scored.items(), key=lambda kv: (-kv[1][0], kv[0]))
        best_path, (best, best_words) = ranked[0]
        threshold = min(2.5, 0.9 * math.log((self.m + 1) / 2))
        tied = [p for p, (s, _) in ranked if s * CLEAR_MARGIN > best]
        # one document needs a name as rare as a word found in one text; a group of them (a title they share) half
        # (and a group only when it is a small part of the corpus: words most documents share name nothing)
        group = 2 <= len(tied) <= min(MAX_CANDIDATES, self.m / 3)
        if best < threshold and not (group and best >= threshold / 2):
            return None
        scores = {p: round(s, 2) for p, (s, _) in ranked[:MAX_CANDIDATES]}
        caps = _capitalised_words(question)
        written, initials = _question_acronyms(question)
        asked = question_words(question)

        def strong(words: set[str]) -> bool:  # a word as rare as a name, written as one ("Mossimo", "BCG")
            return any(
                len(w) >= 3  # two letters ("FT") are too easily another party's initials
                and self.idf.get(w, 0.0) >= threshold
                and ((w in asked and w in caps) or w in written or w in initials)
                for w in words
            )

        named = [p for p in tied if strong(scored[p][1])] if len(tied) <= MAX_CANDIDATES else []
        if len(tied) > 1 and len(named) == 1:  # one named by a name, the others by fuzzy or common words
            best_path, (best, best_words) = named[0], scored[named[0]]
            tied = named
        if len(tied) == 1:
            words = tuple(sorted(best_words))
            return ScopeMatch(
                (best_path,), words, round(best, 2), "identity", scores=scores, guess=not strong(best_words)
            )
        if len(tied) <= MAX_TIED:
            words_ = sorted(set().union(*(scored[p][1] for p in tied)))
            return ScopeMatch(tuple(sorted(tied)), tuple(words_), round(best, 2), "identity", scores=scores, guess=True)
        how = "identity" if len(tied) <= MAX_CANDIDATES else "identity-many"
        return ScopeMatch((), tuple(sorted(best_words)), round(best, 2), how, tuple(tied[:MAX_CANDIDATES]), scores)

    def scores(self, question: str) -> dict[str, tuple[float, set[str]]]:
        """Per prose document: the summed weight of the identity words the question shares with it, and those words.

        Exact words weigh their IDF (half when the question writes them in lower case), fuzzy ones 0.6 of that,
        acronyms their IDF. One shared word counts only when the question writes it as a name.
        """
        asked = question_words(question)
        caps = _capitalised_words(question)
        written, initials = _question_acronyms(question)
        fuzzy_of: dict[str, set[str]] = {}
        for w in asked:
            if len(w) > FUZZY_PREFIX and w.isalpha():
                near = {
                    v
                    for v in self.by_prefix.get(w[:FUZZY_PREFIX], ())
                    if v != w and len(v) > FUZZY_PREFIX and abs(len(v) - len(w)) <= 3
                }
                if near:
                    fuzzy_of[w] = near
        out: dict[str, tuple[float, set[str]]] = {}
        for path, words in self.words_of.items():
            score = 0.0
            matched: set[str] = set()
            named = False
            name_words = self.name_words_of[path]

            def weight_of(v: str, fuzzy: bool = False, name_words: set[str] = name_words) -> float:
                text_idf = self.idf.get(v, 0.0)
                if not fuzzy or v not in name_words:
                    return text_idf
                # rare among the names but common in text ("information") is still common: geometric mean
                return max(text_idf, math.sqrt(text_idf * self.name_idf.get(v, 0.0)))

            for w in asked & words:
                weight = 1.0 if w in caps else LOWERCASE_WEIGHT
                score += weight_of(w) * weight
                matched.add(w)
                named |= w in caps
            for w, near in fuzzy_of.items():
                if w in words:
                    continue
                hit = near & words
                if hit:
                    v = max(hit, key=lambda x: weight_of(x, True))
                    if v not in matched:
                        score += FUZZY_WEIGHT * weight_of(v, True) * (1.0 if w in caps else LOWERCASE_WEIGHT)
                        matched.add(v)
                        named |= w in caps
            for a in (written | initials) - matched:
                if a in words or (a in written and a in self.acronyms_of[path]):
                    score += weight_of(a)
                    matched.add(a)
                    named = True
            # Shared words are a coincidence ("how", "caching") unless the question writes one as a name ("Kenway's").
            if score > 0 and (named or len(matched) >= 3):
                out[path] = (score, matched)
        return out

    def _paths_written(self, question: str) -> tuple[str, ...]:
        found = []
        for m in _PATHLIKE.finditer(question):
            token = m.group(0).strip(".").lower().removeprefix("./")
            if token in self.exact_paths:
                found.append(self.exact_paths[token])
        return tuple(sorted(set(found)))


_cache: dict[str, IdentityIndex] = {}


def identity_index(corpus: Corpus) -> IdentityIndex:
    """The identity index of ``corpus``, built once per corpus content."""
    key = corpus.content_hash
    if key not in _cache:
        if len(_cache) > 8:
            _cache.clear()
        _cache[key] = identity_cache.cached(
            f"{key}:{','.join(d.kind for d in corpus.documents)}",  # a kind registered at run time changes kinds
            lambda: _build_identity_index(corpus),
        )
    return _cache[key]


def _build_identity_index(corpus: Corpus) -> IdentityIndex:
    code_names = {n for d in corpus.documents if d.kind == "code" for n in d.references}
    code_names |= {x.name.rsplit(".", 1)[-1] for d in corpus.documents if d.kind == "code" for x in d.definitions}
    return IdentityIndex(
        [document_identity(d) for d in corpus.documents], {d.path: d.text for d in corpus.documents}, code_names
    )


def scope_question(question: str, corpus: Corpus) -> ScopeMatch | None:
    """The document(s) ``question`` names in ``corpus`` (see the module docstring)."""
    return identity_index(corpus).match(question)


def named_documents(
    question: str, documents: Sequence[tuple[str, str, str]], *, key: str | None = None
) -> ScopeMatch | None:
    """Like :func:`scope_question` for bare (path, text, kind) triples (no segments: no participants)."""
    if key is not None and key in _cache:
        return _cache[key].match(question)
    docs = [Document(p, kind, None, "", len(text), text) for p, text, kind in documents]
    code_names = {w for d in docs if d.kind == "code" for w in re.findall(r"[A-Za-z_]\w*", d.text)}
    index = IdentityIndex([document_identity(d) for d in docs], {d.path: d.text for d in docs}, code_names)
    if key is not None:
        if len(_cache) > 8:
            _cache.clear()
        _cache[key] = index
    return index.match(question)


# ------------------------------------------------------------------------------------------- ranking by content
CLEAR_WINNER = 2.0  # the top document's retrieval mass must be this many times the runner-up's
RANK_HITS = 20


@dataclass(frozen=True)
class DocumentRanking:
    ranked: tuple[tuple[str, float], ...]  # (path, score), best first
    winner: str | None  # one document clearly ahead of the rest
    candidates: tuple[str, ...]  # documents about equally likely when there is no winner


def rank_documents(question: str, corpus: Corpus, index: Any, *, hits: int = RANK_HITS) -> DocumentRanking:
    """Documents ranked by the fused scores of their retrieved chunks plus the identity words the question shares.

    A document is a clear winner when its score is ``CLEAR_WINNER`` times the runner-up's; otherwise the documents
    within that factor of the best are the candidates.
    """
    found = index.search(question, k=hits) if index is not None else []
    mass: dict[str, float] = {}
    for rank, hit in enumerate(found):
        path = hit.chunk.span.path
        mass[path] = mass.get(path, 0.0) + 1.0 / (2 + rank)  # steep: the top hits decide
    names = identity_index(corpus).scores(question)
    if names:
        top = max(s for s, _ in names.values())
        for path, (s, _) in names.items():
            mass[path] = mass.get(path, 0.0) + 0.1 * s / top
    ranked = tuple(sorted(((p, round(s, 4)) for p, s in mass.items()), key=lambda t: (-t[1], t[0])))
    if not ranked:
        return DocumentRanking((), None, ())
    best = ranked[0][1]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    if best >= CLEAR_WINNER * runner_up:
        return DocumentRanking(ranked, ranked[0][0], ())
    close = tuple(p for p, s in ranked if s * CLEAR_WINNER > best)[:MAX_CANDIDATES]
    return DocumentRanking(ranked, None, close)


def _stem_in(stem: str, lowered_question: str) -> bool:
    s = stem.lower().replace("%20", " ")
    i = lowered_question.find(s)
    if i < 0:
        return False
    before = lowered_question[i - 1] if i > 0 else " "
    after = lowered_question[i + len(s)] if i + len(s) < len(lowered_question) else " "
    return not before.isalnum() and not after.isalnum()


def resolve_scope(question: str, corpus: Corpus, index: Any, *, asks_across: bool = False) -> ScopeMatch | None:
    """The documents a plan for ``question`` reads: the ones it names; else, in a corpus of prose documents, the
    one its content clearly points at (``how="ranked"``); else None, with the equally likely ``candidates`` when
    the question could be about any of several. ``asks_across`` (a question about every document: "which of the
    agreements ...") keeps the whole corpus in scope unless a path or file stem is written out."""
    named = scope_question(question, corpus)
    if asks_across:  # only a path or file stem written out narrows a question about every document
        return named if named is not None and named.how in ("path", "stem") else None
    if named is not None and named.paths:
        return named
    ix = identity_index(corpus)
    if ix.code or len(ix.words_of) < 2:
        return named
    from docintel.routers.questions import classify_question

    if classify_question(question).type in ("aggregate", "summary"):  # "Summarize everything": every document
        return _named_group(named) or named
    if index is None:
        return _named_group(named) or named
    ranking = rank_documents(question, corpus, index)
    if ranking.winner is not None and named is None:
        return ScopeMatch(
            (ranking.winner,), (), ranking.ranked[0][1], "ranked", scores=dict(ranking.ranked[:5]), guess=True
        )
    pool = named.candidates if named is not None else ranking.candidates
    if named is not None and ranking.ranked:
        # named ambiguously ("the CO-BRANDING AGREEMENT"): the content decides among the named candidates
        mass = dict(ranking.ranked)
        inside = sorted(((mass.get(p, 0.0), p) for p in named.candidates), reverse=True)
        if inside and inside[0][0] > 0 and inside[0][0] >= CLEAR_WINNER * (inside[1][0] if len(inside) > 1 else 0.0):
            return ScopeMatch(
                (inside[0][1],), named.words, named.score, "identity+ranked", scores=named.scores, guess=True
            )
    group = _named_group(named)
    if group is not None:
        return group
    if len(pool) < 2:
        return named
    return ScopeMatch((), named.words if named else (), 0.0, "ambiguous", tuple(pool), named.scores if named else {})


def _named_group(named: ScopeMatch | None) -> ScopeMatch | None:
    """A name several documents share ("the FRANCHISE AGREEMENT": five franchise agreements): read within them,
    and say which they are."""
    if named is None or named.how != "identity" or len(named.candidates) < 2:
        return None
    pool = named.candidates
    return ScopeMatch(tuple(sorted(pool)), named.words, named.score, "named-group", pool, named.scores, guess=True)
