"""Prompt layout: stable prefix, every span cited, passages reuse ids, retrieve order, no silent truncation."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from docintel.assemble.context import INSUFFICIENT_MARKER, build_full_prompt, build_retrieve_prompt, instructions
from docintel.errors import PromptTooLongError
from docintel.ingest import load_corpus
from docintel.pipeline import build_prompt, plan_question
from docintel.profiles import get_profile

from ..qa_corpus import write_corpus

SONNET = get_profile("claude-sonnet-4-6")
LABEL = re.compile(r"^\[(\d+)\] ", re.M)


@pytest.fixture
def qa(qa_corpus_index: tuple[Any, Any]) -> tuple[Any, Any]:
    return qa_corpus_index


def full_plan(corpus: Any, index: Any, question: str) -> Any:
    return plan_question(corpus, index, question, profile=SONNET, backend_name="anthropic", mode="full")


def test_full_prefix_is_byte_identical_across_questions(qa: tuple[Any, Any]) -> None:
    corpus, index = qa
    a = build_prompt(corpus, index, full_plan(corpus, index, "Which law governs this agreement?"), profile=SONNET)
    b = build_prompt(corpus, index, full_plan(corpus, index, "Who owns the launch checklist?"), profile=SONNET)
    assert [blk.role for blk in a.blocks] == ["instructions", "corpus_map", "corpus", "passages", "question"]
    assert [blk.cache_breakpoint for blk in a.blocks] == [False, False, True, False, False]
    assert a.prefix == b.prefix and a.prefix_hash == b.prefix_hash
    assert a.suffix != b.suffix
    assert a.citations == b.citations  # ids depend on the corpus only
    # corpus order is path order
    order = re.findall(r'<doc path="([^"]+)"', a.prefix)
    assert order == sorted(order) == [d.path for d in corpus.documents]


def test_editing_a_file_changes_the_prefix(tmp_path: Path) -> None:
    root = write_corpus(tmp_path / "c")
    plan = full_plan(load_corpus(root), None, "Which law governs this agreement?")
    before = build_full_prompt(load_corpus(root), None, plan, SONNET)
    again = build_full_prompt(load_corpus(root), None, plan, SONNET)
    assert before.prefix == again.prefix
    path = root / "supply_agreement.md"
    path.write_text(path.read_text().replace("Delaware", "New York"), encoding="utf-8")
    after = build_full_prompt(load_corpus(root), None, plan, SONNET)
    assert after.prefix != before.prefix
    assert "New York" in after.prefix and "Delaware" not in after.prefix


def test_every_labelled_span_is_cited_and_round_trips(qa: tuple[Any, Any]) -> None:
    corpus, index = qa
    prompt = build_prompt(corpus, index, full_plan(corpus, index, "Which law governs this agreement?"), profile=SONNET)
    by_id = {c.id: c for c in prompt.citations}
    assert set(LABEL.findall(prompt.text)) <= set(by_id)
    for c in prompt.citations:
        assert corpus.document(c.span.path).text[c.span.start : c.span.end] == c.text
        doc_lines = corpus.document(c.span.path).text[: c.span.start].count("\n") + 1
        assert c.span.start_line == doc_lines
    # the full pass sends every non-blank character of every document
    for doc in corpus.documents:
        covered = "".join(c.text for c in prompt.citations if c.span.path == doc.path)
        assert "".join(covered.split()) == "".join(doc.text.split())
    assert [int(c.id) for c in prompt.citations] == list(range(1, len(prompt.citations) + 1))


def test_passages_quote_retrieved_spans_again_under_the_same_ids(qa: tuple[Any, Any]) -> None:
    corpus, index = qa
    prompt = build_prompt(corpus, index, full_plan(corpus, index, "Which law governs this agreement?"), profile=SONNET)
    passages = next(b.text for b in prompt.blocks if b.role == "passages")
    by_id = {c.id: c for c in prompt.citations}
    quoted = re.findall(r"^\[(\d+)\] \(([^)]*)\)\n", passages, re.M)
    assert quoted
    governing = next(c for c in prompt.citations if "State of Delaware" in c.text)
    assert governing.id in [cid for cid, _ in quoted]
    for cid, where in quoted:
        assert where.startswith(by_id[cid].span.path + ":")
    assert passages.count("State of Delaware") >= 1
    assert prompt.text.index("<passages") > prompt.text.index("</corpus>")


def test_retrieve_prompt_lists_spans_in_document_order_with_locations(qa: tuple[Any, Any]) -> None:
    corpus, index = qa
    plan = plan_question(
        corpus, index, "Which law governs this agreement?", profile=SONNET, backend_name="anthropic", mode="retrieve"
    )
    prompt = build_prompt(corpus, index, plan, profile=SONNET)
    assert [b.role for b in prompt.blocks] == ["instructions", "passages", "question"]
    assert INSUFFICIENT_MARKER in prompt.blocks[0].text and prompt.blocks[0].text.startswith(instructions("retrieve"))
    order = {d.path: i for i, d in enumerate(corpus.documents)}
    keys = [(order[c.span.path], c.span.start) for c in prompt.citations]
    assert keys == sorted(keys)
    assert [c.id for c in prompt.citations] == [str(i) for i in range(1, len(prompt.citations) + 1)]
    for c in prompt.citations:
        assert f"[{c.id}] {c.span.label()}\n" in prompt.text
        assert corpus.document(c.span.path).text[c.span.start : c.span.end] == c.text
    # no two cited spans of one document overlap (overlapping hits are merged)
    for a, b in zip(prompt.citations, prompt.citations[1:], strict=False):
        assert a.span.overlap(b.span) == 0


def test_a_prompt_over_the_window_raises_instead_of_truncating(qa: tuple[Any, Any]) -> None:
    corpus, index = qa
    small = replace(SONNET, context_window=1500, effective_window=1500, max_output_tokens=500)
    plan = full_plan(corpus, index, "Which law governs this agreement?")
    with pytest.raises(PromptTooLongError) as err:
        build_full_prompt(corpus, index, plan, small)
    assert err.value.window == 1500 and err.value.tokens > 1000
    assert "over the 1,500-token window" in str(err.value)


def test_retrieve_prompt_drops_lowest_ranked_hits_to_fit_a_limit(qa: tuple[Any, Any]) -> None:
    corpus, index = qa
    plan = plan_question(
        corpus, index, "What are the payment terms?", profile=SONNET, backend_name="anthropic", mode="retrieve"
    )
    wide = build_retrieve_prompt(corpus, index, replace(plan, k=12), SONNET)
    narrow = build_retrieve_prompt(corpus, index, replace(plan, k=12), SONNET, limit=wide.estimated_tokens // 2 + 200)
    assert len(narrow.citations) < len(wide.citations)
    assert narrow.estimated_tokens * SONNET.token_margin <= wide.estimated_tokens // 2 + 200


def test_scoped_full_plan_reads_only_the_named_document(tmp_path: Path) -> None:
    root = write_corpus(tmp_path / "c")
    (root / "Bed002.txt").write_text("Grad A: we set up the recording equipment.\nGrad B: it works now.\n")
    corpus = load_corpus(root)
    plan = plan_question(corpus, None, "In meeting Bed002: Summarize the meeting", profile=SONNET)
    assert plan.scope == ("Bed002.txt",) and plan.mode == "full"
    prompt = build_full_prompt(corpus, None, plan, SONNET)
    assert {c.span.path for c in prompt.citations} == {"Bed002.txt"}
    shutil.rmtree(root)


def test_retrieved_code_is_widened_to_the_small_definitions_it_touches(tmp_path: Path) -> None:
    """A function longer than one chunk is sent whole when a chunk of it is retrieved (the answer is often in the
    half the chunk boundary cut off); a method of a class too big to send whole is widened to the method only."""
    from ..qa_corpus import opened

    root = tmp_path / "repo"
    (root / "pkg").mkdir(parents=True)
    steps = "\n".join(
        f"    total_{i} = compute_step({i}, value)  # intermediate bookkeeping step {i}" for i in range(45)
    )
    long_fn = (
        "def reconcile_zebra_ledger(value):\n"
        '    """Reconcile the zebra ledger: every step below feeds the final checksum."""\n'
        f"{steps}\n"
        "    return finalize_checksum_with_pepper(total_44)\n"
    )
    methods = "\n".join(
        f"    def handler_{i}(self, event):\n        return self.route(event, {i})  # dispatch table entry {i}\n"
        for i in range(120)
    )
    big_class = (
        "class Dispatcher:\n"
        "    def flamingo_refund(self, order):\n"
        "        amount = order.total * 0.5\n"
        "        return self.refund(order, amount)  # flamingo orders get half back\n\n"
        f"{methods}"
    )
    (root / "pkg" / "ledger.py").write_text(long_fn + "\n\n" + big_class)
    (root / "pkg" / "other.py").write_text("def unrelated():\n    return 42\n")
    with opened(root, tmp_path / "home") as (corpus, index):
        doc = corpus.document("pkg/ledger.py")
        assert len(doc.text[: doc.text.index("class Dispatcher")]) > 3000 and len(big_class) > 8000
        plan = plan_question(
            corpus, index, "reconcile zebra ledger", profile=SONNET, backend_name="anthropic", mode="retrieve"
        )
        prompt = build_retrieve_prompt(corpus, index, replace(plan, k=1), SONNET)
        (cited,) = [c for c in prompt.citations if c.span.path == "pkg/ledger.py"]
        assert cited.text.startswith("def reconcile_zebra_ledger") and "finalize_checksum_with_pepper" in cited.text
        assert cited.span.start_line == 1 and cited.span.end_line >= 48
        plan = plan_question(
            corpus, index, "flamingo refund half back", profile=SONNET, backend_name="anthropic", mode="retrieve"
        )
        prompt = build_retrieve_prompt(corpus, index, replace(plan, k=1), SONNET)
        (cited,) = [c for c in prompt.citations if c.span.path == "pkg/ledger.py"]
        assert "def flamingo_refund" in cited.text and "flamingo orders get half back" in cited.text
        assert "handler_119" not in cited.text  # the class is too big to send whole
