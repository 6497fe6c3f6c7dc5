"""Transcript loader on VTT (voice tags), SRT and plain ``Speaker: text`` files, the samples and QMSum.

Subtitle files are extracted to clean turns (``[hh:mm:ss] Speaker: words``, no cue numbers, timing lines or
markup); each cue keeps its own times and speaker as a Mark over its words."""

from __future__ import annotations

from pathlib import Path

import pytest

from docintel.corpus import Document
from docintel.errors import InputError
from docintel.ingest import IngestOptions, load_corpus
from docintel.ingest.transcript import TranscriptLoader, speakers

VTT = """WEBVTT

NOTE planning call

intro
00:00:01.000 --> 00:00:04.500
<v Alice Smith>Welcome everyone, let's start with the budget.</v>

00:00:04.500 --> 00:00:08.250
<v Alice Smith>We have two options on the table.</v>

00:00:09.000 --> 00:01:02.750
<v.loud Bob>I prefer option B, it ships by June 30.</v>

00:01:03.000 --> 00:01:05.000
<v Alice Smith>Decision: option B. Bob owns it.</v>
"""

SRT = """1
00:00:01,000 --> 00:00:03,000
Carol: The release is on Friday.

2
00:00:03,500 --> 00:00:06,000
Dan: I'll write the notes.

3
00:00:06,100 --> 00:00:09,900
and publish them by noon.
"""


def load(name: str, text: str) -> Document:
    doc = TranscriptLoader().load(name, text.encode(), IngestOptions())
    assert "".join(s.text for s in doc.segments) == doc.text  # segments tile the text, nothing dropped
    if name.endswith((".vtt", ".srt")):  # extracted: the conversation only
        assert "-->" not in doc.text and "WEBVTT" not in doc.text and "<v" not in doc.text
        assert not any(line.strip().isdigit() for line in doc.text.split("\n"))
    else:
        assert doc.text == text  # plain transcripts keep the file's text (BOM included)
    for seg in doc.segments:
        assert doc.text[seg.span.start : seg.span.end] == seg.text
        assert seg.unit == "turn" and seg.name == seg.span.speaker
        for mark in seg.span.marks:  # cues lie inside their turn, in order
            assert seg.span.start <= mark.start < mark.end <= seg.span.end
    return doc


def test_vtt_voice_tags_merge_into_turns() -> None:
    doc = load("call.vtt", VTT)
    assert doc.kind == "transcript" and doc.language == "vtt"
    turns = [(s.span.speaker, s.span.start_time, s.span.end_time) for s in doc.segments]
    assert turns == [("Alice Smith", 1.0, 8.25), ("Bob", 9.0, 62.75), ("Alice Smith", 63.0, 65.0)]
    assert doc.text == (
        "[00:00:01] Alice Smith: Welcome everyone, let's start with the budget. We have two options on the table.\n"
        "[00:00:09] Bob: I prefer option B, it ships by June 30.\n"
        "[00:01:03] Alice Smith: Decision: option B. Bob owns it.\n"
    )
    first, bob, _ = doc.segments
    assert [(m.start_time, m.end_time, doc.text[m.start : m.end].strip()) for m in first.span.marks] == [
        (1.0, 4.5, "[00:00:01] Alice Smith: Welcome everyone, let's start with the budget."),
        (4.5, 8.25, "We have two options on the table."),
    ]
    assert bob.span.start_line == 2 and bob.span.end_line == 2
    assert speakers(doc) == ["Alice Smith", "Bob"]


def test_srt_name_prefix_and_unlabelled_continuation() -> None:
    doc = load("standup.srt", SRT)
    assert doc.language == "srt"
    assert [(s.span.speaker, s.span.start_time, s.span.end_time) for s in doc.segments] == [
        ("Carol", 1.0, 3.0),
        ("Dan", 3.5, 9.9),  # cue 3 has no label: it continues Dan's turn
    ]
    assert doc.segments[1].text == "[00:00:03] Dan: I'll write the notes. and publish them by noon.\n"


def test_plain_speaker_lines() -> None:
    text = "Erin: Shall we begin?\nFrank: Yes.\nFrank: The forecast is ready.\n  it covers Q3.\nErin: Thanks.\n"
    doc = load("meeting.txt", text)
    assert doc.language == "text"
    assert [(s.span.speaker, s.span.start_line, s.span.end_line) for s in doc.segments] == [
        ("Erin", 1, 1),
        ("Frank", 2, 4),
        ("Erin", 5, 5),
    ]
    assert all(s.span.start_time is None for s in doc.segments)


def test_malformed_subtitles_are_skipped_with_reason(tmp_path: Path) -> None:
    (tmp_path / "ok.vtt").write_text(VTT)
    (tmp_path / "bad.vtt").write_text("WEBVTT\n\n00:00:01.000 --> later\nhello\n")
    (tmp_path / "bad.srt").write_text("garbage first\n\n1\n00:00:01,000 --> 00:00:02,000\nhi\n")
    corpus = load_corpus(tmp_path)
    assert [d.path for d in corpus.documents] == ["ok.vtt"]
    reasons = {s.path: s.reason for s in corpus.skipped}
    assert reasons["bad.vtt"].startswith("malformed WebVTT") and "bad.vtt" in reasons["bad.vtt"]
    assert reasons["bad.srt"].startswith("malformed SRT")
    assert all("\n" not in r for r in reasons.values())


def test_not_a_vtt_raises() -> None:
    with pytest.raises(InputError, match="malformed WebVTT"):
        TranscriptLoader().load("x.vtt", b"hello there\n", IngestOptions())


def test_sample_transcripts(examples_dir: Path) -> None:
    folder = examples_dir / "transcripts"
    vtt = load("launch_review.vtt", (folder / "launch_review.vtt").read_text())
    assert speakers(vtt) == ["Priya", "Tom", "Aisha", "Marcus", "Lena"]
    assert len(vtt.segments) >= 30
    assert any("Tuesday the fourteenth" in s.text and s.span.speaker == "Priya" for s in vtt.segments)
    times = [s.span.start_time for s in vtt.segments]
    assert None not in times
    assert times == sorted(t for t in times if t is not None) and (times[-1] or 0) > 300
    srt = load("standup.srt", (folder / "standup.srt").read_text())
    assert speakers(srt) == ["Lena", "Tom", "Marcus", "Priya"]
    plain = load("retro_notes.txt", (folder / "retro_notes.txt").read_text())
    assert speakers(plain) == ["Priya", "Tom", "Aisha", "Marcus"]


def test_qmsum_transcripts(eval_dir: Path) -> None:
    folder = eval_dir / "corpora" / "transcripts-qmsum-val"
    corpus = load_corpus(folder)
    assert not corpus.skipped and len(corpus.documents) == 35
    for doc in corpus.documents:
        assert doc.kind == "transcript"
        assert doc.text == (folder / doc.path).read_text(encoding="utf-8")
        assert "".join(s.text for s in doc.segments) == doc.text
        assert len(doc.segments) >= 100 and 4 <= len(speakers(doc)) <= 100
        assert all(s.span.speaker for s in doc.segments)  # every QMSum line names its speaker
        assert max(s.tokens for s in doc.segments) <= 650
        lines = doc.text.split("\n")
        for seg in doc.segments[:50]:  # a turn starts at a line that names its speaker
            assert lines[seg.span.start_line - 1].startswith(f"{seg.span.speaker}:")


def test_byte_order_mark_kept_in_offsets() -> None:
    """Offsets index the file decoded as UTF-8 (BOM included), as the eval's gold spans do."""
    doc = load("bom.vtt", "\ufeff" + VTT)
    assert [s.span.speaker for s in doc.segments] == ["Alice Smith", "Bob", "Alice Smith"]
    assert not doc.text.startswith("\ufeff")  # an extracted subtitle text has no BOM
    plain = load("bom.txt", "\ufeffAnn: Hi.\nBo: Hello.\n")
    assert [s.span.speaker for s in plain.segments] == ["Ann", "Bo"]
