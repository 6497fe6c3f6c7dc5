"""run_audit through the real pipeline and index; a deterministic fake sits only at the model boundary."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import docintel
from docintel.answer import BackendEvent, TextDelta, Usage, UsageEvent
from docintel.api import CorpusHandle
from docintel.audit.checklists import Checklist, load_checklist
from docintel.audit.report import render
from docintel.audit.runner import NONE_FOUND, run_audit
from docintel.audit.sarif import to_sarif
from docintel.backends import BackendCapabilities
from docintel.profiles import get_profile
from docintel.prompt import Prompt
from tests.docintel.sample_repo import write_repo


class KeywordModel:
    """A stand-in model: cites every sent span holding a line with ``shell=True`` or ``execute(``; else none."""

    name = "fake"
    capabilities = BackendCapabilities()
    notes: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.profile = get_profile("claude-haiku-4-5")
        self.model = self.profile.id
        self.prompts: list[Prompt] = []

    def count_tokens(self, prompt: Prompt) -> int:
        return len(prompt.text) // 4

    def generate(self, prompt: Prompt) -> Iterator[BackendEvent]:
        self.prompts.append(prompt)
        needle = "shell=True" if "shell" in prompt.question else "eval("
        cited = [c.id for c in prompt.citations if needle in c.text]
        text = f"Found {len(cited)}: " + " ".join(f"[{cid}]" for cid in cited) if cited else NONE_FOUND
        yield TextDelta(text)
        tokens = self.count_tokens(prompt)
        yield UsageEvent(Usage(input_tokens=tokens, cache_read_tokens=tokens // 2, output_tokens=9, cost_usd=0.001))


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CorpusHandle]:
    root = write_repo(tmp_path_factory.mktemp("shop"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DOCINTEL_HOME", str(tmp_path_factory.mktemp("home")))
        handle = docintel.open(root)
    yield handle
    handle.close()


@pytest.fixture
def two_items() -> Checklist:
    full = load_checklist("code-security")
    picked = tuple(i for i in full.items if i.id in ("shell-injection", "unsafe-deserialization"))
    return Checklist(full.name, full.title, full.version, full.kinds, picked, full.source)


def test_model_verdict_findings_are_the_cited_spans(shop: CorpusHandle, two_items: Checklist, tmp_path: Path) -> None:
    model = KeywordModel()
    progress: list[tuple[int, int, str]] = []
    report = run_audit(shop, two_items, backend=model, progress=lambda d, t, c: progress.append((d, t, c)))
    assert progress == [(0, 2, "shell-injection"), (1, 2, "unsafe-deserialization"), (2, 2, "")]
    assert report.verdict == "model" and report.backend == "fake" and report.model == "claude-haiku-4-5"
    shell, pickle_ = report.items
    assert [(e.span.path, e.source) for e in shell.findings] == [("shop/ops.py", "answer")]
    assert "shell=True" in shell.findings[0].quote
    assert pickle_.findings == () and pickle_.answer == NONE_FOUND  # "none found" is not a finding
    # no pattern sweep with a model: the answer's citations, and the syntax candidates the model judged (one here,
    # on the line the answer already cites, so it is not listed twice)
    assert all(e.source == "answer" for r in report.items for e in r.evidence)
    assert "the model judged 1 syntax candidates: 0 more" in shell.notes
    assert "Which of these are real cases of: Shell command built from input?" in model.prompts[1].question
    # each item was routed like any question; the question carried the hints and the explicit-none instruction
    assert model.prompts[0].question.endswith(f"If there is none, answer exactly: {NONE_FOUND}.")
    assert "Look for: subprocess, shell=True" in model.prompts[0].question
    assert shell.plan.mode == "full" and shell.plan.profile == "claude-haiku-4-5"
    # two questions and one judging call, each $0.001 by the fake
    assert 0.49 < shell.cached_share <= 0.5 and report.usage.cost_usd == pytest.approx(0.003)
    assert report.fails("high") and not report.fails("critical")
    md = render(report, "md")
    assert "Evidence only" not in md and "**1 findings** in 1 of 2 items" in md and "Found 1: [" in md
    sarif = to_sarif(report)
    (result,) = sarif["runs"][0]["results"]
    assert result["ruleId"] == "shell-injection" and "cited by the model" in result["message"]["text"]
    assert json.loads(render(report, "json"))["verdict"] == "model"


def test_evidence_only_lists_retrieval_and_pattern_lines(shop: CorpusHandle, two_items: Checklist) -> None:
    report = run_audit(shop, two_items, profile="claude-sonnet-4-6")
    assert report.verdict == "evidence_only" and report.profile == "claude-sonnet-4-6"
    shell = report.items[0]
    assert [(e.span.path, e.span.start_line) for e in shell.findings] == [("shop/ops.py", 8)]
    assert all(e.source == "syntax" for e in shell.findings)  # from the call's syntax, not a line pattern
    assert any(e.source in ("answer", "search") and not e.finding for e in shell.evidence)
    assert shell.plan.tokens.total > 0 and shell.plan.cost_usd > 0  # what a Sonnet run would send
    assert report.items[1].findings == ()
