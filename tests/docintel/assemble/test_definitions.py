"""What widening retrieved code to whole definitions costs a prompt, as the router is told (real corpus and index)."""

from __future__ import annotations

from pathlib import Path

import pytest

from docintel.assemble.definitions import whole_definitions, widening_growth
from docintel.pipeline import route_request
from docintel.profiles import get_profile

from ..qa_corpus import opened

SONNET = get_profile("claude-sonnet-4-6")


def _long_function_repo(root: Path) -> Path:
    steps = "\n".join(f"    total_{i} = compute_step({i}, value)  # bookkeeping step {i}" for i in range(60))
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "ledger.py").write_text(
        "def reconcile_ledger(value):\n"
        '    """Every step below feeds the final checksum."""\n'
        f"{steps}\n"
        "    return finalize(total_59)\n"
    )
    return root


def test_growth_is_what_whole_definitions_add_to_the_chunks_and_reaches_the_router(tmp_path: Path) -> None:
    """Chunks of a function longer than a chunk each grow to the whole function; the growth is their token-weighted
    mean, and ``route_request`` hands the router chunk tokens times that growth as the size of a sent chunk."""
    root = _long_function_repo(tmp_path / "repo")
    with opened(root, tmp_path / "home") as (corpus, index):
        chunks = index.chunks()
        assert len(chunks) >= 2  # the function spans several chunks
        doc = corpus.document("pkg/ledger.py")
        (function,) = [d for d in doc.definitions if d.name == "reconcile_ledger"]
        whole = (function.span.start, function.span.end)
        assert whole[1] - whole[0] >= len(doc.text.rstrip()) - 1  # the function is the file
        grown = [(min(c.span.start, whole[0]), max(c.span.end, whole[1])) for c in chunks]  # each to all of it
        assert [whole_definitions(doc, c.span) for c in chunks] == grown
        expected = sum(
            c.tokens * (e - s) / (c.span.end - c.span.start) for c, (s, e) in zip(chunks, grown, strict=True)
        )
        growth = widening_growth(corpus, index.chunk_extents)
        assert growth == pytest.approx(expected / sum(c.tokens for c in chunks)) and growth > 1.5
        request = route_request(corpus, index, "reconcile the ledger", profile=SONNET, backend_name="anthropic")
        assert request.stats.sent_chunk_tokens == request.stats.chunk_tokens * growth


def test_text_without_code_is_sent_at_its_chunks_size(tmp_path: Path) -> None:
    root = tmp_path / "notes"
    root.mkdir()
    (root / "minutes.md").write_text("# Minutes\n\n" + "The board approved the budget for the new wing. " * 200)
    with opened(root, tmp_path / "home") as (corpus, index):
        assert widening_growth(corpus, index.chunk_extents) == 1.0
        request = route_request(corpus, index, "what was approved?", profile=SONNET, backend_name="anthropic")
        assert request.stats.sent_chunk_tokens is None
