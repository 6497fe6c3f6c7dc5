"""Which loader reads a file: by extension, then by content; a folder may mix kinds."""

from __future__ import annotations

from pathlib import Path

from docintel.ingest import load_corpus
from docintel.kinds import detect_kind


def kind_of(rel_path: str, data: bytes) -> str:
    return detect_kind(rel_path, data)[0].name


def test_mixed_folder_gets_the_right_kinds(tmp_path: Path, examples_dir: Path) -> None:
    (tmp_path / "app.py").write_text("def handler(event):\n    return event['id']\n")
    contract = (examples_dir / "contract" / "master_services_agreement.md").read_text()
    (tmp_path / "msa.txt").write_text(contract)
    (tmp_path / "call.vtt").write_text("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Ann>Hi.</v>\n")
    (tmp_path / "meeting.txt").write_text("Ann: Hello.\nBo: Hi Ann.\nAnn: Shall we start?\nBo: Yes.\n")
    (tmp_path / "notes.md").write_text("# Shopping\n\n- apples\n- bread\n\nRemember the party on Sunday.\n")
    corpus = load_corpus(tmp_path)
    kinds = {d.path: d.kind for d in corpus.documents}
    assert kinds == {
        "app.py": "code",
        "msa.txt": "contract",
        "call.vtt": "transcript",
        "meeting.txt": "transcript",
        "notes.md": "text",
    }
    assert corpus.document("msa.txt").language == "text"
    assert corpus.document("meeting.txt").segments[0].span.speaker == "Ann"


def test_detect_by_extension_and_content() -> None:
    assert kind_of("a.srt", b"") == "transcript"
    assert kind_of("deal.pdf", b"%PDF-1.4") == "contract"
    assert kind_of("deal.docx", b"PK") == "contract"
    parliament = "\n".join(
        f"The Acting Chair (Mr. Bruce Stanton (Simcoe North, CPC)): Order {n}.\nHon. Bill Morneau: Yes {n}."
        for n in range(5)
    )
    assert kind_of("debate.txt", parliament.encode()) == "transcript"
    assert kind_of("readme.txt", b"Install it with pip.\nThen run it.\nDone: enjoy.\n") == "text"
