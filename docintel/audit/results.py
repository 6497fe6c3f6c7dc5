"""What an audit produces: evidence per checklist item, per-item route and cost, and the report header.

These values are what every renderer (Markdown, JSON, SARIF) reads; nothing here formats text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from docintel.answer import Usage
from docintel.audit.checklists import Checklist, ChecklistItem, severity_rank
from docintel.corpus import SourceSpan
from docintel.plan import Plan

EvidenceSource = Literal["answer", "search", "pattern", "syntax"]  # syntax: docintel.audit.code_findings
Verdict = Literal["evidence_only", "model"]


@dataclass(frozen=True)
class Evidence:
    """One cited span for a checklist item."""

    span: SourceSpan
    quote: str
    source: EvidenceSource  # cited by the answer, ranked by search, or found by the item's line patterns
    finding: bool  # counts as a finding (for --fail-on, SARIF results)
    patterns: tuple[str, ...] = ()  # the item patterns that matched this span
    citation_id: str | None = None  # the id in the answer, for source == "answer"

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.span.to_dict(),
            "label": self.span.label(),
            "quote": self.quote,
            "source": self.source,
            "finding": self.finding,
            "patterns": list(self.patterns),
            "citation_id": self.citation_id,
        }


@dataclass(frozen=True)
class ItemResult:
    item: ChecklistItem
    plan: Plan  # the route the question took, with reasons and the planned (estimated) tokens and cost
    answer: str
    evidence: tuple[Evidence, ...]
    usage: Usage  # what the backend actually used
    insufficient_context: bool
    seconds: float
    notes: tuple[str, ...] = ()

    @property
    def findings(self) -> tuple[Evidence, ...]:
        return tuple(e for e in self.evidence if e.finding)

    @property
    def cached_share(self) -> float:
        return self.usage.cache_read_tokens / self.usage.input_tokens if self.usage.input_tokens else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.item.id,
            "title": self.item.title,
            "severity": self.item.severity,
            "cwe": self.item.cwe,
            "question": self.item.question,
            "route": {
                "mode": self.plan.mode,
                "question_type": self.plan.question_type,
                "reasons": [r.text for r in self.plan.reasons],
                "fallback": self.plan.fallback,
            },
            "planned_tokens": {"total": self.plan.tokens.total, **self.plan.tokens.__dict__},
            "planned_cost_usd": self.plan.cost_usd,
            "usage": self.usage.to_dict(),
            "cached_share": round(self.cached_share, 4),
            "answer": self.answer,
            "insufficient_context": self.insufficient_context,
            "findings": len(self.findings),
            "evidence": [e.to_dict() for e in self.evidence],
            "seconds": round(self.seconds, 3),
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class AuditReport:
    corpus_root: str
    corpus_hash: str
    documents: int
    corpus_tokens: int
    checklist: Checklist
    docintel_version: str
    backend: str
    model: str
    profile: str
    verdict: Verdict  # evidence_only: no model judged the evidence (extractive backend)
    items: tuple[ItemResult, ...]
    started_at: str  # ISO 8601, UTC
    seconds: float
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def findings(self) -> int:
        return sum(len(r.findings) for r in self.items)

    @property
    def usage(self) -> Usage:
        total = Usage()
        for r in self.items:
            total = total + r.usage
        return total

    def planned_tokens_by_route(self) -> dict[str, dict[str, float]]:
        """Per route: items, prompt tokens and cost a model-backed run with this profile would send (planned)."""
        out: dict[str, dict[str, float]] = {}
        for r in self.items:
            row = out.setdefault(r.plan.mode, {"items": 0, "tokens": 0, "cache_read": 0, "cost_usd": 0.0})
            row["items"] += 1
            row["tokens"] += r.plan.tokens.total
            row["cache_read"] += r.plan.tokens.cache_read
            row["cost_usd"] = round(row["cost_usd"] + r.plan.cost_usd, 6)
        return out

    def worst_finding(self) -> str | None:
        severities = [r.item.severity for r in self.items if r.findings]
        return max(severities, key=severity_rank) if severities else None

    def fails(self, fail_on: str | None) -> bool:
        """True when a finding is at or above ``fail_on`` (the CLI exits 3)."""
        worst = self.worst_finding()
        return fail_on is not None and worst is not None and severity_rank(worst) >= severity_rank(fail_on)

    def to_dict(self) -> dict[str, Any]:
        usage = self.usage
        return {
            "corpus": {
                "root": self.corpus_root,
                "content_hash": self.corpus_hash,
                "documents": self.documents,
                "tokens": self.corpus_tokens,
            },
            "checklist": {
                "name": self.checklist.name,
                "title": self.checklist.title,
                "version": self.checklist.version,
                "source": self.checklist.source,
            },
            "docintel_version": self.docintel_version,
            "backend": self.backend,
            "model": self.model,
            "profile": self.profile,
            "verdict": self.verdict,
            "started_at": self.started_at,
            "seconds": round(self.seconds, 3),
            "summary": {
                "items": len(self.items),
                "items_with_findings": sum(1 for r in self.items if r.findings),
                "findings": self.findings,
                "worst_severity": self.worst_finding(),
                "usage": usage.to_dict(),
                "cached_share": round(usage.cache_read_tokens / usage.input_tokens, 4) if usage.input_tokens else 0.0,
                "planned_by_route": self.planned_tokens_by_route(),
            },
            "items": [r.to_dict() for r in self.items],
            **({"extra": self.extra} if self.extra else {}),
        }
