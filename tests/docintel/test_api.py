"""The public Python API, on a real repository written to disk, with the real index and pipeline."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import docintel
from docintel.api import CorpusHandle
from docintel.tokens import count_tokens

from .sample_repo import tree, write_repo

PUBLIC = {
    "Answer", "Citation", "Corpus", "CorpusHandle", "DocintelError", "Document", "Hit", "ModelProfile", "Plan",
    "Prompt", "Reason", "Segment", "Session", "SourceSpan", "TokenEstimate", "Usage", "__version__", "get_backend",
    "get_profile", "open", "open_backend",
}  # fmt: skip


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CorpusHandle, list[tuple[int, int, str]]]]:
    """The sample repo opened once for the module (its own DOCINTEL_HOME), with the progress calls it made."""
    root = write_repo(tmp_path_factory.mktemp("shop"))
    calls: list[tuple[int, int, str]] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DOCINTEL_HOME", str(tmp_path_factory.mktemp("home")))
        mp.setenv("HF_HUB_OFFLINE", "1")
        handle = docintel.open(root, progress=lambda d, t, c: calls.append((d, t, c)))
    yield handle, calls
    handle.close()


def test_all_lists_exactly_the_public_names_and_each_resolves() -> None:
    assert set(docintel.__all__) == PUBLIC and len(docintel.__all__) == len(PUBLIC)
    for name in docintel.__all__:
        assert getattr(docintel, name) is not None, name
    assert docintel.open is docintel.api.open and docintel.Answer.__module__ == "docintel.answer"
    with pytest.raises(AttributeError):
        _ = docintel.not_a_name


def test_import_docintel_stays_light() -> None:
    code = (
        "import sys, docintel; docintel.CorpusHandle; docintel.Plan; "
        "heavy = [m for m in ('torch', 'faiss', 'sentence_transformers', 'mcp', 'anthropic', 'textual') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_open_reports_embedding_progress(shop: tuple[CorpusHandle, list[tuple[int, int, str]]]) -> None:
    _, calls = shop
    assert calls, "no progress reported while building the index"
    done, total, _ = calls[-1]
    assert done == total > 0
    assert all(0 <= d <= t for d, t, _ in calls)
    assert {c for _, _, c in calls if c} <= {"README.md", "shop/db.py", "shop/ops.py", "shop/pricing.py"}


def test_search_finds_the_shell_call(shop: tuple[CorpusHandle, list[tuple[int, int, str]]]) -> None:
    handle, _ = shop
    hits = handle.search("subprocess shell=True ping host", k=3)
    assert hits[0].chunk.span.path == "shop/ops.py"
    assert "shell=True" in hits[0].chunk.text
    assert hits[0].score >= hits[-1].score


def test_ask_cites_the_span_that_answers(shop: tuple[CorpusHandle, list[tuple[int, int, str]]]) -> None:
    handle, _ = shop
    seen: list[str] = []
    answer = handle.ask("Which function runs ping with shell=True?", on_text=seen.append)
    assert isinstance(answer, docintel.Answer) and answer.backend == "extractive"
    cited = [c for c in answer.citations if c.span.path == "shop/ops.py"]
    assert cited and "shell=True" in cited[0].quote and "def ping_host" in cited[0].quote  # the definition block
    assert cited[0].span.start_line <= 8 <= cited[0].span.end_line  # ... that holds line 8
    doc = handle.corpus.document("shop/ops.py")
    assert cited[0].quote in doc.text[cited[0].span.start : cited[0].span.end]
    assert "".join(seen) == answer.text
    assert answer.plan.mode in ("full", "retrieve", "map_reduce") and answer.plan.reasons
    assert not answer.insufficient_context


def test_plan_for_a_model_profile_prices_the_route(shop: tuple[CorpusHandle, list[tuple[int, int, str]]]) -> None:
    handle, _ = shop
    plan = handle.plan("List every function that runs a subprocess.", profile="claude-sonnet-4-6")
    assert isinstance(plan, docintel.Plan) and plan.profile == "claude-sonnet-4-6"
    assert plan.tokens.total > 0 and plan.cost_usd > 0
    # a tiny corpus fits the window many times over: the router reads all of it
    assert plan.mode == "full", plan.to_dict()["reasons"]


def test_pack_stays_within_the_budget(shop: tuple[CorpusHandle, list[tuple[int, int, str]]]) -> None:
    handle, _ = shop
    text = handle.pack("Where is the customer looked up by name?", budget_tokens=800)
    assert 0 < count_tokens(text) <= 800
    assert "shop/db.py" in text


def test_outline_and_stats(shop: tuple[CorpusHandle, list[tuple[int, int, str]]]) -> None:
    handle, _ = shop
    outline = handle.outline(budget_tokens=500)
    assert "shop/db.py" in outline and count_tokens(outline) <= 500
    stats = handle.stats()
    assert stats["documents"] == 4 and stats["content_hash"] == handle.corpus.content_hash
    assert stats["by_kind"]["code"]["documents"] == 3


def test_refresh_rereads_only_when_files_change(tmp_path: Path) -> None:
    root = write_repo(tmp_path / "repo")
    with docintel.open(root) as handle:
        before = tree(root)
        first_hash = handle.corpus.content_hash
        assert not handle.is_stale() and handle.refresh() is False
        (root / "shop" / "pricing.py").write_text("VAT_RATE = 0.25\n", encoding="utf-8")
        assert handle.is_stale()
        assert handle.refresh() is True
        assert handle.corpus.content_hash != first_hash
        assert "0.25" in handle.corpus.document("shop/pricing.py").text
        assert handle.search("VAT_RATE", k=1)[0].chunk.text.startswith("VAT_RATE = 0.25")
        assert handle.refresh() is False
    assert set(tree(root)) == set(before)  # the index lives under DOCINTEL_HOME, not in the corpus


def test_open_missing_path_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(docintel.DocintelError, match="path not found"):
        docintel.open(tmp_path / "nope")


def test_prompt_is_what_a_model_would_read(shop: tuple[CorpusHandle, list[tuple[int, int, str]]]) -> None:
    handle, _ = shop
    prompt = handle.prompt("Which function runs ping with shell=True?", profile="claude-sonnet-4-6")
    assert isinstance(prompt, docintel.Prompt) and prompt.mode == "full"
    assert "def ping_host(host):" in prompt.text
    assert any(c.span.path == "shop/ops.py" for c in prompt.citations)
