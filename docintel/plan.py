"""The Plan: what the router decided a model should read for one question, and why."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Mode = Literal["full", "retrieve", "map_reduce"]
QuestionType = Literal["lookup", "aggregate", "summary", "multi_hop"]


@dataclass(frozen=True)
class TokenEstimate:
    cache_write: int = 0  # prefix tokens written to the cache by this call
    cache_read: int = 0  # prefix tokens expected to be read from a warm cache
    uncached: int = 0  # tokens billed at the plain input price
    output: int = 0  # reserved for the answer

    @property
    def total(self) -> int:
        """Prompt tokens (cache write + cache read + uncached)."""
        return self.cache_write + self.cache_read + self.uncached


@dataclass(frozen=True)
class Reason:
    """One reason, both for people (``text``) and for programs (``code`` and ``data``)."""

    code: str  # e.g. "question_type", "fits_window", "over_window", "cheaper", "warm_cache", "tiny_corpus"
    text: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    mode: Mode
    question: str
    question_type: QuestionType
    profile: str  # ModelProfile.id
    reasons: tuple[Reason, ...]
    tokens: TokenEstimate
    cost_usd: float
    fallback: Mode | None = None  # Self-Route: escalate to this mode if the answer says the context is insufficient
    k: int = 0  # retrieved chunks for retrieve mode / salient passages for full mode
    groups: int = 1  # map_reduce: number of window-sized groups
    alternatives: dict[str, float] = field(default_factory=dict)  # mode -> estimated cost of feasible modes
    scope: tuple[str, ...] = ()  # documents the question names: the plan reads only these (empty = whole corpus)
    # Documents the question fits equally well when it names none: an agent can narrow the question to one.
    candidates: tuple[str, ...] = ()
    # Chunks retrieved from the whole corpus on top of the scope (the scope is a guess); 0 = none.
    widen_k: int = 0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["tokens"] = {"total": self.tokens.total, **asdict(self.tokens)}
        d["reasons"] = [r.text for r in self.reasons]
        d["reason_codes"] = [asdict(r) for r in self.reasons]
        return d
