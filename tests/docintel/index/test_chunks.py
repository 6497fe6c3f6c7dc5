"""Chunks from real ingestion output: spans round-trip, sizes, merges keep the right metadata."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from docintel.corpus import Document
from docintel.index.chunks import build_chunks
from docintel.ingest import load_corpus


def _check_chunks(doc: Document, target: int, maximum: int) -> None:
    chunks = build_chunks(doc, target, maximum)
    assert chunks, doc.path
    for chunk in chunks:
        assert doc.text[chunk.span.start : chunk.span.end] == chunk.text
        assert chunk.span.path == doc.path
        assert chunk.context.startswith(doc.path)
        # pieces of split segments are at most target; merges stop at target; a lone segment may reach max
        assert chunk.tokens <= maximum, (doc.path, chunk.span, chunk.tokens)
    # in text order, no overlap, and every segment's text is inside some chunk
    for a, b in itertools.pairwise(chunks):
        assert a.span.end <= b.span.start
    covered = [(c.span.start, c.span.end) for c in chunks]
    for seg in doc.segments:
        assert any(s <= seg.span.start and seg.span.end <= e for s, e in covered) or any(
            s < seg.span.end and seg.span.start < e for s, e in covered
        )
    assert len({c.id for c in chunks}) == len(chunks)
    assert [c.id for c in build_chunks(doc, target, maximum)] == [c.id for c in chunks]  # stable


@pytest.mark.parametrize(
    ("corpus", "pattern"),
    [
        ("code-flask", "src/flask/json/*.py"),
        ("code-flask", "src/flask/sansio/*.py"),
        ("contracts-nda", "0*.txt"),
        ("transcripts-qmsum-val", "Bed00*.txt"),
    ],
)
def test_chunks_round_trip_on_eval_documents(eval_dir: Path, corpus: str, pattern: str) -> None:
    root = eval_dir / "corpora" / corpus
    files = sorted(root.glob(pattern))[:4]
    assert files
    for path in files:
        doc = load_corpus(path).documents[0]
        _check_chunks(doc, 300, 400)
        _check_chunks(doc, 120, 200)


def test_big_segment_is_split_on_lines_and_small_segments_merge(tmp_path: Path) -> None:
    body = "".join(f"    total += compute_value_{i}(item, factor={i})\n" for i in range(150))
    src = (
        "import os\n\n\ndef small_one():\n    return 1\n\n\ndef small_two():\n    return 2\n\n\n"
        f"def huge(item):\n    total = 0\n{body}    return total\n"
    )
    (tmp_path / "mod.py").write_text(src)
    doc = load_corpus(tmp_path / "mod.py").documents[0]
    chunks = build_chunks(doc, 200, 300)
    # the small functions (and the imports) share one chunk; huge() is cut into pieces ending at line ends
    first = chunks[0]
    assert "def small_one" in first.text and "def small_two" in first.text
    assert "def huge" not in first.text
    huge = [c for c in chunks if c.name == "huge"]
    assert len(huge) >= 3
    assert all(c.tokens <= 200 for c in huge)
    assert all(c.text.endswith("\n") for c in huge)
    assert "".join(c.text for c in huge) == doc.text[huge[0].span.start : huge[-1].span.end]
    assert huge[0].context == "mod.py · huge"


def test_transcript_turns_merge_with_speaker_and_times(tmp_path: Path) -> None:
    cues = [
        ("00:00:01.000", "00:00:04.000", "Alice", "Good morning, let us start with the budget."),
        ("00:00:04.500", "00:00:08.000", "Alice", "The numbers for the second quarter are in."),
        ("00:00:09.000", "00:00:12.000", "Bob", "I have a question about the travel line."),
        ("00:00:12.500", "00:00:15.000", "Alice", "Go ahead."),
    ]
    vtt = "WEBVTT\n\n" + "".join(f"{a} --> {b}\n<v {who}>{text}\n\n" for a, b, who, text in cues)
    (tmp_path / "meeting.vtt").write_text(vtt)
    doc = load_corpus(tmp_path / "meeting.vtt").documents[0]
    assert len(doc.segments) >= 3  # turns
    [chunk] = build_chunks(doc, 300, 400)  # all turns are small: one chunk
    assert doc.text[chunk.span.start : chunk.span.end] == chunk.text
    assert chunk.span.speaker is None  # more than one speaker
    assert chunk.span.start_time == pytest.approx(1.0)
    assert chunk.span.end_time == pytest.approx(15.0)
    assert chunk.context == "meeting.vtt · Alice, Bob"
    # with a tiny budget, Alice's first turn stands alone and keeps its speaker
    small = build_chunks(doc, 12, 40)
    assert small[0].span.speaker == "Alice"
    assert len(small) > 1


def test_contract_chunks_keep_first_clause(tmp_path: Path) -> None:
    clauses = "\n\n".join(
        f"12.{i} Limitation. The liability of each party under clause 12.{i} is limited to fees paid."
        for i in range(1, 4)
    )
    text = f"SERVICES AGREEMENT\n\n12. LIABILITY\n\n{clauses}\n\n13. TERM\n\n13.1 This Agreement lasts two years.\n"
    (tmp_path / "contract.txt").write_text(text)
    doc = load_corpus(tmp_path / "contract.txt").documents[0]
    chunks = build_chunks(doc, 300, 400)
    liability = next(c for c in chunks if "12.1 Limitation" in c.text)
    assert liability.span.clause is not None and liability.span.clause.startswith("12")
    for c in chunks:
        assert doc.text[c.span.start : c.span.end] == c.text


def test_rejects_bad_sizes(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("hello\n")
    doc = load_corpus(tmp_path / "a.txt").documents[0]
    with pytest.raises(ValueError):
        build_chunks(doc, 400, 300)
