"""The Router seam: (question, corpus statistics, model profile, budget, cache state) -> Plan.

One Protocol, a plain registry; ``heuristic`` is the default. Routers see statistics, not the corpus, so they are
fast and testable on synthetic numbers; the pipeline computes the statistics (and the named-document scope).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Literal, Protocol

from docintel.assemble.cache_state import CacheStatus
from docintel.corpus import Corpus
from docintel.errors import DocintelError
from docintel.plan import Mode, Plan
from docintel.profiles import ModelProfile


@dataclass(frozen=True)
class CorpusStats:
    """What a router knows about the text it would send: the whole corpus, or the documents a question names."""

    tokens: int
    documents: int
    segments: int
    kinds: dict[str, int] = field(default_factory=dict)
    chunk_tokens: float = 300.0  # average tokens of one retrievable chunk
    # average tokens one retrieved chunk puts in a retrieve prompt (code: widened to whole definitions); None: as
    # many as the chunk holds
    sent_chunk_tokens: float | None = None
    doc_tokens: tuple[int, ...] = ()  # per document, in corpus order (map-reduce groups whole documents)

    @classmethod
    def of(
        cls,
        corpus: Corpus,
        *,
        paths: tuple[str, ...] = (),
        chunk_tokens: float | None = None,
        sent_chunk_tokens: float | None = None,
    ) -> CorpusStats:
        docs = [d for d in corpus.documents if not paths or d.path in paths]
        segments = sum(len(d.segments) for d in docs)
        tokens = sum(d.tokens for d in docs)
        kinds: dict[str, int] = {}
        for d in docs:
            kinds[d.kind] = kinds.get(d.kind, 0) + 1
        return cls(
            tokens=tokens,
            documents=len(docs),
            segments=segments,
            kinds=kinds,
            chunk_tokens=chunk_tokens if chunk_tokens else (tokens / segments if segments else 300.0),
            sent_chunk_tokens=sent_chunk_tokens,
            doc_tokens=tuple(d.tokens for d in docs),
        )


Preference = Literal["cost", "balanced", "quality"]
PREFERENCES: tuple[Preference, ...] = ("cost", "balanced", "quality")


@dataclass(frozen=True)
class RouteRequest:
    question: str
    stats: CorpusStats  # of the whole corpus
    profile: ModelProfile
    backend: str = "extractive"
    budget_tokens: int | None = None  # the caller's cap on prompt tokens
    cache: CacheStatus = field(default_factory=lambda: CacheStatus(False, None, 0))
    scope: tuple[str, ...] = ()  # documents the question names (see docintel.routers.scope)
    scope_words: tuple[str, ...] = ()  # the words that named them
    scope_stats: CorpusStats | None = None  # of the named documents
    force_mode: Mode | None = None  # Self-Route escalation or an explicit user choice
    # The backend's capability: False when no language model answers (the extractive backend quotes evidence).
    generative: bool = True
    # How much recall is worth to the caller: "cost" lowers full's allowed premium over retrieve, "quality" raises it.
    prefer: Preference = "balanced"
    # Questions the caller expects to ask about this corpus: a full prefix's cache write is shared among them.
    expect_questions: int = 1
    # Documents that fit the question equally well when it names none (ambiguity); the plan lists them.
    candidates: tuple[str, ...] = ()
    candidates_reason: str = ""
    # The map prompts of a map-reduce pass over this text were sent within the cache TTL: their prefixes are warm.
    map_warm: bool = False
    # The named documents are a guess (a shared title, fuzzy words, the content ranking): a plan that reads them also
    # sends the passages retrieval finds in the whole corpus, so it holds at least what retrieval alone would.
    widen: bool = False


class Router(Protocol):
    name: str

    def route(self, request: RouteRequest) -> Plan:
        """Decide the mode, with reasons, token and cost estimates, and the fallback."""
        ...


REGISTRY: dict[str, str] = {
    "heuristic": "docintel.routers.heuristic:HeuristicRouter",
    # Baselines for evaluation: one mode always, over the whole corpus (no named-document scope).
    "fixed-full": "docintel.routers.fixed:AlwaysFull",
    "fixed-retrieve": "docintel.routers.fixed:AlwaysRetrieve",
    "fixed-map_reduce": "docintel.routers.fixed:AlwaysMapReduce",
}


def get_router(name: str = "heuristic") -> Router:
    if name not in REGISTRY:
        raise DocintelError(f"unknown router {name!r}; choose one of: {', '.join(REGISTRY)}")
    module_name, cls_name = REGISTRY[name].split(":")
    router: Router = getattr(importlib.import_module(module_name), cls_name)()
    return router
