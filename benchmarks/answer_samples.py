"""The extractive answer's figures on any sample of a cases file, and on "absent" questions made by asking a
corpus's questions of the wrong corpus or meeting: what `docintel eval --backend extractive` reports, for samples
it cannot draw (``--sample N`` always takes the same evenly spaced cases; ``--shift 0.5`` takes the cases half a
step further, a held-out sample) and with the confidence threshold off (the ranking alone: "hit@3 off").

Each case is asked as `docintel ask` asks it; the prompts the backend gets (a retrieve pass and, for Self-Route,
the full pass) are recorded once and replayed, so the figures with the threshold off come from the same prompts.

    DOCINTEL_HOME=/tmp/evalhome python benchmarks/answer_samples.py ../shared/eval/cases/contracts-cuad.jsonl \\
        --sample 300 --shift 0.5
    DOCINTEL_HOME=/tmp/evalhome python benchmarks/answer_samples.py ../shared/eval/cases/code.jsonl --swap

``--swap``: code questions are asked of the other repository (flask's of requests and the reverse), meeting
questions of a meeting from another series (ICSI -> parliament -> AMI -> ICSI); each is scored as an absent case.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from docintel import session
from docintel.answer import TextDelta, Usage, UsageEvent
from docintel.backends import extractive
from docintel.backends.extractive import ExtractiveBackend
from docintel.eval.evaluation import Case, load_cases
from docintel.profiles import get_profile


class _Recorder(ExtractiveBackend):
    """Records every prompt; says "insufficient" to a retrieve pass so that Self-Route's full pass is recorded too."""

    def __init__(self, profile: Any) -> None:
        super().__init__(profile)
        self.prompts: list[Any] = []

    def generate(self, prompt: Any) -> Iterator[Any]:
        self.prompts.append(replace(prompt, blocks=()))
        yield TextDelta("-\n")
        yield UsageEvent(Usage(), stop_reason="end_turn", confidence=0.0, insufficient=prompt.mode == "retrieve")


def _swapped(cases: list[Case], corpora: Path) -> list[Case]:
    out = []
    meetings = sorted(p.stem for p in (corpora / "transcripts-qmsum-val").glob("*.txt"))
    series = [
        [m for m in meetings if m[:3] in ("Bed", "Bmr", "Bro")],
        [m for m in meetings if m[:1].islower()],
        [m for m in meetings if m[:2] in ("ES", "IS", "TS")],
    ]
    other = {
        m: series[(k + 1) % 3][i % len(series[(k + 1) % 3])] for k, s in enumerate(series) for i, m in enumerate(s)
    }
    for c in cases:
        if c.corpus in ("code-flask", "code-requests"):
            corpus = "code-requests" if c.corpus == "code-flask" else "code-flask"
            question = c.question
        elif c.corpus == "transcripts-qmsum-val" and c.kind == "lookup":
            corpus = c.corpus
            m = re.match(r"In meeting (\S+):", c.question)
            if not m or m.group(1) not in other:
                continue
            question = c.question.replace(m.group(1), other[m.group(1)], 1)
        else:
            continue
        out.append(
            replace(
                c,
                id=c.id + "-x",
                suite=corpus + " (asked of the wrong one)",
                corpus=corpus,
                question=question,
                kind="absent",
                evidence=(),
            )
        )
    return out


def _answer(prompts: list[Any], fallback: str) -> Any:
    result = extractive.extractive_result(prompts[0])
    if not result.found and fallback == "full" and len(prompts) > 1:
        result = extractive.extractive_result(prompts[1])
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cases", type=Path)
    ap.add_argument("--sample", type=int, default=0, help="N cases evenly spaced (default: all)")
    ap.add_argument("--shift", type=float, default=0.0, help="start this share of a step later (0.5: held out)")
    ap.add_argument("--swap", action="store_true", help="ask each question of the wrong corpus or meeting")
    ap.add_argument("--profile", default="claude-sonnet-4-6")
    args = ap.parse_args()
    corpora = args.cases.resolve().parent.parent / "corpora"
    cases = load_cases(args.cases)
    if args.sample and args.sample < len(cases):
        step = len(cases) / args.sample
        cases = [cases[min(len(cases) - 1, int((i + args.shift) * step))] for i in range(args.sample)]
    if args.swap:
        cases = _swapped(cases, corpora)
    profile = get_profile(args.profile)
    recorded: list[tuple[Case, str, list[Any]]] = []
    for name in dict.fromkeys(c.corpus for c in cases):
        with session.open(corpora / name) as opened:
            for case in (c for c in cases if c.corpus == name):
                backend, plans = _Recorder(profile), []
                opened.ask(case.question, backend=backend, profile=profile, on_plan=plans.append)
                recorded.append((case, plans[0].fallback or "", backend.prompts))
    groups: dict[str, list[tuple[bool, bool, bool, bool]]] = {}
    threshold = extractive.MIN_CONFIDENCE
    for case, fallback, prompts in recorded:
        result = _answer(prompts, fallback)
        extractive.MIN_CONFIDENCE = 0.0  # the ranking alone: every case answered
        ranking = _answer(prompts, fallback)
        extractive.MIN_CONFIDENCE = threshold

        def hits(r: Any, n: int, gold: Any = case.evidence) -> bool:
            return any(
                q.unit.path == g.path and q.unit.start < g.end and q.unit.end > g.start
                for q in r.quotes[:n]
                for g in gold
            )

        groups.setdefault(f"{case.suite}/{case.kind}", []).append(
            (result.found, result.found and hits(result, 1), result.found and hits(result, 3), hits(ranking, 3))
        )
    print(f"{'suite/kind':52} {'n':>4} {'hit@1':>6} {'hit@3':>6} {'answered':>8} {'not found':>9} {'hit@3 off':>9}")
    for key, rows in sorted(groups.items()):
        n = len(rows)
        share = [sum(r[i] for r in rows) / n for i in range(4)]
        if key.endswith("/absent"):
            print(f"{key:52} {n:4} {'–':>6} {'–':>6} {share[0]:8.2f} {1 - share[0]:9.2f} {'–':>9}")
        else:
            print(f"{key:52} {n:4} {share[1]:6.2f} {share[2]:6.2f} {share[0]:8.2f} {'–':>9} {share[3]:9.2f}")


if __name__ == "__main__":
    main()
