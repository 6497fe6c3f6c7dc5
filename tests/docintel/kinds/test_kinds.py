"""Document kinds as plug-ins: one registry every stage asks; a kind nobody registered is still listed, mapped,
outlined and chunked (never dropped, never a KeyError); span fields go through the store by name."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from docintel.assemble.corpus_map import build_corpus_map
from docintel.corpus import Corpus, Document, Mark, Segment, SourceSpan
from docintel.index.chunks import build_chunks
from docintel.index.corpus_index import CorpusIndex
from docintel.index.store import StoredChunk, span_fields_json, span_from_fields
from docintel.kinds import corpus_kind, detect_kind, get_kind, registered


def _doc(path: str, kind: str, text: str) -> Document:
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    span = SourceSpan(path, 0, len(text), 1, lines)
    return Document(path, kind, None, path, len(text), text, (Segment(text, span, len(text.split()), "lines"),))


def test_every_builtin_kind_is_registered_once_with_its_parts() -> None:
    names = [k.name for k in registered()]
    assert names[:4] == ["code", "contract", "transcript", "text"]  # display order: the corpus kinds first
    assert {"data", "vendored", "generated"} <= set(names) and len(names) == len(set(names))
    assert get_kind("code").checklist == "code-security" and get_kind("contract").checklist == "contract-review"
    assert get_kind("transcript").span_fields == ("speaker", "start_time", "end_time", "marks")
    assert [k.name for k in registered() if not k.in_corpus] == ["data", "vendored", "generated"]


def test_an_unregistered_kind_is_mapped_outlined_and_chunked_not_dropped() -> None:
    """A kind forgotten in the registry gets the defaults under its own name in every stage."""
    fax = _doc("inbox/fax-001.fax", "fax", "FAX from ACME\nPlease sign the order form.\n")
    memo = _doc("memo.md", "text", "# Memo\nLunch at noon.\n")
    corpus = Corpus(Path("/x"), (fax, memo))

    kind = get_kind("fax")
    assert kind.name == "fax" and kind.in_corpus and kind.title == "Fax"
    text = build_corpus_map(corpus)
    assert "## Documents of kind fax\ninbox/fax-001.fax" in text and "FAX from ACME" in text
    assert text.index("## Other documents") < text.index("## Documents of kind fax")  # unknown kinds come last
    [node] = kind.outline([fax])
    assert node.label.startswith("inbox/fax-001.fax") and node.span is not None and node.span.end == len(fax.text)
    assert [c.text for c in build_chunks(fax)] == [fax.text]


async def test_the_tui_tree_shows_an_unregistered_kind(tmp_path: Path) -> None:
    """tui/widgets.py used to KeyError on a kind missing from its title table."""
    from textual.app import App, ComposeResult

    from docintel.tui.widgets import CorpusTree

    class TreeApp(App[None]):
        def compose(self) -> ComposeResult:
            yield CorpusTree("corpus")

    corpus = Corpus(tmp_path, (_doc("a.fax", "fax", "hello\n"),), aside=(_doc("words.txt", "data", "a\nb\n"),))
    async with TreeApp().run_test() as pilot:
        tree = pilot.app.query_one(CorpusTree)
        tree.show_corpus(corpus)
        groups = [str(n.label) for n in tree.root.children]
    assert groups[0].startswith("Fax (1)") and groups[1].startswith("Data (set aside) (1)")


def test_detection_asks_each_kind_in_priority_order() -> None:
    assert detect_kind("src/app.py", b"print(1)\n")[0].name == "code"
    assert detect_kind("static/vendor/jquery.js", b"x")[0].name == "vendored"  # vendored before code
    kind, reason = detect_kind("notes.txt", b"just a note\n")
    assert kind.name == "text" and reason == ""


def test_corpus_kind_from_project_files_before_token_shares(tmp_path: Path) -> None:
    html = _doc("templates/index.html", "text", "<div>hello</div>\n" * 500)
    manage = _doc("manage.py", "code", "import sys\n")
    assert corpus_kind(Corpus(tmp_path, (manage, html))) == ("code", "it holds manage.py")
    assert corpus_kind(Corpus(tmp_path, (html,)))[0] == "text"


def test_span_fields_are_stored_by_name_and_unknown_ones_ignored() -> None:
    span = SourceSpan(
        "m.vtt", 5, 40, 2, 3, speaker="Ann", start_time=1.5, end_time=4.0, marks=(Mark(5, 20, speaker="Ann"),)
    )
    stored = span_fields_json(span)
    data = json.loads(stored)
    assert {k: v for k, v in data.items() if k != "marks"} == {"speaker": "Ann", "start_time": 1.5, "end_time": 4.0}
    assert [(m["start"], m["end"], m["speaker"]) for m in data["marks"]] == [(5, 20, "Ann")]  # a mark by its names
    back = span_from_fields("m.vtt", 5, 40, 2, 3, stored)
    assert back == span and back.marks == span.marks
    # a field written by a newer version (or removed since) does not break reading
    assert span_from_fields("a.pdf", 0, 9, 1, 1, '{"page": 3, "cue_id": "x"}') == SourceSpan(
        "a.pdf", 0, 9, 1, 1, page=3
    )
    assert span_fields_json(SourceSpan("a.py", 0, 1, 1, 1)) == "{}"


@pytest.mark.usefixtures("hash_embedder")
def test_an_index_of_the_old_positional_format_is_rebuilt_with_a_message(tmp_path: Path) -> None:
    root = tmp_path / "c"
    root.mkdir()
    (root / "a.md").write_text("# Title\nSome words about storage.\n")
    from docintel.ingest import load_corpus

    corpus = load_corpus(root)
    index = CorpusIndex.open(root)
    index.update(corpus)
    # turn it into a format-1 index: 18 positional columns, schema "1"
    db = sqlite3.connect(index.directory / "index.sqlite3")
    db.executescript(
        """
        DROP TABLE chunks; DROP TABLE files;
        CREATE TABLE files (path TEXT PRIMARY KEY, sha256 TEXT NOT NULL, chunks INTEGER NOT NULL);
        CREATE TABLE chunks (vid INTEGER PRIMARY KEY, id TEXT, path TEXT, start INTEGER, "end" INTEGER,
            start_line INTEGER, end_line INTEGER, page INTEGER, clause TEXT, speaker TEXT, start_time REAL,
            end_time REAL, tokens INTEGER, unit TEXT, name TEXT, context TEXT, text TEXT, embed_hash TEXT);
        UPDATE meta SET value = '1' WHERE key = 'schema';
        """
    )
    db.close()
    index.close()

    reopened = CorpusIndex.open(root)
    assert reopened.rebuild_reason() == "the index format changed (1 -> 2)"
    report = reopened.update(corpus)
    assert report.rebuilt and report.message == "rebuilding the whole index: the index format changed (1 -> 2)"
    [row] = reopened.store.chunk_rows()
    assert isinstance(row, StoredChunk) and row.chunk.text == corpus.documents[0].text
    assert [h.chunk.span.path for h in reopened.search("storage", 3)] == ["a.md"]
    reopened.close()
