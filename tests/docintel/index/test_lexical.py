"""BM25 with identifier splitting and stemming (real bm25s)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from docintel.index.lexical import LexicalIndex, split_identifier, tokenize, words


def test_split_identifier() -> None:
    assert split_identifier("getUserName") == ["get", "user", "name"]
    assert split_identifier("get_user_name") == ["get", "user", "name"]
    assert split_identifier("parseHTTPResponse2") == ["parse", "http", "response", "2"]
    assert split_identifier("__init__") == ["init"]
    assert split_identifier("URL") == ["url"]


def test_words_keep_the_whole_identifier_and_its_parts() -> None:
    assert words("getUserName(user_id)") == ["getusername", "get", "user", "name", "user_id", "user", "id"]
    assert words("the and of") == []  # stop words
    assert tokenize("Terminating the agreements") == tokenize("terminate agreement")


DOCS = [
    "def getUserName(session):\n    return session.profile.display\n",
    "def render_template(name, context):\n    return engine.render(name, context)\n",
    "The termination of this Agreement does not affect accrued rights.",
    "Payment is due within thirty days of the invoice date.",
]


def test_bm25_finds_split_identifiers_and_stems() -> None:
    index = LexicalIndex(DOCS)
    assert index.top("user name", 2)[0][0] == 0
    assert index.top("getUserName", 1)[0][0] == 0
    assert index.top("template rendering", 1)[0][0] == 1
    assert index.top("when can the agreement be terminated", 1)[0][0] == 2
    assert index.top("nothing matches xyzzy", 5) == []


def test_bm25_mask_and_persistence(tmp_path: Path) -> None:
    index = LexicalIndex(DOCS)
    mask = np.array([False, True, True, True])
    assert all(row != 0 for row, _ in index.top("user name render", 4, mask))
    index.save(tmp_path / "lex")
    loaded = LexicalIndex.load(tmp_path / "lex")
    assert loaded.top("invoice payment", 1) == index.top("invoice payment", 1)
    assert loaded.top("invoice payment", 1)[0][0] == 3
    empty = LexicalIndex([])
    empty.save(tmp_path / "empty")
    assert LexicalIndex.load(tmp_path / "empty").top("anything", 3) == []
