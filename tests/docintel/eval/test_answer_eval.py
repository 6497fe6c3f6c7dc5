"""Answer evaluation scores what the user reads: the quoted spans against gold evidence, and "not found" on absent
cases. Real ingestion, index and extractive backend over a small corpus written to a temp folder."""

from __future__ import annotations

from pathlib import Path

from docintel.backends.extractive import ExtractiveBackend
from docintel.eval.answer_eval import evaluate_answers, summarize_answers
from docintel.eval.evaluation import Case, GoldSpan
from tests.docintel.qa_corpus import CONTRACT, write_corpus


def test_hits_and_not_found_per_suite_and_kind(tmp_path: Path) -> None:
    write_corpus(tmp_path / "corpora" / "qa")
    clause = CONTRACT.index("This Agreement is governed by")
    notices = CONTRACT.index("5.2 Notices")
    cases = [
        Case(
            "law",
            "qa",
            "qa",
            "Which law governs this agreement?",
            "Delaware",
            "lookup",
            (GoldSpan("supply_agreement.md", clause, clause + 60),),
        ),
        # gold evidence the answer does not quote: no hit, though the answer is confident
        Case(
            "law-wrong-gold",
            "qa",
            "qa",
            "Which law governs this agreement?",
            "Delaware",
            "lookup",
            (GoldSpan("supply_agreement.md", notices, notices + 30),),
        ),
        Case("trucks", "qa", "qa", "What is the warranty period for refrigerated trucks?", "Not present.", "absent"),
    ]
    backend = ExtractiveBackend()
    results = {r.case_id: r for r in evaluate_answers(cases, tmp_path / "corpora", backend, backend.profile)}
    assert results["law"].found and results["law"].hit1 and results["law"].hit3
    assert results["law-wrong-gold"].found and not results["law-wrong-gold"].hit3
    assert not results["trucks"].found and not results["trucks"].hit3
    summary = summarize_answers(list(results.values()))
    assert summary["qa/lookup"]["hit@1"] == 0.5 and summary["qa/lookup"]["hit@3"] == 0.5
    assert summary["qa/absent"]["not_found"] == 1.0 and summary["qa/absent"]["hit@3"] is None
    assert 0.0 <= summary["qa/lookup"]["mean_confidence"] <= 1.0
