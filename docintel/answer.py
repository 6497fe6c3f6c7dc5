"""What a backend streams back and what docintel returns: events, Usage, Citation, Answer."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from docintel.corpus import SourceSpan
from docintel.plan import Plan

# What a user reads when docintel found no clear answer (never the internal insufficient-context marker).
NO_CLEAR_ANSWER = "docintel found no clear answer to this question in the documents."


@dataclass(frozen=True)
class Usage:
    """Normalized across backends. ``input_tokens`` = cache_write + cache_read + uncached."""

    input_tokens: int = 0
    cache_write_tokens: int = 0
    cache_read_tokens: int = 0
    output_tokens: int = 0
    ttft_s: float | None = None  # time to first token
    total_s: float = 0.0
    cost_usd: float = 0.0

    @property
    def uncached_tokens(self) -> int:
        return self.input_tokens - self.cache_write_tokens - self.cache_read_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            cache_write_tokens=self.cache_write_tokens + other.cache_write_tokens,
            cache_read_tokens=self.cache_read_tokens + other.cache_read_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            ttft_s=self.ttft_s if self.ttft_s is not None else other.ttft_s,
            total_s=self.total_s + other.total_s,
            cost_usd=self.cost_usd + other.cost_usd,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class UsageEvent:
    usage: Usage
    stop_reason: str | None = None
    # A backend that can rate its own answer (the extractive one) says how sure it is, 0..1, and whether it found
    # no clear answer (Self-Route escalates on that, as on a model's insufficient-context marker).
    confidence: float | None = None
    insufficient: bool = False


BackendEvent = TextDelta | UsageEvent


@dataclass(frozen=True)
class Citation:
    id: str  # the citation id as it appeared in the prompt
    span: SourceSpan
    quote: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.span.label(), **self.span.to_dict(), "quote": self.quote}


@dataclass(frozen=True)
class Answer:
    text: str
    citations: tuple[Citation, ...]
    plan: Plan
    usage: Usage
    backend: str
    model: str
    insufficient_context: bool = False
    invalid_citations: tuple[str, ...] = ()  # ids in the answer that were not in the prompt: flagged, not sources
    calls: tuple[Usage, ...] = ()  # per-call usage when Self-Route escalated (both calls)
    notes: tuple[str, ...] = field(default=())  # e.g. "escalated to full", "3 secrets redacted"
    confidence: float | None = None  # 0..1 when the backend rates its answer (extractive); None for a model
    # URLs in the answer to hosts the corpus never mentions, and every image: made inert in ``text``
    # (docintel.egress.links)
    suspicious_links: tuple[str, ...] = ()

    @property
    def cost_usd(self) -> float:
        return self.usage.cost_usd

    def to_dict(self) -> dict[str, Any]:
        return {
            "answer": self.text,
            "citations": [c.to_dict() for c in self.citations],
            "plan": self.plan.to_dict(),
            "usage": self.usage.to_dict(),
            "cost_usd": self.usage.cost_usd,
            "backend": self.backend,
            "model": self.model,
            "insufficient_context": self.insufficient_context,
            "confidence": self.confidence,
            "suspicious_links": list(self.suspicious_links),
            "invalid_citations": list(self.invalid_citations),
            "calls": [u.to_dict() for u in self.calls],
            "notes": list(self.notes),
        }
