"""The extractive backend quotes the right evidence with its citation id, and says plainly when there is none."""

from __future__ import annotations

from typing import Any

from docintel.answer import TextDelta, UsageEvent
from docintel.backends import get_backend
from docintel.backends.extractive import ExtractiveBackend, extractive_answer
from docintel.context import INSUFFICIENT_MARKER
from docintel.corpus import SourceSpan
from docintel.pipeline import ask, build_prompt, plan_question
from docintel.prompt import CitedSpan, Prompt, PromptBlock


def test_governing_law_is_quoted_and_cited_at_the_clause(qa_corpus_index: tuple[Any, Any]) -> None:
    corpus, index = qa_corpus_index
    answer = ask(corpus, index, "Which law governs this agreement?")
    assert "State of Delaware" in answer.text
    assert not answer.insufficient_context and answer.invalid_citations == ()
    first = answer.citations[0]
    assert first.span.path == "supply_agreement.md"
    assert "governed by the laws of the State of Delaware" in first.quote
    doc = corpus.document("supply_agreement.md")
    assert doc.text[first.span.start : first.span.end] == first.quote
    assert first.span.start_line == doc.text[: first.span.start].count("\n") + 1
    assert f"[{first.id}]" in answer.text


def test_code_and_transcript_lookups(qa_corpus_index: tuple[Any, Any]) -> None:
    corpus, index = qa_corpus_index
    answer = ask(corpus, index, "Who will own the launch checklist?")
    assert answer.citations and answer.citations[0].span.path == "launch_meeting.txt"
    assert "launch checklist" in answer.citations[0].quote and answer.citations[0].span.speaker == "Bob"
    answer = ask(corpus, index, "How is the password hashed with pbkdf2?")
    assert answer.citations and all(c.span.path == "app/auth.py" for c in answer.citations)
    assert any("pbkdf2" in c.quote.lower() for c in answer.citations)


def test_absent_answer_says_not_found_with_the_marker(qa_corpus_index: tuple[Any, Any]) -> None:
    corpus, index = qa_corpus_index
    answer = ask(corpus, index, "What is the warranty period for refrigerated trucks?")
    assert answer.insufficient_context
    assert INSUFFICIENT_MARKER in answer.text and "Nothing in the" in answer.text
    assert answer.citations == ()


def test_streams_text_then_one_zero_cost_usage_event(qa_corpus_index: tuple[Any, Any]) -> None:
    corpus, index = qa_corpus_index
    backend = get_backend("extractive")
    assert isinstance(backend, ExtractiveBackend)
    plan = plan_question(corpus, index, "Which law governs this agreement?", profile=backend.profile)
    prompt = build_prompt(corpus, index, plan, profile=backend.profile)
    events = list(backend.generate(prompt))
    assert all(isinstance(e, TextDelta) for e in events[:-1]) and isinstance(events[-1], UsageEvent)
    usage = events[-1].usage
    assert usage.cost_usd == 0.0 and usage.cache_read_tokens == 0
    assert usage.input_tokens == prompt.estimated_tokens > 0 and usage.output_tokens > 0


def test_prefers_full_sentences_over_headings_and_ranks_by_coverage() -> None:
    texts = [
        "5.1 Governing Law.\n",
        "Notices must be in writing.\n",
        "This Agreement is governed by the laws of England and Wales.\n",
    ]
    cited = tuple(
        CitedSpan(str(i + 1), SourceSpan("c.md", i * 100, i * 100 + len(t), i + 1, i + 1), t)
        for i, t in enumerate(texts)
    )
    prompt = Prompt((PromptBlock("question", "q"),), cited, "Which law governs it?", "retrieve")
    text = extractive_answer(prompt)
    assert text.index("England and Wales. [3]") < len(text)
    assert "Notices" not in text and "[1]" not in text


def test_a_paraphrased_question_is_answered_by_meaning(examples_dir: Any) -> None:
    """No sentence of the sample contract says "cap": the clause is found by embedding similarity instead."""
    from docintel.index import open_corpus

    corpus, index = open_corpus(examples_dir / "contract")
    answer = ask(corpus, index, "What is the liability cap?")
    assert answer.text.startswith("No passage uses the question's words; the closest in meaning:")
    assert not answer.insufficient_context
    first = answer.citations[0]
    assert first.span.path == "master_services_agreement.md" and first.span.clause == "8.4"
    assert "SHALL NOT EXCEED THE FEES PAID OR PAYABLE" in first.quote
    # an unrelated question is still "not found", not the nearest noise
    assert ask(corpus, index, "What is the capital of France?").insufficient_context
