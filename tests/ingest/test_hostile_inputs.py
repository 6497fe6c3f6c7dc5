"""Hostile inputs to ingestion, each built for real in the test: decompression bombs (DOCX, PDF), a file name that
is not UTF-8, 1,200 nested folders, text in Latin-1 / cp1252 / UTF-16, Git LFS pointers and an empty submodule.

Each must end in a reason (a skipped file) or a read document, never a traceback, and the bombs in bounded memory
(tracemalloc peak, which counts what the parsers would allocate; time is measured in benchmarks/bench_hostile.py).
"""

from __future__ import annotations

import io
import os
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest

from docintel.ingest import IngestOptions, load_corpus
from docintel.ingest.bombs import check_zip
from docintel.ingest.encoding import Decoded, decode_text
from docintel.ingest.paths import fs_path, portable_name
from docintel.ingest.walk import walk_files

BOMB_BYTES = 100_000_000  # what the bomb inflates to
MEMORY_BOUND = 20_000_000  # parsing either bomb would allocate several times BOMB_BYTES


def docx_bomb(path: Path, inflated: int = BOMB_BYTES) -> Path:
    """A real DOCX (python-docx) whose word/document.xml is replaced by ``inflated`` bytes of paragraphs."""
    import docx

    buffer = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("A harmless first paragraph.")
    document.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    head = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
    )
    tail = b"</w:body></w:document>"
    paragraph = b"<w:p><w:r><w:t>bomb</w:t></w:r></w:p>"
    step = paragraph * (1_000_000 // len(paragraph))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for item in source.infolist():
            if item.filename != "word/document.xml":
                out.writestr(item, source.read(item.filename))
        with out.open("word/document.xml", "w", force_zip64=True) as member:
            member.write(head)
            written = len(head)
            while written < inflated:
                member.write(step)
                written += len(step)
            member.write(tail)
    return path


def pdf_bomb(path: Path, inflated: int = BOMB_BYTES) -> Path:
    """A one-page PDF whose content stream (FlateDecode) inflates to ``inflated`` bytes (xref written exactly)."""
    deflater = zlib.compressobj(9)
    parts = [deflater.compress(b"BT /F1 12 Tf 72 720 Td (Bomb) Tj ET\n%")]
    blank = b" " * 1_000_000
    for _ in range(inflated // len(blank)):
        parts.append(deflater.compress(blank))
    parts.append(deflater.flush())
    stream = b"".join(parts)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    path.write_bytes(out.getvalue())
    return path


def load_bounded(root: Path) -> tuple[dict[str, str], set[str], int]:
    """Load ``root``; return skip reasons by path, document paths and the peak of traced memory."""
    load_corpus(root / "notes.txt")  # the tokenizer and loaders load once, outside the measurement
    tracemalloc.start()
    try:
        corpus = load_corpus(root)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return {s.path: s.reason for s in corpus.skipped}, {d.path for d in corpus.documents}, peak


@pytest.mark.parametrize("kind", ["docx", "pdf"])
def test_decompression_bomb_is_skipped_with_a_reason_in_bounded_memory(tmp_path: Path, kind: str) -> None:
    root = tmp_path / "corpus"
    root.mkdir()
    bomb = docx_bomb(root / "bomb.docx") if kind == "docx" else pdf_bomb(root / "bomb.pdf")
    assert bomb.stat().st_size < 400_000  # small on disk, as the 237 KB bomb
    (root / "notes.txt").write_text("The retention period is seven years.\n")
    reasons, documents, peak = load_bounded(root)
    assert documents == {"notes.txt"}
    assert "decompression bomb" in reasons[bomb.name]
    assert "100.0 MB" in reasons[bomb.name] or "inflates over 100x" in reasons[bomb.name]
    assert "Traceback" not in reasons[bomb.name] and "\n" not in reasons[bomb.name]
    assert peak < MEMORY_BOUND, f"peak {peak:,} bytes: the bomb was inflated"


def test_ordinary_docx_passes_the_bomb_check(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    for n in range(200):
        document.add_paragraph(f"{n}. The Supplier shall keep records for seven years.")
    path = tmp_path / "msa.docx"
    document.save(str(path))
    check_zip("msa.docx", path.read_bytes())  # no exception
    corpus = load_corpus(path)
    assert [d.path for d in corpus.documents] == ["msa.docx"]
    assert "seven years" in corpus.documents[0].text


def test_file_name_that_is_not_utf8_is_read_and_named_printably(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    root.mkdir()
    raw_name = os.fsencode(root) + b"/bad\xff.txt"
    with open(raw_name, "wb") as f:
        f.write(b"The retention period for audit logs is seven years.\n")
    (root / "good.txt").write_text("Nothing to see here.\n")
    files, skipped = walk_files(root, IngestOptions())
    assert files == ["bad\\xff.txt", "good.txt"] and skipped == []
    assert portable_name(os.fsdecode(b"bad\xff.txt")) == "bad\\xff.txt"
    assert fs_path(root, "bad\\xff.txt").read_bytes().startswith(b"The retention period")
    corpus = load_corpus(root)
    doc = corpus.document("bad\\xff.txt")
    assert "seven years" in doc.text
    doc.path.encode("utf-8")  # valid Unicode: SQLite, JSON and tokenizers take it


def test_twelve_hundred_nested_folders_are_walked_without_recursion(tmp_path: Path) -> None:
    from docintel.api import fingerprint
    from docintel.kinds import kinds_in_order

    root = tmp_path / "deep"
    deepest = root
    root.mkdir()
    for _ in range(1200):  # one level at a time: Path.mkdir(parents=True) itself recurses
        deepest = deepest / "d"
        deepest.mkdir()
    (deepest / "bottom.py").write_text("def deepest():\n    return 'the bottom'\n")
    try:
        corpus = load_corpus(root)
        assert [d.path for d in corpus.documents] == ["d/" * 1200 + "bottom.py"]
        assert corpus.skipped == ()
        assert len(fingerprint(root)) == 64  # the API's change stamp walks it too
        (code,) = kinds_in_order({"code"})
        (folder,) = code.outline(corpus.documents)  # the TUI's tree: one node for the chain of 1,200 folders
        assert folder.label.startswith("d/" * 1200) and [c.label.split()[0] for c in folder.children] == ["bottom.py"]
    finally:  # bottom-up: shutil.rmtree (pytest's temp cleanup) recurses and would fail on this tree
        (deepest / "bottom.py").unlink()
        while deepest != root:
            deepest.rmdir()
            deepest = deepest.parent


LATIN1_TEXT = (
    "Señor Müller bestätigt: la façade du château sera rénovée à Zürich. "
    "Les clauses suivantes régissent l'accord entre les parties; naïveté exclue. "
    "Größere Änderungen bedürfen der Schriftform. El año fiscal comienza en enero.\n"
) * 3
CP1252_TEXT = (
    "The fee is €1,200 per month — payable “in advance” on the 1st; "
    "late payment adds a 2 ‰ surcharge… The Supplier’s liability is capped.\n"
) * 3
CYRILLIC_TEXT = "Договор вступает в силу с момента подписания сторонами и действует один год.\n" * 3
UTF16_TEXT = "Termination. Either party may terminate this agreement with thirty days written notice.\n" * 3


@pytest.mark.parametrize(
    ("name", "data", "text", "encodings"),
    [
        ("latin1.txt", LATIN1_TEXT.encode("latin-1"), LATIN1_TEXT, {"iso8859-1", "cp1252"}),
        ("cp1252.txt", CP1252_TEXT.encode("cp1252"), CP1252_TEXT, {"cp1252"}),
        ("cp1251.txt", CYRILLIC_TEXT.encode("cp1251"), CYRILLIC_TEXT, {"cp1251"}),
        ("bom-le.txt", b"\xff\xfe" + UTF16_TEXT.encode("utf-16-le"), UTF16_TEXT, {"utf-16-le (BOM)"}),
        ("bom-be.txt", b"\xfe\xff" + UTF16_TEXT.encode("utf-16-be"), UTF16_TEXT, {"utf-16-be (BOM)"}),
        ("nobom-le.txt", UTF16_TEXT.encode("utf-16-le"), UTF16_TEXT, {"utf-16-le"}),
        ("nobom-be.txt", UTF16_TEXT.encode("utf-16-be"), UTF16_TEXT, {"utf-16-be"}),
    ],
    ids=["latin-1", "cp1252", "cp1251", "utf-16-le-bom", "utf-16-be-bom", "utf-16-le", "utf-16-be"],
)
def test_text_in_other_encodings_is_read_and_the_encoding_reported(
    tmp_path: Path, name: str, data: bytes, text: str, encodings: set[str]
) -> None:
    root = tmp_path / "corpus"
    root.mkdir()
    (root / name).write_bytes(data)
    corpus = load_corpus(root)
    assert corpus.skipped == ()
    doc = corpus.document(name)
    assert doc.text == text
    assert doc.encoding in encodings
    assert all(doc.text[s.span.start : s.span.end] == s.text for s in doc.segments)
    assert decode_text(name, data).text == text


def test_stats_json_names_the_encoding_of_each_non_utf8_file(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from docintel.cli.main import app

    root = tmp_path / "corpus"
    root.mkdir()
    (root / "cp1252.txt").write_bytes(CP1252_TEXT.encode("cp1252"))
    (root / "plain.txt").write_text("Plain UTF-8.\n")
    result = CliRunner().invoke(app, ["stats", str(root), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["encodings"] == {"cp1252.txt": "cp1252"}


def test_git_lfs_pointer_and_empty_submodule_are_skipped_with_reasons(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "ext" / "lib").mkdir(parents=True)
    (root / "ext" / "checked-out").mkdir(parents=True)
    (root / "ext" / "checked-out" / ".git").write_text("gitdir: ../../.git/modules/checked-out\n")
    (root / "ext" / "checked-out" / "util.py").write_text("def helper():\n    return 1\n")
    (root / ".gitmodules").write_text(
        '[submodule "ext/lib"]\n\tpath = ext/lib\n\turl = https://example.com/lib.git\n'
        '[submodule "ext/checked-out"]\n\tpath = ext/checked-out\n\turl = https://example.com/c.git\n'
    )
    (root / "model.bin.txt").write_text(
        "version https://git-lfs.github.com/spec/v1\n"
        "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
        "size 12345\n"
    )
    (root / "README.md").write_text("# Project\n\nReal content.\n")
    corpus = load_corpus(root)
    reasons = {s.path: s.reason for s in corpus.skipped}
    assert "Git LFS pointer" in reasons["model.bin.txt"] and "git lfs pull" in reasons["model.bin.txt"]
    assert "submodule not checked out" in reasons["ext/lib/"]
    assert "git submodule update --init" in reasons["ext/lib/"]
    assert {d.path for d in corpus.documents} == {".gitmodules", "README.md", "ext/checked-out/util.py"}


def test_symlink_loops_inside_the_corpus_are_skipped_with_their_reason(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "self").symlink_to(root / "self")
    (root / "a").symlink_to(root / "b")
    (root / "b").symlink_to(root / "a")
    (root / "gone").symlink_to(root / "missing.txt")
    (root / "notes.txt").write_text("Kept.\n")
    corpus = load_corpus(root)
    reasons = {s.path: s.reason for s in corpus.skipped}
    assert [d.path for d in corpus.documents] == ["notes.txt"]
    assert reasons["self"].startswith("symlink loop") and reasons["a"].startswith("symlink loop")
    assert reasons["gone"] == "broken symlink"


def test_a_utf16_contract_is_detected_as_a_contract(tmp_path: Path) -> None:
    text = (
        "MASTER SERVICES AGREEMENT\n\nThis Agreement is made between the parties hereto.\n\n"
        "1. Definitions\nThe Supplier shall provide the Services to the Customer.\n\n"
        "2. Term\nThis Agreement shall remain in force for two years unless terminated by either party.\n\n"
        "3. Termination\nEither party may terminate this Agreement with thirty days written notice.\n\n"
        "4. Governing Law\nThis Agreement shall be governed by the laws of England.\n"
    )
    root = tmp_path / "contracts"
    root.mkdir()
    (root / "msa.txt").write_bytes(text.encode("utf-16"))  # with BOM, as Windows writes "Unicode"
    doc = load_corpus(root).document("msa.txt")
    assert doc.kind == "contract" and doc.encoding.startswith("utf-16")
    assert any(s.span.clause == "3" for s in doc.segments)


@pytest.mark.parametrize("order", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_with_emoji_at_the_sniff_boundary(order: str) -> None:
    from docintel.ingest.encoding import UTF16_SNIFF, utf16_byte_order

    text = "Release notes 😀 ship on Friday. " * 200  # surrogate pairs, one of them cut by the 4 KB sniff
    data = text.encode(order)
    assert all(utf16_byte_order(data[:cut]) == order for cut in range(UTF16_SNIFF - 8, UTF16_SNIFF + 8))
    assert decode_text("notes.txt", data) == Decoded(text, order)
