"""The query-independent corpus map: repo map ranked by references, contract TOC and terms, meeting speakers."""

from __future__ import annotations

from pathlib import Path

from docintel.assemble.corpus_map import build_corpus_map
from docintel.corpus import Corpus, Definition, Document, Segment, SourceSpan
from docintel.ingest import load_corpus
from docintel.tokens import count_tokens

from ..qa_corpus import write_corpus


def span(path: str, line: int) -> SourceSpan:
    return SourceSpan(path, 0, 1, line, line)


def code_doc(path: str, defs: list[str], refs: list[str]) -> Document:
    return Document(
        path=path,
        kind="code",
        language="python",
        sha256=path,
        size=1,
        text="x",
        segments=(Segment("x", span(path, 1), 1, "function"),),
        definitions=tuple(Definition(name, "function", span(path, i + 1)) for i, name in enumerate(defs)),
        references=tuple(sorted(refs)),
    )


def test_repo_map_ranks_the_most_referenced_definitions_first() -> None:
    docs = (
        code_doc("a.py", ["helper", "rarely_used"], []),
        code_doc("b.py", ["main"], ["helper"]),
        code_doc("c.py", [], ["helper", "main"]),
        code_doc("d.py", [], ["helper", "rarely_used"]),
    )
    text = build_corpus_map(Corpus(Path("/x"), docs))
    assert text.startswith("## Repository map")
    assert "function helper (line 1, used in 3 files)" in text
    assert "function main (line 1, used in 1 files)" in text
    tight = build_corpus_map(Corpus(Path("/x"), docs), budget_tokens=20)
    assert "helper" in tight and "rarely_used" not in tight and "left out of the map" in tight


def test_contract_toc_terms_and_meeting_speakers(tmp_path: Path) -> None:
    corpus = load_corpus(write_corpus(tmp_path / "c"))
    text = build_corpus_map(corpus)
    assert "## Contracts: table of contents and defined terms" in text
    assert "5.1 Governing Law" in text
    assert "defined terms:" in text and "Delivery Date" in text
    assert "## Meetings: speakers and topics" in text
    assert "speakers: Alice (3), Bob (2), Carol (1)" in text
    assert "## Repository map" in text and "hash_password" in text
    assert text == build_corpus_map(load_corpus(tmp_path / "c"))  # deterministic: part of the cached prefix


def test_the_map_stays_within_its_budget(tmp_path: Path) -> None:
    root = tmp_path / "many"
    root.mkdir()
    for i in range(60):
        (root / f"meeting_{i:02d}.txt").write_text(
            "".join(f"Speaker{j}: we discussed budget item {i * 7 + j} and the roadmap.\n" for j in range(6))
        )
    text = build_corpus_map(load_corpus(root), budget_tokens=300)
    assert count_tokens(text) <= 340
    assert "left out of the map" in text
