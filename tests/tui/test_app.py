"""The TUI driven by Textual's pilot over real corpora (copies of examples/): the real index, embedding model
and extractive backend, through the public API. Plus snapshot tests of the initial screen, an answer and a
span in context (regenerate with ``pytest tests/tui --snapshot-update`` after an intended change)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, ProgressBar, Select
from textual.widgets.tree import TreeNode
from typer.testing import CliRunner

from docintel.cli.main import app as cli_app
from docintel.tui.app import DocintelApp, HelpScreen, SpanScreen
from docintel.tui.widgets import AnswerView, CorpusTree, EvidenceList, PlanBadge

QUESTION = "Which law governs this agreement?"
SIZE = (120, 36)
CONTRACT_FILE = "master_services_agreement.md"


@pytest.fixture(scope="module")
def indexed_contract(tmp_path_factory: pytest.TempPathFactory, examples_dir: Path) -> tuple[Path, Path]:
    """A copy of examples/contract and a DOCINTEL_HOME holding its index: built once, copied into each test's
    own home (so no test pays for embedding it again, and no prompt-cache state leaks between tests)."""
    import docintel

    root = tmp_path_factory.mktemp("tui") / "contract"
    shutil.copytree(examples_dir / "contract", root)
    template = tmp_path_factory.mktemp("tui-home")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DOCINTEL_HOME", str(template))
        env.setenv("HF_HUB_OFFLINE", "1")
        docintel.open(root).close()
    return root, template


@pytest.fixture
def contract_dir(indexed_contract: tuple[Path, Path], docintel_home: Path) -> Path:
    root, template = indexed_contract
    shutil.copytree(template, docintel_home, dirs_exist_ok=True)
    return root


@pytest.fixture
def unindexed_contract_dir(tmp_path: Path, examples_dir: Path) -> Path:
    target = tmp_path / "contract"
    shutil.copytree(examples_dir / "contract", target)
    return target


@pytest.fixture
def mixed_dir(tmp_path: Path, examples_dir: Path) -> Path:
    """Code in folders, one meeting transcript, one text file."""
    target = tmp_path / "mixed"
    shutil.copytree(examples_dir / "repo", target)
    shutil.copy(examples_dir / "transcripts" / "standup.srt", target / "standup.srt")
    return target


async def settle(app: DocintelApp, pilot: Pilot[None], done: Callable[[], bool], what: str) -> None:
    """Wait (on the workers, then a little more) until ``done()``; the UI thread keeps running meanwhile."""
    for _ in range(1200):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if done():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def wait_opened(app: DocintelApp, pilot: Pilot[None]) -> None:
    await settle(app, pilot, lambda: app.handle is not None, "the corpus to open")
    app.query_one("#question", Input).cursor_blink = False  # a steady cursor keeps snapshots stable


async def ask(app: DocintelApp, pilot: Pilot[None], question: str = QUESTION, *, type_keys: bool = False) -> AnswerView:
    """Ask through the question box: typed key by key, or (faster: ~0.1 s a key) pasted; enter submits."""
    before = len(app.query(AnswerView))
    await pilot.click("#question")
    if type_keys:
        await pilot.press(*question)
    else:
        app.query_one("#question", Input).value = question
    await pilot.press("enter")

    def answered() -> bool:
        views = list(app.query(AnswerView))
        return len(views) > before and views[-1].done

    await settle(app, pilot, answered, f"an answer to {question!r}")
    return list(app.query(AnswerView))[-1]


def labels(node: TreeNode[object]) -> Iterator[tuple[int, str, TreeNode[object]]]:
    """(depth, label, node) of every node under ``node``, depth-first."""

    def walk(n: TreeNode[object], depth: int) -> Iterator[tuple[int, str, TreeNode[object]]]:
        yield depth, str(n.label), n
        for child in n.children:
            yield from walk(child, depth + 1)

    return walk(node, 0)


def find(tree: CorpusTree, label: str) -> TreeNode[object]:
    matches = [n for _, text, n in labels(tree.root) if text == label]
    assert matches, f"no tree node {label!r}; have {[t for _, t, _ in labels(tree.root)][:40]}"
    return matches[0]


# ----------------------------------------------------------------------------------------------------- pilot
async def test_opening_indexes_with_progress_and_lists_the_contract_sections(unindexed_contract_dir: Path) -> None:
    app = DocintelApp(unindexed_contract_dir)
    async with app.run_test(size=SIZE) as pilot:
        await wait_opened(app, pilot)
        assert app.handle is not None
        corpus = app.handle.corpus
        # the progress bar was fed by the API's embedding callback, to the end, then hidden
        bar = app.query_one("#indexing-bar", ProgressBar)
        assert bar.total is not None and bar.total > 1 and bar.progress == bar.total
        assert app.handle.index.stats()["chunks"] == bar.total
        assert not app.query_one("#indexing").display
        assert not app.query_one("#question", Input).disabled

        tree = app.query_one(CorpusTree)
        document = corpus.document(CONTRACT_FILE)
        governing = next(s for s in document.segments if s.span.clause == "12.1")
        article = find(
            tree,
            f"Article 12  {sum(s.tokens for s in document.segments if (s.span.clause or '').startswith('12.')):,} tok",
        )
        section = find(tree, f"12.1 Governing Law  {governing.tokens:,} tok")
        assert section.parent is article and section.data == governing.span
        # clauses sit under the section they extend: 9.3(c)(i) under 9.3(c) under 9.3
        sub = next(s for s in document.segments if s.span.clause == "9.3(c)(i)")
        node = find(tree, f"9.3(c)(i) Effect of Termination  {sub.tokens} tok")
        assert node.parent is not None and str(node.parent.label).startswith("9.3(c) Effect")
        assert node.parent.parent is not None and str(node.parent.parent.label).startswith("9.3 Effect")
        assert str(tree.root.children[0].label) == f"Contracts (1)  {corpus.tokens:,} tok"
        assert app.sub_title == f"contract · 1 documents · {corpus.tokens:,} tokens"


async def test_asking_streams_the_cited_answer_with_evidence_and_plan_badge(contract_dir: Path) -> None:
    app = DocintelApp(contract_dir)
    async with app.run_test(size=SIZE) as pilot:
        await wait_opened(app, pilot)
        view = await ask(app, pilot, type_keys=True)

        assert view.question == QUESTION
        assert "governed by the laws of the State of Delaware" in view.markdown.source
        [answer] = app.answers
        assert view.answer is answer
        assert len(view.streamed) > 1 and "".join(view.streamed) == answer.text  # streamed in, in pieces
        assert answer.text.strip() in view.markdown.source
        assert app.query_one("#question", Input).value == ""  # ready for the next question

        evidence = app.query_one(EvidenceList)
        assert [c.span.clause for c in evidence.citations] == ["12.1"]
        citation = evidence.citations[0]
        assert citation.span.path == CONTRACT_FILE and "State of Delaware" in citation.quote
        shown = str(evidence.get_option_at_index(0).prompt)
        assert f"[{citation.id}] {citation.span.label()}" in shown and "State of Delaware" in shown

        plan = answer.plan
        badge = str(view.query_one(PlanBadge).render())
        assert badge.startswith(f" {plan.mode} ") and plan.mode == "full"
        assert f"{plan.tokens.total:,} tokens" in badge
        assert f"${plan.cost_usd:.4f}" in badge and "0% cached" in badge
        assert plan.reasons[0].text in badge
        assert f"sent {answer.usage.input_tokens:,} in / {answer.usage.output_tokens:,} out" in badge


async def test_selecting_evidence_shows_the_span_highlighted_in_its_document(contract_dir: Path) -> None:
    app = DocintelApp(contract_dir)
    async with app.run_test(size=SIZE) as pilot:
        await wait_opened(app, pilot)
        await ask(app, pilot)
        citation = app.query_one(EvidenceList).citations[0]
        app.query_one(EvidenceList).focus()
        await pilot.press("enter")
        await pilot.pause()

        screen = app.screen
        assert isinstance(screen, SpanScreen) and screen.span == citation.span
        plain = str(screen.query_one("#span-context").render())
        assert "12.2 Jurisdiction." in plain and "11.3 Void Assignments." in plain  # the lines around it
        shown = screen.context_text
        assert shown.plain == plain
        highlighted = [shown.plain[s.start : s.end] for s in shown.spans if "on yellow" in str(s.style)]
        document = app.handle.corpus.document(CONTRACT_FILE) if app.handle else None
        assert document is not None
        assert "\n".join(highlighted) == document.text[citation.span.start : citation.span.end]
        assert f"▌{citation.span.start_line} │ " in plain

        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, SpanScreen)


async def test_a_backend_error_is_a_notification_and_the_next_question_works(
    contract_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    app = DocintelApp(contract_dir)
    async with app.run_test(size=SIZE) as pilot:
        await wait_opened(app, pilot)
        app.query_one("#backend", Select).value = "anthropic"
        await pilot.pause()
        assert app.backend_name == "anthropic"
        failed = await ask(app, pilot)

        assert app.is_running and not app.answers
        messages = [n.message for n in app._notifications]
        assert any("ANTHROPIC_API_KEY" in m for m in messages), messages
        assert "error: set ANTHROPIC_API_KEY" in str(failed.query_one(PlanBadge).render())

        app.query_one("#backend", Select).value = "extractive"
        await pilot.pause()
        view = await ask(app, pilot)
        assert view.answer is not None and view.answer.backend == "extractive"
        assert [c.span.clause for c in app.query_one(EvidenceList).citations] == ["12.1"]

        # clicking an answer shows its evidence: none for the failed one, the clause again for the good one
        await pilot.click(failed.badge)
        assert app.query_one(EvidenceList).citations == []
        await pilot.click(view.badge)
        assert [c.span.clause for c in app.query_one(EvidenceList).citations] == ["12.1"]


async def test_llamacpp_without_a_model_is_a_one_line_notification(contract_dir: Path) -> None:
    """Issue 12: choosing llamacpp in the UI with no GGUF used to raise a raw TypeError; now the backend factory's
    one-line message is shown, and options given with --backend-option reach the backend they belong to."""
    app = DocintelApp(contract_dir, backend="extractive", backend_options={})
    async with app.run_test(size=SIZE) as pilot:
        await wait_opened(app, pilot)
        app.query_one("#backend", Select).value = "llamacpp"
        await pilot.pause()
        failed = await ask(app, pilot)
        messages = [n.message for n in app._notifications]
        assert any(m.startswith("pass --backend-option model=") for m in messages), messages
        assert not any("TypeError" in m for m in messages)
        assert "error: pass --backend-option model=" in str(failed.query_one(PlanBadge).render())
        assert app.backend_options == {"extractive": {}}


async def test_profile_choice_prices_the_plan_and_ctrl_l_clears(contract_dir: Path) -> None:
    app = DocintelApp(contract_dir)
    async with app.run_test(size=SIZE) as pilot:
        await wait_opened(app, pilot)
        app.query_one("#profile", Select).value = "claude-sonnet-4-6"
        await pilot.pause()
        view = await ask(app, pilot)
        answer = view.answer
        assert answer is not None and answer.plan.profile == "claude-sonnet-4-6"
        assert answer.plan.cost_usd > 0  # priced at the chosen model's rates, answered by extractive
        assert f"${answer.plan.cost_usd:.4f}" in str(view.query_one(PlanBadge).render())

        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert not app.query(AnswerView) and not app.answers
        assert app.query_one(EvidenceList).option_count == 0


async def test_tree_groups_code_by_folder_and_meetings_by_speaker(mixed_dir: Path) -> None:
    app = DocintelApp(mixed_dir)
    async with app.run_test(size=SIZE) as pilot:
        await wait_opened(app, pilot)
        assert app.handle is not None
        corpus = app.handle.corpus
        tree = app.query_one(CorpusTree)

        auth = corpus.document("userservice/auth.py")
        code_docs = [d for d in corpus.documents if d.path.startswith("userservice/")]
        folder = find(tree, f"userservice/  {sum(d.tokens for d in code_docs):,} tok")
        file_node = find(tree, f"auth.py  {auth.tokens:,} tok")
        assert file_node.parent is folder
        symbol = next(s for s in auth.segments if s.name == "hash_password")
        leaf = find(tree, f"hash_password  {symbol.tokens} tok")
        assert leaf.parent is file_node and leaf.data == symbol.span

        meeting = corpus.document("standup.srt")
        tom = [s for s in meeting.segments if s.span.speaker == "Tom"]
        speaker = find(tree, f"Tom · {len(tom)} turns  {sum(s.tokens for s in tom)} tok")
        assert speaker.parent is not None and str(speaker.parent.label).startswith("standup.srt")
        assert len(speaker.children) == len(tom)

        # selecting a leaf of the tree opens it in context too
        tree.focus()
        tree.select_node(leaf)
        await pilot.pause()
        assert isinstance(app.screen, SpanScreen) and app.screen.span == symbol.span


async def test_a_corpus_that_cannot_be_opened_is_a_notification(tmp_path: Path) -> None:
    app = DocintelApp(tmp_path / "gone")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot, lambda: bool(app._notifications), "the error notification")
        assert app.is_running and app.handle is None
        assert [n.severity for n in app._notifications] == ["error"]
        assert "path not found" in next(iter(app._notifications)).message
        assert app.query_one("#question", Input).disabled  # nothing to ask about


def test_cli_refuses_a_missing_path_in_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli_app, ["tui", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert isinstance(result.exception, Exception) and "path not found" in str(result.exception)


# -------------------------------------------------------------------------------------------------- snapshots
async def _opened(pilot: Pilot[None]) -> None:
    await wait_opened(pilot.app, pilot)


async def _answered(pilot: Pilot[None]) -> None:
    await _opened(pilot)
    await ask(pilot.app, pilot)


async def _span_in_context(pilot: Pilot[None]) -> None:
    await _answered(pilot)
    pilot.app.query_one(EvidenceList).focus()
    await pilot.press("enter")
    await pilot.pause()


def test_snapshot_after_indexing(snap_compare, contract_dir: Path) -> None:
    assert snap_compare(DocintelApp(contract_dir), terminal_size=SIZE, run_before=_opened)


def test_snapshot_after_an_answer(snap_compare, contract_dir: Path) -> None:
    assert snap_compare(DocintelApp(contract_dir), terminal_size=SIZE, run_before=_answered)


def test_snapshot_span_in_context(snap_compare, contract_dir: Path) -> None:
    assert snap_compare(DocintelApp(contract_dir), terminal_size=SIZE, run_before=_span_in_context)
