"""What a subtitle cue says and who says it (docintel.ingest.cue_text), and ``docintel stats --check`` on files
built in every format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from docintel.cli.main import app
from docintel.ingest.cue_text import clean_cue, new_words
from tests.ingest.citation_docs import DIARIZED_SRT, VOICE_VTT, karaoke_srt, write_numbered_docx, write_paged_pdf


@pytest.mark.parametrize(
    ("raw", "speaker", "text", "new_turn"),
    [
        ("[SPEAKER_04]: The budget is set.", "SPEAKER_04", "The budget is set.", False),
        ("[SPEAKER_04] The budget is set.", "SPEAKER_04", "The budget is set.", False),
        ("SPEAKER_04: The budget is set.", "SPEAKER_04", "The budget is set.", False),
        (">> Dana Kim: We ship Friday.", "Dana Kim", "We ship Friday.", False),
        (">> We ship Friday.", None, "We ship Friday.", True),
        ("<v Ann Lee>Hello <i>there</i></v>", "Ann Lee", "Hello there", False),
        ("<v Ann>Decision: ship it.</v>", "Ann", "Decision: ship it.", False),  # the voice names the speaker
        ("{\\an8}{\\c&H00FFFF&}Hello{\\c&HFFFFFF&} world\\Nagain", None, "Hello world again", False),
        ("<00:00:01.200><c> word</c><00:00:01.500><c> by word</c>", None, "word by word", False),
        ("[Music] playing softly", None, "[Music] playing softly", False),  # a sound label, not a speaker
        ("[00:12:34] not a speaker", None, "[00:12:34] not a speaker", False),
        ("Tom &amp; Jerry agree", None, "Tom & Jerry agree", False),
    ],
)
def test_clean_cue(raw: str, speaker: str | None, text: str, new_turn: bool) -> None:
    cue = clean_cue(raw)
    assert (cue.speaker, cue.text, cue.new_turn) == (speaker, text, new_turn)


def test_new_words_folds_karaoke_repeats_only() -> None:
    assert new_words("the launch", "the launch date") == "date"  # a growing line
    assert new_words("the launch date", "the launch date") == ""  # re-highlighted, nothing new
    assert new_words("we agreed on the plan", "on the plan we go") == "we go"  # three-word overlap
    assert new_words("ask the team", "team leads decide") == "team leads decide"  # one word: a new sentence


def test_stats_check_reports_full_fidelity_on_built_documents(tmp_path: Path) -> None:
    root = tmp_path / "built"
    root.mkdir()
    write_numbered_docx(root / "csa.docx")
    write_paged_pdf(root / "sa.pdf")
    (root / "review.srt").write_text(DIARIZED_SRT, encoding="utf-8")
    (root / "vendors.vtt").write_text(VOICE_VTT, encoding="utf-8")
    (root / "launch.srt").write_text(karaoke_srt(), encoding="utf-8")
    result = CliRunner().invoke(app, ["stats", str(root), "--check", "--json"])
    assert result.exit_code == 0, result.stderr
    fidelity = json.loads(result.stdout)["fidelity"]
    assert fidelity["clauses"]["rate"] == 1.0 and fidelity["clauses"]["numbered_lines"] >= 70
    assert fidelity["transcripts"] == {"cues": 19, "agree": 19, "rate": 1.0}
    assert fidelity["outline"]["running_headers"] == 0 and fidelity["outline"]["heading_only"] == 0
    assert fidelity["misses"] == []
    text = CliRunner().invoke(app, ["stats", str(root), "--check"]).stdout
    assert "fidelity: clause labels" in text and "(100.00%)" in text
