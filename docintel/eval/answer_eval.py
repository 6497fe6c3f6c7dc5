"""Answer evaluation: does the answer a user reads quote the gold evidence, and does it say "not found" when the
corpus does not hold the answer?

Each case is asked as ``docintel ask`` asks it (plan, prompt, backend, citations, Self-Route), and scored on the
spans the answer cites, in the order it cites them (each quoted sentence of the extractive answer is one citation):

- **hit@1 / hit@3**: the first 1 / 3 cited spans overlap a gold evidence span (same file, overlapping characters).
  An answer that says it found no clear answer scores no hit, whatever evidence it lists.
- **not found** (``absent`` cases): the share answered "no clear answer" / insufficient context rather than with a
  quote presented as the answer.
- **answered**: the share of cases given an answer at all, and the mean confidence where the backend rates itself.

Reported per suite and kind by ``docintel eval --cases FILE --backend NAME``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from docintel.answer import Answer
from docintel.corpus import SourceSpan
from docintel.eval.evaluation import Case, GoldSpan, opened_corpora
from docintel.profiles import ModelProfile

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class AnswerResult:
    case_id: str
    suite: str
    kind: str
    found: bool  # the answer presents an answer (not "no clear answer" / insufficient)
    hit1: bool
    hit3: bool
    confidence: float | None
    mode: str
    cited: int  # spans cited

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def overlaps(span: SourceSpan, gold: GoldSpan) -> bool:
    return span.path == gold.path and span.start < gold.end and span.end > gold.start


def score_answer(case: Case, answer: Answer) -> AnswerResult:
    found = not answer.insufficient_context
    spans = [c.span for c in answer.citations]
    hits = [any(overlaps(s, g) for g in case.evidence) for s in spans]
    return AnswerResult(
        case_id=case.id,
        suite=case.suite,
        kind=case.kind,
        found=found,
        hit1=found and any(hits[:1]),
        hit3=found and any(hits[:3]),
        confidence=answer.confidence,
        mode=answer.plan.mode,
        cited=len(spans),
    )


def evaluate_answers(
    cases: Sequence[Case],
    corpora_dir: Path,
    backend: Any,
    profile: ModelProfile,
    *,
    open_progress: Callable[[str], Any] | None = None,
    case_progress: Progress | None = None,
) -> list[AnswerResult]:
    """Ask every case with ``backend`` and score the answer. Each corpus is opened (index built or updated) once;
    the prompt-cache record is a throwaway one, so the user's own is neither read nor warmed."""
    from docintel.assemble import cache_state

    results: list[AnswerResult] = []
    with (
        tempfile.TemporaryDirectory(prefix="docintel-answers-") as scratch,
        cache_state.record_file(Path(scratch) / "cache_state-answers.json"),
    ):
        for opened, corpus_cases in opened_corpora(cases, corpora_dir, open_progress):
            for case in corpus_cases:
                if case_progress:
                    case_progress(len(results), len(cases), case.id)
                answer = opened.ask(case.question, backend=backend, profile=profile)
                results.append(score_answer(case, answer))
    if case_progress:
        case_progress(len(results), len(cases), "")
    return results


def _share(flags: Sequence[bool]) -> float | None:
    return round(sum(flags) / len(flags), 3) if flags else None


def summarize_answers(results: Sequence[AnswerResult]) -> dict[str, Any]:
    """Per ``suite/kind``: cases, hit@1, hit@3 (not for absent cases), answered, not found (absent only)."""
    groups: dict[str, list[AnswerResult]] = {}
    for r in results:
        groups.setdefault(f"{r.suite}/{r.kind}", []).append(r)
    out: dict[str, Any] = {}
    for key in sorted(groups):
        rows = groups[key]
        absent = rows[0].kind == "absent"
        confidences = [r.confidence for r in rows if r.confidence is not None]
        out[key] = {
            "cases": len(rows),
            "hit@1": None if absent else _share([r.hit1 for r in rows]),
            "hit@3": None if absent else _share([r.hit3 for r in rows]),
            "answered": _share([r.found for r in rows]),
            "not_found": _share([not r.found for r in rows]) if absent else None,
            "mean_confidence": round(sum(confidences) / len(confidences), 3) if confidences else None,
        }
    return out
