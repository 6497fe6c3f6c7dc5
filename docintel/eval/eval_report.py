"""The evaluation report: per-case results aggregated per strategy, by kind, by suite and by suite/kind.

``docintel.eval.evaluation`` produces one CaseResult per case and strategy; this module turns them into the JSON that
``docintel eval --json`` prints and the rows of its table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from docintel.plan import TokenEstimate
from docintel.profiles import ModelProfile

if TYPE_CHECKING:
    from docintel.eval.evaluation import Case, Recall

Strategy = Literal["router", "full", "retrieve"]
STRATEGIES: tuple[Strategy, ...] = ("router", "full", "retrieve")


@dataclass(frozen=True)
class CaseResult:
    case: Case
    strategy: Strategy
    mode: str
    recall: Recall | None
    tokens: TokenEstimate
    cost_usd: float
    truncated: bool = False
    answer_score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.case.id,
            "suite": self.case.suite,
            "kind": self.case.kind,
            "strategy": self.strategy,
            "mode": self.mode,
            "recall": None if self.recall is None else round(self.recall.chars, 4),
            "spans_half_covered": None if self.recall is None else round(self.recall.spans_half, 4),
            "tokens": {
                "total": self.tokens.total,
                "cache_write": self.tokens.cache_write,
                "cache_read": self.tokens.cache_read,
                "uncached": self.tokens.uncached,
            },
            "cost_usd": round(self.cost_usd, 6),
            "truncated": self.truncated,
            "answer_score": self.answer_score,
        }


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def summarize(results: Sequence[CaseResult]) -> dict[str, Any]:
    """Aggregate of one strategy over some cases: recall over cases with evidence, tokens and cost over all."""
    with_evidence = [r.recall for r in results if r.recall is not None]
    tokens = TokenEstimate(
        cache_write=sum(r.tokens.cache_write for r in results),
        cache_read=sum(r.tokens.cache_read for r in results),
        uncached=sum(r.tokens.uncached for r in results),
    )
    cost = sum(r.cost_usd for r in results)
    modes: dict[str, int] = {}
    for r in results:
        modes[r.mode] = modes.get(r.mode, 0) + 1
    scores = [r.answer_score for r in results if r.answer_score is not None]
    n = len(results)
    return {
        "cases": n,
        "recall_cases": len(with_evidence),
        "recall": _mean([r.chars for r in with_evidence]),
        "spans_half_covered": _mean([r.spans_half for r in with_evidence]),
        "tokens": {
            "total": tokens.total,
            "cache_write": tokens.cache_write,
            "cache_read": tokens.cache_read,
            "uncached": tokens.uncached,
        },
        "tokens_per_case": round(tokens.total / n) if n else 0,
        "cost_usd": round(cost, 4),
        "cost_per_case_usd": round(cost / n, 6) if n else 0.0,
        "truncated": sum(1 for r in results if r.truncated),
        "modes": modes,
        "answer_score": _mean(scores),
    }


def _grouped(results: Sequence[CaseResult], key: Callable[[CaseResult], str]) -> dict[str, dict[str, Any]]:
    groups: dict[str, dict[str, list[CaseResult]]] = {}
    for r in results:
        groups.setdefault(key(r), {}).setdefault(r.strategy, []).append(r)
    return {
        g: {s: summarize(rs) for s, rs in sorted(by_s.items(), key=lambda kv: STRATEGIES.index(kv[0]))}
        for g, by_s in sorted(groups.items())
    }


NOTES = (
    "recall = covered characters of the gold spans / all gold characters, averaged over cases with evidence; "
    "spans_half_covered = fraction of gold spans at least half inside the prompt",
    "tokens are prompt tokens (cl100k estimates) summed over cases; cost is prompt cost only (no output tokens)",
    "cache: cases run grouped by corpus in file order; a strategy's cacheable prefix is written on first use and "
    "read on later uses within the run (assumed within the cache TTL)",
    "always-full on a corpus above the window keeps segments in corpus order while they fit (truncated); "
    "recall counts only what fits",
    "absent cases have no evidence: they count in tokens and cost, recall is N/A (see by_kind.absent)",
)


def report(results: Sequence[CaseResult], *, profile: ModelProfile, cases_file: str = "") -> dict[str, Any]:
    by_strategy: dict[str, list[CaseResult]] = {}
    for r in results:
        by_strategy.setdefault(r.strategy, []).append(r)
    strategies = {s: summarize(by_strategy[s]) for s in STRATEGIES if s in by_strategy}
    out: dict[str, Any] = {
        "cases_file": cases_file,
        "profile": profile.id,
        "cases": len({r.case.id for r in results}),
        "strategies": strategies,
        "by_kind": _grouped(results, lambda r: r.case.kind),
        "by_suite": _grouped(results, lambda r: r.case.suite),
        "by_suite_kind": _grouped(results, lambda r: f"{r.case.suite}/{r.case.kind}"),
        "router_modes": strategies.get("router", {}).get("modes", {}),
        "notes": list(NOTES),
    }
    if "router" in strategies and "full" in strategies:
        router, full = strategies["router"], strategies["full"]
        out["router_vs_full"] = {
            "recall_ratio": (
                round(router["recall"] / full["recall"], 4) if router["recall"] and full["recall"] else None
            ),
            "token_ratio": (
                round(router["tokens"]["total"] / full["tokens"]["total"], 4) if full["tokens"]["total"] else None
            ),
            "cost_ratio": round(router["cost_usd"] / full["cost_usd"], 4) if full["cost_usd"] else None,
        }
    return out


def iter_rows(data: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(group, strategy, summary) rows for a table: by suite/kind, then by kind, then all."""
    for group, by_s in data["by_suite_kind"].items():
        for s, summary in by_s.items():
            yield group, s, summary
    for group, by_s in data["by_kind"].items():
        for s, summary in by_s.items():
            yield f"all/{group}", s, summary
    for s, summary in data["strategies"].items():
        yield "all", s, summary
